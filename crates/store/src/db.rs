//! The two backends behind one small interface.
//!
//! Every query in the store is written once, in SQL both SQLite and PostgreSQL
//! understand (`$1` placeholders, TEXT/BIGINT/BOOLEAN/DOUBLE PRECISION columns),
//! with its parameters as a slice of [`Val`]. Rows come back as backend-neutral
//! [`Row`]s. So the store's logic never branches on the backend, and a query
//! cannot be written for one backend and forgotten for the other.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use sqlx::{Column, Row as _, TypeInfo, ValueRef};
use uuid::Uuid;

use crate::StoreError;

mod sqlite;
pub use sqlite::SqlitePool;

/// A query parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A NULL of the given column type (PostgreSQL wants typed NULLs).
    Null(NullKind),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// The type of a NULL parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullKind {
    Text,
    Int,
    Float,
    Bool,
}

/// The column type a Rust value binds as, for its NULL.
pub trait NullOf {
    const KIND: NullKind;
}
impl NullOf for &str {
    const KIND: NullKind = NullKind::Text;
}
impl NullOf for String {
    const KIND: NullKind = NullKind::Text;
}
impl NullOf for &String {
    const KIND: NullKind = NullKind::Text;
}
impl NullOf for Uuid {
    const KIND: NullKind = NullKind::Text;
}
impl NullOf for i64 {
    const KIND: NullKind = NullKind::Int;
}
impl NullOf for f64 {
    const KIND: NullKind = NullKind::Float;
}
impl NullOf for bool {
    const KIND: NullKind = NullKind::Bool;
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Uuid> for Val {
    fn from(v: Uuid) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Float(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}
impl<T: Into<Val> + NullOf> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null(T::KIND), Into::into)
    }
}

/// Builds an array of `Val`s from mixed values: `&params![a, b, c]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { [$($crate::db::Val::from($v)),*] };
}

/// Columns from which a result's names are indexed (a page of the log read
/// by `verify` has 35, each looked up per row by every stage); fewer are
/// looked for one by one.
const INDEXED_FROM: usize = 9;

/// The column names of a result, shared by all its rows.
#[derive(Debug)]
pub(crate) struct Columns {
    names: Box<[String]>,
    /// Name → position (the first, when two columns share a name), for a
    /// wide result.
    by_name: Option<foldhash::HashMap<Box<str>, usize>>,
}

impl Columns {
    pub(crate) fn new(names: Vec<String>) -> std::sync::Arc<Columns> {
        let by_name = (names.len() >= INDEXED_FROM).then(|| {
            let mut index = foldhash::HashMap::with_capacity_and_hasher(names.len(), Default::default());
            for (i, name) in names.iter().enumerate().rev() {
                index.insert(name.as_str().into(), i);
            }
            index
        });
        std::sync::Arc::new(Columns {
            names: names.into_boxed_slice(),
            by_name,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    fn position(&self, col: &str) -> Option<usize> {
        match &self.by_name {
            Some(index) => index.get(col).copied(),
            None => self.names.iter().position(|n| n == col),
        }
    }
}

/// One result row, independent of the backend.
#[derive(Debug, Clone)]
pub struct Row {
    /// The result's column names, shared by all its rows.
    cols: std::sync::Arc<Columns>,
    vals: Vec<Val>,
}

impl Row {
    /// A row built from column names and values (a logged record's
    /// canonical form read back, for instance).
    pub(crate) fn from_columns(names: Vec<String>, vals: Vec<Val>) -> Row {
        Row {
            cols: Columns::new(names),
            vals,
        }
    }

    /// A row of a result whose columns are `cols`.
    pub(crate) fn of(cols: &std::sync::Arc<Columns>, vals: Vec<Val>) -> Row {
        Row {
            cols: cols.clone(),
            vals,
        }
    }

    fn get(&self, col: &str) -> Result<&Val, StoreError> {
        self.cols
            .position(col)
            .and_then(|i| self.vals.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} missing from result")))
    }

    fn corrupt(col: &str, want: &str, got: &Val) -> StoreError {
        StoreError::Corrupt(format!("column {col}: expected {want}, found {got:?}"))
    }

    pub fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        match self.get(col)? {
            Val::Null(_) => Ok(None),
            Val::Text(s) => Ok(Some(s.clone())),
            other => Err(Self::corrupt(col, "text", other)),
        }
    }
    /// A text column, borrowed.
    pub fn opt_str(&self, col: &str) -> Result<Option<&str>, StoreError> {
        match self.get(col)? {
            Val::Null(_) => Ok(None),
            Val::Text(s) => Ok(Some(s.as_str())),
            other => Err(Self::corrupt(col, "text", other)),
        }
    }
    /// A text column that is not null, borrowed.
    pub fn str(&self, col: &str) -> Result<&str, StoreError> {
        self.opt_str(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
    }
    pub fn text(&self, col: &str) -> Result<String, StoreError> {
        self.opt_text(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
    }
    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        match self.get(col)? {
            Val::Null(_) => Ok(None),
            Val::Int(i) => Ok(Some(*i)),
            other => Err(Self::corrupt(col, "integer", other)),
        }
    }
    pub fn int(&self, col: &str) -> Result<i64, StoreError> {
        self.opt_int(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
    }
    pub fn opt_float(&self, col: &str) -> Result<Option<f64>, StoreError> {
        match self.get(col)? {
            Val::Null(_) => Ok(None),
            Val::Float(f) => Ok(Some(*f)),
            Val::Int(i) => Ok(Some(*i as f64)),
            other => Err(Self::corrupt(col, "number", other)),
        }
    }
    pub fn float(&self, col: &str) -> Result<f64, StoreError> {
        self.opt_float(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
    }
    pub fn opt_bool(&self, col: &str) -> Result<Option<bool>, StoreError> {
        match self.get(col)? {
            Val::Null(_) => Ok(None),
            Val::Bool(b) => Ok(Some(*b)),
            // SQLite keeps booleans as integers.
            Val::Int(i) => Ok(Some(*i != 0)),
            other => Err(Self::corrupt(col, "boolean", other)),
        }
    }
    pub fn bool(&self, col: &str) -> Result<bool, StoreError> {
        self.opt_bool(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
    }
    pub fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
        let s = self.text(col)?;
        Uuid::parse_str(&s).map_err(|_| StoreError::Corrupt(format!("column {col}: not a uuid")))
    }
    pub fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, StoreError> {
        self.opt_text(col)?
            .map(|s| Uuid::parse_str(&s))
            .transpose()
            .map_err(|_| StoreError::Corrupt(format!("column {col}: not a uuid")))
    }
}

/// The column names of a PostgreSQL result.
fn pg_names(row: &PgRow) -> std::sync::Arc<Columns> {
    Columns::new(row.columns().iter().map(|c| c.name().to_owned()).collect())
}

/// One PostgreSQL row, with the result's column names.
fn pg_row(row: &PgRow, names: &std::sync::Arc<Columns>) -> Result<Row, sqlx::Error> {
    let mut vals = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let val = if raw.is_null() {
            Val::Null(NullKind::Text)
        } else {
            match col.type_info().name() {
                "INT8" => Val::Int(row.try_get::<i64, _>(i)?),
                "INT4" => Val::Int(i64::from(row.try_get::<i32, _>(i)?)),
                "INT2" => Val::Int(i64::from(row.try_get::<i16, _>(i)?)),
                "BOOL" => Val::Bool(row.try_get::<bool, _>(i)?),
                "FLOAT8" => Val::Float(row.try_get::<f64, _>(i)?),
                "FLOAT4" => Val::Float(f64::from(row.try_get::<f32, _>(i)?)),
                _ => Val::Text(row.try_get::<String, _>(i)?),
            }
        };
        vals.push(val);
    }
    Ok(Row::of(names, vals))
}

/// The statement as SQLite should see it. SQLite treats `$1` as a *named*
/// parameter, numbered by first appearance, so `$2 … $1` would bind in the
/// wrong order; and looking names up is quadratic in the number of
/// parameters (a 2,000-row insert spent most of its time there). So `$N`
/// becomes `?N`, SQLite's explicitly numbered parameter; and when the
/// placeholders are exactly `$1, $2, …, $n` in the order written, as in
/// multi-row inserts and `IN` lists, they become anonymous `?`s, which mean
/// the same and cost nothing to number.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut next = 1u32;
    let mut in_order = true;
    let mut in_string = false;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_string = !in_string,
            b'$' if !in_string => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if digits > 0 {
                    let number = &sql[i + 1..i + 1 + digits];
                    in_order &= number.parse::<u32>().ok() == Some(next);
                    next += 1;
                    out.push_str(&sql[last..i]);
                    out.push('?');
                    numbered.push_str(&sql[last..i]);
                    numbered.push('?');
                    numbered.push_str(number);
                    i += 1 + digits;
                    last = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if next == 1 {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut chosen = if in_order { out } else { numbered };
    chosen.push_str(&sql[last..]);
    std::borrow::Cow::Owned(chosen)
}

/// Binds `params` to a PostgreSQL query.
fn pg_bound<'q>(
    sql: &'q str,
    params: &'q [Val],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query(sql);
    for p in params {
        q = match p {
            Val::Null(NullKind::Text) => q.bind(Option::<String>::None),
            Val::Null(NullKind::Int) => q.bind(Option::<i64>::None),
            Val::Null(NullKind::Float) => q.bind(Option::<f64>::None),
            Val::Null(NullKind::Bool) => q.bind(Option::<bool>::None),
            Val::Text(s) => q.bind(s.as_str()),
            Val::Int(i) => q.bind(*i),
            Val::Float(f) => q.bind(*f),
            Val::Bool(b) => q.bind(*b),
        };
    }
    q
}

async fn pg_execute<'e>(e: impl sqlx::PgExecutor<'e>, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
    Ok(pg_bound(sql, params).execute(e).await?.rows_affected())
}

async fn pg_fetch_all<'e>(
    e: impl sqlx::PgExecutor<'e>,
    sql: &str,
    params: &[Val],
) -> Result<Vec<Row>, StoreError> {
    let rows = pg_bound(sql, params).fetch_all(e).await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let names = pg_names(first);
    Ok(rows.iter().map(|r| pg_row(r, &names)).collect::<Result<_, _>>()?)
}

async fn pg_fetch_optional<'e>(
    e: impl sqlx::PgExecutor<'e>,
    sql: &str,
    params: &[Val],
) -> Result<Option<Row>, StoreError> {
    Ok(pg_bound(sql, params)
        .fetch_optional(e)
        .await?
        .as_ref()
        .map(|r| pg_row(r, &pg_names(r)))
        .transpose()?)
}

/// A connection pool of one backend or the other.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Most parameters in one multi-row statement (below SQLite's 32,766 and
/// PostgreSQL's 65,535; smaller statements keep the statement cache small).
const MAX_PARAMS: usize = 16_000;

/// A transaction of one backend or the other. Dropped without `commit`, it
/// rolls back: a refused write leaves nothing half-written.
pub enum Tx {
    Sqlite(sqlite::SqliteTx),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// Runs a statement; returns the number of rows it touched.
    pub async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        match self {
            Tx::Sqlite(t) => t.execute(&sqlite_sql(sql), params),
            Tx::Postgres(t) => pg_execute(&mut **t, sql, params).await,
        }
    }

    /// Runs a query and returns all rows.
    pub async fn fetch_all(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        match self {
            Tx::Sqlite(t) => t.fetch(&sqlite_sql(sql), params, None),
            Tx::Postgres(t) => pg_fetch_all(&mut **t, sql, params).await,
        }
    }

    /// Runs a query and returns the first row, if any.
    pub async fn fetch_optional(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, StoreError> {
        match self {
            Tx::Sqlite(t) => Ok(t.fetch(&sqlite_sql(sql), params, Some(1))?.pop()),
            Tx::Postgres(t) => pg_fetch_optional(&mut **t, sql, params).await,
        }
    }

    /// Inserts rows: `head` is `INSERT INTO t (a, b, …)`, `values` holds the
    /// rows one after another (`columns` values each) and `tail` follows each
    /// statement (`ON CONFLICT …`, or empty). On PostgreSQL in multi-row
    /// statements below its parameter limit (one round trip each); on SQLite
    /// with one single-row statement run per row ([`sqlite::SqliteTx::insert_each`]).
    /// Returns rows affected.
    pub async fn insert_rows(
        &mut self,
        head: &str,
        columns: usize,
        values: &[Val],
        tail: &str,
    ) -> Result<u64, StoreError> {
        self.insert_rows_sharing(head, &[], columns, values, tail).await
    }

    /// Like [`Tx::insert_rows`], with values every row has in common bound
    /// once rather than on every row: `head` is
    /// `INSERT INTO t (a, b, c) SELECT v.column1, $1, v.column2 FROM` (the
    /// shared values are `$1…$k`, the row's own are `v.column1…`), and the
    /// rows follow as `(VALUES …) AS v`.
    pub async fn insert_rows_sharing(
        &mut self,
        head: &str,
        shared: &[Val],
        columns: usize,
        values: &[Val],
        tail: &str,
    ) -> Result<u64, StoreError> {
        debug_assert!(columns > 0 && values.len().is_multiple_of(columns));
        if let (Tx::Sqlite(t), []) = (&*self, shared) {
            return t.insert_each(head, columns, values, tail);
        }
        let per_statement = ((MAX_PARAMS - shared.len()) / columns).max(1) * columns;
        let mut affected = 0;
        let mut params: Vec<Val> = Vec::with_capacity(shared.len() + per_statement.min(values.len()));
        for chunk in values.chunks(per_statement) {
            let mut sql = String::with_capacity(head.len() + tail.len() + chunk.len() * 6 + 24);
            sql.push_str(head);
            sql.push_str(if shared.is_empty() {
                " VALUES "
            } else {
                " (VALUES "
            });
            let mut n = shared.len();
            for (i, _) in chunk.chunks(columns).enumerate() {
                sql.push_str(if i > 0 { ",(" } else { "(" });
                for c in 0..columns {
                    n += 1;
                    if c > 0 {
                        sql.push(',');
                    }
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                sql.push(')');
            }
            sql.push_str(if shared.is_empty() { " " } else { ") AS v " });
            sql.push_str(tail);
            params.clear();
            params.extend_from_slice(shared);
            params.extend_from_slice(chunk);
            affected += self.execute(&sql, &params).await?;
        }
        Ok(affected)
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => {
                t.commit()?;
                // Releasing the writer woke the next writer on this very
                // thread, in the slot other threads cannot take work from: it
                // would wait there for whatever this task does next. Yielding
                // lets it start now; this task resumes on another thread.
                tokio::task::yield_now().await;
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A handle on the pool usable with the executor methods: each call takes a
/// connection for the one statement.
#[derive(Clone, Copy)]
pub struct Conn<'a>(&'a Db);

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it touched.
    pub async fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        match self.0 {
            Db::Sqlite(p) => p.acquire().await?.execute(&sqlite_sql(sql), params),
            Db::Postgres(p) => pg_execute(p, sql, params).await,
        }
    }

    /// Runs a query and returns all rows.
    pub async fn fetch_all(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        match self.0 {
            Db::Sqlite(p) => p.acquire().await?.fetch(&sqlite_sql(sql), params, None),
            Db::Postgres(p) => pg_fetch_all(p, sql, params).await,
        }
    }

    /// Runs a query and returns the first row, if any.
    pub async fn fetch_optional(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, StoreError> {
        match self.0 {
            Db::Sqlite(p) => Ok(p.acquire().await?.fetch(&sqlite_sql(sql), params, Some(1))?.pop()),
            Db::Postgres(p) => pg_fetch_optional(p, sql, params).await,
        }
    }
}

/// Where the data lives, parsed from a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Backend {
    /// `sqlite:PATH`, `sqlite://PATH` or `postgres://…` / `postgresql://…`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::Config("the sqlite URL names no file".into()));
            }
            return Ok(Backend::Sqlite(PathBuf::from(path)));
        }
        Err(StoreError::Config(
            "database URL must start with sqlite: or postgres://".into(),
        ))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// Options for opening a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub max_connections: u32,
    /// PostgreSQL only: the schema to use (created if missing). Tests give each
    /// run its own schema so that runs never collide.
    pub pg_schema: Option<String>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            pg_schema: None,
        }
    }
}

impl Db {
    /// Opens the database. A SQLite file in a folder that does not exist is an
    /// error (never a new empty database somewhere unexpected); an unreachable
    /// PostgreSQL is an error within a few seconds.
    pub async fn open(backend: &Backend, opts: &OpenOptions) -> Result<Db, StoreError> {
        match backend {
            Backend::Sqlite(path) => open_sqlite(path, opts),
            Backend::Postgres(url) => open_postgres(url, opts).await,
        }
    }

    pub fn conn(&self) -> Conn<'_> {
        Conn(self)
    }

    /// A transaction. On SQLite it holds the write lock from the start
    /// (`BEGIN IMMEDIATE`, after this process's other writers), so a
    /// transaction that reads and then writes never fails to upgrade.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Keeps the SQLite page caches of the whole process within about
    /// `bytes` (SQLite's soft heap limit: past it, cached pages are reused
    /// rather than more allocated), so that a process reading a large
    /// database once, as `suyuan verify` does, stays small. Nothing on
    /// PostgreSQL, whose caches are the server's.
    pub async fn limit_cache_memory(&self, bytes: u64) -> Result<(), StoreError> {
        if let Db::Sqlite(_) = self {
            self.conn()
                .fetch_optional(&format!("PRAGMA soft_heap_limit = {bytes}"), &[])
                .await?;
        }
        Ok(())
    }

    /// Runs a script of several statements (migrations).
    pub(crate) async fn execute_script(tx: &mut Tx, sql: &str) -> Result<(), StoreError> {
        match tx {
            Tx::Sqlite(t) => t.execute_script(sql)?,
            Tx::Postgres(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    /// PostgreSQL only: drops a schema made for one test or benchmark run.
    /// Refuses names that are not letters, digits and underscores.
    pub async fn drop_pg_schema(&self, schema: &str) -> Result<(), StoreError> {
        if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Config(
                "a PostgreSQL schema name is letters, digits and underscores".into(),
            ));
        }
        if let Db::Postgres(p) = self {
            sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(p)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close(),
            Db::Postgres(p) => p.close().await,
        }
    }
}

fn open_sqlite(path: &Path, opts: &OpenOptions) -> Result<Db, StoreError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(StoreError::Config(format!(
            "the folder {} for the SQLite database does not exist; create it or choose another path",
            parent.display()
        )));
    }
    let pool = SqlitePool::open(path, opts.max_connections)?;
    Ok(Db::Sqlite(pool))
}

async fn open_postgres(url: &str, opts: &OpenOptions) -> Result<Db, StoreError> {
    let mut connect = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?;
    if let Some(schema) = &opts.pg_schema {
        if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Config(
                "a PostgreSQL schema name is letters, digits and underscores".into(),
            ));
        }
        // Create the schema with a one-off connection, then point every pooled
        // connection at it.
        let once = PoolOptions::<sqlx::Postgres>::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(connect.clone())
            .await
            .map_err(unreachable_pg)?;
        sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&once)
            .await?;
        once.close().await;
        connect = connect.options([("search_path", schema.as_str())]);
    }
    let pool = PoolOptions::<sqlx::Postgres>::new()
        .max_connections(opts.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(connect)
        .await
        .map_err(unreachable_pg)?;
    Ok(Db::Postgres(pool))
}

fn unreachable_pg(e: sqlx::Error) -> StoreError {
    StoreError::Config(format!("cannot reach PostgreSQL: {e}"))
}

/// `$start, $start+1, …`: `n` numbered placeholders for an `IN (…)` list.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A column is found by name in a narrow result and in a wide (indexed)
    /// one alike: the first of two of one name, none that is not there.
    #[test]
    fn columns_are_found_by_name_however_wide() {
        for width in [3, INDEXED_FROM, 40] {
            let mut names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
            names.push("c1".into());
            let vals = (0..=width as i64).map(Val::Int).collect();
            let row = Row::from_columns(names, vals);
            assert_eq!(row.int("c1").unwrap(), 1, "width {width}");
            assert_eq!(row.int(&format!("c{}", width - 1)).unwrap(), width as i64 - 1);
            assert!(row.opt_int("missing").is_err());
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            Backend::from_url("sqlite:x.db").unwrap(),
            Backend::Sqlite(PathBuf::from("x.db"))
        );
        assert!(matches!(
            Backend::from_url("postgres://localhost/test").unwrap(),
            Backend::Postgres(_)
        ));
        assert!(Backend::from_url("mysql://x").is_err());
        assert!(Backend::from_url("sqlite:").is_err());
    }

    #[tokio::test]
    async fn sqlite_in_missing_folder_is_an_error() {
        let err = Db::open(
            &Backend::Sqlite(PathBuf::from("no-such-folder-xyz/data.db")),
            &OpenOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn in_order_placeholders_become_anonymous() {
        assert_eq!(
            sqlite_sql("INSERT INTO t VALUES ($1,$2),($3,$4)"),
            "INSERT INTO t VALUES (?,?),(?,?)"
        );
        assert_eq!(
            sqlite_sql("SELECT a FROM t WHERE b IN ($1,$2,$3) AND c = 'x$'"),
            "SELECT a FROM t WHERE b IN (?,?,?) AND c = 'x$'"
        );
    }

    #[test]
    fn other_placeholders_are_numbered() {
        for (sql, want) in [
            (
                "UPDATE t SET a = $2 WHERE b = $1",
                "UPDATE t SET a = ?2 WHERE b = ?1",
            ),
            ("SELECT $1, $1", "SELECT ?1, ?1"),
            (
                "INSERT INTO t VALUES ($1,$2,$10)",
                "INSERT INTO t VALUES (?1,?2,?10)",
            ),
            ("SELECT a FROM t WHERE b = $1", "SELECT a FROM t WHERE b = ?"),
            ("SELECT 1", "SELECT 1"),
        ] {
            assert_eq!(sqlite_sql(sql), want);
        }
        // Placeholders inside string literals are not placeholders.
        assert_eq!(sqlite_sql("SELECT '$5', $1, $2"), "SELECT '$5', ?, ?");
        assert_eq!(
            sqlite_sql("SELECT '$1' FROM t WHERE a = $1 AND b = $2 AND c = $4"),
            "SELECT '$1' FROM t WHERE a = ?1 AND b = ?2 AND c = ?4"
        );
    }
}
