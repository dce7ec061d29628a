//! The JSON API at `/api/v1`. Staff authenticate with a bearer token from
//! `POST /api/v1/auth/token`; cookies are not accepted here, so no CSRF token is needed.
//! Errors are `{"error": code, "message": ..., "field": ...}`.

pub mod accounts;
pub mod auth;
pub mod cases;
pub mod dashboard;
pub mod doc;
pub mod errors;
pub mod family;
pub mod messages;
pub mod operations;
pub mod settings;
pub mod support;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// A JSON body, read strictly: the right content type, at most `JSON_LIMIT` bytes, and
/// on a type error the path of the offending field (`"field": "teams[0]"`).
///
/// The extractor itself never fails: actix polls a handler's extractors together, so a body
/// error raised here could answer before the caller's role is checked. The handler calls
/// `into_inner()` once authorisation has passed.
pub struct ApiJson<T>(Result<T, AppError>);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

async fn read_json<T: DeserializeOwned>(
    req: HttpRequest,
    mut payload: Payload,
) -> Result<T, AppError> {
    let content_type = req.content_type().to_ascii_lowercase();
    if content_type != "application/json" && !content_type.ends_with("+json") {
        return Err(AppError::UnsupportedMediaType(
            "Send a JSON body with the header Content-Type: application/json.".into(),
        ));
    }
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
        if body.len() + chunk.len() > JSON_LIMIT {
            return Err(AppError::PayloadTooLarge(format!(
                "The request body is larger than {} KiB.",
                JSON_LIMIT / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let mut de = serde_json::Deserializer::from_slice(&body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            AppError::BadRequest(format!("The body is not valid JSON: {inner}."))
        } else {
            AppError::Invalid {
                field: (path != ".").then_some(path),
                message: strip_position(&inner.to_string()),
            }
        }
    })?;
    de.end().map_err(|e| {
        AppError::BadRequest(format!("The body has something after the JSON value: {e}."))
    })?;
    Ok(value)
}

/// serde_json appends "at line 1 column 17"; useful for syntax, noise for a type error.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<ApiJson<T>, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move { Ok(ApiJson(read_json(req, payload).await)) })
    }
}

/// The body of an action that takes no input: none at all, or an empty JSON object. Anything
/// else is refused as `ApiJson` would refuse it, so that a client that sends fields it thinks
/// matter learns that they are ignored. Like `ApiJson`, it never fails itself.
pub struct NoBody(Result<(), AppError>);

impl NoBody {
    pub fn into_inner(self) -> Result<(), AppError> {
        self.0
    }
}

impl FromRequest for NoBody {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<NoBody, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let mut first = None;
            while let Some(chunk) = payload.next().await {
                match chunk {
                    Ok(c) if c.is_empty() => {}
                    Ok(c) => {
                        first = Some(c);
                        break;
                    }
                    Err(_) => {
                        return Ok(NoBody(Err(AppError::BadRequest(
                            "The request body could not be read.".into(),
                        ))));
                    }
                }
            }
            let Some(first) = first else {
                return Ok(NoBody(Ok(())));
            };
            let rest = futures_util::stream::once(async move {
                Ok::<_, actix_web::error::PayloadError>(first)
            })
            .chain(payload);
            let boxed: std::pin::Pin<
                Box<
                    dyn futures_util::Stream<
                            Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
                        >,
                >,
            > = Box::pin(rest);
            let payload = Payload::Stream { payload: boxed };
            let checked = match read_json::<serde_json::Value>(req, payload).await {
                Err(e) => Err(e),
                Ok(serde_json::Value::Object(fields)) => match fields.keys().next() {
                    None => Ok(()),
                    Some(field) => Err(AppError::invalid(
                        field,
                        format!("This action takes no input: leave out \"{field}\"."),
                    )),
                },
                Ok(_) => Err(AppError::Invalid {
                    field: None,
                    message: "This action takes no input: send no body, or {}.".into(),
                }),
            };
            Ok(NoBody(checked))
        })
    }
}

/// What an API handler answers.
pub type Answer = Result<actix_web::HttpResponse, AppError>;

/// Runs `read` in one database task and answers 200 with what it gives, as JSON: the whole
/// of a handler that only reads.
pub async fn json_answer<T>(
    state: &crate::state::AppState,
    read: impl FnOnce(&mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
) -> Answer
where
    T: serde::Serialize + Send + 'static,
{
    let found = state.db.run(read).await?;
    Ok(actix_web::HttpResponse::Ok().json(found))
}

/// 201 Created with the record made and its address.
pub fn created<T: serde::Serialize>(location: String, body: &T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// Runs `change` in one database task and answers 204 No Content.
pub async fn no_content<T>(
    state: &crate::state::AppState,
    change: impl FnOnce(&mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
) -> Answer
where
    T: Send + 'static,
{
    state.db.run(change).await?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}

/// What an API route of a case is given when it reads: someone on the case team and the
/// route's path (the case, and a record on it).
pub type Reading<P> = (
    actix_web::web::Data<crate::state::AppState>,
    crate::auth::CaseworkUser,
    actix_web::web::Path<P>,
);

/// What an API route of a case is given when it changes it: someone who may change the case
/// (checked before the body is read), the route's path and the body.
pub type OnCase<P, B> = (
    actix_web::web::Data<crate::state::AppState>,
    crate::auth::CaseworkOnCase,
    actix_web::web::Path<P>,
    B,
);

/// As `OnCase`, for what only a manager of the case may change.
pub type ManagerOn<P, B> = (
    actix_web::web::Data<crate::state::AppState>,
    crate::auth::ManagerOnCase,
    actix_web::web::Path<P>,
    B,
);
