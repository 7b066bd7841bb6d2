//! The binary on a corporate network, against loopback peers only: the simulator's STS behind a
//! TLS front whose certificate comes from a private CA (what a TLS-inspecting proxy looks like),
//! and a counting `CONNECT` proxy.
//!
//! - `credential-process --role-arn` fails in well under a second on the untrusted certificate,
//!   naming the endpoint, the issuer and the fix; with the CA in `AWS_CA_BUNDLE` it succeeds.
//! - `doctor` says what is trusted, how each endpoint is reached, and how the TLS handshake with
//!   STS went.
//! - A proxy that wants credentials fails `credential-process` at once (one refused `CONNECT`),
//!   naming the proxy and where credentials go; `doctor` says the same; with `user:password@` in
//!   `HTTPS_PROXY` the role is assumed through the tunnel.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use freshcreds_sim::tls::{ConnectProxy, PrivateCa, TlsFront};
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");
const ROLE: &str = "arn:aws:iam::123456789012:role/cli-corp";
const CA_NAME: &str = "Corp TLS Inspection CA";
/// A name only the proxy sees (it tunnels everything to the front): never looked up.
const PROXIED_HOST: &str = "sts.proxied.test";

struct Peers {
    sim: Simulator,
    front: TlsFront,
    home: tempfile::TempDir,
}

impl Peers {
    fn start() -> Peers {
        let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
        let ca = PrivateCa::new(CA_NAME);
        let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], sim.port()));
        let front = TlsFront::start(&ca, &["127.0.0.1", PROXIED_HOST], upstream).unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("corp-ca.pem"), ca.cert_pem()).unwrap();
        Peers { sim, front, home }
    }

    fn bundle(&self) -> String {
        self.home.path().join("corp-ca.pem").display().to_string()
    }

    /// The binary with a clean environment: static keys, STS behind the TLS front, no IMDS.
    fn command(&self, vars: &[(&str, &str)], args: &[&str]) -> Output {
        let home: &Path = self.home.path();
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", STATIC_SECRET_ACCESS_KEY)
            .env("AWS_ENDPOINT_URL_STS", self.front.url())
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(args).output().unwrap()
    }

    fn doctor(&self, vars: &[(&str, &str)]) -> Vec<Value> {
        let out = self.command(vars, &["doctor", "--json"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check"] == "network")
            .cloned()
            .collect()
    }
}

#[test]
fn credential_process_fails_within_a_second_on_an_untrusted_certificate_with_the_fix() {
    let p = Peers::start();
    let started = Instant::now();
    let out = p.command(&[], &["credential-process", "--role-arn", ROLE]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(took < Duration::from_secs(1), "took {took:?}: {stderr}");
    eprintln!("time to fail on an untrusted certificate (credential-process): {took:?}\n{stderr}");
    for needle in [
        p.front.url().as_str(),
        "the server's TLS certificate is not trusted: issued by an unknown certificate authority",
        &format!("issued by CN={CA_NAME}"),
        "set AWS_CA_BUNDLE",
        "ca_bundle in the profile",
        "JVM's trust store",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing from: {stderr}");
    }
    // The front counts the refused handshake on its own thread, maybe after the binary exited.
    assert_eq!(settled(|| p.front.failed_handshakes(), 1), 1, "not retried");
    assert!(p.sim.assume_role_calls().is_empty());
}

#[test]
fn credential_process_assumes_the_role_through_the_front_with_aws_ca_bundle() {
    let p = Peers::start();
    let bundle = p.bundle();
    let out = p.command(
        &[("AWS_CA_BUNDLE", bundle.as_str())],
        &["credential-process", "--role-arn", ROLE],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["Version"], 1);
    assert_eq!(p.sim.assume_role_calls().len(), 1);
}

/// A peer's counter once it reached `want` (or after 2 s), and 50 ms more for any excess.
fn settled(count: impl Fn() -> u64, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    while count() < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    count()
}

fn messages(checks: &[Value]) -> String {
    checks
        .iter()
        .map(|c| format!("{} {}", c["level"], c["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn doctor_fails_the_handshake_with_the_issuer_and_the_fix_without_the_ca() {
    let p = Peers::start();
    let checks = p.doctor(&[]);
    let shown = messages(&checks);
    assert!(
        shown.contains("checked against the platform's trust store") || shown.contains("bundled"),
        "{shown}"
    );
    let handshake = checks
        .iter()
        .find(|c| c["message"].as_str().unwrap().starts_with("TLS handshake"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(handshake["level"], "FAIL", "{shown}");
    let msg = handshake["message"].as_str().unwrap();
    assert!(msg.contains(&format!("issued by CN={CA_NAME}")), "{msg}");
    assert!(handshake["fix"].as_str().unwrap().contains("AWS_CA_BUNDLE"));
}

#[test]
fn doctor_names_the_bundle_the_route_and_a_good_handshake() {
    let p = Peers::start();
    let proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let bundle = p.bundle();
    let checks = p.doctor(&[
        ("AWS_CA_BUNDLE", bundle.as_str()),
        ("HTTPS_PROXY", proxy.url().as_str()),
    ]);
    let shown = messages(&checks);
    assert!(checks.iter().all(|c| c["level"] == "OK"), "{shown}");
    assert!(
        shown.contains(&format!("CA bundle {bundle} (AWS_CA_BUNDLE)")),
        "{shown}"
    );
    // The endpoint is loopback: direct whatever HTTPS_PROXY says.
    assert!(
        shown.contains("direct (127.0.0.1 is a loopback host)"),
        "{shown}"
    );
    assert!(shown.contains("TLS handshake with STS at"), "{shown}");
    assert!(proxy.connects().is_empty());
}

#[test]
fn doctor_shows_the_proxy_of_iam_identity_center_endpoints_and_a_bad_bundle() {
    let p = Peers::start();
    std::fs::write(
        p.home.path().join("config"),
        "[profile corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_account_id = 123456789012\nsso_role_name = Dev\nca_bundle = /nonexistent/corp.pem\n",
    )
    .unwrap();
    let checks = p.doctor(&[
        ("AWS_PROFILE", "corp"),
        ("HTTPS_PROXY", "http://user:hunter2@proxy.corp.example:3128"),
        ("NO_PROXY", "oidc.eu-west-1.amazonaws.com"),
    ]);
    let shown = messages(&checks);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("IAM Identity Center portal at https://portal.sso.eu-west-1.amazonaws.com")
            && shown.contains("through proxy http://proxy.corp.example:3128 (HTTPS_PROXY)"),
        "{shown}"
    );
    assert!(
        shown.contains("matches `oidc.eu-west-1.amazonaws.com` in NO_PROXY"),
        "{shown}"
    );
    let trust = &checks[0];
    assert_eq!(trust["level"], "FAIL", "{shown}");
    assert!(
        trust["message"]
            .as_str()
            .unwrap()
            .contains("CA bundle ca_bundle of profile corp"),
        "{shown}"
    );
}

#[test]
fn a_proxy_wanting_credentials_fails_at_once_and_credentials_in_https_proxy_open_it() {
    let p = Peers::start();
    let proxy =
        ConnectProxy::start_with_auth(p.front.addr(), Some(("corp", "pr0xy-secret"))).unwrap();
    let bundle = p.bundle();
    let endpoint = format!("https://{PROXIED_HOST}");
    let vars = |proxy_url: &str| {
        vec![
            ("AWS_CA_BUNDLE".to_string(), bundle.clone()),
            ("AWS_ENDPOINT_URL_STS".to_string(), endpoint.clone()),
            ("HTTPS_PROXY".to_string(), proxy_url.to_string()),
        ]
    };
    let run = |vars: &[(String, String)], args: &[&str]| {
        let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        p.command(&v, args)
    };
    let started = Instant::now();
    let out = run(
        &vars(&proxy.url()),
        &["credential-process", "--role-arn", ROLE],
    );
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(1), "took {took:?}: {stderr}");
    for needle in [
        format!(
            "the proxy {} (HTTPS_PROXY) answered 407 Proxy Authentication Required",
            proxy.url()
        ),
        "http://user:password@host:port in HTTPS_PROXY".to_string(),
    ] {
        assert!(
            stderr.contains(&needle),
            "{needle:?} missing from: {stderr}"
        );
    }
    assert_eq!(proxy.auth_rejections(), 1, "not retried: {stderr}");

    let v = vars(&proxy.url());
    let v: Vec<(&str, &str)> = v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let checks = p.doctor(&v);
    let shown = messages(&checks);
    let handshake = checks
        .iter()
        .find(|c| c["message"].as_str().unwrap().starts_with("TLS handshake"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(handshake["level"], "FAIL", "{shown}");
    assert!(
        handshake["message"].as_str().unwrap().contains("407"),
        "{shown}"
    );
    assert!(
        handshake["fix"]
            .as_str()
            .unwrap()
            .contains("-Dhttps.proxyUser"),
        "{shown}"
    );

    let with_credentials = proxy.url().replace("http://", "http://corp:pr0xy-secret@");
    let out = run(
        &vars(&with_credentials),
        &["credential-process", "--role-arn", ROLE],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("pr0xy-secret"), "{stderr}");
    assert_eq!(proxy.connects(), [format!("{PROXIED_HOST}:443")]);
    assert_eq!(p.sim.assume_role_calls().len(), 1);
}
