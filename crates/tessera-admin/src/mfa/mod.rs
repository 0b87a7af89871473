//! Multi-factor authentication: which factors the tenant offers and when it asks for one
//! (Auth0's Guardian factors and policies), and the factors users enroll — TOTP secrets sealed
//! with the master secret, one recovery code kept as its digest, passkeys (WebAuthn).

pub mod factors;
pub mod guardian;
pub(crate) mod imported;
pub mod methods;
pub mod passkeys;

pub use factors::{Enrolled, NewRecoveryCode, TotpEnrollment};
pub use guardian::{Factor, MfaSettings};
pub use passkeys::{Ceremony, CeremonyKind, PasskeyProof, PasskeyRefusal};
