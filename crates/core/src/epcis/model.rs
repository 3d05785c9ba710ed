//! Typed EPCIS 2.0 events and documents.
//!
//! Values of these types are built by the parsers in
//! [`validate`](super::validate), which check every rule first, so an
//! [`Event`] always satisfies EPCIS 2.0. Each event keeps its original JSON
//! (`json`, byte-for-byte what was captured apart from whitespace) next to the
//! typed view: the JSON is what gets stored and returned to queries, the typed
//! fields are what code reads. The typed fields are a view: changing them does
//! not change `json`.
//!
//! Identifiers (EPCs, locations, transaction IDs) are kept as written (URN or
//! Digital Link); [`uri`](super::uri) converts them. Vocabulary values are kept
//! as written too (bare word or URI); [`Vocabulary`] expands them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value};

use super::vocab::Vocabulary;
use crate::error::Invalid;

/// Prefixes of the standard EPCIS 2.0 JSON-LD context
/// (`https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld`).
pub const STANDARD_PREFIXES: [(&str, &str); 8] = [
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
    ("gs1", "https://gs1.org/voc/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcterms", "http://purl.org/dc/terms/"),
];

/// Namespace prefixes in force for a document or event: the standard ones
/// plus those declared in `@context` (later declarations win).
///
/// Scopes are shared, not copied: an event's namespaces point to its
/// document's, and add only what the event's own `@context` declares, so a
/// document with a large `@context` and many events costs its context once.
#[derive(Debug, Clone)]
pub struct Namespaces(Arc<Scope>);

#[derive(Debug, Clone)]
struct Scope {
    prefixes: BTreeMap<String, String>,
    parent: Option<Namespaces>,
}

impl Default for Namespaces {
    fn default() -> Self {
        Self::standard()
    }
}

impl PartialEq for Namespaces {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.merged() == other.merged()
    }
}

impl Eq for Namespaces {}

impl Namespaces {
    /// The prefixes of the standard EPCIS context only.
    pub fn standard() -> Self {
        Self(Arc::new(Scope {
            prefixes: STANDARD_PREFIXES
                .iter()
                .map(|(p, iri)| ((*p).to_owned(), (*iri).to_owned()))
                .collect(),
            parent: None,
        }))
    }

    /// These prefixes plus those declared by a JSON-LD `@context` value (a
    /// URL string, an object, or an array of both). A declaration is a
    /// prefix without `:` mapped to an IRI string, or to an object whose
    /// `@id` is one; other entries (type coercions, remote contexts) are
    /// ignored.
    pub fn with_context(&self, context: &Value) -> Self {
        let mut declared = BTreeMap::new();
        let mut add = |obj: &Map<String, Value>| {
            for (k, v) in obj {
                if k.starts_with('@') || k.contains(':') {
                    continue;
                }
                let iri = match v {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("@id").and_then(Value::as_str),
                    _ => None,
                };
                if let Some(iri) = iri.filter(|i| i.contains(':')) {
                    declared.insert(k.clone(), iri.to_owned());
                }
            }
        };
        match context {
            Value::Object(o) => add(o),
            Value::Array(items) => items.iter().filter_map(Value::as_object).for_each(&mut add),
            _ => {}
        }
        if declared.is_empty() {
            return self.clone();
        }
        Self(Arc::new(Scope {
            prefixes: declared,
            parent: Some(self.clone()),
        }))
    }

    /// Declares one prefix.
    pub fn insert(&mut self, prefix: impl Into<String>, iri: impl Into<String>) {
        Arc::make_mut(&mut self.0)
            .prefixes
            .insert(prefix.into(), iri.into());
    }

    /// The IRI a prefix stands for.
    pub fn resolve(&self, prefix: &str) -> Option<&str> {
        let mut scope = Some(self);
        while let Some(ns) = scope {
            if let Some(iri) = ns.0.prefixes.get(prefix) {
                return Some(iri);
            }
            scope = ns.0.parent.as_ref();
        }
        None
    }

    /// Every prefix in force and its IRI, the innermost declaration of each.
    fn merged(&self) -> BTreeMap<&str, &str> {
        let mut scopes = Vec::new();
        let mut scope = Some(self);
        while let Some(ns) = scope {
            scopes.push(&ns.0.prefixes);
            scope = ns.0.parent.as_ref();
        }
        let mut out = BTreeMap::new();
        for prefixes in scopes.into_iter().rev() {
            out.extend(prefixes.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        out
    }

    /// Every declared prefix and its IRI.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.merged().into_iter()
    }

    /// Splits an extension key into namespace IRI and local name: a compact
    /// IRI with a declared prefix (`example:myField`), or an absolute IRI
    /// (`https://ns.example.com/epcis/myField`, `urn:example:ns:myField`;
    /// the namespace ends at the last `#`, `/` or, for URNs, `:`). `None` for
    /// a key without `:` and for an undeclared prefix.
    pub fn split_key(&self, key: &str) -> Option<(String, String)> {
        let (prefix, rest) = key.split_once(':')?;
        if let Some(iri) = self.resolve(prefix) {
            return Some((iri.to_owned(), rest.to_owned()));
        }
        let absolute = rest.starts_with("//") || prefix.eq_ignore_ascii_case("urn");
        if !absolute || prefix.is_empty() {
            return None;
        }
        let cut = if prefix.eq_ignore_ascii_case("urn") {
            key.rfind([':', '#', '/'])
        } else {
            key.rfind(['#', '/'])
        }?;
        let (ns, local) = key.split_at(cut + 1);
        Some((ns.to_owned(), local.to_owned()))
    }
}

/// An extension field: a key from a declared namespace (or a full-URI key)
/// and its JSON value, kept as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// The key as written, e.g. `example:myField`.
    pub key: String,
    /// The namespace IRI, e.g. `http://ns.example.com/epcis/`.
    pub namespace: String,
    /// The local name, e.g. `myField`.
    pub local_name: String,
    /// The value as written (string, number, object, array, ...).
    pub value: Value,
}

impl Extension {
    /// `{namespace}localName`, the expanded name used by the event hash.
    pub fn expanded_name(&self) -> String {
        format!("{{{}}}{}", self.namespace, self.local_name)
    }
}

/// The five EPCIS 2.0 event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// Observation, commissioning or decommissioning of objects.
    Object,
    /// Objects packed into (or unpacked from) a parent: cases, pallets.
    Aggregation,
    /// Objects tied to business transactions: orders, invoices, despatch advice.
    Transaction,
    /// Inputs consumed, outputs produced: processing, commingling, repacking.
    Transformation,
    /// Assets such as sensors attached to (or removed from) a parent.
    Association,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 5] = [
        Self::Object,
        Self::Aggregation,
        Self::Transaction,
        Self::Transformation,
        Self::Association,
    ];

    /// The JSON `type` value, e.g. `ObjectEvent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Object => "ObjectEvent",
            Self::Aggregation => "AggregationEvent",
            Self::Transaction => "TransactionEvent",
            Self::Transformation => "TransformationEvent",
            Self::Association => "AssociationEvent",
        }
    }

    /// The event type for a JSON `type` value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `action`: what the event did to the objects' lifecycle or aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Objects created / added.
    Add,
    /// Objects seen, unchanged.
    Observe,
    /// Objects ended / removed.
    Delete,
}

impl Action {
    /// The JSON value: `ADD`, `OBSERVE`, `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Observe => "OBSERVE",
            Self::Delete => "DELETE",
        }
    }

    /// The action for a JSON value (exact, upper case).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Add, Self::Observe, Self::Delete]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// `errorDeclaration`: the event is declared wrong (history is never edited).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDeclaration {
    /// When the error was declared.
    pub declaration_time: DateTime<FixedOffset>,
    /// Why, as written (`incorrect_data`, `did_not_occur` or a URI).
    pub reason: Option<String>,
    /// Events that correct this one.
    pub corrective_event_ids: Vec<String>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// A `readPoint` or `bizLocation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The location's URI (SGLN URN, Digital Link, `geo:` URI, ...).
    pub id: String,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// An element of `quantityList`, `childQuantityList`, `inputQuantityList`,
/// `outputQuantityList`: an amount of a class of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantityElement {
    /// The class (LGTIN, GTIN pattern or Digital Link without serial).
    pub epc_class: String,
    /// The amount; absent means "an unknown amount".
    pub quantity: Option<f64>,
    /// UN/ECE Rec. 20 unit code (`KGM`, `LTR`...); absent means a count.
    pub uom: Option<String>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// An element of `bizTransactionList`.
#[derive(Debug, Clone, PartialEq)]
pub struct BizTransaction {
    /// The transaction type as written (`po`, `desadv`, a URI...).
    pub kind: Option<String>,
    /// The transaction's URI.
    pub id: String,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// An element of `sourceList` or `destinationList`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDest {
    /// The type as written (`owning_party`, `possessing_party`, `location` or a URI).
    pub kind: String,
    /// The party or location URI.
    pub id: String,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// `persistentDisposition`: dispositions that stay until unset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersistentDisposition {
    /// Dispositions set by this event.
    pub set: Vec<String>,
    /// Dispositions cleared by this event.
    pub unset: Vec<String>,
}

/// `sensorMetadata` of a sensor element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorMetadata {
    pub time: Option<DateTime<FixedOffset>>,
    pub start_time: Option<DateTime<FixedOffset>>,
    pub end_time: Option<DateTime<FixedOffset>>,
    pub device_id: Option<String>,
    pub device_metadata: Option<String>,
    pub raw_data: Option<String>,
    pub data_processing_method: Option<String>,
    pub biz_rules: Option<String>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// One `sensorReport` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorReport {
    /// Measurement type as written (`Temperature`, a URI, `example:x`...).
    pub kind: String,
    /// `ALARM_CONDITION`, `ERROR_CONDITION` or a URI.
    pub exception: Option<String>,
    pub device_id: Option<String>,
    pub device_metadata: Option<String>,
    pub raw_data: Option<String>,
    pub data_processing_method: Option<String>,
    pub biz_rules: Option<String>,
    pub time: Option<DateTime<FixedOffset>>,
    pub microorganism: Option<String>,
    pub chemical_substance: Option<String>,
    pub value: Option<f64>,
    pub component: Option<String>,
    pub string_value: Option<String>,
    pub boolean_value: Option<bool>,
    pub hex_binary_value: Option<String>,
    pub uri_value: Option<String>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub mean_value: Option<f64>,
    pub s_dev: Option<f64>,
    pub perc_rank: Option<f64>,
    pub perc_value: Option<f64>,
    pub uom: Option<String>,
    pub coordinate_reference_system: Option<String>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// An element of `sensorElementList`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorElement {
    pub metadata: Option<SensorMetadata>,
    pub reports: Vec<SensorReport>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// One validated EPCIS 2.0 event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event exactly as received.
    pub json: Value,
    /// Prefixes in force for this event (document `@context` plus the
    /// event's own `@context`, if any).
    pub namespaces: Namespaces,
    pub event_type: EventType,
    pub event_time: DateTime<FixedOffset>,
    /// `±HH:MM`, the local offset where the event happened.
    pub event_time_zone_offset: String,
    pub record_time: Option<DateTime<FixedOffset>>,
    pub event_id: Option<String>,
    pub error_declaration: Option<ErrorDeclaration>,
    /// `certificationInfo` (one URI or several).
    pub certification_info: Vec<String>,
    /// Absent for transformation events only.
    pub action: Option<Action>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub persistent_disposition: Option<PersistentDisposition>,
    pub read_point: Option<Location>,
    pub biz_location: Option<Location>,
    pub epc_list: Vec<String>,
    pub parent_id: Option<String>,
    pub child_epcs: Vec<String>,
    pub input_epc_list: Vec<String>,
    pub output_epc_list: Vec<String>,
    pub quantity_list: Vec<QuantityElement>,
    pub child_quantity_list: Vec<QuantityElement>,
    pub input_quantity_list: Vec<QuantityElement>,
    pub output_quantity_list: Vec<QuantityElement>,
    pub transformation_id: Option<String>,
    pub biz_transaction_list: Vec<BizTransaction>,
    pub source_list: Vec<SourceDest>,
    pub destination_list: Vec<SourceDest>,
    pub sensor_element_list: Vec<SensorElement>,
    /// Instance/lot master data: extension fields only.
    pub ilmd: Option<Vec<Extension>>,
    /// Top-level extension fields.
    pub extensions: Vec<Extension>,
}

impl Event {
    /// The CBV 2.0 event hash of this event, `ni:///sha-256;…?ver=CBV2.0`.
    pub fn hash_id(&self) -> String {
        super::hash::event_hash_id(&self.json, &self.namespaces)
    }

    /// Whether `eventID` equals the CBV 2.0 hash of the event; `None` when
    /// the event has no `eventID` or one that is not a hash (e.g. a UUID URN).
    pub fn event_id_matches_hash(&self) -> Option<bool> {
        let id = self.event_id.as_deref()?;
        super::hash::is_hash_id(id).then(|| id.eq_ignore_ascii_case(&self.hash_id()))
    }

    /// `eventTime` in UTC.
    pub fn event_time_utc(&self) -> DateTime<Utc> {
        self.event_time.with_timezone(&Utc)
    }

    /// `bizStep` as a Web URI (standard words expanded).
    pub fn biz_step_uri(&self) -> Option<String> {
        self.biz_step
            .as_deref()
            .map(|s| Vocabulary::BizStep.expand_or_keep(s))
    }

    /// `disposition` as a Web URI (standard words expanded).
    pub fn disposition_uri(&self) -> Option<String> {
        self.disposition
            .as_deref()
            .map(|s| Vocabulary::Disposition.expand_or_keep(s))
    }

    /// Every instance-level identifier the event names, in the order
    /// `epcList`, `parentID`, `childEPCs`, `inputEPCList`, `outputEPCList`
    /// (what the query parameter `MATCH_anyEPC` looks at).
    pub fn all_epcs(&self) -> impl Iterator<Item = &str> {
        self.epc_list
            .iter()
            .chain(self.parent_id.iter())
            .chain(self.child_epcs.iter())
            .chain(self.input_epc_list.iter())
            .chain(self.output_epc_list.iter())
            .map(String::as_str)
    }

    /// Every quantity element of the event (all four lists).
    pub fn all_quantities(&self) -> impl Iterator<Item = &QuantityElement> {
        self.quantity_list
            .iter()
            .chain(self.child_quantity_list.iter())
            .chain(self.input_quantity_list.iter())
            .chain(self.output_quantity_list.iter())
    }
}

/// What kind of JSON a [`Document`] was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// `"type": "EPCISDocument"` (capture).
    EpcisDocument,
    /// `"type": "EPCISQueryDocument"` (query results).
    EpcisQueryDocument,
    /// A single event with its own `@context` (allowed by the JSON schema).
    SingleEvent,
    /// A bare JSON array of events.
    EventList,
}

/// A validated EPCIS document and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: DocumentKind,
    /// The document as received (events included).
    pub json: Value,
    /// Prefixes declared by the document's `@context`.
    pub namespaces: Namespaces,
    pub schema_version: Option<String>,
    pub creation_date: Option<DateTime<FixedOffset>>,
    /// `queryName` of a query document.
    pub query_name: Option<String>,
    /// `subscriptionID` of a query document.
    pub subscription_id: Option<String>,
    /// The events, in document order.
    pub events: Vec<Event>,
    /// Document-level extension fields.
    pub extensions: Vec<Extension>,
}

/// Parses an RFC 3339 / `xsd:dateTimeStamp` timestamp: date, `T`, time with
/// seconds and optional fraction, and a mandatory offset (`Z` or `±HH:MM`).
///
/// Errors: `epcis_bad_time`.
pub fn parse_timestamp(s: &str) -> Result<DateTime<FixedOffset>, Invalid> {
    let b = s.as_bytes();
    let shape_ok = b.len() >= 20
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) if shape_ok => Ok(t),
        _ => Err(Invalid::new(
            "epcis_bad_time",
            format!(
                "'{s}' is not a timestamp with time zone such as 2024-06-15T08:30:00.000+08:00 \
                 (RFC 3339, seconds and offset required)."
            ),
            format!(
                "“{s}”不是带时区的时间戳，格式如 2024-06-15T08:30:00.000+08:00（RFC 3339，须含秒和时区）。"
            ),
        )),
    }
}

/// Checks an `eventTimeZoneOffset`: `±HH:MM` from `-14:00` to `+14:00`.
///
/// Errors: `epcis_bad_timezone_offset`.
pub fn parse_time_zone_offset(s: &str) -> Result<FixedOffset, Invalid> {
    let b = s.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i32::from(c - b'0'))
    };
    let parsed = match (
        b.first(),
        digit(1),
        digit(2),
        b.get(3),
        digit(4),
        digit(5),
        b.len(),
    ) {
        (Some(sign @ (b'+' | b'-')), Some(h1), Some(h2), Some(b':'), Some(m1), Some(m2), 6) => {
            let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
            let ok = m < 60 && (h < 14 || (h == 14 && m == 0));
            let secs = (h * 3600 + m * 60) * if *sign == b'-' { -1 } else { 1 };
            if ok {
                FixedOffset::east_opt(secs)
            } else {
                None
            }
        }
        _ => None,
    };
    parsed.ok_or_else(|| {
        Invalid::new(
            "epcis_bad_timezone_offset",
            format!("'{s}' is not a time zone offset: write ±HH:MM between -14:00 and +14:00, e.g. +08:00."),
            format!("“{s}”不是时区偏移：应写作 ±HH:MM，介于 -14:00 与 +14:00 之间，如 +08:00。"),
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_need_seconds_and_offset() {
        let t = parse_timestamp("2005-04-03T20:33:31.116000-06:00").unwrap();
        assert_eq!(
            t.with_timezone(&Utc).to_rfc3339(),
            "2005-04-04T02:33:31.116+00:00"
        );
        assert!(parse_timestamp("2005-07-11T11:30:47.0Z").is_ok());
        for bad in [
            "2005-04-03T20:33:31",
            "2005-04-03T20:33Z",
            "2005-04-03",
            "2005-02-30T00:00:00Z",
            "x",
        ] {
            assert_eq!(parse_timestamp(bad).unwrap_err().code, "epcis_bad_time", "{bad}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(
            parse_time_zone_offset("+08:00").unwrap().local_minus_utc(),
            8 * 3600
        );
        assert_eq!(
            parse_time_zone_offset("-06:30").unwrap().local_minus_utc(),
            -(6 * 3600 + 1800)
        );
        assert!(parse_time_zone_offset("+14:00").is_ok());
        for bad in ["+14:01", "08:00", "+8:00", "+08:60", "+0800", "Z", "+08:00 "] {
            assert_eq!(
                parse_time_zone_offset(bad).unwrap_err().code,
                "epcis_bad_timezone_offset",
                "{bad}"
            );
        }
    }

    #[test]
    fn namespaces_from_context_and_key_splitting() {
        let ns = Namespaces::standard().with_context(&json!([
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"example": "http://ns.example.com/epcis/", "rail:x": {"@type": "@id"}},
            {"ext": {"@id": "https://ext.example.cn/"}, "cbvmda": "http://override.example/"}
        ]));
        assert_eq!(ns.resolve("example"), Some("http://ns.example.com/epcis/"));
        assert_eq!(ns.resolve("ext"), Some("https://ext.example.cn/"));
        assert_eq!(ns.resolve("cbvmda"), Some("http://override.example/"));
        assert_eq!(ns.resolve("rail"), None);
        let split = |k: &str| ns.split_key(k);
        assert_eq!(
            split("example:myField"),
            Some(("http://ns.example.com/epcis/".into(), "myField".into()))
        );
        assert_eq!(
            split("https://ns.example.cn/epcis#grade"),
            Some(("https://ns.example.cn/epcis#".into(), "grade".into()))
        );
        assert_eq!(
            split("urn:example:ns:grade"),
            Some(("urn:example:ns:".into(), "grade".into()))
        );
        assert_eq!(split("undeclared:field"), None);
        assert_eq!(split("plain"), None);
    }

    #[test]
    fn event_scopes_share_their_document_scope() {
        let doc = Namespaces::standard()
            .with_context(&json!({"a": "https://a.example/", "b": "https://b.example/"}));
        // A context that declares nothing gives the very same scope.
        let same = doc.with_context(&json!([
            "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
        ]));
        assert!(Arc::ptr_eq(&same.0, &doc.0));
        // One that declares something adds only that, over the document's.
        let event = doc.with_context(&json!({"b": "https://b2.example/", "c": "https://c.example/"}));
        assert_eq!(event.0.prefixes.len(), 2);
        assert!(event.0.parent.as_ref().is_some_and(|p| Arc::ptr_eq(&p.0, &doc.0)));
        assert_eq!(event.resolve("a"), Some("https://a.example/"));
        assert_eq!(event.resolve("b"), Some("https://b2.example/"));
        assert_eq!(event.resolve("c"), Some("https://c.example/"));
        assert_eq!(event.resolve("cbv"), Some("https://ref.gs1.org/cbv/"));
        assert_eq!(doc.resolve("b"), Some("https://b.example/"));
        assert_eq!(doc.resolve("c"), None);
        let all: Vec<(&str, &str)> = event.iter().collect();
        assert_eq!(all.len(), STANDARD_PREFIXES.len() + 3);
        assert!(all.contains(&("b", "https://b2.example/")));
        // Equality is by content.
        let flat = Namespaces::standard().with_context(&json!({
            "a": "https://a.example/", "b": "https://b2.example/", "c": "https://c.example/"
        }));
        assert_eq!(flat, event);
        assert_ne!(doc, event);
        let mut changed = event.clone();
        changed.insert("d", "https://d.example/");
        assert_eq!(changed.resolve("d"), Some("https://d.example/"));
        assert_eq!(event.resolve("d"), None);
    }
}
