//! The backups' report over HTTP: the operator reads the
//! scheduled runs and their drills, newest first, at `GET /api/v1/backups`
//! and on the console's health page; a tenant and an anonymous caller are
//! refused. (The runs themselves are taken and drilled by `suyuan serve`:
//! `crates/cli/tests/backup/`.)

use axum::http::StatusCode;
use suyuan_store::backup::{NewBackupRun, DRILL_FAILED, DRILL_PASSED};

use super::{Calls, Op};
use crate::common::*;
use crate::console::sign_in;

const LIST: Op = ("GET", "/api/v1/backups");

pub(super) const OPS: &[Op] = &[LIST];

fn run(at: i64, outcome: &'static str, error: Option<&str>) -> NewBackupRun {
    NewBackupRun {
        started_at: at,
        file_name: format!("suyuan-{at}.backup"),
        size_bytes: 4096,
        sha256: "ab".repeat(32),
        tree_size: 7,
        root: "cd".repeat(32),
        drill_outcome: outcome,
        drill_at: Some(at + 10),
        seconds: 0.5,
        error: error.map(str::to_owned),
    }
}

both_backends!(backups_are_the_operators, |app| async move {
    let calls = Calls::new(app, OPS);
    let now = suyuan_store::now_ms();
    app.store
        .record_backup_run(&run(now - 1000, DRILL_PASSED, None))
        .await
        .unwrap();
    app.store
        .record_backup_run(&run(now, DRILL_FAILED, Some("restore_mismatch: root differs")))
        .await
        .unwrap();
    let op = app.operator_token().await;
    let runs = calls.expect(LIST, LIST.1, &op, None, 200).await;
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["drill_outcome"], "failed");
    assert_eq!(runs[0]["error"], "restore_mismatch: root differs");
    assert_eq!(runs[1]["drill_outcome"], "passed");
    assert_eq!(runs[1]["tree_size"], 7);
    let one = calls
        .expect(LIST, "/api/v1/backups?limit=1", &op, None, 200)
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    let last = app.store.last_backup_drill().await.unwrap().unwrap();
    assert_eq!(last.drill_outcome, "failed");
    // A tenant's admin and an anonymous caller are refused.
    let (_, farmer) = app.producer("backups.farmer", "510115").await;
    let refused = app.get(LIST.1, &farmer).await;
    assert_problem(&refused, 403, "operator_only", None);
    let (status, _) = app.request("GET", LIST.1, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The console's health page shows them to the operator.
    let browser = sign_in(app, "admin", OPERATOR_PASSWORD).await;
    let (status, _, page) = browser.get(app, "/console/operator/health").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"backups\"") && page.contains("恢复演练失败"),
        "{page}"
    );
    assert!(page.contains(&format!("suyuan-{now}.backup")), "{page}");
    calls.finish();
});
