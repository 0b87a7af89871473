//! The admin service called directly, as the Dashboard and the CLI call it, on a temporary
//! SQLite store: scopes are the service's to check, lists page through everything, and each
//! principal is refused or allowed what the Management API would refuse or allow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tessera_admin::bootstrap;
use tessera_admin::clients::ClientBody;
use tessera_admin::jobs::{ImportRequest, JobSummary, JobView};
use tessera_admin::keys::RotateQuery;
use tessera_admin::mfa::methods::{FactorSwitch, MethodType};
use tessera_admin::paging::{every, Paging};
use tessera_admin::resource_servers::ResourceServerBody;
use tessera_admin::scopes::{self, management_audience, scopes_of};
use tessera_admin::users::{UserBody, UserQuery};
use tessera_admin::{Admin, AdminError, AdminParts, Caller, Principal};
use tessera_core::audit::{Audit, AuditCounters, Recording, RequestContext};
use tessera_core::brute_force::BruteForce;
use tessera_core::clock::Clock;
use tessera_core::crypto::Passwords;
use tessera_core::secrets::Sealer;
use tessera_protocol::mfa::TotpSecret;
use tessera_protocol::token::RefreshGrant;
use tessera_protocol::{ClientId, ScopeSet, SecretDigest, Timestamp};
use tessera_store::{AdminRole, LogFilter, Page, SqliteStore, Store};

const ISSUER: &str = "https://auth.example.com/";
const NOW: Timestamp = Timestamp(1_800_000_000);

struct Fixture {
    admin: Admin,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("admin.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    bootstrap::ensure(store.as_ref(), ISSUER, None, NOW)
        .await
        .unwrap();
    let admin = Admin::new(AdminParts {
        store: Arc::clone(&store),
        clock: Clock::from_fn(|| NOW),
        issuer: ISSUER.into(),
        passwords: Passwords::new(1).unwrap(),
        sealer: Sealer::new(b"0123456789abcdef0123456789abcdef").unwrap(),
        audit: Audit::start(
            Arc::clone(&store),
            AuditCounters::noop(),
            Recording::Recorded,
        )
        .unwrap(),
        brute_force: BruteForce {
            max_attempts: 10,
            cooldown: 900,
            ip_max_failures: 100,
            ip_window: 3600,
        },
        email: tessera_admin::email::EmailSetup::unconfigured(),
        live: None,
    });
    Fixture {
        admin,
        store,
        _dir: dir,
    }
}

fn caller(principal: Principal, scopes: ScopeSet) -> Caller {
    Caller::new(principal, scopes, RequestContext::default())
}

fn cli() -> Caller {
    caller(Principal::Cli, scopes::all())
}

fn app(name: &str) -> ClientBody {
    ClientBody {
        name: Some(name.into()),
        app_type: Some("non_interactive".into()),
        ..ClientBody::default()
    }
}

#[tokio::test]
async fn every_pages_through_more_than_a_page_of_clients() {
    let f = fixture().await;
    for n in 0..230 {
        f.admin
            .create_client(&cli(), app(&format!("app {n:03}")))
            .await
            .unwrap();
    }
    let first = f
        .admin
        .list_clients(&cli(), &Paging::default())
        .await
        .unwrap();
    assert_eq!(first.items.len(), 50, "Auth0's default page");
    assert_eq!(first.total, 231, "230 and the management client");
    assert!(first.has_more());
    let all = every(|p| {
        let admin = f.admin.clone();
        async move { admin.list_clients(&cli(), &p).await }
    })
    .await
    .unwrap();
    assert_eq!(all.len(), 231);
    let mut ids: Vec<_> = all.iter().map(|c| c.client_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 231, "no client twice");
}

#[tokio::test]
async fn a_caller_without_the_scope_is_refused_and_nothing_changes() {
    let f = fixture().await;
    let reader = caller(
        Principal::Client(ClientId("reader".into())),
        ScopeSet::parse("read:clients").unwrap(),
    );
    assert_eq!(
        f.admin.create_client(&reader, app("Sneaky")).await,
        Err(AdminError::InsufficientScope("create:clients".into()))
    );
    let listed = f
        .admin
        .list_clients(&reader, &Paging::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 1, "only the management client");
    assert_eq!(
        f.admin
            .list_users(&reader, &Paging::default(), &UserQuery::default())
            .await
            .unwrap_err(),
        AdminError::InsufficientScope("read:users".into())
    );
}

#[tokio::test]
async fn a_read_only_administrator_reads_everything_and_changes_nothing() {
    let f = fixture().await;
    let read_only = caller(
        Principal::Administrator("auditor".into()),
        scopes_of(AdminRole::ReadOnly),
    );
    assert!(f.admin.list_signing_keys(&read_only).await.is_ok());
    assert!(f
        .admin
        .list_resource_servers(&read_only, &Paging::default())
        .await
        .is_ok());
    let refused = f
        .admin
        .rotate_signing_key(&read_only, &RotateQuery::default())
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        AdminError::InsufficientScope("create:signing_keys".into())
    );
    assert!(f.store.all_signing_keys().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_page_size_out_of_range_is_an_invalid_query() {
    let f = fixture().await;
    let paging = Paging {
        per_page: Some(101),
        ..Paging::default()
    };
    assert_eq!(
        f.admin.list_clients(&cli(), &paging).await.unwrap_err(),
        AdminError::InvalidQuery("per_page must be between 1 and 100".into())
    );
}

#[tokio::test]
async fn a_public_client_made_confidential_gets_a_secret_shown_once() {
    let f = fixture().await;
    let spa = f
        .admin
        .create_client(
            &cli(),
            ClientBody {
                name: Some("SPA".into()),
                app_type: Some("spa".into()),
                callbacks: Some(vec!["https://spa.example.com/cb".into()]),
                ..ClientBody::default()
            },
        )
        .await
        .unwrap();
    assert!(spa.is_public());
    assert_eq!(spa.client_secret, None);
    assert_eq!(spa.client_id.len(), 32);
    assert!(spa.client_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    let change = ClientBody {
        app_type: Some("regular_web".into()),
        ..ClientBody::default()
    };
    let web = f
        .admin
        .update_client(&cli(), &spa.client_id, change)
        .await
        .unwrap();
    assert_eq!(web.token_endpoint_auth_method, "client_secret_post");
    assert!(web.client_secret.is_some(), "the new secret, this once");
    let again = f.admin.client(&cli(), &spa.client_id).await.unwrap();
    assert_eq!(again.client_secret, None, "never shown again");
}

#[tokio::test]
async fn a_client_requires_proof_of_possession_only_when_told() {
    let f = fixture().await;
    let created = f.admin.create_client(&cli(), app("M2M")).await.unwrap();
    assert!(!created.require_proof_of_possession, "Auth0's default");
    let require = ClientBody {
        require_proof_of_possession: Some(true),
        ..ClientBody::default()
    };
    let updated = f
        .admin
        .update_client(&cli(), &created.client_id, require)
        .await
        .unwrap();
    assert!(updated.require_proof_of_possession);
    let rename = ClientBody {
        name: Some("Renamed".into()),
        ..ClientBody::default()
    };
    let renamed = f
        .admin
        .update_client(&cli(), &created.client_id, rename)
        .await
        .unwrap();
    assert!(
        renamed.require_proof_of_possession,
        "an absent field is kept"
    );
}

/// A client body as the Management API's JSON parses it.
fn client_body(json: serde_json::Value) -> ClientBody {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn a_clients_logo_uri_is_set_kept_and_removed_by_null_or_empty() {
    let f = fixture().await;
    let logo = "https://cdn.example.com/logo.png";
    let created = f
        .admin
        .create_client(
            &cli(),
            client_body(serde_json::json!({"name": "Shop", "app_type": "spa", "logo_uri": logo})),
        )
        .await
        .unwrap();
    assert_eq!(created.logo_uri.as_deref(), Some(logo));
    let id = created.client_id.clone();
    let caller = cli();
    let update = |json| f.admin.update_client(&caller, &id, client_body(json));
    let renamed = update(serde_json::json!({"name": "Shop 2"})).await.unwrap();
    assert_eq!(
        renamed.logo_uri.as_deref(),
        Some(logo),
        "an absent field is kept"
    );
    for removal in [
        serde_json::json!({"logo_uri": null}),
        serde_json::json!({"logo_uri": ""}),
    ] {
        update(serde_json::json!({"logo_uri": logo})).await.unwrap();
        let removed = update(removal.clone()).await.unwrap();
        assert_eq!(removed.logo_uri, None, "{removal}");
        assert_eq!(f.admin.client(&cli(), &id).await.unwrap().logo_uri, None);
    }
    let refused = update(serde_json::json!({"logo_uri": "http://cdn.example.com/logo.png"}))
        .await
        .unwrap_err();
    let AdminError::InvalidBody(message) = refused else {
        panic!("{refused:?}");
    };
    assert!(
        message.starts_with("Payload validation error: logo_uri must be"),
        "{message}"
    );
    assert_eq!(f.admin.client(&cli(), &id).await.unwrap().logo_uri, None);
}

/// A body as the Management API's JSON parses it.
fn api_body(json: serde_json::Value) -> ResourceServerBody {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn an_apis_proof_of_possession_is_dpop_set_kept_and_cleared_by_null() {
    let f = fixture().await;
    let created = f
        .admin
        .create_resource_server(
            &cli(),
            api_body(serde_json::json!({
                "identifier": "https://orders.example.com/",
                "proof_of_possession": { "mechanism": "dpop" },
            })),
        )
        .await
        .unwrap();
    let pop = created.proof_of_possession.clone().unwrap();
    assert_eq!((pop.mechanism.as_str(), pop.required), ("dpop", false));
    let id = created.id.clone();
    let required = api_body(serde_json::json!({
        "proof_of_possession": { "mechanism": "dpop", "required": true },
    }));
    let updated = f
        .admin
        .update_resource_server(&cli(), &id, required)
        .await
        .unwrap();
    assert!(updated.proof_of_possession.as_ref().unwrap().required);
    let renamed = f
        .admin
        .update_resource_server(
            &cli(),
            &id,
            api_body(serde_json::json!({ "name": "Orders" })),
        )
        .await
        .unwrap();
    assert_eq!(
        renamed.proof_of_possession, updated.proof_of_possession,
        "absent: kept"
    );
    let cleared = f
        .admin
        .update_resource_server(
            &cli(),
            &id,
            api_body(serde_json::json!({ "proof_of_possession": null })),
        )
        .await
        .unwrap();
    assert_eq!(cleared.proof_of_possession, None, "null: Auth0's none");
    assert_eq!(f.admin.resource_server(&cli(), &id).await.unwrap(), cleared);
}

#[tokio::test]
async fn an_api_with_mtls_proof_of_possession_is_refused_naming_dpop() {
    let f = fixture().await;
    let mtls = serde_json::json!({ "mechanism": "mtls", "required": true });
    let refused = f
        .admin
        .create_resource_server(
            &cli(),
            api_body(serde_json::json!({
                "identifier": "https://orders.example.com/",
                "proof_of_possession": mtls,
            })),
        )
        .await;
    let Err(AdminError::InvalidBody(message)) = refused else {
        panic!("{refused:?}");
    };
    assert!(
        message.contains("proof_of_possession.mechanism `mtls`") && message.contains("only dpop"),
        "{message}"
    );
    assert!(f
        .admin
        .resource_server(&cli(), "https://orders.example.com/")
        .await
        .is_err());
}

#[tokio::test]
async fn the_management_api_cannot_change_itself() {
    let f = fixture().await;
    let audience = management_audience(ISSUER);
    let system = f.admin.resource_server(&cli(), &audience).await.unwrap();
    assert!(system.is_system);
    let rename = ResourceServerBody {
        name: Some("Mine".into()),
        ..ResourceServerBody::default()
    };
    assert!(matches!(
        f.admin
            .update_resource_server(&cli(), &audience, rename)
            .await,
        Err(AdminError::NotSupported(_))
    ));
    assert!(matches!(
        f.admin.delete_resource_server(&cli(), &audience).await,
        Err(AdminError::NotSupported(_))
    ));
}

#[tokio::test]
async fn the_current_signer_is_revoked_only_by_the_cli_with_force() {
    let f = fixture().await;
    let rotated = f
        .admin
        .rotate_signing_key(
            &cli(),
            &RotateQuery {
                alg: Some("ES256".into()),
            },
        )
        .await
        .unwrap();
    let api_client = caller(
        Principal::Client(ClientId("tessera-management".into())),
        scopes::all(),
    );
    let refused = f
        .admin
        .revoke_signing_key(&api_client, &rotated.kid, false)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        AdminError::InvalidBody(format!(
            "`{}` is the current signing key; rotate first, then revoke it",
            rotated.kid
        ))
    );
    let cli_refused = f
        .admin
        .revoke_signing_key(&cli(), &rotated.kid, false)
        .await
        .unwrap_err();
    assert!(cli_refused.to_string().contains("--force"), "{cli_refused}");
    let forced = f
        .admin
        .revoke_signing_key(&cli(), &rotated.kid, true)
        .await
        .unwrap();
    assert!(forced.key.revoked);
    assert!(!forced.already_revoked);
    let again = f
        .admin
        .revoke_signing_key(&cli(), &rotated.kid, true)
        .await
        .unwrap();
    assert!(again.already_revoked);
}

#[tokio::test]
async fn user_validation_names_the_field_and_blocking_revokes_refresh_tokens() {
    let f = fixture().await;
    let short = UserBody {
        email: Some("jane@example.com".into()),
        password: Some("short".into()),
        ..UserBody::default()
    };
    let refused = f.admin.create_user(&cli(), short).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("PasswordStrengthError: Password is too weak"),
        "{refused}"
    );
    let missing = UserBody {
        password: Some("long enough".into()),
        ..UserBody::default()
    };
    assert_eq!(
        f.admin.create_user(&cli(), missing).await.unwrap_err(),
        AdminError::missing("email")
    );
    let created = f
        .admin
        .create_user(
            &cli(),
            UserBody {
                email: Some("jane@example.com".into()),
                password: Some("long enough".into()),
                ..UserBody::default()
            },
        )
        .await
        .unwrap();
    assert!(created.user_id.starts_with("auth0|"));
    assert_eq!(created.username, "jane@example.com");
    let digest = SecretDigest::of("a refresh token");
    let grant = RefreshGrant {
        client_id: ClientId("app".into()),
        user_id: created.user_id.clone(),
        scope: ScopeSet::parse("openid offline_access").unwrap(),
        audience: None,
        auth_time: NOW,
        family_id: "family".into(),
        family_created_at: NOW,
        last_used_at: NOW,
        rotated_at: None,
        revoked: false,
        sid: None,
        expires_at: None,
        dpop_jkt: None,
    };
    f.store
        .insert_refresh_token(&digest, &grant, NOW)
        .await
        .unwrap();
    let blocked = f
        .admin
        .update_user(
            &cli(),
            &created.user_id,
            UserBody {
                blocked: Some(true),
                ..UserBody::default()
            },
        )
        .await
        .unwrap();
    assert!(blocked.blocked);
    let revoked = f.store.refresh_token(&digest).await.unwrap().unwrap();
    assert!(
        revoked.revoked,
        "a blocked user's refresh tokens stop working"
    );
}

/// RFC 6238's test secret (`12345678901234567890`, 160 bits), in base32.
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Imports `file` as the Management API does, and runs the job to its end on this task.
async fn import_file(f: &Fixture, file: &str, upsert: bool) -> JobView {
    let job = f.admin.start_users_import(&cli()).await.unwrap();
    f.admin
        .append_upload(&job, 0, file.as_bytes())
        .await
        .unwrap();
    let request = ImportRequest {
        connection_id: tessera_admin::CONNECTION.into(),
        upsert,
        ..ImportRequest::default()
    };
    let ready = f.admin.finish_upload(&cli(), &job, request).await.unwrap();
    f.admin.run_unfinished_jobs().await;
    f.admin.job(&cli(), &ready.id).await.unwrap()
}

#[tokio::test]
async fn an_imported_authenticator_app_secret_verifies_its_codes_once() {
    let f = fixture().await;
    let file = format!(
        r#"[{{"email": "ada@example.com", "user_id": "ada",
              "mfa_factors": [{{"totp": {{"secret": "{TOTP_SECRET}"}}}}]}},
            {{"email": "bob@example.com", "user_id": "bob",
              "mfa_factors": [{{"phone": {{"value": "+15555550100"}}}}]}},
            {{"email": "eve@example.com", "user_id": "eve",
              "mfa_factors": [{{"totp": {{"secret": "JBSWY3DPEHPK3PXP"}}}}]}}]"#
    );
    let job = import_file(&f, &file, false).await;
    assert_eq!(job.status, "completed", "{job:?}");
    let summary = JobSummary {
        failed: 1,
        updated: 0,
        inserted: 2,
        total: 3,
    };
    assert_eq!(job.summary, summary);
    let details = job.status_details.unwrap_or_default();
    assert!(
        details.contains("The user of entry 2 was imported without their phone"),
        "{details}"
    );
    let errors = f.admin.job_errors(&cli(), &job.id).await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].errors[0]["path"], "mfa_factors", "{errors:?}");
    assert!(errors[0].errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("128 bits"));
    assert!(
        f.store.user("auth0|eve").await.unwrap().is_none(),
        "a bad secret refuses the user"
    );

    let listed = f
        .admin
        .authentication_methods(&cli(), "auth0|ada", &Paging::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let method = &listed.items[0];
    assert_eq!((method.kind, method.confirmed), (MethodType::Totp, true));
    assert!(
        method.id.starts_with("totp|dev_") && method.last_auth_at.is_none(),
        "{method:?}"
    );
    let stored = f.store.authenticators("auth0|ada").await.unwrap();
    let secret = TotpSecret::from_base32(TOTP_SECRET).unwrap();
    assert!(
        !stored[0].secret.windows(20).any(|w| w == secret.as_bytes()),
        "the secret is sealed"
    );
    let code = secret.code_at(NOW);
    assert!(f.admin.verify_totp("auth0|ada", &code).await.unwrap());
    assert!(
        !f.admin.verify_totp("auth0|ada", &code).await.unwrap(),
        "a code is accepted once"
    );
    assert!(f
        .store
        .authenticators("auth0|bob")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_upsert_keeps_the_authenticator_app_a_user_enrolled() {
    let f = fixture().await;
    let body = UserBody {
        email: Some("ada@example.com".into()),
        password: Some("long enough".into()),
        ..UserBody::default()
    };
    let ada = f.admin.create_user(&cli(), body).await.unwrap().user_id;
    let enrollment = f.admin.totp_enrollment(&ada, "ada").await.unwrap();
    let code = enrollment.secret.code_at(NOW);
    assert!(f
        .admin
        .confirm_totp_enrollment(&ada, &enrollment.id, &code)
        .await
        .unwrap());
    let file = format!(
        r#"[{{"email": "ada@example.com", "mfa_factors": [{{"totp": {{"secret": "{TOTP_SECRET}"}}}}]}},
            {{"email": "new@example.com", "mfa_factors": [{{"totp": {{"secret": "{TOTP_SECRET}"}}}}]}}]"#
    );
    let job = import_file(&f, &file, true).await;
    let summary = JobSummary {
        failed: 0,
        updated: 1,
        inserted: 1,
        total: 2,
    };
    assert_eq!(job.summary, summary, "{job:?}");
    assert_eq!(job.status_details, None);
    let kept = f.store.authenticators(&ada).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].id, enrollment.id,
        "the enrolled app stays, the file's is not added"
    );
    let newcomer = f.store.users_by_email("new@example.com").await.unwrap();
    let methods = f.store.authenticators(&newcomer[0].user_id).await.unwrap();
    assert_eq!(methods.len(), 1);
    assert!(methods[0].confirmed);
}

#[tokio::test]
async fn a_user_twice_in_one_upserting_batch_gets_the_first_entrys_app_only() {
    let f = fixture().await;
    let file = format!(
        r#"[{{"email": "ada@example.com", "user_id": "ada",
              "mfa_factors": [{{"totp": {{"secret": "{TOTP_SECRET}"}}}}]}},
            {{"email": "ada@example.com", "user_id": "ada",
              "mfa_factors": [{{"totp": {{"secret": "{TOTP_SECRET}"}}}}]}}]"#
    );
    let job = import_file(&f, &file, true).await;
    let summary = JobSummary {
        failed: 0,
        updated: 1,
        inserted: 1,
        total: 2,
    };
    assert_eq!(job.summary, summary, "{job:?}");
    let methods = f.store.authenticators("auth0|ada").await.unwrap();
    assert_eq!(methods.len(), 1, "the second entry finds the first's app");
    assert!(methods[0].confirmed && methods[0].id.starts_with("totp|dev_"));
    let code = TotpSecret::from_base32(TOTP_SECRET).unwrap().code_at(NOW);
    assert!(f.admin.verify_totp("auth0|ada", &code).await.unwrap());
}

#[tokio::test]
async fn guardian_changes_need_their_scopes_and_are_logged() {
    let f = fixture().await;
    let reader = caller(
        Principal::Client(ClientId("reader".into())),
        ScopeSet::parse("read:guardian_factors read:authentication_methods").unwrap(),
    );
    let on = FactorSwitch { enabled: true };
    assert_eq!(
        f.admin.switch_guardian_factor(&reader, "otp", on).await,
        Err(AdminError::InsufficientScope(
            "update:guardian_factors".into()
        ))
    );
    assert_eq!(
        f.admin.reset_authenticators(&reader, "auth0|x").await,
        Err(AdminError::InsufficientScope(
            "delete:guardian_enrollments".into()
        ))
    );
    assert!(f.admin.mfa_settings().await.unwrap() == Default::default());
    f.admin
        .switch_guardian_factor(&cli(), "otp", on)
        .await
        .unwrap();
    f.admin
        .set_guardian_policies(&cli(), &["all-applications".to_owned()])
        .await
        .unwrap();
    assert!(
        f.admin.mfa_settings().await.unwrap().required(),
        "the login flow sees the change"
    );

    let body = UserBody {
        email: Some("ada@example.com".into()),
        password: Some("long enough".into()),
        ..UserBody::default()
    };
    let ada = f.admin.create_user(&cli(), body).await.unwrap().user_id;
    f.admin.new_recovery_code(&ada).await.unwrap();
    f.admin.reset_authenticators(&cli(), &ada).await.unwrap();
    f.admin.flush_audit().await;
    let logged = |code: &str| {
        let filter = LogFilter {
            event_type: Some(code.to_owned()),
            ..LogFilter::default()
        };
        let store = Arc::clone(&f.store);
        async move {
            let page = Page {
                page: 0,
                per_page: 10,
            };
            store.list_log_events(&filter, page).await.unwrap().items
        }
    };
    let switched = logged("gd_module_switch").await;
    assert_eq!(switched.len(), 1);
    assert_eq!(switched[0].details["factor"], "otp");
    let unenrolled = logged("gd_unenroll").await;
    assert_eq!(unenrolled.len(), 1);
    assert_eq!(unenrolled[0].user_id.as_deref(), Some(ada.as_str()));
    assert_eq!(unenrolled[0].client_id.as_deref(), Some("tessera-cli"));
}
