//! The blocking API every host uses (the JNI bridge, the C ABI, the command line): build a
//! provider from string options, read credentials, force a refresh, read its status, close it.
//!
//! Options are `key=value` strings so that Java system properties, a Java builder and C callers
//! all pass them the same way; an unknown key or a bad value is an `InvalidConfig` error that
//! names the key.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::env::{parse_bool, Env};
use crate::error::{Error, Result};
use crate::http::{HostRoots, HttpPolicy, NetworkSettings};
use crate::refresh::{RefreshConfig, RefreshingProvider, Served};
use crate::sdk_settings::{self, SDK_SETTINGS};
use crate::sources::assume_role::{AssumeRoleSource, RefreshedBase};
use crate::sources::default_chain::{self, ChainSettings, SourceSelection};
use crate::sources::imds::{EndpointMode, ImdsConfigBuilder};
use crate::sources::server_clock::ServerClock;
use crate::sources::sts::{
    RoleRequest, StsClient, MAX_ROLE_SESSION_DURATION, MIN_ROLE_SESSION_DURATION,
};
use crate::sources::web_identity::WebIdentitySource;
use crate::sources::{BoxFuture, CredentialSource};

mod fetched;
pub mod shared_bases;

/// Options for a [`FreshProvider`], parsed from `key=value` pairs (see [`ProviderOptions::KEYS`]).
/// `Debug` shows the values of the secret keys as `** redacted **`.
#[derive(Clone, Default)]
pub struct ProviderOptions {
    pairs: Vec<(String, String)>,
}

/// Option keys whose values are secrets (the secret SDK settings among them: see
/// [`crate::sdk_settings::SdkSetting::secret`]).
pub const SECRET_OPTION_KEYS: &[&str] = &[
    "aws.secretAccessKey",
    "aws.secretKey",
    "aws.sessionToken",
    "aws.containerAuthorizationToken",
    "externalId",
];

/// An option key without its `base.` prefixes.
fn bare_key(mut key: &str) -> &str {
    while let Some(rest) = key.strip_prefix(ProviderOptions::BASE_PREFIX) {
        key = rest;
    }
    key
}

impl std::fmt::Debug for ProviderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.pairs {
            match bare_key(k) {
                key if SECRET_OPTION_KEYS.contains(&key) => {
                    map.entry(k, &crate::credentials::REDACTED)
                }
                // A proxy URL may carry a password; PEM text is long and says nothing.
                "httpsProxy" => map.entry(k, &crate::http::proxy::redact(v)),
                "trustRootsPem" => map.entry(
                    k,
                    &format!("({} certificates)", v.matches("BEGIN CERTIFICATE").count()),
                ),
                _ => map.entry(k, v),
            };
        }
        map.finish()
    }
}

impl ProviderOptions {
    /// Every freshcreds key a host may pass, with what it means. A JVM host also passes the AWS
    /// SDK system properties it finds, under their own names (`aws.profile`, …: the rows of
    /// [`crate::sdk_settings::SDK_SETTINGS`]).
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("source", "`chain` (default), or pin one source: `systemProperties`, `environment`, `webIdentity`, `profile`, `container`, `imds`"),
        ("profile", "the profile to use instead of aws.profile / AWS_PROFILE / `default`"),
        (
            "refreshLeadMillis",
            "refresh this long before expiry (default: 5/15/60 min by lifetime)",
        ),
        (
            "jitterMillis",
            "random extra lead, up to this (default 60000)",
        ),
        (
            "firstFetchTimeoutMillis",
            "how long a first caller waits for credentials (default 10000)",
        ),
        (
            "staleExtensionMillis",
            "length of one static-stability extension (default 300000)",
        ),
        (
            "refreshBackoffBaseMillis",
            "first backoff after a failed refresh round (default 5000)",
        ),
        (
            "refreshBackoffCapMillis",
            "longest backoff between failed refresh rounds (default 300000)",
        ),
        (
            "skewWarnMillis",
            "warn when local time is this far from the server's (default 60000)",
        ),
        (
            "imdsEndpoint",
            "IMDS base URL (default from AWS_EC2_METADATA_SERVICE_ENDPOINT, else by mode)",
        ),
        ("imdsEndpointMode", "`IPv4` or `IPv6`"),
        (
            "imdsTimeoutMillis",
            "per-request IMDS timeout (default 1000)",
        ),
        ("imdsAttempts", "IMDS attempts per request (default 3)"),
        (
            "imdsV1Fallback",
            "`true` (default) to fall back to IMDSv1 when the token call fails",
        ),
        (
            "roleArn",
            "assume this role (STS AssumeRole) with the base credentials: the source the other options select, or the hop the `base.*` options describe",
        ),
        (
            "roleSessionName",
            "the role session name (default `freshcreds-<unix millis>`)",
        ),
        ("externalId", "the external id the role's trust policy asks for"),
        (
            "durationSeconds",
            "the role session's duration in seconds (900 to 43200; default: STS's one hour)",
        ),
        ("policy", "an inline session policy (JSON)"),
        (
            "policyArns",
            "managed session policies: ARNs separated by commas",
        ),
        ("sourceIdentity", "the source identity of the role session"),
        (
            "tags",
            "session tags: `key=value` pairs separated by commas",
        ),
        (
            "mfaSerial",
            "refused: a background refresh cannot ask for an MFA token code",
        ),
        (
            "webIdentityTokenFile",
            "with `roleArn`: AssumeRoleWithWebIdentity with the token in this file (read at every refresh) instead of AssumeRole over a base",
        ),
        (
            "stsEndpoint",
            "the STS endpoint for the role (default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile, else regional)",
        ),
        (
            "httpsProxy",
            "the proxy of requests to AWS services (`http://host:port`), instead of HTTPS_PROXY; never used for IMDS, the container endpoint or loopback (the JVM passes https.proxyHost/https.proxyPort, and https.proxyUser/https.proxyPassword as the URL's user and password)",
        ),
        (
            "nonProxyHosts",
            "hosts that bypass `httpsProxy`: `|`- or comma-separated, `*` wildcards (the JVM passes http.nonProxyHosts)",
        ),
        (
            "trustRootsPem",
            "PEM certificates trusted in addition to the platform's store or the CA bundle (the JVM passes its trust store's)",
        ),
    ];

    /// The prefix of the options of a role's base hop: `base.roleArn`, `base.profile`, … describe
    /// the credentials `roleArn` is assumed with (role chaining: `base.base.…` for a third hop).
    pub(crate) const BASE_PREFIX: &'static str = "base.";

    /// Parses `key=value` pairs; later pairs override earlier ones.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str> + Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        let mut out = ProviderOptions::default();
        for (k, value) in pairs {
            let k = k.as_ref();
            let bare = bare_key(k);
            if bare.starts_with("aws.") {
                if bare != k || sdk_settings::by_property(k).is_none() {
                    let known: Vec<&str> = SDK_SETTINGS.iter().map(|s| s.property).collect();
                    return Err(Error::invalid_config(format!(
                        "freshcreds option `{k}` is not an AWS SDK setting of the credentials chain (known, without a `base.` prefix: {})",
                        known.join(", ")
                    )));
                }
            } else if !Self::KEYS.iter().any(|(key, _)| *key == bare)
                // The network settings are one set for every hop: no `base.` form.
                || (bare != k && NETWORK_KEYS.contains(&bare))
            {
                let known: Vec<&str> = Self::KEYS.iter().map(|(k, _)| *k).collect();
                return Err(Error::invalid_config(format!(
                    "unknown freshcreds option `{k}` (known: {})",
                    known.join(", ")
                )));
            }
            out.pairs.retain(|(key, _)| key != k);
            // Moved, not copied, when owned (the JVM's trust store PEM is large).
            out.pairs.push((k.to_string(), value.into()));
        }
        out.check()?;
        Ok(out)
    }

    /// Checks every hop: its refresh, source and IMDS settings, and its role; and the network
    /// settings (one set for every hop).
    fn check(&self) -> Result<()> {
        self.network()?;
        self.refresh_config()?;
        self.selection()?;
        self.imds_overrides()?;
        self.role()?;
        match self.base() {
            Some(base) => base.check(),
            None => Ok(()),
        }
    }

    /// The options of the base hop (`base.*`, prefix removed, with the `aws.*` system
    /// properties), when any is given.
    pub fn base(&self) -> Option<ProviderOptions> {
        let hop: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(Self::BASE_PREFIX)
                    .map(|k| (k.to_string(), v.clone()))
            })
            .collect();
        if hop.is_empty() {
            return None;
        }
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k.starts_with("aws."))
            .cloned()
            .collect();
        pairs.extend(hop);
        Some(ProviderOptions { pairs })
    }

    /// These options without the role keys: the base of a role whose base is described by the
    /// same options (no `base.*` keys).
    fn without_role(&self) -> ProviderOptions {
        ProviderOptions {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| !ROLE_KEYS.contains(&k.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// The role these options assume, if any (`roleArn` and the keys that go with it); every
    /// problem is an error naming the option.
    pub fn role(&self) -> Result<Option<RoleOptions>> {
        if self.get("mfaSerial").is_some() {
            return Err(Error::invalid_config(format!(
                "freshcreds option `mfaSerial` is not supported: {MFA_REFUSED}"
            )));
        }
        let has_base = self.base().is_some();
        let Some(role_arn) = self.get("roleArn").map(str::trim) else {
            if let Some(k) = ROLE_KEYS.iter().find(|k| self.get(k).is_some()) {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{k}` needs `roleArn`: it describes a role to assume"
                )));
            }
            if has_base {
                return Err(Error::invalid_config(
                    "freshcreds options `base.*` need `roleArn`: they describe the credentials a role is assumed with",
                ));
            }
            return Ok(None);
        };
        if role_arn.is_empty() {
            return Err(Error::invalid_config(
                "freshcreds option `roleArn` is empty",
            ));
        }
        if has_base {
            if let Some(k) = BASE_SELECTION_KEYS.iter().find(|k| self.get(k).is_some()) {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{k}` and `base.*` options both say where the base credentials of `roleArn` come from: set it as `base.{k}`"
                )));
            }
        }
        let token_file = self.get("webIdentityTokenFile").map(str::trim);
        if token_file.is_some() {
            let conflicting = ["externalId", "sourceIdentity", "tags"]
                .into_iter()
                .find(|k| self.get(k).is_some());
            if let Some(k) = conflicting {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{k}` is not part of AssumeRoleWithWebIdentity (`webIdentityTokenFile` is set)"
                )));
            }
            if has_base {
                return Err(Error::invalid_config(
                    "freshcreds option `webIdentityTokenFile` takes no base: the token is the proof, `base.*` options do not apply",
                ));
            }
        }
        if token_file == Some("") {
            return Err(Error::invalid_config(
                "freshcreds option `webIdentityTokenFile` is empty",
            ));
        }
        let list = |key: &str| -> Vec<String> {
            self.get(key)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let tags = list("tags")
            .into_iter()
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    Ok((k.trim().to_string(), v.trim().to_string()))
                }
                _ => Err(Error::invalid_config(format!(
                    "freshcreds option `tags`: {pair:?} is not `key=value`"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let non_blank = |key: &str| {
            self.get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mut request = RoleRequest::new(role_arn)
            .with_session_name(non_blank("roleSessionName"))
            .with_external_id(non_blank("externalId"))
            .with_duration(
                self.ranged::<u64>("durationSeconds")?
                    .map(Duration::from_secs),
            );
        request.policy = non_blank("policy");
        request.policy_arns = list("policyArns");
        request.source_identity = non_blank("sourceIdentity");
        request.tags = tags;
        Ok(Some(RoleOptions {
            request,
            web_identity_token_file: token_file.map(std::path::PathBuf::from),
            sts_endpoint: non_blank("stsEndpoint"),
        }))
    }

    /// The value given for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A millisecond duration option.
    pub fn millis(&self, key: &str) -> Result<Option<Duration>> {
        self.number::<u64>(key)
            .map(|v| v.map(Duration::from_millis))
    }

    /// A numeric option; a bad value is an error naming the key.
    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                Error::invalid_config(format!(
                    "freshcreds option `{key}`={v:?} is not a whole number"
                ))
            }),
        }
    }

    /// A boolean option; a bad value is an error naming the key.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_bool(v).map(Some).ok_or_else(|| {
                Error::invalid_config(format!(
                    "freshcreds option `{key}`={v:?} is not `true` or `false`"
                ))
            }),
        }
    }

    /// Which source to use.
    pub fn selection(&self) -> Result<SourceSelection> {
        SourceSelection::parse(self.get("source").unwrap_or("chain"))
    }

    /// The IMDS settings given programmatically, as the host layer of the IMDS builder.
    pub(crate) fn imds_overrides(&self) -> Result<ImdsConfigBuilder> {
        let mut imds = ImdsConfigBuilder::default();
        if let Some(endpoint) = self.get("imdsEndpoint") {
            imds = imds.endpoint(endpoint);
        }
        if let Some(mode) = self.get("imdsEndpointMode") {
            if EndpointMode::parse(mode).is_none() {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `imdsEndpointMode`={mode:?} is not `IPv4` or `IPv6`"
                )));
            }
            imds = imds.endpoint_mode(mode);
        }
        if let Some(timeout) = self.ranged_millis("imdsTimeoutMillis")? {
            imds = imds.timeout(timeout);
        }
        if let Some(attempts) = self.ranged::<u32>("imdsAttempts")? {
            imds = imds.max_attempts(attempts);
        }
        if let Some(allowed) = self.boolean("imdsV1Fallback")? {
            imds = imds.v1_fallback(allowed);
        }
        Ok(imds)
    }

    /// The proxy and extra trust roots given in code (`httpsProxy`, `nonProxyHosts`,
    /// `trustRootsPem`): one set for every hop. A proxy that is not a URL, or PEM text that holds
    /// no certificate, is an error naming the option.
    pub fn network(&self) -> Result<NetworkSettings> {
        let origin = |key: &str| format!("freshcreds option `{key}`");
        let non_blank = |key: &str| {
            self.get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (v.to_string(), origin(key)))
        };
        let network = NetworkSettings {
            https_proxy: non_blank("httpsProxy"),
            non_proxy_hosts: non_blank("nonProxyHosts"),
            // Borrowed, not copied: a JVM passes its whole trust store (hundreds of kilobytes)
            // to each of possibly thousands of providers.
            host_roots: match self
                .get("trustRootsPem")
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                Some(pem) => Some(HostRoots::from_pem(pem, &origin("trustRootsPem"))?),
                None => None,
            },
        };
        HttpPolicy::resolve(&Env::from_map::<&str, &str>([]), None, &network)
            .proxy()
            .check()?;
        Ok(network)
    }

    /// The Java system properties the host passed (`aws.*` keys).
    pub fn system_properties(&self) -> Env {
        Env::from_map(
            self.pairs
                .iter()
                .filter(|(k, _)| k.starts_with("aws."))
                .map(|(k, v)| (k.clone(), v.clone())),
        )
    }

    /// The refresh engine's configuration from these options; every value must lie in its
    /// range ([`OPTION_RANGES`]), and the backoff base may not exceed its cap.
    pub fn refresh_config(&self) -> Result<RefreshConfig> {
        let d = RefreshConfig::default();
        let config = RefreshConfig {
            lead: self.ranged_millis("refreshLeadMillis")?,
            jitter: self.ranged_millis("jitterMillis")?.unwrap_or(d.jitter),
            backoff_base: self
                .ranged_millis("refreshBackoffBaseMillis")?
                .unwrap_or(d.backoff_base),
            backoff_cap: self
                .ranged_millis("refreshBackoffCapMillis")?
                .unwrap_or(d.backoff_cap),
            fixed_backoff: None,
            stale_extension: self
                .ranged_millis("staleExtensionMillis")?
                .unwrap_or(d.stale_extension),
            first_fetch_timeout: self
                .ranged_millis("firstFetchTimeoutMillis")?
                .unwrap_or(d.first_fetch_timeout),
            skew_warn_threshold: self
                .ranged_millis("skewWarnMillis")?
                .unwrap_or(d.skew_warn_threshold),
            long_term_recheck: None,
        };
        if config.backoff_base > config.backoff_cap {
            return Err(Error::invalid_config(format!(
                "freshcreds option `refreshBackoffBaseMillis` ({} ms) is larger than `refreshBackoffCapMillis` ({} ms)",
                config.backoff_base.as_millis(),
                config.backoff_cap.as_millis()
            )));
        }
        Ok(config)
    }

    /// A numeric option checked against its range in [`OPTION_RANGES`].
    pub(crate) fn ranged<T: Into<u64> + Copy + std::str::FromStr>(
        &self,
        key: &str,
    ) -> Result<Option<T>> {
        let Some(v) = self.number::<T>(key)? else {
            return Ok(None);
        };
        if let Some((_, min, max, unit)) = OPTION_RANGES.iter().find(|(k, ..)| *k == key) {
            let n: u64 = v.into();
            if n < *min || n > *max {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{key}`={n} is out of range: it must be from {min} to {max}{unit}"
                )));
            }
        }
        Ok(Some(v))
    }

    fn ranged_millis(&self, key: &str) -> Result<Option<Duration>> {
        Ok(self.ranged::<u64>(key)?.map(Duration::from_millis))
    }
}

/// The keys [`ProviderOptions::refresh_config`] reads: the refresh engine's own options (the
/// command line's `--option` takes these and no others).
pub const REFRESH_OPTION_KEYS: [&str; 7] = [
    "refreshLeadMillis",
    "jitterMillis",
    "firstFetchTimeoutMillis",
    "staleExtensionMillis",
    "refreshBackoffBaseMillis",
    "refreshBackoffCapMillis",
    "skewWarnMillis",
];

/// Why `mfaSerial` is refused.
pub const MFA_REFUSED: &str = "a role that needs MFA cannot be refreshed in the background (nobody is there to type the token code); assume it from credentials that need no MFA, or use a session from `aws sts get-session-token` as the base";

/// The network keys: they apply to every hop, so they take no `base.` prefix.
const NETWORK_KEYS: &[&str] = &["httpsProxy", "nonProxyHosts", "trustRootsPem"];

/// The keys that describe a role (all but `roleArn` need it).
const ROLE_KEYS: &[&str] = &[
    "roleArn",
    "roleSessionName",
    "externalId",
    "durationSeconds",
    "policy",
    "policyArns",
    "sourceIdentity",
    "tags",
    "webIdentityTokenFile",
    "stsEndpoint",
];

/// The keys that say where a hop's base credentials come from when it has no `base.*` options.
const BASE_SELECTION_KEYS: &[&str] = &[
    "source",
    "profile",
    "imdsEndpoint",
    "imdsEndpointMode",
    "imdsTimeoutMillis",
    "imdsAttempts",
    "imdsV1Fallback",
];

/// A role configured by options ([`ProviderOptions::role`]).
#[derive(Debug, Clone)]
pub struct RoleOptions {
    /// What to ask STS for.
    pub request: RoleRequest,
    /// With a token file: `AssumeRoleWithWebIdentity` instead of `AssumeRole` over a base.
    pub web_identity_token_file: Option<std::path::PathBuf>,
    /// The STS endpoint given in code (wins over the environment and the profile).
    pub sts_endpoint: Option<String>,
}

/// The range of every numeric option (key, least, most, unit). Values outside are refused with
/// an error that names the option and the range: a zero backoff, say, would make a loop as fast
/// as the source answers.
pub const OPTION_RANGES: &[(&str, u64, u64, &str)] = &[
    ("refreshLeadMillis", 1_000, 12 * 3_600_000, " ms"),
    ("jitterMillis", 0, 3_600_000, " ms"),
    ("firstFetchTimeoutMillis", 100, 600_000, " ms"),
    ("staleExtensionMillis", 1_000, 3_600_000, " ms"),
    ("refreshBackoffBaseMillis", 100, 600_000, " ms"),
    ("refreshBackoffCapMillis", 1_000, 3_600_000, " ms"),
    ("skewWarnMillis", 1_000, 3_600_000, " ms"),
    ("imdsTimeoutMillis", 10, 60_000, " ms"),
    ("imdsAttempts", 1, 10, ""),
    (
        "durationSeconds",
        MIN_ROLE_SESSION_DURATION.as_secs(),
        MAX_ROLE_SESSION_DURATION.as_secs(),
        " s",
    ),
];

/// Credentials as a host should hand them out, with how long it may keep them without asking again.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The credentials.
    pub credentials: Arc<Credentials>,
    /// How long from now a host may serve these without calling back (until the next scheduled refresh).
    pub serve_for: Duration,
    /// True when the credentials are past their expiry and served by static stability.
    pub stale: bool,
    /// The expiry to hand out ([`Served::expiration`]): while stale, the end of the current
    /// static-stability extension, always in the future, so that other processes and SDKs keep
    /// using the credentials through an outage. `None` for long-term keys.
    pub expiration: Option<chrono::DateTime<chrono::Utc>>,
}

/// How long a host may keep serving long-term keys before asking again (a forced refresh or a
/// changed file is then seen within this time).
pub(crate) const STATIC_SERVE_FOR: Duration = Duration::from_secs(60);
/// How long a host may keep serving credentials whose refresh is due but not done yet (in flight
/// or failing), or stale ones.
pub(crate) const PENDING_SERVE_FOR: Duration = Duration::from_secs(1);

impl Snapshot {
    fn from_served(served: Served, now: Duration) -> Snapshot {
        let serve_for = if served.stale {
            PENDING_SERVE_FOR
        } else {
            match (served.refresh_at, served.expires_at) {
                (Some(r), _) if r > now => r - now,
                (_, Some(e)) => PENDING_SERVE_FOR.min(e.saturating_sub(now) / 2),
                (None, None) => STATIC_SERVE_FOR,
                (Some(_), None) => PENDING_SERVE_FOR,
            }
        };
        Snapshot {
            credentials: served.credentials,
            serve_for,
            stale: served.stale,
            expiration: served.expiration,
        }
    }
}

/// Builds the source one set of options describes: the selected source, or a role over a base
/// that has a refresh engine of its own (each hop of a role chain is cached, refreshed early and
/// single flight). Roles over the same base share it ([`shared_bases`]).
struct Hops {
    env: Env,
    network: NetworkSettings,
    clock: Arc<dyn Clock>,
    server_clock: Arc<ServerClock>,
    runtime: tokio::runtime::Handle,
    /// The engines of the base hops under the role, for reports (outermost first).
    bases: std::sync::Mutex<Vec<RefreshingProvider>>,
    /// The shared bases this build uses, released when the provider closes.
    leases: std::sync::Mutex<Vec<shared_bases::Lease>>,
}

impl Hops {
    /// An empty build on the same environment, clock and runtime.
    fn child(&self) -> Hops {
        Hops {
            env: self.env.clone(),
            network: self.network.clone(),
            clock: self.clock.clone(),
            server_clock: self.server_clock.clone(),
            runtime: self.runtime.clone(),
            bases: Default::default(),
            leases: Default::default(),
        }
    }

    /// The chain settings of one hop.
    fn settings(&self, options: &ProviderOptions) -> Result<ChainSettings> {
        Ok(ChainSettings {
            env: self.env.clone(),
            system_properties: Some(options.system_properties()),
            profile: options.get("profile").map(str::to_string),
            explicit_profile_wins: false,
            imds_overrides: options.imds_overrides()?,
            clock: self.clock.clone(),
            server_clock: self.server_clock.clone(),
            network: self.network.clone(),
        })
    }

    fn build<'a>(
        &'a self,
        options: &'a ProviderOptions,
    ) -> BoxFuture<'a, Result<Arc<dyn CredentialSource>>> {
        Box::pin(async move {
            let settings = self.settings(options)?;
            let Some(role) = options.role()? else {
                return default_chain::build(&settings, options.selection()?).await;
            };
            let role_arn = role.request.role_arn.clone();
            if let Some(token_file) = role.web_identity_token_file.clone() {
                let sts = self.sts(&settings, &role).await?;
                let source = WebIdentitySource::new(token_file, role.request, sts)
                    .with_origin("freshcreds option `webIdentityTokenFile`")
                    .with_name(format!("WebIdentityToken({role_arn})"));
                return Ok(Arc::new(source));
            }
            let lease = shared_bases::lease(self, options, &settings, &role).await?;
            self.bases
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(lease.engines().iter().cloned());
            let source = AssumeRoleSource::new(lease.base(), role.request, lease.sts())
                .with_name(format!("AssumeRole({role_arn})"));
            self.leases
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(lease);
            Ok(Arc::new(source))
        })
    }

    /// Builds the base of a role (a new one: [`shared_bases`] decides when) and its STS client;
    /// the engines and shared bases it starts are in the returned build.
    async fn build_base(
        &self,
        options: &ProviderOptions,
        settings: &ChainSettings,
        role: &RoleOptions,
    ) -> Result<(Arc<RefreshedBase>, Arc<StsClient>, Hops)> {
        let sts = self.sts(settings, role).await?;
        let hops = self.child();
        let base_options = options.base().unwrap_or_else(|| options.without_role());
        let base = hops.build(&base_options).await?;
        let engine = RefreshingProvider::spawn_on(
            base.clone(),
            base_options.refresh_config()?,
            self.clock.clone(),
            &self.runtime,
        );
        hops.bases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(0, engine.clone());
        Ok((Arc::new(RefreshedBase::new(base, engine)), sts, hops))
    }

    /// The STS client of a role: the endpoint given in code, else the rules of the profiles
    /// (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's, regional).
    async fn sts(&self, settings: &ChainSettings, role: &RoleOptions) -> Result<Arc<StsClient>> {
        let (profiles, _warnings) = crate::sources::notice::collect(
            crate::sources::profile::ProfileSet::load(&settings.env, settings.profile.as_deref()),
        )
        .await;
        let mut sts = settings.sts_settings(profiles.as_ref().ok())?;
        if let Some(endpoint) = &role.sts_endpoint {
            sts.endpoint = endpoint.clone();
            sts.endpoint_origin = "freshcreds option `stsEndpoint`".to_string();
        }
        Ok(Arc::new(
            StsClient::with_clock(sts, self.clock.clone())?
                .with_server_clock(self.server_clock.clone()),
        ))
    }
}

/// A provider owned by a host: a source behind the refresh engine, on the process runtime.
#[derive(Debug)]
pub struct FreshProvider {
    engine: RefreshingProvider,
    /// The engines of a role's base hops (for reports).
    bases: Vec<RefreshingProvider>,
    /// The shared bases this provider uses, released when it closes (the last user of a base
    /// stops its engines).
    leases: std::sync::Mutex<Vec<shared_bases::Lease>>,
}

impl FreshProvider {
    /// Builds a provider from options and the process environment, and starts its first fetch
    /// in the background.
    pub fn new(options: ProviderOptions) -> Result<Self> {
        Self::with_env(options, Env::process())
    }

    /// Builds a provider with an explicit environment (tests, hosts that pass their own). The
    /// AWS SDK system properties among the options are laid over it (see [`crate::sdk_settings`]).
    pub fn with_env(options: ProviderOptions, env: Env) -> Result<Self> {
        Self::start(options, env, |hops, options| hops.build(options))
    }

    /// Builds the source with `make` and starts the engine over it.
    fn start(
        options: ProviderOptions,
        env: Env,
        make: impl for<'a> FnOnce(
            &'a Hops,
            &'a ProviderOptions,
        ) -> BoxFuture<'a, Result<Arc<dyn CredentialSource>>>,
    ) -> Result<Self> {
        let env = sdk_settings::environment_with(
            env,
            options.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let runtime = crate::runtime::shared()?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
        let _guard = runtime.enter();
        let hops = Hops {
            env,
            network: options.network()?,
            clock: clock.clone(),
            server_clock: Arc::new(ServerClock::new()),
            runtime: runtime.handle().clone(),
            bases: Default::default(),
            leases: Default::default(),
        };
        let source = match runtime.block_on(make(&hops, &options)) {
            Ok(source) => source,
            Err(e) => {
                shared_bases::release_all(std::mem::take(
                    &mut *hops.leases.lock().unwrap_or_else(|e| e.into_inner()),
                ));
                return Err(e);
            }
        };
        let engine = RefreshingProvider::spawn_on(
            source,
            options.refresh_config()?,
            clock,
            runtime.handle(),
        );
        // Exact sizes: a process may hold thousands of providers (one per role session).
        let mut bases = std::mem::take(&mut *hops.bases.lock().unwrap_or_else(|e| e.into_inner()));
        bases.shrink_to_fit();
        let mut leases =
            std::mem::take(&mut *hops.leases.lock().unwrap_or_else(|e| e.into_inner()));
        leases.shrink_to_fit();
        Ok(FreshProvider {
            engine,
            bases,
            leases: std::sync::Mutex::new(leases),
        })
    }

    /// The current credentials: immediate while cached ones are valid; otherwise waits for the
    /// first fetch up to the first-fetch timeout, then fails with an error that says what was tried.
    pub fn credentials(&self) -> Result<Snapshot> {
        let now = self.engine.clock().now();
        if let Some(served) = self.engine.cached() {
            return Ok(Snapshot::from_served(served, now));
        }
        let served = crate::runtime::shared()?.block_on(self.engine.credentials())?;
        Ok(Snapshot::from_served(served, self.engine.clock().now()))
    }

    /// Credentials valid for at least `min` from now
    /// ([`RefreshingProvider::credentials_valid_for`]): immediate while the cached ones last
    /// that long; otherwise waits (bounded, single flight) for one round that may bring
    /// longer-lived ones; fails with an [`crate::ErrorKind::InsufficientValidity`] error (its
    /// [`crate::Error::shortfall`] says what is available and when more may be) rather than
    /// hand out shorter-lived ones.
    pub fn credentials_valid_for(&self, min: Duration) -> Result<Snapshot> {
        let served = crate::runtime::shared()?.block_on(self.engine.credentials_valid_for(min))?;
        Ok(Snapshot::from_served(served, self.engine.clock().now()))
    }

    /// Forces a refresh now and waits for its result.
    pub fn refresh(&self) -> Result<Snapshot> {
        let served = crate::runtime::shared()?.block_on(self.engine.refresh())?;
        Ok(Snapshot::from_served(served, self.engine.clock().now()))
    }

    /// Reports that AWS rejected the credentials with this access key id (an `ExpiredToken` before
    /// their stated expiry: a revoked session, a replaced instance profile). When they are the
    /// cached ones, waits for the round that replaces them (single flight, at most
    /// [`crate::refresh::INVALIDATION_WAIT_LIMIT`]; at most one such round per
    /// [`crate::refresh::MIN_INVALIDATION_INTERVAL`]); a key this provider replaced already is
    /// ignored. Returns the credentials to retry with, or `None` when there is nothing newer
    /// than the rejected key (then a retry would be rejected too) or when the key is not one this
    /// provider served (another provider's: not ours to retry).
    pub fn invalidate(&self, rejected_access_key_id: &str) -> Result<Option<Snapshot>> {
        let served = crate::runtime::shared()?
            .block_on(self.engine.replace_rejected(rejected_access_key_id))?;
        let now = self.engine.clock().now();
        Ok(served
            .filter(|s| s.credentials.access_key_id() != rejected_access_key_id)
            .map(|s| Snapshot::from_served(s, now)))
    }

    /// The provider's state as JSON: source, expiry, last refresh result, counters, and for
    /// the chain the resolution report (`{"status": …, "chain": …}`).
    pub fn status_json(&self) -> String {
        let status = serde_json::to_value(self.engine.status()).unwrap_or_default();
        let chain = self
            .engine
            .report()
            .map(|r| serde_json::to_value(r).unwrap_or_default());
        serde_json::json!({ "status": status, "chain": chain }).to_string()
    }

    /// The refresh engine behind this provider.
    pub fn engine(&self) -> &RefreshingProvider {
        &self.engine
    }

    /// Stops the background refresh task. Further calls fail with an error.
    pub fn close(&self) {
        self.engine.close();
        let leases = std::mem::take(&mut *self.leases.lock().unwrap_or_else(|e| e.into_inner()));
        shared_bases::release_all(leases);
    }

    /// The refresh engines of the base hops under a role (outermost first); empty without a role.
    pub fn base_engines(&self) -> &[RefreshingProvider] {
        &self.bases
    }
}

impl Drop for FreshProvider {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refresh_option_key_is_a_known_ranged_key() {
        for key in REFRESH_OPTION_KEYS {
            assert!(
                ProviderOptions::KEYS.iter().any(|(k, _)| *k == key),
                "{key} is not in KEYS"
            );
            assert!(
                OPTION_RANGES.iter().any(|(k, ..)| *k == key),
                "{key} has no range"
            );
            assert!(ProviderOptions::from_pairs([(key, "60000")])
                .and_then(|o| o.refresh_config())
                .is_ok());
        }
    }
    use crate::error::ErrorKind;

    #[test]
    fn unknown_options_and_bad_values_name_the_key() {
        let e = ProviderOptions::from_pairs([("refreshLead", "5")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains("`refreshLead`"), "{}", e.message());
        let e = ProviderOptions::from_pairs([("jitterMillis", "soon")]).unwrap_err();
        assert!(
            e.message().contains("`jitterMillis`=\"soon\""),
            "{}",
            e.message()
        );
    }

    #[test]
    fn debug_hides_the_external_id_of_every_hop() {
        let o = ProviderOptions::from_pairs([
            ("roleArn", "arn:aws:iam::1:role/b"),
            ("externalId", "top-secret-id"),
            ("base.roleArn", "arn:aws:iam::1:role/a"),
            ("base.externalId", "base-secret-id"),
        ])
        .unwrap();
        let shown = format!("{o:?}");
        assert!(!shown.contains("secret-id"), "{shown}");
        assert!(shown.contains("arn:aws:iam::1:role/a"), "{shown}");
    }

    #[test]
    fn debug_hides_the_proxy_password_and_summarises_pem() {
        let o = ProviderOptions::from_pairs([
            ("httpsProxy", "http://user:hunter2@proxy.corp:3128"),
            ("nonProxyHosts", "*.corp"),
        ])
        .unwrap();
        let shown = format!("{o:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("http://proxy.corp:3128"), "{shown}");
        let net = o.network().unwrap();
        assert!(!format!("{net:?}").contains("hunter2"));
    }

    #[test]
    fn options_become_the_refresh_config() {
        let o =
            ProviderOptions::from_pairs([("refreshLeadMillis", "20000"), ("jitterMillis", "0")])
                .unwrap();
        let c = o.refresh_config().unwrap();
        assert_eq!(c.lead, Some(Duration::from_secs(20)));
        assert_eq!(c.jitter, Duration::ZERO);
    }
}
