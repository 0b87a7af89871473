-- Tessera's schema on PostgreSQL: the same tables as SQLite's migrations 0001–0003, in one
-- step. Times are Unix seconds (BIGINT); secrets are SHA-256 digests (BYTEA).

CREATE TABLE clients (
    client_id                   TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    app_type                    TEXT NOT NULL,
    callbacks                   TEXT NOT NULL,
    allowed_logout_urls         TEXT NOT NULL DEFAULT '[]',
    grant_types                 TEXT NOT NULL,
    token_endpoint_auth_method  TEXT NOT NULL DEFAULT 'client_secret_post',
    secret_digest               BYTEA,
    refresh_token               TEXT NOT NULL DEFAULT '{}',
    allow_plain_pkce            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL
);

CREATE TABLE resource_servers (
    identifier            TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    allow_offline_access  BOOLEAN NOT NULL,
    token_lifetime        BIGINT NOT NULL,
    signing_alg           TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE users (
    user_id         TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    email_verified  BOOLEAN NOT NULL,
    blocked         BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE sessions (
    digest      BYTEA PRIMARY KEY,
    sid         TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    auth_time   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE pending_authorizations (
    id              TEXT PRIMARY KEY,
    request         TEXT NOT NULL,
    browser_digest  BYTEA NOT NULL,
    csrf_token      TEXT NOT NULL,
    user_id         TEXT,
    auth_time       BIGINT,
    sid             TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE TABLE consents (
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    audience    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id, audience)
);

CREATE TABLE authorization_codes (
    digest       BYTEA PRIMARY KEY,
    grant_data   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);

CREATE TABLE refresh_tokens (
    digest             BYTEA PRIMARY KEY,
    family_id          TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    scope              TEXT NOT NULL,
    audience           TEXT,
    auth_time          BIGINT NOT NULL,
    sid                TEXT,
    family_created_at  BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT NOT NULL,
    rotated_at         BIGINT,
    revoked_at         BIGINT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user_client ON refresh_tokens (user_id, client_id);

CREATE TABLE client_grants (
    id          TEXT NOT NULL UNIQUE,
    client_id   TEXT NOT NULL,
    audience    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, audience)
);
CREATE INDEX client_grants_by_audience ON client_grants (audience);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    private_key  BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
