//! Signing keys of OpenID providers, for `validate-jwt`'s `<openid-config url>`: the
//! configuration document is fetched over the gateway's HTTP client, then the key set its
//! `jwks_uri` names. Keys are kept per configuration URL for an hour; a token whose `kid` is not
//! among them, or a failed fetch, makes the next call fetch again — at most once a minute per
//! URL. When a fetch fails, the keys fetched before (if any) stay in use.
//!
//! Fetches happen on calls, never when policies are compiled. Calls that need the keys of a URL
//! while they are being fetched wait for that one fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri, header};
use http_body_util::BodyExt;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};

use crate::Gateway;

/// How long fetched keys are used before they are fetched again.
pub(crate) const KEEP_FOR: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one URL (after a failure, or for an unknown `kid`).
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long one request of a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest configuration or key set document read.
const MAX_DOCUMENT: usize = 1024 * 1024;

/// A key a token may be signed with.
pub(crate) struct VerifyKey {
    /// Its `kid`, if it has one.
    pub id: Option<String>,
    /// The key.
    pub key: DecodingKey,
}

/// What an OpenID configuration gives: its issuer and its signing keys.
pub(crate) struct ProviderKeys {
    /// `issuer`, if the document has one.
    pub issuer: Option<String>,
    /// The keys of `jwks_uri` usable for signatures.
    pub keys: Vec<VerifyKey>,
}

impl ProviderKeys {
    fn knows(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.id.as_deref() == Some(kid))
    }
}

/// One configuration URL's keys and when they were fetched.
#[derive(Default)]
struct Provider {
    /// The keys of the last fetch that succeeded.
    keys: Option<Arc<ProviderKeys>>,
    /// When they were fetched.
    fetched: Option<Instant>,
    /// When a fetch was last tried (whatever its outcome).
    tried: Option<Instant>,
}

impl Provider {
    /// Whether a call at `now` should fetch again (`kid_unknown`: its token names a key the
    /// keys held do not have).
    fn should_fetch(&self, now: Instant, kid_unknown: bool) -> bool {
        let Some(tried) = self.tried else {
            return true;
        };
        if now.saturating_duration_since(tried) < RETRY_AFTER {
            return false;
        }
        let stale = self
            .fetched
            .is_none_or(|f| now.saturating_duration_since(f) >= KEEP_FOR);
        stale || kid_unknown
    }
}

/// The keys of every configuration URL the gateway's policies name, kept across snapshots.
#[derive(Default)]
pub(crate) struct OpenIdKeys {
    providers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Provider>>>>,
}

impl OpenIdKeys {
    fn provider(&self, url: &str) -> Arc<tokio::sync::Mutex<Provider>> {
        let mut providers = self
            .providers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        providers.entry(url.to_owned()).or_default().clone()
    }
}

/// The keys of the configuration at `url`, fetched when needed (see the module comment); `kid`
/// is the key the token names. An error says why there are none.
pub(crate) async fn keys(
    gateway: &Gateway,
    url: &str,
    kid: Option<&str>,
) -> Result<Arc<ProviderKeys>, String> {
    let provider = gateway.openid().provider(url);
    let mut provider = provider.lock().await;
    let now = Instant::now();
    let kid_unknown = match (&provider.keys, kid) {
        (Some(keys), Some(kid)) => !keys.knows(kid),
        _ => false,
    };
    if provider.should_fetch(now, kid_unknown) {
        provider.tried = Some(now);
        match fetch(gateway, url).await {
            Ok(keys) => {
                tracing::debug!(url, keys = keys.keys.len(), "OpenID signing keys fetched");
                provider.keys = Some(Arc::new(keys));
                provider.fetched = Some(now);
            }
            Err(error) => {
                tracing::warn!(
                    url,
                    %error,
                    kept = provider.keys.is_some(),
                    "the OpenID configuration's signing keys could not be fetched"
                );
                if provider.keys.is_none() {
                    return Err(format!(
                        "the signing keys of the OpenID configuration {url} could not be fetched: {error}"
                    ));
                }
            }
        }
    }
    provider.keys.clone().ok_or_else(|| {
        format!(
            "the signing keys of the OpenID configuration {url} could not be fetched; the next try is within {} seconds",
            RETRY_AFTER.as_secs()
        )
    })
}

/// Fetches the configuration document, then its key set.
async fn fetch(gateway: &Gateway, url: &str) -> Result<ProviderKeys, String> {
    let config = get_json(gateway, url).await?;
    let issuer = config["issuer"].as_str().map(str::to_owned);
    let Some(jwks_uri) = config["jwks_uri"].as_str() else {
        return Err(format!("{url} has no jwks_uri"));
    };
    let set = get_json(gateway, jwks_uri).await?;
    let Some(items) = set["keys"].as_array() else {
        return Err(format!("{jwks_uri} has no keys"));
    };
    let keys = items.iter().filter_map(signing_key).collect();
    Ok(ProviderKeys { issuer, keys })
}

/// A key of a key set, when it is a public key for signatures that Tollgate can use. Symmetric
/// (`oct`) keys are never taken from a key set: the document is public.
fn signing_key(item: &serde_json::Value) -> Option<VerifyKey> {
    let jwk: Jwk = serde_json::from_value(item.clone()).ok()?;
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
        || matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some(VerifyKey {
        id: jwk.common.key_id,
        key,
    })
}

/// GETs a JSON document over the gateway's default client (certificates verified).
async fn get_json(gateway: &Gateway, url: &str) -> Result<serde_json::Value, String> {
    let uri: Uri = url
        .parse()
        .map_err(|_| format!("'{url}' is not a valid URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(format!("'{url}' is not an absolute http or https URL"));
    }
    let request = Request::get(uri)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = gateway
            .upstreams()
            .send(gateway.default_link(), request)
            .await
            .map_err(|e| format!("{url} could not be reached: {e}"))?;
        if response.status() != StatusCode::OK {
            return Err(format!("{url} answered {}", response.status().as_u16()));
        }
        let limited = http_body_util::Limited::new(response.into_body(), MAX_DOCUMENT);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| format!("{url}'s answer could not be read: {e}"))?
            .to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| format!("{url} did not answer JSON: {e}"))
    };
    tokio::time::timeout(FETCH_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("{url} did not answer within {FETCH_TIMEOUT:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn keys_are_fetched_hourly_and_again_for_unknown_kids_at_most_once_a_minute() {
        let start = Instant::now();
        let mut p = Provider::default();
        assert!(p.should_fetch(start, false), "never fetched");
        p.tried = Some(start);
        p.fetched = Some(start);
        assert!(!p.should_fetch(at(start, 30), false));
        assert!(
            !p.should_fetch(at(start, 30), true),
            "too soon for an unknown kid"
        );
        assert!(p.should_fetch(at(start, 61), true));
        assert!(
            !p.should_fetch(at(start, 61), false),
            "known keys are still fresh"
        );
        assert!(p.should_fetch(at(start, 3600), false), "an hour old");
        // A failed fetch is tried again a minute later, the old keys used meanwhile.
        p.tried = Some(at(start, 3600));
        assert!(!p.should_fetch(at(start, 3630), false));
        assert!(p.should_fetch(at(start, 3660), false));
    }

    #[test]
    fn only_public_signing_keys_are_taken_from_key_sets() {
        let rsa = serde_json::json!({"kty": "RSA", "kid": "r1", "use": "sig", "n": "xjlCRBqkOQ", "e": "AQAB"});
        assert_eq!(signing_key(&rsa).unwrap().id.as_deref(), Some("r1"));
        let enc = serde_json::json!({"kty": "RSA", "kid": "r2", "use": "enc", "n": "xjlCRBqkOQ", "e": "AQAB"});
        assert!(signing_key(&enc).is_none());
        let oct = serde_json::json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"});
        assert!(signing_key(&oct).is_none());
        let odd = serde_json::json!({"kty": "XYZ"});
        assert!(signing_key(&odd).is_none());
    }
}
