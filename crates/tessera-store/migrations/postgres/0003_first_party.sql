-- Auth0's first-party applications and the APIs that skip consent for them.
ALTER TABLE clients ADD COLUMN is_first_party BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE resource_servers ADD COLUMN skip_consent_for_verifiable_first_party_clients BOOLEAN NOT NULL DEFAULT FALSE;
