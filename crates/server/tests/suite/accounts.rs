//! Accounts and access: sign-in throttling that does not tell which
//! usernames exist, the bound on argon2 work, the operator who administers
//! but does not act inside organisations, API keys that cannot mint keys,
//! and an organisation admin's work on its users (disable, sessions, keys,
//! password resets, roles). Every refusal is shown to change nothing.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use suyuan_server::client::ClientAddr;
use tower::ServiceExt;
use uuid::Uuid;

const WRONG: &str = "Wrong-Pass-999";
const NEW_PASSWORD: &str = "Fresh-Pass-2025";

/// A sign-in request from the client address `ip`.
fn login_request(ip: &str, username: &str, password: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    req.extensions_mut().insert(ClientAddr(ip.parse().unwrap()));
    req
}

pub(crate) async fn login_from(
    app: &TestApp,
    ip: &str,
    username: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Value) {
    app.send(login_request(ip, username, password)).await
}

fn retry_after(h: &HeaderMap) -> Option<u64> {
    h.get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

/// What an answer says, without what may differ between two equal answers
/// (the seconds of `Retry-After`, within a second).
fn answer(resp: &(StatusCode, HeaderMap, Value)) -> (u16, Value, Value, Value, Value, bool) {
    let b = &resp.2;
    (
        resp.0.as_u16(),
        b["code"].clone(),
        b["field"].clone(),
        b["detail"].clone(),
        b["detail_zh"].clone(),
        retry_after(&resp.1).is_some(),
    )
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/auth/me", token).await.0
}

async fn user_json(app: &TestApp, token: &str, id: Uuid) -> Value {
    let (status, u) = app.get(&format!("/api/v1/users/{id}"), token).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    u
}

async fn new_key(app: &TestApp, token: &str, name: &str) -> (Uuid, String) {
    let (status, k) = app.post("/api/v1/api-keys", token, json!({"name": name})).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    (uuid_of(&k["id"]), k["secret"].as_str().unwrap().to_owned())
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.request("DELETE", path, Some(token), None).await
}

both_backends!(unknown_and_known_usernames_are_answered_alike, |app| async move {
    let (org_id, admin) = app.producer("alike.admin", "510115").await;
    let viewer = app
        .create_user(&admin, org_id, "alike.viewer", "viewer", None)
        .await;

    // Five wrong passwords, then one more, for a known and an unknown
    // username from the same address: the same answer at every step.
    for step in 1..=6 {
        let known = login_from(app, "10.0.0.1", "alike.viewer", WRONG).await;
        let unknown = login_from(app, "10.0.0.1", "alike.nobody", WRONG).await;
        assert_eq!(
            answer(&known),
            answer(&unknown),
            "step {step}: {} / {}",
            known.2,
            unknown.2
        );
        if step < 5 {
            assert_problem_h(&known, 401, "invalid_credentials", None);
        } else {
            assert_problem_h(&known, 429, "account_locked", None);
            let (a, b) = (retry_after(&known.1).unwrap(), retry_after(&unknown.1).unwrap());
            assert!((1..=900).contains(&a) && a.abs_diff(b) <= 1, "{a} {b}");
        }
    }
    // Locked from that address, even with the right password …
    let resp = login_from(app, "10.0.0.1", "alike.viewer", USER_PASSWORD).await;
    assert_problem_h(&resp, 429, "account_locked", None);
    // … shown on the user to its admin …
    assert!(user_json(app, &admin, viewer).await["locked_until"].is_string());
    // … but the owner signs in from another address.
    let (status, _, body) = login_from(app, "10.0.0.2", "alike.viewer", USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["me"]["username"], "alike.viewer");
    // The other address's unknown username starts from nothing too.
    let resp = login_from(app, "10.0.0.2", "alike.nobody", WRONG).await;
    assert_problem_h(&resp, 401, "invalid_credentials", None);
});

both_backends!(
    many_clients_lock_an_account_and_its_admin_unlocks_it,
    |app| async move {
        let (org_id, admin) = app.producer("many.admin", "510115").await;
        let rec = app
            .create_user(&admin, org_id, "many.rec", "recorder", None)
            .await;
        let recorder = app.login("many.rec", USER_PASSWORD).await;
        let (_, other_admin) = app.producer("many.other", "110105").await;

        // Ten addresses, five failures each: each address locks itself out; the
        // fiftieth failure locks the account for everyone.
        for client in 1..=10 {
            let ip = format!("10.1.0.{client}");
            for attempt in 1..=5 {
                let resp = login_from(app, &ip, "many.rec", WRONG).await;
                let status = if attempt == 5 { 429 } else { 401 };
                assert_eq!(resp.0.as_u16(), status, "{ip} #{attempt}: {}", resp.2);
            }
        }
        let resp = login_from(app, "10.1.0.99", "many.rec", USER_PASSWORD).await;
        assert_problem_h(&resp, 429, "account_locked", None);
        assert!(retry_after(&resp.1).is_some());

        // Its own organisation's admin unlocks it (and the platform
        // operator: oversight_operator::the_operator_rescues_a_locked_out_admin),
        // not another organisation's admin nor a recorder.
        let unlock = format!("/api/v1/users/{rec}/unlock");
        let resp = app.post(&unlock, &other_admin, json!({})).await;
        assert_problem(&resp, 404, "not_found", None);
        let resp = app.post(&unlock, &recorder, json!({})).await;
        assert_problem(&resp, 403, "role_not_admin", None);
        let resp = login_from(app, "10.1.0.99", "many.rec", USER_PASSWORD).await;
        assert_problem_h(&resp, 429, "account_locked", None);

        let (status, u) = app.post(&unlock, &admin, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{u}");
        assert_eq!(u["locked_until"], Value::Null);
        for ip in ["10.1.0.99", "10.1.0.1"] {
            let (status, _, body) = login_from(app, ip, "many.rec", USER_PASSWORD).await;
            assert_eq!(status, StatusCode::OK, "{ip}: {body}");
        }
    }
);

both_backends!(a_flood_of_sign_ins_is_bounded, |app| async move {
    use suyuan_store::users::password::{hash_permits, hashing_high_water_mark};
    let (org_id, admin) = app.producer("flood.admin", "510115").await;
    app.create_user(&admin, org_id, "flood.user", "viewer", None)
        .await;
    let router = suyuan_server::app(app.store.clone());

    // 200 at once from one address: a few for a known username, the rest
    // for unknown ones; and meanwhile the real user from its own address.
    let mut flood = Vec::new();
    for i in 0..200 {
        let username = if i % 70 == 0 {
            "flood.user".to_owned()
        } else {
            format!("flood.x{i}")
        };
        let req = login_request("10.2.0.1", &username, WRONG);
        let router = router.clone();
        flood.push(tokio::spawn(async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let retry = retry_after(resp.headers());
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            (status, body["code"].as_str().unwrap_or("").to_owned(), retry)
        }));
    }
    let real = router
        .clone()
        .oneshot(login_request("10.2.0.2", "flood.user", USER_PASSWORD))
        .await
        .unwrap();
    assert_eq!(real.status(), StatusCode::OK);

    let (mut refused, mut locked, mut busy) = (0, 0, 0);
    for task in flood {
        let (status, code, retry) = task.await.expect("no panic");
        match (status, code.as_str()) {
            (401, "invalid_credentials") => refused += 1,
            (429, "client_locked") => locked += 1,
            (503, "busy") => busy += 1,
            other => panic!("unexpected answer {other:?}"),
        }
        if status != 401 {
            assert!(retry.is_some(), "{status} without Retry-After");
        }
    }
    // At most thirty attempts from one address were checked (the thirtieth
    // failure answers the lock); the rest were refused without hashing.
    assert_eq!(refused + locked + busy, 200);
    assert!(refused + busy <= 30, "{refused} refused, {busy} busy");
    assert!(locked >= 170, "{locked} locked");
    let hwm = hashing_high_water_mark();
    assert!(
        hwm >= 1 && hwm <= hash_permits(),
        "{hwm} simultaneous hashes, {} permits",
        hash_permits()
    );

    // The address is locked now; the user is not.
    let resp = login_from(app, "10.2.0.1", "flood.user", USER_PASSWORD).await;
    assert_problem_h(&resp, 429, "client_locked", None);
    let (status, _, _) = login_from(app, "10.2.0.3", "flood.user", USER_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
});

both_backends!(
    concurrent_right_sign_ins_never_lock_and_cancelled_ones_give_back_their_place,
    |app| async move {
        let (org_id, admin) = app.producer("busy.admin", "510115").await;
        app.create_user(&admin, org_id, "busy.user", "viewer", None).await;
        let router = suyuan_server::app(app.store.clone());

        // Twelve sign-ins with the right password at once, from one address,
        // more than the pair's limit of five: all succeed.
        let mut burst = Vec::new();
        for _ in 0..12 {
            let router = router.clone();
            burst.push(tokio::spawn(async move {
                let req = login_request("10.3.0.1", "busy.user", USER_PASSWORD);
                router.oneshot(req).await.unwrap().status()
            }));
        }
        for task in burst {
            assert_eq!(task.await.expect("no panic"), StatusCode::OK);
        }
        // Four failures from that address still leave the owner in …
        for _ in 0..4 {
            let resp = login_from(app, "10.3.0.1", "busy.user", WRONG).await;
            assert_problem_h(&resp, 401, "invalid_credentials", None);
        }
        // … and attempts that are dropped before their password is checked
        // (a cancelled request) are not failures and leave nothing behind.
        let ip: std::net::IpAddr = "10.3.0.1".parse().unwrap();
        for _ in 0..8 {
            let admission = app.store.begin_sign_in("busy.user", ip).await.unwrap();
            assert!(matches!(
                admission,
                suyuan_store::users::throttle::Admission::Admitted(_)
            ));
            drop(admission);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut left = 1;
        for _ in 0..100 {
            left = app.rows_in("sign_in_attempts").await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(left, 0, "cancelled attempts gave back their place");
        let (status, _, body) = login_from(app, "10.3.0.1", "busy.user", USER_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The fifth failure still locks the pair.
        for step in 1..=5 {
            let resp = login_from(app, "10.3.0.1", "busy.user", WRONG).await;
            let (status, code) = if step < 5 {
                (401, "invalid_credentials")
            } else {
                (429, "account_locked")
            };
            assert_problem_h(&resp, status, code, None);
        }
    }
);

/// An organisation created by the operator (no user yet).
async fn operator_org(app: &TestApp, admin_username: &str) -> Uuid {
    let op = app.operator_token().await;
    let body = registration(
        "producer",
        Some("farm"),
        &uscc("91", "510115"),
        "510115",
        admin_username,
    );
    let (status, org) = app
        .post("/api/v1/organisations", &op, body["organisation"].clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    uuid_of(&org["id"])
}

both_backends!(the_operator_onboards_but_does_not_act_inside, |app| async move {
    let op = app.operator_token().await;
    let empty = operator_org(app, "onb.admin").await;
    let users = format!("/api/v1/organisations/{empty}/users");

    // Not a first user of another role.
    let resp = app.try_create_user(&op, empty, "onb.rec", "recorder", None).await;
    assert_problem(&resp, 403, "operator_not_member", None);
    assert_eq!(app.count(&users, &op).await, 0);
    // Its first org_admin, yes.
    let first = app.create_user(&op, empty, "onb.admin", "org_admin", None).await;
    // Then nothing more: neither a second admin nor anyone else.
    for (name, role) in [("onb.admin2", "org_admin"), ("onb.viewer", "viewer")] {
        let resp = app.try_create_user(&op, empty, name, role, None).await;
        assert_problem(&resp, 403, "operator_not_member", None);
    }
    assert_eq!(app.count(&users, &op).await, 1);
    // Nor in a self-registered organisation, which has its admin.
    let (reg_id, _) = app.producer("onb.reg", "510115").await;
    let resp = app
        .try_create_user(&op, reg_id, "onb.intruder", "org_admin", None)
        .await;
    assert_problem(&resp, 403, "operator_not_member", None);
    assert_eq!(
        app.count(&format!("/api/v1/organisations/{reg_id}/users"), &op)
            .await,
        1
    );

    // It does not administer another organisation's users (it may only
    // unlock them or issue a password reset: oversight_operator) …
    let onb = app.login("onb.admin", USER_PASSWORD).await;
    let (key_id, key) = new_key(app, &onb, "onb").await;
    for (method, path, body) in [
        ("POST", format!("/api/v1/users/{first}/disable"), None),
        (
            "PATCH",
            format!("/api/v1/users/{first}"),
            Some(json!({"role": "viewer"})),
        ),
        ("GET", format!("/api/v1/users/{first}/sessions"), None),
        ("POST", format!("/api/v1/users/{first}/sign-out"), None),
        ("DELETE", format!("/api/v1/api-keys/{key_id}"), None),
    ] {
        let resp = app.request(method, &path, Some(&op), body).await;
        assert_problem(&resp, 403, "operator_not_member", None);
    }
    // … and nothing changed.
    let (_, u) = app.get(&format!("/api/v1/users/{first}"), &onb).await;
    assert_eq!(
        (u["disabled"].clone(), u["role"].clone()),
        (json!(false), json!("org_admin"))
    );
    assert_eq!(me_status(app, &onb).await, StatusCode::OK);
    assert_eq!(me_status(app, &key).await, StatusCode::OK);

    // Its own organisation's users it does administer.
    let op_org = app.operator_org_id;
    let op2 = app.create_user(&op, op_org, "op.second", "operator", None).await;
    let (status, u) = app
        .post(&format!("/api/v1/users/{op2}/disable"), &op, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["disabled"], true);
    let (status, _) = app
        .post(&format!("/api/v1/users/{op2}/enable"), &op, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // An operator that is not the platform's admin may not disable its last
    // enabled org_admin.
    let second = app.login("op.second", USER_PASSWORD).await;
    let admin_id = uuid_of(&app.get("/api/v1/auth/me", &op).await.1["user_id"]);
    let resp = app
        .post(&format!("/api/v1/users/{admin_id}/disable"), &second, json!({}))
        .await;
    assert_problem(&resp, 409, "last_admin", None);
    assert_eq!(me_status(app, &op).await, StatusCode::OK);
});

both_backends!(an_api_key_cannot_mint_keys, |app| async move {
    let (_, admin) = app.producer("mint.admin", "510115").await;
    let me = uuid_of(&app.get("/api/v1/auth/me", &admin).await.1["user_id"]);
    let (_, key) = new_key(app, &admin, "parent").await;
    let resp = app.post("/api/v1/api-keys", &key, json!({"name": "child"})).await;
    assert_problem(&resp, 403, "key_cannot_mint_keys", None);
    // Nor may it issue password resets or change the password.
    let resp = app
        .post(&format!("/api/v1/users/{me}/password-reset"), &key, json!({}))
        .await;
    assert_problem(&resp, 403, "key_cannot_manage_credentials", None);
    let resp = app
        .post(
            "/api/v1/auth/password",
            &key,
            json!({"old_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_problem(&resp, 403, "key_cannot_manage_credentials", None);
    // Only the parent exists, and it records who created it.
    let keys = app.list("/api/v1/api-keys", &admin).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["created_by"], me.to_string());
    app.login("mint.admin", ADMIN_PASSWORD).await;
});

both_backends!(disabling_a_user_revokes_its_keys_and_sessions, |app| async move {
    let (org_id, admin) = app.producer("dis.admin", "510115").await;
    let (_, other_admin) = app.producer("dis.other", "110105").await;
    let rec = app.create_user(&admin, org_id, "dis.rec", "recorder", None).await;
    let session = app.login("dis.rec", USER_PASSWORD).await;
    let (key_id, key) = new_key(app, &session, "rec key").await;

    // The admin sees the user's sessions (never the tokens) and keys.
    let sessions = format!("/api/v1/users/{rec}/sessions");
    let (status, list) = app.get(&sessions, &admin).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(list[0]["created_at"].is_string() && list[0]["expires_at"].is_string());
    assert!(!list.to_string().contains(&session));
    let keys = app.list("/api/v1/api-keys", &admin).await;
    assert!(keys
        .iter()
        .any(|k| k["id"] == key_id.to_string() && k["created_by"] == rec.to_string()));

    // Another organisation's admin finds none of it, and changes nothing.
    for (method, path, body) in [
        ("GET", sessions.clone(), None),
        ("POST", format!("/api/v1/users/{rec}/sign-out"), None),
        ("POST", format!("/api/v1/users/{rec}/disable"), None),
        ("POST", format!("/api/v1/users/{rec}/enable"), None),
        ("POST", format!("/api/v1/users/{rec}/unlock"), None),
        ("POST", format!("/api/v1/users/{rec}/password-reset"), None),
        (
            "PATCH",
            format!("/api/v1/users/{rec}"),
            Some(json!({"role": "viewer"})),
        ),
        ("DELETE", format!("/api/v1/api-keys/{key_id}"), None),
    ] {
        let resp = app.request(method, &path, Some(&other_admin), body).await;
        assert_problem(&resp, 404, "not_found", None);
    }
    // Nor may the recorder disable its admin, nor the admin itself.
    let admin_id = uuid_of(&app.get("/api/v1/auth/me", &admin).await.1["user_id"]);
    let resp = app
        .post(&format!("/api/v1/users/{admin_id}/disable"), &session, json!({}))
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let resp = app
        .post(&format!("/api/v1/users/{admin_id}/disable"), &admin, json!({}))
        .await;
    assert_problem(&resp, 403, "cannot_disable_self", None);
    assert_eq!(me_status(app, &session).await, StatusCode::OK);
    assert_eq!(me_status(app, &key).await, StatusCode::OK);
    assert_eq!(me_status(app, &admin).await, StatusCode::OK);
    assert_eq!(user_json(app, &admin, rec).await["role"], "recorder");

    // Disabled: its session and key stop at once, and stay stopped when it
    // is enabled again.
    let (status, u) = app
        .post(&format!("/api/v1/users/{rec}/disable"), &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["disabled"], true);
    assert_eq!(me_status(app, &session).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(app, &key).await, StatusCode::UNAUTHORIZED);
    let resp = app.try_login("dis.rec", USER_PASSWORD).await;
    assert_problem(&resp, 401, "invalid_credentials", None);
    let keys = app.list("/api/v1/api-keys", &admin).await;
    let k = keys.iter().find(|k| k["id"] == key_id.to_string()).unwrap();
    assert!(k["revoked_at"].is_string(), "{k}");
    let (status, _) = app
        .post(&format!("/api/v1/users/{rec}/enable"), &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me_status(app, &session).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(app, &key).await, StatusCode::UNAUTHORIZED);

    // The admin ends a user's sessions, and revokes another user's key.
    let s1 = app.login("dis.rec", USER_PASSWORD).await;
    let (key2_id, key2) = new_key(app, &s1, "rec key 2").await;
    let (status, _) = app
        .post(&format!("/api/v1/users/{rec}/sign-out"), &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_status(app, &s1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&sessions, &admin).await.1, json!([]));
    assert_eq!(me_status(app, &key2).await, StatusCode::OK);
    let (status, _) = delete(app, &format!("/api/v1/api-keys/{key2_id}"), &admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_status(app, &key2).await, StatusCode::UNAUTHORIZED);
});

both_backends!(a_password_reset_works_once, |app| async move {
    let (org_id, admin) = app.producer("rst.admin", "510115").await;
    let (_, other_admin) = app.producer("rst.other", "110105").await;
    let viewer = app
        .create_user(&admin, org_id, "rst.viewer", "viewer", None)
        .await;
    let session = app.login("rst.viewer", USER_PASSWORD).await;
    let issue = format!("/api/v1/users/{viewer}/password-reset");

    let resp = app.post(&issue, &other_admin, json!({})).await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app.post(&issue, &session, json!({})).await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let (status, reset) = app.post(&issue, &admin, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{reset}");
    let token = reset["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("syr_") && token.len() > 40, "{token}");
    assert!(reset["expires_at"].is_string());
    // Stored hashed only.
    let stored = app
        .store
        .db()
        .conn()
        .fetch_all("SELECT token_hash FROM password_resets", &[])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!format!("{stored:?}").contains(&token));

    let use_token = |token: String, password: &str| {
        let body = json!({"token": token, "new_password": password});
        async move {
            app.request("POST", "/api/v1/auth/password-reset", None, Some(body))
                .await
        }
    };
    // The password rule applies; the token survives a refused attempt.
    let resp = use_token(token.clone(), "short").await;
    assert_problem(&resp, 422, "password_rule", Some("new_password"));
    let resp = use_token("syr_unknown".into(), NEW_PASSWORD).await;
    assert_problem(&resp, 422, "reset_token_invalid", Some("token"));
    assert_eq!(me_status(app, &session).await, StatusCode::OK);
    app.login("rst.viewer", USER_PASSWORD).await;

    let (status, body) = use_token(token.clone(), NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me_status(app, &session).await, StatusCode::UNAUTHORIZED);
    let resp = app.try_login("rst.viewer", USER_PASSWORD).await;
    assert_problem(&resp, 401, "invalid_credentials", None);
    let fresh = app.login("rst.viewer", NEW_PASSWORD).await;
    // Once only.
    let resp = use_token(token, "Another-Pass-2026").await;
    assert_problem(&resp, 422, "reset_token_invalid", Some("token"));
    app.login("rst.viewer", NEW_PASSWORD).await;

    // A user changes its own password with the old one; its other sessions end.
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});
    let resp = app
        .post("/api/v1/auth/password", &fresh, change(WRONG, "Third-Pass-2027"))
        .await;
    assert_problem(&resp, 403, "wrong_password", Some("old_password"));
    let other = app.login("rst.viewer", NEW_PASSWORD).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/password",
            &fresh,
            change(NEW_PASSWORD, "Third-Pass-2027"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me_status(app, &fresh).await, StatusCode::OK);
    assert_eq!(me_status(app, &other).await, StatusCode::UNAUTHORIZED);
    let resp = app.try_login("rst.viewer", NEW_PASSWORD).await;
    assert_problem(&resp, 401, "invalid_credentials", None);
    app.login("rst.viewer", "Third-Pass-2027").await;
});

both_backends!(role_changes_follow_the_kind_and_keep_an_admin, |app| async move {
    let (org_id, admin) = app.producer("role.admin", "510115").await;
    let (_, other_admin) = app.producer("role.other", "110105").await;
    let admin_id = uuid_of(&app.get("/api/v1/auth/me", &admin).await.1["user_id"]);
    let rec = app
        .create_user(&admin, org_id, "role.rec", "recorder", None)
        .await;
    let admin_token = admin.as_str();
    let patch = |id: Uuid, body: Value| async move {
        app.request(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(admin_token),
            Some(body),
        )
        .await
    };

    // A role the producer kind does not have.
    for role in ["officer", "inspector", "operator"] {
        let resp = patch(rec, json!({"role": role})).await;
        assert_problem(&resp, 422, "role_not_for_kind", Some("role"));
    }
    // The last admin keeps its role.
    let resp = patch(admin_id, json!({"role": "viewer"})).await;
    assert_problem(&resp, 409, "last_admin", None);
    // Elsewhere: not found, or refused for the operator.
    let resp = app
        .request(
            "PATCH",
            &format!("/api/v1/users/{rec}"),
            Some(&other_admin),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
    assert_eq!(user_json(app, &admin, admin_id).await["role"], "org_admin");
    assert_eq!(user_json(app, &admin, rec).await["role"], "recorder");

    // With a second admin, the first may step down.
    let (status, u) = patch(rec, json!({"role": "org_admin", "display_name": "第二管理员"})).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(
        (u["role"].clone(), u["display_name"].clone()),
        (json!("org_admin"), json!("第二管理员"))
    );
    let (status, u) = patch(admin_id, json!({"role": "viewer"})).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["role"], "viewer");
    // Its token now carries the viewer's role.
    let resp = patch(rec, json!({"role": "viewer"})).await;
    assert_problem(&resp, 403, "role_not_admin", None);
    let rec_token = app.login("role.rec", USER_PASSWORD).await;
    let resp = app
        .request(
            "PATCH",
            &format!("/api/v1/users/{rec}"),
            Some(&rec_token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_problem(&resp, 409, "last_admin", None);
    assert_eq!(user_json(app, &rec_token, rec).await["role"], "org_admin");
});
