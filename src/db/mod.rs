//! Storage: one connection type over SQLite and PostgreSQL, the pool, write transactions
//! and the embedded migrations. Everything above this module speaks to `DbConn` and never
//! to a backend directly; SQL that truly differs between engines matches on the variant here
//! or inside the one model that needs it.

mod group;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever engine the database URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The storage engine, chosen from the scheme of the database URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Engine, anyhow::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else {
            anyhow::bail!(
                "the database URL must start with sqlite:// or postgres:// (got {:?})",
                url.split(':').next().unwrap_or("")
            )
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// The filesystem path inside a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Pragmas set on every new SQLite connection. `synchronous=FULL` makes a commit wait for
/// the WAL to reach the disk, so an acknowledged contact record survives power loss;
/// `foreign_keys` is per connection and off unless asked for.
/// The busy timeout comes first: setting the journal mode needs a lock, and without the
/// timeout a new connection opened while another writes would fail at once.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
     PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     PRAGMA foreign_keys = ON;";

fn establish(engine: Engine, url: &str) -> Result<DbConn, PoolError> {
    match engine {
        Engine::Postgres => Ok(DbConn::Pg(diesel::PgConnection::establish(url)?)),
        Engine::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(sqlite_path(url))?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("could not connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

/// r2d2 manager that picks the engine from the URL scheme rather than trying each
/// backend in turn (SQLite would accept any string as a file name).
pub struct Manager {
    engine: Engine,
    url: String,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = PoolError;

    fn connect(&self) -> Result<DbConn, PoolError> {
        establish(self.engine, &self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), PoolError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking()
            || <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Database work finished in this process: bumped whenever a connection taken with
/// [`Db::get`] goes back to the pool. A cache of what the database says (the family portal's,
/// `crate::family::cache`) serves from memory only while this is unchanged since it last
/// looked for changes, so whatever this process wrote is seen on the very next request.
static WORK_DONE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times database work has finished in this process (see [`WORK_DONE`]).
pub fn work_done() -> u64 {
    WORK_DONE.load(std::sync::atomic::Ordering::Acquire)
}

/// A pooled connection. When it goes back to the pool, whatever it did is finished
/// (committed or rolled back), and [`work_done`] moves on.
pub struct PooledConn {
    conn: r2d2::PooledConnection<Manager>,
    counted: bool,
}

impl std::ops::Deref for PooledConn {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if self.counted {
            WORK_DONE.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
    }
}

/// The shared handle every part of the app uses to reach the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    engine: Engine,
    /// SQLite writers of this database queue here for group commit (see `group`).
    writers: std::sync::Arc<group::WriteQueue>,
}

thread_local! {
    /// The write queue of the database whose connection this thread is using inside
    /// `Db::run`.
    static WRITERS: std::cell::RefCell<Option<std::sync::Arc<group::WriteQueue>>> =
        const { std::cell::RefCell::new(None) };
}

/// Sets this thread's write queue for as long as it lives.
struct WritersScope(Option<std::sync::Arc<group::WriteQueue>>);

impl WritersScope {
    fn enter(queue: &std::sync::Arc<group::WriteQueue>) -> WritersScope {
        WritersScope(WRITERS.with(|w| w.borrow_mut().replace(queue.clone())))
    }
}

impl Drop for WritersScope {
    fn drop(&mut self) {
        let previous = self.0.take();
        WRITERS.with(|w| *w.borrow_mut() = previous);
    }
}

/// Initialises OpenSSL (used by libpq and by SMTP over TLS) before anything else can, and
/// without OpenSSL's exit-time cleanup: that cleanup can run while other threads still hold
/// TLS connections to PostgreSQL, and crash the process as it exits.
pub fn init_tls() {
    openssl_sys::init();
}

impl Db {
    /// Opens a pool. SQLite files (and their directory) are created if missing.
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Db> {
        init_tls();
        let engine = Engine::from_url(url)?;
        if engine == Engine::Sqlite {
            // Owner-only from the first byte: SQLite gives its journal files the mode of
            // the database file.
            let path = std::path::Path::new(sqlite_path(url));
            crate::files::private_parent(path).with_context(|| {
                format!("creating the database directory for {}", path.display())
            })?;
            crate::files::private_file(path)
                .with_context(|| format!("creating {}", path.display()))?;
            for journal in ["-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(journal);
                crate::files::tighten_if_present(std::path::Path::new(&name))
                    .with_context(|| format!("securing {}{journal}", path.display()))?;
            }
        }
        let pool = r2d2::Pool::builder()
            .max_size(max_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                engine,
                url: url.to_owned(),
            })
            .with_context(|| format!("opening the {} database", engine.name()))?;
        Ok(Db {
            pool,
            engine,
            writers: Default::default(),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn get(&self) -> Result<PooledConn, AppError> {
        self.checkout(true)
    }

    fn checkout(&self, counted: bool) -> Result<PooledConn, AppError> {
        let conn = self.pool.get().map_err(|e| {
            tracing::error!(error = %e, "no database connection available");
            AppError::Unavailable
        })?;
        Ok(PooledConn { conn, counted })
    }

    /// SQLite group commit so far: (transactions committed, writes they carried).
    pub fn group_commit_stats(&self) -> (u64, u64) {
        self.writers.stats()
    }

    /// Pool occupancy for the metrics page: (connections, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }

    /// Runs blocking database work off the async executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_on(true, f).await
    }

    /// Like [`Db::run`], for reads that only look for changes made by others (the family
    /// cache's poll): they do not count as work done (see [`work_done`]).
    pub async fn run_uncounted<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_on(false, f).await
    }

    async fn run_on<T, F>(&self, counted: bool, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.checkout(counted)?;
            let _scope = (db.engine == Engine::Sqlite).then(|| WritersScope::enter(&db.writers));
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
    }
}

/// Runs `f` in a write transaction. On SQLite this is `BEGIN IMMEDIATE`, which takes the
/// write lock up front (waiting up to the busy timeout) instead of failing with SQLITE_BUSY
/// when a deferred read transaction later tries to write; inside `Db::run` SQLite writes go
/// through group commit (see `group`), several writers' transactions sharing one commit,
/// each in its own savepoint. Called inside another write, it becomes a savepoint of that
/// transaction.
pub fn write<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
    T: Send,
    E: From<diesel::result::Error> + Send,
{
    // Inside a transaction already: a savepoint, so use cases compose.
    let depth = <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(E::from)?;
    if depth.is_some() {
        return conn.transaction(f);
    }
    if matches!(conn, DbConn::Sqlite(_))
        && let Some(queue) = WRITERS.with(|w| w.borrow().clone())
    {
        return queue.write(conn, f);
    }
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            if let Err(commit_error) =
                <DbConn as Connection>::TransactionManager::commit_transaction(conn)
            {
                // A failed COMMIT leaves the transaction open on some engines.
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                return Err(commit_error.into());
            }
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The current time as stored: UTC, truncated to microseconds (PostgreSQL's precision), so
/// that a value read back equals the value written on both engines.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Applies pending migrations. On PostgreSQL an advisory lock keeps several instances
/// starting at once from racing each other.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len(),
        DbConn::Pg(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7146210001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("{e}"));
            c.batch_execute("SELECT pg_advisory_unlock(7146210001)")?;
            result?
        }
    };
    Ok(applied)
}

/// Reverts every migration (used by the migration tests).
pub fn revert_all(conn: &mut DbConn) -> anyhow::Result<()> {
    match conn {
        DbConn::Sqlite(c) => c
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        DbConn::Pg(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    Ok(())
}

/// Reverts the newest migration (used by the migration tests).
pub fn revert_last(conn: &mut DbConn) -> anyhow::Result<()> {
    match conn {
        DbConn::Sqlite(c) => c
            .revert_last_migration(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        DbConn::Pg(c) => c
            .revert_last_migration(POSTGRES_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    Ok(())
}

/// True when the schema is at the version this binary expects.
pub fn migrations_current(conn: &mut DbConn) -> anyhow::Result<bool> {
    let pending = match conn {
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(!pending)
}

/// The migration versions applied to this database, oldest first.
pub fn applied_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let versions = match conn {
        DbConn::Sqlite(c) => c.applied_migrations(),
        DbConn::Pg(c) => c.applied_migrations(),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut versions: Vec<String> = versions.into_iter().map(|v| v.to_string()).collect();
    versions.sort();
    Ok(versions)
}

/// True for a unique-constraint violation, which callers turn into a 409.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
