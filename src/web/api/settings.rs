//! `GET` and `PUT /api/v1/settings/targets`: the timeliness targets, for administrators. A
//! change applies from the moment it is made and is recorded and audited.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::domain::raw;
use crate::error::AppError;
use crate::state::AppState;
use crate::timeliness::{self, TargetChange, Targets};
use crate::web::api::ApiJson;
use crate::web::api::errors::{BodyErrors, NotAllowed, SignInNeeded};

// The bounds are the ones `Targets::validate` applies.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    /// Case opened → first contact, hours (1-336).
    #[schema(minimum = 1, maximum = 336)]
    #[serde(deserialize_with = "raw::whole")]
    pub first_contact_hours: i64,
    /// Family message → acknowledged, working days (1-30).
    #[schema(minimum = 1, maximum = 30)]
    #[serde(deserialize_with = "raw::whole")]
    pub message_ack_working_days: i64,
    /// Family message → answered, working days (1-60).
    #[schema(minimum = 1, maximum = 60)]
    #[serde(deserialize_with = "raw::whole")]
    pub message_answer_working_days: i64,
    /// Milestone reached or key event → update shared with the family, working days (1-30).
    #[schema(minimum = 1, maximum = 30)]
    #[serde(deserialize_with = "raw::whole")]
    pub update_after_event_working_days: i64,
    /// Case opened → every relative's Victims' Code entitlements met, working days (1-60);
    /// leave out for 10.
    #[schema(minimum = 1, maximum = 60)]
    #[serde(deserialize_with = "raw::whole", default = "ten")]
    pub entitlements_working_days: i64,
}

fn ten() -> i64 {
    Targets::default().entitlements_working_days
}

impl From<Targets> for TargetsBody {
    fn from(t: Targets) -> Self {
        TargetsBody {
            first_contact_hours: t.first_contact_hours,
            message_ack_working_days: t.message_ack_working_days,
            message_answer_working_days: t.message_answer_working_days,
            update_after_event_working_days: t.update_after_event_working_days,
            entitlements_working_days: t.entitlements_working_days,
        }
    }
}

impl From<&TargetsBody> for Targets {
    fn from(b: &TargetsBody) -> Self {
        Targets {
            first_contact_hours: b.first_contact_hours,
            message_ack_working_days: b.message_ack_working_days,
            message_answer_working_days: b.message_answer_working_days,
            update_after_event_working_days: b.update_after_event_working_days,
            entitlements_working_days: b.entitlements_working_days,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TargetsAnswer {
    targets: TargetsBody,
    /// Recorded changes, newest first.
    changes: Vec<TargetChange>,
}

async fn answer(state: &AppState) -> Result<TargetsAnswer, AppError> {
    state
        .db
        .run(|conn| {
            Ok(TargetsAnswer {
                targets: Targets::load(conn)?.into(),
                changes: timeliness::target_changes(conn, 50)?,
            })
        })
        .await
}

#[utoipa::path(
    get, path = "/api/v1/settings/targets", tag = "settings",
    responses(
        (status = 200, description = "The targets in force, and their changes", body = TargetsAnswer),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn get_targets(
    state: web::Data<AppState>,
    _admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(answer(&state).await?))
}

#[utoipa::path(
    put, path = "/api/v1/settings/targets", tag = "settings",
    request_body = TargetsBody,
    responses(
        (status = 200, description = "Saved; in force from now", body = TargetsAnswer),
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn put_targets(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<TargetsBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let new = Targets::from(&body);
    new.validate()?;
    let by = admin.id.clone();
    state
        .db
        .run(move |conn| timeliness::set_targets(conn, &by, &new))
        .await?;
    Ok(HttpResponse::Ok().json(answer(&state).await?))
}
