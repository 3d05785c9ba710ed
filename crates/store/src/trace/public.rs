//! The consumer's view of a unit: what a phone shows after scanning the QR
//! code. Public on purpose, field by field: the product, its producer
//! (verified or not), the origin plot and its environment, the timeline of
//! the four stages with the fields, test results, certifications and
//! corrections. Never prices, buyers or other private business data: only
//! the extension fields listed in [`PUBLIC_FIELDS`] leave the platform.
//!
//! A look-up counts a scan ([`Scan`]), so the page can warn when a code has
//! been scanned suspiciously often (a copied label). A client counts once
//! per unit and day: `scan_clients` remembers which clients (a pseudonym of
//! the address, [`crate::PersonalDataCipher::pseudonym`] over the day and
//! the address, never the address) scanned a unit today, so `scans.count` is
//! the number of distinct client-days and one client repeating requests
//! cannot raise the warning. Rows of past days are deleted by the first
//! counted scan of each day (in each process).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use suyuan_core::stages::{RecordKind, Stage, AGRI_NS};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lineage::{relation, Direction};
use super::units::Unit;
use crate::db::Val;
use crate::orgs::ts;
use crate::places::Place;
use crate::products::Certification;
use crate::{now_ms, params, Result, Store, StoreError};

/// The extension fields a consumer may see, with their Chinese and English
/// labels (the JSON form carries the Chinese one; the page shows either).
pub const PUBLIC_FIELDS: &[(&str, &str, &str)] = &[
    ("variety", "品种", "Variety"),
    ("inputName", "投入品", "Input"),
    ("registrationNumber", "农药登记证号", "Pesticide registration no."),
    ("dose", "用量", "Dose"),
    ("method", "方式", "Method"),
    ("target", "防治对象", "Target pest or disease"),
    (
        "preHarvestIntervalDays",
        "安全间隔期（天）",
        "Pre-harvest interval (days)",
    ),
    ("waterSource", "水源", "Water source"),
    ("volume", "灌溉量", "Irrigation volume"),
    ("operation", "农事操作", "Field operation"),
    ("harvestMethod", "采收方式", "Harvest method"),
    ("sampleId", "样品编号", "Sample no."),
    ("testItems", "检测项目", "Test items"),
    ("conclusion", "检测结论", "Test conclusion"),
    ("grade", "等级", "Grade"),
    ("temperature", "温度", "Temperature"),
    ("conditions", "贮存条件", "Storage conditions"),
    ("carrier", "承运单位", "Carrier"),
    ("transportMode", "运输方式", "Transport mode"),
    ("temperatureClass", "温控等级", "Temperature class"),
    ("channel", "销售渠道", "Sales channel"),
];

/// One step of the public timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicEvent {
    pub time: DateTime<Utc>,
    /// The local offset where it happened, e.g. +08:00.
    pub time_zone_offset: String,
    pub stage: Option<String>,
    pub stage_zh: Option<String>,
    pub kind: Option<String>,
    pub kind_zh: Option<String>,
    /// The organisation that recorded it (a test: the agency, as registered;
    /// never a name typed into the record).
    pub organisation: Option<String>,
    /// The recording organisation is suspended now: its records stand, but
    /// the page says so.
    pub organisation_suspended: bool,
    pub place: Option<String>,
    /// Public fields: (Chinese label, value).
    pub fields: Vec<(String, Value)>,
    /// True when the recording organisation declared this record wrong.
    pub corrected: bool,
    /// Its eventID, for its proof bundle (`GET /tlog/proof?event_id=…`).
    pub event_id: String,
    /// Its position in the transparency log.
    pub log_index: Option<i64>,
    /// Whether the checkpoint the page states covers it.
    pub in_checkpoint: bool,
}

/// The checkpoint of the log a page's records were checked against: the
/// latest signed tree head, and how many witnesses cosigned it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCheckpoint {
    pub tree_size: i64,
    pub created_at: DateTime<Utc>,
    pub witnesses: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicProduct {
    pub name: String,
    pub category: String,
    pub variety: Option<String>,
    pub specification: Option<String>,
    pub shelf_life_days: Option<i64>,
    pub origin: Option<String>,
    pub certifications: Vec<Certification>,
    /// The GTIN lies under a company prefix verified for the producer (its
    /// GS1 registration certificate checked by the operator); otherwise the
    /// page says the GTIN is not verified.
    pub gtin_verified: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicProducer {
    pub name: String,
    pub kind: String,
    /// Verified by the platform operator (credit code and legal representative).
    pub verified: bool,
    pub region: String,
}

/// The public facts of a plot: its natural environment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPlace {
    pub name: String,
    pub region: Option<String>,
    pub location: Option<crate::places::GeoPoint>,
    pub area_m2: Option<f64>,
    pub crops: Vec<String>,
    pub soil_type: Option<String>,
    pub water_source: Option<String>,
    pub irrigation: Option<String>,
    pub environment_tests: Vec<String>,
}

impl From<Place> for PublicPlace {
    fn from(p: Place) -> Self {
        PublicPlace {
            name: p.name,
            region: p.region,
            location: p.location,
            area_m2: p.area_m2,
            crops: p.crops,
            soil_type: p.soil_type,
            water_source: p.water_source,
            irrigation: p.irrigation,
            environment_tests: p.environment_tests,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicScans {
    pub count: i64,
    pub first_scan: DateTime<Utc>,
    /// More scans than a genuine label usually gets: the code may be copied.
    pub suspicious: bool,
}

/// The consumer view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTrace {
    pub kind: String,
    pub gtin: Option<String>,
    pub batch: Option<String>,
    pub serial: Option<String>,
    /// active, non_conformant, recalled …
    pub status: String,
    pub status_reason: Option<String>,
    /// The same in Chinese.
    pub status_reason_zh: Option<String>,
    pub product: Option<PublicProduct>,
    pub producer: Option<PublicProducer>,
    /// The plot it grew on, with its natural environment.
    pub origin: Option<PublicPlace>,
    pub timeline: Vec<PublicEvent>,
    /// The log checkpoint the timeline's records are in, if one was signed.
    pub checkpoint: Option<PublicCheckpoint>,
    pub scans: PublicScans,
    /// The temperatures of the cold rooms and vehicles it stayed in
    /// (`crate::devices::coldchain`); null when none was measured.
    pub cold_chain: Option<crate::devices::coldchain::ColdChain>,
    /// The recall it is affected by (null when none; a drill never sets it).
    pub recall: Option<crate::quality::recalls::PublicRecall>,
    /// The 承诺达标合格证 that cover it (of its lot, its containers, or a
    /// shipment that carried it), newest first.
    pub commitment_certificates: Vec<PublicCertificate>,
}

/// A 承诺达标合格证 as the consumer page lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCertificate {
    pub number: String,
    pub valid: bool,
    pub issue_date: String,
    pub committer_name: String,
    /// control, self_test or commissioned_test.
    pub basis: String,
}

fn public_fields(doc: &Value) -> Vec<(String, Value)> {
    let Some(obj) = doc.as_object() else {
        return Vec::new();
    };
    PUBLIC_FIELDS
        .iter()
        .filter_map(|(name, label, _)| {
            obj.get(&format!("agri:{name}"))
                .or_else(|| obj.get(&format!("{AGRI_NS}{name}")))
                .map(|v| ((*label).to_owned(), v.clone()))
        })
        .collect()
}

/// Whether a look-up counts as a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A consumer's scan by the client at this address: counted once per
    /// unit, client and day.
    By(IpAddr),
    /// Not a scan (a HEAD request, a check): the count is read, not raised.
    NotCounted,
}

/// The period within which a client's scans of a unit count once.
const SCAN_PERIOD_MS: i64 = 24 * 60 * 60 * 1000;

/// The last period whose older `scan_clients` rows this process deleted.
static SCAN_CLIENTS_PURGED: AtomicI64 = AtomicI64::new(i64::MIN);

/// The part of an address that names a client: an IPv4 address (also
/// written IPv4-mapped in IPv6), or an IPv6 address's /64 prefix (one
/// subscriber's network, whose host part the client may change at will).
fn client_bytes(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    }
}

impl Store {
    /// The pseudonym of a client on a day: HMAC-SHA-256 under a key derived
    /// from the secret key, over the day and the client's address (so the
    /// same client is not linkable from one day to the next); 128 bits, hex.
    fn scan_client_key(&self, addr: IpAddr, day: i64) -> String {
        let mut data = day.to_be_bytes().to_vec();
        data.extend(client_bytes(addr));
        hex::encode(&self.cipher.pseudonym("scan-client", &data)[..16])
    }

    /// Deletes the `scan_clients` rows of days before `day`; answers how
    /// many. Runs by itself with the first counted scan of each day.
    pub async fn purge_scan_clients(&self, day: i64) -> Result<u64> {
        self.db
            .conn()
            .execute("DELETE FROM scan_clients WHERE day < $1", &params![day])
            .await
    }

    /// Counts a scan of a unit (once per client and day) and returns its
    /// scan record. A client already counted today costs one read and no
    /// write; a new one, one indexed insert more than the count's update.
    async fn count_scan(
        &self,
        epc: &str,
        owner: Option<Uuid>,
        scan: Scan,
        threshold: i64,
    ) -> Result<PublicScans> {
        let now = now_ms();
        let row = match scan {
            Scan::By(addr) => {
                let day = now.div_euclid(SCAN_PERIOD_MS);
                if SCAN_CLIENTS_PURGED.fetch_max(day, Ordering::Relaxed) < day {
                    self.purge_scan_clients(day).await?;
                }
                let client = self.scan_client_key(addr, day);
                let seen = self
                    .db
                    .conn()
                    .fetch_optional(
                        "SELECT s.first_scan, s.count, CAST(CASE WHEN EXISTS (SELECT 1 FROM scan_clients c \
                         WHERE c.unit_key = $1 AND c.client_key = $2 AND c.day = $3) THEN 1 ELSE 0 END AS BIGINT) \
                         AS seen FROM (SELECT 1 AS one) x LEFT JOIN scans s ON s.unit_key = $1",
                        &params![epc, client.as_str(), day],
                    )
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("a one-row query answered no row".into()))?;
                if seen.int("seen")? == 1 {
                    seen.opt_int("count")?.zip(seen.opt_int("first_scan")?)
                } else {
                    self.count_new_client(epc, owner, &client, day, now).await?
                }
            }
            Scan::NotCounted => self.scan_counts(epc).await?,
        };
        let (count, first_scan) = row.unwrap_or((0, now));
        Ok(PublicScans {
            count,
            first_scan: ts(first_scan),
            suspicious: count > threshold,
        })
    }

    /// Records a client's first scan of a unit today and counts it (unless
    /// a request of the same client got there first); answers the count and
    /// the first scan's time; an item's scan is added to its owner's totals
    /// (`scan_totals`). No transaction: measured on SQLite, one around the
    /// statements made every new client's scan slower, and a failure between
    /// them loses one count, nothing else.
    async fn count_new_client(
        &self,
        epc: &str,
        owner: Option<Uuid>,
        client: &str,
        day: i64,
        now: i64,
    ) -> Result<Option<(i64, i64)>> {
        let inserted = self
            .db
            .conn()
            .execute(
                "INSERT INTO scan_clients (unit_key, client_key, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &params![epc, client, day],
            )
            .await?;
        if inserted == 0 {
            return self.scan_counts(epc).await;
        }
        let counted = self
            .db
            .conn()
            .fetch_optional(
                "INSERT INTO scans (unit_key, first_scan, last_scan, count) VALUES ($1, $2, $2, 1) \
                 ON CONFLICT (unit_key) DO UPDATE SET count = scans.count + 1, last_scan = $2 \
                 RETURNING first_scan, count",
                &params![epc, now],
            )
            .await?
            .map(|r| Ok::<_, StoreError>((r.int("count")?, r.int("first_scan")?)))
            .transpose()?;
        if let (Some(owner), Some((count, _))) = (owner, counted) {
            // The item's first scan ever makes it a scanned item.
            let first = i64::from(count == 1);
            self.db
                .conn()
                .execute(
                    "INSERT INTO scan_totals (org_id, scanned_items, scans) VALUES ($1, $2, 1) \
                     ON CONFLICT (org_id) DO UPDATE SET scanned_items = scan_totals.scanned_items + $2, \
                     scans = scan_totals.scans + 1",
                    &params![owner, first],
                )
                .await?;
        }
        Ok(counted)
    }

    /// A unit's scan count and first scan's time, if it was ever scanned.
    async fn scan_counts(&self, epc: &str) -> Result<Option<(i64, i64)>> {
        self.db
            .conn()
            .fetch_optional(
                "SELECT first_scan, count FROM scans WHERE unit_key = $1",
                &params![epc],
            )
            .await?
            .map(|r| Ok((r.int("count")?, r.int("first_scan")?)))
            .transpose()
    }

    /// The public view of a unit (canonical identifier); not found when the
    /// platform does not know it. Counts the scan, if `scan` is one; more
    /// than `scan_threshold` marks the scans suspicious.
    pub async fn public_trace(&self, epc: &str, scan: Scan, scan_threshold: i64) -> Result<PublicTrace> {
        let unit: Unit = self
            .find_unit(epc)
            .await?
            .ok_or(StoreError::NotFound { what: "unit" })?;
        // An item's scans count for its owner's dashboard too.
        let owner = (unit.kind == "item").then_some(unit.owner_org_id);
        let scans = self.count_scan(epc, owner, scan, scan_threshold).await?;
        let product = match &unit.gtin {
            Some(g) => self
                .db
                .conn()
                .fetch_optional(
                    "SELECT id, org_id, name, category, variety, specification, shelf_life_days, origin FROM products WHERE gtin = $1",
                    &params![g.as_str()],
                )
                .await?,
            None => None,
        };
        let mut public_product = None;
        let mut producer = None;
        if let Some(p) = &product {
            let certs = self
                .db
                .conn()
                .fetch_all(
                    "SELECT kind, number, issuer, valid_from, valid_until FROM certifications WHERE product_id = $1 ORDER BY id",
                    &params![p.text("id")?],
                )
                .await?;
            let gtin_verified = match &unit.gtin {
                Some(g) => {
                    self.verified_prefix_owner(g.get(1..).unwrap_or("")).await? == Some(p.uuid("org_id")?)
                }
                None => false,
            };
            public_product = Some(PublicProduct {
                gtin_verified,
                name: p.text("name")?,
                category: p.text("category")?,
                variety: p.opt_text("variety")?,
                specification: p.opt_text("specification")?,
                shelf_life_days: p.opt_int("shelf_life_days")?,
                origin: p.opt_text("origin")?,
                certifications: certs
                    .iter()
                    .map(|c| {
                        Ok(Certification {
                            kind: suyuan_core::model::CertificationKind::parse(&c.text("kind")?)
                                .map_err(|e| StoreError::Corrupt(e.en))?,
                            number: c.text("number")?,
                            issuer: c.opt_text("issuer")?,
                            valid_from: c.text("valid_from")?,
                            valid_until: c.text("valid_until")?,
                        })
                    })
                    .collect::<Result<_>>()?,
            });
            if let Some(o) = self
                .db
                .conn()
                .fetch_optional(
                    "SELECT name, kind, status, region FROM organisations WHERE id = $1",
                    &params![p.text("org_id")?],
                )
                .await?
            {
                producer = Some(PublicProducer {
                    name: o.text("name")?,
                    kind: o.text("kind")?,
                    verified: o.text("status")? == "verified",
                    region: o.text("region")?,
                });
            }
        }

        let mut report = self.trace_unchecked(epc, Direction::Back, 50).await?;
        // What happened to the cases and pallets it travelled in belongs to
        // its story too (shipping, receiving).
        let own: Vec<String> = report.units.iter().map(|u| u.reached.epc.clone()).collect();
        let containers = self.containers_of(&own).await?;
        if !containers.is_empty() {
            let known: std::collections::BTreeSet<String> =
                report.events.iter().map(|e| e.event_id.clone()).collect();
            for e in self.events_naming(&containers).await? {
                if !known.contains(&e.event_id) {
                    report.events.push(e);
                }
            }
            report.events.sort_by_key(|e| e.event_time);
        }
        // The origin plot, if the trace reached one we know.
        let mut origin = None;
        for r in report
            .units
            .iter()
            .filter(|u| u.reached.relation.as_deref() == Some(relation::GROWN_ON))
        {
            if let Some(place) = self.place_by_uri(&r.reached.epc).await? {
                origin = Some(PublicPlace::from(place));
                break;
            }
        }
        // Documents of the events, for their public fields.
        let ids: Vec<String> = report.events.iter().map(|e| e.event_id.clone()).collect();
        let mut docs: BTreeMap<String, (Value, String, bool)> = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let ps: Vec<Val> = chunk.iter().map(|s| super::event_key(s).into()).collect();
            let holders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT e.event_id, e.document, o.name, o.status FROM events e JOIN organisations o ON o.id = e.org_id \
                 WHERE e.is_error_declaration = FALSE AND e.event_key IN ({})",
                holders.join(",")
            );
            // Another event sharing a key is kept under its own eventID,
            // which the timeline never asks for.
            for r in self.db.conn().fetch_all(&sql, &ps).await? {
                let doc = serde_json::from_str(&r.text("document")?).unwrap_or(Value::Null);
                let suspended = r.text("status")? == "suspended";
                docs.insert(r.text("event_id")?, (doc, r.text("name")?, suspended));
            }
        }
        let mut place_names: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut timeline = Vec::new();
        for e in &report.events {
            let (doc, org_name, organisation_suspended) =
                docs.get(&e.event_id)
                    .cloned()
                    .unwrap_or((Value::Null, String::new(), false));
            // Named by the report already; events of containers added here
            // are looked up once per place.
            let place = match &e.biz_location {
                Some(_) if e.place_name.is_some() => e.place_name.clone(),
                Some(uri) => {
                    if !place_names.contains_key(uri) {
                        let name = self.place_by_uri(uri).await?.map(|p| p.name);
                        place_names.insert(uri.clone(), name);
                    }
                    place_names.get(uri).cloned().flatten()
                }
                None => None,
            };
            let stage = e.stage.as_deref().and_then(Stage::parse);
            let kind = e.record_kind.as_deref().and_then(RecordKind::parse);
            timeline.push(PublicEvent {
                time: e.event_time,
                time_zone_offset: doc
                    .get("eventTimeZoneOffset")
                    .and_then(Value::as_str)
                    .unwrap_or("+00:00")
                    .to_owned(),
                stage: stage.map(|s| s.as_str().to_owned()),
                stage_zh: stage.map(|s| s.zh().to_owned()),
                kind: kind.map(|k| k.as_str().to_owned()).or_else(|| e.biz_step.clone()),
                kind_zh: kind.map(|k| k.zh().to_owned()).or_else(|| {
                    e.biz_step
                        .as_deref()
                        .and_then(suyuan_core::epcis::biz_step_name)
                        .map(|(zh, _)| zh.to_owned())
                }),
                organisation: (!org_name.is_empty()).then_some(org_name),
                organisation_suspended,
                place,
                fields: public_fields(&doc),
                corrected: e.corrected,
                event_id: e.event_id.clone(),
                log_index: e.log_index,
                in_checkpoint: false,
            });
        }
        let mut moves: Vec<(i64, Option<String>)> = Vec::new();
        // Attaching a logger to the unit (an AssociationEvent) moves nothing.
        for e in report
            .events
            .iter()
            .filter(|e| !e.corrected && e.event_type != suyuan_core::epcis::EventType::Association.as_str())
        {
            let vehicle = match (&e.biz_location, docs.get(&e.event_id)) {
                (None, Some((doc, _, _))) => self.vehicle_of(e.org_id, doc).await?,
                _ => None,
            };
            moves.push((
                e.event_time.timestamp_millis(),
                e.biz_location.clone().or(vehicle),
            ));
        }
        let now = crate::now_ms();
        let traced: Vec<String> = own.iter().chain(&containers).cloned().collect();
        let cold_chain = self
            .cold_chain(&crate::devices::coldchain::stays(&moves, now), &traced, now)
            .await?;
        let checkpoint = self.public_checkpoint().await?;
        if let Some(cp) = &checkpoint {
            for e in &mut timeline {
                e.in_checkpoint = e.log_index.is_some_and(|i| i < cp.tree_size);
            }
        }
        let recall = self.recall_of(epc).await?;
        let commitment_certificates = self
            .certificates_for(own.iter().chain(&containers).cloned().collect())
            .await?
            .into_iter()
            .map(|c| PublicCertificate {
                valid: c.is_valid(),
                number: c.number,
                issue_date: c.issue_date,
                committer_name: c.committer_name,
                basis: c.basis,
            })
            .collect();
        let (status, status_reason, status_reason_zh) = match &recall {
            Some(r) => (
                "recalled".to_owned(),
                Some(format!("recalled by {}: {}", r.by, r.reason)),
                Some(format!("{} 召回：{}", r.by, r.reason)),
            ),
            None => (
                unit.status.clone(),
                unit.status_reason.clone(),
                unit.status_reason_zh.clone(),
            ),
        };
        Ok(PublicTrace {
            kind: unit.kind.clone(),
            gtin: unit.gtin.clone(),
            batch: unit.batch.clone(),
            serial: unit.serial.clone(),
            status,
            status_reason,
            status_reason_zh,
            product: public_product,
            producer,
            origin,
            timeline,
            checkpoint,
            scans,
            cold_chain,
            recall,
            commitment_certificates,
        })
    }

    /// The latest checkpoint and the number of witnesses that cosigned it.
    async fn public_checkpoint(&self) -> Result<Option<PublicCheckpoint>> {
        let Some(cp) = self
            .db
            .conn()
            .fetch_optional(
                "SELECT size, created_at FROM tlog_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .await?
        else {
            return Ok(None);
        };
        let size = cp.int("size")?;
        let witnesses = self
            .db
            .conn()
            .fetch_optional(
                "SELECT COUNT(*) AS n FROM tlog_cosignatures WHERE size = $1",
                &params![size],
            )
            .await?
            .map(|r| r.int("n"))
            .transpose()?
            .unwrap_or(0);
        Ok(Some(PublicCheckpoint {
            tree_size: size,
            created_at: ts(cp.int("created_at")?),
            witnesses,
        }))
    }

    /// A place named in events: `urn:suyuan:place:{uuid}` or a GLN Digital Link.
    pub async fn place_by_uri(&self, uri: &str) -> Result<Option<Place>> {
        let id = if let Some(id) = uri.strip_prefix(super::capture::PLACE_URN_PREFIX) {
            Uuid::parse_str(id).ok()
        } else if let Some(gln) = uri
            .split("/414/")
            .nth(1)
            .map(|s| s.split('/').next().unwrap_or(s))
        {
            self.db
                .conn()
                .fetch_optional("SELECT id FROM places WHERE gln = $1", &params![gln])
                .await?
                .map(|r| r.uuid("id"))
                .transpose()?
        } else {
            None
        };
        match id {
            Some(id) => self.place_unscoped(id).await,
            None => Ok(None),
        }
    }
}
