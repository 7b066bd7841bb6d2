//! Container credentials against the simulator's container endpoint and a tiny recorded-response
//! server, plus the AWS conformance vectors (smithy-rs `ecs-tests.json`, aws-sdk-ruby
//! `ecs_credentials_request.json` and `ecs_credentials_response.json`).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use freshcreds::env::Env;
use freshcreds::sources::container::{
    ContainerCredentialsSource, HostLookup, DEFAULT_CONTAINER_DNS_TIMEOUT,
    DEFAULT_CONTAINER_TIMEOUT, ENV_AUTH_TOKEN, ENV_AUTH_TOKEN_FILE, ENV_FULL_URI, ENV_RELATIVE_URI,
    MAX_CONTAINER_RESPONSE_BYTES,
};
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::{BoxFuture, CredentialSource};
use freshcreds::ErrorKind;
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[path = "support/oversized_server.rs"]
mod oversized_server;
use oversized_server::oversized_server;

const TOKEN: &str = "Bearer container-token-value";

fn no_wait() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    }
}

fn source<K: Into<String>, V: Into<String>>(
    vars: impl IntoIterator<Item = (K, V)>,
) -> ContainerCredentialsSource {
    ContainerCredentialsSource::new(Env::from_map(vars))
        .unwrap()
        .with_retry_policy(no_wait())
}

fn temp_file(contents: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "freshcreds-container-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

async fn sim_with_token(token: Option<&str>) -> Simulator {
    Simulator::start(SimConfig {
        container_auth_token: token.map(str::to_string),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_loopback_full_uri_serves_the_container_credentials_with_the_server_date() {
    let sim = sim_with_token(None).await;
    let url = format!("{}/container/v1/credentials", sim.base_url());
    let fetched = source([(ENV_FULL_URI, url)]).fetch().await.unwrap();
    let c = &fetched.credentials;
    let minted = sim.issued_credentials();
    let m = minted.last().unwrap();
    assert_eq!(c.access_key_id(), m.access_key_id);
    assert_eq!(c.secret_access_key(), m.secret_access_key);
    assert_eq!(c.session_token(), m.session_token.as_deref());
    assert_eq!(c.expiration(), m.expiration);
    assert_eq!(c.source(), "ContainerCredentials");
    assert!(fetched.server_date.is_some());
    assert_eq!(sim.counts().container, 1);
}

#[tokio::test]
async fn localhost_is_allowed_because_it_resolves_to_loopback() {
    let sim = sim_with_token(None).await;
    let url = format!("http://localhost:{}/container/creds", sim.port());
    source([(ENV_FULL_URI, url)]).fetch().await.unwrap();
    assert_eq!(sim.counts().container, 1);
}

#[tokio::test]
async fn a_relative_uri_is_appended_to_the_ecs_host_and_wins_over_the_full_uri() {
    let s = source([
        (ENV_RELATIVE_URI, "/v2/credentials/abc?x=1"),
        (ENV_FULL_URI, "http://127.0.0.1:1/ignored"),
    ]);
    let request = s.resolve().await.unwrap();
    assert_eq!(
        request.url.as_str(),
        "http://169.254.170.2/v2/credentials/abc?x=1"
    );
    assert_eq!(request.uri_variable, ENV_RELATIVE_URI);
}

#[tokio::test]
async fn without_uri_variables_the_source_is_not_configured() {
    let err = source([(ENV_AUTH_TOKEN, TOKEN)]).fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    assert!(!ContainerCredentialsSource::is_configured(&Env::from_map(
        [(ENV_AUTH_TOKEN, TOKEN)]
    )));
}

#[tokio::test]
async fn the_token_from_the_environment_is_sent_as_the_authorization_header() {
    let sim = sim_with_token(Some(TOKEN)).await;
    let url = format!("{}/container/creds", sim.base_url());
    source([
        (ENV_FULL_URI, url.clone()),
        (ENV_AUTH_TOKEN, TOKEN.to_string()),
    ])
    .fetch()
    .await
    .unwrap();

    let err = source([(ENV_FULL_URI, url)]).fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(401), "{}", err.message());
    assert_eq!(sim.counts().container, 2, "a 401 is not retried");
}

#[tokio::test]
async fn a_bad_token_is_rejected_by_the_endpoint_and_not_shown_in_the_error() {
    let sim = sim_with_token(Some(TOKEN)).await;
    let url = format!("{}/container/creds", sim.base_url());
    let s = source([
        (ENV_FULL_URI, url),
        (ENV_AUTH_TOKEN, "Bearer wrong-token-value".into()),
    ]);
    let err = s.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(403));
    let text = err.full_message();
    assert!(text.contains(ENV_FULL_URI), "{text}");
    assert!(!text.contains("wrong-token-value"), "{text}");
    assert!(!format!("{s:?}").contains("wrong-token-value"));
}

#[tokio::test]
async fn the_token_file_wins_over_the_variable_and_is_read_again_at_every_fetch() {
    let sim = sim_with_token(Some(TOKEN)).await;
    let url = format!("{}/container/creds", sim.base_url());
    let file = temp_file(TOKEN);
    let s = source([
        (ENV_FULL_URI, url),
        (ENV_AUTH_TOKEN, "Bearer stale-env-token".to_string()),
        (ENV_AUTH_TOKEN_FILE, file.to_str().unwrap().to_string()),
    ]);
    s.fetch().await.unwrap();
    std::fs::write(&file, "Bearer rotated-away").unwrap();
    let err = s.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(403));
    std::fs::write(&file, TOKEN).unwrap();
    s.fetch().await.unwrap();
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn a_token_with_a_line_break_is_refused_before_any_request() {
    let sim = sim_with_token(Some(TOKEN)).await;
    let url = format!("{}/container/creds", sim.base_url());
    let file = temp_file(&format!("{TOKEN}\n"));
    let err = source([
        (ENV_FULL_URI, url.clone()),
        (ENV_AUTH_TOKEN_FILE, file.to_str().unwrap().to_string()),
    ])
    .fetch()
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.message().contains(file.to_str().unwrap()),
        "{}",
        err.message()
    );
    assert!(!err.message().contains("container-token-value"));

    let err = source([
        (ENV_FULL_URI, url),
        (ENV_AUTH_TOKEN, format!("{TOKEN}\r\nX-Evil: 1")),
    ])
    .fetch()
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.message().contains(ENV_AUTH_TOKEN), "{}", err.message());
    assert_eq!(sim.counts().container, 0);
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused_naming_the_variable_and_the_host() {
    for (uri, host) in [
        ("http://192.168.1.1/endpoint", "192.168.1.1"),
        ("http://169.254.169.254/latest", "169.254.169.254"),
        ("http://[fd00:ec2::24]/creds", "[fd00:ec2::24]"),
        ("http://example.com/creds", "example.com"),
    ] {
        let err = source([(ENV_FULL_URI, uri), (ENV_AUTH_TOKEN, TOKEN)])
            .fetch()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{uri}");
        let text = err.full_message();
        assert!(text.contains(ENV_FULL_URI), "{text}");
        assert!(text.contains(host), "{text}");
        assert!(!text.contains("container-token-value"), "{text}");
    }
    let https = source([(ENV_FULL_URI, "https://creds.example.com/x")])
        .resolve()
        .await
        .unwrap();
    assert_eq!(https.url.as_str(), "https://creds.example.com/x");
}

#[tokio::test]
async fn server_errors_are_retried_and_then_succeed() {
    let sim = sim_with_token(None).await;
    sim.set_fault(Endpoint::Container, Fault::default().status(500).times(2));
    let url = format!("{}/container/creds", sim.base_url());
    source([(ENV_FULL_URI, url)]).fetch().await.unwrap();
    assert_eq!(sim.counts().container, 3);
}

#[tokio::test]
async fn a_truncated_answer_is_a_parse_error() {
    let sim = sim_with_token(None).await;
    sim.set_fault(Endpoint::Container, Fault::default().malformed_json());
    let url = format!("{}/container/creds", sim.base_url());
    let err = source([(ENV_FULL_URI, url)]).fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert_eq!(sim.counts().container, 1, "parse errors are not retried");
}

// ---------------------------------------------------------------------------------------------
// Conformance vectors.

fn conformance(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap()
}

fn env_of(case: &Value) -> HashMap<String, String> {
    case["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Serves one recorded response to every connection, like a real credentials endpoint would.
async fn recorded_server(response: &Value) -> (String, tokio::task::JoinHandle<()>) {
    let status = response["status"].as_u64().unwrap() as u16;
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let body = response["body"].as_str().unwrap_or_default().to_string();
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(headers) = response["headers"].as_object() {
        for (k, v) in headers {
            head.push_str(&format!("{k}: {}\r\n", v.as_str().unwrap_or_default()));
        }
    }
    let raw = format!("{head}\r\n{body}");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/credentials", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let raw = raw.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(raw.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, task)
}

#[tokio::test]
async fn container_conformance_vectors_pass() {
    let mut passed = 0;
    // Every vector runs; a vector that cannot run here would be listed with its reason.
    let skipped: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();

    // smithy-rs: URI resolution.
    let smithy = conformance("smithy-rs/aws/rust-runtime/aws-config/test-data/ecs-tests.json");
    for case in smithy["tests"].as_array().unwrap() {
        let name = format!("smithy-rs ecs-tests: {}", case["docs"].as_str().unwrap());
        let got = source(env_of(case)).resolve().await;
        let result = &case["result"];
        let ok = match (result.get("Ok"), result.get("ErrorContains"), &got) {
            (Some(url), _, Ok(req)) => req.url.as_str() == url.as_str().unwrap(),
            (_, Some(text), Err(e)) => contains_ci(&e.full_message(), text.as_str().unwrap()),
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: expected {result}, got {got:?}"));
        }
    }

    // aws-sdk-ruby: request construction (URI, Authorization header, errors).
    let requests =
        conformance("aws-sdk-ruby/gems/aws-sdk-core/spec/aws/ecs_credentials_request.json");
    for case in requests.as_array().unwrap() {
        let name = format!(
            "aws-sdk-ruby request: {}",
            case["description"].as_str().unwrap()
        );
        let mut env = env_of(case);
        let mut token_path = None;
        if case["token_file"]["type"] == "success" {
            let path = temp_file(case["token_file"]["content"].as_str().unwrap());
            env.insert(
                ENV_AUTH_TOKEN_FILE.to_string(),
                path.to_str().unwrap().to_string(),
            );
            token_path = Some(path);
        }
        let got = source(env).resolve().await;
        let expect = &case["expect"];
        let ok = match (expect["type"].as_str().unwrap(), &got) {
            ("error", Err(e)) => contains_ci(&e.full_message(), expect["reason"].as_str().unwrap()),
            ("success", Ok(req)) => {
                let want = &expect["request"];
                let auth = want["headers"]["Authorization"].as_str();
                want["method"] == "GET"
                    && req.url.as_str() == want["uri"].as_str().unwrap()
                    && req.authorization() == auth
            }
            _ => false,
        };
        if let Some(p) = token_path {
            let _ = std::fs::remove_file(p);
        }
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: expected {expect}, got {got:?}"));
        }
    }

    // aws-sdk-ruby: response handling, served by a real loopback server.
    let responses =
        conformance("aws-sdk-ruby/gems/aws-sdk-core/spec/aws/ecs_credentials_response.json");
    for case in responses.as_array().unwrap() {
        let name = format!(
            "aws-sdk-ruby response: {}",
            case["description"].as_str().unwrap()
        );
        let (url, server) = recorded_server(&case["response"]).await;
        let got = source([(ENV_FULL_URI, url)]).fetch().await;
        server.abort();
        let expect = &case["expect"];
        let ok = match (expect["type"].as_str().unwrap(), &got) {
            ("error", Err(e)) => {
                let text = e.full_message();
                contains_ci(&text, expect["reason"].as_str().unwrap())
                    && expect["metadata"]
                        .as_object()
                        .map(|m| {
                            m.iter().all(|(k, v)| {
                                text.contains(&format!("{k}: {}", v.as_str().unwrap()))
                            })
                        })
                        .unwrap_or(true)
            }
            ("success", Ok(f)) => {
                let want = &expect["credentials"];
                let c = &f.credentials;
                if want.get("account_id").is_some() {
                    notes.push(format!("{name}: account_id is not modelled by freshcreds credentials; the other fields are checked"));
                }
                let expiration =
                    chrono::DateTime::parse_from_rfc3339(want["expiration"].as_str().unwrap())
                        .unwrap()
                        .with_timezone(&chrono::Utc);
                c.access_key_id() == want["access_key_id"]
                    && c.secret_access_key() == want["secret_access_key"]
                    && c.session_token() == want["session_token"].as_str()
                    && c.expiration() == Some(expiration)
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: expected {expect}, got {got:?}"));
        }
    }

    let _ = writeln!(
        std::io::stdout().lock(),
        "container conformance: {passed} passed, {} skipped",
        skipped.len()
    );
    for s in &skipped {
        let _ = writeln!(std::io::stdout().lock(), "  skipped: {s}");
    }
    for n in &notes {
        let _ = writeln!(std::io::stdout().lock(), "  note: {n}");
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(passed, 27, "11 smithy-rs + 11 request + 5 response vectors");
}

#[tokio::test]
async fn a_relative_uri_that_is_not_a_path_is_refused_and_nothing_is_sent() {
    // Appended to http://169.254.170.2 these used to change the host: `@127.0.0.1:PORT/x` made
    // 127.0.0.1:PORT the host (and `169.254.170.2:` Basic credentials), `.evil.example/x` a
    // host name under the attacker's control.
    let sim = sim_with_token(None).await;
    for relative in [
        format!("@127.0.0.1:{}/container/x", sim.port()),
        ".evil.example/x".to_string(),
        ":8080/x".to_string(),
        "x/credentials".to_string(),
    ] {
        let s = source([(ENV_RELATIVE_URI, relative.as_str())]);
        let err = s.resolve().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{relative}");
        let text = err.full_message();
        assert!(
            text.contains(ENV_RELATIVE_URI) && text.contains("must be a path starting with '/'"),
            "{text}"
        );
        let err = s.fetch().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{relative}");
    }
    assert_eq!(sim.counts().container, 0);
}

#[tokio::test]
async fn another_host_for_relative_uris_is_refused_rather_than_ignored() {
    // The SDKs send a relative URI to AWS_CONTAINER_SERVICE_ENDPOINT when it is set; freshcreds
    // keeps relative URIs on the ECS host, and says so instead of quietly asking another host.
    let sim = sim_with_token(None).await;
    let s = source([
        (ENV_RELATIVE_URI, "/container/x"),
        ("AWS_CONTAINER_SERVICE_ENDPOINT", sim.base_url().as_str()),
    ]);
    let err = s.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let text = err.full_message();
    assert!(
        text.contains("environment variable AWS_CONTAINER_SERVICE_ENDPOINT is not supported")
            && text.contains("aws.containerCredentialsFullUri"),
        "{text}"
    );
    assert!(!text.contains(&sim.base_url()), "{text}");
    assert_eq!(sim.counts().container, 0);
    // The ECS host itself is what the SDKs use by default: nothing to refuse.
    let s = source([
        (ENV_RELATIVE_URI, "/container/x"),
        ("AWS_CONTAINER_SERVICE_ENDPOINT", "http://169.254.170.2/"),
    ]);
    assert_eq!(
        s.resolve().await.unwrap().url.as_str(),
        "http://169.254.170.2/container/x"
    );
}

#[tokio::test]
async fn relative_paths_that_look_odd_still_go_to_the_ecs_host() {
    for relative in ["//evil.example/x", "/\\evil.example/x", "/@127.0.0.1:1/x"] {
        let request = source([(ENV_RELATIVE_URI, relative)])
            .resolve()
            .await
            .unwrap();
        assert_eq!(request.url.host_str(), Some("169.254.170.2"), "{relative}");
        assert_eq!(request.url.port(), None, "{relative}");
    }
}

/// Answers one name with a first list of addresses, then with a second list (a DNS server that
/// "rebinds" between the check and the use), counting lookups.
struct RebindingLookup {
    first: Vec<SocketAddr>,
    later: Vec<SocketAddr>,
    calls: AtomicU32,
}

impl HostLookup for RebindingLookup {
    fn lookup<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = if n == 0 {
            self.first.clone()
        } else {
            self.later.clone()
        };
        Box::pin(async move { Ok(answer) })
    }
}

#[tokio::test]
async fn a_host_name_is_looked_up_once_and_the_request_connects_to_the_checked_address() {
    let sim = sim_with_token(None).await;
    let lookup = Arc::new(RebindingLookup {
        first: vec![SocketAddr::from(([127, 0, 0, 1], sim.port()))],
        // TEST-NET-1: outside the allow-list, and unroutable.
        later: vec![SocketAddr::from(([192, 0, 2, 1], sim.port()))],
        calls: AtomicU32::new(0),
    });
    let url = format!("http://creds.rebinding.test:{}/container/creds", sim.port());
    let s = source([(ENV_FULL_URI, url)]).with_host_lookup(lookup.clone(), Duration::from_secs(2));
    let fetched = s.fetch().await.unwrap();
    assert_eq!(fetched.credentials.source(), "ContainerCredentials");
    assert_eq!(
        lookup.calls.load(Ordering::SeqCst),
        1,
        "one lookup per fetch"
    );
    assert_eq!(sim.counts().container, 1);
    // The next fetch looks up again, gets the address outside the allow-list, and refuses.
    let err = s.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.message().contains("192.0.2.1"), "{}", err.message());
    assert_eq!(sim.counts().container, 1);
}

/// A lookup that never answers.
struct SilentLookup;

impl HostLookup for SilentLookup {
    fn lookup<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_lookup_that_never_answers_fails_after_the_dns_timeout_naming_the_host() {
    assert_eq!(DEFAULT_CONTAINER_DNS_TIMEOUT, Duration::from_secs(2));
    let started = tokio::time::Instant::now();
    let err = source([(ENV_FULL_URI, "http://creds.silent.test/x")])
        .with_host_lookup(Arc::new(SilentLookup), DEFAULT_CONTAINER_DNS_TIMEOUT)
        .resolve()
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), DEFAULT_CONTAINER_DNS_TIMEOUT);
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let text = err.full_message();
    assert!(
        text.contains("creds.silent.test") && text.contains("longer than 2s"),
        "{text}"
    );
}

#[tokio::test]
async fn an_answer_larger_than_the_limit_fails_at_once_naming_the_endpoint_and_the_limit() {
    assert_eq!(MAX_CONTAINER_RESPONSE_BYTES, 64 * 1024);
    for declared in [None, Some(10 * 1024 * 1024)] {
        let (base, server) = oversized_server(declared).await;
        let url = format!("{base}/credentials");
        let started = std::time::Instant::now();
        let err = source([(ENV_FULL_URI, url.as_str())])
            .fetch()
            .await
            .unwrap_err();
        let took = started.elapsed();
        server.abort();
        eprintln!("an endless container answer ({declared:?}) failed after {took:?}");
        assert_eq!(err.kind(), ErrorKind::Parse, "{}", err.full_message());
        let text = err.full_message();
        assert!(
            text.contains("larger than 65536 bytes") && text.contains(ENV_FULL_URI),
            "{text}"
        );
        assert!(text.contains("/credentials"), "{text}");
        assert!(took < DEFAULT_CONTAINER_TIMEOUT, "{took:?}");
    }
}
