//! The alert webhook on the devices page (issue 18): for an organisation's
//! admin, the URL alerts are posted to (set, change, rotate the secret,
//! remove; the secret is shown once, when made) and the latest deliveries
//! with their status, attempts and last error. Others do not see it.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use suyuan_store::devices::webhooks::WebhookIn;

use super::layout::{csrf_field, esc, local_time, table};
use super::{store_error, Console, PageResult, Posted};
use crate::AppState;

/// Whether the caller manages the webhook.
pub(crate) fn manages(c: &Console) -> bool {
    c.caller.require_verified_recorder().is_ok() && c.caller.require_org_admin().is_ok()
}

/// The webhook section, `secret` shown when it was just made.
pub(crate) async fn section(
    state: &AppState,
    c: &Console,
    secret: Option<&str>,
) -> Result<String, suyuan_store::StoreError> {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let hook = state.store.get_webhook(&c.caller).await?;
    let mut b = format!(
        "<h2>{}</h2><div class=\"card\">",
        l("告警推送（Webhook）", "Alert webhook")
    );
    if let Some(s) = secret {
        let _ = write!(
            b,
            "<p>{}</p><p><code>{}</code></p>",
            l(
                "签名密钥（只显示这一次）：用它校验 Suyuan-Webhook-Signature（HMAC-SHA256，覆盖“时间戳.正文”）。",
                "Signing secret (shown this once): check Suyuan-Webhook-Signature with it (HMAC-SHA256 over \"timestamp.body\")."
            ),
            esc(s)
        );
    }
    match &hook {
        Some(h) => {
            let _ = write!(
                b,
                "<p>{} <code>{}</code> · {} {} · {} {}</p>",
                l("推送地址", "URL"),
                esc(&h.url),
                l("待送达", "pending"),
                h.pending,
                l("已送达", "delivered"),
                h.delivered
            );
        }
        None => {
            let _ = write!(
                b,
                "<p>{}</p>",
                l(
                    "尚未设置：告警只在本页显示。",
                    "Not set: alerts are shown on this page only."
                )
            );
        }
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/console/devices/webhook\">{csrf}\
         <label for=\"webhook-url\">{url}</label><input id=\"webhook-url\" name=\"url\" value=\"{value}\" placeholder=\"https://\">\
         <label><input type=\"checkbox\" name=\"rotate_secret\" value=\"1\"> {rotate}</label>\
         <button>{save}</button></form>",
        csrf = csrf_field(c),
        url = l("推送地址", "URL"),
        value = esc(hook.as_ref().map_or("", |h| h.url.as_str())),
        rotate = l("更换签名密钥", "Rotate the signing secret"),
        save = l("保存", "Save"),
    );
    if hook.is_some() {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/console/devices/webhook/delete\">{}<button class=\"alt\">{}</button></form>",
            csrf_field(c),
            l("删除（待送达的取消）", "Remove (pending deliveries are cancelled)")
        );
    }
    b.push_str("</div>");
    let deliveries = state.store.recent_webhook_deliveries(&c.caller, 20).await?;
    if !deliveries.is_empty() {
        let rows: Vec<Vec<String>> = deliveries
            .iter()
            .map(|d| {
                let status = match d.status.as_str() {
                    "delivered" => l("已送达", "delivered"),
                    "cancelled" => l("已取消", "cancelled"),
                    _ => l("待送达", "pending"),
                };
                vec![
                    esc(&local_time(&d.created_at, "+08:00")),
                    esc(&d.event),
                    status.to_owned(),
                    d.attempts.to_string(),
                    d.next_attempt_at
                        .map(|t| esc(&local_time(&t, "+08:00")))
                        .unwrap_or_default(),
                    esc(d.last_error.as_deref().unwrap_or("")),
                    format!("<code>{}</code>", d.id),
                ]
            })
            .collect();
        let _ = write!(b, "<h3>{}</h3>", l("最近推送", "Latest deliveries"));
        b.push_str(&table(
            &[
                l("时间", "Time"),
                l("事件", "Event"),
                l("状态", "Status"),
                l("尝试次数", "Attempts"),
                l("下次尝试", "Next attempt"),
                l("最近错误", "Last error"),
                "ID",
            ],
            &rows,
        ));
    }
    Ok(b)
}

/// Sets the webhook; the page again, with the secret when one was made.
pub(crate) async fn save(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let req = WebhookIn {
        url: f.get("url").unwrap_or("").to_owned(),
        rotate_secret: f.get("rotate_secret").is_some(),
    };
    let saved = state
        .store
        .set_webhook(&c.caller, &req, state.config.webhook_allow_private)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    super::devices::render(&state, &c, saved.secret.as_deref()).await
}

/// Removes the webhook, back to the page.
pub(crate) async fn remove(State(state): State<AppState>, Posted(c, _): Posted) -> PageResult {
    state
        .store
        .delete_webhook(&c.caller)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to("/console/devices").into_response())
}
