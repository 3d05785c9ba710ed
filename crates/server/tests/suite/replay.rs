//! The replay of `suyuan verify`: a chain with every kind of effect (units
//! commissioned, allocated and issued; packing, processing, a late spray
//! re-checking harvests, a failed test reaching what was made of the lot,
//! sampling entrusted to a lab, a shipment received, a correction) replays
//! to exactly what is stored; and, generated from the table catalogue, a
//! tamper test: for every checked table of kinds (a) and (b) and every
//! column, one edited value is caught and named, and so are one deleted
//! row, one inserted row and two swapped rows per table. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::tlog::{sql, verify_ok};
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::json;
use suyuan_ledger::cosignature::CosignerKey;
use suyuan_store::catalogue::{Class, TABLES};
use suyuan_store::db::{Row, Val};
use suyuan_store::row_states::Tracked;
use suyuan_store::tlog::VerifyOptions;

/// Columns whose edit `verify` does not see, each with the reason (besides
/// the operational columns of the registers, `Tracked::unlogged_columns`:
/// password hashes, sign-in counters, sealed private keys).
const UNCHECKED: &[(&str, &str, &str)] = &[
    (
        "events",
        "capture_id",
        "the capture job that stored the event: a link to operational data (capture_jobs), not a fact of the record",
    ),
    (
        "organisations",
        "legal_rep_id_cipher",
        "sealed under a random nonce: the logged snapshot holds its mask (legal_rep_id_masked), which is compared",
    ),
];

/// A chain exercising every effect, recorded through the API, with
/// checkpoints a witness cosigned along the way.
async fn chain(app: &TestApp) {
    let witness = CosignerKey::generate("w.replay.test", &mut rand::rngs::OsRng).unwrap();
    app.store
        .configure_witnesses(&[(witness.verifier(), "http://127.0.0.1:9".into())], 1)
        .await
        .unwrap();
    let w = World::new(app, "replay").await;
    checkpoint(app, &witness).await;
    let lab = company(app, "testing_agency", "replay.lab", "warehouse").await;
    let cut = lot(&w.gtin, "L-CUT");
    let pallet = sscc();
    record(
        app,
        &w.producer,
        vec![
            fertilising(&w.producer.place, &t(2, 8), &w.fertiliser),
            // Recorded after the harvests it precedes: they are re-checked.
            pest_control(&w.producer.place, &t(4, 8), &w.pesticide, "PD20080005", 7),
            irrigation(&w.producer.place, &t(3, 8)),
            processing(&w.base, &t(6, 8), &[&w.l1], &[&cut]),
            packing(&w.base, &t(6, 9), &pallet, &[&cut]),
            sampling(&w.l1, &t(6, 10), "R-1", lab.id),
        ],
    )
    .await;
    record(app, &lab, vec![testing(&w.l1, &t(6, 11), "fail", "R-1")]).await;
    checkpoint(app, &witness).await;
    record(
        app,
        &w.retailer,
        vec![receiving(&w.shipped, &w.retailer.place, &t(7, 8), &w.despatch)],
    )
    .await;
    crate::quality::quality_records(app, &w).await;
    // A correction of the irrigation record.
    let job = record(app, &w.producer, vec![irrigation(&w.producer.place, &t(3, 9))]).await;
    let id = job["eventIDs"][0].as_str().unwrap().to_owned();
    let mut declared = irrigation(&w.producer.place, &t(3, 9));
    declared["eventID"] = json!(id);
    declared["errorDeclaration"] = json!({"declarationTime": t(8, 8), "reason": "incorrect_data"});
    record(app, &w.producer, vec![declared]).await;
    // A platform lot, harvested into, and its items.
    // A product with a certification, and a company prefix claimed and verified.
    let mut body = product(&gtin13(), "辣椒");
    body["certifications"] = json!([{
        "kind": "green_food", "number": "LB-15-24010512345A", "issuer": "中国绿色食品发展中心",
        "valid_from": "2024-01-01", "valid_until": "2027-01-01"
    }]);
    let (status, product) = app.post("/api/v1/products", &w.producer.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    for prefix in ["6901234", "6907654"] {
        let (status, claim) = app
            .post(
                "/api/v1/company-prefixes",
                &w.producer.token,
                json!({"prefix": prefix, "certificate_number": "物编注字第 123456 号"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{claim}");
        let op = app.operator_token().await;
        let path = format!(
            "/api/v1/company-prefixes/{}/verify",
            claim["id"].as_str().unwrap()
        );
        let (status, decided) = app.post(&path, &op, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
    }
    let (status, platform_lot) = app
        .post(
            "/api/v1/lots",
            &w.producer.token,
            json!({"product_id": product["id"], "date": "2026-03-09", "site": "A1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{platform_lot}");
    let lot_id = platform_lot["id"].as_str().unwrap();
    let epc = platform_lot["epc"].as_str().unwrap();
    record(app, &w.producer, vec![harvest(&w.producer.place, &t(9, 8), epc)]).await;
    let (status, items) = app
        .post(
            &format!("/api/v1/lots/{lot_id}/items"),
            &w.producer.token,
            json!({"count": 3, "non_conformance_override": "relabelled for return"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{items}");
    let (status, items) = app
        .post(
            &format!("/api/v1/lots/{lot_id}/items"),
            &w.producer.token,
            json!({"count": 2}),
        )
        .await;
    // The lot was harvested inside the spray's interval.
    assert_eq!(status, StatusCode::CONFLICT, "{items}");
    crate::oversight::complaints_in_chain(app, &w.producer, &w.l1).await;
    crate::oversight_regulator::oversight_in_chain(app, w.producer.id).await;
    crate::archives::archives_in_chain(app, &w.producer, w.retailer.id).await;
    crate::master_versions::versions_in_chain(app, &w.producer).await;
    // A device disabled and enabled again, moved, attached to a lot and
    // detached, with two batches of readings.
    let room = crate::devices::cold_room(app, &w.producer, "冷库").await;
    let (device, token) = crate::devices::device(app, &w.producer, "cold_room", &room).await;
    for action in ["disable", "enable"] {
        let (status, _) = app
            .post(
                &format!("/api/v1/devices/{device}/{action}"),
                &w.producer.token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Moved to another room and back.
    let hall = crate::devices::cold_room(app, &w.producer, "二号冷库").await;
    for to in [&hall, &room] {
        let (status, _) = app
            .post(
                &format!("/api/v1/devices/{device}/place"),
                &w.producer.token,
                json!({"place": to}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Attached to the platform's lot and detached again.
    for action in ["attach", "detach"] {
        let (status, body) = app
            .post(
                &format!("/api/v1/devices/{device}/{action}"),
                &w.producer.token,
                json!({"code": epc}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for day in [1, 2] {
        let batch = crate::devices::temps(&[(&t(day, 8), 2.5), (&t(day, 9), 3.5)]);
        let (status, _) = crate::devices::send(app, &device, &token, "application/json", batch).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    checkpoint(app, &witness).await;
}

/// A checkpoint of the log as it is, cosigned by `witness`.
async fn checkpoint(app: &TestApp, witness: &CosignerKey) {
    let cp = app.store.checkpoint().await.unwrap();
    crate::tamper::cosign(app, witness, &cp).await;
}

both_backends!(the_replay_re_derives_every_derived_table, |app| async move {
    chain(app).await;
    let report = verify_ok(app).await;
    assert!(report.events_replayed >= 12, "{report:#?}");
    let units = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT COUNT(*) AS n FROM units", &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.units_derived, units.int("n").unwrap() as u64);
    let bad = app
        .store
        .db()
        .conn()
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM units WHERE status = 'non_conformant'",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        bad.int("n").unwrap() >= 5,
        "the failed test and the spray reach lots, a cut, a pallet, items"
    );
});

/// A column's type, as the edits need it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Int,
    Float,
    Bool,
}

struct Shape {
    columns: Vec<(String, Ty)>,
    key: Vec<String>,
}

async fn shape(app: &TestApp, table: &str) -> Shape {
    let conn = || app.store.db().conn();
    let ty = |t: &str| {
        let t = t.to_ascii_lowercase();
        if t.contains("int") {
            Ty::Int
        } else if t.contains("double") || t.contains("real") || t.contains("float") {
            Ty::Float
        } else if t.contains("bool") {
            Ty::Bool
        } else {
            Ty::Text
        }
    };
    let (columns, key) = if app.backend == "sqlite" {
        let rows = conn()
            .fetch_all(
                &format!("SELECT name, type, pk FROM pragma_table_info('{table}') ORDER BY cid"),
                &[],
            )
            .await
            .unwrap();
        let cols = rows
            .iter()
            .map(|r| (r.text("name").unwrap(), ty(&r.text("type").unwrap())))
            .collect();
        let mut key: Vec<(i64, String)> = rows
            .iter()
            .filter(|r| r.int("pk").unwrap() > 0)
            .map(|r| (r.int("pk").unwrap(), r.text("name").unwrap()))
            .collect();
        key.sort();
        (cols, key.into_iter().map(|k| k.1).collect())
    } else {
        let rows = conn()
            .fetch_all(
                "SELECT column_name AS name, data_type AS type FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[Val::from(table)],
            )
            .await
            .unwrap();
        let cols = rows
            .iter()
            .map(|r| (r.text("name").unwrap(), ty(&r.text("type").unwrap())))
            .collect();
        let key = conn()
            .fetch_all(
                "SELECT a.attname::text AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid \
                 AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST($1 AS regclass) AND i.indisprimary",
                &[Val::from(table)],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.text("name").unwrap())
            .collect();
        (cols, key)
    };
    Shape { columns, key }
}

impl Shape {
    fn ty(&self, col: &str) -> Ty {
        self.columns.iter().find(|c| c.0 == col).map(|c| c.1).unwrap()
    }
    /// `CAST(k AS TEXT) = $n AND …` for the key, from `$first`.
    fn where_key(&self, first: usize) -> String {
        self.key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("CAST({k} AS TEXT) = ${}", first + i))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
    fn key_select(&self) -> String {
        self.key
            .iter()
            .map(|k| format!("CAST({k} AS TEXT) AS {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn key_of(shape: &Shape, r: &Row) -> Vec<String> {
    shape.key.iter().map(|k| r.text(k).unwrap()).collect()
}

fn vals(key: &[String]) -> Vec<Val> {
    key.iter().map(|k| Val::from(k.as_str())).collect()
}

/// The first rows of `table` (`col` not NULL first).
async fn rows(app: &TestApp, table: &str, shape: &Shape, col: &str) -> Vec<Vec<String>> {
    let q = format!(
        "SELECT {} FROM {table} ORDER BY CASE WHEN {col} IS NULL THEN 1 ELSE 0 END LIMIT 2",
        shape.key_select()
    );
    let rows = app.store.db().conn().fetch_all(&q, &[]).await.unwrap();
    rows.iter().map(|r| key_of(shape, r)).collect()
}

/// Runs a statement as someone with the database in hand would: a foreign
/// key the database enforces is switched off for it (SQLite's own shell
/// does not enforce them; a PostgreSQL superuser can skip them). `Err` when
/// a unique key refuses it: then nothing changed.
async fn try_sql(app: &TestApp, statement: &str, ps: &[Val]) -> Result<u64, ()> {
    match app.store.db().conn().execute(statement, ps).await {
        Ok(n) => Ok(n),
        Err(e) if e.is_unique_violation() => Err(()),
        Err(e) => {
            let text = format!("{e:?}").to_ascii_lowercase();
            assert!(
                text.contains("foreign key") || text.contains("23503"),
                "{statement}: {e}"
            );
            let texts: Vec<String> = ps.iter().map(|v| format!("{}", Text(v))).collect();
            unchecked(app, statement, &texts).await
        }
    }
}

/// A parameter of these statements: always text.
struct Text<'a>(&'a Val);

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Val::Text(t) => write!(f, "{t}"),
            other => panic!("a text parameter, not {other:?}"),
        }
    }
}

/// `statement` with foreign keys not enforced.
async fn unchecked(app: &TestApp, statement: &str, ps: &[String]) -> Result<u64, ()> {
    if let Some(path) = app.sqlite_path() {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        return match conn.execute(statement, rusqlite::params_from_iter(ps.iter())) {
            Ok(n) => Ok(n as u64),
            Err(e) if e.to_string().contains("UNIQUE") => Err(()),
            Err(e) => panic!("{statement}: {e}"),
        };
    }
    let mut tx = app.store.db().begin().await.unwrap();
    tx.execute("SET LOCAL session_replication_role = replica", &[])
        .await
        .unwrap();
    let ps: Vec<Val> = ps.iter().map(|p| Val::from(p.as_str())).collect();
    let n = tx.execute(statement, &ps).await;
    match n {
        Ok(n) => {
            tx.commit().await.unwrap();
            Ok(n)
        }
        Err(e) if e.is_unique_violation() => Err(()),
        Err(e) => panic!("{statement}: {e}"),
    }
}

/// Runs a statement that puts a row back, foreign keys or not.
async fn put_back(app: &TestApp, statement: &str, ps: &[Val]) {
    try_sql(app, statement, ps).await.expect("put back");
}

/// Whether the report names `table`. Every other check keeps none of the
/// replay's state in memory and reads the log a few leaves at a time: each
/// page's state goes to the scratch file and is read back by the next.
async fn caught(app: &TestApp, table: &str) -> Result<(), String> {
    static CHECKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let spilled = CHECKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 1;
    let options = if spilled {
        VerifyOptions {
            replay_memory: 0,
            page_size: Some(7),
        }
    } else {
        VerifyOptions::default()
    };
    let report = app.store.verify_log_with(options).await.unwrap();
    if report.problems.iter().any(|p| p.table == table) {
        Ok(())
    } else {
        Err(format!(
            "{:?}",
            report
                .problems
                .iter()
                .map(|p| (&p.table, &p.field))
                .collect::<Vec<_>>()
        ))
    }
}

/// Edits one value of `col` in the row `key` in a way that can be undone
/// exactly; answers the statement that undoes it and the row's key after.
async fn edit(
    app: &TestApp,
    table: &str,
    shape: &Shape,
    col: &str,
    key: &[String],
) -> Option<(String, Vec<String>)> {
    let conn = || app.store.db().conn();
    let was_null = conn()
        .fetch_optional(
            &format!(
                "SELECT CASE WHEN {col} IS NULL THEN 1 ELSE 0 END AS n FROM {table} WHERE {}",
                shape.where_key(1)
            ),
            &vals(key),
        )
        .await
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap()
        == 1;
    let bool_flip = if app.backend == "sqlite" {
        format!("1 - {col}")
    } else {
        format!("NOT {col}")
    };
    let (set, undo) = match (shape.ty(col), was_null) {
        (Ty::Text, false) => (
            format!("{col} || '~'"),
            format!("substr({col}, 1, length({col}) - 1)"),
        ),
        (Ty::Text, true) => ("'~'".to_owned(), "NULL".to_owned()),
        // A key moves far, past the other rows' keys.
        (Ty::Int, false) if shape.key.iter().any(|k| k == col) => {
            (format!("{col} + 1000000007"), format!("{col} - 1000000007"))
        }
        (Ty::Int, false) => (format!("{col} + 1"), format!("{col} - 1")),
        (Ty::Int, true) => ("1".to_owned(), "NULL".to_owned()),
        (Ty::Float, false) => (format!("{col} + 1.5"), format!("{col} - 1.5")),
        (Ty::Float, true) => ("1.5".to_owned(), "NULL".to_owned()),
        (Ty::Bool, false) => (bool_flip.clone(), bool_flip),
        (Ty::Bool, true) => ("true".to_owned(), "NULL".to_owned()),
    };
    try_sql(
        app,
        &format!("UPDATE {table} SET {col} = {set} WHERE {}", shape.where_key(1)),
        &vals(key),
    )
    .await
    .ok()?;
    let mut after = key.to_vec();
    if let Some(i) = shape.key.iter().position(|k| k == col) {
        after[i] = match shape.ty(col) {
            Ty::Int => (key[i].parse::<i64>().unwrap() + 1_000_000_007).to_string(),
            _ => format!("{}~", key[i]),
        };
    }
    Some((
        format!("UPDATE {table} SET {col} = {undo} WHERE {}", shape.where_key(1)),
        after,
    ))
}

both_backends!(every_column_of_every_checked_table_is_caught, |app| async move {
    chain(app).await;
    verify_ok(app).await;
    let mut missed = Vec::new();
    let mut empty = Vec::new();
    let mut refused = Vec::new();
    for table in TABLES
        .iter()
        .filter(|t| t.verified && t.class != Class::Operational)
    {
        let shape = shape(app, table.name).await;
        assert!(!shape.key.is_empty(), "{} has a primary key", table.name);
        if rows(app, table.name, &shape, &shape.key[0]).await.is_empty() {
            empty.push(table.name);
            continue;
        }
        // One edited value of every column.
        for col in table.columns {
            let operational = Tracked::ALL
                .iter()
                .any(|t| t.table() == table.name && t.unlogged_columns().contains(col));
            if operational || UNCHECKED.iter().any(|u| u.0 == table.name && u.1 == *col) {
                continue;
            }
            let key = rows(app, table.name, &shape, col).await.remove(0);
            let Some((undo, after)) = edit(app, table.name, &shape, col, &key).await else {
                refused.push(format!("{}.{col}", table.name));
                continue;
            };
            if let Err(found) = caught(app, table.name).await {
                missed.push(format!("{}.{col} edited: {found}", table.name));
            }
            put_back(app, &undo, &vals(&after)).await;
            verify_ok(app).await;
        }
        let two = rows(app, table.name, &shape, &shape.key[0]).await;
        // A deleted row, put back.
        let bak = format!("tamper_{}", table.name);
        sql(
            app,
            &format!(
                "CREATE TABLE {bak} AS SELECT * FROM {} WHERE {}",
                table.name,
                shape.where_key(1)
            ),
            &vals(&two[0]),
        )
        .await;
        let deleted = try_sql(
            app,
            &format!("DELETE FROM {} WHERE {}", table.name, shape.where_key(1)),
            &vals(&two[0]),
        )
        .await;
        if deleted.is_err() {
            refused.push(format!("{}: delete", table.name));
        } else {
            if let Err(found) = caught(app, table.name).await {
                missed.push(format!("{}: a deleted row: {found}", table.name));
            }
            put_back(
                app,
                &format!("INSERT INTO {} SELECT * FROM {bak}", table.name),
                &[],
            )
            .await;
        }
        sql(app, &format!("DROP TABLE {bak}"), &[]).await;
        verify_ok(app).await;
        // An inserted row: a copy under another key.
        let exprs: Vec<String> = shape
            .columns
            .iter()
            .map(|(c, ty)| match (shape.key.contains(c), ty) {
                (true, Ty::Text) => format!("{c} || '~'"),
                (true, Ty::Int) => format!("{c} + 1000000007"),
                _ => c.clone(),
            })
            .collect();
        let names: Vec<&str> = shape.columns.iter().map(|c| c.0.as_str()).collect();
        let inserted = try_sql(
            app,
            &format!(
                "INSERT INTO {t} ({}) SELECT {} FROM {t} WHERE {}",
                names.join(", "),
                exprs.join(", "),
                shape.where_key(1),
                t = table.name
            ),
            &vals(&two[0]),
        )
        .await;
        match inserted {
            Ok(_) => {
                if let Err(found) = caught(app, table.name).await {
                    missed.push(format!("{}: an inserted row: {found}", table.name));
                }
                let new_key: Vec<String> = shape
                    .key
                    .iter()
                    .zip(&two[0])
                    .map(|(k, v)| match shape.ty(k) {
                        Ty::Int => (v.parse::<i64>().unwrap() + 1_000_000_007).to_string(),
                        _ => format!("{v}~"),
                    })
                    .collect();
                put_back(
                    app,
                    &format!("DELETE FROM {} WHERE {}", table.name, shape.where_key(1)),
                    &vals(&new_key),
                )
                .await;
            }
            // A unique or foreign key refuses the copy: the database
            // itself keeps that row out.
            Err(()) => refused.push(format!("{}: insert", table.name)),
        }
        verify_ok(app).await;
        // Two rows swapped: one column's values exchanged.
        if two.len() == 2 {
            swap(app, table.name, &shape, &two, &mut missed).await;
        }
    }
    assert!(missed.is_empty(), "not caught:\n{}", missed.join("\n"));
    eprintln!("refused by the database's unique keys: {refused:?}");
    assert!(empty.is_empty(), "empty in the chain: {empty:?}");
});

/// Exchanges the values of the first column (not of the key, when one
/// differs) in which the two rows differ, checks it is caught, and swaps
/// back.
async fn swap(app: &TestApp, table: &str, shape: &Shape, two: &[Vec<String>], missed: &mut Vec<String>) {
    let conn = || app.store.db().conn();
    let value = |col: String, key: Vec<String>| async move {
        conn()
            .fetch_optional(
                &format!(
                    "SELECT CAST({col} AS TEXT) AS v FROM {table} WHERE {}",
                    shape.where_key(1)
                ),
                &vals(&key),
            )
            .await
            .unwrap()
            .unwrap()
            .opt_text("v")
            .unwrap()
    };
    let mut candidates: Vec<&(String, Ty)> = shape
        .columns
        .iter()
        .filter(|c| !shape.key.contains(&c.0))
        .collect();
    candidates.extend(shape.columns.iter().filter(|c| shape.key.contains(&c.0)));
    for (col, ty) in candidates {
        if *ty == Ty::Float || *ty != Ty::Text && shape.key.contains(col) {
            continue;
        }
        let (a, b) = (
            value(col.clone(), two[0].clone()).await,
            value(col.clone(), two[1].clone()).await,
        );
        if a == b || a.is_none() || b.is_none() {
            continue;
        }
        let cast = match ty {
            Ty::Int => "BIGINT",
            Ty::Bool => "BOOLEAN",
            _ => "TEXT",
        };
        let put = |v: &str, key: &[String]| {
            let mut ps = vec![Val::from(v)];
            ps.extend(vals(key));
            (
                format!(
                    "UPDATE {table} SET {col} = CAST($1 AS {cast}) WHERE {}",
                    shape.where_key(2)
                ),
                ps,
            )
        };
        let key_index = shape.key.iter().position(|k| k == col);
        let rekey = |key: &[String], v: &str| {
            let mut k = key.to_vec();
            if let Some(i) = key_index {
                k[i] = v.to_owned();
            }
            k
        };
        let (a, b) = (a.unwrap(), b.unwrap());
        // Text goes through a third value, so a unique key never sees the
        // same value twice.
        let parked = if *ty == Ty::Text {
            format!("{a}~parked")
        } else {
            b.clone()
        };
        let steps = [
            (parked.as_str(), two[0].clone()),
            (a.as_str(), rekey(&two[1], &b)),
            (b.as_str(), rekey(&two[0], &parked)),
        ];
        let mut done = 0;
        for (v, key) in &steps {
            let (q, ps) = put(v, key);
            if try_sql(app, &q, &ps).await.is_err() {
                break;
            }
            done += 1;
        }
        if done < steps.len() {
            // Refused by a key of the database: undo what was done, try the next column.
            let undo = [
                (a.as_str(), rekey(&two[0], &parked)),
                (b.as_str(), rekey(&two[1], &a)),
            ];
            for (v, key) in undo.iter().take(done).rev() {
                let (q, ps) = put(v, key);
                put_back(app, &q, &ps).await;
            }
            verify_ok(app).await;
            continue;
        }
        if let Err(found) = caught(app, table).await {
            missed.push(format!("{table}: rows swapped in {col}: {found}"));
        }
        let back = [
            (parked.as_str(), rekey(&two[0], &b)),
            (b.as_str(), rekey(&two[1], &a)),
            (a.as_str(), rekey(&two[0], &parked)),
        ];
        for (v, key) in &back {
            let (q, ps) = put(v, key);
            put_back(app, &q, &ps).await;
        }
        verify_ok(app).await;
        return;
    }
}
