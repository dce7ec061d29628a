//! A relative's own settings: how they hear of news, their quiet hours and their language.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::db::schema::relatives;
use crate::domain::RelativeId;
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
    /// `HH:MM`, London time; no e-mails between start and end. Both or neither.
    #[serde(default)]
    pub(crate) quiet_hours_start: Option<String>,
    #[serde(default)]
    pub(crate) quiet_hours_end: Option<String>,
    pub(crate) language: Lang,
}

/// The relative's settings as they stand.
pub fn of(conn: &mut DbConn, relative: &RelativeId) -> QueryResult<FamilyPreferences> {
    let (by_email, start, end, language): (bool, Option<String>, Option<String>, Lang) =
        relatives::table
            .find(relative)
            .select((
                relatives::notify_by_email,
                relatives::quiet_hours_start,
                relatives::quiet_hours_end,
                relatives::language,
            ))
            .first(conn)?;
    Ok(FamilyPreferences {
        channel: if by_email {
            NoticeChannel::Email
        } else {
            NoticeChannel::Portal
        },
        quiet_hours_start: start,
        quiet_hours_end: end,
        language,
    })
}
