//! The operator's console: the registration review queue with why each
//! entry is there, verify / suspend / restore with a required reason (each
//! a logged `org_record`), a password reset the user completes, the
//! platform's health; and everyone else refused with nothing changed.

#![allow(clippy::unwrap_used)]

use axum::http::{header, StatusCode};
use serde_json::json;
use suyuan_ledger::cosignature::CosignerKey;

use crate::common::*;
use crate::console::sign_in;
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
        // Another organisation's users are its admin's to unlock and reset.
        let (_, _, page) = op.get(app, &format!("/console/operator/orgs/{org}")).await;
        assert!(
            page.contains("queue.admin") && !page.contains("/reset\""),
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
        let (status, _, page) = op
            .post(app, &format!("/console/operator/users/{user}/reset"), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let reset = page
            .split("id=\"reset-token\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        // The user sets the password; the operator never saw it.
        let (status, answer) = app
            .request(
                "POST",
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"token": reset, "new_password": "Second-Pass-2026"})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
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
