//! The token request parser: a form body and an `Authorization` header, through client
//! credential extraction and the grant's parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_protocol::client_auth::client_credentials;
use tessera_protocol::params::Params;
use tessera_protocol::token::parse_token_request;

fuzz_target!(|data: &[u8]| {
    // The first line is the Authorization header, the rest the body.
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let authorization = std::str::from_utf8(header).ok().filter(|h| !h.is_empty());
    for content_type in ["application/x-www-form-urlencoded", "application/json"] {
        if let Ok(params) = Params::from_body(Some(content_type), body) {
            let _ = client_credentials(authorization, &params);
            let _ = parse_token_request(&params);
        }
    }
});
