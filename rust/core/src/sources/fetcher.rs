//! Sources written by the host: a [`CredentialFetcher`] (a catalog, a vault, a broker: anything
//! that vends credentials with an expiry) or a [`TokenSupplier`] of web identity tokens for
//! `AssumeRoleWithWebIdentity`, driven by the refresh engine like every built-in source (early
//! background refresh, single flight, the failure policy, static stability, invalidation).
//!
//! Host code is blocking and untrusted: each call runs on a blocking thread of the runtime,
//! bounded by the source's call timeout (at most [`MAX_CALL_TIMEOUT`], the engine's round
//! timeout), and while a call that timed out has not returned, no other call is started
//! ([`MAX_CALLS_IN_FLIGHT`]): a fetcher that blocks forever costs one thread, never one per
//! round. Whatever it returns is checked ([`check_answer`]): a panic, missing fields or an
//! absurd expiry fail the round with an error that names the fetcher; the engine goes on.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::credentials::{debug_shows, Credentials};
use crate::error::{Error, ErrorKind, Result};
use crate::refresh::ROUND_TIMEOUT;
use crate::sources::assume_role::role_call_error;
use crate::sources::sts::{RoleRequest, StsClient};
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// Longest a call into host code may take by default before the round fails with a timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest call timeout a host may set: the engine's round timeout, which bounds every round.
pub const MAX_CALL_TIMEOUT: Duration = ROUND_TIMEOUT;
/// The shortest call timeout a host may set.
pub const MIN_CALL_TIMEOUT: Duration = Duration::from_millis(10);
/// Calls into one fetcher that may be running at once. A call that timed out keeps its thread
/// until it returns; until then every round fails at once instead of starting another call.
pub const MAX_CALLS_IN_FLIGHT: usize = 1;
/// An expiry further ahead than this is refused as absurd (STS sessions last at most 36 hours;
/// a vended credential that claims more is a bug in the fetcher, such as seconds read as millis).
pub const MAX_EXPIRY_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);
/// Longest accepted access key id, secret or session token (a session token is a few KB).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// What a fetcher's failure means for the engine's failure policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Trying again soon may succeed (a timeout, a 5xx, a throttled call): backoff from the
    /// refresh backoff base.
    Retryable,
    /// Trying again soon will not help (access denied, bad configuration): the long backoff for
    /// refusals.
    Permanent,
}

/// A fetcher's answer: credentials, or a failure with its message (no secret in it).
pub enum FetcherAnswer {
    /// Credentials with their expiry (`None`: long-term keys).
    Credentials {
        /// The access key id.
        access_key_id: String,
        /// The secret access key.
        secret_access_key: Zeroizing<String>,
        /// The session token, if any.
        session_token: Option<Zeroizing<String>>,
        /// When they expire.
        expiration: Option<DateTime<Utc>>,
    },
    /// The fetcher failed.
    Failed(FailureKind, String),
}

impl fmt::Debug for FetcherAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetcherAnswer::Credentials {
                access_key_id,
                expiration,
                ..
            } => f
                .debug_struct("Credentials")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &crate::credentials::REDACTED)
                .field("expiration", expiration)
                .finish(),
            FetcherAnswer::Failed(kind, message) => {
                f.debug_tuple("Failed").field(kind).field(message).finish()
            }
        }
    }
}

/// An expiry given as milliseconds since the epoch (how hosts pass it); `None` when it is not a
/// representable time.
pub fn expiration_from_epoch_millis(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
}

/// Host code that fetches credentials. Blocking: it runs on a thread of its own.
pub trait CredentialFetcher: Send + Sync + 'static {
    /// Fetches credentials once.
    fn fetch(&self) -> FetcherAnswer;
}

/// A closure is a fetcher.
impl<F: Fn() -> FetcherAnswer + Send + Sync + 'static> CredentialFetcher for F {
    fn fetch(&self) -> FetcherAnswer {
        self()
    }
}

/// Host code that supplies a web identity token (an OIDC JWT). Blocking: it runs on a thread of
/// its own.
pub trait TokenSupplier: Send + Sync + 'static {
    /// The current token, or why there is none.
    fn token(&self) -> std::result::Result<Zeroizing<String>, (FailureKind, String)>;
}

/// Runs host calls: on a blocking thread, bounded by a timeout, at most
/// [`MAX_CALLS_IN_FLIGHT`] at once.
struct CallGate {
    name: String,
    timeout: Duration,
    clock: Arc<dyn Clock>,
    in_flight: Arc<AtomicUsize>,
}

debug_shows!(CallGate { name, timeout });

/// Gives back a call's place when the call returns (on its thread, even after a timeout).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CallGate {
    fn new(name: String, timeout: Duration, clock: Arc<dyn Clock>) -> Result<Self> {
        if !(MIN_CALL_TIMEOUT..=MAX_CALL_TIMEOUT).contains(&timeout) {
            return Err(Error::invalid_config(format!(
                "the call timeout of {name} ({} ms) is out of range: it must be from {} to {} ms",
                timeout.as_millis(),
                MIN_CALL_TIMEOUT.as_millis(),
                MAX_CALL_TIMEOUT.as_millis()
            )));
        }
        Ok(CallGate {
            name,
            timeout,
            clock,
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    async fn call<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let taken = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(self.in_flight.clone());
        if taken >= MAX_CALLS_IN_FLIGHT {
            drop(slot);
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} has still not returned from an earlier call that timed out; not calling it again until it does",
                    self.name
                ),
            ));
        }
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        });
        tokio::select! {
            joined = task => match joined {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(_)) | Err(_) => Err(Error::new(
                    ErrorKind::Internal,
                    format!("{} failed while {what}", self.name),
                )),
            },
            _ = self.clock.sleep(self.timeout) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} gave no answer within {} ms while {what}; abandoned the call",
                    self.name,
                    self.timeout.as_millis()
                ),
            )),
        }
    }
}

fn failure(name: &str, kind: FailureKind, message: &str) -> Error {
    let message: String = message.chars().take(1000).collect();
    let error_kind = match kind {
        FailureKind::Retryable => ErrorKind::Connect,
        FailureKind::Permanent => ErrorKind::Refused,
    };
    Error::new(error_kind, format!("{name} failed: {message}"))
}

/// Checks a fetcher's answer: present, non-blank, bounded fields; an expiry no further ahead
/// than [`MAX_EXPIRY_AHEAD`] from `now` (an expiry in the past is accepted here: the engine
/// treats credentials that arrive expired as a failed round and keeps serving what it has).
pub fn check_answer(name: &str, answer: FetcherAnswer, now: DateTime<Utc>) -> Result<Credentials> {
    let (access_key_id, secret, token, expiration) = match answer {
        FetcherAnswer::Failed(kind, message) => return Err(failure(name, kind, &message)),
        FetcherAnswer::Credentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        } => (access_key_id, secret_access_key, session_token, expiration),
    };
    let bad = |what: String| {
        Error::new(
            ErrorKind::Parse,
            format!("{name} returned unusable credentials: {what}"),
        )
    };
    if access_key_id.trim().is_empty() {
        return Err(bad("the access key id is missing".into()));
    }
    if secret.trim().is_empty() {
        return Err(bad("the secret access key is missing".into()));
    }
    if token.as_ref().is_some_and(|t| t.trim().is_empty()) {
        return Err(bad("the session token is blank".into()));
    }
    let longest = [
        access_key_id.len(),
        secret.len(),
        token.as_ref().map_or(0, |t| t.len()),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    if longest > MAX_FIELD_BYTES {
        return Err(bad(format!(
            "a field is {longest} bytes, more than {MAX_FIELD_BYTES}"
        )));
    }
    if access_key_id.chars().any(|c| !c.is_ascii_alphanumeric()) {
        return Err(bad("the access key id is not alphanumeric".into()));
    }
    if let Some(at) = expiration {
        let ahead = at - now;
        if ahead.to_std().is_ok_and(|a| a > MAX_EXPIRY_AHEAD) {
            return Err(bad(format!(
                "the expiry {} is more than {} days ahead",
                at.to_rfc3339(),
                MAX_EXPIRY_AHEAD.as_secs() / 86_400
            )));
        }
    }
    Ok(Credentials::new(
        access_key_id.trim(),
        secret.to_string(),
        token.map(|t| t.to_string()),
        expiration,
        name,
    ))
}

/// Credentials from a [`CredentialFetcher`].
pub struct FetcherSource {
    fetcher: Arc<dyn CredentialFetcher>,
    gate: CallGate,
}

debug_shows!(FetcherSource { gate });

impl FetcherSource {
    /// A source named `name` (in reports, logs and the credentials' source) over `fetcher`, whose
    /// calls may take `timeout` (from [`MIN_CALL_TIMEOUT`] to [`MAX_CALL_TIMEOUT`]).
    pub fn new(
        name: impl Into<String>,
        fetcher: Arc<dyn CredentialFetcher>,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        Ok(FetcherSource {
            fetcher,
            gate: CallGate::new(name.into(), timeout, clock)?,
        })
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let fetcher = self.fetcher.clone();
        let answer = self
            .gate
            .call("fetching credentials", move || fetcher.fetch())
            .await?;
        let credentials = check_answer(&self.gate.name, answer, self.gate.clock.wall())?;
        Ok(Fetched::local(credentials))
    }
}

impl CredentialSource for FetcherSource {
    fn name(&self) -> &str {
        &self.gate.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }
}

/// Role credentials from `AssumeRoleWithWebIdentity` with a token from a [`TokenSupplier`]
/// (asked again at every fetch: identity providers rotate tokens).
pub struct SuppliedWebIdentitySource {
    supplier: Arc<dyn TokenSupplier>,
    request: RoleRequest,
    sts: Arc<StsClient>,
    gate: CallGate,
}

debug_shows!(SuppliedWebIdentitySource { gate, request });

impl SuppliedWebIdentitySource {
    /// A source named `name` that assumes `request` with tokens from `supplier`, whose calls may
    /// take `timeout`.
    pub fn new(
        name: impl Into<String>,
        supplier: Arc<dyn TokenSupplier>,
        request: RoleRequest,
        sts: Arc<StsClient>,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        Ok(SuppliedWebIdentitySource {
            supplier,
            request,
            sts,
            gate: CallGate::new(name.into(), timeout, clock)?,
        })
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let supplier = self.supplier.clone();
        let name = &self.gate.name;
        let token = self
            .gate
            .call("supplying a web identity token", move || supplier.token())
            .await?
            .map_err(|(kind, message)| failure(name, kind, &message))?;
        if token.trim().is_empty() || token.len() > MAX_FIELD_BYTES {
            return Err(Error::new(
                ErrorKind::Parse,
                format!("{name} supplied no usable web identity token (blank or over {MAX_FIELD_BYTES} bytes)"),
            ));
        }
        let fetched = self
            .sts
            .assume_role_with_web_identity(&self.request, token.trim())
            .await
            .map_err(|e| {
                role_call_error(name, &self.request.role_arn, "the token it supplied", e)
            })?;
        Ok(Fetched {
            credentials: fetched.credentials.with_source(name.clone()),
            server_date: fetched.server_date,
        })
    }
}

impl CredentialSource for SuppliedWebIdentitySource {
    fn name(&self) -> &str {
        &self.gate.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }
}
