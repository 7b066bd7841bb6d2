//! Assume a role with credentials from another source (profile `role_arn` + `source_profile` or
//! `credential_source`, or a role configured in code): fetch the base credentials, then call STS
//! `AssumeRole` with them.
//!
//! A role configured in code takes its base through a [`RefreshedBase`]: the base has a refresh
//! engine of its own (cached, refreshed early, single flight), so a role → role chain is a chain
//! of engines, each hop refreshed before the next one needs it.

use std::sync::Arc;
use std::time::Duration;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::refresh::{RefreshEngine, Served};
use crate::sources::chain::ResolutionReport;
use crate::sources::sts::{RoleRequest, StsClient};
use crate::sources::{BoxFuture, CredentialSource, Fetched, LifetimeCap, Probe};

/// Longest a role's refresh waits for its base to finish a refresh that is due: past it, the
/// base's cached credentials (still valid: a refresh falls due a lead before expiry) are used.
pub(crate) const BASE_ROUND_WAIT: Duration = Duration::from_secs(30);

/// Credentials of an assumed role, obtained with the credentials of a base source. `Debug`
/// hides the external id.
#[derive(Debug)]
pub struct AssumeRoleSource {
    base: Arc<dyn CredentialSource>,
    request: RoleRequest,
    sts: Arc<StsClient>,
    name: String,
}

impl AssumeRoleSource {
    /// Assumes the role of `request` (a role ARN converts into a request with the default
    /// session name `freshcreds-<unix millis>`) with credentials from `base`.
    pub fn new(
        base: Arc<dyn CredentialSource>,
        request: impl Into<RoleRequest>,
        sts: Arc<StsClient>,
    ) -> Self {
        let name = format!("AssumeRole({})", base.name());
        AssumeRoleSource {
            base,
            request: request.into(),
            sts,
            name,
        }
    }

    /// Sets the name used in reports and in the credentials' source (e.g. `Profile(dev)`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// What this source asks STS for.
    pub fn request(&self) -> &RoleRequest {
        &self.request
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let role_arn = &self.request.role_arn;
        let base = self.base.fetch().await.map_err(|e| {
            // A base source with nothing configured is a broken role profile, not an absent one.
            let kind = if e.is_not_loaded() {
                ErrorKind::InvalidConfig
            } else {
                e.kind()
            };
            Error::new(
                kind,
                format!(
                    "{}: the source credentials for {role_arn} could not be loaded: {}",
                    self.name,
                    e.full_message()
                ),
            )
        })?;
        let fetched = self
            .sts
            .assume_role(&base.credentials, &self.request)
            .await
            .map_err(|e| {
                let with = format!("credentials from {}", self.base.name());
                role_call_error(&self.name, role_arn, &with, e)
            })?;
        tracing::debug!(source = %self.name, role_arn = %role_arn, "assumed role");
        Ok(fetched.attributed(&self.name, Credentials::account_of_arn(role_arn)))
    }
}

/// The error of a failed `AssumeRole…` call, naming the source, the role and what it was
/// assumed with; the kind is the call's.
pub(crate) fn role_call_error(name: &str, role_arn: &str, with: &str, e: Error) -> Error {
    Error::new(
        e.kind(),
        format!(
            "{name}: assuming {role_arn} with {with} failed: {}",
            e.full_message()
        ),
    )
}

impl CredentialSource for AssumeRoleSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }

    fn report(&self) -> Option<ResolutionReport> {
        self.base.report()
    }

    fn lifetime_cap(&self) -> Option<LifetimeCap> {
        Some(LifetimeCap::of_role_session(self.request.duration))
    }

    /// Asks nothing: assuming the role calls STS and creates a session. Its base is probed.
    fn probe(&self) -> BoxFuture<'_, Probe> {
        Box::pin(async move {
            match self.base.probe().await {
                Probe::Available | Probe::Configured(_) => Probe::Configured(format!(
                    "{} would assume {} through STS over {} (not called by the probe)",
                    self.name,
                    self.request.role_arn,
                    self.base.name()
                )),
                other => other,
            }
        })
    }
}

/// A base source behind a refresh engine of its own, as the base of a role configured in code.
///
/// A fetch answers from the engine's cache: valid credentials, or stale ones only while static
/// stability serves them. When the base's own refresh is due (it is a lead before its expiry),
/// the fetch first waits for that round, at most `BASE_ROUND_WAIT`, so that the role session
/// is signed with the new base credentials; it never starts a round of its own (the base stays
/// single flight). Dropping it stops the base's engine.
#[derive(Debug)]
pub struct RefreshedBase {
    source: Arc<dyn CredentialSource>,
    engine: RefreshEngine,
}

impl RefreshedBase {
    /// Wraps `source` and the engine that refreshes it (started with
    /// [`RefreshEngine::spawn_on`] over the same source).
    pub fn new(source: Arc<dyn CredentialSource>, engine: RefreshEngine) -> Self {
        RefreshedBase { source, engine }
    }

    /// The base's refresh engine (its status and counters).
    pub fn engine(&self) -> &RefreshEngine {
        &self.engine
    }

    fn due(&self, served: &Served) -> bool {
        let now = self.engine.clock().now();
        !served.stale && served.refresh_at.is_some_and(|at| now >= at)
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let mut served = self.engine.credentials().await?;
        if self.due(&served) {
            // Subscribe, then look again, so that a round finishing in between is not missed.
            let mut rounds = self.engine.rounds();
            rounds.borrow_and_update();
            if let Some(now) = self.engine.cached() {
                served = now;
            }
            if self.due(&served) {
                tracing::debug!(base = %self.source.name(), "waiting for the base's refresh round");
                let wait = self.engine.clock().sleep(BASE_ROUND_WAIT);
                tokio::select! {
                    _ = rounds.changed() => {}
                    _ = wait => {}
                }
                served = self.engine.cached().unwrap_or(served);
            }
        }
        Ok(Fetched::local(Credentials::clone(&served.credentials)))
    }
}

impl CredentialSource for RefreshedBase {
    fn name(&self) -> &str {
        self.source.name()
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }

    fn report(&self) -> Option<ResolutionReport> {
        self.engine.report()
    }

    fn probe(&self) -> BoxFuture<'_, Probe> {
        self.source.probe()
    }
}

impl Drop for RefreshedBase {
    fn drop(&mut self) {
        self.engine.close();
    }
}
