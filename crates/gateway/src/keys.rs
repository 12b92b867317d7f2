//! Subscription keys as the snapshot holds them: maps split into shards that successive snapshots
//! share, so that a write that changes one subscription copies one or two shards, not 150,000
//! keys.

use crate::snapshot::Grant;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash};
use std::sync::Arc;

/// Shards per map. At 75,000 subscriptions a shard of keys holds about 2,300 entries: copying one
/// is tens of microseconds.
const SHARDS: usize = 64;

/// A map split into [`SHARDS`] shards by the hash of the key, each behind its own `Arc`. A clone
/// shares every shard; a change copies the shard it touches unless this map is its only owner
/// (so a batch of changes copies each shard at most once).
#[derive(Clone)]
pub(crate) struct Sharded<K, V> {
    shards: Vec<Arc<HashMap<K, V>>>,
    len: usize,
}

impl<K, V> std::fmt::Debug for Sharded<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharded").field("len", &self.len).finish()
    }
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| Arc::new(HashMap::new())).collect(),
            len: 0,
        }
    }
}

/// The shard of a key: a fixed hash (shards are not exposed to callers, so a predictable choice
/// is harmless; each shard's own map hashes with random keys).
fn shard_of<Q: Hash + ?Sized>(key: &Q) -> usize {
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
    // The high bits: SipHash mixes them as well as the low ones, and the shard maps use the low.
    (hash >> 32) as usize % SHARDS
}

impl<K: Hash + Eq + Clone, V: Clone> Sharded<K, V> {
    /// The value of `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[shard_of(key)].get(key)
    }

    /// Sets the value of `key`; returns the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let shard = Arc::make_mut(&mut self.shards[shard_of(&key)]);
        let old = shard.insert(key, value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `key`; returns its value. A missing key copies nothing.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = &mut self.shards[shard_of(key)];
        if !slot.contains_key(key) {
            return None;
        }
        let old = Arc::make_mut(slot).remove(key);
        self.len -= 1;
        old
    }

    /// How many entries the map holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every entry, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|shard| shard.iter())
    }
}

/// A subscription whose keys are in the map: its grant, and its keys.
#[derive(Debug, Clone)]
struct Owned {
    grant: Arc<Grant>,
    keys: [Arc<str>; 2],
}

/// The keys of active subscriptions, and what they grant. Whether the product is published is
/// checked when a key is used (see `Snapshot::grant`), so a product's state does not touch keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    /// Key → what it grants.
    grants: Sharded<Arc<str>, Arc<Grant>>,
    /// Subscription (folded id) → its entry in `grants`, so a change can remove its old keys.
    owned: Sharded<Arc<str>, Owned>,
}

impl Keys {
    /// What `key` grants, whatever the state of the product.
    pub(crate) fn get(&self, key: &str) -> Option<&Grant> {
        self.grants.get(key).map(|grant| &**grant)
    }

    /// Adds the keys of an active subscription (`id_key`: its folded id); a key another
    /// subscription held moves to this one.
    pub(crate) fn add(&mut self, id_key: &str, grant: Grant, primary: &str, secondary: &str) {
        self.remove(id_key);
        let grant = Arc::new(grant);
        let keys: [Arc<str>; 2] = [Arc::from(primary), Arc::from(secondary)];
        for key in &keys {
            self.grants.insert(key.clone(), grant.clone());
        }
        self.owned.insert(Arc::from(id_key), Owned { grant, keys });
    }

    /// Removes the keys of a subscription, if it has any here (unless another subscription took
    /// one since).
    pub(crate) fn remove(&mut self, id_key: &str) {
        let Some(owned) = self.owned.remove(id_key) else {
            return;
        };
        for key in &owned.keys {
            if self
                .grants
                .get(&**key)
                .is_some_and(|grant| Arc::ptr_eq(grant, &owned.grant))
            {
                self.grants.remove(&**key);
            }
        }
    }

    /// How many keys are held.
    pub(crate) fn len(&self) -> usize {
        self.grants.len()
    }

    /// Every key and its grant.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> std::collections::BTreeMap<String, Grant> {
        self.grants
            .iter()
            .map(|(key, grant)| (key.to_string(), (**grant).clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(subscription: &str) -> Grant {
        Grant {
            subscription_id: subscription.into(),
            product_id: "p".into(),
            user_id: "u".into(),
            facts: Default::default(),
        }
    }

    #[test]
    fn a_clone_shares_every_shard_until_one_changes() {
        let mut first: Sharded<String, u32> = Sharded::default();
        for n in 0..10_000 {
            first.insert(format!("k{n}"), n);
        }
        assert_eq!(first.len(), 10_000);
        let mut second = first.clone();
        let shared = |a: &Sharded<String, u32>, b: &Sharded<String, u32>| {
            a.shards
                .iter()
                .zip(&b.shards)
                .filter(|(x, y)| Arc::ptr_eq(x, y))
                .count()
        };
        assert_eq!(shared(&first, &second), SHARDS);
        assert_eq!(second.insert("k1".into(), 100), Some(1));
        assert_eq!(second.remove("nothing"), None);
        assert_eq!(shared(&first, &second), SHARDS - 1, "one shard copied");
        assert_eq!(second.remove("k2"), Some(2));
        assert_eq!(second.insert("new".into(), 7), None);
        assert!(shared(&first, &second) >= SHARDS - 3);
        // The first map is unchanged.
        assert_eq!(
            (first.get("k1"), first.get("k2"), first.get("new")),
            (Some(&1), Some(&2), None)
        );
        assert_eq!(
            (second.get("k1"), second.get("k2"), second.get("new")),
            (Some(&100), None, Some(&7))
        );
        assert_eq!((first.len(), second.len()), (10_000, 10_000));
    }

    #[test]
    fn entries_spread_over_the_shards() {
        let mut map: Sharded<String, ()> = Sharded::default();
        for n in 0..64_000 {
            map.insert(format!("{n:032x}"), ());
        }
        for shard in &map.shards {
            assert!(
                (700..1300).contains(&shard.len()),
                "a shard of {}",
                shard.len()
            );
        }
    }

    #[test]
    fn keys_follow_their_subscription() {
        let mut keys = Keys::default();
        keys.add("a", grant("A"), "k1", "k2");
        keys.add("b", grant("b"), "k3", "k3");
        assert_eq!(keys.len(), 3, "a subscription may have the same key twice");
        let before = keys.clone();
        // Regenerated: the old key goes, the new one comes.
        keys.add("a", grant("A"), "k1", "k9");
        assert_eq!(keys.get("k2"), None);
        assert_eq!(keys.get("k9").unwrap().subscription_id, "A");
        assert_eq!(
            before.get("k2").unwrap().subscription_id,
            "A",
            "the older snapshot keeps it"
        );
        // A key that moved to another subscription is not removed with its former owner.
        keys.add("b", grant("b"), "k3", "k1");
        keys.remove("a");
        assert_eq!(keys.get("k1").unwrap().subscription_id, "b");
        assert_eq!(keys.get("k9"), None);
        keys.remove("a");
        keys.remove("b");
        assert_eq!(keys.len(), 0);
        assert_eq!(before.len(), 3);
    }
}
