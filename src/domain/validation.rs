//! Collecting every validation error of a form at once, so a person sees them all together
//! (and the form again with what they typed), rather than one per submit.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::AppError;

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The errors of one submitted form: a list for the summary at the top, and a map for the
/// message beside each field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormErrors {
    pub list: Vec<FieldError>,
    pub by_field: BTreeMap<String, String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        self.by_field
            .entry(field.to_owned())
            .or_insert_with(|| message.clone());
        self.list.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }

    /// The same errors with `prefix` before each field, for a page with several forms whose
    /// fields would otherwise share ids (`reason` becomes `type_reason`).
    pub fn prefixed(self, prefix: &str) -> FormErrors {
        let mut out = FormErrors::default();
        for e in self.list {
            out.add(&format!("{prefix}{}", e.field), e.message);
        }
        out
    }

    /// Turns a use-case error into form errors when it is about the input; other errors
    /// are handed back to be shown as an error page.
    pub fn from_error(e: AppError, default_field: &str) -> Result<FormErrors, AppError> {
        let mut errors = FormErrors::default();
        match e {
            AppError::Invalid { field, message } => {
                errors.add(field.as_deref().unwrap_or(default_field), message)
            }
            AppError::Conflict { message, .. } => errors.add(default_field, message),
            other => return Err(other),
        }
        Ok(errors)
    }
}

/// A value chosen from a list (or a number), as a transport read it.
pub enum Picked<T> {
    Absent,
    Given(T),
    /// Sent, but not a value of the list: only a form's text can be this.
    Unreadable,
}

impl<T> Picked<T> {
    /// From a form's text: empty is absent; otherwise `parse` must read it.
    pub fn text(raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> Picked<T> {
        match raw.trim() {
            "" => Picked::Absent,
            s => parse(s).map_or(Picked::Unreadable, Picked::Given),
        }
    }

    pub fn required(self, field: &str, message: &str) -> Result<T, AppError> {
        match self {
            Picked::Given(value) => Ok(value),
            Picked::Absent | Picked::Unreadable => Err(AppError::invalid(field, message)),
        }
    }

    pub fn optional(self, field: &str, message: &str) -> Result<Option<T>, AppError> {
        match self {
            Picked::Absent => Ok(None),
            Picked::Given(value) => Ok(Some(value)),
            Picked::Unreadable => Err(AppError::invalid(field, message)),
        }
    }
}

impl<T> From<Option<T>> for Picked<T> {
    fn from(value: Option<T>) -> Picked<T> {
        value.map_or(Picked::Absent, Picked::Given)
    }
}

/// Runs several parses and keeps every `Invalid` error.
#[derive(Default)]
pub struct Validator {
    errors: FormErrors,
    other: Option<AppError>,
}

impl Validator {
    pub fn check<T>(&mut self, result: Result<T, AppError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(AppError::Invalid { field, message }) => {
                self.errors.add(field.as_deref().unwrap_or("form"), message);
                None
            }
            Err(other) => {
                self.other.get_or_insert(other);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// `Ok(())` when everything parsed; otherwise the collected errors (or the first
    /// non-validation error).
    pub fn finish(self) -> Result<(), Result<FormErrors, AppError>> {
        if let Some(other) = self.other {
            return Err(Err(other));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Ok(self.errors))
        }
    }

    /// The value built from the checked parts when every check passed; otherwise the collected
    /// errors (or the first non-validation error). Build the value with `?` on each checked
    /// part, so that no caller unwraps: `v.finish_with((|| Some(New { a: a?, b: b? }))())`.
    pub fn finish_with<T>(self, value: Option<T>) -> Result<T, Result<FormErrors, AppError>> {
        self.finish()?;
        // A check gives `None` only after recording why, so `finish` has failed already.
        value.ok_or_else(|| {
            Err(AppError::Internal(anyhow::anyhow!(
                "a check failed without recording why"
            )))
        })
    }

    /// As `finish_with`, for the API: the first error as an `AppError`.
    pub fn finish_api_with<T>(self, value: Option<T>) -> Result<T, AppError> {
        match self.finish_with(value) {
            Ok(value) => Ok(value),
            Err(Err(e)) => Err(e),
            Err(Ok(errors)) => Err(first_error(errors)),
        }
    }
}

/// The first of a form's errors, as the API reports it.
fn first_error(errors: FormErrors) -> AppError {
    let first = &errors.list[0];
    AppError::Invalid {
        field: Some(first.field.clone()),
        message: first.message.clone(),
    }
}
