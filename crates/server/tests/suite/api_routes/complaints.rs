//! Complaints over HTTP: filed without a sign-in, read by reference by
//! anyone who has it (no personal data), and the inbox of the organisation
//! the complaint concerns, which moves it on; another organisation's inbox
//! holds nothing of it and it may not change it.

use super::{Calls, Op};
use crate::trace_chain::*;
use serde_json::json;

const FILE: Op = ("POST", "/api/v1/complaints");
const INBOX: Op = ("GET", "/api/v1/complaints");
const STATUS: Op = ("GET", "/api/v1/complaints/{reference}");
const UPDATE: Op = ("POST", "/api/v1/complaints/{reference}/updates");

pub(super) const OPS: &[Op] = &[FILE, INBOX, STATUS, UPDATE];

both_backends!(complaints_filed_read_and_listed, |app| async move {
    let calls = Calls::new(app, OPS);
    let w = World::new(app, "routes.cmp").await;
    let (status, filed) = calls
        .call(
            FILE,
            FILE.1,
            None,
            Some(json!({"code": w.l1, "category": "label", "description": "标签上的产地与实际不符"})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{filed}");
    let reference = filed["reference"].as_str().unwrap();
    let (status, public) = calls
        .call(STATUS, &format!("/api/v1/complaints/{reference}"), None, None)
        .await;
    assert_eq!(status.as_u16(), 200, "{public}");
    assert_eq!(public["category"], "label");
    assert_eq!(public["status"], "received");
    assert!(public.get("description").is_none(), "{public}");
    let mine = calls.expect(INBOX, INBOX.1, &w.producer.token, None, 200).await;
    assert_eq!(mine[0]["reference"], reference);
    assert_eq!(mine[0]["description"], "标签上的产地与实际不符");
    let theirs = calls.expect(INBOX, INBOX.1, &w.retailer.token, None, 200).await;
    assert_eq!(theirs, json!([]));
    let update = format!("/api/v1/complaints/{reference}/updates");
    let ack = json!({"status": "acknowledged"});
    let unknown = "/api/v1/complaints/TS2222222222/updates";
    calls
        .foreign(UPDATE, &update, unknown, &w.retailer.token, Some(ack.clone()))
        .await;
    let public = calls
        .expect(UPDATE, &update, &w.producer.token, Some(ack), 201)
        .await;
    assert_eq!(public["status"], "acknowledged");
    calls.finish();
});
