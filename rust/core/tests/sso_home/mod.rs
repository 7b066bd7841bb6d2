//! A temporary home for IAM Identity Center tests: `~/.aws/config` with SSO profiles, the token
//! cache, and the environment that points every endpoint at the simulator.
#![allow(dead_code)]

use std::sync::Arc;

use freshcreds::clock::ManualClock;
use freshcreds::env::Env;
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::sso::cache::cache_file_name;
use freshcreds::sources::sts::{StsClient, StsSettings};
use freshcreds::sources::CredentialSource;
use freshcreds_sim::{SimConfig, Simulator, SsoLogin};
use serde_json::Value;

pub const START_URL: &str = "https://d-sim.awsapps.com/start";
pub const SESSION: &str = "corp";
/// The simulator's account (its STS answers `GetCallerIdentity` with it).
pub const ACCOUNT: &str = "123456789012";

/// A temporary home directory and its environment.
pub struct Home {
    /// The directory (removed when dropped).
    pub dir: tempfile::TempDir,
    /// `HOME`, `AWS_PROFILE` and the endpoints.
    pub env: Env,
}

impl Home {
    /// A home directory with `config` as `~/.aws/config`, profile `profile` selected, every
    /// endpoint at the simulator.
    pub fn new(sim: &Simulator, config: &str, profile: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(aws.join("sso").join("cache")).unwrap();
        std::fs::write(aws.join("config"), config).unwrap();
        let env = Env::from_map([
            ("HOME", dir.path().display().to_string()),
            ("AWS_PROFILE", profile.to_string()),
            ("AWS_ENDPOINT_URL_SSO", sim.base_url()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", sim.base_url()),
            ("AWS_ENDPOINT_URL_STS", sim.base_url()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]);
        Home { dir, env }
    }

    /// A home with the sso-session profile `dev` ([`session_config`]) selected and a cached
    /// sign-in of session [`SESSION`] that lasts `lifetime`; returns the sign-in too.
    pub fn signed_in(sim: &Simulator, lifetime: std::time::Duration) -> (Home, SsoLogin) {
        let home = Home::new(sim, &session_config(), "dev");
        let login = sim.sso_login(lifetime);
        home.write_cache(SESSION, &login, None);
        (home, login)
    }

    pub fn cache_path(&self, key: &str) -> std::path::PathBuf {
        self.dir
            .path()
            .join(".aws/sso/cache")
            .join(cache_file_name(key))
    }

    /// Writes `login` as the cache file for `key`, with an extra field the AWS CLI might add.
    pub fn write_cache(&self, key: &str, login: &SsoLogin, expires_at: Option<&str>) {
        let mut doc: Value =
            serde_json::from_str(&login.cache_json(START_URL, "us-east-1")).unwrap();
        doc["futureCliField"] = serde_json::json!({"kept": true});
        if let Some(at) = expires_at {
            doc["expiresAt"] = at.into();
        }
        std::fs::write(self.cache_path(key), doc.to_string()).unwrap();
    }

    pub fn read_cache(&self, key: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.cache_path(key)).unwrap()).unwrap()
    }

    /// The default chain over this home.
    pub async fn source(&self, clock: &ManualClock) -> Arc<dyn CredentialSource> {
        self.selected(clock, SourceSelection::Chain).await
    }

    /// The profile link alone (its errors keep their kind; the chain's summarise them).
    pub async fn profile(&self, clock: &ManualClock) -> Arc<dyn CredentialSource> {
        self.selected(clock, SourceSelection::Profile).await
    }

    pub async fn selected(
        &self,
        clock: &ManualClock,
        selection: SourceSelection,
    ) -> Arc<dyn CredentialSource> {
        let settings = ChainSettings {
            system_properties: Some(Env::from_map::<String, String>([])),
            ..ChainSettings::new(self.env.clone(), Arc::new(clock.clone()))
        };
        default_chain::build(&settings, selection).await.unwrap()
    }
}

/// An sso-session profile `dev` of session `corp`.
pub fn session_config() -> String {
    format!(
        "[profile dev]\nsso_session = {SESSION}\nsso_account_id = {ACCOUNT}\nsso_role_name = Dev\nregion = us-east-1\n\n\
         [sso-session {SESSION}]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
    )
}

/// A legacy profile `legacy`.
pub fn legacy_config() -> String {
    format!(
        "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_account_id = {ACCOUNT}\nsso_role_name = Dev\n"
    )
}

/// A simulator with the default configuration.
pub async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

/// An STS client at the simulator signing on `clock`.
pub fn caller(sim: &Simulator, clock: &ManualClock) -> StsClient {
    StsClient::with_clock(
        StsSettings::with_endpoint(sim.base_url(), "us-east-1"),
        Arc::new(clock.clone()),
    )
    .unwrap()
}
