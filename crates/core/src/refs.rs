//! One canonical identifier per thing a record names, and every form in
//! which a reference to it is accepted.
//!
//! | thing | canonical identifier | also accepted (normalised at capture) |
//! |---|---|---|
//! | place with a GLN | `https://id.gs1.org/414/{gln}` | `urn:epc:id:sgln:…` of that GLN, its Digital Link on any domain, `urn:suyuan:place:{id}`, `urn:uuid:{id}`, `{id}` |
//! | place without a GLN | `urn:suyuan:place:{id}` | `urn:uuid:{id}`, `{id}` |
//! | input lot (a purchase) | `urn:suyuan:input-lot:{purchase id}` | `urn:uuid:{id}`, `{id}` |
//! | organisation | `urn:suyuan:org:{id}` | — |
//! | customer (an archive entry) | `urn:suyuan:customer:{entry id}` | `urn:uuid:{id}`, `{id}` |
//! | lot, item, case, pallet | its GS1 Digital Link on `https://id.gs1.org` | EPC URNs, Digital Links on any domain |
//!
//! Which of these a reference is depends on the field it is in (a
//! `bizLocation` names a place, an `agri:inputLot` a purchase), so the
//! parsers here are per kind of thing. Whether the thing exists, and whether
//! the caller may use it, is for the store.

use uuid::Uuid;

use crate::epcis::canonical_web_uri;

/// The domain of canonical GS1 Digital Links.
pub const GS1_DOMAIN: &str = "https://id.gs1.org";
/// A place without a GLN: `urn:suyuan:place:{id}`.
pub const PLACE_URN: &str = "urn:suyuan:place:";
/// An input lot (a purchase): `urn:suyuan:input-lot:{id}`.
pub const INPUT_LOT_URN: &str = "urn:suyuan:input-lot:";
/// An organisation: `urn:suyuan:org:{id}`.
pub const ORG_URN: &str = "urn:suyuan:org:";
/// A customer or distributor of the organisation's archive (its entry):
/// `urn:suyuan:customer:{entry id}`.
pub const CUSTOMER_URN: &str = "urn:suyuan:customer:";

/// What a place reference names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceKey {
    /// A place by its platform id.
    Id(Uuid),
    /// A place by its GLN (a reference without a sub-location extension).
    Gln(String),
}

/// A platform id written `{prefix}{id}`, `urn:uuid:{id}` or bare.
fn platform_id(s: &str, prefix: &str) -> Option<Uuid> {
    let s = s.trim();
    let id = s
        .strip_prefix(prefix)
        .or_else(|| s.strip_prefix("urn:uuid:"))
        .unwrap_or(s);
    Uuid::parse_str(id).ok().filter(|_| id.len() == 36)
}

/// The place a reference names, in any accepted form; `None` for a
/// reference that is not one of ours (another system's location, or a GLN
/// with a sub-location extension).
pub fn place_key(s: &str) -> Option<PlaceKey> {
    if let Some(id) = platform_id(s, PLACE_URN) {
        return Some(PlaceKey::Id(id));
    }
    let dl = canonical_web_uri(s.trim())?;
    let gln = dl.strip_prefix(GS1_DOMAIN)?.strip_prefix("/414/")?;
    (!gln.contains('/')).then(|| PlaceKey::Gln(gln.to_owned()))
}

/// Whether a reference is written in one of the platform's own forms for a
/// place (so that, not found, it is an error rather than another system's
/// location).
pub fn is_platform_place_form(s: &str) -> bool {
    let s = s.trim();
    s.starts_with(PLACE_URN) || s.starts_with("urn:uuid:") || Uuid::parse_str(s).is_ok()
}

/// The canonical identifier of a place: its GLN as a Digital Link when it
/// has one, otherwise its platform URN.
pub fn place_canonical(id: Uuid, gln: Option<&str>) -> String {
    match gln {
        Some(g) => format!("{GS1_DOMAIN}/414/{g}"),
        None => format!("{PLACE_URN}{id}"),
    }
}

/// The purchase an input-lot reference names, in any accepted form.
pub fn input_lot_id(s: &str) -> Option<Uuid> {
    platform_id(s, INPUT_LOT_URN)
}

/// The canonical identifier of an input lot.
pub fn input_lot_canonical(purchase: Uuid) -> String {
    format!("{INPUT_LOT_URN}{purchase}")
}

/// The customer entry a buyer reference names, in any accepted form.
pub fn customer_id(s: &str) -> Option<Uuid> {
    platform_id(s, CUSTOMER_URN)
}

/// The canonical identifier of a customer entry.
pub fn customer_canonical(entry: Uuid) -> String {
    format!("{CUSTOMER_URN}{entry}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "0190f5a2-7c1e-7000-8000-000000000001";

    #[test]
    fn every_form_of_a_place() {
        let id = Uuid::parse_str(ID).unwrap();
        for form in [
            format!("{PLACE_URN}{ID}"),
            format!("urn:uuid:{ID}"),
            ID.to_owned(),
        ] {
            assert_eq!(place_key(&form), Some(PlaceKey::Id(id)), "{form}");
            assert!(is_platform_place_form(&form));
        }
        let gln = PlaceKey::Gln("9521234000013".into());
        for form in [
            "https://id.gs1.org/414/9521234000013",
            "https://trace.example.cn/414/9521234000013",
            "urn:epc:id:sgln:9521234.00001.0",
        ] {
            assert_eq!(place_key(form), Some(gln.clone()), "{form}");
        }
        // A sub-location, another system's location, garbage.
        assert_eq!(place_key("https://id.gs1.org/414/9521234000013/254/7"), None);
        assert_eq!(place_key("urn:example:warehouse:7"), None);
        assert_eq!(place_key("garbage-123"), None);
        assert!(!is_platform_place_form("urn:example:warehouse:7"));
        assert_eq!(place_canonical(id, None), format!("{PLACE_URN}{ID}"));
        assert_eq!(
            place_canonical(id, Some("9521234000013")),
            "https://id.gs1.org/414/9521234000013"
        );
    }

    #[test]
    fn every_form_of_an_input_lot() {
        let id = Uuid::parse_str(ID).unwrap();
        for form in [
            format!("{INPUT_LOT_URN}{ID}"),
            format!("urn:uuid:{ID}"),
            format!(" {ID} "),
        ] {
            assert_eq!(input_lot_id(&form), Some(id), "{form}");
        }
        for bad in ["garbage-123", "urn:suyuan:input-lot:pest-0", "", "urn:uuid:"] {
            assert_eq!(input_lot_id(bad), None, "{bad}");
        }
        assert_eq!(input_lot_id(&input_lot_canonical(id)), Some(id));
    }

    #[test]
    fn every_form_of_a_customer() {
        let id = Uuid::parse_str(ID).unwrap();
        for form in [
            format!("{CUSTOMER_URN}{ID}"),
            format!("urn:uuid:{ID}"),
            ID.to_owned(),
        ] {
            assert_eq!(customer_id(&form), Some(id), "{form}");
        }
        for bad in [
            format!("{INPUT_LOT_URN}{ID}"),
            "成都超市".to_owned(),
            String::new(),
        ] {
            assert_eq!(customer_id(&bad), None, "{bad}");
        }
        assert_eq!(customer_id(&customer_canonical(id)), Some(id));
    }

    proptest! {
        #[test]
        fn input_lot_forms_round_trip(bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            prop_assert_eq!(input_lot_id(&input_lot_canonical(id)), Some(id));
            prop_assert_eq!(input_lot_id(&format!("urn:uuid:{id}")), Some(id));
            prop_assert_eq!(place_key(&place_canonical(id, None)), Some(PlaceKey::Id(id)));
        }

        #[test]
        fn references_never_panic(s in "\\PC{0,80}") {
            let _ = place_key(&s);
            let _ = input_lot_id(&s);
        }
    }
}
