//! botocore (the AWS CLI's library, installed by `scripts/setup.sh`) and freshcreds share one IAM
//! Identity Center token cache against the simulator, each refreshing it in turn, and neither
//! corrupts it for the other:
//!
//! - botocore refreshes a token inside its 15-minute window (`SSOTokenProvider`, `CreateToken`)
//!   and writes the cache; freshcreds then resolves role credentials from that file without a
//!   refresh of its own;
//! - freshcreds refreshes and writes the cache; botocore then loads the token without refreshing
//!   it, and resolves the profile's credentials with its own SSO provider.
//!
//! botocore runs as `python3 tests/interop/botocore_sso.py` with the temporary home (the
//! `python3` on `PATH`: scripts/test.sh puts `.tools/venv/bin`, whose Python has botocore, first).
//! Without botocore the tests fail, unless `FRESHCREDS_SKIP=botocore` lets them skip
//! (`freshcreds_sim::tools`).

mod sso_home;

use std::process::Command;
use std::time::Duration;

use freshcreds::clock::ManualClock;
use freshcreds_sim::tools::{available_or_skip, BOTOCORE};
use serde_json::Value;
use sso_home::{sim, Home, SESSION, START_URL};

const SCRIPT: &str = "../../tests/interop/botocore_sso.py";
/// The most a botocore run may take (interpreter start and one or two requests).
const BOTOCORE_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the script in `mode` with the home's environment (and nothing of the caller's AWS
/// settings); returns its JSON line.
fn botocore(home: &Home, mode: &str) -> Value {
    let mut cmd = Command::new("python3");
    cmd.arg(SCRIPT).arg(mode).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for name in [
        "HOME",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_SSO_OIDC",
    ] {
        cmd.env(name, home.env.get(name).unwrap());
    }
    cmd.env("AWS_CONFIG_FILE", home.dir.path().join(".aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.dir.path().join(".aws/credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let started = std::time::Instant::now();
    let out = cmd.output().expect("python3 runs");
    assert!(
        started.elapsed() < BOTOCORE_TIMEOUT,
        "botocore took {:?}",
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "botocore {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "botocore {mode} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The cache file is one JSON object with every field both readers need.
fn assert_complete_cache(doc: &Value) {
    for field in [
        "accessToken",
        "expiresAt",
        "refreshToken",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "startUrl",
        "region",
    ] {
        assert!(
            doc[field].is_string(),
            "`{field}` missing from {:?}",
            doc.as_object().map(|o| o.keys().collect::<Vec<_>>())
        );
    }
    assert_eq!(doc["startUrl"], START_URL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_refreshes_the_shared_cache_then_freshcreds_resolves_from_it() {
    if !available_or_skip(
        BOTOCORE,
        "botocore_refreshes_the_shared_cache_then_freshcreds_resolves_from_it",
    ) {
        return;
    }
    let sim = sim().await;
    let (home, login) = Home::signed_in(&sim, Duration::from_secs(600));

    let loaded = botocore(&home, "token");
    assert!(loaded["token_length"].as_u64().unwrap() > 0);
    assert_eq!(
        sim.sso_counts().create_token,
        1,
        "botocore refreshed the token"
    );
    let doc = home.read_cache(SESSION);
    assert_complete_cache(&doc);
    assert_ne!(doc["accessToken"], login.access_token.as_str());

    let clock = ManualClock::new(sim.now());
    let fetched = home.source(&clock).await.fetch().await.unwrap();
    assert_eq!(fetched.credentials.source(), "Profile(dev)/Sso");
    let counts = sim.sso_counts();
    assert_eq!(
        counts.create_token, 1,
        "botocore's token was fresh: no second refresh"
    );
    assert_eq!(counts.get_role_credentials, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freshcreds_refreshes_the_shared_cache_then_botocore_loads_it_and_resolves_credentials() {
    if !available_or_skip(
        BOTOCORE,
        "freshcreds_refreshes_the_shared_cache_then_botocore_loads_it_and_resolves_credentials",
    ) {
        return;
    }
    let sim = sim().await;
    let (home, _) = Home::signed_in(&sim, Duration::from_secs(600));

    let clock = ManualClock::new(sim.now());
    home.source(&clock).await.fetch().await.unwrap();
    assert_eq!(
        sim.sso_counts().create_token,
        1,
        "freshcreds refreshed the token"
    );
    let doc = home.read_cache(SESSION);
    assert_complete_cache(&doc);
    assert_eq!(doc["futureCliField"]["kept"], true);

    botocore(&home, "token");
    assert_eq!(
        sim.sso_counts().create_token,
        1,
        "botocore read freshcreds' token as fresh and did not refresh it"
    );
    let resolved = botocore(&home, "credentials");
    assert_eq!(resolved["method"], "sso");
    assert!(resolved["access_key_id"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
    assert_eq!(sim.sso_counts().get_role_credentials, 2);
    assert_eq!(
        home.read_cache(SESSION),
        doc,
        "botocore left the file as freshcreds wrote it"
    );
}
