-- Refresh token rotation in one statement: inserting a successor that names the token it
-- replaces marks that token rotated, or aborts when a racing request rotated or revoked it
-- first. One statement instead of BEGIN, UPDATE, INSERT, COMMIT (each a round trip to the
-- database thread); atomic all the same.
ALTER TABLE refresh_tokens ADD COLUMN rotated_from BLOB;
CREATE TRIGGER refresh_tokens_rotate BEFORE INSERT ON refresh_tokens
WHEN NEW.rotated_from IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'refresh token already rotated or revoked')
    WHERE NOT EXISTS (
        SELECT 1 FROM refresh_tokens
        WHERE digest = NEW.rotated_from AND rotated_at IS NULL AND revoked_at IS NULL
    );
    UPDATE refresh_tokens SET rotated_at = NEW.created_at, last_used_at = NEW.created_at
    WHERE digest = NEW.rotated_from;
END;
