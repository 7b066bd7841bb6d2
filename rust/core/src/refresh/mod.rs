//! The refresh engine: caches credentials from one source, hands them to any number of callers
//! without blocking, and replaces them in a background task before they expire.
//!
//! - Reads never wait on a refresh in flight: the cache is an `ArcSwap` that the background task
//!   replaces when a round succeeds.
//! - Single flight: only the background task talks to the source, one round at a time, whatever
//!   the number of callers.
//! - One failure policy (`state`'s table) decides every wait; each round is bounded by
//!   [`ROUND_TIMEOUT`], and a panic in a source is caught and counted as a failed round: the
//!   background task never dies.
//! - Static stability: credentials that reach expiry while the source cannot replace them keep
//!   being served, flagged, in extensions of [`RefreshConfig::stale_extension`]; each extension is
//!   logged (`WARN_STATIC_STABILITY`) and counted, and [`Served::expiration`] then carries the
//!   end of the extension, so the processes freshcreds hands them to keep working too.
//! - Minimum validity: [`RefreshEngine::credentials_valid_for`] hands out credentials
//!   valid for at least a given time, or a typed error ([`ErrorKind::InsufficientValidity`])
//!   that says how long the best available ones last and when more may be; never shorter ones.
//!   When the cached ones expire too soon it runs one round that every concurrent asker joins,
//!   under the failure policy's waits and [`MIN_VALIDITY_ROUND_INTERVAL`].
//! - Clock skew and suspend: expiries are anchored on a clock that counts suspended time, with
//!   the server's `Date` header (when it is within [`MAX_PLAUSIBLE_DATE_OFFSET`] of local time), so a
//!   wrong local clock or a resume from hibernation never makes us serve credentials AWS already
//!   considers expired as fresh.

mod state;
mod status;

pub use state::*;
pub use status::{
    status_fields, FieldKind, FieldValue, JmxView, RefreshStats, Status, StatusField,
};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{watch, Notify};

use crate::clock::{Clock, MonoTime};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result, Shortfall};
use crate::sources::server_clock::{
    is_plausible_date, MAX_PLAUSIBLE_DATE_OFFSET, WARN_IMPLAUSIBLE_DATE,
};
use crate::sources::{CredentialSource, Fetched};

/// Logged (WARN) each time expired credentials are served on by static stability.
pub(crate) const WARN_STATIC_STABILITY: &str = "serving expired credentials (static stability)";
/// Logged (WARN) once when local time differs from a server's `Date` beyond the threshold.
pub(crate) const WARN_CLOCK_SKEW: &str = "local clock differs from the credential server's clock";
/// Logged (WARN) when a refresh round fails.
pub(crate) const WARN_REFRESH_FAILED: &str = "credential refresh failed";
/// Logged (ERROR) when a source panics while fetching (a bug; the round counts as failed).
pub(crate) const ERROR_SOURCE_PANICKED: &str = "the credential source panicked";
/// Logged (INFO) when the engine notices that the machine was suspended.
pub(crate) const INFO_RESUMED: &str = "resumed after the machine was suspended";

/// Longest a refresh round may take: a source that hangs past it is abandoned and the round
/// counts as a (retryable) timeout. Longer than any source's own retries take.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest [`RefreshEngine::refresh`] waits: a round in flight, then its own round.
pub const REFRESH_WAIT_LIMIT: Duration = Duration::from_secs(2 * ROUND_TIMEOUT.as_secs() + 10);
/// Longest the background task sleeps at once. Timers do not run while a machine is suspended:
/// after a resume the task notices within this time (reads see the jump at once).
pub const MAX_SLEEP_SLICE: Duration = Duration::from_secs(15);
/// Longest [`RefreshEngine::replace_rejected`] waits for the round that replaces rejected
/// credentials (a caller whose request was rejected waits for it; others are not held up).
pub const INVALIDATION_WAIT_LIMIT: Duration = Duration::from_secs(10);
/// Longest [`RefreshEngine::credentials_valid_for`] waits for the round that may bring
/// longer-lived credentials (a round in flight, or its own); past it the caller gets the
/// shortfall, and the round goes on in the background.
pub(crate) const VALIDITY_WAIT_LIMIT: Duration = INVALIDATION_WAIT_LIMIT;
/// A sleep that ends this much later than asked is taken as a suspend and resume.
pub(crate) const RESUME_DETECT_SLACK: Duration = Duration::from_secs(5);

/// What a caller gets: the credentials and how fresh they are.
#[derive(Debug, Clone)]
pub struct Served {
    /// The credentials, shared with the cache (a read copies no string).
    pub credentials: Arc<Credentials>,
    /// When they expire on the engine's clock (`None`: long-term keys).
    pub expires_at: Option<MonoTime>,
    /// When the next refresh is scheduled on the engine's clock.
    pub refresh_at: Option<MonoTime>,
    /// True when past expiry and served by static stability.
    pub stale: bool,
    /// The expiry to hand to other processes and SDKs, in local wall-clock time: while valid,
    /// the stated expiry (moved by the clock skew when it exceeds the warning threshold); while
    /// stale, the end of the current static-stability extension, so that the AWS CLI and the
    /// SDKs keep using them through an outage. `None` for long-term keys.
    pub expiration: Option<DateTime<Utc>>,
    /// While stale: when the current extension ends, on the engine's clock.
    pub stale_until: Option<MonoTime>,
    /// For credentials that arrived already expired: how long before their fetch they expired.
    pub expired_before_fetch: Duration,
}

struct CacheSlot {
    entry: Arc<Entry>,
    /// End of the current static-stability extension (nanoseconds on the engine's clock; 0 = none).
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
    /// The last forced-refresh request a finished round served (`u64::MAX` once closed); set
    /// before [`Shared::rounds`] changes, so a waiter looks at it after each change. An atomic
    /// rather than a channel of its own: a channel costs hundreds of bytes per engine, and a
    /// process may hold thousands of engines (one per role session).
    forced_done: AtomicU64,
    last_error: Mutex<Option<Error>>,
    stats: RefreshStats,
    skew_warned: AtomicBool,
    untrusted_date_warned: AtomicBool,
    closed: AtomicBool,
    /// Whether the long-term recheck interval is the source's to say (asked after each round).
    recheck_from_source: bool,
}

/// Locks a mutex, recovering the data if a panic poisoned it (the engine's state stays
/// consistent across a panic: every update is a single assignment).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The engine: keeps one source's credentials, refreshed early in the background, one round at
/// a time, under the failure policy. Cheap to clone.
#[derive(Clone)]
pub struct RefreshEngine {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RefreshEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The engine shows as the name of the source it refreshes from.
        f.debug_tuple("RefreshEngine")
            .field(&self.shared.source.name())
            .finish()
    }
}

fn nanos(t: MonoTime) -> u64 {
    t.as_nanos().min(u64::MAX as u128) as u64
}

/// `wall` plus the time from `now` to `until`, rounded up to a whole second (so that repeated
/// reads hand out the same value).
fn wall_at(wall: DateTime<Utc>, now: MonoTime, until: MonoTime) -> DateTime<Utc> {
    let t = wall + chrono::Duration::from_std(until.saturating_sub(now)).unwrap_or_default();
    let secs = t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

impl RefreshEngine {
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
        mut config: RefreshConfig,
        clock: Arc<dyn Clock>,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let recheck_from_source = config.long_term_recheck.is_none();
        if recheck_from_source {
            config.long_term_recheck = source.long_term_recheck();
        }
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
            forced_done: AtomicU64::new(0),
            last_error: Mutex::new(None),
            stats: RefreshStats::default(),
            skew_warned: AtomicBool::new(false),
            untrusted_date_warned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            recheck_from_source,
        });
        runtime.spawn(drive(shared.clone()));
        RefreshEngine { shared }
    }

    /// The cached credentials, without waiting: `None` only when nothing was ever fetched.
    /// Past expiry, serves them on by static stability (flagged `stale`).
    pub fn cached(&self) -> Option<Served> {
        let slot = self.shared.cache.load_full()?;
        let now = self.shared.clock.now();
        let entry = &slot.entry;
        if entry.is_valid_at(now) {
            return Some(self.served(entry, now, None));
        }
        let mut until = slot.stale_until.load(Ordering::Acquire);
        if nanos(now) >= until {
            let ext = self.shared.stale_extension;
            let extra =
                Duration::from_nanos(rand::thread_rng().gen_range(0..=ext.as_nanos() as u64));
            let new_until = nanos(now + ext + extra);
            match slot.stale_until.compare_exchange(
                until,
                new_until,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    until = new_until;
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
                Err(current) => until = current,
            }
        }
        Some(self.served(entry, now, Some(Duration::from_nanos(until))))
    }

    /// The credentials: at once while any are cached; otherwise waits for the first fetch, at
    /// most the first-fetch timeout, then fails with an error naming the source and what failed.
    pub async fn credentials(&self) -> Result<Served> {
        if let Some(s) = self.cached() {
            return Ok(s);
        }
        self.ensure_open()?;
        // Subscribe before looking again, so that a round finishing in between is not missed.
        let mut rounds = self.shared.rounds.subscribe();
        rounds.borrow_and_update();
        if let Some(s) = self.cached() {
            return Ok(s);
        }
        let clock = self.shared.clock.clone();
        let mut timeout = clock.sleep(self.shared.first_fetch_timeout);
        loop {
            {
                let now = clock.now();
                if let Some(e) = lock(&self.shared.state).cached_error(now) {
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
                    if let Some(e) = lock(&self.shared.last_error).as_ref() {
                        if !e.is_retryable() {
                            return Err(e.snapshot());
                        }
                    }
                }
                _ = &mut timeout => {
                    if let Some(s) = self.cached() {
                        return Ok(s);
                    }
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

    /// Credentials valid for at least `min` from now: the cached ones when they last that long
    /// (at once); otherwise one round that may bring longer-lived ones, shared by every
    /// concurrent asker and held back by the failure policy's waits and
    /// [`MIN_VALIDITY_ROUND_INTERVAL`], awaited at most `VALIDITY_WAIT_LIMIT`. When the source
    /// cannot give that much (its lifetime cap is shorter: [`CredentialSource::lifetime_cap`], or
    /// the credentials it issued just now are; it has not rotated yet; it fails), fails with an
    /// [`ErrorKind::InsufficientValidity`] error whose [`Error::shortfall`] says how long the
    /// best available credentials last and when more may be. Never hands out shorter-lived or
    /// stale credentials. Long-term keys (no expiry) cover any `min`.
    pub async fn credentials_valid_for(&self, min: Duration) -> Result<Served> {
        let served = self.credentials().await?;
        let now = self.shared.clock.now();
        if covers(&served, now, min) {
            return Ok(served);
        }
        if let Some(cap) = self.shared.source.lifetime_cap().filter(|c| c.max <= min) {
            return Err(self.shortfall(min, Some(&served), now, Why::Limit(cap.max, cap.origin)));
        }
        self.ensure_open()?;
        // Subscribe before asking, so that the round finishing in between is not missed.
        let mut rounds = self.shared.rounds.subscribe();
        rounds.borrow_and_update();
        if let Some(s) = self.cached().filter(|s| covers(s, now, min)) {
            return Ok(s);
        }
        let asked_at = now;
        let ask = lock(&self.shared.state).want_validity(min, now);
        tracing::debug!(
            source = self.shared.source.name(),
            min_secs = min.as_secs(),
            ?ask,
            "credentials valid longer than the cached ones were asked for"
        );
        if ask == ValidityAsk::Due {
            self.shared.wake.notify_one();
            // The first round to end after the ask answers it (every pending ask is cleared
            // by it): its answer is the best the source has now.
            let timeout = self.shared.clock.sleep(VALIDITY_WAIT_LIMIT);
            tokio::select! {
                changed = rounds.changed() => {
                    if changed.is_err() {
                        return Err(self.closed_error());
                    }
                }
                _ = timeout => {}
            }
            self.ensure_open()?;
        }
        let now = self.shared.clock.now();
        let current = self.cached();
        if let Some(s) = current.clone().filter(|s| covers(s, now, min)) {
            return Ok(s);
        }
        let why = {
            let st = lock(&self.shared.state);
            // Credentials issued since the ask (by the round it waited for) that still fall
            // short: the source's credentials do not last that long.
            let issued = st
                .entry()
                .filter(|e| e.fetched_at >= asked_at && e.is_valid_at(now))
                .and_then(|e| e.expires_at.map(|x| x.saturating_sub(e.fetched_at)));
            match issued {
                Some(lifetime) if lifetime <= min => Why::Limit(
                    lifetime,
                    format!(
                        "the credentials it issued just now last {}",
                        words(lifetime)
                    ),
                ),
                _ => Why::NotYet(st.next_validity_round(now)),
            }
        };
        Err(self.shortfall(min, current.as_ref(), now, why))
    }

    /// Forces a refresh round that starts after this call (ignoring backoff) and waits for it, at
    /// most [`REFRESH_WAIT_LIMIT`]; returns the credentials then cached, or the round's error.
    pub async fn refresh(&self) -> Result<Served> {
        self.ensure_open()?;
        let mut rounds = self.shared.rounds.subscribe();
        let target = lock(&self.shared.state).force();
        self.shared.wake.notify_one();
        let timeout = self.shared.clock.sleep(REFRESH_WAIT_LIMIT);
        let done = async {
            while self.shared.forced_done.load(Ordering::Acquire) < target {
                if rounds.changed().await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = done => {}
            _ = timeout => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no refresh round of {} finished within {} s",
                        self.shared.source.name(),
                        REFRESH_WAIT_LIMIT.as_secs()
                    ),
                ));
            }
        }
        self.ensure_open()?;
        let last_ok = self.shared.stats.last_round_ok.load(Ordering::Acquire);
        match (last_ok, self.cached()) {
            (true, Some(s)) => Ok(s),
            _ => Err(lock(&self.shared.last_error)
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
    /// ones, a round replaces them as soon as backoff and [`MIN_INVALIDATION_INTERVAL`] allow.
    pub fn invalidate(&self, rejected_access_key_id: &str) -> Invalidation {
        let now = self.shared.clock.now();
        let outcome = lock(&self.shared.state).invalidate(rejected_access_key_id, now);
        if matches!(outcome, Invalidation::Due | Invalidation::Deferred(_)) {
            self.shared
                .stats
                .invalidations
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                source = self.shared.source.name(),
                ?outcome,
                "credentials {rejected_access_key_id} were rejected; replacing them"
            );
            self.shared.wake.notify_one();
        }
        outcome
    }

    /// Reports a rejection ([`Self::invalidate`]) and, when the round that replaces the key is
    /// due now, waits for it (single flight: concurrent callers wait for the same round), at most
    /// [`INVALIDATION_WAIT_LIMIT`]. Returns the credentials cached then: new ones, or still the
    /// rejected ones when the source had nothing newer, the round failed, took too long, or was
    /// deferred (backoff, [`MIN_INVALIDATION_INTERVAL`]); `None` when the rejected key is not
    /// one this engine served ([`Invalidation::Unknown`]). A caller retries its request only
    /// when the key differs from the rejected one.
    pub async fn replace_rejected(&self, rejected_access_key_id: &str) -> Result<Option<Served>> {
        self.ensure_open()?;
        // Subscribe before reporting, so that the round finishing in between is not missed.
        let mut rounds = self.shared.rounds.subscribe();
        rounds.borrow_and_update();
        let outcome = self.invalidate(rejected_access_key_id);
        if outcome == Invalidation::Unknown {
            return Ok(None);
        }
        if outcome == Invalidation::Due {
            let mut timeout = self.shared.clock.sleep(INVALIDATION_WAIT_LIMIT);
            loop {
                tokio::select! {
                    changed = rounds.changed() => {
                        if changed.is_err() {
                            return Err(self.closed_error());
                        }
                    }
                    _ = &mut timeout => break,
                }
                // Done when the rejection was served, or when its round failed and the next
                // one waits for backoff (the caller does not wait for that).
                let now = self.shared.clock.now();
                let st = lock(&self.shared.state);
                if !st.invalidation_pending() || st.due(now).is_none() {
                    break;
                }
            }
        }
        self.ensure_open()?;
        Ok(self.cached())
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
            lock(&self.shared.last_error)
                .as_ref()
                .map(|e| (e.full_message(), e.kind().name())),
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

    /// The cached credentials as they are, without granting a static-stability extension.
    fn cached_peek(&self) -> Option<Served> {
        let slot = self.shared.cache.load_full()?;
        let now = self.shared.clock.now();
        let entry = &slot.entry;
        let until = slot.stale_until.load(Ordering::Acquire);
        let stale_until =
            (!entry.is_valid_at(now) && until > 0).then(|| Duration::from_nanos(until));
        let mut served = self.served(entry, now, stale_until);
        served.stale = !entry.is_valid_at(now);
        Some(served)
    }

    /// What a read hands out for `entry` at `now`: valid (`stale_until` is `None`), or stale
    /// until the end of the current static-stability extension.
    fn served(&self, entry: &Entry, now: MonoTime, stale_until: Option<MonoTime>) -> Served {
        Served {
            credentials: entry.credentials.clone(),
            expires_at: entry.expires_at,
            refresh_at: entry.refresh_at,
            stale: stale_until.is_some(),
            expiration: match stale_until {
                Some(u) => entry
                    .expires_at
                    .map(|_| wall_at(self.shared.clock.wall(), now, u)),
                None => entry.local_expiration,
            },
            stale_until,
            // Zero for credentials that arrived valid.
            expired_before_fetch: entry.expired_before_fetch,
        }
    }

    /// The [`ErrorKind::InsufficientValidity`] error for an ask of `min` at `now`, with the best
    /// credentials available (`best`) and why there are none better.
    fn shortfall(&self, min: Duration, best: Option<&Served>, now: MonoTime, why: Why) -> Error {
        let source = self.shared.source.name();
        let wall = self.shared.clock.wall();
        let valid = best.filter(|s| !s.stale);
        let available = valid
            .and_then(|s| s.expires_at)
            .map_or(Duration::ZERO, |e| e.saturating_sub(now));
        let expiration = valid.and_then(|s| s.expiration);
        let have = match expiration {
            Some(exp) => format!(
                "the longest validity available is {} (until {})",
                words(available),
                exp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => "no valid credentials are available".to_string(),
        };
        let (more_at, source_limit, message) = match why {
            Why::Limit(max, origin) => (
                None,
                Some(max),
                format!(
                    "{source} cannot give credentials valid for {}: they last at most {} ({origin}); {have}",
                    words(min),
                    words(max)
                ),
            ),
            Why::NotYet(at) => {
                let at_wall = wall_at(wall, now, at);
                let failing = self
                    .last_error_message()
                    .map(|e| format!(" (the last refresh failed: {e})"))
                    .unwrap_or_default();
                (
                    Some(at_wall),
                    None,
                    format!(
                        "{source} has no credentials valid for {} yet: {have}; it is asked again at {} at the earliest{failing}",
                        words(min),
                        at_wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                )
            }
        };
        Error::insufficient_validity(
            message,
            Shortfall {
                requested: min,
                available,
                expiration,
                more_at,
                source_limit,
            },
        )
    }

    fn last_error_message(&self) -> Option<String> {
        lock(&self.shared.last_error)
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

/// Why a minimum validity cannot be had now.
enum Why {
    /// The source's credentials last at most this long (and where that comes from).
    Limit(Duration, String),
    /// Not yet: the source is asked again at this time at the earliest.
    NotYet(MonoTime),
}

/// Whether `served` is valid for at least `min` from `now` (long-term keys always are).
fn covers(served: &Served, now: MonoTime, min: Duration) -> bool {
    !served.stale && served.expires_at.is_none_or(|e| e >= now + min)
}

/// A duration in words, to the second: `15 minutes`, `1 hour 30 minutes`,
/// `14 minutes 59 seconds`, `0 seconds`.
pub fn words(d: Duration) -> String {
    let secs = d.as_secs();
    let parts: Vec<String> = [
        (secs / 3600, "hour"),
        (secs / 60 % 60, "minute"),
        (secs % 60, "second"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, unit)| format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
    .collect();
    if parts.is_empty() {
        "0 seconds".to_string()
    } else {
        parts.join(" ")
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
            let st = lock(&shared.state);
            (st.due(now), st.next_check(now))
        };
        if let Some(reason) = due {
            run_round(&shared, reason).await;
            continue;
        }
        let notified = shared.wake.notified();
        let until = next.map_or(now + MAX_SLEEP_SLICE, |t| t.min(now + MAX_SLEEP_SLICE));
        let by_timer = tokio::select! {
            _ = shared.clock.sleep_until(until) => true,
            _ = notified => false,
        };
        if by_timer {
            let late = shared.clock.now().saturating_sub(until);
            if late > RESUME_DETECT_SLACK {
                shared.stats.resumes.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    source = shared.source.name(),
                    suspended_secs = late.as_secs(),
                    "{INFO_RESUMED}: about {} s passed while timers were stopped; checking the credentials now",
                    late.as_secs()
                );
            }
        }
    }
    // Wake anyone waiting on a round.
    shared.forced_done.store(u64::MAX, Ordering::Release);
    shared.rounds.send_modify(|r| *r += 1);
}

/// Runs one fetch on its own task, bounded by [`ROUND_TIMEOUT`]; a panic becomes an error.
async fn fetch_guarded(shared: &Shared) -> Result<Fetched> {
    let source = shared.source.clone();
    let task = tokio::spawn(async move { source.fetch().await });
    let abort = task.abort_handle();
    tokio::select! {
        joined = task => match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => {
                shared.stats.panics.fetch_add(1, Ordering::Relaxed);
                let payload = e.into_panic();
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                let what: String = what.chars().take(200).collect();
                tracing::error!(source = shared.source.name(), "{ERROR_SOURCE_PANICKED}: {what}");
                Err(Error::new(
                    ErrorKind::Internal,
                    format!("{} panicked while fetching credentials: {what}", shared.source.name()),
                ))
            }
            Err(_) => Err(Error::new(
                ErrorKind::Internal,
                format!("the fetch from {} was cancelled", shared.source.name()),
            )),
        },
        _ = shared.clock.sleep(ROUND_TIMEOUT) => {
            abort.abort();
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} gave no answer within {} s; abandoned the attempt",
                    shared.source.name(),
                    ROUND_TIMEOUT.as_secs()
                ),
            ))
        }
    }
}

async fn run_round(shared: &Shared, reason: RefreshReason) {
    let serves_force = lock(&shared.state).start_round();
    tracing::debug!(
        source = shared.source.name(),
        ?reason,
        "refreshing credentials"
    );
    shared.stats.rounds.fetch_add(1, Ordering::Relaxed);
    let result = fetch_guarded(shared).await;
    let now = shared.clock.now();
    let wall = shared.clock.wall();
    let ok = match result {
        Ok(fetched) => on_fetched(shared, now, wall, fetched),
        Err(error) => {
            on_failed(shared, now, error);
            false
        }
    };
    if shared.recheck_from_source {
        let every = shared.source.long_term_recheck();
        lock(&shared.state).set_long_term_recheck(every);
    }
    shared.stats.last_round_ok.store(ok, Ordering::Release);
    shared.forced_done.fetch_max(serves_force, Ordering::AcqRel);
    shared.rounds.send_modify(|r| *r += 1);
}

fn store(shared: &Shared, entry: Arc<Entry>) {
    shared.cache.store(Some(Arc::new(CacheSlot {
        entry,
        stale_until: AtomicU64::new(0),
    })));
}

/// A round that got an answer: what it meant, and what that changes. True when the source is
/// healthy (new or unchanged credentials).
fn on_fetched(shared: &Shared, now: MonoTime, wall: DateTime<Utc>, fetched: Fetched) -> bool {
    let source = shared.source.name();
    if let Some(date) = fetched.server_date {
        note_skew(shared, source, wall, date);
    }
    let outcome = lock(&shared.state).on_fetched(now, wall, fetched);
    match outcome {
        Outcome::Accepted(entry) => {
            if entry.server_date_ignored {
                shared.stats.untrusted_dates.fetch_add(1, Ordering::Relaxed);
                if !shared.untrusted_date_warned.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        source,
                        "{WARN_IMPLAUSIBLE_DATE}: the source answered with one more than {} min from the local clock; the expiry is anchored on the local clock instead",
                        MAX_PLAUSIBLE_DATE_OFFSET.as_secs() / 60
                    );
                }
            }
            tracing::info!(source, "refreshed credentials: {}", entry.credentials);
            store(shared, entry);
            shared.stats.refreshes.fetch_add(1, Ordering::Relaxed);
            *lock(&shared.last_error) = None;
            true
        }
        Outcome::Stale(kept) => {
            shared.stats.failures.fetch_add(1, Ordering::Relaxed);
            shared.stats.stale_responses.fetch_add(1, Ordering::Relaxed);
            let msg = format!("{source} answered with credentials that are already expired");
            tracing::warn!(source, "{WARN_REFRESH_FAILED}: {msg}");
            *lock(&shared.last_error) = Some(Error::new(ErrorKind::Expired, msg));
            if let Some(entry) = kept {
                store(shared, entry);
            }
            false
        }
        Outcome::Unchanged => {
            shared.stats.unrotated_polls.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                source,
                "source still serves the current credentials; polling again later"
            );
            true
        }
    }
}

/// A round that failed: the failure policy schedules the next one; the cached credentials stay.
fn on_failed(shared: &Shared, now: MonoTime, error: Error) {
    // The last error and the counter first: a caller waiting for the first fetch returns as soon
    // as the state remembers a non-retryable error, and the status it reads then must say why.
    let for_state = error.snapshot();
    shared.stats.failures.fetch_add(1, Ordering::Relaxed);
    let serving = match shared.cache.load_full() {
        Some(slot) if slot.entry.is_valid_at(now) => {
            "still serving the cached credentials until they expire"
        }
        Some(_) => "serving the expired credentials meanwhile",
        None => "no credentials to serve yet",
    };
    tracing::warn!(
        source = shared.source.name(),
        kind = error.kind().name(),
        "{WARN_REFRESH_FAILED}: {}; {serving}",
        error.full_message()
    );
    *lock(&shared.last_error) = Some(error);
    lock(&shared.state).on_failed(now, &for_state);
}

fn note_skew(
    shared: &Shared,
    source: &str,
    wall: chrono::DateTime<chrono::Utc>,
    server: chrono::DateTime<chrono::Utc>,
) {
    if !is_plausible_date(server, wall) {
        return; // not a skew but a broken Date header: reported by WARN_IMPLAUSIBLE_DATE
    }
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
