//! Decoded collections, kept in memory between writes.
//!
//! A list request filters and counts every entity of a collection before it pages, so at scale
//! (75,000 subscriptions) decoding the stored JSON dominates its cost. A [`Views`] keeps each
//! collection it has decoded, tagged with the instance's configuration revision read *before*
//! the rows were, and reuses it while the store still reports that revision. Every committed
//! write bumps the revision, through whichever node it was made, so a view is never older than
//! the revision it is served for, on either engine. A view read while a write committed is only
//! newer than its tag, and is replaced by the next request.

use crate::error::Failure;
use crate::resource::decode_record;
use serde::de::DeserializeOwned;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tollgate_store::Store;

/// Collections kept at most; all are dropped when one more is needed (they reload on demand).
const MAX_VIEWS: usize = 256;

/// One decoded entity of a collection.
pub struct Listed<E> {
    /// The id, spelled as when it was created.
    pub id: String,
    /// The decoded entity.
    pub entity: E,
}

/// A decoded collection, in creation order.
pub type View<E> = Arc<Vec<Listed<E>>>;

struct Kept {
    revision: u64,
    view: Arc<dyn Any + Send + Sync>,
}

/// The decoded collections of one instance; see the module documentation.
#[derive(Default)]
pub struct Views {
    kept: Mutex<HashMap<(TypeId, &'static str, String), Kept>>,
}

impl Views {
    /// The entities of `kind` under `parent` (a store parent key, `""` for top-level ones),
    /// decoded as `E`, as of the store's current revision.
    pub async fn read<E>(
        &self,
        store: &dyn Store,
        instance: &str,
        kind: &'static str,
        parent: &str,
    ) -> Result<View<E>, Failure>
    where
        E: DeserializeOwned + Send + Sync + 'static,
    {
        let key = (TypeId::of::<E>(), kind, parent.to_lowercase());
        let revision = store.revision(instance).await?;
        if let Some(view) = self.kept(&key, revision) {
            return Ok(view);
        }
        let records = store.list(instance, kind, parent).await?;
        let mut decoded = Vec::with_capacity(records.len());
        for record in records {
            decoded.push(Listed {
                entity: decode_record(&record)?,
                id: record.id,
            });
        }
        let view = Arc::new(decoded);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.get(&key).is_some_and(|k| k.revision > revision) {
            // A concurrent request kept a newer view meanwhile.
            return Ok(view);
        }
        if kept.len() >= MAX_VIEWS && !kept.contains_key(&key) {
            kept.clear();
        }
        kept.insert(
            key,
            Kept {
                revision,
                view: view.clone(),
            },
        );
        Ok(view)
    }

    fn kept<E: Send + Sync + 'static>(
        &self,
        key: &(TypeId, &'static str, String),
        revision: u64,
    ) -> Option<View<E>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let entry = kept.get(key).filter(|k| k.revision == revision)?;
        entry.view.clone().downcast::<Vec<Listed<E>>>().ok()
    }
}
