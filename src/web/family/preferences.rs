//! A relative's own settings: how they hear of news, quiet hours and language.

use crate::auth::csrf::CsrfForm;
use crate::casework::relatives::{self, Preferences};
use crate::family::session::FamilyUser;
use crate::i18n::Lang;
use crate::web::pages::Incoming;
use crate::web::pages::{SavedQuery, see_other};
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use super::{Page, form_problems, read_preferences, render};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PreferencesForm {
    /// `email` or `portal`.
    pub channel: String,
    pub quiet_hours_start: String,
    pub quiet_hours_end: String,
    pub language: String,
    /// "on" for messages that name neither the force nor an officer.
    pub discreet: Option<String>,
}

/// The settings form; `problems` with what was sent when it is shown again.
async fn preferences_page(
    req: &HttpRequest,
    user: &FamilyUser,
    form: &PreferencesForm,
    problems: &[(&str, &str)],
    saved: bool,
) -> Page {
    let languages: Vec<serde_json::Value> = Lang::ALL
        .iter()
        .map(|l| {
            serde_json::json!({ "value": l.as_str(), "text": l.label(), "selected": form.language == l.as_str() })
        })
        .collect();
    let (status, errors) = form_problems(user.lang, problems);
    Ok(render(
        req,
        status,
        "pages/family/preferences",
        "preferences-title",
        Some(user),
        serde_json::json!({
            "form": form,
            "errors": errors,
            "languages": languages,
            "by_email": form.channel == "email",
            "saved": saved,
        }),
    ))
}

pub async fn preferences(
    (req, state): Incoming,
    user: FamilyUser,
    query: web::Query<SavedQuery>,
) -> Page {
    let saved = read_preferences(&state, &user).await?;
    let form = PreferencesForm {
        channel: saved.channel.as_str().into(),
        quiet_hours_start: saved
            .quiet_hours_start
            .map(String::from)
            .unwrap_or_default(),
        quiet_hours_end: saved.quiet_hours_end.map(String::from).unwrap_or_default(),
        language: saved.language.as_str().into(),
        discreet: saved.discreet.unwrap_or(false).then(|| "on".into()),
    };
    preferences_page(&req, &user, &form, &[], query.saved.is_some()).await
}

pub async fn preferences_save(
    (req, state): Incoming,
    user: FamilyUser,
    form: CsrfForm<PreferencesForm>,
) -> Page {
    let form = form.into_inner()?;
    let mut errs: Vec<(&str, &str)> = Vec::new();
    let by_email = match form.channel.as_str() {
        "email" => Some(true),
        "portal" => Some(false),
        _ => {
            errs.push(("channel", "preferences-error-channel"));
            None
        }
    };
    let language = Lang::parse(&form.language);
    if language.is_none() {
        errs.push(("language", "preferences-error-language"));
    }
    let quiet = match crate::casework::input::quiet_hours(
        Some(&form.quiet_hours_start),
        Some(&form.quiet_hours_end),
    ) {
        Ok(q) => Some(q),
        Err(e) => {
            let field = if e.field() == Some("quiet_hours_start") {
                "quiet_hours_start"
            } else {
                "quiet_hours_end"
            };
            errs.push((field, "preferences-error-quiet"));
            None
        }
    };
    let (Some(notify_by_email), Some(language), Some(quiet_hours)) = (by_email, language, quiet)
    else {
        return preferences_page(&req, &user, &form, &errs, false).await;
    };
    let rid = user.relative_id.clone();
    state
        .db
        .run(move |conn| {
            relatives::set_preferences(
                conn,
                &rid,
                &Preferences {
                    notify_by_email,
                    quiet_hours,
                    language,
                    discreet: form.discreet.is_some(),
                },
            )
        })
        .await?;
    Ok(see_other("/family/preferences?saved=1"))
}
