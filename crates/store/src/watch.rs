//! Commit notifications: a store decorator that publishes, after every commit through it, the
//! instance and the revision it committed. The gateway reads the latest published revision on
//! each request (a lock-free read of a watch channel, no database query) and rebuilds its snapshot
//! when it is behind, so a management write is visible to the next gateway request on this node.
//! Commits made by other nodes are published by whoever watches the database (the cluster work).

use crate::{Key, Record, Store, StoreError, Tx};
use async_trait::async_trait;
use std::collections::BTreeMap;
use tokio::sync::watch;

/// The latest committed revision of each instance, as published.
pub type Revisions = BTreeMap<String, u64>;

/// A store that publishes its commits.
pub struct Watched {
    inner: Box<dyn Store>,
    revisions: watch::Sender<Revisions>,
}

impl Watched {
    /// Wraps a store; nothing is published until a commit.
    pub fn new(inner: Box<dyn Store>) -> Watched {
        Watched {
            inner,
            revisions: watch::Sender::new(Revisions::new()),
        }
    }

    /// A receiver of the published revisions.
    pub fn subscribe(&self) -> watch::Receiver<Revisions> {
        self.revisions.subscribe()
    }

    /// The sender, for publishing revisions learnt elsewhere (another node's commits).
    pub fn publisher(&self) -> watch::Sender<Revisions> {
        self.revisions.clone()
    }
}

/// Records `revision` for `instance` unless a newer one is known.
pub fn publish(revisions: &watch::Sender<Revisions>, instance: &str, revision: u64) {
    revisions.send_if_modified(|known| {
        let entry = known.entry(instance.to_owned()).or_insert(0);
        let newer = revision > *entry;
        if newer {
            *entry = revision;
        }
        newer
    });
}

#[async_trait]
impl Store for Watched {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }

    async fn get(&self, instance: &str, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        self.inner.get(instance, key).await
    }

    async fn list(
        &self,
        instance: &str,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<Record>, StoreError> {
        self.inner.list(instance, kind, parent).await
    }

    async fn revision(&self, instance: &str) -> Result<u64, StoreError> {
        self.inner.revision(instance).await
    }

    async fn changes(
        &self,
        instance: &str,
        since: u64,
    ) -> Result<Option<crate::Changes>, StoreError> {
        self.inner.changes(instance, since).await
    }

    fn runtime(&self) -> &dyn crate::RuntimeState {
        self.inner.runtime()
    }

    async fn begin(&self, instance: &str) -> Result<Box<dyn Tx>, StoreError> {
        Ok(Box::new(WatchedTx {
            inner: self.inner.begin(instance).await?,
            instance: instance.to_owned(),
            revisions: self.revisions.clone(),
        }))
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// A transaction whose commit is published.
struct WatchedTx {
    inner: Box<dyn Tx>,
    instance: String,
    revisions: watch::Sender<Revisions>,
}

#[async_trait]
impl Tx for WatchedTx {
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
        self.inner.put(key, body).await
    }

    async fn delete(&mut self, key: Key<'_>) -> Result<bool, StoreError> {
        self.inner.delete(key).await
    }

    async fn audit(&mut self, entry: &crate::AuditEntry) -> Result<(), StoreError> {
        self.inner.audit(entry).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let revision = self.inner.revision();
        self.inner.commit().await?;
        publish(&self.revisions, &self.instance, revision);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_keeps_the_newest_revision() {
        let revisions = watch::Sender::new(Revisions::new());
        let mut seen = revisions.subscribe();
        publish(&revisions, "default", 3);
        assert!(seen.has_changed().unwrap());
        assert_eq!(seen.borrow_and_update().get("default"), Some(&3));
        publish(&revisions, "default", 2);
        assert!(
            !seen.has_changed().unwrap(),
            "an older revision changes nothing"
        );
        publish(&revisions, "other", 1);
        assert_eq!(seen.borrow().get("default"), Some(&3));
        assert_eq!(seen.borrow().get("other"), Some(&1));
    }
}
