//! Property held by police: listing, recording an item and moving it on.

use actix_web::HttpResponse;
use serde::Deserialize;

use crate::casework::input::{self, ItemFields};
use crate::casework::limits;
use crate::casework::property::{self, Move};
use crate::casework::types::PropertyStatus;
use crate::domain::raw::{self, RequiredText, Text};
use crate::domain::{CaseId, PropertyItemId, Validator};
use crate::web::api::ApiJson;
use crate::web::api::{OnCase, Reading};

use super::{Answer, created_on, date, on_case};

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/property",
    tag = "property",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The property register", body = [property::ItemView]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn property_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "property", |conn, case| {
        Ok(property::list(conn, &case.id)?)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyBody {
    description: RequiredText<{ limits::PROPERTY_DESCRIPTION }>,
    /// Absent is today.
    #[schema(format = Date)]
    held_since: Option<String>,
    staff_notes: Option<Text<{ limits::NOTE }>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/property",
    tag = "property",
    params(("id" = CaseId, Path)),
    request_body = PropertyBody,
    responses(
        (status = 201, description = "Added", body = property::ItemView),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn property_add(
    (state, user, path, body): OnCase<CaseId, ApiJson<PropertyBody>>,
) -> Answer {
    let b = body.into_inner()?;
    let mut v = Validator::default();
    let new = input::item(
        ItemFields {
            description: &b.description,
            held_since: b.held_since.as_deref(),
            staff_notes: b.staff_notes.as_deref(),
        },
        &mut v,
    );
    let new = v.finish_api_with(new)?;
    let id = path.into_inner();
    created_on(&state, user.0, id, move |conn, user, id| {
        property::add(conn, user, id, &new)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// Forward from where the item is now.
    status: PropertyStatus,
    /// Not before the item was held; absent is today.
    #[schema(format = Date)]
    on: Option<String>,
    /// Who received it; needed for `returned_to_family`.
    received_by: Option<Text<{ limits::RECEIVED_BY }>>,
    note: Option<Text<{ limits::NOTE }>>,
    #[serde(deserialize_with = "raw::whole")]
    version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/property/{item_id}/move",
    tag = "property",
    params(("id" = CaseId, Path), ("item_id" = PropertyItemId, Path)),
    request_body = MoveBody,
    responses(
        (status = 200, description = "Moved forward", body = property::ItemView),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn property_move(
    (state, user, path, body): OnCase<(CaseId, PropertyItemId), ApiJson<MoveBody>>,
) -> Answer {
    let b = body.into_inner()?;
    let m = Move {
        status: b.status,
        on: match &b.on {
            Some(d) => date("on", d)?,
            None => crate::casework::time::london_date(crate::db::now()),
        },
        received_by: input::optional("received_by", b.received_by.as_deref(), limits::RECEIVED_BY)?,
        note: input::optional("note", b.note.as_deref(), limits::NOTE)?,
        expected_version: b.version,
    };
    let (user, (id, item)) = (user.0, path.into_inner());
    let moved = state
        .db
        .run(move |conn| property::move_item(conn, &user, &id, &item, &m))
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}
