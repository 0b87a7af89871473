//! Bearer and DPoP token validation for resource servers (APIs) protected by Tessera.
//!
//! A [`Validator`] checks an access token the way RFC 9068 §4 asks: the signature with a key
//! from the issuer's JWKS (fetched lazily, cached, refreshed on an unknown `kid` at most once per
//! [`ValidatorOptions::min_refresh_interval`]), the algorithm against an allow-list fixed by the
//! key (never `none`, never HMAC), `typ` = `at+jwt`, `iss`, `aud`, and `exp`/`nbf` with a small
//! leeway. Failures become RFC 6750 responses. An API that must refuse revoked tokens before
//! they expire also asks the issuer's introspection endpoint about each token
//! ([`ValidatorOptions::introspection`]).
//!
//! # DPoP
//!
//! A token bound to a client's key (`"cnf": {"jkt": …}`, issued with `token_type: DPoP` to a
//! client that sent a DPoP proof to an API with proof of possession on) is accepted only as
//! RFC 9449 §7 asks: with `Authorization: DPoP <token>` and one `DPoP` header holding a proof
//! signed by that key, for this request's method and URI, made within the last minute, hashing
//! the token (`ath`), and not seen before. The same token sent with the `Bearer` scheme is
//! refused (RFC 9449 §7.2), and so is an unbound token sent with the `DPoP` scheme.
//! [`ValidatorOptions::dpop`] chooses whether plain Bearer tokens are still taken
//! ([`DpopPolicy::Allowed`], the default) or not ([`DpopPolicy::Required`]). Refusals carry
//! `WWW-Authenticate` challenges of the scheme the client used (RFC 9449 §7.1:
//! `DPoP error="invalid_dpop_proof", …, algs="…"`), and a request without a token is offered
//! each scheme the API takes.
//!
//! Two things to configure and know:
//!
//! - **The URI.** A proof names the absolute URI the client sent the request to (`htu`), which an
//!   API behind a proxy cannot see; set [`ValidatorOptions::public_url`] to the URL clients use
//!   (`https://api.example.com`). Without it, `http://` + the `Host` header is assumed: fine
//!   for local development, refused over HTTPS, and no check of the host, which the client picks.
//! - **Replays.** Each accepted proof is remembered (in memory, for about a minute, up to
//!   [`ValidatorOptions::dpop_replay_capacity`]) and refused if sent again. The memory is per
//!   process, shared by the clones of one [`Validator`]: several replicas of an API behind a
//!   load balancer do not see each other's proofs, so a proof captured in transit could be
//!   replayed once to each other replica within that minute (with its token, to the same
//!   path). Server-provided nonces (RFC 9449 §9), which would close that gap, are not
//!   supported yet.
//!
//! Outside axum, [`Validator::validate_request`] takes the request's method, target, `Host`,
//! `Authorization` and `DPoP` headers as strings and returns the [`Claims`] or a [`Rejection`]
//! (status, challenges); [`Validator::validate`] alone is the `Bearer` scheme.
//!
//! ```no_run
//! use axum::{routing::get, Json, Router};
//! use tessera_resource::{Claims, RequireScope, Validator};
//!
//! async fn appointments(claims: Claims) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "for": claims.sub }))
//! }
//!
//! # async fn run() {
//! let validator = Validator::new("http://127.0.0.1:3000/", "appointments:api");
//! let app: Router = Router::new()
//!     .route("/api/appointments", get(appointments))
//!     .route_layer(RequireScope::new(validator.clone(), ["appointments"]))
//!     .with_state(validator);
//! # }
//! ```

mod claims;
mod dpop;
mod error;
mod extract;
mod introspection;
mod jwks;
mod replay;
mod request;
mod validator;

pub use claims::{Claims, Confirmation};
pub use dpop::DpopPolicy;
pub use error::{BearerError, Rejection};
pub use extract::{RequirePermission, RequireScope, RequireService};
pub use introspection::IntrospectionOptions;
pub use request::HttpRequest;
pub use validator::{Validator, ValidatorOptions};
