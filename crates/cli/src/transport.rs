//! How `serve` meets the network: HTTPS with a
//! certificate reloaded when its files change, an optional machine-only
//! listener that requires client certificates (mutual TLS), the reverse
//! proxies whose forwarded addresses are believed, and the TLS settings
//! for reaching witnesses. Plain HTTP on an address other machines can
//! reach is refused unless the reverse proxies in front are named.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use suyuan_server::client::ProxyNet;
use suyuan_server::tls::{self, CertPolicy, CertResolver, ClientCerts};
use suyuan_server::witnesses::WitnessEndpoint;
use suyuan_store::Store;

use crate::config::{FileConfig, ServeArgs, DEFAULT_LISTEN};

/// How often the certificate files are checked for a renewal.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

/// The settled transport settings.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// The server certificate and key files (PEM): HTTPS when set.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// A CA whose subject is offered to clients as a hint for their certificates.
    pub client_ca: Option<PathBuf>,
    /// A listener for machine clients only, requiring client certificates.
    pub mtls_listen: Option<String>,
    /// The reverse proxies in front (`--behind-proxy`).
    pub trusted_proxies: Vec<ProxyNet>,
    /// The TLS client configuration for `https://` witnesses.
    pub witness_tls: Option<Arc<rustls::ClientConfig>>,
}

fn is_loopback(listen: &str) -> bool {
    listen
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback())
}

impl Transport {
    /// Flags and environment over the file; checks each value.
    pub fn resolve(serve: &ServeArgs, file: &FileConfig) -> Result<Transport> {
        let pick = |flag: &Option<PathBuf>, file: &Option<PathBuf>| flag.clone().or_else(|| file.clone());
        let tls = match (
            pick(&serve.tls_cert, &file.tls_cert),
            pick(&serve.tls_key, &file.tls_key),
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key: give both, or neither"),
        };
        if let Some((c, k)) = &tls {
            CertResolver::load(c.clone(), k.clone())
                .map_err(|e| anyhow::anyhow!("--tls-cert/--tls-key: {e}"))?;
        }
        let client_ca = pick(&serve.tls_client_ca, &file.tls_client_ca);
        if let Some(ca) = &client_ca {
            let pem = std::fs::read(ca)
                .with_context(|| format!("--tls-client-ca: cannot read {}", ca.display()))?;
            tls::subject_of(&pem).map_err(|e| anyhow::anyhow!("--tls-client-ca: {e}"))?;
        }
        let mtls_listen = serve.mtls_listen.clone().or_else(|| file.mtls_listen.clone());
        if let Some(m) = &mtls_listen {
            if m.parse::<std::net::SocketAddr>().is_err() {
                bail!("--mtls-listen: '{m}' is not an address like 0.0.0.0:8443");
            }
            if tls.is_none() {
                bail!("--mtls-listen needs --tls-cert and --tls-key");
            }
        }
        let proxies = serve.behind_proxy.clone().or_else(|| file.behind_proxy.clone());
        let trusted_proxies = match &proxies {
            Some(p) => {
                let list = ProxyNet::parse_list(p).map_err(|e| anyhow::anyhow!("--behind-proxy: {e}"))?;
                if list.is_empty() {
                    bail!("--behind-proxy: name the reverse proxies' addresses or networks");
                }
                list
            }
            None => Vec::new(),
        };
        let listen = serve
            .listen
            .clone()
            .or_else(|| file.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        if tls.is_none()
            && proxies.is_none()
            && listen.parse::<std::net::SocketAddr>().is_ok()
            && !is_loopback(&listen)
        {
            bail!(
                "--listen {listen}: plain HTTP on an address other machines reach would send passwords in \
                 clear; serve HTTPS (--tls-cert, --tls-key) or name the reverse proxies in front \
                 (--behind-proxy ADDRS)"
            );
        }
        let witness_tls = match pick(&serve.witness_ca, &file.witness_ca) {
            None => None,
            Some(ca) => {
                let ca_pem = std::fs::read(&ca)
                    .with_context(|| format!("--witness-ca: cannot read {}", ca.display()))?;
                let client = match (
                    pick(&serve.witness_client_cert, &file.witness_client_cert),
                    pick(&serve.witness_client_key, &file.witness_client_key),
                ) {
                    (Some(c), Some(k)) => Some((
                        std::fs::read(&c)
                            .with_context(|| format!("--witness-client-cert: cannot read {}", c.display()))?,
                        std::fs::read(&k)
                            .with_context(|| format!("--witness-client-key: cannot read {}", k.display()))?,
                    )),
                    (None, None) => None,
                    _ => bail!("--witness-client-cert and --witness-client-key: give both, or neither"),
                };
                let client = client.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice()));
                Some(tls::client_config(&ca_pem, client).map_err(|e| anyhow::anyhow!("--witness-ca: {e}"))?)
            }
        };
        Ok(Transport {
            tls,
            client_ca,
            mtls_listen,
            trusted_proxies,
            witness_tls,
        })
    }

    /// The witnesses with the TLS configuration for `https://` ones.
    pub fn witnesses(&self, witnesses: Vec<WitnessEndpoint>) -> Result<Vec<WitnessEndpoint>> {
        witnesses
            .into_iter()
            .map(|w| match (&self.witness_tls, w.is_https()) {
                (_, false) => Ok(w),
                (Some(t), true) => Ok(w.with_tls(Arc::clone(t))),
                (None, true) => bail!("--witness {}: an https:// witness needs --witness-ca", w.url),
            })
            .collect()
    }
}

/// The subjects offered to clients as hints for their certificates: the
/// configured CA's and the platform CA's.
async fn client_hints(store: &Store, transport: &Transport) -> Result<Vec<Vec<u8>>> {
    let mut hints = Vec::new();
    if let Some(ca) = &transport.client_ca {
        hints
            .push(tls::subject_of(&std::fs::read(ca)?).map_err(|e| anyhow::anyhow!("--tls-client-ca: {e}"))?);
    }
    if let Some(ca) = store.client_ca().await? {
        hints.push(
            tls::subject_of(ca.cert_pem.as_bytes())
                .map_err(|e| anyhow::anyhow!("platform client CA: {e}"))?,
        );
    }
    Ok(hints)
}

/// Serves `app` on `listener` (HTTP, or HTTPS when configured) and on the
/// machine-only listener, until `shutdown`.
pub async fn serve(
    store: &Store,
    transport: &Transport,
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let Some((cert, key)) = &transport.tls else {
        suyuan_server::serve(listener, app, shutdown).await?;
        return Ok(());
    };
    let resolver =
        CertResolver::load(cert.clone(), key.clone()).map_err(|e| anyhow::anyhow!("--tls-cert: {e}"))?;
    let watcher = resolver.watch(RELOAD_EVERY);
    let hints = client_hints(store, transport).await?;
    let main_certs = if hints.is_empty() && transport.mtls_listen.is_none() {
        ClientCerts::None
    } else {
        ClientCerts::Optional(hints.clone())
    };
    let main_config =
        tls::server_config(Arc::clone(&resolver), main_certs).map_err(|e| anyhow::anyhow!(e))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut machine = None;
    if let Some(addr) = &transport.mtls_listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        println!(
            "机器客户端 (双向 TLS) / machine clients (mutual TLS): https://{}/",
            l.local_addr()?
        );
        let config = tls::server_config(Arc::clone(&resolver), ClientCerts::Required(hints))
            .map_err(|e| anyhow::anyhow!(e))?;
        machine = Some(tokio::spawn(tls::serve_tls(
            l,
            app.clone(),
            config,
            CertPolicy::Required,
            until_stopped(stopped.clone()),
        )));
    }
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let served = tls::serve_tls(
        listener,
        app,
        main_config,
        CertPolicy::Optional,
        until_stopped(stopped),
    )
    .await;
    if let Some(m) = machine {
        let _ = m.await;
    }
    watcher.abort();
    served?;
    Ok(())
}
