//! Integration tests: the real app over HTTP, on SQLite by default and on PostgreSQL when
//! LIAISON_TEST_DATABASE_URL is set.

mod access;
mod admin;
mod agencies;
mod appointments;
mod auth;
mod bad_input;
mod casework;
mod casework_pages;
mod cli;
mod dashboard;
mod family;
mod family_api;
mod family_cache;
mod family_groups;
mod family_notices;
mod family_visible;
mod help;
mod layers;
mod milestones;
mod national;
mod notify;
mod openapi;
mod operations;
mod ops;
mod scheduler;
mod schema;
mod shared_device;
mod support;
