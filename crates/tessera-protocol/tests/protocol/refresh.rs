use crate::common::{client_id, scopes, API_ID};
use tessera_protocol::error::TokenError;
use tessera_protocol::refresh::{check_refresh, RefreshGrant, RefreshUse};
use tessera_protocol::{
    ClientId, RefreshTokenPolicy, Rotation, ScopeSet, Timestamp, TokenErrorCode,
};

/// When the family's first token was issued.
const CREATED: Timestamp = Timestamp(1_700_000_000);
/// When this token was issued or last used.
const LAST_USED: Timestamp = Timestamp(1_700_010_000);
/// A moment when the token is fresh under every policy below.
const NOW: Timestamp = Timestamp(1_700_010_100);

const LIFETIME: i64 = 100_000;
const IDLE: i64 = 5_000;

fn assert_code(err: &TokenError, code: TokenErrorCode, wire: &str) {
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.code.as_str(), wire);
}

fn grant() -> RefreshGrant {
    RefreshGrant {
        client_id: client_id(),
        user_id: "user|1".to_owned(),
        scope: scopes("openid offline_access read:items write:items"),
        audience: Some(API_ID.to_owned()),
        auth_time: CREATED,
        family_id: "family-1".to_owned(),
        family_created_at: CREATED,
        last_used_at: LAST_USED,
        rotated_at: None,
        revoked: false,
        sid: Some("sid-1".to_owned()),
        expires_at: None,
        dpop_jkt: None,
    }
}

fn policy(rotation_type: Rotation, leeway: i64) -> RefreshTokenPolicy {
    RefreshTokenPolicy {
        rotation_type,
        leeway,
        token_lifetime: Some(LIFETIME),
        idle_token_lifetime: Some(IDLE),
    }
}

fn non_rotating() -> RefreshTokenPolicy {
    policy(Rotation::NonRotating, 0)
}

fn rotating(leeway: i64) -> RefreshTokenPolicy {
    policy(Rotation::Rotating, leeway)
}

fn issue(scope: ScopeSet, rotate: bool) -> Result<RefreshUse, TokenError> {
    Ok(RefreshUse::Issue { scope, rotate })
}

fn rotated_at(at: Timestamp) -> RefreshGrant {
    RefreshGrant {
        rotated_at: Some(at),
        ..grant()
    }
}

#[test]
fn check_refresh_rotating_policy_issues_with_rotation() {
    let g = grant();
    assert_eq!(
        check_refresh(&g, &client_id(), None, &rotating(0), NOW),
        issue(g.scope.clone(), true)
    );
}

#[test]
fn check_refresh_non_rotating_policy_issues_without_rotation() {
    let g = grant();
    assert_eq!(
        check_refresh(&g, &client_id(), None, &non_rotating(), NOW),
        issue(g.scope.clone(), false)
    );
    assert_eq!(
        check_refresh(&g, &client_id(), None, &RefreshTokenPolicy::default(), NOW),
        issue(g.scope.clone(), false)
    );
}

#[test]
fn check_refresh_other_client_is_invalid_grant() {
    let err = check_refresh(
        &grant(),
        &ClientId("app2".to_owned()),
        None,
        &non_rotating(),
        NOW,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(
        err.description,
        "the refresh token was issued to another client"
    );
}

#[test]
fn check_refresh_revoked_is_invalid_grant() {
    let revoked = RefreshGrant {
        revoked: true,
        ..grant()
    };
    for policy in [non_rotating(), rotating(30)] {
        let err = check_refresh(&revoked, &client_id(), None, &policy, NOW).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(err.description, "the refresh token has been revoked");
    }
}

/// The absolute lifetime runs from the family's creation: once
/// `family_created_at + token_lifetime <= now`, every token of the family is expired, however
/// recently it was used.
#[test]
fn check_refresh_absolute_lifetime_exceeded_is_invalid_grant() {
    let end = CREATED.plus(LIFETIME);
    for now in [end, end.plus(1), end.plus(1_000_000)] {
        // Recently used, so the idle lifetime is not what expires it.
        let g = RefreshGrant {
            last_used_at: now.plus(-1),
            ..grant()
        };
        let err = check_refresh(&g, &client_id(), None, &non_rotating(), now).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(err.description, "the refresh token has expired");
    }
    let just_before = end.plus(-1);
    let g = RefreshGrant {
        last_used_at: just_before.plus(-1),
        ..grant()
    };
    assert!(check_refresh(&g, &client_id(), None, &non_rotating(), just_before).is_ok());
}

#[test]
fn check_refresh_without_absolute_lifetime_never_expires() {
    let unlimited = RefreshTokenPolicy {
        token_lifetime: None,
        ..non_rotating()
    };
    let far = Timestamp(i64::MAX - 10);
    let g = RefreshGrant {
        last_used_at: far.plus(-1),
        ..grant()
    };
    assert!(check_refresh(&g, &client_id(), None, &unlimited, far).is_ok());
}

/// The inactivity lifetime runs from the token's last use, not from the family's creation.
#[test]
fn check_refresh_idle_lifetime_runs_from_last_used_at() {
    let idle_end = LAST_USED.plus(IDLE);
    // Well past `family_created_at + idle`, yet used recently: still valid.
    assert!(CREATED.plus(IDLE) < NOW);
    assert!(check_refresh(&grant(), &client_id(), None, &non_rotating(), NOW).is_ok());
    assert!(check_refresh(
        &grant(),
        &client_id(),
        None,
        &non_rotating(),
        idle_end.plus(-1)
    )
    .is_ok());
    for now in [idle_end, idle_end.plus(1)] {
        let err = check_refresh(&grant(), &client_id(), None, &non_rotating(), now).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(
            err.description,
            "the refresh token has expired after a period of inactivity"
        );
    }
}

#[test]
fn check_refresh_without_idle_lifetime_never_expires_for_inactivity() {
    let no_idle = RefreshTokenPolicy {
        idle_token_lifetime: None,
        ..non_rotating()
    };
    let later = LAST_USED.plus(IDLE * 10);
    assert!(later < CREATED.plus(LIFETIME));
    assert!(check_refresh(&grant(), &client_id(), None, &no_idle, later).is_ok());
}

#[test]
fn check_refresh_rotated_token_used_within_leeway_is_issued() {
    let rotation = NOW.plus(-30);
    let g = rotated_at(rotation);
    for now in [rotation, rotation.plus(1), rotation.plus(30)] {
        assert_eq!(
            check_refresh(&g, &client_id(), None, &rotating(30), now),
            issue(g.scope.clone(), true),
            "{} s after rotation",
            now.seconds_since(rotation)
        );
    }
}

#[test]
fn check_refresh_rotated_token_used_after_leeway_is_reuse() {
    let rotation = NOW.plus(-100);
    let g = rotated_at(rotation);
    for now in [rotation.plus(31), rotation.plus(100)] {
        assert_eq!(
            check_refresh(&g, &client_id(), None, &rotating(30), now),
            Ok(RefreshUse::Reuse),
            "{} s after rotation",
            now.seconds_since(rotation)
        );
    }
    assert_eq!(
        check_refresh(&g, &client_id(), None, &rotating(0), NOW),
        Ok(RefreshUse::Reuse)
    );
}

/// With a leeway of 0 (Auth0's default) no reuse of a rotated token is tolerated at all: a
/// rotated token presented again in the same second as its rotation is reuse, and must revoke
/// the family (RFC 9700 §4.14.2), not get a sibling token.
#[test]
fn check_refresh_rotated_token_reused_in_the_same_second_without_leeway_is_reuse() {
    let g = rotated_at(NOW);
    assert_eq!(
        check_refresh(&g, &client_id(), None, &rotating(0), NOW),
        Ok(RefreshUse::Reuse)
    );
}

#[test]
fn check_refresh_revoked_rotated_token_is_invalid_grant_not_reuse() {
    let revoked = RefreshGrant {
        revoked: true,
        ..rotated_at(NOW.plus(-100))
    };
    let err = check_refresh(&revoked, &client_id(), None, &rotating(0), NOW).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(err.description, "the refresh token has been revoked");
}

#[test]
fn check_refresh_narrowing_scope_is_ok() {
    let requested = scopes("read:items openid");
    assert_eq!(
        check_refresh(&grant(), &client_id(), Some(&requested), &rotating(0), NOW),
        issue(requested.clone(), true)
    );
}

#[test]
fn check_refresh_same_scope_is_ok() {
    let g = grant();
    assert_eq!(
        check_refresh(&g, &client_id(), Some(&g.scope), &non_rotating(), NOW),
        issue(g.scope.clone(), false)
    );
}

#[test]
fn check_refresh_widening_scope_is_invalid_scope() {
    let requested = scopes("read:items delete:items");
    let err = check_refresh(
        &grant(),
        &client_id(),
        Some(&requested),
        &non_rotating(),
        NOW,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidScope, "invalid_scope");
    assert_eq!(
        err.description,
        "the requested scope exceeds the scope originally granted"
    );
}

#[test]
fn check_refresh_without_requested_scope_keeps_the_original() {
    let g = grant();
    assert_eq!(
        check_refresh(&g, &client_id(), None, &non_rotating(), NOW),
        issue(g.scope.clone(), false)
    );
}

#[test]
fn a_refresh_token_expires_at_the_earlier_of_its_two_lifetimes() {
    let policy = |absolute, idle| RefreshTokenPolicy {
        token_lifetime: absolute,
        idle_token_lifetime: idle,
        ..RefreshTokenPolicy::default()
    };
    let (family, used) = (Timestamp(1_000), Timestamp(5_000));
    assert_eq!(
        policy(Some(10_000), Some(2_000)).expiry(family, used),
        Some(Timestamp(7_000))
    );
    assert_eq!(
        policy(Some(5_000), Some(2_000)).expiry(family, used),
        Some(Timestamp(6_000))
    );
    assert_eq!(
        policy(None, Some(2_000)).expiry(family, used),
        Some(Timestamp(7_000))
    );
    assert_eq!(
        policy(Some(5_000), None).expiry(family, used),
        Some(Timestamp(6_000))
    );
    assert_eq!(policy(None, None).expiry(family, used), None);
}
