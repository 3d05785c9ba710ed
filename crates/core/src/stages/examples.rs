//! A complete example of every record kind: an EPCIS document with one
//! event, its `agri:*` values taken from the field declarations
//! ([`super::values::AGRI_FIELDS`]) and its standard fields from one small
//! story told across the examples — a cooperative sows, tends and harvests
//! lot [`EXAMPLE_LOT`] on its plot [`EXAMPLE_PLOT_GLN`], has it sampled and
//! tested, handles it at its packing house [`EXAMPLE_SITE_GLN`], processes
//! it into lot [`EXAMPLE_PRODUCT_LOT`], packs that on pallet
//! [`EXAMPLE_SSCC`], stores and ships it to a retailer
//! ([`EXAMPLE_RETAILER`]), which receives and sells it at its store
//! [`EXAMPLE_STORE_GLN`]. Told in the order of [`RecordKind::ALL`], the
//! examples are a season a platform accepts once the master data they name
//! exists (the organisations, the places with these GLNs, the input lots and
//! the operator).
//!
//! Identifiers are under the GS1 prefix 952, reserved for demonstrations.

use serde_json::{json, Value};

use super::values::{agri_field, example};
use super::{agri_fields_of, profile, EventType, RecordKind, Stage, AGRI_NS, AGRI_PREFIX};

/// The testing agency the sample is sent to (`urn:suyuan:org:{id}`).
pub const EXAMPLE_AGENCY: &str = "urn:suyuan:org:0190f5a2-7c1e-7000-8000-0000000000a1";
/// The retailer the pallet is shipped to.
pub const EXAMPLE_RETAILER: &str = "urn:suyuan:org:0190f5a2-7c1e-7000-8000-0000000000b2";
/// The despatch advice of the shipment.
pub const EXAMPLE_DESPATCH: &str = "urn:epcglobal:cbv:bt:9520001000003:DESADV-2026-0521";
/// The cooperative's plot, by its GLN.
pub const EXAMPLE_PLOT_GLN: &str = "9520001000010";
/// The cooperative's packing house, by its GLN.
pub const EXAMPLE_SITE_GLN: &str = "9520001000027";
/// The retailer's store, by its GLN.
pub const EXAMPLE_STORE_GLN: &str = "9520002000019";
/// The product's GTIN-14.
pub const EXAMPLE_GTIN: &str = "09520001000102";
/// The harvested lot.
pub const EXAMPLE_LOT: &str = "https://id.gs1.org/01/09520001000102/10/2026-0520-A1";
/// The lot processing makes of it.
pub const EXAMPLE_PRODUCT_LOT: &str = "https://id.gs1.org/01/09520001000102/10/2026-0521-P1";
/// The pallet, by its SSCC.
pub const EXAMPLE_SSCC: &str = "https://id.gs1.org/00/095200010000000010";

/// Per kind, `agri:*` values that tell the story better than the field's
/// own example (a seed lot for a sowing, a fertiliser's dose).
const OVERRIDES: &[(RecordKind, &str, &str)] = &[
    (
        RecordKind::Sowing,
        "inputLot",
        r#""urn:suyuan:input-lot:0190f5a2-7c1e-7000-8000-000000000011""#,
    ),
    (RecordKind::Sowing, "inputName", r#""二荆条辣椒种子""#),
    (
        RecordKind::Fertilising,
        "inputLot",
        r#""urn:suyuan:input-lot:0190f5a2-7c1e-7000-8000-000000000012""#,
    ),
    (RecordKind::Fertilising, "inputName", r#""硫酸钾复合肥 15-15-15""#),
    (
        RecordKind::Fertilising,
        "dose",
        r#"{"value": 30, "unit": "kg/亩"}"#,
    ),
    (RecordKind::Fertilising, "method", r#""沟施""#),
    (RecordKind::Cleaning, "method", r#""清水冲洗""#),
    (RecordKind::Grading, "method", r#""人工分级""#),
    (RecordKind::PreCooling, "method", r#""差压预冷""#),
    (RecordKind::Processing, "method", r#""切段""#),
    (RecordKind::Packing, "method", r#""纸箱装托""#),
];

/// Whether the example of `kind` carries the optional field `name`: not
/// `nonConformanceOverride` (said only when a non-conformant unit leaves),
/// nor `buyer` (a retail sale's buyer is a passer-by, not a customer of
/// the archive), and the note (about the weather) only on the plot.
fn shown(kind: RecordKind, name: &str) -> bool {
    match name {
        "nonConformanceOverride" | "buyer" => false,
        "note" => profile(kind).stage == Stage::Planting,
        _ => true,
    }
}

fn value_of(kind: RecordKind, name: &str) -> Value {
    OVERRIDES
        .iter()
        .find(|(k, n, _)| *k == kind && *n == name)
        .and_then(|(_, _, v)| serde_json::from_str(v).ok())
        .or_else(|| agri_field(name).map(example))
        .unwrap_or(Value::Null)
}

fn qty(epc_class: &str, kg: f64) -> Value {
    json!({"epcClass": epc_class, "quantity": kg, "uom": "KGM"})
}

fn place(gln: &str) -> Value {
    json!({"id": format!("https://id.gs1.org/414/{gln}")})
}

/// When the example of `kind` happens, and its standard fields.
fn story(kind: RecordKind) -> (&'static str, Value) {
    use RecordKind as K;
    let (plot, site, store) = (
        place(EXAMPLE_PLOT_GLN),
        place(EXAMPLE_SITE_GLN),
        place(EXAMPLE_STORE_GLN),
    );
    let (lot, product, pallet) = (EXAMPLE_LOT, EXAMPLE_PRODUCT_LOT, EXAMPLE_SSCC);
    let despatch = json!([{"type": "desadv", "bizTransaction": EXAMPLE_DESPATCH}]);
    let to = |org: &str| json!([{"type": "owning_party", "destination": org}]);
    match kind {
        K::Sowing => (
            "2026-03-01T08:00:00+08:00",
            json!({"bizLocation": plot, "epcList": []}),
        ),
        K::Fertilising => (
            "2026-03-10T08:00:00+08:00",
            json!({"bizLocation": plot, "epcList": []}),
        ),
        K::Irrigation => (
            "2026-03-15T07:30:00+08:00",
            json!({"bizLocation": plot, "epcList": []}),
        ),
        K::PestControl => (
            "2026-04-10T16:00:00+08:00",
            json!({"bizLocation": plot, "epcList": []}),
        ),
        K::FieldWork => (
            "2026-04-20T08:00:00+08:00",
            json!({"bizLocation": plot, "epcList": []}),
        ),
        K::Harvest => (
            "2026-05-20T06:00:00+08:00",
            json!({"bizLocation": plot, "quantityList": [qty(lot, 500.0)]}),
        ),
        K::Sampling => (
            "2026-05-20T08:00:00+08:00",
            json!({"quantityList": [qty(lot, 2.0)], "destinationList": to(EXAMPLE_AGENCY)}),
        ),
        K::Testing => (
            "2026-05-20T09:30:00+08:00",
            json!({"quantityList": [qty(lot, 2.0)]}),
        ),
        K::Cleaning => (
            "2026-05-20T10:00:00+08:00",
            json!({"bizLocation": site, "quantityList": [qty(lot, 498.0)]}),
        ),
        K::Grading => (
            "2026-05-20T11:00:00+08:00",
            json!({"bizLocation": site, "quantityList": [qty(lot, 498.0)]}),
        ),
        K::PreCooling => (
            "2026-05-20T12:00:00+08:00",
            json!({"bizLocation": site, "quantityList": [qty(lot, 498.0)]}),
        ),
        K::Processing => (
            "2026-05-21T08:00:00+08:00",
            json!({"bizLocation": site, "inputQuantityList": [qty(lot, 498.0)],
                   "outputQuantityList": [qty(product, 450.0)]}),
        ),
        K::Packing => (
            "2026-05-21T09:00:00+08:00",
            json!({"bizLocation": site, "parentID": pallet, "childQuantityList": [qty(product, 450.0)]}),
        ),
        K::StorageIn => (
            "2026-05-21T10:00:00+08:00",
            json!({"bizLocation": site, "epcList": [pallet]}),
        ),
        K::StorageOut => (
            "2026-05-22T06:00:00+08:00",
            json!({"bizLocation": site, "epcList": [pallet]}),
        ),
        K::Shipping => (
            "2026-05-22T07:00:00+08:00",
            json!({"epcList": [pallet], "disposition": "in_transit", "bizTransactionList": despatch,
                   "destinationList": to(EXAMPLE_RETAILER)}),
        ),
        K::Receiving => (
            "2026-05-22T15:00:00+08:00",
            json!({"epcList": [pallet], "bizLocation": store, "bizTransactionList": despatch}),
        ),
        K::Sale => (
            "2026-05-23T10:00:00+08:00",
            json!({"bizLocation": store, "quantityList": [qty(product, 5.0)]}),
        ),
    }
}

/// The example event of `kind`.
pub fn example_event(kind: RecordKind) -> Value {
    let p = profile(kind);
    let index = RecordKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let (time, fields) = story(kind);
    let mut e = json!({
        "type": p.event_type.as_str(),
        "eventID": format!("urn:uuid:0190f5a2-7c1e-7000-8001-{:012}", index + 1),
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
    });
    if p.event_type != EventType::Transformation {
        let add = matches!(kind, RecordKind::Harvest | RecordKind::Packing);
        e["action"] = json!(if add { "ADD" } else { "OBSERVE" });
    }
    e["bizStep"] = json!(p.biz_steps[0]);
    for (k, v) in fields.as_object().into_iter().flatten() {
        e[k] = v.clone();
    }
    e[format!("{AGRI_PREFIX}:recordKind")] = json!(kind.as_str());
    for (name, _) in agri_fields_of(kind).filter(|(n, required)| *required || shown(kind, n)) {
        e[format!("{AGRI_PREFIX}:{name}")] = value_of(kind, name);
    }
    e
}

/// The example document of `kind`: an EPCISDocument with its one event.
pub fn example_document(kind: RecordKind) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {AGRI_PREFIX: AGRI_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-23T12:00:00+08:00",
        "epcisBody": {"eventList": [example_event(kind)]}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::gs1_check_digit;
    use crate::stages::RecordKind;

    /// Every example identifier carries its right GS1 check digit.
    #[test]
    fn example_keys_are_well_formed() {
        let sscc = EXAMPLE_SSCC.trim_start_matches("https://id.gs1.org/00/");
        let bt_gln = EXAMPLE_DESPATCH.split(':').nth(4).unwrap_or_default();
        for key in [
            EXAMPLE_PLOT_GLN,
            EXAMPLE_SITE_GLN,
            EXAMPLE_STORE_GLN,
            EXAMPLE_GTIN,
            sscc,
            bt_gln,
        ] {
            let (body, check) = key.split_at(key.len() - 1);
            assert_eq!(check, gs1_check_digit(body).to_string(), "{key}");
        }
        assert!(EXAMPLE_LOT.contains(EXAMPLE_GTIN) && EXAMPLE_PRODUCT_LOT.contains(EXAMPLE_GTIN));
        assert_eq!(sscc.len(), 18);
    }

    /// The story is told in order: each example happens after the one before.
    #[test]
    fn the_examples_are_in_time_order() {
        let times: Vec<String> = RecordKind::ALL.iter().map(|k| story(*k).0.to_owned()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted);
    }
}
