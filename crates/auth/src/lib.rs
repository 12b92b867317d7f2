//! Shared Access Signature (SAS) tokens of the API Management direct management API.
//!
//! A token is `SharedAccessSignature uid={uid}&ex={expiry}&sn={signature}` where `expiry` is the
//! UTC instant in .NET round-trip form (`yyyy-MM-ddTHH:mm:ss.fffffffZ`) and `signature` is
//! `base64(HMAC-SHA512(utf8(key), uid + "\n" + expiry))`. The key is used as UTF-8 text, never
//! base64-decoded. The compact form `SharedAccessSignature {uid}&{yyyyMMddHHmm}&{signature}` is
//! accepted too; its signature covers the minute-precision expiry re-rendered in round-trip form.
//!
//! Verification compares signatures in constant time and accepts either of the two current keys.
//!
//! Beside the tokens: Argon2id password hashes ([`password`]), user and sign-on tokens
//! ([`user_token`]), PKCS#12 certificate files ([`pfx`]) and sealing secrets at rest under the
//! server secret ([`seal`]).

pub mod oauth;
pub mod password;
pub mod pfx;
pub mod seal;
pub mod user_token;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;

type HmacSha512 = Hmac<Sha512>;

/// The scheme word that starts every token.
pub const SCHEME: &str = "SharedAccessSignature";

/// Why a token was refused. The messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SasError {
    /// The header does not start with `SharedAccessSignature `.
    #[error("the Authorization header must use the SharedAccessSignature scheme")]
    WrongScheme,
    /// The token text is not in either documented form.
    #[error("malformed SharedAccessSignature token: {0}")]
    Malformed(&'static str),
    /// The identifier is not the tenant's access identifier.
    #[error("the token's identifier is not valid for this service")]
    UnknownIdentifier,
    /// The expiry instant has passed.
    #[error("the token expired at {0}")]
    Expired(String),
    /// The signature matches neither key.
    #[error("the token's signature is not valid")]
    BadSignature,
}

/// A token as parsed from a header, before verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SasToken {
    /// The access identifier (`uid`).
    pub uid: String,
    /// The expiry instant.
    pub expiry: DateTime<Utc>,
    /// The exact expiry text that was signed.
    signed_expiry: String,
    /// The decoded signature bytes.
    signature: Vec<u8>,
}

/// Renders an instant in the .NET round-trip (`"O"`) form with exactly seven fractional digits.
pub fn format_expiry(expiry: DateTime<Utc>) -> String {
    let ticks = expiry.timestamp_subsec_nanos() / 100;
    format!("{}.{ticks:07}Z", expiry.format("%Y-%m-%dT%H:%M:%S"))
}

/// Computes the base64 signature of `uid` and `expiry_text` with `key`.
pub fn signature(uid: &str, expiry_text: &str, key: &str) -> String {
    BASE64.encode(mac(uid, expiry_text, key).finalize().into_bytes())
}

/// Whether `signature_b64` is [`signature`] of `uid` and `expiry_text` under `key`, compared in
/// constant time. Used for values signed the same way as tokens (export links).
pub fn verify_signature(uid: &str, expiry_text: &str, key: &str, signature_b64: &str) -> bool {
    match BASE64.decode(signature_b64) {
        Ok(bytes) => mac(uid, expiry_text, key).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Builds a complete `Authorization` header value in the documented `uid=&ex=&sn=` form.
pub fn sign(uid: &str, key: &str, expiry: DateTime<Utc>) -> String {
    let ex = format_expiry(expiry);
    let sn = signature(uid, &ex, key);
    format!("{SCHEME} uid={uid}&ex={ex}&sn={sn}")
}

fn mac(uid: &str, expiry_text: &str, key: &str) -> HmacSha512 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha512::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(uid.as_bytes());
    mac.update(b"\n");
    mac.update(expiry_text.as_bytes());
    mac
}

impl SasToken {
    /// Parses an `Authorization` header value in either documented form.
    pub fn parse(header: &str) -> Result<SasToken, SasError> {
        let rest = header.trim();
        let rest = match rest.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case(SCHEME) => rest.trim_start(),
            _ => return Err(SasError::WrongScheme),
        };
        if rest.contains("uid=") {
            Self::parse_named(rest)
        } else {
            Self::parse_compact(rest)
        }
    }

    fn parse_named(text: &str) -> Result<SasToken, SasError> {
        let (mut uid, mut ex, mut sn) = (None, None, None);
        for pair in text.split('&') {
            let (name, value) = pair.split_once('=').ok_or(SasError::Malformed(
                "expected name=value pairs uid, ex and sn",
            ))?;
            let slot = match name {
                "uid" => &mut uid,
                "ex" => &mut ex,
                "sn" => &mut sn,
                _ => return Err(SasError::Malformed("unknown part; expected uid, ex and sn")),
            };
            if slot.replace(value).is_some() {
                return Err(SasError::Malformed("a part appears twice"));
            }
        }
        let uid = uid.ok_or(SasError::Malformed("uid is missing"))?;
        let ex = ex.ok_or(SasError::Malformed("ex is missing"))?;
        let sn = sn.ok_or(SasError::Malformed("sn is missing"))?;
        let expiry = parse_round_trip(ex)?;
        Self::build(uid, expiry, ex.to_owned(), sn)
    }

    fn parse_compact(text: &str) -> Result<SasToken, SasError> {
        let mut parts = text.splitn(3, '&');
        let (Some(uid), Some(minute), Some(sig)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SasError::Malformed(
                "expected uid=…&ex=…&sn=… or uid&yyyyMMddHHmm&signature",
            ));
        };
        let naive = NaiveDateTime::parse_from_str(minute, "%Y%m%d%H%M")
            .map_err(|_| SasError::Malformed("the compact expiry must be yyyyMMddHHmm"))?;
        let expiry = naive.and_utc();
        Self::build(uid, expiry, format_expiry(expiry), sig)
    }

    fn build(
        uid: &str,
        expiry: DateTime<Utc>,
        signed_expiry: String,
        sn: &str,
    ) -> Result<SasToken, SasError> {
        if uid.is_empty() {
            return Err(SasError::Malformed("uid is empty"));
        }
        let signature = BASE64
            .decode(sn)
            .map_err(|_| SasError::Malformed("the signature is not base64"))?;
        Ok(SasToken {
            uid: uid.to_owned(),
            expiry,
            signed_expiry,
            signature,
        })
    }

    /// Checks identifier, expiry and signature against the tenant's identifier and current keys.
    ///
    /// Every key is tried (no early exit), and each comparison is constant-time.
    pub fn verify(&self, uid: &str, keys: &[&str], now: DateTime<Utc>) -> Result<(), SasError> {
        if self.uid != uid {
            return Err(SasError::UnknownIdentifier);
        }
        if self.expiry <= now {
            return Err(SasError::Expired(self.signed_expiry.clone()));
        }
        let mut valid = false;
        for key in keys {
            let ok = mac(&self.uid, &self.signed_expiry, key)
                .verify_slice(&self.signature)
                .is_ok();
            valid |= ok;
        }
        if valid {
            Ok(())
        } else {
            Err(SasError::BadSignature)
        }
    }
}

/// Parses `yyyy-MM-ddTHH:mm:ss[.f…]Z` (the round-trip form; fewer fractional digits are tolerated).
fn parse_round_trip(text: &str) -> Result<DateTime<Utc>, SasError> {
    let body = text.strip_suffix('Z').ok_or(SasError::Malformed(
        "ex must be a UTC instant ending in Z, e.g. 2030-01-01T00:00:00.0000000Z",
    ))?;
    NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| SasError::Malformed("ex must look like 2030-01-01T00:00:00.0000000Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const UID: &str = "53d7e14aee681a0034030003";
    const KEY: &str =
        "pXeTVcmdbU9XxH6fPcPlq8Y9D9G3Cdo5Eh2nMSgKj/DWqeSFFXDdmpz5Trv+L2hQNM+nGa704Rf8Z22W9O1jdQ==";
    const SN: &str =
        "jZpVO0S0oAy7QEiuefPUia9l2ijdkFjs2WvnbH68V6LSVEcjwBfyeG/YHdWQyT00LExwhkIrgXWIm3Sj2oYzzw==";

    fn doc_expiry() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2014, 8, 4, 22, 3, 0).unwrap()
    }

    #[test]
    fn reference_vector() {
        assert_eq!(format_expiry(doc_expiry()), "2014-08-04T22:03:00.0000000Z");
        assert_eq!(signature(UID, "2014-08-04T22:03:00.0000000Z", KEY), SN);
        assert_eq!(
            sign(UID, KEY, doc_expiry()),
            format!("SharedAccessSignature uid={UID}&ex=2014-08-04T22:03:00.0000000Z&sn={SN}")
        );
    }

    #[test]
    fn verifies_signatures_of_any_value() {
        let sig = signature("export:api", "2030", "k");
        assert!(verify_signature("export:api", "2030", "k", &sig));
        assert!(!verify_signature("export:api", "2031", "k", &sig));
        assert!(!verify_signature("export:api", "2030", "other", &sig));
        assert!(!verify_signature("export:api", "2030", "k", "not base64!"));
    }

    #[test]
    fn expiry_keeps_seven_fractional_digits() {
        let t = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(format_expiry(t), "2030-01-02T03:04:05.1234567Z");
    }

    #[test]
    fn verifies_with_either_key_before_expiry() {
        let header = sign(UID, KEY, doc_expiry());
        let token = SasToken::parse(&header).unwrap();
        let before = doc_expiry() - chrono::Duration::minutes(1);
        assert_eq!(token.verify(UID, &["other", KEY], before), Ok(()));
        assert_eq!(token.verify(UID, &[KEY, "other"], before), Ok(()));
        assert_eq!(
            token.verify(UID, &["other", "another"], before),
            Err(SasError::BadSignature)
        );
        assert_eq!(
            token.verify("someone", &[KEY], before),
            Err(SasError::UnknownIdentifier)
        );
        assert!(matches!(
            token.verify(UID, &[KEY], doc_expiry()),
            Err(SasError::Expired(_))
        ));
    }

    #[test]
    fn compact_form_signs_the_round_trip_expiry() {
        let sig = signature("integration", "2030-08-02T05:00:00.0000000Z", "k");
        let token = SasToken::parse(&format!(
            "SharedAccessSignature integration&203008020500&{sig}"
        ))
        .unwrap();
        assert_eq!(token.uid, "integration");
        assert_eq!(
            token.expiry,
            Utc.with_ymd_and_hms(2030, 8, 2, 5, 0, 0).unwrap()
        );
        assert_eq!(token.verify("integration", &["k"], doc_expiry()), Ok(()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for header in [
            "",
            "Bearer abc",
            "SharedAccessSignature",
            "SharedAccessSignature uid=a&ex=2030-01-01T00:00:00.0000000Z",
            "SharedAccessSignature uid=a&ex=tomorrow&sn=AAAA",
            "SharedAccessSignature uid=a&ex=2030-01-01T00:00:00.0000000Z&sn=***",
            "SharedAccessSignature uid=a&uid=b&ex=2030-01-01T00:00:00.0000000Z&sn=AAAA",
            "SharedAccessSignature uid=&ex=2030-01-01T00:00:00.0000000Z&sn=AAAA",
            "SharedAccessSignature a&2030&AAAA",
            "SharedAccessSignature a&203001010000",
        ] {
            assert!(SasToken::parse(header).is_err(), "accepted {header:?}");
        }
    }
}
