//! Capturing EPCIS 2.0 documents: validation, agricultural profiles, domain
//! rules, and the effects an accepted event has (units commissioned, lineage
//! edges, custody, conformance), all in one transaction.
//!
//! Two kinds of events arrive:
//! - **records** (`agri:recordKind` present): the platform's agricultural
//!   records. Their profile's fields are required and the domain rules hold:
//!   only the holder of a unit (or its receiver, or a testing agency or
//!   regulator inspecting it) records on it; times must make sense; a harvest
//!   inside a pesticide's pre-harvest interval marks the lot non-conformant.
//! - **plain EPCIS events** from other systems: validated against EPCIS 2.0
//!   and stored as they are (the platform is then an EPCIS repository).
//!
//! Capture is all-or-nothing by default (`rollback`); with `proceed` each
//! event stands alone. Capturing the same event twice is idempotent: the
//! second copy is acknowledged and not stored again.
//!
//! Who may do what is decided first by the authority model
//! (`super::authority`); then the domain rules ([`domain`]); then the
//! effects on units, lineage, custody and conformance ([`effects`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use suyuan_core::epcis::{
    canonical_web_uri, parse_document, parse_event, Action, Event, Namespaces, Problem,
};
use suyuan_core::stages::{check_profile, check_record_values, profile, Field, RecordKind, AGRI_NS};
use suyuan_core::Invalid;
use suyuan_ledger::hash::Hash;
use utoipa::ToSchema;
use uuid::Uuid;

use super::authority::{actor, check_event, compact_biz_step, refused, shape, Facts};
use super::held::{FieldRecord, Held, HeldEpc, HeldEvent, HeldShipment, HeldUnit, FIELD_KINDS};
use super::lineage::Edge;
use super::refs::{References, Refusal};
use crate::db::{placeholders, Tx, Val};
use crate::detached::CaptureSignatures;
use crate::orgs::ts;
use crate::tlog::LOG_HASH;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

mod domain;
pub(crate) mod effects;
mod reads;

use domain::Checked;
use reads::{latest_harvests, stored_event_orgs, unit_holders};

/// What to do when one event of a document is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBehaviour {
    /// Refuse the whole document (the EPCIS default).
    Rollback,
    /// Keep the good events, report the bad ones.
    Proceed,
}

impl ErrorBehaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}

/// One refusal, naming the event and the field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaptureError {
    /// Index of the event in the document's eventList (absent for the
    /// document itself).
    pub event_index: Option<usize>,
    pub field: String,
    pub code: String,
    pub detail: String,
    pub detail_zh: String,
}

/// A capture job, as the EPCIS REST binding shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureJob {
    #[serde(rename = "captureID")]
    pub capture_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub running: bool,
    pub success: bool,
    pub capture_error_behaviour: String,
    pub errors: Vec<CaptureError>,
    /// What the stored events caused that a recorder should know (a lot made
    /// non-conformant, a non-conformant unit shipped on an override).
    pub warnings: Vec<CaptureError>,
    /// Events stored by this job.
    pub captured: i64,
    /// Events already stored before (idempotent repeats).
    pub duplicates: i64,
    /// The eventIDs of the document's events, in order (stored or not).
    #[serde(rename = "eventIDs")]
    pub event_ids: Vec<String>,
}

fn err(index: Option<usize>, field: &str, e: Invalid) -> CaptureError {
    CaptureError {
        event_index: index,
        field: field.to_owned(),
        code: e.code.to_owned(),
        detail: format!("{field}: {}", e.en),
        detail_zh: format!("{field}：{}", e.zh),
    }
}

/// The record kind an event declares, if it is a known one.
pub(crate) fn record_kind_of(ev: &Event) -> Option<RecordKind> {
    agri(ev, "recordKind")
        .and_then(Value::as_str)
        .and_then(RecordKind::parse)
}

/// The value of one of our extension fields, if present.
fn agri<'a>(ev: &'a Event, name: &str) -> Option<&'a Value> {
    ev.extensions
        .iter()
        .find(|x| x.namespace == AGRI_NS && x.local_name == name)
        .map(|x| &x.value)
        .filter(|v| !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty()))
}

fn agri_str(ev: &Event, name: &str) -> Option<String> {
    agri(ev, name).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn has_std(ev: &Event, key: &str) -> bool {
    ev.json.get(key).is_some_and(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

/// An identifier in canonical form (GS1 keys as Digital Link on id.gs1.org).
pub(crate) fn canon(uri: &str) -> String {
    canonical_web_uri(uri).unwrap_or_else(|| uri.to_owned())
}

/// A unit an event names: (role, canonical identifier, quantity, unit of measure).
use suyuan_core::effects::Named;

/// The units an event names, by role, canonical.
pub(crate) fn roles(ev: &Event) -> Vec<Named> {
    let mut out = Vec::new();
    let mut push_list = |role: &'static str, list: &[String]| {
        for e in list {
            out.push((role, canon(e), None, None));
        }
    };
    push_list("epc", &ev.epc_list);
    push_list("child", &ev.child_epcs);
    push_list("input", &ev.input_epc_list);
    push_list("output", &ev.output_epc_list);
    if let Some(p) = &ev.parent_id {
        out.push(("parent", canon(p), None, None));
    }
    for (role, list) in [
        ("quantity", &ev.quantity_list),
        ("child_quantity", &ev.child_quantity_list),
        ("input_quantity", &ev.input_quantity_list),
        ("output_quantity", &ev.output_quantity_list),
    ] {
        for q in list {
            out.push((role, canon(&q.epc_class), q.quantity, q.uom.clone()));
        }
    }
    out
}

/// The organisation id named by a source/destination (`urn:suyuan:org:{uuid}`).
pub const ORG_URN_PREFIX: &str = suyuan_core::refs::ORG_URN;

/// The identifier of a place in events: its GLN as a Digital Link when it has
/// one, otherwise `urn:suyuan:place:{uuid}`.
pub const PLACE_URN_PREFIX: &str = suyuan_core::refs::PLACE_URN;

/// What capture works out for an event before it waits for the writer (none
/// of it depends on what is stored): its eventID, as given or its CBV 2.0
/// hash, the document it stores, with that eventID and the capture's
/// recordTime, which is exactly the text the log's record hash covers, and
/// the units it names.
struct Prepared {
    event_id: String,
    event_key: i64,
    document: String,
    record_hash: Hash,
    units: Vec<Named>,
}

/// Prepares every parsed event (`None` for a refused one). Large documents
/// are prepared on every core but one.
fn prepare(parsed: &[Result<Event, Vec<Problem>>], record_time: i64) -> Vec<Option<Prepared>> {
    let record_time = Value::String(ts(record_time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let one = |e: &Event| {
        let event_id = e.event_id.clone().unwrap_or_else(|| e.hash_id());
        let mut json = e.json.clone();
        if let Some(obj) = json.as_object_mut() {
            obj.insert("eventID".into(), Value::String(event_id.clone()));
            obj.insert("recordTime".into(), record_time.clone());
        }
        let document = json.to_string();
        let record_hash = LOG_HASH.digest(document.as_bytes());
        Prepared {
            event_key: super::event_key(&event_id),
            event_id,
            document,
            record_hash,
            units: roles(e),
        }
    };
    let part = |part: &[Result<Event, Vec<Problem>>]| -> Vec<Option<Prepared>> {
        part.iter().map(|p| p.as_ref().ok().map(one)).collect()
    };
    // One core is left to the writer: another capture holds it meanwhile,
    // and it is what every capture waits for.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1);
    if parsed.len() < 256 || threads == 1 {
        return part(parsed);
    }
    std::thread::scope(|s| {
        let parts: Vec<_> = parsed
            .chunks(parsed.len().div_ceil(threads))
            .map(|chunk| s.spawn(move || part(chunk)))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Writes committed with a capture's events ([`Store::capture_along`]).
#[derive(Debug, Default)]
pub(crate) struct Along {
    /// Statements run first, in order.
    pub statements: Vec<(String, Vec<Val>)>,
    /// Then the logged records: (organisation, kind, id).
    pub records: Vec<(Uuid, crate::master_log::RecordKind, Uuid)>,
}

impl Store {
    /// Captures an EPCIS document on behalf of the caller. Always returns the
    /// job (also when every event was refused); the job is kept for
    /// `GET /epcis/capture/{id}`.
    pub async fn capture(
        &self,
        caller: &Caller,
        doc: &Value,
        behaviour: ErrorBehaviour,
    ) -> Result<CaptureJob> {
        self.capture_along(caller, doc, behaviour, None).await
    }

    /// [`Store::capture`], with other writes committed in the same
    /// transaction as the events when every event is accepted (and not at
    /// all otherwise): `along`'s statements, then its logged records.
    pub(crate) async fn capture_along(
        &self,
        caller: &Caller,
        doc: &Value,
        behaviour: ErrorBehaviour,
        along: Option<&Along>,
    ) -> Result<CaptureJob> {
        // Who may record at all (verified, not the operator, a recording role).
        suyuan_core::authority::may_capture(&actor(caller)).map_err(refused)?;
        let created = now_ms();
        let mut job = CaptureJob {
            capture_id: new_id(),
            created_at: ts(created),
            finished_at: None,
            running: false,
            success: true,
            capture_error_behaviour: behaviour.as_str().into(),
            errors: Vec::new(),
            warnings: Vec::new(),
            captured: 0,
            duplicates: 0,
            event_ids: Vec::new(),
        };
        // The events, each parsed or refused. A document-level refusal
        // refuses everything; under `proceed`, events are parsed one by one
        // so that a bad event does not sink the good ones.
        let mut parsed: Vec<Result<Event, Vec<Problem>>> = match parse_document(doc) {
            Ok(document) => document.events.into_iter().map(Ok).collect(),
            Err(problems) => {
                let list = doc.pointer("/epcisBody/eventList").and_then(Value::as_array);
                match list {
                    Some(list)
                        if behaviour == ErrorBehaviour::Proceed
                            && problems.iter().all(|p| p.event.is_some()) =>
                    {
                        let ns =
                            Namespaces::standard().with_context(doc.get("@context").unwrap_or(&Value::Null));
                        list.iter().map(|e| parse_event(e, &ns)).collect()
                    }
                    _ => {
                        job.errors = problems
                            .into_iter()
                            .map(|p| err(p.event, &p.field, p.error))
                            .collect();
                        Vec::new()
                    }
                }
            }
        };
        // Every reference in its canonical form before anything is hashed
        // or stored; a reference to nothing refuses its event.
        let refs = self.read_references(caller, parsed.iter().flatten()).await?;
        let mut ref_refusals: Vec<Option<Refusal>> = Vec::with_capacity(parsed.len());
        let mut normalised: Vec<bool> = Vec::with_capacity(parsed.len());
        for p in parsed.iter_mut() {
            let outcome = match p {
                Ok(ev) => {
                    let record = record_kind_of(ev).filter(|_| ev.error_declaration.is_none());
                    refs.normalise(ev, record, caller)
                }
                Err(_) => Ok(false),
            };
            normalised.push(matches!(outcome, Ok(true)));
            ref_refusals.push(outcome.err());
        }
        let record_time = now_ms();
        let mut prepared = prepare(&parsed, record_time);
        job.event_ids = prepared
            .iter()
            .map(|p| p.as_ref().map(|p| p.event_id.clone()).unwrap_or_default())
            .collect();
        let mut job_kept = false;
        // Detached client signatures, all checked before anything is written:
        // one bad signature refuses the whole capture (whatever the behaviour).
        let mut signatures = CaptureSignatures::default();
        if job.errors.is_empty() {
            let events: Vec<(Option<&Event>, &str)> = parsed
                .iter()
                .zip(&job.event_ids)
                .map(|(p, id)| (p.as_ref().ok(), id.as_str()))
                .collect();
            match self.capture_signatures(caller.org_id, doc, &events).await? {
                Ok(checked) => {
                    // A signed event is stored as it was signed: its
                    // references must already be canonical.
                    for (i, ((p, id), changed)) in
                        parsed.iter().zip(&job.event_ids).zip(&normalised).enumerate()
                    {
                        let declared = p.as_ref().is_ok_and(|e| e.error_declaration.is_some());
                        if *changed && checked.of(id, declared).is_some() {
                            job.errors.push(err(
                                Some(i),
                                "event",
                                Invalid::new(
                                    "signed_reference_not_canonical",
                                    "a signed event names places and input lots by their canonical identifiers \
                                     (GLN Digital Link, urn:suyuan:place:{id}, urn:suyuan:input-lot:{id})",
                                    "签名的事件须以规范标识引用场所和投入品批次（GLN 数字链接、urn:suyuan:place:{id}、urn:suyuan:input-lot:{id}）",
                                ),
                            ));
                        }
                    }
                    signatures = checked;
                }
                Err(problems) => job.errors = problems.into_iter().map(|(i, f, e)| err(i, &f, e)).collect(),
            }
        }
        if job.errors.is_empty() {
            let mut tx = self.db.begin().await?;
            if let Tx::Postgres(_) = tx {
                // Captures append to the one transparency log: taking its lock
                // first orders concurrent captures (same eventIDs included)
                // instead of letting them deadlock halfway.
                tx.execute(
                    &format!("SELECT pg_advisory_xact_lock({})", crate::tlog::APPEND_LOCK),
                    &[],
                )
                .await?;
            }
            let stored = stored_event_orgs(&mut tx, prepared.iter().flatten()).await?;
            // Who holds each unit the document names, read once: capture
            // keeps it up to date as its events create units and move them.
            let named: BTreeSet<&str> = prepared
                .iter()
                .flatten()
                .flat_map(|p| p.units.iter().map(|u| u.1.as_str()))
                .collect();
            let (holders, nonconformant) = unit_holders(&mut tx, named.iter().copied()).await?;
            // What the authority model decides on, read once, before the
            // first event: nothing in the document grants authority.
            let places: BTreeSet<String> = parsed
                .iter()
                .flatten()
                .flat_map(|e| [&e.biz_location, &e.read_point])
                .flatten()
                .map(|l| canon(&l.id))
                .collect();
            let facts = Facts::read(&mut tx, caller, &named, &places, &holders).await?;
            let latest_harvest = latest_harvests(&mut tx, parsed.iter().flatten()).await?;
            let mut run = CaptureRun {
                facts,
                latest_harvest,
                refs,
                more_errors: Vec::new(),
                nonconformant,
                warnings: Vec::new(),
                index: 0,
                tx,
                held: Held::default(),
                stored,
                holders,
                registered: HashSet::new(),
                caller,
                capture_id: job.capture_id,
                record_time,
                signatures,
            };
            for (i, (ev, prepared)) in parsed.iter().zip(prepared.iter_mut()).enumerate() {
                run.index = i;
                let (ev, prepared) = match (ev, prepared.take()) {
                    (Ok(ev), Some(prepared)) => (ev, prepared),
                    (Ok(_), None) => return Err(StoreError::Corrupt("an event was not prepared".into())),
                    (Err(problems), _) => {
                        let prefix = format!("epcisBody.eventList[{i}].");
                        job.errors.extend(problems.iter().map(|p| {
                            let field = p.field.strip_prefix(&prefix).unwrap_or(&p.field).to_owned();
                            err(Some(i), &field, p.error.clone())
                        }));
                        continue;
                    }
                };
                if let Some((field, invalid)) = ref_refusals[i].take() {
                    job.errors.push(err(Some(i), &field, invalid));
                    continue;
                }
                // Checks first, then writes: a refused event writes nothing.
                match self.capture_event(&mut run, ev, prepared, record_time).await {
                    Ok(true) => job.captured += 1,
                    Ok(false) => job.duplicates += 1,
                    // Under rollback too, every bad event is reported.
                    Err(StoreError::Invalid { field, invalid }) => {
                        job.errors.push(err(Some(i), &field, invalid));
                        for (field, invalid) in run.more_errors.drain(..) {
                            job.errors.push(err(Some(i), &field, invalid));
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            if job.errors.is_empty() || behaviour == ErrorBehaviour::Proceed {
                run.flush(self).await?;
                if let Some(along) = along.filter(|_| job.errors.is_empty()) {
                    for (sql, params) in &along.statements {
                        run.tx.execute(sql, params).await?;
                    }
                    for (org, kind, id) in &along.records {
                        self.log_record(&mut run.tx, *org, *kind, *id, None).await?;
                    }
                }
                job.warnings = std::mem::take(&mut run.warnings);
                // The job is kept with what it captured, in the same commit.
                let (sql, params) = finish(&mut job, caller, created)?;
                run.tx.execute(sql, &params).await?;
                run.tx.commit().await?;
                job_kept = true;
            } else {
                job.captured = 0;
                job.duplicates = 0;
                drop(run);
            }
        }
        // A large document's parsed events take a while to free: not here.
        if parsed.len() >= 256 {
            tokio::task::spawn_blocking(move || drop(parsed));
        }
        if !job_kept {
            let (sql, params) = finish(&mut job, caller, created)?;
            self.db.conn().execute(sql, &params).await?;
        }
        Ok(job)
    }

    /// A capture job of the caller's organisation.
    pub async fn capture_job(&self, caller: &Caller, id: Uuid) -> Result<CaptureJob> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT id, status, behaviour, event_count, duplicates, event_ids, errors, warnings, created_at, \
                 finished_at FROM capture_jobs \
                 WHERE id = $1 AND org_id = $2",
                &params![id, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "capture job" })?;
        let errors: Vec<CaptureErrorRow> =
            serde_json::from_str(&row.opt_text("errors")?.unwrap_or_else(|| "[]".into()))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let warnings: Vec<CaptureErrorRow> =
            serde_json::from_str(&row.opt_text("warnings")?.unwrap_or_else(|| "[]".into()))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(CaptureJob {
            capture_id: id,
            created_at: ts(row.int("created_at")?),
            finished_at: row.opt_int("finished_at")?.map(ts),
            running: false,
            success: row.text("status")? == "success",
            capture_error_behaviour: row.text("behaviour")?,
            errors: errors.into_iter().map(Into::into).collect(),
            warnings: warnings.into_iter().map(Into::into).collect(),
            captured: row.int("event_count")?,
            duplicates: row.int("duplicates")?,
            event_ids: serde_json::from_str(&row.text("event_ids")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        })
    }

    /// Checks and stores one event. `Ok(false)`: already stored (idempotent).
    async fn capture_event(
        &self,
        run: &mut CaptureRun<'_>,
        ev: &Event,
        prepared: Prepared,
        record_time: i64,
    ) -> Result<bool> {
        let event_id = prepared.event_id.as_str();
        let caller = run.caller;
        let is_error_declaration = ev.error_declaration.is_some();
        // Idempotency: the same event (same id) captured again, earlier in
        // this document or before.
        if run.held.has_event(event_id, is_error_declaration) {
            return Ok(false);
        }
        if let Some(org) = run.stored.get(&(event_id.to_owned(), is_error_declaration)) {
            if *org == caller.org_id {
                return Ok(false);
            }
            return Err(StoreError::invalid(
                "eventID",
                Invalid::new(
                    "event_id_taken",
                    "another organisation already recorded an event with this eventID",
                    "其他机构已记录了相同 eventID 的事件",
                ),
            ));
        }
        let event_time = ev.event_time_utc().timestamp_millis();
        if event_time > record_time + 5 * 60 * 1000 {
            return Err(StoreError::invalid(
                "eventTime",
                Invalid::new(
                    "event_in_future",
                    "an event cannot happen in the future",
                    "事件时间不能晚于当前时间",
                ),
            ));
        }
        let kind = match agri(ev, "recordKind") {
            None => None,
            Some(v) => Some(v.as_str().and_then(RecordKind::parse).ok_or_else(|| {
                let allowed: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
                StoreError::invalid(
                    "agri:recordKind",
                    Invalid::new(
                        "record_kind_unknown",
                        format!("unknown record kind; allowed: {}", allowed.join(", ")),
                        format!("未知的记录类型，允许：{}", allowed.join("、")),
                    ),
                )
            })?),
        };
        let units = prepared.units;
        let biz_step = compact_biz_step(ev);
        let shape = shape(ev, kind, biz_step.as_deref());
        let places = [
            ("bizLocation", ev.biz_location.as_ref().map(|l| canon(&l.id))),
            ("readPoint", ev.read_point.as_ref().map(|l| canon(&l.id))),
        ];
        let actor = actor(caller);
        // Authority first (who may do this to these units, here), then the
        // domain rules; a receipt's own checks are what establish that its
        // shipment is addressed to the caller, so they come first for it.
        let mut checked = Checked::default();
        match kind {
            Some(kind) if !is_error_declaration => {
                check_profile(kind, ev.event_type.as_str(), biz_step.as_deref(), |f| match f {
                    Field::Std(k) => has_std(ev, k),
                    Field::Agri(k) => agri(ev, k).is_some(),
                    Field::AnyStd(_) => false,
                })
                .map_err(|e| StoreError::invalid("event", e))?;
                // Every value of the declared type, and what comes from
                // master data as registered; all problems at once.
                let values = ev
                    .extensions
                    .iter()
                    .filter(|x| x.namespace == AGRI_NS && x.local_name != "recordKind")
                    .map(|x| (x.local_name.as_str(), &x.value));
                let mut problems = check_record_values(kind, values);
                if problems.is_empty() {
                    problems = run.refs.check_master_data(ev, kind);
                }
                if !problems.is_empty() {
                    let (field, invalid) = problems.remove(0);
                    run.more_errors = problems;
                    return Err(StoreError::invalid(field, invalid));
                }
                if kind == RecordKind::Receiving {
                    checked = self.check_domain(run, ev, kind, &units, event_time).await?;
                    check_event(&actor, &run.facts, &run.holders, &shape, &units, &places, true)?;
                } else {
                    check_event(&actor, &run.facts, &run.holders, &shape, &units, &places, false)?;
                    checked = self.check_domain(run, ev, kind, &units, event_time).await?;
                }
            }
            None if !is_error_declaration => {
                check_event(&actor, &run.facts, &run.holders, &shape, &units, &places, false)?;
            }
            _ => {}
        }
        if ev.error_declaration.is_some() {
            // The original may be held by this capture, and is corrected below.
            run.flush(self).await?;
            // Only the organisation that recorded an event may declare it wrong.
            let original = run
                .tx
                .fetch_optional(
                    "SELECT id, org_id FROM events WHERE event_key = $1 AND event_id = $2 AND is_error_declaration = $3",
                    &params![prepared.event_key, event_id, false],
                )
                .await?;
            // A declaration about a plain EPCIS event recorded elsewhere
            // (another repository) is kept as it is; one about another
            // organisation's event here is refused.
            if original.is_none() && kind.is_none() {
                // A declaration kept as it is still names units and places:
                // the same authority as any plain event.
                check_event(&actor, &run.facts, &run.holders, &shape, &units, &places, false)?;
            }
            if original.is_none() && kind.is_some() {
                // Our own records are corrected only here, where they were made.
                return Err(StoreError::invalid(
                    "errorDeclaration",
                    Invalid::new(
                        "declared_event_unknown",
                        "an error declaration of a record must carry the eventID of a record your organisation made",
                        "记录的错误声明必须引用本机构所做记录的 eventID",
                    ),
                ));
            }
            if let Some(r) = original {
                if r.uuid("org_id")? != caller.org_id {
                    return Err(StoreError::invalid(
                        "errorDeclaration",
                        Invalid::new(
                            "declared_event_not_yours",
                            "only the organisation that recorded an event may declare it wrong",
                            "只有记录该事件的机构可以声明其有误",
                        ),
                    ));
                }
            }
        }

        let pk = new_id().to_string();
        let held_event = HeldEvent {
            pk: pk.clone(),
            event_id: event_id.to_owned(),
            event_key: prepared.event_key,
            event_type: ev.event_type.as_str(),
            event_time,
            time_zone_offset: ev.event_time_zone_offset.as_str().to_owned(),
            record_time,
            action: ev.action.map(action_str),
            biz_step: ev.biz_step_uri(),
            disposition: ev.disposition_uri(),
            read_point: ev.read_point.as_ref().map(|l| canon(&l.id)),
            biz_location: ev.biz_location.as_ref().map(|l| canon(&l.id)),
            record_kind: kind.map(|k| k.as_str()),
            stage: kind.map(|k| profile(k).stage.as_str()),
            is_error_declaration,
            document: prepared.document,
            record_hash: prepared.record_hash,
            detached: run.signatures.of(event_id, is_error_declaration),
        };
        let mut seen = BTreeSet::new();
        let epcs: Vec<HeldEpc> = units
            .iter()
            .filter(|(role, epc, _, _)| seen.insert((*role, epc.as_str())))
            .map(|(role, epc, qty, uom)| HeldEpc {
                event: 0,
                role,
                epc: epc.clone(),
                quantity: *qty,
                uom: uom.clone(),
            })
            .collect();
        if is_error_declaration {
            run.held.push(held_event, epcs);
            run.tx
                .execute(
                    "UPDATE events SET corrected_by = $1 \
                     WHERE event_key = $2 AND event_id = $3 AND is_error_declaration = $4",
                    &params![pk.as_str(), prepared.event_key, event_id, false],
                )
                .await?;
            return Ok(true);
        }
        // Effects before holding the event: a refused effect leaves nothing held.
        let edges = self
            .apply_effects(run, ev, kind, &units, &pk, event_time, &checked)
            .await?;
        let index = run.held.push(held_event, epcs);
        run.held.push_edges(index, edges);
        Ok(true)
    }
}

/// One capture in progress: its transaction, the writes it holds back, and
/// the organisations of the document's eventIDs already stored.
struct CaptureRun<'a> {
    tx: Tx,
    /// The latest harvest recorded on each plot a planting record of the
    /// document names (kept current as the capture harvests): a record
    /// dated before it is re-checked against it.
    latest_harvest: HashMap<String, i64>,
    /// What the document's references resolved to.
    refs: References,
    /// Further refusals of the event being captured, after the first.
    more_errors: Vec<Refusal>,
    /// The named units that are non-conformant, kept current by the capture.
    nonconformant: BTreeSet<String>,
    /// Warnings for the job (kept only when the capture commits).
    warnings: Vec<CaptureError>,
    /// The index of the event being captured.
    index: usize,
    /// What the authority model decides on (read before the first event).
    facts: Facts,
    held: Held,
    stored: HashMap<(String, bool), Uuid>,
    /// The holder of every unit the document names that exists, kept up to
    /// date as the capture creates and moves units.
    holders: HashMap<String, Uuid>,
    /// Units this capture registered (held by the caller).
    registered: HashSet<String>,
    caller: &'a Caller,
    capture_id: Uuid,
    /// The recordTime of every event of the capture.
    record_time: i64,
    /// Checked client signatures, handed to the log by event row.
    signatures: CaptureSignatures,
}

impl CaptureRun<'_> {
    /// Registers a unit an event creates (if new), held by the caller; a
    /// harvested lot's origin is its plot.
    fn register_unit(&mut self, epc: &str, pk: &str, origin: Option<&str>) {
        let (kind, gtin, batch, serial, sscc) = split_gs1(epc);
        let lot_epc = lot_of(kind, gtin.as_deref(), batch.as_deref());
        self.held.push_unit(HeldUnit {
            epc: epc.to_owned(),
            kind,
            gtin,
            batch,
            serial,
            sscc,
            lot_epc,
            origin: origin.map(str::to_owned),
            created_event: pk.to_owned(),
            created_at: self.record_time,
        });
        self.holders.insert(epc.to_owned(), self.caller.org_id);
        self.registered.insert(epc.to_owned());
    }

    /// Marks a unit and everything made of it non-conformant, with the
    /// reason in English and Chinese (held rows written first), and warns
    /// the recorder.
    async fn mark_non_conformant(&mut self, store: &Store, epc: &str, en: &str, zh: &str) -> Result<()> {
        if self.held.touches_custody() {
            self.flush(store).await?;
        }
        let affected = super::status::with_downstream(&mut self.tx, &[epc.to_owned()]).await?;
        super::status::mark(&mut self.tx, &affected, en, zh).await?;
        let n = affected.len();
        self.nonconformant.extend(affected);
        self.warnings.push(CaptureError {
            event_index: Some(self.index),
            field: String::new(),
            code: "made_non_conformant".into(),
            detail: format!(
                "this record made {epc} non-conformant ({n} unit(s) with what was made of it): {en}"
            ),
            detail_zh: format!("本记录使 {epc} 成为不合格（连同其制成品共 {n} 个追溯单元）：{zh}"),
        });
        Ok(())
    }

    async fn flush(&mut self, store: &Store) -> Result<()> {
        store
            .flush_held(&mut self.tx, self.caller.org_id, self.capture_id, &mut self.held)
            .await
    }
}

/// Marks the job finished (successful if nothing was refused) and returns
/// the statement that keeps it for `GET /epcis/capture/{id}`.
fn finish(job: &mut CaptureJob, caller: &Caller, created: i64) -> Result<(&'static str, Vec<Val>)> {
    let finished = now_ms();
    job.success = job.errors.is_empty();
    job.finished_at = Some(ts(finished));
    let errors = serde_json::to_string(&job.errors).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let event_ids = serde_json::to_string(&job.event_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let warnings = serde_json::to_string(&job.warnings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((
        "INSERT INTO capture_jobs (id, org_id, status, behaviour, event_count, duplicates, event_ids, \
         errors, created_at, finished_at, warnings) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        params![
            job.capture_id,
            caller.org_id,
            if job.success { "success" } else { "failure" },
            job.capture_error_behaviour.as_str(),
            job.captured,
            job.duplicates,
            event_ids,
            errors,
            created,
            finished,
            warnings
        ]
        .to_vec(),
    ))
}

fn role_field(role: &str) -> &'static str {
    match role {
        "epc" => "epcList",
        "child" => "childEPCs",
        "input" => "inputEPCList",
        "output" => "outputEPCList",
        "parent" => "parentID",
        "quantity" => "quantityList",
        "child_quantity" => "childQuantityList",
        "input_quantity" => "inputQuantityList",
        _ => "outputQuantityList",
    }
}

pub(crate) fn action_str(a: Action) -> &'static str {
    match a {
        Action::Add => "ADD",
        Action::Observe => "OBSERVE",
        Action::Delete => "DELETE",
    }
}

/// The despatch advice reference of an event, if any.
fn despatch_ref(ev: &Event) -> Option<String> {
    ev.biz_transaction_list
        .iter()
        .find(|t| t.kind.as_deref().is_some_and(|k| k.ends_with("desadv")))
        .map(|t| t.id.clone())
}

/// One of our extension fields from a stored event document.
pub(crate) fn doc_agri(doc: &Value, name: &str) -> Option<String> {
    let obj = doc.as_object()?;
    // Either spelling of the name (the prefix or the namespace), the prefixed
    // one first; looked for without building either key.
    let named = |prefix: &str| {
        obj.iter()
            .find(|(k, _)| k.strip_prefix(prefix) == Some(name))
            .map(|(_, v)| v)
    };
    let v = named("agri:").or_else(|| named(AGRI_NS))?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// What a canonical GS1 Digital Link names: (kind, gtin, batch, serial, sscc).
pub(crate) type UnitParts = (
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The lot an item belongs to: an item that names its batch belongs to
/// that lot.
pub(crate) fn lot_of(kind: &str, gtin: Option<&str>, batch: Option<&str>) -> Option<String> {
    match (kind, gtin, batch) {
        ("item", Some(g), Some(b)) => Some(format!("{}/01/{g}/10/{b}", super::CANONICAL_DOMAIN)),
        _ => None,
    }
}

pub(crate) fn split_gs1(epc: &str) -> UnitParts {
    let path = epc.strip_prefix(super::CANONICAL_DOMAIN).unwrap_or("");
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match seg.as_slice() {
        ["01", g, "10", b, "21", s] => (
            "item",
            Some(g.to_string()),
            Some(b.to_string()),
            Some(s.to_string()),
            None,
        ),
        ["01", g, "10", b] => ("lot", Some(g.to_string()), Some(b.to_string()), None, None),
        ["01", g, "21", s] => ("item", Some(g.to_string()), None, Some(s.to_string()), None),
        ["00", s] => ("logistic", None, None, None, Some(s.to_string())),
        _ => ("other", None, None, None, None),
    }
}

#[derive(serde::Deserialize)]
struct CaptureErrorRow {
    event_index: Option<usize>,
    field: String,
    code: String,
    detail: String,
    detail_zh: String,
}

impl From<CaptureErrorRow> for CaptureError {
    fn from(r: CaptureErrorRow) -> Self {
        CaptureError {
            event_index: r.event_index,
            field: r.field,
            code: r.code,
            detail: r.detail,
            detail_zh: r.detail_zh,
        }
    }
}
