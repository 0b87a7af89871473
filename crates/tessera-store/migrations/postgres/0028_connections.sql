-- Connections to other identity providers (Auth0's `oidc` and `oauth2` strategies), the
-- applications each is enabled for, and the identities users have at them.
--
-- Usernames and emails stay unique among the database connection's users (`auth0|…`) only:
-- a person may have an account of their own and one through Google with the same email, as
-- at Auth0, and nothing links them silently.
ALTER TABLE users DROP CONSTRAINT users_username_key;
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_database_username ON users (username) WHERE user_id LIKE 'auth0|%';
CREATE UNIQUE INDEX users_database_email ON users (email) WHERE user_id LIKE 'auth0|%';
CREATE INDEX users_by_email ON users (email);

ALTER TABLE connections ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
-- The upstream client secret, sealed with the master secret; never in `options`.
ALTER TABLE connections ADD COLUMN sealed_secret TEXT;

-- The applications a connection other than the database one is enabled for (the database
-- connection serves every application).
CREATE TABLE connection_clients (
    connection_id  TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL,
    PRIMARY KEY (connection_id, client_id)
);

-- Who a user is at a connection: `upstream_id` is the provider's id of them (`sub`), and
-- `profile` what the provider last said about them (Auth0's `profileData`).
CREATE TABLE user_identities (
    connection_id  TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    upstream_id    TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    profile        TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (connection_id, upstream_id)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);
