-- Passkeys (WebAuthn credentials) are authenticators of kind 'passkey': secret holds the
-- credential's public key, its signature counter and the user handle the authenticator keeps,
-- as JSON (nothing in it is secret). credential_id (base64url) finds the passkey an
-- authenticator offered when the person named no account (passwordless, autofill); a
-- credential is registered to one account only.
ALTER TABLE authenticators ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX authenticators_by_credential ON authenticators (credential_id);
