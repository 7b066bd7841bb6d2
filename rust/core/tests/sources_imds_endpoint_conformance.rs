//! The AWS SDK IMDS endpoint-resolution vectors (smithy-rs `imds-endpoint-tests.json`) run
//! against freshcreds' endpoint rules.
//!
//! Each case gives environment variables, optionally a config file holding
//! `ec2_metadata_service_endpoint` / `ec2_metadata_service_endpoint_mode`, optionally a
//! programmatic endpoint or mode override (the setters of [`ImdsConfigBuilder`]), and the expected
//! token URL or error text. The setting names are spelled out here: they are the contract with
//! users, not constants to share.

use std::collections::HashMap;
use std::io::Write as _;

use freshcreds::env::Env;
use freshcreds::sources::imds::{ImdsConfig, ImdsConfigBuilder, TOKEN_PATH};
use freshcreds::sources::profile::ProfileSet;
use serde_json::Value;

const ENV_ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
const ENV_ENDPOINT_MODE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
const PROFILE_ENDPOINT_MODE: &str = "ec2_metadata_service_endpoint_mode";

const VECTORS: &str =
    "../../tests/conformance/smithy-rs/aws/rust-runtime/aws-config/test-data/imds-config/imds-endpoint-tests.json";

fn string_map(v: &Value) -> HashMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Resolves one case to the token URL, or the error message.
fn run_case(case: &Value) -> Result<String, String> {
    let env = string_map(&case["env"]);
    let fs = string_map(&case["fs"]);
    let config_file = env.get("AWS_CONFIG_FILE").map(|path| {
        (
            path.as_str(),
            fs.get(path).map(String::as_str).unwrap_or(""),
        )
    });
    let profiles =
        ProfileSet::parse(config_file, None, "default").expect("the vectors' config files parse");
    let mut builder = ImdsConfig::builder();
    if let Some(endpoint) = case["endpoint_override"].as_str() {
        builder = builder.endpoint(endpoint);
    }
    if let Some(mode) = case["mode_override"].as_str() {
        builder = builder.endpoint_mode(mode);
    }
    let config = builder
        .env(&Env::from_map(env.clone()))
        .profile(profiles.selected_profile())
        .build()
        .map_err(|e| e.message().to_string())?;
    Ok(config.url(TOKEN_PATH))
}

#[test]
fn every_imds_endpoint_vector_resolves_as_the_sdks_do() {
    let text = std::fs::read_to_string(VECTORS).expect("the IMDS endpoint vectors are checked in");
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let cases = doc["tests"].as_array().expect("a `tests` array");
    assert_eq!(
        cases.len(),
        14,
        "the vector file changed: review the new cases"
    );

    let (mut passed, skipped) = (0, 0);
    let mut failures = Vec::new();
    for case in cases {
        let docs = case["docs"].as_str().unwrap_or("?");
        let got = run_case(case);
        let ok = match (&case["result"]["Ok"], &case["result"]["Err"], &got) {
            (Value::String(want), _, Ok(url)) => url == want,
            (_, Value::String(want), Err(message)) => message.contains(want.as_str()),
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{docs}: expected {}, got {got:?}", case["result"]));
        }
    }
    let _ = writeln!(
        std::io::stdout().lock(),
        "imds endpoint conformance: {passed} passed, {skipped} skipped"
    );
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    assert_eq!(passed, cases.len());
}

/// The endpoint settings of the `default` profile of a config file holding `lines`.
fn profile_with(lines: &str) -> ProfileSet {
    ProfileSet::parse(
        Some(("config", &format!("[default]\n{lines}"))),
        None,
        "default",
    )
    .unwrap()
}

fn resolve(
    builder: ImdsConfigBuilder,
    env: &[(&str, &str)],
    profile: &str,
) -> freshcreds::Result<ImdsConfig> {
    let profiles = profile_with(profile);
    builder
        .env(&Env::from_map(env.iter().copied()))
        .profile(profiles.selected_profile())
        .build()
}

#[test]
fn an_invalid_mode_error_names_the_variable_it_came_from() {
    let none = ImdsConfig::builder;
    let err = resolve(none(), &[], "ec2_metadata_service_endpoint_mode = IPv7").unwrap_err();
    assert!(
        err.message().contains(PROFILE_ENDPOINT_MODE),
        "{}",
        err.message()
    );
    let err = resolve(
        none(),
        &[(ENV_ENDPOINT_MODE, "error")],
        "ec2_metadata_service_endpoint_mode = IPv4",
    )
    .unwrap_err();
    assert!(
        err.message().contains(ENV_ENDPOINT_MODE),
        "{}",
        err.message()
    );
    let err = resolve(none(), &[(ENV_ENDPOINT, "not a uri")], "").unwrap_err();
    assert!(err.message().contains(ENV_ENDPOINT), "{}", err.message());
    let err = resolve(
        none().endpoint_mode("IPv5"),
        &[(ENV_ENDPOINT_MODE, "IPv4")],
        "",
    )
    .unwrap_err();
    assert!(err.message().contains("override"), "{}", err.message());
}
