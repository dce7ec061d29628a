//! Liaison: a family liaison communication portal.
//!
//! Officers record every contact with a bereaved family; relatives see their case's progress
//! and raise questions that are answered on the record; managers see response timeliness and
//! are told of lapses. See README.md for a map of the code.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod casework;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod family;
pub mod files;
pub mod i18n;
pub mod metrics;
pub mod notify;
pub mod ops;
pub mod startup;
pub mod state;
pub mod timeliness;
pub mod web;

pub use startup::Application;
