-- The database connection as an object with Auth0's kind of id, which user import jobs name.
CREATE TABLE connections (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    strategy    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
INSERT INTO connections (id, name, strategy, created_at)
VALUES ('con_' || substr(md5(random()::text || clock_timestamp()::text), 1, 16), 'Username-Password-Authentication', 'auth0',
        CAST(extract(epoch FROM now()) AS BIGINT));

-- Auth0's jobs (user imports and exports). An import's file is kept in `job_files`, in pieces,
-- until the job ends; `position` counts the users already processed, committed together with
-- them, so a job interrupted by a restart resumes after the last committed user.
CREATE TABLE jobs (
    id                      TEXT PRIMARY KEY,
    kind                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    connection_id           TEXT NOT NULL,
    external_id             TEXT,
    upsert                  BOOLEAN NOT NULL,
    send_completion_email   BOOLEAN NOT NULL,
    position                BIGINT NOT NULL DEFAULT 0,
    inserted                BIGINT NOT NULL DEFAULT 0,
    updated                 BIGINT NOT NULL DEFAULT 0,
    failed                  BIGINT NOT NULL DEFAULT 0,
    failure                 TEXT,
    -- An export's format, limit and fields (JSON), and the key its download links are signed
    -- with (the file is kept a day after the job completed).
    settings                TEXT NOT NULL DEFAULT '{}',
    file_key                BYTEA,
    completed_at            BIGINT,
    -- The node running the job holds it until then (it renews the lease at every batch); a job
    -- whose lease lapsed, its node gone, is taken up by the next node that looks.
    lease_until             BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX jobs_by_status ON jobs (status, created_at);

CREATE TABLE job_files (
    job_id  TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE job_errors (
    job_id  TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    user_json   TEXT NOT NULL,
    errors_json TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
