//! `--min-validity` on `credential-process` and `export`: against the simulator's STS, a role
//! session of `--duration 900` serves an ask of 10 minutes and fails an ask of 20 minutes with a
//! message naming the 15-minute cap; never shorter credentials.

use chrono::{DateTime, Utc};
use freshcreds_sim::{SimConfig, Simulator, STATIC_SECRET_ACCESS_KEY};
use serde_json::Value;

mod common;
use common::{freshcreds, ROLE};

fn role_args<'a>(command: &'a str, min: &'a str) -> Vec<&'a str> {
    vec![
        command,
        "--role-arn",
        ROLE,
        "--duration",
        "900",
        "--min-validity",
        min,
    ]
}

#[test]
fn a_15_minute_role_session_fails_an_ask_of_20_minutes_naming_the_cap() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(&sim, home.path(), &role_args("credential-process", "20m"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no credentials are printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("valid for 20 min"), "{err}");
    assert!(err.contains("at most 15 min"), "{err}");
    assert!(err.contains("DurationSeconds=900"), "{err}");
    assert!(err.contains(&format!("AssumeRole({ROLE})")), "{err}");
    assert!(!err.contains(STATIC_SECRET_ACCESS_KEY), "{err}");
    assert_eq!(
        sim.assume_role_calls().len(),
        1,
        "no retry of what cannot succeed"
    );
}

#[test]
fn a_15_minute_role_session_serves_an_ask_of_10_minutes() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(&sim, home.path(), &role_args("credential-process", "10m"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expiration: DateTime<Utc> = doc["Expiration"].as_str().unwrap().parse().unwrap();
    let left = expiration - Utc::now();
    assert!(left >= chrono::Duration::minutes(10), "{left}");
    assert_eq!(
        doc["AccessKeyId"],
        sim.issued_credentials()[0].access_key_id.as_str()
    );
}

#[test]
fn export_takes_the_same_flag() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = freshcreds(&sim, home.path(), &role_args("export", "600s"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("export AWS_SESSION_TOKEN="), "{text}");

    // Exactly the session's length: by the time it is handed out, less is left.
    let out = freshcreds(&sim, home.path(), &role_args("export", "15m"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at most 15 min"), "{err}");

    let out = freshcreds(&sim, home.path(), &role_args("export", "1h"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("valid for 1 h") && err.contains("at most 15 min"),
        "{err}"
    );
}

#[test]
fn a_bad_duration_is_a_usage_error_naming_the_flag() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    for bad in ["20", "20x", "m", "0m"] {
        let out = freshcreds(
            &sim,
            home.path(),
            &["credential-process", "--min-validity", bad],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--min-validity"), "{bad}: {err}");
    }
    assert_eq!(sim.counts().sts, 0, "nothing was sent to STS");
}
