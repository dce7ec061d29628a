//! A relative's own settings: how they hear of news, their quiet hours and their language.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::casework::relatives::{self, Preferences};
use crate::db::DbConn;
use crate::db::schema::relatives as relatives_t;
use crate::domain::RelativeId;
use crate::domain::raw::ClockTime;
use crate::error::AppError;
use crate::i18n::Lang;

crate::text_enum!(
    /// How a relative hears that something new is in the portal.
    NoticeChannel {
        Email => "email" / "By e-mail, and in the portal",
        Portal => "portal" / "In the portal only",
    }
);

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyPreferences {
    pub(crate) channel: NoticeChannel,
    /// No e-mails between start and end: both or neither, and not the same time.
    #[serde(default)]
    pub(crate) quiet_hours_start: Option<ClockTime>,
    #[serde(default)]
    pub(crate) quiet_hours_end: Option<ClockTime>,
    pub(crate) language: Lang,
    /// Messages that name neither the force nor an officer, for a shared phone or inbox.
    /// Left out of a change, it stays as it was.
    #[serde(default)]
    pub(crate) discreet: Option<bool>,
}

/// The relative's settings as they stand.
pub fn of(conn: &mut DbConn, relative: &RelativeId) -> QueryResult<FamilyPreferences> {
    let (by_email, start, end, language, discreet): (
        bool,
        Option<String>,
        Option<String>,
        Lang,
        bool,
    ) = relatives_t::table
        .find(relative)
        .select((
            relatives_t::notify_by_email,
            relatives_t::quiet_hours_start,
            relatives_t::quiet_hours_end,
            relatives_t::language,
            relatives_t::discreet_notices,
        ))
        .first(conn)?;
    Ok(FamilyPreferences {
        channel: if by_email {
            NoticeChannel::Email
        } else {
            NoticeChannel::Portal
        },
        quiet_hours_start: start.map(ClockTime::from),
        quiet_hours_end: end.map(ClockTime::from),
        language,
        discreet: Some(discreet),
    })
}

/// Changes only the relative's language, keeping their other settings.
pub fn set_language(conn: &mut DbConn, relative: &RelativeId, lang: Lang) -> Result<(), AppError> {
    let now = of(conn, relative)?;
    let quiet = crate::casework::input::quiet_hours(
        now.quiet_hours_start.as_deref(),
        now.quiet_hours_end.as_deref(),
    )
    .unwrap_or(None);
    relatives::set_preferences(
        conn,
        relative,
        &Preferences {
            notify_by_email: now.channel == NoticeChannel::Email,
            quiet_hours: quiet,
            language: lang,
            discreet: now.discreet.unwrap_or(false),
        },
    )
}
