-- Pushed authorization requests (RFC 9126): the parameters a client pushed to /oauth/par, kept
-- until /authorize consumes them (once) or they expire; and the client setting that requires
-- them.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE pushed_authorization_requests (
    digest      BYTEA PRIMARY KEY,
    client_id   TEXT NOT NULL,
    params      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX pushed_authorization_requests_by_expiry ON pushed_authorization_requests (expires_at);
