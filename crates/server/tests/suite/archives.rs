//! The archives of chapter 4.3 (R-4.3.1.1 a/e, R-4.3.3.2, R-4.3.3.3,
//! R-4.3.3.4, R-4.3.4.2, R-4.3.5.1, R-4.3.5.2): documents versioned with
//! their files, customers linked to their shipments, training sessions,
//! audits whose nonconformities close only when verified; attachments
//! checked by their bytes and size; who may write and read; `verify`
//! naming an edited or deleted version; the season dossier as a PDF an
//! independent reader decodes; the console's pages and upload form. On
//! both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::console::{sign_in, Browser, ORIGIN};
use crate::quality::pdf_text;
use crate::tlog::{assert_among, sql, verify_ok};
use crate::trace_chain::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

/// The first bytes of a PDF, enough for the content check.
pub(crate) const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

/// Uploads `bytes` as an attachment named `name`.
pub(crate) async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/v1/archives/attachments?file_name={}", enc(name)))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    (status, body)
}

pub(crate) fn document(title: &str) -> Value {
    json!({"kind": "quality_policy", "title": title, "effective_from": "2026-01-01",
           "summary": "质量安全管理总则"})
}

pub(crate) fn training() -> Value {
    json!({"held_on": "2026-02-10", "topic": "农药安全间隔期", "content": "安全间隔期与记录要求",
           "trainer": "李四", "attendees": ["王五", "赵六"]})
}

pub(crate) fn audit() -> Value {
    json!({"audited_on": "2026-03-20", "scope": "追溯体系运行", "auditor": "内审员甲",
           "checklist": [{"item": "投入品记录完整", "result": "conforms"},
                         {"item": "采收记录及时", "result": "nonconforms", "note": "两批晚录"}],
           "findings": "采收记录滞后"})
}

pub(crate) fn nonconformity(due: &str) -> Value {
    json!({"description": "采收记录晚于采收两天", "cause": "记录员兼职田间作业",
           "corrective_action": "采收当日录入，班长核对", "owner": "王五", "due_on": due})
}

/// One of each archive of `org`, a document with a file, a nonconformity
/// closed with its verification, and a customer naming `party`: for the
/// replay's chain and the demo-like checks.
pub(crate) async fn archives_in_chain(app: &TestApp, org: &Org, party: uuid::Uuid) {
    let (status, file) = upload(app, &org.token, "制度.pdf", PDF.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let mut doc = document("质量安全管理制度");
    doc["attachment_id"] = file["id"].clone();
    let (status, made) = app.post("/api/v1/archives/documents", &org.token, doc).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let entry = made["current"]["entry_id"].as_str().unwrap().to_owned();
    let (status, v2) = app
        .put(
            &format!("/api/v1/archives/documents/{entry}"),
            &org.token,
            document("质量安全管理制度（修订）"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    let customer = json!({"kind": "distributor", "name": "成都超市", "party_org_id": party});
    let (status, c) = app.post("/api/v1/archives/customers", &org.token, customer).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, t) = app
        .post("/api/v1/archives/trainings", &org.token, training())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (status, a) = app.post("/api/v1/archives/audits", &org.token, audit()).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let audit_entry = a["current"]["entry_id"].as_str().unwrap();
    let path = format!("/api/v1/archives/audits/{audit_entry}/nonconformities");
    let (status, n) = app.post(&path, &org.token, nonconformity("2026-04-01")).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    let mut closed = nonconformity("2026-04-01");
    closed["status"] = json!("closed");
    closed["verification"] = json!("复查四月记录，均当日录入");
    let path = format!(
        "/api/v1/archives/nonconformities/{}",
        n["current"]["entry_id"].as_str().unwrap()
    );
    let (status, n) = app.put(&path, &org.token, closed).await;
    assert_eq!(status, StatusCode::OK, "{n}");
}

both_backends!(archives_are_versioned_listed_and_linked, |app| async move {
    let w = World::new(app, "arc").await;
    let token = &w.producer.token;
    // A document with its file, then a second version keeping the file.
    let (status, file) = upload(app, token, "质量管理制度.pdf", PDF.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["media_type"], "application/pdf");
    assert_eq!(file["size_bytes"], PDF.len());
    let mut doc = document("质量管理制度");
    doc["attachment_id"] = file["id"].clone();
    let (status, made) = app.post("/api/v1/archives/documents", token, doc).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["current"]["version"], 1);
    assert_eq!(made["current"]["kind_zh"], "质量管理制度");
    let entry = made["current"]["entry_id"].as_str().unwrap().to_owned();
    let mut next = document("质量管理制度（2026 修订）");
    next["effective_from"] = json!("2026-03-01");
    let (status, v2) = app
        .put(&format!("/api/v1/archives/documents/{entry}"), token, next)
        .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["current"]["version"], 2);
    assert_eq!(v2["current"]["effective_from"], "2026-03-01");
    assert_eq!(v2["current"]["attachment"]["id"], file["id"], "the file is kept");
    assert_eq!(v2["history"].as_array().unwrap().len(), 2);
    assert_eq!(v2["history"][0]["title"], "质量管理制度");
    let listed = app.list("/api/v1/archives/documents", token).await;
    assert_eq!(listed.len(), 1, "one entry, its current version: {listed:?}");
    assert_eq!(listed[0]["version"], 2);
    // The file comes back as it went, with its type.
    let (status, headers, bytes) = app
        .get_bytes(
            &format!("/api/v1/archives/attachments/{}", file["id"].as_str().unwrap()),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(bytes, PDF);

    // A customer on the platform: the shipment addressed to it is listed
    // with it, and the addressee resolves to the entry.
    let body = json!({"kind": "distributor", "name": "成都超市", "party_org_id": w.retailer.id,
                      "contact_phone": "028-88886666"});
    let (status, c) = app.post("/api/v1/archives/customers", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let customer = c["current"]["entry_id"].as_str().unwrap().to_owned();
    let (status, ships) = app
        .get(&format!("/api/v1/archives/customers/{customer}/shipments"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{ships}");
    assert!(
        ships[0]["despatch_ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{}", w.despatch)),
        "{ships}"
    );
    let found = app
        .list(
            &format!("/api/v1/archives/customers?party_org_id={}", w.retailer.id),
            token,
        )
        .await;
    assert_eq!(found[0]["entry_id"], customer.as_str());
    assert_eq!(found[0]["party_name"].as_str().map(|n| !n.is_empty()), Some(true));
    let bad = json!({"kind": "distributor", "name": "x", "contact_phone": "call me"});
    let refused = app.post("/api/v1/archives/customers", token, bad).await;
    assert_problem(&refused, 422, "phone_format", Some("contact_phone"));

    // A training session.
    let (status, t) = app.post("/api/v1/archives/trainings", token, training()).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["current"]["attendees"], json!(["王五", "赵六"]));
    let mut twice = training();
    twice["attendees"] = json!(["王五", "王五"]);
    let refused = app.post("/api/v1/archives/trainings", token, twice).await;
    assert_problem(&refused, 422, "duplicate", Some("attendees[1]"));

    // An audit, its nonconformity overdue, closed only with a verification.
    let (status, a) = app.post("/api/v1/archives/audits", token, audit()).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let audit_entry = a["current"]["entry_id"].as_str().unwrap().to_owned();
    let mut broken = audit();
    broken["checklist"][1]["result"] = json!("bad");
    let refused = app.post("/api/v1/archives/audits", token, broken).await;
    assert_problem(&refused, 422, "item_result", Some("checklist[1].result"));
    let path = format!("/api/v1/archives/audits/{audit_entry}/nonconformities");
    let (status, n) = app.post(&path, token, nonconformity("2020-01-01")).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    assert_eq!(n["current"]["overdue"], true);
    let nc = n["current"]["entry_id"].as_str().unwrap().to_owned();
    let listed = app.list("/api/v1/archives/nonconformities", token).await;
    assert_eq!(listed[0]["overdue"], true);
    let mut close = nonconformity("2020-01-01");
    close["status"] = json!("closed");
    let nc_path = format!("/api/v1/archives/nonconformities/{nc}");
    let refused = app.put(&nc_path, token, close.clone()).await;
    assert_problem(&refused, 422, "verification_required", Some("verification"));
    close["verification"] = json!("抽查三月全部采收记录，均当日录入");
    let (status, closed) = app.put(&nc_path, token, close).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["current"]["status"], "closed");
    assert_eq!(closed["current"]["overdue"], false);
    assert_eq!(closed["history"].as_array().unwrap().len(), 2);
    let (status, whole) = app
        .get(&format!("/api/v1/archives/audits/{audit_entry}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert_eq!(whole["nonconformities"][0]["status"], "closed");
    verify_ok(app).await;
});

both_backends!(attachments_are_checked_by_content_and_size, |app| async move {
    let (org, _, _) = cooperative(app, "arc.files").await;
    let other = company(app, "retailer", "arc.files2", "store").await;
    let count = || async {
        app.store
            .db()
            .conn()
            .fetch_optional("SELECT COUNT(*) AS n FROM archive_attachments", &[])
            .await
            .unwrap()
            .unwrap()
            .int("n")
            .unwrap()
    };
    let exe = upload(
        app,
        &org.token,
        "plan.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00".to_vec(),
    )
    .await;
    assert_problem(&exe, 422, "attachment_type", Some("file"));
    let big = [b"%PDF-1.7\n".as_slice(), &vec![b' '; 10 * 1024 * 1024]].concat();
    let large = upload(app, &org.token, "big.pdf", big).await;
    assert_problem(&large, 422, "attachment_too_large", Some("file"));
    let zip = upload(app, &org.token, "a.zip", b"PK\x03\x04 just a zip".to_vec()).await;
    assert_problem(&zip, 422, "attachment_type", Some("file"));
    assert_eq!(count().await, 0, "nothing stored on a refusal");
    // Images and Office files are accepted by their bytes, whatever the name.
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), b"IHDR"].concat();
    let (status, p) = upload(app, &org.token, "photo.pdf", png).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["media_type"], "image/png");
    let xlsx = b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml".to_vec();
    let (status, x) = upload(app, &other.token, "签到表.xlsx", xlsx).await;
    assert_eq!(status, StatusCode::CREATED, "{x}");
    assert!(x["media_type"].as_str().unwrap().contains("spreadsheetml"));
    // Another organisation's file cannot be attached, and nothing is stored.
    let mut doc = document("计划");
    doc["attachment_id"] = x["id"].clone();
    let refused = app.post("/api/v1/archives/documents", &org.token, doc).await;
    assert_problem(&refused, 422, "reference_not_found", Some("attachment"));
    assert!(app
        .list("/api/v1/archives/documents", &org.token)
        .await
        .is_empty());
    // Nor downloaded.
    let theirs = app
        .get(
            &format!("/api/v1/archives/attachments/{}", x["id"].as_str().unwrap()),
            &org.token,
        )
        .await;
    assert_problem(&theirs, 404, "not_found", None);
});

both_backends!(who_may_write_and_read_the_archives, |app| async move {
    let (org, _, _) = cooperative(app, "arc.who").await;
    let (status, made) = app
        .post("/api/v1/archives/documents", &org.token, document("追溯制度"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let entry = made["current"]["entry_id"].as_str().unwrap().to_owned();
    let item = format!("/api/v1/archives/documents/{entry}");
    // Another organisation: not found, reading or writing.
    let other = company(app, "retailer", "arc.who2", "store").await;
    assert_problem(&app.get(&item, &other.token).await, 404, "not_found", None);
    assert_problem(
        &app.put(&item, &other.token, document("x")).await,
        404,
        "not_found",
        None,
    );
    assert!(app
        .list("/api/v1/archives/documents", &other.token)
        .await
        .is_empty());
    // A viewer of the organisation reads, and may not write.
    app.create_user(&org.token, org.id, "arc.who.viewer", "viewer", None)
        .await;
    let viewer = app.login("arc.who.viewer", USER_PASSWORD).await;
    assert_eq!(app.get(&item, &viewer).await.0, StatusCode::OK);
    let refused = app.post("/api/v1/archives/trainings", &viewer, training()).await;
    assert_problem(&refused, 403, "role_cannot_record", None);
    // A pending organisation and the operator may not write.
    let (_, pending) = app.pending_producer("arc.who.pending", "510115").await;
    let refused = app.post("/api/v1/archives/audits", &pending, audit()).await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    let op = app.operator_token().await;
    let refused = app.post("/api/v1/archives/documents", &op, document("x")).await;
    assert_problem(&refused, 403, "operator_cannot_record", None);
    assert_problem(&app.get(&item, &op).await, 404, "not_found", None);
    // Unauthenticated callers are not let in.
    let (status, _) = app.request("GET", &item, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .request("POST", "/api/v1/archives/documents", None, Some(document("x")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An officer over the region reads, read only; one elsewhere does not.
    let (inside, outside) = crate::oversight::officers(app, "arc.who.officer").await;
    assert_eq!(app.get(&item, &inside).await.0, StatusCode::OK);
    assert_problem(&app.get(&item, &outside).await, 404, "not_found", None);
    let refused = app.put(&item, &inside, document("x")).await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    // A suspended organisation reads its archives and writes nothing.
    let (status, s) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", org.id),
            &op,
            json!({"reason": "检查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(app.get(&item, &org.token).await.0, StatusCode::OK);
    let refused = app.put(&item, &org.token, document("x")).await;
    assert_problem(&refused, 403, "organisation_suspended", None);
    let (_, doc) = app.get(&item, &org.token).await;
    assert_eq!(doc["history"].as_array().unwrap().len(), 1, "nothing was written");
});

both_backends!(
    verify_names_an_edited_or_deleted_archive_version,
    |app| async move {
        let w = World::new(app, "arc.tamper").await;
        archives_in_chain(app, &w.producer, w.retailer.id).await;
        verify_ok(app).await;
        let id_of = |table: &'static str| async move {
            crate::tlog::text_of(
                app,
                &format!("SELECT id FROM {table} ORDER BY version DESC LIMIT 1"),
                &[],
                "id",
            )
            .await
        };
        let doc = id_of("archive_documents").await;
        sql(
            app,
            "UPDATE archive_documents SET effective_from = '2025-01-01' WHERE id = $1",
            &[doc.as_str().into()],
        )
        .await;
        let report = app.store.verify_log().await.unwrap();
        assert_among(
            &report,
            "archive_documents",
            "row",
            &format!("archive_document:{doc}"),
        );
        sql(
            app,
            "UPDATE archive_documents SET effective_from = '2026-01-01' WHERE id = $1",
            &[doc.as_str().into()],
        )
        .await;
        verify_ok(app).await;
        // The closing version of a nonconformity, deleted: its leaf names it.
        let nc = id_of("archive_nonconformities").await;
        sql(
            app,
            "DELETE FROM archive_nonconformities WHERE id = $1",
            &[nc.as_str().into()],
        )
        .await;
        let report = app.store.verify_log().await.unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.table == "archive_nonconformities"
                    && p.record.as_deref() == Some(&format!("archive_nonconformity:{nc}"))),
            "{:#?}",
            report.problems
        );
    }
);

both_backends!(
    the_season_dossier_lists_the_plot_its_records_and_tests,
    |app| async move {
        let (org, base_id, _) = cooperative(app, "arc.season").await;
        let plot = app
        .create_place(
            &org.token,
            merge(
                place("plot", "二号地块"),
                json!({"parent_id": base_id, "soil_type": "水稻土", "environment_tests": ["SC-2026-土壤-007"]}),
            ),
        )
        .await;
        let uri = place_uri(&plot);
        let seed = buy(app, &org, "seed", "").await;
        let l = lot(&gtin14(), "S1");
        record(
            app,
            &org,
            vec![sowing(&uri, &t(1, 8), &seed), harvest(&uri, &t(5, 8), &l)],
        )
        .await;
        let path = format!(
            "/api/v1/archives/season-dossier?place={}&from=2026-03-01&to=2026-03-31",
            plot["id"].as_str().unwrap()
        );
        let (status, headers, pdf) = app.get_bytes(&path, &org.token).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        if let Some(text) = pdf_text(&pdf) {
            for expected in ["二号地块", "SC-2026-土壤-007", "水稻土", "2026-03-01", l.as_str()] {
                assert!(text.contains(expected), "{expected} in {text}");
            }
        }
        // The lot's own dossier lists its plot's environment tests too.
        let (status, _, pdf) = app
            .get_bytes(&format!("/api/v1/dossier?code={}", enc(&l)), &org.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        if let Some(text) = pdf_text(&pdf) {
            assert!(text.contains("SC-2026-土壤-007"), "{text}");
        }
        // Another organisation's plot is not found; a backwards season is refused.
        let other = company(app, "retailer", "arc.season2", "store").await;
        assert_problem(&app.get(&path, &other.token).await, 404, "not_found", None);
        let backwards = path.replace("to=2026-03-31", "to=2026-02-01");
        assert_problem(
            &app.get(&backwards, &org.token).await,
            422,
            "time_range",
            Some("to"),
        );
    }
);

/// Posts a multipart form with the session's token from this site.
pub(crate) async fn post_multipart(
    app: &TestApp,
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let boundary = "XyZarchives";
    let mut body = Vec::new();
    let mut all = vec![("csrf", b.csrf.as_str())];
    all.extend_from_slice(fields);
    for (k, v) in all {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::post(path)
        .header(header::COOKIE, &b.cookie)
        .header(header::ORIGIN, ORIGIN)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

both_backends!(the_console_records_archives_with_their_files, |app| async move {
    let (org, _, _) = cooperative(app, "arc.console").await;
    let b = sign_in(app, &org.username, ADMIN_PASSWORD).await;
    let (status, _, page) = b.get(app, "/console/archives").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("管理文件与制度") && page.contains("enctype=\"multipart/form-data\""),
        "{page}"
    );
    let fields = [
        ("kind", "implementation_plan"),
        ("title", "2026 年追溯实施计划"),
        ("effective_from", "2026-01-15"),
        ("summary", "产品、目标、深度与进度"),
    ];
    // A file that is not what it says is refused naming the field; nothing stored.
    let (status, _, _) = post_multipart(
        app,
        &b,
        "/console/archives/documents",
        &fields,
        Some(("plan.pdf", b"not a pdf")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app
        .list("/api/v1/archives/documents", &org.token)
        .await
        .is_empty());
    // A form without its token changes nothing.
    let forged = [
        ("kind", "implementation_plan"),
        ("title", "x"),
        ("effective_from", "2026-01-15"),
    ];
    let no_token = Browser {
        cookie: b.cookie.clone(),
        csrf: String::new(),
    };
    let (status, _, _) = post_multipart(app, &no_token, "/console/archives/documents", &forged, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = post_multipart(
        app,
        &b,
        "/console/archives/documents",
        &fields,
        Some(("计划.pdf", PDF)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (status, _, page) = b.get(app, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("2026 年追溯实施计划") && page.contains("计划.pdf"),
        "{page}"
    );
    let docs = app.list("/api/v1/archives/documents", &org.token).await;
    assert_eq!(docs[0]["attachment"]["media_type"], "application/pdf");
    let file = docs[0]["attachment"]["id"].as_str().unwrap();
    let (status, headers, _) = b.get(app, &format!("/console/archives/attachments/{file}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    // An audit and its nonconformity through the plain forms, in English too.
    let (status, headers, _) = b
        .post(
            app,
            "/console/archives/audits",
            &[
                ("audited_on", "2026-03-20"),
                ("scope", "追溯体系"),
                ("auditor", "内审员甲"),
                ("checklist", "记录完整|conforms\n采收及时|nonconforms|两批晚录"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let audit_page = headers[header::LOCATION].to_str().unwrap().to_owned();
    let audit_id = audit_page.rsplit('/').next().unwrap().to_owned();
    let (status, headers, _) = b
        .post(
            app,
            "/console/archives/nonconformities",
            &[
                ("audit", &audit_id),
                ("description", "采收记录滞后"),
                ("cause", "人手不足"),
                ("corrective_action", "当日录入"),
                ("owner", "王五"),
                ("due_on", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION].to_str().unwrap().split('/').nth(3),
        Some("nonconformities")
    );
    let (_, _, page) = b.get(app, "/console/archives?lang=en").await;
    assert!(
        page.contains("Nonconformities") && page.contains("overdue"),
        "{page}"
    );
});
