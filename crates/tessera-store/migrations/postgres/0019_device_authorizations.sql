-- The device authorization grant (RFC 8628): one row per device code (stored hashed) from
-- /oauth/device/code until the device has its answer or the code expires.
CREATE TABLE device_authorizations (
    digest              BYTEA PRIMARY KEY,
    user_code           TEXT NOT NULL UNIQUE,
    client_id           TEXT NOT NULL,
    scope               TEXT NOT NULL,
    audience            TEXT,
    binding             TEXT NOT NULL UNIQUE,
    code_verifier       TEXT NOT NULL,
    decision            TEXT NOT NULL,
    grant_data          TEXT,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    polling_interval    BIGINT NOT NULL,
    last_polled_at      BIGINT
);
CREATE INDEX device_authorizations_by_expiry ON device_authorizations (expires_at);
