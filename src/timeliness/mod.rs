//! Timeliness: the targets that liaison is held to, and working time to count them in.

pub mod calendar;
pub mod dashboard;
pub mod measures;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::settings;

pub use calendar::WorkingCalendar;

/// The targets of DESIGN §3 that the scheduler escalates on. Each can be set in the
/// `settings` table under its key; a missing or unreadable value means the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Case opened → first logged contact, in hours (`target.first_contact_hours`, 24).
    pub first_contact_hours: i64,
    /// Family message → acknowledged, in working days (`target.message_ack_working_days`, 1).
    pub message_ack_working_days: i64,
    /// Family message → answered, in working days (`target.message_answer_working_days`, 5).
    pub message_answer_working_days: i64,
    /// Stage change or key event → update shared, in working days
    /// (`target.update_after_event_working_days`, 1).
    pub update_after_event_working_days: i64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            first_contact_hours: 24,
            message_ack_working_days: 1,
            message_answer_working_days: 5,
            update_after_event_working_days: 1,
        }
    }
}

impl Targets {
    pub const KEYS: [&'static str; 4] = [
        "target.first_contact_hours",
        "target.message_ack_working_days",
        "target.message_answer_working_days",
        "target.update_after_event_working_days",
    ];

    pub fn load(conn: &mut DbConn) -> QueryResult<Targets> {
        let rows: Vec<(String, String)> = settings::table
            .filter(settings::key.eq_any(Self::KEYS))
            .select((settings::key, settings::value))
            .load(conn)?;
        let mut t = Targets::default();
        for (key, value) in rows {
            let Ok(v) = value.trim().parse::<i64>() else {
                tracing::warn!(
                    key,
                    value,
                    "a target setting is not a whole number; using the default"
                );
                continue;
            };
            if v <= 0 {
                continue;
            }
            match key.as_str() {
                "target.first_contact_hours" => t.first_contact_hours = v,
                "target.message_ack_working_days" => t.message_ack_working_days = v,
                "target.message_answer_working_days" => t.message_answer_working_days = v,
                "target.update_after_event_working_days" => t.update_after_event_working_days = v,
                _ => {}
            }
        }
        Ok(t)
    }
}
