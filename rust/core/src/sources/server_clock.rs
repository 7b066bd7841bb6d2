//! How far the local wall clock is from AWS's, measured from the `Date` header of every HTTP
//! answer the sources read (IMDS, the container endpoint, STS — error answers included).
//!
//! One [`ServerClock`] is shared by every source of a chain (through
//! [`ChainSettings`](super::default_chain::ChainSettings)). STS requests are signed with
//! [`ServerClock::signing_time`]: the local time, corrected by the measured offset once that
//! offset exceeds [`SIGNING_SKEW_THRESHOLD`], so a host whose clock is 10 minutes off still gets
//! its `AssumeRole` accepted (AWS refuses signatures more than 5 minutes from its own time).
//!
//! A `Date` further than [`MAX_PLAUSIBLE_DATE_OFFSET`] from the local clock (epoch 0, a stale
//! sidecar, a cached answer) is not a clock reading: it is ignored, with one warning
//! ([`WARN_IMPLAUSIBLE_DATE`]), and the sources report no server date for that answer. The
//! refresh engine judges the dates that reach it (`is_plausible_date`) by the same bound with
//! the same warning, so a `Date` is either a reading everywhere or nowhere.
//!
//! Offsets measured from STS answers win over the others for signing (STS is the clock that
//! judges the signature); before STS has answered, the latest IMDS or container offset is used.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A measured offset smaller than this is not corrected for when signing (the `Date` header has
/// one-second resolution, and AWS accepts signatures up to 5 minutes off).
pub const SIGNING_SKEW_THRESHOLD: Duration = Duration::from_secs(60);

/// The one bound on a server `Date`: further than this from the local clock, it is not a clock
/// reading but a broken or stale answer (epoch 0, a cached response, a sidecar with no clock).
/// Such a date neither corrects the signing time nor anchors an expiry (local time does), and
/// [`WARN_IMPLAUSIBLE_DATE`] says so. A day: a local clock hours off (a time zone stored as UTC,
/// a laptop's dead battery) is the common case freshcreds must survive, and within the bound the
/// server's clock both anchors the expiry (local time would misplace it by the same hours) and
/// corrects the signing time; a day is far beyond any clock a host can run with and still reach
/// AWS over TLS.
pub const MAX_PLAUSIBLE_DATE_OFFSET: Duration = Duration::from_secs(24 * 60 * 60);

/// Logged (WARN, once per tracker and once per engine) when a `Date` header is ignored as
/// implausible ([`MAX_PLAUSIBLE_DATE_OFFSET`]).
pub const WARN_IMPLAUSIBLE_DATE: &str =
    "ignoring a server Date header implausibly far from the local clock";

/// Whether the server `Date` `server`, read when the local wall clock said `local`, is a clock
/// reading: within [`MAX_PLAUSIBLE_DATE_OFFSET`] of it (the bound itself included).
pub(crate) fn is_plausible_date(server: DateTime<Utc>, local: DateTime<Utc>) -> bool {
    (server - local)
        .abs()
        .to_std()
        .is_ok_and(|offset| offset <= MAX_PLAUSIBLE_DATE_OFFSET)
}

/// Where a `Date` header came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrigin {
    /// An STS answer (the clock that checks signatures).
    Sts,
    /// IMDS, the container endpoint or another credentials endpoint.
    CredentialsEndpoint,
}

/// One accepted reading: server time minus local wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    offset: chrono::Duration,
}

#[derive(Debug, Default)]
struct Readings {
    sts: Option<Reading>,
    other: Option<Reading>,
}

/// The offset between the local wall clock and the servers' clocks, shared by the sources of a
/// chain. Holds no secret; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct ServerClock {
    readings: Mutex<Readings>,
    warned: AtomicBool,
}

impl ServerClock {
    /// A tracker with no reading yet (signing uses the local time).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the `Date` header of an HTTP answer, if it has a valid one, and [`observe`]s it.
    ///
    /// [`observe`]: ServerClock::observe
    pub(crate) fn observe_header(
        &self,
        headers: &reqwest::header::HeaderMap,
        local: DateTime<Utc>,
        origin: DateOrigin,
        endpoint: &str,
    ) -> Option<DateTime<Utc>> {
        let date = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(DateTime::<Utc>::from)?;
        self.observe(date, local, origin, endpoint)
    }

    /// Records the `Date` header `server` of an answer received when the local wall clock read
    /// `local`, from `endpoint` (named in the warning). Returns the date when it is plausible,
    /// `None` when it was ignored (then the caller must not anchor anything on it).
    pub fn observe(
        &self,
        server: DateTime<Utc>,
        local: DateTime<Utc>,
        origin: DateOrigin,
        endpoint: &str,
    ) -> Option<DateTime<Utc>> {
        if !is_plausible_date(server, local) {
            // Once per tracker at WARN; a collected warning (from a source that may not win)
            // does not count, so the winner's own implausible Date is still heard.
            if !self.warned.load(Ordering::Acquire) {
                let logged = super::notice::warn(format!(
                    "{WARN_IMPLAUSIBLE_DATE}: {endpoint} answered with Date {} while the local clock reads {} (more than {} min apart); the local clock is used instead",
                    server.to_rfc3339(),
                    local.to_rfc3339(),
                    MAX_PLAUSIBLE_DATE_OFFSET.as_secs() / 60,
                ));
                if logged {
                    self.warned.store(true, Ordering::Release);
                }
            }
            return None;
        }
        let reading = Reading {
            offset: server - local,
        };
        let mut r = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        match origin {
            DateOrigin::Sts => r.sts = Some(reading),
            DateOrigin::CredentialsEndpoint => r.other = Some(reading),
        }
        Some(server)
    }

    /// The latest accepted offset (server minus local), STS readings first; `None` before any.
    pub fn offset(&self) -> Option<chrono::Duration> {
        let r = self.readings.lock().unwrap_or_else(|p| p.into_inner());
        r.sts.or(r.other).map(|reading| reading.offset)
    }

    /// The time to sign a request with when the local wall clock reads `local`: `local` itself
    /// while the measured offset is within [`SIGNING_SKEW_THRESHOLD`], else `local + offset`.
    pub fn signing_time(&self, local: DateTime<Utc>) -> DateTime<Utc> {
        match self.offset() {
            Some(offset) if exceeds_threshold(offset) => local + offset,
            _ => local,
        }
    }
}

/// Whether `offset` is larger (either way) than [`SIGNING_SKEW_THRESHOLD`].
pub(crate) fn exceeds_threshold(offset: chrono::Duration) -> bool {
    let threshold =
        chrono::Duration::from_std(SIGNING_SKEW_THRESHOLD).unwrap_or(chrono::Duration::MAX);
    offset.abs() > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A clock that has taken one reading `ahead` of the local time from `origin` (STS or
    /// IMDS), and that local time.
    fn one_reading_ahead(
        ahead: chrono::Duration,
        origin: DateOrigin,
    ) -> (ServerClock, DateTime<Utc>) {
        let clock = ServerClock::new();
        let local = t("2026-01-01T00:00:00Z");
        let endpoint = match origin {
            DateOrigin::Sts => "STS",
            DateOrigin::CredentialsEndpoint => "IMDS",
        };
        clock.observe(local + ahead, local, origin, endpoint);
        (clock, local)
    }

    #[test]
    fn small_offsets_are_measured_but_not_corrected_when_signing() {
        let clock = ServerClock::new();
        let local = t("2026-01-01T00:00:00Z");
        assert_eq!(clock.signing_time(local), local);
        let server = local + chrono::Duration::seconds(59);
        assert_eq!(
            clock.observe(server, local, DateOrigin::CredentialsEndpoint, "IMDS"),
            Some(server)
        );
        assert_eq!(clock.offset(), Some(chrono::Duration::seconds(59)));
        assert_eq!(clock.signing_time(local), local);
    }

    #[test]
    fn an_offset_beyond_the_threshold_moves_the_signing_time_by_the_offset() {
        let (clock, local) = one_reading_ahead(
            chrono::Duration::minutes(10),
            DateOrigin::CredentialsEndpoint,
        );
        let later = local + chrono::Duration::seconds(30);
        assert_eq!(
            clock.signing_time(later),
            later + chrono::Duration::minutes(10)
        );
        // Exactly at the threshold: not corrected.
        let at = ServerClock::new();
        at.observe(
            local - chrono::Duration::from_std(SIGNING_SKEW_THRESHOLD).unwrap(),
            local,
            DateOrigin::Sts,
            "STS",
        );
        assert_eq!(at.signing_time(local), local);
    }

    #[test]
    fn sts_readings_win_over_credentials_endpoint_readings_whatever_their_order() {
        let (clock, local) = one_reading_ahead(chrono::Duration::minutes(3), DateOrigin::Sts);
        clock.observe(
            local + chrono::Duration::minutes(10),
            local,
            DateOrigin::CredentialsEndpoint,
            "a sidecar",
        );
        assert_eq!(clock.offset(), Some(chrono::Duration::minutes(3)));
    }

    #[test]
    fn a_date_beyond_the_plausible_bound_is_ignored_and_leaves_the_offset_alone() {
        let (clock, local) = one_reading_ahead(
            chrono::Duration::minutes(10),
            DateOrigin::CredentialsEndpoint,
        );
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            clock.observe(epoch, local, DateOrigin::Sts, "STS"),
            None,
            "epoch 0 is not a clock reading"
        );
        let bound = chrono::Duration::from_std(MAX_PLAUSIBLE_DATE_OFFSET).unwrap();
        let just_inside = local - bound;
        assert_eq!(
            clock.observe(just_inside, local, DateOrigin::CredentialsEndpoint, "IMDS"),
            Some(just_inside)
        );
        let just_outside = local + bound + chrono::Duration::seconds(1);
        assert_eq!(
            clock.observe(just_outside, local, DateOrigin::CredentialsEndpoint, "IMDS"),
            None
        );
        assert_eq!(clock.offset(), Some(-bound));
    }
}
