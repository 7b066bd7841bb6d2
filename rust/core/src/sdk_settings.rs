//! The settings AWS SDK for Java v2's default credentials chain reads, one row each (the SDK's
//! own shape: `SdkSystemSetting` and `ProfileFileSystemSetting` pair a system property with an
//! environment variable; `ProfileProperty` names the profile key): whether freshcreds honours it
//! and how, or why it refuses it.
//!
//! A JVM host passes the system properties it finds as options of the same name. Those that stand
//! for a variable the core reads are laid over the environment (`crate::host` does it), which
//! gives the SDK's precedence everywhere at once: system property, then environment variable,
//! then profile (each source already reads the variable before the profile). The credential keys
//! stay apart: they are the chain's first link, not the environment's.
//!
//! The README's "SDK settings freshcreds honours" table is `readme_table` (a test keeps them
//! equal), and the Java side's list of properties to pass (`dev.freshcreds.OptionSpec`) is
//! generated from this one.
//!
//! This file uses nothing but the standard library: the Java build's generator (`rust/codegen`)
//! includes it as it is.

/// One setting of the SDK's default chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkSetting {
    /// The Java system property (`SdkSystemSetting.property()`).
    pub property: &'static str,
    /// The environment variable the SDK reads after the property.
    pub variable: &'static str,
    /// The profile key the SDK reads last, if any.
    pub profile_key: Option<&'static str>,
    /// Where freshcreds reads the property.
    pub reach: Reach,
    /// Honoured, or refused and why.
    pub support: Support,
    /// The value is a secret: never logged, shown as `** redacted **`.
    pub secret: bool,
}

/// Where freshcreds reads a system property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Read by the system-properties link of the chain (the SDK's `SystemPropertyCredentialsProvider`);
    /// the variable by the environment link, apart.
    SystemPropertiesLink,
    /// Laid over its environment variable, so every source reads it where it reads the variable.
    Environment,
}

/// Whether freshcreds does what the SDK does with a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Honoured, with the SDK's precedence.
    Honoured,
    /// Not done as the SDK does; the reason, which the message of the source that meets the
    /// setting repeats.
    Refused(&'static str),
}

/// Why `aws.containerServiceEndpoint` / `AWS_CONTAINER_SERVICE_ENDPOINT` is refused.
pub(crate) const CONTAINER_SERVICE_ENDPOINT_REFUSED: &str = "a relative container credentials URI is sent to 169.254.170.2 only, so that no setting can send the credentials request to another host; set the full URI instead (aws.containerCredentialsFullUri / AWS_CONTAINER_CREDENTIALS_FULL_URI: a loopback address, the ECS or EKS host, or https)";

/// Why `aws.accountId` / `AWS_ACCOUNT_ID` is refused.
pub(crate) const ACCOUNT_ID_REFUSED: &str = "freshcreds credentials carry no account id, so SDK clients use their regional endpoints rather than account-based ones (DynamoDB); the keys are the same, and a warning says so when they are used";

const fn row(
    property: &'static str,
    variable: &'static str,
    profile_key: Option<&'static str>,
) -> SdkSetting {
    SdkSetting {
        property,
        variable,
        profile_key,
        reach: Reach::Environment,
        support: Support::Honoured,
        secret: false,
    }
}

const fn key(property: &'static str, variable: &'static str, secret: bool) -> SdkSetting {
    SdkSetting {
        property,
        variable,
        profile_key: None,
        reach: Reach::SystemPropertiesLink,
        support: Support::Honoured,
        secret,
    }
}

const fn secret(setting: SdkSetting) -> SdkSetting {
    SdkSetting {
        secret: true,
        ..setting
    }
}

const fn refused(setting: SdkSetting, why: &'static str) -> SdkSetting {
    SdkSetting {
        support: Support::Refused(why),
        ..setting
    }
}

/// Every setting of the SDK v2 default chain (as of SDK 2.40), in the chain's order. Settings of
/// the SDK's service clients (`aws.retryMode`, `aws.maxAttempts`, `aws.defaultsMode`, …) are not
/// here: they shape the application's own clients, not where credentials come from.
pub const SDK_SETTINGS: &[SdkSetting] = &[
    key("aws.accessKeyId", "AWS_ACCESS_KEY_ID", false),
    key("aws.secretAccessKey", "AWS_SECRET_ACCESS_KEY", true),
    // SDK v1's name of the secret key (property and variable); SDK v2 does not read it.
    key("aws.secretKey", "AWS_SECRET_KEY", true),
    key("aws.sessionToken", "AWS_SESSION_TOKEN", true),
    refused(
        key("aws.accountId", "AWS_ACCOUNT_ID", false),
        ACCOUNT_ID_REFUSED,
    ),
    row(
        "aws.webIdentityTokenFile",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        None,
    ),
    row("aws.roleArn", "AWS_ROLE_ARN", None),
    row("aws.roleSessionName", "AWS_ROLE_SESSION_NAME", None),
    row("aws.region", "AWS_REGION", Some("region")),
    row(
        "aws.useFipsEndpoint",
        "AWS_USE_FIPS_ENDPOINT",
        Some("use_fips_endpoint"),
    ),
    row(
        "aws.useDualstackEndpoint",
        "AWS_USE_DUALSTACK_ENDPOINT",
        Some("use_dualstack_endpoint"),
    ),
    row("aws.profile", "AWS_PROFILE", None),
    row("aws.configFile", "AWS_CONFIG_FILE", None),
    row(
        "aws.sharedCredentialsFile",
        "AWS_SHARED_CREDENTIALS_FILE",
        None,
    ),
    row(
        "aws.containerCredentialsPath",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        None,
    ),
    row(
        "aws.containerCredentialsFullUri",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        None,
    ),
    secret(row(
        "aws.containerAuthorizationToken",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        None,
    )),
    row(
        "aws.containerAuthorizationTokenFile",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        None,
    ),
    refused(
        row(
            "aws.containerServiceEndpoint",
            "AWS_CONTAINER_SERVICE_ENDPOINT",
            None,
        ),
        CONTAINER_SERVICE_ENDPOINT_REFUSED,
    ),
    row("aws.disableEc2Metadata", "AWS_EC2_METADATA_DISABLED", None),
    row(
        "aws.disableEc2MetadataV1",
        "AWS_EC2_METADATA_V1_DISABLED",
        Some("ec2_metadata_v1_disabled"),
    ),
    row(
        "aws.ec2MetadataServiceEndpoint",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        Some("ec2_metadata_service_endpoint"),
    ),
    row(
        "aws.ec2MetadataServiceEndpointMode",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        Some("ec2_metadata_service_endpoint_mode"),
    ),
    row(
        "aws.ec2MetadataServiceTimeout",
        "AWS_METADATA_SERVICE_TIMEOUT",
        Some("metadata_service_timeout"),
    ),
];

/// The row of system property `property`, if it is one.
pub(crate) fn by_property(property: &str) -> Option<&'static SdkSetting> {
    SDK_SETTINGS.iter().find(|s| s.property == property)
}

/// The README's table of these settings, in Markdown.
#[cfg(test)]
fn readme_table() -> String {
    let mut out = String::from(
        "| system property | environment variable | profile key | freshcreds |\n|---|---|---|---|\n",
    );
    for s in SDK_SETTINGS {
        let support = match s.support {
            Support::Honoured => "honoured".to_string(),
            Support::Refused(why) => format!("refused: {why}"),
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {support} |\n",
            s.property,
            s.variable,
            s.profile_key
                .map(|k| format!("`{k}`"))
                .unwrap_or_else(|| "".to_string()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_table_is_this_table() {
        let readme = include_str!("../../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's \"SDK settings freshcreds honours\" table differs from rust/core/src/sdk_settings.rs; it should read:\n{table}"
        );
    }

    #[test]
    fn every_property_is_listed_once() {
        for (i, s) in SDK_SETTINGS.iter().enumerate() {
            assert!(s.property.starts_with("aws."), "{}", s.property);
            assert!(
                SDK_SETTINGS[i + 1..]
                    .iter()
                    .all(|o| o.property != s.property && o.variable != s.variable),
                "{} is listed twice",
                s.property
            );
        }
    }
}
