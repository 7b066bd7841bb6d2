//! Clock skew against the `Date` header of STS (and, through [`skew_check`], of IMDS).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::http::{http_date, root_cause};
use crate::output::{human_duration, Check};
use freshcreds::sources::sts::{StsSettings, STS_API_VERSION};

/// Skew beyond this fails: AWS rejects requests signed more than 5 minutes off.
pub(crate) const SKEW_FAIL: Duration = Duration::from_secs(300);
/// Skew beyond this warns.
pub(crate) const SKEW_WARN: Duration = Duration::from_secs(60);

/// How to fix a local clock that is off.
pub(super) const NTP_HINT: &str = "sync the clock with NTP (on EC2: the Amazon Time Sync Service at 169.254.169.123, e.g. `chronyc makestep`; elsewhere `timedatectl set-ntp true`)";

/// Local time minus the server's, measured at the middle of the request.
pub(super) fn skew_of(
    sent_at: DateTime<Utc>,
    elapsed: Duration,
    server: DateTime<Utc>,
) -> chrono::Duration {
    let mid = sent_at + chrono::Duration::from_std(elapsed / 2).unwrap_or_default();
    mid - server
}

/// A clock-skew finding for the `Date` header of `what`.
pub(crate) fn skew_check(what: &str, skew: chrono::Duration) -> Check {
    let abs = skew.abs().to_std().unwrap_or_default();
    let direction = if skew > chrono::Duration::zero() {
        "ahead of"
    } else {
        "behind"
    };
    let msg = format!(
        "local clock is {} {direction} the Date header of {what}",
        human_duration(skew)
    );
    if abs > SKEW_FAIL {
        Check::fail(
            "clock-skew",
            format!("{msg}: AWS rejects requests signed more than 5 minutes off"),
            NTP_HINT,
        )
    } else if abs > SKEW_WARN {
        Check::warn(
            "clock-skew",
            format!("{msg}: requests fail beyond 5 minutes"),
            NTP_HINT,
        )
    } else {
        Check::ok(
            "clock-skew",
            format!(
                "local clock is within {} of {what}",
                human_duration(skew).replace("0s", "1s")
            ),
        )
    }
}

/// Compares the local clock with the `Date` of an unsigned STS request (any answer carries one).
pub(super) async fn sts_skew_check(settings: &StsSettings) -> Check {
    let http = match settings
        .http
        .service_client("STS", settings.connect_timeout, settings.timeout)
    {
        Ok(h) => h,
        Err(e) => {
            return Check::warn(
                "clock-skew",
                format!("no HTTP client for STS: {}", e.full_message()),
                "see the network finding",
            )
        }
    };
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version={STS_API_VERSION}",
        settings.endpoint.trim_end_matches('/')
    );
    let sent_at = Utc::now();
    let started = Instant::now();
    match http.get(&url).send().await {
        Ok(resp) => match http_date(&resp) {
            Some(date) => skew_check(
                &format!("STS at {}", settings.endpoint),
                skew_of(sent_at, started.elapsed(), date),
            ),
            None => Check::ok(
                "clock-skew",
                format!(
                    "STS at {} sent no Date header; skew not measured",
                    settings.endpoint
                ),
            ),
        },
        Err(e) => Check::warn(
            "clock-skew",
            format!(
                "could not reach STS at {} (endpoint from {}) to compare clocks: {}",
                settings.endpoint,
                settings.endpoint_origin,
                root_cause(&e)
            ),
            "check the network path to STS, or run with --offline",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Level;

    #[test]
    fn skew_levels_switch_at_one_and_five_minutes_both_ways() {
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(30)).level,
            Level::Ok
        );
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(-90)).level,
            Level::Warn
        );
        assert_eq!(
            skew_check("X", chrono::Duration::seconds(400)).level,
            Level::Fail
        );
        let c = skew_check("X", chrono::Duration::seconds(-400));
        assert!(c.message.contains("behind"), "{}", c.message);
        assert!(c.fix.unwrap().contains("Amazon Time Sync"));
    }
}
