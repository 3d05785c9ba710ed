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
//!   ([`Store::ensure_org_key`] creates an Ed25519 key on first use;
//!   [`Store::rotate_org_key`] makes an Ed25519 or SM2-with-SM3 one) signs the
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
//! A leaf's `created_at` is the event's `recordTime`; `verify` judges a
//! signature against key revocation by the `recordTime` inside the signed
//! document, which the record hash covers.
//!
//! Checkpoints are C2SP signed notes by the log key kept in `tlog_config`
//! (private half encrypted with the store's cipher, so that several servers
//! share it). [`Store::verify_log`] re-derives the whole log from the rows.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use serde::Serialize;
use suyuan_core::Invalid;
use suyuan_ledger::bundle::ProofBundle;
use suyuan_ledger::checkpoint::{Checkpoint, SignedCheckpoint, TrustedLog};
use suyuan_ledger::keys::{KeyAlgorithm, Signature, SigningKey, VerifyingKey};
use suyuan_ledger::merkle::{self, MemoryTree, NodeId};
use suyuan_ledger::note::{Note, NoteSigner, VerifierKey};
use suyuan_ledger::record::{
    batch_message, batch_tree, signed_message, BatchPosition, LeafData, SignedRecord,
};
use suyuan_ledger::{Hash, HashAlg};
use uuid::Uuid;

use crate::db::{Row, Tx, Val};
use crate::detached::DetachedSignature;
use crate::master_log::RecordKind;
use crate::{now_ms, params, Caller, Result, Store, StoreError};

/// The log's origin (the name of its checkpoint key).
pub const LOG_ORIGIN: &str = "suyuan.local/log";
/// The log's hash algorithm.
pub const LOG_HASH: HashAlg = HashAlg::Sha256;
/// PostgreSQL advisory lock serialising appends.
pub(crate) const APPEND_LOCK: i64 = 7_263_540_002;
/// Leaves read per query by [`Store::verify_log`].
const VERIFY_PAGE: i64 = 5000;
/// Problems [`Store::verify_log`] collects before it stops listing them.
const MAX_PROBLEMS: usize = 100;

fn corrupt(e: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// One of an organisation's public keys.
#[derive(Debug, Clone, Serialize)]
pub struct OrgKey {
    /// The key's fingerprint, hex: SHA-256 of `public_key`.
    pub key_id: String,
    pub org_id: Uuid,
    pub algorithm: String,
    /// `ed25519:<base64>` or `sm2:<hex>`.
    pub public_key: String,
    /// True when the platform holds the private key (and signs with it).
    pub platform_held: bool,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl OrgKey {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(OrgKey {
            key_id: r.text("key_id")?,
            org_id: r.uuid("org_id")?,
            algorithm: r.text("algorithm")?,
            public_key: r.text("public_key")?,
            platform_held: r.opt_text("private_key_cipher")?.is_some(),
            created_at: ms_to_rfc3339(r.int("created_at")?),
            revoked_at: r.opt_int("revoked_at")?.map(ms_to_rfc3339),
        })
    }
}

/// A stored signed checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCheckpoint {
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The C2SP signed note.
    pub note: String,
}

impl StoredCheckpoint {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(StoredCheckpoint {
            size: u64::try_from(r.int("size")?).map_err(corrupt)?,
            root: r.text("root")?,
            note: r.text("note")?,
        })
    }
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    /// Hashes, hex (RFC 9162 section 2.1.4.1).
    pub proof: Vec<String>,
}

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

struct KeyInfo {
    key: Option<VerifyingKey>,
    org_id: String,
    revoked_at: Option<i64>,
}

/// `(level, idx)` rows of `tlog_nodes` for `ids`, as a node source.
async fn fetch_nodes(tx: &mut Tx, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(200) {
        let mut conds = Vec::with_capacity(chunk.len());
        let mut ps: Vec<Val> = Vec::with_capacity(chunk.len() * 2);
        for id in chunk {
            ps.push(i64::from(id.level).into());
            ps.push(i64::try_from(id.index).map_err(corrupt)?.into());
            conds.push(format!("(level = ${} AND idx = ${})", ps.len() - 1, ps.len()));
        }
        let sql = format!(
            "SELECT level, idx, hash FROM tlog_nodes WHERE {}",
            conds.join(" OR ")
        );
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

async fn log_size(tx: &mut Tx) -> Result<u64> {
    let row = tx
        .fetch_optional("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM tlog_leaves", &[])
        .await?;
    let n = match row {
        Some(r) => r.int("n")?,
        None => 0,
    };
    u64::try_from(n).map_err(corrupt)
}

/// The `recordTime` of a stored event document, in ms.
fn record_time_of(document: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Times {
        #[serde(rename = "recordTime")]
        record_time: Option<String>,
    }
    let times: Times = serde_json::from_str(document).ok()?;
    chrono::DateTime::parse_from_rfc3339(&times.record_time?)
        .ok()
        .map(|t| t.timestamp_millis())
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

/// A signed batch being read back by [`Store::verify_log`]: its leaves are
/// consecutive, and its one signature is checked when the last is read.
struct BatchCheck {
    first: u64,
    root: Hash,
    size: u32,
    signature: String,
    signer_fingerprint: String,
    record_hashes: Vec<Hash>,
}

fn i64_of(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(corrupt)
}

/// Creates a platform-held key of `algorithm` for `org_id`.
async fn insert_platform_key(
    store: &Store,
    tx: &mut Tx,
    org_id: Uuid,
    algorithm: KeyAlgorithm,
) -> Result<(SigningKey, Row)> {
    let key = SigningKey::generate(algorithm, &mut rand::rngs::OsRng).map_err(corrupt)?;
    let public = key.verifying_key();
    let key_id = public.fingerprint().to_hex();
    let sealed = store.cipher.encrypt(&key.to_secret_string())?;
    tx.execute(
        "INSERT INTO org_keys (key_id, org_id, algorithm, public_key, private_key_cipher, created_at, revoked_at) \
         VALUES ($1,$2,$3,$4,$5,$6,NULL)",
        &params![
            key_id.as_str(),
            org_id,
            public.algorithm().name(),
            public.to_string(),
            sealed,
            now_ms()
        ],
    )
    .await?;
    let row = tx
        .fetch_optional(
            "SELECT * FROM org_keys WHERE key_id = $1",
            &params![key_id.as_str()],
        )
        .await?
        .ok_or(StoreError::NotFound { what: "key" })?;
    Ok((key, row))
}

impl Store {
    /// The organisation's active platform-held signing key, created on first
    /// use. Refused when the organisation keeps its own (external) key and
    /// the platform holds none.
    pub(crate) async fn signing_key(&self, tx: &mut Tx, org_id: Uuid) -> Result<(SigningKey, Row)> {
        let rows = tx
            .fetch_all(
                "SELECT * FROM org_keys WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
                &params![org_id],
            )
            .await?;
        if let Some(row) = rows
            .iter()
            .find(|r| matches!(r.opt_text("private_key_cipher"), Ok(Some(_))))
        {
            let secret = self.cipher.decrypt(&row.text("private_key_cipher")?)?;
            let key = SigningKey::from_secret_string(&secret).map_err(corrupt)?;
            return Ok((key, row.clone()));
        }
        if !rows.is_empty() {
            return Err(StoreError::forbidden(
                "org_key_external",
                "your organisation signs with its own key, which the platform does not hold; send your signature with each record, or rotate to a platform-held key",
                "贵机构使用自持密钥签名，平台不持有该私钥；请随每条记录提交签名，或轮换为平台托管密钥",
            ));
        }
        insert_platform_key(self, tx, org_id, KeyAlgorithm::Ed25519).await
    }

    /// The organisation's active platform-held key, created (Ed25519) on first use.
    pub async fn ensure_org_key(&self, org_id: Uuid) -> Result<OrgKey> {
        let mut tx = self.db.begin().await?;
        let (_, row) = self.signing_key(&mut tx, org_id).await?;
        tx.commit().await?;
        OrgKey::from_row(&row)
    }

    /// Every key of the caller's organisation, newest first.
    pub async fn org_keys(&self, caller: &Caller) -> Result<Vec<OrgKey>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT * FROM org_keys WHERE org_id = $1 ORDER BY created_at DESC, key_id",
                &params![caller.org_id],
            )
            .await?;
        rows.iter().map(OrgKey::from_row).collect()
    }

    /// Registers a public key the organisation keeps itself (e.g. on a UKey):
    /// `ed25519:<base64>` or `sm2:<hex>`. Organisation admins only.
    pub async fn register_org_key(&self, caller: &Caller, public_key: &str) -> Result<OrgKey> {
        caller.require_org_admin()?;
        // Keys sign what others rely on: verified organisations only.
        caller.require_verified_recorder()?;
        let key = VerifyingKey::parse(public_key.trim()).map_err(|e| {
            StoreError::invalid(
                "public_key",
                Invalid::new(
                    "public_key_invalid",
                    format!("not a public key in canonical form: {e}"),
                    format!("公钥格式不正确：{e}"),
                ),
            )
        })?;
        let key_id = key.fingerprint().to_hex();
        self.db
            .conn()
            .execute(
                "INSERT INTO org_keys (key_id, org_id, algorithm, public_key, private_key_cipher, created_at, revoked_at) \
                 VALUES ($1,$2,$3,$4,NULL,$5,NULL)",
                &params![key_id.as_str(), caller.org_id, key.algorithm().name(), key.to_string(), now_ms()],
            )
            .await
            .map_err(|e| e.on_duplicate("public_key", "this key is already registered", "该公钥已登记"))?;
        self.org_key(caller, &key_id).await
    }

    async fn org_key(&self, caller: &Caller, key_id: &str) -> Result<OrgKey> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT * FROM org_keys WHERE key_id = $1 AND org_id = $2",
                &params![key_id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "key" })?;
        OrgKey::from_row(&row)
    }

    /// Revokes every active key of the caller's organisation and creates a
    /// new platform-held key: `algorithm` is `ed25519` (the default) or
    /// `sm2` (SM2 with SM3). Organisation admins only.
    pub async fn rotate_org_key(&self, caller: &Caller, algorithm: Option<&str>) -> Result<OrgKey> {
        caller.require_org_admin()?;
        // Keys sign what others rely on: verified organisations only.
        caller.require_verified_recorder()?;
        let algorithm = match algorithm.map(str::trim) {
            None | Some("ed25519") => KeyAlgorithm::Ed25519,
            Some("sm2") => KeyAlgorithm::Sm2,
            Some(other) => {
                return Err(StoreError::invalid(
                    "algorithm",
                    Invalid::new(
                        "key_algorithm_unknown",
                        format!("unknown key algorithm {other:?}; allowed: ed25519, sm2"),
                        format!("未知的密钥算法“{other}”，允许：ed25519、sm2"),
                    ),
                ))
            }
        };
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE org_keys SET revoked_at = $1 WHERE org_id = $2 AND revoked_at IS NULL",
            &params![now_ms(), caller.org_id],
        )
        .await?;
        let (_, row) = insert_platform_key(self, &mut tx, caller.org_id, algorithm).await?;
        tx.commit().await?;
        OrgKey::from_row(&row)
    }

    /// Revokes one key of the caller's organisation: records signed with it
    /// after now are refused. Organisation admins only.
    pub async fn revoke_org_key(&self, caller: &Caller, key_id: &str) -> Result<OrgKey> {
        caller.require_org_admin()?;
        let current = self.org_key(caller, key_id).await?;
        if current.revoked_at.is_some() {
            return Err(StoreError::conflict(
                "key_revoked",
                None,
                "this key is already revoked",
                "该密钥已被吊销",
            ));
        }
        self.db
            .conn()
            .execute(
                "UPDATE org_keys SET revoked_at = $1 WHERE key_id = $2 AND org_id = $3 AND revoked_at IS NULL",
                &params![now_ms(), key_id, caller.org_id],
            )
            .await?;
        self.org_key(caller, key_id).await
    }

    // ----- the log key -----

    async fn log_config(&self) -> Result<Option<Row>> {
        self.db
            .conn()
            .fetch_optional("SELECT * FROM tlog_config WHERE id = $1", &params!["log"])
            .await
    }

    /// The log's checkpoint signer, generated once and kept in `tlog_config`.
    async fn log_signer(&self) -> Result<NoteSigner> {
        let row = match self.log_config().await? {
            Some(r) => r,
            None => {
                let signer = NoteSigner::generate(LOG_ORIGIN, &mut rand::rngs::OsRng).map_err(corrupt)?;
                let sealed = self.cipher.encrypt(&signer.to_private_string())?;
                self.db
                    .conn()
                    .execute(
                        "INSERT INTO tlog_config (id, origin, hash_alg, vkey, private_key_cipher, created_at) \
                         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (id) DO NOTHING",
                        &params![
                            "log",
                            LOG_ORIGIN,
                            LOG_HASH.name(),
                            signer.verifier().to_string(),
                            sealed,
                            now_ms()
                        ],
                    )
                    .await?;
                self.log_config()
                    .await?
                    .ok_or(StoreError::NotFound { what: "log key" })?
            }
        };
        let secret = self.cipher.decrypt(&row.text("private_key_cipher")?)?;
        NoteSigner::parse(&secret).map_err(corrupt)
    }

    /// The log's public checkpoint key (a C2SP vkey), created on first use.
    pub async fn log_vkey(&self) -> Result<String> {
        Ok(self.log_signer().await?.verifier().to_string())
    }

    /// What verifiers trust: the log key and hash algorithm.
    pub async fn trusted_log(&self) -> Result<TrustedLog> {
        Ok(TrustedLog::new(self.log_signer().await?.verifier(), LOG_HASH))
    }

    // ----- appending -----

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

    // ----- checkpoints and proofs -----

    /// The latest stored checkpoint, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        self.db
            .conn()
            .fetch_optional("SELECT * FROM tlog_checkpoints ORDER BY size DESC LIMIT 1", &[])
            .await?
            .as_ref()
            .map(StoredCheckpoint::from_row)
            .transpose()
    }

    /// Signs the current size and root with the log key (a C2SP signed note)
    /// and stores it; answers the latest checkpoint when the log did not grow.
    pub async fn checkpoint(&self) -> Result<StoredCheckpoint> {
        let signer = self.log_signer().await?;
        let (size, root) = {
            // Reads only: dropped (rolled back) before the write below.
            let mut tx = self.db.begin().await?;
            let size = log_size(&mut tx).await?;
            if let Some(latest) = self.latest_checkpoint().await? {
                if latest.size >= size {
                    return Ok(latest);
                }
            }
            let nodes = fetch_nodes(&mut tx, &merkle::root_nodes(size)).await?;
            (size, merkle::root(LOG_HASH, size, &nodes).map_err(corrupt)?)
        };
        let note = Checkpoint::new(LOG_ORIGIN, size, root)
            .map_err(corrupt)?
            .sign(&signer)
            .map_err(corrupt)?;
        let mut conn = self.db.conn();
        conn.execute(
            "INSERT INTO tlog_checkpoints (size, root, note, created_at) VALUES ($1,$2,$3,$4) \
             ON CONFLICT (size) DO NOTHING",
            &params![i64_of(size)?, root.to_hex(), note.to_string(), now_ms()],
        )
        .await?;
        let row = conn
            .fetch_optional(
                "SELECT * FROM tlog_checkpoints WHERE size = $1",
                &params![i64_of(size)?],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "checkpoint" })?;
        StoredCheckpoint::from_row(&row)
    }

    /// The offline proof bundle of a logged event (the first leaf with this
    /// eventID: the event itself, not a later error declaration), against a
    /// checkpoint covering it. Public: it carries only hashes, the signer's
    /// public key and signatures, never the event.
    pub async fn proof_bundle(&self, event_id: &str) -> Result<ProofBundle> {
        // Through the event's row: leaves are found by their row (a
        // sequential key), so the log keeps no index of random eventIDs.
        let leaf = self
            .db
            .conn()
            .fetch_optional(
                "SELECT l.*, k.public_key FROM events e JOIN tlog_leaves l ON l.event_pk = e.id \
                 LEFT JOIN org_keys k ON k.key_id = l.signer_fingerprint \
                 WHERE e.event_key = $1 AND e.event_id = $2 AND l.record_kind IS NULL ORDER BY l.idx LIMIT 1",
                &params![crate::trace::event_key(event_id), event_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "logged event" })?;
        self.bundle_of(&leaf).await
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
        self.bundle_of(&leaf).await
    }

    /// The bundle of a leaf row (with its signer's `public_key`).
    async fn bundle_of(&self, leaf: &Row) -> Result<ProofBundle> {
        let index = u64::try_from(leaf.int("idx")?).map_err(corrupt)?;
        // A final (witnessed) checkpoint when there is one; otherwise the
        // newest, made after the leaf was committed, so it covers it (with
        // the cosignatures it has so far: a verifier applying the quorum
        // refuses it until enough witnesses cosigned).
        let cp = match self.final_checkpoint_covering(index).await? {
            Some(cp) => cp,
            None => self.checkpoint().await?,
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

    /// The consistency proof between the trees of `old` and `new` leaves.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<ConsistencyProof> {
        let mut tx = self.db.begin().await?;
        let size = log_size(&mut tx).await?;
        if old > new || new > size {
            return Err(StoreError::invalid(
                "new",
                Invalid::new(
                    "tree_size_out_of_range",
                    format!("need 0 <= old <= new <= {size} (the log's size)"),
                    format!("需要 0 <= old <= new <= {size}（日志当前大小）"),
                ),
            ));
        }
        let ids = merkle::consistency_proof_nodes(old, new).map_err(corrupt)?;
        let nodes = fetch_nodes(&mut tx, &ids).await?;
        let proof = merkle::consistency_proof(LOG_HASH, old, new, &nodes).map_err(corrupt)?;
        Ok(ConsistencyProof {
            old_size: old,
            new_size: new,
            proof: proof.iter().map(Hash::to_hex).collect(),
        })
    }

    // ----- verification -----

    /// Re-derives the whole log from the database: every leaf hash from its
    /// row (and its record hash from the event document), every signature
    /// against the organisation's key history (refusing records signed after
    /// the key's revocation), every node and the root, and every stored
    /// checkpoint's signature and root. Writes nothing.
    pub async fn verify_log(&self) -> Result<VerifyReport> {
        let started = Instant::now();
        let mut problems: Vec<Mismatch> = Vec::new();
        let mut problem = |table: &str,
                           index: String,
                           field: &str,
                           expected: String,
                           found: String,
                           record: Option<&str>| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(Mismatch {
                    table: table.to_owned(),
                    index,
                    field: field.to_owned(),
                    expected,
                    found,
                    record: record.map(str::to_owned),
                });
            }
        };
        let mut conn = self.db.conn();

        // The key history.
        let mut keys: HashMap<String, KeyInfo> = HashMap::new();
        for r in conn.fetch_all("SELECT * FROM org_keys", &[]).await? {
            let key_id = r.text("key_id")?;
            let text = r.text("public_key")?;
            let key = match VerifyingKey::parse(&text) {
                Ok(k) => {
                    let fp = k.fingerprint().to_hex();
                    if fp != key_id {
                        problem(
                            "org_keys",
                            key_id.clone(),
                            "public_key",
                            format!("a key with fingerprint {key_id}"),
                            format!("{text} (fingerprint {fp})"),
                            None,
                        );
                    }
                    Some(k)
                }
                Err(e) => {
                    problem(
                        "org_keys",
                        key_id.clone(),
                        "public_key",
                        "a canonical public key".into(),
                        format!("{text} ({e})"),
                        None,
                    );
                    None
                }
            };
            keys.insert(
                key_id,
                KeyInfo {
                    key,
                    org_id: r.text("org_id")?,
                    revoked_at: r.opt_int("revoked_at")?,
                },
            );
        }

        // Every stored node, checked off as the tree is rebuilt: read page by
        // page and kept as 32-byte hashes (the text only when it is not one).
        let mut stored: HashMap<(u8, u64), std::result::Result<Hash, String>> = HashMap::new();
        let mut after: (i64, i64) = (-1, -1);
        loop {
            let rows = conn
                .fetch_all(
                    "SELECT level, idx, hash FROM tlog_nodes WHERE level > $1 OR (level = $1 AND idx > $2) \
                     ORDER BY level, idx LIMIT $3",
                    &params![after.0, after.1, VERIFY_PAGE * 10],
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after = (last.int("level")?, last.int("idx")?);
            for r in &rows {
                let level = u8::try_from(r.int("level")?).map_err(corrupt)?;
                let idx = u64::try_from(r.int("idx")?).map_err(corrupt)?;
                let text = r.text("hash")?;
                stored.insert((level, idx), Hash::from_hex(&text).map_err(|_| text));
            }
        }
        let node_count = stored.len() as u64;

        let mut tree = MemoryTree::new(LOG_HASH);
        let mut expected_idx: u64 = 0;
        let mut batching: Option<BatchCheck> = None;
        loop {
            let rows = conn
                .fetch_all(
                    "SELECT l.*, e.document AS event_document FROM tlog_leaves l \
                     LEFT JOIN events e ON e.id = l.event_pk WHERE l.idx >= $1 ORDER BY l.idx LIMIT $2",
                    &params![i64_of(expected_idx)?, VERIFY_PAGE],
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let idx = u64::try_from(r.int("idx")?).map_err(corrupt)?;
                let event_id = r.text("event_id")?;
                let ev = Some(event_id.as_str());
                let at = format!("idx {idx}");
                if idx != expected_idx {
                    problem(
                        "tlog_leaves",
                        format!("idx {expected_idx}"),
                        "idx",
                        format!("leaf {expected_idx}"),
                        format!("no such row; the next leaf is {idx} (a leaf was deleted)"),
                        ev,
                    );
                }
                expected_idx = idx + 1;
                let record_hash_text = r.text("record_hash")?;
                let record_hash = Hash::from_hex(&record_hash_text).ok();
                if record_hash.is_none() {
                    problem(
                        "tlog_leaves",
                        at.clone(),
                        "record_hash",
                        "64 hex digits".into(),
                        record_hash_text.clone(),
                        ev,
                    );
                }
                // When the record was made, as its signed document says
                // (covered by the record hash, unlike the row's created_at).
                let mut signed_time: Option<i64> = None;
                match (r.opt_text("record_kind")?, r.opt_text("event_document")?) {
                    // A master-data record: its canonical form, from its row.
                    (Some(kind_text), _) => match RecordKind::parse(&kind_text) {
                        None => problem(
                            "tlog_leaves",
                            at.clone(),
                            "record_kind",
                            "place, product, input or input_purchase".into(),
                            kind_text,
                            ev,
                        ),
                        Some(kind) => {
                            let pk = r.text("event_pk")?;
                            let row = conn
                                .fetch_optional(
                                    &format!("SELECT * FROM {} WHERE id = $1", kind.table()),
                                    &params![pk.as_str()],
                                )
                                .await?;
                            match row {
                                None => problem(
                                    kind.table(),
                                    pk,
                                    "id",
                                    format!("the {} of leaf {idx}", kind.as_str()),
                                    "no such row (deleted?)".into(),
                                    ev,
                                ),
                                Some(row) => {
                                    signed_time = row.opt_int("created_at")?;
                                    let h = LOG_HASH.digest(&kind.canonical_bytes(&row)?).to_hex();
                                    if h != record_hash_text {
                                        problem(
                                            kind.table(),
                                            pk,
                                            "row",
                                            format!("a row whose canonical form hashes to {record_hash_text} (leaf {idx})"),
                                            format!("a row hashing to {h}"),
                                            ev,
                                        );
                                    }
                                }
                            }
                        }
                    },
                    (None, None) => problem(
                        "events",
                        r.text("event_pk")?,
                        "id",
                        format!("the event of leaf {idx}"),
                        "no such event (deleted?)".into(),
                        ev,
                    ),
                    (None, Some(doc)) => {
                        signed_time = record_time_of(&doc);
                        let h = LOG_HASH.digest(doc.as_bytes()).to_hex();
                        if h != record_hash_text {
                            problem(
                                "events",
                                r.text("event_pk")?,
                                "document",
                                format!("a document hashing to {record_hash_text} (leaf {idx})"),
                                format!("a document hashing to {h}"),
                                ev,
                            );
                        }
                    }
                }
                // A detached signature (leaf version 2) covers its signed hash.
                let signed_hash_text = r.opt_text("signed_hash")?;
                let signed_hash = match &signed_hash_text {
                    None => None,
                    Some(text) => match Hash::from_hex(text) {
                        Ok(h) => Some(h),
                        Err(_) => {
                            problem(
                                "tlog_leaves",
                                at.clone(),
                                "signed_hash",
                                "64 hex digits".into(),
                                text.clone(),
                                ev,
                            );
                            None
                        }
                    },
                };
                let fp_text = r.text("signer_fingerprint")?;
                let info = keys.get(&fp_text);
                if info.is_none() {
                    problem(
                        "tlog_leaves",
                        at.clone(),
                        "signer_fingerprint",
                        "the fingerprint of a registered key".into(),
                        fp_text.clone(),
                        ev,
                    );
                }
                let leaf_org = r.text("org_id")?;
                if let Some(info) = info {
                    if info.org_id != leaf_org {
                        problem(
                            "tlog_leaves",
                            at.clone(),
                            "org_id",
                            info.org_id.clone(),
                            leaf_org.clone(),
                            ev,
                        );
                    }
                    if let Some(revoked) = info.revoked_at {
                        let (made, field) = match signed_time {
                            Some(t) => (t, "recordTime"),
                            None => (r.int("created_at")?, "created_at"),
                        };
                        if made > revoked {
                            problem(
                                "tlog_leaves",
                                at.clone(),
                                field,
                                format!("at most {} (key {fp_text} revoked)", ms_to_rfc3339(revoked)),
                                ms_to_rfc3339(made),
                                ev,
                            );
                        }
                    }
                }
                let sig_text = r.text("signature")?;
                let signature = Signature::from_base64(&sig_text).ok();
                let batch = match batch_of(r) {
                    Ok(b) => b,
                    Err(found) => {
                        problem(
                            "tlog_leaves",
                            at.clone(),
                            "batch_root",
                            "no batch, or a position inside a batch of two or more".into(),
                            found,
                            ev,
                        );
                        None
                    }
                };
                // A batch-signed leaf: its batch's one signature is checked
                // once the batch's last leaf is read. A batch whose leaves
                // stop before its size is reported at the leaf that breaks it.
                let continues = |b: &BatchCheck| {
                    batch.as_ref().is_some_and(|position| {
                        b.root == position.root
                            && b.size == position.size
                            && b.record_hashes.len() == position.index as usize
                    })
                };
                if let Some(b) = batching.take_if(|b| !continues(b)) {
                    problem(
                        "tlog_leaves",
                        format!("idx {}", b.first),
                        "batch_size",
                        format!("{} consecutive leaves in the batch", b.size),
                        format!(
                            "{} (the next leaf, {idx}, is not of the batch)",
                            b.record_hashes.len()
                        ),
                        ev,
                    );
                }
                if let Some(position) = &batch {
                    if batching.is_none() {
                        if position.index != 0 {
                            problem(
                                "tlog_leaves",
                                at.clone(),
                                "batch_index",
                                "0 (the first leaf of a batch) or the next of the batch before".into(),
                                position.index.to_string(),
                                ev,
                            );
                        }
                        batching = Some(BatchCheck {
                            first: idx,
                            root: position.root,
                            size: position.size,
                            signature: sig_text.clone(),
                            signer_fingerprint: fp_text.clone(),
                            record_hashes: Vec::with_capacity(position.size as usize),
                        });
                    }
                    if let Some(b) = batching.as_mut() {
                        if b.signature != sig_text || b.signer_fingerprint != fp_text {
                            problem(
                                "tlog_leaves",
                                at.clone(),
                                "signature",
                                format!(
                                    "the signature of its batch (leaf {}) by key {}",
                                    b.first, b.signer_fingerprint
                                ),
                                format!("{sig_text} by key {fp_text}"),
                                ev,
                            );
                        }
                        b.record_hashes.push(record_hash.unwrap_or(Hash([0; 32])));
                        if b.record_hashes.len() == b.size as usize {
                            let b = batching.take().ok_or_else(|| corrupt("batch vanished"))?;
                            let root = batch_tree(LOG_HASH, &b.record_hashes).root();
                            if root != b.root {
                                problem(
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
                                problem(
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
                    }
                }
                let message_hash = if signed_hash_text.is_some() {
                    signed_hash
                } else {
                    record_hash
                };
                let key = info.and_then(|i| i.key.as_ref());
                match (signature, message_hash, key.filter(|_| batch.is_none())) {
                    (None, _, _) => problem(
                        "tlog_leaves",
                        at.clone(),
                        "signature",
                        "base64 of 64 bytes".into(),
                        sig_text.clone(),
                        ev,
                    ),
                    (Some(sig), Some(rh), Some(key))
                        if key.verify(&signed_message(LOG_HASH, &rh), &sig).is_err() =>
                    {
                        problem(
                            "tlog_leaves",
                            at.clone(),
                            "signature",
                            format!("a valid signature by key {fp_text}"),
                            sig_text.clone(),
                            ev,
                        );
                    }
                    _ => {}
                }
                // The leaf hash, from the row's values.
                let leaf_hash = match (
                    record_hash,
                    signature,
                    suyuan_ledger::keys::Fingerprint::from_hex(&fp_text),
                ) {
                    (Some(rh), Some(sig), Some(fp))
                        if signed_hash.is_some() == signed_hash_text.is_some() =>
                    {
                        LeafData {
                            key_algorithm: info
                                .and_then(|i| i.key.as_ref())
                                .map_or(KeyAlgorithm::Ed25519, VerifyingKey::algorithm),
                            record_hash: rh,
                            signer: fp,
                            signature: sig,
                            signed_hash,
                            batch,
                        }
                        .leaf_hash(LOG_HASH)
                    }
                    // Unreadable fields (reported above): hash the stored leaf hash's
                    // text so that the tree still advances.
                    _ => LOG_HASH.digest(r.text("leaf_hash")?.as_bytes()),
                };
                let stored_leaf = r.text("leaf_hash")?;
                if leaf_hash.to_hex() != stored_leaf {
                    problem(
                        "tlog_leaves",
                        at.clone(),
                        "leaf_hash",
                        leaf_hash.to_hex(),
                        stored_leaf,
                        ev,
                    );
                }
                for (level, nidx, h) in tree.push_leaf_hash(leaf_hash) {
                    let found = match stored.remove(&(level, nidx)) {
                        None => "no such row".to_owned(),
                        Some(Ok(found)) if found == h => continue,
                        Some(Ok(found)) => found.to_hex(),
                        Some(Err(text)) => text,
                    };
                    problem(
                        "tlog_nodes",
                        format!("level {level} idx {nidx}"),
                        "hash",
                        h.to_hex(),
                        found,
                        ev,
                    );
                }
            }
        }
        if let Some(b) = batching.take() {
            problem(
                "tlog_leaves",
                format!("idx {}", b.first),
                "batch_size",
                format!("{} consecutive leaves in the batch", b.size),
                format!("{} (the log ends)", b.record_hashes.len()),
                None,
            );
        }
        let size = tree.size();
        let mut extra: Vec<(u8, u64)> = stored.into_keys().collect();
        extra.sort();
        for (level, idx) in extra {
            problem(
                "tlog_nodes",
                format!("level {level} idx {idx}"),
                "level, idx",
                format!("no node beyond the {size} leaves"),
                "a row".into(),
                None,
            );
        }

        // Events recorded since the log began but missing from it (an event
        // row inserted directly). Events captured before the log existed
        // (schema version 2) are not logged and not checked.
        let unlogged = conn
            .fetch_all(
                "SELECT e.id, e.event_id FROM events e LEFT JOIN tlog_leaves l ON l.event_pk = e.id \
                 WHERE l.idx IS NULL AND e.record_time >= (SELECT MIN(created_at) FROM tlog_leaves WHERE record_kind IS NULL) \
                 ORDER BY e.record_time, e.id LIMIT 100",
                &[],
            )
            .await?;
        for r in &unlogged {
            let event_id = r.text("event_id")?;
            problem(
                "tlog_leaves",
                format!("event_pk {}", r.text("id")?),
                "event_pk",
                "a leaf for every event recorded since the log began".into(),
                "no leaf (event inserted outside the capture?)".into(),
                Some(&event_id),
            );
        }

        // Master-data records created since the log covers their kind but
        // missing from it (a row inserted directly).
        for kind in RecordKind::ALL {
            let rows = conn
                .fetch_all(
                    &format!(
                        "SELECT t.id FROM {} t LEFT JOIN tlog_leaves l ON l.event_pk = t.id \
                         WHERE l.idx IS NULL AND t.created_at >= \
                         (SELECT MIN(created_at) FROM tlog_leaves WHERE record_kind = $1) \
                         ORDER BY t.created_at, t.id LIMIT 100",
                        kind.table()
                    ),
                    &params![kind.as_str()],
                )
                .await?;
            for r in &rows {
                let id = r.text("id")?;
                problem(
                    "tlog_leaves",
                    format!("event_pk {id}"),
                    "event_pk",
                    format!(
                        "a leaf for every {} created since the log covers them",
                        kind.as_str()
                    ),
                    "no leaf (row inserted outside the store?)".into(),
                    Some(&kind.leaf_name(&id)),
                );
            }
        }

        // Checkpoints.
        let cps = conn
            .fetch_all("SELECT * FROM tlog_checkpoints ORDER BY size", &[])
            .await?;
        let trusted = match self.log_config().await? {
            Some(r) => match VerifierKey::parse(&r.text("vkey")?) {
                Ok(k) => Some(TrustedLog::new(k, LOG_HASH)),
                Err(e) => {
                    problem(
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
                if !cps.is_empty() {
                    problem(
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
        };
        for r in &cps {
            let cp_size = r.int("size")?;
            let at = format!("size {cp_size}");
            let Some(trusted) = &trusted else { break };
            let opened = match SignedCheckpoint::open(&r.text("note")?, trusted) {
                Ok(c) => c,
                Err(e) => {
                    problem(
                        "tlog_checkpoints",
                        at,
                        "note",
                        "a note signed by the log key".into(),
                        e.to_string(),
                        None,
                    );
                    continue;
                }
            };
            let body = &opened.checkpoint;
            if i64::try_from(body.size).ok() != Some(cp_size) {
                problem(
                    "tlog_checkpoints",
                    at.clone(),
                    "size",
                    body.size.to_string(),
                    cp_size.to_string(),
                    None,
                );
            }
            let stored_root = r.text("root")?;
            if stored_root != body.root.to_hex() {
                problem(
                    "tlog_checkpoints",
                    at.clone(),
                    "root",
                    body.root.to_hex(),
                    stored_root,
                    None,
                );
            }
            match tree.root_at(body.size) {
                Ok(root) if root == body.root => {}
                Ok(root) => problem(
                    "tlog_checkpoints",
                    at,
                    "note",
                    format!("root {} of the first {} leaves", root.to_hex(), body.size),
                    body.root.to_hex(),
                    None,
                ),
                Err(_) => problem(
                    "tlog_checkpoints",
                    at,
                    "note",
                    format!("a size of at most {size}"),
                    body.size.to_string(),
                    None,
                ),
            }
        }

        Ok(VerifyReport {
            leaves: size,
            nodes: node_count,
            checkpoints: cps.len() as u64,
            root: tree.root().to_hex(),
            problems,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
