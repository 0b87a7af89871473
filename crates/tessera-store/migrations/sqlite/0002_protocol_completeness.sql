-- Public clients (no secret), logout URLs, refresh token policy, plain PKCE opt-in.
CREATE TABLE clients_new (
    client_id                   TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    app_type                    TEXT NOT NULL,
    callbacks                   TEXT NOT NULL, -- JSON array of redirect URIs
    allowed_logout_urls         TEXT NOT NULL DEFAULT '[]',
    grant_types                 TEXT NOT NULL, -- JSON array
    token_endpoint_auth_method  TEXT NOT NULL DEFAULT 'client_secret_post',
    secret_digest               BLOB,          -- NULL for public clients
    refresh_token               TEXT NOT NULL DEFAULT '{}', -- JSON RefreshTokenPolicy
    allow_plain_pkce            INTEGER NOT NULL DEFAULT 0,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);
INSERT INTO clients_new (client_id, name, app_type, callbacks, grant_types, secret_digest, created_at, updated_at)
    SELECT client_id, name, app_type, callbacks, grant_types, secret_digest, created_at, updated_at FROM clients;
DROP TABLE clients;
ALTER TABLE clients_new RENAME TO clients;

-- Machine-to-machine authorizations (Auth0's client grants).
CREATE TABLE client_grants (
    client_id   TEXT NOT NULL,
    audience    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, audience)
);

-- Refresh token families: rotation, reuse detection, inactivity.
DROP TABLE refresh_tokens;
CREATE TABLE refresh_tokens (
    digest             BLOB PRIMARY KEY,
    family_id          TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    scope              TEXT NOT NULL,
    audience           TEXT,
    auth_time          INTEGER NOT NULL,
    sid                TEXT,
    family_created_at  INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER NOT NULL,
    rotated_at         INTEGER,
    revoked_at         INTEGER
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user_client ON refresh_tokens (user_id, client_id);

-- The public session id (the ID token's `sid`).
ALTER TABLE sessions ADD COLUMN sid TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_authorizations ADD COLUMN sid TEXT;
