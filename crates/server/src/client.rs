//! Who is on the other end of a connection: the client's address, for
//! per-client limits (sign-in throttling, scan de-duplication).
//!
//! The address is the TCP peer's, as `axum::serve` with connect info records
//! it ([`crate::serve`] does). Requests driven in-process without a socket
//! (tests) may insert a [`ClientAddr`] extension themselves; without either,
//! the client is [`ClientAddr::UNKNOWN`], one bucket for all such requests.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

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
            .map_or(ClientAddr::UNKNOWN, |ci| ClientAddr(ci.0.ip())))
    }
}
