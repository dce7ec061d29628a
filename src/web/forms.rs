//! Form errors for pages; the collecting validator lives with the domain types.

pub use crate::domain::validation::{FieldError, FormErrors, Validator};
