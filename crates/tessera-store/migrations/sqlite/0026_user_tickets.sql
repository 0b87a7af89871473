-- Auth0's user tickets: single-use links to change a password or verify an email, kept by
-- the SHA-256 digest of their secret until used or expired (housekeeping purges those).
CREATE TABLE user_tickets (
    digest               BLOB PRIMARY KEY,
    kind                 TEXT NOT NULL,
    user_id              TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    result_url           TEXT,
    mark_email_verified  INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL
);
CREATE INDEX user_tickets_by_expiry ON user_tickets (expires_at);
