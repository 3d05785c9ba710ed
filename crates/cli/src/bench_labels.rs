//! `suyuan bench labels`: labels per second for one lot's items (10,000 by
//! default) on a throw-away store: reading the label data (the store's
//! caller-scoped query) and rendering each format, then the whole request
//! as `GET /api/v1/labels` does it.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_core::model::{OrgKind, ProductCategory};
use suyuan_labels::{render, Format, Options, Size};
use suyuan_server::api::labels::{label_file, label_of, LabelTarget};
use suyuan_store::products::NewProduct;
use suyuan_store::trace::units::NewLot;
use suyuan_store::users::hash_password;
use suyuan_store::Store;

use crate::bench::with_bench_store;
use crate::bench_trace::org;
use crate::demo::{gtin13, DEMO_PASSWORD};

#[derive(Debug, Args)]
pub struct LabelBench {
    /// PostgreSQL URL to benchmark on (a schema of its own, dropped after);
    /// without it, a temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Items of the lot, one label each.
    #[arg(long, default_value_t = 10_000)]
    items: usize,
}

const PUBLIC_URL: &str = "https://trace.example.cn";

pub async fn run(a: LabelBench) -> Result<()> {
    if !(1..=suyuan_store::labels::MAX_LABEL_UNITS).contains(&a.items) {
        bail!("--items: 1 to {}", suyuan_store::labels::MAX_LABEL_UNITS);
    }
    let a = &a;
    with_bench_store(
        a.postgres.as_deref(),
        |store| async move { bench(&store, a).await },
    )
    .await
}

async fn bench(store: &Store, a: &LabelBench) -> Result<()> {
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let farm = org(store, &op, &hash, OrgKind::Producer, 1, "bench-farm").await?;
    let product = store
        .create_product(
            &farm,
            &NewProduct {
                gtin: gtin13("952000000009"),
                company_prefix: None,
                name: "赣南脐橙（特级）".into(),
                category: ProductCategory::Fruit,
                variety: None,
                specification: None,
                unit: "KGM".into(),
                shelf_life_days: Some(30),
                origin_region: None,
                origin: None,
                description: None,
                certifications: vec![],
            },
        )
        .await?;
    let lot = store
        .create_lot(
            &farm,
            &NewLot {
                product_id: product.id,
                date: "2025-11-20".into(),
                site: "G1".into(),
                origin_place_id: None,
            },
        )
        .await?;
    store.issue_items(&farm, lot.id, a.items, None).await?;
    println!("backend={}: {} items of one lot", store.backend_name(), a.items);

    let t = Instant::now();
    let data = store.lot_label_data(&farm, &lot.epc, 1).await?;
    let labels = data
        .iter()
        .map(|d| label_of(d, PUBLIC_URL))
        .collect::<Result<Vec<_>, _>>()?;
    report("label data read", labels.len(), t.elapsed().as_secs_f64(), None);

    for (size, format) in [
        (Size::Roll50x30, Format::Pdf),
        (Size::A4, Format::Pdf),
        (Size::Roll50x30, Format::Tspl),
        (Size::Roll50x30, Format::Zpl),
    ] {
        let labels = labels.clone();
        let t = Instant::now();
        let bytes =
            tokio::task::spawn_blocking(move || render(&labels, Options::new(size, format))).await??;
        let what = format!("render {format} {size}");
        report(&what, a.items, t.elapsed().as_secs_f64(), Some(bytes.len()));
    }

    let t = Instant::now();
    let opts = Options::new(Size::Roll50x30, Format::Pdf);
    let bytes = label_file(
        store,
        &farm,
        PUBLIC_URL,
        &LabelTarget::Lot(lot.epc.clone(), 1),
        opts,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{} [{}]", e.en, e.code))?;
    report(
        "request pdf 50x30",
        a.items,
        t.elapsed().as_secs_f64(),
        Some(bytes.len()),
    );
    Ok(())
}

fn report(what: &str, n: usize, secs: f64, bytes: Option<usize>) {
    let size = bytes
        .map(|b| {
            format!(
                "   {:.1} MB, {:.1} KB/label",
                b as f64 / 1e6,
                b as f64 / 1e3 / n as f64
            )
        })
        .unwrap_or_default();
    println!(
        "{what:<24} {:>9.0} labels/s   ({n} in {secs:.2} s){size}",
        n as f64 / secs
    );
}
