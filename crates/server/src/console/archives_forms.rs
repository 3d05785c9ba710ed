//! The forms of the archives pages ([`super::archives`]). Documents and
//! training sessions are posted as `multipart/form-data` with their file
//! ([`Uploaded`]: the session's CSRF token and a same-site origin checked
//! as for every console form, before anything is read into the store);
//! the others as plain forms ([`Posted`]). Each calls the store function
//! the API calls (a form with field `entry` records that entry's next
//! version, as the API's `PUT` does), so a refusal is the API's, naming the
//! field: the form comes back as it was sent with the refusal beside that
//! field ([`refused`]), and nothing is stored (the file and its record
//! share one transaction).

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use suyuan_store::archives::audits::{ChecklistItem, NewAudit, NewNonconformity};
use suyuan_store::archives::customers::NewCustomer;
use suyuan_store::archives::documents::NewDocument;
use suyuan_store::archives::training::NewTraining;
use suyuan_store::archives::{Attach, NewAttachment};
use uuid::Uuid;

use super::archives_html::{audit_form, customer_form, document_form, nc_form, refused, training_form};
use super::{check_form_token, error_page, Console, Fields, PageResult, Posted};
use crate::error::ApiError;
use crate::multipart::{self, Part};
use crate::AppState;

/// Most parts a console upload form has.
const MAX_PARTS: usize = 20;

/// A `multipart/form-data` form posted by a signed-in user from a page of
/// this site with its session's CSRF token, and the file it carries, if
/// one was chosen.
pub(crate) struct Uploaded(pub Console, pub Fields, pub Option<Part>);

impl FromRequest<AppState> for Uploaded {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let lang = console.lang;
        crate::csrf::check_same_origin(&parts.headers, &state.config).map_err(|e| error_page(lang, e))?;
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart::boundary)
            .ok_or_else(|| {
                error_page(
                    lang,
                    ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "this form is posted as multipart/form-data",
                        "该表单须以 multipart/form-data 提交",
                    )
                    .with_field("Content-Type"),
                )
            })?;
        let bytes = crate::extract::read_body(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| error_page(lang, e))?;
        let parts = multipart::parse(&bytes, &boundary, MAX_PARTS).map_err(|e| error_page(lang, e))?;
        let mut fields = Vec::new();
        let mut file = None;
        for p in parts {
            match &p.filename {
                Some(name) if !name.is_empty() && !p.data.is_empty() => file = Some(p),
                Some(_) => {}
                None => fields.push((p.name.clone(), p.text())),
            }
        }
        let fields = Fields(fields);
        check_form_token(&console, &fields)?;
        Ok(Uploaded(console, fields, file))
    }
}

fn attach(file: Option<Part>) -> Attach {
    match file {
        Some(p) => Attach::New(NewAttachment {
            file_name: p.filename.unwrap_or_default(),
            bytes: p.data,
        }),
        None => Attach::Keep,
    }
}

/// An id in a form field; a malformed one names nothing, so not found.
fn entry_of(c: &Console, f: &Fields, name: &str) -> Result<Option<Uuid>, Response> {
    f.get(name)
        .map(|v| Uuid::parse_str(v).map_err(|_| error_page(c.lang, ApiError::not_found("record"))))
        .transpose()
}

fn back(kind: &str, entry: Uuid) -> Response {
    Redirect::to(&format!("/console/archives/{kind}/{entry}")).into_response()
}

/// A document, or its next version (field `entry`), with its file.
pub(crate) async fn document(State(state): State<AppState>, Uploaded(c, f, file): Uploaded) -> PageResult {
    let entry = entry_of(&c, &f, "entry")?;
    let new = NewDocument {
        kind: f.text("kind"),
        title: f.text("title"),
        effective_from: f.text("effective_from"),
        summary: f.get("summary").map(str::to_owned),
        attachment: attach(file),
    };
    let made = state
        .store
        .record_document(&c.caller, entry, &new)
        .await
        .map_err(|e| refused(&c, e.into(), f.clone(), |x| document_form(&c, entry, x)))?;
    Ok(back("documents", made.current.stamp.entry_id))
}

/// A training session with its material.
pub(crate) async fn training(State(state): State<AppState>, Uploaded(c, f, file): Uploaded) -> PageResult {
    let entry = entry_of(&c, &f, "entry")?;
    let new = NewTraining {
        held_on: f.text("held_on"),
        topic: f.text("topic"),
        content: f.text("content"),
        trainer: f.text("trainer"),
        attendees: lines(&f.text("attendees")),
        attachment: attach(file),
    };
    let made = state
        .store
        .record_training(&c.caller, entry, &new)
        .await
        .map_err(|e| refused(&c, e.into(), f.clone(), |x| training_form(&c, entry, x)))?;
    Ok(back("trainings", made.current.stamp.entry_id))
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A customer or distributor.
pub(crate) async fn customer(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let entry = entry_of(&c, &f, "entry")?;
    let party = match f.get("party_org_id") {
        Some(v) => Some(Uuid::parse_str(v).map_err(|_| {
            let e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "uuid_format",
                "party_org_id: an organisation's id is a UUID",
                "party_org_id：机构 ID 应为 UUID",
            )
            .with_field("party_org_id");
            refused(&c, e, f.clone(), |x| customer_form(&c, entry, x))
        })?),
        None => None,
    };
    let new = NewCustomer {
        kind: f.text("kind"),
        name: f.text("name"),
        uscc: f.get("uscc").map(str::to_owned),
        party_org_id: party,
        contact_name: f.get("contact_name").map(str::to_owned),
        contact_phone: f.get("contact_phone").map(str::to_owned),
        address: f.get("address").map(str::to_owned),
        note: f.get("note").map(str::to_owned),
    };
    let made = state
        .store
        .record_customer(&c.caller, entry, &new)
        .await
        .map_err(|e| refused(&c, e.into(), f.clone(), |x| customer_form(&c, entry, x)))?;
    Ok(back("customers", made.current.stamp.entry_id))
}

/// An internal audit; the checklist one item a line, `item|result|note`.
pub(crate) async fn audit(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let checklist = lines(&f.text("checklist"))
        .iter()
        .map(|l| {
            let mut it = l.splitn(3, '|').map(str::trim);
            ChecklistItem {
                item: it.next().unwrap_or("").to_owned(),
                result: it.next().unwrap_or("").to_owned(),
                note: it.next().filter(|n| !n.is_empty()).map(str::to_owned),
            }
        })
        .collect();
    let new = NewAudit {
        audited_on: f.text("audited_on"),
        scope: f.text("scope"),
        auditor: f.text("auditor"),
        checklist,
        findings: f.get("findings").map(str::to_owned),
    };
    let entry = entry_of(&c, &f, "entry")?;
    let made = state
        .store
        .record_audit(&c.caller, entry, &new)
        .await
        .map_err(|e| refused(&c, e.into(), f.clone(), |x| audit_form(&c, entry, x)))?;
    Ok(back("audits", made.current.stamp.entry_id))
}

/// A nonconformity of an audit (field `audit`), or its next version
/// (field `entry`): the action done, verified, closed.
pub(crate) async fn nonconformity(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let new = NewNonconformity {
        description: f.text("description"),
        cause: f.text("cause"),
        corrective_action: f.text("corrective_action"),
        owner: f.text("owner"),
        due_on: f.text("due_on"),
        status: f.get("status").map(str::to_owned),
        verification: f.get("verification").map(str::to_owned),
    };
    let (audit, entry) = (entry_of(&c, &f, "audit")?, entry_of(&c, &f, "entry")?);
    let made = state
        .store
        .record_nonconformity(&c.caller, audit, entry, &new)
        .await
        .map_err(|e| refused(&c, e.into(), f.clone(), |x| nc_form(&c, audit, entry, x)))?;
    Ok(back("nonconformities", made.current.stamp.entry_id))
}
