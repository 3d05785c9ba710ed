//! Quality management over HTTP (#16): every certificate and recall
//! operation called with success, and each that names a certificate or a
//! recall tried as another tenant (404, like a number or id nobody has).
//! The rules themselves (bases, quantities, non-conformance, accounting)
//! are `quality.rs`'s.

use super::{nobodys, Calls, Op};
use crate::common::*;
use crate::trace_chain::*;
use serde_json::json;

const ISSUE: Op = ("POST", "/api/v1/certificates");
const LIST: Op = ("GET", "/api/v1/certificates");
const GET: Op = ("GET", "/api/v1/certificates/{number}");
const VOID: Op = ("POST", "/api/v1/certificates/{number}/void");
const PDF: Op = ("GET", "/api/v1/certificates/{number}/pdf");
const RECEIVED: Op = ("POST", "/api/v1/certificates/received");
const START: Op = ("POST", "/api/v1/recalls");
const RECALLS: Op = ("GET", "/api/v1/recalls");
const RECALL: Op = ("GET", "/api/v1/recalls/{id}");
const ACTS: Op = ("POST", "/api/v1/recalls/{id}/acts");
const EXPORT: Op = ("GET", "/api/v1/recalls/{id}/export");
const REPORT: Op = ("GET", "/api/v1/recalls/{id}/report");
const DOSSIER: Op = ("GET", "/api/v1/dossier");
const SET_DAY: Op = ("POST", "/api/v1/calendar");
const DAYS: Op = ("GET", "/api/v1/calendar");

pub(super) const OPS: &[Op] = &[
    ISSUE, LIST, GET, VOID, PDF, RECEIVED, START, RECALLS, RECALL, ACTS, EXPORT, REPORT, DOSSIER, SET_DAY,
    DAYS,
];

both_backends!(certificates_and_recalls, |app| async move {
    let calls = Calls::new(app, OPS);
    let w = World::new(app, "routes.q").await;
    let (status, p) = app
        .post(
            "/api/v1/products",
            &w.producer.token,
            product(&w.gtin, "测试番茄"),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{p}");
    let other = company(app, "retailer", "routes.q.other", "store").await;
    let body = json!({"code": w.l1, "quantity": 20, "unit": "kg", "basis": "control"});
    let issued = calls
        .expect(ISSUE, ISSUE.1, &w.producer.token, Some(body), 201)
        .await;
    let number = issued["number"].as_str().unwrap().to_owned();
    let none = "HG20261207-0000000000";
    let listed = calls.expect(LIST, LIST.1, &w.producer.token, None, 200).await;
    assert_eq!(listed[0]["number"], number.as_str());
    // A certificate is printed for the public: anyone reads it by number.
    let (status, read) = calls
        .call(GET, &format!("/api/v1/certificates/{number}"), None, None)
        .await;
    assert_eq!(status.as_u16(), 200, "{read}");
    assert_eq!(read["committer_name"], issued["certificate"]["committer_name"]);
    let pdf = format!("/api/v1/certificates/{number}/pdf?size=80x60");
    calls.expect(PDF, &pdf, &w.producer.token, None, 200).await;
    calls
        .foreign(
            PDF,
            &pdf,
            &format!("/api/v1/certificates/{none}/pdf"),
            &other.token,
            None,
        )
        .await;
    let void = format!("/api/v1/certificates/{number}/void");
    let reason = json!({"reason": "重复开具"});
    calls
        .foreign(
            VOID,
            &void,
            &format!("/api/v1/certificates/{none}/void"),
            &other.token,
            Some(reason.clone()),
        )
        .await;
    let voided = calls
        .expect(VOID, &void, &w.producer.token, Some(reason), 200)
        .await;
    assert_eq!(voided["void_reason"], "重复开具");

    // The retailer receives the shipment and records its certificate.
    record(
        app,
        &w.retailer,
        vec![receiving(&w.shipped, &w.retailer.place, &t(7, 8), &w.despatch)],
    )
    .await;
    let receipt = json!({"number": number, "despatch_ref": w.despatch});
    let got = calls
        .expect(
            RECEIVED,
            RECEIVED.1,
            &w.retailer.token,
            Some(receipt.clone()),
            201,
        )
        .await;
    assert!(got["id"].is_string(), "{got}");
    // Not for a shipment addressed to someone else.
    let (status, e) = app.post(RECEIVED.1, &other.token, receipt).await;
    assert_eq!(status.as_u16(), 404, "{e}");

    // A recall of the shipped lot: the retailer holds it now.
    let start = json!({"code": w.shipped, "level": 3, "reason": "包装破损可能污染"});
    let started = calls
        .expect(START, START.1, &w.producer.token, Some(start), 201)
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    assert_eq!(started["holders"], 1, "{started}");
    let inbox = calls
        .expect(RECALLS, RECALLS.1, &w.retailer.token, None, 200)
        .await;
    assert_eq!(inbox[0]["id"], id.as_str());
    let one = format!("/api/v1/recalls/{id}");
    let read = calls.expect(RECALL, &one, &w.producer.token, None, 200).await;
    assert_eq!(read["level"], "3");
    assert_eq!(read["holders"][0]["org_id"], w.retailer.id.to_string().as_str());
    calls
        .foreign(
            RECALL,
            &one,
            &format!("/api/v1/recalls/{}", nobodys()),
            &other.token,
            None,
        )
        .await;
    let acts = format!("{one}/acts");
    let ack = json!({"action": "acknowledged"});
    calls
        .foreign(
            ACTS,
            &acts,
            &format!("/api/v1/recalls/{}/acts", nobodys()),
            &other.token,
            Some(ack.clone()),
        )
        .await;
    let after = calls.expect(ACTS, &acts, &w.retailer.token, Some(ack), 200).await;
    assert!(after["holders"][0]["acknowledged_at"].is_number(), "{after}");
    let export = format!("{one}/export?format=csv");
    calls.expect(EXPORT, &export, &w.producer.token, None, 200).await;
    let report = format!("{one}/report");
    calls.expect(REPORT, &report, &w.producer.token, None, 200).await;
    calls
        .foreign(
            REPORT,
            &report,
            &format!("/api/v1/recalls/{}/report", nobodys()),
            &other.token,
            None,
        )
        .await;
    calls
        .foreign(
            EXPORT,
            &export,
            &format!("/api/v1/recalls/{}/export?format=csv", nobodys()),
            &other.token,
            None,
        )
        .await;

    // The operator keeps the holiday calendar; a tenant may not.
    let day = json!({"day": "2026-10-01", "status": "holiday", "note": "国庆节"});
    let (status, e) = app.post(SET_DAY.1, &w.producer.token, day.clone()).await;
    assert_problem(&(status, e), 403, "operator_only", None);
    let op = app.operator_token().await;
    calls.expect(SET_DAY, SET_DAY.1, &op, Some(day), 201).await;
    let days = calls.expect(DAYS, DAYS.1, &w.producer.token, None, 200).await;
    assert_eq!(days["holidays"], json!(["2026-10-01"]));

    // The lot's quality and safety dossier, as PDF; another tenant gets 404.
    let dossier = format!("{}?code={}", DOSSIER.1, enc(&w.l1));
    calls
        .expect(DOSSIER, &dossier, &w.producer.token, None, 200)
        .await;
    let nobodys_lot = format!("{}?code={}", DOSSIER.1, enc(&lot(&gtin14(), "L-NOBODY")));
    calls
        .foreign(DOSSIER, &dossier, &nobodys_lot, &other.token, None)
        .await;
    calls.finish();
});
