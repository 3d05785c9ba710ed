//! suyuan-core: the domain of the traceability platform, free of I/O.
//!
//! Everything that can be decided without a database or a network lives here:
//! identification codes (GS1 keys, the unified social credit code, resident ID
//! numbers, region codes), the kinds of organisations, places and products, and
//! the rules their fields obey. Values are built by `parse`, so an invalid code
//! cannot exist past the edge of the system.

pub mod archives;
pub mod authority;
pub mod calendar;
pub mod codes;
pub mod complaints;
pub mod devices;
pub mod effects;
pub mod epcis;
pub mod error;
pub mod fields;
pub mod intrusion;
pub mod jsonschema;
pub mod model;
pub mod quality;
pub mod refs;
pub mod stages;
pub mod testing;
pub mod webhooks;

pub use error::Invalid;
