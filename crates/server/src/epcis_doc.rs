//! The EPCIS binding in our OpenAPI document: the shapes of the documents
//! `/epcis` takes and answers, for the description only (the handlers read
//! and write JSON-LD as it is). GS1's own OpenAPI document for EPCIS 2.0
//! (`epcis-rest-openapi.yaml`) and JSON Schema (`epcis-json-schema.json`)
//! describe events in full; ours says what this server accepts, and points
//! to the schema of each record kind (`/schemas/records/{kind}.json`).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The JSON-LD context of a document: the EPCIS 2.0 context, and the
/// prefix `agri` bound to `https://suyuan.dev/ns/agri/` when it carries
/// agricultural records.
#[derive(Serialize, ToSchema)]
#[schema(
    value_type = Vec<Value>,
    example = json!(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"agri": "https://suyuan.dev/ns/agri/"}])
)]
pub struct JsonLdContext(pub Value);

/// The events of a document. An event is an EPCIS 2.0 event
/// (`ObjectEvent`, `AggregationEvent`, `TransformationEvent`,
/// `TransactionEvent`, `AssociationEvent`); an event with `agri:recordKind`
/// is one of our record kinds and must follow that kind's JSON Schema,
/// `/schemas/records/{kind}.json` (the list: `/schemas/records`; each with
/// an example document: `/examples/records/{kind}.json`; explained at
/// `/docs/records`).
#[derive(Serialize, ToSchema)]
#[schema(value_type = Vec<Object>)]
pub struct EventList(pub Vec<Value>);

/// The body of a capture document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpcisBody {
    pub event_list: EventList,
}

/// An EPCIS 2.0 document to capture (JSON-LD, sent as `application/json`
/// or `application/ld+json`; at most 32 MiB).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpcisDocument {
    #[serde(rename = "@context")]
    pub context: JsonLdContext,
    /// `EPCISDocument`.
    #[schema(example = "EPCISDocument")]
    pub r#type: String,
    /// `2.0`.
    #[schema(example = "2.0")]
    pub schema_version: String,
    /// When the document was made (ISO 8601 with a time zone).
    #[schema(example = "2026-05-23T12:00:00+08:00")]
    pub creation_date: String,
    pub epcis_body: EpcisBody,
}

/// The events a query found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultsBody {
    pub event_list: EventList,
}

/// The results of a query.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryResults {
    /// `SimpleEventQuery`.
    #[schema(example = "SimpleEventQuery")]
    pub query_name: String,
    pub results_body: ResultsBody,
}

/// The body of a query document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryBody {
    pub query_results: QueryResults,
}

/// An EPCIS 2.0 query document: the events found, as captured (record
/// values normalised: canonical references), their EPCs in the form asked
/// by `GS1-EPC-Format`. An event corrected later is followed by its error
/// declaration.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpcisQueryDocument {
    #[serde(rename = "@context")]
    pub context: JsonLdContext,
    /// `EPCISQueryDocument`.
    #[schema(example = "EPCISQueryDocument")]
    pub r#type: String,
    /// `2.0`.
    #[schema(example = "2.0")]
    pub schema_version: String,
    /// When the answer was made.
    pub creation_date: String,
    pub epcis_body: QueryBody,
}
