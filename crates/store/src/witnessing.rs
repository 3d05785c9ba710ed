//! The log's side of witnessing (C2SP tlog-witness, tlog-cosignature): the
//! witnesses this platform asks to cosign its checkpoints and the k of them
//! that make a checkpoint final, the size each witness last cosigned (so the
//! next request carries the right consistency proof), and the cosignature
//! lines they returned, kept per checkpoint and appended to the note
//! wherever the checkpoint is served (`GET /tlog/checkpoint`, proof
//! bundles). Talking to witnesses over the network is the server's job.
//! `verify` checks every kept cosignature again, over its checkpoint with
//! its witness's key, and names one left of a deleted checkpoint
//! ([`crate::tlog::verify`]).

use std::collections::BTreeMap;

use suyuan_ledger::cosignature::{Cosignature, Quorum};
use suyuan_ledger::note::{Note, VerifierKey};

use crate::tlog::StoredCheckpoint;
use crate::{now_ms, params, Result, Store, StoreError};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn i64_of(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(corrupt)
}

impl Store {
    /// Sets the witnesses (k of n) this server asks and names in proof
    /// bundles; registers new ones with size 0 (they have cosigned nothing).
    pub async fn configure_witnesses(&self, witnesses: &[(VerifierKey, String)], k: usize) -> Result<()> {
        for (vkey, url) in witnesses {
            self.db
                .conn()
                .execute(
                    "INSERT INTO tlog_witnesses (vkey, url, size, last_error, updated_at) VALUES ($1,$2,0,NULL,$3) \
                     ON CONFLICT (vkey) DO UPDATE SET url = excluded.url",
                    &params![vkey.to_string(), url.as_str(), now_ms()],
                )
                .await?;
        }
        let policy = Quorum {
            witnesses: witnesses.iter().map(|(v, _)| v.clone()).collect(),
            k,
        };
        *self
            .witness_policy
            .write()
            .map_err(|_| corrupt("witness policy lock"))? = policy;
        Ok(())
    }

    /// The configured witness policy (no witnesses, k = 0, by default).
    pub fn witness_policy(&self) -> Quorum {
        self.witness_policy.read().map(|q| q.clone()).unwrap_or_default()
    }

    /// The size `vkey` last cosigned, as far as the log knows.
    pub async fn witness_size(&self, vkey: &VerifierKey) -> Result<u64> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT size FROM tlog_witnesses WHERE vkey = $1",
                &params![vkey.to_string()],
            )
            .await?;
        match row {
            Some(r) => u64::try_from(r.int("size")?).map_err(corrupt),
            None => Ok(0),
        }
    }

    /// What a witness answered: the size it has cosigned (from a 409, or
    /// after a cosignature) and the error, if the round failed.
    pub async fn record_witness_state(
        &self,
        vkey: &VerifierKey,
        size: u64,
        error: Option<&str>,
    ) -> Result<()> {
        self.db
            .conn()
            .execute(
                "UPDATE tlog_witnesses SET size = $1, last_error = $2, updated_at = $3 WHERE vkey = $4",
                &params![i64_of(size)?, error, now_ms(), vkey.to_string()],
            )
            .await?;
        Ok(())
    }

    /// Keeps a witness's cosignature of checkpoint `cp`, after checking it
    /// is a valid cosignature by `vkey` of exactly that checkpoint.
    pub async fn add_cosignature(&self, cp: &StoredCheckpoint, vkey: &VerifierKey, line: &str) -> Result<()> {
        let cosignature = Cosignature::parse(line.trim()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let note = Note::parse(&cp.note).map_err(corrupt)?;
        cosignature
            .verify(vkey, note.text())
            .map_err(|e| StoreError::Corrupt(format!("cosignature from {}: {e}", vkey.name())))?;
        self.db
            .conn()
            .execute(
                "INSERT INTO tlog_cosignatures (size, vkey, line, created_at) VALUES ($1,$2,$3,$4) \
                 ON CONFLICT (size, vkey) DO NOTHING",
                // When the witness says it cosigned (in the signed line).
                &params![
                    i64_of(cp.size)?,
                    vkey.to_string(),
                    line.trim(),
                    cosignature_time(&cosignature)?
                ],
            )
            .await?;
        self.record_witness_state(vkey, cp.size, None).await
    }

    /// The checkpoint's note with every cosignature kept for it.
    pub async fn cosigned_note(&self, cp: &StoredCheckpoint) -> Result<String> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT line FROM tlog_cosignatures WHERE size = $1 ORDER BY vkey",
                &params![i64_of(cp.size)?],
            )
            .await?;
        let mut note = cp.note.clone();
        for r in rows {
            note.push_str(&r.text("line")?);
            note.push('\n');
        }
        Ok(note)
    }

    /// The newest checkpoint covering leaf `index` that k of the configured
    /// witnesses cosigned (final), if there is one.
    pub(crate) async fn final_checkpoint_covering(&self, index: u64) -> Result<Option<StoredCheckpoint>> {
        let policy = self.witness_policy();
        if policy.k == 0 {
            return Ok(None);
        }
        let wanted: Vec<String> = policy.witnesses.iter().map(ToString::to_string).collect();
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT c.size, c.root, c.note, s.vkey FROM tlog_checkpoints c \
                 JOIN tlog_cosignatures s ON s.size = c.size WHERE c.size > $1 ORDER BY c.size DESC LIMIT 1000",
                &params![i64_of(index)?],
            )
            .await?;
        let mut by_size: BTreeMap<u64, (StoredCheckpoint, Vec<String>)> = BTreeMap::new();
        for r in &rows {
            let size = u64::try_from(r.int("size")?).map_err(corrupt)?;
            let entry = by_size.entry(size).or_insert_with(|| {
                (
                    StoredCheckpoint {
                        size,
                        root: r.text("root").unwrap_or_default(),
                        note: r.text("note").unwrap_or_default(),
                    },
                    Vec::new(),
                )
            });
            let vkey = r.text("vkey")?;
            if wanted.contains(&vkey) && !entry.1.contains(&vkey) {
                entry.1.push(vkey);
            }
        }
        Ok(by_size
            .into_values()
            .rev()
            .find(|(_, signed)| signed.len() >= policy.k)
            .map(|(cp, _)| cp))
    }
}

/// When a cosignature says it was made, in milliseconds (what
/// `tlog_cosignatures.created_at` holds).
pub(crate) fn cosignature_time(c: &Cosignature) -> Result<i64> {
    i64::try_from(c.timestamp)
        .ok()
        .and_then(|t| t.checked_mul(1000))
        .ok_or_else(|| StoreError::Corrupt("cosignature timestamp out of range".into()))
}
