//! The refresh state machine, free of I/O and of real time: it decides when a refresh is due, what
//! a fetched result means (new, expired on arrival, not rotated yet), and when the source may be
//! asked again after each kind of result. The async driver in [`super`] feeds it results and the
//! time; the cross-SDK refresh test vectors and the property tests drive it directly.
//!
//! # The failure policy
//!
//! One table decides the wait before the next round after every result ([`RefreshState::on_fetched`]
//! and [`RefreshState::on_failed`] feed it; `schedule` is the only function that computes waits):
//!
//! | round result | counter (others) | ceiling of the wait before the next round |
//! |---|---|---|
//! | new credentials | all reset | none: the next round is the scheduled refresh (`refresh_at`) |
//! | unchanged (not rotated yet) | `unchanged_polls` + 1 | `backoff_base · 2^(n−1)`, at most [`UNROTATED_POLL_CAP`] |
//! | retryable failure, or an answer already expired | `retryable_failures` + 1 | `backoff_base · 2^(n−1)`, at most `backoff_cap` |
//! | non-retryable failure (bad configuration, a refusal, 4xx, an untrusted TLS certificate: [`Error::is_retryable`]) | `refused_failures` + 1 | [`ERROR_CACHE_TTL`]` · 2^(n−1)`, at most [`REFUSED_BACKOFF_CAP`]; the first is exactly [`ERROR_CACHE_TTL`] |
//!
//! Then, in order (exponential waits only; a configured `fixed_backoff` is used as given):
//! 1. **equal jitter**: the wait is uniform in `[ceiling / 2, ceiling]`, so no failure mode ever
//!    runs faster than one round per `ceiling / 2` (the first non-retryable retry excepted: it is
//!    exactly [`ERROR_CACHE_TTL`], as the cross-SDK specification expects);
//! 2. **clamped to the expiry**: while the cached credentials are valid and outside their
//!    mandatory window, no wait ends after the window starts; inside it, no wait is longer than a
//!    quarter of the window ([`MANDATORY_POLLS`] polls fit in it); once they have expired (or when
//!    nothing is cached), the ceiling is at most [`STALE_RETRY_CAP`];
//! 3. **a floor** of [`MIN_RETRY_DELAY`], except the very first retry of a process that has
//!    nothing cached (the specification lets it try again at once).
//!
//! Each row has its own counter, and only new credentials reset them: unchanged polls no longer
//! inflate the backoff of a real failure, and a source that flaps between kinds of answer cannot
//! run faster than its slowest-growing row.
//!
//! A round asked for by a caller who needs credentials valid longer than the cached ones
//! ([`RefreshState::want_validity`]) is no exception: it waits for the same wait, and starts
//! at the earliest [`MIN_VALIDITY_ROUND_INTERVAL`] after the end of the previous round of any
//! kind (whose answer was the best the source had then), so that however often callers ask,
//! they add at most [`MAX_VALIDITY_ROUNDS_PER_HOUR`] rounds an hour. Its result goes through
//! the table like any other.
//!
//! A forced refresh ([`RefreshState::force`]) ignores the wait. A non-retryable error is also
//! remembered for [`ERROR_CACHE_TTL`] so that callers with nothing cached get it at once: that
//! cache protects callers; the table above protects the source.
//!
//! The resulting bounds on rounds per hour are constants below ([`MAX_ROUNDS_PER_HOUR`] and
//! friends) and are asserted by the property tests.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::clock::MonoTime;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::sources::server_clock::is_plausible_date;
use crate::sources::Fetched;

/// The AWS guidance: refresh temporary credentials at least 5 minutes before they expire. Also the
/// advisory window of the cross-SDK refresh specification for lifetimes up to 20 minutes.
pub(crate) const ADVISORY_WINDOW_SHORT: Duration = Duration::from_secs(5 * 60);
/// Advisory window for lifetimes over 20 and under 90 minutes (cross-SDK refresh specification).
pub(crate) const ADVISORY_WINDOW_MEDIUM: Duration = Duration::from_secs(15 * 60);
/// Advisory window for lifetimes of 90 minutes and more (cross-SDK refresh specification).
pub(crate) const ADVISORY_WINDOW_LONG: Duration = Duration::from_secs(60 * 60);
/// Lifetimes up to this get [`ADVISORY_WINDOW_SHORT`].
pub(crate) const SHORT_LIFETIME_MAX: Duration = Duration::from_secs(20 * 60);
/// Lifetimes under this (and over [`SHORT_LIFETIME_MAX`]) get [`ADVISORY_WINDOW_MEDIUM`].
pub(crate) const MEDIUM_LIFETIME_LIMIT: Duration = Duration::from_secs(90 * 60);
/// The last stretch before expiry (at most; a quarter of the lifetime for short ones): waits are
/// short in it so that a source that recovers, or rotates late, is asked before the expiry.
pub(crate) const MANDATORY_WINDOW: Duration = Duration::from_secs(60);
/// Inside the mandatory window no wait is longer than the window divided by this.
pub const MANDATORY_POLLS: u32 = 4;
/// Longest wait between polls of a source that still answers with the credentials already
/// cached (IMDS publishes new credentials only minutes before the old ones expire).
pub const UNROTATED_POLL_CAP: Duration = Duration::from_secs(60);
/// How long a non-recoverable error (bad configuration, refused, 4xx) is remembered for callers,
/// and the first wait after one (cross-SDK refresh specification: at most 5 seconds).
pub const ERROR_CACHE_TTL: Duration = Duration::from_secs(5);
/// Longest wait between rounds that keep failing with a non-retryable error (an `AccessDenied`
/// after a trust-policy change does not heal by itself; a fleet must not hammer STS for it).
pub const REFUSED_BACKOFF_CAP: Duration = Duration::from_secs(15 * 60);
/// Once the cached credentials have expired (or when there are none), the ceiling of every wait:
/// retries run at a small, bounded cadence so that a recovered source is seen within a minute.
pub const STALE_RETRY_CAP: Duration = Duration::from_secs(60);
/// The shortest wait after any round (but the first retry of a process with nothing cached).
pub const MIN_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Default first backoff after a failed refresh round.
pub const DEFAULT_REFRESH_BACKOFF_BASE: Duration = Duration::from_secs(5);
/// The shortest time between the ends of two rounds started by invalidations (callers reporting
/// rejected credentials): however many threads report a rejection, and however often AWS
/// rejects each new key, the source sees at most one invalidation round per this period (one
/// backoff period: [`DEFAULT_REFRESH_BACKOFF_BASE`]).
pub const MIN_INVALIDATION_INTERVAL: Duration = DEFAULT_REFRESH_BACKOFF_BASE;
/// The shortest time between the end of any round and a round started because a caller asked
/// for credentials valid longer than the cached ones ([`RefreshState::want_validity`]): the
/// source answered then with the best it had, and asking again sooner gives no more (an IMDS
/// that has not rotated yet answers with the same credentials; an STS session is capped at
/// its duration). The cadence at which the engine polls an unrotated source
/// ([`UNROTATED_POLL_CAP`]).
pub const MIN_VALIDITY_ROUND_INTERVAL: Duration = UNROTATED_POLL_CAP;
/// The most rounds that callers asking for a minimum validity can start in any hour, however
/// many ask and however often, while the source answers (the failure policy's waits hold them
/// back further while it fails): one per [`MIN_VALIDITY_ROUND_INTERVAL`]. Asserted by
/// `tests/refresh_min_validity.rs`.
pub const MAX_VALIDITY_ROUNDS_PER_HOUR: u32 =
    3600 / MIN_VALIDITY_ROUND_INTERVAL.as_secs() as u32 + 1;
/// Default longest backoff between failed refresh rounds: bounds the request rate on a source
/// that is down (IMDS during an outage) while valid credentials are cached.
pub const DEFAULT_REFRESH_BACKOFF_CAP: Duration = Duration::from_secs(5 * 60);
/// Default random extra lead, so that a fleet started together does not refresh in the same second.
pub(crate) const DEFAULT_JITTER: Duration = Duration::from_secs(60);
/// Default length of one static-stability extension: AWS SDK for Java v2 serves expired IMDS
/// credentials for another 5 to 10 minutes while IMDS cannot replace them.
pub(crate) const DEFAULT_STALE_EXTENSION: Duration = Duration::from_secs(5 * 60);
/// Local time further than this from a server's `Date` is reported as clock skew, and the
/// expiry handed to other processes is corrected by the skew.
pub(crate) const DEFAULT_SKEW_WARN_THRESHOLD: Duration = Duration::from_secs(60);

/// With the default configuration, the most refresh rounds in any hour in which no new
/// credentials arrive, whatever the source does (fails in any way, answers expired or unrotated
/// credentials, panics, hangs): one per `STALE_RETRY_CAP / 2`, plus the ramp-up of each row's
/// backoff and the polls of the mandatory window. Asserted by the property tests.
pub const MAX_ROUNDS_PER_HOUR: u32 = 3600 / (STALE_RETRY_CAP.as_secs() as u32 / 2) + 20;
/// With the default configuration, the most rounds in any hour while a source keeps failing
/// with a non-retryable error and valid credentials are cached (long-lived credentials, outside
/// their mandatory window): the backoff doubles from [`ERROR_CACHE_TTL`] to
/// [`REFUSED_BACKOFF_CAP`].
pub const MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID: u32 = 18;
/// With the default configuration, the most rounds in any hour while a retryable failure lasts
/// and valid credentials are cached (outside their mandatory window).
pub const MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID: u32 =
    3600 / (DEFAULT_REFRESH_BACKOFF_CAP.as_secs() as u32 / 2) + 8;

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
    /// How often credentials without an expiry are fetched again (a file may have been
    /// rewritten); `None` never. The engine takes it from the source.
    pub long_term_recheck: Option<Duration>,
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
            long_term_recheck: None,
        }
    }
}

/// The advisory window of the cross-SDK refresh specification for a credential lifetime.
pub(crate) fn advisory_window_for(lifetime: Duration) -> Duration {
    if lifetime <= SHORT_LIFETIME_MAX {
        ADVISORY_WINDOW_SHORT
    } else if lifetime < MEDIUM_LIFETIME_LIMIT {
        ADVISORY_WINDOW_MEDIUM
    } else {
        ADVISORY_WINDOW_LONG
    }
}

/// Cached credentials with their expiry anchored on the engine's clock.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The credentials.
    pub credentials: Arc<Credentials>,
    /// When they were fetched.
    pub fetched_at: MonoTime,
    /// When they expire: `fetched_at + (Expiration - server Date)`; `None` for long-term keys.
    /// Credentials that arrived already expired have `fetched_at` here (see
    /// [`Entry::expired_before_fetch`]).
    pub expires_at: Option<MonoTime>,
    /// For credentials that arrived already expired: how long before the fetch they expired.
    pub expired_before_fetch: Duration,
    /// The expiry in local wall-clock terms, as handed to other processes: the stated
    /// `Expiration`, moved by the measured clock skew when it exceeds the warning threshold.
    pub local_expiration: Option<DateTime<Utc>>,
    /// True when the server's `Date` was too far from local time to be trusted
    /// ([`MAX_PLAUSIBLE_DATE_OFFSET`](crate::sources::server_clock::MAX_PLAUSIBLE_DATE_OFFSET)) and local time anchored the expiry instead.
    pub server_date_ignored: bool,
    /// The advisory window chosen for them (before the half-lifetime cap and jitter).
    pub advisory_window: Duration,
    /// When the next refresh is due: `expires_at - lead - jitter`.
    pub refresh_at: Option<MonoTime>,
}

impl Entry {
    /// The last stretch before expiry for these credentials: `MANDATORY_WINDOW`, but never
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
    /// A caller reported the credentials as rejected.
    Invalidated,
    /// A caller asked for a refresh now.
    Forced,
    /// Long-term credentials are fetched again now and then (their file may have changed).
    Recheck,
    /// A caller asked for credentials valid longer than the cached ones.
    Validity,
}

/// What a caller's ask for a minimum validity changed ([`RefreshState::want_validity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityAsk {
    /// A round that may bring longer-lived credentials is due now (or one is in flight).
    Due,
    /// Such a round will start then: after the failure policy's wait, or
    /// [`MIN_VALIDITY_ROUND_INTERVAL`] after the previous round.
    Deferred(MonoTime),
}

/// How many replaced access key ids the engine remembers, to tell a rejection of a key it served
/// earlier (then the caller may retry with the newer one) from another provider's key.
pub(crate) const REMEMBERED_REPLACED_KEYS: usize = 8;

/// What a reported rejection changed ([`RefreshState::invalidate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// The rejected key is not one this engine served (another provider's): nothing changes.
    Unknown,
    /// The rejected key was served by this engine but is replaced already (a concurrent report
    /// or a refresh came first): nothing changes, as the cross-SDK
    /// `invalidate-stale-akid-is-ignored` case says; the cached credentials are newer.
    AlreadyReplaced,
    /// A round that replaces the rejected key is due now.
    Due,
    /// A round that replaces the rejected key will start then: after the failure policy's wait,
    /// or [`MIN_INVALIDATION_INTERVAL`] after the last invalidation round.
    Deferred(MonoTime),
}

/// What a fetched result meant.
#[derive(Debug)]
pub enum Outcome {
    /// New credentials (or the same ones with a later expiry), now cached.
    Accepted(Arc<Entry>),
    /// The source answered with credentials that are already expired; kept only when nothing
    /// valid is cached (static stability), else ignored. Counts as a retryable failure.
    Stale(Option<Arc<Entry>>),
    /// The source answered with the credentials already cached (not rotated yet).
    Unchanged,
}

/// The kinds of round result the failure policy distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoundResult {
    Unchanged,
    Retryable,
    Refused,
}

/// The refresh state machine.
#[derive(Debug)]
pub struct RefreshState {
    config: RefreshConfig,
    entry: Option<Arc<Entry>>,
    unchanged_polls: u32,
    retryable_failures: u32,
    refused_failures: u32,
    /// The source is not asked before this (the failure policy's wait), unless forced.
    next_round_at: Option<MonoTime>,
    last_round_at: Option<MonoTime>,
    cached_error: Option<(Error, MonoTime)>,
    invalidated: bool,
    /// When the last round run for an invalidation ended.
    last_invalidation_round: Option<MonoTime>,
    /// The longest minimum validity callers asked for since the last round ended (`None`: no
    /// caller waits for longer-lived credentials).
    validity_wanted: Option<Duration>,
    /// The access key ids of replaced entries, newest last (at most [`REMEMBERED_REPLACED_KEYS`]).
    replaced_keys: std::collections::VecDeque<String>,
    force_requested: u64,
    force_started: u64,
}

impl RefreshState {
    /// A state with nothing cached.
    pub fn new(config: RefreshConfig) -> Self {
        RefreshState {
            config,
            entry: None,
            unchanged_polls: 0,
            retryable_failures: 0,
            refused_failures: 0,
            next_round_at: None,
            last_round_at: None,
            cached_error: None,
            invalidated: false,
            last_invalidation_round: None,
            validity_wanted: None,
            replaced_keys: std::collections::VecDeque::new(),
            force_requested: 0,
            force_started: 0,
        }
    }

    /// Sets how often credentials without an expiry are fetched again (the source says, and
    /// may change its mind when it is a chain that resolved a winner).
    pub(crate) fn set_long_term_recheck(&mut self, every: Option<Duration>) {
        self.config.long_term_recheck = every;
    }

    /// The cached entry.
    pub fn entry(&self) -> Option<&Arc<Entry>> {
        self.entry.as_ref()
    }

    /// The non-recoverable error still remembered at `now`, if any.
    pub fn cached_error(&self, now: MonoTime) -> Option<&Error> {
        self.cached_error
            .as_ref()
            .filter(|(_, until)| now < *until)
            .map(|(e, _)| e)
    }

    fn forced(&self) -> bool {
        self.force_requested > self.force_started
    }

    fn waiting(&self, now: MonoTime) -> bool {
        self.next_round_at.is_some_and(|t| now < t)
    }

    /// Whether a refresh would be due at `now` but the failure policy's wait holds it back.
    pub fn is_rate_limited(&self, now: MonoTime) -> bool {
        self.reason_ignoring_wait(now).is_some()
            && self.waiting(now)
            && !self.forced()
            && self.cached_error(now).is_none()
    }

    fn reason_ignoring_wait(&self, now: MonoTime) -> Option<RefreshReason> {
        if self.forced() {
            return Some(RefreshReason::Forced);
        }
        if self.invalidated && self.invalidation_allowed_at().is_none_or(|t| now >= t) {
            return Some(RefreshReason::Invalidated);
        }
        let Some(entry) = &self.entry else {
            return Some(RefreshReason::Initial);
        };
        if self.validity_wanted.is_some() && now >= self.validity_round_allowed_at() {
            return Some(RefreshReason::Validity);
        }
        let Some(expires_at) = entry.expires_at else {
            let every = self.config.long_term_recheck?;
            let last = self.last_round_at.unwrap_or(entry.fetched_at);
            return (now >= last + every).then_some(RefreshReason::Recheck);
        };
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

    /// Whether the source should be asked now, and why. A forced refresh ignores the wait; every
    /// other reason waits for it to pass.
    pub fn due(&self, now: MonoTime) -> Option<RefreshReason> {
        let reason = self.reason_ignoring_wait(now)?;
        (self.forced() || !self.waiting(now)).then_some(reason)
    }

    /// When to look again if nothing wakes the driver earlier: now when something is due, the
    /// end of the wait when one holds a due refresh back, else the next time a refresh becomes
    /// due. `None` when nothing will ever be due (long-term keys that are never rechecked).
    pub fn next_check(&self, now: MonoTime) -> Option<MonoTime> {
        if self.due(now).is_some() {
            return Some(now);
        }
        if self.reason_ignoring_wait(now).is_some() {
            return self.next_round_at;
        }
        let invalidation = self
            .invalidation_allowed_at()
            .filter(|_| self.invalidated)
            .map(|t| t.max(self.next_round_at.unwrap_or(now)));
        let validity = self.validity_wanted.map(|_| {
            self.validity_round_allowed_at()
                .max(self.next_round_at.unwrap_or(now))
        });
        let invalidation = match (invalidation, validity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(entry) = self.entry.as_ref() else {
            return invalidation;
        };
        let at = match entry.expires_at {
            Some(expires_at) => {
                let mandatory = expires_at.saturating_sub(entry.mandatory_window());
                entry.refresh_at.map_or(mandatory, |r| r.min(mandatory))
            }
            None => {
                self.last_round_at.unwrap_or(entry.fetched_at) + self.config.long_term_recheck?
            }
        };
        let at = at.max(self.next_round_at.unwrap_or(now)).max(now);
        Some(invalidation.map_or(at, |i| i.min(at)))
    }

    /// When a round for a minimum validity may start by [`MIN_VALIDITY_ROUND_INTERVAL`].
    fn validity_round_allowed_at(&self) -> MonoTime {
        self.last_round_at
            .map_or(Duration::ZERO, |t| t + MIN_VALIDITY_ROUND_INTERVAL)
    }

    /// A caller needs credentials valid for at least `min` from `now`, longer than the cached
    /// ones: a round that may bring them is due now, or deferred by the failure policy's wait and
    /// [`MIN_VALIDITY_ROUND_INTERVAL`]. Asks while one is pending join it (single flight). The
    /// round's answer serves every pending ask, whatever it is (the best the source has).
    pub fn want_validity(&mut self, min: Duration, now: MonoTime) -> ValidityAsk {
        self.validity_wanted = Some(self.validity_wanted.map_or(min, |w| w.max(min)));
        if self.due(now).is_some() {
            return ValidityAsk::Due;
        }
        ValidityAsk::Deferred(self.next_validity_round(now))
    }

    /// The earliest time a round for a minimum validity may start, `now` or later.
    pub(crate) fn next_validity_round(&self, now: MonoTime) -> MonoTime {
        let wait = self
            .next_round_at
            .filter(|_| self.waiting(now))
            .unwrap_or(now);
        self.validity_round_allowed_at().max(wait).max(now)
    }

    /// When the next invalidation round may start by [`MIN_INVALIDATION_INTERVAL`] (`None`: now).
    fn invalidation_allowed_at(&self) -> Option<MonoTime> {
        self.last_invalidation_round
            .map(|t| t + MIN_INVALIDATION_INTERVAL)
    }

    /// Asks for a refresh that ignores the wait; returns a number that [`Self::start_round`]
    /// reaches once a round that started after this request has run.
    pub(crate) fn force(&mut self) -> u64 {
        self.force_requested += 1;
        self.force_requested
    }

    /// The driver starts a round: returns the last forced-refresh request this round serves.
    pub fn start_round(&mut self) -> u64 {
        self.force_started = self.force_requested;
        self.force_started
    }

    /// A caller reports at `now` that AWS rejected credentials with this access key id: when
    /// they are the cached ones, a round replaces them as soon as the failure policy's wait and
    /// [`MIN_INVALIDATION_INTERVAL`] allow; otherwise nothing changes.
    pub fn invalidate(&mut self, rejected_access_key_id: &str, now: MonoTime) -> Invalidation {
        let cached = self
            .entry
            .as_ref()
            .is_some_and(|e| e.credentials.access_key_id() == rejected_access_key_id);
        if !cached {
            return if self
                .replaced_keys
                .iter()
                .any(|k| k == rejected_access_key_id)
            {
                Invalidation::AlreadyReplaced
            } else {
                Invalidation::Unknown
            };
        }
        self.invalidated = true;
        if self.due(now).is_some() {
            return Invalidation::Due;
        }
        let waits_until = self.next_round_at.filter(|_| self.waiting(now));
        let at = match (waits_until, self.invalidation_allowed_at()) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(now),
        };
        Invalidation::Deferred(at.max(now))
    }

    /// Whether a reported rejection still waits for its round.
    pub(crate) fn invalidation_pending(&self) -> bool {
        self.invalidated
    }

    /// Builds the entry for freshly fetched credentials, anchoring the expiry on the engine's
    /// clock with the server's `Date` (or local wall time when there is none, or when it is
    /// further than [`MAX_PLAUSIBLE_DATE_OFFSET`](crate::sources::server_clock::MAX_PLAUSIBLE_DATE_OFFSET) from local time).
    pub fn entry_for(&self, now: MonoTime, wall_now: DateTime<Utc>, fetched: &Fetched) -> Entry {
        let trusted_date = fetched
            .server_date
            .filter(|d| is_plausible_date(*d, wall_now));
        let server_date_ignored = fetched.server_date.is_some() && trusted_date.is_none();
        let reference = trusted_date.unwrap_or(wall_now);
        let skew = wall_now - reference;
        let correct_by = if skew
            .abs()
            .to_std()
            .is_ok_and(|s| s > self.config.skew_warn_threshold)
        {
            skew
        } else {
            chrono::Duration::zero()
        };
        let stated = fetched.credentials.expiration();
        let remaining = stated.map(|exp| exp - reference);
        let mut entry = Entry {
            credentials: Arc::new(fetched.credentials.clone()),
            fetched_at: now,
            expires_at: None,
            expired_before_fetch: Duration::ZERO,
            local_expiration: stated.map(|exp| exp + correct_by),
            server_date_ignored,
            advisory_window: Duration::ZERO,
            refresh_at: None,
        };
        let Some(remaining) = remaining else {
            return entry;
        };
        let Ok(lifetime) = remaining.to_std() else {
            // Already expired on arrival.
            entry.expires_at = Some(now);
            entry.expired_before_fetch = (-remaining).to_std().unwrap_or(Duration::ZERO);
            return entry;
        };
        let window = self
            .config
            .lead
            .unwrap_or_else(|| advisory_window_for(lifetime));
        let lead = window.min(lifetime / 2);
        let max_jitter = self.config.jitter.min(lead / 2);
        let jitter = random_up_to(max_jitter);
        let expires_at = now + lifetime;
        entry.expires_at = Some(expires_at);
        entry.advisory_window = window;
        entry.refresh_at = Some(expires_at.saturating_sub(lead + jitter));
        entry
    }

    /// Records the result of a fetch made at `now` and says what it meant.
    pub fn on_fetched(
        &mut self,
        now: MonoTime,
        wall_now: DateTime<Utc>,
        fetched: Fetched,
    ) -> Outcome {
        let entry = self.entry_for(now, wall_now, &fetched);
        self.last_round_at = Some(now);
        self.validity_wanted = None;
        if self.invalidated {
            self.last_invalidation_round = Some(now);
        }
        if !entry.is_valid_at(now) {
            // Already expired on arrival: a failed round. Keep it only when nothing valid is cached.
            if self.entry.as_ref().is_some_and(|e| e.is_valid_at(now)) {
                self.schedule(now, RoundResult::Retryable);
                return Outcome::Stale(None);
            }
            let entry = Arc::new(entry);
            self.replace_entry(entry.clone());
            self.invalidated = false;
            self.schedule(now, RoundResult::Retryable);
            return Outcome::Stale(Some(entry));
        }
        if let Some(current) = &self.entry {
            let same = current.credentials.same_material(&fetched.credentials);
            let later_expiry = match (current.expires_at, entry.expires_at) {
                (Some(old), Some(new)) => new > old + MANDATORY_WINDOW,
                _ => false,
            };
            if same && !later_expiry {
                // After an invalidation too: the source has nothing newer than the rejected key
                // yet; it is polled on the unrotated row's backoff, and a caller may report the
                // rejection again (at most one such round per MIN_INVALIDATION_INTERVAL).
                self.invalidated = false;
                self.schedule(now, RoundResult::Unchanged);
                return Outcome::Unchanged;
            }
        }
        let entry = Arc::new(entry);
        self.replace_entry(entry.clone());
        self.unchanged_polls = 0;
        self.retryable_failures = 0;
        self.refused_failures = 0;
        self.next_round_at = None;
        self.cached_error = None;
        self.invalidated = false;
        Outcome::Accepted(entry)
    }

    /// Caches `entry`, remembering the key it replaces.
    fn replace_entry(&mut self, entry: Arc<Entry>) {
        if let Some(old) = self.entry.take() {
            let key = old.credentials.access_key_id();
            if key != entry.credentials.access_key_id()
                && !self.replaced_keys.iter().any(|k| k == key)
            {
                if self.replaced_keys.len() == REMEMBERED_REPLACED_KEYS {
                    self.replaced_keys.pop_front();
                }
                self.replaced_keys.push_back(key.to_string());
            }
        }
        self.entry = Some(entry);
    }

    /// Records a failed fetch made at `now`: retryable and non-retryable failures each follow
    /// their row of the failure policy; a non-retryable one is also remembered for callers for
    /// [`ERROR_CACHE_TTL`].
    pub fn on_failed(&mut self, now: MonoTime, error: &Error) {
        self.last_round_at = Some(now);
        self.validity_wanted = None;
        if self.invalidated {
            self.last_invalidation_round = Some(now);
        }
        if error.is_retryable() {
            self.schedule(now, RoundResult::Retryable);
        } else {
            self.cached_error = Some((error.snapshot(), now + ERROR_CACHE_TTL));
            self.schedule(now, RoundResult::Refused);
        }
    }

    /// The failure policy (the table in the module docs): counts the result and sets the wait.
    fn schedule(&mut self, now: MonoTime, result: RoundResult) {
        let first_try_of_process = self.entry.is_none()
            && self.unchanged_polls + self.retryable_failures + self.refused_failures == 0;
        let n = match result {
            RoundResult::Unchanged => {
                self.unchanged_polls += 1;
                self.unchanged_polls
            }
            RoundResult::Retryable => {
                self.retryable_failures += 1;
                self.retryable_failures
            }
            RoundResult::Refused => {
                self.refused_failures += 1;
                self.refused_failures
            }
        };
        let valid = self.entry.as_ref().filter(|e| e.is_valid_at(now));
        if valid.is_some_and(|e| e.expires_at.is_none()) && result == RoundResult::Unchanged {
            // Long-term keys rechecked and unchanged: the recheck interval decides.
            self.next_round_at = None;
            return;
        }
        if let (Some(fixed), false) = (self.config.fixed_backoff, result == RoundResult::Refused) {
            self.next_round_at = Some(now + fixed);
            return;
        }
        if result == RoundResult::Retryable && first_try_of_process {
            // A process's very first attempt, with nothing cached, may try again at once.
            self.next_round_at = None;
            return;
        }
        let doubling = |base: Duration, cap: Duration| {
            base.saturating_mul(1u32 << (n.saturating_sub(1)).min(30))
                .min(cap)
        };
        let mut ceiling = match result {
            RoundResult::Unchanged => doubling(self.config.backoff_base, UNROTATED_POLL_CAP),
            RoundResult::Retryable => doubling(self.config.backoff_base, self.config.backoff_cap),
            RoundResult::Refused => doubling(ERROR_CACHE_TTL, REFUSED_BACKOFF_CAP),
        };
        let mut exact = result == RoundResult::Refused && n == 1;
        match valid.and_then(|e| e.expires_at.map(|x| (x, e.mandatory_window()))) {
            Some((expires_at, window)) => {
                let window_starts = expires_at.saturating_sub(window);
                if now < window_starts {
                    if now + ceiling / 2 > window_starts {
                        // Even the shortest jittered wait would pass the window's start.
                        ceiling = window_starts - now;
                        exact = true;
                    } else {
                        ceiling = ceiling.min(window_starts - now);
                    }
                } else {
                    ceiling = ceiling.min(window / MANDATORY_POLLS);
                }
            }
            None if valid.is_some() => {} // long-term keys: no expiry to clamp to
            None => ceiling = ceiling.min(STALE_RETRY_CAP),
        }
        let wait = if exact {
            ceiling
        } else {
            let half = ceiling / 2;
            half + random_up_to(ceiling - half)
        };
        self.next_round_at = Some(now + wait.max(MIN_RETRY_DELAY));
    }
}

fn random_up_to(max: Duration) -> Duration {
    if max.is_zero() {
        Duration::ZERO
    } else {
        Duration::from_nanos(rand::thread_rng().gen_range(0..=max.as_nanos() as u64))
    }
}
