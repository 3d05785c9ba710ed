//! `suyuan label`: print-ready labels for a lot's items or listed codes, as
//! a named user (`--as`), through the same store rules and rendering as
//! `GET /api/v1/labels`.

use anyhow::{Context, Result};
use clap::Args;
use suyuan_server::api::labels::{label_file, LabelQuery};
use suyuan_server::error::ApiError;

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::serve::open_existing_store;

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// The user to act as (a recorder of the organisation owning or holding the units).
    #[arg(long = "as")]
    acting_as: String,
    /// A lot's code in any form: a label for each of its items.
    #[arg(long, conflicts_with = "codes", required_unless_present = "codes")]
    lot: Option<String>,
    /// Lot or item codes in any form: a label each.
    codes: Vec<String>,
    /// With --lot: the first item to print (1-based, in serial order); a
    /// file holds at most 20,000 labels.
    #[arg(long, requires = "lot")]
    from: Option<u32>,
    /// 40x30, 50x30, 60x40 (roll labels, mm), or A4 sheets: a4 (2 x 5
    /// labels), a4-3x8 (3 x 8) or a4-4x10 (4 x 10).
    #[arg(long, default_value = "50x30")]
    size: String,
    /// pdf, tspl (TSC, Gprinter, Xprinter) or zpl (Zebra).
    #[arg(long, default_value = "pdf")]
    format: String,
    /// Printer files: the printer's resolution, 203 or 300 dpi.
    #[arg(long, default_value_t = 203)]
    dpi: u32,
    /// A4 sheets: the positions of the first sheet already used (row by row
    /// from the top left), left empty.
    #[arg(long)]
    skip: Option<u32>,
    /// Where to write the file.
    #[arg(long)]
    out: std::path::PathBuf,
    /// The platform's public address, the origin of the Digital Links in the QR codes.
    #[arg(long, env = "SUYUAN_PUBLIC_URL")]
    public_url: Option<String>,
}

/// An API refusal as a command-line error, naming the flag at fault.
pub(crate) fn explain(e: ApiError) -> anyhow::Error {
    let flag = match e.field.as_deref() {
        Some("codes") => "CODE".to_owned(),
        Some(f) => format!("--{f}"),
        None => String::new(),
    };
    let sep = if flag.is_empty() { "" } else { ": " };
    anyhow::anyhow!("{flag}{sep}{} [{}] / {}", e.en, e.code, e.zh)
}

pub async fn run(db: &DbArgs, args: LabelArgs) -> Result<()> {
    let query = LabelQuery {
        lot: args.lot.clone(),
        codes: (!args.codes.is_empty()).then(|| args.codes.join(",")),
        size: Some(args.size.clone()),
        format: Some(args.format.clone()),
        dpi: Some(args.dpi),
        from: args.from,
        skip: args.skip,
    };
    let (target, opts) = query.parse().map_err(explain)?;
    let serve = ServeArgs {
        public_url: args.public_url.clone(),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(db, &serve)?;
    let store = open_existing_store(&settings).await?;
    let caller = store
        .caller_for_username(&args.acting_as)
        .await?
        .with_context(|| format!("--as: no user named {}", args.acting_as))?;
    let file = label_file(&store, &caller, &settings.public_url, &target, opts).await;
    store.close().await;
    let file = file.map_err(explain)?;
    std::fs::write(&args.out, &file)
        .with_context(|| format!("--out: cannot write {}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes, {} {})",
        args.out.display(),
        file.len(),
        opts.size,
        opts.format
    );
    Ok(())
}
