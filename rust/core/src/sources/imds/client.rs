//! An IMDS HTTP client: requests with the session of [`super::token`] (IMDSv2 tokens or the
//! IMDSv1 fallback), retries with backoff, and a "not on EC2" memory.
//!
//! Connection refused or no route at the end of a round of attempts means "not on EC2": the
//! client answers `NotConfigured` without any network call for `not_on_ec2_ttl`.
//!
//! When the IMDSv1 fallback is off, timeouts of the token call are retried like any other
//! request; when it is on, a timeout ends the token call's round at once (see [`super::token`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use zeroize::Zeroizing;

use super::config::ImdsConfig;
use super::token::{
    self, Auth, TokenSession, HOP_LIMIT_FIX, TOKEN_HEADER, TOKEN_PATH, TOKEN_TTL_HEADER,
};
use crate::clock::{Clock, MonoTime};
use crate::error::{Error, ErrorKind, Result};
use crate::sources::server_clock::{DateOrigin, ServerClock};

/// One IMDS answer with a 2xx status.
#[derive(Clone)]
pub struct ImdsResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (may hold secrets: `Debug` shows only its length).
    pub body: String,
    /// The `Date` response header, if present, valid and plausible (see
    /// `ServerClock::observe`).
    pub date: Option<DateTime<Utc>>,
}

impl fmt::Debug for ImdsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("date", &self.date)
            .finish()
    }
}

/// Counters of what the client did since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImdsStats {
    /// Token calls made (one per round of `PUT /latest/api/token`, retries not counted).
    pub token_fetches: u64,
    /// Times a failed token call led to an IMDSv1 (tokenless) request.
    pub v1_fallbacks: u64,
    /// Retries after a retryable failure (each one after a backoff).
    pub retries: u64,
    /// HTTP requests sent (attempts, token calls included).
    pub requests: u64,
}

#[derive(Debug, Default)]
struct Counters {
    retries: AtomicU64,
    requests: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A remembered "not on EC2" verdict.
#[derive(Debug, Clone)]
struct Unreachable {
    since: MonoTime,
    until: MonoTime,
    url: String,
}

/// One request to make (possibly several times).
struct Call<'a> {
    method: Method,
    path: &'a str,
    token: Option<&'a str>,
    /// Whether a timeout is worth retrying (not for the token call when IMDSv1 may take over).
    retry_timeouts: bool,
}

/// One failed attempt.
struct Failure {
    error: Error,
    /// Connection refused / no route: the endpoint is not there at all.
    unreachable: bool,
}

struct Inner {
    config: ImdsConfig,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    server_clock: Arc<ServerClock>,
    session: TokenSession,
    unreachable: Mutex<Option<Unreachable>>,
    counters: Counters,
}

/// The proxy variables HTTP clients commonly honour (curl, the AWS SDKs, botocore); the IMDS
/// client ignores every one of them.
pub const PROXY_ENV_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A client of the EC2 Instance Metadata Service. Cheap to clone (clones share the token, the
/// counters and the "not on EC2" memory).
///
/// It never uses an HTTP proxy (the [`PROXY_ENV_VARS`] are ignored) and never
/// follows redirects.
#[derive(Clone)]
pub struct ImdsClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ImdsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsClient")
            .field("config", &self.inner.config)
            .field("session", &self.inner.session)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ImdsClient {
    /// A client for `config`, sleeping (between retries) and measuring token age on `clock`.
    pub fn new(config: ImdsConfig, clock: Arc<dyn Clock>) -> Result<ImdsClient> {
        Self::with_server_clock(config, clock, Arc::new(ServerClock::new()))
    }

    /// Like [`ImdsClient::new`], feeding the `Date` header of every answer to `server_clock`
    /// (usually the chain's, so STS can sign with the offset IMDS shows).
    pub fn with_server_clock(
        config: ImdsConfig,
        clock: Arc<dyn Clock>,
        server_clock: Arc<ServerClock>,
    ) -> Result<ImdsClient> {
        // Never a proxy, never a redirect: the local endpoint client of `crate::http`.
        let http = crate::http::local_client(
            &format!("IMDS at {}", config.endpoint),
            config.timeout,
            config.timeout,
            None,
            None,
        )?;
        Ok(ImdsClient {
            inner: Arc::new(Inner {
                config,
                http,
                clock,
                server_clock,
                session: TokenSession::new(),
                unreachable: Mutex::new(None),
                counters: Counters::default(),
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ImdsConfig {
        &self.inner.config
    }

    /// What the client did so far.
    pub fn stats(&self) -> ImdsStats {
        let c = &self.inner.counters;
        ImdsStats {
            token_fetches: self.inner.session.token_fetches(),
            v1_fallbacks: self.inner.session.v1_fallbacks(),
            retries: c.retries.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
        }
    }

    /// `GET path` (e.g. `/latest/meta-data/placement/region`) with the session token (or without
    /// one after an IMDSv1 fallback), retried per the retry policy. A 401 drops the token, fetches
    /// a new one and repeats the call once. Any status but 2xx is an error naming the URL.
    pub async fn get(&self, path: &str) -> Result<ImdsResponse> {
        self.check_enabled()?;
        self.check_reachable()?;
        let auth = self.auth(false).await?;
        match self.get_with(path, &auth).await {
            Err(e) if e.http_status() == Some(401) && matches!(auth, Auth::Token(_)) => {
                tracing::debug!(
                    url = %self.inner.config.url(path),
                    "IMDS rejected the session token (401); fetching a new one"
                );
                let auth = self.auth(true).await?;
                self.get_with(path, &auth).await
            }
            other => other,
        }
    }

    async fn get_with(&self, path: &str, auth: &Auth) -> Result<ImdsResponse> {
        let call = Call {
            method: Method::GET,
            path,
            token: auth.token(),
            retry_timeouts: true,
        };
        match self.round(&call).await {
            Err(e) if e.http_status() == Some(401) && auth.token().is_none() => Err(Error::new(
                ErrorKind::Http(401),
                format!(
                    "IMDS at {} requires IMDSv2 (GET {} without a token answered 401) but the \
                         token call failed; if this runs in a container on EC2, raise the hop \
                         limit: `{HOP_LIMIT_FIX}`",
                    self.inner.config.endpoint,
                    self.inner.config.url(path)
                ),
            )),
            other => other,
        }
    }

    fn check_enabled(&self) -> Result<()> {
        match self.inner.config.disabled_by() {
            Some(setting) => Err(Error::new(
                ErrorKind::Disabled,
                format!("IMDS is disabled by {setting}"),
            )),
            None => Ok(()),
        }
    }

    fn check_reachable(&self) -> Result<()> {
        let now = self.inner.clock.now();
        let memory = self.inner.unreachable.lock().expect("unreachable").clone();
        match memory {
            Some(u) if now < u.until => Err(Error::not_configured(format!(
                "not on EC2? IMDS at {} refused the connection (or had no route) {} s ago; not \
                 trying again for another {} s",
                u.url,
                (now - u.since).as_secs(),
                (u.until - now).as_secs().max(1)
            ))),
            _ => Ok(()),
        }
    }

    /// The authentication to use: the cached token, a new one, or IMDSv1.
    async fn auth(&self, drop_token: bool) -> Result<Auth> {
        let now = self.inner.clock.now();
        self.inner
            .session
            .auth(&self.inner.config, now, drop_token, self.fetch_token())
            .await
    }

    /// `PUT /latest/api/token`: the token.
    async fn fetch_token(&self) -> Result<Zeroizing<String>> {
        let call = Call {
            method: Method::PUT,
            path: TOKEN_PATH,
            token: None,
            retry_timeouts: !self.inner.config.v1_fallback,
        };
        let resp = self.round(&call).await?;
        token::token_from_body(resp.body, &self.inner.config.url(TOKEN_PATH))
    }

    /// One request, retried per the policy; records a "not on EC2" verdict.
    async fn round(&self, call: &Call<'_>) -> Result<ImdsResponse> {
        self.check_reachable()?;
        let url = self.inner.config.url(call.path);
        let unreachable = AtomicBool::new(false);
        let (url_ref, unreachable_ref) = (&url, &unreachable);
        let outcome: Result<Result<ImdsResponse>> = self
            .inner
            .config
            .retry
            .run(
                self.inner.clock.as_ref(),
                move |_| async move {
                    match self.send_once(call, url_ref).await {
                        Ok(resp) => Ok(Ok(resp)),
                        Err(f) => {
                            unreachable_ref.store(f.unreachable, Ordering::Relaxed);
                            if f.error.kind() == ErrorKind::Timeout && !call.retry_timeouts {
                                // Ends the round: the caller falls back instead.
                                Ok(Err(f.error))
                            } else {
                                Err(f.error)
                            }
                        }
                    }
                },
                |e, delay| {
                    bump(&self.inner.counters.retries);
                    tracing::debug!(url = %url_ref, ?delay, "IMDS request failed, retrying: {}", e.message());
                },
            )
            .await;
        let result = outcome.and_then(|r| r);
        match result {
            Err(e) if e.kind() == ErrorKind::Connect && unreachable.load(Ordering::Relaxed) => {
                let now = self.inner.clock.now();
                let ttl = self.inner.config.not_on_ec2_ttl;
                *self.inner.unreachable.lock().expect("unreachable") = Some(Unreachable {
                    since: now,
                    until: now + ttl,
                    url: url.clone(),
                });
                Err(Error::not_configured(format!(
                    "not on EC2? {} (remembered for {} s)",
                    e.message(),
                    ttl.as_secs()
                ))
                .with_source(e))
            }
            other => other,
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        url: &str,
    ) -> std::result::Result<ImdsResponse, Failure> {
        bump(&self.inner.counters.requests);
        let what = format!("{} {url}", call.method);
        let mut req = self.inner.http.request(call.method.clone(), url);
        if let Some(token) = call.token {
            req = req.header(TOKEN_HEADER, token);
        }
        if call.method == Method::PUT {
            req = req.header(
                TOKEN_TTL_HEADER,
                token::ttl_header_value(&self.inner.config),
            );
        }
        let resp = req.send().await.map_err(|e| self.classify(e, &what))?;
        let status = resp.status();
        let date = self.inner.server_clock.observe_header(
            resp.headers(),
            self.inner.clock.wall(),
            DateOrigin::CredentialsEndpoint,
            url,
        );
        let body = crate::sources::http_body::read_limited(
            resp,
            crate::sources::http_body::MAX_IMDS_RESPONSE_BYTES,
            &format!("IMDS {what}"),
        )
        .await
        .map_err(|e| match e {
            crate::sources::http_body::BodyError::Transport(e) => self.classify(e, &what),
            crate::sources::http_body::BodyError::TooLarge(error) => Failure {
                error,
                unreachable: false,
            },
        })?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if status.is_success() {
            return Ok(ImdsResponse {
                status: status.as_u16(),
                body,
                date,
            });
        }
        drop(Zeroizing::new(body));
        let error = if status == StatusCode::TOO_MANY_REQUESTS {
            Error::new(
                ErrorKind::Throttled,
                format!("IMDS throttled {what} (HTTP 429)"),
            )
        } else {
            Error::new(
                ErrorKind::Http(status.as_u16()),
                format!("IMDS answered HTTP {} to {what}", status.as_u16()),
            )
        };
        Err(Failure {
            error,
            unreachable: false,
        })
    }

    fn classify(&self, e: reqwest::Error, what: &str) -> Failure {
        let timeout = self.inner.config.timeout;
        if e.is_timeout() {
            Failure {
                error: Error::new(
                    ErrorKind::Timeout,
                    format!("IMDS request {what} timed out after {timeout:?}"),
                )
                .with_source(e),
                unreachable: false,
            }
        } else if e.is_connect() {
            Failure {
                error: Error::new(
                    ErrorKind::Connect,
                    format!("could not connect to IMDS for {what}"),
                )
                .with_source(e),
                unreachable: true,
            }
        } else {
            Failure {
                error: Error::new(
                    ErrorKind::Connect,
                    format!("IMDS connection failed during {what}"),
                )
                .with_source(e),
                unreachable: false,
            }
        }
    }
}
