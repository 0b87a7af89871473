-- Auth0 gives every resource server an opaque id besides its identifier (the tokens' audience);
-- its SDKs address resource servers by that id.
ALTER TABLE resource_servers ADD COLUMN id TEXT;
UPDATE resource_servers SET id = substr(md5(random()::text || identifier), 1, 24);
ALTER TABLE resource_servers ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX resource_servers_by_id ON resource_servers (id);
