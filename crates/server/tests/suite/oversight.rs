//! Oversight: consumers' complaints (R-8.1.2 e) from the consumer page to
//! the producer's and the officer's inboxes, answered in the console and
//! read on the public status page with the organisation that answered (the
//! enterprise, or an officer of the jurisdiction); the refusals (bad
//! photos, a flood from one address, another organisation, an officer
//! outside the jurisdiction or of an unverified or suspended regulator),
//! each with nothing stored; and what the log says about it.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use suyuan_server::client::ClientAddr;

use crate::common::*;
use crate::console::sign_in;
use crate::tlog::verify_ok;
use crate::trace_chain::{Org, World};

const ORIGIN: &str = "http://127.0.0.1:8080";

/// A real PNG of one transparent pixel.
pub(crate) fn png() -> Vec<u8> {
    hex_decode(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
         1f15c4890000000d49444154789c6300010000050001\
         0d0a2db40000000049454e44ae426082",
    )
}

fn hex_decode(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The lot's element string, as a consumer might type it.
fn element_string(w: &World) -> String {
    format!("(01){}(10)L1", w.gtin)
}

/// The numbers of complaints, photos and updates stored.
pub(crate) async fn counts(app: &TestApp) -> (i64, i64, i64) {
    app.store.complaint_counts().await.unwrap()
}

/// Files a complaint over the API; answers the reference.
pub(crate) async fn file(app: &TestApp, code: &str, phone: Option<&str>) -> String {
    let mut body = json!({"code": code, "category": "quality", "description": "菜叶发黄，有异味"});
    if let Some(p) = phone {
        body["phone"] = json!(p);
    }
    let (status, filed) = app.request("POST", "/api/v1/complaints", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let reference = filed["reference"].as_str().unwrap().to_owned();
    assert!(
        filed["status_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/complaints/{reference}")),
        "{filed}"
    );
    reference
}

/// A multipart form body with `fields` and `photos`.
pub(crate) fn multipart(fields: &[(&str, &str)], photos: &[Vec<u8>]) -> (String, Vec<u8>) {
    let boundary = "----suyuanTestBoundary7MA4YWxkTrZu0gW";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (i, p) in photos.iter().enumerate() {
        b.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p{i}.png\"\r\n\
                 Content-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend(p);
        b.extend(b"\r\n");
    }
    b.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// Posts the consumer's form from `origin`; answers status, headers, page.
pub(crate) async fn post_form(
    app: &TestApp,
    fields: &[(&str, &str)],
    photos: &[Vec<u8>],
    origin: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (ct, body) = multipart(fields, photos);
    let mut req = Request::post("/complaints").header(header::CONTENT_TYPE, ct);
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let (status, headers, body) = app.send(req.body(Body::from(body)).unwrap()).await;
    (
        status,
        headers,
        body.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| body.to_string()),
    )
}

/// A verified regulator in 510100 with officers over `5101` (`{tag}.in`)
/// and over `510104` (`{tag}.out`); answers their tokens.
pub(crate) async fn officers(app: &TestApp, tag: &str) -> (String, String) {
    let (reg_id, reg_admin) = app
        .register_org_in(
            "regulator",
            None,
            &uscc("11", "510100"),
            "510100",
            &format!("{tag}.reg"),
        )
        .await;
    app.verify(reg_id).await;
    for (suffix, j) in [("in", "5101"), ("out", "510104")] {
        app.create_user(&reg_admin, reg_id, &format!("{tag}.{suffix}"), "officer", Some(j))
            .await;
    }
    (
        app.login(&format!("{tag}.in"), USER_PASSWORD).await,
        app.login(&format!("{tag}.out"), USER_PASSWORD).await,
    )
}

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, list) = app.get("/api/v1/complaints", token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

both_backends!(
    a_complaint_reaches_the_producer_and_the_officer_and_is_answered,
    |app| async move {
        let w = World::new(app, "cmp").await;
        let (inside, outside) = officers(app, "cmp.officer").await;
        let reference = file(app, &element_string(&w), Some("13812345678")).await;
        assert_eq!(counts(app).await, (1, 0, 0));

        // The public status: no description, no phone number.
        let (status, public) = app
            .request("GET", &format!("/api/v1/complaints/{reference}"), None, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{public}");
        assert_eq!(public["status"], "received");
        assert_eq!(public["category"], "quality");
        let text = public.to_string();
        assert!(!text.contains("5678") && !text.contains("异味"), "{text}");
        let (status, none) = app
            .request("GET", "/api/v1/complaints/TS2222222222", None, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{none}");

        // The producer's inbox: the phone masked; at rest only encrypted.
        let mine = inbox(app, &w.producer.token).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["reference"], reference.as_str());
        assert_eq!(mine[0]["phone_masked"], "138****5678");
        assert_eq!(mine[0]["overdue"], false);
        assert!(!json!(mine).to_string().contains("13812345678"));
        let row = app
            .store
            .db()
            .conn()
            .fetch_optional("SELECT phone_cipher FROM complaints", &[])
            .await
            .unwrap()
            .unwrap();
        assert!(!row.text("phone_cipher").unwrap().contains("12345678"));

        // Scoped: the officer over the region sees it; another organisation,
        // an officer elsewhere and the operator see nothing; nobody signed in is refused.
        assert_eq!(inbox(app, &inside).await.len(), 1);
        assert!(inbox(app, &outside).await.is_empty());
        assert!(inbox(app, &w.retailer.token).await.is_empty());
        assert!(inbox(app, &app.operator_token().await).await.is_empty());
        let (status, _) = app.request("GET", "/api/v1/complaints", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // The producer answers in the console; others may not, nothing stored.
        let producer = sign_in(app, "cmp.coop", ADMIN_PASSWORD).await;
        let (status, _, page) = producer.get(app, "/console/complaints").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&reference), "{page}");
        let (status, _, page) = producer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("138****5678") && page.contains("菜叶发黄"),
            "{page}"
        );
        let change = format!("/console/complaints/{reference}/status");
        let retailer = sign_in(app, "cmp.shop", ADMIN_PASSWORD).await;
        let (status, _, _) = retailer.post(app, &change, &[("status", "acknowledged")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = retailer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let officer = sign_in(app, "cmp.officer.in", USER_PASSWORD).await;
        let (status, _, page) = officer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        // The officer of the jurisdiction may answer too (see
        // an_officer_of_the_jurisdiction_answers_a_complaint); one elsewhere may not.
        assert!(
            page.contains("138****5678") && page.contains("change-status"),
            "{page}"
        );
        let far = sign_in(app, "cmp.officer.out", USER_PASSWORD).await;
        let (status, _, _) = far.post(app, &change, &[("status", "acknowledged")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Without the session's token: refused before anything.
        let (status, _, _) = producer
            .post_raw(app, &change, &[("status", "acknowledged")], Some(ORIGIN))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // An answer straight from `received` is not a move it may make.
        let (status, _, page) = producer
            .post(app, &change, &[("status", "answered"), ("reply", "x")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(counts(app).await, (1, 0, 0));

        for (to, reply) in [
            ("acknowledged", ""),
            ("investigating", ""),
            (
                "answered",
                "经检测该批次农残合格，叶片发黄系运输中失水，已为您办理退款。",
            ),
        ] {
            let (status, headers, page) = producer
                .post(app, &change, &[("status", to), ("reply", reply)])
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{to}: {page}");
            assert_eq!(
                headers[header::LOCATION],
                format!("/console/complaints/{reference}").as_str()
            );
        }
        assert_eq!(counts(app).await, (1, 0, 3));
        // Final: nothing follows an answer.
        let (status, _, _) = producer
            .post(app, &change, &[("status", "rejected"), ("reply", "x")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(counts(app).await, (1, 0, 3));

        // The consumer reads the answer.
        let (_, public) = app
            .request("GET", &format!("/api/v1/complaints/{reference}"), None, None)
            .await;
        assert_eq!(public["status"], "answered");
        assert_eq!(public["updates"].as_array().unwrap().len(), 3);
        let req = Request::get(format!("/complaints/{reference}?lang=zh"))
            .body(Body::empty())
            .unwrap();
        let (status, _, page) = app.send(req).await;
        assert_eq!(status, StatusCode::OK);
        let page = page.as_str().unwrap();
        assert!(
            page.contains("已答复") && page.contains("已为您办理退款"),
            "{page}"
        );
        assert!(!page.contains("5678"));
        verify_ok(app).await;
    }
);

both_backends!(
    complaints_not_acknowledged_in_three_working_days_are_flagged,
    |app| async move {
        let w = World::new(app, "late").await;
        let (inside, _) = officers(app, "late.officer").await;
        let late = file(app, &element_string(&w), None).await;
        let answered = file(app, &w.l1, None).await;
        let producer = w.producer.caller(app).await;
        app.store
            .update_complaint(&producer, &answered, "acknowledged", None)
            .await
            .unwrap();
        let officer = app.store.caller_for_secret(&inside).await.unwrap().unwrap();
        // Seven days on, at least three working days have passed.
        let later = suyuan_store::now_ms() + 7 * 24 * 3600 * 1000;
        let seen = app.store.complaint_inbox(&officer, later).await.unwrap();
        let flagged: Vec<&str> = seen
            .iter()
            .filter(|c| c.overdue)
            .map(|c| c.reference.as_str())
            .collect();
        assert_eq!(flagged, vec![late.as_str()]);
        // Not yet today.
        let now = app
            .store
            .complaint_inbox(&officer, suyuan_store::now_ms())
            .await
            .unwrap();
        assert!(now.iter().all(|c| !c.overdue));
        // The deadline is three working days after the filing day, China time.
        let entry = seen.iter().find(|c| c.reference == late).unwrap();
        let days = (entry.acknowledge_by - entry.filed_at) / (24 * 3600 * 1000);
        assert!((3..=5).contains(&days), "{days}");
    }
);

both_backends!(
    the_consumer_form_takes_photos_and_refuses_bad_ones,
    |app| async move {
        let w = World::new(app, "form").await;
        let code = element_string(&w);
        // The consumer page links to the form.
        let req = Request::get(format!("/01/{}/10/L1?lang=zh", w.gtin))
            .body(Body::empty())
            .unwrap();
        let (status, _, page) = app.send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.as_str().unwrap().contains("/complaints/new?code="), "{page}");
        let req = Request::get(format!("/complaints/new?code={}", enc(&code)))
            .body(Body::empty())
            .unwrap();
        let (status, _, page) = app.send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.as_str().unwrap().contains("multipart/form-data"));

        let fields = [
            ("code", code.as_str()),
            ("category", "counterfeit"),
            ("description", "包装上的防伪码扫出来是别的产品"),
            ("phone", "021-6234 5678"),
            ("lang", "en"),
        ];
        // Refused, nothing stored: not an image, too large, too many, from another site, without an origin.
        let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
        let (status, _, page) = post_form(app, &fields, &[gif], Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains("JPEG, PNG or WebP") && page.contains("包装上的防伪码"),
            "{page}"
        );
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
        big.resize(2 * 1024 * 1024 + 1, 7);
        let (status, _, page) = post_form(app, &fields, &[big], Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("at most 2 MB"), "{page}");
        let (status, _, _) = post_form(app, &fields, &[png(), png(), png(), png()], Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, _) = post_form(app, &fields, &[png()], Some("https://evil.example")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = post_form(app, &fields, &[png()], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let unknown = [
            ("code", "(01)06901234567892(10)NOPE"),
            ("category", "quality"),
            ("description", "没有这个批次吗"),
        ];
        let (status, _, _) = post_form(app, &unknown, &[], Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(counts(app).await, (0, 0, 0));

        // Filed with a photo: on to its status page.
        let photo = png();
        let (status, headers, page) =
            post_form(app, &fields, std::slice::from_ref(&photo), Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let location = headers[header::LOCATION].to_str().unwrap().to_owned();
        let reference = location
            .trim_start_matches("/complaints/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        assert!(suyuan_core::complaints::is_reference(&reference), "{location}");
        assert_eq!(counts(app).await, (1, 1, 0));
        let (status, _, page) = app
            .send(Request::get(&location).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.as_str().unwrap().contains(&reference));

        // The producer sees the photo as it was sent; another organisation does not.
        let producer = sign_in(app, "form.coop", ADMIN_PASSWORD).await;
        let photo_path = format!("/console/complaints/{reference}/photos/1");
        let req = Request::get(&photo_path)
            .header(header::COOKIE, producer_cookie(app, "form.coop").await)
            .body(Body::empty())
            .unwrap();
        let resp = app.send_raw(req).await;
        assert_eq!(resp.0, StatusCode::OK);
        assert_eq!(resp.1[header::CONTENT_TYPE], "image/png");
        assert_eq!(resp.2, photo);
        let (status, _, page) = producer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&photo_path) && page.contains("021****5678"),
            "{page}"
        );
        let retailer = sign_in(app, "form.shop", ADMIN_PASSWORD).await;
        let (status, _, _) = retailer.get(app, &photo_path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        verify_ok(app).await;
    }
);

/// The session cookie of a fresh console sign-in.
async fn producer_cookie(app: &TestApp, username: &str) -> String {
    let token = app.login(username, ADMIN_PASSWORD).await;
    format!("suyuan_session={token}")
}

both_backends!(
    a_flood_of_complaints_from_one_address_is_refused,
    |app| async move {
        let w = World::new(app, "flood").await;
        let body = json!({"code": w.l1, "category": "other", "description": "同一个地址反复投诉"});
        let from = |addr: &str| {
            let mut req = Request::post("/api/v1/complaints")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            req.extensions_mut().insert(ClientAddr(addr.parse().unwrap()));
            req
        };
        for _ in 0..10 {
            let (status, _, answer) = app.send(from("198.51.100.7")).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let (status, headers, answer) = app.send(from("198.51.100.7")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
        assert_eq!(answer["code"], "too_many_complaints");
        let wait: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=600).contains(&wait), "{wait}");
        assert_eq!(counts(app).await, (10, 0, 0));
        // The form is refused the same way, nothing stored.
        let (ct, form) = multipart(
            &[
                ("code", w.l1.as_str()),
                ("category", "other"),
                ("description", "再来一次投诉"),
            ],
            &[],
        );
        let mut req = Request::post("/complaints")
            .header(header::CONTENT_TYPE, ct)
            .header(header::ORIGIN, ORIGIN)
            .body(Body::from(form))
            .unwrap();
        req.extensions_mut()
            .insert(ClientAddr("198.51.100.7".parse().unwrap()));
        let (status, headers, _) = app.send(req).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(headers.contains_key(header::RETRY_AFTER));
        assert_eq!(counts(app).await, (10, 0, 0));
        // Another address is not held back.
        let (status, _, answer) = app.send(from("198.51.100.8")).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
);

both_backends!(bad_complaints_are_refused_naming_the_field, |app| async move {
    let w = World::new(app, "badc").await;
    for (body, field, code) in [
        (
            json!({"code": w.l1, "category": "smell", "description": "有异味的菜"}),
            "category",
            "complaint_category",
        ),
        (
            json!({"code": w.l1, "category": "quality", "description": "差"}),
            "description",
            "complaint_description_short",
        ),
        (
            json!({"code": w.l1, "category": "quality", "description": "有异味的菜", "phone": "call me"}),
            "phone",
            "phone_format",
        ),
        (
            json!({"code": "12345", "category": "quality", "description": "有异味的菜"}),
            "code",
            "",
        ),
    ] {
        let answer = app.request("POST", "/api/v1/complaints", None, Some(body)).await;
        assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
        assert_eq!(answer.1["field"], field, "{}", answer.1);
        if !code.is_empty() {
            assert_eq!(answer.1["code"], code);
        }
    }
    let unknown =
        json!({"code": "(01)06901234567892(10)NOPE", "category": "quality", "description": "没有这个批次"});
    let (status, _) = app
        .request("POST", "/api/v1/complaints", None, Some(unknown))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(counts(app).await, (0, 0, 0));
});

/// Complaints for the replay's chain: two with a photo each, one
/// acknowledged and answered, so every column of the complaint tables is
/// there twice to be tampered with.
pub(crate) async fn complaints_in_chain(app: &TestApp, producer: &Org, lot: &str) {
    let mut refs = Vec::new();
    for (i, phone) in ["13812345678", "13987654321"].iter().enumerate() {
        let mut photo = png();
        photo.push(i as u8);
        let (status, headers, page) = post_form(
            app,
            &[
                ("code", lot),
                ("category", "quality"),
                ("description", "叶片发黄有异味"),
                ("phone", phone),
            ],
            &[photo],
            Some(ORIGIN),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let location = headers[header::LOCATION].to_str().unwrap();
        refs.push(
            location
                .trim_start_matches("/complaints/")
                .split('?')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    let caller = producer.caller(app).await;
    app.store
        .update_complaint(&caller, &refs[0], "acknowledged", None)
        .await
        .unwrap();
    app.store
        .update_complaint(&caller, &refs[0], "answered", Some("已退款"))
        .await
        .unwrap();
}

both_backends!(
    an_officer_of_the_jurisdiction_answers_a_complaint,
    |app| async move {
        let w = World::new(app, "oans").await;
        let (reg_id, reg_admin) = app
            .register_org_in("regulator", None, &uscc("11", "510100"), "510100", "oans.reg")
            .await;
        app.verify(reg_id).await;
        for (name, j) in [("oans.in", "5101"), ("oans.out", "510104")] {
            app.create_user(&reg_admin, reg_id, name, "officer", Some(j))
                .await;
        }
        // A regulator the operator has not verified yet.
        let (pend_id, pend_admin) = app
            .register_org_in("regulator", None, &uscc("11", "510101"), "510100", "oans.pend")
            .await;
        app.create_user(&pend_admin, pend_id, "oans.pend.in", "officer", Some("5101"))
            .await;
        app.create_user(&w.producer.token, w.producer.id, "oans.viewer", "viewer", None)
            .await;
        let reference = file(app, &w.l1, None).await;
        let change = format!("/console/complaints/{reference}/status");
        let ack = [("status", "acknowledged"), ("reply", "")];

        // Refused, nothing stored: an officer elsewhere, one of a pending
        // regulator, another organisation, the operator (all 404: the
        // complaint is not theirs to see), the producer's viewer (403),
        // nobody signed in, and a cross-site post without the token.
        for (user, password, expected) in [
            ("oans.out", USER_PASSWORD, StatusCode::NOT_FOUND),
            ("oans.pend.in", USER_PASSWORD, StatusCode::NOT_FOUND),
            ("oans.shop", ADMIN_PASSWORD, StatusCode::NOT_FOUND),
            ("admin", OPERATOR_PASSWORD, StatusCode::NOT_FOUND),
            ("oans.viewer", USER_PASSWORD, StatusCode::FORBIDDEN),
        ] {
            let b = sign_in(app, user, password).await;
            let (status, _, page) = b.post(app, &change, &ack).await;
            assert_eq!(status, expected, "{user}: {page}");
        }
        let req = Request::post(&change)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, ORIGIN)
            .body(Body::from("status=acknowledged"))
            .unwrap();
        let (status, headers, _) = app.send(req).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/login"));
        let officer = sign_in(app, "oans.in", USER_PASSWORD).await;
        let (status, _, _) = officer
            .post_raw(app, &change, &ack, Some("https://evil.example"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(counts(app).await, (1, 0, 0));

        // The officer of the jurisdiction acknowledges and answers.
        let (status, _, page) = officer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("change-status"), "{page}");
        for (to, reply) in [
            ("acknowledged", ""),
            ("answered", "已责令该合作社下架该批次并复检，复检结果将公示。"),
        ] {
            let (status, _, page) = officer
                .post(app, &change, &[("status", to), ("reply", reply)])
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{to}: {page}");
        }
        assert_eq!(counts(app).await, (1, 0, 2));

        // Recorded with who answered: the organisation on the public page,
        // the user too in the console; never the person in public.
        let (_, public) = app
            .request("GET", &format!("/api/v1/complaints/{reference}"), None, None)
            .await;
        assert_eq!(public["status"], "answered", "{public}");
        let answer = &public["updates"][1];
        assert_eq!(answer["by_kind"], "regulator", "{public}");
        let reg_name = answer["by"].as_str().unwrap().to_owned();
        assert!(!reg_name.is_empty() && !public.to_string().contains("oans.in"));
        let req = Request::get(format!("/complaints/{reference}?lang=zh"))
            .body(Body::empty())
            .unwrap();
        let (_, _, page) = app.send(req).await;
        let page = page.as_str().unwrap();
        assert!(
            page.contains(&reg_name) && page.contains("监管部门") && page.contains("复检结果将公示"),
            "{page}"
        );
        let stored = app
            .store
            .db()
            .conn()
            .fetch_all(
                "SELECT org_id, acting_user FROM complaint_updates ORDER BY created_at",
                &[],
            )
            .await
            .unwrap();
        assert!(stored
            .iter()
            .all(|r| r.text("org_id").unwrap() == reg_id.to_string()
                && r.opt_text("acting_user").unwrap().is_some()));
        let producer = sign_in(app, "oans.coop", ADMIN_PASSWORD).await;
        let (_, _, page) = producer
            .get(app, &format!("/console/complaints/{reference}"))
            .await;
        assert!(page.contains(&reg_name) && page.contains("oans.in"), "{page}");

        // A suspended regulator's officer answers nothing more.
        let second = file(app, &w.l1, None).await;
        let op = app.operator_token().await;
        let (status, body) = app
            .post(
                &format!("/api/v1/organisations/{reg_id}/suspend"),
                &op,
                json!({"reason": "监管机构撤并"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _, _) = officer
            .post(app, &format!("/console/complaints/{second}/status"), &ack)
            .await;
        assert_ne!(status, StatusCode::SEE_OTHER);
        assert_eq!(counts(app).await, (2, 0, 2));
        verify_ok(app).await;
    }
);
