//! HTTPS built in (R-5.1.3, R-5.3.2.2, R-7.2.5): rustls with the `ring`
//! provider, TLS 1.2 and 1.3 only.
//!
//! - [`CertResolver`] holds the server certificate behind a lock and hands
//!   it to every handshake; [`CertResolver::watch`] re-reads the PEM files
//!   every few seconds and swaps in a renewed certificate (a broken file is
//!   logged and the old certificate kept), so renewal needs no restart.
//! - Client certificates (mutual TLS) are requested optionally on the main
//!   listener and required on a machine-only one. A certificate is accepted
//!   by the handshake when the client proves it holds its key; whether it
//!   authenticates anyone is decided per request by its SHA-256 fingerprint
//!   in the store ([`crate::client_auth`]), so a revocation applies to the
//!   next request without restart.
//! - [`serve_tls`] is the accept loop axum cannot do over TLS: each
//!   connection's requests carry `ConnectInfo<SocketAddr>`, the
//!   [`PeerCertificate`] and the listener's [`CertPolicy`], and the loop
//!   shuts down gracefully like [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The SHA-256 of a certificate's DER, lowercase hex: how the platform
/// knows client certificates.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The client certificate a connection presented (its fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    pub fingerprint: String,
}

/// What a listener asks of its clients' certificates, attached to every
/// request it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertPolicy {
    /// A certificate, if presented and known, authenticates; none is needed.
    Optional,
    /// A machine-only listener: every request needs a known, unrevoked
    /// certificate (else 401 `client_certificate_refused`).
    Required,
}

/// The `ring` provider: no C toolchain beyond ring's own, no aws-lc.
/// (rustls marks it deprecated only because its key exchange has no
/// post-quantum group; X25519 and the NIST curves remain.)
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads a certificate chain and its private key from PEM text.
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, String> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the key file holds no private key: {e}"))?;
    let signer = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("unusable private key: {e}"))?;
    let ck = CertifiedKey::new(certs, signer);
    ck.keys_match()
        .map_err(|e| format!("the private key does not match the certificate: {e}"))?;
    Ok(ck)
}

/// The server's certificate, swapped when its files change.
#[derive(Debug)]
pub struct CertResolver {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' contents the current certificate was read from.
    loaded: RwLock<(Vec<u8>, Vec<u8>)>,
}

impl CertResolver {
    /// Loads the certificate and key files (PEM); an error names the problem.
    pub fn load(cert_path: PathBuf, key_path: PathBuf) -> Result<Arc<Self>, String> {
        let (cert, key) = read_pair(&cert_path, &key_path)?;
        let ck = certified_key(&cert, &key)?;
        Ok(Arc::new(CertResolver {
            cert_path,
            key_path,
            current: RwLock::new(Arc::new(ck)),
            loaded: RwLock::new((cert, key)),
        }))
    }

    /// The fingerprint of the certificate served now.
    pub fn current_fingerprint(&self) -> String {
        let ck = self
            .current
            .read()
            .map_or_else(|p| p.into_inner().clone(), |c| c.clone());
        ck.cert.first().map(|c| fingerprint(c)).unwrap_or_default()
    }

    /// Re-reads the files; swaps in the certificate when they changed and
    /// are good. Answers whether it swapped; a bad new pair is an error and
    /// the old certificate stays.
    pub fn reload(&self) -> Result<bool, String> {
        let (cert, key) = read_pair(&self.cert_path, &self.key_path)?;
        let unchanged = self.loaded.read().is_ok_and(|l| l.0 == cert && l.1 == key);
        if unchanged {
            return Ok(false);
        }
        let ck = certified_key(&cert, &key)?;
        if let Ok(mut c) = self.current.write() {
            *c = Arc::new(ck);
        }
        if let Ok(mut l) = self.loaded.write() {
            *l = (cert, key);
        }
        Ok(true)
    }

    /// Checks the files every `every` for a renewed certificate.
    pub fn watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                ticks.tick().await;
                match me.reload() {
                    Ok(true) => {
                        failing = false;
                        tracing::info!(fingerprint = %me.current_fingerprint(), "TLS certificate reloaded");
                    }
                    Ok(false) => failing = false,
                    Err(e) if !failing => {
                        failing = true;
                        tracing::error!(code = "tls_reload_failed", error = %e,
                            "the renewed TLS certificate is unusable; the previous one is still served");
                    }
                    Err(_) => {}
                }
            }
        })
    }
}

fn read_pair(cert: &std::path::Path, key: &std::path::Path) -> Result<(Vec<u8>, Vec<u8>), String> {
    let read =
        |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    Ok((read(cert)?, read(key)?))
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| Arc::clone(&c))
    }
}

/// Accepts any client certificate within its validity whose key the client
/// proves it holds; the store decides per request whom it authenticates (by
/// the certificate's fingerprint, which pins it).
#[derive(Debug)]
struct FingerprintVerifier {
    mandatory: bool,
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for FingerprintVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        cert: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // The fingerprint pins the very certificate, so no chain is needed;
        // its own validity still holds.
        let Some((from, until)) = validity_of(cert) else {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            ));
        };
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < from {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidYet,
            ));
        }
        if now > until {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Expired,
            ));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Client certificates a listener asks for: none, optional or required,
/// with the subjects of the CAs that issue them (hints to the client).
#[derive(Debug, Clone)]
pub enum ClientCerts {
    None,
    Optional(Vec<Vec<u8>>),
    Required(Vec<Vec<u8>>),
}

/// A TLS server configuration: TLS 1.3 and 1.2 only, HTTP/1.1, the
/// certificate from `resolver`.
pub fn server_config(
    resolver: Arc<CertResolver>,
    client_certs: ClientCerts,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?;
    let (mandatory, subjects) = match client_certs {
        ClientCerts::None => (None, Vec::new()),
        ClientCerts::Optional(s) => (Some(false), s),
        ClientCerts::Required(s) => (Some(true), s),
    };
    let builder = match mandatory {
        None => builder.with_no_client_auth(),
        Some(mandatory) => builder.with_client_cert_verifier(Arc::new(FingerprintVerifier {
            mandatory,
            hints: subjects.into_iter().map(DistinguishedName::from).collect(),
            algorithms,
        })),
    };
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The subject (DER of its Name) of a PEM certificate, for client
/// certificate hints.
pub fn subject_of(cert_pem: &[u8]) -> Result<Vec<u8>, String> {
    let der = CertificateDer::from_pem_slice(cert_pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    tbs_field(&der, 4)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "not an X.509 certificate".to_owned())
}

/// The `index`-th field (whole, tag and length included) of a DER
/// certificate's TBSCertificate, not counting the optional version: 0 the
/// serial, 1 the signature algorithm, 2 the issuer, 3 the validity, 4 the
/// subject.
fn tbs_field(der: &[u8], index: usize) -> Option<&[u8]> {
    let (_, cert, _) = der_item(der)?;
    let (_, mut tbs, _) = der_item(cert)?;
    let mut at = 0;
    let mut first = true;
    while !tbs.is_empty() {
        let (tag, _, rest) = der_item(tbs)?;
        let whole = &tbs[..tbs.len() - rest.len()];
        if std::mem::take(&mut first) && tag == 0xa0 {
            tbs = rest;
            continue;
        }
        if at == index {
            return Some(whole);
        }
        at += 1;
        tbs = rest;
    }
    None
}

/// A DER certificate's validity (notBefore, notAfter) in seconds since the
/// epoch.
pub fn validity_of(der: &[u8]) -> Option<(i64, i64)> {
    let (_, validity, _) = der_item(tbs_field(der, 3)?)?;
    let (tag_a, a, rest) = der_item(validity)?;
    let (tag_b, b, _) = der_item(rest)?;
    Some((der_time(tag_a, a)?, der_time(tag_b, b)?))
}

/// An X.509 time: UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or
/// GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn der_time(tag: u8, body: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(body).ok()?.strip_suffix('Z')?;
    let full = match (tag, text.len()) {
        (0x17, 12) => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if yy >= 50 { "19" } else { "20" })
        }
        (0x18, 14) => text.to_owned(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// One DER item: (tag, contents, what follows).
fn der_item(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)? as usize;
    let (len, start) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let len = data
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, data.get(start..end)?, data.get(end..)?))
}

/// A TLS client configuration trusting the CA certificates in `ca_pem`,
/// presenting a client certificate when one is given (mutual TLS).
pub fn client_config(
    ca_pem: &[u8],
    client: Option<(&[u8], &[u8])>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| format!("the CA file is not PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("unusable CA certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err("the CA file holds no certificate".into());
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the client certificate is not PEM: {e}"))?;
            let key =
                PrivateKeyDer::from_pem_slice(key).map_err(|e| format!("the client key is not PEM: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("unusable client certificate: {e}"))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The server name to check a host's certificate against.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned()).map_err(|_| format!("'{host}' is not a host name"))
}

/// Serves `app` over TLS on a bound listener until `shutdown` completes,
/// then lets open requests finish (at most [`crate::SHUTDOWN_GRACE`]).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: Router,
    config: Arc<rustls::ServerConfig>,
    policy: CertPolicy,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
            };
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| PeerCertificate {
                    fingerprint: fingerprint(c),
                });
            let service =
                hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.extensions_mut().insert(policy);
                    if let Some(c) = &cert {
                        req.extensions_mut().insert(c.clone());
                    }
                    tower::ServiceExt::oneshot(app.clone(), req)
                });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(crate::SHUTDOWN_GRACE) => {}
    }
    Ok(())
}

/// The address a TLS listener's clients reach it at, for messages.
pub fn https_origin(addr: SocketAddr) -> String {
    format!("https://{addr}")
}

#[cfg(test)]
mod tests {
    use super::der_time;

    #[test]
    fn x509_times_read_both_forms() {
        // UTCTime: two-digit years 50–99 are 19xx, 00–49 are 20xx.
        assert_eq!(der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der_time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der_time(0x17, b"500101000000Z"), Some(-631_152_000));
        assert_eq!(der_time(0x18, b"20000101000000Z"), Some(946_684_800));
        // Anything else is no time.
        for (tag, bad) in [
            (0x17, &b"700101000000"[..]),
            (0x18, b"700101000000Z"),
            (0x17, b"70010100000aZ"),
            (0x04, b"700101000000Z"),
            (0x18, b"20001301000000Z"),
        ] {
            assert_eq!(der_time(tag, bad), None, "{bad:?}");
        }
    }
}
