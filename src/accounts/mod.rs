//! Staff accounts and teams: the administrator's records. Every change is audited; nothing
//! here reads or writes case content.

pub mod teams;
pub mod users;

pub use teams::Team;
pub use users::User;
