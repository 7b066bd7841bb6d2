//! `credential_process` against real child processes (Unix shell commands).
#![cfg(unix)]

use std::process::Command;
use std::time::{Duration, Instant};

use freshcreds::sources::process::{CredentialProcessSource, DEFAULT_PROCESS_TIMEOUT};
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;

const GOOD: &str = r#"{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "process-secret-value", "SessionToken": "process-token-value", "Expiration": "2031-05-06T07:08:09Z"}"#;

fn source(command: &str) -> CredentialProcessSource {
    CredentialProcessSource::new(command, "profile tools")
}

#[tokio::test]
async fn a_command_printing_version_1_json_yields_its_credentials() {
    let fetched = source(&format!("echo '{GOOD}'")).fetch().await.unwrap();
    let c = fetched.credentials;
    assert_eq!(c.access_key_id(), "AKIDPROCESS");
    assert_eq!(c.secret_access_key(), "process-secret-value");
    assert_eq!(c.session_token(), Some("process-token-value"));
    assert_eq!(
        c.expiration().unwrap().to_rfc3339(),
        "2031-05-06T07:08:09+00:00"
    );
    assert_eq!(c.source(), "CredentialProcess(profile tools)");
    assert!(fetched.server_date.is_none());
    let shown = format!("{c:?}");
    assert!(!shown.contains("process-secret-value") && !shown.contains("process-token-value"));
}

#[tokio::test]
async fn long_term_keys_without_token_or_expiration_are_accepted() {
    let c = source(r#"printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s"}'"#)
        .fetch()
        .await
        .unwrap()
        .credentials;
    assert_eq!(c.session_token(), None);
    assert_eq!(c.expiration(), None);
}

#[tokio::test]
async fn the_command_line_goes_through_the_shell() {
    // Pipes, variables and quoting are the shell's: the SDKs run `sh -c <command>`.
    let c = source(&format!("X='{GOOD}'; echo \"$X\" | cat"))
        .fetch()
        .await
        .unwrap()
        .credentials;
    assert_eq!(c.access_key_id(), "AKIDPROCESS");
}

#[tokio::test]
async fn a_non_zero_exit_names_the_program_and_the_code_but_not_the_output() {
    let err = source("echo leaked-stdout-secret; exit 3")
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    let text = err.full_message();
    assert!(text.contains("exited with code 3"), "{text}");
    assert!(text.contains("`echo`"), "{text}");
    assert!(text.contains("profile tools"), "{text}");
    assert!(!text.contains("leaked-stdout-secret"), "{text}");
}

#[tokio::test]
async fn a_missing_program_is_reported_with_the_shell_exit_code() {
    let err = source("/nonexistent/freshcreds-helper --arg hidden-argument")
        .fetch()
        .await
        .unwrap_err();
    let text = err.full_message();
    assert!(text.contains("exited with code 127"), "{text}");
    assert!(text.contains("/nonexistent/freshcreds-helper"), "{text}");
    assert!(!text.contains("hidden-argument"), "{text}");
}

#[tokio::test]
async fn output_that_is_not_json_is_a_parse_error_naming_the_profile_without_echoing_it() {
    let err = source("echo this-is-not-json-secret")
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    let text = err.full_message();
    assert!(
        text.contains("profile tools") && text.contains("not JSON"),
        "{text}"
    );
    assert!(!text.contains("this-is-not-json-secret"), "{text}");
}

#[tokio::test]
async fn a_version_other_than_1_is_a_parse_error() {
    let err = source(r#"echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}'"#)
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(err.message().contains("Version 2"), "{}", err.message());
}

#[tokio::test]
async fn a_command_that_runs_past_its_timeout_is_killed_and_reported() {
    assert_eq!(DEFAULT_PROCESS_TIMEOUT, Duration::from_secs(60));
    let started = Instant::now();
    let err = source("sleep 5")
        .with_timeout(Duration::from_millis(200))
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("200ms"), "{}", err.message());
    assert!(err.message().contains("`sleep`"), "{}", err.message());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_empty_command_is_a_configuration_error() {
    let err = source("  ").fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
}

const HELPER_ENV: &str = "FRESHCREDS_PROCESS_STDERR_HELPER";

/// Run by `the_commands_standard_error_is_passed_through` in a child test process: fetches from
/// a command that writes to standard error, which must reach this process's standard error.
#[tokio::test]
async fn stderr_helper_fetches_only_when_asked_by_the_passthrough_test() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let c = source(&format!(
        "echo diagnostic-line-from-helper >&2; echo '{GOOD}'"
    ))
    .fetch()
    .await
    .unwrap()
    .credentials;
    assert_eq!(c.access_key_id(), "AKIDPROCESS");
}

#[test]
fn the_commands_standard_error_is_passed_through() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "stderr_helper_fetches_only_when_asked_by_the_passthrough_test",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(
        stderr.contains("diagnostic-line-from-helper"),
        "stderr: {stderr}"
    );
    assert!(!stdout.contains("diagnostic-line-from-helper"));
}
