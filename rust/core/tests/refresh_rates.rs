//! Source calls per hour in every failure mode, through the refresh engine's driver on the
//! manual clock, against the bounds the failure policy states. Prints the table that
//! bench/RESULTS.md quotes (`cargo test --test refresh_rates -- --nocapture`).
//!
//! The source answers 6-hour credentials (IMDS's lifetime) once, then fails in one way for good.
//! Two kinds of hour are counted:
//! - **credentials valid**: the hour that starts with the first round of the refresh window (the
//!   first call after the fetch). The advisory lead is 2 h here (the backoff options are the
//!   defaults), so that the whole hour lies inside the refresh window and before the mandatory
//!   window, which the "while valid" bounds exclude; with the default lead the window is 60 min
//!   plus jitter and its last minute is the mandatory window.
//! - **credentials expired**: the hour that starts 60 s after the expiry, default options.
//!
//! Each row is checked against its own bound, and against a floor: one round per ceiling of its
//! row of the failure policy (`REFUSED_BACKOFF_CAP`, the default backoff cap,
//! `UNROTATED_POLL_CAP`, `STALE_RETRY_CAP`), less one for where the hour starts — a failure mode
//! that backs off further than its row says fails the test too.

mod common;

use std::time::Duration;

use common::{arc_clock, manual_clock, settle, Answer, ScriptedSource};
use freshcreds::refresh::{
    RefreshConfig, RefreshEngine, DEFAULT_REFRESH_BACKOFF_CAP,
    MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID, MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID,
    MAX_ROUNDS_PER_HOUR, MAX_UNROTATED_ROUNDS_PER_HOUR_WHILE_VALID, REFUSED_BACKOFF_CAP,
    STALE_RETRY_CAP, UNROTATED_POLL_CAP,
};
use freshcreds::ErrorKind;

const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);
const LIFETIME: Duration = Duration::from_secs(6 * 3600);
/// The advisory lead of the "credentials valid" rows.
const LONG_LEAD: Duration = Duration::from_secs(2 * 3600);

/// Where the counted hour starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At the first round of the refresh window (lead [`LONG_LEAD`]).
    WindowOpens,
    /// 60 s after the expiry (default options).
    PastExpiry,
}

/// Calls to a source in the hour `start` says, after it answered [`LIFETIME`] credentials once
/// and then `then` for good.
async fn calls_in_an_hour(start: Start, then: Answer) -> u64 {
    let config = match start {
        Start::WindowOpens => RefreshConfig {
            lead: Some(LONG_LEAD),
            ..RefreshConfig::default()
        },
        Start::PastExpiry => RefreshConfig::default(),
    };
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fresh { lifetime: LIFETIME }, then]);
    let p = RefreshEngine::spawn(source.clone(), config.clone(), arc_clock(&clock));
    p.credentials().await.expect("first fetch");
    let expiry = LIFETIME; // the fetch was at the clock's origin, the server's Date is right
    let mut t = Duration::ZERO;
    let before = match start {
        Start::WindowOpens => {
            // The window opens LONG_LEAD plus up to a minute of jitter before the expiry.
            let earliest = expiry - LONG_LEAD - config.jitter - 10 * SEC;
            while t < earliest {
                clock.advance(10 * SEC);
                settle().await;
                t += 10 * SEC;
            }
            assert_eq!(source.calls(), 1, "no round before the window opens");
            while source.calls() == 1 {
                clock.advance(SEC);
                settle().await;
                t += SEC;
                assert!(t < expiry - LONG_LEAD + 10 * SEC, "the window did not open");
            }
            // The hour starts with this round: count it.
            1
        }
        Start::PastExpiry => {
            while t < expiry + 60 * SEC {
                clock.advance(10 * SEC);
                settle().await;
                t += 10 * SEC;
            }
            source.calls()
        }
    };
    let mut elapsed = Duration::ZERO;
    while elapsed + SEC < HOUR {
        clock.advance(SEC);
        settle().await;
        elapsed += SEC;
    }
    if start == Start::WindowOpens {
        let left = p.status().expires_in_millis.expect("an expiry");
        assert!(
            left > 60_000,
            "the hour ended inside the mandatory window ({left} ms left)"
        );
    }
    source.calls() - before
}

/// Every row within its bound and above its floor. Mutations of `rust/core/src/refresh/state.rs` it
/// catches (by hand, reverted): the non-retryable row capped at the 5-min backoff cap instead of
/// `REFUSED_BACKOFF_CAP` (21 calls, bound 18); the retryable row capped at `STALE_RETRY_CAP`
/// while credentials are valid (85, bound 32); the unrotated row on the 5-min backoff cap instead
/// of `UNROTATED_POLL_CAP` (22, floor 59). The property tests (`refresh_properties.rs`) assert
/// the same bounds under random scripts and clock moves.
#[tokio::test]
async fn every_failure_mode_stays_within_its_hourly_bound() {
    let rows: Vec<(&str, Start, Answer, u32, Duration)> = vec![
        (
            "non-retryable error (AccessDenied, InvalidIdentityToken, IMDS Code: Failure), credentials valid",
            Start::WindowOpens,
            Answer::Fail(ErrorKind::Refused),
            MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID,
            REFUSED_BACKOFF_CAP,
        ),
        (
            "retryable error (timeout, reset, 429, 5xx), credentials valid",
            Start::WindowOpens,
            Answer::Fail(ErrorKind::Http(503)),
            MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID,
            DEFAULT_REFRESH_BACKOFF_CAP,
        ),
        (
            "unrotated answers (same credentials), credentials valid",
            Start::WindowOpens,
            Answer::Same,
            MAX_UNROTATED_ROUNDS_PER_HOUR_WHILE_VALID,
            UNROTATED_POLL_CAP,
        ),
        (
            "retryable error, credentials expired (static stability)",
            Start::PastExpiry,
            Answer::Fail(ErrorKind::Connect),
            MAX_ROUNDS_PER_HOUR,
            STALE_RETRY_CAP,
        ),
        (
            "non-retryable error, credentials expired",
            Start::PastExpiry,
            Answer::Fail(ErrorKind::Refused),
            MAX_ROUNDS_PER_HOUR,
            STALE_RETRY_CAP,
        ),
        (
            "already-expired answers, credentials expired",
            Start::PastExpiry,
            Answer::Expired,
            MAX_ROUNDS_PER_HOUR,
            STALE_RETRY_CAP,
        ),
    ];
    println!("| failure mode | source calls in its first hour | bound |");
    println!("|---|---|---|");
    for (mode, start, answer, bound, ceiling) in rows {
        let calls = calls_in_an_hour(start, answer).await;
        println!("| {mode} | {calls} | {bound} |");
        assert!(calls <= u64::from(bound), "{mode}: {calls} > {bound}");
        let floor = HOUR.as_secs() / ceiling.as_secs() - 1;
        assert!(
            calls >= floor,
            "{mode}: {calls} calls, fewer than one per {ceiling:?} ({floor})"
        );
    }
}
