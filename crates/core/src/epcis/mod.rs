//! GS1 EPCIS 2.0 and CBV 2.0: documents, events, vocabularies, the canonical event hash.
//!
//! * [`uri`]: EPC URNs ↔ GS1 Digital Link URIs ([`Gs1Key`], [`urn_to_digital_link`],
//!   [`digital_link_to_urn`] with a caller-supplied [`CompanyPrefixLength`], e.g.
//!   registered [`KnownPrefixes`]).
//! * [`vocab`]: CBV 2.0 / GS1 Web Vocabulary words and their spellings ([`Vocabulary`]).
//! * [`cbv_names`]: the Chinese and English name of every business step and disposition.
//! * [`model`]: typed events and documents that keep their original JSON ([`Event`], [`Document`]).
//! * [`validate`]: parsing with every EPCIS 2.0 rule checked ([`parse_document`], [`Problem`]).
//! * [`limits`]: the bounds every event obeys (string lengths, entries, nesting, size, control
//!   characters), checked first by [`validate`].
//! * [`hash`]: the CBV 2.0 event hash `ni:///sha-256;…?ver=CBV2.0` ([`event_hash_id`]).
//!
//! Everything here is pure: no I/O, no clock, no randomness.

pub mod cbv_names;
pub mod hash;
pub mod limits;
pub mod model;
pub mod uri;
pub mod validate;
pub mod vocab;

#[cfg(test)]
mod examples_tests;

pub use cbv_names::{biz_step_name, disposition_name};
pub use hash::{event_hash_id, is_hash_id, pre_hash_string};
pub use model::{
    parse_time_zone_offset, parse_timestamp, Action, BizTransaction, Document, DocumentKind,
    ErrorDeclaration, Event, EventType, Extension, Location, Namespaces, PersistentDisposition,
    QuantityElement, SensorElement, SensorMetadata, SensorReport, SourceDest,
};
pub use uri::{
    canonical_web_uri, check_epc, digital_link_as_urn, digital_link_to_urn, parse_epc, urn_to_digital_link,
    CompanyPrefixLength, Gs1Key, KnownPrefixes,
};
pub use validate::{
    parse_document, parse_event, parse_events, parse_stored_event, validate_document, Problem,
};
pub use vocab::Vocabulary;
