//! Rate-limit counters of this node: a sliding window per key, estimated from the counts of the
//! current and the previous fixed window (the previous one weighted by how much of it the
//! sliding window still covers). Counters live in memory; a key idle for two periods is dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counters by key.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    by_key: HashMap<String, Window>,
    /// Calls since idle keys were last dropped.
    since_sweep: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    /// Start of the current fixed window.
    start: Instant,
    period: Duration,
    current: u64,
    previous: u64,
}

impl Window {
    /// An empty window starting `now`.
    fn new(now: Instant, period: Duration) -> Window {
        Window {
            start: now,
            period,
            current: 0,
            previous: 0,
        }
    }

    /// Moves the window forward to `now`.
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start);
        if elapsed < self.period {
            return;
        }
        let periods = elapsed.as_nanos() / self.period.as_nanos().max(1);
        self.previous = if periods == 1 { self.current } else { 0 };
        self.current = 0;
        let step = self
            .period
            .saturating_mul(u32::try_from(periods).unwrap_or(u32::MAX));
        self.start += step;
    }

    /// The calls counted in the sliding window ending `now`.
    fn estimate(&self, now: Instant) -> f64 {
        let into = now.saturating_duration_since(self.start).as_secs_f64();
        let covered = 1.0 - (into / self.period.as_secs_f64()).min(1.0);
        self.previous as f64 * covered + self.current as f64
    }
}

/// A call refused by a limit: when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    /// Whole seconds until a call would be allowed (at least 1).
    pub retry_after: u64,
}

impl Limiter {
    /// Whether a call may go under `key`'s limit of `calls` per `period`; when `count` is above
    /// 0 and it may, counts it that many times.
    pub fn admit(
        &self,
        key: &str,
        calls: u64,
        period: Duration,
        count: u64,
    ) -> Result<(), Exceeded> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.sweep(now);
        let window = windows
            .by_key
            .entry(key.to_owned())
            .or_insert_with(|| Window::new(now, period));
        if window.period != period {
            // The policy's period changed: start over.
            *window = Window::new(now, period);
        }
        window.roll(now);
        if window.estimate(now) + 1.0 > calls as f64 + f64::EPSILON {
            return Err(Exceeded {
                retry_after: retry_after(window, calls, now),
            });
        }
        window.current = window.current.saturating_add(count);
        Ok(())
    }

    /// Counts calls under `key` after the fact (`rate-limit-by-key`'s `increment-condition`).
    pub fn count(&self, key: &str, period: Duration, count: u64) {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows
            .by_key
            .entry(key.to_owned())
            .or_insert_with(|| Window::new(now, period));
        window.roll(now);
        window.current = window.current.saturating_add(count);
    }
}

/// Seconds until the sliding window holds fewer than `calls` calls.
fn retry_after(window: &Window, calls: u64, now: Instant) -> u64 {
    let period = window.period.as_secs_f64();
    let into = now.saturating_duration_since(window.start).as_secs_f64();
    wait_secs(period, into, window.current, window.previous, calls)
}

/// Seconds until a sliding window (`into` seconds into its current fixed window of `period`,
/// with `current` and `previous` calls) admits a call again: the previous window's weight falls
/// linearly, and the current window's calls stay until it rolls.
fn wait_secs(period: f64, into: f64, current: u64, previous: u64, calls: u64) -> u64 {
    let to_roll = period - into;
    let wait = if (current as f64) < calls as f64 && previous > 0 {
        // previous * (1 - t/period) + current + 1 <= calls
        //   ⇔  t >= period * (1 - (calls - 1 - current) / previous)
        let room = calls as f64 - 1.0 - current as f64;
        let t = period * (1.0 - room / previous as f64);
        (t - into).max(0.0)
    } else {
        // The current window alone is full: after it rolls, its calls weigh as `previous`.
        let t = period * (1.0 - (calls as f64 - 1.0) / current.max(1) as f64);
        to_roll + t.max(0.0)
    };
    (wait.ceil() as u64).max(1)
}

impl Windows {
    /// Drops keys idle for two periods, every 1,024 calls.
    fn sweep(&mut self, now: Instant) {
        self.since_sweep += 1;
        if self.since_sweep < 1024 {
            return;
        }
        self.since_sweep = 0;
        self.by_key
            .retain(|_, w| now.saturating_duration_since(w.start) < w.period.saturating_mul(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_calls_then_refuses() {
        let limiter = Limiter::default();
        let period = Duration::from_secs(60);
        for _ in 0..5 {
            assert_eq!(limiter.admit("k", 5, period, 1), Ok(()));
        }
        let refused = limiter.admit("k", 5, period, 1).unwrap_err();
        assert!((1..=120).contains(&refused.retry_after), "{refused:?}");
        // Other keys are independent; a check without counting does not count.
        assert_eq!(limiter.admit("other", 5, period, 0), Ok(()));
        assert_eq!(limiter.admit("other", 1, period, 1), Ok(()));
    }

    #[test]
    fn the_previous_window_weighs_less_as_time_passes() {
        let mut w = Window {
            start: Instant::now(),
            period: Duration::from_secs(10),
            current: 4,
            previous: 0,
        };
        let later = w.start + Duration::from_secs(15);
        w.roll(later);
        assert_eq!((w.previous, w.current), (4, 0));
        // Halfway into the new window, half of the previous one's calls still count.
        assert!((w.estimate(later) - 2.0).abs() < 1e-9);
        let much_later = w.start + Duration::from_secs(25);
        w.roll(much_later);
        assert_eq!((w.previous, w.current), (0, 0));
    }
}

/// Calls running under each `limit-concurrency` key on this node.
#[derive(Debug, Default)]
pub struct Concurrency {
    running: Mutex<HashMap<String, u32>>,
}

/// A place taken under a key: given back when dropped.
#[derive(Debug)]
pub struct Place<'a> {
    concurrency: &'a Concurrency,
    key: String,
}

impl Concurrency {
    /// Takes a place under `key` if fewer than `max` are taken.
    pub fn enter(&self, key: &str, max: u32) -> Option<Place<'_>> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let n = running.entry(key.to_owned()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Place {
            concurrency: self,
            key: key.to_owned(),
        })
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut running = self
            .concurrency
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = running.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;

    #[test]
    fn places_are_given_back() {
        let c = Concurrency::default();
        let a = c.enter("k", 2).unwrap();
        let _b = c.enter("k", 2).unwrap();
        assert!(c.enter("k", 2).is_none());
        assert!(c.enter("other", 1).is_some());
        drop(a);
        assert!(c.enter("k", 2).is_some());
    }
}

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Under the limit (and counted, when asked).
    Allowed,
    /// Over the limit.
    Exceeded(Exceeded),
    /// The shared counters could not be reached and the node fails closed.
    Unavailable(String),
}

/// Where rate-limit counters live: this node's memory, or Redis shared by every node.
#[derive(Debug)]
pub enum RateCounters {
    /// Per node.
    Local(Limiter),
    /// In Redis.
    Shared {
        /// The server.
        redis: crate::redis::Redis,
        /// Whether calls go through when Redis cannot be reached (else they fail).
        fail_open: bool,
    },
}

/// The sliding window in Redis, on Redis's clock: fixed windows aligned to the epoch, the
/// previous one weighted by the share of it still in the sliding window. KEYS[1]: the counter;
/// ARGV: calls allowed, period (ms), calls to add when admitted. Returns {admitted, current,
/// previous, ms into the current window}.
const SLIDING_WINDOW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[2])
local window = math.floor(now / period)
local current_key = KEYS[1] .. ':' .. window
local current = tonumber(redis.call('GET', current_key) or '0')
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. (window - 1)) or '0')
local into = now - window * period
if previous * (1 - into / period) + current + 1 > tonumber(ARGV[1]) then
  return {0, current, previous, into}
end
local add = tonumber(ARGV[3])
if add > 0 then
  redis.call('INCRBY', current_key, add)
  redis.call('PEXPIRE', current_key, period * 2)
end
return {1, current, previous, into}
";

impl RateCounters {
    /// Whether a call may go under `key`'s limit; counts it `count` times when it may.
    pub async fn admit(&self, key: &str, calls: u64, period: Duration, count: u64) -> Verdict {
        let (redis, fail_open) = match self {
            RateCounters::Local(limiter) => {
                return match limiter.admit(key, calls, period, count) {
                    Ok(()) => Verdict::Allowed,
                    Err(exceeded) => Verdict::Exceeded(exceeded),
                };
            }
            RateCounters::Shared { redis, fail_open } => (redis, *fail_open),
        };
        let period_ms = period.as_millis().max(1);
        let counter = format!("tollgate:rl:{key}");
        let calls_text = calls.to_string();
        let period_text = period_ms.to_string();
        let count_text = count.to_string();
        let args: [&[u8]; 7] = [
            b"EVAL",
            SLIDING_WINDOW.as_bytes(),
            b"1",
            counter.as_bytes(),
            calls_text.as_bytes(),
            period_text.as_bytes(),
            count_text.as_bytes(),
        ];
        let failed = |why: String| {
            tracing::warn!(error = %why, "shared rate-limit counters unavailable");
            if fail_open {
                Verdict::Allowed
            } else {
                Verdict::Unavailable(why)
            }
        };
        match redis.command(&args).await {
            Ok(crate::redis::Reply::Array(Some(items))) => {
                let n: Vec<i64> = items
                    .iter()
                    .map(|i| match i {
                        crate::redis::Reply::Int(n) => *n,
                        _ => 0,
                    })
                    .collect();
                match n[..] {
                    [1, ..] => Verdict::Allowed,
                    [0, current, previous, into] => {
                        let period = period_ms as f64 / 1000.0;
                        let wait = wait_secs(
                            period,
                            into as f64 / 1000.0,
                            current.max(0) as u64,
                            previous.max(0) as u64,
                            calls,
                        );
                        Verdict::Exceeded(Exceeded { retry_after: wait })
                    }
                    _ => failed(format!("unexpected reply {items:?}")),
                }
            }
            Ok(other) => failed(format!("unexpected reply {other:?}")),
            Err(e) => failed(e.to_string()),
        }
    }

    /// Counts calls under `key` after the fact.
    pub async fn count(&self, key: &str, period: Duration, n: u64) {
        match self {
            RateCounters::Local(limiter) => limiter.count(key, period, n),
            RateCounters::Shared { .. } => {
                _ = self.admit(key, u64::MAX / 2, period, n).await;
            }
        }
    }
}
