//! Who is on the other end of a connection: the client's address, for
//! per-client limits (sign-in throttling, scan de-duplication).
//!
//! The address is the TCP peer's, as `axum::serve` with connect info (or
//! the TLS accept loop, [`crate::tls`]) records it. Behind reverse proxies
//! (`--behind-proxy`, [`crate::ServerConfig::trusted_proxies`]) the
//! `Forwarded` or `X-Forwarded-For` header is believed only when the TCP
//! peer is one of those proxies, and then the client is the right-most
//! address in the chain that is not a trusted proxy: a client cannot
//! choose its own address by sending the header. [`resolve`] settles the
//! address once per request. Requests driven in-process without a socket
//! (tests) may insert a [`ClientAddr`] extension themselves; without
//! either, the client is [`ClientAddr::UNKNOWN`], one bucket for all such
//! requests.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address used when the connection's peer is not known.
    pub const UNKNOWN: ClientAddr = ClientAddr(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            return Ok(*addr);
        }
        Ok(parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(ClientAddr::UNKNOWN, |ci| ClientAddr(ci.0.ip().to_canonical())))
    }
}

/// A trusted reverse proxy: an address or a network (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// Parses `IP` or `IP/PREFIX`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (ip, prefix) = match text.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or network like 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}': the prefix length is 0 to {max}"))?,
        };
        Ok(ProxyNet {
            addr: addr.to_canonical(),
            prefix,
        })
    }

    /// Parses a comma-separated list.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        text.split(',')
            .filter(|t| !t.trim().is_empty())
            .map(ProxyNet::parse)
            .collect()
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> u128 {
            match ip {
                IpAddr::V4(v) => u128::from(u32::from(v)),
                IpAddr::V6(v) => u128::from(v),
            }
        };
        let ip = ip.to_canonical();
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let width = if ip.is_ipv4() { 32 } else { 128 };
        let shift = width - u32::from(self.prefix);
        if shift >= 128 {
            return true;
        }
        (bits(ip) >> shift) == (bits(self.addr) >> shift)
    }
}

/// The addresses a request passed through, oldest first, as the
/// `Forwarded` header (RFC 7239) or else `X-Forwarded-For` states them; an
/// entry that is not an address (`unknown`, an obfuscated name) is `None`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v.trim().trim_matches('"')))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| parse_node(a.trim()))
        .collect()
}

/// An address, with or without a port (`192.0.2.1:80`, `[2001:db8::1]:80`).
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    text.strip_prefix('[')
        .and_then(|t| t.split_once(']'))
        .and_then(|(ip, _)| ip.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

/// The client of a request that reached us from `peer`: `peer` itself
/// unless it is a trusted proxy; then the right-most address of the
/// forwarded chain that is not a trusted proxy (the left-most when all
/// are; the last proxy when an entry cannot be read).
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[ProxyNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// Settles the request's [`ClientAddr`] (see [`client_of`]), unless one is
/// set already.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.extensions().get::<ClientAddr>().is_none() {
        if let Some(peer) = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        {
            let client = client_of(peer, req.headers(), &state.config.trusted_proxies);
            req.extensions_mut().insert(ClientAddr(client));
        }
    }
    next.run(req).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn networks() {
        let n = ProxyNet::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(!n.contains("::1".parse().unwrap()));
        assert!(ProxyNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(ProxyNet::parse("fd00::/8")
            .unwrap()
            .contains("fd12::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "x", "10.0.0.0/", "::/129"] {
            assert!(ProxyNet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_proxies() {
        let proxies = ProxyNet::parse_list("10.0.0.1, 10.0.1.0/24").unwrap();
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.0.1.5")]);
        assert_eq!(
            client_of(peer, &h, &proxies),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Not from a proxy: the peer is the client whatever it claims.
        let stranger: IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(client_of(stranger, &h, &proxies), stranger);
        let h = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            client_of(peer, &h, &proxies),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.7, unknown")]);
        assert_eq!(client_of(peer, &h, &proxies), peer);
        assert_eq!(client_of(peer, &HeaderMap::new(), &proxies), peer);
    }
}
