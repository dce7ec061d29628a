//! The contact log: the quick form (with follow-ups agreed in the same submit), a contact with its corrections, and amending it.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkOnCase;
use crate::auth::CaseworkUser;
use crate::auth::csrf::CsrfForm;
use crate::casework::contacts::{self, NewContact};
use crate::casework::input::{
    self, AmendmentFields, ContactFields, FollowUpFields, Moment, Picked,
};
use crate::casework::limits;
use crate::casework::relatives::{self};
use crate::casework::time::to_local_input;
use crate::casework::types::{ContactChannel, Direction};
use crate::db::{self};
use crate::domain::{CaseId, ContactId, FormErrors, RelativeId, UserId, Validator};
use crate::error::AppError;
use crate::web::pages::Incoming;

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, channel_choices, choices, save};

/// Who made contact, as the form offers it.
fn direction_choices(selected: &str) -> Vec<Choice> {
    choices(
        Direction::ALL,
        Direction::as_str,
        Direction::label,
        selected,
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContactForm {
    occurred_at: String,
    channel: String,
    direction: String,
    duration_minutes: String,
    relatives: Vec<String>,
    discussion: String,
    family_summary: String,
    agreed_actions: String,
    follow_up_purpose: Vec<String>,
    follow_up_due: Vec<String>,
}

#[derive(Serialize)]
struct FollowUpRow {
    n: usize,
    purpose: String,
    due: String,
    purpose_error: Option<String>,
    due_error: Option<String>,
}

#[derive(Serialize)]
struct ContactPage<'a> {
    form: &'a ContactForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    directions: Vec<Choice>,
    relatives: Vec<Choice>,
    follow_up_rows: Vec<FollowUpRow>,
    draft_key: String,
    limits: serde_json::Value,
}

async fn contact_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &ContactForm,
    errors: FormErrors,
) -> Page {
    let id = on.id;
    let (_, header) = on.load("contact form").await?;
    let people = on.read(|conn, id| Ok(relatives::list(conn, id)?)).await?;
    let relatives = people
        .into_iter()
        .map(|r| Choice {
            selected: form.relatives.contains(&r.id.to_string()),
            value: r.id.to_string(),
            text: format!("{} ({})", r.full_name, r.relationship),
        })
        .collect();
    let follow_up_rows = (0..2)
        .map(|i| FollowUpRow {
            n: i + 1,
            purpose: form.follow_up_purpose.get(i).cloned().unwrap_or_default(),
            due: form.follow_up_due.get(i).cloned().unwrap_or_default(),
            purpose_error: errors
                .by_field
                .get(&format!("follow_up_{}_purpose", i + 1))
                .cloned(),
            due_error: errors
                .by_field
                .get(&format!("follow_up_{}_due", i + 1))
                .cloned(),
        })
        .collect();
    let body = ContactPage {
        form,
        errors,
        channels: channel_choices(&form.channel),
        directions: direction_choices(&form.direction),
        relatives,
        follow_up_rows,
        draft_key: format!("contact-{id}"),
        limits: serde_json::json!({ "discussion": limits::DISCUSSION, "family_summary": limits::FAMILY_SUMMARY, "agreed_actions": limits::AGREED_ACTIONS }),
    };
    on.page(
        status,
        "pages/staff/contact_new",
        "Log a contact",
        header,
        body,
    )
}

pub async fn contact_form((req, state, user, path): CaseGet) -> Page {
    let form = ContactForm {
        occurred_at: to_local_input(db::now()),
        channel: "phone".into(),
        direction: "outbound".into(),
        ..ContactForm::default()
    };
    contact_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

/// The form's follow-up rows are numbered from 1 and name their time `due`.
fn follow_up_field(i: usize, field: &str) -> String {
    let field = if field == "due_at" { "due" } else { field };
    format!("follow_up_{}_{field}", i + 1)
}

fn parse_contact(
    form: &ContactForm,
    me: &UserId,
) -> Result<NewContact, Result<FormErrors, AppError>> {
    // A follow-up row left empty is not asked for.
    let follow_ups = form
        .follow_up_purpose
        .iter()
        .enumerate()
        .map(|(i, purpose)| {
            (
                purpose,
                form.follow_up_due.get(i).map_or("", String::as_str),
            )
        })
        .filter(|(purpose, due)| !(purpose.trim().is_empty() && due.trim().is_empty()))
        .map(|(purpose, due)| FollowUpFields {
            purpose,
            assignee: Picked::Given(me.clone()),
            due_at: Moment::Local(due),
            relative: Picked::Absent,
            is_appointment: false,
            place: None,
            group: Picked::Absent,
            family_title: None,
            family_note: None,
        })
        .collect();
    let mut v = Validator::default();
    let new = input::contact(
        ContactFields {
            occurred_at: Moment::Local(&form.occurred_at),
            channel: Picked::text(&form.channel, ContactChannel::parse),
            direction: Picked::text(&form.direction, Direction::parse),
            duration_minutes: Picked::text(&form.duration_minutes, |d| d.parse().ok()),
            relatives: form
                .relatives
                .iter()
                .map(|r| Picked::text(r, RelativeId::parse))
                .collect(),
            discussion: &form.discussion,
            family_summary: Some(&form.family_summary),
            agreed_actions: Some(&form.agreed_actions),
            follow_ups,
            follow_up_field,
        },
        &mut v,
    );
    v.finish_with(new)
}

pub async fn contact_create((req, state, user, path, form): CasePost<ContactForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let me = user.0.clone();
    let cid = id.clone();
    save(
        &state,
        parse_contact(&form, &user.id),
        move |conn, new| contacts::log(conn, &me, &cid, &new),
        "discussion",
        |_| format!("{}?saved=contact#timeline", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            contact_page(Asked::new(&req, &state, &user, &id), status, &form, errors).await
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AmendForm {
    reason: String,
    occurred_at: String,
    channel: String,
    direction: String,
    duration_minutes: String,
    discussion: String,
    family_summary: String,
    agreed_actions: String,
}

#[derive(Serialize)]
struct ContactDetailPage<'a> {
    contact: contacts::ContactView,
    form: &'a AmendForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    directions: Vec<Choice>,
}

#[allow(clippy::too_many_arguments)]
async fn contact_detail_page(
    on: Asked<'_>,
    contact: &ContactId,
    status: StatusCode,
    form: Option<&AmendForm>,
    errors: FormErrors,
) -> Page {
    let (state, id) = (on.state, on.id);
    let (_, header) = on.load("contact").await?;
    let (cid, contact) = (id.clone(), contact.clone());
    let view = state
        .db
        .run(move |conn| contacts::view(conn, &cid, &contact)?.ok_or(AppError::NotFound))
        .await?;
    let current = &view.current;
    let default_form = AmendForm {
        reason: String::new(),
        occurred_at: to_local_input(current.occurred_at),
        channel: current.channel.as_str().into(),
        direction: current.direction.as_str().into(),
        duration_minutes: current
            .duration_minutes
            .map(|d| d.to_string())
            .unwrap_or_default(),
        discussion: current.discussion.clone(),
        family_summary: current.family_summary.clone().unwrap_or_default(),
        agreed_actions: current.agreed_actions.clone().unwrap_or_default(),
    };
    let form = form.unwrap_or(&default_form);
    let body = ContactDetailPage {
        channels: channel_choices(&form.channel),
        directions: direction_choices(&form.direction),
        contact: view,
        form,
        errors,
    };
    on.page(
        status,
        "pages/staff/contact",
        "Contact record",
        header,
        body,
    )
}

pub async fn contact_detail(
    (req, state): Incoming,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
) -> Page {
    let (id, contact) = path.into_inner();
    contact_detail_page(
        Asked::new(&req, &state, &user, &id),
        &contact,
        StatusCode::OK,
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn contact_amend(
    (req, state): Incoming,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, ContactId)>,
    form: CsrfForm<AmendForm>,
) -> Page {
    let form = form.into_inner()?;
    let (id, contact) = path.into_inner();
    let mut v = Validator::default();
    let amendment = input::amendment(
        AmendmentFields {
            reason: &form.reason,
            occurred_at: Moment::Local(&form.occurred_at),
            channel: Picked::text(&form.channel, ContactChannel::parse),
            direction: Picked::text(&form.direction, Direction::parse),
            duration_minutes: Picked::text(&form.duration_minutes, |d| d.parse().ok()),
            discussion: Some(&form.discussion),
            family_summary: Some(&form.family_summary),
            agreed_actions: Some(&form.agreed_actions),
        },
        &mut v,
    );
    let (me, cid, ctid) = (user.0.clone(), id.clone(), contact.clone());
    save(
        &state,
        v.finish_with(amendment),
        move |conn, amendment| contacts::amend(conn, &me, &cid, &ctid, &amendment),
        "reason",
        |_| format!("{}/contacts/{contact}?saved=1", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            contact_detail_page(
                Asked::new(&req, &state, &user, &id),
                &contact,
                status,
                Some(&form),
                errors,
            )
            .await
        },
    )
    .await
}
