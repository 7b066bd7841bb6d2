//! IAM Identity Center (SSO) profiles, read as the AWS CLI v2 reads them: role credentials from
//! the portal's `GetRoleCredentials` ([`portal`]) with the access token the AWS CLI left in its
//! token cache ([`cache`]), refreshed with SSO OIDC `CreateToken` ([`oidc`]) for the
//! `[sso-session]` form.
//!
//! Two forms of profile:
//!
//! - legacy: `sso_start_url`, `sso_region`, `sso_account_id`, `sso_role_name` in the profile; the
//!   cache file is named after the start URL and the token is never refreshed here (the AWS CLI
//!   does not either);
//! - sso-session: `sso_session = NAME` with `sso_account_id` and `sso_role_name` in the profile,
//!   and `sso_start_url`, `sso_region` in `[sso-session NAME]`; the cache file is named after the
//!   session. When the access token is within [`TOKEN_REFRESH_WINDOW`] of its expiry (botocore's
//!   `SSOTokenProvider._REFRESH_WINDOW`) and the file holds a refresh token and an unexpired
//!   client registration, `CreateToken` refreshes it and the file is written back atomically.
//!   A failed refresh is not tried again for [`TOKEN_REFRESH_RETRY_INTERVAL`]; while the old
//!   token is still valid it is used.
//!
//! Nothing here is interactive: when the token has expired and cannot be refreshed, the error
//! says which `aws sso login` command to run. The role credentials are refreshed early by the
//! engine like every other source's.
//!
//! Endpoints, as the SDKs resolve them: `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC`,
//! then `AWS_ENDPOINT_URL`, then the profile's `services` section (`sso` / `sso_oidc`
//! `endpoint_url`), then its `endpoint_url`, else `https://portal.sso.{sso_region}.amazonaws.com`
//! and `https://oidc.{sso_region}.amazonaws.com` (FIPS and dual-stack variants as for STS).
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the configured ones. An `sso_region` that is
//! not a valid region name (`check_region`) is refused, naming its file and line.

pub mod cache;
pub mod oidc;
pub mod portal;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::{Clock, MonoTime};
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpPolicy;
use crate::sources::profile::{BaseStep, Platform, ProfileSet, Section};
use crate::sources::region::{check_region, setting_origin};
use crate::sources::retry::RetryPolicy;
use crate::sources::server_clock::ServerClock;
use crate::sources::sts::{
    configured_endpoints_ignored, dns_suffix, env_endpoint, EndpointVariants,
};
use crate::sources::{credential_source, Fetched, Probe};

use cache::CachedToken;
use oidc::OidcClient;
use portal::PortalClient;

/// How long before its expiry an access token is refreshed (botocore's `SSOTokenProvider`
/// `_REFRESH_WINDOW`, 15 minutes).
pub const TOKEN_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);
/// After a failed `CreateToken`, how long no new attempt is made (the token, if still valid, is
/// used meanwhile): bounds the request rate of a revoked refresh token to one per interval
/// whatever the refresh cadence of the role credentials.
pub const TOKEN_REFRESH_RETRY_INTERVAL: Duration = Duration::from_secs(30);
/// The largest portal or OIDC answer read (role credentials and tokens are under 4 KiB).
pub(crate) const MAX_SSO_RESPONSE_BYTES: usize = 64 * 1024;
/// How long connecting to the portal or OIDC may take.
pub(crate) const SSO_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one portal or OIDC request may take, connection included.
pub(crate) const SSO_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment variable naming the portal endpoint.
pub(crate) const ENV_ENDPOINT_URL_SSO: &str = "AWS_ENDPOINT_URL_SSO";
/// The environment variable naming the OIDC endpoint.
pub(crate) const ENV_ENDPOINT_URL_SSO_OIDC: &str = "AWS_ENDPOINT_URL_SSO_OIDC";
/// The error text of a profile that names an sso-session but no account and role: it is meant
/// for a token provider (a service that takes a bearer token), not for credentials.
pub(crate) const TOKEN_ONLY_PROFILE: &str =
    "selected profile will resolve an access token instead of credentials";

/// An endpoint and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL (no trailing path).
    pub url: String,
    /// Where it came from: an environment variable, a profile setting, or the regional default.
    pub origin: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.url, self.origin)
    }
}

impl Endpoint {
    fn not_a_url(&self) -> Error {
        Error::invalid_config(format!("endpoint {self} is not an http(s) URL"))
    }
}

/// Which IAM Identity Center service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Portal,
    Oidc,
}

impl Service {
    fn env_var(self) -> &'static str {
        match self {
            Service::Portal => ENV_ENDPOINT_URL_SSO,
            Service::Oidc => ENV_ENDPOINT_URL_SSO_OIDC,
        }
    }
    fn services_key(self) -> &'static str {
        match self {
            Service::Portal => "sso",
            Service::Oidc => "sso_oidc",
        }
    }
    fn host(self, fips: bool) -> &'static str {
        match (self, fips) {
            (Service::Portal, false) => "portal.sso",
            (Service::Portal, true) => "portal.sso-fips",
            (Service::Oidc, false) => "oidc",
            (Service::Oidc, true) => "oidc-fips",
        }
    }
}

fn resolve_endpoint(
    service: Service,
    env: &Env,
    profiles: Option<&ProfileSet>,
    region: &str,
    variants: EndpointVariants,
) -> Result<Endpoint> {
    if !configured_endpoints_ignored(env)? {
        let selected = profiles.and_then(|p| p.selected_profile());
        let configured = env_endpoint(env, service.env_var())
            .or_else(|| {
                let p = selected?;
                let section = profiles?.section("services", p.get("services")?)?;
                let url = section
                    .sub_properties(service.services_key())?
                    .get("endpoint_url")?
                    .clone();
                Some((
                    url,
                    format!(
                        "{}.endpoint_url of the services section of profile {}",
                        service.services_key(),
                        p.name()
                    ),
                ))
            })
            .or_else(|| {
                let p = selected?;
                let url = p.get("endpoint_url").filter(|u| !u.trim().is_empty())?;
                Some((
                    url.to_string(),
                    format!("endpoint_url of profile {}", p.name()),
                ))
            });
        if let Some((url, origin)) = configured {
            return Ok(Endpoint {
                url: url.trim().trim_end_matches('/').to_string(),
                origin,
            });
        }
    }
    let suffix = dns_suffix(region, variants.dual_stack);
    Ok(Endpoint {
        url: format!("https://{}.{region}.{suffix}", service.host(variants.fips)),
        origin: format!("regional default for sso_region {region}"),
    })
}

/// Everything an SSO source needs, resolved from the profile files and the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    /// The profile that holds the SSO settings.
    pub profile: String,
    /// `sso_session`, for the sso-session form.
    pub session: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// `sso_account_id`.
    pub account_id: String,
    /// `sso_role_name`.
    pub role_name: String,
    /// The token cache file.
    pub cache_file: PathBuf,
    /// The portal endpoint.
    pub portal: Endpoint,
    /// The OIDC endpoint.
    pub oidc: Endpoint,
    /// Trust and proxies of both endpoints ([`crate::http`]).
    pub http: HttpPolicy,
}

impl SsoSettings {
    /// The settings of a planned SSO step: `None` when `step` is not SSO. A token-only profile
    /// (an sso-session without `sso_account_id` / `sso_role_name`) is an
    /// [`ErrorKind::InvalidConfig`] error containing `TOKEN_ONLY_PROFILE`; no home directory
    /// is another, naming the variables.
    pub fn from_step(
        env: &Env,
        profiles: &ProfileSet,
        step: &BaseStep,
    ) -> Result<Option<SsoSettings>> {
        let BaseStep::Sso {
            sso_session,
            sso_region,
            sso_start_url,
            sso_account_id,
            sso_role_name,
            profile,
        } = step
        else {
            return Ok(None);
        };
        let (Some(account_id), Some(role_name)) = (sso_account_id, sso_role_name) else {
            return Err(Error::invalid_config(format!(
                "profile {profile}: {TOKEN_ONLY_PROFILE} (it has sso_session but no sso_account_id and sso_role_name)"
            )));
        };
        let platform = Platform::current();
        let home = crate::sources::profile::location::home_dir(env, platform).ok_or_else(|| {
            Error::invalid_config(format!(
                "profile {profile} uses IAM Identity Center, but no home directory is set (HOME) to find ~/.aws/sso/cache in"
            ))
        })?;
        let key = sso_session.as_deref().unwrap_or(sso_start_url);
        let cache_file = cache::cache_dir(&home).join(cache::cache_file_name(key));
        let region_origin = match sso_session {
            Some(session) => profiles
                .sso_session(session)
                .map(|s| setting_origin(s, Section::SsoSession, "sso_region")),
            None => profiles
                .profile(profile)
                .map(|p| setting_origin(p, Section::Profile, "sso_region")),
        }
        .unwrap_or_else(|| format!("`sso_region` of profile {profile}"));
        check_region(sso_region, &region_origin)?;
        let selected = profiles.selected_profile();
        let variants = EndpointVariants::resolve(
            env,
            selected.and_then(|p| p.get("use_fips_endpoint")),
            selected.and_then(|p| p.get("use_dualstack_endpoint")),
        )?;
        Ok(Some(SsoSettings {
            profile: profile.clone(),
            session: sso_session.clone(),
            start_url: sso_start_url.clone(),
            region: sso_region.clone(),
            account_id: account_id.clone(),
            role_name: role_name.clone(),
            cache_file,
            portal: resolve_endpoint(Service::Portal, env, Some(profiles), sso_region, variants)?,
            oidc: resolve_endpoint(Service::Oidc, env, Some(profiles), sso_region, variants)?,
            http: HttpPolicy::resolve(env, selected, &Default::default()),
        }))
    }

    /// The command that logs in again: `aws sso login --sso-session S` for the sso-session
    /// form, `aws sso login --profile P` for the legacy form.
    pub fn login_command(&self) -> String {
        match &self.session {
            Some(s) => format!("aws sso login --sso-session {s}"),
            None => format!("aws sso login --profile {}", self.profile),
        }
    }

    /// "sso-session S (start URL U)" or "start URL U".
    pub fn describe(&self) -> String {
        match &self.session {
            Some(s) => format!("sso-session {s} (start URL {})", self.start_url),
            None => format!("start URL {}", self.start_url),
        }
    }

    /// Whether this form refreshes its token (the sso-session form does; legacy never).
    pub(crate) fn refreshes_token(&self) -> bool {
        self.session.is_some()
    }

    /// What the token cache says now, read without any request.
    pub fn token_status(&self, now: DateTime<Utc>) -> TokenStatus {
        match CachedToken::load(&self.cache_file) {
            Err(e) => TokenStatus::Unreadable(e.full_message()),
            Ok(token) => {
                let cannot_refresh = if self.refreshes_token() {
                    token.cannot_refresh_because(now)
                } else {
                    Some(format!(
                        "profile {} uses the legacy form (sso_start_url in the profile), whose tokens are not refreshed; an [sso-session] section would be",
                        self.profile
                    ))
                };
                TokenStatus::Read {
                    expires_at: token.expires_at(),
                    cannot_refresh,
                }
            }
        }
    }
}

/// What the token cache holds for a profile (no token in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenStatus {
    /// The file could not be read or parsed: why (names the file and field).
    Unreadable(String),
    /// The file was read.
    Read {
        /// When the access token expires.
        expires_at: DateTime<Utc>,
        /// Why it cannot refresh itself, or `None` when it can.
        cannot_refresh: Option<String>,
    },
}

/// Role credentials from IAM Identity Center, with the access token of the AWS CLI's cache.
#[derive(Debug)]
pub struct SsoSource {
    settings: SsoSettings,
    portal: PortalClient,
    oidc: OidcClient,
    clock: Arc<dyn Clock>,
    name: String,
    /// When the last `CreateToken` failed (on the clock's monotonic line), and why.
    last_refresh_failure: Mutex<Option<(MonoTime, String)>>,
}

impl SsoSource {
    /// A source for `settings`, with the clock for retries and expiry checks and the chain's
    /// server clock.
    pub fn new(
        settings: SsoSettings,
        clock: Arc<dyn Clock>,
        server_clock: Arc<ServerClock>,
    ) -> Result<SsoSource> {
        for endpoint in [&settings.portal, &settings.oidc] {
            let ok = reqwest::Url::parse(&endpoint.url)
                .ok()
                .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if !ok {
                return Err(endpoint.not_a_url());
            }
        }
        let retry = RetryPolicy::default();
        let service = |what: &str, endpoint: &Endpoint| {
            ServiceClient::new(what, endpoint.clone(), &settings.http, retry, clock.clone())
        };
        Ok(SsoSource {
            portal: PortalClient::new(
                service("IAM Identity Center portal", &settings.portal)?,
                server_clock,
            ),
            oidc: OidcClient::new(service("SSO OIDC", &settings.oidc)?),
            name: format!("Profile({})/Sso", settings.profile),
            settings,
            clock,
            last_refresh_failure: Mutex::new(None),
        })
    }

    /// Sets the name used in reports and in the credentials' source.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The resolved settings.
    pub fn settings(&self) -> &SsoSettings {
        &self.settings
    }

    fn login_error(&self, kind: ErrorKind, detail: String) -> Error {
        Error::new(
            kind,
            format!(
                "{}: {detail}; run `{}` to sign in again",
                self.name,
                self.settings.login_command()
            ),
        )
    }

    /// The access token to use now: the cached one, refreshed first when it is due and can be.
    async fn access_token(&self) -> Result<CachedToken> {
        let token = CachedToken::load(&self.settings.cache_file).map_err(|e| {
            let kind = e.kind();
            self.login_error(
                kind,
                format!(
                    "the IAM Identity Center token for {} could not be read ({})",
                    self.settings.describe(),
                    e.full_message()
                ),
            )
        })?;
        let now = self.clock.wall();
        let window = chrono::Duration::from_std(TOKEN_REFRESH_WINDOW).unwrap_or_default();
        let mut why_not_refreshed = None;
        let token = if self.settings.refreshes_token() && token.expires_at() - now < window {
            match self.refresh(&token, now).await {
                Ok(fresh) => fresh,
                Err(reason) => {
                    why_not_refreshed = Some(reason);
                    token
                }
            }
        } else {
            token
        };
        if token.expires_at() <= now {
            let mut detail = format!(
                "the IAM Identity Center access token for {} in {} expired at {}",
                self.settings.describe(),
                token.path().display(),
                cache::format_time(token.expires_at())
            );
            match (&why_not_refreshed, self.settings.refreshes_token()) {
                (Some(why), _) => detail.push_str(&format!(" and could not be refreshed: {why}")),
                (None, false) => {
                    detail.push_str(" (legacy sso_start_url profiles are not refreshed)")
                }
                (None, true) => {}
            }
            return Err(self.login_error(ErrorKind::Expired, detail));
        }
        if let Some(why) = why_not_refreshed {
            tracing::warn!(source = %self.name, reason = %why, expires_at = %cache::format_time(token.expires_at()), "the IAM Identity Center token is due for refresh but was not refreshed; using it until it expires");
        }
        Ok(token)
    }

    /// Refreshes `token` with `CreateToken` and writes it back; on failure, why (no secret).
    async fn refresh(
        &self,
        token: &CachedToken,
        now: DateTime<Utc>,
    ) -> std::result::Result<CachedToken, String> {
        if let Some(reason) = token.cannot_refresh_because(now) {
            return Err(reason);
        }
        let mono = self.clock.now();
        {
            let last = self
                .last_refresh_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((at, why)) = &*last {
                let since = mono.saturating_sub(*at);
                if since < TOKEN_REFRESH_RETRY_INTERVAL {
                    return Err(format!(
                        "the last refresh failed {} s ago ({why}); it is tried again {} s after a failure",
                        since.as_secs(),
                        TOKEN_REFRESH_RETRY_INTERVAL.as_secs()
                    ));
                }
            }
        }
        let (Some(registration), Some(refresh_token)) =
            (token.registration(), token.refresh_token())
        else {
            return Err(format!("{} cannot be refreshed", token.path().display()));
        };
        match self.oidc.refresh(registration, refresh_token).await {
            Ok(new) => {
                // `expires_in` is at most `oidc::MAX_EXPIRES_IN`; added with a check all the
                // same: a panic here would lose the refresh token the service has just rotated.
                let expires_at = chrono::TimeDelta::from_std(new.expires_in)
                    .ok()
                    .and_then(|d| self.clock.wall().checked_add_signed(d))
                    .ok_or_else(|| {
                        format!(
                            "SSO OIDC CreateToken at {}: `expiresIn` of {} s is out of range",
                            self.oidc.endpoint(),
                            new.expires_in.as_secs()
                        )
                    })?;
                *self
                    .last_refresh_failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = None;
                let fresh = token.refreshed(
                    &new.access_token,
                    expires_at,
                    new.refresh_token.as_deref().map(String::as_str),
                );
                match fresh.store() {
                    Ok(()) => {
                        tracing::info!(source = %self.name, file = %token.path().display(), expires_at = %cache::format_time(expires_at), "refreshed the IAM Identity Center token (CreateToken) and wrote it back")
                    }
                    Err(e) => {
                        tracing::warn!(source = %self.name, error = %e.full_message(), "refreshed the IAM Identity Center token but could not write it back; the AWS CLI will not see the new token")
                    }
                }
                Ok(fresh)
            }
            Err(e) => {
                let why = e.full_message();
                *self
                    .last_refresh_failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some((self.clock.now(), why.clone()));
                Err(why)
            }
        }
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let token = self.access_token().await?;
        let fetched = self
            .portal
            .get_role_credentials(
                token.access_token(),
                &self.settings.account_id,
                &self.settings.role_name,
            )
            .await
            .map_err(|e| {
                let detail = format!(
                    "GetRoleCredentials for role {} in account {} with the token of {} failed: {}",
                    self.settings.role_name,
                    self.settings.account_id,
                    self.settings.describe(),
                    e.full_message()
                );
                if e.kind() == ErrorKind::Expired {
                    self.login_error(
                        ErrorKind::Expired,
                        format!("{detail} (the token was refused)"),
                    )
                } else {
                    Error::new(e.kind(), format!("{}: {detail}", self.name))
                }
            })?;
        tracing::debug!(source = %self.name, role = %self.settings.role_name, "got IAM Identity Center role credentials");
        Ok(fetched.attributed(&self.name, Some(self.settings.account_id.clone())))
    }

    /// The probe reads the token cache (local) but calls neither the portal nor OIDC.
    async fn probe_cache(&self) -> Probe {
        let now = self.clock.wall();
        match self.settings.token_status(now) {
            TokenStatus::Unreadable(why) => Probe::Failed(format!(
                "{}: {why}; run `{}`",
                self.name,
                self.settings.login_command()
            )),
            TokenStatus::Read {
                expires_at,
                cannot_refresh,
            } if expires_at <= now && cannot_refresh.is_some() => Probe::Failed(format!(
                "{}: the token for {} expired at {}; run `{}`",
                self.name,
                self.settings.describe(),
                cache::format_time(expires_at),
                self.settings.login_command()
            )),
            TokenStatus::Read { expires_at, .. } => Probe::Configured(format!(
                "{} would call GetRoleCredentials with the token of {} (expires {}; not called by the probe)",
                self.name,
                self.settings.describe(),
                cache::format_time(expires_at)
            )),
        }
    }
}

credential_source!(SsoSource, probe: probe_cache);

/// What the portal and the OIDC client share: an HTTP client for one endpoint, and the retry
/// policy timed on a clock.
#[derive(Debug)]
struct ServiceClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl ServiceClient {
    /// A client for the service `what` (in errors) at `endpoint`, with the trust and proxies of
    /// `http`; retries with `retry`, sleeping on `clock`.
    fn new(
        what: &str,
        endpoint: Endpoint,
        http: &HttpPolicy,
        retry: RetryPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<ServiceClient> {
        Ok(ServiceClient {
            http: http.service_client(what, SSO_CONNECT_TIMEOUT, SSO_TIMEOUT)?,
            endpoint,
            retry,
            clock,
        })
    }

    /// The URL of `path` (starting with `/`) below the endpoint.
    fn url(&self, path: &str) -> Result<reqwest::Url> {
        reqwest::Url::parse(&format!(
            "{}{path}",
            self.endpoint.url.trim_end_matches('/')
        ))
        .map_err(|_| self.endpoint.not_a_url())
    }

    /// Sends the request `build` makes from the HTTP client, with retries (each logged as a retry
    /// of `call`), and reads the answer's body; `what` names the request in errors. `observe`
    /// reads the headers of every answer (its value for the last one comes with the body); a
    /// non-2xx status is an error of kind `kind_of(status)`.
    async fn call<O>(
        &self,
        call: &str,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        kind_of: fn(u16) -> ErrorKind,
        observe: impl Fn(&reqwest::header::HeaderMap) -> O,
    ) -> Result<(O, zeroize::Zeroizing<Vec<u8>>)> {
        let attempt = || async {
            let response = build(&self.http)
                .send()
                .await
                .map_err(|e| transport_error(what, e))?;
            let status = response.status();
            let observed = observe(response.headers());
            let error_type = error_type_header(response.headers());
            let body = read_body(response, what).await?;
            if !status.is_success() {
                let kind = kind_of(status.as_u16());
                return Err(service_error(what, status, error_type, &body, kind));
            }
            Ok((observed, body))
        };
        self.retry
            .run_logged(self.clock.as_ref(), call, &self.endpoint.url, |_| attempt())
            .await
    }
}

fn transport_error(what: &str, e: reqwest::Error) -> Error {
    crate::http::transport_error(what, e)
}

async fn read_body(response: reqwest::Response, what: &str) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    use crate::sources::http_body::{read_limited, BodyError};
    read_limited(response, MAX_SSO_RESPONSE_BYTES, what)
        .await
        .map_err(|e| match e {
            BodyError::Transport(e) => transport_error(what, e),
            BodyError::TooLarge(e) => e,
        })
}

/// The `x-amzn-ErrorType` header (`UnauthorizedException:http://…` → `UnauthorizedException`).
fn error_type_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_string())
        .filter(|v| !v.is_empty())
}

fn status_kind(status: u16) -> ErrorKind {
    if status == 429 {
        ErrorKind::Throttled
    } else {
        ErrorKind::Http(status)
    }
}

/// The error for a non-2xx answer: the status, the AWS error type and the OAuth `error` code
/// (both names, never values of the request), and a `message` / `error_description` if short.
fn service_error(
    what: &str,
    status: reqwest::StatusCode,
    error_type: Option<String>,
    body: &[u8],
    kind: ErrorKind,
) -> Error {
    let doc = crate::credentials::SecretJson::parse(body).ok();
    let text = |key: &str| {
        doc.as_ref()
            .and_then(|d| d.0.get(key))
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(200).collect::<String>())
    };
    let mut msg = format!("{what} answered {status}");
    let code = error_type
        .or_else(|| text("__type"))
        .or_else(|| text("error"));
    if let Some(code) = code {
        msg.push_str(&format!(": {code}"));
    }
    if let Some(m) = text("message").or_else(|| text("error_description")) {
        msg.push_str(&format!(": {m}"));
    }
    Error::new(kind, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::sts::{ENV_ENDPOINT_URL, ENV_IGNORE_CONFIGURED_ENDPOINT_URLS};

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// The `service` endpoint for us-east-1 without variants.
    fn us_east_1_endpoint(service: Service, env: &Env, profiles: Option<&ProfileSet>) -> Endpoint {
        resolve_endpoint(
            service,
            env,
            profiles,
            "us-east-1",
            EndpointVariants::default(),
        )
        .unwrap()
    }

    #[test]
    fn regional_endpoints_follow_the_fips_and_dual_stack_variants() {
        let e = env(&[]);
        let portal = |fips, dual_stack| {
            resolve_endpoint(
                Service::Portal,
                &e,
                None,
                "us-east-2",
                EndpointVariants { fips, dual_stack },
            )
            .unwrap()
            .url
        };
        assert_eq!(
            portal(false, false),
            "https://portal.sso.us-east-2.amazonaws.com"
        );
        assert_eq!(
            portal(true, true),
            "https://portal.sso-fips.us-east-2.api.aws"
        );
        let oidc = resolve_endpoint(
            Service::Oidc,
            &e,
            None,
            "eu-west-1",
            EndpointVariants::default(),
        )
        .unwrap();
        assert_eq!(oidc.url, "https://oidc.eu-west-1.amazonaws.com");
    }

    #[test]
    fn service_variables_win_over_the_global_one_and_can_be_ignored() {
        let e = env(&[
            (ENV_ENDPOINT_URL_SSO, "http://127.0.0.1:1/"),
            (ENV_ENDPOINT_URL, "http://127.0.0.1:2"),
        ]);
        let portal = us_east_1_endpoint(Service::Portal, &e, None);
        assert_eq!(portal.url, "http://127.0.0.1:1");
        assert_eq!(portal.origin, ENV_ENDPOINT_URL_SSO);
        let oidc = us_east_1_endpoint(Service::Oidc, &e, None);
        assert_eq!(oidc.url, "http://127.0.0.1:2");
        let ignored = env(&[
            (ENV_ENDPOINT_URL_SSO, "http://127.0.0.1:1/"),
            (ENV_IGNORE_CONFIGURED_ENDPOINT_URLS, "true"),
        ]);
        let portal = us_east_1_endpoint(Service::Portal, &ignored, None);
        assert_eq!(portal.url, "https://portal.sso.us-east-1.amazonaws.com");
    }

    #[test]
    fn the_services_section_then_the_profile_endpoint_url_configure_endpoints() {
        let set = ProfileSet::parse(
            Some((
                "config",
                "[profile p]\nservices = local\nendpoint_url = http://127.0.0.1:3\n[services local]\nsso_oidc =\n  endpoint_url = http://127.0.0.1:4\n",
            )),
            None,
            "p",
        )
        .unwrap();
        let e = env(&[]);
        let oidc = us_east_1_endpoint(Service::Oidc, &e, Some(&set));
        assert_eq!(oidc.url, "http://127.0.0.1:4");
        let portal = us_east_1_endpoint(Service::Portal, &e, Some(&set));
        assert_eq!(portal.url, "http://127.0.0.1:3");
        assert!(
            portal.origin.contains("endpoint_url of profile p"),
            "{}",
            portal.origin
        );
    }

    #[test]
    fn the_login_command_names_the_session_or_the_profile() {
        let mut s = SsoSettings {
            profile: "dev".into(),
            session: Some("corp".into()),
            start_url: "https://x.awsapps.com/start".into(),
            region: "us-east-1".into(),
            account_id: "1".into(),
            role_name: "r".into(),
            cache_file: PathBuf::from("/nonexistent"),
            portal: Endpoint {
                url: "http://127.0.0.1:1".into(),
                origin: "t".into(),
            },
            oidc: Endpoint {
                url: "http://127.0.0.1:1".into(),
                origin: "t".into(),
            },
            http: HttpPolicy::default(),
        };
        assert_eq!(s.login_command(), "aws sso login --sso-session corp");
        s.session = None;
        assert_eq!(s.login_command(), "aws sso login --profile dev");
    }
}
