//! What a captured document refers to, resolved against master data before
//! anything is stored: the places it happens at, the input lots (purchases)
//! its records apply, the customers its sales are to, and the
//! organisation's people who did the work.
//!
//! Every accepted form of a reference (see `suyuan_core::refs`) is rewritten
//! to the one canonical identifier of the thing it names, in the stored
//! document as in the query columns and lineage edges, so that a trace from
//! an input lot or a plot finds every record however it was typed. A
//! reference in one of the platform's own forms that names nothing, an input
//! lot that is not a purchase of the caller's organisation, or one of the
//! wrong kind of input, a buyer that is not a customer of the caller's
//! archive, is refused naming the field.
//!
//! The values a record copies from master data are checked against it: a
//! pesticide's registration number and pre-harvest interval are those of the
//! registered input (the input decides, not what a clerk typed), and the
//! operator is one of the organisation's people (a user's name or login, or
//! the person named for one of its duties).
//!
//! A deactivated place, or a purchase of a deactivated input, is refused
//! naming the field (`place_deactivated`, `input_deactivated`): no new
//! record names it (`crate::master_versions`); no new unit is made of a
//! deactivated product (`product_deactivated`, checked with the authority
//! over new units: `crate::prefixes::retired_keys`).
//!
//! Everything is read in a few statements per capture, however many events
//! the document holds; what a reference resolves to (an id, a GLN, an
//! input's kind and registration) never changes once recorded, so what is
//! read before the capture's transaction stays true (a customer entry's
//! organisation is that of all its versions).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;
use suyuan_core::epcis::Event;
use suyuan_core::refs::{
    customer_canonical, customer_id, input_lot_canonical, input_lot_id, is_platform_place_form,
    place_canonical, place_key, PlaceKey,
};
use suyuan_core::stages::{input_kind, RecordKind, AGRI_NS};
use suyuan_core::Invalid;
use uuid::Uuid;

use crate::db::{placeholders, Val};
use crate::{params, Caller, Result, Store};

/// A registered place.
#[derive(Debug, Clone)]
pub(crate) struct PlaceInfo {
    pub(crate) canonical: String,
    /// False once deactivated: no new record names it.
    pub(crate) active: bool,
}

/// A purchase of an input, with what its input's registration says.
#[derive(Debug, Clone)]
pub(crate) struct PurchaseInfo {
    org_id: Uuid,
    kind: String,
    registration_number: Option<String>,
    phi_days: Option<i64>,
    /// Whether the purchase's input is active.
    input_active: bool,
}

/// What a document's references resolve to.
#[derive(Debug, Default)]
pub(crate) struct References {
    places: HashMap<PlaceKey, PlaceInfo>,
    purchases: HashMap<Uuid, PurchaseInfo>,
    /// Customer entries named as buyers: their organisation.
    customers: HashMap<Uuid, Uuid>,
    /// The names of the caller organisation's people.
    operators: HashSet<String>,
}

/// A refusal naming its field.
pub(crate) type Refusal = (String, Invalid);

fn refusal(field: &str, code: &'static str, en: String, zh: String) -> Refusal {
    (field.to_owned(), Invalid::new(code, en, zh))
}

/// The `agri:*` extension of an event with this local name (its JSON key
/// and value).
fn agri_ext<'e>(ev: &'e Event, name: &str) -> Option<&'e suyuan_core::epcis::Extension> {
    ev.extensions
        .iter()
        .find(|x| x.namespace == AGRI_NS && x.local_name == name)
}

impl Store {
    /// Resolves every place, input lot and buyer the events name, and the
    /// caller's people if any record names an operator.
    pub(crate) async fn read_references<'e>(
        &self,
        caller: &Caller,
        events: impl Iterator<Item = &'e Event>,
    ) -> Result<References> {
        let mut place_keys = BTreeSet::new();
        let mut purchases = BTreeSet::new();
        let mut customers = BTreeSet::new();
        let mut operators = false;
        for ev in events {
            for loc in [&ev.biz_location, &ev.read_point].into_iter().flatten() {
                place_keys.extend(place_key(&loc.id));
            }
            if let Some(x) = agri_ext(ev, "inputLot") {
                purchases.extend(x.value.as_str().and_then(input_lot_id));
            }
            if let Some(x) = agri_ext(ev, "buyer") {
                customers.extend(x.value.as_str().and_then(customer_id));
            }
            operators |= agri_ext(ev, "operator").is_some();
        }
        let mut out = References::default();
        let (ids, glns): (Vec<&PlaceKey>, Vec<&PlaceKey>) =
            place_keys.iter().partition(|k| matches!(k, PlaceKey::Id(_)));
        for (column, keys) in [("id", ids), ("gln", glns)] {
            for chunk in keys.chunks(400) {
                let ps: Vec<Val> = chunk
                    .iter()
                    .map(|k| match k {
                        PlaceKey::Id(id) => Val::from(id.to_string()),
                        PlaceKey::Gln(g) => Val::from(g.as_str()),
                    })
                    .collect();
                let sql = format!(
                    "SELECT id, gln, active FROM places WHERE {column} IN ({})",
                    placeholders(1, chunk.len())
                );
                for r in self.db.conn().fetch_all(&sql, &ps).await? {
                    let (id, gln) = (r.uuid("id")?, r.opt_text("gln")?);
                    let info = PlaceInfo {
                        canonical: place_canonical(id, gln.as_deref()),
                        active: r.bool("active")?,
                    };
                    if let Some(g) = gln {
                        out.places.insert(PlaceKey::Gln(g), info.clone());
                    }
                    out.places.insert(PlaceKey::Id(id), info);
                }
            }
        }
        let purchases: Vec<Uuid> = purchases.into_iter().collect();
        for chunk in purchases.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|id| Val::from(id.to_string())).collect();
            let sql = format!(
                "SELECT p.id, p.org_id, i.kind, i.registration_number, i.pre_harvest_interval_days, i.active \
                 FROM input_purchases p JOIN inputs i ON i.id = p.input_id WHERE p.id IN ({})",
                placeholders(1, chunk.len())
            );
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                out.purchases.insert(
                    r.uuid("id")?,
                    PurchaseInfo {
                        org_id: r.uuid("org_id")?,
                        kind: r.text("kind")?,
                        registration_number: r.opt_text("registration_number")?,
                        phi_days: r.opt_int("pre_harvest_interval_days")?,
                        input_active: r.bool("active")?,
                    },
                );
            }
        }
        let customers: Vec<Uuid> = customers.into_iter().collect();
        for chunk in customers.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|id| Val::from(id.to_string())).collect();
            let sql = format!(
                "SELECT DISTINCT entry_id, org_id FROM archive_customers WHERE entry_id IN ({})",
                placeholders(1, chunk.len())
            );
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                out.customers.insert(r.uuid("entry_id")?, r.uuid("org_id")?);
            }
        }
        if operators {
            let people = self
                .db
                .conn()
                .fetch_all(
                    "SELECT display_name AS n FROM users WHERE org_id = $1 AND NOT disabled \
                     UNION SELECT username AS n FROM users WHERE org_id = $1 AND NOT disabled \
                     UNION SELECT person_name AS n FROM org_duties WHERE org_id = $1",
                    &params![caller.org_id],
                )
                .await?;
            for r in people {
                out.operators.insert(r.text("n")?.trim().to_owned());
            }
        }
        Ok(out)
    }

    /// The canonical identifier of whatever `uri` names, in any accepted
    /// form: an input lot or a place of the platform (a bare id or
    /// `urn:uuid:` is looked up as both), anything else as it is.
    pub async fn canonical_reference(&self, uri: &str) -> Result<String> {
        if let Some(id) = input_lot_id(uri) {
            let found = self
                .db
                .conn()
                .fetch_optional("SELECT id FROM input_purchases WHERE id = $1", &params![id])
                .await?;
            if found.is_some() {
                return Ok(input_lot_canonical(id));
            }
        }
        if let Some(key) = place_key(uri) {
            let (column, value) = match &key {
                PlaceKey::Id(id) => ("id", id.to_string()),
                PlaceKey::Gln(g) => ("gln", g.clone()),
            };
            let sql = format!("SELECT id, gln FROM places WHERE {column} = $1");
            if let Some(r) = self.db.conn().fetch_optional(&sql, &params![value]).await? {
                return Ok(place_canonical(r.uuid("id")?, r.opt_text("gln")?.as_deref()));
            }
        }
        Ok(suyuan_core::epcis::canonical_web_uri(uri).unwrap_or_else(|| uri.trim().to_owned()))
    }
}

/// Writes `canonical` in place of the `agri:{name}` value `given` (in the
/// parsed event and its JSON, at `key`); whether it changed.
fn rewrite(ev: &mut Event, name: &str, key: &str, given: &str, canonical: String) -> bool {
    if canonical == given {
        return false;
    }
    let canonical = Value::String(canonical);
    if let Some(x) = ev
        .extensions
        .iter_mut()
        .find(|x| x.namespace == AGRI_NS && x.local_name == name)
    {
        x.value = canonical.clone();
    }
    if let Some(slot) = ev.json.get_mut(key) {
        *slot = canonical;
    }
    true
}

impl References {
    /// Rewrites the event's place, input-lot and buyer references to their
    /// canonical identifiers (in the parsed event and its JSON). Returns
    /// whether anything changed. `record`: the event is one of our records,
    /// whose places must be registered, whose input lot must be a purchase
    /// and whose buyer a customer of the caller's organisation.
    pub(crate) fn normalise(
        &self,
        ev: &mut Event,
        record: Option<RecordKind>,
        caller: &Caller,
    ) -> std::result::Result<bool, Refusal> {
        let mut changed = false;
        for field in ["bizLocation", "readPoint"] {
            let loc = match field {
                "bizLocation" => ev.biz_location.as_mut(),
                _ => ev.read_point.as_mut(),
            };
            let Some(loc) = loc else { continue };
            let found = place_key(&loc.id).and_then(|k| self.places.get(&k));
            let canonical = match found {
                Some(p) if !p.active => {
                    return Err(refusal(
                        field,
                        "place_deactivated",
                        format!("'{}' is a deactivated place: no new record names it", loc.id),
                        format!("“{}”是已停用的场所，新记录不能引用", loc.id),
                    ));
                }
                Some(p) => p.canonical.clone(),
                None if is_platform_place_form(&loc.id) || record.is_some() && field == "bizLocation" => {
                    return Err(refusal(
                        field,
                        "place_unknown",
                        format!(
                            "'{}' is not a place registered on the platform: register the place first and \
                             name it by its GLN or urn:suyuan:place:{{id}}",
                            loc.id
                        ),
                        format!("“{}”不是平台上登记的场所：请先登记场所，并以其 GLN 或 urn:suyuan:place:{{id}} 引用", loc.id),
                    ));
                }
                // Another system's location, kept as it is.
                None => continue,
            };
            if canonical != loc.id {
                loc.id = canonical.clone();
                if let Some(slot) = ev.json.get_mut(field).and_then(|v| v.get_mut("id")) {
                    *slot = Value::String(canonical);
                }
                changed = true;
            }
        }
        let Some(kind) = record else { return Ok(changed) };
        changed |= self.normalise_input_lot(ev, kind, caller)?;
        changed |= self.normalise_buyer(ev, caller)?;
        Ok(changed)
    }

    /// The record's input lot, a purchase of the caller's organisation of
    /// the kind of input the record applies, in its canonical form.
    fn normalise_input_lot(
        &self,
        ev: &mut Event,
        kind: RecordKind,
        caller: &Caller,
    ) -> std::result::Result<bool, Refusal> {
        let Some(x) = agri_ext(ev, "inputLot") else {
            return Ok(false);
        };
        let key = x.key.clone();
        let given = x.value.as_str().unwrap_or_default().to_owned();
        let purchase = input_lot_id(&given).and_then(|id| {
            self.purchases
                .get(&id)
                .filter(|p| p.org_id == caller.org_id)
                .map(|p| (id, p))
        });
        let Some((id, p)) = purchase else {
            return Err(refusal(
                "agri:inputLot",
                "input_lot_unknown",
                format!(
                    "'{given}' is not a purchase recorded by your organisation: record the purchase of the input \
                     first and name it urn:suyuan:input-lot:{{purchase id}}"
                ),
                format!("“{given}”不是本机构登记的投入品采购批次：请先登记采购，并以 urn:suyuan:input-lot:{{采购记录 id}} 引用"),
            ));
        };
        if !p.input_active {
            return Err(refusal(
                "agri:inputLot",
                "input_deactivated",
                format!("'{given}' is a purchase of a deactivated input: no new record applies it"),
                format!("“{given}”所属的投入品已停用，新记录不能使用"),
            ));
        }
        if let Some(want) = input_kind(kind).filter(|k| k.as_str() != p.kind) {
            return Err(refusal(
                "agri:inputLot",
                "input_lot_kind",
                format!(
                    "a {} record applies a {} lot; this purchase is of a {}",
                    kind.as_str(),
                    want.as_str(),
                    p.kind
                ),
                format!(
                    "“{}”记录应使用{}批次；该采购的投入品类别为 {}",
                    kind.zh(),
                    want.zh(),
                    p.kind
                ),
            ));
        }
        Ok(rewrite(ev, "inputLot", &key, &given, input_lot_canonical(id)))
    }

    /// A sale's buyer, a customer entry of the caller's organisation, in
    /// its canonical form. A value in no accepted form is left to the
    /// schema's check (`customer_format`).
    fn normalise_buyer(&self, ev: &mut Event, caller: &Caller) -> std::result::Result<bool, Refusal> {
        let Some(x) = agri_ext(ev, "buyer") else {
            return Ok(false);
        };
        let key = x.key.clone();
        let given = x.value.as_str().unwrap_or_default().to_owned();
        let Some(id) = customer_id(&given) else {
            return Ok(false);
        };
        if self.customers.get(&id) != Some(&caller.org_id) {
            return Err(refusal(
                "agri:buyer",
                "customer_unknown",
                format!(
                    "'{given}' is not a customer of your organisation's archive: record the customer first \
                     and name it urn:suyuan:customer:{{customer id}}"
                ),
                format!("“{given}”不是本机构客户档案中的客户：请先登记客户，并以 urn:suyuan:customer:{{客户档案 id}} 引用"),
            ));
        }
        Ok(rewrite(ev, "buyer", &key, &given, customer_canonical(id)))
    }

    /// The values a record copies from master data, checked against it: the
    /// registration number and pre-harvest interval of the input lot's
    /// input, and the operator. Run after [`References::normalise`].
    pub(crate) fn check_master_data(&self, ev: &Event, kind: RecordKind) -> Vec<Refusal> {
        let mut out = Vec::new();
        let value = |name: &str| agri_ext(ev, name).map(|x| &x.value);
        let purchase = value("inputLot")
            .and_then(Value::as_str)
            .and_then(input_lot_id)
            .and_then(|id| self.purchases.get(&id));
        if let (Some(p), RecordKind::PestControl) = (purchase, kind) {
            let typed = value("registrationNumber")
                .and_then(Value::as_str)
                .map(|s| s.trim().to_ascii_uppercase());
            let registered = p.registration_number.as_deref().map(str::to_ascii_uppercase);
            if typed != registered {
                let reg = registered.as_deref().unwrap_or("(none)");
                out.push(refusal(
                    "agri:registrationNumber",
                    "registration_number_mismatch",
                    format!("the input lot's pesticide is registered as {reg}; the record must say so"),
                    format!(
                        "该批次农药的登记证号为 {}，记录应与之一致",
                        registered.as_deref().unwrap_or("（无）")
                    ),
                ));
            }
        }
        if let (Some(p), Some(days)) = (purchase, value("preHarvestIntervalDays")) {
            if days.as_i64() != p.phi_days {
                let days = p.phi_days.map_or("(none)".to_owned(), |d| d.to_string());
                out.push(refusal(
                    "agri:preHarvestIntervalDays",
                    "pre_harvest_interval_mismatch",
                    format!("the input lot's pesticide is registered with a pre-harvest interval of {days} days; the record must say so"),
                    format!("该批次农药登记的安全间隔期为 {days} 天，记录应与之一致"),
                ));
            }
        }
        if let Some(operator) = value("operator") {
            let name = operator.as_str().map(str::trim).unwrap_or_default();
            if !self.operators.contains(name) {
                out.push(refusal(
                    "agri:operator",
                    "operator_unknown",
                    format!(
                        "'{name}' is not one of your organisation's people: a user's name or login, \
                         or the person named for one of its duties"
                    ),
                    format!("“{name}”不是本机构人员：应为本机构用户的姓名或登录名，或其职责负责人"),
                ));
            }
        }
        out
    }
}
