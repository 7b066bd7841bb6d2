//! Profile files re-read when they change (tools such as saml2aws and gimme-aws-creds rewrite
//! `~/.aws/credentials` while the application runs): at most every
//! [`PROFILE_RECHECK_INTERVAL`] on the injected clock, a `stat` then a re-parse only on change,
//! and the resolution report says which file changed.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::env::Env;
use freshcreds::sources::default_chain::{self, ChainSettings};
use freshcreds::sources::profile::{ReloadingProfileSource, PROFILE_RECHECK_INTERVAL};
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, Result};

fn env_for(dir: &Path) -> Env {
    Env::from_map([
        ("HOME", dir.display().to_string()),
        ("AWS_CONFIG_FILE", dir.join("config").display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ])
}

fn write_keys(dir: &Path, key: &str, token: &str) {
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[default]\naws_access_key_id = {key}\naws_secret_access_key = secret-of-{key}\naws_session_token = {token}\n"
        ),
    )
    .unwrap();
}

fn settings(dir: &Path, clock: &ManualClock) -> ChainSettings {
    ChainSettings::new(env_for(dir), Arc::new(clock.clone()))
}

#[test]
fn the_recheck_interval_is_a_few_seconds() {
    assert!(PROFILE_RECHECK_INTERVAL >= Duration::from_secs(1));
    assert!(PROFILE_RECHECK_INTERVAL <= Duration::from_secs(30));
}

#[tokio::test]
async fn rotated_keys_and_session_token_in_the_credentials_file_are_served_after_the_recheck_interval(
) {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDFIRST", "token-one");
    let clock = ManualClock::starting_now();
    let built = default_chain::build_chain(&settings(dir.path(), &clock)).await;
    let chain = built.chain;
    let first = chain.fetch().await.unwrap().credentials;
    assert_eq!(first.access_key_id(), "AKIDFIRST");

    // A login tool rewrites the file.
    write_keys(dir.path(), "AKIDSECONDKEY", "token-two-longer");
    let again = chain.fetch().await.unwrap().credentials;
    assert_eq!(
        again.access_key_id(),
        "AKIDFIRST",
        "not looked at again within the interval"
    );
    clock.advance(PROFILE_RECHECK_INTERVAL - Duration::from_millis(1));
    assert_eq!(
        chain.fetch().await.unwrap().credentials.access_key_id(),
        "AKIDFIRST"
    );
    clock.advance(Duration::from_millis(1));
    let rotated = chain.fetch().await.unwrap().credentials;
    assert_eq!(rotated.access_key_id(), "AKIDSECONDKEY");
    assert_eq!(rotated.secret_access_key(), "secret-of-AKIDSECONDKEY");
    assert_eq!(rotated.session_token(), Some("token-two-longer"));

    let report = chain.report();
    let link = report
        .links
        .iter()
        .find(|l| l.source.starts_with("Profile"))
        .unwrap();
    let changed = link
        .changed
        .as_deref()
        .expect("the report names the change");
    assert!(changed.contains("credentials changed"), "{changed}");
    assert!(
        !changed.contains("secret") && !changed.contains("token-two"),
        "{changed}"
    );
    assert!(
        report.to_json().contains("\"changed\":"),
        "{}",
        report.to_json()
    );
}

/// A source that counts how often the reloading wrapper rebuilt it.
#[derive(Debug)]
struct Counted(Credentials);

impl CredentialSource for Counted {
    fn name(&self) -> &str {
        "Profile(default)"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(Fetched::local(c)) })
    }
}

fn counted(
    builds: &Arc<AtomicUsize>,
) -> Box<freshcreds::sources::profile::reload::BuildProfileSource> {
    let builds = builds.clone();
    Box::new(move |loaded| {
        builds.fetch_add(1, Ordering::SeqCst);
        let set = loaded.as_ref().unwrap();
        let key = set
            .selected_profile()
            .and_then(|p| p.get("aws_access_key_id"))
            .unwrap_or("none")
            .to_string();
        Arc::new(Counted(Credentials::new(key, "s", None, None, "test")))
    })
}

#[tokio::test]
async fn a_repeated_fetch_between_changes_never_parses_the_files_again() {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDFIRST", "t");
    let clock = ManualClock::starting_now();
    let builds = Arc::new(AtomicUsize::new(0));
    let initial: Arc<dyn CredentialSource> = Arc::new(Counted(Credentials::new(
        "AKIDFIRST",
        "s",
        None,
        None,
        "test",
    )));
    let source = ReloadingProfileSource::new(
        env_for(dir.path()),
        None,
        Arc::new(clock.clone()),
        initial,
        counted(&builds),
    )
    .await;
    for _ in 0..100 {
        clock.advance(PROFILE_RECHECK_INTERVAL);
        assert_eq!(
            source.fetch().await.unwrap().credentials.access_key_id(),
            "AKIDFIRST"
        );
    }
    assert_eq!(
        builds.load(Ordering::SeqCst),
        0,
        "unchanged files: stat only"
    );
    assert_eq!(source.reloads().await, 0);
    assert_eq!(source.last_change(), None);

    // The config file appearing counts as a change too.
    std::fs::write(dir.path().join("config"), "[default]\nregion = eu-west-1\n").unwrap();
    clock.advance(PROFILE_RECHECK_INTERVAL);
    source.fetch().await.unwrap();
    assert_eq!(builds.load(Ordering::SeqCst), 1);
    assert!(source
        .last_change()
        .unwrap()
        .contains(&dir.path().join("config").display().to_string()));
    for _ in 0..10 {
        clock.advance(PROFILE_RECHECK_INTERVAL);
        source.fetch().await.unwrap();
    }
    assert_eq!(builds.load(Ordering::SeqCst), 1);
    let _ = clock.now();
}

#[tokio::test]
async fn a_half_written_credentials_file_keeps_the_previous_keys_until_it_parses() {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDFIRST", "token-one");
    let clock = ManualClock::starting_now();
    let chain = default_chain::build_chain(&settings(dir.path(), &clock))
        .await
        .chain;
    assert_eq!(
        chain.fetch().await.unwrap().credentials.access_key_id(),
        "AKIDFIRST"
    );
    // Caught in the middle of a rewrite: a section header cut short.
    std::fs::write(dir.path().join("credentials"), "[defau").unwrap();
    clock.advance(PROFILE_RECHECK_INTERVAL);
    assert_eq!(
        chain.fetch().await.unwrap().credentials.access_key_id(),
        "AKIDFIRST",
        "a file that does not parse keeps what worked"
    );
    write_keys(dir.path(), "AKIDSECONDKEY", "token-two");
    clock.advance(PROFILE_RECHECK_INTERVAL);
    assert_eq!(
        chain.fetch().await.unwrap().credentials.access_key_id(),
        "AKIDSECONDKEY"
    );
}

#[tokio::test]
async fn the_refresh_engine_serves_keys_rewritten_in_the_credentials_file() {
    use freshcreds::refresh::{RefreshConfig, RefreshEngine};
    use freshcreds::sources::default_chain::PROFILE_KEYS_RECHECK_INTERVAL;
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDFIRST", "token-one");
    let clock = ManualClock::starting_now();
    let built = default_chain::build_chain(&settings(dir.path(), &clock)).await;
    let engine = RefreshEngine::spawn(
        built.chain,
        RefreshConfig::default(),
        Arc::new(clock.clone()),
    );
    let first = engine.credentials().await.unwrap();
    assert_eq!(first.credentials.access_key_id(), "AKIDFIRST");
    write_keys(dir.path(), "AKIDSECONDKEY", "token-two-longer");
    let mut rounds = engine.rounds();
    let seen = *rounds.borrow_and_update();
    clock.advance(PROFILE_KEYS_RECHECK_INTERVAL + PROFILE_RECHECK_INTERVAL);
    tokio::time::timeout(Duration::from_secs(5), rounds.wait_for(|r| *r > seen))
        .await
        .expect("the engine asked the profile again")
        .unwrap();
    assert_eq!(
        engine.cached().unwrap().credentials.access_key_id(),
        "AKIDSECONDKEY"
    );
}
