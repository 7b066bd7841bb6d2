//! A quiet chain and a side-effect-free shadowing probe, through the host API (what the JVM and
//! C hosts call at start-up) against the simulator, with every tracing record captured:
//! - a source that did not win logs nothing above DEBUG; its warnings land in the report;
//! - the winner's warnings are still logged at WARN;
//! - the probe never runs a `credential_process`, never calls STS, never fetches credentials
//!   (IMDS is asked only whether a role exists).

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

#[path = "support/log_capture.rs"]
mod log_capture;
use log_capture::Records;

/// The capture, installed once for the process; tests take turns (the runtime's worker threads
/// log too, so a thread-local subscriber would miss the background probe).
fn capture() -> (MutexGuard<'static, ()>, Records) {
    static RECORDS: OnceLock<Records> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let records = RECORDS
        .get_or_init(|| {
            let records = Records::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(records.clone()),
            )
            .expect("no other subscriber in this test binary");
            records
        })
        .clone();
    let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    records.0.lock().unwrap().clear();
    (turn, records)
}

fn env_with(home: &std::path::Path, vars: &[(&str, String)]) -> Env {
    let mut all = vec![("HOME".to_string(), home.display().to_string())];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Env::from_map(all)
}

fn env_keys() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIDSTATICENV".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "static-env-secret".to_string()),
    ]
}

/// Starts a provider like a host does, reads credentials once, and waits (bounded, real time)
/// for the shadowing probe; returns the report.
fn start_and_settle(env: Env) -> (FreshSource, Value) {
    let options = SourceOptions::from_pairs::<&str, &str>([]).unwrap();
    let provider = FreshSource::with_env(options, env).unwrap();
    provider.credentials().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status: Value = serde_json::from_str(&provider.status_json()).unwrap();
        if status["chain"]["probing"] == false {
            return (provider, status["chain"].clone());
        }
        assert!(Instant::now() < deadline, "still probing: {status}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn link<'a>(chain: &'a Value, name_prefix: &str) -> &'a Value {
    chain["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"].as_str().unwrap().starts_with(name_prefix))
        .unwrap_or_else(|| panic!("no link {name_prefix} in {chain}"))
}

#[test]
fn environment_keys_on_a_machine_without_imds_start_with_no_warning() {
    let (_turn, records) = capture();
    let home = tempfile::tempdir().unwrap();
    let mut vars = env_keys();
    vars.push((
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        freshcreds_sim::closed_port_url(),
    ));
    // A profile file named by a variable that does not exist: advice about a source that lost.
    vars.push((
        "AWS_CONFIG_FILE",
        home.path().join("missing-config").display().to_string(),
    ));
    let (provider, chain) = start_and_settle(env_with(home.path(), &vars));
    assert_eq!(chain["winner"], "Environment");
    assert_eq!(
        link(&chain, "Ec2InstanceMetadata")["state"],
        "notConfigured"
    );
    let warned = records.at_least_warn();
    assert!(warned.is_empty(), "warnings at start-up: {warned:#?}");
    let profile_warnings = link(&chain, "Profile")["warnings"].to_string();
    assert!(
        profile_warnings.contains("does not exist"),
        "kept in the report: {chain}"
    );
    drop(provider);
}

#[test]
fn an_imds_falling_back_to_v1_below_environment_keys_warns_only_in_the_report() {
    let (_turn, records) = capture();
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().status(403));
    let home = tempfile::tempdir().unwrap();
    let mut vars = env_keys();
    vars.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url()));
    let (_provider, chain) = start_and_settle(env_with(home.path(), &vars));
    assert_eq!(chain["winner"], "Environment");
    let imds = link(&chain, "Ec2InstanceMetadata");
    assert_eq!(imds["state"], "available", "{chain}");
    assert!(
        imds["warnings"]
            .to_string()
            .contains("falling back to IMDSv1"),
        "{chain}"
    );
    let warned = records.at_least_warn();
    assert!(warned.is_empty(), "{warned:#?}");
}

#[test]
fn the_winners_own_warning_is_still_logged() {
    // The control: the same IMDSv1 fallback, IMDS supplying the credentials.
    let (_turn, records) = capture();
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().status(403));
    let home = tempfile::tempdir().unwrap();
    let vars = vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url())];
    let (_provider, chain) = start_and_settle(env_with(home.path(), &vars));
    assert_eq!(chain["winner"], "Ec2InstanceMetadata");
    let warned = records.at_least_warn();
    let fallback: Vec<_> = warned
        .iter()
        .filter(|m| m.contains("falling back to IMDSv1"))
        .collect();
    assert_eq!(fallback.len(), 1, "{warned:#?}");
}

#[cfg(unix)]
#[test]
fn the_shadowing_probe_runs_no_process_calls_no_sts_and_fetches_no_credentials() {
    let (_turn, _records) = capture();
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let marker = home.path().join("process-ran");
    let token = home.path().join("token");
    std::fs::write(&token, "eyJhbGciOi.test.token").unwrap();
    let config = home.path().join("config");
    let credentials = home.path().join("credentials");
    std::fs::write(
        &credentials,
        "[base]\naws_access_key_id = AKIDSIMSTATIC\naws_secret_access_key = freshcreds-sim/static/secret/key/for/tests\n",
    )
    .unwrap();
    let profiles = [
        (
            "proc",
            format!(
                "[profile proc]\ncredential_process = sh -c 'touch {}; echo {{}}'\n",
                marker.display()
            ),
        ),
        (
            "role",
            "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
                .to_string(),
        ),
    ];
    for (profile, text) in profiles {
        std::fs::write(&config, text).unwrap();
        let mut vars = env_keys();
        vars.extend([
            ("AWS_PROFILE", profile.to_string()),
            ("AWS_CONFIG_FILE", config.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.display().to_string(),
            ),
            ("AWS_ENDPOINT_URL_STS", sim.base_url()),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url()),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::123456789012:role/web".to_string(),
            ),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/container/creds", sim.base_url()),
            ),
        ]);
        sim.reset_counts();
        let (_provider, chain) = start_and_settle(env_with(home.path(), &vars));
        assert_eq!(chain["winner"], "Environment");
        let c = sim.counts();
        assert_eq!(c.sts, 0, "{profile}: the probe called STS: {chain}");
        assert_eq!(c.container, 0, "{profile}: {c:?}");
        assert_eq!(c.imds_credentials, 0, "{profile}: {c:?}");
        assert!(c.imds_role_list >= 1, "IMDS is asked whether a role exists");
        assert!(!marker.exists(), "{profile}: the credential_process ran");
        assert_eq!(link(&chain, "Profile")["state"], "configured", "{chain}");
        assert_eq!(link(&chain, "WebIdentityToken")["state"], "configured");
        let shadowed = chain["shadowed"].to_string();
        for name in [
            "WebIdentityToken",
            "Profile(",
            "Container",
            "Ec2InstanceMetadata",
        ] {
            assert!(shadowed.contains(name), "{name} not in {shadowed}");
        }
        assert_eq!(sim.assume_role_calls().len(), 0);
    }
}
