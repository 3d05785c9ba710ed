//! Registration, the operator's decisions, users and roles, login, API keys
//! and duties.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Organisations the operator sees.
async fn org_count(app: &TestApp) -> usize {
    let op = app.operator_token().await;
    app.count("/api/v1/organisations", &op).await
}

both_backends!(registration_happy_path, |app| async move {
    let body = registration(
        "producer",
        Some("farm"),
        "914403001922038216",
        "510115",
        "farm.admin",
    );
    let (status, resp) = app
        .request("POST", "/api/v1/registrations", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
    let org = &resp["organisation"];
    assert_eq!(org["status"], "pending");
    assert_eq!(org["kind"], "producer");
    assert_eq!(org["producer_form"], "farm");
    assert_eq!(org["uscc"], "914403001922038216");
    assert_eq!(org["uscc_checksum_ok"], true);
    assert_eq!(org["review_reason"], Value::Null);
    assert_eq!(org["legal_rep_id_masked"], "110105********1239");
    assert_eq!(resp["admin"]["role"], "org_admin");
    assert_eq!(resp["admin"]["username"], "farm.admin");
    let text = resp.to_string();
    assert!(!text.contains(ID_NUMBER), "clear ID number leaked: {text}");
    assert!(!text.contains(ADMIN_PASSWORD), "password leaked: {text}");
    let org_id = uuid_of(&org["id"]);

    // The operator sees it pending, masked too.
    let op = app.operator_token().await;
    let (status, got) = app.get(&format!("/api/v1/organisations/{org_id}"), &op).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["legal_rep_id_masked"], "110105********1239");
    assert!(!got.to_string().contains(ID_NUMBER));
    let pending = app.list("/api/v1/organisations?status=pending", &op).await;
    assert_eq!(pending.len(), 1);
    assert!(!Value::from(pending).to_string().contains(ID_NUMBER));

    // At rest the number is encrypted.
    let row = app
        .store
        .db()
        .conn()
        .fetch_optional(
            "SELECT legal_rep_id_cipher FROM organisations WHERE id = $1",
            &[org_id.to_string().into()],
        )
        .await
        .unwrap()
        .unwrap();
    let sealed = row.text("legal_rep_id_cipher").unwrap();
    assert!(!sealed.contains("19900307"), "{sealed}");

    // The admin can sign in and sees the organisation.
    let token = app.login("farm.admin", ADMIN_PASSWORD).await;
    let (status, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["org_id"], org["id"]);
    assert_eq!(me["org_status"], "pending");
    assert_eq!(me["role"], "org_admin");
});

both_backends!(duplicate_uscc_is_a_conflict, |app| async move {
    let code = uscc("91", "510115");
    let (status, _) = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                Some("farm"),
                &code,
                "510115",
                "first.admin",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = org_count(app).await;
    // Same code, lower case: still the same organisation.
    let resp = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "processor",
                None,
                &code.to_lowercase(),
                "510115",
                "second.admin",
            )),
        )
        .await;
    assert_problem(&resp, 409, "duplicate", Some("organisation.uscc"));
    assert_eq!(org_count(app).await, before);
    // The second admin was not created either (all or nothing).
    let resp = app.try_login("second.admin", ADMIN_PASSWORD).await;
    assert_problem(&resp, 401, "invalid_credentials", None);

    // A taken admin username is a conflict on admin.username.
    let resp = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                Some("farm"),
                &uscc("91", "510115"),
                "510115",
                "first.admin",
            )),
        )
        .await;
    assert_problem(&resp, 409, "duplicate", Some("admin.username"));
    assert_eq!(org_count(app).await, before);
});

both_backends!(pilot_area_code_goes_to_review, |app| async move {
    let (status, resp) = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                Some("farm"),
                "91350100M0001TGQXM",
                "350102",
                "pilot.admin",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
    let org = &resp["organisation"];
    assert_eq!(org["uscc_checksum_ok"], false);
    assert_eq!(org["status"], "pending");
    let reason = org["review_reason"].as_str().unwrap();
    assert!(reason.contains("uscc_check_char"), "{reason}");

    // A well-formed registration does not need review.
    app.register_org("producer", Some("farm"), "91110108551385082Q", "good.admin")
        .await;

    let op = app.operator_token().await;
    let review = app.list("/api/v1/organisations?needs_review=true", &op).await;
    assert_eq!(review.len(), 1, "{review:?}");
    assert_eq!(review[0]["id"], org["id"]);
    let fine = app.list("/api/v1/organisations?needs_review=false", &op).await;
    assert!(fine.iter().all(|o| o["id"] != org["id"]));
    assert!(fine.iter().any(|o| o["uscc"] == "91110108551385082Q"));

    // The operator may still verify it after the review.
    let org_id = uuid_of(&org["id"]);
    app.verify(org_id).await;
});

both_backends!(registration_refusals, |app| async move {
    let coop = uscc("93", "510115");
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "uscc",
            json!("91440300192203821"),
            "uscc_length",
            "organisation.uscc",
        ),
        (
            "legal_rep_id_number",
            json!("110105199003071238"),
            "id_number_check_char",
            "organisation.legal_rep_id_number",
        ),
        (
            "legal_rep_id_number",
            json!("110105199002301231"),
            "id_number_birth_date",
            "organisation.legal_rep_id_number",
        ),
        (
            "region",
            json!("990101"),
            "region_code_province",
            "organisation.region",
        ),
        // Category 93 (cooperative) with a farm form.
        (
            "uscc",
            json!(coop),
            "producer_form_category",
            "organisation.producer_form",
        ),
        (
            "contact_email",
            json!("not-an-email"),
            "email_format",
            "organisation.contact_email",
        ),
    ];
    let before = org_count(app).await;
    for (i, (key, value, code, field)) in cases.into_iter().enumerate() {
        let mut body = registration(
            "producer",
            Some("farm"),
            &uscc("91", "510115"),
            "510115",
            &format!("refused{i}"),
        );
        body["organisation"][key] = value;
        let resp = app
            .request("POST", "/api/v1/registrations", None, Some(body))
            .await;
        assert_problem(&resp, 422, code, Some(field));
    }
    // A cooperative with a non-93 code is refused too.
    let resp = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                Some("cooperative"),
                &uscc("91", "510115"),
                "510115",
                "coop.wrong",
            )),
        )
        .await;
    assert_problem(
        &resp,
        422,
        "producer_form_category",
        Some("organisation.producer_form"),
    );
    // A producer must give its form.
    let resp = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                None,
                &uscc("91", "510115"),
                "510115",
                "noform",
            )),
        )
        .await;
    assert_problem(
        &resp,
        422,
        "producer_form_required",
        Some("organisation.producer_form"),
    );
    // A weak admin password is refused before anything is stored.
    let mut body = registration("producer", Some("farm"), &uscc("91", "510115"), "510115", "weak");
    body["admin"]["password"] = json!("short");
    let resp = app
        .request("POST", "/api/v1/registrations", None, Some(body))
        .await;
    assert_problem(&resp, 422, "password_rule", Some("admin.password"));
    assert_eq!(
        org_count(app).await,
        before,
        "a refused registration stored something"
    );

    // And a real cooperative with a category 93 code is welcome.
    let (status, resp) = app
        .request(
            "POST",
            "/api/v1/registrations",
            None,
            Some(registration(
                "producer",
                Some("cooperative"),
                &coop,
                "510115",
                "coop.ok",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
});

both_backends!(registration_admin_role_field, |app| async move {
    // The first user must be the admin; the error names admin.role.
    let mut body = registration(
        "producer",
        Some("farm"),
        &uscc("91", "510115"),
        "510115",
        "rec.first",
    );
    body["admin"]["role"] = json!("recorder");
    let resp = app
        .request("POST", "/api/v1/registrations", None, Some(body))
        .await;
    assert_problem(&resp, 422, "role_must_be_admin", Some("admin.role"));
});

both_backends!(operator_decisions, |app| async move {
    let (org_id, admin) = app.pending_producer("dec.admin", "510115").await;
    let op = app.operator_token().await;
    let path = |action: &str| format!("/api/v1/organisations/{org_id}/{action}");

    // Only the operator decides.
    let resp = app.post(&path("verify"), &admin, json!({})).await;
    assert_problem(&resp, 403, "operator_only", None);
    // Restoring a pending organisation is not a transition.
    let resp = app.post(&path("restore"), &op, json!({})).await;
    assert_problem(&resp, 409, "status_transition", Some("status"));

    let verified = app.verify(org_id).await;
    assert_eq!(verified["id"], org_id.to_string());
    let resp = app.post(&path("verify"), &op, json!({})).await;
    assert_problem(&resp, 409, "status_transition", Some("status"));

    // Suspending needs a reason.
    let resp = app.post(&path("suspend"), &op, json!({})).await;
    assert_problem(&resp, 422, "reason_required", Some("reason"));
    let resp = app.post(&path("suspend"), &op, json!({"reason": "   "})).await;
    assert_problem(&resp, 422, "reason_required", Some("reason"));
    let resp = app
        .post(&path("suspend"), &op, json!({"reason": "x".repeat(501)}))
        .await;
    assert_problem(&resp, 422, "text_too_long", Some("reason"));
    let (status, o) = app
        .post(&path("suspend"), &op, json!({"reason": "抽检不合格，整改中"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["status"], "suspended");
    assert_eq!(o["status_reason"], "抽检不合格，整改中");
    let resp = app.post(&path("suspend"), &op, json!({"reason": "again"})).await;
    assert_problem(&resp, 409, "status_transition", Some("status"));
    let resp = app.post(&path("verify"), &op, json!({})).await;
    assert_problem(&resp, 409, "status_transition", Some("status"));

    // The admin of the suspended organisation sees the new status.
    let (_, me) = app.get("/api/v1/auth/me", &admin).await;
    assert_eq!(me["org_status"], "suspended");
    // Its admin cannot restore itself.
    let resp = app.post(&path("restore"), &admin, json!({})).await;
    assert_problem(&resp, 403, "operator_only", None);

    let (status, o) = app.post(&path("restore"), &op, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["status"], "verified");
    let resp = app.post(&path("restore"), &op, json!({})).await;
    assert_problem(&resp, 409, "status_transition", Some("status"));

    // The operator's own status is fixed; unknown organisations are 404.
    let resp = app
        .post(
            &format!("/api/v1/organisations/{}/suspend", app.operator_org_id),
            &op,
            json!({"reason": "test"}),
        )
        .await;
    assert_problem(&resp, 409, "operator_status_fixed", None);
    let resp = app
        .post(
            &format!("/api/v1/organisations/{}/verify", uuid::Uuid::now_v7()),
            &op,
            json!({}),
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
});

both_backends!(self_registration_cannot_make_an_operator, |app| async move {
    // Anyone may register; nobody may register themselves into the platform
    // operator's powers.
    let (victim, _) = app.producer("victim.admin", "510115").await;
    let body = registration(
        "platform_operator",
        None,
        &uscc("91", "110105"),
        "110105",
        "rogue.admin",
    );
    let (status, resp) = app
        .request("POST", "/api/v1/registrations", None, Some(body))
        .await;
    if status == StatusCode::CREATED {
        let token = app.login("rogue.admin", ADMIN_PASSWORD).await;
        let (suspended, _) = app
            .post(
                &format!("/api/v1/organisations/{victim}/suspend"),
                &token,
                json!({"reason": "hostile"}),
            )
            .await;
        panic!(
            "self-registration as platform_operator was accepted ({resp}); \
             its admin suspending another organisation got {suspended}"
        );
    }
    assert!(status.is_client_error(), "{status} {resp}");
    assert_eq!(org_count(app).await, 2);
});

both_backends!(users_and_roles, |app| async move {
    let (org_id, admin) = app.producer("roles.admin", "510115").await;
    let rec_id = app
        .create_user(&admin, org_id, "roles.recorder", "recorder", None)
        .await;
    app.create_user(&admin, org_id, "roles.viewer", "viewer", None)
        .await;
    let users = app
        .list(&format!("/api/v1/organisations/{org_id}/users"), &admin)
        .await;
    assert_eq!(users.len(), 3);
    assert!(users
        .iter()
        .all(|u| u.get("password").is_none() && u.get("password_hash").is_none()));
    let (status, u) = app.get(&format!("/api/v1/users/{rec_id}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["role"], "recorder");

    // Roles that do not fit a producer.
    for role in ["officer", "inspector", "operator"] {
        let resp = app
            .try_create_user(&admin, org_id, &format!("x.{role}"), role, None)
            .await;
        assert_problem(&resp, 422, "role_not_for_kind", Some("role"));
    }
    // Only officers have a jurisdiction.
    let resp = app
        .try_create_user(&admin, org_id, "x.juris", "viewer", Some("5101"))
        .await;
    assert_problem(&resp, 422, "jurisdiction_not_officer", Some("jurisdiction"));
    let resp = app
        .try_create_user(&admin, org_id, "roles.viewer", "viewer", None)
        .await;
    assert_problem(&resp, 409, "duplicate", Some("username"));
    let resp = app
        .try_create_user(&admin, org_id, "Bad Name", "viewer", None)
        .await;
    assert_problem(&resp, 422, "username_format", Some("username"));
    let (status, resp) = app
        .post(
            &format!("/api/v1/organisations/{org_id}/users"),
            &admin,
            json!({"username": "weak.pw", "display_name": "x", "password": "aaaaaaaaaaaa", "role": "viewer"}),
        )
        .await;
    assert_problem(&(status, resp), 422, "password_rule", Some("password"));
    assert_eq!(
        app.count(&format!("/api/v1/organisations/{org_id}/users"), &admin)
            .await,
        3
    );

    // The recorder may not create users.
    let recorder = app.login("roles.recorder", USER_PASSWORD).await;
    let resp = app
        .try_create_user(&recorder, org_id, "by.recorder", "viewer", None)
        .await;
    assert_problem(&resp, 403, "role_not_admin", None);
    // Another organisation's admin does not even see this one.
    let (other_id, other_admin) = app.producer("other.admin", "110105").await;
    let resp = app
        .try_create_user(&other_admin, org_id, "intruder", "viewer", None)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app
        .get(&format!("/api/v1/organisations/{org_id}/users"), &other_admin)
        .await;
    assert_problem(&resp, 404, "not_found", None);
    let resp = app.get(&format!("/api/v1/users/{rec_id}"), &other_admin).await;
    assert_problem(&resp, 404, "not_found", None);
    assert_eq!(
        app.count(&format!("/api/v1/organisations/{org_id}/users"), &admin)
            .await,
        3
    );
    assert_eq!(
        app.count(&format!("/api/v1/organisations/{other_id}/users"), &other_admin)
            .await,
        1
    );
});

both_backends!(officers_need_a_jurisdiction, |app| async move {
    let code = uscc("11", "510100");
    let (reg_id, admin) = app
        .register_org_in("regulator", None, &code, "510100", "reg.admin")
        .await;
    let resp = app
        .try_create_user(&admin, reg_id, "officer.none", "officer", None)
        .await;
    assert_problem(&resp, 422, "jurisdiction_required", Some("jurisdiction"));
    let resp = app
        .try_create_user(&admin, reg_id, "officer.bad", "officer", Some("51A"))
        .await;
    assert_problem(&resp, 422, "jurisdiction_format", Some("jurisdiction"));
    let resp = app
        .try_create_user(&admin, reg_id, "reg.recorder", "recorder", None)
        .await;
    assert_problem(&resp, 422, "role_not_for_kind", Some("role"));
    app.create_user(&admin, reg_id, "officer.ok", "officer", Some("5101"))
        .await;
    assert_eq!(
        app.count(&format!("/api/v1/organisations/{reg_id}/users"), &admin)
            .await,
        2
    );
    // A regulator's credit code is of category 11 or 12.
    let body = registration("regulator", None, &uscc("91", "510100"), "510100", "reg.bad");
    let resp = app
        .request("POST", "/api/v1/registrations", None, Some(body))
        .await;
    assert_problem(&resp, 422, "uscc_category_kind", Some("organisation.uscc"));
});

both_backends!(login_failures_and_lockout, |app| async move {
    let (org_id, admin) = app.producer("lock.admin", "510115").await;
    app.create_user(&admin, org_id, "lock.viewer", "viewer", None)
        .await;

    let resp = app.try_login("no.such.user", "Whatever-123").await;
    assert_problem(&resp, 401, "invalid_credentials", None);
    for attempt in 1..=4 {
        let resp = app.try_login("lock.viewer", "Wrong-Pass-999").await;
        assert_eq!(resp.0, StatusCode::UNAUTHORIZED, "attempt {attempt}: {}", resp.1);
        assert_problem(&resp, 401, "invalid_credentials", None);
    }
    let resp = app.try_login("lock.viewer", "Wrong-Pass-999").await;
    assert_problem(&resp, 429, "account_locked", None);
    // Locked: even the right password is refused.
    let resp = app.try_login("lock.viewer", USER_PASSWORD).await;
    assert_problem(&resp, 429, "account_locked", None);
    // The lock shows on the user.
    let users = app
        .list(&format!("/api/v1/organisations/{org_id}/users"), &admin)
        .await;
    let viewer = users.iter().find(|u| u["username"] == "lock.viewer").unwrap();
    assert!(viewer["locked_until"].is_string(), "{viewer}");
    // Other accounts are not affected.
    app.login("lock.admin", ADMIN_PASSWORD).await;
});

both_backends!(sessions_cookie_and_logout, |app| async move {
    let (_, token) = app.producer("sess.admin", "510115").await;
    // The same token works as a session cookie.
    let req = axum::http::Request::builder()
        .uri("/api/v1/auth/me")
        .header("cookie", format!("theme=dark; suyuan_session={token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, me) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "sess.admin");

    let (status, _) = app
        .request("POST", "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let resp = app.request("GET", "/api/v1/auth/me", Some(&token), None).await;
    assert_problem(&resp, 401, "unauthenticated", None);
});

both_backends!(api_keys, |app| async move {
    let (org_id, admin) = app.producer("key.admin", "510115").await;
    let (status, created) = app
        .post("/api/v1/api-keys", &admin, json!({"name": "ERP 同步"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("syk_"), "{secret}");
    assert!(secret.len() > 30);
    let prefix = created["prefix"].as_str().unwrap();
    assert!(secret.starts_with(prefix) && prefix.len() < secret.len());
    let key_id = uuid_of(&created["id"]);

    // The key acts as its user.
    let (status, me) = app.get("/api/v1/auth/me", &secret).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "key.admin");
    assert_eq!(me["org_id"], org_id.to_string());
    let p = app.create_product(&secret, "API 录入的辣椒").await;
    assert_eq!(p["org_id"], org_id.to_string());

    // Listed by prefix; the secret is never shown again.
    let (status, list) = app.get("/api/v1/api-keys", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["prefix"], prefix);
    assert_eq!(items[0]["revoked_at"], Value::Null);
    assert!(items[0].get("secret").is_none());
    assert!(!list.to_string().contains(&secret));

    let resp = app.post("/api/v1/api-keys", &admin, json!({"name": ""})).await;
    assert_problem(&resp, 422, "text_empty", Some("name"));

    // Revoked: refused at once.
    let (status, _) = app
        .request(
            "DELETE",
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let resp = app.get("/api/v1/auth/me", &secret).await;
    assert_problem(&resp, 401, "unauthenticated", None);
    let resp = app
        .request(
            "DELETE",
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_problem(&resp, 404, "not_found", None);
    let (_, list) = app.get("/api/v1/api-keys", &admin).await;
    assert!(list["items"][0]["revoked_at"].is_string(), "{list}");

    // A made-up key of the right shape is refused too.
    let resp = app
        .get("/api/v1/auth/me", "syk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_problem(&resp, 401, "unauthenticated", None);
});

both_backends!(duties, |app| async move {
    let (org_id, admin) = app.producer("duty.admin", "510115").await;
    let (status, d) = app
        .put(
            "/api/v1/duties/recording",
            &admin,
            json!({"person_name": "王五", "phone": "13900139000"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["duty"], "recording");
    // Setting it again replaces the person.
    let (status, _) = app
        .put("/api/v1/duties/recording", &admin, json!({"person_name": "赵六"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .put("/api/v1/duties/reporting", &admin, json!({"person_name": "钱七"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = app
        .get(&format!("/api/v1/organisations/{org_id}/duties"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let rec = list.iter().find(|d| d["duty"] == "recording").unwrap();
    assert_eq!(rec["person_name"], "赵六");
    assert_eq!(rec["phone"], Value::Null);

    let resp = app
        .put("/api/v1/duties/cooking", &admin, json!({"person_name": "x"}))
        .await;
    assert_eq!(resp.0, StatusCode::NOT_FOUND, "{}", resp.1);
    assert_eq!(resp.1["field"], "duty");
    let resp = app
        .put(
            "/api/v1/duties/recording",
            &admin,
            json!({"person_name": "王五", "phone": "call me"}),
        )
        .await;
    assert_problem(&resp, 422, "phone_format", Some("phone"));

    // The operator sees the duties; another organisation does not.
    let op = app.operator_token().await;
    let (status, _) = app
        .get(&format!("/api/v1/organisations/{org_id}/duties"), &op)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = app.producer("duty.other", "110105").await;
    let resp = app
        .get(&format!("/api/v1/organisations/{org_id}/duties"), &other)
        .await;
    assert_problem(&resp, 404, "not_found", None);
});

// Every state of an organisation is a logged record: registration, the
// operator's decisions with their reasons and the acting user; a row
// changed behind the store's back is named column by column, and an edited
// record is caught by the log (#13).
both_backends!(organisation_states_are_logged, |app| async move {
    let (org_id, _) = app.pending_producer("hist.admin", "510115").await;
    let op = app.operator_token().await;
    app.verify(org_id).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/organisations/{org_id}/suspend"),
            &op,
            json!({"reason": "抽检发现伪造记录"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let db = app.store.db();
    let records = db
        .conn()
        .fetch_all(
            "SELECT r.action, r.status, r.status_reason, r.acting_user FROM org_records r \
             JOIN tlog_leaves l ON l.event_pk = r.id WHERE r.org_id = $1 ORDER BY l.idx",
            &[org_id.to_string().into()],
        )
        .await
        .unwrap();
    let seen: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.text("action").unwrap(), r.text("status").unwrap()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("registered".into(), "pending".into()),
            ("verified".into(), "verified".into()),
            ("suspended".into(), "suspended".into())
        ]
    );
    assert_eq!(
        records[2].opt_text("status_reason").unwrap().as_deref(),
        Some("抽检发现伪造记录")
    );
    assert!(
        records[0].opt_text("acting_user").unwrap().is_none(),
        "registered by itself"
    );
    assert!(
        records[2].opt_text("acting_user").unwrap().is_some(),
        "the operator acted"
    );
    assert!(app.store.organisations_against_log().await.unwrap().is_empty());
    assert!(app.store.verify_log().await.unwrap().is_ok());

    // Behind the store's back: a name and a status.
    db.conn()
        .execute(
            "UPDATE organisations SET name = $1, status = $2 WHERE id = $3",
            &["冒名机构".into(), "verified".into(), org_id.to_string().into()],
        )
        .await
        .unwrap();
    let wrong = app.store.organisations_against_log().await.unwrap();
    let columns: Vec<&str> = wrong.iter().map(|m| m.column.as_str()).collect();
    assert_eq!(columns, vec!["name", "status"], "{wrong:?}");
    // `suyuan verify` names them.
    let report = app.store.verify_log().await.unwrap();
    let named: Vec<(&str, &str)> = report
        .problems
        .iter()
        .map(|p| (p.table.as_str(), p.field.as_str()))
        .collect();
    assert_eq!(
        named,
        vec![("organisations", "name"), ("organisations", "status")],
        "{report:?}"
    );
    assert_eq!(wrong[1].expected, "\"suspended\"");
    assert_eq!(wrong[1].found, "\"verified\"");
    // Editing the history itself is caught by the log.
    db.conn()
        .execute(
            "UPDATE org_records SET status_reason = NULL WHERE org_id = $1 AND action = 'suspended'",
            &[org_id.to_string().into()],
        )
        .await
        .unwrap();
    let report = app.store.verify_log().await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.table == "org_records"),
        "{:?}",
        report.problems
    );
});
