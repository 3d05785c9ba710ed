//! Complaints answered over the API (`POST /api/v1/complaints/{reference}/updates`):
//! the same rule as the console. The producer's recorder and an officer of
//! the jurisdiction move a complaint on and answer it, and the public status
//! page shows the answer; another organisation, an officer elsewhere and
//! the operator are told it is not found (404), the producer's viewer and
//! a suspended producer are refused (403), nobody signed in gets 401, and
//! a bad move or a missing reply names the field (422), nothing stored on
//! any refusal.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::common::*;
use crate::oversight::{counts, file, officers};
use crate::tlog::verify_ok;
use crate::trace_chain::World;

fn updates(reference: &str) -> String {
    format!("/api/v1/complaints/{reference}/updates")
}

async fn update(app: &TestApp, token: Option<&str>, reference: &str, body: Value) -> (StatusCode, Value) {
    app.request("POST", &updates(reference), token, Some(body)).await
}

both_backends!(a_complaint_is_answered_over_the_api, |app| async move {
    let w = World::new(app, "capi").await;
    let (inside, outside) = officers(app, "capi.officer").await;
    app.create_user(&w.producer.token, w.producer.id, "capi.viewer", "viewer", None)
        .await;
    let viewer = app.login("capi.viewer", USER_PASSWORD).await;
    let op = app.operator_token().await;
    let reference = file(app, &w.l1, None).await;
    let ack = json!({"status": "acknowledged"});

    // Refused, nothing stored.
    let (status, body) = update(app, None, &reference, ack.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    for (who, token, expected) in [
        (
            "another organisation",
            w.retailer.token.as_str(),
            StatusCode::NOT_FOUND,
        ),
        ("an officer elsewhere", outside.as_str(), StatusCode::NOT_FOUND),
        ("the operator", op.as_str(), StatusCode::NOT_FOUND),
        ("the producer's viewer", viewer.as_str(), StatusCode::FORBIDDEN),
    ] {
        let (status, body) = update(app, Some(token), &reference, ack.clone()).await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    let (status, body) = update(app, Some(&w.producer.token), "TS2222222222", ack.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    for (body, field, code) in [
        (
            json!({"status": "answered", "reply": "已退款"}),
            "status",
            "complaint_transition",
        ),
        (json!({"status": "closed"}), "status", ""),
    ] {
        let (status, answer) = update(app, Some(&w.producer.token), &reference, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
        if !code.is_empty() {
            assert_eq!(answer["code"], code, "{answer}");
        }
    }
    assert_eq!(counts(app).await, (1, 0, 0));

    // The producer acknowledges; an answer needs a reply; then answers.
    let (status, public) = update(app, Some(&w.producer.token), &reference, ack.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{public}");
    assert_eq!(public["status"], "acknowledged", "{public}");
    let (status, answer) = update(
        app,
        Some(&w.producer.token),
        &reference,
        json!({"status": "answered"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        (answer["field"].as_str(), answer["code"].as_str()),
        (Some("reply"), Some("complaint_reply_required")),
        "{answer}"
    );
    let reply = "经核查该批次标签印制有误，已更换并向您退款。";
    let (status, public) = update(
        app,
        Some(&w.producer.token),
        &reference,
        json!({"status": "answered", "reply": reply}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{public}");
    assert_eq!(public["status"], "answered", "{public}");
    assert_eq!(counts(app).await, (1, 0, 2));
    let req = Request::get(format!("/complaints/{reference}?lang=zh"))
        .body(Body::empty())
        .unwrap();
    let (status, _, page) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(reply), "{page}");
    // An answered complaint is final.
    let (status, _) = update(
        app,
        Some(&w.producer.token),
        &reference,
        json!({"status": "rejected", "reply": "重复"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // An officer of the jurisdiction answers another complaint in the
    // regulator's name.
    let second = file(app, &w.l1, None).await;
    let (status, public) = update(app, Some(&inside), &second, ack.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{public}");
    assert_eq!(public["updates"][0]["by_kind"], "regulator", "{public}");

    // A suspended producer answers nothing more.
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", w.producer.id),
            &op,
            json!({"reason": "资质过期"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = update(
        app,
        Some(&w.producer.token),
        &second,
        json!({"status": "rejected", "reply": "不予受理"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(counts(app).await, (2, 0, 3));
    verify_ok(app).await;
});
