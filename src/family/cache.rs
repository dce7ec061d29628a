//! The family portal's memory: signed-in relatives' sessions, and their rendered home page,
//! kept between requests so that a relative opening the page again costs no database work
//! while nothing is written (after a write, one small read of what changed).
//!
//! Nothing kept here is older than the database, as far as this instance can know:
//! - Every write a family could see also bumps a version in `view_changes`, in the same
//!   transaction, by database triggers (see the migration `view_changes`): per case
//!   (`c:<id>`), per relative (`r:<id>`: their sessions, notices, what they have read) or for
//!   every family (`*`).
//! - The instance reads the versions changed lately every [`POLL`], and forgets everything it
//!   kept for a scope whose version moved.
//! - It also reads them before serving anything from memory whenever this process has done
//!   any database work since it last looked (`db::work_done`). So a change made through this
//!   instance shows on the very next request, and one made through another instance (or the
//!   command line) within [`POLL`]; ending a relative's sessions elsewhere takes as long.
//! - Nothing is served from memory when the last successful look is older than
//!   [`STALE_AFTER`] (the database unreachable, say): requests then go to the database.
//! - A session is kept at most until its "last seen" time is due to be written again (a
//!   minute), a page at most [`PAGE_TTL`].
//! - What was read from the database is kept only if no change was noticed meanwhile.
//! - A look reads the changes stamped up to 30 s (`WINDOW_MS`) before the newest it has seen. A
//!   transaction committing longer than that after its write (none of the app's take so
//!   long), or the database's clock stepping back, can go unnoticed: what was kept then lasts
//!   until it expires, a minute at most.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::schema::view_changes;
use crate::db::{self, DbConn};
use crate::domain::SessionId;
use crate::error::AppError;
use crate::family::FamilyUser;

/// How often each instance looks for changes.
pub const POLL: Duration = Duration::from_millis(200);
/// Memory is not trusted when the last successful look for changes is older than this.
pub const STALE_AFTER: Duration = Duration::from_secs(2);
/// The longest a rendered page is kept.
pub const PAGE_TTL: Duration = Duration::from_secs(60);
/// Changes are read back this far before the newest one seen, so that a transaction
/// committing up to this long after its trigger fired is still noticed.
const WINDOW_MS: i64 = 30_000;
const MAX_SESSIONS: usize = 20_000;
/// Pages are about 6 KB: at most about 12 MB.
const MAX_PAGES: usize = 2_000;

/// How the token reached us: they are checked differently (a cookie's server-side session
/// decides its lifetime; a bearer token's own expiry counts), so they are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Cookie,
    Bearer,
}

/// The family pages kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CachedPage {
    Home,
}

struct SessionEntry {
    user: FamilyUser,
    /// When the token was issued (a cookie's token is renewed at half its life).
    issued_at: i64,
    until: Instant,
}

struct PageEntry {
    /// The page split where the CSRF token goes.
    parts: Vec<String>,
    relative: String,
    case: String,
    until: Instant,
}

#[derive(Default)]
struct Entries {
    cookies: HashMap<String, SessionEntry>,
    bearers: HashMap<String, SessionEntry>,
    pages: HashMap<(SessionId, CachedPage), PageEntry>,
}

#[derive(Default)]
struct Feed {
    primed: bool,
    newest_ms: i64,
    /// Version and time of each scope changed within the window.
    seen: HashMap<String, (i64, i64)>,
}

/// Scopes that changed since the last look.
#[derive(Default, Debug)]
struct Changed {
    cases: HashSet<String>,
    relatives: HashSet<String>,
    all: bool,
}

impl Changed {
    fn add(&mut self, scope: &str) {
        if let Some(id) = scope.strip_prefix("c:") {
            self.cases.insert(id.to_owned());
        } else if let Some(id) = scope.strip_prefix("r:") {
            self.relatives.insert(id.to_owned());
        } else {
            self.all = true;
        }
    }

    fn is_empty(&self) -> bool {
        !self.all && self.cases.is_empty() && self.relatives.is_empty()
    }
}

pub struct FamilyCache {
    entries: RwLock<Entries>,
    feed: Mutex<Feed>,
    /// Moves whenever something kept is forgotten; what was read before it moved is not kept.
    epoch: AtomicU64,
    /// `db::work_done()` when the last successful look for changes began.
    checked_work: AtomicU64,
    /// Looks begun (successful or not), and the turn to begin one.
    attempts: AtomicU64,
    turn: tokio::sync::Mutex<()>,
    /// Milliseconds after `started` when the last successful look began (0: never).
    checked_at_ms: AtomicU64,
    started: Instant,
    /// Rendered pages carry this in place of the CSRF token, which is per browser.
    placeholder: String,
}

impl Default for FamilyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl FamilyCache {
    pub fn new() -> FamilyCache {
        let mut bytes = [0u8; 24];
        rand::fill(&mut bytes);
        let placeholder = bytes.iter().map(|b| format!("{b:02x}")).collect();
        FamilyCache {
            entries: RwLock::default(),
            feed: Mutex::default(),
            epoch: AtomicU64::new(0),
            checked_work: AtomicU64::new(0),
            checked_at_ms: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            turn: tokio::sync::Mutex::new(()),
            started: Instant::now(),
            placeholder,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether changes must be read before memory may be used: this process did database
    /// work since the last look, or the last look is too old (or failed).
    pub fn needs_poll(&self) -> bool {
        let checked_at = self.checked_at_ms.load(Ordering::Acquire);
        checked_at == 0
            || db::work_done() != self.checked_work.load(Ordering::Acquire)
            || self.started.elapsed().as_millis() as u64
                > checked_at + STALE_AFTER.as_millis() as u64
    }

    /// Take this before reading from the database what may be kept.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The text rendered pages carry where the CSRF token goes.
    pub fn placeholder(&self) -> &str {
        &self.placeholder
    }

    /// The relative a token names, if it was checked lately and nothing about them changed.
    pub fn session(&self, kind: TokenKind, token: &str, renew_after: i64) -> Option<FamilyUser> {
        if self.needs_poll() {
            return None;
        }
        let entries = self.read();
        let map = match kind {
            TokenKind::Cookie => &entries.cookies,
            TokenKind::Bearer => &entries.bearers,
        };
        let entry = map.get(token)?;
        if entry.until <= Instant::now() {
            return None;
        }
        if kind == TokenKind::Cookie
            && chrono::Utc::now().timestamp() - entry.issued_at >= renew_after
        {
            return None;
        }
        Some(entry.user.clone())
    }

    /// Keeps a session checked against the database for `valid_for`, unless something changed
    /// since `epoch`.
    pub fn keep_session(
        &self,
        epoch: u64,
        kind: TokenKind,
        token: &str,
        user: &FamilyUser,
        issued_at: i64,
        valid_for: Duration,
    ) {
        if valid_for.is_zero() || self.checked_at_ms.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut entries = self.write();
        if self.epoch() != epoch {
            return;
        }
        let now = Instant::now();
        let map = match kind {
            TokenKind::Cookie => &mut entries.cookies,
            TokenKind::Bearer => &mut entries.bearers,
        };
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, e| e.until > now);
            if map.len() >= MAX_SESSIONS {
                map.clear();
            }
        }
        map.insert(
            token.to_owned(),
            SessionEntry {
                user: user.clone(),
                issued_at,
                until: now + valid_for,
            },
        );
    }

    /// A kept page with this browser's CSRF token in place.
    pub fn page(&self, session: &SessionId, page: CachedPage, csrf_token: &str) -> Option<String> {
        if self.needs_poll() {
            return None;
        }
        let entries = self.read();
        let entry = entries.pages.get(&(session.clone(), page))?;
        if entry.until <= Instant::now() {
            return None;
        }
        let len = entry.parts.iter().map(String::len).sum::<usize>()
            + csrf_token.len() * entry.parts.len().saturating_sub(1);
        let mut html = String::with_capacity(len);
        for (i, part) in entry.parts.iter().enumerate() {
            if i > 0 {
                html.push_str(csrf_token);
            }
            html.push_str(part);
        }
        Some(html)
    }

    /// Keeps a page rendered with [`FamilyCache::placeholder`] for the CSRF token, unless
    /// something changed since `epoch`.
    pub fn keep_page(
        &self,
        epoch: u64,
        user: &FamilyUser,
        page: CachedPage,
        html: &str,
        valid_for: Duration,
    ) {
        if valid_for.is_zero() || self.checked_at_ms.load(Ordering::Acquire) == 0 {
            return;
        }
        let parts = html.split(self.placeholder()).map(str::to_owned).collect();
        let mut entries = self.write();
        if self.epoch() != epoch {
            return;
        }
        let now = Instant::now();
        if entries.pages.len() >= MAX_PAGES {
            entries.pages.retain(|_, e| e.until > now);
            if entries.pages.len() >= MAX_PAGES {
                entries.pages.clear();
            }
        }
        entries.pages.insert(
            (user.session_id.clone(), page),
            PageEntry {
                parts,
                relative: user.relative_id.as_str().to_owned(),
                case: user.case_id.as_str().to_owned(),
                until: now + valid_for.min(PAGE_TTL),
            },
        );
    }

    /// Looks for changes if memory may not be used until then; one look at a time, and a
    /// request that arrives while one is under way waits for it rather than starting another.
    pub async fn look_if_needed(self: &Arc<Self>, db: &db::Db) {
        if !self.needs_poll() {
            return;
        }
        let attempts = self.attempts.load(Ordering::Acquire);
        let _turn = self.turn.lock().await;
        // A look that began after this request's check covers it, even if it failed.
        if self.attempts.load(Ordering::Acquire) != attempts || !self.needs_poll() {
            return;
        }
        self.look(db).await;
    }

    async fn look(self: &Arc<Self>, db: &db::Db) {
        self.attempts.fetch_add(1, Ordering::AcqRel);
        let cache = self.clone();
        if let Err(e) = db.run_uncounted(move |conn| cache.poll(conn)).await {
            tracing::warn!(error = %e, "could not read the family view changes");
        }
    }

    /// Reads the scopes changed since the last look and forgets what was kept for them.
    fn poll(&self, conn: &mut DbConn) -> Result<(), AppError> {
        let mut feed = self
            .feed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let work = db::work_done();
        let began_ms = (self.started.elapsed().as_millis() as u64).max(1);
        if !feed.primed {
            let newest: Option<i64> = view_changes::table
                .select(diesel::dsl::max(view_changes::changed_ms))
                .first(conn)?;
            feed.newest_ms = newest.unwrap_or(0);
            feed.primed = true;
        }
        let rows: Vec<(String, i64, i64)> = view_changes::table
            .filter(view_changes::changed_ms.ge(feed.newest_ms - WINDOW_MS))
            .select((
                view_changes::scope,
                view_changes::version,
                view_changes::changed_ms,
            ))
            .load(conn)?;
        let mut changed = Changed::default();
        for (scope, version, changed_ms) in rows {
            feed.newest_ms = feed.newest_ms.max(changed_ms);
            if feed.seen.get(&scope).map(|s| s.0) != Some(version) {
                changed.add(&scope);
                feed.seen.insert(scope, (version, changed_ms));
            }
        }
        let horizon = feed.newest_ms - WINDOW_MS;
        feed.seen.retain(|_, (_, ms)| *ms >= horizon);
        // Forgotten before memory counts as checked, and before the next look can begin.
        if !changed.is_empty() {
            self.forget(&changed);
        }
        self.checked_work.fetch_max(work, Ordering::AcqRel);
        self.checked_at_ms.fetch_max(began_ms, Ordering::AcqRel);
        drop(feed);
        Ok(())
    }

    fn forget(&self, changed: &Changed) {
        let mut entries = self.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let session_changed =
            |e: &SessionEntry| changed.relatives.contains(e.user.relative_id.as_str());
        entries.cookies.retain(|_, e| !session_changed(e));
        entries.bearers.retain(|_, e| !session_changed(e));
        entries.pages.retain(|_, e| {
            !(changed.all
                || changed.cases.contains(&e.case)
                || changed.relatives.contains(&e.relative))
        });
    }

    /// Sizes, for the metrics page: (sessions, pages).
    pub fn sizes(&self) -> (usize, usize) {
        let entries = self.read();
        (
            entries.cookies.len() + entries.bearers.len(),
            entries.pages.len(),
        )
    }
}

/// How long from now until `at` (a stored UTC time); zero if it has passed.
pub fn time_until(at: chrono::NaiveDateTime) -> Duration {
    let ms = (at - db::now()).num_milliseconds();
    Duration::from_millis(ms.max(0) as u64)
}

/// Looks for changes every [`POLL`] until the returned handle is aborted.
pub fn spawn_poller(db: db::Db, cache: Arc<FamilyCache>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let _turn = cache.turn.lock().await;
            cache.look(&db).await;
        }
    })
}
