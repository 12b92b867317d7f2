//! The audit log of the management API: who changed what, when, from where, and the outcome.
//!
//! The guard runs every authenticated call inside a [`Context`] (who and where). A write opens its
//! transaction with [`AppState::begin`], which wraps it in an [`AuditedTx`]: it notes what the
//! transaction creates, replaces and deletes, and at commit inserts one entry in the same
//! transaction — the entry exists exactly when the write does. Events that change nothing (a
//! failed authentication, a refused write) go through a bounded queue to a writer task, in
//! batches. Entries never hold a value: the summary names entities and the fields that changed.

use crate::state::AppState;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeSet;
use std::future::Future;
use tokio::sync::mpsc;
use tollgate_store::{AuditEntry, Key, Record, Store, StoreError, Tx};

/// Who makes the current call, and from where.
#[derive(Debug, Clone)]
pub struct Context {
    /// `sas:{identifier}` or `user:{id}`.
    pub actor: String,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The client's IP address, or empty when unknown.
    pub client_ip: String,
}

impl Context {
    /// The entity a call addresses: its path, without the action segment of a `POST`
    /// (`/subscriptions/s1/regeneratePrimaryKey` → `/subscriptions/s1`).
    fn entity(&self) -> String {
        match self.path.rsplit_once('/') {
            Some((entity, _action)) if self.method == "POST" => entity.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// An entry for this call, answered with `status`: `succeeded` below 400 (and for a
    /// committed write, [`COMMITTED`]), `failed` from 400 on.
    pub fn entry(&self, summary: String, status: u16) -> AuditEntry {
        let outcome = if status < 400 { "succeeded" } else { "failed" };
        AuditEntry {
            seq: 0,
            timestamp: chrono::Utc::now().timestamp_millis(),
            actor: self.actor.clone(),
            action: self.method.clone(),
            path: self.path.clone(),
            entity: self.entity(),
            summary,
            client_ip: self.client_ip.clone(),
            outcome: outcome.to_owned(),
            status: i64::from(status),
        }
    }
}

tokio::task_local! {
    static CONTEXT: Context;
}

/// Runs `call` with `context` as the audit context of the writes it makes.
pub async fn scope<F: Future>(context: Context, call: F) -> F::Output {
    CONTEXT.scope(context, call).await
}

/// The current call's context, if it runs in one.
fn current() -> Option<Context> {
    CONTEXT.try_with(Context::clone).ok()
}

/// Entries of a committed write carry this status: the response's status is decided after the
/// commit, so the entry tells only that the write happened.
pub const COMMITTED: u16 = 0;

/// The kinds of record a summary names. Other kinds (indexes kept beside the entities, some
/// keyed by secrets) are left out of the summary.
const NAMED_KINDS: &[&str] = &[
    "api",
    "authorizationServer",
    "backend",
    "certificate",
    "emailTemplate",
    "group",
    "groupUser",
    "identityProvider",
    "logger",
    "openidConnectProvider",
    "operation",
    "policy",
    "portalSetting",
    "product",
    "productApi",
    "productGroup",
    "property",
    "schema",
    "subscription",
    "tenantAccess",
    "user",
];

/// The longest summary kept, in bytes.
const MAX_SUMMARY: usize = 2000;

/// What a transaction did to one record.
#[derive(Debug)]
enum Change {
    Created,
    Replaced(BTreeSet<String>),
    Deleted,
}

/// A transaction that records, at commit, what it changed.
pub struct AuditedTx {
    inner: Box<dyn Tx>,
    changes: Vec<(String, Change)>,
}

impl AuditedTx {
    fn note(&mut self, key: Key<'_>, change: Change) {
        if !NAMED_KINDS.contains(&key.kind) {
            return;
        }
        let name = if key.parent.is_empty() {
            format!("{} {}", key.kind, key.id)
        } else {
            format!("{} {}/{}", key.kind, key.parent, key.id)
        };
        // The last change to a record wins: created then replaced is still created.
        match self.changes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, Change::Created)) if !matches!(change, Change::Deleted) => {}
            Some((_, Change::Replaced(fields))) if matches!(change, Change::Replaced(_)) => {
                if let Change::Replaced(more) = change {
                    fields.extend(more);
                }
            }
            Some((_, old)) => *old = change,
            None => self.changes.push((name, change)),
        }
    }

    fn summary(&self) -> String {
        let mut out = String::new();
        for (name, change) in &self.changes {
            let text = match change {
                Change::Created => format!("created {name}"),
                Change::Deleted => format!("deleted {name}"),
                Change::Replaced(fields) if fields.is_empty() => {
                    format!("replaced {name} (unchanged)")
                }
                Change::Replaced(fields) => format!(
                    "replaced {name} (changed: {})",
                    fields.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            if out.len() + text.len() + 2 > MAX_SUMMARY {
                out.push_str("; …");
                break;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&text);
        }
        out
    }
}

/// The top-level fields whose values differ between two JSON documents (names only).
fn changed_fields(old: &str, new: &str) -> BTreeSet<String> {
    let object = |text: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (object(old), object(new));
    old.keys()
        .chain(new.keys())
        .filter(|name| old.get(*name) != new.get(*name))
        .cloned()
        .collect()
}

#[async_trait]
impl Tx for AuditedTx {
    fn revision(&self) -> u64 {
        self.inner.revision()
    }

    async fn get(&mut self, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        self.inner.get(key).await
    }

    async fn list(&mut self, kind: &str, parent: &str) -> Result<Vec<Record>, StoreError> {
        self.inner.list(kind, parent).await
    }

    async fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError> {
        self.inner.list_kind(kind).await
    }

    async fn put(&mut self, key: Key<'_>, body: &str) -> Result<(), StoreError> {
        if NAMED_KINDS.contains(&key.kind) {
            let change = match self.inner.get(key).await? {
                Some(old) => Change::Replaced(changed_fields(&old.body, body)),
                None => Change::Created,
            };
            self.note(key, change);
        }
        self.inner.put(key, body).await
    }

    async fn delete(&mut self, key: Key<'_>) -> Result<bool, StoreError> {
        let deleted = self.inner.delete(key).await?;
        if deleted {
            self.note(key, Change::Deleted);
        }
        Ok(deleted)
    }

    async fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.inner.audit(entry).await
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(context) = current() {
            let entry = context.entry(self.summary(), COMMITTED);
            self.inner.audit(&entry).await?;
        }
        self.inner.commit().await
    }
}

/// Opens an audited write transaction on the state's instance.
pub async fn begin(store: &dyn Store, instance: &str) -> Result<Box<dyn Tx>, StoreError> {
    Ok(Box::new(AuditedTx {
        inner: store.begin(instance).await?,
        changes: Vec::new(),
    }))
}

/// Entries waiting for the writer, at most; beyond that new ones are dropped (each with a
/// logged warning), so that a flood of failed authentications cannot grow memory or the database's
/// write queue without bound.
const QUEUE: usize = 1024;
/// Entries written in one transaction, at most.
const BATCH: usize = 100;

/// The queue of entries written outside any configuration transaction.
#[derive(Clone, Debug)]
pub struct Recorder {
    queue: mpsc::Sender<AuditEntry>,
}

impl Recorder {
    /// Starts the writer task (within a tokio runtime).
    pub fn start(store: std::sync::Arc<dyn Store>, instance: String) -> Recorder {
        let (queue, mut entries) = mpsc::channel::<AuditEntry>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while entries.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(err) = store.runtime().append_audit(&instance, &batch).await {
                    tracing::warn!(%err, lost = batch.len(), "could not write audit entries");
                }
                batch.clear();
            }
        });
        Recorder { queue }
    }

    /// Queues an entry; drops it (with a warning) when the queue is full.
    pub fn record(&self, entry: AuditEntry) {
        if self.queue.try_send(entry).is_err() {
            tracing::warn!("the audit queue is full: an entry was dropped");
        }
    }
}

/// Records a call that changed no configuration (a failed authentication, a refused write, a
/// sign-in, a token grant), answered with `status`.
pub fn record(state: &AppState, context: &Context, status: u16, summary: String) {
    state.audit().record(context.entry(summary, status));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_name_fields_not_values() {
        let changed = changed_fields(
            r#"{"name":"a","value":"secret-1","tags":["x"]}"#,
            r#"{"name":"a","value":"secret-2","secret":true}"#,
        );
        assert_eq!(
            changed.into_iter().collect::<Vec<_>>(),
            ["secret", "tags", "value"]
        );
    }

    #[test]
    fn the_entity_of_an_action_is_its_target() {
        let context = |method: &str, path: &str| Context {
            actor: "sas:integration".into(),
            method: method.into(),
            path: path.into(),
            client_ip: String::new(),
        };
        assert_eq!(
            context("POST", "/subscriptions/s1/regeneratePrimaryKey").entity(),
            "/subscriptions/s1"
        );
        assert_eq!(context("PUT", "/properties/p1").entity(), "/properties/p1");
    }
}
