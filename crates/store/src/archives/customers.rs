//! The archive of distributors and customers (R-4.3.3.2, 经销商和客户档案),
//! versioned (`archive_customers`). A counterparty on the platform is
//! named by its organisation (`party_org_id`): the shipments the
//! organisation despatched to it are listed with the entry
//! ([`Store::customer_shipments`]), and a shipment's addressee resolves to
//! its entry ([`Store::customers`] with `party`). A sale record names its
//! buyer by the entry (`agri:buyer`, checked at capture), and a wholesale
//! sale naming no buyer resolves to it by its destination party: both are
//! listed with the entry ([`Store::customer_sales`]).

use serde::Serialize;
use serde_json::Value;
use suyuan_core::archives::{self as rules, CustomerKind};
use suyuan_core::codes::Uscc;
use suyuan_core::refs::{customer_canonical, ORG_URN};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{current_only, NewVersion, Stamp, Versions};
use crate::db::Row;
use crate::master_log::RecordKind;
use crate::trace::capture::doc_agri;
use crate::{params, Caller, Page, PageRequest, Result, Store, StoreError};

/// A customer's version as written.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    /// `distributor` or `customer`.
    pub kind: String,
    pub name: String,
    pub uscc: Option<String>,
    /// The counterparty's organisation on the platform, if it is on it.
    pub party_org_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// A version of a customer or distributor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Customer {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub kind: String,
    pub kind_zh: String,
    pub name: String,
    pub uscc: Option<String>,
    pub party_org_id: Option<Uuid>,
    /// The counterparty organisation's registered name.
    pub party_name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
}

/// A shipment the organisation despatched to a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerShipment {
    pub despatch_ref: String,
    pub to_org_id: Uuid,
    /// The shipping record's eventID.
    pub shipped_event: String,
    pub shipped_at: i64,
    /// The receiving record's eventID, once received.
    pub received_event: Option<String>,
    pub received_at: Option<i64>,
}

/// A sale the organisation recorded to a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSale {
    /// The sale record's eventID.
    pub event_id: String,
    /// When it was sold (ms since the epoch).
    pub event_time: i64,
    /// `retail_selling`, or the wholesale step's URI.
    pub biz_step: Option<String>,
    /// The sales channel the record names.
    pub channel: Option<String>,
    /// What was sold.
    pub units: Vec<SoldUnit>,
    /// `buyer`: the record names the customer (`agri:buyer`);
    /// `destination`: a sale naming no buyer, to the customer's
    /// organisation on the platform.
    pub linked_by: String,
}

/// A unit or lot a sale names, with its quantity when counted by one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SoldUnit {
    pub epc: String,
    pub quantity: Option<f64>,
    pub uom: Option<String>,
}

/// How a stored sale record is linked to the customer `entry` (whose
/// organisation on the platform is `party`), if it is.
fn sale_link(doc: &Value, entry: &str, party: Option<&str>) -> Option<&'static str> {
    match doc_agri(doc, "buyer") {
        Some(b) if b == entry => Some("buyer"),
        Some(_) => None,
        None => {
            let party = party?;
            doc["destinationList"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| d["destination"].as_str() == Some(party))
                .then_some("destination")
        }
    }
}

fn sold_units(doc: &Value) -> Vec<SoldUnit> {
    let epcs = doc["epcList"].as_array().into_iter().flatten().map(|e| SoldUnit {
        epc: e.as_str().unwrap_or_default().to_owned(),
        quantity: None,
        uom: None,
    });
    let lots = doc["quantityList"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| SoldUnit {
            epc: q["epcClass"].as_str().unwrap_or_default().to_owned(),
            quantity: q["quantity"].as_f64(),
            uom: q["uom"].as_str().map(str::to_owned),
        });
    epcs.chain(lots).collect()
}

const SELECT: &str =
    "SELECT t.*, o.name AS party_name FROM archive_customers t LEFT JOIN organisations o ON o.id = t.party_org_id";

fn decode(r: &Row) -> Result<Customer> {
    let kind = r.text("kind")?;
    Ok(Customer {
        stamp: Stamp::of(r)?,
        kind_zh: CustomerKind::parse(&kind)
            .map(|k| k.zh())
            .unwrap_or_default()
            .into(),
        kind,
        name: r.text("name")?,
        uscc: r.opt_text("uscc")?,
        party_org_id: r.opt_uuid("party_org_id")?,
        party_name: r.opt_text("party_name")?,
        contact_name: r.opt_text("contact_name")?,
        contact_phone: r.opt_text("contact_phone")?,
        address: r.opt_text("address")?,
        note: r.opt_text("note")?,
    })
}

impl Store {
    /// Records a customer (`entry` `None`) or a new version of one.
    pub async fn record_customer(
        &self,
        caller: &Caller,
        entry: Option<Uuid>,
        new: &NewCustomer,
    ) -> Result<Versions<Customer>> {
        caller.require_verified_recorder()?;
        let f = |field: &'static str| move |e| StoreError::invalid(field, e);
        let kind = CustomerKind::parse(&new.kind).map_err(f("kind"))?;
        let name = rules::short(&new.name).map_err(f("name"))?;
        let uscc = match new.uscc.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(Uscc::parse(u).map_err(f("uscc"))?.as_str().to_owned()),
            None => None,
        };
        let contact_name = rules::opt_short(new.contact_name.as_deref()).map_err(f("contact_name"))?;
        let contact_phone = match new
            .contact_phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => Some(suyuan_core::fields::phone(p).map_err(f("contact_phone"))?),
            None => None,
        };
        let address = rules::opt_short(new.address.as_deref()).map_err(f("address"))?;
        let note = rules::opt_long(new.note.as_deref()).map_err(f("note"))?;
        let mut tx = self.db.begin().await?;
        if let Some(party) = new.party_org_id {
            tx.fetch_optional("SELECT id FROM organisations WHERE id = $1", &params![party])
                .await?
                .ok_or_else(|| {
                    StoreError::invalid(
                        "party_org_id",
                        suyuan_core::Invalid::new(
                            "reference_not_found",
                            "party_org_id: no such organisation on the platform",
                            "party_org_id：平台上没有该机构",
                        ),
                    )
                })?;
        }
        let (_, entry_id) = self
            .insert_version(
                &mut tx,
                NewVersion {
                    kind: RecordKind::ArchiveCustomer,
                    what: "customer",
                    entry,
                    columns: vec![
                        ("kind", kind.as_str().into()),
                        ("name", name.into()),
                        ("uscc", uscc.into()),
                        ("party_org_id", new.party_org_id.into()),
                        ("contact_name", contact_name.into()),
                        ("contact_phone", contact_phone.into()),
                        ("address", address.into()),
                        ("note", note.into()),
                    ],
                    caller,
                },
            )
            .await?;
        tx.commit().await?;
        self.customer(caller, entry_id).await
    }

    /// The current version of each customer the caller may read (with
    /// `org`, of that organisation only); with `party`, those naming that
    /// organisation (a shipment's addressee resolved to its entry).
    pub async fn customers(
        &self,
        caller: &Caller,
        org: Option<Uuid>,
        party: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = format!("{SELECT} WHERE {scope} AND {}", current_only("archive_customers"));
        let mut ps = vec![p];
        for (column, value) in [("t.org_id", org), ("t.party_org_id", party)] {
            if let Some(v) = value {
                ps.push(v.into());
                sql.push_str(&format!(" AND {column} = ${}", ps.len()));
            }
        }
        self.page(&sql, ps, page, decode).await
    }

    /// A customer with every version it had.
    pub async fn customer(&self, caller: &Caller, entry: Uuid) -> Result<Versions<Customer>> {
        self.versions(caller, "customer", SELECT, entry, decode).await
    }

    /// The shipments the customer's organisation despatched to it, newest
    /// first (none when it is not on the platform).
    pub async fn customer_shipments(&self, caller: &Caller, entry: Uuid) -> Result<Vec<CustomerShipment>> {
        let c = self.customer(caller, entry).await?.current;
        let Some(party) = c.party_org_id else {
            return Ok(Vec::new());
        };
        self.db
            .conn()
            .fetch_all(
                "SELECT * FROM shipments WHERE from_org_id = $1 AND to_org_id = $2 \
                 ORDER BY shipped_at DESC, despatch_ref LIMIT 500",
                &params![c.stamp.org_id, party],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(CustomerShipment {
                    despatch_ref: r.text("despatch_ref")?,
                    to_org_id: r.uuid("to_org_id")?,
                    shipped_event: r.text("shipped_event")?,
                    shipped_at: r.int("shipped_at")?,
                    received_event: r.opt_text("received_event")?,
                    received_at: r.opt_int("received_at")?,
                })
            })
            .collect()
    }

    /// The sales the customer's organisation recorded to it, newest first:
    /// those naming it as their buyer, and those naming no buyer whose
    /// destination is its organisation on the platform.
    pub async fn customer_sales(&self, caller: &Caller, entry: Uuid) -> Result<Vec<CustomerSale>> {
        let c = self.customer(caller, entry).await?.current;
        let named = customer_canonical(entry);
        let party = c.party_org_id.map(|p| format!("{ORG_URN}{p}"));
        let like = |s: &str| format!("%{s}%");
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT event_id, event_time, biz_step, document FROM events \
                 WHERE org_id = $1 AND record_kind = 'sale' AND is_error_declaration = FALSE \
                 AND corrected_by IS NULL AND (document LIKE $2 OR document LIKE $3) \
                 ORDER BY event_time DESC, event_id LIMIT 500",
                &params![
                    c.stamp.org_id,
                    like(&named),
                    like(party.as_deref().unwrap_or(&named))
                ],
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let doc: Value = serde_json::from_str(&r.text("document")?)
                .map_err(|e| StoreError::Corrupt(format!("event document: {e}")))?;
            let Some(link) = sale_link(&doc, &named, party.as_deref()) else {
                continue;
            };
            out.push(CustomerSale {
                event_id: r.text("event_id")?,
                event_time: r.int("event_time")?,
                biz_step: r.opt_text("biz_step")?,
                channel: doc_agri(&doc, "channel"),
                units: sold_units(&doc),
                linked_by: link.to_owned(),
            });
        }
        Ok(out)
    }
}
