//! An archive entry's page (`/console/archives/{kind}/{entry}`): every
//! version it had, oldest first, the form of its next version prefilled
//! with the current one (for the organisation's recorders; saving records
//! a new version through the store function the API's `PUT` calls), and
//! what goes with it: a customer's shipments and sales, an audit's
//! nonconformities and the form for a new one, a nonconformity's action,
//! verification and closing. Officers of the jurisdiction read the page
//! without the forms; anyone else is told the entry is not found.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use uuid::Uuid;

use super::archives::{at, entry_link, file_link};
use super::archives_html::{
    audit_form, audit_values, customer_form, customer_values, document_form, document_values, nc_blank,
    nc_form, nc_values, training_form, training_values,
};
use super::layout::{esc, page, table};
use super::{error_page, store_error, Console, PageResult};
use crate::error::ApiError;
use crate::AppState;

/// A page's title, its versions' header and rows, and what follows them.
struct Section {
    title: String,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    after: String,
}

type Found = Result<Section, Response>;

fn version(v: i64, t: i64) -> String {
    format!("v{v} · {}", at(t))
}

/// An entry's page.
pub(crate) async fn entry(
    State(state): State<AppState>,
    c: Console,
    Path((kind, id)): Path<(String, String)>,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| error_page(c.lang, ApiError::not_found("record")))?;
    let s = match kind.as_str() {
        "documents" => document(&state, &c, id).await?,
        "customers" => customer(&state, &c, id).await?,
        "trainings" => training(&state, &c, id).await?,
        "audits" => audit(&state, &c, id).await?,
        "nonconformities" => nonconformity(&state, &c, id).await?,
        _ => return Err(error_page(c.lang, ApiError::not_found("archive"))),
    };
    let body = format!(
        "<h1>{}</h1><p><a href=\"/console/archives\">{}</a></p><h2>{}</h2>{}{}",
        esc(&s.title),
        c.lang.pick("返回档案", "Back to the archives"),
        c.lang.pick("版本历史", "Versions"),
        table(&s.head, &s.rows),
        s.after
    );
    Ok(Html(page(&c, &s.title, &body)).into_response())
}

async fn document(state: &AppState, c: &Console, id: Uuid) -> Found {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let d = state
        .store
        .document(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows = d
        .history
        .iter()
        .map(|v| {
            vec![
                version(v.stamp.version, v.stamp.created_at),
                esc(&v.title),
                esc(&v.effective_from),
                esc(v.summary.as_deref().unwrap_or("")),
                file_link(&v.attachment),
            ]
        })
        .collect();
    let writes = c.caller.require_verified_recorder().is_ok();
    Ok(Section {
        title: d.current.title.clone(),
        head: vec![
            l("版本", "Version"),
            l("标题", "Title"),
            l("生效日期", "Effective"),
            l("摘要", "Summary"),
            l("附件", "File"),
        ],
        rows,
        after: if writes {
            document_form(c, Some(id), &document_values(&d.current))
        } else {
            String::new()
        },
    })
}

async fn customer(state: &AppState, c: &Console, id: Uuid) -> Found {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let err = |e| store_error(c.lang, e);
    let x = state.store.customer(&c.caller, id).await.map_err(err)?;
    let ships = state.store.customer_shipments(&c.caller, id).await.map_err(err)?;
    let sales = state.store.customer_sales(&c.caller, id).await.map_err(err)?;
    let rows = x
        .history
        .iter()
        .map(|v| {
            vec![
                version(v.stamp.version, v.stamp.created_at),
                esc(&v.name),
                esc(v.party_name.as_deref().unwrap_or("—")),
                esc(v.contact_name.as_deref().unwrap_or("")),
                esc(v.contact_phone.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let ship_rows: Vec<Vec<String>> = ships
        .iter()
        .map(|s| {
            vec![
                esc(&s.despatch_ref),
                at(s.shipped_at),
                s.received_at.map(at).unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    Ok(Section {
        title: x.current.name.clone(),
        head: vec![
            l("版本", "Version"),
            l("名称", "Name"),
            l("平台机构", "On the platform"),
            l("联系人", "Contact"),
            l("电话", "Phone"),
        ],
        rows,
        after: format!(
            "<h2>{}</h2>{}<h2 id=\"sales\">{}</h2>{}{}",
            l("发货记录", "Shipments"),
            table(
                &[
                    l("发货单", "Despatch"),
                    l("发货时间", "Shipped"),
                    l("收货时间", "Received")
                ],
                &ship_rows
            ),
            l("销售记录", "Sales"),
            sales_table(c, &sales),
            if c.caller.require_verified_recorder().is_ok() {
                customer_form(c, Some(id), &customer_values(&x.current))
            } else {
                String::new()
            }
        ),
    })
}

/// A customer's sales: when, what, the channel, and how the sale names it.
fn sales_table(c: &Console, sales: &[suyuan_store::archives::customers::CustomerSale]) -> String {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let rows: Vec<Vec<String>> = sales
        .iter()
        .map(|s| {
            let units: Vec<String> = s
                .units
                .iter()
                .map(|u| match u.quantity {
                    Some(q) => format!(
                        "<code>{}</code> × {q} {}",
                        esc(&u.epc),
                        esc(u.uom.as_deref().unwrap_or(""))
                    ),
                    None => format!("<code>{}</code>", esc(&u.epc)),
                })
                .collect();
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("id", &s.event_id)
                .finish();
            vec![
                format!("<a href=\"/console/record?{}\">{}</a>", esc(&q), at(s.event_time)),
                units.join("<br>"),
                esc(s.channel.as_deref().unwrap_or("")),
                if s.linked_by == "buyer" {
                    l("购买方", "buyer").to_owned()
                } else {
                    l("收货方（批发）", "destination (wholesale)").to_owned()
                },
            ]
        })
        .collect();
    table(
        &[
            l("销售时间", "Sold"),
            l("产品批次", "Units"),
            l("渠道", "Channel"),
            l("关联方式", "Linked by"),
        ],
        &rows,
    )
}

async fn training(state: &AppState, c: &Console, id: Uuid) -> Found {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let t = state
        .store
        .training(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows = t
        .history
        .iter()
        .map(|v| {
            vec![
                version(v.stamp.version, v.stamp.created_at),
                esc(&v.held_on),
                esc(&v.content),
                esc(&v.trainer),
                esc(&v.attendees.join("、")),
                file_link(&v.attachment),
            ]
        })
        .collect();
    Ok(Section {
        title: t.current.topic.clone(),
        head: vec![
            l("版本", "Version"),
            l("日期", "Date"),
            l("内容", "Content"),
            l("培训人", "Trainer"),
            l("参加人员", "Attendees"),
            l("资料", "Material"),
        ],
        rows,
        after: if c.caller.require_verified_recorder().is_ok() {
            training_form(c, Some(id), &training_values(&t.current))
        } else {
            String::new()
        },
    })
}

async fn audit(state: &AppState, c: &Console, id: Uuid) -> Found {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let a = state
        .store
        .audit(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows = a
        .history
        .iter()
        .map(|v| {
            let items: Vec<String> = v
                .checklist
                .iter()
                .map(|i| format!("{} — {}", esc(&i.item), esc(&i.result)))
                .collect();
            vec![
                version(v.stamp.version, v.stamp.created_at),
                esc(&v.audited_on),
                esc(&v.auditor),
                items.join("<br>"),
                esc(v.findings.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let ncs: Vec<Vec<String>> = a
        .nonconformities
        .iter()
        .map(|n| {
            vec![
                entry_link("nonconformities", n.stamp.entry_id, &n.description),
                esc(&n.owner),
                esc(&n.due_on),
                esc(&n.status),
            ]
        })
        .collect();
    let mut after = format!(
        "<h2>{}</h2>{}",
        l("不符合项", "Nonconformities"),
        table(
            &[
                l("不符合事实", "Nonconformity"),
                l("责任人", "Owner"),
                l("期限", "Due"),
                l("状态", "Status")
            ],
            &ncs
        )
    );
    if c.caller.require_verified_recorder().is_ok() {
        after.push_str(&nc_form(c, Some(id), None, &nc_blank()));
        after.push_str(&audit_form(c, Some(id), &audit_values(&a.current)));
    }
    Ok(Section {
        title: a.current.scope.clone(),
        head: vec![
            l("版本", "Version"),
            l("日期", "Date"),
            l("审核员", "Auditor"),
            l("检查项", "Checklist"),
            l("发现", "Findings"),
        ],
        rows,
        after,
    })
}

async fn nonconformity(state: &AppState, c: &Console, id: Uuid) -> Found {
    let l = |zh: &'static str, en: &'static str| c.lang.pick(zh, en);
    let n = state
        .store
        .nonconformity(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let rows = n
        .history
        .iter()
        .map(|v| {
            vec![
                version(v.stamp.version, v.stamp.created_at),
                esc(&v.cause),
                esc(&v.corrective_action),
                esc(&v.status),
                esc(v.verification.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let writes = c.caller.require_verified_recorder().is_ok();
    Ok(Section {
        title: n.current.description.clone(),
        head: vec![
            l("版本", "Version"),
            l("原因", "Cause"),
            l("纠正措施", "Action"),
            l("状态", "Status"),
            l("验证", "Verification"),
        ],
        rows,
        after: if writes {
            nc_form(c, None, Some(id), &nc_values(&n.current))
        } else {
            String::new()
        },
    })
}
