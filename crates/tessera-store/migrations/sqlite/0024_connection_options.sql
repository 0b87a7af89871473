-- The database connection's options, Auth0's `options` object as JSON: the password policy,
-- sign-up and username settings. Tessera's defaults differ from Auth0's new-tenant "good" on
-- purpose (docs/auth0-compatibility.md): at least 8 characters of any kind (the rule Tessera
-- applied before this migration) and none of the 10,000 most common passwords, as NIST SP
-- 800-63B advises. Stored passwords are not re-checked; the rules apply to new ones.
ALTER TABLE connections ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
UPDATE connections SET options = '{"passwordPolicy":"low","password_complexity_options":{"min_length":8},"password_history":{"enable":false,"size":5},"password_no_personal_info":{"enable":false},"password_dictionary":{"enable":true,"dictionary":[]},"disable_signup":false,"requires_username":false,"brute_force_protection":true}'
WHERE name = 'Username-Password-Authentication';

-- Each user's previous password hashes, newest kept, for `password_history`.
CREATE TABLE password_history (
    user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    password_hash  TEXT NOT NULL,
    set_at         INTEGER NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (user_id, set_at);
