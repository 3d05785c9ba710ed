//! The console's label print form as a browser posts it: the items
//! just issued as a ZPL file, a lot's items on a used A4 sheet, one item as
//! a roll PDF; a bad choice shown beside its field (422); and what is
//! refused: a post without its CSRF token or with a wrong one, another
//! organisation's lot (404), a pending organisation (which has no units to
//! print) and a suspended one (403, the API's error). That the PDF's QR
//! codes decode to the Digital Links is the browser walk's check.

#![allow(clippy::unwrap_used)]

use axum::http::{header, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::console::{allocate, farm, location, sign_in, ORIGIN};

fn pages(pdf: &str) -> usize {
    pdf.matches("/Type /Page").count() - pdf.matches("/Type /Pages").count()
}

/// The value of the hidden field `name` of a page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    Some(rest.split('"').next()?.to_owned())
}

both_backends!(labels_are_printed_through_the_console_form, |app| async move {
    let f = farm(app, "con_labels").await;
    let b = sign_in(app, "con_labels", ADMIN_PASSWORD).await;
    let lot_page = allocate(app, &b, &f.product_id, "P1").await;
    let labels = format!("{lot_page}/labels");
    let (_, _, lot) = b.get(app, &lot_page).await;
    assert!(
        lot.contains("id=\"print\"") && lot.contains("id=\"label-from\""),
        "{lot}"
    );

    // The issue result prints exactly the items just issued, in order.
    let (status, _, issued) = b.post(app, &format!("{lot_page}/items"), &[("count", "3")]).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let codes = hidden(&issued, "codes").expect("the issued codes in the print form");
    assert_eq!(codes.split(',').count(), 3);
    let (status, h, zpl) = b
        .post(
            app,
            &labels,
            &[
                ("codes", &codes),
                ("size", "60x40"),
                ("format", "zpl"),
                ("dpi", "300"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{zpl}");
    assert_eq!(h[header::CONTENT_TYPE], "application/vnd.zebra.zpl");
    assert_eq!(
        h[header::CONTENT_DISPOSITION],
        "attachment; filename=\"labels-60x40.zpl\""
    );
    assert_eq!(zpl.matches("^XA").count(), 3);
    for code in codes.split(',') {
        let (_, forms) = app
            .get(&format!("/api/v1/codes/parse?code={code}"), &f.org.token)
            .await;
        let link = forms["digital_link"].as_str().unwrap();
        assert!(zpl.contains(&format!("^FDMA,{link}^FS")), "{link}");
    }

    // The lot's form: its items on a 24-up sheet of which 22 are used: two
    // on the first sheet, one on a second.
    let (status, h, pdf) = b
        .post(
            app,
            &labels,
            &[("size", "a4-3x8"), ("format", "pdf"), ("skip", "22")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with("%PDF-"));
    assert_eq!(pages(&pdf), 2);
    // From the third item: one label.
    let (status, _, pdf) = b
        .post(
            app,
            &labels,
            &[("size", "40x30"), ("format", "pdf"), ("from", "3")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pages(&pdf), 1);

    // An item's own page prints that item.
    let first = codes.split(',').next().unwrap();
    let (status, h, _) = b.get(app, &format!("/console/search?code={first}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let item_page = location(&h);
    let (_, _, item) = b.get(app, &item_page).await;
    assert!(item.contains("id=\"print\"") && !item.contains("id=\"label-from\""));
    let (status, _, pdf) = b
        .post(app, &format!("{item_page}/labels"), &[("size", "50x30")])
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        pdf.split("class=\"err\"").nth(1).unwrap_or("")
    );
    assert_eq!(pages(&pdf), 1);

    // Bad choices: the lot's page again, the refusal beside its field, the
    // choices kept.
    for (fields, field, code) in [
        (vec![("size", "a4-3x8"), ("skip", "24")], "skip", "label_skip"),
        (vec![("size", "a4"), ("format", "tspl")], "size", "label_size"),
        (vec![("size", "50x30"), ("skip", "2")], "skip", "label_skip"),
        (vec![("format", "zpl"), ("dpi", "600")], "dpi", "label_dpi"),
        (vec![("dpi", "abc")], "dpi", "invalid_value"),
        (vec![("from", "9")], "from", "label_from_range"),
        (vec![("size", "70x50")], "size", "label_size"),
    ] {
        let (status, _, page) = b.post(app, &labels, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {page}");
        assert!(
            page.contains(&format!("data-field=\"label-{field}\"")),
            "{code} beside {field}: {page}"
        );
        assert!(page.contains("id=\"print\""), "the form again");
    }
    let (_, _, page) = b.post(app, &labels, &[("size", "a4-4x10"), ("skip", "40")]).await;
    assert!(
        page.contains("<option value=\"a4-4x10\" selected>"),
        "kept: {page}"
    );

    // Refused: no token, a wrong token, another organisation's lot.
    let plain = [("size", "50x30")];
    let (status, _, page) = b.post_raw(app, &labels, &plain, Some(ORIGIN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("csrf_token_invalid"), "{page}");
    let wrong = "0".repeat(64);
    let (status, _, _) = b
        .post_raw(app, &labels, &[("csrf", &wrong), ("size", "50x30")], Some(ORIGIN))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let of = farm(app, "con_labels_other").await;
    let other = sign_in(app, "con_labels_other", ADMIN_PASSWORD).await;
    let (status, _, page) = other.post(app, &labels, &plain).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    let (status, _, _) = other
        .post(
            app,
            &format!("/console/lots/{}/labels", uuid::Uuid::now_v7()),
            &plain,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor may it slip the coop's codes into its own lot's form.
    let their_lot = allocate(app, &other, &of.product_id, "P2").await;
    let (status, _, page) = other
        .post(app, &format!("{their_lot}/labels"), &[("codes", &codes)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");

    // A pending organisation owns no units: nothing of anyone's to print.
    app.pending_producer("con_labels_pending", "510116").await;
    let pending = sign_in(app, "con_labels_pending", ADMIN_PASSWORD).await;
    let (status, _, _) = pending.post(app, &labels, &plain).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Suspended: the API's refusal, nothing printed.
    let op = app.operator_token().await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", f.org.id),
            &op,
            json!({"reason": "测试暂停"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, h, page) = b.post(app, &labels, &plain).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("organisation_suspended"), "{page}");
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
});
