-- Auth0's Actions: an action's draft (code, dependencies, secrets sealed with the master secret),
-- the immutable versions each deploy snapshots from it, and the ordered bindings of deployed
-- actions to the triggers Tessera runs. Deleting an action takes its versions and bindings along.
CREATE TABLE actions (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    trigger_id            TEXT NOT NULL,
    trigger_version       TEXT NOT NULL,
    code                  TEXT NOT NULL,
    runtime               TEXT NOT NULL,
    -- JSON: [{name, version, registry_url?}], echoed as given.
    dependencies          TEXT NOT NULL,
    -- JSON: [{name, value, updated_at}], each value sealed (`v1:…`), never plaintext.
    secrets               TEXT NOT NULL,
    deployed_version      BIGINT,
    all_changes_deployed  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE action_versions (
    id               TEXT PRIMARY KEY,
    action_id        TEXT NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    number           BIGINT NOT NULL,
    trigger_id       TEXT NOT NULL,
    trigger_version  TEXT NOT NULL,
    code             TEXT NOT NULL,
    runtime          TEXT NOT NULL,
    dependencies     TEXT NOT NULL,
    secrets          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (action_id, number)
);

CREATE TABLE action_bindings (
    id            TEXT PRIMARY KEY,
    trigger_id    TEXT NOT NULL,
    position      BIGINT NOT NULL,
    action_id     TEXT NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (trigger_id, position)
);
CREATE INDEX action_bindings_by_action ON action_bindings (action_id);
