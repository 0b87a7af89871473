-- Access tokens refused before they expire: one row per revoked token (by jti), refresh-token
-- family, user, client or consent (client and user), kept until every token it matches has
-- expired. Every node reads the rows whose expiry is ahead; housekeeping deletes the others.
CREATE TABLE access_revocations (
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    revoked_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX access_revocations_by_expiry ON access_revocations (expires_at);
