//! Suppliers, agricultural inputs and their purchase and storage records
//! (R-4.3.3.1).
//!
//! A pesticide must carry its registration number and its pre-harvest
//! interval in days: the field-work events of the traceability core check
//! harvests against it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::Uscc;
use suyuan_core::fields::{int_range, iso_date, opt_text, phone, positive, text};
use suyuan_core::model::{parse_pesticide_registration, InputKind, PlaceKind};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Val};
use crate::master_log::{ClientSignature, RecordKind};
use crate::master_versions::{insert_entry, require_active, History};
use crate::orgs::ts;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// A request to add a supplier to the archive.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplier {
    pub name: String,
    /// Unified social credit code, if the supplier has one.
    pub uscc: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    /// Business licence, e.g. a pesticide operation licence number.
    pub licence_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Supplier {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub uscc: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub licence_number: Option<String>,
    pub created_at: DateTime<Utc>,
    /// False once deactivated: named by no new purchase, hidden from lists.
    pub active: bool,
}

/// A request to add an input (seed, fertiliser, pesticide …).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInput {
    pub kind: InputKind,
    pub name: String,
    pub manufacturer: Option<String>,
    /// Pesticides: the registration number, e.g. PD20080005 (required).
    pub registration_number: Option<String>,
    pub active_ingredient: Option<String>,
    /// Pesticides: days from the last application to harvest (required).
    pub pre_harvest_interval_days: Option<i64>,
    pub specification: Option<String>,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Input {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: InputKind,
    pub name: String,
    pub manufacturer: Option<String>,
    pub registration_number: Option<String>,
    pub active_ingredient: Option<String>,
    pub pre_harvest_interval_days: Option<i64>,
    pub specification: Option<String>,
    pub unit: String,
    pub created_at: DateTime<Utc>,
    /// False once deactivated: named by no new record, hidden from lists.
    pub active: bool,
}

/// A purchase of an input lot and where it is stored.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchase {
    pub input_id: Uuid,
    pub supplier_id: Uuid,
    /// The manufacturer's lot number of what was bought.
    pub lot_number: String,
    pub quantity: f64,
    pub unit: String,
    /// `YYYY-MM-DD`
    pub purchased_on: String,
    /// A warehouse of the organisation where the input is kept.
    pub storage_place_id: Option<Uuid>,
    pub storage_conditions: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Purchase {
    pub id: Uuid,
    pub org_id: Uuid,
    pub input_id: Uuid,
    pub supplier_id: Uuid,
    pub lot_number: String,
    pub quantity: f64,
    pub unit: String,
    pub purchased_on: String,
    pub storage_place_id: Option<Uuid>,
    pub storage_conditions: Option<String>,
    pub created_at: DateTime<Utc>,
}

const SUPPLIER_COLUMNS: &str =
    "t.id, t.org_id, t.name, t.uscc, t.contact_name, t.contact_phone, t.address, t.licence_number, t.created_at, t.active";
const INPUT_COLUMNS: &str = "t.id, t.org_id, t.kind, t.name, t.manufacturer, t.registration_number, \
    t.active_ingredient, t.pre_harvest_interval_days, t.specification, t.unit, t.created_at, t.active";
const PURCHASE_COLUMNS: &str =
    "t.id, t.org_id, t.input_id, t.supplier_id, t.lot_number, t.quantity, t.unit, \
    t.purchased_on, t.storage_place_id, t.storage_conditions, t.created_at";

fn decode_supplier(r: &Row) -> Result<Supplier> {
    Ok(Supplier {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        name: r.text("name")?,
        uscc: r.opt_text("uscc")?,
        contact_name: r.opt_text("contact_name")?,
        contact_phone: r.opt_text("contact_phone")?,
        address: r.opt_text("address")?,
        licence_number: r.opt_text("licence_number")?,
        created_at: ts(r.int("created_at")?),
        active: r.bool("active")?,
    })
}

fn decode_input(r: &Row) -> Result<Input> {
    Ok(Input {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        kind: InputKind::parse(&r.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        name: r.text("name")?,
        manufacturer: r.opt_text("manufacturer")?,
        registration_number: r.opt_text("registration_number")?,
        active_ingredient: r.opt_text("active_ingredient")?,
        pre_harvest_interval_days: r.opt_int("pre_harvest_interval_days")?,
        specification: r.opt_text("specification")?,
        unit: r.text("unit")?,
        created_at: ts(r.int("created_at")?),
        active: r.bool("active")?,
    })
}

fn decode_purchase(r: &Row) -> Result<Purchase> {
    Ok(Purchase {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        input_id: r.uuid("input_id")?,
        supplier_id: r.uuid("supplier_id")?,
        lot_number: r.text("lot_number")?,
        quantity: r.float("quantity")?,
        unit: r.text("unit")?,
        purchased_on: r.text("purchased_on")?,
        storage_place_id: r.opt_uuid("storage_place_id")?,
        storage_conditions: r.opt_text("storage_conditions")?,
        created_at: ts(r.int("created_at")?),
    })
}

/// A supplier's content checked as the rules say, as the columns to store.
fn checked_supplier(new: &NewSupplier) -> Result<Vec<(&'static str, Val)>> {
    // A supplier's credit code must be well formed; a checksum failure is
    // kept (the pilot-area case) since suppliers are not verified here.
    let uscc = new
        .uscc
        .as_deref()
        .map(|u| field("uscc", Uscc::parse(u)))
        .transpose()?;
    Ok(vec![
        ("name", field("name", text(&new.name, 100))?.into()),
        ("uscc", uscc.as_ref().map(|u| u.as_str()).into()),
        (
            "contact_name",
            field("contact_name", opt_text(new.contact_name.as_deref(), 50))?.into(),
        ),
        (
            "contact_phone",
            new.contact_phone
                .as_deref()
                .map(|p| field("contact_phone", phone(p)))
                .transpose()?
                .into(),
        ),
        (
            "address",
            field("address", opt_text(new.address.as_deref(), 200))?.into(),
        ),
        (
            "licence_number",
            field("licence_number", opt_text(new.licence_number.as_deref(), 50))?.into(),
        ),
    ])
}

/// An input's content checked as the rules say, as the columns to store.
fn checked_input(new: &NewInput) -> Result<Vec<(&'static str, Val)>> {
    let (registration, phi) = if new.kind == InputKind::Pesticide {
        let reg = new.registration_number.as_deref().ok_or_else(|| {
            StoreError::invalid(
                "registration_number",
                Invalid::new(
                    "registration_required",
                    "a pesticide needs its registration number",
                    "农药须填写农药登记证号",
                ),
            )
        })?;
        let phi = new.pre_harvest_interval_days.ok_or_else(|| {
            StoreError::invalid(
                "pre_harvest_interval_days",
                Invalid::new(
                    "phi_required",
                    "a pesticide needs its pre-harvest interval in days",
                    "农药须填写安全间隔期（天）",
                ),
            )
        })?;
        (
            Some(field("registration_number", parse_pesticide_registration(reg))?),
            Some(field("pre_harvest_interval_days", int_range(phi, 0, 365))?),
        )
    } else {
        (
            field(
                "registration_number",
                opt_text(new.registration_number.as_deref(), 50),
            )?,
            new.pre_harvest_interval_days
                .map(|d| field("pre_harvest_interval_days", int_range(d, 0, 365)))
                .transpose()?,
        )
    };
    Ok(vec![
        ("kind", new.kind.as_str().into()),
        ("name", field("name", text(&new.name, 100))?.into()),
        (
            "manufacturer",
            field("manufacturer", opt_text(new.manufacturer.as_deref(), 100))?.into(),
        ),
        ("registration_number", registration.into()),
        (
            "active_ingredient",
            field(
                "active_ingredient",
                opt_text(new.active_ingredient.as_deref(), 100),
            )?
            .into(),
        ),
        ("pre_harvest_interval_days", phi.into()),
        (
            "specification",
            field("specification", opt_text(new.specification.as_deref(), 100))?.into(),
        ),
        ("unit", field("unit", text(&new.unit, 20))?.into()),
    ])
}

impl Store {
    pub async fn create_supplier(&self, caller: &Caller, new: &NewSupplier) -> Result<Supplier> {
        self.create_supplier_signed(caller, new, None).await
    }

    /// Like [`Store::create_supplier`], with the client's detached signature
    /// over the request body (required when the platform holds no key for
    /// the organisation; see [`crate::master_log`]). The record is appended
    /// to the transparency log in the insert's transaction.
    pub async fn create_supplier_signed(
        &self,
        caller: &Caller,
        new: &NewSupplier,
        signature: Option<&ClientSignature>,
    ) -> Result<Supplier> {
        caller.require_recorder()?;
        let set = checked_supplier(new)?;
        let id = new_id();
        let detached = self
            .check_record_signature(caller.org_id, RecordKind::Supplier, signature)
            .await?;
        let mut tx = self.db.begin().await?;
        insert_entry(&mut tx, RecordKind::Supplier, id, caller.org_id, set).await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::Supplier, id, detached)
            .await?;
        tx.commit().await?;
        self.get_supplier(caller, id).await
    }

    /// Records a new version of a supplier of the caller's organisation (a
    /// verified recorder's) with the full new content, checked as at its
    /// creation. Its credit code names it and does not change
    /// (`field_fixed`); see [`crate::master_versions`].
    pub async fn edit_supplier(
        &self,
        caller: &Caller,
        id: Uuid,
        new: &NewSupplier,
        signature: Option<&ClientSignature>,
    ) -> Result<Supplier> {
        let set = checked_supplier(new)?;
        self.record_edit(caller, RecordKind::Supplier, id, set, &["uscc"], signature)
            .await?;
        self.get_supplier(caller, id).await
    }

    /// Every version of a supplier, oldest first.
    pub async fn supplier_history(&self, caller: &Caller, id: Uuid) -> Result<History<Supplier>> {
        self.entry_history(caller, RecordKind::Supplier, "supplier", id, decode_supplier)
            .await
    }

    pub async fn get_supplier(&self, caller: &Caller, id: Uuid) -> Result<Supplier> {
        self.get_scoped(
            caller,
            "supplier",
            &format!("SELECT {SUPPLIER_COLUMNS} FROM suppliers t"),
            id,
            decode_supplier,
        )
        .await
    }

    /// The active suppliers the caller may read.
    pub async fn list_suppliers(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Supplier>> {
        self.list_suppliers_with(caller, org_id, false, page).await
    }

    /// The suppliers the caller may read: active ones, or `all`.
    pub async fn list_suppliers_with(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        all: bool,
        page: PageRequest,
    ) -> Result<Page<Supplier>> {
        self.list_entries(
            caller,
            &format!("SELECT {SUPPLIER_COLUMNS} FROM suppliers t"),
            org_id,
            all,
            page,
            decode_supplier,
        )
        .await
    }

    pub async fn create_input(&self, caller: &Caller, new: &NewInput) -> Result<Input> {
        self.create_input_signed(caller, new, None).await
    }

    /// Like [`Store::create_input`], with the client's detached signature over the
    /// request body (required when the platform holds no key for the
    /// organisation; see [`crate::master_log`]). The record is appended to
    /// the transparency log in the insert's transaction.
    pub async fn create_input_signed(
        &self,
        caller: &Caller,
        new: &NewInput,
        signature: Option<&ClientSignature>,
    ) -> Result<Input> {
        caller.require_recorder()?;
        let set = checked_input(new)?;
        let id = new_id();
        let detached = self
            .check_record_signature(caller.org_id, RecordKind::Input, signature)
            .await?;
        let mut tx = self.db.begin().await?;
        insert_entry(&mut tx, RecordKind::Input, id, caller.org_id, set).await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::Input, id, detached)
            .await?;
        tx.commit().await?;
        self.get_input(caller, id).await
    }

    /// Records a new version of an input of the caller's organisation (a
    /// verified recorder's) with the full new content, checked as at its
    /// creation. Its kind and registration number name it (records copy the
    /// registration number) and do not change (`field_fixed`); a new
    /// pre-harvest interval applies to records made after the edit.
    pub async fn edit_input(
        &self,
        caller: &Caller,
        id: Uuid,
        new: &NewInput,
        signature: Option<&ClientSignature>,
    ) -> Result<Input> {
        let set = checked_input(new)?;
        self.record_edit(
            caller,
            RecordKind::Input,
            id,
            set,
            &["kind", "registration_number"],
            signature,
        )
        .await?;
        self.get_input(caller, id).await
    }

    /// Every version of an input, oldest first.
    pub async fn input_history(&self, caller: &Caller, id: Uuid) -> Result<History<Input>> {
        self.entry_history(caller, RecordKind::Input, "input", id, decode_input)
            .await
    }

    pub async fn get_input(&self, caller: &Caller, id: Uuid) -> Result<Input> {
        self.get_scoped(
            caller,
            "input",
            &format!("SELECT {INPUT_COLUMNS} FROM inputs t"),
            id,
            decode_input,
        )
        .await
    }

    /// The active inputs the caller may read.
    pub async fn list_inputs(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Input>> {
        self.list_inputs_with(caller, org_id, false, page).await
    }

    /// The inputs the caller may read: active ones, or `all`.
    pub async fn list_inputs_with(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        all: bool,
        page: PageRequest,
    ) -> Result<Page<Input>> {
        self.list_entries(
            caller,
            &format!("SELECT {INPUT_COLUMNS} FROM inputs t"),
            org_id,
            all,
            page,
            decode_input,
        )
        .await
    }

    pub async fn create_purchase(&self, caller: &Caller, new: &NewPurchase) -> Result<Purchase> {
        self.create_purchase_signed(caller, new, None).await
    }

    /// Like [`Store::create_purchase`], with the client's detached signature over the
    /// request body (required when the platform holds no key for the
    /// organisation; see [`crate::master_log`]). The record is appended to
    /// the transparency log in the insert's transaction.
    pub async fn create_purchase_signed(
        &self,
        caller: &Caller,
        new: &NewPurchase,
        signature: Option<&ClientSignature>,
    ) -> Result<Purchase> {
        caller.require_recorder()?;
        let input = self
            .require_own(caller, "inputs", "input_id", new.input_id)
            .await?;
        require_active(&input, "input_id")?;
        let supplier = self
            .require_own(caller, "suppliers", "supplier_id", new.supplier_id)
            .await?;
        require_active(&supplier, "supplier_id")?;
        if let Some(place) = new.storage_place_id {
            let row = self
                .require_own(caller, "places", "storage_place_id", place)
                .await?;
            require_active(&row, "storage_place_id")?;
            let kind = row.text("kind")?;
            if kind != PlaceKind::Warehouse.as_str() && kind != PlaceKind::ProductionBase.as_str() {
                return Err(StoreError::invalid(
                    "storage_place_id",
                    Invalid::new(
                        "storage_place_kind",
                        "inputs are stored in a warehouse or at a production base",
                        "投入品应存放于仓库或生产基地",
                    ),
                ));
            }
        }
        let purchased_on = field("purchased_on", iso_date(&new.purchased_on))?;
        // Dates are China's: from 16:00 UTC on, today there is tomorrow in UTC.
        if purchased_on > (Utc::now() + chrono::Duration::hours(8)).date_naive() {
            return Err(StoreError::invalid(
                "purchased_on",
                Invalid::new(
                    "date_in_future",
                    "a purchase cannot be in the future",
                    "采购日期不能晚于今天",
                ),
            ));
        }
        let id = new_id();
        let detached = self
            .check_record_signature(caller.org_id, RecordKind::InputPurchase, signature)
            .await?;
        let mut tx = self.db.begin().await?;
        tx
            .execute(
                "INSERT INTO input_purchases (id, org_id, input_id, supplier_id, lot_number, quantity, unit, \
                 purchased_on, storage_place_id, storage_conditions, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                &params![
                    id,
                    caller.org_id,
                    new.input_id,
                    new.supplier_id,
                    field("lot_number", text(&new.lot_number, 50))?,
                    field("quantity", positive(new.quantity))?,
                    field("unit", text(&new.unit, 20))?,
                    purchased_on.to_string(),
                    new.storage_place_id,
                    field("storage_conditions", opt_text(new.storage_conditions.as_deref(), 200))?,
                    now_ms(),
                ],
            )
            .await?;
        self.log_record(&mut tx, caller.org_id, RecordKind::InputPurchase, id, detached)
            .await?;
        tx.commit().await?;
        self.get_purchase(caller, id).await
    }

    pub async fn get_purchase(&self, caller: &Caller, id: Uuid) -> Result<Purchase> {
        self.get_scoped(
            caller,
            "purchase",
            &format!("SELECT {PURCHASE_COLUMNS} FROM input_purchases t"),
            id,
            decode_purchase,
        )
        .await
    }

    pub async fn list_purchases(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Purchase>> {
        self.list_scoped(
            caller,
            &format!("SELECT {PURCHASE_COLUMNS} FROM input_purchases t"),
            org_id,
            page,
            decode_purchase,
        )
        .await
    }
}
