//! Minimum validity (`RefreshEngine::credentials_valid_for`): credentials valid for at
//! least the asked time, or a typed error that says how long the best ones last and when more
//! may be — never shorter ones; one round however many callers ask at once, and at most
//! `MAX_VALIDITY_ROUNDS_PER_HOUR` rounds an hour however often they ask. On a manual clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    arc_clock, lead_config as config, manual_clock, settle, started, Answer, ScriptedSource,
};
use freshcreds::clock::Clock;
use freshcreds::refresh::{
    words, RefreshConfig, RefreshEngine, RefreshState, ValidityAsk,
    MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID, MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID,
    MAX_ROUNDS_PER_HOUR, MAX_VALIDITY_ROUNDS_PER_HOUR, MIN_VALIDITY_ROUND_INTERVAL,
};
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched, LifetimeCap};
use freshcreds::{Credentials, Error, ErrorKind, Result};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const SEC: Duration = Duration::from_secs(1);

/// The time left on `served` on the provider's clock.
fn left(p: &RefreshEngine, served: &freshcreds::refresh::Served) -> Duration {
    served.expires_at.unwrap().saturating_sub(p.clock().now())
}

fn insufficient(result: Result<freshcreds::refresh::Served>) -> Error {
    match result {
        Ok(s) => panic!("credentials {} were handed out", s.credentials),
        Err(e) => {
            assert_eq!(
                e.kind(),
                ErrorKind::InsufficientValidity,
                "{}",
                e.full_message()
            );
            e
        }
    }
}

#[tokio::test]
async fn cached_credentials_that_last_long_enough_are_handed_out_without_asking_the_source() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let served = p.credentials_valid_for(30 * MIN).await.unwrap();
    assert!(left(&p, &served) >= 30 * MIN);
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn credentials_expiring_too_soon_are_replaced_by_one_round_however_many_callers_ask() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    // 40 minutes later 20 are left: not enough for 30.
    clock.advance(40 * MIN);
    settle().await;
    assert_eq!(source.calls(), 1, "no refresh due yet (5-minute lead)");

    let callers: Vec<_> = (0..16)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.credentials_valid_for(30 * MIN).await })
        })
        .collect();
    for c in callers {
        let served = c.await.unwrap().unwrap();
        assert_eq!(served.credentials.access_key_id(), "ASIASCRIPTED0002");
        assert!(left(&p, &served) >= 30 * MIN);
    }
    assert_eq!(source.calls(), 2, "one round for 16 callers");
}

#[tokio::test]
async fn a_source_whose_credentials_are_shorter_than_asked_gets_a_typed_error_naming_its_limit() {
    let clock = manual_clock();
    // An STS session capped at 15 minutes, with no cap declared up front.
    let source = ScriptedSource::fresh(&clock, 15 * MIN);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    clock.advance(2 * MIN);

    let e = insufficient(p.credentials_valid_for(20 * MIN).await);
    assert_eq!(source.calls(), 2, "one round to find out");
    let s = e.shortfall().expect("the shortfall");
    assert_eq!(s.requested, 20 * MIN);
    assert_eq!(s.source_limit, Some(15 * MIN), "{}", e.message());
    assert_eq!(s.more_at, None, "more never comes from this source");
    assert_eq!(
        s.available,
        15 * MIN,
        "the credentials issued by that round"
    );
    assert!(e.message().contains("valid for 20 min"), "{}", e.message());
    assert!(e.message().contains("at most 15 min"), "{}", e.message());
    assert!(e.message().contains("Scripted"), "{}", e.message());

    // What the source gives is still handed out for what it covers.
    let served = p.credentials_valid_for(10 * MIN).await.unwrap();
    assert!(left(&p, &served) >= 10 * MIN);
}

/// A source whose configuration caps its credentials (a role session's `DurationSeconds`).
#[derive(Debug)]
struct Capped {
    inner: Arc<ScriptedSource>,
    cap: Duration,
}

impl CredentialSource for Capped {
    fn name(&self) -> &str {
        "Capped"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        self.inner.fetch()
    }
    fn lifetime_cap(&self) -> Option<LifetimeCap> {
        Some(LifetimeCap::of_role_session(Some(self.cap)))
    }
}

#[tokio::test]
async fn a_declared_lifetime_cap_below_the_ask_fails_at_once_without_asking_the_source() {
    let clock = manual_clock();
    let inner = ScriptedSource::fresh(&clock, 15 * MIN);
    let source = Arc::new(Capped {
        inner: inner.clone(),
        cap: 15 * MIN,
    });
    let p = started(&clock, source, config(5 * MIN)).await;
    for _ in 0..100 {
        let e = insufficient(p.credentials_valid_for(20 * MIN).await);
        assert_eq!(e.shortfall().unwrap().source_limit, Some(15 * MIN));
        assert!(
            e.message().contains("DurationSeconds=900"),
            "{}",
            e.message()
        );
    }
    settle().await;
    assert_eq!(inner.calls(), 1, "only the first fetch");
    assert!(p.credentials_valid_for(10 * MIN).await.is_ok());
}

#[tokio::test]
async fn a_source_that_has_not_rotated_yet_gets_an_error_saying_when_it_is_asked_again() {
    let clock = manual_clock();
    // IMDS: the same credentials until it rotates them.
    let source = ScriptedSource::new(&clock, [Answer::Fresh { lifetime: HOUR }, Answer::Same]);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    clock.advance(50 * MIN);
    settle().await;

    let e = insufficient(p.credentials_valid_for(20 * MIN).await);
    assert_eq!(source.calls(), 2);
    let s = e.shortfall().unwrap().clone();
    assert_eq!(s.source_limit, None);
    assert_eq!(s.available, 10 * MIN);
    let more_at = s.more_at.expect("when the source is asked again");
    let after = (more_at - clock.wall()).to_std().unwrap();
    assert!(
        after >= MIN_VALIDITY_ROUND_INTERVAL - SEC && after <= MIN_VALIDITY_ROUND_INTERVAL + SEC,
        "{after:?}"
    );
    assert!(e.message().contains("asked again at"), "{}", e.message());

    // Asked again at once: answered from what is known, the source is not asked.
    let e = insufficient(p.credentials_valid_for(20 * MIN).await);
    settle().await;
    assert_eq!(source.calls(), 2);
    assert_eq!(e.shortfall().unwrap().more_at, Some(more_at));

    // Once it rotates and the interval has passed, the next ask gets the new credentials.
    source.push([Answer::Fresh { lifetime: HOUR }]);
    clock.advance(MIN_VALIDITY_ROUND_INTERVAL);
    settle().await;
    let served = p.credentials_valid_for(20 * MIN).await.unwrap();
    assert!(left(&p, &served) >= 20 * MIN);
    assert_eq!(source.calls(), 3);
}

#[tokio::test]
async fn a_failing_source_gets_an_error_with_the_failure_and_stale_credentials_are_never_handed_out(
) {
    let clock = manual_clock();
    let source = ScriptedSource::fresh_then_failing(&clock, HOUR, ErrorKind::Connect);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    clock.advance(50 * MIN);
    settle().await;
    let e = insufficient(p.credentials_valid_for(20 * MIN).await);
    assert!(e.message().contains("scripted failure"), "{}", e.message());
    assert!(e.shortfall().unwrap().more_at.is_some());

    // Past expiry, served stale by static stability: a minimum validity is never met by them.
    clock.advance(20 * MIN);
    settle().await;
    assert!(p.cached().unwrap().stale);
    let e = insufficient(p.credentials_valid_for(SEC).await);
    let s = e.shortfall().unwrap();
    assert_eq!(s.available, Duration::ZERO);
    assert_eq!(s.expiration, None);
    assert!(
        e.message().contains("no valid credentials"),
        "{}",
        e.message()
    );
}

#[tokio::test]
async fn long_term_keys_cover_any_minimum_validity() {
    #[derive(Debug)]
    struct Keys;
    impl CredentialSource for Keys {
        fn name(&self) -> &str {
            "Keys"
        }
        fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
            Box::pin(async {
                Ok(Fetched::local(Credentials::new(
                    "AKIDKEYS", "s", None, None, "Keys",
                )))
            })
        }
    }
    let clock = manual_clock();
    let p = started(&clock, Arc::new(Keys), RefreshConfig::default()).await;
    assert!(p.credentials_valid_for(100 * HOUR).await.is_ok());
}

/// Source calls in an hour during which a caller asks for `min` every second, after a first
/// fetch of credentials of `lifetime`, with the source answering `then` from its second call on.
async fn calls_in_an_hour_of_asks(lifetime: Duration, then: Answer, min: Duration) -> u64 {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fresh { lifetime }, then]);
    let p = RefreshEngine::spawn(source.clone(), RefreshConfig::default(), arc_clock(&clock));
    p.credentials().await.expect("first fetch");
    let before = source.calls();
    let mut t = Duration::ZERO;
    while t < HOUR {
        let _ = p.credentials_valid_for(min).await;
        clock.advance(SEC);
        settle().await;
        t += SEC;
    }
    p.close();
    source.calls() - before
}

#[tokio::test]
async fn asks_every_second_for_an_hour_stay_within_the_failure_policy_and_the_validity_bound() {
    // Healthy but short: the asks alone decide, one round per MIN_VALIDITY_ROUND_INTERVAL.
    // Every other mode: the failure policy's own bound for it (refresh_rates.rs), unchanged by
    // the asks, which wait for the same waits.
    let rows: Vec<(&str, Duration, Answer, Duration, u32)> = vec![
        (
            "fresh 15-minute credentials, 20 minutes asked",
            15 * MIN,
            Answer::Fresh { lifetime: 15 * MIN },
            20 * MIN,
            MAX_VALIDITY_ROUNDS_PER_HOUR,
        ),
        (
            "unrotated answers, then expired (15-minute credentials)",
            15 * MIN,
            Answer::Same,
            20 * MIN,
            MAX_ROUNDS_PER_HOUR,
        ),
        (
            "retryable error, credentials valid (6 h, 7 h asked)",
            6 * HOUR,
            Answer::Fail(ErrorKind::Http(503)),
            7 * HOUR,
            MAX_RETRYABLE_ROUNDS_PER_HOUR_WHILE_VALID,
        ),
        (
            "non-retryable error, credentials valid (6 h, 7 h asked)",
            6 * HOUR,
            Answer::Fail(ErrorKind::Refused),
            7 * HOUR,
            MAX_REFUSED_ROUNDS_PER_HOUR_WHILE_VALID,
        ),
        (
            "retryable error, credentials expiring (15 min)",
            15 * MIN,
            Answer::Fail(ErrorKind::Connect),
            20 * MIN,
            MAX_ROUNDS_PER_HOUR,
        ),
    ];
    println!("| mode, asks every second | source calls in the hour | bound |");
    println!("|---|---|---|");
    for (mode, lifetime, then, min, bound) in rows {
        let calls = calls_in_an_hour_of_asks(lifetime, then, min).await;
        println!("| {mode} | {calls} | {bound} |");
        assert!(
            calls <= u64::from(bound),
            "{mode}: {calls} source calls, bound {bound}"
        );
        assert!(calls >= 3, "{mode}: the asks are served ({calls})");
    }
}

#[test]
fn asks_every_ten_milliseconds_start_at_most_one_round_per_interval() {
    // The state machine alone, as a fleet of threads would ask: a source that answers each
    // round with fresh credentials shorter than asked.
    let wall0 = chrono::Utc::now();
    let mut state = RefreshState::new(RefreshConfig {
        jitter: Duration::ZERO,
        ..RefreshConfig::default()
    });
    let fresh = |n: u32, now: Duration| {
        let wall = wall0 + chrono::Duration::from_std(now).unwrap();
        Fetched {
            credentials: Credentials::new(
                format!("ASIAKEY{n:05}"),
                "s",
                Some("t".into()),
                Some(wall + chrono::Duration::minutes(15)),
                "test",
            ),
            server_date: Some(wall),
        }
    };
    let mut now = SEC;
    state.on_fetched(now, wall0 + chrono::Duration::seconds(1), fresh(0, now));
    let span = 10 * MIN;
    let end = now + span;
    let mut rounds = 0u32;
    while now < end {
        let ask = state.want_validity(20 * MIN, now);
        if state.due(now).is_some() {
            assert_eq!(ask, ValidityAsk::Due);
            rounds += 1;
            let wall = wall0 + chrono::Duration::from_std(now).unwrap();
            state.on_fetched(now, wall, fresh(rounds, now));
        } else {
            assert!(
                matches!(ask, ValidityAsk::Deferred(at) if at > now),
                "{ask:?}"
            );
        }
        now += Duration::from_millis(10);
    }
    let bound = (span.as_secs() / MIN_VALIDITY_ROUND_INTERVAL.as_secs()) as u32 + 1;
    assert!(
        rounds <= bound,
        "{rounds} rounds in {span:?}, bound {bound}"
    );
    // The first round follows the first fetch by one interval.
    assert!(
        rounds >= bound - 2,
        "{rounds}: asks are served once the interval has passed"
    );
}

#[test]
fn durations_read_as_words() {
    assert_eq!(words(15 * MIN), "15 minutes");
    assert_eq!(words(14 * MIN + 59 * SEC), "14 minutes 59 seconds");
    assert_eq!(words(90 * MIN + SEC), "1 hour 30 minutes 1 second");
    assert_eq!(words(Duration::from_millis(300)), "0 seconds");
}
