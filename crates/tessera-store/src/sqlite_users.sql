-- The users table without UNIQUE column constraints: usernames and emails are unique among the
-- database connection's users (`auth0|…`) only. SQLite's documented way to change a table's
-- constraints (the twelve steps of "Making Other Kinds Of Table Schema Changes"), run by
-- `SqliteStore::connect` in one transaction with foreign keys off, so that dropping the old
-- table cascades to nothing.
CREATE TABLE users_rebuilt (
    user_id         TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    email_verified  INTEGER NOT NULL,
    blocked         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    given_name      TEXT,
    family_name     TEXT,
    nickname        TEXT,
    picture         TEXT,
    user_metadata   TEXT NOT NULL DEFAULT '{}',
    app_metadata    TEXT NOT NULL DEFAULT '{}',
    last_login      INTEGER,
    last_ip         TEXT,
    logins_count    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_rebuilt (user_id, username, email, name, password_hash, email_verified,
    blocked, created_at, updated_at, given_name, family_name, nickname, picture, user_metadata,
    app_metadata, last_login, last_ip, logins_count)
SELECT user_id, username, email, name, password_hash, email_verified, blocked, created_at,
    updated_at, given_name, family_name, nickname, picture, user_metadata, app_metadata,
    last_login, last_ip, logins_count
FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE UNIQUE INDEX users_database_username ON users (username) WHERE user_id LIKE 'auth0|%';
CREATE UNIQUE INDEX users_database_email ON users (email) WHERE user_id LIKE 'auth0|%';
CREATE INDEX users_by_email ON users (email);

