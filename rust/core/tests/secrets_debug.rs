//! No `Debug` output of an option map, a profile, a profile plan, an assume-role configuration or
//! a credential process's output shows a secret, a session token or an `external_id`.

use std::sync::Arc;

use freshcreds::credentials::Secret;
use freshcreds::env::Env;
use freshcreds::host::SourceOptions;
use freshcreds::sources::assume_role::AssumeRoleSource;
use freshcreds::sources::environment::StaticVariablesSource;
use freshcreds::sources::profile::{ProfileRoleChain, ProfileSet};
use freshcreds::sources::sts::RoleRequest;
use freshcreds::sources::sts::{StsClient, StsSettings};

/// Values that must never show; each is long and unique, so a match is never a coincidence.
const SECRET: &str = "debug-test-secret-access-key-value";
const TOKEN: &str = "debug-test-session-token-value";
const EXTERNAL_ID: &str = "debug-test-external-id-value";
const PROCESS_ARGUMENT: &str = "debug-test-process-argument-value";

fn assert_hidden(what: &str, shown: &str) {
    for value in [SECRET, TOKEN, EXTERNAL_ID, PROCESS_ARGUMENT] {
        assert!(!shown.contains(value), "{what} shows {value}: {shown}");
    }
    assert!(shown.contains("** redacted **"), "{what}: {shown}");
}

#[test]
fn the_debug_of_an_option_map_hides_secret_options() {
    let options = SourceOptions::from_pairs([
        ("aws.accessKeyId", "AKIDOPTIONS"),
        ("aws.secretAccessKey", SECRET),
        ("aws.sessionToken", TOKEN),
        ("profile", "dev"),
    ])
    .unwrap();
    let shown = format!("{options:?} {options:#?}");
    assert_hidden("SourceOptions", &shown);
    assert!(
        shown.contains("AKIDOPTIONS") && shown.contains("dev"),
        "{shown}"
    );
    let v1 = SourceOptions::from_pairs([("aws.secretKey", SECRET)]).unwrap();
    assert_hidden("SourceOptions", &format!("{v1:?}"));
}

const CONFIG: &str = "[profile dev]
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = base
external_id = debug-test-external-id-value

[profile tools]
credential_process = /usr/bin/helper --secret debug-test-process-argument-value
";

const CREDENTIALS: &str = "[base]
aws_access_key_id = AKIDPROFILE
AWS_SECRET_ACCESS_KEY = debug-test-secret-access-key-value
aws_session_token = debug-test-session-token-value
";

#[test]
fn the_debug_of_a_profile_set_and_its_profiles_hides_secrets_external_ids_and_process_arguments() {
    let set = ProfileSet::parse(
        Some(("config", CONFIG)),
        Some(("credentials", CREDENTIALS)),
        "dev",
    )
    .unwrap();
    assert_hidden("ProfileSet", &format!("{set:?} {set:#?}"));
    for name in ["dev", "base", "tools"] {
        let profile = set.profile(name).unwrap();
        let shown = format!("{profile:?}");
        assert!(shown.contains(name), "{shown}");
        for value in [SECRET, TOKEN, EXTERNAL_ID, PROCESS_ARGUMENT] {
            assert!(
                !shown.contains(value),
                "profile {name} shows {value}: {shown}"
            );
        }
    }
    let base = format!("{:?}", set.profile("base").unwrap());
    assert!(base.contains("AKIDPROFILE"), "{base}");
    let tools = format!("{:?}", set.profile("tools").unwrap());
    assert!(tools.contains("/usr/bin/helper"), "{tools}");
}

#[test]
fn the_debug_of_an_assume_role_plan_hides_the_external_id_and_the_keys() {
    let set = ProfileSet::parse(
        Some(("config", CONFIG)),
        Some(("credentials", CREDENTIALS)),
        "dev",
    )
    .unwrap();
    let chain = ProfileRoleChain::plan(&set).unwrap();
    assert_eq!(
        chain.roles[0].external_id.as_ref().map(Secret::expose),
        Some(EXTERNAL_ID)
    );
    let shown = format!("{chain:?} {chain:#?} {:?}", chain.roles[0]);
    assert_hidden("ProfileRoleChain", &shown);
    assert!(
        shown.contains("arn:aws:iam::123456789012:role/dev"),
        "{shown}"
    );
}

#[test]
fn the_debug_of_an_assume_role_source_hides_the_external_id() {
    let base = Arc::new(StaticVariablesSource::environment(Env::from_map([
        ("AWS_ACCESS_KEY_ID", "AKIDBASE"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ])));
    let sts = Arc::new(
        StsClient::new(StsSettings::with_endpoint(
            "http://127.0.0.1:9",
            "us-east-1",
        ))
        .unwrap(),
    );
    let request = RoleRequest::new("arn:aws:iam::123456789012:role/r")
        .with_external_id(Some(EXTERNAL_ID.into()));
    let source = AssumeRoleSource::new(base, request, sts);
    let shown = format!("{source:?} {source:#?}");
    assert_hidden("AssumeRoleSource", &shown);
    assert!(
        shown.contains("arn:aws:iam::123456789012:role/r"),
        "{shown}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_debug_of_a_credential_process_source_and_its_results_hides_output_and_arguments() {
    use freshcreds::sources::process::CredentialProcessSource;
    use freshcreds::sources::CredentialSource;

    let good = format!(
        r#"{{"Version":1,"AccessKeyId":"AKIDPROCESS","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}"}}"#
    );
    let command = format!("printf '%s' '{good}' # {PROCESS_ARGUMENT}");
    let source = CredentialProcessSource::new(command, "profile tools");
    let fetched = source.fetch().await;
    let shown = format!("{source:?} {fetched:?} {fetched:#?}");
    assert_hidden("credential_process", &shown);
    assert!(shown.contains("AKIDPROCESS"), "{shown}");

    // Output that fails to parse, with the secrets in it: the error's Debug shows none.
    for bad in [
        format!(r#"{{"Version":2,"AccessKeyId":"A","SecretAccessKey":"{SECRET}"}}"#),
        format!(r#"{{"Version":1,"AccessKeyId":"A","SecretAccessKey":"{SECRET}","Expiration":7}}"#),
        format!(r#"{{"Version":1,"SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}"}}"#),
        format!("{SECRET} {TOKEN}"),
    ] {
        let source = CredentialProcessSource::new(format!("printf '%s' '{bad}'"), "profile p");
        let err = source.fetch().await.unwrap_err();
        let shown = format!("{err:?} {err}");
        for value in [SECRET, TOKEN] {
            assert!(!shown.contains(value), "{bad}: {shown}");
        }
    }
}
