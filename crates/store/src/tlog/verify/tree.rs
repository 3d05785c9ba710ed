//! The Merkle tree `verify` rebuilds from the leaf hashes, checked node by
//! node against `tlog_nodes`: a node that differs or is missing is named
//! where it is made, a stored node beyond the tree at the end.
//!
//! Streamed: the tree is kept as its right edge ([`Frontier`], one hash per
//! 1-bit of its size), and the stored nodes are read a page of leaves at a
//! time (exactly the nodes those leaves complete), so memory does not grow
//! with the log.

use foldhash::{HashMap, HashMapExt};

use suyuan_ledger::merkle::{self, NodeId};
use suyuan_ledger::Hash;

use super::Problems;
use crate::db::{Conn, Val};
use crate::tlog::append::nodes_queries;
use crate::tlog::{corrupt, i64_of, LOG_HASH};
use crate::Result;

/// Stored nodes by `(level, idx)`: a 32-byte hash, or the stored text when
/// it is not one.
pub(super) type StoredNodes = HashMap<(u8, u64), std::result::Result<Hash, String>>;

/// Node levels: a tree of at most 2^63 leaves has nodes up to level 63.
const LEVELS: u8 = 64;

/// The rebuilt tree's right edge: the hashes of the perfect subtrees its
/// leaves make up, largest (leftmost) first.
pub(super) struct Frontier {
    size: u64,
    edge: Vec<Hash>,
}

impl Frontier {
    pub(super) fn new() -> Self {
        Frontier {
            size: 0,
            edge: Vec::with_capacity(usize::from(LEVELS)),
        }
    }

    /// Leaves pushed so far.
    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; `made` receives every perfect subtree it
    /// completes, `(level, idx, hash)`, from the leaf up.
    pub(super) fn push(&mut self, leaf_hash: Hash, mut made: impl FnMut(u8, u64, Hash)) {
        let (mut level, mut idx, mut hash) = (0u8, self.size, leaf_hash);
        made(level, idx, hash);
        while idx & 1 == 1 {
            let Some(left) = self.edge.pop() else { break };
            hash = LOG_HASH.node_hash(&left, &hash);
            level += 1;
            idx >>= 1;
            made(level, idx, hash);
        }
        self.edge.push(hash);
        self.size += 1;
    }

    /// The root of the leaves pushed so far (RFC 6962).
    pub(super) fn root(&self) -> Hash {
        let mut edge = self.edge.iter().rev();
        let Some(last) = edge.next() else {
            return LOG_HASH.empty_root();
        };
        edge.fold(*last, |right, left| LOG_HASH.node_hash(left, &right))
    }
}

/// Reads `(level, idx, hash)` rows of `tlog_nodes` with `sql` into a map.
async fn read_nodes(conn: &mut Conn<'_>, sql: &str, ps: &[Val], into: &mut StoredNodes) -> Result<()> {
    for r in conn.fetch_all(sql, ps).await? {
        let level = u8::try_from(r.int("level")?).map_err(corrupt)?;
        let idx = u64::try_from(r.int("idx")?).map_err(corrupt)?;
        let text = r.text("hash")?;
        into.insert((level, idx), Hash::from_hex(&text).map_err(|_| text));
    }
    Ok(())
}

/// The stored nodes that leaves `[start, start + count)` complete: at level
/// `l`, those of index `start >> l` up to `(start + count) >> l`. One query.
pub(super) async fn nodes_of_page(conn: &mut Conn<'_>, start: u64, count: u64) -> Result<StoredNodes> {
    let end = start + count;
    let mut parts = Vec::new();
    let mut ps: Vec<Val> = Vec::new();
    for level in 0..LEVELS {
        let (lo, hi) = (start >> level, end >> level);
        if hi == 0 {
            break;
        }
        if lo < hi {
            ps.extend([i64::from(level).into(), i64_of(lo)?.into(), i64_of(hi)?.into()]);
            let n = ps.len();
            parts.push(format!(
                "SELECT level, idx, hash FROM tlog_nodes WHERE level = ${} AND idx >= ${} AND idx < ${}",
                n - 2,
                n - 1,
                n
            ));
        }
    }
    let mut nodes = StoredNodes::with_capacity(2 * count as usize);
    if !parts.is_empty() {
        read_nodes(conn, &parts.join(" UNION ALL "), &ps, &mut nodes).await?;
    }
    Ok(nodes)
}

/// Appends a leaf hash to the rebuilt tree and checks off the nodes it
/// completes against `page` (the stored nodes of its page).
pub(super) fn push_leaf(
    tree: &mut Frontier,
    page: &mut StoredNodes,
    leaf_hash: Hash,
    problems: &mut Problems,
    record: Option<&str>,
) {
    tree.push(leaf_hash, |level, nidx, h| {
        let found = match page.remove(&(level, nidx)) {
            None => "no such row".to_owned(),
            Some(Ok(found)) if found == h => return,
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
    });
}

/// Stored nodes the rebuilt tree of `size` leaves did not make (at most
/// 100 are read). Answers how many were found.
pub(super) async fn extra_nodes(conn: &mut Conn<'_>, size: u64, problems: &mut Problems) -> Result<u64> {
    let mut parts =
        vec!["SELECT level, idx, hash FROM tlog_nodes WHERE level < 0 OR level >= $1 OR idx < 0".to_owned()];
    let mut ps: Vec<Val> = vec![i64::from(LEVELS).into()];
    for level in 0..LEVELS {
        ps.extend([i64::from(level).into(), i64_of(size >> level)?.into()]);
        let n = ps.len();
        parts.push(format!(
            "SELECT level, idx, hash FROM tlog_nodes WHERE level = ${} AND idx >= ${}",
            n - 1,
            n
        ));
    }
    let sql = format!("{} ORDER BY level, idx LIMIT 100", parts.join(" UNION ALL "));
    let rows = conn.fetch_all(&sql, &ps).await?;
    for r in &rows {
        problems.add(
            "tlog_nodes",
            format!("level {} idx {}", r.int("level")?, r.int("idx")?),
            "level, idx",
            format!("no node beyond the {size} leaves"),
            "a row".into(),
            None,
        );
    }
    Ok(rows.len() as u64)
}

/// The consistency proof between tree sizes `old` and `new`, from the
/// stored nodes (as `GET /tlog/consistency` serves it).
pub(super) async fn stored_consistency_proof(
    conn: &mut Conn<'_>,
    old: u64,
    new: u64,
) -> Result<std::result::Result<Vec<Hash>, String>> {
    let ids = match merkle::consistency_proof_nodes(old, new) {
        Ok(ids) => ids,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut stored = StoredNodes::new();
    for (sql, ps) in nodes_queries(&ids)? {
        read_nodes(conn, &sql, &ps, &mut stored).await?;
    }
    let nodes: std::collections::HashMap<NodeId, Hash> = stored
        .into_iter()
        .filter_map(|((level, idx), h)| h.ok().map(|h| (NodeId::new(level, idx), h)))
        .collect();
    Ok(merkle::consistency_proof(LOG_HASH, old, new, &nodes).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use suyuan_ledger::merkle::MemoryTree;

    /// The frontier makes the nodes and roots of the whole tree, and the
    /// nodes a page of leaves completes are exactly those `nodes_of_page`
    /// reads: at level `l`, indices `start >> l` up to `end >> l`.
    #[test]
    fn the_frontier_makes_the_trees_nodes_and_roots() {
        let mut full = MemoryTree::new(LOG_HASH);
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), LOG_HASH.empty_root());
        for page in [1u64, 1, 2, 5, 7, 16, 33, 100, 3] {
            let start = frontier.size();
            let mut made = Vec::new();
            for i in start..start + page {
                let leaf = LOG_HASH.leaf_hash(&i.to_be_bytes());
                let expected = full.push_leaf_hash(leaf);
                let mut got = Vec::new();
                frontier.push(leaf, |l, i, h| got.push((l, i, h)));
                assert_eq!(got, expected, "leaf {i}");
                assert_eq!(frontier.root(), full.root(), "root at {}", i + 1);
                made.extend(got.into_iter().map(|(l, i, _)| (l, i)));
            }
            let end = start + page;
            let mut in_range: Vec<(u8, u64)> = (0..LEVELS)
                .flat_map(|l| ((start >> l)..(end >> l)).map(move |i| (l, i)))
                .collect();
            made.sort_unstable();
            in_range.sort_unstable();
            assert_eq!(made, in_range, "page {start}..{end}");
        }
    }
}
