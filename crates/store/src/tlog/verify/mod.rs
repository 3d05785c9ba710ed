//! [`Store::verify_log`]: re-deriving the whole log from the database, and
//! its report. Writes nothing. One function per check:
//!
//! - `keys`: the organisations' key history (`org_keys`);
//! - `leaves`: every leaf, in log order: its place, its signer, signature
//!   and batch, and its leaf hash;
//! - `records`: each leaf's record hash against the event document or
//!   master-data row it logs (a page's rows of each kind read at once), and
//!   its `event_id` and `created_at` against what that record binds;
//! - `tree`: the Merkle tree rebuilt from the leaf hashes against every
//!   stored node (`tlog_nodes`);
//! - `checkpoints`: every stored checkpoint, met as the tree reaches its
//!   size: signature, root, consistency with and link to the one before it,
//!   and its witnesses' cosignatures;
//! - `coverage`: rows that should have a leaf and have none;
//! - master versions: every edited place, product, supplier and input is
//!   its latest version (`Store::master_rows_against_log`);
//! - readings: every batch's readings recomputed against its logged count
//!   and hash (`Store::readings_against_log`);
//! - `replay`: the log's records in log order re-derive every derived table
//!   (`events`' query columns, `event_epcs`, `lineage`, `units`,
//!   `shipments`, `entrustments`) through the same effects function capture
//!   uses, and each is compared with what is stored, row by row.
//!
//! Streamed: leaves, nodes and checkpoints are read a page at a time and the
//! tree is kept as its right edge, so the records themselves take memory
//! only while their page is in flight. What the replay keeps is the derived
//! state (units, the edges that carry status and custody, shipments, the
//! plots' records) within a budget ([`VerifyOptions`]), the rest in a
//! scratch file (`replay::spill`): memory does not grow with the log. The
//! log is read once: each page of leaves, with the events they log, is
//! checked by the leaf walk, which parses each event document once (for
//! what its record hash binds, and for the later stages), and handed on to
//! be prepared (the events read, their own columns checked) and then
//! replayed, each stage on a thread
//! of its own, each page freed by the stage that made it (pages the replay
//! is done with travel back); the registers, `corrected_by` and the
//! sizes of the identifier and lineage tables are checked beside them.
//! Leaves signed alone have their signatures verified a page at a time, in
//! one batch (two, on two cores, when there are many). Once the log is
//! read, `units` and `shipments` are compared on three threads at once.
//!
//! Each mismatch names the table, the row, the field, what was expected and
//! what was found ([`Mismatch`]).

use std::fmt;
use std::time::Instant;

use serde::Serialize;

use crate::{Result, Store};

mod checkpoints;
mod coverage;
mod keys;
mod leaves;
mod records;
mod replay;
mod tree;

/// Leaves read per query by [`Store::verify_log`]: on SQLite, pages small
/// enough that few records are in flight between the stages; on
/// PostgreSQL, larger, each page costing round trips to the server
/// (measured at 10^6 events: 2,000 the faster on SQLite, 5,000 on
/// PostgreSQL).
fn verify_page(backend: &str) -> i64 {
    if backend == "postgres" {
        5000
    } else {
        2000
    }
}

/// How [`Store::verify_log_with`] runs.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Bytes of the replay's derived state kept in memory (about); the rest
    /// waits in a scratch file. 16 MiB unless set.
    pub replay_memory: usize,
    /// Leaves read per query; `None`: the backend's own ([`verify_page`]).
    pub page_size: Option<i64>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            replay_memory: replay::REPLAY_MEMORY,
            page_size: None,
        }
    }
}

/// A page of the log: each leaf with the event it logs (when it logs one),
/// every column the leaf checks and the replay read. Read once, by the leaf
/// walk, and handed to the replay.
const PAGE_SQL: &str = "SELECT l.*, l.org_id AS leaf_org, l.record_kind AS leaf_kind, \
     e.id AS e_id, e.event_id AS e_event_id, e.org_id AS e_org_id, e.event_type, e.event_time, \
     e.time_zone_offset, e.record_time, e.action, e.biz_step, e.disposition, e.read_point, e.biz_location, \
     e.record_kind AS e_record_kind, e.stage, e.is_error_declaration, e.event_key, e.document AS event_document \
     FROM tlog_leaves l LEFT JOIN events e ON e.id = l.event_pk \
     WHERE l.idx >= $1 ORDER BY l.idx LIMIT $2";

/// A page of the log as the leaf walk hands it on: its rows, and the event
/// document of each row that logs an event, parsed (`None`: the row logs no
/// event, or its document is not JSON). Each document is parsed once, for
/// the walk (what its record hash binds) and the replay alike.
pub(super) struct RawPage {
    pub rows: std::sync::Arc<Vec<crate::db::Row>>,
    pub docs: Vec<Option<serde_json::Value>>,
}

/// Whether a row of a page logs an event that is there (no master-data
/// kind, its event's document read by the join).
fn logs_event(r: &crate::db::Row) -> Result<bool> {
    Ok(r.opt_str("record_kind")?.is_none() && r.opt_str("event_document")?.is_some())
}

/// What the later stages are done with of a page the walk made, back to the
/// walk to be freed: its rows and its events' documents (freeing on the
/// thread that allocated costs less).
pub(super) type Spent = (std::sync::Arc<Vec<crate::db::Row>>, Vec<serde_json::Value>);

/// The pages the leaf walk hands on to be replayed; an empty page ends the log.
type Pages = tokio::sync::mpsc::Sender<RawPage>;
/// Problems [`Store::verify_log`] collects before it stops listing them.
const MAX_PROBLEMS: usize = 100;

/// One thing [`Store::verify_log`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The table holding the wrong value.
    pub table: String,
    /// The row: a leaf index, `level/index` of a node, a checkpoint size, a key id or an event id.
    pub index: String,
    pub field: String,
    pub expected: String,
    pub found: String,
    /// The eventID of the record concerned, when known.
    pub record: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} field {}: expected {}, found {}",
            self.table, self.index, self.field, self.expected, self.found
        )?;
        if let Some(r) = &self.record {
            write!(f, " (record {r})")?;
        }
        Ok(())
    }
}

/// The result of re-deriving the whole log.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub leaves: u64,
    pub nodes: u64,
    pub checkpoints: u64,
    /// Events the replay re-derived.
    pub events_replayed: u64,
    /// Units the replay derived.
    pub units_derived: u64,
    /// The recomputed root, hex.
    pub root: String,
    /// What was found wrong, in the order found (at most 100).
    pub problems: Vec<Mismatch>,
    pub seconds: f64,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The mismatches found so far (the first [`MAX_PROBLEMS`]).
#[derive(Default)]
struct Problems(Vec<Mismatch>);

impl Problems {
    /// Adds what another check found, after what this one found.
    fn absorb(&mut self, other: Problems) {
        let room = MAX_PROBLEMS.saturating_sub(self.0.len());
        self.0.extend(other.0.into_iter().take(room));
    }

    /// Notes that `field` of row `index` of `table` holds `found` where
    /// `expected` was due, for the record named `record`.
    fn add(
        &mut self,
        table: &str,
        index: String,
        field: &str,
        expected: String,
        found: String,
        record: Option<&str>,
    ) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(Mismatch {
                table: table.to_owned(),
                index,
                field: field.to_owned(),
                expected,
                found,
                record: record.map(str::to_owned),
            });
        }
    }
}

impl Store {
    /// Re-derives the whole log from the database, streamed (memory does not
    /// grow with the log): every leaf hash from its row, its record hash
    /// from the event document or master-data row it logs, and its
    /// `event_id` and `created_at` against what that record binds; every
    /// signature against the organisation's key history (refusing records
    /// made after the key's revocation); every node and the root; every
    /// stored checkpoint's signature, root, consistency with the one before
    /// it and link to it, and its witnesses' cosignatures; and rows that
    /// should have a leaf and have none. Writes nothing.
    pub async fn verify_log(&self) -> Result<VerifyReport> {
        self.verify_log_with(VerifyOptions::default()).await
    }

    /// [`Store::verify_log`], run as `options` say.
    pub async fn verify_log_with(&self, options: VerifyOptions) -> Result<VerifyReport> {
        let started = Instant::now();
        let mut problems = Problems::default();
        // The replay reads the log on a connection of its own, on another
        // core, while the leaves, nodes and checkpoints are checked here.
        // The log is read once, by the leaf walk; each page goes on to be
        // prepared (its events read from the documents the walk parsed, their own columns checked, their
        // stored identifier and lineage rows read), then replayed: three
        // stages, each on whichever core is free, three pages in flight
        // between them.
        let (raw, to_prepare) = tokio::sync::mpsc::channel(3);
        let (pages, received) = tokio::sync::mpsc::channel(3);
        // Pages the replay is done with, back to the stages that made them.
        let (spent, spent_pages) = std::sync::mpsc::channel();
        let (spent_rows, walk_spent) = std::sync::mpsc::channel();
        // The stages run on threads of their own (a task woken on a busy
        // worker of the runtime waits for it rather than using the free one).
        let store = self.clone();
        let preparing = tokio::task::spawn_blocking(move || {
            replay::prepare_pages(store, to_prepare, pages, spent_pages, spent_rows)
        });
        let (store, runtime) = (self.clone(), tokio::runtime::Handle::current());
        let registers = tokio::task::spawn_blocking(move || runtime.block_on(store.registers_against_log()));
        let store = self.clone();
        let runtime = tokio::runtime::Handle::current();
        let replaying = tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                let mut problems = Problems::default();
                let mut conn = store.db.conn();
                let replayed =
                    replay::replay(&mut conn, received, &mut problems, options.replay_memory, spent).await;
                (replayed, problems)
            })
        });
        let mut conn = self.db.conn();
        let keys = keys::key_history(&mut conn, &mut problems).await?;
        let checkpoints = checkpoints::CheckpointWalk::start(self, &mut conn, &mut problems).await?;
        let mut walk = leaves::LeafWalk::new(
            keys,
            checkpoints,
            walk_spent,
            options
                .page_size
                .unwrap_or_else(|| verify_page(self.db.backend_name()))
                .max(1),
        );
        walk.check_all(&mut conn, &raw, &mut problems).await?;
        drop(raw);
        let walked = walk.finish(&mut conn, &mut problems).await?;
        coverage::unlogged_events(&mut conn, &walked.earliest, walked.events_found, &mut problems).await?;
        coverage::unlogged_records(&mut conn, &walked.earliest, &mut problems).await?;
        // The registers, checked beside the walk.
        let registers = registers
            .await
            .map_err(|e| crate::StoreError::Corrupt(format!("the register check stopped: {e}")))??;
        let (registers, stored) = registers;
        problems.absorb(registers);
        // Every derived table, re-derived from the log and compared.
        let (replayed, replay_problems) = replaying
            .await
            .map_err(|e| crate::StoreError::Corrupt(format!("the replay stopped: {e}")))?;
        let replayed = replayed?;
        replay::orphans(&mut conn, &replayed.counted, &stored, &mut problems).await?;
        let prepare_problems = preparing
            .await
            .map_err(|e| crate::StoreError::Corrupt(format!("the replay stopped: {e}")))??;
        problems.absorb(prepare_problems);
        problems.absorb(replay_problems);
        Ok(VerifyReport {
            leaves: walked.leaves,
            nodes: walked.nodes,
            checkpoints: walked.checkpoints,
            events_replayed: replayed.events,
            units_derived: replayed.units,
            root: walked.root.to_hex(),
            problems: problems.0,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Every register row against its log: organisations, the registers,
    /// edited master data, recalls' affected sets, batches of readings; and
    /// what needs no replay: events' `corrected_by`, and how many rows
    /// `event_epcs` and `lineage` hold (answered). Checked beside the walk,
    /// on a connection of its own.
    async fn registers_against_log(self) -> Result<(Problems, replay::Counted)> {
        let mut problems = Problems::default();
        let mut conn = self.db.conn();
        replay::corrections(&mut conn, &mut problems).await?;
        let stored = replay::stored_counts(&mut conn).await?;
        // Each organisation is its latest logged state (`org_records`).
        for m in self.organisations_against_log().await? {
            problems.add("organisations", m.org_id, &m.column, m.expected, m.found, None);
        }
        // Every row of the registers is its latest logged state.
        for m in self.rows_against_log().await? {
            problems.add(m.table, m.key, &m.column, m.expected, m.found, None);
        }
        // Every edited place, product, supplier and input is its latest
        // version, and its version 1 the record first logged.
        for m in self.master_rows_against_log().await? {
            problems.add(m.table, m.key, &m.column, m.expected, m.found, None);
        }
        // Every recall's affected set is the one its record binds.
        for (id, expected, found) in self.recalls_against_log().await? {
            problems.add("recall_units", id, "affected_sha256", expected, found, None);
        }
        // Every batch of readings hashes to what its logged record holds.
        for m in self.readings_against_log().await? {
            problems.add(m.table, m.key, &m.column, m.expected, m.found, None);
        }
        Ok((problems, stored))
    }
}
