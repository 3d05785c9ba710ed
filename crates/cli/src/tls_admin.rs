//! `suyuan admin ca …` and `suyuan admin client-cert …`: the platform's
//! client CA and the client certificates of machine clients (mutual TLS,
//! The CA's key is kept in the database sealed with the platform
//! secret; an issued certificate's key is written once to a file and never
//! stored. A certificate from elsewhere is registered by its fingerprint.
//! Each certificate maps to an organisation, a device or an API key, and
//! revoking it takes effect on the next request.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use suyuan_store::client_certs::{CertSubject, ClientCa, ClientCert};
use suyuan_store::{Caller, Store};
use uuid::Uuid;

use crate::admin::{emit, explain};

/// The CA's common name; the issuer name of every certificate it signs.
const CA_NAME: &str = "suyuan platform client CA";

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create the platform's client CA (once); prints its certificate.
    Init {
        /// Also write the CA certificate (PEM) here, for clients and proxies.
        #[arg(long)]
        out_cert: Option<PathBuf>,
    },
    /// Print the CA certificate (PEM).
    Show,
}

/// What a certificate authenticates as: exactly one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SubjectArgs {
    /// An organisation's machine (its requests still carry that organisation's credential).
    #[arg(long)]
    org: Option<Uuid>,
    /// A device (its readings need no token).
    #[arg(long)]
    device: Option<Uuid>,
    /// An API key (requests act as the key's user).
    #[arg(long)]
    api_key: Option<Uuid>,
}

impl SubjectArgs {
    fn subject(&self) -> Result<CertSubject> {
        match (self.org, self.device, self.api_key) {
            (Some(id), None, None) => Ok(CertSubject::Organisation(id)),
            (None, Some(id), None) => Ok(CertSubject::Device(id)),
            (None, None, Some(id)) => Ok(CertSubject::ApiKey(id)),
            _ => bail!("give one of --org, --device, --api-key"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ClientCertCommand {
    /// Issue a client certificate signed by the platform CA.
    Issue {
        #[command(flatten)]
        subject: SubjectArgs,
        /// Where to write the certificate (PEM).
        #[arg(long)]
        out_cert: PathBuf,
        /// Where to write its private key (PEM, owner-only; never stored).
        #[arg(long)]
        out_key: PathBuf,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 397)]
        days: u32,
        /// A note on whose machine it is.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Register a certificate from elsewhere by its SHA-256 fingerprint (of the DER).
    Register {
        #[arg(long)]
        fingerprint: String,
        #[command(flatten)]
        subject: SubjectArgs,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a certificate: refused from the next request on.
    Revoke { fingerprint: String },
    /// Every client certificate.
    List,
}

/// `admin ca …`.
pub async fn ca(store: &Store, op: &Caller, json: bool, cmd: CaCommand) -> Result<()> {
    match cmd {
        CaCommand::Init { out_cert } => {
            let key = KeyPair::generate().context("cannot generate the CA key")?;
            let cert = ca_params()?
                .self_signed(&key)
                .context("cannot sign the CA certificate")?;
            let ca = ClientCa {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
            };
            store.create_client_ca(op, &ca).await.map_err(explain)?;
            if let Some(path) = out_cert {
                std::fs::write(&path, &ca.cert_pem)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            let fingerprint = suyuan_server::tls::fingerprint(cert.der());
            emit(
                json,
                &serde_json::json!({"fingerprint": fingerprint, "certificate": ca.cert_pem}),
                |_| {
                    format!(
                        "平台客户端 CA 已创建 / platform client CA created ({fingerprint})\n{}",
                        ca.cert_pem
                    )
                },
            )
        }
        CaCommand::Show => {
            let ca = store
                .client_ca()
                .await?
                .context("no platform client CA: run `suyuan admin ca init`")?;
            emit(json, &serde_json::json!({"certificate": ca.cert_pem}), |_| {
                ca.cert_pem.clone()
            })
        }
    }
}

fn ca_params() -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(params)
}

/// `admin client-cert …`.
pub async fn client_cert(store: &Store, op: &Caller, json: bool, cmd: ClientCertCommand) -> Result<()> {
    let line = |c: &ClientCert| {
        let (kind, id) = match c.subject {
            CertSubject::Organisation(id) => ("organisation", id),
            CertSubject::Device(id) => ("device", id),
            CertSubject::ApiKey(id) => ("api_key", id),
        };
        format!(
            "{}  {:<12} {}  {:<10} {}{}",
            c.fingerprint,
            kind,
            id,
            c.origin,
            c.label,
            c.revoked_at.map(|t| format!("  revoked {t}")).unwrap_or_default()
        )
    };
    match cmd {
        ClientCertCommand::Issue {
            subject,
            out_cert,
            out_key,
            days,
            label,
        } => {
            let subject = subject.subject()?;
            let (cert_pem, key_pem, fingerprint) = issue(store, subject, days).await?;
            write_new(&out_cert, &cert_pem, false)?;
            write_new(&out_key, &key_pem, true)?;
            let added = store
                .add_client_cert(op, &fingerprint, subject, "issued", &label)
                .await;
            let c = match added {
                Ok(c) => c,
                Err(e) => {
                    let _ = std::fs::remove_file(&out_cert);
                    let _ = std::fs::remove_file(&out_key);
                    return Err(explain(e));
                }
            };
            emit(json, &c, line)
        }
        ClientCertCommand::Register {
            fingerprint,
            subject,
            label,
        } => {
            let c = store
                .add_client_cert(op, &fingerprint, subject.subject()?, "registered", &label)
                .await
                .map_err(explain)?;
            emit(json, &c, line)
        }
        ClientCertCommand::Revoke { fingerprint } => {
            let c = store
                .revoke_client_cert(op, &fingerprint)
                .await
                .map_err(explain)?;
            emit(json, &c, line)
        }
        ClientCertCommand::List => {
            let all = store.list_client_certs(op).await.map_err(explain)?;
            emit(json, &all, |all| {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

/// A new key and certificate for `subject`, signed by the platform CA:
/// (certificate PEM, key PEM, fingerprint).
async fn issue(store: &Store, subject: CertSubject, days: u32) -> Result<(String, String, String)> {
    if !(1..=3650).contains(&days) {
        bail!("--days: from 1 to 3650");
    }
    let ca = store
        .client_ca()
        .await?
        .context("no platform client CA: run `suyuan admin ca init` first")?;
    let ca_key = KeyPair::from_pem(&ca.key_pem).context("the stored CA key is unreadable")?;
    // The issuer: the CA's name and key, as stored (the same subject and key identifier).
    let issuer = ca_params()?.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let name = match subject {
        CertSubject::Organisation(id) => format!("organisation {id}"),
        CertSubject::Device(id) => format!("device {id}"),
        CertSubject::ApiKey(id) => format!("api-key {id}"),
    };
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    use chrono::Datelike;
    let day =
        |t: chrono::DateTime<chrono::Utc>| rcgen::date_time_ymd(t.year(), t.month() as u8, t.day() as u8);
    let now = chrono::Utc::now();
    let end = now + chrono::Duration::days(i64::from(days));
    params.not_before = day(now - chrono::Duration::days(1));
    params.not_after = day(end);
    let cert = params.signed_by(&key, &issuer, &ca_key)?;
    let fingerprint = suyuan_server::tls::fingerprint(cert.der());
    Ok((cert.pem(), key.serialize_pem(), fingerprint))
}

/// Writes a new file (never over an existing one); owner-only for a key.
fn write_new(path: &Path, text: &str, private: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
