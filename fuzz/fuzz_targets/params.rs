//! Form and JSON body decoding, and query decoding: any bytes, under each content type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_protocol::params::Params;

const CONTENT_TYPES: [&str; 4] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    if let Ok(params) = Params::from_body(Some(content_type), body) {
        let _ = params.any_repeated();
    }
    if let Ok(query) = std::str::from_utf8(body) {
        let _ = Params::from_query(Some(query));
    }
});
