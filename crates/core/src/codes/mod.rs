//! Identification codes and field rules. Each submodule explains the code it
//! parses; the types are re-exported here so callers write
//! `suyuan_core::codes::Gtin`.

pub mod gs1;
pub mod id_number;
pub mod region;
pub mod text;
pub mod uscc;

pub use gs1::{gs1_check_digit, Gln, Gtin, Sscc};
pub use id_number::IdNumber;
pub use region::RegionCode;
pub use text::{bounded_multiline_text, bounded_text, optional_bounded_text};
pub use uscc::Uscc;
