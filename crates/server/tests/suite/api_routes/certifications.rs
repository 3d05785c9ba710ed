//! A product's certifications over HTTP: listed, added and withdrawn by the
//! product's organisation; another tenant reaches none of them (its product
//! and its certification answered as ids nobody has).

use super::{nobodys, Calls, Op};
use serde_json::json;

const LIST: Op = ("GET", "/api/v1/products/{id}/certifications");
const ADD: Op = ("POST", "/api/v1/products/{id}/certifications");
const WITHDRAW: Op = (
    "DELETE",
    "/api/v1/products/{id}/certifications/{certification_id}",
);

pub(super) const OPS: &[Op] = &[LIST, ADD, WITHDRAW];

both_backends!(product_certifications, |app| async move {
    let calls = Calls::new(app, OPS);
    let (_, admin) = app.producer("routes.certs", "510115").await;
    let (_, other) = app.producer("routes.certs.other", "110105").await;
    let product = app.create_product(&admin, "有机大米").await;
    let id = product["id"].as_str().unwrap().to_owned();
    let list = LIST.1.replace("{id}", &id);
    let cert = json!({"kind": "organic", "number": "ORG-ROUTE-0001", "issuer": "中绿华夏有机产品认证中心",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31"});

    let added = calls.expect(ADD, &list, &admin, Some(cert.clone()), 201).await;
    let cert_id = added["id"].as_str().unwrap().to_owned();
    let held = calls.expect(LIST, &list, &admin, None, 200).await;
    assert_eq!(held[0]["number"], "ORG-ROUTE-0001", "{held}");

    let nobody = LIST.1.replace("{id}", &nobodys());
    calls.foreign(LIST, &list, &nobody, &other, None).await;
    calls.foreign(ADD, &list, &nobody, &other, Some(cert)).await;
    let one = WITHDRAW
        .1
        .replace("{id}", &id)
        .replace("{certification_id}", &cert_id);
    let none = WITHDRAW
        .1
        .replace("{id}", &id)
        .replace("{certification_id}", &nobodys());
    calls.foreign(WITHDRAW, &one, &none, &other, None).await;

    let (status, _) = calls.call(WITHDRAW, &one, Some(&admin), None).await;
    assert_eq!(status.as_u16(), 204);
    let held = calls.expect(LIST, &list, &admin, None, 200).await;
    assert_eq!(held, json!([]));
    calls.finish();
});
