//! The web console (`/console`) driven as a browser drives it: HTML pages,
//! forms posted as `application/x-www-form-urlencoded` with the session
//! cookie, the page's CSRF token and an `Origin` header. A season recorded
//! through the forms, a refusal shown beside its field, lots and item codes,
//! and what must be refused: a post without its token or from another site
//! (nothing stored), another organisation's lot (404), signed-out visits
//! (to the sign-in page), a pending organisation's writes (the API's error).

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::trace_chain::{buy, cooperative, Org};

/// The origin of the default configuration's public URL.
pub(crate) const ORIGIN: &str = "http://127.0.0.1:8080";

/// A signed-in browser.
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// Signs in through the console's form; answers the browser.
pub(crate) async fn sign_in(app: &TestApp, username: &str, password: &str) -> Browser {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("username", username)
        .append_pair("password", password)
        .append_pair("next", "/console/")
        .finish();
    let req = Request::post("/console/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(body))
        .unwrap();
    let (status, headers, page) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sign-in: {page}");
    assert_eq!(headers[header::LOCATION], "/console/");
    let set = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let secret = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    Browser {
        cookie: format!("suyuan_session={secret}"),
        csrf: suyuan_server::csrf::token_for(&secret),
    }
}

impl Browser {
    /// A GET of a page: status, headers, the HTML.
    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let req = Request::get(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = app.send(req).await;
        (
            status,
            headers,
            body.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| body.to_string()),
        )
    }

    /// Posts a form with the session's token from this site.
    pub(crate) async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(app, path, &all, Some(ORIGIN)).await
    }

    /// Posts exactly these fields with this `Origin`.
    pub(crate) async fn post_raw(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let mut req = Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let (status, headers, body) = app.send(req.body(Body::from(body.finish())).unwrap()).await;
        (
            status,
            headers,
            body.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| body.to_string()),
        )
    }
}

pub(crate) fn location(h: &axum::http::HeaderMap) -> String {
    h[header::LOCATION].to_str().unwrap().to_owned()
}

/// Allocates a lot of `product_id` at `site` through the lots form;
/// answers the lot's page.
pub(crate) async fn allocate(app: &TestApp, b: &Browser, product_id: &str, site: &str) -> String {
    let (status, h, page) = b
        .post(
            app,
            "/console/lots",
            &[("product_id", product_id), ("date", "2026-05-20"), ("site", site)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    location(&h)
}

/// A cooperative with a plot, a product, seed and pesticide lots; signed in.
pub(crate) struct Farm {
    pub org: Org,
    pub plot_id: String,
    pub product_id: String,
    pub seed: String,
    pub pesticide: String,
}

pub(crate) async fn farm(app: &TestApp, username: &str) -> Farm {
    let (org, _, _) = cooperative(app, username).await;
    let plot_id = org.place.trim_start_matches("urn:suyuan:place:").to_owned();
    let product = app.create_product(&org.token, "二荆条辣椒").await;
    let seed = buy(app, &org, "seed", "").await;
    let pesticide = buy(app, &org, "pesticide", "PD20080005").await;
    Farm {
        plot_id,
        product_id: product["id"].as_str().unwrap().to_owned(),
        seed: seed.clone(),
        pesticide: pesticide.clone(),
        org,
    }
}

/// Previews then stores a record through its form; answers the record
/// page's address.
async fn record(app: &TestApp, b: &Browser, kind: &str, fields: &[(&str, &str)]) -> String {
    let path = format!("/console/records/new/{kind}");
    let (status, _, form) = b.get(app, &path).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let event_id = format!("urn:uuid:{}", uuid::Uuid::now_v7());
    let mut all: Vec<(&str, &str)> = vec![("eventID", &event_id), ("step", "preview")];
    all.extend_from_slice(fields);
    let (status, _, preview) = b.post(app, &path, &all).await;
    assert_eq!(status, StatusCode::OK, "preview of {kind}: {preview}");
    assert!(preview.contains("id=\"confirm\""), "{preview}");
    all[1] = ("step", "store");
    let (status, h, page) = b.post(app, &path, &all).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "store {kind}: {page}");
    location(&h)
}

both_backends!(a_season_is_recorded_through_the_forms, |app| async move {
    let f = farm(app, "con_season").await;
    let b = sign_in(app, "con_season", ADMIN_PASSWORD).await;
    let (status, _, dash) = b.get(app, "/console/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dash.contains("lang=\"zh-CN\"") && dash.contains("首页"), "{dash}");

    // Every record kind has its form, with an input for each field its
    // profile asks for.
    for kind in suyuan_core::stages::RecordKind::ALL {
        let (status, _, form) = b
            .get(app, &format!("/console/records/new/{}", kind.as_str()))
            .await;
        assert_eq!(status, StatusCode::OK, "{kind:?}");
        for (name, _) in suyuan_core::stages::agri_fields_of(*kind) {
            assert!(
                form.contains(&format!("name=\"agri:{name}\"")),
                "{kind:?} lacks {name}"
            );
        }
    }
    let (status, _, _) = b.get(app, "/console/records/new/no_such_kind").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Sowing and pest control on the plot, picked from the lists.
    let (_, _, form) = b.get(app, "/console/records/new/sowing").await;
    assert!(
        form.contains(&format!("value=\"{}\"", f.plot_id)),
        "the plot is offered"
    );
    assert!(
        form.contains(&format!("value=\"{}\"", f.seed)),
        "the seed lot is offered"
    );
    assert!(
        !form.contains(&format!("value=\"{}\"", f.pesticide)),
        "not the pesticide"
    );
    let page = record(
        app,
        &b,
        "sowing",
        &[
            ("eventTime", "2026-03-01T08:00"),
            ("bizLocation", &f.plot_id),
            ("agri:variety", "二荆条"),
            ("agri:inputLot", &f.seed),
            ("agri:operator", "con_season"),
        ],
    )
    .await;
    let (status, _, shown) = b.get(app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        shown.contains("id=\"stored\"") && shown.contains("二荆条"),
        "{shown}"
    );

    // Declared wrong from its page; another organisation may not.
    let id = page
        .split("id=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let id = form_urlencoded::parse(format!("id={id}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    farm(app, "con_season_other").await;
    let other = sign_in(app, "con_season_other", ADMIN_PASSWORD).await;
    let (status, _, _) = other.get(app, &page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = other
        .post(
            app,
            "/console/record/correct",
            &[("id", &id), ("reason", "did_not_occur")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, _) = b
        .post(
            app,
            "/console/record/correct",
            &[("id", &id), ("reason", "did_not_occur")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, shown) = b.get(app, &location(&h)).await;
    assert!(
        shown.contains("已声明有误") && !shown.contains("id=\"declare\""),
        "{shown}"
    );
    let (_, _, dash) = b.get(app, "/console/").await;
    assert!(
        dash.contains("播种/定植 · 已声明有误") && dash.contains("播种/定植 · 已更正"),
        "{dash}"
    );

    // A refusal of the store is shown beside the field it names.
    let path = "/console/records/new/pest_control";
    let mut pest = vec![
        ("eventTime", "2026-03-10T08:00"),
        ("bizLocation", f.plot_id.as_str()),
        ("agri:inputLot", f.pesticide.as_str()),
        ("agri:registrationNumber", "PD20990001"),
        ("agri:dose", "1500 倍液"),
        ("agri:method", "喷雾"),
        ("agri:target", "蚜虫"),
        ("agri:preHarvestIntervalDays", "7"),
        ("agri:operator", "con_season"),
        ("step", "store"),
    ];
    let (status, _, refused) = b.post(app, path, &pest).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("data-field=\"agri:registrationNumber\""),
        "{refused}"
    );
    // A value the schema refuses, before anything is stored.
    pest[7] = ("agri:preHarvestIntervalDays", "seven");
    let (status, _, refused) = b.post(app, path, &pest).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("data-field=\"agri:preHarvestIntervalDays\""),
        "{refused}"
    );
    pest[3] = ("agri:registrationNumber", "PD20080005");
    pest[7] = ("agri:preHarvestIntervalDays", "7");
    pest.pop();
    record(app, &b, "pest_control", &pest).await;

    // A lot, harvested from the plot.
    let (status, h, page) = b
        .post(
            app,
            "/console/lots",
            &[
                ("product_id", &f.product_id),
                ("date", "2026-05-20"),
                ("site", "A1"),
                ("origin_place_id", &f.plot_id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let lot_page = location(&h);
    let (_, _, harvest_form) = b.get(app, "/console/records/new/harvest").await;
    let lot_epc = harvest_form
        .split("<option value=\"")
        .find(|o| o.starts_with("https://id.gs1.org/01/"))
        .map(|o| o.split('"').next().unwrap().to_owned())
        .expect("the lot is offered");
    record(
        app,
        &b,
        "harvest",
        &[
            ("eventTime", "2026-05-20T06:00"),
            ("bizLocation", &f.plot_id),
            ("units_lot", &lot_epc),
            ("units_qty", "500"),
            ("agri:harvestMethod", "人工采摘"),
            ("agri:operator", "con_season"),
        ],
    )
    .await;

    // Item codes; the dashboard counts them; the lot's trace reaches the plot.
    let (status, _, issued) = b.post(app, &format!("{lot_page}/items"), &[("count", "3")]).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert!(issued.contains("id=\"issued\""), "{issued}");
    assert_eq!(issued.matches("<li><code>").count(), 3, "{issued}");
    assert!(issued.contains("/labels\""), "the print form");
    assert!(issued.contains("id=\"print-labels\""), "the print form");
    let (_, _, lot) = b.get(app, &lot_page).await;
    assert!(lot.contains("采收") && lot.contains("一号地块"), "{lot}");
    let (_, _, dash) = b.get(app, "/console/").await;
    assert!(dash.contains("id=\"codes-issued\">3<"), "{dash}");
    assert!(dash.contains("id=\"codes-scanned\">0<"), "{dash}");

    // Consumers scan one item: two clients, one of them twice (counted once
    // a day); the dashboard counts one code scanned, two scans.
    let item = app
        .store
        .db()
        .conn()
        .fetch_all(
            "SELECT epc FROM units WHERE kind = 'item' AND lot_epc = $1",
            &[lot_epc.as_str().into()],
        )
        .await
        .unwrap()[0]
        .text("epc")
        .unwrap();
    for client in ["203.0.113.7", "203.0.113.7", "198.51.100.1"] {
        let scan = suyuan_store::trace::public::Scan::By(client.parse().unwrap());
        app.store.public_trace(&item, scan, 100).await.unwrap();
    }
    let (_, _, dash) = b.get(app, "/console/").await;
    assert!(dash.contains("id=\"codes-scanned\">1<"), "{dash}");
    assert!(dash.contains("id=\"scans\">2<"), "{dash}");

    // The search box takes any form of the code.
    let code = issued
        .split("<li><code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (status, h, _) = b.get(app, &format!("/console/search?code={}", enc(&code))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&h).starts_with("/console/lots/"));

    // A failed test: stored, with capture's warning on the record's page;
    // the dashboard lists the lot as needing attention.
    let (status, _, page) = b
        .post(
            app,
            "/console/records/new/testing",
            &[
                ("step", "store"),
                ("eventTime", "2026-05-21T09:00"),
                ("units_lot", &lot_epc),
                ("units_qty", "1"),
                ("agri:sampleId", "S-1"),
                ("agri:testItems", "毒死蜱 | 0.9 mg/kg | 0.02 mg/kg | 不合格"),
                ("agri:conclusion", "fail"),
                ("agri:agency", "四川省农产品质量安全检测中心"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("id=\"stored\"") && page.contains("class=\"warn\""),
        "{page}"
    );
    let (_, _, dash) = b.get(app, "/console/").await;
    let attention = dash
        .split("需要关注的批次")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    assert!(attention.contains("不合格"), "{attention}");

    // What the API sees: the records, signed and stored once each.
    let (status, events) = app
        .get("/epcis/events?EQ_bizStep=commissioning", &f.org.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both_backends!(forged_posts_store_nothing, |app| async move {
    let f = farm(app, "con_csrf").await;
    let b = sign_in(app, "con_csrf", ADMIN_PASSWORD).await;
    let lot = [
        ("product_id", f.product_id.as_str()),
        ("date", "2026-05-20"),
        ("site", "A1"),
    ];
    let count = || async { app.count("/api/v1/lots", &f.org.token).await };
    // Without the token.
    let (status, _, page) = b.post_raw(app, "/console/lots", &lot, Some(ORIGIN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("csrf_token_invalid"), "{page}");
    // With a wrong token.
    let mut wrong = vec![("csrf", "0".repeat(64))];
    wrong.extend(lot.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = b.post_raw(app, "/console/lots", &wrong, Some(ORIGIN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // With the token, from another site, or with no origin at all.
    let mut good = vec![("csrf", b.csrf.as_str())];
    good.extend_from_slice(&lot);
    let (status, _, page) = b
        .post_raw(app, "/console/lots", &good, Some("https://evil.example"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("origin_mismatch"), "{page}");
    let (status, _, _) = b.post_raw(app, "/console/lots", &good, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A record form and sign-out too.
    let (status, _, _) = b
        .post_raw(
            app,
            "/console/records/new/sowing",
            &[("step", "store"), ("bizLocation", &f.plot_id)],
            Some(ORIGIN),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = b
        .post_raw(app, "/console/logout", &[], Some("https://evil.example"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count().await, 0, "nothing was stored");
    let (status, _, _) = b.get(app, "/console/").await;
    assert_eq!(status, StatusCode::OK, "still signed in");
    // Sign-in from another site is refused as well.
    let req = Request::post("/console/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from("username=con_csrf&password=x"))
        .unwrap();
    let (status, headers, _) = app.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::SET_COOKIE).is_none());
    // The real thing works.
    let (status, _, _) = b.post(app, "/console/lots", &lot).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(count().await, 1);
});

both_backends!(pages_are_scoped_to_the_caller, |app| async move {
    // Signed out: to the sign-in page, which comes back afterwards.
    let req = Request::get("/console/lots").body(Body::empty()).unwrap();
    let (status, h, _) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), "/console/login?next=%2Fconsole%2Flots");
    let (status, _, page) = app
        .send(Request::get("/console/login").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("name=\"password\""));
    // A bearer token is no console session.
    let f = farm(app, "con_scope_a").await;
    let req = Request::get("/console/")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.org.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER);

    // Another organisation's lot answers 404, by its page and by search.
    let a = sign_in(app, "con_scope_a", ADMIN_PASSWORD).await;
    let (_, h, _) = a
        .post(
            app,
            "/console/lots",
            &[
                ("product_id", &f.product_id),
                ("date", "2026-05-20"),
                ("site", "B2"),
            ],
        )
        .await;
    let lot_page = location(&h);
    let other = farm(app, "con_scope_b").await;
    let b = sign_in(app, "con_scope_b", ADMIN_PASSWORD).await;
    let (status, _, page) = b.get(app, &lot_page).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    let (_, _, mine) = a.get(app, &lot_page).await;
    let link = mine
        .split("id=\"digital-link\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = b.get(app, &format!("/console/search?code={}", enc(&link))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor may it use the other's product or issue codes for the other's lot.
    let (status, _, page) = b
        .post(
            app,
            "/console/lots",
            &[
                ("product_id", &f.product_id),
                ("date", "2026-05-20"),
                ("site", "B2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, _, _) = b.post(app, &format!("{lot_page}/items"), &[("count", "2")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("/api/v1/lots", &other.org.token).await, 0);

    // English on request, remembered by a cookie.
    let (status, h, page) = a.get(app, "/console/?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("lang=\"en\"") && page.contains("Dashboard"),
        "{page}"
    );
    assert!(h[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("suyuan_lang=en"));
});

both_backends!(a_pending_organisation_may_look_but_not_record, |app| async move {
    let (_, token) = app.pending_producer("con_pending", "510115").await;
    let b = sign_in(app, "con_pending", ADMIN_PASSWORD).await;
    let (status, _, dash) = b.get(app, "/console/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dash.contains("待审核"), "{dash}");
    let (status, _, records) = b.get(app, "/console/records/new/sowing").await;
    assert_eq!(status, StatusCode::OK, "{records}");
    // Its writes are refused with the API's own error.
    let product = uuid::Uuid::now_v7().to_string();
    let (status, _, page) = b
        .post(
            app,
            "/console/lots",
            &[("product_id", &product), ("date", "2026-05-20"), ("site", "A1")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (api_status, api) = app
        .post(
            "/api/v1/lots",
            &token,
            json!({"product_id": product, "date": "2026-05-20", "site": "A1"}),
        )
        .await;
    assert_eq!(api_status, StatusCode::FORBIDDEN, "{api}");
    let zh = api["detail_zh"].as_str().unwrap();
    assert!(
        page.contains(&html_escape(zh)),
        "the API's refusal: {zh} in {page}"
    );
    let (status, _, page) = b
        .post(
            app,
            "/console/records/new/field_work",
            &[
                ("step", "store"),
                ("eventTime", "2026-03-01T08:00"),
                ("agri:operation", "除草"),
                ("agri:operator", "con_pending"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_eq!(app.count("/api/v1/lots", &token).await, 0);
});

/// `s` as the pages escape text.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

both_backends!(
    a_shipment_is_despatched_and_received_in_one_step,
    |app| async move {
        use crate::trace_chain::{company, harvest, lot as lot_of, record as capture_ok, sowing, t};
        let f = farm(app, "con_ship").await;
        let retailer = company(app, "retailer", "con_ship_r", "store").await;
        let (_, p) = app
            .get(&format!("/api/v1/products/{}", f.product_id), &f.org.token)
            .await;
        let l = lot_of(p["gtin"].as_str().unwrap(), "S1");
        capture_ok(
            app,
            &f.org,
            vec![
                sowing(&f.org.place, &t(1, 8), &f.seed),
                harvest(&f.org.place, &t(20, 8), &l),
            ],
        )
        .await;

        // The cooperative despatches the lot to the retailer, picked by name.
        let b = sign_in(app, "con_ship", ADMIN_PASSWORD).await;
        let (_, _, form) = b.get(app, "/console/records/new/shipping").await;
        assert!(
            form.contains(&format!("value=\"{}\"", retailer.id)),
            "the partner is offered"
        );
        record(
            app,
            &b,
            "shipping",
            &[
                ("eventTime", "2026-03-21T08:00"),
                ("units_lot", &l),
                ("units_qty", "100"),
                ("bizTransactionList", "DESADV-0001"),
                ("destinationList", &retailer.id.to_string()),
                ("agri:carrier", "冷链物流公司"),
                ("agri:transportMode", "公路"),
                ("agri:temperatureClass", "2–8 ℃"),
            ],
        )
        .await;

        // The retailer's receiving desk lists it and receives it in one step.
        let r = sign_in(app, "con_ship_r", ADMIN_PASSWORD).await;
        let (_, _, dash) = r.get(app, "/console/").await;
        assert!(dash.contains("urn:suyuan:desadv:DESADV-0001"), "{dash}");
        let (status, _, desk) = r.get(app, "/console/shipments").await;
        assert_eq!(status, StatusCode::OK);
        assert!(desk.contains(&l), "{desk}");
        let place = retailer.place.trim_start_matches("urn:suyuan:place:").to_owned();
        // Not the cooperative's to receive.
        let (status, _, _) = b
            .post(
                app,
                "/console/shipments/receive",
                &[
                    ("despatch", "urn:suyuan:desadv:DESADV-0001"),
                    ("place", &f.plot_id),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, h, page) = r
            .post(
                app,
                "/console/shipments/receive",
                &[("despatch", "urn:suyuan:desadv:DESADV-0001"), ("place", &place)],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (_, _, shown) = r.get(app, &location(&h)).await;
        assert!(shown.contains("收货"), "{shown}");
        let (_, _, desk) = r.get(app, "/console/shipments").await;
        assert!(!desk.contains(&l), "received: no longer on its way");
        let (status, events) = app
            .get("/epcis/events?EQ_bizStep=receiving", &retailer.token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);
