//! The AWS SDK for Java v2 system properties a JVM host passes (`aws.profile`,
//! `aws.disableEc2Metadata`, …): each is honoured with the SDK's precedence (system property,
//! then environment variable, then profile) or refused with a message that names it.

use std::path::PathBuf;

use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds::ErrorKind;
use freshcreds_sim::{SimConfig, Simulator};

/// A private directory for one test's files (and its `HOME`, so that no developer file leaks in).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "freshcreds-sdk-settings-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn env_in(dir: &std::path::Path, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![("HOME".to_string(), dir.display().to_string())];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Env::from_map(vars)
}

fn provider(env: Env, options: &[(&str, &str)]) -> FreshSource {
    FreshSource::with_env(
        SourceOptions::from_pairs(options.iter().copied()).unwrap(),
        env,
    )
    .unwrap()
}

/// A credentials file with one key pair per profile, its access key id `AKIA<NAME>`.
fn credentials_file(dir: &std::path::Path, name: &str, profiles: &[&str]) -> String {
    let path = dir.join(name);
    let text: String = profiles
        .iter()
        .map(|p| {
            format!(
                "[{p}]\naws_access_key_id = AKIA{}\naws_secret_access_key = secret-{p}\n",
                p.to_uppercase()
            )
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_disable_ec2_metadata_system_property_means_no_imds_request_at_all() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let dir = scratch("imds-off");
    let p = provider(
        env_in(&dir, &[]),
        &[
            ("imdsEndpoint", sim.base_url().as_str()),
            ("firstFetchTimeoutMillis", "2000"),
            ("aws.disableEc2Metadata", "true"),
        ],
    );
    let err = p.credentials().unwrap_err();
    let msg = err.full_message();
    assert!(
        msg.contains(
            "IMDS credentials are disabled by Java system property aws.disableEc2Metadata=true"
        ),
        "{msg}"
    );
    let c = sim.counts();
    assert_eq!(
        (c.imds_token, c.imds_role_list, c.imds_credentials),
        (0, 0, 0),
        "IMDS was asked although aws.disableEc2Metadata=true"
    );
}

#[test]
fn the_disable_ec2_metadata_system_property_wins_over_the_environment_variable() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let dir = scratch("imds-off-over-env");
    // The SDK's order: the system property first, so `false` here switches IMDS back on.
    let p = provider(
        env_in(&dir, &[("AWS_EC2_METADATA_DISABLED", "true")]),
        &[
            ("imdsEndpoint", sim.base_url().as_str()),
            ("source", "imds"),
            ("aws.disableEc2Metadata", "false"),
        ],
    );
    assert!(p
        .credentials()
        .unwrap()
        .credentials
        .access_key_id()
        .starts_with("ASIA"));
}

#[test]
fn the_aws_profile_system_property_selects_that_profile_over_aws_profile_in_the_environment() {
    let dir = scratch("profile");
    let file = credentials_file(&dir, "credentials", &["default", "dev", "readonly"]);
    let env = env_in(
        &dir,
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", &file),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_PROFILE", "dev"),
        ],
    );
    let p = provider(env, &[("source", "profile"), ("aws.profile", "readonly")]);
    assert_eq!(
        p.credentials().unwrap().credentials.access_key_id(),
        "AKIAREADONLY"
    );
}

#[test]
fn the_profile_option_set_in_code_wins_over_the_aws_profile_system_property() {
    let dir = scratch("profile-code");
    let file = credentials_file(&dir, "credentials", &["default", "dev", "readonly"]);
    let env = env_in(
        &dir,
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", &file),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ],
    );
    let p = provider(
        env,
        &[
            ("source", "profile"),
            ("profile", "dev"),
            ("aws.profile", "readonly"),
        ],
    );
    assert_eq!(
        p.credentials().unwrap().credentials.access_key_id(),
        "AKIADEV"
    );
}

#[test]
fn the_profile_file_system_properties_win_over_their_environment_variables() {
    let dir = scratch("files");
    let from_env = credentials_file(&dir, "env-credentials", &["default"]);
    let from_props = credentials_file(&dir, "props-credentials", &["props"]);
    let config = dir.join("props-config");
    std::fs::write(&config, "[profile props]\nregion = eu-west-1\n").unwrap();
    let env = env_in(
        &dir,
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", &from_env),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ],
    );
    let config = config.display().to_string();
    let p = provider(
        env,
        &[
            ("source", "profile"),
            ("aws.sharedCredentialsFile", &from_props),
            ("aws.configFile", &config),
            ("aws.profile", "props"),
        ],
    );
    assert_eq!(
        p.credentials().unwrap().credentials.access_key_id(),
        "AKIAPROPS"
    );
}

#[test]
fn the_container_service_endpoint_system_property_is_refused_naming_it() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let dir = scratch("container-endpoint");
    let p = provider(
        env_in(&dir, &[]),
        &[
            ("source", "container"),
            ("aws.containerCredentialsPath", "/v2/credentials"),
            ("aws.containerServiceEndpoint", sim.base_url().as_str()),
        ],
    );
    let err = p.credentials().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidConfig,
        "{}",
        err.full_message()
    );
    let msg = err.full_message();
    assert!(
        msg.contains("Java system property aws.containerServiceEndpoint is not supported"),
        "{msg}"
    );
    assert_eq!(sim.counts().container, 0);
}

#[test]
fn an_unknown_aws_system_property_is_refused_naming_it() {
    let e = SourceOptions::from_pairs([("aws.disableEc2MetaData", "true")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(
        e.message().contains("`aws.disableEc2MetaData`"),
        "{}",
        e.message()
    );
}
