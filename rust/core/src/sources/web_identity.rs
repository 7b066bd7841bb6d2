//! Web identity federation (EKS IRSA and other OIDC providers): read a token file and exchange the
//! token for role credentials with STS `AssumeRoleWithWebIdentity`.
//!
//! Configured by `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`, or by
//! a profile's `web_identity_token_file`, `role_arn` and `role_session_name`. The token file is
//! read again at every fetch, because the identity provider rotates it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sources::assume_role::role_call_error;
use crate::sources::sts::{RoleRequest, StsClient};
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// The environment variable naming the token file.
pub(crate) const ENV_WEB_IDENTITY_TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
/// The environment variable naming the role to assume.
pub(crate) const ENV_ROLE_ARN: &str = "AWS_ROLE_ARN";
/// The environment variable naming the role session.
pub(crate) const ENV_ROLE_SESSION_NAME: &str = "AWS_ROLE_SESSION_NAME";
/// Token files larger than this are refused (a JWT is a few kilobytes).
pub(crate) const MAX_TOKEN_FILE_BYTES: u64 = 1024 * 1024;

/// Role credentials from `AssumeRoleWithWebIdentity` with a token read from a file.
#[derive(Debug)]
pub struct WebIdentitySource {
    token_file: PathBuf,
    request: RoleRequest,
    sts: Arc<StsClient>,
    origin: String,
    name: String,
}

impl WebIdentitySource {
    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`.
    /// `ErrorKind::NotConfigured` when the token file variable is unset; an
    /// `ErrorKind::InvalidConfig` error naming the variable when the role ARN is missing.
    pub fn from_env(env: &Env, sts: Arc<StsClient>) -> Result<Self> {
        let Some(token_file) = env.get_non_blank(ENV_WEB_IDENTITY_TOKEN_FILE) else {
            return Err(Error::not_configured(format!(
                "{ENV_WEB_IDENTITY_TOKEN_FILE} is not set"
            )));
        };
        let Some(role_arn) = env.get_non_blank(ENV_ROLE_ARN) else {
            return Err(Error::invalid_config(format!(
                "{ENV_WEB_IDENTITY_TOKEN_FILE} is set but {ENV_ROLE_ARN} is not: both are needed for web identity credentials"
            )));
        };
        let request = RoleRequest::new(role_arn.trim())
            .with_session_name(env.get_non_blank(ENV_ROLE_SESSION_NAME));
        let source =
            Self::new(token_file.trim(), request, sts).with_origin(ENV_WEB_IDENTITY_TOKEN_FILE);
        Ok(source.with_name("WebIdentityToken(environment)"))
    }

    /// From explicit settings (a profile's `web_identity_token_file` and `role_arn`, or a role
    /// configured in code). A role ARN converts into a request with the default session name.
    pub fn new(
        token_file: impl Into<PathBuf>,
        request: impl Into<RoleRequest>,
        sts: Arc<StsClient>,
    ) -> Self {
        WebIdentitySource {
            token_file: token_file.into(),
            request: request.into(),
            sts,
            origin: "web_identity_token_file".to_string(),
            name: "WebIdentityToken".to_string(),
        }
    }

    /// Says where the token file setting came from, for error messages (e.g.
    /// `web_identity_token_file of profile dev`).
    pub(crate) fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// Sets the name used in reports and in the credentials' source.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The token file read at every fetch.
    pub fn token_file(&self) -> &Path {
        &self.token_file
    }

    /// What this source asks STS for.
    pub fn request(&self) -> &RoleRequest {
        &self.request
    }

    async fn read_token(&self) -> Result<String> {
        let path = &self.token_file;
        let unreadable = |detail: String| {
            Error::invalid_config(format!(
                "web identity token file {} (from {}) {detail}",
                path.display(),
                self.origin
            ))
        };
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| unreadable(format!("cannot be read: {e}")))?;
        if meta.len() > MAX_TOKEN_FILE_BYTES {
            return Err(unreadable(format!(
                "is {} bytes, more than the {MAX_TOKEN_FILE_BYTES} a token may have",
                meta.len()
            )));
        }
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| unreadable(format!("cannot be read: {e}")))?;
        token_from_bytes(bytes).map_err(|detail| unreadable(detail.to_string()))
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        let token = self.read_token().await?;
        let fetched = self
            .sts
            .assume_role_with_web_identity(&self.request, &token)
            .await
            .map_err(|e| {
                let with = format!("the token in {}", self.token_file.display());
                role_call_error(&self.name, &self.request.role_arn, &with, e)
            })?;
        tracing::debug!(source = %self.name, role_arn = %self.request.role_arn, "assumed role with web identity");
        let account_id = crate::credentials::Credentials::account_of_arn(&self.request.role_arn);
        Ok(fetched.attributed(&self.name, account_id))
    }
}

/// The token in a token file's contents (zeroized, like the contents, when dropped), or what is
/// wrong with it.
fn token_from_bytes(bytes: Vec<u8>) -> std::result::Result<String, &'static str> {
    let bytes = zeroize::Zeroizing::new(bytes);
    let text = std::str::from_utf8(&bytes).map_err(|_| "is not UTF-8 text")?;
    // A JWT has no whitespace: the trailing newline editors and `echo` add is dropped.
    let token = text.trim();
    if token.is_empty() {
        return Err("is empty");
    }
    Ok(token.to_string())
}

/// Fuzzing entry point: reads a token from token file contents and sends it through the
/// `AssumeRoleWithWebIdentity` form encoding. Not an API.
#[doc(hidden)]
pub fn fuzz_token_file(contents: &[u8]) {
    if let Ok(token) = token_from_bytes(contents.to_vec()) {
        assert!(!token.is_empty() && token.trim() == token);
        crate::sources::sts::fuzz_web_identity_form(&token);
    }
}

impl CredentialSource for WebIdentitySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }

    fn lifetime_cap(&self) -> Option<crate::sources::LifetimeCap> {
        Some(crate::sources::LifetimeCap::of_role_session(
            self.request.duration,
        ))
    }

    /// Reads the token file (local) but does not call STS.
    fn probe(&self) -> BoxFuture<'_, crate::sources::Probe> {
        use crate::sources::Probe;
        Box::pin(async move {
            match self.read_token().await {
                Ok(_) => Probe::Configured(format!(
                    "{} would call AssumeRoleWithWebIdentity for {} with the token in {} (not called by the probe)",
                    self.name,
                    self.request.role_arn,
                    self.token_file.display()
                )),
                Err(e) => Probe::Failed(e.full_message()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;
    use crate::error::ErrorKind;
    use crate::sources::sts::StsSettings;

    fn sts() -> Arc<StsClient> {
        Arc::new(
            StsClient::new(StsSettings::with_endpoint(
                "http://127.0.0.1:9",
                "us-east-1",
            ))
            .unwrap(),
        )
    }

    #[test]
    fn without_the_token_file_variable_the_source_is_not_configured() {
        let err = WebIdentitySource::from_env(&Env::from_map([(ENV_ROLE_ARN, "arn")]), sts())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConfigured);
    }

    #[test]
    fn a_token_file_without_a_role_arn_is_invalid_and_names_the_variable() {
        let env = Env::from_map([(ENV_WEB_IDENTITY_TOKEN_FILE, "/tmp/token")]);
        let err = WebIdentitySource::from_env(&env, sts()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_mentions(err.message(), &[ENV_ROLE_ARN]);
    }

    #[test]
    fn the_session_name_comes_from_the_environment_or_defaults_to_freshcreds_millis() {
        let env = Env::from_map([
            (ENV_WEB_IDENTITY_TOKEN_FILE, "/tmp/token"),
            (ENV_ROLE_ARN, "arn:aws:iam::123456789012:role/r"),
        ]);
        let s = WebIdentitySource::from_env(&env, sts()).unwrap();
        let millis = s
            .request()
            .session_name
            .strip_prefix("freshcreds-")
            .unwrap();
        assert!(millis.parse::<i64>().unwrap() > 1_600_000_000_000);
        let env = Env::from_map([
            (ENV_WEB_IDENTITY_TOKEN_FILE, "/tmp/token"),
            (ENV_ROLE_ARN, "arn:aws:iam::123456789012:role/r"),
            (ENV_ROLE_SESSION_NAME, "my-session"),
        ]);
        let s = WebIdentitySource::from_env(&env, sts()).unwrap();
        assert_eq!(s.request().session_name, "my-session");
    }
}
