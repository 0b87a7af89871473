//! axum integration: [`Claims`] as an extractor, and [`RequireScope`] as a route layer.

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

/// A route layer that lets a request through only with a valid token carrying every one of
/// the given scopes; the [`Claims`] are then available to the handler.
#[derive(Clone, Debug)]
pub struct RequireScope {
    validator: Validator,
    scopes: Vec<String>,
}

impl RequireScope {
    pub fn new<I, T>(validator: Validator, scopes: I) -> RequireScope
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        RequireScope {
            validator,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }
}

impl<S> Layer<S> for RequireScope {
    type Service = RequireScopeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopeService {
            inner,
            policy: self.clone(),
        }
    }
}

/// The service [`RequireScope`] wraps around a route.
#[derive(Clone, Debug)]
pub struct RequireScopeService<S> {
    inner: S,
    policy: RequireScope,
}

impl RequireScope {
    async fn check(&self, headers: &HeaderMap) -> Result<Claims, BearerError> {
        let claims = self.validator.validate(bearer(headers)?).await?;
        match self.scopes.iter().find(|scope| !claims.has_scope(scope)) {
            Some(missing) => Err(BearerError::InsufficientScope(missing.clone())),
            None => Ok(claims),
        }
    }
}

impl<S> Service<Request> for RequireScopeService<S>
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
