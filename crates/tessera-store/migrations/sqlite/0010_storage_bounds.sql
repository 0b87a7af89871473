-- Bounded storage. Refresh tokens carry when they expire under their client's policy as of
-- their last use, so housekeeping can delete them then (before, only revoked ones went and
-- every rotated or expired token stayed forever). Tokens issued before this migration have
-- none until they are used again.
ALTER TABLE refresh_tokens ADD COLUMN expires_at INTEGER;
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX refresh_tokens_by_revocation ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- Housekeeping finds expired rows by index instead of scanning the live ones.
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX pending_authorizations_by_expiry ON pending_authorizations (expires_at);

-- A rotation gives the rotated token its successor's expiry: presented after it, the token is
-- refused as expired before any reuse check, so it is needed no longer.
DROP TRIGGER refresh_tokens_rotate;
CREATE TRIGGER refresh_tokens_rotate BEFORE INSERT ON refresh_tokens
WHEN NEW.rotated_from IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'refresh token already rotated or revoked')
    WHERE NOT EXISTS (
        SELECT 1 FROM refresh_tokens
        WHERE digest = NEW.rotated_from AND rotated_at IS NULL AND revoked_at IS NULL
    );
    UPDATE refresh_tokens
    SET rotated_at = NEW.created_at, last_used_at = NEW.created_at, expires_at = NEW.expires_at
    WHERE digest = NEW.rotated_from;
END;

-- The readiness probe's one row, rewritten with fresh bytes at each probe: it fails when the
-- database cannot store new data (a full disk).
CREATE TABLE write_probe (
    id          INTEGER PRIMARY KEY,
    padding     BLOB NOT NULL,
    probed_at   INTEGER NOT NULL
);
