//! The refresh engine on its failure paths, on a manual clock: each test is a defect that was
//! measured on 0.1.0 and the behaviour that replaced it.

mod common;
#[path = "support/log_capture.rs"]
mod log_capture;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    arc_clock, lead_config as config, manual_clock, settle, started, wait_rounds, Answer,
    ScriptedSource,
};
use freshcreds::clock::{Clock, ManualClock};
use freshcreds::refresh::{
    RefreshConfig, RefreshEngine, RefreshState, MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID,
    MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID, STALE_RETRY_CAP,
};
use freshcreds::sources::server_clock::MAX_PLAUSIBLE_DATE_OFFSET;
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, Error, ErrorKind, Result};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const SEC: Duration = Duration::from_secs(1);

/// Moves the clock forward by `total` in steps of `step`, letting the engine run after each.
async fn run_for(clock: &ManualClock, total: Duration, step: Duration) {
    let mut done = Duration::ZERO;
    while done < total {
        clock.advance(step);
        settle().await;
        done += step;
    }
}

#[tokio::test]
async fn a_non_retryable_failure_backs_off_instead_of_being_retried_every_five_seconds() {
    // 0.1.0: one call per ERROR_CACHE_TTL, 720 an hour, for as long as the failure lasted.
    let clock = manual_clock();
    let source = ScriptedSource::fresh_then_failing(&clock, 6 * HOUR, ErrorKind::Refused);
    let p = started(&clock, source.clone(), config(2 * HOUR)).await;
    // Into the refresh window (4 h after the fetch), then one hour of refused refreshes.
    run_for(&clock, 4 * HOUR, MIN).await;
    let before = source.calls();
    run_for(&clock, HOUR, SEC).await;
    let in_the_hour = source.calls() - before;
    assert!(
        in_the_hour <= u64::from(MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID),
        "{in_the_hour} calls in an hour of refused refreshes (bound {MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID})"
    );
    assert!(in_the_hour >= 5, "it keeps trying: {in_the_hour}");
    assert!(
        !p.cached().unwrap().stale,
        "the valid credentials stay served"
    );
}

#[tokio::test]
async fn a_retryable_outage_while_credentials_are_valid_stays_within_its_hourly_bound() {
    let clock = manual_clock();
    let source = ScriptedSource::new(
        &clock,
        [
            Answer::Fresh { lifetime: 6 * HOUR },
            Answer::Fail(ErrorKind::Http(503)),
        ],
    );
    let _p = started(&clock, source.clone(), config(2 * HOUR)).await;
    run_for(&clock, 4 * HOUR, MIN).await;
    let before = source.calls();
    run_for(&clock, HOUR, SEC).await;
    let in_the_hour = source.calls() - before;
    assert!(
        in_the_hour <= u64::from(MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID),
        "{in_the_hour} calls (bound {MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID})"
    );
}

#[tokio::test]
async fn unchanged_polls_do_not_inflate_the_backoff_of_the_next_failure() {
    // 0.1.0: after 40 unchanged polls the first real failure waited 161-215 s.
    let clock = manual_clock();
    let mut script = vec![Answer::Fresh { lifetime: 6 * HOUR }];
    script.extend(std::iter::repeat_n(Answer::Same, 40));
    script.push(Answer::Fail(ErrorKind::Http(503)));
    script.push(Answer::Fresh { lifetime: 6 * HOUR });
    let source = ScriptedSource::new(&clock, script);
    let p = started(&clock, source.clone(), config(2 * HOUR)).await;
    let first = p.cached().unwrap().credentials;
    // To the refresh time, then poll by poll until the failure has happened.
    run_for(&clock, 4 * HOUR, MIN).await;
    while source.calls() < 42 {
        clock.advance(SEC);
        settle().await;
    }
    let failed_at = clock.now();
    while source.calls() < 43 {
        clock.advance(Duration::from_millis(250));
        settle().await;
        assert!(
            clock.now() - failed_at <= 10 * SEC,
            "the retry after the first failure waits at most 2 x the 5 s base"
        );
    }
    assert_ne!(
        p.cached().unwrap().credentials.access_key_id(),
        first.access_key_id()
    );
}

#[tokio::test]
async fn a_source_that_recovers_before_the_mandatory_window_is_asked_before_expiry() {
    // 0.1.0: backoff of up to 5 min was not clamped to the expiry; stale credentials were
    // served although the source had recovered.
    let clock = manual_clock();
    let fail = Arc::new(Mutex::new(true));
    let source = Arc::new(Switchable {
        clock: clock.clone(),
        failing: fail.clone(),
        lifetime: HOUR,
        calls: AtomicU64::new(0),
    });
    let p = started(&clock, source.clone(), config(20 * MIN)).await;
    let first = p.cached().unwrap();
    let expires_at = first.expires_at.unwrap();
    // Fail from the refresh time (40 min) until 2 minutes before expiry.
    while clock.now() + 2 * MIN < expires_at {
        clock.advance(SEC);
        settle().await;
        assert!(!p.cached().unwrap().stale);
    }
    *fail.lock().unwrap() = false;
    while clock.now() < expires_at {
        clock.advance(SEC);
        settle().await;
        if p.cached().unwrap().credentials.access_key_id() != first.credentials.access_key_id() {
            return;
        }
    }
    panic!("the recovered source was not asked before the credentials expired");
}

#[tokio::test]
async fn a_source_that_rotates_in_the_last_minute_is_polled_there() {
    // 0.1.0: inside the last minute unchanged credentials stopped the polling until expiry.
    let clock = manual_clock();
    let rotate_at = Arc::new(Mutex::new(None::<Duration>));
    let source = Arc::new(LateRotator {
        clock: clock.clone(),
        rotate_at: rotate_at.clone(),
        calls: AtomicU64::new(0),
    });
    let p = started(&clock, source.clone(), config(10 * MIN)).await;
    let first = p.cached().unwrap();
    let expires_at = first.expires_at.unwrap();
    *rotate_at.lock().unwrap() = Some(expires_at - 30 * SEC);
    // Picked up before the expiry, not at it.
    while clock.now() + 5 * SEC < expires_at {
        clock.advance(SEC);
        settle().await;
        if p.cached().unwrap().credentials.access_key_id() != first.credentials.access_key_id() {
            return;
        }
    }
    panic!("credentials rotated 30 s before expiry were not picked up before expiry");
}

#[tokio::test]
async fn after_expiry_retries_run_at_a_bounded_cadence() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh_then_failing(&clock, HOUR, ErrorKind::Connect);
    let p = started(&clock, source.clone(), config(10 * MIN)).await;
    run_for(&clock, HOUR + 10 * MIN, SEC).await;
    assert!(p.cached().unwrap().stale);
    let before = source.calls();
    run_for(&clock, HOUR, SEC).await;
    let calls = source.calls() - before;
    let most = HOUR.as_secs() / (STALE_RETRY_CAP.as_secs() / 2);
    let least = HOUR.as_secs() / STALE_RETRY_CAP.as_secs();
    assert!(
        (least..=most + 1).contains(&calls),
        "{calls} retries in an hour after expiry, expected {least}..={most}"
    );
}

#[tokio::test]
async fn static_stability_hands_out_an_expiry_in_the_future_and_reports_the_real_one() {
    // 0.1.0: credential-process and serve printed the past expiry, so the AWS CLI refused them;
    // status() counted expiresInMillis from the fetch.
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Expired]);
    let p = RefreshEngine::spawn(source, RefreshConfig::default(), arc_clock(&clock));
    let served = p
        .credentials()
        .await
        .expect("expired credentials are served");
    assert!(served.stale);
    let stated = served.credentials.expiration().unwrap();
    assert!(stated < clock.wall());
    let handed_out = served.expiration.expect("an expiry to hand out");
    assert!(
        handed_out >= clock.wall() + chrono::Duration::minutes(5),
        "handed out {handed_out}, now {}",
        clock.wall()
    );
    let status = p.status();
    let expires_in = status.expires_in_millis.unwrap();
    assert!(
        (-31_000..=-29_000).contains(&expires_in),
        "expired 30 s before the fetch: {expires_in}"
    );
    assert!(status.extension_ends_in_millis.unwrap() >= 5 * 60 * 1000);
    assert_eq!(
        status.served_expiration.as_deref(),
        Some(handed_out.to_rfc3339().as_str())
    );
}

#[tokio::test]
async fn credentials_that_expire_during_a_suspend_are_stale_at_once_after_resume() {
    // 0.1.0 anchored expiries on CLOCK_MONOTONIC, which stops while the machine sleeps.
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(10 * MIN)).await;
    let mut rounds = p.rounds();
    let first = p.cached().unwrap();
    clock.suspend(2 * HOUR);
    let after = p.cached().unwrap();
    assert!(after.stale, "read right after resume is flagged stale");
    assert_eq!(
        after.credentials.access_key_id(),
        first.credentials.access_key_id()
    );
    // The stale read woke the engine: a new round replaces them without any timer firing.
    wait_rounds(&mut rounds, 2).await;
    assert!(!p.cached().unwrap().stale);
}

#[tokio::test]
async fn the_engine_notices_a_resume_within_one_sleep_slice_and_refreshes() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, 6 * HOUR);
    let p = started(&clock, source.clone(), config(HOUR)).await;
    // Suspended into the refresh window but not past expiry: no read wakes the engine.
    clock.suspend(5 * HOUR + 30 * MIN);
    settle().await;
    assert_eq!(source.calls(), 1);
    clock.advance(freshcreds::refresh::MAX_SLEEP_SLICE);
    settle().await;
    assert_eq!(source.calls(), 2, "refreshed after the resume");
    assert_eq!(p.stats().resumes.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_panic_in_a_fetch_is_a_failed_round_and_the_engine_keeps_running() {
    // 0.1.0: the panic ended the background task; refresh() then waited forever.
    let clock = manual_clock();
    let source = Arc::new(PanicsOnce {
        clock: clock.clone(),
        calls: AtomicU64::new(0),
    });
    let p = RefreshEngine::spawn(source.clone(), config(10 * MIN), arc_clock(&clock));
    let mut rounds = p.rounds();
    wait_rounds(&mut rounds, 1).await;
    assert_eq!(p.stats().panics.load(Ordering::Relaxed), 1);
    let served = tokio::time::timeout(Duration::from_secs(5), p.refresh())
        .await
        .expect("refresh() returns")
        .expect("the second fetch works");
    assert_eq!(served.credentials.access_key_id(), "ASIAAFTERPANIC");
    assert!(p.status().last_error.is_none_or(|e| !e.contains("secret")));
}

#[tokio::test]
async fn a_forced_refresh_waits_for_a_round_that_started_after_the_request() {
    // 0.1.0: a refresh() issued while a round was in flight returned that round's result.
    let clock = manual_clock();
    let source = Arc::new(Slow {
        clock: clock.clone(),
        latency: 10 * SEC,
        calls: AtomicU64::new(0),
    });
    let p = RefreshEngine::spawn(source.clone(), config(10 * MIN), arc_clock(&clock));
    settle().await;
    assert_eq!(
        source.calls.load(Ordering::SeqCst),
        1,
        "first round in flight"
    );
    let refresher = {
        let p = p.clone();
        tokio::spawn(async move { p.refresh().await })
    };
    settle().await;
    clock.advance(10 * SEC); // the first round completes with credentials #1
    settle().await;
    assert!(
        !refresher.is_finished(),
        "the in-flight round does not count"
    );
    clock.advance(10 * SEC); // the forced round completes with #2
    let served = tokio::time::timeout(Duration::from_secs(5), refresher)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(served.credentials.access_key_id(), "ASIASLOW0002");
}

#[tokio::test]
async fn a_refresh_against_a_hanging_source_ends_with_a_timeout() {
    let clock = manual_clock();
    let source = Arc::new(Slow {
        clock: clock.clone(),
        latency: 100 * HOUR,
        calls: AtomicU64::new(0),
    });
    let p = RefreshEngine::spawn(source.clone(), config(10 * MIN), arc_clock(&clock));
    let refresher = {
        let p = p.clone();
        tokio::spawn(async move { p.refresh().await })
    };
    run_for(&clock, freshcreds::refresh::REFRESH_WAIT_LIMIT, SEC).await;
    let e = tokio::time::timeout(Duration::from_secs(5), refresher)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        source.calls.load(Ordering::SeqCst) >= 2,
        "hung rounds are abandoned"
    );
}

#[test]
fn a_server_date_far_from_local_time_does_not_stretch_the_lifetime() {
    // 0.1.0 trusted any Date: epoch 0 made a one-hour credential live 56 years.
    let clock = manual_clock();
    let wall = clock.wall();
    let state = RefreshState::new(config(10 * MIN));
    let f = Fetched {
        credentials: Credentials::new(
            "ASIA",
            "s",
            Some("t".into()),
            Some(wall + chrono::Duration::hours(1)),
            "t",
        ),
        server_date: Some(chrono::DateTime::UNIX_EPOCH),
    };
    let e = state.entry_for(Duration::ZERO, wall, &f);
    assert_eq!(e.expires_at, Some(HOUR));
    assert!(e.server_date_ignored);
    // A Date within the bound is trusted (a skewed local clock).
    let f = Fetched {
        server_date: Some(wall + chrono::Duration::minutes(10)),
        ..f
    };
    let e = state.entry_for(Duration::ZERO, wall, &f);
    assert_eq!(e.expires_at, Some(50 * MIN));
    assert!(!e.server_date_ignored);
    assert!(MAX_PLAUSIBLE_DATE_OFFSET >= HOUR);
}

#[test]
fn the_engine_and_the_signing_clock_judge_a_date_by_the_one_bound() {
    // A Date exactly at the bound is a reading for both; one second beyond it is one for neither.
    let clock = manual_clock();
    let wall = clock.wall();
    let state = RefreshState::new(config(10 * MIN));
    let bound = chrono::Duration::from_std(MAX_PLAUSIBLE_DATE_OFFSET).unwrap();
    let second = chrono::Duration::seconds(1);
    for (date, plausible) in [
        (wall - bound, true),
        (wall + bound, true),
        (wall - bound - second, false),
        (wall + bound + second, false),
    ] {
        // Credentials that live one hour from the Date.
        let expiry = date + chrono::Duration::hours(1);
        let f = Fetched {
            credentials: Credentials::new("ASIA", "s", None, Some(expiry), "t"),
            server_date: Some(date),
        };
        let e = state.entry_for(Duration::ZERO, wall, &f);
        assert_eq!(e.server_date_ignored, !plausible, "engine, Date {date}");
        let tracker = freshcreds::sources::server_clock::ServerClock::new();
        let observed = tracker.observe(
            date,
            wall,
            freshcreds::sources::server_clock::DateOrigin::Sts,
            "STS",
        );
        assert_eq!(observed.is_some(), plausible, "signing clock, Date {date}");
        if plausible {
            assert_eq!(e.expires_at, Some(HOUR), "anchored on the Date");
        }
    }
}

#[test]
fn a_skewed_clock_moves_the_handed_out_expiry_by_the_skew() {
    let clock = manual_clock();
    let wall = clock.wall();
    let state = RefreshState::new(config(10 * MIN));
    let server_now = wall + chrono::Duration::minutes(10); // local clock 10 min behind
    let stated = server_now + chrono::Duration::hours(1);
    let f = Fetched {
        credentials: Credentials::new("ASIA", "s", Some("t".into()), Some(stated), "t"),
        server_date: Some(server_now),
    };
    let e = state.entry_for(Duration::ZERO, wall, &f);
    assert_eq!(
        e.local_expiration,
        Some(stated - chrono::Duration::minutes(10)),
        "a local consumer must see the expiry on its own clock"
    );
}

#[tokio::test]
async fn long_term_credentials_are_fetched_again_when_the_source_asks_for_rechecks() {
    let clock = manual_clock();
    let source = Arc::new(Rewritable {
        key: Mutex::new("AKIAFIRST".into()),
        calls: AtomicU64::new(0),
    });
    let p = started(&clock, source.clone(), config(10 * MIN)).await;
    run_for(&clock, 2 * MIN, SEC).await;
    let polls = source.calls.load(Ordering::SeqCst);
    assert!(
        (3..=5).contains(&polls),
        "about one recheck per 30 s: {polls}"
    );
    *source.key.lock().unwrap() = "AKIASECOND".into();
    run_for(&clock, MIN, SEC).await;
    assert_eq!(
        p.cached().unwrap().credentials.access_key_id(),
        "AKIASECOND"
    );
}

#[tokio::test]
async fn long_term_credentials_from_a_source_without_rechecks_are_fetched_once() {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fail(ErrorKind::Connect)]);
    let long_term = Arc::new(Once {
        calls: AtomicU64::new(0),
    });
    let _p = started(&clock, long_term.clone(), config(10 * MIN)).await;
    run_for(&clock, HOUR, 10 * SEC).await;
    assert_eq!(long_term.calls.load(Ordering::SeqCst), 1);
    drop(source);
}

#[test]
fn option_values_out_of_range_are_refused_with_the_option_and_its_range() {
    use freshcreds::host::SourceOptions;
    // 0.1.0 took refreshBackoffBaseMillis=0: an unchanged-poll loop as fast as IMDS answers.
    for (key, value) in [
        ("refreshBackoffBaseMillis", "0"),
        ("imdsAttempts", "0"),
        ("imdsAttempts", "1000"),
        ("firstFetchTimeoutMillis", "1"),
        ("staleExtensionMillis", "0"),
    ] {
        let e = SourceOptions::from_pairs([(key, value)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(
            e.message().contains(&format!("`{key}`={value}"))
                && e.message().contains("out of range"),
            "{}",
            e.message()
        );
    }
    let e = SourceOptions::from_pairs([
        ("refreshBackoffBaseMillis", "60000"),
        ("refreshBackoffCapMillis", "10000"),
    ])
    .unwrap_err();
    assert!(e.message().contains("larger than"), "{}", e.message());
    assert!(SourceOptions::from_pairs([("refreshBackoffBaseMillis", "100")]).is_ok());
}

// --- sources for these tests -------------------------------------------------------------------

fn fresh(clock: &ManualClock, akid: String, lifetime: Duration) -> Fetched {
    let now = clock.true_wall();
    Fetched {
        credentials: Credentials::new(
            akid,
            "secret",
            Some("token".into()),
            Some(now + chrono::Duration::from_std(lifetime).unwrap()),
            "Test",
        ),
        server_date: Some(now),
    }
}

/// Fails with a 503 while `failing`, else answers new credentials each call.
#[derive(Debug)]
struct Switchable {
    clock: ManualClock,
    failing: Arc<Mutex<bool>>,
    lifetime: Duration,
    calls: AtomicU64,
}

impl CredentialSource for Switchable {
    fn name(&self) -> &str {
        "Switchable"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n > 1 && *self.failing.lock().unwrap() {
                return Err(Error::new(ErrorKind::Http(503), "down"));
            }
            Ok(fresh(&self.clock, format!("ASIASW{n:04}"), self.lifetime))
        })
    }
}

/// One-hour credentials, the same ones until `rotate_at`, then new ones.
#[derive(Debug)]
struct LateRotator {
    clock: ManualClock,
    rotate_at: Arc<Mutex<Option<Duration>>>,
    calls: AtomicU64,
}

impl CredentialSource for LateRotator {
    fn name(&self) -> &str {
        "LateRotator"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let rotated = self
                .rotate_at
                .lock()
                .unwrap()
                .is_some_and(|t| self.clock.now() >= t);
            if rotated {
                return Ok(fresh(&self.clock, "ASIASECOND".into(), HOUR));
            }
            let origin =
                self.clock.true_wall() - chrono::Duration::from_std(self.clock.now()).unwrap();
            Ok(Fetched {
                credentials: Credentials::new(
                    "ASIAFIRST",
                    "secret",
                    Some("token".into()),
                    Some(origin + chrono::Duration::hours(1)),
                    "Test",
                ),
                server_date: Some(self.clock.true_wall()),
            })
        })
    }
}

/// Panics on the first call, then answers.
#[derive(Debug)]
struct PanicsOnce {
    clock: ManualClock,
    calls: AtomicU64,
}

impl CredentialSource for PanicsOnce {
    fn name(&self) -> &str {
        "PanicsOnce"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("a bug in a source");
            }
            Ok(fresh(&self.clock, "ASIAAFTERPANIC".into(), HOUR))
        })
    }
}

/// Answers after `latency` on the clock, new credentials each call.
#[derive(Debug)]
struct Slow {
    clock: ManualClock,
    latency: Duration,
    calls: AtomicU64,
}

impl CredentialSource for Slow {
    fn name(&self) -> &str {
        "Slow"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.clock.sleep(self.latency).await;
            Ok(fresh(&self.clock, format!("ASIASLOW{n:04}"), HOUR))
        })
    }
}

/// Long-term keys that a test can rewrite (a credentials file), rechecked every 30 s.
#[derive(Debug)]
struct Rewritable {
    key: Mutex<String>,
    calls: AtomicU64,
}

impl CredentialSource for Rewritable {
    fn name(&self) -> &str {
        "Rewritable"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let key = self.key.lock().unwrap().clone();
            Ok(Fetched::local(Credentials::new(
                key, "secret", None, None, "Test",
            )))
        })
    }
    fn long_term_recheck(&self) -> Option<Duration> {
        Some(30 * SEC)
    }
}

#[tokio::test]
async fn an_implausible_date_is_counted_reported_and_warned_about_once() {
    let (warnings, _guard) = log_capture::Records::capture();
    let clock = manual_clock();
    // A server (as a fetcher may report it) whose Date is a second beyond the bound behind local
    // time, with credentials that are still valid on local time.
    let source = ScriptedSource::new(
        &clock,
        [Answer::Fresh {
            lifetime: 28 * HOUR,
        }],
    );
    *source.server_offset_secs.lock().unwrap() = -(MAX_PLAUSIBLE_DATE_OFFSET.as_secs() as i64 + 1);
    let p = RefreshEngine::spawn(source, config(10 * MIN), arc_clock(&clock));
    p.credentials().await.unwrap();
    p.refresh().await.unwrap();
    let status = p.status();
    assert_eq!(status.untrusted_dates, 2, "{status:?}");
    assert_eq!(
        status.skew_millis, 0,
        "an implausible Date is no skew reading"
    );
    let json: serde_json::Value = serde_json::from_str(&status.to_json()).unwrap();
    assert_eq!(json["untrustedDates"], 2, "{json}");
    let implausible: Vec<String> = warnings
        .at_least_warn()
        .into_iter()
        .filter(|m| m.contains(freshcreds::sources::server_clock::WARN_IMPLAUSIBLE_DATE))
        .collect();
    assert_eq!(implausible.len(), 1, "{implausible:?}");
}

/// Long-term keys from a source that does not ask for rechecks.
#[derive(Debug)]
struct Once {
    calls: AtomicU64,
}

impl CredentialSource for Once {
    fn name(&self) -> &str {
        "Once"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(Fetched::local(Credentials::new(
                "AKIAONCE", "secret", None, None, "Test",
            )))
        })
    }
}
