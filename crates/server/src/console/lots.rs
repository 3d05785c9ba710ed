//! Lots and items: the organisation's lots and the form allocating one, a
//! unit's page (its codes in every form, its status, its timeline, the
//! trace back and forward as a tree with its depth and gaps, and, for a
//! lot, issuing item codes, and the label print form), and the search box
//! that takes a code in any form (flat trace code, element string, Digital
//! Link, EPC URN).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use suyuan_store::trace::lineage::Direction;
use suyuan_store::trace::report::{TraceReport, TracedUnit};
use suyuan_store::trace::units::{LotFilter, NewLot, Unit};
use uuid::Uuid;

use super::layout::{csrf_field, esc, event_name, local_time, page, record_link, select, status_name, table};
use super::recordform::PICK;
use super::{error_page, store_error, Console, Fields, PageResult, Posted, T};
use crate::api::trace::{code_forms, parse_code};
use crate::error::{deliberate, ApiError};
use crate::extract::{Id, LenientQuery};
use crate::AppState;

/// The lots, and the form allocating one.
pub(crate) async fn index(State(state): State<AppState>, c: Console) -> PageResult {
    lots_page(&state, &c, None).await
}

async fn lots_page(state: &AppState, c: &Console, problem: Option<ApiError>) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let own = Some(c.caller.org_id);
    let lots = state
        .store
        .list_lots(&c.caller, &LotFilter::default(), PICK)
        .await
        .map_err(err)?;
    let products = state
        .store
        .list_products(&c.caller, own, PICK)
        .await
        .map_err(err)?;
    let places = state.store.list_places(&c.caller, own, PICK).await.map_err(err)?;
    let product_options: Vec<(String, String)> = products
        .items
        .iter()
        .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.gtin)))
        .collect();
    let place_options: Vec<(String, String)> = places
        .items
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let mut b = format!("<h1>{}</h1>", c.t(T::Lots));
    b.push_str(&allocate_form(
        c,
        &product_options,
        &place_options,
        problem.as_ref(),
    ));
    let rows: Vec<Vec<String>> = lots
        .items
        .iter()
        .rev()
        .map(|u| {
            let product = super::records::product_name(&products.items, u);
            vec![
                format!(
                    "<a href=\"/console/lots/{}\">{}</a>",
                    u.id,
                    esc(u.batch.as_deref().unwrap_or(&u.epc))
                ),
                esc(product),
                status_cell(c, u),
                esc(&local_time(&u.created_at, "+08:00")),
            ]
        })
        .collect();
    if rows.is_empty() {
        let _ = write!(b, "<div class=\"card\"><p>{}</p></div>", c.t(T::NoneYet));
    } else {
        b.push_str("<div class=\"card\">");
        b.push_str(&table(
            &[c.t(T::Lot), c.t(T::Product), c.t(T::Status), c.t(T::Time)],
            &rows,
        ));
        b.push_str("</div>");
    }
    let status = problem.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(deliberate(
        (status, Html(page(c, c.t(T::Lots), &b))).into_response(),
    ))
}

/// The form allocating a lot, with a refusal beside the field it names (or
/// above the form when it names none of them).
fn allocate_form(
    c: &Console,
    products: &[(String, String)],
    places: &[(String, String)],
    problem: Option<&ApiError>,
) -> String {
    const FIELDS: [&str; 4] = ["product_id", "date", "site", "origin_place_id"];
    let said = |e: &ApiError| esc(c.lang.pick(&e.zh, &e.en));
    let field = problem.and_then(|e| e.field.clone());
    let msg_for = |f: &str| match problem {
        Some(e) if field.as_deref() == Some(f) => {
            format!("<p class=\"err\" data-field=\"{f}\">{}</p>", said(e))
        }
        _ => String::new(),
    };
    let mut b = String::new();
    if let Some(e) = problem.filter(|_| !FIELDS.contains(&field.as_deref().unwrap_or(""))) {
        let _ = write!(b, "<p class=\"err\">{}</p>", said(e));
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/console/lots\">{csrf}<h2>{title}</h2>\
         <label for=\"product_id\">{pl}</label>{products}{pe}\
         <label for=\"date\">{dl}</label><input id=\"date\" name=\"date\" type=\"date\" value=\"{today}\">{de}\
         <label for=\"site\">{sl}</label><input id=\"site\" name=\"site\" value=\"01\" maxlength=\"2\">{se}\
         <label for=\"origin_place_id\">{ol}</label>{origins}{oe}\
         <button id=\"allocate\">{go}</button></form>",
        csrf = csrf_field(c),
        title = c.t(T::AllocateLot),
        pl = c.t(T::Product),
        products = select(c, "product_id", products, products.first().map_or("", |o| o.0.as_str())),
        pe = msg_for("product_id"),
        dl = c.t(T::Date),
        de = msg_for("date"),
        sl = c.t(T::Site),
        se = msg_for("site"),
        ol = c.t(T::OriginPlace),
        origins = select(c, "origin_place_id", places, ""),
        oe = msg_for("origin_place_id"),
        go = c.t(T::Allocate),
    );
    b
}

fn status_cell(c: &Console, u: &Unit) -> String {
    let name = esc(&status_name(c.lang, &u.status));
    if u.status == "active" {
        name
    } else {
        format!("<span class=\"bad\">{name}</span>")
    }
}

/// Allocates a lot; refusals are shown beside their field.
pub(crate) async fn create(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let product_id = match f.get("product_id").map(Uuid::parse_str) {
        Some(Ok(id)) => id,
        _ => {
            let e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                "choose a product",
                "请选择产品",
            )
            .with_field("product_id");
            return lots_page(&state, &c, Some(e)).await;
        }
    };
    let new = NewLot {
        product_id,
        date: f.text("date"),
        site: f.text("site"),
        origin_place_id: f.get("origin_place_id").and_then(|p| Uuid::parse_str(p).ok()),
    };
    match state.store.create_lot(&c.caller, &new).await {
        Ok(lot) => Ok(Redirect::to(&format!("/console/lots/{}", lot.id)).into_response()),
        Err(e) => lots_page(&state, &c, Some(ApiError::from(e))).await,
    }
}

/// A unit's page.
pub(crate) async fn show(State(state): State<AppState>, c: Console, Id(id): Id) -> PageResult {
    let unit = state
        .store
        .get_unit(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    unit_page(&state, &c, &unit, None, None).await
}

/// A unit's page; `issued` the item codes just issued (shown, and printed by
/// the print form), `refused` a refused print form and its values.
pub(crate) async fn unit_page(
    state: &AppState,
    c: &Console,
    unit: &Unit,
    issued: Option<&[String]>,
    refused: Option<(&ApiError, &Fields)>,
) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let back = state
        .store
        .trace(&c.caller, &unit.epc, Direction::Back, 50)
        .await
        .map_err(err)?;
    let forward = state
        .store
        .trace(&c.caller, &unit.epc, Direction::Forward, 50)
        .await
        .map_err(err)?;
    let title = unit
        .batch
        .clone()
        .or_else(|| unit.sscc.clone())
        .unwrap_or_else(|| unit.epc.clone());
    let title = match &unit.serial {
        Some(s) => format!("{title} / {s}"),
        None => title,
    };
    let mut b = format!("<h1>{} {}</h1>", c.t(T::Lot), esc(&title));
    if let Some(codes) = issued {
        let _ = write!(
            b,
            "<div class=\"ok\" id=\"issued\"><b>{}: {}</b><ol>",
            c.t(T::Issued),
            codes.len()
        );
        for code in codes.iter().take(100) {
            let _ = write!(b, "<li><code>{}</code></li>", esc(code));
        }
        b.push_str("</ol></div>");
    }
    b.push_str(&unit_card(state, c, unit));
    b.push_str(&super::labels::print_form(c, unit, issued, refused));
    if unit.kind == "lot" {
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/lots/{id}/items\">{csrf}<h2>{h}</h2>\
             <label for=\"count\">{cl}</label><input id=\"count\" name=\"count\" type=\"number\" min=\"1\" max=\"100000\" value=\"10\">\
             <button id=\"issue\">{go}</button></form>",
            id = unit.id,
            csrf = csrf_field(c),
            h = c.t(T::IssueItems),
            cl = c.t(T::Count),
            go = c.t(T::Issue),
        );
    }
    b.push_str(&timeline(c, &back, &forward));
    b.push_str(&tree(c, T::TraceBack, &back));
    b.push_str(&tree(c, T::TraceForward, &forward));
    let status = refused.map_or(StatusCode::OK, |(e, _)| e.status);
    Ok(deliberate((status, Html(page(c, &title, &b))).into_response()))
}

/// A unit's status and its code in every form.
fn unit_card(state: &AppState, c: &Console, unit: &Unit) -> String {
    let mut b = String::new();
    b.push_str("<div class=\"card\"><dl class=\"cols\">");
    let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", c.t(T::Status), status_cell(c, unit));
    let reason = c.lang.pick(
        unit.status_reason_zh
            .as_deref()
            .or(unit.status_reason.as_deref())
            .unwrap_or(""),
        unit.status_reason.as_deref().unwrap_or(""),
    );
    if !reason.is_empty() {
        let r = reason;
        let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", c.t(T::Reason), esc(r));
    }
    if let Some(forms) = unit
        .trace_unit()
        .and_then(|u| code_forms(&u, &state.config.public_url).ok())
    {
        if let Some(flat) = &forms.flat_code {
            let _ = write!(
                b,
                "<dt>{}</dt><dd><code>{}</code></dd>",
                c.t(T::FlatCode),
                esc(flat)
            );
        }
        let _ = write!(
            b,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            c.t(T::ElementString),
            esc(&forms.element_string)
        );
        let _ = write!(
            b,
            "<dt>{}</dt><dd><a id=\"digital-link\" href=\"{1}\"><code>{1}</code></a></dd>",
            c.t(T::DigitalLink),
            esc(&forms.digital_link)
        );
    }
    b.push_str("</dl></div>");
    b
}

/// Every event of both traces, by time.
fn timeline(c: &Console, back: &TraceReport, forward: &TraceReport) -> String {
    let mut events: BTreeMap<(i64, String), String> = BTreeMap::new();
    for e in back.events.iter().chain(&forward.events) {
        let mut name = event_name(c.lang, e.record_kind.as_deref(), e.biz_step.as_deref());
        if e.corrected {
            name = format!("{name} · {}", c.t(T::Corrected));
        }
        let mut row = format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&local_time(&e.event_time, "+08:00")),
            record_link(&e.event_id, &name),
            esc(e.place_name.as_deref().unwrap_or("")),
            esc(&e.org_name)
        );
        // The storage or transport conditions of the stay it began.
        if let Some(cond) = back
            .conditions
            .iter()
            .chain(&forward.conditions)
            .find(|k| k.event_id == e.event_id)
        {
            row.push_str(&super::devices::conditions_row(c, cond));
        }
        events.insert((e.event_time.timestamp_millis(), e.event_id.clone()), row);
    }
    let mut s = format!("<div class=\"card\"><h2>{}</h2>", c.t(T::Timeline));
    if events.is_empty() {
        let _ = write!(s, "<p>{}</p>", c.t(T::NoneYet));
    } else {
        let _ = write!(
            s,
            "<div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            c.t(T::Time),
            c.t(T::Record),
            c.t(T::Place),
            c.t(T::Organisation)
        );
        s.extend(events.into_values());
        s.push_str("</tbody></table></div>");
    }
    s.push_str("</div>");
    s
}

/// A unit's name in a tree: what it is, then its code.
fn unit_label(u: &TracedUnit, report: &TraceReport) -> String {
    let name = u
        .product_name
        .clone()
        .or_else(|| u.place_name.clone())
        .or_else(|| u.input_name.clone())
        .or_else(|| report.place_names.get(&u.reached.epc).cloned())
        .unwrap_or_default();
    let lot = u
        .input_lot_number
        .as_deref()
        .map(|n| format!(" · {n}"))
        .unwrap_or_default();
    format!("{}{} <code>{}</code>", esc(&name), esc(&lot), esc(&u.reached.epc))
}

/// A trace as a tree: each unit under the one it was reached from, with
/// how they relate; then the depth reached and the gaps.
fn tree(c: &Console, heading: T, report: &TraceReport) -> String {
    let mut children: BTreeMap<Option<&str>, Vec<&TracedUnit>> = BTreeMap::new();
    for u in &report.units {
        children.entry(u.reached.via.as_deref()).or_default().push(u);
    }
    let mut s = format!("<div class=\"card\"><h2>{}</h2>", c.t(heading));
    let depth = report
        .depth_reached
        .as_deref()
        .and_then(suyuan_core::stages::Stage::parse);
    let _ = write!(
        s,
        "<p>{}: {} · {}</p><ul class=\"tree\">",
        c.t(T::Depth),
        esc(depth.map_or("—", |d| c.lang.pick(d.zh(), d.en()))),
        report.units.len()
    );
    let mut stack: Vec<(&TracedUnit, u32)> = children
        .get(&None)
        .map_or(Vec::new(), |v| v.iter().rev().map(|u| (*u, 0)).collect());
    let mut shown = 0usize;
    while let Some((u, level)) = stack.pop() {
        shown += 1;
        if shown > 500 {
            s.push_str("<li>…</li>");
            break;
        }
        let relation = u
            .reached
            .relation
            .as_deref()
            .map(|r| format!("<span class=\"tag\">{}</span>", esc(r)))
            .unwrap_or_default();
        let holder = u
            .holder_org_name
            .as_deref()
            .map(|h| format!(" <small>{}</small>", esc(h)))
            .unwrap_or_default();
        let _ = write!(
            s,
            "<li class=\"d{}\">{relation}{}{holder}</li>",
            level.min(12),
            unit_label(u, report)
        );
        if let Some(kids) = children.get(&Some(u.reached.epc.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, level + 1)));
        }
    }
    s.push_str("</ul>");
    if !report.gaps.is_empty() {
        let _ = write!(s, "<h2>{}</h2><ul>", c.t(T::Gaps));
        for g in &report.gaps {
            let _ = write!(
                s,
                "<li>{} <code>{}</code> <small>{}</small></li>",
                esc(g.product_name.as_deref().unwrap_or("")),
                esc(&g.epc),
                esc(&g.reason)
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

/// Issues item codes for a lot and shows them.
pub(crate) async fn issue(State(state): State<AppState>, Id(id): Id, Posted(c, f): Posted) -> PageResult {
    let count = match f.get("count").map(str::parse::<usize>) {
        Some(Ok(n)) => n,
        _ => {
            return Err(error_page(
                c.lang,
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_value",
                    "count is a whole number",
                    "数量应为整数",
                )
                .with_field("count"),
            ))
        }
    };
    let issued = state
        .store
        .issue_items(&c.caller, id, count, f.get("non_conformance_override"))
        .await
        .map_err(|e| store_error(c.lang, e))?;
    unit_page(&state, &c, &issued.lot, Some(&issued.codes), None).await
}

#[derive(Deserialize)]
pub(crate) struct CodeQuery {
    code: Option<String>,
}

/// Finds the caller's unit by a code in any form.
pub(crate) async fn search(
    State(state): State<AppState>,
    c: Console,
    LenientQuery(q): LenientQuery<CodeQuery>,
) -> PageResult {
    let code = q.code.unwrap_or_default();
    let not_found = |c: &Console| -> Response {
        let body = format!(
            "<div class=\"card\"><p class=\"err\">{}</p><p><code>{}</code></p></div>",
            c.t(T::NoSuchCode),
            esc(&code)
        );
        deliberate((StatusCode::NOT_FOUND, Html(page(c, c.t(T::NotFound), &body))).into_response())
    };
    let unit = match parse_code(&code) {
        Ok(u) => u,
        Err(e) => return Err(error_page(c.lang, e)),
    };
    let Ok(epc) = suyuan_store::trace::canonical_epc(&unit) else {
        return Err(not_found(&c));
    };
    match state
        .store
        .find_unit(&epc)
        .await
        .map_err(|e| store_error(c.lang, e))?
    {
        // Only a unit the caller owns or holds is found; any other is not.
        Some(u) if state.store.get_unit(&c.caller, u.id).await.is_ok() => {
            Ok(Redirect::to(&format!("/console/lots/{}", u.id)).into_response())
        }
        _ => Err(not_found(&c)),
    }
}
