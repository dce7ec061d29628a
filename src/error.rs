//! One error type at the HTTP edge. Each variant has a status and a stable machine code;
//! the API answers `{"error": code, "message": ..., "field": ...}` and page scopes turn the
//! same error into a friendly page (see `web::pages::html_errors`). The cause chain of an
//! internal error is logged, never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parsed but breaks a rule (422).
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// Input that could not be read at all (400).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("Sign in to continue.")]
    Unauthenticated,
    /// Unknown account and wrong password answer identically.
    #[error("The email address or password is not right.")]
    InvalidCredentials,
    /// A well-formed credential that is not one we know, such as a sign-in link's token (401).
    #[error("{message}")]
    NotRecognised {
        code: &'static str,
        message: &'static str,
    },
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    /// Also the answer for records the caller may not see, so that existence is not revealed.
    #[error(
        "We could not find that page or record. It may have moved, or you may not have access to it."
    )]
    NotFound,
    #[error("This action is not available here.")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Something that existed and can no longer be used, such as a spent sign-in link (410).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("Too many attempts. Please wait {0} minutes and try again.")]
    RateLimited(i64),
    #[error("The service is busy. Please try again in a moment.")]
    Unavailable,
    #[error(
        "Something went wrong on our side. Please try again; if it keeps happening, contact your system administrator."
    )]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A complaint about a field of one item of a list (`follow_ups[2].due_at`); other errors
    /// pass unchanged.
    pub fn in_item(self, list: &str, index: usize) -> AppError {
        match self {
            AppError::Invalid { field, message } => AppError::Invalid {
                field: Some(format!("{list}[{index}].{}", field.unwrap_or_default())),
                message,
            },
            other => other,
        }
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden {
            code: "forbidden",
            message: "You do not have permission to do that.",
        }
    }

    pub fn csrf() -> AppError {
        AppError::Forbidden {
            code: "csrf_token_invalid",
            message: "This form has expired or was not sent from Liaison. Go back, reload the page and try again; what you typed is still in the form.",
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid_input",
            AppError::BadRequest(_) => "bad_request",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden { code, .. } | AppError::NotRecognised { code, .. } => code,
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict { code, .. } => code,
            AppError::Gone { code, .. } => code,
            AppError::RateLimited(_) => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::NotRecognised { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Gone { .. } => StatusCode::GONE,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            AppError::RateLimited(minutes) => {
                res.insert_header(("Retry-After", (minutes * 60).to_string()));
            }
            AppError::Unavailable => {
                res.insert_header(("Retry-After", "5"));
            }
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::NotRecognised { .. } => {
                res.insert_header(("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        res.insert_header(("Cache-Control", "no-store"));
        res.json(ErrorBody {
            error: self.code(),
            message: self.to_string(),
            field: self.field(),
        })
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
