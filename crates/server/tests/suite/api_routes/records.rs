//! An organisation's master records: places, products, suppliers, inputs
//! and input purchases, each created, listed and read; another tenant
//! reads none and refers to none (its ids are answered as ids nobody has).

use super::{nobodys, Calls, Op};
use crate::common::*;
use serde_json::{json, Value};

/// The three operations of one kind of record.
struct Kind {
    create: Op,
    list: Op,
    get: Op,
}

const PLACES: Kind = Kind {
    create: ("POST", "/api/v1/places"),
    list: ("GET", "/api/v1/places"),
    get: ("GET", "/api/v1/places/{id}"),
};
const PRODUCTS: Kind = Kind {
    create: ("POST", "/api/v1/products"),
    list: ("GET", "/api/v1/products"),
    get: ("GET", "/api/v1/products/{id}"),
};
const SUPPLIERS: Kind = Kind {
    create: ("POST", "/api/v1/suppliers"),
    list: ("GET", "/api/v1/suppliers"),
    get: ("GET", "/api/v1/suppliers/{id}"),
};
const INPUTS: Kind = Kind {
    create: ("POST", "/api/v1/inputs"),
    list: ("GET", "/api/v1/inputs"),
    get: ("GET", "/api/v1/inputs/{id}"),
};
const PURCHASES: Kind = Kind {
    create: ("POST", "/api/v1/input-purchases"),
    list: ("GET", "/api/v1/input-purchases"),
    get: ("GET", "/api/v1/input-purchases/{id}"),
};

pub(super) const OPS: &[Op] = &[
    PLACES.create,
    PLACES.list,
    PLACES.get,
    PRODUCTS.create,
    PRODUCTS.list,
    PRODUCTS.get,
    SUPPLIERS.create,
    SUPPLIERS.list,
    SUPPLIERS.get,
    INPUTS.create,
    INPUTS.list,
    INPUTS.get,
    PURCHASES.create,
    PURCHASES.list,
    PURCHASES.get,
];

/// Creates a record of `kind` from `body`; checks that the answer, the
/// list and the record read back say what `body` said (its fields in
/// `same`), and that another tenant neither reads nor lists it. Answers
/// the record.
async fn round_trip(calls: &Calls<'_>, kind: &Kind, body: Value, same: &[&str], t: &Tenants) -> Value {
    let created = calls
        .expect(kind.create, kind.create.1, &t.admin, Some(body.clone()), 201)
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["org_id"], t.org.to_string());
    let listed = calls.expect(kind.list, kind.list.1, &t.admin, None, 200).await;
    let listed_ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["id"])
        .collect();
    assert_eq!(listed_ids, [&created["id"]], "{}", kind.list.1);
    let path = kind.get.1.replace("{id}", &id);
    let got = calls.expect(kind.get, &path, &t.admin, None, 200).await;
    for field in same {
        assert_eq!(got[field], body[field], "{path}: {field}");
        assert_eq!(created[field], body[field], "{path}: {field}");
    }
    calls
        .foreign(
            kind.get,
            &path,
            &kind.get.1.replace("{id}", &nobodys()),
            &t.other,
            None,
        )
        .await;
    let theirs = format!("{}?org_id={}", kind.list.1, t.org);
    let (status, page) = calls.call(kind.list, &theirs, Some(&t.other), None).await;
    assert_eq!((status.as_u16(), &page["items"]), (200, &json!([])), "{theirs}");
    let page = calls.expect(kind.list, kind.list.1, &t.other, None, 200).await;
    assert_eq!(page["items"], json!([]), "{}", kind.list.1);
    got
}

/// The organisation whose records these are, and another one.
struct Tenants {
    org: uuid::Uuid,
    admin: String,
    other: String,
}

/// `body` refers to another tenant's record in `field`: refused exactly as
/// a reference to a record nobody has.
async fn foreign_reference(app: &TestApp, create: Op, token: &str, body: &Value, field: &str) {
    let theirs = app.post(create.1, token, body.clone()).await;
    assert_problem(&theirs, 422, "reference_not_found", Some(field));
    let mut nobody = body.clone();
    nobody[field] = json!(nobodys());
    assert_eq!(theirs, app.post(create.1, token, nobody).await, "{field}");
}

both_backends!(master_records, |app| async move {
    let calls = Calls::new(app, OPS);
    let (org, admin) = app.producer("routes.rec", "510115").await;
    let (_, other) = app.producer("routes.rec.other", "110105").await;
    let t = Tenants { org, admin, other };

    let mut body = base("郫都红光蔬菜基地");
    body["gln"] = json!(gln());
    let base_place = round_trip(&calls, &PLACES, body, &["name", "kind", "gln", "region"], &t).await;
    let plot = merge(place("plot", "借用地块"), json!({"parent_id": base_place["id"]}));
    foreign_reference(app, PLACES.create, &t.other, &plot, "parent_id").await;

    let body = product(&format!("0{}", gtin13()), "郫县二荆条辣椒");
    round_trip(
        &calls,
        &PRODUCTS,
        body,
        &["gtin", "name", "variety", "shelf_life_days"],
        &t,
    )
    .await;

    let body = json!({"name": "成都农资有限公司", "uscc": "91110108551385082Q", "contact_name": "周八"});
    let supplier = round_trip(&calls, &SUPPLIERS, body, &["name", "uscc", "contact_name"], &t).await;

    let body = json!({
        "kind": "pesticide", "name": "吡虫啉", "manufacturer": "某农化", "registration_number": "PD20080005",
        "active_ingredient": "吡虫啉 10%", "pre_harvest_interval_days": 7, "unit": "瓶"
    });
    let same = ["kind", "name", "registration_number", "pre_harvest_interval_days"];
    let input = round_trip(&calls, &INPUTS, body, &same, &t).await;

    let body = json!({
        "input_id": input["id"], "supplier_id": supplier["id"], "lot_number": "20240501A",
        "quantity": 20.0, "unit": "瓶", "purchased_on": "2024-05-01", "storage_place_id": base_place["id"]
    });
    let same = [
        "input_id",
        "supplier_id",
        "lot_number",
        "quantity",
        "purchased_on",
        "storage_place_id",
    ];
    round_trip(&calls, &PURCHASES, body.clone(), &same, &t).await;
    // Another tenant buys nothing from this one's archive.
    let (_, own_supplier) = app
        .post(SUPPLIERS.create.1, &t.other, json!({"name": "北京农资"}))
        .await;
    let mut theirs = body;
    theirs["supplier_id"] = own_supplier["id"].clone();
    theirs.as_object_mut().unwrap().remove("storage_place_id");
    foreign_reference(app, PURCHASES.create, &t.other, &theirs, "input_id").await;
    calls.finish();
});
