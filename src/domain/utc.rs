//! Stored times are UTC `NaiveDateTime`s; in JSON they are written as RFC 3339 with a `Z`,
//! so that no reader has to guess the zone.

use chrono::NaiveDateTime;
use serde::Serializer;

pub fn utc<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

pub fn utc_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}
