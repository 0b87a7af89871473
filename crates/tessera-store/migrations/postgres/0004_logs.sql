-- The audit log (Auth0's log events). No foreign keys: events outlive the users and clients
-- they name.
CREATE TABLE log_events (
    log_id       TEXT PRIMARY KEY,
    date         BIGINT NOT NULL,
    type         TEXT NOT NULL,
    description  TEXT NOT NULL,
    client_id    TEXT,
    client_name  TEXT,
    ip           TEXT,
    user_agent   TEXT,
    user_id      TEXT,
    user_name    TEXT,
    details      TEXT NOT NULL
);
CREATE INDEX log_events_by_date ON log_events (date, log_id);
CREATE INDEX log_events_by_user ON log_events (user_id, date);
CREATE INDEX log_events_by_client ON log_events (client_id, date);
CREATE INDEX log_events_by_type ON log_events (type, date);
