//! Client certificates for mutual TLS: the platform's
//! client CA (its private key sealed with the platform secret, like the
//! devices' keys) and the certificates machine clients present, each known
//! by the SHA-256 of its DER and mapped to what it authenticates as: an
//! organisation, a device or an API key. Certificates the CA issued and
//! certificates from elsewhere registered by fingerprint are alike here;
//! the fingerprint, not the issuer, is the credential. Revoking sets
//! `revoked_at`; the next request with the certificate is refused.
//!
//! Operator-only management; the lookup a TLS listener makes per request
//! ([`Store::client_cert_principal`]) resolves the subject through the same
//! rules as its other credentials: an API key's user must be enabled and
//! the key unrevoked, a device is checked by `authenticate_device`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::orgs::ts;
use crate::users::decode_caller;
use crate::{now_ms, params, Caller, Credential, Result, Store, StoreError};

/// What a client certificate authenticates as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CertSubject {
    /// An organisation's machine: requests still carry a credential of a
    /// user of that organisation, and credentials of others are refused.
    Organisation(Uuid),
    /// A device, for its readings.
    Device(Uuid),
    /// An API key: the request acts as the key's user.
    ApiKey(Uuid),
}

impl CertSubject {
    fn parts(&self) -> (&'static str, Uuid) {
        match self {
            CertSubject::Organisation(id) => ("organisation", *id),
            CertSubject::Device(id) => ("device", *id),
            CertSubject::ApiKey(id) => ("api_key", *id),
        }
    }

    fn from_parts(kind: &str, id: Uuid) -> Result<Self> {
        Ok(match kind {
            "organisation" => CertSubject::Organisation(id),
            "device" => CertSubject::Device(id),
            "api_key" => CertSubject::ApiKey(id),
            other => return Err(StoreError::Corrupt(format!("client certificate for a '{other}'"))),
        })
    }
}

/// A client certificate the platform knows.
#[derive(Debug, Clone, Serialize)]
pub struct ClientCert {
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub fingerprint: String,
    pub subject: CertSubject,
    /// `issued` (by the platform CA) or `registered` (by fingerprint).
    pub origin: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who a presented certificate authenticates as.
#[derive(Debug, Clone)]
pub enum CertPrincipal {
    /// An API key's user, with the key as the credential.
    Caller(Caller),
    /// A device (checked again by `authenticate_device` when it sends readings).
    Device(Uuid),
    /// An organisation's machine.
    Organisation(Uuid),
}

/// The platform CA as stored: its certificate and its private key (PEM).
pub struct ClientCa {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for ClientCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCa")
            .field("key_pem", &"…")
            .finish_non_exhaustive()
    }
}

fn require_operator(caller: &Caller) -> Result<()> {
    if caller.is_operator() {
        Ok(())
    } else {
        Err(StoreError::forbidden(
            "operator_only",
            "only the platform operator manages client certificates",
            "仅平台运营方可管理客户端证书",
        ))
    }
}

/// A fingerprint: 64 hex digits (colons allowed), as lowercase hex.
pub fn normalise_fingerprint(text: &str) -> Result<String> {
    let hex: String = text.trim().chars().filter(|c| *c != ':').collect();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(StoreError::invalid(
            "fingerprint",
            suyuan_core::Invalid::new(
                "fingerprint_invalid",
                "a certificate fingerprint is the SHA-256 of its DER: 64 hex digits",
                "证书指纹须为其 DER 编码的 SHA-256（64 位十六进制）",
            ),
        ))
    }
}

fn decode_cert(r: &crate::db::Row) -> Result<ClientCert> {
    Ok(ClientCert {
        fingerprint: r.text("fingerprint")?,
        subject: CertSubject::from_parts(&r.text("subject_kind")?, r.uuid("subject_id")?)?,
        origin: r.text("origin")?,
        label: r.text("label")?,
        created_at: ts(r.int("created_at")?),
        revoked_at: r.opt_int("revoked_at")?.map(ts),
    })
}

impl Store {
    /// The platform CA, its key unsealed; `None` before `admin ca init`.
    pub async fn client_ca(&self) -> Result<Option<ClientCa>> {
        let row = self
            .db
            .conn()
            .fetch_optional("SELECT cert_pem, key_cipher FROM client_ca WHERE id = 1", &[])
            .await?;
        row.map(|r| {
            Ok(ClientCa {
                cert_pem: r.text("cert_pem")?,
                key_pem: self.cipher.decrypt(&r.text("key_cipher")?)?,
            })
        })
        .transpose()
    }

    /// Keeps a new platform CA; refused (409) when one exists.
    pub async fn create_client_ca(&self, op: &Caller, ca: &ClientCa) -> Result<()> {
        require_operator(op)?;
        let sealed = self.cipher.encrypt(&ca.key_pem)?;
        let done = self
            .db
            .conn()
            .execute(
                "INSERT INTO client_ca (id, cert_pem, key_cipher, created_at) VALUES (1, $1, $2, $3)",
                &params![ca.cert_pem.as_str(), sealed, now_ms()],
            )
            .await;
        match done {
            Err(e) if e.is_unique_violation() => Err(StoreError::conflict(
                "client_ca_exists",
                None,
                "the platform client CA exists already",
                "平台客户端 CA 已存在",
            )),
            other => other.map(|_| ()),
        }
    }

    /// Records a client certificate by fingerprint, mapped to `subject`
    /// (which must exist). `origin` is `issued` or `registered`.
    pub async fn add_client_cert(
        &self,
        op: &Caller,
        fingerprint: &str,
        subject: CertSubject,
        origin: &str,
        label: &str,
    ) -> Result<ClientCert> {
        require_operator(op)?;
        let fingerprint = normalise_fingerprint(fingerprint)?;
        let (kind, id) = subject.parts();
        let exists_sql = match subject {
            CertSubject::Organisation(_) => "SELECT id FROM organisations WHERE id = $1",
            CertSubject::Device(_) => "SELECT id FROM devices WHERE id = $1",
            CertSubject::ApiKey(_) => "SELECT id FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
        };
        if self
            .db
            .conn()
            .fetch_optional(exists_sql, &params![id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound {
                what: match subject {
                    CertSubject::Organisation(_) => "organisation",
                    CertSubject::Device(_) => "device",
                    CertSubject::ApiKey(_) => "API key",
                },
            });
        }
        let label: String = label.trim().chars().take(200).collect();
        let done = self
            .db
            .conn()
            .execute(
                "INSERT INTO client_certificates (fingerprint, subject_kind, subject_id, origin, label, \
                 created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
                &params![
                    fingerprint.as_str(),
                    kind,
                    id,
                    origin,
                    label.as_str(),
                    op.user_id,
                    now_ms()
                ],
            )
            .await;
        match done {
            Err(e) if e.is_unique_violation() => {
                return Err(StoreError::conflict(
                    "client_cert_exists",
                    Some("fingerprint"),
                    "this certificate is registered already",
                    "该证书已登记",
                ))
            }
            other => other?,
        };
        self.client_cert(&fingerprint).await?.ok_or(StoreError::NotFound {
            what: "client certificate",
        })
    }

    async fn client_cert(&self, fingerprint: &str) -> Result<Option<ClientCert>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT * FROM client_certificates WHERE fingerprint = $1",
                &params![fingerprint],
            )
            .await?;
        row.as_ref().map(decode_cert).transpose()
    }

    /// Revokes a client certificate; effective on the next request.
    pub async fn revoke_client_cert(&self, op: &Caller, fingerprint: &str) -> Result<ClientCert> {
        require_operator(op)?;
        let fingerprint = normalise_fingerprint(fingerprint)?;
        self.db
            .conn()
            .execute(
                "UPDATE client_certificates SET revoked_at = $2 WHERE fingerprint = $1 AND revoked_at IS NULL",
                &params![fingerprint.as_str(), now_ms()],
            )
            .await?;
        self.client_cert(&fingerprint).await?.ok_or(StoreError::NotFound {
            what: "client certificate",
        })
    }

    /// Every client certificate, newest first.
    pub async fn list_client_certs(&self, op: &Caller) -> Result<Vec<ClientCert>> {
        require_operator(op)?;
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT * FROM client_certificates ORDER BY created_at DESC, fingerprint",
                &[],
            )
            .await?;
        rows.iter().map(decode_cert).collect()
    }

    /// Who a presented certificate authenticates as: `None` when it is
    /// unknown or revoked, or when what it maps to can no longer act (a
    /// revoked key, a disabled user).
    pub async fn client_cert_principal(&self, fingerprint: &str) -> Result<Option<CertPrincipal>> {
        let Ok(fingerprint) = normalise_fingerprint(fingerprint) else {
            return Ok(None);
        };
        let Some(cert) = self.client_cert(&fingerprint).await? else {
            return Ok(None);
        };
        if cert.revoked_at.is_some() {
            return Ok(None);
        }
        Ok(match cert.subject {
            CertSubject::Organisation(id) => Some(CertPrincipal::Organisation(id)),
            CertSubject::Device(id) => Some(CertPrincipal::Device(id)),
            CertSubject::ApiKey(key) => self.caller_for_api_key(key).await?.map(CertPrincipal::Caller),
        })
    }

    /// The caller an unrevoked API key of an enabled user acts as (the same
    /// rule as a key presented as a bearer token).
    async fn caller_for_api_key(&self, key: Uuid) -> Result<Option<Caller>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status \
                 FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organisations o ON o.id = u.org_id \
                 WHERE k.id = $1 AND k.revoked_at IS NULL AND u.disabled = FALSE",
                &params![key],
            )
            .await?;
        row.map(|r| decode_caller(&r, Credential::ApiKey(key)))
            .transpose()
    }
}
