//! The IAM Identity Center token cache the AWS CLI writes: `~/.aws/sso/cache/<key>.json`, where
//! `<key>` is the SHA-1 (lower-case hex) of the session name (`[sso-session NAME]` profiles) or of
//! the start URL (legacy profiles), as botocore's `SSOTokenLoader` computes it.
//!
//! The file is a JSON object with camelCase fields: `accessToken`, `expiresAt` (RFC 3339), and for
//! the sso-session form `refreshToken`, `clientId`, `clientSecret`, `registrationExpiresAt`,
//! `region`, `startUrl`. A refreshed token is written back atomically (a temporary file in the same
//! directory, mode 0600, renamed over the old one) with every other field of the file kept as it
//! was, so the AWS CLI and freshcreds can share the file.
//!
//! Errors name the file and the field, never a token.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::credentials::{Secret, SecretJson};
use crate::error::{ErrorKind, Result};
use crate::sources::token_cache::CacheFile;

pub use crate::sources::token_cache::format_time;

/// The cache directory under a home directory: `<home>/.aws/sso/cache`.
pub(crate) fn cache_dir(home: &str) -> PathBuf {
    Path::new(home).join(".aws").join("sso").join("cache")
}

/// The cache file name for `key` (a session name or a start URL): `<sha1 hex of key>.json`.
pub fn cache_file_name(key: &str) -> String {
    let digest = Sha1::digest(key.as_bytes());
    let mut name = String::with_capacity(45);
    for byte in digest {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(".json");
    name
}

/// The client registration that lets a token be refreshed with SSO OIDC `CreateToken`. `Debug`
/// shows no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// `clientId` (not secret).
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: Secret,
    /// `registrationExpiresAt`.
    pub expires_at: DateTime<Utc>,
}

/// One token cache file, read. `Debug` shows no token or secret.
#[derive(Clone, Debug)]
pub struct CachedToken {
    path: PathBuf,
    /// `accessToken`.
    access_token: Secret,
    /// `expiresAt`.
    expires_at: DateTime<Utc>,
    /// `refreshToken`, if present.
    refresh_token: Option<Secret>,
    /// `clientId`, `clientSecret` and `registrationExpiresAt`, when all three are present.
    registration: Option<Registration>,
    /// The whole document (a JSON object), for writing back with the fields freshcreds does not
    /// use.
    document: SecretJson,
}

/// The cache file at `path`.
fn file(path: &Path) -> CacheFile<'_> {
    CacheFile {
        what: "IAM Identity Center token cache",
        path,
    }
}

/// Parses an `expiresAt`-style time: RFC 3339 (`2026-01-01T00:00:00Z`, with or without
/// fractions or an offset), or the `…UTC` form older botocore versions wrote.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = text
        .strip_suffix("UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text)
        .trim();
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc());
        }
    }
    None
}

impl CachedToken {
    /// Reads the cache file at `path`. A missing or unreadable file is an
    /// [`ErrorKind::InvalidConfig`] error naming the file; bad JSON or a missing field is an
    /// [`ErrorKind::Parse`] error naming the file and the field.
    pub fn load(path: &Path) -> Result<CachedToken> {
        Self::from_document(path, file(path).read()?)
    }

    /// Parses cache file contents; `path` names the file in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<CachedToken> {
        Self::from_document(path, file(path).parse(bytes)?)
    }

    fn from_document(path: &Path, document: SecretJson) -> Result<CachedToken> {
        let bad = |detail: String| file(path).error(ErrorKind::Parse, detail);
        let Some(fields) = document.0.as_object() else {
            return Err(bad("is not a JSON object".into()));
        };
        let string = |key: &str| -> Result<Option<String>> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad(format!("field `{key}` is not a string"))),
            }
        };
        let time = |key: &str| -> Result<Option<DateTime<Utc>>> {
            match string(key)? {
                None => Ok(None),
                Some(text) => parse_time(&text).map(Some).ok_or_else(|| {
                    bad(format!("field `{key}` = {text:?} is not an RFC 3339 time"))
                }),
            }
        };
        let access_token = string("accessToken")?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("field `accessToken` is missing".into()))?;
        let expires_at =
            time("expiresAt")?.ok_or_else(|| bad("field `expiresAt` is missing".into()))?;
        let refresh_token = string("refreshToken")?
            .filter(|t| !t.is_empty())
            .map(Secret::from);
        let registration = match (
            string("clientId")?,
            string("clientSecret")?,
            time("registrationExpiresAt")?,
        ) {
            (Some(client_id), Some(secret), Some(expires_at)) => Some(Registration {
                client_id,
                client_secret: Secret::from(secret),
                expires_at,
            }),
            _ => None,
        };
        Ok(CachedToken {
            path: path.to_path_buf(),
            access_token: Secret::from(access_token),
            expires_at,
            refresh_token,
            registration,
            document,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The access token. Never log it.
    pub fn access_token(&self) -> &str {
        self.access_token.expose()
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The refresh token, if the file has one. Never log it.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(Secret::expose)
    }

    /// The client registration, if the file has all of it.
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// Why this token cannot be refreshed at `now`, or `None` when it can (a refresh token and an
    /// unexpired client registration are present).
    pub(crate) fn cannot_refresh_because(&self, now: DateTime<Utc>) -> Option<String> {
        if self.refresh_token.is_none() {
            return Some(format!("{} has no `refreshToken`", self.path.display()));
        }
        match &self.registration {
            None => Some(format!(
                "{} lacks the client registration (`clientId`, `clientSecret`, `registrationExpiresAt`)",
                self.path.display()
            )),
            Some(r) if r.expires_at <= now => Some(format!(
                "the client registration in {} expired at {}",
                self.path.display(),
                format_time(r.expires_at)
            )),
            Some(_) => None,
        }
    }

    /// The token after a refresh: new access token and expiry, and the new refresh token when
    /// the service sent one; every other field is kept. Not written yet: see [`CachedToken::store`].
    pub fn refreshed(
        &self,
        access_token: &str,
        expires_at: DateTime<Utc>,
        refresh_token: Option<&str>,
    ) -> CachedToken {
        let mut next = self.clone();
        next.access_token = Secret::from(access_token.to_string());
        next.expires_at = expires_at;
        if let Some(r) = refresh_token {
            next.refresh_token = Some(Secret::from(r.to_string()));
        }
        if let Some(fields) = next.document.0.as_object_mut() {
            fields.insert("accessToken".into(), access_token.into());
            fields.insert("expiresAt".into(), format_time(expires_at).into());
            if let Some(r) = refresh_token {
                fields.insert("refreshToken".into(), r.into());
            }
        }
        next
    }

    /// Writes the token back to its file atomically: a temporary file in the same directory
    /// (mode 0600), flushed, then renamed over the old file. A reader sees the old file or the
    /// new one, never a part.
    pub fn store(&self) -> Result<()> {
        file(&self.path).write(&self.document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

    #[test]
    fn cache_file_names_are_the_sha1_of_the_start_url_or_session_name() {
        // The conformance fixtures' names, computed by botocore.
        assert_eq!(
            cache_file_name("https://ssotest.awsapps.com/start"),
            "dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json"
        );
        assert_eq!(
            cache_file_name("dev"),
            "34c6fceca75e456f25e7e99531e2425c6c1de443.json"
        );
    }

    #[test]
    fn times_in_the_forms_the_cli_versions_wrote_parse() {
        let want = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap();
        for text in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05+00:00",
            "2026-01-02T03:04:05UTC",
            "2026-01-02T03:04:05",
        ] {
            assert_eq!(parse_time(text), Some(want.with_timezone(&Utc)), "{text}");
        }
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn a_missing_field_is_named_with_the_file_and_no_token_is_shown() {
        let err = CachedToken::parse(
            Path::new("/c/x.json"),
            br#"{"accessToken":"sekrit-token","expiresAt":"soon"}"#,
        )
        .unwrap_err();
        let text = err.full_message();
        assert!(
            text.contains("/c/x.json") && text.contains("`expiresAt`"),
            "{text}"
        );
        assert!(!text.contains("sekrit-token"), "{text}");
        let err = CachedToken::parse(
            Path::new("/c/x.json"),
            br#"{"expiresAt":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert_mentions(err.message(), &["`accessToken` is missing"]);
        let err =
            CachedToken::parse(Path::new("/c/x.json"), b"{\"accessToken\": \"sekrit").unwrap_err();
        assert_omits(&err.full_message(), &["sekrit"]);
    }

    #[test]
    fn debug_output_hides_the_tokens_and_the_client_secret() {
        let token = CachedToken::parse(
            Path::new("/c/x.json"),
            br#"{"accessToken":"at-secret","expiresAt":"2026-01-01T00:00:00Z","refreshToken":"rt-secret",
                "clientId":"cid","clientSecret":"cs-secret","registrationExpiresAt":"2027-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let text = format!("{token:?}");
        for secret in ["at-secret", "rt-secret", "cs-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("cid"), "{text}");
    }

    #[test]
    fn a_refreshed_token_is_stored_atomically_with_unknown_fields_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(cache_file_name("dev"));
        std::fs::write(
            &path,
            r#"{"accessToken":"old","expiresAt":"2026-01-01T00:00:00Z","refreshToken":"r1",
                "clientId":"cid","clientSecret":"cs","registrationExpiresAt":"2027-01-01T00:00:00Z",
                "region":"us-east-1","startUrl":"https://x.awsapps.com/start","somethingNew":{"a":[1,2]}}"#,
        )
        .unwrap();
        let token = CachedToken::load(&path).unwrap();
        let at = parse_time("2026-01-01T08:00:00Z").unwrap();
        token.refreshed("new", at, Some("r2")).store().unwrap();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["accessToken"], "new");
        assert_eq!(doc["expiresAt"], "2026-01-01T08:00:00Z");
        assert_eq!(doc["refreshToken"], "r2");
        assert_eq!(doc["clientSecret"], "cs");
        assert_eq!(doc["startUrl"], "https://x.awsapps.com/start");
        assert_eq!(doc["somethingNew"]["a"][1], 2);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn refresh_needs_a_refresh_token_and_an_unexpired_registration() {
        let now = parse_time("2026-06-01T00:00:00Z").unwrap();
        let parse =
            |text: &str| CachedToken::parse(Path::new("/c/t.json"), text.as_bytes()).unwrap();
        let legacy = parse(r#"{"accessToken":"a","expiresAt":"2026-01-01T00:00:00Z"}"#);
        assert!(legacy
            .cannot_refresh_because(now)
            .unwrap()
            .contains("`refreshToken`"));
        // A refreshable token whose client registration ends at `until`.
        let registered_until = |until: &str| {
            parse(&format!(
                r#"{{"accessToken":"a","expiresAt":"2026-01-01T00:00:00Z","refreshToken":"r",
                "clientId":"c","clientSecret":"s","registrationExpiresAt":"{until}"}}"#
            ))
        };
        let expired_registration = registered_until("2026-05-01T00:00:00Z");
        assert!(expired_registration
            .cannot_refresh_because(now)
            .unwrap()
            .contains("registration"));
        let fine = registered_until("2026-07-01T00:00:00Z");
        assert_eq!(fine.cannot_refresh_because(now), None);
    }
}
