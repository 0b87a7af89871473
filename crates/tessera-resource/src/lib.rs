//! Bearer token validation for resource servers (APIs) protected by Tessera.
//!
//! A [`Validator`] checks an access token the way RFC 9068 §4 asks: the signature with a key
//! from the issuer's JWKS (fetched lazily, cached, refreshed on an unknown `kid` at most once per
//! [`Validator::min_refresh_interval`]), the algorithm against an allow-list fixed by the key
//! (never `none`, never HMAC), `typ` = `at+jwt`, `iss`, `aud`, and `exp`/`nbf` with a small
//! leeway. Failures become RFC 6750 responses. An API that must refuse revoked tokens before
//! they expire also asks the issuer's introspection endpoint about each token
//! ([`ValidatorOptions::introspection`]).
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
mod error;
mod extract;
mod introspection;
mod jwks;
mod validator;

pub use claims::Claims;
pub use error::BearerError;
pub use extract::{RequirePermission, RequireScope, RequireService};
pub use introspection::IntrospectionOptions;
pub use validator::{Validator, ValidatorOptions};
