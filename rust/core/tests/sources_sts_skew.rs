//! freshcreds' own STS calls on a host whose clock is wrong, against the simulator, which judges
//! the SigV4 5-minute window on its own clock alone: requests are signed with the offset the
//! sources measured from `Date` headers, and a refusal for skew is retried exactly once with the
//! offset the refusal shows. Also: a `Date` header far from the local clock is not trusted.

use std::sync::Arc;

#[path = "support/log_capture.rs"]
mod log_capture;
use log_capture::Records;
use std::time::Duration;

use freshcreds::clock::{Clock, SystemClock};
use freshcreds::env::Env;
use freshcreds::sources::assume_role::AssumeRoleSource;
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::imds::{ImdsConfig, ImdsCredentialsSource};
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::server_clock::{
    ServerClock, MAX_PLAUSIBLE_DATE_OFFSET, SIGNING_SKEW_THRESHOLD, WARN_IMPLAUSIBLE_DATE,
};
use freshcreds::sources::sts::{StsClient, StsSettings};
use freshcreds::sources::web_identity::WebIdentitySource;
use freshcreds::sources::{CredentialSource, Fetched};
use freshcreds::{Credentials, ErrorKind};
use freshcreds_sim::{
    Endpoint, Fault, SimConfig, Simulator, MAX_SKEW_MINUTES, STATIC_ACCESS_KEY_ID,
    STATIC_SECRET_ACCESS_KEY,
};

#[path = "support/fixed_base.rs"]
mod fixed_base;
use fixed_base::{static_key, Fixed};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
/// The host of the issue: 10 minutes off, twice the window AWS allows.
const HOST_OFF: chrono::Duration = chrono::Duration::minutes(10);

/// A simulator whose clock is [`HOST_OFF`] ahead of this host's (the host is 10 minutes slow).
async fn skewed_sim() -> Simulator {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_clock_skew(HOST_OFF);
    sim
}

fn sts(sim: &Simulator, server_clock: Arc<ServerClock>) -> Arc<StsClient> {
    let mut settings = StsSettings::with_endpoint(sim.base_url(), "us-east-1");
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    Arc::new(
        StsClient::new(settings)
            .unwrap()
            .with_server_clock(server_clock),
    )
}

fn imds(sim: &Simulator, server_clock: Arc<ServerClock>) -> ImdsCredentialsSource {
    let config = ImdsConfig {
        endpoint: sim.base_url().parse().unwrap(),
        ..ImdsConfig::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    ImdsCredentialsSource::with_server_clock(config, clock, server_clock).unwrap()
}

#[test]
fn the_thresholds_sit_inside_the_window_aws_allows() {
    assert!(SIGNING_SKEW_THRESHOLD < Duration::from_secs(MAX_SKEW_MINUTES as u64 * 60));
    assert!(MAX_PLAUSIBLE_DATE_OFFSET >= Duration::from_secs(3600));
}

#[tokio::test]
async fn a_simulator_ten_minutes_off_refuses_a_signature_on_the_local_clock() {
    // What happened before the fix, and what any client without skew correction sees.
    let sim = skewed_sim().await;
    let settings = StsSettings::with_endpoint(sim.base_url(), "us-east-1");
    let plain = reqwest::Client::new();
    let headers = freshcreds_sim::sigv4::sign_request(
        "POST",
        &format!("{}/", sim.base_url()),
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=GetCallerIdentity&Version=2011-06-15",
        STATIC_ACCESS_KEY_ID,
        STATIC_SECRET_ACCESS_KEY,
        None,
        &settings.region,
        "sts",
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut req = plain
        .post(format!("{}/", sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=GetCallerIdentity&Version=2011-06-15");
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("Signature expired"));
}

/// Runs `AssumeRole` over the IMDS base on a simulator whose clock is `host_off` ahead of this
/// host's, as the chain does (IMDS reads first), and checks that the signature was accepted the
/// first time, with the offset IMDS showed. Returns what STS answered.
async fn assume_role_after_imds_on_a_host(host_off: chrono::Duration) -> Fetched {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_clock_skew(host_off);
    let server_clock = Arc::new(ServerClock::new());
    let base = imds(&sim, server_clock.clone());
    let source = AssumeRoleSource::new(Arc::new(base), ROLE, sts(&sim, server_clock.clone()));
    let fetched = source.fetch().await.expect("AssumeRole accepted");
    assert!(fetched.credentials.session_token().is_some());
    let offset = server_clock.offset().unwrap();
    assert!(
        (offset - host_off).num_seconds().abs() <= 2,
        "offset {offset}"
    );
    let c = sim.counts();
    assert_eq!(
        (c.sts, c.sts_assume_role, c.sts_signature_mismatch),
        (1, 1, 0),
        "signed right the first time: {c:?}"
    );
    fetched
}

#[tokio::test]
async fn assume_role_on_a_host_ten_minutes_off_is_signed_with_the_offset_imds_showed() {
    assume_role_after_imds_on_a_host(HOST_OFF).await;
}

/// A time zone stored as UTC: the host is hours off, inside [`MAX_PLAUSIBLE_DATE_OFFSET`]. Its
/// `AssumeRole` is still signed right, and the credentials' expiry is placed on the server's
/// clock (local time would misplace it by the same three hours).
#[tokio::test]
async fn assume_role_on_a_host_three_hours_off_is_signed_with_the_offset_imds_showed() {
    let three_hours = chrono::Duration::hours(3);
    assert!(three_hours.to_std().unwrap() < MAX_PLAUSIBLE_DATE_OFFSET);
    let fetched = assume_role_after_imds_on_a_host(three_hours).await;
    let date = fetched
        .server_date
        .expect("the STS answer's Date anchors the expiry");
    assert!(
        (date - chrono::Utc::now() - three_hours)
            .num_seconds()
            .abs()
            <= 2,
        "server date {date}"
    );
}

#[tokio::test]
async fn without_an_earlier_reading_a_skew_refusal_is_retried_once_with_the_refusals_date() {
    let sim = skewed_sim().await;
    let client = sts(&sim, Arc::new(ServerClock::new()));
    let source = AssumeRoleSource::new(Arc::new(Fixed(static_key())), ROLE, client.clone());
    source
        .fetch()
        .await
        .expect("AssumeRole accepted on the retry");
    let c = sim.counts();
    assert_eq!(
        (c.sts, c.sts_signature_mismatch, c.sts_assume_role),
        (2, 1, 1),
        "{c:?}"
    );
    // The offset is kept: the next call is signed right at once.
    let who = client.get_caller_identity(&static_key()).await.unwrap();
    assert_eq!(who.account, "123456789012");
    let c = sim.counts();
    assert_eq!((c.sts, c.sts_signature_mismatch), (3, 1), "{c:?}");
}

#[tokio::test]
async fn assume_role_with_web_identity_on_a_host_ten_minutes_off_succeeds() {
    // Unsigned, so STS judges no time stamp: it must simply keep working, and feed the offset.
    let sim = skewed_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJhbGciOi.test.token").unwrap();
    let server_clock = Arc::new(ServerClock::new());
    let source = WebIdentitySource::new(token, ROLE, sts(&sim, server_clock.clone()));
    source.fetch().await.unwrap();
    assert!(
        (server_clock.offset().unwrap() - HOST_OFF)
            .num_seconds()
            .abs()
            <= 2
    );
    assert_eq!(sim.counts().sts_signature_mismatch, 0);
}

#[tokio::test]
async fn a_skew_refusal_is_retried_exactly_once() {
    // The server's Date lies (pinned 10 minutes behind) while its window is 10 minutes ahead:
    // the retry, signed with the offset the Date shows, is refused again, and that is the end.
    let sim = skewed_sim().await;
    sim.set_fault(
        Endpoint::Sts,
        Fault::default().date_unix_secs((chrono::Utc::now() - HOST_OFF).timestamp()),
    );
    let source = AssumeRoleSource::new(
        Arc::new(Fixed(static_key())),
        ROLE,
        sts(&sim, Arc::new(ServerClock::new())),
    );
    let err = source.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(err.full_message().contains("Signature"), "{err}");
    let c = sim.counts();
    assert_eq!((c.sts, c.sts_signature_mismatch), (2, 2), "{c:?}");
}

#[tokio::test]
async fn a_signature_mismatch_with_the_server_on_time_is_not_retried() {
    // A wrong secret: SignatureDoesNotMatch, but the Date shows no skew.
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let wrong = Credentials::new(STATIC_ACCESS_KEY_ID, "not-the-secret", None, None, "test");
    let source = AssumeRoleSource::new(
        Arc::new(Fixed(wrong)),
        ROLE,
        sts(&sim, Arc::new(ServerClock::new())),
    );
    let err = source.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert_eq!(sim.counts().sts, 1);
}

#[tokio::test]
async fn a_small_offset_is_not_corrected() {
    // 30 s off: well inside the window; the local time is used as is.
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_clock_skew(chrono::Duration::seconds(30));
    let server_clock = Arc::new(ServerClock::new());
    let client = sts(&sim, server_clock.clone());
    client.get_caller_identity(&static_key()).await.unwrap();
    let offset = server_clock.offset().unwrap();
    assert!((offset.num_seconds() - 30).abs() <= 2, "{offset}");
    let local = chrono::Utc::now();
    assert_eq!(server_clock.signing_time(local), local);
}

#[tokio::test]
async fn the_default_chain_shares_one_offset_between_imds_and_sts() {
    // A profile assuming a role from the instance profile, on a host 10 minutes slow: the
    // chain's IMDS read corrects the chain's AssumeRole.
    let sim = skewed_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!("[profile app]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"),
    )
    .unwrap();
    let env = Env::from_map([
        ("HOME", dir.path().display().to_string()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("none").display().to_string(),
        ),
        ("AWS_PROFILE", "app".to_string()),
        ("AWS_ENDPOINT_URL_STS", sim.base_url()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url()),
    ]);
    let settings = ChainSettings::new(env, Arc::new(SystemClock::new()));
    let source = default_chain::build(&settings, SourceSelection::Profile)
        .await
        .unwrap();
    let fetched = source.fetch().await.expect("the role is assumed");
    assert_eq!(fetched.credentials.source(), "Profile(app)/AssumeRole");
    let c = sim.counts();
    assert_eq!(
        (c.sts_assume_role, c.sts_signature_mismatch),
        (1, 0),
        "{c:?}"
    );
    assert!(settings.server_clock.offset().is_some());
}

#[tokio::test]
async fn an_imds_date_of_epoch_zero_is_ignored_with_one_warning() {
    use tracing_subscriber::layer::SubscriberExt;
    let warnings = Records::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(warnings.clone()));
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().date_unix_secs(0),
    );
    let server_clock = Arc::new(ServerClock::new());
    let source = imds(&sim, server_clock.clone());
    for _ in 0..3 {
        let fetched = source.fetch().await.unwrap();
        assert_eq!(
            fetched.server_date, None,
            "nothing may be anchored on a 1970 Date"
        );
    }
    // The role list answered with a good Date: that is the reading kept.
    assert!(server_clock.offset().unwrap().num_seconds().abs() <= 2);
    let w = warnings.at_least_warn();
    let implausible: Vec<_> = w
        .iter()
        .filter(|m| m.contains(WARN_IMPLAUSIBLE_DATE))
        .collect();
    assert_eq!(implausible.len(), 1, "{w:?}");
    assert!(implausible[0].contains("1970"), "{}", implausible[0]);
}
