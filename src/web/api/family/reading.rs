//! What a relative reads, as JSON: the case, timeline, named contacts, appointments and calendar files, property and notices.

use crate::db;
use crate::domain::FollowUpId;
use crate::family::messages::{self};
use crate::family::portal::{
    self, Appointment, NamedContact, Overview, PropertyView, TimelineItem,
};
use crate::family::session::FamilyUser;
use crate::i18n::Lang;
use crate::notify::inbox::InboxItem;
use crate::state::AppState;
use crate::web::family::reading::appointment_ics;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{Answer, FamilyErrors};

#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyHome {
    /// Who is signed in.
    full_name: String,
    language: Lang,
    #[serde(flatten)]
    overview: Overview,
    /// Messages from the case team not yet opened.
    unread_messages: i64,
    /// Portal notices not yet read.
    unread_notices: i64,
}

/// The case's progress: stage with dates, what is new since the last visit, the next
/// appointment and, once liaison has ended, how to reach the team.
#[utoipa::path(
    get,
    path = "/api/v1/family/case",
    tag = "family",
    responses((status = 200, description = "The family's view of the case", body = FamilyHome), FamilyErrors),
)]
pub async fn case(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let u = user.clone();
    let (overview, unread_messages, unread_notices) = state
        .db
        .run(move |conn| {
            let overview = portal::overview(conn, &u)?;
            let unread = messages::unread_for(conn, &u.case_id, &u.relative_id)?;
            let notices = crate::notify::inbox::unread(
                conn,
                crate::notify::inbox::Recipient::Relative(&u.relative_id, u.lang),
            )?;
            Ok((overview, unread, notices))
        })
        .await?;
    Ok(HttpResponse::Ok().json(FamilyHome {
        full_name: user.full_name,
        language: user.lang,
        overview,
        unread_messages,
        unread_notices,
    }))
}

/// Shared updates and shared summaries of contacts, newest first; `new` marks what this
/// relative has not yet read.
#[utoipa::path(
    get,
    operation_id = "family_timeline",
    path = "/api/v1/family/timeline",
    tag = "family",
    responses((status = 200, description = "The timeline", body = Vec<TimelineItem>), FamilyErrors),
)]
pub async fn timeline(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let items = state
        .db
        .run(move |conn| portal::timeline(conn, &user))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Marks every item of the timeline read (the case team sees when each relative first read
/// a shared update).
#[utoipa::path(
    post,
    path = "/api/v1/family/timeline/read",
    tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
)]
pub async fn timeline_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    state
        .db
        .run(move |conn| {
            let items = portal::timeline(conn, &user)?;
            Ok(db::write(conn, |conn| {
                portal::mark_read(conn, &user.relative_id, &items)
            })?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who to call: the named contacts the family may see, current and past, with cover.
#[utoipa::path(
    get,
    path = "/api/v1/family/contacts",
    tag = "family",
    responses((status = 200, description = "Named contacts, current first", body = Vec<NamedContact>), FamilyErrors),
)]
pub async fn contacts(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let mut list = state
        .db
        .run(move |conn| Ok(portal::named_contacts(conn, &user.case_id, user.lang)?))
        .await?;
    list.sort_by_key(|c| !c.current);
    Ok(HttpResponse::Ok().json(list))
}

/// Upcoming appointments, soonest first.
#[utoipa::path(
    get,
    path = "/api/v1/family/appointments",
    tag = "family",
    responses((status = 200, description = "Upcoming appointments", body = Vec<Appointment>), FamilyErrors),
)]
pub async fn appointments(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let list = state
        .db
        .run(move |conn| {
            Ok(portal::appointments(
                conn,
                &user.case_id,
                &user.relative_id,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One appointment as a calendar file (`text/calendar`).
#[utoipa::path(
    get,
    path = "/api/v1/family/appointments/{follow_up_id}/calendar",
    tag = "family",
    params(("follow_up_id" = String, Path, description = "The appointment's id")),
    responses(
        (status = 200, description = "An iCalendar file", content_type = "text/calendar", body = String),
        FamilyErrors,
    ),
)]
pub async fn appointment_calendar(
    state: web::Data<AppState>,
    user: FamilyUser,
    path: web::Path<FollowUpId>,
) -> Answer {
    appointment_ics(state, user, path).await
}

/// Belongings and their status: held as evidence, released, returned to the family.
#[utoipa::path(
    get,
    path = "/api/v1/family/property",
    tag = "family",
    responses((status = 200, description = "Property", body = Vec<PropertyView>), FamilyErrors),
)]
pub async fn property(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let items = state
        .db
        .run(move |conn| Ok(portal::property(conn, &user.case_id, user.lang)?))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Portal notices, newest first (the same words as the e-mails, never case detail).
#[utoipa::path(
    get,
    path = "/api/v1/family/notices",
    tag = "family",
    responses((status = 200, description = "Notices", body = Vec<InboxItem>), FamilyErrors),
)]
pub async fn notices(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let emails = state.emails.clone();
    let items = state
        .db
        .run(move |conn| {
            let me = crate::notify::inbox::Recipient::Relative(&user.relative_id, user.lang);
            Ok(crate::notify::inbox::list(conn, me, &emails, 100)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Marks every notice read.
#[utoipa::path(
    post,
    path = "/api/v1/family/notices/read",
    tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
)]
pub async fn notices_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                let me = crate::notify::inbox::Recipient::Relative(&user.relative_id, user.lang);
                crate::notify::inbox::mark_read(conn, me, None)
            })?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
