//! IAM Identity Center (SSO) profiles against the simulator's portal, OIDC and SigV4-verifying
//! STS: profile files and a token cache in a temporary home directory, the default chain over
//! them, and a manual clock started at the simulator's time.
//!
//! - the sso-session form refreshes an access token that is within the refresh window with
//!   `CreateToken`, writes the cache back (fields kept), and the role credentials sign a real
//!   STS call;
//! - a token outside the window is used as it is; a legacy profile never refreshes;
//! - a revoked refresh token: the still-valid token is used; once it has expired the error says
//!   which `aws sso login` to run, shows no token, and `CreateToken` is asked at most once per
//!   retry interval;
//! - an SSO profile is the `source_profile` of an assumed role;
//! - short role credentials are refreshed early by the engine, like any other source's.

mod sso_home;

use std::sync::Arc;
use std::time::Duration;

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::sso::cache::{cache_file_name, parse_time};
use freshcreds::sources::sso::TOKEN_REFRESH_RETRY_INTERVAL;
use freshcreds::ErrorKind;
use freshcreds_sim::SsoSettings;

use sso_home::{caller, legacy_config, session_config, sim, Home, ACCOUNT, SESSION, START_URL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_inside_the_refresh_window_is_refreshed_written_back_and_its_role_credentials_sign_sts(
) {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let home = Home::new(&sim, &session_config(), "dev");
    // Ten minutes left: inside botocore's 15-minute window.
    let login = sim.sso_login(Duration::from_secs(600));
    home.write_cache(SESSION, &login, None);

    let fetched = home.source(&clock).await.fetch().await.unwrap();
    assert_eq!(fetched.credentials.source(), "Profile(dev)/Sso");
    let counts = sim.sso_counts();
    assert_eq!((counts.create_token, counts.get_role_credentials), (1, 1));

    let doc = home.read_cache(SESSION);
    assert_ne!(doc["accessToken"], login.access_token.as_str());
    assert_ne!(doc["refreshToken"], login.refresh_token.as_str());
    assert_eq!(doc["clientSecret"], login.client_secret.as_str());
    assert_eq!(doc["startUrl"], START_URL);
    assert_eq!(
        doc["futureCliField"]["kept"], true,
        "unknown fields are kept"
    );
    let expires = parse_time(doc["expiresAt"].as_str().unwrap()).unwrap();
    let left = (expires - clock.wall()).num_seconds();
    assert!(
        (3590..=3600).contains(&left),
        "new token lasts an hour, not {left} s"
    );

    let identity = caller(&sim, &clock)
        .get_caller_identity(&fetched.credentials)
        .await
        .unwrap();
    assert_eq!(identity.account, ACCOUNT);
    assert_eq!(
        fetched.credentials.account_id(),
        Some(ACCOUNT),
        "the IAM Identity Center account travels with the credentials"
    );
    assert!(
        identity.arn.contains("AWSReservedSSO_Dev"),
        "{}",
        identity.arn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_outside_the_window_is_used_as_it_is_and_the_file_is_not_rewritten() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let (home, _) = Home::signed_in(&sim, Duration::from_secs(2 * 3600));
    let before = std::fs::read_to_string(home.cache_path(SESSION)).unwrap();
    home.source(&clock).await.fetch().await.unwrap();
    assert_eq!(sim.sso_counts().create_token, 0);
    assert_eq!(
        std::fs::read_to_string(home.cache_path(SESSION)).unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_keeps_the_still_valid_access_token_in_use() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let (home, login) = Home::signed_in(&sim, Duration::from_secs(300));
    sim.set_sso_settings(SsoSettings {
        refresh_revoked: true,
        ..SsoSettings::default()
    });
    home.source(&clock).await.fetch().await.unwrap();
    let counts = sim.sso_counts();
    assert_eq!((counts.create_token, counts.create_token_refused), (1, 1));
    assert_eq!(
        home.read_cache(SESSION)["accessToken"],
        login.access_token.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_that_cannot_refresh_asks_for_sso_login_and_create_token_is_rate_bounded()
{
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let home = Home::new(&sim, &session_config(), "dev");
    let login = sim.sso_login(Duration::from_secs(3600));
    let expired =
        freshcreds::sources::sso::cache::format_time(clock.wall() - chrono::Duration::minutes(1));
    home.write_cache(SESSION, &login, Some(&expired));
    sim.set_sso_settings(SsoSettings {
        refresh_revoked: true,
        ..SsoSettings::default()
    });
    let source = home.profile(&clock).await;

    let err = source.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired);
    let text = err.full_message();
    assert!(
        text.contains("run `aws sso login --sso-session corp`"),
        "{text}"
    );
    assert!(text.contains(&cache_file_name(SESSION)), "{text}");
    assert!(text.contains("invalid_grant"), "{text}");
    for secret in [
        &login.access_token,
        &login.refresh_token,
        &login.client_secret,
    ] {
        assert!(!text.contains(secret.as_str()), "a secret in: {text}");
    }
    assert_eq!(sim.sso_counts().get_role_credentials, 0);

    // Asked again at once: no new CreateToken until the retry interval has passed, and the
    // error still says why the last one failed.
    let again = source.fetch().await.unwrap_err().full_message();
    assert!(
        again.contains("invalid_grant") && again.contains("aws sso login --sso-session corp"),
        "{again}"
    );
    assert_eq!(sim.sso_counts().create_token, 1);
    clock.advance(TOKEN_REFRESH_RETRY_INTERVAL - Duration::from_secs(1));
    assert!(source.fetch().await.is_err());
    assert_eq!(sim.sso_counts().create_token, 1);
    clock.advance(Duration::from_secs(1));
    assert!(source.fetch().await.is_err());
    assert_eq!(sim.sso_counts().create_token, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_profile_never_refreshes_and_its_expired_token_names_the_profile_to_log_in() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let home = Home::new(&sim, &legacy_config(), "legacy");
    let login = sim.sso_login(Duration::from_secs(3600));
    // Inside the window, but legacy: used as it is.
    home.write_cache(START_URL, &login, None);
    let source = home.profile(&clock).await;
    clock.advance(Duration::from_secs(3600 - 300));
    sim.advance_time(Duration::from_secs(3600 - 300));
    source.fetch().await.unwrap();
    assert_eq!(sim.sso_counts().create_token, 0);

    clock.advance(Duration::from_secs(301));
    let err = source.fetch().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired);
    assert!(
        err.message()
            .contains("run `aws sso login --profile legacy`"),
        "{}",
        err.message()
    );
    assert_eq!(sim.sso_counts().create_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_profile_is_the_source_profile_of_an_assumed_role() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let config = format!(
        "{}\n[profile app]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/app\nsource_profile = dev\n",
        session_config()
    );
    let home = Home::new(&sim, &config, "app");
    home.write_cache(SESSION, &sim.sso_login(Duration::from_secs(3600)), None);
    let fetched = home.source(&clock).await.fetch().await.unwrap();
    assert_eq!(fetched.credentials.source(), "Profile(app)/AssumeRole");
    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 1);
    let signer = calls[0].signed_by.clone().unwrap();
    let minted = sim.issued_credentials();
    let sso_minted = minted
        .iter()
        .find(|c| c.access_key_id == signer)
        .expect("AssumeRole was signed with credentials the portal minted");
    assert!(
        sso_minted.arn.contains("AWSReservedSSO_Dev"),
        "{}",
        sso_minted.arn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_role_credentials_are_refreshed_early_by_the_engine() {
    let sim = sim().await;
    sim.set_sso_settings(SsoSettings {
        role_credential_lifetime_secs: Some(900),
        ..SsoSettings::default()
    });
    let clock = ManualClock::new(sim.now());
    let (home, _) = Home::signed_in(&sim, Duration::from_secs(8 * 3600));
    let provider = RefreshEngine::spawn(
        home.source(&clock).await,
        RefreshConfig {
            jitter: Duration::ZERO,
            ..RefreshConfig::default()
        },
        Arc::new(clock.clone()),
    );
    let first = provider.credentials().await.unwrap();
    let refresh_at = first.refresh_at.expect("SSO role credentials expire");
    let lifetime = (first.credentials.expiration().unwrap() - clock.wall())
        .to_std()
        .unwrap();
    assert!(refresh_at < lifetime, "refreshed before expiry");
    let step = refresh_at.saturating_sub(clock.now()) + Duration::from_secs(1);
    clock.advance(step);
    sim.advance_time(step);
    let mut rounds = provider.rounds();
    tokio::time::timeout(Duration::from_secs(10), rounds.wait_for(|r| *r >= 2))
        .await
        .expect("a second round")
        .unwrap();
    let second = provider.cached().unwrap();
    assert_ne!(
        second.credentials.access_key_id(),
        first.credentials.access_key_id()
    );
    assert!(second.credentials.expiration().unwrap() > clock.wall());
    assert_eq!(sim.sso_counts().get_role_credentials, 2);
    caller(&sim, &clock)
        .get_caller_identity(&second.credentials)
        .await
        .unwrap();
    provider.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_resolution_report_names_the_sso_winner_and_the_login_command_when_it_fails() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let (home, login) = Home::signed_in(&sim, Duration::from_secs(3600));
    let chain = home.source(&clock).await;
    chain.fetch().await.unwrap();
    let report = chain.report().expect("the chain reports");
    assert_eq!(
        report.winner.as_deref(),
        Some("Profile(dev)/Sso"),
        "{report:?}"
    );

    // Signed out: the token expired and the session was ended.
    let expired =
        freshcreds::sources::sso::cache::format_time(clock.wall() - chrono::Duration::minutes(1));
    home.write_cache(SESSION, &login, Some(&expired));
    sim.set_sso_settings(SsoSettings {
        refresh_revoked: true,
        ..SsoSettings::default()
    });
    let err = chain.fetch().await.unwrap_err();
    assert!(
        err.message().contains("aws sso login --sso-session corp"),
        "{}",
        err.message()
    );
    // A chain resolved from scratch (a host starting) reports the failed link with the fix.
    let chain = home.source(&clock).await;
    assert!(chain.fetch().await.is_err());
    let report = chain.report().unwrap();
    let json = report.to_json();
    assert!(
        json.contains("run `aws sso login --sso-session corp` to sign in again"),
        "{json}"
    );
    assert!(
        !json.contains(&login.access_token) && !json.contains(&login.refresh_token),
        "{json}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_window_starts_fifteen_minutes_before_expiry() {
    use freshcreds::sources::sso::TOKEN_REFRESH_WINDOW;
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    for (left, refreshes) in [
        (TOKEN_REFRESH_WINDOW + Duration::from_secs(60), false),
        (TOKEN_REFRESH_WINDOW - Duration::from_secs(60), true),
    ] {
        let home = Home::new(&sim, &session_config(), "dev");
        let before = sim.sso_counts().create_token;
        home.write_cache(SESSION, &sim.sso_login(left), None);
        home.source(&clock).await.fetch().await.unwrap();
        assert_eq!(
            sim.sso_counts().create_token - before,
            u64::from(refreshes),
            "{left:?} left"
        );
    }
    assert_eq!(TOKEN_REFRESH_WINDOW, Duration::from_secs(15 * 60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_keys_above_an_sso_profile_shadow_it_and_the_probe_neither_refreshes_nor_asks_the_portal(
) {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    let mut home = Home::new(&sim, &session_config(), "dev");
    // Inside the refresh window: a fetch would call CreateToken; the probe must not.
    home.write_cache(SESSION, &sim.sso_login(Duration::from_secs(300)), None);
    let mut vars: std::collections::BTreeMap<String, String> = [
        "HOME",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "AWS_EC2_METADATA_DISABLED",
    ]
    .iter()
    .map(|k| (k.to_string(), home.env.get(k).unwrap()))
    .collect();
    vars.insert("AWS_ACCESS_KEY_ID".into(), "AKIDSTATIC".into());
    vars.insert("AWS_SECRET_ACCESS_KEY".into(), "static-secret".into());
    home.env = freshcreds::env::Env::from_map(vars);
    let settings = freshcreds::sources::default_chain::ChainSettings::new(
        home.env.clone(),
        Arc::new(clock.clone()),
    );
    let built = freshcreds::sources::default_chain::build_chain(&settings).await;
    built.chain.resolve().await.unwrap();
    let report = built.chain.settled_report(Duration::from_secs(10)).await;
    assert_eq!(report.winner.as_deref(), Some("Environment"));
    assert!(
        report.shadowed.iter().any(|s| s == "Profile(dev)/Sso"),
        "{report:?}"
    );
    let json = report.to_json();
    assert!(
        json.contains("would call GetRoleCredentials with the token of sso-session corp"),
        "{json}"
    );
    let counts = sim.sso_counts();
    assert_eq!((counts.create_token, counts.get_role_credentials), (0, 0));
}

/// A loopback SSO OIDC endpoint that answers every `CreateToken` with `body` (status 200).
async fn fixed_oidc(body: String) -> (String, tokio::task::JoinHandle<()>) {
    use http_body_util::Full;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let body = body.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            bytes::Bytes::from(body),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expires_in_out_of_range_is_refused_naming_the_endpoint_and_field_and_never_panics() {
    let sim = sim().await;
    let clock = ManualClock::new(sim.now());
    // Five minutes left: inside the window, so CreateToken is asked; still valid, so it is used.
    let login = sim.sso_login(Duration::from_secs(300));
    for expires_in in [
        "9223372036854775807",
        "18446744073709551615",
        "1e300",
        "0",
        "-5",
        "\"3600\"",
        &(freshcreds::sources::sso::oidc::MAX_EXPIRES_IN.as_secs() + 1).to_string(),
    ] {
        let (oidc, server) = fixed_oidc(format!(
            r#"{{"accessToken":"new-access","expiresIn":{expires_in},"refreshToken":"rotated-refresh","tokenType":"Bearer"}}"#
        ))
        .await;
        let home = Home::new(&sim, &session_config(), "dev");
        home.write_cache(SESSION, &login, None);
        let before = std::fs::read_to_string(home.cache_path(SESSION)).unwrap();
        let env = freshcreds::env::Env::from_map([
            ("HOME", home.dir.path().display().to_string()),
            ("AWS_PROFILE", "dev".to_string()),
            ("AWS_ENDPOINT_URL_SSO", sim.base_url()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]);
        let home = Home { env, ..home };
        let source = home.profile(&clock).await;
        let fetched = tokio::spawn(async move { source.fetch().await })
            .await
            .unwrap_or_else(|e| panic!("expiresIn {expires_in}: the fetch panicked: {e}"));
        server.abort();
        // The still-valid token was used; the rejected answer was not written anywhere.
        let fetched = fetched.unwrap_or_else(|e| panic!("{expires_in}: {}", e.full_message()));
        assert_eq!(fetched.credentials.source(), "Profile(dev)/Sso");
        assert_eq!(
            std::fs::read_to_string(home.cache_path(SESSION)).unwrap(),
            before,
            "expiresIn {expires_in}"
        );
        // The reason, as the next refresh attempt reports it while the interval runs.
        let e = freshcreds::sources::sso::oidc::parse_create_token_answer(
            format!(r#"{{"accessToken":"a","expiresIn":{expires_in}}}"#).as_bytes(),
            &format!("SSO OIDC CreateToken at {oidc}"),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(
            e.message().contains("`expiresIn`") && e.message().contains(&oidc),
            "{}",
            e.message()
        );
    }
}
