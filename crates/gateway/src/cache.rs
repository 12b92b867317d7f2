//! The built-in cache of this node (`cache-lookup`/`cache-store` responses, `cache-*-value`
//! values): in memory, entries expire after their duration, and the whole cache holds at most
//! a fixed number of bytes — when full, expired entries go first, then the oldest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tollgate_policy::csharp::Value;

/// The most the cache holds, in bytes (bodies, header text, keys, and an estimate for values).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A cached response.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    /// Status code.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<String>)>,
    /// Body.
    pub body: Bytes,
}

/// What an entry holds.
#[derive(Debug, Clone)]
pub enum Cached {
    /// A response (`cache-store`).
    Response(CachedResponse),
    /// A value (`cache-store-value`).
    Value(Value),
}

impl Cached {
    fn size(&self) -> usize {
        match self {
            Cached::Response(r) => {
                let headers: usize = r
                    .headers
                    .iter()
                    .map(|(k, vs)| k.len() + vs.iter().map(String::len).sum::<usize>() + 16)
                    .sum();
                r.body.len() + headers + 64
            }
            Cached::Value(v) => v.to_policy_string().len() + 64,
        }
    }
}

#[derive(Debug)]
struct Entry {
    value: Cached,
    expires: Instant,
    size: usize,
    /// Insertion order, for eviction.
    seq: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    bytes: usize,
    seq: u64,
}

/// The cache.
#[derive(Debug)]
pub struct Cache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::with_capacity(MAX_BYTES)
    }
}

impl Cache {
    /// A cache of at most `max_bytes`.
    pub fn with_capacity(max_bytes: usize) -> Cache {
        Cache {
            inner: Mutex::new(Inner::default()),
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry under `key`, if present and not expired, with the time it has left.
    pub fn get(&self, key: &str) -> Option<(Cached, Duration)> {
        let now = Instant::now();
        let mut inner = self.lock();
        let entry = inner.entries.get(key)?;
        if entry.expires <= now {
            let size = entry.size;
            inner.entries.remove(key);
            inner.bytes -= size;
            return None;
        }
        Some((entry.value.clone(), entry.expires - now))
    }

    /// Stores `value` under `key` for `ttl` (nothing when it alone exceeds the cache).
    pub fn put(&self, key: &str, value: Cached, ttl: Duration) {
        let size = value.size() + key.len();
        if size > self.max_bytes || ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(key) {
            inner.bytes -= old.size;
        }
        if inner.bytes + size > self.max_bytes {
            inner.evict(now, self.max_bytes - size);
        }
        inner.seq += 1;
        let seq = inner.seq;
        inner.bytes += size;
        inner.entries.insert(
            key.to_owned(),
            Entry {
                value,
                expires: now + ttl,
                size,
                seq,
            },
        );
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) {
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(key) {
            inner.bytes -= old.size;
        }
    }
}

impl Inner {
    /// Frees room until at most `target` bytes are held: expired entries, then the oldest.
    fn evict(&mut self, now: Instant, target: usize) {
        self.entries.retain(|_, e| e.expires > now);
        self.bytes = self.entries.values().map(|e| e.size).sum();
        if self.bytes <= target {
            return;
        }
        let mut by_age: Vec<(u64, String)> = self
            .entries
            .iter()
            .map(|(k, e)| (e.seq, k.clone()))
            .collect();
        by_age.sort_unstable();
        for (_, key) in by_age {
            if self.bytes <= target {
                break;
            }
            if let Some(e) = self.entries.remove(&key) {
                self.bytes -= e.size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cached {
        Cached::Value(Value::from(s))
    }

    #[test]
    fn entries_expire_and_the_oldest_make_room() {
        let cache = Cache::with_capacity(350);
        cache.put("a", text("1"), Duration::from_secs(60));
        assert!(
            matches!(cache.get("a"), Some((Cached::Value(_), left)) if left <= Duration::from_secs(60))
        );
        cache.put("gone", text("x"), Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(2));
        assert!(cache.get("gone").is_none());
        // Each entry is 66 bytes: the sixth does not fit in 350, and pushes the oldest out.
        for k in ["b", "c", "d", "e", "f"] {
            cache.put(k, text(k), Duration::from_secs(60));
        }
        assert!(cache.get("a").is_none(), "the oldest was evicted");
        assert!(cache.get("f").is_some());
        cache.remove("f");
        assert!(cache.get("f").is_none());
        // An entry larger than the cache is not stored.
        cache.put("big", text(&"x".repeat(1000)), Duration::from_secs(60));
        assert!(cache.get("big").is_none());
    }
}
