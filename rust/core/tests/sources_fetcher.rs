//! Sources written by the host (a credential fetcher, a web identity token supplier) driven by
//! the refresh engine on a manual clock, without a JVM; and roles over one base sharing it,
//! counted at the simulator.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{arc_clock, lead_config, manual_clock, settle, wait_rounds};
use freshcreds::clock::{Clock, ManualClock};
use freshcreds::env::Env;
use freshcreds::host::{shared_bases, FreshSource, SourceOptions};
use freshcreds::refresh::{RefreshConfig, RefreshEngine, ROUND_TIMEOUT};
use freshcreds::sources::fetcher::*;
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};
use zeroize::Zeroizing;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const SECRET: &str = "fetched-secret-never-shown";

type AnswerFn = Box<dyn Fn(u64, DateTime<Utc>) -> FetcherAnswer + Send>;

/// A fetcher that answers what the test sets, counting calls; `hold` makes calls block until
/// released.
struct Scripted {
    clock: ManualClock,
    calls: AtomicU64,
    answer: Mutex<AnswerFn>,
    held: Mutex<bool>,
    released: Condvar,
}

impl Scripted {
    fn new(clock: &ManualClock) -> Arc<Self> {
        let s = Arc::new(Scripted {
            clock: clock.clone(),
            calls: AtomicU64::new(0),
            answer: Mutex::new(Box::new(|_, _| {
                FetcherAnswer::Failed(FailureKind::Retryable, "unset".into())
            })),
            held: Mutex::new(false),
            released: Condvar::new(),
        });
        s.answer_with(|n, wall| good(n, wall + chrono::Duration::hours(1)));
        s
    }
    fn answer_with(&self, f: impl Fn(u64, DateTime<Utc>) -> FetcherAnswer + Send + 'static) {
        *self.answer.lock().unwrap() = Box::new(f);
    }
    fn hold(&self, on: bool) {
        *self.held.lock().unwrap() = on;
        self.released.notify_all();
    }
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

fn good(n: u64, expiration: DateTime<Utc>) -> FetcherAnswer {
    FetcherAnswer::Credentials {
        access_key_id: format!("ASIAFETCHED{n}"),
        secret_access_key: Zeroizing::new(SECRET.to_string()),
        session_token: Some(Zeroizing::new("token".to_string())),
        expiration: Some(expiration),
    }
}

impl CredentialFetcher for Scripted {
    fn fetch(&self) -> FetcherAnswer {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut held = self.held.lock().unwrap();
        while *held {
            held = self.released.wait(held).unwrap();
        }
        drop(held);
        (self.answer.lock().unwrap_or_else(|e| e.into_inner()))(n, self.clock.wall())
    }
}

fn source(
    clock: &ManualClock,
    fetcher: Arc<Scripted>,
    timeout: Duration,
) -> Arc<dyn CredentialSource> {
    Arc::new(FetcherSource::new("Fetcher(test)", fetcher, timeout, arc_clock(clock)).unwrap())
}

/// An engine over `fetcher` with the default call timeout.
fn engine(clock: &ManualClock, fetcher: &Arc<Scripted>, cfg: RefreshConfig) -> RefreshEngine {
    let source = source(clock, fetcher.clone(), DEFAULT_CALL_TIMEOUT);
    RefreshEngine::spawn(source, cfg, arc_clock(clock))
}

/// Waits (real time, bounded) until `f` holds: for work on blocking threads.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never: {what}");
}

#[tokio::test]
async fn a_fetcher_is_refreshed_early_in_the_background_once_per_round() {
    let clock = manual_clock();
    let fetcher = Scripted::new(&clock);
    let p = engine(&clock, &fetcher, lead_config(5 * MIN));
    let first = p.credentials().await.unwrap();
    assert_eq!(first.credentials.access_key_id(), "ASIAFETCHED1");
    assert_eq!(first.credentials.source(), "Fetcher(test)");
    // Many readers, one fetch.
    for _ in 0..100 {
        assert!(p.cached().is_some());
    }
    assert_eq!(fetcher.calls(), 1);
    let mut rounds = p.rounds();
    clock.advance(55 * MIN);
    wait_rounds(&mut rounds, 2).await;
    assert_eq!(fetcher.calls(), 2);
    let second = p.cached().unwrap();
    assert_eq!(second.credentials.access_key_id(), "ASIAFETCHED2");
    assert!(!second.stale);
    assert_eq!(p.status().refreshes, 2);
}

#[tokio::test]
async fn a_failing_fetcher_leaves_the_last_credentials_served_flagged_stale() {
    let clock = manual_clock();
    let fetcher = Scripted::new(&clock);
    let p = engine(&clock, &fetcher, lead_config(5 * MIN));
    p.credentials().await.unwrap();
    fetcher.answer_with(|_, _| {
        FetcherAnswer::Failed(FailureKind::Retryable, "catalog unavailable".into())
    });
    let mut rounds = p.rounds();
    clock.advance(HOUR + MIN);
    wait_rounds(&mut rounds, 2).await;
    let served = p.cached().unwrap();
    assert!(served.stale, "served on by static stability");
    assert_eq!(served.credentials.access_key_id(), "ASIAFETCHED1");
    let status = p.status();
    let error = status.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("Fetcher(test) failed: catalog unavailable"),
        "{error}"
    );
}

#[tokio::test]
async fn retryable_and_permanent_failures_map_to_the_engines_two_backoffs() {
    let now = Utc::now();
    let e = check_answer(
        "F",
        FetcherAnswer::Failed(FailureKind::Retryable, "503".into()),
        now,
    )
    .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    let e = check_answer(
        "F",
        FetcherAnswer::Failed(FailureKind::Permanent, "denied".into()),
        now,
    )
    .unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    assert_eq!(e.kind(), ErrorKind::Refused);
}

#[tokio::test]
async fn garbage_answers_fail_the_round_with_a_message_naming_the_fetcher() {
    let now = Utc::now();
    let cases: Vec<(FetcherAnswer, &str)> = vec![
        (
            FetcherAnswer::Credentials {
                access_key_id: " ".into(),
                secret_access_key: Zeroizing::new("s".into()),
                session_token: None,
                expiration: None,
            },
            "access key id is missing",
        ),
        (
            FetcherAnswer::Credentials {
                access_key_id: "AKIA1".into(),
                secret_access_key: Zeroizing::new(String::new()),
                session_token: None,
                expiration: None,
            },
            "secret access key is missing",
        ),
        (
            FetcherAnswer::Credentials {
                access_key_id: "AKIA1".into(),
                secret_access_key: Zeroizing::new("s".into()),
                session_token: None,
                expiration: Some(
                    now + chrono::Duration::from_std(MAX_EXPIRY_AHEAD).unwrap()
                        + chrono::Duration::seconds(1),
                ),
            },
            "days ahead",
        ),
        (
            FetcherAnswer::Credentials {
                access_key_id: "AKIA 1\n".into(),
                secret_access_key: Zeroizing::new("s".into()),
                session_token: None,
                expiration: None,
            },
            "not alphanumeric",
        ),
        (
            FetcherAnswer::Credentials {
                access_key_id: "AKIA1".into(),
                secret_access_key: Zeroizing::new("s".repeat(MAX_FIELD_BYTES + 1)),
                session_token: None,
                expiration: None,
            },
            "more than",
        ),
    ];
    for (answer, expected) in cases {
        let e = check_answer("Fetcher(x)", answer, now).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(
            e.message()
                .starts_with("Fetcher(x) returned unusable credentials"),
            "{e}"
        );
        assert!(e.message().contains(expected), "{e}");
    }
    // Exactly at the bound is accepted.
    let at_bound = now + chrono::Duration::from_std(MAX_EXPIRY_AHEAD).unwrap();
    assert!(check_answer("F", good(1, at_bound), now).is_ok());
}

#[tokio::test]
async fn a_fetcher_that_panics_fails_the_round_and_the_engine_goes_on() {
    let clock = manual_clock();
    let fetcher = Scripted::new(&clock);
    fetcher.answer_with(|n, wall| {
        if n == 1 {
            panic!("fetcher bug")
        } else {
            good(n, wall + chrono::Duration::hours(1))
        }
    });
    let cfg = lead_config(5 * MIN);
    let backoff = cfg.backoff_cap;
    let p = engine(&clock, &fetcher, cfg);
    let mut rounds = p.rounds();
    wait_rounds(&mut rounds, 1).await;
    assert!(p.cached().is_none());
    let error = p.status().last_error.unwrap_or_default();
    assert!(
        error.contains("Fetcher(test) failed while fetching credentials"),
        "{error}"
    );
    clock.advance(backoff);
    wait_rounds(&mut rounds, 2).await;
    assert_eq!(
        p.cached().unwrap().credentials.access_key_id(),
        "ASIAFETCHED2"
    );
}

#[tokio::test]
async fn a_fetcher_that_blocks_times_out_at_its_call_timeout_and_is_not_called_again_until_it_returns(
) {
    let clock = manual_clock();
    let fetcher = Scripted::new(&clock);
    let timeout = Duration::from_secs(20);
    let src = source(&clock, fetcher.clone(), timeout);
    fetcher.hold(true);
    let first = tokio::spawn({
        let src = src.clone();
        async move { src.fetch().await }
    });
    eventually("the call started", || fetcher.calls() == 1).await;
    settle().await;
    clock.advance(timeout - Duration::from_millis(1));
    settle().await;
    assert!(!first.is_finished(), "not before the call timeout");
    clock.advance(Duration::from_millis(1));
    let e = first.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(
        e.message().contains("gave no answer within 20000 ms"),
        "{e}"
    );
    // MAX_CALLS_IN_FLIGHT: the stuck call holds the only place; the next fetch fails at once.
    assert_eq!(MAX_CALLS_IN_FLIGHT, 1);
    let e = src.fetch().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.message().contains("has still not returned"), "{e}");
    assert_eq!(fetcher.calls(), 1, "no second thread stuck in the fetcher");
    // Once the stuck call returns, the fetcher is called again.
    fetcher.hold(false);
    let mut freed = false;
    for _ in 0..500 {
        if src.fetch().await.is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        freed,
        "the fetcher is called again once the stuck call returned"
    );
    assert!(fetcher.calls() >= 2);
}

#[test]
fn the_call_timeout_is_bounded_by_the_round_timeout() {
    assert_eq!(MAX_CALL_TIMEOUT, ROUND_TIMEOUT);
    assert!(DEFAULT_CALL_TIMEOUT <= MAX_CALL_TIMEOUT);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::starting_now());
    let fetcher: Arc<dyn CredentialFetcher> =
        Arc::new(|| FetcherAnswer::Failed(FailureKind::Retryable, "x".into()));
    for bad in [
        MAX_CALL_TIMEOUT + Duration::from_millis(1),
        MIN_CALL_TIMEOUT - Duration::from_millis(1),
    ] {
        let e = FetcherSource::new("F", fetcher.clone(), bad, clock.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains("call timeout of F"), "{e}");
    }
    assert!(FetcherSource::new("F", fetcher.clone(), MAX_CALL_TIMEOUT, clock.clone()).is_ok());
    assert!(FetcherSource::new("F", fetcher, MIN_CALL_TIMEOUT, clock).is_ok());
}

#[test]
fn debug_output_never_shows_the_fetched_secret() {
    let answer = good(1, Utc::now());
    let shown = format!("{answer:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("ASIAFETCHED1"), "{shown}");
    let creds = check_answer(
        "F",
        good(2, Utc::now() + chrono::Duration::hours(1)),
        Utc::now(),
    )
    .unwrap();
    assert!(!format!("{creds:?} {creds}").contains(SECRET));
}

#[test]
fn a_provider_over_a_fetcher_refuses_options_that_pick_a_source() {
    let fetcher: Arc<dyn CredentialFetcher> =
        Arc::new(|| FetcherAnswer::Failed(FailureKind::Retryable, "x".into()));
    let options = SourceOptions::from_pairs([("profile", "dev")]).unwrap();
    let e = FreshSource::from_fetcher(options, "catalog", fetcher.clone(), DEFAULT_CALL_TIMEOUT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(
        e.message()
            .contains("`profile` does not apply to a credential fetcher"),
        "{e}"
    );
    let options = SourceOptions::from_pairs([("jitterMillis", "0")]).unwrap();
    let p = FreshSource::from_fetcher(options, "catalog", fetcher, DEFAULT_CALL_TIMEOUT).unwrap();
    assert_eq!(p.engine().source_name(), "Fetcher(catalog)");
}

struct Tokens(AtomicU64);

impl TokenSupplier for Tokens {
    fn token(&self) -> Result<Zeroizing<String>, (FailureKind, String)> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Zeroizing::new(format!("header.payload{n}.signature")))
    }
}

const ROLE: &str = "arn:aws:iam::123456789012:role/federated";

#[test]
fn a_token_supplier_assumes_the_role_with_web_identity_at_the_simulator() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let env = Env::from_map([
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("HOME", "/nonexistent".to_string()),
    ]);
    let options =
        SourceOptions::from_pairs([("roleArn", ROLE), ("roleSessionName", "ci")]).unwrap();
    let supplier = Arc::new(Tokens(AtomicU64::new(0)));
    let p =
        FreshSource::from_token_supplier_in(options, supplier.clone(), DEFAULT_CALL_TIMEOUT, env)
            .unwrap();
    let snap = p.credentials().unwrap();
    assert_eq!(
        snap.credentials.source(),
        format!("WebIdentityTokenSupplier({ROLE})")
    );
    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "AssumeRoleWithWebIdentity");
    assert_eq!(calls[0].role_session_name.as_deref(), Some("ci"));
    assert_eq!(
        calls[0].web_identity_token.as_deref(),
        Some("header.payload1.signature")
    );
    // A forced refresh asks the supplier again.
    p.refresh().unwrap();
    assert_eq!(
        sim.assume_role_calls()[1].web_identity_token.as_deref(),
        Some("header.payload2.signature")
    );
}

#[test]
fn a_token_supplier_needs_a_role_and_takes_no_base() {
    let supplier: Arc<dyn TokenSupplier> = Arc::new(Tokens(AtomicU64::new(0)));
    let e = FreshSource::from_token_supplier(
        SourceOptions::default(),
        supplier.clone(),
        DEFAULT_CALL_TIMEOUT,
    )
    .unwrap_err();
    assert!(e.message().contains("`roleArn` is needed"), "{e}");
    let options = SourceOptions::from_pairs([("roleArn", ROLE), ("base.profile", "x")]).unwrap();
    let e = FreshSource::from_token_supplier(options, supplier, DEFAULT_CALL_TIMEOUT).unwrap_err();
    assert!(e.message().contains("`base.profile` does not apply"), "{e}");
}

#[test]
fn roles_over_one_base_share_it_one_base_fetch_for_all_and_the_last_close_stops_it() {
    const ROLES: usize = 20;
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let env = Env::from_map([
        ("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID.to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            STATIC_SECRET_ACCESS_KEY.to_string(),
        ),
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("HOME", "/nonexistent".to_string()),
    ]);
    let base_role = "arn:aws:iam::123456789012:role/base";
    let before = shared_bases::bases_in_use();
    let providers: Vec<FreshSource> = (0..ROLES)
        .map(|i| {
            let arn = format!("arn:aws:iam::123456789012:role/tenant-{i}");
            let options = SourceOptions::from_pairs([
                ("roleArn", arn.as_str()),
                ("roleSessionName", "tenant"),
                ("base.roleArn", base_role),
                ("base.roleSessionName", "base"),
            ])
            .unwrap();
            FreshSource::with_env(options, env.clone()).unwrap()
        })
        .collect();
    for p in &providers {
        p.credentials().unwrap();
    }
    let calls = sim.assume_role_calls();
    let base_calls = calls
        .iter()
        .filter(|c| c.role_arn.as_deref() == Some(base_role))
        .count();
    assert_eq!(base_calls, 1, "one fetch of the base for {ROLES} roles");
    assert_eq!(calls.len(), ROLES + 1);
    let base_key = sim.issued_credentials()[0].access_key_id.clone();
    assert!(calls
        .iter()
        .filter(|c| c.role_arn.as_deref() != Some(base_role))
        .all(|c| c.signed_by.as_deref() == Some(base_key.as_str())));
    // Both hops of the base (the base role, its static keys) are shared: two bases.
    assert_eq!(shared_bases::bases_in_use(), before + 2);
    let base_engine = providers[0].base_engines()[0].clone();
    for p in &providers[1..] {
        p.close();
    }
    let runtime = freshcreds::runtime::shared().unwrap();
    runtime
        .block_on(base_engine.refresh())
        .expect("still open: one role uses it");
    providers[0].close();
    let e = runtime.block_on(base_engine.refresh()).unwrap_err();
    assert!(e.message().contains("is closed"), "{e}");
    assert_eq!(shared_bases::bases_in_use(), before);
}

#[test]
fn roles_over_different_environments_do_not_share_a_base() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let env = |key: &str| {
        Env::from_map([
            ("AWS_ACCESS_KEY_ID", key.to_string()),
            (
                "AWS_SECRET_ACCESS_KEY",
                STATIC_SECRET_ACCESS_KEY.to_string(),
            ),
            ("AWS_ENDPOINT_URL_STS", sim.base_url()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("HOME", "/nonexistent".to_string()),
        ])
    };
    let options = || SourceOptions::from_pairs([("roleArn", ROLE)]).unwrap();
    let a = FreshSource::with_env(options(), env(STATIC_ACCESS_KEY_ID)).unwrap();
    let b = FreshSource::with_env(options(), env(STATIC_ACCESS_KEY_ID)).unwrap();
    assert!(
        !Arc::ptr_eq(a.base_engines()[0].clock(), b.base_engines()[0].clock()),
        "separate maps, separate bases"
    );
}
