//! The case's type and milestones for staff: where each milestone stands (with its date or
//! the reason it is not needed), the history of records and type changes, and the forms to
//! change the type and to mark a milestone not needed or needed after all. A milestone is
//! recorded as reached from the update form, which this page links to.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::casework::input;
use crate::casework::milestones::{self, Mark, Progress};
use crate::casework::types::{CaseType, Milestone, MilestoneState};
use crate::domain::{FormErrors, Picked, Validator};

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, choices, save};

/// The type form's fields are named `type_...` on the page (`type_case_type`,
/// `type_reason`), the mark forms' `not_needed_...` and `needed_...`, so that the three
/// forms' fields have ids of their own.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TypeForm {
    #[serde(alias = "type_case_type")]
    case_type: String,
    #[serde(alias = "type_reason")]
    reason: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MarkForm {
    #[serde(alias = "not_needed_milestone", alias = "needed_milestone")]
    milestone: String,
    #[serde(alias = "not_needed_reason", alias = "needed_reason")]
    reason: String,
}

/// Which form was sent, with what was typed, so the page shows it again beside its errors.
#[derive(Default, Serialize)]
struct Sent<'a> {
    case_type: Option<&'a TypeForm>,
    not_needed: Option<&'a MarkForm>,
    needed: Option<&'a MarkForm>,
}

#[derive(Serialize)]
struct MilestonesPage<'a> {
    progress: Progress,
    types: Vec<Choice>,
    to_mark: Vec<Choice>,
    marked: Vec<Choice>,
    sent: Sent<'a>,
    /// Each field prefixed with its form's name.
    errors: FormErrors,
    saved: bool,
}

async fn milestones_page(
    on: Asked<'_>,
    status: StatusCode,
    sent: Sent<'_>,
    errors: FormErrors,
    saved: bool,
) -> Page {
    let (case, header) = on.load("milestones").await?;
    let progress = on
        .read(move |conn, _| Ok(milestones::progress(conn, &case)?))
        .await?;
    let in_state = |marked: bool| -> Vec<Milestone> {
        progress
            .steps
            .iter()
            .filter(|s| match s.state {
                Some(MilestoneState::NotNeeded) => marked,
                Some(MilestoneState::Reached) => false,
                None | Some(MilestoneState::Needed) => !marked,
            })
            .map(|s| s.milestone)
            .collect()
    };
    let (to_mark, marked) = (in_state(false), in_state(true));
    let chosen = |f: Option<&MarkForm>| f.map(|f| f.milestone.clone()).unwrap_or_default();
    let errors = match (&sent.case_type, &sent.not_needed) {
        (Some(_), _) => errors.prefixed("type_"),
        (None, Some(_)) => errors.prefixed("not_needed_"),
        (None, None) => errors.prefixed("needed_"),
    };
    let body = MilestonesPage {
        types: choices(
            CaseType::ALL,
            CaseType::as_str,
            CaseType::label,
            sent.case_type.map_or("", |f| f.case_type.as_str()),
        ),
        to_mark: choices(
            &to_mark,
            Milestone::as_str,
            Milestone::label,
            &chosen(sent.not_needed),
        ),
        marked: choices(
            &marked,
            Milestone::as_str,
            Milestone::label,
            &chosen(sent.needed),
        ),
        progress,
        sent,
        errors,
        saved,
    };
    on.page(
        status,
        "pages/staff/milestones",
        "Type and milestones",
        header,
        body,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn milestones((req, state, user, path): CaseGet, query: web::Query<SavedQuery>) -> Page {
    let on = Asked::new(&req, &state, &user, &path);
    let saved = query.saved.is_some();
    milestones_page(
        on,
        StatusCode::OK,
        Sent::default(),
        FormErrors::default(),
        saved,
    )
    .await
}

fn done(id: &crate::domain::CaseId) -> String {
    format!("{}/milestones?saved=1", case_url(id))
}

pub async fn type_change((req, state, user, path, form): CasePost<TypeForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let case_type = v.check(
        Picked::text(&form.case_type, CaseType::parse)
            .required("case_type", "Choose the case's type from the list."),
    );
    let reason = v.check(input::type_change_reason(&form.reason));
    let checked = v.finish_with(case_type.zip(reason));
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        checked,
        move |conn, (case_type, reason)| {
            milestones::change_type(conn, &me, &cid, case_type, &reason).map(drop)
        },
        "case_type",
        |_| done(&id),
        async |errors| {
            let sent = Sent {
                case_type: Some(&form),
                ..Sent::default()
            };
            let on = Asked::new(&req, &state, &user, &id);
            milestones_page(on, StatusCode::UNPROCESSABLE_ENTITY, sent, errors, false).await
        },
    )
    .await
}

pub async fn not_needed(asked: CasePost<MarkForm>) -> Page {
    mark(asked, Mark::NotNeeded).await
}

pub async fn needed(asked: CasePost<MarkForm>) -> Page {
    mark(asked, Mark::Needed).await
}

async fn mark((req, state, user, path, form): CasePost<MarkForm>, how: Mark) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let milestone = v.check(
        Picked::text(&form.milestone, Milestone::parse)
            .required("milestone", "Choose a milestone from the list."),
    );
    let reason = v.check(input::milestone_reason(&form.reason));
    let checked = v.finish_with(milestone.zip(reason));
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        checked,
        move |conn, (milestone, reason)| {
            milestones::mark(conn, &me, &cid, milestone, how, &reason).map(drop)
        },
        "milestone",
        |_| done(&id),
        async |errors| {
            let sent = match how {
                Mark::NotNeeded => Sent {
                    not_needed: Some(&form),
                    ..Sent::default()
                },
                Mark::Needed => Sent {
                    needed: Some(&form),
                    ..Sent::default()
                },
            };
            let on = Asked::new(&req, &state, &user, &id);
            milestones_page(on, StatusCode::UNPROCESSABLE_ENTITY, sent, errors, false).await
        },
    )
    .await
}
