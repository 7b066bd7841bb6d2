//! The refresh engine: caches credentials from one source, hands them to any number of callers
//! without blocking, and replaces them in a background task before they expire.
//!
//! - Reads never wait on a refresh in flight: the cache is an `ArcSwap` that the background task
//!   replaces when a round succeeds.
//! - Single flight: only the background task talks to the source, one round at a time, whatever
//!   the number of callers.
//! - Static stability: credentials that reach expiry while the source cannot replace them keep
//!   being served, flagged, in extensions of [`RefreshConfig::stale_extension`]; each extension is
//!   logged ([`WARN_STATIC_STABILITY`]) and counted.
//! - Clock skew: expiries are anchored on the monotonic clock with the server's `Date` header, so a
//!   wrong local clock never makes us serve credentials AWS already considers expired.

mod state;
mod status;

pub use state::*;
pub use status::{RefreshStats, Status};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use rand::Rng;
use tokio::sync::{watch, Notify};

use crate::clock::{Clock, MonoTime};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::CredentialSource;

/// Logged (WARN) each time expired credentials are served on by static stability.
pub const WARN_STATIC_STABILITY: &str = "serving expired credentials (static stability)";
/// Logged (WARN) once when local time differs from a server's `Date` beyond the threshold.
pub const WARN_CLOCK_SKEW: &str = "local clock differs from the credential server's clock";
/// Logged (WARN) when a refresh round fails.
pub const WARN_REFRESH_FAILED: &str = "credential refresh failed";

/// What a caller gets: the credentials and how fresh they are.
#[derive(Debug, Clone)]
pub struct Served {
    /// The credentials, shared with the cache (a read copies no string).
    pub credentials: Arc<Credentials>,
    /// When they expire on the monotonic clock (`None`: long-term keys).
    pub expires_at: Option<MonoTime>,
    /// When the next refresh is scheduled on the monotonic clock.
    pub refresh_at: Option<MonoTime>,
    /// True when past expiry and served by static stability.
    pub stale: bool,
}

struct CacheSlot {
    entry: Arc<Entry>,
    /// End of the current static-stability extension (nanoseconds on the monotonic clock; 0 = none).
    stale_until: AtomicU64,
}

struct Shared {
    source: Arc<dyn CredentialSource>,
    clock: Arc<dyn Clock>,
    first_fetch_timeout: Duration,
    skew_warn_threshold: Duration,
    stale_extension: Duration,
    cache: ArcSwapOption<CacheSlot>,
    state: Mutex<RefreshState>,
    wake: Notify,
    rounds: watch::Sender<u64>,
    last_error: Mutex<Option<Error>>,
    stats: RefreshStats,
    skew_warned: AtomicBool,
    closed: AtomicBool,
}

/// Credentials from one source, refreshed early in the background. Cheap to clone.
#[derive(Clone)]
pub struct RefreshingProvider {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RefreshingProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshingProvider")
            .field("source", &self.shared.source.name())
            .finish()
    }
}

fn nanos(t: MonoTime) -> u64 {
    t.as_nanos().min(u64::MAX as u128) as u64
}

impl RefreshingProvider {
    /// Starts the engine on the current tokio runtime: the first fetch begins at once.
    pub fn spawn(
        source: Arc<dyn CredentialSource>,
        config: RefreshConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::spawn_on(source, config, clock, &tokio::runtime::Handle::current())
    }

    /// Starts the engine on `runtime`.
    pub fn spawn_on(
        source: Arc<dyn CredentialSource>,
        config: RefreshConfig,
        clock: Arc<dyn Clock>,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let (rounds, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            source,
            clock,
            first_fetch_timeout: config.first_fetch_timeout,
            skew_warn_threshold: config.skew_warn_threshold,
            stale_extension: config.stale_extension,
            cache: ArcSwapOption::empty(),
            state: Mutex::new(RefreshState::new(config)),
            wake: Notify::new(),
            rounds,
            last_error: Mutex::new(None),
            stats: RefreshStats::default(),
            skew_warned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        runtime.spawn(drive(shared.clone()));
        RefreshingProvider { shared }
    }

    /// The cached credentials, without waiting: `None` only when nothing was ever fetched.
    /// Past expiry, serves them on by static stability (flagged `stale`).
    pub fn cached(&self) -> Option<Served> {
        let slot = self.shared.cache.load_full()?;
        let now = self.shared.clock.now();
        let entry = &slot.entry;
        if entry.is_valid_at(now) {
            return Some(Served {
                credentials: entry.credentials.clone(),
                expires_at: entry.expires_at,
                refresh_at: entry.refresh_at,
                stale: false,
            });
        }
        let until = slot.stale_until.load(Ordering::Acquire);
        if nanos(now) >= until {
            let ext = self.shared.stale_extension;
            let extra =
                Duration::from_nanos(rand::thread_rng().gen_range(0..=ext.as_nanos() as u64));
            let new_until = nanos(now + ext + extra);
            if slot
                .stale_until
                .compare_exchange(until, new_until, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.shared
                    .stats
                    .stale_extensions
                    .fetch_add(1, Ordering::Relaxed);
                let last = self
                    .last_error_message()
                    .unwrap_or_else(|| "no new credentials yet".into());
                tracing::warn!(
                    source = self.shared.source.name(),
                    extension_secs = (ext + extra).as_secs(),
                    "{WARN_STATIC_STABILITY}: credentials {} expired and could not be replaced ({last}); retrying in the background",
                    entry.credentials
                );
                self.shared.wake.notify_one();
            }
        }
        Some(Served {
            credentials: entry.credentials.clone(),
            expires_at: entry.expires_at,
            refresh_at: entry.refresh_at,
            stale: true,
        })
    }

    /// The credentials: at once while any are cached; otherwise waits for the first fetch, at
    /// most the first-fetch timeout, then fails with an error naming the source and what failed.
    pub async fn credentials(&self) -> Result<Served> {
        if let Some(s) = self.cached() {
            return Ok(s);
        }
        self.ensure_open()?;
        let clock = self.shared.clock.clone();
        let deadline = clock.now() + self.shared.first_fetch_timeout;
        let mut rounds = self.shared.rounds.subscribe();
        let mut timeout = clock.sleep_until(deadline);
        loop {
            {
                let now = clock.now();
                if let Some(e) = self.shared.state.lock().expect("state").cached_error(now) {
                    return Err(e.snapshot());
                }
            }
            self.shared.wake.notify_one();
            tokio::select! {
                changed = rounds.changed() => {
                    if changed.is_err() {
                        return Err(self.closed_error());
                    }
                    if let Some(s) = self.cached() {
                        return Ok(s);
                    }
                    // A failed first round: report a configuration problem at once; wait out
                    // transient ones until the timeout.
                    if let Some(e) = self.shared.last_error.lock().expect("last error").as_ref() {
                        if !e.is_retryable() {
                            return Err(e.snapshot());
                        }
                    }
                }
                _ = &mut timeout => {
                    let last = self.last_error_message().unwrap_or_else(|| "no answer yet".into());
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "no credentials from {} after {} ms: {last}",
                            self.shared.source.name(),
                            self.shared.first_fetch_timeout.as_millis()
                        ),
                    ));
                }
            }
            self.ensure_open()?;
        }
    }

    /// Forces a refresh round now (ignoring backoff) and waits for it; returns the credentials
    /// then cached, or the round's error.
    pub async fn refresh(&self) -> Result<Served> {
        self.ensure_open()?;
        let mut rounds = self.shared.rounds.subscribe();
        let seen = *rounds.borrow_and_update();
        self.shared.state.lock().expect("state").force();
        self.shared.wake.notify_one();
        let _ = rounds.wait_for(|r| *r > seen).await;
        let last_ok = self.shared.stats.last_round_ok.load(Ordering::Acquire);
        match (last_ok, self.cached()) {
            (true, Some(s)) => Ok(s),
            _ => Err(self
                .shared
                .last_error
                .lock()
                .expect("last error")
                .as_ref()
                .map(Error::snapshot)
                .unwrap_or_else(|| {
                    Error::new(
                        ErrorKind::Internal,
                        format!(
                            "refresh from {} produced no credentials",
                            self.shared.source.name()
                        ),
                    )
                })),
        }
    }

    /// Reports that AWS rejected credentials with this access key id: if they are the cached
    /// ones, the next round runs as soon as backoff allows.
    pub fn invalidate(&self, rejected_access_key_id: &str) {
        self.shared
            .state
            .lock()
            .expect("state")
            .invalidate(rejected_access_key_id);
        self.shared.wake.notify_one();
    }

    /// The engine's observable state.
    pub fn status(&self) -> Status {
        let now = self.shared.clock.now();
        let wall = self.shared.clock.wall();
        let served = self.cached_peek();
        Status::build(
            self.shared.source.name(),
            served.as_ref(),
            now,
            wall,
            self.last_error_message(),
            &self.shared.stats,
        )
    }

    /// A receiver of the number of finished refresh rounds (it changes after every round), for
    /// hosts and tests that wait for the engine.
    pub fn rounds(&self) -> watch::Receiver<u64> {
        self.shared.rounds.subscribe()
    }

    /// Counters (refreshes, failures, extensions, skew).
    pub fn stats(&self) -> &RefreshStats {
        &self.shared.stats
    }

    /// The source's resolution report, when the source is a chain.
    pub fn report(&self) -> Option<crate::sources::chain::ResolutionReport> {
        self.shared.source.report()
    }

    /// The name of the source.
    pub fn source_name(&self) -> &str {
        self.shared.source.name()
    }

    /// The clock the engine runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// Stops the background task; later calls to [`Self::credentials`] fail.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }

    fn cached_peek(&self) -> Option<Served> {
        let slot = self.shared.cache.load_full()?;
        let now = self.shared.clock.now();
        Some(Served {
            credentials: slot.entry.credentials.clone(),
            expires_at: slot.entry.expires_at,
            refresh_at: slot.entry.refresh_at,
            stale: !slot.entry.is_valid_at(now),
        })
    }

    fn last_error_message(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .expect("last error")
            .as_ref()
            .map(|e| e.full_message())
    }

    fn ensure_open(&self) -> Result<()> {
        if self.shared.closed.load(Ordering::Acquire) {
            Err(self.closed_error())
        } else {
            Ok(())
        }
    }

    fn closed_error(&self) -> Error {
        Error::new(
            ErrorKind::Internal,
            format!("the provider for {} is closed", self.shared.source.name()),
        )
    }
}

/// The background task: one refresh round at a time, when the state machine says one is due.
async fn drive(shared: Arc<Shared>) {
    loop {
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        let now = shared.clock.now();
        let (due, next) = {
            let st = shared.state.lock().expect("state");
            (st.due(now), st.next_check(now))
        };
        if let Some(reason) = due {
            run_round(&shared, reason).await;
            continue;
        }
        let notified = shared.wake.notified();
        match next {
            Some(at) => {
                tokio::select! {
                    _ = shared.clock.sleep_until(at) => {}
                    _ = notified => {}
                }
            }
            None => notified.await,
        }
    }
    // Wake anyone waiting on a round.
    shared.rounds.send_modify(|r| *r += 1);
}

async fn run_round(shared: &Shared, reason: RefreshReason) {
    let source = shared.source.name().to_string();
    tracing::debug!(source = %source, ?reason, "refreshing credentials");
    shared.stats.rounds.fetch_add(1, Ordering::Relaxed);
    let result = shared.source.fetch().await;
    let now = shared.clock.now();
    let wall = shared.clock.wall();
    let ok = match result {
        Ok(fetched) => {
            if let Some(date) = fetched.server_date {
                note_skew(shared, &source, wall, date);
            }
            let outcome = shared
                .state
                .lock()
                .expect("state")
                .on_fetched(now, wall, fetched);
            match outcome {
                Outcome::Accepted(entry) => {
                    tracing::info!(source = %source, "refreshed credentials: {}", entry.credentials);
                    shared.cache.store(Some(Arc::new(CacheSlot {
                        entry,
                        stale_until: AtomicU64::new(0),
                    })));
                    shared.stats.refreshes.fetch_add(1, Ordering::Relaxed);
                    *shared.last_error.lock().expect("last error") = None;
                    true
                }
                Outcome::Stale(kept) => {
                    shared.stats.failures.fetch_add(1, Ordering::Relaxed);
                    shared.stats.stale_responses.fetch_add(1, Ordering::Relaxed);
                    let msg =
                        format!("{source} answered with credentials that are already expired");
                    tracing::warn!(source = %source, "{WARN_REFRESH_FAILED}: {msg}");
                    *shared.last_error.lock().expect("last error") =
                        Some(Error::new(ErrorKind::Expired, msg));
                    if let Some(entry) = kept {
                        shared.cache.store(Some(Arc::new(CacheSlot {
                            entry,
                            stale_until: AtomicU64::new(0),
                        })));
                    }
                    false
                }
                Outcome::Unchanged => {
                    shared.stats.unrotated_polls.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(source = %source, "source still serves the current credentials; polling again later");
                    true
                }
                Outcome::Failed => unreachable!("on_fetched never reports Failed"),
            }
        }
        Err(error) => {
            shared.state.lock().expect("state").on_failed(now, &error);
            shared.stats.failures.fetch_add(1, Ordering::Relaxed);
            let serving = match shared.cache.load_full() {
                Some(slot) if slot.entry.is_valid_at(now) => {
                    "still serving the cached credentials until they expire".to_string()
                }
                Some(_) => "serving the expired credentials meanwhile".to_string(),
                None => "no credentials to serve yet".to_string(),
            };
            tracing::warn!(source = %source, kind = error.kind().name(), "{WARN_REFRESH_FAILED}: {}; {serving}", error.full_message());
            *shared.last_error.lock().expect("last error") = Some(error);
            false
        }
    };
    shared.stats.last_round_ok.store(ok, Ordering::Release);
    shared.rounds.send_modify(|r| *r += 1);
}

fn note_skew(
    shared: &Shared,
    source: &str,
    wall: chrono::DateTime<chrono::Utc>,
    server: chrono::DateTime<chrono::Utc>,
) {
    let skew = wall - server;
    let skew_ms = skew.num_milliseconds();
    shared.stats.skew_millis.store(skew_ms, Ordering::Relaxed);
    let threshold = shared.skew_warn_threshold.as_millis() as i64;
    if skew_ms.abs() > threshold && !shared.skew_warned.swap(true, Ordering::AcqRel) {
        let direction = if skew_ms > 0 { "ahead of" } else { "behind" };
        tracing::warn!(
            source = %source,
            skew_ms,
            "{WARN_CLOCK_SKEW}: local time is {:.1} s {direction} the server's Date header; expiries are tracked on server time, but AWS rejects requests signed more than 5 minutes off: sync the clock (NTP / Amazon Time Sync Service at 169.254.169.123)",
            skew_ms.abs() as f64 / 1000.0
        );
    }
}
