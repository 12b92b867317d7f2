//! The signing keys of access tokens: Ed25519, stored as runtime values with the seed sealed under
//! the server secret (so every node signs and verifies with the same keys), rotated every 30 days.
//! A key stays published in the JWKS for 60 days, long past the last token it signed.

use crate::error::Failure;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;
use tollgate_auth::oauth::{SigningKey, VerifyingKey};
use tollgate_contract::ApiError;

const KIND: &str = "oauthSigningKey";
const SEAL_PURPOSE: &str = "oauth-signing-key";
const DAY_MS: i64 = 24 * 3600 * 1000;
/// A key newer than this signs; an older one is replaced.
const SIGN_FOR_MS: i64 = 30 * DAY_MS;
/// How long a key is kept (and published).
const KEEP_MS: i64 = 60 * DAY_MS;

#[derive(Serialize, Deserialize)]
struct Stored {
    created: i64,
    seed: String,
}

/// The keys as last read from the store, newest first.
#[derive(Debug, Default)]
pub struct Keys {
    loaded: RwLock<Vec<(i64, SigningKey)>>,
}

fn broken(what: &str) -> Failure {
    tracing::error!("{what}");
    Failure(ApiError::internal())
}

impl Keys {
    /// Reads every live key from the store.
    async fn reload(&self, state: &AppState) -> Result<(), Failure> {
        let values = state
            .store()
            .runtime()
            .values(state.instance(), KIND)
            .await?;
        let mut keys = Vec::new();
        for value in values {
            let Ok(stored) = serde_json::from_str::<Stored>(&value.value) else {
                return Err(broken("a stored OAuth2 signing key does not decode"));
            };
            let seed = state
                .sealer()
                .open(SEAL_PURPOSE, &stored.seed)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    broken("an OAuth2 signing key was sealed under another server secret")
                })?;
            keys.push((stored.created, SigningKey::from_seed(value.key, seed)));
        }
        keys.sort_by_key(|(created, _)| std::cmp::Reverse(*created));
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = keys;
        Ok(())
    }

    fn newest(&self, now: i64) -> Option<SigningKey> {
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded
            .first()
            .filter(|(created, _)| now - created < SIGN_FOR_MS)
            .map(|(_, key)| key.clone())
    }

    /// The key to sign with now: the newest one younger than 30 days, else a new one.
    pub async fn signing(&self, state: &AppState) -> Result<SigningKey, Failure> {
        let now = super::now_ms();
        if let Some(key) = self.newest(now) {
            return Ok(key);
        }
        self.reload(state).await?;
        if let Some(key) = self.newest(now) {
            return Ok(key);
        }
        let key = SigningKey::generate();
        let stored = Stored {
            created: now,
            seed: state.sealer().seal(SEAL_PURPOSE, &key.seed()),
        };
        let document = serde_json::to_string(&stored).map_err(|_| Failure(ApiError::internal()))?;
        state
            .store()
            .runtime()
            .insert_value(state.instance(), KIND, &key.kid, &document, now + KEEP_MS)
            .await?;
        // Another node may have made one at the same time: both are kept and published.
        self.reload(state).await?;
        Ok(key)
    }

    /// The keys that verify tokens; read again when `kid` is not among them.
    pub async fn verifying(
        &self,
        state: &AppState,
        kid: Option<&str>,
    ) -> Result<Vec<VerifyingKey>, Failure> {
        let known = |keys: &Vec<(i64, SigningKey)>| {
            kid.is_none_or(|kid| keys.iter().any(|(_, k)| k.kid == kid))
        };
        let current = {
            let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
            (!loaded.is_empty() && known(&loaded)).then(|| published(&loaded))
        };
        if let Some(keys) = current {
            return Ok(keys);
        }
        self.reload(state).await?;
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        Ok(published(&loaded))
    }
}

fn published(keys: &[(i64, SigningKey)]) -> Vec<VerifyingKey> {
    keys.iter().map(|(_, k)| k.verifying_key()).collect()
}
