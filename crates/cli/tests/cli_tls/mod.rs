//! Transport security as the operator runs it: plain HTTP beyond loopback
//! refused at start without `--behind-proxy`; the platform client CA and
//! client certificates managed by `suyuan admin`; `serve` over HTTPS with
//! a machine-only listener that requires them (revocation applied to a
//! running server); a witness process cosigning over HTTPS for the
//! platform's client certificate only.

use std::sync::Arc;

use super::*;

/// A certificate for 127.0.0.1 written to `dir`: (cert path, key path, cert PEM).
fn server_cert(dir: &Path) -> (String, String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = p.self_signed(&key).unwrap();
    let (c, k) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c.display().to_string(), k.display().to_string(), cert.pem())
}

/// One GET over TLS: (status, body); `Err` when the connection fails.
fn https_get(port: u16, config: &Arc<rustls::ClientConfig>, path: &str) -> Result<(u16, String), String> {
    https_call(port, config, "GET", path)
}

/// One bodiless request over TLS: (status, body); `Err` when the
/// connection fails.
fn https_call(
    port: u16,
    config: &Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
) -> Result<(u16, String), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let name = suyuan_server::tls::server_name("127.0.0.1").unwrap();
        let mut s = tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or(format!("no answer: {text}"))?;
        Ok((head[9..12].parse().map_err(|_| "no status")?, body.to_owned()))
    })
}

/// Waits until `port` answers `path` over TLS with 200.
fn wait_https(port: u16, config: &Arc<rustls::ClientConfig>, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while https_get(port, config, path).map(|a| a.0) != Ok(200) {
        assert!(Instant::now() < deadline, "nothing answers https on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn(dir: &Path, args: &[&str], port: u16) -> Server {
    let child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("SUYUAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("SUYUAN_DATABASE_URL")
        .env_remove("SUYUAN_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server(child, port)
}

#[test]
fn plain_http_beyond_loopback_needs_the_proxies_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let anywhere = format!("0.0.0.0:{port}");
    let out = suyuan(d, &["serve", "--listen", &anywhere]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--behind-proxy") && err.contains("--tls-cert"),
        "{err}"
    );
    assert!(
        !d.join("suyuan-data").exists(),
        "refused before creating anything"
    );
    for (args, flag) in [
        (
            vec!["serve", "--listen", &anywhere, "--behind-proxy", "proxy.local"],
            "--behind-proxy",
        ),
        (vec!["serve", "--tls-cert", "x.pem"], "--tls-key"),
        (
            vec!["serve", "--tls-cert", "x.pem", "--tls-key", "y.pem"],
            "--tls-cert",
        ),
        (vec!["serve", "--mtls-listen", "127.0.0.1:1"], "--mtls-listen"),
    ] {
        let out = suyuan(d, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
    // Named proxies: it starts.
    let _server = start_process(
        d,
        &[
            "serve",
            "--listen",
            &anywhere,
            "--behind-proxy",
            "127.0.0.1,10.0.0.0/8",
        ],
        port,
        "/readyz",
    );
}

#[test]
fn client_certificates_from_the_admin_command_open_the_machine_listener() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(suyuan(d, &["admin", "init", "--json"]).status.success());
    let ca = json_of(&suyuan(
        d,
        &["admin", "ca", "init", "--json", "--out-cert", "ca.pem"],
    ));
    assert!(ca["certificate"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    let again = suyuan(d, &["admin", "ca", "init"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("client_ca_exists"));
    let key = json_of(&suyuan(
        d,
        &[
            "admin", "api-key", "create", "--json", "--user", "admin", "--name", "m2m",
        ],
    ));
    let key_id = key["id"].as_str().unwrap();
    let issued = json_of(&suyuan(
        d,
        &[
            "admin",
            "client-cert",
            "issue",
            "--json",
            "--api-key",
            key_id,
            "--out-cert",
            "m2m.pem",
            "--out-key",
            "m2m.key",
        ],
    ));
    let fingerprint = issued["fingerprint"].as_str().unwrap().to_owned();
    assert_eq!(issued["origin"], "issued");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("m2m.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Neither two subjects nor a bad fingerprint.
    let out = suyuan(
        d,
        &[
            "admin",
            "client-cert",
            "register",
            "--fingerprint",
            "abc",
            "--api-key",
            key_id,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("fingerprint"));
    let out = suyuan(
        d,
        &[
            "admin",
            "client-cert",
            "register",
            "--fingerprint",
            &"ab".repeat(32),
            "--api-key",
            key_id,
            "--device",
            key_id,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let listed = json_of(&suyuan(d, &["admin", "client-cert", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let (cert, key_file, server_pem) = server_cert(d);
    let (port, machine) = (free_port(), free_port());
    let _server = spawn(
        d,
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            &cert,
            "--tls-key",
            &key_file,
            "--mtls-listen",
            &format!("127.0.0.1:{machine}"),
        ],
        port,
    );
    let anonymous = suyuan_server::tls::client_config(server_pem.as_bytes(), None).unwrap();
    wait_https(port, &anonymous, "/readyz");
    let m2m_cert = std::fs::read(d.join("m2m.pem")).unwrap();
    let m2m_key = std::fs::read(d.join("m2m.key")).unwrap();
    let m2m = suyuan_server::tls::client_config(server_pem.as_bytes(), Some((&m2m_cert, &m2m_key))).unwrap();
    // No certificate: no connection on the machine listener.
    assert!(https_get(machine, &anonymous, "/api/v1/auth/me").is_err());
    let (status, me) = https_get(machine, &m2m, "/api/v1/auth/me").unwrap();
    assert_eq!(status, 200, "{me}");
    assert!(me.contains("\"username\":\"admin\""), "{me}");
    // Revoked from the command line: the running server refuses it.
    json_of(&suyuan(
        d,
        &["admin", "client-cert", "revoke", &fingerprint, "--json"],
    ));
    let (status, body) = https_get(machine, &m2m, "/api/v1/auth/me").unwrap();
    assert_eq!(status, 401);
    assert!(body.contains("client_certificate_refused"), "{body}");
}

#[test]
fn a_witness_cosigns_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let demo = start_process(
        d,
        &["demo", "--listen", &format!("127.0.0.1:{port}")],
        port,
        "/readyz",
    );
    let (_, log_key) = http_text(port, "/tlog/log-key");
    drop(demo);
    let (cert, key, server_pem) = server_cert(d);
    // The platform's client certificate, the only one the witness serves.
    let client_key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client = p.self_signed(&client_key).unwrap();
    std::fs::write(d.join("platform.pem"), client.pem()).unwrap();
    std::fs::write(d.join("platform.key"), client_key.serialize_pem()).unwrap();
    let client_fingerprint = suyuan_server::tls::fingerprint(client.der());
    let wport = free_port();
    let _witness = spawn(
        d,
        &[
            "witness",
            "--listen",
            &format!("127.0.0.1:{wport}"),
            "--key",
            "w.key",
            "--name",
            "w.tls.test",
            "--state",
            "w.json",
            "--log-key",
            log_key.trim(),
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--client-fingerprint",
            &client_fingerprint,
        ],
        wport,
    );
    let trust = suyuan_server::tls::client_config(server_pem.as_bytes(), None).unwrap();
    wait_https(wport, &trust, "/");
    let vkey = https_get(wport, &trust, "/").unwrap().1.trim().to_owned();
    // Its public key is open to all; a checkpoint is taken only from the
    // platform's certificate (an empty one is malformed, not refused).
    let (status, body) = https_call(wport, &trust, "POST", "/add-checkpoint").unwrap();
    assert_eq!(status, 403, "{body}");
    let platform = suyuan_server::tls::client_config(
        server_pem.as_bytes(),
        Some((client.pem().as_bytes(), client_key.serialize_pem().as_bytes())),
    )
    .unwrap();
    let (status, body) = https_call(wport, &platform, "POST", "/add-checkpoint").unwrap();
    assert_eq!(status, 400, "{body}");
    let spec = format!("{vkey}@https://127.0.0.1:{wport}");
    // An https:// witness without the CA to check it is refused at start.
    let out = suyuan(d, &["serve", "--witness", &spec]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--witness-ca"));
    let data_dir = d.join("suyuan-demo").display().to_string();
    let port = free_port();
    let _server = start_process(
        d,
        &[
            "serve",
            "--data-dir",
            &data_dir,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--witness",
            &spec,
            "--witness-ca",
            &cert,
            "--witness-client-cert",
            "platform.pem",
            "--witness-client-key",
            "platform.key",
        ],
        port,
        "/readyz",
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, note) = http_text(port, "/tlog/checkpoint");
        if note.lines().any(|l| l.starts_with("— w.tls.test ")) {
            break;
        }
        assert!(Instant::now() < deadline, "not cosigned over HTTPS: {note}");
        std::thread::sleep(Duration::from_millis(250));
    }
}
