//! Retries with exponential backoff and full jitter, for every HTTP source.
//!
//! Unlike the AWS SDKs' IMDS clients (botocore and the CRT make one attempt; the Rust SDK retries
//! neither 429 nor timeouts), freshcreds retries connect errors, resets, timeouts, 429 and 5xx,
//! because IMDS throttles exactly when many callers refresh at once.

use std::time::Duration;

use rand::Rng;

use crate::clock::Clock;
use crate::error::{Error, Result};

/// Default number of attempts per request (`AWS_METADATA_SERVICE_NUM_ATTEMPTS` overrides it for IMDS).
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default first backoff ceiling: the first retry waits a random time in `[0, 100 ms)`.
pub(crate) const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Default cap on one backoff delay.
pub(crate) const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(20);

/// Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog):
/// the delay before retry `n` (0-based) is uniform in `[0, min(cap, base * 2^n)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: u32,
    /// Ceiling of the first delay.
    pub base: Duration,
    /// Ceiling of any delay.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base: DEFAULT_BACKOFF_BASE,
            cap: DEFAULT_BACKOFF_CAP,
        }
    }
}

impl RetryPolicy {
    /// The largest delay retry `retry` (0-based) may wait: `min(cap, base * 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random delay in `[0, ceiling(retry)]` (full jitter).
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        if ceiling.is_zero() {
            return ceiling;
        }
        let nanos =
            rand::thread_rng().gen_range(0..=ceiling.as_nanos().min(u64::MAX as u128) as u64);
        Duration::from_nanos(nanos)
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not retryable, or the
    /// attempts run out; sleeps on `clock` between attempts. Calls `on_retry` before each retry
    /// (for counters and logs). Returns the last error when every attempt failed.
    pub async fn run<T, F, Fut>(
        &self,
        clock: &dyn Clock,
        mut attempt: F,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let attempts = self.max_attempts.max(1);
        let mut n = 0;
        loop {
            match attempt(n).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && n + 1 < attempts => {
                    let delay = self.delay(n);
                    on_retry(&e, delay);
                    clock.sleep(delay).await;
                    n += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// [`RetryPolicy::run`], logging each retry of `call` (at debug) with `endpoint`, the error
    /// and the delay.
    pub(crate) async fn run_logged<T, F, Fut>(
        &self,
        clock: &dyn Clock,
        call: &str,
        endpoint: &(dyn std::fmt::Display + Sync),
        attempt: F,
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.run(clock, attempt, |e, delay| {
            tracing::debug!(%endpoint, error = %e.full_message(), ?delay, "retrying {call}");
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::ErrorKind;

    #[test]
    fn ceilings_double_then_stop_at_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        let c: Vec<_> = (0..6).map(|n| p.ceiling(n).as_millis()).collect();
        assert_eq!(c, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.ceiling(200), Duration::from_secs(1));
    }

    #[test]
    fn delays_stay_within_their_ceiling_and_vary() {
        let p = RetryPolicy::default();
        let samples: Vec<_> = (0..200).map(|_| p.delay(3)).collect();
        assert!(samples.iter().all(|d| *d <= p.ceiling(3)));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 100, "full jitter should spread delays");
    }

    /// Runs `policy` over calls that all fail with HTTP `status`: how many were made, and the
    /// error `run` gave back.
    async fn run_always_failing(
        policy: &RetryPolicy,
        clock: &ManualClock,
        status: u16,
    ) -> (u32, Error) {
        let mut calls = 0;
        let r: Result<()> = policy
            .run(
                clock,
                |_| {
                    calls += 1;
                    async move { Err(Error::new(ErrorKind::Http(status), "failing")) }
                },
                |_, _| {},
            )
            .await;
        (calls, r.unwrap_err())
    }

    #[tokio::test]
    async fn run_retries_retryable_errors_with_backoff_on_the_clock_then_gives_up() {
        let clock = ManualClock::starting_now();
        let p = RetryPolicy {
            max_attempts: 4,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(3),
        };
        let driver = {
            let clock = clock.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    tokio::task::yield_now().await;
                    clock.advance(Duration::from_secs(1));
                }
            })
        };
        let (calls, err) = run_always_failing(&p, &clock, 503).await;
        driver.abort();
        assert_eq!(calls, 4);
        assert_eq!(err.kind(), ErrorKind::Http(503));
        let sleeps = clock.requested_sleeps();
        assert_eq!(sleeps.len(), 3);
        for (i, s) in sleeps.iter().enumerate() {
            assert!(*s <= p.ceiling(i as u32), "sleep {i} = {s:?}");
        }
    }

    #[tokio::test]
    async fn run_does_not_retry_a_client_error() {
        let clock = ManualClock::starting_now();
        let (calls, err) = run_always_failing(&RetryPolicy::default(), &clock, 404).await;
        assert_eq!(err.kind(), ErrorKind::Http(404));
        assert_eq!(calls, 1);
        assert!(clock.requested_sleeps().is_empty());
    }
}
