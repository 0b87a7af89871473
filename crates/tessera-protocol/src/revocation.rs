//! Access tokens refused before they expire. An access token is a self-contained JWT, so
//! revoking one (RFC 7009), replaying the code it came from (RFC 6749 §4.1.2), or deleting its
//! grant, client or user leaves a row on a deny list that Tessera's own endpoints consult until
//! no token it matches can still be unexpired.
//!
//! A token names the grant it came from in its `jti`: `<family tag>.<random>`, where the tag is
//! a short digest of the refresh-token family (a code's tokens and every rotation after it). The
//! claim stays opaque to clients and APIs, and no claim is added to Auth0's set.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::claims::AccessTokenClaims;
use crate::{ClientId, SecretDigest, Timestamp};

/// The longest access-token lifetime an API may have: Auth0's maximum (30 days). A revocation
/// that reaches beyond one token is kept this long, so every token it matches has expired when
/// it goes.
pub const MAX_ACCESS_TOKEN_LIFETIME: i64 = 2_592_000;

/// Bytes of the family's SHA-256 a `jti` carries: 72 bits, so two families of one deny list
/// share a tag with negligible odds (and a shared tag only ever refuses more).
const FAMILY_TAG_BYTES: usize = 9;

/// What one revocation refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Revoked {
    /// One access token, by `jti` (RFC 7009).
    Token,
    /// Every access token of a refresh-token family: a code's tokens and their rotations.
    Family,
    /// Every token issued to a user up to `revoked_at` (blocked or deleted).
    User,
    /// Every token issued to a client up to `revoked_at` (deleted).
    Client,
    /// Every token issued to a user for one client up to `revoked_at` (the grant deleted).
    Consent,
}

impl Revoked {
    pub const ALL: [Revoked; 5] = [
        Revoked::Token,
        Revoked::Family,
        Revoked::User,
        Revoked::Client,
        Revoked::Consent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Revoked::Token => "token",
            Revoked::Family => "family",
            Revoked::User => "user",
            Revoked::Client => "client",
            Revoked::Consent => "consent",
        }
    }

    pub fn parse(text: &str) -> Option<Revoked> {
        Revoked::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One row of the deny list: tokens of `kind` named by `subject` issued at or before
/// `revoked_at` are refused until `expires_at`, when the last of them has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRevocation {
    pub kind: Revoked,
    pub subject: String,
    pub revoked_at: Timestamp,
    pub expires_at: Timestamp,
}

impl AccessRevocation {
    /// The access token `jti`, until it expires at `exp`.
    pub fn token(jti: &str, exp: Timestamp, now: Timestamp) -> AccessRevocation {
        AccessRevocation {
            kind: Revoked::Token,
            subject: jti.to_owned(),
            revoked_at: now,
            expires_at: exp,
        }
    }

    /// Every access token of the refresh-token family `family_id`.
    pub fn family(family_id: &str, now: Timestamp) -> AccessRevocation {
        AccessRevocation::reaching(Revoked::Family, family_tag(family_id), now)
    }

    pub fn user(user_id: &str, now: Timestamp) -> AccessRevocation {
        AccessRevocation::reaching(Revoked::User, user_id.to_owned(), now)
    }

    pub fn client(client_id: &ClientId, now: Timestamp) -> AccessRevocation {
        AccessRevocation::reaching(Revoked::Client, client_id.as_str().to_owned(), now)
    }

    pub fn consent(user_id: &str, client_id: &ClientId, now: Timestamp) -> AccessRevocation {
        AccessRevocation::reaching(Revoked::Consent, consent_key(user_id, client_id), now)
    }

    fn reaching(kind: Revoked, subject: String, now: Timestamp) -> AccessRevocation {
        AccessRevocation {
            kind,
            subject,
            revoked_at: now,
            expires_at: now.plus(MAX_ACCESS_TOKEN_LIFETIME),
        }
    }
}

/// A client id has no space (client ids are URL-safe), so the pair is unambiguous.
fn consent_key(user_id: &str, client_id: &ClientId) -> String {
    format!("{} {user_id}", client_id.as_str())
}

fn family_tag(family_id: &str) -> String {
    let digest = SecretDigest::of(family_id);
    URL_SAFE_NO_PAD.encode(&digest.as_bytes()[..FAMILY_TAG_BYTES])
}

/// The `jti` of an access token: `random`, prefixed by its family's tag when it has one.
pub fn token_id(family_id: Option<&str>, random: &str) -> String {
    match family_id {
        Some(family_id) => format!("{}.{random}", family_tag(family_id)),
        None => random.to_owned(),
    }
}

/// The family tag a `jti` carries, if any.
fn family_tag_of(jti: &str) -> Option<&str> {
    jti.split_once('.').map(|(tag, _)| tag)
}

/// The revocations in force, as one node holds them.
#[derive(Debug, Default, Clone)]
pub struct RevocationList {
    tokens: HashSet<String>,
    families: HashSet<String>,
    users: HashMap<String, Timestamp>,
    clients: HashMap<String, Timestamp>,
    consents: HashMap<String, Timestamp>,
}

impl RevocationList {
    pub fn of(revocations: impl IntoIterator<Item = AccessRevocation>) -> RevocationList {
        let mut list = RevocationList::default();
        for revocation in revocations {
            list.add(revocation);
        }
        list
    }

    pub fn add(&mut self, revocation: AccessRevocation) {
        let AccessRevocation {
            kind,
            subject,
            revoked_at,
            ..
        } = revocation;
        let latest = |map: &mut HashMap<String, Timestamp>| {
            let at = map.entry(subject.clone()).or_insert(revoked_at);
            *at = (*at).max(revoked_at);
        };
        match kind {
            Revoked::Token => {
                self.tokens.insert(subject);
            }
            Revoked::Family => {
                self.families.insert(subject);
            }
            Revoked::User => latest(&mut self.users),
            Revoked::Client => latest(&mut self.clients),
            Revoked::Consent => latest(&mut self.consents),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
            && self.families.is_empty()
            && self.users.is_empty()
            && self.clients.is_empty()
            && self.consents.is_empty()
    }

    /// Whether a revocation refuses the access token with `claims`.
    pub fn refuses(&self, claims: &AccessTokenClaims) -> bool {
        if self.is_empty() {
            return false;
        }
        let issued_by_then = |at: Option<&Timestamp>| at.is_some_and(|at| claims.iat <= *at);
        self.tokens.contains(&claims.jti)
            || family_tag_of(&claims.jti).is_some_and(|tag| self.families.contains(tag))
            || issued_by_then(self.users.get(&claims.sub))
            || issued_by_then(self.clients.get(claims.client_id.as_str()))
            || (!self.consents.is_empty()
                && issued_by_then(
                    self.consents
                        .get(&consent_key(&claims.sub, &claims.client_id)),
                ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::claims::Audience;
    use crate::ScopeSet;

    const NOW: Timestamp = Timestamp(1_700_000_000);

    fn claims(jti: &str, sub: &str, client: &str, iat: Timestamp) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://tessera.test/".into(),
            sub: sub.into(),
            aud: Audience::One("https://api.test".into()),
            client_id: ClientId(client.into()),
            azp: ClientId(client.into()),
            scope: ScopeSet::parse("read").unwrap(),
            iat,
            exp: iat.plus(3600),
            jti: jti.into(),
            permissions: None,
            cnf: None,
        }
    }

    #[test]
    fn an_empty_list_refuses_nothing() {
        let list = RevocationList::default();
        assert!(!list.refuses(&claims("j", "u", "c", NOW)));
    }

    #[test]
    fn a_revoked_jti_refuses_that_token_only() {
        let list = RevocationList::of([AccessRevocation::token("j1", NOW.plus(60), NOW)]);
        assert!(list.refuses(&claims("j1", "u", "c", NOW)));
        assert!(!list.refuses(&claims("j2", "u", "c", NOW)));
    }

    #[test]
    fn a_revoked_family_refuses_every_token_minted_in_it_and_no_other() {
        let first = token_id(Some("family-a"), "r1");
        let rotated = token_id(Some("family-a"), "r2");
        let other = token_id(Some("family-b"), "r3");
        assert_ne!(first, rotated);
        let list = RevocationList::of([AccessRevocation::family("family-a", NOW)]);
        assert!(list.refuses(&claims(&first, "u", "c", NOW)));
        assert!(list.refuses(&claims(&rotated, "u", "c", NOW.plus(500))));
        assert!(!list.refuses(&claims(&other, "u", "c", NOW)));
        assert!(!list.refuses(&claims("r4", "u", "c", NOW)));
    }

    #[test]
    fn a_token_without_a_family_has_a_plain_random_jti() {
        assert_eq!(token_id(None, "abc"), "abc");
        assert_eq!(family_tag_of("abc"), None);
    }

    #[test]
    fn user_client_and_consent_revocations_refuse_tokens_issued_until_then() {
        let later = NOW.plus(1);
        for (revocation, sub, client) in [
            (AccessRevocation::user("u1", NOW), "u1", "other"),
            (
                AccessRevocation::client(&ClientId("c1".into()), NOW),
                "other",
                "c1",
            ),
            (
                AccessRevocation::consent("u1", &ClientId("c1".into()), NOW),
                "u1",
                "c1",
            ),
        ] {
            let list = RevocationList::of([revocation]);
            assert!(list.refuses(&claims("j", sub, client, NOW.plus(-10))));
            assert!(list.refuses(&claims("j", sub, client, NOW)));
            assert!(
                !list.refuses(&claims("j", sub, client, later)),
                "a token issued after the revocation is good"
            );
        }
    }

    #[test]
    fn a_consent_revocation_leaves_the_users_other_clients_alone() {
        let list =
            RevocationList::of([AccessRevocation::consent("u1", &ClientId("c1".into()), NOW)]);
        assert!(!list.refuses(&claims("j", "u1", "c2", NOW)));
        assert!(!list.refuses(&claims("j", "u2", "c1", NOW)));
    }

    #[test]
    fn the_later_of_two_revocations_of_one_user_counts() {
        let list = RevocationList::of([
            AccessRevocation::user("u1", NOW.plus(100)),
            AccessRevocation::user("u1", NOW),
        ]);
        assert!(list.refuses(&claims("j", "u1", "c", NOW.plus(50))));
    }

    #[test]
    fn reaching_revocations_outlive_every_token_they_match() {
        let revocation = AccessRevocation::user("u1", NOW);
        assert_eq!(revocation.expires_at, NOW.plus(MAX_ACCESS_TOKEN_LIFETIME));
        for kind in Revoked::ALL {
            assert_eq!(Revoked::parse(kind.as_str()), Some(kind));
        }
    }
}
