//! `freshcreds doctor` on IAM Identity Center profiles: the binary, with a temporary home holding
//! the profile and the token cache, the portal and OIDC on the simulator. The `sso` finding names
//! the session or start URL, the token's expiry, whether it refreshes itself, and the login
//! command when it cannot; no token appears in the output.

use std::process::Command;
use std::time::Duration;

use freshcreds::sources::sso::cache::{cache_file_name, format_time};
use freshcreds_sim::{SimConfig, Simulator, SsoLogin};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");
const START_URL: &str = "https://d-sim.awsapps.com/start";

struct Home {
    dir: tempfile::TempDir,
    sim: Simulator,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws/sso/cache")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        Home {
            dir,
            sim: Simulator::start_blocking(SimConfig::default()).unwrap(),
        }
    }

    fn cache(&self, key: &str, login: &SsoLogin, expires_at: Option<String>) {
        let mut doc: Value =
            serde_json::from_str(&login.cache_json(START_URL, "us-east-1")).unwrap();
        if let Some(at) = expires_at {
            doc["expiresAt"] = at.into();
        }
        std::fs::write(
            self.dir
                .path()
                .join(".aws/sso/cache")
                .join(cache_file_name(key)),
            doc.to_string(),
        )
        .unwrap();
    }

    /// `doctor --json --offline` for `profile`: the `sso` findings as `LEVEL message — fix`, and
    /// the whole output.
    fn doctor(&self, profile: &str) -> (Vec<String>, String) {
        let h = self.dir.path().display().to_string();
        let out = Command::new(BIN)
            .args(["doctor", "--json", "--offline"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &h)
            .env("AWS_PROFILE", profile)
            .env("AWS_ENDPOINT_URL_SSO", self.sim.base_url())
            .env("AWS_ENDPOINT_URL_SSO_OIDC", self.sim.base_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("no JSON ({e}): {text}"));
        let found = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check"] == "sso")
            .map(|c| {
                format!(
                    "{} {} — {}",
                    c["level"].as_str().unwrap(),
                    c["message"].as_str().unwrap(),
                    c["fix"].as_str().unwrap_or("")
                )
            })
            .collect();
        (found, text)
    }
}

fn session_config() -> String {
    format!(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    )
}

#[test]
fn a_session_token_that_refreshes_itself_is_reported_ok_with_its_session_and_expiry() {
    let home = Home::new(&session_config());
    let login = home.sim.sso_login(Duration::from_secs(4 * 3600));
    home.cache("corp", &login, None);
    let (sso, text) = home.doctor("dev");
    assert_eq!(sso.len(), 1, "{text}");
    let line = &sso[0];
    assert!(line.starts_with("OK "), "{line}");
    for part in [
        "sso-session corp",
        START_URL,
        "refreshes itself with CreateToken",
        "role Dev",
    ] {
        assert!(line.contains(part), "{part:?} missing: {line}");
    }
    assert!(
        text.contains("Profile(dev)/Sso: supplies the credentials"),
        "{text}"
    );
    for secret in [
        &login.access_token,
        &login.refresh_token,
        &login.client_secret,
    ] {
        assert!(
            !text.contains(secret.as_str()),
            "a secret in the output: {text}"
        );
    }
}

#[test]
fn an_expired_legacy_token_fails_with_the_login_command_for_the_profile() {
    let home = Home::new(&format!(
        "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n"
    ));
    let login = home.sim.sso_login(Duration::from_secs(3600));
    let expired = format_time(home.sim.now() - chrono::Duration::hours(1));
    home.cache(START_URL, &login, Some(expired));
    let (sso, text) = home.doctor("legacy");
    assert_eq!(sso.len(), 1, "{text}");
    let line = &sso[0];
    assert!(line.starts_with("FAIL "), "{line}");
    assert!(
        line.contains("expired") && line.contains("cannot refresh itself"),
        "{line}"
    );
    assert!(
        line.contains("run `aws sso login --profile legacy`"),
        "{line}"
    );
    assert!(!text.contains(login.access_token.as_str()));
}

#[test]
fn a_missing_token_cache_fails_naming_the_file_and_the_session_login() {
    let home = Home::new(&session_config());
    let (sso, text) = home.doctor("dev");
    assert_eq!(sso.len(), 1, "{text}");
    let line = &sso[0];
    assert!(line.starts_with("FAIL "), "{line}");
    assert!(line.contains(&cache_file_name("corp")), "{line}");
    assert!(
        line.contains("run `aws sso login --sso-session corp`"),
        "{line}"
    );
}
