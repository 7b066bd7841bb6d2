//! `aws login` profiles: console credentials vended by AWS Sign-In.
//!
//! `aws login --profile P` signs in through the browser and writes `login_session = <ARN>` into
//! profile `P` and the session into the token cache ([`cache`]): short-lived credentials (15
//! minutes), a refresh token, and the P-256 key the refresh token is bound to. This source reads
//! that cache and hands out its credentials; when the refresh engine asks again (before expiry,
//! like for every other source) it refreshes them with AWS Sign-In's `CreateOAuth2Token`
//! (`POST https://{region}.signin.aws.amazon.com/v1/token`, JSON `{clientId, grantType:
//! "refresh_token", refreshToken}`, a [`dpop`] proof in the `DPoP` header) and writes the new
//! credentials and refresh token back into the cache, so the AWS CLI and the SDKs share them.
//!
//! The rules follow the AWS SDKs (smithy-rs `aws-config` `login`, botocore `LoginProvider`):
//! credentials within [`LOGIN_REFRESH_WINDOW`] of their expiry are refreshed before they are
//! handed out; a refresh that AWS Sign-In refuses (`TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`)
//! needs a new interactive login, and the error says the command ([`login_command`]). Nothing
//! here is interactive. The endpoint is `AWS_ENDPOINT_URL_SIGNIN` (service id `Signin`), else
//! `AWS_ENDPOINT_URL`, else the profile's `services` `signin` / `endpoint_url`, else regional
//! (region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the login profile's `region`, the selected
//! profile's; one that is not a valid region name is refused: `check_region`);
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the configured ones.
//!
//! When the engine asks again for credentials it was already given, the source refreshes even if
//! the cache says they have more than the window left (the engine decides when); when the cache
//! holds credentials it has not handed out yet (another process refreshed the session), it hands
//! those out instead of refreshing again.

pub mod cache;
pub mod dpop;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use zeroize::Zeroizing;

use self::cache::{LoginToken, Session};
use crate::clock::Clock;
use crate::credentials::{Credentials, Secret, SecretJson};
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpPolicy;
use crate::sources::profile::{ProfileSet, Section};
use crate::sources::region::{check_region, region_from_env, setting_origin};
use crate::sources::retry::RetryPolicy;
use crate::sources::sts::{configured_endpoints_ignored, env_endpoint};
use crate::sources::{credential_source, Fetched, Probe};

/// The profile key `aws login` writes: the ARN of the signed-in session.
pub(crate) const LOGIN_SESSION_KEY: &str = "login_session";
/// The environment variable naming the AWS Sign-In endpoint (service id `Signin`).
pub(crate) const ENV_ENDPOINT_URL_SIGNIN: &str = "AWS_ENDPOINT_URL_SIGNIN";
/// Credentials that expire within this are refreshed before they are handed out (botocore's
/// `_REFRESH_THRESHOLD`, smithy-rs' `REFRESH_BUFFER_TIME`: 5 minutes).
pub const LOGIN_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The path of `CreateOAuth2Token` on the AWS Sign-In endpoint.
pub const TOKEN_PATH: &str = "/v1/token";
/// How long connecting to AWS Sign-In may take.
pub(crate) const SIGNIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one `CreateOAuth2Token` request may take, connection included.
pub(crate) const SIGNIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest `CreateOAuth2Token` answer read.
pub(crate) const MAX_SIGNIN_RESPONSE_BYTES: usize = 64 * 1024;
/// The longest `expiresIn` accepted (AWS Sign-In says at most 900 s; anything above 12 h is a
/// broken answer).
pub const MAX_EXPIRES_IN: u64 = 12 * 3600;

/// The command that signs profile `profile` in again.
pub fn login_command(profile: &str) -> String {
    format!("aws login --profile {profile}")
}

/// The AWS Sign-In host of each partition but `aws`, by the prefix of its region names.
const PARTITION_SIGNIN_HOSTS: [(&str, &str); 7] = [
    ("cn-", "signin.amazonaws.cn"),
    ("us-gov-", "signin.amazonaws-us-gov.com"),
    ("us-isob-", "signin.sc2shome.sgov.gov"),
    ("us-isof-", "signin.csphome.hci.ic.gov"),
    ("us-iso-", "signin.c2shome.ic.gov"),
    ("eu-isoe-", "signin.csphome.adc-e.uk"),
    ("eusc-", "signin.amazonaws-eusc.eu"),
];

/// The regional AWS Sign-In token endpoint of `region`, by partition.
pub(crate) fn regional_endpoint(region: &str) -> String {
    let host = PARTITION_SIGNIN_HOSTS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("signin.aws.amazon.com", |(_, host)| host);
    format!("https://{region}.{host}{TOKEN_PATH}")
}

/// Where a login profile's settings come from: the profile, its cache file, the endpoint.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// The profile that has `login_session`.
    pub profile: String,
    /// The `login_session` value.
    pub login_session: String,
    /// The cache file.
    pub cache_file: PathBuf,
    /// The token endpoint (`…/v1/token`), or why there is none (no region).
    pub endpoint: std::result::Result<String, String>,
    /// Where the endpoint came from.
    pub endpoint_origin: String,
    /// Trust and proxies ([`crate::http`]).
    pub http: HttpPolicy,
}

impl LoginSettings {
    /// Resolves the settings of profile `profile` (which has `login_session = login_session`)
    /// from the environment and the profile files (`set`, whose selected profile may be another
    /// one: a role profile with this one as its `source_profile`).
    pub fn resolve(
        env: &Env,
        set: &ProfileSet,
        profile: &str,
        login_session: &str,
    ) -> Result<LoginSettings> {
        let cache_file = cache::cache_dir(env)?.join(cache::cache_file_name(login_session));
        let profiles: Vec<_> = [set.profile(profile), set.selected_profile()]
            .into_iter()
            .flatten()
            .collect();
        let setting = |key: &str| {
            profiles.iter().find_map(|p| {
                let v = p.get(key)?.trim();
                (!v.is_empty()).then(|| (p.name().to_string(), v.to_string()))
            })
        };
        let region = region_from_env(env).or_else(|| {
            let (name, region) = setting("region")?;
            let origin = match set.profile(&name) {
                Some(p) => setting_origin(p, Section::Profile, "region"),
                None => format!("`region` of profile {name}"),
            };
            Some((region, origin))
        });
        let services_endpoint = || {
            profiles.iter().find_map(|p| {
                let name = p.get("services")?;
                let sub = set.section("services", name)?.sub_properties("signin")?;
                let url = sub.get("endpoint_url")?.trim().to_string();
                (!url.is_empty()).then(|| {
                    (
                        url,
                        format!("the `signin` endpoint_url of [services {name}]"),
                    )
                })
            })
        };
        let configured = if configured_endpoints_ignored(env)? {
            None
        } else {
            env_endpoint(env, ENV_ENDPOINT_URL_SIGNIN)
                .or_else(services_endpoint)
                .or_else(|| {
                    setting("endpoint_url")
                        .map(|(p, e)| (e, format!("endpoint_url of profile {p}")))
                })
        };
        let (endpoint, endpoint_origin) = match (configured, region) {
            (Some((e, origin)), _) => (
                Ok(format!("{}{TOKEN_PATH}", e.trim().trim_end_matches('/'))),
                origin,
            ),
            (None, Some((region, origin))) => {
                check_region(&region, &origin)?;
                (Ok(regional_endpoint(&region)), format!("regional default for {region}"))
            }
            (None, None) => (
                Err(format!(
                    "no region for the AWS Sign-In endpoint: set `region` in profile {profile} (`aws login` asks for it) or AWS_REGION"
                )),
                "no region".to_string(),
            ),
        };
        Ok(LoginSettings {
            profile: profile.to_string(),
            login_session: login_session.trim().to_string(),
            cache_file,
            endpoint,
            endpoint_origin,
            http: HttpPolicy::resolve(env, set.selected_profile(), &Default::default()),
        })
    }
}

/// Credentials of an `aws login` session, refreshed through AWS Sign-In.
#[derive(Debug)]
pub struct LoginSource {
    settings: LoginSettings,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    name: String,
    /// The access key id last handed out: the engine asking again for it means "refresh".
    last_served: Mutex<Option<String>>,
}

/// What `CreateOAuth2Token` answered.
struct TokenAnswer {
    session: Session,
}

impl LoginSource {
    /// A source for `settings`, timing retries and expiries on `clock`.
    pub fn new(settings: LoginSettings, clock: Arc<dyn Clock>) -> Result<LoginSource> {
        let http =
            settings
                .http
                .service_client("AWS Sign-In", SIGNIN_CONNECT_TIMEOUT, SIGNIN_TIMEOUT)?;
        let name = format!("Profile({})/Login", settings.profile);
        Ok(LoginSource {
            settings,
            http,
            clock,
            retry: RetryPolicy::default(),
            name,
            last_served: Mutex::new(None),
        })
    }

    /// The settings this source uses.
    pub fn settings(&self) -> &LoginSettings {
        &self.settings
    }

    fn relogin(&self) -> String {
        format!("run `{}`", login_command(&self.settings.profile))
    }

    /// A load error completed with whose session it is and the login command.
    fn load_error(&self, e: Error) -> Error {
        Error::new(
            e.kind(),
            format!(
                "profile {}: login_session {}: {}; {}",
                self.settings.profile,
                self.settings.login_session,
                e.full_message(),
                self.relogin()
            ),
        )
    }

    async fn load(&self) -> Result<LoginToken> {
        cache::load(&self.settings.cache_file)
            .await
            .map_err(|e| self.load_error(e))
    }

    fn credentials(&self, session: &Session) -> Credentials {
        Credentials::new(
            &session.access_key_id,
            session.secret_access_key.expose(),
            Some(session.session_token.expose().to_string()),
            Some(session.expires_at),
            self.name.clone(),
        )
    }

    fn serve(&self, credentials: Credentials) -> Fetched {
        *self.last_served.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(credentials.access_key_id().to_string());
        Fetched::local(credentials)
    }

    fn was_served(&self, access_key_id: &str) -> bool {
        self.last_served
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            == Some(access_key_id)
    }

    fn fresh_enough(&self, token: &LoginToken) -> bool {
        let left = token.session.expires_at - self.clock.wall();
        left.to_std().is_ok_and(|left| left > LOGIN_REFRESH_WINDOW)
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let token = self.load().await?;
        let cached = self.credentials(&token.session);
        if self.fresh_enough(&token) && !self.was_served(&token.session.access_key_id) {
            return Ok(self.serve(cached));
        }
        match self.refresh(&token).await {
            Ok(answer) => {
                let r = answer.session;
                if let Err(e) = cache::write_back(&self.settings.cache_file, &r).await {
                    tracing::warn!(
                        profile = %self.settings.profile,
                        error = %e.full_message(),
                        "refreshed `aws login` credentials could not be written back to the cache; they are used anyway"
                    );
                }
                Ok(self.serve(self.credentials(&r)))
            }
            Err(e) => {
                // Another process (the AWS CLI, an SDK) may have refreshed the session meanwhile,
                // rotating the refresh token we sent: its credentials are as good as ours.
                if let Ok(now) = self.load().await {
                    if now.session.access_key_id != token.session.access_key_id
                        && self.fresh_enough(&now)
                    {
                        let c = self.credentials(&now.session);
                        return Ok(self.serve(c));
                    }
                }
                // Unexpired credentials not handed out yet are better than none (a start-up
                // within the window); the engine refreshes them again soon.
                if token.session.expires_at > self.clock.wall()
                    && !self.was_served(&token.session.access_key_id)
                {
                    tracing::warn!(profile = %self.settings.profile, error = %e.full_message(), "`aws login` refresh failed; using the cached credentials until they expire");
                    return Ok(self.serve(cached));
                }
                Err(e)
            }
        }
    }

    async fn refresh(&self, token: &LoginToken) -> Result<TokenAnswer> {
        let endpoint = self.settings.endpoint.as_ref().map_err(|why| {
            Error::invalid_config(format!(
                "profile {}: cannot refresh the `aws login` session: {why}",
                self.settings.profile
            ))
        })?;
        let url = Url::parse(endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                Error::invalid_config(format!(
                    "AWS Sign-In endpoint {endpoint:?} (from {}) is not an http(s) URL",
                    self.settings.endpoint_origin
                ))
            })?;
        let body = Zeroizing::new(
            serde_json::json!({
                "clientId": token.client_id,
                "grantType": "refresh_token",
                "refreshToken": token.session.refresh_token.expose(),
            })
            .to_string(),
        );
        self.retry
            .run_logged(
                self.clock.as_ref(),
                "AWS Sign-In CreateOAuth2Token",
                &url,
                |_| self.attempt(&url, &body, token),
            )
            .await
    }

    async fn attempt(&self, url: &Url, body: &str, token: &LoginToken) -> Result<TokenAnswer> {
        let now = self.clock.wall();
        let proof = token
            .dpop_key
            .proof(url.as_str(), now.timestamp(), &dpop::new_jti());
        let what = format!(
            "AWS Sign-In CreateOAuth2Token at {url} (endpoint from {})",
            self.settings.endpoint_origin
        );
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("DPoP", proof)
            .body(bytes::Bytes::from_owner(Zeroizing::new(
                body.as_bytes().to_vec(),
            )))
            .send()
            .await
            .map_err(|e| crate::sources::http_body::transport_error(&what, e))?;
        let status = response.status();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).to_string());
        let body =
            crate::sources::http_body::read_limited(response, MAX_SIGNIN_RESPONSE_BYTES, &what)
                .await
                .map_err(|e| match e {
                    crate::sources::http_body::BodyError::Transport(e) => {
                        crate::sources::http_body::transport_error(&what, e)
                    }
                    crate::sources::http_body::BodyError::TooLarge(e) => e,
                })?;
        if status.is_success() {
            return self.parse_answer(&what, &body, now);
        }
        Err(self.service_error(&what, status.as_u16(), error_type, &body))
    }

    fn parse_answer(&self, what: &str, body: &[u8], now: DateTime<Utc>) -> Result<TokenAnswer> {
        let doc = SecretJson::parse(body).map_err(|_| {
            Error::new(
                ErrorKind::Parse,
                format!("{what}: the answer is not valid JSON"),
            )
        })?;
        let field_error = |field: &str, problem: &str| {
            Error::new(
                ErrorKind::Parse,
                format!("{what}: field `{field}` of the answer {problem}"),
            )
        };
        let text = |v: Option<&serde_json::Value>, field: &str| match v {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(field_error(field, "is not a non-empty string")),
            None => Err(field_error(field, "is missing")),
        };
        let access = doc.0.get("accessToken");
        let access_key_id = text(
            access.and_then(|a| a.get("accessKeyId")),
            "accessToken.accessKeyId",
        )?;
        let secret_access_key = Secret::from(text(
            access.and_then(|a| a.get("secretAccessKey")),
            "accessToken.secretAccessKey",
        )?);
        let session_token = Secret::from(text(
            access.and_then(|a| a.get("sessionToken")),
            "accessToken.sessionToken",
        )?);
        let refresh_token = Secret::from(text(doc.0.get("refreshToken"), "refreshToken")?);
        let expires_in = match doc.0.get("expiresIn") {
            None => return Err(field_error("expiresIn", "is missing")),
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_EXPIRES_IN).contains(n))
                .ok_or_else(|| {
                    field_error(
                        "expiresIn",
                        &format!("is not a whole number of seconds from 1 to {MAX_EXPIRES_IN}"),
                    )
                })?,
        };
        let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        Ok(TokenAnswer {
            session: Session {
                access_key_id,
                secret_access_key,
                session_token,
                expires_at: now + chrono::Duration::seconds(expires_in as i64),
                refresh_token,
            },
        })
    }

    fn service_error(
        &self,
        what: &str,
        status: u16,
        error_type: Option<String>,
        body: &[u8],
    ) -> Error {
        let doc: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let code = doc
            .get("error")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let message: Option<String> = doc
            .get("message")
            .and_then(|v| v.as_str())
            .map(|m| m.chars().take(200).collect());
        let mut detail = format!("{what} answered {status}");
        for part in [&error_type, &code, &message].into_iter().flatten() {
            detail.push_str(": ");
            detail.push_str(part);
        }
        let profile = &self.settings.profile;
        let session = &self.settings.login_session;
        match (status, code.as_deref()) {
            (401 | 403, Some("TOKEN_EXPIRED" | "USER_CREDENTIALS_CHANGED" | "AUTHCODE_EXPIRED")) => Error::new(
                ErrorKind::Expired,
                format!(
                    "the `aws login` session {session} of profile {profile} has expired or its password changed ({detail}); {}",
                    self.relogin()
                ),
            ),
            (_, Some("INSUFFICIENT_PERMISSIONS")) => Error::new(
                ErrorKind::Refused,
                format!(
                    "the `aws login` session {session} of profile {profile} may not refresh itself: permission for `signin:CreateOAuth2Token` is missing ({detail})"
                ),
            ),
            (429, _) => Error::new(ErrorKind::Throttled, detail),
            (s, _) if s >= 500 => Error::new(ErrorKind::Http(s), detail),
            (401 | 403, _) => Error::new(
                ErrorKind::Expired,
                format!("AWS Sign-In refused to refresh the `aws login` session {session} of profile {profile} ({detail}); {}", self.relogin()),
            ),
            (s, _) => Error::new(
                ErrorKind::Http(s),
                format!("AWS Sign-In refused to refresh the `aws login` session {session} of profile {profile} ({detail}); {}", self.relogin()),
            ),
        }
    }

    /// The probe reads the cache only: a session that would have to be refreshed is `Configured`
    /// (a refresh rotates the refresh token), one with valid credentials is `Available`.
    async fn probe_cache(&self) -> Probe {
        match self.load().await {
            Ok(token) if self.fresh_enough(&token) => Probe::Available,
            Ok(_) => Probe::Configured(format!(
                "the `aws login` session {} of profile {} would be refreshed through AWS Sign-In",
                self.settings.login_session, self.settings.profile
            )),
            Err(e) => Probe::Failed(e.full_message()),
        }
    }
}

credential_source!(LoginSource, probe: probe_cache);

/// What a login session's cache says, for reports (`freshcreds doctor`): no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginStatus {
    /// When the cached credentials expire.
    pub expires_at: DateTime<Utc>,
    /// The session's account.
    pub account_id: String,
    /// Whether it can refresh itself: a refresh token, a client id, a usable key and an endpoint.
    pub can_refresh: bool,
    /// Why it cannot, when it cannot.
    pub why_not: Option<String>,
}

/// Reads the cache of `settings` without refreshing anything.
pub async fn status(settings: &LoginSettings) -> Result<LoginStatus> {
    let token = cache::load(&settings.cache_file).await?;
    let why_not = settings.endpoint.as_ref().err().cloned();
    Ok(LoginStatus {
        expires_at: token.session.expires_at,
        account_id: token.account_id.clone(),
        can_refresh: why_not.is_none(),
        why_not,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::sts::{ENV_ENDPOINT_URL, ENV_IGNORE_CONFIGURED_ENDPOINT_URLS};

    fn set(config: &str, selected: &str) -> ProfileSet {
        ProfileSet::parse(Some(("config", config)), None, selected).unwrap()
    }

    #[test]
    fn the_regional_endpoint_follows_the_partition_of_the_region() {
        for (region, host) in [
            ("eu-west-1", "signin.aws.amazon.com"),
            ("cn-north-1", "signin.amazonaws.cn"),
            ("us-gov-west-1", "signin.amazonaws-us-gov.com"),
            ("us-isob-east-1", "signin.sc2shome.sgov.gov"),
            ("us-isof-south-1", "signin.csphome.hci.ic.gov"),
            ("us-iso-east-1", "signin.c2shome.ic.gov"),
            ("eu-isoe-west-1", "signin.csphome.adc-e.uk"),
            ("eusc-de-east-1", "signin.amazonaws-eusc.eu"),
        ] {
            assert_eq!(
                regional_endpoint(region),
                format!("https://{region}.{host}{TOKEN_PATH}")
            );
        }
    }

    #[test]
    fn the_endpoint_is_the_variable_then_the_profile_then_regional_by_partition() {
        let profiles = set(
            "[profile dev]\nlogin_session = s\nregion = eu-west-3\n\n[profile app]\nregion = \nsource_profile = dev\nrole_arn = r\n",
            "app",
        );
        let resolve = |vars: &[(&str, &str)]| {
            let mut all = vec![("HOME", "/h")];
            all.extend_from_slice(vars);
            LoginSettings::resolve(&Env::from_map(all.iter().copied()), &profiles, "dev", " s ")
                .unwrap()
        };
        let s = resolve(&[]);
        assert_eq!(
            s.endpoint.as_deref(),
            Ok("https://eu-west-3.signin.aws.amazon.com/v1/token")
        );
        assert_eq!(s.login_session, "s");
        assert!(s.cache_file.ends_with(cache::cache_file_name("s")));
        let s = resolve(&[("AWS_REGION", "cn-north-1")]);
        assert_eq!(
            s.endpoint.as_deref(),
            Ok("https://cn-north-1.signin.amazonaws.cn/v1/token")
        );
        let s = resolve(&[
            (ENV_ENDPOINT_URL, "http://all/"),
            (ENV_ENDPOINT_URL_SIGNIN, "http://signin:1/"),
        ]);
        assert_eq!(s.endpoint.as_deref(), Ok("http://signin:1/v1/token"));
        assert_eq!(s.endpoint_origin, ENV_ENDPOINT_URL_SIGNIN);
        let s = resolve(&[
            (ENV_ENDPOINT_URL_SIGNIN, "http://signin:1"),
            (ENV_IGNORE_CONFIGURED_ENDPOINT_URLS, "true"),
        ]);
        assert_eq!(
            s.endpoint.as_deref(),
            Ok("https://eu-west-3.signin.aws.amazon.com/v1/token")
        );
        let none = set("[profile dev]\nlogin_session = s\n", "dev");
        let s =
            LoginSettings::resolve(&Env::from_map([("HOME", "/h")]), &none, "dev", "s").unwrap();
        let why = s.endpoint.unwrap_err();
        assert!(
            why.contains("region") && why.contains("profile dev"),
            "{why}"
        );
    }

    #[test]
    fn the_login_command_names_the_profile() {
        assert_eq!(login_command("dev"), "aws login --profile dev");
    }
}
