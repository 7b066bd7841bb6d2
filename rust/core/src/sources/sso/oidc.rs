//! SSO OIDC `CreateToken` with the `refresh_token` grant: `POST {oidc}/token` with a JSON body
//! (`clientId`, `clientSecret`, `grantType`, `refreshToken`); the answer carries `accessToken`,
//! `expiresIn` (seconds) and, usually, a new `refreshToken`. Never interactive: the device
//! authorization flow that `aws sso login` runs is not here.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::credentials::SecretJson;
use crate::error::{Error, ErrorKind, Result};

use super::cache::Registration;
use super::{Endpoint, ServiceClient};

/// The grant type of a refresh.
pub(crate) const REFRESH_GRANT_TYPE: &str = "refresh_token";
/// The longest access token lifetime (`expiresIn`) accepted from `CreateToken`: 90 days, the
/// longest session IAM Identity Center allows (access tokens usually last an hour). A longer,
/// zero, negative or non-integer `expiresIn` is a broken answer: refused as a parse error naming
/// the endpoint and the field, never added to a time (where it overflowed and panicked).
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(90 * 24 * 3600);

/// What a successful `CreateToken` returned. `Debug` shows no token.
pub struct NewToken {
    /// The new access token.
    pub access_token: Zeroizing<String>,
    /// Its lifetime: from 1 s to [`MAX_EXPIRES_IN`].
    pub expires_in: Duration,
    /// The new refresh token, when the service rotated it.
    pub refresh_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A client of SSO OIDC `CreateToken`.
#[derive(Debug)]
pub struct OidcClient {
    service: ServiceClient,
}

impl OidcClient {
    /// A client that sends its requests with `service`.
    pub(super) fn new(service: ServiceClient) -> OidcClient {
        OidcClient { service }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.service.endpoint
    }

    /// Exchanges `refresh_token` for a new access token. A refusal (4xx: a revoked or expired
    /// refresh token, `invalid_grant`) is [`ErrorKind::Refused`] and not retried.
    pub async fn refresh(
        &self,
        registration: &Registration,
        refresh_token: &str,
    ) -> Result<NewToken> {
        let url = self.service.url("/token")?;
        let body = Zeroizing::new(
            serde_json::json!({
                "clientId": registration.client_id,
                "clientSecret": registration.client_secret.expose(),
                "grantType": REFRESH_GRANT_TYPE,
                "refreshToken": refresh_token,
            })
            .to_string(),
        );
        let what = format!("SSO OIDC CreateToken at {}", self.service.endpoint);
        let post = |http: &reqwest::Client| {
            http.post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes::Bytes::from_owner(Zeroizing::new(
                    body.as_bytes().to_vec(),
                )))
        };
        let ((), answer) = self
            .service
            .call("CreateToken", &what, post, refusal_kind, |_| ())
            .await?;
        parse_create_token_answer(&answer, &what)
    }
}

/// The kind of a non-2xx `CreateToken` answer: a 4xx but 429 is a refusal (a revoked or expired
/// refresh token), not retried.
fn refusal_kind(status: u16) -> ErrorKind {
    match status {
        s @ 400..=499 if s != 429 => ErrorKind::Refused,
        s => super::status_kind(s),
    }
}

/// Parses a `CreateToken` answer (`what` names the request and endpoint in errors): the access
/// token, `expiresIn` within 1 s to [`MAX_EXPIRES_IN`], the rotated refresh token if any. Errors
/// are [`ErrorKind::Parse`], name the field, and never quote a value. Public for tests.
#[doc(hidden)]
pub fn parse_create_token_answer(body: &[u8], what: &str) -> Result<NewToken> {
    let bad = |detail: &str| Error::new(ErrorKind::Parse, format!("{what}: {detail}"));
    let doc = SecretJson::parse(body).map_err(|_| bad("the answer is not valid JSON"))?;
    let access_token = doc
        .0
        .get("accessToken")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("the answer has no `accessToken`"))?;
    let expires_in = match doc.0.get("expiresIn") {
        None => return Err(bad("the answer has no `expiresIn`")),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_EXPIRES_IN.as_secs()).contains(n))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                bad(&format!(
                    "field `expiresIn` of the answer is not a whole number of seconds from 1 to {}",
                    MAX_EXPIRES_IN.as_secs()
                ))
            })?,
    };
    let refresh_token = doc
        .0
        .get("refreshToken")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(|s| Zeroizing::new(s.to_string()));
    Ok(NewToken {
        access_token: Zeroizing::new(access_token.to_string()),
        expires_in,
        refresh_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn a_create_token_answer_parses_and_its_debug_shows_no_token() {
        let t = parse_create_token_answer(
            br#"{"accessToken":"at-1","expiresIn":3600,"refreshToken":"rt-2","tokenType":"Bearer"}"#,
            "x",
        )
        .unwrap();
        assert_eq!(t.access_token.as_str(), "at-1");
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        assert_eq!(t.refresh_token.as_deref().map(String::as_str), Some("rt-2"));
        let text = format!("{t:?}");
        assert!(!text.contains("at-1") && !text.contains("rt-2"), "{text}");
    }

    #[test]
    fn an_answer_without_expires_in_is_a_parse_error_naming_the_field() {
        let e = parse_create_token_answer(br#"{"accessToken":"at-1"}"#, "CreateToken").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_mentions(e.message(), &["`expiresIn`"]);
    }

    #[test]
    fn expires_in_is_accepted_from_one_second_to_the_maximum_and_refused_outside() {
        let answer = |n: &str| {
            parse_create_token_answer(
                format!(r#"{{"accessToken":"at-1","expiresIn":{n}}}"#).as_bytes(),
                "SSO OIDC CreateToken at http://127.0.0.1:1",
            )
        };
        let max = MAX_EXPIRES_IN.as_secs();
        assert_eq!(answer("1").unwrap().expires_in, Duration::from_secs(1));
        assert_eq!(answer(&max.to_string()).unwrap().expires_in, MAX_EXPIRES_IN);
        for bad in [
            "0",
            "-1",
            &(max + 1).to_string(),
            "9223372036854775807",
            "18446744073709551615",
            "1e300",
            "3600.5",
            "\"3600\"",
            "null",
        ] {
            let e = answer(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(e.kind(), ErrorKind::Parse, "{bad}");
            assert!(
                e.message().contains("`expiresIn`")
                    && e.message().contains("http://127.0.0.1:1")
                    && !e.message().contains("at-1"),
                "{bad}: {}",
                e.message()
            );
        }
    }
}
