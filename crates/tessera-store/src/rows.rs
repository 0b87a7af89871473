//! What both stores share: turning rows into records (the same code for SQLite's and
//! PostgreSQL's rows, through [`row_mappers!`]) and the JSON and scope helpers.

use tessera_protocol::ScopeSet;

use crate::{StoreError, StoreResult};

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(corrupt)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(corrupt)
}

pub(crate) fn scope_of(text: &str) -> StoreResult<ScopeSet> {
    ScopeSet::parse(text).map_err(corrupt)
}

/// Defines the `*_from_row` functions for one backend's row type; the bodies are identical, only
/// the row type differs.
macro_rules! row_mappers {
    ($row:ty) => {
        fn client_from_row(row: &$row) -> StoreResult<RegisteredClient> {
            let callbacks: Vec<String> = from_json(row.try_get("callbacks")?)?;
            let grant_types: Vec<String> = from_json(row.try_get("grant_types")?)?;
            let app_type: String = row.try_get("app_type")?;
            let method: String = row.try_get("token_endpoint_auth_method")?;
            let secret: Option<Vec<u8>> = row.try_get("secret_digest")?;
            let refresh: String = row.try_get("refresh_token")?;
            Ok(RegisteredClient {
                client_id: ClientId(row.try_get("client_id")?),
                name: row.try_get("name")?,
                app_type: AppType::parse(&app_type)
                    .ok_or_else(|| corrupt(format!("app_type {app_type}")))?,
                callbacks: callbacks
                    .iter()
                    .map(|uri| RedirectUri::parse(uri).map_err(corrupt))
                    .collect::<StoreResult<_>>()?,
                allowed_logout_urls: from_json(row.try_get("allowed_logout_urls")?)?,
                web_origins: from_json(row.try_get("web_origins")?)?,
                allowed_origins: from_json(row.try_get("allowed_origins")?)?,
                grant_types: grant_types
                    .iter()
                    .map(|g| GrantType::parse(g).ok_or_else(|| corrupt(format!("grant type {g}"))))
                    .collect::<StoreResult<_>>()?,
                token_endpoint_auth_method: TokenAuthMethod::parse(&method)
                    .ok_or_else(|| corrupt(format!("token_endpoint_auth_method {method}")))?,
                secret_digest: secret
                    .map(|bytes| {
                        SecretDigest::from_bytes(&bytes)
                            .ok_or_else(|| corrupt("secret_digest is not a SHA-256 digest"))
                    })
                    .transpose()?,
                // Rows from before the policy existed hold `{}`: they get the defaults.
                refresh_token: if refresh == "{}" {
                    RefreshTokenPolicy::default()
                } else {
                    from_json(&refresh)?
                },
                allow_plain_pkce: row.try_get("allow_plain_pkce")?,
                is_first_party: row.try_get("is_first_party")?,
                require_pushed_authorization_requests: row
                    .try_get("require_pushed_authorization_requests")?,
                require_proof_of_possession: row.try_get("require_proof_of_possession")?,
                logo_uri: row.try_get("logo_uri")?,
            })
        }

        fn api_from_row(row: &$row) -> StoreResult<ResourceServer> {
            Ok(ResourceServer {
                id: row.try_get("id")?,
                identifier: row.try_get("identifier")?,
                name: row.try_get("name")?,
                scopes: from_json(row.try_get("scopes")?)?,
                allow_offline_access: row.try_get("allow_offline_access")?,
                token_lifetime: row.try_get("token_lifetime")?,
                signing_alg: row.try_get("signing_alg")?,
                skip_consent_for_verifiable_first_party_clients: row
                    .try_get("skip_consent_for_verifiable_first_party_clients")?,
                rbac: Rbac {
                    enforce_policies: row.try_get("enforce_policies")?,
                    token_dialect: {
                        let dialect: String = row.try_get("token_dialect")?;
                        TokenDialect::parse(&dialect)
                            .ok_or_else(|| corrupt(format!("token_dialect `{dialect}`")))?
                    },
                },
                // No mechanism is Auth0's "none".
                proof_of_possession: match row.try_get::<Option<String>, _>("pop_mechanism")? {
                    None => None,
                    Some(mechanism) => Some(ProofOfPossession {
                        mechanism: PopMechanism::parse(&mechanism)
                            .ok_or_else(|| corrupt(format!("pop_mechanism `{mechanism}`")))?,
                        required: row.try_get("pop_required")?,
                    }),
                },
            })
        }

        fn user_from_row(row: &$row) -> StoreResult<User> {
            Ok(User {
                user_id: row.try_get("user_id")?,
                username: row.try_get("username")?,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                password_hash: row.try_get("password_hash")?,
                email_verified: row.try_get("email_verified")?,
                blocked: row.try_get("blocked")?,
                created_at: Timestamp(row.try_get("created_at")?),
                updated_at: Timestamp(row.try_get("updated_at")?),
                profile: UserProfile {
                    given_name: row.try_get("given_name")?,
                    family_name: row.try_get("family_name")?,
                    nickname: row.try_get("nickname")?,
                    picture: row.try_get("picture")?,
                    user_metadata: from_json(row.try_get("user_metadata")?)?,
                    app_metadata: from_json(row.try_get("app_metadata")?)?,
                },
                last_login: row.try_get::<Option<i64>, _>("last_login")?.map(Timestamp),
                last_ip: row.try_get("last_ip")?,
                logins_count: u64::try_from(row.try_get::<i64, _>("logins_count")?).unwrap_or(0),
            })
        }

        fn session_from_row(row: &$row) -> StoreResult<Session> {
            Ok(Session {
                sid: row.try_get("sid")?,
                user_id: row.try_get("user_id")?,
                auth_time: Timestamp(row.try_get("auth_time")?),
                amr: Amr::parse(row.try_get("amr")?),
                expires_at: Timestamp(row.try_get("expires_at")?),
            })
        }

        fn pending_from_row(row: &$row) -> StoreResult<PendingAuthorization> {
            let user_id: Option<String> = row.try_get("user_id")?;
            let auth_time: Option<i64> = row.try_get("auth_time")?;
            let sid: Option<String> = row.try_get("sid")?;
            let amr = Amr::parse(row.try_get("amr")?);
            let first_factor = row
                .try_get::<Option<String>, _>("first_factor_user_id")?
                .map(|user_id| FirstFactor {
                    user_id,
                    amr: amr.clone(),
                });
            let login = match (user_id, auth_time) {
                (Some(user_id), Some(auth_time)) => Some(Login {
                    user_id,
                    auth_time: Timestamp(auth_time),
                    sid: sid.unwrap_or_default(),
                    amr,
                }),
                _ => None,
            };
            Ok(PendingAuthorization {
                id: row.try_get("id")?,
                request: from_json(row.try_get("request")?)?,
                browser_digest: digest_of(row, "browser_digest")?,
                login,
                first_factor,
                expires_at: Timestamp(row.try_get("expires_at")?),
            })
        }

        fn consent_from_row(row: &$row) -> StoreResult<Consent> {
            let audience: String = row.try_get("audience")?;
            Ok(Consent {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                client_id: ClientId(row.try_get("client_id")?),
                audience: (!audience.is_empty()).then_some(audience),
                scope: scope_of(row.try_get("scope")?)?,
            })
        }

        fn refresh_from_row(row: &$row) -> StoreResult<RefreshGrant> {
            let rotated_at: Option<i64> = row.try_get("rotated_at")?;
            let revoked_at: Option<i64> = row.try_get("revoked_at")?;
            let expires_at: Option<i64> = row.try_get("expires_at")?;
            Ok(RefreshGrant {
                client_id: ClientId(row.try_get("client_id")?),
                user_id: row.try_get("user_id")?,
                scope: scope_of(row.try_get("scope")?)?,
                audience: row.try_get("audience")?,
                auth_time: Timestamp(row.try_get("auth_time")?),
                family_id: row.try_get("family_id")?,
                family_created_at: Timestamp(row.try_get("family_created_at")?),
                last_used_at: Timestamp(row.try_get("last_used_at")?),
                rotated_at: rotated_at.map(Timestamp),
                revoked: revoked_at.is_some(),
                sid: row.try_get("sid")?,
                expires_at: expires_at.map(Timestamp),
                dpop_jkt: row.try_get("dpop_jkt")?,
            })
        }

        fn client_grant_from_row(row: &$row) -> StoreResult<ClientGrant> {
            Ok(ClientGrant {
                id: row.try_get("id")?,
                client_id: ClientId(row.try_get("client_id")?),
                audience: row.try_get("audience")?,
                scope: scope_of(row.try_get("scope")?)?,
            })
        }

        fn signing_key_from_row(row: &$row) -> StoreResult<SigningKeyRecord> {
            let activated_at: Option<i64> = row.try_get("activated_at")?;
            let revoked_at: Option<i64> = row.try_get("revoked_at")?;
            Ok(SigningKeyRecord {
                kid: row.try_get("kid")?,
                alg: row.try_get("alg")?,
                private_key: row.try_get("private_key")?,
                created_at: Timestamp(row.try_get("created_at")?),
                activated_at: activated_at.map(Timestamp),
                revoked_at: revoked_at.map(Timestamp),
            })
        }

        fn admin_from_row(row: &$row) -> StoreResult<Admin> {
            let role: String = row.try_get("role")?;
            Ok(Admin {
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
                role: AdminRole::parse(&role)
                    .ok_or_else(|| corrupt(format!("admin role `{role}`")))?,
                created_at: Timestamp(row.try_get("created_at")?),
            })
        }

        fn log_event_from_row(row: &$row) -> StoreResult<LogEvent> {
            Ok(LogEvent {
                log_id: row.try_get("log_id")?,
                date: Timestamp(row.try_get("date")?),
                event_type: row.try_get("type")?,
                description: row.try_get("description")?,
                client_id: row.try_get("client_id")?,
                client_name: row.try_get("client_name")?,
                ip: row.try_get("ip")?,
                user_agent: row.try_get("user_agent")?,
                user_id: row.try_get("user_id")?,
                user_name: row.try_get("user_name")?,
                details: from_json(row.try_get("details")?)?,
            })
        }

        fn digest_of(row: &$row, column: &str) -> StoreResult<SecretDigest> {
            let bytes: Vec<u8> = row.try_get(column)?;
            SecretDigest::from_bytes(&bytes)
                .ok_or_else(|| corrupt(format!("{column} is not a SHA-256 digest")))
        }
    };
}

pub(crate) use row_mappers;

/// A stored counter as a count: never negative, saturating at `u32::MAX`.
pub(crate) fn count_of(stored: i64) -> u32 {
    u32::try_from(stored.max(0)).unwrap_or(u32::MAX)
}
