//! The IAM Identity Center portal's `GetRoleCredentials`: `GET {portal}/federation/credentials
//! ?account_id=…&role_name=…` with the access token in the `x-amz-sso_bearer_token` header; the
//! answer is `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
//! "expiration"}}`, the expiration in epoch milliseconds.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::credentials::{Credentials, SecretJson};
use crate::error::{Error, ErrorKind, Result};
use crate::sources::server_clock::{DateOrigin, ServerClock};
use crate::sources::Fetched;

use super::{Endpoint, ServiceClient};

/// The header that carries the access token.
pub(crate) const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// A client of the portal's `GetRoleCredentials`.
#[derive(Debug)]
pub struct PortalClient {
    service: ServiceClient,
    server_clock: Arc<ServerClock>,
}

impl PortalClient {
    /// A client that sends its requests with `service` and tells `server_clock` the `Date` of
    /// every answer.
    pub(super) fn new(service: ServiceClient, server_clock: Arc<ServerClock>) -> PortalClient {
        PortalClient {
            service,
            server_clock,
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.service.endpoint
    }

    /// Calls `GetRoleCredentials` for `role_name` in `account_id` with `access_token`. An
    /// answer of 401 or 403 (an expired or revoked token) is [`ErrorKind::Expired`]; 5xx, 429
    /// and transport failures are retried with the client's policy.
    pub async fn get_role_credentials(
        &self,
        access_token: &str,
        account_id: &str,
        role_name: &str,
    ) -> Result<Fetched> {
        let mut url = self.service.url("/federation/credentials")?;
        url.query_pairs_mut()
            .append_pair("account_id", account_id)
            .append_pair("role_name", role_name);
        let what = format!(
            "IAM Identity Center GetRoleCredentials at {}",
            self.service.endpoint
        );
        let get = |http: &reqwest::Client| {
            http.get(url.clone())
                .header(BEARER_TOKEN_HEADER, access_token)
        };
        let read_date = |headers: &reqwest::header::HeaderMap| {
            self.server_clock.observe_header(
                headers,
                self.service.clock.wall(),
                DateOrigin::CredentialsEndpoint,
                &self.service.endpoint.url,
            )
        };
        let (date, body) = self
            .service
            .call("GetRoleCredentials", &what, get, expired_kind, read_date)
            .await?;
        let credentials = parse_role_credentials(&body, &what)?;
        Ok(Fetched {
            credentials,
            server_date: date,
        })
    }
}

/// The kind of a non-2xx `GetRoleCredentials` answer: 401 or 403 means the token expired or
/// was revoked.
fn expired_kind(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Expired,
        s => super::status_kind(s),
    }
}

/// Parses a `GetRoleCredentials` answer; errors name the field, never a value.
fn parse_role_credentials(body: &[u8], what: &str) -> Result<Credentials> {
    let bad = |detail: &str| Error::new(ErrorKind::Parse, format!("{what}: {detail}"));
    let doc = SecretJson::parse(body).map_err(|_| bad("the answer is not valid JSON"))?;
    let creds = doc
        .0
        .get("roleCredentials")
        .ok_or_else(|| bad("the answer has no `roleCredentials`"))?;
    let field = |name: &str| -> Result<String> {
        creds
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| bad(&format!("the answer has no `roleCredentials.{name}`")))
    };
    let expiration_ms = creds
        .get("expiration")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| bad("the answer has no numeric `roleCredentials.expiration`"))?;
    let expiration: DateTime<Utc> = DateTime::from_timestamp_millis(expiration_ms)
        .ok_or_else(|| bad("`roleCredentials.expiration` is out of range"))?;
    Ok(Credentials::new(
        field("accessKeyId")?,
        field("secretAccessKey")?,
        Some(field("sessionToken")?),
        Some(expiration),
        "Sso",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn role_credentials_parse_with_the_expiry_in_epoch_milliseconds() {
        let c = parse_role_credentials(
            br#"{"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1651516560000}}"#,
            "x",
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "ASIA1");
        assert_eq!(c.expiration().unwrap().timestamp(), 1651516560);
    }

    #[test]
    fn a_missing_field_is_named_and_no_value_is_quoted() {
        let e = parse_role_credentials(
            br#"{"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"very-secret","expiration":1}}"#,
            "GetRoleCredentials at http://x",
        )
        .unwrap_err();
        assert_mentions(e.message(), &["roleCredentials.sessionToken"]);
        assert!(!e.message().contains("very-secret"));
    }
}
