-- Bounded storage. Refresh tokens carry when they expire under their client's policy as of
-- their last use, so housekeeping can delete them then (before, only revoked ones went and
-- every rotated or expired token stayed forever). Tokens issued before this migration have
-- none until they are used again.
ALTER TABLE refresh_tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX refresh_tokens_by_revocation ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- Housekeeping finds expired rows by index instead of scanning the live ones.
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX pending_authorizations_by_expiry ON pending_authorizations (expires_at);

-- The readiness probe's one row, rewritten with fresh bytes at each probe: it fails when the
-- database cannot store new data (a full disk).
CREATE TABLE write_probe (
    id          INTEGER PRIMARY KEY,
    padding     BYTEA NOT NULL,
    probed_at   BIGINT NOT NULL
);
