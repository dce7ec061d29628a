//! Timeliness targets: the values in force and their history, and changing them.

use crate::auth::AdminUser;
use crate::auth::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::pages::Incoming;
use crate::web::pages::{SavedQuery, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::form_page;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TargetsForm {
    first_contact_hours: String,
    message_ack_working_days: String,
    message_answer_working_days: String,
    update_after_event_working_days: String,
    entitlements_working_days: String,
}

#[derive(Serialize)]
struct TargetsPage<'a> {
    form: &'a TargetsForm,
    errors: FormErrors,
    changes: Vec<crate::timeliness::TargetChange>,
    saved: bool,
}

/// The targets in force with their history and the form to change them; the form as `sent`,
/// with its errors, when it is shown again because of what was sent.
async fn targets_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    sent: Option<(&TargetsForm, FormErrors)>,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let (current, changes) = state
        .db
        .run(|conn| {
            Ok((
                crate::timeliness::Targets::load(conn)?,
                crate::timeliness::target_changes(conn, 50)?,
            ))
        })
        .await?;
    let shown = TargetsForm {
        first_contact_hours: current.first_contact_hours.to_string(),
        message_ack_working_days: current.message_ack_working_days.to_string(),
        message_answer_working_days: current.message_answer_working_days.to_string(),
        update_after_event_working_days: current.update_after_event_working_days.to_string(),
        entitlements_working_days: current.entitlements_working_days.to_string(),
    };
    let (form, errors) = sent.unzip();
    let page = |errors| TargetsPage {
        form: form.unwrap_or(&shown),
        errors,
        changes,
        saved,
    };
    let title = "Timeliness targets";
    Ok(form_page(
        req,
        admin,
        "pages/admin/targets",
        title,
        errors,
        page,
    ))
}

pub async fn targets(
    (req, state): Incoming,
    admin: AdminUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    targets_page(&req, &state, &admin, None, query.saved.is_some()).await
}

pub async fn save_targets(
    (req, state): Incoming,
    admin: AdminUser,
    form: CsrfForm<TargetsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let number = |field: &str, raw: &str| -> Result<i64, AppError> {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, "Enter a whole number, like 24."))
    };
    let parsed = (|| -> Result<crate::timeliness::Targets, AppError> {
        let t = crate::timeliness::Targets {
            first_contact_hours: number("first_contact_hours", &form.first_contact_hours)?,
            message_ack_working_days: number(
                "message_ack_working_days",
                &form.message_ack_working_days,
            )?,
            message_answer_working_days: number(
                "message_answer_working_days",
                &form.message_answer_working_days,
            )?,
            update_after_event_working_days: number(
                "update_after_event_working_days",
                &form.update_after_event_working_days,
            )?,
            entitlements_working_days: number(
                "entitlements_working_days",
                &form.entitlements_working_days,
            )?,
        };
        t.validate()?;
        Ok(t)
    })();
    match parsed {
        Ok(t) => {
            let by = admin.id.clone();
            state
                .db
                .run(move |conn| crate::timeliness::set_targets(conn, &by, &t))
                .await?;
            Ok(see_other("/admin/targets?saved=1"))
        }
        Err(e) => {
            let errors = FormErrors::from_error(e, "first_contact_hours")?;
            targets_page(&req, &state, &admin, Some((&form, errors)), false).await
        }
    }
}
