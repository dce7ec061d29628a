//! The delivery worker. Any number may run against one database (inside `serve`, or alone
//! as `liaison worker`). Each claims due e-mail rows with an expiring lease (a conditional
//! UPDATE that works on both engines; on PostgreSQL the candidate rows are also read with
//! `FOR UPDATE SKIP LOCKED` so that workers do not queue behind each other), sends them, and
//! records the outcome. Failures retry with exponential backoff and jitter up to a limit,
//! then the row is marked failed for an administrator to see and retry. Suspension,
//! preferences and quiet hours are checked at send time, not only when the row was written.

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use serde_json::Value;
use tokio::sync::watch;

use crate::config::NotifyConfig;
use crate::db::schema::{notifications, relatives, users};
use crate::db::{self, Db, DbConn};
use crate::domain::{CaseId, NotificationId, RelativeId, UserId};
use crate::i18n::Lang;
use crate::notify::mail::{Mailer, SendError};
use crate::notify::render::{self, EmailTemplates};
use crate::notify::{Channel, Kind, Status};

/// Rows claimed per round.
pub const BATCH: i64 = 50;

pub struct Worker {
    db: Db,
    mailer: Mailer,
    config: NotifyConfig,
    templates: Arc<EmailTemplates>,
    public_url: String,
    domain: String,
    owner: String,
}

/// A claimed row.
#[derive(Debug, Clone, Queryable)]
pub struct Claimed {
    pub id: NotificationId,
    pub kind: Kind,
    pub recipient_user_id: Option<UserId>,
    pub recipient_relative_id: Option<RelativeId>,
    pub case_id: Option<CaseId>,
    pub payload: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

/// What to do with a claimed row, decided against the recipient as they are now.
enum Plan {
    Send {
        to: Mailbox,
        rendered: render::Rendered,
    },
    Cancel(String),
    Postpone(NaiveDateTime),
    Fail(String),
}

/// The outcome counts of one round, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub postponed: usize,
    /// Claimed but handed back unsent because the lease ran short.
    pub released: usize,
}

impl Worker {
    pub fn new(
        db: Db,
        config: NotifyConfig,
        templates: Arc<EmailTemplates>,
        public_url: &str,
    ) -> anyhow::Result<Worker> {
        let domain = url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "liaison.local".to_owned());
        let mut tag = [0u8; 4];
        rand::fill(&mut tag);
        let owner = format!(
            "{}-{}-{:02x}{:02x}{:02x}{:02x}",
            hostname(),
            std::process::id(),
            tag[0],
            tag[1],
            tag[2],
            tag[3]
        );
        Ok(Worker {
            mailer: Mailer::from_config(&config)?,
            db,
            config,
            templates,
            public_url: public_url.trim_end_matches('/').to_owned(),
            domain,
            owner,
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "worker {} delivering by {}",
            self.owner,
            self.mailer.describe()
        )
    }

    /// Runs until `shutdown` turns true. A round that found work is followed at once by
    /// another; an idle round waits for the poll interval.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.owner, mailer = %self.mailer.describe(), "notification worker started");
        let mut round_no: u64 = 0;
        let mut last_tick: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Some(interval) = self.config.scheduler_interval
                && last_tick.is_none_or(|t| t.elapsed() >= interval)
            {
                last_tick = Some(std::time::Instant::now());
                if let Err(e) = self.schedule(crate::db::now()).await {
                    tracing::warn!(error = %e, "scheduler tick failed; will try again");
                }
            }
            round_no += 1;
            let busy = match self.round(round_no).await {
                Ok(r) => {
                    if r.claimed > 0 {
                        tracing::info!(
                            claimed = r.claimed,
                            sent = r.sent,
                            retried = r.retried,
                            failed = r.failed,
                            cancelled = r.cancelled,
                            postponed = r.postponed,
                            "notifications delivered"
                        );
                    }
                    r.claimed > 0
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notification round failed; will try again");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.owner, "notification worker stopped");
    }

    /// One scheduler tick as at `now`: reminders, overdue notices and escalations (see
    /// `scheduler`). Safe to run on every instance at once.
    pub async fn schedule(
        &self,
        now: NaiveDateTime,
    ) -> Result<crate::notify::scheduler::Tick, crate::error::AppError> {
        let rules = self.config.rules.clone();
        let tick = self
            .db
            .run(move |conn| Ok(crate::notify::scheduler::tick(conn, &rules, now)?))
            .await?;
        if tick != Default::default() {
            tracing::info!(
                reminders = tick.reminders,
                overdue = tick.overdue,
                escalations = tick.escalations,
                "scheduler wrote notices"
            );
        }
        Ok(tick)
    }

    /// Claims one batch and delivers it. A send starts only while the lease has more time
    /// left than a send can take (the SMTP timeout), so that no other worker can reclaim a row
    /// while this one may still be sending it; rows left over are handed back at once.
    pub async fn round(&self, round_no: u64) -> Result<Round, crate::error::AppError> {
        let token = format!("{}#{round_no}", self.owner);
        let lease = self.config.lease;
        let claimed_at = db::now();
        let claimed = {
            let token = token.clone();
            self.db
                .run(move |conn| Ok(claim(conn, &token, lease, BATCH)?))
                .await?
        };
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        let safe_until = claimed_at + lease - send_margin(lease);
        // Sends run side by side over the SMTP connection pool; each checks the lease first.
        let results: Vec<Result<Delivered, crate::error::AppError>> =
            futures_util::stream::iter(claimed)
                .map(|row| async move {
                    if db::now() >= safe_until {
                        return Ok(Delivered::HandedBack(row.id));
                    }
                    self.deliver(row).await.map(Delivered::Done)
                })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
        let mut handed_back = Vec::new();
        for result in results {
            match result? {
                Delivered::HandedBack(id) => handed_back.push(id),
                Delivered::Done(Outcome::Sent) => round.sent += 1,
                Delivered::Done(Outcome::Retry(..)) => round.retried += 1,
                Delivered::Done(Outcome::Fail(_)) => round.failed += 1,
                Delivered::Done(Outcome::Cancel(_)) => round.cancelled += 1,
                Delivered::Done(Outcome::Postpone(_)) => round.postponed += 1,
            }
        }
        if !handed_back.is_empty() {
            round.released = handed_back.len();
            self.db
                .run(move |conn| Ok(release(conn, &token, &handed_back)?))
                .await?;
        }
        Ok(round)
    }

    /// Sends one row and records the outcome.
    async fn deliver(&self, row: Claimed) -> Result<Outcome, crate::error::AppError> {
        let plan = {
            let (row, templates, public_url) =
                (row.clone(), self.templates.clone(), self.public_url.clone());
            self.db
                .run(move |conn| Ok(plan(conn, &row, &templates, &public_url)?))
                .await?
        };
        let id = row.id.clone();
        let attempts = row.attempts;
        let outcome = match plan {
            Plan::Send { to, rendered } => {
                match render::build_message(
                    &self.config.mail_from,
                    to,
                    &row.id,
                    &self.domain,
                    &rendered,
                ) {
                    Ok(message) => {
                        let stem = format!("{}-{}", row.created_at.format("%Y%m%dT%H%M%S"), row.id);
                        match self.mailer.send(message, &stem).await {
                            Ok(()) => Outcome::Sent,
                            Err(SendError::Permanent(reason)) => Outcome::Fail(reason),
                            Err(SendError::Transient(reason)) => {
                                self.retry_or_fail(attempts, reason)
                            }
                        }
                    }
                    Err(e) => Outcome::Fail(format!("could not build the message: {e}")),
                }
            }
            Plan::Cancel(reason) => Outcome::Cancel(reason),
            Plan::Postpone(until) => Outcome::Postpone(until),
            Plan::Fail(reason) => Outcome::Fail(reason),
        };
        let recorded = outcome.clone();
        self.db
            .run(move |conn| Ok(record(conn, &id, &recorded)?))
            .await?;
        Ok(outcome)
    }

    fn retry_or_fail(&self, attempts: i32, reason: String) -> Outcome {
        if attempts >= self.config.max_attempts {
            return Outcome::Fail(format!("gave up after {attempts} attempts: {reason}"));
        }
        Outcome::Retry(
            db::now() + backoff(self.config.retry_base, attempts),
            reason,
        )
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "liaison".to_owned())
}

/// Exponential backoff with jitter: base × 2^(attempt−1), at most six hours, then scaled by a
/// random factor in [0.5, 1.0) so that retries after an outage do not arrive all at once.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = attempt.clamp(1, 20) - 1;
    let seconds = (base.num_seconds().max(1) as f64 * 2f64.powi(exponent)).min(6.0 * 3600.0);
    let jitter = 0.5 + rand::random::<f64>() / 2.0;
    Duration::milliseconds((seconds * jitter * 1000.0) as i64)
}

/// The time kept in hand at the end of a lease: one SMTP timeout plus time to record the
/// outcome (a database write may wait for a lock), or half the lease if that is shorter.
/// With the default lease of two minutes that is 40 seconds.
fn send_margin(lease: Duration) -> Duration {
    (Duration::seconds(crate::notify::mail::SEND_TIMEOUT_SECONDS) + Duration::seconds(10))
        .min(lease / 2)
}

/// Hands claimed rows back without counting an attempt.
fn release(conn: &mut DbConn, token: &str, ids: &[NotificationId]) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(notifications::lease_owner.eq(token))
            .filter(notifications::status.eq(Status::Pending)),
    )
    .set((
        notifications::lease_owner.eq(None::<String>),
        notifications::lease_until.eq(None::<NaiveDateTime>),
        notifications::attempts.eq(notifications::attempts - 1),
    ))
    .execute(conn)
}

/// Claims up to `batch` due e-mail rows for `token` until now + `lease`.
pub fn claim(
    conn: &mut DbConn,
    token: &str,
    lease: Duration,
    batch: i64,
) -> QueryResult<Vec<Claimed>> {
    db::write(conn, |conn| {
        let now = db::now();
        let due = notifications::table
            .filter(notifications::status.eq(Status::Pending))
            .filter(notifications::channel.eq(Channel::Email))
            .filter(notifications::next_attempt_at.le(now))
            .filter(
                notifications::lease_until
                    .is_null()
                    .or(notifications::lease_until.lt(now)),
            )
            .order(notifications::next_attempt_at.asc())
            .limit(batch)
            .select(notifications::id);
        let candidates: Vec<String> = match conn {
            DbConn::Pg(pg) => due.for_update().skip_locked().load(pg)?,
            DbConn::Sqlite(sqlite) => due.load(sqlite)?,
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // The lease conditions are repeated here: on PostgreSQL a concurrent claimer's UPDATE
        // re-checks them against the committed row and skips rows already leased.
        diesel::update(
            notifications::table
                .filter(notifications::id.eq_any(&candidates))
                .filter(notifications::status.eq(Status::Pending))
                .filter(
                    notifications::lease_until
                        .is_null()
                        .or(notifications::lease_until.lt(now)),
                ),
        )
        .set((
            notifications::lease_owner.eq(token),
            notifications::lease_until.eq(now + lease),
            notifications::attempts.eq(notifications::attempts + 1),
        ))
        .execute(conn)?;
        notifications::table
            .filter(notifications::lease_owner.eq(token))
            .filter(notifications::status.eq(Status::Pending))
            .select((
                notifications::id,
                notifications::kind,
                notifications::recipient_user_id,
                notifications::recipient_relative_id,
                notifications::case_id,
                notifications::payload,
                notifications::attempts,
                notifications::created_at,
            ))
            .order(notifications::next_attempt_at.asc())
            .load(conn)
    })
}

enum Delivered {
    Done(Outcome),
    HandedBack(NotificationId),
}

#[derive(Debug, Clone)]
enum Outcome {
    Sent,
    Retry(NaiveDateTime, String),
    Fail(String),
    Cancel(String),
    Postpone(NaiveDateTime),
}

fn record(conn: &mut DbConn, id: &NotificationId, outcome: &Outcome) -> QueryResult<usize> {
    let row = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::status.eq(Status::Pending));
    let no_lease = (
        notifications::lease_owner.eq(None::<String>),
        notifications::lease_until.eq(None::<NaiveDateTime>),
    );
    let now = db::now();
    match outcome {
        Outcome::Sent => diesel::update(row)
            .set((
                notifications::status.eq(Status::Sent),
                notifications::sent_at.eq(Some(now)),
                notifications::last_error.eq(None::<String>),
                no_lease,
            ))
            .execute(conn),
        Outcome::Retry(at, reason) => diesel::update(row)
            .set((
                notifications::next_attempt_at.eq(at),
                notifications::last_error.eq(Some(truncate(reason))),
                no_lease,
            ))
            .execute(conn),
        Outcome::Fail(reason) => diesel::update(row)
            .set((
                notifications::status.eq(Status::Failed),
                notifications::last_error.eq(Some(truncate(reason))),
                no_lease,
            ))
            .execute(conn),
        Outcome::Cancel(reason) => diesel::update(row)
            .set((
                notifications::status.eq(Status::Cancelled),
                notifications::last_error.eq(Some(truncate(reason))),
                no_lease,
            ))
            .execute(conn),
        // Waiting for quiet hours is not an attempt.
        Outcome::Postpone(until) => diesel::update(row)
            .set((
                notifications::next_attempt_at.eq(until),
                notifications::attempts.eq(notifications::attempts - 1),
                no_lease,
            ))
            .execute(conn),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(1000).collect()
}

fn mailbox(name: &str, email: &str) -> Result<Mailbox, String> {
    let address = email
        .parse::<lettre::Address>()
        .map_err(|e| format!("the address on record is not usable: {e}"))?;
    Ok(Mailbox::new(Some(name.to_owned()), address))
}

/// Decides what to do with a claimed row, against the recipient as they are now.
fn plan(
    conn: &mut DbConn,
    row: &Claimed,
    templates: &EmailTemplates,
    public_url: &str,
) -> QueryResult<Plan> {
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    if let Some(user_id) = &row.recipient_user_id {
        let user: Option<(String, String, bool)> = users::table
            .find(user_id)
            .select((users::display_name, users::email, users::active))
            .first(conn)
            .optional()?;
        let Some((name, email, active)) = user else {
            return Ok(Plan::Cancel("recipient no longer exists".into()));
        };
        if !active {
            return Ok(Plan::Cancel("recipient's account is deactivated".into()));
        }
        let link = match &row.case_id {
            Some(case) => format!("{public_url}/staff/cases/{case}"),
            None => format!("{public_url}/staff/notifications"),
        };
        let ctx = render::staff_context(&name, &link, &payload);
        return Ok(
            match (templates.render(row.kind, &ctx), mailbox(&name, &email)) {
                (Ok(rendered), Ok(to)) => Plan::Send { to, rendered },
                (Err(e), _) => Plan::Fail(format!("template: {e}")),
                (_, Err(e)) => Plan::Fail(e),
            },
        );
    }
    if let Some(relative_id) = &row.recipient_relative_id {
        type RelativeRow = (
            String,
            Option<String>,
            Lang,
            String,
            bool,
            Option<String>,
            Option<String>,
            Option<chrono::NaiveDateTime>,
        );
        let relative: Option<RelativeRow> = relatives::table
            .find(relative_id)
            .select((
                relatives::full_name,
                relatives::email,
                relatives::language,
                relatives::access_state,
                relatives::notify_by_email,
                relatives::quiet_hours_start,
                relatives::quiet_hours_end,
                relatives::restricted_at,
            ))
            .first(conn)
            .optional()?;
        let Some((name, email, lang, access, by_email, quiet_start, quiet_end, restricted)) =
            relative
        else {
            return Ok(Plan::Cancel("recipient no longer exists".into()));
        };
        if restricted.is_some() {
            return Ok(Plan::Cancel("recipient restricted".into()));
        }
        if access == "suspended" {
            return Ok(Plan::Cancel(
                "recipient's portal access is suspended".into(),
            ));
        }
        let purpose = crate::family::links::Purpose::of_kind(row.kind);
        // Sign-in links go by e-mail whatever the preference: there is no other way to send them.
        if !by_email && purpose.is_none() {
            return Ok(Plan::Cancel(
                "recipient asked for portal notices only".into(),
            ));
        }
        let Some(email) = email else {
            return Ok(Plan::Cancel("recipient has no email address".into()));
        };
        // A link the relative asked for is wanted now; everything else waits for quiet hours.
        if purpose != Some(crate::family::links::Purpose::SignIn)
            && let Some(until) = crate::notify::quiet::quiet_until(
                quiet_start.as_deref(),
                quiet_end.as_deref(),
                db::now(),
            )
        {
            return Ok(Plan::Postpone(until));
        }
        let link = match purpose {
            // Minted as it is sent, so that the raw token never rests in the database.
            Some(purpose) => {
                let relative = relative_id.clone();
                let token = db::write(conn, move |conn| {
                    crate::family::links::mint(conn, &relative, purpose, None)
                })?;
                format!("{public_url}/family/sign-in/link?token={token}")
            }
            None => format!("{public_url}/family"),
        };
        let ctx = render::family_context(row.kind, lang, &name, &link, &payload);
        return Ok(
            match (templates.render(row.kind, &ctx), mailbox(&name, &email)) {
                (Ok(rendered), Ok(to)) => Plan::Send { to, rendered },
                (Err(e), _) => Plan::Fail(format!("template: {e}")),
                (_, Err(e)) => Plan::Fail(e),
            },
        );
    }
    Ok(Plan::Fail("no recipient".into()))
}
