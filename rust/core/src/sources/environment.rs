//! Static credentials from environment variables, and from Java system properties passed in by
//! the JVM host: the first two links of the AWS SDK for Java v2 default chain.

use chrono::{DateTime, Utc};

use super::{BoxFuture, CredentialSource, Fetched};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};

/// Name of the environment source in reports.
pub const ENVIRONMENT: &str = "Environment";
/// Name of the Java system properties source in reports.
pub(crate) const SYSTEM_PROPERTIES: &str = "SystemProperties";

/// Where one field of a key pair may come from, in order of preference.
struct Names {
    access_key_id: &'static [&'static str],
    secret_access_key: &'static [&'static str],
    session_token: &'static [&'static str],
    expiration: &'static [&'static str],
    /// An account id the SDK attaches to the credentials; freshcreds does not (a warning says so).
    account_id: &'static str,
}

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, plus SDK v1's
/// `AWS_ACCESS_KEY` / `AWS_SECRET_KEY`, and `AWS_CREDENTIAL_EXPIRATION`.
const ENV_NAMES: Names = Names {
    access_key_id: &["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"],
    secret_access_key: &["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"],
    session_token: &["AWS_SESSION_TOKEN"],
    expiration: &["AWS_CREDENTIAL_EXPIRATION"],
    account_id: "AWS_ACCOUNT_ID",
};

/// `aws.accessKeyId` / `aws.secretAccessKey` (SDK v1: `aws.secretKey`) / `aws.sessionToken`.
const SYSPROP_NAMES: Names = Names {
    access_key_id: &["aws.accessKeyId"],
    secret_access_key: &["aws.secretAccessKey", "aws.secretKey"],
    session_token: &["aws.sessionToken"],
    expiration: &[],
    account_id: "aws.accountId",
};

/// Static credentials read from a set of variables (environment or Java system properties).
#[derive(Debug, Clone)]
pub struct StaticVariablesSource {
    name: &'static str,
    what: &'static str,
    vars: Env,
    names: &'static Names,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.access_key_id.first().copied().unwrap_or(""))
    }
}

impl StaticVariablesSource {
    /// The environment-variable source.
    pub fn environment(env: Env) -> Self {
        StaticVariablesSource {
            name: ENVIRONMENT,
            what: "environment variable",
            vars: env,
            names: &ENV_NAMES,
        }
    }

    /// The Java system-property source, from the properties the JVM host passed.
    pub fn system_properties(props: Env) -> Self {
        StaticVariablesSource {
            name: SYSTEM_PROPERTIES,
            what: "Java system property",
            vars: props,
            names: &SYSPROP_NAMES,
        }
    }

    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|n| {
            self.vars
                .get_non_blank(n)
                .map(|v| (*n, v.trim().to_string()))
        })
    }

    /// Reads the variables now.
    pub fn load(&self) -> Result<Credentials> {
        let akid = self.first(self.names.access_key_id);
        let secret = self.first(self.names.secret_access_key);
        let (akid, secret) = match (akid, secret) {
            (None, None) => {
                return Err(Error::not_configured(format!(
                    "{} {} is not set",
                    self.what, self.names.access_key_id[0]
                )))
            }
            (Some((n, _)), None) => {
                return Err(Error::invalid_config(format!(
                    "{} {n} is set but {} is not",
                    self.what, self.names.secret_access_key[0]
                )))
            }
            (None, Some((n, _))) => {
                return Err(Error::invalid_config(format!(
                    "{} {n} is set but {} is not",
                    self.what, self.names.access_key_id[0]
                )))
            }
            (Some((_, a)), Some((_, s))) => (a, s),
        };
        let token = self.first(self.names.session_token).map(|(_, v)| v);
        let expiration = match self.first(self.names.expiration) {
            None => None,
            Some((n, v)) => Some(
                DateTime::parse_from_rfc3339(&v)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Parse,
                            format!("{} {n}={v:?} is not an RFC 3339 time", self.what),
                        )
                        .with_source(e)
                    })?,
            ),
        };
        Ok(Credentials::new(akid, secret, token, expiration, self.name))
    }
}

impl CredentialSource for StaticVariablesSource {
    fn name(&self) -> &str {
        self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let credentials = self.load()?;
            if self.vars.get_non_blank(self.names.account_id).is_some() {
                crate::sources::notice::warn(format!(
                    "{} {} is not used: {}",
                    self.what,
                    self.names.account_id,
                    crate::sdk_settings::ACCOUNT_ID_REFUSED
                ));
            }
            Ok(Fetched::local(credentials))
        })
    }

    fn probe(&self) -> BoxFuture<'_, crate::sources::Probe> {
        crate::sources::probe_by_fetching(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn environment_keys_with_v1_aliases_and_expiration() {
        let env = Env::from_map([
            ("AWS_ACCESS_KEY", "AKIDV1"),
            ("AWS_SECRET_KEY", "secretv1"),
            ("AWS_SESSION_TOKEN", "tok"),
            ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z"),
        ]);
        let c = StaticVariablesSource::environment(env).load().unwrap();
        assert_eq!(c.access_key_id(), "AKIDV1");
        assert_eq!(c.session_token(), Some("tok"));
        assert_eq!(
            c.expiration().unwrap().to_rfc3339(),
            "2030-01-01T00:00:00+00:00"
        );
        assert_eq!(c.source(), ENVIRONMENT);
    }

    #[test]
    fn missing_half_of_a_key_pair_is_an_error_naming_the_missing_variable() {
        let env = Env::from_map([("AWS_ACCESS_KEY_ID", "AKID")]);
        let e = StaticVariablesSource::environment(env).load().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert_mentions(e.message(), &["AWS_SECRET_ACCESS_KEY is not"]);
        let none = StaticVariablesSource::environment(Env::from_map::<&str, &str>([]))
            .load()
            .unwrap_err();
        assert_eq!(none.kind(), ErrorKind::NotConfigured);
    }

    #[tokio::test]
    async fn an_account_id_beside_the_keys_is_not_used_and_a_warning_says_so() {
        let props = Env::from_map([
            ("aws.accessKeyId", "AKIDPROP"),
            ("aws.secretAccessKey", "s"),
            ("aws.accountId", "123456789012"),
        ]);
        let source = StaticVariablesSource::system_properties(props);
        let (fetched, warnings) = crate::sources::notice::collect(source.fetch()).await;
        assert_eq!(fetched.unwrap().credentials.access_key_id(), "AKIDPROP");
        assert_eq!(
            warnings,
            [format!(
                "Java system property aws.accountId is not used: {}",
                crate::sdk_settings::ACCOUNT_ID_REFUSED
            )]
        );
    }

    #[test]
    fn system_properties_accept_the_v1_secret_key_name() {
        let props = Env::from_map([("aws.accessKeyId", "AKIDPROP"), ("aws.secretKey", "s")]);
        let c = StaticVariablesSource::system_properties(props)
            .load()
            .unwrap();
        assert_eq!(c.access_key_id(), "AKIDPROP");
        assert_eq!(c.source(), SYSTEM_PROPERTIES);
    }

    #[test]
    fn a_bad_expiration_names_the_variable() {
        let env = Env::from_map([
            ("AWS_ACCESS_KEY_ID", "A"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_CREDENTIAL_EXPIRATION", "tomorrow"),
        ]);
        let e = StaticVariablesSource::environment(env).load().unwrap_err();
        assert!(
            e.message()
                .contains("AWS_CREDENTIAL_EXPIRATION=\"tomorrow\""),
            "{}",
            e.message()
        );
    }
}
