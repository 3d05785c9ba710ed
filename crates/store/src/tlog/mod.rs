//! The transparency log's storage (issue: tamper evidence).
//!
//! Every captured EPCIS event becomes a leaf of the Merkle tree of
//! `suyuan-ledger`, appended inside the capture's transaction (master-data
//! records too, inside their insert's: [`crate::master_log`]):
//!
//! - **record hash**: SHA-256 of the stored `events.document` text (UTF-8
//!   bytes, exactly as stored, with its `eventID` and `recordTime`). The
//!   document hash is used for every event, also when the eventID is a CBV 2.0
//!   hash: it covers every stored field and can be re-derived from the row,
//!   so `verify` catches an edited event document;
//! - **signature**: a detached signature the client made itself and capture
//!   checked ([`crate::detached`]; a version-2 leaf that also binds the
//!   signed CBV 2.0 event hash, kept in `signed_hash`), otherwise the
//!   organisation's active platform-held key
//!   ([`Store::ensure_org_key`](crate::Store::ensure_org_key) creates an Ed25519 key on first use;
//!   [`Store::rotate_org_key`](crate::Store::rotate_org_key) makes an Ed25519 or SM2-with-SM3 one) signs the
//!   capture's records once, over the Merkle root of their record hashes
//!   (`SignedRecord::sign_batch`: version-3 leaves that keep their place in
//!   the batch in `batch_root`, `batch_index`, `batch_size`; a record signed
//!   alone, as master data is, is a version-1 leaf);
//! - **leaf and nodes**: the leaf's hash and the perfect-subtree rows
//!   of `merkle::append_nodes`, written to `tlog_leaves` and `tlog_nodes`.
//!   On PostgreSQL a transaction-scoped advisory lock serialises appends
//!   across processes; SQLite serialises writers itself. So the log has one
//!   order and no gaps.
//!
//! **What binds a leaf's own columns.** The leaf hash covers the record
//! hash, signer, signature and batch position, not the row's `event_id`
//! (the record's name) nor `created_at` (when it was made). Both are bound
//! through the record hash instead, with no new leaf version: an event's
//! document carries its `eventID` and `recordTime`, a master-data record's
//! canonical form its `id` (the name is `<kind>:<id>`) and `created_at`.
//! [`Store::verify_log`](crate::Store::verify_log) checks both columns of every leaf against those
//! values and names a leaf whose columns differ; and whatever it judges by a
//! leaf's time reads the bound value, never the column: key revocation (a
//! record made after its key was revoked) and since when events and each
//! kind of master data are logged (rows without a leaf). Leaves keep their
//! versions and hashes; one exception: the log's very first version (schema
//! version 3, which migration 4 replaced the same day) wrote the append
//! time, not the `recordTime`, into `created_at`, so `verify` names the
//! leaves it wrote; their times would be set from the documents.
//!
//! Checkpoints are C2SP signed notes by the log key kept in `tlog_config`
//! (private half encrypted with the store's cipher, so that several servers
//! share it). Each names the checkpoint stored before it in an extension
//! line, `previous <size>` (checkpoints are made one at a time, so the links
//! form one chain; those made before the line existed carry none). So
//! `verify`, which checks every stored checkpoint's signature, root and
//! consistency with the one before it (a consistency proof recomputed from
//! the stored nodes), names a deleted checkpoint row by the next one's link
//! or by the witnesses' cosignatures left of it (`tlog_cosignatures`, each
//! verified over its checkpoint with the witness's key, by a witness of
//! `tlog_witnesses`). What it cannot see in the database alone: the newest
//! checkpoint deleted together with its cosignatures (nothing later names
//! it); the witnesses, who remember the largest size they cosigned, and
//! whoever holds a proof bundle against it, still do.
//!
//! [`Store::verify_log`](crate::Store::verify_log) re-derives the whole log from the rows, streamed:
//! memory does not grow with the number of records.
//!
//! The code, by what it does:
//!
//! - [`keys`]: organisation keys (ensure, register, rotate, revoke) and the
//!   key capture signs with;
//! - [`append`]: signing captured records and appending leaves and their
//!   Merkle nodes;
//! - [`checkpoints`]: the log key, signed and chained checkpoints, and
//!   consistency proofs (the witnesses' side: [`crate::witnessing`]);
//! - [`proofs`]: offline proof bundles of events and master-data records;
//! - [`verify`]: [`Store::verify_log`](crate::Store::verify_log), one function per check, and its
//!   report (run on a schedule by [`crate::integrity`]).

use std::fmt;

use suyuan_ledger::record::BatchPosition;
use suyuan_ledger::{Hash, HashAlg};

use crate::db::Row;
use crate::{Result, StoreError};

pub mod append;
pub mod checkpoints;
pub mod keys;
pub mod proofs;
pub mod verify;

pub(crate) use append::NewLeaf;
pub use checkpoints::{ConsistencyProof, StoredCheckpoint};
pub use keys::OrgKey;
pub use verify::{Mismatch, VerifyOptions, VerifyReport};

/// The log's origin (the name of its checkpoint key).
pub const LOG_ORIGIN: &str = "suyuan.local/log";
/// The log's hash algorithm.
pub const LOG_HASH: HashAlg = HashAlg::Sha256;
/// PostgreSQL advisory lock serialising appends.
pub(crate) const APPEND_LOCK: i64 = 7_263_540_002;

fn corrupt(e: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn i64_of(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(corrupt)
}

/// A leaf row's place in its signed batch (`None` for a leaf signed alone).
fn batch_of(row: &Row) -> std::result::Result<Option<BatchPosition>, String> {
    match (
        row.opt_text("batch_root").map_err(|e| e.to_string())?,
        row.opt_int("batch_index").map_err(|e| e.to_string())?,
        row.opt_int("batch_size").map_err(|e| e.to_string())?,
    ) {
        (None, None, None) => Ok(None),
        (Some(root), Some(index), Some(size)) => {
            let position = BatchPosition {
                root: Hash::from_hex(&root).map_err(|_| format!("batch root {root}"))?,
                index: u32::try_from(index).map_err(|_| format!("batch index {index}"))?,
                size: u32::try_from(size).map_err(|_| format!("batch size {size}"))?,
            };
            if position.size < 2 || position.index >= position.size {
                return Err(format!("batch position {index} of {size}"));
            }
            Ok(Some(position))
        }
        (root, index, size) => Err(format!(
            "batch root {root:?}, index {index:?}, size {size:?}: all or none"
        )),
    }
}
