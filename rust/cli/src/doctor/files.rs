//! Files: expired session tokens in the profile files, expired AWS CLI and IAM Identity Center
//! (SSO) cache entries.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::environment::parse_time;
use crate::creds::rfc3339;
use crate::output::{countdown, Check};
use freshcreds::env::Env;
use freshcreds::sources::profile::location::{home_dir, Platform};
use freshcreds::sources::profile::ProfileSet;

/// Profile keys under which tools record when a session token in a file expires.
const EXPIRY_KEYS: [&str; 5] = [
    "aws_expiration",
    "aws_session_expiration",
    "aws_credential_expiration",
    "expiration",
    "x_security_token_expires",
];

/// The profile files' session tokens, then the caches under `~/.aws`.
pub(super) fn file_checks(
    env: &Env,
    profiles: Option<&ProfileSet>,
    now: DateTime<Utc>,
) -> Vec<Check> {
    let mut out = Vec::new();
    if let Some(set) = profiles {
        out.extend(
            set.names()
                .filter_map(|name| profile_token_check(set, name, now)),
        );
    }
    let Some(home) = home_dir(env, Platform::current()) else {
        out.push(Check::ok(
            "files",
            "no home directory (HOME unset): caches not checked",
        ));
        return out;
    };
    let aws = Path::new(&home).join(".aws");
    out.extend(cli_cache_checks(&aws.join("cli").join("cache"), now));
    out.extend(sso_cache_checks(&aws.join("sso").join("cache"), now));
    out
}

/// A session token of profile `name` whose recorded expiry has passed (FAIL for the selected
/// profile, WARN for the others).
fn profile_token_check(set: &ProfileSet, name: &str, now: DateTime<Utc>) -> Option<Check> {
    let p = set.profile(name)?;
    p.get("aws_session_token")?;
    let (key, value) = EXPIRY_KEYS
        .iter()
        .find_map(|k| p.get(k).map(|v| (*k, v.to_string())))?;
    let exp = parse_time(&value)?;
    if exp > now {
        return None;
    }
    let place = match p.location("aws_session_token") {
        Some((file, line)) => format!("{file}:{line}"),
        None => "the profile files".to_string(),
    };
    let msg = format!(
        "profile {name}: the session token at {place} expired {} ({key} = {})",
        countdown(exp - now),
        rfc3339(exp)
    );
    let fix = format!("put fresh credentials into profile {name}, or remove its aws_session_token");
    Some(if name == set.selected() {
        Check::fail("files", msg, fix)
    } else {
        Check::warn("files", msg, fix)
    })
}

/// Expired entries of the AWS CLI's credential cache, or one OK line counting the entries.
fn cli_cache_checks(cli_cache: &Path, now: DateTime<Utc>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut seen = 0;
    for (path, doc) in json_files(cli_cache) {
        let Some(exp) = doc
            .pointer("/Credentials/Expiration")
            .and_then(|v| v.as_str())
            .and_then(parse_time)
        else {
            continue;
        };
        seen += 1;
        if exp <= now {
            out.push(Check::warn(
                "files",
                format!(
                    "AWS CLI cache entry {} holds credentials that expired {} ({})",
                    path.display(),
                    countdown(exp - now),
                    rfc3339(exp)
                ),
                format!(
                    "the AWS CLI replaces it on its next call, but tools that read the cache get dead credentials: delete it (rm {})",
                    path.display()
                ),
            ));
        }
    }
    if out.is_empty() {
        out.push(Check::ok(
            "files",
            format!(
                "{seen} AWS CLI cache entries in {}, none expired",
                cli_cache.display()
            ),
        ));
    }
    out
}

/// Expired IAM Identity Center tokens in the SSO cache.
fn sso_cache_checks(sso_cache: &Path, now: DateTime<Utc>) -> Vec<Check> {
    json_files(sso_cache)
        .into_iter()
        .filter_map(|(path, doc)| {
            doc.get("accessToken")?;
            let exp = doc
                .get("expiresAt")
                .and_then(|v| v.as_str())
                .and_then(parse_time)?;
            if exp > now {
                return None;
            }
            let url = doc
                .get("startUrl")
                .and_then(|v| v.as_str())
                .unwrap_or("(unknown start URL)");
            Some(Check::warn(
                "files",
                format!(
                    "IAM Identity Center token {} for {url} expired {}",
                    path.display(),
                    countdown(exp - now)
                ),
                "run `aws sso login` for the profiles that use it",
            ))
        })
        .collect()
}

/// The `.json` files of `dir` that parse, sorted by path; none when `dir` cannot be read.
fn json_files(dir: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<(PathBuf, serde_json::Value)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let doc = serde_json::from_str(&text).ok()?;
            Some((p, doc))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
