//! The dashboard: the organisation's latest records, the shipments on their
//! way to it, its lots that need attention (non-conformant after a failed
//! test or a pre-harvest interval not kept, recalled), and its item codes
//! issued and scanned.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{Html, IntoResponse};

use super::layout::{esc, event_name, local_time, page, record_link, status_name, table};
use super::{store_error, Console, PageResult, T};
use crate::AppState;

/// How many recent records the dashboard lists.
const RECENT: u32 = 15;

pub(crate) async fn show(State(state): State<AppState>, c: Console) -> PageResult {
    let s = &state.store;
    let recent = s.recent_events(&c.caller, RECENT).await;
    let incoming = s.incoming_shipments(&c.caller).await;
    let warnings = s.lots_needing_attention(&c.caller, 20).await;
    let counts = s.code_counts(&c.caller).await;
    let (recent, incoming, warnings, counts) = match (recent, incoming, warnings, counts) {
        (Ok(a), Ok(b), Ok(w), Ok(n)) => (a, b, w, n),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return Err(store_error(c.lang, e))
        }
    };
    let mut b = format!("<h1>{}</h1>", c.t(T::Dashboard));
    let _ = write!(
        b,
        "<div class=\"grid\"><div class=\"card\"><div class=\"stat\" id=\"codes-issued\">{}</div>{}</div>\
         <div class=\"card\"><div class=\"stat\" id=\"codes-scanned\">{}</div>{}</div>\
         <div class=\"card\"><div class=\"stat\" id=\"scans\">{}</div>{}</div>\
         <div class=\"card\"><div class=\"stat\">{}</div>{}</div></div>",
        counts.items,
        c.t(T::CodesIssued),
        counts.scanned_items,
        c.t(T::CodesScanned),
        counts.scans,
        c.t(T::Scans),
        incoming.len(),
        c.t(T::OpenShipments)
    );
    let _ = write!(
        b,
        "<p><a class=\"btn\" href=\"/console/records\">{}</a><a class=\"btn alt\" href=\"/console/lots\">{}</a></p>",
        c.t(T::NewRecord),
        c.t(T::AllocateLot)
    );
    let _ = write!(b, "<div class=\"card\"><h2>{}</h2>", c.t(T::LotsWarnings));
    if warnings.is_empty() {
        let _ = write!(b, "<p>{}</p>", c.t(T::NoneYet));
    } else {
        let rows: Vec<Vec<String>> = warnings
            .iter()
            .map(|u| {
                let reason = c.lang.pick(
                    u.status_reason_zh
                        .as_deref()
                        .or(u.status_reason.as_deref())
                        .unwrap_or(""),
                    u.status_reason.as_deref().unwrap_or(""),
                );
                vec![
                    format!(
                        "<a href=\"/console/lots/{}\">{}</a>",
                        u.id,
                        esc(u.batch.as_deref().unwrap_or(&u.epc))
                    ),
                    format!(
                        "<span class=\"bad\">{}</span>",
                        esc(&status_name(c.lang, &u.status))
                    ),
                    esc(reason),
                ]
            })
            .collect();
        b.push_str(&table(&[c.t(T::Lot), c.t(T::Status), c.t(T::Reason)], &rows));
    }
    b.push_str("</div>");
    let _ = write!(b, "<div class=\"card\"><h2>{}</h2>", c.t(T::OpenShipments));
    if incoming.is_empty() {
        let _ = write!(b, "<p>{}</p>", c.t(T::NoneYet));
    } else {
        let rows: Vec<Vec<String>> = incoming
            .iter()
            .map(|sh| {
                vec![
                    esc(&sh.from_org_name),
                    esc(&local_time(&sh.shipped_at, "+08:00")),
                    format!("<code>{}</code>", esc(&sh.despatch_ref)),
                ]
            })
            .collect();
        b.push_str(&table(&[c.t(T::From), c.t(T::Time), c.t(T::Despatch)], &rows));
        let _ = write!(
            b,
            "<p><a href=\"/console/shipments\">{}</a></p>",
            c.t(T::Receiving)
        );
    }
    b.push_str("</div>");
    let _ = write!(b, "<div class=\"card\"><h2>{}</h2>", c.t(T::RecentRecords));
    if recent.is_empty() {
        let _ = write!(b, "<p>{}</p>", c.t(T::NoneYet));
    } else {
        let rows: Vec<Vec<String>> = recent
            .iter()
            .map(|e| {
                let mut name = event_name(c.lang, e.record_kind.as_deref(), e.biz_step.as_deref());
                if e.is_error_declaration {
                    name = format!("{name} · {}", c.t(T::Declared));
                } else if e.corrected {
                    name = format!("{name} · {}", c.t(T::Corrected));
                }
                vec![
                    esc(&local_time(&e.event_time, &e.time_zone_offset)),
                    record_link(&e.event_id, &name),
                ]
            })
            .collect();
        b.push_str(&table(&[c.t(T::Time), c.t(T::Record)], &rows));
    }
    b.push_str("</div>");
    Ok(Html(page(&c, c.t(T::Dashboard), &b)).into_response())
}
