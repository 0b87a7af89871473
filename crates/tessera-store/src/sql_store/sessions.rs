//! SSO sessions, authorizations pending login or consent, and consents.

use super::*;
use crate::{TicketKind, UserTicket, UserTicketStore};

#[async_trait]
impl SessionStore for Backend {
    async fn create_session(
        &self,
        digest: &SecretDigest,
        session: &Session,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (digest, sid, user_id, auth_time, created_at, expires_at, amr) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(&session.sid)
        .bind(&session.user_id)
        .bind(session.auth_time.0)
        .bind(now.0)
        .bind(session.expires_at.0)
        .bind(session.amr.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, digest: &SecretDigest, now: Timestamp) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT sid, user_id, auth_time, expires_at, amr FROM sessions WHERE digest = $1 AND expires_at > $2")
            .bind(digest.as_bytes().as_slice())
            .bind(now.0)
            .fetch_optional(self.readers())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn end_sessions_of(&self, user_id: &str) -> StoreResult<u64> {
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(ended.rows_affected())
    }

    async fn end_session(&self, digest: &SecretDigest) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "DELETE FROM sessions WHERE digest = $1 RETURNING sid, user_id, auth_time, expires_at, amr",
        )
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }
}

#[async_trait]
impl PendingAuthorizationStore for Backend {
    async fn create_pending(
        &self,
        pending: &PendingAuthorization,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pending_authorizations (id, request, browser_digest, user_id, auth_time, sid, created_at, expires_at, amr, first_factor_user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&pending.id)
        .bind(to_json(&pending.request)?)
        .bind(pending.browser_digest.as_bytes().as_slice())
        .bind(pending.login.as_ref().map(|login| login.user_id.clone()))
        .bind(pending.login.as_ref().map(|login| login.auth_time.0))
        .bind(pending.login.as_ref().map(|login| login.sid.clone()))
        .bind(now.0)
        .bind(pending.expires_at.0)
        .bind(
            pending
                .login
                .as_ref()
                .map(|login| &login.amr)
                .or(pending.first_factor.as_ref().map(|first| &first.amr))
                .map(Amr::to_string)
                .unwrap_or_default(),
        )
        .bind(pending.first_factor.as_ref().map(|first| first.user_id.clone()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn pending(&self, id: &str, now: Timestamp) -> StoreResult<Option<PendingAuthorization>> {
        let row =
            sqlx::query("SELECT * FROM pending_authorizations WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now.0)
                .fetch_optional(self.readers())
                .await?;
        row.as_ref().map(pending_from_row).transpose()
    }

    async fn record_login(&self, id: &str, login: &Login) -> StoreResult<()> {
        sqlx::query("UPDATE pending_authorizations SET user_id = $2, auth_time = $3, sid = $4, amr = $5, first_factor_user_id = NULL WHERE id = $1")
            .bind(id)
            .bind(&login.user_id)
            .bind(login.auth_time.0)
            .bind(&login.sid)
            .bind(login.amr.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn record_first_factor(&self, id: &str, first: &FirstFactor) -> StoreResult<()> {
        sqlx::query(
            "UPDATE pending_authorizations SET first_factor_user_id = $2, amr = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(&first.user_id)
        .bind(first.amr.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn finish_pending(&self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM pending_authorizations WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

#[async_trait]
impl ConsentStore for Backend {
    async fn consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
    ) -> StoreResult<Option<ScopeSet>> {
        let row = sqlx::query(
            "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2 AND audience = $3",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .fetch_optional(self.readers())
        .await?;
        row.map(|row| scope_of(row.try_get("scope")?)).transpose()
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &ClientId,
        audience: Option<&str>,
        scope: &ScopeSet,
        new_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (id, user_id, client_id, audience, scope, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (user_id, client_id, audience) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(new_id)
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(audience.unwrap_or(""))
        .bind(scope.to_string())
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn consents_of(&self, user_id: &str) -> StoreResult<Vec<Consent>> {
        let rows = sqlx::query("SELECT * FROM consents WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user_id)
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(consent_from_row).collect()
    }

    async fn delete_consent(&self, id: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query("DELETE FROM consents WHERE id = $1 RETURNING *")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(consent_from_row).transpose()
    }
}

#[async_trait]
impl PushedRequestStore for Backend {
    async fn push_request(&self, digest: &SecretDigest, pushed: &PushedRequest) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pushed_authorization_requests (digest, client_id, params, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(pushed.client_id.as_str())
        .bind(to_json(&pushed.params)?)
        .bind(pushed.created_at.0)
        .bind(pushed.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn take_pushed_request(
        &self,
        digest: &SecretDigest,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>> {
        let row = sqlx::query(
            "DELETE FROM pushed_authorization_requests WHERE digest = $1
             RETURNING client_id, params, created_at, expires_at",
        )
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let pushed = PushedRequest {
            client_id: ClientId(row.try_get("client_id")?),
            params: from_json(row.try_get("params")?)?,
            created_at: Timestamp(row.try_get("created_at")?),
            expires_at: Timestamp(row.try_get("expires_at")?),
        };
        // An expired one is gone too: it could never be used again.
        Ok((now < pushed.expires_at).then_some(pushed))
    }
}

fn user_ticket_of(row: &<Db as sqlx::Database>::Row) -> StoreResult<UserTicket> {
    let kind: String = row.try_get("kind")?;
    Ok(UserTicket {
        kind: TicketKind::parse(&kind).ok_or_else(|| corrupt(format!("ticket kind {kind}")))?,
        user_id: row.try_get("user_id")?,
        result_url: row.try_get("result_url")?,
        mark_email_verified: row.try_get("mark_email_verified")?,
        expires_at: Timestamp(row.try_get("expires_at")?),
    })
}

#[async_trait]
impl UserTicketStore for Backend {
    async fn create_user_ticket(
        &self,
        digest: &SecretDigest,
        ticket: &UserTicket,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_tickets (digest, kind, user_id, result_url, mark_email_verified,
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(ticket.kind.as_str())
        .bind(&ticket.user_id)
        .bind(&ticket.result_url)
        .bind(ticket.mark_email_verified)
        .bind(ticket.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn user_ticket(
        &self,
        digest: &SecretDigest,
        kind: TicketKind,
        now: Timestamp,
    ) -> StoreResult<Option<UserTicket>> {
        let row = sqlx::query(
            "SELECT * FROM user_tickets WHERE digest = $1 AND kind = $2 AND expires_at > $3",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(kind.as_str())
        .bind(now.0)
        .fetch_optional(self.readers())
        .await?;
        row.as_ref().map(user_ticket_of).transpose()
    }

    async fn take_user_ticket(
        &self,
        digest: &SecretDigest,
        kind: TicketKind,
        now: Timestamp,
    ) -> StoreResult<Option<UserTicket>> {
        let row = sqlx::query(
            "DELETE FROM user_tickets WHERE digest = $1 AND kind = $2 AND expires_at > $3
             RETURNING *",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(kind.as_str())
        .bind(now.0)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_ticket_of).transpose()
    }
}
