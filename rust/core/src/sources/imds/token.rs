//! The IMDSv2 session: the token is fetched with `PUT /latest/api/token`, reused until shortly
//! before it expires ([`TOKEN_REFRESH_MARGIN`]), dropped and fetched again when IMDS answers 401,
//! and replaced by IMDSv1 (no token) when the token call fails in a way that allows it.
//!
//! The fallback follows botocore: 403, 404 and 405 mean "no tokens here" and a timeout means the
//! `PUT` answer was dropped (a hop limit of 1 seen from a container), so both fall back to IMDSv1
//! at once; 400 is an error. After a fallback, the token call is tried again after
//! [`V1_FALLBACK_RECHECK`]; one warning is logged per fallback episode.
//!
//! This module decides; the HTTP calls belong to the client (`client.rs`), which hands the token
//! call in as a future.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use zeroize::Zeroizing;

use super::config::ImdsConfig;
use crate::clock::MonoTime;
use crate::error::{Error, ErrorKind, Result};

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
/// The longest token lifetime IMDS accepts, in seconds (6 hours).
const MAX_TOKEN_TTL_SECS: u64 = 21600;

/// The value of the [`TOKEN_TTL_HEADER`] of a token call for `config` (1 s to 6 h).
pub(super) fn ttl_header_value(config: &ImdsConfig) -> String {
    config
        .token_ttl
        .as_secs()
        .clamp(1, MAX_TOKEN_TTL_SECS)
        .to_string()
}

/// The token in the body of a token call's 2xx answer; an empty one is a `Parse` error.
pub(super) fn token_from_body(body: String, url: &str) -> Result<Zeroizing<String>> {
    let body = Zeroizing::new(body);
    let value = Zeroizing::new(body.trim().to_string());
    if value.is_empty() {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("IMDSv2 token call PUT {url} answered an empty token"),
        ));
    }
    Ok(value)
}

/// How requests authenticate right now.
enum State {
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

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Empty => f.write_str("Empty"),
            State::Token { renew_at, .. } => f
                .debug_struct("Token")
                .field("value", &crate::credentials::REDACTED)
                .field("renew_at", renew_at)
                .finish(),
            State::V1 { recheck_at } => f
                .debug_struct("V1")
                .field("recheck_at", recheck_at)
                .finish(),
        }
    }
}

/// How one request authenticates.
pub(super) enum Auth {
    /// With this session token.
    Token(Zeroizing<String>),
    /// Without a token (IMDSv1).
    V1,
}

impl Auth {
    /// The token to send, if any.
    pub(super) fn token(&self) -> Option<&str> {
        match self {
            Auth::Token(t) => Some(t.as_str()),
            Auth::V1 => None,
        }
    }
}

/// The IMDSv2 session of one client, shared by its clones.
pub(super) struct TokenSession {
    state: tokio::sync::Mutex<State>,
    token_fetches: AtomicU64,
    v1_fallbacks: AtomicU64,
}

impl fmt::Debug for TokenSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state.try_lock() {
            Ok(s) => write!(f, "{:?}", *s),
            Err(_) => f.write_str("<busy>"),
        }
    }
}

impl TokenSession {
    /// No token yet.
    pub(super) fn new() -> Self {
        TokenSession {
            state: tokio::sync::Mutex::new(State::Empty),
            token_fetches: AtomicU64::new(0),
            v1_fallbacks: AtomicU64::new(0),
        }
    }

    /// Token calls made so far.
    pub(super) fn token_fetches(&self) -> u64 {
        self.token_fetches.load(Ordering::Relaxed)
    }

    /// Times a failed token call led to IMDSv1 so far.
    pub(super) fn v1_fallbacks(&self) -> u64 {
        self.v1_fallbacks.load(Ordering::Relaxed)
    }

    /// The authentication for the next request at `now`: the cached token, a new one from
    /// `fetch_token` (the token call, its token), or IMDSv1. `drop_token` forgets the cached token
    /// first (IMDS answered 401). Callers wait for each other: one token call at a time.
    pub(super) async fn auth<F>(
        &self,
        config: &ImdsConfig,
        now: MonoTime,
        drop_token: bool,
        fetch_token: F,
    ) -> Result<Auth>
    where
        F: Future<Output = Result<Zeroizing<String>>>,
    {
        let mut state = self.state.lock().await;
        if drop_token && matches!(*state, State::Token { .. }) {
            *state = State::Empty;
        }
        match &*state {
            State::Token { value, renew_at } if now < *renew_at => {
                return Ok(Auth::Token(value.clone()))
            }
            State::V1 { recheck_at } if now < *recheck_at => return Ok(Auth::V1),
            _ => {}
        }
        let was_v1 = matches!(*state, State::V1 { .. });
        let url = config.url(TOKEN_PATH);
        self.token_fetches.fetch_add(1, Ordering::Relaxed);
        match fetch_token.await {
            Ok(value) => {
                if was_v1 {
                    tracing::info!(url = %url, "IMDSv2 token call works again; leaving the IMDSv1 fallback");
                }
                let renew_at = now + config.token_ttl.saturating_sub(TOKEN_REFRESH_MARGIN);
                *state = State::Token {
                    value: value.clone(),
                    renew_at,
                };
                Ok(Auth::Token(value))
            }
            Err(e) if is_fallback_worthy(&e) => {
                if !config.v1_fallback {
                    return Err(Error::new(
                        e.kind(),
                        format!(
                            "IMDSv2 token call PUT {url} failed ({}) and the IMDSv1 fallback is \
                             off ({}=true); if this runs in a container on EC2, raise the hop \
                             limit: `{HOP_LIMIT_FIX}`",
                            e.message(),
                            super::config::V1_DISABLED.variable,
                        ),
                    ));
                }
                self.v1_fallbacks.fetch_add(1, Ordering::Relaxed);
                if was_v1 {
                    tracing::debug!(url = %url, "IMDSv2 token call still failing ({}); staying on IMDSv1", e.message());
                } else {
                    crate::sources::notice::warn(format!(
                        "IMDSv2 token call PUT {url} failed ({}); falling back to IMDSv1. In a \
                         container on EC2 this usually means the hop limit is 1: `{HOP_LIMIT_FIX}`",
                        e.message()
                    ));
                }
                *state = State::V1 {
                    recheck_at: now + V1_FALLBACK_RECHECK,
                };
                Ok(Auth::V1)
            }
            Err(e) => Err(e),
        }
    }
}

/// Token call failures after which IMDSv1 is tried: refusals (403 when IMDS is off or the call
/// came through a proxy, 404/405 from IMDS-like endpoints without tokens) and timeouts (a PUT
/// response dropped by a hop limit of 1 in a container).
fn is_fallback_worthy(e: &Error) -> bool {
    matches!(e.http_status(), Some(403..=405)) || e.kind() == ErrorKind::Timeout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_and_timeouts_of_the_token_call_allow_imdsv1() {
        for status in [403, 404, 405] {
            let e = Error::new(ErrorKind::Http(status), "refused");
            assert!(is_fallback_worthy(&e), "{status}");
        }
        assert!(is_fallback_worthy(&Error::new(ErrorKind::Timeout, "t")));
        for status in [400, 401, 500] {
            let e = Error::new(ErrorKind::Http(status), "no");
            assert!(!is_fallback_worthy(&e), "{status}");
        }
    }

    #[test]
    fn an_empty_token_is_a_parse_error_naming_the_url() {
        let e = token_from_body(" \n".into(), "http://x/latest/api/token").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(e.message().contains("http://x/latest/api/token"));
        assert_eq!(
            token_from_body(" tok\n".into(), "u").unwrap().as_str(),
            "tok"
        );
    }

    #[test]
    fn the_ttl_header_stays_within_what_imds_accepts() {
        let mut c = ImdsConfig::default();
        assert_eq!(ttl_header_value(&c), "21600");
        c.token_ttl = Duration::ZERO;
        assert_eq!(ttl_header_value(&c), "1");
        c.token_ttl = Duration::from_secs(100_000);
        assert_eq!(ttl_header_value(&c), MAX_TOKEN_TTL_SECS.to_string());
    }
}
