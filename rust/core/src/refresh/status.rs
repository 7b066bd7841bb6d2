//! Counters and a status report for hosts (`status_json`) and the `doctor` command, and the
//! one list of the report's fields ([`status_fields`]) that every view iterates: the JSON
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
    /// The same as epoch milliseconds, for hosts that want a number.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A number (`None`: no value, e.g. no credentials yet); a flag is 0 or 1.
    Number(Option<i64>),
    /// A text (`None`: no value).
    Text(Option<String>),
}

/// One field of the status report: what each view needs to show it. Views iterate
/// [`status_fields`] instead of naming fields, so a new field reaches all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusField {
    /// The JSON key (camelCase), also the name Java's `FreshCredentialsStatus.number/text` take.
    pub name: &'static str,
    /// What it measures.
    pub kind: FieldKind,
    /// The unit of a number (`milliseconds`, `events`), empty for flags, instants and texts.
    pub unit: &'static str,
    /// The Micrometer meter name, empty when the field is not a meter (texts, instants).
    pub meter: &'static str,
    /// The JMX attribute name.
    pub jmx: &'static str,
    /// How JMX shows a text by default.
    pub jmx_view: JmxView,
    /// One line for operators (JMX attribute and Micrometer meter descriptions).
    pub doc: &'static str,
}

/// The rows of the status fields: one tab-separated line per field (`status_fields.tsv`, whose
/// header says the columns). A data file rather than code, so that a field is one line.
const STATUS_FIELD_ROWS: &str = include_str!("status_fields.tsv");

impl FieldKind {
    fn parse(name: &str) -> Option<FieldKind> {
        [
            FieldKind::Counter,
            FieldKind::Gauge,
            FieldKind::Time,
            FieldKind::Instant,
            FieldKind::Flag,
            FieldKind::Text,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

impl JmxView {
    fn parse(text: &'static str) -> Option<JmxView> {
        match text {
            "plain" => Some(JmxView::Plain),
            "masked" => Some(JmxView::Masked),
            _ => text.strip_prefix("kind:").map(JmxView::KindFrom),
        }
    }
}

/// One row of `status_fields.tsv`, or what is wrong with it.
fn parse_row(line: &'static str) -> Result<StatusField, String> {
    let cells: Vec<&'static str> = line
        .split('\t')
        .map(|c| if c == "-" { "" } else { c })
        .collect();
    let [name, kind, unit, meter, jmx, view, doc] = cells[..] else {
        return Err(format!("7 tab-separated cells expected: {line}"));
    };
    Ok(StatusField {
        name,
        kind: FieldKind::parse(kind).ok_or_else(|| format!("unknown kind {kind}: {line}"))?,
        unit,
        meter,
        jmx,
        jmx_view: JmxView::parse(view).ok_or_else(|| format!("unknown JMX view {view}: {line}"))?,
        doc,
    })
}

/// Every field of the status report, in the order of the JNI arrays (numbers and texts each
/// keep this order). Each view iterates it: the JSON status (whose keys are these names),
/// `FreshCredentialsStatus`, the JMX MBean and the Micrometer binder. The rows are checked by
/// this module's tests; a row that does not parse (impossible once they pass) is left out.
pub fn status_fields() -> &'static [StatusField] {
    static FIELDS: std::sync::OnceLock<Vec<StatusField>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        STATUS_FIELD_ROWS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| parse_row(l).ok())
            .collect()
    })
}

impl Status {
    /// The value of each of [`status_fields`], in its order, read from this report's JSON form
    /// (so a field's value is what its JSON key holds).
    pub fn field_values(&self) -> Vec<FieldValue> {
        let json = serde_json::to_value(self).unwrap_or_default();
        status_fields()
            .iter()
            .map(|f| {
                let v = &json[f.name];
                match f.kind {
                    FieldKind::Text => FieldValue::Text(v.as_str().map(str::to_string)),
                    FieldKind::Flag => FieldValue::Number(v.as_bool().map(i64::from)),
                    _ => FieldValue::Number(v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX))),
                }
            })
            .collect()
    }
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
        let names: Vec<&str> = status_fields().iter().map(|f| f.name).collect();
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
                "RefreshStats::{field} is counted but has no row in status_fields.tsv, so no view reports it"
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
            status_fields().iter().map(|f| f.name).collect();
        assert_eq!(keys, names, "the JSON status and status_fields.tsv differ");
        assert_eq!(names.len(), status_fields().len(), "a row is listed twice");
    }

    #[test]
    fn every_row_parses_and_reads_a_value_of_its_kind() {
        let rows = STATUS_FIELD_ROWS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        for row in rows.clone() {
            parse_row(row).unwrap();
        }
        assert_eq!(rows.count(), status_fields().len());
        let report = full_report();
        for (field, value) in status_fields().iter().zip(report.field_values()) {
            match (field.kind.is_number(), &value) {
                (true, FieldValue::Number(Some(_))) | (false, FieldValue::Text(Some(_))) => {}
                (_, v) => panic!("{}: {v:?} for a {:?}", field.name, field.kind),
            }
            assert_eq!(
                !field.meter.is_empty(),
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
                assert!(status_fields().iter().any(|f| f.name == kind), "{kind}");
            }
        }
    }

    #[test]
    fn a_counter_crosses_as_the_number_the_json_holds() {
        let stats = RefreshStats::default();
        stats.untrusted_dates.store(7, Ordering::Relaxed);
        stats.rounds.store(u64::MAX, Ordering::Relaxed);
        let report = Status::build("Env", None, MonoTime::ZERO, Utc::now(), None, &stats);
        let values: Vec<(&str, FieldValue)> = status_fields()
            .iter()
            .map(|f| f.name)
            .zip(report.field_values())
            .collect();
        let value = |name: &str| values.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(value("untrustedDates"), FieldValue::Number(Some(7)));
        assert_eq!(
            value("rounds"),
            FieldValue::Number(Some(i64::MAX)),
            "saturated"
        );
        assert_eq!(value("accessKeyId"), FieldValue::Text(None));
        assert_eq!(value("expiresInMillis"), FieldValue::Number(None));
        assert_eq!(value("stale"), FieldValue::Number(Some(0)));
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
