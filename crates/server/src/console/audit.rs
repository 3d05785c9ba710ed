//! The audit and security screens:
//! `/console/audit` for an organisation's admin (its own records) and the
//! operator (the platform's), with the API's filters as a GET form, charts
//! drawn on the server ([`super::charts`]): events over time by outcome and
//! by action, top users, top refused clients; then the records, newest
//! first. `/console/security` for the operator: the blocks with a form to
//! lift each (CSRF-protected) and the recent detections.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect};
use chrono::{NaiveDate, TimeZone};
use suyuan_store::audit::{AuditEvent, AuditFilter, AuditSummary};
use suyuan_store::PageRequest;
use uuid::Uuid;

use super::charts::{bars, stacked};
use super::layout::{csrf_field, esc, page, table};
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::api::audit::time;
use crate::error::ApiError;
use crate::AppState;

/// China time, as the console shows it.
const OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The form's values as given.
#[derive(Debug, Default)]
struct Form {
    user: String,
    action: String,
    resource: String,
    outcome: String,
    from: String,
    to: String,
    after: Option<Uuid>,
}

fn form(query: Option<&str>) -> Form {
    let mut f = Form::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let v = v.trim().to_owned();
        match k.as_ref() {
            "user" => f.user = v,
            "action" => f.action = v,
            "resource" => f.resource = v,
            "outcome" => f.outcome = v,
            "from" => f.from = v,
            "to" => f.to = v,
            "after" => f.after = Uuid::parse_str(&v).ok(),
            _ => {}
        }
    }
    f
}

/// A `YYYY-MM-DD` day in China time as ms since the epoch; `end` for the
/// day after.
fn day_ms(field: &str, text: &str, end: bool) -> Result<Option<i64>, ApiError> {
    if text.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("{field}: a day like 2026-01-31"),
            format!("{field}：日期格式应为 2026-01-31"),
        )
        .with_field(field)
    })?;
    let start = chrono::Utc
        .from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .timestamp_millis()
        - OFFSET_MS;
    Ok(Some(if end { start + DAY_MS } else { start }))
}

fn filter(f: &Form) -> Result<AuditFilter, ApiError> {
    let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let user_id = match f.user.as_str() {
        "" => None,
        u => Some(Uuid::parse_str(u).map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_query",
                "user: a user's id",
                "user：应为用户 ID",
            )
            .with_field("user")
        })?),
    };
    Ok(AuditFilter {
        user_id,
        org_id: None,
        action: opt(&f.action),
        resource: opt(&f.resource),
        outcome: opt(&f.outcome),
        from: day_ms("from", &f.from, false)?,
        to: day_ms("to", &f.to, true)?,
    })
}

fn local(ms: i64) -> String {
    super::layout::local_time(&time(ms), "+08:00")
}

/// The filter form (GET).
fn filter_form(c: &Console, f: &Form) -> String {
    let field = |name: &str, zh: &str, en: &str, value: &str, kind: &str| {
        format!(
            "<label>{} <input type=\"{kind}\" name=\"{name}\" value=\"{}\"></label>",
            esc(c.lang.pick(zh, en)),
            esc(value)
        )
    };
    format!(
        "<form class=\"card\" method=\"get\" action=\"/console/audit\">{}{}{}{}{}{}<button>{}</button></form>",
        field("user", "用户 ID", "User id", &f.user, "text"),
        field("action", "操作", "Action", &f.action, "text"),
        field("resource", "资源（前缀）", "Resource (prefix)", &f.resource, "text"),
        field("outcome", "结果", "Outcome", &f.outcome, "text"),
        field("from", "起始日期", "From", &f.from, "date"),
        field("to", "截止日期", "To", &f.to, "date"),
        esc(c.lang.pick("筛选", "Filter")),
    )
}

/// The charts of a summary, buckets from `start` in steps of `bucket`.
fn charts(c: &Console, s: &AuditSummary, start: i64, end: i64, bucket: i64) -> String {
    let n = ((end - start) / bucket + 1).clamp(1, 60) as usize;
    let first = start / bucket * bucket;
    let labels: Vec<String> = (0..n)
        .map(|i| local(first + i as i64 * bucket).chars().skip(5).collect())
        .collect();
    let series = |rows: &[(i64, String, i64)], keep: usize| {
        let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
        for (_, k, v) in rows {
            *totals.entry(k).or_default() += v;
        }
        let mut names: Vec<(&str, i64)> = totals.into_iter().collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let kept: Vec<&str> = names.iter().take(keep).map(|x| x.0).collect();
        let mut out: Vec<(String, Vec<i64>)> = kept.iter().map(|k| ((*k).to_owned(), vec![0; n])).collect();
        let mut other = vec![0; n];
        for (b, k, v) in rows {
            let i = (((b - first) / bucket).max(0) as usize).min(n - 1);
            match kept.iter().position(|x| x == k) {
                Some(p) => out[p].1[i] += v,
                None => other[i] += v,
            }
        }
        if other.iter().any(|v| *v > 0) {
            out.push((c.lang.pick("其他", "other").to_owned(), other));
        }
        out
    };
    let users: Vec<(String, i64)> = s.top_users.iter().map(|(_, u, n)| (u.clone(), *n)).collect();
    format!(
        "<h2>{}</h2>{}<h2>{}</h2>{}<h2>{}</h2>{}<h2>{}</h2>{}",
        esc(c.lang.pick("按结果的事件数", "Events over time by outcome")),
        stacked(
            c.lang.pick("按结果", "By outcome"),
            &labels,
            &series(&s.by_time_outcome, 7)
        ),
        esc(c.lang.pick("按操作的事件数", "Events over time by action")),
        stacked(
            c.lang.pick("按操作", "By action"),
            &labels,
            &series(&s.by_time_action, 6)
        ),
        esc(c.lang.pick("最活跃用户", "Top users")),
        bars(c.lang.pick("最活跃用户", "Top users"), &users),
        esc(c.lang.pick("被拒绝最多的客户端", "Top refused clients")),
        bars(
            c.lang.pick("被拒绝最多的客户端", "Top refused clients"),
            &s.top_refused_clients
        ),
    )
}

/// The heading of a table of audit records; `action` names its third column.
fn event_head<'a>(c: &Console, action: &'a str) -> [&'a str; 7] {
    [
        c.lang.pick("时间", "Time"),
        c.lang.pick("用户", "User"),
        action,
        c.lang.pick("资源", "Resource"),
        c.lang.pick("结果", "Outcome"),
        c.t(T::Code),
        c.lang.pick("客户端", "Client"),
    ]
}

fn event_rows(events: &[AuditEvent]) -> Vec<Vec<String>> {
    events
        .iter()
        .map(|e| {
            vec![
                esc(&local(e.at)),
                e.user_id
                    .map(|u| format!("<code>{u}</code>"))
                    .unwrap_or_else(|| "—".into()),
                esc(&e.action),
                format!("<code>{}</code>", esc(&e.resource)),
                format!("{} ({})", esc(&e.outcome), e.status),
                esc(e.code.as_deref().unwrap_or("")),
                format!("<code>{}</code>", esc(&e.client)),
            ]
        })
        .collect()
}

/// `/console/audit`.
pub(crate) async fn index(State(state): State<AppState>, c: Console, RawQuery(q): RawQuery) -> PageResult {
    let f = form(q.as_deref());
    let mut flt = filter(&f).map_err(|e| error_page(c.lang, e))?;
    state.audit.flush_within(std::time::Duration::from_secs(2)).await;
    let page_req = PageRequest {
        limit: 50,
        after: f.after,
    };
    let events = state
        .store
        .audit_events(&c.caller, &flt, page_req)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let now = suyuan_store::now_ms();
    let end = flt.to.unwrap_or(now);
    let start = flt.from.unwrap_or(end - 7 * DAY_MS);
    flt.from = Some(start);
    let bucket = (((end - start) / 24).max(1) + 3_599_999) / 3_600_000 * 3_600_000;
    let summary = state
        .store
        .audit_summary(&c.caller, &flt, bucket)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let head = event_head(&c, c.lang.pick("操作", "Action"));
    let next = events.next_cursor.map_or(String::new(), |cur| {
        let href = super::layout::with_param(&c.here, "after", &cur.to_string());
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            esc(&href),
            esc(c.lang.pick("下一页", "Next page"))
        )
    });
    let scope = if c.caller.is_operator() {
        c.lang.pick("全平台", "the whole platform")
    } else {
        c.lang.pick("本机构", "your organisation")
    };
    let body = format!(
        "<h1>{}</h1><p>{}: {}</p>{}{}<h2>{}</h2>{}{next}",
        esc(c.lang.pick("审计记录", "Audit trail")),
        esc(c.lang.pick("范围", "Scope")),
        esc(scope),
        filter_form(&c, &f),
        charts(&c, &summary, start, end, bucket),
        esc(c.lang.pick("记录", "Records")),
        table(&head, &event_rows(&events.items)),
    );
    Ok(Html(page(&c, c.lang.pick("审计记录", "Audit trail"), &body)).into_response())
}

/// `/console/security`: the operator's view of blocks and detections.
pub(crate) async fn security(State(state): State<AppState>, c: Console) -> PageResult {
    c.caller.require_operator().map_err(|e| store_error(c.lang, e))?;
    let now = suyuan_store::now_ms();
    let blocks = state
        .store
        .list_blocks(&c.caller, now)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| {
            let active = b.lifted_at.is_none() && b.until_at > now;
            let reason = suyuan_core::intrusion::Attack::from_code(&b.reason)
                .map_or_else(|| b.reason.clone(), |a| c.lang.pick(a.zh(), a.code()).to_owned());
            let action = if active {
                format!(
                    "<form method=\"post\" action=\"/console/security/blocks/{}/unblock\">{}<button>{}</button></form>",
                    b.id,
                    csrf_field(&c),
                    esc(c.lang.pick("解除", "Unblock"))
                )
            } else {
                esc(c.lang.pick("已结束", "ended"))
            };
            vec![
                format!("<code>{}</code>", esc(&b.client)),
                esc(&reason),
                esc(&local(b.created_at)),
                esc(&local(b.until_at)),
                action,
            ]
        })
        .collect();
    state.audit.flush_within(std::time::Duration::from_secs(2)).await;
    let detections = state
        .store
        .audit_events(
            &c.caller,
            &AuditFilter {
                resource: Some("/api/v1/security/blocks/".into()),
                outcome: Some("blocked".into()),
                ..AuditFilter::default()
            },
            PageRequest::first(50),
        )
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let head = [
        c.lang.pick("客户端", "Client"),
        c.lang.pick("原因", "Reason"),
        c.lang.pick("开始", "From"),
        c.lang.pick("截止", "Until"),
        "",
    ];
    let dhead = event_head(&c, c.lang.pick("检测", "Detection"));
    let body = format!(
        "<h1>{}</h1><h2>{}</h2>{}<h2>{}</h2>{}<p><a href=\"/console/audit\">{}</a></p>",
        esc(c.lang.pick("入侵防护", "Intrusion defence")),
        esc(c.lang.pick("被阻止的客户端", "Blocked clients")),
        table(&head, &rows),
        esc(c.lang.pick("最近的检测", "Recent detections")),
        table(&dhead, &event_rows(&detections.items)),
        esc(c.lang.pick("审计记录", "Audit trail")),
    );
    Ok(Html(page(&c, c.lang.pick("入侵防护", "Intrusion defence"), &body)).into_response())
}

/// Lifts a block (the operator; the form carries the CSRF token).
pub(crate) async fn unblock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(c, _): Posted,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| error_page(c.lang, ApiError::not_found("block")))?;
    let b = state
        .store
        .lift_block(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    state.guard.unblocked(b.id);
    Ok(Redirect::to("/console/security").into_response())
}
