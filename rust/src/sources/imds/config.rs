//! IMDS settings: endpoint resolution (the AWS SDKs' rules) and the `AWS_*` knobs.

use std::time::Duration;

use reqwest::Url;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sources::retry::RetryPolicy;

/// Overrides the IMDS endpoint (a URL); wins over every other endpoint setting.
pub const ENV_ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
/// Chooses the default IMDS endpoint: `IPv4` or `IPv6` (case-insensitive).
pub const ENV_ENDPOINT_MODE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
/// Per-request timeout in seconds (fractions allowed).
pub const ENV_TIMEOUT: &str = "AWS_METADATA_SERVICE_TIMEOUT";
/// Attempts per request, the first included.
pub const ENV_NUM_ATTEMPTS: &str = "AWS_METADATA_SERVICE_NUM_ATTEMPTS";
/// `true` switches the IMDSv1 fallback off (IMDSv2 tokens are then required).
pub const ENV_V1_DISABLED: &str = "AWS_EC2_METADATA_V1_DISABLED";
/// `true` switches the IMDS credentials source off.
pub const ENV_DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
/// Profile-file key overriding the endpoint (below the environment variable).
pub const PROFILE_ENDPOINT: &str = "ec2_metadata_service_endpoint";
/// Profile-file key choosing the endpoint mode (below the environment variable).
pub const PROFILE_ENDPOINT_MODE: &str = "ec2_metadata_service_endpoint_mode";

/// The IPv4 IMDS endpoint, the default.
pub const IPV4_ENDPOINT: &str = "http://169.254.169.254";
/// The IPv6 IMDS endpoint (Nitro instances).
pub const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";

/// Default per-request timeout (the SDKs' 1 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// Default IMDSv2 session token lifetime: 6 hours, the maximum IMDS accepts.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(21600);
/// Default time a "not on EC2" verdict (connection refused, no route) is remembered.
pub const DEFAULT_NOT_ON_EC2_TTL: Duration = Duration::from_secs(60);

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

/// Resolves the IMDS endpoint like the AWS SDKs: an explicit endpoint wins (environment variable
/// over profile file), else the endpoint mode (environment variable over profile file), else IPv4.
///
/// Blank values count as unset. Every error names the setting it came from. Programmatic
/// overrides rank above the environment: see [`EndpointOverrides::resolve`].
pub fn resolve_endpoint(
    env_endpoint: Option<&str>,
    env_mode: Option<&str>,
    profile_endpoint: Option<&str>,
    profile_mode: Option<&str>,
) -> Result<Url> {
    EndpointOverrides::default().resolve(env_endpoint, env_mode, profile_endpoint, profile_mode)
}

/// Endpoint settings a host sets in code (e.g. from its own options). Like the SDKs' client
/// builders, each ranks above the environment variable of the same kind; an explicit endpoint
/// from any layer still wins over a mode from any layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    /// The endpoint URL.
    pub endpoint: Option<String>,
    /// The endpoint mode, `IPv4` or `IPv6`.
    pub mode: Option<String>,
}

impl EndpointOverrides {
    /// Resolves the endpoint from these overrides, then the environment, then the profile file.
    pub fn resolve(
        &self,
        env_endpoint: Option<&str>,
        env_mode: Option<&str>,
        profile_endpoint: Option<&str>,
        profile_mode: Option<&str>,
    ) -> Result<Url> {
        let endpoints = [
            (
                self.endpoint.as_deref(),
                "the IMDS endpoint override".to_string(),
            ),
            (env_endpoint, format!("environment variable {ENV_ENDPOINT}")),
            (
                profile_endpoint,
                format!("profile setting {PROFILE_ENDPOINT}"),
            ),
        ];
        if let Some((value, origin)) = endpoints
            .iter()
            .find_map(|(v, origin)| non_blank(*v).map(|v| (v, origin)))
        {
            return parse_endpoint(value, origin);
        }
        let modes = [
            (
                self.mode.as_deref(),
                "the IMDS endpoint mode override".to_string(),
            ),
            (
                env_mode,
                format!("environment variable {ENV_ENDPOINT_MODE}"),
            ),
            (
                profile_mode,
                format!("profile setting {PROFILE_ENDPOINT_MODE}"),
            ),
        ];
        match modes
            .iter()
            .find_map(|(v, origin)| non_blank(*v).map(|v| (v, origin)))
        {
            None => Ok(EndpointMode::IPv4.endpoint()),
            Some((value, origin)) => EndpointMode::parse(value)
                .map(EndpointMode::endpoint)
                .ok_or_else(|| {
                    Error::invalid_config(format!(
                        "`{}` is not a valid endpoint mode (from {origin}; expected `IPv4` or `IPv6`)",
                        value.trim()
                    ))
                }),
        }
    }
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

fn non_blank(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

/// Characters allowed in a URI (RFC 3986 unreserved, reserved, and `%`).
fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// How the IMDS client and credentials source behave. Build it with [`ImdsConfig::from_env`]
/// (the SDK environment variables) or start from [`ImdsConfig::default`] and set fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ImdsConfig {
    /// Base URL; request paths such as `/latest/api/token` are appended to it.
    pub endpoint: Url,
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
    /// How long a "not on EC2" verdict (connection refused, no route) short-circuits requests.
    pub not_on_ec2_ttl: Duration,
}

impl Default for ImdsConfig {
    fn default() -> Self {
        ImdsConfig {
            endpoint: EndpointMode::IPv4.endpoint(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            token_ttl: DEFAULT_TOKEN_TTL,
            v1_fallback: true,
            disabled: false,
            not_on_ec2_ttl: DEFAULT_NOT_ON_EC2_TTL,
        }
    }
}

impl ImdsConfig {
    /// Reads the AWS SDK environment variables (no profile file).
    pub fn from_env(env: &Env) -> Result<ImdsConfig> {
        Self::from_env_and_profile(env, None, None)
    }

    /// Reads the AWS SDK environment variables, with the profile file's
    /// `ec2_metadata_service_endpoint` / `ec2_metadata_service_endpoint_mode` as a lower layer.
    /// Each bad value is an `InvalidConfig` error naming the variable.
    pub fn from_env_and_profile(
        env: &Env,
        profile_endpoint: Option<&str>,
        profile_mode: Option<&str>,
    ) -> Result<ImdsConfig> {
        Self::from_layers(
            &EndpointOverrides::default(),
            env,
            profile_endpoint,
            profile_mode,
        )
    }

    /// Like [`ImdsConfig::from_env_and_profile`], with a host's endpoint overrides above the
    /// environment (the other settings a host overrides by setting fields afterwards).
    pub fn from_layers(
        overrides: &EndpointOverrides,
        env: &Env,
        profile_endpoint: Option<&str>,
        profile_mode: Option<&str>,
    ) -> Result<ImdsConfig> {
        let mut config = ImdsConfig {
            endpoint: overrides.resolve(
                env.get(ENV_ENDPOINT).as_deref(),
                env.get(ENV_ENDPOINT_MODE).as_deref(),
                profile_endpoint,
                profile_mode,
            )?,
            ..ImdsConfig::default()
        };
        if let Some(secs) = env.get_number::<f64>(ENV_TIMEOUT)? {
            if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
                return Err(Error::invalid_config(format!(
                    "environment variable {ENV_TIMEOUT}={secs} must be a number of seconds above 0 and at most 3600"
                )));
            }
            config.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(attempts) = env.get_number::<u32>(ENV_NUM_ATTEMPTS)? {
            if attempts == 0 {
                return Err(Error::invalid_config(format!(
                    "environment variable {ENV_NUM_ATTEMPTS}=0 must be at least 1"
                )));
            }
            config.retry.max_attempts = attempts;
        }
        if let Some(v1_disabled) = env.get_bool(ENV_V1_DISABLED)? {
            config.v1_fallback = !v1_disabled;
        }
        if let Some(disabled) = env.get_bool(ENV_DISABLED)? {
            config.disabled = disabled;
        }
        Ok(config)
    }

    /// The full URL of `path` (e.g. `/latest/api/token`) below the endpoint.
    pub fn url(&self, path: &str) -> String {
        let base = self.endpoint.as_str().trim_end_matches('/');
        format!("{base}/{}", path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn defaults_match_the_sdks() {
        let c = ImdsConfig::from_env(&Env::from_map::<&str, &str>([])).unwrap();
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
        let env = Env::from_map([
            (ENV_TIMEOUT, "0.25"),
            (ENV_NUM_ATTEMPTS, "5"),
            (ENV_V1_DISABLED, "TRUE"),
            (ENV_DISABLED, "false"),
            (ENV_ENDPOINT_MODE, "ipv6"),
        ]);
        let c = ImdsConfig::from_env(&env).unwrap();
        assert_eq!(c.timeout, Duration::from_millis(250));
        assert_eq!(c.retry.max_attempts, 5);
        assert!(!c.v1_fallback && !c.disabled);
        assert_eq!(
            c.url("latest/api/token"),
            "http://[fd00:ec2::254]/latest/api/token"
        );

        for (var, value) in [
            (ENV_TIMEOUT, "soon"),
            (ENV_TIMEOUT, "-1"),
            (ENV_NUM_ATTEMPTS, "0"),
            (ENV_V1_DISABLED, "yes"),
            (ENV_DISABLED, "1"),
            (ENV_ENDPOINT_MODE, "IPv5"),
            (ENV_ENDPOINT, "ftp://host"),
        ] {
            let err = ImdsConfig::from_env(&Env::from_map([(var, value)])).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{var}={value}");
            assert!(err.message().contains(var), "{var}: {}", err.message());
        }
    }

    #[test]
    fn an_endpoint_with_a_path_keeps_it() {
        let url = resolve_endpoint(Some("http://127.0.0.1:9/imds/"), None, None, None).unwrap();
        let c = ImdsConfig {
            endpoint: url,
            ..ImdsConfig::default()
        };
        assert_eq!(
            c.url("/latest/api/token"),
            "http://127.0.0.1:9/imds/latest/api/token"
        );
    }
}
