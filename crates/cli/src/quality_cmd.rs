//! `suyuan certificate` and `suyuan recall`: 承诺达标合格证 and recalls
//! from the command line, as a named user (`--as`), through the same store
//! rules as `/api/v1/certificates` and `/api/v1/recalls`.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use suyuan_core::quality::recall::{Accounted, PlanText};
use suyuan_labels::certificate::{certificates_pdf, CertificateSize};
use suyuan_server::api::certificates::{certificate_url, form_of};
use suyuan_server::api::trace::trace_target;
use suyuan_server::error::ApiError;
use suyuan_store::quality::certificates::NewCertificate;
use suyuan_store::quality::recalls::NewRecall;
use suyuan_store::{Caller, Store};

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::label::explain;
use crate::serve::open_existing_store;

#[derive(Debug, Subcommand)]
pub enum CertificateCommand {
    /// Issue a certificate for a lot held or a shipment despatched.
    Issue {
        #[arg(long = "as")]
        acting_as: String,
        /// A lot's code in any form, or a despatch reference.
        #[arg(long)]
        code: String,
        #[arg(long)]
        quantity: f64,
        /// kg, jin, t, g, piece, box, head.
        #[arg(long, default_value = "kg")]
        unit: String,
        /// control, self_test or commissioned_test.
        #[arg(long, default_value = "control")]
        basis: String,
        /// Also write it printed, as PDF.
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
        /// a5, 100x70 or 80x60.
        #[arg(long, default_value = "a5")]
        size: String,
    },
    /// Void one of your organisation's certificates.
    Void {
        #[arg(long = "as")]
        acting_as: String,
        number: String,
        #[arg(long)]
        reason: String,
    },
    /// Show a certificate (public: anyone may).
    Show { number: String },
}

#[derive(Debug, Subcommand)]
pub enum RecallCommand {
    /// Start a recall (or a drill) from a code or a failed test.
    Start {
        #[arg(long = "as")]
        acting_as: String,
        #[arg(long, required_unless_present = "test_event")]
        code: Option<String>,
        /// A failed test's eventID.
        #[arg(long)]
        test_event: Option<String>,
        /// 1, 2 or 3.
        #[arg(long)]
        level: String,
        #[arg(long)]
        reason: String,
        /// A drill: no public effect.
        #[arg(long)]
        drill: bool,
    },
    /// A recall's progress, holder by holder.
    Status {
        #[arg(long = "as")]
        acting_as: String,
        id: uuid::Uuid,
    },
    /// Close a recall your organisation started.
    Close {
        #[arg(long = "as")]
        acting_as: String,
        id: uuid::Uuid,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct QualityArgs {
    /// The platform's public address (certificate QR codes).
    #[arg(long, env = "SUYUAN_PUBLIC_URL", global = true)]
    public_url: Option<String>,
}

async fn open(db: &DbArgs, q: &QualityArgs) -> Result<(Store, String)> {
    let serve = ServeArgs {
        public_url: q.public_url.clone(),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(db, &serve)?;
    Ok((open_existing_store(&settings).await?, settings.public_url))
}

async fn caller(store: &Store, name: &str) -> Result<Caller> {
    store
        .caller_for_username(name)
        .await?
        .with_context(|| format!("--as: no user named {name}"))
}

fn refused(e: suyuan_store::StoreError) -> anyhow::Error {
    explain(ApiError::from(e))
}

pub async fn certificate(db: &DbArgs, q: QualityArgs, cmd: CertificateCommand) -> Result<()> {
    let (store, public_url) = open(db, &q).await?;
    let out = run_certificate(&store, &public_url, cmd).await;
    store.close().await;
    out
}

async fn run_certificate(store: &Store, public_url: &str, cmd: CertificateCommand) -> Result<()> {
    match cmd {
        CertificateCommand::Issue {
            acting_as,
            code,
            quantity,
            unit,
            basis,
            pdf,
            size,
        } => {
            let size: CertificateSize = size
                .parse()
                .map_err(|e: suyuan_core::Invalid| anyhow::anyhow!("--size: {}", e.en))?;
            let who = caller(store, &acting_as).await?;
            let subject = trace_target(&code).unwrap_or_else(|_| code.trim().to_owned());
            let cert = store
                .issue_certificate(
                    &who,
                    &NewCertificate {
                        subject,
                        quantity,
                        unit,
                        basis,
                    },
                )
                .await
                .map_err(refused)?;
            println!("{} {}", cert.number, certificate_url(public_url, &cert.number));
            if let Some(path) = pdf {
                let bytes = certificates_pdf(&[form_of(&cert, public_url)], size)
                    .map_err(|e| anyhow::anyhow!("{}", e.en))?;
                std::fs::write(&path, bytes)
                    .with_context(|| format!("--pdf: cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
        }
        CertificateCommand::Void {
            acting_as,
            number,
            reason,
        } => {
            let who = caller(store, &acting_as).await?;
            let cert = store
                .void_certificate(&who, &number, &reason)
                .await
                .map_err(refused)?;
            println!("{} void: {}", cert.number, cert.void_reason.unwrap_or_default());
        }
        CertificateCommand::Show { number } => {
            let cert = store
                .certificate(&number)
                .await?
                .with_context(|| format!("no certificate numbered {number}"))?;
            println!("{}", serde_json::to_string_pretty(&cert)?);
        }
    }
    Ok(())
}

pub async fn recall(db: &DbArgs, q: QualityArgs, cmd: RecallCommand) -> Result<()> {
    let (store, _) = open(db, &q).await?;
    let out = run_recall(&store, cmd).await;
    store.close().await;
    out
}

async fn run_recall(store: &Store, cmd: RecallCommand) -> Result<()> {
    match cmd {
        RecallCommand::Start {
            acting_as,
            code,
            test_event,
            level,
            reason,
            drill,
        } => {
            let who = caller(store, &acting_as).await?;
            let start = match &code {
                Some(c) => trace_target(c).map_err(explain)?,
                None => String::new(),
            };
            let new = NewRecall {
                start,
                test_event: code.is_none().then_some(test_event).flatten(),
                level,
                reason,
                drill,
                plan: PlanText::default(),
            };
            let started = store.start_recall(&who, &new).await.map_err(refused)?;
            println!(
                "recall {} started{}: {} units, {} holders notified, {:.3} s",
                started.id,
                if drill { " (drill)" } else { "" },
                started.affected_units,
                started.holders,
                started.seconds
            );
        }
        RecallCommand::Status { acting_as, id } => {
            let who = caller(store, &acting_as).await?;
            let r = store.recall(&who, id).await.map_err(refused)?;
            println!(
                "recall {} level {} by {}{}: {} — {} units, report plan by {}, complete by {}{}",
                r.id,
                r.level,
                r.org_name,
                if r.drill { " (drill)" } else { "" },
                r.reason,
                r.affected_count,
                chrono::DateTime::<chrono::Utc>::from_timestamp_millis(r.report_by).unwrap_or_default(),
                r.complete_by,
                if r.closed_at.is_some() { ", closed" } else { "" }
            );
            for h in &r.holders {
                println!(
                    "  {:<30} units {:>6}  sold {:>6}  acknowledged {:<5}  accounted {:>8}{}",
                    h.org_name,
                    h.units,
                    h.sold,
                    h.acknowledged_at.is_some(),
                    h.accounted.total(),
                    if h.overdue { "  OVERDUE" } else { "" }
                );
            }
        }
        RecallCommand::Close { acting_as, id, note } => {
            let who = caller(store, &acting_as).await?;
            store
                .recall_act(&who, id, "closed", &Accounted::default(), note.as_deref(), &[])
                .await
                .map_err(refused)?;
            println!("recall {id} closed");
        }
    }
    Ok(())
}
