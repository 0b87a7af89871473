//! Access token validation (RFC 9068 §4).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tessera_jwt::{decode_header, verify_decoded, Algorithm, JwtError};

use crate::claims::RawClaims;
use crate::introspection::{IntrospectionOptions, Introspector};
use crate::jwks::KeyCache;
use crate::replay::ReplayCache;
use crate::{BearerError, Claims, DpopPolicy};

/// Validates access tokens for one API (audience) of one issuer. Cheap to clone.
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    keys: KeyCache,
    introspector: Option<Introspector>,
    leeway: i64,
    dpop: DpopPolicy,
    public_url: Option<String>,
    replay: ReplayCache,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("dpop", &self.inner.dpop)
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

/// Tuning for a [`Validator`].
#[derive(Debug, Clone)]
pub struct ValidatorOptions {
    /// Where the keys are; default `{issuer}.well-known/jwks.json`.
    pub jwks_uri: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, seconds.
    pub leeway: i64,
    /// An unknown `kid` refetches the JWKS at most this often.
    pub min_refresh_interval: Duration,
    /// Keys older than this are refetched, so a key the issuer revoked stops being trusted.
    pub max_key_age: Duration,
    /// Timeout of one JWKS fetch or introspection.
    pub fetch_timeout: Duration,
    /// Also ask the issuer whether each token is still active (RFC 7662): a revoked token is
    /// refused at once, at the cost of a round trip per request. Off by default.
    pub introspection: Option<IntrospectionOptions>,
    /// Whether tokens must be DPoP-bound and sent with the `DPoP` scheme (RFC 9449), as
    /// Auth0's API setting `proof_of_possession.required` asks. Default: both schemes, each under
    /// its own rules.
    pub dpop: DpopPolicy,
    /// The API's base URL as its clients address it, e.g. `https://api.example.com` (or
    /// `https://example.com/api` when a proxy strips `/api` before the API sees the path): a
    /// DPoP proof's `htu` must be this followed by the request's path (RFC 9449 §4.3 step 9).
    ///
    /// Set it in production. Without it the URI is the request's own: its absolute form when it
    /// came with one (HTTP/2), else `http://` + its `Host` header + its path. That suits an API
    /// reached over plain HTTP during development; over HTTPS (directly or behind a proxy that
    /// terminates TLS) every proof is refused. And since `Host` is chosen by the client, the
    /// check then binds a proof to the method and path only, not to this API's host.
    pub public_url: Option<String>,
    /// How many accepted DPoP proofs are remembered at once to refuse their replay (each for
    /// about a minute: [`tessera_jwt::dpop::MAX_PROOF_AGE`]). When it is reached, new proofs
    /// are refused with a 503 until old ones expire, rather than let one be replayed.
    pub dpop_replay_capacity: usize,
}

impl Default for ValidatorOptions {
    fn default() -> Self {
        ValidatorOptions {
            jwks_uri: None,
            leeway: 30,
            min_refresh_interval: Duration::from_secs(30),
            max_key_age: Duration::from_secs(300),
            fetch_timeout: Duration::from_secs(5),
            introspection: None,
            dpop: DpopPolicy::Allowed,
            public_url: None,
            dpop_replay_capacity: 100_000,
        }
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn invalid(description: impl Into<String>) -> BearerError {
    BearerError::InvalidToken(description.into())
}

impl Validator {
    /// A validator for tokens of `issuer` (e.g. `https://tessera.example.com/`) meant for the
    /// API `audience`, with default options.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Validator {
        Self::with_options(issuer, audience, ValidatorOptions::default())
    }

    pub fn with_options(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        options: ValidatorOptions,
    ) -> Validator {
        let issuer = issuer.into();
        let base = if issuer.ends_with('/') {
            issuer.clone()
        } else {
            format!("{issuer}/")
        };
        let jwks_uri = options
            .jwks_uri
            .unwrap_or_else(|| format!("{base}.well-known/jwks.json"));
        let introspector = options
            .introspection
            .map(|introspection| Introspector::new(introspection, &base, options.fetch_timeout));
        Validator {
            inner: Arc::new(Inner {
                issuer,
                audience: audience.into(),
                keys: KeyCache::new(
                    jwks_uri,
                    options.min_refresh_interval,
                    options.max_key_age,
                    options.fetch_timeout,
                ),
                introspector,
                leeway: options.leeway,
                dpop: options.dpop,
                public_url: options.public_url,
                replay: ReplayCache::new(options.dpop_replay_capacity),
            }),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// Validates a token sent as a bearer token (`Authorization: Bearer`), at the current time.
    pub async fn validate(&self, token: &str) -> Result<Claims, BearerError> {
        self.validate_at(token, now()).await
    }

    /// Validates a token sent as a bearer token, as of `now` (Unix seconds). A token bound to
    /// a key (`cnf`) is refused, and every token when DPoP is [`DpopPolicy::Required`]: only
    /// [`Validator::validate_request`], given the request's DPoP proof, accepts those.
    pub async fn validate_at(&self, token: &str, now: i64) -> Result<Claims, BearerError> {
        if self.inner.dpop == DpopPolicy::Required {
            return Err(invalid(
                "this API takes only DPoP-bound tokens, sent with the DPoP scheme",
            ));
        }
        let claims = self.verify_token(token, now).await?;
        // RFC 9449 §7.2: a DPoP-bound access token received as a bearer token is rejected (and
        // RFC 8705 §3's certificate-bound tokens need a check this library cannot make).
        if claims.cnf.is_some() {
            return Err(invalid(
                "the token is bound to a key: send it with the DPoP scheme and a DPoP proof",
            ));
        }
        Ok(claims)
    }

    pub(crate) fn dpop_policy(&self) -> DpopPolicy {
        self.inner.dpop
    }

    pub(crate) fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
    }

    pub(crate) fn replay_cache(&self) -> &ReplayCache {
        &self.inner.replay
    }

    /// The token's signature and claims (RFC 9068 §4), whatever scheme it came with.
    pub(crate) async fn verify_token(&self, token: &str, now: i64) -> Result<Claims, BearerError> {
        let header = decode_header(token).map_err(|_| invalid("the access token is malformed"))?;
        // RFC 9068 §4: the `typ` header must be `at+jwt` (or `application/at+jwt`).
        let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
        if typ != "at+jwt" && typ != "application/at+jwt" {
            return Err(invalid(
                "the token is not a JWT access token (typ must be at+jwt)",
            ));
        }
        // The algorithm allow-list: only what the key type supports; `none` and HMAC never.
        Algorithm::parse(&header.alg)
            .map_err(|_| invalid(format!("algorithm `{}` is not accepted", header.alg)))?;
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| invalid("the token has no key id"))?;
        let key = self.inner.keys.key(kid).await?;
        let raw: RawClaims = verify_decoded(token, &header, &key).map_err(|error| match error {
            JwtError::Claims(_) => invalid("the token's claims are missing or malformed"),
            _ => invalid("the token signature is invalid"),
        })?;
        self.check_claims(&raw, now)?;
        if let Some(introspector) = &self.inner.introspector {
            introspector.check(token).await?;
        }
        Ok(raw.into_claims())
    }

    fn check_claims(&self, raw: &RawClaims, now: i64) -> Result<(), BearerError> {
        let inner = &self.inner;
        if raw.iss != inner.issuer {
            return Err(invalid("the token was issued by another issuer"));
        }
        if !raw.aud.contains(&inner.audience) {
            return Err(invalid("the token is not meant for this API"));
        }
        if now >= raw.exp.saturating_add(inner.leeway) {
            return Err(invalid("the token has expired"));
        }
        if raw
            .nbf
            .is_some_and(|nbf| now.saturating_add(inner.leeway) < nbf)
        {
            return Err(invalid("the token is not valid yet"));
        }
        Ok(())
    }
}
