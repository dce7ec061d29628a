//! What a relative reads, as JSON: the case, timeline, named contacts, appointments and calendar files, property and notices.

use crate::casework::limits;
use crate::domain::FollowUpId;
use crate::domain::raw::Text;
use crate::family::appointments::{self, AnswerKind};
use crate::family::messages::{self};
use crate::family::portal::{
    self, AgencyView, Appointment, NamedContact, Overview, PropertyView, ReferralView, TimelineItem,
};
use crate::family::portal::{mark_notices_read, notices_of, timeline_marked_read};
use crate::family::session::FamilyUser;
use crate::i18n::Lang;
use crate::notify::inbox::InboxItem;
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::BodyErrors;
use crate::web::api::{json_answer, no_content};
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

/// The case's progress: its milestones with dates, what is new since the last visit, the next
/// appointment and, once liaison has ended, how to reach the team.
#[utoipa::path(
    get, path = "/api/v1/family/case", tag = "family",
    responses((status = 200, description = "The family's view of the case", body = FamilyHome), FamilyErrors),
)]
pub async fn case(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let u = user.clone();
    let (overview, unread_messages, unread_notices) = state
        .db
        .run(move |conn| {
            let overview = portal::overview(conn, &u)?;
            let unread = messages::unread_for(conn, &u)?;
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
    get, operation_id = "family_timeline", path = "/api/v1/family/timeline", tag = "family",
    responses((status = 200, description = "The timeline", body = Vec<TimelineItem>), FamilyErrors),
)]
pub async fn timeline(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| portal::timeline(conn, &user)).await
}

/// Marks every item of the timeline read (the case team sees when each relative first read
/// a shared update).
#[utoipa::path(
    post, path = "/api/v1/family/timeline/read", tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
)]
pub async fn timeline_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    no_content(&state, move |conn| timeline_marked_read(conn, &user)).await
}

/// Who to call: the named contacts the family may see, current and past, with cover.
#[utoipa::path(
    get, path = "/api/v1/family/contacts", tag = "family",
    responses((status = 200, description = "Named contacts, current first", body = Vec<NamedContact>), FamilyErrors),
)]
pub async fn contacts(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| {
        let mut list = portal::named_contacts(conn, &user)?;
        list.sort_by_key(|c| !c.current);
        Ok(list)
    })
    .await
}

/// Contacts outside the force (a coroner's officer, witness care, an interpreter) that staff
/// shared with the relative's family group.
#[utoipa::path(
    get, path = "/api/v1/family/agencies", tag = "family",
    responses((status = 200, description = "Agency contacts, oldest first", body = Vec<AgencyView>), FamilyErrors),
)]
pub async fn agencies(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| Ok(portal::agencies(conn, &user)?)).await
}

/// The relative's own referrals to support services, oldest first.
#[utoipa::path(
    get, path = "/api/v1/family/referrals", tag = "family",
    responses((status = 200, description = "Referrals offered to the relative", body = Vec<ReferralView>), FamilyErrors),
)]
pub async fn referrals(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| Ok(portal::referrals(conn, &user)?)).await
}

/// Upcoming appointments, soonest first.
#[utoipa::path(
    get, path = "/api/v1/family/appointments", tag = "family",
    responses((status = 200, description = "Upcoming appointments", body = Vec<Appointment>), FamilyErrors),
)]
pub async fn appointments(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| Ok(portal::appointments(conn, &user)?)).await
}

/// One appointment as a calendar file (`text/calendar`).
#[utoipa::path(
    get, path = "/api/v1/family/appointments/{follow_up_id}/calendar", tag = "family",
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

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentAnswerBody {
    /// `suits` ("this suits me") or `change` ("please change it").
    answer: AnswerKind,
    /// What would suit better, or anything the officer should know.
    #[serde(default)]
    note: Option<Text<{ limits::FAMILY_NOTE }>>,
}

/// Answers one of the family group's upcoming appointments; the officer it is with is told.
#[utoipa::path(
    post, path = "/api/v1/family/appointments/{follow_up_id}/answer", tag = "family",
    params(("follow_up_id" = String, Path, description = "The appointment's id")),
    request_body = AppointmentAnswerBody,
    responses(
        (status = 201, description = "Answered; the appointments with their answers", body = Vec<Appointment>),
        (status = 409, description = "The appointment was cancelled, has taken place or its time has passed", body = crate::web::api::errors::ApiError),
        FamilyErrors, BodyErrors,
    ),
)]
pub async fn appointment_answer(
    state: web::Data<AppState>,
    user: FamilyUser,
    path: web::Path<FollowUpId>,
    body: ApiJson<AppointmentAnswerBody>,
) -> Answer {
    let body = body.into_inner()?;
    let id = path.into_inner();
    let note = crate::casework::input::optional("note", body.note.as_deref(), limits::FAMILY_NOTE)?;
    let list = state
        .db
        .run(move |conn| {
            appointments::answer(conn, &user, &id, body.answer, note.as_ref())?;
            Ok(portal::appointments(conn, &user)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(list))
}

/// Help in plain words, in the relative's language: what each milestone of their case's type
/// means, who is who, their rights under the Victims' Code and how to complain, and the
/// support organisations they can contact.
#[utoipa::path(
    get, path = "/api/v1/family/help", tag = "family",
    responses((status = 200, description = "Help", body = portal::Help), FamilyErrors),
)]
pub async fn help(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| portal::help(conn, &user)).await
}

/// Belongings and their status: held as evidence, released, returned to the family.
#[utoipa::path(
    get, path = "/api/v1/family/property", tag = "family",
    responses((status = 200, description = "Property", body = Vec<PropertyView>), FamilyErrors),
)]
pub async fn property(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    json_answer(&state, move |conn| {
        Ok(portal::property(conn, &user.case_id, user.lang)?)
    })
    .await
}

/// Portal notices, newest first (the same words as the e-mails, never case detail).
#[utoipa::path(
    get, path = "/api/v1/family/notices", tag = "family",
    responses((status = 200, description = "Notices", body = Vec<InboxItem>), FamilyErrors),
)]
pub async fn notices(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    let emails = state.emails.clone();
    json_answer(&state, move |conn| Ok(notices_of(conn, &user, &emails)?)).await
}

/// Marks every notice read.
#[utoipa::path(
    post, path = "/api/v1/family/notices/read", tag = "family",
    responses((status = 204, description = "Marked read"), FamilyErrors),
)]
pub async fn notices_read(state: web::Data<AppState>, user: FamilyUser) -> Answer {
    no_content(&state, move |conn| mark_notices_read(conn, &user)).await
}
