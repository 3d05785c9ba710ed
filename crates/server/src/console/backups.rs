//! The operator's health page's backup section: the newest scheduled
//! backups and how their restore drills ended.

use suyuan_store::backup::{DRILL_FAILED, DRILL_PASSED};
use suyuan_store::StoreError;

use super::layout::{esc, table};
use super::{Console, T};
use crate::AppState;

/// The section (`id="backups"`), for the operator only (the store refuses others).
pub(super) async fn section(state: &AppState, c: &Console) -> Result<String, StoreError> {
    let runs = state.store.backup_runs(&c.caller, 10).await?;
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let outcome = match r.drill_outcome.as_str() {
                DRILL_PASSED => c.lang.pick("恢复演练通过", "restore drill passed").to_owned(),
                DRILL_FAILED => format!(
                    "<span class=\"bad\">{}</span>",
                    c.lang.pick("恢复演练失败", "restore drill FAILED")
                ),
                _ => format!(
                    "<span class=\"bad\">{}</span>",
                    c.lang.pick("备份失败", "backup FAILED")
                ),
            };
            vec![
                esc(&super::layout::local_time(&r.started_at, "+08:00")),
                format!("<code>{}</code>", esc(&r.file_name)),
                r.size_bytes.to_string(),
                r.tree_size.to_string(),
                format!("<code>{}</code>", esc(r.root.get(..16).unwrap_or(&r.root))),
                outcome,
                format!("{:.1} s", r.seconds),
                esc(r.error.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    Ok(format!(
        "<div class=\"card\" id=\"backups\"><h2>{}</h2>{}</div>",
        c.lang.pick("备份与恢复演练", "Backups and restore drills"),
        if rows.is_empty() {
            format!(
                "{} <small>(suyuan serve --backup-every 6h)</small>",
                c.t(T::NoneYet)
            )
        } else {
            table(
                &[
                    c.lang.pick("时间", "Time"),
                    c.lang.pick("文件", "File"),
                    c.lang.pick("字节", "Bytes"),
                    c.lang.pick("日志长度", "Log size"),
                    c.lang.pick("根哈希", "Root"),
                    c.lang.pick("结果", "Outcome"),
                    c.lang.pick("用时", "Took"),
                    c.lang.pick("错误", "Error"),
                ],
                &rows,
            )
        }
    ))
}
