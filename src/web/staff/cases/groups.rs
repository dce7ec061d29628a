//! Staff pages' actions on family groups and restricted relatives: a new group with its first
//! member, moving a relative, restricting a relative and lifting it. Each answers on the
//! relative's page; a refusal (the last member of a group, restricting twice) is an error page
//! naming what to do.

use actix_web::web;
use serde::Deserialize;

use crate::auth::CaseworkOnCase;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::input;
use crate::casework::limits;
use crate::casework::{groups, relatives};
use crate::db::DbConn;
use crate::domain::{CaseId, FamilyGroupId, RelativeId};
use crate::error::AppError;
use crate::family::restrictions::{self, Change};
use crate::state::AppState;
use crate::web::messages::{AccessChange, Restricting, change_access};
use crate::web::pages::see_other;

use super::{Page, case_url};

fn relative_url(case: &CaseId, relative: &RelativeId) -> String {
    format!("{}/relatives/{relative}/edit", case_url(case))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewGroupForm {
    name: String,
    first_member: String,
}

pub async fn group_create(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<CaseId>,
    form: CsrfForm<NewGroupForm>,
) -> Page {
    let form = form.into_inner()?;
    let name = groups::parse_name("name", &form.name)?;
    let first = RelativeId::parse(form.first_member.trim())
        .ok_or_else(|| AppError::invalid("first_member", "Choose a relative of this case."))?;
    let (me, id, member) = (user.0, path.into_inner(), first.clone());
    let group = state
        .db
        .run(move |conn| relatives::start_group(conn, &me, &id, &name, &member))
        .await?;
    Ok(see_other(&relative_url(&group.group.case_id, &first)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    family_group_id: String,
    reason: String,
}

pub async fn relative_move((state, user, path, form): AccessChange<CsrfForm<MoveForm>>) -> Page {
    let form = form.into_inner()?;
    let to = FamilyGroupId::parse(form.family_group_id.trim()).ok_or_else(|| {
        AppError::invalid(
            "family_group_id",
            "Choose one of this case's family groups.",
        )
    })?;
    let reason = input::required("reason", &form.reason, limits::REASON)?;
    let change = move |conn: &mut DbConn, me: &StaffUser, id: &CaseId, relative: &RelativeId| {
        relatives::move_to_group(conn, me, id, relative, &to, &reason)
    };
    let moved = change_access(&state, user, path, change).await?;
    Ok(see_other(&relative_url(&moved.case_id, &moved.id)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RestrictionForm {
    reason: String,
}

pub async fn restrict(asked: Restricting<CsrfForm<RestrictionForm>>) -> Page {
    restriction(asked, Change::Restrict).await
}

pub async fn lift(asked: Restricting<CsrfForm<RestrictionForm>>) -> Page {
    restriction(asked, Change::Lift).await
}

/// Restricts a relative or lifts it, then back to their page.
async fn restriction(
    (state, user, path, form): Restricting<CsrfForm<RestrictionForm>>,
    change: Change,
) -> Page {
    let reason = input::restriction_reason(&form.into_inner()?.reason)?;
    let ((id, relative), me) = (path.into_inner(), user.0);
    let changed = state
        .db
        .run(move |conn| restrictions::change(conn, &me, &id, &relative, &reason, change))
        .await?;
    Ok(see_other(&relative_url(&changed.case_id, &changed.id)))
}
