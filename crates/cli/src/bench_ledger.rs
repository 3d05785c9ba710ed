//! `suyuan bench ledger`: the transparency log's own rates, apart from the
//! database and the EPCIS capture around it:
//! - records appended per second **including signature verification**
//!   (batch verification, spread over every core, then leaf hashing and the
//!   Merkle append in order), for Ed25519 or SM2 signers;
//! - inclusion and consistency proof generation and verification times.
//!
//! The database-backed figures (append inside a capture, proof bundles read
//! from the database, `suyuan verify`'s rate) are reported by
//! `suyuan bench trace`, on its synthetic chain.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::Rng;
use suyuan_ledger::keys::{KeyAlgorithm, SigningKey};
use suyuan_ledger::merkle::{self, MemoryTree};
use suyuan_ledger::record::{verify_records, SignedRecord};
use suyuan_ledger::HashAlg;

use crate::bench::{peak_memory, percentile};

#[derive(Debug, Args)]
pub struct LedgerBench {
    /// Records to append.
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Signature algorithm of the organisations: ed25519 or sm2.
    #[arg(long, default_value = "ed25519")]
    alg: String,
    /// Organisations (distinct signing keys) the records come from.
    #[arg(long, default_value_t = 100)]
    orgs: usize,
    /// Records verified per batch.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Proofs generated and verified for the proof timings.
    #[arg(long, default_value_t = 10_000)]
    proofs: usize,
}

fn check(a: &LedgerBench) -> Result<KeyAlgorithm> {
    if !(1..=10_000_000).contains(&a.records) {
        bail!("--records: 1 to 10000000");
    }
    if !(1..=10_000).contains(&a.orgs) {
        bail!("--orgs: 1 to 10000");
    }
    if !(1..=100_000).contains(&a.batch) {
        bail!("--batch: 1 to 100000");
    }
    if !(1..=1_000_000).contains(&a.proofs) {
        bail!("--proofs: 1 to 1000000");
    }
    match a.alg.as_str() {
        "ed25519" => Ok(KeyAlgorithm::Ed25519),
        "sm2" => Ok(KeyAlgorithm::Sm2),
        other => bail!("--alg: '{other}' is not one of ed25519, sm2"),
    }
}

/// Runs `f` over `items` split across every core, results in order.
fn on_all_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Result<Vec<R>> + Sync) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = items.chunks(per).map(|c| s.spawn(|| f(c))).collect();
        let mut out = Vec::with_capacity(items.len());
        for p in parts {
            out.extend(
                p.join()
                    .map_err(|_| anyhow::anyhow!("a worker thread panicked"))??,
            );
        }
        Ok(out)
    })
}

pub fn run(a: LedgerBench) -> Result<()> {
    let alg = check(&a)?;
    let hash = HashAlg::Sha256;
    let mut rng = rand::rngs::OsRng;
    let keys: Vec<SigningKey> = (0..a.orgs)
        .map(|_| SigningKey::generate(alg, &mut rng))
        .collect::<Result<_, _>>()
        .context("generating keys")?;
    println!(
        "signing {} records by {} {} keys (not timed) …",
        a.records, a.orgs, a.alg
    );
    let indices: Vec<usize> = (0..a.records).collect();
    let records: Vec<SignedRecord> = on_all_cores(&indices, |chunk| {
        chunk
            .iter()
            .map(|&i| {
                let body = format!("{{\"eventID\":\"urn:uuid:bench-{i}\",\"record\":{i}}}");
                SignedRecord::sign(hash, &keys[i % keys.len()], body.as_bytes()).map_err(Into::into)
            })
            .collect()
    })?;

    // Append: verify every signature (in batches, on every core), then hash
    // the leaves and append them in order.
    let started = Instant::now();
    let batches: Vec<&[SignedRecord]> = records.chunks(a.batch).collect();
    on_all_cores(&batches, |chunk| {
        for batch in chunk {
            verify_records(hash, batch).map_err(|e| anyhow::anyhow!("signatures refused: {e}"))?;
        }
        Ok(Vec::<()>::new())
    })?;
    let verified = started.elapsed();
    let mut tree = MemoryTree::new(hash);
    for r in &records {
        tree.push_leaf_hash(r.leaf_hash(hash));
    }
    let total = started.elapsed();
    println!(
        "append incl. verification {:>10.0} records/s   (signatures {:.2} s, leaves + tree {:.2} s)   target ≥ 10000",
        a.records as f64 / total.as_secs_f64(),
        verified.as_secs_f64(),
        (total - verified).as_secs_f64()
    );

    // Proofs against the whole tree.
    let size = tree.size();
    let root = tree.root();
    let mut make = Vec::with_capacity(a.proofs);
    let mut check = Vec::with_capacity(a.proofs);
    let mut rng = rand::thread_rng();
    for _ in 0..a.proofs {
        let index = rng.gen_range(0..size);
        let leaf = tree.leaf_hash(index).context("leaf")?;
        let t = Instant::now();
        let proof = tree.inclusion_proof(index, size)?;
        make.push(t.elapsed());
        let t = Instant::now();
        merkle::verify_inclusion(hash, &leaf, index, size, &proof, &root)?;
        check.push(t.elapsed());
    }
    make.sort();
    check.sort();
    println!(
        "inclusion proof           make p50 {:.1} µs p99 {:.1} µs   verify p50 {:.1} µs p99 {:.1} µs   ({} leaves)",
        percentile(&make, 0.5) * 1000.0,
        percentile(&make, 0.99) * 1000.0,
        percentile(&check, 0.5) * 1000.0,
        percentile(&check, 0.99) * 1000.0,
        size
    );
    let old = (size / 3).max(1);
    let t = Instant::now();
    let proof = tree.consistency_proof(old, size)?;
    let made = t.elapsed();
    let t = Instant::now();
    merkle::verify_consistency(hash, old, size, &tree.root_at(old)?, &root, &proof)?;
    println!(
        "consistency proof         make {:.1} µs   verify {:.1} µs   ({old} → {size})",
        made.as_secs_f64() * 1e6,
        t.elapsed().as_secs_f64() * 1e6
    );
    println!(
        "peak memory (VmHWM)     {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}
