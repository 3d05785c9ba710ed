//! Names beside identifiers in trace reports: a clerk reads "一号地块" and
//! "吡虫啉, lot 20240501A" where the report names `urn:suyuan:place:…` and
//! `urn:suyuan:input-lot:…`.
//!
//! Each kind of thing is looked up once per report, in one statement per
//! [`CHUNK`] identifiers, however many events or units name it:
//! organisations by id, places by id or GLN, products by GTIN, input lots
//! by purchase.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::authority::{place_ref, PlaceRef};
use super::report::TracedOrg;
use crate::db::{placeholders, Val};
use crate::{Result, Store};

/// Most places bound in one statement.
const CHUNK: usize = 400;

/// An input lot's name: the registered input it is a lot of and the lot
/// number its purchase recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InputLotName {
    /// The input's name (吡虫啉, 复合肥, …).
    pub input_name: String,
    /// seed, fertiliser, pesticide, …
    pub input_kind: String,
    /// The lot number on the package, as the purchase recorded it.
    pub lot_number: String,
}

/// The names a report needs, by identifier.
#[derive(Debug, Default)]
pub(super) struct Names {
    pub(super) orgs: BTreeMap<Uuid, TracedOrg>,
    /// Place URI → name.
    pub(super) places: BTreeMap<String, String>,
    /// GTIN → product name.
    pub(super) products: BTreeMap<String, String>,
    /// Input-lot URI → its input and lot number.
    pub(super) input_lots: BTreeMap<String, InputLotName>,
}

/// What to name.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    pub(super) orgs: BTreeSet<Uuid>,
    pub(super) places: BTreeSet<String>,
    pub(super) gtins: BTreeSet<String>,
    pub(super) input_lots: BTreeSet<String>,
}

/// The GTIN of a canonical lot or item identifier
/// (`https://id.gs1.org/01/{gtin}/…`).
pub(crate) fn gtin_of(epc: &str) -> Option<&str> {
    let rest = epc.strip_prefix(super::CANONICAL_DOMAIN)?.strip_prefix("/01/")?;
    let gtin = rest.split('/').next()?;
    (gtin.len() == 14 && gtin.bytes().all(|b| b.is_ascii_digit())).then_some(gtin)
}

/// Whether an identifier names a place (`urn:suyuan:place:…`, a GLN
/// Digital Link).
pub(super) fn is_place(uri: &str) -> bool {
    place_ref(uri).is_some()
}

/// Whether an identifier names an input lot (`urn:suyuan:input-lot:…`).
pub(super) fn is_input_lot(uri: &str) -> bool {
    uri.starts_with(suyuan_core::refs::INPUT_LOT_URN)
}

impl Store {
    /// The names of everything `wanted` lists that the platform knows. An
    /// input lot is named only when its purchase belongs to one of
    /// `wanted.orgs` (the organisations whose records are in the report):
    /// naming another organisation's purchase id in a record does not
    /// reveal what it bought.
    pub(super) async fn names(&self, wanted: &Wanted) -> Result<Names> {
        let mut names = Names::default();
        let ids: Vec<String> = wanted.orgs.iter().map(Uuid::to_string).collect();
        self.for_rows_in("SELECT id, name, kind FROM organisations WHERE id", &ids, |r| {
            let org = TracedOrg {
                id: r.uuid("id")?,
                name: r.text("name")?,
                kind: r.text("kind")?,
            };
            names.orgs.insert(org.id, org);
            Ok(())
        })
        .await?;
        names.places = self.place_names(&wanted.places).await?;
        let gtins: Vec<String> = wanted.gtins.iter().cloned().collect();
        self.for_rows_in("SELECT gtin, name FROM products WHERE gtin", &gtins, |r| {
            names.products.insert(r.text("gtin")?, r.text("name")?);
            Ok(())
        })
        .await?;
        let purchases: BTreeMap<String, &String> = wanted
            .input_lots
            .iter()
            .filter_map(|uri| {
                Some((
                    uri.strip_prefix(suyuan_core::refs::INPUT_LOT_URN)?.to_owned(),
                    uri,
                ))
            })
            .collect();
        let keys: Vec<String> = purchases.keys().cloned().collect();
        let select = "SELECT p.id, p.org_id, p.lot_number, i.name, i.kind FROM input_purchases p \
                      JOIN inputs i ON i.id = p.input_id WHERE p.id";
        self.for_rows_in(select, &keys, |r| {
            let uri = purchases.get(&r.text("id")?);
            let of_the_report = wanted.orgs.contains(&r.uuid("org_id")?);
            if let (Some(uri), true) = (uri, of_the_report) {
                let name = InputLotName {
                    input_name: r.text("name")?,
                    input_kind: r.text("kind")?,
                    lot_number: r.text("lot_number")?,
                };
                names.input_lots.insert((*uri).clone(), name);
            }
            Ok(())
        })
        .await?;
        Ok(names)
    }

    /// Place URI → name, for the places registered on the platform
    /// (`urn:suyuan:place:{id}`, or a GLN Digital Link: a sub-location
    /// `/254/…` is named after its GLN's place); one statement per
    /// [`CHUNK`] places, by id or GLN.
    async fn place_names(&self, uris: &BTreeSet<String>) -> Result<BTreeMap<String, String>> {
        let refs: Vec<(&String, PlaceRef<'_>)> =
            uris.iter().filter_map(|u| Some((u, place_ref(u)?))).collect();
        let mut out = BTreeMap::new();
        for chunk in refs.chunks(CHUNK) {
            let (mut ids, mut glns): (Vec<Val>, Vec<Val>) = (Vec::new(), Vec::new());
            for (_, r) in chunk {
                match r {
                    PlaceRef::Id(id) => ids.push((*id).into()),
                    PlaceRef::Gln(gln) => glns.push((*gln).into()),
                }
            }
            let mut filters = Vec::new();
            if !ids.is_empty() {
                filters.push(format!("id IN ({})", placeholders(1, ids.len())));
            }
            if !glns.is_empty() {
                filters.push(format!("gln IN ({})", placeholders(ids.len() + 1, glns.len())));
            }
            let sql = format!("SELECT id, gln, name FROM places WHERE {}", filters.join(" OR "));
            ids.extend(glns);
            let rows = self.db.conn().fetch_all(&sql, &ids).await?;
            let mut by_id = BTreeMap::new();
            let mut by_gln = BTreeMap::new();
            for r in &rows {
                let name = r.text("name")?;
                if let Some(gln) = r.opt_text("gln")? {
                    by_gln.insert(gln, name.clone());
                }
                by_id.insert(r.text("id")?, name);
            }
            for (uri, r) in chunk {
                let name = match r {
                    PlaceRef::Id(id) => by_id.get(*id),
                    PlaceRef::Gln(gln) => by_gln.get(*gln),
                };
                if let Some(n) = name {
                    out.insert((*uri).clone(), n.clone());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_of_lots_and_items_only() {
        assert_eq!(
            gtin_of("https://id.gs1.org/01/09520000000011/10/L1"),
            Some("09520000000011")
        );
        assert_eq!(
            gtin_of("https://id.gs1.org/01/09520000000011/21/ABC"),
            Some("09520000000011")
        );
        assert_eq!(gtin_of("https://id.gs1.org/00/095200000000000017"), None);
        assert_eq!(gtin_of("https://example.cn/01/09520000000011/10/L1"), None);
        assert_eq!(gtin_of("https://id.gs1.org/01/0952/10/L1"), None);
        assert_eq!(
            gtin_of("urn:suyuan:place:0190a0b0-0000-7000-8000-000000000000"),
            None
        );
    }
}
