//! The OAuth2 authorization server's cryptography, without I/O: PKCE (RFC 7636, `S256` only),
//! access tokens as JWTs signed with Ed25519 (`EdDSA`, RFC 8037), their JWKS entries, and the
//! random secrets of codes and refresh tokens (stored only as SHA-256 hashes).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signer, Verifier};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Whether a PKCE `code_verifier` matches an `S256` `code_challenge`: the verifier is 43–128
/// characters of `[A-Za-z0-9-._~]` and `BASE64URL(SHA256(verifier))` equals the challenge
/// (compared in constant time).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && crate::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

/// Whether a `code_challenge` has the form of an `S256` one (43 base64url characters).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A random secret of `bytes` bytes, base64url-encoded (codes, refresh tokens, ids).
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

/// The SHA-256 of a secret, hex-encoded: what is stored instead of the secret.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The claims of Tollgate's access and ID tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the authorization server's URL.
    pub iss: String,
    /// Subject: the user id.
    pub sub: String,
    /// Audience: `tollgate-management` for access tokens, the client id for ID tokens.
    pub aud: String,
    /// Expiry (seconds since the Unix epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// The sign-in session (refresh token family) the token belongs to.
    pub sid: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The management role: `administrator` or `reader`.
    pub role: String,
}

/// Why a token was refused (for logs; clients get one message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of JSON, or a header Tollgate does not issue.
    #[error("the token is malformed")]
    Malformed,
    /// No key with the token's `kid`.
    #[error("the token's signing key is unknown")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `iss` or `aud` is not the expected one.
    #[error("the token is not for this server")]
    WrongAudience,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// An Ed25519 signing key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    /// The key id (`kid`).
    pub kid: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> SigningKey {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        SigningKey::from_seed(random_secret(9), seed)
    }

    /// The key of a 32-byte seed.
    pub fn from_seed(kid: String, seed: [u8; 32]) -> SigningKey {
        SigningKey {
            kid,
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// The seed (the secret to store, sealed).
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public key, for verifying.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            kid: self.kid.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Signs `claims` as a compact JWT.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            typ: "JWT".into(),
            kid: self.kid.clone(),
        };
        // Both types serialize to JSON without fail.
        let header = B64.encode(serde_json::to_vec(&header).unwrap_or_default());
        let claims = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let input = format!("{header}.{claims}");
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature.to_bytes()))
    }
}

/// An Ed25519 public key with its key id.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    /// The key id (`kid`).
    pub kid: String,
    key: ed25519_dalek::VerifyingKey,
}

impl VerifyingKey {
    /// The key as a JWK (RFC 8037 `OKP`).
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": B64.encode(self.key.to_bytes()),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        })
    }
}

/// Verifies a compact JWT against `keys` and checks its expiry (at `now`, seconds) and its
/// issuer and audience.
pub fn verify(
    token: &str,
    keys: &[VerifyingKey],
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let decode = |part: &str| B64.decode(part).map_err(|_| TokenError::Malformed);
    let header: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    if header.alg != "EdDSA" {
        return Err(TokenError::Malformed);
    }
    let key = keys
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or(TokenError::UnknownKey)?;
    let signature = ed25519_dalek::Signature::from_slice(&decode(signature)?)
        .map_err(|_| TokenError::Malformed)?;
    let input_len = token.len() - token.rsplit('.').next().map_or(0, str::len) - 1;
    key.key
        .verify(&token.as_bytes()[..input_len], &signature)
        .map_err(|_| TokenError::BadSignature)?;
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.iss != issuer || claims.aud != audience {
        return Err(TokenError::WrongAudience);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "http://tollgate".into(),
            sub: "1".into(),
            aud: "tollgate-management".into(),
            exp,
            iat: exp - 3600,
            jti: "j".into(),
            sid: "s".into(),
            client_id: "tollgate-backoffice".into(),
            role: "administrator".into(),
        }
    }

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(&verifier.replace('d', "e"), challenge));
        assert!(!pkce_matches("short", challenge));
        assert!(!is_s256_challenge("plain-challenge"));
    }

    #[test]
    fn tokens_verify_and_refuse_tampering_expiry_and_other_audiences() {
        let key = SigningKey::generate();
        let keys = [key.verifying_key()];
        let token = key.sign(&claims(2_000));
        let ok = verify(
            &token,
            &keys,
            "http://tollgate",
            "tollgate-management",
            1_000,
        );
        assert_eq!(ok.unwrap(), claims(2_000));
        assert_eq!(
            verify(
                &token,
                &keys,
                "http://tollgate",
                "tollgate-management",
                2_000
            ),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&token, &keys, "http://tollgate", "other", 1_000),
            Err(TokenError::WrongAudience)
        );
        let other = SigningKey::generate();
        assert_eq!(
            verify(
                &token,
                &[other.verifying_key()],
                "http://tollgate",
                "x",
                1_000
            ),
            Err(TokenError::UnknownKey)
        );
        // A payload changed (the role) keeps its signature: refused.
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims(2_000);
        forged.role = "superuser".into();
        let payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert_eq!(
            verify(
                &tampered,
                &keys,
                "http://tollgate",
                "tollgate-management",
                1_000
            ),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify("a.b", &keys, "i", "a", 0),
            Err(TokenError::Malformed)
        );
        // The same seed gives the same key (a stored key survives restarts).
        let again = SigningKey::from_seed(key.kid.clone(), key.seed());
        assert_eq!(again.verifying_key().jwk(), key.verifying_key().jwk());
    }
}
