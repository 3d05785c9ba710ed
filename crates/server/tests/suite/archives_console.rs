//! What is left of the archives of chapter 4.3 (R-4.3.3.2, R-4.3.4.2,
//! .x): sales linked to the customers of the archive (a sale names
//! its buyer, checked against the archive at capture; a wholesale sale
//! resolves to the customer by its destination), listed with the customer
//! and offered as a picker by the console's sale form; the console's edit
//! forms recording new versions (CSRF token, refusals beside the field,
//! another organisation's entry not found); and the officers' read-only
//! archive pages of the enterprises in their jurisdiction. On both
//! backends.

#![allow(clippy::unwrap_used)]

use crate::archives::{archives_in_chain, audit, document, nonconformity, post_multipart, training, PDF};
use crate::common::*;
use crate::console::{sign_in, Browser};
use crate::trace_chain::*;
use axum::http::{header, StatusCode};
use serde_json::{json, Value};

/// Records a customer of `org`; answers its entry id.
async fn customer(app: &TestApp, org: &Org, name: &str, party: Option<uuid::Uuid>) -> String {
    let body = json!({"kind": "distributor", "name": name, "party_org_id": party});
    let (status, c) = app.post("/api/v1/archives/customers", &org.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["current"]["entry_id"].as_str().unwrap().to_owned()
}

/// The number of sale records of `org`.
async fn sales_of(app: &TestApp, org: &Org) -> usize {
    let (status, found) = app.get("/epcis/events?EQ_agri_recordKind=sale", &org.token).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .len()
}

/// A form's fields as the browser helper posts them.
fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The versions of an archive entry, through the API.
async fn history(app: &TestApp, token: &str, kind: &str, entry: &str) -> Vec<Value> {
    let (status, v) = app.get(&format!("/api/v1/archives/{kind}/{entry}"), token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["history"].as_array().unwrap().clone()
}

both_backends!(
    a_sale_names_its_buyer_and_is_listed_with_the_customer,
    |app| async move {
        let w = World::new(app, "arc.sale").await;
        let p = &w.producer;
        let entry = customer(app, p, "成都超市", Some(w.retailer.id)).await;
        // A retail sale naming the customer (by its bare id): stored with
        // the canonical reference.
        let mut sold = sale(&w.l1, &w.base, &t(10, 8));
        sold["agri:buyer"] = json!(entry);
        let id = id_of(&sold);
        record(app, p, vec![sold]).await;
        let (status, stored) = get_event(app, p, &id).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(stored[0]["agri:buyer"], format!("urn:suyuan:customer:{entry}"));
        // A wholesale sale naming no buyer, to the customer's organisation.
        let mut wholesale = sale(&w.l1, &w.base, &t(11, 8));
        wholesale["bizStep"] = json!(agri_step("wholesale"));
        wholesale["destinationList"] =
            json!([{"type": "owning_party", "destination": org_urn(w.retailer.id)}]);
        record(app, p, vec![wholesale]).await;
        // A sale to nobody of the archive is not listed.
        record(app, p, vec![sale(&w.l1, &w.base, &t(12, 8))]).await;
        let (status, sales) = app
            .get(&format!("/api/v1/archives/customers/{entry}/sales"), &p.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{sales}");
        let sales = sales.as_array().unwrap();
        assert_eq!(sales.len(), 2, "{sales:?}");
        assert_eq!(sales[0]["linked_by"], "destination");
        assert_eq!(sales[1]["linked_by"], "buyer");
        assert_eq!(sales[1]["event_id"], id.as_str());
        assert_eq!(sales[1]["units"][0]["quantity"], 5.0);
        assert_eq!(sales[1]["channel"], "门店零售");

        // Another organisation's customer, or an id naming nothing: refused
        // naming the field, nothing stored.
        let theirs = customer(app, &w.retailer, "零售客户", None).await;
        let before = sales_of(app, p).await;
        for buyer in [theirs.clone(), uuid::Uuid::now_v7().to_string()] {
            let mut bad = sale(&w.l1, &w.base, &t(13, 8));
            bad["agri:buyer"] = json!(format!("urn:suyuan:customer:{buyer}"));
            let e = refuse(app, p, bad, "customer_unknown").await;
            assert_eq!(e["field"], "agri:buyer", "{e}");
        }
        let mut garbled = sale(&w.l1, &w.base, &t(13, 8));
        garbled["agri:buyer"] = json!("成都超市");
        let e = refuse(app, p, garbled, "customer_format").await;
        assert_eq!(e["field"], "agri:buyer", "{e}");
        assert_eq!(sales_of(app, p).await, before, "nothing stored");
        let (status, _) = app
            .get(&format!("/api/v1/archives/customers/{theirs}/sales"), &p.token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The console: the sale form picks the buyer among the customers;
        // the customer's page lists its sales.
        let b = sign_in(app, &p.username, ADMIN_PASSWORD).await;
        let (status, _, form) = b.get(app, "/console/records/new/sale").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            form.contains("<select name=\"agri:buyer\"")
                && form.contains(&format!("value=\"urn:suyuan:customer:{entry}\""))
                && form.contains("成都超市"),
            "{form}"
        );
        assert!(
            !form.contains(&theirs),
            "another organisation's customer is not offered"
        );
        let (status, _, page) = b.get(app, &format!("/console/archives/customers/{entry}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"sales\"") && page.contains("门店零售"),
            "{page}"
        );
    }
);

both_backends!(
    console_edits_customers_and_trainings_as_new_versions,
    |app| async move {
        let (org, _, _) = cooperative(app, "arc.edit").await;
        let token = org.token.as_str();
        let b = sign_in(app, &org.username, ADMIN_PASSWORD).await;
        let entry = customer(app, &org, "成都超市", None).await;
        let page_of = format!("/console/archives/customers/{entry}");
        // The entry's page carries its edit form, prefilled.
        let (status, _, page) = b.get(app, &page_of).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"customers-form\"")
                && page.contains(&format!("name=\"entry\" value=\"{entry}\""))
                && page.contains("value=\"成都超市\""),
            "{page}"
        );
        let edit = |name: &str, phone: &str| {
            vec![
                ("entry", entry.clone()),
                ("kind", "distributor".to_owned()),
                ("name", name.to_owned()),
                ("contact_phone", phone.to_owned()),
            ]
        };
        // Without the token: refused, nothing stored.
        let forged = edit("伪造", "");
        let no_token = Browser {
            cookie: b.cookie.clone(),
            csrf: String::new(),
        };
        let (status, _, _) = no_token
            .post(app, "/console/archives/customers", &pairs(&forged))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(history(app, token, "customers", &entry).await.len(), 1);
        // A refusal comes back beside its field, the form as sent; nothing stored.
        let bad = edit("成都超市（新）", "call me");
        let (status, _, page) = b.post(app, "/console/archives/customers", &pairs(&bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("id=\"form-refused\"")
                && page.contains("data-field=\"contact_phone\"")
                && page.contains("value=\"成都超市（新）\""),
            "{page}"
        );
        assert_eq!(history(app, token, "customers", &entry).await.len(), 1);
        // Saved: a new version, and the page shows both.
        let good = edit("成都超市（新）", "028-88886666");
        let (status, headers, _) = b.post(app, "/console/archives/customers", &pairs(&good)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], page_of.as_str());
        let versions = history(app, token, "customers", &entry).await;
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1]["name"], "成都超市（新）");
        let (_, _, page) = b.get(app, &page_of).await;
        assert!(
            page.contains("v1 · ") && page.contains("v2 · ") && page.contains("成都超市（新）"),
            "{page}"
        );

        // A training session: its next version keeps its material.
        let (status, made) = app.post("/api/v1/archives/trainings", token, training()).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let t_entry = made["current"]["entry_id"].as_str().unwrap().to_owned();
        let (_, _, page) = b
            .get(app, &format!("/console/archives/trainings/{t_entry}"))
            .await;
        assert!(
            page.contains("id=\"trainings-form\"") && page.contains("王五\n赵六"),
            "{page}"
        );
        let t_fields = [
            ("entry", t_entry.as_str()),
            ("held_on", "2026-02-11"),
            ("topic", "农药安全间隔期"),
            ("content", "安全间隔期与记录要求（补课）"),
            ("trainer", "李四"),
            ("attendees", "王五\n赵六\n孙七"),
        ];
        let (status, _, _) = post_multipart(
            app,
            &b,
            "/console/archives/trainings",
            &t_fields,
            Some(("签到.pdf", PDF)),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let versions = history(app, token, "trainings", &t_entry).await;
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1]["attendees"], json!(["王五", "赵六", "孙七"]));
        // Without the token, nothing.
        let no_token_b = Browser {
            cookie: b.cookie.clone(),
            csrf: String::new(),
        };
        let (status, _, _) =
            post_multipart(app, &no_token_b, "/console/archives/trainings", &t_fields, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(history(app, token, "trainings", &t_entry).await.len(), 2);

        // Another organisation's user: the pages are not found, an edit
        // posted to its entries is not found and stores nothing.
        let other = company(app, "retailer", "arc.edit2", "store").await;
        let ob = sign_in(app, &other.username, ADMIN_PASSWORD).await;
        for page in [page_of.clone(), format!("/console/archives/trainings/{t_entry}")] {
            let (status, _, _) = ob.get(app, &page).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
        }
        let theirs = edit("抢注", "");
        let (status, _, _) = ob.post(app, "/console/archives/customers", &pairs(&theirs)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(history(app, token, "customers", &entry).await.len(), 2);
    }
);

both_backends!(
    console_edits_audits_and_closes_nonconformities_only_verified,
    |app| async move {
        let (org, _, _) = cooperative(app, "arc.edit.audit").await;
        let token = org.token.as_str();
        let b = sign_in(app, &org.username, ADMIN_PASSWORD).await;
        // An audit: its checklist comes back a line an item.
        let (_, a) = app.post("/api/v1/archives/audits", token, audit()).await;
        let a_entry = a["current"]["entry_id"].as_str().unwrap().to_owned();
        let (_, _, page) = b.get(app, &format!("/console/archives/audits/{a_entry}")).await;
        assert!(page.contains("采收记录及时|nonconforms|两批晚录"), "{page}");
        let a_fields = [
            ("entry", a_entry.as_str()),
            ("audited_on", "2026-03-20"),
            ("scope", "追溯体系运行"),
            ("auditor", "内审员甲"),
            ("checklist", "投入品记录完整|conforms\n采收记录及时|bad"),
        ];
        let (status, _, page) = b.post(app, "/console/archives/audits", &a_fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("data-field=\"checklist[1].result\""), "{page}");
        let mut a_fields = a_fields.to_vec();
        a_fields[4].1 = "投入品记录完整|conforms\n采收记录及时|conforms|已整改";
        let (status, _, _) = b.post(app, "/console/archives/audits", &a_fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(history(app, token, "audits", &a_entry).await.len(), 2);

        // A nonconformity is closed only with its verification, refused
        // beside that field otherwise.
        let path = format!("/api/v1/archives/audits/{a_entry}/nonconformities");
        let (_, n) = app.post(&path, token, nonconformity("2026-04-01")).await;
        let nc = n["current"]["entry_id"].as_str().unwrap().to_owned();
        let close = |verification: &str| {
            vec![
                ("entry", nc.clone()),
                ("description", "采收记录晚于采收两天".to_owned()),
                ("cause", "记录员兼职田间作业".to_owned()),
                ("corrective_action", "采收当日录入，班长核对".to_owned()),
                ("owner", "王五".to_owned()),
                ("due_on", "2026-04-01".to_owned()),
                ("status", "closed".to_owned()),
                ("verification", verification.to_owned()),
            ]
        };
        let unverified = close("");
        let (status, _, page) = b
            .post(app, "/console/archives/nonconformities", &pairs(&unverified))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("data-field=\"verification\""), "{page}");
        assert_eq!(history(app, token, "nonconformities", &nc).await.len(), 1);
        let verified = close("复查四月记录，均当日录入");
        let (status, _, _) = b
            .post(app, "/console/archives/nonconformities", &pairs(&verified))
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let versions = history(app, token, "nonconformities", &nc).await;
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1]["status"], "closed");

        // Another organisation's user: not found, nothing stored.
        let other = company(app, "retailer", "arc.edit.audit2", "store").await;
        let ob = sign_in(app, &other.username, ADMIN_PASSWORD).await;
        for page in [
            format!("/console/archives/audits/{a_entry}"),
            format!("/console/archives/nonconformities/{nc}"),
        ] {
            let (status, _, _) = ob.get(app, &page).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
        }
        let (status, _, _) = ob.post(app, "/console/archives/audits", &a_fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(history(app, token, "audits", &a_entry).await.len(), 2);
        let (status, _, _) = ob
            .post(app, "/console/archives/nonconformities", &pairs(&verified))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(history(app, token, "nonconformities", &nc).await.len(), 2);
    }
);

both_backends!(
    officers_read_the_archives_of_their_jurisdiction_only,
    |app| async move {
        let w = World::new(app, "arc.officer").await;
        archives_in_chain(app, &w.producer, w.retailer.id).await;
        let (_, a) = app
            .post("/api/v1/archives/audits", &w.producer.token, audit())
            .await;
        let path = format!(
            "/api/v1/archives/audits/{}/nonconformities",
            a["current"]["entry_id"].as_str().unwrap()
        );
        let (status, late) = app
            .post(&path, &w.producer.token, nonconformity("2020-01-01"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{late}");
        // Another enterprise of the region keeps its own archives apart.
        let (status, _) = app
            .post(
                "/api/v1/archives/documents",
                &w.retailer.token,
                document("门店制度"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        crate::oversight::officers(app, "arc.officer.o").await;
        let officer = sign_in(app, "arc.officer.o.in", USER_PASSWORD).await;
        let archives = format!("/console/regulator/orgs/{}/archives", w.producer.id);
        let (status, _, page) = officer
            .get(app, &format!("/console/regulator/orgs/{}", w.producer.id))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("href=\"{archives}\"")), "{page}");
        let (status, _, page) = officer.get(app, &archives).await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "质量安全管理制度（修订）",
            "成都超市",
            "农药安全间隔期",
            "追溯体系运行",
            "已逾期",
        ] {
            assert!(page.contains(expected), "{expected}: {page}");
        }
        assert!(
            !page.contains("门店制度"),
            "another enterprise's archives: {page}"
        );
        assert!(!page.contains("action=\"/console/archives/"), "read only: {page}");
        // An entry's page, read only.
        let docs = app.list("/api/v1/archives/documents", &w.producer.token).await;
        let entry = docs[0]["entry_id"].as_str().unwrap();
        let (status, _, page) = officer
            .get(app, &format!("/console/archives/documents/{entry}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("v2 · ") && !page.contains("<form class=\"card\""),
            "{page}"
        );
        // An officer elsewhere: not found; an enterprise's user: refused.
        let far = sign_in(app, "arc.officer.o.out", USER_PASSWORD).await;
        let (status, _, _) = far.get(app, &archives).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = far
            .get(app, &format!("/console/archives/documents/{entry}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let producer = sign_in(app, &w.producer.username, ADMIN_PASSWORD).await;
        let (status, _, _) = producer.get(app, &archives).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);
