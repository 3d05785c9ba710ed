//! suyuan-store: everything the platform keeps, on SQLite or PostgreSQL.
//!
//! [`Store`] is the only way in. Every method takes the [`Caller`] (who is
//! asking, for which organisation, with which role) and scopes its queries by
//! it, so a handler cannot forget the tenant filter. Records another tenant
//! may not see are answered as not found, so their existence does not leak.

pub mod access;
pub mod archives;
pub mod audit;
pub mod backup;
pub mod catalogue;
pub mod certifications;
pub mod client_certs;
pub mod complaints;
pub mod crypto;
pub mod dashboard;
pub mod db;
pub mod detached;
pub mod devices;
pub mod inputs;
pub mod integrity;
pub mod labels;
pub mod master_log;
pub mod master_versions;
pub mod migrate;
pub mod monitoring;
pub mod org_records;
pub mod orgs;
pub mod oversight;
pub mod places;
pub mod platform;
pub mod prefixes;
pub mod products;
pub mod quality;
pub mod row_states;
pub mod samples;
pub mod test_reports;
pub mod tlog;
pub mod trace;
pub mod users;
pub mod witnessing;

use suyuan_core::Invalid;
use uuid::Uuid;

pub use access::{Caller, Credential};
pub use crypto::PersonalDataCipher;
pub use db::{Backend, Db, OpenOptions};

/// Why a store call failed. Mapped once to HTTP statuses by the server and to
/// messages by the CLI.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or the caller may not know it exists.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The caller is known but may not do this.
    #[error("{en}")]
    Forbidden {
        code: &'static str,
        en: String,
        zh: String,
    },
    /// The write clashes with what is stored (a duplicate key, a state change
    /// that does not apply).
    #[error("{en}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        en: String,
        zh: String,
    },
    /// A field broke a rule.
    #[error("{field}: {invalid}")]
    Invalid { field: String, invalid: Invalid },
    /// The server is at its limit for slow work (password hashing); try
    /// again after the given seconds.
    #[error("busy; retry after {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// Bad configuration (URL, missing folder, unreachable server).
    #[error("{0}")]
    Config(String),
    /// The database holds something this program cannot read.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, invalid: Invalid) -> Self {
        StoreError::Invalid {
            field: field.into(),
            invalid,
        }
    }

    pub fn forbidden(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        StoreError::Forbidden {
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn conflict(
        code: &'static str,
        field: Option<&str>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        StoreError::Conflict {
            code,
            field: field.map(str::to_owned),
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// Puts `prefix.` before the field an error names (for nested requests
    /// such as a registration's `organisation` and `admin`).
    pub fn prefixed(self, prefix: &str) -> Self {
        match self {
            StoreError::Invalid { field, invalid } => StoreError::Invalid {
                field: format!("{prefix}.{field}"),
                invalid,
            },
            StoreError::Conflict {
                code,
                field: Some(f),
                en,
                zh,
            } => StoreError::Conflict {
                code,
                field: Some(format!("{prefix}.{f}")),
                en,
                zh,
            },
            other => other,
        }
    }

    /// True when the database refused a duplicate of a unique key.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
    }

    /// Turns a unique-key violation into a 409 naming `field`; other errors
    /// pass through. The one place duplicates become conflicts.
    pub fn on_duplicate(self, field: &str, en: &str, zh: &str) -> Self {
        if self.is_unique_violation() {
            StoreError::conflict("duplicate", Some(field), en, zh)
        } else {
            self
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new row id: UUIDv7, so ids sort by creation time and need no counter.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A page request: at most `limit` rows after the cursor `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(Self::DEFAULT_LIMIT)
    }
}

/// One page of results and the cursor for the next, if there is one.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Uuid>,
}

/// The store: a database and the key that protects personal data.
#[derive(Clone)]
pub struct Store {
    db: Db,
    cipher: PersonalDataCipher,
    /// The witnesses whose cosignatures make a checkpoint final (k of n),
    /// as this server was configured; put in every proof bundle.
    witness_policy: std::sync::Arc<std::sync::RwLock<suyuan_ledger::cosignature::Quorum>>,
}

impl Store {
    /// Opens the database and brings its schema up to date.
    pub async fn open(backend: &Backend, opts: &OpenOptions, cipher: PersonalDataCipher) -> Result<Store> {
        let db = Db::open(backend, opts).await?;
        migrate::run(&db).await?;
        let store = Store {
            db,
            cipher,
            witness_policy: Default::default(),
        };
        // Organisations registered before their states were logged.
        store.log_unlogged_organisations().await?;
        // Units allocated before allocations were logged.
        store.log_unlogged_allocations().await?;
        // Rows of the registers stored before their states were logged.
        store.log_unlogged_rows().await?;
        Ok(store)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend_name(&self) -> &'static str {
        self.db.backend_name()
    }

    /// Database reachable and schema current: what `/readyz` reports.
    pub async fn readiness(&self) -> Result<(i64, i64)> {
        let current = migrate::current_version(&self.db).await?;
        Ok((current, migrate::latest_version()))
    }

    pub async fn close(&self) {
        self.db.close().await;
    }

    /// One private record by id, if the caller may read it; otherwise not
    /// found. `sql` selects from alias `t` and has `t.id = $1` and room for
    /// the scope as `$2`.
    pub(crate) async fn get_scoped<T>(
        &self,
        caller: &Caller,
        what: &'static str,
        select: &str,
        id: Uuid,
        decode: impl Fn(&db::Row) -> Result<T>,
    ) -> Result<T> {
        let (scope, p) = caller.record_scope("t", 2);
        let row = self
            .db
            .conn()
            .fetch_optional(&format!("{select} WHERE t.id = $1 AND {scope}"), &[id.into(), p])
            .await?
            .ok_or(StoreError::NotFound { what })?;
        decode(&row)
    }

    /// A paged list of the private records the caller may read, optionally
    /// of one organisation. `select` selects from alias `t`.
    pub(crate) async fn list_scoped<T>(
        &self,
        caller: &Caller,
        select: &str,
        org_id: Option<Uuid>,
        page: PageRequest,
        decode: impl Fn(&db::Row) -> Result<T>,
    ) -> Result<Page<T>> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = format!("{select} WHERE {scope}");
        let mut ps = vec![p];
        if let Some(org) = org_id {
            ps.push(org.into());
            sql.push_str(&format!(" AND t.org_id = ${}", ps.len()));
        }
        self.page(&sql, ps, page, decode).await
    }

    /// Checks that a record referred to by `field_name` exists and belongs to
    /// the caller's organisation; another tenant's id reads as not found.
    pub(crate) async fn require_own(
        &self,
        caller: &Caller,
        table: &str,
        field_name: &str,
        id: Uuid,
    ) -> Result<db::Row> {
        self.db
            .conn()
            .fetch_optional(
                &format!("SELECT * FROM {table} WHERE id = $1 AND org_id = $2"),
                &params![id, caller.org_id],
            )
            .await?
            .ok_or_else(|| {
                StoreError::invalid(
                    field_name,
                    Invalid::new(
                        "reference_not_found",
                        format!("{field_name}: no such record in your organisation"),
                        format!("{field_name}：本机构没有该记录"),
                    ),
                )
            })
    }

    /// Runs a paged `SELECT` whose SQL already has its filters; appends the
    /// cursor and limit. `sql` must select `t.id` from alias `t` and end in a
    /// WHERE clause (use `WHERE TRUE` when there is none).
    pub(crate) async fn page<T>(
        &self,
        sql: &str,
        mut params: Vec<db::Val>,
        page: PageRequest,
        decode: impl Fn(&db::Row) -> Result<T>,
    ) -> Result<Page<T>> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        let mut sql = sql.to_owned();
        if let Some(after) = page.after {
            params.push(after.into());
            sql.push_str(&format!(" AND t.id > ${}", params.len()));
        }
        sql.push_str(&format!(" ORDER BY t.id LIMIT {}", limit + 1));
        let rows = self.db.conn().fetch_all(&sql, &params).await?;
        let mut items = rows.iter().map(&decode).collect::<Result<Vec<T>>>()?;
        let mut next_cursor = None;
        if items.len() > limit as usize {
            items.truncate(limit as usize);
            next_cursor = rows.get(limit as usize - 1).map(|r| r.uuid("id")).transpose()?;
        }
        Ok(Page { items, next_cursor })
    }
}

/// Validates a value with a core parser, naming the field on failure.
pub(crate) fn field<T>(name: &str, r: std::result::Result<T, Invalid>) -> Result<T> {
    r.map_err(|e| StoreError::invalid(name, e))
}
