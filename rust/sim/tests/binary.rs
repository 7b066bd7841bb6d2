//! The `freshcreds-sim` binary: readiness line, port file, admin API, help.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::get_json;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_freshcreds-sim");

/// Spawns `cmd` (the binary with its flags) and reads its standard output up to the readiness
/// line (`freshcreds-sim listening on …`); returns the running child and every line read.
async fn start(cmd: &mut Command) -> (Child, Vec<String>) {
    let mut child = Child(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let ready = line.starts_with("freshcreds-sim listening on ");
            lines.push(line);
            if ready {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    (child, lines)
}

#[tokio::test]
async fn binary_prints_its_url_writes_the_port_file_and_serves_the_admin_api() {
    let dir = std::env::temp_dir().join(format!("freshcreds-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port_file = dir.join("port");
    let (_child, lines) = start(
        Command::new(BIN)
            .args(["--lifetime", "900", "--imds-v1-disabled"])
            .args([
                "--clock-skew",
                "-600",
                "--sts-accepts-expired",
                "--port-file",
            ])
            .arg(&port_file),
    )
    .await;
    let line = lines.last().unwrap();
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
    let counts: freshcreds_sim::Counts = get_json(&http, format!("{url}/_sim/counts")).await;
    assert_eq!(counts.imds_role_list, 1);
    // --clock-skew and --sts-accepts-expired took effect.
    let settings: freshcreds_sim::SimSettings =
        get_json(&http, format!("{url}/_sim/settings")).await;
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
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port-file"));
    let bad = Command::new(BIN).arg("--nope").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn network_flags_start_the_tls_front_and_the_proxy_and_the_admin_api_counts_them() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile_dir("network");
    let ca_file = dir.join("ca.pem");
    let (_child, lines) = start(
        Command::new(BIN)
            .args(["--tls-front", "--tls-name", "sts.proxied.test", "--ca-file"])
            .arg(&ca_file)
            .args(["--connect-proxy", "--proxy-auth", "u:pw"]),
    )
    .await;
    let after = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
            .to_string()
    };
    let front = after("freshcreds-sim TLS front on ");
    let proxy = after("freshcreds-sim CONNECT proxy on ");
    let url = after("freshcreds-sim listening on ");
    assert_eq!(
        after("freshcreds-sim CA certificate in "),
        ca_file.display().to_string()
    );
    let pem = std::fs::read_to_string(&ca_file).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    // Without credentials the proxy answers 407; with them it opens a tunnel.
    let proxy_addr = proxy.trim_start_matches("http://").to_string();
    for (auth, status) in [
        ("", "407"),
        ("Proxy-Authorization: Basic dTpwdw==\r\n", "200"),
    ] {
        let mut conn = tokio::net::TcpStream::connect(&proxy_addr).await.unwrap();
        conn.write_all(format!("CONNECT sts.proxied.test:443 HTTP/1.1\r\n{auth}\r\n").as_bytes())
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).await.unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
    }
    // Plain bytes to the front: a failed handshake (the tunnel, closed without TLS, was one too).
    let mut conn = tokio::net::TcpStream::connect(front.trim_start_matches("https://"))
        .await
        .unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let _ = conn.read(&mut [0u8; 64]).await;

    let http = reqwest::Client::new();
    let mut status = serde_json::Value::Null;
    for _ in 0..100 {
        status = get_json(&http, format!("{url}/_sim/network")).await;
        if status["tls_failed_handshakes"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status["tls_front"], front.as_str(), "{status}");
    assert_eq!(status["connect_proxy"], proxy.as_str(), "{status}");
    assert_eq!(status["ca_file"], ca_file.display().to_string(), "{status}");
    assert_eq!(status["proxy_tunnels"], 1, "{status}");
    assert_eq!(
        status["proxy_targets"][0], "sts.proxied.test:443",
        "{status}"
    );
    assert_eq!(status["proxy_auth_rejections"], 1, "{status}");
    assert_eq!(status["tls_failed_handshakes"], 2, "{status}");
    assert_eq!(status["tls_handshakes"], 0, "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn network_flags_that_need_another_are_refused_with_the_reason() {
    let out = Command::new(BIN)
        .args(["--ca-file", "/nonexistent/ca.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--ca-file and --tls-name need --tls-front"),
        "{stderr}"
    );
}

fn tempfile_dir(what: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("freshcreds-sim-test-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
