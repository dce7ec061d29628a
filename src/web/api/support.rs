//! `/api/v1/settings/support-organisations`: the families' support list, for administrators.
//! Every change is audited; a removed entry is kept but no longer shown to families.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::domain::raw::{RequiredText, Text};
use crate::domain::{SupportOrganisationId, Validator};
use crate::error::AppError;
use crate::family::support::{self, SupportFields, SupportOrganisation};
use crate::state::AppState;
use crate::web::api::ApiJson;
use crate::web::api::errors::{BodyErrors, NotAllowed, SignInNeeded};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportBody {
    name: RequiredText<{ support::NAME_MAX }>,
    description: RequiredText<{ support::DESCRIPTION_MAX }>,
    /// The name in Welsh; families reading Welsh see the English where it is missing.
    name_cy: Option<Text<{ support::NAME_MAX }>>,
    description_cy: Option<Text<{ support::DESCRIPTION_MAX }>>,
    /// Digits, spaces and + ( ) - only.
    phone: Option<Text<{ support::PHONE_MAX }>>,
    /// The full address, starting `https://` (or `http://`).
    website: Option<Text<{ support::WEBSITE_MAX }>>,
    hours: Option<Text<{ support::HOURS_MAX }>>,
    /// Where it goes in the list (1 is first); left out, a new entry goes last and a changed
    /// one stays where it is.
    #[schema(minimum = 1, maximum = 1000)]
    position: Option<i64>,
}

impl SupportBody {
    fn parse(&self) -> Result<support::SupportInput, AppError> {
        let position = self.position.map(|p| p.to_string());
        let fields = SupportFields {
            name: &self.name,
            name_cy: self.name_cy.as_deref(),
            description: &self.description,
            description_cy: self.description_cy.as_deref(),
            phone: self.phone.as_deref(),
            website: self.website.as_deref(),
            hours: self.hours.as_deref(),
            position: position.as_deref(),
        };
        let mut v = Validator::default();
        let input = fields.parse(&mut v);
        v.finish_api_with(input)
    }
}

#[utoipa::path(
    get, path = "/api/v1/settings/support-organisations", tag = "settings",
    responses(
        (status = 200, description = "The list in force, in order", body = Vec<SupportOrganisation>),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn support_list(
    state: web::Data<AppState>,
    _admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let list = state.db.run(|conn| Ok(support::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(
    post, path = "/api/v1/settings/support-organisations", tag = "settings",
    request_body = SupportBody,
    responses(
        (status = 201, description = "Added", body = SupportOrganisation),
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn support_add(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: ApiJson<SupportBody>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner()?.parse()?;
    let by = admin.id.clone();
    let added = state
        .db
        .run(move |conn| support::add(conn, &by, &input))
        .await?;
    Ok(HttpResponse::Created().json(added))
}

#[utoipa::path(
    put, path = "/api/v1/settings/support-organisations/{id}", tag = "settings",
    params(("id" = SupportOrganisationId, Path)),
    request_body = SupportBody,
    responses(
        (status = 200, description = "Changed", body = SupportOrganisation),
        (status = 404, description = "No such entry, or it was removed", body = crate::web::api::errors::ApiError),
        SignInNeeded, NotAllowed, BodyErrors,
    ),
)]
pub async fn support_edit(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<SupportOrganisationId>,
    body: ApiJson<SupportBody>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner()?.parse()?;
    let (by, id) = (admin.id.clone(), path.into_inner());
    let changed = state
        .db
        .run(move |conn| support::edit(conn, &by, &id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(changed))
}

#[utoipa::path(
    post, path = "/api/v1/settings/support-organisations/{id}/remove", tag = "settings",
    params(("id" = SupportOrganisationId, Path)),
    responses(
        (status = 204, description = "Removed from the list families read"),
        (status = 404, description = "No such entry, or it was removed already", body = crate::web::api::errors::ApiError),
        SignInNeeded, NotAllowed,
    ),
)]
pub async fn support_remove(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<SupportOrganisationId>,
) -> Result<HttpResponse, AppError> {
    let (by, id) = (admin.id.clone(), path.into_inner());
    state
        .db
        .run(move |conn| support::remove(conn, &by, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
