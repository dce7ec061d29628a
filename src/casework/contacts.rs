//! The contact log: every contact with the family, who, when, how, what was said and what was
//! agreed. Append-only: a correction is an amendment with a reason, kept beside the original
//! (the database refuses UPDATE and DELETE of both). Logging a contact can create follow-ups
//! for the actions agreed, all in one transaction: either everything is written or nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::cases::Case;
use crate::casework::follow_ups::{self, NewFollowUp};
use crate::casework::notices::{News, notify_groups_of};
use crate::casework::record::require_open;
use crate::casework::time::london_date;
use crate::casework::types::{ContactChannel, Direction};
use crate::db::schema::{cases, contact_amendments, contact_relatives, contacts, relatives, users};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, ContactId, FollowUpId, LimitedText, RelativeId, UserId, new_row_id};
use crate::error::AppError;
use crate::notify::Kind;

/// Clock difference tolerated between a device and the server for "now".
pub const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: ContactId,
    pub case_id: CaseId,
    pub officer_id: UserId,
    /// As first recorded.
    #[diesel(embed)]
    #[serde(flatten)]
    pub details: ContactDetails,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = contact_amendments)]
pub struct Amendment {
    pub id: String,
    pub contact_id: ContactId,
    pub reason: String,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub occurred_at: Option<NaiveDateTime>,
    pub channel: Option<ContactChannel>,
    pub direction: Option<Direction>,
    pub duration_minutes: Option<i32>,
    pub discussion: Option<String>,
    pub family_summary: Option<String>,
    pub agreed_actions: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

/// What a contact records: when and how it happened, and what was said and agreed. A
/// contact's original holds them as first recorded; its view's `current`, as they stand after
/// every amendment.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = contacts)]
pub struct ContactDetails {
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub occurred_at: NaiveDateTime,
    pub channel: ContactChannel,
    pub direction: Direction,
    pub duration_minutes: Option<i32>,
    pub discussion: String,
    pub family_summary: Option<String>,
    pub agreed_actions: Option<String>,
}

/// A contact as pages and the API show it: the original, its amendments, and the current
/// reading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub original: Contact,
    pub officer_name: String,
    pub relatives: Vec<RelativeRef>,
    pub amendments: Vec<Amendment>,
    pub current: ContactDetails,
    pub follow_ups_created: Vec<FollowUpId>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelativeRef {
    pub id: RelativeId,
    pub name: String,
}

fn empty_as_none(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.is_empty())
}

/// A contact's details as they stand after `amendments`, oldest first.
fn current(contact: &Contact, amendments: &[Amendment]) -> ContactDetails {
    let mut c = contact.details.clone();
    for a in amendments {
        if let Some(v) = a.occurred_at {
            c.occurred_at = v;
        }
        if let Some(v) = a.channel {
            c.channel = v;
        }
        if let Some(v) = a.direction {
            c.direction = v;
        }
        if let Some(v) = a.duration_minutes {
            c.duration_minutes = Some(v);
        }
        if let Some(v) = &a.discussion {
            c.discussion = v.clone();
        }
        // An empty amended summary or action list removes it.
        if let Some(v) = &a.family_summary {
            c.family_summary = empty_as_none(Some(v.clone()));
        }
        if let Some(v) = &a.agreed_actions {
            c.agreed_actions = empty_as_none(Some(v.clone()));
        }
    }
    c
}

/// A parsed contact to log.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub occurred_at: NaiveDateTime,
    pub channel: ContactChannel,
    pub direction: Direction,
    pub duration_minutes: Option<i32>,
    pub relatives: Vec<RelativeId>,
    pub discussion: LimitedText,
    pub family_summary: Option<LimitedText>,
    pub agreed_actions: Option<LimitedText>,
    /// Follow-ups for the actions agreed, created in the same transaction.
    pub follow_ups: Vec<NewFollowUp>,
}

/// Checks a contact time against now and the date of death.
pub fn check_time(case: &Case, occurred_at: NaiveDateTime, field: &str) -> Result<(), AppError> {
    if occurred_at > db::now() + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(AppError::invalid(
            field,
            "The time of the contact is in the future. Check the date and time.",
        ));
    }
    if london_date(occurred_at) < case.date_of_death {
        return Err(AppError::invalid(
            field,
            format!(
                "The contact is dated before the date of death ({}). Check the date.",
                case.date_of_death.format("%-d %B %Y")
            ),
        ));
    }
    Ok(())
}

fn relatives_of(
    conn: &mut DbConn,
    case_id: &CaseId,
    ids: &[RelativeId],
) -> Result<Vec<RelativeRef>, AppError> {
    let found: Vec<(RelativeId, String)> = relatives::table
        .filter(relatives::case_id.eq(case_id))
        .filter(relatives::id.eq_any(ids))
        .select((relatives::id, relatives::full_name))
        .load(conn)?;
    if found.len() != ids.len() {
        return Err(AppError::invalid(
            "relatives",
            "Choose relatives on this case.",
        ));
    }
    Ok(found
        .into_iter()
        .map(|(id, name)| RelativeRef { id, name })
        .collect())
}

/// Recomputes the case's first and last contact times (used by the timeliness measures) from
/// the whole log, amendments included; needed only when a correction moves a contact's time.
fn refresh_contact_times(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<()> {
    let all: Vec<Contact> = contacts::table
        .filter(contacts::case_id.eq(case_id))
        .select(Contact::as_select())
        .load(conn)?;
    let amendments: Vec<Amendment> = contact_amendments::table
        .filter(contact_amendments::case_id.eq(case_id))
        .filter(contact_amendments::occurred_at.is_not_null())
        .select(Amendment::as_select())
        .order(contact_amendments::recorded_at.asc())
        .load(conn)?;
    let times: Vec<NaiveDateTime> = all
        .iter()
        .map(|c| {
            amendments
                .iter()
                .rev()
                .filter(|a| a.contact_id == c.id)
                .find_map(|a| a.occurred_at)
                .unwrap_or(c.details.occurred_at)
        })
        .collect();
    diesel::update(cases::table.find(case_id))
        .set((
            cases::first_contact_at.eq(times.iter().min().copied()),
            cases::last_contact_at.eq(times.iter().max().copied()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Logs a contact (and the follow-ups it agreed) on a case the caller works on.
pub fn log(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewContact,
) -> Result<ContactView, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        check_time(&case, new.occurred_at, "occurred_at")?;
        let people = if new.relatives.is_empty() {
            Vec::new()
        } else {
            relatives_of(conn, case_id, &new.relatives)?
        };
        if new.follow_ups.len() > crate::casework::limits::ACTIONS_PER_CONTACT {
            return Err(AppError::invalid(
                "follow_ups",
                format!(
                    "At most {} follow-ups can be created with one contact.",
                    crate::casework::limits::ACTIONS_PER_CONTACT
                ),
            ));
        }
        let id = ContactId::new();
        let now = db::now();
        diesel::insert_into(contacts::table)
            .values((
                contacts::id.eq(&id),
                contacts::case_id.eq(case_id),
                contacts::occurred_at.eq(new.occurred_at),
                contacts::officer_id.eq(&user.id),
                contacts::channel.eq(new.channel),
                contacts::direction.eq(new.direction),
                contacts::duration_minutes.eq(new.duration_minutes),
                contacts::discussion.eq(new.discussion.as_str()),
                contacts::family_summary.eq(new.family_summary.as_ref().map(LimitedText::as_str)),
                contacts::agreed_actions.eq(new.agreed_actions.as_ref().map(LimitedText::as_str)),
                contacts::recorded_by.eq(&user.id),
                contacts::recorded_at.eq(now),
            ))
            .execute(conn)?;
        for relative in &new.relatives {
            diesel::insert_into(contact_relatives::table)
                .values((
                    contact_relatives::contact_id.eq(&id),
                    contact_relatives::relative_id.eq(relative),
                ))
                .execute(conn)?;
        }
        let mut created = Vec::new();
        for (i, f) in new.follow_ups.iter().enumerate() {
            let made = follow_ups::insert(conn, user, &case, f, Some(&id))
                .map_err(|e| e.in_item("follow_ups", i))?;
            created.push(made);
        }
        // A new contact can only widen the range: no need to read the whole log.
        diesel::update(cases::table.find(case_id))
            .set((
                cases::first_contact_at.eq(Some(
                    case.first_contact_at
                        .map_or(new.occurred_at, |t| t.min(new.occurred_at)),
                )),
                cases::last_contact_at.eq(Some(
                    case.last_contact_at
                        .map_or(new.occurred_at, |t| t.max(new.occurred_at)),
                )),
            ))
            .execute(conn)?;
        if new.family_summary.is_some() {
            let cause = format!("contact:{id}");
            let news = News {
                kind: Kind::FamilyNews,
                cause: &cause,
                by: &user.id,
                path: format!("/family/timeline#contact-{id}"),
            };
            notify_groups_of(conn, case_id, &new.relatives, &news)?;
        }
        audit::event(&Actor::Staff(user.id.clone()), "contact.create")
            .record("contact", &id)
            .case(case_id)
            .detail(format!("{} follow-ups", created.len()))
            .write(conn)?;
        // Everything the answer shows was written just now: build it here, not by reading
        // it back.
        let original = Contact {
            id,
            case_id: case_id.clone(),
            officer_id: user.id.clone(),
            details: ContactDetails {
                occurred_at: new.occurred_at,
                channel: new.channel,
                direction: new.direction,
                duration_minutes: new.duration_minutes,
                discussion: new.discussion.as_str().to_owned(),
                family_summary: new.family_summary.as_ref().map(|t| t.as_str().to_owned()),
                agreed_actions: new.agreed_actions.as_ref().map(|t| t.as_str().to_owned()),
            },
            recorded_by: user.id.clone(),
            recorded_at: now,
        };
        Ok(ContactView {
            current: current(&original, &[]),
            officer_name: user.display_name.clone(),
            relatives: people,
            amendments: Vec::new(),
            original,
            follow_ups_created: created,
        })
    })
}

/// A parsed correction. `None` leaves a field as it was; an empty summary or action list
/// removes it.
#[derive(Debug, Clone, Default)]
pub struct NewAmendment {
    pub reason: Option<LimitedText>,
    pub occurred_at: Option<NaiveDateTime>,
    pub channel: Option<ContactChannel>,
    pub direction: Option<Direction>,
    pub duration_minutes: Option<i32>,
    pub discussion: Option<LimitedText>,
    pub family_summary: Option<String>,
    pub agreed_actions: Option<String>,
}

/// Records a correction to a contact, with its reason. The original is never changed.
pub fn amend(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    contact_id: &ContactId,
    a: &NewAmendment,
) -> Result<ContactView, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        let before = view(conn, case_id, contact_id)?.ok_or(AppError::NotFound)?;
        let Some(reason) = &a.reason else {
            return Err(AppError::invalid(
                "reason",
                "Say why the record is being corrected.",
            ));
        };
        let cur = &before.current;
        // Keep only real changes, so the amendment shows exactly what was corrected.
        let occurred_at = a.occurred_at.filter(|v| *v != cur.occurred_at);
        let channel = a.channel.filter(|v| *v != cur.channel);
        let direction = a.direction.filter(|v| *v != cur.direction);
        let duration = a
            .duration_minutes
            .filter(|v| Some(*v) != cur.duration_minutes);
        let discussion = a
            .discussion
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .filter(|v| *v != cur.discussion);
        let summary = a
            .family_summary
            .clone()
            .filter(|v| empty_as_none(Some(v.clone())) != cur.family_summary);
        let actions = a
            .agreed_actions
            .clone()
            .filter(|v| empty_as_none(Some(v.clone())) != cur.agreed_actions);
        if occurred_at.is_none()
            && channel.is_none()
            && direction.is_none()
            && duration.is_none()
            && discussion.is_none()
            && summary.is_none()
            && actions.is_none()
        {
            return Err(AppError::invalid(
                "reason",
                "Nothing was changed. Change a field to correct it.",
            ));
        }
        if let Some(t) = occurred_at {
            check_time(&case, t, "occurred_at")?;
        }
        let id = new_row_id();
        diesel::insert_into(contact_amendments::table)
            .values((
                contact_amendments::id.eq(&id),
                contact_amendments::contact_id.eq(contact_id),
                contact_amendments::case_id.eq(case_id),
                contact_amendments::reason.eq(reason.as_str()),
                contact_amendments::occurred_at.eq(occurred_at),
                contact_amendments::channel.eq(channel),
                contact_amendments::direction.eq(direction),
                contact_amendments::duration_minutes.eq(duration),
                contact_amendments::discussion.eq(discussion),
                contact_amendments::family_summary.eq(&summary),
                contact_amendments::agreed_actions.eq(actions),
                contact_amendments::recorded_by.eq(&user.id),
                contact_amendments::recorded_at.eq(db::now()),
            ))
            .execute(conn)?;
        if occurred_at.is_some() {
            refresh_contact_times(conn, case_id)?;
        }
        if summary.as_deref().is_some_and(|s| !s.is_empty()) {
            let with: Vec<RelativeId> = contact_relatives::table
                .filter(contact_relatives::contact_id.eq(contact_id))
                .select(contact_relatives::relative_id)
                .load(conn)?;
            let cause = format!("amendment:{id}");
            let news = News {
                kind: Kind::FamilyNews,
                cause: &cause,
                by: &user.id,
                path: format!("/family/timeline#contact-{contact_id}"),
            };
            notify_groups_of(conn, case_id, &with, &news)?;
        }
        audit::event(&Actor::Staff(user.id.clone()), "contact.amend")
            .record("contact", contact_id)
            .case(case_id)
            .write(conn)?;
        view(conn, case_id, contact_id)?.ok_or(AppError::NotFound)
    })
}

fn build(
    conn: &mut DbConn,
    contact: Contact,
    amendments: Vec<Amendment>,
) -> QueryResult<ContactView> {
    let officer_name = users::table
        .find(&contact.officer_id)
        .select(users::display_name)
        .first(conn)?;
    let people: Vec<(RelativeId, String)> = contact_relatives::table
        .inner_join(relatives::table.on(relatives::id.eq(contact_relatives::relative_id)))
        .filter(contact_relatives::contact_id.eq(&contact.id))
        .select((relatives::id, relatives::full_name))
        .load(conn)?;
    let follow_ups_created = crate::db::schema::follow_ups::table
        .filter(crate::db::schema::follow_ups::source_contact_id.eq(&contact.id))
        .select(crate::db::schema::follow_ups::id)
        .load(conn)?;
    Ok(ContactView {
        current: current(&contact, &amendments),
        officer_name,
        relatives: people
            .into_iter()
            .map(|(id, name)| RelativeRef { id, name })
            .collect(),
        amendments,
        original: contact,
        follow_ups_created,
    })
}

pub fn view(
    conn: &mut DbConn,
    case_id: &CaseId,
    id: &ContactId,
) -> QueryResult<Option<ContactView>> {
    let Some(contact) = contacts::table
        .filter(contacts::id.eq(id))
        .filter(contacts::case_id.eq(case_id))
        .select(Contact::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let amendments = contact_amendments::table
        .filter(contact_amendments::contact_id.eq(id))
        .select(Amendment::as_select())
        .order((
            contact_amendments::recorded_at.asc(),
            contact_amendments::id.asc(),
        ))
        .load(conn)?;
    build(conn, contact, amendments).map(Some)
}

/// Every contact on a case, most recent first (by when it happened).
/// A contact's summary for the family, as amended: only what the family may read of it.
#[derive(Debug, Clone)]
pub struct SharedSummary {
    pub id: ContactId,
    pub occurred_at: NaiveDateTime,
    pub summary: String,
    /// When it was last written: recorded, or amended since.
    pub shared_at: NaiveDateTime,
    /// The relatives the contact was with.
    pub relatives: Vec<RelativeId>,
}

/// The case's contacts that have a summary for the family, as amended, in three queries
/// however many there are, reading only family-facing columns. (What the contact was with
/// is kept in `contact_relatives`, written once with the contact, whose insert already tells
/// the family's kept pages that something changed.)
pub fn shared_summaries(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<SharedSummary>> {
    type Original = (ContactId, NaiveDateTime, Option<String>, NaiveDateTime);
    type Change = (
        ContactId,
        Option<NaiveDateTime>,
        Option<String>,
        NaiveDateTime,
    );
    let originals: Vec<Original> = contacts::table
        .filter(contacts::case_id.eq(case_id))
        .select((
            contacts::id,
            contacts::occurred_at,
            contacts::family_summary,
            contacts::recorded_at,
        ))
        .load(conn)?;
    let changes: Vec<Change> = contact_amendments::table
        .filter(contact_amendments::case_id.eq(case_id))
        .select((
            contact_amendments::contact_id,
            contact_amendments::occurred_at,
            contact_amendments::family_summary,
            contact_amendments::recorded_at,
        ))
        .order((
            contact_amendments::recorded_at.asc(),
            contact_amendments::id.asc(),
        ))
        .load(conn)?;
    let with: Vec<(ContactId, RelativeId)> = contact_relatives::table
        .inner_join(contacts::table.on(contacts::id.eq(contact_relatives::contact_id)))
        .filter(contacts::case_id.eq(case_id))
        .select((
            contact_relatives::contact_id,
            contact_relatives::relative_id,
        ))
        .load(conn)?;
    Ok(originals
        .into_iter()
        .filter_map(|(id, mut occurred_at, mut summary, mut shared_at)| {
            for (_, at, words, recorded) in changes.iter().filter(|c| c.0 == id) {
                occurred_at = at.unwrap_or(occurred_at);
                if let Some(words) = words {
                    summary = empty_as_none(Some(words.clone()));
                }
                shared_at = shared_at.max(*recorded);
            }
            let summary = summary.filter(|s| !s.trim().is_empty())?;
            Some(SharedSummary {
                relatives: with
                    .iter()
                    .filter(|(c, _)| *c == id)
                    .map(|(_, r)| r.clone())
                    .collect(),
                id,
                occurred_at,
                summary,
                shared_at,
            })
        })
        .collect())
}

pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<ContactView>> {
    let all: Vec<Contact> = contacts::table
        .filter(contacts::case_id.eq(case_id))
        .select(Contact::as_select())
        .order((contacts::occurred_at.desc(), contacts::id.desc()))
        .load(conn)?;
    let mut amendments: Vec<Amendment> = contact_amendments::table
        .filter(contact_amendments::case_id.eq(case_id))
        .select(Amendment::as_select())
        .order((
            contact_amendments::recorded_at.asc(),
            contact_amendments::id.asc(),
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(all.len());
    for contact in all {
        let (mine, rest): (Vec<Amendment>, Vec<Amendment>) = amendments
            .into_iter()
            .partition(|a| a.contact_id == contact.id);
        amendments = rest;
        out.push(build(conn, contact, mine)?);
    }
    Ok(out)
}
