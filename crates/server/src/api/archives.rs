//! The archives of chapter 4.3 over HTTP (`/api/v1/archives/…`): files
//! uploaded and downloaded, management documents, customers and
//! distributors, and training sessions; audits and nonconformities are in
//! [`super::archives_audits`]. Every entry is versioned: `POST` records a
//! new entry, `PUT` on an entry records its next version, `GET` on an
//! entry answers its current version and its history. Who may do what is
//! `suyuan_store::archives`.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use suyuan_core::archives::MAX_ATTACHMENT_BYTES;
use suyuan_store::archives::customers::{Customer, CustomerSale, CustomerShipment, NewCustomer};
use suyuan_store::archives::documents::{Document, NewDocument};
use suyuan_store::archives::training::{NewTraining, Training};
use suyuan_store::archives::{Attach, AttachmentInfo, NewAttachment, Versions};
use suyuan_store::Page;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Id, ListQuery, ValidJson, ValidQuery};
use crate::AppState;

/// The routes of the archives; uploads may be as large as an attachment.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 64 * 1024))
        .routes(routes!(download))
        .routes(routes!(create_document, list_documents))
        .routes(routes!(get_document, revise_document))
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, revise_customer))
        .routes(routes!(customer_shipments))
        .routes(routes!(customer_sales))
        .routes(routes!(create_training, list_trainings))
        .routes(routes!(get_training, revise_training))
        .merge(super::archives_audits::router())
}

/// The file's name, for an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the user knows it.
    pub file_name: String,
}

/// Upload a file to attach to archive records: the request body is the
/// file. Its type is read from its bytes (PDF, PNG, JPEG, DOCX or XLSX),
/// whatever the Content-Type says; at most 10 MiB. Logged with its SHA-256.
#[utoipa::path(post, path = "/archives/attachments", tag = "archives", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses((status = 201, body = AttachmentInfo), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<UploadQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AttachmentInfo>)> {
    let new = NewAttachment {
        file_name: q.file_name,
        bytes: body.to_vec(),
    };
    Ok((
        StatusCode::CREATED,
        Json(state.store.upload_attachment(&caller, &new).await?),
    ))
}

/// An attachment's bytes, with the type they were recognised as.
pub(crate) fn attachment_response(info: &AttachmentInfo, bytes: Vec<u8>) -> Response {
    let ascii: String = info
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(info.file_name.as_bytes()).collect();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, info.media_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    encoded.replace('+', "%20")
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// Download an attachment (its organisation, and officers whose
/// jurisdiction covers it).
#[utoipa::path(get, path = "/archives/attachments/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file, with its type", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn download(State(state): State<AppState>, Auth(caller): Auth, Id(id): Id) -> ApiResult<Response> {
    let (info, bytes) = state.store.attachment(&caller, id).await?;
    Ok(attachment_response(&info, bytes))
}

fn attach(id: Option<Uuid>) -> Attach {
    id.map_or(Attach::Keep, Attach::Existing)
}

/// A management document's version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    /// implementation_plan, quality_policy, production_procedure,
    /// testing_rules, traceability_policy or internal_audit_plan.
    pub kind: String,
    pub title: String,
    /// The day it takes effect, YYYY-MM-DD.
    pub effective_from: String,
    #[serde(default)]
    pub summary: Option<String>,
    /// An uploaded file's id; left out, a new version keeps the previous file.
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
}

impl From<DocumentRequest> for NewDocument {
    fn from(r: DocumentRequest) -> Self {
        NewDocument {
            kind: r.kind,
            title: r.title,
            effective_from: r.effective_from,
            summary: r.summary,
            attachment: attach(r.attachment_id),
        }
    }
}

/// Record a management document (version 1).
#[utoipa::path(post, path = "/archives/documents", tag = "archives", request_body = DocumentRequest,
    responses((status = 201, body = Versions<Document>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_document(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<DocumentRequest>,
) -> ApiResult<(StatusCode, Json<Versions<Document>>)> {
    let made = state.store.record_document(&caller, None, &req.into()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The current version of each management document.
#[utoipa::path(get, path = "/archives/documents", tag = "archives", params(ListQuery),
    responses((status = 200, body = Page<Document>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_documents(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Document>>> {
    Ok(Json(state.store.documents(&caller, q.org_id, q.page()?).await?))
}

/// A management document: its current version and every version.
#[utoipa::path(get, path = "/archives/documents/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Versions<Document>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_document(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Versions<Document>>> {
    Ok(Json(state.store.document(&caller, id).await?))
}

/// Record a new version of a management document.
#[utoipa::path(put, path = "/archives/documents/{id}", tag = "archives", params(("id" = Uuid, Path)),
    request_body = DocumentRequest,
    responses((status = 200, body = Versions<Document>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_document(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<DocumentRequest>,
) -> ApiResult<Json<Versions<Document>>> {
    Ok(Json(
        state
            .store
            .record_document(&caller, Some(id), &req.into())
            .await?,
    ))
}

/// A customer's or distributor's version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRequest {
    /// distributor or customer.
    pub kind: String,
    pub name: String,
    /// Unified social credit code.
    #[serde(default)]
    pub uscc: Option<String>,
    /// The counterparty's organisation on the platform: its shipments are
    /// listed with the entry.
    #[serde(default)]
    pub party_org_id: Option<Uuid>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl From<CustomerRequest> for NewCustomer {
    fn from(r: CustomerRequest) -> Self {
        NewCustomer {
            kind: r.kind,
            name: r.name,
            uscc: r.uscc,
            party_org_id: r.party_org_id,
            contact_name: r.contact_name,
            contact_phone: r.contact_phone,
            address: r.address,
            note: r.note,
        }
    }
}

/// Record a customer or distributor (version 1).
#[utoipa::path(post, path = "/archives/customers", tag = "archives", request_body = CustomerRequest,
    responses((status = 201, body = Versions<Customer>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<CustomerRequest>,
) -> ApiResult<(StatusCode, Json<Versions<Customer>>)> {
    let made = state.store.record_customer(&caller, None, &req.into()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Paging, and the organisation a shipment was addressed to.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub after: Option<Uuid>,
    /// Only the entries naming this organisation (a shipment's addressee).
    pub party_org_id: Option<Uuid>,
    /// Only this organisation's entries (regulators: one organisation in
    /// the jurisdiction).
    pub org_id: Option<Uuid>,
}

/// The current version of each customer and distributor.
#[utoipa::path(get, path = "/archives/customers", tag = "archives", params(CustomerQuery),
    responses((status = 200, body = Page<Customer>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_customers(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<CustomerQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        org_id: None,
    }
    .page()?;
    Ok(Json(
        state
            .store
            .customers(&caller, q.org_id, q.party_org_id, page)
            .await?,
    ))
}

/// A customer or distributor: its current version and every version.
#[utoipa::path(get, path = "/archives/customers/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Versions<Customer>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Versions<Customer>>> {
    Ok(Json(state.store.customer(&caller, id).await?))
}

/// Record a new version of a customer or distributor.
#[utoipa::path(put, path = "/archives/customers/{id}", tag = "archives", params(("id" = Uuid, Path)),
    request_body = CustomerRequest,
    responses((status = 200, body = Versions<Customer>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<CustomerRequest>,
) -> ApiResult<Json<Versions<Customer>>> {
    Ok(Json(
        state
            .store
            .record_customer(&caller, Some(id), &req.into())
            .await?,
    ))
}

/// The shipments despatched to a customer, newest first.
#[utoipa::path(get, path = "/archives/customers/{id}/shipments", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CustomerShipment>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn customer_shipments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<CustomerShipment>>> {
    Ok(Json(state.store.customer_shipments(&caller, id).await?))
}

/// The sales recorded to a customer, newest first: the sale records naming
/// it as their buyer (`agri:buyer`), and those naming no buyer whose
/// destination is its organisation on the platform (a wholesale sale).
#[utoipa::path(get, path = "/archives/customers/{id}/sales", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CustomerSale>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn customer_sales(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Vec<CustomerSale>>> {
    Ok(Json(state.store.customer_sales(&caller, id).await?))
}

/// A training session's version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingRequest {
    /// YYYY-MM-DD.
    pub held_on: String,
    pub topic: String,
    pub content: String,
    pub trainer: String,
    pub attendees: Vec<String>,
    /// The material: an uploaded file's id; left out, a new version keeps
    /// the previous file.
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
}

impl From<TrainingRequest> for NewTraining {
    fn from(r: TrainingRequest) -> Self {
        NewTraining {
            held_on: r.held_on,
            topic: r.topic,
            content: r.content,
            trainer: r.trainer,
            attendees: r.attendees,
            attachment: attach(r.attachment_id),
        }
    }
}

/// Record a training session (version 1).
#[utoipa::path(post, path = "/archives/trainings", tag = "archives", request_body = TrainingRequest,
    responses((status = 201, body = Versions<Training>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_training(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<TrainingRequest>,
) -> ApiResult<(StatusCode, Json<Versions<Training>>)> {
    let made = state.store.record_training(&caller, None, &req.into()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The current version of each training session.
#[utoipa::path(get, path = "/archives/trainings", tag = "archives", params(ListQuery),
    responses((status = 200, body = Page<Training>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_trainings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Page<Training>>> {
    Ok(Json(state.store.trainings(&caller, q.org_id, q.page()?).await?))
}

/// A training session: its current version and every version.
#[utoipa::path(get, path = "/archives/trainings/{id}", tag = "archives", params(("id" = Uuid, Path)),
    responses((status = 200, body = Versions<Training>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_training(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<Versions<Training>>> {
    Ok(Json(state.store.training(&caller, id).await?))
}

/// Record a new version of a training session.
#[utoipa::path(put, path = "/archives/trainings/{id}", tag = "archives", params(("id" = Uuid, Path)),
    request_body = TrainingRequest,
    responses((status = 200, body = Versions<Training>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_training(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    ValidJson(req): ValidJson<TrainingRequest>,
) -> ApiResult<Json<Versions<Training>>> {
    Ok(Json(
        state
            .store
            .record_training(&caller, Some(id), &req.into())
            .await?,
    ))
}
