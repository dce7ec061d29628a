//! The contact log: the quick form (with follow-ups agreed in the same submit), a contact with its corrections, and amending it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkOnCase;
use crate::auth::CaseworkUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::contacts::{self, NewAmendment, NewContact};
use crate::casework::follow_ups::NewFollowUp;
use crate::casework::relatives::{self};
use crate::casework::time::{parse_local, to_local_input};
use crate::casework::types::{ContactChannel, Direction};
use crate::casework::{input, limits};
use crate::db::{self};
use crate::domain::{CaseId, ContactId, FormErrors, RelativeId, UserId, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::see_other;

use super::{Choice, Page, case_page, case_url, channel_choices, choices, form_errors, load};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ContactForm {
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    relatives: Vec<String>,
    #[serde(default)]
    discussion: String,
    #[serde(default)]
    family_summary: String,
    #[serde(default)]
    agreed_actions: String,
    #[serde(default)]
    follow_up_purpose: Vec<String>,
    #[serde(default)]
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
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    status: StatusCode,
    form: &ContactForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "contact form").await?;
    let cid = id.clone();
    let people = state
        .db
        .run(move |conn| Ok(relatives::list(conn, &cid)?))
        .await?;
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
        directions: choices(
            Direction::ALL,
            Direction::as_str,
            Direction::label,
            &form.direction,
        ),
        relatives,
        follow_up_rows,
        draft_key: format!("contact-{id}"),
        limits: serde_json::json!({ "discussion": limits::DISCUSSION, "family_summary": limits::FAMILY_SUMMARY, "agreed_actions": limits::AGREED_ACTIONS }),
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/contact_new",
        "Log a contact".into(),
        user,
        header,
        body,
    ))
}

pub async fn contact_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let form = ContactForm {
        occurred_at: to_local_input(db::now()),
        channel: "phone".into(),
        direction: "outbound".into(),
        ..ContactForm::default()
    };
    contact_page(
        &req,
        &state,
        &user,
        &path,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

fn parse_contact(form: &ContactForm, me: &UserId) -> Result<NewContact, FormErrors> {
    let mut v = Validator::default();
    let occurred_at = v.check(parse_local("occurred_at", &form.occurred_at));
    let channel = v.check(
        ContactChannel::parse(&form.channel)
            .ok_or_else(|| AppError::invalid("channel", "Choose how the contact happened.")),
    );
    let direction = v.check(
        Direction::parse(&form.direction)
            .ok_or_else(|| AppError::invalid("direction", "Choose who made contact.")),
    );
    let duration = match form.duration_minutes.trim() {
        "" => Some(None),
        d => match d.parse::<i64>() {
            Ok(m) => v.check(input::duration(Some(m))),
            Err(_) => {
                v.add(
                    "duration_minutes",
                    "Enter the duration as a number of minutes, like 30.",
                );
                None
            }
        },
    };
    let mut relatives = Vec::new();
    for r in &form.relatives {
        match RelativeId::parse(r) {
            Some(id) => relatives.push(id),
            None => v.add("relatives", "Choose relatives from the list."),
        }
    }
    let discussion = v.check(input::required(
        "discussion",
        &form.discussion,
        limits::DISCUSSION,
    ));
    let summary = v.check(input::optional(
        "family_summary",
        Some(&form.family_summary),
        limits::FAMILY_SUMMARY,
    ));
    let actions = v.check(input::optional(
        "agreed_actions",
        Some(&form.agreed_actions),
        limits::AGREED_ACTIONS,
    ));
    let mut follow_ups = Vec::new();
    for (i, purpose) in form.follow_up_purpose.iter().enumerate() {
        let due = form.follow_up_due.get(i).map(String::as_str).unwrap_or("");
        if purpose.trim().is_empty() && due.trim().is_empty() {
            continue;
        }
        let field = |f: &str| format!("follow_up_{}_{f}", i + 1);
        let purpose = v.check(input::required(&field("purpose"), purpose, limits::PURPOSE));
        let due =
            v.check(parse_local(&field("due"), due).and_then(|t| input::due_at(&field("due"), t)));
        if let (Some(purpose), Some(due_at)) = (purpose, due) {
            follow_ups.push(NewFollowUp {
                purpose,
                assignee: me.clone(),
                due_at,
                relative_id: None,
                is_appointment: false,
                place: None,
            });
        }
    }
    match v.finish() {
        Ok(()) => match (
            occurred_at,
            channel,
            direction,
            duration,
            discussion,
            summary,
            actions,
        ) {
            (
                Some(occurred_at),
                Some(channel),
                Some(direction),
                Some(duration_minutes),
                Some(discussion),
                Some(family_summary),
                Some(agreed_actions),
            ) => Ok(NewContact {
                occurred_at,
                channel,
                direction,
                duration_minutes,
                relatives,
                discussion,
                family_summary,
                agreed_actions,
                follow_ups,
            }),
            _ => Err(FormErrors::default()),
        },
        Err(Ok(errors)) => Err(errors),
        Err(Err(e)) => {
            let mut errors = FormErrors::default();
            errors.add("form", e.to_string());
            Err(errors)
        }
    }
}

pub async fn contact_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<CaseId>,
    form: CsrfForm<ContactForm>,
) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let new = match parse_contact(&form, &user.id) {
        Ok(new) => new,
        Err(errors) => {
            return contact_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await;
        }
    };
    let (me, cid) = (user.0.clone(), id.clone());
    match state
        .db
        .run(move |conn| contacts::log(conn, &me, &cid, &new))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=contact#timeline",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "discussion")?;
            contact_page(
                &req,
                &state,
                &user,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AmendForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    discussion: String,
    #[serde(default)]
    family_summary: String,
    #[serde(default)]
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
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    id: &CaseId,
    contact: &ContactId,
    status: StatusCode,
    form: Option<&AmendForm>,
    errors: FormErrors,
) -> Page {
    let (_, header) = load(state, user, id, "contact").await?;
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
        directions: choices(
            Direction::ALL,
            Direction::as_str,
            Direction::label,
            &form.direction,
        ),
        contact: view,
        form,
        errors,
    };
    Ok(case_page(
        req,
        status,
        "pages/staff/contact",
        "Contact record".into(),
        user,
        header,
        body,
    ))
}

pub async fn contact_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<(CaseId, ContactId)>,
) -> Page {
    let (id, contact) = path.into_inner();
    contact_detail_page(
        &req,
        &state,
        &user,
        &id,
        &contact,
        StatusCode::OK,
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn contact_amend(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, ContactId)>,
    form: CsrfForm<AmendForm>,
) -> Page {
    let form = form.into_inner()?;
    let (id, contact) = path.into_inner();
    let mut v = Validator::default();
    let reason = v.check(input::required("reason", &form.reason, limits::REASON));
    let occurred_at = v.check(parse_local("occurred_at", &form.occurred_at));
    let channel = v.check(
        ContactChannel::parse(&form.channel)
            .ok_or_else(|| AppError::invalid("channel", "Choose how the contact happened.")),
    );
    let direction = v.check(
        Direction::parse(&form.direction)
            .ok_or_else(|| AppError::invalid("direction", "Choose who made contact.")),
    );
    let duration = match form.duration_minutes.trim() {
        "" => Some(None),
        d => match d.parse::<i64>() {
            Ok(m) => v.check(input::duration(Some(m))),
            Err(_) => {
                v.add(
                    "duration_minutes",
                    "Enter the duration as a number of minutes, like 30.",
                );
                None
            }
        },
    };
    let discussion = v.check(input::required(
        "discussion",
        &form.discussion,
        limits::DISCUSSION,
    ));
    let summary = v.check(input::clearable(
        "family_summary",
        Some(&form.family_summary),
        limits::FAMILY_SUMMARY,
    ));
    let actions = v.check(input::clearable(
        "agreed_actions",
        Some(&form.agreed_actions),
        limits::AGREED_ACTIONS,
    ));
    if let Err(errors) = v.finish() {
        return contact_detail_page(
            &req,
            &state,
            &user,
            &id,
            &contact,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            errors?,
        )
        .await;
    }
    let amendment = NewAmendment {
        reason,
        occurred_at,
        channel,
        direction,
        duration_minutes: duration.flatten(),
        discussion,
        family_summary: summary.flatten(),
        agreed_actions: actions.flatten(),
    };
    let (me, cid, ctid) = (user.0.clone(), id.clone(), contact.clone());
    match state
        .db
        .run(move |conn| contacts::amend(conn, &me, &cid, &ctid, &amendment))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{}/contacts/{contact}?saved=1",
            case_url(&id)
        ))),
        Err(e) => {
            let errors = form_errors(e, "reason")?;
            contact_detail_page(
                &req,
                &state,
                &user,
                &id,
                &contact,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&form),
                errors,
            )
            .await
        }
    }
}
