//! One outgoing HTTP/1.1 POST, over plain TCP or TLS (rustls), with a
//! deadline and a bounded answer: how the server talks to witnesses
//! ([`crate::witnesses`]) and to organisations' alert webhooks
//! ([`crate::webhooks`]). Small on purpose (no connection pool, no
//! redirects: a webhook that redirects is answered as a failure, so a
//! redirect cannot lead a delivery to an address that was not checked).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest answer read.
pub const MAX_ANSWER: usize = 64 * 1024;

/// Where a POST goes.
pub struct Post<'a> {
    /// What to connect to: `ip:port` or `host:port`.
    pub connect: &'a str,
    /// The `Host` header (`host:port`).
    pub authority: &'a str,
    /// The name the server's certificate must carry (HTTPS).
    pub host: &'a str,
    /// For HTTPS, the TLS client configuration; `None` for plain HTTP.
    pub tls: Option<&'a Arc<rustls::ClientConfig>>,
    /// Path and query.
    pub path: &'a str,
    pub content_type: &'a str,
    /// Further headers.
    pub headers: &'a [(&'a str, String)],
    pub body: &'a [u8],
    pub timeout: Duration,
}

/// Writes `request` and reads the answer (at most [`MAX_ANSWER`] bytes).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> Result<Vec<u8>, String> {
    stream.write_all(request).await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let read = (&mut stream)
        .take(MAX_ANSWER as u64)
        .read_to_end(&mut answer)
        .await;
    match read {
        Ok(_) => Ok(answer),
        // A peer that closes without TLS close_notify after a whole answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => Ok(answer),
        Err(e) => Err(e.to_string()),
    }
}

/// Sends the POST; answers (status, body as text, lossily decoded).
pub async fn post(p: &Post<'_>) -> Result<(u16, String), String> {
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        p.path,
        p.authority,
        p.content_type,
        p.body.len()
    );
    for (name, value) in p.headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut request = request.into_bytes();
    request.extend_from_slice(p.body);
    let connect = p.connect;
    let talk = async {
        let stream = tokio::net::TcpStream::connect(connect)
            .await
            .map_err(|e| format!("cannot connect to {connect}: {e}"))?;
        let Some(config) = p.tls else {
            return exchange(stream, &request).await;
        };
        let name = crate::tls::server_name(p.host)?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(name, stream)
            .await
            .map_err(|e| format!("TLS with {connect} failed: {e}"))?;
        exchange(stream, &request).await
    };
    let answer = tokio::time::timeout(p.timeout, talk)
        .await
        .map_err(|_| format!("{connect} did not answer within {} s", p.timeout.as_secs()))??;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("malformed HTTP status line")?;
    Ok((status, body.to_owned()))
}
