//! `suyuan witness`: runs a transparency-log witness as its own process,
//! for another organisation (a regulator, a testing agency) to run on its
//! own machine with its own key and state: the protocol and the state
//! handling are `suyuan_server::witness_service`; this file loads the key
//! (creating it on first use) and listens.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use suyuan_ledger::checkpoint::TrustedLog;
use suyuan_ledger::cosignature::{CosignerKey, Witness};
use suyuan_ledger::note::VerifierKey;
use suyuan_ledger::HashAlg;
use suyuan_server::witness_service::{load_state, only_clients, router, WitnessService};

#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// File holding the witness's private key (C2SP PRIVATE+KEY). Created,
    /// readable by its owner only, when missing and --name is given.
    #[arg(long)]
    key: PathBuf,
    /// The witness's name, for a new key (e.g. `witness.scjg.example.cn`).
    #[arg(long)]
    name: Option<String>,
    /// File holding the witness's state (JSON); created when missing.
    #[arg(long)]
    state: PathBuf,
    /// The log's checkpoint key (C2SP vkey, from the log's `GET /tlog/log-key`), or a file holding it.
    #[arg(long)]
    log_key: String,
    /// The log's hash algorithm: sha256 or sm3.
    #[arg(long, default_value = "sha256")]
    hash_alg: String,
    /// Serve HTTPS with this certificate chain (PEM), reloaded when the file changes.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Cosign only for clients presenting this certificate (its SHA-256
    /// fingerprint, hex; repeat for several logs' servers). Needs HTTPS.
    #[arg(long = "client-fingerprint", requires = "tls_cert")]
    client_fingerprints: Vec<String>,
}

fn load_key(path: &Path, name: Option<&str>) -> Result<CosignerKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => CosignerKey::parse(text.trim())
            .with_context(|| format!("{}: not a witness key (C2SP PRIVATE+KEY)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let Some(name) = name else {
                bail!(
                    "{} does not exist: give --name to create a new witness key there",
                    path.display()
                );
            };
            let key = CosignerKey::generate(name, &mut rand::rngs::OsRng).context("--name")?;
            write_private(path, &format!("{}\n", key.to_private_string()))?;
            println!("new witness key written to {}", path.display());
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

pub async fn run(a: WitnessArgs) -> Result<()> {
    let key = load_key(&a.key, a.name.as_deref())?;
    let key_text = std::fs::read_to_string(&a.log_key).unwrap_or_else(|_| a.log_key.clone());
    let log_key = VerifierKey::parse(key_text.trim()).context("--log-key: not a C2SP vkey")?;
    let alg: HashAlg = a.hash_alg.parse().context("--hash-alg: sha256 or sm3")?;
    let state = load_state(&a.state)
        .with_context(|| format!("--state {}: not a witness state file", a.state.display()))?;
    if let Some(parent) = a.state.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !parent.is_dir() {
            bail!("--state: the folder {} does not exist", parent.display());
        }
    }
    let witness = Witness::with_states(key, state);
    println!("witness key: {}", witness.verifier());
    println!("follows log: {}", log_key.name());
    let app = WitnessService::new(witness, TrustedLog::new(log_key, alg), a.state.clone());
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let (Some(cert), Some(key)) = (a.tls_cert, a.tls_key) {
        use suyuan_server::tls;
        let resolver = tls::CertResolver::load(cert, key).map_err(|e| anyhow::anyhow!("--tls-cert: {e}"))?;
        let _watch = resolver.watch(crate::transport::RELOAD_EVERY);
        let mut service = router(app);
        let client_certs = if a.client_fingerprints.is_empty() {
            tls::ClientCerts::None
        } else {
            let allowed = a
                .client_fingerprints
                .iter()
                .map(|f| suyuan_store::client_certs::normalise_fingerprint(f))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--client-fingerprint: {e}"))?;
            service = only_clients(service, allowed);
            tls::ClientCerts::Optional(Vec::new())
        };
        let config = tls::server_config(resolver, client_certs).map_err(|e| anyhow::anyhow!(e))?;
        println!("witness listening on https://{}/", listener.local_addr()?);
        tls::serve_tls(listener, service, config, tls::CertPolicy::Optional, shutdown).await?;
        return Ok(());
    }
    println!("witness listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
