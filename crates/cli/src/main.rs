//! `suyuan`: the one binary of the traceability platform.
//!
//! - `serve`: run the server (SQLite by default, PostgreSQL with a URL);
//! - `demo`: build a demonstration supply chain in a fresh embedded database and serve it;
//! - `admin`: what the operator does at set-up (organisations, users, API keys), scriptable with `--json`;
//! - `label`: print-ready labels (PDF, TSPL, ZPL) for a lot's items or listed codes;
//! - `backup`, `restore`: proven backups (snapshot, manifest, restore with checks);
//! - `bench`: measure the system on this machine.

mod admin;
mod backup;
mod backup_file;
mod backup_schedule;
mod backup_tools;
mod bench;
mod bench_devices;
mod bench_labels;
mod bench_ledger;
mod bench_login;
mod bench_oversight;
mod bench_recall;
mod bench_soak;
mod bench_trace;
mod code;
mod config;
mod demo;
mod demo_archives;
mod demo_devices;
mod demo_quality;
mod label;
mod ledger_cmd;
mod quality_cmd;
mod serve;
mod tls_admin;
mod trace_print;
mod transport;
mod witness;

use clap::{Parser, Subcommand};

/// mimalloc: capture and the trace walks allocate many small short-lived
/// values (JSON, rows); the system allocator spent about a fifth of the
/// capture's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "suyuan",
    version,
    about = "溯源 suyuan: agricultural product quality traceability platform"
)]
struct Cli {
    #[command(flatten)]
    db: config::DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        serve: config::ServeArgs,
        /// Load the demonstration supply chain first (into a fresh SQLite database).
        #[arg(long)]
        demo: bool,
    },
    /// Build the demonstration supply chain in a fresh embedded database and serve it.
    Demo {
        #[command(flatten)]
        serve: config::ServeArgs,
    },
    /// Operator set-up tasks.
    Admin(Box<admin::AdminArgs>),
    /// Trace codes: parse, validate, issue.
    Code(code::CodeArgs),
    /// Trace a unit back to its origin or forward to everything it reached.
    Trace(code::TraceArgs),
    /// Print-ready labels for a lot's items or listed codes: PDF, TSPL or ZPL.
    Label(label::LabelArgs),
    /// 承诺达标合格证: issue, void, show.
    Certificate {
        #[command(flatten)]
        args: quality_cmd::QualityArgs,
        #[command(subcommand)]
        command: quality_cmd::CertificateCommand,
    },
    /// Recalls: start (or a drill), status, close.
    Recall {
        #[command(flatten)]
        args: quality_cmd::QualityArgs,
        #[command(subcommand)]
        command: quality_cmd::RecallCommand,
    },
    /// Benchmarks.
    Bench(bench::BenchArgs),
    /// Re-derive the whole transparency log from the database; exit 2 on a mismatch.
    Verify(ledger_cmd::VerifyArgs),
    /// Take a consistent backup while the server runs: the database's snapshot and its manifest, in one file.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data folder or database, then verify it.
    Restore(backup::RestoreArgs),
    /// Check an offline proof bundle against the log's key (no database).
    VerifyProof(ledger_cmd::VerifyProofArgs),
    /// Run a witness that cosigns the log's checkpoints (its own process, key and state).
    Witness(witness::WitnessArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { serve, demo: false } => serve::run(&cli.db, &serve).await,
            Command::Serve { serve, demo: true } | Command::Demo { serve } => {
                demo::run(&cli.db, &serve).await
            }
            Command::Admin(args) => admin::run(&cli.db, *args).await,
            Command::Code(args) => code::run_code(&cli.db, args).await,
            Command::Trace(args) => code::run_trace(&cli.db, args).await,
            Command::Label(args) => label::run(&cli.db, args).await,
            Command::Certificate { args, command } => quality_cmd::certificate(&cli.db, args, command).await,
            Command::Recall { args, command } => quality_cmd::recall(&cli.db, args, command).await,
            Command::Witness(args) => witness::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Verify(args) => ledger_cmd::run_verify(&cli.db, args).await,
            Command::VerifyProof(args) => ledger_cmd::run_verify_proof(args),
            Command::Backup(args) => backup::run_backup(&cli.db, args).await,
            Command::Restore(args) => backup::run_restore(&cli.db, args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
