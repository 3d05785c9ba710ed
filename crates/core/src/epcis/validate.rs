//! Reading and validating EPCIS 2.0 JSON (JSON-LD) documents and events.
//!
//! [`parse_document`] accepts an `EPCISDocument` (capture), an
//! `EPCISQueryDocument` (query results), a single event carrying its own
//! `@context`, or a bare JSON array of events, checks every rule below, and
//! returns the typed [`Document`] or *all* the problems found (up to
//! [`MAX_PROBLEMS`]), each naming the event index and the field:
//!
//! * Structure: the JSON types of every standard field; `@context` present on
//!   documents; `schemaVersion` (`2.0`, digits and dots) and `creationDate` on
//!   an `EPCISDocument`; `queryName` and `resultsBody.eventList` on a query
//!   document.
//! * Every event: `type` one of the five event types; `eventTime` with its
//!   offset (`xsd:dateTimeStamp`); `eventTimeZoneOffset` as `±HH:MM` within
//!   ±14:00; `recordTime`, `errorDeclaration.declarationTime` and sensor times
//!   also timestamps with offset.
//! * Per type (EPCIS 2.0 and its JSON schema): `action` (`ADD`, `OBSERVE`,
//!   `DELETE`) required for Object, Aggregation, Transaction and Association
//!   events and not allowed on Transformation events; Object events need
//!   `epcList`, a non-empty `quantityList`, or sensor data with a `readPoint`,
//!   and `ilmd` only with `ADD`; Aggregation events need children or
//!   `DELETE`, and a `parentID` with `ADD`/`DELETE`; Transaction events need
//!   a non-empty `bizTransactionList`; Transformation events need inputs and
//!   outputs, or a `transformationID`; Association events need `parentID` and
//!   children or `DELETE`. Fields of other event types are refused.
//! * Identifiers: EPCs (`epcList`, `parentID`, `childEPCs`, `inputEPCList`,
//!   `outputEPCList`) must be EPC URNs or GS1 Digital Link URIs that parse
//!   ([`check_epc`]), without duplicates in a list; `epcClass` the same but
//!   naming a class (LGTIN, GTIN pattern, Digital Link without serial); other
//!   identifier fields must be absolute URIs, and `urn:epc:` ones must parse.
//! * Quantities are JSON numbers; `uom` is 2–3 upper-case letters or digits
//!   and needs a `quantity`. Sensor elements have a non-empty `sensorReport`
//!   list whose entries each have a `type`; sensor values are numbers,
//!   `booleanValue` a boolean, `hexBinaryValue` hexadecimal.
//!   `persistentDisposition` has a non-empty `set` and/or `unset`.
//! * Vocabulary (`bizStep`, `disposition`, types, `reason`, sensor `type`,
//!   `exception`, `component`): a standard bare word or a URI of one's own;
//!   the URN and `gs1.org/voc` spellings of standard values are refused as
//!   the JSON schema does (use the bare word).
//! * Field names: keys without a namespace that EPCIS does not define are
//!   refused; `prefix:name` keys need the prefix declared in `@context` (or a
//!   standard one: `cbvmda`, `gs1`, `rdfs`, ...); full-URI keys are accepted.
//!   Such extension fields are kept with their namespace. Unlike the JSON
//!   schema, namespaced extension fields are also accepted inside quantity,
//!   transaction and source/destination elements (the XML binding allows them
//!   there).
//!
//! * Bounds (checked first, see [`super::limits`]): string values at most
//!   4,096 characters, identifiers and vocabulary URIs at most 2,048, arrays
//!   and objects at most 10,000 entries, nesting at most 16 levels, an event
//!   at most 256 KiB as compact JSON, no control or bidirectional-control
//!   characters in any string or field name; a document's header (without
//!   its events) the same. An event that breaks a bound is reported for the
//!   bounds only.
//!
//! Error codes: `epcis_not_object`, `epcis_wrong_type`, `epcis_missing_field`,
//! `epcis_unknown_field`, `epcis_field_not_allowed`, `epcis_undeclared_prefix`,
//! `epcis_bad_document_type`, `epcis_bad_event_type`, `epcis_bad_context`,
//! `epcis_bad_version`, `epcis_bad_time`, `epcis_bad_timezone_offset`,
//! `epcis_bad_action`, `epcis_bad_epc`, `epcis_bad_epc_class`,
//! `epcis_duplicate_epc`, `epcis_bad_uri`, `epcis_bad_quantity`,
//! `epcis_bad_uom`, `epcis_bad_vocabulary`, `epcis_bad_value`,
//! `epcis_too_many_problems`, and the bounds' `value_too_long`,
//! `too_many_entries`, `too_deep`, `event_too_large`, `header_too_large`,
//! `text_control_chars`.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::limits::{check_event, check_header, uri_too_long};
use super::model::{
    parse_time_zone_offset, parse_timestamp, Action, BizTransaction, Document, DocumentKind,
    ErrorDeclaration, Event, EventType, Extension, Location, Namespaces, PersistentDisposition,
    QuantityElement, SensorElement, SensorMetadata, SensorReport, SourceDest,
};
use super::uri::{check_epc, parse_epc};
use super::vocab::Vocabulary;
use crate::error::Invalid;

/// At most this many problems are reported for one document; one more entry,
/// `epcis_too_many_problems`, says that the list was cut.
pub const MAX_PROBLEMS: usize = 100;

/// One broken rule in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Index of the event in its event list; `None` for the document itself.
    pub event: Option<usize>,
    /// Path of the field inside the event (or the document), e.g.
    /// `epcList[1]`, `readPoint.id`, `sensorElementList[0].sensorReport[2].uom`.
    pub field: String,
    /// The broken rule; its messages start with the full location, e.g.
    /// `epcisBody.eventList[3].epcList[1]: …`.
    pub error: Invalid,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Parses and validates a document: `EPCISDocument`, `EPCISQueryDocument`, a
/// single event with `@context`, or a JSON array of events.
pub fn parse_document(json: &Value) -> Result<Document, Vec<Problem>> {
    let mut sink = Sink::default();
    let doc = read_document(json, &mut sink);
    match doc {
        Some(d) if sink.problems.is_empty() => Ok(d),
        _ => Err(sink.finish()),
    }
}

/// Every problem of a document (empty when it is valid).
pub fn validate_document(json: &Value) -> Vec<Problem> {
    parse_document(json).err().unwrap_or_default()
}

/// Parses and validates a JSON array of events under `namespaces`.
pub fn parse_events(events: &Value, namespaces: &Namespaces) -> Result<Vec<Event>, Vec<Problem>> {
    let mut sink = Sink::default();
    let out = read_event_list(events, "", namespaces, &mut sink);
    match out {
        Some(events) if sink.problems.is_empty() => Ok(events),
        _ => Err(sink.finish()),
    }
}

/// Parses and validates one event under `namespaces`; problems carry
/// `event: Some(0)`.
pub fn parse_event(event: &Value, namespaces: &Namespaces) -> Result<Event, Vec<Problem>> {
    let mut sink = Sink::default();
    let out = read_event(event, 0, "", namespaces, &mut sink);
    match out {
        Some(e) if sink.problems.is_empty() => Ok(e),
        _ => Err(sink.finish()),
    }
}

// ---------------------------------------------------------------------------
// Problems

#[derive(Default)]
struct Sink {
    problems: Vec<Problem>,
    dropped: usize,
}

impl Sink {
    fn push(&mut self, event: Option<usize>, location: &str, field: &str, error: Invalid) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.dropped += 1;
            return;
        }
        let loc = if location.is_empty() { "document" } else { location };
        self.problems.push(Problem {
            event,
            field: field.to_owned(),
            error: Invalid::new(
                error.code,
                format!("{loc}: {}", error.en),
                format!("{loc}：{}", error.zh),
            ),
        });
    }

    fn finish(mut self) -> Vec<Problem> {
        if self.dropped > 0 {
            let n = self.dropped;
            self.problems.push(Problem {
                event: None,
                field: String::new(),
                error: Invalid::new(
                    "epcis_too_many_problems",
                    format!("{n} more problems were not listed."),
                    format!("另有 {n} 个问题未列出。"),
                ),
            });
        }
        self.problems
    }
}

fn join(base: &str, field: &str) -> String {
    match (base.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => base.to_owned(),
        (false, false) if field.starts_with('[') => format!("{base}{field}"),
        (false, false) => format!("{base}.{field}"),
    }
}

/// What is wrong with an identifier of kind `kind`, if anything.
fn id_error(s: &str, kind: IdKind) -> Option<Invalid> {
    if let Some(e) = uri_too_long(s) {
        return Some(e);
    }
    let result = match kind {
        IdKind::Epc => check_epc(s).map_err(|e| bad_epc(s, &e)),
        IdKind::Uri if s.starts_with("urn:epc:") => check_epc(s).map_err(|e| bad_epc(s, &e)),
        IdKind::Uri if is_uri(s) => Ok(()),
        IdKind::Uri => Err(Invalid::new(
            "epcis_bad_uri",
            format!(
                "'{}' is not an absolute URI (such as urn:… or https://…).",
                clip(s)
            ),
            format!("“{}”不是绝对 URI（如 urn:… 或 https://…）。", clip(s)),
        )),
    };
    result.err()
}
/// What is wrong with a value of vocabulary `vocab`, if anything.
fn vocab_error(s: &str, vocab: Vocabulary) -> Option<Invalid> {
    if vocab.is_word(s) {
        return None;
    }
    if let Some(e) = uri_too_long(s) {
        return Some(e);
    }
    let lower = s.to_ascii_lowercase();
    let forbidden = match vocab {
        Vocabulary::MeasurementType | Vocabulary::SensorAlertType => [
            "http://gs1.org/voc/",
            "https://gs1.org/voc/",
            "http://www.gs1.org/voc/",
            "https://www.gs1.org/voc/",
        ]
        .iter()
        .any(|p| lower.starts_with(p)),
        _ => [
            "urn:epcglobal:cbv",
            "http://ns.gs1.org/cbv/",
            "https://ns.gs1.org/cbv/",
        ]
        .iter()
        .any(|p| lower.starts_with(p)),
    };
    let error = if forbidden {
        let hint = vocab
            .compact(s)
            .map_or_else(String::new, |w| format!(" (write '{w}')"));
        let hint_zh = vocab
            .compact(s)
            .map_or_else(String::new, |w| format!("（应写作“{w}”）"));
        Invalid::new(
            "epcis_bad_vocabulary",
            format!(
                "'{}' spells a standard value in a form EPCIS 2.0 JSON does not allow{hint}.",
                clip(s)
            ),
            format!(
                "“{}”是标准值的另一种写法，EPCIS 2.0 JSON 不允许{hint_zh}。",
                clip(s)
            ),
        )
    } else if is_uri(s) {
        return None;
    } else {
        Invalid::new(
            "epcis_bad_vocabulary",
            format!(
                "'{}' is neither a standard CBV value nor a URI; custom values must be URIs.",
                clip(s)
            ),
            format!("“{}”既不是 CBV 标准值也不是 URI；自定义值必须是 URI。", clip(s)),
        )
    };
    Some(error)
}

fn wrong_type(expected_en: &str, expected_zh: &str) -> Invalid {
    Invalid::new(
        "epcis_wrong_type",
        format!("must be {expected_en}."),
        format!("应为{expected_zh}。"),
    )
}

fn missing(what_en: &str, what_zh: &str) -> Invalid {
    Invalid::new(
        "epcis_missing_field",
        format!("{what_en} is required."),
        format!("缺少必填项：{what_zh}。"),
    )
}

fn clip(s: &str) -> String {
    const MAX: usize = 100;
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s.to_owned()
    }
}

/// Fields every event may have.
const COMMON_FIELDS: &[&str] = &[
    "@context",
    "type",
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "certificationInfo",
    "errorDeclaration",
];

/// Fields of each event type besides the common ones (EPCIS 2.0 JSON schema).
fn type_fields(t: EventType) -> &'static [&'static str] {
    match t {
        EventType::Object => &[
            "action",
            "epcList",
            "quantityList",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "ilmd",
        ],
        EventType::Aggregation | EventType::Association => &[
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
        ],
        EventType::Transaction => &[
            "bizTransactionList",
            "parentID",
            "epcList",
            "quantityList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "sourceList",
            "destinationList",
            "sensorElementList",
        ],
        EventType::Transformation => &[
            "inputEPCList",
            "inputQuantityList",
            "outputEPCList",
            "outputQuantityList",
            "transformationID",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "ilmd",
        ],
    }
}

fn is_event_field(key: &str) -> bool {
    COMMON_FIELDS.contains(&key) || EventType::ALL.iter().any(|t| type_fields(*t).contains(&key))
}

// ---------------------------------------------------------------------------
// Documents

fn read_document(json: &Value, sink: &mut Sink) -> Option<Document> {
    if json.is_array() {
        let namespaces = Namespaces::standard();
        let events = read_event_list(json, "", &namespaces, sink)?;
        return Some(Document {
            kind: DocumentKind::EventList,
            json: json.clone(),
            namespaces,
            schema_version: None,
            creation_date: None,
            query_name: None,
            subscription_id: None,
            events,
            extensions: Vec::new(),
        });
    }
    let Some(obj) = json.as_object() else {
        sink.push(
            None,
            "",
            "",
            Invalid::new(
                "epcis_not_object",
                "An EPCIS document must be a JSON object (or an array of events).",
                "EPCIS 文档应为 JSON 对象（或事件数组）。",
            ),
        );
        return None;
    };
    let mut doc = DocReader { sink };
    let namespaces = doc.context(obj)?;
    let type_name = match obj.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            doc.problem("type", wrong_type("a string", "字符串"));
            return None;
        }
        None => {
            doc.problem("type", missing("The document type", "文档类型 type"));
            return None;
        }
    };
    if EventType::parse(type_name).is_some() {
        let event = read_event(json, 0, "", &Namespaces::standard(), doc.sink)?;
        return Some(Document {
            kind: DocumentKind::SingleEvent,
            json: json.clone(),
            namespaces,
            schema_version: None,
            creation_date: None,
            query_name: None,
            subscription_id: None,
            events: vec![event],
            extensions: Vec::new(),
        });
    }
    let bounds = check_header(obj);
    if !bounds.is_empty() {
        for (path, error) in bounds {
            doc.sink.push(None, &path, &path, error);
        }
        return None;
    }
    let kind = match type_name {
        "EPCISDocument" => DocumentKind::EpcisDocument,
        "EPCISQueryDocument" => DocumentKind::EpcisQueryDocument,
        other => {
            doc.problem(
                "type",
                Invalid::new(
                    "epcis_bad_document_type",
                    format!(
                        "'{}' is not a document type: use EPCISDocument or EPCISQueryDocument.",
                        clip(other)
                    ),
                    format!(
                        "“{}”不是文档类型：应为 EPCISDocument 或 EPCISQueryDocument。",
                        clip(other)
                    ),
                ),
            );
            return None;
        }
    };
    let header_fields: &[&str] = match kind {
        DocumentKind::EpcisDocument => &[
            "@context",
            "id",
            "type",
            "schemaVersion",
            "creationDate",
            "instanceIdentifier",
            "sender",
            "receiver",
            "epcisHeader",
            "epcisBody",
        ],
        _ => &[
            "@context",
            "id",
            "type",
            "schemaVersion",
            "creationDate",
            "epcisBody",
        ],
    };
    let extensions = doc.extensions(obj, header_fields, "", &namespaces);
    let required = kind == DocumentKind::EpcisDocument;
    let schema_version = doc.schema_version(obj, required);
    let creation_date = doc.creation_date(obj, required);
    for key in ["id", "instanceIdentifier", "sender", "receiver"] {
        if obj.get(key).is_some_and(|v| !v.is_string()) {
            doc.problem(key, wrong_type("a string", "字符串"));
        }
    }
    if obj.get("epcisHeader").is_some_and(|v| !v.is_object()) {
        doc.problem("epcisHeader", wrong_type("an object", "对象"));
    }
    let body = doc.object(obj, "epcisBody", "epcisBody")?;
    let (list, base, query_name, subscription_id) = if kind == DocumentKind::EpcisDocument {
        doc.extensions(body, &["eventList"], "epcisBody", &namespaces);
        (body.get("eventList"), "epcisBody.eventList", None, None)
    } else {
        doc.extensions(body, &["queryResults"], "epcisBody", &namespaces);
        let results = doc.object(body, "queryResults", "epcisBody.queryResults")?;
        let path = "epcisBody.queryResults";
        doc.extensions(
            results,
            &["queryName", "subscriptionID", "resultsBody"],
            path,
            &namespaces,
        );
        let query_name = doc.string(results, "queryName", path, true);
        let subscription_id = doc.string(results, "subscriptionID", path, false);
        let rb = doc.object(results, "resultsBody", "epcisBody.queryResults.resultsBody")?;
        let rb_path = "epcisBody.queryResults.resultsBody";
        doc.extensions(rb, &["eventList", "vocabularyList"], rb_path, &namespaces);
        (
            rb.get("eventList"),
            "epcisBody.queryResults.resultsBody.eventList",
            query_name,
            subscription_id,
        )
    };
    let Some(list) = list else {
        doc.problem(base, missing("The event list (eventList)", "事件列表 eventList"));
        return None;
    };
    let events = read_event_list(list, base, &namespaces, doc.sink)?;
    Some(Document {
        kind,
        json: json.clone(),
        namespaces,
        schema_version,
        creation_date,
        query_name,
        subscription_id,
        events,
        extensions,
    })
}

struct DocReader<'s> {
    sink: &'s mut Sink,
}

impl DocReader<'_> {
    fn problem(&mut self, field: &str, error: Invalid) {
        self.sink.push(None, field, field, error);
    }

    fn context(&mut self, obj: &Map<String, Value>) -> Option<Namespaces> {
        let Some(ctx) = obj.get("@context") else {
            self.problem(
                "@context",
                missing(
                    "The JSON-LD @context (at least the EPCIS context URL)",
                    "JSON-LD @context（至少包含 EPCIS 上下文 URL）",
                ),
            );
            return None;
        };
        if !context_shape_ok(ctx) {
            self.problem("@context", bad_context());
            return None;
        }
        Some(Namespaces::standard().with_context(ctx))
    }

    fn object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'v Map<String, Value>> {
        match obj.get(key) {
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.problem(path, wrong_type("an object", "对象"));
                None
            }
            None => {
                self.problem(path, missing(&format!("The field {key}"), &format!("字段 {key}")));
                None
            }
        }
    }

    fn string(&mut self, obj: &Map<String, Value>, key: &str, base: &str, required: bool) -> Option<String> {
        let path = join(base, key);
        match obj.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.problem(&path, wrong_type("a string", "字符串"));
                None
            }
            None => {
                if required {
                    self.problem(
                        &path,
                        missing(&format!("The field {key}"), &format!("字段 {key}")),
                    );
                }
                None
            }
        }
    }

    fn schema_version(&mut self, obj: &Map<String, Value>, required: bool) -> Option<String> {
        let v = self.string(obj, "schemaVersion", "", required)?;
        let ok = !v.is_empty()
            && v.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            self.problem(
                "schemaVersion",
                Invalid::new(
                    "epcis_bad_version",
                    format!("'{}' is not a schema version such as 2.0.", clip(&v)),
                    format!("“{}”不是模式版本号（如 2.0）。", clip(&v)),
                ),
            );
        }
        Some(v)
    }

    fn creation_date(&mut self, obj: &Map<String, Value>, required: bool) -> Option<DateTime<FixedOffset>> {
        let v = self.string(obj, "creationDate", "", required)?;
        match parse_timestamp(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem("creationDate", e);
                None
            }
        }
    }

    /// Extension fields of a document-level object; other unknown keys are problems.
    fn extensions(
        &mut self,
        obj: &Map<String, Value>,
        known: &[&str],
        base: &str,
        ns: &Namespaces,
    ) -> Vec<Extension> {
        let mut out = Vec::new();
        for (key, value) in obj {
            if known.contains(&key.as_str()) {
                continue;
            }
            match classify_key(key, ns) {
                Ok(Some((namespace, local_name))) => out.push(Extension {
                    key: key.clone(),
                    namespace,
                    local_name,
                    value: value.clone(),
                }),
                Ok(None) | Err(()) => {
                    let path = join(base, key);
                    self.problem(&path, unknown_key(key, ns));
                }
            }
        }
        out
    }
}

fn context_shape_ok(ctx: &Value) -> bool {
    match ctx {
        Value::String(s) => is_uri(s),
        Value::Object(_) => true,
        Value::Array(items) => items.iter().all(|i| match i {
            Value::String(s) => is_uri(s),
            Value::Object(_) => true,
            _ => false,
        }),
        _ => false,
    }
}

fn bad_context() -> Invalid {
    Invalid::new(
        "epcis_bad_context",
        "@context must be a URL, an object, or an array of URLs and objects.",
        "@context 应为 URL、对象，或由 URL 和对象组成的数组。",
    )
}

/// `Ok(Some(..))` for an extension key, `Ok(None)` for a key without `:`,
/// `Err(())` for an undeclared prefix.
fn classify_key(key: &str, ns: &Namespaces) -> Result<Option<(String, String)>, ()> {
    if !key.contains(':') {
        return Ok(None);
    }
    ns.split_key(key).map(Some).ok_or(())
}

fn unknown_key(key: &str, ns: &Namespaces) -> Invalid {
    match key.split_once(':') {
        Some((prefix, _)) if ns.resolve(prefix).is_none() => Invalid::new(
            "epcis_undeclared_prefix",
            format!("the prefix '{}' of the field '{}' is not declared in @context.", clip(prefix), clip(key)),
            format!("字段“{}”的前缀“{}”未在 @context 中声明。", clip(key), clip(prefix)),
        ),
        _ => Invalid::new(
            "epcis_unknown_field",
            format!(
                "'{}' is not a field EPCIS defines here; extension fields need a namespace prefix declared in @context.",
                clip(key)
            ),
            format!("“{}”不是 EPCIS 在此定义的字段；扩展字段须带有在 @context 中声明的命名空间前缀。", clip(key)),
        ),
    }
}

// ---------------------------------------------------------------------------
// Events

fn read_event_list(list: &Value, base: &str, ns: &Namespaces, sink: &mut Sink) -> Option<Vec<Event>> {
    let Some(items) = list.as_array() else {
        let loc = if base.is_empty() { "eventList" } else { base };
        sink.push(None, loc, "", wrong_type("an array of events", "事件数组"));
        return None;
    };
    let mut events = Vec::with_capacity(items.len());
    let mut all_ok = true;
    for (i, item) in items.iter().enumerate() {
        match read_event(item, i, &format!("{base}[{i}]"), ns, sink) {
            Some(e) => events.push(e),
            None => all_ok = false,
        }
    }
    all_ok.then_some(events)
}

/// Parses an event this platform stored: it met the bounds when it was
/// captured, so they are not walked again, and the JSON is moved into the
/// event rather than copied (the replay of `suyuan verify` parses every
/// stored event). A document that no longer parses is refused as
/// [`parse_event`] would.
pub fn parse_stored_event(event: Value, namespaces: &Namespaces) -> Result<Event, Vec<Problem>> {
    let mut sink = Sink::default();
    let out = read_event_within(&event, 0, "", namespaces, &mut sink, false);
    match out {
        Some(mut e) if sink.problems.is_empty() => {
            e.json = event;
            Ok(e)
        }
        _ => Err(sink.finish()),
    }
}

fn read_event(
    value: &Value,
    index: usize,
    location: &str,
    doc_ns: &Namespaces,
    sink: &mut Sink,
) -> Option<Event> {
    let mut event = read_event_within(value, index, location, doc_ns, sink, true)?;
    event.json = value.clone();
    Some(event)
}

/// One event, its `json` left `Null` for the caller; `bounds`: whether the
/// size and depth bounds are checked first.
fn read_event_within(
    value: &Value,
    index: usize,
    location: &str,
    doc_ns: &Namespaces,
    sink: &mut Sink,
    bounds: bool,
) -> Option<Event> {
    let before = sink.problems.len() + sink.dropped;
    let Some(obj) = value.as_object() else {
        sink.push(
            Some(index),
            location,
            "",
            Invalid::new(
                "epcis_not_object",
                "an event must be a JSON object.",
                "事件应为 JSON 对象。",
            ),
        );
        return None;
    };
    // Bounds first: an event that breaks one is refused without more work.
    let broken = if bounds { check_event(value) } else { Vec::new() };
    if !broken.is_empty() {
        for (path, error) in broken {
            sink.push(Some(index), &join(location, &path), &path, error);
        }
        return None;
    }
    let mut r = EventReader {
        sink,
        index,
        location: location.to_owned(),
        ns: doc_ns.clone(),
    };
    if let Some(ctx) = obj.get("@context") {
        if context_shape_ok(ctx) {
            r.ns = doc_ns.with_context(ctx);
        } else {
            r.problem("@context", bad_context());
        }
    }
    let event = r.event(obj);
    let after = r.sink.problems.len() + r.sink.dropped;
    event.filter(|_| after == before)
}

struct EventReader<'s> {
    sink: &'s mut Sink,
    index: usize,
    location: String,
    ns: Namespaces,
}

/// Which rule an identifier field follows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdKind {
    /// An EPC: URN or Digital Link URI that parses.
    Epc,
    /// Any absolute URI; `urn:epc:` ones must parse.
    Uri,
}

impl EventReader<'_> {
    fn problem(&mut self, field: &str, error: Invalid) {
        let loc = join(&self.location, field);
        self.sink.push(Some(self.index), &loc, field, error);
    }

    fn event(&mut self, obj: &Map<String, Value>) -> Option<Event> {
        let event_type = match obj.get("type") {
            Some(Value::String(s)) => match EventType::parse(s) {
                Some(t) => Some(t),
                None => {
                    self.problem(
                        "type",
                        Invalid::new(
                            "epcis_bad_event_type",
                            format!(
                                "'{}' is not an event type: use ObjectEvent, AggregationEvent, TransactionEvent, \
                                 TransformationEvent or AssociationEvent.",
                                clip(s)
                            ),
                            format!(
                                "“{}”不是事件类型：应为 ObjectEvent、AggregationEvent、TransactionEvent、\
                                 TransformationEvent 或 AssociationEvent。",
                                clip(s)
                            ),
                        ),
                    );
                    None
                }
            },
            Some(_) => {
                self.problem("type", wrong_type("a string", "字符串"));
                None
            }
            None => {
                self.problem("type", missing("The event type (type)", "事件类型 type"));
                None
            }
        };

        // Field names.
        let mut extensions = Vec::new();
        for (key, value) in obj {
            let allowed = COMMON_FIELDS.contains(&key.as_str())
                || event_type.is_none_or(|t| type_fields(t).contains(&key.as_str()));
            if allowed {
                continue;
            }
            if is_event_field(key) {
                let t = event_type.map_or("", EventType::as_str);
                self.problem(
                    key,
                    Invalid::new(
                        "epcis_field_not_allowed",
                        format!("a {t} has no field '{key}'."),
                        format!("{t} 不能含有字段“{key}”。"),
                    ),
                );
                continue;
            }
            if let Some(ext) = self.extension(key, value, "") {
                extensions.push(ext);
            }
        }

        // Common fields.
        let event_time = match self.string(obj, "", "eventTime", true) {
            Some(s) => self.time(s, "", "eventTime"),
            None => None,
        };
        let event_time_zone_offset = self
            .string(obj, "", "eventTimeZoneOffset", true)
            .map(str::to_owned);
        if let Some(off) = &event_time_zone_offset {
            if let Err(e) = parse_time_zone_offset(off) {
                self.problem("eventTimeZoneOffset", e);
            }
        }
        let record_time = self
            .string(obj, "", "recordTime", false)
            .and_then(|s| self.time(s, "", "recordTime"));
        let event_id = self.id(obj, "", "eventID", IdKind::Uri, false);
        let certification_info = match obj.get("certificationInfo") {
            Some(Value::Array(items)) => self.id_list(items, "certificationInfo", IdKind::Uri, false),
            Some(_) => self
                .id(obj, "", "certificationInfo", IdKind::Uri, false)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let error_declaration = match obj.get("errorDeclaration") {
            Some(v) => self.error_declaration(v),
            None => None,
        };

        // Fields of the event types.
        let action = match self.string(obj, "", "action", false) {
            Some(s) => match Action::parse(s) {
                Some(a) => Some(a),
                None => {
                    self.problem(
                        "action",
                        Invalid::new(
                            "epcis_bad_action",
                            format!("'{}' is not an action: use ADD, OBSERVE or DELETE.", clip(s)),
                            format!("“{}”不是动作：应为 ADD、OBSERVE 或 DELETE。", clip(s)),
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        let biz_step = self.vocab(obj, "", "bizStep", Vocabulary::BizStep, false);
        let disposition = self.vocab(obj, "", "disposition", Vocabulary::Disposition, false);
        let persistent_disposition = obj
            .get("persistentDisposition")
            .and_then(|v| self.persistent_disposition(v));
        let read_point = obj.get("readPoint").and_then(|v| self.location(v, "readPoint"));
        let biz_location = obj
            .get("bizLocation")
            .and_then(|v| self.location(v, "bizLocation"));
        let epc_list = self.epc_list(obj, "epcList");
        let parent_id = self.id(obj, "", "parentID", IdKind::Epc, false);
        let child_epcs = self.epc_list(obj, "childEPCs");
        let input_epc_list = self.epc_list(obj, "inputEPCList");
        let output_epc_list = self.epc_list(obj, "outputEPCList");
        let quantity_list = self.quantity_list(obj, "quantityList");
        let child_quantity_list = self.quantity_list(obj, "childQuantityList");
        let input_quantity_list = self.quantity_list(obj, "inputQuantityList");
        let output_quantity_list = self.quantity_list(obj, "outputQuantityList");
        let transformation_id = self.id(obj, "", "transformationID", IdKind::Uri, false);
        let biz_transaction_list = self.biz_transactions(obj);
        let source_list = self.source_dest(obj, "sourceList", "source");
        let destination_list = self.source_dest(obj, "destinationList", "destination");
        let sensor_element_list = self.sensor_elements(obj);
        let ilmd = obj.get("ilmd").and_then(|v| self.ilmd(v));

        // Rules that depend on the event type.
        if let Some(t) = event_type {
            self.type_rules(t, obj, action);
        }

        Some(Event {
            json: Value::Null,
            namespaces: self.ns.clone(),
            event_type: event_type?,
            event_time: event_time?,
            event_time_zone_offset: event_time_zone_offset?,
            record_time,
            event_id,
            error_declaration,
            certification_info,
            action,
            biz_step,
            disposition,
            persistent_disposition,
            read_point,
            biz_location,
            epc_list,
            parent_id,
            child_epcs,
            input_epc_list,
            output_epc_list,
            quantity_list,
            child_quantity_list,
            input_quantity_list,
            output_quantity_list,
            transformation_id,
            biz_transaction_list,
            source_list,
            destination_list,
            sensor_element_list,
            ilmd,
            extensions,
        })
    }

    fn type_rules(&mut self, t: EventType, obj: &Map<String, Value>, action: Option<Action>) {
        let non_empty = |key: &str| {
            obj.get(key)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        let present = |key: &str| obj.contains_key(key);
        let name = t.as_str();
        if t != EventType::Transformation && !present("action") {
            self.problem(
                "action",
                missing(
                    &format!("The action of a {name}"),
                    &format!("{name} 的动作 action"),
                ),
            );
        }
        let is_delete = action == Some(Action::Delete);
        match t {
            EventType::Object => {
                let sensors = non_empty("sensorElementList") && present("readPoint");
                if !(present("epcList") || non_empty("quantityList") || sensors) {
                    self.problem(
                        "epcList",
                        missing(
                            "An ObjectEvent's epcList, a non-empty quantityList, or sensorElementList with readPoint",
                            "ObjectEvent 的 epcList、非空 quantityList，或 sensorElementList 加 readPoint",
                        ),
                    );
                }
                if present("ilmd") && action.is_some_and(|a| a != Action::Add) {
                    self.problem(
                        "ilmd",
                        Invalid::new(
                            "epcis_field_not_allowed",
                            "ilmd (instance/lot master data) is allowed only when action is ADD.",
                            "只有动作为 ADD 时才能含有 ilmd（实例/批次主数据）。",
                        ),
                    );
                }
            }
            EventType::Aggregation | EventType::Association => {
                if !(non_empty("childEPCs") || non_empty("childQuantityList") || is_delete) {
                    self.problem(
                        "childEPCs",
                        missing(
                            &format!("A {name}'s childEPCs or childQuantityList (unless action is DELETE)"),
                            &format!("{name} 的 childEPCs 或 childQuantityList（动作为 DELETE 时除外）"),
                        ),
                    );
                }
                let needs_parent =
                    t == EventType::Association || matches!(action, Some(Action::Add | Action::Delete));
                if needs_parent && !present("parentID") {
                    self.problem(
                        "parentID",
                        missing(
                            &format!("The parentID of this {name}"),
                            &format!("该 {name} 的 parentID"),
                        ),
                    );
                }
            }
            EventType::Transaction => {
                if !non_empty("bizTransactionList") {
                    self.problem(
                        "bizTransactionList",
                        missing(
                            "A TransactionEvent's non-empty bizTransactionList",
                            "TransactionEvent 的非空 bizTransactionList",
                        ),
                    );
                }
                if !(present("epcList") || non_empty("quantityList") || is_delete) {
                    self.problem(
                        "epcList",
                        missing(
                            "A TransactionEvent's epcList or quantityList (unless action is DELETE)",
                            "TransactionEvent 的 epcList 或 quantityList（动作为 DELETE 时除外）",
                        ),
                    );
                }
            }
            EventType::Transformation => {
                let inputs = non_empty("inputEPCList") || non_empty("inputQuantityList");
                let outputs = non_empty("outputEPCList") || non_empty("outputQuantityList");
                let with_id = (inputs || outputs) && present("transformationID");
                if !((inputs && outputs) || with_id) {
                    self.problem(
                        "inputEPCList",
                        missing(
                            "A TransformationEvent's inputs and outputs (or some of them and a transformationID)",
                            "TransformationEvent 的输入和输出（或其一加 transformationID）",
                        ),
                    );
                }
            }
        }
    }

    // --- scalar helpers -----------------------------------------------------

    /// A string field; reports a wrong JSON type, and absence when `required`.
    fn string<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        base: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        // The path is written out only for a problem (most fields have none).
        match obj.get(key) {
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.problem(&join(base, key), wrong_type("a string", "字符串"));
                None
            }
            None => {
                if required {
                    self.problem(
                        &join(base, key),
                        missing(&format!("The field {key}"), &format!("字段 {key}")),
                    );
                }
                None
            }
        }
    }

    /// A timestamp, the value of field `key` under `base`.
    fn time(&mut self, s: &str, base: &str, key: &str) -> Option<DateTime<FixedOffset>> {
        match parse_timestamp(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(&join(base, key), e);
                None
            }
        }
    }

    /// The value of field `key` under `base`, unless `error` (reported).
    fn unless(&mut self, s: &str, error: Option<Invalid>, base: &str, key: &str) -> Option<String> {
        match error {
            None => Some(s.to_owned()),
            Some(e) => {
                self.problem(&join(base, key), e);
                None
            }
        }
    }

    fn opt_time(&mut self, obj: &Map<String, Value>, base: &str, key: &str) -> Option<DateTime<FixedOffset>> {
        let s = self.string(obj, base, key, false)?;
        self.time(s, base, key)
    }

    fn number(&mut self, obj: &Map<String, Value>, base: &str, key: &str, code: &'static str) -> Option<f64> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                let shown = clip(&other.to_string());
                self.problem(
                    &join(base, key),
                    Invalid::new(
                        code,
                        format!("{key} must be a JSON number, not {shown}."),
                        format!("{key} 应为 JSON 数值，而不是 {shown}。"),
                    ),
                );
                None
            }
        }
    }

    /// An identifier field, checked (its path written out only for a problem).
    fn id(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        kind: IdKind,
        required: bool,
    ) -> Option<String> {
        let s = self.string(obj, base, key, required)?;
        self.unless(s, id_error(s, kind), base, key)
    }

    fn id_list(&mut self, items: &[Value], path: &str, kind: IdKind, unique: bool) -> Vec<String> {
        let mut out = Vec::with_capacity(items.len());
        let mut seen = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            // The item's path, written out only for a problem.
            let p = || format!("{path}[{i}]");
            let Some(s) = item.as_str() else {
                self.problem(&p(), wrong_type("a string", "字符串"));
                continue;
            };
            if let Some(e) = id_error(s, kind) {
                self.problem(&p(), e);
                continue;
            }
            if unique && !seen.insert(s) {
                self.problem(
                    &p(),
                    Invalid::new(
                        "epcis_duplicate_epc",
                        format!("'{}' appears more than once in {path}.", clip(s)),
                        format!("“{}”在 {path} 中重复出现。", clip(s)),
                    ),
                );
                continue;
            }
            out.push(s.to_owned());
        }
        out
    }

    fn epc_list(&mut self, obj: &Map<String, Value>, key: &str) -> Vec<String> {
        match obj.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => self.id_list(items, key, IdKind::Epc, true),
            Some(_) => {
                self.problem(key, wrong_type("an array of EPCs", "EPC 数组"));
                Vec::new()
            }
        }
    }

    fn array<'v>(&mut self, obj: &'v Map<String, Value>, base: &str, key: &str) -> &'v [Value] {
        match obj.get(key) {
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.problem(&join(base, key), wrong_type("an array", "数组"));
                &[]
            }
            None => &[],
        }
    }

    /// A vocabulary field: a standard bare word or a URI of one's own.
    fn vocab(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        vocab: Vocabulary,
        required: bool,
    ) -> Option<String> {
        let s = self.string(obj, base, key, required)?;
        self.unless(s, vocab_error(s, vocab), base, key)
    }

    fn check_vocab(&mut self, s: &str, path: &str, vocab: Vocabulary) -> bool {
        match vocab_error(s, vocab) {
            None => true,
            Some(e) => {
                self.problem(path, e);
                false
            }
        }
    }

    /// Extension field (or problem) for a key that is not a standard field here.
    fn extension(&mut self, key: &str, value: &Value, base: &str) -> Option<Extension> {
        match classify_key(key, &self.ns) {
            Ok(Some((namespace, local_name))) => Some(Extension {
                key: key.to_owned(),
                namespace,
                local_name,
                value: value.clone(),
            }),
            Ok(None) | Err(()) => {
                let e = unknown_key(key, &self.ns);
                self.problem(&join(base, key), e);
                None
            }
        }
    }

    fn extensions(&mut self, obj: &Map<String, Value>, known: &[&str], base: &str) -> Vec<Extension> {
        obj.iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .filter_map(|(k, v)| self.extension(k, v, base))
            .collect::<Vec<_>>()
    }

    fn object<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(o) => Some(o),
            _ => {
                self.problem(path, wrong_type("an object", "对象"));
                None
            }
        }
    }

    // --- structures ---------------------------------------------------------

    fn error_declaration(&mut self, value: &Value) -> Option<ErrorDeclaration> {
        let base = "errorDeclaration";
        let o = self.object(value, base)?;
        let extensions = self.extensions(o, &["declarationTime", "reason", "correctiveEventIDs"], base);
        let declaration_time = self
            .string(o, base, "declarationTime", true)
            .and_then(|s| self.time(s, "errorDeclaration", "declarationTime"));
        let reason = self.vocab(o, base, "reason", Vocabulary::ErrorReason, false);
        let ids = self.array(o, base, "correctiveEventIDs");
        let corrective_event_ids =
            self.id_list(ids, "errorDeclaration.correctiveEventIDs", IdKind::Uri, false);
        Some(ErrorDeclaration {
            declaration_time: declaration_time?,
            reason,
            corrective_event_ids,
            extensions,
        })
    }

    fn persistent_disposition(&mut self, value: &Value) -> Option<PersistentDisposition> {
        let base = "persistentDisposition";
        let o = self.object(value, base)?;
        self.extensions(o, &["set", "unset"], base);
        let mut out = PersistentDisposition::default();
        for key in ["set", "unset"] {
            let Some(v) = o.get(key) else {
                continue;
            };
            let path = join(base, key);
            let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
                self.problem(
                    &path,
                    wrong_type("a non-empty array of dispositions", "非空的处置状态数组"),
                );
                continue;
            };
            let mut list = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match item.as_str() {
                    Some(s) if self.check_vocab(s, &p, Vocabulary::Disposition) => {
                        if list.iter().any(|x| x == s) {
                            self.problem(
                                &p,
                                Invalid::new(
                                    "epcis_bad_value",
                                    format!("'{}' appears more than once.", clip(s)),
                                    format!("“{}”重复出现。", clip(s)),
                                ),
                            );
                        } else {
                            list.push(s.to_owned());
                        }
                    }
                    Some(_) => {}
                    None => self.problem(&p, wrong_type("a string", "字符串")),
                }
            }
            if key == "set" {
                out.set = list;
            } else {
                out.unset = list;
            }
        }
        if !o.contains_key("set") && !o.contains_key("unset") {
            self.problem(base, missing("set or unset", "set 或 unset"));
        }
        Some(out)
    }

    fn location(&mut self, value: &Value, base: &str) -> Option<Location> {
        let o = self.object(value, base)?;
        let extensions = self.extensions(o, &["id"], base);
        let id = self.id(o, base, "id", IdKind::Uri, true)?;
        Some(Location { id, extensions })
    }

    fn quantity_list(&mut self, obj: &Map<String, Value>, key: &str) -> Vec<QuantityElement> {
        let items = self.array(obj, "", key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let base = format!("{key}[{i}]");
            let Some(o) = self.object(item, &base) else {
                continue;
            };
            let extensions = self.extensions(o, &["epcClass", "quantity", "uom"], &base);
            let epc_class = self
                .string(o, &base, "epcClass", true)
                .filter(|s| self.check_epc_class(s, &join(&base, "epcClass")));
            let quantity = self.number(o, &base, "quantity", "epcis_bad_quantity");
            let uom = self.string(o, &base, "uom", false).map(str::to_owned);
            if let Some(u) = &uom {
                let ok = (2..=3).contains(&u.len())
                    && u.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if !ok {
                    self.problem(
                        &join(&base, "uom"),
                        Invalid::new(
                            "epcis_bad_uom",
                            format!(
                                "'{}' is not a UN/ECE Rec. 20 unit code such as KGM or LTR.",
                                clip(u)
                            ),
                            format!(
                                "“{}”不是 UN/ECE 第 20 号建议书的单位代码（如 KGM、LTR）。",
                                clip(u)
                            ),
                        ),
                    );
                } else if !o.contains_key("quantity") {
                    self.problem(
                        &join(&base, "uom"),
                        Invalid::new(
                            "epcis_bad_quantity",
                            "a unit of measure (uom) needs a quantity.",
                            "有计量单位（uom）时必须给出数量（quantity）。",
                        ),
                    );
                }
            }
            if let Some(epc_class) = epc_class {
                out.push(QuantityElement {
                    epc_class: epc_class.to_owned(),
                    quantity,
                    uom,
                    extensions,
                });
            }
        }
        out
    }

    fn check_epc_class(&mut self, s: &str, path: &str) -> bool {
        if let Some(e) = uri_too_long(s) {
            self.problem(path, e);
            return false;
        }
        let error = match parse_epc(s) {
            Ok(key) if key.is_instance() => Invalid::new(
                "epcis_bad_epc_class",
                format!(
                    "'{}' names a single object, not a class: use an LGTIN, a GTIN pattern or a Digital Link \
                     URI without serial.",
                    clip(s)
                ),
                format!(
                    "“{}”标识的是单个物品而不是类别：应使用 LGTIN、GTIN 模式或不带序列号的数字链接 URI。",
                    clip(s)
                ),
            ),
            Ok(_) => return true,
            Err(e) => match check_epc(s) {
                Ok(()) => return true,
                Err(_) => bad_epc(s, &e),
            },
        };
        self.problem(path, error);
        false
    }

    fn biz_transactions(&mut self, obj: &Map<String, Value>) -> Vec<BizTransaction> {
        let items = self.array(obj, "", "bizTransactionList");
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let base = format!("bizTransactionList[{i}]");
            let Some(o) = self.object(item, &base) else {
                continue;
            };
            let extensions = self.extensions(o, &["type", "bizTransaction"], &base);
            let kind = self.vocab(o, &base, "type", Vocabulary::BizTransactionType, false);
            if let Some(id) = self.id(o, &base, "bizTransaction", IdKind::Uri, true) {
                out.push(BizTransaction { kind, id, extensions });
            }
        }
        out
    }

    fn source_dest(&mut self, obj: &Map<String, Value>, key: &str, id_key: &str) -> Vec<SourceDest> {
        let items = self.array(obj, "", key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let base = format!("{key}[{i}]");
            let Some(o) = self.object(item, &base) else {
                continue;
            };
            let extensions = self.extensions(o, &["type", id_key], &base);
            let kind = self.vocab(o, &base, "type", Vocabulary::SourceDestType, true);
            let id = self.id(o, &base, id_key, IdKind::Uri, true);
            if let (Some(kind), Some(id)) = (kind, id) {
                out.push(SourceDest { kind, id, extensions });
            }
        }
        out
    }

    fn sensor_elements(&mut self, obj: &Map<String, Value>) -> Vec<SensorElement> {
        let items = self.array(obj, "", "sensorElementList");
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let base = format!("sensorElementList[{i}]");
            let Some(o) = self.object(item, &base) else {
                continue;
            };
            let extensions = self.extensions(o, &["sensorMetadata", "sensorReport"], &base);
            let metadata = o
                .get("sensorMetadata")
                .and_then(|v| self.sensor_metadata(v, &join(&base, "sensorMetadata")));
            let reports_json = self.array(o, &base, "sensorReport");
            if reports_json.is_empty() {
                self.problem(
                    &join(&base, "sensorReport"),
                    missing("A non-empty sensorReport list", "非空的 sensorReport 列表"),
                );
            }
            let mut reports = Vec::with_capacity(reports_json.len());
            for (j, r) in reports_json.iter().enumerate() {
                if let Some(report) = self.sensor_report(r, &format!("{base}.sensorReport[{j}]")) {
                    reports.push(report);
                }
            }
            out.push(SensorElement {
                metadata,
                reports,
                extensions,
            });
        }
        out
    }

    fn sensor_metadata(&mut self, value: &Value, base: &str) -> Option<SensorMetadata> {
        let o = self.object(value, base)?;
        let known = [
            "time",
            "startTime",
            "endTime",
            "deviceID",
            "deviceMetadata",
            "rawData",
            "dataProcessingMethod",
            "bizRules",
        ];
        let extensions = self.extensions(o, &known, base);
        Some(SensorMetadata {
            time: self.opt_time(o, base, "time"),
            start_time: self.opt_time(o, base, "startTime"),
            end_time: self.opt_time(o, base, "endTime"),
            device_id: self.id(o, base, "deviceID", IdKind::Uri, false),
            device_metadata: self.id(o, base, "deviceMetadata", IdKind::Uri, false),
            raw_data: self.id(o, base, "rawData", IdKind::Uri, false),
            data_processing_method: self.id(o, base, "dataProcessingMethod", IdKind::Uri, false),
            biz_rules: self.id(o, base, "bizRules", IdKind::Uri, false),
            extensions,
        })
    }

    fn sensor_report(&mut self, value: &Value, base: &str) -> Option<SensorReport> {
        let o = self.object(value, base)?;
        let known = [
            "type",
            "exception",
            "deviceID",
            "deviceMetadata",
            "rawData",
            "dataProcessingMethod",
            "bizRules",
            "time",
            "microorganism",
            "chemicalSubstance",
            "coordinateReferenceSystem",
            "value",
            "component",
            "stringValue",
            "booleanValue",
            "hexBinaryValue",
            "uriValue",
            "minValue",
            "maxValue",
            "meanValue",
            "sDev",
            "percRank",
            "percValue",
            "uom",
        ];
        let extensions = self.extensions(o, &known, base);
        let num = |r: &mut Self, key: &str| r.number(o, base, key, "epcis_bad_value");
        let boolean_value = match o.get("booleanValue") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.problem(
                    &join(base, "booleanValue"),
                    wrong_type("true or false", "true 或 false"),
                );
                None
            }
        };
        let hex_binary_value = self.string(o, base, "hexBinaryValue", false).map(str::to_owned);
        if let Some(h) = &hex_binary_value {
            if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.problem(
                    &join(base, "hexBinaryValue"),
                    Invalid::new(
                        "epcis_bad_value",
                        format!("'{}' is not hexadecimal.", clip(h)),
                        format!("“{}”不是十六进制数。", clip(h)),
                    ),
                );
            }
        }
        let kind = self.vocab(o, base, "type", Vocabulary::MeasurementType, true);
        Some(SensorReport {
            // A missing type was reported above, so this value is never used.
            kind: kind.unwrap_or_default(),
            exception: self.vocab(o, base, "exception", Vocabulary::SensorAlertType, false),
            device_id: self.id(o, base, "deviceID", IdKind::Uri, false),
            device_metadata: self.id(o, base, "deviceMetadata", IdKind::Uri, false),
            raw_data: self.id(o, base, "rawData", IdKind::Uri, false),
            data_processing_method: self.id(o, base, "dataProcessingMethod", IdKind::Uri, false),
            biz_rules: self.id(o, base, "bizRules", IdKind::Uri, false),
            time: self.opt_time(o, base, "time"),
            microorganism: self.id(o, base, "microorganism", IdKind::Uri, false),
            chemical_substance: self.id(o, base, "chemicalSubstance", IdKind::Uri, false),
            value: num(self, "value"),
            component: self.vocab(o, base, "component", Vocabulary::Component, false),
            string_value: self.string(o, base, "stringValue", false).map(str::to_owned),
            boolean_value,
            hex_binary_value,
            uri_value: self.id(o, base, "uriValue", IdKind::Uri, false),
            min_value: num(self, "minValue"),
            max_value: num(self, "maxValue"),
            mean_value: num(self, "meanValue"),
            s_dev: num(self, "sDev"),
            perc_rank: num(self, "percRank"),
            perc_value: num(self, "percValue"),
            uom: self.string(o, base, "uom", false).map(str::to_owned),
            coordinate_reference_system: self.id(o, base, "coordinateReferenceSystem", IdKind::Uri, false),
            extensions,
        })
    }

    fn ilmd(&mut self, value: &Value) -> Option<Vec<Extension>> {
        let o = self.object(value, "ilmd")?;
        Some(self.extensions(o, &[], "ilmd"))
    }
}

fn bad_epc(s: &str, inner: &Invalid) -> Invalid {
    Invalid::new(
        "epcis_bad_epc",
        format!(
            "'{}' is not a valid EPC URN or GS1 Digital Link URI: {}",
            clip(s),
            inner.en
        ),
        format!(
            "“{}”不是有效的 EPC URN 或 GS1 数字链接 URI：{}",
            clip(s),
            inner.zh
        ),
    )
}

/// An absolute URI: a scheme (`[A-Za-z][A-Za-z0-9+.-]*:`), then at least one
/// character, no whitespace or control characters.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
