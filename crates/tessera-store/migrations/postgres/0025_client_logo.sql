-- Auth0's `logo_uri` of an application: the logo its hosted pages show (NULL: none).
ALTER TABLE clients ADD COLUMN logo_uri TEXT;
