//! Adapters only: they read input, call a use case, and render a page or JSON. Rules live in
//! the use cases, never here.

pub mod admin;
pub mod api;
pub mod assets;
pub mod dashboard;
pub mod family;
pub mod forms;
pub mod inbox;
pub mod messages;
pub mod outbox;
pub mod pages;
pub mod staff;
