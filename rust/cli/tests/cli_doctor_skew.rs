//! `freshcreds doctor` on a host whose clock is 10 minutes off (the simulator's clock set ahead):
//! its own STS `GetCallerIdentity` is signed with the skew the sources measured, so the identity
//! check answers, while the clock-skew check still reports the wrong clock.

use std::process::Command;

use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");

fn doctor(sim: &Simulator, keys: bool) -> Vec<Value> {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["doctor", "--json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url())
        .env("AWS_ENDPOINT_URL_STS", sim.base_url());
    if keys {
        cmd.env("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", STATIC_SECRET_ACCESS_KEY);
    }
    let out = cmd.output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    doc["checks"].as_array().unwrap().clone()
}

fn levels(checks: &[Value], check: &str) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c["check"] == check)
        .map(|c| format!("{} {}", c["level"].as_str().unwrap(), c["message"]))
        .collect()
}

#[test]
fn on_a_host_ten_minutes_slow_the_identity_check_answers_and_the_skew_check_fails() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    sim.set_clock_skew(chrono::Duration::minutes(10));
    for keys in [true, false] {
        sim.reset_counts();
        let checks = doctor(&sim, keys);
        let identity = levels(&checks, "identity");
        assert!(
            identity.iter().any(|l| l.starts_with("OK ")),
            "keys from {}: {identity:?}",
            if keys { "the environment" } else { "IMDS" }
        );
        let skew = levels(&checks, "clock-skew");
        assert!(
            skew.iter().any(|l| l.starts_with("FAIL ")),
            "the wrong clock is still reported: {skew:?}"
        );
    }
}
