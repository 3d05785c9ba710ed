//! Places, products, suppliers and inputs edited as versions: edit,
//! history, deactivate and activate each kind, and list all of it; another
//! tenant's calls are answered as for an id nobody has.

use super::{nobodys, Calls, Op};
use crate::common::*;
use serde_json::{json, Value};

/// The operations of one kind edited as versions.
struct Kind {
    path: &'static str,
    edit: Op,
    history: Op,
    deactivate: Op,
    activate: Op,
}

macro_rules! kind {
    ($path:literal) => {
        Kind {
            path: $path,
            edit: ("PUT", concat!($path, "/{id}")),
            history: ("GET", concat!($path, "/{id}/history")),
            deactivate: ("POST", concat!($path, "/{id}/deactivate")),
            activate: ("POST", concat!($path, "/{id}/activate")),
        }
    };
}

const PLACES: Kind = kind!("/api/v1/places");
const PRODUCTS: Kind = kind!("/api/v1/products");
const SUPPLIERS: Kind = kind!("/api/v1/suppliers");
const INPUTS: Kind = kind!("/api/v1/inputs");

pub(super) const OPS: &[Op] = &[
    PLACES.edit,
    PLACES.history,
    PLACES.deactivate,
    PLACES.activate,
    PRODUCTS.edit,
    PRODUCTS.history,
    PRODUCTS.deactivate,
    PRODUCTS.activate,
    SUPPLIERS.edit,
    SUPPLIERS.history,
    SUPPLIERS.deactivate,
    SUPPLIERS.activate,
    INPUTS.edit,
    INPUTS.history,
    INPUTS.deactivate,
    INPUTS.activate,
];

/// Creates an entry from `body`, edits it to `edited` (checking `field`
/// changed), reads its two versions, deactivates it (gone from the list,
/// there with `all=true`) and activates it again; another tenant gets 404
/// for each.
async fn versions(calls: &Calls<'_>, t: &Tenants<'_>, kind: &Kind, body: Value, edited: Value, field: &str) {
    let (app, admin, other) = (t.app, &t.admin, &t.other);
    let (status, created) = app.post(kind.path, &admin.1, body).await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let at = |op: Op| op.1.replace("{id}", id);
    let nobody = |op: Op| op.1.replace("{id}", &nobodys());
    let got = calls
        .expect(kind.edit, &at(kind.edit), &admin.1, Some(edited.clone()), 200)
        .await;
    assert_eq!(got[field], edited[field], "{}", kind.path);
    calls
        .foreign(
            kind.edit,
            &at(kind.edit),
            &nobody(kind.edit),
            &other.1,
            Some(edited),
        )
        .await;
    let history = calls
        .expect(kind.history, &at(kind.history), &admin.1, None, 200)
        .await;
    let v = history["versions"].as_array().unwrap();
    assert_eq!(v.len(), 2, "{history}");
    assert_eq!(
        (v[0]["action"].as_str(), v[1]["action"].as_str()),
        (Some("created"), Some("edited"))
    );
    assert_eq!(v[1]["record"][field], got[field]);
    assert_eq!(v[1]["acting_username"], admin.0);
    calls
        .foreign(
            kind.history,
            &at(kind.history),
            &nobody(kind.history),
            &other.1,
            None,
        )
        .await;
    for (op, active) in [(kind.deactivate, false), (kind.activate, true)] {
        calls.foreign(op, &at(op), &nobody(op), &other.1, None).await;
        let got = calls.expect(op, &at(op), &admin.1, None, 200).await;
        assert_eq!(got["active"], active);
        let listed = |all: &'static str| {
            let path = format!("{}{all}", kind.path);
            async move { app.list(&path, &admin.1).await.iter().any(|x| x["id"] == id) }
        };
        assert_eq!(listed("").await, active, "{}", kind.path);
        assert!(listed("?all=true").await, "{}", kind.path);
    }
}

/// The organisation whose entries these are (its admin's login and
/// token), and another one.
struct Tenants<'a> {
    app: &'a TestApp,
    admin: (String, String),
    other: (String, String),
}

/// A verified producer's admin: its login and token.
async fn admin(app: &TestApp, name: &str) -> (String, String) {
    let (_, token) = app.producer(name, "510115").await;
    (name.to_owned(), token)
}

both_backends!(master_data_versions, |app| async move {
    let calls = Calls::new(app, OPS);
    let t = Tenants {
        app,
        admin: admin(app, "routes.ver").await,
        other: admin(app, "routes.ver.other").await,
    };
    let mut body = base("郫都红光蔬菜基地");
    body["gln"] = json!(gln());
    let edited = merge(
        body.clone(),
        json!({"name": "红光蔬菜基地", "address": "郫都区红光镇"}),
    );
    versions(&calls, &t, &PLACES, body, edited, "name").await;
    let body = product(&gtin13(), "郫县二荆条辣椒");
    let edited = merge(
        body.clone(),
        json!({"name": "二荆条辣椒（精品）", "shelf_life_days": 10}),
    );
    versions(&calls, &t, &PRODUCTS, body, edited, "shelf_life_days").await;
    let body = json!({"name": "成都农资有限公司", "uscc": "91110108551385082Q", "contact_name": "周八"});
    let edited = merge(
        body.clone(),
        json!({"contact_name": "吴九", "contact_phone": "13800138000"}),
    );
    versions(&calls, &t, &SUPPLIERS, body, edited, "contact_name").await;
    let body = json!({
        "kind": "pesticide", "name": "吡虫啉", "registration_number": "PD20080005",
        "pre_harvest_interval_days": 7, "unit": "瓶"
    });
    let edited = merge(body.clone(), json!({"pre_harvest_interval_days": 14}));
    versions(&calls, &t, &INPUTS, body, edited, "pre_harvest_interval_days").await;
    calls.finish();
});
