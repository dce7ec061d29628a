//! Timeliness: the targets that liaison is held to, and working time to count them in.

pub mod calendar;
pub mod chart;
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
    /// Milestone reached or key event → update shared, in working days
    /// (`target.update_after_event_working_days`, 1).
    pub update_after_event_working_days: i64,
    /// Case opened → every relative's Victims' Code entitlements met, in working days
    /// (`target.entitlements_working_days`, 10).
    pub entitlements_working_days: i64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            first_contact_hours: 24,
            message_ack_working_days: 1,
            message_answer_working_days: 5,
            update_after_event_working_days: 1,
            entitlements_working_days: 10,
        }
    }
}

impl Targets {
    pub const KEYS: [&'static str; 5] = [
        "target.first_contact_hours",
        "target.message_ack_working_days",
        "target.message_answer_working_days",
        "target.update_after_event_working_days",
        "target.entitlements_working_days",
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
                "target.entitlements_working_days" => t.entitlements_working_days = v,
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Targets {
    fn get(&self, key: &str) -> Option<i64> {
        match key {
            "target.first_contact_hours" => Some(self.first_contact_hours),
            "target.message_ack_working_days" => Some(self.message_ack_working_days),
            "target.message_answer_working_days" => Some(self.message_answer_working_days),
            "target.update_after_event_working_days" => Some(self.update_after_event_working_days),
            "target.entitlements_working_days" => Some(self.entitlements_working_days),
            _ => None,
        }
    }

    fn set(&mut self, key: &str, v: i64) {
        match key {
            "target.first_contact_hours" => self.first_contact_hours = v,
            "target.message_ack_working_days" => self.message_ack_working_days = v,
            "target.message_answer_working_days" => self.message_answer_working_days = v,
            "target.update_after_event_working_days" => self.update_after_event_working_days = v,
            "target.entitlements_working_days" => self.entitlements_working_days = v,
            _ => {}
        }
    }

    /// Checks a proposed set of targets: whole, positive and not absurd.
    pub fn validate(&self) -> Result<(), crate::error::AppError> {
        let limits = [
            ("first_contact_hours", self.first_contact_hours, 24 * 14),
            (
                "message_ack_working_days",
                self.message_ack_working_days,
                30,
            ),
            (
                "message_answer_working_days",
                self.message_answer_working_days,
                60,
            ),
            (
                "update_after_event_working_days",
                self.update_after_event_working_days,
                30,
            ),
            (
                "entitlements_working_days",
                self.entitlements_working_days,
                60,
            ),
        ];
        for (field, v, max) in limits {
            if v < 1 || v > max {
                return Err(crate::error::AppError::invalid(
                    field,
                    format!("Enter a whole number from 1 to {max}."),
                ));
            }
        }
        Ok(())
    }
}

/// A change of one target, in force from `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TargetChange {
    pub key: String,
    pub old_value: Option<String>,
    pub new_value: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub effective_from: chrono::NaiveDateTime,
    pub changed_by: Option<String>,
}

/// The targets over time: a change applies from the moment it was made, so something that
/// started earlier is judged by the target in force when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHistory {
    /// In force before the first recorded change.
    base: Targets,
    /// Oldest first.
    changes: Vec<(chrono::NaiveDateTime, String, i64)>,
}

impl TargetHistory {
    /// One set of targets for all time.
    pub fn fixed(t: Targets) -> TargetHistory {
        TargetHistory {
            base: t,
            changes: vec![],
        }
    }

    pub fn load(conn: &mut DbConn) -> QueryResult<TargetHistory> {
        use crate::db::schema::setting_changes as c;
        let current = Targets::load(conn)?;
        let rows: Vec<(String, Option<String>, String, chrono::NaiveDateTime)> = c::table
            .filter(c::key.eq_any(Targets::KEYS))
            .select((c::key, c::old_value, c::new_value, c::effective_from))
            .order((c::effective_from.asc(), c::id.asc()))
            .load(conn)?;
        // Before its first change a key had that change's old value (or the default); keys
        // never changed through Liaison have their current value throughout.
        let mut base = current;
        let defaults = Targets::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut changes = Vec::new();
        for (key, old, new, at) in &rows {
            if !seen.contains(&key.as_str()) {
                seen.push(key);
                let before = old
                    .as_deref()
                    .and_then(|v| v.trim().parse().ok())
                    .or_else(|| defaults.get(key))
                    .unwrap_or(0);
                base.set(key, before);
            }
            if let Ok(v) = new.trim().parse() {
                changes.push((*at, key.clone(), v));
            }
        }
        Ok(TargetHistory { base, changes })
    }

    /// The targets in force at `t`.
    pub fn at(&self, t: chrono::NaiveDateTime) -> Targets {
        let mut out = self.base;
        for (at, key, v) in &self.changes {
            if *at > t {
                break;
            }
            out.set(key, *v);
        }
        out
    }

    /// The changes made in `[from, to)`.
    pub fn changes_between(
        &self,
        from: chrono::NaiveDateTime,
        to: chrono::NaiveDateTime,
    ) -> Vec<(chrono::NaiveDateTime, String, i64)> {
        self.changes
            .iter()
            .filter(|(at, _, _)| *at >= from && *at < to)
            .cloned()
            .collect()
    }
}

/// Saves new targets from now on: each changed key is written, its change recorded with the
/// old and new values, and the whole audited. Returns the changes made.
pub fn set_targets(
    conn: &mut DbConn,
    by: &crate::domain::UserId,
    new: &Targets,
) -> Result<Vec<TargetChange>, crate::error::AppError> {
    use crate::db::schema::setting_changes as c;
    new.validate()?;
    crate::db::write(conn, |conn| {
        // One save at a time: each reads the targets it replaces after the one before it
        // committed (SQLite's write transaction already serialises them).
        if let crate::db::DbConn::Pg(pg) = conn {
            diesel::connection::SimpleConnection::batch_execute(
                pg,
                "SELECT pg_advisory_xact_lock(7146210002)",
            )?;
        }
        let current = Targets::load(conn)?;
        let now = crate::db::now();
        let mut made = Vec::new();
        for key in Targets::KEYS {
            let (old, value) = (current.get(key), new.get(key));
            if old == value {
                continue;
            }
            let value = value.unwrap_or_default().to_string();
            let updated = diesel::update(settings::table.find(key))
                .set((
                    settings::value.eq(&value),
                    settings::updated_at.eq(now),
                    settings::updated_by.eq(Some(by)),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(settings::table)
                    .values((
                        settings::key.eq(key),
                        settings::value.eq(&value),
                        settings::updated_at.eq(now),
                        settings::updated_by.eq(Some(by)),
                    ))
                    .execute(conn)?;
            }
            let old = old.map(|v| v.to_string());
            diesel::insert_into(c::table)
                .values((
                    c::id.eq(crate::domain::new_row_id()),
                    c::key.eq(key),
                    c::old_value.eq(old.as_deref()),
                    c::new_value.eq(&value),
                    c::effective_from.eq(now),
                    c::changed_by.eq(Some(by)),
                ))
                .execute(conn)?;
            made.push(TargetChange {
                key: key.to_owned(),
                old_value: old,
                new_value: value,
                effective_from: now,
                changed_by: Some(by.to_string()),
            });
        }
        if !made.is_empty() {
            crate::audit::event(
                &crate::audit::Actor::Staff(by.clone()),
                "settings.targets_change",
            )
            .detail(
                made.iter()
                    .map(|m| {
                        format!(
                            "{}: {} -> {}",
                            m.key,
                            m.old_value.as_deref().unwrap_or("default"),
                            m.new_value
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .write(conn)?;
        }
        Ok(made)
    })
}

/// The recorded target changes, newest first, with who made them (display names).
pub fn target_changes(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<TargetChange>> {
    use crate::db::schema::{setting_changes as c, users};
    type Row = (
        String,
        Option<String>,
        String,
        chrono::NaiveDateTime,
        Option<String>,
    );
    let rows: Vec<Row> = c::table
        .left_join(users::table.on(users::id.nullable().eq(c::changed_by)))
        .filter(c::key.eq_any(Targets::KEYS))
        .select((
            c::key,
            c::old_value,
            c::new_value,
            c::effective_from,
            users::display_name.nullable(),
        ))
        .order((c::effective_from.desc(), c::id.desc()))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(key, old_value, new_value, effective_from, by)| TargetChange {
                key,
                old_value,
                new_value,
                effective_from,
                changed_by: by,
            },
        )
        .collect())
}
