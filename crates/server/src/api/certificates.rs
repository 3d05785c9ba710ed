//! 承诺达标合格证 over HTTP: issue one from the trace for a lot or a
//! shipment, list, read, void, print (PDF in A5, 100×70, 80×60 mm; TSPL or
//! ZPL at 203 or 300 dpi for the 100×70 and 80×60 stickers on roll
//! printers), and
//! record a certificate received with a shipment. Who may do what:
//! a verified producer, processor, logistics company or retailer's
//! recorder issues and voids its own; anyone reads a certificate by its
//! number (it is printed for the public); the list is the organisation's
//! own (officers: their jurisdiction's).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use suyuan_core::model::CertificateBasis;
use suyuan_core::quality::certificate::{TITLE_EN, TITLE_ZH};
use suyuan_labels::certificate::{certificates_pdf, certificates_printer, CertificateForm, CertificateSize};
use suyuan_labels::Format;
use suyuan_store::quality::certificates::{Certificate, NewCertificate};
use utoipa::{IntoParams, ToSchema};

use super::trace::trace_target;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, ValidJson, ValidQuery};
use crate::AppState;

/// A request to issue a certificate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// A lot's code in any form, or a shipment's despatch reference.
    pub code: String,
    pub quantity: f64,
    /// kg, jin, t, g, piece, box, head.
    pub unit: String,
    /// control, self_test or commissioned_test.
    pub basis: String,
}

/// A certificate just issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Issued {
    pub number: String,
    /// The certificate's public page (its QR code).
    pub url: String,
    pub certificate: Certificate,
}

/// The public page of a certificate.
pub fn certificate_url(public_url: &str, number: &str) -> String {
    format!("{}/c/{number}", public_url.trim_end_matches('/'))
}

fn not_found() -> ApiError {
    ApiError::from(suyuan_store::StoreError::NotFound { what: "certificate" })
}

/// Issue a certificate for a lot the caller holds or a shipment it despatched.
#[utoipa::path(post, path = "/certificates", tag = "quality", request_body = IssueRequest,
    responses((status = 201, body = Issued), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<IssueRequest>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    // A lot's code in any form; otherwise a despatch reference as typed.
    let subject = trace_target(&req.code).unwrap_or_else(|_| req.code.trim().to_owned());
    let cert = state
        .store
        .issue_certificate(
            &caller,
            &NewCertificate {
                subject,
                quantity: req.quantity,
                unit: req.unit,
                basis: req.basis,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Issued {
            number: cert.number.clone(),
            url: certificate_url(&state.config.public_url, &cert.number),
            certificate: cert,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many, newest first, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The caller's organisation's certificates (officers: their jurisdiction's).
#[utoipa::path(get, path = "/certificates", tag = "quality", params(ListQuery),
    responses((status = 200, body = Vec<Certificate>), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidQuery(q): ValidQuery<ListQuery>,
) -> ApiResult<Json<Vec<Certificate>>> {
    Ok(Json(
        state
            .store
            .list_certificates(&caller, crate::extract::limit_within(q.limit, 100, 1000)?.into())
            .await?,
    ))
}

/// A certificate by its number (public: it is printed on the product).
#[utoipa::path(get, path = "/certificates/{number}", security(()), tag = "quality",
    params(("number" = String, Path)),
    responses((status = 200, body = Certificate), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Path(number): Path<String>) -> ApiResult<Json<Certificate>> {
    Ok(Json(
        state.store.certificate(&number).await?.ok_or_else(not_found)?,
    ))
}

/// Why a certificate is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub reason: String,
}

/// Void (作废) one of the caller's organisation's certificates, with a reason.
#[utoipa::path(post, path = "/certificates/{number}/void", tag = "quality",
    params(("number" = String, Path)), request_body = VoidRequest,
    responses((status = 200, body = Certificate), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn void(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(number): Path<String>,
    ValidJson(req): ValidJson<VoidRequest>,
) -> ApiResult<Json<Certificate>> {
    Ok(Json(
        state
            .store
            .void_certificate(&caller, &number, &req.reason)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PdfQuery {
    /// a5 (default), 100x70 or 80x60.
    pub size: Option<String>,
    /// `pdf` (default), or a file for the roll printers: `tspl` (TSC,
    /// Gprinter, Xprinter) or `zpl` (Zebra), for the 100x70 and 80x60
    /// stickers only.
    pub format: Option<String>,
    /// Printer files: the printer's resolution, 203 (default) or 300 dpi.
    pub dpi: Option<u32>,
}

/// What a certificate prints.
pub fn form_of(cert: &Certificate, public_url: &str) -> CertificateForm {
    let style = cert.style();
    let (party, _) = style.party();
    let unit =
        suyuan_core::model::QuantityUnit::parse(&cert.unit).map_or(cert.unit.clone(), |u| u.zh().to_owned());
    CertificateForm {
        title: TITLE_ZH.to_owned(),
        number: cert.number.clone(),
        rows: vec![
            ("产品名称".into(), cert.product_name.clone()),
            ("数量（重量）".into(), format!("{} {unit}", cert.quantity)),
            ("产地".into(), cert.origin.clone()),
            (party.into(), cert.committer_name.clone()),
            ("统一社会信用代码".into(), cert.committer_code.clone()),
            ("联系方式".into(), cert.committer_contact.clone()),
            ("开具日期".into(), cert.issue_date.clone()),
        ],
        commitment_heading: "我承诺对生产销售的食用农产品：".into(),
        commitment: style.commitment().iter().map(|c| c.0.to_owned()).collect(),
        bases: CertificateBasis::ALL
            .iter()
            .map(|b| (b.zh().to_owned(), b.as_str() == cert.basis))
            .collect(),
        url: certificate_url(public_url, &cert.number),
        void_note: (!cert.is_valid()).then(|| "已作废 VOID".to_owned()),
    }
}

/// The certificate printed: a PDF of one page, or with `format` a TSPL or
/// ZPL file printing the 100x70 or 80x60 sticker on a roll printer.
#[utoipa::path(get, path = "/certificates/{number}/pdf", tag = "quality",
    params(("number" = String, Path), PdfQuery),
    responses((status = 200, description = "The PDF, or the printer file (Content-Disposition: attachment)", content(
            (String = "application/pdf"), (String = "application/vnd.tsc.tspl"), (String = "application/vnd.zebra.zpl"))),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn pdf(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(number): Path<String>,
    ValidQuery(q): ValidQuery<PdfQuery>,
) -> ApiResult<Response> {
    let refused = |field: &'static str| {
        move |e: suyuan_core::Invalid| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh).with_field(field)
        }
    };
    let size: CertificateSize = q
        .size
        .as_deref()
        .unwrap_or("a5")
        .parse()
        .map_err(refused("size"))?;
    let format: Format = q
        .format
        .as_deref()
        .unwrap_or("pdf")
        .parse()
        .map_err(refused("format"))?;
    let dpi = q.dpi.unwrap_or(203);
    let cert = state
        .store
        .certificate(&number)
        .await?
        .filter(|c| c.org_id == caller.org_id)
        .ok_or_else(not_found)?;
    let form = form_of(&cert, &state.config.public_url);
    let bytes = if format == Format::Pdf {
        certificates_pdf(&[form], size).map_err(refused("size"))?
    } else {
        certificates_printer(&[form], size, format, dpi).map_err(|e| {
            let field = if e.code == "label_dpi" { "dpi" } else { "size" };
            refused(field)(e)
        })?
    };
    let _ = TITLE_EN;
    Ok(crate::export::file(
        bytes,
        format.content_type(),
        &format!(
            "certificate-{}-{}.{}",
            cert.number,
            size.name(),
            format.extension()
        ),
    ))
}

/// A certificate received with a shipment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The certificate's number, scanned or typed.
    pub number: String,
    /// The despatch reference of the shipment it came with.
    pub despatch_ref: String,
}

/// The id of a receipt recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptRecorded {
    pub id: uuid::Uuid,
}

/// Record a certificate received with a shipment addressed to the caller's organisation.
#[utoipa::path(post, path = "/certificates/received", tag = "quality", request_body = ReceiptRequest,
    responses((status = 201, body = ReceiptRecorded), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn receive(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ValidJson(req): ValidJson<ReceiptRequest>,
) -> ApiResult<(StatusCode, Json<ReceiptRecorded>)> {
    let id = state
        .store
        .receive_certificate(&caller, &req.number, req.despatch_ref.trim())
        .await?;
    Ok((StatusCode::CREATED, Json(ReceiptRecorded { id })))
}
