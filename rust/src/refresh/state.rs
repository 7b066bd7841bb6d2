//! The refresh state machine, free of I/O and of real time: it decides when a refresh is due, what
//! a fetched result means (new, stale, not rotated yet), how long to back off after a failure, and
//! how long to remember a configuration error. The async driver in [`super`] feeds it results and
//! the time; the cross-SDK refresh test vectors drive it directly.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::clock::MonoTime;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::sources::Fetched;

/// The AWS guidance: refresh temporary credentials at least 5 minutes before they expire. Also the
/// advisory window of the cross-SDK refresh specification for lifetimes up to 20 minutes.
pub const ADVISORY_WINDOW_SHORT: Duration = Duration::from_secs(5 * 60);
/// Advisory window for lifetimes over 20 and under 90 minutes (cross-SDK refresh specification).
pub const ADVISORY_WINDOW_MEDIUM: Duration = Duration::from_secs(15 * 60);
/// Advisory window for lifetimes of 90 minutes and more (cross-SDK refresh specification).
pub const ADVISORY_WINDOW_LONG: Duration = Duration::from_secs(60 * 60);
/// Lifetimes up to this get [`ADVISORY_WINDOW_SHORT`].
pub const SHORT_LIFETIME_MAX: Duration = Duration::from_secs(20 * 60);
/// Lifetimes under this (and over [`SHORT_LIFETIME_MAX`]) get [`ADVISORY_WINDOW_MEDIUM`].
pub const MEDIUM_LIFETIME_LIMIT: Duration = Duration::from_secs(90 * 60);
/// The last stretch before expiry: a source still answering with the credentials it already gave
/// out is no longer polled for newer ones once the old ones are this close to expiring.
pub const MANDATORY_WINDOW: Duration = Duration::from_secs(60);
/// Longest wait between polls of a source that still answers with the credentials already
/// cached (IMDS publishes new credentials only minutes before the old ones expire).
pub const UNROTATED_POLL_CAP: Duration = Duration::from_secs(60);
/// How long a non-recoverable error (bad configuration, refused, 4xx) is remembered before the
/// source is asked again (cross-SDK refresh specification: at most 5 seconds).
pub const ERROR_CACHE_TTL: Duration = Duration::from_secs(5);
/// Default first backoff after a failed refresh round.
pub const DEFAULT_REFRESH_BACKOFF_BASE: Duration = Duration::from_secs(5);
/// Default longest backoff between failed refresh rounds: bounds the request rate on a source
/// that is down (IMDS during an outage) to one round per this period at the slowest.
pub const DEFAULT_REFRESH_BACKOFF_CAP: Duration = Duration::from_secs(5 * 60);
/// Default random extra lead, so that a fleet started together does not refresh in the same second.
pub const DEFAULT_JITTER: Duration = Duration::from_secs(60);
/// Default length of one static-stability extension: AWS SDK for Java v2 serves expired IMDS
/// credentials for another 5 to 10 minutes while IMDS cannot replace them.
pub const DEFAULT_STALE_EXTENSION: Duration = Duration::from_secs(5 * 60);
/// Local time further than this from a server's `Date` is reported as clock skew.
pub const DEFAULT_SKEW_WARN_THRESHOLD: Duration = Duration::from_secs(60);

/// How the refresh engine behaves. Every field has a default that needs no configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshConfig {
    /// A fixed advisory window (refresh lead). `None` picks it from the credential lifetime
    /// (5 / 15 / 60 minutes). Either way it is capped at half the lifetime.
    pub lead: Option<Duration>,
    /// Random extra lead in `[0, jitter]`, capped at half the advisory window.
    pub jitter: Duration,
    /// First backoff after a failed round; doubles with each failure.
    pub backoff_base: Duration,
    /// Longest backoff between failed rounds.
    pub backoff_cap: Duration,
    /// A fixed backoff instead of the exponential one (the refresh test vectors use this).
    pub fixed_backoff: Option<Duration>,
    /// How long one static-stability extension lasts (plus up to the same again at random).
    pub stale_extension: Duration,
    /// How long a first caller waits for credentials before getting an error.
    pub first_fetch_timeout: Duration,
    /// Skew between local time and a server's `Date` beyond which a warning is logged.
    pub skew_warn_threshold: Duration,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            lead: None,
            jitter: DEFAULT_JITTER,
            backoff_base: DEFAULT_REFRESH_BACKOFF_BASE,
            backoff_cap: DEFAULT_REFRESH_BACKOFF_CAP,
            fixed_backoff: None,
            stale_extension: DEFAULT_STALE_EXTENSION,
            first_fetch_timeout: Duration::from_secs(10),
            skew_warn_threshold: DEFAULT_SKEW_WARN_THRESHOLD,
        }
    }
}

/// The advisory window of the cross-SDK refresh specification for a credential lifetime.
pub fn advisory_window_for(lifetime: Duration) -> Duration {
    if lifetime <= SHORT_LIFETIME_MAX {
        ADVISORY_WINDOW_SHORT
    } else if lifetime < MEDIUM_LIFETIME_LIMIT {
        ADVISORY_WINDOW_MEDIUM
    } else {
        ADVISORY_WINDOW_LONG
    }
}

/// Cached credentials with their expiry anchored on the monotonic clock.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The credentials.
    pub credentials: Arc<Credentials>,
    /// When they were fetched.
    pub fetched_at: MonoTime,
    /// When they expire: `fetched_at + (Expiration - server Date)`; `None` for long-term keys.
    pub expires_at: Option<MonoTime>,
    /// The advisory window chosen for them (before the half-lifetime cap and jitter).
    pub advisory_window: Duration,
    /// When the next refresh is due: `expires_at - lead - jitter`.
    pub refresh_at: Option<MonoTime>,
}

impl Entry {
    /// The last stretch before expiry for these credentials: [`MANDATORY_WINDOW`], but never
    /// more than a quarter of their lifetime (so that one-minute sessions are not born inside it).
    pub fn mandatory_window(&self) -> Duration {
        match self.expires_at {
            Some(e) => MANDATORY_WINDOW.min(e.saturating_sub(self.fetched_at) / 4),
            None => Duration::ZERO,
        }
    }

    /// Whether the credentials are unexpired at `now`.
    pub fn is_valid_at(&self, now: MonoTime) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }
}

/// Why a refresh is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshReason {
    /// Nothing is cached yet.
    Initial,
    /// Inside the advisory window.
    Advisory,
    /// Inside the last [`Entry::mandatory_window`] before expiry.
    Mandatory,
    /// Past expiry.
    Expired,
    /// A caller reported the credentials as rejected, or asked for a refresh.
    Invalidated,
}

/// What a fetched result meant.
#[derive(Debug)]
pub enum Outcome {
    /// New credentials, now cached.
    Accepted(Arc<Entry>),
    /// The source answered with credentials that are already expired; kept only when nothing
    /// valid is cached (static stability), else ignored. Counts as a failed round.
    Stale(Option<Arc<Entry>>),
    /// The source answered with the credentials already cached (not rotated yet): polled again
    /// after a backoff, unless the old ones are in their last minute.
    Unchanged,
    /// The fetch failed.
    Failed,
}

/// The refresh state machine.
#[derive(Debug)]
pub struct RefreshState {
    config: RefreshConfig,
    entry: Option<Arc<Entry>>,
    consecutive_failures: u32,
    backoff_until: Option<MonoTime>,
    cached_error: Option<(Error, MonoTime)>,
    invalidated: bool,
    forced: bool,
}

impl RefreshState {
    /// A state with nothing cached.
    pub fn new(config: RefreshConfig) -> Self {
        RefreshState {
            config,
            entry: None,
            consecutive_failures: 0,
            backoff_until: None,
            cached_error: None,
            invalidated: false,
            forced: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RefreshConfig {
        &self.config
    }

    /// The cached entry.
    pub fn entry(&self) -> Option<&Arc<Entry>> {
        self.entry.as_ref()
    }

    /// Failed rounds since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The non-recoverable error still remembered at `now`, if any.
    pub fn cached_error(&self, now: MonoTime) -> Option<&Error> {
        self.cached_error
            .as_ref()
            .filter(|(_, until)| now < *until)
            .map(|(e, _)| e)
    }

    /// Whether a refresh would be due at `now` but a backoff (or a remembered error) holds it back.
    /// Only a refresh backoff counts here, not a remembered error.
    pub fn is_rate_limited(&self, now: MonoTime) -> bool {
        self.reason_ignoring_limits(now).is_some()
            && self.backoff_until.is_some_and(|t| now < t)
            && !self.forced
    }

    fn limit_until(&self, now: MonoTime) -> Option<MonoTime> {
        let backoff = self.backoff_until.filter(|t| now < *t);
        let error = self
            .cached_error
            .as_ref()
            .map(|(_, t)| *t)
            .filter(|t| now < *t);
        match (backoff, error) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    fn reason_ignoring_limits(&self, now: MonoTime) -> Option<RefreshReason> {
        if self.forced || self.invalidated {
            return Some(RefreshReason::Invalidated);
        }
        let Some(entry) = &self.entry else {
            return Some(RefreshReason::Initial);
        };
        let expires_at = entry.expires_at?;
        if now >= expires_at {
            Some(RefreshReason::Expired)
        } else if now + entry.mandatory_window() >= expires_at {
            Some(RefreshReason::Mandatory)
        } else if entry.refresh_at.is_some_and(|r| now >= r) {
            Some(RefreshReason::Advisory)
        } else {
            None
        }
    }

    /// Whether the source should be asked now, and why. A forced refresh ignores backoff; every
    /// other reason waits for the backoff and the error cache to pass.
    pub fn due(&self, now: MonoTime) -> Option<RefreshReason> {
        let reason = self.reason_ignoring_limits(now)?;
        if self.forced || self.limit_until(now).is_none() {
            Some(reason)
        } else {
            None
        }
    }

    /// When to look again if nothing wakes the driver earlier: the scheduled refresh, the end of
    /// a backoff, or now when something is due. `None` when nothing will ever be due (long-term keys).
    pub fn next_check(&self, now: MonoTime) -> Option<MonoTime> {
        if self.due(now).is_some() {
            return Some(now);
        }
        if let Some(limit) = self.limit_until(now) {
            return Some(limit);
        }
        let entry = self.entry.as_ref()?;
        let expires_at = entry.expires_at?;
        let mandatory = expires_at.saturating_sub(entry.mandatory_window());
        Some(
            entry
                .refresh_at
                .map_or(mandatory, |r| r.min(mandatory))
                .max(now),
        )
    }

    /// Asks for a refresh that ignores backoff (an explicit refresh request).
    pub fn force(&mut self) {
        self.forced = true;
    }

    /// A caller reports that AWS rejected credentials with this access key id: when they are the
    /// cached ones, the next check refreshes (after any backoff); otherwise nothing changes.
    pub fn invalidate(&mut self, rejected_access_key_id: &str) {
        if self
            .entry
            .as_ref()
            .is_some_and(|e| e.credentials.access_key_id() == rejected_access_key_id)
        {
            self.invalidated = true;
        }
    }

    /// Builds the entry for freshly fetched credentials, anchoring the expiry on the monotonic
    /// clock with the server's `Date` (or local wall time when there is none).
    pub fn entry_for(&self, now: MonoTime, wall_now: DateTime<Utc>, fetched: &Fetched) -> Entry {
        let reference = fetched.server_date.unwrap_or(wall_now);
        let remaining = fetched
            .credentials
            .expiration()
            .map(|exp| (exp - reference).to_std().unwrap_or(Duration::ZERO));
        let (expires_at, advisory_window, refresh_at) = match remaining {
            None => (None, Duration::ZERO, None),
            Some(lifetime) => {
                let window = self
                    .config
                    .lead
                    .unwrap_or_else(|| advisory_window_for(lifetime));
                let lead = window.min(lifetime / 2);
                let max_jitter = self.config.jitter.min(lead / 2);
                let jitter = if max_jitter.is_zero() {
                    Duration::ZERO
                } else {
                    Duration::from_nanos(
                        rand::thread_rng().gen_range(0..=max_jitter.as_nanos() as u64),
                    )
                };
                let expires_at = now + lifetime;
                (
                    Some(expires_at),
                    window,
                    Some(expires_at.saturating_sub(lead + jitter)),
                )
            }
        };
        Entry {
            credentials: Arc::new(fetched.credentials.clone()),
            fetched_at: now,
            expires_at,
            advisory_window,
            refresh_at,
        }
    }

    /// Records the result of a fetch made at `now` and says what it meant.
    pub fn on_fetched(
        &mut self,
        now: MonoTime,
        wall_now: DateTime<Utc>,
        fetched: Fetched,
    ) -> Outcome {
        let entry = self.entry_for(now, wall_now, &fetched);
        self.forced = false;
        if !entry.is_valid_at(now) {
            // Already expired on arrival: a failed round. Keep it only when nothing valid is cached.
            self.after_failure(now, true);
            if self.entry.as_ref().is_some_and(|e| e.is_valid_at(now)) {
                return Outcome::Stale(None);
            }
            let entry = Arc::new(entry);
            self.entry = Some(entry.clone());
            self.invalidated = false;
            return Outcome::Stale(Some(entry));
        }
        if let Some(current) = &self.entry {
            if current.credentials.same_material(&fetched.credentials) && !self.invalidated {
                let old_expires = current.expires_at;
                if old_expires.is_some_and(|e| now + current.mandatory_window() < e) {
                    self.after_failure(now, true);
                    return Outcome::Unchanged;
                }
                // Last minute and still the same: nothing newer to wait for; static stability
                // takes over at expiry.
                self.backoff_until = old_expires;
                return Outcome::Unchanged;
            }
        }
        let entry = Arc::new(entry);
        self.entry = Some(entry.clone());
        self.consecutive_failures = 0;
        self.backoff_until = None;
        self.cached_error = None;
        self.invalidated = false;
        Outcome::Accepted(entry)
    }

    /// Records a failed fetch made at `now`. Retryable failures back off exponentially;
    /// non-recoverable ones are remembered for [`ERROR_CACHE_TTL`] without backoff.
    pub fn on_failed(&mut self, now: MonoTime, error: &Error) -> Outcome {
        self.forced = false;
        if error.is_retryable() {
            self.after_failure(now, false);
        } else {
            self.cached_error = Some((error.snapshot(), now + ERROR_CACHE_TTL));
        }
        Outcome::Failed
    }

    fn after_failure(&mut self, now: MonoTime, soft: bool) {
        self.consecutive_failures += 1;
        // A process's very first attempt, with nothing cached, may try again on the next demand.
        if self.entry.is_none() && self.consecutive_failures == 1 && !soft {
            self.backoff_until = None;
            return;
        }
        let delay = match self.config.fixed_backoff {
            Some(fixed) => fixed,
            None => {
                // "Equal jitter": uniform in [ceiling/2, ceiling], so an outage never sees a
                // faster round rate than one per ceiling/2.
                let exp = self.consecutive_failures.saturating_sub(1).min(30);
                let mut ceiling = self
                    .config
                    .backoff_base
                    .saturating_mul(1 << exp)
                    .min(self.config.backoff_cap);
                if soft {
                    // Waiting for a rotation, not riding out an outage: poll at least once a minute.
                    ceiling = ceiling.min(UNROTATED_POLL_CAP);
                }
                let half = ceiling / 2;
                half + Duration::from_nanos(
                    rand::thread_rng().gen_range(0..=half.as_nanos() as u64),
                )
            }
        };
        self.backoff_until = Some(now + delay);
    }
}
