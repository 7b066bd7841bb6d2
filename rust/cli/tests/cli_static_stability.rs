//! Static stability through the process boundary: while the IMDS behind freshcreds serves only
//! expired credentials (an outage in which EC2 keeps handing out the last ones), the AWS CLI,
//! through `credential_process = freshcreds credential-process`, still makes its signed call — as
//! AWS accepts such extended instance-profile credentials (the simulator's
//! `sts_accepts_expired` switch). Without the AWS CLI the tests fail, unless
//! `FRESHCREDS_SKIP=aws-cli` lets them skip (`freshcreds_sim::tools`).

use std::process::{Command, Output};

use freshcreds_sim::tools::{available_or_skip, AWS_CLI};
use freshcreds_sim::{Endpoint, Fault, SimConfig, SimSettings, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");

/// `aws sts get-caller-identity` with a profile whose credentials come from freshcreds, which
/// reads the simulator's IMDS.
fn aws_through_credential_process(sim: &Simulator, home: &std::path::Path) -> Output {
    let config = home.join("aws-config");
    std::fs::write(
        &config,
        format!("[profile fresh]\ncredential_process = {BIN} credential-process\n"),
    )
    .unwrap();
    Command::new("aws")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_PROFILE", "fresh")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url())
        .args(["sts", "get-caller-identity", "--output", "json"])
        .args(["--region", "us-east-1", "--endpoint-url", &sim.base_url()])
        .output()
        .unwrap()
}

fn imds_serves_only_expired_credentials(sim: &Simulator) {
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().expired_credentials(),
    );
}

#[test]
fn without_the_outage_switch_sts_refuses_the_expired_credentials_imds_serves() {
    // The control: the simulator is strict by default, so the test below proves the switch is
    // what lets the call through, not a lax simulator. freshcreds does hand the credentials on
    // (with an extended expiry, flagged stale), and STS refuses them.
    if !available_or_skip(
        AWS_CLI,
        "without_the_outage_switch_sts_refuses_the_expired_credentials_imds_serves",
    ) {
        return;
    }
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    imds_serves_only_expired_credentials(&sim);
    let home = tempfile::tempdir().unwrap();
    let out = aws_through_credential_process(&sim, home.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ExpiredToken"), "{stderr}");
    let c = sim.counts();
    assert_eq!((c.sts_ok, c.sts_expired_token), (0, 1), "{c:?}");
}

#[test]
fn the_aws_cli_makes_its_signed_call_through_credential_process_while_imds_serves_only_expired_credentials(
) {
    if !available_or_skip(
        AWS_CLI,
        "the_aws_cli_makes_its_signed_call_through_credential_process_while_imds_serves_only_expired_credentials",
    ) {
        return;
    }
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    imds_serves_only_expired_credentials(&sim);
    sim.set_settings(SimSettings {
        sts_accepts_expired: true,
        ..SimSettings::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = aws_through_credential_process(&sim, home.path());
    assert!(
        out.status.success(),
        "aws failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        id["Arn"],
        "arn:aws:sts::123456789012:assumed-role/freshcreds-sim-role/i-sim"
    );
    let c = sim.counts();
    assert_eq!((c.sts_ok, c.sts_accepted_expired), (1, 1), "{c:?}");
}
