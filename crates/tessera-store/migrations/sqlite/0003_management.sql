-- Ids for consents (Auth0's grants) and client grants, as the Management API addresses them.
ALTER TABLE consents ADD COLUMN id TEXT;
UPDATE consents SET id = lower(hex(randomblob(12))) WHERE id IS NULL;
CREATE UNIQUE INDEX consents_by_id ON consents (id);

ALTER TABLE client_grants ADD COLUMN id TEXT;
UPDATE client_grants SET id = 'cgr_' || lower(hex(randomblob(8))) WHERE id IS NULL;
CREATE UNIQUE INDEX client_grants_by_id ON client_grants (id);
CREATE INDEX client_grants_by_audience ON client_grants (audience);
