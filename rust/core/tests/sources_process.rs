//! `credential_process` against real child processes (Unix shell commands).
#![cfg(unix)]

use std::process::Command;
use std::time::{Duration, Instant};

use freshcreds::sources::process::{
    CredentialProcessSource, DEFAULT_PROCESS_TIMEOUT, MAX_PROCESS_OUTPUT_BYTES,
};
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

/// Not a test on its own (ignored, so it never counts as a pass): run by
/// `the_commands_standard_error_is_passed_through` in a child test process with `--ignored`,
/// it fetches from a command that writes to standard error, which must reach this process's
/// standard error.
#[tokio::test]
#[ignore = "a helper: the_commands_standard_error_is_passed_through runs it in a child process"]
async fn stderr_helper_fetches_only_when_asked_by_the_passthrough_test() {
    assert!(
        std::env::var_os(HELPER_ENV).is_some(),
        "a helper of the_commands_standard_error_is_passed_through, which runs it with {HELPER_ENV} set"
    );
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
            "--ignored",
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

/// Whether process `pid` is gone (reaped, or a zombie waiting for init to reap it).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state is the field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// How long the kernel and init get to reap killed processes before the test counts orphans.
const REAP_DEADLINE: Duration = Duration::from_secs(5);

/// The pids a command wrote to `pids` that are still running once `REAP_DEADLINE` has passed
/// (polled: the kernel reaps killed processes asynchronously).
fn orphans(pids: &std::path::Path) -> Vec<u32> {
    let listed: Vec<u32> = std::fs::read_to_string(pids)
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(!listed.is_empty(), "the command wrote no pids");
    let deadline = Instant::now() + REAP_DEADLINE;
    loop {
        let alive: Vec<u32> = listed.iter().copied().filter(|p| !is_gone(*p)).collect();
        if alive.is_empty() || Instant::now() > deadline {
            for pid in &alive {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
            return alive;
        }
        std::thread::yield_now();
    }
}

#[tokio::test]
async fn a_command_printing_past_the_output_limit_is_killed_at_once() {
    // 200 kB, then it would wait: before the limit was enforced while reading, this hung until
    // the timeout (the command blocks on a full pipe nobody reads).
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let started = Instant::now();
    let err = source(&format!(
        "echo $$ > {}; head -c 200000 /dev/zero | tr '\\0' x; sleep 30",
        pids.display()
    ))
    .with_timeout(Duration::from_secs(10))
    .fetch()
    .await
    .unwrap_err();
    let took = started.elapsed();
    eprintln!("a 200 kB printer failed after {took:?}");
    assert_eq!(err.kind(), ErrorKind::Parse);
    let text = err.full_message();
    assert!(
        text.contains(&format!("more than {MAX_PROCESS_OUTPUT_BYTES} bytes")),
        "{text}"
    );
    assert!(
        text.contains("`echo`") && text.contains("profile tools"),
        "{text}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(orphans(&pids), Vec::<u32>::new());
}

#[tokio::test]
async fn output_of_exactly_the_limit_is_read_whole() {
    // Padding JSON with spaces up to the limit: still parsed.
    let padding = MAX_PROCESS_OUTPUT_BYTES - GOOD.len();
    let c = source(&format!(
        "printf '%s' '{GOOD}'; head -c {padding} /dev/zero | tr '\\0' ' '"
    ))
    .fetch()
    .await
    .unwrap()
    .credentials;
    assert_eq!(c.access_key_id(), "AKIDPROCESS");
    let err = source(&format!(
        "printf '%s' '{GOOD}'; head -c {} /dev/zero | tr '\\0' ' '",
        padding + 1
    ))
    .fetch()
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
}

#[tokio::test]
async fn a_backgrounded_grandchild_holding_stdout_neither_delays_success_nor_survives() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let started = Instant::now();
    let fetched = source(&format!(
        "sleep 30 & echo $! > {}; echo '{GOOD}'",
        pids.display()
    ))
    .with_timeout(Duration::from_secs(10))
    .fetch()
    .await;
    let took = started.elapsed();
    eprintln!("success with a backgrounded grandchild took {took:?}");
    assert_eq!(fetched.unwrap().credentials.access_key_id(), "AKIDPROCESS");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(orphans(&pids), Vec::<u32>::new());
}

#[tokio::test]
async fn a_failing_command_with_a_backgrounded_grandchild_reports_its_exit_code_and_leaves_no_orphan(
) {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let err = source(&format!("sleep 30 & echo $! > {}; exit 4", pids.display()))
        .with_timeout(Duration::from_secs(10))
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused, "{}", err.full_message());
    assert!(
        err.message().contains("exited with code 4"),
        "{}",
        err.message()
    );
    assert_eq!(orphans(&pids), Vec::<u32>::new());
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_tree() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // A subshell with its own child, plus the shell itself: three processes to kill.
    let err = source(&format!(
        "(sleep 30 & echo $! >> {p}; sleep 30) & echo $! >> {p}; echo $$ >> {p}; sleep 30",
        p = pids.display()
    ))
    .with_timeout(Duration::from_millis(500))
    .fetch()
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(orphans(&pids), Vec::<u32>::new());
}

#[tokio::test]
async fn dropping_a_fetch_in_flight_kills_the_whole_process_tree() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let ready = dir.path().join("ready");
    let s = source(&format!(
        "sleep 30 & echo $! >> {p}; echo $$ >> {p}; touch {r}; sleep 30",
        p = pids.display(),
        r = ready.display()
    ));
    let mut fetch = s.fetch();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        tokio::select! {
            _ = &mut fetch => panic!("the command finished"),
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    drop(fetch);
    assert_eq!(orphans(&pids), Vec::<u32>::new());
}
