//! Fixed-window attempt counters kept in the database, so that every app instance sharing
//! it enforces the same limit.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::rate_limits;
use crate::db::{self, DbConn};

/// True when `bucket` has already reached `max` hits in the current window.
pub fn is_limited(
    conn: &mut DbConn,
    bucket: &str,
    window: Duration,
    max: i32,
) -> QueryResult<bool> {
    let since = db::now() - window;
    let hits: Option<i32> = rate_limits::table
        .find(bucket)
        .filter(rate_limits::window_start.gt(since))
        .select(rate_limits::hits)
        .first(conn)
        .optional()?;
    Ok(hits.is_some_and(|h| h >= max))
}

/// Counts one hit against `bucket`, starting a new window when the last has passed.
/// Call inside a write transaction.
pub fn hit(conn: &mut DbConn, bucket: &str, window: Duration) -> QueryResult<()> {
    let now = db::now();
    let counted = diesel::update(
        rate_limits::table
            .find(bucket)
            .filter(rate_limits::window_start.gt(now - window)),
    )
    .set(rate_limits::hits.eq(rate_limits::hits + 1))
    .execute(conn)?;
    if counted == 1 {
        return Ok(());
    }
    let restarted = diesel::update(rate_limits::table.find(bucket))
        .set((rate_limits::window_start.eq(now), rate_limits::hits.eq(1)))
        .execute(conn)?;
    if restarted == 0 {
        diesel::insert_into(rate_limits::table)
            .values((
                rate_limits::bucket.eq(bucket),
                rate_limits::window_start.eq(now),
                rate_limits::hits.eq(1),
            ))
            .execute(conn)?;
    }
    Ok(())
}
