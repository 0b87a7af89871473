//! Mail: the provider it goes through, Auth0's templates it is made from, the queue it waits
//! in and the postman that sends it (retrying with back-off), and the mails Tessera sends:
//! email verification, password reset and welcome.

mod messages;
pub mod outbox;
mod postman;
pub mod provider;
pub mod templates;

use std::time::Duration;

use metrics::Counter;
use tokio::sync::Notify;

pub use messages::{ResetRequested, VerificationEmailJobBody};
pub use provider::{Delivery, EmailProvider, SmtpCredentials, SmtpProvider};
pub use templates::{EmailTemplate, TemplateName};

/// The application a mail is sent for (`application.name`, `application.clientID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub client_id: String,
    pub name: String,
}

/// What the postman counts, by outcome.
#[derive(Clone)]
pub struct EmailCounters {
    /// Taken by the SMTP server.
    pub sent: Counter,
    /// An attempt failed; the mail waits for the next.
    pub retried: Counter,
    /// Given up on.
    pub failed: Counter,
    /// Kept in the development outbox (no provider).
    pub outboxed: Counter,
}

impl EmailCounters {
    /// Counters that count nothing (the CLI, tests).
    pub fn noop() -> EmailCounters {
        EmailCounters {
            sent: Counter::noop(),
            retried: Counter::noop(),
            failed: Counter::noop(),
            outboxed: Counter::noop(),
        }
    }
}

/// How mail is set up on this node.
pub struct EmailSetup {
    /// The configuration file's `[email]`: used unless the Management API set a provider.
    pub configured: Option<SmtpProvider>,
    pub counters: EmailCounters,
    /// How often the postman looks for mails due (it is also woken when this node queues one).
    pub poll_interval: Duration,
    /// Wakes the postman.
    pub(crate) wake: Notify,
}

impl EmailSetup {
    pub fn new(
        configured: Option<SmtpProvider>,
        counters: EmailCounters,
        poll_interval: Duration,
    ) -> EmailSetup {
        EmailSetup {
            configured,
            counters,
            poll_interval,
            wake: Notify::new(),
        }
    }

    /// No configured provider, nothing counted (the CLI, tests).
    pub fn unconfigured() -> EmailSetup {
        EmailSetup::new(None, EmailCounters::noop(), Duration::from_secs(5))
    }
}
