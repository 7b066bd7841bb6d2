//! `freshcreds doctor` end to end: the binary, run with a controlled environment against the
//! simulator on loopback, with faults. Each check must fire on its fault and stay quiet without it.

use std::path::Path;
use std::process::Command;

use freshcreds_sim::{
    Endpoint, Fault, SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY,
};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");

/// A clean environment: a temporary home, no profile files, IMDS and STS on the simulator.
struct Setup {
    home: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Setup {
    fn new(sim: Option<&Simulator>) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let h = home.path().display().to_string();
        let mut vars = vec![
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            ("HOME".to_string(), h.clone()),
            ("AWS_CONFIG_FILE".to_string(), format!("{h}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_string(),
                format!("{h}/.aws/credentials"),
            ),
            ("AWS_REGION".to_string(), "us-east-1".to_string()),
            // Keep hanging IMDS calls short.
            (
                "AWS_METADATA_SERVICE_TIMEOUT".to_string(),
                "0.5".to_string(),
            ),
        ];
        if let Some(sim) = sim {
            vars.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), sim.base_url()));
            vars.push(("AWS_ENDPOINT_URL_STS".into(), sim.base_url()));
        }
        Setup { home, vars }
    }

    fn set(mut self, name: &str, value: impl Into<String>) -> Setup {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_string(), value.into()));
        self
    }

    fn static_keys(self) -> Setup {
        self.set("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID)
            .set("AWS_SECRET_ACCESS_KEY", STATIC_SECRET_ACCESS_KEY)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `doctor --json` and returns the exit code and the findings.
    fn doctor(&self, extra: &[&str]) -> Doctor {
        let mut args = vec!["doctor", "--json"];
        args.extend_from_slice(extra);
        let out = self.command(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "doctor --json printed no JSON ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let code = out.status.code().unwrap();
        assert_eq!(doc["exitCode"], code, "{stdout}");
        Doctor {
            code,
            checks: doc["checks"].as_array().unwrap().clone(),
            text: stdout,
        }
    }
}

struct Doctor {
    code: i32,
    checks: Vec<Value>,
    text: String,
}

impl Doctor {
    fn find(&self, check: &str, level: &str) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c["check"] == check && c["level"] == level)
            .map(|c| {
                format!(
                    "{} — fix: {}",
                    c["message"].as_str().unwrap(),
                    c["fix"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    fn one(&self, check: &str, level: &str, containing: &str) -> String {
        let found: Vec<String> = self
            .find(check, level)
            .into_iter()
            .filter(|m| m.contains(containing))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one {level} {check} finding containing {containing:?} in:\n{}",
            self.text
        );
        found.into_iter().next().unwrap()
    }

    fn none(&self, check: &str, level: &str) {
        let found = self.find(check, level);
        assert!(
            found.is_empty(),
            "unexpected {level} {check}: {found:?}\n{}",
            self.text
        );
    }

    fn worst(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c["level"] != "OK")
            .map(|c| c.to_string())
            .collect()
    }
}

fn sim() -> Simulator {
    Simulator::start_blocking(SimConfig::default()).unwrap()
}

fn sim_with(config: SimConfig) -> Simulator {
    Simulator::start_blocking(config).unwrap()
}

#[test]
fn a_healthy_instance_role_passes_every_check_with_exit_code_zero() {
    let sim = sim();
    let d = Setup::new(Some(&sim)).doctor(&[]);
    assert_eq!(d.code, 0, "{:?}", d.worst());
    d.one(
        "chain",
        "OK",
        "Ec2InstanceMetadata: supplies the credentials",
    );
    d.one("expiry", "OK", "they refresh themselves");
    d.one("identity", "OK", "assumed-role/freshcreds-sim-role");
    d.one(
        "imds",
        "OK",
        "instance role freshcreds-sim-role is attached",
    );
    d.one("imds", "OK", "IMDSv2 token PUT");
    assert_eq!(d.find("clock-skew", "OK").len(), 2, "{}", d.text);
    d.none("shadowed", "WARN");
    d.none("proxy", "WARN");
}

#[test]
fn plain_output_has_one_line_per_check_without_colour_when_not_a_terminal() {
    let sim = sim();
    let out = Setup::new(Some(&sim))
        .static_keys()
        .command(&["doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("WARN  shadowed")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("OK    chain      Environment: supplies the credentials")),
        "{text}"
    );
    assert!(text.contains("checks: 0 failed, 1 warnings"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn static_environment_keys_shadowing_a_working_instance_role_warn_with_the_variables_to_unset() {
    let sim = sim();
    let d = Setup::new(Some(&sim)).static_keys().doctor(&[]);
    assert_eq!(d.code, 1, "{:?}", d.worst());
    let w = d.one(
        "shadowed",
        "WARN",
        "Ec2InstanceMetadata would supply credentials",
    );
    assert!(w.contains("static credentials of Environment"), "{w}");
    assert!(w.contains("unset AWS_ACCESS_KEY_ID"), "{w}");
    d.one("expiry", "OK", "long-term access key");
    d.one("identity", "OK", "freshcreds-sim-user");
}

#[test]
fn static_keys_with_imds_down_are_not_reported_as_shadowing() {
    let sim = sim();
    sim.set_fault(Endpoint::ImdsRoleList, Fault::default().status(404));
    let d = Setup::new(Some(&sim)).static_keys().doctor(&["--offline"]);
    d.none("shadowed", "WARN");
    d.one("imds", "OK", "no IAM role is attached");
}

#[test]
fn sts_clock_skew_fails_beyond_five_minutes_in_both_directions_with_the_ntp_hint() {
    for skew in [600i64, -600] {
        let sim = sim();
        sim.set_fault(Endpoint::Sts, Fault::default().date_skew_secs(skew));
        let d = Setup::new(Some(&sim)).doctor(&[]);
        assert_eq!(d.code, 2, "{}", d.text);
        let direction = if skew > 0 { "behind" } else { "ahead of" };
        let f = d.one("clock-skew", "FAIL", "STS at");
        assert!(f.contains(direction), "{f}");
        assert!(f.contains("Amazon Time Sync"), "{f}");
        // IMDS's clock is right: that comparison stays quiet.
        d.one("clock-skew", "OK", "IMDS at");
    }
}

#[test]
fn a_skew_over_one_minute_warns() {
    let sim = sim();
    sim.set_fault(Endpoint::Sts, Fault::default().date_skew_secs(120));
    let d = Setup::new(Some(&sim)).doctor(&[]);
    assert_eq!(d.code, 1, "{:?}", d.worst());
    d.one("clock-skew", "WARN", "STS at");
}

#[test]
fn imds_clock_skew_is_measured_on_its_date_header() {
    let sim = sim();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().date_skew_secs(-400));
    let d = Setup::new(Some(&sim)).doctor(&["--offline"]);
    let f = d.one("clock-skew", "FAIL", "IMDS at");
    assert!(f.contains("ahead of"), "{f}");
}

#[test]
fn a_hanging_token_put_with_a_working_v1_get_is_diagnosed_as_the_hop_limit() {
    let sim = sim();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().hang());
    let d = Setup::new(Some(&sim)).doctor(&["--offline"]);
    let w = d.one("imds", "WARN", "timed out");
    assert!(w.contains("hop-limit"), "{w}");
    assert!(
        w.contains("aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2"),
        "{w}"
    );
    d.one(
        "chain",
        "OK",
        "Ec2InstanceMetadata: supplies the credentials",
    );
}

#[test]
fn a_refused_token_put_with_imdsv1_off_fails_with_the_hop_limit_fix() {
    let sim = sim_with(SimConfig {
        imds_v1_disabled: true,
        ..SimConfig::default()
    });
    sim.set_fault(Endpoint::ImdsToken, Fault::default().status(403));
    let d = Setup::new(Some(&sim)).doctor(&["--offline"]);
    assert_eq!(d.code, 2);
    let f = d.one("imds", "FAIL", "HTTP 403");
    assert!(f.contains("--http-put-response-hop-limit 2"), "{f}");
}

#[test]
fn proxy_variables_capturing_imds_warn_without_showing_proxy_passwords() {
    let sim = sim();
    let setup =
        Setup::new(Some(&sim)).set("https_proxy", "http://alice:hunter2@proxy.invalid:3128");
    let d = setup.doctor(&["--offline"]);
    let w = d.one("proxy", "WARN", "https_proxy=http://proxy.invalid:3128");
    assert!(w.contains("NO_PROXY=169.254.169.254"), "{w}");
    assert!(!d.text.contains("hunter2"), "{}", d.text);

    let d = setup
        .set("NO_PROXY", "localhost,169.254.0.0/16")
        .doctor(&["--offline"]);
    d.none("proxy", "WARN");
    d.one("proxy", "OK", "NO_PROXY exempts 169.254.169.254");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn expired_aws_cli_cache_entries_warn_naming_the_file_and_fresh_ones_do_not() {
    let sim = sim();
    let setup = Setup::new(Some(&sim));
    let cache = setup.home.path().join(".aws/cli/cache");
    let entry = |exp: &str| {
        format!(
            r#"{{"Credentials":{{"AccessKeyId":"ASIAX","SecretAccessKey":"s","SessionToken":"t","Expiration":"{exp}"}}}}"#
        )
    };
    write(&cache.join("fresh.json"), &entry("2999-01-01T00:00:00Z"));
    let d = setup.doctor(&["--offline"]);
    d.none("files", "WARN");
    d.one("files", "OK", "1 AWS CLI cache entries");

    write(&cache.join("0123abcd.json"), &entry("2020-01-01T00:00:00Z"));
    let d = setup.doctor(&["--offline"]);
    assert_eq!(d.code, 1, "{:?}", d.worst());
    let w = d.one("files", "WARN", "0123abcd.json");
    assert!(w.contains("expired"), "{w}");
    assert!(!w.contains("fresh.json"), "{w}");
}

#[test]
fn an_expired_session_token_in_the_selected_profile_fails_naming_file_and_line() {
    let sim = sim();
    let setup = Setup::new(Some(&sim));
    write(
        &setup.home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = s\naws_session_token = t\naws_expiration = 2020-01-01T00:00:00Z\n",
    );
    let d = setup.doctor(&["--offline"]);
    assert_eq!(d.code, 2, "{}", d.text);
    let f = d.one("files", "FAIL", "profile default");
    assert!(f.contains(".aws/credentials:4"), "{f}");
    d.one("chain", "OK", "Profile(default): supplies the credentials");
}

#[test]
fn an_expired_environment_session_fails_on_aws_credential_expiration() {
    let sim = sim();
    let d = Setup::new(Some(&sim))
        .static_keys()
        .set("AWS_SESSION_TOKEN", "tok")
        .set("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")
        .doctor(&["--offline"]);
    assert_eq!(d.code, 2);
    d.one(
        "env",
        "FAIL",
        "AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z",
    );
    let f = d.one("expiry", "FAIL", "from Environment expired");
    assert!(f.contains("never refresh themselves"), "{f}");
}

#[test]
fn expired_tokens_in_the_environment_fail_the_identity_check_naming_the_environment() {
    let sim = sim();
    // Credentials the simulator minted, as `export --format json` prints them.
    let setup = Setup::new(Some(&sim));
    let out = setup
        .command(&["export", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let creds: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(creds["Version"], 1);
    sim.advance_time(std::time::Duration::from_secs(2 * 3600));
    let d = Setup::new(Some(&sim))
        .set("AWS_ACCESS_KEY_ID", creds["AccessKeyId"].as_str().unwrap())
        .set(
            "AWS_SECRET_ACCESS_KEY",
            creds["SecretAccessKey"].as_str().unwrap(),
        )
        .set("AWS_SESSION_TOKEN", creds["SessionToken"].as_str().unwrap())
        .doctor(&[]);
    assert_eq!(d.code, 2);
    let f = d.one("identity", "FAIL", "the credentials from Environment");
    assert!(f.contains("ExpiredToken"), "{f}");
    assert!(f.contains("unset AWS_ACCESS_KEY_ID"), "{f}");
    assert!(!d.text.contains(creds["SecretAccessKey"].as_str().unwrap()));
    assert!(!d.text.contains(creds["SessionToken"].as_str().unwrap()));
}

#[test]
fn an_unknown_access_key_fails_the_identity_check_as_invalid_client_token_id() {
    let sim = sim();
    let d = Setup::new(Some(&sim))
        .set("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN")
        .set("AWS_SECRET_ACCESS_KEY", "nope")
        .doctor(&[]);
    assert_eq!(d.code, 2);
    let f = d.one(
        "identity",
        "FAIL",
        "AKIDUNKNOWN from Environment is not valid",
    );
    assert!(f.contains("InvalidClientTokenId"), "{f}");
}

#[test]
fn offline_makes_no_sts_request() {
    let sim = sim();
    let d = Setup::new(Some(&sim)).doctor(&["--offline"]);
    assert_eq!(d.code, 0, "{:?}", d.worst());
    d.one("identity", "OK", "--offline");
    assert_eq!(sim.counts().sts, 0);
}

#[test]
fn imds_down_with_nothing_else_fails_the_chain_and_imds_checks() {
    let setup = Setup::new(None)
        .set(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            freshcreds_sim::closed_port_url(),
        )
        .set("AWS_ENDPOINT_URL_STS", freshcreds_sim::closed_port_url());
    let d = setup.doctor(&["--offline"]);
    assert_eq!(d.code, 2);
    d.one("chain", "FAIL", "no source supplied credentials");
    let f = d.one("imds", "FAIL", "is not reachable");
    assert!(f.contains("refused"), "{f}");
}

#[test]
fn imds_down_while_other_credentials_work_is_a_warning_when_its_endpoint_was_configured() {
    let sim = sim();
    let d = Setup::new(Some(&sim))
        .static_keys()
        .set(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            freshcreds_sim::closed_port_url(),
        )
        .doctor(&[]);
    assert_eq!(d.code, 1, "{:?}", d.worst());
    d.one("imds", "WARN", "Environment supplies credentials meanwhile");
    d.none("shadowed", "WARN");
    d.one("identity", "OK", "freshcreds-sim-user");
}

#[test]
fn static_keys_of_the_profile_chosen_with_profile_shadow_imds_and_environment_keys_are_ignored() {
    let sim = sim();
    let setup = Setup::new(Some(&sim))
        .set("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .set("AWS_SECRET_ACCESS_KEY", "x");
    write(
        &setup.home.path().join(".aws/credentials"),
        &format!("[dev]\naws_access_key_id = {STATIC_ACCESS_KEY_ID}\naws_secret_access_key = {STATIC_SECRET_ACCESS_KEY}\n"),
    );
    let d = setup.doctor(&["--profile", "dev"]);
    assert_eq!(d.code, 1, "{:?}", d.worst());
    d.one("chain", "OK", "Profile(dev): supplies the credentials");
    let w = d.one("shadowed", "WARN", "static credentials of Profile(dev)");
    assert!(w.contains("from profile dev"), "{w}");
    d.one("identity", "OK", "freshcreds-sim-user");
    assert!(!d.text.contains("AKIDFROMENV"), "{}", d.text);
}
