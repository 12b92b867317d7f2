//! Sealing secrets at rest (certificate key material) under a key derived from the server secret.
//!
//! The server secret is at least 32 random bytes, written as base64 (`openssl rand -base64 32`).
//! From it HKDF-SHA256 derives, with distinct `info` labels, a 256-bit AES-GCM key and an 8-byte
//! key id. A sealed value is the base64 text of
//!
//! ```text
//! 0x01 (format version) | key id (8 bytes) | nonce (12 random bytes) | AES-256-GCM ciphertext and tag
//! ```
//!
//! with the version byte, the key id and a purpose label (e.g. `certificate/{thumbprint}`) as
//! associated data, so a sealed value opens only under the same secret and for the same purpose.
//! The key id tells which secret sealed a value without revealing it, so a node started with
//! another secret can say so instead of failing to decrypt.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hkdf::Hkdf;
use sha2::Sha256;
use std::fmt;

/// The format version byte of sealed values.
const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN;
const SALT: &[u8] = b"tollgate server secret";
const INFO_KEY: &[u8] = b"tollgate/seal/v1/aes-256-gcm";
const INFO_KEY_ID: &[u8] = b"tollgate/seal/v1/key-id";

/// The server secret: at least [`ServerSecret::MIN_LEN`] bytes. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSecret(Vec<u8>);

/// Why a secret's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Not base64.
    #[error("is not base64 text (make one with `openssl rand -base64 32`)")]
    NotBase64,
    /// Fewer bytes than required.
    #[error(
        "decodes to {0} bytes; at least 32 random bytes are required (`openssl rand -base64 32`)"
    )]
    TooShort(usize),
}

impl ServerSecret {
    /// The fewest bytes a secret may have.
    pub const MIN_LEN: usize = 32;

    /// A new secret of 32 random bytes.
    pub fn generate() -> ServerSecret {
        ServerSecret(rand::random::<[u8; 32]>().to_vec())
    }

    /// Reads the base64 text form (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<ServerSecret, SecretError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| SecretError::NotBase64)?;
        if bytes.len() < Self::MIN_LEN {
            return Err(SecretError::TooShort(bytes.len()));
        }
        Ok(ServerSecret(bytes))
    }

    /// The base64 text form, which [`ServerSecret::from_text`] reads.
    pub fn to_text(&self) -> String {
        BASE64.encode(&self.0)
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

/// Seals and opens values under the key derived from one server secret. `Debug` shows only the
/// key id.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    key_id: [u8; KEY_ID_LEN],
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not base64, or too short to hold the header, nonce and tag.
    #[error("the sealed value is malformed")]
    Malformed,
    /// A format version this code does not know.
    #[error("the sealed value has the unknown format version {0}")]
    UnknownVersion(u8),
    /// Sealed under another secret.
    #[error(
        "the value was sealed with key id {sealed_with}, this server's secret has key id {ours}"
    )]
    OtherKey {
        /// The key id in the sealed value.
        sealed_with: String,
        /// This sealer's key id.
        ours: String,
    },
    /// The key id matches but authentication fails: the value or its purpose was altered.
    #[error("the sealed value does not authenticate (altered, or sealed for another purpose)")]
    Corrupt,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sealer {
    /// The sealer of `secret`.
    pub fn new(secret: &ServerSecret) -> Sealer {
        let hk = Hkdf::<Sha256>::new(Some(SALT), &secret.0);
        let mut key = [0u8; 32];
        let mut key_id = [0u8; KEY_ID_LEN];
        // Both lengths are far below HKDF-SHA256's limit (8160 bytes): expand cannot fail.
        hk.expand(INFO_KEY, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hk.expand(INFO_KEY_ID, &mut key_id)
            .expect("8 bytes is a valid HKDF-SHA256 output length");
        let cipher = Aes256Gcm::new_from_slice(&key).expect("AES-256 takes a 32-byte key");
        Sealer { cipher, key_id }
    }

    /// The key id (16 hexadecimal digits): which secret this is, without revealing it.
    pub fn key_id(&self) -> String {
        hex(&self.key_id)
    }

    fn aad(header: &[u8], purpose: &str) -> Vec<u8> {
        let mut aad = header.to_vec();
        aad.extend_from_slice(purpose.as_bytes());
        aad
    }

    /// Seals `plaintext` for `purpose` under a fresh random nonce.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        let nonce: [u8; NONCE_LEN] = rand::random();
        let aad = Self::aad(&out, purpose);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // AES-GCM fails only beyond 64 GiB of plaintext; bodies are limited to 4 MiB.
            .expect("AES-GCM encrypts any message under 64 GiB");
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        BASE64.encode(out)
    }

    /// Opens a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let bytes = BASE64.decode(sealed).map_err(|_| SealError::Malformed)?;
        if bytes.len() < HEADER_LEN + NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (header, rest) = bytes.split_at(HEADER_LEN);
        if header[0] != VERSION {
            return Err(SealError::UnknownVersion(header[0]));
        }
        if header[1..] != self.key_id {
            return Err(SealError::OtherKey {
                sealed_with: hex(&header[1..]),
                ours: self.key_id(),
            });
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let aad = Self::aad(header, purpose);
        self.cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)
    }

    /// The key id a sealed value names, if it is in a known format.
    pub fn sealed_key_id(sealed: &str) -> Option<String> {
        let bytes = BASE64.decode(sealed).ok()?;
        (bytes.len() >= HEADER_LEN && bytes[0] == VERSION).then(|| hex(&bytes[1..HEADER_LEN]))
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.key_id())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAINTEXT: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n";

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn seals_and_opens() {
        let sealer = Sealer::new(&ServerSecret::generate());
        let sealed = sealer.seal("certificate/AB", PLAINTEXT);
        assert_eq!(sealer.open("certificate/AB", &sealed).unwrap(), PLAINTEXT);
        // A fresh nonce each time.
        assert_ne!(sealer.seal("certificate/AB", PLAINTEXT), sealed);
        assert_eq!(Sealer::sealed_key_id(&sealed), Some(sealer.key_id()));
    }

    #[test]
    fn sealed_bytes_do_not_contain_the_plaintext() {
        let sealer = Sealer::new(&ServerSecret::generate());
        let sealed = sealer.seal("p", PLAINTEXT);
        let bytes = BASE64.decode(&sealed).unwrap();
        for window in PLAINTEXT.chunks(8) {
            assert!(
                !contains(&bytes, window),
                "plaintext piece {window:?} in the sealed bytes"
            );
            assert!(!contains(sealed.as_bytes(), window));
        }
        assert!(!contains(
            sealed.as_bytes(),
            &BASE64.encode(PLAINTEXT).as_bytes()[..12]
        ));
    }

    #[test]
    fn another_secret_or_purpose_does_not_open() {
        let secret = ServerSecret::generate();
        let sealer = Sealer::new(&secret);
        let sealed = sealer.seal("certificate/AB", PLAINTEXT);
        let other = Sealer::new(&ServerSecret::generate());
        assert!(matches!(
            other.open("certificate/AB", &sealed),
            Err(SealError::OtherKey { .. })
        ));
        assert_eq!(
            sealer.open("certificate/CD", &sealed),
            Err(SealError::Corrupt)
        );
        // The same secret read back from its text is the same key.
        let again = Sealer::new(&ServerSecret::from_text(&secret.to_text()).unwrap());
        assert_eq!(again.open("certificate/AB", &sealed).unwrap(), PLAINTEXT);
        // Another secret that claims the same key id (a forged header) fails authentication.
        let mut bytes = BASE64.decode(&sealed).unwrap();
        let forged = Sealer {
            key_id: sealer.key_id,
            ..other
        };
        assert_eq!(
            forged.open("certificate/AB", &sealed),
            Err(SealError::Corrupt)
        );
        // A flipped bit anywhere fails authentication.
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            sealer.open("certificate/AB", &BASE64.encode(&bytes)),
            Err(SealError::Corrupt)
        );
        bytes[0] = 9;
        assert_eq!(
            sealer.open("certificate/AB", &BASE64.encode(&bytes)),
            Err(SealError::UnknownVersion(9))
        );
        assert_eq!(sealer.open("x", "AAAA"), Err(SealError::Malformed));
        assert_eq!(sealer.open("x", "not base64!"), Err(SealError::Malformed));
    }

    #[test]
    fn secret_text_rules() {
        assert_eq!(
            ServerSecret::from_text("not base64!"),
            Err(SecretError::NotBase64)
        );
        assert_eq!(
            ServerSecret::from_text(&BASE64.encode([0u8; 31])),
            Err(SecretError::TooShort(31))
        );
        let text = format!("  {}\n", BASE64.encode([7u8; 32]));
        assert!(ServerSecret::from_text(&text).is_ok());
        assert_eq!(
            format!("{:?}", ServerSecret::generate()),
            "ServerSecret(<redacted>)"
        );
        let sealer = Sealer::new(&ServerSecret::from_text(&text).unwrap());
        assert_eq!(sealer.key_id().len(), 16);
        assert!(!format!("{sealer:?}").contains(&text.trim().to_owned()));
    }
}
