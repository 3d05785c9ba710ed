//! Checkpoints: the log key (a C2SP note key kept in `tlog_config`, its
//! private half encrypted with the store's cipher), signed checkpoints of
//! the tree's size and root (`tlog_checkpoints`), and consistency proofs
//! between two tree sizes, read from the stored Merkle nodes.

use serde::Serialize;
use suyuan_core::Invalid;
use suyuan_ledger::checkpoint::{Checkpoint, TrustedLog};
use suyuan_ledger::merkle;
use suyuan_ledger::note::NoteSigner;
use suyuan_ledger::Hash;

use super::append::{fetch_nodes, log_size};
use super::{corrupt, i64_of, LOG_HASH, LOG_ORIGIN};
use crate::db::{Row, Tx};
use crate::{now_ms, params, Result, Store, StoreError};

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

/// The tree's size and root (hex) as `tx` sees it, from the stored nodes:
/// what a backup's manifest records of the snapshot it was read from.
pub(crate) async fn tree_head(tx: &mut Tx) -> Result<(u64, String)> {
    let size = log_size(tx).await?;
    let nodes = fetch_nodes(tx, &merkle::root_nodes(size)).await?;
    let root = merkle::root(LOG_HASH, size, &nodes).map_err(corrupt)?;
    Ok((size, root.to_hex()))
}

/// The keyword of the extension line by which a checkpoint names the
/// checkpoint stored before it: `previous <size>`.
pub const PREVIOUS: &str = "previous";

/// The keyword of the extension line giving when a checkpoint was made, in
/// milliseconds since the epoch (`time <ms>`): `tlog_checkpoints.created_at`
/// repeats it, so that what a page shows of it is signed.
pub const TIME: &str = "time";

/// The keyword of the extension line by which a checkpoint states how many
/// witnesses had cosigned the checkpoint before it when it was made
/// (`cosigned <n>`): a deleted cosignature of that checkpoint is named.
pub const COSIGNED: &str = "cosigned";

/// PostgreSQL advisory lock serialising the making of checkpoints.
const CHECKPOINT_LOCK: i64 = 7_263_540_003;

/// The size of the checkpoint stored before `cp`, as its `previous` line
/// says: `None` for the first checkpoint and for those made before
/// checkpoints named their predecessor; `Err` with the line when it does not
/// read.
pub fn previous_size(cp: &Checkpoint) -> Option<std::result::Result<u64, String>> {
    extension(cp, PREVIOUS)
}

/// The number of extension line `<keyword> <n>` of `cp`: `None` when it
/// has none; `Err` with the line when it does not read.
pub fn extension(cp: &Checkpoint, keyword: &str) -> Option<std::result::Result<u64, String>> {
    let line = cp
        .extensions
        .iter()
        .find(|l| l.split(' ').next() == Some(keyword))?;
    Some(match line.split(' ').collect::<Vec<_>>()[..] {
        [_, n] if n == "0" || !n.starts_with('0') => n.parse().map_err(|_| line.clone()),
        _ => Err(line.clone()),
    })
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    /// Hashes, hex (RFC 9162 section 2.1.4.1).
    pub proof: Vec<String>,
}

impl Store {
    pub(super) async fn log_config(&self) -> Result<Option<Row>> {
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
    /// The note names the checkpoint stored before it (extension line
    /// `previous <size>`, see [`previous_size`]), so that `verify` names a
    /// deleted checkpoint row. Checkpoints are made one at a time (on
    /// PostgreSQL under an advisory lock), so that the links form one chain.
    pub async fn checkpoint(&self) -> Result<StoredCheckpoint> {
        let signer = self.log_signer().await?;
        let mut tx = self.db.begin().await?;
        if let Tx::Postgres(_) = tx {
            tx.execute(&format!("SELECT pg_advisory_xact_lock({CHECKPOINT_LOCK})"), &[])
                .await?;
        }
        let size = log_size(&mut tx).await?;
        let latest = tx
            .fetch_optional("SELECT * FROM tlog_checkpoints ORDER BY size DESC LIMIT 1", &[])
            .await?
            .as_ref()
            .map(StoredCheckpoint::from_row)
            .transpose()?;
        let mut body = match latest {
            // Dropped: nothing written.
            Some(latest) if latest.size >= size => return Ok(latest),
            Some(latest) => {
                let mut body = self.checkpoint_body(&mut tx, size).await?;
                body.extensions.push(format!("{PREVIOUS} {}", latest.size));
                let cosigned = tx
                    .fetch_optional(
                        "SELECT COUNT(*) AS n FROM tlog_cosignatures WHERE size = $1",
                        &params![i64_of(latest.size)?],
                    )
                    .await?
                    .map(|r| r.int("n"))
                    .transpose()?
                    .unwrap_or(0);
                body.extensions.push(format!("{COSIGNED} {cosigned}"));
                body
            }
            None => self.checkpoint_body(&mut tx, size).await?,
        };
        let now = now_ms();
        body.extensions.push(format!("{TIME} {now}"));
        let note = body.sign(&signer).map_err(corrupt)?.to_string();
        let root = body.root.to_hex();
        tx.execute(
            "INSERT INTO tlog_checkpoints (size, root, note, created_at) VALUES ($1,$2,$3,$4)",
            &params![i64_of(size)?, root.as_str(), note.as_str(), now],
        )
        .await?;
        tx.commit().await?;
        Ok(StoredCheckpoint { size, root, note })
    }

    /// The body of a checkpoint of the first `size` leaves, from the stored nodes.
    async fn checkpoint_body(&self, tx: &mut Tx, size: u64) -> Result<Checkpoint> {
        let nodes = fetch_nodes(tx, &merkle::root_nodes(size)).await?;
        let root = merkle::root(LOG_HASH, size, &nodes).map_err(corrupt)?;
        Checkpoint::new(LOG_ORIGIN, size, root).map_err(corrupt)
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
}
