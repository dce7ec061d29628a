//! A relative's own settings, as JSON.

use crate::casework::relatives::{self, Preferences};
use crate::family::session::FamilyUser;
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::BodyErrors;
use crate::web::family::read_preferences;
use actix_web::{HttpResponse, web};

use super::{Answer, FamilyErrors};

pub use crate::family::preferences::{FamilyPreferences, NoticeChannel};

/// How and when the relative hears from the portal, and in which language.
#[utoipa::path(
    get, path = "/api/v1/family/preferences", tag = "family",
    responses((status = 200, description = "The relative's preferences", body = FamilyPreferences), FamilyErrors),
)]
pub async fn preferences(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    Ok(HttpResponse::Ok().json(read_preferences(&state, &user).await?))
}

/// Saves the relative's preferences (the case team sees the new version).
#[utoipa::path(
    put, path = "/api/v1/family/preferences", tag = "family",
    request_body = FamilyPreferences,
    responses(
        (status = 200, description = "Saved", body = FamilyPreferences), FamilyErrors, BodyErrors,
    ),
)]
pub async fn preferences_save(
    state: web::Data<AppState>,
    user: FamilyUser,
    body: ApiJson<FamilyPreferences>,
) -> Answer {
    let body = body.into_inner()?;
    let quiet_hours = crate::casework::input::quiet_hours(
        body.quiet_hours_start.as_deref(),
        body.quiet_hours_end.as_deref(),
    )?;
    let rid = user.relative_id.clone();
    let prefs = Preferences {
        notify_by_email: body.channel == NoticeChannel::Email,
        quiet_hours,
        language: body.language,
        discreet: match body.discreet {
            Some(d) => d,
            None => read_preferences(&state, &user)
                .await?
                .discreet
                .unwrap_or(false),
        },
    };
    state
        .db
        .run(move |conn| relatives::set_preferences(conn, &rid, &prefs))
        .await?;
    Ok(HttpResponse::Ok().json(read_preferences(&state, &user).await?))
}
