//! The blocking API every host uses (the JNI bridge, the C ABI, the command line): build a
//! provider from string options, read credentials, force a refresh, read its status, close it.
//!
//! Options are `key=value` strings so that Java system properties, a Java builder and C callers
//! all pass them the same way; an unknown key or a bad value is an `InvalidConfig` error that
//! names the key.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::credentials::{Credentials, Secret};
use crate::env::{bool_setting, Env};
use crate::error::{Error, Result};
use crate::http::{HostRoots, HttpPolicy, NetworkSettings};
use crate::refresh::{RefreshConfig, RefreshEngine, Served};
use crate::sdk_settings::{self, Reach, SDK_SETTINGS};
use crate::sources::assume_role::{AssumeRoleSource, RefreshedBase};
use crate::sources::default_chain::{self, ChainSettings, SourceSelection};
use crate::sources::imds::{EndpointMode, ImdsConfigBuilder};
use crate::sources::server_clock::ServerClock;
use crate::sources::sts::{RoleRequest, StsClient};
use crate::sources::web_identity::WebIdentitySource;
use crate::sources::{BoxFuture, CredentialSource};

mod fetched;
pub mod options;
pub mod shared_bases;

pub use options::MFA_REFUSED;
use options::{bare_key, Group, Kind, OptionSpec, Shown, SourceKind, BASE_PREFIX, SDK_PREFIX};

/// Options for a [`FreshSource`], parsed from `key=value` pairs: the options of the spec
/// ([`options::OPTIONS`]) and the AWS SDK settings ([`SDK_SETTINGS`]). `Debug` shows each value
/// as its row says ([`options::Shown`]): secrets as `** redacted **`.
#[derive(Clone, Default)]
pub struct SourceOptions {
    pairs: Vec<(String, String)>,
}

/// Whether the value of option `key` (with or without `base.` prefixes) is a secret: a secret
/// option of the spec, or a secret AWS SDK setting ([`crate::sdk_settings::SdkSetting::secret`]).
pub fn is_secret_key(key: &str) -> bool {
    let bare = bare_key(key);
    options::find(bare).is_some_and(OptionSpec::is_secret)
        || sdk_settings::by_property(bare).is_some_and(|s| s.secret)
}

impl std::fmt::Debug for SourceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.pairs {
            let shown = if is_secret_key(k) {
                Shown::Redacted
            } else {
                options::find(bare_key(k)).map_or(Shown::Plain, |o| o.shown)
            };
            match shown {
                Shown::Redacted => map.entry(k, &crate::credentials::REDACTED),
                // A proxy URL may carry a password; PEM text is long and says nothing.
                Shown::WithoutPassword => map.entry(k, &crate::http::proxy::redact(v)),
                Shown::CertificateCount => map.entry(
                    k,
                    &format!("({} certificates)", v.matches("BEGIN CERTIFICATE").count()),
                ),
                Shown::Plain => map.entry(k, v),
            };
        }
        map.finish()
    }
}

impl SourceOptions {
    /// Parses `key=value` pairs; later pairs override earlier ones.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str> + Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        let mut out = SourceOptions::default();
        for (k, value) in pairs {
            let k = k.as_ref();
            let bare = bare_key(k);
            if bare.starts_with(SDK_PREFIX) {
                if bare != k || sdk_settings::by_property(k).is_none() {
                    let known: Vec<&str> = SDK_SETTINGS.iter().map(|s| s.property).collect();
                    return Err(Error::invalid_config(format!(
                        "freshcreds option `{k}` is not an AWS SDK setting of the credentials chain (known, without a `base.` prefix: {})",
                        known.join(", ")
                    )));
                }
            } else if options::find(bare)
                // The network settings are one set for every hop: no `base.` form.
                .is_none_or(|o| bare != k && o.group == Group::Network)
            {
                let known: Vec<&str> = options::OPTIONS.iter().map(|o| o.key).collect();
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
    pub fn base(&self) -> Option<SourceOptions> {
        let hop: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(BASE_PREFIX)
                    .map(|k| (k.to_string(), v.clone()))
            })
            .collect();
        if hop.is_empty() {
            return None;
        }
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k.starts_with(SDK_PREFIX))
            .cloned()
            .collect();
        pairs.extend(hop);
        Some(SourceOptions { pairs })
    }

    /// These options without the role keys: the base of a role whose base is described by the
    /// same options (no `base.*` keys).
    fn without_role(&self) -> SourceOptions {
        SourceOptions {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| !options::find(k).is_some_and(|o| o.group.is_role()))
                .cloned()
                .collect(),
        }
    }

    /// The role these options assume, if any (`roleArn` and the keys that go with it); every
    /// problem is an error naming the option.
    pub fn role(&self) -> Result<Option<RoleOptions>> {
        for option in options::OPTIONS {
            if let (Kind::Refused(why), Some(_)) = (option.kind, self.get(option.key)) {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{}` is not supported: {why}",
                    option.key
                )));
            }
        }
        let set_in = |is: fn(Group) -> bool| {
            options::OPTIONS
                .iter()
                .filter(move |o| is(o.group) && self.get(o.key).is_some())
                .map(|o| o.key)
        };
        let has_base = self.base().is_some();
        let Some(role_arn) = self.get(options::ROLE_ARN.key).map(str::trim) else {
            if let Some(k) = set_in(Group::is_role).next() {
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
            if let Some(k) = set_in(Group::selects_base).next() {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{k}` and `base.*` options both say where the base credentials of `roleArn` come from: set it as `base.{k}`"
                )));
            }
        }
        let token_file = self
            .get(options::WEB_IDENTITY_TOKEN_FILE.key)
            .map(str::trim);
        if token_file.is_some() {
            if let Some(k) = set_in(|g| g == Group::AssumeRole).next() {
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
        let tags = list(options::TAGS.key)
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
            .with_session_name(non_blank(options::ROLE_SESSION_NAME.key))
            .with_external_id(non_blank(options::EXTERNAL_ID.key).map(Secret::from))
            .with_duration(
                self.ranged::<u64>(&options::DURATION_SECONDS)?
                    .map(Duration::from_secs),
            );
        request.policy = non_blank(options::POLICY.key);
        request.policy_arns = list(options::POLICY_ARNS.key);
        request.source_identity = non_blank(options::SOURCE_IDENTITY.key);
        request.tags = tags;
        Ok(Some(RoleOptions {
            request,
            web_identity_token_file: token_file.map(std::path::PathBuf::from),
            sts_endpoint: non_blank(options::STS_ENDPOINT.key),
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
            Some(v) => bool_setting(&format!("freshcreds option `{key}`"), v).map(Some),
        }
    }

    /// Which source to use.
    pub fn selection(&self) -> Result<SourceSelection> {
        SourceSelection::parse(
            self.get(options::SOURCE.key)
                .unwrap_or(options::SOURCE.default),
        )
    }

    /// The IMDS settings given programmatically, as the host layer of the IMDS builder.
    pub(crate) fn imds_overrides(&self) -> Result<ImdsConfigBuilder> {
        let mut imds = ImdsConfigBuilder::default();
        if let Some(endpoint) = self.get(options::IMDS_ENDPOINT.key) {
            imds = imds.endpoint(endpoint);
        }
        if let Some(mode) = self.get(options::IMDS_ENDPOINT_MODE.key) {
            if EndpointMode::parse(mode).is_none() {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{}`={mode:?} is not `IPv4` or `IPv6`",
                    options::IMDS_ENDPOINT_MODE.key
                )));
            }
            imds = imds.endpoint_mode(mode);
        }
        if let Some(timeout) = self.ranged_millis(&options::IMDS_TIMEOUT)? {
            imds = imds.timeout(timeout);
        }
        if let Some(attempts) = self.ranged::<u32>(&options::IMDS_ATTEMPTS)? {
            imds = imds.max_attempts(attempts);
        }
        if let Some(allowed) = self.boolean(options::IMDS_V1_FALLBACK.key)? {
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
            https_proxy: non_blank(options::HTTPS_PROXY.key),
            non_proxy_hosts: non_blank(options::NON_PROXY_HOSTS.key),
            // Borrowed, not copied: a JVM passes its whole trust store (hundreds of kilobytes)
            // to each of possibly thousands of fresh sources.
            host_roots: match self
                .get(options::TRUST_ROOTS_PEM.key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                Some(pem) => Some(HostRoots::from_pem(
                    pem,
                    &origin(options::TRUST_ROOTS_PEM.key),
                )?),
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
                .filter(|(k, _)| k.starts_with(SDK_PREFIX))
                .map(|(k, v)| (k.clone(), v.clone())),
        )
    }

    /// The refresh engine's configuration from these options; every value must lie in its
    /// range ([`OptionSpec::range`]), and the backoff base may not exceed its cap.
    pub fn refresh_config(&self) -> Result<RefreshConfig> {
        use options::{
            FIRST_FETCH_TIMEOUT, JITTER, REFRESH_BACKOFF_BASE, REFRESH_BACKOFF_CAP, REFRESH_LEAD,
            SKEW_WARN, STALE_EXTENSION,
        };
        let d = RefreshConfig::default();
        let config = RefreshConfig {
            lead: self.ranged_millis(&REFRESH_LEAD)?,
            jitter: self.ranged_millis_or(&JITTER, d.jitter)?,
            backoff_base: self.ranged_millis_or(&REFRESH_BACKOFF_BASE, d.backoff_base)?,
            backoff_cap: self.ranged_millis_or(&REFRESH_BACKOFF_CAP, d.backoff_cap)?,
            fixed_backoff: None,
            stale_extension: self.ranged_millis_or(&STALE_EXTENSION, d.stale_extension)?,
            first_fetch_timeout: self
                .ranged_millis_or(&FIRST_FETCH_TIMEOUT, d.first_fetch_timeout)?,
            skew_warn_threshold: self.ranged_millis_or(&SKEW_WARN, d.skew_warn_threshold)?,
            long_term_recheck: None,
        };
        if config.backoff_base > config.backoff_cap {
            return Err(Error::invalid_config(format!(
                "freshcreds option `{}` ({} ms) is larger than `{}` ({} ms)",
                REFRESH_BACKOFF_BASE.key,
                config.backoff_base.as_millis(),
                REFRESH_BACKOFF_CAP.key,
                config.backoff_cap.as_millis()
            )));
        }
        Ok(config)
    }

    /// A whole-number option checked against the range of its row ([`OptionSpec::range`]).
    pub(crate) fn ranged<T: Into<u64> + Copy + std::str::FromStr>(
        &self,
        option: &OptionSpec,
    ) -> Result<Option<T>> {
        let key = option.key;
        let Some(v) = self.number::<T>(key)? else {
            return Ok(None);
        };
        if let Some((min, max, unit)) = option.range() {
            let n: u64 = v.into();
            if n < min || n > max {
                let unit = unit.suffix();
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{key}`={n} is out of range: it must be from {min} to {max}{unit}"
                )));
            }
        }
        Ok(Some(v))
    }

    fn ranged_millis(&self, option: &OptionSpec) -> Result<Option<Duration>> {
        Ok(self.ranged::<u64>(option)?.map(Duration::from_millis))
    }

    /// The option's milliseconds as [`Self::ranged_millis`] reads them, or `default` when unset.
    fn ranged_millis_or(&self, option: &OptionSpec, default: Duration) -> Result<Duration> {
        Ok(self.ranged_millis(option)?.unwrap_or(default))
    }

    /// Refuses every option that does not apply to `kind`, naming it and `what` is built.
    pub fn check_kind(&self, kind: SourceKind, what: &str) -> Result<()> {
        for (key, _) in &self.pairs {
            let applies = key.starts_with(SDK_PREFIX)
                || options::find(key).is_some_and(|o| kind.takes(o.group));
            if !applies {
                return Err(Error::invalid_config(format!(
                    "freshcreds option `{key}` does not apply to {what}: the code says where credentials come from"
                )));
            }
        }
        Ok(())
    }
}

/// A role configured by options ([`SourceOptions::role`]).
#[derive(Debug, Clone)]
pub struct RoleOptions {
    /// What to ask STS for.
    pub request: RoleRequest,
    /// With a token file: `AssumeRoleWithWebIdentity` instead of `AssumeRole` over a base.
    pub web_identity_token_file: Option<std::path::PathBuf>,
    /// The STS endpoint given in code (wins over the environment and the profile).
    pub sts_endpoint: Option<String>,
}

/// `env` with the system properties among `props` that stand for a variable laid over it (see
/// [`Env::with_system_properties`]); other pairs are ignored.
fn environment_with<'a>(env: Env, props: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
    let overlay: Vec<(&str, &str, String)> = props
        .into_iter()
        .filter_map(|(prop, value)| {
            sdk_settings::by_property(prop)
                .filter(|s| s.reach == Reach::Environment)
                .map(|s| (s.variable, s.property, value.to_string()))
        })
        .collect();
    if overlay.is_empty() {
        return env;
    }
    env.with_system_properties(overlay)
}

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
    bases: std::sync::Mutex<Vec<RefreshEngine>>,
    /// The shared bases this build uses, released when the fresh source closes.
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
    fn settings(&self, options: &SourceOptions) -> Result<ChainSettings> {
        Ok(ChainSettings {
            env: self.env.clone(),
            system_properties: Some(options.system_properties()),
            profile: options.get(options::PROFILE.key).map(str::to_string),
            explicit_profile_wins: false,
            imds_overrides: options.imds_overrides()?,
            clock: self.clock.clone(),
            server_clock: self.server_clock.clone(),
            network: self.network.clone(),
        })
    }

    fn build<'a>(
        &'a self,
        options: &'a SourceOptions,
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
        options: &SourceOptions,
        settings: &ChainSettings,
        role: &RoleOptions,
    ) -> Result<(Arc<RefreshedBase>, Arc<StsClient>, Hops)> {
        let sts = self.sts(settings, role).await?;
        let hops = self.child();
        let base_options = options.base().unwrap_or_else(|| options.without_role());
        let base = hops.build(&base_options).await?;
        let engine = RefreshEngine::spawn_on(
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

/// A fresh source: a source behind its engine on the process runtime, owned by a host (Java's
/// `FreshCredentialsSource`, C's `FreshcredsProvider`).
#[derive(Debug)]
pub struct FreshSource {
    engine: RefreshEngine,
    /// The engines of a role's base hops (for reports).
    bases: Vec<RefreshEngine>,
    /// The shared bases this fresh source uses, released when it closes (the last user of a base
    /// stops its engines).
    leases: std::sync::Mutex<Vec<shared_bases::Lease>>,
}

impl FreshSource {
    /// Builds a fresh source from options and the process environment, and starts its first fetch
    /// in the background.
    pub fn new(options: SourceOptions) -> Result<Self> {
        Self::with_env(options, Env::process())
    }

    /// Builds a fresh source with an explicit environment (tests, hosts that pass their own). The
    /// AWS SDK system properties among the options are laid over it (see [`crate::sdk_settings`]).
    pub fn with_env(options: SourceOptions, env: Env) -> Result<Self> {
        Self::start(options, env, |hops, options| hops.build(options))
    }

    /// Builds the source with `make` and starts the engine over it.
    fn start(
        options: SourceOptions,
        env: Env,
        make: impl for<'a> FnOnce(
            &'a Hops,
            &'a SourceOptions,
        ) -> BoxFuture<'a, Result<Arc<dyn CredentialSource>>>,
    ) -> Result<Self> {
        let env = environment_with(
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
        let engine =
            RefreshEngine::spawn_on(source, options.refresh_config()?, clock, runtime.handle());
        // Exact sizes: a process may hold thousands of fresh sources (one per role session).
        let mut bases = std::mem::take(&mut *hops.bases.lock().unwrap_or_else(|e| e.into_inner()));
        bases.shrink_to_fit();
        let mut leases =
            std::mem::take(&mut *hops.leases.lock().unwrap_or_else(|e| e.into_inner()));
        leases.shrink_to_fit();
        Ok(FreshSource {
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
    /// ([`RefreshEngine::credentials_valid_for`]): immediate while the cached ones last
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
    /// [`crate::refresh::MIN_INVALIDATION_INTERVAL`]); a key this fresh source replaced already is
    /// ignored. Returns the credentials to retry with, or `None` when there is nothing newer
    /// than the rejected key (then a retry would be rejected too) or when the key is not one this
    /// provider served (another fresh source's: not ours to retry).
    pub fn invalidate(&self, rejected_access_key_id: &str) -> Result<Option<Snapshot>> {
        let served = crate::runtime::shared()?
            .block_on(self.engine.replace_rejected(rejected_access_key_id))?;
        let now = self.engine.clock().now();
        Ok(served
            .filter(|s| s.credentials.access_key_id() != rejected_access_key_id)
            .map(|s| Snapshot::from_served(s, now)))
    }

    /// The fresh source's state as JSON: source, expiry, last refresh result, counters, and for
    /// the chain the resolution report (`{"status": …, "chain": …}`).
    pub fn status_json(&self) -> String {
        let status = serde_json::to_value(self.engine.status()).unwrap_or_default();
        let chain = self
            .engine
            .report()
            .map(|r| serde_json::to_value(r).unwrap_or_default());
        serde_json::json!({ "status": status, "chain": chain }).to_string()
    }

    /// The refresh engine behind this fresh source.
    pub fn engine(&self) -> &RefreshEngine {
        &self.engine
    }

    /// Stops the background refresh task. Further calls fail with an error.
    pub fn close(&self) {
        self.engine.close();
        let leases = std::mem::take(&mut *self.leases.lock().unwrap_or_else(|e| e.into_inner()));
        shared_bases::release_all(leases);
    }

    /// The refresh engines of the base hops under a role (outermost first); empty without a role.
    pub fn base_engines(&self) -> &[RefreshEngine] {
        &self.bases
    }
}

impl Drop for FreshSource {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use options::{
        Unit, DURATION_SECONDS, EXTERNAL_ID, HTTPS_PROXY, IMDS_ATTEMPTS, IMDS_TIMEOUT, JITTER,
        NON_PROXY_HOSTS, OPTIONS, REFRESH_LEAD, ROLE_ARN,
    };

    #[test]
    fn every_refresh_option_is_a_ranged_millisecond_option_the_refresh_config_reads() {
        let refresh: Vec<&str> = options::keys_in(Group::Refresh).collect();
        assert_eq!(refresh.len(), 7, "{refresh:?}");
        for key in refresh {
            let row = options::find(key).unwrap();
            assert!(
                matches!(row.range(), Some((_, _, Unit::Millis))),
                "{key} has no range in ms"
            );
            let (min, max, _) = row.range().unwrap();
            for n in [min, max] {
                let o = SourceOptions {
                    pairs: vec![(key.to_string(), n.to_string())],
                };
                assert_eq!(o.ranged::<u64>(row).unwrap(), Some(n));
            }
            assert!(SourceOptions::from_pairs([(key, "60000")])
                .and_then(|o| o.refresh_config())
                .is_ok());
            let e = SourceOptions::from_pairs([(key, (max + 1).to_string())]).unwrap_err();
            assert!(e.message().contains("out of range"), "{}", e.message());
        }
    }

    #[test]
    fn every_key_is_listed_once_and_is_neither_prefixed_nor_an_sdk_setting() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[i + 1..].iter().all(|p| p.key != o.key),
                "{} is listed twice",
                o.key
            );
            assert!(!o.key.starts_with(BASE_PREFIX) && !o.key.starts_with(SDK_PREFIX));
            assert!(!o.doc.is_empty() && !o.doc.contains('\n'), "{}", o.key);
            assert!(options::find(o.key).is_some_and(|p| p == o));
        }
    }

    #[test]
    fn the_defaults_of_the_spec_are_those_the_engine_and_the_clients_use() {
        let d = RefreshConfig::default();
        let imds = crate::sources::imds::ImdsConfig::default();
        let millis = |d: Duration| d.as_millis().to_string();
        for (row, engine) in [
            (options::JITTER, millis(d.jitter)),
            (options::FIRST_FETCH_TIMEOUT, millis(d.first_fetch_timeout)),
            (options::STALE_EXTENSION, millis(d.stale_extension)),
            (options::REFRESH_BACKOFF_BASE, millis(d.backoff_base)),
            (options::REFRESH_BACKOFF_CAP, millis(d.backoff_cap)),
            (options::SKEW_WARN, millis(d.skew_warn_threshold)),
            (IMDS_TIMEOUT, millis(imds.timeout)),
            (IMDS_ATTEMPTS, imds.retry.max_attempts.to_string()),
            (options::IMDS_V1_FALLBACK, imds.v1_fallback.to_string()),
            (
                DURATION_SECONDS,
                crate::sources::DEFAULT_ROLE_SESSION_DURATION
                    .as_secs()
                    .to_string(),
            ),
        ] {
            assert_eq!(row.default, engine, "the default of {}", row.key);
        }
        assert_eq!(DURATION_SECONDS.range(), Some((900, 43_200, Unit::Seconds)));
        assert!(SourceSelection::parse(options::SOURCE.default).is_ok());
    }

    /// The system property of the AWS SDK setting that stands for `variable`.
    fn property(variable: &str) -> &'static str {
        SDK_SETTINGS
            .iter()
            .find(|s| s.variable == variable)
            .unwrap()
            .property
    }

    #[test]
    fn the_secret_keys_are_the_secret_options_and_sdk_settings_with_or_without_base() {
        let secret: Vec<&str> = OPTIONS
            .iter()
            .filter(|o| o.is_secret())
            .map(|o| o.key)
            .chain(SDK_SETTINGS.iter().filter(|s| s.secret).map(|s| s.property))
            .collect();
        let expected = [
            EXTERNAL_ID.key,
            property("AWS_SECRET_ACCESS_KEY"),
            property("AWS_SECRET_KEY"),
            property("AWS_SESSION_TOKEN"),
            property("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        ];
        assert_eq!(secret, expected);
        for key in secret {
            assert!(is_secret_key(key) && is_secret_key(&format!("base.base.{key}")));
        }
        assert!(!is_secret_key(ROLE_ARN.key) && !is_secret_key(property("AWS_ACCESS_KEY_ID")));
    }

    #[test]
    fn the_readme_configuration_table_names_every_option() {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README.md has a Configuration section");
        for o in OPTIONS {
            assert!(
                table.contains(&format!("`{}`", o.key)),
                "README.md's Configuration table does not name option `{}`",
                o.key
            );
        }
    }

    #[test]
    fn each_kind_of_source_takes_its_groups() {
        let roles = SourceOptions::from_pairs([(ROLE_ARN.key, "arn:aws:iam::1:role/r")]).unwrap();
        assert!(roles.check_kind(SourceKind::Options, "x").is_ok());
        assert!(roles.check_kind(SourceKind::TokenSupplier, "x").is_ok());
        let e = roles
            .check_kind(SourceKind::Fetcher, "a fetcher")
            .unwrap_err();
        assert!(
            e.message()
                .contains("`roleArn` does not apply to a fetcher"),
            "{}",
            e.message()
        );
        let network = SourceOptions::from_pairs([(NON_PROXY_HOSTS.key, "*.corp")]).unwrap();
        for kind in SourceKind::ALL {
            assert!(network.check_kind(kind, "x").is_ok(), "{kind:?}");
        }
    }

    #[test]
    fn unknown_options_and_bad_values_name_the_key() {
        let e = SourceOptions::from_pairs([("refreshLead", "5")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains("`refreshLead`"), "{}", e.message());
        let e = SourceOptions::from_pairs([(JITTER.key, "soon")]).unwrap_err();
        assert!(
            e.message().contains(&format!("`{}`=\"soon\"", JITTER.key)),
            "{}",
            e.message()
        );
        let e = SourceOptions::from_pairs([(format!("base.{}", NON_PROXY_HOSTS.key), "*")])
            .unwrap_err();
        assert!(
            e.message().contains("unknown freshcreds option `base."),
            "{}",
            e.message()
        );
    }

    #[test]
    fn debug_hides_the_external_id_of_every_hop() {
        let base = |k: &str| format!("{BASE_PREFIX}{k}");
        let o = SourceOptions::from_pairs([
            (ROLE_ARN.key.to_string(), "arn:aws:iam::1:role/b"),
            (EXTERNAL_ID.key.to_string(), "top-secret-id"),
            (base(ROLE_ARN.key), "arn:aws:iam::1:role/a"),
            (base(EXTERNAL_ID.key), "base-secret-id"),
        ])
        .unwrap();
        let shown = format!("{o:?}");
        assert!(!shown.contains("secret-id"), "{shown}");
        assert!(shown.contains("arn:aws:iam::1:role/a"), "{shown}");
    }

    #[test]
    fn debug_hides_the_proxy_password_and_summarises_pem() {
        let o = SourceOptions::from_pairs([
            (HTTPS_PROXY.key, "http://user:hunter2@proxy.corp:3128"),
            (NON_PROXY_HOSTS.key, "*.corp"),
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
            SourceOptions::from_pairs([(REFRESH_LEAD.key, "20000"), (JITTER.key, "0")]).unwrap();
        let c = o.refresh_config().unwrap();
        assert_eq!(c.lead, Some(Duration::from_secs(20)));
        assert_eq!(c.jitter, Duration::ZERO);
    }

    #[test]
    fn only_sdk_properties_that_stand_for_a_variable_reach_the_environment() {
        let env = environment_with(
            Env::from_map([("AWS_ACCESS_KEY_ID", "AKIAENV")]),
            [
                (property("AWS_ACCESS_KEY_ID"), "AKIAPROPS"),
                (property("AWS_PROFILE"), "readonly"),
                (options::SOURCE.key, "imds"),
            ],
        );
        assert_eq!(env.get("AWS_ACCESS_KEY_ID").as_deref(), Some("AKIAENV"));
        assert_eq!(env.get("AWS_PROFILE").as_deref(), Some("readonly"));
        assert_eq!(
            env.system_property_of("AWS_PROFILE"),
            Some(property("AWS_PROFILE"))
        );
    }
}
