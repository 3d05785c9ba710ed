//! Every stored checkpoint, met as the rebuilt tree reaches its size: a
//! note signed by the log key (`tlog_config`) whose size and root are the
//! row's and the tree's; consistent with the checkpoint stored before it (a
//! consistency proof recomputed from the stored nodes, as
//! `GET /tlog/consistency` serves it); naming that checkpoint as its
//! predecessor (extension line `previous <size>`), so that a deleted row is
//! named; and every cosignature of it (`tlog_cosignatures`) by a witness the
//! log asked (`tlog_witnesses`) verifying over it with the witness's key. A
//! cosignature whose checkpoint row is gone names that row too.
//!
//! Streamed: checkpoints and their cosignatures are read a page at a time.

use std::collections::{BTreeMap, HashSet, VecDeque};

use suyuan_ledger::checkpoint::{Checkpoint, SignedCheckpoint, TrustedLog};
use suyuan_ledger::cosignature::Cosignature;
use suyuan_ledger::merkle;
use suyuan_ledger::note::VerifierKey;
use suyuan_ledger::Hash;

use super::tree::{self, Frontier};
use super::Problems;
use crate::db::Conn;
use crate::tlog::append::LOG_SIZE_SQL;
use crate::tlog::checkpoints::{extension, previous_size, COSIGNED, TIME};
use crate::tlog::LOG_HASH;
use crate::{params, Result, Store};

/// Checkpoints read per query.
const CHECKPOINT_PAGE: i64 = 500;

/// A stored checkpoint (`row`: its root and note) with its cosignatures
/// (`vkey`, `line`); `row` is `None` when only cosignatures of the size remain.
struct CheckpointRow {
    size: i64,
    row: Option<(String, String)>,
    /// `created_at` of the row.
    created_at: i64,
    /// (vkey, line, created_at).
    cosignatures: Vec<(String, String, i64)>,
}

/// The walk over the stored checkpoints, in order of size.
pub(super) struct CheckpointWalk {
    trusted: Option<TrustedLog>,
    /// The witnesses the log asks (`tlog_witnesses.vkey`).
    witnesses: HashSet<String>,
    page: VecDeque<CheckpointRow>,
    /// Every size up to this one has been read.
    read_to: i64,
    done: bool,
    /// The size of the row met last.
    previous_row: Option<i64>,
    /// The size and root of the last checkpoint whose note opened.
    previous: Option<(u64, Hash)>,
    /// How many cosignatures the row met last has.
    previous_cosigned: usize,
    /// The last size reported as a deleted row (reported once).
    missing: Option<i64>,
    count: u64,
}

impl CheckpointWalk {
    /// Reads the log key, the witnesses and the first page.
    pub(super) async fn start(store: &Store, conn: &mut Conn<'_>, problems: &mut Problems) -> Result<Self> {
        let witnesses = conn
            .fetch_all("SELECT vkey FROM tlog_witnesses", &[])
            .await?
            .iter()
            .map(|r| r.text("vkey"))
            .collect::<Result<HashSet<String>>>()?;
        let mut walk = CheckpointWalk {
            trusted: None,
            witnesses,
            page: VecDeque::new(),
            read_to: i64::MIN,
            done: false,
            previous_row: None,
            previous_cosigned: 0,
            previous: None,
            missing: None,
            count: 0,
        };
        walk.read_page(conn).await?;
        let stored = walk.page.iter().any(|c| c.row.is_some());
        walk.trusted = store.trusted_log_as_stored(stored, problems).await?;
        Ok(walk)
    }

    /// The next page of checkpoints, with the cosignatures of their sizes
    /// (and of sizes between them that have no row).
    async fn read_page(&mut self, conn: &mut Conn<'_>) -> Result<()> {
        let rows = conn
            .fetch_all(
                "SELECT size, root, note, created_at FROM tlog_checkpoints WHERE size > $1 ORDER BY size LIMIT $2",
                &params![self.read_to, CHECKPOINT_PAGE],
            )
            .await?;
        self.done = (rows.len() as i64) < CHECKPOINT_PAGE;
        let upto = match rows.last() {
            Some(last) if !self.done => last.int("size")?,
            _ => i64::MAX,
        };
        let mut sizes: BTreeMap<i64, CheckpointRow> = BTreeMap::new();
        for r in &rows {
            let size = r.int("size")?;
            let row = Some((r.text("root")?, r.text("note")?));
            sizes.insert(
                size,
                CheckpointRow {
                    size,
                    row,
                    created_at: r.int("created_at")?,
                    cosignatures: Vec::new(),
                },
            );
        }
        let cosignatures = conn
            .fetch_all(
                "SELECT size, vkey, line, created_at FROM tlog_cosignatures WHERE size > $1 AND size <= $2 \
                 ORDER BY size, vkey",
                &params![self.read_to, upto],
            )
            .await?;
        for r in &cosignatures {
            let size = r.int("size")?;
            sizes
                .entry(size)
                .or_insert_with(|| CheckpointRow {
                    size,
                    row: None,
                    created_at: 0,
                    cosignatures: Vec::new(),
                })
                .cosignatures
                .push((r.text("vkey")?, r.text("line")?, r.int("created_at")?));
        }
        self.page.extend(sizes.into_values());
        self.read_to = upto;
        Ok(())
    }

    /// Whether a checkpoint waits at or below tree size `size`.
    pub(super) fn due(&self, size: u64) -> bool {
        self.page
            .front()
            .is_some_and(|c| c.size <= i64::try_from(size).unwrap_or(i64::MAX))
    }

    /// Checks the checkpoints at or below the tree's size: against the
    /// tree when they are of its size (one met below it was stored while
    /// `verify` ran past its size: its root is not compared).
    pub(super) async fn check_due(
        &mut self,
        conn: &mut Conn<'_>,
        tree: &Frontier,
        problems: &mut Problems,
    ) -> Result<()> {
        while self.due(tree.size()) {
            let Some(cp) = self.page.pop_front() else { break };
            if self.page.is_empty() && !self.done {
                self.read_page(conn).await?;
            }
            let at_tree = i64::try_from(tree.size()).ok() == Some(cp.size);
            self.check(conn, cp, at_tree.then(|| tree.root()), problems)
                .await?;
        }
        Ok(())
    }

    /// Ends the walk at the tree's final size: a checkpoint beyond it is
    /// reported, unless the log grew to its size while `verify` ran.
    /// Answers how many checkpoints are stored.
    pub(super) async fn finish(
        mut self,
        conn: &mut Conn<'_>,
        size: u64,
        problems: &mut Problems,
    ) -> Result<u64> {
        let grown = conn
            .fetch_optional(LOG_SIZE_SQL, &[])
            .await?
            .map(|r| r.int("n"))
            .transpose()?
            .unwrap_or(0);
        loop {
            let Some(cp) = self.page.pop_front() else {
                if self.done {
                    return Ok(self.count);
                }
                self.read_page(conn).await?;
                continue;
            };
            if cp.row.is_some() && cp.size <= grown {
                // Made while verify ran.
                self.count += 1;
                continue;
            }
            if cp.row.is_some() {
                problems.add(
                    "tlog_checkpoints",
                    format!("size {}", cp.size),
                    "size",
                    format!("a size of at most {size} (the log's)"),
                    cp.size.to_string(),
                    None,
                );
            }
            self.check(conn, cp, None, problems).await?;
        }
    }

    /// One checkpoint row (`root`: the tree's root at its size, when the
    /// tree is there).
    async fn check(
        &mut self,
        conn: &mut Conn<'_>,
        cp: CheckpointRow,
        root: Option<Hash>,
        problems: &mut Problems,
    ) -> Result<()> {
        let at = format!("size {}", cp.size);
        let Some((stored_root, note)) = &cp.row else {
            for (vkey, _, _) in &cp.cosignatures {
                problems.add(
                    "tlog_cosignatures",
                    format!("size {} vkey {vkey}", cp.size),
                    "size",
                    "the size of a stored checkpoint".into(),
                    format!("{}, which no checkpoint has", cp.size),
                    None,
                );
            }
            self.report_missing(
                cp.size,
                "that its witnesses cosigned (tlog_cosignatures)",
                problems,
            );
            return Ok(());
        };
        self.count += 1;
        let Some(trusted) = &self.trusted else {
            return Ok(());
        };
        let opened = match SignedCheckpoint::open(note, trusted) {
            Ok(c) => c,
            Err(e) => {
                problems.add(
                    "tlog_checkpoints",
                    at,
                    "note",
                    "a note signed by the log key".into(),
                    e.to_string(),
                    None,
                );
                self.previous_row = Some(cp.size);
                return Ok(());
            }
        };
        let body = &opened.checkpoint;
        check_columns(&at, cp.size, stored_root, body, root, problems);
        self.check_link(&at, body, problems);
        self.check_stated(&at, body, cp.created_at, problems);
        self.check_consistency(conn, &at, body, problems).await?;
        for (vkey, line, created_at) in &cp.cosignatures {
            self.check_cosignature(cp.size, vkey, line, opened.note.text(), problems);
            check_cosignature_time(cp.size, vkey, line, *created_at, problems);
        }
        self.previous_row = Some(cp.size);
        self.previous_cosigned = cp.cosignatures.len();
        self.previous = Some((body.size, body.root));
        Ok(())
    }

    /// What the note states besides its link: when it was made (which
    /// `created_at` repeats), and how many witnesses had cosigned the
    /// checkpoint before it (at least that many cosignatures remain).
    fn check_stated(&self, at: &str, body: &Checkpoint, created_at: i64, problems: &mut Problems) {
        match extension(body, TIME) {
            Some(Ok(t)) if i64::try_from(t).ok() != Some(created_at) => problems.add(
                "tlog_checkpoints",
                at.to_owned(),
                "created_at",
                format!("{t} (the note's time line)"),
                created_at.to_string(),
                None,
            ),
            Some(Err(line)) => problems.add(
                "tlog_checkpoints",
                at.to_owned(),
                "note",
                "an extension line time <ms>".into(),
                line,
                None,
            ),
            _ => {}
        }
        // Only about the checkpoint it links to (a deleted one is named by the link).
        let linked = previous_size(body)
            .and_then(|p| p.ok())
            .and_then(|p| i64::try_from(p).ok());
        if let (Some(Ok(n)), Some(prev)) = (
            extension(body, COSIGNED),
            self.previous_row.filter(|p| Some(*p) == linked),
        ) {
            if (self.previous_cosigned as u64) < n {
                problems.add(
                    "tlog_cosignatures",
                    format!("size {prev}"),
                    "size",
                    format!(
                        "{n} cosignatures of the checkpoint of size {prev} (the checkpoint of {at} says so)"
                    ),
                    format!("{} (deleted?)", self.previous_cosigned),
                    None,
                );
            }
        }
    }

    /// Names the row of `size` as deleted (once).
    fn report_missing(&mut self, size: i64, named_by: &str, problems: &mut Problems) {
        if self.missing == Some(size) {
            return;
        }
        self.missing = Some(size);
        problems.add(
            "tlog_checkpoints",
            format!("size {size}"),
            "size",
            format!("the checkpoint of size {size} {named_by}"),
            "no such row (deleted?)".into(),
            None,
        );
    }

    /// The checkpoint names as its predecessor the row met before it.
    fn check_link(&mut self, at: &str, body: &Checkpoint, problems: &mut Problems) {
        let named = match previous_size(body) {
            None => return,
            Some(Ok(named)) => i64::try_from(named).unwrap_or(i64::MAX),
            Some(Err(line)) => {
                problems.add(
                    "tlog_checkpoints",
                    at.to_owned(),
                    "note",
                    "an extension line previous <size>".into(),
                    line,
                    None,
                );
                return;
            }
        };
        match self.previous_row {
            Some(met) if met == named => {}
            Some(met) if met > named => problems.add(
                "tlog_checkpoints",
                at.to_owned(),
                "note",
                format!("previous {met} (the checkpoint stored before it)"),
                format!("previous {named}"),
                None,
            ),
            _ => self.report_missing(
                named,
                &format!("that the checkpoint of {at} names as the one before it"),
                problems,
            ),
        }
    }

    /// The consistency proof from the last checkpoint that opened to this
    /// one, recomputed from the stored nodes, verifies between their roots.
    async fn check_consistency(
        &self,
        conn: &mut Conn<'_>,
        at: &str,
        body: &Checkpoint,
        problems: &mut Problems,
    ) -> Result<()> {
        let Some((old, old_root)) = self.previous.filter(|(old, _)| *old <= body.size) else {
            return Ok(());
        };
        let outcome = match tree::stored_consistency_proof(conn, old, body.size).await? {
            Ok(proof) => merkle::verify_consistency(LOG_HASH, old, body.size, &old_root, &body.root, &proof)
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("no proof from the stored nodes: {e}")),
        };
        if let Err(e) = outcome {
            problems.add(
                "tlog_checkpoints",
                at.to_owned(),
                "root",
                format!(
                    "a tree consistent with the checkpoint of size {old} (root {})",
                    old_root.to_hex()
                ),
                format!("{} ({e})", body.root.to_hex()),
                None,
            );
        }
        Ok(())
    }

    /// A cosignature row: by a witness the log asks, and valid over the
    /// checkpoint with the witness's key.
    fn check_cosignature(&self, size: i64, vkey: &str, line: &str, text: &str, problems: &mut Problems) {
        let at = format!("size {size} vkey {vkey}");
        if !self.witnesses.contains(vkey) {
            problems.add(
                "tlog_cosignatures",
                at.clone(),
                "vkey",
                "a witness the log asks (tlog_witnesses)".into(),
                vkey.to_owned(),
                None,
            );
        }
        let checked = VerifierKey::parse(vkey)
            .map_err(|e| ("vkey", "a C2SP witness vkey".to_owned(), e.to_string()))
            .and_then(|key| {
                let expected = format!("a cosignature by {} of the checkpoint of size {size}", key.name());
                Cosignature::parse(line)
                    .and_then(|c| c.verify(&key, text))
                    .map_err(|e| ("line", expected, format!("{line} ({e})")))
            });
        if let Err((field, expected, found)) = checked {
            problems.add("tlog_cosignatures", at, field, expected, found, None);
        }
    }
}

/// A cosignature's `created_at` is the time its signed line states.
fn check_cosignature_time(size: i64, vkey: &str, line: &str, created_at: i64, problems: &mut Problems) {
    let Ok(c) = Cosignature::parse(line) else {
        return; // reported by the signature check
    };
    if let Ok(t) = crate::witnessing::cosignature_time(&c) {
        if t != created_at {
            problems.add(
                "tlog_cosignatures",
                format!("size {size} vkey {vkey}"),
                "created_at",
                format!("{t} (the time its line states)"),
                created_at.to_string(),
                None,
            );
        }
    }
}

/// The row's size and root columns are the note's, and the note's root is
/// the rebuilt tree's at its size (`tree_root`, when the tree is there).
fn check_columns(
    at: &str,
    size: i64,
    stored_root: &str,
    body: &Checkpoint,
    tree_root: Option<Hash>,
    problems: &mut Problems,
) {
    if i64::try_from(body.size).ok() != Some(size) {
        problems.add(
            "tlog_checkpoints",
            at.to_owned(),
            "size",
            body.size.to_string(),
            size.to_string(),
            None,
        );
        return;
    }
    if stored_root != body.root.to_hex() {
        problems.add(
            "tlog_checkpoints",
            at.to_owned(),
            "root",
            body.root.to_hex(),
            stored_root.to_owned(),
            None,
        );
    }
    match tree_root {
        Some(root) if root != body.root => problems.add(
            "tlog_checkpoints",
            at.to_owned(),
            "note",
            format!("root {} of the first {} leaves", root.to_hex(), body.size),
            body.root.to_hex(),
            None,
        ),
        _ => {}
    }
}

impl Store {
    /// The log key as `tlog_config` holds it; a key that does not parse, or
    /// none while checkpoints are stored, is reported.
    async fn trusted_log_as_stored(
        &self,
        checkpoints_stored: bool,
        problems: &mut Problems,
    ) -> Result<Option<TrustedLog>> {
        Ok(match self.log_config().await? {
            Some(r) => match VerifierKey::parse(&r.text("vkey")?) {
                Ok(k) => Some(TrustedLog::new(k, LOG_HASH)),
                Err(e) => {
                    problems.add(
                        "tlog_config",
                        "log".into(),
                        "vkey",
                        "a C2SP vkey".into(),
                        e.to_string(),
                        None,
                    );
                    None
                }
            },
            None => {
                if checkpoints_stored {
                    problems.add(
                        "tlog_config",
                        "log".into(),
                        "id",
                        "the log key".into(),
                        "no such row".into(),
                        None,
                    );
                }
                None
            }
        })
    }
}
