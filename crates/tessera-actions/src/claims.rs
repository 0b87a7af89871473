//! Auth0's rules for custom claims ("Create Custom Claims"): a list of restricted names no
//! Action may set, and Auth0's own namespaces. Since 2022 other names need no namespace.

/// Claim names Auth0 reserves (its custom-claims documentation's restricted list).
pub const RESTRICTED_CLAIMS: &[&str] = &[
    "acr",
    "act",
    "active",
    "amr",
    "at_hash",
    "ath",
    "attest",
    "aud",
    "auth_time",
    "authorization_details",
    "azp",
    "c_hash",
    "client_id",
    "cnf",
    "cty",
    "dest",
    "entitlements",
    "events",
    "exp",
    "groups",
    "gty",
    "htm",
    "htu",
    "iat",
    "internalService",
    "iss",
    "jcard",
    "jku",
    "jti",
    "jwe",
    "jwk",
    "kid",
    "may_act",
    "mky",
    "nbf",
    "nonce",
    "object_id",
    "org_id",
    "org_name",
    "orig",
    "origid",
    "permissions",
    "roles",
    "rph",
    "s_hash",
    "scope",
    "sid",
    "sip_callid",
    "sip_cseqnum",
    "sip_date",
    "sip_from",
    "sip_via_branch",
    "sub",
    "sub_jwk",
    "toe",
    "txn",
    "typ",
    "uuid",
    "vot",
    "vtm",
    "x5t#S256",
];

/// Hosts whose namespaces Auth0 keeps for itself.
const RESERVED_NAMESPACES: &[&str] = &["auth0.com", "webtask.io", "webtask.run"];

/// Whether Auth0 refuses `name` as a custom claim: a restricted name, or a URL-style name in
/// one of Auth0's namespaces.
pub fn is_restricted_claim(name: &str) -> bool {
    if RESTRICTED_CLAIMS.contains(&name) {
        return true;
    }
    let host = name
        .strip_prefix("https://")
        .or_else(|| name.strip_prefix("http://"))
        .map(|rest| rest.split(['/', ':']).next().unwrap_or(rest));
    host.is_some_and(|host| {
        RESERVED_NAMESPACES
            .iter()
            .any(|reserved| host == *reserved || host.ends_with(&format!(".{reserved}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_and_auth0_namespaced_names_are_restricted() {
        for name in [
            "sub",
            "aud",
            "permissions",
            "scope",
            "https://auth0.com/x",
            "https://tenant.auth0.com/roles",
            "http://x.webtask.io/a",
        ] {
            assert!(is_restricted_claim(name), "{name}");
        }
    }

    #[test]
    fn namespaced_and_plain_custom_names_are_allowed() {
        for name in [
            "https://my-app.example.com/roles",
            "email",
            "favorite_color",
            "https://notauth0.com/x",
        ] {
            assert!(!is_restricted_claim(name), "{name}");
        }
    }
}
