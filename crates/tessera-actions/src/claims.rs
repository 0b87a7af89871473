//! Auth0's rules for custom claims, from its pages "Create Custom Claims"
//! (auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims) and "Migrate Custom
//! Claims" (auth0.com/docs/troubleshoot/product-lifecycle/past-migrations/custom-claims-migration):
//!
//! - "OpenID standard claims or claims used internally by Auth0 cannot be customized or
//!   modified": the names in [`RESTRICTED_CLAIMS`], and names in Auth0's own namespaces
//!   (`auth0.com`, `webtask.io`, `webtask.run`).
//! - "In case of collisions, the transaction won't fail, but your custom claim won't be added
//!   to your tokens": a restricted claim is left out (with a log line), the call does not throw.
//! - Since 28 July 2022 "Auth0 will allow private, non-namespaced custom claims": any other
//!   name is accepted as it is.
//! - "Custom claims payload is set to a maximum of 100KB ... otherwise the authentication
//!   transaction fails with an error": [`MAX_CUSTOM_CLAIMS_BYTES`].

/// Claim names Auth0 reserves: "The following claims are subject to Auth0's restrictions"
/// (Create Custom Claims, General restrictions), as listed there, plus `scope`: Auth0's list
/// leaves it out, but it is the access token's granted scope, which an Action changes only
/// through `api.accessToken.addScope`/`removeScope`.
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
    "sip_cseq_num",
    "sip_date",
    "sip_from_tag",
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

/// The largest custom-claims payload of one token, as JSON: Auth0's 100 KB.
pub const MAX_CUSTOM_CLAIMS_BYTES: usize = 100 * 1024;

/// Hosts whose namespaces Auth0 keeps for itself.
const RESERVED_NAMESPACES: &[&str] = &["auth0.com", "webtask.io", "webtask.run"];

/// Whether Auth0 refuses `name` as a custom claim: a restricted name, or a name in one of
/// Auth0's namespaces ("auth0.com, webtask.io and webtask.run are Auth0 domains and cannot be
/// used as a namespace identifier"), with or without a scheme, in any case.
pub fn is_restricted_claim(name: &str) -> bool {
    if RESTRICTED_CLAIMS.contains(&name) {
        return true;
    }
    let name = name.to_ascii_lowercase();
    let rest = name
        .strip_prefix("https://")
        .or_else(|| name.strip_prefix("http://"))
        .unwrap_or(&name);
    let Some(host) = rest.split(['/', ':']).next() else {
        return false;
    };
    if host.len() == rest.len() && !name.contains("://") {
        // A plain name such as `auth0.com_plan` has no namespace.
        return false;
    }
    RESERVED_NAMESPACES.iter().any(|reserved| {
        host == *reserved
            || host
                .strip_suffix(reserved)
                .is_some_and(|sub| sub.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_and_auth0_namespaced_names_are_restricted() {
        for name in [
            "sub",
            "sip_cseq_num",
            "x5t#S256",
            "aud",
            "permissions",
            "scope",
            "https://auth0.com/x",
            "https://tenant.auth0.com/roles",
            "http://x.webtask.io/a",
            "HTTPS://Tenant.Auth0.COM/x",
            "tenant.webtask.run/claim",
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
            "auth0.com",
            "https://my-app.example.com/auth0.com",
        ] {
            assert!(!is_restricted_claim(name), "{name}");
        }
    }
}
