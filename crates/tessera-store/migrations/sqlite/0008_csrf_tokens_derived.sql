-- CSRF tokens are derived from a cookie only the browser holds (the pending authorization's
-- browser cookie, the administrator's session cookie) instead of stored: nothing in the
-- database lets anyone post a form in someone else's name.
ALTER TABLE pending_authorizations DROP COLUMN csrf_token;
ALTER TABLE admin_sessions DROP COLUMN csrf_token;
