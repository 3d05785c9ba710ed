//! Master data edited as versions (#14): an edit is checked like a create
//! and refused naming the field, the fields that name an entry do not
//! change, the history lists every version, only a recorder of the owning
//! verified organisation may change an entry (nothing stored otherwise), a
//! deactivated place or input is named by no new record (nor is a new unit
//! made of a deactivated product), and `verify`
//! names an edited or deleted version and a row that is not its latest
//! version. On both backends.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::tlog::{sql, verify_ok};
use crate::trace_chain::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_store::db::Val;

/// The rows of `master_versions`.
async fn versions(app: &TestApp) -> i64 {
    app.rows_in("master_versions").await
}

/// A PUT of `body` to `path` refused with `status`, `code` and `field`.
async fn refused(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
    status: u16,
    code: &str,
    field: Option<&str>,
) {
    let before = versions(app).await;
    let resp = app.put(path, token, body).await;
    assert_problem(&resp, status, code, field);
    assert_eq!(versions(app).await, before, "{path}: nothing stored");
}

both_backends!(edits_are_checked_versions, |app| async move {
    let (_, token) = app.producer("ver.edit", "510115").await;
    let mut body = base("红光基地");
    body["gln"] = json!(gln());
    let placed = app.create_place(&token, body.clone()).await;
    let path = format!("/api/v1/places/{}", placed["id"].as_str().unwrap());
    // Checked like a create, naming the field.
    for (field, value) in [
        ("region", json!("99")),
        ("name", json!("")),
        ("location", json!({"latitude": 91.0, "longitude": 0.0})),
    ] {
        let resp = app
            .put(&path, &token, merge(body.clone(), json!({field: value})))
            .await;
        assert_eq!(resp.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", resp.1);
        assert_eq!(resp.1["field"], field, "{}", resp.1);
        let created = app
            .post(
                "/api/v1/places",
                &token,
                merge(body.clone(), json!({field: value})),
            )
            .await;
        assert_eq!(resp.1["code"], created.1["code"], "{field}: the create's refusal");
    }
    // The fields that name it do not change.
    refused(
        app,
        &token,
        &path,
        merge(body.clone(), json!({"gln": gln()})),
        422,
        "field_fixed",
        Some("gln"),
    )
    .await;
    refused(
        app,
        &token,
        &path,
        merge(body.clone(), json!({"kind": "warehouse"})),
        422,
        "field_fixed",
        Some("kind"),
    )
    .await;
    refused(app, &token, &path, body.clone(), 409, "no_change", None).await;
    assert_eq!(versions(app).await, 0);
    // Two edits: three versions, the row the latest.
    for name in ["红光蔬菜基地", "红光蔬菜基地（一期）"] {
        let (status, got) = app
            .put(
                &path,
                &token,
                merge(body.clone(), json!({"name": name, "soil_type": "壤土"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(
            (got["name"].as_str(), got["gln"].clone()),
            (Some(name), body["gln"].clone())
        );
    }
    let (_, got) = app.get(&path, &token).await;
    assert_eq!(got["name"], "红光蔬菜基地（一期）");
    let (status, history) = app.get(&format!("{path}/history"), &token).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let v = history["versions"].as_array().unwrap();
    let names: Vec<&str> = v.iter().map(|x| x["record"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["红光基地", "红光蔬菜基地", "红光蔬菜基地（一期）"]);
    assert_eq!(v[0]["acting_user"], Value::Null);
    assert_eq!(v[2]["acting_username"], "ver.edit");
    assert_eq!(v[0]["record"]["soil_type"], Value::Null);
    assert_eq!(v[1]["record"]["soil_type"], "壤土");

    // A product's GTIN is fixed, and certifications change on their own.
    let prod = product(&gtin13(), "辣椒");
    let (_, p) = app.post("/api/v1/products", &token, prod.clone()).await;
    let ppath = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    refused(
        app,
        &token,
        &ppath,
        merge(prod.clone(), json!({"gtin": gtin13()})),
        422,
        "field_fixed",
        Some("gtin"),
    )
    .await;
    let certs = json!({"certifications": [{"kind": "organic", "number": "X-1", "valid_from": "2024-01-01", "valid_until": "2027-01-01"}]});
    refused(
        app,
        &token,
        &ppath,
        merge(prod.clone(), certs),
        422,
        "certifications_separate",
        Some("certifications"),
    )
    .await;
    refused(
        app,
        &token,
        &ppath,
        merge(prod.clone(), json!({"shelf_life_days": 0})),
        422,
        "number_range",
        Some("shelf_life_days"),
    )
    .await;
    let (status, got) = app
        .put(&ppath, &token, merge(prod, json!({"name": "二荆条辣椒"})))
        .await;
    assert_eq!(
        (status, got["name"].as_str()),
        (StatusCode::OK, Some("二荆条辣椒")),
        "{got}"
    );
    // A supplier's credit code and an input's registration are fixed.
    let sup = json!({"name": "成都农资", "uscc": "91110108551385082Q"});
    let (_, s) = app.post("/api/v1/suppliers", &token, sup.clone()).await;
    let spath = format!("/api/v1/suppliers/{}", s["id"].as_str().unwrap());
    refused(
        app,
        &token,
        &spath,
        merge(sup.clone(), json!({"uscc": null})),
        422,
        "field_fixed",
        Some("uscc"),
    )
    .await;
    refused(
        app,
        &token,
        &spath,
        merge(sup.clone(), json!({"contact_phone": "12"})),
        422,
        "phone_format",
        Some("contact_phone"),
    )
    .await;
    let inp = json!({"kind": "pesticide", "name": "吡虫啉", "registration_number": "PD20080005", "pre_harvest_interval_days": 7, "unit": "瓶"});
    let (_, i) = app.post("/api/v1/inputs", &token, inp.clone()).await;
    let ipath = format!("/api/v1/inputs/{}", i["id"].as_str().unwrap());
    refused(
        app,
        &token,
        &ipath,
        merge(inp.clone(), json!({"registration_number": "PD20080006"})),
        422,
        "field_fixed",
        Some("registration_number"),
    )
    .await;
    refused(
        app,
        &token,
        &ipath,
        merge(inp.clone(), json!({"pre_harvest_interval_days": null})),
        422,
        "phi_required",
        Some("pre_harvest_interval_days"),
    )
    .await;
    let (status, got) = app
        .put(
            &ipath,
            &token,
            merge(inp, json!({"pre_harvest_interval_days": 10})),
        )
        .await;
    assert_eq!(
        (status, got["pre_harvest_interval_days"].as_i64()),
        (StatusCode::OK, Some(10)),
        "{got}"
    );
    verify_ok(app).await;
});

both_backends!(only_the_owners_recorders_change_entries, |app| async move {
    let (org, admin) = app.producer("ver.who", "510115").await;
    let (_, other) = app.producer("ver.who.other", "510115").await;
    let body = base("红光基地");
    let placed = app.create_place(&admin, body.clone()).await;
    let path = format!("/api/v1/places/{}", placed["id"].as_str().unwrap());
    let edited = merge(body.clone(), json!({"name": "改名"}));
    let deactivate = format!("{path}/deactivate");
    app.create_user(&admin, org, "ver.who.viewer", "viewer", None)
        .await;
    let viewer = app.login("ver.who.viewer", USER_PASSWORD).await;
    app.create_user(&admin, org, "ver.who.rec", "recorder", None)
        .await;
    let recorder = app.login("ver.who.rec", USER_PASSWORD).await;
    let operator = app.operator_token().await;
    // Another organisation: not found, as an id nobody has.
    refused(app, &other, &path, edited.clone(), 404, "not_found", None).await;
    let resp = app.post(&deactivate, &other, json!({})).await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app.get(&format!("{path}/history"), &other).await;
    assert_problem(&resp, 404, "not_found", None);
    // A viewer and the operator: refused.
    refused(
        app,
        &viewer,
        &path,
        edited.clone(),
        403,
        "role_cannot_record",
        None,
    )
    .await;
    refused(
        app,
        &operator,
        &path,
        edited.clone(),
        403,
        "operator_cannot_record",
        None,
    )
    .await;
    let resp = app.post(&deactivate, &viewer, json!({})).await;
    assert_problem(&resp, 403, "role_cannot_record", None);
    // A pending organisation prepares its places but changes none.
    let (_, pending) = app.pending_producer("ver.who.pending", "510115").await;
    let mine = app.create_place(&pending, body.clone()).await;
    let pending_path = format!("/api/v1/places/{}", mine["id"].as_str().unwrap());
    let resp = app.put(&pending_path, &pending, edited.clone()).await;
    assert_eq!(resp.0, StatusCode::FORBIDDEN, "{}", resp.1);
    let resp = app
        .post(&format!("{pending_path}/deactivate"), &pending, json!({}))
        .await;
    assert_eq!(resp.0, StatusCode::FORBIDDEN, "{}", resp.1);
    // A suspended organisation: refused.
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{org}/suspend"),
            &operator,
            json!({"reason": "测试"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    refused(
        app,
        &recorder,
        &path,
        edited.clone(),
        403,
        "organisation_suspended",
        None,
    )
    .await;
    let resp = app.post(&deactivate, &admin, json!({})).await;
    assert_problem(&resp, 403, "organisation_suspended", None);
    assert_eq!(versions(app).await, 0);
    let (_, got) = app.get(&path, &admin).await;
    assert_eq!(
        (got["name"].clone(), got["active"].clone()),
        (body["name"].clone(), json!(true))
    );
    // Restored, its recorder edits.
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{org}/restore"),
            &operator,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, got) = app.put(&path, &recorder, edited).await;
    assert_eq!(
        (status, got["name"].as_str()),
        (StatusCode::OK, Some("改名")),
        "{got}"
    );
    verify_ok(app).await;
});

/// The id in a `urn:suyuan:…:{id}` reference.
fn id_in(urn: &str) -> &str {
    urn.rsplit(':').next().unwrap()
}

both_backends!(
    deactivated_places_and_inputs_are_named_by_no_new_record,
    |app| async move {
        let w = World::new(app, "ver.off").await;
        let p = &w.producer;
        let plot = format!("/api/v1/places/{}", id_in(&p.place));
        let (status, off) = app.post(&format!("{plot}/deactivate"), &p.token, json!({})).await;
        assert_eq!(
            (status, off["active"].clone()),
            (StatusCode::OK, json!(false)),
            "{off}"
        );
        let resp = app.post(&format!("{plot}/deactivate"), &p.token, json!({})).await;
        assert_problem(&resp, 409, "already_deactivated", Some("active"));
        // Capture refuses it, naming the field; nothing stored.
        let e = refuse(app, p, irrigation(&p.place, &t(10, 8)), "place_deactivated").await;
        assert_eq!(e["field"], "bizLocation", "{e}");
        // A deactivated base names no new plot.
        let base_path = format!("/api/v1/places/{}", w.base_id);
        app.post(&format!("{base_path}/deactivate"), &p.token, json!({}))
            .await;
        let resp = app
            .post(
                "/api/v1/places",
                &p.token,
                merge(place("plot", "新地块"), json!({"parent_id": w.base_id})),
            )
            .await;
        assert_problem(&resp, 422, "deactivated", Some("parent_id"));
        // Lists hide them unless asked for all; records stored keep them.
        let listed = app.list("/api/v1/places", &p.token).await;
        assert!(!listed.iter().any(|x| x["id"] == id_in(&p.place)));
        let all = app.list("/api/v1/places?all=true", &p.token).await;
        assert!(all.iter().any(|x| x["id"] == id_in(&p.place)));
        let report = trace(app, p, &w.l1, suyuan_store::trace::lineage::Direction::Back).await;
        assert!(
            report.to_string().contains(id_in(&p.place)),
            "the trace still shows the plot"
        );
        for path in [&plot, &base_path] {
            let (status, _) = app.post(&format!("{path}/activate"), &p.token, json!({})).await;
            assert_eq!(status, StatusCode::OK);
        }
        record(app, p, vec![irrigation(&p.place, &t(10, 9))]).await;

        // A deactivated input: its lots are applied by no new record, and it
        // is bought no more.
        let (_, purchase) = app
            .get(
                &format!("/api/v1/input-purchases/{}", id_in(&w.pesticide)),
                &p.token,
            )
            .await;
        let input = format!("/api/v1/inputs/{}", purchase["input_id"].as_str().unwrap());
        let (status, _) = app
            .post(&format!("{input}/deactivate"), &p.token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let spray = pest_control(&p.place, &t(11, 8), &w.pesticide, "PD20080005", 7);
        let e = refuse(app, p, spray.clone(), "input_deactivated").await;
        assert_eq!(e["field"], "agri:inputLot", "{e}");
        let buy = json!({"input_id": purchase["input_id"], "supplier_id": purchase["supplier_id"], "lot_number": "B-2",
                     "quantity": 1.0, "unit": "瓶", "purchased_on": "2026-02-20"});
        let resp = app.post("/api/v1/input-purchases", &p.token, buy).await;
        assert_problem(&resp, 422, "deactivated", Some("input_id"));
        let (status, _) = app.post(&format!("{input}/activate"), &p.token, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let mut spray = spray;
        spray["eventID"] = json!(new_event_id());
        record(app, p, vec![spray]).await;
        let (_, history) = app.get(&format!("{input}/history"), &p.token).await;
        let actions: Vec<&str> = history["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["created", "deactivated", "activated"]);
        verify_ok(app).await;
    }
);

both_backends!(deactivated_products_make_no_new_units, |app| async move {
    let w = World::new(app, "ver.prod").await;
    let p = &w.producer;
    let gtin13 = gtin13();
    let gtin = format!("0{gtin13}");
    let (status, prod) = app
        .post("/api/v1/products", &p.token, product(&gtin13, "停用产品"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{prod}");
    let path = format!("/api/v1/products/{}", prod["id"].as_str().unwrap());
    let old = lot(&gtin, "OLD");
    record(app, p, vec![harvest(&p.place, &t(12, 8), &old)]).await;
    let (status, _) = app.post(&format!("{path}/deactivate"), &p.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // No new unit of it: neither harvested nor allocated, naming the field.
    let new_lot = lot(&gtin, "NEW");
    let e = refuse(
        app,
        p,
        harvest(&p.place, &t(13, 8), &new_lot),
        "product_deactivated",
    )
    .await;
    assert_eq!(e["field"], "quantityList", "{e}");
    let lots = app.count("/api/v1/lots", &p.token).await;
    let allocate = json!({"product_id": prod["id"], "date": "2026-03-13", "site": "A1"});
    let resp = app.post("/api/v1/lots", &p.token, allocate.clone()).await;
    assert_problem(&resp, 422, "deactivated", Some("product_id"));
    assert_eq!(app.count("/api/v1/lots", &p.token).await, lots, "nothing stored");
    // What exists of it is recorded on as before.
    record(app, p, vec![storage_in(&old, &w.base, &t(13, 9), "A-1")]).await;
    // Active again, it makes new units.
    let (status, _) = app.post(&format!("{path}/activate"), &p.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    record(app, p, vec![harvest(&p.place, &t(13, 10), &new_lot)]).await;
    let (status, allocated) = app.post("/api/v1/lots", &p.token, allocate).await;
    assert_eq!(status, StatusCode::CREATED, "{allocated}");
    verify_ok(app).await;
});

/// The problems `verify` reports, as (table, field).
async fn problems(app: &TestApp) -> Vec<(String, String)> {
    let report = app.store.verify_log().await.unwrap();
    report.problems.into_iter().map(|p| (p.table, p.field)).collect()
}

both_backends!(verify_names_edited_versions_and_rows, |app| async move {
    let (_, token) = app.producer("ver.verify", "510115").await;
    let body = base("红光基地");
    let placed = app.create_place(&token, body.clone()).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/places/{id}");
    let (status, _) = app
        .put(&path, &token, merge(body.clone(), json!({"name": "二期"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&format!("{path}/deactivate"), &token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    verify_ok(app).await;
    let v = |n: i64| vec![Val::from(id.clone()), Val::from(n)];
    let cases: [(&str, &str, &str, &str, &str); 4] = [
        // The row is not its latest version.
        ("UPDATE places SET name = '三期' WHERE id = $1 AND $2 > 0", "UPDATE places SET name = '二期' WHERE id = $1 AND $2 > 0", "places", "name", "1"),
        // Version 1 is not the record first logged.
        ("UPDATE master_versions SET content = replace(content, '红光基地', '红光') WHERE entry_id = $1 AND version = $2",
         "UPDATE master_versions SET content = replace(content, '\"红光\"', '\"红光基地\"') WHERE entry_id = $1 AND version = $2",
         "master_versions", "content", "1"),
        // A later version edited.
        ("UPDATE master_versions SET action = 'edited' WHERE entry_id = $1 AND version = $2",
         "UPDATE master_versions SET action = 'deactivated' WHERE entry_id = $1 AND version = $2",
         "master_versions", "row", "3"),
        // Deactivated by no version.
        ("UPDATE master_versions SET active = TRUE WHERE entry_id = $1 AND version = $2",
         "UPDATE master_versions SET active = FALSE WHERE entry_id = $1 AND version = $2",
         "master_versions", "row", "3"),
    ];
    for (tamper, undo, table, field, n) in cases {
        sql(app, tamper, &v(n.parse().unwrap())).await;
        let found = problems(app).await;
        assert!(
            found.contains(&(table.into(), field.into())),
            "{tamper}: {found:?}"
        );
        sql(app, undo, &v(n.parse().unwrap())).await;
        verify_ok(app).await;
    }
    // A deleted version, the latest: named, and so is the row.
    sql(
        app,
        "CREATE TABLE ver_bak AS SELECT * FROM master_versions WHERE entry_id = $1 AND version = $2",
        &v(3),
    )
    .await;
    sql(
        app,
        "DELETE FROM master_versions WHERE entry_id = $1 AND version = $2",
        &v(3),
    )
    .await;
    let found = problems(app).await;
    assert!(found.iter().any(|p| p.0 == "master_versions"), "{found:?}");
    assert!(found.contains(&("places".into(), "active".into())), "{found:?}");
    sql(app, "INSERT INTO master_versions SELECT * FROM ver_bak", &[]).await;
    sql(app, "DROP TABLE ver_bak", &[]).await;
    verify_ok(app).await;
});

/// In the replay's chain: a place edited, an input deactivated and
/// activated again, a supplier and a product edited.
pub(crate) async fn versions_in_chain(app: &TestApp, org: &Org) {
    let mut body = base("链上基地");
    body["gln"] = json!(gln());
    let placed = app.create_place(&org.token, body.clone()).await;
    let path = format!("/api/v1/places/{}", placed["id"].as_str().unwrap());
    let (status, got) = app
        .put(&path, &org.token, merge(body, json!({"name": "链上基地二期"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let inp = json!({"kind": "fertiliser", "name": "复合肥", "unit": "袋"});
    let (_, input) = app.post("/api/v1/inputs", &org.token, inp).await;
    let ipath = format!("/api/v1/inputs/{}", input["id"].as_str().unwrap());
    for action in ["deactivate", "activate"] {
        let (status, got) = app
            .post(&format!("{ipath}/{action}"), &org.token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
    }
    let sup = json!({"name": "链上农资"});
    let (_, s) = app.post("/api/v1/suppliers", &org.token, sup.clone()).await;
    let spath = format!("/api/v1/suppliers/{}", s["id"].as_str().unwrap());
    let (status, got) = app
        .put(&spath, &org.token, merge(sup, json!({"address": "郫都区"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
}

both_backends!(
    the_console_edits_deactivates_and_shows_history,
    |app| async move {
        use crate::console::{location, sign_in};
        let (_, token) = app.producer("ver.console", "510115").await;
        let body = base("红光基地");
        let placed = app.create_place(&token, body).await;
        let id = placed["id"].as_str().unwrap().to_owned();
        let b = sign_in(app, "ver.console", ADMIN_PASSWORD).await;
        let page = format!("/console/master/places/{id}");
        let (status, _, html) = b.get(app, &page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for part in [
            format!("action=\"{page}\""),
            "value=\"红光基地\"".to_owned(),
            format!("value=\"{}\"", b.csrf),
            format!("action=\"{page}/deactivate\""),
            "id=\"history\"".to_owned(),
        ] {
            assert!(html.contains(&part), "{part} in {html}");
        }
        let form = |name: &'static str, region: &'static str, kind: &'static str| {
            vec![
                ("kind", kind),
                ("name", name),
                ("region", region),
                ("area_m2", "20000"),
            ]
        };
        // Refusals beside the field; nothing stored.
        for (fields, field) in [
            (form("红光基地", "99", "production_base"), "region"),
            (form("红光基地", "510124", "warehouse"), "kind"),
        ] {
            let (status, _, html) = b.post(app, &page, &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
            assert!(
                html.contains(&format!("data-field=\"{field}\"")),
                "{field}: {html}"
            );
        }
        // Without its token: refused, nothing stored.
        let (status, _, _) = b
            .post_raw(
                app,
                &page,
                &form("改名", "510124", "production_base"),
                Some(crate::console::ORIGIN),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = b
            .post_raw(
                app,
                &format!("{page}/deactivate"),
                &[],
                Some(crate::console::ORIGIN),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(versions(app).await, 0);
        // Saved: a new version; the fields the form does not show are kept.
        let (status, h, html) = b
            .post(app, &page, &form("红光蔬菜基地", "510124", "production_base"))
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        assert_eq!(location(&h), page);
        let (_, got) = app.get(&format!("/api/v1/places/{id}"), &token).await;
        assert_eq!(got["name"], "红光蔬菜基地");
        assert_eq!(got["location"], placed["location"], "kept");
        let (_, _, html) = b.get(app, &page).await;
        assert!(html.contains("红光基地 → 红光蔬菜基地"), "{html}");
        assert!(html.contains("ver.console"), "{html}");
        // Deactivated: gone from the list but for all; activated again.
        let (status, _, _) = b.post(app, &format!("{page}/deactivate"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, list) = b.get(app, "/console/master/places").await;
        assert!(!list.contains("红光蔬菜基地"), "{list}");
        let (_, _, list) = b.get(app, "/console/master/places?all=true").await;
        assert!(list.contains("红光蔬菜基地"), "{list}");
        let (_, _, html) = b.get(app, &page).await;
        assert!(
            html.contains("id=\"deactivated\"") && html.contains(&format!("{page}/activate")),
            "{html}"
        );
        let (status, _, _) = b.post(app, &format!("{page}/activate"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // Another organisation's entry is not found.
        let (_, _) = app.producer("ver.console.other", "510115").await;
        let other = sign_in(app, "ver.console.other", ADMIN_PASSWORD).await;
        let (status, _, _) = other.get(app, &page).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = other
            .post(app, &page, &form("夺取", "510124", "production_base"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A product's page shows every certification added and withdrawn.
        let mut prod = product(&gtin13(), "辣椒");
        prod["certifications"] = json!([{"kind": "organic", "number": "ORG-77", "valid_from": "2024-01-01", "valid_until": "2027-01-01"}]);
        let (_, p) = app.post("/api/v1/products", &token, prod).await;
        let pid = p["id"].as_str().unwrap();
        let (_, held) = app
            .get(&format!("/api/v1/products/{pid}/certifications"), &token)
            .await;
        let cert = held[0]["id"].as_str().unwrap().to_owned();
        let (status, _, _) = b
            .post(
                app,
                &format!("/console/products/{pid}/certifications/{cert}/withdraw"),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, html) = b.get(app, &format!("/console/products/{pid}")).await;
        let history = html.split("id=\"certification-history\"").nth(1).unwrap();
        assert_eq!(history.matches("ORG-77").count(), 2, "{history}");
        assert!(
            history.contains("撤销") && history.contains("ver.console"),
            "{history}"
        );
        assert!(
            html.contains(&format!("/console/master/products/{pid}")),
            "{html}"
        );
        verify_ok(app).await;
    }
);
