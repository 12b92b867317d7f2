//! Tokens for users: the value of `POST /users/{uid}/token` and the `token` of the sign-on URL of
//! `POST /users/{uid}/generateSsoUrl`, both in the contract's compact form
//! `{uid}&{yyyyMMddHHmm}&{signature}`.
//!
//! The signature is the SAS one (HMAC-SHA512 of `uid + "\n" + expiry`, the expiry re-rendered in
//! round-trip form) under a key derived for the token's [`Purpose`] from one of the tenant's
//! access keys: `base64(HMAC-SHA512(utf8(access key), "tollgate/" + purpose))`. Deriving keeps the
//! kinds apart: a user token is never a management token (even for a user whose id is the access
//! identifier), nor a sign-on token, and the other way round. Regenerating an access key
//! invalidates every token made with it.

use crate::{SCHEME, SasError, SasToken, format_expiry, signature};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Timelike, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;

/// What a user token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `POST /users/{uid}/token`: reads of the user's own resources on the management API.
    Access,
    /// `POST /users/{uid}/generateSsoUrl`: the sign-on link.
    SignOn,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Access => "tollgate/user-token",
            Purpose::SignOn => "tollgate/sign-on",
        }
    }
}

/// The key that signs tokens of `purpose` made with the access key `access_key`.
pub fn derived_key(access_key: &str, purpose: Purpose) -> String {
    let mut mac =
        Hmac::<Sha512>::new_from_slice(access_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(purpose.label().as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// A compact token for `uid`, valid until `expiry` rounded down to the minute.
pub fn issue(uid: &str, access_key: &str, purpose: Purpose, expiry: DateTime<Utc>) -> String {
    let minute = expiry
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(expiry);
    let key = derived_key(access_key, purpose);
    let sig = signature(uid, &format_expiry(minute), &key);
    format!("{uid}&{}&{sig}", minute.format("%Y%m%d%H%M"))
}

/// Checks a compact token of `purpose` against the tenant's access keys and returns the user id it
/// was issued for. Whether that user may still act (exists, is not blocked) is the caller's check.
pub fn verify(
    token: &str,
    purpose: Purpose,
    access_keys: &[&str],
    now: DateTime<Utc>,
) -> Result<String, SasError> {
    let parsed = SasToken::parse(&format!("{SCHEME} {token}"))?;
    let keys: Vec<String> = access_keys
        .iter()
        .map(|k| derived_key(k, purpose))
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    parsed.verify(&parsed.uid, &keys, now)?;
    Ok(parsed.uid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn tokens_verify_only_for_their_purpose_key_and_time() {
        let now = Utc::now();
        let token = issue("ann", "key-1", Purpose::Access, now + Duration::hours(2));
        assert!(token.starts_with("ann&"));
        assert_eq!(token.split('&').nth(1).unwrap().len(), 12);
        assert_eq!(
            verify(&token, Purpose::Access, &["other", "key-1"], now).unwrap(),
            "ann"
        );
        assert_eq!(
            verify(&token, Purpose::SignOn, &["key-1"], now),
            Err(SasError::BadSignature)
        );
        assert_eq!(
            verify(&token, Purpose::Access, &["key-2"], now),
            Err(SasError::BadSignature)
        );
        assert!(matches!(
            verify(
                &token,
                Purpose::Access,
                &["key-1"],
                now + Duration::hours(3)
            ),
            Err(SasError::Expired(_))
        ));
        // Changing the user id, the expiry or the signature breaks it.
        let forged = token.replacen("ann", "bob", 1);
        assert_eq!(
            verify(&forged, Purpose::Access, &["key-1"], now),
            Err(SasError::BadSignature)
        );
        // A management token signed with the access key itself is not a user token.
        let management = crate::sign("ann", "key-1", now + Duration::hours(1));
        let compact = management.trim_start_matches("SharedAccessSignature ");
        assert!(verify(compact, Purpose::Access, &["key-1"], now).is_err());
    }
}
