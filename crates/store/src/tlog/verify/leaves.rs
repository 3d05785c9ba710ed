//! Every leaf of `tlog_leaves`, in log order: its place (no gap), its record
//! hash against the event document or master-data row it logs, its signer
//! (a registered key of its organisation, not revoked when the record was
//! made), its signature (alone, or its batch's once the batch is read), its
//! leaf hash from the row's values, and the tree nodes it completes.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};
use suyuan_ledger::keys::{failed_signatures, Fingerprint, KeyAlgorithm, Signature, VerifyingKey};
use suyuan_ledger::record::{batch_message, batch_tree, signed_message, BatchPosition, LeafData};
use suyuan_ledger::Hash;

use super::checkpoints::CheckpointWalk;
use super::keys::KeyInfo;
use super::records::{bound_by_document, check_bound_columns, check_record, master_rows, Bound, MasterRows};
use super::tree::{self, Frontier, StoredNodes};
use super::{Pages, Problems, RawPage, PAGE_SQL};
use crate::db::{Conn, Row};
use crate::tlog::{batch_of, corrupt, i64_of, ms_to_rfc3339, LOG_HASH};
use crate::{params, Result};

/// A signed batch being read back: its leaves are consecutive, and its one
/// signature is checked when the last is read.
struct BatchCheck {
    first: u64,
    root: Hash,
    size: u32,
    signature: String,
    signer_fingerprint: String,
    record_hashes: Vec<Hash>,
}

/// A leaf row's values, parsed (a value that does not parse is reported by
/// the check that reads it); its texts are borrowed from the row.
pub(super) struct Leaf<'r> {
    pub(super) idx: u64,
    pub(super) event_id: &'r str,
    pub(super) record_hash_text: &'r str,
    record_hash: Option<Hash>,
    signed_hash_text: Option<&'r str>,
    signed_hash: Option<Hash>,
    fp_text: &'r str,
    sig_text: &'r str,
    signature: Option<Signature>,
    batch: std::result::Result<Option<BatchPosition>, String>,
}

impl<'r> Leaf<'r> {
    fn read(r: &'r Row) -> Result<Self> {
        let idx = u64::try_from(r.int("idx")?).map_err(corrupt)?;
        let record_hash_text = r.str("record_hash")?;
        let signed_hash_text = r.opt_str("signed_hash")?;
        let sig_text = r.str("signature")?;
        Ok(Leaf {
            idx,
            event_id: r.str("event_id")?,
            record_hash: Hash::from_hex(record_hash_text).ok(),
            record_hash_text,
            signed_hash: signed_hash_text.and_then(|t| Hash::from_hex(t).ok()),
            signed_hash_text,
            fp_text: r.str("signer_fingerprint")?,
            signature: Signature::from_base64(sig_text).ok(),
            sig_text,
            batch: batch_of(r),
        })
    }

    /// `idx <n>`, the row as problems name it.
    pub(super) fn at(&self) -> String {
        format!("idx {}", self.idx)
    }

    pub(super) fn ev(&self) -> Option<&str> {
        Some(self.event_id)
    }

    /// What a leaf signed alone is signed over: its signed hash (a detached
    /// signature) or its record hash.
    fn message_hash(&self) -> Option<Hash> {
        if self.signed_hash_text.is_some() {
            self.signed_hash
        } else {
            self.record_hash
        }
    }
}

/// The walk over the leaves: the key history, the tree rebuilt so far,
/// the stored nodes of the page being read, the batch being read and the
/// checkpoints met on the way.
pub(super) struct LeafWalk {
    /// Leaves read per query.
    page: i64,
    keys: HashMap<String, KeyInfo>,
    tree: Frontier,
    page_nodes: StoredNodes,
    nodes_read: u64,
    expected_idx: u64,
    batching: Option<BatchCheck>,
    checkpoints: CheckpointWalk,
    earliest: Earliest,
    /// Leaves whose event is there (each a different event).
    events_found: u64,
    /// Pages the later stages are done with, freed here where they were made.
    spent: std::sync::mpsc::Receiver<super::Spent>,
}

/// Signatures of a page verified on two cores from this many.
const SPLIT_SIGNATURES: usize = 256;

/// The earliest time, as the records bind it, of the logged events (`None`)
/// and of the logged records of each master-data kind.
pub(super) type Earliest = HashMap<Option<&'static str>, i64>;

/// What the walk found: the tree's size and root, the stored nodes and
/// checkpoints it read.
pub(super) struct Walked {
    pub leaves: u64,
    pub root: Hash,
    pub nodes: u64,
    pub checkpoints: u64,
    pub earliest: Earliest,
    /// Leaves whose event is there.
    pub events_found: u64,
}

impl LeafWalk {
    pub(super) fn new(
        keys: HashMap<String, KeyInfo>,
        checkpoints: CheckpointWalk,
        spent: std::sync::mpsc::Receiver<super::Spent>,
        page: i64,
    ) -> Self {
        LeafWalk {
            page,
            keys,
            tree: Frontier::new(),
            page_nodes: StoredNodes::new(),
            nodes_read: 0,
            expected_idx: 0,
            batching: None,
            checkpoints,
            earliest: Earliest::new(),
            events_found: 0,
            spent,
        }
    }

    /// Reads the leaves page by page, with their event documents and the
    /// stored nodes they complete, and checks each.
    /// Each page read is also handed to the replay (`pages`), which reads
    /// the log through it rather than a second time.
    pub(super) async fn check_all(
        &mut self,
        conn: &mut Conn<'_>,
        pages: &Pages,
        problems: &mut Problems,
    ) -> Result<()> {
        self.checkpoints.check_due(conn, &self.tree, problems).await?;
        loop {
            while let Ok(done) = self.spent.try_recv() {
                drop(done);
            }
            let rows = conn
                .fetch_all(PAGE_SQL, &params![i64_of(self.expected_idx)?, self.page])
                .await?;
            let rows = Arc::new(rows);
            let docs = documents(&rows)?;
            // What each event's record hash binds, read before the documents
            // go on to the replay.
            let bounds: Vec<Option<Bound>> = docs.iter().map(|d| d.as_ref().map(bound_by_document)).collect();
            // A replay that stopped (its error is reported) takes no more.
            let _ = pages
                .send(RawPage {
                    rows: rows.clone(),
                    docs,
                })
                .await;
            if rows.is_empty() {
                return Ok(());
            }
            self.page_nodes = tree::nodes_of_page(conn, self.tree.size(), rows.len() as u64).await?;
            self.nodes_read += self.page_nodes.len() as u64;
            let leaves = rows.iter().map(Leaf::read).collect::<Result<Vec<_>>>()?;
            let forged = self.forged_signatures(&leaves);
            let masters = master_rows(conn, &rows).await?;
            for ((r, leaf), bound) in rows.iter().zip(leaves).zip(bounds) {
                self.check_leaf(conn, r, (leaf, bound), &forged, &masters, problems)
                    .await?;
            }
        }
    }

    /// The leaves of a page signed alone whose signature does not verify
    /// (by index), their signatures verified together in one batch (one
    /// multi-scalar multiplication for Ed25519) before the leaves are
    /// checked one by one.
    fn forged_signatures(&self, leaves: &[Leaf<'_>]) -> HashSet<u64> {
        let mut pending = Vec::new();
        for leaf in leaves {
            let single = matches!(leaf.batch, Ok(None) | Err(_));
            let key = self.keys.get(leaf.fp_text).and_then(|i| i.key.as_ref());
            if let (true, Some(signature), Some(hash), Some(key)) =
                (single, leaf.signature, leaf.message_hash(), key)
            {
                pending.push((leaf.idx, signed_message(LOG_HASH, &hash), signature, key));
            }
        }
        let items: Vec<(&[u8], &Signature, &VerifyingKey)> =
            pending.iter().map(|(_, m, s, k)| (m.as_slice(), s, *k)).collect();
        // Many records signed one by one (master data registered one at a
        // time): half of them verified on another core, which the later
        // stages leave idle while the walk reads them.
        let failed = failed_signatures(&items, SPLIT_SIGNATURES);
        failed
            .iter()
            .filter_map(|&i| pending.get(i))
            .map(|p| p.0)
            .collect()
    }

    async fn check_leaf(
        &mut self,
        conn: &mut Conn<'_>,
        r: &Row,
        (leaf, bound): (Leaf<'_>, Option<Bound>),
        forged: &HashSet<u64>,
        masters: &MasterRows,
        problems: &mut Problems,
    ) -> Result<()> {
        self.check_place(&leaf, problems);
        check_record_hash_text(&leaf, problems);
        let bound = check_record(conn, &leaf, r, bound, masters, problems).await?;
        if bound.kind.is_none() && bound.name.is_some() {
            self.events_found += 1;
        }
        check_signed_hash_text(&leaf, problems);
        let info = self.keys.get(leaf.fp_text);
        check_signer(&leaf, info, r, bound.time, problems)?;
        check_bound_columns(&leaf, r, &bound, problems)?;
        if let (Some(_), Some(time)) = (&bound.name, bound.time) {
            let first = self.earliest.entry(bound.kind).or_insert(time);
            *first = time.min(*first);
        }
        let batch = check_batch_text(&leaf, problems);
        check_batch(&mut self.batching, &leaf, batch.as_ref(), info, problems)?;
        check_signature(&leaf, batch.as_ref(), info, forged, problems);
        let leaf_hash = check_leaf_hash(&leaf, batch, info, r, problems)?;
        tree::push_leaf(
            &mut self.tree,
            &mut self.page_nodes,
            leaf_hash,
            problems,
            leaf.ev(),
        );
        if self.checkpoints.due(self.tree.size()) {
            self.checkpoints.check_due(conn, &self.tree, problems).await?;
        }
        Ok(())
    }

    /// The leaf is the next one: a gap is a deleted leaf.
    fn check_place(&mut self, leaf: &Leaf<'_>, problems: &mut Problems) {
        let idx = leaf.idx;
        if idx != self.expected_idx {
            problems.add(
                "tlog_leaves",
                format!("idx {}", self.expected_idx),
                "idx",
                format!("leaf {}", self.expected_idx),
                format!("no such row; the next leaf is {idx} (a leaf was deleted)"),
                leaf.ev(),
            );
        }
        self.expected_idx = idx + 1;
    }

    /// Ends the walk: a batch the log ends inside, stored nodes beyond the
    /// tree and checkpoints beyond it are reported.
    pub(super) async fn finish(mut self, conn: &mut Conn<'_>, problems: &mut Problems) -> Result<Walked> {
        if let Some(b) = self.batching.take() {
            problems.add(
                "tlog_leaves",
                format!("idx {}", b.first),
                "batch_size",
                format!("{} consecutive leaves in the batch", b.size),
                format!("{} (the log ends)", b.record_hashes.len()),
                None,
            );
        }
        let size = self.tree.size();
        let extra = tree::extra_nodes(conn, size, problems).await?;
        let checkpoints = self.checkpoints.finish(conn, size, problems).await?;
        Ok(Walked {
            leaves: size,
            root: self.tree.root(),
            nodes: self.nodes_read + extra,
            checkpoints,
            earliest: self.earliest,
            events_found: self.events_found,
        })
    }
}

/// The event documents of a page, parsed: for each row that logs an event
/// (no master-data kind, its event there), its document as JSON (`None`
/// for any other row, or a document that is not JSON: reported by the
/// checks that read it).
fn documents(rows: &[Row]) -> Result<Vec<Option<serde_json::Value>>> {
    rows.iter()
        .map(|r| {
            Ok(if super::logs_event(r)? {
                serde_json::from_str(r.str("event_document")?).ok()
            } else {
                None
            })
        })
        .collect()
}

fn check_record_hash_text(leaf: &Leaf<'_>, problems: &mut Problems) {
    if leaf.record_hash.is_none() {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "record_hash",
            "64 hex digits".into(),
            leaf.record_hash_text.to_owned(),
            leaf.ev(),
        );
    }
}

/// A detached signature (leaf version 2) covers its signed hash: 64 hex digits.
fn check_signed_hash_text(leaf: &Leaf<'_>, problems: &mut Problems) {
    if let (Some(text), None) = (&leaf.signed_hash_text, leaf.signed_hash) {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "signed_hash",
            "64 hex digits".into(),
            (*text).to_owned(),
            leaf.ev(),
        );
    }
}

/// The signer is a registered key of the leaf's organisation, not revoked
/// when the record was made (`made`, as its record hash binds it: the
/// leaf's own `created_at` is not read; unknown when the record is missing,
/// which is reported).
fn check_signer(
    leaf: &Leaf<'_>,
    info: Option<&KeyInfo>,
    r: &Row,
    made: Option<i64>,
    problems: &mut Problems,
) -> Result<()> {
    let Some(info) = info else {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "signer_fingerprint",
            "the fingerprint of a registered key".into(),
            leaf.fp_text.to_owned(),
            leaf.ev(),
        );
        return Ok(());
    };
    let leaf_org = r.text("org_id")?;
    if info.org_id != leaf_org {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "org_id",
            info.org_id.clone(),
            leaf_org,
            leaf.ev(),
        );
    }
    if let (Some(revoked), Some(made)) = (info.revoked_at, made) {
        if made > revoked {
            problems.add(
                "tlog_leaves",
                leaf.at(),
                "recordTime",
                format!(
                    "at most {} (key {} revoked)",
                    ms_to_rfc3339(revoked),
                    leaf.fp_text
                ),
                ms_to_rfc3339(made),
                leaf.ev(),
            );
        }
    }
    Ok(())
}

/// The batch columns: none, or a position inside a batch of two or more.
fn check_batch_text(leaf: &Leaf<'_>, problems: &mut Problems) -> Option<BatchPosition> {
    match &leaf.batch {
        Ok(b) => *b,
        Err(found) => {
            problems.add(
                "tlog_leaves",
                leaf.at(),
                "batch_root",
                "no batch, or a position inside a batch of two or more".into(),
                found.clone(),
                leaf.ev(),
            );
            None
        }
    }
}

/// A batch-signed leaf: its batch's one signature is checked once the
/// batch's last leaf is read. A batch whose leaves stop before its size is
/// reported at the leaf that breaks it.
fn check_batch(
    batching: &mut Option<BatchCheck>,
    leaf: &Leaf<'_>,
    batch: Option<&BatchPosition>,
    info: Option<&KeyInfo>,
    problems: &mut Problems,
) -> Result<()> {
    let continues = |b: &BatchCheck| {
        batch.is_some_and(|position| {
            b.root == position.root
                && b.size == position.size
                && b.record_hashes.len() == position.index as usize
        })
    };
    if let Some(b) = batching.take_if(|b| !continues(b)) {
        problems.add(
            "tlog_leaves",
            format!("idx {}", b.first),
            "batch_size",
            format!("{} consecutive leaves in the batch", b.size),
            format!(
                "{} (the next leaf, {}, is not of the batch)",
                b.record_hashes.len(),
                leaf.idx
            ),
            leaf.ev(),
        );
    }
    let Some(position) = batch else {
        return Ok(());
    };
    if batching.is_none() {
        if position.index != 0 {
            problems.add(
                "tlog_leaves",
                leaf.at(),
                "batch_index",
                "0 (the first leaf of a batch) or the next of the batch before".into(),
                position.index.to_string(),
                leaf.ev(),
            );
        }
        *batching = Some(BatchCheck {
            first: leaf.idx,
            root: position.root,
            size: position.size,
            signature: leaf.sig_text.to_owned(),
            signer_fingerprint: leaf.fp_text.to_owned(),
            record_hashes: Vec::with_capacity(position.size as usize),
        });
    }
    let Some(b) = batching.as_mut() else {
        return Ok(());
    };
    if b.signature != leaf.sig_text || b.signer_fingerprint != leaf.fp_text {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "signature",
            format!(
                "the signature of its batch (leaf {}) by key {}",
                b.first, b.signer_fingerprint
            ),
            format!("{} by key {}", leaf.sig_text, leaf.fp_text),
            leaf.ev(),
        );
    }
    b.record_hashes.push(leaf.record_hash.unwrap_or(Hash([0; 32])));
    if b.record_hashes.len() == b.size as usize {
        let b = batching.take().ok_or_else(|| corrupt("batch vanished"))?;
        check_batch_signature(&b, info, leaf.ev(), problems);
    }
    Ok(())
}

/// A batch read to its end: its record hashes lead to its root, and its one
/// signature verifies over the root.
fn check_batch_signature(b: &BatchCheck, info: Option<&KeyInfo>, ev: Option<&str>, problems: &mut Problems) {
    let root = batch_tree(LOG_HASH, &b.record_hashes).root();
    if root != b.root {
        problems.add(
            "tlog_leaves",
            format!("idx {}", b.first),
            "batch_root",
            root.to_hex(),
            format!(
                "{} (the batch's record hashes do not lead to it)",
                b.root.to_hex()
            ),
            ev,
        );
    }
    let valid = match (
        Signature::from_base64(&b.signature),
        info.and_then(|i| i.key.as_ref()),
    ) {
        (Ok(sig), Some(key)) => key
            .verify(&batch_message(LOG_HASH, &b.root, b.size), &sig)
            .is_ok(),
        // Unreadable or unknown: reported above.
        _ => true,
    };
    if !valid {
        problems.add(
            "tlog_leaves",
            format!("idx {}", b.first),
            "signature",
            format!(
                "a valid signature of the batch root by key {}",
                b.signer_fingerprint
            ),
            b.signature.clone(),
            ev,
        );
    }
}

/// A leaf signed alone: its signature verifies over its signed hash (a
/// detached signature) or its record hash (`forged`: the page's leaves
/// whose signature does not, verified together beforehand).
fn check_signature(
    leaf: &Leaf<'_>,
    batch: Option<&BatchPosition>,
    info: Option<&KeyInfo>,
    forged: &HashSet<u64>,
    problems: &mut Problems,
) {
    let key = info.and_then(|i| i.key.as_ref());
    match (
        leaf.signature,
        leaf.message_hash(),
        key.filter(|_| batch.is_none()),
    ) {
        (None, _, _) => problems.add(
            "tlog_leaves",
            leaf.at(),
            "signature",
            "base64 of 64 bytes".into(),
            leaf.sig_text.to_owned(),
            leaf.ev(),
        ),
        (Some(_), Some(_), Some(_)) if forged.contains(&leaf.idx) => {
            problems.add(
                "tlog_leaves",
                leaf.at(),
                "signature",
                format!("a valid signature by key {}", leaf.fp_text),
                leaf.sig_text.to_owned(),
                leaf.ev(),
            );
        }
        _ => {}
    }
}

/// The leaf hash, from the row's values, against the stored one. Answers
/// the recomputed hash (the tree is rebuilt from it).
fn check_leaf_hash(
    leaf: &Leaf<'_>,
    batch: Option<BatchPosition>,
    info: Option<&KeyInfo>,
    r: &Row,
    problems: &mut Problems,
) -> Result<Hash> {
    let leaf_hash = match (
        leaf.record_hash,
        leaf.signature,
        Fingerprint::from_hex(leaf.fp_text),
    ) {
        (Some(rh), Some(sig), Some(fp)) if leaf.signed_hash.is_some() == leaf.signed_hash_text.is_some() => {
            LeafData {
                key_algorithm: info
                    .and_then(|i| i.key.as_ref())
                    .map_or(KeyAlgorithm::Ed25519, VerifyingKey::algorithm),
                record_hash: rh,
                signer: fp,
                signature: sig,
                signed_hash: leaf.signed_hash,
                batch,
            }
            .leaf_hash(LOG_HASH)
        }
        // Unreadable fields (reported above): hash the stored leaf hash's
        // text so that the tree still advances.
        _ => LOG_HASH.digest(r.text("leaf_hash")?.as_bytes()),
    };
    let stored_leaf = r.text("leaf_hash")?;
    if !leaf_hash.is_hex(&stored_leaf) {
        problems.add(
            "tlog_leaves",
            leaf.at(),
            "leaf_hash",
            leaf_hash.to_hex(),
            stored_leaf,
            leaf.ev(),
        );
    }
    Ok(leaf_hash)
}
