-- Tenant-wide settings, one JSON document each by name (`branding`: Auth0's /api/v2/branding).
CREATE TABLE tenant_settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
