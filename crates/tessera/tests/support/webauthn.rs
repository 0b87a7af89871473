//! A software authenticator for tests: it answers the WebAuthn options a hosted page carries
//! with what a browser and a platform authenticator would post — real ES256 keys, real
//! signatures, real CBOR — so that the server's verifier (webauthn-rs) checks them exactly as
//! it checks a phone's or a laptop's, and nothing on the server is mocked.
//!
//! Every field of an answer can be changed ([`Tweaks`]), to play the attacks the verifier must
//! refuse: a phishing origin, another site's credential, an answer to another challenge, a
//! cloned authenticator's counter, no user verification.

use aws_lc_rs::rand;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Authenticator data flags (WebAuthn §6.1).
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKUP_ELIGIBLE: u8 = 0x08;
const ATTESTED_CREDENTIAL_DATA: u8 = 0x40;

/// What a test changes in an answer, to play an attacker or a broken device; the default
/// changes nothing.
#[derive(Debug, Clone, Default)]
pub struct Tweaks {
    /// The origin the browser reports, instead of the authenticator's (a phishing site's).
    pub origin: Option<String>,
    /// The RP id whose hash goes into the authenticator data, instead of the options' (a
    /// credential scoped to another site).
    pub rp_id: Option<String>,
    /// The challenge the client data carries, instead of the options' (an answer made for
    /// another ceremony, still correctly signed).
    pub challenge: Option<Vec<u8>>,
    /// The signature counter, instead of one more than the last (0 at registration): a
    /// cloned authenticator's, whose counter lags behind.
    pub counter: Option<u32>,
    /// The UV flag off: someone touched the key, but no PIN or biometric was checked.
    pub skip_user_verification: bool,
    /// The user handle of an assertion, instead of the one given at registration
    /// (`Some(None)`: none at all).
    pub user_handle: Option<Option<Vec<u8>>>,
    /// The client data's `type`, instead of `webauthn.create` or `webauthn.get` (a
    /// registration's signature offered as a login's).
    pub client_data_type: Option<String>,
    /// At registration: this credential id, instead of 16 random bytes (one that is already
    /// registered, perhaps to someone else).
    pub credential_id: Option<Vec<u8>>,
    /// At registration: a key the platform syncs to the person's other devices (the BE
    /// flag), which makes it "something you have" in software rather than in hardware.
    pub backup_eligible: bool,
}

/// A credential the authenticator made, with what it keeps to answer later.
pub struct Credential {
    pub id: Vec<u8>,
    /// What the relying party named the account with (`user.id`): a discoverable login
    /// hands it back so the server knows whose passkey it is.
    pub user_handle: Vec<u8>,
    pub rp_id: String,
    /// The last signature counter reported; it only goes up, as a real authenticator's.
    pub counter: u32,
    pub backup_eligible: bool,
    key: EcdsaKeyPair,
}

/// A platform authenticator and the browser in front of it, at one origin.
pub struct SoftAuthenticator {
    /// The origin of the page the ceremonies run on (`http://localhost:<port>`).
    pub origin: String,
    pub credentials: Vec<Credential>,
}

impl SoftAuthenticator {
    /// An authenticator with no credential, used on pages at `origin` (an issuer URL's
    /// trailing slash is dropped).
    pub fn new(origin: &str) -> SoftAuthenticator {
        SoftAuthenticator {
            origin: origin.trim_end_matches('/').to_owned(),
            credentials: Vec::new(),
        }
    }

    /// The credential made last.
    pub fn last(&self) -> &Credential {
        self.credentials.last().expect("a registered credential")
    }

    /// `navigator.credentials.create()` answered as a browser posts it: `options` is the
    /// page's `{"publicKey": {...}}`.
    pub fn register(&mut self, options: &Value) -> String {
        self.register_with(options, &Tweaks::default())
    }

    /// [`SoftAuthenticator::register`], changed by `tweaks`. The credential is kept, even if
    /// the server refuses it: the device cannot know.
    pub fn register_with(&mut self, options: &Value, tweaks: &Tweaks) -> String {
        let public_key = &options["publicKey"];
        let rp_id = text(&public_key["rp"]["id"]).to_owned();
        let user_handle = base64url(text(&public_key["user"]["id"]));
        let challenge = base64url(text(&public_key["challenge"]));
        let id = tweaks.credential_id.clone().unwrap_or_else(|| random(16));
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();

        let mut flags = USER_PRESENT | ATTESTED_CREDENTIAL_DATA;
        if !tweaks.skip_user_verification {
            flags |= USER_VERIFIED;
        }
        if tweaks.backup_eligible {
            flags |= BACKUP_ELIGIBLE;
        }
        let counter = tweaks.counter.unwrap_or(0);
        let mut auth_data = authenticator_data(tweaks.rp_id.as_deref().unwrap_or(&rp_id), flags);
        auth_data.extend_from_slice(&counter.to_be_bytes());
        // Attested credential data: no attestation, so an all-zero AAGUID.
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_es256_key(key.public_key().as_ref()));

        // Passkeys ask for no attestation: format "none", an empty statement.
        let mut attestation = Vec::new();
        cbor::map(&mut attestation, 3);
        cbor::text(&mut attestation, "fmt");
        cbor::text(&mut attestation, "none");
        cbor::text(&mut attestation, "attStmt");
        cbor::map(&mut attestation, 0);
        cbor::text(&mut attestation, "authData");
        cbor::bytes(&mut attestation, &auth_data);

        let client_data = self.client_data("webauthn.create", &challenge, tweaks);
        let answer = json!({
            "id": URL_SAFE_NO_PAD.encode(&id),
            "rawId": URL_SAFE_NO_PAD.encode(&id),
            "type": "public-key",
            "extensions": {},
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "attestationObject": URL_SAFE_NO_PAD.encode(&attestation),
                "transports": ["internal"],
            },
        });
        self.credentials.push(Credential {
            id,
            user_handle,
            rp_id,
            counter,
            backup_eligible: tweaks.backup_eligible,
            key,
        });
        answer.to_string()
    }

    /// `navigator.credentials.get()` answered as a browser posts it: `options` is the page's
    /// `{"publicKey": {...}}`.
    pub fn assert(&mut self, options: &Value) -> String {
        self.assert_with(options, &Tweaks::default())
    }

    /// [`SoftAuthenticator::assert`], changed by `tweaks`. Of the credentials the options
    /// allow — any for the RP id when they list none (a discoverable login, where the
    /// authenticator names the account) — the one made last answers.
    pub fn assert_with(&mut self, options: &Value, tweaks: &Tweaks) -> String {
        let public_key = &options["publicKey"];
        let challenge = base64url(text(&public_key["challenge"]));
        let rp_id = public_key["rpId"].as_str();
        let allowed: Vec<Vec<u8>> = public_key["allowCredentials"]
            .as_array()
            .map(|list| list.iter().map(|c| base64url(text(&c["id"]))).collect())
            .unwrap_or_default();
        let client_data = self.client_data("webauthn.get", &challenge, tweaks);
        let credential = self
            .credentials
            .iter_mut()
            .rev()
            .find(|c| {
                rp_id.is_none_or(|rp_id| rp_id == c.rp_id)
                    && (allowed.is_empty() || allowed.contains(&c.id))
            })
            .expect("a credential the options allow");

        let counter = tweaks.counter.unwrap_or(credential.counter + 1);
        // A real counter never goes back, whatever a lagging clone reported.
        credential.counter = credential.counter.max(counter);
        let mut flags = USER_PRESENT;
        if !tweaks.skip_user_verification {
            flags |= USER_VERIFIED;
        }
        if credential.backup_eligible {
            flags |= BACKUP_ELIGIBLE;
        }
        let rp_id = tweaks.rp_id.as_deref().unwrap_or(&credential.rp_id);
        let mut auth_data = authenticator_data(rp_id, flags);
        auth_data.extend_from_slice(&counter.to_be_bytes());

        // The signature covers the authenticator data and the client data's hash.
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = credential
            .key
            .sign(&rand::SystemRandom::new(), &signed)
            .unwrap();
        let user_handle = tweaks
            .user_handle
            .clone()
            .unwrap_or_else(|| Some(credential.user_handle.clone()));
        json!({
            "id": URL_SAFE_NO_PAD.encode(&credential.id),
            "rawId": URL_SAFE_NO_PAD.encode(&credential.id),
            "type": "public-key",
            "extensions": {},
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": user_handle.map(|h| URL_SAFE_NO_PAD.encode(h)),
            },
        })
        .to_string()
    }

    /// The client data the browser collects (and the authenticator signs the hash of).
    fn client_data(&self, kind: &str, challenge: &[u8], tweaks: &Tweaks) -> Vec<u8> {
        let challenge = tweaks.challenge.as_deref().unwrap_or(challenge);
        json!({
            "type": tweaks.client_data_type.as_deref().unwrap_or(kind),
            "challenge": URL_SAFE_NO_PAD.encode(challenge),
            "origin": tweaks.origin.as_deref().unwrap_or(&self.origin),
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }
}

/// The WebAuthn options a hosted page carries for its script (`#passkey-options`).
pub fn page_options(html: &str) -> Option<Value> {
    let marker = "<script type=\"application/json\" id=\"passkey-options\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find("</script>")?;
    Some(serde_json::from_str(&html[start..start + end]).expect("the options are JSON"))
}

/// The start of authenticator data: the RP id's hash, then the flags.
fn authenticator_data(rp_id: &str, flags: u8) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data
}

/// An ES256 public key (an uncompressed P-256 point) as the COSE_Key the verifier reads.
fn cose_es256_key(point: &[u8]) -> Vec<u8> {
    assert!(
        point.len() == 65 && point[0] == 0x04,
        "an uncompressed point"
    );
    let mut key = Vec::new();
    cbor::map(&mut key, 5);
    cbor::int(&mut key, 1); // kty:
    cbor::int(&mut key, 2); //   EC2
    cbor::int(&mut key, 3); // alg:
    cbor::int(&mut key, -7); //   ES256
    cbor::int(&mut key, -1); // crv:
    cbor::int(&mut key, 1); //   P-256
    cbor::int(&mut key, -2); // x
    cbor::bytes(&mut key, &point[1..33]);
    cbor::int(&mut key, -3); // y
    cbor::bytes(&mut key, &point[33..]);
    key
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string in the options: {value}"))
}

fn base64url(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .expect("base64url in the options")
}

/// `n` random bytes.
pub fn random(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    rand::fill(&mut bytes).unwrap();
    bytes
}

/// The little CBOR (RFC 8949) WebAuthn needs, definite lengths only.
mod cbor {
    fn head(out: &mut Vec<u8>, major: u8, value: u64) {
        let major = major << 5;
        match value {
            0..=23 => out.push(major | value as u8),
            24..=0xff => out.extend_from_slice(&[major | 24, value as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend_from_slice(&(value as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(major | 26);
                out.extend_from_slice(&(value as u32).to_be_bytes());
            }
            _ => {
                out.push(major | 27);
                out.extend_from_slice(&value.to_be_bytes());
            }
        }
    }

    pub fn int(out: &mut Vec<u8>, value: i64) {
        if value >= 0 {
            head(out, 0, value as u64);
        } else {
            head(out, 1, (-1 - value) as u64);
        }
    }

    pub fn bytes(out: &mut Vec<u8>, value: &[u8]) {
        head(out, 2, value.len() as u64);
        out.extend_from_slice(value);
    }

    pub fn text(out: &mut Vec<u8>, value: &str) {
        head(out, 3, value.len() as u64);
        out.extend_from_slice(value.as_bytes());
    }

    /// A map's head; its `pairs` keys and values follow.
    pub fn map(out: &mut Vec<u8>, pairs: u64) {
        head(out, 5, pairs);
    }
}
