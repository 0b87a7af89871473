// The contract cases, included by contract.rs once per backend (`store()` differs).

#[tokio::test]
async fn client_round_trips_and_upsert_replaces() {
    let (store, _dir) = store().await;
    let mut app = client("c1");
    store.upsert_client(&app, NOW).await.unwrap();
    assert_eq!(
        store.client(&app.client_id).await.unwrap(),
        Some(app.clone())
    );
    app.name = "Renamed".into();
    app.grant_types.push(GrantType::RefreshToken);
    app.require_proof_of_possession = true;
    app.logo_uri = Some("https://cdn.example.com/logo.png".into());
    store.upsert_client(&app, NOW).await.unwrap();
    assert_eq!(store.client(&app.client_id).await.unwrap(), Some(app.clone()));
    app.logo_uri = None;
    store.upsert_client(&app, NOW).await.unwrap();
    assert_eq!(
        store.client(&app.client_id).await.unwrap(),
        Some(app),
        "an upsert removes the logo"
    );
    assert_eq!(
        store.client(&ClientId("missing".into())).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn api_round_trips() {
    let (store, _dir) = store().await;
    let api = ResourceServer {
        id: "5f1a2b3c4d5e6f708192a3b4".into(),
        identifier: "appointments:api".into(),
        name: "Appointments".into(),
        scopes: vec![ApiScope {
            value: Scope::parse("appointments").unwrap(),
            description: "Manage".into(),
        }],
        allow_offline_access: true,
        token_lifetime: 600,
        signing_alg: "RS256".into(),
        skip_consent_for_verifiable_first_party_clients: false,
        rbac: Rbac {
            enforce_policies: true,
            token_dialect: TokenDialect::Rfc9068ProfileAuthz,
        },
        proof_of_possession: Some(ProofOfPossession { mechanism: PopMechanism::Dpop, required: true }),
    };
    store.upsert_api(&api, NOW).await.unwrap();
    assert_eq!(store.api("appointments:api").await.unwrap(), Some(api.clone()));
    assert_eq!(store.api("other").await.unwrap(), None);
    for key in ["5f1a2b3c4d5e6f708192a3b4", "appointments:api"] {
        assert_eq!(store.api_by_id(key).await.unwrap(), Some(api.clone()), "{key}");
    }
    assert_eq!(store.api_by_id("other").await.unwrap(), None);
    let restarted = ResourceServer {
        id: "0123456789abcdef01234567".into(),
        name: "Appointments, renamed".into(),
        proof_of_possession: None,
        ..api.clone()
    };
    store.upsert_api(&restarted, NOW.plus(1)).await.unwrap();
    let kept = store.api("appointments:api").await.unwrap().unwrap();
    assert_eq!(kept.id, api.id, "an upsert keeps the id the API was created with");
    assert_eq!(kept.name, "Appointments, renamed");
    assert_eq!(kept.proof_of_possession, None, "an upsert clears the setting");
    let allowed = ResourceServer {
        id: "0123456789abcdef01234568".into(),
        identifier: "allowed:api".into(),
        proof_of_possession: Some(ProofOfPossession { mechanism: PopMechanism::Dpop, required: false }),
        ..api.clone()
    };
    store.create_api(&allowed, NOW).await.unwrap();
    assert_eq!(store.api("allowed:api").await.unwrap(), Some(allowed));
}

#[tokio::test]
async fn user_upsert_keeps_the_first_id_and_finds_by_username_or_email() {
    let (store, _dir) = store().await;
    let first = store
        .upsert_user(&new_user("jane", "auth0|1"), NOW)
        .await
        .unwrap();
    let mut changed = new_user("jane", "auth0|2");
    changed.name = "Jane D".into();
    let second = store.upsert_user(&changed, NOW.plus(5)).await.unwrap();
    assert_eq!(first.user_id, "auth0|1");
    assert_eq!(second.user_id, "auth0|1");
    assert_eq!(second.name, "Jane D");
    assert_eq!(second.updated_at, NOW.plus(5));
    assert_eq!(
        store.user_by_login("jane").await.unwrap().unwrap().user_id,
        "auth0|1"
    );
    assert_eq!(
        store
            .user_by_login("jane@example.com")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        "auth0|1"
    );
    assert!(store.user_by_login("nobody").await.unwrap().is_none());
    assert!(store.user("auth0|1").await.unwrap().is_some());
}

#[tokio::test]
async fn session_is_found_until_it_expires() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let digest = SecretDigest::of("cookie");
    let session = Session {
        amr: Amr::password().and(AuthMethod::Otp),
        sid: "sid-1".into(),
        user_id: "auth0|u1".into(),
        auth_time: NOW,
        expires_at: NOW.plus(100),
    };
    store.create_session(&digest, &session, NOW).await.unwrap();
    assert_eq!(
        store.session(&digest, NOW.plus(99)).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.session(&digest, NOW.plus(100)).await.unwrap(), None);
    assert_eq!(
        store
            .session(&SecretDigest::of("other"), NOW)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn pending_authorization_records_login_and_finishes_once() {
    let (store, _dir) = store().await;
    let record = pending("p1");
    store.create_pending(&record, NOW).await.unwrap();
    assert_eq!(
        store.pending("p1", NOW).await.unwrap(),
        Some(record.clone())
    );
    // The password passed, a second factor owed; then passed.
    let first = FirstFactor {
        user_id: "auth0|u1".into(),
        amr: Amr::password(),
    };
    store.record_first_factor("p1", &first).await.unwrap();
    let loaded = store.pending("p1", NOW).await.unwrap().unwrap();
    assert_eq!((loaded.first_factor, loaded.login), (Some(first), None));
    let login = Login {
        amr: Amr::password().and(AuthMethod::Otp),
        user_id: "auth0|u1".into(),
        auth_time: NOW.plus(3),
        sid: "sid-9".into(),
    };
    store.record_login("p1", &login).await.unwrap();
    let loaded = store.pending("p1", NOW).await.unwrap().unwrap();
    assert_eq!((loaded.first_factor, loaded.login), (None, Some(login)));
    assert!(store.finish_pending("p1").await.unwrap());
    assert!(!store.finish_pending("p1").await.unwrap());
    assert_eq!(store.pending("p1", NOW).await.unwrap(), None);
}

#[tokio::test]
async fn pending_authorization_expires() {
    let (store, _dir) = store().await;
    store.create_pending(&pending("p2"), NOW).await.unwrap();
    assert!(store.pending("p2", NOW.plus(600)).await.unwrap().is_none());
}

#[tokio::test]
async fn consent_is_per_user_client_and_audience() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let c = ClientId("c".into());
    store
        .save_consent("auth0|u1", &c, Some("api"), &scopes("read"), "g1", NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consent("auth0|u1", &c, Some("api")).await.unwrap(),
        Some(scopes("read"))
    );
    assert_eq!(store.consent("auth0|u1", &c, None).await.unwrap(), None);
    assert_eq!(
        store
            .consent("auth0|u1", &ClientId("d".into()), Some("api"))
            .await
            .unwrap(),
        None
    );
    store
        .save_consent("auth0|u1", &c, Some("api"), &scopes("read write"), "g2", NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consent("auth0|u1", &c, Some("api")).await.unwrap(),
        Some(scopes("read write"))
    );
}

#[tokio::test]
async fn code_is_consumed_once() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("code");
    store
        .insert_code(&digest, &code_grant("auth0|u1"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.consume_code(&digest, NOW).await.unwrap(),
        CodeRedemption::Redeemed(Box::new(code_grant("auth0|u1")))
    );
    assert_eq!(
        store.consume_code(&digest, NOW).await.unwrap(),
        CodeRedemption::AlreadyUsed
    );
    assert_eq!(
        store
            .consume_code(&SecretDigest::of("unknown"), NOW)
            .await
            .unwrap(),
        CodeRedemption::Unknown
    );
}

#[tokio::test]
async fn racing_redemptions_of_one_code_have_exactly_one_winner() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("raced");
    store
        .insert_code(&digest, &code_grant("auth0|u1"), NOW)
        .await
        .unwrap();
    let attempts = (0..32).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.consume_code(&digest, NOW).await.unwrap() })
    });
    let mut winners = 0;
    for attempt in attempts {
        if matches!(attempt.await.unwrap(), CodeRedemption::Redeemed(_)) {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn refresh_token_round_trips() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("refresh");
    store
        .insert_refresh_token(&digest, &refresh_grant("f1"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.refresh_token(&digest).await.unwrap(),
        Some(refresh_grant("f1"))
    );
    assert_eq!(
        store.refresh_token(&SecretDigest::of("x")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn rotation_marks_the_old_token_and_stores_the_successor_once() {
    let (store, _dir) = store().await;
    let (old, new, other) = (
        SecretDigest::of("old"),
        SecretDigest::of("new"),
        SecretDigest::of("other"),
    );
    store
        .insert_refresh_token(&old, &refresh_grant("f1"), NOW)
        .await
        .unwrap();
    let later = NOW.plus(10);
    assert!(store
        .rotate_refresh_token(&old, &new, &refresh_grant("f1"), later)
        .await
        .unwrap());
    assert!(!store
        .rotate_refresh_token(&old, &other, &refresh_grant("f1"), later)
        .await
        .unwrap());
    let rotated = store.refresh_token(&old).await.unwrap().unwrap();
    assert_eq!(rotated.rotated_at, Some(later));
    assert!(store.refresh_token(&new).await.unwrap().is_some());
    assert!(
        store.refresh_token(&other).await.unwrap().is_none(),
        "a lost race stores nothing"
    );
}

#[tokio::test]
async fn racing_rotations_of_one_refresh_token_have_exactly_one_winner() {
    let (store, _dir) = store().await;
    let old = SecretDigest::of("raced-refresh");
    store
        .insert_refresh_token(&old, &refresh_grant("f1"), NOW)
        .await
        .unwrap();
    let attempts = (0..16).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let new = SecretDigest::of(&format!("successor-{i}"));
            store
                .rotate_refresh_token(&old, &new, &refresh_grant("f1"), NOW)
                .await
                .unwrap()
        })
    });
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn revoking_a_family_revokes_every_token_in_it_and_no_other() {
    let (store, _dir) = store().await;
    for (token, family) in [("a", "f1"), ("b", "f1"), ("c", "f2")] {
        store
            .insert_refresh_token(&SecretDigest::of(token), &refresh_grant(family), NOW)
            .await
            .unwrap();
    }
    assert_eq!(store.revoke_refresh_family("f1", NOW).await.unwrap(), 2);
    assert_eq!(store.revoke_refresh_family("f1", NOW).await.unwrap(), 0);
    assert!(
        store
            .refresh_token(&SecretDigest::of("a"))
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(
        store
            .refresh_token(&SecretDigest::of("b"))
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(
        !store
            .refresh_token(&SecretDigest::of("c"))
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
}

#[tokio::test]
async fn a_device_authorization_is_decided_once_and_finished_once() {
    let (store, _dir) = store().await;
    let device = DeviceAuthorization {
        user_code: "BCDF-GHJK".into(),
        client_id: ClientId("tv".into()),
        scope: ScopeSet::parse("openid offline_access").unwrap(),
        audience: Some("https://api.example.com".into()),
        binding: "binding-1".into(),
        code_verifier: "v".repeat(43),
        decision: Decision::Pending,
        grant: None,
        created_at: NOW,
        expires_at: NOW.plus(900),
        interval: 5,
        last_polled_at: None,
    };
    let digest = SecretDigest::of("device-code");
    store.create_device_authorization(&digest, &device).await.unwrap();
    let taken = store.create_device_authorization(&SecretDigest::of("other"), &device).await;
    assert!(matches!(taken, Err(tessera_store::StoreError::Conflict(_))), "the user code is unique: {taken:?}");
    assert_eq!(store.device_by_code(&digest).await.unwrap(), Some(device.clone()));
    assert_eq!(store.device_by_user_code("BCDF-GHJK").await.unwrap(), Some(device.clone()));
    store.record_device_poll(&digest, NOW.plus(1), 10).await.unwrap();
    let polled = store.device_by_binding("binding-1").await.unwrap().unwrap();
    assert_eq!((polled.last_polled_at, polled.interval), (Some(NOW.plus(1)), 10));
    assert!(!store.finish_device(&digest).await.unwrap(), "a pending one is not finished");
    let grant = code_grant("auth0|u1");
    assert!(store.decide_device("binding-1", Decision::Approved, Some(&grant)).await.unwrap());
    assert!(!store.decide_device("binding-1", Decision::Denied, None).await.unwrap(), "decided once");
    let decided = store.device_by_code(&digest).await.unwrap().unwrap();
    assert_eq!((decided.decision, decided.grant), (Decision::Approved, Some(grant)));
    assert!(store.finish_device(&digest).await.unwrap());
    assert!(!store.finish_device(&digest).await.unwrap(), "finished once");
    store.create_device_authorization(&digest, &device).await.unwrap();
    assert_eq!(rows(purge_all(&store, NOW.plus(899), NOW, 10).await), 0);
    assert_eq!(rows(purge_all(&store, NOW.plus(900), NOW, 10).await), 1);
}

#[tokio::test]
async fn a_dpop_bound_refresh_token_keeps_its_key_through_rotation() {
    let (store, _dir) = store().await;
    let (old, new) = (SecretDigest::of("bound"), SecretDigest::of("bound-successor"));
    let bound = RefreshGrant { dpop_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()), ..refresh_grant("f1") };
    store.insert_refresh_token(&old, &bound, NOW).await.unwrap();
    assert_eq!(store.refresh_token(&old).await.unwrap(), Some(bound.clone()));
    let successor = RefreshGrant { last_used_at: NOW.plus(10), ..bound.clone() };
    assert!(store.rotate_refresh_token(&old, &new, &successor, NOW.plus(10)).await.unwrap());
    assert_eq!(store.refresh_token(&new).await.unwrap(), Some(successor), "the successor carries the grant's key");
    assert_eq!(store.refresh_token(&old).await.unwrap().unwrap().dpop_jkt, bound.dpop_jkt);
    let unbound = SecretDigest::of("unbound");
    store.insert_refresh_token(&unbound, &refresh_grant("f2"), NOW).await.unwrap();
    assert_eq!(store.refresh_token(&unbound).await.unwrap().unwrap().dpop_jkt, None);
}

#[tokio::test]
async fn a_dpop_proof_is_accepted_once_until_it_expires() {
    let (store, _dir) = store().await;
    let (proof, other) = (SecretDigest::of("jkt|jti-1"), SecretDigest::of("jkt|jti-2"));
    let expires_at = NOW.plus(300);
    assert!(store.first_use(&proof, expires_at, NOW).await.unwrap(), "first use");
    assert!(!store.first_use(&proof, expires_at, NOW.plus(1)).await.unwrap(), "a replay");
    assert!(!store.first_use(&proof, NOW.plus(900), NOW.plus(299)).await.unwrap(), "a replay, until it expires");
    assert!(store.first_use(&other, expires_at, NOW).await.unwrap(), "another proof");
    // Once its window has closed, the row is stale: the digest is new again, for a new window.
    assert!(store.first_use(&proof, NOW.plus(600), NOW.plus(300)).await.unwrap());
    assert!(!store.first_use(&proof, NOW.plus(600), NOW.plus(301)).await.unwrap(), "the new window holds");
    assert_eq!(rows(purge_all(&store, NOW.plus(299), NOW, 10).await), 0);
    let purged = purge_all(&store, NOW.plus(300), NOW, 10).await;
    assert!(purged.contains(&("dpop_proofs", 1)), "the other proof's row: {purged:?}");
    assert_eq!(rows(purged), 1);
    assert_eq!(rows(purge_all(&store, NOW.plus(600), NOW, 10).await), 1);
    assert!(store.first_use(&other, expires_at, NOW).await.unwrap(), "a purged proof is forgotten");
}

#[tokio::test]
async fn racing_uses_of_one_dpop_proof_have_exactly_one_winner() {
    let (store, _dir) = store().await;
    let attempts = (0..16).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store.first_use(&SecretDigest::of("raced-proof"), NOW.plus(300), NOW).await.unwrap()
        })
    });
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn a_pushed_request_is_taken_once_and_never_after_it_expires() {
    let (store, _dir) = store().await;
    let pushed = PushedRequest {
        client_id: ClientId("app".into()),
        params: vec![("response_type".into(), "code".into()), ("scope".into(), "openid é".into())],
        created_at: NOW,
        expires_at: NOW.plus(30),
    };
    let (first, second) = (SecretDigest::of("uri-1"), SecretDigest::of("uri-2"));
    store.push_request(&first, &pushed).await.unwrap();
    store.push_request(&second, &pushed).await.unwrap();
    assert_eq!(store.take_pushed_request(&first, NOW.plus(29)).await.unwrap(), Some(pushed.clone()));
    assert_eq!(store.take_pushed_request(&first, NOW.plus(29)).await.unwrap(), None, "single use");
    assert_eq!(store.take_pushed_request(&second, NOW.plus(30)).await.unwrap(), None, "expired");
    assert_eq!(store.take_pushed_request(&second, NOW).await.unwrap(), None, "an expired one is gone");
    let third = SecretDigest::of("uri-3");
    store.push_request(&third, &pushed).await.unwrap();
    assert_eq!(rows(purge_all(&store, NOW.plus(29), NOW, 10).await), 0);
    assert_eq!(rows(purge_all(&store, NOW.plus(30), NOW, 10).await), 1);
}

#[tokio::test]
async fn access_revocations_are_listed_until_they_expire_and_keep_the_later_times() {
    let (store, _dir) = store().await;
    let token = AccessRevocation::token("jti-1", NOW.plus(60), NOW);
    let user = AccessRevocation::user("auth0|u1", NOW);
    store.revoke_access(&token).await.unwrap();
    store.revoke_access(&user).await.unwrap();
    // The same user revoked again later: one row, the later times.
    let again = AccessRevocation::user("auth0|u1", NOW.plus(30));
    store.revoke_access(&again).await.unwrap();
    // An earlier one changes nothing.
    store.revoke_access(&user).await.unwrap();

    let mut listed = store.access_revocations(NOW).await.unwrap();
    listed.sort_by(|a, b| a.kind.as_str().cmp(b.kind.as_str()));
    assert_eq!(listed, vec![token.clone(), again.clone()]);

    // The token's row ends with the token; the user's lasts as long as any token could.
    let listed = store.access_revocations(NOW.plus(60)).await.unwrap();
    assert_eq!(listed, vec![again.clone()]);
    assert_eq!(rows(purge_all(&store, NOW.plus(60), NOW, 10).await), 1);
    assert_eq!(rows(purge_all(&store, again.expires_at.plus(-1), NOW, 10).await), 0);
    assert_eq!(rows(purge_all(&store, again.expires_at, NOW, 10).await), 1);
    assert!(store.access_revocations(NOW).await.unwrap().is_empty());
}

#[tokio::test]
async fn touching_a_refresh_token_restarts_its_inactivity() {
    let (store, _dir) = store().await;
    let digest = SecretDigest::of("touched");
    store
        .insert_refresh_token(&digest, &refresh_grant("f1"), NOW)
        .await
        .unwrap();
    store
        .touch_refresh_token(&digest, NOW.plus(50), Some(NOW.plus(5000)))
        .await
        .unwrap();
    let touched = store.refresh_token(&digest).await.unwrap().unwrap();
    assert_eq!(
        (touched.last_used_at, touched.expires_at),
        (NOW.plus(50), Some(NOW.plus(5000)))
    );
}

#[tokio::test]
async fn client_grants_are_per_client_and_audience() {
    let (store, _dir) = store().await;
    let c = ClientId("m2m".into());
    store
        .upsert_client_grant(&c, "api", &scopes("read"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.client_grant(&c, "api").await.unwrap(),
        Some(scopes("read"))
    );
    assert_eq!(store.client_grant(&c, "other").await.unwrap(), None);
    store
        .upsert_client_grant(&c, "api", &scopes("read write"), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.client_grant(&c, "api").await.unwrap(),
        Some(scopes("read write"))
    );
}

#[tokio::test]
async fn ending_a_session_removes_it() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let digest = SecretDigest::of("cookie");
    let session = Session {
        amr: Amr::password(),
        sid: "s".into(),
        user_id: "auth0|u1".into(),
        auth_time: NOW,
        expires_at: NOW.plus(100),
    };
    store.create_session(&digest, &session, NOW).await.unwrap();
    assert_eq!(store.end_session(&digest).await.unwrap(), Some(session));
    assert_eq!(store.session(&digest, NOW).await.unwrap(), None);
    assert_eq!(store.end_session(&digest).await.unwrap(), None);
}

#[tokio::test]
async fn public_client_without_secret_round_trips() {
    let (store, _dir) = store().await;
    let mut spa = client("spa");
    spa.app_type = AppType::Spa;
    spa.token_endpoint_auth_method = TokenAuthMethod::None;
    spa.secret_digest = None;
    spa.refresh_token.rotation_type = Rotation::Rotating;
    spa.allow_plain_pkce = true;
    store.upsert_client(&spa, NOW).await.unwrap();
    assert_eq!(store.client(&spa.client_id).await.unwrap(), Some(spa));
}

#[tokio::test]
async fn signing_keys_insert_once_per_kid_oldest_first() {
    let (store, _dir) = store().await;
    let key = |kid: &str, at: i64| SigningKeyRecord {
        kid: kid.into(),
        alg: "RS256".into(),
        private_key: vec![1, 2, 3],
        created_at: Timestamp(at),
        activated_at: None,
        revoked_at: None,
    };
    store.insert_signing_key(&key("b", 2)).await.unwrap();
    store.insert_signing_key(&key("a", 1)).await.unwrap();
    store.insert_signing_key(&key("a", 5)).await.unwrap();
    let kids: Vec<_> = store
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.created_at.0))
        .collect();
    assert_eq!(kids, vec![("a".to_string(), 1), ("b".to_string(), 2)]);
}

#[tokio::test]
async fn a_next_key_is_activated_once_and_never_once_revoked() {
    let (store, _dir) = store().await;
    let next = |kid: &str| SigningKeyRecord {
        activated_at: None,
        ..signing_key(kid, "RS256", 3)
    };
    store.insert_signing_key(&next("next")).await.unwrap();
    store.insert_signing_key(&next("withdrawn")).await.unwrap();
    assert!(store.activate_signing_key("next", Timestamp(7)).await.unwrap());
    assert!(
        !store.activate_signing_key("next", Timestamp(8)).await.unwrap(),
        "of two nodes rotating at once, one activates it"
    );
    assert!(store
        .revoke_signing_key("withdrawn", Timestamp(9))
        .await
        .unwrap());
    assert!(!store
        .activate_signing_key("withdrawn", Timestamp(10))
        .await
        .unwrap());
    assert!(!store
        .activate_signing_key("unknown", Timestamp(10))
        .await
        .unwrap());
    let all = store.all_signing_keys().await.unwrap();
    let activated: Vec<_> = all.iter().map(|k| (k.kid.as_str(), k.activated_at)).collect();
    assert_eq!(
        activated,
        vec![("next", Some(Timestamp(7))), ("withdrawn", None)]
    );
}

#[tokio::test]
async fn revoking_a_signing_key_unpublishes_it_once() {
    let (store, _dir) = store().await;
    store
        .insert_signing_key(&signing_key("old", "RS256", 1))
        .await
        .unwrap();
    store
        .insert_signing_key(&signing_key("new", "RS256", 2))
        .await
        .unwrap();
    assert!(store
        .revoke_signing_key("old", Timestamp(10))
        .await
        .unwrap());
    // A second revocation, or an unknown kid, revokes nothing.
    assert!(!store
        .revoke_signing_key("old", Timestamp(11))
        .await
        .unwrap());
    assert!(!store
        .revoke_signing_key("unknown", Timestamp(11))
        .await
        .unwrap());
    let live = store.signing_keys().await.unwrap();
    assert_eq!(kids(&live), vec!["new"]);
    assert_eq!(live[0].revoked_at, None);
    let all = store.all_signing_keys().await.unwrap();
    assert_eq!(kids(&all), vec!["old", "new"]);
    assert_eq!(
        all[0].revoked_at,
        Some(Timestamp(10)),
        "the first revocation's time is kept"
    );
    assert_eq!(all[1].revoked_at, None);
}

#[tokio::test]
async fn all_signing_keys_lists_every_algorithm_oldest_first_with_its_material() {
    let (store, _dir) = store().await;
    for (kid, alg, at) in [
        ("ed", "EdDSA", 4),
        ("rs-b", "RS256", 2),
        ("es", "ES256", 3),
        ("rs-a", "RS256", 2),
        ("ps", "PS256", 1),
    ] {
        store
            .insert_signing_key(&signing_key(kid, alg, at))
            .await
            .unwrap();
    }
    let all = store.all_signing_keys().await.unwrap();
    // Same created_at: ordered by kid, so every node picks the same newest key.
    assert_eq!(kids(&all), vec!["ps", "rs-a", "rs-b", "es", "ed"]);
    assert_eq!(all[4], signing_key("ed", "EdDSA", 4));
    assert_eq!(store.signing_keys().await.unwrap(), all);
}

#[tokio::test]
async fn concurrent_revocations_of_one_key_have_one_winner() {
    let (store, _dir) = store().await;
    store
        .insert_signing_key(&signing_key("k", "ES256", 1))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.revoke_signing_key("k", Timestamp(100 + i)).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    assert!(store.signing_keys().await.unwrap().is_empty());
}

#[tokio::test]
async fn consents_keep_their_first_id_and_can_be_listed_and_deleted() {
    let (store, _dir) = store().await;
    store
        .upsert_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let c = ClientId("c".into());
    store
        .save_consent("auth0|u1", &c, Some("api"), &scopes("read"), "g1", NOW)
        .await
        .unwrap();
    store
        .save_consent("auth0|u1", &c, Some("api"), &scopes("read write"), "g2", NOW)
        .await
        .unwrap();
    store
        .save_consent("auth0|u1", &c, None, &scopes("profile"), "g3", NOW)
        .await
        .unwrap();
    let consents = store.consents_of("auth0|u1").await.unwrap();
    let ids: Vec<_> = consents
        .iter()
        .map(|c| (c.id.as_str(), c.audience.clone()))
        .collect();
    assert_eq!(ids, vec![("g1", Some("api".to_string())), ("g3", None)]);
    let deleted = store.delete_consent("g1").await.unwrap().unwrap();
    assert_eq!(deleted.scope, scopes("read write"));
    assert_eq!(store.consent("auth0|u1", &c, Some("api")).await.unwrap(), None);
    assert_eq!(store.delete_consent("g1").await.unwrap(), None);
}

#[tokio::test]
async fn creating_a_taken_client_api_or_user_is_a_conflict() {
    let (store, _dir) = store().await;
    store.create_client(&client("c1"), NOW).await.unwrap();
    assert!(matches!(
        store.create_client(&client("c1"), NOW).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
    store
        .create_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let mut same_email = new_user("other", "auth0|u2");
    same_email.email = "jane@example.com".into();
    assert!(matches!(
        store.create_user(&same_email, NOW).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn listings_page_and_count() {
    let (store, _dir) = store().await;
    for i in 0..5 {
        store
            .create_client(&client(&format!("c{i}")), Timestamp(NOW.0 + i))
            .await
            .unwrap();
    }
    let page = store
        .list_clients(tessera_store::Page {
            page: 1,
            per_page: 2,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    let ids: Vec<_> = page.items.iter().map(|c| c.client_id.to_string()).collect();
    assert_eq!(ids, vec!["c2", "c3"]);
}

#[tokio::test]
async fn a_word_is_looked_for_literally_in_names_and_email() {
    let (store, _dir) = store().await;
    store
        .create_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    store
        .create_user(&new_user("john_100%", "auth0|u2"), NOW)
        .await
        .unwrap();
    let all = Page {
        page: 0,
        per_page: 10,
    };
    let word = |text: &str| UserSearch::Anywhere(text.into());
    let found = |listing: tessera_store::Listing<tessera_store::User>| {
        listing.items.into_iter().map(|u| u.user_id).collect::<Vec<_>>()
    };
    assert_eq!(
        found(store.list_users(all, Some(&word("JANE@")), None).await.unwrap()),
        ["auth0|u1"]
    );
    assert_eq!(
        found(store.list_users(all, Some(&word("100%")), None).await.unwrap()),
        ["auth0|u2"]
    );
    assert_eq!(
        store.list_users(all, Some(&word("%")), None).await.unwrap().total,
        1,
        "% is not a wildcard"
    );
    assert_eq!(store.list_users(all, None, None).await.unwrap().total, 2);
}

/// Three users with profiles, metadata and logins, for the search cases.
async fn searchable_users(store: &dyn Store) {
    let mut ada = new_user("ada", "auth0|ada");
    ada.email = "Ada@Example.com".into();
    ada.name = "Ada Lovelace".into();
    ada.profile = UserProfile {
        given_name: Some("Ada".into()),
        family_name: Some("Lovelace".into()),
        nickname: Some("countess".into()),
        picture: Some("https://pictures.example/ada.png".into()),
        user_metadata: serde_json::from_str(r#"{"theme": "dark"}"#).unwrap(),
        app_metadata: serde_json::from_str(
            r#"{"plan": "gold", "seats": 5, "beta": true, "roles": ["admin", "editor"],
                "billing": {"tier": "enterprise"}}"#,
        )
        .unwrap(),
    };
    let mut bob = new_user("bob", "auth0|bob");
    bob.email = "bob@corp.test".into();
    bob.name = "Bob Builder".into();
    bob.profile.app_metadata =
        serde_json::from_str(r#"{"plan": "silver", "seats": "5", "roles": "editor"}"#).unwrap();
    let carol = new_user("carol", "auth0|carol");
    for (user, at) in [(&ada, 0), (&bob, 100), (&carol, 200)] {
        store.create_user(user, NOW.plus(at)).await.unwrap();
    }
    store
        .record_user_login("auth0|ada", Some("203.0.113.7"), NOW.plus(1000))
        .await
        .unwrap();
    store
        .record_user_login("auth0|ada", Some("203.0.113.8"), NOW.plus(2000))
        .await
        .unwrap();
    store
        .record_user_login("auth0|bob", None, NOW.plus(1500))
        .await
        .unwrap();
}

#[tokio::test]
async fn profiles_metadata_and_logins_are_kept() {
    let (store, _dir) = store().await;
    searchable_users(store.as_ref()).await;
    let ada = store.user("auth0|ada").await.unwrap().unwrap();
    assert_eq!(ada.profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(ada.profile.picture.as_deref(), Some("https://pictures.example/ada.png"));
    assert_eq!(ada.profile.app_metadata["roles"][1], "editor");
    assert_eq!(ada.profile.user_metadata["theme"], "dark");
    assert_eq!(ada.logins_count, 2);
    assert_eq!(ada.last_login, Some(NOW.plus(2000)));
    assert_eq!(ada.last_ip.as_deref(), Some("203.0.113.8"));
    assert_eq!(ada.updated_at, NOW, "a login leaves the profile's updated_at");
    let carol = store.user("auth0|carol").await.unwrap().unwrap();
    assert_eq!((carol.logins_count, carol.last_login), (0, None));
    assert_eq!(carol.profile, UserProfile::default());
    assert_eq!(carol.nickname(), "carol", "the email's local part by default");
    assert_eq!(ada.nickname(), "countess");

    let found = store.users_by_email("Ada@Example.com").await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(store.users_by_email("ada@example.com").await.unwrap().is_empty(), "exact, as Auth0's");
}

#[tokio::test]
async fn users_are_found_by_auth0_search_terms() {
    let (store, _dir) = store().await;
    searchable_users(store.as_ref()).await;
    let all = Page {
        page: 0,
        per_page: 10,
    };
    let find = |search: UserSearch| {
        let store = store.clone();
        async move {
            let listing = store.list_users(all, Some(&search), None).await.unwrap();
            assert_eq!(listing.total as usize, listing.items.len());
            listing.items.into_iter().map(|u| u.user_id).collect::<Vec<_>>()
        }
    };
    let text = |field, matched| UserSearch::Text(field, matched);
    let is = |value: &str| TextMatch::Is(value.into());
    let app = |path: &[&str], json: &[&str]| UserSearch::Metadata {
        of: MetadataField::App,
        path: path.iter().map(|k| MetadataKey::parse(k).unwrap()).collect(),
        json: json.iter().map(|j| j.to_string()).collect(),
    };

    // Normalized fields ignore case; the others do not.
    assert_eq!(find(text(TextField::Email, is("ADA@example.COM"))).await, ["auth0|ada"]);
    assert_eq!(find(text(TextField::Name, is("bob builder"))).await, ["auth0|bob"]);
    assert_eq!(find(text(TextField::Name, is("bob"))).await, Vec::<String>::new());
    assert_eq!(
        find(text(TextField::Name, TextMatch::StartsWith("BO".into()))).await,
        ["auth0|bob"]
    );
    assert_eq!(
        find(text(TextField::Email, TextMatch::EndsWith("example.com".into()))).await,
        ["auth0|ada", "auth0|carol"]
    );
    assert_eq!(find(text(TextField::EmailDomain, is("corp.test"))).await, ["auth0|bob"]);
    assert_eq!(find(text(TextField::UserId, is("auth0|ada"))).await, ["auth0|ada"]);
    assert_eq!(find(text(TextField::UserId, is("AUTH0|ADA"))).await, Vec::<String>::new());
    assert_eq!(
        find(text(TextField::UserId, TextMatch::StartsWith("auth0|c".into()))).await,
        ["auth0|carol"]
    );
    assert_eq!(find(text(TextField::GivenName, is("ada"))).await, ["auth0|ada"]);
    assert_eq!(find(text(TextField::LastIp, is("203.0.113.8"))).await, ["auth0|ada"]);

    // Flags and ranges; a user who never logged in has no last_login to match.
    assert_eq!(find(UserSearch::Flag(FlagField::EmailVerified, true)).await.len(), 3);
    assert!(find(UserSearch::Flag(FlagField::Blocked, true)).await.is_empty());
    assert_eq!(
        find(UserSearch::Range(RangeField::LoginsCount, Some(1), None)).await,
        ["auth0|ada", "auth0|bob"]
    );
    assert_eq!(
        find(UserSearch::Range(RangeField::LoginsCount, Some(2), Some(2))).await,
        ["auth0|ada"]
    );
    assert_eq!(
        find(UserSearch::Range(RangeField::CreatedAt, Some(NOW.0 + 50), None)).await,
        ["auth0|bob", "auth0|carol"]
    );
    assert_eq!(
        find(UserSearch::Range(RangeField::LastLogin, None, Some(NOW.0 + 1500))).await,
        ["auth0|bob"]
    );

    // Metadata: strings, numbers and booleans by their JSON text, arrays by an element,
    // nested paths; never an object, never a string for a number.
    assert_eq!(find(app(&["plan"], &[r#""gold""#])).await, ["auth0|ada"]);
    assert_eq!(find(app(&["plan"], &[r#""Gold""#])).await, Vec::<String>::new());
    assert_eq!(find(app(&["seats"], &["5"])).await, ["auth0|ada"]);
    assert_eq!(find(app(&["seats"], &[r#""5""#, "5"])).await, ["auth0|ada", "auth0|bob"]);
    assert_eq!(find(app(&["beta"], &["true"])).await, ["auth0|ada"]);
    assert_eq!(find(app(&["roles"], &[r#""editor""#])).await, ["auth0|ada", "auth0|bob"]);
    assert_eq!(find(app(&["roles"], &[r#""admin""#])).await, ["auth0|ada"]);
    assert_eq!(find(app(&["billing", "tier"], &[r#""enterprise""#])).await, ["auth0|ada"]);
    assert_eq!(find(app(&["billing"], &[r#""enterprise""#])).await, Vec::<String>::new());
    assert_eq!(find(app(&["missing"], &[r#""gold""#])).await, Vec::<String>::new());

    // Combinations; NOT holds for users whose field is missing.
    assert_eq!(
        find(UserSearch::Not(Box::new(text(TextField::GivenName, is("ada"))))).await,
        ["auth0|bob", "auth0|carol"]
    );
    assert_eq!(
        find(UserSearch::All(vec![
            app(&["roles"], &[r#""editor""#]),
            UserSearch::Not(Box::new(app(&["plan"], &[r#""gold""#]))),
        ]))
        .await,
        ["auth0|bob"]
    );
    assert_eq!(
        find(UserSearch::Any(vec![
            text(TextField::Username, is("carol")),
            app(&["plan"], &[r#""silver""#]),
        ]))
        .await,
        ["auth0|bob", "auth0|carol"]
    );
    assert_eq!(find(UserSearch::Any(Vec::new())).await, Vec::<String>::new());
    assert_eq!(find(UserSearch::All(Vec::new())).await.len(), 3);

    // Sorted, missing values last either way; the page counts what matched.
    let sorted = |by, descending| {
        let store = store.clone();
        async move {
            store
                .list_users(all, None, Some(UserSort { by, descending }))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|u| u.user_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        sorted(SortField::LastLogin, false).await,
        ["auth0|bob", "auth0|ada", "auth0|carol"]
    );
    assert_eq!(
        sorted(SortField::LastLogin, true).await,
        ["auth0|ada", "auth0|bob", "auth0|carol"]
    );
    assert_eq!(
        sorted(SortField::CreatedAt, true).await,
        ["auth0|carol", "auth0|bob", "auth0|ada"]
    );
    let second = store
        .list_users(
            Page {
                page: 1,
                per_page: 1,
            },
            Some(&UserSearch::Range(RangeField::LoginsCount, Some(1), None)),
            Some(UserSort {
                by: SortField::LoginsCount,
                descending: true,
            }),
        )
        .await
        .unwrap();
    assert_eq!(second.total, 2);
    assert_eq!(second.items[0].user_id, "auth0|bob");
}

// The UPDATE names `$2`…`$8` before `$1`: SQLite numbers parameters by first appearance, so
// this also checks that sqlx's SQLite driver binds each `$N` by its number.
#[tokio::test]
async fn updating_a_user_writes_every_field_to_that_user_only() {
    let (store, _dir) = store().await;
    let jane = store
        .create_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    store
        .create_user(&new_user("john", "auth0|u2"), NOW)
        .await
        .unwrap();
    let changed = tessera_store::User {
        user_id: "auth0|u1".into(),
        username: "janet".into(),
        email: "janet@example.org".into(),
        name: "Janet D".into(),
        password_hash: "$argon2id$changed".into(),
        email_verified: false,
        blocked: true,
        created_at: jane.created_at,
        updated_at: NOW.plus(7),
        profile: UserProfile {
            given_name: Some("Janet".into()),
            family_name: Some("Doe".into()),
            nickname: Some("jd".into()),
            picture: Some("https://pictures.example/jd.png".into()),
            user_metadata: serde_json::from_str(r#"{"theme": "light"}"#).unwrap(),
            app_metadata: serde_json::from_str(r#"{"plan": {"tier": 2}}"#).unwrap(),
        },
        last_login: None,
        last_ip: None,
        logins_count: 0,
    };
    assert!(store.update_user(&changed, NOW.plus(7)).await.unwrap());
    assert_eq!(store.user("auth0|u1").await.unwrap(), Some(changed.clone()));
    assert_eq!(store.user("auth0|u2").await.unwrap().unwrap().username, "john");

    let mut unknown = changed.clone();
    unknown.user_id = "auth0|u3".into();
    unknown.username = "nobody".into();
    unknown.email = "nobody@example.com".into();
    assert!(!store.update_user(&unknown, NOW.plus(8)).await.unwrap());
    let mut taken = changed;
    taken.username = "john".into();
    assert!(matches!(
        store.update_user(&taken, NOW.plus(9)).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn deleting_a_user_removes_their_sessions_and_consents() {
    let (store, _dir) = store().await;
    store
        .create_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    let digest = SecretDigest::of("cookie");
    let session = Session {
        amr: Amr::password(),
        sid: "s".into(),
        user_id: "auth0|u1".into(),
        auth_time: NOW,
        expires_at: NOW.plus(100),
    };
    store.create_session(&digest, &session, NOW).await.unwrap();
    store
        .save_consent(
            "auth0|u1",
            &ClientId("c".into()),
            None,
            &scopes("profile"),
            "g1",
            NOW,
        )
        .await
        .unwrap();
    assert!(store.delete_user("auth0|u1").await.unwrap());
    assert_eq!(store.session(&digest, NOW).await.unwrap(), None);
    assert!(store.consents_of("auth0|u1").await.unwrap().is_empty());
    assert!(!store.delete_user("auth0|u1").await.unwrap());
}

#[tokio::test]
async fn refresh_tokens_of_a_user_are_revoked_per_grant_or_all() {
    let (store, _dir) = store().await;
    let mut other_client = refresh_grant("f2");
    other_client.client_id = ClientId("d".into());
    store
        .insert_refresh_token(&SecretDigest::of("a"), &refresh_grant("f1"), NOW)
        .await
        .unwrap();
    store
        .insert_refresh_token(&SecretDigest::of("b"), &other_client, NOW)
        .await
        .unwrap();
    let c = ClientId("c".into());
    assert_eq!(
        store
            .revoke_refresh_tokens_of("auth0|u1", Some((&c, Some("api"))), NOW)
            .await
            .unwrap(),
        1
    );
    assert!(
        !store
            .refresh_token(&SecretDigest::of("b"))
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert_eq!(
        store
            .revoke_refresh_tokens_of("auth0|u1", None, NOW)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn client_grants_by_id_update_list_and_delete() {
    let (store, _dir) = store().await;
    let grant = tessera_store::ClientGrant {
        id: "cgr_1".into(),
        client_id: ClientId("m2m".into()),
        audience: "api".into(),
        scope: scopes("read"),
    };
    store.create_client_grant(&grant, NOW).await.unwrap();
    assert!(matches!(
        store.create_client_grant(&grant, NOW).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
    assert!(store
        .update_client_grant("cgr_1", &scopes("read write"), NOW)
        .await
        .unwrap());
    assert_eq!(
        store
            .client_grant_by_id("cgr_1")
            .await
            .unwrap()
            .unwrap()
            .scope,
        scopes("read write")
    );
    let all = tessera_store::Page {
        page: 0,
        per_page: 10,
    };
    assert_eq!(
        store
            .list_client_grants(Some(&ClientId("m2m".into())), None, all)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .list_client_grants(None, Some("other"), all)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(store.delete_client_grant("cgr_1").await.unwrap());
    assert!(!store.delete_client_grant("cgr_1").await.unwrap());
}

#[tokio::test]
async fn deleting_a_client_deletes_its_client_grants() {
    let (store, _dir) = store().await;
    store.create_client(&client("m2m"), NOW).await.unwrap();
    store
        .upsert_client_grant(&ClientId("m2m".into()), "api", &scopes("read"), NOW)
        .await
        .unwrap();
    assert!(store.delete_client(&ClientId("m2m".into())).await.unwrap());
    assert_eq!(
        store
            .client_grant(&ClientId("m2m".into()), "api")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn housekeeping_purges_only_what_has_expired_in_batches() {
    let (store, _dir) = store().await;
    store.upsert_user(&new_user("jane", "auth0|u1"), NOW).await.unwrap();
    for i in 0..3 {
        let mut grant = code_grant("auth0|u1");
        grant.expires_at = NOW.plus(i);
        store.insert_code(&SecretDigest::of(&format!("code{i}")), &grant, NOW).await.unwrap();
    }
    let session = Session { amr: Amr::password(), sid: "s".into(), user_id: "auth0|u1".into(), auth_time: NOW, expires_at: NOW.plus(10) };
    store.create_session(&SecretDigest::of("cookie"), &session, NOW).await.unwrap();
    store.insert_refresh_token(&SecretDigest::of("old"), &refresh_grant("f1"), NOW).await.unwrap();
    store.revoke_refresh_family("f1", NOW).await.unwrap();
    store.insert_refresh_token(&SecretDigest::of("live"), &refresh_grant("f2"), NOW).await.unwrap();

    // At NOW+1 two codes have expired; a batch of 1 takes one per table.
    let later = NOW.plus(1);
    assert_eq!(rows(purge_all(&store, later, NOW, 1).await), 1);
    let purged = purge_all(&store, later, NOW.plus(1), 10).await;
    assert_eq!(rows(purged.clone()), 2, "the other code and the revoked token");
    assert!(purged.contains(&("authorization_codes", 1)) && purged.contains(&("refresh_tokens", 1)), "{purged:?}");
    assert_eq!(rows(purge_all(&store, later, NOW.plus(1), 10).await), 0);
    assert_eq!(store.consume_code(&SecretDigest::of("code2"), NOW).await.unwrap(), CodeRedemption::Redeemed(Box::new({
        let mut grant = code_grant("auth0|u1");
        grant.expires_at = NOW.plus(2);
        grant
    })));
    assert!(store.session(&SecretDigest::of("cookie"), NOW).await.unwrap().is_some());
    assert!(store.refresh_token(&SecretDigest::of("live")).await.unwrap().is_some());
    assert_eq!(rows(purge_all(&store, NOW.plus(10), NOW, 10).await), 2, "the session and the used code");
}

/// One batch of each kind of expired row: (its table, rows deleted).
async fn purge_all(store: &Arc<dyn Store>, now: Timestamp, revoked_before: Timestamp, batch: i64) -> Vec<(&'static str, u64)> {
    let mut purged = Vec::new();
    for what in Expiring::ALL {
        purged.push((what.table(), store.purge_expired(what, now, revoked_before, batch).await.unwrap()));
    }
    purged
}

fn rows(purged: Vec<(&'static str, u64)>) -> u64 {
    purged.iter().map(|(_, n)| n).sum()
}

#[tokio::test]
async fn refresh_tokens_are_purged_at_their_expiry_and_those_without_one_are_kept() {
    let (store, _dir) = store().await;
    let expiring = refresh_grant("f1");
    let endless = RefreshGrant { expires_at: None, ..refresh_grant("f2") };
    store.insert_refresh_token(&SecretDigest::of("expiring"), &expiring, NOW).await.unwrap();
    store.insert_refresh_token(&SecretDigest::of("endless"), &endless, NOW).await.unwrap();
    let expiry = expiring.expires_at.unwrap();
    assert_eq!(rows(purge_all(&store, expiry.plus(-1), NOW, 10).await), 0, "not yet expired");
    assert_eq!(rows(purge_all(&store, expiry, NOW, 10).await), 1);
    assert!(store.refresh_token(&SecretDigest::of("expiring")).await.unwrap().is_none());
    assert!(store.refresh_token(&SecretDigest::of("endless")).await.unwrap().is_some());
}

#[tokio::test]
async fn a_rotated_refresh_token_takes_its_successors_expiry() {
    let (store, _dir) = store().await;
    let (old, new) = (SecretDigest::of("old"), SecretDigest::of("new"));
    store.insert_refresh_token(&old, &refresh_grant("f1"), NOW).await.unwrap();
    let successor = RefreshGrant { last_used_at: NOW.plus(10), expires_at: Some(NOW.plus(7000)), ..refresh_grant("f1") };
    assert!(store.rotate_refresh_token(&old, &new, &successor, NOW.plus(10)).await.unwrap());
    let rotated = store.refresh_token(&old).await.unwrap().unwrap();
    assert_eq!((rotated.rotated_at, rotated.expires_at), (Some(NOW.plus(10)), Some(NOW.plus(7000))));
    assert_eq!(store.refresh_token(&new).await.unwrap().unwrap().expires_at, Some(NOW.plus(7000)));
}

#[tokio::test]
async fn the_write_probe_rewrites_its_row() {
    let (store, _dir) = store().await;
    store.probe_write(&[1u8; 8192], NOW).await.unwrap();
    store.probe_write(&[2u8; 8192], NOW.plus(1)).await.unwrap();
}

#[tokio::test]
async fn admins_are_unique_by_username_and_listed_in_order() {
    let (store, _dir) = store().await;
    let admin = |name: &str, role| Admin {
        username: name.into(),
        password_hash: "$argon2id$fake".into(),
        role,
        created_at: NOW,
    };
    store.create_admin(&admin("zoe", AdminRole::ReadOnly)).await.unwrap();
    store.create_admin(&admin("amy", AdminRole::Admin)).await.unwrap();
    let taken = store.create_admin(&admin("amy", AdminRole::ReadOnly)).await;
    assert!(matches!(taken, Err(tessera_store::StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(store.admin("amy").await.unwrap(), Some(admin("amy", AdminRole::Admin)));
    assert_eq!(store.admin("nobody").await.unwrap(), None);
    let names: Vec<_> = store.list_admins().await.unwrap().into_iter().map(|a| (a.username, a.role)).collect();
    assert_eq!(names, vec![("amy".to_owned(), AdminRole::Admin), ("zoe".to_owned(), AdminRole::ReadOnly)]);
    // Administrators are not end users.
    assert_eq!(store.user_by_login("amy").await.unwrap(), None);
}

#[tokio::test]
async fn admin_session_lives_until_it_expires_or_ends() {
    let (store, _dir) = store().await;
    let admin = Admin { username: "amy".into(), password_hash: "h".into(), role: AdminRole::Admin, created_at: NOW };
    store.create_admin(&admin).await.unwrap();
    let digest = SecretDigest::of("admin-cookie");
    let session = AdminSession { username: "amy".into(), expires_at: NOW.plus(100) };
    store.create_admin_session(&digest, &session, NOW).await.unwrap();
    assert_eq!(store.admin_session(&digest, NOW).await.unwrap(), Some(session));
    assert_eq!(store.admin_session(&digest, NOW.plus(100)).await.unwrap(), None, "expired");
    assert_eq!(store.session(&digest, NOW).await.unwrap(), None, "not an end-user session");
    assert!(store.end_admin_session(&digest).await.unwrap());
    assert_eq!(store.admin_session(&digest, NOW).await.unwrap(), None);
    assert!(!store.end_admin_session(&digest).await.unwrap());
}

#[tokio::test]
async fn login_failures_count_consecutively_per_account_and_ip_and_restart_when_stale() {
    let (store, _dir) = store().await;
    let stale = NOW.plus(-900);
    for expected in 1..=3 {
        assert_eq!(store.record_login_failure("auth0|u1", "127.0.0.1", NOW, stale).await.unwrap(), expected);
    }
    assert_eq!(store.record_login_failure("auth0|u1", "127.0.0.2", NOW, stale).await.unwrap(), 1, "another IP counts apart");
    assert_eq!(store.record_login_failure("name:bob", "127.0.0.1", NOW, stale).await.unwrap(), 1, "another account counts apart");
    assert_eq!(store.login_failures("auth0|u1", "127.0.0.1", stale).await.unwrap(), 3);
    assert_eq!(store.login_failures("auth0|u1", "127.0.0.1", NOW).await.unwrap(), 0, "the last failure is not after NOW");
    assert_eq!(store.blocked_ips("auth0|u1", 1, stale).await.unwrap(), vec!["127.0.0.1".to_owned(), "127.0.0.2".to_owned()]);
    assert_eq!(store.blocked_ips("auth0|u1", 3, stale).await.unwrap(), vec!["127.0.0.1".to_owned()]);
    // A failure after the previous one went stale counts from 1 again.
    let later = NOW.plus(1000);
    assert_eq!(store.record_login_failure("auth0|u1", "127.0.0.1", later, later.plus(-900)).await.unwrap(), 1);
}

#[tokio::test]
async fn clearing_login_failures_forgets_one_ip_or_the_whole_account() {
    let (store, _dir) = store().await;
    let stale = NOW.plus(-900);
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        store.record_login_failure("auth0|u1", ip, NOW, stale).await.unwrap();
    }
    store.record_login_failure("auth0|u2", "10.0.0.1", NOW, stale).await.unwrap();
    store.clear_login_failures("auth0|u1", "10.0.0.1").await.unwrap();
    assert_eq!(store.login_failures("auth0|u1", "10.0.0.1", stale).await.unwrap(), 0);
    assert_eq!(store.login_failures("auth0|u1", "10.0.0.2", stale).await.unwrap(), 1);
    assert_eq!(store.clear_account_failures("auth0|u1").await.unwrap(), 2);
    assert!(store.blocked_ips("auth0|u1", 1, stale).await.unwrap().is_empty());
    assert_eq!(store.login_failures("auth0|u2", "10.0.0.1", stale).await.unwrap(), 1, "other accounts keep theirs");
}

#[tokio::test]
async fn ip_failures_count_in_a_fixed_window_that_restarts_when_over() {
    let (store, _dir) = store().await;
    let window = 3600;
    for (offset, expected) in [(0, 1), (10, 2), (3599, 3)] {
        let now = NOW.plus(offset);
        assert_eq!(store.record_ip_failure("10.0.0.9", now, now.plus(-window)).await.unwrap(), expected);
    }
    assert_eq!(store.ip_failures("10.0.0.9", NOW.plus(3599 - window)).await.unwrap(), 3);
    assert_eq!(store.ip_failures("10.0.0.9", NOW).await.unwrap(), 0, "the window started at NOW, not after");
    assert_eq!(store.ip_failures("10.0.0.8", NOW.plus(-window)).await.unwrap(), 0);
    let next = NOW.plus(window);
    assert_eq!(store.record_ip_failure("10.0.0.9", next, next.plus(-window)).await.unwrap(), 1, "a new window");
    assert_eq!(store.ip_failures("10.0.0.9", next.plus(-1)).await.unwrap(), 1);
}

#[tokio::test]
async fn housekeeping_purges_login_failures_last_touched_before_the_cutoff_in_batches() {
    let (store, _dir) = store().await;
    for (i, ip) in ["a", "b", "c"].into_iter().enumerate() {
        let at = NOW.plus(i as i64);
        store.record_login_failure("auth0|u1", ip, at, at.plus(-900)).await.unwrap();
        store.record_ip_failure(ip, at, at.plus(-3600)).await.unwrap();
    }
    assert_eq!(store.purge_login_failures(NOW.plus(1), 1).await.unwrap(), 2, "one row per table");
    assert_eq!(store.purge_login_failures(NOW.plus(1), 10).await.unwrap(), 2);
    assert_eq!(store.purge_login_failures(NOW.plus(1), 10).await.unwrap(), 0);
    assert_eq!(store.blocked_ips("auth0|u1", 1, NOW.plus(-900)).await.unwrap(), vec!["c".to_owned()]);
    assert_eq!(store.ip_failures("c", NOW.plus(-3600)).await.unwrap(), 1);
}

#[tokio::test]
async fn signing_key_material_is_replaced_only_while_it_is_what_the_caller_read() {
    let (store, _dir) = store().await;
    store.insert_signing_key(&signing_key("k", "RS256", 1)).await.unwrap();
    assert!(store.replace_signing_key_material("k", &[7, 8, 9], b"sealed").await.unwrap());
    assert!(!store.replace_signing_key_material("k", &[7, 8, 9], b"other").await.unwrap(), "a stale read loses");
    assert!(!store.replace_signing_key_material("unknown", &[7, 8, 9], b"x").await.unwrap());
    assert_eq!(store.signing_keys().await.unwrap()[0].private_key, b"sealed".to_vec());
}

#[tokio::test]
async fn store_answers_a_ping() {
    let (store, _dir) = store().await;
    store.ping().await.unwrap();
}

#[tokio::test]
async fn log_events_round_trip_and_are_found_by_id() {
    let (store, _dir) = store().await;
    let event = log_event("e1", NOW.0, "s", Some("auth0|u1"), Some("c1"));
    let bare = LogEvent { client_id: None, client_name: None, ip: None, user_agent: None, user_id: None, user_name: None, details: serde_json::json!({}), ..log_event("e2", NOW.0, "sapi", None, None) };
    store.insert_log_events(&[event.clone(), bare.clone()]).await.unwrap();
    assert_eq!(store.log_event("e1").await.unwrap(), Some(event));
    assert_eq!(store.log_event("e2").await.unwrap(), Some(bare));
    assert_eq!(store.log_event("missing").await.unwrap(), None);
}

#[tokio::test]
async fn a_batch_of_log_events_is_stored_all_or_none() {
    let (store, _dir) = store().await;
    store.insert_log_events(&[log_event("dup", NOW.0, "s", None, None)]).await.unwrap();
    let batch = [log_event("fresh", NOW.0, "s", None, None), log_event("dup", NOW.0, "s", None, None)];
    assert!(store.insert_log_events(&batch).await.is_err(), "a duplicate log_id fails the batch");
    assert_eq!(store.log_event("fresh").await.unwrap(), None, "nothing of the failed batch is kept");
    store.insert_log_events(&[]).await.unwrap();
}

#[tokio::test]
async fn log_events_are_listed_newest_first_filtered_and_paged() {
    let (store, _dir) = store().await;
    let events = [
        log_event("a", NOW.0, "s", Some("auth0|u1"), Some("c1")),
        log_event("b", NOW.0 + 1, "fp", Some("auth0|u1"), Some("c1")),
        log_event("c", NOW.0 + 2, "seacft", Some("auth0|u2"), Some("c1")),
        log_event("d", NOW.0 + 2, "seccft", None, Some("c2")),
        log_event("e", NOW.0 + 3, "s", Some("auth0|u2"), Some("c2")),
    ];
    store.insert_log_events(&events).await.unwrap();
    let page = |page, per_page| Page { page, per_page };
    let newest = LogFilter { newest_first: true, ..LogFilter::default() };
    let all = store.list_log_events(&newest, page(0, 10)).await.unwrap();
    assert_eq!(log_ids(&all.items), ["e", "d", "c", "b", "a"], "by date, then log_id, newest first");
    assert_eq!(all.total, 5);
    let oldest = store.list_log_events(&LogFilter::default(), page(0, 10)).await.unwrap();
    assert_eq!(log_ids(&oldest.items), ["a", "b", "c", "d", "e"]);
    let second = store.list_log_events(&newest, page(1, 2)).await.unwrap();
    assert_eq!(log_ids(&second.items), ["c", "b"]);
    assert_eq!(second.total, 5, "the total counts every page");
    let beyond = store.list_log_events(&newest, page(9, 2)).await.unwrap();
    assert!(beyond.items.is_empty());

    let of_user = LogFilter { user_id: Some("auth0|u1".into()), ..newest.clone() };
    assert_eq!(log_ids(&store.list_log_events(&of_user, page(0, 10)).await.unwrap().items), ["b", "a"]);
    let of_client = LogFilter { client_id: Some("c2".into()), ..newest.clone() };
    let listed = store.list_log_events(&of_client, page(0, 10)).await.unwrap();
    assert_eq!((log_ids(&listed.items), listed.total), (vec!["e", "d"], 2));
    let of_type = LogFilter { event_type: Some("s".into()), ..newest.clone() };
    assert_eq!(log_ids(&store.list_log_events(&of_type, page(0, 10)).await.unwrap().items), ["e", "a"]);
    let combined = LogFilter { user_id: Some("auth0|u2".into()), client_id: Some("c1".into()), event_type: Some("seacft".into()), ..newest.clone() };
    assert_eq!(log_ids(&store.list_log_events(&combined, page(0, 10)).await.unwrap().items), ["c"]);
    let none = LogFilter { user_id: Some("auth0|u1".into()), event_type: Some("seccft".into()), ..newest };
    let empty = store.list_log_events(&none, page(0, 10)).await.unwrap();
    assert_eq!((empty.items.len(), empty.total), (0, 0));
}

#[tokio::test]
async fn purging_log_events_removes_only_older_ones_in_batches() {
    let (store, _dir) = store().await;
    let events: Vec<_> = (0..5).map(|i| log_event(&format!("e{i}"), NOW.0 + i, "s", None, None)).collect();
    store.insert_log_events(&events).await.unwrap();
    let every = EventTypes::AllBut(&[]);
    assert_eq!(store.purge_log_events(NOW.plus(3), every, 2).await.unwrap(), 2, "a batch at most");
    assert_eq!(store.purge_log_events(NOW.plus(3), every, 2).await.unwrap(), 1);
    assert_eq!(store.purge_log_events(NOW.plus(3), every, 2).await.unwrap(), 0);
    let left = store.list_log_events(&LogFilter::default(), Page { page: 0, per_page: 10 }).await.unwrap();
    assert_eq!(log_ids(&left.items), ["e3", "e4"]);
}

#[tokio::test]
async fn token_exchanges_stored_apart_still_make_one_log_in_date_order() {
    let (store, _dir) = store().await;
    // Exchanges and other events interleaved, two of them at the same second.
    let types = ["s", "seccft", "sertft", "fp", "seacft", "s", "seccft"];
    let dates = [0, 1, 2, 2, 3, 4, 5];
    let events: Vec<_> = types.iter().zip(dates).enumerate().map(|(i, (t, d))| log_event(&format!("e{i}"), NOW.0 + d, t, Some("auth0|u1"), Some("c1"))).collect();
    store.insert_log_events(&events).await.unwrap();
    let listed = store.list_log_events(&LogFilter::default(), Page { page: 1, per_page: 3 }).await.unwrap();
    assert_eq!((log_ids(&listed.items), listed.total), (vec!["e3", "e4", "e5"], 7), "one order across both kinds");
    assert_eq!(store.log_event("e4").await.unwrap(), Some(events[4].clone()));
    assert_eq!(store.count_log_events().await.unwrap(), 7);

    let every = EventTypes::AllBut(&[]);
    let left = || async {
        let listed = store.list_log_events(&LogFilter::default(), Page { page: 0, per_page: 10 }).await.unwrap();
        log_ids(&listed.items).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(store.purge_oldest_log_events(every, 3).await.unwrap(), 3);
    assert_eq!(left().await, ["e3", "e4", "e5", "e6"], "the three oldest, whatever their kind, e2 before e3 at the same second");
    assert_eq!(store.purge_log_events(NOW.plus(5), every, 2).await.unwrap(), 2, "a batch at most, over both kinds");
    assert_eq!(store.purge_log_events(NOW.plus(5), every, 2).await.unwrap(), 1);
    assert_eq!(left().await, ["e6"]);
    assert_eq!(store.purge_oldest_log_events(every, 10).await.unwrap(), 1, "fewer than a batch: all");
    assert_eq!(store.count_log_events().await.unwrap(), 0);
}

#[tokio::test]
async fn log_events_are_purged_by_type_and_oldest_first() {
    let (store, _dir) = store().await;
    let types = ["seccft", "s", "seccft", "fp", "sertft", "s"];
    let events: Vec<_> = types.iter().enumerate().map(|(i, t)| log_event(&format!("e{i}"), NOW.0 + i as i64, t, None, None)).collect();
    store.insert_log_events(&events).await.unwrap();
    assert_eq!(store.count_log_events().await.unwrap(), 6);
    let left = || async {
        let listed = store.list_log_events(&LogFilter::default(), Page { page: 0, per_page: 10 }).await.unwrap();
        log_ids(&listed.items).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };

    // By age, one type only, then every type but some.
    assert_eq!(store.purge_log_events(NOW.plus(10), EventTypes::Only(&["seccft"]), 10).await.unwrap(), 2);
    assert_eq!(left().await, ["e1", "e3", "e4", "e5"]);
    assert_eq!(store.purge_log_events(NOW.plus(4), EventTypes::AllBut(&["s"]), 10).await.unwrap(), 1, "fp only: s kept, sertft too new");
    assert_eq!(left().await, ["e1", "e4", "e5"]);

    // Oldest first, of some types or of all.
    assert_eq!(store.purge_oldest_log_events(EventTypes::Only(&["sertft", "seccft"]), 5).await.unwrap(), 1);
    assert_eq!(left().await, ["e1", "e5"]);
    assert_eq!(store.purge_oldest_log_events(EventTypes::AllBut(&[]), 1).await.unwrap(), 1);
    assert_eq!(left().await, ["e5"]);
    assert_eq!(store.count_log_events().await.unwrap(), 1);
}

fn rbac_api(identifier: &str, scopes: &[&str]) -> ResourceServer {
    ResourceServer {
        id: format!("{:0>24}", identifier.len()),
        identifier: identifier.into(),
        name: identifier.into(),
        scopes: scopes
            .iter()
            .map(|s| ApiScope {
                value: Scope::parse(s).unwrap(),
                description: String::new(),
            })
            .collect(),
        allow_offline_access: false,
        token_lifetime: 600,
        signing_alg: "RS256".into(),
        skip_consent_for_verifiable_first_party_clients: false,
        rbac: Rbac {
            enforce_policies: true,
            token_dialect: TokenDialect::AccessTokenAuthz,
        },
        proof_of_possession: None,
    }
}

fn role(id: &str, name: &str) -> Role {
    Role {
        id: id.into(),
        name: name.into(),
        description: format!("{name}, described"),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn permission(api: &str, name: &str) -> Permission {
    Permission {
        resource_server_identifier: api.into(),
        permission_name: name.into(),
    }
}

#[tokio::test]
async fn roles_give_users_permissions_with_their_sources_and_go_with_what_they_belong_to() {
    let (store, _dir) = store().await;
    store.upsert_api(&rbac_api("orders", &["read", "write", "delete"]), NOW).await.unwrap();
    store.upsert_api(&rbac_api("billing", &["pay"]), NOW).await.unwrap();
    let jane = store.create_user(&new_user("jane", "auth0|jane"), NOW).await.unwrap();
    let ada = store.create_user(&new_user("ada", "auth0|ada"), NOW).await.unwrap();

    store.create_role(&role("rol_clerk", "Order clerk")).await.unwrap();
    store.create_role(&role("rol_admin", "Admin")).await.unwrap();
    assert!(matches!(
        store.create_role(&role("rol_other", "Admin")).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
    let page = Page { page: 0, per_page: 50 };
    let filtered = store.list_roles(page, Some("CLERK")).await.unwrap();
    assert_eq!(filtered.total, 1);
    assert_eq!(filtered.items[0].name, "Order clerk");
    assert_eq!(store.list_roles(page, Some("%")).await.unwrap().total, 0, "no wildcard");
    assert_eq!(store.list_roles(page, None).await.unwrap().total, 2);

    store
        .grant_permissions(Holder::Role("rol_clerk"), &[permission("orders", "read"), permission("orders", "write")])
        .await
        .unwrap();
    store
        .grant_permissions(Holder::Role("rol_clerk"), &[permission("orders", "read")])
        .await
        .unwrap();
    store
        .grant_permissions(Holder::Role("rol_admin"), &[permission("orders", "delete"), permission("billing", "pay")])
        .await
        .unwrap();
    assert_eq!(store.role_permissions("rol_clerk", page).await.unwrap().total, 2);
    store
        .add_user_roles(&[
            (jane.user_id.clone(), "rol_clerk".into()),
            (jane.user_id.clone(), "rol_admin".into()),
            (ada.user_id.clone(), "rol_clerk".into()),
        ])
        .await
        .unwrap();
    store
        .grant_permissions(Holder::User(&jane.user_id), &[permission("orders", "read")])
        .await
        .unwrap();

    assert_eq!(
        store.effective_permissions(&jane.user_id, "orders").await.unwrap(),
        vec!["delete", "read", "write"]
    );
    assert_eq!(store.effective_permissions(&ada.user_id, "billing").await.unwrap(), Vec::<String>::new());
    let held = store.user_permissions(&jane.user_id, page).await.unwrap();
    assert_eq!(held.total, 4);
    let read = held
        .items
        .iter()
        .find(|h| h.permission == permission("orders", "read"))
        .unwrap();
    assert_eq!(
        read.sources,
        vec![
            PermissionSource::Direct,
            PermissionSource::Role { id: "rol_clerk".into(), name: "Order clerk".into() },
        ]
    );
    let members = store.role_members("rol_clerk", page).await.unwrap();
    assert_eq!(members.total, 2);
    assert_eq!(store.user_roles(&jane.user_id, page).await.unwrap().items[0].name, "Admin");

    // A scope removed from the API is held by nobody; the others stay.
    store.prune_permissions("orders", &["read".into(), "delete".into()]).await.unwrap();
    assert_eq!(
        store.effective_permissions(&jane.user_id, "orders").await.unwrap(),
        vec!["delete", "read"]
    );
    // Deleting a role takes it from its users; deleting an API or a user takes their rows.
    assert!(store.delete_role("rol_admin").await.unwrap());
    assert_eq!(store.effective_permissions(&jane.user_id, "orders").await.unwrap(), vec!["read"]);
    assert_eq!(store.user_roles(&jane.user_id, page).await.unwrap().total, 1);
    assert!(store.delete_api("orders").await.unwrap());
    assert_eq!(store.role_permissions("rol_clerk", page).await.unwrap().total, 0);
    assert_eq!(store.user_permissions(&jane.user_id, page).await.unwrap().total, 0);
    assert!(store.delete_user(&ada.user_id).await.unwrap());
    assert_eq!(store.role_members("rol_clerk", page).await.unwrap().total, 1);

    store
        .remove_user_roles(&[(jane.user_id.clone(), "rol_clerk".into())])
        .await
        .unwrap();
    assert_eq!(store.role_members("rol_clerk", page).await.unwrap().total, 0);
    let mut renamed = role("rol_clerk", "Clerk");
    renamed.updated_at = NOW.plus(5);
    assert!(store.update_role(&renamed).await.unwrap());
    assert_eq!(store.role("rol_clerk").await.unwrap().unwrap().name, "Clerk");
    assert!(!store.update_role(&role("rol_missing", "Nobody")).await.unwrap());
}

#[tokio::test]
async fn role_writes_of_several_rows_are_all_or_nothing() {
    let (store, _dir) = store().await;
    store.upsert_api(&rbac_api("orders", &["read", "write"]), NOW).await.unwrap();
    let jane = store.create_user(&new_user("jane", "auth0|jane"), NOW).await.unwrap();
    store.create_role(&role("rol_clerk", "Clerk")).await.unwrap();
    let page = Page { page: 0, per_page: 50 };

    // The second row names an API that does not exist: the first is not written either.
    let half_bad = [permission("orders", "read"), permission("nowhere", "read")];
    assert!(store.grant_permissions(Holder::Role("rol_clerk"), &half_bad).await.is_err());
    assert_eq!(store.role_permissions("rol_clerk", page).await.unwrap().total, 0);
    assert!(store.grant_permissions(Holder::User(&jane.user_id), &half_bad).await.is_err());
    assert_eq!(store.user_permissions(&jane.user_id, page).await.unwrap().total, 0);

    // The second pair names a user who does not exist.
    let pairs = [
        (jane.user_id.clone(), "rol_clerk".to_owned()),
        ("auth0|nobody".to_owned(), "rol_clerk".to_owned()),
    ];
    assert!(store.add_user_roles(&pairs).await.is_err());
    assert_eq!(store.role_members("rol_clerk", page).await.unwrap().total, 0);

    // Revoking a user's own permission leaves what they hold through a role.
    store
        .grant_permissions(Holder::Role("rol_clerk"), &[permission("orders", "read")])
        .await
        .unwrap();
    store.add_user_roles(&pairs[..1]).await.unwrap();
    store
        .grant_permissions(Holder::User(&jane.user_id), &[permission("orders", "read"), permission("orders", "write")])
        .await
        .unwrap();
    store
        .revoke_permissions(Holder::User(&jane.user_id), &[permission("orders", "read"), permission("orders", "write")])
        .await
        .unwrap();
    assert_eq!(store.effective_permissions(&jane.user_id, "orders").await.unwrap(), vec!["read"]);
    let held = store.user_permissions(&jane.user_id, page).await.unwrap();
    assert_eq!(held.total, 1);
    assert_eq!(
        held.items[0].sources,
        vec![PermissionSource::Role { id: "rol_clerk".into(), name: "Clerk".into() }]
    );
    store
        .revoke_permissions(Holder::Role("rol_clerk"), &[permission("orders", "read")])
        .await
        .unwrap();
    assert!(store.effective_permissions(&jane.user_id, "orders").await.unwrap().is_empty());
}

/// Opens what [`sealed_for`] sealed: the value reversed behind `sealed:{action}/{name}:`.
struct TestOpener;

impl tessera_store::SecretOpener for TestOpener {
    fn open_secret(&self, action_id: &str, name: &str, sealed: &str) -> Option<String> {
        let prefix = format!("sealed:{action_id}/{name}:");
        sealed
            .strip_prefix(&prefix)
            .map(|value| value.chars().rev().collect())
    }
}

fn sealed_for(action_id: &str, name: &str, value: &str) -> tessera_store::ActionSecret {
    tessera_store::ActionSecret {
        name: name.into(),
        sealed: format!("sealed:{action_id}/{name}:{}", value.chars().rev().collect::<String>()),
        updated_at: NOW,
    }
}

fn action(id: &str, name: &str, trigger: &str) -> tessera_store::Action {
    tessera_store::Action {
        id: id.into(),
        name: name.into(),
        draft: tessera_store::ActionCode {
            trigger_id: trigger.into(),
            trigger_version: "v3".into(),
            code: format!("// {name} v1"),
            runtime: "node18".into(),
            dependencies: r#"[{"name":"lodash","version":"4.17.21"}]"#.into(),
            secrets: vec![sealed_for(id, "API_KEY", "k-1")],
        },
        deployed_version: None,
        all_changes_deployed: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn binding(id: &str, trigger: &str, action_id: &str) -> tessera_store::ActionBinding {
    tessera_store::ActionBinding {
        id: id.into(),
        trigger_id: trigger.into(),
        action_id: action_id.into(),
        display_name: format!("{action_id} bound"),
        created_at: NOW,
        updated_at: NOW,
    }
}

#[tokio::test]
async fn actions_are_unique_by_name_and_listed_by_trigger_and_name() {
    let (store, _dir) = store().await;
    store.create_action(&action("a-1", "add-claims", "post-login")).await.unwrap();
    store.create_action(&action("a-2", "m2m-claims", "credentials-exchange")).await.unwrap();
    assert!(matches!(
        store.create_action(&action("a-3", "add-claims", "post-login")).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
    let page = Page { page: 0, per_page: 50 };
    let all = store.list_actions(page, None, None).await.unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items[0], action("a-1", "add-claims", "post-login"));
    let login = store.list_actions(page, Some("post-login"), None).await.unwrap();
    assert_eq!(login.items.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a-1"]);
    let named = store.list_actions(page, None, Some("m2m-claims")).await.unwrap();
    assert_eq!((named.total, named.items[0].id.as_str()), (1, "a-2"));
    assert_eq!(store.list_actions(page, Some("post-login"), Some("m2m-claims")).await.unwrap().total, 0);
    assert_eq!(store.action_by_name("m2m-claims").await.unwrap().unwrap().id, "a-2");

    let mut renamed = action("a-2", "add-claims", "credentials-exchange");
    assert!(matches!(
        store.update_action(&renamed).await,
        Err(tessera_store::StoreError::Conflict(_))
    ));
    renamed.name = "exchange-claims".into();
    renamed.draft.code = "// changed".into();
    renamed.updated_at = NOW.plus(5);
    assert!(store.update_action(&renamed).await.unwrap());
    assert_eq!(store.action("a-2").await.unwrap().unwrap(), renamed);
    renamed.id = "a-missing".into();
    assert!(!store.update_action(&renamed).await.unwrap());
}

#[tokio::test]
async fn deploying_snapshots_the_draft_into_numbered_immutable_versions() {
    let (store, _dir) = store().await;
    let mut draft = action("a-1", "add-claims", "post-login");
    store.create_action(&draft).await.unwrap();
    let first = store.deploy_action("a-1", "v-1", NOW.plus(1)).await.unwrap().unwrap();
    assert_eq!((first.id.as_str(), first.number, first.created_at), ("v-1", 1, NOW.plus(1)));
    assert_eq!(first.code, draft.draft);
    let deployed = store.action("a-1").await.unwrap().unwrap();
    assert_eq!((deployed.deployed_version, deployed.all_changes_deployed), (Some(1), true));

    draft.draft.code = "// add-claims v2".into();
    draft.draft.secrets = vec![sealed_for("a-1", "API_KEY", "k-2"), sealed_for("a-1", "OTHER", "o")];
    assert!(store.update_action(&draft).await.unwrap());
    let changed = store.action("a-1").await.unwrap().unwrap();
    assert_eq!((changed.deployed_version, changed.all_changes_deployed), (Some(1), false));
    assert_eq!(store.action_version("a-1", 1).await.unwrap().unwrap(), first, "immutable");

    let second = store.deploy_action("a-1", "v-2", NOW.plus(2)).await.unwrap().unwrap();
    assert_eq!((second.number, second.code.code.as_str()), (2, "// add-claims v2"));
    let page = Page { page: 0, per_page: 1 };
    let versions = store.action_versions("a-1", page).await.unwrap();
    assert_eq!((versions.total, versions.items[0].number), (2, 2), "newest first");
    assert!(store.deploy_action("a-missing", "v-3", NOW).await.unwrap().is_none());
    assert!(store.action_version("a-1", 3).await.unwrap().is_none());
}

#[tokio::test]
async fn deployed_bindings_run_each_bound_actions_deployed_version_in_order_with_secrets_opened() {
    let (store, _dir) = store().await;
    for (id, name) in [("a-1", "first"), ("a-2", "second"), ("a-3", "undeployed")] {
        store.create_action(&action(id, name, "post-login")).await.unwrap();
    }
    store.deploy_action("a-1", "v-1", NOW).await.unwrap();
    store.deploy_action("a-2", "v-2", NOW).await.unwrap();
    // A draft change after the deploy is not what runs.
    let mut changed = action("a-2", "second", "post-login");
    changed.draft.code = "// not deployed".into();
    store.update_action(&changed).await.unwrap();

    store
        .replace_bindings("post-login", &[binding("b-1", "post-login", "a-2"), binding("b-2", "post-login", "a-1")])
        .await
        .unwrap();
    let bound = store.bindings("post-login").await.unwrap();
    assert_eq!(bound.iter().map(|b| b.action_id.as_str()).collect::<Vec<_>>(), ["a-2", "a-1"]);
    assert_eq!(bound[0].display_name, "a-2 bound");
    assert_eq!(store.triggers_binding("a-1").await.unwrap(), ["post-login"]);

    let run = store.deployed_bindings("post-login", &TestOpener).await.unwrap();
    assert_eq!(run.len(), 2);
    assert_eq!((run[0].action_id.as_str(), run[0].name.as_str(), run[0].version_number), ("a-2", "second", 1));
    assert_eq!(run[0].code, "// second v1");
    assert_eq!(run[0].secrets, [("API_KEY".to_owned(), "k-1".to_owned())]);
    assert!(store.deployed_bindings("credentials-exchange", &TestOpener).await.unwrap().is_empty());

    // Replacing is whole: the new list, in its order, and nothing of the old.
    store.replace_bindings("post-login", &[binding("b-3", "post-login", "a-1")]).await.unwrap();
    assert_eq!(store.deployed_bindings("post-login", &TestOpener).await.unwrap()[0].action_id, "a-1");
    assert!(store.triggers_binding("a-2").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_secret_that_does_not_open_is_corrupt_not_skipped() {
    let (store, _dir) = store().await;
    let mut tampered = action("a-1", "tampered", "post-login");
    tampered.draft.secrets = vec![sealed_for("a-other", "API_KEY", "k")];
    store.create_action(&tampered).await.unwrap();
    store.deploy_action("a-1", "v-1", NOW).await.unwrap();
    store.replace_bindings("post-login", &[binding("b-1", "post-login", "a-1")]).await.unwrap();
    assert!(matches!(
        store.deployed_bindings("post-login", &TestOpener).await,
        Err(tessera_store::StoreError::Corrupt(message)) if message.contains("API_KEY")
    ));
}

#[tokio::test]
async fn a_bound_action_is_deleted_only_by_force_and_takes_its_versions_and_bindings() {
    let (store, _dir) = store().await;
    store.create_action(&action("a-1", "bound", "post-login")).await.unwrap();
    store.deploy_action("a-1", "v-1", NOW).await.unwrap();
    store.replace_bindings("post-login", &[binding("b-1", "post-login", "a-1")]).await.unwrap();
    use tessera_store::ActionDeletion;
    assert_eq!(store.delete_action("a-1", false).await.unwrap(), ActionDeletion::Bound);
    assert!(store.action("a-1").await.unwrap().is_some(), "nothing deleted");
    assert_eq!(store.delete_action("a-1", true).await.unwrap(), ActionDeletion::Deleted);
    assert!(store.bindings("post-login").await.unwrap().is_empty());
    assert!(store.action_version("a-1", 1).await.unwrap().is_none());
    assert_eq!(store.delete_action("a-1", true).await.unwrap(), ActionDeletion::NotFound);

    store.create_action(&action("a-2", "unbound", "post-login")).await.unwrap();
    assert_eq!(store.delete_action("a-2", false).await.unwrap(), ActionDeletion::Deleted);
}

#[tokio::test]
async fn bindings_naming_a_missing_action_write_none_of_the_list() {
    let (store, _dir) = store().await;
    store.create_action(&action("a-1", "kept", "post-login")).await.unwrap();
    store.deploy_action("a-1", "v-1", NOW).await.unwrap();
    store.replace_bindings("post-login", &[binding("b-1", "post-login", "a-1")]).await.unwrap();
    let replaced = store
        .replace_bindings("post-login", &[binding("b-2", "post-login", "a-1"), binding("b-3", "post-login", "a-gone")])
        .await;
    assert!(replaced.is_err());
    let bound = store.bindings("post-login").await.unwrap();
    assert_eq!(bound.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["b-1"]);
}

#[tokio::test]
async fn the_database_connection_keeps_the_options_it_is_given() {
    let (store, _dir) = store().await;
    let connection = store.database_connection().await.unwrap();
    assert_eq!(connection.options["passwordPolicy"], "low");
    assert_eq!(connection.options["password_dictionary"]["enable"], true);
    let mut options = connection.options.clone();
    options.insert("disable_signup".into(), serde_json::Value::Bool(true));
    assert!(store.set_connection_options(&connection.id, &options).await.unwrap());
    assert_eq!(store.database_connection().await.unwrap().options, options);
    assert!(!store.set_connection_options("con_missing", &options).await.unwrap());
}

#[tokio::test]
async fn previous_passwords_are_kept_newest_first_up_to_the_limit_and_go_with_the_user() {
    let (store, _dir) = store().await;
    store.create_user(&new_user("ada", "auth0|ada"), NOW).await.unwrap();
    let kept = tessera_store::PASSWORD_HISTORY_KEPT;
    for n in 0..kept + 3 {
        let hash = format!("hash {n}");
        store.remember_password("auth0|ada", &hash, NOW.plus(n as i64)).await.unwrap();
    }
    let newest = store.previous_passwords("auth0|ada", 2).await.unwrap();
    assert_eq!(newest, [format!("hash {}", kept + 2), format!("hash {}", kept + 1)]);
    let all = store.previous_passwords("auth0|ada", 100).await.unwrap();
    assert_eq!(all.len(), kept);
    assert_eq!(all.last().unwrap(), "hash 3");
    assert!(store.delete_user("auth0|ada").await.unwrap());
    assert!(store.previous_passwords("auth0|ada", 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tenant_setting_is_absent_until_set_and_then_replaced() {
    let (store, _dir) = store().await;
    assert_eq!(store.tenant_setting("branding").await.unwrap(), None);
    let first = serde_json::json!({ "logo_url": "https://example.com/a.png" });
    let second = serde_json::json!({ "colors": { "primary": "#112233" } });
    for value in [&first, &second] {
        let object = value.as_object().unwrap();
        store.set_tenant_setting("branding", object).await.unwrap();
        assert_eq!(store.tenant_setting("branding").await.unwrap().as_ref(), Some(object));
    }
}

#[tokio::test]
async fn a_user_ticket_is_taken_once_of_its_kind_and_never_after_it_expires() {
    use tessera_store::{TicketKind, UserTicket};
    let (store, _dir) = store().await;
    store.create_user(&new_user("tia", "auth0|tia"), NOW).await.unwrap();
    let ticket = UserTicket {
        kind: TicketKind::PasswordChange,
        user_id: "auth0|tia".into(),
        result_url: Some("https://app.example.com/done".into()),
        mark_email_verified: true,
        expires_at: NOW.plus(600),
    };
    let digest = SecretDigest::of("ticket secret");
    store.create_user_ticket(&digest, &ticket).await.unwrap();
    let other_kind = TicketKind::EmailVerification;
    assert_eq!(store.user_ticket(&digest, other_kind, NOW).await.unwrap(), None);
    assert_eq!(store.user_ticket(&digest, ticket.kind, NOW.plus(600)).await.unwrap(), None);
    assert_eq!(store.user_ticket(&digest, ticket.kind, NOW).await.unwrap().as_ref(), Some(&ticket));
    assert_eq!(store.take_user_ticket(&digest, ticket.kind, NOW).await.unwrap(), Some(ticket.clone()));
    assert_eq!(store.take_user_ticket(&digest, ticket.kind, NOW).await.unwrap(), None);

    let expired = SecretDigest::of("expired");
    store.create_user_ticket(&expired, &ticket).await.unwrap();
    assert_eq!(store.take_user_ticket(&expired, ticket.kind, NOW.plus(601)).await.unwrap(), None);
    let kept = SecretDigest::of("kept");
    store.create_user_ticket(&kept, &ticket).await.unwrap();
    assert!(store.delete_user("auth0|tia").await.unwrap());
    assert_eq!(store.user_ticket(&kept, ticket.kind, NOW).await.unwrap(), None);
}

/// A queued mail, created `at` seconds after NOW and due then, kept a week.
fn queued_email(id: &str, at: i64) -> tessera_store::Email {
    tessera_store::Email {
        id: id.into(),
        template: "verify_email".into(),
        recipient: format!("{id}@example.com"),
        subject: format!("Verify your email ({id})"),
        sealed_message: Some([&[0u8, 1, 255, 0][..], id.as_bytes()].concat()),
        status: tessera_store::EmailStatus::Queued,
        attempts: 0,
        next_attempt_at: NOW.plus(at),
        last_error: None,
        job_id: None,
        created_at: NOW.plus(at),
        updated_at: NOW.plus(at),
        expires_at: NOW.plus(at + 7 * 86_400),
    }
}

fn email_ids(emails: &[tessera_store::Email]) -> Vec<&str> {
    emails.iter().map(|e| e.id.as_str()).collect()
}

#[tokio::test]
async fn a_queued_email_round_trips_and_recent_emails_are_newest_first_and_limited() {
    use tessera_store::{Email, EmailStatus};
    let (store, _dir) = store().await;
    let first = Email {
        sealed_message: Some((0..=255u8).cycle().take(3000).collect()),
        attempts: 2,
        next_attempt_at: NOW.plus(90),
        last_error: Some("421 4.7.0 try again later".into()),
        job_id: Some("job_0123456789abcdef".into()),
        ..queued_email("email_aaaaaaaaaaaaaaaa", 0)
    };
    let second = Email {
        sealed_message: None,
        status: EmailStatus::Outbox,
        ..queued_email("email_bbbbbbbbbbbbbbbb", 10)
    };
    let third = Email {
        status: EmailStatus::Sent,
        ..queued_email("email_cccccccccccccccc", 20)
    };
    for email in [&first, &second, &third] {
        store.queue_email(email).await.unwrap();
    }
    for email in [&first, &second, &third] {
        assert_eq!(store.email(&email.id).await.unwrap().as_ref(), Some(email));
    }
    assert_eq!(store.email("email_missing").await.unwrap(), None);
    assert_eq!(
        store.recent_emails(2).await.unwrap(),
        [third.clone(), second.clone()]
    );
    assert_eq!(
        store.recent_emails(10).await.unwrap(),
        [third, second, first]
    );
    assert_eq!(store.recent_emails(0).await.unwrap(), []);
}

#[tokio::test]
async fn only_due_queued_emails_are_claimed_oldest_first_and_held_until_their_lease_ends() {
    use tessera_store::{Email, EmailStatus};
    let (store, _dir) = store().await;
    // Created in an order other than their due order: claiming goes by the due time.
    let due_at = |id: &str, created: i64, due: i64| Email {
        next_attempt_at: NOW.plus(due),
        ..queued_email(id, created)
    };
    let due = [
        due_at("email_due_1", 0, -30),
        due_at("email_due_2", -50, -20),
        due_at("email_due_3", -40, 0),
    ];
    let future = queued_email("email_future", 1);
    let done = [
        (EmailStatus::Sent, "email_sent"),
        (EmailStatus::Failed, "email_failed"),
        (EmailStatus::Outbox, "email_outbox"),
    ]
    .map(|(status, id)| Email {
        status,
        ..queued_email(id, -100)
    });
    for email in due.iter().chain([&future]).chain(&done) {
        store.queue_email(email).await.unwrap();
    }

    let lease = NOW.plus(300);
    let claimed = store.claim_due_emails(NOW, lease, 2).await.unwrap();
    let mut ids = email_ids(&claimed);
    ids.sort_unstable();
    assert_eq!(ids, ["email_due_1", "email_due_2"], "the two due first");
    for email in &claimed {
        let queued = due.iter().find(|d| d.id == email.id).unwrap();
        let expected = Email {
            next_attempt_at: email.next_attempt_at,
            ..queued.clone()
        };
        assert_eq!(email, &expected, "a claimed mail is the one queued");
        let stored = store.email(&email.id).await.unwrap().unwrap();
        assert_eq!(
            stored,
            Email {
                next_attempt_at: lease,
                ..queued.clone()
            }
        );
    }
    assert_eq!(
        email_ids(&store.claim_due_emails(NOW, lease, 10).await.unwrap()),
        ["email_due_3"],
        "due exactly now, not the leased ones, the future one or those done"
    );
    assert_eq!(store.claim_due_emails(NOW, lease, 10).await.unwrap(), []);
    assert_eq!(
        email_ids(
            &store
                .claim_due_emails(NOW.plus(1), NOW.plus(301), 10)
                .await
                .unwrap()
        ),
        ["email_future"]
    );
    assert_eq!(
        store
            .claim_due_emails(NOW.plus(299), NOW.plus(600), 10)
            .await
            .unwrap(),
        []
    );

    // Once the lease has run out (no one updated them), the mails can be claimed again.
    let again = store
        .claim_due_emails(lease, NOW.plus(600), 10)
        .await
        .unwrap();
    let mut ids = email_ids(&again);
    ids.sort_unstable();
    assert_eq!(ids, ["email_due_1", "email_due_2", "email_due_3"]);
    for email in &due {
        let stored = store.email(&email.id).await.unwrap().unwrap();
        assert_eq!(stored.next_attempt_at, NOW.plus(600));
    }
    for email in &done {
        assert_eq!(
            store.email(&email.id).await.unwrap().as_ref(),
            Some(email),
            "untouched"
        );
    }
    assert_eq!(
        store
            .claim_due_emails(NOW.plus(10_000), NOW.plus(10_300), 0)
            .await
            .unwrap(),
        []
    );
}

#[tokio::test]
async fn concurrent_claims_never_hand_out_the_same_email_twice() {
    let (store, _dir) = store().await;
    for round in 0..5i64 {
        let now = NOW.plus(round * 1000);
        // Far ahead, so the mails of earlier rounds are not due again.
        let lease = now.plus(1_000_000);
        let mut queued = Vec::new();
        for i in 0..30 {
            let email = queued_email(&format!("email_r{round}_{i:02}"), round * 1000 - 30 + i);
            store.queue_email(&email).await.unwrap();
            queued.push(email.id);
        }
        let (a, b) = tokio::join!(
            store.claim_due_emails(now, lease, 20),
            store.claim_due_emails(now, lease, 20)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.len() <= 20 && b.len() <= 20);
        let mut ids: Vec<String> = a.iter().chain(&b).map(|e| e.id.clone()).collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            total,
            "a mail was claimed twice in round {round}"
        );
        assert!(total > 0, "round {round}");
        // What neither took is still there to claim, and nothing else.
        let rest = store.claim_due_emails(now, lease, 30).await.unwrap();
        ids.extend(rest.iter().map(|e| e.id.clone()));
        ids.sort_unstable();
        assert_eq!(ids, queued, "round {round}");
        for id in &queued {
            let stored = store.email(id).await.unwrap().unwrap();
            assert_eq!(stored.next_attempt_at, lease);
        }
    }
}

#[tokio::test]
async fn updating_an_email_writes_what_the_attempt_did() {
    use tessera_store::{Email, EmailStatus};
    let (store, _dir) = store().await;
    let email = Email {
        job_id: Some("job_0123456789abcdef".into()),
        ..queued_email("email_updated", 0)
    };
    let other = queued_email("email_other", 0);
    store.queue_email(&email).await.unwrap();
    store.queue_email(&other).await.unwrap();

    let retried = Email {
        attempts: 1,
        next_attempt_at: NOW.plus(60),
        last_error: Some("421 4.3.0 mailbox busy".into()),
        updated_at: NOW.plus(1),
        ..email.clone()
    };
    store.update_email(&retried).await.unwrap();
    assert_eq!(
        store.email(&email.id).await.unwrap().as_ref(),
        Some(&retried)
    );

    let sent = Email {
        status: EmailStatus::Sent,
        attempts: 2,
        next_attempt_at: NOW.plus(61),
        last_error: None,
        sealed_message: None,
        updated_at: NOW.plus(61),
        expires_at: NOW.plus(61 + 7 * 86_400),
        ..retried.clone()
    };
    store.update_email(&sent).await.unwrap();
    assert_eq!(store.email(&email.id).await.unwrap().as_ref(), Some(&sent));

    let failed = Email {
        status: EmailStatus::Failed,
        attempts: 3,
        last_error: Some("550 5.1.1 no such user".into()),
        updated_at: NOW.plus(62),
        ..sent
    };
    store.update_email(&failed).await.unwrap();
    assert_eq!(store.email(&email.id).await.unwrap(), Some(failed));
    assert_eq!(
        store.email(&other.id).await.unwrap(),
        Some(other),
        "only that mail"
    );
}

#[tokio::test]
async fn housekeeping_purges_emails_once_they_expire() {
    use tessera_store::Email;
    let (store, _dir) = store().await;
    let expiring = ["email_expiring_1", "email_expiring_2"].map(|id| Email {
        expires_at: NOW.plus(100),
        ..queued_email(id, 0)
    });
    let kept = Email {
        expires_at: NOW.plus(101),
        ..queued_email("email_kept", 0)
    };
    for email in expiring.iter().chain([&kept]) {
        store.queue_email(email).await.unwrap();
    }
    assert_eq!(
        rows(purge_all(&store, NOW.plus(99), NOW, 10).await),
        0,
        "not yet expired"
    );
    assert_eq!(
        store
            .purge_expired(Expiring::Emails, NOW.plus(100), NOW, 1)
            .await
            .unwrap(),
        1,
        "one batch"
    );
    let purged = purge_all(&store, NOW.plus(100), NOW, 10).await;
    assert_eq!(rows(purged.clone()), 1, "{purged:?}");
    assert!(purged.contains(&("emails", 1)), "{purged:?}");
    for email in &expiring {
        assert_eq!(store.email(&email.id).await.unwrap(), None);
    }
    assert_eq!(store.email(&kept.id).await.unwrap(), Some(kept.clone()));
    assert_eq!(store.recent_emails(10).await.unwrap(), [kept]);
}

#[tokio::test]
async fn a_verification_email_job_round_trips_and_completes() {
    use tessera_store::{Job, JobKind, JobStatus};
    let (store, _dir) = store().await;
    let connection = store.database_connection().await.unwrap();
    let job = Job {
        id: "job_0123456789abcdef".into(),
        kind: JobKind::VerificationEmail,
        status: JobStatus::Pending,
        connection_id: connection.id,
        external_id: None,
        upsert: false,
        send_completion_email: false,
        position: 0,
        inserted: 0,
        updated: 0,
        failed: 0,
        failure: None,
        settings: r#"{"user_id":"auth0|ada"}"#.into(),
        file_key: None,
        created_at: NOW,
        updated_at: NOW,
        completed_at: None,
    };
    store.create_job(&job).await.unwrap();
    assert_eq!(store.job(&job.id).await.unwrap().as_ref(), Some(&job));
    assert_eq!(
        store.recent_jobs(10).await.unwrap(),
        std::slice::from_ref(&job)
    );
    store
        .set_job_status(&job.id, JobStatus::Completed, None, NOW.plus(5))
        .await
        .unwrap();
    let completed = Job {
        status: JobStatus::Completed,
        updated_at: NOW.plus(5),
        completed_at: Some(NOW.plus(5)),
        ..job
    };
    assert_eq!(store.job(&completed.id).await.unwrap(), Some(completed));
}

fn authenticator(
    id: &str,
    user_id: &str,
    kind: tessera_store::AuthenticatorKind,
    confirmed: bool,
    at: i64,
) -> tessera_store::Authenticator {
    tessera_store::Authenticator {
        id: id.into(),
        user_id: user_id.into(),
        kind,
        secret: id.as_bytes().to_vec(),
        name: None,
        confirmed,
        created_at: Timestamp(at),
        last_auth_at: None,
        last_step: None,
        credential_id: None,
    }
}

/// Two users, `auth0|u1` (jane) and `auth0|u2` (john), for the MFA cases.
async fn two_users(store: &Arc<dyn Store>) {
    store
        .create_user(&new_user("jane", "auth0|u1"), NOW)
        .await
        .unwrap();
    store
        .create_user(&new_user("john", "auth0|u2"), NOW)
        .await
        .unwrap();
}

fn authenticator_ids(list: &[tessera_store::Authenticator]) -> Vec<&str> {
    list.iter().map(|a| a.id.as_str()).collect()
}

#[tokio::test]
async fn beginning_an_enrollment_again_replaces_only_the_users_unfinished_one() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let first = authenticator("totp|dev_first", "auth0|u1", Totp, false, NOW.0);
    store.begin_enrollment(&first).await.unwrap();
    assert!(store
        .confirm_enrollment("auth0|u1", &first.id, 10, NOW)
        .await
        .unwrap());
    let code = authenticator("recovery-code|dev_1", "auth0|u1", RecoveryCode, true, NOW.0 + 1);
    store.save_recovery_code(&code).await.unwrap();
    let johns = authenticator("totp|dev_johns", "auth0|u2", Totp, false, NOW.0 + 2);
    store.begin_enrollment(&johns).await.unwrap();
    let left = authenticator("totp|dev_left", "auth0|u1", Totp, false, NOW.0 + 3);
    store.begin_enrollment(&left).await.unwrap();
    let again = authenticator("totp|dev_again", "auth0|u1", Totp, false, NOW.0 + 4);
    store.begin_enrollment(&again).await.unwrap();
    let janes = store.authenticators("auth0|u1").await.unwrap();
    assert_eq!(
        authenticator_ids(&janes),
        ["totp|dev_first", "recovery-code|dev_1", "totp|dev_again"],
        "the unfinished one is replaced; the confirmed app and the recovery code stay, oldest first"
    );
    assert_eq!(janes[2], again, "stored as given");
    assert_eq!(
        authenticator_ids(&store.authenticators("auth0|u2").await.unwrap()),
        ["totp|dev_johns"],
        "another user's enrollment is theirs"
    );
}

#[tokio::test]
async fn an_enrollment_is_confirmed_once_and_only_by_its_user() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let app = authenticator("totp|dev_app", "auth0|u1", Totp, false, NOW.0);
    store.begin_enrollment(&app).await.unwrap();
    assert!(!store
        .confirm_enrollment("auth0|u2", &app.id, 10, NOW)
        .await
        .unwrap());
    assert!(!store
        .confirm_enrollment("auth0|u1", "totp|dev_none", 10, NOW)
        .await
        .unwrap());
    assert!(store
        .confirm_enrollment("auth0|u1", &app.id, 10, NOW.plus(1))
        .await
        .unwrap());
    assert!(!store
        .confirm_enrollment("auth0|u1", &app.id, 11, NOW.plus(2))
        .await
        .unwrap());
    let confirmed = store.authenticators("auth0|u1").await.unwrap();
    assert!(confirmed[0].confirmed);
    assert_eq!(
        confirmed[0].last_step,
        Some(10),
        "the first step is used up"
    );
    assert_eq!(confirmed[0].last_auth_at, Some(NOW.plus(1)));
}

#[tokio::test]
async fn a_totp_step_is_accepted_once_and_never_an_older_one() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let app = authenticator("totp|dev_app", "auth0|u1", Totp, false, NOW.0);
    store.begin_enrollment(&app).await.unwrap();
    assert!(
        !store.accept_totp_step(&app.id, 9, NOW).await.unwrap(),
        "not before it is confirmed"
    );
    assert!(store
        .confirm_enrollment("auth0|u1", &app.id, 10, NOW)
        .await
        .unwrap());
    assert!(
        !store.accept_totp_step(&app.id, 10, NOW).await.unwrap(),
        "the same step"
    );
    assert!(
        !store.accept_totp_step(&app.id, 9, NOW).await.unwrap(),
        "an older step"
    );
    assert!(store
        .accept_totp_step(&app.id, 12, NOW.plus(60))
        .await
        .unwrap());
    assert!(!store
        .accept_totp_step(&app.id, 11, NOW.plus(60))
        .await
        .unwrap());
    assert!(!store
        .accept_totp_step(&app.id, 12, NOW.plus(60))
        .await
        .unwrap());
    let used = &store.authenticators("auth0|u1").await.unwrap()[0];
    assert_eq!(
        (used.last_step, used.last_auth_at),
        (Some(12), Some(NOW.plus(60)))
    );
    assert!(!store
        .accept_totp_step("totp|dev_none", 13, NOW)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_passkey_belongs_to_one_account_and_each_counter_value_is_used_once() {
    use tessera_store::AuthenticatorKind::Passkey;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let mut janes = authenticator("passkey|dev_janes", "auth0|u1", Passkey, true, NOW.0);
    janes.credential_id = Some("Y3JlZGVudGlhbA".into());
    janes.secret = br#"{"counter":1}"#.to_vec();
    assert!(store.add_passkey(&janes).await.unwrap());
    let mut johns = authenticator("passkey|dev_johns", "auth0|u2", Passkey, true, NOW.0);
    johns.credential_id = janes.credential_id.clone();
    assert!(
        !store.add_passkey(&johns).await.unwrap(),
        "a credential registered to one account is refused for another"
    );
    assert_eq!(
        store.passkey("Y3JlZGVudGlhbA").await.unwrap(),
        Some(janes.clone())
    );
    assert_eq!(store.passkey("b3RoZXI").await.unwrap(), None);
    assert!(store.authenticators("auth0|u2").await.unwrap().is_empty());

    let (first, second) = (br#"{"counter":2}"#, br#"{"counter":3}"#);
    assert!(store
        .record_passkey_use(&janes.id, &janes.secret, first, NOW.plus(5))
        .await
        .unwrap());
    assert!(
        !store
            .record_passkey_use(&janes.id, &janes.secret, second, NOW.plus(6))
            .await
            .unwrap(),
        "a use from the old counter value lost the race"
    );
    let used = store.passkey("Y3JlZGVudGlhbA").await.unwrap().unwrap();
    assert_eq!(used.secret, first.to_vec());
    assert_eq!(used.last_auth_at, Some(NOW.plus(5)));
    assert!(store.delete_authenticator("auth0|u1", &janes.id).await.unwrap());
    assert!(!store
        .record_passkey_use(&janes.id, first, second, NOW.plus(7))
        .await
        .unwrap());
    assert_eq!(store.passkey("Y3JlZGVudGlhbA").await.unwrap(), None);
    let mut again = johns.clone();
    again.id = "passkey|dev_again".into();
    assert!(
        store.add_passkey(&again).await.unwrap(),
        "a removed passkey's credential can be registered again"
    );
}

#[tokio::test]
async fn racing_uses_of_one_totp_step_have_exactly_one_winner() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let app = authenticator("totp|dev_app", "auth0|u1", Totp, false, NOW.0);
    store.begin_enrollment(&app).await.unwrap();
    assert!(store
        .confirm_enrollment("auth0|u1", &app.id, 10, NOW)
        .await
        .unwrap());
    let attempts = (0..32).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .accept_totp_step("totp|dev_app", 11, NOW)
                .await
                .unwrap()
        })
    });
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn a_recovery_code_is_redeemed_once_by_its_user_and_a_new_one_replaces_it() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let old = authenticator("recovery-code|dev_old", "auth0|u1", RecoveryCode, true, NOW.0);
    store.save_recovery_code(&old).await.unwrap();
    let code = authenticator("recovery-code|dev_new", "auth0|u1", RecoveryCode, true, NOW.0 + 1);
    store.save_recovery_code(&code).await.unwrap();
    assert_eq!(
        authenticator_ids(&store.authenticators("auth0|u1").await.unwrap()),
        ["recovery-code|dev_new"],
        "one recovery code at a time"
    );
    assert!(
        !store.redeem_recovery_code("auth0|u1", &old.secret).await.unwrap(),
        "replaced"
    );
    assert!(
        !store
            .redeem_recovery_code("auth0|u2", &code.secret)
            .await
            .unwrap(),
        "not john's"
    );
    assert!(store
        .redeem_recovery_code("auth0|u1", &code.secret)
        .await
        .unwrap());
    assert!(
        !store
            .redeem_recovery_code("auth0|u1", &code.secret)
            .await
            .unwrap(),
        "used up"
    );
    assert!(store.authenticators("auth0|u1").await.unwrap().is_empty());
}

#[tokio::test]
async fn authenticators_are_deleted_only_by_their_user_and_go_with_the_user() {
    use tessera_store::AuthenticatorKind::*;
    let (store, _dir) = store().await;
    two_users(&store).await;
    for (id, user, at) in [
        ("totp|dev_j1", "auth0|u1", 0),
        ("totp|dev_j2", "auth0|u1", 1),
        ("totp|dev_b1", "auth0|u2", 2),
    ] {
        let app = authenticator(id, user, Totp, false, NOW.0 + at);
        store.begin_enrollment(&app).await.unwrap();
        assert!(store.confirm_enrollment(user, id, 10, NOW).await.unwrap());
    }
    let code = authenticator("recovery-code|dev_j", "auth0|u1", RecoveryCode, true, NOW.0 + 3);
    store.save_recovery_code(&code).await.unwrap();
    assert!(
        !store
            .delete_authenticator("auth0|u1", "totp|dev_b1")
            .await
            .unwrap(),
        "john's"
    );
    assert!(store
        .delete_authenticator("auth0|u1", "totp|dev_j1")
        .await
        .unwrap());
    assert!(
        !store
            .delete_authenticator("auth0|u1", "totp|dev_j1")
            .await
            .unwrap(),
        "gone"
    );
    assert_eq!(
        authenticator_ids(&store.authenticators("auth0|u1").await.unwrap()),
        ["totp|dev_j2", "recovery-code|dev_j"]
    );
    assert_eq!(store.delete_authenticators("auth0|u1").await.unwrap(), 2);
    assert_eq!(store.delete_authenticators("auth0|u1").await.unwrap(), 0);
    assert_eq!(
        store.authenticators("auth0|u2").await.unwrap().len(),
        1,
        "john's stay"
    );
    assert!(store.delete_user("auth0|u2").await.unwrap());
    assert!(
        store.authenticators("auth0|u2").await.unwrap().is_empty(),
        "a deleted user's authenticators go with them"
    );
    // The rows are gone, not hidden: the id is free again.
    store
        .create_user(&new_user("john", "auth0|u2"), NOW)
        .await
        .unwrap();
    let reused = authenticator("totp|dev_b1", "auth0|u2", Totp, false, NOW.0);
    store.begin_enrollment(&reused).await.unwrap();
}
/// A users import job, processing, made in the store.
async fn import_job(store: &Arc<dyn Store>, id: &str, upsert: bool) -> tessera_store::Job {
    use tessera_store::{Job, JobKind, JobStatus};
    let job = Job {
        id: id.into(),
        kind: JobKind::UsersImport,
        status: JobStatus::Processing,
        connection_id: store.database_connection().await.unwrap().id,
        external_id: None,
        upsert,
        send_completion_email: false,
        position: 0,
        inserted: 0,
        updated: 0,
        failed: 0,
        failure: None,
        settings: "{}".into(),
        file_key: None,
        created_at: NOW,
        updated_at: NOW,
        completed_at: None,
    };
    store.create_job(&job).await.unwrap();
    job
}

/// The `index`th entry of an import file: `user`, with the authenticator app `totp` (its id
/// doubles as its sealed secret), if any.
fn imported(index: u64, user: NewUser, totp: Option<&str>) -> tessera_store::ImportedUser {
    tessera_store::ImportedUser {
        index,
        entry: format!(r#"{{"email": "{}"}}"#, user.email),
        user,
        blocked: false,
        totp: totp.map(|id| tessera_store::ImportedTotp {
            id: id.into(),
            secret: id.as_bytes().to_vec(),
        }),
    }
}

fn refuse(user: &tessera_store::ImportedUser) -> tessera_store::JobError {
    tessera_store::JobError {
        index: user.index,
        user: user.entry.clone(),
        errors: r#"[{"code": "DUPLICATED_USER"}]"#.into(),
    }
}

#[tokio::test]
async fn an_import_batch_writes_users_with_their_authenticator_apps_and_refused_ones_with_neither() {
    use tessera_store::AuthenticatorKind::*;
    use tessera_store::ImportBatch;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let job = import_job(&store, "job_import00000001", false).await;
    let batch = ImportBatch {
        users: vec![
            imported(1, new_user("ada", "auth0|ada"), Some("totp|dev_ada")),
            imported(2, new_user("jane", "auth0|jane"), Some("totp|dev_refused")),
            imported(3, new_user("bob", "auth0|bob"), None),
        ],
        errors: Vec::new(),
        entries: 3,
    };
    let committed = store
        .commit_import_batch(&job, &batch, &refuse, NOW.plus(1), NOW.plus(60))
        .await
        .unwrap();
    assert_eq!(
        (
            committed.position,
            committed.inserted,
            committed.updated,
            committed.failed
        ),
        (3, 2, 0, 1)
    );
    assert_eq!(
        store.authenticators("auth0|ada").await.unwrap(),
        [authenticator(
            "totp|dev_ada",
            "auth0|ada",
            Totp,
            true,
            NOW.0 + 1
        )],
        "the new user's app, confirmed and sealed as given, with them"
    );
    assert!(
        store
            .accept_totp_step("totp|dev_ada", 5, NOW.plus(2))
            .await
            .unwrap(),
        "usable at once"
    );
    assert!(store.authenticators("auth0|bob").await.unwrap().is_empty());
    assert_eq!(
        store.job_errors(&job.id).await.unwrap(),
        [refuse(&batch.users[1])]
    );
    assert!(
        store.authenticators("auth0|u1").await.unwrap().is_empty(),
        "a refused entry's app is given to no one"
    );
    assert!(store.user("auth0|jane").await.unwrap().is_none());
}

#[tokio::test]
async fn an_upserting_import_batch_gives_the_matched_user_the_app_unless_they_have_one() {
    use tessera_store::AuthenticatorKind::*;
    use tessera_store::ImportBatch;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let enrolled = authenticator("totp|dev_enrolled", "auth0|u1", Totp, true, NOW.0);
    store.begin_enrollment(&enrolled).await.unwrap();
    let unfinished = authenticator("totp|dev_unfinished", "auth0|u2", Totp, false, NOW.0);
    store.begin_enrollment(&unfinished).await.unwrap();
    let job = import_job(&store, "job_import00000002", true).await;
    // Matched by email: the entries' ids are not the users'.
    let batch = ImportBatch {
        users: vec![
            imported(
                1,
                new_user("jane", "auth0|jane"),
                Some("totp|dev_file_jane"),
            ),
            imported(
                2,
                new_user("john", "auth0|john"),
                Some("totp|dev_file_john"),
            ),
        ],
        errors: Vec::new(),
        entries: 2,
    };
    let committed = store
        .commit_import_batch(&job, &batch, &refuse, NOW.plus(1), NOW.plus(60))
        .await
        .unwrap();
    assert_eq!(
        (committed.inserted, committed.updated, committed.failed),
        (0, 2, 0)
    );
    assert_eq!(
        store.authenticators("auth0|u1").await.unwrap(),
        [enrolled],
        "the app jane enrolled stays; the file's is not added"
    );
    assert_eq!(
        store.authenticators("auth0|u2").await.unwrap(),
        [authenticator(
            "totp|dev_file_john",
            "auth0|u2",
            Totp,
            true,
            NOW.0 + 1
        )],
        "john, who had none confirmed, gets the file's in place of his unfinished one"
    );
    assert!(store.user("auth0|john").await.unwrap().is_none());
}

#[tokio::test]
async fn an_import_batch_that_fails_writes_no_user_no_authenticator_and_no_progress() {
    use tessera_store::AuthenticatorKind::*;
    use tessera_store::ImportBatch;
    let (store, _dir) = store().await;
    two_users(&store).await;
    let taken = authenticator("totp|dev_taken", "auth0|u1", Totp, true, NOW.0);
    store.begin_enrollment(&taken).await.unwrap();
    let job = import_job(&store, "job_import00000003", false).await;
    // The second entry's authenticator cannot be written (its id is taken): nothing is.
    let batch = ImportBatch {
        users: vec![
            imported(1, new_user("ada", "auth0|ada"), Some("totp|dev_ada")),
            imported(2, new_user("bob", "auth0|bob"), Some("totp|dev_taken")),
            imported(3, new_user("jane", "auth0|jane"), None),
        ],
        errors: Vec::new(),
        entries: 3,
    };
    assert!(store
        .commit_import_batch(&job, &batch, &refuse, NOW.plus(1), NOW.plus(60))
        .await
        .is_err());
    for user in ["auth0|ada", "auth0|bob"] {
        assert!(store.user(user).await.unwrap().is_none(), "{user}");
        assert!(
            store.authenticators(user).await.unwrap().is_empty(),
            "{user}"
        );
    }
    assert_eq!(store.authenticators("auth0|u1").await.unwrap(), [taken]);
    assert!(store.job_errors(&job.id).await.unwrap().is_empty());
    let unchanged = store.job(&job.id).await.unwrap().unwrap();
    assert_eq!(
        (unchanged.position, unchanged.inserted, unchanged.failed),
        (0, 0, 0)
    );
    // The job resumes at the same batch, which then writes both.
    let batch = ImportBatch {
        users: vec![imported(
            1,
            new_user("ada", "auth0|ada"),
            Some("totp|dev_ada"),
        )],
        errors: Vec::new(),
        entries: 1,
    };
    store
        .commit_import_batch(&unchanged, &batch, &refuse, NOW.plus(2), NOW.plus(60))
        .await
        .unwrap();
    assert_eq!(
        authenticator_ids(&store.authenticators("auth0|ada").await.unwrap()),
        ["totp|dev_ada"]
    );
}

fn oidc_connection(id: &str, name: &str) -> Connection {
    Connection {
        id: id.into(),
        name: name.into(),
        display_name: String::new(),
        strategy: "oidc".into(),
        options: serde_json::from_str(r#"{"client_id":"c","issuer":"https://idp.example"}"#)
            .unwrap(),
        sealed_secret: Some("v1:sealed".into()),
        created_at: NOW,
    }
}

#[tokio::test]
async fn connections_round_trip_and_names_are_unique() {
    let (store, _dir) = store().await;
    let database = store.database_connection().await.unwrap();
    assert_eq!(database.name, DATABASE_CONNECTION);
    let corp = oidc_connection("con_corp", "corp");
    store.create_connection(&corp).await.unwrap();
    assert!(matches!(
        store.create_connection(&oidc_connection("con_other", "corp")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.connection("con_corp").await.unwrap(), Some(corp.clone()));
    assert_eq!(store.connection_named("corp").await.unwrap(), Some(corp.clone()));
    let names: Vec<String> = store
        .connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, [DATABASE_CONNECTION, "corp"]);

    let mut changed = corp.clone();
    changed.display_name = "Corp".into();
    changed.sealed_secret = None;
    assert!(store.update_connection(&changed).await.unwrap());
    assert_eq!(store.connection("con_corp").await.unwrap(), Some(changed));

    // The database connection is never deleted.
    assert!(!store.delete_connection(&database.id).await.unwrap());
    assert!(store.delete_connection("con_corp").await.unwrap());
    assert!(!store.delete_connection("con_corp").await.unwrap());
    assert!(store.connection("con_corp").await.unwrap().is_none());
}

#[tokio::test]
async fn a_connection_serves_the_applications_it_is_enabled_for() {
    let (store, _dir) = store().await;
    store.create_connection(&oidc_connection("con_a", "a")).await.unwrap();
    store.create_connection(&oidc_connection("con_b", "b")).await.unwrap();
    let enable = |id: &str, on: bool| (id.to_owned(), on);
    store
        .set_enabled_clients("con_a", &[enable("web", true), enable("spa", true)])
        .await
        .unwrap();
    store.set_enabled_clients("con_b", &[enable("web", true)]).await.unwrap();
    // Enabling twice is no error.
    store.set_enabled_clients("con_b", &[enable("web", true)]).await.unwrap();
    assert_eq!(store.enabled_clients("con_a").await.unwrap(), ["spa", "web"]);
    let names = |connections: Vec<Connection>| -> Vec<String> {
        connections.into_iter().map(|c| c.name).collect()
    };
    assert_eq!(names(store.connections_of_client("web").await.unwrap()), ["a", "b"]);
    store
        .set_enabled_clients("con_a", &[enable("web", false)])
        .await
        .unwrap();
    assert_eq!(names(store.connections_of_client("web").await.unwrap()), ["b"]);
    assert_eq!(names(store.connections_of_client("spa").await.unwrap()), ["a"]);
    store.delete_connection("con_a").await.unwrap();
    assert!(store.connections_of_client("spa").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_federated_user_shares_an_email_with_a_database_user_and_goes_with_its_connection() {
    let (store, _dir) = store().await;
    store.create_user(&new_user("jane", "auth0|1"), NOW).await.unwrap();
    store.create_connection(&oidc_connection("con_corp", "corp")).await.unwrap();
    let mut federated = new_user("", "oidc|corp|sub-1");
    federated.email = "jane@example.com".into();
    federated.password_hash = "!".into();
    let identity = NewIdentity {
        connection_id: "con_corp".into(),
        upstream_id: "sub-1".into(),
        profile: serde_json::from_str(r#"{"email":"jane@example.com"}"#).unwrap(),
    };
    store
        .create_federated_user(&federated, &identity, NOW)
        .await
        .unwrap();
    // A second user with no username, and the same identity refused.
    let mut other = new_user("", "oidc|corp|sub-2");
    other.email = "jane@example.com".into();
    let second = NewIdentity {
        upstream_id: "sub-2".into(),
        ..identity.clone()
    };
    store.create_federated_user(&other, &second, NOW).await.unwrap();
    let mut again = new_user("", "oidc|corp|sub-3");
    again.email = "x@example.com".into();
    assert!(matches!(
        store.create_federated_user(&again, &identity, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.user("oidc|corp|sub-3").await.unwrap().is_none(), "one transaction");

    // Database users stay unique by username and email; logins find only them.
    let mut clash = new_user("jane2", "auth0|2");
    clash.email = "jane@example.com".into();
    assert!(matches!(
        store.create_user(&clash, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.user_by_login("jane@example.com").await.unwrap().unwrap().user_id,
        "auth0|1"
    );
    assert_eq!(store.users_by_email("jane@example.com").await.unwrap().len(), 3);

    let found = store.identity("con_corp", "sub-1").await.unwrap().unwrap();
    assert_eq!(found.user_id, "oidc|corp|sub-1");
    assert_eq!(found.connection_name, "corp");
    assert_eq!(found.strategy, "oidc");
    let profile: tessera_store::JsonObject =
        serde_json::from_str(r#"{"email":"jane@new.example"}"#).unwrap();
    assert!(store
        .update_identity_profile("con_corp", "sub-1", &profile)
        .await
        .unwrap());
    let identities = store.identities_of("oidc|corp|sub-1").await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].profile, profile);

    store.delete_connection("con_corp").await.unwrap();
    assert!(store.user("oidc|corp|sub-1").await.unwrap().is_none());
    assert!(store.identity("con_corp", "sub-1").await.unwrap().is_none());
    assert!(store.user("auth0|1").await.unwrap().is_some());
}

#[tokio::test]
async fn linking_moves_identities_to_the_primary_and_unlinking_gives_one_back() {
    let (store, _dir) = store().await;
    store.create_user(&new_user("jane", "auth0|1"), NOW).await.unwrap();
    store.create_connection(&oidc_connection("con_corp", "corp")).await.unwrap();
    let mut federated = new_user("", "oidc|corp|sub-1");
    federated.email = "jane@corp.example".into();
    let identity = NewIdentity {
        connection_id: "con_corp".into(),
        upstream_id: "sub-1".into(),
        profile: tessera_store::JsonObject::new(),
    };
    store
        .create_federated_user(&federated, &identity, NOW)
        .await
        .unwrap();
    assert!(!store.link_user("auth0|1", "oidc|corp|nobody").await.unwrap());
    assert!(store.link_user("auth0|1", "oidc|corp|sub-1").await.unwrap());
    assert!(store.user("oidc|corp|sub-1").await.unwrap().is_none());
    let held = store.identity("con_corp", "sub-1").await.unwrap().unwrap();
    assert_eq!(held.user_id, "auth0|1");
    assert_eq!(store.identities_of("auth0|1").await.unwrap().len(), 1);

    // Only the user that holds it gives it back.
    assert!(!store
        .unlink_identity("auth0|9", "con_corp", "sub-1", &federated, NOW)
        .await
        .unwrap());
    assert!(store.user("oidc|corp|sub-1").await.unwrap().is_none(), "rolled back");
    assert!(store
        .unlink_identity("auth0|1", "con_corp", "sub-1", &federated, NOW)
        .await
        .unwrap());
    let back = store.identity("con_corp", "sub-1").await.unwrap().unwrap();
    assert_eq!(back.user_id, "oidc|corp|sub-1");
    assert!(store.identities_of("auth0|1").await.unwrap().is_empty());
    assert_eq!(
        store.user("oidc|corp|sub-1").await.unwrap().unwrap().email,
        "jane@corp.example"
    );
}
