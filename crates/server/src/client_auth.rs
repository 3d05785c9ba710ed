//! Mutual TLS at the request (R-5.3.2.2, R-7.2.5): the client certificate
//! a connection presented ([`crate::tls::PeerCertificate`]) is looked up
//! by fingerprint on every request, so a revocation applies at once.
//!
//! - A registered, unrevoked certificate for an API key authenticates the
//!   request as the key's user ([`crate::extract::Auth`] takes it), through
//!   the same rule as the key sent as a bearer token.
//! - One for a device authenticates that device's readings (the device is
//!   still checked by `authenticate_device`: enabled, organisation active).
//! - One for an organisation binds the connection to it: the request still
//!   carries a credential, and one of another organisation is refused.
//! - On a listener that requires certificates ([`CertPolicy::Required`]),
//!   a request without a known, unrevoked certificate is answered 401
//!   `client_certificate_refused`.
//! - On the main listener, where certificates are optional, a browser's
//!   request (one with `Origin` or `Sec-Fetch-Site`) is never authenticated
//!   by a certificate: a browser presents an installed certificate to any
//!   page's requests, so it would be an ambient credential open to
//!   cross-site request forgery. Browsers sign in; machines present
//!   certificates.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use suyuan_store::client_certs::CertPrincipal;
use suyuan_store::Caller;

use crate::error::ApiError;
use crate::tls::{CertPolicy, PeerCertificate};
use crate::AppState;

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "client_certificate_refused",
        "this address serves machine clients only: present a registered, unrevoked client certificate",
        "此地址仅服务机器客户端：须出示已登记且未吊销的客户端证书",
    )
}

/// Resolves the connection's client certificate into a [`CertPrincipal`]
/// extension; refuses a request without one where certificates are required.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Never trust a principal that did not come from this lookup.
    req.extensions_mut().remove::<CertPrincipal>();
    let presented = req.extensions().get::<PeerCertificate>().cloned();
    let principal = match presented {
        Some(c) => match state.store.client_cert_principal(&c.fingerprint).await {
            Ok(p) => p,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    if req.extensions().get::<CertPolicy>() == Some(&CertPolicy::Required) && principal.is_none() {
        return refused().into_response();
    }
    let from_browser =
        req.headers().contains_key(header::ORIGIN) || req.headers().contains_key("sec-fetch-site");
    let required = req.extensions().get::<CertPolicy>() == Some(&CertPolicy::Required);
    if let Some(p) = principal.filter(|_| required || !from_browser) {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// The caller a certificate for an API key authenticates, if any.
pub(crate) fn certified_caller(extensions: &axum::http::Extensions) -> Option<Caller> {
    match extensions.get::<CertPrincipal>() {
        Some(CertPrincipal::Caller(c)) => Some(c.clone()),
        _ => None,
    }
}

/// Refuses (401 `client_certificate_mismatch`) a credential of another
/// organisation than the one the connection's certificate belongs to.
pub(crate) fn check_organisation(
    extensions: &axum::http::Extensions,
    caller: &Caller,
) -> Result<(), ApiError> {
    match extensions.get::<CertPrincipal>() {
        Some(CertPrincipal::Organisation(org)) if *org != caller.org_id => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "client_certificate_mismatch",
            "the credential belongs to another organisation than the client certificate",
            "凭据所属机构与客户端证书不符",
        )),
        _ => Ok(()),
    }
}
