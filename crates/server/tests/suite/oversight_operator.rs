//! The operator's console: the registration review queue with why each
//! entry is there, verify / suspend / restore with a required reason (each
//! a logged `org_record`), a password reset the user completes, the
//! platform's health; the rescue of another organisation's locked-out
//! admin (unlock, a one-time reset), logged, audited and shown to that
//! organisation's admin; and everyone else refused with nothing changed.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use suyuan_ledger::cosignature::CosignerKey;

use crate::accounts::login_from;
use crate::common::*;
use crate::console::{sign_in, Browser, ORIGIN};
use crate::oversight_report::between;
use crate::tlog::verify_ok;

async fn org_records(app: &TestApp, org: &str) -> Vec<(String, Option<String>)> {
    app.store
        .db()
        .conn()
        .fetch_all(
            "SELECT action, status_reason FROM org_records WHERE org_id = $1 ORDER BY created_at",
            &[org.into()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("action").unwrap(), r.opt_text("status_reason").unwrap()))
        .collect()
}

async fn status_of(app: &TestApp, org: &str) -> String {
    let op = app.operator_token().await;
    let (_, o) = app.get(&format!("/api/v1/organisations/{org}"), &op).await;
    o["status"].as_str().unwrap().to_owned()
}

both_backends!(
    the_operator_reviews_registrations_in_the_console,
    |app| async move {
        // A registration whose credit code fails its checksum.
        let body = registration(
            "producer",
            Some("farm"),
            "91350100M0001TGQXM",
            "350102",
            "queue.admin",
        );
        let (status, resp) = app
            .request("POST", "/api/v1/registrations", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{resp}");
        let org = resp["organisation"]["id"].as_str().unwrap().to_owned();
        let op = sign_in(app, "admin", OPERATOR_PASSWORD).await;
        let (status, _, page) = op.get(app, "/console/operator").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("/console/operator/orgs/{org}")), "{page}");
        assert!(
            page.contains("校验位不符") && page.contains("uscc_check_char"),
            "{page}"
        );
        let (status, _, page) = op.get(app, &format!("/console/operator/orgs/{org}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("verify-org") && page.contains("suspend-org"),
            "{page}"
        );

        // A decision without a reason is refused; nothing changes.
        let before = org_records(app, &org).await;
        let verify = format!("/console/operator/orgs/{org}/verify");
        let (status, _, page) = op.post(app, &verify, &[("reason", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(status_of(app, &org).await, "pending");
        assert_eq!(org_records(app, &org).await, before);

        // Someone else: refused, nothing changed.
        let applicant = sign_in(app, "queue.admin", ADMIN_PASSWORD).await;
        let (status, _, _) = applicant.get(app, "/console/operator").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = applicant.post(app, &verify, &[("reason", "我自己核验")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = applicant.get(app, "/console/operator/health").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(status_of(app, &org).await, "pending");
        assert_eq!(org_records(app, &org).await, before);

        // Verify, suspend, restore: each logged with its reason.
        for (action, reason, status) in [
            (
                "verify",
                "营业执照原件核对无误，校验位系登记机关早期赋码",
                "verified",
            ),
            ("suspend", "监管部门通报：冒用他人资质", "suspended"),
            ("restore", "经复核，资质无误", "verified"),
        ] {
            let path = format!("/console/operator/orgs/{org}/{action}");
            let (s, headers, page) = op.post(app, &path, &[("reason", reason)]).await;
            assert_eq!(s, StatusCode::SEE_OTHER, "{action}: {page}");
            assert_eq!(
                headers[header::LOCATION],
                format!("/console/operator/orgs/{org}").as_str()
            );
            assert_eq!(status_of(app, &org).await, status);
            let logged = org_records(app, &org).await;
            assert_eq!(logged.last().unwrap().1.as_deref(), Some(reason));
        }
        assert_eq!(org_records(app, &org).await.len(), before.len() + 3);
        // Another organisation's users the operator may unlock and reset.
        let (_, _, page) = op.get(app, &format!("/console/operator/orgs/{org}")).await;
        assert!(
            page.contains("queue.admin") && page.contains("/reset\""),
            "{page}"
        );
        verify_ok(app).await;
    }
);

both_backends!(
    the_operator_resets_a_password_and_reads_the_platform_health,
    |app| async move {
        let token = app.operator_token().await;
        let user = app
            .create_user(&token, app.operator_org_id, "op.second", "operator", None)
            .await;
        let op = sign_in(app, "admin", OPERATOR_PASSWORD).await;
        let (status, _, page) = op
            .post(app, &format!("/console/operator/users/{user}/unlock"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        // The user sets the password; the operator never saw it.
        let _ = reset_through_the_operator(app, &op, &user.to_string(), "Second-Pass-2026").await;
        app.login("op.second", "Second-Pass-2026").await;

        let witness = CosignerKey::generate("w.health.test", &mut rand::rngs::OsRng).unwrap();
        app.store
            .configure_witnesses(&[(witness.verifier(), "http://127.0.0.1:9".into())], 1)
            .await
            .unwrap();
        app.store.check_integrity().await.unwrap();
        let (status, _, page) = op.get(app, "/console/operator/health").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(app.backend), "{page}");
        assert!(
            page.contains(&format!(
                "id=\"schema\">{}<",
                suyuan_store::migrate::latest_version()
            )),
            "{page}"
        );
        assert!(page.contains("w.health.test") && page.contains("通过"), "{page}");
    }
);

/// Posts the reset page's form (no session: from this site's origin, or
/// `origin`); answers the status and the page.
async fn post_reset(app: &TestApp, fields: &[(&str, &str)], origin: Option<&str>) -> (StatusCode, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut req =
        Request::post("/console/reset").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let (status, _, page) = app.send(req.body(Body::from(body)).unwrap()).await;
    (status, page.as_str().map(str::to_owned).unwrap_or_default())
}

/// The operator issues a password reset for `user` in the console (the
/// one-time link shown once); the user opens the link and sets `password`
/// there. Answers the token.
async fn reset_through_the_operator(app: &TestApp, op: &Browser, user: &str, password: &str) -> String {
    let (status, _, page) = op
        .post(app, &format!("/console/operator/users/{user}/reset"), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let token = between(&page, "id=\"reset-token\">", "<");
    let link = between(&page, "id=\"reset-link\">", "<");
    let path = link.strip_prefix(ORIGIN).unwrap_or_else(|| panic!("{link}"));
    let (status, _, form) = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.as_str().unwrap().contains(&token), "{form}");
    let fields = [
        ("token", token.as_str()),
        ("password", password),
        ("confirm", password),
    ];
    let (status, page) = post_reset(app, &fields, Some(ORIGIN)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    token
}

/// The logged user states of `user`: (action, acting user).
async fn user_states(app: &TestApp, user: &str) -> Vec<(String, Option<String>)> {
    app.store
        .db()
        .conn()
        .fetch_all(
            "SELECT action, acting_user FROM row_states WHERE table_name = 'users' AND row_key = $1 \
             ORDER BY created_at, id",
            &[user.into()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("action").unwrap(), r.opt_text("acting_user").unwrap()))
        .collect()
}

both_backends!(the_operator_rescues_a_locked_out_admin, |app| async move {
    let (org_id, admin) = app.producer("resc.admin", "510115").await;
    let admin_id = app.get("/api/v1/auth/me", &admin).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_user(&admin, org_id, "resc.rec", "recorder", None)
        .await;
    let recorder = app.login("resc.rec", USER_PASSWORD).await;
    let (_, other_admin) = app.producer("resc.other", "110105").await;
    let (_, pending_admin) = app.pending_producer("resc.pending", "110105").await;
    // The organisation's only admin locks itself out.
    for _ in 0..5 {
        login_from(app, "10.9.0.1", "resc.admin", "Wrong-Pass-999").await;
    }
    let (status, _, _) = login_from(app, "10.9.0.1", "resc.admin", ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let states = user_states(app, &admin_id).await;

    // Refused, nothing changed: another organisation's admin and a
    // pending one (404), a recorder of its own (403), nobody signed in,
    // and the operator's form without its token.
    let unlock = format!("/api/v1/users/{admin_id}/unlock");
    let reset = format!("/api/v1/users/{admin_id}/password-reset");
    for path in [&unlock, &reset] {
        for token in [&other_admin, &pending_admin] {
            assert_problem(&app.post(path, token, json!({})).await, 404, "not_found", None);
        }
        assert_problem(
            &app.post(path, &recorder, json!({})).await,
            403,
            "role_not_admin",
            None,
        );
        let (status, _) = app.request("POST", path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let op = sign_in(app, "admin", OPERATOR_PASSWORD).await;
    let console_unlock = format!("/console/operator/users/{admin_id}/unlock");
    let (status, _, _) = op
        .post_raw(app, &console_unlock, &[], Some(crate::console::ORIGIN))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(user_states(app, &admin_id).await, states);
    let (status, _, _) = login_from(app, "10.9.0.1", "resc.admin", ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // The operator unlocks it from the console, and issues a reset the
    // admin completes: the operator never sees the password.
    let (status, _, page) = op.get(app, &format!("/console/operator/orgs/{org_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&console_unlock), "{page}");
    let (status, _, page) = op.post(app, &console_unlock, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, _, body) = login_from(app, "10.9.0.1", "resc.admin", ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The page refuses, storing nothing: another site's post, two
    // passwords that differ, a weak one, a token nobody issued; and the
    // link works once.
    let fake = [
        ("token", "spr_nobody"),
        ("password", "Rescued-Pass-2026"),
        ("confirm", "Rescued-Pass-2026"),
    ];
    let (status, _) = post_reset(app, &fake, Some("https://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = post_reset(app, &fake, Some(ORIGIN)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("reset-error"), "{page}");
    let token = reset_through_the_operator(app, &op, &admin_id, "Rescued-Pass-2026").await;
    app.login("resc.admin", "Rescued-Pass-2026").await;
    for (password, confirm) in [
        ("Other-Pass-2026", "Other-Pass-2027"),
        ("short", "short"),
        ("Other-Pass-2026", "Other-Pass-2026"),
    ] {
        let fields = [
            ("token", token.as_str()),
            ("password", password),
            ("confirm", confirm),
        ];
        let (status, page) = post_reset(app, &fields, Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{password}: {page}");
    }
    app.login("resc.admin", "Rescued-Pass-2026").await;

    // Logged as the user's states, by the operator's user; audited.
    let op_token = app.operator_token().await;
    let op_user = app.get("/api/v1/auth/me", &op_token).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let after = user_states(app, &admin_id).await;
    assert_eq!(
        after[states.len()..].to_vec(),
        vec![
            ("unlocked".to_owned(), Some(op_user.clone())),
            ("password_reset_issued".to_owned(), Some(op_user.clone())),
        ]
    );
    for action in ["user_unlock", "password_reset_issue"] {
        let (status, audit) = app
            .get(&format!("/api/v1/audit?action={action}"), &op_token)
            .await;
        assert_eq!(status, StatusCode::OK, "{audit}");
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["user_id"] == op_user.as_str()
                    && e["resource"].as_str().unwrap().contains(&admin_id)
                    && e["outcome"] == "ok"),
            "{action}: {audit}"
        );
    }

    // The organisation's admin sees what the operator did; a recorder does not.
    let admin_browser = sign_in(app, "resc.admin", "Rescued-Pass-2026").await;
    let (_, _, page) = admin_browser.get(app, "/console/org").await;
    let card = page
        .split("id=\"account-rescues\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        card.contains("解除锁定") && card.contains("签发密码重置") && card.contains("resc.admin"),
        "{card}"
    );
    let rec_browser = sign_in(app, "resc.rec", USER_PASSWORD).await;
    let (_, _, page) = rec_browser.get(app, "/console/org").await;
    assert!(!page.contains("account-rescues"), "{page}");
    verify_ok(app).await;
});
