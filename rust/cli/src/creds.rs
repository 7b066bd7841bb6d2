//! `credential-process` and `export`: the chain's credentials in the formats other tools read.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use freshcreds::credentials::Credentials;

/// The environment variable set in `credential-process` so that a profile whose
/// `credential_process` runs freshcreds again is detected instead of recursing forever.
pub(crate) const ENV_IN_CREDENTIAL_PROCESS: &str = "FRESHCREDS_IN_CREDENTIAL_PROCESS";

/// The `credential_process` output document (version 1), as the AWS CLI and SDKs read it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProcessOutput<'a> {
    /// Always 1.
    pub version: u8,
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token, for temporary credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<&'a str>,
    /// The expiry (RFC 3339, UTC); absent for long-term keys, which the caller never refreshes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

/// An RFC 3339 UTC time with a `Z`, as AWS writes them.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `credential_process` JSON document for `creds`.
pub(crate) fn process_json(creds: &Credentials) -> String {
    let out = ProcessOutput {
        version: 1,
        access_key_id: creds.access_key_id(),
        secret_access_key: creds.secret_access_key(),
        session_token: creds.session_token(),
        expiration: creds.expiration().map(rfc3339),
    };
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// Quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `export AWS_…=…` lines for a POSIX shell, with the source and expiry as a comment. Variables of
/// a previous session that do not apply (a token, an expiry) are unset.
pub(crate) fn env_lines(creds: &Credentials, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    match creds.expiration() {
        Some(exp) => out.push_str(&format!(
            "# credentials from {}, expiring {} ({})\n",
            creds.source(),
            rfc3339(exp),
            super::output::countdown(exp - now)
        )),
        None => out.push_str(&format!(
            "# long-term credentials from {} (no expiry)\n",
            creds.source()
        )),
    }
    out.push_str(&format!(
        "export AWS_ACCESS_KEY_ID={}\n",
        shell_quote(creds.access_key_id())
    ));
    out.push_str(&format!(
        "export AWS_SECRET_ACCESS_KEY={}\n",
        shell_quote(creds.secret_access_key())
    ));
    match creds.session_token() {
        Some(t) => out.push_str(&format!("export AWS_SESSION_TOKEN={}\n", shell_quote(t))),
        None => out.push_str("unset AWS_SESSION_TOKEN\n"),
    }
    match creds.expiration() {
        Some(exp) => out.push_str(&format!(
            "export AWS_CREDENTIAL_EXPIRATION={}\n",
            rfc3339(exp)
        )),
        None => out.push_str("unset AWS_CREDENTIAL_EXPIRATION\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: bool, exp: bool) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "se'cret",
            token.then(|| "tok".to_string()),
            exp.then(|| "2030-01-02T03:04:05Z".parse().unwrap()),
            "Ec2InstanceMetadata",
        )
    }

    #[test]
    fn process_json_has_version_1_and_omits_what_long_term_keys_lack() {
        let v: serde_json::Value = serde_json::from_str(&process_json(&creds(true, true))).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "AKIDEXAMPLE");
        assert_eq!(v["SessionToken"], "tok");
        assert_eq!(v["Expiration"], "2030-01-02T03:04:05Z");
        let v: serde_json::Value =
            serde_json::from_str(&process_json(&creds(false, false))).unwrap();
        assert!(v.get("SessionToken").is_none() && v.get("Expiration").is_none());
    }

    #[test]
    fn env_lines_quote_values_and_comment_the_expiry() {
        let now = "2030-01-02T02:04:05Z".parse().unwrap();
        let text = env_lines(&creds(true, true), now);
        assert!(text.starts_with(
            "# credentials from Ec2InstanceMetadata, expiring 2030-01-02T03:04:05Z (in 1h 0m)\n"
        ));
        assert!(
            text.contains("export AWS_SECRET_ACCESS_KEY='se'\\''cret'\n"),
            "{text}"
        );
        assert!(text.contains("export AWS_CREDENTIAL_EXPIRATION=2030-01-02T03:04:05Z\n"));
        let text = env_lines(&creds(false, false), now);
        assert!(text.contains("unset AWS_SESSION_TOKEN\n"), "{text}");
    }
}
