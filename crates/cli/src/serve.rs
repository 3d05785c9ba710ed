//! `suyuan serve`: open the store, bootstrap an empty platform, listen.

use anyhow::{bail, Context, Result};
use suyuan_store::users::{check_password_rule, hash_password};
use suyuan_store::{OpenOptions, Store};

use crate::config::{DbArgs, ServeArgs, Settings};

/// Structured logs to stdout. `RUST_LOG` overrides the default level.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    // A second init (tests, demo after serve) is harmless.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Opens the store described by the settings.
pub async fn open_store(settings: &Settings) -> Result<Store> {
    if let suyuan_store::Backend::Sqlite(path) = &settings.backend {
        if path.parent() == Some(settings.data_dir.as_path()) {
            // The default location is ours to create; an explicit path in a
            // missing folder is refused by the store.
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("cannot create the data folder {}", settings.data_dir.display()))?;
        }
    }
    let cipher = settings.cipher()?;
    Store::open(&settings.backend, &OpenOptions::default(), cipher)
        .await
        .with_context(|| format!("cannot open the {} database", settings.backend.name()))
}

/// Opens the database of an installation that exists: every command but
/// `serve`, `demo` and `admin init`, which create one. A missing SQLite file
/// is an error naming where it was looked for, never a new empty database.
pub async fn open_existing_store(settings: &Settings) -> Result<Store> {
    if let suyuan_store::Backend::Sqlite(path) = &settings.backend {
        if !path.exists() {
            bail!(
                "no database at {} (from --database-url / SUYUAN_DATABASE_URL, else --data-dir / \
                 SUYUAN_DATA_DIR, else ./{}): run this where the server keeps its data, pass \
                 --data-dir or --database-url, or create one with `suyuan admin init`",
                path.display(),
                crate::config::DEFAULT_DATA_DIR
            );
        }
    }
    let cipher = settings.existing_cipher()?;
    Store::open(&settings.backend, &OpenOptions::default(), cipher)
        .await
        .with_context(|| format!("cannot open the {} database", settings.backend.name()))
}

/// On an empty platform, creates the operator and its `admin`, with the
/// password from `SUYUAN_ADMIN_PASSWORD` or a random one printed once.
pub async fn bootstrap(store: &Store, settings: &Settings) -> Result<()> {
    let (password, generated) = match std::env::var("SUYUAN_ADMIN_PASSWORD") {
        Ok(p) => {
            check_password_rule(&p).context("SUYUAN_ADMIN_PASSWORD")?;
            (p, false)
        }
        Err(_) => (random_password(), true),
    };
    let hash = {
        let p = password.clone();
        tokio::task::spawn_blocking(move || hash_password(&p)).await??
    };
    if store
        .bootstrap(&settings.operator_name, &settings.operator_region, &hash)
        .await?
        .is_some()
        && generated
    {
        // Printed once, straight to the terminal, never to the log.
        println!("\n  首次启动：已创建平台管理员 / first start: platform admin created");
        println!("  username: admin");
        println!("  password: {password}");
        println!("  (shown only now; set SUYUAN_ADMIN_PASSWORD to choose it)\n");
    }
    Ok(())
}

pub fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..16)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect();
    format!("{body}-7a")
}

/// Serves `store` until Ctrl-C or SIGTERM.
pub async fn listen_and_serve(store: Store, settings: &Settings) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend_name(), "suyuan listening");
    let scheme = if settings.transport.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("suyuan 已启动 / listening on {scheme}://{addr}/  (API docs: {scheme}://{addr}/api/docs)");
    println!(
        "公开地址 / public address (Digital Links, QR codes): {}",
        settings.public_url
    );
    if crate::config::is_loopback_url(&settings.public_url) && !addr.ip().is_loopback() {
        tracing::warn!(
            public_url = %settings.public_url,
            %addr,
            "the public address is a loopback one while the server listens beyond it: printed QR codes would point nowhere; set --public-url"
        );
    }
    let (app, audit) = suyuan_server::app_with_audit(
        store.clone(),
        suyuan_server::ServerConfig {
            public_url: settings.public_url.clone(),
            metrics_token: settings.metrics_token.clone(),
            https: settings.transport.tls.is_some(),
            trusted_proxies: settings.transport.trusted_proxies.clone(),
            defence: settings.defence.clone(),
            audit: settings.audit.clone(),
            webhook_allow_private: settings.webhook_allow_private,
            ..suyuan_server::ServerConfig::default()
        },
    );
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(audit_purge(
        store.clone(),
        settings.audit.retention_days,
    )));
    if let Some(every) = settings.verify_every {
        tasks.push(tokio::spawn(integrity_checks(store.clone(), every)));
    }
    if !settings.witnesses.is_empty() {
        let witnesses: Vec<_> = settings
            .witnesses
            .iter()
            .map(|w| (w.vkey.clone(), w.url.clone()))
            .collect();
        store
            .configure_witnesses(&witnesses, settings.witness_quorum)
            .await?;
        tracing::info!(
            witnesses = witnesses.len(),
            quorum = settings.witness_quorum,
            "checkpoints are cosigned by witnesses"
        );
        tasks.push(tokio::spawn(witnessing(
            store.clone(),
            settings.witnesses.clone(),
        )));
    }
    if let Some(mqtt) = &settings.mqtt {
        tasks.push(tokio::spawn(suyuan_server::mqtt::run(
            store.clone(),
            mqtt.clone(),
        )));
    }
    if let Some(schedule) = settings.backup.clone() {
        tasks.push(tokio::spawn(crate::backup_schedule::run(
            store.clone(),
            settings.backend.clone(),
            settings.existing_cipher()?,
            schedule,
        )));
    }
    tasks.push(tokio::spawn(device_checks(
        store.clone(),
        settings.device_windows.clone(),
    )));
    // Alerts out to the organisations' webhooks, from the outbox.
    tasks.push(tokio::spawn(suyuan_server::webhooks::run(
        store.clone(),
        suyuan_server::webhooks::WebhookSettings {
            allow_private: settings.webhook_allow_private,
            tls: suyuan_server::webhooks::system_tls(),
            ..Default::default()
        },
    )));
    crate::transport::serve(&store, &settings.transport, listener, app, shutdown_signal()).await?;
    // The audit records of the last requests are stored before the end.
    audit.flush_within(suyuan_server::SHUTDOWN_GRACE).await;
    for task in tasks {
        task.abort();
    }
    store.close().await;
    Ok(())
}

/// Re-verifies the transparency log every `every`; the first run
/// comes one interval after start. A failed check is logged as an alert by
/// the store and answered by `GET /tlog/integrity`.
async fn integrity_checks(store: Store, every: std::time::Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = store.check_integrity().await {
            tracing::error!(alert = "integrity", error = %e, "the integrity check could not run");
        }
    }
}

/// Once a day (the first soon after start), deletes audit records older
/// than the retention time: the audit trail's only deletion.
async fn audit_purge(store: Store, retention_days: u32) {
    let mut ticks = tokio::time::interval_at(
        tokio::time::Instant::now() + std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(86_400),
    );
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let before = suyuan_store::now_ms() - i64::from(retention_days) * 86_400_000;
        match store.purge_audit(before).await {
            Ok(n) => tracing::info!(
                deleted = n,
                retention_days,
                "audit records past their retention purged"
            ),
            Err(e) => tracing::error!(error = %e, "the audit purge could not run"),
        }
    }
}

/// Every minute, the devices' check (R-5.3.2.1): silent devices and
/// temperature excursions raise alerts. Excursions are recomputed for the
/// devices that received readings since the previous run (all at start).
async fn device_checks(
    store: Store,
    windows: std::collections::HashMap<suyuan_core::devices::DeviceKind, i64>,
) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut since = None;
    loop {
        ticks.tick().await;
        let now = suyuan_store::now_ms();
        match store.check_devices(now, &windows, since).await {
            Ok(r) => {
                // A minute of overlap: a batch committing during the run is not missed.
                since = Some(now - 60_000);
                if r.silent_raised > 0 {
                    tracing::warn!(
                        alert = "device_silent",
                        devices = r.silent_raised,
                        "devices fell silent"
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "the devices' check could not run"),
        }
    }
}

/// Every few seconds, when the log grew (or a witness failed last time),
/// signs a checkpoint and asks the witnesses to cosign it.
async fn witnessing(store: Store, witnesses: Vec<suyuan_server::witnesses::WitnessEndpoint>) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(5));
    let mut done_size = None;
    loop {
        ticks.tick().await;
        let Ok(size) = store.tlog_size().await else {
            continue;
        };
        if size == 0 || done_size == Some(size) {
            continue;
        }
        match suyuan_server::witnesses::cosign_round(&store, &witnesses).await {
            Ok(n) if n == witnesses.len() => done_size = Some(size),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cosigning round failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

pub async fn run(db: &DbArgs, serve: &ServeArgs) -> Result<()> {
    let settings = Settings::resolve(db, serve)?;
    init_logging(settings.log_json);
    let store = open_store(&settings).await?;
    bootstrap(&store, &settings).await?;
    listen_and_serve(store, &settings).await
}
