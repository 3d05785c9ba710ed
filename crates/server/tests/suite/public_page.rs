//! The consumer's page (`/01/{gtin}/10/{lot}`, the not-found page, the query
//! box `/trace`) in Chinese and in English: the choice by `?lang=` and by
//! `Accept-Language`, `<html lang>`, the language switch link, the refusal of
//! any other `lang`, and the JSON form, which does not change.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use crate::trace_chain::{buy, cooperative, harvest, lot, record, sowing, t, testing};
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use serde_json::{json, Value};

/// A cooperative's product, harvested on its plot as lot `L1` after sowing
/// and tested; answers the lot's page path and its element string.
pub(crate) async fn harvested_lot(app: &TestApp, username: &str) -> (String, String) {
    let (org, _, _) = cooperative(app, username).await;
    let gtin = format!("0{}", gtin13());
    let mut body = product(&gtin, "郫县二荆条辣椒");
    body["certifications"] = json!([{
        "kind": "green_food", "number": "LB-15-24010512345A", "issuer": "中国绿色食品发展中心",
        "valid_from": "2024-01-01", "valid_until": "2027-01-01"
    }]);
    let (status, p) = app.post("/api/v1/products", &org.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    let l1 = lot(&gtin, "L1");
    let seed = buy(app, &org, "seed", "").await;
    record(
        app,
        &org,
        vec![
            sowing(&org.place, &t(1, 8), &seed),
            harvest(&org.place, &t(5, 8), &l1),
            testing(&l1, &t(6, 8), "pass", "S-2026-0001"),
        ],
    )
    .await;
    (format!("/01/{gtin}/10/L1"), format!("(01){gtin}(10)L1"))
}

/// `GET path` as a browser would, with an optional `Accept-Language`;
/// answers the status, the headers and the body as text (or the JSON value).
async fn page(app: &TestApp, path: &str, accept_language: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut b = Request::builder()
        .method("GET")
        .uri(path)
        .header(header::ACCEPT, "text/html,application/xhtml+xml");
    if let Some(l) = accept_language {
        b = b.header(header::ACCEPT_LANGUAGE, l);
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

/// The HTML of a page expected with `status`.
async fn html(app: &TestApp, path: &str, accept_language: Option<&str>, status: StatusCode) -> String {
    let (got, _, body) = page(app, path, accept_language).await;
    assert_eq!(got, status, "{path}: {body}");
    body.as_str()
        .unwrap_or_else(|| panic!("{path}: not HTML: {body}"))
        .to_owned()
}

/// Texts of the Chinese lot page (labels, stage, record kinds, field names,
/// values, the switch link's name) and their English counterparts.
const ZH: &[&str] = &[
    "<html lang=\"zh-CN\">",
    "产品信息",
    "品种",
    "保质期",
    "7 天",
    "认证",
    "绿色食品",
    "生产者",
    "✔ 平台已认证",
    "产地环境",
    "<dt>地块</dt>",
    "全程记录",
    "种植",
    "播种/定植",
    "采收",
    "质量检测",
    "采收方式：",
    "检测结论：",
    "合格",
    "查询</button>",
    "placeholder=\"输入追溯码\"",
    ">English</a>",
    "追溯码 ",
    "本码第 ",
];
const EN: &[&str] = &[
    "<html lang=\"en\">",
    "<h2>Product</h2>",
    "Variety",
    "Shelf life",
    "7 days",
    "Certification",
    "Green Food",
    "<h2>Producer</h2>",
    "✔ verified by the platform",
    "Where it was grown",
    "<dt>Plot</dt>",
    "Timeline",
    "Growing",
    "Sowing / transplanting",
    "Harvest",
    "Quality testing",
    "Harvest method: ",
    "Test conclusion: ",
    "pass",
    "Look up</button>",
    "placeholder=\"Enter a trace code\"",
    ">中文</a>",
    "Trace code ",
    "Scan ",
];

#[track_caller]
fn assert_chinese(body: &str, what: &str) {
    for s in ZH {
        assert!(body.contains(s), "{what}: no {s:?} in the Chinese page:\n{body}");
    }
    for s in EN {
        assert!(!body.contains(s), "{what}: {s:?} in the Chinese page:\n{body}");
    }
}

#[track_caller]
fn assert_english(body: &str, what: &str) {
    for s in EN {
        assert!(body.contains(s), "{what}: no {s:?} in the English page:\n{body}");
    }
    for s in ZH {
        assert!(!body.contains(s), "{what}: {s:?} in the English page:\n{body}");
    }
}

both_backends!(the_lot_page_speaks_chinese_or_english, |app| async move {
    let (path, _) = harvested_lot(app, "page.coop").await;

    // Chinese by default, English by ?lang=en; each links to the other with
    // the same code.
    let zh = html(app, &path, None, StatusCode::OK).await;
    assert_chinese(&zh, "default");
    assert!(zh.contains(&format!("href=\"{path}?lang=en\"")), "{zh}");
    assert!(zh.contains("<h1>郫县二荆条辣椒</h1>"), "{zh}");
    let en = html(app, &format!("{path}?lang=en"), None, StatusCode::OK).await;
    assert_english(&en, "?lang=en");
    assert!(en.contains(&format!("href=\"{path}?lang=zh\"")), "{en}");
    // Recorded data stays as written.
    assert!(
        en.contains("<h1>郫县二荆条辣椒</h1>") && en.contains("人工采摘"),
        "{en}"
    );
    // The query box of the English page keeps English.
    assert!(
        en.contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"),
        "{en}"
    );

    // Accept-Language: the higher preference of the two wins; lang overrides it.
    for (accept, english) in [
        ("en-US,en;q=0.9,zh-CN;q=0.8", true),
        ("zh-CN,zh;q=0.9,en;q=0.8", false),
        ("en;q=0.5, zh;q=0.8", false),
        ("fr-FR, en;q=0.3", true),
        ("en;q=0, zh;q=0.1", false),
        ("fr", false),
        ("zh-TW, en", false),
    ] {
        let body = html(app, &path, Some(accept), StatusCode::OK).await;
        if english {
            assert_english(&body, accept);
        } else {
            assert_chinese(&body, accept);
        }
    }
    let forced = html(app, &format!("{path}?lang=zh"), Some("en"), StatusCode::OK).await;
    assert_chinese(&forced, "?lang=zh with Accept-Language: en");
    let forced = html(app, &format!("{path}?lang=en"), Some("zh-CN"), StatusCode::OK).await;
    assert_english(&forced, "?lang=en with Accept-Language: zh-CN");

    // Any other lang is refused, naming it.
    for bad in ["fr", "EN", "zh-CN", ""] {
        let (status, _, body) = page(app, &format!("{path}?lang={bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "lang={bad}: {body}");
        assert_eq!(body["code"], "invalid_query", "{body}");
        assert_eq!(body["field"], "lang", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("zh"), "{body}");
        assert!(body["detail_zh"].as_str().is_some(), "{body}");
    }

    // The JSON form is the same whatever the language: Chinese field labels.
    let json_of = |query: &'static str| {
        let path = path.clone();
        async move {
            let req = Request::builder()
                .uri(format!("{path}{query}"))
                .header(header::ACCEPT, "application/json")
                .header(header::ACCEPT_LANGUAGE, "en")
                .body(Body::empty())
                .unwrap();
            let (status, _, mut body) = app.send(req).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_object_mut().unwrap().remove("scans");
            body
        }
    };
    let plain = json_of("").await;
    assert_eq!(json_of("?lang=en").await, plain);
    assert_eq!(json_of("?lang=zh").await, plain);
    let labels: Vec<String> = plain["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f[0].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(labels.contains(&"采收方式".to_owned()), "{plain:#}");
});

/// `GET path` as a browser at `client` would; answers the HTML.
async fn html_from(app: &TestApp, path: &str, client: std::net::IpAddr) -> String {
    let mut req = Request::builder()
        .method("GET")
        .uri(path)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(suyuan_server::client::ClientAddr(client));
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body.as_str().unwrap().to_owned()
}

both_backends!(the_suspicious_scan_warning_in_both_languages, |app| async move {
    let (path, _) = harvested_lot(app, "scans.coop").await;
    // The default threshold is 50 scans (each client once a day): the 51st
    // client's warns.
    let client = |i: u8| std::net::IpAddr::from([198, 51, 100, i]);
    for i in 1..=50 {
        let body = html_from(app, &path, client(i)).await;
        assert!(!body.contains("可能被复制"), "{body}");
    }
    let zh = html_from(app, &path, client(51)).await;
    assert!(
        zh.contains("该追溯码已被查询 51 次") && zh.contains("可能被复制，请谨慎购买"),
        "{zh}"
    );
    let en = html_from(app, &format!("{path}?lang=en"), client(52)).await;
    assert!(
        en.contains("This code has been scanned 52 times") && en.contains("the label may have been copied"),
        "{en}"
    );
    assert!(!en.contains("可能被复制"), "{en}");
});

both_backends!(not_found_and_query_box_in_both_languages, |app| async move {
    let (lot_path, element_string) = harvested_lot(app, "box.coop").await;
    let unknown = lot_path.replace("/10/L1", "/10/NOPE");

    let zh = html(app, &unknown, None, StatusCode::NOT_FOUND).await;
    assert!(
        zh.contains("<html lang=\"zh-CN\">") && zh.contains("平台上没有这个追溯码的记录"),
        "{zh}"
    );
    assert!(zh.contains(&format!("href=\"{unknown}?lang=en\"")), "{zh}");
    assert!(!zh.contains("not known"), "{zh}");
    let en = html(app, &unknown, Some("en-GB,en;q=0.9"), StatusCode::NOT_FOUND).await;
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("This code is not known to the platform"),
        "{en}"
    );
    assert!(en.contains(&format!("href=\"{unknown}?lang=zh\"")), "{en}");
    assert!(!en.contains("平台上没有"), "{en}");

    // The empty query box.
    let zh = html(app, "/trace", None, StatusCode::OK).await;
    assert!(
        zh.contains("<title>查询追溯码 · 溯源</title>") && zh.contains("placeholder=\"输入追溯码\""),
        "{zh}"
    );
    assert!(zh.contains("href=\"/trace?lang=en\""), "{zh}");
    let en = html(app, "/trace?lang=en", None, StatusCode::OK).await;
    assert!(
        en.contains("<html lang=\"en\">")
            && en.contains("<title>Look up a trace code · Suyuan</title>")
            && en.contains("placeholder=\"Enter a trace code\""),
        "{en}"
    );
    assert!(en.contains("href=\"/trace?lang=zh\""), "{en}");
    assert!(!en.contains("查询"), "{en}");

    // A code that does not parse: the message in the page's language, and
    // the switch link keeps the code.
    let zh = html(app, "/trace?code=XYZ-1", None, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(zh.contains("<title>追溯码有误 · 溯源</title>"), "{zh}");
    assert!(zh.contains("href=\"/trace?code=XYZ-1&amp;lang=en\""), "{zh}");
    let en = html(
        app,
        "/trace?code=XYZ-1&lang=en",
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(en.contains("<title>Invalid trace code · Suyuan</title>"), "{en}");
    assert!(en.contains("href=\"/trace?code=XYZ-1&amp;lang=zh\""), "{en}");
    assert!(en.contains("value=\"XYZ-1\""), "{en}");

    // A good code redirects to its page; a chosen language goes along.
    let q = |lang: &str| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("code", &element_string);
        if !lang.is_empty() {
            s.append_pair("lang", lang);
        }
        format!("/trace?{}", s.finish())
    };
    let (status, headers, body) = page(app, &q("en"), None).await;
    assert!(status.is_redirection(), "{status} {}: {body}", q("en"));
    assert_eq!(headers[header::LOCATION], format!("{lot_path}?lang=en").as_str());
    let (status, headers, _) = page(app, &q(""), None).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(headers[header::LOCATION], lot_path.as_str());

    // With Accept: application/json the query box answers the unit's JSON.
    let req = Request::builder()
        .uri(q(""))
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["batch"], "L1", "{body}");

    // A bad lang on the query box is refused too.
    let (status, _, body) = page(app, "/trace?lang=de", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "lang", "{body}");
});

// Each record on the consumer page gives its position in the log and a
// link to its proof bundle; the page states the checkpoint it was checked
// against (#13, Deliver 4). Before a checkpoint covers them, the records
// say so.
both_backends!(the_page_shows_each_records_place_in_the_log, |app| async move {
    let (path, _) = harvested_lot(app, "logpos.coop").await;
    let before = html(app, &path, None, StatusCode::OK).await;
    assert!(before.contains("透明日志第 "), "{before}");
    assert!(before.contains("尚未纳入检查点"), "{before}");
    app.store.checkpoint().await.unwrap();
    let zh = html(app, &path, None, StatusCode::OK).await;
    assert!(!zh.contains("尚未纳入检查点"), "{zh}");
    assert!(zh.contains("对照检查点核验"), "{zh}");
    let en = html(app, &format!("{path}?lang=en"), None, StatusCode::OK).await;
    assert!(en.contains("checked against its checkpoint of"), "{en}");
    // The JSON form: positions, and every proof link answers with the
    // bundle of that very event.
    let json = Request::builder()
        .uri(&path)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, _, v) = app.send(json).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let size = v["checkpoint"]["tree_size"].as_i64().unwrap();
    let timeline = v["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 3, "{v:#}");
    for e in timeline {
        let index = e["log_index"].as_i64().unwrap();
        assert!(index < size && e["in_checkpoint"] == true, "{e}");
        let id = e["event_id"].as_str().unwrap();
        let (status, bundle) = app.get(&format!("/tlog/proof?event_id={}", enc(id)), "").await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        assert_eq!(bundle["leaf_index"].as_i64(), Some(index), "{bundle}");
    }
});

both_backends!(plain_epcis_steps_are_named, |app| async move {
    // A plain EPCIS event (no agri:recordKind) reads by its CBV step's name.
    let (org, _, _) = cooperative(app, "pub_cbv").await;
    let gtin = format!("0{}", gtin13());
    let (status, p) = app
        .post("/api/v1/products", &org.token, product(&gtin, "郫县二荆条辣椒"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let l = lot(&gtin, "C1");
    let event = json!({
        "type": "ObjectEvent", "eventTime": t(2, 8), "eventTimeZoneOffset": "+08:00", "action": "ADD",
        "bizStep": "commissioning", "quantityList": [{"epcClass": l, "quantity": 10.0, "uom": "KGM"}]
    });
    record(app, &org, vec![event]).await;
    let path = format!("/01/{gtin}/10/C1");
    let zh = html(app, &format!("{path}?lang=zh"), None, StatusCode::OK).await;
    assert!(zh.contains("<b>赋码</b>"), "{zh}");
    let en = html(app, &format!("{path}?lang=en"), None, StatusCode::OK).await;
    assert!(en.contains("<b>Commissioning</b>"), "{en}");
    assert!(!zh.contains("BizStep-commissioning") && !en.contains("BizStep-"));
    let (_, _, json) = app
        .send(
            Request::get(&path)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(json["timeline"][0]["kind_zh"], "赋码", "{json}");
});
