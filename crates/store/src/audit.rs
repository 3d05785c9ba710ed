//! The audit trail and the block list.
//!
//! `audit_events` is append-only: rows are inserted in batches by the
//! server's background writer ([`Store::append_audit`]) and deleted only by
//! the retention purge ([`Store::purge_audit`]); there is no update. A row
//! names who (user, organisation), what (action, resource: a route template
//! with record ids), how it ended (outcome, status, stable code), when and
//! from where (client address), and nothing else: no passwords, tokens, ID
//! numbers, query strings or bodies ever reach it.
//!
//! `security_blocks` lists the clients intrusion detection blocked, shared
//! by every server on the database; a block ends when its time runs out or
//! the operator lifts it.

use uuid::Uuid;

use crate::access::Caller;
use crate::db::Val;
use crate::{now_ms, params, Page, PageRequest, Result, Store, StoreError};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub user_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub status: i64,
    pub code: Option<String>,
    pub client: String,
}

/// Filters of an audit query; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    /// The operator only: one organisation's records.
    pub org_id: Option<Uuid>,
    pub action: Option<String>,
    /// A prefix of the resource.
    pub resource: Option<String>,
    pub outcome: Option<String>,
    /// From this time on (ms, inclusive).
    pub from: Option<i64>,
    /// Before this time (ms, exclusive).
    pub to: Option<i64>,
}

/// A summary for the audit dashboard.
#[derive(Debug, Clone, Default)]
pub struct AuditSummary {
    /// (bucket start ms, outcome, count), by bucket.
    pub by_time_outcome: Vec<(i64, String, i64)>,
    /// (bucket start ms, action, count), by bucket.
    pub by_time_action: Vec<(i64, String, i64)>,
    /// (user id, username, count), most first.
    pub top_users: Vec<(Uuid, String, i64)>,
    /// (client, refused count), most first.
    pub top_refused_clients: Vec<(String, i64)>,
}

/// A block of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: Uuid,
    pub client: String,
    pub reason: String,
    pub created_at: i64,
    pub until_at: i64,
    pub lifted_at: Option<i64>,
}

/// Outcomes counted as refusals in the dashboard.
pub const REFUSED_OUTCOMES: &[&str] = &["denied", "forbidden", "not_found", "rate_limited", "blocked"];

const COLUMNS: &str = "id, at, user_id, org_id, action, resource, outcome, status, code, client";

fn event(r: &crate::db::Row) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: r.uuid("id")?,
        at: r.int("at")?,
        user_id: r.opt_uuid("user_id")?,
        org_id: r.opt_uuid("org_id")?,
        action: r.text("action")?,
        resource: r.text("resource")?,
        outcome: r.text("outcome")?,
        status: r.int("status")?,
        code: r.opt_text("code")?,
        client: r.text("client")?,
    })
}

fn block(r: &crate::db::Row) -> Result<Block> {
    Ok(Block {
        id: r.uuid("id")?,
        client: r.text("client")?,
        reason: r.text("reason")?,
        created_at: r.int("created_at")?,
        until_at: r.int("until_at")?,
        lifted_at: r.opt_int("lifted_at")?,
    })
}

/// Who may read which audit records: the operator all (or one
/// organisation's), an organisation's admin its own; anyone else nothing.
fn audit_scope(caller: &Caller, filter: &AuditFilter) -> Result<Option<Uuid>> {
    if caller.is_operator() {
        return Ok(filter.org_id);
    }
    let own = filter.org_id.is_none_or(|o| o == caller.org_id);
    if caller.role == suyuan_core::model::Role::OrgAdmin && own {
        return Ok(Some(caller.org_id));
    }
    Err(StoreError::forbidden(
        "audit_forbidden",
        "only an organisation's admin (its own records) or the platform operator may read the audit trail",
        "只有机构管理员（本机构记录）或平台运营方可以查看审计记录",
    ))
}

/// The WHERE clause of a filter (after `scope`), with its parameters.
fn where_clause(scope: Option<Uuid>, f: &AuditFilter) -> (String, Vec<Val>) {
    let mut conds = vec!["1 = 1".to_owned()];
    let mut vals: Vec<Val> = Vec::new();
    let mut add = |cond: &str, v: Val, vals: &mut Vec<Val>| {
        vals.push(v);
        conds.push(cond.replace('?', &format!("${}", vals.len())));
    };
    if let Some(org) = scope {
        add("a.org_id = ?", org.into(), &mut vals);
    }
    if let Some(u) = f.user_id {
        add("a.user_id = ?", u.into(), &mut vals);
    }
    if let Some(a) = &f.action {
        add("a.action = ?", a.into(), &mut vals);
    }
    if let Some(r) = &f.resource {
        let escaped = r.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        add(
            "a.resource LIKE ? ESCAPE '\\'",
            format!("{escaped}%").into(),
            &mut vals,
        );
    }
    if let Some(o) = &f.outcome {
        add("a.outcome = ?", o.into(), &mut vals);
    }
    if let Some(t) = f.from {
        add("a.at >= ?", t.into(), &mut vals);
    }
    if let Some(t) = f.to {
        add("a.at < ?", t.into(), &mut vals);
    }
    (conds.join(" AND "), vals)
}

impl Store {
    /// Appends audit records (one transaction; the writer's batch).
    pub async fn append_audit(&self, events: &[AuditEvent]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut values = Vec::with_capacity(events.len() * 10);
        for e in events {
            values.extend(params![
                e.id,
                e.at,
                e.user_id,
                e.org_id,
                e.action.as_str(),
                e.resource.as_str(),
                e.outcome.as_str(),
                e.status,
                e.code.as_deref(),
                e.client.as_str()
            ]);
        }
        let mut tx = self.db.begin().await?;
        let n = tx
            .insert_rows(&format!("INSERT INTO audit_events ({COLUMNS})"), 10, &values, "")
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The audit records the caller may read, newest first.
    pub async fn audit_events(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let scope = audit_scope(caller, filter)?;
        let (mut cond, mut vals) = where_clause(scope, filter);
        if let Some(after) = page.after {
            vals.push(after.into());
            cond.push_str(&format!(" AND a.id < ${}", vals.len()));
        }
        let limit = i64::from(page.limit);
        vals.push((limit + 1).into());
        let sql = format!(
            "SELECT {} FROM audit_events a WHERE {cond} ORDER BY a.id DESC LIMIT ${}",
            COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            vals.len()
        );
        let mut items = self
            .db
            .conn()
            .fetch_all(&sql, &vals)
            .await?
            .iter()
            .map(event)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(page.limit as usize);
            items.last().map(|e| e.id)
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Counts for the audit dashboard, over the records the caller may
    /// read that match `filter`, in buckets of `bucket_ms`.
    pub async fn audit_summary(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        bucket_ms: i64,
    ) -> Result<AuditSummary> {
        let scope = audit_scope(caller, filter)?;
        let (cond, mut vals) = where_clause(scope, filter);
        vals.push(bucket_ms.max(1).into());
        let b = vals.len();
        let mut conn = self.db.conn();
        let series = |col: &'static str| {
            format!(
                "SELECT (a.at / ${b}) * ${b} AS bucket, a.{col} AS k, COUNT(*) AS n FROM audit_events a \
                 WHERE {cond} GROUP BY (a.at / ${b}) * ${b}, a.{col} ORDER BY bucket, k"
            )
        };
        let (outcome_sql, action_sql) = (series("outcome"), series("action"));
        let triples = |rows: Vec<crate::db::Row>| -> Result<Vec<(i64, String, i64)>> {
            rows.iter()
                .map(|r| Ok((r.int("bucket")?, r.text("k")?, r.int("n")?)))
                .collect()
        };
        let by_time_outcome = triples(conn.fetch_all(&outcome_sql, &vals).await?)?;
        let by_time_action = triples(conn.fetch_all(&action_sql, &vals).await?)?;
        vals.pop();
        let top_users = conn
            .fetch_all(
                &format!(
                    "SELECT a.user_id, u.username, COUNT(*) AS n FROM audit_events a \
                     JOIN users u ON u.id = a.user_id WHERE {cond} \
                     GROUP BY a.user_id, u.username ORDER BY n DESC, u.username LIMIT 10"
                ),
                &vals,
            )
            .await?
            .iter()
            .map(|r| Ok((r.uuid("user_id")?, r.text("username")?, r.int("n")?)))
            .collect::<Result<_>>()?;
        let refused = REFUSED_OUTCOMES
            .iter()
            .map(|o| format!("'{o}'"))
            .collect::<Vec<_>>()
            .join(",");
        let top_refused_clients = conn
            .fetch_all(
                &format!(
                    "SELECT a.client, COUNT(*) AS n FROM audit_events a WHERE {cond} AND a.outcome IN ({refused}) \
                     GROUP BY a.client ORDER BY n DESC, a.client LIMIT 10"
                ),
                &vals,
            )
            .await?
            .iter()
            .map(|r| Ok((r.text("client")?, r.int("n")?)))
            .collect::<Result<_>>()?;
        Ok(AuditSummary {
            by_time_outcome,
            by_time_action,
            top_users,
            top_refused_clients,
        })
    }

    /// Deletes audit records older than `before` (ms) and blocks that ended
    /// before it; the only deletion of the audit trail. Answers the rows
    /// deleted.
    pub async fn purge_audit(&self, before: i64) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .execute("DELETE FROM audit_events WHERE at < $1", &params![before])
            .await?;
        tx.execute(
            "DELETE FROM security_blocks WHERE until_at < $1 OR lifted_at < $1",
            &params![before],
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Blocks `client` until `until_at` (ms) for `reason`.
    pub async fn add_block(&self, client: &str, reason: &str, until_at: i64) -> Result<Block> {
        let b = Block {
            id: crate::new_id(),
            client: client.to_owned(),
            reason: reason.to_owned(),
            created_at: now_ms(),
            until_at,
            lifted_at: None,
        };
        self.db
            .conn()
            .execute(
                "INSERT INTO security_blocks (id, client, reason, created_at, until_at) VALUES ($1,$2,$3,$4,$5)",
                &params![b.id, b.client.as_str(), b.reason.as_str(), b.created_at, b.until_at],
            )
            .await?;
        Ok(b)
    }

    /// Blocks in force at `now` (ms), newest first. Any caller: the server
    /// reads it to refuse blocked clients.
    pub async fn blocks_in_force(&self, now: i64) -> Result<Vec<Block>> {
        self.db
            .conn()
            .fetch_all(
                "SELECT id, client, reason, created_at, until_at, lifted_at FROM security_blocks \
                 WHERE until_at > $1 AND lifted_at IS NULL ORDER BY id DESC LIMIT 10000",
                &params![now],
            )
            .await?
            .iter()
            .map(block)
            .collect()
    }

    /// The block list for the operator: blocks in force and those ended in
    /// the last 30 days, newest first.
    pub async fn list_blocks(&self, caller: &Caller, now: i64) -> Result<Vec<Block>> {
        caller.require_operator()?;
        self.db
            .conn()
            .fetch_all(
                "SELECT id, client, reason, created_at, until_at, lifted_at FROM security_blocks \
                 WHERE until_at > $1 ORDER BY id DESC LIMIT 500",
                &params![now - 30 * 86_400_000],
            )
            .await?
            .iter()
            .map(block)
            .collect()
    }

    /// Lifts a block (the operator only); 404 when there is none in force
    /// with this id.
    pub async fn lift_block(&self, caller: &Caller, id: Uuid) -> Result<Block> {
        caller.require_operator()?;
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let n = tx
            .execute(
                "UPDATE security_blocks SET lifted_at = $1, lifted_by = $2 \
                 WHERE id = $3 AND lifted_at IS NULL AND until_at > $1",
                &params![now, caller.user_id, id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "block" });
        }
        let row = tx
            .fetch_optional(
                "SELECT id, client, reason, created_at, until_at, lifted_at FROM security_blocks WHERE id = $1",
                &params![id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "block" })?;
        tx.commit().await?;
        block(&row)
    }
}
