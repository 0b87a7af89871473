//! The MFA factors a users import brings (Auth0's `mfa_factors`): an authenticator app's secret
//! becomes a confirmed authenticator of the user its entry was written to, once the batch is
//! committed; the entries whose phone or email factors were skipped are named in the job.

use tessera_core::crypto::random_alphanumeric;
use tessera_protocol::mfa::TotpSecret;
use tessera_store::{Authenticator, AuthenticatorKind, NewUser};

use crate::error::AdminResult;
use crate::service::Admin;

/// The entries named one by one in a job's note; more are counted.
const NAMED_ENTRIES: usize = 20;

/// An authenticator app's secret from the `index`th entry of an import file.
#[derive(Debug)]
pub(crate) struct ImportedTotp {
    pub index: u64,
    /// The user as the entry had it (the store may have written it to an existing user).
    pub user: NewUser,
    pub secret: TotpSecret,
}

/// What a batch brings besides its users.
#[derive(Debug, Default)]
pub(crate) struct BatchFactors {
    pub totps: Vec<ImportedTotp>,
    /// The entries whose phone or email factors were skipped.
    pub skipped: Vec<u64>,
}

/// The job's note on the users imported without their phone or email factors, if any.
pub(crate) fn skipped_note(entries: &[u64]) -> Option<String> {
    let (first, count) = (entries.first()?, entries.len());
    let named: Vec<String> = entries
        .iter()
        .take(NAMED_ENTRIES)
        .map(u64::to_string)
        .collect();
    let more = match count.saturating_sub(NAMED_ENTRIES) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let (who, were) = match count {
        1 => (format!("The user of entry {first}"), "was"),
        _ => (
            format!("The users of entries {}{more}", named.join(", ")),
            "were",
        ),
    };
    Some(format!(
        "{who} {were} imported without their phone or email MFA factors, which Tessera cannot \
         use (it offers authenticator apps and recovery codes)"
    ))
}

impl Admin {
    /// Writes the secrets of a committed batch's users, but for the entries the store
    /// `refused`.
    pub(crate) async fn import_totps(
        &self,
        totps: Vec<ImportedTotp>,
        refused: &[u64],
    ) -> AdminResult<()> {
        for totp in totps.iter().filter(|t| !refused.contains(&t.index)) {
            if let Some(user_id) = self.written_user(&totp.user).await? {
                self.import_totp(&user_id, &totp.secret).await?;
            }
        }
        Ok(())
    }

    /// The user an entry was written to: the store's upsert matches by email, or else id, or
    /// else username (an insert, by all three).
    async fn written_user(&self, user: &NewUser) -> AdminResult<Option<String>> {
        let store = self.store();
        if let Some(found) = store.users_by_email(&user.email).await?.into_iter().next() {
            return Ok(Some(found.user_id));
        }
        if let Some(found) = store.user(&user.user_id).await? {
            return Ok(Some(found.user_id));
        }
        Ok(store
            .user_by_login(&user.username)
            .await?
            .map(|found| found.user_id))
    }

    /// Gives the user the authenticator app `secret`, confirmed, unless they have one: an
    /// upsert never replaces a factor the user enrolled. False when they kept theirs.
    async fn import_totp(&self, user_id: &str, secret: &TotpSecret) -> AdminResult<bool> {
        let has_app = self
            .store()
            .authenticators(user_id)
            .await?
            .iter()
            .any(|a| a.kind == AuthenticatorKind::Totp && a.confirmed);
        if has_app {
            return Ok(false);
        }
        // An id as factors.rs makes them: Auth0's `totp|dev_` and 16 letters and digits.
        let id = format!(
            "{}|dev_{}",
            AuthenticatorKind::Totp.as_str(),
            random_alphanumeric(16)?
        );
        let authenticator = Authenticator {
            id: id.clone(),
            user_id: user_id.to_owned(),
            kind: AuthenticatorKind::Totp,
            secret: self.seal_totp(&id, secret)?,
            name: None,
            confirmed: true,
            created_at: self.now(),
            last_auth_at: None,
            last_step: None,
        };
        // The store has no verb for a confirmed authenticator: `begin_enrollment` writes it as
        // given, and drops the user's unfinished enrollment, which this one supersedes.
        self.store().begin_enrollment(&authenticator).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_the_entries_and_counts_the_rest() {
        assert_eq!(skipped_note(&[]), None);
        let one = skipped_note(&[3]).unwrap_or_default();
        assert!(
            one.starts_with("The user of entry 3 was imported without"),
            "{one}"
        );
        let many: Vec<u64> = (1..=23).collect();
        let note = skipped_note(&many).unwrap_or_default();
        assert!(note.contains("entries 1, 2, 3,"), "{note}");
        assert!(note.contains("20 and 3 more were imported"), "{note}");
    }
}
