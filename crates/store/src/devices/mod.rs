//! The device registry (R-5.3.2.1, R-7.2.3): each organisation registers
//! its devices (a name, a kind, the place it is attached to: a plot, a cold
//! room, a vehicle …), enables and disables them, and each device proves who
//! it is with its own token.
//!
//! - a device is a logged record (`device`), each enabling or disabling a
//!   logged `device_state` (its state is the latest one; enabled when none);
//! - its token (`syd_…`, shown once) is stored as its SHA-256, like API
//!   keys; the key it signs MQTT messages with is derived from the token
//!   (`suyuan_core::devices::hmac_key`: SHA-256("suyuan-device-hmac/v1" ||
//!   token)), so the device needs nothing else, and the server keeps that
//!   key sealed with the platform secret (`device_credentials`, operational):
//!   the token itself is never stored. Whoever reads the database without
//!   the platform secret can neither send over HTTP (a hash is not the
//!   token) nor sign over MQTT (the key is sealed);
//! - every refused attempt (unknown device, wrong token, disabled device,
//!   bad signature, suspended organisation) is kept in `device_refusals`
//!   with its reason, and nothing of the attempt is stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::devices::DeviceKind;
use suyuan_core::fields::text;
use suyuan_core::model::OrgStatus;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Row;
use crate::master_log::RecordKind;
use crate::orgs::ts;
use crate::trace::capture::Along;
use crate::users::{hash_secret, new_secret};
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

pub mod alerts;
pub mod attach;
pub mod coldchain;
pub mod conditions;
pub mod readings;
pub mod units;
pub mod webhooks;

/// The prefix of a device token.
pub const DEVICE_TOKEN_PREFIX: &str = "syd_";

/// A request to register a device.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    pub name: String,
    /// soil_moisture, air, cold_room, truck_logger or other.
    pub kind: String,
    /// The id of one of the organisation's places (for a truck logger, its vehicle).
    pub place: String,
}

/// A registered device as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub kind: DeviceKind,
    /// The place it is attached to now (its latest move's, else the one
    /// it was registered at).
    pub place_id: Uuid,
    /// Its GIAI (`urn:epc:id:giai:…`), the child of the AssociationEvents
    /// that attach it to places; none when its organisation had no verified
    /// company prefix when it was registered.
    pub giai: Option<String>,
    /// Why no AssociationEvent records its current attachment, if none
    /// does: `no_company_prefix` (no GIAI) or `place_without_gln`.
    pub epcis_note: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The time of its latest reading.
    pub last_reading_at: Option<DateTime<Utc>>,
}

/// A new device with its token, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewDeviceToken {
    pub id: Uuid,
    /// The device's secret: send it as `Authorization: Bearer <token>`;
    /// derive the MQTT signing key from it. Never shown again.
    pub token: String,
}

/// Over which channel a device sent readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Http,
    Mqtt,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Http => "http",
            Channel::Mqtt => "mqtt",
        }
    }
}

/// Why an attempt to send readings was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such device.
    UnknownDevice,
    /// The token does not match (or none was sent).
    BadToken,
    /// The message's HMAC does not verify.
    BadSignature,
    /// The device is disabled.
    Disabled,
    /// Its organisation is suspended or not verified.
    OrganisationInactive,
    /// An MQTT message that is not an envelope.
    Malformed,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownDevice => "unknown_device",
            Refusal::BadToken => "bad_token",
            Refusal::BadSignature => "bad_signature",
            Refusal::Disabled => "disabled",
            Refusal::OrganisationInactive => "organisation_inactive",
            Refusal::Malformed => "malformed",
        }
    }
}

/// A device that proved who it is.
#[derive(Debug, Clone)]
pub struct AuthedDevice {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: DeviceKind,
}

/// How a device proves itself.
pub enum Proof<'a> {
    /// Its token (HTTP).
    Token(&'a str),
    /// An HMAC-SHA256 (hex) over `payload` with the key derived from its token (MQTT).
    Hmac { payload: &'a [u8], mac_hex: &'a str },
    /// A registered client certificate for this device (mutual TLS): the
    /// TLS handshake proved it; the device's state is still checked.
    Certificate,
}

const DEVICE_COLUMNS: &str = "t.id, t.org_id, t.name, t.kind, t.created_at, t.giai, \
     COALESCE((SELECT m.place_id FROM device_moves m WHERE m.device_id = t.id \
               ORDER BY m.created_at DESC, m.id DESC LIMIT 1), t.place_id) AS place_id, \
     (SELECT p.gln FROM places p WHERE p.id = COALESCE((SELECT m.place_id FROM device_moves m \
               WHERE m.device_id = t.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1), t.place_id)) AS place_gln, \
     COALESCE((SELECT s.enabled FROM device_states s WHERE s.device_id = t.id \
               ORDER BY s.created_at DESC, s.id DESC LIMIT 1), TRUE) AS enabled, \
     (SELECT MAX(b.last_time) FROM reading_batches b WHERE b.device_id = t.id) AS last_reading";

fn decode_device(r: &Row) -> Result<Device> {
    Ok(Device {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        name: r.text("name")?,
        kind: DeviceKind::parse(&r.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        place_id: r.uuid("place_id")?,
        epcis_note: attach::epcis_note(
            r.opt_text("giai")?.as_deref(),
            r.opt_text("place_gln")?.as_deref(),
        ),
        giai: r.opt_text("giai")?,
        enabled: r.bool("enabled")?,
        created_at: ts(r.int("created_at")?),
        last_reading_at: r.opt_int("last_reading")?.map(ts),
    })
}

pub(super) fn no_place() -> StoreError {
    StoreError::invalid(
        "place",
        Invalid::new(
            "reference_not_found",
            "place: no such place in your organisation",
            "place：本机构没有该场所",
        ),
    )
}

impl Store {
    /// Registers a device of the caller's organisation (a recorder of a
    /// verified organisation), logged in the same transaction; answers its
    /// id and its token, shown once.
    pub async fn create_device(&self, caller: &Caller, new: &NewDevice) -> Result<NewDeviceToken> {
        caller.require_verified_recorder()?;
        let name = field("name", text(&new.name, 100))?;
        let kind = field("kind", DeviceKind::parse(&new.kind))?;
        let place = Uuid::parse_str(new.place.trim()).map_err(|_| no_place())?;
        let gln = self.own_place_gln(caller, place).await?;
        let (token, hash) = new_secret(DEVICE_TOKEN_PREFIX);
        let key = suyuan_core::devices::hmac_key(&token);
        let sealed = self.cipher.encrypt(&hex::encode(key))?;
        let id = new_id();
        let now = now_ms();
        let giai = self
            .giai_prefix(caller.org_id)
            .await?
            .map(|p| attach::device_giai(&p, id));
        // Attached to a place with a GLN: an AssociationEvent ADD, captured
        // in the transaction that inserts the device.
        let events = match (&giai, &gln) {
            (Some(giai), Some(gln)) => vec![attach::association(giai, gln, true, &attach::event_time()).1],
            _ => Vec::new(),
        };
        let along =
            Along {
                statements: vec![
                (
                    "INSERT INTO devices (id, org_id, name, kind, place_id, created_by, created_at, giai) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
                        .into(),
                    params![id, caller.org_id, name, kind.as_str(), place, caller.user_id, now, giai.clone()]
                        .to_vec(),
                ),
                (
                    "INSERT INTO device_credentials (device_id, token_hash, hmac_key_cipher, created_at) \
                     VALUES ($1,$2,$3,$4)"
                        .into(),
                    params![id, hash, sealed, now].to_vec(),
                ),
            ],
                records: vec![(caller.org_id, RecordKind::Device, id)],
            };
        self.commit_associated(caller, events, along, "place").await?;
        tracing::info!(device = %id, org = %caller.org_id, "device registered");
        Ok(NewDeviceToken { id, token })
    }

    /// The devices the caller may read (its organisation's; an officer's
    /// jurisdiction's).
    pub async fn list_devices(&self, caller: &Caller, page: PageRequest) -> Result<Page<Device>> {
        self.list_scoped(
            caller,
            &format!("SELECT {DEVICE_COLUMNS} FROM devices t"),
            None,
            page,
            decode_device,
        )
        .await
    }

    /// One device the caller may read.
    pub async fn get_device(&self, caller: &Caller, id: Uuid) -> Result<Device> {
        self.get_scoped(
            caller,
            "device",
            &format!("SELECT {DEVICE_COLUMNS} FROM devices t"),
            id,
            decode_device,
        )
        .await
    }

    /// Enables or disables a device of the caller's organisation; the change
    /// is a logged `device_state`. Setting the state it already has changes
    /// nothing.
    pub async fn set_device_enabled(&self, caller: &Caller, id: Uuid, enabled: bool) -> Result<Device> {
        caller.require_verified_recorder()?;
        let device = self.get_device(caller, id).await?;
        if device.org_id != caller.org_id {
            return Err(StoreError::NotFound { what: "device" });
        }
        if device.enabled == enabled {
            return Ok(device);
        }
        let state = new_id();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO device_states (id, device_id, org_id, enabled, acting_user, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6)",
            &params![state, id, caller.org_id, enabled, caller.user_id, now_ms()],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::DeviceState, state, None)
            .await?;
        tx.commit().await?;
        tracing::info!(device = %id, enabled, "device state changed");
        self.get_device(caller, id).await
    }

    /// Checks a device's proof. A refusal is recorded (`device_refusals`)
    /// before it is answered.
    pub async fn authenticate_device(
        &self,
        claimed: &str,
        proof: Proof<'_>,
        channel: Channel,
    ) -> Result<std::result::Result<AuthedDevice, Refusal>> {
        let found = match Uuid::parse_str(claimed.trim()) {
            Ok(id) => {
                self.db
                    .conn()
                    .fetch_optional(
                        "SELECT t.id, t.org_id, t.kind, c.token_hash, c.hmac_key_cipher, o.status AS org_status, \
                         COALESCE((SELECT s.enabled FROM device_states s WHERE s.device_id = t.id \
                                   ORDER BY s.created_at DESC, s.id DESC LIMIT 1), TRUE) AS enabled \
                         FROM devices t JOIN device_credentials c ON c.device_id = t.id \
                         JOIN organisations o ON o.id = t.org_id WHERE t.id = $1",
                        &params![id],
                    )
                    .await?
            }
            Err(_) => None,
        };
        let Some(row) = found else {
            self.record_refusal(claimed, None, channel, Refusal::UnknownDevice)
                .await?;
            return Ok(Err(Refusal::UnknownDevice));
        };
        let org_id = row.uuid("org_id")?;
        let proven = match proof {
            Proof::Certificate => None,
            Proof::Token(token) => {
                let hash = hash_secret(token);
                if constant_eq(hash.as_bytes(), row.text("token_hash")?.as_bytes()) {
                    None
                } else {
                    Some(Refusal::BadToken)
                }
            }
            Proof::Hmac { payload, mac_hex } => {
                let key = hex::decode(self.cipher.decrypt(&row.text("hmac_key_cipher")?)?)
                    .map_err(|_| StoreError::Corrupt("a device key is not hex".into()))?;
                if suyuan_core::devices::verify_hmac(&key, payload, mac_hex) {
                    None
                } else {
                    Some(Refusal::BadSignature)
                }
            }
        };
        let refusal = proven.or_else(|| {
            if !row.bool("enabled").unwrap_or(false) {
                Some(Refusal::Disabled)
            } else if row.text("org_status").ok().as_deref() != Some(OrgStatus::Verified.as_str()) {
                Some(Refusal::OrganisationInactive)
            } else {
                None
            }
        });
        if let Some(r) = refusal {
            self.record_refusal(claimed, Some(org_id), channel, r).await?;
            return Ok(Err(r));
        }
        Ok(Ok(AuthedDevice {
            id: row.uuid("id")?,
            org_id,
            kind: DeviceKind::parse(&row.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        }))
    }

    /// Records a refused attempt (operational).
    pub async fn record_refusal(
        &self,
        claimed: &str,
        org_id: Option<Uuid>,
        channel: Channel,
        reason: Refusal,
    ) -> Result<()> {
        let claimed: String = claimed.chars().take(64).collect();
        self.db
            .conn()
            .execute(
                "INSERT INTO device_refusals (id, device_id, org_id, channel, reason, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6)",
                &params![
                    new_id(),
                    claimed.clone(),
                    org_id,
                    channel.as_str(),
                    reason.as_str(),
                    now_ms()
                ],
            )
            .await?;
        tracing::warn!(device = %claimed, channel = channel.as_str(), reason = reason.as_str(), "device refused");
        Ok(())
    }

    /// The refused attempts recorded, newest first: (claimed device,
    /// channel, reason). For the organisation's own devices, or all for the
    /// operator.
    pub async fn device_refusals(
        &self,
        org_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>> {
        let rows = match org_id {
            Some(org) => {
                self.db
                    .conn()
                    .fetch_all(
                        "SELECT device_id, channel, reason FROM device_refusals WHERE org_id = $1 \
                         ORDER BY created_at DESC, id DESC LIMIT $2",
                        &params![org, limit],
                    )
                    .await?
            }
            None => {
                self.db
                    .conn()
                    .fetch_all(
                        "SELECT device_id, channel, reason FROM device_refusals \
                         ORDER BY created_at DESC, id DESC LIMIT $1",
                        &params![limit],
                    )
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok((
                    r.opt_text("device_id")?.unwrap_or_default(),
                    r.text("channel")?,
                    r.text("reason")?,
                ))
            })
            .collect()
    }
}

impl Store {
    /// Benchmarks only (`suyuan bench devices`, on a throw-away store): `n`
    /// devices of `kind` at `place` inserted directly, registered at
    /// `created_at`, without credentials or log leaves, so that the
    /// periodic check can be timed over many devices.
    #[doc(hidden)]
    pub async fn insert_synthetic_devices(
        &self,
        org: Uuid,
        place: Uuid,
        kind: DeviceKind,
        n: usize,
        created_at: i64,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut left = n;
        while left > 0 {
            let k = left.min(500);
            left -= k;
            let mut ps = Vec::with_capacity(k * 5);
            let rows: Vec<String> = (0..k)
                .map(|i| {
                    let b = i * 5;
                    ps.extend(params![new_id(), org, kind.as_str(), place, created_at]);
                    format!(
                        "(${}, ${}, 'bench', ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 2,
                        b + 5
                    )
                })
                .collect();
            tx.execute(
                &format!(
                    "INSERT INTO devices (id, org_id, name, kind, place_id, created_by, created_at) VALUES {}",
                    rows.join(",")
                ),
                &ps,
            )
            .await?;
        }
        tx.commit().await
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
