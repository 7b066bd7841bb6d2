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
use crate::refresh::{RefreshConfig, RefreshingProvider, Served};
use crate::sources::default_chain::{self, ChainSettings, SourceSelection};
use crate::sources::imds::{EndpointMode, ImdsConfigBuilder};

/// Options for a [`FreshProvider`], parsed from `key=value` pairs (see [`ProviderOptions::KEYS`]).
/// `Debug` shows the values of the secret keys as `** redacted **`.
#[derive(Clone, Default)]
pub struct ProviderOptions {
    pairs: Vec<(String, String)>,
}

/// Option keys whose values are secrets.
pub const SECRET_OPTION_KEYS: &[&str] =
    &["aws.secretAccessKey", "aws.secretKey", "aws.sessionToken"];

impl std::fmt::Debug for ProviderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.pairs {
            if SECRET_OPTION_KEYS.contains(&k.as_str()) {
                map.entry(k, &crate::credentials::REDACTED);
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

impl ProviderOptions {
    /// Every key a host may pass, with what it means.
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("source", "`chain` (default), or pin one source: `systemProperties`, `environment`, `webIdentity`, `profile`, `container`, `imds`"),
        ("profile", "the profile to use instead of AWS_PROFILE / `default`"),
        ("aws.accessKeyId", "Java system property passed by the JVM host"),
        ("aws.secretAccessKey", "Java system property passed by the JVM host"),
        ("aws.secretKey", "Java system property passed by the JVM host (SDK v1 name)"),
        ("aws.sessionToken", "Java system property passed by the JVM host"),
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
    ];

    /// Parses `key=value` pairs; later pairs override earlier ones.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        let mut out = ProviderOptions::default();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            if !Self::KEYS.iter().any(|(key, _)| *key == k) {
                let known: Vec<&str> = Self::KEYS.iter().map(|(k, _)| *k).collect();
                return Err(Error::invalid_config(format!(
                    "unknown freshcreds option `{k}` (known: {})",
                    known.join(", ")
                )));
            }
            out.pairs.retain(|(key, _)| key != k);
            out.pairs.push((k.to_string(), v.to_string()));
        }
        out.refresh_config()?;
        out.selection()?;
        out.imds_overrides()?;
        Ok(out)
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
    pub fn imds_overrides(&self) -> Result<ImdsConfigBuilder> {
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
    pub fn ranged<T: Into<u64> + Copy + std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
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
pub const STATIC_SERVE_FOR: Duration = Duration::from_secs(60);
/// How long a host may keep serving credentials whose refresh is due but not done yet (in flight
/// or failing), or stale ones.
pub const PENDING_SERVE_FOR: Duration = Duration::from_secs(1);

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

/// A provider owned by a host: a source behind the refresh engine, on the process runtime.
#[derive(Debug)]
pub struct FreshProvider {
    engine: RefreshingProvider,
}

impl FreshProvider {
    /// Builds a provider from options and the process environment, and starts its first fetch
    /// in the background.
    pub fn new(options: ProviderOptions) -> Result<Self> {
        Self::with_env(options, Env::process())
    }

    /// Builds a provider with an explicit environment (tests, hosts that pass their own).
    pub fn with_env(options: ProviderOptions, env: Env) -> Result<Self> {
        let runtime = crate::runtime::shared()?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
        let _guard = runtime.enter();
        let settings = ChainSettings {
            env,
            system_properties: Some(options.system_properties()),
            profile: options.get("profile").map(str::to_string),
            explicit_profile_wins: false,
            imds_overrides: options.imds_overrides()?,
            clock: clock.clone(),
            server_clock: Default::default(),
        };
        let source = runtime.block_on(default_chain::build(&settings, options.selection()?))?;
        let engine = RefreshingProvider::spawn_on(
            source,
            options.refresh_config()?,
            clock,
            runtime.handle(),
        );
        Ok(FreshProvider { engine })
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

    /// Forces a refresh now and waits for its result.
    pub fn refresh(&self) -> Result<Snapshot> {
        let served = crate::runtime::shared()?.block_on(self.engine.refresh())?;
        Ok(Snapshot::from_served(served, self.engine.clock().now()))
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
    }
}

impl Drop for FreshProvider {
    fn drop(&mut self) {
        self.engine.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn options_become_the_refresh_config() {
        let o =
            ProviderOptions::from_pairs([("refreshLeadMillis", "20000"), ("jitterMillis", "0")])
                .unwrap();
        let c = o.refresh_config().unwrap();
        assert_eq!(c.lead, Some(Duration::from_secs(20)));
        assert_eq!(c.jitter, Duration::ZERO);
    }
}
