//! The one place HTTP clients are built: timeouts, trust, proxies, redirects, and what a failed
//! request means.
//!
//! Two kinds of client, for two kinds of peer:
//!
//! | peer | proxy | redirects | trust (https) | built by |
//! |---|---|---|---|---|
//! | AWS services: STS, IAM Identity Center, AWS Sign-In | [`proxy`]'s table (host option, `HTTPS_PROXY`, …, `NO_PROXY`; never for loopback) | none | [`trust`]'s policy | [`HttpPolicy::service_client`] |
//! | local credential endpoints: IMDS, the container endpoint | **never** | none | [`trust`]'s policy for an https container endpoint; IMDS is plain http | [`local_client`] |
//!
//! Bodies are read with the limits of [`crate::sources::http_body`]. A request that fails is
//! classified once, in [`transport_error`]: a certificate that is not trusted is
//! [`ErrorKind::Tls`] (not retried: it fails in milliseconds, not after the retries of a
//! network blip), a proxy that answers `407 Proxy Authentication Required` to `CONNECT`
//! [`ErrorKind::InvalidConfig`] (the proxy's credentials are missing or wrong: asking again
//! cannot help; [`PROXY_AUTH_FIX`] says where they go), a timeout [`ErrorKind::Timeout`],
//! anything else [`ErrorKind::Connect`].

pub(crate) mod der;
pub mod proxy;
pub mod trust;

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::profile::Profile;

pub use proxy::{NoProxy, ProxySetting, ProxySettings, Route};
pub use trust::{CaBundle, CertificateRejection, HostRoots, LoadedTrust, TrustSettings, TRUST_FIX};

/// What to do when a proxy answers `407 Proxy Authentication Required`.
pub const PROXY_AUTH_FIX: &str = "the proxy wants credentials (none were sent, or it refused those sent): put them in the proxy URL (http://user:password@host:port in HTTPS_PROXY, or the httpsProxy option); in a JVM set -Dhttps.proxyUser and -Dhttps.proxyPassword next to -Dhttps.proxyHost";

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("freshcreds/", env!("CARGO_PKG_VERSION"));

/// The network settings a host gives in code (the JVM hands over its own); they win over the
/// environment. `Debug` shows no proxy password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// The proxy of `https://` requests (`http://host:port`, or `host:port`), with its origin.
    pub https_proxy: Option<(String, String)>,
    /// The hosts that bypass that proxy (the JVM's `http.nonProxyHosts` form, `|`-separated, or
    /// `NO_PROXY`'s), with its origin. Used only with [`NetworkSettings::https_proxy`].
    pub non_proxy_hosts: Option<(String, String)>,
    /// Certificates trusted in addition to the CA bundle or the platform's store.
    pub host_roots: Option<HostRoots>,
}

impl std::fmt::Debug for NetworkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkSettings")
            .field(
                "https_proxy",
                &self.https_proxy.as_ref().map(|(u, _)| proxy::redact(u)),
            )
            .field("non_proxy_hosts", &self.non_proxy_hosts)
            .field("host_roots", &self.host_roots)
            .finish()
    }
}

/// How the clients of one credential source reach AWS: trust and proxies, resolved from the
/// environment, the selected profile and the host's [`NetworkSettings`]. Cheap to clone;
/// nothing is read from disk until a client is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpPolicy {
    trust: TrustSettings,
    proxy: ProxySettings,
    resolved: Vec<(String, Vec<SocketAddr>)>,
}

impl HttpPolicy {
    /// The policy of `env` alone: `AWS_CA_BUNDLE` and the proxy variables.
    pub fn from_env(env: &Env) -> HttpPolicy {
        Self::resolve(env, None, &NetworkSettings::default())
    }

    /// The policy of `env`, the selected `profile` (its `ca_bundle`) and the host's settings.
    pub fn resolve(env: &Env, profile: Option<&Profile>, host: &NetworkSettings) -> HttpPolicy {
        let trust = TrustSettings::resolve(env, profile).with_host_roots(host.host_roots.clone());
        let mut proxy = ProxySettings::from_env(env);
        if let Some((url, origin)) = &host.https_proxy {
            proxy = proxy.with_host_https_proxy(
                url,
                origin,
                host.non_proxy_hosts
                    .as_ref()
                    .map(|(h, o)| (h.as_str(), o.as_str())),
            );
        }
        HttpPolicy {
            trust,
            proxy,
            resolved: Vec::new(),
        }
    }

    /// Connects requests for `host` to `addrs` without looking the name up (as curl's
    /// `--resolve`): for hosts that resolve names themselves, and for tests that must not ask DNS.
    pub fn with_resolved(mut self, host: &str, addrs: &[SocketAddr]) -> HttpPolicy {
        self.resolved.push((host.to_string(), addrs.to_vec()));
        self
    }

    /// Where trusted roots come from.
    pub fn trust(&self) -> &TrustSettings {
        &self.trust
    }

    /// The proxies.
    pub fn proxy(&self) -> &ProxySettings {
        &self.proxy
    }

    /// How a request to `url` goes (direct, or through which proxy, and why).
    pub fn route(&self, url: &Url) -> Route {
        self.proxy.route(url)
    }

    /// The error of a request to `url` that got no answer ([`transport_error`]); a `407` of the
    /// proxy names that proxy (never its user or password) and the setting it came from.
    pub fn transport_error(&self, shown: &str, url: &Url, e: reqwest::Error) -> Error {
        if proxy_auth_required(&e) {
            let proxy = match self.route(url) {
                Route::Proxy { url, origin } => format!("the proxy {url} ({origin})"),
                Route::Direct(_) => "the proxy".to_string(),
            };
            return proxy_auth_error(shown, &proxy);
        }
        transport_error(shown, e)
    }

    /// A client for an AWS service endpoint: the proxies of [`proxy`], the trust of [`trust`],
    /// no redirects. Fails on a CA bundle that cannot be used or a proxy that is not a URL
    /// ([`ErrorKind::InvalidConfig`], naming the setting). `what` names the client in errors.
    pub fn service_client(
        &self,
        what: &str,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<reqwest::Client> {
        let trust = self.trust.load()?;
        let mut builder =
            base_builder(connect_timeout, timeout).use_preconfigured_tls(trust.config().clone());
        builder = match self.proxy.reqwest_proxy()? {
            Some(p) => builder.proxy(p),
            None => builder.no_proxy(),
        };
        for (host, addrs) in &self.resolved {
            builder = builder.resolve_to_addrs(host, addrs);
        }
        build(builder, what)
    }
}

/// A client for a local credentials endpoint (IMDS, the container endpoint): never a proxy
/// (whatever `HTTP_PROXY` and friends say), no redirects. With `trust`, https URLs use it (an
/// https container endpoint); without, only plain http is expected. With `pinned`, the host name
/// connects only to the given addresses (no lookup of its own).
pub fn local_client(
    what: &str,
    connect_timeout: Duration,
    timeout: Duration,
    trust: Option<&TrustSettings>,
    pinned: Option<(&str, &[SocketAddr])>,
) -> Result<reqwest::Client> {
    let mut builder = base_builder(connect_timeout, timeout).no_proxy();
    if let Some(trust) = trust {
        builder = builder.use_preconfigured_tls(trust.load()?.config().clone());
    }
    if let Some((host, addrs)) = pinned {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    build(builder, what)
}

fn base_builder(connect_timeout: Duration, timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
}

fn build(builder: reqwest::ClientBuilder, what: &str) -> Result<reqwest::Client> {
    builder.build().map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("could not build the {what} HTTP client"),
        )
        .with_source(e)
    })
}

/// The error of a request that got no answer; `shown` names the request (method or action and
/// endpoint; never a secret). A certificate that is not trusted is [`ErrorKind::Tls`], with the
/// reason, the issuer, what was trusted and [`TRUST_FIX`]; a timeout is [`ErrorKind::Timeout`];
/// anything else [`ErrorKind::Connect`]. The URL is left out of the source error.
pub fn transport_error(shown: &str, e: reqwest::Error) -> Error {
    if proxy_auth_required(&e) {
        return proxy_auth_error(shown, "the proxy");
    }
    if let Some(problem) = certificate_problem(&e) {
        return Error::new(
            ErrorKind::Tls,
            format!("{shown} failed: {problem}; {TRUST_FIX}"),
        );
    }
    let (kind, what) = if e.is_timeout() {
        (ErrorKind::Timeout, "timed out")
    } else {
        (ErrorKind::Connect, "failed")
    };
    Error::new(kind, format!("{shown} {what}")).with_source(e.without_url())
}

fn proxy_auth_error(shown: &str, proxy: &str) -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        format!(
            "{shown} failed: {proxy} answered 407 Proxy Authentication Required to CONNECT; {PROXY_AUTH_FIX}"
        ),
    )
}

/// Whether a proxy refused the `CONNECT` with `407 Proxy Authentication Required`. The tunnel's
/// error type is private to hyper-util: it is recognised by its text (a test against a real
/// proxy fails if that text changes).
fn proxy_auth_required(e: &(dyn std::error::Error + 'static)) -> bool {
    const TUNNEL_407: &str = "proxy authorization required";
    find_cause(e, |c| c.to_string().contains(TUNNEL_407).then_some(())).is_some()
}

/// The first `Some` that `f` finds among `e` and its causes (at most [`MAX_CAUSES`] of them).
/// `io::Error::source()` skips the error it wraps (and connectors nest `io::Error`s): this looks
/// inside each one as well as at its source.
fn find_cause<T>(
    e: &(dyn std::error::Error + 'static),
    mut f: impl FnMut(&(dyn std::error::Error + 'static)) -> Option<T>,
) -> Option<T> {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![e];
    let mut seen = 0;
    while let Some(c) = pending.pop() {
        seen += 1;
        if seen > MAX_CAUSES {
            break;
        }
        if let Some(found) = f(c) {
            return Some(found);
        }
        if let Some(inner) = c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
        if let Some(source) = c.source() {
            pending.push(source);
        }
    }
    None
}

/// How many causes of an error [`find_cause`] looks at: a bound on a walk over errors from
/// other crates.
const MAX_CAUSES: usize = 32;

/// The certificate problem somewhere in `e`'s causes, in words (a [`CertificateRejection`] when
/// freshcreds' verifier saw it, else rustls' reason).
pub(crate) fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    find_cause(e, |c| match c.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            if let rustls::CertificateError::Other(other) = reason {
                if let Some(r) = other.0.downcast_ref::<CertificateRejection>() {
                    return Some(r.to_string());
                }
            }
            Some(format!(
                "the server's TLS certificate is not trusted: {reason}"
            ))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Leaf(&'static str);

    impl std::fmt::Display for Leaf {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Leaf {}

    #[derive(Debug)]
    struct Wrap(Box<dyn std::error::Error + Send + Sync>);

    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("wrapped")
        }
    }

    impl std::error::Error for Wrap {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.0)
        }
    }

    /// An error saying `text` with `depth` wrappers around it that say something else.
    fn nested(depth: usize, text: &'static str) -> Box<dyn std::error::Error + Send + Sync> {
        let mut e: Box<dyn std::error::Error + Send + Sync> = Box::new(Leaf(text));
        for _ in 0..depth {
            e = Box::new(Wrap(e));
        }
        e
    }

    #[test]
    fn a_407_is_found_among_the_causes_within_the_bound_and_not_beyond() {
        const TUNNEL_407: &str = "tunnel error: proxy authorization required";
        assert!(proxy_auth_required(&*nested(MAX_CAUSES - 1, TUNNEL_407)));
        assert!(!proxy_auth_required(&*nested(MAX_CAUSES, TUNNEL_407)));
        assert!(!proxy_auth_required(&*nested(
            3,
            "tunnel error: unsuccessful"
        )));
    }
}
