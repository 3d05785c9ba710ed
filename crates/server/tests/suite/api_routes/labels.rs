//! Labels over HTTP: a lot's items and listed codes as PDF, TSPL and
//! ZPL files carrying the issued codes, A4 sheets of 10, 24 or 40 labels
//! from a used sheet's first free position; another tenant's lot answered 404
//! like nobody's; refusals naming the parameter at fault; no labels without
//! a sign-in, for a lot without items, or for a suspended organisation.
//! (That every symbol of a PDF decodes to the codes is the labels crate's
//! own test.)

use super::{Calls, Op};
use crate::common::*;
use crate::trace_chain::*;
use axum::http::header;
use serde_json::{json, Value};

const LABELS: Op = ("GET", "/api/v1/labels");

pub(super) const OPS: &[Op] = &[LABELS];

fn path(query: &str) -> String {
    format!("{}?{query}", LABELS.1)
}

/// Every form of a code, as the API gives them.
async fn forms(app: &TestApp, token: &str, code: &str) -> Value {
    let (status, f) = app
        .get(&format!("/api/v1/codes/parse?code={}", enc(code)), token)
        .await;
    assert_eq!(status.as_u16(), 200, "{f}");
    f
}

/// A lot of a new product with `items` items issued (none when 0): the lot
/// and the items' flat codes.
async fn lot_with_items(app: &TestApp, org: &Org, name: &str, items: usize) -> (Value, Vec<String>) {
    let product = app.create_product(&org.token, name).await;
    let (status, lot) = app
        .post(
            "/api/v1/lots",
            &org.token,
            json!({"product_id": product["id"], "date": "2026-03-01", "site": "L1"}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{lot}");
    if items == 0 {
        return (lot, Vec::new());
    }
    let issue = format!("/api/v1/lots/{}/items", lot["id"].as_str().unwrap());
    let (status, issued) = app.post(&issue, &org.token, json!({"count": items})).await;
    assert_eq!(status.as_u16(), 201, "{issued}");
    let codes = issued["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (lot, codes)
}

/// The files: a lot's items as a ZPL file (each item's Digital Link and
/// element string), listed codes as TSPL, an A4 PDF with a page per ten
/// labels, with their content types.
async fn files(calls: &Calls<'_>, app: &TestApp, coop: &Org, lot: &Value, items: &[String]) {
    let lot_flat = forms(app, &coop.token, lot["epc"].as_str().unwrap()).await["flat_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, zpl) = calls
        .call(
            LABELS,
            &path(&format!("lot={lot_flat}&size=60x40&format=zpl")),
            Some(&coop.token),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{zpl}");
    let zpl = zpl.as_str().unwrap();
    assert_eq!(zpl.matches("^XA").count(), items.len());
    for code in items {
        let f = forms(app, &coop.token, code).await;
        assert!(
            zpl.contains(&format!("^FDMA,{}^FS", f["digital_link"].as_str().unwrap())),
            "{f}"
        );
        let element = f["element_string"].as_str().unwrap();
        assert!(element.starts_with("(01)") && element.contains("(21)"));
        let serial = f["serial"].as_str().unwrap();
        assert!(
            zpl.contains(&format!("\\1{}", format_args!("21{serial}"))),
            "GS1 DataMatrix for {serial}"
        );
    }

    // A big lot is printed in several files: from the eleventh item on.
    let rest = app
        .get(
            &path(&format!("lot={lot_flat}&size=60x40&format=zpl&from=11")),
            &coop.token,
        )
        .await;
    let rest = rest.1.as_str().unwrap().to_owned();
    assert_eq!(rest.matches("^XA").count(), items.len() - 10);
    assert!(zpl.ends_with(&rest), "the last labels of the whole file");

    // Listed codes, in the order given: an item by its flat code, the lot by
    // its Digital Link. The headers say what the file is.
    let lot_link = forms(app, &coop.token, &lot_flat).await["digital_link"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = format!(
        "codes={},{}&size=40x30&format=tspl&dpi=300",
        items[1],
        enc(&lot_link)
    );
    let (status, headers, tspl) = app.raw("GET", &path(&listed), Some(&coop.token), None, "").await;
    assert_eq!(status.as_u16(), 200, "{tspl}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.tsc.tspl");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"labels-40x30.prn\""
    );
    let tspl = tspl.as_str().unwrap();
    let qrs: Vec<&str> = tspl.lines().filter(|l| l.starts_with("QRCODE")).collect();
    assert_eq!(qrs.len(), 2);
    let item_link = forms(app, &coop.token, &items[1]).await["digital_link"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(qrs[0].ends_with(&format!("\"{item_link}\"")), "{}", qrs[0]);
    assert!(qrs[1].ends_with(&format!("\"{lot_link}\"")), "{}", qrs[1]);
    assert!(tspl.starts_with("SIZE 40 mm,30 mm\r\n"));

    let (status, headers, pdf) = app
        .raw(
            "GET",
            &path(&format!("lot={lot_flat}&size=a4")),
            Some(&coop.token),
            None,
            "",
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    let pdf = pdf.as_str().unwrap();
    assert!(pdf.starts_with("%PDF-"));
    let pages = pdf.matches("/Type /Page").count() - pdf.matches("/Type /Pages").count();
    assert_eq!(pages, items.len().div_ceil(10));
    // A 40-up sheet with 37 positions used: 3 labels on it, the rest on a
    // second sheet.
    let (status, _, pdf) = app
        .raw(
            "GET",
            &path(&format!("lot={lot_flat}&size=a4-4x10&skip=37")),
            Some(&coop.token),
            None,
            "",
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let pdf = pdf.as_str().unwrap();
    let pages = pdf.matches("/Type /Page").count() - pdf.matches("/Type /Pages").count();
    assert_eq!(pages, 2, "{} labels from position 38 of 40", items.len());
    // The default: a 50x30 PDF, a page per label.
    let (status, headers, _) = app
        .raw(
            "GET",
            &path(&format!("codes={}", items[0])),
            Some(&coop.token),
            None,
            "",
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"labels-50x30.pdf\""
    );
}

/// What is refused, and the parameter each refusal names.
async fn refusals(app: &TestApp, coop: &Org, lot: &Value, items: &[String]) {
    let lot_epc = enc(lot["epc"].as_str().unwrap());
    let cases = [
        (format!("lot={lot_epc}&size=70x50"), 422, "label_size", "size"),
        (format!("lot={lot_epc}&format=png"), 422, "label_format", "format"),
        (
            format!("lot={lot_epc}&format=tspl&size=a4"),
            422,
            "label_size",
            "size",
        ),
        (
            format!("lot={lot_epc}&size=a4-3x8&skip=24"),
            422,
            "label_skip",
            "skip",
        ),
        (format!("lot={lot_epc}&skip=1"), 422, "label_skip", "skip"),
        (
            format!("lot={lot_epc}&format=zpl&size=a4-4x10"),
            422,
            "label_size",
            "size",
        ),
        (
            format!("lot={lot_epc}&format=zpl&dpi=600"),
            422,
            "label_dpi",
            "dpi",
        ),
        ("size=40x30".to_owned(), 422, "label_target", "lot"),
        (
            format!("lot={lot_epc}&codes={}", items[0]),
            422,
            "label_target",
            "lot",
        ),
        (format!("lot={}", items[0]), 422, "label_not_a_lot", "lot"),
        ("codes=,".to_owned(), 422, "label_empty", "codes"),
        (
            format!("codes={}&from=2", items[0]),
            422,
            "label_from_range",
            "from",
        ),
        (
            format!("lot={lot_epc}&from={}", items.len() + 1),
            422,
            "label_from_range",
            "from",
        ),
        ("codes=NOT-A-CODE".to_owned(), 422, "trace_code_length", "codes"),
        (
            format!("lot={lot_epc}&colour=red"),
            400,
            "invalid_query",
            "colour",
        ),
    ];
    for (query, status, code, field) in cases {
        let answer = app.get(&path(&query), &coop.token).await;
        assert_problem(&answer, status, code, Some(field));
    }
    // Not signed in.
    let (status, _) = app
        .request("GET", &path(&format!("lot={lot_epc}")), None, None)
        .await;
    assert_eq!(status.as_u16(), 401);
    // A lot without items.
    let (empty, _) = lot_with_items(app, coop, "空批次蔬菜", 0).await;
    let answer = app
        .get(
            &path(&format!("lot={}", enc(empty["epc"].as_str().unwrap()))),
            &coop.token,
        )
        .await;
    assert_problem(&answer, 409, "lot_has_no_items", Some("lot"));
}

both_backends!(labels_for_a_lot_and_for_listed_codes, |app| async move {
    let calls = Calls::new(app, OPS);
    let (coop, _, _) = cooperative(app, "routes.labels.coop").await;
    let other = company(app, "retailer", "routes.labels.shop", "store").await;
    let (coop_lot, items) = lot_with_items(app, &coop, "赣南脐橙", 12).await;
    files(&calls, app, &coop, &coop_lot, &items).await;

    // Another tenant: the coop's lot and items answer as nobody's.
    let nobodys_lot = enc(&lot(&gtin14(), "L-NOBODY"));
    let lot_epc = enc(coop_lot["epc"].as_str().unwrap());
    calls
        .foreign(
            LABELS,
            &path(&format!("lot={lot_epc}")),
            &path(&format!("lot={nobodys_lot}")),
            &other.token,
            None,
        )
        .await;
    let (_, their_items) = lot_with_items(app, &other, "其他商品", 1).await;
    calls
        .foreign(
            LABELS,
            &path(&format!("codes={},{}", their_items[0], items[0])),
            &path(&format!("codes={},{nobodys_lot}", their_items[0])),
            &other.token,
            None,
        )
        .await;

    refusals(app, &coop, &coop_lot, &items).await;

    // A suspended organisation prints nothing.
    let op = app.operator_token().await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", coop.id),
            &op,
            json!({"reason": "测试暂停"}),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let answer = app.get(&path(&format!("lot={lot_epc}")), &coop.token).await;
    assert_problem(&answer, 403, "organisation_suspended", None);
    calls.finish();
});

// A lot an agency's test failed gets no labels, for the lot or any of its
// items: codes on boxes would sell what must not be sold.
both_backends!(no_labels_for_a_non_conformant_lot, |app| async move {
    let w = World::new(app, "labels.nc").await;
    let (lot, items) = lot_with_items(app, &w.producer, "抽检辣椒", 2).await;
    let epc = lot["epc"].as_str().unwrap().to_owned();
    let agency = company(app, "testing_agency", "labels.nc.lab", "warehouse").await;
    record(
        app,
        &w.producer,
        vec![sampling(&epc, &t(6, 8), "S-NC-1", agency.id)],
    )
    .await;
    let answer = app
        .get(&path(&format!("codes={}", items[0])), &w.producer.token)
        .await;
    assert_eq!(answer.0.as_u16(), 200, "still conformant: {}", answer.1);
    record(app, &agency, vec![testing(&epc, &t(6, 9), "fail", "S-NC-1")]).await;
    for query in [format!("lot={}", enc(&epc)), format!("codes={}", items[1])] {
        let answer = app.get(&path(&query), &w.producer.token).await;
        assert_problem(&answer, 409, "unit_non_conformant", Some("code"));
    }
});
