//! A whole agricultural chain recorded through `POST /epcis/capture` with
//! `agri:recordKind` records, between a producer cooperative (its plot a
//! place of its own), a packer and a retailer: the profile of every record
//! kind, the domain rules, the pre-harvest interval, failed tests,
//! corrections, the hand-over of custody, and traces back to the plot and the
//! input lots and forward to everything reached (through the store, which
//! has no HTTP endpoint for traces yet).

#![allow(clippy::unwrap_used)]

use crate::common::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use suyuan_core::codes::gs1_check_digit;
use suyuan_store::trace::lineage::Direction;
use suyuan_store::trace::units::{NewLot, Unit};
use suyuan_store::Caller;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Documents and records

pub(crate) const AGRI_NS: &str = "https://suyuan.dev/ns/agri/";

pub(crate) fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": AGRI_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-04-01T10:00:00+08:00",
        "epcisBody": {"eventList": events}
    })
}

/// A time in March 2026 (China Standard Time).
pub(crate) fn t(day: u32, hour: u32) -> String {
    format!("2026-03-{day:02}T{hour:02}:00:00+08:00")
}

pub(crate) fn new_event_id() -> String {
    format!("urn:uuid:{}", Uuid::now_v7())
}

/// A fresh GTIN-14 (a GTIN-13 with a leading zero).
pub(crate) fn gtin14() -> String {
    format!("0{}", gtin13())
}

/// A lot of a GTIN, as a canonical Digital Link.
pub(crate) fn lot(gtin: &str, name: &str) -> String {
    format!("https://id.gs1.org/01/{gtin}/10/{name}")
}

/// A fresh SSCC (a pallet), as a canonical Digital Link.
pub(crate) fn sscc() -> String {
    let body = format!("0952{:013}", 1_000_000 + unique());
    format!("https://id.gs1.org/00/{body}{}", gs1_check_digit(&body))
}

pub(crate) fn org_urn(id: Uuid) -> String {
    format!("urn:suyuan:org:{id}")
}

pub(crate) fn place_uri(place: &Value) -> String {
    format!("urn:suyuan:place:{}", place["id"].as_str().unwrap())
}

pub(crate) fn agri_step(step: &str) -> String {
    format!("{AGRI_NS}bizstep/{step}")
}

pub(crate) fn at(place: &str) -> Value {
    json!({"id": place})
}

pub(crate) fn qty(epc_class: &str, kg: f64) -> Value {
    json!({"epcClass": epc_class, "quantity": kg, "uom": "KGM"})
}

pub(crate) fn desadv(reference: &str) -> Value {
    json!([{"type": "desadv", "bizTransaction": format!("urn:epcglobal:cbv:bt:9521234000013:{reference}")}])
}

/// One record: an event of `kind` with `extra` fields.
pub(crate) fn rec(kind: &str, event_type: &str, biz_step: &str, time: &str, extra: Value) -> Value {
    let mut e = json!({
        "type": event_type,
        "eventID": new_event_id(),
        "eventTime": time,
        "eventTimeZoneOffset": "+08:00",
        "bizStep": biz_step,
        "agri:recordKind": kind,
    });
    if event_type != "TransformationEvent" {
        e["action"] = json!("OBSERVE");
    }
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// `fields` plus the unit: an instance (pallet, item) in `epcList`, a lot in
/// `quantityList`.
pub(crate) fn with_unit(mut fields: Value, unit: &str) -> Value {
    if unit.contains("/00/") || unit.contains("/21/") {
        fields["epcList"] = json!([unit]);
    } else {
        fields["quantityList"] = json!([qty(unit, 100.0)]);
    }
    fields
}

pub(crate) fn sowing(plot: &str, time: &str, seed: &str) -> Value {
    rec(
        "sowing",
        "ObjectEvent",
        &agri_step("sowing"),
        time,
        json!({"epcList": [], "bizLocation": at(plot), "agri:variety": "二荆条", "agri:inputLot": seed, "agri:operator": "王五"}),
    )
}

pub(crate) fn fertilising(plot: &str, time: &str, input: &str) -> Value {
    rec(
        "fertilising",
        "ObjectEvent",
        &agri_step("fertilising"),
        time,
        json!({
            "epcList": [], "bizLocation": at(plot), "agri:inputLot": input, "agri:dose": "30 kg/亩",
            "agri:method": "沟施", "agri:operator": "王五"
        }),
    )
}

pub(crate) fn irrigation(plot: &str, time: &str) -> Value {
    rec(
        "irrigation",
        "ObjectEvent",
        &agri_step("irrigation"),
        time,
        json!({"epcList": [], "bizLocation": at(plot), "agri:waterSource": "都江堰灌区", "agri:volume": "40 m3", "agri:operator": "王五"}),
    )
}

pub(crate) fn pest_control(plot: &str, time: &str, input: &str, registration: &str, phi_days: u32) -> Value {
    rec(
        "pest_control",
        "ObjectEvent",
        &agri_step("pest_control"),
        time,
        json!({
            "epcList": [], "bizLocation": at(plot), "agri:inputLot": input,
            "agri:registrationNumber": registration, "agri:dose": "1500 倍液", "agri:method": "喷雾",
            "agri:target": "蚜虫", "agri:preHarvestIntervalDays": phi_days, "agri:operator": "王五"
        }),
    )
}

pub(crate) fn field_work(plot: &str, time: &str) -> Value {
    rec(
        "field_work",
        "ObjectEvent",
        &agri_step("field_work"),
        time,
        json!({"epcList": [], "bizLocation": at(plot), "agri:operation": "除草", "agri:operator": "王五"}),
    )
}

pub(crate) fn harvest(plot: &str, time: &str, lot: &str) -> Value {
    rec(
        "harvest",
        "ObjectEvent",
        "commissioning",
        time,
        json!({
            "action": "ADD", "quantityList": [qty(lot, 500.0)], "bizLocation": at(plot),
            "agri:harvestMethod": "人工采摘", "agri:operator": "王五"
        }),
    )
}

pub(crate) fn testing(lot: &str, time: &str, conclusion: &str, sample: &str) -> Value {
    rec(
        "testing",
        "ObjectEvent",
        "inspecting",
        time,
        json!({
            "quantityList": [qty(lot, 1.0)], "agri:sampleId": sample,
            "agri:testItems": [
                {"item": "毒死蜱", "result": "0.01 mg/kg", "limit": "0.02 mg/kg", "pass": true},
                {"item": "吡虫啉", "result": if conclusion == "fail" { "0.9 mg/kg" } else { "0.05 mg/kg" },
                 "limit": "0.2 mg/kg", "pass": conclusion != "fail"}],
            "agri:conclusion": conclusion, "agri:agency": "四川省农产品质量安全检测中心"
        }),
    )
}

/// The holder (or an officer) has a sample of `lot` taken for `agency` to test.
pub(crate) fn sampling(lot: &str, time: &str, sample: &str, agency: Uuid) -> Value {
    rec(
        "sampling",
        "ObjectEvent",
        "sampling",
        time,
        json!({
            "quantityList": [qty(lot, 1.0)], "agri:sampleId": sample,
            "destinationList": [{"type": "owning_party", "destination": org_urn(agency)}]
        }),
    )
}

pub(crate) fn cleaning(lot: &str, place: &str, time: &str) -> Value {
    rec(
        "cleaning",
        "ObjectEvent",
        &agri_step("cleaning"),
        time,
        with_unit(json!({"bizLocation": at(place), "agri:method": "清水冲洗"}), lot),
    )
}

pub(crate) fn grading(lot: &str, place: &str, time: &str) -> Value {
    rec(
        "grading",
        "ObjectEvent",
        &agri_step("grading"),
        time,
        with_unit(
            json!({"bizLocation": at(place), "agri:method": "人工分级", "agri:grade": "一级"}),
            lot,
        ),
    )
}

pub(crate) fn pre_cooling(lot: &str, place: &str, time: &str) -> Value {
    rec(
        "pre_cooling",
        "ObjectEvent",
        &agri_step("pre_cooling"),
        time,
        with_unit(
            json!({"bizLocation": at(place), "agri:method": "差压预冷", "agri:temperature": 4}),
            lot,
        ),
    )
}

pub(crate) fn processing(place: &str, time: &str, inputs: &[&str], outputs: &[&str]) -> Value {
    rec(
        "processing",
        "TransformationEvent",
        &agri_step("processing"),
        time,
        json!({
            "inputQuantityList": inputs.iter().map(|l| qty(l, 300.0)).collect::<Vec<_>>(),
            "outputQuantityList": outputs.iter().map(|l| qty(l, 150.0)).collect::<Vec<_>>(),
            "bizLocation": at(place), "agri:method": "切分"
        }),
    )
}

pub(crate) fn packing(place: &str, time: &str, pallet: &str, children: &[&str]) -> Value {
    rec(
        "packing",
        "AggregationEvent",
        "packing",
        time,
        json!({
            "action": "ADD", "parentID": pallet,
            "childQuantityList": children.iter().map(|l| qty(l, 150.0)).collect::<Vec<_>>(),
            "bizLocation": at(place), "agri:method": "纸箱装托"
        }),
    )
}

pub(crate) fn storage_in(unit: &str, place: &str, time: &str, position: &str) -> Value {
    rec(
        "storage_in",
        "ObjectEvent",
        "storing",
        time,
        with_unit(
            json!({"bizLocation": at(place), "agri:position": position, "agri:conditions": "0-4 ℃"}),
            unit,
        ),
    )
}

pub(crate) fn storage_out(unit: &str, place: &str, time: &str) -> Value {
    rec(
        "storage_out",
        "ObjectEvent",
        "picking",
        time,
        with_unit(json!({"bizLocation": at(place)}), unit),
    )
}

pub(crate) fn shipping(unit: &str, time: &str, despatch: &str, to: Uuid) -> Value {
    rec(
        "shipping",
        "ObjectEvent",
        "shipping",
        time,
        with_unit(
            json!({
                "disposition": "in_transit",
                "bizTransactionList": desadv(despatch),
                "destinationList": [{"type": "owning_party", "destination": org_urn(to)}],
                "agri:carrier": "冷链物流公司", "agri:transportMode": "road", "agri:temperatureClass": "chilled"
            }),
            unit,
        ),
    )
}

pub(crate) fn receiving(unit: &str, place: &str, time: &str, despatch: &str) -> Value {
    rec(
        "receiving",
        "ObjectEvent",
        "receiving",
        time,
        with_unit(
            json!({"bizTransactionList": desadv(despatch), "bizLocation": at(place)}),
            unit,
        ),
    )
}

pub(crate) fn sale(unit: &str, place: &str, time: &str) -> Value {
    rec(
        "sale",
        "ObjectEvent",
        "retail_selling",
        time,
        json!({"quantityList": [qty(unit, 5.0)], "bizLocation": at(place), "agri:channel": "门店零售"}),
    )
}

// ---------------------------------------------------------------------------
// Organisations and capture

/// An organisation of the chain.
pub(crate) struct Org {
    pub(crate) id: Uuid,
    pub(crate) token: String,
    pub(crate) username: String,
    /// Its main place (the producer's plot, the packer's packing house, the
    /// retailer's store) as `urn:suyuan:place:{uuid}`.
    pub(crate) place: String,
}

impl Org {
    pub(crate) async fn caller(&self, app: &TestApp) -> Caller {
        app.store
            .caller_for_username(&self.username)
            .await
            .unwrap()
            .expect("the admin exists")
    }
}

/// A verified farmers' cooperative with a production base and a plot;
/// answers it (its place: the plot) and the base's id and URI.
pub(crate) async fn cooperative(app: &TestApp, username: &str) -> (Org, String, String) {
    let code = uscc("93", "510115");
    let (id, token) = app
        .register_org("producer", Some("cooperative"), &code, username)
        .await;
    app.verify(id).await;
    // The person who records the field work.
    let (status, duty) = app
        .put("/api/v1/duties/recording", &token, json!({"person_name": "王五"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{duty}");
    let base_place = app.create_place(&token, base("郫都红光蔬菜基地")).await;
    let plot = app
        .create_place(
            &token,
            merge(place("plot", "一号地块"), json!({"parent_id": base_place["id"]})),
        )
        .await;
    let org = Org {
        id,
        token,
        username: username.to_owned(),
        place: place_uri(&plot),
    };
    (
        org,
        base_place["id"].as_str().unwrap().to_owned(),
        place_uri(&base_place),
    )
}

/// An input lot `org` bought: a purchase of an input of `kind` (`seed`,
/// `fertiliser`, `pesticide`; a pesticide registered as `registration` with
/// a pre-harvest interval of 7 days), named canonically.
pub(crate) async fn buy(app: &TestApp, org: &Org, kind: &str, registration: &str) -> String {
    let (status, supplier) = app
        .post(
            "/api/v1/suppliers",
            &org.token,
            json!({"name": "成都农资有限公司"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{supplier}");
    let mut input = json!({"kind": kind, "name": format!("{kind} {registration}"), "unit": "袋"});
    if kind == "pesticide" {
        input["registration_number"] = json!(registration);
        input["pre_harvest_interval_days"] = json!(7);
    }
    let (status, input) = app.post("/api/v1/inputs", &org.token, input).await;
    assert_eq!(status, StatusCode::CREATED, "{input}");
    let (status, purchase) = app
        .post(
            "/api/v1/input-purchases",
            &org.token,
            json!({"input_id": input["id"], "supplier_id": supplier["id"], "lot_number": format!("B{}", unique()),
                   "quantity": 10.0, "unit": "袋", "purchased_on": "2026-02-20"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{purchase}");
    format!("urn:suyuan:input-lot:{}", purchase["id"].as_str().unwrap())
}

/// Another plot on a production base.
pub(crate) async fn new_plot(app: &TestApp, org: &Org, base_id: &str, name: &str) -> String {
    let plot = app
        .create_place(
            &org.token,
            merge(place("plot", name), json!({"parent_id": base_id})),
        )
        .await;
    place_uri(&plot)
}

/// A verified company of `kind` with one place of `place_kind`.
pub(crate) async fn company(app: &TestApp, kind: &str, username: &str, place_kind: &str) -> Org {
    let code = uscc("91", "510115");
    let (id, token) = app.register_org(kind, None, &code, username).await;
    app.verify(id).await;
    let p = app.create_place(&token, place(place_kind, "测试场所")).await;
    Org {
        id,
        token,
        username: username.to_owned(),
        place: place_uri(&p),
    }
}

/// Captures events as one document; answers the job (202 asserted).
pub(crate) async fn capture(app: &TestApp, org: &Org, events: Vec<Value>) -> Value {
    let (status, job) = app.post("/epcis/capture", &org.token, document(events)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    job
}

/// Records events, expecting every one accepted and stored.
pub(crate) async fn record(app: &TestApp, org: &Org, events: Vec<Value>) -> Value {
    let n = events.len();
    let job = capture(app, org, events).await;
    assert_eq!(job["success"], true, "{job:#}");
    assert_eq!(job["captured"], n, "{job:#}");
    job
}

/// Records one event expecting it refused with `code`; checks that nothing
/// was stored; answers the error.
pub(crate) async fn refuse(app: &TestApp, org: &Org, event: Value, code: &str) -> Value {
    let id = event["eventID"].as_str().unwrap().to_owned();
    let job = capture(app, org, vec![event]).await;
    assert_eq!(job["success"], false, "expected {code}: {job:#}");
    assert_eq!(job["captured"], 0, "{job:#}");
    let errors = job["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{job:#}");
    let e = errors[0].clone();
    assert_eq!(e["code"], code, "{job:#}");
    assert_eq!(e["event_index"], 0, "{job:#}");
    assert!(e["detail"].as_str().is_some_and(|s| !s.is_empty()), "{e}");
    assert!(e["detail_zh"].as_str().is_some_and(|s| !s.is_empty()), "{e}");
    let (status, _) = get_event(app, org, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a refused record is not stored");
    e
}

/// `GET /epcis/events/{id}`: the status and the events (original first).
pub(crate) async fn get_event(app: &TestApp, org: &Org, id: &str) -> (StatusCode, Vec<Value>) {
    let (status, body) = app.get(&format!("/epcis/events/{}", enc(id)), &org.token).await;
    let events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (status, events)
}

pub(crate) async fn unit(app: &TestApp, epc: &str) -> Unit {
    app.store
        .find_unit(epc)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{epc} is not a unit"))
}

/// A trace as JSON.
pub(crate) async fn trace(app: &TestApp, org: &Org, epc: &str, dir: Direction) -> Value {
    let caller = org.caller(app).await;
    let report = app
        .store
        .trace(&caller, epc, dir, 30)
        .await
        .unwrap_or_else(|e| panic!("trace {epc} {dir:?} by {}: {e}", org.username));
    serde_json::to_value(&report).unwrap()
}

/// The unit of a trace with this identifier.
pub(crate) fn traced<'a>(report: &'a Value, epc: &str) -> Option<&'a Value> {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["epc"] == epc)
}

/// The event of a trace with this eventID (there is at most one).
pub(crate) fn traced_event<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    let found: Vec<&Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_id"] == id)
        .collect();
    assert!(found.len() <= 1, "{id} listed {} times", found.len());
    found.first().copied()
}

pub(crate) fn id_of(event: &Value) -> String {
    event["eventID"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------
// A small world: a producer with a plot (sown on 1 March), lot L1 harvested
// there and held, lot LS harvested and shipped to the retailer (not yet
// received).

pub(crate) struct World {
    pub(crate) producer: Org,
    pub(crate) retailer: Org,
    pub(crate) base_id: String,
    /// The producer's production base (a place for post-harvest records).
    pub(crate) base: String,
    pub(crate) gtin: String,
    pub(crate) l1: String,
    pub(crate) shipped: String,
    pub(crate) despatch: String,
    /// The producer's input lots (purchases): seed, fertiliser, and a
    /// pesticide registered as PD20080005 with a 7-day interval.
    pub(crate) seed: String,
    pub(crate) fertiliser: String,
    pub(crate) pesticide: String,
}

impl World {
    pub(crate) async fn new(app: &TestApp, tag: &str) -> World {
        let (producer, base_id, base) = cooperative(app, &format!("{tag}.coop")).await;
        let retailer = company(app, "retailer", &format!("{tag}.shop"), "store").await;
        let gtin = gtin14();
        let seed = buy(app, &producer, "seed", "").await;
        let fertiliser = buy(app, &producer, "fertiliser", "").await;
        let pesticide = buy(app, &producer, "pesticide", "PD20080005").await;
        let l1 = lot(&gtin, "L1");
        let shipped = lot(&gtin, "LS");
        let despatch = format!("D{}", unique());
        record(
            app,
            &producer,
            vec![
                sowing(&producer.place, &t(1, 8), &seed),
                harvest(&producer.place, &t(5, 8), &l1),
                harvest(&producer.place, &t(5, 9), &shipped),
                shipping(&shipped, &t(6, 8), &despatch, retailer.id),
            ],
        )
        .await;
        World {
            producer,
            retailer,
            base_id,
            base,
            gtin,
            l1,
            shipped,
            despatch,
            seed,
            fertiliser,
            pesticide,
        }
    }

    /// A complete record of `kind` and the organisation that records it.
    pub(crate) fn complete(&self, kind: &str) -> (&Org, Value) {
        let p = &self.producer;
        let plot = p.place.as_str();
        let event = match kind {
            "sowing" => sowing(plot, &t(10, 8), &self.seed),
            "fertilising" => fertilising(plot, &t(10, 8), &self.fertiliser),
            "irrigation" => irrigation(plot, &t(10, 8)),
            "pest_control" => pest_control(plot, &t(10, 8), &self.pesticide, "PD20080005", 7),
            "field_work" => field_work(plot, &t(10, 8)),
            "harvest" => harvest(plot, &t(10, 8), &lot(&self.gtin, "L-NEW")),
            "testing" => testing(&self.l1, &t(10, 8), "pass", "S-2026-0001"),
            "cleaning" => cleaning(&self.l1, &self.base, &t(10, 8)),
            "grading" => grading(&self.l1, &self.base, &t(10, 8)),
            "pre_cooling" => pre_cooling(&self.l1, &self.base, &t(10, 8)),
            "processing" => processing(&self.base, &t(10, 8), &[&self.l1], &[&lot(&self.gtin, "L-CUT")]),
            "packing" => packing(&self.base, &t(10, 8), &sscc(), &[&self.l1]),
            "storage_in" => storage_in(&self.l1, &self.base, &t(10, 8), "A-01"),
            "storage_out" => storage_out(&self.l1, &self.base, &t(10, 8)),
            "shipping" => shipping(&self.l1, &t(10, 8), &format!("D{}", unique()), self.retailer.id),
            "receiving" => {
                let e = receiving(&self.shipped, &self.retailer.place, &t(10, 8), &self.despatch);
                return (&self.retailer, e);
            }
            "sale" => sale(&self.l1, &self.base, &t(10, 8)),
            other => panic!("no record of kind {other}"),
        };
        (p, event)
    }
}

// ---------------------------------------------------------------------------
// B1. Every stage profile

/// A complete record of `kind` is accepted; the same record lacking
/// `lacking` is refused naming each of them (and none of the others).
pub(crate) async fn check_profile(app: &TestApp, kind: &str, lacking: &[&str]) {
    let w = World::new(app, kind).await;
    let (org, complete) = w.complete(kind);
    assert_eq!(complete["agri:recordKind"], kind);

    let mut incomplete = complete.clone();
    incomplete["eventID"] = json!(new_event_id());
    for f in lacking {
        assert!(
            incomplete.as_object_mut().unwrap().remove(*f).is_some(),
            "{kind}: the complete record has no {f}"
        );
    }
    let e = refuse(app, org, incomplete, "profile_missing_fields").await;
    assert_eq!(e["field"], "event", "{e}");
    let (en, zh) = (e["detail"].as_str().unwrap(), e["detail_zh"].as_str().unwrap());
    for f in lacking {
        assert!(en.contains(f), "{kind}: {f} not named in {en}");
        assert!(zh.contains(f), "{kind}: {f} not named in {zh}");
    }
    for k in complete.as_object().unwrap().keys() {
        if k.starts_with("agri:") && k != "agri:recordKind" && !lacking.contains(&k.as_str()) {
            assert!(
                !en.contains(k.as_str()),
                "{kind}: {k} is present but named in {en}"
            );
        }
    }

    let job = record(app, org, vec![complete.clone()]).await;
    assert_eq!(job["eventIDs"], json!([id_of(&complete)]));
    let (status, events) = get_event(app, org, &id_of(&complete)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["agri:recordKind"], kind);
}

macro_rules! profile {
    ($kind:ident, [$($field:literal),+ $(,)?]) => {
        both_backends!($kind, |app| async move {
            check_profile(app, stringify!($kind), &[$($field),+]).await;
        });
    };
}

mod profiles {
    use super::*;

    profile!(sowing, ["agri:variety", "agri:inputLot", "agri:operator"]);
    profile!(
        fertilising,
        ["agri:inputLot", "agri:dose", "agri:method", "agri:operator"]
    );
    profile!(irrigation, ["agri:waterSource", "agri:volume", "agri:operator"]);
    profile!(
        pest_control,
        [
            "agri:inputLot",
            "agri:registrationNumber",
            "agri:dose",
            "agri:method",
            "agri:target",
            "agri:preHarvestIntervalDays",
            "agri:operator",
        ]
    );
    profile!(field_work, ["agri:operation", "agri:operator"]);
    profile!(harvest, ["agri:harvestMethod", "agri:operator"]);
    profile!(
        testing,
        [
            "agri:sampleId",
            "agri:testItems",
            "agri:conclusion",
            "agri:agency"
        ]
    );
    profile!(cleaning, ["agri:method"]);
    profile!(grading, ["agri:method", "agri:grade"]);
    profile!(pre_cooling, ["agri:method", "agri:temperature"]);
    profile!(processing, ["agri:method"]);
    profile!(packing, ["agri:method"]);
    profile!(storage_in, ["agri:position", "agri:conditions"]);
    // No fields of ours: the standard ones it needs.
    profile!(storage_out, ["bizLocation"]);
    profile!(
        shipping,
        ["agri:carrier", "agri:transportMode", "agri:temperatureClass"]
    );
    profile!(receiving, ["bizTransactionList", "bizLocation"]);
    profile!(sale, ["agri:channel"]);
}

// ---------------------------------------------------------------------------
// B2. Domain refusals

both_backends!(
    recording_on_a_unit_held_by_another_org_is_refused,
    |app| async move {
        let w = World::new(app, "held").await;
        let e = refuse(
            app,
            &w.retailer,
            storage_in(&w.l1, &w.retailer.place, &t(10, 8), "B-01"),
            "unit_not_held",
        )
        .await;
        assert_eq!(e["field"], "quantityList");
        // By pallet too.
        let pallet = sscc();
        record(
            app,
            &w.producer,
            vec![packing(&w.base, &t(10, 8), &pallet, &[&w.l1])],
        )
        .await;
        let e = refuse(
            app,
            &w.retailer,
            storage_in(&pallet, &w.retailer.place, &t(10, 9), "B-01"),
            "unit_not_held",
        )
        .await;
        assert_eq!(e["field"], "epcList");
    }
);

both_backends!(recording_on_an_unknown_unit_is_refused, |app| async move {
    let w = World::new(app, "unknown").await;
    let never = lot(&w.gtin, "NEVER-HARVESTED");
    let e = refuse(
        app,
        &w.producer,
        storage_in(&never, &w.base, &t(10, 8), "A-01"),
        "unit_unknown",
    )
    .await;
    assert_eq!(e["field"], "quantityList");
    assert!(e["detail"].as_str().unwrap().contains(&never), "{e}");
    let e = refuse(
        app,
        &w.producer,
        processing(&w.base, &t(10, 8), &[&never], &[&lot(&w.gtin, "OUT")]),
        "unit_unknown",
    )
    .await;
    assert_eq!(e["field"], "inputQuantityList");
    refuse(
        app,
        &w.producer,
        storage_in(&sscc(), &w.base, &t(10, 8), "A-01"),
        "unit_unknown",
    )
    .await;
    assert!(app.store.find_unit(&lot(&w.gtin, "OUT")).await.unwrap().is_none());
});

both_backends!(harvest_before_the_plots_sowing_is_refused, |app| async move {
    let w = World::new(app, "early").await;
    // The plot was sown on 1 March.
    let l = lot(&w.gtin, "EARLY");
    let e = refuse(
        app,
        &w.producer,
        harvest(&w.producer.place, &t(1, 7), &l),
        "harvest_before_sowing",
    )
    .await;
    assert_eq!(e["field"], "eventTime");
    assert!(app.store.find_unit(&l).await.unwrap().is_none());
    // The same on the day after is fine.
    record(app, &w.producer, vec![harvest(&w.producer.place, &t(2, 7), &l)]).await;
});

both_backends!(shipping_before_packing_is_refused, |app| async move {
    let w = World::new(app, "unpacked").await;
    let pallet = sscc();
    // Packed at 12:00 on 12 March ...
    record(
        app,
        &w.producer,
        vec![packing(&w.base, &t(12, 12), &pallet, &[&w.l1])],
    )
    .await;
    // ... so it cannot have been shipped on 11 March, as a pallet or as the lot in it.
    let e = refuse(
        app,
        &w.producer,
        shipping(&pallet, &t(11, 8), "D-EARLY-1", w.retailer.id),
        "before_packing",
    )
    .await;
    assert_eq!(e["field"], "eventTime");
    refuse(
        app,
        &w.producer,
        shipping(&w.l1, &t(11, 8), "D-EARLY-2", w.retailer.id),
        "before_packing",
    )
    .await;
    // After packing it may.
    record(
        app,
        &w.producer,
        vec![shipping(&pallet, &t(12, 14), "D-EARLY-1", w.retailer.id)],
    )
    .await;
});

both_backends!(
    receiving_against_an_unknown_despatch_is_refused,
    |app| async move {
        let w = World::new(app, "nodesadv").await;
        let e = refuse(
            app,
            &w.retailer,
            receiving(&w.shipped, &w.retailer.place, &t(10, 8), "D-NEVER-SENT"),
            "despatch_unknown",
        )
        .await;
        assert_eq!(e["field"], "bizTransactionList");
        assert_eq!(unit(app, &w.shipped).await.holder_org_id, w.producer.id);
    }
);

both_backends!(
    receiving_by_an_org_that_is_not_the_destination_is_refused,
    |app| async move {
        let w = World::new(app, "wrongdest").await;
        let packer = company(app, "processor", "wrongdest.pack", "packing_house").await;
        let e = refuse(
            app,
            &packer,
            receiving(&w.shipped, &packer.place, &t(10, 8), &w.despatch),
            "not_the_receiver",
        )
        .await;
        assert_eq!(e["field"], "bizTransactionList");
        assert_eq!(unit(app, &w.shipped).await.holder_org_id, w.producer.id);
        // The destination may.
        record(
            app,
            &w.retailer,
            vec![receiving(&w.shipped, &w.retailer.place, &t(10, 8), &w.despatch)],
        )
        .await;
        assert_eq!(unit(app, &w.shipped).await.holder_org_id, w.retailer.id);
    }
);

both_backends!(an_event_in_the_future_is_refused, |app| async move {
    let w = World::new(app, "future").await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .to_rfc3339();
    let e = refuse(
        app,
        &w.producer,
        storage_in(&w.l1, &w.base, &tomorrow, "A-01"),
        "event_in_future",
    )
    .await;
    assert_eq!(e["field"], "eventTime");
    // A minute ago is fine.
    let just_now = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    record(
        app,
        &w.producer,
        vec![storage_in(&w.l1, &w.base, &just_now, "A-01")],
    )
    .await;
});

both_backends!(an_unknown_record_kind_is_refused, |app| async move {
    let w = World::new(app, "kind").await;
    let mut e = storage_in(&w.l1, &w.base, &t(10, 8), "A-01");
    e["agri:recordKind"] = json!("dancing");
    let err = refuse(app, &w.producer, e, "record_kind_unknown").await;
    assert_eq!(err["field"], "agri:recordKind");
    assert!(
        err["detail"].as_str().unwrap().contains("storage_in"),
        "lists the kinds: {err}"
    );
});

both_backends!(
    a_wrong_biz_step_or_event_type_for_the_kind_is_refused,
    |app| async move {
        let w = World::new(app, "step").await;
        let mut e = harvest(&w.producer.place, &t(10, 8), &lot(&w.gtin, "STEP"));
        e["bizStep"] = json!("shipping");
        let err = refuse(app, &w.producer, e, "profile_biz_step").await;
        assert!(err["detail"].as_str().unwrap().contains("commissioning"), "{err}");
        let mut e = storage_in(&w.l1, &w.base, &t(10, 8), "A-01");
        e["bizStep"] = json!("https://ref.gs1.org/cbv/BizStep-receiving");
        refuse(app, &w.producer, e, "profile_biz_step").await;
        let mut e = sowing(&w.producer.place, &t(10, 8), &w.seed);
        e["bizStep"] = json!(agri_step("irrigation"));
        refuse(app, &w.producer, e, "profile_biz_step").await;
        // The full CBV URI of the right step is the right step.
        let mut e = storage_in(&w.l1, &w.base, &t(10, 8), "A-01");
        e["bizStep"] = json!("https://ref.gs1.org/cbv/BizStep-storing");
        record(app, &w.producer, vec![e]).await;
        // A packing is an AggregationEvent.
        let mut e = storage_in(&w.l1, &w.base, &t(10, 9), "A-01");
        e["agri:recordKind"] = json!("packing");
        e["bizStep"] = json!("packing");
        e["agri:method"] = json!("装箱");
        refuse(app, &w.producer, e, "profile_event_type").await;
    }
);

both_backends!(shipment_rules, |app| async move {
    let w = World::new(app, "shipments").await;
    // A shipment names its despatch advice.
    let mut e = shipping(&w.l1, &t(10, 8), "D-X", w.retailer.id);
    e["bizTransactionList"] =
        json!([{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9521234000013:PO-1"}]);
    let err = refuse(app, &w.producer, e, "despatch_ref_required").await;
    assert_eq!(err["field"], "bizTransactionList");
    // A despatch reference is shipped once.
    let e = shipping(&w.l1, &t(10, 8), &w.despatch, w.retailer.id);
    refuse(app, &w.producer, e, "despatch_ref_taken").await;
    // Also by a shipment earlier in the same document, not yet written.
    let job = capture(
        app,
        &w.producer,
        vec![
            shipping(&w.l1, &t(10, 8), "D-TWICE", w.retailer.id),
            shipping(&w.l1, &t(10, 9), "D-TWICE", w.retailer.id),
        ],
    )
    .await;
    assert_eq!(job["success"], false, "{job:#}");
    assert_eq!(job["captured"], 0, "{job:#}");
    assert_eq!(job["errors"][0]["code"], "despatch_ref_taken", "{job:#}");
    assert_eq!(job["errors"][0]["event_index"], 1, "{job:#}");
    // Goods do not arrive before they left (shipped on 6 March).
    let e = receiving(&w.shipped, &w.retailer.place, &t(6, 7), &w.despatch);
    refuse(app, &w.retailer, e, "received_before_shipped").await;
    // A shipment is received once.
    record(
        app,
        &w.retailer,
        vec![receiving(&w.shipped, &w.retailer.place, &t(7, 8), &w.despatch)],
    )
    .await;
    let e = receiving(&w.shipped, &w.retailer.place, &t(7, 9), &w.despatch);
    refuse(app, &w.retailer, e, "already_received").await;
});

// ---------------------------------------------------------------------------
// B3, B4. Conformance

both_backends!(
    harvest_inside_the_pre_harvest_interval_is_non_conformant,
    |app| async move {
        let w = World::new(app, "phi").await;
        let near = new_plot(app, &w.producer, &w.base_id, "二号地块").await;
        let far = new_plot(app, &w.producer, &w.base_id, "三号地块").await;
        let pesticide_a = w.pesticide.clone();
        let pesticide_b = buy(app, &w.producer, "pesticide", "PD20180123").await;
        let (l_near, l_far) = (lot(&w.gtin, "NEAR"), lot(&w.gtin, "FAR"));
        record(
            app,
            &w.producer,
            vec![
                sowing(&near, &t(1, 8), &w.seed),
                sowing(&far, &t(1, 8), &w.seed),
                // Interval 7 days, applied 3 days before the harvest ...
                pest_control(&near, &t(17, 8), &pesticide_a, "PD20080005", 7),
                // ... and 10 days before.
                pest_control(&far, &t(10, 8), &pesticide_b, "PD20180123", 7),
            ],
        )
        .await;
        record(
            app,
            &w.producer,
            vec![
                harvest(&near, &t(20, 8), &l_near),
                harvest(&far, &t(20, 8), &l_far),
            ],
        )
        .await;

        let u = unit(app, &l_near).await;
        assert_eq!(u.status, "non_conformant", "{u:?}");
        let reason = u.status_reason.clone().unwrap_or_default();
        assert!(
            reason.contains("PD20080005"),
            "the reason names the registration number: {reason}"
        );
        assert!(!reason.contains("PD20180123"), "{reason}");
        let u = unit(app, &l_far).await;
        assert_eq!(u.status, "active", "{u:?}");
        assert_eq!(u.status_reason, None);

        // The trace shows it too.
        let report = trace(app, &w.producer, &l_near, Direction::Back).await;
        let start = traced(&report, &l_near).unwrap();
        assert_eq!(start["status"], "non_conformant");
        assert!(start["status_reason"].as_str().unwrap().contains("PD20080005"));
        assert_eq!(
            traced(&report, &pesticide_a).unwrap()["relation"],
            "input_applied"
        );
        let report = trace(app, &w.producer, &l_far, Direction::Back).await;
        assert_eq!(traced(&report, &l_far).unwrap()["status"], "active");
        // Lot L1 of the world (nothing sprayed) is untouched.
        assert_eq!(unit(app, &w.l1).await.status, "active");
    }
);

both_backends!(a_failed_test_makes_the_lot_non_conformant, |app| async move {
    let w = World::new(app, "failtest").await;
    let other = lot(&w.gtin, "PASSED");
    record(
        app,
        &w.producer,
        vec![harvest(&w.producer.place, &t(5, 10), &other)],
    )
    .await;
    // The producer's own test passes; an agency's test fails.
    record(
        app,
        &w.producer,
        vec![testing(&other, &t(6, 8), "pass", "S-PASS-1")],
    )
    .await;
    let agency = company(app, "testing_agency", "failtest.lab", "warehouse").await;
    // The agency tests only what was entrusted to it.
    refuse(
        app,
        &agency,
        testing(&w.l1, &t(6, 9), "fail", "S-FAIL-7"),
        "inspection_not_entrusted",
    )
    .await;
    record(
        app,
        &w.producer,
        vec![sampling(&w.l1, &t(6, 8), "S-FAIL-7", agency.id)],
    )
    .await;
    record(app, &agency, vec![testing(&w.l1, &t(6, 9), "fail", "S-FAIL-7")]).await;

    let u = unit(app, &w.l1).await;
    assert_eq!(u.status, "non_conformant", "{u:?}");
    assert!(u.status_reason.unwrap_or_default().contains("S-FAIL-7"));
    assert_eq!(u.holder_org_id, w.producer.id, "testing does not move custody");
    assert_eq!(unit(app, &other).await.status, "active");
});

// ---------------------------------------------------------------------------
// B5. Corrections

both_backends!(
    an_error_declaration_corrects_an_event_of_ones_own,
    |app| async move {
        let w = World::new(app, "correct").await;
        let wrong = storage_in(&w.l1, &w.base, &t(8, 8), "A-01");
        let wrong_id = id_of(&wrong);
        record(app, &w.producer, vec![wrong.clone()]).await;
        let corrective = storage_in(&w.l1, &w.base, &t(8, 8), "A-02");
        let mut declaration = wrong.clone();
        declaration["errorDeclaration"] = json!({
            "declarationTime": t(9, 8),
            "reason": "incorrect_data",
            "correctiveEventIDs": [id_of(&corrective)]
        });

        // Another organisation may not declare it wrong.
        let job = capture(app, &w.retailer, vec![declaration.clone()]).await;
        assert_eq!(job["success"], false, "{job:#}");
        assert_eq!(job["captured"], 0);
        assert_eq!(job["errors"][0]["event_index"], 0);
        assert_eq!(job["errors"][0]["field"], "errorDeclaration", "{job:#}");
        let (_, events) = get_event(app, &w.producer, &wrong_id).await;
        assert_eq!(events.len(), 1, "nothing declared");
        let report = trace(app, &w.producer, &w.l1, Direction::Back).await;
        assert_eq!(traced_event(&report, &wrong_id).unwrap()["corrected"], false);

        // The recording organisation may, with the corrective event.
        let job = record(app, &w.producer, vec![declaration.clone(), corrective.clone()]).await;
        assert_eq!(job["eventIDs"], json!([wrong_id, id_of(&corrective)]));
        let (status, events) = get_event(app, &w.producer, &wrong_id).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(events.len(), 2, "both versions: {events:#?}");
        assert!(events[0].get("errorDeclaration").is_none(), "the original first");
        assert_eq!(events[0]["agri:position"], "A-01");
        assert_eq!(events[1]["errorDeclaration"]["reason"], "incorrect_data");
        assert_eq!(
            events[1]["errorDeclaration"]["correctiveEventIDs"],
            json!([id_of(&corrective)])
        );
        let report = trace(app, &w.producer, &w.l1, Direction::Back).await;
        assert_eq!(traced_event(&report, &wrong_id).unwrap()["corrected"], true);
        assert_eq!(
            traced_event(&report, &id_of(&corrective)).unwrap()["corrected"],
            false
        );

        // Declared again: a duplicate. By the other organisation now: refused.
        let job = capture(app, &w.producer, vec![declaration.clone()]).await;
        assert_eq!(
            (job["success"].as_bool(), job["duplicates"].as_i64()),
            (Some(true), Some(1)),
            "{job:#}"
        );
        let job = capture(app, &w.retailer, vec![declaration.clone()]).await;
        assert_eq!(job["success"], false, "{job:#}");
        assert_eq!(job["captured"], 0);
        // A declaration of an event nobody recorded.
        let mut orphan = storage_in(&w.l1, &w.base, &t(8, 9), "A-03");
        orphan["errorDeclaration"] = json!({"declarationTime": t(9, 9), "reason": "did_not_occur"});
        let job = capture(app, &w.producer, vec![orphan.clone()]).await;
        assert_eq!(job["success"], false, "{job:#}");
        let (status, _) = get_event(app, &w.producer, &id_of(&orphan)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

// ---------------------------------------------------------------------------
// B6. Hand-over

both_backends!(custody_moves_on_receipt, |app| async move {
    let w = World::new(app, "handover").await;
    let (p, r) = (&w.producer, &w.retailer);
    // Shipped, not yet received: still the producer's.
    assert_eq!(unit(app, &w.shipped).await.holder_org_id, p.id);
    refuse(
        app,
        r,
        storage_in(&w.shipped, &r.place, &t(7, 8), "R-01"),
        "unit_not_held",
    )
    .await;
    // Received against the despatch advice: the retailer's.
    record(
        app,
        r,
        vec![receiving(&w.shipped, &r.place, &t(7, 9), &w.despatch)],
    )
    .await;
    let u = unit(app, &w.shipped).await;
    assert_eq!(u.holder_org_id, r.id);
    assert_eq!(u.owner_org_id, p.id);
    record(app, r, vec![storage_in(&w.shipped, &r.place, &t(7, 10), "R-01")]).await;
    refuse(
        app,
        p,
        storage_in(&w.shipped, &w.base, &t(7, 11), "A-09"),
        "unit_not_held",
    )
    .await;

    // A pallet: what is packed in it moves with it, all levels down (lot L2
    // in a case on the pallet, lot L3 on the pallet itself).
    let (l2, l3) = (lot(&w.gtin, "P-L2"), lot(&w.gtin, "P-L3"));
    let (case, pallet) = (sscc(), sscc());
    let mut on_pallet = packing(&w.base, &t(8, 12), &pallet, &[&l3]);
    on_pallet["childEPCs"] = json!([case]);
    record(
        app,
        p,
        vec![
            harvest(&p.place, &t(8, 8), &l2),
            harvest(&p.place, &t(8, 9), &l3),
            packing(&w.base, &t(8, 11), &case, &[&l2]),
            on_pallet,
            shipping(&pallet, &t(8, 14), "D-PALLET", r.id),
        ],
    )
    .await;
    refuse(
        app,
        r,
        storage_in(&l2, &r.place, &t(9, 7), "R-02"),
        "unit_not_held",
    )
    .await;
    record(app, r, vec![receiving(&pallet, &r.place, &t(9, 8), "D-PALLET")]).await;
    for epc in [&pallet, &case, &l2, &l3] {
        assert_eq!(unit(app, epc).await.holder_org_id, r.id, "{epc}");
    }
    record(
        app,
        r,
        vec![
            storage_in(&l2, &r.place, &t(9, 9), "R-02"),
            sale(&l3, &r.place, &t(9, 10)),
        ],
    )
    .await;
    // The producer's own lot L1 stays the producer's.
    assert_eq!(unit(app, &w.l1).await.holder_org_id, p.id);
});

// A receipt moves custody of the units it names. Units that were not in the
// shipment must not change hands just because a receipt lists them.
both_backends!(
    a_receipt_does_not_take_units_that_were_not_shipped,
    |app| async move {
        let w = World::new(app, "grab").await;
        let r = &w.retailer;
        // LS was shipped to the retailer; L1 was not.
        let mut e = receiving(&w.shipped, &r.place, &t(7, 9), &w.despatch);
        e["quantityList"] = json!([qty(&w.shipped, 100.0), qty(&w.l1, 500.0)]);
        let job = capture(app, r, vec![e]).await;
        let mut problems = Vec::new();
        if unit(app, &w.l1).await.holder_org_id != w.producer.id {
            problems.push("the retailer now holds L1, which was never shipped to it".to_owned());
        }
        if job["success"] != false {
            problems.push(format!("the receipt naming L1 was accepted: {}", job["errors"]));
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
);

// ---------------------------------------------------------------------------
// B7. The whole chain, traced back and forward

/// Everything of the chain.
pub(crate) struct Chain {
    producer: Org,
    packer: Org,
    retailer: Org,
    plot: String,
    seed: String,
    fertiliser: String,
    pesticide: String,
    l1: String,
    l2: String,
    l3: String,
    pallet: String,
    /// eventIDs by record.
    ids: Vec<(&'static str, String)>,
}

impl Chain {
    fn id(&self, what: &str) -> &str {
        &self.ids.iter().find(|(w, _)| *w == what).unwrap().1
    }
}

pub(crate) async fn chain(app: &TestApp) -> Chain {
    let (producer, _, _) = cooperative(app, "chain.coop").await;
    let packer = company(app, "processor", "chain.pack", "packing_house").await;
    let retailer = company(app, "retailer", "chain.shop", "store").await;
    let plot = producer.place.clone();
    let gtin = gtin14();
    // The seed lot written as urn:uuid:{purchase}: stored in canonical form.
    let seed = buy(app, &producer, "seed", "").await;
    let seed_as_written = seed.replace("urn:suyuan:input-lot:", "urn:uuid:");
    let fertiliser = buy(app, &producer, "fertiliser", "").await;
    let pesticide = buy(app, &producer, "pesticide", "PD20080005").await;
    let (l1, l2, l3) = (lot(&gtin, "L1"), lot(&gtin, "L2"), lot(&gtin, "L3"));
    let pallet = sscc();

    let mut ids = Vec::new();
    let mut keep = |what: &'static str, e: Value| {
        ids.push((what, id_of(&e)));
        e
    };
    let field = vec![
        keep("sowing", sowing(&plot, &t(1, 8), &seed_as_written)),
        keep("fertilising", fertilising(&plot, &t(5, 8), &fertiliser)),
        keep(
            "pest_control",
            pest_control(&plot, &t(10, 8), &pesticide, "PD20080005", 7),
        ),
        keep("irrigation", irrigation(&plot, &t(12, 8))),
        keep("field_work", field_work(&plot, &t(12, 9))),
        keep("harvest", harvest(&plot, &t(25, 8), &l1)),
        keep("shipping_l1", shipping(&l1, &t(25, 14), "D-CHAIN-1", packer.id)),
    ];
    let at_packer_1 = vec![
        keep(
            "receiving_l1",
            receiving(&l1, &packer.place, &t(26, 8), "D-CHAIN-1"),
        ),
        keep(
            "processing",
            processing(&packer.place, &t(26, 12), &[&l1], &[&l2, &l3]),
        ),
        keep("packing", packing(&packer.place, &t(27, 8), &pallet, &[&l2])),
        keep(
            "shipping_pallet",
            shipping(&pallet, &t(27, 12), "D-CHAIN-2", retailer.id),
        ),
    ];
    let at_retailer = vec![
        keep(
            "receiving_pallet",
            receiving(&pallet, &retailer.place, &t(28, 8), "D-CHAIN-2"),
        ),
        keep("sale", sale(&l2, &retailer.place, &t(29, 10))),
    ];
    record(app, &producer, field).await;
    record(app, &packer, at_packer_1).await;
    record(app, &retailer, at_retailer).await;
    Chain {
        producer,
        packer,
        retailer,
        plot,
        seed,
        fertiliser,
        pesticide,
        l1,
        l2,
        l3,
        pallet,
        ids,
    }
}

pub(crate) fn org_ids(report: &Value, key: &str, field: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    the_chain_traces_back_to_the_plot_and_forward_to_the_shop,
    |app| async move {
        let c = chain(app).await;
        for epc in [&c.pallet, &c.l2, &c.l3] {
            assert_eq!(
                unit(app, epc).await.holder_org_id,
                if *epc == c.l3 { c.packer.id } else { c.retailer.id },
                "{epc}"
            );
        }
        assert_eq!(unit(app, &c.l1).await.holder_org_id, c.packer.id);
        assert_eq!(
            unit(app, &c.l1).await.origin_place.as_deref(),
            Some(c.plot.as_str())
        );
        assert_eq!(
            unit(app, &c.l1).await.status,
            "active",
            "sprayed 15 days before, interval 7"
        );

        // Back from the pallet, by the retailer holding it.
        let back = trace(app, &c.retailer, &c.pallet, Direction::Back).await;
        let expect = |epc: &str, relation: Option<&str>, via: Option<&str>| {
            let u = traced(&back, epc).unwrap_or_else(|| panic!("{epc} not reached: {back:#}"));
            assert_eq!(u["relation"].as_str(), relation, "{epc}: {u}");
            assert_eq!(u["via"].as_str(), via, "{epc}: {u}");
        };
        expect(&c.pallet, None, None);
        expect(&c.l2, Some("packed"), Some(&c.pallet));
        expect(&c.l1, Some("split"), Some(&c.l2));
        expect(&c.plot, Some("grown_on"), Some(&c.l1));
        for input in [&c.seed, &c.fertiliser, &c.pesticide] {
            expect(input, Some("input_applied"), Some(&c.l1));
        }
        assert!(traced(&back, &c.l3).is_none(), "L3 is a sibling, not upstream");
        let mut inputs: Vec<String> = back["input_lots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        inputs.sort();
        let mut want = vec![c.seed.clone(), c.fertiliser.clone(), c.pesticide.clone()];
        want.sort();
        assert_eq!(inputs, want);
        assert!(
            back["places"].as_array().unwrap().contains(&json!(c.plot)),
            "{}",
            back["places"]
        );
        for (what, id) in &c.ids {
            assert!(
                traced_event(&back, id).is_some(),
                "{what} ({id}) missing from the trace back"
            );
        }
        let event_orgs = org_ids(&back, "events", "org_id");
        let orgs = org_ids(&back, "organisations", "id");
        for org in [&c.producer, &c.packer, &c.retailer] {
            assert!(
                event_orgs.contains(&org.id.to_string()),
                "no event of {}",
                org.username
            );
            assert!(
                orgs.contains(&org.id.to_string()),
                "{} not among organisations",
                org.username
            );
        }
        assert_eq!(back["depth_reached"], "planting");
        assert_eq!(back["gaps"], json!([]), "{:#}", back["gaps"]);
        assert_eq!(back["direction"], "back");
        assert_eq!(back["start"], c.pallet.as_str());
        assert_eq!(
            traced_event(&back, c.id("harvest")).unwrap()["record_kind"],
            "harvest"
        );
        assert_eq!(traced_event(&back, c.id("sowing")).unwrap()["stage"], "planting");

        // Forward from the harvested lot, by the producer that harvested it.
        let forward = trace(app, &c.producer, &c.l1, Direction::Forward).await;
        for epc in [&c.l2, &c.l3, &c.pallet] {
            assert!(traced(&forward, epc).is_some(), "{epc} not reached: {forward:#}");
        }
        assert!(traced(&forward, &c.plot).is_none());
        assert!(org_ids(&forward, "organisations", "id").contains(&c.retailer.id.to_string()));
        assert_eq!(forward["depth_reached"], "sales");
        assert!(traced_event(&forward, c.id("sale")).is_some());
        assert_eq!(forward["gaps"], json!([]), "gaps are a trace-back notion");

        // Forward from the pesticide lot, by the producer whose record applied
        // it: everything it reached (the recall question).
        let forward = trace(app, &c.producer, &c.pesticide, Direction::Forward).await;
        for (epc, relation) in [
            (&c.l1, "input_applied"),
            (&c.l2, "split"),
            (&c.l3, "split"),
            (&c.pallet, "packed"),
        ] {
            let u = traced(&forward, epc).unwrap_or_else(|| panic!("{epc} not reached: {forward:#}"));
            assert_eq!(u["relation"], relation, "{u}");
        }
        assert!(traced(&forward, &c.seed).is_none());
        let orgs = org_ids(&forward, "organisations", "id");
        for org in [&c.producer, &c.packer, &c.retailer] {
            assert!(
                orgs.contains(&org.id.to_string()),
                "{} not among organisations",
                org.username
            );
        }
        assert_eq!(forward["depth_reached"], "sales");

        // An organisation with no part in the chain traces none of it.
        let stranger = company(app, "retailer", "chain.stranger", "store").await;
        let caller = stranger.caller(app).await;
        for epc in [&c.pallet, &c.l1, &c.pesticide, &c.plot] {
            let result = app.store.trace(&caller, epc, Direction::Back, 30).await;
            assert!(
                matches!(result, Err(suyuan_store::StoreError::NotFound { .. })),
                "{epc}: {:?}",
                result.map(|r| r.units.len())
            );
        }
    }
);

/// A lot allocated through the lots API: known to the platform, never
/// commissioned by an event.
pub(crate) async fn allocated_lot(app: &TestApp, org: &Org) -> String {
    let product = app.create_product(&org.token, "二荆条辣椒").await;
    let caller = org.caller(app).await;
    let new = NewLot {
        product_id: Uuid::parse_str(product["id"].as_str().unwrap()).unwrap(),
        date: "2026-03-01".into(),
        site: "A1".into(),
        origin_place_id: None,
    };
    app.store.create_lot(&caller, &new).await.unwrap().epc
}

both_backends!(units_of_unrecorded_origin_are_gaps, |app| async move {
    let (p, _, base) = cooperative(app, "gaps.coop").await;
    let gtin = gtin14();

    // A processing record whose input was never commissioned by any event.
    let allocated = allocated_lot(app, &p).await;
    let out = lot(&gtin, "OUT-1");
    record(
        app,
        &p,
        vec![processing(&base, &t(15, 8), &[&allocated], &[&out])],
    )
    .await;
    let back = trace(app, &p, &out, Direction::Back).await;
    assert_eq!(traced(&back, &allocated).unwrap()["relation"], "transformed");
    let gaps = org_ids(&back, "gaps", "epc");
    assert_eq!(gaps, vec![allocated.clone()], "{:#}", back["gaps"]);

    // A plain EPCIS transformation whose input the platform never heard of.
    let nowhere = lot(&gtin, "FROM-NOWHERE");
    let out2 = lot(&gtin, "OUT-2");
    let plain = json!({
        "type": "TransformationEvent",
        "eventID": new_event_id(),
        "eventTime": t(16, 8),
        "eventTimeZoneOffset": "+08:00",
        "inputQuantityList": [qty(&nowhere, 10.0)],
        "outputQuantityList": [qty(&out2, 10.0)],
        "bizStep": "commissioning",
        "bizLocation": at(&base)
    });
    record(app, &p, vec![plain]).await;
    let back = trace(app, &p, &out2, Direction::Back).await;
    let gaps = back["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert_eq!(gaps[0]["epc"], nowhere.as_str());
    assert!(gaps[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
});

// Gaps are per unit: a lot of unrecorded origin is a gap even when another
// input of the same processing was harvested.
both_backends!(a_gap_beside_a_harvested_input_is_still_a_gap, |app| async move {
    let (p, _, base) = cooperative(app, "gaps2.coop").await;
    let gtin = gtin14();
    let harvested = lot(&gtin, "H-1");
    let allocated = allocated_lot(app, &p).await;
    let out = lot(&gtin, "MIX-1");
    record(
        app,
        &p,
        vec![
            sowing(&p.place, &t(1, 8), &buy(app, &p, "seed", "").await),
            harvest(&p.place, &t(10, 8), &harvested),
            processing(&base, &t(15, 8), &[&harvested, &allocated], &[&out]),
        ],
    )
    .await;
    let back = trace(app, &p, &out, Direction::Back).await;
    assert!(traced(&back, &harvested).is_some());
    assert_eq!(
        org_ids(&back, "gaps", "epc"),
        vec![allocated.clone()],
        "{:#}",
        back["gaps"]
    );
});

// ---------------------------------------------------------------------------
// What an event "creates" (a harvested lot, a packing's pallet, a
// processing's outputs) is exempt from the holder rule. A unit that already
// exists, held by another organisation, is not created by the event: naming
// it must not change that organisation's unit or its lineage.

both_backends!(a_harvest_cannot_claim_another_orgs_lot, |app| async move {
    let w = World::new(app, "claim").await;
    let (q, _, _) = cooperative(app, "claim.other").await;
    let pesticide = buy(app, &q, "pesticide", "PD20080005").await;
    record(
        app,
        &q,
        vec![
            sowing(&q.place, &t(1, 8), &buy(app, &q, "seed", "").await),
            pest_control(&q.place, &t(9, 8), &pesticide, "PD20080005", 7),
        ],
    )
    .await;
    // The other producer "harvests" the world's lot L1 a day after spraying.
    let job = capture(app, &q, vec![harvest(&q.place, &t(10, 8), &w.l1)]).await;

    let mut problems = Vec::new();
    let u = unit(app, &w.l1).await;
    if u.holder_org_id != w.producer.id {
        problems.push(format!("holder changed to {}", u.holder_org_id));
    }
    if u.status != "active" {
        problems.push(format!("status {} ({:?})", u.status, u.status_reason));
    }
    if u.origin_place.as_deref() != Some(w.producer.place.as_str()) {
        problems.push(format!("origin_place {:?}", u.origin_place));
    }
    let back = trace(app, &w.producer, &w.l1, Direction::Back).await;
    for epc in [&q.place, &pesticide] {
        if traced(&back, epc).is_some() {
            problems.push(format!(
                "the trace back from L1 reaches the other producer's {epc}"
            ));
        }
    }
    if job["success"] != false {
        problems.push(format!("the harvest was accepted: {}", job["errors"]));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
});

both_backends!(packing_into_another_orgs_pallet_is_refused, |app| async move {
    let w = World::new(app, "pallet").await;
    let r = &w.retailer;
    // The retailer receives lot LS and packs it on a pallet of its own.
    let pallet = sscc();
    record(
        app,
        r,
        vec![receiving(&w.shipped, &r.place, &t(7, 8), &w.despatch)],
    )
    .await;
    record(app, r, vec![packing(&r.place, &t(7, 9), &pallet, &[&w.shipped])]).await;
    // The producer packs its lot L1 "onto" the retailer's pallet.
    let job = capture(
        app,
        &w.producer,
        vec![packing(&w.base, &t(7, 10), &pallet, &[&w.l1])],
    )
    .await;

    let mut problems = Vec::new();
    let back = trace(app, r, &pallet, Direction::Back).await;
    if traced(&back, &w.l1).is_some() {
        problems.push("the retailer's pallet now contains the producer's lot L1".to_owned());
    }
    if job["success"] != false {
        problems.push(format!("the packing was accepted: {}", job["errors"]));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
});

both_backends!(processing_cannot_output_into_another_orgs_lot, |app| async move {
    let w = World::new(app, "output").await;
    let (q, _, q_base) = cooperative(app, "output.other").await;
    let theirs = lot(&gtin14(), "Q-1");
    record(
        app,
        &q,
        vec![
            sowing(&q.place, &t(1, 8), &buy(app, &q, "seed", "").await),
            harvest(&q.place, &t(5, 8), &theirs),
        ],
    )
    .await;
    let job = capture(app, &q, vec![processing(&q_base, &t(6, 8), &[&theirs], &[&w.l1])]).await;

    let mut problems = Vec::new();
    let back = trace(app, &w.producer, &w.l1, Direction::Back).await;
    if traced(&back, &theirs).is_some() {
        problems.push("the trace back from L1 reaches the other producer's lot".to_owned());
    }
    if job["success"] != false {
        problems.push(format!("the processing was accepted: {}", job["errors"]));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
});

// Item codes belong to their lot: a trace forward from the lot reaches its
// items (and what an item was packed into); a trace back from an item
// reaches its lot and the plot.
both_backends!(items_are_traced_through_their_lot, |app| async move {
    let (p, _, _) = cooperative(app, "items.coop").await;
    let product = app.create_product(&p.token, "二荆条辣椒").await;
    let caller = p.caller(app).await;
    let allocated = app
        .store
        .create_lot(
            &caller,
            &NewLot {
                product_id: Uuid::parse_str(product["id"].as_str().unwrap()).unwrap(),
                date: "2026-03-20".into(),
                site: "A1".into(),
                origin_place_id: None,
            },
        )
        .await
        .unwrap();
    let seed = buy(app, &p, "seed", "").await;
    record(
        app,
        &p,
        vec![
            sowing(&p.place, &t(1, 8), &seed),
            harvest(&p.place, &t(20, 8), &allocated.epc),
        ],
    )
    .await;
    let issued = app
        .store
        .issue_items(&caller, allocated.id, 3, None)
        .await
        .unwrap();
    assert_eq!(issued.codes.len(), 3);

    let forward = trace(app, &p, &allocated.epc, Direction::Forward).await;
    let items: Vec<String> = forward["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["relation"] == "member_of")
        .map(|u| {
            assert_eq!(u["via"], allocated.epc.as_str(), "{u}");
            assert_eq!(u["kind"], "item", "{u}");
            u["epc"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(items.len(), 3, "{:#}", forward["units"]);

    // One item packed into a case: the lot's forward trace reaches the case.
    let case = sscc();
    let mut pack = packing(&p.place, &t(21, 8), &case, &[]);
    let fields = pack.as_object_mut().unwrap();
    fields.remove("childQuantityList");
    fields.insert("childEPCs".into(), json!([items[0]]));
    record(app, &p, vec![pack]).await;
    let forward = trace(app, &p, &allocated.epc, Direction::Forward).await;
    let reached_case = traced(&forward, &case).unwrap_or_else(|| panic!("{:#}", forward["units"]));
    assert_eq!(reached_case["via"], items[0].as_str());
    assert_eq!(reached_case["depth"], 2);

    // Back from an item: its lot, the plot, the seed lot.
    let back = trace(app, &p, &items[1], Direction::Back).await;
    assert_eq!(traced(&back, &allocated.epc).unwrap()["relation"], "member_of");
    assert_eq!(traced(&back, &p.place).unwrap()["relation"], "grown_on");
    assert_eq!(traced(&back, &seed).unwrap()["relation"], "input_applied");
    assert!(back["gaps"].as_array().unwrap().is_empty(), "{:#}", back["gaps"]);
});

// ---------------------------------------------------------------------------
// The lot list over HTTP: the caller's lots only, with filters.

both_backends!(lots_are_listed_with_filters, |app| async move {
    let w = World::new(app, "lotlist").await;
    let epcs = |items: &[Value]| -> Vec<String> {
        let mut v: Vec<String> = items
            .iter()
            .map(|u| u["epc"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut both = vec![w.l1.clone(), w.shipped.clone()];
    both.sort();
    assert_eq!(epcs(&app.list("/api/v1/lots", &w.producer.token).await), both);
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    let q = |s: &str| format!("/api/v1/lots?{s}");
    assert_eq!(app.list(&q("status=active"), &w.producer.token).await.len(), 2);
    assert_eq!(
        app.list(&q("status=non_conformant"), &w.producer.token)
            .await
            .len(),
        0
    );
    assert_eq!(
        app.list(&q(&format!("from={today}")), &w.producer.token)
            .await
            .len(),
        2
    );
    assert_eq!(
        app.list(&q(&format!("to={yesterday}")), &w.producer.token)
            .await
            .len(),
        0
    );
    let (status, body) = app.get(&q("from=2026-13-01"), &w.producer.token).await;
    assert_problem(&(status, body), 422, "date_format", Some("from"));
    // Another organisation sees none of them until it receives one.
    assert!(app.list("/api/v1/lots", &w.retailer.token).await.is_empty());
    record(
        app,
        &w.retailer,
        vec![receiving(&w.shipped, &w.retailer.place, &t(7, 8), &w.despatch)],
    )
    .await;
    assert_eq!(
        epcs(&app.list("/api/v1/lots", &w.retailer.token).await),
        vec![w.shipped.clone()]
    );
    let (status, _) = app.get("/api/v1/lots", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

// ---------------------------------------------------------------------------
// Each lot's own story: the plot's records of its season, never another
// lot's harvest, nothing of the season before.

both_backends!(each_lot_tells_its_own_season, |app| async move {
    let (producer, _, _) = cooperative(app, "season.coop").await;
    let plot = producer.place.clone();
    let gtin = gtin14();
    let (first, second, third) = (lot(&gtin, "S-A"), lot(&gtin, "S-B"), lot(&gtin, "S-C"));
    let sow = sowing(&plot, &t(1, 8), &buy(app, &producer, "seed", "").await);
    let pick_a = harvest(&plot, &t(5, 8), &first);
    let work = field_work(&plot, &t(6, 8));
    let pick_b = harvest(&plot, &t(10, 8), &second);
    record(
        app,
        &producer,
        vec![sow.clone(), pick_a.clone(), work.clone(), pick_b.clone()],
    )
    .await;
    let ids = |report: &Value| -> Vec<String> {
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The second picking of the season: the sowing, the field work, its
    // own harvest; not the first lot's harvest.
    let b = ids(&trace(app, &producer, &second, Direction::Back).await);
    for e in [&sow, &work, &pick_b] {
        assert!(b.contains(&id_of(e)), "{b:?}");
    }
    assert!(!b.contains(&id_of(&pick_a)), "another lot's harvest: {b:?}");
    // The first: nothing after its harvest.
    let a = ids(&trace(app, &producer, &first, Direction::Back).await);
    assert!(a.contains(&id_of(&sow)) && a.contains(&id_of(&pick_a)), "{a:?}");
    assert!(
        !a.contains(&id_of(&work)) && !a.contains(&id_of(&pick_b)),
        "{a:?}"
    );
    // A plot with no sowing recorded: the season starts after the previous harvest.
    let (grove, _, _) = cooperative(app, "season.grove").await;
    let prune = field_work(&grove.place, &t(2, 8));
    let pick_1 = harvest(&grove.place, &t(3, 8), &lot(&gtin, "G-1"));
    let spray = field_work(&grove.place, &t(8, 8));
    let pick_2 = harvest(&grove.place, &t(12, 8), &third);
    record(
        app,
        &grove,
        vec![prune.clone(), pick_1.clone(), spray.clone(), pick_2.clone()],
    )
    .await;
    let c = ids(&trace(app, &grove, &third, Direction::Back).await);
    assert!(c.contains(&id_of(&spray)) && c.contains(&id_of(&pick_2)), "{c:?}");
    assert!(
        !c.contains(&id_of(&prune)) && !c.contains(&id_of(&pick_1)),
        "{c:?}"
    );
});
