//! Container credentials (ECS task roles, EKS Pod Identity, Greengrass and other local credential
//! servers): `GET` a JSON document from a local endpoint.
//!
//! The endpoint is `http://169.254.170.2` + `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, else
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which must be `https` or point at a loopback address,
//! `169.254.170.2` (ECS), `169.254.170.23` or `fd00:ec2::23` (EKS Pod Identity); a host name must
//! resolve only to such addresses. The `Authorization` header comes from the file named by
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read again at every fetch, and preferred), else from
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`. Like botocore, the token is sent as is: a token with a
//! CR or LF (a trailing newline included) is refused rather than trimmed.
//!
//! Container traffic never goes through an HTTP proxy and never follows redirects
//! ([`crate::http::local_client`]). An https endpoint is verified with the trust of
//! [`crate::http::trust`] (`AWS_CA_BUNDLE`, the platform's store, the host's roots).
//!
//! Hostile values are refused: the relative URI must be a path (starting with `/`), so it can
//! never change the host (`@127.0.0.1:8080/x` or `.evil.example/x` appended to the ECS host would);
//! a host name in a plain-http full URI is looked up once, with a timeout
//! ([`DEFAULT_CONTAINER_DNS_TIMEOUT`]), and the request connects to exactly the addresses that
//! were checked (no second lookup that could answer differently). Answers are read up to
//! [`MAX_CONTAINER_RESPONSE_BYTES`] and the buffer is zeroized.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::Url;

use crate::clock::{Clock, SystemClock};
use crate::credentials::{debug_shows, Secret};
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpPolicy, TrustSettings};
use crate::sources::credentials_document::{self, Format};
pub use crate::sources::http_body::MAX_CONTAINER_RESPONSE_BYTES;
use crate::sources::http_body::{read_limited, transport_error, BodyError};
use crate::sources::retry::RetryPolicy;
use crate::sources::server_clock::{DateOrigin, ServerClock};
use crate::sources::{credential_source, BoxFuture, Fetched};

/// The ECS credentials host that relative URIs are appended to.
pub(crate) const ECS_BASE_URL: &str = "http://169.254.170.2";
/// The relative URI variable (ECS).
pub const ENV_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// The full URI variable (EKS Pod Identity, Greengrass, local servers).
pub const ENV_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The SDKs' variable for another host of relative URIs: refused
/// ([`crate::sdk_settings::CONTAINER_SERVICE_ENDPOINT_REFUSED`]).
pub(crate) const ENV_SERVICE_ENDPOINT: &str = "AWS_CONTAINER_SERVICE_ENDPOINT";
/// The variable holding the `Authorization` header value.
pub const ENV_AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// The variable naming a file that holds the `Authorization` header value.
pub const ENV_AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
/// How long connecting to the endpoint may take.
pub(crate) const DEFAULT_CONTAINER_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one request may take, connection included.
pub const DEFAULT_CONTAINER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long looking up the host name of a plain-http full URI (to check it) may take.
pub const DEFAULT_CONTAINER_DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// The source that credentials parsed from an answer are attributed to.
const PARSED_SOURCE: &str = "ContainerCredentials";
const ECS_HOST: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 2);
const EKS_HOST_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 23);
const EKS_HOST_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23);

/// The request a fetch will send: where, and with which `Authorization` value.
#[derive(Clone, PartialEq, Eq)]
pub struct ContainerRequest {
    /// The credentials URL.
    pub url: Url,
    /// The variable the URL came from ([`ENV_RELATIVE_URI`] or [`ENV_FULL_URI`]).
    pub uri_variable: &'static str,
    authorization: Option<Secret>,
    connect_to: Option<Vec<SocketAddr>>,
}

impl ContainerRequest {
    /// The `Authorization` header value, if a token is configured. Never log it.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_ref().map(Secret::expose)
    }
}

impl fmt::Debug for ContainerRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerRequest")
            .field("url", &display_url(&self.url))
            .field("uri_variable", &self.uri_variable)
            .field("authorization", &self.authorization)
            .field("connect_to", &self.connect_to)
            .finish()
    }
}

/// Looks up host names (the system resolver by default).
pub trait HostLookup: Send + Sync {
    /// The addresses of `host`, with `port` filled in.
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>>;
}

/// The system resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemLookup;

impl HostLookup for SystemLookup {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// Credentials from the container credentials endpoint.
pub struct ContainerCredentialsSource {
    env: Env,
    http: reqwest::Client,
    /// The client of an https endpoint, built at its first use with `trust`.
    https: once_cell::sync::OnceCell<reqwest::Client>,
    trust: TrustSettings,
    connect_timeout: Duration,
    timeout: Duration,
    lookup: Arc<dyn HostLookup>,
    dns_timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    name: String,
    server_clock: Arc<ServerClock>,
}

// The environment is left out: it may hold the authorization token and other secrets.
debug_shows!(ContainerCredentialsSource { name, retry });

impl ContainerCredentialsSource {
    /// A source reading its settings from `env` at every fetch, with the default timeouts,
    /// retry policy and the system clock.
    pub fn new(env: Env) -> Result<Self> {
        Self::with_timeouts(
            env,
            DEFAULT_CONTAINER_CONNECT_TIMEOUT,
            DEFAULT_CONTAINER_TIMEOUT,
        )
    }

    /// Like [`ContainerCredentialsSource::new`] with explicit connect and request timeouts.
    pub(crate) fn with_timeouts(
        env: Env,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self> {
        let http = http_client(connect_timeout, timeout, None, None)?;
        let trust = TrustSettings::resolve(&env, None);
        Ok(ContainerCredentialsSource {
            env,
            http,
            https: once_cell::sync::OnceCell::new(),
            trust,
            connect_timeout,
            timeout,
            lookup: Arc::new(SystemLookup),
            dns_timeout: DEFAULT_CONTAINER_DNS_TIMEOUT,
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock::new()),
            name: "ContainerCredentials".to_string(),
            server_clock: Arc::new(ServerClock::new()),
        })
    }

    /// Verifies an https endpoint with the trust of `http` (usually the chain's: the selected
    /// profile's `ca_bundle`, the host's roots) instead of the environment's alone. Its proxies
    /// do not apply: container traffic never uses a proxy.
    pub(crate) fn with_http_policy(mut self, http: &HttpPolicy) -> Self {
        self.trust = http.trust().clone();
        self.https = once_cell::sync::OnceCell::new();
        self
    }

    /// Sets the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the clock used to wait between retries.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Feeds every answer's `Date` header to `server_clock` (usually the chain's).
    pub fn with_server_clock(mut self, server_clock: Arc<ServerClock>) -> Self {
        self.server_clock = server_clock;
        self
    }

    /// Sets the name used in reports and in the credentials' source.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how host names of plain-http full URIs are looked up, and how long a lookup may take.
    pub fn with_host_lookup(mut self, lookup: Arc<dyn HostLookup>, timeout: Duration) -> Self {
        self.lookup = lookup;
        self.dns_timeout = timeout;
        self
    }

    /// Whether either URI variable is set (the chain's cheap "is this configured" check).
    pub fn is_configured(env: &Env) -> bool {
        env.get_non_blank(ENV_RELATIVE_URI).is_some() || env.get_non_blank(ENV_FULL_URI).is_some()
    }

    /// Works out the request from the environment: the URL (validated, host names resolved) and
    /// the `Authorization` value (the token file read now).
    pub async fn resolve(&self) -> Result<ContainerRequest> {
        let (url, uri_variable, connect_to) =
            resolve_url(&self.env, self.lookup.as_ref(), self.dns_timeout).await?;
        let authorization = resolve_token(&self.env).await?.map(Secret::from);
        Ok(ContainerRequest {
            url,
            uri_variable,
            authorization,
            connect_to,
        })
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let request = self.resolve().await?;
        // A checked host name: a client that connects only to the checked addresses.
        let pinned;
        let http = match (&request.connect_to, request.url.host_str()) {
            (Some(addrs), Some(host)) => {
                pinned = http_client(
                    self.connect_timeout,
                    self.timeout,
                    None,
                    Some((host, addrs)),
                )?;
                &pinned
            }
            _ if request.url.scheme() == "https" => self.https.get_or_try_init(|| {
                http_client(self.connect_timeout, self.timeout, Some(&self.trust), None)
            })?,
            _ => &self.http,
        };
        let fetched = self
            .retry
            .run_logged(
                self.clock.as_ref(),
                "container credentials",
                &display_url(&request.url),
                |_| self.attempt(http, &request),
            )
            .await?;
        Ok(fetched.attributed(&self.name, None))
    }

    async fn attempt(&self, http: &reqwest::Client, request: &ContainerRequest) -> Result<Fetched> {
        let shown = format!(
            "GET {} ({})",
            display_url(&request.url),
            request.uri_variable
        );
        let mut builder = http
            .get(request.url.clone())
            .header(ACCEPT, "application/json");
        if let Some(token) = &request.authorization {
            let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
                Error::invalid_config(
                    "the container authorization token contains characters not allowed in an HTTP header",
                )
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&shown, e))?;
        let status = response.status();
        let server_date = self.server_clock.observe_header(
            response.headers(),
            self.clock.wall(),
            DateOrigin::CredentialsEndpoint,
            &display_url(&request.url),
        );
        let body = read_limited(response, MAX_CONTAINER_RESPONSE_BYTES, &shown)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => transport_error(&shown, e),
                BodyError::TooLarge(e) => e,
            })?;
        if !status.is_success() {
            return Err(status_error(&shown, status, &body));
        }
        // `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`; errors name the field,
        // never its value.
        let credentials = credentials_document::parse_credentials(
            &body,
            Format::Container,
            PARSED_SOURCE,
            &shown,
        )?;
        Ok(Fetched {
            credentials,
            server_date,
        })
    }
}

credential_source!(ContainerCredentialsSource);

/// The HTTP client: no proxy, no redirects; with `trust`, for an https endpoint; with
/// `pinned`, the host name connects only to the given addresses (reqwest does no lookup of its
/// own for it).
fn http_client(
    connect_timeout: Duration,
    timeout: Duration,
    trust: Option<&TrustSettings>,
    pinned: Option<(&str, &[SocketAddr])>,
) -> Result<reqwest::Client> {
    crate::http::local_client(
        "container credentials",
        connect_timeout,
        timeout,
        trust,
        pinned,
    )
}

/// `scheme://host[:port]/path`: no user info, no query (either may carry secrets).
fn display_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    shown
}

async fn resolve_url(
    env: &Env,
    lookup: &dyn HostLookup,
    dns_timeout: Duration,
) -> Result<(Url, &'static str, Option<Vec<SocketAddr>>)> {
    if let Some(relative) = env.get_non_blank(ENV_RELATIVE_URI) {
        let moved = env
            .get_non_blank(ENV_SERVICE_ENDPOINT)
            .is_some_and(|e| e.trim().trim_end_matches('/') != ECS_BASE_URL);
        if moved {
            return Err(Error::invalid_config(format!(
                "{} is not supported: {}",
                env.describe(ENV_SERVICE_ENDPOINT),
                crate::sdk_settings::CONTAINER_SERVICE_ENDPOINT_REFUSED
            )));
        }
        return Ok((relative_url(relative.trim())?, ENV_RELATIVE_URI, None));
    }
    let Some(full) = env.get_non_blank(ENV_FULL_URI) else {
        return Err(Error::not_configured(format!(
            "No environment variables were set to configure ECS provider (container credentials): \
             neither {ENV_RELATIVE_URI} nor {ENV_FULL_URI} is set"
        )));
    };
    let url = match Url::parse(full.trim()) {
        Ok(url) if url.host().is_some() => url,
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) | Err(url::ParseError::EmptyHost) => {
            return Err(Error::invalid_config(format!(
                "{ENV_FULL_URI} is not usable: URI did not specify a host"
            )))
        }
        Err(e) => {
            return Err(Error::invalid_config(format!(
                "{ENV_FULL_URI} is not a valid URL: {e}"
            )))
        }
    };
    match url.scheme() {
        "https" => return Ok((url, ENV_FULL_URI, None)),
        "http" => {}
        other => {
            return Err(Error::invalid_config(format!(
                "{ENV_FULL_URI} has scheme {other:?}: only http and https are supported"
            )))
        }
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let refused = |detail: &str| {
        Error::invalid_config(format!(
            "{ENV_FULL_URI} is refused: '{host}' is not an allowed host{detail} (a plain-http \
             container endpoint must be a loopback address, 169.254.170.2, 169.254.170.23 or \
             [fd00:ec2::23]; any https endpoint is allowed)"
        ))
    };
    let (allowed, connect_to) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (allowed_ip(IpAddr::V4(ip)), None),
        Some(url::Host::Ipv6(ip)) => (allowed_ip(IpAddr::V6(ip)), None),
        Some(url::Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(80);
            let unresolved = |detail: String| {
                Error::invalid_config(format!(
                    "{ENV_FULL_URI}: host '{host}' could not be resolved to check that it is a loopback address: {detail}"
                ))
            };
            let addrs = tokio::time::timeout(dns_timeout, lookup.lookup(name, port))
                .await
                .map_err(|_| unresolved(format!("the lookup took longer than {dns_timeout:?}")))?
                .map_err(|e| unresolved(e.to_string()))?;
            if let Some(bad) = addrs.iter().find(|a| !allowed_ip(a.ip())) {
                return Err(refused(&format!(" (it resolves to {})", bad.ip())));
            }
            (!addrs.is_empty(), Some(addrs))
        }
        None => (false, None),
    };
    if !allowed {
        return Err(refused(""));
    }
    Ok((url, ENV_FULL_URI, connect_to))
}

/// `http://169.254.170.2` + the relative URI, which must be a path: anything else could make the
/// host part of the URL (`@host:port/x` adds user info and changes the host, `.evil.example/x` or
/// `:8080/x` extend it).
fn relative_url(relative: &str) -> Result<Url> {
    if !relative.starts_with('/') {
        return Err(Error::invalid_config(format!(
            "{ENV_RELATIVE_URI} must be a path starting with '/' (it is appended to {ECS_BASE_URL}); \
             a value starting with {:?} is refused because it would change the host",
            relative.chars().next().unwrap_or_default()
        )));
    }
    let url = Url::parse(&format!("{ECS_BASE_URL}{relative}")).map_err(|e| {
        Error::invalid_config(format!(
            "{ENV_RELATIVE_URI} does not make a valid URL when appended to {ECS_BASE_URL}: {e}"
        ))
    })?;
    // Belt and braces: whatever the parser made of it, the request goes to the ECS host only.
    if url.host() != Some(url::Host::Ipv4(ECS_HOST))
        || url.port().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::invalid_config(format!(
            "{ENV_RELATIVE_URI} is refused: appended to {ECS_BASE_URL} it does not name the ECS credentials host"
        )));
    }
    Ok(url)
}

/// Loopback, or one of the ECS / EKS link-local credential hosts.
fn allowed_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4 == ECS_HOST || v4 == EKS_HOST_V4,
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6 == EKS_HOST_V6
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| allowed_ip(IpAddr::V4(v4)))
        }
    }
}

async fn resolve_token(env: &Env) -> Result<Option<String>> {
    let (token, origin) = if let Some(path) = env.get_non_blank(ENV_AUTH_TOKEN_FILE) {
        let token = tokio::fs::read_to_string(&path).await.map_err(|e| {
            Error::invalid_config(format!(
                "failed to read authorization token from '{path}': {} (file named by {ENV_AUTH_TOKEN_FILE})",
                io_reason(&e)
            ))
        })?;
        (token, format!("the file '{path}' ({ENV_AUTH_TOKEN_FILE})"))
    } else if let Some(token) = env.get(ENV_AUTH_TOKEN) {
        (token, ENV_AUTH_TOKEN.to_string())
    } else {
        return Ok(None);
    };
    if token.contains(['\r', '\n']) {
        return Err(Error::invalid_config(format!(
            "the container authorization token from {origin} contains a line break (CR or LF, a \
             trailing newline included), which cannot be sent in an HTTP header"
        )));
    }
    if token.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(token))
}

/// An I/O error in lower case without the OS error number (`no such file or directory`).
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.to_lowercase()
}

fn status_error(shown: &str, status: reqwest::StatusCode, body: &[u8]) -> Error {
    let kind = if status.as_u16() == 429 {
        ErrorKind::Throttled
    } else {
        ErrorKind::Http(status.as_u16())
    };
    // An error document may say why ({"Code": …, "Message": …}); nothing else of the body is shown.
    let doc: Option<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(body).ok();
    let pick = |names: [&str; 2]| -> Option<String> {
        let doc = doc.as_ref()?;
        names
            .iter()
            .find_map(|n| doc.get(*n).and_then(|v| v.as_str()).map(str::to_string))
    };
    let code = pick(["Code", "code"]);
    let message = pick(["Message", "message"]);
    let mut text = if code.is_some() || message.is_some() {
        format!("{shown}: received error response from credentials endpoint: {status}")
    } else {
        format!("{shown}: received non-2xx response from credentials endpoint: {status}")
    };
    if let Some(code) = code {
        text.push_str(&format!(" (Code: {code})"));
    }
    if let Some(message) = message {
        text.push_str(&format!(": {message}"));
    }
    Error::new(kind, text)
}

/// Fuzzing entry point: parses `body` as a container credentials answer (and as an error
/// document), and checks that any relative URI either is refused or names the ECS host. Not an
/// API.
#[doc(hidden)]
pub fn fuzz_container(body: &[u8]) {
    if let Ok(c) =
        credentials_document::parse_credentials(body, Format::Container, PARSED_SOURCE, "GET fuzz")
    {
        assert!(!c.access_key_id().is_empty() && !c.secret_access_key().is_empty());
    }
    let _ = status_error("GET fuzz", reqwest::StatusCode::FORBIDDEN, body);
    if let Ok(relative) = std::str::from_utf8(body) {
        if let Ok(url) = relative_url(relative) {
            assert_eq!(url.host(), Some(url::Host::Ipv4(ECS_HOST)), "{relative:?}");
            assert_eq!(url.port_or_known_default(), Some(80), "{relative:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_are_loopback_and_the_ecs_and_eks_addresses() {
        for ok in [
            "127.0.0.1",
            "127.0.0.2",
            "::1",
            "169.254.170.2",
            "169.254.170.23",
            "fd00:ec2::23",
        ] {
            assert!(allowed_ip(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "192.168.1.1",
            "169.254.170.3",
            "169.254.169.254",
            "10.0.0.1",
            "fd00:ec2::24",
        ] {
            assert!(!allowed_ip(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn request_debug_redacts_the_token_and_the_query() {
        let r = ContainerRequest {
            url: Url::parse("http://127.0.0.1:8080/creds?sig=abc").unwrap(),
            uri_variable: ENV_FULL_URI,
            authorization: Some("Bearer t0psecret".into()),
            connect_to: None,
        };
        let text = format!("{r:?}");
        assert!(!text.contains("t0psecret"), "{text}");
        assert!(!text.contains("sig=abc"), "{text}");
        assert!(text.contains("127.0.0.1:8080/creds"), "{text}");
    }

    #[test]
    fn error_answers_show_code_and_message_but_not_other_fields() {
        let e = status_error(
            "GET x",
            reqwest::StatusCode::UNAUTHORIZED,
            br#"{"Code":"TokenNotFound","Message":"no","SecretAccessKey":"leak"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Http(401));
        assert!(
            e.message()
                .contains("401 Unauthorized (Code: TokenNotFound): no"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("leak"));
        let e = status_error("GET x", reqwest::StatusCode::TOO_MANY_REQUESTS, b"");
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert!(e.is_retryable());
    }
}
