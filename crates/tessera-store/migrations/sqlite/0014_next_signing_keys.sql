-- A key signs from `activated_at`; until then (NULL) it is the next key, published ahead of a
-- rotation as Auth0 does. Every existing key had signed from its creation.
ALTER TABLE signing_keys ADD COLUMN activated_at INTEGER;
UPDATE signing_keys SET activated_at = created_at;
