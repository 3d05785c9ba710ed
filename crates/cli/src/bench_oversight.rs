//! `suyuan bench oversight`: the regulator's dashboard and a records
//! sampling check over a jurisdiction of many enterprises and many events.
//!
//! The enterprises are registered and verified through the store (each a
//! logged `org_record`); the events are rows inserted directly (the
//! dashboard and the check read only `events`, and a capture of 10^6
//! records would measure the capture), spread evenly over the enterprises
//! and over a year. So every record the check draws has no leaf, and the
//! check reports each as such: the full work of a check, measured.
//! At the scale (`--events 1000000`, the 10^6 events of
//! `bench trace --farms 125000`, over 1,000 enterprises) the events go in
//! one transaction per 100,000 with a line of progress each.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_core::model::{OrgKind, ProducerForm, Role};
use suyuan_store::db::Val;
use suyuan_store::orgs::{NewOrganisation, StatusChange};
use suyuan_store::users::{hash_password, NewUser};
use suyuan_store::Store;

use crate::bench::with_bench_store;
use crate::demo::{uscc_with_check, DEMO_PASSWORD};

/// Events inserted per transaction.
const COMMIT_EVERY: usize = 100_000;

#[derive(Debug, Args)]
pub struct OversightBench {
    /// PostgreSQL URL (a schema of its own, dropped after); without it, a
    /// temporary SQLite database.
    #[arg(long)]
    postgres: Option<String>,
    /// Enterprises in the jurisdiction.
    #[arg(long, default_value_t = 1000)]
    enterprises: usize,
    /// Events, spread over the enterprises.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Dashboard loads and checks to time.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

pub async fn run(b: OversightBench) -> Result<()> {
    if !(1..=100_000).contains(&b.enterprises)
        || !(1..=10_000_000).contains(&b.events)
        || !(1..=1000).contains(&b.runs)
    {
        bail!("--enterprises 1 to 100000, --events 1 to 10000000, --runs 1 to 1000");
    }
    let b = &b;
    with_bench_store(
        b.postgres.as_deref(),
        |store| async move { bench(&store, b).await },
    )
    .await
}

fn organisation(i: usize) -> Result<NewOrganisation> {
    Ok(NewOrganisation {
        kind: OrgKind::Producer,
        producer_form: Some(ProducerForm::Farm),
        name: format!("基准企业 {i:05}"),
        uscc: uscc_with_check(&format!("92510117MA{i:07}"))?,
        region: "510117".into(),
        address: None,
        legal_rep_name: "张三".into(),
        legal_rep_id_number: "110105199003071239".into(),
        contact_name: "李四".into(),
        contact_phone: "13800138000".into(),
        contact_email: None,
    })
}

async fn bench(store: &Store, b: &OversightBench) -> Result<()> {
    println!(
        "setting up on {}: {} enterprises, {} events …",
        store.backend_name(),
        b.enterprises,
        b.events
    );
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    store.bootstrap("平台运营方", "110000", &hash).await?;
    let op = store.caller_for_username("admin").await?.context("operator")?;
    let mut regulator = organisation(0)?;
    regulator.kind = OrgKind::Regulator;
    regulator.producer_form = None;
    regulator.name = "基准监管局".into();
    regulator.uscc = uscc_with_check("11510100MB0000001")?;
    regulator.region = "510100".into();
    let reg = store.create_organisation(&op, &regulator).await?;
    store
        .change_organisation_status(&op, reg.id, StatusChange::Verify, None)
        .await?;
    // The operator makes the regulator's first admin, who makes the officer.
    store
        .create_user(
            &op,
            reg.id,
            &NewUser {
                username: "bench-reg-admin".into(),
                display_name: "管理员".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::OrgAdmin,
                jurisdiction: None,
            },
            &hash,
        )
        .await?;
    let reg_admin = store
        .caller_for_username("bench-reg-admin")
        .await?
        .context("regulator admin")?;
    store
        .create_user(
            &reg_admin,
            reg.id,
            &NewUser {
                username: "bench-officer".into(),
                display_name: "监管员".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::Officer,
                jurisdiction: Some("5101".into()),
            },
            &hash,
        )
        .await?;
    let officer = store
        .caller_for_username("bench-officer")
        .await?
        .context("officer")?;
    let started = Instant::now();
    let mut orgs = Vec::with_capacity(b.enterprises);
    for i in 1..=b.enterprises {
        let o = store.create_organisation(&op, &organisation(i)?).await?;
        store
            .change_organisation_status(&op, o.id, StatusChange::Verify, None)
            .await?;
        orgs.push(o.id);
        if i % 250 == 0 {
            println!("  … {i} enterprises");
        }
    }
    println!(
        "enterprises registered and verified in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let year_ms: i64 = 365 * 24 * 3600 * 1000;
    let now = suyuan_store::now_ms();
    let mut tx = store.db().begin().await?;
    let mut values: Vec<Val> = Vec::with_capacity(9 * 10_000);
    for i in 0..b.events {
        // One transaction per 100,000 events, with a line of progress: at
        // 10^6 events neither the write-ahead log nor the silence grows
        // without bound.
        if i > 0 && i % COMMIT_EVERY == 0 {
            tx.commit().await?;
            println!("  … {i} events ({:.1} s)", started.elapsed().as_secs_f64());
            tx = store.db().begin().await?;
        }
        let t = now - year_ms + (i as i64 * year_ms) / b.events as i64;
        let id = uuid::Uuid::now_v7();
        values.extend([
            id.into(),
            format!("urn:uuid:{id}").into(),
            orgs[i % orgs.len()].into(),
            "ObjectEvent".into(),
            t.into(),
            "+08:00".into(),
            t.into(),
            false.into(),
            format!("{{\"type\":\"ObjectEvent\",\"eventID\":\"urn:uuid:{id}\"}}").into(),
        ]);
        if values.len() >= 9 * 10_000 || i + 1 == b.events || (i + 1) % COMMIT_EVERY == 0 {
            tx.insert_rows(
                "INSERT INTO events (id, event_id, org_id, event_type, event_time, time_zone_offset, record_time, \
                 is_error_declaration, document)",
                9,
                &values,
                "",
            )
            .await?;
            values.clear();
        }
    }
    tx.commit().await?;
    println!("events inserted in {:.1} s", started.elapsed().as_secs_f64());

    let mut dash = Vec::new();
    let mut checks = Vec::new();
    for run in 0..b.runs {
        let t = Instant::now();
        let e = store.jurisdiction_enterprises(&officer).await?;
        let lots = store.jurisdiction_flagged_lots(&officer, 200).await?;
        dash.push(t.elapsed());
        if e.len() != b.enterprises {
            bail!(
                "the dashboard shows {} enterprises, not {}",
                e.len(),
                b.enterprises
            );
        }
        let _ = lots;
        let org = orgs[run % orgs.len()];
        let t = Instant::now();
        let check = store
            .records_sampling_check(&officer, org, now - year_ms, now + 1, 100)
            .await?;
        checks.push(t.elapsed());
        if run == 0 {
            println!(
                "a check drew {} records ({} without a leaf, as inserted)",
                check.sample_size.unwrap_or(0),
                check.failed.unwrap_or(0)
            );
        }
    }
    dash.sort();
    checks.sort();
    let ms = |d: &[std::time::Duration], p: f64| crate::bench::percentile(d, p);
    println!(
        "regulator dashboard ({} enterprises, {} events): p50 {:.1} ms, max {:.1} ms",
        b.enterprises,
        b.events,
        ms(&dash, 0.5),
        ms(&dash, 1.0)
    );
    println!(
        "records sampling check (100 of ~{} records a year): p50 {:.1} ms, max {:.1} ms",
        b.events / b.enterprises,
        ms(&checks, 0.5),
        ms(&checks, 1.0)
    );
    Ok(())
}
