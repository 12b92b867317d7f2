//! Failed sign-ins, limited per account and per client address (in this node's memory): after 5
//! failures for one account, or 20 from one address, within 15 minutes, sign-ins are refused until
//! the oldest failure leaves the window — even with the right password.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_ACCOUNT: usize = 5;
const PER_ADDRESS: usize = 20;
/// Keys tracked at most; beyond that, keys with no failure left in the window are forgotten.
const MAX_KEYS: usize = 100_000;

/// Recent failures per key (`account:{email}`, `address:{ip}`).
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    fn keys(account: &str, address: &str) -> [(String, usize); 2] {
        [
            (format!("account:{}", account.to_lowercase()), PER_ACCOUNT),
            (format!("address:{address}"), PER_ADDRESS),
        ]
    }

    /// `Err(wait)` when the account or the address has too many recent failures.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, limit) in Limiter::keys(account, address) {
            if let Some(times) = failures.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= limit {
                    let oldest = times.front().copied().unwrap_or(now);
                    return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        Ok(())
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        for (key, _) in Limiter::keys(account, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// Forgets an account's failures after it signed in.
    pub fn succeeded(&self, account: &str) {
        let key = format!("account:{}", account.to_lowercase());
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_account_and_per_address() {
        let limiter = Limiter::default();
        for _ in 0..PER_ACCOUNT {
            assert!(limiter.check("A@x", "1.1.1.1").is_ok());
            limiter.failed("a@x", "1.1.1.1");
        }
        assert!(
            limiter.check("a@X", "2.2.2.2").is_err(),
            "the account, from anywhere"
        );
        assert!(
            limiter.check("b@x", "1.1.1.1").is_ok(),
            "the address has room left"
        );
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}@x"), "3.3.3.3");
        }
        assert!(limiter.check("fresh@x", "3.3.3.3").is_err());
        limiter.succeeded("a@x");
        assert!(limiter.check("a@x", "2.2.2.2").is_ok());
    }
}
