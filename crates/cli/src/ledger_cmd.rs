//! `suyuan verify` and `suyuan verify-proof`: checking the transparency log.
//!
//! - `verify` re-derives the whole log from the database, streamed
//!   (`Store::verify_log`): leaf hashes from their rows, record hashes from
//!   the event documents and master-data rows, each leaf's `event_id` and
//!   `created_at` against what its record binds, signatures against the
//!   organisations' key history, every node, the root, and every stored
//!   checkpoint (its signature, its consistency with and link to the one
//!   before it, its witnesses' cosignatures), and the replay of every
//!   derived table, its state within `--replay-memory` MiB. On a mismatch
//!   it names the table, row, column, expected and found values (all of
//!   them, up to 100, with `--json`: the whole report on standard output)
//!   and exits with status 2; on success it prints the rate in records per
//!   second.
//! - `verify-proof FILE --log-key VKEY [--witness VKEY … --quorum K]` checks
//!   an offline proof bundle with no database: only the bundle, the log's
//!   public key and, if given, the witnesses you trust (k of them must have
//!   cosigned its checkpoint).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_ledger::bundle::{verify_bundle, verify_bundle_with_quorum, ProofBundle};
use suyuan_ledger::checkpoint::TrustedLog;
use suyuan_ledger::cosignature::Quorum;
use suyuan_ledger::note::VerifierKey;
use suyuan_ledger::HashAlg;

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::serve::open_existing_store;

/// The SQLite page caches of `suyuan verify`, all connections together.
const VERIFY_SQLITE_CACHE: u64 = 64 << 20;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// MiB of the replay's derived state kept in memory; the rest waits in
    /// a scratch file, so memory does not grow with the log.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub replay_memory: u64,
}

#[derive(Debug, Args)]
pub struct VerifyProofArgs {
    /// The proof bundle (JSON, from `GET /tlog/proof?event_id=…` or `?record=<kind>:<id>`).
    pub file: PathBuf,
    /// The log's checkpoint key (C2SP vkey, from `GET /tlog/log-key`), or a file holding it.
    #[arg(long)]
    pub log_key: String,
    /// The log's hash algorithm.
    #[arg(long, default_value = "sha256")]
    pub hash_alg: String,
    /// A witness you trust (C2SP vkey); repeat. With these, your own policy
    /// replaces the one the bundle suggests.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many of your --witness keys must have cosigned [default: all].
    #[arg(long)]
    pub quorum: Option<usize>,
}

pub async fn run_verify(db: &DbArgs, args: VerifyArgs) -> Result<()> {
    let settings = Settings::resolve(db, &ServeArgs::default())?;
    let store = open_existing_store(&settings).await?;
    // A process of its own that reads the whole database once: its SQLite
    // caches stay small, as its replay's state does.
    store.db().limit_cache_memory(VERIFY_SQLITE_CACHE).await?;
    let options = suyuan_store::tlog::VerifyOptions {
        replay_memory: (args.replay_memory << 20) as usize,
        page_size: None,
    };
    let report = store.verify_log_with(options).await;
    store.close().await;
    let report = report.context("cannot read the log")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if let Some(first) = report.problems.first() {
        if !args.json {
            eprintln!("first mismatch: {first}");
            for p in report.problems.iter().skip(1) {
                eprintln!("also: {p}");
            }
        }
        bail!(
            "the log does not verify ({} problem{}); first: {first}",
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        );
    }
    if !args.json {
        let rate = if report.seconds > 0.0 {
            report.leaves as f64 / report.seconds
        } else {
            0.0
        };
        println!(
            "ok: {} records, {} nodes, {} checkpoints verified; {} events replayed into {} units, every derived \
             table as stored; root {}; {:.3} s, {:.0} records/s",
            report.leaves,
            report.nodes,
            report.checkpoints,
            report.events_replayed,
            report.units_derived,
            report.root,
            report.seconds,
            rate
        );
    }
    Ok(())
}

pub fn run_verify_proof(args: VerifyProofArgs) -> Result<()> {
    let json = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let key_text = match std::fs::read_to_string(&args.log_key) {
        Ok(t) => t,
        Err(_) => args.log_key.clone(),
    };
    let key = VerifierKey::parse(key_text.trim()).context("--log-key: not a C2SP vkey")?;
    let alg: HashAlg = args.hash_alg.parse().context("--hash-alg: sha256 or sm3")?;
    let bundle = ProofBundle::from_json(&json).context("not a proof bundle")?;
    let log = TrustedLog::new(key, alg);
    let verified = if args.witnesses.is_empty() {
        if args.quorum.is_some() {
            bail!("--quorum: give the witnesses you trust with --witness");
        }
        verify_bundle(&bundle, &log)
    } else {
        let witnesses = args
            .witnesses
            .iter()
            .map(|w| VerifierKey::parse(w.trim()).with_context(|| format!("--witness {w}: not a C2SP vkey")))
            .collect::<Result<Vec<_>>>()?;
        let k = args.quorum.unwrap_or(witnesses.len());
        if k == 0 || k > witnesses.len() {
            bail!(
                "--quorum: {k} is not between 1 and the {} witnesses given",
                witnesses.len()
            );
        }
        verify_bundle_with_quorum(&bundle, &log, &Quorum { witnesses, k })
    }
    .context("the proof does not verify")?;
    println!(
        "ok: record {} signed by {} is leaf {} of the log's tree of {} leaves (root {})",
        verified.record_hash.to_hex(),
        verified.signer,
        verified.leaf_index,
        verified.checkpoint.size,
        verified.checkpoint.root.to_hex()
    );
    if let Some(signed) = verified.signed_hash {
        println!(
            "    detached signature over {} (for an event: its CBV 2.0 hash)",
            signed.to_hex()
        );
    }
    if let Some(batch) = verified.batch {
        println!(
            "    signed once for a batch of {} records (record {} of it; batch root {})",
            batch.size,
            batch.index + 1,
            batch.root.to_hex()
        );
    }
    if !verified.cosigners.is_empty() {
        let names: Vec<&str> = verified.cosigners.iter().map(|c| c.witness.name()).collect();
        println!(
            "    cosigned by {} witness(es): {}",
            names.len(),
            names.join(", ")
        );
    }
    Ok(())
}
