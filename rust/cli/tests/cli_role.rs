//! `--role-arn` on `credential-process` and `export`: the binary assumes the role with the
//! chain's credentials (static keys from the environment here) against the simulator, and hands
//! out the role session; bad role flags fail with a message naming them.

use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID};
use serde_json::Value;

mod common;
use common::{freshcreds, ROLE};

#[test]
fn credential_process_with_role_arn_prints_the_role_session_assumed_with_the_chain_keys() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(
        &sim,
        home.path(),
        &[
            "credential-process",
            "--role-arn",
            ROLE,
            "--role-session-name",
            "from-cli",
            "--external-id",
            "ext-9",
            "--duration",
            "900",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issued = sim.issued_credentials();
    assert_eq!(issued.len(), 1);
    assert_eq!(doc["Version"], 1);
    assert_eq!(doc["AccessKeyId"], issued[0].access_key_id.as_str());
    assert!(doc["SessionToken"].is_string() && doc["Expiration"].is_string());
    assert!(issued[0].arn.ends_with(":assumed-role/cli-role/from-cli"));
    let call = &sim.assume_role_calls()[0];
    assert_eq!(call.signed_by.as_deref(), Some(STATIC_ACCESS_KEY_ID));
    assert_eq!(call.external_id.as_deref(), Some("ext-9"));
    assert_eq!(call.duration_seconds.as_deref(), Some("900"));
}

#[test]
fn export_with_role_arn_names_the_role_as_the_source() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(&sim, home.path(), &["export", "--role-arn", ROLE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("# credentials from AssumeRole({ROLE}), expiring")),
        "{text}"
    );
    let key = &sim.issued_credentials()[0].access_key_id;
    assert!(
        text.contains(&format!("export AWS_ACCESS_KEY_ID='{key}'")),
        "{text}"
    );
}

#[test]
fn a_duration_out_of_range_or_a_session_name_without_a_role_fails_naming_the_flag() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(
        &sim,
        home.path(),
        &["credential-process", "--role-arn", ROLE, "--duration", "60"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--duration: freshcreds option `durationSeconds`=60 is out of range"),
        "{err}"
    );
    let out = freshcreds(
        &sim,
        home.path(),
        &["credential-process", "--role-session-name", "x1"],
    );
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--role-arn"), "{err}");
    assert_eq!(sim.counts().sts, 0, "nothing was sent to STS");
}
