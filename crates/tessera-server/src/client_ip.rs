//! Who sent a request: the client IP — the TCP peer (`serve` records it as `ConnectInfo`), or,
//! only when `trust_forwarded_for` is set, the last `X-Forwarded-For` hop, the one the trusted
//! proxy in front added — and the user agent. Brute-force and client-authentication counters
//! key on the IP; the audit log records both.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use tessera_core::audit::RequestContext;

/// The client IP of a request; `None` when it was not served over TCP (router tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as counters key it.
    pub fn key(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }
}

/// Who sent a request, as handlers pass it to the flows they call.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub context: RequestContext,
}

impl Origin {
    /// The client IP counters key on.
    pub fn ip(&self) -> ClientIp {
        ClientIp(self.context.ip)
    }
}

/// Who sent the request of `parts`: the client IP (the peer, or behind a trusted proxy the last
/// `X-Forwarded-For` hop) and the user agent.
pub fn request_context_of(parts: &Parts, trust_forwarded_for: bool) -> RequestContext {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = trust_forwarded_for
        .then(|| last_forwarded_hop(&parts.headers))
        .flatten();
    RequestContext {
        ip: forwarded.or(peer),
        user_agent: parts.headers.get(header::USER_AGENT).cloned(),
    }
}

fn last_forwarded_hop(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    let hop = last_header.to_str().ok()?.rsplit(',').next()?.trim();
    hop.parse().ok()
}
