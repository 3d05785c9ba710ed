//! The audit trail and the block list over HTTP: the audit read by an
//! organisation's admin (its own) and the operator; blocks listed and
//! lifted by the operator alone, refused to a tenant alike for an existing
//! and an unknown id.

use super::{nobodys, Calls, Op};

const AUDIT: Op = ("GET", "/api/v1/audit");
const BLOCKS: Op = ("GET", "/api/v1/security/blocks");
const LIFT: Op = ("DELETE", "/api/v1/security/blocks/{id}");

pub(super) const OPS: &[Op] = &[AUDIT, BLOCKS, LIFT];

both_backends!(audit_and_blocks_read_and_lifted, |app| async move {
    let calls = Calls::new(app, OPS);
    let (_, admin) = app.producer("routes.sec", "510115").await;
    let op = app.operator_token().await;
    let mine = calls
        .expect(AUDIT, "/api/v1/audit?limit=5", &admin, None, 200)
        .await;
    assert!(mine["items"].is_array());
    calls
        .expect(AUDIT, "/api/v1/audit?outcome=ok", &op, None, 200)
        .await;
    let until = suyuan_store::now_ms() + 60_000;
    let block = app
        .store
        .add_block("10.77.0.1", "path_scanning", until)
        .await
        .unwrap();
    let list = calls.expect(BLOCKS, BLOCKS.1, &op, None, 200).await;
    assert_eq!(list[0]["client"], "10.77.0.1");
    assert_eq!(list[0]["reason"], "path_scanning");
    assert_eq!(list[0]["active"], true);
    calls.expect(BLOCKS, BLOCKS.1, &admin, None, 403).await;
    let path = format!("/api/v1/security/blocks/{}", block.id);
    let unknown = format!("/api/v1/security/blocks/{}", nobodys());
    calls.not_operator(LIFT, &path, &unknown, &admin).await;
    calls.expect(LIFT, &path, &op, None, 204).await;
    let list = calls.expect(BLOCKS, BLOCKS.1, &op, None, 200).await;
    assert_eq!(list[0]["active"], false);
    assert!(list[0]["lifted_at"].is_string());
    calls.finish();
});
