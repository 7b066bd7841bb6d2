//! Time, injectable: the engine reads a monotonic clock and a wall clock through [`Clock`], and
//! sleeps through it, so tests compress hours into milliseconds with a [`ManualClock`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A point on a clock's monotonic time line, as the time elapsed since the clock's origin.
pub type MonoTime = Duration;

/// A future that completes when a clock reaches a deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The source of time for the refresh engine, retries and skew detection.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Monotonic time since the clock's origin. Never goes back; unaffected by wall-clock jumps.
    fn now(&self) -> MonoTime;
    /// The local wall-clock time (may be wrong: that is what skew detection measures).
    fn wall(&self) -> DateTime<Utc>;
    /// Completes once [`Clock::now`] has reached `deadline`.
    fn sleep_until(&self, deadline: MonoTime) -> Sleep;
    /// Completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }
}

/// The real clock: `std::time::Instant` for monotonic time, the system clock for wall time, tokio
/// timers for sleeping (so sleeping needs a tokio runtime).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> MonoTime {
        self.origin.elapsed()
    }
    fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep_until(&self, deadline: MonoTime) -> Sleep {
        let at = tokio::time::Instant::from_std(self.origin + deadline);
        Box::pin(tokio::time::sleep_until(at))
    }
}

#[derive(Debug, Clone, Copy)]
struct ManualState {
    now: MonoTime,
    wall_at_origin: DateTime<Utc>,
    /// Added to the wall clock only (a wrong or jumping local clock).
    wall_offset: chrono::Duration,
}

/// A clock that moves only when a test says so. Sleepers wake when [`ManualClock::advance`] passes
/// their deadline. Clones share the same time line.
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<watch::Sender<ManualState>>,
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = *self.state.borrow();
        f.debug_struct("ManualClock")
            .field("now", &s.now)
            .field("wall", &self.wall())
            .finish()
    }
}

impl ManualClock {
    /// A manual clock whose wall time starts at `wall_at_origin`.
    pub fn new(wall_at_origin: DateTime<Utc>) -> Self {
        let (tx, _rx) = watch::channel(ManualState {
            now: Duration::ZERO,
            wall_at_origin,
            wall_offset: chrono::Duration::zero(),
        });
        ManualClock {
            state: Arc::new(tx),
            sleeps: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// A manual clock whose wall time starts at the real current time.
    pub fn starting_now() -> Self {
        Self::new(Utc::now())
    }

    /// Moves monotonic and wall time forward by `by`, waking every sleeper whose deadline passed.
    pub fn advance(&self, by: Duration) {
        self.state.send_modify(|s| s.now += by);
    }

    /// Moves the wall clock alone (a wrong local clock, or an NTP jump); monotonic time is unchanged.
    pub fn shift_wall(&self, by: chrono::Duration) {
        self.state.send_modify(|s| s.wall_offset += by);
    }

    /// The durations of every sleep requested so far (from the time of the request to the
    /// deadline), in order: lets tests assert backoff timings.
    pub fn requested_sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("sleep log").clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> MonoTime {
        self.state.borrow().now
    }
    fn wall(&self) -> DateTime<Utc> {
        let s = *self.state.borrow();
        s.wall_at_origin
            + chrono::Duration::from_std(s.now).unwrap_or_else(|_| chrono::Duration::zero())
            + s.wall_offset
    }
    fn sleep_until(&self, deadline: MonoTime) -> Sleep {
        let now = self.now();
        self.sleeps
            .lock()
            .expect("sleep log")
            .push(deadline.saturating_sub(now));
        let mut rx = self.state.subscribe();
        Box::pin(async move {
            // wait_for checks the current value first, then every change.
            let _ = rx.wait_for(|s| s.now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_only_when_advanced_past_deadline() {
        let clock = ManualClock::starting_now();
        let mut sleep = clock.sleep(Duration::from_secs(3600));
        assert!(futures_poll_once(&mut sleep).await.is_none());
        clock.advance(Duration::from_secs(1800));
        assert!(futures_poll_once(&mut sleep).await.is_none());
        clock.advance(Duration::from_secs(1800));
        sleep.await;
        assert_eq!(clock.requested_sleeps(), vec![Duration::from_secs(3600)]);
    }

    #[test]
    fn shifting_the_wall_clock_leaves_monotonic_time_alone() {
        let clock = ManualClock::starting_now();
        let wall = clock.wall();
        clock.shift_wall(chrono::Duration::minutes(-10));
        assert_eq!(clock.now(), Duration::ZERO);
        assert_eq!(wall - clock.wall(), chrono::Duration::minutes(10));
    }

    async fn futures_poll_once(s: &mut Sleep) -> Option<()> {
        tokio::time::timeout(Duration::from_millis(20), s.as_mut())
            .await
            .ok()
    }
}
