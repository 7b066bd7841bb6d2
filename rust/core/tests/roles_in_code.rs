//! Roles configured in code (host options `roleArn` … and `base.*`, and the Rust API of
//! [`AssumeRoleSource`] over a [`RefreshedBase`]) against the SigV4-verifying simulator: option
//! errors name the option; a role over the default chain; role → role chaining in which each hop
//! has its own engine, rotates, and calls STS exactly once per round, and a hop is always
//! assumed with the newest session of the hop below it; web identity in code; MFA refused.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions, MFA_REFUSED};
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::assume_role::{AssumeRoleSource, RefreshedBase};
use freshcreds::sources::environment::StaticVariablesSource;
use freshcreds::sources::sts::{RoleRequest, StsClient, StsSettings};
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

const ROLE_A: &str = "arn:aws:iam::123456789012:role/hop-a";
const ROLE_B: &str = "arn:aws:iam::123456789012:role/hop-b";
/// How many times each hop of the chain must rotate.
const ROTATIONS: usize = 3;

/// Static keys in the environment, STS at the simulator through `AWS_ENDPOINT_URL_STS`, no IMDS.
fn env(sim: &Simulator, home: &std::path::Path) -> Env {
    env_with_sts(&sim.base_url(), home)
}

fn env_with_sts(sts: &str, home: &std::path::Path) -> Env {
    Env::from_map([
        ("HOME", home.display().to_string()),
        ("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID.to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            STATIC_SECRET_ACCESS_KEY.to_string(),
        ),
        ("AWS_ENDPOINT_URL_STS", sts.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ])
}

fn options(pairs: &[(&str, &str)]) -> freshcreds::Result<SourceOptions> {
    SourceOptions::from_pairs(pairs.iter().copied())
}

fn invalid(pairs: &[(&str, &str)]) -> String {
    let e = options(pairs).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{pairs:?}");
    e.message().to_string()
}

#[test]
fn role_options_that_are_out_of_range_or_incomplete_are_refused_naming_the_option() {
    let m = invalid(&[("roleArn", ROLE_A), ("durationSeconds", "899")]);
    assert!(
        m.contains("`durationSeconds`=899") && m.contains("900 to 43200 s"),
        "{m}"
    );
    let m = invalid(&[("roleArn", ROLE_A), ("durationSeconds", "43201")]);
    assert!(m.contains("`durationSeconds`=43201"), "{m}");
    let m = invalid(&[("roleArn", ROLE_A), ("durationSeconds", "1h")]);
    assert!(m.contains("`durationSeconds`=\"1h\""), "{m}");
    let m = invalid(&[("externalId", "x")]);
    assert!(m.contains("`externalId` needs `roleArn`"), "{m}");
    let m = invalid(&[("base.roleArn", ROLE_A)]);
    assert!(m.contains("`base.*` need `roleArn`"), "{m}");
    let m = invalid(&[
        ("roleArn", ROLE_B),
        ("base.roleArn", ROLE_A),
        ("profile", "p"),
    ]);
    assert!(
        m.contains("`profile`") && m.contains("`base.profile`"),
        "{m}"
    );
    let m = invalid(&[("roleArn", ROLE_A), ("tags", "team=a,oops")]);
    assert!(m.contains("`tags`") && m.contains("\"oops\""), "{m}");
    let m = invalid(&[
        ("roleArn", ROLE_A),
        ("base.roleArn", ROLE_B),
        ("base.durationSeconds", "5"),
    ]);
    assert!(m.contains("`durationSeconds`=5"), "{m}");
    let m = invalid(&[("roleArn", ROLE_A), ("base.nonsense", "1")]);
    assert!(m.contains("`base.nonsense`"), "{m}");
    let m = invalid(&[
        ("roleArn", ROLE_A),
        ("webIdentityTokenFile", "/t"),
        ("externalId", "x"),
    ]);
    assert!(
        m.contains("`externalId` is not part of AssumeRoleWithWebIdentity"),
        "{m}"
    );
    // In range at both ends.
    options(&[("roleArn", ROLE_A), ("durationSeconds", "900")]).unwrap();
    options(&[("roleArn", ROLE_A), ("durationSeconds", "43200")]).unwrap();
}

#[test]
fn an_mfa_serial_is_refused_with_the_reason_and_no_sts_call() {
    let m = invalid(&[
        ("roleArn", ROLE_A),
        ("mfaSerial", "arn:aws:iam::123456789012:mfa/u"),
    ]);
    assert!(
        m.contains("`mfaSerial` is not supported") && m.contains(MFA_REFUSED),
        "{m}"
    );
    assert!(MFA_REFUSED.contains("MFA token") || MFA_REFUSED.contains("token code"));
}

#[test]
fn a_role_over_the_default_chain_is_assumed_with_the_chain_credentials_and_every_request_field() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let opts = options(&[
        ("roleArn", ROLE_A),
        ("roleSessionName", "app-session"),
        ("externalId", "ext-123"),
        ("durationSeconds", "900"),
        ("policy", r#"{"Version":"2012-10-17","Statement":[]}"#),
        ("policyArns", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ("sourceIdentity", "alice"),
        ("tags", "team=payments, env=prod"),
    ])
    .unwrap();
    let provider = FreshSource::with_env(opts, env(&sim, home.path())).unwrap();
    let snap = provider.credentials().unwrap();
    assert_eq!(snap.credentials.source(), format!("AssumeRole({ROLE_A})"));
    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.action, "AssumeRole");
    assert_eq!(call.role_arn.as_deref(), Some(ROLE_A));
    assert_eq!(call.role_session_name.as_deref(), Some("app-session"));
    assert_eq!(call.external_id.as_deref(), Some("ext-123"));
    assert_eq!(call.duration_seconds.as_deref(), Some("900"));
    assert_eq!(call.signed_by.as_deref(), Some(STATIC_ACCESS_KEY_ID));
    let lifetime = snap.credentials.expiration().unwrap() - sim.now();
    assert!(lifetime <= chrono::Duration::seconds(900), "{lifetime}");
    let caller = caller(&sim);
    let who = freshcreds::runtime::shared()
        .unwrap()
        .block_on(caller.get_caller_identity(&snap.credentials))
        .unwrap();
    assert!(
        who.arn.ends_with(":assumed-role/hop-a/app-session"),
        "{}",
        who.arn
    );
}

#[test]
fn a_role_chain_in_options_assumes_each_hop_with_the_one_below_and_the_code_endpoint_wins() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    // The environment points STS at a closed port: only the code's endpoint reaches STS.
    let url = sim.base_url();
    let opts = options(&[
        ("roleArn", ROLE_B),
        ("roleSessionName", "top"),
        ("stsEndpoint", &url),
        ("base.roleArn", ROLE_A),
        ("base.roleSessionName", "middle"),
        ("base.stsEndpoint", &url),
    ])
    .unwrap();
    let provider =
        FreshSource::with_env(opts, env_with_sts("http://127.0.0.1:9", home.path())).unwrap();
    let snap = provider.credentials().unwrap();
    assert_eq!(snap.credentials.source(), format!("AssumeRole({ROLE_B})"));
    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].role_arn.as_deref(), Some(ROLE_A));
    assert_eq!(calls[0].signed_by.as_deref(), Some(STATIC_ACCESS_KEY_ID));
    assert_eq!(calls[1].role_arn.as_deref(), Some(ROLE_B));
    let middle = &sim.issued_credentials()[0];
    assert!(middle.arn.ends_with("/hop-a/middle"), "{}", middle.arn);
    assert_eq!(
        calls[1].signed_by.as_deref(),
        Some(middle.access_key_id.as_str())
    );

    // Each hop has an engine of its own (the base of hop A and hop A), and closing the provider
    // stops them all.
    let bases = provider.base_engines();
    assert_eq!(bases.len(), 2);
    assert_eq!(bases[0].source_name(), format!("AssumeRole({ROLE_A})"));
    let runtime = freshcreds::runtime::shared().unwrap();
    runtime
        .block_on(bases[1].refresh())
        .expect("open before close");
    provider.close();
    for base in provider.base_engines() {
        let e = runtime.block_on(base.refresh()).unwrap_err();
        assert!(e.message().contains("is closed"), "{}", e.message());
    }
}

#[test]
fn a_role_over_a_named_profile_is_assumed_with_the_keys_of_that_profile() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let credentials = home.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[ci]\naws_access_key_id = {STATIC_ACCESS_KEY_ID}\naws_secret_access_key = {STATIC_SECRET_ACCESS_KEY}\n"),
    )
    .unwrap();
    let env = Env::from_map([
        ("HOME", home.path().display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        (
            "AWS_CONFIG_FILE",
            home.path().join("config").display().to_string(),
        ),
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]);
    let opts = options(&[
        ("roleArn", ROLE_A),
        ("base.source", "profile"),
        ("base.profile", "ci"),
    ])
    .unwrap();
    let provider = FreshSource::with_env(opts, env).unwrap();
    provider.credentials().unwrap();
    let call = &sim.assume_role_calls()[0];
    assert_eq!(call.signed_by.as_deref(), Some(STATIC_ACCESS_KEY_ID));
    assert_eq!(provider.base_engines()[0].source_name(), "Profile(ci)");
}

#[test]
fn web_identity_in_code_reads_the_token_file_and_needs_no_base() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let token = home.path().join("token");
    std::fs::write(&token, "header.payload.signature\n").unwrap();
    let token_path = token.display().to_string();
    let opts = options(&[
        ("roleArn", ROLE_A),
        ("webIdentityTokenFile", &token_path),
        ("roleSessionName", "pod"),
    ])
    .unwrap();
    let env = Env::from_map([
        ("HOME", home.path().display().to_string()),
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
    ]);
    let provider = FreshSource::with_env(opts, env).unwrap();
    let snap = provider.credentials().unwrap();
    assert_eq!(
        snap.credentials.source(),
        format!("WebIdentityToken({ROLE_A})")
    );
    let call = &sim.assume_role_calls()[0];
    assert_eq!(call.action, "AssumeRoleWithWebIdentity");
    assert_eq!(
        call.web_identity_token.as_deref(),
        Some("header.payload.signature")
    );
    assert_eq!(call.role_session_name.as_deref(), Some("pod"));
}

fn caller(sim: &Simulator) -> StsClient {
    StsClient::new(StsSettings::with_endpoint(sim.base_url(), "us-east-1")).unwrap()
}

fn no_jitter() -> RefreshConfig {
    RefreshConfig {
        jitter: Duration::ZERO,
        ..RefreshConfig::default()
    }
}

/// Waits (real time, bounded) until `engine` has finished `n` rounds.
async fn wait_rounds(engine: &RefreshEngine, n: u64) {
    let mut rounds = engine.rounds();
    tokio::time::timeout(Duration::from_secs(10), rounds.wait_for(|r| *r >= n))
        .await
        .unwrap_or_else(|_| panic!("{} did not finish {n} rounds", engine.source_name()))
        .unwrap();
}

/// One hop of the chain under test: its engine, the rounds it has finished, its rotations, and
/// what it served after its last round (read while it was idle, before the clock moved on).
struct Hop {
    engine: RefreshEngine,
    rounds: u64,
    rotations: usize,
    key: String,
    refresh_at: Option<Duration>,
}

impl Hop {
    async fn new(engine: RefreshEngine) -> Hop {
        let served = engine.credentials().await.expect("first session");
        Hop {
            engine,
            rounds: 1,
            rotations: 0,
            key: served.credentials.access_key_id().to_string(),
            refresh_at: served.refresh_at,
        }
    }

    /// Waits for the round that is due at `now`, if any; counts a rotation.
    async fn follow(&mut self, now: Duration, step: usize) {
        if self.refresh_at.is_some_and(|at| now >= at) {
            self.rounds += 1;
            wait_rounds(&self.engine, self.rounds).await;
        }
        assert_eq!(
            self.engine.stats().rounds.load(Ordering::SeqCst),
            self.rounds,
            "step {step}: {} ran rounds other than the scheduled ones",
            self.engine.source_name()
        );
        let served = self.engine.cached().expect("cached");
        assert!(!served.stale, "step {step}: stale credentials");
        self.refresh_at = served.refresh_at;
        if served.credentials.access_key_id() != self.key {
            self.rotations += 1;
            self.key = served.credentials.access_key_id().to_string();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_role_chain_each_hop_rotates_on_its_own_engine_with_one_sts_call_per_round() {
    // Hop A: 30-minute sessions (the simulator's lifetime) over static keys; hop B: 15-minute
    // sessions (`DurationSeconds` 900) over hop A. Both engines run on one manual clock.
    let sim = Simulator::start(SimConfig::default().credential_lifetime(Duration::from_secs(1800)))
        .await
        .unwrap();
    let clock = ManualClock::new(sim.now());
    let arc_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let sts = Arc::new(
        StsClient::with_clock(
            StsSettings::with_endpoint(sim.base_url(), "us-east-1"),
            arc_clock.clone(),
        )
        .unwrap(),
    );
    let keys: Arc<dyn CredentialSource> =
        Arc::new(StaticVariablesSource::environment(Env::from_map([
            ("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", STATIC_SECRET_ACCESS_KEY),
        ])));
    let keys_engine = RefreshEngine::spawn(keys.clone(), no_jitter(), arc_clock.clone());
    let a: Arc<dyn CredentialSource> = Arc::new(AssumeRoleSource::new(
        Arc::new(RefreshedBase::new(keys, keys_engine)),
        RoleRequest::new(ROLE_A).with_session_name(Some("session-a")),
        sts.clone(),
    ));
    let a_engine = RefreshEngine::spawn(a.clone(), no_jitter(), arc_clock.clone());
    let b: Arc<dyn CredentialSource> = Arc::new(AssumeRoleSource::new(
        Arc::new(RefreshedBase::new(a, a_engine.clone())),
        RoleRequest::new(ROLE_B)
            .with_session_name(Some("session-b"))
            .with_duration(Some(Duration::from_secs(900))),
        sts.clone(),
    ));
    let b_engine = RefreshEngine::spawn(b, no_jitter(), arc_clock.clone());
    let mut hop_b = Hop::new(b_engine.clone()).await;
    let mut hop_a = Hop::new(a_engine.clone()).await;
    let caller = caller(&sim);

    let step = Duration::from_secs(30);
    let mut steps = 0;
    let mut b_signers = std::collections::BTreeSet::new();
    while hop_a.rotations < ROTATIONS || hop_b.rotations < ROTATIONS {
        steps += 1;
        assert!(
            steps < 1000,
            "A {} / B {} rotations",
            hop_a.rotations,
            hop_b.rotations
        );
        sim.advance_time(step);
        clock.advance(step);
        let now = clock.now();
        hop_a.follow(now, steps).await;
        let b_before = hop_b.rotations;
        hop_b.follow(now, steps).await;
        if hop_b.rotations > b_before {
            // The new B session was assumed with the A session A serves after this step's rounds
            // (a new one when A was due too): a due base is refreshed before it is used.
            let issued = sim.issued_credentials();
            let at = issued
                .iter()
                .position(|c| c.access_key_id == hop_b.key)
                .unwrap();
            let call = &sim.assume_role_calls()[at];
            assert_eq!(call.role_arn.as_deref(), Some(ROLE_B));
            assert_eq!(
                call.signed_by.as_deref(),
                Some(hop_a.key.as_str()),
                "step {steps}: B assumed with an older A session"
            );
            b_signers.insert(hop_a.key.clone());
        }
        let served = b_engine.cached().unwrap();
        assert!(served.credentials.expiration().unwrap() > clock.wall());
        let who = caller
            .get_caller_identity(&served.credentials)
            .await
            .unwrap();
        assert!(
            who.arn.contains(":assumed-role/hop-b/session-b"),
            "{}",
            who.arn
        );
    }

    let calls = sim.assume_role_calls();
    let per_role = |arn: &str| {
        calls
            .iter()
            .filter(|c| c.role_arn.as_deref() == Some(arn))
            .count() as u64
    };
    assert_eq!(
        per_role(ROLE_A),
        hop_a.rounds,
        "one AssumeRole of hop A per round of its own"
    );
    assert_eq!(
        per_role(ROLE_B),
        hop_b.rounds,
        "one AssumeRole of hop B per round of its own"
    );
    assert!(
        hop_b.rotations > hop_a.rotations,
        "B's sessions are shorter"
    );
    assert!(
        calls
            .iter()
            .filter(|c| c.role_arn.as_deref() == Some(ROLE_A))
            .all(|c| c.signed_by.as_deref() == Some(STATIC_ACCESS_KEY_ID)),
        "A is assumed with the static keys"
    );
    assert!(
        b_signers.len() >= ROTATIONS,
        "B was assumed with {} A sessions",
        b_signers.len()
    );
    let counts = sim.counts();
    assert_eq!(counts.sts_expired_token, 0);
    assert_eq!(counts.sts_signature_mismatch, 0);
    b_engine.close();
    a_engine.close();
}
