//! Counters and a status report for hosts (`status_json`) and the `doctor` command, and the
//! one list of the report's fields ([`STATUS_FIELDS`]) that every view iterates: the JSON
//! status, the JNI arrays behind `FreshCredentialsStatus`, the JMX MBean and the Micrometer
//! binder. A counter added to [`RefreshStats`] without a row there fails this module's tests.

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
    /// Answers whose `Date` header was implausibly far from local time (not used to anchor an
    /// expiry).
    pub untrusted_dates: u64,
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
            untrusted_dates: stats.untrusted_dates.load(Ordering::Relaxed),
            skew_millis: stats.skew_millis.load(Ordering::Relaxed),
            reported_at: wall.to_rfc3339(),
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// What a status field measures, which decides how each view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A count that only grows (a Micrometer function counter).
    Counter,
    /// A signed amount of [`StatusField::unit`] (a gauge).
    Gauge,
    /// A duration in milliseconds from now, absent when there is none (a gauge in seconds).
    Time,
    /// An instant, epoch milliseconds across JNI and RFC 3339 text in the JSON (no meter).
    Instant,
    /// 0 or 1 across JNI, a boolean in the JSON and JMX (a 0/1 gauge).
    Flag,
    /// Text, absent when there is none (no meter).
    Text,
}

impl FieldKind {
    /// The kind's name as the Java side spells it (`FreshCredentialsStatus.Kind`).
    pub const fn name(self) -> &'static str {
        match self {
            FieldKind::Counter => "COUNTER",
            FieldKind::Gauge => "GAUGE",
            FieldKind::Time => "TIME",
            FieldKind::Instant => "INSTANT",
            FieldKind::Flag => "FLAG",
            FieldKind::Text => "TEXT",
        }
    }

    /// Whether the field crosses JNI as a number (else as a string).
    pub const fn is_number(self) -> bool {
        !matches!(self, FieldKind::Text)
    }
}

/// How the JMX view shows a text field by default (operators' views name kinds, not identities;
/// `-Dfreshcreds.jmx.details=full` shows every text in full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JmxView {
    /// As it is.
    Plain,
    /// The value of the named field instead (the source's kind for the source, the error's kind
    /// for the error).
    KindFrom(&'static str),
    /// Masked but for its last four characters, as `aws configure list` shows a key.
    Masked,
}

impl JmxView {
    /// The view as the Java side reads it: `plain`, `masked` or `kind:<field>`.
    pub fn spelled(self) -> String {
        match self {
            JmxView::Plain => "plain".into(),
            JmxView::Masked => "masked".into(),
            JmxView::KindFrom(field) => format!("kind:{field}"),
        }
    }
}

/// A value of a [`Status`] field, as the JNI arrays carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A number (`None`: no value, e.g. no credentials yet).
    Number(Option<i64>),
    /// A text (`None`: no value).
    Text(Option<&'a str>),
}

/// One field of the status report: what each view needs to show it. Views iterate
/// [`STATUS_FIELDS`] instead of naming fields, so a new field reaches all of them.
#[derive(Clone, Copy)]
pub struct StatusField {
    /// The JSON key (camelCase), also the name Java's `FreshCredentialsStatus.number/text` take.
    pub name: &'static str,
    /// What it measures.
    pub kind: FieldKind,
    /// The unit of a number (`milliseconds`, `events`), empty for flags, instants and texts.
    pub unit: &'static str,
    /// One line for operators (JMX attribute and Micrometer meter descriptions).
    pub doc: &'static str,
    /// The Micrometer meter name, empty when the field is not a meter (texts, instants).
    pub meter: &'static str,
    /// The JMX attribute name.
    pub jmx: &'static str,
    /// How JMX shows a text by default.
    pub jmx_view: JmxView,
    /// The field's value in a report.
    pub value: for<'a> fn(&'a Status) -> FieldValue<'a>,
}

impl std::fmt::Debug for StatusField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusField")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn count(n: u64) -> FieldValue<'static> {
    FieldValue::Number(Some(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Declares [`STATUS_FIELDS`]: one row per field, `name: kind, unit, meter, jmx, view, doc, |s| value`.
macro_rules! status_fields {
    ($($name:literal: $kind:ident, $unit:literal, $meter:literal, $jmx:literal, $view:expr, $doc:literal, |$s:ident| $value:expr;)*) => {
        /// Every field of the status report, in the order of the JNI arrays (numbers and texts
        /// each keep this order). Each view iterates it: the JSON status (whose keys are these
        /// names), `FreshCredentialsStatus`, the JMX MBean and the Micrometer binder.
        pub const STATUS_FIELDS: &[StatusField] = &[$(StatusField {
            name: $name,
            kind: FieldKind::$kind,
            unit: $unit,
            doc: $doc,
            meter: $meter,
            jmx: $jmx,
            jmx_view: $view,
            value: |$s| $value,
        }),*];
    };
}

status_fields! {
    "source": Text, "", "", "Source", JmxView::KindFrom("sourceKind"),
        "the source the engine refreshes from", |s| FieldValue::Text(Some(&s.source));
    "sourceKind": Text, "", "", "SourceKind", JmxView::Plain,
        "the source's kind: its name without what parentheses hold", |s| FieldValue::Text(Some(&s.source_kind));
    "accessKeyId": Text, "", "", "AccessKeyId", JmxView::Masked,
        "the access key id of the cached credentials", |s| FieldValue::Text(s.access_key_id.as_deref());
    "lastError": Text, "", "", "LastError", JmxView::KindFrom("lastErrorKind"),
        "the last refresh round's error", |s| FieldValue::Text(s.last_error.as_deref());
    "lastErrorKind": Text, "", "", "LastErrorKind", JmxView::Plain,
        "the kind of the last refresh round's error", |s| FieldValue::Text(s.last_error_kind);
    "servedExpiration": Text, "", "", "ServedExpiration", JmxView::Plain,
        "the expiry handed to other processes (RFC 3339, local time)", |s| FieldValue::Text(s.served_expiration.as_deref());
    "reportedAt": Text, "", "", "ReportedAt", JmxView::Plain,
        "local wall time of the report (RFC 3339)", |s| FieldValue::Text(Some(&s.reported_at));
    "expiration": Instant, "", "", "ExpirationEpochMillis", JmxView::Plain,
        "the expiration the source stated", |s| FieldValue::Number(s.expiration_epoch_millis);
    "expiresInMillis": Time, "milliseconds", "freshcreds.expires.in", "ExpiresInMillis", JmxView::Plain,
        "time until the credentials' real expiry, negative once expired", |s| FieldValue::Number(s.expires_in_millis);
    "refreshInMillis": Time, "milliseconds", "freshcreds.refresh.in", "RefreshInMillis", JmxView::Plain,
        "time until the next scheduled refresh", |s| FieldValue::Number(s.refresh_in_millis);
    "extensionEndsInMillis": Time, "milliseconds", "freshcreds.extension.ends.in", "ExtensionEndsInMillis", JmxView::Plain,
        "while stale, time until the current static-stability extension ends", |s| FieldValue::Number(s.extension_ends_in_millis);
    "stale": Flag, "", "freshcreds.stale", "Stale", JmxView::Plain,
        "1 while expired credentials are served because refreshing fails", |s| FieldValue::Number(Some(i64::from(s.stale)));
    "rounds": Counter, "events", "freshcreds.refresh.rounds", "Rounds", JmxView::Plain,
        "refresh rounds started", |s| count(s.rounds);
    "refreshes": Counter, "events", "freshcreds.refreshes", "Refreshes", JmxView::Plain,
        "rounds that produced new credentials", |s| count(s.refreshes);
    "failures": Counter, "events", "freshcreds.refresh.failures", "Failures", JmxView::Plain,
        "refresh rounds that failed", |s| count(s.failures);
    "staleResponses": Counter, "events", "freshcreds.stale.responses", "StaleResponses", JmxView::Plain,
        "answers whose credentials were already expired", |s| count(s.stale_responses);
    "unrotatedPolls": Counter, "events", "freshcreds.unrotated.polls", "UnrotatedPolls", JmxView::Plain,
        "rounds that found the source still serving the cached credentials", |s| count(s.unrotated_polls);
    "staleExtensions": Counter, "events", "freshcreds.stale.extensions", "StaleExtensions", JmxView::Plain,
        "expired credentials served on because refreshing failed (static stability)", |s| count(s.stale_extensions);
    "panics": Counter, "events", "freshcreds.panics", "Panics", JmxView::Plain,
        "fetches that panicked (caught; each a failed round)", |s| count(s.panics);
    "resumes": Counter, "events", "freshcreds.resumes", "Resumes", JmxView::Plain,
        "resumes after a suspend", |s| count(s.resumes);
    "invalidations": Counter, "events", "freshcreds.invalidations", "Invalidations", JmxView::Plain,
        "rejections of the cached credentials reported by SDK calls", |s| count(s.invalidations);
    "untrustedDates": Counter, "events", "freshcreds.untrusted.dates", "UntrustedDates", JmxView::Plain,
        "answers whose Date header was implausibly far from local time (not used to anchor an expiry)", |s| count(s.untrusted_dates);
    "skewMillis": Gauge, "milliseconds", "freshcreds.clock.skew", "ClockSkewMillis", JmxView::Plain,
        "local minus server time, from the last plausible Date header", |s| FieldValue::Number(Some(s.skew_millis));
}

/// [`RefreshStats`] fields that are not reported, each with its reason.
#[cfg(test)]
const UNREPORTED_STATS: &[(&str, &str)] = &[(
    "last_round_ok",
    "the engine's own flag; `lastError` reports the last round's outcome",
)];

#[cfg(test)]
mod tests {
    use super::*;

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// A report with every optional field set.
    fn full_report() -> Status {
        let stats = RefreshStats::default();
        let mut status = Status::build(
            "Profile(a)",
            None,
            MonoTime::ZERO,
            Utc::now(),
            Some(("boom".into(), "TIMEOUT")),
            &stats,
        );
        status.access_key_id = Some("AKIA".into());
        status.expiration = Some("2026-01-01T00:00:00+00:00".into());
        status.expiration_epoch_millis = Some(1);
        status.expires_in_millis = Some(2);
        status.served_expiration = Some("2026-01-01T00:00:00+00:00".into());
        status.extension_ends_in_millis = Some(3);
        status.refresh_in_millis = Some(4);
        status
    }

    #[test]
    fn every_counted_field_has_a_status_row_and_so_reaches_every_view() {
        let names: Vec<&str> = STATUS_FIELDS.iter().map(|f| f.name).collect();
        // RefreshStats' Debug output names each of its fields.
        let debug = format!("{:?}", RefreshStats::default());
        let fields: Vec<&str> = debug
            .trim_start_matches("RefreshStats {")
            .trim_end_matches('}')
            .split(',')
            .filter_map(|pair| pair.split_once(':').map(|(name, _)| name.trim()))
            .collect();
        assert!(fields.len() >= 12, "{debug}");
        for field in fields {
            if UNREPORTED_STATS.iter().any(|(name, _)| *name == field) {
                continue;
            }
            assert!(
                names.contains(&camel(field).as_str()),
                "RefreshStats::{field} is counted but has no row in STATUS_FIELDS, so no view reports it"
            );
        }
    }

    #[test]
    fn the_json_status_has_exactly_the_keys_of_the_status_rows() {
        let json: serde_json::Value = serde_json::from_str(&full_report().to_json()).unwrap();
        let keys: std::collections::BTreeSet<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let names: std::collections::BTreeSet<&str> =
            STATUS_FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(keys, names, "the JSON status and STATUS_FIELDS differ");
        assert_eq!(names.len(), STATUS_FIELDS.len(), "a row is listed twice");
    }

    #[test]
    fn each_row_reads_its_own_value_with_its_kind() {
        let report = full_report();
        for field in STATUS_FIELDS {
            let value = (field.value)(&report);
            match (field.kind.is_number(), value) {
                (true, FieldValue::Number(Some(_))) | (false, FieldValue::Text(Some(_))) => {}
                (_, v) => panic!("{}: {v:?} for a {:?}", field.name, field.kind),
            }
            let meter = !field.meter.is_empty();
            assert_eq!(
                meter,
                !matches!(field.kind, FieldKind::Text | FieldKind::Instant),
                "{}: numbers but instants are meters",
                field.name
            );
            assert!(
                !field.doc.is_empty() && !field.jmx.is_empty(),
                "{}",
                field.name
            );
            if let JmxView::KindFrom(kind) = field.jmx_view {
                assert!(STATUS_FIELDS.iter().any(|f| f.name == kind), "{kind}");
            }
        }
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        for field in STATUS_FIELDS
            .iter()
            .filter(|f| f.kind == FieldKind::Counter)
        {
            let FieldValue::Number(Some(n)) = (field.value)(&report) else {
                unreachable!()
            };
            assert_eq!(json[field.name].as_i64(), Some(n), "{}", field.name);
        }
    }

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
