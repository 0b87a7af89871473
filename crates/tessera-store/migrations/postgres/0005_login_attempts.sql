-- Brute-force protection: consecutive failed logins per account (a user id, or the normalized
-- login name when no such user exists) and client IP, and all failed logins per client IP in a
-- fixed window. Kept in the store so every node sees the same counts.
CREATE TABLE login_failures (
    account         TEXT NOT NULL,
    ip              TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    last_failed_at  BIGINT NOT NULL,
    PRIMARY KEY (account, ip)
);
CREATE INDEX login_failures_last_failed_at ON login_failures (last_failed_at);

CREATE TABLE ip_login_failures (
    ip                 TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    window_started_at  BIGINT NOT NULL
);
CREATE INDEX ip_login_failures_window ON ip_login_failures (window_started_at);
