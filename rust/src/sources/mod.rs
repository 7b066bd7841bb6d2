//! Credential sources: each one knows how to fetch credentials from one place (environment,
//! profile files, STS, a process, a container endpoint, IMDS). The refresh engine decides when.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use crate::credentials::Credentials;
use crate::error::Result;

pub mod assume_role;
pub mod chain;
pub mod container;
pub mod default_chain;
pub mod environment;
pub mod imds;
pub mod process;
pub mod profile;
pub mod retry;
pub mod server_clock;
pub mod sts;
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
}

/// One place credentials can come from.
pub trait CredentialSource: Send + Sync + fmt::Debug + 'static {
    /// A short name for reports and logs, e.g. `Ec2InstanceMetadata`.
    fn name(&self) -> &str;
    /// Fetches credentials once (a source may retry internally with its own policy).
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>>;
    /// For a chain: what each source did when it was last resolved. `None` for a single source.
    fn report(&self) -> Option<chain::ResolutionReport> {
        None
    }
    /// What last changed in the configuration this source reads (e.g. a profile file rewritten),
    /// for the resolution report. `None` when nothing changed since it was built.
    fn last_change(&self) -> Option<String> {
        None
    }
}
