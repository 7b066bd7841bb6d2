//! The IMDS source against the local simulator on loopback: tokens, the IMDSv1 fallback, retries,
//! role discovery, parsing, proxies and the "not on EC2" memory.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use freshcreds::clock::ManualClock;
use freshcreds::sources::imds::PROXY_ENV_VARS;
use freshcreds::sources::imds::{
    ImdsClient, ImdsConfig, ImdsCredentialsSource, HOP_LIMIT_FIX, TOKEN_REFRESH_MARGIN,
    V1_FALLBACK_RECHECK,
};
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};

async fn start_sim() -> Simulator {
    start_sim_with(SimConfig::default().credential_lifetime(Duration::from_secs(3600))).await
}

async fn start_sim_with(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("simulator starts")
}

/// Retries without waiting (zero backoff), so a manual clock never has to be driven.
fn no_wait(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    }
}

fn config_for(base_url: &str) -> ImdsConfig {
    ImdsConfig {
        timeout: Duration::from_secs(2),
        retry: no_wait(3),
        ..ImdsConfig::builder()
            .endpoint(base_url)
            .build()
            .expect("loopback URL")
    }
}

fn source(config: ImdsConfig, clock: &ManualClock) -> ImdsCredentialsSource {
    ImdsCredentialsSource::new(config, Arc::new(clock.clone())).expect("source builds")
}

fn fault(f: impl FnOnce(&mut Fault)) -> Fault {
    let mut fault = Fault::default();
    f(&mut fault);
    fault
}

/// Log lines written while the guard lives (on this thread: tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_token_and_one_role_lookup_serve_many_fetches() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    for _ in 0..5 {
        let fetched = src.fetch().await.expect("credentials");
        assert_eq!(fetched.credentials.source(), "Ec2InstanceMetadata");
        clock.advance(Duration::from_secs(600));
    }
    let counts = sim.counts();
    assert_eq!(counts.imds_token, 1);
    assert_eq!(counts.imds_role_list, 1);
    assert_eq!(counts.imds_credentials, 5);
    let stats = src.stats();
    assert_eq!(stats.token_fetches, 1);
    assert_eq!(stats.requests, 7);
    assert_eq!((stats.retries, stats.v1_fallbacks), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetches_share_a_single_token_call() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.latency_ms = Some(100)));
    let clock = ManualClock::starting_now();
    let src = Arc::new(source(config_for(&sim.base_url()), &clock));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let src = src.clone();
            tokio::spawn(async move { src.fetch().await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("credentials");
    }
    assert_eq!(sim.counts().imds_token, 1);
    assert_eq!(src.stats().token_fetches, 1);
    assert_eq!(sim.counts().imds_credentials, 8);
}

#[tokio::test]
async fn the_token_is_renewed_shortly_before_its_ttl_on_the_injected_clock() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let ttl = Duration::from_secs(600);
    let src = source(
        ImdsConfig {
            token_ttl: ttl,
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    src.fetch().await.unwrap();
    clock.advance(ttl - TOKEN_REFRESH_MARGIN - Duration::from_secs(1));
    src.fetch().await.unwrap();
    assert_eq!(
        sim.counts().imds_token,
        1,
        "still within the token's useful life"
    );
    clock.advance(Duration::from_secs(2));
    src.fetch().await.unwrap();
    assert_eq!(
        sim.counts().imds_token,
        2,
        "renewed {TOKEN_REFRESH_MARGIN:?} before expiry"
    );
}

#[tokio::test]
async fn a_401_drops_the_token_fetches_a_new_one_and_repeats_the_call_once() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            token_ttl: Duration::from_secs(300),
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    src.fetch().await.unwrap();
    // The server's tokens expire on its own clock, which moved while ours did not.
    sim.advance_time(Duration::from_secs(400));
    sim.reset_counts();
    let fetched = src.fetch().await.expect("credentials after a new token");
    assert!(fetched.credentials.expiration().is_some());
    let counts = sim.counts();
    assert_eq!(counts.imds_token, 1, "one new token");
    assert_eq!(
        counts.imds_credentials, 2,
        "the rejected call and its repeat"
    );
    assert_eq!(src.stats().token_fetches, 2);
}

async fn falls_back_to_v1_when_the_token_call_answers(status: u16) {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.status = Some(status)));
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let logs = Logs::default();
    let _guard = logs.capture();

    src.fetch().await.expect("credentials over IMDSv1");
    src.fetch().await.expect("credentials over IMDSv1 again");
    assert_eq!(
        sim.counts().imds_token,
        1,
        "no token call while the fallback is fresh"
    );
    clock.advance(V1_FALLBACK_RECHECK);
    src.fetch()
        .await
        .expect("credentials over IMDSv1 after a recheck");
    assert_eq!(
        sim.counts().imds_token,
        2,
        "the token call is tried again later"
    );

    let stats = src.stats();
    assert_eq!(stats.v1_fallbacks, 2);
    assert_eq!(
        stats.retries, 0,
        "HTTP {status} on the token call is not retried"
    );
    let text = logs.text();
    assert_eq!(
        text.matches("falling back to IMDSv1").count(),
        1,
        "one warning per fallback episode:\n{text}"
    );
    assert!(
        text.contains("WARN") && text.contains(&format!("HTTP {status}")),
        "{text}"
    );

    // The token works again: the episode ends, and the token is used.
    sim.clear_faults();
    clock.advance(V1_FALLBACK_RECHECK);
    sim.reset_counts();
    src.fetch().await.unwrap();
    assert_eq!(sim.counts().imds_token, 1);
    assert!(logs.text().contains("leaving the IMDSv1 fallback"));
}

#[tokio::test]
async fn a_403_on_the_token_call_falls_back_to_imdsv1_with_one_warning() {
    falls_back_to_v1_when_the_token_call_answers(403).await;
}

#[tokio::test]
async fn a_405_on_the_token_call_falls_back_to_imdsv1_with_one_warning() {
    falls_back_to_v1_when_the_token_call_answers(405).await;
}

#[tokio::test]
async fn a_token_call_that_times_out_falls_back_to_imdsv1_without_retrying_it() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.hang = true));
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            timeout: Duration::from_millis(300),
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    let started = Instant::now();
    let fetched = src.fetch().await.expect("credentials over IMDSv1");
    assert!(fetched.credentials.session_token().is_some());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.counts().imds_token, 1);
    assert_eq!(src.stats().v1_fallbacks, 1);
}

#[tokio::test]
async fn with_v1_disabled_a_refused_token_call_is_an_error_with_the_hop_limit_fix() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.status = Some(403)));
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            v1_fallback: false,
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    let err = src.fetch().await.unwrap_err();
    let msg = err.message();
    assert!(msg.contains(HOP_LIMIT_FIX), "{msg}");
    assert!(msg.contains("AWS_EC2_METADATA_V1_DISABLED"), "{msg}");
    assert!(
        msg.contains(&format!("{}/latest/api/token", sim.base_url())),
        "{msg}"
    );
    assert_eq!(err.kind(), ErrorKind::Http(403));
    let counts = sim.counts();
    assert_eq!((counts.imds_role_list, counts.imds_credentials), (0, 0));
    assert_eq!(src.stats().v1_fallbacks, 0);
}

#[tokio::test]
async fn with_v1_disabled_a_token_call_that_times_out_is_retried_then_explains_the_hop_limit() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.hang = true));
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            v1_fallback: false,
            timeout: Duration::from_millis(200),
            retry: no_wait(2),
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains(HOP_LIMIT_FIX), "{}", err.message());
    assert!(err.message().contains("timed out"), "{}", err.message());
    assert_eq!(
        sim.counts().imds_token,
        2,
        "timeouts are retried when IMDSv1 is off"
    );
    assert_eq!(sim.counts().imds_role_list, 0);
}

#[tokio::test]
async fn an_instance_that_requires_tokens_explains_the_hop_limit_when_the_token_call_fails() {
    let sim = start_sim_with(SimConfig {
        imds_v1_disabled: true,
        ..SimConfig::default()
    })
    .await;
    sim.set_fault(Endpoint::ImdsToken, fault(|f| f.status = Some(403)));
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(401));
    assert!(err.message().contains(HOP_LIMIT_FIX), "{}", err.message());
    assert!(
        err.message().contains("requires IMDSv2"),
        "{}",
        err.message()
    );
}

async fn retries_with_backoff_then_succeeds(status: u16) {
    let sim = start_sim().await;
    sim.set_fault(
        Endpoint::ImdsCredentials,
        fault(|f| {
            f.status = Some(status);
            f.times = Some(2);
        }),
    );
    let clock = ManualClock::starting_now();
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(100),
        cap: Duration::from_millis(150),
    };
    let src = source(
        ImdsConfig {
            retry: policy,
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    // The backoff sleeps on the manual clock: keep moving it while the fetch runs.
    let driver = {
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                clock.advance(Duration::from_millis(10));
            }
        })
    };
    let fetched = src.fetch().await;
    driver.abort();
    fetched.expect("credentials after two retries");
    assert_eq!(sim.counts().imds_credentials, 3);
    assert_eq!(src.stats().retries, 2);
    let sleeps = clock.requested_sleeps();
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    for (i, sleep) in sleeps.iter().enumerate() {
        assert!(*sleep <= policy.ceiling(i as u32), "sleep {i} = {sleep:?}");
    }
}

#[tokio::test]
async fn a_503_is_retried_with_backoff_within_the_policy_ceilings_then_succeeds() {
    retries_with_backoff_then_succeeds(503).await;
}

#[tokio::test]
async fn a_429_is_retried_with_backoff_within_the_policy_ceilings_then_succeeds() {
    retries_with_backoff_then_succeeds(429).await;
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts_with_an_error_naming_the_url() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsCredentials, fault(|f| f.status = Some(500)));
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            retry: no_wait(4),
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(500));
    assert!(
        err.message()
            .contains("/latest/meta-data/iam/security-credentials/freshcreds-sim-role"),
        "{}",
        err.message()
    );
    assert_eq!(sim.counts().imds_credentials, 4);
    assert_eq!(src.stats().retries, 3);
}

#[tokio::test]
async fn a_404_on_the_role_listing_is_not_retried_and_says_to_attach_an_instance_profile() {
    let sim = start_sim().await;
    sim.set_fault(Endpoint::ImdsRoleList, fault(|f| f.status = Some(404)));
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    assert!(
        err.message().contains("instance profile"),
        "{}",
        err.message()
    );
    assert!(
        err.message()
            .contains("/latest/meta-data/iam/security-credentials/"),
        "{}",
        err.message()
    );
    assert_eq!(sim.counts().imds_role_list, 1);
    assert_eq!(src.stats().retries, 0);
}

#[tokio::test]
async fn an_empty_role_listing_means_no_role_is_attached() {
    let sim = start_sim_with(SimConfig {
        role_name: String::new(),
        ..SimConfig::default()
    })
    .await;
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    assert!(err.message().contains("listed none"), "{}", err.message());
}

#[tokio::test]
async fn a_cached_role_that_answers_404_is_discovered_again_once() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    src.fetch().await.unwrap();
    sim.set_fault(
        Endpoint::ImdsCredentials,
        fault(|f| {
            f.status = Some(404);
            f.times = Some(1);
        }),
    );
    sim.reset_counts();
    src.fetch().await.expect("credentials after re-discovery");
    let counts = sim.counts();
    assert_eq!(counts.imds_role_list, 1, "the role was listed again");
    assert_eq!(counts.imds_credentials, 2);

    // A role that keeps answering 404 right after discovery is an error, not a loop.
    sim.set_fault(Endpoint::ImdsCredentials, fault(|f| f.status = Some(404)));
    sim.reset_counts();
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http(404));
    assert!(
        err.message().contains("freshcreds-sim-role"),
        "{}",
        err.message()
    );
    assert_eq!(sim.counts().imds_role_list, 1);
    assert_eq!(sim.counts().imds_credentials, 2);
}

#[tokio::test]
async fn a_code_other_than_success_is_refused_naming_the_code() {
    let sim = start_sim().await;
    sim.set_fault(
        Endpoint::ImdsCredentials,
        fault(|f| f.code = Some("Failure".into())),
    );
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(
        err.message().contains("Code `Failure`"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("freshcreds-sim-role"),
        "{}",
        err.message()
    );
    assert_no_secret(&sim, &err.full_message());
}

#[tokio::test]
async fn a_malformed_document_is_a_parse_error_naming_the_url_and_not_the_body() {
    let sim = start_sim().await;
    sim.set_fault(
        Endpoint::ImdsCredentials,
        fault(|f| f.malformed_json = true),
    );
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    let url = format!(
        "{}/latest/meta-data/iam/security-credentials/freshcreds-sim-role",
        sim.base_url()
    );
    assert!(err.message().contains(&url), "{}", err.message());
    assert!(err.message().contains("not JSON"), "{}", err.message());
    assert!(!sim.issued_credentials().is_empty());
    assert_no_secret(&sim, &err.full_message());
    assert_no_secret(&sim, &format!("{err:?}"));
}

#[tokio::test]
async fn the_date_header_becomes_the_server_date() {
    let sim = start_sim().await;
    sim.set_fault(
        Endpoint::ImdsCredentials,
        fault(|f| f.date_skew_secs = Some(-7200)),
    );
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let fetched = src.fetch().await.unwrap();
    let server_date = fetched.server_date.expect("a Date header");
    let expected = sim.now() - chrono::Duration::seconds(7200);
    let off = (server_date - expected).num_seconds().abs();
    assert!(
        off <= 2,
        "server date {server_date}, expected about {expected}"
    );
    let issued = sim.issued_credentials();
    let last = issued.last().unwrap();
    assert_eq!(fetched.credentials.access_key_id(), last.access_key_id);
    assert_eq!(
        fetched.credentials.secret_access_key(),
        last.secret_access_key
    );
    assert_eq!(
        fetched.credentials.session_token(),
        last.session_token.as_deref()
    );
    assert_eq!(fetched.credentials.expiration(), last.expiration);
}

/// Serializes the tests that change the process's proxy variables.
static PROXY_ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn imds_requests_never_go_through_the_proxy_from_the_environment() {
    let _lock = PROXY_ENV.lock().await;
    let sim = start_sim().await;
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trap_url = format!("http://{}", trap.local_addr().unwrap());
    let hits = Arc::new(AtomicU64::new(0));
    let trap_task = {
        let hits = hits.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = trap.accept().await {
                hits.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        })
    };
    let saved: Vec<_> = PROXY_ENV_VARS
        .iter()
        .chain(["NO_PROXY", "no_proxy"].iter())
        .map(|v| (*v, std::env::var_os(v)))
        .collect();
    for var in PROXY_ENV_VARS {
        std::env::set_var(var, &trap_url);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    // The trap works: an ordinary client built now goes through it.
    let ordinary = reqwest::Client::new();
    let _ = ordinary
        .get(format!(
            "{}/latest/meta-data/placement/region",
            sim.base_url()
        ))
        .send()
        .await;
    let control_hits = hits.load(Ordering::SeqCst);

    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let result = src.fetch().await;
    let client = ImdsClient::new(config_for(&sim.base_url()), Arc::new(clock.clone())).unwrap();
    let region = client.get("/latest/meta-data/placement/region").await;

    for (var, value) in saved {
        match value {
            Some(v) => std::env::set_var(var, v),
            None => std::env::remove_var(var),
        }
    }
    trap_task.abort();

    assert_eq!(control_hits, 1, "the trap proxy catches a proxied client");
    result.expect("credentials fetched directly");
    assert_eq!(region.expect("region").body, "us-east-1");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        control_hits,
        "IMDS went through the proxy"
    );
    assert_eq!(sim.counts().imds_credentials, 1);
}

#[tokio::test]
async fn a_refused_connection_is_remembered_as_not_on_ec2_and_later_fetches_fail_fast() {
    let base = freshcreds_sim::closed_port_url();
    let clock = ManualClock::starting_now();
    let src = source(config_for(&base), &clock);

    let err = src.fetch().await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::NotConfigured,
        "{}",
        err.full_message()
    );
    assert!(err.message().contains("not on EC2"), "{}", err.message());
    assert!(err.message().contains(&base), "{}", err.message());
    let after_first = src.stats().requests;
    assert_eq!(after_first, 3, "one round of attempts");

    let started = Instant::now();
    let err = src.fetch().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    assert!(
        err.message().contains("not trying again"),
        "{}",
        err.message()
    );
    assert!(err.message().contains(&base), "{}", err.message());
    assert_eq!(src.stats().requests, after_first, "no connection attempt");

    clock.advance(Duration::from_secs(61));
    src.fetch().await.unwrap_err();
    assert_eq!(
        src.stats().requests,
        after_first * 2,
        "tried again after the memory expired"
    );
}

#[tokio::test]
async fn a_disabled_source_names_the_variable_and_makes_no_request() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let src = source(
        ImdsConfig {
            disabled: true,
            ..config_for(&sim.base_url())
        },
        &clock,
    );
    let err = src.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disabled);
    assert!(
        err.message().contains("AWS_EC2_METADATA_DISABLED"),
        "{}",
        err.message()
    );
    assert_eq!(src.stats().requests, 0);
    assert_eq!(sim.counts().imds_token, 0);
}

#[tokio::test]
async fn no_secret_appears_in_the_debug_output_of_the_source_its_results_or_the_logs() {
    let sim = start_sim().await;
    let clock = ManualClock::starting_now();
    let src = source(config_for(&sim.base_url()), &clock);
    let logs = Logs::default();
    let _guard = logs.capture();
    let fetched = src.fetch().await.unwrap();
    let response = src
        .client()
        .get("/latest/meta-data/iam/security-credentials/freshcreds-sim-role")
        .await
        .unwrap();
    assert!(response
        .body
        .contains(fetched.credentials.secret_access_key()));
    let text = format!(
        "{src:?} {src:#?} {fetched:?} {response:?} {:?} {}",
        src.client(),
        logs.text()
    );
    assert!(text.contains(fetched.credentials.access_key_id()));
    assert_no_secret(&sim, &text);
    // IMDSv2 session tokens from the simulator start with `AQAEA`.
    assert!(!text.contains("AQAEA"), "a session token leaked: {text}");
}

fn assert_no_secret(sim: &Simulator, text: &str) {
    for issued in sim.issued_credentials() {
        assert!(
            !text.contains(&issued.secret_access_key),
            "secret key leaked: {text}"
        );
        if let Some(token) = &issued.session_token {
            assert!(
                !text.contains(token.as_str()),
                "session token leaked: {text}"
            );
        }
    }
}
