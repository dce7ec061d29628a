//! The staff pages: signing in and the home page (`account`), and casework on a case
//! (`cases`, a module per record, as in `crate::casework`).

pub mod account;
pub mod cases;
pub mod operations;
