//! The AWS SDKs' shared profile vectors, run against freshcreds' profile code:
//!
//! - smithy-rs `profile-parser-tests.json` (file text in, profiles out, or an error: of kind
//!   `Parse`, its message containing the vector's text);
//! - smithy-rs `file-location-tests.json` (environment and platform in, paths and profile out);
//! - smithy-rs `assume-role-tests.json` (profiles in, credential chain plan out, or an error: of
//!   kind `InvalidConfig`, or `NotConfigured` for a profile set with nothing to offer, its
//!   message containing the vector's text);
//! - aws-sdk-ruby `config-file-profile-tests.json` (which kind of credentials a profile yields,
//!   and profile values such as `region`).
//!
//! Every case runs; a failing case is reported by name with what differed, and each suite prints a
//! summary line (`profile parser conformance: 65 passed, 0 failed, 0 skipped`).

use std::collections::BTreeMap;
use std::io::Write;

use freshcreds::env::Env;
use freshcreds::sources::profile::{
    BaseStep, FileLocations, Platform, Profile, ProfileRoleChain, ProfileSet,
};
use freshcreds::ErrorKind;
use serde_json::{json, Map, Value};

const DATA: &str = "../../tests/conformance/smithy-rs/aws/rust-runtime";
const RUBY_PROFILE_TESTS: &str =
    "../../tests/conformance/aws-sdk-ruby/gems/aws-sdk-core/spec/aws/profile/config-file-profile-tests.json";

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// Results of one suite: counts, and the failures with their case names.
#[derive(Default)]
struct Tally {
    passed: usize,
    skipped: usize,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.passed += 1,
            Err(why) => self.failures.push(format!("{name}: {why}")),
        }
    }

    /// Prints the summary line (outside the test harness's capture, so it shows in a normal run)
    /// and fails with every failing case listed.
    fn finish(self, suite: &str, expected_cases: usize) {
        let line = format!(
            "{suite} conformance: {} passed, {} failed, {} skipped",
            self.passed,
            self.failures.len(),
            self.skipped
        );
        let _ = writeln!(std::io::stdout().lock(), "{line}");
        assert!(
            self.failures.is_empty(),
            "{line}\n{}",
            self.failures.join("\n")
        );
        assert_eq!(
            self.passed + self.skipped,
            expected_cases,
            "{suite}: unexpected number of cases"
        );
    }
}

fn str_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn nested_maps(value: Option<&Value>) -> BTreeMap<String, BTreeMap<String, String>> {
    value
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), str_map(v))).collect())
        .unwrap_or_default()
}

/// Runs `check` on every case (`tests`, each with a `name`) of the smithy-rs test-data file
/// `file` and fails unless all `expected_cases` pass.
fn run_vectors(
    file: &str,
    suite: &str,
    expected_cases: usize,
    check: fn(&Value) -> Result<(), String>,
) {
    let doc = load(&format!("{DATA}/aws-runtime/test-data/{file}"));
    let mut tally = Tally::default();
    for case in doc["tests"].as_array().expect("tests array") {
        let name = case["name"].as_str().unwrap_or("?");
        tally.record(name, check(case));
    }
    tally.finish(suite, expected_cases);
}

#[test]
fn profile_parser_vectors_all_pass() {
    run_vectors(
        "profile-parser-tests.json",
        "profile parser",
        65,
        check_parser_case,
    );
}

/// Each named section (a profile or an sso-session) with its properties, as the vectors list
/// them.
fn sections<'a>(
    names: impl Iterator<Item = &'a str>,
    section: impl Fn(&str) -> Option<&'a Profile>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    names
        .map(|n| {
            let properties = section(n).expect("a listed section exists").properties();
            let properties = properties.map(|(k, v)| (k.to_string(), v.to_string()));
            (n.to_string(), properties.collect())
        })
        .collect()
}

fn check_parser_case(case: &Value) -> Result<(), String> {
    let input = &case["input"];
    let config = input["configFile"].as_str();
    let credentials = input["credentialsFile"].as_str();
    let parsed = ProfileSet::parse(
        config.map(|c| ("config", c)),
        credentials.map(|c| ("credentials", c)),
        "default",
    );
    let output = &case["output"];
    if let Some(expected) = output["errorContaining"].as_str() {
        return match parsed {
            Ok(set) => Err(format!(
                "expected an error containing {expected:?}, parsed {set:?}"
            )),
            Err(e) if e.message().contains(expected) && e.kind() == ErrorKind::Parse => Ok(()),
            Err(e) => Err(format!(
                "expected a Parse error containing {expected:?}, got {:?} {:?}",
                e.kind(),
                e.message()
            )),
        };
    }
    let set = parsed.map_err(|e| format!("unexpected error: {}", e.message()))?;
    let expected_profiles = nested_maps(output["config"].get("profiles"));
    let actual_profiles = sections(set.names(), |n| set.profile(n));
    if actual_profiles != expected_profiles {
        return Err(format!(
            "profiles differ\n  expected {expected_profiles:?}\n  actual   {actual_profiles:?}"
        ));
    }
    if let Some(sessions) = output["config"].get("sso_sessions") {
        let expected = nested_maps(Some(sessions));
        let actual = sections(set.sso_session_names(), |n| set.sso_session(n));
        if actual != expected {
            return Err(format!(
                "sso-sessions differ\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn file_location_vectors_all_pass() {
    run_vectors(
        "file-location-tests.json",
        "profile file location",
        9,
        check_location_case,
    );
}

fn check_location_case(case: &Value) -> Result<(), String> {
    let env = Env::from_map(str_map(&case["environment"]));
    let platform = match case["platform"].as_str() {
        Some("windows") => Platform::Windows,
        _ => Platform::Unix,
    };
    let loc = FileLocations::resolve(&env, platform);
    let mut diffs = Vec::new();
    let mut expect = |what: &str, expected: Option<&str>, actual: &str| {
        if let Some(expected) = expected {
            if expected != actual {
                diffs.push(format!("{what}: expected {expected:?}, got {actual:?}"));
            }
        }
    };
    expect("config", case["configLocation"].as_str(), &loc.config);
    expect(
        "credentials",
        case["credentialsLocation"].as_str(),
        &loc.credentials,
    );
    expect("profile", case["profile"].as_str(), &loc.profile);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

#[test]
fn assume_role_vectors_all_pass() {
    let doc = load(&format!(
        "{DATA}/aws-config/test-data/assume-role-tests.json"
    ));
    let tests = doc.as_array().expect("array of cases");
    let mut tally = Tally::default();
    for case in tests {
        let name = case["docs"].as_str().unwrap_or("?");
        tally.record(name, check_assume_role_case(case));
    }
    tally.finish("assume-role chain", 28);
}

fn profile_set(profiles: &Value, sso_sessions: Option<&Value>, selected: &str) -> ProfileSet {
    ProfileSet::from_properties(
        nested_maps(Some(profiles)),
        nested_maps(sso_sessions),
        selected,
    )
}

/// The plan in the vectors' JSON shape (absent optional fields are left out).
fn plan_as_json(plan: &ProfileRoleChain) -> Value {
    fn put(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            map.insert(key.into(), json!(v));
        }
    }
    let mut steps = Vec::new();
    let mut m = Map::new();
    let base = match &plan.base {
        BaseStep::AccessKey {
            credentials,
            account_id,
            ..
        } => {
            put(&mut m, "access_key_id", Some(credentials.access_key_id()));
            put(
                &mut m,
                "secret_access_key",
                Some(credentials.secret_access_key()),
            );
            put(&mut m, "session_token", credentials.session_token());
            put(&mut m, "account_id", account_id.as_deref());
            json!({ "AccessKey": m })
        }
        BaseStep::NamedSource { source, .. } => json!({ "NamedSource": source.as_str() }),
        BaseStep::WebIdentityToken {
            role_arn,
            web_identity_token_file,
            role_session_name,
            ..
        } => {
            put(&mut m, "role_arn", Some(role_arn));
            put(
                &mut m,
                "web_identity_token_file",
                Some(web_identity_token_file),
            );
            put(&mut m, "role_session_name", role_session_name.as_deref());
            json!({ "WebIdentityToken": m })
        }
        BaseStep::CredentialProcess { command, .. } => {
            json!({ "CredentialProcess": command.as_str() })
        }
        BaseStep::Sso {
            sso_session,
            sso_region,
            sso_start_url,
            sso_account_id,
            sso_role_name,
            ..
        } => {
            put(&mut m, "sso_session", sso_session.as_deref());
            put(&mut m, "sso_region", Some(sso_region));
            put(&mut m, "sso_start_url", Some(sso_start_url));
            put(&mut m, "sso_account_id", sso_account_id.as_deref());
            put(&mut m, "sso_role_name", sso_role_name.as_deref());
            json!({ "Sso": m })
        }
        other => json!({ "Unknown": format!("{other:?}") }),
    };
    steps.push(base);
    for role in &plan.roles {
        let mut m = Map::new();
        put(&mut m, "role_arn", Some(&role.role_arn));
        put(
            &mut m,
            "external_id",
            role.external_id.as_ref().map(|id| id.expose()),
        );
        put(
            &mut m,
            "role_session_name",
            role.role_session_name.as_deref(),
        );
        steps.push(json!({ "AssumeRole": m }));
    }
    Value::Array(steps)
}

/// The vectors whose error means the selected profile offers nothing (its kind `NotConfigured`:
/// the default chain then asks the next source); every other planning error is a configuration
/// that cannot work (`InvalidConfig`), an empty *source* profile of a role included.
const NOT_CONFIGURED_VECTORS: [&str; 2] = [
    "profile only contains configuration",
    "missing root profile (should never happen in practice)",
];

fn plan_error_kind(vector: &str) -> ErrorKind {
    if NOT_CONFIGURED_VECTORS.contains(&vector) {
        ErrorKind::NotConfigured
    } else {
        ErrorKind::InvalidConfig
    }
}

fn check_assume_role_case(case: &Value) -> Result<(), String> {
    let name = case["docs"].as_str().unwrap_or("?");
    let input = &case["input"];
    let set = profile_set(
        &input["profiles"],
        input.get("sso_sessions"),
        input["selected_profile"].as_str().unwrap_or("default"),
    );
    let planned = ProfileRoleChain::plan(&set);
    let output = &case["output"];
    if let Some(expected) = output["Error"].as_str() {
        return match planned {
            Ok(plan) => Err(format!(
                "expected an error containing {expected:?}, planned {plan:?}"
            )),
            Err(e) if e.message().contains(expected) && e.kind() == plan_error_kind(name) => Ok(()),
            Err(e) => Err(format!(
                "expected a {:?} error containing {expected:?}, got {:?} {:?}",
                plan_error_kind(name),
                e.kind(),
                e.message()
            )),
        };
    }
    let plan = planned.map_err(|e| format!("unexpected error: {}", e.message()))?;
    let actual = plan_as_json(&plan);
    if actual == output["ProfileChain"] {
        Ok(())
    } else {
        Err(format!(
            "plans differ\n  expected {}\n  actual   {actual}",
            output["ProfileChain"]
        ))
    }
}

#[test]
fn ruby_profile_credential_type_vectors_all_pass() {
    let doc = load(RUBY_PROFILE_TESTS);
    let mut tally = Tally::default();
    let mut total = 0;
    for suite in doc["testSuites"].as_array().expect("testSuites array") {
        let profiles = &suite["profiles"];
        let region_tests = match &suite["regionTests"] {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        for case in &region_tests {
            total += 1;
            let name = case["name"].as_str().unwrap_or("?");
            let set = profile_set(
                profiles,
                None,
                case["profile"].as_str().unwrap_or("default"),
            );
            let expected = case["output"]["region"].as_str();
            let actual = set.selected_profile().and_then(|p| p.get("region"));
            tally.record(
                name,
                if actual == expected {
                    Ok(())
                } else {
                    Err(format!("region: expected {expected:?}, got {actual:?}"))
                },
            );
        }
        for case in suite["credentialsTests"].as_array().into_iter().flatten() {
            total += 1;
            let name = case["name"].as_str().unwrap_or("?");
            let set = profile_set(
                profiles,
                None,
                case["profile"].as_str().unwrap_or("default"),
            );
            let expected = case["output"]["credentialType"].as_str().unwrap_or("?");
            tally.record(name, check_credential_type(&set, expected));
        }
    }
    tally.finish("profile credential type (aws-sdk-ruby)", total);
}

fn check_credential_type(set: &ProfileSet, expected: &str) -> Result<(), String> {
    let plan =
        ProfileRoleChain::plan(set).map_err(|e| format!("unexpected error: {}", e.message()))?;
    let actual = match (&plan.base, plan.roles.is_empty()) {
        (_, false) => "assumeRole",
        (BaseStep::AccessKey { credentials, .. }, true) => {
            if credentials.session_token().is_some() {
                "session"
            } else {
                "basic"
            }
        }
        _ => "other",
    };
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "credential type: expected {expected}, got {actual} ({plan:?})"
        ))
    }
}
