//! Every stored checkpoint: a note signed by the log key (`tlog_config`),
//! whose size and root are the row's and the rebuilt tree's at that size.

use suyuan_ledger::checkpoint::{SignedCheckpoint, TrustedLog};
use suyuan_ledger::merkle::MemoryTree;
use suyuan_ledger::note::VerifierKey;

use super::Problems;
use crate::db::{Conn, Row};
use crate::tlog::LOG_HASH;
use crate::{Result, Store};

impl Store {
    /// Checks every stored checkpoint against the rebuilt `tree`; answers
    /// how many there are.
    pub(super) async fn check_checkpoints(
        &self,
        conn: &mut Conn<'_>,
        tree: &MemoryTree,
        problems: &mut Problems,
    ) -> Result<u64> {
        let cps = conn
            .fetch_all("SELECT * FROM tlog_checkpoints ORDER BY size", &[])
            .await?;
        let trusted = self.trusted_log_as_stored(!cps.is_empty(), problems).await?;
        if let Some(trusted) = &trusted {
            for r in &cps {
                check_checkpoint(r, trusted, tree, problems)?;
            }
        }
        Ok(cps.len() as u64)
    }

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

/// One checkpoint row: its note signed by the log key, its size and root
/// columns those of the note, and the note's root the tree's at its size.
fn check_checkpoint(r: &Row, trusted: &TrustedLog, tree: &MemoryTree, problems: &mut Problems) -> Result<()> {
    let cp_size = r.int("size")?;
    let at = format!("size {cp_size}");
    let opened = match SignedCheckpoint::open(&r.text("note")?, trusted) {
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
            return Ok(());
        }
    };
    let body = &opened.checkpoint;
    if i64::try_from(body.size).ok() != Some(cp_size) {
        problems.add(
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
        problems.add(
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
        Ok(root) => problems.add(
            "tlog_checkpoints",
            at,
            "note",
            format!("root {} of the first {} leaves", root.to_hex(), body.size),
            body.root.to_hex(),
            None,
        ),
        Err(_) => problems.add(
            "tlog_checkpoints",
            at,
            "note",
            format!("a size of at most {}", tree.size()),
            body.size.to_string(),
            None,
        ),
    }
    Ok(())
}
