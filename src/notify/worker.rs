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
        // News for one relative claimed together goes as one message, carried by the first.
        let (claimed, carried) = first_of_each_burst(claimed);
        if !carried.is_empty() {
            let token = token.clone();
            self.db
                .run(move |conn| Ok(carry(conn, &token, &carried)?))
                .await?;
        }
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
            let (window, force) = (self.config.notice_window, self.config.force_name.clone());
            self.db
                .run(move |conn| {
                    let house = House {
                        public_url: &public_url,
                        window,
                        force: &force,
                    };
                    Ok(plan(conn, &row, &templates, &house)?)
                })
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
        // Only news for a relative carries other rows (`join_burst`).
        let carries = row.recipient_relative_id.is_some() && Kind::NEWS.contains(&row.kind);
        self.db
            .run(move |conn| Ok(record(conn, &id, &recorded, carries)?))
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

/// Splits claimed rows into those to deliver and, for each relative with several news rows in
/// the batch, the rows the first of them carries (as (carrier, carried)).
fn first_of_each_burst(
    mut claimed: Vec<Claimed>,
) -> (Vec<Claimed>, Vec<(NotificationId, NotificationId)>) {
    // The oldest of a relative's news carries the rest, so its window is the one that runs.
    claimed.sort_by_key(|row| row.created_at);
    let mut carriers: std::collections::HashMap<RelativeId, NotificationId> = Default::default();
    let mut deliver = Vec::with_capacity(claimed.len());
    let mut carried = Vec::new();
    for row in claimed {
        match (&row.recipient_relative_id, Kind::NEWS.contains(&row.kind)) {
            (Some(relative), true) => match carriers.get(relative) {
                Some(carrier) => carried.push((carrier.clone(), row.id)),
                None => {
                    carriers.insert(relative.clone(), row.id.clone());
                    deliver.push(row);
                }
            },
            _ => deliver.push(row),
        }
    }
    (deliver, carried)
}

/// Joins claimed rows to the row that carries them and hands back their leases, uncounted.
fn carry(
    conn: &mut DbConn,
    token: &str,
    carried: &[(NotificationId, NotificationId)],
) -> QueryResult<()> {
    db::write(conn, |conn| {
        for (carrier, row) in carried {
            carry_one(conn, carrier, row, Some(token))?;
        }
        Ok(())
    })
}

/// `carrier` carries `row` from now on, and whatever `row` carried. A row this worker had
/// claimed (`token`) is handed back uncounted; one it had not is taken only while no worker
/// holds it (the caller's query said so, and the update says it again).
fn carry_one(
    conn: &mut DbConn,
    carrier: &NotificationId,
    row: &NotificationId,
    token: Option<&str>,
) -> QueryResult<()> {
    let now = db::now();
    let waiting = notifications::table
        .find(row)
        .filter(notifications::status.eq(Status::Pending))
        .filter(notifications::merged_into.is_null());
    let attempts_back = i32::from(token.is_some());
    let carried = (
        notifications::merged_into.eq(Some(carrier)),
        notifications::lease_owner.eq(None::<String>),
        notifications::lease_until.eq(None::<NaiveDateTime>),
        notifications::attempts.eq(notifications::attempts - attempts_back),
    );
    let taken = match token {
        Some(token) => diesel::update(waiting.filter(notifications::lease_owner.eq(token)))
            .set(carried)
            .execute(conn)?,
        None => diesel::update(
            waiting.filter(
                notifications::lease_until
                    .is_null()
                    .or(notifications::lease_until.lt(now)),
            ),
        )
        .set(carried)
        .execute(conn)?,
    };
    if taken > 0 {
        diesel::update(notifications::table.filter(notifications::merged_into.eq(row)))
            .set(notifications::merged_into.eq(Some(carrier)))
            .execute(conn)?;
    }
    Ok(())
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
            .filter(notifications::merged_into.is_null())
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
                .filter(notifications::merged_into.is_null())
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

/// Records the outcome of a row, and of the rows it carried (`join_burst`) when it is final.
fn record(
    conn: &mut DbConn,
    id: &NotificationId,
    outcome: &Outcome,
    carries: bool,
) -> QueryResult<usize> {
    if !carries {
        return record_one(conn, id, outcome);
    }
    db::write(conn, |conn| {
        let n = record_one(conn, id, outcome)?;
        // A final outcome is theirs too; a retry or a wait keeps them waiting with it.
        let (status, reason) = match outcome {
            Outcome::Sent => (Status::Sent, None),
            Outcome::Fail(reason) => (Status::Failed, Some(truncate(reason))),
            Outcome::Cancel(reason) => (Status::Cancelled, Some(truncate(reason))),
            Outcome::Retry(..) | Outcome::Postpone(_) => return Ok(n),
        };
        diesel::update(
            notifications::table
                .filter(notifications::merged_into.eq(id))
                .filter(notifications::status.eq(Status::Pending)),
        )
        .set((
            notifications::status.eq(status),
            notifications::last_error.eq(reason),
            notifications::sent_at.eq((status == Status::Sent).then(db::now)),
        ))
        .execute(conn)?;
        Ok(n)
    })
}

fn record_one(conn: &mut DbConn, id: &NotificationId, outcome: &Outcome) -> QueryResult<usize> {
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

/// What every message says about where it comes from: the portal's address, the notice
/// window for a family's news, and the force.
struct House<'a> {
    public_url: &'a str,
    window: Duration,
    force: &'a str,
}

/// Decides what to do with a claimed row, against the recipient as they are now.
fn plan(
    conn: &mut DbConn,
    row: &Claimed,
    templates: &EmailTemplates,
    house: &House<'_>,
) -> QueryResult<Plan> {
    let public_url = house.public_url;
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
        let path = render::staff_path(&payload, row.case_id.as_ref())
            .unwrap_or_else(|| "/staff/notifications".to_owned());
        let link = format!("{public_url}{path}");
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
        return plan_for_relative(conn, row, relative_id, templates, house);
    }
    Ok(Plan::Fail("no recipient".into()))
}

/// A relative as the worker needs them at send time.
#[derive(Queryable)]
struct Addressee {
    name: String,
    email: Option<String>,
    lang: Lang,
    access: String,
    by_email: bool,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    restricted: Option<NaiveDateTime>,
    discreet: bool,
}

/// Decides what to do with a notice to a relative. News waits out the window from its first
/// notice and then carries every notice still waiting for the same relative (`join_burst`);
/// a sign-in link goes at once, whatever the hour; an invitation skips the window but not
/// quiet hours.
fn plan_for_relative(
    conn: &mut DbConn,
    row: &Claimed,
    relative_id: &RelativeId,
    templates: &EmailTemplates,
    house: &House<'_>,
) -> QueryResult<Plan> {
    let public_url = house.public_url;
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    let found: Option<Addressee> = relatives::table
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
            relatives::discreet_notices,
        ))
        .first(conn)
        .optional()?;
    let Some(to) = found else {
        return Ok(Plan::Cancel("recipient no longer exists".into()));
    };
    if to.restricted.is_some() {
        return Ok(Plan::Cancel("recipient restricted".into()));
    }
    if to.access == "suspended" {
        return Ok(Plan::Cancel(
            "recipient's portal access is suspended".into(),
        ));
    }
    let purpose = crate::family::links::Purpose::of_kind(row.kind);
    // Sign-in links go by e-mail whatever the preference: there is no other way to send them.
    if !to.by_email && purpose.is_none() {
        return Ok(Plan::Cancel(
            "recipient asked for portal notices only".into(),
        ));
    }
    let Some(email) = to.email.as_deref() else {
        return Ok(Plan::Cancel("recipient has no email address".into()));
    };
    let now = db::now();
    // A link the relative asked for is wanted now; everything else waits for quiet hours.
    if purpose != Some(crate::family::links::Purpose::SignIn)
        && let Some(until) = crate::notify::quiet::quiet_until(
            to.quiet_start.as_deref(),
            to.quiet_end.as_deref(),
            now,
        )
    {
        return Ok(Plan::Postpone(until));
    }
    let portal = format!("{public_url}/family");
    let (link, burst) = match purpose {
        // Minted as it is sent, so that the raw token never rests in the database.
        Some(purpose) => {
            let relative = relative_id.clone();
            let token = db::write(conn, move |conn| {
                crate::family::links::mint(conn, &relative, purpose, None)
            })?;
            let by = payload
                .get("by")
                .and_then(Value::as_str)
                .and_then(UserId::parse);
            (
                format!("{public_url}/family/sign-in/link?token={token}"),
                Burst {
                    count: 1,
                    by: by.into_iter().collect(),
                },
            )
        }
        None => {
            let window_ends = row.created_at + house.window;
            if window_ends > now {
                return Ok(Plan::Postpone(window_ends));
            }
            (portal.clone(), join_burst(conn, row, relative_id)?)
        }
    };
    let letter = render::Letter {
        kind: row.kind,
        lang: to.lang,
        name: &to.name,
        link: &link,
        portal: &portal,
        force: (!to.discreet).then_some(house.force),
        sender: sender(conn, row.case_id.as_ref(), relative_id, &burst.by)?,
        count: burst.count,
        payload: &payload,
    };
    Ok(
        match (
            templates.render(row.kind, &letter.context()),
            mailbox(&to.name, email),
        ) {
            (Ok(rendered), Ok(to)) => Plan::Send { to, rendered },
            (Err(e), _) => Plan::Fail(format!("template: {e}")),
            (_, Err(e)) => Plan::Fail(e),
        },
    )
}

/// The notices one family message carries: how many, and who acted.
struct Burst {
    count: usize,
    by: Vec<UserId>,
}

/// Joins to `row` every other news notice waiting for the same relative by e-mail and not
/// held by another worker, so that they go as one message; they share its outcome
/// (`record`). Returns all the notices the message now carries, `row` included.
fn join_burst(conn: &mut DbConn, row: &Claimed, relative: &RelativeId) -> QueryResult<Burst> {
    let now = db::now();
    let carried: Vec<String> = db::write(conn, |conn| {
        let joining: Vec<NotificationId> = notifications::table
            .filter(notifications::recipient_relative_id.eq(relative))
            .filter(notifications::id.ne(&row.id))
            .filter(notifications::channel.eq(Channel::Email))
            .filter(notifications::status.eq(Status::Pending))
            .filter(notifications::merged_into.is_null())
            .filter(notifications::kind.eq_any(Kind::NEWS))
            .filter(
                notifications::lease_until
                    .is_null()
                    .or(notifications::lease_until.lt(now)),
            )
            .select(notifications::id)
            // Always in the same order, so that two workers never wait on each other's rows.
            .order(notifications::id.asc())
            .load(conn)?;
        for joined in &joining {
            carry_one(conn, &row.id, joined, None)?;
        }
        notifications::table
            .filter(
                notifications::id.eq(&row.id).or(notifications::merged_into
                    .eq(&row.id)
                    .and(notifications::status.eq(Status::Pending))),
            )
            .select(notifications::payload)
            .load(conn)
    })?;
    let mut by: Vec<UserId> = carried
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter_map(|p| p.get("by").and_then(Value::as_str).and_then(UserId::parse))
        .collect();
    by.sort();
    by.dedup();
    Ok(Burst {
        count: carried.len(),
        by,
    })
}

/// Who a family message is from: the one person who acted, named with their role only when
/// the relative's family group already sees them as a named contact (a current assignment
/// shown to the family, to every group or to theirs); otherwise, or when several people
/// acted, the family liaison team. A relative never learns a name from an e-mail that their
/// "Who to contact" page would not show them.
fn sender(
    conn: &mut DbConn,
    case: Option<&CaseId>,
    relative: &RelativeId,
    by: &[UserId],
) -> QueryResult<render::Sender> {
    use crate::casework::types::AssignmentRole;
    use crate::db::schema::assignments;
    let ([one], Some(case)) = (by, case) else {
        return Ok(render::Sender::Team);
    };
    let now = db::now();
    let group: Option<crate::domain::FamilyGroupId> = relatives::table
        .find(relative)
        .select(relatives::family_group_id)
        .first(conn)?;
    let shown: Vec<(String, AssignmentRole)> = assignments::table
        .inner_join(users::table.on(users::id.eq(assignments::user_id)))
        .filter(assignments::case_id.eq(case))
        .filter(assignments::user_id.eq(one))
        .filter(assignments::visible_to_family.eq(true))
        .filter(assignments::starts_at.le(now))
        .filter(
            assignments::ends_at
                .is_null()
                .or(assignments::ends_at.gt(now)),
        )
        .filter(
            assignments::family_group_id
                .is_null()
                .or(assignments::family_group_id.eq(group.as_ref())),
        )
        .select((users::display_name, assignments::role))
        .load(conn)?;
    // The role the family knows them by: the FLO's before the deputy's, and so on.
    let Some(role) = AssignmentRole::ALL
        .iter()
        .copied()
        .find(|r| shown.iter().any(|(_, role)| role == r))
    else {
        return Ok(render::Sender::Team);
    };
    let name = shown[0].0.clone();
    Ok(render::Sender::Person { name, role })
}
