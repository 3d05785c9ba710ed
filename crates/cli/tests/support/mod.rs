//! What the CLI's test binaries share: server processes killed when
//! dropped, free ports, and a tiny HTTP/1.1 client. Included by each binary
//! (`#[path]`), which uses what it needs.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

/// A server process (and its port), killed (SIGKILL) when dropped.
pub struct Server(pub Child, pub u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// One HTTP/1.1 request (one per connection): (status, JSON body or null);
/// `None` when the server is not there or the connection broke (a killed
/// server's answer is no answer).
pub fn try_http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, serde_json::Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.get(9..12)?.parse().ok()?;
    let (_, b) = resp.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(b).unwrap_or(serde_json::Value::Null)))
}

/// [`try_http`] to a server that must answer.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    try_http(port, method, path, token, body)
        .unwrap_or_else(|| panic!("no answer to {method} {path} on port {port}"))
}
