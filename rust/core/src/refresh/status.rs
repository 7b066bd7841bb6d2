//! Counters and a status report for hosts (`status_json`) and the `doctor` command.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Served;
use crate::clock::MonoTime;

/// Counters kept by the refresh engine.
#[derive(Debug, Default)]
pub struct RefreshStats {
    /// Refresh rounds started (each is one call to the source).
    pub rounds: AtomicU64,
    /// Rounds that produced new credentials.
    pub refreshes: AtomicU64,
    /// Rounds that failed (errors and already-expired answers).
    pub failures: AtomicU64,
    /// Answers whose credentials were already expired.
    pub stale_responses: AtomicU64,
    /// Rounds where the source still served the credentials already cached.
    pub unrotated_polls: AtomicU64,
    /// Static-stability extensions granted.
    pub stale_extensions: AtomicU64,
    /// Last measured local-minus-server clock difference, in milliseconds.
    pub skew_millis: AtomicI64,
    /// Whether the last round succeeded.
    pub last_round_ok: AtomicBool,
    /// Fetches that panicked (caught; each counted as a failed round).
    pub panics: AtomicU64,
    /// Resumes after a suspend noticed by the background task.
    pub resumes: AtomicU64,
    /// Answers whose `Date` header was too far from local time to be trusted.
    pub untrusted_dates: AtomicU64,
    /// Rejections reported for the cached key (stale keys, already replaced, not counted).
    pub invalidations: AtomicU64,
}

/// A point-in-time report of the engine, serialisable to JSON. Holds no secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The source the engine refreshes from.
    pub source: String,
    /// The source's kind: its name without what is in parentheses (profile names, commands,
    /// endpoints), e.g. `Profile/AssumeRole`; what operators' views show by default.
    pub source_kind: String,
    /// The access key id of the cached credentials.
    pub access_key_id: Option<String>,
    /// The expiration the source stated (server time, RFC 3339).
    pub expiration: Option<String>,
    /// The same as epoch milliseconds, for hosts that want a number (not in the JSON).
    #[serde(skip)]
    pub expiration_epoch_millis: Option<i64>,
    /// Milliseconds until the real expiry (negative once expired, counted from the stated
    /// expiry, not from the fetch).
    pub expires_in_millis: Option<i64>,
    /// The expiry handed to other processes (RFC 3339, local time): the stated one, or while
    /// stale the end of the current static-stability extension.
    pub served_expiration: Option<String>,
    /// While stale: milliseconds until the current static-stability extension ends.
    pub extension_ends_in_millis: Option<i64>,
    /// Milliseconds until the next scheduled refresh.
    pub refresh_in_millis: Option<i64>,
    /// True when serving expired credentials by static stability.
    pub stale: bool,
    /// The last round's error, if it failed.
    pub last_error: Option<String>,
    /// The kind of the last round's error (`ErrorKind::name`, e.g. `TIMEOUT`), if it failed.
    pub last_error_kind: Option<&'static str>,
    /// Refresh rounds started.
    pub rounds: u64,
    /// Rounds that produced new credentials.
    pub refreshes: u64,
    /// Failed rounds.
    pub failures: u64,
    /// Already-expired answers.
    pub stale_responses: u64,
    /// Rounds that found the credentials not rotated yet.
    pub unrotated_polls: u64,
    /// Static-stability extensions.
    pub stale_extensions: u64,
    /// Fetches that panicked.
    pub panics: u64,
    /// Resumes after a suspend.
    pub resumes: u64,
    /// Rejections reported for the cached key.
    pub invalidations: u64,
    /// Local minus server time, in milliseconds.
    pub skew_millis: i64,
    /// Local wall time of the report.
    pub reported_at: String,
}

/// A source name without what its parentheses hold: `Profile(tenant-a)/AssumeRole` is
/// `Profile/AssumeRole`, `CredentialProcess(vault-helper --role x)` is `CredentialProcess`.
/// Source names keep every identifying detail (profile names, commands, endpoints) in
/// parentheses, so the kind names no account, role or command.
fn source_kind(name: &str) -> String {
    let mut depth = 0usize;
    let mut kind = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kind.push(c),
            _ => {}
        }
    }
    kind
}

fn millis_between(now: MonoTime, then: MonoTime) -> i64 {
    if then >= now {
        (then - now).as_millis() as i64
    } else {
        -((now - then).as_millis() as i64)
    }
}

impl Status {
    pub(crate) fn build(
        source: &str,
        served: Option<&Served>,
        now: MonoTime,
        wall: DateTime<Utc>,
        last_error: Option<(String, &'static str)>,
        stats: &RefreshStats,
    ) -> Status {
        let (last_error, last_error_kind) = match last_error {
            Some((message, kind)) => (Some(message), Some(kind)),
            None => (None, None),
        };
        Status {
            source: source.to_string(),
            source_kind: source_kind(source),
            access_key_id: served.map(|s| s.credentials.access_key_id().to_string()),
            expiration: served
                .and_then(|s| s.credentials.expiration())
                .map(|e| e.to_rfc3339()),
            expiration_epoch_millis: served
                .and_then(|s| s.credentials.expiration())
                .map(|e| e.timestamp_millis()),
            expires_in_millis: served.and_then(|s| {
                s.expires_at.map(|e| {
                    millis_between(now, e).saturating_sub(s.expired_before_fetch.as_millis() as i64)
                })
            }),
            served_expiration: served.and_then(|s| s.expiration).map(|e| e.to_rfc3339()),
            extension_ends_in_millis: served
                .and_then(|s| s.stale_until)
                .map(|u| millis_between(now, u)),
            refresh_in_millis: served
                .and_then(|s| s.refresh_at)
                .map(|r| millis_between(now, r)),
            stale: served.is_some_and(|s| s.stale),
            last_error,
            last_error_kind,
            rounds: stats.rounds.load(Ordering::Relaxed),
            refreshes: stats.refreshes.load(Ordering::Relaxed),
            failures: stats.failures.load(Ordering::Relaxed),
            stale_responses: stats.stale_responses.load(Ordering::Relaxed),
            unrotated_polls: stats.unrotated_polls.load(Ordering::Relaxed),
            stale_extensions: stats.stale_extensions.load(Ordering::Relaxed),
            panics: stats.panics.load(Ordering::Relaxed),
            resumes: stats.resumes.load(Ordering::Relaxed),
            invalidations: stats.invalidations.load(Ordering::Relaxed),
            skew_millis: stats.skew_millis.load(Ordering::Relaxed),
            reported_at: wall.to_rfc3339(),
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::source_kind;

    #[test]
    fn a_source_kind_drops_what_parentheses_hold_at_any_depth() {
        assert_eq!(source_kind("Ec2InstanceMetadata"), "Ec2InstanceMetadata");
        assert_eq!(
            source_kind("Profile(tenant-a)/AssumeRole"),
            "Profile/AssumeRole"
        );
        assert_eq!(source_kind("AssumeRole(Profile(prod)/Sso)"), "AssumeRole");
        assert_eq!(
            source_kind("CredentialProcess(vault-helper --token abc)"),
            "CredentialProcess"
        );
        assert_eq!(source_kind("Profile(a(b)c)/Login"), "Profile/Login");
    }
}
