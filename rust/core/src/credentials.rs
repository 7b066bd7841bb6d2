//! The credentials value: what every source produces and every host hands out.

use std::fmt;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

/// What secrets print as, everywhere (`Debug`, `Display`, logs, error messages).
pub(crate) const REDACTED: &str = "** redacted **";

/// A secret string: zeroized when dropped, shown as `** redacted **` by `Debug` (the way smithy-rs's
/// `SensitiveString` is), so that a struct holding one can derive `Debug` and list every field.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret's text. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret(Zeroizing::new(text))
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret::from(text.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Implements `Debug` for a type that cannot derive it (it holds host objects, clients or other
/// state that does not print), showing only the fields listed and `..` for the rest, so that a
/// field added later stays out of logs until someone lists it:
/// `debug_shows!(ReloadingProfileSource { name, files });`. A type whose fields all print (its
/// secrets held as [`Secret`]) derives `Debug` instead.
macro_rules! debug_shows {
    ($type:ident { $($field:ident),* $(,)? }) => {
        impl ::std::fmt::Debug for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($type))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use debug_shows;

/// A set of AWS credentials and where they came from.
///
/// The secret access key and the session token are zeroized when the value is dropped and never
/// appear in `Debug` or `Display` output: only the access key id, the expiry and the source do.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expiration: Option<DateTime<Utc>>,
    source: String,
    /// The AWS account the credentials belong to, when the source knows it (not a secret).
    account_id: Option<String>,
}

impl Credentials {
    /// Builds credentials. `source` names the provider that produced them (e.g. `Ec2InstanceMetadata`).
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiration: Option<DateTime<Utc>>,
        source: impl Into<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::from(secret_access_key.into()),
            session_token: session_token.map(Secret::from),
            expiration,
            source: source.into(),
            account_id: None,
        }
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key. Never log it.
    pub fn secret_access_key(&self) -> &str {
        self.secret_access_key.expose()
    }

    /// The session token of temporary credentials. Never log it.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(Secret::expose)
    }

    /// When the credentials expire, as stated by their source (server time); `None` for long-term keys.
    pub fn expiration(&self) -> Option<DateTime<Utc>> {
        self.expiration
    }

    /// The same credentials with another expiry (a host hands out the end of a static-stability
    /// extension instead of an expiry that has passed).
    pub fn with_expiration(&self, expiration: Option<DateTime<Utc>>) -> Credentials {
        Credentials {
            expiration,
            ..self.clone()
        }
    }

    /// The AWS account the credentials belong to, when the source knows it: a profile's
    /// `aws_account_id`, the IAM Identity Center account, the account of an assumed role's ARN.
    /// SDK v2 uses it for account-based endpoints.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// The same credentials with this account id (`None` keeps the one they have).
    pub(crate) fn with_account_id(mut self, account_id: Option<String>) -> Self {
        if let Some(id) = account_id.filter(|id| !id.trim().is_empty()) {
            self.account_id = Some(id.trim().to_string());
        }
        self
    }

    /// The account id in an ARN (`arn:aws:iam::123456789012:role/app` → `123456789012`), when
    /// it has one of twelve digits.
    pub fn account_of_arn(arn: &str) -> Option<String> {
        let account = arn.split(':').nth(4)?;
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            .then(|| account.to_string())
    }

    /// The name of the source that produced them.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The same credentials attributed to another source name (e.g. `Profile(dev)/AssumeRole`).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// True when both values carry the same key material and expiry (a source that answered with
    /// credentials it already gave out has not rotated them yet).
    pub(crate) fn same_material(&self, other: &Credentials) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key == other.secret_access_key
            && self.session_token == other.session_token
            && self.expiration == other.expiration
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", self.access_key_id, self.source)?;
        if let Some(exp) = self.expiration {
            write!(f, ", expiring {}", exp.to_rfc3339())?;
        }
        Ok(())
    }
}

/// A parsed JSON document that may hold secrets (a credentials answer, a token cache file): every
/// string value in it, and in each clone of it, is zeroized when it is dropped. Keys are left
/// alone (field names are not secret).
#[derive(Clone)]
pub(crate) struct SecretJson(pub(crate) serde_json::Value);

impl SecretJson {
    /// Parses `bytes`; on error nothing of the input is kept.
    pub(crate) fn parse(bytes: &[u8]) -> serde_json::Result<SecretJson> {
        serde_json::from_slice(bytes).map(SecretJson)
    }
}

impl Drop for SecretJson {
    fn drop(&mut self) {
        fn scrub(value: &mut serde_json::Value) {
            use zeroize::Zeroize;
            match value {
                serde_json::Value::String(s) => s.zeroize(),
                serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
                serde_json::Value::Object(map) => map.values_mut().for_each(scrub),
                _ => {}
            }
        }
        scrub(&mut self.0);
    }
}

impl fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_show_no_secret() {
        let c = Credentials::new(
            "AKIDEXAMPLE",
            "s3cr3t-value",
            Some("t0ken-value".into()),
            None,
            "test",
        );
        let text = format!("{c:?} {c} {c:#?}");
        assert!(text.contains("AKIDEXAMPLE"));
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(!text.contains("t0ken-value"), "{text}");
        assert!(text.contains(REDACTED));
    }

    #[test]
    fn debug_shows_the_listed_fields_only_and_marks_the_rest_left_out() {
        struct Holder {
            name: &'static str,
            files: Vec<&'static str>,
            secret: &'static str,
        }
        debug_shows!(Holder { name, files });
        let holder = Holder {
            name: "Source(a)",
            files: vec!["config"],
            secret: "s3cr3t-value",
        };
        let text = format!("{holder:?}");
        assert_eq!(
            text,
            r#"Holder { name: "Source(a)", files: ["config"], .. }"#
        );
        assert!(!text.contains(holder.secret));
    }
}
