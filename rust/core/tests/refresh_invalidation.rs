//! Rejected credentials (`ExpiredToken` before their stated expiry) reported to the engine: one
//! round replaces them, however many callers report them, and the source sees at most one
//! invalidation round per `MIN_INVALIDATION_INTERVAL`. On a manual clock.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{
    cached_key, lead_config as config, manual_clock, settle, started, Answer, ScriptedSource,
};
use freshcreds::refresh::{
    Invalidation, RefreshConfig, RefreshState, INVALIDATION_WAIT_LIMIT, MIN_INVALIDATION_INTERVAL,
};
use freshcreds::sources::Fetched;
use freshcreds::{Credentials, ErrorKind};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_rejected_key_is_replaced_by_one_round_however_many_callers_report_it() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let rejected = cached_key(&p);

    let callers: Vec<_> = (0..16)
        .map(|_| {
            let (p, rejected) = (p.clone(), rejected.clone());
            tokio::spawn(async move { p.replace_rejected(&rejected).await })
        })
        .collect();
    let mut results = Vec::new();
    for c in callers {
        results.push(c.await.unwrap());
    }

    assert_eq!(
        source.calls(),
        2,
        "one round for 16 reports of the same key"
    );
    for r in results {
        let served = r.unwrap().unwrap();
        assert_ne!(served.credentials.access_key_id(), rejected);
    }
    let reports = p.status().invalidations;
    assert!(reports >= 1);
    p.replace_rejected(&rejected).await.unwrap();
    assert_eq!(source.calls(), 2);
    assert_eq!(
        p.status().invalidations,
        reports,
        "a report after the replacement names a stale key: not counted"
    );
}

#[tokio::test]
async fn a_key_this_engine_never_served_is_ignored_and_the_source_is_not_asked() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;

    assert_eq!(p.invalidate("ASIANOTCACHED"), Invalidation::Unknown);
    assert!(p.replace_rejected("ASIANOTCACHED").await.unwrap().is_none());
    settle().await;

    assert_eq!(source.calls(), 1);
    assert_eq!(p.status().invalidations, 0);
}

#[tokio::test]
async fn a_key_replaced_already_is_ignored_and_the_newer_credentials_are_handed_out() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh(&clock, HOUR);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let first = cached_key(&p);
    p.replace_rejected(&first).await.unwrap();
    assert_eq!(source.calls(), 2);

    assert_eq!(p.invalidate(&first), Invalidation::AlreadyReplaced);
    let served = p.replace_rejected(&first).await.unwrap().unwrap();
    settle().await;
    assert_eq!(source.calls(), 2, "a stale key starts no round");
    assert_eq!(served.credentials.access_key_id(), "ASIASCRIPTED0002");
}

#[tokio::test]
async fn a_source_that_still_serves_the_rejected_key_is_asked_again_only_after_the_interval() {
    let clock = manual_clock();
    let source = ScriptedSource::new(&clock, [Answer::Fresh { lifetime: HOUR }, Answer::Same]);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let rejected = cached_key(&p);

    let served = p.replace_rejected(&rejected).await.unwrap().unwrap();
    assert_eq!(
        served.credentials.access_key_id(),
        rejected,
        "nothing newer yet"
    );
    assert_eq!(source.calls(), 2);

    // Reported again at once: deferred, the source is not asked.
    let again = p.invalidate(&rejected);
    assert!(matches!(again, Invalidation::Deferred(_)), "{again:?}");
    let served = p.replace_rejected(&rejected).await.unwrap().unwrap();
    settle().await;
    assert_eq!(served.credentials.access_key_id(), rejected);
    assert_eq!(source.calls(), 2, "no second round within the interval");

    // Once the interval (and the unrotated row's backoff) has passed, one more round.
    source.push([Answer::Fresh { lifetime: HOUR }]);
    let mut rounds = p.rounds();
    rounds.borrow_and_update();
    clock.advance(MIN_INVALIDATION_INTERVAL);
    tokio::time::timeout(Duration::from_secs(10), rounds.changed())
        .await
        .expect("a round after the interval")
        .unwrap();
    assert_eq!(source.calls(), 3);
    assert_ne!(p.cached().unwrap().credentials.access_key_id(), rejected);
}

#[tokio::test]
async fn a_failed_replacement_returns_the_rejected_key_without_waiting_for_the_backoff() {
    let clock = manual_clock();
    let source = ScriptedSource::fresh_then_failing(&clock, HOUR, ErrorKind::Connect);
    let p = started(&clock, source.clone(), config(5 * MIN)).await;
    let rejected = cached_key(&p);

    // The manual clock does not move: returning at all shows the caller did not wait for the
    // backoff, nor for INVALIDATION_WAIT_LIMIT.
    let served = tokio::time::timeout(Duration::from_secs(10), p.replace_rejected(&rejected))
        .await
        .expect("returns after the failed round")
        .unwrap()
        .unwrap();
    assert_eq!(served.credentials.access_key_id(), rejected);
    assert_eq!(source.calls(), 2);
    assert!(INVALIDATION_WAIT_LIMIT > Duration::ZERO);
}

/// Drives the state machine for `span`, rejecting the cached key every `every`, as a fleet of
/// threads would when AWS rejects each new key at once; returns the rounds the source saw.
fn rounds_when_every_key_is_rejected(span: Duration, every: Duration) -> u32 {
    let wall0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut state = RefreshState::new(RefreshConfig {
        jitter: Duration::ZERO,
        ..RefreshConfig::default()
    });
    let mut issued = 0u32;
    let mut fresh = |now: Duration| {
        issued += 1;
        let wall = wall0 + chrono::Duration::from_std(now).unwrap();
        Fetched {
            credentials: Credentials::new(
                format!("ASIAKEY{issued:05}"),
                "s",
                Some("t".into()),
                Some(wall + chrono::Duration::hours(1)),
                "test",
            ),
            server_date: Some(wall),
        }
    };
    let mut now = Duration::from_secs(1);
    let f = fresh(now);
    state.on_fetched(now, wall0 + chrono::Duration::seconds(1), f);
    let mut rounds = 0;
    let end = now + span;
    while now < end {
        let key = state
            .entry()
            .unwrap()
            .credentials
            .access_key_id()
            .to_string();
        state.invalidate(&key, now);
        if state.due(now).is_some() {
            rounds += 1;
            let f = fresh(now);
            let wall = wall0 + chrono::Duration::from_std(now).unwrap();
            state.on_fetched(now, wall, f);
        }
        now += every;
    }
    rounds
}

#[test]
fn every_new_key_rejected_at_once_gives_at_most_one_round_per_min_invalidation_interval() {
    let span = 10 * MIN;
    let rounds = rounds_when_every_key_is_rejected(span, Duration::from_millis(10));
    let bound = (span.as_millis() / MIN_INVALIDATION_INTERVAL.as_millis()) as u32 + 1;
    assert!(
        rounds <= bound,
        "{rounds} rounds in {span:?}, bound {bound}"
    );
    assert!(
        rounds >= bound - 1,
        "{rounds}: a rejection is served once the interval has passed"
    );
}
