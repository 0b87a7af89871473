-- Pushed authorization requests (RFC 9126): the parameters a client pushed to /oauth/par, kept
-- until /authorize consumes them (once) or they expire; and the client setting that requires
-- them.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0;

CREATE TABLE pushed_authorization_requests (
    digest      BLOB PRIMARY KEY,
    client_id   TEXT NOT NULL,
    params      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX pushed_authorization_requests_by_expiry ON pushed_authorization_requests (expires_at);
