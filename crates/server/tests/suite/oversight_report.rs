//! A testing agency's signed test report: printed as an A4 PDF whose QR
//! code (read by an independent decoder) is the report's public page; the
//! PDF's text (read by pdftotext) has the conclusion and the pesticide
//! names (吡虫啉, 毒死蜱: GB 2312 level 2, in the embedded font); the public page shows
//! the report, the check of the agency's signature and the lot's trace; a
//! replaced signature shows invalid. Only the agency that recorded the test
//! prints it: another agency, the producer, the operator and nobody
//! signed in are refused, and another agency cannot record a test of a
//! sample it never received.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;

use crate::common::*;
use crate::console::{sign_in, ORIGIN};
use crate::oversight::officers;
use crate::quality::{pdf_text, qr_of_pdf};
use crate::tlog::verify_ok;
use crate::trace_chain::*;

const FAILING: &str =
    "毒死蜱 | 0.01 mg/kg | 0.02 mg/kg | GB 2763-2021\n吡虫啉 | 0.9 mg/kg | 0.2 mg/kg | GB 2763-2021";

async fn public_page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (status, _, page) = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
    (status, page.as_str().map(str::to_owned).unwrap_or_default())
}

async fn report_json(app: &TestApp, id: &str) -> Value {
    let (status, report) = app
        .request("GET", &format!("/api/v1/test-reports/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

/// The text of `page` between the first `start` and the next `end`.
pub(crate) fn between(page: &str, start: &str, end: &str) -> String {
    let rest = page
        .split(start)
        .nth(1)
        .unwrap_or_else(|| panic!("no {start} in {page}"));
    rest.split(end).next().unwrap_or_default().to_owned()
}

/// An officer (of `officers(app, "{tag}.officer")`) has the lot L1 of `w`
/// sampled for `lab` (signed in as `lab.1`), which records `items` in its
/// console; answers the report's id.
pub(crate) async fn lab_report(
    app: &TestApp,
    w: &World,
    tag: &str,
    lab: (&Org, &str),
    items: &str,
) -> String {
    let _ = officers(app, &format!("{tag}.officer")).await;
    let officer = sign_in(app, &format!("{tag}.officer.in"), USER_PASSWORD).await;
    let code = format!("(01){}(10)L1", w.gtin);
    let task = [
        ("code", code.as_str()),
        ("agency", &lab.0.id.to_string()),
        ("sample_id", "CJ-2026-007"),
    ];
    let (status, _, page) = officer
        .post(app, "/console/regulator/sampling-tasks", &task)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let agency = sign_in(app, lab.1, ADMIN_PASSWORD).await;
    let results = [("epc", w.l1.as_str()), ("items", items)];
    let (status, _, page) = agency.post(app, "/console/lab/results", &results).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, _, page) = agency.get(app, "/console/lab").await;
    between(&page, "id=\"report-pdf-", "\"")
}

both_backends!(
    a_signed_test_report_is_printed_and_checked_by_its_qr_code,
    |app| async move {
        let w = World::new(app, "rep").await;
        let lab = company(app, "testing_agency", "rep.lab", "warehouse").await;
        let other = company(app, "testing_agency", "rep.lab2", "warehouse").await;
        // Before the sample reaches it, the agency records no test; nor,
        // after, does another agency, nor a form without the session's token.
        let intruder = sign_in(app, "rep.lab2", ADMIN_PASSWORD).await;
        let agency = sign_in(app, "rep.lab", ADMIN_PASSWORD).await;
        let results = [("epc", w.l1.as_str()), ("items", FAILING)];
        let (status, _, _) = agency.post(app, "/console/lab/results", &results).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let id = lab_report(app, &w, "rep", (&lab, "rep.lab"), FAILING).await;
        let (status, _, _) = intruder.post(app, "/console/lab/results", &results).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = agency
            .post_raw(app, "/console/lab/results", &results, Some(ORIGIN))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let url = format!("{ORIGIN}/r/{id}");

        // The report, with its signature checked.
        let report = report_json(app, &id).await;
        assert_eq!(report["conclusion"], "fail", "{report}");
        assert_eq!(report["agency_org_id"], lab.id.to_string());
        assert_eq!(report["sample_id"], "CJ-2026-007");
        assert_eq!(report["lot"], w.l1.as_str());
        assert!(report["sampled_by"].is_string(), "{report}");
        assert_eq!(report["items"].as_array().unwrap().len(), 2);
        assert_eq!(report["items"][1]["pass"], false);
        assert_eq!(report["signature"]["valid"], true, "{report}");
        let key = report["signature"]["key_id"].as_str().unwrap().to_owned();
        let (status, page) = public_page(app, &format!("/r/{id}?lang=zh")).await;
        assert_eq!(status, StatusCode::OK);
        for needle in [
            "不合格",
            "data-valid=\"true\"",
            "GB 2763-2021",
            "CJ-2026-007",
            key.as_str(),
            &format!("href=\"/01/{}/10/L1?lang=zh\"", w.gtin),
        ] {
            assert!(page.contains(needle), "{needle}: {page}");
        }
        let (_, page) = public_page(app, &format!("/r/{id}?lang=en")).await;
        assert!(page.contains("Signature valid"), "{page}");
        // Views sign no new checkpoint once a stored one covers the report,
        // however much the log grew since.
        let checkpoints = app.store.latest_checkpoint().await.unwrap().unwrap().size;
        let _ = lab_report(app, &w, "rep.more", (&lab, "rep.lab"), FAILING).await;
        report_json(app, &id).await;
        assert_eq!(
            app.store.latest_checkpoint().await.unwrap().unwrap().size,
            checkpoints
        );
        let (status, _) = public_page(app, &format!("/r/{}", uuid::Uuid::now_v7())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Printed by the agency: the QR code is the page, the text has the conclusion.
        let (status, headers, pdf) = app
            .get_bytes(&format!("/api/v1/test-reports/{id}/pdf"), &lab.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = pdf_text(&pdf) {
            assert!(
                text.contains("检验结论：不合格") && text.contains("GB 2763-2021"),
                "{text}"
            );
            // The pesticide names are GB 2312 level-2 hanzi: drawn, not □.
            assert!(
                text.contains("吡虫啉") && text.contains("毒死蜱") && !text.contains('\u{25a1}'),
                "{text}"
            );
        }
        if let Some(found) = qr_of_pdf(&pdf) {
            assert_eq!(found, vec![url.clone()]);
        }
        let (status, headers, _) = agency.get(app, &format!("/console/lab/reports/{id}/pdf")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");

        // Nobody else prints it: another agency, the producer, the
        // operator (404, as for a report nobody has), nobody signed in (401).
        let nobodys = format!("/api/v1/test-reports/{}/pdf", uuid::Uuid::now_v7());
        for token in [&other.token, &w.producer.token, &app.operator_token().await] {
            let theirs = app
                .request(
                    "GET",
                    &format!("/api/v1/test-reports/{id}/pdf"),
                    Some(token),
                    None,
                )
                .await;
            assert_problem(&theirs, 404, "not_found", None);
            assert_eq!(theirs, app.request("GET", &nobodys, Some(token), None).await);
        }
        let (status, _) = app
            .request("GET", &format!("/api/v1/test-reports/{id}/pdf"), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = intruder.get(app, &format!("/console/lab/reports/{id}/pdf")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        verify_ok(app).await;

        // A replaced signature: the page says the report is not to be relied on.
        let mut conn = app.store.db().conn();
        let borrowed = conn
            .fetch_optional(
                "SELECT signature FROM tlog_leaves WHERE event_pk <> $1 ORDER BY idx DESC LIMIT 1",
                &[id.as_str().into()],
            )
            .await
            .unwrap()
            .unwrap()
            .text("signature")
            .unwrap();
        conn.execute(
            "UPDATE tlog_leaves SET signature = $1 WHERE event_pk = $2",
            &[borrowed.as_str().into(), id.as_str().into()],
        )
        .await
        .unwrap();
        let report = report_json(app, &id).await;
        assert_eq!(report["signature"]["valid"], false, "{report}");
        assert!(report["signature"]["problem"].is_string(), "{report}");
        let (_, page) = public_page(app, &format!("/r/{id}?lang=zh")).await;
        assert!(
            page.contains("data-valid=\"false\"") && page.contains("签名无效"),
            "{page}"
        );
    }
);
