-- Connections to other identity providers (Auth0's `oidc` and `oauth2` strategies), the
-- applications each is enabled for, and the identities users have at them.
--
-- Usernames and emails stay unique among the database connection's users only, so that a
-- person may have an account of their own and one through another provider with the same
-- email, as at Auth0 (nothing links them silently). SQLite cannot drop the UNIQUE column
-- constraints of `users` inside a migration's transaction (rebuilding the table needs foreign
-- keys off, which a transaction cannot change): `SqliteStore::connect` rebuilds it after the
-- migrations, once (src/sqlite_users.sql).

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
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, upstream_id)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);
