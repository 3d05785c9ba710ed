//! Proof bundles: everything an offline verifier needs to check that one
//! logged record (an event, or a master-data record named `<kind>:<id>`) is
//! in the log, signed by its organisation: the record and leaf hashes, the
//! signer's public key and signature, the inclusion proof (and, for a
//! batch-signed record, its proof in the batch) and a checkpoint covering it
//! with the witnesses' cosignatures.

use suyuan_ledger::bundle::ProofBundle;
use suyuan_ledger::keys::{Signature, VerifyingKey};
use suyuan_ledger::merkle;
use suyuan_ledger::note::Note;
use suyuan_ledger::record::{batch_tree, SignedRecord};
use suyuan_ledger::Hash;
use uuid::Uuid;

use super::append::fetch_nodes;
use super::{batch_of, corrupt, i64_of, LOG_HASH};
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::{params, Result, Store, StoreError};

impl Store {
    /// The offline proof bundle of a logged event (the first leaf with this
    /// eventID: the event itself, not a later error declaration), against a
    /// checkpoint covering it. Public: it carries only hashes, the signer's
    /// public key and signatures, never the event.
    pub async fn proof_bundle(&self, event_id: &str) -> Result<ProofBundle> {
        let leaf = self.event_leaf(event_id).await?;
        self.bundle_of(&leaf, false).await
    }

    /// Like [`Store::proof_bundle`], against the latest stored checkpoint
    /// when it covers the event (a new one only when none does yet): for
    /// checks made on every view of a public page, which must not sign a
    /// checkpoint each time the log grew.
    pub async fn proof_bundle_at_latest(&self, event_id: &str) -> Result<ProofBundle> {
        let leaf = self.event_leaf(event_id).await?;
        self.bundle_of(&leaf, true).await
    }

    /// The leaf row of an event (with its signer's `public_key`).
    async fn event_leaf(&self, event_id: &str) -> Result<Row> {
        // Through the event's row: leaves are found by their row (a
        // sequential key), so the log keeps no index of random eventIDs.
        self.db
            .conn()
            .fetch_optional(
                "SELECT l.*, k.public_key FROM events e JOIN tlog_leaves l ON l.event_pk = e.id \
                 LEFT JOIN org_keys k ON k.key_id = l.signer_fingerprint \
                 WHERE e.event_key = $1 AND e.event_id = $2 AND l.record_kind IS NULL ORDER BY l.idx LIMIT 1",
                &params![crate::trace::event_key(event_id), event_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "logged event" })
    }

    /// The offline proof bundle of a logged master-data record, named
    /// `<kind>:<id>` (e.g. `place:0190…`). Public like [`Store::proof_bundle`].
    pub async fn record_proof_bundle(&self, name: &str) -> Result<ProofBundle> {
        let not_found = StoreError::NotFound {
            what: "logged record",
        };
        let Some((kind, id)) = name.split_once(':') else {
            return Err(not_found);
        };
        let (Some(kind), Ok(id)) = (RecordKind::parse(kind), Uuid::parse_str(id)) else {
            return Err(not_found);
        };
        let leaf = self
            .db
            .conn()
            .fetch_optional(
                "SELECT l.*, k.public_key FROM tlog_leaves l LEFT JOIN org_keys k ON k.key_id = l.signer_fingerprint \
                 WHERE l.event_pk = $1 AND l.record_kind = $2",
                &params![id, kind.as_str()],
            )
            .await?
            .ok_or(not_found)?;
        self.bundle_of(&leaf, false).await
    }

    /// The bundle of a leaf row (with its signer's `public_key`); with
    /// `reuse_latest`, against the latest stored checkpoint if it covers
    /// the leaf.
    async fn bundle_of(&self, leaf: &Row, reuse_latest: bool) -> Result<ProofBundle> {
        let index = u64::try_from(leaf.int("idx")?).map_err(corrupt)?;
        // A final (witnessed) checkpoint when there is one; otherwise the
        // newest, made after the leaf was committed, so it covers it (with
        // the cosignatures it has so far: a verifier applying the quorum
        // refuses it until enough witnesses cosigned).
        let latest = if reuse_latest {
            self.latest_checkpoint().await?.filter(|cp| cp.size > index)
        } else {
            None
        };
        let cp = match (self.final_checkpoint_covering(index).await?, latest) {
            (Some(cp), _) | (None, Some(cp)) => cp,
            (None, None) => self.checkpoint().await?,
        };
        let signer = VerifyingKey::parse(
            &leaf
                .opt_text("public_key")?
                .ok_or_else(|| StoreError::Corrupt("the signer's key is not registered".into()))?,
        )
        .map_err(corrupt)?;
        let record = SignedRecord {
            record_hash: Hash::from_hex(&leaf.text("record_hash")?).map_err(corrupt)?,
            signed_hash: leaf
                .opt_text("signed_hash")?
                .map(|h| Hash::from_hex(&h))
                .transpose()
                .map_err(corrupt)?,
            signer,
            signature: Signature::from_base64(&leaf.text("signature")?).map_err(corrupt)?,
            batch: batch_of(leaf).map_err(corrupt)?,
        };
        let mut tx = self.db.begin().await?;
        let ids = merkle::inclusion_proof_nodes(index, cp.size).map_err(corrupt)?;
        let nodes = fetch_nodes(&mut tx, &ids).await?;
        let proof = merkle::inclusion_proof(LOG_HASH, index, cp.size, &nodes).map_err(corrupt)?;
        let note = Note::parse(&self.cosigned_note(&cp).await?).map_err(corrupt)?;
        let quorum = self.witness_policy();
        let bundle =
            ProofBundle::build(LOG_HASH, &record, None, index, proof, &note, &quorum).map_err(corrupt)?;
        let Some(batch) = record.batch else {
            return Ok(bundle);
        };
        // A batch-signed record's place in its batch, from the batch's record
        // hashes (its leaves are consecutive in the log).
        let start = index
            .checked_sub(u64::from(batch.index))
            .ok_or_else(|| corrupt("batch index beyond the leaf's"))?;
        let hashes = tx
            .fetch_all(
                "SELECT record_hash FROM tlog_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &params![i64_of(start)?, i64_of(start + u64::from(batch.size))?],
            )
            .await?
            .iter()
            .map(|r| Hash::from_hex(&r.text("record_hash")?).map_err(corrupt))
            .collect::<Result<Vec<Hash>>>()?;
        let proof = batch_tree(LOG_HASH, &hashes)
            .inclusion_proof(u64::from(batch.index), u64::from(batch.size))
            .map_err(corrupt)?;
        Ok(bundle.with_batch_proof(proof))
    }
}
