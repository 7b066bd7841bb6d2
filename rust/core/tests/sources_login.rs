//! `aws login` profiles (`login_session`): the published smithy-rs cases
//! (`login-provider-test-cases.json`) through the profile link, then refreshes against the
//! simulator, which verifies every DPoP proof (ES256 with the key in the cache, the key the refresh
//! token is bound to, `htu`, `iat`, a fresh `jti`), the write-back, the engine rotating the
//! credentials early, bounded failures, the login command in every error, and `mfa_serial`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use freshcreds::clock::{Clock, ManualClock, SystemClock};
use freshcreds::env::Env;
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::login::cache::{self, cache_file_name};
use freshcreds::sources::login::dpop::DpopKey;
use freshcreds::sources::login::{login_command, LOGIN_REFRESH_WINDOW};
use freshcreds::sources::sts::{StsClient, StsSettings};
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;
use freshcreds_sim::{Endpoint, Fault, LoginSession, SimConfig, Simulator};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

const CASES: &str =
    "../../tests/conformance/smithy-rs/aws/rust-runtime/aws-config/test-data/login-provider-test-cases.json";

/// The fixed time of the smithy-rs harness: 2025-11-19T00:00:00Z.
fn case_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_510_400, 0).unwrap()
}

/// A request the mock received: its JSON body and its `DPoP` header.
type SentRequest = (Value, Option<String>);

/// A loopback server answering `POST /v1/token` from a list of canned answers, keeping what it
/// was sent (a stand-in for the harness's mock HTTP client).
struct MockSignin {
    url: String,
    requests: Arc<Mutex<Vec<SentRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockSignin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockSignin {
    async fn start(answers: Vec<(u16, String)>) -> MockSignin {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<SentRequest>>> = Default::default();
        let answers = Arc::new(Mutex::new(answers));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, answers) = (seen.clone(), answers.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let (seen, answers) = (seen.clone(), answers.clone());
                            async move {
                                let dpop = req
                                    .headers()
                                    .get("dpop")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_string);
                                let body = req.into_body().collect().await.unwrap().to_bytes();
                                seen.lock().unwrap().push((
                                    serde_json::from_slice(&body).unwrap_or_default(),
                                    dpop,
                                ));
                                let (status, body) = {
                                    let mut a = answers.lock().unwrap();
                                    if a.is_empty() {
                                        (500, "{\"error\":\"no_mock\"}".to_string())
                                    } else {
                                        a.remove(0)
                                    }
                                };
                                let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                                *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        MockSignin {
            url,
            requests,
            task,
        }
    }
}

/// A home directory with a config file and a cache directory.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws/login/cache")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        Home { dir }
    }

    /// A home where `aws login` left `session` for [`LOGIN_PROFILE`] (with `more_config` lines),
    /// its cache file holding `doc`; returns the home and the cache file's name.
    fn logged_in(session: &LoginSession, more_config: &str, doc: &Value) -> (Home, String) {
        let dir = tempfile::tempdir().unwrap();
        let name = cache_file_name(&session.login_session);
        session.write_home(dir.path(), LOGIN_PROFILE, more_config, doc, &name);
        (Home { dir }, name)
    }

    fn cache_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(".aws/login/cache").join(name)
    }

    fn write_cache(&self, name: &str, doc: &Value) {
        std::fs::write(
            self.cache_file(name),
            serde_json::to_vec_pretty(doc).unwrap(),
        )
        .unwrap();
    }

    fn read_cache(&self, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.cache_file(name)).unwrap()).unwrap()
    }

    fn env(&self, profile: &str, signin: &str) -> Env {
        Env::from_map([
            ("HOME", self.dir.path().display().to_string()),
            (
                "AWS_CONFIG_FILE",
                self.dir.path().join(".aws/config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir
                    .path()
                    .join(".aws/credentials")
                    .display()
                    .to_string(),
            ),
            ("AWS_PROFILE", profile.to_string()),
            ("AWS_REGION", "us-east-2".to_string()),
            ("AWS_ENDPOINT_URL_SIGNIN", signin.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ])
    }
}

fn settings(env: Env, clock: Arc<dyn Clock>) -> ChainSettings {
    ChainSettings::new(env, clock)
}

async fn profile_source(env: Env, clock: Arc<dyn Clock>) -> Arc<dyn CredentialSource> {
    default_chain::build(&settings(env, clock), SourceSelection::Profile)
        .await
        .unwrap()
}

/// Every string value in a JSON document (secrets of a case, to check no error shows them).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 8 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Checks `proof` as AWS Sign-In does: ES256 with the key of `pem`, for `POST url`.
fn check_proof(proof: &str, pem: &str, url: &str, now: DateTime<Utc>) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let jwk = DpopKey::from_pem(pem).unwrap().public_jwk();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(
        (header["jwk"]["x"].as_str(), header["jwk"]["y"].as_str()),
        (Some(jwk.x.as_str()), Some(jwk.y.as_str())),
        "the cache's key"
    );
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], url);
    assert_eq!(claims["iat"], now.timestamp());
    let point = p256::EncodedPoint::from_affine_coordinates(
        URL_SAFE_NO_PAD.decode(&jwk.x).unwrap().as_slice().into(),
        URL_SAFE_NO_PAD.decode(&jwk.y).unwrap().as_slice().into(),
        false,
    );
    let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point).unwrap();
    let signature =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the ES256 signature verifies");
}

#[tokio::test]
async fn the_published_login_provider_cases_pass() {
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(CASES).unwrap()).unwrap();
    assert_eq!(cases.len(), 8, "the published suite has 8 cases");
    let mut passed = 0;
    for case in &cases {
        let doc = case["documentation"].as_str().unwrap();
        let home = Home::new(case["configContents"].as_str().unwrap());
        let mut secrets = Vec::new();
        for (name, contents) in case["cacheContents"].as_object().unwrap() {
            home.write_cache(name, contents);
            strings(&contents["accessToken"], &mut secrets);
            strings(&contents["refreshToken"], &mut secrets);
            strings(&contents["dpopKey"], &mut secrets);
        }
        let answers: Vec<(u16, String)> = case["mockApiCalls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .map(|c| match c["responseCode"].as_u64() {
                        Some(code) => (code as u16, "{\"error\":\"refresh_failed\"}".to_string()),
                        None => (200, c["response"]["tokenOutput"].to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected_requests: Vec<Value> = case["mockApiCalls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .map(|c| c["request"]["tokenInput"].clone())
                    .collect()
            })
            .unwrap_or_default();
        let mock = MockSignin::start(answers).await;
        let clock = ManualClock::new(case_time());
        let source = profile_source(home.env("signin", &mock.url), Arc::new(clock.clone())).await;
        let result = source.fetch().await;
        for outcome in case["outcomes"].as_array().unwrap() {
            match outcome["result"].as_str().unwrap() {
                "credentials" => {
                    let c = &result
                        .as_ref()
                        .unwrap_or_else(|e| panic!("{doc}: {}", e.full_message()))
                        .credentials;
                    assert_eq!(c.access_key_id(), outcome["accessKeyId"], "{doc}");
                    assert_eq!(c.secret_access_key(), outcome["secretAccessKey"], "{doc}");
                    assert_eq!(c.session_token(), outcome["sessionToken"].as_str(), "{doc}");
                    let expires: DateTime<Utc> =
                        outcome["expiresAt"].as_str().unwrap().parse().unwrap();
                    assert_eq!(c.expiration(), Some(expires), "{doc}");
                    assert_eq!(c.source(), "Profile(signin)/Login", "{doc}");
                    // The account id is the cache's (credentials carry none).
                    let (name, _) = case["cacheContents"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .next()
                        .unwrap();
                    let token = cache::load(&home.cache_file(name)).await.unwrap();
                    assert_eq!(token.account_id, outcome["accountId"], "{doc}");
                }
                "error" => {
                    let e = result
                        .as_ref()
                        .err()
                        .unwrap_or_else(|| panic!("{doc}: no error"));
                    let m = e.full_message();
                    assert!(m.contains(&login_command("signin")), "{doc}: {m}");
                    assert!(m.contains("profile signin"), "{doc}: {m}");
                    for s in &secrets {
                        assert!(
                            !m.contains(s.as_str()),
                            "{doc}: the error shows a secret: {m}"
                        );
                    }
                }
                "cacheContents" => {
                    for (name, expected) in outcome
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(k, _)| *k != "result")
                    {
                        let actual = home.read_cache(name);
                        assert_eq!(actual["accessToken"], expected["accessToken"], "{doc}");
                        assert_eq!(actual["refreshToken"], expected["refreshToken"], "{doc}");
                        for field in ["clientId", "idToken", "dpopKey"] {
                            assert_eq!(actual[field], expected[field], "{doc}: {field} kept");
                        }
                    }
                }
                other => panic!("{doc}: unknown outcome {other}"),
            }
        }
        let sent = mock.requests.lock().unwrap().clone();
        assert_eq!(
            sent.len(),
            expected_requests.len(),
            "{doc}: requests to AWS Sign-In"
        );
        for ((body, proof), expected) in sent.iter().zip(&expected_requests) {
            assert_eq!(body, expected, "{doc}: the tokenInput");
            let (_, contents) = case["cacheContents"]
                .as_object()
                .unwrap()
                .iter()
                .next()
                .unwrap();
            check_proof(
                proof.as_deref().expect("a DPoP header"),
                contents["dpopKey"].as_str().unwrap(),
                &format!("{}/v1/token", mock.url),
                case_time(),
            );
        }
        passed += 1;
    }
    // Straight to stderr, which the test harness does not capture, like the other suites.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "login provider conformance: {passed} passed, 0 failed, 0 skipped"
    );
}

const LOGIN_PROFILE: &str = "dev";

/// A home with `[profile dev] login_session = …` and the simulator's session in its cache, made
/// to need a refresh (its credentials expire within the refresh window), with a field nobody
/// knows to check that write-back keeps it.
fn login_home(sim: &Simulator) -> (Home, freshcreds_sim::LoginSession, String) {
    let session = sim.login_session();
    let mut doc = session.cache.clone();
    doc["accessToken"]["expiresAt"] = Value::String(cache::format_time(
        sim.now() + chrono::Duration::seconds(60),
    ));
    doc["somethingNew"] = serde_json::json!({ "kept": true });
    let (home, name) = Home::logged_in(&session, "region = us-east-2\n", &doc);
    (home, session, name)
}

#[tokio::test]
async fn a_refresh_through_the_simulator_is_accepted_written_back_and_signs_a_verified_sts_call() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, session, name) = login_home(&sim);
    let before = home.read_cache(&name);
    let pem = before["dpopKey"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE"),
        "the AWS CLI's SEC1 form, with the curve: {}",
        &pem[..40]
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let source = profile_source(home.env(LOGIN_PROFILE, &sim.base_url()), clock.clone()).await;

    let fetched = source
        .fetch()
        .await
        .unwrap_or_else(|e| panic!("{}", e.full_message()));
    let creds = fetched.credentials;
    assert_ne!(
        creds.access_key_id(),
        before["accessToken"]["accessKeyId"],
        "refreshed, not the cached ones"
    );
    let calls = sim.signin_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].refused, None, "the simulator accepted the proof");
    assert_eq!(
        calls[0].key_thumbprint.as_deref(),
        Some(session.key_thumbprint.as_str()),
        "signed with the cache's key"
    );
    assert_eq!(
        calls[0].htu.as_deref(),
        Some(format!("{}/v1/token", sim.base_url()).as_str())
    );
    assert_eq!(
        calls[0].refresh_token.as_ref(),
        before["refreshToken"].as_str().map(str::to_string).as_ref()
    );

    let after = home.read_cache(&name);
    assert_eq!(after["accessToken"]["accessKeyId"], creds.access_key_id());
    assert_eq!(
        after["accessToken"]["secretAccessKey"],
        creds.secret_access_key()
    );
    assert_eq!(
        after["accessToken"]["sessionToken"],
        creds.session_token().unwrap()
    );
    assert_eq!(
        after["accessToken"]["accountId"],
        before["accessToken"]["accountId"]
    );
    assert_eq!(
        after["accessToken"]["expiresAt"],
        cache::format_time(creds.expiration().unwrap())
    );
    assert_ne!(
        after["refreshToken"], before["refreshToken"],
        "the rotated refresh token is stored"
    );
    for kept in [
        "somethingNew",
        "idToken",
        "dpopKey",
        "clientId",
        "tokenType",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} is kept");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.cache_file(&name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(home.cache_file(&name).parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");

    let sts = StsClient::with_clock(
        StsSettings::with_endpoint(sim.base_url(), "us-east-2"),
        clock,
    )
    .unwrap();
    let who = sts.get_caller_identity(&creds).await.unwrap();
    assert_eq!(
        who.arn, session.login_session,
        "STS knows the refreshed credentials"
    );
}

#[tokio::test]
async fn asked_again_the_source_refreshes_with_the_rotated_refresh_token_and_a_new_proof() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, _session, name) = login_home(&sim);
    let source = profile_source(
        home.env(LOGIN_PROFILE, &sim.base_url()),
        Arc::new(SystemClock::new()),
    )
    .await;
    let first = source.fetch().await.unwrap().credentials;
    let stored = home.read_cache(&name)["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    // The engine asks again only when it wants new credentials: the cached ones were handed out.
    let second = source.fetch().await.unwrap().credentials;
    assert_ne!(first.access_key_id(), second.access_key_id());
    let calls = sim.signin_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].refresh_token.as_deref(), Some(stored.as_str()));
    assert_ne!(calls[0].jti, calls[1].jti, "every proof has its own jti");
    assert!(calls.iter().all(|c| c.refused.is_none()), "{calls:?}");
}

#[tokio::test]
async fn credentials_another_process_refreshed_into_the_cache_are_used_without_a_refresh() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let session = sim.login_session();
    let (home, name) = Home::logged_in(&session, "", &session.cache);
    let source = profile_source(
        home.env(LOGIN_PROFILE, &sim.base_url()),
        Arc::new(SystemClock::new()),
    )
    .await;
    let first = source.fetch().await.unwrap().credentials;
    assert_eq!(
        first.access_key_id(),
        session.cache["accessToken"]["accessKeyId"],
        "valid cached credentials are used as they are"
    );
    assert_eq!(sim.counts().signin_token, 0);
    // The AWS CLI refreshes the session and writes the cache.
    let other = sim.login_session();
    let mut doc = session.cache.clone();
    doc["accessToken"] = other.cache["accessToken"].clone();
    home.write_cache(&name, &doc);
    let second = source.fetch().await.unwrap().credentials;
    assert_eq!(
        second.access_key_id(),
        other.cache["accessToken"]["accessKeyId"]
    );
    assert_eq!(sim.counts().signin_token, 0, "no refresh of our own");
}

#[tokio::test]
async fn the_engine_rotates_login_credentials_a_lead_before_expiry_on_the_simulators_time() {
    let sim = Simulator::start(SimConfig::default().credential_lifetime(Duration::from_secs(900)))
        .await
        .unwrap();
    let session = sim.login_session();
    let (home, name) = Home::logged_in(&session, "", &session.cache);
    let clock = ManualClock::new(sim.now());
    let source = profile_source(
        home.env(LOGIN_PROFILE, &sim.base_url()),
        Arc::new(clock.clone()),
    )
    .await;
    let provider = RefreshEngine::spawn(
        source,
        RefreshConfig {
            jitter: Duration::ZERO,
            ..RefreshConfig::default()
        },
        Arc::new(clock.clone()),
    );
    let mut served = provider.credentials().await.unwrap();
    let mut seen = vec![served.credentials.access_key_id().to_string()];
    let step = Duration::from_secs(30);
    for _ in 0..200 {
        if seen.len() == 4 {
            break;
        }
        sim.advance_time(step);
        clock.advance(step);
        let due = served.refresh_at.is_some_and(|at| clock.now() >= at);
        if due {
            let mut rounds = provider.rounds();
            let target = *rounds.borrow() + 1;
            tokio::time::timeout(Duration::from_secs(10), rounds.wait_for(|r| *r >= target))
                .await
                .unwrap()
                .unwrap();
        }
        served = provider.cached().expect("served");
        assert!(!served.stale, "never served expired");
        let left = served.credentials.expiration().unwrap() - clock.wall();
        assert!(
            left > chrono::Duration::seconds(60),
            "rotated before the last minute ({left})"
        );
        if seen.last().map(String::as_str) != Some(served.credentials.access_key_id()) {
            seen.push(served.credentials.access_key_id().to_string());
        }
    }
    assert_eq!(seen.len(), 4, "three refreshes");
    let calls = sim.signin_calls();
    assert_eq!(
        calls.len(),
        3,
        "one CreateOAuth2Token per rotation: {calls:?}"
    );
    assert!(calls.iter().all(|c| c.refused.is_none()), "{calls:?}");
    assert_eq!(
        home.read_cache(&name)["accessToken"]["accessKeyId"],
        seen[3]
    );
}

#[tokio::test]
async fn a_revoked_session_fails_once_naming_the_login_command_and_a_5xx_is_retried_a_bounded_number_of_times(
) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, _session, _name) = login_home(&sim);
    // Expired: nothing to fall back on.
    let name = cache_file_name(&_session.login_session);
    let mut doc = home.read_cache(&name);
    doc["accessToken"]["expiresAt"] = Value::String(cache::format_time(
        sim.now() - chrono::Duration::seconds(60),
    ));
    home.write_cache(&name, &doc);
    let source = profile_source(
        home.env(LOGIN_PROFILE, &sim.base_url()),
        Arc::new(SystemClock::new()),
    )
    .await;

    sim.set_fault(
        Endpoint::SigninToken,
        Fault::default().code("TOKEN_EXPIRED"),
    );
    let e = source.fetch().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired, "{}", e.full_message());
    assert!(
        e.full_message().contains("`aws login --profile dev`"),
        "{}",
        e.full_message()
    );
    assert!(
        e.full_message().contains("TOKEN_EXPIRED"),
        "{}",
        e.full_message()
    );
    assert_eq!(sim.counts().signin_token, 1, "a refusal is not retried");

    sim.reset_counts();
    sim.set_fault(Endpoint::SigninToken, Fault::default().status(503));
    let e = source.fetch().await.unwrap_err();
    assert!(e.is_retryable(), "{}", e.full_message());
    assert_eq!(
        sim.counts().signin_token,
        3,
        "the retry policy's 3 attempts, then the engine's backoff"
    );
}

#[tokio::test]
async fn the_simulator_refuses_proofs_with_another_key_a_wrong_url_or_a_replayed_jti() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let session = sim.login_session();
    let other = sim.login_session();
    let url = format!("{}/v1/token", sim.base_url());
    let key = DpopKey::from_pem(session.cache["dpopKey"].as_str().unwrap()).unwrap();
    let wrong_key = DpopKey::from_pem(other.cache["dpopKey"].as_str().unwrap()).unwrap();
    let body = serde_json::json!({
        "clientId": session.cache["clientId"],
        "grantType": "refresh_token",
        "refreshToken": session.cache["refreshToken"],
    })
    .to_string();
    let now = sim.now().timestamp();
    let http = reqwest::Client::new();
    let post = |proof: String| {
        http.post(&url)
            .header("DPoP", proof)
            .body(body.clone())
            .send()
    };
    let answer =
        |r: reqwest::Response| async move { (r.status().as_u16(), r.text().await.unwrap()) };

    let (status, text) = answer(post(wrong_key.proof(&url, now, "j1")).await.unwrap()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("cnf.jkt"), "{text}");
    let (status, text) = answer(
        post(key.proof("http://elsewhere/v1/token", now, "j2"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("htu"), "{text}");
    let (status, text) = answer(post(key.proof(&url, now - 3600, "j3")).await.unwrap()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("iat"), "{text}");
    let mut tampered = key.proof(&url, now, "j4");
    tampered.push('A');
    let (status, text) = answer(post(tampered).await.unwrap()).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = answer(post(key.proof(&url, now, "j5")).await.unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = answer(post(key.proof(&url, now, "j5")).await.unwrap()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("replay"), "{text}");
    assert_eq!(sim.counts().signin_ok, 1);
    assert_eq!(sim.counts().signin_rejected, 5);
}

#[tokio::test]
async fn a_role_profile_with_mfa_serial_fails_naming_the_profile_the_file_and_the_line_with_no_sts_call(
) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let home = Home::new(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\n\n\
         [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
    );
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("HOME".into(), home.dir.path().display().to_string());
    env.insert(
        "AWS_CONFIG_FILE".into(),
        home.dir.path().join(".aws/config").display().to_string(),
    );
    env.insert("AWS_PROFILE".into(), "admin".into());
    env.insert("AWS_ENDPOINT_URL_STS".into(), sim.base_url());
    let source = profile_source(Env::from_map(env), Arc::new(SystemClock::new())).await;
    let e = source.fetch().await.unwrap_err();
    let m = e.full_message();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{m}");
    assert!(m.contains("`admin`") && m.contains("`mfa_serial`"), "{m}");
    assert!(
        m.contains(&format!(
            "{}, line 8",
            home.dir.path().join(".aws/config").display()
        )),
        "{m}"
    );
    assert!(m.contains(freshcreds::host::MFA_REFUSED), "{m}");
    assert_eq!(sim.counts().sts, 0);
}

#[tokio::test]
async fn a_login_profile_is_a_source_profile_for_a_role() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, _session, _) = login_home(&sim);
    std::fs::write(
        home.dir.path().join(".aws/config"),
        format!(
            "[profile {LOGIN_PROFILE}]\nlogin_session = {}\nregion = us-east-2\n\n[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = {LOGIN_PROFILE}\n",
            _session.login_session
        ),
    )
    .unwrap();
    let mut env = home.env("app", &sim.base_url());
    env = Env::from_map(
        [
            "HOME",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_REGION",
            "AWS_ENDPOINT_URL_SIGNIN",
            "AWS_EC2_METADATA_DISABLED",
        ]
        .iter()
        .map(|k| (k.to_string(), env.get(k).unwrap()))
        .chain([
            ("AWS_PROFILE".to_string(), "app".to_string()),
            ("AWS_ENDPOINT_URL_STS".to_string(), sim.base_url()),
        ]),
    );
    let source = profile_source(env, Arc::new(SystemClock::new())).await;
    let fetched = source
        .fetch()
        .await
        .unwrap_or_else(|e| panic!("{}", e.full_message()));
    assert_eq!(fetched.credentials.source(), "Profile(app)/AssumeRole");
    assert_eq!(sim.counts().signin_ok, 1);
    assert_eq!(sim.assume_role_calls().len(), 1);
}

#[tokio::test]
async fn no_cache_file_or_a_bad_key_is_an_error_naming_the_file_and_field_and_debug_shows_no_secret(
) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, session, name) = login_home(&sim);
    std::fs::remove_file(home.cache_file(&name)).unwrap();
    let source = profile_source(
        home.env(LOGIN_PROFILE, &sim.base_url()),
        Arc::new(SystemClock::new()),
    )
    .await;
    let m = source.fetch().await.unwrap_err().full_message();
    assert!(
        m.contains(&home.cache_file(&name).display().to_string()) && m.contains("does not exist"),
        "{m}"
    );
    assert!(
        m.contains(&session.login_session) && m.contains("`aws login --profile dev`"),
        "{m}"
    );

    let mut doc = session.cache.clone();
    let pem = doc["dpopKey"].as_str().unwrap().to_string();
    let broken: Vec<&str> = pem
        .lines()
        .map(|l| {
            if l.starts_with("-----") {
                l
            } else {
                "AAAAAAAA"
            }
        })
        .collect();
    doc["dpopKey"] = Value::String(broken.join("\n"));
    home.write_cache(&name, &doc);
    let m = source.fetch().await.unwrap_err().full_message();
    assert!(
        m.contains("field `dpopKey`") && !m.contains("AAAAAAAA"),
        "{m}"
    );

    home.write_cache(&name, &session.cache);
    let token = cache::load(&home.cache_file(&name)).await.unwrap();
    let shown = format!("{token:?} {source:?}");
    let mut secrets = Vec::new();
    for f in ["secretAccessKey", "sessionToken"] {
        secrets.push(
            session.cache["accessToken"][f]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    secrets.push(session.cache["refreshToken"].as_str().unwrap().to_string());
    secrets.push(pem.lines().nth(1).unwrap().to_string());
    for s in &secrets {
        assert!(!shown.contains(s.as_str()), "Debug shows a secret: {shown}");
    }
    assert!(
        shown.contains(
            session.cache["accessToken"]["accessKeyId"]
                .as_str()
                .unwrap()
        ),
        "{shown}"
    );
}

#[test]
fn the_refresh_window_is_five_minutes_as_in_botocore_and_smithy_rs() {
    assert_eq!(LOGIN_REFRESH_WINDOW, Duration::from_secs(300));
    let _: &Path = Path::new(CASES);
}

#[tokio::test]
async fn the_resolution_report_names_the_login_winner_and_the_login_command_when_it_fails() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, session, name) = login_home(&sim);
    let env = home.env(LOGIN_PROFILE, &sim.base_url());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let chain = default_chain::build(
        &settings(env.clone(), clock.clone()),
        SourceSelection::Chain,
    )
    .await
    .unwrap();
    chain.fetch().await.unwrap();
    let report = chain.report().expect("the chain reports");
    assert_eq!(
        report.winner.as_deref(),
        Some("Profile(dev)/Login"),
        "{report:?}"
    );

    // Signed out: expired, and AWS Sign-In refuses the refresh token.
    let mut doc = home.read_cache(&name);
    doc["accessToken"]["expiresAt"] = Value::String("2020-01-01T00:00:00Z".into());
    home.write_cache(&name, &doc);
    sim.set_fault(
        Endpoint::SigninToken,
        Fault::default().code("USER_CREDENTIALS_CHANGED"),
    );
    let chain = default_chain::build(&settings(env, clock), SourceSelection::Chain)
        .await
        .unwrap();
    assert!(chain.fetch().await.is_err());
    let json = chain.report().unwrap().to_json();
    assert!(json.contains("run `aws login --profile dev`"), "{json}");
    assert!(json.contains(&session.login_session), "{json}");
    for secret in [
        doc["refreshToken"].as_str().unwrap(),
        doc["accessToken"]["secretAccessKey"].as_str().unwrap(),
    ] {
        assert!(!json.contains(secret), "{json}");
    }
}

#[tokio::test]
async fn an_expires_in_out_of_range_from_aws_sign_in_is_refused_naming_the_endpoint_and_field() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, _session, name) = login_home(&sim);
    // Expired: the refresh must succeed for credentials to be served, so its error shows.
    let mut doc = home.read_cache(&name);
    doc["accessToken"]["expiresAt"] = Value::String(cache::format_time(
        sim.now() - chrono::Duration::seconds(60),
    ));
    home.write_cache(&name, &doc);
    let before = home.read_cache(&name);
    for expires_in in [
        "9223372036854775807",
        "18446744073709551615",
        "1e300",
        "0",
        "-900",
        "900.5",
        "\"900\"",
        &(freshcreds::sources::login::MAX_EXPIRES_IN + 1).to_string(),
    ] {
        let answer = format!(
            r#"{{"accessToken":{{"accessKeyId":"ASIANEW","secretAccessKey":"new-secret","sessionToken":"new-token"}},"tokenType":"aws_sigv4","expiresIn":{expires_in},"refreshToken":"rotated"}}"#
        );
        let mock = MockSignin::start(vec![(200, answer)]).await;
        let source = profile_source(
            home.env(LOGIN_PROFILE, &mock.url),
            Arc::new(SystemClock::new()),
        )
        .await;
        let e = tokio::spawn(async move { source.fetch().await })
            .await
            .unwrap_or_else(|p| panic!("expiresIn {expires_in}: the fetch panicked: {p}"))
            .unwrap_err();
        let m = e.full_message();
        assert_eq!(e.kind(), ErrorKind::Parse, "{expires_in}: {m}");
        assert!(m.contains("field `expiresIn`"), "{expires_in}: {m}");
        assert!(m.contains(&mock.url), "{expires_in}: {m}");
        assert!(!m.contains("new-secret") && !m.contains("rotated"), "{m}");
        assert_eq!(mock.requests.lock().unwrap().len(), 1, "not retried");
        assert_eq!(home.read_cache(&name), before, "nothing written back");
    }
}
