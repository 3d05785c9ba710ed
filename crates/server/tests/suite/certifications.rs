//! A product's certifications changed over time, through the API and the
//! console's product page: one added to an existing product, one
//! withdrawn; every change a logged row state, so `verify` stays clean and
//! names a certification row edited behind the store's back. Another
//! organisation's product is not found; a viewer, a pending organisation, a
//! suspended one and the operator are refused.

#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::console::{farm, location, sign_in, ORIGIN};

fn organic(number: &str) -> serde_json::Value {
    json!({"kind": "organic", "number": number, "issuer": "中绿华夏有机产品认证中心",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31"})
}

both_backends!(
    certifications_are_added_and_withdrawn_through_the_api,
    |app| async move {
        let f = farm(app, "cert_api").await;
        let path = format!("/api/v1/products/{}/certifications", f.product_id);
        let (status, held) = app.post(&path, &f.org.token, organic("ORG-API-0001")).await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        assert_eq!(held["number"], "ORG-API-0001");
        assert_eq!(held["product_id"], f.product_id.as_str());
        let cert = held["id"].as_str().unwrap().to_owned();
        let (_, p) = app
            .get(&format!("/api/v1/products/{}", f.product_id), &f.org.token)
            .await;
        assert_eq!(p["certifications"][0]["number"], "ORG-API-0001", "{p}");
        assert!(app.store.rows_against_log().await.unwrap().is_empty());
        // Checked as at creation, the field named; nothing stored on refusal.
        let mut wrong = organic("ORG-API-0002");
        wrong["valid_until"] = json!("2025-12-31");
        let refused = app.post(&path, &f.org.token, wrong).await;
        assert_problem(&refused, 422, "validity_order", Some("valid_until"));
        let refused = app.post(&path, &f.org.token, json!({"kind": "organic"})).await;
        assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);
        let (_, list) = app.get(&path, &f.org.token).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

        // Another organisation: not found, to read, add or withdraw.
        let g = farm(app, "cert_api_other").await;
        assert_problem(&app.get(&path, &g.org.token).await, 404, "not_found", None);
        assert_problem(
            &app.post(&path, &g.org.token, organic("X-1")).await,
            404,
            "not_found",
            None,
        );
        let one = format!("{path}/{cert}");
        let gone = app.request("DELETE", &one, Some(&g.org.token), None).await;
        assert_problem(&gone, 404, "not_found", None);
        // A viewer, a pending organisation and the operator: refused.
        let viewer = app
            .create_user(&f.org.token, f.org.id, "cert_api.viewer", "viewer", None)
            .await;
        assert!(!viewer.is_nil());
        let viewer = app.login("cert_api.viewer", USER_PASSWORD).await;
        assert_eq!(
            app.post(&path, &viewer, organic("X-2")).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, pending) = app.pending_producer("cert_api_pending", "510115").await;
        assert_eq!(
            app.post(&path, &pending, organic("X-3")).await.0,
            StatusCode::FORBIDDEN
        );
        let op = app.operator_token().await;
        let refused = app.post(&path, &op, organic("X-4")).await;
        assert_problem(&refused, 403, "operator_cannot_record", None);
        assert_eq!(
            app.request("DELETE", &one, Some(&op), None).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, list) = app.get(&path, &f.org.token).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

        // Withdrawn: gone from the product, its withdrawal logged.
        let (status, body) = app.request("DELETE", &one, Some(&f.org.token), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (_, p) = app
            .get(&format!("/api/v1/products/{}", f.product_id), &f.org.token)
            .await;
        assert_eq!(p["certifications"], json!([]), "{p}");
        assert_problem(
            &app.request("DELETE", &one, Some(&f.org.token), None).await,
            404,
            "not_found",
            None,
        );
        assert!(app.store.rows_against_log().await.unwrap().is_empty());

        // A certification row edited behind the store's back is named.
        let (_, held) = app.post(&path, &f.org.token, organic("ORG-API-0003")).await;
        app.store
            .db()
            .conn()
            .execute(
                "UPDATE certifications SET valid_until = '2036-12-31' WHERE id = $1",
                &[held["id"].as_str().unwrap().into()],
            )
            .await
            .unwrap();
        let wrong = app.store.rows_against_log().await.unwrap();
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert_eq!(
            (wrong[0].table, wrong[0].column.as_str()),
            ("certifications", "valid_until")
        );

        // A suspended organisation changes nothing.
        let (status, body) = app
            .post(
                &format!("/api/v1/organisations/{}/suspend", f.org.id),
                &op,
                json!({"reason": "虚假认证"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let refused = app.post(&path, &f.org.token, organic("X-5")).await;
        assert_problem(&refused, 403, "organisation_suspended", None);
    }
);

both_backends!(
    the_console_product_page_adds_and_withdraws_certifications,
    |app| async move {
        let f = farm(app, "cert_con").await;
        let b = sign_in(app, "cert_con", ADMIN_PASSWORD).await;
        let page = format!("/console/products/{}", f.product_id);
        let (_, _, list) = b.get(app, "/console/master/products").await;
        assert!(list.contains(&format!("href=\"{page}\"")), "{list}");
        let (status, _, html) = b.get(app, &page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"add-certification\""), "{html}");
        let add = format!("{page}/certifications");
        let form = |until: &'static str| {
            vec![
                ("cert_kind", "green_food"),
                ("cert_number", "LB-15-26010001"),
                ("cert_issuer", "中国绿色食品发展中心"),
                ("cert_valid_from", "2026-01-01"),
                ("cert_valid_until", until),
            ]
        };
        // A refusal beside its field, nothing stored.
        let (status, _, html) = b.post(app, &add, &form("2025-01-01")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("data-field=\"cert_valid_until\""), "{html}");
        let (status, h, html) = b.post(app, &add, &form("2028-12-31")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        assert_eq!(location(&h), page);
        let (_, _, html) = b.get(app, &page).await;
        assert!(html.contains("LB-15-26010001"), "{html}");
        let (_, _, en) = b.get(app, &format!("{page}?lang=en")).await;
        assert!(en.contains("Withdraw"), "{en}");
        let path = format!("/api/v1/products/{}/certifications", f.product_id);
        let (_, held) = app.get(&path, &f.org.token).await;
        let cert = held[0]["id"].as_str().unwrap().to_owned();
        let withdraw = format!("{page}/certifications/{cert}/withdraw");
        // Without the page's token: refused.
        let (status, _, _) = b.post_raw(app, &withdraw, &[], Some(ORIGIN)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Another organisation: not found, its page and its forms.
        farm(app, "cert_con_other").await;
        let other = sign_in(app, "cert_con_other", ADMIN_PASSWORD).await;
        assert_eq!(other.get(app, &page).await.0, StatusCode::NOT_FOUND);
        assert_eq!(other.post(app, &withdraw, &[]).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            other.post(app, &add, &form("2028-12-31")).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, h, _) = b.post(app, &withdraw, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location(&h), page);
        let (_, held) = app.get(&path, &f.org.token).await;
        assert_eq!(held, json!([]));
        assert!(app.store.rows_against_log().await.unwrap().is_empty());
    }
);
