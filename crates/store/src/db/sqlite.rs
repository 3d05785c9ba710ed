//! SQLite, run on the calling thread.
//!
//! A statement on an embedded database takes a few microseconds. A driver
//! that hands each statement to a worker thread over a channel (as sqlx's
//! SQLite driver does) pays a thread wake-up per statement, 10–40 µs on a
//! small virtual machine: more than the statements themselves, and a capture
//! runs a dozen statements per farm. So here a statement runs where it is
//! called, on a connection the task has checked out of a small pool.
//!
//! Transactions run on the pool's one writer connection: SQLite has one
//! writer at a time anyway. Writers of this process queue on it (an async
//! lock) before `BEGIN IMMEDIATE`, so no thread ever sleeps in SQLite's busy
//! handler waiting for another task of the same process (which could need
//! that very thread to finish); writers in other processes are ordered by the
//! busy timeout. Reads outside a transaction never wait: the database is in
//! WAL mode.
//!
//! Copying the write-ahead log back into the database (a checkpoint) is
//! done by a thread of the pool, so that a commit does not pay for it; a
//! committing writer checkpoints itself only if that thread falls far
//! behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::{Columns, NullKind, Row, Val};
use crate::StoreError;

/// How long a connection waits for a lock held by another process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a transaction waits for this process's other writers.
const WRITER_WAIT: Duration = Duration::from_secs(60);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// How often the pool's thread checkpoints the write-ahead log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Write-ahead log frames (pages) past which the checkpoint thread makes the
/// log start again from its beginning: 128 MiB of 8 KiB pages.
const RESTART_LOG_AT: i64 = 16_384;
/// How long a restart waits for readers to leave the log (writers wait
/// meanwhile); readers that stay longer make it wait for the next round.
const RESTART_WAIT: Duration = Duration::from_millis(20);

/// Connections to one SQLite file.
#[derive(Clone)]
pub struct SqlitePool(Arc<Shared>);

struct Shared {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    /// The readers' limit (the permits at the start).
    max: usize,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    closed: AtomicBool,
}

impl std::fmt::Debug for SqlitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlitePool").field("path", &self.0.path).finish()
    }
}

/// A connection checked out of the pool; it goes back when dropped.
pub struct PooledConn {
    conn: Option<Connection>,
    pool: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !self.pool.closed.load(Ordering::Acquire) && conn.is_autocommit() {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(conn);
                }
            }
        }
    }
}

impl PooledConn {
    fn conn(&self) -> &Connection {
        // Present from checkout until drop.
        self.conn
            .as_ref()
            .expect("pooled connection present until dropped")
    }

    pub fn execute(&self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        execute(self.conn(), sql, params)
    }

    pub fn fetch(&self, sql: &str, params: &[Val], limit: Option<usize>) -> Result<Vec<Row>, StoreError> {
        fetch(self.conn(), sql, params, limit)
    }
}

impl SqlitePool {
    /// Opens the file (creating it) and checks that it is usable.
    pub fn open(path: &Path, max_connections: u32) -> Result<Self, StoreError> {
        let writer = connect(path)?;
        let pool = SqlitePool(Arc::new(Shared {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
            max: max_connections.max(1) as usize,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            closed: AtomicBool::new(false),
        }));
        let shared = Arc::downgrade(&pool.0);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_while_open(shared))
            .map_err(|e| StoreError::Config(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(pool)
    }

    /// A connection of the pool, opened if none is idle.
    pub async fn acquire(&self) -> Result<PooledConn, StoreError> {
        let permit = tokio::time::timeout(Duration::from_secs(30), self.0.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Config("timed out waiting for a SQLite connection".into()))?
            .map_err(|_| StoreError::Config("the database is closed".into()))?;
        if self.0.closed.load(Ordering::Acquire) {
            return Err(StoreError::Config("the database is closed".into()));
        }
        let idle = self.0.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.0.path)?,
        };
        Ok(PooledConn {
            conn: Some(conn),
            pool: self.0.clone(),
            _permit: permit,
        })
    }

    /// A transaction on the writer connection. It waits for this process's
    /// other writers, then takes SQLite's write lock (`BEGIN IMMEDIATE`), so
    /// a transaction that reads and then writes never fails to upgrade.
    pub async fn begin(&self) -> Result<SqliteTx, StoreError> {
        if self.0.closed.load(Ordering::Acquire) {
            return Err(StoreError::Config("the database is closed".into()));
        }
        let mut conn = tokio::time::timeout(WRITER_WAIT, self.0.writer.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Config("timed out waiting for the SQLite writer lock".into()))?;
        // The lock's release woke this task on the releasing writer's thread,
        // where that writer is parked (yielded) until this thread is free: a
        // transaction runs without a pause, so yielding first lets both be
        // scheduled again and the releasing writer resume on another thread
        // (at once, instead of after this whole transaction).
        tokio::task::yield_now().await;
        if !conn.is_autocommit() {
            // A rollback that failed left a transaction open: start afresh.
            *conn = connect(&self.0.path)?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTx { conn, open: true })
    }

    /// The pool's use now: readers open, idle and checked out, and the
    /// writer (one more connection, busy while a transaction holds it).
    pub fn stats(&self) -> crate::monitoring::PoolStats {
        let idle = self.0.idle.lock().map_or(0, |i| i.len()) as u64;
        let readers_busy = self.0.max.saturating_sub(self.0.permits.available_permits()) as u64;
        let writer_busy = u64::from(self.0.writer.try_lock().is_err());
        crate::monitoring::PoolStats {
            max: self.0.max as u64 + 1,
            open: idle + readers_busy + 1,
            idle: idle + 1 - writer_busy,
            busy: readers_busy + writer_busy,
        }
    }

    /// Closes idle connections; connections in use close when returned.
    pub fn close(&self) {
        self.0.closed.store(true, Ordering::Release);
        if let Ok(mut idle) = self.0.idle.lock() {
            idle.clear();
        }
        self.0.permits.close();
    }
}

/// A transaction on the writer connection. Dropped without `commit`, it
/// rolls back.
pub struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl SqliteTx {
    pub fn execute(&self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        execute(&self.conn, sql, params)
    }

    pub fn fetch(&self, sql: &str, params: &[Val], limit: Option<usize>) -> Result<Vec<Row>, StoreError> {
        fetch(&self.conn, sql, params, limit)
    }

    /// Inserts rows of `columns` values each with one single-row statement,
    /// prepared once and run per row: `head` is `INSERT INTO t (a, b, …)`,
    /// `tail` what follows the values (`ON CONFLICT …` or nothing). In
    /// process, a statement per row costs no more than one statement for
    /// many; and a single-row insert needs no statement journal, where a
    /// multi-row one copies every page it changes beforehand so that it can
    /// undo itself halfway.
    pub fn insert_each(
        &self,
        head: &str,
        columns: usize,
        values: &[Val],
        tail: &str,
    ) -> Result<u64, StoreError> {
        let placeholders: Vec<String> = (1..=columns).map(|i| format!("?{i}")).collect();
        let sql = format!("{head} VALUES ({}) {tail}", placeholders.join(","));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut inserted = 0;
        for row in values.chunks(columns) {
            bind(&mut stmt, row)?;
            inserted += stmt.raw_execute()? as u64;
        }
        Ok(inserted)
    }

    /// Runs a script of several statements (migrations).
    pub fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    pub fn commit(mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            // If this fails, the next `begin` replaces the connection.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Checkpoints the write-ahead log every [`CHECKPOINT_EVERY`] until the pool
/// is closed or dropped, `PASSIVE`: it neither waits for nor blocks readers
/// and writers.
///
/// A log that is written to without pause is never wholly copied back (new
/// frames arrive while the old ones are copied), so it never starts again
/// from the beginning: it would grow until the committing writer checkpoints
/// it itself, syncing the disk inside every commit. So once the log passes
/// [`RESTART_LOG_AT`] frames, this thread copies the last frames holding the
/// writer lock: the next transaction writes the log from its start again.
fn checkpoint_while_open(shared: std::sync::Weak<Shared>) {
    let mut conn: Option<Connection> = None;
    let mut tried_at = 0;
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        let Some(pool) = shared.upgrade() else { return };
        if pool.closed.load(Ordering::Acquire) {
            return;
        }
        if conn.is_none() {
            // Readers still in the log when it is to restart are waited
            // for briefly: writers wait meanwhile.
            conn = connect(&pool.path)
                .and_then(|c| Ok(c.busy_timeout(RESTART_WAIT).map(|()| c)?))
                .ok();
        }
        let Some(c) = &conn else { continue };
        if let Err(e) = checkpoint(c, &pool.writer, &mut tried_at) {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
            conn = None;
        }
    }
}

/// One round of [`checkpoint_while_open`]: copy back what the log holds;
/// past [`RESTART_LOG_AT`] frames, copy the frames written meanwhile holding
/// the writer lock and wait for readers to leave the log (`RESTART`), so
/// that the next transaction writes it from its start. `tried_at` is the
/// size of the log at the last restart that readers kept from happening:
/// the next try waits until a quarter as much again has been written, so
/// that a few writes among many readers do not stop writers every round.
fn checkpoint(
    c: &Connection,
    writer: &tokio::sync::Mutex<Connection>,
    tried_at: &mut i64,
) -> rusqlite::Result<()> {
    let logged: i64 = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
    if logged < RESTART_LOG_AT {
        *tried_at = 0;
        return Ok(());
    }
    if *tried_at > 0 && logged < *tried_at + RESTART_LOG_AT / 4 {
        return Ok(());
    }
    let _no_writer = writer.blocking_lock();
    let readers_stayed: bool = c.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get(0))?;
    *tried_at = if readers_stayed { logged } else { 0 };
    Ok(())
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Reads of a large database come from memory: pages mapped rather than
    // copied, and a page cache of 32 MiB per connection. A new database gets
    // 8 KiB pages: at 10^6 events, capture ran 8% faster and public pages
    // half again as fast as with 4 KiB (an existing one keeps its size).
    conn.execute_batch(
        "PRAGMA page_size = 8192;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA mmap_size = 268435456;
         PRAGMA cache_size = -32768;
         PRAGMA wal_autocheckpoint = 65536;",
    )?;
    Ok(conn)
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Val]) -> Result<(), StoreError> {
    let expected = stmt.parameter_count();
    if expected != params.len() {
        return Err(StoreError::Corrupt(format!(
            "statement takes {expected} parameters, {} given",
            params.len()
        )));
    }
    for (i, p) in params.iter().enumerate() {
        let at = i + 1;
        match p {
            Val::Null(_) => stmt.raw_bind_parameter(at, rusqlite::types::Null)?,
            Val::Text(s) => stmt.raw_bind_parameter(at, s.as_str())?,
            Val::Int(v) => stmt.raw_bind_parameter(at, v)?,
            Val::Float(f) => stmt.raw_bind_parameter(at, f)?,
            Val::Bool(b) => stmt.raw_bind_parameter(at, i64::from(*b))?,
        }
    }
    Ok(())
}

fn execute(conn: &Connection, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    if stmt.column_count() == 0 {
        return Ok(stmt.raw_execute()? as u64);
    }
    // A statement that returns rows (`… RETURNING`): run it to the end.
    let mut rows = stmt.raw_query();
    while rows.next()?.is_some() {}
    Ok(conn.changes())
}

fn fetch(conn: &Connection, sql: &str, params: &[Val], limit: Option<usize>) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let names = Columns::new(stmt.column_names().into_iter().map(str::to_owned).collect());
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut vals = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            vals.push(match row.get_ref(i)? {
                ValueRef::Null => Val::Null(NullKind::Text),
                ValueRef::Integer(i) => Val::Int(i),
                ValueRef::Real(f) => Val::Float(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => Val::Text(match std::str::from_utf8(t) {
                    Ok(s) => s.to_owned(),
                    Err(_) => String::from_utf8_lossy(t).into_owned(),
                }),
            });
        }
        out.push(Row::of(&names, vals));
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{Backend, Db, OpenOptions, Tx};
    use crate::params;

    /// A fresh database file of its own.
    async fn fresh(name: &str) -> Db {
        let dir = std::env::temp_dir().join(format!("suyuan-sqlite-{name}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open(&Backend::Sqlite(dir.join("t.db")), &OpenOptions::default())
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.execute("CREATE TABLE t (a TEXT, b BIGINT, c DOUBLE PRECISION)", &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        db
    }

    async fn count(db: &Db) -> i64 {
        db.conn()
            .fetch_optional("SELECT COUNT(*) AS n FROM t", &[])
            .await
            .unwrap()
            .unwrap()
            .int("n")
            .unwrap()
    }

    #[tokio::test]
    async fn placeholders_bind_by_number_in_any_order() {
        let db = fresh("order").await;
        let mut tx = db.begin().await.unwrap();
        tx.execute(
            "INSERT INTO t (c, b, a) VALUES ($3, $2, $1)",
            &params!["x", 2i64, 1.5f64],
        )
        .await
        .unwrap();
        tx.execute("UPDATE t SET a = $2 WHERE b = $1", &params![2i64, "y"])
            .await
            .unwrap();
        let row = tx
            .fetch_optional(
                "SELECT a, b, c FROM t WHERE a = $1 AND b = $1 * 0 + $2",
                &params!["y", 2i64],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.text("a").unwrap(), row.int("b").unwrap()), ("y".into(), 2));
        assert!((row.float("c").unwrap() - 1.5).abs() < f64::EPSILON);
        // The wrong number of parameters is an error, not a silent NULL.
        assert!(tx.execute("UPDATE t SET a = $1", &[]).await.is_err());
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_dropped_transaction_leaves_nothing_and_the_next_one_works() {
        let db = fresh("rollback").await;
        let mut tx = db.begin().await.unwrap();
        tx.insert_rows(
            "INSERT INTO t (a, b, c)",
            3,
            &params!["p", 1i64, 0.0f64, "q", 2i64, 0.0f64],
            "",
        )
        .await
        .unwrap();
        drop(tx);
        assert_eq!(count(&db).await, 0);
        let mut tx = db.begin().await.unwrap();
        // A statement that returns rows may run through `execute`.
        let n = tx
            .execute(
                "INSERT INTO t (a, b, c) VALUES ($1, $2, $3) RETURNING a",
                &params!["r", 3i64, 0.0f64],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        tx.commit().await.unwrap();
        assert_eq!(count(&db).await, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_take_turns_and_readers_see_only_commits() {
        let db = fresh("writers").await;
        let mut first = db.begin().await.unwrap();
        first
            .execute(
                "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)",
                &params!["w1", 1i64, 0.0f64],
            )
            .await
            .unwrap();
        // A second writer waits for the first to end instead of failing.
        let second = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx: Tx = db.begin().await.unwrap();
                let seen = tx.fetch_all("SELECT a FROM t", &[]).await.unwrap().len();
                tx.execute(
                    "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)",
                    &params!["w2", 2i64, 0.0f64],
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                seen
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!second.is_finished());
        // Readers outside the transaction do not see what it has not committed.
        assert_eq!(count(&db).await, 0);
        first.commit().await.unwrap();
        assert_eq!(
            second.await.unwrap(),
            1,
            "the second writer saw the first's commit"
        );
        assert_eq!(count(&db).await, 2);
    }
}
