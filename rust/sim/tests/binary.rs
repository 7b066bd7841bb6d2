//! The `freshcreds-sim` binary: readiness line, port file, admin API, help.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_writes_the_port_file_and_serves_the_admin_api() {
    let dir = std::env::temp_dir().join(format!("freshcreds-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port_file = dir.join("port");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_freshcreds-sim"))
            .args(["--lifetime", "900", "--imds-v1-disabled"])
            .args([
                "--clock-skew",
                "-600",
                "--sts-accepts-expired",
                "--port-file",
            ])
            .arg(&port_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("freshcreds-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}"));

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let health = http.get(format!("{url}/_sim/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // --imds-v1-disabled took effect.
    let v1 = http
        .get(format!("{url}/latest/meta-data/iam/security-credentials/"))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), 401);
    let counts = http
        .get(format!("{url}/_sim/counts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counts: freshcreds_sim::Counts = serde_json::from_str(&counts).unwrap();
    assert_eq!(counts.imds_role_list, 1);
    // --clock-skew and --sts-accepts-expired took effect.
    let settings: freshcreds_sim::SimSettings = serde_json::from_str(
        &http
            .get(format!("{url}/_sim/settings"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        settings,
        freshcreds_sim::SimSettings {
            clock_skew_secs: -600,
            sts_accepts_expired: true
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_help_prints_usage_and_bad_arguments_fail() {
    let help = Command::new(env!("CARGO_BIN_EXE_freshcreds-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port-file"));
    let bad = Command::new(env!("CARGO_BIN_EXE_freshcreds-sim"))
        .arg("--nope")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
