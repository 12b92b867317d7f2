//! What every handler shares.

use crate::audit::Recorder;
use crate::views::Views;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tollgate_auth::seal::Sealer;
use tollgate_contract::entity::tenant_access::TenantAccess;
use tollgate_store::{Store, StoreError, Tx};

/// The largest request body accepted, in bytes (413 beyond it).
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Shared state of the management API. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    instance: String,
    /// The access record, cached for authentication; replaced after every write to it.
    access: RwLock<Arc<TenantAccess>>,
    /// Authorization headers already verified against the current keys, with their expiry.
    verified: RwLock<HashMap<Box<str>, DateTime<Utc>>>,
    body_limit: usize,
    /// Decoded collections, for lists.
    views: Views,
    /// Seals secrets at rest (certificate key material) under the server secret.
    sealer: Sealer,
    /// Writes the audit entries of calls that change nothing.
    audit: Recorder,
    /// The OAuth2 authorization server.
    oauth: crate::oauth::Server,
}

/// Verified headers remembered at most; the memory is emptied when full.
const MAX_VERIFIED: usize = 4096;

impl AppState {
    /// State for serving `instance` of `store`, whose access record is `access`; `sealer` is
    /// the server secret's (every node of a store needs the same). Starts the audit log's
    /// writer task: call it within a tokio runtime.
    pub fn new(
        store: Arc<dyn Store>,
        instance: impl Into<String>,
        access: TenantAccess,
        body_limit: usize,
        sealer: Sealer,
        oauth: crate::oauth::OAuthSettings,
    ) -> AppState {
        let instance = instance.into();
        AppState {
            inner: Arc::new(Inner {
                audit: Recorder::start(store.clone(), instance.clone()),
                oauth: crate::oauth::Server::new(oauth),
                store,
                instance,
                access: RwLock::new(Arc::new(access)),
                verified: RwLock::new(HashMap::new()),
                body_limit,
                views: Views::default(),
                sealer,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// Starts a write transaction on the instance, audited: at commit it records who changed
    /// what, in the same transaction.
    pub async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        crate::audit::begin(self.store(), self.instance()).await
    }

    /// The OAuth2 authorization server.
    pub(crate) fn oauth(&self) -> &crate::oauth::Server {
        &self.inner.oauth
    }

    /// The audit log's queue, for calls that change nothing.
    pub(crate) fn audit(&self) -> &Recorder {
        &self.inner.audit
    }

    /// The instance this API serves.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The current access record.
    pub fn access(&self) -> Arc<TenantAccess> {
        self.inner
            .access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the cached access record after a committed write; tokens verified against the
    /// old keys must be verified again.
    pub(crate) fn set_access(&self, access: TenantAccess) {
        *self.inner.access.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(access);
        self.inner
            .verified
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The expiry of an `Authorization` header that was verified against the current keys.
    pub(crate) fn verified_expiry(&self, header: &str) -> Option<DateTime<Utc>> {
        self.inner
            .verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(header)
            .copied()
    }

    /// Remembers a header verified against `access`, unless the keys have changed meanwhile.
    pub(crate) fn remember_verified(
        &self,
        access: &Arc<TenantAccess>,
        header: &str,
        expiry: DateTime<Utc>,
    ) {
        let current = self.inner.access.read().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&current, access) {
            return;
        }
        let mut verified = self
            .inner
            .verified
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(header.into(), expiry);
    }

    /// Decoded collections, for lists.
    pub(crate) fn views(&self) -> &Views {
        &self.inner.views
    }

    /// The sealer of the server secret.
    pub(crate) fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    /// The body size limit.
    pub(crate) fn body_limit(&self) -> usize {
        self.inner.body_limit
    }
}
