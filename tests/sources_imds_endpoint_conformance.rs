//! The AWS SDK IMDS endpoint-resolution vectors (smithy-rs `imds-endpoint-tests.json`) run
//! against freshcreds' endpoint rules.
//!
//! Each case gives environment variables, optionally a config file holding
//! `ec2_metadata_service_endpoint` / `ec2_metadata_service_endpoint_mode`, optionally a
//! programmatic endpoint or mode override ([`EndpointOverrides`]), and the expected token URL or
//! error text.

use std::collections::HashMap;
use std::io::Write as _;

use freshcreds::env::Env;
use freshcreds::sources::imds::{
    resolve_endpoint, EndpointOverrides, ImdsConfig, ENV_ENDPOINT, ENV_ENDPOINT_MODE,
    PROFILE_ENDPOINT, PROFILE_ENDPOINT_MODE, TOKEN_PATH,
};
use serde_json::Value;

const VECTORS: &str =
    "tests/conformance/smithy-rs/aws/rust-runtime/aws-config/test-data/imds-config/imds-endpoint-tests.json";

/// The `[default]` profile's `key = value` lines of a small config file (all these vectors need).
fn default_profile(config: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut in_default = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_default = line == "[default]" || line == "[profile default]";
        } else if let (true, Some((k, v))) = (in_default, line.split_once('=')) {
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

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
    let profile = match env.get("AWS_CONFIG_FILE") {
        Some(path) => default_profile(fs.get(path).map(String::as_str).unwrap_or("")),
        None => HashMap::new(),
    };
    let profile_endpoint = profile.get(PROFILE_ENDPOINT).map(String::as_str);
    let profile_mode = profile.get(PROFILE_ENDPOINT_MODE).map(String::as_str);
    let overrides = EndpointOverrides {
        endpoint: case["endpoint_override"].as_str().map(str::to_string),
        mode: case["mode_override"].as_str().map(str::to_string),
    };
    let config = ImdsConfig::from_layers(
        &overrides,
        &Env::from_map(env),
        profile_endpoint,
        profile_mode,
    )
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

#[test]
fn an_invalid_mode_error_names_the_variable_it_came_from() {
    let err = resolve_endpoint(None, None, None, Some("IPv7")).unwrap_err();
    assert!(
        err.message().contains(PROFILE_ENDPOINT_MODE),
        "{}",
        err.message()
    );
    let err = resolve_endpoint(None, Some("error"), None, Some("IPv4")).unwrap_err();
    assert!(
        err.message().contains(ENV_ENDPOINT_MODE),
        "{}",
        err.message()
    );
    let err = resolve_endpoint(Some("not a uri"), None, None, None).unwrap_err();
    assert!(err.message().contains(ENV_ENDPOINT), "{}", err.message());
    let overrides = EndpointOverrides {
        endpoint: None,
        mode: Some("IPv5".into()),
    };
    let err = overrides
        .resolve(None, Some("IPv4"), None, None)
        .unwrap_err();
    assert!(err.message().contains("override"), "{}", err.message());
}
