//! `freshcreds serve` and `freshcreds credential-process` end to end: the binary against the
//! simulator, used by the real AWS CLI (which must be installed unless `FRESHCREDS_SKIP=aws-cli`)
//! and by 20 client processes across a credential rotation.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use freshcreds_sim::tools::{available_or_skip, AWS_CLI};
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");
/// Set in the environment of the client processes the rotation test starts (this test binary).
const CLIENT_URL: &str = "FRESHCREDS_TEST_CLIENT_URL";
const CLIENT_TOKEN_FILE: &str = "FRESHCREDS_TEST_CLIENT_TOKEN_FILE";
const CLIENT_WANT: &str = "FRESHCREDS_TEST_CLIENT_WANT_KEYS";

fn base_env(cmd: &mut Command, home: &std::path::Path, sim: &Simulator) {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url())
        .env("AWS_ENDPOINT_URL_STS", sim.base_url())
        .env("AWS_REGION", "us-east-1")
        // Room for the slow IMDS answers of the rotation test.
        .env("AWS_METADATA_SERVICE_TIMEOUT", "5");
}

/// Runs `freshcreds command` in [`base_env`] and fails the test (showing its standard error)
/// unless it succeeds.
fn run_ok(sim: &Simulator, home: &std::path::Path, command: &str) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    base_env(&mut cmd, home, sim);
    let out = cmd.arg(command).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Fails unless only the owner may read or write `path` (Unix; elsewhere it checks nothing).
fn assert_owner_only(path: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path}");
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A running `freshcreds serve`, stopped (SIGTERM, then kill) when dropped.
struct Serve {
    child: Child,
    url: String,
    token_file: String,
}

impl Serve {
    fn start(sim: &Simulator, home: &std::path::Path, extra: &[&str]) -> Serve {
        let token_file = home.join("serve.token");
        let mut cmd = Command::new(BIN);
        base_env(&mut cmd, home, sim);
        cmd.args(["serve", "--port", "0", "--print-env", "--token-file"])
            .arg(&token_file)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url = None;
        let mut file = None;
        for _ in 0..2 {
            let line = lines.next().expect("serve printed its variables").unwrap();
            if let Some(v) = line.strip_prefix("export AWS_CONTAINER_CREDENTIALS_FULL_URI=") {
                url = Some(v.to_string());
            }
            if let Some(v) = line.strip_prefix("export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=") {
                file = Some(v.to_string());
            }
        }
        let serve = Serve {
            child,
            url: url.expect("FULL_URI line"),
            token_file: file.expect("TOKEN_FILE line"),
        };
        assert_eq!(serve.token_file, token_file.display().to_string());
        serve
    }

    fn token(&self) -> String {
        std::fs::read_to_string(&self.token_file).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 GET with an optional Authorization header: status and body.
fn get(url: &str, authorization: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// `aws sts get-caller-identity` against the simulator, with `vars` and nothing else configured.
fn aws_identity(sim: &Simulator, home: &std::path::Path, vars: &[(&str, String)]) -> Value {
    let mut cmd = Command::new("aws");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "sts",
            "get-caller-identity",
            "--output",
            "json",
            "--region",
            "us-east-1",
        ])
        .args(["--endpoint-url", &sim.base_url()]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "aws failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn credential_process_prints_version_1_json_from_the_chain() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = run_ok(&sim, home.path(), "credential-process");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issued = sim.issued_credentials();
    assert_eq!(doc["Version"], 1);
    assert_eq!(doc["AccessKeyId"], issued[0].access_key_id.as_str());
    assert_eq!(
        doc["SessionToken"],
        issued[0].session_token.as_deref().unwrap()
    );
    assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn credential_process_refuses_to_run_itself_recursively() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    base_env(&mut cmd, home.path(), &sim);
    let out = cmd
        .arg("credential-process")
        .env("FRESHCREDS_IN_CREDENTIAL_PROCESS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("credential_process runs freshcreds again"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(sim.counts().imds_credentials, 0);
}

#[test]
fn export_prints_shell_lines_with_the_expiry_as_a_comment() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = run_ok(&sim, home.path(), "export");
    let text = String::from_utf8(out.stdout).unwrap();
    let issued = &sim.issued_credentials()[0];
    let mut lines = text.lines();
    let comment = lines.next().unwrap();
    assert!(
        comment.starts_with("# credentials from Ec2InstanceMetadata, expiring "),
        "{comment}"
    );
    assert!(text.contains(&format!(
        "export AWS_ACCESS_KEY_ID='{}'\n",
        issued.access_key_id
    )));
    assert!(text.contains("export AWS_SESSION_TOKEN='"));
    assert!(text.contains("export AWS_CREDENTIAL_EXPIRATION="));
}

#[test]
fn the_aws_cli_gets_its_identity_through_credential_process() {
    if !available_or_skip(
        AWS_CLI,
        "the_aws_cli_gets_its_identity_through_credential_process",
    ) {
        return;
    }
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("aws-config"),
        format!("[profile fresh]\ncredential_process = {BIN} credential-process\n"),
    )
    .unwrap();
    let id = aws_identity(
        &sim,
        home.path(),
        &[
            ("AWS_PROFILE", "fresh".to_string()),
            // The CLI's own IMDS lookup stays off (its credential_process comes first anyway);
            // freshcreds, its child, must reach IMDS.
            ("AWS_EC2_METADATA_DISABLED", "false".to_string()),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url()),
            (
                "AWS_CONFIG_FILE",
                home.path().join("aws-config").display().to_string(),
            ),
        ],
    );
    assert_eq!(
        id["Arn"],
        "arn:aws:sts::123456789012:assumed-role/freshcreds-sim-role/i-sim"
    );
    assert_eq!(sim.counts().imds_credentials, 1);
}

#[test]
fn serve_answers_only_with_the_token_and_writes_it_owner_only() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let serve = Serve::start(&sim, home.path(), &[]);
    let token = serve.token();
    assert_eq!(token.len(), 64);
    assert_owner_only(&serve.token_file);
    let (status, body) = get(&serve.url, None);
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains(&token));
    assert!(
        !body.contains(&serve.token_file),
        "the 401 names the token file: {body}"
    );
    let (status, _) = get(&serve.url, Some("wrong"));
    assert_eq!(status, 401);
    let (status, body) = get(&serve.url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let issued = &sim.issued_credentials()[0];
    assert_eq!(doc["AccessKeyId"], issued.access_key_id.as_str());
    assert_eq!(doc["Token"], issued.session_token.as_deref().unwrap());
    assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_stale_token_file_from_a_crashed_run_is_replaced_at_start() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let stale = "0".repeat(64);
    std::fs::write(home.path().join("serve.token"), &stale).unwrap();
    let serve = Serve::start(&sim, home.path(), &[]);
    let token = serve.token();
    assert_ne!(token, stale);
    assert_eq!(token.len(), 64);
    assert_owner_only(&serve.token_file);
    assert_eq!(get(&serve.url, Some(&stale)).0, 401);
    assert_eq!(get(&serve.url, Some(&token)).0, 200);
}

#[test]
fn serve_with_role_arn_hands_out_the_role_session_assumed_with_the_instance_role() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let role = "arn:aws:iam::123456789012:role/served-role";
    let serve = Serve::start(
        &sim,
        home.path(),
        &["--role-arn", role, "--role-session-name", "served"],
    );
    let (status, body) = get(&serve.url, Some(&serve.token()));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let issued = sim.issued_credentials();
    let session = issued
        .iter()
        .find(|c| c.arn.ends_with(":assumed-role/served-role/served"))
        .expect("a role session was minted");
    assert_eq!(doc["AccessKeyId"], session.access_key_id.as_str());
    let call = &sim.assume_role_calls()[0];
    let instance = issued
        .iter()
        .find(|c| c.arn.contains("freshcreds-sim-role"));
    assert_eq!(
        call.signed_by.as_deref(),
        instance.map(|c| c.access_key_id.as_str()),
        "assumed with the IMDS credentials of the chain"
    );
}

#[test]
fn the_aws_cli_gets_its_identity_through_serve() {
    if !available_or_skip(AWS_CLI, "the_aws_cli_gets_its_identity_through_serve") {
        return;
    }
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let serve = Serve::start(&sim, home.path(), &[]);
    let id = aws_identity(
        &sim,
        home.path(),
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", serve.url.clone()),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                serve.token_file.clone(),
            ),
        ],
    );
    assert_eq!(
        id["Arn"],
        "arn:aws:sts::123456789012:assumed-role/freshcreds-sim-role/i-sim"
    );
    assert_eq!(sim.counts().imds_credentials, 1);
}

/// Not a test on its own (ignored, so it never counts as a pass): the body of each client
/// process of the rotation test, which starts this test binary again with `--ignored` and the
/// client variables set. Polls `serve` until it has seen the wanted number of distinct access
/// keys, then prints them.
#[test]
#[ignore = "a helper: the twenty-client rotation test runs it in its child processes"]
fn acts_as_a_credentials_client_when_started_by_the_rotation_test() {
    let url = std::env::var(CLIENT_URL).unwrap_or_else(|_| {
        panic!("a helper of the twenty-client rotation test, which runs it with {CLIENT_URL} set")
    });
    let token = std::fs::read_to_string(std::env::var(CLIENT_TOKEN_FILE).unwrap()).unwrap();
    let want: usize = std::env::var(CLIENT_WANT).unwrap().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut keys = Vec::<String>::new();
    let mut requests = 0;
    let mut slowest = Duration::ZERO;
    while keys.len() < want && Instant::now() < deadline {
        let started = Instant::now();
        let (status, body) = get(&url, Some(&token));
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, 200, "{body}");
        requests += 1;
        let doc: Value = serde_json::from_str(&body).unwrap();
        let key = doc["AccessKeyId"].as_str().unwrap().to_string();
        if !keys.contains(&key) {
            keys.push(key);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "CLIENT-KEYS {} REQUESTS {requests} SLOWEST-MS {}",
        keys.join(","),
        slowest.as_millis()
    );
}

#[test]
fn twenty_client_processes_across_a_slow_rotation_are_answered_at_once_for_one_imds_call_per_rotation(
) {
    // IMDS rotates 10 s before expiry; serve refreshes 5 s before expiry (the refresh engine's
    // last-stretch window for 20 s credentials is 5 s too), so its refresh finds new
    // credentials, about 15 s after the first fetch.
    let sim = Simulator::start_blocking(
        SimConfig::default()
            .credential_lifetime(Duration::from_secs(20))
            .imds_rotation_lead(Duration::from_secs(10)),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let serve = Serve::start(
        &sim,
        home.path(),
        &[
            "--option",
            "refreshLeadMillis=5000",
            "--option",
            "jitterMillis=0",
        ],
    );
    // The first fetch is done once serve answers; from then on IMDS takes 3 s per credentials
    // answer, so the rotation's refresh is slow: clients must keep getting answers at once.
    let (status, _) = get(&serve.url, Some(&serve.token()));
    assert_eq!(status, 200);
    sim.set_fault(Endpoint::ImdsCredentials, Fault::default().latency_ms(3000));
    let exe = std::env::current_exe().unwrap();
    let clients: Vec<Child> = (0..20)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "acts_as_a_credentials_client_when_started_by_the_rotation_test",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CLIENT_URL, &serve.url)
                .env(CLIENT_TOKEN_FILE, &serve.token_file)
                .env(CLIENT_WANT, "2")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut all_keys = BTreeSet::new();
    let mut total_requests = 0;
    for client in clients {
        let out = client.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "client failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text
            .lines()
            .find_map(|l| l.split_once("CLIENT-KEYS ").map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("no CLIENT-KEYS line in {text}"));
        let (keys, rest) = line.split_once(" REQUESTS ").unwrap();
        let (requests, slowest) = rest.split_once(" SLOWEST-MS ").unwrap();
        let slowest: u64 = slowest.trim().parse().unwrap();
        assert!(
            slowest < 1000,
            "a request waited {slowest} ms: answers must not wait for the refresh"
        );
        let keys: Vec<&str> = keys.split(',').collect();
        assert_eq!(keys.len(), 2, "each client sees the rotation: {line}");
        all_keys.extend(keys.iter().map(|k| k.to_string()));
        total_requests += requests.parse::<u64>().unwrap();
    }
    let counts = sim.counts();
    assert_eq!(all_keys.len(), 2, "{all_keys:?}");
    assert!(total_requests >= 20 * 2, "{total_requests}");
    assert_eq!(
        counts.imds_credentials, 2,
        "one IMDS credentials call for the first fetch and one for the rotation, whatever the number of clients ({total_requests} requests): {counts:?}"
    );
    assert_eq!(sim.issued(), 2);
}

#[cfg(unix)]
#[test]
fn print_env_quotes_values_so_a_shell_reads_back_the_exact_token_path() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("it's a $(touch pwned) file.token");
    let mut cmd = Command::new(BIN);
    base_env(&mut cmd, home.path(), &sim);
    cmd.args(["serve", "--port", "0", "--print-env", "--token-file"])
        .arg(&token_file)
        .current_dir(home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    let serve = Serve {
        child,
        url: String::new(),
        token_file: token_file.display().to_string(),
    };
    let out = Command::new("sh")
        .args([
            "-c",
            r#"eval "$1"; printf '%s\n%s' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE""#,
            "sh",
            &printed.join("\n"),
        ])
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{printed:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (url, path) = text.split_once('\n').unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{printed:?}");
    assert_eq!(path, serve.token_file, "{printed:?}");
    assert!(!home.path().join("pwned").exists(), "{printed:?}");
    assert_eq!(serve.token().len(), 64);
}

/// While the IMDS behind freshcreds serves only expired credentials, `export` and `serve` hand
/// them on with the end of the static-stability extension as the expiry (in the future), so the
/// shell or SDK that reads them keeps using them through the outage.
#[test]
fn while_imds_serves_only_expired_credentials_export_and_serve_hand_out_a_future_expiry() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().expired_credentials(),
    );
    let home = tempfile::tempdir().unwrap();
    let in_the_future = |text: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(text).unwrap();
        t > chrono::Utc::now() + chrono::Duration::minutes(4)
    };

    let out = run_ok(&sim, home.path(), "export");
    let text = String::from_utf8(out.stdout).unwrap();
    let expiry = text
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_CREDENTIAL_EXPIRATION="))
        .expect("an expiry line");
    assert!(in_the_future(expiry), "export handed out {expiry}");

    let serve = Serve::start(&sim, home.path(), &[]);
    let (status, body) = get(&serve.url, Some(&serve.token()));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let expiry = doc["Expiration"].as_str().unwrap();
    assert!(in_the_future(expiry), "serve handed out {expiry}");
}
