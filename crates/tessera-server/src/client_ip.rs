//! The client's IP address, from the TCP connection (`serve` records it with
//! `into_make_service_with_connect_info`). No proxy header is trusted: behind a reverse proxy
//! every request comes from the proxy's address.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap};
use tessera_core::audit::RequestContext;

/// The peer address of a request; `None` when it was not served over TCP (the CLI's
/// in-process requests, router tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as counters key it.
    pub fn key(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// Who sent `request`, for the audit log: the connection's peer address, or (only when the
/// proxy in front is trusted) the last `X-Forwarded-For` hop — the one that proxy added, which a
/// client cannot forge — and the user agent.
pub fn request_context(request: &Request, trust_forwarded_for: bool) -> RequestContext {
    context(request.extensions(), request.headers(), trust_forwarded_for)
}

/// [`request_context`] of a request's parts.
pub fn request_context_of(parts: &Parts, trust_forwarded_for: bool) -> RequestContext {
    context(&parts.extensions, &parts.headers, trust_forwarded_for)
}

fn context(
    extensions: &Extensions,
    headers: &HeaderMap,
    trust_forwarded_for: bool,
) -> RequestContext {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = trust_forwarded_for
        .then(|| last_forwarded_hop(headers))
        .flatten();
    RequestContext {
        ip: forwarded.or(peer),
        user_agent: headers.get(header::USER_AGENT).cloned(),
    }
}

fn last_forwarded_hop(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    let hop = last_header.to_str().ok()?.rsplit(',').next()?.trim();
    hop.parse().ok()
}
