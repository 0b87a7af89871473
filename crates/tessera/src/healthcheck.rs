//! `tessera healthcheck`: asks the node this configuration describes for `/readyz` and succeeds
//! only on 200 — the container image's HEALTHCHECK, in an image that has no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::config::Config;

/// Less than the image's HEALTHCHECK timeout, so that a hung node is reported by this check.
const TIMEOUT: Duration = Duration::from_secs(2);

/// `tessera healthcheck [--config FILE]`.
pub async fn run(config: Option<&Path>) -> Result<(), String> {
    let config = Config::load(config).map_err(|e| e.to_string())?;
    let url = readyz_url(config.listen);
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}

/// Where a node listening on `listen` answers on this host: a node listening on every address
/// is asked over loopback.
fn readyz_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/readyz", SocketAddr::new(ip, listen.port()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_node_listening_everywhere_is_asked_over_loopback() {
        assert_eq!(
            readyz_url("0.0.0.0:3000".parse().unwrap()),
            "http://127.0.0.1:3000/readyz"
        );
        assert_eq!(
            readyz_url("[::]:3000".parse().unwrap()),
            "http://[::1]:3000/readyz"
        );
        assert_eq!(
            readyz_url("10.1.2.3:8080".parse().unwrap()),
            "http://10.1.2.3:8080/readyz"
        );
    }
}
