//! Group commit for SQLite.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every commit waits for the
//! disk. Writers of one database therefore queue here; the writer at the front of the queue
//! (the leader) opens one `BEGIN IMMEDIATE` transaction, runs every queued write in it, each
//! inside its own savepoint, commits once, and only then hands each writer its answer. A
//! write that fails rolls back to its savepoint and leaves the others alone; if the commit
//! fails, every writer in the batch gets the error and nothing of the batch is kept. Nobody
//! hears "done" before the commit is on disk, so acknowledged writes survive a crash exactly
//! as before; the disk simply waits once for many of them.
//!
//! A queued write runs on the leader's thread and connection while its own thread waits for
//! it, which is why the closure, its result and its error must be `Send`.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::DbConn;

/// The most writes one commit carries; bounds how long the first of them waits.
const MAX_BATCH: usize = 64;

type Job<'a> = Box<dyn FnMut(&mut DbConn) -> bool + Send + 'a>;

enum Outcome {
    /// The write ran and the batch committed (the write itself may have failed and been
    /// rolled back to its savepoint; its own result says so).
    Committed,
    /// The batch could not begin or commit: nothing of it was kept.
    Failed(diesel::result::Error),
    /// The write panicked; it was rolled back and the panic goes back to its caller.
    Panicked(Box<dyn Any + Send>),
}

struct Slot {
    job: Option<Job<'static>>,
    outcome: Option<Outcome>,
}

/// One database's queue of writers.
#[derive(Default)]
pub struct WriteQueue {
    slots: Mutex<VecDeque<Arc<Mutex<Slot>>>>,
    turn: Condvar,
    commits: AtomicU64,
    writes: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WriteQueue {
    /// Transactions committed and writes they carried, since the pool opened.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` as part of the next group commit on `conn`'s database.
    pub fn write<T, E, F>(&self, conn: &mut DbConn, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
        T: Send,
        E: From<diesel::result::Error> + Send,
    {
        let mut result: Option<Result<T, E>> = None;
        let outcome = {
            let mut f = Some(f);
            let result_ref = &mut result;
            let job: Job<'_> = Box::new(move |c: &mut DbConn| {
                let f = f.take().expect("a queued write runs once");
                let r = f(c);
                let ok = r.is_ok();
                *result_ref = Some(r);
                ok
            });
            // SAFETY: the job borrows `f` and `result` from this frame. It is run and then
            // dropped by whichever thread leads the batch, always before this thread is told
            // the outcome (see `finish`), and this thread does not leave this block until it
            // has been told: so the borrows never outlive this frame.
            let job: Job<'static> = unsafe { std::mem::transmute::<Job<'_>, Job<'static>>(job) };
            let slot = Arc::new(Mutex::new(Slot {
                job: Some(job),
                outcome: None,
            }));
            self.wait_or_lead(conn, &slot)
        };
        match outcome {
            Outcome::Committed => result.expect("a committed write has a result"),
            Outcome::Failed(e) => Err(e.into()),
            Outcome::Panicked(payload) => resume_unwind(payload),
        }
    }

    fn wait_or_lead(&self, conn: &mut DbConn, me: &Arc<Mutex<Slot>>) -> Outcome {
        let mut queue = lock(&self.slots);
        queue.push_back(me.clone());
        loop {
            if let Some(outcome) = lock(me).outcome.take() {
                return outcome;
            }
            if queue.front().is_some_and(|front| Arc::ptr_eq(front, me)) {
                let batch: Vec<_> = queue.iter().take(MAX_BATCH).cloned().collect();
                drop(queue);
                let mut leader = Leader {
                    queue: self,
                    batch,
                    done: false,
                };
                leader.run(conn);
                return lock(me)
                    .outcome
                    .take()
                    .expect("the leader settles its own write");
            }
            queue = self
                .turn
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// The front writer running a batch. If anything unwinds through it, the batch is still
/// settled (as failed), so no writer waits for ever.
struct Leader<'q> {
    queue: &'q WriteQueue,
    batch: Vec<Arc<Mutex<Slot>>>,
    done: bool,
}

impl Leader<'_> {
    fn run(&mut self, conn: &mut DbConn) {
        let DbConn::Sqlite(sqlite) = conn else {
            unreachable!("group commit is for SQLite only")
        };
        if let Err(e) = AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE") {
            self.finish(|_| Outcome::Failed(clone_error(&e)));
            return;
        }
        let mut outcomes = Vec::with_capacity(self.batch.len());
        for slot in &self.batch {
            let mut job = lock(slot).job.take().expect("each write is queued once");
            let ran = catch_unwind(AssertUnwindSafe(|| {
                conn.transaction::<(), RolledBack, _>(|c| {
                    if job(c) {
                        Ok(())
                    } else {
                        Err(RolledBack::Failed)
                    }
                })
            }));
            drop(job);
            if ran.is_err() {
                // A panic skipped the savepoint's release or rollback: undo the write.
                while depth(conn) > 1 {
                    if let Err(e) =
                        <DbConn as Connection>::TransactionManager::rollback_transaction(conn)
                    {
                        tracing::error!(error = %e, "rolling back a panicked write failed");
                        break;
                    }
                }
            }
            outcomes.push(match ran {
                Ok(Ok(())) | Ok(Err(RolledBack::Failed)) => None,
                Ok(Err(RolledBack::Db(e))) => Some(Outcome::Failed(e)),
                Err(payload) => Some(Outcome::Panicked(payload)),
            });
        }
        let commit = <DbConn as Connection>::TransactionManager::commit_transaction(conn);
        if commit.is_ok() {
            self.queue.commits.fetch_add(1, Ordering::Relaxed);
            let writes = self.batch.len() as u64;
            self.queue.writes.fetch_add(writes, Ordering::Relaxed);
        }
        if let Err(e) = &commit {
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            tracing::error!(error = %e, writes = self.batch.len(), "a group commit failed");
        }
        let mut outcomes = outcomes.into_iter();
        self.finish(|_| match (outcomes.next().flatten(), &commit) {
            (Some(Outcome::Panicked(p)), _) => Outcome::Panicked(p),
            (_, Err(e)) => Outcome::Failed(clone_error(e)),
            (Some(other), Ok(())) => other,
            (None, Ok(())) => Outcome::Committed,
        });
    }

    /// Drops every job not yet run, records each outcome, leaves the queue and wakes the
    /// writers (whose answers are ready, and the next leader).
    fn finish(&mut self, mut outcome: impl FnMut(usize) -> Outcome) {
        let mut queue = lock(&self.queue.slots);
        for (i, slot) in self.batch.iter().enumerate() {
            let mut s = lock(slot);
            s.job = None;
            s.outcome = Some(outcome(i));
        }
        for _ in 0..self.batch.len() {
            queue.pop_front();
        }
        self.done = true;
        drop(queue);
        self.queue.turn.notify_all();
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish(|_| Outcome::Failed(diesel::result::Error::RollbackTransaction));
        }
    }
}

fn depth(conn: &mut DbConn) -> u32 {
    <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, |d| d.get())
}

/// Why a savepoint was rolled back: the write failed (its caller has the error) or the
/// database did.
enum RolledBack {
    Failed,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for RolledBack {
    fn from(e: diesel::result::Error) -> Self {
        RolledBack::Db(e)
    }
}

/// diesel's error is not `Clone`; every writer of a failed batch gets an equivalent one.
fn clone_error(e: &diesel::result::Error) -> diesel::result::Error {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(kind, info) => {
            let kind = match kind {
                DatabaseErrorKind::UniqueViolation => DatabaseErrorKind::UniqueViolation,
                DatabaseErrorKind::ForeignKeyViolation => DatabaseErrorKind::ForeignKeyViolation,
                DatabaseErrorKind::SerializationFailure => DatabaseErrorKind::SerializationFailure,
                DatabaseErrorKind::CheckViolation => DatabaseErrorKind::CheckViolation,
                DatabaseErrorKind::NotNullViolation => DatabaseErrorKind::NotNullViolation,
                DatabaseErrorKind::ReadOnlyTransaction => DatabaseErrorKind::ReadOnlyTransaction,
                _ => DatabaseErrorKind::Unknown,
            };
            Error::DatabaseError(kind, Box::new(info.message().to_owned()))
        }
        Error::NotFound => Error::NotFound,
        other => Error::QueryBuilderError(other.to_string().into()),
    }
}
