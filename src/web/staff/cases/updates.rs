//! Updates on the case timeline, shared with the family or staff only, with the milestone
//! reached where there is one.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::casework::input::{self, Picked, UpdateFields};
use crate::casework::milestones;
use crate::casework::operations;
use crate::casework::time::london_date;
use crate::casework::types::{Milestone, MilestoneState};
use crate::casework::updates::{self};
use crate::domain::{FamilyGroupId, FormErrors, Validator};

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, choices, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UpdateForm {
    title: String,
    body: String,
    shared_with_family: Option<String>,
    milestone: String,
    reached_on: String,
    to_operation: Option<String>,
    /// The family groups it goes to; none ticked: every group.
    family_group_ids: Vec<String>,
}

#[derive(Serialize)]
struct UpdatePage<'a> {
    form: &'a UpdateForm,
    errors: FormErrors,
    milestones: Vec<Choice>,
    /// The name of the case's operation, if it is in one.
    operation: Option<String>,
    groups: Vec<Choice>,
}

async fn update_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &UpdateForm,
    errors: FormErrors,
) -> Page {
    let (case, header) = on.load("update form").await?;
    let (operation, progress) = on
        .read(move |conn, id| {
            let operation = operations::named_of_case(conn, id)?.map(|(_, name)| name);
            Ok((operation, milestones::progress(conn, &case)?))
        })
        .await?;
    // The type's milestones still to be reached (one marked not needed may happen after all).
    let to_come: Vec<Milestone> = progress
        .steps
        .iter()
        .filter(|s| s.state != Some(MilestoneState::Reached))
        .map(|s| s.milestone)
        .collect();
    let mut groups = super::group_choices(&header, "");
    for g in &mut groups {
        g.selected = form.family_group_ids.contains(&g.value);
    }
    let body = UpdatePage {
        groups,
        form,
        errors,
        milestones: choices(
            &to_come,
            Milestone::as_str,
            Milestone::label,
            &form.milestone,
        ),
        operation,
    };
    on.page(
        status,
        "pages/staff/update_new",
        "Post an update",
        header,
        body,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpdateQuery {
    /// A milestone to record (the milestones page links here with it).
    milestone: String,
}

pub async fn update_form(
    (req, state, user, path): CaseGet,
    query: web::Query<UpdateQuery>,
) -> Page {
    let milestone = Milestone::parse(query.milestone.trim());
    let form = UpdateForm {
        shared_with_family: Some("on".into()),
        title: milestone.map(|m| m.label().to_owned()).unwrap_or_default(),
        milestone: milestone.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        reached_on: london_date(crate::db::now()).to_string(),
        ..UpdateForm::default()
    };
    update_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn update_create((req, state, user, path, form): CasePost<UpdateForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let new = input::update(
        UpdateFields {
            title: &form.title,
            body: &form.body,
            shared_with_family: form.shared_with_family.is_some(),
            milestone: Picked::text(&form.milestone, Milestone::parse),
            reached_on: Some(&form.reached_on),
            key_event: false,
            groups: form
                .family_group_ids
                .iter()
                .map(|g| Picked::text(g, FamilyGroupId::parse))
                .collect(),
        },
        &mut v,
    );
    let (me, cid, to_operation) = (user.0.clone(), id.clone(), form.to_operation.is_some());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| {
            if to_operation {
                updates::post_to_operation(conn, &me, &cid, &new).map(drop)
            } else {
                updates::post(conn, &me, &cid, &new).map(drop)
            }
        },
        "title",
        |_| format!("{}?saved=update#timeline", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            update_page(Asked::new(&req, &state, &user, &id), status, &form, errors).await
        },
    )
    .await
}
