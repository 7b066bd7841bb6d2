//! Credential sources: each one knows how to fetch credentials from one place (environment,
//! profile files, STS, a process, a container endpoint, IMDS). The refresh engine decides when.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use crate::credentials::Credentials;
use crate::error::Result;

pub mod assume_role;
pub mod atomic_file;
pub mod chain;
pub mod container;
pub mod credentials_document;
pub mod default_chain;
pub mod environment;
pub mod fetcher;
pub mod http_body;
pub mod imds;
pub mod login;
pub mod notice;
pub mod process;
pub mod profile;
pub mod region;
pub mod retry;
pub mod server_clock;
pub mod sso;
pub mod sts;
pub(crate) mod token_cache;
pub mod web_identity;

/// A boxed, sendable future (sources are used behind `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a source returns: the credentials, and the server's `Date` header when the source read
/// them over HTTP (the refresh engine uses it to anchor the expiry on server time).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The credentials.
    pub credentials: Credentials,
    /// The `Date` header of the response that carried them, if any.
    pub server_date: Option<DateTime<Utc>>,
}

impl Fetched {
    /// Credentials that came with no server date (files, env vars, processes).
    pub fn local(credentials: Credentials) -> Self {
        Fetched {
            credentials,
            server_date: None,
        }
    }

    /// The same answer, its credentials attributed to source `name` and, when known, to
    /// account `account_id`.
    pub(crate) fn attributed(self, name: &str, account_id: Option<String>) -> Self {
        Fetched {
            credentials: self
                .credentials
                .with_source(name)
                .with_account_id(account_id),
            server_date: self.server_date,
        }
    }
}

/// The longest lifetime a source's credentials can have, known from its configuration alone (a
/// role session's `DurationSeconds`): the engine answers a caller who asks for longer at once,
/// without asking the source ([`crate::refresh::RefreshEngine::credentials_valid_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifetimeCap {
    /// The longest lifetime.
    pub max: std::time::Duration,
    /// Where it comes from, for error messages, e.g. `the role session duration asked of STS
    /// (DurationSeconds=900)`.
    pub origin: String,
}

impl LifetimeCap {
    /// The cap of a role session: the `DurationSeconds` asked, or STS's default of one hour.
    pub fn of_role_session(duration: Option<std::time::Duration>) -> LifetimeCap {
        match duration {
            Some(d) => LifetimeCap {
                max: d,
                origin: format!(
                    "the role session duration asked of STS (DurationSeconds={})",
                    d.as_secs()
                ),
            },
            None => LifetimeCap {
                max: DEFAULT_ROLE_SESSION_DURATION,
                origin: "STS's default role session duration (no DurationSeconds asked)".into(),
            },
        }
    }
}

/// The session duration STS grants when a request names none.
pub(crate) const DEFAULT_ROLE_SESSION_DURATION: std::time::Duration =
    std::time::Duration::from_secs(3600);

/// What the chain's shadowing probe learns about a source, without side effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// It would supply credentials (checked: local data, or an endpoint asked whether a role
    /// exists).
    Available,
    /// It is configured; asking it would have side effects (run a process, call STS, create a
    /// session), so it was not asked. The text says what it would do.
    Configured(String),
    /// Nothing is configured for it.
    NotConfigured(String),
    /// It is configured and broken (checked without side effects).
    Failed(String),
}

impl Probe {
    /// The probe outcome of a fetch (for sources whose fetch has no side effects).
    pub(crate) fn of_fetch(result: &Result<Fetched>) -> Probe {
        match result {
            Ok(_) => Probe::Available,
            Err(e) if e.is_not_loaded() => Probe::NotConfigured(e.full_message()),
            Err(e) => Probe::Failed(e.full_message()),
        }
    }
}

/// A probe that fetches: for sources whose fetch reads only local data or asks an endpoint
/// whether a role exists.
pub fn probe_by_fetching<S: CredentialSource + ?Sized>(source: &S) -> BoxFuture<'_, Probe> {
    Box::pin(async move { Probe::of_fetch(&source.fetch().await) })
}

/// One place credentials can come from.
pub trait CredentialSource: Send + Sync + fmt::Debug + 'static {
    /// A short name for reports and logs, e.g. `Ec2InstanceMetadata`.
    fn name(&self) -> &str;
    /// Fetches credentials once (a source may retry internally with its own policy).
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>>;
    /// How often the refresh engine should fetch again credentials that have no expiry, because
    /// what they come from can change underneath (a rewritten credentials file). `None` (the
    /// default): never, so a `credential_process` printing long-term keys runs once.
    fn long_term_recheck(&self) -> Option<std::time::Duration> {
        None
    }
    /// The longest lifetime this source's credentials can have, when its configuration says
    /// (a role session's duration); `None` (the default) when only its answers tell.
    fn lifetime_cap(&self) -> Option<LifetimeCap> {
        None
    }
    /// For a chain: what each source did when it was last resolved. `None` for a single source.
    fn report(&self) -> Option<chain::ResolutionReport> {
        None
    }
    /// What last changed in the configuration this source reads (e.g. a profile file rewritten),
    /// for the resolution report. `None` when nothing changed since it was built.
    fn last_change(&self) -> Option<String> {
        None
    }
    /// For the shadowing probe (a static winner hides this source: would this one work?):
    /// answers from configuration alone, or with requests that have no side effects. The default
    /// asks nothing and answers [`Probe::Configured`]; sources whose fetch has no side effects
    /// override it with [`probe_by_fetching`].
    fn probe(&self) -> BoxFuture<'_, Probe> {
        let what = format!(
            "{} is configured; the probe did not ask it (that could run a process, call STS or create a session)",
            self.name()
        );
        Box::pin(async move { Probe::Configured(what) })
    }
}

/// Implements [`CredentialSource`] for a source whose name is its `name` field and whose
/// `async fn fetch_inner(&self) -> Result<Fetched>` fetches; with `probe: METHOD`, its probe is
/// `async fn METHOD(&self) -> Probe` instead of the default. The other methods keep their
/// defaults: a source that needs more writes the impl out.
macro_rules! credential_source {
    ($source:ty $(, probe: $probe:ident)?) => {
        impl $crate::sources::CredentialSource for $source {
            fn name(&self) -> &str {
                &self.name
            }

            fn fetch(
                &self,
            ) -> $crate::sources::BoxFuture<'_, $crate::error::Result<$crate::sources::Fetched>> {
                Box::pin(self.fetch_inner())
            }

            $(
                fn probe(&self) -> $crate::sources::BoxFuture<'_, $crate::sources::Probe> {
                    Box::pin(self.$probe())
                }
            )?
        }
    };
}
pub(crate) use credential_source;
