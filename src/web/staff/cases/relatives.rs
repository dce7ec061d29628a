//! Relatives: adding one, and changing their details (versioned: a stale edit shows both versions).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkOnCase;
use crate::auth::CaseworkUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::groups::{self, Joining};
use crate::casework::input::{self, Picked, RelativeFields};
use crate::casework::relatives::{self, Edited, RelativeInput};
use crate::casework::types::ContactChannel;
use crate::db::DbConn;
use crate::domain::{CaseId, FamilyGroupId, FormErrors, RelativeId, Validator};
use crate::error::AppError;
use crate::family::restrictions::{self, RestrictionEvent};
use crate::i18n::Lang;
use crate::web::pages::Incoming;
use crate::web::pages::see_other;

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, channel_choices, choices, save};

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(default)]
pub struct RelativeForm {
    full_name: String,
    relationship: String,
    email: String,
    phone: String,
    address: String,
    preferred_channel: String,
    language: String,
    point_of_contact: Option<String>,
    notify_by_email: Option<String>,
    quiet_hours_start: String,
    quiet_hours_end: String,
    version: String,
    /// When adding: the group they join, or the name of a new one.
    family_group_id: String,
    new_family_group: String,
}

impl RelativeForm {
    fn from_record(r: &relatives::Relative) -> RelativeForm {
        RelativeForm {
            full_name: r.full_name.clone(),
            relationship: r.relationship.clone(),
            email: r.email.clone().unwrap_or_default(),
            phone: r.phone.clone().unwrap_or_default(),
            address: r.address.clone().unwrap_or_default(),
            preferred_channel: r.preferred_channel.as_str().into(),
            language: r.language.as_str().into(),
            point_of_contact: r.point_of_contact.then(|| "on".into()),
            notify_by_email: r.notify_by_email.then(|| "on".into()),
            quiet_hours_start: r.quiet_hours_start.clone().unwrap_or_default(),
            quiet_hours_end: r.quiet_hours_end.clone().unwrap_or_default(),
            version: r.version.to_string(),
            ..RelativeForm::default()
        }
    }

    fn parse(&self) -> Result<RelativeInput, Result<FormErrors, AppError>> {
        let mut v = Validator::default();
        let input = self.fields(&mut v);
        v.finish_with(input)
    }

    /// The relative and the group they join, for adding them.
    fn parse_new(&self) -> Result<(RelativeInput, Joining), Result<FormErrors, AppError>> {
        let mut v = Validator::default();
        let input = self.fields(&mut v);
        let joining = input::joining(
            Picked::text(&self.family_group_id, FamilyGroupId::parse),
            Some(&self.new_family_group),
            &mut v,
        );
        v.finish_with((|| Some((input?, joining?)))())
    }

    fn fields(&self, v: &mut Validator) -> Option<RelativeInput> {
        input::relative(
            RelativeFields {
                full_name: &self.full_name,
                relationship: &self.relationship,
                email: Some(&self.email),
                phone: Some(&self.phone),
                address: Some(&self.address),
                preferred_channel: Picked::text(&self.preferred_channel, ContactChannel::parse),
                language: Picked::text(&self.language, Lang::parse),
                point_of_contact: self.point_of_contact.is_some(),
                notify_by_email: self.notify_by_email.is_some(),
                quiet_hours_start: Some(&self.quiet_hours_start),
                quiet_hours_end: Some(&self.quiet_hours_end),
            },
            v,
        )
    }
}

#[derive(Serialize)]
struct RelativePage<'a> {
    form: &'a RelativeForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    languages: Vec<Choice>,
    action: String,
    editing: bool,
    /// On a stale edit: what the other person saved.
    theirs: Option<RelativeForm>,
    /// When editing: the relative's portal access, for the invite and suspend forms.
    access: Option<relatives::Relative>,
    /// When adding: the groups they may join.
    groups: Vec<Choice>,
    /// When editing: their group, and their restriction.
    family: Option<RelativeFamily>,
}

/// A relative's family group and restriction, as their page shows them.
#[derive(Serialize)]
struct RelativeFamily {
    group_name: String,
    /// The other groups they can be moved to.
    other_groups: Vec<Choice>,
    restricted_by_name: Option<String>,
    /// The viewer is the case's SIO or a manager: they may restrict, lift and read why.
    can_restrict: bool,
    /// For the SIO and managers: every restriction and lifting, with its reason.
    restrictions: Vec<RestrictionEvent>,
}

fn relative_family(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    relative: &relatives::Relative,
) -> Result<RelativeFamily, AppError> {
    let case = access::require_visible(conn, user, case_id)?;
    let can_restrict = access::sio_or_manager(conn, user, &case)?;
    let groups = groups::list(conn, case_id)?;
    let mine = relative.family_group_id.as_ref();
    let restricted_by_name = match &relative.restricted_by {
        Some(by) => crate::accounts::users::find(conn, by)?.map(|u| u.display_name),
        None => None,
    };
    let restrictions = if can_restrict && restrictions::ever_restricted(conn, &relative.id)? {
        restrictions::history(conn, user, case_id, &relative.id)?
    } else {
        Vec::new()
    };
    Ok(RelativeFamily {
        group_name: groups
            .iter()
            .find(|g| Some(&g.id) == mine)
            .map(|g| g.name.clone())
            .unwrap_or_default(),
        other_groups: groups
            .iter()
            .filter(|g| Some(&g.id) != mine)
            .map(|g| Choice {
                value: g.id.to_string(),
                text: g.name.clone(),
                selected: false,
            })
            .collect(),
        restricted_by_name,
        can_restrict,
        restrictions,
    })
}

#[allow(clippy::too_many_arguments)]
async fn relative_page(
    on: Asked<'_>,
    relative: Option<&RelativeId>,
    status: StatusCode,
    form: &RelativeForm,
    errors: FormErrors,
    theirs: Option<RelativeForm>,
) -> Page {
    let (state, id) = (on.state, on.id);
    let (_, header) = on.load("relative form").await?;
    let (access, family) = match relative {
        Some(r) => {
            let (me, cid, rid) = (on.user.clone(), id.clone(), r.clone());
            state
                .db
                .run(move |conn| {
                    let Some(found) = relatives::find(conn, &cid, &rid)? else {
                        return Ok((None, None));
                    };
                    let family = relative_family(conn, &me, &cid, &found)?;
                    Ok((Some(found), Some(family)))
                })
                .await?
        }
        None => (None, None),
    };
    let action = match relative {
        Some(r) => format!("{}/relatives/{r}/edit", case_url(id)),
        None => format!("{}/relatives", case_url(id)),
    };
    let body = RelativePage {
        form,
        errors,
        channels: channel_choices(&form.preferred_channel),
        languages: choices(Lang::ALL, Lang::as_str, Lang::label, &form.language),
        action,
        editing: relative.is_some(),
        theirs,
        access,
        groups: {
            let mut groups = super::group_choices(&header, &form.family_group_id);
            // With one group and nothing chosen yet, a new relative joins it.
            if let [only] = groups.as_mut_slice()
                && form.family_group_id.is_empty()
                && form.new_family_group.trim().is_empty()
            {
                only.selected = true;
            }
            groups
        },
        family,
    };
    let title = if relative.is_some() {
        "Change a relative's details"
    } else {
        "Add a relative"
    };
    on.page(status, "pages/staff/relative", title, header, body)
}

pub async fn relative_form((req, state, user, path): CaseGet) -> Page {
    let form = RelativeForm {
        preferred_channel: "phone".into(),
        language: "en".into(),
        notify_by_email: Some("on".into()),
        ..RelativeForm::default()
    };
    relative_page(
        Asked::new(&req, &state, &user, &path),
        None,
        StatusCode::OK,
        &form,
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn relative_create((req, state, user, path, form): CasePost<RelativeForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        form.parse_new(),
        move |conn, (input, joining)| relatives::add(conn, &me, &cid, &input, &joining),
        "full_name",
        |_| format!("{}?saved=relative#relatives", case_url(&id)),
        async |errors| {
            let on = Asked::new(&req, &state, &user, &id);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            relative_page(on, None, status, &form, errors, None).await
        },
    )
    .await
}

pub async fn relative_edit_form(
    (req, state): Incoming,
    user: CaseworkUser,
    path: web::Path<(CaseId, RelativeId)>,
) -> Page {
    let (id, relative) = path.into_inner();
    let (me, cid, rid) = (user.0.clone(), id.clone(), relative.clone());
    let record = state
        .db
        .run(move |conn| {
            access::require_visible(conn, &me, &cid)?;
            relatives::find(conn, &cid, &rid)?.ok_or(AppError::NotFound)
        })
        .await?;
    let form = RelativeForm::from_record(&record);
    relative_page(
        Asked::new(&req, &state, &user, &id),
        Some(&relative),
        StatusCode::OK,
        &form,
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn relative_edit(
    (req, state): Incoming,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, RelativeId)>,
    form: CsrfForm<RelativeForm>,
) -> Page {
    let form = form.into_inner()?;
    let (id, relative) = path.into_inner();
    let version: i64 = form.version.trim().parse().map_err(|_| {
        AppError::BadRequest("The form is missing its version; reload the page.".into())
    })?;
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return relative_page(
                Asked::new(&req, &state, &user, &id),
                Some(&relative),
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors?,
                None,
            )
            .await;
        }
    };
    let (me, cid, rid) = (user.0.clone(), id.clone(), relative.clone());
    match state
        .db
        .run(move |conn| relatives::edit(conn, &me, &cid, &rid, version, &input))
        .await?
    {
        Edited::Saved(_) => Ok(see_other(&format!(
            "{}?saved=relative#relatives",
            case_url(&id)
        ))),
        Edited::Stale(current) => {
            let mut errors = FormErrors::default();
            errors.add(
                "full_name",
                "Someone else changed these details while you were editing. Their version is shown below; your changes are still in the form. Check both, then save again.",
            );
            let mut mine = form.clone();
            mine.version = current.version.to_string();
            let theirs = RelativeForm::from_record(&current);
            relative_page(
                Asked::new(&req, &state, &user, &id),
                Some(&relative),
                StatusCode::CONFLICT,
                &mine,
                errors,
                Some(theirs),
            )
            .await
        }
    }
}
