//! The winning credentials' expiry, with a countdown, and whether they refresh themselves.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::chain::unset_fix;
use crate::chain::CliChain;
use crate::creds::rfc3339;
use crate::output::{countdown, Check};
use freshcreds::sources::Fetched;

/// Static session credentials expiring sooner than this are a warning.
pub(crate) const STATIC_EXPIRY_WARN: Duration = Duration::from_secs(15 * 60);

/// The winning credentials' expiry, with a countdown, and whether they refresh themselves.
pub(super) fn expiry_check(c: &CliChain, fetched: &Fetched, now: DateTime<Utc>) -> Check {
    let creds = &fetched.credentials;
    let source = creds.source().to_string();
    let is_static = c.is_static(&source);
    let Some(exp) = creds.expiration() else {
        return no_expiry_check(fetched);
    };
    // Anchor on the server's clock when the source said what time it was.
    let left = match fetched.server_date {
        Some(date) => exp - date,
        None => exp - now,
    };
    let when = format!("{} ({})", rfc3339(exp), countdown(left));
    let refreshes = if is_static {
        "they never refresh themselves (static credentials)".to_string()
    } else {
        format!(
            "they refresh themselves: freshcreds and the AWS SDKs ask {source} again before expiry"
        )
    };
    if left <= chrono::Duration::zero() {
        let fix = if is_static {
            unset_fix(&source).replace(
                "so the chain reaches it",
                "and use a source that refreshes itself, or put fresh credentials there",
            )
        } else {
            format!("{source} handed out expired credentials: check the clock (see clock-skew) and the source itself")
        };
        Check::fail(
            "expiry",
            format!(
                "{} from {source} expired at {when}; {refreshes}",
                creds.access_key_id()
            ),
            fix,
        )
    } else if is_static && left.to_std().unwrap_or_default() < STATIC_EXPIRY_WARN {
        Check::warn(
            "expiry",
            format!(
                "{} from {source} expire at {when}; {refreshes}",
                creds.access_key_id()
            ),
            "put fresh credentials there before they expire, or use a source that refreshes itself",
        )
    } else {
        Check::ok(
            "expiry",
            format!(
                "{} from {source} expire at {when}; {refreshes}",
                creds.access_key_id()
            ),
        )
    }
}

/// Credentials without an expiry: a long-term key, or a session token nobody said the end of.
fn no_expiry_check(fetched: &Fetched) -> Check {
    let creds = &fetched.credentials;
    let source = creds.source();
    if creds.session_token().is_some() {
        Check::warn(
            "expiry",
            format!(
                "{} from {source} carry a session token but no expiry: they will stop working at an unknown time and nothing renews them",
                creds.access_key_id()
            ),
            "set AWS_CREDENTIAL_EXPIRATION with them, or use a source that refreshes itself",
        )
    } else {
        Check::ok(
            "expiry",
            format!(
                "{} from {source} is a long-term access key: no expiry",
                creds.access_key_id()
            ),
        )
    }
}
