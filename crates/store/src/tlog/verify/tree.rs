//! The Merkle tree `verify` rebuilds from the leaf hashes, checked node by
//! node against `tlog_nodes`: a node that differs or is missing is named
//! where it is made, a stored node beyond the tree at the end.

use std::collections::HashMap;

use suyuan_ledger::merkle::MemoryTree;
use suyuan_ledger::Hash;

use super::{Problems, VERIFY_PAGE};
use crate::db::Conn;
use crate::tlog::corrupt;
use crate::{params, Result};

/// Every stored node by `(level, idx)`: a 32-byte hash, or the stored text
/// when it is not one.
pub(super) type StoredNodes = HashMap<(u8, u64), std::result::Result<Hash, String>>;

/// Every stored node, read page by page and checked off as the tree is
/// rebuilt.
pub(super) async fn stored_nodes(conn: &mut Conn<'_>) -> Result<StoredNodes> {
    let mut stored = StoredNodes::new();
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
    Ok(stored)
}

/// Appends a leaf hash to the rebuilt tree and checks off the nodes it
/// completes against the stored ones.
pub(super) fn push_leaf(
    tree: &mut MemoryTree,
    stored: &mut StoredNodes,
    leaf_hash: Hash,
    problems: &mut Problems,
    record: Option<&str>,
) {
    for (level, nidx, h) in tree.push_leaf_hash(leaf_hash) {
        let found = match stored.remove(&(level, nidx)) {
            None => "no such row".to_owned(),
            Some(Ok(found)) if found == h => continue,
            Some(Ok(found)) => found.to_hex(),
            Some(Err(text)) => text,
        };
        problems.add(
            "tlog_nodes",
            format!("level {level} idx {nidx}"),
            "hash",
            h.to_hex(),
            found,
            record,
        );
    }
}

/// Stored nodes the rebuilt tree of `size` leaves did not make.
pub(super) fn extra_nodes(stored: StoredNodes, size: u64, problems: &mut Problems) {
    let mut extra: Vec<(u8, u64)> = stored.into_keys().collect();
    extra.sort();
    for (level, idx) in extra {
        problems.add(
            "tlog_nodes",
            format!("level {level} idx {idx}"),
            "level, idx",
            format!("no node beyond the {size} leaves"),
            "a row".into(),
            None,
        );
    }
}
