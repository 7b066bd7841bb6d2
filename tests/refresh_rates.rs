//! Source calls per hour in every failure mode, on the manual clock with the default
//! configuration, against the bounds the failure policy states. Prints the table that
//! bench/RESULTS.md quotes (`cargo test --test refresh_rates -- --nocapture`).

mod common;

use std::time::Duration;

use common::{arc_clock, manual_clock, settle, Answer, ScriptedSource};
use freshcreds::refresh::{
    RefreshConfig, RefreshingProvider, MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID,
    MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID, MAX_ROUNDS_PER_HOUR,
};
use freshcreds::ErrorKind;

const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

/// Calls to a source in the hour after `first` stops being its answer, with credentials of
/// `lifetime`, starting `offset` after the first fetch (inside the refresh window, or past expiry).
async fn calls_in_an_hour(lifetime: Duration, offset: Duration, then: Answer) -> u64 {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fresh { lifetime }, then]);
    let p = RefreshingProvider::spawn(source.clone(), RefreshConfig::default(), arc_clock(&clock));
    p.credentials().await.expect("first fetch");
    let mut t = Duration::ZERO;
    while t < offset {
        clock.advance(10 * SEC);
        settle().await;
        t += 10 * SEC;
    }
    let before = source.calls();
    let mut t = Duration::ZERO;
    while t < HOUR {
        clock.advance(SEC);
        settle().await;
        t += SEC;
    }
    source.calls() - before
}

#[tokio::test]
async fn every_failure_mode_stays_within_its_hourly_bound() {
    let six_hours = 6 * HOUR;
    // 6-hour IMDS credentials: the refresh window opens 60 min (+ jitter) before expiry.
    let in_window = 4 * HOUR + 50 * 60 * SEC;
    let past_expiry = 6 * HOUR + 60 * SEC;
    let rows: Vec<(&str, Duration, Answer, u32)> = vec![
        (
            "non-retryable error (AccessDenied, InvalidIdentityToken, IMDS Code: Failure), credentials valid",
            in_window,
            Answer::Fail(ErrorKind::Refused),
            MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID,
        ),
        (
            "retryable error (timeout, reset, 429, 5xx), credentials valid",
            in_window,
            Answer::Fail(ErrorKind::Http(503)),
            MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID,
        ),
        (
            "unrotated answers (same credentials), credentials valid",
            in_window,
            Answer::Same,
            MAX_ROUNDS_PER_HOUR,
        ),
        (
            "retryable error, credentials expired (static stability)",
            past_expiry,
            Answer::Fail(ErrorKind::Connect),
            MAX_ROUNDS_PER_HOUR,
        ),
        (
            "non-retryable error, credentials expired",
            past_expiry,
            Answer::Fail(ErrorKind::Refused),
            MAX_ROUNDS_PER_HOUR,
        ),
        (
            "already-expired answers, credentials expired",
            past_expiry,
            Answer::Expired,
            MAX_ROUNDS_PER_HOUR,
        ),
    ];
    println!("| failure mode | source calls in its first hour | bound |");
    println!("|---|---|---|");
    for (mode, offset, answer, bound) in rows {
        let calls = calls_in_an_hour(six_hours, offset, answer).await;
        println!("| {mode} | {calls} | {bound} |");
        assert!(calls <= u64::from(bound), "{mode}: {calls} > {bound}");
        assert!(calls >= 3, "{mode}: it keeps trying ({calls})");
    }
}
