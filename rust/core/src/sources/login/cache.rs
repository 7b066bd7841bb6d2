//! The `aws login` token cache: `~/.aws/login/cache/<sha256 of login_session>.json` (or the
//! directory `AWS_LOGIN_CACHE_DIRECTORY` names), as the AWS CLI, botocore and the AWS SDKs read
//! and write it:
//!
//! ```json
//! { "accessToken": { "accessKeyId": "…", "secretAccessKey": "…", "sessionToken": "…",
//!                    "accountId": "…", "expiresAt": "2025-11-19T00:15:00Z" },
//!   "tokenType": "aws_sigv4", "clientId": "arn:aws:signin:::devtools/same-device",
//!   "refreshToken": "…", "idToken": "…", "dpopKey": "-----BEGIN EC PRIVATE KEY-----…" }
//! ```
//!
//! Errors name the file and the field, never a value. A refresh is written back in place: the
//! document is read again, only `accessToken`'s five fields and `refreshToken` change (every other
//! field, known or not, stays), and the new text replaces the file atomically (a temporary file in
//! the same directory, mode 0600, renamed over it).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::dpop::DpopKey;
use crate::credentials::Secret;
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::profile::location::{expand_home, home_dir, Platform};
use crate::sources::token_cache::CacheFile;

pub use crate::sources::token_cache::format_time;

/// The environment variable naming another cache directory.
pub(crate) const ENV_LOGIN_CACHE_DIRECTORY: &str = "AWS_LOGIN_CACHE_DIRECTORY";

/// The cache directory: `AWS_LOGIN_CACHE_DIRECTORY` (with `~` expanded), else
/// `~/.aws/login/cache`. The error says that no home directory is set.
pub(crate) fn cache_dir(env: &Env) -> Result<PathBuf> {
    let platform = Platform::current();
    let home = home_dir(env, platform);
    if let Some(dir) = env.get_non_blank(ENV_LOGIN_CACHE_DIRECTORY) {
        return Ok(PathBuf::from(expand_home(
            dir.trim(),
            home.as_deref(),
            platform,
            true,
        )));
    }
    let home = home.ok_or_else(|| {
        Error::invalid_config(format!(
            "cannot find the `aws login` cache: no home directory (HOME) is set and {ENV_LOGIN_CACHE_DIRECTORY} is not set"
        ))
    })?;
    Ok(Path::new(&home).join(".aws").join("login").join("cache"))
}

/// The cache file name of a `login_session`: the hex SHA-256 of the trimmed value, `.json`.
pub fn cache_file_name(login_session: &str) -> String {
    let digest = Sha256::digest(login_session.trim().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.json")
}

/// What a cache file holds. `Debug` shows no secret (the secrets are in [`Session`]).
#[derive(Clone, Debug)]
pub struct LoginToken {
    /// The credentials, their expiry and the refresh token: what a refresh replaces.
    pub session: Session,
    /// `accessToken.accountId`.
    pub account_id: String,
    /// `clientId`.
    pub client_id: String,
    /// `dpopKey`, parsed.
    pub dpop_key: DpopKey,
    /// Whether the file has an `idToken` (kept as it is on write-back).
    pub has_id_token: bool,
}

/// The part of a cache file that each refresh replaces (and writes back). `Debug` shows no
/// secret.
#[derive(Clone, Debug)]
pub struct Session {
    /// `accessToken.accessKeyId`.
    pub access_key_id: String,
    /// `accessToken.secretAccessKey`.
    pub secret_access_key: Secret,
    /// `accessToken.sessionToken`.
    pub session_token: Secret,
    /// `accessToken.expiresAt` (after a refresh: now plus the answer's `expiresIn`).
    pub expires_at: DateTime<Utc>,
    /// `refreshToken`.
    pub refresh_token: Secret,
}

/// The cache file at `path`.
fn file(path: &Path) -> CacheFile<'_> {
    CacheFile {
        what: "`aws login` cache file",
        path,
    }
}

fn file_error(kind: ErrorKind, path: &Path, detail: impl fmt::Display) -> Error {
    file(path).error(kind, detail)
}

/// Runs `work` on the cache file at `path` on the blocking pool (file I/O holds up no worker
/// thread of the runtime).
async fn on_blocking_pool<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce(CacheFile<'_>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || work(file(&owned)))
        .await
        .map_err(|_| file_error(ErrorKind::Internal, path, "the file task failed"))?
}

/// Reads and parses the cache file at `path`. A missing file is an [`ErrorKind::InvalidConfig`]
/// error whose message the caller completes with the login command.
pub async fn load(path: &Path) -> Result<LoginToken> {
    let doc = on_blocking_pool(path, |file| file.read()).await?;
    parse(path, &doc.0)
}

/// Parses a cache document; errors name the file and the field.
pub fn parse(path: &Path, doc: &serde_json::Value) -> Result<LoginToken> {
    let Some(root) = doc.as_object() else {
        return Err(file_error(ErrorKind::Parse, path, "is not a JSON object"));
    };
    let missing = |field: &str| {
        file_error(
            ErrorKind::Parse,
            path,
            format_args!("field `{field}` is missing"),
        )
    };
    let not_string = |field: &str| {
        file_error(
            ErrorKind::Parse,
            path,
            format_args!("field `{field}` is not a string"),
        )
    };
    let access = match root.get("accessToken") {
        None => return Err(missing("accessToken")),
        Some(serde_json::Value::Object(map)) => map,
        Some(_) => {
            return Err(file_error(
                ErrorKind::Parse,
                path,
                "field `accessToken` is not an object",
            ))
        }
    };
    let text = |map: &serde_json::Map<String, serde_json::Value>, key: &str, field: &str| match map
        .get(key)
    {
        None => Err(missing(field)),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Err(file_error(
            ErrorKind::Parse,
            path,
            format_args!("field `{field}` is empty"),
        )),
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(not_string(field)),
    };
    let access_key_id = text(access, "accessKeyId", "accessToken.accessKeyId")?;
    let secret_access_key = Secret::from(text(
        access,
        "secretAccessKey",
        "accessToken.secretAccessKey",
    )?);
    let session_token = Secret::from(text(access, "sessionToken", "accessToken.sessionToken")?);
    let account_id = text(access, "accountId", "accessToken.accountId")?;
    let expires_text = text(access, "expiresAt", "accessToken.expiresAt")?;
    let expires_at = DateTime::parse_from_rfc3339(expires_text.trim())
        .map_err(|_| {
            file_error(
                ErrorKind::Parse,
                path,
                format_args!(
                    "field `accessToken.expiresAt` = {expires_text:?} is not an RFC 3339 time"
                ),
            )
        })?
        .with_timezone(&Utc);
    let refresh_token = Secret::from(text(root, "refreshToken", "refreshToken")?);
    let client_id = text(root, "clientId", "clientId")?;
    let pem = Zeroizing::new(text(root, "dpopKey", "dpopKey")?);
    let dpop_key = DpopKey::from_pem(&pem).map_err(|why| {
        file_error(
            ErrorKind::Parse,
            path,
            format_args!("field `dpopKey` {why}"),
        )
    })?;
    Ok(LoginToken {
        session: Session {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at,
            refresh_token,
        },
        account_id,
        client_id,
        dpop_key,
        has_id_token: root.contains_key("idToken"),
    })
}

/// Writes a refresh back into the file at `path`: reads the document again, changes
/// `accessToken.{accessKeyId, secretAccessKey, sessionToken, expiresAt}` and `refreshToken`, keeps
/// everything else, and replaces the file atomically.
pub(crate) async fn write_back(path: &Path, session: &Session) -> Result<()> {
    let session = session.clone();
    on_blocking_pool(path, move |file| {
        let mut doc = file.read()?;
        let Some(root) = doc.0.as_object_mut() else {
            return Err(file.error(ErrorKind::Parse, "is not a JSON object"));
        };
        update(root, &session);
        file.write(&doc)
    })
    .await
}

/// Puts `session` into the fields of a cache document.
fn update(root: &mut serde_json::Map<String, serde_json::Value>, session: &Session) {
    let access = root
        .entry("accessToken")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if !access.is_object() {
        *access = serde_json::Value::Object(Default::default());
    }
    if let Some(access) = access.as_object_mut() {
        use serde_json::Value::String as S;
        access.insert("accessKeyId".into(), S(session.access_key_id.clone()));
        access.insert(
            "secretAccessKey".into(),
            S(session.secret_access_key.expose().into()),
        );
        access.insert(
            "sessionToken".into(),
            S(session.session_token.expose().into()),
        );
        access.insert("expiresAt".into(), S(format_time(session.expires_at)));
    }
    root.insert(
        "refreshToken".into(),
        serde_json::Value::String(session.refresh_token.expose().into()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn the_file_name_is_the_sha256_of_the_trimmed_session() {
        // smithy-rs' published names for these sessions.
        assert_eq!(
            cache_file_name("arn:aws:iam::0123456789012:user/Admin"),
            "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json"
        );
        assert_eq!(
            cache_file_name("  arn:aws:iam::0123456789012:user/Admin  "),
            "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json"
        );
        assert_eq!(
            cache_file_name("arn:aws:sts::012345678910:assumed-role/Admin/admin"),
            "4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
        );
    }

    #[test]
    fn the_cache_directory_follows_the_variable_then_home() {
        let env = Env::from_map([("HOME", "/h")]);
        assert_eq!(
            cache_dir(&env).unwrap(),
            Path::new("/h").join(".aws").join("login").join("cache")
        );
        let env = Env::from_map([("HOME", "/h"), (ENV_LOGIN_CACHE_DIRECTORY, "~/elsewhere")]);
        assert_eq!(cache_dir(&env).unwrap(), PathBuf::from("/h/elsewhere"));
        let err = cache_dir(&Env::from_map::<String, String>([])).unwrap_err();
        assert_mentions(err.message(), &["HOME"]);
    }
}
