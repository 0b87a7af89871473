//! axum integration: [`Claims`] as an extractor, and [`RequireScope`] and [`RequirePermission`]
//! as route layers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::{BearerError, Claims, Validator};

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1).
fn bearer(headers: &HeaderMap) -> Result<&str, BearerError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(BearerError::Missing);
    };
    let value = value
        .to_str()
        .map_err(|_| BearerError::InvalidRequest("the Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        Some((scheme, _)) if !scheme.eq_ignore_ascii_case("bearer") => Err(BearerError::Missing),
        _ => Err(BearerError::InvalidRequest(
            "the Authorization header is not `Bearer <token>`".into(),
        )),
    }
}

impl<S> FromRequestParts<S> for Claims
where
    Validator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = BearerError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(claims) = parts.extensions.get::<Claims>() {
            return Ok(claims.clone());
        }
        let validator = Validator::from_ref(state);
        validator.validate(bearer(&parts.headers)?).await
    }
}

/// Which claim of the token a [`Require`] layer looks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// `scope`: what the token was granted.
    Scopes,
    /// `permissions`: what the user holds through roles.
    Permissions,
}

/// What a [`RequireScope`] or [`RequirePermission`] layer lets through: a valid token holding
/// every one of `needed` in the claim `held` names.
#[derive(Clone, Debug)]
struct Require {
    validator: Validator,
    held: Held,
    needed: Vec<String>,
}

impl Require {
    fn new<I, T>(validator: Validator, held: Held, needed: I) -> Require
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Require {
            validator,
            held,
            needed: needed.into_iter().map(Into::into).collect(),
        }
    }

    fn layer<S>(&self, inner: S) -> RequireService<S> {
        RequireService {
            inner,
            policy: self.clone(),
        }
    }
}

/// A route layer that lets a request through only with a valid token carrying every one of
/// the given scopes; the [`Claims`] are then available to the handler.
#[derive(Clone, Debug)]
pub struct RequireScope(Require);

impl RequireScope {
    pub fn new<I, T>(validator: Validator, scopes: I) -> RequireScope
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        RequireScope(Require::new(validator, Held::Scopes, scopes))
    }
}

impl<S> Layer<S> for RequireScope {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.0.layer(inner)
    }
}

/// A route layer that lets a request through only with a valid token whose user holds every
/// one of the given permissions (the `permissions` claim of an API with RBAC and an `*_authz`
/// token dialect); the [`Claims`] are then available to the handler.
#[derive(Clone, Debug)]
pub struct RequirePermission(Require);

impl RequirePermission {
    pub fn new<I, T>(validator: Validator, permissions: I) -> RequirePermission
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        RequirePermission(Require::new(validator, Held::Permissions, permissions))
    }
}

impl<S> Layer<S> for RequirePermission {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.0.layer(inner)
    }
}

/// The service a [`RequireScope`] or [`RequirePermission`] layer wraps around a route.
#[derive(Clone, Debug)]
pub struct RequireService<S> {
    inner: S,
    policy: Require,
}

impl Require {
    async fn check(&self, headers: &HeaderMap) -> Result<Claims, BearerError> {
        let claims = self.validator.validate(bearer(headers)?).await?;
        let missing = self.needed.iter().find(|needed| match self.held {
            Held::Scopes => !claims.has_scope(needed),
            Held::Permissions => !claims.has_permission(needed),
        });
        match (missing, self.held) {
            (None, _) => Ok(claims),
            (Some(scope), Held::Scopes) => Err(BearerError::InsufficientScope(scope.clone())),
            (Some(permission), Held::Permissions) => {
                Err(BearerError::InsufficientPermission(permission.clone()))
            }
        }
    }
}

impl<S> Service<Request> for RequireService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let policy = self.policy.clone();
        // Take the service that was polled ready, leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            match policy.check(request.headers()).await {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(error) => Ok(error.into_response()),
            }
        })
    }
}
