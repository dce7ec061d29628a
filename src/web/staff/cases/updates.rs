//! Updates on the case timeline, shared with the family or staff only, with a stage change where there is one.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::casework::input::{self, Picked, UpdateFields};
use crate::casework::links;
use crate::casework::types::Stage;
use crate::casework::updates::{self};
use crate::domain::{FamilyGroupId, FormErrors, Validator};

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, choices, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UpdateForm {
    title: String,
    body: String,
    shared_with_family: Option<String>,
    stage: String,
    to_linked: Option<String>,
    /// The family groups it goes to; none ticked: every group.
    family_group_ids: Vec<String>,
}

#[derive(Serialize)]
struct UpdatePage<'a> {
    form: &'a UpdateForm,
    errors: FormErrors,
    stages: Vec<Choice>,
    has_links: bool,
    groups: Vec<Choice>,
}

async fn update_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &UpdateForm,
    errors: FormErrors,
) -> Page {
    let (state, id) = (on.state, on.id);
    let (_, header) = on.load("update form").await?;
    let cid = id.clone();
    let has_links = !state
        .db
        .run(move |conn| Ok(links::linked_ids(conn, &cid)?))
        .await?
        .is_empty();
    let mut groups = super::group_choices(&header, "");
    for g in &mut groups {
        g.selected = form.family_group_ids.contains(&g.value);
    }
    let body = UpdatePage {
        groups,
        form,
        errors,
        stages: choices(Stage::ALL, Stage::as_str, Stage::label, &form.stage),
        has_links,
    };
    on.page(
        status,
        "pages/staff/update_new",
        "Post an update",
        header,
        body,
    )
}

pub async fn update_form((req, state, user, path): CaseGet) -> Page {
    let form = UpdateForm {
        shared_with_family: Some("on".into()),
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
            stage: Picked::text(&form.stage, Stage::parse),
            key_event: false,
            groups: form
                .family_group_ids
                .iter()
                .map(|g| Picked::text(g, FamilyGroupId::parse))
                .collect(),
        },
        &mut v,
    );
    let (me, cid, linked) = (user.0.clone(), id.clone(), form.to_linked.is_some());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| {
            if linked {
                updates::post_to_linked(conn, &me, &cid, &new).map(drop)
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
