//! Places: production bases and their plots, packing houses, warehouses,
//! stores and vehicles.
//!
//! A plot carries the natural environment of production (soil, water source,
//! irrigation, environment test references): the first record of.
//! A place may have a GLN (check digit enforced, unique on the platform).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::codes::{Gln, RegionCode};
use suyuan_core::fields::{opt_text, text};
use suyuan_core::model::PlaceKind;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Val};
use crate::master_log::{ClientSignature, RecordKind};
use crate::master_versions::{insert_entry, require_active, History};
use crate::orgs::ts;
use crate::{field, new_id, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// A GPS point, WGS-84 degrees.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// A request to create a place.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlace {
    pub kind: PlaceKind,
    pub name: String,
    /// Plots: the production base they belong to.
    pub parent_id: Option<Uuid>,
    /// 13-digit GLN with check digit.
    pub gln: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub location: Option<GeoPoint>,
    /// Boundary as a closed ring of at least 3 points.
    #[serde(default)]
    pub polygon: Vec<GeoPoint>,
    pub area_m2: Option<f64>,
    #[serde(default)]
    pub crops: Vec<String>,
    pub soil_type: Option<String>,
    pub water_source: Option<String>,
    pub irrigation: Option<String>,
    /// References of environment tests (soil, water, air reports).
    #[serde(default)]
    pub environment_tests: Vec<String>,
    /// Warehouses and vehicles.
    pub temperature_controlled: Option<bool>,
    pub temperature_min: Option<f64>,
    pub temperature_max: Option<f64>,
    /// Vehicles: the licence plate.
    pub plate_number: Option<String>,
}

/// A place as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Place {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: PlaceKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub gln: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub location: Option<GeoPoint>,
    pub polygon: Vec<GeoPoint>,
    pub area_m2: Option<f64>,
    pub crops: Vec<String>,
    pub soil_type: Option<String>,
    pub water_source: Option<String>,
    pub irrigation: Option<String>,
    pub environment_tests: Vec<String>,
    pub temperature_controlled: Option<bool>,
    pub temperature_min: Option<f64>,
    pub temperature_max: Option<f64>,
    pub plate_number: Option<String>,
    pub created_at: DateTime<Utc>,
    /// False once deactivated: named by no new record, hidden from lists.
    pub active: bool,
}

fn bad(code: &'static str, en: &str, zh: &str) -> Invalid {
    Invalid::new(code, en, zh)
}

fn check_point(p: &GeoPoint) -> Result<(), Invalid> {
    if (-90.0..=90.0).contains(&p.latitude) && (-180.0..=180.0).contains(&p.longitude) {
        Ok(())
    } else {
        Err(bad(
            "geo_point_range",
            "latitude is within -90..90 and longitude within -180..180",
            "纬度应在 -90 至 90 之间，经度应在 -180 至 180 之间",
        ))
    }
}

fn text_list(name: &str, items: &[String], max_items: usize, max_chars: usize) -> Result<Vec<String>> {
    if items.len() > max_items {
        return Err(StoreError::invalid(
            name,
            Invalid::new(
                "list_too_long",
                format!("at most {max_items} entries"),
                format!("最多 {max_items} 项"),
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| field(&format!("{name}[{i}]"), text(s, max_chars)))
        .collect()
}

const PLACE_COLUMNS: &str = "t.id, t.org_id, t.kind, t.name, t.parent_id, t.gln, t.region, t.address, \
    t.latitude, t.longitude, t.polygon, t.area_m2, t.crops, t.soil_type, t.water_source, t.irrigation, \
    t.environment_tests, t.temperature_controlled, t.temperature_min, t.temperature_max, t.plate_number, t.created_at, t.active";

fn json_list<T: serde::de::DeserializeOwned>(r: &Row, col: &str) -> Result<Vec<T>> {
    match r.opt_text(col)? {
        None => Ok(Vec::new()),
        Some(s) => serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))),
    }
}

fn decode_place(r: &Row) -> Result<Place> {
    let location = match (r.opt_float("latitude")?, r.opt_float("longitude")?) {
        (Some(latitude), Some(longitude)) => Some(GeoPoint { latitude, longitude }),
        _ => None,
    };
    Ok(Place {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        kind: PlaceKind::parse(&r.text("kind")?).map_err(|e| StoreError::Corrupt(e.en))?,
        name: r.text("name")?,
        parent_id: r.opt_uuid("parent_id")?,
        gln: r.opt_text("gln")?,
        region: r.opt_text("region")?,
        address: r.opt_text("address")?,
        location,
        polygon: json_list(r, "polygon")?,
        area_m2: r.opt_float("area_m2")?,
        crops: json_list(r, "crops")?,
        soil_type: r.opt_text("soil_type")?,
        water_source: r.opt_text("water_source")?,
        irrigation: r.opt_text("irrigation")?,
        environment_tests: json_list(r, "environment_tests")?,
        temperature_controlled: r.opt_bool("temperature_controlled")?,
        temperature_min: r.opt_float("temperature_min")?,
        temperature_max: r.opt_float("temperature_max")?,
        plate_number: r.opt_text("plate_number")?,
        created_at: ts(r.int("created_at")?),
        active: r.bool("active")?,
    })
}

impl Store {
    pub async fn create_place(&self, caller: &Caller, new: &NewPlace) -> Result<Place> {
        self.create_place_signed(caller, new, None).await
    }

    /// Like [`Store::create_place`], with the client's detached signature over the
    /// request body (required when the platform holds no key for the
    /// organisation; see [`crate::master_log`]). The record is appended to
    /// the transparency log in the insert's transaction.
    pub async fn create_place_signed(
        &self,
        caller: &Caller,
        new: &NewPlace,
        signature: Option<&ClientSignature>,
    ) -> Result<Place> {
        caller.require_recorder()?;
        let set = self.checked_place(caller, new, true).await?;
        let id = new_id();
        let detached = self
            .check_record_signature(caller.org_id, RecordKind::Place, signature)
            .await?;
        let mut tx = self.db.begin().await?;
        insert_entry(&mut tx, RecordKind::Place, id, caller.org_id, set)
            .await
            .map_err(|e| {
                e.on_duplicate(
                    "gln",
                    "this GLN is already used by another place",
                    "该 GLN 已被其他场所使用",
                )
            })?;
        self.log_record(&mut tx, caller.org_id, RecordKind::Place, id, detached)
            .await?;
        tx.commit().await?;
        self.get_place(caller, id).await
    }

    /// Records a new version of a place of the caller's organisation (a
    /// verified recorder's) with the full new content, checked as at its
    /// creation. Its kind, parent and GLN name it and do not change
    /// (`field_fixed`); see [`crate::master_versions`].
    pub async fn edit_place(
        &self,
        caller: &Caller,
        id: Uuid,
        new: &NewPlace,
        signature: Option<&ClientSignature>,
    ) -> Result<Place> {
        let set = self.checked_place(caller, new, false).await?;
        self.record_edit(
            caller,
            RecordKind::Place,
            id,
            set,
            &["kind", "parent_id", "gln"],
            signature,
        )
        .await?;
        self.get_place(caller, id).await
    }

    /// Every version of a place, oldest first.
    pub async fn place_history(&self, caller: &Caller, id: Uuid) -> Result<History<Place>> {
        self.entry_history(caller, RecordKind::Place, "place", id, decode_place)
            .await
    }

    /// A place's content checked as the rules say (a new one's parent is
    /// an active production base), as the columns to store.
    async fn checked_place(
        &self,
        caller: &Caller,
        new: &NewPlace,
        creating: bool,
    ) -> Result<Vec<(&'static str, Val)>> {
        let name = field("name", text(&new.name, 100))?;
        let gln = new
            .gln
            .as_deref()
            .map(|g| field("gln", Gln::parse(g)))
            .transpose()?;
        if let Some(g) = &gln {
            // A GLN names a place for everyone: claiming one is for verified
            // organisations, and never under another's verified prefix.
            caller.require_verified_recorder()?;
            if self
                .verified_prefix_owner(g.as_str())
                .await?
                .is_some_and(|owner| owner != caller.org_id)
            {
                return Err(StoreError::invalid(
                    "gln",
                    bad(
                        "gln_prefix_owned",
                        "this GLN lies under a company prefix verified for another organisation",
                        "该 GLN 属于已核验给其他机构的厂商识别代码",
                    ),
                ));
            }
        }
        let region = new
            .region
            .as_deref()
            .map(|r| field("region", RegionCode::parse(r)))
            .transpose()?;
        if let Some(p) = &new.location {
            field("location", check_point(p))?;
        }
        if !new.polygon.is_empty() {
            if new.polygon.len() < 3 || new.polygon.len() > 1000 {
                return Err(StoreError::invalid(
                    "polygon",
                    bad(
                        "polygon_points",
                        "a polygon has 3 to 1000 points",
                        "多边形须有 3 至 1000 个点",
                    ),
                ));
            }
            for (i, p) in new.polygon.iter().enumerate() {
                field(&format!("polygon[{i}]"), check_point(p))?;
            }
        }
        if let Some(a) = new.area_m2 {
            field("area_m2", suyuan_core::fields::positive(a))?;
        }
        // A plot belongs to a production base of the same organisation.
        match (new.kind, new.parent_id) {
            (PlaceKind::Plot, Some(parent)) => {
                let row = self.require_own(caller, "places", "parent_id", parent).await?;
                if creating {
                    require_active(&row, "parent_id")?;
                }
                if row.text("kind")? != PlaceKind::ProductionBase.as_str() {
                    return Err(StoreError::invalid(
                        "parent_id",
                        bad(
                            "parent_not_base",
                            "a plot's parent must be a production base",
                            "地块的上级必须是生产基地",
                        ),
                    ));
                }
            }
            (PlaceKind::Plot, None) => {
                return Err(StoreError::invalid(
                    "parent_id",
                    bad(
                        "parent_required",
                        "a plot belongs to a production base",
                        "地块须属于一个生产基地",
                    ),
                ))
            }
            (_, Some(_)) => {
                return Err(StoreError::invalid(
                    "parent_id",
                    bad(
                        "parent_only_plots",
                        "only a plot has a parent place",
                        "只有地块有上级场所",
                    ),
                ))
            }
            (_, None) => {}
        }
        if new.kind == PlaceKind::Vehicle && new.plate_number.is_none() {
            return Err(StoreError::invalid(
                "plate_number",
                bad(
                    "plate_required",
                    "a vehicle needs its licence plate",
                    "运输车辆须填写车牌号",
                ),
            ));
        }
        if let (Some(lo), Some(hi)) = (new.temperature_min, new.temperature_max) {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo >= -80.0 && hi <= 80.0) {
                return Err(StoreError::invalid(
                    "temperature_max",
                    bad(
                        "temperature_range",
                        "temperatures are within -80..80 °C and the minimum is not above the maximum",
                        "温度应在 -80 至 80 ℃ 之间，且下限不高于上限",
                    ),
                ));
            }
        }
        let crops = text_list("crops", &new.crops, 50, 50)?;
        let tests = text_list("environment_tests", &new.environment_tests, 50, 200)?;
        let polygon = (!new.polygon.is_empty())
            .then(|| serde_json::to_string(&new.polygon))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default());
        Ok(vec![
            ("kind", new.kind.as_str().into()),
            ("name", name.into()),
            ("parent_id", new.parent_id.into()),
            ("gln", gln.as_ref().map(|g| g.as_str()).into()),
            ("region", region.as_ref().map(|r| r.as_str()).into()),
            (
                "address",
                field("address", opt_text(new.address.as_deref(), 200))?.into(),
            ),
            ("latitude", new.location.map(|p| p.latitude).into()),
            ("longitude", new.location.map(|p| p.longitude).into()),
            ("polygon", polygon.into()),
            ("area_m2", new.area_m2.into()),
            ("crops", list(&crops).into()),
            (
                "soil_type",
                field("soil_type", opt_text(new.soil_type.as_deref(), 100))?.into(),
            ),
            (
                "water_source",
                field("water_source", opt_text(new.water_source.as_deref(), 100))?.into(),
            ),
            (
                "irrigation",
                field("irrigation", opt_text(new.irrigation.as_deref(), 100))?.into(),
            ),
            ("environment_tests", list(&tests).into()),
            ("temperature_controlled", new.temperature_controlled.into()),
            ("temperature_min", new.temperature_min.into()),
            ("temperature_max", new.temperature_max.into()),
            (
                "plate_number",
                field("plate_number", opt_text(new.plate_number.as_deref(), 20))?.into(),
            ),
        ])
    }

    /// A place by id regardless of tenant, for the public trace (a plot's
    /// environment is public on purpose; callers choose what to show).
    pub(crate) async fn place_unscoped(&self, id: Uuid) -> Result<Option<Place>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {PLACE_COLUMNS} FROM places t WHERE t.id = $1"),
                &params![id],
            )
            .await?;
        row.as_ref().map(decode_place).transpose()
    }

    pub async fn get_place(&self, caller: &Caller, id: Uuid) -> Result<Place> {
        self.get_scoped(
            caller,
            "place",
            &format!("SELECT {PLACE_COLUMNS} FROM places t"),
            id,
            decode_place,
        )
        .await
    }

    /// The active places the caller may read.
    pub async fn list_places(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Place>> {
        self.list_places_with(caller, org_id, false, page).await
    }

    /// The places the caller may read: active ones, or `all`.
    pub async fn list_places_with(
        &self,
        caller: &Caller,
        org_id: Option<Uuid>,
        all: bool,
        page: PageRequest,
    ) -> Result<Page<Place>> {
        self.list_entries(
            caller,
            &format!("SELECT {PLACE_COLUMNS} FROM places t"),
            org_id,
            all,
            page,
            decode_place,
        )
        .await
    }
}
