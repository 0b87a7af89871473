-- Multi-factor authentication. The methods a login used (RFC 8176 `amr`, words separated by
-- spaces) are kept with its SSO session and with the authorization it happened in; an
-- authorization whose user passed the password but still owes a second factor names them in
-- first_factor_user_id. Sessions made before this version have no methods recorded ('').
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_authorizations ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_authorizations ADD COLUMN first_factor_user_id TEXT;

-- The factors users enrolled: a TOTP secret sealed with the master secret, or the SHA-256
-- digest of a recovery code. last_step is the step of the TOTP code last accepted, so each
-- code is accepted once across every node.
CREATE TABLE authenticators (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    secret        BYTEA NOT NULL,
    name          TEXT,
    confirmed     BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    last_auth_at  BIGINT,
    last_step     BIGINT
);
CREATE INDEX authenticators_by_user ON authenticators (user_id, kind);
