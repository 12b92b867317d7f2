//! The first start of an instance: its access record, default global policy, built-in groups,
//! administrator, email templates and portal settings, and (unless refused) the samples.

use crate::handlers::links::Member;
use crate::handlers::portal_settings;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use std::sync::Arc;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::email_template::{self, EmailTemplate};
use tollgate_contract::entity::group::{self, Group};
use tollgate_contract::entity::policy::{self, PolicyScope, StoredPolicy};
use tollgate_contract::entity::portal_settings::{
    DelegationSettings, SignInSettings, SignUpSettings,
};
use tollgate_contract::entity::tenant_access::{self, TenantAccess};
use tollgate_contract::entity::user::{self, User};
use tollgate_store::{Key, Store, StoreError, Tx};

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

/// `count` random bytes as lowercase hex (`2 * count` characters).
pub fn random_hex(count: usize) -> String {
    let mut bytes = vec![0u8; count];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Returns the instance's access record, creating what a new instance has when it is missing:
/// the access record and the default global policy (once, when the instance is created), and the
/// built-in groups and the administrator `/users/1`, a member of Administrators (at every start,
/// so that older stores gain them). One transaction; then, for a new instance and when `samples`
/// is set, the samples (`samples.rs`).
pub async fn bootstrap_instance(
    store: &Arc<dyn Store>,
    instance: &str,
    keys: &InitialKeys,
    samples: bool,
) -> Result<TenantAccess, StoreError> {
    let key = Key::top(tenant_access::KIND, tenant_access::ID);
    let mut complete = true;
    for (id, _, _) in group::BUILT_IN {
        complete &= store
            .get(instance, Key::top(Group::KIND, id))
            .await?
            .is_some();
    }
    // Every start-up addition below is made, once, by the transaction that marks SEEDED.
    let seeded = store
        .get(instance, Key::top(FEATURE, SEEDED))
        .await?
        .is_some();
    if let Some(record) = store
        .get(instance, key)
        .await?
        .filter(|_| complete && seeded)
    {
        let access = decode_access(&record.body)?;
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
    let mut created = false;
    let access = match tx.get(key).await? {
        // Another node (or an earlier version) created it.
        Some(record) => decode_access(&record.body)?,
        None => {
            created = true;
            let access = TenantAccess {
                id: tenant_access::IDENTIFIER.to_owned(),
                primary_key: keys.primary.clone().unwrap_or_else(random_key),
                secondary_key: keys.secondary.clone().unwrap_or_else(random_key),
                enabled: true,
            };
            tx.put(key, &encode(&access)?).await?;
            let global = StoredPolicy {
                xml: policy::DEFAULT_GLOBAL_POLICY.to_owned(),
            };
            tx.put(
                Key::top(policy::KIND, &PolicyScope::Global.wire_id()),
                &encode(&global)?,
            )
            .await?;
            tracing::info!(
                instance,
                "created a new instance with fresh access keys and the default global policy"
            );
            access
        }
    };
    for (id, name, description) in group::BUILT_IN {
        if tx.get(Key::top(Group::KIND, id)).await?.is_none() {
            tx.put(
                Key::top(Group::KIND, id),
                &encode(&Group::built_in(name, description))?,
            )
            .await?;
        }
    }
    if tx
        .get(Key::top(User::KIND, user::ADMINISTRATOR))
        .await?
        .is_none()
    {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let admin = User::administrator(ADMINISTRATOR_EMAIL, &now);
        tx.put(Key::top(User::KIND, user::ADMINISTRATOR), &encode(&admin)?)
            .await?;
        let kind = <User as Member<Group>>::LINK_KIND;
        tx.put(
            Key {
                kind,
                parent: "groups/administrators",
                id: user::ADMINISTRATOR,
            },
            "{}",
        )
        .await?;
    }
    for name in email_template::names() {
        let (Some(id), Some(default)) = (
            email_template::template_id(name),
            EmailTemplate::default_for(name),
        ) else {
            continue;
        };
        if tx.get(Key::top(EmailTemplate::KIND, &id)).await?.is_none() {
            tx.put(Key::top(EmailTemplate::KIND, &id), &encode(&default)?)
                .await?;
        }
    }
    portal_settings::ensure::<SignInSettings>(tx.as_mut()).await?;
    portal_settings::ensure::<SignUpSettings>(tx.as_mut()).await?;
    portal_settings::ensure::<DelegationSettings>(tx.as_mut()).await?;
    crate::handlers::subscription::ensure_indexes(tx.as_mut()).await?;
    crate::handlers::user::ensure_email_index(tx.as_mut()).await?;
    if tx.get(GIT_ACCESS).await?.is_none() {
        let git = TenantAccess {
            id: tenant_access::GIT_ID.to_owned(),
            primary_key: random_key(),
            secondary_key: random_key(),
            enabled: false,
        };
        tx.put(GIT_ACCESS, &encode(&git)?).await?;
    }
    mark_built(tx.as_mut(), SEEDED).await?;
    tx.commit().await?;
    if created && samples {
        crate::samples::seed(store.clone(), instance, &access)
            .await
            .map_err(StoreError::Database)?;
        tracing::info!(
            instance,
            "added the samples: Echo API, products Starter and Unlimited"
        );
    }
    Ok(access)
}

/// Whether the store feature `name` (an index built once for older stores) is built.
pub async fn feature_built(tx: &mut dyn Tx, name: &str) -> Result<bool, StoreError> {
    Ok(tx.get(Key::top(FEATURE, name)).await?.is_some())
}

/// Records that the store feature `name` is built.
pub async fn mark_built(tx: &mut dyn Tx, name: &str) -> Result<(), StoreError> {
    tx.put(Key::top(FEATURE, name), "{}").await
}

/// The store feature that says every start-up addition of this version was made: bump it when
/// the bootstrap adds something, so that older stores get it at their next start.
const SEEDED: &str = "seed-2026-11";

/// The git access record (`/tenant/access/git`).
pub const GIT_ACCESS: Key<'static> = Key::top(tenant_access::KIND, tenant_access::GIT_ID);

/// The kind of the records that say which store features are built.
const FEATURE: &str = "storeFeature";

/// The built-in administrator's email.
pub const ADMINISTRATOR_EMAIL: &str = "admin@tollgate.local";

fn decode_access(body: &str) -> Result<TenantAccess, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Database(e.to_string()))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}
