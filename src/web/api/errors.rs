//! The error answers of the API as the OpenAPI document describes them: the shape of every
//! error body, and the sets of answers that routes share.

/// Every error answer: a stable machine code, a message for a person, and the input field
/// at fault where there is one.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiError {
    pub error: String,
    pub message: String,
    pub field: Option<String>,
}

/// The error answers of a route that takes a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// The body could not be read.
    #[response(status = 400)]
    Unreadable(#[to_schema] ApiError),
    /// The body is larger than allowed.
    #[response(status = 413)]
    TooLarge(#[to_schema] ApiError),
    /// The body is not JSON.
    #[response(status = 415)]
    NotJson(#[to_schema] ApiError),
    /// The body breaks a rule; `field` names the input and `message` says what to change.
    #[response(status = 422)]
    Invalid(#[to_schema] ApiError),
}

/// The error answers of every route about one case, for staff.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum CaseErrors {
    /// Not signed in, or the token is no good.
    #[response(status = 401)]
    Unauthenticated(#[to_schema] ApiError),
    /// Not allowed for this role.
    #[response(status = 403)]
    Forbidden(#[to_schema] ApiError),
    /// No such record, or not one you may see.
    #[response(status = 404)]
    NotFound(#[to_schema] ApiError),
}
