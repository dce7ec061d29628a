//! The family portal's own rules: sign-in links for relatives, their sessions, what a
//! relative may read about their case (only what is shared), their messages to the case
//! team and the team's answers, the staff actions that open or close a relative's access, and
//! the memory that lets a relative's pages be served without the database.

pub mod access;
pub mod appointments;
pub mod cache;
pub mod ics;
pub mod links;
pub mod messages;
pub mod portal;
pub mod preferences;
pub mod restrictions;
pub mod session;
pub mod sign_in;
pub mod support;
pub mod visible;

pub use session::FamilyUser;
