//! Validating a request rather than a bare token: which scheme its `Authorization` header uses
//! (`Bearer`, RFC 6750 §2.1, or `DPoP`, RFC 9449 §7.1), and the URI a DPoP proof must name.

use axum::http::Uri;

use crate::error::{Rejection, Scheme};
use crate::validator::now;
use crate::{BearerError, Claims, Validator};

/// What [`Validator::validate_request`] needs of an HTTP request, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpRequest<'a> {
    /// The method (`GET`, `POST`), which a DPoP proof's `htm` must be.
    pub method: &'a str,
    /// The request target: origin-form (`/api/appointments?day=1`) as HTTP/1.1 sends it, or
    /// absolute (`https://api.example.com/api/appointments`).
    pub target: &'a str,
    /// The `Host` header, used for a DPoP proof's `htu` only without
    /// [`crate::ValidatorOptions::public_url`].
    pub host: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// Every `DPoP` header, in order (RFC 9449 §4.3 step 1 refuses more than one).
    pub dpop: &'a [&'a str],
}

impl Validator {
    /// Validates the credentials of `request` at the current time: a bearer token
    /// ([`Validator::validate`]'s rules), or a DPoP-bound token with a proof of its key for
    /// this request (RFC 9449 §7), as the API's [`crate::DpopPolicy`] allows.
    pub async fn validate_request(&self, request: &HttpRequest<'_>) -> Result<Claims, Rejection> {
        self.validate_request_at(request, now()).await
    }

    /// [`Validator::validate_request`] as of `now` (Unix seconds).
    pub async fn validate_request_at(
        &self,
        request: &HttpRequest<'_>,
        now: i64,
    ) -> Result<Claims, Rejection> {
        let policy = self.dpop_policy();
        let (scheme, token) = authorization(request.authorization)
            .map_err(|(scheme, error)| Rejection::new(error, scheme, policy))?;
        let validated = match scheme {
            Scheme::Bearer => self.validate_at(token, now).await,
            Scheme::Dpop => self.validate_dpop(token, request, now).await,
        };
        validated.map_err(|error| Rejection::new(error, Some(scheme), policy))
    }

    /// The rejection of a request whose token was valid (`claims`) but does not suffice, e.g.
    /// [`BearerError::InsufficientScope`]: challenged in the scheme the token came with, which
    /// is `DPoP` exactly when the token is bound to a key.
    pub fn refuse(&self, claims: &Claims, error: BearerError) -> Rejection {
        let scheme = match claims.cnf {
            Some(_) => Scheme::Dpop,
            None => Scheme::Bearer,
        };
        Rejection::new(error, Some(scheme), self.dpop_policy())
    }

    /// RFC 9449 §4.3 step 9: the absolute URI the request was sent to, as its client named it.
    pub(crate) fn request_uri(&self, request: &HttpRequest<'_>) -> Result<String, BearerError> {
        let target: Uri = request
            .target
            .parse()
            .map_err(|_| BearerError::InvalidRequest("the request target is not a URI".into()))?;
        let path = target.path_and_query().map_or("/", |p| p.as_str());
        if let Some(base) = self.public_url() {
            return Ok(format!("{}{path}", base.trim_end_matches('/')));
        }
        if target.scheme().is_some() && target.authority().is_some() {
            return Ok(target.to_string());
        }
        let host = request.host.ok_or_else(|| {
            BearerError::InvalidRequest(
                "the request has no Host header to check htu against".into(),
            )
        })?;
        Ok(format!("http://{host}{path}"))
    }
}

/// The scheme and token of an `Authorization` header; on failure, the scheme when known.
fn authorization(header: Option<&str>) -> Result<(Scheme, &str), (Option<Scheme>, BearerError)> {
    let header = header.ok_or((None, BearerError::Missing))?;
    let (name, token) = header.split_once(' ').unwrap_or((header, ""));
    let scheme = if name.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if name.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else if header.contains(' ') {
        // RFC 6750 §3.1: another scheme (`Basic …`) is no attempt at this one: a bare challenge.
        return Err((None, BearerError::Missing));
    } else {
        return Err((
            None,
            BearerError::InvalidRequest("the Authorization header is not `Bearer <token>`".into()),
        ));
    };
    match token.trim() {
        "" => Err((
            Some(scheme),
            BearerError::InvalidRequest(format!(
                "the Authorization header is not `{name} <token>`"
            )),
        )),
        token => Ok((scheme, token)),
    }
}
