//! Consent: what a user has granted a client for an API, and when to ask again.

use crate::scope::OPENID;
use crate::ScopeSet;

/// The scopes a consent covers: everything requested except `openid`, which only marks the
/// request as authentication.
pub fn consentable(requested: &ScopeSet) -> ScopeSet {
    requested.filter(|s| s.as_str() != OPENID)
}

/// Whether the user must be asked: true unless every consentable requested scope is already
/// granted. Asking for a scope not granted yet asks again (for the whole new set). A request
/// for sign-in alone (`openid`) has nothing to consent to.
pub fn consent_needed(granted: Option<&ScopeSet>, requested: &ScopeSet) -> bool {
    let requested = consentable(requested);
    match granted {
        None => !requested.is_empty(),
        Some(granted) => !requested.is_subset_of(granted),
    }
}

/// The scopes stored after the user allows: the earlier grant widened by this request.
pub fn grant_after_allow(granted: Option<&ScopeSet>, requested: &ScopeSet) -> ScopeSet {
    let requested = consentable(requested);
    match granted {
        Some(granted) => granted.union(&requested),
        None => requested,
    }
}
