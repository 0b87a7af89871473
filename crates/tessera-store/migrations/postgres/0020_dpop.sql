-- DPoP (RFC 9449): the application setting that requires it, an API's proof_of_possession
-- (`pop_mechanism` NULL is Auth0's "none"), the key thumbprint a public client's refresh token
-- is bound to (§5), and the proofs already presented (§11.1), by a digest of their key and
-- `jti`, kept until their `iat` window has closed.
ALTER TABLE clients ADD COLUMN require_proof_of_possession BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE resource_servers ADD COLUMN pop_mechanism TEXT;
ALTER TABLE resource_servers ADD COLUMN pop_required BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;

CREATE TABLE dpop_proofs (
    digest      BYTEA PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_by_expiry ON dpop_proofs (expires_at);
