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
/// agricultural records. A URI, an object of terms, or a list of both (the
/// shapes the capture's validator accepts, `suyuan_core::epcis`).
#[derive(Serialize)]
pub struct JsonLdContext(pub Value);

/// A URI as the validator reads one: a scheme, a colon, and no space or
/// control character.
const URI_PATTERN: &str = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s\\x00-\\x1f\\x7f-\\x9f]+$";

/// Text without control characters (C0, DEL, C1).
const NO_CONTROL: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

/// Text without control characters.
fn clean_text() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(NO_CONTROL))
}

/// JSON-LD term definitions: an object whose names, at every depth, and
/// whose texts are free of control characters (as everywhere in a document).
fn terms_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(clean_text()))
        .additional_properties(Some(Ref::from_schema_name("JsonLdValue")))
        .into()
}

/// Any JSON value inside term definitions.
fn value_schema() -> Schema {
    AnyOfBuilder::new()
        .item(clean_text())
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(ArrayBuilder::new().items(Ref::from_schema_name("JsonLdValue")))
        .item(Ref::from_schema_name("JsonLdTerms"))
        .into()
}

impl utoipa::PartialSchema for JsonLdContext {
    fn schema() -> RefOr<Schema> {
        let uri = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(URI_PATTERN))
        };
        let terms = || Ref::from_schema_name("JsonLdTerms");
        OneOfBuilder::new()
            .item(uri())
            .item(terms())
            .item(ArrayBuilder::new().items(OneOfBuilder::new().item(uri()).item(terms())))
            .description(Some("A URI, an object of terms, or a list of both."))
            .examples([serde_json::json!([
                "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
                {"agri": "https://suyuan.dev/ns/agri/"}
            ])])
            .into()
    }
}

impl ToSchema for JsonLdContext {
    fn name() -> std::borrow::Cow<'static, str> {
        "JsonLdContext".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("JsonLdTerms".into(), terms_schema().into()));
        schemas.push(("JsonLdValue".into(), value_schema().into()));
    }
}

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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpcisBody {
    pub event_list: EventList,
}

/// An EPCIS 2.0 document to capture (JSON-LD, sent as `application/json`
/// or `application/ld+json`; at most 32 MiB).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpcisDocument {
    #[serde(rename = "@context")]
    pub context: JsonLdContext,
    /// `EPCISDocument`.
    #[schema(example = "EPCISDocument", pattern = "^EPCISDocument$")]
    pub r#type: String,
    /// `2.0`.
    #[schema(example = "2.0", pattern = "^[0-9]+(\\.[0-9]+)*$")]
    pub schema_version: String,
    /// When the document was made (ISO 8601 with a time zone).
    #[schema(example = "2026-05-23T12:00:00+08:00", format = DateTime)]
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
