//! Quality management over HTTP (#16): 承诺达标合格证 issued from the
//! trace and refused where the trace does not support them; a recall from a
//! failed test reaching every unit the lot went into, acknowledged and
//! accounted for by the holder, shown on the consumer page; a drill with no
//! public effect; the recall's export read back by an independent reader.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::common::*;
use crate::trace_chain::*;

/// Registers the World's product (its GTIN) for the producer.
async fn register_product(app: &TestApp, w: &World) {
    let (status, p) = app
        .post(
            "/api/v1/products",
            &w.producer.token,
            product(&w.gtin, "测试黄瓜"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
}

/// The entries of a list endpoint answering a JSON array.
async fn array(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let (status, body) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// The public JSON of a unit (its Digital Link path).
async fn public_json(app: &TestApp, epc: &str) -> Value {
    let path = epc.strip_prefix("https://id.gs1.org").unwrap();
    let req = Request::builder()
        .uri(path)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn public_html(app: &TestApp, path: &str) -> (StatusCode, String) {
    let req = Request::builder().uri(path).body(Body::empty()).unwrap();
    let (status, _, body) = app.send(req).await;
    (status, body.as_str().unwrap_or_default().to_owned())
}

both_backends!(certificates_follow_the_trace, |app| async move {
    let w = World::new(app, "cert").await;
    register_product(app, &w).await;
    let issue = |code: &str, qty: f64, basis: &str| json!({"code": code, "quantity": qty, "unit": "kg", "basis": basis});
    // Control basis: issued, with its public page.
    let (status, c) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.l1, 100.0, "control"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let number = c["number"].as_str().unwrap().to_owned();
    assert!(
        c["url"].as_str().unwrap().ends_with(&format!("/c/{number}")),
        "{c}"
    );
    assert_eq!(c["certificate"]["product_name"], "测试黄瓜");
    assert_eq!(c["certificate"]["style"], "producer");
    let (status, html) = public_html(app, &format!("/c/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number) && html.contains("有效"), "{html}");

    // Refusals, each storing nothing.
    let before = array(app, "/api/v1/certificates", &w.producer.token).await.len();
    let (status, e) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.l1, 10.0, "self_test"),
        )
        .await;
    assert_problem(&(status, e), 422, "basis_without_test", Some("basis"));
    let (status, e) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.l1, 450.0, "control"),
        )
        .await;
    assert_problem(&(status, e), 422, "quantity_exceeds_lot", Some("quantity"));
    let (status, e) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.l1, 10.0, "forged"),
        )
        .await;
    assert_problem(&(status, e), 422, "certificate_basis_unknown", Some("basis"));
    // The retailer does not hold the lot.
    let (status, e) = app
        .post(
            "/api/v1/certificates",
            &w.retailer.token,
            issue(&w.l1, 10.0, "control"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(
        array(app, "/api/v1/certificates", &w.producer.token).await.len(),
        before
    );
    assert_eq!(
        array(app, "/api/v1/certificates", &w.retailer.token).await.len(),
        0
    );

    // A passing test by a testing agency supports a commissioned test.
    let lab = company(app, "testing_agency", "cert.lab", "warehouse").await;
    record(app, &w.producer, vec![sampling(&w.l1, &t(6, 8), "C-1", lab.id)]).await;
    record(app, &lab, vec![testing(&w.l1, &t(6, 9), "pass", "C-1")]).await;
    let (status, c2) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.l1, 50.0, "commissioned_test"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c2}");
    assert!(c2["certificate"]["test_event"].is_string(), "{c2}");

    // Printed in every size, as PDF.
    for size in ["a5", "100x70", "80x60"] {
        let (status, headers, pdf) = app
            .get_bytes(
                &format!("/api/v1/certificates/{number}/pdf?size={size}"),
                &w.producer.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{size}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert!(pdf.starts_with(b"%PDF-"), "{size}");
    }
    // And on the roll printers, the stickers as TSPL and ZPL files whose QR
    // is the certificate's page.
    for (query, content_type, qr) in [
        ("size=100x70&format=tspl", "application/vnd.tsc.tspl", "QRCODE "),
        (
            "size=80x60&format=zpl&dpi=300",
            "application/vnd.zebra.zpl",
            "^FDMA,",
        ),
    ] {
        let (status, headers, file) = app
            .get_bytes(
                &format!("/api/v1/certificates/{number}/pdf?{query}"),
                &w.producer.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(headers[header::CONTENT_TYPE], content_type);
        let text = String::from_utf8_lossy(&file);
        assert!(
            text.contains(qr) && text.contains(&format!("/c/{number}")),
            "{query}"
        );
    }
    for (query, code, field) in [
        ("size=a5&format=tspl", "certificate_size", "size"),
        ("size=80x60&format=png", "label_format", "format"),
        ("size=80x60&format=zpl&dpi=600", "label_dpi", "dpi"),
    ] {
        let answer = app
            .get(
                &format!("/api/v1/certificates/{number}/pdf?{query}"),
                &w.producer.token,
            )
            .await;
        assert_problem(&answer, 422, code, Some(field));
    }
    // Another organisation cannot print it.
    let (status, _, _) = app
        .get_bytes(&format!("/api/v1/certificates/{number}/pdf"), &w.retailer.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Shown on the consumer page of the lot.
    let page = public_json(app, &w.l1).await;
    let listed: Vec<&str> = page["commitment_certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&number.as_str()), "{page}");
    assert_eq!(page["recall"], Value::Null);

    // The lot's dossier lists it, with the records back to the plot.
    let (status, _, pdf) = app
        .get_bytes(&format!("/api/v1/dossier?code={}", enc(&w.l1)), &w.producer.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("质量安全档案") && text.contains(&number), "{text}");
        assert!(text.contains("harvest") && text.contains("sowing"), "{text}");
    }

    // Voided with a reason, never deleted; only by its issuer; once.
    let (status, e) = app
        .post(
            &format!("/api/v1/certificates/{number}/void"),
            &w.retailer.token,
            json!({"reason": "填错数量"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    let (status, v) = app
        .post(
            &format!("/api/v1/certificates/{number}/void"),
            &w.producer.token,
            json!({"reason": "填错数量"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["void_reason"], "填错数量");
    let (status, e) = app
        .post(
            &format!("/api/v1/certificates/{number}/void"),
            &w.producer.token,
            json!({"reason": "再次作废"}),
        )
        .await;
    assert_problem(&(status, e), 409, "certificate_void", Some("number"));
    let (_, html) = public_html(app, &format!("/c/{number}")).await;
    assert!(html.contains("已作废") && html.contains("填错数量"), "{html}");

    // A failed test: the shipped lot is non-conformant, and gets no certificate.
    record(
        app,
        &w.producer,
        vec![sampling(&w.shipped, &t(6, 10), "C-2", lab.id)],
    )
    .await;
    record(app, &lab, vec![testing(&w.shipped, &t(6, 11), "fail", "C-2")]).await;
    let (status, e) = app
        .post(
            "/api/v1/certificates",
            &w.producer.token,
            issue(&w.shipped, 10.0, "control"),
        )
        .await;
    assert_problem(&(status, e), 422, "lot_non_conformant", Some("code"));
    // The log still verifies, certificates and voids included.
    let report = app.store.verify_log().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
});

both_backends!(
    a_recall_reaches_every_unit_and_is_accounted_for,
    |app| async move {
        let w = World::new(app, "recall").await;
        register_product(app, &w).await;
        let lab = company(app, "testing_agency", "recall.lab", "warehouse").await;
        let cut = lot(&w.gtin, "CUT");
        let despatch = format!("D{}", unique());
        record(
            app,
            &w.producer,
            vec![
                processing(&w.base, &t(6, 8), &[&w.l1], &[&cut]),
                shipping(&cut, &t(6, 9), &despatch, w.retailer.id),
                sampling(&w.l1, &t(6, 10), "R-1", lab.id),
            ],
        )
        .await;
        record(
            app,
            &w.retailer,
            vec![
                receiving(&cut, &w.retailer.place, &t(7, 8), &despatch),
                sale(&cut, &w.retailer.place, &t(7, 12)),
            ],
        )
        .await;
        let job = record(app, &lab, vec![testing(&w.l1, &t(7, 9), "fail", "R-1")]).await;
        let test_event = job["eventIDs"][0].as_str().unwrap().to_owned();

        // A drill first: timed, recorded, and no public page changes.
        let before = public_json(app, &cut).await;
        let (status, drill) = app
            .post(
                "/api/v1/recalls",
                &w.producer.token,
                json!({"test_event": test_event, "level": 1, "reason": "年度召回演练", "drill": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{drill}");
        assert!(drill["affected_units"].as_i64().unwrap() >= 2, "{drill}");
        let after = public_json(app, &cut).await;
        assert_eq!(after["recall"], Value::Null);
        assert_eq!(after["status"], before["status"]);

        // An organisation that never held the lot may not start one.
        let stranger = company(app, "retailer", "recall.stranger", "store").await;
        let (status, e) = app
            .post(
                "/api/v1/recalls",
                &stranger.token,
                json!({"code": w.l1, "level": 1, "reason": "听说有问题"}),
            )
            .await;
        assert_problem(&(status, e), 403, "recall_not_holder", None);
        assert_eq!(array(app, "/api/v1/recalls", &stranger.token).await.len(), 0);

        // The recall, from the failed test.
        let (status, started) = app
        .post(
            "/api/v1/recalls",
            &w.producer.token,
            json!({"test_event": test_event, "level": "2", "reason": "吡虫啉残留超标",
                   "plan": {"notice": "门店公告及本平台消费者页面", "disposal": "退回后销毁，费用由本社承担"}}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let id = started["id"].as_str().unwrap().to_owned();
        // The sold lot at the shop shows the recall, with what to do.
        let page = public_json(app, &cut).await;
        assert_eq!(page["status"], "recalled", "{page}");
        assert_eq!(page["recall"]["level"], "2");
        assert_eq!(page["recall"]["reason"], "吡虫啉残留超标");
        // Traces show it too, and export it row by row.
        let (status, tr) = app
            .get(
                &format!("/api/v1/trace/forward?code={}", enc(&w.l1)),
                &w.producer.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{tr}");
        let units = tr["units"].as_array().unwrap();
        let traced = units.iter().find(|u| u["epc"] == cut.as_str()).unwrap();
        assert_eq!(traced["status"], "recalled", "{traced}");
        let export = format!("/api/v1/trace/export?code={}&direction=forward", enc(&w.l1));
        let (status, _, sheet) = app.get_bytes(&export, &w.producer.token).await;
        assert_eq!(status, StatusCode::OK);
        check_xlsx_rows_at_least(&sheet, 4, &despatch);
        let path = cut.strip_prefix("https://id.gs1.org").unwrap();
        let (_, html) = public_html(app, path).await;
        assert!(
            html.contains("本产品已被召回") && html.contains("请立即停止食用"),
            "{html}"
        );

        // The shop sees it in its inbox, acknowledges, accounts; never more than it held.
        let inbox = array(app, "/api/v1/recalls", &w.retailer.token).await;
        assert!(inbox.iter().any(|r| r["id"] == id.as_str()), "{inbox:?}");
        let acts = format!("/api/v1/recalls/{id}/acts");
        let (status, r) = app
            .post(&acts, &w.retailer.token, json!({"action": "acknowledged"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let mine = |r: &Value| {
            r["holders"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["org_id"] == w.retailer.id.to_string().as_str())
                .cloned()
                .unwrap()
        };
        let held = mine(&r)["units"].as_i64().unwrap();
        assert!(held >= 1, "{r}");
        assert_eq!(mine(&r)["sold"], 1, "{r}");
        let (status, e) = app
            .post(
                &acts,
                &w.retailer.token,
                json!({"action": "accounted", "destroyed": held + 1}),
            )
            .await;
        assert_problem(&(status, e), 422, "accounted_exceeds_held", Some("removed"));
        let (status, r) = app
            .post(
                &acts,
                &w.retailer.token,
                json!({"action": "accounted", "returned": 1, "epcs": [w.l1]}),
            )
            .await;
        assert_problem(&(status, r), 422, "recall_unit_not_held", Some("epcs"));
        let (status, r) = app
            .post(
                &acts,
                &w.retailer.token,
                json!({"action": "accounted", "returned": 1, "note": "已下架退回", "epcs": [cut]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        // The return is an EPCIS event of the shop's, disposition recalled.
        assert_accounting_event(app, &id, &w.retailer.token).await;
        if held > 1 {
            let (status, r) = app
                .post(
                    &acts,
                    &w.retailer.token,
                    json!({"action": "accounted", "removed": held - 1}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{r}");
        }
        let (_, r) = app.get(&format!("/api/v1/recalls/{id}"), &w.producer.token).await;
        assert_eq!(mine(&r)["accounted"]["returned"], 1.0);
        // The stranger reads nothing of it.
        let (status, _) = app.get(&format!("/api/v1/recalls/{id}"), &stranger.token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, e) = app
            .post(&acts, &stranger.token, json!({"action": "acknowledged"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

        // The export: one row per affected unit, in XLSX and CSV.
        let (status, headers, csv) = app
            .get_bytes(
                &format!("/api/v1/recalls/{id}/export?format=csv"),
                &w.producer.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = String::from_utf8(csv).unwrap();
        let rows = csv.lines().count() - 1;
        assert_eq!(rows as i64, started["affected_units"].as_i64().unwrap(), "{csv}");
        assert!(csv.contains(&cut), "{csv}");
        let (status, _, xlsx) = app
            .get_bytes(&format!("/api/v1/recalls/{id}/export"), &w.producer.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        check_xlsx_rows(&xlsx, rows, &cut);

        // The final report, as PDF: its QR code opens the recall.
        let (status, _, pdf) = app
            .get_bytes(&format!("/api/v1/recalls/{id}/report"), &w.producer.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(found) = qr_of_pdf(&pdf) {
            assert!(
                found
                    .iter()
                    .any(|t| t.ends_with(&format!("/console/recalls#r-{id}"))),
                "{found:?}"
            );
        }

        // The producer closes it; the log verifies, recall units included.
        let (status, r) = app
            .post(&acts, &w.producer.token, json!({"action": "closed"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert!(r["closed_at"].is_number(), "{r}");
        let report = app.store.verify_log().await.unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
    }
);

/// A PDF's text as an independent reader extracts it (pdftotext); `None`
/// (skipped) without it, unless CI=true.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let file = std::env::temp_dir().join(format!("suyuan-dossier-{}.pdf", unique()));
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&file);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        other => {
            let msg = format!("pdftotext (poppler-utils) is needed to read the dossier: {other:?}");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// The QR codes of a PDF's first page, read by an independent decoder
/// (pdftoppm, then ZXingReader); `None` (skipped) without the tools, unless CI=true.
pub(crate) fn qr_of_pdf(pdf: &[u8]) -> Option<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("suyuan-report-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    let png = dir.join("r");
    let raster = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-singlefile", "-f", "1", "-l", "1"])
        .arg(&file)
        .arg(&png)
        .status();
    let read = std::process::Command::new("ZXingReader")
        .args(["-format", "QRCode"])
        .arg(png.with_extension("png"))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match (raster, read) {
        (Ok(s), Ok(o)) if s.success() => Some(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| {
                    let (a, b) = (l.find('"')?, l.rfind('"')?);
                    (b > a).then(|| l[a + 1..b].to_owned())
                })
                .collect(),
        ),
        other => {
            let msg = format!("pdftoppm and ZXingReader are needed to read the report's QR: {other:?}");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// Like [`check_xlsx_rows`], with at least `rows` data rows.
fn check_xlsx_rows_at_least(xlsx: &[u8], rows: usize, needle: &str) {
    read_xlsx(xlsx, needle, |n| assert!(n >= rows, "{n} rows"));
}

/// Reads an XLSX with openpyxl (an independent reader): `rows` data rows
/// after the header, `needle` among the cells. Skipped without python3 and
/// openpyxl, unless CI=true.
fn check_xlsx_rows(xlsx: &[u8], rows: usize, needle: &str) {
    read_xlsx(xlsx, needle, |n| assert_eq!(n, rows));
}

/// Reads an XLSX with openpyxl: `count` checks its number of data rows;
/// `needle` must be in one of its cells.
fn read_xlsx(xlsx: &[u8], needle: &str, count: impl Fn(usize)) {
    let path = std::env::temp_dir().join(format!("suyuan-recall-{}.xlsx", unique()));
    std::fs::write(&path, xlsx).unwrap();
    let script = "import sys, openpyxl\n\
                  ws = openpyxl.load_workbook(sys.argv[1]).active\n\
                  vals = [[c for c in r] for r in ws.iter_rows(values_only=True)]\n\
                  print(len(vals) - 1)\n\
                  print('\\n'.join('|'.join(str(c) for c in v) for v in vals[1:]))\n";
    // `SUYUAN_TEST_PYTHON` names the interpreter that has openpyxl (CI sets
    // it to Debian's, where `python3-openpyxl` installs).
    let python = std::env::var("SUYUAN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut lines = text.lines();
            count(lines.next().unwrap().trim().parse().unwrap());
            assert!(text.contains(needle), "{text}");
        }
        other => {
            let msg = format!("python3 with openpyxl is needed to read the XLSX back: {other:?}");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("SKIPPED: {msg}");
        }
    }
}

/// Certificates, a void, a receipt, a recall with a holder's acts and a
/// calendar day, on the World of `replay.rs`'s chain (after its retailer
/// received the shipped lot), so that every quality table has rows to
/// tamper with.
pub(crate) async fn quality_records(app: &TestApp, w: &World) {
    register_product(app, w).await;
    let lq = lot(&w.gtin, "L-Q");
    let dq = format!("DQ{}", unique());
    record(
        app,
        &w.producer,
        vec![
            harvest(&w.producer.place, &t(12, 8), &lq),
            shipping(&lq, &t(12, 10), &dq, w.retailer.id),
        ],
    )
    .await;
    let body = json!({"code": lq, "quantity": 10, "unit": "kg", "basis": "control"});
    let (status, first) = app
        .post("/api/v1/certificates", &w.producer.token, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let path = format!("/api/v1/certificates/{}/void", first["number"].as_str().unwrap());
    let (status, v) = app
        .post(&path, &w.producer.token, json!({"reason": "数量有误"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, cert) = app.post("/api/v1/certificates", &w.producer.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{cert}");
    record(
        app,
        &w.retailer,
        vec![receiving(&lq, &w.retailer.place, &t(13, 8), &dq)],
    )
    .await;
    let (status, r) = app
        .post(
            "/api/v1/certificates/received",
            &w.retailer.token,
            json!({"number": cert["number"], "despatch_ref": dq}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, started) = app
        .post(
            "/api/v1/recalls",
            &w.producer.token,
            json!({"code": lq, "level": 3, "reason": "标签错误"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let acts = format!("/api/v1/recalls/{}/acts", started["id"].as_str().unwrap());
    for act in [
        json!({"action": "acknowledged"}),
        json!({"action": "accounted", "removed": 1}),
    ] {
        let (status, r) = app.post(&acts, &w.retailer.token, act).await;
        assert_eq!(status, StatusCode::OK, "{r}");
    }
    let op = app.operator_token().await;
    let (status, d) = app
        .post(
            "/api/v1/calendar",
            &op,
            json!({"day": "2026-10-08", "status": "holiday"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
}

// The console's quality pages: a certificate issued through the form, a
// recall notice acknowledged and accounted for by the holder; forged
// forms, other organisations and pending ones refused, nothing stored.
both_backends!(
    the_console_issues_certificates_and_answers_recalls,
    |app| async move {
        use crate::console::sign_in;
        let w = World::new(app, "cq").await;
        register_product(app, &w).await;
        let farm = sign_in(app, "cq.coop", ADMIN_PASSWORD).await;
        let (status, _, page) = farm.get(app, "/console/certificates").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("承诺达标合格证") && page.contains("name=\"csrf\""),
            "{page}"
        );
        let form = [
            ("code", w.l1.as_str()),
            ("quantity", "25"),
            ("unit", "kg"),
            ("basis", "control"),
        ];
        // A cross-site post without the token stores nothing.
        let (status, _, _) = farm
            .post_raw(app, "/console/certificates", &form, Some("https://evil.example"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(array(app, "/api/v1/certificates", &w.producer.token)
            .await
            .is_empty());
        let (status, headers, _) = farm.post(app, "/console/certificates", &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/console/certificates");
        let certs = array(app, "/api/v1/certificates", &w.producer.token).await;
        assert_eq!(certs.len(), 1);
        let (_, _, page) = farm.get(app, "/console/certificates").await;
        assert!(page.contains(certs[0]["number"].as_str().unwrap()), "{page}");
        // A refusal is the API's own, on a console page.
        let bad = [
            ("code", w.l1.as_str()),
            ("quantity", "25"),
            ("unit", "kg"),
            ("basis", "self_test"),
        ];
        let (status, _, page) = farm.post(app, "/console/certificates", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("basis_without_test"), "{page}");
        // A pending organisation may look, not issue.
        let (_pending_id, _) = app.pending_producer("cq.pending", "510115").await;
        let pending = sign_in(app, "cq.pending", ADMIN_PASSWORD).await;
        let (status, _, _) = pending.post(app, "/console/certificates", &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The producer starts a recall of the shipped lot from the console …
        record(
            app,
            &w.retailer,
            vec![receiving(&w.shipped, &w.retailer.place, &t(7, 8), &w.despatch)],
        )
        .await;
        let (status, _, _) = farm
            .post(
                app,
                "/console/recalls",
                &[
                    ("code", w.shipped.as_str()),
                    ("level", "3"),
                    ("reason", "标签印错"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let recalls = array(app, "/api/v1/recalls", &w.producer.token).await;
        let id = recalls[0]["id"].as_str().unwrap().to_owned();
        // … the shop sees the notice in its console, acknowledges and accounts.
        let shop = sign_in(app, "cq.shop", ADMIN_PASSWORD).await;
        let (_, _, page) = shop.get(app, "/console/recalls").await;
        assert!(
            page.contains("标签印错") && page.contains("确认收到召回通知"),
            "{page}"
        );
        let act = format!("/console/recalls/{id}/act");
        let (status, _, _) = shop.post(app, &act, &[("action", "acknowledged")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, page) = shop
            .post(app, &act, &[("action", "accounted"), ("removed", "5")])
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "more than it held: {page}"
        );
        // With codes, the units it names must be its own …
        let (status, _, page) = shop
            .post(
                app,
                &act,
                &[("action", "accounted"), ("removed", "1"), ("codes", "not a code")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        let (status, _, page) = shop
            .post(
                app,
                &act,
                &[
                    ("action", "accounted"),
                    ("removed", "1"),
                    ("codes", w.l1.as_str()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains("recall_unit_not_held") || page.contains("epcs"),
            "{page}"
        );
        // … and then they are recorded as an EPCIS event of the shop's.
        let scanned = format!("{}\r\n", w.shipped);
        let (status, _, page) = shop
            .post(
                app,
                &act,
                &[
                    ("action", "accounted"),
                    ("removed", "1"),
                    ("codes", scanned.as_str()),
                    ("note", "已下架"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_accounting_event(app, &id, &w.retailer.token).await;
        // Another organisation cannot act on it.
        let other = company(app, "retailer", "cq.other", "store").await;
        let stranger = sign_in(app, &other.username, ADMIN_PASSWORD).await;
        let (status, _, _) = stranger.post(app, &act, &[("action", "acknowledged")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, r) = app.get(&format!("/api/v1/recalls/{id}"), &w.producer.token).await;
        assert_eq!(r["holders"][0]["accounted"]["removed"], 1.0, "{r}");
        assert!(r["holders"][0]["acknowledged_at"].is_number(), "{r}");
        // The producer sees every holder's progress on its page.
        let (_, _, page) = farm.get(app, "/console/recalls").await;
        assert!(
            page.contains("测试机构cq.shop") && page.contains("结束召回"),
            "{page}"
        );
    }
);

/// The recall `id` has an accounting recorded as an EPCIS event, which the
/// holder (`token`) reads with the `recalled` disposition.
async fn assert_accounting_event(app: &TestApp, id: &str, token: &str) {
    let row = app
        .store
        .db()
        .conn()
        .fetch_optional(
            "SELECT event_id FROM recall_acts WHERE recall_id = $1 AND event_id IS NOT NULL",
            &[id.into()],
        )
        .await
        .unwrap()
        .expect("the accounting is an EPCIS event");
    let event_id = row.text("event_id").unwrap();
    let (status, ev) = app.get(&format!("/epcis/events/{}", enc(&event_id)), token).await;
    assert_eq!(status, StatusCode::OK, "{ev}");
    assert!(ev.to_string().contains("recalled"), "{ev}");
}
