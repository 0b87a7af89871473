//! Auth0's role-based access control at issuance: for an API with `enforce_policies`, a user
//! gets only the requested scopes they hold as permissions (through roles or directly), and an
//! `_authz` token dialect adds every permission they hold as the `permissions` claim. Read
//! through the catalog, so a change of roles counts from the next token on this node and
//! within the cache TTL on the others.

use std::borrow::Cow;
use std::sync::Arc;

use tessera_protocol::{ResourceServer, ScopeSet};

use crate::error::InternalError;
use crate::state::AppState;

/// What a user may have of an API.
#[derive(Debug, Clone)]
pub struct Permitted<'a> {
    /// The requested scopes themselves when the API has no RBAC: no copy on the token path.
    pub scope: Cow<'a, ScopeSet>,
    /// The `permissions` claim, when the API's dialect carries it.
    pub permissions: Option<Arc<[String]>>,
}

/// The part of `requested` that `user_id` may have of `api` (all of it without RBAC).
pub async fn permitted<'a>(
    state: &AppState,
    api: Option<&ResourceServer>,
    user_id: &str,
    requested: &'a ScopeSet,
) -> Result<Permitted<'a>, InternalError> {
    let Some(api) = api.filter(|api| api.rbac.enforce_policies) else {
        return Ok(Permitted {
            scope: Cow::Borrowed(requested),
            permissions: None,
        });
    };
    let held = state.catalog.permissions(user_id, api).await?;
    Ok(Permitted {
        scope: Cow::Owned(api.permitted(requested, &held)),
        permissions: api.rbac.adds_permissions().then_some(held),
    })
}
