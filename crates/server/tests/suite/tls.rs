//! Transport security over real sockets on 127.0.0.1 (R-5.1.3, R-5.3.2.2,
//! HTTPS with certificates made here (rcgen), spoken to by a
//! rustls client; a renewed certificate picked up without restart and a
//! broken one ignored; plain HTTP and TLS 1.1 refused on the TLS port;
//! mutual TLS refusing no certificate, an unknown one and a revoked one,
//! and mapping registered ones to an API key's user, a device, an
//! organisation; forwarded client addresses believed only from the proxies
//! named. On both backends.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::devices::{cold_room, device, temps};
use crate::trace_chain::cooperative;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType};
use serde_json::{json, Value};
use suyuan_server::tls::{self, CertPolicy, CertResolver, ClientCerts};
use suyuan_store::client_certs::CertSubject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A self-signed server certificate for 127.0.0.1: (cert PEM, key PEM, fingerprint).
fn server_cert(name: &str) -> (String, String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    p.distinguished_name.push(DnType::CommonName, name);
    let cert = p.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem(), tls::fingerprint(cert.der()))
}

/// A client CA: its certificate (for signing) and key.
fn client_ca() -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, "test client CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    (p.self_signed(&key).unwrap(), key)
}

/// A client certificate signed by the CA: (cert PEM, key PEM, fingerprint).
fn client_cert(ca: &(rcgen::Certificate, KeyPair), name: &str) -> (String, String, String) {
    client_cert_valid(ca, name, (1975, 2070))
}

/// [`client_cert`] valid from the start of one year to the start of another.
fn client_cert_valid(
    ca: &(rcgen::Certificate, KeyPair),
    name: &str,
    (from, until): (i32, i32),
) -> (String, String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(until, 1, 1);
    p.distinguished_name.push(DnType::CommonName, name);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = p.signed_by(&key, &ca.0, &ca.1).unwrap();
    (cert.pem(), key.serialize_pem(), tls::fingerprint(cert.der()))
}

/// Serves `app` over TLS on 127.0.0.1; answers its address. The server
/// stops when the test's runtime ends.
async fn serve(
    app: axum::Router,
    resolver: Arc<CertResolver>,
    certs: ClientCerts,
    policy: CertPolicy,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = tls::server_config(resolver, certs).unwrap();
    tokio::spawn(tls::serve_tls(
        listener,
        app,
        config,
        policy,
        std::future::pending(),
    ));
    addr
}

/// What an HTTPS exchange gave: the server's certificate fingerprint, the
/// status, the head (lowercase) and the body.
struct Answer {
    server_fingerprint: String,
    status: u16,
    head: String,
    body: Value,
}

/// One request over a new TLS connection; `Err` when the handshake or the
/// exchange fails.
async fn https(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Result<Answer, String> {
    https_with(addr, config, method, path, bearer, body, "").await
}

/// [`https`] with extra header lines (`Name: value\r\n`).
async fn https_with(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
    extra: &str,
) -> Result<Answer, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = tls::server_name("127.0.0.1").unwrap();
    let mut stream = tokio_rustls::TlsConnector::from(Arc::clone(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let server_fingerprint = tls::fingerprint(&stream.get_ref().1.peer_certificates().unwrap()[0]);
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer).await;
    if answer.is_empty() {
        return Err(format!("no answer: {read:?}"));
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no head")?;
    Ok(Answer {
        server_fingerprint,
        status: head[9..12].parse().map_err(|_| "no status")?,
        head: head.to_ascii_lowercase(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

/// `GET /api/v1/auth/me` over a new TLS connection, without a token.
async fn me(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> Result<Answer, String> {
    https(addr, config, "GET", "/api/v1/auth/me", None, None).await
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn https_app(app: &TestApp) -> axum::Router {
    suyuan_server::app_with(
        app.store.clone(),
        suyuan_server::ServerConfig {
            https: true,
            ..suyuan_server::ServerConfig::default()
        },
    )
}

both_backends!(
    https_serves_and_renews_its_certificate_without_restart,
    |app| async move {
        let dir = tempfile::tempdir().unwrap();
        let (cert_a, key_a, fp_a) = server_cert("first");
        let (cert_b, key_b, fp_b) = server_cert("renewed");
        let cert_path = write(dir.path(), "cert.pem", &cert_a);
        let key_path = write(dir.path(), "key.pem", &key_a);
        let resolver = CertResolver::load(cert_path.clone(), key_path.clone()).unwrap();
        let _watch = resolver.watch(Duration::from_millis(100));
        let addr = serve(
            https_app(app),
            Arc::clone(&resolver),
            ClientCerts::None,
            CertPolicy::Optional,
        )
        .await;
        // The client trusts both certificates (as it would trust their CA).
        // No session resumption: a resumed session would not show the certificate again.
        let mut client = (*tls::client_config(format!("{cert_a}{cert_b}").as_bytes(), None).unwrap()).clone();
        client.resumption = rustls::client::Resumption::disabled();
        let client = Arc::new(client);

        let a = https(addr, &client, "GET", "/healthz", None, None).await.unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(a.server_fingerprint, fp_a);
        assert!(
            a.head.contains("strict-transport-security: max-age=31536000"),
            "{}",
            a.head
        );

        // Renewed: the files are rewritten; the next connections get the new one.
        std::fs::write(&cert_path, &cert_b).unwrap();
        std::fs::write(&key_path, &key_b).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let a = https(addr, &client, "GET", "/healthz", None, None).await.unwrap();
            if a.server_fingerprint == fp_b {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the renewed certificate was not picked up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A broken renewal is refused and the served certificate kept.
        std::fs::write(
            &cert_path,
            "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(resolver.reload().is_err());
        std::fs::write(&cert_path, &cert_a).unwrap(); // key B with certificate A: a mismatch
        assert!(resolver.reload().unwrap_err().contains("does not match"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = https(addr, &client, "GET", "/healthz", None, None).await.unwrap();
        assert_eq!((a.status, a.server_fingerprint.as_str()), (200, fp_b.as_str()));

        // A client that does not trust the certificate gets no answer.
        let (other, _, _) = server_cert("stranger");
        let stranger = tls::client_config(other.as_bytes(), None).unwrap();
        assert!(https(addr, &stranger, "GET", "/healthz", None, None)
            .await
            .is_err());

        // Plain HTTP to the TLS port: no HTTP answer.
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await;
        assert!(!got.starts_with(b"HTTP/"), "plain HTTP was answered: {got:?}");

        // TLS 1.1 (a ClientHello offering only version 3.2): refused with an alert.
        let mut hello = vec![0x03, 0x02];
        hello.extend([7u8; 32]); // random
        hello.push(0); // no session id
        hello.extend([0x00, 0x04, 0xc0, 0x13, 0x00, 0x2f]); // ECDHE-RSA-AES128-SHA, AES128-SHA
        hello.extend([0x01, 0x00]); // no compression
        let mut handshake = vec![0x01, 0x00, (hello.len() >> 8) as u8, hello.len() as u8];
        handshake.extend(hello);
        let mut record = vec![
            0x16,
            0x03,
            0x01,
            (handshake.len() >> 8) as u8,
            handshake.len() as u8,
        ];
        record.extend(handshake);
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(&record).await.unwrap();
        let mut got = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await;
        assert!(
            got.first() != Some(&0x16),
            "the server answered a TLS 1.1 hello with a handshake: {got:?}"
        );
        // A fatal alert (handshake_failure or protocol_version), or nothing.
        if !got.is_empty() {
            assert_eq!((got[0], got.get(5)), (0x15, Some(&2)), "{got:?}");
            assert!(matches!(got.get(6), Some(40 | 70)), "{got:?}");
        }
    }
);

both_backends!(mutual_tls_maps_certificates_to_principals, |app| async move {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = server_cert("server");
    let resolver = CertResolver::load(
        write(dir.path(), "c.pem", &cert),
        write(dir.path(), "k.pem", &key),
    )
    .unwrap();
    let ca = client_ca();
    let hints = vec![tls::subject_of(ca.0.pem().as_bytes()).unwrap()];
    let machine = serve(
        https_app(app),
        Arc::clone(&resolver),
        ClientCerts::Required(hints.clone()),
        CertPolicy::Required,
    )
    .await;
    let main = serve(
        https_app(app),
        resolver,
        ClientCerts::Optional(hints),
        CertPolicy::Optional,
    )
    .await;
    let with = |c: Option<&(String, String, String)>| {
        tls::client_config(cert.as_bytes(), c.map(|c| (c.0.as_bytes(), c.1.as_bytes()))).unwrap()
    };

    // A cooperative with an API key and a device; the operator registers certificates.
    let (coop, _, _) = cooperative(app, "mtls.coop").await;
    let (status, k) = app
        .post("/api/v1/api-keys", &coop.token, json!({"name": "erp"}))
        .await;
    assert_eq!(status, 201, "{k}");
    let key_id = uuid_of(&k["id"]);
    let room = cold_room(app, &coop, "双向认证冷库").await;
    let (device_id, _) = device(app, &coop, "cold_room", &room).await;
    let (other_device, _) = device(app, &coop, "cold_room", &room).await;
    let op = app.store.caller_for_username("admin").await.unwrap().unwrap();
    let key_cert = client_cert(&ca, "erp");
    let device_cert = client_cert(&ca, "probe");
    let org_cert = client_cert(&ca, "coop machine");
    let unknown = client_cert(&ca, "never registered");
    let add = |fp: String, subject| {
        let op = op.clone();
        async move {
            app.store
                .add_client_cert(&op, &fp, subject, "issued", "test")
                .await
                .unwrap()
        }
    };
    add(key_cert.2.clone(), CertSubject::ApiKey(key_id)).await;
    add(
        device_cert.2.clone(),
        CertSubject::Device(device_id.parse().unwrap()),
    )
    .await;
    add(org_cert.2.clone(), CertSubject::Organisation(coop.id)).await;
    // Registered, but out of their validity: refused at the handshake.
    let expired = client_cert_valid(&ca, "expired", (2020, 2021));
    let early = client_cert_valid(&ca, "not yet", (2090, 2091));
    for c in [&expired, &early] {
        add(c.2.clone(), CertSubject::Organisation(coop.id)).await;
        for listener in [machine, main] {
            let a = me(listener, &with(Some(c))).await;
            assert!(a.is_err(), "{}: {:?}", c.2, a.map(|a| a.status));
        }
    }
    // Only the operator manages them.
    let member = app
        .store
        .caller_for_username(&coop.username)
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .store
        .add_client_cert(
            &member,
            &unknown.2,
            CertSubject::Organisation(coop.id),
            "registered",
            ""
        )
        .await
        .is_err());

    // The machine listener: no certificate, no connection.
    assert!(me(machine, &with(None)).await.is_err());
    // An unknown certificate: 401.
    let a = me(machine, &with(Some(&unknown))).await.unwrap();
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("client_certificate_refused")),
        "{}",
        a.body
    );
    // The API key's certificate: the key's user, without a token.
    let a = me(machine, &with(Some(&key_cert))).await.unwrap();
    assert_eq!(
        (a.status, a.body["username"].as_str()),
        (200, Some(coop.username.as_str())),
        "{}",
        a.body
    );
    assert!(a.head.contains("content-security-policy:"), "{}", a.head);
    // The device's certificate: its readings need no token; another device's are refused.
    let readings = temps(&[("2026-03-01T08:00:00+08:00", 2.0)]);
    let path = format!("/api/v1/devices/{device_id}/readings");
    let a = https(
        machine,
        &with(Some(&device_cert)),
        "POST",
        &path,
        None,
        Some(&readings),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 202, "{}", a.body);
    let path = format!("/api/v1/devices/{other_device}/readings");
    let a = https(
        machine,
        &with(Some(&device_cert)),
        "POST",
        &path,
        None,
        Some(&readings),
    )
    .await
    .unwrap();
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some("device_refused")));
    // The device's certificate is no user.
    let a = me(machine, &with(Some(&device_cert))).await.unwrap();
    assert_eq!(a.status, 401);
    // The organisation's certificate: with its own user's token, not another's.
    let org = with(Some(&org_cert));
    let a = https(machine, &org, "GET", "/api/v1/auth/me", Some(&coop.token), None)
        .await
        .unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    let operator = app.operator_token().await;
    let a = https(machine, &org, "GET", "/api/v1/auth/me", Some(&operator), None)
        .await
        .unwrap();
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("client_certificate_mismatch"))
    );

    // The main listener: a certificate is optional; a known one authenticates.
    let a = me(main, &with(None)).await.unwrap();
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let a = me(main, &with(Some(&key_cert))).await.unwrap();
    assert_eq!(a.status, 200);
    // ... but never a browser's request: an installed certificate would be an ambient credential.
    for browser in [
        "Sec-Fetch-Site: cross-site\r\n",
        "Origin: https://evil.example\r\n",
    ] {
        let a = https_with(
            main,
            &with(Some(&key_cert)),
            "GET",
            "/api/v1/auth/me",
            None,
            None,
            browser,
        )
        .await
        .unwrap();
        assert_eq!(a.status, 401, "{browser}");
    }

    // Revoked: refused from the next request, without restart.
    app.store.revoke_client_cert(&op, &key_cert.2).await.unwrap();
    let a = me(machine, &with(Some(&key_cert))).await.unwrap();
    assert_eq!(
        (a.status, a.body["code"].as_str()),
        (401, Some("client_certificate_refused"))
    );
    let a = me(main, &with(Some(&key_cert))).await.unwrap();
    assert_eq!(a.status, 401);
    let listed = app.store.list_client_certs(&op).await.unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed
        .iter()
        .any(|c| c.fingerprint == key_cert.2 && c.revoked_at.is_some()));
    // A revoked API key takes its certificate with it.
    let (status, _) = app
        .request(
            "DELETE",
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&coop.token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(app
        .store
        .client_cert_principal(&key_cert.2)
        .await
        .unwrap()
        .is_none());

    // The platform CA's key is stored sealed, never in clear.
    let ca_key = KeyPair::generate().unwrap();
    let stored = suyuan_store::client_certs::ClientCa {
        cert_pem: ca.0.pem(),
        key_pem: ca_key.serialize_pem(),
    };
    app.store.create_client_ca(&op, &stored).await.unwrap();
    assert!(
        app.store.create_client_ca(&op, &stored).await.is_err(),
        "one CA only"
    );
    let row = app
        .store
        .db()
        .conn()
        .fetch_optional("SELECT key_cipher FROM client_ca", &[])
        .await
        .unwrap()
        .unwrap();
    assert!(!row.text("key_cipher").unwrap().contains("PRIVATE KEY"));
    assert_eq!(
        app.store.client_ca().await.unwrap().unwrap().key_pem,
        stored.key_pem
    );
});

/// Files a (syntactically valid) complaint over plain HTTP with an
/// `X-Forwarded-For` header; answers the status.
async fn complain(addr: SocketAddr, forwarded: &str) -> u16 {
    let body =
        json!({"code": "(01)09520000000011(21)NOPE", "category": "quality", "description": "不新鲜的样品"})
            .to_string();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /api/v1/complaints HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: {forwarded}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut got = String::new();
    tcp.read_to_string(&mut got).await.unwrap();
    got[9..12].parse().unwrap()
}

async fn plain(app: &TestApp, trusted: &str) -> SocketAddr {
    let router = suyuan_server::app_with(
        app.store.clone(),
        suyuan_server::ServerConfig {
            complaint_limit: (1, 600),
            trusted_proxies: suyuan_server::client::ProxyNet::parse_list(trusted).unwrap(),
            ..suyuan_server::ServerConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(suyuan_server::serve(listener, router, std::future::pending()));
    addr
}

both_backends!(
    forwarded_addresses_are_believed_only_from_named_proxies,
    |app| async move {
        // Behind a proxy at 127.0.0.1: each forwarded client has its own limit.
        let proxied = plain(app, "127.0.0.1").await;
        assert_ne!(complain(proxied, "203.0.113.1").await, 429);
        assert_ne!(complain(proxied, "203.0.113.2").await, 429);
        assert_eq!(complain(proxied, "203.0.113.1").await, 429);
        // A client forging a chain gets the address the proxy saw (right-most).
        assert_eq!(complain(proxied, "198.51.100.7, 203.0.113.2").await, 429);
        // Not behind a proxy (another is named): the header is ignored, the peer is the client.
        let direct = plain(app, "10.0.0.1").await;
        assert_ne!(complain(direct, "203.0.113.1").await, 429);
        assert_eq!(complain(direct, "203.0.113.9").await, 429);
    }
);
