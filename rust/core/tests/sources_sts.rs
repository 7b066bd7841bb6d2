//! STS-backed sources against the simulator, which verifies SigV4 signatures for real:
//! `AssumeRole` over a base source, `AssumeRoleWithWebIdentity` from a token file,
//! `GetCallerIdentity`, retries and STS error answers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use freshcreds::env::Env;
use freshcreds::sources::assume_role::AssumeRoleSource;
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::sts::{RoleRequest, StsClient, StsProfileSettings, StsSettings};
use freshcreds::sources::web_identity::WebIdentitySource;
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, ErrorKind, Result};
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator, STATIC_ACCESS_KEY_ID};

#[path = "support/fixed_base.rs"]
mod fixed_base;
use fixed_base::{static_key, Fixed};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";

/// A client for the simulator that retries without waiting.
fn sts(sim: &Simulator) -> Arc<StsClient> {
    let mut settings = StsSettings::with_endpoint(sim.base_url(), "us-east-1");
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    Arc::new(StsClient::new(settings).unwrap())
}

fn temp_file(contents: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "freshcreds-sts-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn assume_role_signs_with_the_base_credentials_and_returns_the_role_credentials() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = sts(&sim);
    let request = RoleRequest::new(ROLE).with_external_id(Some("ext-123".into()));
    let source = AssumeRoleSource::new(Arc::new(Fixed(static_key())), request, client.clone())
        .with_name("Profile(deploy)");
    let fetched = source.fetch().await.unwrap();
    let creds = &fetched.credentials;
    assert_eq!(creds.source(), "Profile(deploy)");
    assert!(creds.session_token().is_some());
    assert!(fetched.server_date.is_some(), "the Date header is kept");

    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.action, "AssumeRole");
    assert_eq!(call.role_arn.as_deref(), Some(ROLE));
    assert_eq!(call.signed_by.as_deref(), Some(STATIC_ACCESS_KEY_ID));
    assert_eq!(call.external_id.as_deref(), Some("ext-123"));
    assert_eq!(call.duration_seconds, None);
    let session = call.role_session_name.clone().unwrap();
    assert!(session.starts_with("freshcreds-"), "{session}");
    assert_eq!(session, source.request().session_name);

    // The simulator minted exactly these credentials, and they work for a signed call.
    let minted = sim.issued_credentials();
    assert!(minted
        .iter()
        .any(|m| m.access_key_id == creds.access_key_id()
            && m.secret_access_key == creds.secret_access_key()
            && m.expiration == creds.expiration()));
    let who = client.get_caller_identity(creds).await.unwrap();
    assert_eq!(who.account, "123456789012");
    assert_eq!(
        who.arn,
        format!("arn:aws:sts::123456789012:assumed-role/deploy/{session}")
    );
    assert!(
        who.user_id.ends_with(&format!(":{session}")),
        "{}",
        who.user_id
    );
    assert_eq!(sim.counts().sts_signature_mismatch, 0);
}

#[tokio::test]
async fn duration_seconds_is_sent_and_honoured() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let request = RoleRequest::new(ROLE)
        .with_session_name(Some("short"))
        .with_duration(Some(Duration::from_secs(900)));
    let source = AssumeRoleSource::new(Arc::new(Fixed(static_key())), request, sts(&sim));
    let creds = source.fetch().await.unwrap().credentials;
    let call = &sim.assume_role_calls()[0];
    assert_eq!(call.duration_seconds.as_deref(), Some("900"));
    assert_eq!(call.role_session_name.as_deref(), Some("short"));
    let lifetime = creds.expiration().unwrap() - sim.now();
    assert!(
        lifetime <= chrono::Duration::seconds(900) && lifetime > chrono::Duration::seconds(880),
        "{lifetime}"
    );
}

#[tokio::test]
async fn expired_base_credentials_give_an_error_naming_expired_token_without_secrets() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = sts(&sim);
    let request = RoleRequest::new(ROLE).with_duration(Some(Duration::from_secs(900)));
    let short = AssumeRoleSource::new(Arc::new(Fixed(static_key())), request, client.clone());
    let base = short.fetch().await.unwrap().credentials;
    sim.advance_time(Duration::from_secs(1000));

    let chained = AssumeRoleSource::new(Arc::new(Fixed(base.clone())), ROLE, client.clone());
    let err = chained.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired);
    let text = err.full_message();
    assert!(text.contains("ExpiredToken"), "{text}");
    assert!(text.contains(ROLE), "{text}");
    assert!(!text.contains(base.secret_access_key()), "{text}");
    assert!(!text.contains(base.session_token().unwrap()), "{text}");
    assert_eq!(sim.counts().sts_expired_token, 1, "not retried");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_signature_does_not_match() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let wrong = Credentials::new(STATIC_ACCESS_KEY_ID, "not-the-secret", None, None, "t");
    let err = sts(&sim).get_caller_identity(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(
        err.message().contains("SignatureDoesNotMatch"),
        "{}",
        err.message()
    );
    assert!(!err.full_message().contains("not-the-secret"));
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_then_succeed() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = sts(&sim);
    sim.set_fault(Endpoint::Sts, Fault::default().status(503).times(2));
    let who = client.get_caller_identity(&static_key()).await.unwrap();
    assert_eq!(who.account, "123456789012");
    assert_eq!(sim.counts().sts, 3);

    sim.reset_counts();
    sim.set_fault(Endpoint::Sts, Fault::default().status(400));
    let err = client.get_caller_identity(&static_key()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.message().contains("Throttling"), "{}", err.message());
    assert_eq!(sim.counts().sts, 3, "every attempt was used");
}

#[tokio::test]
async fn a_truncated_answer_is_a_parse_error() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::Sts, Fault::default().malformed_json());
    let err = sts(&sim)
        .get_caller_identity(&static_key())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse, "{}", err.message());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_connect_error_naming_the_endpoint_and_its_origin() {
    let env = Env::from_map([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
    let mut settings = StsSettings::resolve(&env, &StsProfileSettings::default()).unwrap();
    settings.retry.max_attempts = 1;
    let err = StsClient::new(settings)
        .unwrap()
        .get_caller_identity(&static_key())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.message().contains("127.0.0.1:9"), "{}", err.message());
    assert!(
        err.message().contains("AWS_ENDPOINT_URL_STS"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn web_identity_reads_the_token_file_at_every_fetch_and_sends_it_unsigned() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let token_file = temp_file("first.jwt.token\n");
    let env = Env::from_map([
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", ROLE),
        ("AWS_ROLE_SESSION_NAME", "pod-session"),
        ("AWS_ENDPOINT_URL", sim.base_url().as_str()),
    ]);
    let settings = StsSettings::resolve(&env, &StsProfileSettings::default()).unwrap();
    let client = Arc::new(StsClient::new(settings).unwrap());
    let source = WebIdentitySource::from_env(&env, client).unwrap();

    let first = source.fetch().await.unwrap().credentials;
    std::fs::write(&token_file, "second.jwt.token").unwrap();
    let second = source.fetch().await.unwrap().credentials;
    assert_ne!(first.access_key_id(), second.access_key_id());

    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 2);
    assert!(calls
        .iter()
        .all(|c| c.action == "AssumeRoleWithWebIdentity" && c.signed_by.is_none()));
    assert_eq!(
        calls[0].web_identity_token.as_deref(),
        Some("first.jwt.token")
    );
    assert_eq!(
        calls[1].web_identity_token.as_deref(),
        Some("second.jwt.token")
    );
    assert_eq!(calls[0].role_session_name.as_deref(), Some("pod-session"));
    assert_eq!(calls[0].role_arn.as_deref(), Some(ROLE));
    assert_eq!(sim.counts().sts_assume_role_web_identity, 2);
    std::fs::remove_file(token_file).unwrap();
}

#[tokio::test]
async fn web_identity_honours_duration_seconds() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let token_file = temp_file("jwt");
    let request = RoleRequest::new(ROLE).with_duration(Some(Duration::from_secs(7200)));
    let source = WebIdentitySource::new(&token_file, request, sts(&sim));
    let creds = source.fetch().await.unwrap().credentials;
    assert_eq!(
        sim.assume_role_calls()[0].duration_seconds.as_deref(),
        Some("7200")
    );
    let lifetime = creds.expiration().unwrap() - sim.now();
    assert!(lifetime > chrono::Duration::seconds(7100), "{lifetime}");
    std::fs::remove_file(token_file).unwrap();
}

#[tokio::test]
async fn a_missing_or_empty_token_file_is_an_error_naming_the_file_and_sts_is_not_called() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let missing = std::env::temp_dir().join("freshcreds-no-such-token-file");
    let source = WebIdentitySource::new(&missing, ROLE, sts(&sim));
    let err = source.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.message().contains(missing.to_str().unwrap()),
        "{}",
        err.message()
    );

    let empty = temp_file(" \n");
    let err = WebIdentitySource::new(&empty, ROLE, sts(&sim))
        .fetch()
        .await
        .unwrap_err();
    assert!(
        err.message().contains(empty.to_str().unwrap()),
        "{}",
        err.message()
    );
    assert!(err.message().contains("empty"), "{}", err.message());
    assert_eq!(sim.counts().sts, 0);
    std::fs::remove_file(empty).unwrap();
}

#[tokio::test]
async fn an_invalid_identity_token_is_refused_and_the_token_is_not_in_the_error() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let client = sts(&sim);
    // The simulator refuses a blank token; the file reader never sends one, so call STS directly.
    let err = client
        .assume_role_with_web_identity(&RoleRequest::new(ROLE).with_session_name(Some("s1")), " ")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(
        err.message().contains("InvalidIdentityToken"),
        "{}",
        err.message()
    );

    let err = client
        .assume_role_with_web_identity(
            &RoleRequest::new("not-an-arn").with_session_name(Some("s1")),
            "secret.jwt.value",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.message().contains("ValidationError"),
        "{}",
        err.message()
    );
    assert!(!err.full_message().contains("secret.jwt.value"));
}

/// A base source with nothing configured.
#[derive(Debug)]
struct Absent;

impl CredentialSource for Absent {
    fn name(&self) -> &str {
        "Absent"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async { Err(freshcreds::Error::not_configured("nothing here")) })
    }
}

#[tokio::test]
async fn a_base_source_with_nothing_configured_makes_the_role_source_invalid_not_absent() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let err = AssumeRoleSource::new(Arc::new(Absent), ROLE, sts(&sim))
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.message().contains("Absent") && err.message().contains(ROLE),
        "{}",
        err.message()
    );
    assert_eq!(sim.counts().sts, 0);
}
