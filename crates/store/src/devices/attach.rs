//! What a device is attached to, in EPCIS (R-5.3.2.1): the device is an
//! individual asset, identified by a GIAI under its organisation's verified
//! GS1 company prefix (`urn:epc:id:giai:{prefix}.D{16 hex digits of its id}`,
//! fixed at registration); the place it is attached to is the parent, named
//! by its GLN (`https://id.gs1.org/414/{gln}`, the place's canonical
//! identifier).
//!
//! - registering a device captures an AssociationEvent ADD (bizStep
//!   `installing`, parent the place, child the device, readPoint and
//!   bizLocation the place) in the transaction that inserts the device;
//! - moving it ([`Store::move_device`]) is a logged `device_move` with, in
//!   the same transaction, an AssociationEvent DELETE from the old place
//!   (bizStep `removing`) and an ADD to the new one (`installing`);
//! - the events pass the one capture path and authority model like every
//!   event: a refusal refuses the registration or the move, nothing written;
//! - when the organisation has no verified company prefix (no GIAI) or the
//!   place has no GLN, the attachment is recorded by the logged device (or
//!   move) alone and no AssociationEvent is captured: the device says why
//!   (`epcis_note`: `no_company_prefix` or `place_without_gln`). A device
//!   registered without a GIAI keeps none: its identifier does not change.

use serde_json::{json, Value};
use suyuan_core::Invalid;
use uuid::Uuid;

use super::Device;
use crate::db::Val;
use crate::master_log::RecordKind;
use crate::trace::capture::{Along, ErrorBehaviour};
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// The GLN Digital Link prefix places are named by.
const GLN_DL: &str = "https://id.gs1.org/414/";

/// The GIAI of device `id` under `prefix` (7 to 12 digits): `D` and the
/// first 16 hex digits of its id (64 bits), within the 30 characters a
/// GIAI may have.
pub fn device_giai(prefix: &str, id: Uuid) -> String {
    let hex = id.simple().to_string().to_uppercase();
    format!("urn:epc:id:giai:{prefix}.D{}", &hex[..16])
}

/// Why no AssociationEvent records a device's attachment, if none does.
pub(super) fn epcis_note(giai: Option<&str>, gln: Option<&str>) -> Option<String> {
    match (giai, gln) {
        (None, _) => Some("no_company_prefix".into()),
        (Some(_), None) => Some("place_without_gln".into()),
        _ => None,
    }
}

/// One AssociationEvent of device `giai` at the place with `gln`.
pub(super) fn association(giai: &str, gln: &str, add: bool, time: &str) -> (String, Value) {
    let place = format!("{GLN_DL}{gln}");
    let id = format!("urn:uuid:{}", new_id());
    let ev = json!({
        "type": "AssociationEvent", "eventID": id,
        "eventTime": time, "eventTimeZoneOffset": "+08:00",
        "parentID": place, "childEPCs": [giai],
        "action": if add { "ADD" } else { "DELETE" },
        "bizStep": if add { "installing" } else { "removing" },
        "readPoint": {"id": place}, "bizLocation": {"id": place},
    });
    (id, ev)
}

/// A device's logged record of `kind` (a move, an attaching) with id `id`,
/// to insert with the events that record it: the row of device `device`
/// with the kind's own two `columns`, the AssociationEvent `event_id`, the
/// caller and the time `now`.
pub(super) fn device_record(
    caller: &Caller,
    kind: RecordKind,
    id: Uuid,
    device: Uuid,
    columns: [(&str, Val); 2],
    event_id: Option<String>,
    now: i64,
) -> Along {
    let [(a, va), (b, vb)] = columns;
    let sql = format!(
        "INSERT INTO {} (id, device_id, org_id, {a}, {b}, event_id, acting_user, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        kind.table()
    );
    let ps = vec![
        id.into(),
        device.into(),
        caller.org_id.into(),
        va,
        vb,
        event_id.into(),
        caller.user_id.into(),
        now.into(),
    ];
    Along {
        statements: vec![(sql, ps)],
        records: vec![(caller.org_id, kind, id)],
    }
}

/// Now, as an EPCIS event time.
pub(super) fn event_time() -> String {
    event_time_at(now_ms())
}

/// A time (ms), as an EPCIS event time.
pub(super) fn event_time_at(ms: i64) -> String {
    crate::orgs::ts(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": chrono::Utc::now().to_rfc3339(),
        "epcisBody": {"eventList": events},
    })
}

fn association_refused(field: &'static str, detail: &str, detail_zh: &str) -> StoreError {
    StoreError::invalid(
        field,
        Invalid::new(
            "device_association_refused",
            detail.to_owned(),
            detail_zh.to_owned(),
        ),
    )
}

impl Store {
    /// The organisation's verified company prefix a device's GIAI is made
    /// under (the lowest, when it has several), if any.
    pub(super) async fn giai_prefix(&self, org: Uuid) -> Result<Option<String>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT prefix FROM company_prefixes WHERE org_id = $1 AND status = 'verified' \
                 ORDER BY prefix LIMIT 1",
                &params![org],
            )
            .await?;
        row.map(|r| r.text("prefix")).transpose()
    }

    /// A place's GLN, if it has one.
    async fn place_gln(&self, place: Uuid) -> Result<Option<String>> {
        let row = self
            .db
            .conn()
            .fetch_optional("SELECT gln FROM places WHERE id = $1", &params![place])
            .await?;
        Ok(row.map(|r| r.opt_text("gln")).transpose()?.flatten())
    }

    /// The GLN of one of the caller's places (checked to be its own).
    pub(super) async fn own_place_gln(&self, caller: &Caller, place: Uuid) -> Result<Option<String>> {
        self.require_own(caller, "places", "place", place)
            .await
            .map_err(|_| super::no_place())?;
        self.place_gln(place).await
    }

    /// Commits `along` with `events` captured in the same transaction, or
    /// alone when there are none; a refused event is a refusal naming `field`.
    pub(super) async fn commit_associated(
        &self,
        caller: &Caller,
        events: Vec<Value>,
        along: Along,
        field: &'static str,
    ) -> Result<()> {
        if events.is_empty() {
            let mut tx = self.db.begin().await?;
            for (sql, ps) in &along.statements {
                tx.execute(sql, ps).await?;
            }
            for (org, kind, id) in &along.records {
                self.log_record(&mut tx, *org, *kind, *id, None).await?;
            }
            return tx.commit().await;
        }
        let job = self
            .capture_along(caller, &document(events), ErrorBehaviour::Rollback, Some(&along))
            .await?;
        match job.errors.first() {
            Some(e) => Err(association_refused(field, &e.detail, &e.detail_zh)),
            None => Ok(()),
        }
    }

    /// The devices attached to `place` during `[from, until]` (of `kinds`,
    /// or any), each with the part of it they were there: (id, name, from,
    /// until), one entry per time at the place (see [`Store::place_spans`]).
    pub(crate) async fn devices_at(
        &self,
        place: Uuid,
        from: i64,
        until: i64,
        kinds: &[&str],
    ) -> Result<Vec<(Uuid, String, i64, i64)>> {
        let devices = self
            .db
            .conn()
            .fetch_all(
                "SELECT id, name, kind FROM devices WHERE place_id = $1 OR id IN \
                 (SELECT device_id FROM device_moves WHERE place_id = $1 OR from_place_id = $1) ORDER BY id",
                &params![place],
            )
            .await?;
        let mut out = Vec::new();
        for d in &devices {
            if !kinds.is_empty() && !kinds.contains(&d.text("kind")?.as_str()) {
                continue;
            }
            let id = d.uuid("id")?;
            for (at, since, end) in self.place_spans(id).await? {
                let (a, b) = (from.max(since), until.min(end));
                if at == place && a < b {
                    out.push((id, d.text("name")?, a, b));
                }
            }
        }
        Ok(out)
    }

    /// Where a device was, in time order: (place, since, until) in ms. A
    /// device is at the place it was registered at until its first move
    /// (since `i64::MIN`: readings before its registration count for that
    /// place), then at each move's place until the next (the last until
    /// `i64::MAX`).
    pub(crate) async fn place_spans(&self, device: Uuid) -> Result<Vec<(Uuid, i64, i64)>> {
        let mut conn = self.db.conn();
        let Some(registered) = conn
            .fetch_optional("SELECT place_id FROM devices WHERE id = $1", &params![device])
            .await?
        else {
            return Ok(Vec::new());
        };
        let moves = conn
            .fetch_all(
                "SELECT place_id, created_at FROM device_moves WHERE device_id = $1 \
                 ORDER BY created_at, id",
                &params![device],
            )
            .await?;
        let mut starts = vec![(registered.uuid("place_id")?, i64::MIN)];
        for m in &moves {
            starts.push((m.uuid("place_id")?, m.int("created_at")?));
        }
        Ok(starts
            .iter()
            .enumerate()
            .map(|(i, (at, since))| (*at, *since, starts.get(i + 1).map_or(i64::MAX, |n| n.1)))
            .collect())
    }

    /// Moves a device of the caller's organisation (a recorder of a verified
    /// organisation) to another of its places: a logged `device_move` and,
    /// in the same transaction, the AssociationEvents DELETE from the old
    /// place and ADD to the new one. Moving it where it is changes nothing.
    pub async fn move_device(&self, caller: &Caller, id: Uuid, place: &str) -> Result<Device> {
        caller.require_verified_recorder()?;
        let device = self.get_device(caller, id).await?;
        if device.org_id != caller.org_id {
            return Err(StoreError::NotFound { what: "device" });
        }
        let place = Uuid::parse_str(place.trim()).map_err(|_| super::no_place())?;
        let new_gln = self.own_place_gln(caller, place).await?;
        if place == device.place_id {
            return Ok(device);
        }
        let old_gln = self.place_gln(device.place_id).await?;
        let now = now_ms();
        let time = event_time_at(now);
        let mut ids = Vec::new();
        let mut events = Vec::new();
        if let Some(giai) = device.giai.as_deref() {
            for (gln, add) in [(old_gln.as_deref(), false), (new_gln.as_deref(), true)] {
                if let Some(gln) = gln {
                    let (ev_id, ev) = association(giai, gln, add, &time);
                    ids.push(ev_id);
                    events.push(ev);
                }
            }
        }
        let mv = new_id();
        let columns = [
            ("from_place_id", device.place_id.into()),
            ("place_id", place.into()),
        ];
        let along = device_record(
            caller,
            RecordKind::DeviceMove,
            mv,
            id,
            columns,
            ids.last().cloned(),
            now,
        );
        self.commit_associated(caller, events, along, "place").await?;
        tracing::info!(device = %id, from = %device.place_id, to = %place, "device moved");
        self.get_device(caller, id).await
    }
}
