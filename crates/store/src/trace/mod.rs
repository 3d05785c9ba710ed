//! The traceability core's storage: units and their trace codes, captured
//! events, lineage edges, custody, and the walks that trace a unit back to
//! its origin and forward to everything it reached.

pub(crate) mod authority;
pub(crate) use authority::actor;
pub mod capture;
pub mod export;
mod held;
pub mod lineage;
pub mod names;
pub mod public;
pub mod query;
pub mod refs;
pub mod report;
pub(crate) mod status;
pub mod units;

/// The key events are found by: the first 8 bytes of SHA-256 of the eventID,
/// big-endian, as a signed integer. Narrow, so its index stays small; every
/// query by eventID also compares the eventID itself.
pub fn event_key(event_id: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(event_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The row id of the unit with canonical identifier `epc`: a function of
/// the identifier (the first 16 bytes of SHA-256 over a domain-separation
/// prefix and the identifier, as a version-8 UUID), so that a replay of the
/// log re-derives it.
pub fn unit_id(epc: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest([b"suyuan-unit-id/v1\n".as_slice(), epc.as_bytes()].concat());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The domain under which identifiers are stored in canonical form: GS1's
/// own resolver, as the CBV 2.0 event hash and EPCIS 2.0 expect. Public
/// links use the platform's configured domain instead.
pub const CANONICAL_DOMAIN: &str = "https://id.gs1.org";

/// The canonical identifier of a unit: its Digital Link on id.gs1.org, in
/// the form EPCIS uses. An item is keyed by GTIN and serial alone (an SGTIN:
/// the batch is a qualifier, not part of the key), so an item captured as
/// `urn:epc:id:sgtin:…` and one of our items are the same identifier.
pub fn canonical_epc(unit: &suyuan_core::codes::trace::TraceUnit) -> Result<String, suyuan_core::Invalid> {
    use suyuan_core::codes::digital_link::percent_encode;
    use suyuan_core::codes::trace::TraceUnit;
    match unit {
        TraceUnit::Item { gtin, serial, .. } => Ok(format!(
            "{CANONICAL_DOMAIN}/01/{}/21/{}",
            gtin.as_str(),
            percent_encode(serial)
        )),
        other => other.digital_link(CANONICAL_DOMAIN),
    }
}
