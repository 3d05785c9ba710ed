//! The form of every record kind, generated from the kind's profile
//! (`suyuan_core::stages::PROFILES`) and its `agri:*` fields
//! (`agri_fields_of`, typed by `AGRI_FIELDS`): the same table the API
//! validates with, so the form cannot ask for less or other than a capture
//! needs. Places, input lots (purchases), lots, partners, shipments and a
//! sale's buyer (a customer of the archive) are chosen from lists, never
//! typed as identifiers.
//!
//! Submitting builds the EPCIS event the API would receive and goes through
//! the same path: a preview first, checked against the kind's JSON Schema
//! (`check_event`, which capture applies too), then, once confirmed, the
//! store's `capture`, which signs and logs it. Every refusal names its
//! field, and is shown beside the input of that field.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{json, Map, Value};
use suyuan_core::stages::values::{agri_field, ValueType};
use suyuan_core::stages::{agri_fields_of, input_kind, profile, Field, RecordKind, AGRI_PREFIX};
use suyuan_store::trace::capture::ErrorBehaviour;
use suyuan_store::PageRequest;

use super::layout::{csrf_field, esc, hidden, page, select};
use super::records::{choices, Choices};
use super::{error_page, store_error, Console, Fields, PageResult, Posted, T};
use crate::api::trace::parse_code;
use crate::error::ApiError;
use crate::AppState;

/// Which units an input names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The event's own units (`epcList` or `quantityList`).
    Own,
    /// A transformation's inputs.
    In,
    /// A transformation's outputs.
    Out,
    /// What is packed into a parent.
    Child,
}

impl Role {
    /// The event keys: (instances, quantities).
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Role::Own => ("epcList", "quantityList"),
            Role::In => ("inputEPCList", "inputQuantityList"),
            Role::Out => ("outputEPCList", "outputQuantityList"),
            Role::Child => ("childEPCs", "childQuantityList"),
        }
    }

    /// The prefix of its form fields.
    fn name(self) -> &'static str {
        match self {
            Role::Own => "units",
            Role::In => "in",
            Role::Out => "out",
            Role::Child => "child",
        }
    }

    fn label(self) -> T {
        match self {
            Role::Own => T::Lot,
            Role::In => T::InputLots,
            Role::Out => T::InputLotsOf,
            Role::Child => T::ChildLot,
        }
    }
}

/// One input of a record's form.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input {
    Time,
    Place,
    Units(Role),
    Partner,
    Despatch,
    Parent,
    Agri(&'static str, bool),
}

impl Input {
    /// The event keys a refusal may name for this input.
    fn keys(self) -> Vec<String> {
        match self {
            Input::Time => vec!["eventTime".into()],
            Input::Place => vec!["bizLocation".into()],
            Input::Units(r) => {
                let (a, b) = r.keys();
                vec![a.into(), b.into()]
            }
            Input::Partner => vec!["destinationList".into()],
            Input::Despatch => vec!["bizTransactionList".into()],
            Input::Parent => vec!["parentID".into()],
            Input::Agri(name, _) => vec![format!("{AGRI_PREFIX}:{name}")],
        }
    }

    /// The id of its element (and of its error message).
    fn id(self) -> String {
        match self {
            Input::Units(r) => format!("{}_lot", r.name()),
            Input::Agri(name, _) => format!("{AGRI_PREFIX}:{name}"),
            other => other.keys().remove(0),
        }
    }
}

/// The inputs of a kind's form, in the profile's order: when, then each
/// required standard field, then its `agri:*` fields (required first).
pub(crate) fn inputs(kind: RecordKind) -> Vec<Input> {
    let mut out = vec![Input::Time];
    for f in profile(kind).required {
        let input = match f {
            Field::Std("bizLocation") => Input::Place,
            Field::Std("quantityList") => Input::Units(Role::Own),
            Field::Std("destinationList") => Input::Partner,
            Field::Std("bizTransactionList") => Input::Despatch,
            Field::Std("parentID") => Input::Parent,
            Field::AnyStd(keys) => match keys.first().copied() {
                Some("inputEPCList") => Input::Units(Role::In),
                Some("outputEPCList") => Input::Units(Role::Out),
                Some("childEPCs") => Input::Units(Role::Child),
                _ => Input::Units(Role::Own),
            },
            Field::Std(_) | Field::Agri(_) => continue,
        };
        out.push(input);
    }
    out.extend(agri_fields_of(kind).map(|(name, required)| Input::Agri(name, required)));
    out
}

/// A refusal, by the form input it concerns (`None`: the record as a whole).
pub(crate) type Problems = Vec<(Option<String>, String)>;

/// Assigns a refusal naming event field `field` to the input it belongs to.
fn place_problem(kind: RecordKind, field: &str, message: String, out: &mut Problems) {
    let bare = field.split(['[', '.']).next().unwrap_or(field);
    let owner = inputs(kind)
        .into_iter()
        .find(|i| i.keys().iter().any(|k| k == bare || k == field));
    out.push((owner.map(Input::id), message));
}

/// The event the form describes, and every problem found building it.
pub(crate) fn build_event(c: &Console, kind: RecordKind, f: &Fields, ch: &Choices) -> (Value, Problems) {
    let mut problems: Problems = Vec::new();
    // The type, action, bizStep (and disposition) a record of this kind has,
    // as the kind's example shows them.
    let example = suyuan_core::stages::examples::example_event(kind);
    let mut e = Map::new();
    for k in ["type", "action", "bizStep", "disposition"] {
        if let Some(v) = example.get(k) {
            e.insert(k.into(), v.clone());
        }
    }
    // The form carries its eventID from the start, so that storing the
    // same form twice stores one record.
    let event_id = f
        .get("eventID")
        .map_or_else(|| format!("urn:uuid:{}", uuid::Uuid::now_v7()), str::to_owned);
    e.insert("eventID".into(), json!(event_id));
    e.insert("eventTimeZoneOffset".into(), json!("+08:00"));
    e.insert(format!("{AGRI_PREFIX}:recordKind"), json!(kind.as_str()));
    for input in inputs(kind) {
        if let Err(message) = fill(c, input, f, ch, &mut e) {
            problems.push((Some(input.id()), message));
        }
    }
    // A field record names no units of its own (it happens on the plot).
    let has_units = inputs(kind).iter().any(|i| matches!(i, Input::Units(Role::Own)));
    if !has_units && profile(kind).event_type == suyuan_core::stages::EventType::Object {
        e.entry("epcList").or_insert(json!([]));
    }
    (Value::Object(e), problems)
}

/// Writes what the form gave for `input` into the event; the problem in
/// the page's language when the form's value cannot be one.
fn fill(
    c: &Console,
    input: Input,
    f: &Fields,
    ch: &Choices,
    e: &mut Map<String, Value>,
) -> Result<(), String> {
    let lang = c.lang;
    let said = |err: ApiError| lang.pick(&err.zh, &err.en).to_owned();
    match input {
        Input::Time => {
            let t = f.text("eventTime");
            // A datetime-local value: "2026-03-01T08:00", in China time.
            let full = if t.len() == 16 { format!("{t}:00+08:00") } else { t };
            e.insert("eventTime".into(), json!(full));
        }
        Input::Place => {
            if let Some(p) = f.get("bizLocation") {
                e.insert(
                    "bizLocation".into(),
                    json!({"id": format!("urn:suyuan:place:{p}")}),
                );
            }
        }
        Input::Units(role) => {
            let (instances, quantities) = role.keys();
            let qty = match f.get(&format!("{}_qty", role.name())).map(str::parse::<f64>) {
                Some(Ok(q)) => Some(q),
                Some(Err(_)) => return Err(lang.pick("数量应为数字", "the quantity is a number").to_owned()),
                None => None,
            };
            if let Some(code) = f.get(&format!("{}_code", role.name())) {
                let (epc, is_lot) = code_epc(code).map_err(said)?;
                if is_lot {
                    e.insert(quantities.into(), json!([quantity(&epc, qty)]));
                } else {
                    e.insert(instances.into(), json!([epc]));
                }
            } else if let Some(lot) = f.get(&input.id()) {
                if !ch.lots.iter().any(|(v, _)| v == lot) {
                    return Err(c.t(T::ChooseOne).to_owned());
                }
                e.insert(quantities.into(), json!([quantity(lot, qty)]));
            }
        }
        Input::Partner => {
            if let Some(org) = f.get("destinationList") {
                e.insert(
                    "destinationList".into(),
                    json!([{"type": "owning_party", "destination": format!("urn:suyuan:org:{org}")}]),
                );
            }
        }
        Input::Despatch => {
            if let Some(d) = f.get("bizTransactionList") {
                e.insert(
                    "bizTransactionList".into(),
                    json!([{"type": "desadv", "bizTransaction": despatch_uri(d)}]),
                );
            }
        }
        Input::Parent => {
            if let Some(code) = f.get("parentID") {
                e.insert("parentID".into(), json!(code_epc(code).map_err(said)?.0));
            }
        }
        Input::Agri(name, _) => {
            if let Some(v) = f.get(&input.id()) {
                let value = agri_value(name, v).map_err(|m| lang.pick(m.0, m.1).to_owned())?;
                e.insert(input.id(), value);
            }
        }
    }
    Ok(())
}

/// A code typed in any form: its canonical identifier, and whether it names
/// a lot (a class, counted by quantity) rather than an instance.
fn code_epc(code: &str) -> Result<(String, bool), ApiError> {
    let unit = parse_code(code)?;
    let epc = suyuan_store::trace::canonical_epc(&unit)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh))?;
    Ok((
        epc,
        matches!(unit, suyuan_core::codes::trace::TraceUnit::Lot { .. }),
    ))
}

fn quantity(epc_class: &str, qty: Option<f64>) -> Value {
    let mut q = json!({"epcClass": epc_class});
    if let Some(n) = qty {
        q["quantity"] = json!(n);
        q["uom"] = json!("KGM");
    }
    q
}

/// A despatch advice reference as the URI EPCIS wants: kept when it is one.
pub(crate) fn despatch_uri(reference: &str) -> String {
    if reference.contains(':') {
        reference.to_owned()
    } else {
        format!("urn:suyuan:desadv:{reference}")
    }
}

/// A field's typed value from its text, as far as the form can tell; the
/// schema check judges the rest.
fn agri_value(name: &str, text: &str) -> Result<Value, (&'static str, &'static str)> {
    let ty = agri_field(name).map_or(ValueType::Text, |f| f.ty);
    Ok(match ty {
        ValueType::Days => text.parse::<i64>().map(|n| json!(n)).map_err(|_| {
            (
                "取值应为 0 至 365 的整数天数",
                "a whole number of days from 0 to 365",
            )
        })?,
        ValueType::Temperature => text.parse::<f64>().map_or_else(|_| json!(text), |n| json!(n)),
        ValueType::TestItems => test_items(text)?,
        _ => json!(text),
    })
}

/// Test items, one a line: `item | result | limit | pass or fail`.
fn test_items(text: &str) -> Result<Value, (&'static str, &'static str)> {
    let mut items = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let verdict = cols.last().copied().unwrap_or("");
        let pass = match verdict {
            "pass" | "合格" | "是" | "yes" => true,
            "fail" | "不合格" | "否" | "no" => false,
            _ => {
                return Err((
                    "每行最后一项应为“合格”或“不合格”",
                    "each line ends with pass or fail",
                ))
            }
        };
        let mut item = json!({"item": cols[0], "pass": pass});
        if cols.len() >= 3 {
            item["result"] = json!(cols[1]);
        }
        if cols.len() >= 4 {
            item["limit"] = json!(cols[2]);
        }
        items.push(item);
    }
    Ok(json!(items))
}

/// The kind named in the path, or 404.
fn kind_of(c: &Console, raw: &str) -> Result<RecordKind, Response> {
    RecordKind::parse(raw).ok_or_else(|| error_page(c.lang, ApiError::not_found("record kind")))
}

/// An empty form.
pub(crate) async fn blank(State(state): State<AppState>, c: Console, Path(kind): Path<String>) -> PageResult {
    let kind = kind_of(&c, &kind)?;
    let ch = choices(&state, &c, kind).await?;
    let mut f = Fields::default();
    let now = chrono::Utc::now().with_timezone(
        &chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset")),
    );
    f.0.push(("eventTime".into(), now.format("%Y-%m-%dT%H:%M").to_string()));
    f.0.push(("eventID".into(), format!("urn:uuid:{}", uuid::Uuid::now_v7())));
    for input in inputs(kind) {
        if let Input::Agri(name, _) = input {
            if agri_field(name).is_some_and(|a| a.ty == ValueType::Operator) {
                f.0.push((format!("{AGRI_PREFIX}:{name}"), c.caller.username.clone()));
            }
        }
    }
    Ok(Html(form_page(&c, kind, &f, &ch, &[])).into_response())
}

/// Preview, edit or store.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Posted(c, f): Posted,
) -> PageResult {
    let kind = kind_of(&c, &kind)?;
    let ch = choices(&state, &c, kind).await?;
    let (event, mut problems) = build_event(&c, kind, &f, &ch);
    let step = f.get("step").unwrap_or("preview");
    if step == "edit" {
        return Ok(Html(form_page(&c, kind, &f, &ch, &[])).into_response());
    }
    for (field, e) in suyuan_core::stages::schema::check_event(kind, &event) {
        place_problem(kind, &field, c.lang.pick(&e.zh, &e.en).to_owned(), &mut problems);
    }
    if !problems.is_empty() {
        return Ok(refused(&c, kind, &f, &ch, &problems));
    }
    if step != "store" {
        return Ok(Html(preview_page(&c, kind, &f, &ch, &event)).into_response());
    }
    let doc = super::records::document(event);
    let job = state
        .store
        .capture(&c.caller, &doc, ErrorBehaviour::Rollback)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    state.metrics.count_capture(&job);
    if !job.errors.is_empty() {
        for err in &job.errors {
            place_problem(
                kind,
                &err.field,
                c.lang.pick(&err.detail_zh, &err.detail).to_owned(),
                &mut problems,
            );
        }
        return Ok(refused(&c, kind, &f, &ch, &problems));
    }
    let id = job.event_ids.first().cloned().unwrap_or_default();
    // Warnings (a lot made non-conformant …) are shown now, on the page of
    // the record that caused them; otherwise on to the record's address.
    if !job.warnings.is_empty() {
        let warnings: Vec<String> = job
            .warnings
            .iter()
            .map(|w| c.lang.pick(&w.detail_zh, &w.detail).to_owned())
            .collect();
        return super::records::record_page(&state, &c, &id, Some(&warnings)).await;
    }
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", &id)
        .append_pair("stored", "0")
        .finish();
    Ok(Redirect::to(&format!("/console/record?{q}")).into_response())
}

fn refused(c: &Console, kind: RecordKind, f: &Fields, ch: &Choices, problems: &Problems) -> Response {
    crate::error::deliberate(
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(form_page(c, kind, f, ch, problems)),
        )
            .into_response(),
    )
}

/// The label of an input.
fn label(c: &Console, input: Input) -> String {
    match input {
        Input::Time => c.t(T::EventTime).into(),
        Input::Place => c.t(T::Place).into(),
        Input::Units(r) => c.t(r.label()).into(),
        Input::Partner => c.t(T::Partner).into(),
        Input::Despatch => c.t(T::Despatch).into(),
        Input::Parent => c.t(T::ParentCode).into(),
        Input::Agri(name, _) => {
            agri_field(name).map_or(name.to_owned(), |a| c.lang.pick(a.zh, a.en).to_owned())
        }
    }
}

/// The form, with `problems` beside their inputs.
fn form_page(
    c: &Console,
    kind: RecordKind,
    f: &Fields,
    ch: &Choices,
    problems: &[(Option<String>, String)],
) -> String {
    let lang = c.lang;
    let title = lang.pick(kind.zh(), kind.en());
    let mut b = format!("<h1>{}</h1>", esc(title));
    let general: Vec<&String> = problems
        .iter()
        .filter(|(k, _)| k.is_none())
        .map(|(_, m)| m)
        .collect();
    if !problems.is_empty() {
        let _ = write!(
            b,
            "<p class=\"warn\" id=\"form-refused\">{}</p>",
            c.t(T::FixBelow)
        );
    }
    for m in general {
        let _ = write!(b, "<p class=\"err\">{}</p>", esc(m));
    }
    let _ = write!(
        b,
        "<form class=\"card\" method=\"post\" action=\"/console/records/new/{}\" novalidate>",
        kind.as_str()
    );
    b.push_str(&csrf_field(c));
    b.push_str(&hidden("eventID", f.get("eventID").unwrap_or("")));
    for input in inputs(kind) {
        let id = input.id();
        let errs: Vec<&String> = problems
            .iter()
            .filter(|(k, _)| k.as_deref() == Some(id.as_str()))
            .map(|(_, m)| m)
            .collect();
        let required = !matches!(input, Input::Agri(_, false));
        let _ = write!(
            b,
            "<div class=\"{}\"><label for=\"{}\">{} <small>{}</small></label>",
            if errs.is_empty() {
                "field"
            } else {
                "field field-err"
            },
            esc(&id),
            esc(&label(c, input)),
            if required {
                c.t(T::Required)
            } else {
                c.t(T::Optional)
            }
        );
        b.push_str(&control(c, kind, input, f, ch));
        for m in errs {
            let _ = write!(b, "<p class=\"err\" data-field=\"{}\">{}</p>", esc(&id), esc(m));
        }
        b.push_str("</div>");
    }
    let _ = write!(
        b,
        "<input type=\"hidden\" name=\"step\" value=\"preview\"><button id=\"preview\">{}</button></form>",
        c.t(T::Preview)
    );
    page(c, title, &b)
}

/// The control of one input.
fn control(c: &Console, kind: RecordKind, input: Input, f: &Fields, ch: &Choices) -> String {
    let id = input.id();
    let value = f.text(&id);
    let text = |name: &str, v: &str, ty: &str| {
        format!(
            "<input id=\"{0}\" name=\"{0}\" type=\"{ty}\" value=\"{1}\">",
            esc(name),
            esc(v)
        )
    };
    match input {
        Input::Time => text("eventTime", &value, "datetime-local"),
        Input::Place => select(c, "bizLocation", &ch.places, &value),
        Input::Partner => select(c, "destinationList", &ch.partners, &value),
        Input::Despatch if kind == RecordKind::Receiving => {
            select(c, "bizTransactionList", &ch.shipments, &value)
        }
        Input::Despatch => {
            let v = if value.is_empty() {
                format!("DESADV-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"))
            } else {
                value
            };
            text("bizTransactionList", &v, "text")
        }
        Input::Parent => text("parentID", &value, "text"),
        Input::Units(role) => {
            let n = role.name();
            format!(
                "{}<label for=\"{n}_code\"><small>{}</small></label>{}<label for=\"{n}_qty\"><small>{}</small></label>{}",
                select(c, &id, &ch.lots, &value),
                c.t(T::OrCode),
                text(&format!("{n}_code"), &f.text(&format!("{n}_code")), "text"),
                c.t(T::QuantityKg),
                text(&format!("{n}_qty"), &f.text(&format!("{n}_qty")), "number\" step=\"any")
            )
        }
        Input::Agri(name, _) => match agri_field(name).map(|a| a.ty) {
            Some(ValueType::InputLot) => {
                let wanted = input_kind(kind);
                let options: Vec<(String, String)> = ch
                    .purchases
                    .iter()
                    .filter(|(_, k, _)| wanted.is_none_or(|w| *k == w))
                    .map(|(v, _, l)| (v.clone(), l.clone()))
                    .collect();
                select(c, &id, &options, &value)
            }
            Some(ValueType::Customer) => select(c, &id, &ch.customers, &value),
            Some(ValueType::Conclusion) => select(
                c,
                &id,
                &[
                    ("pass".into(), c.t(T::Pass).into()),
                    ("fail".into(), c.t(T::Fail).into()),
                ],
                &value,
            ),
            Some(ValueType::TestItems) => format!(
                "<textarea id=\"{0}\" name=\"{0}\" placeholder=\"{2}\">{1}</textarea><small>{2}</small>",
                esc(&id),
                esc(&value),
                c.t(T::TestItemsHelp)
            ),
            Some(ValueType::Days) => text(&id, &value, "number"),
            _ => text(&id, &value, "text"),
        },
    }
}

/// The preview: the record as it will be signed, and the choice to store it
/// or go back.
fn preview_page(c: &Console, kind: RecordKind, f: &Fields, ch: &Choices, event: &Value) -> String {
    let title = c.lang.pick(kind.zh(), kind.en());
    let mut b = format!(
        "<h1>{} · {}</h1><div class=\"card\"><p>{}</p><dl class=\"cols\">",
        esc(title),
        c.t(T::Preview),
        c.t(T::PreviewTitle)
    );
    for input in inputs(kind) {
        let shown = shown_value(f, input, ch);
        if !shown.is_empty() {
            let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", esc(&label(c, input)), esc(&shown));
        }
    }
    b.push_str("</dl>");
    let _ = write!(
        b,
        "<details><summary>EPCIS</summary><pre><code>{}</code></pre></details>",
        esc(&serde_json::to_string_pretty(event).unwrap_or_default())
    );
    let keep: String =
        f.0.iter()
            .filter(|(k, _)| k != "step" && k != super::CSRF_FIELD)
            .map(|(k, v)| hidden(k, v))
            .collect();
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/console/records/new/{kind}\">{csrf}{keep}\
         <button name=\"step\" value=\"store\" id=\"confirm\">{ok}</button>\
         <button class=\"alt\" name=\"step\" value=\"edit\">{edit}</button></form></div>",
        kind = kind.as_str(),
        csrf = csrf_field(c),
        ok = c.t(T::Confirm),
        edit = c.t(T::Edit),
    );
    page(c, title, &b)
}

/// What the clerk entered for an input, as text for the preview: the name
/// of what was chosen from a list.
fn shown_value(f: &Fields, input: Input, ch: &Choices) -> String {
    let named = |list: &[(String, String)], v: &str| {
        list.iter()
            .find(|(k, _)| k == v)
            .map_or_else(|| v.to_owned(), |(_, l)| l.clone())
    };
    match input {
        Input::Units(r) => {
            let n = r.name();
            let unit = match f.get(&format!("{n}_code")) {
                Some(code) => code.to_owned(),
                None => named(&ch.lots, f.get(&format!("{n}_lot")).unwrap_or("")),
            };
            match f.get(&format!("{n}_qty")) {
                Some(q) => format!("{unit} × {q} kg"),
                None => unit,
            }
        }
        Input::Place => named(&ch.places, &f.text("bizLocation")),
        Input::Partner => named(&ch.partners, &f.text("destinationList")),
        Input::Agri(name, _) if agri_field(name).is_some_and(|a| a.ty == ValueType::InputLot) => {
            let v = f.text(&input.id());
            ch.purchases
                .iter()
                .find(|(k, _, _)| *k == v)
                .map_or(v, |(_, _, l)| l.clone())
        }
        Input::Agri(name, _) if agri_field(name).is_some_and(|a| a.ty == ValueType::Customer) => {
            named(&ch.customers, &f.text(&input.id()))
        }
        Input::Time => f.text("eventTime").replacen('T', " ", 1),
        other => f.text(&other.id()),
    }
}

/// Pickers need a page of the organisation's records: the first 200.
pub(crate) const PICK: PageRequest = PageRequest {
    limit: 200,
    after: None,
};
