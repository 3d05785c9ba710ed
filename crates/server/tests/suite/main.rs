//! The server's test suite, one binary: the HTTP API, the EPCIS binding,
//! the public pages, the transparency log and tampering with it, the trace
//! chain and the HTTP edge
//! (CSRF, content types, problem+json, scans), each on
//! SQLite and PostgreSQL (see `common`).

#[macro_use]
mod common;

mod accounts;
mod api_health;
mod api_orgs;
mod api_records;
mod api_refusals;
mod api_routes;
mod archives;
mod archives_console;
mod audit;
mod authority;
mod browser;
mod certifications;
mod conformance;
mod console;
mod console_admin;
mod console_labels;
mod console_suspended;
mod defence;
mod devices;
mod devices_conditions;
mod devices_epcis;
mod devices_mqtt;
mod devices_units;
mod devices_webhooks;
mod edge;
mod epcis;
mod hygiene;
mod master_versions;
mod metrics;
mod openapi;
mod oversight;
mod oversight_answers;
mod oversight_browser;
mod oversight_lab;
mod oversight_operator;
mod oversight_regulator;
mod oversight_report;
mod public_page;
mod quality;
mod record_docs;
mod references;
mod replay;
mod security_headers;
mod tamper;
mod tlog;
mod tls;
mod trace_chain;
