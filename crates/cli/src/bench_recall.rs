//! `suyuan bench recall`, and the recall step of `suyuan bench trace`: a
//! lot whose items reached `shops` shops (`items` items packed in one case
//! per shop, shipped and received), then a recall started on the lot.
//! Reported: the time to compute the affected set and record the recall
//! (every holder notified: its inbox lists it), a holder's inbox read, and
//! the recall's export to XLSX and CSV. Within `bench trace` it runs on top
//! of the synthetic chain (10^6 events with `--farms 125000`).

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use suyuan_core::codes::gs1_check_digit;
use suyuan_core::codes::trace::TraceUnit;
use suyuan_core::model::{OrgKind, PlaceKind, ProductCategory};
use suyuan_core::quality::recall::PlanText;
use suyuan_store::products::NewProduct;
use suyuan_store::quality::recalls::NewRecall;
use suyuan_store::trace::capture::PLACE_URN_PREFIX;
use suyuan_store::trace::units::NewLot;
use suyuan_store::users::hash_password;
use suyuan_store::{Caller, Store};

use crate::bench::{peak_memory, with_bench_store};
use crate::bench_trace::org;
use crate::demo::{capture_all, gtin13, place, receiving, record, shipping, DEMO_PASSWORD};

#[derive(Debug, Args)]
pub struct RecallBench {
    /// PostgreSQL URL (a schema of its own, dropped after); without it a
    /// temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Items of the recalled lot.
    #[arg(long, default_value_t = 10_000)]
    items: usize,
    /// Shops the items reached (one case each).
    #[arg(long, default_value_t = 100)]
    shops: usize,
}

pub async fn run(a: RecallBench) -> Result<()> {
    if !(1..=100_000).contains(&a.items) || !(1..=1000).contains(&a.shops) || a.shops > a.items {
        bail!("--items: 1 to 100000; --shops: 1 to 1000 and at most --items");
    }
    let a = &a;
    with_bench_store(a.postgres.as_deref(), |store| async move {
        let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
        store.bootstrap("平台运营方", "110000", &hash).await?;
        let op = store.caller_for_username("admin").await?.context("operator")?;
        let farm = org(&store, &op, &hash, OrgKind::Producer, 1, "bench-farm").await?;
        recall_step(&store, (&op, &farm), &hash, a.items, a.shops).await?;
        println!(
            "peak memory (VmHWM)     {}",
            peak_memory().unwrap_or_else(|| "unknown".into())
        );
        Ok(())
    })
    .await
}

/// The recall measurement on `store` (see the module doc).
pub(crate) async fn recall_step(
    store: &Store,
    (op, farm): (&Caller, &Caller),
    hash: &str,
    items: usize,
    shops: usize,
) -> Result<()> {
    println!("recall: {items} items of one lot to {shops} shops …");
    let product = store
        .create_product(
            farm,
            &NewProduct {
                gtin: gtin13("952000000077"),
                company_prefix: None,
                name: "召回基准黄瓜".into(),
                category: ProductCategory::Vegetable,
                variety: None,
                specification: None,
                unit: "H87".into(),
                shelf_life_days: None,
                origin_region: None,
                origin: None,
                description: None,
                certifications: vec![],
            },
        )
        .await?;
    let lot = store
        .create_lot(
            farm,
            &NewLot {
                product_id: product.id,
                date: "2026-06-01".into(),
                site: "R1".into(),
                origin_place_id: None,
            },
        )
        .await?;
    let issued = store.issue_items(farm, lot.id, items, None).await?;
    let epcs: Vec<String> = issued
        .codes
        .iter()
        .filter_map(|c| TraceUnit::parse_flat(c).ok())
        .filter_map(|u| suyuan_store::trace::canonical_epc(&u).ok())
        .collect();
    let packing = store
        .create_place(
            farm,
            &place(PlaceKind::PackingHouse, "召回基准包装间", None, |_| {}),
        )
        .await?;
    let packing_uri = format!("{PLACE_URN_PREFIX}{}", packing.id);
    let per_case = items.div_ceil(shops);
    for (s, chunk) in epcs.chunks(per_case).enumerate() {
        let shop = org(
            store,
            op,
            hash,
            OrgKind::Retailer,
            1000 + s as u32,
            &format!("bench-shop-{s}"),
        )
        .await?;
        let store_place = store
            .create_place(
                &shop,
                &place(PlaceKind::Store, &format!("门店 {s}"), None, |_| {}),
            )
            .await?;
        let body = format!("952{:014}", 7_000_000 + s);
        let case = format!("https://id.gs1.org/00/{body}{}", gs1_check_digit(&body));
        let reference = format!("RB-{s}");
        let what = json!({"epcList": [case]});
        capture_all(
            store,
            farm,
            vec![
                record(
                    "packing",
                    "2026-06-02T08:00:00+08:00",
                    "AggregationEvent",
                    "packing",
                    json!({"action": "ADD", "parentID": case, "childEPCs": chunk,
                           "bizLocation": {"id": packing_uri}, "agri:method": "纸箱装"}),
                ),
                shipping("2026-06-02T10:00:00+08:00", &reference, &what, farm, &shop),
            ],
        )
        .await?;
        let at = format!("{PLACE_URN_PREFIX}{}", store_place.id);
        capture_all(
            store,
            &shop,
            vec![receiving("2026-06-02T16:00:00+08:00", &reference, &what, &at)],
        )
        .await?;
    }

    let started = Instant::now();
    let recall = store
        .start_recall(
            farm,
            &NewRecall {
                start: lot.epc.clone(),
                test_event: None,
                level: "1".into(),
                reason: "基准测试：假设农残超标".into(),
                drill: false,
                plan: PlanText::default(),
            },
        )
        .await?;
    let compute = started.elapsed().as_secs_f64();
    println!(
        "recall start            {:>10.3} s   ({} units, {} holders: affected set, record, notices)",
        compute, recall.affected_units, recall.holders
    );
    let shop0 = store.caller_for_username("bench-shop-0").await?.context("shop")?;
    let started = Instant::now();
    let inbox = store.recalls_for(&shop0).await?;
    println!(
        "holder's inbox          {:>10.1} ms  ({} recall, its progress by holder)",
        started.elapsed().as_secs_f64() * 1000.0,
        inbox.len()
    );
    let started = Instant::now();
    let r = store.recall(farm, recall.id).await?;
    let units = store.recall_units(farm, recall.id).await?;
    let read = started.elapsed().as_secs_f64();
    let rows: Vec<Vec<String>> = units
        .iter()
        .map(|u| vec![u.epc.clone(), u.holder_name.clone(), u.sold.to_string()])
        .collect();
    let table = suyuan_server::export::Table {
        sheet: "recall".into(),
        headers: vec!["epc", "holder", "sold"],
        rows,
    };
    let started = Instant::now();
    let xlsx = suyuan_server::export::xlsx(&table).map_err(|e| anyhow::anyhow!(e.en))?;
    let xlsx_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let csv = suyuan_server::export::csv(&table);
    println!(
        "recall export           {:>10.3} s   read {} units and {} holders; XLSX {:.3} s ({} KiB); CSV {:.3} s ({} KiB)",
        read + xlsx_s,
        units.len(),
        r.holders.len(),
        xlsx_s,
        xlsx.len() / 1024,
        started.elapsed().as_secs_f64(),
        csv.len() / 1024
    );
    Ok(())
}
