//! botocore (the AWS CLI's library, with the AWS CRT it needs for `aws login`; both installed by
//! `scripts/setup.sh`) and freshcreds share one `aws login` token cache against the simulator,
//! each refreshing it in turn, and neither corrupts it for the other:
//!
//! - botocore refreshes expired cached credentials (its `LoginProvider`, its own DPoP proof, which
//!   the simulator verifies like freshcreds') and writes the cache; freshcreds then hands out
//!   those credentials without a refresh of its own;
//! - freshcreds refreshes and writes the cache; botocore then loads the refreshed credentials
//!   without refreshing them.
//!
//! botocore runs as `python3 tests/interop/botocore_login.py` with the temporary home (the
//! `python3` on `PATH`: scripts/test.sh puts `.tools/venv/bin`, whose Python has botocore and the
//! CRT, first). Without them the tests fail, unless `FRESHCREDS_SKIP=botocore` lets them skip
//! (`freshcreds_sim::tools`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use freshcreds::clock::SystemClock;
use freshcreds::env::Env;
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::login::cache::{cache_file_name, format_time};
use freshcreds_sim::tools::{available_or_skip, BOTOCORE};
use freshcreds_sim::{LoginSession, SimConfig, Simulator};
use serde_json::Value;

const SCRIPT: &str = "../../tests/interop/botocore_login.py";

/// A home with `[profile dev] login_session = …` and the session's cache, its credentials
/// expired so that whoever reads it first refreshes it.
struct Home {
    dir: tempfile::TempDir,
    cache_file: std::path::PathBuf,
}

impl Home {
    fn new(session: &LoginSession) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = session.cache.clone();
        doc["accessToken"]["expiresAt"] = Value::String(format_time(
            chrono::Utc::now() - chrono::Duration::minutes(1),
        ));
        let cache_file = session.write_home(
            dir.path(),
            "dev",
            "region = us-east-2\n",
            &doc,
            &cache_file_name(&session.login_session),
        );
        Home { dir, cache_file }
    }

    fn vars(&self, sim: &Simulator) -> Vec<(String, String)> {
        let home = self.dir.path();
        vec![
            ("HOME".into(), home.display().to_string()),
            (
                "AWS_CONFIG_FILE".into(),
                home.join(".aws/config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                home.join(".aws/credentials").display().to_string(),
            ),
            ("AWS_PROFILE".into(), "dev".into()),
            ("AWS_ENDPOINT_URL_SIGNIN".into(), sim.base_url()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    fn cache(&self) -> Value {
        serde_json::from_slice(&std::fs::read(&self.cache_file).unwrap())
            .expect("the cache file is valid JSON")
    }

    /// botocore's credentials for the profile (its JSON line).
    fn botocore(&self, sim: &Simulator) -> Value {
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.envs(self.vars(sim));
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "botocore failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
        })
    }

    /// freshcreds' credentials for the profile (the profile link, as a host resolves it).
    async fn freshcreds(&self, sim: &Simulator) -> freshcreds::Credentials {
        let settings =
            ChainSettings::new(Env::from_map(self.vars(sim)), Arc::new(SystemClock::new()));
        let source = default_chain::build(&settings, SourceSelection::Profile)
            .await
            .unwrap();
        source
            .fetch()
            .await
            .unwrap_or_else(|e| panic!("{}", e.full_message()))
            .credentials
    }
}

/// The fields of a cache document that a refresh must leave as they were.
fn kept(doc: &Value) -> Vec<Value> {
    ["clientId", "dpopKey", "idToken", "tokenType"]
        .iter()
        .map(|f| doc[*f].clone())
        .chain([doc["accessToken"]["accountId"].clone()])
        .collect()
}

#[tokio::test]
async fn botocore_refreshes_the_session_and_freshcreds_then_uses_its_credentials_without_a_refresh()
{
    if !available_or_skip(
        BOTOCORE,
        "botocore_refreshes_the_session_and_freshcreds_then_uses_its_credentials_without_a_refresh",
    ) {
        return;
    }
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let session = sim.login_session();
    let home = Home::new(&session);
    let before = home.cache();

    let boto = home.botocore(&sim);
    assert_eq!(boto["method"], "login", "{boto}");
    let calls = sim.signin_calls();
    assert_eq!(calls.len(), 1, "botocore refreshed once: {calls:?}");
    assert_eq!(
        calls[0].refused, None,
        "the simulator accepts botocore's proof"
    );
    assert_eq!(
        calls[0].key_thumbprint.as_deref(),
        Some(session.key_thumbprint.as_str())
    );
    let after = home.cache();
    assert_eq!(after["accessToken"]["accessKeyId"], boto["access_key_id"]);
    assert_ne!(after["refreshToken"], before["refreshToken"]);
    assert_eq!(
        kept(&after),
        kept(&before),
        "botocore kept the other fields"
    );

    let ours = home.freshcreds(&sim).await;
    assert_eq!(ours.access_key_id(), boto["access_key_id"]);
    assert_eq!(sim.signin_calls().len(), 1, "no refresh of freshcreds' own");
    assert!(Path::new(&home.cache_file).exists());
}

#[tokio::test]
async fn freshcreds_refreshes_the_session_and_botocore_then_loads_its_credentials_without_a_refresh(
) {
    if !available_or_skip(BOTOCORE, "freshcreds_refreshes_the_session_and_botocore_then_loads_its_credentials_without_a_refresh") {
        return;
    }
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let session = sim.login_session();
    let home = Home::new(&session);
    let before = home.cache();

    let ours = home.freshcreds(&sim).await;
    assert_eq!(sim.signin_calls().len(), 1);
    let after = home.cache();
    assert_eq!(after["accessToken"]["accessKeyId"], ours.access_key_id());
    assert_eq!(kept(&after), kept(&before));

    let boto = home.botocore(&sim);
    assert_eq!(boto["access_key_id"], ours.access_key_id(), "{boto}");
    assert_eq!(sim.signin_calls().len(), 1, "no refresh of botocore's own");
    assert_eq!(
        home.cache(),
        after,
        "botocore left the file as freshcreds wrote it"
    );
}
