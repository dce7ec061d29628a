//! Casework use cases: cases, named contacts, relatives, the contact log, follow-ups,
//! updates and property. Every query here is scoped by the caller: a case the caller may not
//! see is indistinguishable from one that does not exist.

pub mod cases;
