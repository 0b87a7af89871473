-- Dashboard administrators, separate from end users, and their sign-in sessions.
CREATE TABLE admins (
    username       TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'read_only')),
    created_at     INTEGER NOT NULL
);

CREATE TABLE admin_sessions (
    digest      BLOB PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX admin_sessions_by_expiry ON admin_sessions (expires_at);
