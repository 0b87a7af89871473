-- Auth0's RBAC settings of an API: enforce_policies and token_dialect.
ALTER TABLE resource_servers ADD COLUMN enforce_policies INTEGER NOT NULL DEFAULT 0;
ALTER TABLE resource_servers ADD COLUMN token_dialect TEXT NOT NULL DEFAULT 'access_token';
