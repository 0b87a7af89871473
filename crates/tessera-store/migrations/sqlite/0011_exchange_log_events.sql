-- Token exchanges (seacft, seccft, sertft) get a table of their own. They are by far the most
-- numerous events and the log's cap deletes them first; in one table with the logins, each
-- old index page kept a login or two and PostgreSQL, which reuses an index page only once it
-- is empty, grew the log's indexes without end. Each table is now deleted oldest first.
CREATE TABLE exchange_log_events (
    log_id       TEXT PRIMARY KEY,
    date         INTEGER NOT NULL,
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
CREATE INDEX exchange_log_events_by_date ON exchange_log_events (date, log_id);
CREATE INDEX exchange_log_events_by_user ON exchange_log_events (user_id, date);
CREATE INDEX exchange_log_events_by_client ON exchange_log_events (client_id, date);
CREATE INDEX exchange_log_events_by_type ON exchange_log_events (type, date);

INSERT INTO exchange_log_events (log_id, date, type, description, client_id, client_name, ip,
        user_agent, user_id, user_name, details)
    SELECT log_id, date, type, description, client_id, client_name, ip, user_agent, user_id,
        user_name, details
    FROM log_events WHERE type IN ('seacft', 'seccft', 'sertft');
DELETE FROM log_events WHERE type IN ('seacft', 'seccft', 'sertft');
