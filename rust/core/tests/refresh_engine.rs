//! The refresh engine on a manual clock: hours of credential lifetime pass in milliseconds.

mod common;

use std::time::Duration;

use common::{
    arc_clock, cached_key, lead_config as config, manual_clock, settle, started, wait_rounds,
    Answer, ScriptedSource,
};
use freshcreds::clock::Clock;
use freshcreds::refresh::{RefreshConfig, RefreshEngine, RefreshState};
use freshcreds::sources::Fetched;
use freshcreds::{Credentials, ErrorKind};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn refresh_happens_at_the_lead_time_before_expiry_and_not_before() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let mut rounds = p.rounds();
    let first = p.cached().unwrap().credentials;
    assert_eq!(source.calls(), 1);

    clock.advance(54 * MIN + Duration::from_secs(59));
    settle().await;
    assert_eq!(source.calls(), 1, "no refresh before expiry - lead");

    clock.advance(Duration::from_secs(1));
    wait_rounds(&mut rounds, 2).await;
    assert_eq!(source.calls(), 2);
    let second = p.cached().unwrap();
    assert_ne!(second.credentials.access_key_id(), first.access_key_id());
    assert!(!second.stale);
}

#[tokio::test]
async fn default_lead_follows_the_lifetime_tiers_and_never_exceeds_half_the_lifetime() {
    let clock = manual_clock();
    let cfg = RefreshConfig {
        jitter: Duration::ZERO,
        ..RefreshConfig::default()
    };
    let state = RefreshState::new(cfg);
    let at = |lifetime: Duration| {
        let wall = clock.wall();
        let f = Fetched {
            credentials: Credentials::new(
                "A",
                "s",
                None,
                Some(wall + chrono::Duration::from_std(lifetime).unwrap()),
                "t",
            ),
            server_date: Some(wall),
        };
        let e = state.entry_for(Duration::ZERO, wall, &f);
        e.expires_at.unwrap() - e.refresh_at.unwrap()
    };
    assert_eq!(at(6 * HOUR), 60 * MIN);
    assert_eq!(at(HOUR), 15 * MIN);
    assert_eq!(at(15 * MIN), 5 * MIN);
    assert_eq!(
        at(MIN),
        Duration::from_secs(30),
        "a 60 s lifetime refreshes half-way"
    );
}

#[tokio::test]
async fn jitter_spreads_refresh_times_within_the_configured_window() {
    let clock = manual_clock();
    let cfg = RefreshConfig {
        lead: Some(5 * MIN),
        jitter: MIN,
        ..RefreshConfig::default()
    };
    let state = RefreshState::new(cfg);
    let wall = clock.wall();
    let f = Fetched {
        credentials: Credentials::new("A", "s", None, Some(wall + chrono::Duration::hours(1)), "t"),
        server_date: Some(wall),
    };
    let leads: Vec<Duration> = (0..500)
        .map(|_| {
            let e = state.entry_for(Duration::ZERO, wall, &f);
            e.expires_at.unwrap() - e.refresh_at.unwrap()
        })
        .collect();
    assert!(
        leads.iter().all(|l| *l >= 5 * MIN && *l <= 6 * MIN),
        "lead within [5, 6] min"
    );
    let distinct: std::collections::HashSet<_> = leads.iter().map(|l| l.as_secs()).collect();
    assert!(
        distinct.len() > 30,
        "jitter should spread a fleet: {} distinct seconds",
        distinct.len()
    );
}

#[tokio::test]
async fn failed_refresh_keeps_serving_valid_credentials_and_backs_off_exponentially() {
    let clock = manual_clock();
    let source = ScriptedSource::new(
        &clock,
        [
            Answer::Fresh { lifetime: 6 * HOUR },
            Answer::Fail(ErrorKind::Http(503)),
        ],
    );
    // The outage starts 30 min before expiry, so no wait is clamped to the mandatory window.
    let p = started(&clock, source.clone(), config(30 * MIN)).await;
    let mut rounds = p.rounds();
    let first = p.cached().unwrap().credentials;

    clock.advance(5 * HOUR + 30 * MIN);
    wait_rounds(&mut rounds, 2).await;
    // Walk one second at a time through eight minutes of outage: rounds are spaced by the backoff.
    let mut call_times = vec![];
    for s in 0..(8 * 60) {
        let before = source.calls();
        clock.advance(Duration::from_secs(1));
        settle().await;
        if source.calls() > before {
            call_times.push(s + 1);
        }
        let served = p.cached().unwrap();
        assert_eq!(served.credentials.access_key_id(), first.access_key_id());
        assert!(!served.stale);
    }
    // Backoff 5 s base doubling (equal jitter: each gap in [ceiling/2, ceiling]), capped at 5 min.
    assert!(
        call_times.len() >= 4 && call_times.len() <= 8,
        "rounds during 8 min of outage: {call_times:?}"
    );
    let gaps: Vec<i32> = call_times.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, g) in gaps.iter().enumerate() {
        let ceiling = (5 * (1 << (i + 1))).min(300);
        assert!(
            *g as f64 >= ceiling as f64 / 2.0 - 1.0 && *g <= ceiling + 1,
            "gap {i} = {g}s, ceiling {ceiling}s, all {gaps:?}"
        );
    }
    assert!(
        p.stats()
            .failures
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 4
    );
    assert!(p.status().last_error.unwrap().contains("scripted failure"));
}

#[tokio::test]
async fn outage_past_expiry_serves_the_expired_credentials_flagged_counted_and_keeps_retrying() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh_then_failing(&clock, HOUR, ErrorKind::Connect);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let akid = cached_key(&p);

    clock.advance(HOUR + Duration::from_secs(1));
    settle().await;
    let served = p
        .credentials()
        .await
        .expect("static stability serves expired credentials");
    assert!(served.stale);
    assert_eq!(served.credentials.access_key_id(), akid);
    let ext = |p: &RefreshEngine| {
        p.stats()
            .stale_extensions
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert_eq!(ext(&p), 1);
    // Within one extension (5 to 10 min) no new extension is counted...
    clock.advance(4 * MIN);
    settle().await;
    p.cached().unwrap();
    assert_eq!(ext(&p), 1);
    // ...after it, another one is.
    clock.advance(7 * MIN);
    settle().await;
    assert!(p.cached().unwrap().stale);
    assert_eq!(ext(&p), 2);
    let calls_during_outage = source.calls();
    assert!(
        calls_during_outage >= 3,
        "still retrying: {calls_during_outage} calls"
    );
    // The source recovers: new credentials replace the stale ones.
    source.push([Answer::Fresh { lifetime: HOUR }]);
    clock.advance(6 * MIN);
    settle().await;
    let fresh = p.cached().unwrap();
    assert!(!fresh.stale);
    assert_ne!(fresh.credentials.access_key_id(), akid);
}

#[tokio::test]
async fn an_already_expired_answer_is_served_flagged_only_when_nothing_valid_is_cached() {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Expired]);
    let p = RefreshEngine::spawn(source.clone(), config(5 * MIN), arc_clock(&clock));
    let served = p
        .credentials()
        .await
        .expect("expired credentials are better than none");
    assert!(served.stale);
    assert_eq!(
        p.stats()
            .stale_responses
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // With valid credentials cached, an expired answer is ignored.
    source.push([Answer::Fresh { lifetime: HOUR }, Answer::Expired]);
    p.refresh().await.unwrap();
    let good = p.cached().unwrap();
    assert!(!good.stale);
    let _ = p.refresh().await;
    assert_eq!(
        p.cached().unwrap().credentials.access_key_id(),
        good.credentials.access_key_id()
    );
}

#[tokio::test]
async fn unrotated_answers_are_polled_again_with_backoff_until_new_credentials_appear() {
    let clock = manual_clock();
    let source = ScriptedSource::new(
        &clock,
        [
            Answer::Fresh { lifetime: HOUR },
            Answer::Same,
            Answer::Same,
            Answer::Same,
            Answer::Fresh { lifetime: HOUR },
        ],
    );
    let p = started(&clock, source.clone(), config(15 * MIN)).await;
    let first = cached_key(&p);
    clock.advance(45 * MIN);
    for _ in 0..120 {
        settle().await;
        clock.advance(Duration::from_secs(5));
    }
    settle().await;
    assert_eq!(
        source.calls(),
        5,
        "three polls found the old credentials, the fourth new ones"
    );
    assert_eq!(
        p.stats()
            .unrotated_polls
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    assert_ne!(p.cached().unwrap().credentials.access_key_id(), first);
}

#[tokio::test]
async fn expiry_is_kept_on_server_time_when_the_local_clock_is_behind_or_ahead() {
    for offset_secs in [-600i64, 600] {
        let clock = manual_clock();
        let source = ScriptedSource::fresh(&clock, HOUR);
        // The server's clock is `offset` away from ours.
        *source.server_offset_secs.lock().unwrap() = offset_secs;
        let p = started(&clock, source.clone(), config(5 * MIN)).await;
        let status = p.status();
        assert_eq!(
            status.skew_millis,
            -offset_secs * 1000,
            "skew measured as local minus server"
        );
        // Whatever the local clock says, the credentials live exactly one hour on the monotonic clock.
        let expires_in = status.expires_in_millis.unwrap();
        assert!(
            (3_599_000..=3_600_000).contains(&expires_in),
            "offset {offset_secs}: {expires_in}"
        );
        let mut rounds = p.rounds();
        clock.advance(55 * MIN);
        wait_rounds(&mut rounds, 2).await;
        assert_eq!(
            source.calls(),
            2,
            "refreshed 5 min before the server-time expiry (offset {offset_secs})"
        );
    }
}

#[tokio::test]
async fn a_wall_clock_jump_does_not_expire_or_refresh_cached_credentials() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    clock.shift_wall(chrono::Duration::hours(3));
    settle().await;
    let served = p.credentials().await.unwrap();
    assert!(!served.stale);
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn a_first_caller_waits_at_most_the_timeout_and_gets_an_error_naming_the_source() {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fail(ErrorKind::Timeout)]);
    let cfg = RefreshConfig {
        first_fetch_timeout: Duration::from_secs(3),
        ..config(5 * MIN)
    };
    let p = RefreshEngine::spawn(source.clone(), cfg, arc_clock(&clock));
    let waiter = tokio::spawn({
        let p = p.clone();
        async move { p.credentials().await }
    });
    settle().await;
    clock.advance(Duration::from_secs(3));
    let err = waiter.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.message()
            .contains("no credentials from Scripted after 3000 ms"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("scripted failure"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_configuration_error_reaches_a_first_caller_at_once_and_is_remembered_briefly() {
    let clock = manual_clock();
    let source = ScriptedSource::new(
        &clock,
        [
            Answer::Fail(ErrorKind::InvalidConfig),
            Answer::Fresh { lifetime: HOUR },
        ],
    );
    let p = RefreshEngine::spawn(source.clone(), config(5 * MIN), arc_clock(&clock));
    let err = p.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let again = p.credentials().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidConfig);
    assert_eq!(
        source.calls(),
        1,
        "the error is cached, the source not asked again"
    );
    clock.advance(Duration::from_secs(6));
    let ok = p
        .credentials()
        .await
        .expect("recovers after the error cache expires");
    assert!(!ok.stale);
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn a_forced_refresh_runs_at_once_even_during_backoff() {
    let clock = manual_clock();
    let source = ScriptedSource::new(
        &clock,
        [
            Answer::Fresh { lifetime: HOUR },
            Answer::Fail(ErrorKind::Http(500)),
        ],
    );
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    assert!(p.refresh().await.is_err());
    source.push([Answer::Fresh { lifetime: HOUR }]);
    let calls = source.calls();
    let served = p
        .refresh()
        .await
        .expect("forced refresh ignores the backoff");
    assert_eq!(source.calls(), calls + 1);
    assert_eq!(served.credentials.access_key_id(), "ASIASCRIPTED0003");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_callers_share_one_first_fetch() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = RefreshEngine::spawn(source.clone(), config(5 * MIN), arc_clock(&clock));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move {
                p.credentials()
                    .await
                    .map(|s| s.credentials.access_key_id().to_string())
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "ASIASCRIPTED0001");
    }
    assert_eq!(source.calls(), 1);
}

/// A log writer that takes 200 ms per write, as a slow log handler (the JVM's, through the log
/// queue) makes the engine's warnings slow.
struct SlowWriter;

impl std::io::Write for SlowWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(200));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_caller_failed_by_a_non_retryable_error_finds_it_in_the_status_at_once() {
    // The engine's threads log warnings slowly; the caller asks once the failure is counted,
    // while the warning is being written. The error it gets must already be in the status.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| {
            let slow = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::WARN)
                .with_writer(|| SlowWriter)
                .finish();
            // For the thread's life: the engine's tasks run on these threads.
            std::mem::forget(tracing::dispatcher::set_default(&tracing::Dispatch::new(
                slow,
            )));
        })
        .build()
        .unwrap();
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fail(ErrorKind::Refused)]);
    let p = RefreshEngine::spawn_on(
        source,
        RefreshConfig::default(),
        arc_clock(&clock),
        runtime.handle(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while p.stats().failures.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first round never failed"
        );
        std::thread::yield_now();
    }
    let e = runtime.block_on(p.credentials()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    let status = p.status();
    assert_eq!(status.last_error_kind, Some("REFUSED"), "{status:?}");
    p.close();
}
