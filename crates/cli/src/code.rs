//! `suyuan code` and `suyuan trace`: trace codes and traces from the command
//! line. `parse` and `validate` need no database; `issue` and the traces act
//! as a named user (`--as`) through the same store rules as the API.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use suyuan_server::api::trace::{code_forms, parse_code, trace_target};
use suyuan_server::error::ApiError;
use suyuan_store::trace::lineage::Direction;
use uuid::Uuid;

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::serve::open_existing_store;

#[derive(Debug, Args)]
pub struct CodeArgs {
    #[command(subcommand)]
    command: CodeCommand,
}

#[derive(Debug, Subcommand)]
enum CodeCommand {
    /// Show every form of a code (flat, element string, Digital Link).
    Parse {
        code: String,
        /// Domain of the Digital Link printed in QR codes.
        #[arg(long, env = "SUYUAN_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
        #[arg(long)]
        json: bool,
    },
    /// Check a code; exit status 0 when valid, 2 with the rule broken otherwise.
    Validate { code: String },
    /// Issue item trace codes for a lot (up to 100,000 at once).
    Issue {
        /// The lot's id (from POST /api/v1/lots).
        #[arg(long)]
        lot: Uuid,
        #[arg(long)]
        count: usize,
        /// The user to act as (a recorder of the organisation holding the lot).
        #[arg(long = "as")]
        acting_as: String,
        /// For a non-conformant lot: why codes are issued all the same
        /// (logged with the issue; the items are non-conformant too).
        #[arg(long = "non-conformance-override")]
        non_conformance_override: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(subcommand)]
    command: TraceCommand,
}

#[derive(Debug, Subcommand)]
enum TraceCommand {
    /// Everything upstream of a unit: units, events, organisations, places, input lots.
    Back(TraceOpts),
    /// Everything downstream of a unit or input lot: what a recall must reach.
    Forward(TraceOpts),
}

#[derive(Debug, Args)]
struct TraceOpts {
    /// The code in any form, or the URI of an input lot or place.
    code: String,
    #[arg(long = "as")]
    acting_as: String,
    #[arg(long, default_value_t = 50)]
    depth: u32,
    #[arg(long)]
    json: bool,
}

fn explain(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{} [{}] / {}", e.en, e.code, e.zh)
}

pub async fn run_code(db: &DbArgs, args: CodeArgs) -> Result<()> {
    match args.command {
        CodeCommand::Parse {
            code,
            public_url,
            json,
        } => {
            let forms = code_forms(&parse_code(&code).map_err(explain)?, &public_url).map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&forms)?);
            } else {
                println!("kind            {}", forms.kind);
                if let Some(f) = &forms.flat_code {
                    println!("flat code       {f}");
                }
                println!("element string  {}", forms.element_string);
                println!("digital link    {}", forms.digital_link);
                println!("canonical       {}", forms.canonical);
            }
            Ok(())
        }
        CodeCommand::Validate { code } => {
            let unit = parse_code(&code).map_err(explain)?;
            println!(
                "valid {}: {}",
                code_forms(&unit, "http://x").map_err(explain)?.kind,
                unit.element_string().map(|e| e.to_human()).unwrap_or_default()
            );
            Ok(())
        }
        CodeCommand::Issue {
            lot,
            count,
            acting_as,
            non_conformance_override,
            json,
        } => {
            let settings = Settings::resolve(db, &ServeArgs::default())?;
            let store = open_existing_store(&settings).await?;
            let caller = store
                .caller_for_username(&acting_as)
                .await?
                .with_context(|| format!("--as: no user named {acting_as}"))?;
            let issued = store
                .issue_items(&caller, lot, count, non_conformance_override.as_deref())
                .await
                .map_err(|e| explain(e.into()))?;
            store.close().await;
            if json {
                println!("{}", serde_json::to_string_pretty(&issued)?);
            } else {
                for c in &issued.codes {
                    println!("{c}");
                }
            }
            Ok(())
        }
    }
}

pub async fn run_trace(db: &DbArgs, args: TraceArgs) -> Result<()> {
    let (dir, opts) = match args.command {
        TraceCommand::Back(o) => (Direction::Back, o),
        TraceCommand::Forward(o) => (Direction::Forward, o),
    };
    if !(1..=1000).contains(&opts.depth) {
        bail!("--depth: 1 to 1000");
    }
    let target = trace_target(&opts.code).map_err(explain)?;
    let settings = Settings::resolve(db, &ServeArgs::default())?;
    let store = open_existing_store(&settings).await?;
    let caller = store
        .caller_for_username(&opts.acting_as)
        .await?
        .with_context(|| format!("--as: no user named {}", opts.acting_as))?;
    let report = store
        .trace(&caller, &target, dir, opts.depth)
        .await
        .map_err(|e| explain(e.into()))?;
    store.close().await;
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print!("{}", crate::trace_print::render(&report));
    Ok(())
}
