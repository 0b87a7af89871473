//! The MFA factors a users import brings (Auth0's `mfa_factors`): an authenticator app's secret
//! is sealed here and rides with its user in the batch the store commits, which makes it a
//! confirmed authenticator of the user the entry was written to in the same transaction; the
//! entries whose phone or email factors were skipped are named in the job.

use tessera_core::crypto::random_alphanumeric;
use tessera_protocol::mfa::TotpSecret;
use tessera_store::{AuthenticatorKind, ImportedTotp};

use crate::error::AdminResult;
use crate::service::Admin;

/// The entries named one by one in a job's note; more are counted.
const NAMED_ENTRIES: usize = 20;

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
    /// An entry's authenticator app `secret`, sealed under a new authenticator id, for the
    /// store to write with the entry's user (see `JobStore::commit_import_batch`).
    pub(crate) fn imported_totp(&self, secret: &TotpSecret) -> AdminResult<ImportedTotp> {
        // An id as factors.rs makes them: Auth0's `totp|dev_` and 16 letters and digits.
        let id = format!(
            "{}|dev_{}",
            AuthenticatorKind::Totp.as_str(),
            random_alphanumeric(16)?
        );
        let secret = self.seal_totp(&id, secret)?;
        Ok(ImportedTotp { id, secret })
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
