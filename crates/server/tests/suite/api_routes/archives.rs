//! The archives of chapter 4.3 over HTTP: every operation called with
//! success, and each that names an entry or a file tried as another
//! tenant (404, like an id nobody has). The rules themselves (versions,
//! files, closing a nonconformity, who may write) are `archives.rs`'s.

use super::{nobodys, Calls, Op};
use crate::archives::{audit, document, nonconformity, training, PDF};
use crate::trace_chain::*;
use serde_json::{json, Value};

const UPLOAD: Op = ("POST", "/api/v1/archives/attachments");
const DOWNLOAD: Op = ("GET", "/api/v1/archives/attachments/{id}");
const DOCS: Op = ("POST", "/api/v1/archives/documents");
const DOC_LIST: Op = ("GET", "/api/v1/archives/documents");
const DOC: Op = ("GET", "/api/v1/archives/documents/{id}");
const DOC_PUT: Op = ("PUT", "/api/v1/archives/documents/{id}");
const CUSTOMERS: Op = ("POST", "/api/v1/archives/customers");
const CUSTOMER_LIST: Op = ("GET", "/api/v1/archives/customers");
const CUSTOMER: Op = ("GET", "/api/v1/archives/customers/{id}");
const CUSTOMER_PUT: Op = ("PUT", "/api/v1/archives/customers/{id}");
const SHIPMENTS: Op = ("GET", "/api/v1/archives/customers/{id}/shipments");
const SALES: Op = ("GET", "/api/v1/archives/customers/{id}/sales");
const TRAININGS: Op = ("POST", "/api/v1/archives/trainings");
const TRAINING_LIST: Op = ("GET", "/api/v1/archives/trainings");
const TRAINING: Op = ("GET", "/api/v1/archives/trainings/{id}");
const TRAINING_PUT: Op = ("PUT", "/api/v1/archives/trainings/{id}");
const AUDITS: Op = ("POST", "/api/v1/archives/audits");
const AUDIT_LIST: Op = ("GET", "/api/v1/archives/audits");
const AUDIT: Op = ("GET", "/api/v1/archives/audits/{id}");
const AUDIT_PUT: Op = ("PUT", "/api/v1/archives/audits/{id}");
const NC_NEW: Op = ("POST", "/api/v1/archives/audits/{id}/nonconformities");
const NC_LIST: Op = ("GET", "/api/v1/archives/nonconformities");
const NC: Op = ("GET", "/api/v1/archives/nonconformities/{id}");
const NC_PUT: Op = ("PUT", "/api/v1/archives/nonconformities/{id}");
const SEASON: Op = ("GET", "/api/v1/archives/season-dossier");

pub(super) const OPS: &[Op] = &[
    UPLOAD,
    DOWNLOAD,
    DOCS,
    DOC_LIST,
    DOC,
    DOC_PUT,
    CUSTOMERS,
    CUSTOMER_LIST,
    CUSTOMER,
    CUSTOMER_PUT,
    SHIPMENTS,
    SALES,
    TRAININGS,
    TRAINING_LIST,
    TRAINING,
    TRAINING_PUT,
    AUDITS,
    AUDIT_LIST,
    AUDIT,
    AUDIT_PUT,
    NC_NEW,
    NC_LIST,
    NC,
    NC_PUT,
    SEASON,
];

/// Creates an entry with `create`, reads it, lists it, records its next
/// version, and tries the entry's operations as `other`; answers the entry.
#[allow(clippy::too_many_arguments)]
async fn entry_ops(
    calls: &Calls<'_>,
    token: &str,
    other: &str,
    [create, list, get, put]: [Op; 4],
    body: Value,
) -> String {
    let made = calls
        .expect(create, create.1, token, Some(body.clone()), 201)
        .await;
    let id = made["current"]["entry_id"].as_str().unwrap().to_owned();
    let listed = calls.expect(list, list.1, token, None, 200).await;
    assert_eq!(listed["items"][0]["entry_id"], id.as_str());
    let path = get.1.replace("{id}", &id);
    let unknown = get.1.replace("{id}", &nobodys());
    let read = calls.expect(get, &path, token, None, 200).await;
    assert_eq!(read["current"]["version"], 1);
    calls.foreign(get, &path, &unknown, other, None).await;
    let next = calls.expect(put, &path, token, Some(body.clone()), 200).await;
    assert_eq!(next["current"]["version"], 2);
    assert_eq!(next["history"].as_array().unwrap().len(), 2);
    calls.foreign(put, &path, &unknown, other, Some(body)).await;
    id
}

both_backends!(
    archives_documents_customers_training_and_audits,
    |app| async move {
        let calls = Calls::new(app, OPS);
        let w = World::new(app, "routes.arc").await;
        let (token, other) = (w.producer.token.as_str(), w.retailer.token.as_str());
        let (status, file) = calls
            .call_bytes(
                UPLOAD,
                "/api/v1/archives/attachments?file_name=plan.pdf",
                token,
                PDF.to_vec(),
            )
            .await;
        assert_eq!(status.as_u16(), 201, "{file}");
        let path = DOWNLOAD.1.replace("{id}", file["id"].as_str().unwrap());
        let (status, _) = calls.call(DOWNLOAD, &path, Some(token), None).await;
        assert_eq!(status.as_u16(), 200);
        calls
            .foreign(
                DOWNLOAD,
                &path,
                &DOWNLOAD.1.replace("{id}", &nobodys()),
                other,
                None,
            )
            .await;
        let mut doc = document("追溯管理制度");
        doc["attachment_id"] = file["id"].clone();
        entry_ops(&calls, token, other, [DOCS, DOC_LIST, DOC, DOC_PUT], doc).await;
        let customer = json!({"kind": "customer", "name": "成都超市", "party_org_id": w.retailer.id});
        let id = entry_ops(
            &calls,
            token,
            other,
            [CUSTOMERS, CUSTOMER_LIST, CUSTOMER, CUSTOMER_PUT],
            customer,
        )
        .await;
        let path = SHIPMENTS.1.replace("{id}", &id);
        let ships = calls.expect(SHIPMENTS, &path, token, None, 200).await;
        assert!(
            ships[0]["despatch_ref"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{}", w.despatch)),
            "{ships}"
        );
        calls
            .foreign(
                SHIPMENTS,
                &path,
                &SHIPMENTS.1.replace("{id}", &nobodys()),
                other,
                None,
            )
            .await;
        let mut sold = sale(&w.l1, &w.base, &t(10, 8));
        sold["agri:buyer"] = json!(id);
        record(app, &w.producer, vec![sold]).await;
        let path = SALES.1.replace("{id}", &id);
        let sales = calls.expect(SALES, &path, token, None, 200).await;
        assert_eq!(sales[0]["linked_by"], "buyer", "{sales}");
        calls
            .foreign(SALES, &path, &SALES.1.replace("{id}", &nobodys()), other, None)
            .await;
        entry_ops(
            &calls,
            token,
            other,
            [TRAININGS, TRAINING_LIST, TRAINING, TRAINING_PUT],
            training(),
        )
        .await;
        let audit_id = entry_ops(
            &calls,
            token,
            other,
            [AUDITS, AUDIT_LIST, AUDIT, AUDIT_PUT],
            audit(),
        )
        .await;
        let path = NC_NEW.1.replace("{id}", &audit_id);
        let body = nonconformity("2026-04-01");
        let made = calls.expect(NC_NEW, &path, token, Some(body.clone()), 201).await;
        calls
            .foreign(
                NC_NEW,
                &path,
                &NC_NEW.1.replace("{id}", &nobodys()),
                other,
                Some(body.clone()),
            )
            .await;
        let nc = made["current"]["entry_id"].as_str().unwrap();
        let listed = calls.expect(NC_LIST, NC_LIST.1, token, None, 200).await;
        assert_eq!(listed["items"][0]["entry_id"], nc);
        let path = NC.1.replace("{id}", nc);
        let unknown = NC.1.replace("{id}", &nobodys());
        calls.expect(NC, &path, token, None, 200).await;
        calls.foreign(NC, &path, &unknown, other, None).await;
        let mut closed = body.clone();
        closed["status"] = json!("closed");
        closed["verification"] = json!("复查合格");
        let done = calls
            .expect(NC_PUT, &path, token, Some(closed.clone()), 200)
            .await;
        assert_eq!(done["current"]["status"], "closed");
        calls.foreign(NC_PUT, &path, &unknown, other, Some(closed)).await;
        let plot = w.producer.place.rsplit(':').next().unwrap().to_owned();
        let season = format!("{}?place={plot}&from=2026-03-01&to=2026-03-31", SEASON.1);
        let (status, _) = calls.call(SEASON, &season, Some(token), None).await;
        assert_eq!(status.as_u16(), 200);
        calls.finish();
    }
);
