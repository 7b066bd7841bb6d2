//! An IMDS HTTP client: IMDSv2 session tokens (cached, renewed early, re-fetched on 401), the
//! IMDSv1 fallback, retries with backoff, and a "not on EC2" memory.
//!
//! The token call follows botocore: 403, 404 and 405 mean "no tokens here" and a timeout means
//! the PUT answer was dropped (a hop limit of 1 seen from a container), so both fall back to
//! IMDSv1 at once, without retrying; 400 is an error. When the fallback is off, timeouts of the
//! token call are retried like any other request. After a fallback, the token call is tried
//! again after [`V1_FALLBACK_RECHECK`]; one warning is logged per fallback episode.
//!
//! Connection refused or no route at the end of a round of attempts means "not on EC2": the
//! client answers `NotConfigured` without any network call for `not_on_ec2_ttl`.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use zeroize::Zeroizing;

use super::config::{ImdsConfig, ENV_DISABLED, ENV_V1_DISABLED};
use crate::clock::{Clock, MonoTime};
use crate::error::{Error, ErrorKind, Result};
use crate::sources::server_clock::{DateOrigin, ServerClock};

/// Path of the IMDSv2 session token call (`PUT`).
pub const TOKEN_PATH: &str = "/latest/api/token";
/// Request header carrying the IMDSv2 session token.
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// Request (and response) header carrying the token lifetime in seconds.
pub const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// A cached token is replaced this long before it expires.
pub const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// After falling back to IMDSv1, the token call is tried again after this long.
pub const V1_FALLBACK_RECHECK: Duration = Duration::from_secs(300);
/// The fix for the usual reason the token call fails inside containers on EC2.
pub const HOP_LIMIT_FIX: &str =
    "aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2";

/// One IMDS answer with a 2xx status.
#[derive(Clone)]
pub struct ImdsResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (may hold secrets: `Debug` shows only its length).
    pub body: String,
    /// The `Date` response header, if present, valid and plausible (see
    /// [`ServerClock::observe`]).
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
    token_fetches: AtomicU64,
    v1_fallbacks: AtomicU64,
    retries: AtomicU64,
    requests: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// How requests authenticate right now.
enum Session {
    /// Nothing known yet (or the token was dropped).
    Empty,
    /// A session token, reused until `renew_at`.
    Token {
        value: Zeroizing<String>,
        renew_at: MonoTime,
    },
    /// The token call failed in a way that allows IMDSv1: no token until `recheck_at`.
    V1 { recheck_at: MonoTime },
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Session::Empty => f.write_str("Empty"),
            Session::Token { renew_at, .. } => f
                .debug_struct("Token")
                .field("value", &crate::credentials::REDACTED)
                .field("renew_at", renew_at)
                .finish(),
            Session::V1 { recheck_at } => f
                .debug_struct("V1")
                .field("recheck_at", recheck_at)
                .finish(),
        }
    }
}

enum Auth {
    Token(Zeroizing<String>),
    V1,
}

impl Auth {
    fn token(&self) -> Option<&str> {
        match self {
            Auth::Token(t) => Some(t.as_str()),
            Auth::V1 => None,
        }
    }
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
    session: tokio::sync::Mutex<Session>,
    unreachable: Mutex<Option<Unreachable>>,
    counters: Counters,
}

/// A client of the EC2 Instance Metadata Service. Cheap to clone (clones share the token, the
/// counters and the "not on EC2" memory).
///
/// It never uses an HTTP proxy (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` are ignored) and never
/// follows redirects.
#[derive(Clone)]
pub struct ImdsClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ImdsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let session = match self.inner.session.try_lock() {
            Ok(s) => format!("{:?}", *s),
            Err(_) => "<busy>".to_string(),
        };
        f.debug_struct("ImdsClient")
            .field("config", &self.inner.config)
            .field("session", &session)
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
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .user_agent(concat!("freshcreds/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    format!(
                        "could not build the HTTP client for IMDS at {}",
                        config.endpoint
                    ),
                )
                .with_source(e)
            })?;
        Ok(ImdsClient {
            inner: Arc::new(Inner {
                config,
                http,
                clock,
                server_clock,
                session: tokio::sync::Mutex::new(Session::Empty),
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
            token_fetches: c.token_fetches.load(Ordering::Relaxed),
            v1_fallbacks: c.v1_fallbacks.load(Ordering::Relaxed),
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
        if self.inner.config.disabled {
            return Err(Error::new(
                ErrorKind::Disabled,
                format!("IMDS is disabled by {ENV_DISABLED}=true"),
            ));
        }
        Ok(())
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
        let cfg = &self.inner.config;
        let mut session = self.inner.session.lock().await;
        if drop_token && matches!(*session, Session::Token { .. }) {
            *session = Session::Empty;
        }
        let now = self.inner.clock.now();
        match &*session {
            Session::Token { value, renew_at } if now < *renew_at => {
                return Ok(Auth::Token(value.clone()))
            }
            Session::V1 { recheck_at } if now < *recheck_at => return Ok(Auth::V1),
            _ => {}
        }
        let was_v1 = matches!(*session, Session::V1 { .. });
        let url = cfg.url(TOKEN_PATH);
        match self.fetch_token().await {
            Ok((value, ttl)) => {
                if was_v1 {
                    tracing::info!(url = %url, "IMDSv2 token call works again; leaving the IMDSv1 fallback");
                }
                let renew_at = now + ttl.saturating_sub(TOKEN_REFRESH_MARGIN);
                *session = Session::Token {
                    value: value.clone(),
                    renew_at,
                };
                Ok(Auth::Token(value))
            }
            Err(e) if is_fallback_worthy(&e) => {
                if !cfg.v1_fallback {
                    return Err(Error::new(
                        e.kind(),
                        format!(
                            "IMDSv2 token call PUT {url} failed ({}) and the IMDSv1 fallback is \
                             off ({ENV_V1_DISABLED}=true); if this runs in a container on EC2, \
                             raise the hop limit: `{HOP_LIMIT_FIX}`",
                            e.message()
                        ),
                    ));
                }
                bump(&self.inner.counters.v1_fallbacks);
                if was_v1 {
                    tracing::debug!(url = %url, "IMDSv2 token call still failing ({}); staying on IMDSv1", e.message());
                } else {
                    crate::sources::notice::warn(format!(
                        "IMDSv2 token call PUT {url} failed ({}); falling back to IMDSv1. In a \
                         container on EC2 this usually means the hop limit is 1: `{HOP_LIMIT_FIX}`",
                        e.message()
                    ));
                }
                *session = Session::V1 {
                    recheck_at: now + V1_FALLBACK_RECHECK,
                };
                Ok(Auth::V1)
            }
            Err(e) => Err(e),
        }
    }

    /// `PUT /latest/api/token`: the token and how long it lives.
    async fn fetch_token(&self) -> Result<(Zeroizing<String>, Duration)> {
        bump(&self.inner.counters.token_fetches);
        let cfg = &self.inner.config;
        let call = Call {
            method: Method::PUT,
            path: TOKEN_PATH,
            token: None,
            retry_timeouts: !cfg.v1_fallback,
        };
        let resp = self.round(&call).await?;
        let value = Zeroizing::new(resp.body.trim().to_string());
        drop(Zeroizing::new(resp.body));
        if value.is_empty() {
            return Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "IMDSv2 token call PUT {} answered an empty token",
                    cfg.url(TOKEN_PATH)
                ),
            ));
        }
        Ok((value, cfg.token_ttl))
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
            let ttl = self.inner.config.token_ttl.as_secs().clamp(1, 21600);
            req = req.header(TOKEN_TTL_HEADER, ttl.to_string());
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

/// Token call failures after which IMDSv1 is tried: refusals (403 when IMDS is off or the call
/// came through a proxy, 404/405 from IMDS-like endpoints without tokens) and timeouts (a PUT
/// response dropped by a hop limit of 1 in a container).
fn is_fallback_worthy(e: &Error) -> bool {
    matches!(e.http_status(), Some(403..=405)) || e.kind() == ErrorKind::Timeout
}
