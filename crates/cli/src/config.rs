//! Configuration: command-line flags, then `SUYUAN_…` environment variables,
//! then an optional TOML file, then defaults, in that order of precedence.
//! Unknown keys in the file are an error, so a typo never silently falls back
//! to a default.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Deserialize;
use suyuan_store::{Backend, PersonalDataCipher};

/// Where the data lives and how to unlock personal data: shared by every
/// command that opens the database.
#[derive(Debug, Clone, Args, Default)]
pub struct DbArgs {
    /// Database URL: `sqlite:PATH` or `postgres://…` [default: SQLite under --data-dir]
    #[arg(long, env = "SUYUAN_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Folder for the embedded database and the generated secret key [default: ./suyuan-data]
    #[arg(long, env = "SUYUAN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Key for personal data at rest: 64 hex digits or base64 of 32 bytes
    /// [default: generated once into DATA_DIR/secret.key]
    #[arg(long, env = "SUYUAN_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// TOML configuration file
    #[arg(long, env = "SUYUAN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// Flags of `serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "SUYUAN_LISTEN")]
    pub listen: Option<String>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "SUYUAN_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// How often to re-verify the transparency log: `30m`, `6h`, `1d`, or
    /// `off` [default: 6h]
    #[arg(long, env = "SUYUAN_VERIFY_EVERY")]
    pub verify_every: Option<String>,
    /// A witness to ask for cosignatures of each checkpoint:
    /// `VKEY@http://host:port` (repeat, or separate with commas)
    #[arg(long = "witness", env = "SUYUAN_WITNESSES", value_delimiter = ',')]
    pub witnesses: Vec<String>,
    /// How many witnesses must cosign a checkpoint for it to be final [default: all of them]
    #[arg(long, env = "SUYUAN_WITNESS_QUORUM")]
    pub witness_quorum: Option<usize>,
    /// The platform's public address, the origin of every Digital Link it
    /// issues, prints and shows (QR codes), e.g. `https://trace.example.cn`
    /// [default: http://LISTEN]
    #[arg(long, env = "SUYUAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// An MQTT broker to take device readings from, `mqtt://host:port`:
    /// subscribes to `suyuan/devices/+/readings` [default: none, HTTP only]
    #[arg(long, env = "SUYUAN_MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// Subscribe as a member of the shared group (`$share/suyuan/…`), so
    /// that several servers share the devices' messages
    #[arg(long, env = "SUYUAN_MQTT_SHARED")]
    pub mqtt_shared: bool,
    /// A device kind's window of silence before an alert, shorter than the
    /// 2 hours of every kind: `KIND=DURATION`, e.g. `air=30m` (repeat, or
    /// separate with commas)
    #[arg(long = "device-window", env = "SUYUAN_DEVICE_WINDOWS", value_delimiter = ',')]
    pub device_windows: Vec<String>,
    /// Let organisations' alert webhooks point at loopback, private and
    /// reserved addresses (an intranet receiver); off: refused, so that a
    /// webhook cannot reach the server's own network
    #[arg(long, env = "SUYUAN_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// A token (16 characters or more) that lets clients beyond loopback
    /// read `/metrics` with `Authorization: Bearer TOKEN` [default: none,
    /// loopback clients only]
    #[arg(long, env = "SUYUAN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM), reloaded when the file
    /// changes [with --tls-key]
    #[arg(long, env = "SUYUAN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, env = "SUYUAN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// A CA certificate (PEM) named to clients when asking for their
    /// certificates over HTTPS (the platform CA of `admin ca init` is named
    /// without it); a certificate authenticates only once registered
    #[arg(long, env = "SUYUAN_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// A second HTTPS address for machine clients only: every request needs
    /// a registered, unrevoked client certificate (mutual TLS)
    #[arg(long, env = "SUYUAN_MTLS_LISTEN")]
    pub mtls_listen: Option<String>,
    /// The reverse proxies in front (IPs or CIDRs, comma-separated): needed
    /// to serve plain HTTP beyond loopback; only their forwarded client
    /// addresses are believed
    #[arg(long, env = "SUYUAN_BEHIND_PROXY")]
    pub behind_proxy: Option<String>,
    /// CA certificate (PEM) that signs the certificates of https:// witnesses
    #[arg(long, env = "SUYUAN_WITNESS_CA")]
    pub witness_ca: Option<PathBuf>,
    /// Client certificate (PEM) to present to witnesses (mutual TLS)
    #[arg(long, env = "SUYUAN_WITNESS_CLIENT_CERT")]
    pub witness_client_cert: Option<PathBuf>,
    /// The private key of --witness-client-cert (PEM)
    #[arg(long, env = "SUYUAN_WITNESS_CLIENT_KEY")]
    pub witness_client_key: Option<PathBuf>,
    #[command(flatten)]
    pub backup: crate::backup_schedule::ScheduleArgs,
}

/// The TOML file's keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub secret_key: Option<String>,
    pub log_format: Option<String>,
    pub operator_name: Option<String>,
    pub operator_region: Option<String>,
    pub verify_every: Option<String>,
    pub witnesses: Option<Vec<String>>,
    pub witness_quorum: Option<usize>,
    pub public_url: Option<String>,
    pub mqtt_url: Option<String>,
    pub mqtt_shared: Option<bool>,
    pub device_windows: Option<Vec<String>>,
    pub webhook_allow_private: Option<bool>,
    pub metrics_token: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub mtls_listen: Option<String>,
    pub behind_proxy: Option<String>,
    pub witness_ca: Option<PathBuf>,
    pub witness_client_cert: Option<PathBuf>,
    pub witness_client_key: Option<PathBuf>,
    pub backup_every: Option<String>,
    pub backup_dir: Option<PathBuf>,
    pub backup_keep: Option<usize>,
    pub backup_max_age: Option<String>,
    /// `[defence]`: rate limits and intrusion detection thresholds.
    pub defence: Option<suyuan_server::defence::DefenceConfig>,
    /// `[audit]`: the audit trail's retention (`retention_days`) and queue.
    pub audit: Option<suyuan_server::audit::AuditConfig>,
}

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub backend: Backend,
    pub data_dir: PathBuf,
    secret_key: Option<String>,
    pub log_json: bool,
    pub operator_name: String,
    pub operator_region: String,
    /// Interval of the scheduled integrity check (None: off).
    pub verify_every: Option<std::time::Duration>,
    /// Witnesses asked to cosign checkpoints, and how many make one final.
    pub witnesses: Vec<suyuan_server::witnesses::WitnessEndpoint>,
    pub witness_quorum: usize,
    /// The origin of the Digital Links the platform issues (no trailing slash).
    pub public_url: String,
    /// The MQTT broker devices publish to, if any.
    pub mqtt: Option<suyuan_server::mqtt::MqttConfig>,
    /// Device kinds' shorter windows of silence (ms).
    pub device_windows: std::collections::HashMap<suyuan_core::devices::DeviceKind, i64>,
    /// Whether alert webhooks may point at private addresses.
    pub webhook_allow_private: bool,
    /// The token for `/metrics` beyond loopback, if any.
    pub metrics_token: Option<String>,
    /// HTTPS, mutual TLS, reverse proxies, witnesses' TLS.
    pub transport: crate::transport::Transport,
    /// Scheduled backups with restore drills, if any.
    pub backup: Option<crate::backup_schedule::Schedule>,
    /// Rate limits and intrusion detection (config file `[defence]`).
    pub defence: suyuan_server::defence::DefenceConfig,
    /// The audit trail's retention and queue (config file `[audit]`).
    pub audit: suyuan_server::audit::AuditConfig,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "suyuan-data";

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("configuration file {}", path.display()))
    }
}

/// `off`, or a whole number of minutes, hours or days (`30m`, `6h`, `1d`),
/// from one minute to thirty days.
pub fn parse_interval(text: &str) -> Result<Option<std::time::Duration>> {
    if text == "off" {
        return Ok(None);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("'{text}' is not an interval like 30m, 6h, 1d, or off"),
    };
    let n: u64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("'{text}' is not an interval like 30m, 6h, 1d, or off"))?;
    let total = n.saturating_mul(seconds);
    if total > 30 * 86_400 {
        bail!("'{text}': at most 30 days between checks");
    }
    Ok(Some(std::time::Duration::from_secs(total)))
}

/// `KIND=DURATION` (`air=30m`): a device kind's window of silence, at
/// most 2 hours.
pub fn parse_device_window(text: &str) -> Result<(suyuan_core::devices::DeviceKind, i64)> {
    let (kind, every) = text
        .split_once('=')
        .with_context(|| format!("'{text}' is not KIND=DURATION, e.g. air=30m"))?;
    let kind = suyuan_core::devices::DeviceKind::parse(kind.trim())
        .map_err(|e| anyhow::anyhow!("'{text}': {}", e.en))?;
    let window = parse_interval(every.trim())?
        .with_context(|| format!("'{text}': a window cannot be off"))?
        .as_millis() as i64;
    if window > suyuan_core::devices::MAX_WINDOW_MS {
        bail!("'{text}': a device reports at least every 2 hours; a window cannot be longer");
    }
    Ok((kind, window))
}

/// A public address: `http://` or `https://`, a host and an optional port,
/// nothing after (a trailing `/` is dropped).
pub fn parse_public_url(text: &str) -> Result<String> {
    let t = text.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .with_context(|| format!("'{text}' does not start with https:// or http://"))?;
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        bail!("'{text}' is not an origin like https://trace.example.cn (a host and port, no path or query)");
    }
    Ok(t.to_owned())
}

/// The metrics token: none, or 16 to 256 visible ASCII characters (it is
/// compared whole, and sent in a header).
pub fn parse_metrics_token(token: Option<String>) -> Result<Option<String>> {
    let Some(t) = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if !(16..=256).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_graphic()) {
        bail!("--metrics-token: 16 to 256 visible ASCII characters, no spaces");
    }
    Ok(Some(t))
}

/// Is the host of a public address a loopback one?
pub fn is_loopback_url(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url);
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Settings {
    /// Merges flags/environment (already merged by clap) over the file over
    /// defaults, and checks each value.
    pub fn resolve(db: &DbArgs, serve: &ServeArgs) -> Result<Settings> {
        let file = match &db.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let transport = crate::transport::Transport::resolve(serve, &file)?;
        let data_dir = db
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let backend = match db.database_url.clone().or(file.database_url) {
            Some(url) => Backend::from_url(&url).map_err(|e| anyhow::anyhow!("--database-url: {e}"))?,
            // The default location; only `serve`, `demo` and `admin init`
            // create it (`crate::serve::open_store`), every other command
            // finds it or says where it looked.
            None => Backend::Sqlite(data_dir.join("suyuan.db")),
        };
        let listen = serve
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        if listen.parse::<std::net::SocketAddr>().is_err() {
            bail!("--listen: '{listen}' is not an address like 127.0.0.1:8080");
        }
        let log_json = match serve.log_format.clone().or(file.log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => bail!("--log-format: '{other}' is not one of text, json"),
        };
        let verify_every = parse_interval(
            serve
                .verify_every
                .clone()
                .or(file.verify_every)
                .as_deref()
                .unwrap_or("6h"),
        )
        .context("--verify-every")?;
        let witness_texts = if serve.witnesses.is_empty() {
            file.witnesses.unwrap_or_default()
        } else {
            serve.witnesses.clone()
        };
        let witnesses = witness_texts
            .iter()
            .map(|w| suyuan_server::witnesses::WitnessEndpoint::parse(w))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("--witness: {e}"))?;
        let witness_quorum = serve
            .witness_quorum
            .or(file.witness_quorum)
            .unwrap_or(witnesses.len());
        if witness_quorum > witnesses.len() || (witness_quorum == 0 && !witnesses.is_empty()) {
            bail!(
                "--witness-quorum: {witness_quorum} is not between 1 and the {} witnesses given",
                witnesses.len()
            );
        }
        let public_url = match serve.public_url.clone().or(file.public_url) {
            Some(u) => parse_public_url(&u).context("--public-url")?,
            None if transport.tls.is_some() => format!("https://{listen}"),
            None => format!("http://{listen}"),
        };
        let mqtt = serve
            .mqtt_url
            .clone()
            .or(file.mqtt_url)
            .map(|u| {
                suyuan_server::mqtt::MqttConfig::parse(
                    &u,
                    serve.mqtt_shared || file.mqtt_shared == Some(true),
                )
            })
            .transpose()
            .map_err(|e| anyhow::anyhow!("--mqtt-url: {e}"))?;
        let window_texts = if serve.device_windows.is_empty() {
            file.device_windows.unwrap_or_default()
        } else {
            serve.device_windows.clone()
        };
        let device_windows = window_texts
            .iter()
            .map(|w| parse_device_window(w))
            .collect::<Result<_>>()
            .context("--device-window")?;
        let metrics_token = parse_metrics_token(serve.metrics_token.clone().or(file.metrics_token))?;
        let witnesses = transport.witnesses(witnesses)?;
        let backup = crate::backup_schedule::Schedule::resolve(
            &serve.backup,
            (
                file.backup_every,
                file.backup_dir,
                file.backup_keep,
                file.backup_max_age,
            ),
            &data_dir,
        )?;
        let audit = file.audit.unwrap_or_default();
        if audit.retention_days == 0 {
            bail!("audit.retention_days: keep the audit trail at least one day");
        }
        Ok(Settings {
            metrics_token,
            transport,
            backup,
            defence: file.defence.unwrap_or_default(),
            audit,
            mqtt,
            device_windows,
            webhook_allow_private: serve.webhook_allow_private || file.webhook_allow_private == Some(true),
            public_url,
            witnesses,
            witness_quorum,
            verify_every,
            listen,
            backend,
            data_dir,
            secret_key: db.secret_key.clone().or(file.secret_key),
            log_json,
            operator_name: file.operator_name.unwrap_or_else(|| "平台运营方".into()),
            operator_region: file.operator_region.unwrap_or_else(|| "110000".into()),
        })
    }

    /// The key for personal data of an installation that exists: configured,
    /// or the one in the data folder, never a new one (a new key would leave
    /// the stored personal data unreadable).
    pub fn existing_cipher(&self) -> Result<PersonalDataCipher> {
        if self.secret_key.is_none() && !self.data_dir.join("secret.key").exists() {
            bail!(
                "no secret key: neither --secret-key (SUYUAN_SECRET_KEY) nor {} exists",
                self.data_dir.join("secret.key").display()
            );
        }
        self.cipher()
    }

    /// The text of the key for personal data of an installation that exists
    /// (for a backup that includes it).
    pub fn secret_key_text(&self) -> Result<String> {
        self.existing_cipher()?;
        match &self.secret_key {
            Some(k) => Ok(k.trim().to_owned()),
            None => {
                let path = self.data_dir.join("secret.key");
                Ok(std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    .trim()
                    .to_owned())
            }
        }
    }

    /// The key for personal data: configured, or kept in the data folder
    /// (created with owner-only permissions on first use).
    pub fn cipher(&self) -> Result<PersonalDataCipher> {
        if let Some(k) = &self.secret_key {
            return PersonalDataCipher::from_key_text(k).map_err(|e| anyhow::anyhow!("--secret-key: {e}"));
        }
        let path = self.data_dir.join("secret.key");
        if !path.exists() {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("cannot create the data folder {}", self.data_dir.display()))?;
            write_private(&path, &PersonalDataCipher::generate_key_text())?;
            tracing::info!(path = %path.display(), "generated a new secret key; back it up with the database");
        }
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        PersonalDataCipher::from_key_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// Creates `path` holding `text`, owner-only, if it does not exist: written
/// and synced beside it first, then linked into place (which fails if
/// another process made it meanwhile), so that a crash never leaves an empty
/// or half-written key file under the final name.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_file_name(format!(
        ".{}.new-{}-{:08x}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
        std::process::id(),
        rand::random::<u32>()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = (|| {
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path).with_context(|| format!("cannot create {}", path.display()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        anyhow::Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn precedence_flag_over_file_and_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suyuan.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n").unwrap();
        let db = DbArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000");
        assert!(s.log_json);
        let s = Settings::resolve(
            &db,
            &ServeArgs {
                listen: Some("127.0.0.1:9001".into()),
                log_format: None,
                verify_every: None,
                ..ServeArgs::default()
            },
        )
        .unwrap();
        assert_eq!(s.listen, "127.0.0.1:9001");

        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let err = Settings::resolve(&db, &ServeArgs::default()).unwrap_err();
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
    }

    #[test]
    fn defence_and_audit_come_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suyuan.toml");
        let db = DbArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        };
        let s = Settings::resolve(
            &DbArgs {
                config: None,
                ..db.clone()
            },
            &ServeArgs::default(),
        )
        .unwrap();
        assert_eq!(s.defence, suyuan_server::defence::DefenceConfig::default());
        assert_eq!(s.audit.retention_days, 1095);
        std::fs::write(
            &file,
            "[defence]\nsign_in = { max = 5, per_secs = 10 }\nblock_secs = 60\n[audit]\nretention_days = 30\n",
        )
        .unwrap();
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.defence.sign_in, suyuan_server::defence::Rate::new(5, 10));
        assert_eq!(s.defence.block_secs, 60);
        assert_eq!(
            s.defence.public_pages,
            suyuan_server::defence::DefenceConfig::default().public_pages
        );
        assert_eq!(s.audit.retention_days, 30);
        for bad in [
            "[defence]\nsign_in = 5\n",
            "[defence]\nsignin = { max = 1, per_secs = 1 }\n",
            "[audit]\nretention_days = 0\n",
        ] {
            std::fs::write(&file, bad).unwrap();
            assert!(Settings::resolve(&db, &ServeArgs::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = DbArgs {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let bad_listen = ServeArgs {
            listen: Some("nowhere".into()),
            log_format: None,
            verify_every: None,
            ..ServeArgs::default()
        };
        assert!(Settings::resolve(&db, &bad_listen).is_err());
        let bad_log = ServeArgs {
            listen: None,
            log_format: Some("xml".into()),
            verify_every: None,
            ..ServeArgs::default()
        };
        assert!(Settings::resolve(&db, &bad_log).is_err());
        for bad in ["0h", "6", "6w", "h", "-1h", "31d", "1.5h", ""] {
            let args = ServeArgs {
                verify_every: Some(bad.into()),
                ..ServeArgs::default()
            };
            let e = Settings::resolve(&db, &args).unwrap_err();
            assert!(format!("{e:#}").contains("--verify-every"), "{bad}: {e:#}");
        }
        for bad in ["air", "air=3h", "toaster=1h", "air=off"] {
            let args = ServeArgs {
                device_windows: vec![bad.into()],
                ..ServeArgs::default()
            };
            let e = Settings::resolve(&db, &args).unwrap_err();
            assert!(format!("{e:#}").contains("--device-window"), "{bad}: {e:#}");
        }
        let args = ServeArgs {
            device_windows: vec!["air=30m".into()],
            mqtt_url: Some("mqtt://127.0.0.1:1883".into()),
            mqtt_shared: true,
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&db, &args).unwrap();
        assert_eq!(
            s.device_windows[&suyuan_core::devices::DeviceKind::Air],
            1_800_000
        );
        assert_eq!(
            s.mqtt.unwrap().filter(),
            "$share/suyuan/suyuan/devices/+/readings"
        );
        let args = ServeArgs {
            mqtt_url: Some("tcp://x".into()),
            ..ServeArgs::default()
        };
        assert!(format!("{:#}", Settings::resolve(&db, &args).unwrap_err()).contains("--mqtt-url"));
        assert_eq!(parse_interval("off").unwrap(), None);
        assert_eq!(
            parse_interval("30m").unwrap(),
            Some(std::time::Duration::from_secs(1800))
        );
        assert_eq!(
            parse_interval("1d").unwrap(),
            Some(std::time::Duration::from_secs(86_400))
        );
        let bad_url = DbArgs {
            database_url: Some("mysql://x".into()),
            ..db.clone()
        };
        assert!(Settings::resolve(&bad_url, &ServeArgs::default()).is_err());
        let bad_key = DbArgs {
            secret_key: Some("abc".into()),
            ..db
        };
        let s = Settings::resolve(&bad_key, &ServeArgs::default()).unwrap();
        assert!(s.cipher().is_err());
    }

    #[test]
    fn public_url_is_an_origin() {
        assert_eq!(
            parse_public_url("https://trace.example.cn/").unwrap(),
            "https://trace.example.cn"
        );
        assert_eq!(
            parse_public_url("http://10.0.0.5:8080").unwrap(),
            "http://10.0.0.5:8080"
        );
        for bad in [
            "trace.example.cn",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://x?q=1",
            "https://a b",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("http://localhost"));
        assert!(is_loopback_url("http://[::1]:80"));
        assert!(!is_loopback_url("https://trace.example.cn"));
        let dir = tempfile::tempdir().unwrap();
        let db = DbArgs {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        let args = ServeArgs {
            public_url: Some("https://trace.example.cn".into()),
            ..ServeArgs::default()
        };
        assert_eq!(
            Settings::resolve(&db, &args).unwrap().public_url,
            "https://trace.example.cn"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod metrics_token_tests {
    use super::*;

    #[test]
    fn metrics_token_from_flag_or_file_and_checked() {
        assert_eq!(parse_metrics_token(None).unwrap(), None);
        assert_eq!(parse_metrics_token(Some("  ".into())).unwrap(), None);
        assert!(parse_metrics_token(Some("short".into())).is_err());
        assert!(parse_metrics_token(Some("has a space in it!!".into())).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("suyuan.toml");
        std::fs::write(&file, "metrics_token = \"from-the-file-0123456789\"\n").unwrap();
        let db = DbArgs {
            data_dir: Some(dir.path().to_path_buf()),
            config: Some(file),
            ..Default::default()
        };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.metrics_token.as_deref(), Some("from-the-file-0123456789"));
        let args = ServeArgs {
            metrics_token: Some("from-the-flag-0123456789".into()),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&db, &args).unwrap();
        assert_eq!(s.metrics_token.as_deref(), Some("from-the-flag-0123456789"));
    }
}
