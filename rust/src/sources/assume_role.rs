//! Assume a role with credentials from another source (profile `role_arn` + `source_profile` or
//! `credential_source`): fetch the base credentials, then call STS `AssumeRole` with them.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::SystemClock;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::sts::{default_session_name, StsClient};
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// Credentials of an assumed role, obtained with the credentials of a base source. `Debug`
/// hides the external id.
pub struct AssumeRoleSource {
    base: Arc<dyn CredentialSource>,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    duration: Option<Duration>,
    sts: Arc<StsClient>,
    name: String,
}

impl std::fmt::Debug for AssumeRoleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRoleSource")
            .field("base", &self.base)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field(
                "external_id",
                &self
                    .external_id
                    .as_ref()
                    .map(|_| crate::credentials::REDACTED),
            )
            .field("duration", &self.duration)
            .field("sts", &self.sts)
            .field("name", &self.name)
            .finish()
    }
}

impl AssumeRoleSource {
    /// Assumes `role_arn` with credentials from `base`. The session name defaults to
    /// `freshcreds-<unix millis>` (fixed at construction, like the SDKs' `aws-sdk-java-<millis>`).
    pub fn new(
        base: Arc<dyn CredentialSource>,
        role_arn: impl Into<String>,
        sts: Arc<StsClient>,
    ) -> Self {
        let name = format!("AssumeRole({})", base.name());
        AssumeRoleSource {
            base,
            role_arn: role_arn.into(),
            session_name: default_session_name(&SystemClock::new()),
            external_id: None,
            duration: None,
            sts,
            name,
        }
    }

    /// Sets the role session name (profile `role_session_name`).
    pub fn with_session_name(mut self, session_name: impl Into<String>) -> Self {
        self.session_name = session_name.into();
        self
    }

    /// Sets the external id (profile `external_id`).
    pub fn with_external_id(mut self, external_id: Option<String>) -> Self {
        self.external_id = external_id;
        self
    }

    /// Sets the requested session duration (profile `duration_seconds`); STS defaults to 1 hour.
    pub fn with_duration(mut self, duration: Option<Duration>) -> Self {
        self.duration = duration;
        self
    }

    /// Sets the name used in reports and in the credentials' source (e.g. `Profile(dev)`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The role this source assumes.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// The role session name sent to STS.
    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
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
                    "{}: the source credentials for {} could not be loaded: {}",
                    self.name,
                    self.role_arn,
                    e.full_message()
                ),
            )
        })?;
        let fetched = self
            .sts
            .assume_role(
                &base.credentials,
                &self.role_arn,
                &self.session_name,
                self.external_id.as_deref(),
                self.duration,
            )
            .await
            .map_err(|e| {
                Error::new(
                    e.kind(),
                    format!(
                        "{}: assuming {} with credentials from {} failed: {}",
                        self.name,
                        self.role_arn,
                        self.base.name(),
                        e.full_message()
                    ),
                )
            })?;
        tracing::debug!(source = %self.name, role_arn = %self.role_arn, "assumed role");
        Ok(Fetched {
            credentials: fetched.credentials.with_source(self.name.clone()),
            server_date: fetched.server_date,
        })
    }
}

impl CredentialSource for AssumeRoleSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }

    /// Asks nothing: assuming the role calls STS and creates a session. Its base is probed.
    fn probe(&self) -> BoxFuture<'_, crate::sources::Probe> {
        use crate::sources::Probe;
        Box::pin(async move {
            match self.base.probe().await {
                Probe::Available | Probe::Configured(_) => Probe::Configured(format!(
                    "{} would assume {} through STS over {} (not called by the probe)",
                    self.name,
                    self.role_arn,
                    self.base.name()
                )),
                other => other,
            }
        })
    }
}
