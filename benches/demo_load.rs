//! `liaison demo --size large` on SQLite (the release binary, as a user runs it: migrations,
//! the standard demo data, then the national set: 200 teams, 20,000 cases, 1,000,000
//! contacts, 200,000 follow-ups, 100,000 messages) against a bare bulk insert of the same
//! rows, in the same run on the same disk (P8).
//!
//!   cargo bench --bench demo_load
//!
//! The bare insert copies every row the command wrote, table by table, into an empty
//! database with the same tables, indexes and constraints (the command's own database's
//! schema, without its triggers) and the same pragmas (WAL, `synchronous=FULL`, foreign keys
//! on), through the SQLite C API: one prepared `INSERT` per table, bound and stepped once per
//! row, `BENCH_BATCH` (default 100,000) rows to a transaction, parents before children. Rows
//! are read from the command's database between the timed stretches, so only writing counts
//! (the final checkpoint included, as the command's exit includes its own). A column that
//! refers to its own table (a family message and its answer refer to each other) is
//! inserted empty and set by an `UPDATE` once the table is in, as the generator does. What
//! the command's triggers wrote (`view_changes`) is copied as rows; no trigger fires.
//! Target: the command at least half as fast as the bare insert (bare time / command time
//! >= 0.5). Ends with a `BENCH-RESULT` line (benches/run.sh).
//!
//! `BENCH_DEMO_SIZE=medium` runs `--size medium` instead (2 teams; a quick run's).
//! `BENCH_KEEP_DATABASE=file` leaves the command's database there, replacing what was, for
//! the benches that need the national data set loaded (`BENCH_NATIONAL_DB` of family_home,
//! `BENCH_LARGE_DB` of dashboard); the bare copy is then made in the same directory.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Outcome, Target, env_or};
use libsqlite3_sys as ffi;

/// The pragmas the app sets on every SQLite connection (`SQLITE_PRAGMAS` in src/db/mod.rs).
const PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
     PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     PRAGMA foreign_keys = ON;";

/// Rows read ahead of each timed stretch of inserts.
const READ_AHEAD: usize = 10_000;

/// A connection through the SQLite C API, closed when dropped.
struct Sqlite(*mut ffi::sqlite3);

impl Sqlite {
    fn open(path: &Path, flags: i32) -> Sqlite {
        let name = CString::new(path.to_str().expect("a UTF-8 path")).expect("a path without NUL");
        let mut raw = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and a place for the handle; no VFS named.
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut raw, flags, std::ptr::null()) };
        let conn = Sqlite(raw);
        assert_eq!(
            rc,
            ffi::SQLITE_OK,
            "opening {}: {}",
            path.display(),
            conn.error()
        );
        conn
    }

    fn error(&self) -> String {
        // SAFETY: any handle sqlite3_open_v2 gave (even a failed one) has a message, which
        // stays valid until the next call on it; it is copied at once.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.0)) }
            .to_string_lossy()
            .into_owned()
    }

    fn exec(&self, sql: &str) {
        let text = CString::new(sql).expect("SQL without NUL");
        // SAFETY: an open handle and NUL-terminated SQL; no callback, no error string asked for.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.0,
                text.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, ffi::SQLITE_OK, "{sql}: {}", self.error());
    }

    fn prepare(&self, sql: &str) -> Stmt<'_> {
        let text = CString::new(sql).expect("SQL without NUL");
        let mut raw = std::ptr::null_mut();
        // SAFETY: an open handle, NUL-terminated SQL (length -1: up to the NUL), a place for
        // the statement; the rest of the text is not asked for.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.0, text.as_ptr(), -1, &mut raw, std::ptr::null_mut())
        };
        assert_eq!(rc, ffi::SQLITE_OK, "{sql}: {}", self.error());
        Stmt { conn: self, raw }
    }

    /// Every row of `sql`, each column as text (NULL as "").
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let mut stmt = self.prepare(sql);
        let width = stmt.columns();
        let mut out = Vec::new();
        while stmt.step() {
            out.push((0..width).map(|i| stmt.text(i)).collect());
        }
        out
    }

    fn count(&self, table: &str) -> i64 {
        let mut stmt = self.prepare(&format!("SELECT count(*) FROM {}", ident(table)));
        assert!(stmt.step());
        stmt.int(0)
    }
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        // SAFETY: the handle is open, and every statement (which borrows the connection) is
        // finalized already. Closing the last connection of a WAL database checkpoints it.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

/// A prepared statement, finalized when dropped.
struct Stmt<'c> {
    conn: &'c Sqlite,
    raw: *mut ffi::sqlite3_stmt,
}

impl Stmt<'_> {
    /// Runs the statement to its next row: true at a row, false when done.
    fn step(&mut self) -> bool {
        // SAFETY: a prepared statement of an open connection.
        match unsafe { ffi::sqlite3_step(self.raw) } {
            ffi::SQLITE_ROW => true,
            ffi::SQLITE_DONE => false,
            rc => panic!("step ({rc}): {}", self.conn.error()),
        }
    }

    fn reset(&mut self) {
        // SAFETY: as for step. The result repeats the last step's, which was checked.
        unsafe { ffi::sqlite3_reset(self.raw) };
    }

    fn columns(&self) -> usize {
        // SAFETY: as for step.
        let n = unsafe { ffi::sqlite3_column_count(self.raw) };
        usize::try_from(n).unwrap_or(0)
    }

    fn text(&self, i: usize) -> String {
        // SAFETY: a statement at a row and a column within it; the text stays valid until
        // the next step, and is copied at once.
        let p = unsafe { ffi::sqlite3_column_text(self.raw, i as i32) };
        if p.is_null() {
            return String::new();
        }
        // SAFETY: SQLite's column text is NUL-terminated.
        unsafe { CStr::from_ptr(p.cast()) }
            .to_string_lossy()
            .into_owned()
    }

    fn int(&self, i: usize) -> i64 {
        // SAFETY: a statement at a row and a column within it.
        unsafe { ffi::sqlite3_column_int64(self.raw, i as i32) }
    }

    /// An owned copy of column `i` of the current row.
    fn value(&self, i: usize) -> Value {
        // SAFETY: a statement at a row and a column within it; the copy is independent of
        // the statement.
        let copy = unsafe { ffi::sqlite3_value_dup(ffi::sqlite3_column_value(self.raw, i as i32)) };
        assert!(!copy.is_null(), "out of memory copying a value");
        Value(copy)
    }

    /// Binds parameter `i` (from 0) to a copy of `v`.
    fn bind(&mut self, i: usize, v: &Value) {
        // SAFETY: a prepared statement, a parameter number from 1, a live value (copied).
        let rc = unsafe { ffi::sqlite3_bind_value(self.raw, i as i32 + 1, v.0) };
        assert_eq!(rc, ffi::SQLITE_OK, "bind: {}", self.conn.error());
    }

    fn bind_null(&mut self, i: usize) {
        // SAFETY: a prepared statement and a parameter number from 1.
        let rc = unsafe { ffi::sqlite3_bind_null(self.raw, i as i32 + 1) };
        assert_eq!(rc, ffi::SQLITE_OK, "bind: {}", self.conn.error());
    }

    /// Steps a statement that returns no row, and resets it for the next.
    fn run(&mut self) {
        assert!(!self.step(), "a write statement returned a row");
        self.reset();
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: a statement prepared and not yet finalized.
        unsafe { ffi::sqlite3_finalize(self.raw) };
    }
}

/// A column value copied out of a row (`sqlite3_value_dup`), freed when dropped.
struct Value(*mut ffi::sqlite3_value);

impl Value {
    fn is_null(&self) -> bool {
        // SAFETY: a live value.
        unsafe { ffi::sqlite3_value_type(self.0) == ffi::SQLITE_NULL }
    }

    fn copy(&self) -> Value {
        // SAFETY: a live value; the copy is independent of it.
        let copy = unsafe { ffi::sqlite3_value_dup(self.0) };
        assert!(!copy.is_null(), "out of memory copying a value");
        Value(copy)
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        // SAFETY: a value from sqlite3_value_dup, freed once.
        unsafe { ffi::sqlite3_value_free(self.0) };
    }
}

/// `"name"`, quoted as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, quoted as an SQL string.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A table of the command's database, as the copy needs it.
struct Table {
    name: String,
    /// Its columns, in `SELECT *` order.
    columns: Vec<String>,
    /// Other tables its foreign keys refer to.
    parents: Vec<String>,
    /// Columns referring to the table itself, with the column each refers to, as positions
    /// in `columns`.
    self_refs: Vec<(usize, usize)>,
}

/// The tables of `db` (SQLite's own aside), parents before children.
fn read_tables(db: &Sqlite) -> Vec<Table> {
    let names = db.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    );
    let mut left: Vec<Table> = names
        .into_iter()
        .map(|row| {
            let name = row[0].clone();
            let columns: Vec<String> = db
                .rows(&format!(
                    "SELECT name FROM pragma_table_info({}) ORDER BY cid",
                    literal(&name)
                ))
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            let position = |column: &str| {
                columns
                    .iter()
                    .position(|c| c == column)
                    .unwrap_or_else(|| panic!("{name} has no column {column}"))
            };
            let (mut parents, mut self_refs) = (Vec::new(), Vec::new());
            for fk in db.rows(&format!(
                "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list({})",
                literal(&name)
            )) {
                if fk[0] == name {
                    assert!(
                        !fk[2].is_empty(),
                        "{name}.{} refers to its own table without naming a column",
                        fk[1]
                    );
                    self_refs.push((position(fk[1].as_str()), position(fk[2].as_str())));
                } else if !parents.contains(&fk[0]) {
                    parents.push(fk[0].clone());
                }
            }
            Table {
                name,
                columns,
                parents,
                self_refs,
            }
        })
        .collect();
    let all: HashSet<String> = left.iter().map(|t| t.name.clone()).collect();
    let mut placed: HashSet<String> = HashSet::new();
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| placed.contains(p) || !all.contains(p))
        });
        let Some(i) = ready else {
            let names: Vec<&str> = left.iter().map(|t| t.name.as_str()).collect();
            panic!(
                "these tables refer to each other, which the bare copy has no rule for: {names:?}"
            );
        };
        let table = left.remove(i);
        placed.insert(table.name.clone());
        ordered.push(table);
    }
    ordered
}

/// What copying one table took.
#[derive(Default)]
struct Copied {
    rows: u64,
    /// Writing: inserts, updates, transactions.
    timed: Duration,
    /// Reading the rows out of the command's database (not counted).
    read: Duration,
}

/// Copies `table` from `src` into `dst`, `per_transaction` rows to a transaction.
fn copy_table(src: &Sqlite, dst: &Sqlite, table: &Table, per_transaction: usize) -> Copied {
    let mut select = src.prepare(&format!("SELECT * FROM {}", ident(&table.name)));
    let width = select.columns();
    assert_eq!(width, table.columns.len(), "the columns of {}", table.name);
    let placeholders: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    let mut insert = dst.prepare(&format!(
        "INSERT INTO {} VALUES ({})",
        ident(&table.name),
        placeholders.join(", ")
    ));
    let empty_first: Vec<bool> = (0..width)
        .map(|i| table.self_refs.iter().any(|(from, _)| *from == i))
        .collect();
    // (which self-reference, its value, the row's key), set once the table is in.
    let mut later: Vec<(usize, Value, Value)> = Vec::new();
    let mut copied = Copied::default();
    let (mut in_transaction, mut open) = (0usize, false);
    loop {
        let t0 = Instant::now();
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(READ_AHEAD);
        while batch.len() < READ_AHEAD && select.step() {
            batch.push((0..width).map(|i| select.value(i)).collect());
        }
        copied.read += t0.elapsed();
        if batch.is_empty() {
            break;
        }
        let t0 = Instant::now();
        for row in &batch {
            if !open {
                dst.exec("BEGIN IMMEDIATE");
                open = true;
            }
            for (i, value) in row.iter().enumerate() {
                if empty_first[i] {
                    insert.bind_null(i);
                } else {
                    insert.bind(i, value);
                }
            }
            insert.run();
            in_transaction += 1;
            if in_transaction == per_transaction {
                dst.exec("COMMIT");
                (open, in_transaction) = (false, 0);
            }
        }
        copied.timed += t0.elapsed();
        let t0 = Instant::now();
        for row in &batch {
            for (k, (from, to)) in table.self_refs.iter().enumerate() {
                if !row[*from].is_null() {
                    later.push((k, row[*from].copy(), row[*to].copy()));
                }
            }
        }
        copied.read += t0.elapsed();
        copied.rows += batch.len() as u64;
    }
    let t0 = Instant::now();
    if !later.is_empty() {
        if !open {
            dst.exec("BEGIN IMMEDIATE");
            open = true;
        }
        let mut updates: Vec<Stmt<'_>> = table
            .self_refs
            .iter()
            .map(|(from, to)| {
                dst.prepare(&format!(
                    "UPDATE {} SET {} = ?1 WHERE {} = ?2",
                    ident(&table.name),
                    ident(&table.columns[*from]),
                    ident(&table.columns[*to])
                ))
            })
            .collect();
        for (k, value, key) in &later {
            let update = &mut updates[*k];
            update.bind(0, value);
            update.bind(1, key);
            update.run();
        }
    }
    if open {
        dst.exec("COMMIT");
    }
    copied.timed += t0.elapsed();
    copied
}

fn main() {
    let size = std::env::var("BENCH_DEMO_SIZE").unwrap_or_else(|_| "large".to_owned());
    assert!(
        size == "large" || size == "medium",
        "BENCH_DEMO_SIZE: {size:?} is not large or medium"
    );
    let per_transaction = env_or("BENCH_BATCH", 100_000usize).max(1);
    let keep: Option<PathBuf> = std::env::var_os("BENCH_KEEP_DATABASE")
        .map(|p| std::path::absolute(PathBuf::from(p)).expect("BENCH_KEEP_DATABASE: a path"));
    let work = match &keep {
        Some(path) => {
            let parent = path.parent().expect("BENCH_KEEP_DATABASE: a file");
            std::fs::create_dir_all(parent).unwrap();
            tempfile::tempdir_in(parent).unwrap()
        }
        None => tempfile::tempdir().unwrap(),
    };
    // The command writes in the working directory; what it made is moved to
    // BENCH_KEEP_DATABASE only once it has succeeded, so a file there is always whole.
    if let Some(path) = &keep {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(common::with_suffix(path, suffix));
        }
    }
    let made = work.path().join("demo.db");
    let bare = work.path().join("bare.db");

    // The command, as a user runs it.
    println!("liaison demo --size {size} on SQLite:");
    let started = Instant::now();
    let status = common::liaison_command()
        .args(["demo", "--size", size.as_str()])
        .env(
            "LIAISON_DATABASE_URL",
            format!("sqlite://{}", made.display()),
        )
        .env("LIAISON_DATA_DIR", work.path().join("data"))
        .env("LIAISON_LOG_LEVEL", "warn")
        .status()
        .expect("the release binary");
    let command_time = started.elapsed();
    assert!(
        status.success(),
        "liaison demo --size {size} failed: {status}"
    );
    println!(
        "  {:.1} s; the database is {:.0} MiB",
        command_time.as_secs_f64(),
        std::fs::metadata(&made).map_or(0.0, |m| m.len() as f64 / 1048576.0)
    );
    let made = match &keep {
        Some(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let from = common::with_suffix(&made, suffix);
                if from.exists() {
                    std::fs::rename(from, common::with_suffix(path, suffix)).unwrap();
                }
            }
            println!("  kept at {}", path.display());
            path.clone()
        }
        None => made,
    };

    // The bare insert of the same rows.
    println!("bare bulk insert of the same rows ({}):", bare.display());
    // Read-write only so that SQLite keeps its write-ahead log files as usual; nothing is
    // written.
    let src = Sqlite::open(&made, ffi::SQLITE_OPEN_READWRITE);
    let dst = Sqlite::open(&bare, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE);
    dst.exec(PRAGMAS);
    for row in src.rows(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
         AND type IN ('table', 'index') ORDER BY type = 'index', rowid",
    ) {
        dst.exec(&row[0]);
    }
    let tables = read_tables(&src);
    let (mut timed, mut read, mut rows) = (Duration::ZERO, Duration::ZERO, 0u64);
    let mut counts = Vec::new();
    for table in &tables {
        let copied = copy_table(&src, &dst, table, per_transaction);
        timed += copied.timed;
        read += copied.read;
        rows += copied.rows;
        counts.push((table.name.as_str(), copied.rows));
    }
    let t0 = Instant::now();
    drop(dst);
    timed += t0.elapsed();
    println!(
        "  {rows} rows in {} tables: {:.1} s writing ({:.0} rows/s), {:.1} s reading them (not counted)",
        tables.len(),
        timed.as_secs_f64(),
        rows as f64 / timed.as_secs_f64(),
        read.as_secs_f64()
    );
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    let largest: Vec<String> = counts
        .iter()
        .take(8)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!("  largest tables: {}", largest.join(", "));

    // The same rows on both sides.
    let check = Sqlite::open(&bare, ffi::SQLITE_OPEN_READWRITE);
    for table in &tables {
        assert_eq!(
            src.count(&table.name),
            check.count(&table.name),
            "rows of {} in the copy",
            table.name
        );
    }
    drop(check);
    drop(src);

    let ratio = timed.as_secs_f64() / command_time.as_secs_f64();
    println!(
        "command {:.1} s ({:.0} rows/s) against bare insert {:.1} s: speed ratio {ratio:.2} (target >= 0.50)",
        command_time.as_secs_f64(),
        rows as f64 / command_time.as_secs_f64(),
        timed.as_secs_f64()
    );
    Outcome {
        scenario: "P8",
        engine: "sqlite",
        metric: "time",
        unit: "s",
        figure: command_time.as_secs_f64(),
        baseline: Some(timed.as_secs_f64()),
        ratio: Some(ratio),
        target: Target::AtLeast(0.5),
        checks: vec![
            (format!("size={size}"), true),
            (format!("rows={rows}"), true),
        ],
    }
    .print();
}
