//! `suyuan trace` as a clerk reads it: every identifier with its name beside
//! it (product, place, input and lot number, organisation), and the reason a
//! unit is not active in Chinese, then in English (the CLI has no language
//! option, so both are printed).

use std::fmt::Write as _;

use suyuan_store::trace::lineage::Direction;
use suyuan_store::trace::report::{TraceReport, TracedUnit};

/// What a unit is called: its place, its input and lot number, or its
/// product.
fn unit_name(u: &TracedUnit) -> Option<String> {
    if let Some(place) = &u.place_name {
        return Some(place.clone());
    }
    match (&u.input_name, &u.input_lot_number) {
        (Some(input), Some(lot)) => return Some(format!("{input}, lot {lot}")),
        (Some(input), None) => return Some(input.clone()),
        _ => {}
    }
    u.product_name.clone()
}

/// The report as text, one line per unit, event, organisation, place,
/// input lot and gap.
pub fn render(report: &TraceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} from {}: {} units, {} events, {} organisations, depth {} (reaches {})",
        match report.direction {
            Direction::Back => "trace back",
            Direction::Forward => "trace forward",
        },
        report.start,
        report.units.len(),
        report.events.len(),
        report.organisations.len(),
        report.depth,
        report.depth_reached.as_deref().unwrap_or("-")
    );
    for u in &report.units {
        let indent = "  ".repeat(u.reached.depth as usize + 1);
        let mut line = format!(
            "{indent}{} {}",
            u.reached.relation.as_deref().unwrap_or("start"),
            u.reached.epc
        );
        if let Some(name) = unit_name(u) {
            let _ = write!(line, "  {name}");
        }
        if let Some(holder) = &u.holder_org_name {
            let _ = write!(line, "  held by {holder}");
        }
        let _ = writeln!(out, "{line}");
        if let Some(status) = u.status.as_deref().filter(|s| *s != "active") {
            let _ = writeln!(out, "{indent}  ! {status}");
            if let Some(zh) = &u.status_reason_zh {
                let _ = writeln!(out, "{indent}    原因：{zh}");
            }
            if let Some(en) = &u.status_reason {
                let _ = writeln!(out, "{indent}    reason: {en}");
            }
        }
    }
    for e in &report.events {
        let what = e
            .record_kind
            .as_deref()
            .or(e.biz_step.as_deref())
            .unwrap_or(&e.event_type);
        let mut line = format!(
            "  event {} {what} by {}",
            e.event_time.format("%Y-%m-%d %H:%M UTC"),
            e.org_name
        );
        match (&e.place_name, &e.biz_location) {
            (Some(name), Some(uri)) => {
                let _ = write!(line, " at {name} ({uri})");
            }
            (None, Some(uri)) => {
                let _ = write!(line, " at {uri}");
            }
            _ => {}
        }
        if e.corrected {
            line.push_str(" [corrected]");
        }
        let _ = writeln!(out, "{line}");
    }
    for o in &report.organisations {
        let _ = writeln!(out, "  org {} ({}) {}", o.name, o.kind, o.id);
    }
    for p in &report.places {
        match report.place_names.get(p) {
            Some(name) => writeln!(out, "  place {name} {p}"),
            None => writeln!(out, "  place {p}"),
        }
        .ok();
    }
    for l in &report.input_lots {
        match report.input_lot_names.get(l) {
            Some(n) => writeln!(
                out,
                "  input lot {}, lot {} ({}) {l}",
                n.input_name, n.lot_number, n.input_kind
            ),
            None => writeln!(out, "  input lot {l}"),
        }
        .ok();
    }
    for g in &report.gaps {
        match &g.product_name {
            Some(name) => writeln!(out, "  gap {} {name}: {}", g.epc, g.reason),
            None => writeln!(out, "  gap {}: {}", g.epc, g.reason),
        }
        .ok();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use suyuan_store::trace::report::TraceReport;

    const LOT: &str = "https://id.gs1.org/01/09520000000011/10/L1";
    const PLOT: &str = "urn:suyuan:place:0190a0b0-0000-7000-8000-000000000001";
    const PEST: &str = "urn:suyuan:input-lot:0190a0b0-0000-7000-8000-000000000002";
    const COOP: &str = "0190a0b0-0000-7000-8000-000000000003";

    /// A report as the API answers it.
    fn report() -> TraceReport {
        let unit = |epc: &str, depth: u32, relation: Option<&str>| {
            json!({"epc": epc, "depth": depth, "via": null, "relation": relation, "event_id": null,
                   "kind": null, "status": null, "status_reason": null, "status_reason_zh": null,
                   "holder_org_id": null, "holder_org_name": null, "product_name": null, "place_name": null,
                   "input_name": null, "input_lot_number": null})
        };
        let mut lot = unit(LOT, 0, None);
        lot["kind"] = json!("lot");
        lot["status"] = json!("non_conformant");
        lot["status_reason"] = json!("harvested 3.0 days after applying PD20080005");
        lot["status_reason_zh"] = json!("施用 PD20080005 后 3.0 天即采收");
        lot["holder_org_id"] = json!(COOP);
        lot["holder_org_name"] = json!("郫都红光合作社");
        lot["product_name"] = json!("二荆条辣椒");
        let mut plot = unit(PLOT, 1, Some("grown_on"));
        plot["place_name"] = json!("一号地块");
        let mut pest = unit(PEST, 1, Some("input_applied"));
        pest["input_name"] = json!("吡虫啉");
        pest["input_lot_number"] = json!("20240501A");
        serde_json::from_value(json!({
            "start": LOT, "direction": "back", "depth": 1, "depth_reached": "planting",
            "units": [lot, plot, pest],
            "events": [{"event_id": "urn:uuid:1", "event_type": "ObjectEvent", "event_time": "2026-03-10T02:00:00Z",
                        "record_kind": "pest_control", "stage": "planting", "biz_step": null,
                        "biz_location": PLOT, "place_name": "一号地块", "org_id": COOP,
                        "org_name": "郫都红光合作社", "corrected": false}],
            "organisations": [{"id": COOP, "name": "郫都红光合作社", "kind": "producer"}],
            "places": [PLOT], "place_names": {PLOT: "一号地块"},
            "input_lots": [PEST],
            "input_lot_names": {PEST: {"input_name": "吡虫啉", "input_kind": "pesticide", "lot_number": "20240501A"}},
            "gaps": [],
        }))
        .unwrap()
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().map(str::trim).collect()
    }

    #[test]
    fn names_stand_beside_identifiers() {
        let text = render(&report());
        let lines = lines(&text);
        for want in [
            format!("start {LOT}  二荆条辣椒  held by 郫都红光合作社"),
            format!("grown_on {PLOT}  一号地块"),
            format!("input_applied {PEST}  吡虫啉, lot 20240501A"),
            format!("event 2026-03-10 02:00 UTC pest_control by 郫都红光合作社 at 一号地块 ({PLOT})"),
            format!("org 郫都红光合作社 (producer) {COOP}"),
            format!("place 一号地块 {PLOT}"),
            format!("input lot 吡虫啉, lot 20240501A (pesticide) {PEST}"),
        ] {
            assert!(lines.contains(&want.as_str()), "no line {want:?} in:\n{text}");
        }
    }

    #[test]
    fn the_reason_is_printed_in_chinese_then_english() {
        let text = render(&report());
        let lines = lines(&text);
        let at = |l: &str| {
            lines
                .iter()
                .position(|x| *x == l)
                .unwrap_or_else(|| panic!("{l:?} in:\n{text}"))
        };
        let status = at("! non_conformant");
        let zh = at("原因：施用 PD20080005 后 3.0 天即采收");
        let en = at("reason: harvested 3.0 days after applying PD20080005");
        assert_eq!((zh, en), (status + 1, status + 2), "{text}");
        assert_eq!(status, 2, "under the lot's own line:\n{text}");

        // An active unit has no status lines.
        let mut r = report();
        r.units[0].status = Some("active".into());
        let text = render(&r);
        assert!(!text.contains('!') && !text.contains("原因"), "{text}");
    }
}
