//! Quota counters (`quota`, `quota-by-key`): the store holds each counter's total per period, so
//! every gateway node and the management API's `/quotas` see one count. A node counts its calls
//! in memory and, about once a second, adds what it counted to the store and reads the total
//! back — which also brings in other nodes' calls and resets made through `/quotas`. A counter's
//! first use on a node reads its total before admitting the call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tollgate_store::{QuotaCounter, Store, StoreError};

/// One period of a quota: which, and when it starts and ends (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `{index}_{ISO 8601 duration}`, e.g. `3_PT1H` (the fourth hour since the first period).
    pub key: String,
    /// Start.
    pub start: i64,
    /// End.
    pub end: i64,
}

/// The end of a quota that never renews: 9999-12-31T23:59:59Z.
const NEVER: i64 = 253_402_300_799;

impl Period {
    /// The period of a `length`-long renewal cycle that began at `first` holding `now`; without
    /// a length, the one period of a quota that never renews (`0_Lifetime`, from `first` to the
    /// year 9999).
    pub fn at(first: i64, length: Option<Duration>, now: i64) -> Period {
        let Some(length) = length else {
            return Period {
                key: "0_Lifetime".to_owned(),
                start: first,
                end: NEVER,
            };
        };
        let length = i64::try_from(length.as_secs()).unwrap_or(i64::MAX).max(1);
        let index = (now - first).div_euclid(length);
        let start = first + index * length;
        Period {
            key: format!("{index}_{}", iso_duration(length)),
            start,
            end: start + length,
        }
    }
}

/// Now, in seconds since the epoch.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Seconds as an ISO 8601 duration (`P7D`, `PT1H30M`, `PT45S`).
fn iso_duration(secs: i64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 {
        out.push('T');
        for (n, unit) in [(h, 'H'), (m, 'M'), (s, 'S')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
    }
    out
}

/// RFC 3339 (UTC) of seconds since the epoch.
fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A quota is used up: the time until its period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// Seconds until the next period.
    pub renews_in: i64,
    /// Whether the kilobytes ran out (else the calls).
    pub bandwidth: bool,
}

/// Calls and kilobytes.
type Usage = (i64, f64);

#[derive(Debug)]
struct Counter {
    period: Period,
    /// The store's totals when last read: calls and kilobytes.
    total: Usage,
    /// Calls and kilobytes counted here and not yet added to the store.
    pending: Usage,
}

impl Counter {
    fn new(period: &Period, total: Usage) -> Counter {
        Counter {
            period: period.clone(),
            total,
            pending: (0, 0.0),
        }
    }
}

/// This node's view of the quota counters.
pub struct Quotas {
    store: Arc<dyn Store>,
    instance: String,
    counters: Mutex<HashMap<(String, String), Counter>>,
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quotas")
            .field("instance", &self.instance)
            .finish()
    }
}

impl Quotas {
    /// Counters of `instance` in `store`.
    pub fn new(store: Arc<dyn Store>, instance: &str) -> Quotas {
        Quotas {
            store,
            instance: instance.to_owned(),
            counters: Mutex::new(HashMap::new()),
        }
    }

    fn counter(&self, key: &str, period: &Period, (calls, kilobytes): Usage) -> QuotaCounter {
        QuotaCounter {
            counter_key: key.to_owned(),
            period_key: period.key.clone(),
            period_start: rfc3339(period.start),
            period_end: rfc3339(period.end),
            calls_count: calls,
            kb_transferred: kilobytes,
        }
    }

    /// Whether one more call fits `key`'s quota in `period` (`calls` and `kilobytes` allowed;
    /// a call is admitted while any kilobytes are left); counts the call when `count`.
    pub async fn admit(
        &self,
        key: &str,
        period: &Period,
        (calls, kilobytes): (Option<u64>, Option<u64>),
        count: bool,
    ) -> Result<Result<(), Exhausted>, StoreError> {
        let id = (key.to_owned(), period.key.clone());
        let known = self.lock().contains_key(&id);
        if !known {
            // First use here: read the total (adding nothing creates the counter).
            let stored = self
                .store
                .runtime()
                .add_quota_usage(&self.instance, &self.counter(key, period, (0, 0.0)))
                .await?;
            let total = (stored.calls_count, stored.kb_transferred);
            self.lock()
                .entry(id.clone())
                .or_insert_with(|| Counter::new(period, total));
        }
        let mut counters = self.lock();
        let Some(counter) = counters.get_mut(&id) else {
            return Ok(Ok(()));
        };
        let exhausted = |bandwidth| {
            Ok(Err(Exhausted {
                renews_in: (period.end - now_secs()).max(0),
                bandwidth,
            }))
        };
        let used_calls = counter.total.0.saturating_add(counter.pending.0);
        if calls
            .is_some_and(|c| used_calls.saturating_add(1) > i64::try_from(c).unwrap_or(i64::MAX))
        {
            return exhausted(false);
        }
        let used_kilobytes = counter.total.1 + counter.pending.1;
        if kilobytes.is_some_and(|k| used_kilobytes >= k as f64) {
            return exhausted(true);
        }
        if count {
            counter.pending.0 += 1;
        }
        Ok(Ok(()))
    }

    /// Counts calls and kilobytes after the fact (`quota-by-key`'s `increment-condition`, the
    /// kilobytes of a call that ended).
    pub fn count(&self, key: &str, period: &Period, calls: i64, kilobytes: f64) {
        let id = (key.to_owned(), period.key.clone());
        let mut counters = self.lock();
        let counter = counters
            .entry(id)
            .or_insert_with(|| Counter::new(period, (0, 0.0)));
        counter.pending.0 += calls;
        counter.pending.1 += kilobytes;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Counter>> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds every counter's pending calls to the store and reads the totals back; forgets
    /// counters whose period has ended.
    pub async fn flush(&self) {
        let now = now_secs();
        let work: Vec<((String, String), Period, Usage)> = {
            let mut counters = self.lock();
            counters.retain(|_, c| c.period.end > now || c.pending != (0, 0.0));
            counters
                .iter()
                .map(|(id, c)| (id.clone(), c.period.clone(), c.pending))
                .collect()
        };
        for ((key, period_key), period, pending) in work {
            let added = self
                .store
                .runtime()
                .add_quota_usage(&self.instance, &self.counter(&key, &period, pending))
                .await;
            match added {
                Ok(stored) => {
                    if let Some(c) = self.lock().get_mut(&(key, period_key)) {
                        c.total = (stored.calls_count, stored.kb_transferred);
                        c.pending.0 -= pending.0;
                        c.pending.1 -= pending.1;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "quota counters could not be saved; retrying"),
            }
        }
    }
}

/// Flushes the counters every second while the gateway lives.
pub(crate) async fn keep_flushing(quotas: Weak<Quotas>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(quotas) = quotas.upgrade() else {
            return;
        };
        quotas.flush().await;
    }
}

/// A time span as Azure's quota message writes it: `hh:mm:ss`, or `d.hh:mm:ss`.
pub fn span(secs: i64) -> String {
    let (d, rest) = (secs / 86_400, secs % 86_400);
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if d > 0 { format!("{d}.{hms}") } else { hms }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_count_from_the_first_start() {
        let hour = Duration::from_secs(3600);
        let p = Period::at(0, Some(hour), 3 * 3600 + 5);
        assert_eq!((p.key.as_str(), p.start, p.end), ("3_PT1H", 10_800, 14_400));
        assert_eq!(
            Period::at(0, Some(Duration::from_secs(604_800)), 1).key,
            "0_P7D"
        );
        assert_eq!(
            Period::at(0, Some(Duration::from_secs(90)), 1).key,
            "0_PT1M30S"
        );
        let lifetime = Period::at(5, None, 1_000_000);
        assert_eq!((lifetime.key.as_str(), lifetime.start), ("0_Lifetime", 5));
        assert_eq!(rfc3339(lifetime.end), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn times_are_written_as_azure_writes_them() {
        assert_eq!(rfc3339(1_388_534_400), "2014-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_209_815), "2024-02-29T12:30:15Z");
        assert_eq!(span(27), "00:00:27");
        assert_eq!(span(90_061), "1.01:01:01");
    }
}
