-- A pending authorization's CSRF token is derived from the browser cookie (which only the
-- browser holds) instead of stored: nothing in the database lets anyone post its forms.
ALTER TABLE pending_authorizations DROP COLUMN csrf_token;
