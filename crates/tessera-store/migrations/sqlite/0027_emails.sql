-- The mail queue: every mail Tessera sends (verification, password reset, welcome) waits here
-- until a node delivers it, is retried with back-off, and is kept a week after it was sent or
-- gave up (housekeeping purges it then). The rendered message is sealed with the master
-- secret (it holds a single-use link) and dropped once the SMTP server took it; mails of a
-- node without an email provider stay readable in the development outbox.
CREATE TABLE emails (
    id               TEXT PRIMARY KEY,
    template         TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    sealed_message   BLOB,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    job_id           TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_by_expiry ON emails (expires_at);
CREATE INDEX emails_by_creation ON emails (created_at);
