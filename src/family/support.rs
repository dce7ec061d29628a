//! Support organisations families can contact: a list the administrator keeps (national
//! defaults to start with), shown on the family's help page in their language. No case
//! content: the administrator edits it; every change is audited; a removed entry is kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::db::schema::support_organisations as so;
use crate::db::{self, DbConn};
use crate::domain::{LimitedText, SupportOrganisationId, UserId, Validator};
use crate::error::AppError;
use crate::i18n::Lang;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1_000;
pub const PHONE_MAX: usize = 50;
pub const WEBSITE_MAX: usize = 300;
pub const HOURS_MAX: usize = 200;

/// An entry as the administrator keeps it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = so)]
pub struct SupportOrganisation {
    pub id: SupportOrganisationId,
    pub name: String,
    /// The name in Welsh; families reading Welsh see the English where it is missing.
    pub name_cy: Option<String>,
    pub description: String,
    pub description_cy: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
    /// Families read the list in this order (lowest first).
    pub position: i32,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub updated_at: NaiveDateTime,
}

/// An entry as a family reads it, in their language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupportEntry {
    /// `en` where a Welsh reader is shown the English, for want of a Welsh text.
    pub lang: Option<&'static str>,
    pub name: String,
    pub description: String,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
}

/// What an entry says, parsed once for the page and the API alike.
#[derive(Debug)]
pub struct SupportInput {
    name: LimitedText,
    name_cy: Option<LimitedText>,
    description: LimitedText,
    description_cy: Option<LimitedText>,
    phone: Option<LimitedText>,
    website: Option<LimitedText>,
    hours: Option<LimitedText>,
    position: Option<i32>,
}

/// The raw fields of an entry, from a form or a JSON body.
#[derive(Debug, Default)]
pub struct SupportFields<'a> {
    pub name: &'a str,
    pub name_cy: Option<&'a str>,
    pub description: &'a str,
    pub description_cy: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub website: Option<&'a str>,
    pub hours: Option<&'a str>,
    /// Where it goes in the list; absent is at the end (a new entry) or where it is.
    pub position: Option<&'a str>,
}

impl SupportFields<'_> {
    /// Every field checked; every problem kept, each with its field.
    pub fn parse(&self, v: &mut Validator) -> Option<SupportInput> {
        let line = |field, raw: &str, max, missing| LimitedText::line(field, raw, max, missing);
        let optional_line = |field: &str, raw: Option<&str>, max| match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => LimitedText::line(field, raw, max, "").map(Some),
        };
        let name = v.check(line(
            "name",
            self.name,
            NAME_MAX,
            "Enter the organisation's name.",
        ));
        let name_cy = v.check(optional_line("name_cy", self.name_cy, NAME_MAX));
        let description = v.check(crate::casework::input::required(
            "description",
            self.description,
            DESCRIPTION_MAX,
        ));
        let description_cy = v.check(crate::casework::input::optional(
            "description_cy",
            self.description_cy,
            DESCRIPTION_MAX,
        ));
        let phone = v.check(optional_line("phone", self.phone, PHONE_MAX).and_then(|p| {
            match &p {
                Some(p) if !p.as_str().chars().all(|c| c.is_ascii_digit() || " +()-".contains(c)) => {
                    Err(AppError::invalid(
                        "phone",
                        "Enter a phone number using digits, spaces and + ( ) - only, like 0808 000 0000.",
                    ))
                }
                _ => Ok(p),
            }
        }));
        let website = v.check(
            optional_line("website", self.website, WEBSITE_MAX).and_then(|w| match &w {
                Some(w)
                    if !(w.as_str().starts_with("https://")
                        || w.as_str().starts_with("http://"))
                        || url::Url::parse(w.as_str()).is_err() =>
                {
                    Err(AppError::invalid(
                        "website",
                        "Enter the website's full address, starting https://",
                    ))
                }
                _ => Ok(w),
            }),
        );
        let hours = v.check(optional_line("hours", self.hours, HOURS_MAX));
        let position = v.check(match self.position.map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|p| (1..=1000).contains(p))
                .map(Some)
                .ok_or_else(|| {
                    AppError::invalid("position", "Enter a whole number from 1 to 1000.")
                }),
        });
        Some(SupportInput {
            name: name?,
            name_cy: name_cy?,
            description: description?,
            description_cy: description_cy?,
            phone: phone?,
            website: website?,
            hours: hours?,
            position: position?,
        })
    }
}

/// The entries in force, in order.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<SupportOrganisation>> {
    so::table
        .filter(so::removed_at.is_null())
        .order((so::position.asc(), so::id.asc()))
        .select(SupportOrganisation::as_select())
        .load(conn)
}

/// The entries in force as a family reads them, in `lang` (English where a Welsh text is
/// missing).
pub fn for_family(conn: &mut DbConn, lang: Lang) -> QueryResult<Vec<SupportEntry>> {
    Ok(list(conn)?
        .into_iter()
        .map(|o| {
            let in_english =
                lang == Lang::Cy && (o.name_cy.is_none() || o.description_cy.is_none());
            let (name, description) = match (lang, in_english) {
                (Lang::Cy, false) => (
                    o.name_cy.unwrap_or(o.name),
                    o.description_cy.unwrap_or(o.description),
                ),
                _ => (o.name, o.description),
            };
            SupportEntry {
                lang: in_english.then_some("en"),
                name,
                description,
                phone: o.phone,
                website: o.website,
                hours: o.hours,
            }
        })
        .collect())
}

fn text(t: &Option<LimitedText>) -> Option<&str> {
    t.as_ref().map(LimitedText::as_str)
}

/// The columns an entry's input writes, the same for a new entry and a change.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = so, treat_none_as_null = true)]
struct Written<'a> {
    name: &'a str,
    name_cy: Option<&'a str>,
    description: &'a str,
    description_cy: Option<&'a str>,
    phone: Option<&'a str>,
    website: Option<&'a str>,
    hours: Option<&'a str>,
    position: i32,
    updated_by: Option<&'a UserId>,
    updated_at: NaiveDateTime,
}

impl SupportInput {
    fn written<'a>(&'a self, by: &'a UserId, position: i32) -> Written<'a> {
        Written {
            name: self.name.as_str(),
            name_cy: text(&self.name_cy),
            description: self.description.as_str(),
            description_cy: text(&self.description_cy),
            phone: text(&self.phone),
            website: text(&self.website),
            hours: text(&self.hours),
            position: self.position.unwrap_or(position),
            updated_by: Some(by),
            updated_at: db::now(),
        }
    }
}

/// Adds an entry (at the end of the list unless a position is given).
pub fn add(
    conn: &mut DbConn,
    by: &UserId,
    input: &SupportInput,
) -> Result<SupportOrganisation, AppError> {
    db::write(conn, |conn| {
        let last: Option<i32> = so::table
            .filter(so::removed_at.is_null())
            .select(diesel::dsl::max(so::position))
            .first(conn)?;
        let id = SupportOrganisationId::new();
        diesel::insert_into(so::table)
            .values((so::id.eq(&id), input.written(by, last.unwrap_or(0) + 1)))
            .execute(conn)?;
        audit::event(&Actor::Staff(by.clone()), "support.add")
            .record("support_organisation", &id)
            .write(conn)?;
        find(conn, &id)
    })
}

/// Changes an entry in force; a removed or unknown one is not found.
pub fn edit(
    conn: &mut DbConn,
    by: &UserId,
    id: &SupportOrganisationId,
    input: &SupportInput,
) -> Result<SupportOrganisation, AppError> {
    db::write(conn, |conn| {
        let now = find(conn, id)?;
        diesel::update(so::table.find(id))
            .set(input.written(by, now.position))
            .execute(conn)?;
        audit::event(&Actor::Staff(by.clone()), "support.edit")
            .record("support_organisation", id)
            .write(conn)?;
        find(conn, id)
    })
}

/// Takes an entry off the list families read; the row is kept.
pub fn remove(conn: &mut DbConn, by: &UserId, id: &SupportOrganisationId) -> Result<(), AppError> {
    db::write(conn, |conn| {
        find(conn, id)?;
        diesel::update(so::table.find(id))
            .set((
                so::removed_at.eq(Some(db::now())),
                so::updated_by.eq(Some(by)),
            ))
            .execute(conn)?;
        audit::event(&Actor::Staff(by.clone()), "support.remove")
            .record("support_organisation", id)
            .write(conn)?;
        Ok(())
    })
}

fn find(conn: &mut DbConn, id: &SupportOrganisationId) -> Result<SupportOrganisation, AppError> {
    so::table
        .find(id)
        .filter(so::removed_at.is_null())
        .select(SupportOrganisation::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}
