//! A small AWS STS client: `AssumeRole`, `AssumeRoleWithWebIdentity` and `GetCallerIdentity`
//! over the query protocol (form-encoded `POST /`, XML answers), signed with SigV4 by the
//! `aws-sigv4` crate.
//!
//! Endpoint resolution follows the AWS SDKs: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then
//! an endpoint from the profile (passed in by the caller), else the regional endpoint
//! `https://sts.{region}.amazonaws.com` (its FIPS and dual-stack variants when
//! `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` or the profile's `use_fips_endpoint` /
//! `use_dualstack_endpoint` ask for them). The region comes from `AWS_REGION`, `AWS_DEFAULT_REGION`,
//! the profile's `region`, else `us-east-1`; a region that is not a valid region name (a DNS label:
//! `check_region`) is refused, naming where it came from, before any request.
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the configured endpoints. Trust
//! (`AWS_CA_BUNDLE`, the profile's `ca_bundle`, the platform's store) and proxies (`HTTPS_PROXY`,
//! `NO_PROXY`, …) are those of [`crate::http`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use chrono::{DateTime, Utc};
use reqwest::Url;

use crate::clock::{Clock, SystemClock};
use crate::credentials::{Credentials, Secret};
use crate::env::{bool_setting, Env};
use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpPolicy;
use crate::sources::region::{check_region, region_from_env};
use crate::sources::retry::RetryPolicy;
use crate::sources::server_clock::{exceeds_threshold, DateOrigin, ServerClock};
use crate::sources::Fetched;

mod xml;

use xml::{Field, StsXml, XmlError, MAX_STS_XML_DEPTH, MAX_STS_XML_EVENTS};

/// The STS API version every request names.
pub const STS_API_VERSION: &str = "2011-06-15";
/// The region used when nothing configures one.
pub(crate) const DEFAULT_STS_REGION: &str = "us-east-1";
/// How long connecting to STS may take.
pub(crate) const DEFAULT_STS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one STS request may take, connection included.
pub(crate) const DEFAULT_STS_TIMEOUT: Duration = Duration::from_secs(10);
/// The SigV4 signing name of STS.
const SIGNING_NAME: &str = "sts";

/// Error codes with which AWS refuses a request signed too far from its own time (the AWS SDK
/// for Java v2's `AwsErrorCode.CLOCK_SKEW_ERROR_CODES`; STS itself answers
/// `SignatureDoesNotMatch` with "Signature expired: …"). Such a refusal is retried once, signed
/// with the offset the refusal's `Date` header shows, when that offset exceeds
/// [`SIGNING_SKEW_THRESHOLD`](crate::sources::server_clock::SIGNING_SKEW_THRESHOLD).
pub(crate) const CLOCK_SKEW_ERROR_CODES: &[&str] = &[
    "RequestTimeTooSkewed",
    "RequestExpired",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "RequestInTheFuture",
];

/// The environment variable naming an STS-only endpoint.
pub(crate) const ENV_ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
/// The environment variable naming an endpoint for every service.
pub(crate) const ENV_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// The environment variable asking for FIPS endpoints.
pub(crate) const ENV_USE_FIPS_ENDPOINT: &str = "AWS_USE_FIPS_ENDPOINT";
/// The environment variable asking for dual-stack (IPv6) endpoints.
pub(crate) const ENV_USE_DUALSTACK_ENDPOINT: &str = "AWS_USE_DUALSTACK_ENDPOINT";
/// The environment variable that switches configured endpoints off.
pub(crate) const ENV_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// Whether [`ENV_IGNORE_CONFIGURED_ENDPOINT_URLS`] switches configured endpoints off.
pub(crate) fn configured_endpoints_ignored(env: &Env) -> Result<bool> {
    Ok(env
        .get_bool(ENV_IGNORE_CONFIGURED_ENDPOINT_URLS)?
        .unwrap_or(false))
}

/// The endpoint the environment configures for a service: `service_var` (such as
/// [`ENV_ENDPOINT_URL_STS`]), else [`ENV_ENDPOINT_URL`]; with the variable's name as its origin.
pub(crate) fn env_endpoint(env: &Env, service_var: &str) -> Option<(String, String)> {
    [service_var, ENV_ENDPOINT_URL]
        .into_iter()
        .find_map(|var| env.get_non_blank(var).map(|url| (url, var.to_string())))
}

/// What a profile may say about STS (the caller resolves the profile; these are plain values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsProfileSettings {
    /// The profile's `region`.
    pub region: Option<String>,
    /// The STS endpoint from the profile: its `services` section's `sts.endpoint_url`, else its
    /// `endpoint_url`.
    pub endpoint_url: Option<String>,
    /// Where these settings came from, for error messages (e.g. `profile dev in ~/.aws/config`).
    pub origin: Option<String>,
    /// Where `region` was set, for error messages (e.g. `` `region` of profile dev
    /// (~/.aws/config, line 3) ``); `None`: `region` of [`origin`](Self::origin).
    pub region_origin: Option<String>,
}

/// The resolved configuration of an [`StsClient`].
#[derive(Debug, Clone)]
pub struct StsSettings {
    /// The endpoint requests are sent to (`POST {endpoint}`).
    pub endpoint: String,
    /// Where the endpoint came from (an environment variable, the profile, or `regional default`).
    pub endpoint_origin: String,
    /// The signing region (a valid region name: `check_region`).
    pub region: String,
    /// Where the region came from (an environment variable, a profile setting, the default).
    pub region_origin: String,
    /// Retries of connection failures, timeouts, throttling and 5xx answers.
    pub retry: RetryPolicy,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Trust and proxies ([`crate::http`]).
    pub http: HttpPolicy,
}

impl StsSettings {
    /// Resolves the endpoint and region from the environment and the profile, like the SDKs
    /// (FIPS and dual-stack variants from the environment only: see
    /// [`StsSettings::resolve_with_variants`]).
    pub fn resolve(env: &Env, profile: &StsProfileSettings) -> Result<StsSettings> {
        Self::resolve_with_variants(env, profile, EndpointVariants::resolve(env, None, None)?)
    }

    /// Like [`StsSettings::resolve`], with the FIPS and dual-stack choice made by the caller
    /// (usually [`EndpointVariants::resolve`] over the environment and the profile). The variants
    /// change only the regional default, never a configured endpoint URL.
    pub fn resolve_with_variants(
        env: &Env,
        profile: &StsProfileSettings,
        variants: EndpointVariants,
    ) -> Result<StsSettings> {
        let configured_region = region_from_env(env).or_else(|| {
            let region = profile.region.as_deref().map(str::trim)?;
            let origin = profile.region_origin.clone().unwrap_or_else(|| {
                format!(
                    "`region` of {}",
                    profile.origin.as_deref().unwrap_or("the profile")
                )
            });
            (!region.is_empty()).then(|| (region.to_string(), origin))
        });
        let (region, region_origin) = match configured_region {
            Some((region, origin)) => {
                check_region(&region, &origin)?;
                (region, origin)
            }
            None => (DEFAULT_STS_REGION.to_string(), "the default".to_string()),
        };
        let configured = if configured_endpoints_ignored(env)? {
            None
        } else {
            env_endpoint(env, ENV_ENDPOINT_URL_STS).or_else(|| {
                profile
                    .endpoint_url
                    .clone()
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| {
                        let origin = profile
                            .origin
                            .clone()
                            .unwrap_or_else(|| "the profile".to_string());
                        (e, format!("endpoint_url of {origin}"))
                    })
            })
        };
        let (endpoint, endpoint_origin) = match configured {
            Some((e, origin)) => (e.trim().to_string(), origin),
            None => (
                variant_endpoint(&region, variants),
                match (variants.fips, variants.dual_stack) {
                    (false, false) => format!("regional default for {region}"),
                    (true, false) => format!("regional FIPS default for {region}"),
                    (false, true) => format!("regional dual-stack default for {region}"),
                    (true, true) => format!("regional FIPS dual-stack default for {region}"),
                },
            ),
        };
        Ok(StsSettings {
            endpoint,
            endpoint_origin,
            region,
            region_origin,
            retry: RetryPolicy::default(),
            connect_timeout: DEFAULT_STS_CONNECT_TIMEOUT,
            timeout: DEFAULT_STS_TIMEOUT,
            http: HttpPolicy::from_env(env),
        })
    }

    /// Settings for an explicit endpoint and region (tests, simulators, hosts that know better).
    /// The region is checked when a client is built ([`StsClient::new`]).
    pub fn with_endpoint(endpoint: impl Into<String>, region: impl Into<String>) -> StsSettings {
        StsSettings {
            endpoint: endpoint.into(),
            endpoint_origin: "explicit endpoint".to_string(),
            region: region.into(),
            region_origin: "the explicit region".to_string(),
            retry: RetryPolicy::default(),
            connect_timeout: DEFAULT_STS_CONNECT_TIMEOUT,
            timeout: DEFAULT_STS_TIMEOUT,
            http: HttpPolicy::default(),
        }
    }
}

/// Whether to use the FIPS and dual-stack variants of the regional STS endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointVariants {
    /// FIPS 140 validated endpoint (`sts-fips.…`).
    pub fips: bool,
    /// Dual-stack (IPv4 and IPv6) endpoint (`….api.aws`).
    pub dual_stack: bool,
}

impl EndpointVariants {
    /// `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`, else the profile's
    /// `use_fips_endpoint` / `use_dualstack_endpoint` values (passed in by the caller), else off
    /// (the AWS SDK for Java v2 order). A value that is not `true`/`false` is an error naming it.
    pub fn resolve(
        env: &Env,
        profile_fips: Option<&str>,
        profile_dual_stack: Option<&str>,
    ) -> Result<EndpointVariants> {
        let pick = |var: &str, key: &str, profile: Option<&str>| -> Result<bool> {
            if let Some(v) = env.get_bool(var)? {
                return Ok(v);
            }
            match profile.map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(false),
                Some(v) => bool_setting(&format!("profile setting {key}"), v),
            }
        };
        Ok(EndpointVariants {
            fips: pick(ENV_USE_FIPS_ENDPOINT, "use_fips_endpoint", profile_fips)?,
            dual_stack: pick(
                ENV_USE_DUALSTACK_ENDPOINT,
                "use_dualstack_endpoint",
                profile_dual_stack,
            )?,
        })
    }
}

/// The regional STS endpoint with `variants`, as the STS endpoint rules build it:
/// `https://sts[-fips].{region}.{amazonaws.com | api.aws}` (China: `amazonaws.com.cn` /
/// `api.amazonwebservices.com.cn`; GovCloud's plain endpoints are already FIPS).
pub(crate) fn variant_endpoint(region: &str, variants: EndpointVariants) -> String {
    let suffix = dns_suffix(region, variants.dual_stack);
    let govcloud_fips = region.starts_with("us-gov-") && !variants.dual_stack;
    let host = if variants.fips && !govcloud_fips {
        "sts-fips"
    } else {
        "sts"
    };
    format!("https://{host}.{region}.{suffix}")
}

/// The DNS suffix of `region`'s partition, as the endpoint rules of STS and the IAM Identity
/// Center services build it: `amazonaws.com` (dual-stack `api.aws`), China `amazonaws.com.cn`
/// (dual-stack `api.amazonwebservices.com.cn`).
pub(crate) fn dns_suffix(region: &str, dual_stack: bool) -> &'static str {
    match (region.starts_with("cn-"), dual_stack) {
        (false, false) => "amazonaws.com",
        (false, true) => "api.aws",
        (true, false) => "amazonaws.com.cn",
        (true, true) => "api.amazonwebservices.com.cn",
    }
}

/// Who a set of credentials belongs to, as `GetCallerIdentity` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The 12-digit account id.
    pub account: String,
    /// The ARN of the user or assumed role.
    pub arn: String,
    /// The unique id of the caller (`AIDA…` or `AROA…:session`).
    pub user_id: String,
}

/// An STS client. Cheap to share behind an `Arc`; holds no credentials.
///
/// Requests are signed at [`ServerClock::signing_time`]: the local time corrected by the offset
/// measured from the servers' `Date` headers once it exceeds the threshold. A refusal for clock
/// skew (`CLOCK_SKEW_ERROR_CODES`) whose `Date` shows such an offset is retried exactly once,
/// signed with that offset.
#[derive(Debug)]
pub struct StsClient {
    http: reqwest::Client,
    endpoint: Url,
    settings: StsSettings,
    clock: Arc<dyn Clock>,
    server_clock: Arc<ServerClock>,
}

impl StsClient {
    /// A client for `settings`, with the system clock. Fails on an endpoint that is not an
    /// `http(s)` URL and on a region that is not a valid region name (the errors name where the
    /// endpoint or region came from).
    pub fn new(settings: StsSettings) -> Result<StsClient> {
        Self::with_clock(settings, Arc::new(SystemClock::new()))
    }

    /// Like [`StsClient::new`], with the clock used for retry backoff and signing time.
    pub fn with_clock(settings: StsSettings, clock: Arc<dyn Clock>) -> Result<StsClient> {
        check_region(&settings.region, &settings.region_origin)?;
        let endpoint = Url::parse(&settings.endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                Error::invalid_config(format!(
                    "STS endpoint {:?} (from {}) is not an http(s) URL",
                    settings.endpoint, settings.endpoint_origin
                ))
            })?;
        let http =
            settings
                .http
                .service_client("STS", settings.connect_timeout, settings.timeout)?;
        Ok(StsClient {
            http,
            endpoint,
            settings,
            clock,
            server_clock: Arc::new(ServerClock::new()),
        })
    }

    /// Shares `server_clock` (usually the chain's) instead of a tracker of this client's own:
    /// the offset measured from IMDS or the container endpoint then corrects the first STS call.
    pub fn with_server_clock(mut self, server_clock: Arc<ServerClock>) -> StsClient {
        self.server_clock = server_clock;
        self
    }

    /// The offset tracker this client signs with and feeds.
    pub fn server_clock(&self) -> &Arc<ServerClock> {
        &self.server_clock
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.settings.region
    }

    /// Calls `AssumeRole` signed with `creds`, asking for what `request` says (STS defaults the
    /// session to one hour when it names no duration).
    pub async fn assume_role(&self, creds: &Credentials, request: &RoleRequest) -> Result<Fetched> {
        let params = request.params(true);
        let answer = self.call("AssumeRole", &params, Some(creds)).await?;
        let credentials = answer.credentials("AssumeRole", self.endpoint.as_str())?;
        Ok(Fetched {
            credentials,
            server_date: answer.date,
        })
    }

    /// Calls `AssumeRoleWithWebIdentity` (unsigned: the token is the proof). The request's
    /// external id, source identity and tags are not part of this call and are not sent.
    pub async fn assume_role_with_web_identity(
        &self,
        request: &RoleRequest,
        token: &str,
    ) -> Result<Fetched> {
        let mut params = request.params(false);
        params.push(("WebIdentityToken".to_string(), token.to_string()));
        let answer = self
            .call("AssumeRoleWithWebIdentity", &params, None)
            .await?;
        let credentials =
            answer.credentials("AssumeRoleWithWebIdentity", self.endpoint.as_str())?;
        Ok(Fetched {
            credentials,
            server_date: answer.date,
        })
    }

    /// Calls `GetCallerIdentity` signed with `creds`.
    pub async fn get_caller_identity(&self, creds: &Credentials) -> Result<CallerIdentity> {
        let answer = self.call("GetCallerIdentity", &[], Some(creds)).await?;
        let field = |f: Field| answer.require("GetCallerIdentity", f, self.endpoint.as_str());
        Ok(CallerIdentity {
            account: field(Field::Account)?,
            arn: field(Field::Arn)?,
            user_id: field(Field::UserId)?,
        })
    }

    async fn call(
        &self,
        action: &str,
        params: &[(String, String)],
        creds: Option<&Credentials>,
    ) -> Result<Answer> {
        // The form may hold a web identity token: zeroized when the call is over.
        let body = zeroize::Zeroizing::new({
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("Action", action);
            form.append_pair("Version", STS_API_VERSION);
            for (k, v) in params {
                form.append_pair(k, v);
            }
            form.finish()
        });
        let skew_refusal = AtomicBool::new(false);
        let run = || {
            self.settings.retry.run(
                self.clock.as_ref(),
                |_| self.attempt(action, &body, creds, &skew_refusal),
                |e, delay| {
                    tracing::debug!(action, endpoint = %self.endpoint, error = %e.full_message(), ?delay, "retrying STS call");
                },
            )
        };
        match run().await {
            Err(e) if skew_refusal.swap(false, Ordering::AcqRel) => {
                tracing::debug!(
                    action,
                    endpoint = %self.endpoint,
                    offset_ms = self.server_clock.offset().map(|o| o.num_milliseconds()),
                    error = %e.full_message(),
                    "STS refused the request for clock skew; signing it again once with the server's time"
                );
                run().await
            }
            other => other,
        }
    }

    /// One request. Sets `skew_refusal` when a signed request was refused for clock skew and the
    /// refusal's `Date` is off from the signing time by more than the threshold.
    async fn attempt(
        &self,
        action: &str,
        body: &str,
        creds: Option<&Credentials>,
        skew_refusal: &AtomicBool,
    ) -> Result<Answer> {
        const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            // A copy per attempt that is zeroized once the request is done with it.
            .body(bytes::Bytes::from_owner(zeroize::Zeroizing::new(
                body.as_bytes().to_vec(),
            )));
        let signed_at = self.server_clock.signing_time(self.clock.wall());
        if let Some(creds) = creds {
            for (name, value) in self.sign(action, body, CONTENT_TYPE, creds, signed_at)? {
                request = request.header(name, value);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(action, e))?;
        let status = response.status();
        let date = self.server_clock.observe_header(
            response.headers(),
            self.clock.wall(),
            DateOrigin::Sts,
            self.endpoint.as_str(),
        );
        let what = format!("STS {action} at {}", self.endpoint);
        let body = crate::sources::http_body::read_limited(
            response,
            crate::sources::http_body::MAX_STS_RESPONSE_BYTES,
            &what,
        )
        .await
        .map_err(|e| match e {
            crate::sources::http_body::BodyError::Transport(e) => self.transport_error(action, e),
            crate::sources::http_body::BodyError::TooLarge(e) => e,
        })?;
        let text = String::from_utf8_lossy(&body);
        if status.is_success() {
            let xml = xml::parse(&text).map_err(|e| self.xml_error(action, &e))?;
            return Ok(Answer { xml, date });
        }
        let (error, code) = self.service_error(action, status, &text);
        let skewed = creds.is_some()
            && code
                .as_deref()
                .is_some_and(|c| CLOCK_SKEW_ERROR_CODES.contains(&c))
            && date.is_some_and(|d| exceeds_threshold(d - signed_at));
        if skewed {
            skew_refusal.store(true, Ordering::Release);
        }
        Err(error)
    }

    /// The SigV4 headers for one request (`authorization`, `x-amz-date`, and
    /// `x-amz-security-token` for temporary credentials).
    fn sign(
        &self,
        action: &str,
        body: &str,
        content_type: &str,
        creds: &Credentials,
        signed_at: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>> {
        let identity = aws_credential_types::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            creds.session_token().map(str::to_string),
            None,
            "freshcreds",
        )
        .into();
        let wall: SystemTime = signed_at.into();
        let signing_error = |detail: String| {
            Error::new(
                ErrorKind::Internal,
                format!(
                    "could not sign STS {action} for {}: {detail}",
                    self.endpoint
                ),
            )
        };
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.settings.region)
            .name(SIGNING_NAME)
            .time(wall)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| signing_error(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            [("content-type", content_type)].into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| signing_error(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| signing_error(e.to_string()))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    }

    fn transport_error(&self, action: &str, e: reqwest::Error) -> Error {
        let shown = format!(
            "STS {action} at {} (endpoint from {})",
            self.endpoint, self.settings.endpoint_origin
        );
        self.settings
            .http
            .transport_error(&shown, &self.endpoint, e)
    }

    /// The error for an answer that could not be read: [`ErrorKind::Parse`], not retried (a
    /// document over the reader's bounds is no STS answer, and asking again brings the same).
    fn xml_error(&self, action: &str, e: &XmlError) -> Error {
        Error::new(
            ErrorKind::Parse,
            format!("STS {action} at {}: the answer {e}", self.endpoint),
        )
    }

    /// The error for a non-2xx answer, and the AWS error code it carried. An error document
    /// over the reader's bounds is a parse error whatever the status (not retried); an
    /// unreadable one leaves the status to decide.
    fn service_error(
        &self,
        action: &str,
        status: reqwest::StatusCode,
        text: &str,
    ) -> (Error, Option<String>) {
        let fields = match xml::parse(text) {
            Ok(fields) => fields,
            Err(e) if e.is_over_limit() => {
                tracing::debug!(action, endpoint = %self.endpoint, %status, "refused an STS error answer over the XML bounds");
                return (self.xml_error(action, &e), None);
            }
            Err(_) => StsXml::default(),
        };
        let code = fields.get(Field::Code).map(str::to_string);
        let message = fields.get(Field::Message).map(str::to_string);
        let kind = error_kind(status.as_u16(), code.as_deref());
        let mut msg = format!("STS {action} at {} answered {status}", self.endpoint);
        if let Some(code) = &code {
            msg.push_str(&format!(": {code}"));
        }
        if let Some(message) = &message {
            msg.push_str(&format!(": {message}"));
        }
        if code.is_none() && message.is_none() {
            msg.push_str(" with no AWS error document");
        }
        (Error::new(kind, msg), code)
    }
}

/// Fuzzing entry point: parses `text` as an STS answer (credentials, caller identity, error
/// document). Not an API.
#[doc(hidden)]
///
/// Asserts the reader's bounds: whatever `text` is, at most [`MAX_STS_XML_EVENTS`] events are
/// read, at most [`MAX_STS_XML_DEPTH`] elements are open at once, and the texts kept are no
/// longer than `text`.
pub fn fuzz_sts(text: &str) {
    match xml::parse(text) {
        Ok(xml) => {
            assert!(
                xml.events() <= MAX_STS_XML_EVENTS,
                "{} events",
                xml.events()
            );
            assert!(
                xml.deepest() <= MAX_STS_XML_DEPTH,
                "depth {}",
                xml.deepest()
            );
            assert!(
                xml.retained_bytes() <= text.len(),
                "{} bytes kept of {}",
                xml.retained_bytes(),
                text.len()
            );
            let answer = Answer { xml, date: None };
            let _ = answer.credentials("AssumeRole", "fuzz");
            let _ = answer.require("GetCallerIdentity", Field::Arn, "fuzz");
            let _ = error_kind(400, answer.xml.get(Field::Code));
        }
        Err(e) => {
            let _ = e.is_over_limit();
        }
    }
}

/// Fuzzing entry point: checks that a web identity token survives the form encoding of
/// `AssumeRoleWithWebIdentity` unchanged. Not an API.
#[doc(hidden)]
pub(crate) fn fuzz_web_identity_form(text: &str) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("WebIdentityToken", text);
    let form = zeroize::Zeroizing::new(form.finish());
    let decoded: Vec<_> = form_urlencoded::parse(form.as_bytes()).collect();
    assert_eq!(decoded.len(), 1);
    assert_eq!(decoded[0].1, text);
}

/// Maps an STS error answer to an error kind: throttling is retryable, refusals and expired
/// tokens are not, `IDPCommunicationError` (the identity provider was unreachable) is retried
/// like a connection failure, as the AWS SDKs do.
fn error_kind(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some(
            "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "PriorRequestNotComplete"
            | "SlowDown",
        ) => ErrorKind::Throttled,
        Some("ExpiredToken" | "ExpiredTokenException") => ErrorKind::Expired,
        Some("IDPCommunicationError" | "IDPCommunicationErrorException") => ErrorKind::Connect,
        Some(
            "AccessDenied"
            | "AccessDeniedException"
            | "InvalidIdentityToken"
            | "IDPRejectedClaim"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "UnrecognizedClientException"
            | "RegionDisabledException"
            | "MissingAuthenticationToken",
        ) => ErrorKind::Refused,
        Some("ValidationError" | "MalformedPolicyDocument" | "PackedPolicyTooLarge") => {
            ErrorKind::InvalidConfig
        }
        _ if status == 429 => ErrorKind::Throttled,
        _ => ErrorKind::Http(status),
    }
}

/// A successful STS answer: the fields read from it (zeroized when dropped), and the `Date`
/// header.
struct Answer {
    xml: StsXml,
    date: Option<DateTime<Utc>>,
}

impl Answer {
    fn require(&self, action: &str, field: Field, endpoint: &str) -> Result<String> {
        self.xml.get(field).map(str::to_string).ok_or_else(|| {
            Error::new(
                ErrorKind::Parse,
                format!(
                    "STS {action} at {endpoint}: the answer has no {}",
                    field.path()
                ),
            )
        })
    }

    fn credentials(&self, action: &str, endpoint: &str) -> Result<Credentials> {
        let field = |f: Field| {
            self.xml.get(f).ok_or_else(|| {
                Error::new(
                    ErrorKind::Parse,
                    format!("STS {action} at {endpoint}: the answer has no {}", f.path()),
                )
            })
        };
        let access_key_id = field(Field::AccessKeyId)?;
        let secret = field(Field::SecretAccessKey)?;
        let token = field(Field::SessionToken)?;
        let expiration_text = field(Field::Expiration)?;
        let expiration = DateTime::parse_from_rfc3339(expiration_text.trim())
            .map_err(|_| {
                Error::new(
                    ErrorKind::Parse,
                    format!(
                        "STS {action} at {endpoint}: Expiration {expiration_text:?} is not an RFC 3339 time"
                    ),
                )
            })?
            .with_timezone(&Utc);
        Ok(Credentials::new(
            access_key_id,
            secret,
            Some(token.to_string()),
            Some(expiration),
            action,
        ))
    }
}

/// A role session name for when none is configured: `freshcreds-<unix millis>`, like the SDKs'
/// `aws-sdk-java-<millis>`.
pub(crate) fn default_session_name(clock: &dyn Clock) -> String {
    format!("freshcreds-{}", clock.wall().timestamp_millis())
}

/// What an `AssumeRole` or `AssumeRoleWithWebIdentity` call asks for: the fields of the SDKs'
/// `AssumeRoleRequest`. `Debug` hides the external id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RoleRequest {
    /// `RoleArn`: the role to assume.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `ExternalId` (`AssumeRole` only).
    pub external_id: Option<Secret>,
    /// `DurationSeconds`; `None` lets STS pick (one hour).
    pub duration: Option<Duration>,
    /// `Policy`: an inline session policy (JSON).
    pub policy: Option<String>,
    /// `PolicyArns`: managed session policies.
    pub policy_arns: Vec<String>,
    /// `SourceIdentity` (`AssumeRole` only).
    pub source_identity: Option<String>,
    /// `Tags`: session tags as (key, value) (`AssumeRole` only).
    pub tags: Vec<(String, String)>,
}

impl RoleRequest {
    /// Asks for `role_arn` with the session name `freshcreds-<unix millis>` (fixed now, like the
    /// SDKs' `aws-sdk-java-<millis>`) and nothing else.
    pub fn new(role_arn: impl Into<String>) -> RoleRequest {
        RoleRequest {
            role_arn: role_arn.into(),
            session_name: default_session_name(&SystemClock::new()),
            external_id: None,
            duration: None,
            policy: None,
            policy_arns: Vec::new(),
            source_identity: None,
            tags: Vec::new(),
        }
    }

    /// Sets the role session name; a blank or absent one keeps the default.
    pub fn with_session_name(mut self, name: Option<impl Into<String>>) -> Self {
        if let Some(name) = name.map(Into::into) {
            if !name.trim().is_empty() {
                self.session_name = name.trim().to_string();
            }
        }
        self
    }

    /// Sets the external id.
    pub fn with_external_id(mut self, external_id: Option<Secret>) -> Self {
        self.external_id = external_id;
        self
    }

    /// Sets the requested session duration.
    pub fn with_duration(mut self, duration: Option<Duration>) -> Self {
        self.duration = duration;
        self
    }

    /// The form parameters of the request; `assume_role` adds those only `AssumeRole` takes.
    fn params(&self, assume_role: bool) -> Vec<(String, String)> {
        let mut params = vec![
            ("RoleArn".to_string(), self.role_arn.clone()),
            ("RoleSessionName".to_string(), self.session_name.clone()),
        ];
        let mut push = |k: &str, v: &str| params.push((k.to_string(), v.to_string()));
        if let Some(d) = self.duration {
            push("DurationSeconds", &d.as_secs().to_string());
        }
        if let Some(p) = &self.policy {
            push("Policy", p);
        }
        for (i, arn) in self.policy_arns.iter().enumerate() {
            push(&format!("PolicyArns.member.{}.arn", i + 1), arn);
        }
        if assume_role {
            if let Some(id) = &self.external_id {
                push("ExternalId", id.expose());
            }
            if let Some(id) = &self.source_identity {
                push("SourceIdentity", id);
            }
            for (i, (k, v)) in self.tags.iter().enumerate() {
                push(&format!("Tags.member.{}.Key", i + 1), k);
                push(&format!("Tags.member.{}.Value", i + 1), v);
            }
        }
        params
    }
}

impl From<&str> for RoleRequest {
    fn from(role_arn: &str) -> RoleRequest {
        RoleRequest::new(role_arn)
    }
}

impl From<String> for RoleRequest {
    fn from(role_arn: String) -> RoleRequest {
        RoleRequest::new(role_arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn a_role_request_sends_every_field_in_the_query_form_and_web_identity_only_its_own() {
        let mut r = RoleRequest::new("arn:aws:iam::1:role/r")
            .with_session_name(Some("s1"))
            .with_external_id(Some("x".into()))
            .with_duration(Some(Duration::from_secs(900)));
        r.policy = Some("{}".into());
        r.policy_arns = vec!["arn:p1".into(), "arn:p2".into()];
        r.source_identity = Some("alice".into());
        r.tags = vec![("team".into(), "a".into()), ("env".into(), "prod".into())];
        let got = r.params(true);
        let want = [
            ("RoleArn", "arn:aws:iam::1:role/r"),
            ("RoleSessionName", "s1"),
            ("DurationSeconds", "900"),
            ("Policy", "{}"),
            ("PolicyArns.member.1.arn", "arn:p1"),
            ("PolicyArns.member.2.arn", "arn:p2"),
            ("ExternalId", "x"),
            ("SourceIdentity", "alice"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "a"),
            ("Tags.member.2.Key", "env"),
            ("Tags.member.2.Value", "prod"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
        let web: Vec<String> = r.params(false).into_iter().map(|(k, _)| k).collect();
        assert!(!web
            .iter()
            .any(|k| k == "ExternalId" || k == "SourceIdentity" || k.starts_with("Tags.")));
        assert!(
            !format!("{r:?}").contains("\"x\""),
            "the external id is hidden"
        );
    }

    #[test]
    fn endpoint_precedence_is_service_env_then_global_env_then_profile_then_regional() {
        let profile = StsProfileSettings {
            region: Some("eu-west-1".into()),
            endpoint_url: Some("http://profile.example".into()),
            origin: Some("profile dev".into()),
            region_origin: None,
        };
        let both = Env::from_map([
            ("AWS_ENDPOINT_URL_STS", "http://sts.example"),
            ("AWS_ENDPOINT_URL", "http://all.example"),
        ]);
        let s = StsSettings::resolve(&both, &profile).unwrap();
        assert_eq!(s.endpoint, "http://sts.example");
        assert_eq!(s.endpoint_origin, "AWS_ENDPOINT_URL_STS");
        let global = Env::from_map([("AWS_ENDPOINT_URL", "http://all.example")]);
        assert_eq!(
            StsSettings::resolve(&global, &profile).unwrap().endpoint,
            "http://all.example"
        );
        let none = Env::from_map(Vec::<(String, String)>::new());
        let s = StsSettings::resolve(&none, &profile).unwrap();
        assert_eq!(s.endpoint, "http://profile.example");
        assert!(s.endpoint_origin.contains("profile dev"));
        let s = StsSettings::resolve(&none, &StsProfileSettings::default()).unwrap();
        assert_eq!(s.endpoint, "https://sts.us-east-1.amazonaws.com");
        assert_eq!(s.region, "us-east-1");
        let ignoring = Env::from_map([
            ("AWS_ENDPOINT_URL_STS", "http://sts.example"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        let s = StsSettings::resolve(&ignoring, &profile).unwrap();
        assert_eq!(s.endpoint, "https://sts.eu-west-1.amazonaws.com");
    }

    #[test]
    fn region_comes_from_aws_region_then_default_region_then_profile() {
        let profile = StsProfileSettings {
            region: Some("eu-west-1".into()),
            ..Default::default()
        };
        let env = Env::from_map([("AWS_REGION", "ap-south-1"), ("AWS_DEFAULT_REGION", "x")]);
        assert_eq!(
            StsSettings::resolve(&env, &profile).unwrap().region,
            "ap-south-1"
        );
        let env = Env::from_map([("AWS_DEFAULT_REGION", "ca-central-1")]);
        assert_eq!(
            StsSettings::resolve(&env, &profile).unwrap().region,
            "ca-central-1"
        );
        let env = Env::from_map(Vec::<(String, String)>::new());
        assert_eq!(
            StsSettings::resolve(&env, &profile).unwrap().region,
            "eu-west-1"
        );
        assert_eq!(
            variant_endpoint("cn-north-1", EndpointVariants::default()),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn fips_and_dual_stack_pick_the_variant_endpoint_from_env_before_profile() {
        // The AWS SDK for Rust's `e2e_fips_and_dual_stack_sts` case: a profile asking for both.
        let none = Env::from_map(Vec::<(String, String)>::new());
        let both = EndpointVariants::resolve(&none, Some("true"), Some("true")).unwrap();
        let profile = StsProfileSettings {
            region: Some("us-east-1".into()),
            ..Default::default()
        };
        let s = StsSettings::resolve_with_variants(&none, &profile, both).unwrap();
        assert_eq!(s.endpoint, "https://sts-fips.us-east-1.api.aws");
        assert!(
            s.endpoint_origin.contains("FIPS dual-stack"),
            "{}",
            s.endpoint_origin
        );
        let env = Env::from_map([
            ("AWS_USE_FIPS_ENDPOINT", "false"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE"),
        ]);
        let v = EndpointVariants::resolve(&env, Some("true"), None).unwrap();
        assert_eq!(
            v,
            EndpointVariants {
                fips: false,
                dual_stack: true
            }
        );
        assert_eq!(
            variant_endpoint("eu-west-1", v),
            "https://sts.eu-west-1.api.aws"
        );
        let fips = EndpointVariants {
            fips: true,
            dual_stack: false,
        };
        assert_eq!(
            variant_endpoint("eu-west-1", fips),
            "https://sts-fips.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            variant_endpoint("us-gov-west-1", fips),
            "https://sts.us-gov-west-1.amazonaws.com"
        );
        // A configured endpoint wins over any variant.
        let configured = Env::from_map([("AWS_ENDPOINT_URL_STS", "http://sts.example")]);
        assert_eq!(
            StsSettings::resolve_with_variants(&configured, &profile, both)
                .unwrap()
                .endpoint,
            "http://sts.example"
        );
        let err = EndpointVariants::resolve(&none, Some("yes"), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_mentions(err.message(), &["use_fips_endpoint"]);
        let err = EndpointVariants::resolve(
            &Env::from_map([("AWS_USE_DUALSTACK_ENDPOINT", "1")]),
            None,
            None,
        )
        .unwrap_err();
        assert_mentions(err.message(), &["AWS_USE_DUALSTACK_ENDPOINT"]);
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_is_refused_naming_its_origin() {
        let env = Env::from_map([("AWS_ENDPOINT_URL_STS", "not a url")]);
        let s = StsSettings::resolve(&env, &StsProfileSettings::default()).unwrap();
        let err = StsClient::new(s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_mentions(err.message(), &["AWS_ENDPOINT_URL_STS"]);
    }

    #[test]
    fn error_documents_are_parsed_into_code_and_message() {
        let doc = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error>
  <RequestId>abc</RequestId></ErrorResponse>"#;
        let fields = xml::parse(doc).unwrap();
        assert_eq!(fields.get(Field::Code), Some("ExpiredToken"));
        assert!(fields.get(Field::Message).unwrap().contains("expired"));
        assert_eq!(error_kind(400, Some("ExpiredToken")), ErrorKind::Expired);
        assert_eq!(error_kind(400, Some("Throttling")), ErrorKind::Throttled);
        assert_eq!(error_kind(403, Some("AccessDenied")), ErrorKind::Refused);
        assert_eq!(
            error_kind(400, Some("InvalidIdentityToken")),
            ErrorKind::Refused
        );
        assert_eq!(error_kind(503, None), ErrorKind::Http(503));
        assert_eq!(error_kind(429, None), ErrorKind::Throttled);
        assert_eq!(
            error_kind(400, Some("IDPCommunicationError")),
            ErrorKind::Connect,
            "the SDKs retry an unreachable identity provider"
        );
    }

    #[test]
    fn the_fuzz_entry_point_holds_its_bounds_on_the_seeds_and_on_hostile_answers() {
        let seeds =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/sts_xml");
        let mut docs: Vec<String> = std::fs::read_dir(&seeds)
            .unwrap()
            .map(|e| {
                String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned()
            })
            .collect();
        assert!(!docs.is_empty(), "no seeds in {}", seeds.display());
        let max = crate::sources::http_body::MAX_STS_RESPONSE_BYTES;
        docs.push("<a>x".repeat(max / 4));
        docs.push(format!("<r>{}</r>", "<b/>".repeat(max / 5)));
        docs.push(format!(
            "<r><Credentials><SessionToken>{}</SessionToken></Credentials></r>",
            "&amp;".repeat(max / 6)
        ));
        for doc in &docs {
            let started = std::time::Instant::now();
            fuzz_sts(doc);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{:?} for {} bytes",
                started.elapsed(),
                doc.len()
            );
        }
    }

    #[test]
    fn truncated_xml_is_an_error() {
        assert!(xml::parse("<AssumeRoleResponse><AssumeRoleResult>").is_err());
        assert!(xml::parse("").is_err());
        assert!(xml::parse("<a><b>1</c></a>").is_err());
    }

    #[test]
    fn credentials_are_read_from_the_credentials_element() {
        let doc = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>x</SourceIdentity>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>secret&amp;key</SecretAccessKey>
      <SessionToken>token</SessionToken>
      <Expiration>2030-01-02T03:04:05Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>"#;
        let answer = Answer {
            xml: xml::parse(doc).unwrap(),
            date: None,
        };
        let c = answer.credentials("AssumeRole", "http://x/").unwrap();
        assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key(), "secret&key");
        assert_eq!(c.session_token(), Some("token"));
        assert_eq!(
            c.expiration().unwrap().to_rfc3339(),
            "2030-01-02T03:04:05+00:00"
        );
    }
}
