//! Assume-role credentials rotating under the refresh engine, against the SigV4-verifying
//! simulator: a `[profile app]` with `role_arn` and `source_profile = base` (static keys) read from
//! temporary config files through the default chain, short sessions, and the engine's clock moved
//! together with the simulator's. At every step the credentials being served sign a real STS
//! `GetCallerIdentity`, which must never answer `ExpiredToken`; every rotation must come a refresh
//! lead before expiry, with exactly one `AssumeRole` per refresh round.
//!
//! Also, through the host API: static keys in the environment above a working instance role are
//! reported as shadowing it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::sts::{StsClient, StsSettings};
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/app";
const ROTATIONS: usize = 6;

/// Writes the profile files; returns the environment that points at them and at the simulator.
fn profile_env(dir: &std::path::Path, sim: &Simulator) -> Env {
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &config,
        format!(
            "[profile app]\nrole_arn = {ROLE_ARN}\nsource_profile = base\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[base]\naws_access_key_id = {STATIC_ACCESS_KEY_ID}\naws_secret_access_key = {STATIC_SECRET_ACCESS_KEY}\n"
        ),
    )
    .unwrap();
    Env::from_map([
        ("HOME", dir.display().to_string()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        ("AWS_PROFILE", "app".to_string()),
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
        // The chain's last link must not wander off to a real metadata address.
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ])
}

/// Waits (real time, bounded) until the engine has finished `n` rounds.
async fn wait_rounds(provider: &RefreshEngine, n: u64) {
    let mut rounds = provider.rounds();
    tokio::time::timeout(Duration::from_secs(10), rounds.wait_for(|r| *r >= n))
        .await
        .unwrap_or_else(|_| panic!("the engine did not finish {n} rounds"))
        .unwrap();
}

/// Runs the engine over the assume-role profile with `lifetime`-long sessions, moving both clocks
/// by `step` until the credentials rotated [`ROTATIONS`] times. `lead` is the refresh lead the
/// engine must pick for that lifetime (no jitter).
async fn rotate(lifetime: Duration, lead: Duration, step: Duration) {
    let sim = Simulator::start(SimConfig::default().credential_lifetime(lifetime))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The engine's clock starts at the simulator's time; both move together below, and STS
    // requests are signed with this clock's wall time.
    let clock = ManualClock::new(sim.now());
    let settings = ChainSettings {
        system_properties: Some(Env::from_map::<String, String>([])),
        ..ChainSettings::new(profile_env(dir.path(), &sim), Arc::new(clock.clone()))
    };
    let source = default_chain::build(&settings, SourceSelection::Chain)
        .await
        .unwrap();
    let provider = RefreshEngine::spawn(
        source,
        RefreshConfig {
            jitter: Duration::ZERO,
            ..RefreshConfig::default()
        },
        Arc::new(clock.clone()),
    );
    let caller = StsClient::with_clock(
        StsSettings::with_endpoint(sim.base_url(), "us-east-1"),
        Arc::new(clock.clone()),
    )
    .unwrap();
    // The simulator's time runs on with real time too: allow for the test's own duration (and
    // for expiries stated to the second).
    let slack = Duration::from_secs(5);

    let mut served = provider.credentials().await.expect("first assume-role");
    assert_eq!(
        served.credentials.source(),
        "Profile(app)/AssumeRole",
        "{:?}",
        provider.report()
    );
    assert_eq!(served.refresh_at, Some(lifetime - lead), "the refresh lead");
    let mut rounds = 1u64;
    let mut rotations = 0usize;
    let mut steps = 0usize;
    while rotations < ROTATIONS {
        steps += 1;
        assert!(
            steps < 1000,
            "only {rotations} rotations after {steps} steps"
        );
        sim.advance_time(step);
        clock.advance(step);
        // A refresh is due once the clock reaches the scheduled time: wait for that round.
        if served.refresh_at.is_some_and(|at| clock.now() >= at) {
            rounds += 1;
            wait_rounds(&provider, rounds).await;
        }
        assert_eq!(
            provider.stats().rounds.load(Ordering::SeqCst),
            rounds,
            "step {steps}: refresh rounds other than the scheduled ones"
        );
        let now = provider.cached().expect("credentials stay cached");
        assert!(!now.stale, "step {steps}: stale credentials served");
        let expiry = now.credentials.expiration().expect("session credentials");
        assert!(
            expiry > clock.wall(),
            "step {steps}: served credentials expired at {expiry}"
        );

        if now.credentials.access_key_id() != served.credentials.access_key_id() {
            rotations += 1;
            // The old session still had the lead left (give or take one step) when replaced.
            let old_expiry = served.credentials.expiration().unwrap();
            let left = (old_expiry - clock.wall()).to_std().unwrap_or_default();
            assert!(
                left + step >= lead,
                "rotation {rotations} came {left:?} before expiry, later than the {lead:?} lead"
            );
            let fresh = (expiry - clock.wall()).to_std().unwrap();
            assert!(
                fresh + Duration::from_secs(1) >= lifetime && fresh <= lifetime + slack,
                "rotation {rotations}: a fresh session, not {fresh:?}"
            );
        }
        served = now;

        let identity = caller
            .get_caller_identity(&served.credentials)
            .await
            .unwrap_or_else(|e| {
                assert_ne!(e.kind(), ErrorKind::Expired, "step {steps}: ExpiredToken");
                panic!(
                    "step {steps}: GetCallerIdentity failed: {}",
                    e.full_message()
                )
            });
        assert!(
            identity.arn.contains(":assumed-role/app/"),
            "{}",
            identity.arn
        );
    }

    let counts = sim.counts();
    assert_eq!(counts.sts_expired_token, 0);
    assert_eq!(counts.sts_signature_mismatch, 0);
    assert_eq!(counts.sts_assume_role, rounds, "one AssumeRole per round");
    assert_eq!(rounds, ROTATIONS as u64 + 1);
    let calls = sim.assume_role_calls();
    assert!(calls.iter().all(|c| c.role_arn.as_deref() == Some(ROLE_ARN)
        && c.signed_by.as_deref() == Some(STATIC_ACCESS_KEY_ID)));
    provider.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_minute_assumed_role_sessions_rotate_before_expiry_and_always_sign_valid_requests() {
    // Lead: the 5-minute advisory window capped at half the lifetime.
    rotate(
        Duration::from_secs(60),
        Duration::from_secs(30),
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifteen_minute_assumed_role_sessions_rotate_five_minutes_early_and_always_sign_valid_requests(
) {
    // 900 s is the shortest session STS grants; lead: the 5-minute advisory window.
    rotate(
        Duration::from_secs(900),
        Duration::from_secs(300),
        Duration::from_secs(30),
    )
    .await;
}

#[test]
fn static_keys_in_the_environment_above_a_working_instance_role_are_reported_as_shadowing_it() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = Env::from_map([
        ("HOME", home.path().display().to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDSTATICENV".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "static-env-secret".to_string()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url()),
    ]);
    let provider =
        FreshSource::with_env(SourceOptions::from_pairs::<&str, &str>([]).unwrap(), env).unwrap();
    let snap = provider.credentials().unwrap();
    assert_eq!(snap.credentials.access_key_id(), "AKIDSTATICENV");

    // The lower sources are probed in the background on real time: wait for the probe to end.
    let deadline = Instant::now() + Duration::from_secs(10);
    let chain = loop {
        let status: serde_json::Value = serde_json::from_str(&provider.status_json()).unwrap();
        let chain = status["chain"].clone();
        if chain["probing"] == false {
            break chain;
        }
        assert!(Instant::now() < deadline, "still probing: {chain}");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(chain["winner"], "Environment");
    assert_eq!(
        chain["shadowed"],
        serde_json::json!(["Ec2InstanceMetadata"])
    );
    let c = sim.counts();
    assert!(c.imds_role_list >= 1, "IMDS was really asked: {c:?}");
    assert_eq!(
        c.imds_credentials, 0,
        "whether a role exists, not for its credentials"
    );
    assert!(!provider.status_json().contains("static-env-secret"));
}
