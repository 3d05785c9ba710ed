//! An organisation's master records: places, products, suppliers, inputs,
//! purchases; paging; and who may read them (tenancy).

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

both_backends!(places, |app| async move {
    let (org_id, admin) = app.producer("place.admin", "510115").await;
    let base_gln = gln();
    let mut body = base("郫都红光蔬菜基地");
    body["gln"] = json!(base_gln);
    body["polygon"] = json!([
        {"latitude": 30.78, "longitude": 103.94},
        {"latitude": 30.79, "longitude": 103.94},
        {"latitude": 30.79, "longitude": 103.95}
    ]);
    body["crops"] = json!(["辣椒", "莴笋"]);
    let b = app.create_place(&admin, body).await;
    assert_eq!(b["org_id"], org_id.to_string());
    assert_eq!(b["gln"], base_gln);
    assert_eq!(b["crops"], json!(["辣椒", "莴笋"]));
    assert_eq!(b["polygon"].as_array().unwrap().len(), 3);
    assert_eq!(b["location"]["latitude"], 30.78);

    let plot = app
        .create_place(
            &admin,
            merge(
                place("plot", "一号地块"),
                json!({
                    "parent_id": b["id"],
                    "soil_type": "水稻土", "water_source": "都江堰灌区", "irrigation": "滴灌",
                    "environment_tests": ["SC-2024-土壤-001"], "area_m2": 3335.0
                }),
            ),
        )
        .await;
    assert_eq!(plot["parent_id"], b["id"]);
    assert_eq!(plot["environment_tests"], json!(["SC-2024-土壤-001"]));
    let (status, got) = app
        .get(
            &format!("/api/v1/places/{}", plot["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["soil_type"], "水稻土");
    let before = app.count("/api/v1/places", &admin).await;
    assert_eq!(before, 2);

    // Refusals, none of which store anything.
    let resp = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "plot", "name": "孤地块"}),
        )
        .await;
    assert_problem(&resp, 422, "parent_required", Some("parent_id"));
    let resp = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "plot", "name": "地块中的地块", "parent_id": plot["id"]}),
        )
        .await;
    assert_problem(&resp, 422, "parent_not_base", Some("parent_id"));
    let resp = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "warehouse", "name": "仓库", "parent_id": b["id"]}),
        )
        .await;
    assert_problem(&resp, 422, "parent_only_plots", Some("parent_id"));
    let mut bad_gln = base("错校验位");
    let wrong = format!("{}{}", &base_gln[..12], (base_gln.as_bytes()[12] - b'0' + 1) % 10);
    bad_gln["gln"] = json!(wrong);
    let resp = app.post("/api/v1/places", &admin, bad_gln).await;
    assert_problem(&resp, 422, "gln_check_digit", Some("gln"));
    let mut dup = base("重复 GLN");
    dup["gln"] = json!(base_gln);
    let resp = app.post("/api/v1/places", &admin, dup).await;
    assert_problem(&resp, 409, "duplicate", Some("gln"));
    let resp = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "vehicle", "name": "冷藏车"}),
        )
        .await;
    assert_problem(&resp, 422, "plate_required", Some("plate_number"));
    let mut far = base("越界");
    far["location"] = json!({"latitude": 91.0, "longitude": 0.0});
    let resp = app.post("/api/v1/places", &admin, far).await;
    assert_problem(&resp, 422, "geo_point_range", Some("location"));
    let resp = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "warehouse", "name": "冷库", "temperature_controlled": true,
                   "temperature_min": 8.0, "temperature_max": 2.0}),
        )
        .await;
    assert_problem(&resp, 422, "temperature_range", Some("temperature_max"));
    assert_eq!(app.count("/api/v1/places", &admin).await, before);

    // Another organisation cannot hang a plot under this base, nor reuse the GLN.
    let (_, other) = app.producer("place.other", "110105").await;
    let resp = app
        .post(
            "/api/v1/places",
            &other,
            json!({"kind": "plot", "name": "借用地块", "parent_id": b["id"]}),
        )
        .await;
    assert_problem(&resp, 422, "reference_not_found", Some("parent_id"));
    let mut dup = base("他人 GLN");
    dup["gln"] = json!(base_gln);
    let resp = app.post("/api/v1/places", &other, dup).await;
    assert_problem(&resp, 409, "duplicate", Some("gln"));
    assert_eq!(app.count("/api/v1/places", &other).await, 0);

    // Vehicles and warehouses.
    let v = app
        .create_place(
            &admin,
            merge(
                place("vehicle", "冷藏车"),
                json!({"plate_number": "川A12345", "temperature_controlled": true,
                       "temperature_min": 0.0, "temperature_max": 4.0}),
            ),
        )
        .await;
    assert_eq!(v["plate_number"], "川A12345");
    assert_eq!(v["temperature_controlled"], true);
});

both_backends!(products, |app| async move {
    let (org_id, admin) = app.producer("prod.admin", "510115").await;
    let gtin = gtin13();
    let mut body = product(&gtin, "郫县二荆条辣椒");
    body["certifications"] = json!([{
        "kind": "green_food", "number": "LB-15-24010512345A", "issuer": "中国绿色食品发展中心",
        "valid_from": "2024-01-01", "valid_until": "2027-01-01"
    }]);
    let (status, p) = app.post("/api/v1/products", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["gtin"], format!("0{gtin}"), "a GTIN-13 is stored as GTIN-14");
    assert_eq!(p["org_id"], org_id.to_string());
    assert_eq!(p["shelf_life_days"], 7);
    assert_eq!(p["certifications"][0]["kind"], "green_food");
    assert_eq!(p["certifications"][0]["valid_until"], "2027-01-01");
    let id = p["id"].as_str().unwrap();
    let (status, got) = app.get(&format!("/api/v1/products/{id}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["certifications"].as_array().unwrap().len(), 1);
    assert_eq!(got["gtin"], p["gtin"]);

    let before = app.count("/api/v1/products", &admin).await;

    // The same GTIN in any spelling, by anyone, is a duplicate.
    let resp = app
        .post("/api/v1/products", &admin, product(&format!("0{gtin}"), "重复"))
        .await;
    assert_problem(&resp, 409, "duplicate", Some("gtin"));
    let (_, other) = app.producer("prod.other", "110105").await;
    let resp = app
        .post("/api/v1/products", &other, product(&gtin, "别家的辣椒"))
        .await;
    assert_problem(&resp, 409, "duplicate", Some("gtin"));
    assert_eq!(app.count("/api/v1/products", &other).await, 0);

    let mut bad = product(&gtin13(), "证书倒挂");
    bad["certifications"] = json!([{
        "kind": "organic", "number": "124OP2400001",
        "valid_from": "2025-06-01", "valid_until": "2025-05-31"
    }]);
    let resp = app.post("/api/v1/products", &admin, bad).await;
    assert_problem(
        &resp,
        422,
        "validity_order",
        Some("certifications[0].valid_until"),
    );
    let mut bad = product(&gtin13(), "证书日期");
    bad["certifications"] = json!([
        {"kind": "gap", "number": "GAP-1", "valid_from": "2024-01-01", "valid_until": "2026-01-01"},
        {"kind": "organic", "number": "X", "valid_from": "2023-02-29", "valid_until": "2026-01-01"}
    ]);
    let resp = app.post("/api/v1/products", &admin, bad).await;
    assert_problem(&resp, 422, "date_format", Some("certifications[1].valid_from"));
    let resp = app
        .post("/api/v1/products", &admin, product("6901234567891", "错校验位"))
        .await;
    assert_problem(&resp, 422, "gtin_check_digit", Some("gtin"));
    let resp = app
        .post("/api/v1/products", &admin, product("69012345", "错长度"))
        .await;
    assert_eq!(resp.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", resp.1);
    assert_eq!(resp.1["field"], "gtin");
    let mut bad = product(&gtin13(), "保质期");
    bad["shelf_life_days"] = json!(0);
    let resp = app.post("/api/v1/products", &admin, bad).await;
    assert_problem(&resp, 422, "number_range", Some("shelf_life_days"));
    let mut bad = product(&gtin13(), "产地");
    bad["origin_region"] = json!("5101");
    let resp = app.post("/api/v1/products", &admin, bad).await;
    assert_problem(&resp, 422, "region_code_format", Some("origin_region"));
    assert_eq!(app.count("/api/v1/products", &admin).await, before);
    // A refused product left no certification behind either.
    let row = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT COUNT(*) AS n FROM certifications", &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.int("n").unwrap(), 1);
});

both_backends!(suppliers_inputs_purchases, |app| async move {
    let (_, admin) = app.producer("input.admin", "510115").await;
    let (status, supplier) = app
        .post(
            "/api/v1/suppliers",
            &admin,
            json!({"name": "成都农资有限公司", "uscc": "91110108551385082Q",
                   "contact_name": "周八", "contact_phone": "028-8888 6666",
                   "licence_number": "农药经营许可证 川农药经 510124001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{supplier}");
    assert_eq!(supplier["uscc"], "91110108551385082Q");
    // A supplier's pilot-area code is kept; a malformed one is refused.
    let (status, _) = app
        .post(
            "/api/v1/suppliers",
            &admin,
            json!({"name": "福州老农资", "uscc": "91350100M0001TGQXM"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let resp = app
        .post(
            "/api/v1/suppliers",
            &admin,
            json!({"name": "坏代码", "uscc": "123"}),
        )
        .await;
    assert_problem(&resp, 422, "uscc_length", Some("uscc"));
    assert_eq!(app.count("/api/v1/suppliers", &admin).await, 2);

    let pesticide = json!({
        "kind": "pesticide", "name": "吡虫啉", "manufacturer": "某农化",
        "registration_number": "PD20080005", "active_ingredient": "吡虫啉 10%",
        "pre_harvest_interval_days": 7, "unit": "瓶"
    });
    let mut no_reg = pesticide.clone();
    no_reg.as_object_mut().unwrap().remove("registration_number");
    let resp = app.post("/api/v1/inputs", &admin, no_reg).await;
    assert_problem(&resp, 422, "registration_required", Some("registration_number"));
    let mut no_phi = pesticide.clone();
    no_phi
        .as_object_mut()
        .unwrap()
        .remove("pre_harvest_interval_days");
    let resp = app.post("/api/v1/inputs", &admin, no_phi).await;
    assert_problem(&resp, 422, "phi_required", Some("pre_harvest_interval_days"));
    let mut bad_reg = pesticide.clone();
    bad_reg["registration_number"] = json!("XX2008");
    let resp = app.post("/api/v1/inputs", &admin, bad_reg).await;
    assert_problem(
        &resp,
        422,
        "pesticide_registration_format",
        Some("registration_number"),
    );
    assert_eq!(app.count("/api/v1/inputs", &admin).await, 0);
    let (status, input) = app.post("/api/v1/inputs", &admin, pesticide).await;
    assert_eq!(status, StatusCode::CREATED, "{input}");
    assert_eq!(input["pre_harvest_interval_days"], 7);
    assert_eq!(input["registration_number"], "PD20080005");
    let warehouse = app.create_place(&admin, place("warehouse", "农资仓库")).await;
    let purchase = json!({
        "input_id": input["id"], "supplier_id": supplier["id"], "lot_number": "20240501A",
        "quantity": 20.0, "unit": "瓶", "purchased_on": "2024-05-01",
        "storage_place_id": warehouse["id"], "storage_conditions": "阴凉干燥，上锁"
    });
    let (status, p) = app
        .post("/api/v1/input-purchases", &admin, purchase.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["quantity"], 20.0);
    assert_eq!(p["purchased_on"], "2024-05-01");
    let mut future = purchase.clone();
    future["purchased_on"] = json!("2999-01-01");
    let resp = app.post("/api/v1/input-purchases", &admin, future).await;
    assert_problem(&resp, 422, "date_in_future", Some("purchased_on"));
    let mut zero = purchase.clone();
    zero["quantity"] = json!(0);
    let resp = app.post("/api/v1/input-purchases", &admin, zero).await;
    assert_problem(&resp, 422, "quantity_positive", Some("quantity"));

    // Another organisation cannot buy from this one's archive.
    let (_, other) = app.producer("input.other", "110105").await;
    let (status, other_supplier) = app
        .post("/api/v1/suppliers", &other, json!({"name": "北京农资"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut foreign = purchase.clone();
    foreign["supplier_id"] = other_supplier["id"].clone();
    foreign.as_object_mut().unwrap().remove("storage_place_id");
    let resp = app.post("/api/v1/input-purchases", &other, foreign.clone()).await;
    assert_problem(&resp, 422, "reference_not_found", Some("input_id"));
    foreign["input_id"] = json!(uuid::Uuid::now_v7());
    let resp = app.post("/api/v1/input-purchases", &other, foreign).await;
    assert_problem(&resp, 422, "reference_not_found", Some("input_id"));
    let mut foreign_store = purchase.clone();
    foreign_store["supplier_id"] = other_supplier["id"].clone();
    let resp = app.post("/api/v1/input-purchases", &admin, foreign_store).await;
    assert_problem(&resp, 422, "reference_not_found", Some("supplier_id"));
    assert_eq!(app.count("/api/v1/input-purchases", &other).await, 0);
    assert_eq!(app.count("/api/v1/input-purchases", &admin).await, 1);
    let resp = app
        .get(
            &format!("/api/v1/input-purchases/{}", p["id"].as_str().unwrap()),
            &other,
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
});

both_backends!(pagination, |app| async move {
    let (_, admin) = app.producer("page.admin", "510115").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_product(&admin, &format!("产品{i}")).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/products?limit=2&after={a}"),
            None => "/api/v1/products?limit=2".to_owned(),
        };
        let (status, page) = app.get(&path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(items.iter().map(|p| p["id"].clone()));
        match &page["next_cursor"] {
            Value::Null => break,
            Value::String(c) => after = Some(c.clone()),
            other => panic!("next_cursor {other}"),
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(seen, created, "pages in creation order, each product once");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);

    // A page that ends exactly at the last row has no next cursor.
    let (_, page) = app.get("/api/v1/products?limit=5", &admin).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);
    let (_, page) = app.get("/api/v1/products?limit=4", &admin).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("/api/v1/products?limit=4&after={cursor}"), &admin)
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
});

both_backends!(tenants_see_only_their_own, |app| async move {
    let (a_id, a) = app.producer("ten.a", "510115").await;
    let (b_id, b) = app.producer("ten.b", "110105").await;
    let pa = app.create_product(&a, "A 的辣椒").await;
    let pb = app.create_product(&b, "B 的白菜").await;
    let place_b = app.create_place(&b, base("B 的基地")).await;

    let mine = app.list("/api/v1/products", &a).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], pa["id"]);
    assert!(app
        .list(&format!("/api/v1/products?org_id={b_id}"), &a)
        .await
        .is_empty());
    assert!(app.list("/api/v1/places", &a).await.is_empty());
    let resp = app
        .get(&format!("/api/v1/products/{}", pb["id"].as_str().unwrap()), &a)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app
        .get(&format!("/api/v1/places/{}", place_b["id"].as_str().unwrap()), &a)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app.get(&format!("/api/v1/organisations/{b_id}"), &a).await;
    assert_problem(&resp, 404, "not_found", None);
    let orgs = app.list("/api/v1/organisations", &a).await;
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["id"], a_id.to_string());

    // The operator administers organisations but does not read their records.
    let op = app.operator_token().await;
    assert_eq!(app.count("/api/v1/organisations", &op).await, 3);
    assert!(app.list("/api/v1/products", &op).await.is_empty());
    assert!(app
        .list(&format!("/api/v1/products?org_id={a_id}"), &op)
        .await
        .is_empty());
    let resp = app
        .get(&format!("/api/v1/products/{}", pa["id"].as_str().unwrap()), &op)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    assert!(app.list("/api/v1/places", &op).await.is_empty());
});

both_backends!(officer_reads_within_jurisdiction, |app| async move {
    let code = uscc("11", "510100");
    let (reg_id, reg_admin) = app
        .register_org_in("regulator", None, &code, "510100", "ten.reg")
        .await;
    app.verify(reg_id).await;
    app.create_user(&reg_admin, reg_id, "ten.officer", "officer", Some("5101"))
        .await;
    let (chengdu_id, chengdu) = app.producer("ten.chengdu", "510115").await;
    let (beijing_id, beijing) = app.producer("ten.beijing", "110105").await;
    let pc = app.create_product(&chengdu, "郫都辣椒").await;
    let pb = app.create_product(&beijing, "朝阳白菜").await;
    let officer = app.login("ten.officer", USER_PASSWORD).await;

    let seen = app
        .list(&format!("/api/v1/products?org_id={chengdu_id}"), &officer)
        .await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], pc["id"]);
    assert!(app
        .list(&format!("/api/v1/products?org_id={beijing_id}"), &officer)
        .await
        .is_empty());
    let all = app.list("/api/v1/products", &officer).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let (status, _) = app
        .get(
            &format!("/api/v1/products/{}", pc["id"].as_str().unwrap()),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let resp = app
        .get(
            &format!("/api/v1/products/{}", pb["id"].as_str().unwrap()),
            &officer,
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
    // Organisations: its own and those in its jurisdiction.
    let orgs: HashSet<String> = app
        .list("/api/v1/organisations", &officer)
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(orgs, HashSet::from([reg_id.to_string(), chengdu_id.to_string()]));

    // Officers read, never write.
    let resp = app
        .post("/api/v1/products", &officer, product(&gtin13(), "监管录入"))
        .await;
    assert_problem(&resp, 403, "role_cannot_record", None);
    let resp = app.post("/api/v1/places", &officer, base("监管基地")).await;
    assert_problem(&resp, 403, "role_cannot_record", None);
    assert_eq!(app.count("/api/v1/products", &chengdu).await, 1);
    // The regulator's admin (not an officer) sees only its own records.
    assert!(app.list("/api/v1/products", &reg_admin).await.is_empty());
});

both_backends!(unverified_regulator_reads_nothing, |app| async move {
    // A regulator that registered itself but is not verified yet must not
    // read other organisations' private records.
    let code = uscc("11", "510100");
    let (reg_id, reg_admin) = app
        .register_org_in("regulator", None, &code, "510100", "pend.reg")
        .await;
    // An officer's jurisdiction lies within its regulator's own region.
    let (status, body) = app
        .try_create_user(&reg_admin, reg_id, "wide.officer", "officer", Some("51"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "jurisdiction_outside_region");
    app.create_user(&reg_admin, reg_id, "pend.officer", "officer", Some("5101"))
        .await;
    let (_, farm) = app.producer("pend.farm", "510115").await;
    let p = app.create_product(&farm, "郫都辣椒").await;
    let officer = app.login("pend.officer", USER_PASSWORD).await;
    assert!(
        app.list("/api/v1/products", &officer).await.is_empty(),
        "a pending regulator's officer reads other organisations' products"
    );
    let resp = app
        .get(
            &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
            &officer,
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
});

both_backends!(optional_fields_may_be_left_out, |app| async move {
    let (_, admin) = app.producer("opt.admin", "510115").await;
    // A place with only its kind and name.
    let (status, b) = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "production_base", "name": "最简基地"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["location"], Value::Null);
    assert_eq!(b["area_m2"], Value::Null);
    assert_eq!(b["temperature_controlled"], Value::Null);
    let (status, w) = app
        .post(
            "/api/v1/places",
            &admin,
            json!({"kind": "warehouse", "name": "仓库"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    // A product without a shelf life; a GTIN-8 is stored as GTIN-14.
    let (status, p) = app
        .post(
            "/api/v1/products",
            &admin,
            json!({"gtin": "02345673", "name": "散装莴笋", "category": "vegetable", "unit": "KGM"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["gtin"], "00000002345673");
    assert_eq!(p["shelf_life_days"], Value::Null);
    assert_eq!(p["certifications"], json!([]));
    // A fertiliser needs neither a registration number nor an interval.
    let (status, f) = app
        .post(
            "/api/v1/inputs",
            &admin,
            json!({"kind": "fertiliser", "name": "有机肥", "unit": "袋"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    assert_eq!(f["pre_harvest_interval_days"], Value::Null);
});

both_backends!(concurrent_duplicates_are_conflicts, |app| async move {
    // Two writers racing for one key: one wins, the other gets a clean 409.
    let (_, a) = app.producer("race.a", "510115").await;
    let (_, b) = app.producer("race.b", "110105").await;
    let gtin = gtin13();
    let (ra, rb) = tokio::join!(
        app.post("/api/v1/products", &a, product(&gtin, "甲")),
        app.post("/api/v1/products", &b, product(&gtin, "乙")),
    );
    let mut statuses = [ra.0.as_u16(), rb.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", ra.1, rb.1);
    let loser = if ra.0 == StatusCode::CONFLICT { ra } else { rb };
    assert_problem(&loser, 409, "duplicate", Some("gtin"));

    let code = uscc("91", "510115");
    let (ra, rb) = tokio::join!(
        app.request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration("producer", Some("farm"), &code, "510115", "race.c")),
        ),
        app.request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration("producer", Some("farm"), &code, "510115", "race.d")),
        ),
    );
    let mut statuses = [ra.0.as_u16(), rb.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", ra.1, rb.1);
});
