//! `suyuan bench trace`: the traceability core on a synthetic supply chain.
//!
//! The generator makes `farms` farms (one plot each). Every farm's season is
//! eight records: sowing, fertilising, pest control, harvest (lot), processing
//! (lot → box lot), packing (boxes → pallet), shipping to a packer, and the
//! packer's receipt. Every farm's plot is a registered place, every input
//! lot a recorded purchase of a registered input, and the operator the
//! farm's named recorder, so the records pass the checks against master data
//! a real farm's do. Groups of `farms_per_input` farms share their seed,
//! fertiliser and pesticide lots, so a forward trace from one pesticide lot
//! reaches 3 × farms_per_input units. Reported: capture throughput (events/s
//! through validation, profiles, domain rules and lineage), trace back
//! p50/p99, forward trace time, public lookups per second over HTTP, item
//! code issue rate, peak memory, and on PostgreSQL the same forward walk as a
//! recursive CTE written by hand.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::Rng;
use serde_json::{json, Value};
use suyuan_core::codes::gs1_check_digit;
use suyuan_core::model::{OrgKind, ProducerForm, ProductCategory, Role};
use suyuan_core::stages::AGRI_NS;
use suyuan_store::orgs::{NewOrganisation, StatusChange};
use suyuan_store::products::NewProduct;
use suyuan_store::trace::capture::{ErrorBehaviour, ORG_URN_PREFIX};
use suyuan_store::trace::lineage::Direction;
use suyuan_store::trace::units::NewLot;
use suyuan_store::users::{hash_password, NewUser};
use suyuan_store::{Caller, Store};

use crate::bench::{load, peak_memory, percentile, with_bench_store};
use crate::demo::{gtin13, place, record, uscc_with_check, DEMO_PASSWORD};

#[derive(Debug, Args)]
pub struct TraceBench {
    /// PostgreSQL URL (a schema of its own, dropped after); without it a
    /// temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Farms (8 events each): 125000 makes 1,000,000 events.
    #[arg(long, default_value_t = 12_500)]
    farms: usize,
    /// Farms sharing one set of input lots (forward-trace fan-out / 3).
    #[arg(long, default_value_t = 3_400)]
    farms_per_input: usize,
    /// Events per captured document.
    #[arg(long, default_value_t = 2_000)]
    batch: usize,
    /// Clients capturing at the same time, each its own share of the farms
    /// in order (as several packing lines or farm gateways would).
    #[arg(long, default_value_t = 2)]
    clients: usize,
    /// Trace-back samples.
    #[arg(long, default_value_t = 1_000)]
    samples: usize,
    /// Items issued in the code-issue measurement.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Also keep the SQLite database the benchmark built, written to this
    /// file (for `suyuan verify --database-url sqlite:FILE --secret-key
    /// 0909…09` measured and profiled on its own).
    #[arg(long)]
    save_db: Option<std::path::PathBuf>,
}

fn check(a: &TraceBench) -> Result<()> {
    if !(1..=2_000_000).contains(&a.farms) {
        bail!("--farms: 1 to 2000000");
    }
    if !(1..=a.farms).contains(&a.farms_per_input) {
        bail!("--farms-per-input: 1 to --farms");
    }
    if !(8..=10_000).contains(&a.batch) {
        bail!("--batch: 8 to 10000");
    }
    if !(1..=64).contains(&a.clients) {
        bail!("--clients: 1 to 64");
    }
    if !(1..=100_000).contains(&a.samples) || !(1..=100_000).contains(&a.items) {
        bail!("--samples and --items: 1 to 100000");
    }
    Ok(())
}

pub async fn run(a: TraceBench) -> Result<()> {
    check(&a)?;
    let a = &a;
    with_bench_store(
        a.postgres.as_deref(),
        |store| async move { bench(&store, a).await },
    )
    .await
}

/// Writes the benchmark's SQLite database to `file` (`VACUUM INTO`).
async fn save_db(store: &Store, file: &std::path::Path) -> Result<()> {
    if store.backend_name() != "sqlite" {
        bail!("--save-db: SQLite only");
    }
    let path = file
        .to_str()
        .context("--save-db: a UTF-8 path")?
        .replace('\'', "''");
    store
        .db()
        .conn()
        .execute(&format!("VACUUM INTO '{path}'"), &[])
        .await?;
    println!(
        "database saved to {} (secret key: 64 times the digit pair 09)",
        file.display()
    );
    Ok(())
}

pub(crate) async fn org(
    store: &Store,
    op: &Caller,
    hash: &str,
    kind: OrgKind,
    n: u32,
    user: &str,
) -> Result<Caller> {
    let o = store
        .create_organisation(
            op,
            &NewOrganisation {
                kind,
                producer_form: (kind == OrgKind::Producer).then_some(ProducerForm::Farm),
                name: format!("基准机构 {n}"),
                uscc: uscc_with_check(&format!("91510117{n:09}"))?,
                region: "510117".into(),
                address: None,
                legal_rep_name: "张三".into(),
                legal_rep_id_number: "110105199003071239".into(),
                contact_name: "李四".into(),
                contact_phone: "13800138000".into(),
                contact_email: None,
            },
        )
        .await?;
    store
        .change_organisation_status(op, o.id, StatusChange::Verify, None)
        .await?;
    store
        .create_user(
            op,
            o.id,
            &NewUser {
                username: user.into(),
                display_name: user.into(),
                password: DEMO_PASSWORD.into(),
                role: Role::OrgAdmin,
                jurisdiction: None,
            },
            hash,
        )
        .await?;
    store.caller_for_username(user).await?.context("bench user")
}

fn doc(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": AGRI_NS}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": events}
    })
}

/// On a PostgreSQL whose autovacuum is off (as on this machine), refreshes
/// the statistics of the tables a capture grows every 15 s while loading, as
/// autovacuum would as they grow; without statistics the planner keeps
/// guessing at empty tables and capture slows down as they fill.
async fn autoanalyze_while_loading(store: &Store) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let suyuan_store::Db::Postgres(_) = store.db() else {
        return Ok(None);
    };
    let setting = store
        .db()
        .conn()
        .fetch_optional("SELECT setting FROM pg_settings WHERE name = 'autovacuum'", &[])
        .await?;
    if setting.map(|r| r.text("setting")).transpose()?.as_deref() != Some("off") {
        return Ok(None);
    }
    let store = store.clone();
    Ok(Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(15)).await;
            let analyzed = store
                .db()
                .conn()
                .execute(
                    "ANALYZE events, event_epcs, units, lineage, shipments, tlog_leaves, tlog_nodes",
                    &[],
                )
                .await;
            if let Err(e) = analyzed {
                eprintln!("ANALYZE during the load failed: {e}");
            }
        }
    })))
}

/// One client's share of the capture: its farms in documents of
/// `farms_per_doc` seasons, each followed by the packer's receipts.
async fn capture_farms(
    store: &Store,
    ids: &Ids,
    (farm, packer): (&Caller, &Caller),
    farms: std::ops::Range<usize>,
    farms_per_doc: usize,
    farms_per_input: usize,
) -> Result<()> {
    let mut f = farms.start;
    while f < farms.end {
        let end = (f + farms_per_doc).min(farms.end);
        let mut farm_events = Vec::with_capacity((end - f) * 7);
        let mut receipts = Vec::with_capacity(end - f);
        for i in f..end {
            let (ev, r) = season(ids, i, i / farms_per_input, packer);
            farm_events.extend(ev);
            receipts.push(r);
        }
        for (who, evs) in [(farm, farm_events), (packer, receipts)] {
            let job = store.capture(who, &doc(evs), ErrorBehaviour::Rollback).await?;
            if !job.success {
                bail!(
                    "generated events refused: {}",
                    serde_json::to_string(&job.errors)?
                );
            }
        }
        f = end;
    }
    Ok(())
}

fn sscc(f: usize) -> String {
    let body = format!("952{:014}", f);
    format!("{body}{}", gs1_check_digit(&body))
}

struct Ids {
    gtin: String,
    box_gtin: String,
    /// Each farm's plot (`urn:suyuan:place:{id}`).
    plots: Vec<String>,
    /// The packer's packing house.
    packing_house: String,
    /// Per group of farms: its seed, fertiliser and pesticide lots.
    inputs: Vec<[String; 3]>,
}

/// The master data the generated records name: a plot per farm, the
/// packer's packing house, the input lots of each group of farms (a
/// pesticide registered as PD20080005 with a 7-day interval), and the
/// farm's recorder, 甲.
async fn master_data(
    store: &Store,
    farm: &Caller,
    packer: &Caller,
    a: &TraceBench,
) -> Result<(Vec<String>, String, Vec<[String; 3]>)> {
    use suyuan_core::model::{InputKind, PlaceKind};
    use suyuan_store::inputs::{NewInput, NewPurchase, NewSupplier};
    use suyuan_store::orgs::DutyAssignment;
    let uri = |id: uuid::Uuid| format!("urn:suyuan:place:{id}");
    store
        .set_duty(
            farm,
            suyuan_core::model::Duty::Recording,
            &DutyAssignment {
                person_name: "甲".into(),
                phone: None,
            },
        )
        .await?;
    let base = store
        .create_place(farm, &place(PlaceKind::ProductionBase, "基准基地", None, |_| {}))
        .await?;
    let mut plots = Vec::with_capacity(a.farms);
    for f in 0..a.farms {
        let plot = store
            .create_place(
                farm,
                &place(PlaceKind::Plot, &format!("地块 {f}"), Some(base.id), |_| {}),
            )
            .await?;
        plots.push(uri(plot.id));
    }
    let house = store
        .create_place(
            packer,
            &place(PlaceKind::PackingHouse, "基准包装厂", None, |_| {}),
        )
        .await?;
    let supplier = store
        .create_supplier(
            farm,
            &NewSupplier {
                name: "基准农资".into(),
                uscc: None,
                contact_name: None,
                contact_phone: None,
                address: None,
                licence_number: None,
            },
        )
        .await?;
    let kinds = [
        (InputKind::Seed, None, None),
        (InputKind::Fertiliser, None, None),
        (InputKind::Pesticide, Some("PD20080005"), Some(7)),
    ];
    let mut inputs = Vec::new();
    for (kind, reg, phi) in kinds {
        inputs.push(
            store
                .create_input(
                    farm,
                    &NewInput {
                        kind,
                        name: format!("基准{}", kind.zh()),
                        manufacturer: None,
                        registration_number: reg.map(Into::into),
                        active_ingredient: None,
                        pre_harvest_interval_days: phi,
                        specification: None,
                        unit: "袋".into(),
                    },
                )
                .await?,
        );
    }
    let mut lots = Vec::new();
    for g in 0..a.farms.div_ceil(a.farms_per_input) {
        let mut group = Vec::new();
        for input in &inputs {
            let p = store
                .create_purchase(
                    farm,
                    &NewPurchase {
                        input_id: input.id,
                        supplier_id: supplier.id,
                        lot_number: format!("G{g}"),
                        quantity: 100.0,
                        unit: "袋".into(),
                        purchased_on: "2025-02-01".into(),
                        storage_place_id: None,
                        storage_conditions: None,
                    },
                )
                .await?;
            group.push(suyuan_core::refs::input_lot_canonical(p.id));
        }
        let [seed, fert, pest]: [String; 3] = group
            .try_into()
            .map_err(|_| anyhow::anyhow!("three input lots"))?;
        lots.push([seed, fert, pest]);
    }
    Ok((plots, uri(house.id), lots))
}

fn lot_uri(ids: &Ids, f: usize) -> String {
    format!("https://id.gs1.org/01/{}/10/F{f}", ids.gtin)
}
fn box_uri(ids: &Ids, f: usize) -> String {
    format!("https://id.gs1.org/01/{}/10/B{f}", ids.box_gtin)
}

/// The farm's season, as the farm records it (the receipt is the packer's).
fn season(ids: &Ids, f: usize, group: usize, packer: &Caller) -> (Vec<Value>, Value) {
    let plot = &ids.plots[f];
    let [seed, fert, pest] = &ids.inputs[group];
    let step = |s: &str| format!("https://suyuan.dev/ns/agri/bizstep/{s}");
    let day = |d: u32, h: u32| format!("2025-{:02}-{:02}T{:02}:00:00+08:00", 3 + d / 28, 1 + d % 28, h);
    let lot = lot_uri(ids, f);
    let boxes = box_uri(ids, f);
    let pallet = format!("https://id.gs1.org/00/{}", sscc(f));
    let desadv = json!([{"type": "desadv", "bizTransaction": format!("urn:suyuan:desadv:bench-{f}")}]);
    let farm_events = vec![
        record(
            "sowing",
            &day(0, 8),
            "ObjectEvent",
            &step("sowing"),
            json!({"action": "OBSERVE", "epcList": [],
            "bizLocation": {"id": plot}, "agri:variety": "二荆条",
            "agri:inputLot": seed, "agri:operator": "甲"}),
        ),
        record(
            "fertilising",
            &day(10, 9),
            "ObjectEvent",
            &step("fertilising"),
            json!({"action": "OBSERVE", "epcList": [],
            "bizLocation": {"id": plot}, "agri:inputLot": fert,
            "agri:dose": "200 kg/亩", "agri:method": "沟施", "agri:operator": "甲"}),
        ),
        record(
            "pest_control",
            &day(20, 16),
            "ObjectEvent",
            &step("pest_control"),
            json!({"action": "OBSERVE",
            "epcList": [], "bizLocation": {"id": plot}, "agri:inputLot": pest,
            "agri:registrationNumber": "PD20080005", "agri:dose": "20 g/亩", "agri:method": "喷雾",
            "agri:target": "蚜虫", "agri:preHarvestIntervalDays": 7, "agri:operator": "甲"}),
        ),
        record(
            "harvest",
            &day(40, 6),
            "ObjectEvent",
            "commissioning",
            json!({"action": "ADD", "epcList": [],
            "bizLocation": {"id": plot}, "quantityList": [{"epcClass": lot, "quantity": 1000, "uom": "KGM"}],
            "agri:harvestMethod": "人工", "agri:operator": "甲"}),
        ),
        record(
            "processing",
            &day(41, 9),
            "TransformationEvent",
            "commissioning",
            json!({
            "inputQuantityList": [{"epcClass": lot, "quantity": 1000, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": boxes, "quantity": 2000, "uom": "H87"}],
            "bizLocation": {"id": plot}, "agri:method": "分级包装"}),
        ),
        record(
            "packing",
            &day(41, 11),
            "AggregationEvent",
            "packing",
            json!({"action": "ADD", "parentID": pallet,
            "childQuantityList": [{"epcClass": boxes, "quantity": 2000, "uom": "H87"}],
            "bizLocation": {"id": plot}, "agri:method": "装托"}),
        ),
        record(
            "shipping",
            &day(42, 6),
            "ObjectEvent",
            "shipping",
            json!({"action": "OBSERVE", "epcList": [pallet],
            "bizTransactionList": desadv,
            "destinationList": [{"type": "owning_party", "destination": format!("{ORG_URN_PREFIX}{}", packer.org_id)}],
            "agri:carrier": "冷链", "agri:transportMode": "公路", "agri:temperatureClass": "2-8 ℃"}),
        ),
    ];
    let receipt = record(
        "receiving",
        &day(42, 14),
        "ObjectEvent",
        "receiving",
        json!({"action": "OBSERVE",
        "epcList": [pallet], "bizTransactionList": desadv, "bizLocation": {"id": ids.packing_house}}),
    );
    (farm_events, receipt)
}

async fn bench(store: &Store, a: &TraceBench) -> Result<()> {
    let backend = store.backend_name();
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let farm = org(store, &op, &hash, OrgKind::Producer, 1, "bench-farm").await?;
    let packer = org(store, &op, &hash, OrgKind::Processor, 2, "bench-packer").await?;
    let product = |gtin: String, name: &str| NewProduct {
        gtin,
        company_prefix: None,
        name: name.into(),
        category: ProductCategory::Vegetable,
        variety: None,
        specification: None,
        unit: "KGM".into(),
        shelf_life_days: None,
        origin_region: None,
        origin: None,
        description: None,
        certifications: vec![],
    };
    let p1 = store
        .create_product(&farm, &product(gtin13("952000000001"), "辣椒"))
        .await?;
    let p2 = store
        .create_product(&farm, &product(gtin13("952000000002"), "辣椒盒装"))
        .await?;
    println!(
        "backend={backend}: registering {} plots and the input lots …",
        a.farms
    );
    let (plots, packing_house, inputs) = master_data(store, &farm, &packer, a).await?;
    let ids = Ids {
        gtin: p1.gtin.clone(),
        box_gtin: p2.gtin.clone(),
        plots,
        packing_house,
        inputs,
    };

    // Capture.
    let events_total = a.farms * 8;
    println!(
        "backend={backend}: capturing {events_total} events ({} farms) in documents of ≤{} …",
        a.farms, a.batch
    );
    let farms_per_doc = (a.batch / 7).max(1);
    let analyzer = autoanalyze_while_loading(store).await?;
    let cpu_before = crate::bench::cpu_seconds();
    let started = Instant::now();
    let ids = std::sync::Arc::new(ids);
    let per_client = a.farms.div_ceil(a.clients);
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..a.clients {
        let farms = c * per_client..((c + 1) * per_client).min(a.farms);
        let (store, ids, farm, packer) = (store.clone(), ids.clone(), farm.clone(), packer.clone());
        let farms_per_input = a.farms_per_input;
        clients.spawn(async move {
            capture_farms(
                &store,
                &ids,
                (&farm, &packer),
                farms,
                farms_per_doc,
                farms_per_input,
            )
            .await
        });
    }
    while let Some(client) = clients.join_next().await {
        client??;
    }
    let capture_s = started.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(crate::bench::cpu_seconds())
        .map(|(before, after)| after - before);
    if let Some(analyzer) = analyzer {
        analyzer.abort();
    }
    println!(
        "capture                 {:>10.0} events/s   ({events_total} events in {capture_s:.1} s, {} clients)   target ≥ 20000",
        events_total as f64 / capture_s,
        a.clients
    );
    if let Some(cpu) = cpu {
        println!(
            "capture CPU             {:>10.1} µs/event   ({:.2} cores busy on average; this process, generator included)",
            cpu * 1e6 / events_total as f64,
            cpu / capture_s
        );
    }

    if let suyuan_store::Db::Postgres(_) = store.db() {
        // Fresh statistics, as autovacuum gathers them shortly after a bulk
        // load; without them the planner guesses at empty tables.
        store.db().conn().execute("ANALYZE", &[]).await?;
    }

    // Trace back from random pallets.
    let mut rng = rand::thread_rng();
    let mut lat = Vec::with_capacity(a.samples);
    for _ in 0..a.samples {
        let f = rng.gen_range(0..a.farms);
        let pallet = format!("https://id.gs1.org/00/{}", sscc(f));
        let t = Instant::now();
        let r = store.trace_unchecked(&pallet, Direction::Back, 50).await?;
        lat.push(t.elapsed());
        if r.units.len() < 6 {
            bail!("trace back from {pallet} reached only {} units", r.units.len());
        }
    }
    lat.sort();
    println!(
        "trace back (pallet)     p50 {:>7.2} ms   p99 {:>7.2} ms   at {events_total} events   target p99 ≤ 5 ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // Forward trace from a pesticide lot.
    let pest = ids.inputs[0][2].as_str();
    let mut fwd = Vec::new();
    let mut reached = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = store.walk_lineage(pest, Direction::Forward, 50).await?;
        fwd.push(t.elapsed());
        reached = r.len() - 1;
    }
    fwd.sort();
    println!(
        "forward walk (pest lot) {:>7.2} ms median   {reached} units reached   target ≤ 100 ms at ≥ 10000 units",
        percentile(&fwd, 0.5)
    );
    let t = Instant::now();
    let report = store.trace_unchecked(pest, Direction::Forward, 50).await?;
    println!(
        "forward trace report    {:>7.2} ms   ({} units, {} events, {} organisations)",
        t.elapsed().as_secs_f64() * 1000.0,
        report.units.len(),
        report.events.len(),
        report.organisations.len()
    );
    if let suyuan_store::Db::Postgres(_) = store.db() {
        let t = Instant::now();
        let n = store.forward_count_by_cte(pest).await?;
        let cte = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "recursive CTE (by hand) {cte:>7.2} ms   {n} units   ratio CTE / our walk = {:.2}",
            cte / (percentile(&fwd, 0.5)).max(0.001)
        );
    }

    // The transparency log on the same data: offline proof bundles read
    // from the database and checked, and `suyuan verify`'s rate.
    store.checkpoint().await?;
    let trusted = store.trusted_log().await?;
    let logged: Vec<String> = store
        .db()
        .conn()
        .fetch_all(
            "SELECT event_id FROM tlog_leaves WHERE record_kind IS NULL ORDER BY idx LIMIT 100000",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.text("event_id"))
        .collect::<Result<_, _>>()?;
    let (mut make, mut check) = (Vec::new(), Vec::new());
    for _ in 0..a.samples.min(1000) {
        let id = &logged[rng.gen_range(0..logged.len())];
        let t = Instant::now();
        let bundle = store.proof_bundle(id).await?;
        make.push(t.elapsed());
        let t = Instant::now();
        suyuan_ledger::bundle::verify_bundle(&bundle, &trusted)?;
        check.push(t.elapsed());
    }
    make.sort();
    check.sort();
    println!(
        "proof bundle (database)  p50 {:>7.2} ms   p99 {:>7.2} ms   offline check p50 {:.3} ms",
        percentile(&make, 0.5),
        percentile(&make, 0.99),
        percentile(&check, 0.5)
    );
    println!(
        "peak memory so far      {}   (before verify)",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    let report = store.verify_log().await?;
    if !report.is_ok() {
        bail!(
            "the benchmark's own log does not verify: {:?}",
            report.problems.first()
        );
    }
    println!(
        "suyuan verify           {:>10.0} records/s   ({} records in {:.1} s; replayed {} events into {} units)",
        report.leaves as f64 / report.seconds.max(1e-9),
        report.leaves,
        report.seconds,
        report.events_replayed,
        report.units_derived
    );
    println!(
        "peak memory after verify {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    if let Some(file) = &a.save_db {
        save_db(store, file).await?;
    }

    // Item codes.
    let lot = store
        .create_lot(
            &farm,
            &NewLot {
                product_id: p2.id,
                date: "2025-05-01".into(),
                site: "Z9".into(),
                origin_place_id: None,
            },
        )
        .await?;
    let t = Instant::now();
    let issued = store.issue_items(&farm, lot.id, a.items, None).await?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "item codes issued       {:>10.0} codes/s   ({} in {s:.2} s)   target ≥ 100000",
        issued.count as f64 / s,
        issued.count
    );
    // A lot of 10,000 items, whose console page draws its forward trace.
    let tree_lot = store
        .create_lot(
            &farm,
            &NewLot {
                product_id: p2.id,
                date: "2025-05-02".into(),
                site: "Z8".into(),
                origin_place_id: None,
            },
        )
        .await?;
    store.issue_items(&farm, tree_lot.id, 10_000, None).await?;

    // Public lookups over HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = suyuan_server::app_with(store.clone(), suyuan_server::ServerConfig::benchmark());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(suyuan_server::serve(listener, app, async {
        let _ = stop_rx.await;
    }));
    let paths: Vec<String> = (0..1000)
        .map(|_| format!("/01/{}/10/F{}", ids.gtin, rng.gen_range(0..a.farms)))
        .collect();
    load(addr, &paths, "-", 8, 200).await?;
    let r = load(addr, &paths, "-", 8, 4000).await?;
    println!(
        "public trace pages      {:>10.0} req/s   p50 {:.2} ms   p99 {:.2} ms (8 connections, HTML)",
        r.per_second, r.p50_ms, r.p99_ms
    );
    console_pages(store, &farm, &ids, a.farms, tree_lot.id, addr).await?;
    crate::bench_recall::recall_step(store, (&op, &farm), &hash, 10_000, 100).await?;
    let _ = stop_tx.send(());
    server.await??;
    println!(
        "peak memory (VmHWM)     {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// Server time of the console's dashboard and of a harvested lot's page (its
/// codes, timeline and both trace trees), signed in as the farm's user.
async fn console_pages(
    store: &Store,
    farm: &Caller,
    ids: &Ids,
    farms: usize,
    tree_lot: uuid::Uuid,
    addr: std::net::SocketAddr,
) -> Result<()> {
    let session = store.open_session(farm.user_id).await?;
    let cookie = format!("suyuan_session={}", session.token);
    let mut rng = rand::thread_rng();
    let mut lots = Vec::new();
    for _ in 0..200 {
        let epc = lot_uri(ids, rng.gen_range(0..farms));
        if let Some(u) = store.find_unit(&epc).await? {
            lots.push(format!("/console/lots/{}", u.id));
        }
    }
    // A lot of 10,000 items: its page's forward trace is a tree of them all.
    let tree = vec![format!("/console/lots/{tree_lot}")];
    for (name, paths, requests) in [
        ("console dashboard", vec!["/console/".to_owned()], 1000),
        ("console lot page", lots, 1000),
        ("console trace tree", tree, 40),
    ] {
        let Some(first) = paths.first() else {
            println!("{name:<23} (no such page in this run)");
            continue;
        };
        let weight = crate::bench::fetch(addr, first, &cookie).await?.1.len();
        load(addr, &paths, &cookie, 4, requests / 10).await?;
        let r = load(addr, &paths, &cookie, 4, requests).await?;
        println!(
            "{name:<23} {:>10.0} req/s   p50 {:.2} ms   p99 {:.2} ms (4 connections, HTML, {} KiB)",
            r.per_second,
            r.p50_ms,
            r.p99_ms,
            weight.div_ceil(1024)
        );
    }
    Ok(())
}
