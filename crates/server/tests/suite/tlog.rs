//! Tamper evidence: events captured through the API land in the
//! transparency log; their proof bundles verify offline; direct edits of the
//! log's rows (and of the event documents) are caught by `Store::verify_log`
//! naming the record; keys rotate and revoke; concurrent captures leave a
//! gap-free log. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use suyuan_ledger::bundle::{verify_bundle, ProofBundle};
use suyuan_ledger::checkpoint::{SignedCheckpoint, TrustedLog};
use suyuan_ledger::keys::{Signature, SigningKey};
use suyuan_ledger::merkle;
use suyuan_ledger::note::VerifierKey;
use suyuan_ledger::record::{canonical_json, signed_message};
use suyuan_ledger::{Hash, HashAlg};
use suyuan_store::params;
use suyuan_store::tlog::VerifyReport;
use uuid::Uuid;

const STANDARD_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// A document of `n` observation events with fresh eventIDs; answers it and the ids.
pub(crate) fn document(n: usize) -> (Value, Vec<String>) {
    let ids: Vec<String> = (0..n).map(|_| format!("urn:uuid:{}", Uuid::now_v7())).collect();
    let events: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({
                "type": "ObjectEvent",
                "eventID": id,
                "eventTime": format!("2026-03-01T08:{:02}:00+08:00", i % 60),
                "eventTimeZoneOffset": "+08:00",
                "action": "OBSERVE",
                "epcList": [format!("urn:epc:id:sgtin:9521234.012345.T{}", unique())],
                "bizStep": "receiving"
            })
        })
        .collect();
    let doc = json!({
        "@context": [STANDARD_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-20T10:00:00+08:00",
        "epcisBody": {"eventList": events}
    });
    (doc, ids)
}

async fn capture_raw(app: &TestApp, token: &str, doc: &Value) -> (StatusCode, Value) {
    app.post("/epcis/capture", token, doc.clone()).await
}

pub(crate) async fn capture(app: &TestApp, token: &str, doc: &Value) -> Value {
    let (status, job) = capture_raw(app, token, doc).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["success"], true, "{job:#}");
    job
}

/// A verified producer with its platform-held key (and the key's logged
/// state) made, so that the leaves its records add are counted from here.
pub(crate) async fn producer(app: &TestApp, username: &str) -> (Uuid, String) {
    let (id, token) = app.producer(username, "510115").await;
    app.store.ensure_signing_key(id).await.unwrap();
    (id, token)
}

/// A text (not JSON) response body.
async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (status, _, body) = app.raw("GET", path, None, None, "").await;
    let text = match body {
        Value::String(s) => s,
        other => other.to_string(),
    };
    (status, text)
}

async fn trusted(app: &TestApp) -> TrustedLog {
    let (status, vkey) = get_text(app, "/tlog/log-key").await;
    assert_eq!(status, StatusCode::OK, "{vkey}");
    TrustedLog::new(VerifierKey::parse(vkey.trim()).unwrap(), HashAlg::Sha256)
}

/// The proof bundle of `/tlog/proof?{param}={name}`.
async fn proof_of(app: &TestApp, param: &str, name: &str) -> ProofBundle {
    let path = format!("/tlog/proof?{param}={}", enc(name));
    let (status, _, body) = app.raw("GET", &path, None, None, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ProofBundle::from_json(&body.to_string()).unwrap()
}

async fn bundle(app: &TestApp, event_id: &str) -> ProofBundle {
    proof_of(app, "event_id", event_id).await
}

pub(crate) async fn sql(app: &TestApp, statement: &str, ps: &[suyuan_store::db::Val]) -> u64 {
    app.store.db().conn().execute(statement, ps).await.unwrap()
}

pub(crate) async fn text_of(app: &TestApp, query: &str, ps: &[suyuan_store::db::Val], col: &str) -> String {
    app.store
        .db()
        .conn()
        .fetch_optional(query, ps)
        .await
        .unwrap()
        .unwrap()
        .text(col)
        .unwrap()
}

/// Runs `update` with `bad` values, asserts `verify` catches it (the first
/// problem in `table`/`field`, naming `event_id`), then runs it again with
/// `good` to put the row back; answers the report.
async fn edit_caught(
    app: &TestApp,
    update: &str,
    bad: &[suyuan_store::db::Val],
    good: &[suyuan_store::db::Val],
    (table, field, event_id): (&str, &str, &str),
) -> VerifyReport {
    sql(app, update, bad).await;
    let report = app.store.verify_log().await.unwrap();
    assert_caught(&report, table, field, event_id);
    sql(app, update, good).await;
    report
}

/// Edits a stored event document, checks that `verify` names it, and puts
/// it back.
async fn document_edit_caught(app: &TestApp, event_id: &str) {
    let original = edit_document(app, event_id).await;
    assert_caught(
        &app.store.verify_log().await.unwrap(),
        "events",
        "document",
        event_id,
    );
    sql(
        app,
        "UPDATE events SET document = $1 WHERE event_id = $2",
        &params![original.as_str(), event_id],
    )
    .await;
    verify_ok(app).await;
}

/// Edits a stored event document directly (receiving → shipping); answers
/// the original text.
async fn edit_document(app: &TestApp, event_id: &str) -> String {
    let original = text_of(
        app,
        "SELECT document FROM events WHERE event_id = $1",
        &params![event_id],
        "document",
    )
    .await;
    let edited = original.replace("receiving", "shipping");
    assert_ne!(edited, original);
    sql(
        app,
        "UPDATE events SET document = $1 WHERE event_id = $2",
        &params![edited.as_str(), event_id],
    )
    .await;
    original
}

/// Inserts an event row directly (outside the capture, and so the log):
/// a copy of event `like` named `event_id`.
pub(crate) async fn smuggle_event(app: &TestApp, event_id: &str, like: &str) {
    sql(
        app,
        "INSERT INTO events (id, event_id, org_id, capture_id, event_type, event_time, time_zone_offset, \
         record_time, action, biz_step, disposition, read_point, biz_location, record_kind, stage, \
         is_error_declaration, corrected_by, document) \
         SELECT $1, $2, org_id, capture_id, event_type, event_time, time_zone_offset, record_time, action, \
         biz_step, disposition, read_point, biz_location, record_kind, stage, is_error_declaration, \
         corrected_by, document FROM events WHERE event_id = $3",
        &params![Uuid::now_v7(), event_id, like],
    )
    .await;
}

pub(crate) async fn verify_ok(app: &TestApp) -> VerifyReport {
    let report = app.store.verify_log().await.unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    report
}

/// Asserts the log fails to verify with a problem in `table`, naming
/// `field` and the record `event_id` (among others).
#[track_caller]
pub(crate) fn assert_among(report: &VerifyReport, table: &str, field: &str, event_id: &str) {
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.table == table && p.field == field && p.record.as_deref() == Some(event_id)),
        "{table}.{field} of {event_id} in {:#?}",
        report.problems
    );
}

/// Asserts the log fails to verify, the first problem in `table`, naming
/// `field` and the record `event_id`.
#[track_caller]
fn assert_caught(report: &VerifyReport, table: &str, field: &str, event_id: &str) {
    let first = report
        .problems
        .first()
        .unwrap_or_else(|| panic!("tampering not caught"));
    assert_eq!(first.table, table, "{:#?}", report.problems);
    assert_eq!(first.field, field, "{:#?}", report.problems);
    assert_eq!(first.record.as_deref(), Some(event_id), "{:#?}", report.problems);
    assert!(first.to_string().contains(event_id), "{first}");
}

both_backends!(proofs_verify_offline, |app| async move {
    let (_, token) = producer(app, "tlog_a").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    // Captured again: duplicates are not logged again.
    let job = capture(app, &token, &doc).await;
    assert_eq!(job["duplicates"], 3, "{job}");
    assert_eq!(app.store.tlog_size().await.unwrap(), base + 3);

    let trusted = trusted(app).await;
    let (status, note) = get_text(app, "/tlog/checkpoint").await;
    assert_eq!(status, StatusCode::OK, "{note}");
    let cp = SignedCheckpoint::open(&note, &trusted).unwrap();
    assert_eq!(cp.checkpoint.size, base + 3);
    assert_eq!(cp.checkpoint.origin, "suyuan.local/log");

    for (i, id) in ids.iter().enumerate() {
        let b = bundle(app, id).await;
        let verified = verify_bundle(&b, &trusted).unwrap();
        assert_eq!(verified.leaf_index, base + i as u64);
        // The record hash is SHA-256 of the stored event document.
        let doc = text_of(
            app,
            "SELECT document FROM events WHERE event_id = $1",
            &params![id.as_str()],
            "document",
        )
        .await;
        assert_eq!(verified.record_hash, HashAlg::Sha256.digest(doc.as_bytes()));
    }
    let (status, body) = app
        .request("GET", "/tlog/proof?event_id=urn:uuid:none", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The log grows; the old checkpoint is consistent with the new one.
    let (doc2, _) = document(2);
    capture(app, &token, &doc2).await;
    let (_, note5) = get_text(app, "/tlog/checkpoint").await;
    let cp5 = SignedCheckpoint::open(&note5, &trusted).unwrap();
    assert_eq!(cp5.checkpoint.size, base + 5);
    let path = format!("/tlog/consistency?old={}&new={}", base + 3, base + 5);
    let (status, body) = app.request("GET", &path, None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let proof: Vec<Hash> = body["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    merkle::verify_consistency(
        HashAlg::Sha256,
        base + 3,
        base + 5,
        &cp.checkpoint.root,
        &cp5.checkpoint.root,
        &proof,
    )
    .unwrap();
    let path = format!("/tlog/consistency?old={}&new={}", base + 3, base + 9);
    let (status, body) = app.request("GET", &path, None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let report = verify_ok(app).await;
    assert_eq!(report.leaves, base + 5);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.root, cp5.checkpoint.root.to_hex());
});

both_backends!(
    events_stored_before_event_keys_are_keyed_by_the_migration,
    |app| async move {
        let (_, token) = producer(app, "tlog_keys").await;
        let (doc, ids) = document(3);
        capture(app, &token, &doc).await;
        // As stored before migration 13: no key. Events are found by key only.
        sql(app, "UPDATE events SET event_key = NULL", &[]).await;
        assert!(app.store.proof_bundle(&ids[0]).await.is_err());
        let mut tx = app.store.db().begin().await.unwrap();
        suyuan_store::migrate::key_stored_events(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        for id in &ids {
            let key = text_of(
                app,
                "SELECT CAST(event_key AS TEXT) AS k FROM events WHERE event_id = $1",
                &params![id.as_str()],
                "k",
            )
            .await;
            assert_eq!(key, suyuan_store::trace::event_key(id).to_string());
            app.store.proof_bundle(id).await.unwrap();
        }
        // Captured again, the same events are recognised (by key, then eventID).
        let job = capture(app, &token, &doc).await;
        assert_eq!(job["duplicates"], 3, "{job}");
    }
);

both_backends!(tampering_is_caught, |app| async move {
    let (_, token) = producer(app, "tlog_b").await;
    // The organisations' records come first: leaf `b + i` is event `i`.
    let b = i64::try_from(app.store.tlog_size().await.unwrap()).unwrap();
    let (doc, ids) = document(5);
    capture(app, &token, &doc).await;
    app.store.checkpoint().await.unwrap();
    verify_ok(app).await;

    // The capture's five records share one signature over their batch root.
    let batch = text_of(
        app,
        "SELECT MIN(signature) || ' ' || MAX(signature) AS s FROM tlog_leaves WHERE batch_size = 5",
        &[],
        "s",
    )
    .await;
    let (first, last) = batch.split_once(' ').unwrap();
    assert_eq!(first, last);
    let sig2 = text_of(
        app,
        "SELECT signature FROM tlog_leaves WHERE idx = $1",
        &params![b + 2],
        "signature",
    )
    .await;
    // One leaf's signature altered.
    let altered = format!("{}{}", if sig2.starts_with('A') { "B" } else { "A" }, &sig2[1..]);
    edit_caught(
        app,
        "UPDATE tlog_leaves SET signature = $1 WHERE idx = $2",
        &params![altered.as_str(), b + 2],
        &params![sig2.as_str(), b + 2],
        ("tlog_leaves", "signature", &ids[2]),
    )
    .await;
    verify_ok(app).await;
    // The batch's signature altered on every leaf: every leaf hash changes,
    // and the signature no longer verifies.
    let report = edit_caught(
        app,
        "UPDATE tlog_leaves SET signature = $1 WHERE batch_size = $2",
        &params![altered.as_str(), 5i64],
        &params![sig2.as_str(), 5i64],
        ("tlog_leaves", "leaf_hash", &ids[0]),
    )
    .await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.field == "signature" && p.expected.contains("batch root")),
        "{:#?}",
        report.problems
    );
    // A leaf moved inside its batch.
    edit_caught(
        app,
        "UPDATE tlog_leaves SET batch_index = $1 WHERE idx = $2",
        &params![3i64, b + 2],
        &params![2i64, b + 2],
        ("tlog_leaves", "batch_size", &ids[2]),
    )
    .await;
    verify_ok(app).await;

    // An event document edited.
    document_edit_caught(app, &ids[1]).await;

    // A node edited.
    let node = text_of(
        app,
        "SELECT hash FROM tlog_nodes WHERE level = $1 AND idx = $2",
        &params![0i64, b + 3],
        "hash",
    )
    .await;
    let report = edit_caught(
        app,
        "UPDATE tlog_nodes SET hash = $1 WHERE level = $2 AND idx = $3",
        &params!["00".repeat(32), 0i64, b + 3],
        &params![node.as_str(), 0i64, b + 3],
        ("tlog_nodes", "hash", &ids[3]),
    )
    .await;
    assert_eq!(report.problems[0].index, format!("level 0 idx {}", b + 3));
    verify_ok(app).await;

    // A leaf's record hash edited together with its leaf hash.
    let rh = text_of(
        app,
        "SELECT record_hash FROM tlog_leaves WHERE idx = $1",
        &params![b],
        "record_hash",
    )
    .await;
    edit_caught(
        app,
        "UPDATE tlog_leaves SET record_hash = $1 WHERE idx = $2",
        &params!["11".repeat(32), b],
        &params![rh.as_str(), b],
        ("events", "document", &ids[0]),
    )
    .await;

    // Two leaves swapped.
    let swap = [(b, -1i64), (b + 1, b), (-1, b + 1)];
    for (from, to) in swap {
        sql(
            app,
            "UPDATE tlog_leaves SET idx = $1 WHERE idx = $2",
            &params![to, from],
        )
        .await;
    }
    // The first leaf now holds the batch's second record: caught by its
    // place in the batch, and by the tree.
    let report = app.store.verify_log().await.unwrap();
    assert_caught(&report, "tlog_leaves", "batch_index", &ids[1]);
    assert_eq!(report.problems[0].index, format!("idx {b}"));
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.table == "tlog_nodes" && p.index == format!("level 0 idx {b}")),
        "{:#?}",
        report.problems
    );
    for (from, to) in swap {
        sql(
            app,
            "UPDATE tlog_leaves SET idx = $1 WHERE idx = $2",
            &params![to, from],
        )
        .await;
    }
    verify_ok(app).await;

    // A leaf deleted.
    let row = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT * FROM tlog_leaves WHERE idx = $1", &params![b + 2])
        .await
        .unwrap()
        .unwrap();
    sql(app, "DELETE FROM tlog_leaves WHERE idx = $1", &params![b + 2]).await;
    let report = app.store.verify_log().await.unwrap();
    assert_caught(&report, "tlog_leaves", "idx", &ids[3]);
    assert_eq!(report.problems[0].index, format!("idx {}", b + 2));
    let insert =
        "INSERT INTO tlog_leaves (idx, event_pk, event_id, org_id, record_hash, signer_fingerprint, \
                  signature, leaf_hash, created_at, batch_root, batch_index, batch_size) \
                  VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)";
    sql(
        app,
        insert,
        &params![
            b + 2,
            row.text("event_pk").unwrap(),
            row.text("event_id").unwrap(),
            row.text("org_id").unwrap(),
            row.text("record_hash").unwrap(),
            row.text("signer_fingerprint").unwrap(),
            row.text("signature").unwrap(),
            row.text("leaf_hash").unwrap(),
            row.int("created_at").unwrap(),
            row.opt_text("batch_root").unwrap(),
            row.opt_int("batch_index").unwrap(),
            row.opt_int("batch_size").unwrap()
        ],
    )
    .await;
    verify_ok(app).await;

    // A fake leaf appended, signed by a key the platform never registered.
    let fake = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 1; 32]);
    let rec = suyuan_ledger::record::SignedRecord::sign(HashAlg::Sha256, &fake, b"fake").unwrap();
    sql(
        app,
        insert,
        &params![
            b + 5,
            Uuid::now_v7(),
            "urn:uuid:fake",
            row.text("org_id").unwrap(),
            rec.record_hash.to_hex(),
            rec.signer.fingerprint().to_hex(),
            rec.signature.to_base64(),
            rec.leaf_hash(HashAlg::Sha256).to_hex(),
            0i64,
            None::<String>,
            None::<i64>,
            None::<i64>
        ],
    )
    .await;
    let report = app.store.verify_log().await.unwrap();
    assert_caught(&report, "tlog_leaves", "event_pk", "urn:uuid:fake");
    assert_among(&report, "events", "id", "urn:uuid:fake");
    assert!(
        report.problems.iter().any(|p| p.field == "signer_fingerprint"),
        "{:#?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.table == "tlog_nodes" && p.found == "no such row"),
        "{:#?}",
        report.problems
    );
    sql(app, "DELETE FROM tlog_leaves WHERE idx = $1", &params![b + 5]).await;
    verify_ok(app).await;

    // An event inserted directly, outside the capture (and so the log).
    smuggle_event(app, "urn:uuid:smuggled", &ids[4]).await;
    assert_caught(
        &app.store.verify_log().await.unwrap(),
        "events",
        "id",
        "urn:uuid:smuggled",
    );
    sql(
        app,
        "DELETE FROM events WHERE event_id = $1",
        &params!["urn:uuid:smuggled"],
    )
    .await;
    verify_ok(app).await;

    // A checkpoint whose root was edited.
    let note = text_of(
        app,
        "SELECT note FROM tlog_checkpoints WHERE size = $1",
        &params![b + 5],
        "note",
    )
    .await;
    sql(
        app,
        "UPDATE tlog_checkpoints SET note = $1 WHERE size = $2",
        &params![
            note.replacen(&format!("\n{}\n", b + 5), &format!("\n{}\n", b + 4), 1),
            b + 5
        ],
    )
    .await;
    let report = app.store.verify_log().await.unwrap();
    assert_eq!(
        report.problems[0].table, "tlog_checkpoints",
        "{:#?}",
        report.problems
    );
    assert_eq!(report.problems[0].index, format!("size {}", b + 5));
});

both_backends!(keys_rotate_and_revoke, |app| async move {
    let (org, token) = producer(app, "tlog_c").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    let (doc, ids) = document(1);
    capture(app, &token, &doc).await;
    let keys = app.get("/tlog/keys", &token).await.1;
    let keys = keys.as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let first = keys[0]["key_id"].as_str().unwrap().to_owned();
    assert_eq!(keys[0]["platform_held"], true);
    assert_eq!(keys[0]["algorithm"], "ed25519");
    assert_eq!(keys[0]["org_id"], org.to_string());

    // Rotation: the old key is revoked, later records are signed by the new one.
    let (status, new) = app.post("/tlog/keys/rotate", &token, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let (doc2, ids2) = document(1);
    capture(app, &token, &doc2).await;
    let b = bundle(app, &ids2[0]).await;
    assert_eq!(
        b.signer_key.fingerprint().to_hex(),
        new["key_id"].as_str().unwrap()
    );
    let b0 = bundle(app, &ids[0]).await;
    assert_eq!(b0.signer_key.fingerprint().to_hex(), first);
    verify_ok(app).await;

    // Revoking a revoked key is a conflict; an unknown key is not found.
    let (status, body) = app
        .post(&format!("/tlog/keys/{first}/revoke"), &token, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app.post("/tlog/keys/abc/revoke", &token, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A record signed after its key's revocation is refused.
    let revoked = text_of(
        app,
        "SELECT CAST(revoked_at AS TEXT) AS t FROM org_keys WHERE key_id = $1",
        &params![first.as_str()],
        "t",
    )
    .await;
    sql(
        app,
        "UPDATE org_keys SET revoked_at = $1 WHERE key_id = $2",
        &params![1i64, first.as_str()],
    )
    .await;
    // Named with the key's own row, whose logged state says otherwise.
    let report = app.store.verify_log().await.unwrap();
    assert_among(&report, "tlog_leaves", "recordTime", &ids[0]);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.table == "org_keys" && p.field == "revoked_at"),
        "{report:#?}"
    );
    // Back-dating the leaf row does not help: the time that counts is the
    // recordTime inside the signed document.
    let created = text_of(
        app,
        "SELECT CAST(created_at AS TEXT) AS t FROM tlog_leaves WHERE event_id = $1",
        &params![ids[0].as_str()],
        "t",
    )
    .await;
    let back_date = "UPDATE tlog_leaves SET created_at = $1 WHERE event_id = $2";
    sql(app, back_date, &params![0i64, ids[0].as_str()]).await;
    assert_among(
        &app.store.verify_log().await.unwrap(),
        "tlog_leaves",
        "recordTime",
        &ids[0],
    );
    sql(
        app,
        back_date,
        &params![created.parse::<i64>().unwrap(), ids[0].as_str()],
    )
    .await;
    sql(
        app,
        "UPDATE org_keys SET revoked_at = $1 WHERE key_id = $2",
        &params![revoked.parse::<i64>().unwrap(), first.as_str()],
    )
    .await;
    verify_ok(app).await;

    // An external key (kept by the organisation, e.g. on a UKey).
    let external = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 1; 32]);
    let public = external.verifying_key().to_string();
    let (status, body) = app
        .post("/tlog/keys", &token, json!({"public_key": public}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["platform_held"], false);
    let (status, body) = app
        .post("/tlog/keys", &token, json!({"public_key": public}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app
        .post("/tlog/keys", &token, json!({"public_key": "ed25519:nope"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // With only the external key active, the platform cannot sign for the organisation.
    let new_id = new["key_id"].as_str().unwrap();
    let (status, body) = app
        .post(&format!("/tlog/keys/{new_id}/revoke"), &token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].is_string(), "{body}");
    // It must send its own signature with each event (see client_signed_captures).
    let (doc3, _) = document(1);
    let (status, job) = capture_raw(app, &token, &doc3).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["success"], false, "{job}");
    assert_eq!(job["errors"][0]["code"], "signature_missing", "{job}");
    assert_eq!(job["errors"][0]["event_index"], 0, "{job}");
    // Two events and four states of keys (the first revoked, the second
    // made, the external one registered, the second revoked).
    assert_eq!(app.store.tlog_size().await.unwrap(), base + 6);

    // Only an organisation admin manages keys; anyone signed in lists them.
    let user = format!("tlog_c_user{}", unique());
    app.create_user(&token, org, &user, "recorder", None).await;
    let user_token = app.login(&user, USER_PASSWORD).await;
    let (status, body) = app.post("/tlog/keys/rotate", &user_token, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.get("/tlog/keys", &user_token).await.0, StatusCode::OK);
    let (status, _) = app.request("GET", "/tlog/keys", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(sm2_platform_keys, |app| async move {
    // No key yet: the first one is to be SM2.
    let (_, token) = app.producer("tlog_sm2", "510115").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    // Only ed25519 and sm2 are offered; the refusal names the field.
    let (status, body) = app
        .post("/tlog/keys/rotate", &token, json!({"algorithm": "rsa"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "algorithm", "{body}");
    assert_eq!(body["code"], "key_algorithm_unknown", "{body}");
    assert_eq!(app.get("/tlog/keys", &token).await.1, json!([]));

    let (status, key) = app
        .post("/tlog/keys/rotate", &token, json!({"algorithm": "sm2"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    assert_eq!(key["algorithm"], "sm2");
    assert_eq!(key["platform_held"], true);
    assert!(key["public_key"].as_str().unwrap().starts_with("sm2:"), "{key}");
    // The private half is stored encrypted, never as the plain secret text.
    let sealed = text_of(
        app,
        "SELECT private_key_cipher FROM org_keys WHERE key_id = $1",
        &params![key["key_id"].as_str().unwrap()],
        "private_key_cipher",
    )
    .await;
    assert!(!sealed.contains("sm2-secret:"), "{sealed}");

    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    // The key's logged state, then the three events.
    assert_eq!(app.store.tlog_size().await.unwrap(), base + 4);
    verify_ok(app).await;
    let trusted = trusted(app).await;
    for id in &ids {
        let b = bundle(app, id).await;
        assert_eq!(b.signer_key.to_string(), key["public_key"].as_str().unwrap());
        let verified = verify_bundle(&b, &trusted).unwrap();
        assert_eq!(verified.signer.algorithm().name(), "sm2");
    }

    // A tampered SM2-signed row is still caught.
    document_edit_caught(app, &ids[1]).await;

    // Rotating back without a body gives the default, Ed25519.
    let (status, _, body) = app.raw("POST", "/tlog/keys/rotate", Some(&token), None, "").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["algorithm"], "ed25519", "{body}");
});

const TLOG_NS: &str = "https://suyuan.dev/ns/tlog/";

/// What a client signs for an event: the 32 bytes of its CBV 2.0 hash.
fn cbv_hash(event: &Value) -> Hash {
    let id = suyuan_core::epcis::event_hash_id(event, &suyuan_core::epcis::Namespaces::standard());
    let hex = id
        .strip_prefix("ni:///sha-256;")
        .and_then(|r| r.strip_suffix("?ver=CBV2.0"))
        .unwrap();
    Hash::from_hex(hex).unwrap()
}

/// A client's detached signature entry over `event` with `key`, naming `key_text`.
fn client_signature(event: &Value, key: &SigningKey, key_text: &str) -> Value {
    let message = signed_message(HashAlg::Sha256, &cbv_hash(event));
    json!({
        "eventID": event["eventID"],
        "key": key_text,
        "signature": key.sign(&message).unwrap().to_base64(),
    })
}

/// `doc` with the signature member (and its namespace in `@context`).
fn with_signatures(doc: &Value, signatures: Vec<Value>) -> Value {
    let mut doc = doc.clone();
    doc["@context"] = json!([STANDARD_CONTEXT, {"suyuan": TLOG_NS}]);
    doc["suyuan:signatures"] = Value::Array(signatures);
    doc
}

fn events_of(doc: &Value) -> Vec<Value> {
    doc["epcisBody"]["eventList"].as_array().unwrap().clone()
}

async fn stored_events(app: &TestApp, ids: &[String]) -> usize {
    let mut n = 0;
    for id in ids {
        let (status, _) = app
            .request("GET", &format!("/epcis/events/{}", enc(id)), None, None)
            .await;
        let row = app
            .store
            .db()
            .conn()
            .fetch_optional("SELECT id FROM events WHERE event_id = $1", &params![id.as_str()])
            .await
            .unwrap();
        n += usize::from(row.is_some() || status == StatusCode::OK);
    }
    n
}

/// Captures `doc`, expects the whole capture refused with `code` on `field`
/// (of event `event_index`), and nothing stored.
async fn refused(
    app: &TestApp,
    token: &str,
    doc: &Value,
    ids: &[String],
    (event_index, field, code): (Option<usize>, &str, &str),
) {
    let size = app.store.tlog_size().await.unwrap();
    let (status, job) = capture_raw(app, token, doc).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["success"], false, "{job:#}");
    let e = &job["errors"][0];
    assert_eq!(e["code"], code, "{job:#}");
    assert_eq!(e["field"], field, "{job:#}");
    assert_eq!(e["event_index"], json!(event_index), "{job:#}");
    assert!(e["detail"].as_str().unwrap().contains(field), "{e}");
    assert!(!e["detail_zh"].as_str().unwrap().is_empty(), "{e}");
    assert_eq!(job["captured"], 0, "{job}");
    assert_eq!(app.store.tlog_size().await.unwrap(), size);
    assert_eq!(stored_events(app, ids).await, 0);
}

both_backends!(client_signed_captures, |app| async move {
    // No platform-held key: the organisation will register its own.
    let (_, token) = app.producer("tlog_ukey", "510115").await;
    // The organisation keeps its key on a UKey: it registers the public half only.
    let ukey = SigningKey::sm2_from_bytes(&[u8::try_from(unique() % 200).unwrap() + 3; 32]).unwrap();
    let public = ukey.verifying_key().to_string();
    let (status, key) = app
        .post("/tlog/keys", &token, json!({"public_key": public}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let fingerprint = key["key_id"].as_str().unwrap().to_owned();
    let start = app.store.tlog_size().await.unwrap();

    // Signed by the client: accepted, logged with the client's signatures.
    let (doc, ids) = document(2);
    let events = events_of(&doc);
    let signed = with_signatures(
        &doc,
        vec![
            client_signature(&events[0], &ukey, &public),
            client_signature(&events[1], &ukey, &fingerprint),
        ],
    );
    capture(app, &token, &signed).await;
    assert_eq!(app.store.tlog_size().await.unwrap(), start + 2);
    assert_eq!(stored_events(app, &ids).await, 2);
    // The platform made no key of its own for the organisation.
    assert_eq!(app.get("/tlog/keys", &token).await.1.as_array().unwrap().len(), 1);
    verify_ok(app).await;
    let trusted = trusted(app).await;
    for (id, event) in ids.iter().zip(&events) {
        let b = bundle(app, id).await;
        assert_eq!(b.version, 2);
        let verified = verify_bundle(&ProofBundle::from_json(&b.to_json()).unwrap(), &trusted).unwrap();
        assert_eq!(verified.signed_hash, Some(cbv_hash(event)));
        assert_eq!(verified.signer.to_string(), public);
        let stored = text_of(
            app,
            "SELECT document FROM events WHERE event_id = $1",
            &params![id.as_str()],
            "document",
        )
        .await;
        assert_eq!(verified.record_hash, HashAlg::Sha256.digest(stored.as_bytes()));
    }

    // Edits of the stored client-signed row are caught: a signed field and
    // the recordTime, which the client did not sign.
    let original = edit_document(app, &ids[0]).await;
    assert_caught(
        &app.store.verify_log().await.unwrap(),
        "events",
        "document",
        &ids[0],
    );
    let time: Value = serde_json::from_str::<Value>(&original).unwrap()["recordTime"].clone();
    let later = original.replace(time.as_str().unwrap(), "2099-01-01T00:00:00.000Z");
    assert_ne!(later, original);
    sql(
        app,
        "UPDATE events SET document = $1 WHERE event_id = $2",
        &params![later.as_str(), ids[0].as_str()],
    )
    .await;
    assert_caught(
        &app.store.verify_log().await.unwrap(),
        "events",
        "document",
        &ids[0],
    );
    sql(
        app,
        "UPDATE events SET document = $1 WHERE event_id = $2",
        &params![original.as_str(), ids[0].as_str()],
    )
    .await;
    // The stored signed hash edited: the signature no longer holds.
    let signed_hash = text_of(
        app,
        "SELECT signed_hash FROM tlog_leaves WHERE event_id = $1",
        &params![ids[1].as_str()],
        "signed_hash",
    )
    .await;
    edit_caught(
        app,
        "UPDATE tlog_leaves SET signed_hash = $1 WHERE event_id = $2",
        &params!["00".repeat(32), ids[1].as_str()],
        &params![signed_hash.as_str(), ids[1].as_str()],
        ("tlog_leaves", "signature", &ids[1]),
    )
    .await;
    verify_ok(app).await;

    // Refusals: the whole capture, naming the event and the field; nothing stored.
    let (doc, ids) = document(2);
    let events = events_of(&doc);
    let good = client_signature(&events[0], &ukey, &public);
    let mut bad_sig = client_signature(&events[1], &ukey, &public);
    let mut bytes = Signature::from_base64(bad_sig["signature"].as_str().unwrap()).unwrap();
    bytes.0[5] ^= 1;
    bad_sig["signature"] = json!(bytes.to_base64());
    refused(
        app,
        &token,
        &with_signatures(&doc, vec![good.clone(), bad_sig]),
        &ids,
        (Some(1), "suyuan:signatures[1].signature", "signature_invalid"),
    )
    .await;
    // Signed by another key, named as the registered one, or named as itself.
    let other = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 7; 32]);
    refused(
        app,
        &token,
        &with_signatures(
            &doc,
            vec![good.clone(), client_signature(&events[1], &other, &public)],
        ),
        &ids,
        (Some(1), "suyuan:signatures[1].signature", "signature_invalid"),
    )
    .await;
    refused(
        app,
        &token,
        &with_signatures(
            &doc,
            vec![
                good.clone(),
                client_signature(&events[1], &other, &other.verifying_key().to_string()),
            ],
        ),
        &ids,
        (Some(1), "suyuan:signatures[1].key", "signature_key_unknown"),
    )
    .await;
    // A signature over another event.
    let mut swapped = client_signature(&events[0], &ukey, &public);
    swapped["eventID"] = events[1]["eventID"].clone();
    refused(
        app,
        &token,
        &with_signatures(&doc, vec![good.clone(), swapped]),
        &ids,
        (Some(1), "suyuan:signatures[1].signature", "signature_invalid"),
    )
    .await;
    // A signature naming an event that is not in the document.
    let mut stray = good.clone();
    stray["eventID"] = json!("urn:uuid:00000000-0000-7000-8000-000000000000");
    refused(
        app,
        &token,
        &with_signatures(&doc, vec![good.clone(), stray]),
        &ids,
        (None, "suyuan:signatures[1].eventID", "signature_event_unknown"),
    )
    .await;
    // A missing signature, also under `proceed`.
    refused(
        app,
        &token,
        &with_signatures(&doc, vec![good.clone()]),
        &ids,
        (Some(1), "suyuan:signatures", "signature_missing"),
    )
    .await;
    refused(
        app,
        &token,
        &doc,
        &ids,
        (Some(0), "suyuan:signatures", "signature_missing"),
    )
    .await;

    // An organisation with a platform key may still sign itself: both kinds of leaves.
    let (status, _) = app.post("/tlog/keys/rotate", &token, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let second = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 11; 32]);
    let second_text = second.verifying_key().to_string();
    let (status, body) = app
        .post("/tlog/keys", &token, json!({"public_key": second_text}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    capture(
        app,
        &token,
        &with_signatures(&doc, vec![client_signature(&events[0], &second, &second_text)]),
    )
    .await;
    assert_eq!(bundle(app, &ids[0]).await.signed_hash, Some(cbv_hash(&events[0])));
    assert_eq!(bundle(app, &ids[1]).await.signed_hash, None);
    verify_ok(app).await;

    // An error declaration signs its own hash: the event's signature does not do.
    let mut declared = events[0].clone();
    declared["errorDeclaration"] =
        json!({"declarationTime": "2026-03-02T08:00:00+08:00", "reason": "incorrect_data"});
    let mut declaration = doc.clone();
    declaration["epcisBody"]["eventList"] = json!([declared]);
    let mut replayed = client_signature(&events[0], &second, &second_text);
    replayed["errorDeclaration"] = json!(true);
    let size = app.store.tlog_size().await.unwrap();
    let (_, job) = capture_raw(app, &token, &with_signatures(&declaration, vec![replayed])).await;
    assert_eq!(job["errors"][0]["code"], "signature_invalid", "{job}");
    assert_eq!(app.store.tlog_size().await.unwrap(), size);
    let mut bytes = b"suyuan-error-declaration/v1\n".to_vec();
    bytes.extend_from_slice(cbv_hash(&events[0]).as_bytes());
    bytes.extend_from_slice(canonical_json(&declared["errorDeclaration"]).as_bytes());
    let declaration_hash = HashAlg::Sha256.digest(&bytes);
    let entry = json!({
        "eventID": events[0]["eventID"], "key": second_text, "errorDeclaration": true,
        "signature": second.sign(&signed_message(HashAlg::Sha256, &declaration_hash)).unwrap().to_base64(),
    });
    capture(app, &token, &with_signatures(&declaration, vec![entry])).await;
    assert_eq!(app.store.tlog_size().await.unwrap(), size + 1);
    let signed = text_of(
        app,
        "SELECT signed_hash FROM tlog_leaves WHERE idx = $1",
        &params![i64::try_from(size).unwrap()],
        "signed_hash",
    )
    .await;
    assert_eq!(signed, declaration_hash.to_hex());
    verify_ok(app).await;

    // A signature with a revoked key (the UKey's, revoked by the rotation).
    let (doc, ids) = document(1);
    let events = events_of(&doc);
    refused(
        app,
        &token,
        &with_signatures(&doc, vec![client_signature(&events[0], &ukey, &public)]),
        &ids,
        (Some(0), "suyuan:signatures[0].key", "signature_key_revoked"),
    )
    .await;
    verify_ok(app).await;
});

/// The two signature headers' values.
type KeyAndSignature = (String, String);

/// A POST with a JSON body given as text and optional signature headers.
async fn post_signed(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &str,
    signature: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some((key, sig)) = signature {
        b = b
            .header("Suyuan-Signature-Key", key)
            .header("Suyuan-Signature", sig);
    }
    let (status, _, body) = app.send(b.body(Body::from(body.to_owned())).unwrap()).await;
    (status, body)
}

/// A client's signature over a create request's body.
fn body_signature(key: &SigningKey, kind: &str, body: &str) -> String {
    let mut bytes = format!("suyuan-master-data/v1\n{kind}\n").into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    let signed = HashAlg::Sha256.digest(&bytes);
    key.sign(&signed_message(HashAlg::Sha256, &signed))
        .unwrap()
        .to_base64()
}

async fn record_bundle(app: &TestApp, name: &str) -> ProofBundle {
    proof_of(app, "record", name).await
}

async fn count(app: &TestApp, table: &str) -> String {
    text_of(
        app,
        &format!("SELECT CAST(COUNT(*) AS TEXT) AS n FROM {table}"),
        &[],
        "n",
    )
    .await
}

both_backends!(master_data_records_are_logged, |app| async move {
    let (org, token) = producer(app, "tlog_md").await;
    let start = app.store.tlog_size().await.unwrap();
    let (status, place) = app
        .post(
            "/api/v1/places",
            &token,
            json!({"kind": "warehouse", "name": "冷库一号", "temperature_controlled": true,
                   "temperature_min": 0.5, "temperature_max": 4.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{place}");
    let gtin = gtin13();
    let (status, product) = app
        .post(
            "/api/v1/products",
            &token,
            json!({"gtin": gtin, "name": "二荆条辣椒", "category": "vegetable", "unit": "KGM"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let (status, input) = app
        .post(
            "/api/v1/inputs",
            &token,
            json!({"kind": "fertiliser", "name": "有机肥", "unit": "袋"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{input}");
    let (status, supplier) = app
        .post("/api/v1/suppliers", &token, json!({"name": "农资店"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{supplier}");
    let (status, purchase) = app
        .post(
            "/api/v1/input-purchases",
            &token,
            json!({"input_id": input["id"], "supplier_id": supplier["id"], "lot_number": "L1",
                   "quantity": 2.5, "unit": "袋", "purchased_on": "2024-05-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{purchase}");
    // Five records, five leaves.
    assert_eq!(app.store.tlog_size().await.unwrap(), start + 5);
    verify_ok(app).await;

    // The product's record hash is SHA-256 of its documented canonical form.
    let product_id = product["id"].as_str().unwrap().to_owned();
    let created = text_of(
        app,
        "SELECT CAST(created_at AS TEXT) AS t FROM products WHERE id = $1",
        &params![product_id.as_str()],
        "t",
    )
    .await;
    let canonical = format!(
        "{{\"category\":\"vegetable\",\"created_at\":{created},\"description\":null,\"gtin\":\"0{gtin}\",\
         \"id\":\"{product_id}\",\"name\":\"二荆条辣椒\",\"org_id\":\"{org}\",\"origin\":null,\
         \"origin_region\":null,\"record\":\"product\",\"shelf_life_days\":null,\"specification\":null,\
         \"unit\":\"KGM\",\"variety\":null}}"
    );
    let trusted = trusted(app).await;
    let b = record_bundle(app, &format!("product:{product_id}")).await;
    let verified = verify_bundle(&b, &trusted).unwrap();
    assert_eq!(verified.record_hash, HashAlg::Sha256.digest(canonical.as_bytes()));
    for name in [
        format!("place:{}", place["id"].as_str().unwrap()),
        format!("input:{}", input["id"].as_str().unwrap()),
        format!("input_purchase:{}", purchase["id"].as_str().unwrap()),
        format!("supplier:{}", supplier["id"].as_str().unwrap()),
    ] {
        verify_bundle(&record_bundle(app, &name).await, &trusted).unwrap();
    }
    // A record is not an event, and the query names one or the other.
    let (status, _) = app
        .request(
            "GET",
            &format!("/tlog/proof?event_id=product:{product_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.request("GET", "/tlog/proof", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Rows edited directly in SQL are caught, naming the record.
    let place_id = place["id"].as_str().unwrap().to_owned();
    let place_name = format!("place:{place_id}");
    edit_caught(
        app,
        "UPDATE places SET name = $1 WHERE id = $2",
        &params!["冷库二号", place_id.as_str()],
        &params!["冷库一号", place_id.as_str()],
        ("places", "row", &place_name),
    )
    .await;
    edit_caught(
        app,
        "UPDATE places SET temperature_max = $1 WHERE id = $2",
        &params![9.0f64, place_id.as_str()],
        &params![4.0f64, place_id.as_str()],
        ("places", "row", &place_name),
    )
    .await;
    let product_name = format!("product:{product_id}");
    edit_caught(
        app,
        "UPDATE products SET origin = $1 WHERE id = $2",
        &params!["别处", product_id.as_str()],
        &params![None::<String>, product_id.as_str()],
        ("products", "row", &product_name),
    )
    .await;
    // A registered company prefix is in the canonical form when given (a
    // product without one keeps the form above): setting, changing or
    // clearing it is caught.
    edit_caught(
        app,
        "UPDATE products SET company_prefix = $1 WHERE id = $2",
        &params![&gtin[..7], product_id.as_str()],
        &params![None::<String>, product_id.as_str()],
        ("products", "row", &product_name),
    )
    .await;
    let prefix = "69012345";
    let other_gtin = "6901234500011";
    let (status, prefixed) = app
        .post(
            "/api/v1/products",
            &token,
            json!({"gtin": other_gtin, "company_prefix": prefix, "name": "登记厂商码的辣椒",
                   "category": "vegetable", "unit": "KGM"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{prefixed}");
    assert_eq!(prefixed["company_prefix"], prefix);
    let prefixed_id = prefixed["id"].as_str().unwrap().to_owned();
    let b = record_bundle(app, &format!("product:{prefixed_id}")).await;
    let canonical = format!(
        "{{\"category\":\"vegetable\",\"company_prefix\":\"{prefix}\",\"created_at\":{},\
         \"description\":null,\"gtin\":\"0{other_gtin}\",\"id\":\"{prefixed_id}\",\
         \"name\":\"登记厂商码的辣椒\",\"org_id\":\"{org}\",\"origin\":null,\"origin_region\":null,\
         \"record\":\"product\",\"shelf_life_days\":null,\"specification\":null,\"unit\":\"KGM\",\
         \"variety\":null}}",
        text_of(
            app,
            "SELECT CAST(created_at AS TEXT) AS t FROM products WHERE id = $1",
            &params![prefixed_id.as_str()],
            "t",
        )
        .await
    );
    assert_eq!(
        verify_bundle(&b, &trusted).unwrap().record_hash,
        HashAlg::Sha256.digest(canonical.as_bytes())
    );
    let prefixed_name = format!("product:{prefixed_id}");
    for bad in [Some("690123450"), None] {
        edit_caught(
            app,
            "UPDATE products SET company_prefix = $1 WHERE id = $2",
            &params![bad, prefixed_id.as_str()],
            &params![prefix, prefixed_id.as_str()],
            ("products", "row", &prefixed_name),
        )
        .await;
    }
    verify_ok(app).await;
    // A row inserted behind the store's back has no leaf.
    let stray = Uuid::now_v7().to_string();
    sql(
        app,
        "INSERT INTO places (id, org_id, kind, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        &params![stray.as_str(), org, "warehouse", "暗仓", i64::MAX / 2],
    )
    .await;
    assert_caught(
        &app.store.verify_log().await.unwrap(),
        "places",
        "id",
        &format!("place:{stray}"),
    );
    sql(app, "DELETE FROM places WHERE id = $1", &params![stray.as_str()]).await;
    verify_ok(app).await;

    // An organisation keeping its own key signs the request body (the
    // platform holds none for it).
    let (_, token) = app.producer("tlog_md_ukey", "510115").await;
    let ukey = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 13; 32]);
    let public = ukey.verifying_key().to_string();
    let (status, key) = app
        .post("/tlog/keys", &token, json!({"public_key": public}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let size = app.store.tlog_size().await.unwrap();
    let places = count(app, "places").await;
    let body = json!({"kind": "warehouse", "name": "签名仓库"}).to_string();
    let good = body_signature(&ukey, "place", &body);
    let other = SigningKey::ed25519_from_seed(&[u8::try_from(unique() % 200).unwrap() + 17; 32]);
    let mut flipped = Signature::from_base64(&good).unwrap();
    flipped.0[3] ^= 1;
    let cases: Vec<(Option<KeyAndSignature>, &str, &str)> = vec![
        (None, "Suyuan-Signature", "signature_missing"),
        (
            Some((public.clone(), flipped.to_base64())),
            "Suyuan-Signature",
            "signature_invalid",
        ),
        (
            Some((public.clone(), body_signature(&other, "place", &body))),
            "Suyuan-Signature",
            "signature_invalid",
        ),
        // Signed as a product: another record.
        (
            Some((public.clone(), body_signature(&ukey, "product", &body))),
            "Suyuan-Signature",
            "signature_invalid",
        ),
        (
            Some((
                other.verifying_key().to_string(),
                body_signature(&other, "place", &body),
            )),
            "Suyuan-Signature-Key",
            "signature_key_unknown",
        ),
        (
            Some((public.clone(), "abc".into())),
            "Suyuan-Signature",
            "signature_malformed",
        ),
    ];
    for (signature, field, code) in &cases {
        let (status, problem) = post_signed(
            app,
            "/api/v1/places",
            &token,
            &body,
            signature.as_ref().map(|(k, s)| (k.as_str(), s.as_str())),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["code"], *code, "{problem}");
        assert_eq!(problem["field"], *field, "{problem}");
        assert_eq!(app.store.tlog_size().await.unwrap(), size);
        assert_eq!(count(app, "places").await, places);
    }
    let (status, problem) = post_signed(app, "/api/v1/places", &token, &body, Some((&public, ""))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, signed_place) =
        post_signed(app, "/api/v1/places", &token, &body, Some((&public, &good))).await;
    assert_eq!(status, StatusCode::CREATED, "{signed_place}");
    let name = format!("place:{}", signed_place["id"].as_str().unwrap());
    let b = record_bundle(app, &name).await;
    assert_eq!(b.version, 2);
    assert_eq!(b.signer_key.to_string(), public);
    verify_bundle(&b, &trusted).unwrap();
    verify_ok(app).await;
    edit_caught(
        app,
        "UPDATE places SET name = $1 WHERE id = $2",
        &params!["改过的地块", signed_place["id"].as_str().unwrap()],
        &params!["签名仓库", signed_place["id"].as_str().unwrap()],
        ("places", "row", &name),
    )
    .await;
    // After the key's revocation its signatures are refused.
    let key_id = key["key_id"].as_str().unwrap();
    let (status, _) = app
        .post(&format!("/tlog/keys/{key_id}/revoke"), &token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let body2 = json!({"kind": "warehouse", "name": "吊销后"}).to_string();
    let (status, problem) = post_signed(
        app,
        "/api/v1/places",
        &token,
        &body2,
        Some((&public, &body_signature(&ukey, "place", &body2))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "signature_key_revoked", "{problem}");
    assert_eq!(problem["field"], "Suyuan-Signature-Key", "{problem}");
    verify_ok(app).await;
});

both_backends!(concurrent_captures_are_gap_free, |app| async move {
    let (_, token_a) = producer(app, "tlog_d").await;
    let (_, token_b) = producer(app, "tlog_e").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    let docs: Vec<(Value, Vec<String>)> = (0..4).map(|_| document(5)).collect();
    let (ra, rb, rc, rd) = tokio::join!(
        capture_raw(app, &token_a, &docs[0].0),
        capture_raw(app, &token_b, &docs[1].0),
        capture_raw(app, &token_a, &docs[2].0),
        capture_raw(app, &token_b, &docs[3].0),
    );
    for (status, job) in [ra, rb, rc, rd] {
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        assert_eq!(job["success"], true, "{job}");
    }
    assert_eq!(app.store.tlog_size().await.unwrap(), base + 20);
    let rows = app
        .store
        .db()
        .conn()
        .fetch_all("SELECT idx FROM tlog_leaves ORDER BY idx", &[])
        .await
        .unwrap();
    let idx: Vec<i64> = rows.iter().map(|r| r.int("idx").unwrap()).collect();
    let base = i64::try_from(base).unwrap();
    assert_eq!(idx, (0..base + 20).collect::<Vec<i64>>());
    let report = verify_ok(app).await;
    assert_eq!(report.leaves, u64::try_from(base).unwrap() + 20);
    let trusted = trusted(app).await;
    for (_, ids) in &docs {
        verify_bundle(&bundle(app, &ids[4]).await, &trusted).unwrap();
    }
});

// The scheduled integrity check: each run is recorded; the newest
// answers GET /tlog/integrity, with 503 once the log no longer verifies.
both_backends!(scheduled_integrity_check_alerts_on_tampering, |app| async move {
    let (status, body) = app.request("GET", "/tlog/integrity", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checked"], false, "{body}");

    let (_, token) = producer(app, "tlog_int").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    let check = app.store.check_integrity().await.unwrap();
    assert!(check.ok, "{check:?}");
    assert_eq!(check.leaves, i64::try_from(base).unwrap() + 3);
    let (status, body) = app.request("GET", "/tlog/integrity", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["leaves"], base + 3, "{body}");

    // Somebody edits a stored event underneath the platform.
    edit_document(app, &ids[1]).await;
    let check = app.store.check_integrity().await.unwrap();
    assert!(!check.ok);
    assert!(check.problems >= 1);
    let (status, body) = app.request("GET", "/tlog/integrity", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    let first = body["first_problem"].as_str().unwrap();
    assert!(first.contains(&ids[1]) && first.contains("events"), "{first}");
});

/// A witness service on a real TCP port; answers its endpoint and state file.
async fn start_witness(
    log: &TrustedLog,
    name: &str,
    dir: &std::path::Path,
) -> (suyuan_server::witnesses::WitnessEndpoint, std::path::PathBuf) {
    use suyuan_ledger::cosignature::{CosignerKey, Witness};
    let key = CosignerKey::generate(name, &mut rand::rngs::OsRng).unwrap();
    let vkey = key.verifier();
    let state = dir.join(format!("{name}.json"));
    let service =
        suyuan_server::witness_service::WitnessService::new(Witness::new(key), log.clone(), state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, suyuan_server::witness_service::router(service))
            .await
            .unwrap();
    });
    let endpoint =
        suyuan_server::witnesses::WitnessEndpoint::parse(&format!("{vkey}@http://{addr}")).unwrap();
    (endpoint, state)
}

/// A raw add-checkpoint request to a witness: (status, body).
async fn add_checkpoint(url: &str, old: u64, proof: &[Hash], note: &str) -> (u16, String) {
    use base64::Engine as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&base64::engine::general_purpose::STANDARD.encode(h.as_bytes()));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (
        head.split_whitespace().nth(1).unwrap().parse().unwrap(),
        body.to_owned(),
    )
}

// Witnesses (C2SP tlog-witness over HTTP) cosign checkpoints; bundles then
// carry a final checkpoint (k of n cosignatures) that verifies offline; a
// witness refuses a rollback, a stale size and a note the log did not sign,
// and remembers what it cosigned across a restart.
both_backends!(witnesses_cosign_checkpoints_over_http, |app| async move {
    use suyuan_ledger::bundle::verify_bundle_with_quorum;
    use suyuan_ledger::cosignature::{CosignerKey, Quorum};
    use suyuan_ledger::note::Note;
    use suyuan_server::witnesses::cosign_round;

    let (_, token) = producer(app, "tlog_wit").await;
    // The organisations' records come first.
    let base = app.store.tlog_size().await.unwrap();
    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    let log = trusted(app).await;
    let dir = tempfile::tempdir().unwrap();
    let (w1, state1) = start_witness(&log, "w1.witness.test", dir.path()).await;
    let (w2, _) = start_witness(&log, "w2.witness.test", dir.path()).await;
    let endpoints = vec![w1.clone(), w2.clone()];
    app.store
        .configure_witnesses(
            &endpoints
                .iter()
                .map(|w| (w.vkey.clone(), w.url.clone()))
                .collect::<Vec<_>>(),
            2,
        )
        .await
        .unwrap();

    assert_eq!(cosign_round(&app.store, &endpoints).await.unwrap(), 2);
    let b = bundle(app, &ids[0]).await;
    assert_eq!(b.quorum, 2);
    assert_eq!(b.tree_size, base + 3);
    verify_bundle(&b, &log).unwrap();
    let (_, note3) = get_text(app, "/tlog/checkpoint").await;
    assert_eq!(Note::parse(&note3).unwrap().signatures().len(), 3, "{note3}");

    // The log grows: the witnesses check consistency 3 → 5 and cosign.
    let (doc2, ids2) = document(2);
    capture(app, &token, &doc2).await;
    assert_eq!(cosign_round(&app.store, &endpoints).await.unwrap(), 2);
    let b = bundle(app, &ids2[1]).await;
    assert_eq!(b.tree_size, base + 5);
    verify_bundle(&b, &log).unwrap();
    let saved = std::fs::read_to_string(&state1).unwrap();
    assert!(saved.contains(&format!("\"size\": {}", base + 5)), "{saved}");

    // A verifier's own policy: both witnesses pass; a third it requires is missing.
    let strict = Quorum {
        witnesses: vec![w1.vkey.clone(), w2.vkey.clone()],
        k: 2,
    };
    verify_bundle_with_quorum(&b, &log, &strict).unwrap();
    let other = CosignerKey::generate("w3.witness.test", &mut rand::rngs::OsRng).unwrap();
    let stricter = Quorum {
        witnesses: vec![w1.vkey.clone(), w2.vkey.clone(), other.verifier()],
        k: 3,
    };
    assert!(verify_bundle_with_quorum(&b, &log, &stricter).is_err());

    // Refusals, straight to witness 1 (which has cosigned size 5).
    let (status, body) = add_checkpoint(&w1.url, base + 3, &[], &note3).await;
    let size5 = (base + 5).to_string();
    assert_eq!(
        (status, body.trim()),
        (409, size5.as_str()),
        "a stale old size answers the witness's size"
    );
    let (status, body) = add_checkpoint(&w1.url, base + 5, &[], &note3).await;
    assert_eq!(status, 400, "rollback to size 3 refused: {body}");
    let forged = note3.replacen(&format!("\n{}\n", base + 3), &format!("\n{}\n", base + 7), 1);
    let (status, body) = add_checkpoint(&w1.url, base + 5, &[], &forged).await;
    assert_eq!(status, 403, "a note the log did not sign is refused: {body}");
    let (status, body) = add_checkpoint(&w1.url, base + 5, &[], "not a note").await;
    assert_eq!(status, 400, "{body}");

    // Restarted from its state file, the witness still knows size 5.
    let restarted = suyuan_server::witness_service::load_state(&state1).unwrap();
    assert_eq!(restarted.values().next().unwrap().size, base + 5);
});
