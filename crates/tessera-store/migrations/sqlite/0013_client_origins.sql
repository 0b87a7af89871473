-- Auth0's "Allowed Web Origins" and "Allowed Origins (CORS)" of an application, JSON arrays.
ALTER TABLE clients ADD COLUMN web_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
