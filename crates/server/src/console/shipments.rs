//! The receiving desk: the shipments addressed to the organisation and not
//! yet received, each received in one step. Receiving records the kind
//! `receiving` for exactly the units the shipment's despatch advice
//! carried, at the place chosen, through the same capture as the API (the
//! store checks the shipment is addressed to the receiver). Despatching is
//! the `shipping` record's form (`/console/records/new/shipping`).

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use serde_json::{json, Value};
use suyuan_core::stages::{RecordKind, AGRI_PREFIX};

use super::layout::{csrf_field, esc, hidden, local_time, page, select};
use super::recordform::PICK;
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::error::ApiError;
use crate::AppState;

/// What is on its way, with a receive form for each.
pub(crate) async fn incoming(State(state): State<AppState>, c: Console) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let shipments = state.store.incoming_shipments(&c.caller).await.map_err(err)?;
    let places = state
        .store
        .list_places(&c.caller, Some(c.caller.org_id), PICK)
        .await
        .map_err(err)?;
    let options: Vec<(String, String)> = places
        .items
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let mut b = format!(
        "<h1>{}</h1><p><a class=\"btn alt\" href=\"/console/records/new/shipping\">{}</a></p>",
        c.t(T::OpenShipments),
        esc(c.lang.pick(RecordKind::Shipping.zh(), RecordKind::Shipping.en()))
    );
    if shipments.is_empty() {
        let _ = write!(b, "<div class=\"card\"><p>{}</p></div>", c.t(T::NoneYet));
    }
    for sh in &shipments {
        let units: Vec<String> = sh
            .epcs
            .iter()
            .cloned()
            .chain(sh.quantities.iter().map(|q| {
                let class = q.get("epcClass").and_then(Value::as_str).unwrap_or("");
                match q.get("quantity") {
                    Some(n) => format!("{class} × {n}"),
                    None => class.to_owned(),
                }
            }))
            .collect();
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/shipments/receive\">{csrf}{despatch}\
             <dl class=\"cols\"><dt>{from_l}</dt><dd>{from}</dd><dt>{time_l}</dt><dd>{time}</dd>\
             <dt>{ref_l}</dt><dd><code>{reference}</code></dd><dt>{units_l}</dt><dd><code>{units}</code></dd></dl>\
             <label for=\"place\">{at}</label>{places}<button>{go}</button></form>",
            csrf = csrf_field(&c),
            despatch = hidden("despatch", &sh.despatch_ref),
            from_l = c.t(T::From),
            from = esc(&sh.from_org_name),
            time_l = c.t(T::Time),
            time = esc(&local_time(&sh.shipped_at, "+08:00")),
            ref_l = c.t(T::Despatch),
            reference = esc(&sh.despatch_ref),
            units_l = c.t(T::Units),
            units = esc(&units.join("\n")),
            at = c.t(T::ReceiveAt),
            places = select(&c, "place", &options, options.first().map_or("", |o| o.0.as_str())),
            go = c.t(T::ReceiveOne),
        );
    }
    Ok(Html(page(&c, c.t(T::Receiving), &b)).into_response())
}

/// Receives one shipment: a `receiving` record of its units at the place.
pub(crate) async fn receive(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let despatch = f.text("despatch");
    let shipments = state.store.incoming_shipments(&c.caller).await.map_err(err)?;
    let Some(sh) = shipments.into_iter().find(|s| s.despatch_ref == despatch) else {
        return Err(error_page(c.lang, ApiError::not_found("shipment")));
    };
    let Some(place) = f.get("place") else {
        return Err(error_page(
            c.lang,
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                "choose where the shipment is received",
                "请选择收货场所",
            )
            .with_field("bizLocation"),
        ));
    };
    let example = suyuan_core::stages::examples::example_event(RecordKind::Receiving);
    let mut event = json!({
        "type": example["type"],
        "action": example["action"],
        "bizStep": example["bizStep"],
        "eventID": format!("urn:uuid:{}", uuid::Uuid::now_v7()),
        "eventTime": chrono::Utc::now().to_rfc3339(),
        "eventTimeZoneOffset": "+08:00",
        "bizLocation": {"id": format!("urn:suyuan:place:{place}")},
        "bizTransactionList": [{"type": "desadv", "bizTransaction": sh.despatch_ref}],
        format!("{AGRI_PREFIX}:recordKind"): RecordKind::Receiving.as_str(),
    });
    if !sh.epcs.is_empty() {
        event["epcList"] = json!(sh.epcs);
    }
    if !sh.quantities.is_empty() {
        event["quantityList"] = json!(sh.quantities);
    }
    let id = super::records::store_event(&state, &c, event).await?;
    Ok(super::records::to_stored(&id))
}
