//! The family portal as JSON, for a future app: the same words and the same rules as the
//! pages in `web::family`, and only what staff shared with the family.
//!
//! A relative signs in with the token from a sign-in link (`POST /api/v1/family/auth/token`)
//! and gets a short-lived bearer token for the `liaison:family-api` audience, renewable with
//! `POST /api/v1/family/auth/refresh` while the session lasts (12 hours, or 30 days with
//! `keep_signed_in`). Staff tokens do not open these routes, nor family tokens staff routes.

pub mod messages;
pub mod preferences;
pub mod reading;
pub mod sign_in;

use crate::web::api::errors::ApiError;

pub(super) use crate::web::api::Answer;

/// The error answers every signed-in family route can give.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum FamilyErrors {
    /// Not signed in, the token expired or was revoked, or access is suspended.
    #[response(status = 401)]
    Unauthenticated(#[to_schema] ApiError),
    /// Not found, or not this family's to see.
    #[response(status = 404)]
    NotFound(#[to_schema] ApiError),
}
