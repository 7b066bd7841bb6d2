//! IMDS settings: one builder ([`ImdsConfigBuilder`]) that layers what a host sets in code over
//! the AWS SDK environment variables (or the Java system properties a JVM host laid over them,
//! see [`crate::sdk_settings`]) over the selected profile, and applies the SDKs' endpoint rules. The chain, the doctor and the hosts' options all build their [`ImdsConfig`] through it;
//! the names of the settings it reads stay in this module.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::env::{bool_setting, number_setting, Env};
use crate::error::{Error, Result};
use crate::sources::profile::Profile;
use crate::sources::retry::RetryPolicy;

/// A setting the builder reads, named as the AWS SDKs name it: its environment variable (a JVM
/// host may pass the Java system property that stands for it instead) and, for the settings a
/// profile may also hold, the profile key read below the variable. Private to the IMDS module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Setting {
    /// The environment variable.
    pub(super) variable: &'static str,
    /// The profile key, if the SDKs read one.
    pub(super) profile_key: Option<&'static str>,
}

impl Setting {
    /// A setting of the environment and the profile.
    const fn layered(variable: &'static str, profile_key: &'static str) -> Setting {
        Setting {
            variable,
            profile_key: Some(profile_key),
        }
    }

    /// A setting of the environment only.
    const fn variable(variable: &'static str) -> Setting {
        Setting {
            variable,
            profile_key: None,
        }
    }
}

/// Overrides the IMDS endpoint (a URL); wins over every other endpoint setting.
pub(super) const ENDPOINT: Setting = Setting::layered(
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "ec2_metadata_service_endpoint",
);
/// Chooses the default IMDS endpoint: `IPv4` or `IPv6` (case-insensitive).
pub(super) const ENDPOINT_MODE: Setting = Setting::layered(
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "ec2_metadata_service_endpoint_mode",
);
/// Per-request timeout in seconds (fractions allowed).
pub(super) const TIMEOUT: Setting =
    Setting::layered("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout");
/// Attempts per request, the first included.
pub(super) const NUM_ATTEMPTS: Setting = Setting::variable("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
/// `true` switches the IMDSv1 fallback off (IMDSv2 tokens are then required).
pub(super) const V1_DISABLED: Setting =
    Setting::layered("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled");
/// `true` switches the IMDS credentials source off.
pub(super) const DISABLED: Setting = Setting::variable("AWS_EC2_METADATA_DISABLED");

/// The IPv4 IMDS endpoint, the default.
pub(crate) const IPV4_ENDPOINT: &str = "http://169.254.169.254";
/// The IPv6 IMDS endpoint (Nitro instances).
pub(crate) const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";

/// Default per-request timeout (the SDKs' 1 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default IMDSv2 session token lifetime: 6 hours, the maximum IMDS accepts.
pub(crate) const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(21600);
/// Default time a "not on EC2" verdict (connection refused, no route) is remembered.
pub(crate) const DEFAULT_NOT_ON_EC2_TTL: Duration = Duration::from_secs(60);
/// The longest per-request timeout the environment or the profile may set, in seconds.
const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// Which default endpoint to use when none is given explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointMode {
    /// `http://169.254.169.254`.
    IPv4,
    /// `http://[fd00:ec2::254]`.
    IPv6,
}

impl EndpointMode {
    /// Parses `IPv4` / `IPv6`, case-insensitively; `None` for anything else.
    pub fn parse(value: &str) -> Option<EndpointMode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "ipv4" => Some(EndpointMode::IPv4),
            "ipv6" => Some(EndpointMode::IPv6),
            _ => None,
        }
    }

    /// The endpoint of this mode.
    pub fn endpoint(self) -> Url {
        let s = match self {
            EndpointMode::IPv4 => IPV4_ENDPOINT,
            EndpointMode::IPv6 => IPV6_ENDPOINT,
        };
        Url::parse(s).expect("built-in IMDS endpoints are valid URLs")
    }
}

/// The layer a setting came from, highest first. `Display` names the setting for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingLayer {
    /// Set by the host in code (its own options), through the builder's setters.
    Code,
    /// A Java system property the JVM host passed (`aws.ec2MetadataServiceEndpoint`, …), in the
    /// place of its environment variable.
    SystemProperty,
    /// An `AWS_*` environment variable.
    Environment,
    /// A key of the selected profile.
    Profile,
}

/// The name of an endpoint setting (the URL, or the mode) of `layer`, for messages.
fn setting_name(layer: SettingLayer, mode: bool) -> String {
    let setting = if mode { ENDPOINT_MODE } else { ENDPOINT };
    match layer {
        SettingLayer::Code if mode => "the IMDS endpoint mode override".to_string(),
        SettingLayer::Code => "the IMDS endpoint override".to_string(),
        SettingLayer::SystemProperty => system_property(setting.variable),
        SettingLayer::Environment => format!("environment variable {}", setting.variable),
        SettingLayer::Profile => profile_setting(setting),
    }
}

/// `profile setting key`, the profile key of `setting`, for messages.
fn profile_setting(setting: Setting) -> String {
    format!(
        "profile setting {}",
        setting.profile_key.unwrap_or_default()
    )
}

/// `Java system property aws.x`, the property that stands for `variable`.
fn system_property(variable: &str) -> String {
    let property = crate::sdk_settings::SDK_SETTINGS
        .iter()
        .find(|s| s.variable == variable)
        .map_or(variable, |s| s.property);
    format!("Java system property {property}")
}

/// The layer of a value read through `env`: a system property laid over the variable, or the
/// variable itself.
fn env_layer(env: &Env, variable: &str) -> SettingLayer {
    if env.system_property_of(variable).is_some() {
        SettingLayer::SystemProperty
    } else {
        SettingLayer::Environment
    }
}

/// Where the IMDS endpoint of an [`ImdsConfig`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointOrigin {
    /// No setting: the IPv4 endpoint.
    #[default]
    Default,
    /// An endpoint mode setting chose the endpoint.
    Mode(SettingLayer),
    /// An endpoint URL setting named it.
    Explicit(SettingLayer),
}

impl fmt::Display for EndpointOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EndpointOrigin::Default => f.write_str("the default IMDS endpoint"),
            EndpointOrigin::Mode(layer) => f.write_str(&setting_name(layer, true)),
            EndpointOrigin::Explicit(layer) => f.write_str(&setting_name(layer, false)),
        }
    }
}

/// How the IMDS client and credentials source behave. Build it with [`ImdsConfig::builder`] (host
/// settings over the SDK environment variables over the profile), or start from
/// [`ImdsConfig::default`] and set fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ImdsConfig {
    /// Base URL; request paths such as `/latest/api/token` are appended to it.
    pub endpoint: Url,
    /// Which setting chose [`ImdsConfig::endpoint`].
    pub endpoint_origin: EndpointOrigin,
    /// Connect and whole-request timeout of each attempt.
    pub timeout: Duration,
    /// Retries of each request; `retry.max_attempts` is the number of attempts.
    pub retry: RetryPolicy,
    /// Lifetime asked for IMDSv2 session tokens (1 s to 6 h).
    pub token_ttl: Duration,
    /// Fall back to IMDSv1 (no token) when the token call is refused (403/404/405) or times out.
    pub v1_fallback: bool,
    /// The source is switched off: it makes no request and answers `Disabled`.
    pub disabled: bool,
    /// Which setting switched it off, for messages: `AWS_EC2_METADATA_DISABLED`, or the system
    /// property `aws.disableEc2Metadata` in its place.
    pub disabled_origin: SettingLayer,
    /// How long a "not on EC2" verdict (connection refused, no route) short-circuits requests.
    pub not_on_ec2_ttl: Duration,
}

impl Default for ImdsConfig {
    fn default() -> Self {
        ImdsConfig {
            endpoint: EndpointMode::IPv4.endpoint(),
            endpoint_origin: EndpointOrigin::Default,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            token_ttl: DEFAULT_TOKEN_TTL,
            v1_fallback: true,
            disabled: false,
            disabled_origin: SettingLayer::Environment,
            not_on_ec2_ttl: DEFAULT_NOT_ON_EC2_TTL,
        }
    }
}

impl ImdsConfig {
    /// The one way to resolve IMDS settings: see [`ImdsConfigBuilder`].
    pub fn builder() -> ImdsConfigBuilder {
        ImdsConfigBuilder::default()
    }

    /// The full URL of `path` (e.g. `/latest/api/token`) below the endpoint.
    pub fn url(&self, path: &str) -> String {
        let base = self.endpoint.as_str().trim_end_matches('/');
        format!("{base}/{}", path.trim_start_matches('/'))
    }

    /// When IMDS is switched off, the setting that does it (`NAME=true`), for messages.
    pub fn disabled_by(&self) -> Option<String> {
        self.disabled.then(|| match self.disabled_origin {
            SettingLayer::SystemProperty => {
                format!("{}=true", system_property(DISABLED.variable))
            }
            _ => format!("{}=true", DISABLED.variable),
        })
    }
}

/// Builds an [`ImdsConfig`] from three layers, highest first: what the host sets through the
/// setters (its own options, like the SDKs' client builders), the AWS SDK environment variables
/// ([`ImdsConfigBuilder::env`]), and the selected profile's `ec2_metadata_service_endpoint`,
/// `ec2_metadata_service_endpoint_mode`, `ec2_metadata_v1_disabled` and `metadata_service_timeout`
/// ([`ImdsConfigBuilder::profile`]), as AWS SDK for Java v2 reads them.
///
/// Endpoint rules (the AWS SDKs'): an explicit endpoint from any layer wins over a mode from any
/// layer; else the mode; else IPv4. Blank values count as unset. Every bad value is an
/// `InvalidConfig` error naming the setting it came from; a bad environment value is an error
/// even when the host overrides it.
#[derive(Debug, Clone, Default)]
pub struct ImdsConfigBuilder {
    endpoint: Option<String>,
    endpoint_mode: Option<String>,
    timeout: Option<Duration>,
    max_attempts: Option<u32>,
    v1_fallback: Option<bool>,
    env: Option<Env>,
    profile: Option<Profile>,
}

impl ImdsConfigBuilder {
    /// The endpoint URL, above every other endpoint setting.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The endpoint mode, `IPv4` or `IPv6` (checked when building), above the environment's.
    pub fn endpoint_mode(mut self, mode: impl Into<String>) -> Self {
        self.endpoint_mode = Some(mode.into());
        self
    }

    /// The per-attempt timeout, above `AWS_METADATA_SERVICE_TIMEOUT`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Attempts per request (at least 1), above `AWS_METADATA_SERVICE_NUM_ATTEMPTS`.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// Whether the IMDSv1 fallback is allowed, above `AWS_EC2_METADATA_V1_DISABLED`.
    pub fn v1_fallback(mut self, allowed: bool) -> Self {
        self.v1_fallback = Some(allowed);
        self
    }

    /// Reads the AWS SDK environment variables from `env` (without this, none are read).
    pub fn env(mut self, env: &Env) -> Self {
        self.env = Some(env.clone());
        self
    }

    /// Reads the IMDS settings of `profile`, the lowest layer (`None`: no profile).
    pub fn profile(mut self, profile: Option<&Profile>) -> Self {
        self.profile = profile.cloned();
        self
    }

    /// The configuration, or an `InvalidConfig` error naming the bad setting.
    pub fn build(self) -> Result<ImdsConfig> {
        let env = self
            .env
            .clone()
            .unwrap_or_else(|| Env::from_map::<&str, &str>([]));
        let (endpoint, endpoint_origin) = self.resolve_endpoint(&env)?;
        let mut config = ImdsConfig {
            endpoint,
            endpoint_origin,
            ..ImdsConfig::default()
        };
        if let Some(timeout) = self.read(&env, TIMEOUT, |name, v| {
            timeout_secs(number_setting(name, v)?, name)
        })? {
            config.timeout = timeout;
        }
        if let Some(attempts) = self.read(&env, NUM_ATTEMPTS, |name, v| {
            match number_setting(name, v)? {
                0 => Err(Error::invalid_config(format!(
                    "{name}=0 must be at least 1"
                ))),
                attempts => Ok(attempts),
            }
        })? {
            config.retry.max_attempts = attempts;
        }
        if let Some(v1_disabled) = self.read(&env, V1_DISABLED, bool_setting)? {
            config.v1_fallback = !v1_disabled;
        }
        if let Some(disabled) = self.read(&env, DISABLED, bool_setting)? {
            config.disabled = disabled;
            config.disabled_origin = env_layer(&env, DISABLED.variable);
        }
        if let Some(t) = self.timeout {
            config.timeout = t;
        }
        if let Some(a) = self.max_attempts {
            config.retry.max_attempts = a;
        }
        if let Some(v1) = self.v1_fallback {
            config.v1_fallback = v1;
        }
        Ok(config)
    }

    /// The value of `setting` in the profile, if it has one there.
    fn profile_value(&self, setting: Setting) -> Option<&str> {
        self.profile.as_ref()?.get(setting.profile_key?)
    }

    /// `setting` from the environment, else from the profile (blank counts as unset), parsed by
    /// `parse` (given the setting's name for messages, and the value). Both layers are checked:
    /// a bad profile value is an error even when the environment overrides it.
    fn read<T>(
        &self,
        env: &Env,
        setting: Setting,
        parse: impl Fn(&str, &str) -> Result<T>,
    ) -> Result<Option<T>> {
        let from_profile = self
            .profile_value(setting)
            .map(|v| (profile_setting(setting), v.to_string()));
        let from_env = env
            .get(setting.variable)
            .map(|v| (env.describe(setting.variable), v));
        let mut value = None;
        for (name, v) in [from_profile, from_env].into_iter().flatten() {
            if !v.trim().is_empty() {
                value = Some(parse(&name, &v)?);
            }
        }
        Ok(value)
    }

    fn resolve_endpoint(&self, env: &Env) -> Result<(Url, EndpointOrigin)> {
        // The highest layer that sets `setting`; values below it are not read.
        let highest = |code: &Option<String>, setting: Setting| {
            [
                (SettingLayer::Code, code.clone()),
                (env_layer(env, setting.variable), env.get(setting.variable)),
                (
                    SettingLayer::Profile,
                    self.profile_value(setting).map(str::to_string),
                ),
            ]
            .into_iter()
            .find_map(|(layer, v)| v.filter(|s| !s.trim().is_empty()).map(|v| (layer, v)))
        };
        if let Some((layer, value)) = highest(&self.endpoint, ENDPOINT) {
            let url = parse_endpoint(&value, &setting_name(layer, false))?;
            return Ok((url, EndpointOrigin::Explicit(layer)));
        }
        match highest(&self.endpoint_mode, ENDPOINT_MODE) {
            None => Ok((EndpointMode::IPv4.endpoint(), EndpointOrigin::Default)),
            Some((layer, value)) => {
                let origin = setting_name(layer, true);
                let mode = EndpointMode::parse(&value).ok_or_else(|| {
                    Error::invalid_config(format!(
                        "`{}` is not a valid endpoint mode (from {origin}; expected `IPv4` or `IPv6`)",
                        value.trim()
                    ))
                })?;
                Ok((mode.endpoint(), EndpointOrigin::Mode(layer)))
            }
        }
    }
}

/// A per-request timeout in seconds from `setting` (the SDKs allow fractions), checked.
fn timeout_secs(secs: f64, setting: &str) -> Result<Duration> {
    if !(secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
        return Err(Error::invalid_config(format!(
            "{setting}={secs} must be a number of seconds above 0 and at most 3600"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses an endpoint URL, rejecting characters a URI cannot hold (URL parsers would percent-encode
/// them silently) and anything but an absolute `http`/`https` URL with a host.
fn parse_endpoint(value: &str, origin: &str) -> Result<Url> {
    let value = value.trim();
    let bad = |why: &str| {
        Error::invalid_config(format!(
            "{origin}={value:?} is not a valid IMDS endpoint: {why}"
        ))
    };
    if let Some(c) = value.chars().find(|c| !is_uri_char(*c)) {
        return Err(bad(&format!("invalid uri character {c:?}")));
    }
    let url = Url::parse(value).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(url)
}

/// Characters allowed in a URI (RFC 3986 unreserved, reserved, and `%`).
fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;
    use crate::error::ErrorKind;
    use crate::sources::profile::ProfileSet;

    fn from_env(env: &Env) -> Result<ImdsConfig> {
        ImdsConfig::builder().env(env).build()
    }

    fn profile_key(setting: Setting) -> &'static str {
        setting.profile_key.expect("a setting of the profile")
    }

    /// Profiles whose selected one, `default`, holds `values` of IMDS settings.
    fn default_profile(values: &[(Setting, &str)]) -> ProfileSet {
        ProfileSet::from_properties(
            [(
                "default",
                values.iter().map(|&(setting, v)| (profile_key(setting), v)),
            )],
            Vec::<(&str, Vec<(&str, &str)>)>::new(),
            "default",
        )
    }

    #[test]
    fn defaults_match_the_sdks() {
        let c = from_env(&Env::from_map::<&str, &str>([])).unwrap();
        assert_eq!(
            c.url("/latest/api/token"),
            "http://169.254.169.254/latest/api/token"
        );
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.retry.max_attempts, 3);
        assert!(c.v1_fallback && !c.disabled);
    }

    #[test]
    fn environment_knobs_are_read_and_bad_values_name_the_variable() {
        // The config of `setting`=`good`, once each of `bad` is refused naming the variable.
        let knob = |setting: Setting, good: &str, bad: &[&str]| {
            let var = setting.variable;
            for value in bad {
                let err = from_env(&Env::from_map([(var, *value)])).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{var}={value}");
                assert!(err.message().contains(var), "{var}: {}", err.message());
            }
            from_env(&Env::from_map([(var, good)])).unwrap()
        };
        let timeout = knob(TIMEOUT, "0.25", &["soon", "-1"]).timeout;
        assert_eq!(timeout, Duration::from_millis(250));
        assert_eq!(knob(NUM_ATTEMPTS, "5", &["0"]).retry.max_attempts, 5);
        assert!(!knob(V1_DISABLED, "TRUE", &["yes"]).v1_fallback);
        assert!(knob(DISABLED, "true", &["1"]).disabled);
        assert!(!knob(DISABLED, "false", &[]).disabled);
        assert_eq!(
            knob(ENDPOINT_MODE, "ipv6", &["IPv5"]).url("latest/api/token"),
            "http://[fd00:ec2::254]/latest/api/token"
        );
        let endpoint = knob(ENDPOINT, "http://127.0.0.1:9", &["ftp://host"]).endpoint;
        assert_eq!(endpoint.as_str(), "http://127.0.0.1:9/");
    }

    #[test]
    fn an_endpoint_with_a_path_keeps_it() {
        let c = ImdsConfig::builder()
            .endpoint("http://127.0.0.1:9/imds/")
            .build()
            .unwrap();
        assert_eq!(
            c.url("/latest/api/token"),
            "http://127.0.0.1:9/imds/latest/api/token"
        );
    }

    #[test]
    fn host_settings_win_over_the_environment_which_wins_over_the_profile() {
        let env = Env::from_map([
            (TIMEOUT.variable, "2"),
            (NUM_ATTEMPTS.variable, "4"),
            (V1_DISABLED.variable, "true"),
            (ENDPOINT.variable, "http://from-env:1"),
        ]);
        let set = default_profile(&[(ENDPOINT, "http://from-profile:2"), (ENDPOINT_MODE, "IPv6")]);
        let profile = set.selected_profile();
        // Builds `builder` and checks that a setting of `layer` named its endpoint `url`.
        let explicit = |builder: ImdsConfigBuilder, url: &str, layer: SettingLayer| {
            let c = builder.build().unwrap();
            assert_eq!(c.endpoint.as_str(), url);
            assert_eq!(c.endpoint_origin, EndpointOrigin::Explicit(layer));
            c
        };

        let c = explicit(
            ImdsConfig::builder().env(&env).profile(profile),
            "http://from-env:1/",
            SettingLayer::Environment,
        );
        assert_eq!(
            c.endpoint_origin.to_string(),
            format!("environment variable {}", ENDPOINT.variable)
        );

        let c = explicit(
            ImdsConfig::builder()
                .endpoint("http://from-code:3")
                .timeout(Duration::from_millis(10))
                .max_attempts(0)
                .v1_fallback(true)
                .env(&env)
                .profile(profile),
            "http://from-code:3/",
            SettingLayer::Code,
        );
        assert_eq!(c.timeout, Duration::from_millis(10));
        assert_eq!(c.retry.max_attempts, 1, "at least one attempt");
        assert!(c.v1_fallback);

        explicit(
            ImdsConfig::builder().profile(profile),
            "http://from-profile:2/",
            SettingLayer::Profile,
        );
    }

    #[test]
    fn a_bad_environment_value_is_an_error_even_when_the_host_overrides_it() {
        let err = ImdsConfig::builder()
            .timeout(Duration::from_secs(1))
            .env(&Env::from_map([(TIMEOUT.variable, "soon")]))
            .build()
            .unwrap_err();
        assert_mentions(err.message(), &[TIMEOUT.variable]);
    }

    #[test]
    fn the_profile_switches_imdsv1_off_and_sets_the_timeout_below_the_environment() {
        let set = default_profile(&[(V1_DISABLED, "TRUE"), (TIMEOUT, "2.5")]);
        let over_profile = |env: &Env| {
            ImdsConfig::builder()
                .env(env)
                .profile(set.selected_profile())
                .build()
                .unwrap()
        };
        let none = Env::from_map::<&str, &str>([]);
        let c = over_profile(&none);
        assert!(
            !c.v1_fallback,
            "ec2_metadata_v1_disabled = true is honoured"
        );
        assert_eq!(c.timeout, Duration::from_millis(2500));

        let c = over_profile(&Env::from_map([
            (V1_DISABLED.variable, "false"),
            (TIMEOUT.variable, "3"),
        ]));
        assert!(c.v1_fallback, "the environment wins over the profile");
        assert_eq!(c.timeout, Duration::from_secs(3));

        let props = Env::from_map([(V1_DISABLED.variable, "false")]).with_system_properties([(
            V1_DISABLED.variable,
            "aws.disableEc2MetadataV1",
            "true",
        )]);
        assert!(
            !over_profile(&props).v1_fallback,
            "the system property wins over the environment"
        );

        // A bad profile value is an error, even where a good environment value overrides it.
        for (setting, bad, good) in [(V1_DISABLED, "yes", "false"), (TIMEOUT, "0", "3")] {
            let set = default_profile(&[(setting, bad)]);
            let named = format!("profile setting {}", profile_key(setting));
            for env in [none.clone(), Env::from_map([(setting.variable, good)])] {
                let err = ImdsConfig::builder()
                    .env(&env)
                    .profile(set.selected_profile())
                    .build()
                    .unwrap_err();
                assert_mentions(err.message(), &[&named]);
            }
        }
    }

    #[test]
    fn settings_from_system_properties_are_named_as_such() {
        let env = Env::from_map::<&str, &str>([]).with_system_properties([
            (DISABLED.variable, "aws.disableEc2Metadata", "true"),
            (
                ENDPOINT.variable,
                "aws.ec2MetadataServiceEndpoint",
                "http://127.0.0.1:9",
            ),
            (TIMEOUT.variable, "aws.ec2MetadataServiceTimeout", "soon"),
        ]);
        let err = from_env(&env).unwrap_err();
        assert!(
            err.message()
                .contains("Java system property aws.ec2MetadataServiceTimeout=\"soon\""),
            "{}",
            err.message()
        );
        let env = Env::from_map::<&str, &str>([]).with_system_properties([
            (DISABLED.variable, "aws.disableEc2Metadata", "true"),
            (
                ENDPOINT.variable,
                "aws.ec2MetadataServiceEndpoint",
                "http://127.0.0.1:9",
            ),
        ]);
        let c = from_env(&env).unwrap();
        assert_eq!(
            c.disabled_by().as_deref(),
            Some("Java system property aws.disableEc2Metadata=true")
        );
        assert_eq!(
            c.endpoint_origin.to_string(),
            "Java system property aws.ec2MetadataServiceEndpoint"
        );
    }

    #[test]
    fn only_a_switched_off_config_names_the_switch() {
        let off = from_env(&Env::from_map([(DISABLED.variable, "true")])).unwrap();
        assert_eq!(
            off.disabled_by().as_deref(),
            Some("AWS_EC2_METADATA_DISABLED=true")
        );
        assert_eq!(ImdsConfig::default().disabled_by(), None);
    }
}
