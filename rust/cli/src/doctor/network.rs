//! The network path to AWS: which roots are trusted (the platform's store, `AWS_CA_BUNDLE` or the
//! profile's `ca_bundle`), how each endpoint is reached (STS, and IAM Identity Center when the
//! profile uses it: direct or through which proxy, and why), and a TLS handshake with the STS
//! endpoint, whose failure names the certificate's issuer and the fix.

use std::time::Duration;

use freshcreds::http::{HttpPolicy, PROXY_AUTH_FIX, TRUST_FIX};
use freshcreds::sources::profile::{ProfileRoleChain, ProfileSet};
use freshcreds::sources::sso::SsoSettings;
use freshcreds::sources::sts::StsSettings;
use freshcreds::ErrorKind;

use crate::output::Check;
use freshcreds::env::Env;

const CHECK: &str = "network";
/// How long the handshake may take to connect, and in all (the doctor does not wait for STS's
/// own timeouts).
const HANDSHAKE_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// One endpoint a credential source of this profile calls.
struct Target {
    what: &'static str,
    url: String,
    origin: String,
    http: HttpPolicy,
}

/// Trust, routes and (unless `offline`) a TLS handshake with STS.
pub(super) async fn network_checks(
    env: &Env,
    profiles: Option<&ProfileSet>,
    sts: Option<&StsSettings>,
    offline: bool,
) -> Vec<Check> {
    let mut targets = Vec::new();
    if let Some(s) = sts {
        targets.push(Target {
            what: "STS",
            url: s.endpoint.clone(),
            origin: s.endpoint_origin.clone(),
            http: s.http.clone(),
        });
    }
    targets.extend(sso_targets(env, profiles));
    let Some(first) = targets.first() else {
        return vec![];
    };
    let mut out = vec![trust_check(&first.http)];
    out.extend(targets.iter().map(route_check));
    if let Some(s) = sts {
        out.push(if offline {
            Check::ok(CHECK, "TLS handshake with STS not tried (--offline)")
        } else {
            handshake_check(s).await
        });
    }
    out
}

/// The IAM Identity Center endpoints of the selected profile, when it uses IAM Identity Center.
fn sso_targets(env: &Env, profiles: Option<&ProfileSet>) -> Vec<Target> {
    let Some(set) = profiles else { return vec![] };
    let Ok(plan) = ProfileRoleChain::plan(set) else {
        return vec![];
    };
    let Ok(Some(sso)) = SsoSettings::from_step(env, set, &plan.base) else {
        return vec![];
    };
    vec![
        Target {
            what: "IAM Identity Center portal",
            url: sso.portal.url.clone(),
            origin: sso.portal.origin.clone(),
            http: sso.http.clone(),
        },
        Target {
            what: "SSO OIDC",
            url: sso.oidc.url.clone(),
            origin: sso.oidc.origin.clone(),
            http: sso.http.clone(),
        },
    ]
}

/// What AWS endpoints' certificates are checked against.
fn trust_check(http: &HttpPolicy) -> Check {
    match http.trust().load() {
        Ok(trust) => Check::ok(
            CHECK,
            format!("TLS certificates of AWS endpoints are checked against {}", trust.trusted()),
        ),
        Err(e) => Check::fail(
            CHECK,
            e.full_message(),
            "point AWS_CA_BUNDLE (or ca_bundle in the profile) at a readable PEM file holding your CA certificate(s), or unset it",
        ),
    }
}

/// How requests to one endpoint go.
fn route_check(t: &Target) -> Check {
    let what = format!("{} at {} (endpoint from {})", t.what, t.url, t.origin);
    if let Err(e) = t.http.proxy().check() {
        return Check::fail(
            CHECK,
            format!("{what}: {}", e.full_message()),
            "set the proxy as http://host:port",
        );
    }
    match url::Url::parse(&t.url) {
        Ok(url) => Check::ok(CHECK, format!("{what}: {}", t.http.route(&url))),
        Err(_) => Check::fail(
            CHECK,
            format!("{what} is not a URL"),
            "fix the endpoint setting named above",
        ),
    }
}

/// Connects to the STS endpoint as the credential sources do (same trust, same proxy): any
/// HTTP answer means the TLS handshake worked.
async fn handshake_check(s: &StsSettings) -> Check {
    let what = format!("STS at {}", s.endpoint);
    if !s.endpoint.starts_with("https://") {
        return Check::ok(CHECK, format!("{what} is plain http: no TLS to check"));
    }
    let route = url::Url::parse(&s.endpoint)
        .map(|u| s.http.route(&u).to_string())
        .unwrap_or_default();
    let client = match s
        .http
        .service_client("STS", HANDSHAKE_CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT)
    {
        Ok(c) => c,
        Err(e) => {
            return Check::fail(
                CHECK,
                format!("no HTTP client for {what}: {}", e.full_message()),
                "fix the setting named above",
            )
        }
    };
    match client.get(&s.endpoint).send().await {
        Ok(_) => Check::ok(
            CHECK,
            format!("TLS handshake with {what} succeeded ({route})"),
        ),
        Err(e) => {
            let shown = format!("TLS handshake with {what} ({route})");
            let error = match url::Url::parse(&s.endpoint) {
                Ok(url) => s.http.transport_error(&shown, &url, e),
                Err(_) => freshcreds::http::transport_error(&shown, e),
            };
            // The fix goes in the fix column, not twice.
            if error.kind() == ErrorKind::Tls {
                let message = error.message().trim_end_matches(TRUST_FIX);
                Check::fail(CHECK, message.trim_end_matches("; "), TRUST_FIX)
            } else if error.message().ends_with(PROXY_AUTH_FIX) {
                let message = error.message().trim_end_matches(PROXY_AUTH_FIX);
                Check::fail(CHECK, message.trim_end_matches("; "), PROXY_AUTH_FIX)
            } else {
                Check::warn(
                    CHECK,
                    error.full_message(),
                    "check the network path to STS: the proxy (HTTPS_PROXY, NO_PROXY) and the endpoint",
                )
            }
        }
    }
}
