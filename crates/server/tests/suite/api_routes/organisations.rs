//! Registrations, the operator's decisions on organisations, duties, and
//! company prefix claims.

use super::{nobodys, Calls, Op};
use crate::common::*;
use serde_json::{json, Value};
use uuid::Uuid;

const REGISTER: Op = ("POST", "/api/v1/registrations");
const CREATE_ORG: Op = ("POST", "/api/v1/organisations");
const LIST_ORGS: Op = ("GET", "/api/v1/organisations");
const GET_ORG: Op = ("GET", "/api/v1/organisations/{id}");
const VERIFY_ORG: Op = ("POST", "/api/v1/organisations/{id}/verify");
const SUSPEND_ORG: Op = ("POST", "/api/v1/organisations/{id}/suspend");
const RESTORE_ORG: Op = ("POST", "/api/v1/organisations/{id}/restore");
const DUTIES: Op = ("GET", "/api/v1/organisations/{id}/duties");
const SET_DUTY: Op = ("PUT", "/api/v1/duties/{duty}");
const CLAIM: Op = ("POST", "/api/v1/company-prefixes");
const LIST_CLAIMS: Op = ("GET", "/api/v1/company-prefixes");
const VERIFY_CLAIM: Op = ("POST", "/api/v1/company-prefixes/{id}/verify");
const REJECT_CLAIM: Op = ("POST", "/api/v1/company-prefixes/{id}/reject");

pub(super) const OPS: &[Op] = &[
    REGISTER,
    CREATE_ORG,
    LIST_ORGS,
    GET_ORG,
    VERIFY_ORG,
    SUSPEND_ORG,
    RESTORE_ORG,
    DUTIES,
    SET_DUTY,
    CLAIM,
    LIST_CLAIMS,
    VERIFY_CLAIM,
    REJECT_CLAIM,
];

/// The ids of a list's items.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A path of `op` for the record `id`.
fn at(op: Op, id: &str) -> String {
    op.1.replace("{id}", id)
}

/// A registration reviewed by the operator; another tenant sees none of it
/// and decides nothing. Answers the registered organisation's id and its
/// admin's token.
async fn registration_and_review(calls: &Calls<'_>, app: &TestApp, op: &str, other: &str) -> (Uuid, String) {
    let code = uscc("91", "510115");
    let body = registration("producer", Some("farm"), &code, "510115", "routes.org");
    let (status, reg) = calls.call(REGISTER, REGISTER.1, None, Some(body)).await;
    assert_eq!(status.as_u16(), 201, "{reg}");
    assert_eq!(reg["organisation"]["status"], "pending");
    assert_eq!(reg["organisation"]["uscc"], code);
    assert_eq!(reg["organisation"]["name"], "测试机构routes.org");
    assert_eq!(reg["admin"]["username"], "routes.org");
    assert_eq!(reg["admin"]["role"], "org_admin");
    let id = reg["organisation"]["id"].as_str().unwrap().to_owned();
    let admin = app.login("routes.org", ADMIN_PASSWORD).await;

    let pending = calls
        .expect(LIST_ORGS, "/api/v1/organisations?status=pending", op, None, 200)
        .await;
    assert_eq!(ids(&pending), [id.as_str()], "the review queue");
    let own = calls.expect(LIST_ORGS, LIST_ORGS.1, &admin, None, 200).await;
    assert_eq!(ids(&own), [id.as_str()], "a tenant lists only itself");

    let got = calls.expect(GET_ORG, &at(GET_ORG, &id), &admin, None, 200).await;
    assert_eq!(got["name"], "测试机构routes.org");
    assert_eq!(got["legal_rep_id_masked"], "110105********1239");
    calls
        .foreign(GET_ORG, &at(GET_ORG, &id), &at(GET_ORG, &nobodys()), other, None)
        .await;

    for decision in [VERIFY_ORG, SUSPEND_ORG, RESTORE_ORG] {
        calls
            .not_operator(decision, &at(decision, &id), &at(decision, &nobodys()), other)
            .await;
    }
    let verified = calls
        .expect(VERIFY_ORG, &at(VERIFY_ORG, &id), op, Some(json!({})), 200)
        .await;
    assert_eq!(verified["status"], "verified");
    (Uuid::parse_str(&id).unwrap(), admin)
}

/// An organisation the operator registers, suspends and restores.
async fn operator_decisions(calls: &Calls<'_>, op: &str) {
    let code = uscc("91", "510104");
    let new = registration("retailer", None, &code, "510104", "routes.org.shop")["organisation"].clone();
    let created = calls.expect(CREATE_ORG, CREATE_ORG.1, op, Some(new), 201).await;
    assert_eq!(created["kind"], "retailer");
    assert_eq!(created["uscc"], code);
    let id = created["id"].as_str().unwrap().to_owned();
    let all = listed_by_operator(calls, op).await;
    assert!(all.contains(&id), "the operator lists every organisation");

    let reason = "营业执照过期 / business licence expired";
    let suspended = calls
        .expect(
            SUSPEND_ORG,
            &at(SUSPEND_ORG, &id),
            op,
            Some(json!({"reason": reason})),
            200,
        )
        .await;
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["status_reason"], reason);
    let restored = calls
        .expect(RESTORE_ORG, &at(RESTORE_ORG, &id), op, Some(json!({})), 200)
        .await;
    assert_eq!(restored["status"], "verified");
}

/// Every organisation the operator lists (first page).
async fn listed_by_operator(calls: &Calls<'_>, op: &str) -> Vec<String> {
    ids(&calls
        .expect(LIST_ORGS, "/api/v1/organisations?limit=200", op, None, 200)
        .await)
}

/// Duties: each organisation names its own people; another tenant reads
/// none of them.
async fn duties(calls: &Calls<'_>, org: Uuid, admin: &str, other: &str) {
    let set = calls
        .expect(
            SET_DUTY,
            "/api/v1/duties/recording",
            admin,
            Some(json!({"person_name": "赵六", "phone": "13800138000"})),
            200,
        )
        .await;
    assert_eq!(set["duty"], "recording");
    assert_eq!(set["person_name"], "赵六");
    calls
        .expect(
            SET_DUTY,
            "/api/v1/duties/recording",
            other,
            Some(json!({"person_name": "孙七"})),
            200,
        )
        .await;
    let path = at(DUTIES, &org.to_string());
    let listed = calls.expect(DUTIES, &path, admin, None, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["person_name"], "赵六", "its own, not the other's");
    assert_eq!(listed[0]["phone"], "13800138000");
    calls
        .foreign(DUTIES, &path, &at(DUTIES, &nobodys()), other, None)
        .await;
}

/// Two prefix claims: one verified, one rejected; only the operator
/// decides, and another tenant does not see them.
async fn prefix_claims(calls: &Calls<'_>, org: Uuid, admin: &str, other: &str, op: &str) {
    let mut claims = Vec::new();
    for n in 0..2 {
        let prefix = format!("{:07}", 6_900_000 + unique() % 99_999);
        let body = json!({"prefix": prefix, "certificate_number": format!("物编注字第 12345{n} 号")});
        let claim = calls.expect(CLAIM, CLAIM.1, admin, Some(body), 201).await;
        assert_eq!(claim["status"], "claimed");
        assert_eq!(claim["prefix"], prefix);
        assert_eq!(claim["org_id"], org.to_string());
        claims.push(claim["id"].as_str().unwrap().to_owned());
    }
    let queue = calls
        .expect(
            LIST_CLAIMS,
            "/api/v1/company-prefixes?status=claimed",
            op,
            None,
            200,
        )
        .await;
    assert_eq!(ids(&queue), claims, "the operator's queue");
    let own = calls.expect(LIST_CLAIMS, LIST_CLAIMS.1, admin, None, 200).await;
    assert_eq!(ids(&own), claims);
    assert!(ids(&calls.expect(LIST_CLAIMS, LIST_CLAIMS.1, other, None, 200).await).is_empty());

    for decision in [VERIFY_CLAIM, REJECT_CLAIM] {
        // Not even the claimant decides.
        calls
            .not_operator(
                decision,
                &at(decision, &claims[0]),
                &at(decision, &nobodys()),
                admin,
            )
            .await;
    }
    let verified = calls
        .expect(
            VERIFY_CLAIM,
            &at(VERIFY_CLAIM, &claims[0]),
            op,
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(verified["status"], "verified");
    assert!(verified["decided_at"].is_string());
    let reason = "证书编号与前缀不符";
    let rejected = calls
        .expect(
            REJECT_CLAIM,
            &at(REJECT_CLAIM, &claims[1]),
            op,
            Some(json!({"reason": reason})),
            200,
        )
        .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["status_reason"], reason);
}

both_backends!(organisations_duties_and_prefixes, |app| async move {
    let calls = Calls::new(app, OPS);
    let op = app.operator_token().await;
    let (_, other) = app.producer("routes.org.other", "110105").await;
    let (org, admin) = registration_and_review(&calls, app, &op, &other).await;
    operator_decisions(&calls, &op).await;
    duties(&calls, org, &admin, &other).await;
    prefix_claims(&calls, org, &admin, &other, &op).await;
    calls.finish();
});
