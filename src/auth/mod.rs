//! Who is calling, and what they may do. Passwords, signed tokens backed by server-side
//! sessions, CSRF protection for forms, sign-in throttling, the authorization policy
//! (deny by default) and the extractors that make a handler's signature say who may call it.

pub mod cookies;
pub mod csrf;
pub mod device;
pub mod drafts;
pub mod extract;
pub mod password;
pub mod policy;
pub mod session;
pub mod sign_in;
pub mod throttle;
pub mod tokens;

pub use extract::{
    AdminUser, AuditReader, AuthSource, CaseworkCaller, CaseworkOnCase, CaseworkUser,
    ManagerOnCase, ManagerUser, SioOrManagerOnCase,
};
pub use session::StaffUser;
