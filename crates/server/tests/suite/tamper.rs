//! Tamper evidence of the log's own tables beyond the leaf hashes: a leaf's
//! `event_id` and `created_at` (which its record binds), and moved leaf
//! times hiding an unlogged event; a deleted checkpoint row (named by the
//! next checkpoint's link or by its witness's cosignature), an edited one
//! (its root, or a node its consistency with the one before rests on); an
//! edited or foreign cosignature. Each edit is caught by `Store::verify_log`, which
//! names the table, row, column, expected and found value; putting the row
//! back makes the log verify again. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::tlog::{capture, document, producer, smuggle_event, sql, text_of, verify_ok};
use axum::http::StatusCode;
use serde_json::json;
use suyuan_ledger::cosignature::CosignerKey;
use suyuan_ledger::note::Note;
use suyuan_store::db::Val;
use suyuan_store::params;
use suyuan_store::tlog::{Mismatch, StoredCheckpoint, VerifyReport};

/// Asserts that `report` names exactly one problem: `column` of row `key` of
/// `table`, its expected value containing `expected` and the value found
/// containing `found`. Answers it.
#[track_caller]
fn named<'r>(
    report: &'r VerifyReport,
    (table, key, column): (&str, &str, &str),
    expected: &str,
    found: &str,
) -> &'r Mismatch {
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    assert_eq!(
        (p.table.as_str(), p.index.as_str(), p.field.as_str()),
        (table, key, column),
        "{p:#?}"
    );
    assert!(p.expected.contains(expected), "expected {expected:?} in {p:#?}");
    assert!(p.found.contains(found), "found {found:?} in {p:#?}");
    p
}

/// Runs `bad`, verifies, runs `good` (putting the row back) and checks the
/// log verifies again; answers the report of the tampered log.
async fn tampered(app: &TestApp, bad: (&str, &[Val]), good: (&str, &[Val])) -> VerifyReport {
    sql(app, bad.0, bad.1).await;
    let report = app.store.verify_log().await.unwrap();
    sql(app, good.0, good.1).await;
    verify_ok(app).await;
    report
}

/// A leaf's `created_at`, as text.
async fn created_at(app: &TestApp, idx: i64) -> String {
    text_of(
        app,
        "SELECT CAST(created_at AS TEXT) AS t FROM tlog_leaves WHERE idx = $1",
        &params![idx],
        "t",
    )
    .await
}

both_backends!(leaf_names_and_times_answer_to_their_records, |app| async move {
    let (_, token) = producer(app, "tamper_leaf").await;
    // The organisations' records come first: leaf `b + i` is event `i`.
    let b = i64::try_from(app.store.tlog_size().await.unwrap()).unwrap();
    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    let (status, place) = app
        .post(
            "/api/v1/places",
            &token,
            json!({"kind": "warehouse", "name": "冷库二号"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{place}");
    let place_leaf = format!("place:{}", place["id"].as_str().unwrap());
    verify_ok(app).await;

    // An event's leaf renamed: the eventID its document binds is expected.
    let rename = "UPDATE tlog_leaves SET event_id = $1 WHERE idx = $2";
    let report = tampered(
        app,
        (rename, &params!["urn:uuid:renamed", b + 1]),
        (rename, &params![ids[1].as_str(), b + 1]),
    )
    .await;
    let p = named(
        &report,
        ("tlog_leaves", &format!("idx {}", b + 1), "event_id"),
        &ids[1],
        "urn:uuid:renamed",
    );
    assert_eq!(p.record.as_deref(), Some(ids[1].as_str()));

    // A master-data leaf renamed: `<kind>:<id>` of its row is expected.
    let report = tampered(
        app,
        (rename, &params!["place:renamed", b + 3]),
        (rename, &params![place_leaf.as_str(), b + 3]),
    )
    .await;
    named(
        &report,
        ("tlog_leaves", &format!("idx {}", b + 3), "event_id"),
        &place_leaf,
        "place:renamed",
    );

    // A leaf's time moved by a second: the document's recordTime, or the
    // row's created_at, is expected.
    let shift = "UPDATE tlog_leaves SET created_at = created_at + $1 WHERE idx = $2";
    for (idx, source) in [(b + 2, "recordTime"), (b + 3, "created_at of its row")] {
        let before = created_at(app, idx).await;
        let report = tampered(
            app,
            (shift, &params![1000i64, idx]),
            (shift, &params![-1000i64, idx]),
        )
        .await;
        let after = (before.parse::<i64>().unwrap() + 1000).to_string();
        let p = named(
            &report,
            ("tlog_leaves", &format!("idx {idx}"), "created_at"),
            &before,
            &after,
        );
        assert!(p.expected.contains(source), "{p:#?}");
    }
});

// Leaf times moved later cannot hide an event inserted outside the log:
// since when events are logged is read from the documents, not the leaves.
both_backends!(leaf_times_cannot_hide_an_unlogged_event, |app| async move {
    let (_, token) = producer(app, "tamper_late").await;
    let (doc, ids) = document(3);
    capture(app, &token, &doc).await;
    smuggle_event(app, "urn:uuid:smuggled-late", &ids[0]).await;
    sql(
        app,
        "UPDATE tlog_leaves SET created_at = created_at + $1 WHERE record_kind IS NULL",
        &params![86_400_000i64],
    )
    .await;
    let report = app.store.verify_log().await.unwrap();
    let fields: Vec<(&str, &str)> = report
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.record.as_deref().unwrap_or("")))
        .collect();
    let mut expected: Vec<(&str, &str)> = ids.iter().map(|id| ("created_at", id.as_str())).collect();
    expected.push(("id", "urn:uuid:smuggled-late"));
    assert_eq!(fields, expected, "{:#?}", report.problems);
    sql(
        app,
        "UPDATE tlog_leaves SET created_at = created_at - $1 WHERE record_kind IS NULL",
        &params![86_400_000i64],
    )
    .await;
    sql(
        app,
        "DELETE FROM events WHERE event_id = $1",
        &params!["urn:uuid:smuggled-late"],
    )
    .await;
    verify_ok(app).await;
});

/// Cosigns `cp` with `witness` and keeps the cosignature; answers its line.
pub(crate) async fn cosign(app: &TestApp, witness: &CosignerKey, cp: &StoredCheckpoint) -> String {
    let note = Note::parse(&cp.note).unwrap();
    let line = witness
        .cosign_body(note.text(), 1_770_000_000)
        .unwrap()
        .to_line()
        .to_string();
    app.store
        .add_cosignature(cp, &witness.verifier(), &line)
        .await
        .unwrap();
    line
}

/// Three captures of two events, each followed by a checkpoint that the
/// witness `w.tamper.test` cosigns: checkpoints of sizes 2, 4 and 6.
struct Chain {
    /// The log's size before the chain (a multiple of 8, so that the tree
    /// above it has the shape of an empty log's): the checkpoints are of
    /// sizes `b + 2`, `b + 4` and `b + 6`.
    b: i64,
    /// The witness's vkey.
    vkey: String,
    /// Each checkpoint with its cosignature line.
    cps: Vec<(StoredCheckpoint, String)>,
}

const INSERT_CHECKPOINT: &str =
    "INSERT INTO tlog_checkpoints (size, root, note, created_at) VALUES ($1,$2,$3,$4)";
const INSERT_COSIGNATURE: &str =
    "INSERT INTO tlog_cosignatures (size, vkey, line, created_at) VALUES ($1,$2,$3,$4)";
const DELETE_CHECKPOINT: &str = "DELETE FROM tlog_checkpoints WHERE size = $1";

impl Chain {
    async fn new(app: &TestApp, username: &str) -> Chain {
        let (_, token) = producer(app, username).await;
        // The organisations' records come first; padded to a multiple of 8.
        let size = app.store.tlog_size().await.unwrap();
        let pad = (8 - size % 8) % 8;
        if pad > 0 {
            capture(app, &token, &document(usize::try_from(pad).unwrap()).0).await;
        }
        let b = i64::try_from(app.store.tlog_size().await.unwrap()).unwrap();
        let witness = CosignerKey::generate("w.tamper.test", &mut rand::rngs::OsRng).unwrap();
        app.store
            .configure_witnesses(&[(witness.verifier(), "http://127.0.0.1:9".into())], 1)
            .await
            .unwrap();
        let mut cps = Vec::new();
        for _ in 0..3 {
            capture(app, &token, &document(2).0).await;
            let cp = app.store.checkpoint().await.unwrap();
            let line = cosign(app, &witness, &cp).await;
            cps.push((cp, line));
        }
        assert_eq!(verify_ok(app).await.checkpoints, 3);
        Chain {
            b,
            vkey: witness.verifier().to_string(),
            cps,
        }
    }

    /// The values of checkpoint `i`'s row, for [`INSERT_CHECKPOINT`].
    fn checkpoint_row(&self, i: usize) -> [Val; 4] {
        let cp = &self.cps[i].0;
        // Made at the time its note states.
        let time: i64 = cp
            .note
            .lines()
            .find_map(|l| l.strip_prefix("time "))
            .unwrap()
            .parse()
            .unwrap();
        params![
            i64::try_from(cp.size).unwrap(),
            cp.root.as_str(),
            cp.note.as_str(),
            time
        ]
    }

    /// The values of checkpoint `i`'s cosignature row, for [`INSERT_COSIGNATURE`].
    fn cosignature_row(&self, i: usize) -> [Val; 4] {
        let size = i64::try_from(self.cps[i].0.size).unwrap();
        // Made when its line says (see `cosign`).
        params![
            size,
            self.vkey.as_str(),
            self.cps[i].1.as_str(),
            1_770_000_000_000i64
        ]
    }
}

/// Asserts that `report` names the checkpoint row at `size` deleted, as its
/// witness's cosignature shows, and that cosignature as naming no row.
#[track_caller]
fn deleted_but_cosigned(report: &VerifyReport, size: &str) {
    let (cp, cosigned): (Vec<&Mismatch>, Vec<&Mismatch>) = report
        .problems
        .iter()
        .partition(|p| p.table == "tlog_checkpoints");
    assert_eq!(cp.len(), 1, "{:#?}", report.problems);
    assert_eq!((cp[0].index.as_str(), cp[0].field.as_str()), (size, "size"));
    assert!(cp[0].expected.contains("that its witnesses cosigned"), "{cp:#?}");
    assert!(cp[0].found.contains("no such row"), "{cp:#?}");
    assert!(!cosigned.is_empty(), "{:#?}", report.problems);
    assert!(
        cosigned
            .iter()
            .all(|p| p.table == "tlog_cosignatures" && p.field == "size"),
        "{cosigned:#?}"
    );
}

both_backends!(deleted_checkpoints_are_named, |app| async move {
    let chain = Chain::new(app, "tamper_cp_del").await;
    let b = chain.b;
    let (size4, size6) = (format!("size {}", b + 4), format!("size {}", b + 6));
    // Each checkpoint names the one stored before it.
    let notes: Vec<&str> = chain.cps.iter().map(|(cp, _)| cp.note.as_str()).collect();
    assert!(!notes[0].contains("\nprevious "), "{}", notes[0]);
    assert!(
        notes[1].contains(&format!("\nprevious {}\n", b + 2)),
        "{}",
        notes[1]
    );
    assert!(
        notes[2].contains(&format!("\nprevious {}\n", b + 4)),
        "{}",
        notes[2]
    );

    // A checkpoint row deleted: its witness's cosignature names it.
    let restore = (INSERT_CHECKPOINT, &chain.checkpoint_row(1)[..]);
    let report = tampered(app, (DELETE_CHECKPOINT, &params![b + 4]), restore).await;
    deleted_but_cosigned(&report, &size4);
    // Deleted with its cosignature: the next checkpoint names it.
    sql(
        app,
        "DELETE FROM tlog_cosignatures WHERE size = $1",
        &params![b + 4],
    )
    .await;
    sql(app, DELETE_CHECKPOINT, &params![b + 4]).await;
    let report = app.store.verify_log().await.unwrap();
    named(
        &report,
        ("tlog_checkpoints", &size4, "size"),
        &format!("that the checkpoint of {size6} names as the one before it"),
        "no such row",
    );
    sql(app, restore.0, restore.1).await;
    // The cosignature alone deleted: the next checkpoint says how many there were.
    let report = app.store.verify_log().await.unwrap();
    named(
        &report,
        ("tlog_cosignatures", &size4, "size"),
        &format!("1 cosignatures of the checkpoint of {size4} (the checkpoint of {size6} says so)"),
        "0 (deleted?)",
    );
    sql(app, INSERT_COSIGNATURE, &chain.cosignature_row(1)).await;
    verify_ok(app).await;
    // The newest deleted: nothing later names it, its cosignature does.
    let restore = (INSERT_CHECKPOINT, &chain.checkpoint_row(2)[..]);
    let report = tampered(app, (DELETE_CHECKPOINT, &params![b + 6]), restore).await;
    deleted_but_cosigned(&report, &size6);
});

both_backends!(edited_checkpoints_are_named, |app| async move {
    let chain = Chain::new(app, "tamper_cp_edit").await;
    let b = chain.b;
    let size4 = format!("size {}", b + 4);
    // The node over the two leaves after the first checkpoint.
    let node_at = (1i64, b / 2 + 1);
    // A checkpoint's root column edited.
    let set_root = "UPDATE tlog_checkpoints SET root = $1 WHERE size = $2";
    let root = chain.cps[1].0.root.as_str();
    let report = tampered(
        app,
        (set_root, &params!["00".repeat(32), b + 4]),
        (set_root, &params![root, b + 4]),
    )
    .await;
    named(
        &report,
        ("tlog_checkpoints", &size4, "root"),
        root,
        &"00".repeat(32),
    );

    // A stored node edited: the consistency proof between checkpoints 2 and
    // 4, recomputed from the stored nodes, no longer holds.
    let node = text_of(
        app,
        "SELECT hash FROM tlog_nodes WHERE level = $1 AND idx = $2",
        &params![node_at.0, node_at.1],
        "hash",
    )
    .await;
    let set_node = "UPDATE tlog_nodes SET hash = $1 WHERE level = $2 AND idx = $3";
    let report = tampered(
        app,
        (set_node, &params!["11".repeat(32), node_at.0, node_at.1]),
        (set_node, &params![node.as_str(), node_at.0, node_at.1]),
    )
    .await;
    let rows: Vec<(&str, &str, &str)> = report
        .problems
        .iter()
        .map(|p| (p.table.as_str(), p.index.as_str(), p.field.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "tlog_nodes",
                format!("level 1 idx {}", node_at.1).as_str(),
                "hash"
            ),
            ("tlog_checkpoints", size4.as_str(), "root")
        ],
        "{:#?}",
        report.problems
    );
    assert!(
        report.problems[1]
            .expected
            .contains(&format!("consistent with the checkpoint of size {}", b + 2)),
        "{:#?}",
        report.problems
    );
});

both_backends!(edited_or_foreign_cosignatures_are_named, |app| async move {
    let chain = Chain::new(app, "tamper_cosig").await;
    let b = chain.b;
    // A cosignature edited: it no longer verifies over its checkpoint.
    let line = &chain.cps[1].1;
    let at = line.len() - 10;
    let flipped = if &line[at..=at] == "A" { "B" } else { "A" };
    let edited = format!("{}{flipped}{}", &line[..at], &line[at + 1..]);
    let set_line = "UPDATE tlog_cosignatures SET line = $1 WHERE size = $2";
    let report = tampered(
        app,
        (set_line, &params![edited.as_str(), b + 4]),
        (set_line, &params![line.as_str(), b + 4]),
    )
    .await;
    named(
        &report,
        (
            "tlog_cosignatures",
            &format!("size {} vkey {}", b + 4, chain.vkey),
            "line",
        ),
        &format!(
            "a cosignature by w.tamper.test of the checkpoint of size {}",
            b + 4
        ),
        &edited,
    );

    // A valid cosignature by a witness the log never asked.
    let rogue = CosignerKey::generate("rogue.tamper.test", &mut rand::rngs::OsRng).unwrap();
    let note = Note::parse(&chain.cps[2].0.note).unwrap();
    let rogue_line = rogue
        .cosign_body(note.text(), 1_770_000_000)
        .unwrap()
        .to_line()
        .to_string();
    let rogue_vkey = rogue.verifier().to_string();
    let report = tampered(
        app,
        (
            INSERT_COSIGNATURE,
            &params![
                b + 6,
                rogue_vkey.as_str(),
                rogue_line.as_str(),
                1_770_000_000_000i64
            ],
        ),
        (
            "DELETE FROM tlog_cosignatures WHERE vkey = $1",
            &params![rogue_vkey.as_str()],
        ),
    )
    .await;
    named(
        &report,
        (
            "tlog_cosignatures",
            &format!("size {} vkey {rogue_vkey}", b + 6),
            "vkey",
        ),
        "a witness the log asks",
        &rogue_vkey,
    );
});
