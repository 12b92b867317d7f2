//! Statements that run other statements: `retry`, `wait`, `limit-concurrency`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tollgate_policy::SectionKind;
use tollgate_policy::csharp::Value;
use tollgate_policy::pipeline::{Step, Text};

use super::{Ended, Env, Failure};

/// `retry`'s schedule.
pub(super) struct Schedule {
    pub count: u32,
    pub interval: Duration,
    pub max_interval: Option<Duration>,
    pub delta: Option<Duration>,
    pub first_fast_retry: bool,
}

impl Schedule {
    /// The wait before retry number `n` (1-based).
    fn wait(&self, n: u32) -> Duration {
        if n == 1 && self.first_fast_retry {
            return Duration::ZERO;
        }
        let grown = match self.delta {
            Some(delta) => self.interval + delta.saturating_mul(n.saturating_sub(1)),
            None => self.interval,
        };
        self.max_interval.map_or(grown, |max| grown.min(max))
    }
}

impl Env<'_> {
    /// `retry`: the statements, then again while the condition holds and retries remain.
    pub(super) async fn retry(
        &mut self,
        step: &Step,
        condition: &Text,
        schedule: Schedule,
        body: &[Arc<Step>],
        section: SectionKind,
    ) -> Result<Ended, Failure> {
        let mut attempt = 0;
        loop {
            if let Ended::Answered = self.nested(body, section).await? {
                return Ok(Ended::Answered);
            }
            match self.value(step, condition)? {
                Value::Bool(true) if attempt < schedule.count => {}
                Value::Bool(_) => return Ok(Ended::Through),
                other => {
                    let message = format!("the retry condition is not a bool: '{other}'");
                    return Err(Failure::new(step, "InvalidCondition", message));
                }
            }
            attempt += 1;
            tokio::time::sleep(schedule.wait(attempt)).await;
        }
    }

    /// `limit-concurrency`: the statements while holding one of the key's places; none free →
    /// 429.
    pub(super) async fn limit_concurrency(
        &mut self,
        step: &Step,
        key: &Text,
        max_count: u32,
        body: &[Arc<Step>],
        section: SectionKind,
    ) -> Result<Ended, Failure> {
        let key = self.text(step, key)?;
        let gateway = self.gateway;
        let Some(_place) = gateway.concurrency().enter(&key, max_count) else {
            self.answer_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many concurrent requests.",
            );
            return Ok(Ended::Answered);
        };
        self.nested(body, section).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_by_delta_up_to_the_maximum() {
        let s = Schedule {
            count: 5,
            interval: Duration::from_secs(1),
            max_interval: Some(Duration::from_secs(3)),
            delta: Some(Duration::from_secs(1)),
            first_fast_retry: true,
        };
        let waits: Vec<u64> = (1..=5).map(|n| s.wait(n).as_secs()).collect();
        assert_eq!(waits, [0, 2, 3, 3, 3]);
    }
}
