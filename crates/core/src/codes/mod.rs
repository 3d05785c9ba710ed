//! Identification codes and field rules. Each submodule explains the code it
//! parses; the types are re-exported here so callers write
//! `suyuan_core::codes::Gtin`.

pub mod digital_link;
pub mod element_string;
pub mod gs1;
pub mod id_number;
pub mod region;
pub mod text;
pub mod trace;
pub mod uscc;

pub use digital_link::{parse_digital_link, to_digital_link};
pub use element_string::{Ai, ElementString};
pub use gs1::{gs1_check_digit, significant_digits_zero, CompanyPrefix, Gln, Gtin, Sscc};
pub use id_number::IdNumber;
pub use region::RegionCode;
pub use text::{bounded_multiline_text, bounded_text, optional_bounded_text};
pub use trace::{
    batch_trace_code, group_for_display, item_trace_code, item_trace_codes, random_serials, trace_check_char,
    BatchId, Serial, TraceUnit,
};
pub use uscc::Uscc;
