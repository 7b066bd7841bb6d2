//! Time, injectable: the engine reads an uptime clock that counts suspended time and a wall clock
//! through [`Clock`], and sleeps through it, so tests compress hours into milliseconds with a
//! [`ManualClock`] (and jump it, as a suspend would).
//!
//! Why not `std::time::Instant`: on Linux it is `CLOCK_MONOTONIC` (and on macOS
//! `CLOCK_UPTIME_RAW`), which stops while the machine is suspended or hibernated. An EC2
//! hibernate/resume, a paused VM or a closed laptop lid would then leave credentials that expired
//! during the sleep looking fresh until the next monotonic deadline. [`SystemClock`] reads
//! `CLOCK_BOOTTIME` on Linux, `CLOCK_MONOTONIC` on macOS (which counts sleep there) and
//! `GetTickCount64` on Windows (interrupt time, which counts sleep).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A point on a clock's time line, as the time elapsed since the clock's origin. The time line
/// counts time spent suspended (see the module docs).
pub type MonoTime = Duration;

/// A future that completes when a clock reaches a deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The source of time for the refresh engine, retries and skew detection.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Time since the clock's origin. Never goes back; unaffected by wall-clock jumps; counts
    /// time spent suspended.
    fn now(&self) -> MonoTime;
    /// The local wall-clock time (may be wrong: that is what skew detection measures).
    fn wall(&self) -> DateTime<Utc>;
    /// Completes once [`Clock::now`] has reached `deadline`, or later: timers may not run while
    /// the machine is suspended, so after a resume a sleep can end late. Callers that must
    /// notice a resume sleep in slices (the refresh engine does).
    fn sleep_until(&self, deadline: MonoTime) -> Sleep;
    /// Completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }
}

/// Reads the platform's suspend-counting uptime clock.
fn uptime() -> Duration {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        clock_gettime(libc::CLOCK_BOOTTIME)
    }
    #[cfg(target_vendor = "apple")]
    {
        clock_gettime(libc::CLOCK_MONOTONIC)
    }
    #[cfg(windows)]
    {
        #[link(name = "kernel32")]
        extern "system" {
            fn GetTickCount64() -> u64;
        }
        // SAFETY: GetTickCount64 takes no arguments and cannot fail.
        Duration::from_millis(unsafe { GetTickCount64() })
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        windows
    )))]
    {
        static ORIGIN: once_cell::sync::Lazy<std::time::Instant> =
            once_cell::sync::Lazy::new(std::time::Instant::now);
        ORIGIN.elapsed()
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn clock_gettime(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids used exist on these platforms.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        // Not expected on any supported kernel; fall back to a clock that at least never stops
        // the process (monotonic), rather than panicking on the hot path.
        static ORIGIN: once_cell::sync::Lazy<std::time::Instant> =
            once_cell::sync::Lazy::new(std::time::Instant::now);
        return ORIGIN.elapsed();
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The real clock: the suspend-counting uptime clock for [`Clock::now`], the system clock for wall
/// time, tokio timers for sleeping (so sleeping needs a tokio runtime).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Duration,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemClock { origin: uptime() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> MonoTime {
        uptime().saturating_sub(self.origin)
    }
    fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep_until(&self, deadline: MonoTime) -> Sleep {
        // tokio's timers run on the monotonic clock: the remaining time is converted once, so a
        // suspend during the sleep makes it end late, never early.
        Box::pin(tokio::time::sleep(deadline.saturating_sub(self.now())))
    }
}

#[derive(Debug, Clone, Copy)]
struct ManualState {
    /// Time on the suspend-counting time line ([`Clock::now`]).
    now: MonoTime,
    /// Time on the timers' time line: moves with `now` except during a suspend.
    timers: Duration,
    wall_at_origin: DateTime<Utc>,
    /// Added to the wall clock only (a wrong or jumping local clock).
    wall_offset: chrono::Duration,
}

#[derive(Debug, Default)]
struct SleepLog {
    requested: Vec<Duration>,
    /// Deadlines (on the timers' time line) of sleeps not finished yet, by id.
    pending: Vec<(u64, Duration)>,
    next_id: u64,
}

/// A clock that moves only when a test says so. Sleepers wake when [`ManualClock::advance`] passes
/// their deadline. [`ManualClock::suspend`] moves time as a machine suspend does: the clock and
/// wall time jump, timers do not fire until time advances again. Clones share the same time line.
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<watch::Sender<ManualState>>,
    sleeps: Arc<Mutex<SleepLog>>,
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

struct PendingGuard {
    id: u64,
    sleeps: Arc<Mutex<SleepLog>>,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let mut log = self.sleeps.lock().unwrap_or_else(|e| e.into_inner());
        log.pending.retain(|(id, _)| *id != self.id);
    }
}

impl ManualClock {
    /// A manual clock whose wall time starts at `wall_at_origin`.
    pub fn new(wall_at_origin: DateTime<Utc>) -> Self {
        let (tx, _rx) = watch::channel(ManualState {
            now: Duration::ZERO,
            timers: Duration::ZERO,
            wall_at_origin,
            wall_offset: chrono::Duration::zero(),
        });
        ManualClock {
            state: Arc::new(tx),
            sleeps: Arc::new(Mutex::new(SleepLog::default())),
        }
    }

    /// A manual clock whose wall time starts at the real current time.
    pub fn starting_now() -> Self {
        Self::new(Utc::now())
    }

    /// Moves time (the clock, wall time and timers) forward by `by`, waking every sleeper whose
    /// deadline passed.
    pub fn advance(&self, by: Duration) {
        self.state.send_modify(|s| {
            s.now += by;
            s.timers += by;
        });
    }

    /// A suspend of `by`: the clock and wall time jump forward, but no timer fires (as on a
    /// machine that was asleep); sleepers wake only when [`ManualClock::advance`] later passes
    /// their deadline on the timers' time line.
    pub fn suspend(&self, by: Duration) {
        self.state.send_modify(|s| s.now += by);
    }

    /// Moves the wall clock alone (a wrong local clock, or an NTP jump); the clock is unchanged.
    pub fn shift_wall(&self, by: chrono::Duration) {
        self.state.send_modify(|s| s.wall_offset += by);
    }

    /// The true time: the wall clock without the shifts of [`ManualClock::shift_wall`] (what a
    /// server with a correct clock would say).
    pub fn true_wall(&self) -> DateTime<Utc> {
        let s = *self.state.borrow();
        s.wall_at_origin
            + chrono::Duration::from_std(s.now).unwrap_or_else(|_| chrono::Duration::zero())
    }

    /// The durations of every sleep requested so far (from the time of the request to the
    /// deadline), in order: lets tests assert backoff timings.
    pub fn requested_sleeps(&self) -> Vec<Duration> {
        self.sleeps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requested
            .clone()
    }

    /// How far time must [`advance`](Self::advance) for the earliest unfinished sleep to end
    /// (zero when one is already due), or `None` when nothing sleeps. Lets a test run an engine
    /// from one deadline to the next.
    pub fn until_next_wake(&self) -> Option<Duration> {
        let timers = self.state.borrow().timers;
        let log = self.sleeps.lock().unwrap_or_else(|e| e.into_inner());
        log.pending
            .iter()
            .map(|(_, d)| d.saturating_sub(timers))
            .min()
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
        let s = *self.state.borrow();
        let remaining = deadline.saturating_sub(s.now);
        let timer_deadline = s.timers + remaining;
        let guard = {
            let mut log = self.sleeps.lock().unwrap_or_else(|e| e.into_inner());
            log.requested.push(remaining);
            let id = log.next_id;
            log.next_id += 1;
            log.pending.push((id, timer_deadline));
            PendingGuard {
                id,
                sleeps: self.sleeps.clone(),
            }
        };
        let mut rx = self.state.subscribe();
        Box::pin(async move {
            let _guard = guard;
            // wait_for checks the current value first, then every change.
            let _ = rx.wait_for(|s| s.timers >= timer_deadline).await;
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
        assert_eq!(clock.true_wall(), wall);
    }

    #[tokio::test]
    async fn a_suspend_moves_the_clock_but_fires_no_timer_until_time_advances() {
        let clock = ManualClock::starting_now();
        let mut sleep = clock.sleep(Duration::from_secs(60));
        clock.suspend(Duration::from_secs(3600));
        assert_eq!(clock.now(), Duration::from_secs(3600));
        assert!(futures_poll_once(&mut sleep).await.is_none());
        assert_eq!(clock.until_next_wake(), Some(Duration::from_secs(60)));
        clock.advance(Duration::from_secs(60));
        sleep.await;
        assert_eq!(
            clock.until_next_wake(),
            None,
            "a finished sleep is no longer pending"
        );
    }

    #[test]
    fn the_system_clock_counts_forward_from_its_origin() {
        let clock = SystemClock::new();
        let a = clock.now();
        std::thread::sleep(Duration::from_millis(5));
        let b = clock.now();
        assert!(b >= a + Duration::from_millis(5), "{a:?} then {b:?}");
    }

    async fn futures_poll_once(s: &mut Sleep) -> Option<()> {
        tokio::time::timeout(Duration::from_millis(20), s.as_mut())
            .await
            .ok()
    }
}
