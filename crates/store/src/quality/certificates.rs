//! 承诺达标合格证 issued from the trace (`certificates`, logged records):
//! for a lot the issuer holds (一批一证) or a shipment it despatched (一车一证).
//!
//! Everything printed comes from master data and the trace: the product's
//! registered name, the lot's plot (or the issuer's registered address) as
//! the origin, the issuer's registered name, credit code and contact. The
//! quantity may not exceed what the trace recorded for the lot less what
//! earlier valid certificates of it cover. A non-conformant lot gets none,
//! and a test basis needs the passing test it names ([`supporting_test`]).
//! A certificate of a lot made of certified lots (a split, a merge, a
//! packing) names their certificates, and those the issuer recorded as
//! received with a shipment, as its parents.
//!
//! Certificates are never changed or deleted: a void (作废) is a logged
//! record of its own (`certificate_voids`).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;
use suyuan_core::model::CertificateBasis;
use suyuan_core::quality::certificate::{self as rules, Style, TestOnRecord};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{placeholders, Row, Val};
use crate::master_log::RecordKind;
use crate::trace::lineage::Direction;
use crate::{new_id, now_ms, params, Caller, Result, Store, StoreError};

/// A request to issue a certificate.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// The canonical identifier of a lot, or a despatch reference.
    pub subject: String,
    pub quantity: f64,
    pub unit: String,
    pub basis: String,
}

/// A certificate as issued, with its void if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub id: Uuid,
    pub number: String,
    pub org_id: Uuid,
    /// `lot` or `shipment`.
    pub subject_kind: String,
    /// The lot's canonical identifier or the despatch reference.
    pub subject: String,
    /// `producer` or `buyer`.
    pub style: String,
    pub basis: String,
    /// The testing event the basis rests on.
    pub test_event: Option<String>,
    pub product_name: String,
    pub quantity: f64,
    pub unit: String,
    pub origin: String,
    pub committer_name: String,
    /// The committer's unified social credit code.
    pub committer_code: String,
    pub committer_contact: String,
    /// YYYY-MM-DD (China time).
    pub issue_date: String,
    /// The numbers of the certificates of the lots it was made of or bought as.
    pub parents: Vec<String>,
    pub created_at: i64,
    /// When voided: why and when.
    pub void_reason: Option<String>,
    pub voided_at: Option<i64>,
}

impl Certificate {
    pub fn is_valid(&self) -> bool {
        self.void_reason.is_none()
    }

    pub fn basis_zh(&self) -> &'static str {
        CertificateBasis::parse(&self.basis).map_or("", |b| b.zh())
    }

    pub fn style(&self) -> Style {
        Style::parse(&self.style).unwrap_or(Style::Producer)
    }
}

const CERT_COLUMNS: &str =
    "c.id, c.number, c.org_id, c.subject_kind, c.subject, c.style, c.basis, c.test_event, \
    c.product_name, c.quantity, c.unit, c.origin, c.committer_name, c.committer_code, c.committer_contact, \
    c.issue_date, c.parents, c.created_at, v.reason AS void_reason, v.created_at AS voided_at";
const CERT_FROM: &str = "certificates c LEFT JOIN certificate_voids v ON v.certificate_id = c.id";

fn decode(r: &Row) -> Result<Certificate> {
    Ok(Certificate {
        id: r.uuid("id")?,
        number: r.text("number")?,
        org_id: r.uuid("org_id")?,
        subject_kind: r.text("subject_kind")?,
        subject: r.text("subject")?,
        style: r.text("style")?,
        basis: r.text("basis")?,
        test_event: r.opt_text("test_event")?,
        product_name: r.text("product_name")?,
        quantity: r.float("quantity")?,
        unit: r.text("unit")?,
        origin: r.text("origin")?,
        committer_name: r.text("committer_name")?,
        committer_code: r.text("committer_code")?,
        committer_contact: r.text("committer_contact")?,
        issue_date: r.text("issue_date")?,
        parents: serde_json::from_str(&r.text("parents")?).unwrap_or_default(),
        created_at: r.int("created_at")?,
        void_reason: r.opt_text("void_reason")?,
        voided_at: r.opt_int("voided_at")?,
    })
}

/// What a certificate certifies, as found.
struct Subject {
    kind: &'static str,
    key: String,
    /// The units it covers.
    units: Vec<String>,
    /// The product (GTIN) of the first unit with one.
    gtin: Option<String>,
    origin_place: Option<String>,
}

fn invalid(field: &str, code: &'static str, en: String, zh: String) -> StoreError {
    StoreError::invalid(field, Invalid::new(code, en, zh))
}

/// A SQL condition: `despatch_ref` is `$n` as stored (the bizTransaction
/// URI) or ends in `:$n` (the reference as printed on the despatch advice).
fn despatch_is(n: usize) -> String {
    format!(
        "(despatch_ref = ${n} OR (length(despatch_ref) > length(${n}) \
         AND substr(despatch_ref, length(despatch_ref) - length(${n})) = ':' || ${n}))"
    )
}

/// The text of `agri:conclusion` in an event document.
fn conclusion(document: &str) -> Option<String> {
    let doc: Value = serde_json::from_str(document).ok()?;
    let obj = doc.as_object()?;
    obj.get("agri:conclusion")
        .or_else(|| obj.get(&format!("{}conclusion", suyuan_core::stages::AGRI_NS)))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl Store {
    /// Finds what `subject` names for `caller`: a lot it holds, or a
    /// shipment it despatched. Anything else is not found.
    async fn certificate_subject(&self, caller: &Caller, subject: &str) -> Result<Subject> {
        let mut conn = self.db.conn();
        if let Some(u) = conn
            .fetch_optional(
                "SELECT epc, kind, gtin, origin_place, holder_org_id FROM units WHERE epc = $1",
                &params![subject],
            )
            .await?
        {
            if u.uuid("holder_org_id")? != caller.org_id {
                return Err(StoreError::NotFound { what: "lot" });
            }
            if u.text("kind")? != "lot" {
                return Err(invalid(
                    "code",
                    "certificate_subject",
                    "a certificate is issued for a lot (一批一证) or a shipment (一车一证), not for a single item or case".into(),
                    "合格证按批次（一批一证）或车次（一车一证）开具，不按单品或箱开具".into(),
                ));
            }
            return Ok(Subject {
                kind: "lot",
                key: u.text("epc")?,
                units: vec![u.text("epc")?],
                gtin: u.opt_text("gtin")?,
                origin_place: u.opt_text("origin_place")?,
            });
        }
        let shipment = conn
            .fetch_optional(
                &format!(
                    "SELECT despatch_ref, shipped_event FROM shipments WHERE {} AND from_org_id = $2",
                    despatch_is(1)
                ),
                &params![subject, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "lot" })?;
        let rows = conn
            .fetch_all(
                "SELECT x.epc, u.gtin, u.origin_place FROM event_epcs x LEFT JOIN units u ON u.epc = x.epc \
                 WHERE x.event_pk = $1 AND x.role IN ('epc', 'quantity', 'parent') ORDER BY x.epc",
                &params![shipment.text("shipped_event")?],
            )
            .await?;
        let mut units = Vec::new();
        let (mut gtin, mut origin_place) = (None, None);
        for r in &rows {
            units.push(r.text("epc")?);
            gtin = gtin.or(r.opt_text("gtin")?);
            origin_place = origin_place.or(r.opt_text("origin_place")?);
        }
        if gtin.is_none() {
            // A shipment of cases: the product of what they hold.
            let up = self.walk_lineage(&units[0], Direction::Back, 5).await?;
            let keys: Vec<String> = up.into_iter().map(|r| r.epc).collect();
            self.for_rows_in(
                "SELECT gtin, origin_place FROM units WHERE gtin IS NOT NULL AND epc",
                &keys,
                |r| {
                    gtin = gtin.clone().or(r.opt_text("gtin")?);
                    origin_place = origin_place.clone().or(r.opt_text("origin_place")?);
                    Ok(())
                },
            )
            .await?;
        }
        Ok(Subject {
            kind: "shipment",
            key: shipment.text("despatch_ref")?,
            units,
            gtin,
            origin_place,
        })
    }

    /// The units `units` are made of or packed from, and themselves.
    async fn with_upstream(&self, units: &[String]) -> Result<BTreeSet<String>> {
        let mut all: BTreeSet<String> = units.iter().cloned().collect();
        for u in units.iter().take(200) {
            for r in self.walk_lineage(u, Direction::Back, 20).await? {
                all.insert(r.epc);
            }
        }
        Ok(all)
    }

    /// Issues a certificate (see the module doc for the rules).
    pub async fn issue_certificate(&self, caller: &Caller, new: &NewCertificate) -> Result<Certificate> {
        caller.require_verified_recorder()?;
        let style = Style::of(caller.org_kind).map_err(|i| StoreError::forbidden(i.code, i.en, i.zh))?;
        let basis = CertificateBasis::parse(&new.basis).map_err(|i| StoreError::invalid("basis", i))?;
        let (quantity, unit) = rules::quantity(new.quantity, &new.unit).map_err(|i| {
            let field = if i.code == "quantity_range" {
                "quantity"
            } else {
                "unit"
            };
            StoreError::invalid(field, i)
        })?;
        let subject = self.certificate_subject(caller, &new.subject).await?;

        // A non-conformant unit gets no certificate.
        let mut bad: Option<(String, String)> = None;
        self.for_rows_in(
            "SELECT status_reason, status_reason_zh FROM units WHERE status <> 'active' AND epc",
            &subject.units,
            |r| {
                bad = bad.clone().or(Some((
                    r.opt_text("status_reason")?.unwrap_or_default(),
                    r.opt_text("status_reason_zh")?.unwrap_or_default(),
                )));
                Ok(())
            },
        )
        .await?;
        if let Some((en, zh)) = bad {
            return Err(invalid(
                "code",
                "lot_non_conformant",
                format!("no certificate for a non-conformant lot: {en}"),
                format!("不合格批次不能开具承诺达标合格证：{zh}"),
            ));
        }

        // The tests the trace holds, oldest first.
        let upstream: Vec<String> = self.with_upstream(&subject.units).await?.into_iter().collect();
        let mut tests: Vec<(i64, TestOnRecord)> = Vec::new();
        self.for_rows_in(
            "SELECT DISTINCT e.event_id, e.org_id, e.event_time, e.document FROM events e \
             JOIN event_epcs x ON x.event_pk = e.id WHERE e.record_kind = 'testing' \
             AND e.corrected_by IS NULL AND e.is_error_declaration = FALSE AND x.epc",
            &upstream,
            |r| {
                tests.push((
                    r.int("event_time")?,
                    TestOnRecord {
                        event_id: r.text("event_id")?,
                        by_issuer: r.uuid("org_id")? == caller.org_id,
                        passed: conclusion(&r.text("document")?).as_deref() == Some("pass"),
                    },
                ));
                Ok(())
            },
        )
        .await?;
        tests.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.event_id.cmp(&b.1.event_id)));
        let tests: Vec<TestOnRecord> = tests.into_iter().map(|t| t.1).collect();
        let test_event =
            rules::supporting_test(basis, &tests).map_err(|i| StoreError::invalid("basis", i))?;

        let mut conn = self.db.conn();
        let org = conn
            .fetch_optional(
                "SELECT name, uscc, region, address, contact_phone FROM organisations WHERE id = $1",
                &params![caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "organisation" })?;
        let product_name = match &subject.gtin {
            Some(g) => conn
                .fetch_optional(
                    "SELECT name FROM products WHERE gtin = $1 ORDER BY created_at LIMIT 1",
                    &params![g.as_str()],
                )
                .await?
                .map(|r| r.text("name"))
                .transpose()?,
            None => None,
        }
        .ok_or_else(|| {
            invalid(
                "code",
                "product_unregistered",
                "the product of this lot is not registered: register it (its GTIN) first".into(),
                "该批次的产品未登记，请先登记产品（GTIN）".into(),
            )
        })?;
        let origin = self
            .certificate_origin(subject.origin_place.as_deref(), &org)
            .await?;
        let parents = self
            .parent_certificates(caller.org_id, &upstream, &subject.key)
            .await?;

        let mut tx = self.db.begin().await?;
        if subject.kind == "lot" {
            self.check_certified_quantity(&mut tx, &subject.key, quantity, unit)
                .await?;
        }
        let now = now_ms();
        let date = suyuan_core::quality::recall::china_date(now);
        let issue_date = date.format("%Y-%m-%d").to_string();
        let id = new_id();
        let number = rules::number(&date.format("%Y%m%d").to_string(), rand::random::<u64>());
        tx.execute(
            "INSERT INTO certificates (id, number, org_id, subject_kind, subject, style, basis, test_event, \
             product_name, quantity, unit, origin, committer_name, committer_code, committer_contact, issue_date, \
             parents, issued_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)",
            &params![
                id,
                number.as_str(),
                caller.org_id,
                subject.kind,
                subject.key.as_str(),
                style.as_str(),
                basis.as_str(),
                test_event,
                product_name,
                quantity,
                unit.as_str(),
                origin,
                org.text("name")?,
                org.text("uscc")?,
                org.opt_text("contact_phone")?.unwrap_or_default(),
                issue_date,
                serde_json::to_string(&parents).unwrap_or_else(|_| "[]".into()),
                caller.user_id,
                now
            ],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::Certificate, id, None)
            .await?;
        tx.commit().await?;
        tracing::info!(%number, subject = %subject.key, "certificate issued");
        self.certificate(&number)
            .await?
            .ok_or(StoreError::NotFound { what: "certificate" })
    }

    /// Refuses a quantity that, with the lot's earlier valid certificates,
    /// exceeds the mass the trace recorded for the lot (when it recorded one).
    async fn check_certified_quantity(
        &self,
        tx: &mut crate::db::Tx,
        lot: &str,
        quantity: f64,
        unit: suyuan_core::model::QuantityUnit,
    ) -> Result<()> {
        let Some(kg) = rules::in_kg(quantity, unit) else {
            return Ok(());
        };
        let mut recorded: Option<f64> = None;
        for r in tx
            .fetch_all(
                "SELECT x.quantity, x.uom FROM event_epcs x JOIN events e ON e.id = x.event_pk \
                 WHERE x.epc = $1 AND x.quantity IS NOT NULL AND e.corrected_by IS NULL \
                 AND (e.record_kind = 'harvest' OR e.action = 'ADD' OR x.role = 'output_quantity')",
                &params![lot],
            )
            .await?
        {
            if let (Some(q), Some(per)) = (
                r.opt_float("quantity")?,
                r.opt_text("uom")?.as_deref().and_then(rules::uom_kg),
            ) {
                recorded = Some(recorded.unwrap_or(0.0).max(q * per));
            }
        }
        let Some(recorded) = recorded else {
            return Ok(());
        };
        let mut certified = 0.0;
        for r in tx
            .fetch_all(
                "SELECT c.quantity, c.unit FROM certificates c LEFT JOIN certificate_voids v ON v.certificate_id = c.id \
                 WHERE c.subject = $1 AND v.id IS NULL",
                &params![lot],
            )
            .await?
        {
            let u = suyuan_core::model::QuantityUnit::parse(&r.text("unit")?).map_err(|e| StoreError::Corrupt(e.en))?;
            certified += rules::in_kg(r.float("quantity")?, u).unwrap_or(0.0);
        }
        if certified + kg > recorded + 1e-6 {
            return Err(invalid(
                "quantity",
                "quantity_exceeds_lot",
                format!(
                    "the trace records {recorded} kg for this lot and earlier certificates cover {certified} kg: \
                     {kg} kg more is too much"
                ),
                format!("追溯记录该批次 {recorded} 千克，已开证 {certified} 千克，再开 {kg} 千克超出批次数量"),
            ));
        }
        Ok(())
    }

    /// The origin printed: the lot's plot (its address, or its name), or
    /// the issuer's registered address.
    async fn certificate_origin(&self, plot: Option<&str>, org: &Row) -> Result<String> {
        if let Some(uri) = plot {
            if let Some(place) = self.place_by_uri(uri).await? {
                return Ok(place.address.clone().unwrap_or_else(|| place.name.clone()));
            }
        }
        Ok(org.opt_text("address")?.unwrap_or_default())
    }

    /// The valid certificates of the lots `upstream` (other than the
    /// subject) and those the issuer received for them.
    async fn parent_certificates(
        &self,
        org: Uuid,
        upstream: &[String],
        subject: &str,
    ) -> Result<Vec<String>> {
        let mut tx = self.db.conn();
        let mut parents = BTreeSet::new();
        let keys: Vec<&String> = upstream.iter().filter(|u| u.as_str() != subject).collect();
        for chunk in keys.chunks(400) {
            let ps: Vec<Val> = chunk.iter().map(|s| Val::from(s.as_str())).collect();
            let sql = format!(
                "SELECT c.number FROM certificates c LEFT JOIN certificate_voids v ON v.certificate_id = c.id \
                 WHERE v.id IS NULL AND c.subject IN ({})",
                placeholders(1, chunk.len())
            );
            for r in tx.fetch_all(&sql, &ps).await? {
                parents.insert(r.text("number")?);
            }
        }
        // Received with a shipment that brought any of them.
        for r in tx
            .fetch_all(
                "SELECT r.number, s.shipped_event FROM certificate_receipts r JOIN shipments s ON s.despatch_ref = r.despatch_ref \
                 WHERE r.org_id = $1",
                &params![org],
            )
            .await?
        {
            let shipped: Vec<String> = tx
                .fetch_all(
                    "SELECT epc FROM event_epcs WHERE event_pk = $1",
                    &params![r.text("shipped_event")?],
                )
                .await?
                .iter()
                .map(|x| x.text("epc"))
                .collect::<Result<_>>()?;
            if shipped.iter().any(|e| upstream.contains(e)) {
                parents.insert(r.text("number")?);
            }
        }
        Ok(parents.into_iter().collect())
    }

    /// A certificate by its number (public: certificates are printed).
    pub async fn certificate(&self, number: &str) -> Result<Option<Certificate>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {CERT_COLUMNS} FROM {CERT_FROM} WHERE c.number = $1"),
                &params![number],
            )
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// The caller's organisation's certificates, newest first (officers:
    /// those of the organisations in their jurisdiction).
    pub async fn list_certificates(&self, caller: &Caller, limit: i64) -> Result<Vec<Certificate>> {
        let (scope, val) = caller.record_scope("c", 1);
        let rows = self
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {CERT_COLUMNS} FROM {CERT_FROM} WHERE {scope} ORDER BY c.created_at DESC, c.id LIMIT $2"
                ),
                &[val, limit.clamp(1, 1000).into()],
            )
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Voids one of the caller's organisation's certificates, with a reason.
    pub async fn void_certificate(&self, caller: &Caller, number: &str, reason: &str) -> Result<Certificate> {
        caller.require_verified_recorder()?;
        let reason = rules::void_reason(reason).map_err(|i| StoreError::invalid("reason", i))?;
        let cert = self
            .certificate(number)
            .await?
            .filter(|c| c.org_id == caller.org_id)
            .ok_or(StoreError::NotFound { what: "certificate" })?;
        if !cert.is_valid() {
            return Err(StoreError::conflict(
                "certificate_void",
                Some("number"),
                "this certificate is already void",
                "该合格证已作废",
            ));
        }
        let id = new_id();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO certificate_voids (id, certificate_id, org_id, reason, acting_user, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6)",
            &params![id, cert.id, caller.org_id, reason, caller.user_id, now_ms()],
        )
        .await
        .map_err(|e| e.on_duplicate("number", "this certificate is already void", "该合格证已作废"))?;
        self.log_record(&mut tx, caller.org_id, RecordKind::CertificateVoid, id, None)
            .await?;
        tx.commit().await?;
        self.certificate(number)
            .await?
            .ok_or(StoreError::NotFound { what: "certificate" })
    }

    /// Records a certificate the caller's organisation received with a
    /// shipment addressed to it (scanned or typed), for the chain of
    /// certificates. Returns the record's id.
    pub async fn receive_certificate(
        &self,
        caller: &Caller,
        number: &str,
        despatch_ref: &str,
    ) -> Result<Uuid> {
        caller.require_verified_recorder()?;
        let number = number.trim();
        if !rules::is_number(number) && !(4..=64).contains(&number.chars().count()) {
            return Err(invalid(
                "number",
                "certificate_number",
                "a certificate number has 4 to 64 characters".into(),
                "合格证编号应为 4 至 64 个字符".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        let despatch_ref = tx
            .fetch_optional(
                &format!(
                    "SELECT despatch_ref FROM shipments WHERE {} AND to_org_id = $2",
                    despatch_is(1)
                ),
                &params![despatch_ref, caller.org_id],
            )
            .await?
            .ok_or(StoreError::NotFound { what: "shipment" })?
            .text("despatch_ref")?;
        let known = tx
            .fetch_optional("SELECT id FROM certificates WHERE number = $1", &params![number])
            .await?
            .map(|r| r.text("id"))
            .transpose()?;
        let id = new_id();
        tx.execute(
            "INSERT INTO certificate_receipts (id, org_id, number, despatch_ref, certificate_id, acting_user, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
            &params![id, caller.org_id, number, despatch_ref, known, caller.user_id, now_ms()],
        )
        .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::CertificateReceipt, id, None)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The certificates that cover a unit: of the unit, of the lot or
    /// containers it belongs to, or of a shipment that carried any of them.
    pub async fn certificates_covering(&self, epc: &str) -> Result<Vec<Certificate>> {
        let mut keys: Vec<String> = vec![epc.to_owned()];
        for r in self.walk_lineage(epc, Direction::Back, 10).await? {
            keys.push(r.epc);
        }
        for r in self.walk_lineage(epc, Direction::Forward, 5).await? {
            keys.push(r.epc);
        }
        if let Some(r) = self
            .db
            .conn()
            .fetch_optional("SELECT lot_epc FROM units WHERE epc = $1", &params![epc])
            .await?
        {
            keys.extend(r.opt_text("lot_epc")?);
        }
        self.certificates_for(keys).await
    }

    /// The certificates whose subject is one of `keys` (a unit, its lot,
    /// what it was made of, its containers) or a shipment that carried one
    /// of them, newest first.
    pub async fn certificates_for(&self, mut keys: Vec<String>) -> Result<Vec<Certificate>> {
        keys.sort();
        keys.dedup();
        let mut subjects: BTreeSet<String> = BTreeSet::new();
        self.for_rows_in("SELECT subject FROM certificates WHERE subject", &keys, |r| {
            subjects.insert(r.text("subject")?);
            Ok(())
        })
        .await?;
        self.for_rows_in(
            "SELECT s.despatch_ref FROM shipments s JOIN event_epcs x ON x.event_pk = s.shipped_event WHERE x.epc",
            &keys,
            |r| {
                subjects.insert(r.text("despatch_ref")?);
                Ok(())
            },
        )
        .await?;
        let subjects: Vec<String> = subjects.into_iter().collect();
        let mut out = Vec::new();
        self.for_rows_in(
            &format!("SELECT {CERT_COLUMNS} FROM {CERT_FROM} WHERE c.subject"),
            &subjects,
            |r| {
                out.push(decode(r)?);
                Ok(())
            },
        )
        .await?;
        out.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        Ok(out)
    }
}
