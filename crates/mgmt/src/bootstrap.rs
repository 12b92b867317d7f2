//! The first start of an instance: its access record and default global policy.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use tollgate_contract::entity::policy::{self, PolicyScope, StoredPolicy};
use tollgate_contract::entity::tenant_access::{self, TenantAccess};
use tollgate_store::{Key, Store, StoreError};

/// Keys to use when an instance is created; random ones when `None`.
#[derive(Default, Clone)]
pub struct InitialKeys {
    /// The primary key.
    pub primary: Option<String>,
    /// The secondary key.
    pub secondary: Option<String>,
}

/// A new random key: 64 random bytes in base64 (88 characters, like Azure's).
pub fn random_key() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    BASE64.encode(bytes)
}

/// Returns the instance's access record, creating the instance's initial configuration (access
/// record and default global policy) in one transaction when it has none.
pub async fn bootstrap_instance(
    store: &dyn Store,
    instance: &str,
    keys: &InitialKeys,
) -> Result<TenantAccess, StoreError> {
    let key = Key::top(tenant_access::KIND, tenant_access::ID);
    if let Some(record) = store.get(instance, key).await? {
        let access: TenantAccess =
            serde_json::from_str(&record.body).map_err(|e| StoreError::Database(e.to_string()))?;
        if keys
            .primary
            .as_ref()
            .is_some_and(|k| *k != access.primary_key)
            || keys
                .secondary
                .as_ref()
                .is_some_and(|k| *k != access.secondary_key)
        {
            tracing::warn!(
                "TOLLGATE_PRIMARY_KEY/TOLLGATE_SECONDARY_KEY only apply to a new store; the stored keys are kept"
            );
        }
        return Ok(access);
    }
    let mut tx = store.begin(instance).await?;
    if let Some(record) = tx.get(key).await? {
        // Another node created it meanwhile.
        return serde_json::from_str(&record.body).map_err(|e| StoreError::Database(e.to_string()));
    }
    let access = TenantAccess {
        id: tenant_access::IDENTIFIER.to_owned(),
        primary_key: keys.primary.clone().unwrap_or_else(random_key),
        secondary_key: keys.secondary.clone().unwrap_or_else(random_key),
        enabled: true,
    };
    let body = serde_json::to_string(&access).map_err(|e| StoreError::Database(e.to_string()))?;
    tx.put(key, &body).await?;
    let global = StoredPolicy {
        xml: policy::DEFAULT_GLOBAL_POLICY.to_owned(),
    };
    let body = serde_json::to_string(&global).map_err(|e| StoreError::Database(e.to_string()))?;
    tx.put(
        Key::top(policy::KIND, &PolicyScope::Global.wire_id()),
        &body,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        instance,
        "created a new instance with fresh access keys and the default global policy"
    );
    Ok(access)
}
