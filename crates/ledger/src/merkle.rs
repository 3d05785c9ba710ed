//! Merkle tree algorithms over stored perfect-subtree hashes (RFC 6962 / RFC 9162).
//!
//! The log keeps, for every leaf, its leaf hash, and for every *perfect* subtree
//! (a complete binary subtree of `2^level` leaves starting at a multiple of
//! `2^level`) the hash of that subtree. Those hashes never change once the
//! subtree is complete, so they can be written once to the database and read back
//! by `(level, index)`. Every other hash — the root of a tree whose size is not a
//! power of two, or the right-hand siblings in a proof — is the RFC 6962 hash of a
//! "right edge" range and is recomputed from at most `log2(n)` perfect subtrees.
//!
//! This module contains:
//! * [`NodeSource`], the abstract source of perfect-subtree hashes, implemented by
//!   [`MemoryTree`] and by plain maps (for a store that fetches the needed rows in one
//!   query, see [`inclusion_proof_nodes`] and friends);
//! * [`append_nodes`] / [`append_nodes_batch`]: the rows the store must insert when
//!   leaves are appended;
//! * [`root`], [`inclusion_proof`], [`consistency_proof`]: proof generation with
//!   O(log n) lookups;
//! * [`verify_inclusion`] and [`verify_consistency`]: the verification algorithms of
//!   RFC 9162 sections 2.1.3.2 and 2.1.4.2, with exact proof-length checks.
//!
//! Addressing: level 0 holds the leaf hashes; the node at `(level, index)` covers the
//! leaves `[index * 2^level, (index + 1) * 2^level)`.

use std::collections::{BTreeMap, HashMap};

use crate::hash::{Hash, HashAlg};

/// Address of a perfect subtree: `level` 0 is a leaf, `index` counts from the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height of the subtree; it covers `2^level` leaves.
    pub level: u8,
    /// Position among the subtrees of the same level, from 0.
    pub index: u64,
}

impl NodeId {
    /// Construct a node address.
    pub fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }
}

/// A source of perfect-subtree hashes, typically database rows keyed by `(level, index)`.
///
/// `node` must return the hash of the perfect subtree at that address if the store
/// has it, and `None` otherwise; the algorithms turn a `None` into
/// [`MerkleError::MissingNode`]. They never ask for a subtree that is not complete in
/// the tree size they are working on.
pub trait NodeSource {
    /// Hash of the perfect subtree at `(level, index)`, if known.
    fn node(&self, level: u8, index: u64) -> Option<Hash>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        (**self).node(level, index)
    }
}

impl NodeSource for HashMap<NodeId, Hash> {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.get(&NodeId { level, index }).copied()
    }
}

impl NodeSource for BTreeMap<NodeId, Hash> {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.get(&NodeId { level, index }).copied()
    }
}

/// A failure to produce a root, proof or new nodes from a [`NodeSource`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was requested from a larger to a smaller tree.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizeOrder {
        /// The old (first) size.
        old: u64,
        /// The new (second) size.
        new: u64,
    },
    /// The source has no hash for a subtree the algorithm needs.
    #[error("no stored hash for the subtree at level {level}, index {index}")]
    MissingNode {
        /// Level of the missing subtree.
        level: u8,
        /// Index of the missing subtree.
        index: u64,
    },
    /// Appending would overflow the 64-bit tree size.
    #[error("tree size overflow")]
    SizeOverflow,
}

/// Why a proof failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The old size of a consistency proof is larger than the new size.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizeOrder {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The proof does not have the number of hashes its sizes and index require.
    #[error("proof has {got} hashes, but {expected} are required for these sizes")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes required.
        expected: usize,
    },
    /// The inclusion proof leads to a root other than the expected one.
    #[error("inclusion proof leads to root {computed}, expected {expected}")]
    RootMismatch {
        /// The trusted root.
        expected: Hash,
        /// The root computed from the leaf and the proof.
        computed: Hash,
    },
    /// The consistency proof does not reproduce the old root.
    #[error("consistency proof leads to old root {computed}, expected {expected}")]
    OldRootMismatch {
        /// The trusted old root.
        expected: Hash,
        /// The root computed from the proof.
        computed: Hash,
    },
    /// The consistency proof does not reproduce the new root.
    #[error("consistency proof leads to new root {computed}, expected {expected}")]
    NewRootMismatch {
        /// The trusted new root.
        expected: Hash,
        /// The root computed from the proof.
        computed: Hash,
    },
    /// Two trees of the same size have different roots: the log forked.
    #[error("two different roots for the same tree size {size}")]
    SameSizeDifferentRoots {
        /// The common size.
        size: u64,
    },
}

/// A range of leaves `[start, start + len)` whose hash is an element of a proof or a root.
/// Every range used here is a subtree of the RFC 6962 recursion, so it decomposes into
/// perfect subtrees from left (largest) to right (smallest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    len: u64,
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Perfect subtrees making up `span`, left to right.
fn span_nodes(span: Span) -> impl Iterator<Item = NodeId> {
    let mut start = span.start;
    let mut len = span.len;
    std::iter::from_fn(move || {
        if len == 0 {
            return None;
        }
        let level = 63 - len.leading_zeros(); // largest power of two <= len
        let width = 1u64 << level;
        let id = NodeId {
            level: level as u8,
            index: start >> level,
        };
        start += width;
        len -= width;
        Some(id)
    })
}

/// Hash of `span` from the perfect subtrees of the source, folded right to left.
fn span_hash<S: NodeSource + ?Sized>(alg: HashAlg, span: Span, source: &S) -> Result<Hash, MerkleError> {
    let nodes: Vec<NodeId> = span_nodes(span).collect();
    let mut acc: Option<Hash> = None;
    for id in nodes.iter().rev() {
        let h = source.node(id.level, id.index).ok_or(MerkleError::MissingNode {
            level: id.level,
            index: id.index,
        })?;
        acc = Some(match acc {
            None => h,
            Some(right) => alg.node_hash(&h, &right),
        });
    }
    Ok(acc.unwrap_or_else(|| alg.empty_root()))
}

/// RFC 9162 `PATH(m, D[n])` as spans, leaf to root.
fn inclusion_spans(index: u64, size: u64) -> Result<Vec<Span>, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    let (mut start, mut n, mut m) = (0u64, size, index);
    while n > 1 {
        let k = split_point(n);
        if m < k {
            out.push(Span {
                start: start + k,
                len: n - k,
            });
            n = k;
        } else {
            out.push(Span { start, len: k });
            start += k;
            m -= k;
            n -= k;
        }
    }
    out.reverse();
    Ok(out)
}

/// RFC 9162 `PROOF(m, D[n])` as spans, in proof order. Empty when `old` is 0 or equal to `new`.
fn consistency_spans(old: u64, new: u64) -> Result<Vec<Span>, MerkleError> {
    if old > new {
        return Err(MerkleError::SizeOrder { old, new });
    }
    let mut out = Vec::new();
    if old == 0 || old == new {
        return Ok(out);
    }
    let (mut start, mut n, mut m, mut whole) = (0u64, new, old, true);
    loop {
        if m == n {
            if !whole {
                out.push(Span { start, len: n });
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(Span {
                start: start + k,
                len: n - k,
            });
            n = k;
        } else {
            out.push(Span { start, len: k });
            start += k;
            m -= k;
            n -= k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

fn collect_nodes(spans: &[Span]) -> Vec<NodeId> {
    let mut seen = std::collections::HashSet::new();
    spans
        .iter()
        .flat_map(|s| span_nodes(*s))
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The perfect subtrees needed to compute the root of a tree of `size` leaves (at most 64).
pub fn root_nodes(size: u64) -> Vec<NodeId> {
    span_nodes(Span { start: 0, len: size }).collect()
}

/// The perfect subtrees needed by [`inclusion_proof`], so that an asynchronous store can
/// fetch them in one query into a map and then call [`inclusion_proof`] on that map.
pub fn inclusion_proof_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, MerkleError> {
    Ok(collect_nodes(&inclusion_spans(index, size)?))
}

/// The perfect subtrees needed by [`consistency_proof`] (see [`inclusion_proof_nodes`]).
pub fn consistency_proof_nodes(old_size: u64, new_size: u64) -> Result<Vec<NodeId>, MerkleError> {
    Ok(collect_nodes(&consistency_spans(old_size, new_size)?))
}

/// Number of hashes in an inclusion proof for `index` in a tree of `size` leaves.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, MerkleError> {
    Ok(inclusion_spans(index, size)?.len())
}

/// Number of hashes in a consistency proof from `old_size` to `new_size`.
pub fn consistency_proof_len(old_size: u64, new_size: u64) -> Result<usize, MerkleError> {
    Ok(consistency_spans(old_size, new_size)?.len())
}

/// Merkle tree hash (root) of the first `size` leaves. `size == 0` gives `H("")`.
pub fn root<S: NodeSource + ?Sized>(alg: HashAlg, size: u64, source: &S) -> Result<Hash, MerkleError> {
    span_hash(alg, Span { start: 0, len: size }, source)
}

/// Inclusion proof (audit path, RFC 9162 section 2.1.3.1) of leaf `index` in the tree of
/// the first `size` leaves, ordered from the leaf's sibling up to the root's child.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    alg: HashAlg,
    index: u64,
    size: u64,
    source: &S,
) -> Result<Vec<Hash>, MerkleError> {
    inclusion_spans(index, size)?
        .into_iter()
        .map(|s| span_hash(alg, s, source))
        .collect()
}

/// Consistency proof (RFC 9162 section 2.1.4.1) between the trees of the first `old_size`
/// and the first `new_size` leaves. Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    alg: HashAlg,
    old_size: u64,
    new_size: u64,
    source: &S,
) -> Result<Vec<Hash>, MerkleError> {
    consistency_spans(old_size, new_size)?
        .into_iter()
        .map(|s| span_hash(alg, s, source))
        .collect()
}

/// The perfect-subtree nodes created by appending one leaf to a tree of `size_before`
/// leaves: `(level, index, hash)`, starting with the leaf itself at `(0, size_before)`.
/// These are the rows the store must insert. Reads from `source` only the left siblings
/// that get completed (one per trailing 1-bit of `size_before`).
pub fn append_nodes<S: NodeSource + ?Sized>(
    alg: HashAlg,
    size_before: u64,
    leaf_hash: Hash,
    source: &S,
) -> Result<Vec<(u8, u64, Hash)>, MerkleError> {
    append_nodes_batch(alg, size_before, &[leaf_hash], source)
}

/// The perfect-subtree nodes created by appending `leaf_hashes` (in order) to a tree of
/// `size_before` leaves. Nodes completed inside the batch are combined in memory, so the
/// source is read at most once per 1-bit of `size_before`. Output is in creation order
/// (a parent always after its children).
pub fn append_nodes_batch<S: NodeSource + ?Sized>(
    alg: HashAlg,
    size_before: u64,
    leaf_hashes: &[Hash],
    source: &S,
) -> Result<Vec<(u8, u64, Hash)>, MerkleError> {
    let count = u64::try_from(leaf_hashes.len()).map_err(|_| MerkleError::SizeOverflow)?;
    size_before.checked_add(count).ok_or(MerkleError::SizeOverflow)?;
    // The right edge of the existing tree: perfect subtrees, largest first. Hashes are
    // fetched only when a new node completes their parent.
    let mut frontier: Vec<(NodeId, Option<Hash>)> =
        root_nodes(size_before).into_iter().map(|id| (id, None)).collect();
    let mut out = Vec::with_capacity(leaf_hashes.len() * 2);
    for (offset, leaf) in (0u64..).zip(leaf_hashes) {
        let mut id = NodeId {
            level: 0,
            index: size_before + offset,
        };
        let mut hash = *leaf;
        out.push((id.level, id.index, hash));
        while let Some(&(left_id, left_hash)) = frontier.last() {
            if left_id.level != id.level {
                break;
            }
            frontier.pop();
            let left = match left_hash {
                Some(h) => h,
                None => source
                    .node(left_id.level, left_id.index)
                    .ok_or(MerkleError::MissingNode {
                        level: left_id.level,
                        index: left_id.index,
                    })?,
            };
            hash = alg.node_hash(&left, &hash);
            id = NodeId {
                level: id.level + 1,
                index: id.index >> 1,
            };
            out.push((id.level, id.index, hash));
        }
        frontier.push((id, Some(hash)));
    }
    Ok(out)
}

/// Recompute the root from a leaf hash and its inclusion proof (RFC 9162 section
/// 2.1.3.2), after checking the proof has exactly the required number of hashes.
pub fn root_from_inclusion_proof(
    alg: HashAlg,
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected =
        inclusion_proof_len(index, size).map_err(|_| ProofError::IndexOutOfRange { index, size })?;
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected,
            });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = alg.node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = alg.node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    Ok(r)
}

/// Verify that `leaf_hash` is the leaf at `index` of the tree of `size` leaves whose
/// root is `root` (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    alg: HashAlg,
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(alg, leaf_hash, index, size, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            computed,
        });
    }
    Ok(())
}

/// Verify that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 section 2.1.4.2).
///
/// Edge cases: equal sizes require an empty proof and equal roots; `old_size == 0`
/// requires an empty proof and `old_root` equal to the empty-tree hash `H("")`.
pub fn verify_consistency(
    alg: HashAlg,
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeOrder {
            old: old_size,
            new: new_size,
        });
    }
    let expected = consistency_proof_len(old_size, new_size).map_err(|_| ProofError::SizeOrder {
        old: old_size,
        new: new_size,
    })?;
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    if old_size == new_size {
        if old_root != new_root {
            return Err(ProofError::SameSizeDifferentRoots { size: old_size });
        }
        return Ok(());
    }
    if old_size == 0 {
        let empty = alg.empty_root();
        if *old_root != empty {
            return Err(ProofError::OldRootMismatch {
                expected: *old_root,
                computed: empty,
            });
        }
        return Ok(());
    }
    // Step 2: a power-of-two old tree is itself the first node of the path.
    let (first, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(ProofError::WrongLength { got: 0, expected }),
        }
    };
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut fr = first;
    let mut sr = first;
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected,
            });
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = alg.node_hash(c, &fr);
            sr = alg.node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = alg.node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch {
            expected: *old_root,
            computed: fr,
        });
    }
    if sr != *new_root {
        return Err(ProofError::NewRootMismatch {
            expected: *new_root,
            computed: sr,
        });
    }
    Ok(())
}

/// A whole tree kept in memory: every perfect-subtree hash, level by level.
///
/// Used by tests, by the offline verifier and by tools that rebuild a log from its
/// leaves. `levels[l][i]` is the hash of the node `(l, i)`.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    alg: HashAlg,
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree using `alg`.
    pub fn new(alg: HashAlg) -> Self {
        MemoryTree {
            alg,
            levels: vec![Vec::new()],
        }
    }

    /// The tree's hash algorithm.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Append a leaf given its leaf hash; returns the new perfect-subtree nodes
    /// (the same list [`append_nodes`] would give).
    pub fn push_leaf_hash(&mut self, leaf_hash: Hash) -> Vec<(u8, u64, Hash)> {
        let mut created = Vec::new();
        let mut level = 0usize;
        let mut hash = leaf_hash;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            let index = row.len() - 1;
            created.push((level as u8, index as u64, hash));
            if index & 1 == 0 {
                break;
            }
            hash = self.alg.node_hash(&row[index - 1], &row[index]);
            level += 1;
        }
        created
    }

    /// Append a leaf given its data (hashed as `H(0x00 || data)`); returns its index.
    pub fn push_leaf(&mut self, data: &[u8]) -> u64 {
        let index = self.size();
        self.push_leaf_hash(self.alg.leaf_hash(data));
        index
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.node(0, index)
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for id in root_nodes(self.size()).iter().rev() {
            let h = self.levels[id.level as usize][id.index as usize];
            acc = Some(match acc {
                None => h,
                Some(right) => self.alg.node_hash(&h, &right),
            });
        }
        acc.unwrap_or_else(|| self.alg.empty_root())
    }

    /// Root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        if size > self.size() {
            return Err(MerkleError::IndexOutOfRange {
                index: size,
                size: self.size(),
            });
        }
        root(self.alg, size, self)
    }

    /// Inclusion proof of `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        inclusion_proof(self.alg, index, size, self)
    }

    /// Consistency proof from the first `old_size` to the first `new_size` leaves.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, MerkleError> {
        consistency_proof(self.alg, old_size, new_size, self)
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        let row = self.levels.get(usize::from(level))?;
        row.get(usize::try_from(index).ok()?).copied()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALG: HashAlg = HashAlg::Sha256;

    fn h(s: &str) -> Hash {
        Hash::from_hex(s).unwrap()
    }

    // ---- naive RFC 9162 definitions, straight from the recursive equations ----

    fn naive_split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn naive_mth(alg: HashAlg, leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => alg.empty_root(),
            1 => leaves[0],
            n => {
                let k = naive_split(n);
                alg.node_hash(&naive_mth(alg, &leaves[..k]), &naive_mth(alg, &leaves[k..]))
            }
        }
    }

    fn naive_path(alg: HashAlg, m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = naive_split(n);
        if m < k {
            let mut p = naive_path(alg, m, &leaves[..k]);
            p.push(naive_mth(alg, &leaves[k..]));
            p
        } else {
            let mut p = naive_path(alg, m - k, &leaves[k..]);
            p.push(naive_mth(alg, &leaves[..k]));
            p
        }
    }

    fn naive_subproof(alg: HashAlg, m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![naive_mth(alg, leaves)] };
        }
        let k = naive_split(n);
        if m <= k {
            let mut p = naive_subproof(alg, m, &leaves[..k], b);
            p.push(naive_mth(alg, &leaves[k..]));
            p
        } else {
            let mut p = naive_subproof(alg, m - k, &leaves[k..], false);
            p.push(naive_mth(alg, &leaves[..k]));
            p
        }
    }

    fn naive_consistency(alg: HashAlg, m: usize, leaves: &[Hash]) -> Vec<Hash> {
        if m == 0 || m == leaves.len() {
            vec![]
        } else {
            naive_subproof(alg, m, leaves, true)
        }
    }

    // ---- the reference tree of RFC 6962 / certificate-transparency merkle_tree_test ----

    fn reference_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| hex::decode(s).unwrap())
        .collect()
    }

    fn reference_tree() -> MemoryTree {
        let mut t = MemoryTree::new(ALG);
        for leaf in reference_leaves() {
            t.push_leaf(&leaf);
        }
        t
    }

    const REFERENCE_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// (leaf index, tree size, proof)
    fn reference_inclusion() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (0, 1, vec![]),
            (
                0,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                5,
                8,
                vec![
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                3,
                vec![h(
                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                )],
            ),
            (
                1,
                5,
                vec![
                    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
        ]
    }

    /// (old size, new size, proof)
    fn reference_consistency() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (1, 1, vec![]),
            (
                1,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                6,
                8,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                5,
                vec![
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
            (
                6,
                7,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
        ]
    }

    #[test]
    fn reference_roots_for_every_size() {
        let t = reference_tree();
        assert_eq!(t.root_at(0).unwrap(), ALG.empty_root());
        for (i, want) in REFERENCE_ROOTS.iter().enumerate() {
            assert_eq!(t.root_at(i as u64 + 1).unwrap(), h(want), "size {}", i + 1);
        }
        assert_eq!(t.root(), h(REFERENCE_ROOTS[7]));
    }

    #[test]
    fn reference_inclusion_proofs_generate_and_verify() {
        let t = reference_tree();
        for (index, size, want) in reference_inclusion() {
            let got = t.inclusion_proof(index, size).unwrap();
            assert_eq!(got, want, "inclusion {index} in {size}");
            let root = h(REFERENCE_ROOTS[size as usize - 1]);
            let leaf = t.leaf_hash(index).unwrap();
            verify_inclusion(ALG, &leaf, index, size, &want, &root).unwrap();
        }
    }

    #[test]
    fn reference_consistency_proofs_generate_and_verify() {
        let t = reference_tree();
        for (old, new, want) in reference_consistency() {
            let got = t.consistency_proof(old, new).unwrap();
            assert_eq!(got, want, "consistency {old} -> {new}");
            let r1 = h(REFERENCE_ROOTS[old as usize - 1]);
            let r2 = h(REFERENCE_ROOTS[new as usize - 1]);
            verify_consistency(ALG, old, new, &r1, &r2, &want).unwrap();
        }
    }

    /// Corruptions in the style of the reference test suite must all be refused.
    #[test]
    fn reference_inclusion_corruptions_fail() {
        let t = reference_tree();
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        for (index, size, proof) in reference_inclusion() {
            let root = h(REFERENCE_ROOTS[size as usize - 1]);
            let leaf = t.leaf_hash(index).unwrap();
            let check = |i: u64, s: u64, l: &Hash, p: &[Hash], r: &Hash| {
                assert!(
                    verify_inclusion(ALG, l, i, s, p, r).is_err(),
                    "accepted i={i} s={s}"
                );
            };
            if index > 0 {
                check(index - 1, size, &leaf, &proof, &root);
            }
            check(index + 1, size, &leaf, &proof, &root);
            check(index ^ 2, size, &leaf, &proof, &root);
            check(index, size * 2, &leaf, &proof, &root);
            if size / 2 != size {
                check(index, size / 2, &leaf, &proof, &root);
            }
            check(index, size, &ALG.leaf_hash(b"WrongLeaf"), &proof, &root);
            check(index, size, &leaf, &proof, &ALG.empty_root());
            check(index, size, &leaf, &proof, &some);
            let mut longer = proof.clone();
            longer.push(root);
            check(index, size, &leaf, &longer, &root);
            let mut prefixed = vec![root];
            prefixed.extend_from_slice(&proof);
            check(index, size, &leaf, &prefixed, &root);
            for i in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[i].0[0] ^= 8;
                check(index, size, &leaf, &wrong, &root);
            }
            if !proof.is_empty() {
                check(index, size, &leaf, &proof[..proof.len() - 1], &root);
            }
        }
    }

    #[test]
    fn reference_consistency_corruptions_fail() {
        for (old, new, proof) in reference_consistency() {
            if proof.is_empty() {
                continue;
            }
            let r1 = h(REFERENCE_ROOTS[old as usize - 1]);
            let r2 = h(REFERENCE_ROOTS[new as usize - 1]);
            let check = |o: u64, n: u64, a: &Hash, b: &Hash, p: &[Hash]| {
                assert!(
                    verify_consistency(ALG, o, n, a, b, p).is_err(),
                    "accepted {o}->{n}"
                );
            };
            check(old - 1, new, &r1, &r2, &proof);
            check(old + 1, new, &r1, &r2, &proof);
            check(old ^ 2, new, &r1, &r2, &proof);
            check(old, new * 2, &r1, &r2, &proof);
            check(old, new / 2, &r1, &r2, &proof);
            check(old, new, &ALG.leaf_hash(b"WrongRoot"), &r2, &proof);
            check(old, new, &r1, &ALG.leaf_hash(b"WrongRoot"), &proof);
            check(old, new, &r2, &r1, &proof);
            check(old, new, &r1, &r2, &[]);
            for extra in [r1, r2, proof[0]] {
                let mut longer = proof.clone();
                longer.push(extra);
                check(old, new, &r1, &r2, &longer);
                let mut prefixed = vec![extra];
                prefixed.extend_from_slice(&proof);
                check(old, new, &r1, &r2, &prefixed);
            }
            check(old, new, &r1, &r2, &proof[..proof.len() - 1]);
            for i in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[i].0[0] ^= 16;
                check(old, new, &r1, &r2, &wrong);
            }
        }
    }

    #[test]
    fn consistency_edge_cases() {
        let a = ALG.leaf_hash(b"a");
        let b = ALG.leaf_hash(b"b");
        let empty = ALG.empty_root();
        assert_eq!(verify_consistency(ALG, 0, 0, &empty, &empty, &[]), Ok(()));
        assert_eq!(verify_consistency(ALG, 0, 5, &empty, &b, &[]), Ok(()));
        assert!(matches!(
            verify_consistency(ALG, 0, 5, &a, &b, &[]),
            Err(ProofError::OldRootMismatch { .. })
        ));
        assert_eq!(verify_consistency(ALG, 3, 3, &a, &a, &[]), Ok(()));
        assert_eq!(
            verify_consistency(ALG, 3, 3, &a, &b, &[]),
            Err(ProofError::SameSizeDifferentRoots { size: 3 })
        );
        assert_eq!(
            verify_consistency(ALG, 3, 3, &a, &a, &[empty]),
            Err(ProofError::WrongLength { got: 1, expected: 0 })
        );
        assert_eq!(
            verify_consistency(ALG, 2, 1, &a, &b, &[]),
            Err(ProofError::SizeOrder { old: 2, new: 1 })
        );
        assert_eq!(
            verify_consistency(ALG, 1, 2, &a, &b, &[]),
            Err(ProofError::WrongLength { got: 0, expected: 1 })
        );
        assert_eq!(
            verify_inclusion(ALG, &a, 0, 0, &[], &a),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(verify_inclusion(ALG, &a, 0, 1, &[], &a), Ok(()));
        assert!(verify_inclusion(ALG, &a, 0, 1, &[], &b).is_err());
    }

    /// The perfect subtrees each proof reads, in the node naming of the RFC 6962 example
    /// tree (a..f leaves, g,h,i level 1, k,l level 2, j the seventh leaf).
    #[test]
    fn proofs_read_the_expected_perfect_subtrees() {
        let n = NodeId::new;
        assert_eq!(
            inclusion_proof_nodes(0, 7).unwrap(),
            vec![n(0, 1), n(1, 1), n(1, 2), n(0, 6)]
        );
        assert_eq!(
            inclusion_proof_nodes(4, 7).unwrap(),
            vec![n(0, 5), n(0, 6), n(2, 0)]
        );
        assert_eq!(inclusion_proof_nodes(6, 7).unwrap(), vec![n(1, 2), n(2, 0)]);
        assert_eq!(
            inclusion_proof_nodes(3, 5).unwrap(),
            vec![n(0, 2), n(1, 0), n(0, 4)]
        );
        assert_eq!(
            consistency_proof_nodes(5, 7).unwrap(),
            vec![n(0, 4), n(0, 5), n(0, 6), n(2, 0)]
        );
        assert_eq!(
            consistency_proof_nodes(6, 7).unwrap(),
            vec![n(1, 2), n(0, 6), n(2, 0)]
        );
        assert_eq!(consistency_proof_nodes(2, 8).unwrap(), vec![n(1, 1), n(2, 1)]);
        assert_eq!(consistency_proof_nodes(3, 3).unwrap(), vec![]);
        assert_eq!(root_nodes(7), vec![n(2, 0), n(1, 2), n(0, 6)]);
        assert!(inclusion_proof_nodes(7, 7).is_err());
        assert!(consistency_proof_nodes(9, 8).is_err());
    }

    #[test]
    fn missing_nodes_are_reported() {
        let t = reference_tree();
        let mut map: HashMap<NodeId, Hash> = HashMap::new();
        for id in inclusion_proof_nodes(0, 7).unwrap() {
            map.insert(id, t.node(id.level, id.index).unwrap());
        }
        assert_eq!(
            inclusion_proof(ALG, 0, 7, &map).unwrap(),
            t.inclusion_proof(0, 7).unwrap()
        );
        assert_eq!(
            inclusion_proof(ALG, 2, 7, &map),
            Err(MerkleError::MissingNode { level: 0, index: 3 })
        );
        assert_eq!(
            append_nodes(ALG, 7, ALG.leaf_hash(b"x"), &BTreeMap::new()),
            Err(MerkleError::MissingNode { level: 0, index: 6 })
        );
    }

    #[test]
    fn append_nodes_matches_memory_tree() {
        let mut tree = MemoryTree::new(HashAlg::Sm3);
        let mut store: HashMap<NodeId, Hash> = HashMap::new();
        for i in 0..300u64 {
            let leaf = HashAlg::Sm3.leaf_hash(&i.to_be_bytes());
            let nodes = append_nodes(HashAlg::Sm3, i, leaf, &store).unwrap();
            assert_eq!(nodes, tree.push_leaf_hash(leaf));
            for (level, index, hash) in nodes {
                assert!(
                    store.insert(NodeId::new(level, index), hash).is_none(),
                    "node rewritten"
                );
            }
            assert_eq!(root(HashAlg::Sm3, i + 1, &store).unwrap(), tree.root());
        }
        // A batch appended to a prefix gives the same rows as one-by-one appends.
        let leaves: Vec<Hash> = (0..300u64)
            .map(|i| HashAlg::Sm3.leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut prefix: HashMap<NodeId, Hash> = HashMap::new();
        let mut t = MemoryTree::new(HashAlg::Sm3);
        for l in &leaves[..37] {
            for (level, index, hash) in t.push_leaf_hash(*l) {
                prefix.insert(NodeId::new(level, index), hash);
            }
        }
        let batch = append_nodes_batch(HashAlg::Sm3, 37, &leaves[37..], &prefix).unwrap();
        let mut expected = Vec::new();
        for l in &leaves[37..] {
            expected.extend(t.push_leaf_hash(*l));
        }
        assert_eq!(batch, expected);
        assert_eq!(
            append_nodes_batch(ALG, u64::MAX, &leaves[..1], &prefix),
            Err(MerkleError::SizeOverflow)
        );
    }

    #[test]
    fn ten_thousand_leaves() {
        let mut tree = MemoryTree::new(ALG);
        let mut leaves = Vec::with_capacity(10_000);
        let mut rows = 0usize;
        for i in 0..10_000u32 {
            let leaf = ALG.leaf_hash(&i.to_be_bytes());
            leaves.push(leaf);
            rows += tree.push_leaf_hash(leaf).len();
        }
        assert_eq!(tree.size(), 10_000);
        // A tree of n leaves stores 2n - popcount(n) perfect subtrees.
        assert_eq!(rows, 2 * 10_000 - 10_000u32.count_ones() as usize);
        assert_eq!(tree.root(), naive_mth(ALG, &leaves));
        for index in [0u64, 1, 4_095, 4_096, 8_191, 9_999] {
            let proof = tree.inclusion_proof(index, 10_000).unwrap();
            assert!(proof.len() <= 14);
            verify_inclusion(ALG, &leaves[index as usize], index, 10_000, &proof, &tree.root()).unwrap();
        }
        let old = tree.root_at(6_000).unwrap();
        let proof = tree.consistency_proof(6_000, 10_000).unwrap();
        verify_consistency(ALG, 6_000, 10_000, &old, &tree.root(), &proof).unwrap();
    }

    fn tree_of(alg: HashAlg, n: usize) -> (MemoryTree, Vec<Hash>) {
        let mut t = MemoryTree::new(alg);
        let mut leaves = Vec::with_capacity(n);
        for i in 0..n {
            let leaf = alg.leaf_hash(format!("leaf {i}").as_bytes());
            t.push_leaf_hash(leaf);
            leaves.push(leaf);
        }
        (t, leaves)
    }

    fn any_alg() -> impl Strategy<Value = HashAlg> {
        prop_oneof![Just(HashAlg::Sha256), Just(HashAlg::Sm3)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn inclusion_proofs_match_naive_and_verify(
            alg in any_alg(), size in 1usize..260, index_seed in any::<usize>(),
            flip_elem in any::<usize>(), flip_bit in 0u8..8,
        ) {
            let (tree, leaves) = tree_of(alg, size);
            let index = index_seed % size;
            let root = naive_mth(alg, &leaves);
            prop_assert_eq!(tree.root(), root);
            let proof = tree.inclusion_proof(index as u64, size as u64).unwrap();
            prop_assert_eq!(&proof, &naive_path(alg, index, &leaves));
            prop_assert_eq!(proof.len(), inclusion_proof_len(index as u64, size as u64).unwrap());
            let s = size as u64;
            let i = index as u64;
            prop_assert!(verify_inclusion(alg, &leaves[index], i, s, &proof, &root).is_ok());
            // Tampered leaf.
            let mut bad_leaf = leaves[index];
            bad_leaf.0[31] ^= 1;
            prop_assert!(verify_inclusion(alg, &bad_leaf, i, s, &proof, &root).is_err());
            // Another leaf's hash claimed at this index.
            if size > 1 {
                let other = (index + 1) % size;
                prop_assert!(verify_inclusion(alg, &leaves[other], i, s, &proof, &root).is_err());
                prop_assert!(verify_inclusion(alg, &leaves[index], other as u64, s, &proof, &root).is_err());
            }
            // Tampered proof.
            if !proof.is_empty() {
                let mut bad = proof.clone();
                bad[flip_elem % proof.len()].0[0] ^= 1 << flip_bit;
                prop_assert!(verify_inclusion(alg, &leaves[index], i, s, &bad, &root).is_err());
            }
        }

        #[test]
        fn consistency_proofs_match_naive_and_verify(
            alg in any_alg(), new in 1usize..260, old_seed in any::<usize>(),
            flip_elem in any::<usize>(), flip_bit in 0u8..8,
        ) {
            let (tree, leaves) = tree_of(alg, new);
            let old = old_seed % (new + 1);
            let old_root = naive_mth(alg, &leaves[..old]);
            let new_root = naive_mth(alg, &leaves);
            prop_assert_eq!(tree.root_at(old as u64).unwrap(), old_root);
            let proof = tree.consistency_proof(old as u64, new as u64).unwrap();
            prop_assert_eq!(&proof, &naive_consistency(alg, old, &leaves));
            let (o, n) = (old as u64, new as u64);
            prop_assert!(verify_consistency(alg, o, n, &old_root, &new_root, &proof).is_ok());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                bad[flip_elem % proof.len()].0[0] ^= 1 << flip_bit;
                prop_assert!(verify_consistency(alg, o, n, &old_root, &new_root, &bad).is_err());
                let mut bad_new = new_root;
                bad_new.0[0] ^= 1;
                prop_assert!(verify_consistency(alg, o, n, &old_root, &bad_new, &proof).is_err());
                let mut bad_old = old_root;
                bad_old.0[0] ^= 1;
                prop_assert!(verify_consistency(alg, o, n, &bad_old, &new_root, &proof).is_err());
            }
            // A fork: the new tree with one leaf changed inside the old range.
            if old > 0 && old < new {
                let mut forked = leaves.clone();
                forked[flip_elem % old].0[0] ^= 1;
                let forked_root = naive_mth(alg, &forked);
                let forked_proof = naive_consistency(alg, old, &forked);
                prop_assert!(
                    verify_consistency(alg, o, n, &old_root, &forked_root, &forked_proof).is_err()
                );
            }
        }
    }
}
