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

// One answer each, named where a route lists what it can answer (the descriptions are
// written once, here).

/// Not signed in, or the token is no good.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "Not signed in, or the token is no good")]
#[allow(dead_code)]
pub struct SignInNeeded(#[to_schema] ApiError);

/// Not allowed for this role.
#[derive(utoipa::IntoResponses)]
#[response(status = 403, description = "Not allowed for this role")]
#[allow(dead_code)]
pub struct NotAllowed(#[to_schema] ApiError);

/// No such record, or not one you may see.
#[derive(utoipa::IntoResponses)]
#[response(status = 404, description = "No such record, or not one you may see")]
#[allow(dead_code)]
pub struct NotFoundHere(#[to_schema] ApiError);

/// Breaks a rule; `field` names the input.
#[derive(utoipa::IntoResponses)]
#[response(status = 422, description = "Breaks a rule; `field` names the input")]
#[allow(dead_code)]
pub struct BreaksARule(#[to_schema] ApiError);

/// The request could not be read.
#[derive(utoipa::IntoResponses)]
#[response(status = 400, description = "The request could not be read")]
#[allow(dead_code)]
pub struct Unreadable(#[to_schema] ApiError);

/// Conflicts with the record as it now stands.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "Conflicts with the record as it now stands"
)]
#[allow(dead_code)]
pub struct Conflicts(#[to_schema] ApiError);

/// The query could not be read (a parameter given twice, say).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "The query could not be read (a parameter given twice, say)"
)]
#[allow(dead_code)]
pub struct QueryUnreadable(#[to_schema] ApiError);
