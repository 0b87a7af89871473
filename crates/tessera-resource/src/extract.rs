//! axum integration: [`Claims`] as an extractor, and [`RequireScope`] and [`RequirePermission`]
//! as route layers, all through [`Validator::validate_request`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{FromRef, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::Rejection;
use crate::{BearerError, Claims, HttpRequest, Validator};

/// The URI the client sent the request to: a nested router sees its path without the prefix
/// it is nested under, and a DPoP proof names the whole path.
fn original_uri<'a>(uri: &'a Uri, extensions: &'a Extensions) -> &'a Uri {
    extensions
        .get::<OriginalUri>()
        .map_or(uri, |original| &original.0)
}

/// Validates the credentials of a request from its method, URI and headers.
async fn validate(
    validator: &Validator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Claims, Rejection> {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.to_str().is_err())
    {
        let error = BearerError::InvalidRequest("the Authorization header is not ASCII".into());
        return Err(Rejection::new(error, None, validator.dpop_policy()));
    }
    // A proof that is not visible ASCII is no JWT: it is refused as one.
    let dpop: Vec<&str> = headers
        .get_all("dpop")
        .iter()
        .map(|value| value.to_str().unwrap_or(""))
        .collect();
    let target = uri.to_string();
    let request = HttpRequest {
        method: method.as_str(),
        target: &target,
        host: text(header::HOST),
        authorization: text(header::AUTHORIZATION),
        dpop: &dpop,
    };
    validator.validate_request(&request).await
}

impl<S> FromRequestParts<S> for Claims
where
    Validator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(claims) = parts.extensions.get::<Claims>() {
            return Ok(claims.clone());
        }
        let validator = Validator::from_ref(state);
        let uri = original_uri(&parts.uri, &parts.extensions);
        validate(&validator, &parts.method, uri, &parts.headers).await
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
    /// Whether the validated `claims` hold everything needed.
    fn check(&self, claims: Claims) -> Result<Claims, Rejection> {
        let missing = self.needed.iter().find(|needed| match self.held {
            Held::Scopes => !claims.has_scope(needed),
            Held::Permissions => !claims.has_permission(needed),
        });
        let error = match (missing, self.held) {
            (None, _) => return Ok(claims),
            (Some(scope), Held::Scopes) => BearerError::InsufficientScope(scope.clone()),
            (Some(permission), Held::Permissions) => {
                BearerError::InsufficientPermission(permission.clone())
            }
        };
        Err(self.validator.refuse(&claims, error))
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
            let validated = match request.extensions().get::<Claims>() {
                // An outer layer validated this request already: its DPoP proof is spent, and
                // checking it again would take it for a replay.
                Some(claims) => Ok(claims.clone()),
                None => {
                    let uri = original_uri(request.uri(), request.extensions());
                    validate(&policy.validator, request.method(), uri, request.headers()).await
                }
            };
            match validated.and_then(|claims| policy.check(claims)) {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(error) => Ok(error.into_response()),
            }
        })
    }
}
