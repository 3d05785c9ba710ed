//! The traceability core's storage: units and their trace codes, captured
//! events, lineage edges, custody, and the walks that trace a unit back to
//! its origin and forward to everything it reached.

pub mod lineage;
pub mod units;

/// The domain under which identifiers are stored in canonical form: GS1's
/// own resolver, as the CBV 2.0 event hash and EPCIS 2.0 expect. Public
/// links use the platform's configured domain instead.
pub const CANONICAL_DOMAIN: &str = "https://id.gs1.org";

/// The canonical identifier of a unit (its Digital Link on id.gs1.org).
pub fn canonical_epc(unit: &suyuan_core::codes::trace::TraceUnit) -> Result<String, suyuan_core::Invalid> {
    unit.digital_link(CANONICAL_DOMAIN)
}
