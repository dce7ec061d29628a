//! Named contacts: managers assign officers to a case and end assignments.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::ManagerOnCase;
use crate::auth::ManagerUser;
use crate::auth::csrf::CsrfForm;
use crate::casework::input::{self, AssignmentFields, Moment, Picked};
use crate::casework::types::AssignmentRole;
use crate::casework::{assignments, limits};
use crate::domain::{AssignmentId, CaseId, FamilyGroupId, FormErrors, UserId, Validator};
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::see_other;

use super::{Asked, Choice, Page, ReasonForm, case_url, choices, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AssignForm {
    user_id: String,
    role: String,
    visible_to_family: Option<String>,
    contact_phone: String,
    contact_email: String,
    working_hours: String,
    cover_user_id: String,
    cover_note: String,
    family_group_id: String,
}

#[derive(Serialize)]
struct AssignPage<'a> {
    form: &'a AssignForm,
    errors: FormErrors,
    people: Vec<Choice>,
    cover: Vec<Choice>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
}

async fn assign_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &AssignForm,
    errors: FormErrors,
) -> Page {
    let state = on.state;
    let (case, header) = on.load("assignment form").await?;
    let team = case.team_id.clone();
    let members = state
        .db
        .run(move |conn| Ok(crate::accounts::teams::members(conn, &team)?))
        .await?;
    let staff = |selected: &str| -> Vec<Choice> {
        members
            .iter()
            .filter(|u| u.active)
            .map(|u| Choice {
                value: u.id.to_string(),
                text: format!("{} ({})", u.display_name, u.role.label()),
                selected: u.id.as_str() == selected,
            })
            .collect()
    };
    let body = AssignPage {
        groups: super::group_choices(&header, &form.family_group_id),
        people: staff(&form.user_id),
        cover: staff(&form.cover_user_id),
        roles: choices(
            AssignmentRole::ALL,
            AssignmentRole::as_str,
            AssignmentRole::label,
            &form.role,
        ),
        form,
        errors,
    };
    on.page(
        status,
        "pages/staff/assignment_new",
        "Name a contact",
        header,
        body,
    )
}

pub async fn assign_form(
    (req, state): Incoming,
    user: ManagerUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = AssignForm {
        role: "flo".into(),
        visible_to_family: Some("on".into()),
        ..AssignForm::default()
    };
    assign_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn assign(
    (req, state): Incoming,
    user: ManagerOnCase,
    path: web::Path<CaseId>,
    form: CsrfForm<AssignForm>,
) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let new = input::assignment(
        AssignmentFields {
            user: Picked::text(&form.user_id, UserId::parse),
            role: Picked::text(&form.role, AssignmentRole::parse),
            starts_at: Moment::Absent,
            ends_at: Moment::Absent,
            visible_to_family: form.visible_to_family.is_some(),
            contact_phone: Some(&form.contact_phone),
            contact_email: Some(&form.contact_email),
            working_hours: Some(&form.working_hours),
            cover: Picked::text(&form.cover_user_id, UserId::parse),
            cover_note: Some(&form.cover_note),
            group: Picked::text(&form.family_group_id, FamilyGroupId::parse),
        },
        &mut v,
    );
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| assignments::assign(conn, &me, &cid, &new),
        "user_id",
        |_| format!("{}?saved=assignment#contacts", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            assign_page(Asked::new(&req, &state, &user, &id), status, &form, errors).await
        },
    )
    .await
}

pub async fn end_assignment(
    state: web::Data<AppState>,
    user: ManagerOnCase,
    path: web::Path<(CaseId, AssignmentId)>,
    form: CsrfForm<ReasonForm>,
) -> Page {
    let reason = input::required("reason", &form.into_inner()?.reason, limits::REASON)?;
    let (me, (id, a)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| assignments::end(conn, &me, &id, &a, &reason))
        .await?;
    Ok(see_other(&format!(
        "{back}?saved=assignment_ended#contacts"
    )))
}
