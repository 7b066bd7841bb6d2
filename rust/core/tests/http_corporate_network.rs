//! Corporate networks, against loopback peers only: the simulator's STS behind a TLS front whose
//! certificate comes from a private CA (what a TLS-inspecting proxy looks like), and a counting
//! `CONNECT` proxy that tunnels every request to that front (it never dials the host asked for).
//!
//! - Trust: without the CA, `AssumeRole` fails at once (one handshake, no retry) with an
//!   [`ErrorKind::Tls`] error naming the endpoint, the issuer and the fix; with the CA in
//!   `AWS_CA_BUNDLE`, the profile's `ca_bundle`, or the host's `trustRootsPem`, it succeeds.
//! - Proxies: `HTTPS_PROXY` carries STS through `CONNECT`; `NO_PROXY` and loopback go direct;
//!   the host's `httpsProxy` wins over the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds::http::{HttpPolicy, NetworkSettings};
use freshcreds::sources::default_chain;
use freshcreds::sources::profile::ProfileSet;
use freshcreds::sources::sts::{RoleRequest, StsClient, StsSettings};
use freshcreds::{Error, ErrorKind};
use freshcreds_sim::tls::{ConnectProxy, PrivateCa, TlsFront};
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

#[path = "support/fixed_base.rs"]
mod fixed_base;
use fixed_base::static_key;

const ROLE: &str = "arn:aws:iam::123456789012:role/corp";
const CA_NAME: &str = "Corp TLS Inspection CA";
/// A name that is never looked up: requests to it go through the proxy, or to a pinned address.
const PROXIED_HOST: &str = "sts.proxied.test";
const DIRECT_HOST: &str = "sts.direct.test";

struct Peers {
    sim: Simulator,
    ca: PrivateCa,
    front: TlsFront,
    _dir: tempfile::TempDir,
    bundle: PathBuf,
}

fn sim_addr(sim: &Simulator) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], sim.port()))
}

/// The simulator behind a TLS front valid for 127.0.0.1 and the test host names, and the CA
/// certificate in a PEM file.
async fn peers() -> Peers {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let ca = PrivateCa::new(CA_NAME);
    let front = TlsFront::start(
        &ca,
        &["127.0.0.1", "localhost", PROXIED_HOST, DIRECT_HOST],
        sim_addr(&sim),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("corp-ca.pem");
    std::fs::write(&bundle, ca.cert_pem()).unwrap();
    Peers {
        sim,
        ca,
        front,
        _dir: dir,
        bundle,
    }
}

fn settings(endpoint: &str, http: HttpPolicy) -> StsSettings {
    let mut s = StsSettings::with_endpoint(endpoint, "us-east-1");
    s.http = http;
    s
}

async fn assume(settings: StsSettings) -> freshcreds::Result<()> {
    let client = StsClient::new(settings)?;
    client
        .assume_role(&static_key(), &RoleRequest::new(ROLE))
        .await
        .map(|_| ())
}

fn env(vars: &[(&str, &str)]) -> Env {
    Env::from_map(vars.iter().copied())
}

/// Waits (briefly) for a count kept by a peer thread.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{what}");
}

fn assert_untrusted(e: &Error, endpoint: &str) {
    let msg = e.full_message();
    assert_eq!(e.kind(), ErrorKind::Tls, "{msg}");
    assert!(!e.is_retryable());
    assert!(msg.contains(endpoint), "{msg}");
    assert!(msg.contains("unknown certificate authority"), "{msg}");
    assert!(msg.contains(&format!("issued by CN={CA_NAME}")), "{msg}");
    assert!(msg.contains("set AWS_CA_BUNDLE"), "{msg}");
    assert!(msg.contains("ca_bundle in the profile"), "{msg}");
    assert!(msg.contains("JVM's trust store"), "{msg}");
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_without_retries_naming_issuer_and_fix() {
    let p = peers().await;
    let started = Instant::now();
    let e = assume(settings(&p.front.url(), HttpPolicy::from_env(&env(&[]))))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_untrusted(&e, &p.front.url());
    assert!(took < Duration::from_secs(1), "took {took:?}");
    eventually("one refused handshake", || p.front.failed_handshakes() == 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        p.front.failed_handshakes(),
        1,
        "a TLS failure is not retried"
    );
    assert!(p.sim.assume_role_calls().is_empty());
}

#[tokio::test]
async fn aws_ca_bundle_replaces_the_default_roots_and_assume_role_succeeds() {
    let p = peers().await;
    let e = env(&[("AWS_CA_BUNDLE", p.bundle.to_str().unwrap())]);
    assume(settings(&p.front.url(), HttpPolicy::from_env(&e)))
        .await
        .unwrap();
    assert_eq!(p.sim.assume_role_calls().len(), 1);
    assert_eq!(p.front.handshakes(), 1);
}

#[tokio::test]
async fn the_profile_ca_bundle_is_used_and_the_environment_wins_over_it() {
    let p = peers().await;
    let none: [(&str, [(&str, &str); 0]); 0] = [];
    let profiles = ProfileSet::from_properties(
        [(
            "corp",
            [
                ("ca_bundle", p.bundle.to_str().unwrap()),
                ("endpoint_url", p.front.url().as_str()),
            ],
        )],
        none,
        "corp",
    );
    let s = default_chain::sts_settings(&env(&[]), Some(&profiles)).unwrap();
    assume(s).await.unwrap();
    // AWS_CA_BUNDLE wins: a bundle without this CA makes the same call fail.
    let other = PrivateCa::new("Some Other CA");
    let other_file = p.bundle.with_file_name("other.pem");
    std::fs::write(&other_file, other.cert_pem()).unwrap();
    let e = env(&[("AWS_CA_BUNDLE", other_file.to_str().unwrap())]);
    let s = default_chain::sts_settings(&e, Some(&profiles)).unwrap();
    let err = assume(s).await.unwrap_err();
    assert_untrusted(&err, &p.front.url());
    assert!(
        err.message().contains("(AWS_CA_BUNDLE)"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_bundle_that_cannot_be_read_is_a_configuration_error_naming_file_and_origin() {
    let p = peers().await;
    let e = env(&[("AWS_CA_BUNDLE", "/nonexistent/corp-ca.pem")]);
    let err = assume(settings(&p.front.url(), HttpPolicy::from_env(&e)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.message()
            .contains("CA bundle AWS_CA_BUNDLE=/nonexistent/corp-ca.pem cannot be read"),
        "{}",
        err.message()
    );
    assert_eq!(p.front.handshakes() + p.front.failed_handshakes(), 0);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_tls_error_too() {
    let p = peers().await;
    let wrong_name = TlsFront::start(&p.ca, &["elsewhere.test"], sim_addr(&p.sim)).unwrap();
    let e = env(&[("AWS_CA_BUNDLE", p.bundle.to_str().unwrap())]);
    let err = assume(settings(&wrong_name.url(), HttpPolicy::from_env(&e)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{}", err.full_message());
    assert!(
        err.message().contains("not valid for name"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn https_proxy_carries_sts_through_connect() {
    let p = peers().await;
    let proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let e = env(&[
        ("HTTPS_PROXY", proxy.url().as_str()),
        ("AWS_CA_BUNDLE", p.bundle.to_str().unwrap()),
    ]);
    let endpoint = format!("https://{PROXIED_HOST}");
    let policy = HttpPolicy::from_env(&e);
    assert!(policy
        .route(&endpoint.parse().unwrap())
        .to_string()
        .contains("(HTTPS_PROXY)"));
    assume(settings(&endpoint, policy)).await.unwrap();
    assert_eq!(proxy.connects(), [format!("{PROXIED_HOST}:443")]);
    assert_eq!(p.sim.assume_role_calls().len(), 1);
}

#[tokio::test]
async fn no_proxy_and_loopback_endpoints_go_direct() {
    let p = peers().await;
    let proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let e = env(&[
        ("https_proxy", proxy.url().as_str()),
        ("no_proxy", "localhost,.direct.test"),
        ("AWS_CA_BUNDLE", p.bundle.to_str().unwrap()),
    ]);
    // A NO_PROXY match: straight to the front (pinned: the name is never looked up).
    let endpoint = format!("https://{DIRECT_HOST}:{}", p.front.addr().port());
    let policy = HttpPolicy::from_env(&e).with_resolved(DIRECT_HOST, &[p.front.addr()]);
    assume(settings(&endpoint, policy)).await.unwrap();
    // Loopback, whatever NO_PROXY says.
    assume(settings(&p.front.url(), HttpPolicy::from_env(&e)))
        .await
        .unwrap();
    assert!(proxy.connects().is_empty(), "{:?}", proxy.connects());
    assert_eq!(p.sim.assume_role_calls().len(), 2);
}

#[tokio::test]
async fn the_host_proxy_wins_over_the_environment_and_brings_its_exceptions() {
    let p = peers().await;
    let env_proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let host_proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let e = env(&[
        ("HTTPS_PROXY", env_proxy.url().as_str()),
        ("AWS_CA_BUNDLE", p.bundle.to_str().unwrap()),
    ]);
    let host = NetworkSettings {
        https_proxy: Some((host_proxy.url(), "freshcreds option `httpsProxy`".into())),
        non_proxy_hosts: Some((
            "*.direct.test".into(),
            "freshcreds option `nonProxyHosts`".into(),
        )),
        host_roots: None,
    };
    let policy = HttpPolicy::resolve(&e, None, &host);
    assume(settings(&format!("https://{PROXIED_HOST}"), policy.clone()))
        .await
        .unwrap();
    let direct = format!("https://{DIRECT_HOST}:{}", p.front.addr().port());
    assume(settings(
        &direct,
        policy.with_resolved(DIRECT_HOST, &[p.front.addr()]),
    ))
    .await
    .unwrap();
    assert_eq!(host_proxy.connects(), [format!("{PROXIED_HOST}:443")]);
    assert!(env_proxy.connects().is_empty());
}

/// Options as a JVM host passes them: the role, its STS endpoint, the JVM's trust roots.
fn provider(p: &Peers, extra: &[(&str, String)]) -> freshcreds::Result<FreshSource> {
    let mut pairs: Vec<(String, String)> = vec![
        ("roleArn".into(), ROLE.into()),
        ("stsEndpoint".into(), p.front.url()),
        ("base.source".into(), "environment".into()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let home = p.bundle.parent().unwrap().to_str().unwrap().to_string();
    FreshSource::with_env(
        SourceOptions::from_pairs(pairs)?,
        Env::from_map([
            ("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID.to_string()),
            (
                "AWS_SECRET_ACCESS_KEY",
                STATIC_SECRET_ACCESS_KEY.to_string(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("HOME", home.clone()),
            ("AWS_CONFIG_FILE", format!("{home}/none-config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                format!("{home}/none-credentials"),
            ),
        ]),
    )
}

#[test]
fn a_provider_fails_within_a_second_on_an_untrusted_certificate_and_trusts_host_roots() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let p = rt.block_on(peers());
    let started = Instant::now();
    let e = provider(&p, &[]).unwrap().credentials().unwrap_err();
    let took = started.elapsed();
    assert_untrusted(&e, &p.front.url());
    assert!(took < Duration::from_secs(1), "took {took:?}");
    eprintln!("time to fail on an untrusted certificate (provider): {took:?}");

    let trusted = provider(&p, &[("trustRootsPem", p.ca.cert_pem())]).unwrap();
    let snapshot = trusted.credentials().unwrap();
    assert!(snapshot.credentials.source().starts_with("AssumeRole("));
}

#[test]
fn host_network_options_are_checked_and_proxy_is_used() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let p = rt.block_on(peers());
    let e = SourceOptions::from_pairs([("trustRootsPem", "not pem")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.message().contains("`trustRootsPem`"), "{}", e.message());
    let e = SourceOptions::from_pairs([("httpsProxy", "ftp://x:1")]).unwrap_err();
    assert!(e.message().contains("`httpsProxy`"), "{}", e.message());
    let e = SourceOptions::from_pairs([("base.httpsProxy", "http://x:1")]).unwrap_err();
    assert!(e
        .message()
        .contains("unknown freshcreds option `base.httpsProxy`"));

    let proxy = ConnectProxy::start(p.front.addr()).unwrap();
    let through = provider(
        &p,
        &[
            ("trustRootsPem", p.ca.cert_pem()),
            ("httpsProxy", proxy.url()),
            ("stsEndpoint", format!("https://{PROXIED_HOST}")),
        ],
    )
    .unwrap();
    through.credentials().unwrap();
    assert_eq!(proxy.connects(), [format!("{PROXIED_HOST}:443")]);
}

#[tokio::test]
async fn a_proxy_asking_for_credentials_fails_at_once_naming_the_proxy_and_the_settings() {
    let p = peers().await;
    let proxy =
        ConnectProxy::start_with_auth(p.front.addr(), Some(("corp-user", "s3cret p@ss"))).unwrap();
    let bundle = p.bundle.to_str().unwrap();
    let endpoint = format!("https://{PROXIED_HOST}");
    let started = Instant::now();
    let e = assume(settings(
        &endpoint,
        HttpPolicy::from_env(&env(&[
            ("HTTPS_PROXY", proxy.url().as_str()),
            ("AWS_CA_BUNDLE", bundle),
        ])),
    ))
    .await
    .unwrap_err();
    let took = started.elapsed();
    let msg = e.full_message();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{msg}");
    assert!(!e.is_retryable());
    assert!(took < Duration::from_secs(1), "took {took:?}");
    for needle in [
        endpoint.as_str(),
        &format!("the proxy {} (HTTPS_PROXY)", proxy.url()),
        "407 Proxy Authentication Required",
        "http://user:password@host:port in HTTPS_PROXY",
        "-Dhttps.proxyUser and -Dhttps.proxyPassword",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from: {msg}");
    }
    eventually("one refused CONNECT", || proxy.auth_rejections() == 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(proxy.auth_rejections(), 1, "a 407 is not retried");
    assert!(proxy.connects().is_empty());

    // The credentials in the proxy URL (percent-encoded) open the tunnel; no view shows them.
    let with_credentials = proxy
        .url()
        .replace("http://", "http://corp-user:s3cret%20p%40ss@");
    let policy = HttpPolicy::from_env(&env(&[
        ("HTTPS_PROXY", with_credentials.as_str()),
        ("AWS_CA_BUNDLE", bundle),
    ]));
    let shown = format!("{policy:?} {}", policy.route(&endpoint.parse().unwrap()));
    assert!(!shown.contains("s3cret"), "{shown}");
    assume(settings(&endpoint, policy)).await.unwrap();
    assert_eq!(proxy.connects(), [format!("{PROXIED_HOST}:443")]);
    assert_eq!(proxy.auth_rejections(), 1);
    assert_eq!(p.sim.assume_role_calls().len(), 1);
}

#[test]
fn a_provider_behind_a_proxy_asking_for_credentials_fails_within_a_second() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let p = rt.block_on(peers());
    let proxy = ConnectProxy::start_with_auth(p.front.addr(), Some(("u", "pw"))).unwrap();
    let started = Instant::now();
    let e = provider(
        &p,
        &[
            ("trustRootsPem", p.ca.cert_pem()),
            ("httpsProxy", proxy.url()),
            ("stsEndpoint", format!("https://{PROXIED_HOST}")),
        ],
    )
    .unwrap()
    .credentials()
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{}", e.full_message());
    assert!(
        e.message().contains("(freshcreds option `httpsProxy`)"),
        "{}",
        e.message()
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(proxy.auth_rejections(), 1, "no retry loop");
}
