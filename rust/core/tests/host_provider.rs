//! The blocking host API (what the JNI bridge and the C ABI call), against the simulator.

use std::time::Duration;

use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator};

fn isolated_env(extra: &[(&str, &str)]) -> Env {
    // A home without ~/.aws, so the developer's own files never leak into a test.
    let home = std::env::temp_dir().join(format!("freshcreds-host-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut vars = vec![("HOME".to_string(), home.display().to_string())];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Env::from_map(vars)
}

#[test]
fn the_default_chain_falls_through_to_imds_and_reports_every_source() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let options = SourceOptions::from_pairs([("imdsEndpoint", sim.base_url())]).unwrap();
    let provider = FreshSource::with_env(options, isolated_env(&[])).unwrap();
    let snap = provider.credentials().unwrap();
    assert!(snap.credentials.access_key_id().starts_with("ASIA"));
    assert!(!snap.stale);
    // One hour credentials: the next refresh is 15 min (+ up to 1 min jitter) before expiry.
    assert!(
        snap.serve_for > Duration::from_secs(40 * 60)
            && snap.serve_for <= Duration::from_secs(45 * 60),
        "{:?}",
        snap.serve_for
    );
    let status: serde_json::Value = serde_json::from_str(&provider.status_json()).unwrap();
    assert_eq!(status["chain"]["winner"], "Ec2InstanceMetadata");
    let links = status["chain"]["links"].as_array().unwrap();
    let names: Vec<&str> = links
        .iter()
        .map(|l| l["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "SystemProperties",
            "Environment",
            "WebIdentityToken",
            "Profile",
            "Container",
            "Ec2InstanceMetadata"
        ]
    );
    assert_eq!(links[1]["state"], "notConfigured");
    assert!(!provider
        .status_json()
        .contains(snap.credentials.secret_access_key()));
}

#[test]
fn system_properties_passed_by_the_host_win_and_shadowing_of_a_working_role_is_reported() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let options = SourceOptions::from_pairs([
        ("imdsEndpoint", sim.base_url().as_str()),
        ("aws.accessKeyId", "AKIDFROMPROPS"),
        ("aws.secretAccessKey", "secret-from-props"),
    ])
    .unwrap();
    let provider = FreshSource::with_env(options, isolated_env(&[])).unwrap();
    assert_eq!(
        provider.credentials().unwrap().credentials.access_key_id(),
        "AKIDFROMPROPS"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status: serde_json::Value = serde_json::from_str(&provider.status_json()).unwrap();
        if status["chain"]["probing"] == false {
            assert_eq!(
                status["chain"]["shadowed"],
                serde_json::json!(["Ec2InstanceMetadata"])
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "probe did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_forced_refresh_returns_new_credentials_after_a_rotation() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let options =
        SourceOptions::from_pairs([("imdsEndpoint", sim.base_url()), ("source", "imds".into())])
            .unwrap();
    let provider = FreshSource::with_env(options, isolated_env(&[])).unwrap();
    let first = provider.credentials().unwrap();
    sim.rotate_now();
    let second = provider.refresh().unwrap();
    assert_ne!(
        first.credentials.access_key_id(),
        second.credentials.access_key_id()
    );
}

#[test]
fn nothing_anywhere_gives_a_clear_error_listing_each_source() {
    // IMDS on a closed port: refused at once, remembered as "not on EC2".
    let options = SourceOptions::from_pairs([
        ("imdsEndpoint", "http://127.0.0.1:9"),
        ("firstFetchTimeoutMillis", "3000"),
    ])
    .unwrap();
    let provider = FreshSource::with_env(options, isolated_env(&[])).unwrap();
    let err = provider.credentials().unwrap_err();
    let msg = err.full_message();
    assert!(msg.contains("Environment: not configured"), "{msg}");
    assert!(msg.contains("Ec2InstanceMetadata"), "{msg}");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotConfigured | ErrorKind::Connect | ErrorKind::Timeout
        ),
        "{:?}",
        err.kind()
    );
}

#[test]
fn bad_options_are_rejected_naming_the_key() {
    let e = SourceOptions::from_pairs([("source", "mainframe")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(
        e.message().contains("`source`=\"mainframe\""),
        "{}",
        e.message()
    );
    let e = SourceOptions::from_pairs([("imdsEndpointMode", "IPv5")]).unwrap_err();
    assert!(e.message().contains("IPv5"), "{}", e.message());
}
