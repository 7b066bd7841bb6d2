//! Session expiry stated in the environment (`AWS_CREDENTIAL_EXPIRATION`).

use chrono::{DateTime, Utc};

use super::expiry::STATIC_EXPIRY_WARN;
use crate::creds::rfc3339;
use crate::output::{countdown, Check};
use freshcreds::env::Env;

/// Reads a time as tools write it: RFC 3339, or `2024-01-01T00:00:00` / `2024-01-01 00:00:00`
/// without an offset (UTC).
pub(super) fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    DateTime::parse_from_rfc3339(v)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S"))
                .ok()
                .map(|n| n.and_utc())
        })
}

/// `AWS_CREDENTIAL_EXPIRATION` in the past (or soon).
pub(crate) fn env_expiry_check(env: &Env, now: DateTime<Utc>) -> Option<Check> {
    let value = env.get_non_blank("AWS_CREDENTIAL_EXPIRATION")?;
    let unset = "get fresh credentials into the environment (e.g. `eval \"$(freshcreds export)\"`), or unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION so a source that refreshes itself is used";
    let Some(exp) = parse_time(&value) else {
        return Some(Check::warn(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={value:?} is not an RFC 3339 time"
            ),
            "write it like 2030-01-01T00:00:00Z",
        ));
    };
    let left = exp - now;
    let has_keys = env.get_non_blank("AWS_ACCESS_KEY_ID").is_some()
        || env.get_non_blank("AWS_ACCESS_KEY").is_some();
    let what = if has_keys {
        "the session credentials in AWS_ACCESS_KEY_ID/AWS_SESSION_TOKEN"
    } else {
        "the session credentials it describes"
    };
    Some(if left <= chrono::Duration::zero() {
        Check::fail(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={} says {what} expired {}",
                rfc3339(exp),
                countdown(left)
            ),
            unset,
        )
    } else if left.to_std().unwrap_or_default() < STATIC_EXPIRY_WARN {
        Check::warn(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={} says {what} expire {} and nothing renews them",
                rfc3339(exp),
                countdown(left)
            ),
            unset,
        )
    } else {
        Check::ok(
            "env",
            format!(
                "environment variable AWS_CREDENTIAL_EXPIRATION={}: {what} expire {}",
                rfc3339(exp),
                countdown(left)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Level;

    #[test]
    fn an_expiration_in_the_environment_fails_once_past() {
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2029-12-31T23:00:00Z")]);
        let c = env_expiry_check(&env, now).unwrap();
        assert_eq!(c.level, Level::Fail);
        assert!(
            c.message.contains("AWS_CREDENTIAL_EXPIRATION"),
            "{}",
            c.message
        );
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:05:00Z")]);
        assert_eq!(env_expiry_check(&env, now).unwrap().level, Level::Warn);
        let env = Env::from_map([("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T05:00:00Z")]);
        assert_eq!(env_expiry_check(&env, now).unwrap().level, Level::Ok);
    }
}
