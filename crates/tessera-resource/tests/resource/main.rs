//! `tessera-resource` as an API author uses it: validation of forged, expired, misaddressed and
//! algorithm-confused tokens, DPoP-bound tokens and their proofs, the JWKS cache, and the axum
//! extractor and layer. One test binary (each binary is linked on its own, so fewer build
//! faster).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod dpop;
mod dpop_axum;
mod extractors;
mod jwks_cache;
mod validation;
