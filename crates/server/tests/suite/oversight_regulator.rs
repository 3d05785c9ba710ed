//! The regulator's console: an officer's jurisdiction at a glance (the
//! enterprises and when each last recorded, the lots not conformant with
//! why and a link to where their units went), a records sampling check
//! that finds a record edited behind the log's back, inspections recorded
//! as logged records; an enterprise outside the jurisdiction is not found,
//! and nobody else may use these screens.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;

use crate::common::*;
use crate::console::sign_in;
use crate::oversight::officers;
use crate::tlog::{sql, verify_ok};
use crate::trace_chain::*;

async fn oversight_count(app: &TestApp) -> i64 {
    app.store
        .db()
        .conn()
        .fetch_optional("SELECT COUNT(*) AS n FROM oversight_records", &[])
        .await
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap()
}

both_backends!(an_officer_oversees_its_jurisdiction, |app| async move {
    let w = World::new(app, "reg").await;
    let lab = company(app, "testing_agency", "reg.lab", "warehouse").await;
    record(app, &w.producer, vec![sampling(&w.l1, &t(6, 10), "R-1", lab.id)]).await;
    record(app, &lab, vec![testing(&w.l1, &t(6, 11), "fail", "R-1")]).await;
    let (silent, _) = app.pending_producer("reg.silent", "510104").await;
    let (elsewhere, _) = app.pending_producer("reg.far", "110105").await;
    let (inside, outside) = officers(app, "reg.officer").await;

    let officer = sign_in(app, "reg.officer.in", USER_PASSWORD).await;
    let (status, _, page) = officer.get(app, "/console/regulator").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("/console/regulator/orgs/{}", w.producer.id)),
        "{page}"
    );
    assert!(
        page.contains(&format!("/console/regulator/orgs/{silent}")),
        "{page}"
    );
    assert!(!page.contains(&elsewhere.to_string()), "{page}");
    assert!(page.contains("从未记录"), "{page}");
    // The failed lot, why, and where its units went.
    let flagged = page.split("id=\"flagged-lots\"").nth(1).unwrap();
    assert!(
        flagged.contains(&w.l1) && flagged.contains("/console/search?code="),
        "{flagged}"
    );

    // Outside the jurisdiction: not found; not an officer: refused.
    let (status, _, _) = officer
        .get(app, &format!("/console/regulator/orgs/{elsewhere}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let far = sign_in(app, "reg.officer.out", USER_PASSWORD).await;
    let page_of = format!("/console/regulator/orgs/{}", w.producer.id);
    let (status, _, _) = far.get(app, &page_of).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let producer = sign_in(app, "reg.coop", ADMIN_PASSWORD).await;
    let (status, _, _) = producer.get(app, "/console/regulator").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let check = format!("{page_of}/sampling");
    let fields = [("from", "2020-01-01"), ("to", "2099-12-31"), ("n", "100")];
    for (who, expected) in [(&far, StatusCode::NOT_FOUND), (&producer, StatusCode::FORBIDDEN)] {
        let (status, _, _) = who.post(app, &check, &fields).await;
        assert_eq!(status, expected);
        let (status, _, _) = who
            .post(
                app,
                &format!("{page_of}/inspections"),
                &[("findings", "x"), ("conclusion", "satisfactory")],
            )
            .await;
        assert_eq!(status, expected);
    }
    // An officer reads enterprise records; it writes none.
    let (status, _) = app
        .post("/api/v1/products", &inside, product(&gtin13(), "冒名产品"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = outside;
    assert_eq!(oversight_count(app).await, 0);

    // A records sampling check: every record drawn is complete and in the log.
    let (status, _, page) = officer.post(app, &check, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let caller = app.store.caller_for_secret(&inside).await.unwrap().unwrap();
    let done = app.store.oversight_records(&caller, w.producer.id).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].conclusion, "conformant", "{}", done[0].findings);
    let drawn = done[0].sample_size.unwrap();
    assert!(drawn >= 5, "{drawn}");
    assert_eq!(done[0].failed, Some(0));
    // An inspection.
    let (status, _, _) = officer
        .post(
            app,
            &format!("{page_of}/inspections"),
            &[
                ("findings", "农药仓库未上锁，台账齐全"),
                ("conclusion", "rectification_required"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = officer.get(app, &page_of).await;
    assert!(
        page.contains("农药仓库未上锁") && page.contains("rectification_required"),
        "{page}"
    );
    verify_ok(app).await;

    // A record edited behind the log's back is caught by the next check.
    sql(
        app,
        "UPDATE events SET document = REPLACE(REPLACE(document, '毒死蜱', '乐果'), '\"agri:conclusion\"', '\"agri:verdict\"') \
         WHERE org_id = $1",
        &[lab.id.into()],
    )
    .await;
    let found = app
        .store
        .records_sampling_check(&caller, lab.id, 0, i64::MAX / 2, 100)
        .await
        .unwrap();
    assert_eq!(found.conclusion, "nonconformant", "{}", found.findings);
    assert!(
        found.findings.contains("log: the stored document does not hash"),
        "{}",
        found.findings
    );
    assert!(
        found.findings.contains("profile: agri:conclusion"),
        "{}",
        found.findings
    );
    // A check of nothing, and a bad sample size.
    let none = app
        .store
        .records_sampling_check(&caller, silent, 0, 1, 10)
        .await
        .unwrap();
    assert_eq!(none.conclusion, "no_records");
    // A complaint whose time to be acknowledged is over (its deadline moved
    // back by hand here) is flagged on the dashboard and in the inbox.
    let late = crate::oversight::file(app, &w.l1, None).await;
    sql(
        app,
        "UPDATE complaints SET acknowledge_by = 0 WHERE reference = $1",
        &[late.as_str().into()],
    )
    .await;
    let (_, _, page) = officer.get(app, "/console/regulator").await;
    assert!(page.contains("id=\"overdue-complaints\""), "{page}");
    let (_, _, page) = officer.get(app, "/console/complaints").await;
    assert!(
        page.split("id=\"overdue\"").nth(1).unwrap().contains(&late),
        "{page}"
    );
    let bad = app.store.records_sampling_check(&caller, silent, 0, 1, 0).await;
    assert!(
        matches!(bad, Err(suyuan_store::StoreError::Invalid { ref field, .. }) if field == "sample_size")
    );
});

/// An inspection and a records sampling check of `org` for the replay's
/// chain, so that both kinds of `oversight_records` are there to tamper with.
pub(crate) async fn oversight_in_chain(app: &TestApp, org: uuid::Uuid) {
    let (inside, _) = officers(app, "chain.officer").await;
    let caller = app.store.caller_for_secret(&inside).await.unwrap().unwrap();
    app.store
        .record_inspection(&caller, org, "台账齐全", "satisfactory")
        .await
        .unwrap();
    let check = app
        .store
        .records_sampling_check(&caller, org, 0, i64::MAX / 2, 5)
        .await
        .unwrap();
    assert_eq!(check.conclusion, "conformant", "{}", check.findings);
}
