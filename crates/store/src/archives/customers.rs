//! The archive of distributors and customers (R-4.3.3.2, 经销商和客户档案),
//! versioned (`archive_customers`). A counterparty on the platform is
//! named by its organisation (`party_org_id`): the shipments the
//! organisation despatched to it are listed with the entry
//! ([`Store::customer_shipments`]), and a shipment's addressee resolves to
//! its entry ([`Store::customers`] with `party`).

use serde::Serialize;
use suyuan_core::archives::{self as rules, CustomerKind};
use suyuan_core::codes::Uscc;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{current_only, NewVersion, Stamp, Versions};
use crate::db::Row;
use crate::master_log::RecordKind;
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

    /// The current version of each customer the caller may read; with
    /// `party`, those naming that organisation (a shipment's addressee
    /// resolved to its entry).
    pub async fn customers(
        &self,
        caller: &Caller,
        party: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        let (scope, p) = caller.record_scope("t", 1);
        let mut sql = format!("{SELECT} WHERE {scope} AND {}", current_only("archive_customers"));
        let mut ps = vec![p];
        if let Some(party) = party {
            ps.push(party.into());
            sql.push_str(" AND t.party_org_id = $2");
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
}
