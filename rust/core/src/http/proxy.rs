//! Which proxy a request to an AWS service goes through, decided here and nowhere else.
//!
//! | target | proxy (first that is set) | exceptions |
//! |---|---|---|
//! | `https://…` | the host's `httpsProxy` option (the JVM's `https.proxyHost` / `https.proxyPort`), else `https_proxy` / `HTTPS_PROXY`, else `all_proxy` / `ALL_PROXY` | those of the same origin: the host's `nonProxyHosts`, or `no_proxy` / `NO_PROXY` |
//! | `http://…` | `http_proxy` / `HTTP_PROXY`, else `all_proxy` / `ALL_PROXY` | `no_proxy` / `NO_PROXY` |
//!
//! - The lower-case variable wins over the upper-case one when both are set (curl; Python's
//!   `urllib`, which botocore uses). Blank values are unset.
//! - A proxy without a scheme (`proxy.corp:3128`) is `http://` (botocore).
//! - Loopback hosts (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`) never use a proxy,
//!   whatever the variables say (the SDKs' defaults: the JVM's `http.nonProxyHosts` default is
//!   `localhost|127.*|[::1]`).
//! - IMDS and the container endpoint never use a proxy at all: their clients are built without
//!   one ([`super::local_client`]); this table is for AWS service endpoints only.
//!
//! `NO_PROXY` entries (separated by commas or white space; the host's `nonProxyHosts` also by
//! `|`, the JVM's separator), as curl reads them:
//!
//! | entry | matches |
//! |---|---|
//! | `*` | every host |
//! | `example.com`, `.example.com`, `*.example.com` | `example.com` and every name under it, not `badexample.com` |
//! | `10.*`, `internal.*` | names and addresses that start with the text before `*` (the JVM's form) |
//! | `10.1.2.3`, `::1`, `[::1]` | that address (a host name is not resolved to compare) |
//! | `10.0.0.0/8`, `fd00::/8` | every address in the block |
//! | `example.com:8443` | that host on that port only |
//!
//! Matching ignores case and a trailing dot. Proxy URLs may carry `user:password@`: they are sent
//! as `Proxy-Authorization: Basic` and never shown (every view of a proxy drops them).

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::env::Env;
use crate::error::{Error, Result};

/// The variables naming the proxy of `https://` requests, in the order they are read.
pub(crate) const ENV_HTTPS_PROXY: [&str; 2] = ["https_proxy", "HTTPS_PROXY"];
/// The variables naming the proxy of `http://` requests, in the order they are read.
pub(crate) const ENV_HTTP_PROXY: [&str; 2] = ["http_proxy", "HTTP_PROXY"];
/// The variables naming a proxy for every scheme (read after the scheme's own).
pub(crate) const ENV_ALL_PROXY: [&str; 2] = ["all_proxy", "ALL_PROXY"];
/// The variables listing the hosts that bypass the proxy, in the order they are read.
pub(crate) const ENV_NO_PROXY: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// A proxy URL as it was given. It may carry a user and a password, so `Debug` shows it without
/// them ([`redact`]).
#[derive(Clone, PartialEq, Eq)]
struct GivenUrl(String);

impl fmt::Debug for GivenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact(&self.0), f)
    }
}

/// One configured proxy: the URL as given and where it was set.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProxySetting {
    url: GivenUrl,
    origin: String,
    exceptions: NoProxy,
}

impl ProxySetting {
    /// The proxy URL without user and password.
    pub fn shown(&self) -> String {
        redact(&self.url.0)
    }

    /// Where it was set (an environment variable, a freshcreds option).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The proxy as a URL (`http://` added when the value has no scheme); an error names the
    /// setting, never its user or password.
    fn parsed(&self) -> Result<Url> {
        let raw = self.url.0.trim();
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{}", raw.trim_start_matches("//"))
        };
        Url::parse(&with_scheme)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                Error::invalid_config(format!(
                    "{}={} is not an http(s) proxy URL (e.g. http://proxy.example.com:3128)",
                    self.origin,
                    redact(raw)
                ))
            })
    }
}

/// The route of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Straight to the endpoint, and why (no proxy is set, a `NO_PROXY` entry, loopback).
    Direct(String),
    /// Through a proxy: its URL (without user and password) and where it was set.
    Proxy {
        /// The proxy URL, redacted.
        url: String,
        /// The setting it came from.
        origin: String,
    },
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Direct(why) => write!(f, "direct ({why})"),
            Route::Proxy { url, origin } => write!(f, "through proxy {url} ({origin})"),
        }
    }
}

/// The proxies of AWS service requests (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    https: Option<ProxySetting>,
    http: Option<ProxySetting>,
}

impl ProxySettings {
    /// The proxies the environment variables name.
    pub fn from_env(env: &Env) -> ProxySettings {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| env.get_non_blank(n).map(|v| (n.to_string(), v)))
        };
        let exceptions = first(&ENV_NO_PROXY)
            .map(|(name, v)| NoProxy::parse(&v, &name))
            .unwrap_or_default();
        let setting = |names: &[&str]| {
            first(names)
                .or_else(|| first(&ENV_ALL_PROXY))
                .map(|(origin, url)| ProxySetting {
                    url: GivenUrl(url),
                    origin,
                    exceptions: exceptions.clone(),
                })
        };
        ProxySettings {
            https: setting(&ENV_HTTPS_PROXY),
            http: setting(&ENV_HTTP_PROXY),
        }
    }

    /// These settings with the host's proxy for `https://` requests (it wins over the
    /// environment), and the host's exceptions with it (`None`: no exceptions but loopback).
    pub(crate) fn with_host_https_proxy(
        mut self,
        url: &str,
        origin: &str,
        non_proxy_hosts: Option<(&str, &str)>,
    ) -> ProxySettings {
        self.https = Some(ProxySetting {
            url: GivenUrl(url.trim().to_string()),
            origin: origin.to_string(),
            exceptions: non_proxy_hosts
                .map(|(hosts, origin)| NoProxy::parse(hosts, origin))
                .unwrap_or_default(),
        });
        self
    }

    /// The proxy of `https://` requests, if any.
    pub fn https(&self) -> Option<&ProxySetting> {
        self.https.as_ref()
    }

    /// The proxy of `http://` requests, if any.
    pub fn http(&self) -> Option<&ProxySetting> {
        self.http.as_ref()
    }

    /// Checks that every proxy is a URL; the error names the setting.
    pub fn check(&self) -> Result<()> {
        for p in [&self.https, &self.http].into_iter().flatten() {
            p.parsed()?;
        }
        Ok(())
    }

    /// How a request to `url` goes.
    pub fn route(&self, url: &Url) -> Route {
        let setting = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        };
        let Some(setting) = setting else {
            return Route::Direct(format!("no proxy is set for {}://", url.scheme()));
        };
        let Some(host) = Host::of(url) else {
            return Route::Direct("the URL has no host".to_string());
        };
        if host.is_loopback() {
            return Route::Direct(format!("{} is a loopback host", host.name));
        }
        if let Some(entry) = setting.exceptions.matching(&host) {
            return Route::Direct(format!(
                "{} matches `{entry}` in {}",
                host.name, setting.exceptions.origin
            ));
        }
        Route::Proxy {
            url: setting.shown(),
            origin: setting.origin.clone(),
        }
    }

    /// The proxy of a reqwest client: every request routed by [`ProxySettings::route`].
    /// `None` when no proxy is set.
    pub(crate) fn reqwest_proxy(&self) -> Result<Option<reqwest::Proxy>> {
        if self.https.is_none() && self.http.is_none() {
            return Ok(None);
        }
        self.check()?;
        let settings = self.clone();
        Ok(Some(reqwest::Proxy::custom(move |url| {
            let setting = match settings.route(url) {
                Route::Direct(_) => return None,
                Route::Proxy { .. } if url.scheme() == "https" => settings.https.as_ref(),
                Route::Proxy { .. } => settings.http.as_ref(),
            };
            setting.and_then(|s| s.parsed().ok())
        })))
    }
}

/// The host of a request, as proxy exceptions compare it.
struct Host {
    /// Lower case, without brackets or a trailing dot.
    name: String,
    ip: Option<IpAddr>,
    port: Option<u16>,
}

impl Host {
    fn of(url: &Url) -> Option<Host> {
        let name = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        Some(Host {
            ip: name.parse().ok(),
            name,
            port: url.port_or_known_default(),
        })
    }

    fn is_loopback(&self) -> bool {
        match self.ip {
            Some(ip) => ip.is_loopback(),
            None => self.name == "localhost" || self.name.ends_with(".localhost"),
        }
    }
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    All,
    /// A domain: itself and every name under it.
    Domain(String),
    /// Text before a trailing `*` (the JVM's `10.*`).
    Prefix(String),
    Address(IpAddr),
    Block(IpAddr, u8),
    /// A host on one port.
    HostPort(Box<Entry>, u16),
}

impl Entry {
    fn parse(raw: &str) -> Option<Entry> {
        let e = raw.trim().to_ascii_lowercase();
        if e.is_empty() {
            return None;
        }
        if e == "*" {
            return Some(Entry::All);
        }
        if let Some((net, bits)) = e.split_once('/') {
            let net: IpAddr = net.trim_matches(['[', ']']).parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if net.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(Entry::Block(net, bits));
        }
        if let Ok(ip) = e.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Some(Entry::Address(ip));
        }
        // `host:port` or `[v6]:port` (a bare IPv6 address was taken above).
        if let Some((host, port)) = e.rsplit_once(':') {
            if let (Ok(port), Some(host)) = (port.parse::<u16>(), Entry::parse(host)) {
                return Some(Entry::HostPort(Box::new(host), port));
            }
            return None;
        }
        if let Some(prefix) = e.strip_suffix('*') {
            return (!prefix.is_empty()).then(|| Entry::Prefix(prefix.to_string()));
        }
        let domain = e
            .trim_start_matches('*')
            .trim_start_matches('.')
            .trim_end_matches('.');
        (!domain.is_empty()).then(|| Entry::Domain(domain.to_string()))
    }

    fn matches(&self, host: &Host) -> bool {
        match self {
            Entry::All => true,
            Entry::Domain(d) => {
                host.ip.is_none()
                    && (host.name == *d
                        || host
                            .name
                            .strip_suffix(d.as_str())
                            .is_some_and(|rest| rest.ends_with('.')))
            }
            Entry::Prefix(p) => host.name.starts_with(p.as_str()),
            Entry::Address(a) => host.ip == Some(*a),
            Entry::Block(net, bits) => host.ip.is_some_and(|ip| in_block(ip, *net, *bits)),
            Entry::HostPort(inner, port) => host.port == Some(*port) && inner.matches(host),
        }
    }
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// A list of proxy exceptions and where it was set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<(String, Entry)>,
    origin: String,
}

impl fmt::Debug for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<&str> = self.entries.iter().map(|(s, _)| s.as_str()).collect();
        f.debug_struct("NoProxy")
            .field("entries", &shown)
            .field("origin", &self.origin)
            .finish()
    }
}

impl NoProxy {
    /// Parses a `NO_PROXY` value (or the JVM's `http.nonProxyHosts`) set by `origin`; entries
    /// that mean nothing (an empty one, `a/99`) are skipped.
    pub fn parse(value: &str, origin: &str) -> NoProxy {
        NoProxy {
            entries: value
                .split([',', '|', ' ', '\t', '\n'])
                .filter_map(|raw| Entry::parse(raw).map(|e| (raw.trim().to_string(), e)))
                .collect(),
            origin: origin.to_string(),
        }
    }

    /// Whether a request to `url` bypasses the proxy because of these entries.
    pub fn covers(&self, url: &Url) -> bool {
        Host::of(url).is_some_and(|h| self.matching(&h).is_some())
    }

    fn matching(&self, host: &Host) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, e)| e.matches(host))
            .map(|(raw, _)| raw.as_str())
    }
}

/// A proxy URL without `user:password@` (for messages and `Debug`).
pub(crate) fn redact(value: &str) -> String {
    let v = value.trim();
    let (scheme, rest) = match v.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, v),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match scheme {
        Some(s) => format!("{s}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn covers(no_proxy: &str, target: &str) -> bool {
        NoProxy::parse(no_proxy, "NO_PROXY").covers(&url(target))
    }

    #[test]
    fn domain_entries_match_the_domain_and_names_under_it_only() {
        for entry in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(covers(entry, "https://example.com/"), "{entry}");
            assert!(covers(entry, "https://sts.Example.com./"), "{entry}");
            assert!(!covers(entry, "https://badexample.com/"), "{entry}");
            assert!(!covers(entry, "https://example.com.evil/"), "{entry}");
        }
    }

    #[test]
    fn star_addresses_blocks_prefixes_and_ports() {
        assert!(covers("*", "https://sts.amazonaws.com/"));
        assert!(covers("10.1.2.3", "https://10.1.2.3:8443/"));
        assert!(!covers("10.1.2.3", "https://10.1.2.4/"));
        assert!(covers("10.0.0.0/8", "https://10.200.0.1/"));
        assert!(!covers("10.0.0.0/8", "https://11.0.0.1/"));
        assert!(covers("0.0.0.0/0", "https://11.0.0.1/"));
        assert!(covers("fd00::/8", "https://[fd12::1]/"));
        assert!(covers("[fd12::1]", "https://[fd12::1]/"));
        assert!(covers("10.*", "https://10.9.9.9/"));
        assert!(covers("internal.*", "https://internal.corp/"));
        assert!(covers(
            "sts.example.com:8443",
            "https://sts.example.com:8443/"
        ));
        assert!(!covers("sts.example.com:8443", "https://sts.example.com/"));
        // A name is never resolved to compare with an address entry.
        assert!(!covers("10.0.0.0/8", "https://internal.example.com/"));
        // Entries that mean nothing are skipped, the rest still counts.
        assert!(covers("a/99, ,example.com", "https://example.com/"));
    }

    #[test]
    fn the_jvm_separator_and_white_space_separate_entries() {
        assert!(covers("localhost|*.corp|10.*", "https://s3.corp/"));
        assert!(covers("a.test b.test", "https://b.test/"));
    }

    fn env_settings(vars: &[(&str, &str)]) -> ProxySettings {
        ProxySettings::from_env(&Env::from_map(vars.iter().copied()))
    }

    #[test]
    fn lower_case_wins_and_all_proxy_is_the_fallback() {
        let s = env_settings(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("ALL_PROXY", "http://all:3"),
        ]);
        assert_eq!(s.https().unwrap().origin(), "https_proxy");
        assert_eq!(s.http().unwrap().origin(), "ALL_PROXY");
        let s = env_settings(&[("HTTPS_PROXY", "http://upper:1"), ("https_proxy", " ")]);
        assert_eq!(s.https().unwrap().origin(), "HTTPS_PROXY");
    }

    #[test]
    fn routes_say_why() {
        let s = env_settings(&[
            ("HTTPS_PROXY", "http://user:hunter2@proxy.corp:3128"),
            ("NO_PROXY", ".internal"),
        ]);
        assert_eq!(
            s.route(&url("https://sts.us-east-1.amazonaws.com/")),
            Route::Proxy {
                url: "http://proxy.corp:3128".into(),
                origin: "HTTPS_PROXY".into()
            }
        );
        let direct = s.route(&url("https://sts.internal/")).to_string();
        assert!(direct.contains("`.internal` in NO_PROXY"), "{direct}");
        for local in [
            "https://127.0.0.1:9/",
            "https://127.9.9.9/",
            "https://[::1]/",
            "https://localhost/",
            "https://sim.localhost/",
        ] {
            let r = s.route(&url(local));
            assert!(
                matches!(&r, Route::Direct(w) if w.contains("loopback")),
                "{local}: {r}"
            );
        }
        assert!(matches!(
            s.route(&url("http://sts.example/")),
            Route::Direct(_)
        ));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn the_host_proxy_wins_and_brings_its_own_exceptions() {
        let s = env_settings(&[("HTTPS_PROXY", "http://env:1"), ("NO_PROXY", "*")])
            .with_host_https_proxy(
                "jvm.corp:8080",
                "freshcreds option `httpsProxy`",
                Some(("*.corp|10.*", "freshcreds option `nonProxyHosts`")),
            );
        assert_eq!(
            s.route(&url("https://sts.amazonaws.com/")),
            Route::Proxy {
                url: "jvm.corp:8080".into(),
                origin: "freshcreds option `httpsProxy`".into()
            }
        );
        assert!(matches!(
            s.route(&url("https://s3.corp/")),
            Route::Direct(_)
        ));
        assert_eq!(
            s.https().unwrap().parsed().unwrap().as_str(),
            "http://jvm.corp:8080/"
        );
    }

    #[test]
    fn a_proxy_that_is_not_a_url_is_an_error_naming_the_variable_not_the_password() {
        let s = env_settings(&[("HTTPS_PROXY", "ftp://user:hunter2@proxy:21")]);
        let e = s.check().unwrap_err();
        assert_mentions(e.message(), &["HTTPS_PROXY=ftp://proxy:21"]);
        assert!(!e.message().contains("hunter2"));
    }

    #[test]
    fn redaction_keeps_scheme_host_port_and_path() {
        assert_eq!(redact("http://u:p@h:1/x"), "http://h:1/x");
        assert_eq!(redact("u:p@h:1"), "h:1");
        assert_eq!(redact("http://h"), "http://h");
    }
}
