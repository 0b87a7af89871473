-- Tessera's schema. Times are Unix seconds; secrets are SHA-256 digests (BLOB).

CREATE TABLE clients (
    client_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    app_type       TEXT NOT NULL,
    callbacks      TEXT NOT NULL, -- JSON array of redirect URIs
    grant_types    TEXT NOT NULL, -- JSON array
    secret_digest  BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE resource_servers (
    identifier            TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    scopes                TEXT NOT NULL, -- JSON array of {value, description}
    allow_offline_access  INTEGER NOT NULL,
    token_lifetime        INTEGER NOT NULL,
    signing_alg           TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE TABLE users (
    user_id         TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    email_verified  INTEGER NOT NULL,
    blocked         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
    digest      BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE pending_authorizations (
    id              TEXT PRIMARY KEY,
    request         TEXT NOT NULL, -- JSON of the validated AuthorizationRequest
    browser_digest  BLOB NOT NULL,
    csrf_token      TEXT NOT NULL,
    user_id         TEXT,
    auth_time       INTEGER,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);

CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    audience    TEXT NOT NULL, -- '' when the grant is for /userinfo only
    scope       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id, audience)
);

CREATE TABLE authorization_codes (
    digest       BLOB PRIMARY KEY,
    grant_data   TEXT NOT NULL, -- JSON of the CodeGrant
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
);

CREATE TABLE refresh_tokens (
    digest      BLOB PRIMARY KEY,
    client_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    audience    TEXT,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_by_user_client ON refresh_tokens (user_id, client_id);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    private_key  BLOB NOT NULL, -- PKCS#8 DER
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
