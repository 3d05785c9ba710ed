//! The console's administration screens: the organisation's users and API
//! keys, and its master records, each through the store calls the API
//! makes, with the API's refusals (another organisation's user is not
//! found, a recorder administers nobody, a wrong GTIN is refused beside its
//! field), and typed text shown as text.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;

use crate::common::*;
use crate::console::{farm, sign_in};

both_backends!(
    the_organisation_administers_its_users_and_keys,
    |app| async move {
        let f = farm(app, "con_org").await;
        let admin = sign_in(app, "con_org", ADMIN_PASSWORD).await;
        let (status, _, org) = admin.get(app, "/console/org").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            org.contains("id=\"org-status\">已认证") || org.contains("id=\"org-status\">已审核"),
            "{org}"
        );
        assert!(org.contains("王五"), "the recording duty's person: {org}");

        // A new recorder, who signs in; then a viewer; then disabled.
        let (status, _, page) = admin
            .post(
                app,
                "/console/org/users",
                &[
                    ("username", "con_org_clerk"),
                    ("display_name", "赵记录"),
                    ("password", USER_PASSWORD),
                    ("role", "recorder"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let clerk = sign_in(app, "con_org_clerk", USER_PASSWORD).await;
        // A recorder administers nobody: the API's refusal.
        let (status, _, _) = clerk
            .post(
                app,
                "/console/org/users",
                &[
                    ("username", "con_org_x"),
                    ("display_name", "x"),
                    ("password", USER_PASSWORD),
                    ("role", "org_admin"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let users = app
            .list(&format!("/api/v1/organisations/{}/users", f.org.id), &f.org.token)
            .await;
        let clerk_id = users.iter().find(|u| u["username"] == "con_org_clerk").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(users.len(), 2);
        let (status, _, _) = admin
            .post(
                app,
                &format!("/console/org/users/{clerk_id}/role"),
                &[("role", "viewer")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, u) = app.get(&format!("/api/v1/users/{clerk_id}"), &f.org.token).await;
        assert_eq!(u["role"], "viewer");
        // Another organisation's admin cannot touch this user.
        farm(app, "con_org_other").await;
        let other = sign_in(app, "con_org_other", ADMIN_PASSWORD).await;
        let (status, _, _) = other
            .post(app, &format!("/console/org/users/{clerk_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = admin
            .post(app, &format!("/console/org/users/{clerk_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = app.try_login("con_org_clerk", USER_PASSWORD).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = clerk.get(app, "/console/").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "a disabled user's session ends");

        // An API key, shown once, works until revoked.
        let (status, _, page) = admin.post(app, "/console/org/keys", &[("name", "ERP")]).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let secret = page
            .split("id=\"new-key\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(app.get("/api/v1/auth/me", &secret).await.0, StatusCode::OK);
        let (_, _, again) = admin.get(app, "/console/org").await;
        assert!(!again.contains(&secret), "shown once");
        let key_id = again
            .split("/console/org/keys/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let (status, _, _) = admin
            .post(app, &format!("/console/org/keys/{key_id}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.get("/api/v1/auth/me", &secret).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
);

both_backends!(
    master_records_are_created_with_the_apis_refusals,
    |app| async move {
        let f = farm(app, "con_master").await;
        let b = sign_in(app, "con_master", ADMIN_PASSWORD).await;
        for list in ["places", "products", "suppliers", "inputs", "input-purchases"] {
            let (status, _, page) = b.get(app, &format!("/console/master/{list}")).await;
            assert_eq!(status, StatusCode::OK, "{list}: {page}");
        }
        let (status, _, page) = b
            .post(app, "/console/master/suppliers", &[("name", "郫都农资站")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (_, _, page) = b.get(app, "/console/master/suppliers").await;
        assert!(page.contains("郫都农资站"));
        // What a user typed is text on every page, never markup.
        let (status, _, _) = b
            .post(
                app,
                "/console/master/suppliers",
                &[("name", "<img src=x onerror=alert(1)>")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, page) = b.get(app, "/console/master/suppliers").await;
        assert!(
            page.contains("&lt;img src=x onerror=alert(1)&gt;") && !page.contains("<img"),
            "{page}"
        );
        // A GTIN with a wrong check digit: the API's refusal, beside the field.
        let (status, _, page) = b
            .post(
                app,
                "/console/master/products",
                &[
                    ("gtin", "9520000000001"),
                    ("name", "错码产品"),
                    ("category", "vegetable"),
                    ("unit", "袋"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("data-field=\"gtin\""), "{page}");
        assert!(
            page.contains("value=\"错码产品\""),
            "the form keeps what was typed"
        );
        // A plot belongs to a base: refused beside the base's picker.
        let (status, _, page) = b
            .post(
                app,
                "/console/master/places",
                &[("kind", "plot"), ("name", "二号地块"), ("area_m2", "3000")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("data-field=\"parent_id\""), "{page}");
        let (status, _, page) = b
            .post(
                app,
                "/console/master/places",
                &[("kind", "warehouse"), ("name", "冷库"), ("area_m2", "300")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(app.count("/api/v1/places", &f.org.token).await, 3);
        assert_eq!(app.count("/api/v1/products", &f.org.token).await, 1);
    }
);

/// Posts the product form with these fields.
async fn post_form(
    app: &TestApp,
    b: &crate::console::Browser,
    fields: Vec<(&'static str, String)>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(app, "/console/master/products", &fields).await
}

both_backends!(
    a_products_certifications_are_entered_and_shown,
    |app| async move {
        let f = farm(app, "con_certs").await;
        let b = sign_in(app, "con_certs", ADMIN_PASSWORD).await;
        let gtin = gtin13();
        let product = |number: &'static str, until: &'static str| {
            vec![
                ("gtin", gtin.clone()),
                ("name", "有机辣椒".to_owned()),
                ("category", "vegetable".to_owned()),
                ("unit", "袋".to_owned()),
                ("cert_kind", "organic".to_owned()),
                ("cert_number", number.to_owned()),
                ("cert_issuer", "中绿华夏有机食品认证中心".to_owned()),
                ("cert_valid_from", "2026-01-01".to_owned()),
                ("cert_valid_until", until.to_owned()),
            ]
        };
        // Validity ending before it starts: the store's refusal beside the
        // field, nothing stored.
        let (status, _, page) = post_form(app, &b, product("ORG-2026-0001", "2025-12-31")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("data-field=\"cert_valid_until\""), "{page}");
        assert!(page.contains("value=\"ORG-2026-0001\""), "kept: {page}");
        // A certification without its number.
        let (status, _, page) = post_form(app, &b, product("", "2026-12-31")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("data-field=\"cert_number\""), "{page}");
        assert_eq!(app.count("/api/v1/products", &f.org.token).await, 1);

        let (status, _, page) = post_form(app, &b, product("ORG-2026-0001", "2026-12-31")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (_, _, list) = b.get(app, "/console/master/products").await;
        assert!(
            list.contains("有机产品") && list.contains("ORG-2026-0001"),
            "{list}"
        );
        let (_, _, en) = b.get(app, "/console/master/products?lang=en").await;
        assert!(en.contains("Organic product"), "{en}");
        // What the API stored, and the log's view of it agrees.
        let products = app.list("/api/v1/products", &f.org.token).await;
        let id = products.iter().find(|p| p["name"] == "有机辣椒").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, p) = app.get(&format!("/api/v1/products/{id}"), &f.org.token).await;
        assert_eq!(p["certifications"][0]["kind"], "organic", "{p}");
        assert_eq!(p["certifications"][0]["valid_until"], "2026-12-31");
        assert!(app.store.rows_against_log().await.unwrap().is_empty());
        // Another organisation's list does not show them.
        farm(app, "con_certs_other").await;
        let other = sign_in(app, "con_certs_other", ADMIN_PASSWORD).await;
        let (_, _, theirs) = other.get(app, "/console/master/products").await;
        assert!(!theirs.contains("ORG-2026-0001"));
    }
);
