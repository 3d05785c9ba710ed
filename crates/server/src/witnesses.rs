//! Asking witnesses to cosign the log's checkpoints (C2SP tlog-witness
//! `add-checkpoint`), over HTTP/1.1 or HTTPS: each witness gets the newest
//! checkpoint with a consistency proof from the size it last cosigned; a
//! `409` tells the size it really has (the log then retries once with the
//! right proof); a cosignature is checked before it is kept. A witness on
//! another organisation's machine is reached at an `https://` URL over TLS
//! (rustls), trusting the CA configured for witnesses (`--witness-ca`) and,
//! for mutual TLS, presenting a client certificate; `http://` is for a
//! witness on the same machine or a private network.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use suyuan_ledger::note::VerifierKey;
use suyuan_store::tlog::StoredCheckpoint;
use suyuan_store::Store;

/// How long one witness may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A witness the log asks: its public key, its base URL
/// (`http://host:port` or `https://host:port`) and, for `https://`, the
/// TLS client configuration to reach it with.
#[derive(Debug, Clone)]
pub struct WitnessEndpoint {
    pub vkey: VerifierKey,
    pub url: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl WitnessEndpoint {
    /// Parses `VKEY@http://host:port` or `VKEY@https://host:port` (the form
    /// of `--witness`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (vkey, url) = text.rsplit_once('@').ok_or("expected VKEY@https://host:port")?;
        let vkey = VerifierKey::parse(vkey).map_err(|e| format!("not a witness vkey: {e}"))?;
        if vkey.sig_type() != suyuan_ledger::note::SIG_TYPE_COSIGNATURE_V1 {
            return Err("the key is not a witness (cosignature/v1) key".into());
        }
        Target::parse(url)?;
        Ok(WitnessEndpoint {
            vkey,
            url: url.trim_end_matches('/').to_owned(),
            tls: None,
        })
    }

    /// Whether the witness is reached over HTTPS.
    pub fn is_https(&self) -> bool {
        self.url.starts_with("https://")
    }

    /// The TLS client configuration for an `https://` witness.
    pub fn with_tls(mut self, tls: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// Where a witness URL points.
struct Target {
    https: bool,
    host: String,
    /// `host:port`.
    addr: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, String> {
        let (https, rest) = match url.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (
                false,
                url.strip_prefix("http://")
                    .ok_or("the witness URL must start with https:// or http://")?,
            ),
        };
        let hostport = rest.trim_end_matches('/');
        if hostport.is_empty() || hostport.contains('/') {
            return Err("the witness URL is https://host:port, without a path".into());
        }
        let (host, addr) = match hostport.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => {
                (h.to_owned(), hostport.to_owned())
            }
            _ => (
                hostport.to_owned(),
                format!("{hostport}:{}", if https { 443 } else { 80 }),
            ),
        };
        Ok(Target { https, host, addr })
    }
}

/// One HTTP/1.1 POST to a witness; answers (status, body).
async fn post(
    url: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let target = Target::parse(url)?;
    if target.https && tls.is_none() {
        return Err("an https:// witness needs the CA that signed its certificate (--witness-ca)".into());
    }
    crate::outbound::post(&crate::outbound::Post {
        connect: &target.addr,
        authority: &target.addr,
        host: &target.host,
        tls: tls.filter(|_| target.https),
        path,
        content_type: "text/plain; charset=utf-8",
        headers: &[],
        body: body.as_bytes(),
        timeout: TIMEOUT,
    })
    .await
}

impl WitnessEndpoint {
    /// Asks this witness to cosign `cp`; keeps the cosignature. Retries once
    /// when the witness says it has cosigned another size than we thought.
    pub async fn cosign(&self, store: &Store, cp: &StoredCheckpoint) -> Result<(), String> {
        let mut old = store.witness_size(&self.vkey).await.map_err(|e| e.to_string())?;
        for _ in 0..2 {
            if old > cp.size {
                return Err(format!(
                    "the witness has cosigned size {old}, larger than our {}",
                    cp.size
                ));
            }
            let proof = if old == 0 || old == cp.size {
                Vec::new()
            } else {
                store
                    .consistency_proof(old, cp.size)
                    .await
                    .map_err(|e| e.to_string())?
                    .proof
            };
            let mut body = format!("old {old}\n");
            for h in &proof {
                let h = suyuan_ledger::Hash::from_hex(h).map_err(|e| e.to_string())?;
                body.push_str(&base64::engine::general_purpose::STANDARD.encode(h.as_bytes()));
                body.push('\n');
            }
            body.push('\n');
            body.push_str(&cp.note);
            let (status, answer) = post(&self.url, self.tls.as_ref(), "/add-checkpoint", &body).await?;
            match status {
                200 => {
                    let line = answer
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .ok_or("the witness answered no cosignature")?;
                    return store
                        .add_cosignature(cp, &self.vkey, line)
                        .await
                        .map_err(|e| e.to_string());
                }
                409 => {
                    let size: u64 = answer
                        .trim()
                        .parse()
                        .map_err(|_| format!("409 from the witness: {}", answer.trim()))?;
                    if size == old {
                        // Same size, other root: the witness saw a fork.
                        return Err(format!("the witness refused: {}", answer.trim()));
                    }
                    store
                        .record_witness_state(&self.vkey, size, None)
                        .await
                        .map_err(|e| e.to_string())?;
                    old = size;
                }
                other => return Err(format!("the witness refused ({other}): {}", answer.trim())),
            }
        }
        Err("the witness keeps changing its size".into())
    }
}

/// One round: a checkpoint of the log as it is now, offered to every
/// witness (one that already cosigned it simply cosigns it again). Answers how many cosignatures the
/// checkpoint has from these witnesses afterwards; failures are recorded
/// per witness and logged.
pub async fn cosign_round(store: &Store, witnesses: &[WitnessEndpoint]) -> Result<usize, String> {
    let cp = store.checkpoint().await.map_err(|e| e.to_string())?;
    let mut cosigned = 0;
    for w in witnesses {
        let known = store.witness_size(&w.vkey).await.map_err(|e| e.to_string())?;
        match w.cosign(store, &cp).await {
            Ok(()) => cosigned += 1,
            Err(e) => {
                tracing::warn!(witness = w.vkey.name(), error = %e, "witness did not cosign");
                let _ = store.record_witness_state(&w.vkey, known, Some(&e)).await;
            }
        }
    }
    Ok(cosigned)
}
