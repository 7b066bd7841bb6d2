//! Regions that are not host labels are refused before any request, wherever a region builds a
//! host name: STS (`AssumeRoleWithWebIdentity` from the environment, region from `AWS_REGION` or
//! the profile), the IAM Identity Center portal (`sso_region` in a profile or an
//! `[sso-session]`), and AWS Sign-In (`aws login`, the profile's `region`).
//!
//! The hostile region is `x@127.0.0.1:PORT/`: unchecked it turns
//! `https://sts.{region}.amazonaws.com` into a URL whose host is 127.0.0.1:PORT (the `sts.x`
//! before it becomes user info), so a "trap" listener on loopback sees the connection that
//! would have carried the token elsewhere; nothing leaves the machine either way.

use std::sync::Arc;
use std::time::Duration;

use freshcreds::clock::SystemClock;
use freshcreds::env::Env;
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator};
use serde_json::Value;
use tokio::net::TcpListener;

const START_URL: &str = "https://d-region.awsapps.com/start";

/// A loopback listener that the hostile regions point at.
struct Trap {
    listener: TcpListener,
    region: String,
}

impl Trap {
    async fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let region = format!("x@{}/", listener.local_addr().unwrap());
        Trap { listener, region }
    }

    /// Whether a connection reached the trap (it waits in the backlog until accepted).
    async fn was_reached(&self) -> bool {
        tokio::time::timeout(Duration::from_millis(200), self.listener.accept())
            .await
            .is_ok()
    }
}

fn home_env(home: &tempfile::TempDir, extra: &[(&str, String)]) -> Env {
    let mut vars = vec![
        ("HOME".to_string(), home.path().display().to_string()),
        (
            "AWS_CONFIG_FILE".to_string(),
            home.path().join(".aws/config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            home.path().join(".aws/credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Env::from_map(vars)
}

async fn source(env: Env, selection: SourceSelection) -> Arc<dyn CredentialSource> {
    let settings = ChainSettings {
        system_properties: Some(Env::from_map::<String, String>([])),
        ..ChainSettings::new(env, Arc::new(SystemClock::new()))
    };
    default_chain::build(&settings, selection).await.unwrap()
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Fetches and checks the refusal: an invalid-config error quoting the region and naming where
/// it came from (`origin`), and no connection anywhere.
async fn assert_refused(source: Arc<dyn CredentialSource>, trap: &Trap, origin: &str) {
    let err = source.fetch().await.unwrap_err();
    let text = err.full_message();
    let reached = trap.was_reached().await;
    assert!(
        !reached,
        "a request went to the host the region named: {text}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{text}");
    assert!(text.contains(&format!("{:?}", trap.region)), "{text}");
    assert!(text.contains("is not a valid region name"), "{text}");
    assert!(text.contains(origin), "wanted {origin:?} in: {text}");
}

#[tokio::test]
async fn a_web_identity_region_that_is_no_host_label_is_refused_naming_its_variable_or_profile_line(
) {
    let trap = Trap::new().await;
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    write(&token_file, "web-identity-token");
    let web_identity = [
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/r".to_string(),
        ),
    ];
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        let mut vars = web_identity.to_vec();
        vars.push((var, trap.region.clone()));
        let env = home_env(&home, &vars);
        assert_refused(source(env, SourceSelection::WebIdentity).await, &trap, var).await;
    }
    let config = home.path().join(".aws/config");
    write(
        &config,
        &format!("[default]\noutput = json\nregion = {}\n", trap.region),
    );
    let env = home_env(&home, &web_identity);
    let origin = format!("`region` of profile default ({}, line 3)", config.display());
    assert_refused(
        source(env, SourceSelection::WebIdentity).await,
        &trap,
        &origin,
    )
    .await;
}

#[tokio::test]
async fn an_sso_region_that_is_no_host_label_is_refused_naming_the_profile_or_session_line() {
    let trap = Trap::new().await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".aws/config");
    let cache = |key: &str| {
        let name = freshcreds::sources::sso::cache::cache_file_name(key);
        home.path().join(".aws/sso/cache").join(name)
    };
    let token = serde_json::json!({
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": "sso-access-token",
        "expiresAt": "2099-01-01T00:00:00Z",
    });
    write(&cache(START_URL), &token.to_string());
    write(&cache("corp"), &token.to_string());
    write(
        &config,
        &format!(
            "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = {r}\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n\
             [profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n\
             [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = {r}\n",
            r = trap.region
        ),
    );
    for (profile, origin) in [
        (
            "legacy",
            format!(
                "`sso_region` of profile legacy ({}, line 3)",
                config.display()
            ),
        ),
        (
            "dev",
            format!(
                "`sso_region` of sso-session corp ({}, line 14)",
                config.display()
            ),
        ),
    ] {
        let env = home_env(&home, &[("AWS_PROFILE", profile.to_string())]);
        assert_refused(source(env, SourceSelection::Profile).await, &trap, &origin).await;
    }
}

#[tokio::test]
async fn a_login_region_that_is_no_host_label_is_refused_naming_the_profile_line() {
    let trap = Trap::new().await;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let session = sim.login_session();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".aws/config");
    write(
        &config,
        &format!(
            "[profile signin]\nlogin_session = {}\nregion = {}\n",
            session.login_session, trap.region
        ),
    );
    // Credentials within the refresh window: the source must ask AWS Sign-In.
    let mut doc: Value = session.cache.clone();
    doc["accessToken"]["expiresAt"] =
        Value::String(freshcreds::sources::login::cache::format_time(
            chrono::Utc::now() + chrono::Duration::seconds(60),
        ));
    let name = freshcreds::sources::login::cache::cache_file_name(&session.login_session);
    write(
        &home.path().join(".aws/login/cache").join(name),
        &doc.to_string(),
    );
    let env = home_env(&home, &[("AWS_PROFILE", "signin".to_string())]);
    let origin = format!("`region` of profile signin ({}, line 3)", config.display());
    assert_refused(source(env, SourceSelection::Profile).await, &trap, &origin).await;
}
