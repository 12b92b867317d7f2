//! A read-through cache in front of a store whose only writer is this process (the embedded
//! SQLite engine). Reads of single entities are answered from memory once read (lists are not:
//! the management API keeps its own decoded lists, checked against the revision; neither are
//! quota counters, which are runtime state, nor the change feed); every commit
//! through this store clears the cache, before and after the commit, and a read that raced with a
//! commit is not cached (the generation check). A dropped transaction changed nothing, so it
//! invalidates nothing.
//!
//! It must not front a store that other processes write (PostgreSQL shared by several nodes):
//! their commits would not clear it. Revision watching across nodes belongs to the cluster work.

use crate::{Key, Record, Store, StoreError, Tx};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Entries beyond which the cache is emptied rather than grown.
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
struct Cache {
    /// Bumped by every commit; a read that started in an older generation is not cached.
    generation: u64,
    entities: HashMap<String, Option<Record>>,
}

type Shared = Arc<RwLock<Cache>>;

fn invalidate(cache: &Shared) {
    let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
    cache.generation += 1;
    cache.entities.clear();
}

/// A store with a read cache; see the module documentation for when it is correct.
pub struct CachedStore {
    inner: Box<dyn Store>,
    cache: Shared,
}

impl CachedStore {
    /// Wraps a store that only this process writes.
    pub fn new(inner: Box<dyn Store>) -> CachedStore {
        CachedStore {
            inner,
            cache: Shared::default(),
        }
    }

    fn lookup<T: Clone>(&self, pick: impl Fn(&Cache) -> Option<T>) -> Result<T, u64> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        pick(&cache).ok_or(cache.generation)
    }

    fn remember(&self, generation: u64, fill: impl FnOnce(&mut Cache)) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.generation != generation {
            return;
        }
        if cache.entities.len() >= MAX_ENTRIES {
            cache.entities.clear();
        }
        fill(&mut cache);
    }
}

fn entity_key(instance: &str, key: Key<'_>) -> String {
    format!(
        "{instance}\0{}\0{}\0{}",
        key.kind,
        key.parent.to_lowercase(),
        key.id.to_lowercase()
    )
}

#[async_trait]
impl Store for CachedStore {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }

    async fn get(&self, instance: &str, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        let k = entity_key(instance, key);
        let generation = match self.lookup(|c| c.entities.get(&k).cloned()) {
            Ok(hit) => return Ok(hit),
            Err(generation) => generation,
        };
        let found = self.inner.get(instance, key).await?;
        self.remember(generation, |c| {
            c.entities.insert(k, found.clone());
        });
        Ok(found)
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
        Ok(Box::new(CachedTx {
            inner: self.inner.begin(instance).await?,
            cache: self.cache.clone(),
        }))
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// A transaction whose commit clears the cache.
struct CachedTx {
    inner: Box<dyn Tx>,
    cache: Shared,
}

#[async_trait]
impl Tx for CachedTx {
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
        // Before: readers between here and the commit see the old rows but cannot cache them.
        invalidate(&self.cache);
        let result = self.inner.commit().await;
        // After: nothing read before the commit survives it.
        invalidate(&self.cache);
        result
    }
}
