//! Follow-ups: scheduling one, completing it with the contact that did it, cancelling with a reason.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkOnCase;
use crate::auth::csrf::CsrfForm;
use crate::casework::follow_ups::{self, Change};
use crate::casework::input::{self, FollowUpFields, Moment, Picked};
use crate::casework::relatives::{self};
use crate::casework::time::to_local_input;
use crate::casework::{assignments, limits};
use crate::db::{self};
use crate::domain::{
    CaseId, ContactId, FamilyGroupId, FollowUpId, FormErrors, RelativeId, UserId, Validator,
};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::see_other;

use super::{Asked, CaseGet, CasePost, Choice, Page, ReasonForm, case_url, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FollowUpForm {
    purpose: String,
    assignee_id: String,
    due_at: String,
    relative_id: String,
    is_appointment: Option<String>,
    place: String,
    family_group_id: String,
    family_title: String,
    family_note: String,
}

#[derive(Serialize)]
struct FollowUpPage<'a> {
    form: &'a FollowUpForm,
    errors: FormErrors,
    people: Vec<Choice>,
    relatives: Vec<Choice>,
    groups: Vec<Choice>,
}

async fn follow_up_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &FollowUpForm,
    errors: FormErrors,
) -> Page {
    let (state, user, id) = (on.state, on.user, on.id);
    let (_, header) = on.load("follow-up form").await?;
    let cid = id.clone();
    let (named, people) = state
        .db
        .run(move |conn| Ok((assignments::list(conn, &cid)?, relatives::list(conn, &cid)?)))
        .await?;
    let mut seen = std::collections::HashSet::new();
    let mut staff: Vec<Choice> = vec![Choice {
        value: user.id.to_string(),
        text: format!("{} (me)", user.display_name),
        selected: form.assignee_id.is_empty() || form.assignee_id == user.id.as_str(),
    }];
    seen.insert(user.id.to_string());
    for a in named.into_iter().filter(|a| a.active) {
        if seen.insert(a.user_id.to_string()) {
            staff.push(Choice {
                selected: form.assignee_id == a.user_id.as_str(),
                value: a.user_id.to_string(),
                text: format!("{} ({})", a.user_name, a.role_label),
            });
        }
    }
    let body = FollowUpPage {
        groups: super::group_choices(&header, &form.family_group_id),
        form,
        errors,
        people: staff,
        relatives: people
            .into_iter()
            .map(|r| Choice {
                selected: form.relative_id == r.id.as_str(),
                value: r.id.to_string(),
                text: r.full_name,
            })
            .collect(),
    };
    on.page(
        status,
        "pages/staff/follow_up_new",
        "Add a follow-up",
        header,
        body,
    )
}

pub async fn follow_up_form((req, state, user, path): CaseGet) -> Page {
    let form = FollowUpForm {
        due_at: to_local_input(db::now() + chrono::Duration::days(1)),
        ..FollowUpForm::default()
    };
    follow_up_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn follow_up_create((req, state, user, path, form): CasePost<FollowUpForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let new = input::follow_up(
        FollowUpFields {
            purpose: &form.purpose,
            assignee: Picked::text(&form.assignee_id, UserId::parse),
            due_at: Moment::Local(&form.due_at),
            relative: Picked::text(&form.relative_id, RelativeId::parse),
            is_appointment: form.is_appointment.is_some(),
            place: Some(&form.place),
            group: Picked::text(&form.family_group_id, FamilyGroupId::parse),
            family_title: Some(&form.family_title),
            family_note: Some(&form.family_note),
        },
        str::to_owned,
        &mut v,
    );
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| follow_ups::create(conn, &me, &cid, &new),
        "purpose",
        |_| format!("{}?saved=follow_up#follow-ups", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            follow_up_page(Asked::new(&req, &state, &user, &id), status, &form, errors).await
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CompleteForm {
    contact_id: String,
}

pub async fn follow_up_complete(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, FollowUpId)>,
    form: CsrfForm<CompleteForm>,
) -> Page {
    let form = form.into_inner()?;
    let contact =
        match form.contact_id.trim() {
            "" => None,
            c => Some(ContactId::parse(c).ok_or_else(|| {
                AppError::invalid("contact_id", "Choose a contact from the list.")
            })?),
        };
    apply(
        &state,
        user,
        path,
        Change::Complete(contact),
        "follow_up_done",
    )
    .await
}

pub async fn follow_up_cancel(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, FollowUpId)>,
    form: CsrfForm<ReasonForm>,
) -> Page {
    let reason = input::required("reason", &form.into_inner()?.reason, limits::REASON)?;
    apply(
        &state,
        user,
        path,
        Change::Cancel(reason),
        "follow_up_cancelled",
    )
    .await
}

/// Applies a change to a follow-up and goes back to the case, saying what was saved.
async fn apply(
    state: &AppState,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, FollowUpId)>,
    change: Change,
    saved: &str,
) -> Page {
    let (me, (id, f)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| follow_ups::change(conn, &me, &id, &f, &change))
        .await?;
    Ok(see_other(&format!("{back}?saved={saved}#follow-ups")))
}
