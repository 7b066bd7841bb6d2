//! Instance-profile credentials from IMDS: role discovery, then the role's credentials document.

use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::client::{ImdsClient, ImdsResponse, ImdsStats};
use super::config::ImdsConfig;
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::credentials_document::{self, Format};
use crate::sources::server_clock::ServerClock;
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// Name of the IMDS source in reports (the AWS SDKs' provider name).
pub const SOURCE_NAME: &str = "Ec2InstanceMetadata";
/// Lists the role attached to the instance (one name per line).
pub const ROLE_LIST_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the instance profile, read from IMDS. The role name is discovered once and
/// cached; it is discovered again once when its credentials path answers 404 (a changed instance
/// profile).
#[derive(Debug)]
pub struct ImdsCredentialsSource {
    client: ImdsClient,
    role: Mutex<Option<String>>,
}

impl ImdsCredentialsSource {
    /// A source reading IMDS as `config` says, timing retries and tokens on `clock`.
    pub fn new(config: ImdsConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        Ok(Self::from_client(ImdsClient::new(config, clock)?))
    }

    /// Like [`ImdsCredentialsSource::new`], feeding every answer's `Date` to `server_clock`.
    pub fn with_server_clock(
        config: ImdsConfig,
        clock: Arc<dyn Clock>,
        server_clock: Arc<ServerClock>,
    ) -> Result<Self> {
        let client = ImdsClient::with_server_clock(config, clock, server_clock)?;
        Ok(Self::from_client(client))
    }

    /// A source over `client`, with no role discovered yet.
    fn from_client(client: ImdsClient) -> Self {
        ImdsCredentialsSource {
            client,
            role: Mutex::new(None),
        }
    }

    /// The underlying client (shares the token and counters with this source).
    pub fn client(&self) -> &ImdsClient {
        &self.client
    }

    /// What the client did so far.
    pub fn stats(&self) -> ImdsStats {
        self.client.stats()
    }

    /// Fetches the credentials of the attached role.
    pub(crate) async fn fetch_credentials(&self) -> Result<Fetched> {
        if let Some(setting) = self.client.config().disabled_by() {
            return Err(Error::new(
                ErrorKind::Disabled,
                format!("IMDS credentials are disabled by {setting}"),
            ));
        }
        let cached = self.role.lock().expect("role").clone();
        let (role, was_cached) = match cached {
            Some(role) => (role, true),
            None => (self.discover_role().await?, false),
        };
        match self.client.get(&credentials_path(&role)).await {
            Ok(resp) => self.parse(&role, resp),
            Err(e) if e.http_status() == Some(404) && was_cached => {
                tracing::info!(role = %role, "IMDS no longer knows the cached role (404); discovering the role again");
                *self.role.lock().expect("role") = None;
                let role = self.discover_role().await?;
                let resp = self
                    .client
                    .get(&credentials_path(&role))
                    .await
                    .map_err(|e| self.role_error(&role, e))?;
                self.parse(&role, resp)
            }
            Err(e) => Err(self.role_error(&role, e)),
        }
    }

    fn role_error(&self, role: &str, e: Error) -> Error {
        if e.http_status() == Some(404) {
            Error::new(
                ErrorKind::Http(404),
                format!(
                    "IMDS listed role `{role}` but has no credentials for it: {}",
                    e.message()
                ),
            )
        } else {
            e
        }
    }

    async fn discover_role(&self) -> Result<String> {
        let url = self.client.config().url(ROLE_LIST_PATH);
        let hint = "attach an instance profile with an IAM role to this instance \
                    (`aws ec2 associate-iam-instance-profile`)";
        let resp = match self.client.get(ROLE_LIST_PATH).await {
            Ok(resp) => resp,
            Err(e) if e.http_status() == Some(404) => {
                return Err(Error::not_configured(format!(
                    "no IAM role is attached to this instance (GET {url} answered 404): {hint}"
                )))
            }
            Err(e) => return Err(e),
        };
        let role = resp
            .body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string);
        match role {
            Some(role) => {
                tracing::debug!(role = %role, "IMDS role discovered");
                *self.role.lock().expect("role") = Some(role.clone());
                Ok(role)
            }
            None => Err(Error::not_configured(format!(
                "no IAM role is attached to this instance (GET {url} listed none): {hint}"
            ))),
        }
    }

    fn parse(&self, role: &str, resp: ImdsResponse) -> Result<Fetched> {
        let url = self.client.config().url(&credentials_path(role));
        let body = Zeroizing::new(resp.body);
        let credentials = credentials_document::parse_credentials(
            body.as_bytes(),
            Format::Imds,
            SOURCE_NAME,
            &format!("IMDS GET {url} (role `{role}`)"),
        )?;
        Ok(Fetched {
            credentials,
            server_date: resp.date,
        })
    }
}

impl CredentialSource for ImdsCredentialsSource {
    fn name(&self) -> &str {
        SOURCE_NAME
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_credentials())
    }

    /// Asks IMDS whether a role is attached (the role list), not for its credentials.
    fn probe(&self) -> BoxFuture<'_, crate::sources::Probe> {
        use crate::sources::Probe;
        Box::pin(async move {
            if let Some(setting) = self.client.config().disabled_by() {
                return Probe::NotConfigured(format!("IMDS credentials are disabled by {setting}"));
            }
            match self.discover_role().await {
                Ok(_) => Probe::Available,
                Err(e) if e.is_not_loaded() => Probe::NotConfigured(e.full_message()),
                Err(e) => Probe::Failed(e.full_message()),
            }
        })
    }
}

/// Fuzzing entry point: parses `body` as the credentials document of IMDS. Not an API.
#[doc(hidden)]
pub fn fuzz_parse_credentials_document(body: &str) {
    static SOURCE: std::sync::OnceLock<ImdsCredentialsSource> = std::sync::OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        ImdsCredentialsSource::new(
            ImdsConfig::default(),
            Arc::new(crate::clock::SystemClock::new()),
        )
        .expect("an IMDS source with the default configuration builds")
    });
    let resp = ImdsResponse {
        status: 200,
        body: body.to_string(),
        date: None,
    };
    if let Ok(f) = source.parse("fuzz-role", resp) {
        assert!(!f.credentials.access_key_id().is_empty());
    }
}

fn credentials_path(role: &str) -> String {
    format!("{ROLE_LIST_PATH}{role}")
}
