//! `freshcreds doctor` on an `aws login` profile, end to end: the binary against the simulator's
//! AWS Sign-In endpoint. It names the session and the cache file, says when the credentials expire
//! and whether the session refreshes itself, and gives `aws login --profile P` when it cannot.

use std::process::Command;

use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");

/// Writes `[profile dev] login_session = …` and the simulator's session into a temporary home,
/// with the cached credentials already `expired` or still valid; returns the home and the session.
fn home(sim: &Simulator, expired: bool) -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().unwrap();
    let session = sim.login_session();
    let mut doc = session.cache.clone();
    if expired {
        doc["accessToken"]["expiresAt"] = Value::String("2020-01-01T00:00:00Z".into());
    }
    let name = freshcreds::sources::login::cache::cache_file_name(&session.login_session);
    session.write_home(home.path(), "dev", "region = us-east-2\n", &doc, &name);
    (home, session.login_session)
}

fn doctor(home: &tempfile::TempDir, sim: &Simulator) -> Vec<Value> {
    let h = home.path().display().to_string();
    let out = Command::new(BIN)
        .args(["doctor", "--json", "--offline"])
        .env_clear()
        .env("HOME", &h)
        .env("AWS_PROFILE", "dev")
        .env("AWS_ENDPOINT_URL_SIGNIN", sim.base_url())
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.base_url())
        .env("AWS_METADATA_SERVICE_TIMEOUT", "0.5")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "login")
        .cloned()
        .collect()
}

#[tokio::test]
async fn doctor_names_the_session_its_expiry_and_that_it_refreshes_itself() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (home, session) = home(&sim, false);
    let found = doctor(&home, &sim);
    assert_eq!(found.len(), 1, "{found:?}");
    let m = found[0]["message"].as_str().unwrap();
    assert_eq!(found[0]["level"], "OK", "{m}");
    assert!(
        m.contains(&session) && m.contains(".aws/login/cache/"),
        "{m}"
    );
    assert!(
        m.contains("expire at") && m.contains("refreshes itself"),
        "{m}"
    );
    assert!(m.contains("aws login --profile dev"), "{m}");
}

#[tokio::test]
async fn doctor_on_a_revoked_session_fails_with_the_login_command() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(
        Endpoint::SigninToken,
        Fault::default().code("TOKEN_EXPIRED"),
    );
    let (home, _) = home(&sim, true);
    let found = doctor(&home, &sim);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["level"], "FAIL", "{found:?}");
    let m = found[0]["message"].as_str().unwrap();
    assert!(
        m.contains("cannot refresh itself") && m.contains("TOKEN_EXPIRED"),
        "{m}"
    );
    assert!(
        found[0]["fix"]
            .as_str()
            .unwrap()
            .contains("`aws login --profile dev`"),
        "{found:?}"
    );
}

#[tokio::test]
async fn doctor_says_nothing_about_login_for_other_profiles() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile dev]\naws_access_key_id = AKIDX\naws_secret_access_key = s\n",
    )
    .unwrap();
    assert!(doctor(&home, &sim).is_empty());
}
