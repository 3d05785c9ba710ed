//! Appending to the log: `Store::sign_events` signs a capture's records
//! (one signature per batch), `Store::log_events` and
//! `Store::append_leaves` write the leaves to `tlog_leaves` and the new
//! perfect-subtree hashes (the Merkle nodes) to `tlog_nodes`, inside the
//! capture's transaction. Also the node and size reads the other parts share.

use std::collections::HashMap;

use suyuan_ledger::merkle::{self, NodeId};
use suyuan_ledger::record::SignedRecord;
use suyuan_ledger::Hash;
use uuid::Uuid;

use super::{corrupt, i64_of, LOG_HASH};
use crate::db::{Tx, Val};
use crate::detached::DetachedSignature;
use crate::{Result, Store};

/// A leaf to append: the row it logs (`pk`, its name: an eventID or
/// `<kind>:<id>` for a master-data record), the key that signed, the signed
/// record and its time.
pub(crate) struct NewLeaf<'a> {
    pub pk: &'a str,
    pub name: &'a str,
    /// `None` for an event; the master-data kind otherwise.
    pub record_kind: Option<&'static str>,
    pub key_id: &'a str,
    pub record: &'a SignedRecord,
    pub created_at: i64,
}

/// The queries reading the `(level, idx)` rows of `tlog_nodes` for `ids`
/// (`level`, `idx`, `hash`), with their parameters.
pub(super) fn nodes_queries(ids: &[NodeId]) -> Result<Vec<(String, Vec<Val>)>> {
    let mut out = Vec::with_capacity(ids.len().div_ceil(200));
    for chunk in ids.chunks(200) {
        let mut conds = Vec::with_capacity(chunk.len());
        let mut ps: Vec<Val> = Vec::with_capacity(chunk.len() * 2);
        for id in chunk {
            ps.push(i64::from(id.level).into());
            ps.push(i64_of(id.index)?.into());
            conds.push(format!("(level = ${} AND idx = ${})", ps.len() - 1, ps.len()));
        }
        let sql = format!(
            "SELECT level, idx, hash FROM tlog_nodes WHERE {}",
            conds.join(" OR ")
        );
        out.push((sql, ps));
    }
    Ok(out)
}

/// `(level, idx)` rows of `tlog_nodes` for `ids`, as a node source.
pub(super) async fn fetch_nodes(tx: &mut Tx, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
    let mut out = HashMap::new();
    for (sql, ps) in nodes_queries(ids)? {
        for r in tx.fetch_all(&sql, &ps).await? {
            let id = NodeId::new(
                u8::try_from(r.int("level")?).map_err(corrupt)?,
                u64::try_from(r.int("idx")?).map_err(corrupt)?,
            );
            out.insert(id, Hash::from_hex(&r.text("hash")?).map_err(corrupt)?);
        }
    }
    Ok(out)
}

/// The log's size, as `n`.
pub(super) const LOG_SIZE_SQL: &str = "SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM tlog_leaves";

pub(super) async fn log_size(tx: &mut Tx) -> Result<u64> {
    let row = tx.fetch_optional(LOG_SIZE_SQL, &[]).await?;
    let n = match row {
        Some(r) => r.int("n")?,
        None => 0,
    };
    u64::try_from(n).map_err(corrupt)
}

impl Store {
    /// Signs the records of captured events, in order. Each record is the
    /// hash of its stored document and, when the client signed it, the
    /// checked detached signature (a version-2 leaf). The organisation's
    /// platform-held key signs each run of the others once, over the Merkle
    /// root of their record hashes (version-3 leaves; a run of one is a
    /// version-1 leaf): a capture of thousands of events costs one signature.
    pub(crate) async fn sign_events(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        records: &[(Hash, Option<&DetachedSignature>)],
    ) -> Result<Vec<(String, SignedRecord)>> {
        let platform = if records.iter().any(|(_, detached)| detached.is_none()) {
            let (key, row) = self.signing_key(tx, org_id).await?;
            Some((key, row.text("key_id")?))
        } else {
            None
        };
        let mut signed = Vec::with_capacity(records.len());
        let mut run: Vec<Hash> = Vec::new();
        let end_run = |run: &mut Vec<Hash>, signed: &mut Vec<(String, SignedRecord)>| -> Result<()> {
            if run.is_empty() {
                return Ok(());
            }
            let (key, key_id) = platform.as_ref().ok_or_else(|| corrupt("no key to sign with"))?;
            let batch = SignedRecord::sign_batch(LOG_HASH, key, run).map_err(corrupt)?;
            signed.extend(batch.into_iter().map(|r| (key_id.clone(), r)));
            run.clear();
            Ok(())
        };
        for (record_hash, detached) in records {
            match detached {
                None => run.push(*record_hash),
                Some(d) => {
                    end_run(&mut run, &mut signed)?;
                    signed.push((d.key_id.clone(), (*d).clone().record(*record_hash)));
                }
            }
        }
        end_run(&mut run, &mut signed)?;
        Ok(signed)
    }

    /// Appends the signed records of captured events (eventID, row id,
    /// recordTime in ms: the leaf's time), as [`Store::sign_events`] made
    /// them, to the transparency log inside the capture's transaction.
    pub(crate) async fn log_events(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        events: &[(&str, &str, i64)],
        records: &[(String, SignedRecord)],
    ) -> Result<()> {
        // The caller (capture) holds the log's append lock on PostgreSQL
        // since the start of its transaction; SQLite serialises writers.
        if records.len() != events.len() {
            return Err(corrupt("signed records and events differ in number"));
        }
        let leaves: Vec<NewLeaf<'_>> = events
            .iter()
            .zip(records)
            .map(|((event_id, pk, record_time), (key_id, record))| NewLeaf {
                pk,
                name: event_id,
                record_kind: None,
                key_id,
                record,
                created_at: *record_time,
            })
            .collect();
        self.append_leaves(tx, org_id, &leaves).await
    }

    /// Appends signed leaves, in order, at the end of the log: one size
    /// query, one frontier query, multi-row inserts of the leaves and their
    /// Merkle nodes. The caller holds the append lock (PostgreSQL).
    pub(crate) async fn append_leaves(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        leaves: &[NewLeaf<'_>],
    ) -> Result<()> {
        if leaves.is_empty() {
            return Ok(());
        }
        let leaf_hashes: Vec<Hash> = leaves.iter().map(|l| l.record.leaf_hash(LOG_HASH)).collect();
        let size = log_size(tx).await?;
        let frontier = fetch_nodes(tx, &merkle::root_nodes(size)).await?;
        let nodes = merkle::append_nodes_batch(LOG_HASH, size, &leaf_hashes, &frontier).map_err(corrupt)?;
        let org: Val = org_id.into();
        let mut values: Vec<Val> = Vec::with_capacity(leaves.len() * 14);
        for (i, leaf) in leaves.iter().enumerate() {
            let batch = leaf.record.batch.as_ref();
            values.extend([
                i64_of(size + i as u64)?.into(),
                leaf.pk.into(),
                leaf.name.into(),
                org.clone(),
                leaf.record.record_hash.to_hex().into(),
                leaf.key_id.into(),
                leaf.record.signature.to_base64().into(),
                leaf.record.signed_hash.map(|h| h.to_hex()).into(),
                leaf_hashes[i].to_hex().into(),
                leaf.created_at.into(),
                leaf.record_kind.into(),
                batch.map(|b| b.root.to_hex()).into(),
                batch.map(|b| i64::from(b.index)).into(),
                batch.map(|b| i64::from(b.size)).into(),
            ]);
        }
        tx.insert_rows(
            "INSERT INTO tlog_leaves (idx, event_pk, event_id, org_id, record_hash, signer_fingerprint, \
             signature, signed_hash, leaf_hash, created_at, record_kind, batch_root, batch_index, batch_size)",
            14,
            &values,
            "",
        )
        .await?;
        let mut values: Vec<Val> = Vec::with_capacity(nodes.len() * 3);
        for (level, idx, hash) in nodes {
            values.extend([i64::from(level).into(), i64_of(idx)?.into(), hash.to_hex().into()]);
        }
        tx.insert_rows("INSERT INTO tlog_nodes (level, idx, hash)", 3, &values, "")
            .await?;
        Ok(())
    }

    /// Number of leaves in the log.
    pub async fn tlog_size(&self) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        log_size(&mut tx).await
    }
}
