//! The AWS SDK for Rust's end-to-end credential cases, run against freshcreds through a loopback
//! server that replays their recorded HTTP traffic:
//!
//! - smithy-rs `test-data/default-credential-provider-chain/<case>/` through the default chain;
//! - smithy-rs `test-data/profile-provider/<case>/` through the profile source alone.
//!
//! Each case has `env.json` (environment variables), `fs/` (files mounted at `/`: copied under a
//! temporary directory, with absolute paths in the environment and in the profile files rewritten
//! to it), `http-traffic.json` (the recorded exchanges, served by `replay::ReplayServer`) and
//! `test-case.json` (credentials, or an error). The recorded hosts are pointed at the replay server
//! with the overrides the SDKs read: `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` (a `RELATIVE_URI` becomes a loopback `FULL_URI`),
//! `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SSO` (the IAM Identity Center portal), or the case's
//! own endpoint URL rewritten. When STS or the portal is redirected that way, the endpoint
//! freshcreds would have chosen on its own must still be the recorded one.
//!
//! A case passes when freshcreds succeeds as recorded, returning the recorded access key id,
//! secret, session token and expiry, or fails for the recorded reason: the error texts are the
//! Rust SDK's own, so each error case has a row in [`EXPECTED_ERRORS`] saying how freshcreds states
//! that reason (which link of the chain fails, or the error's kind for a single source, and a part
//! of freshcreds' message); an error case without a row fails. Every request freshcreds made must
//! agree with its recording (see `replay`), every recorded request must have been made, and a
//! request with no recording fails the case unless one of the differences in
//! [`unrecorded_request_allowed`] explains it. Cases that encode
//! a behaviour of the Rust SDK that AWS SDK for Java v2 (whose chain freshcreds follows) does not
//! share are skipped, each with its reason printed. The IAM Identity Center (SSO) cases run like
//! the others: the token comes from the case's `~/.aws/sso/cache`.

mod replay;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use freshcreds::clock::SystemClock;
use freshcreds::env::Env;
use freshcreds::sources::chain::{LinkOutcome, ResolutionReport};
use freshcreds::sources::default_chain::{self, ChainSettings, SourceSelection};
use freshcreds::sources::profile::{ProfileRoleChain, ProfileSet};
use freshcreds::sources::sso::SsoSettings;
use freshcreds::sources::sts::{EndpointVariants, StsProfileSettings, StsSettings};
use replay::{Recording, ReplayServer};
use serde_json::Value;

const DATA: &str = "../../tests/conformance/smithy-rs/aws/rust-runtime/aws-config/test-data";

/// Cases whose recorded outcome is the Rust SDK's alone: AWS SDK for Java v2 (and so freshcreds)
/// behaves differently on purpose. Each comes with the Java v2 behaviour freshcreds must show
/// instead, checked on the requests it made.
struct JavaDiffers {
    case: &'static str,
    reason: &'static str,
    /// The recorded method and path freshcreds must have asked for.
    java_request: &'static str,
}

const JAVA_V2_DIFFERS: &[JavaDiffers] = &[
    JavaDiffers {
        case: "profile_overrides_web_identity",
        reason:
            "the Rust SDK asks the profile before web identity from AWS_WEB_IDENTITY_TOKEN_FILE; \
                 Java v2 and freshcreds ask web identity first (freshcreds did call STS)",
        java_request: "POST /",
    },
    JavaDiffers {
        case: "imds_token_fail",
        reason: "the Rust SDK stops when IMDS answers the token request with 403; Java v2 and \
                 freshcreds fall back to IMDSv1 (freshcreds did ask for the role without a token), \
                 which the recording does not answer",
        java_request: "GET /latest/meta-data/iam/security-credentials/",
    },
];

/// How freshcreds must state the error an error case records.
struct ExpectedError {
    case: &'static str,
    /// The default chain: the first link that did not report "not configured" (the one that
    /// decided), or `None` when every link reported "not configured". The profile provider (one
    /// source): `None`.
    link: Option<&'static str>,
    /// The error's kind: for the profile provider, the source's own; for the default chain the
    /// chain's (`NotConfigured` when no link failed), checked only when no link failed, as the
    /// replay answers the lower links' requests with closed connections.
    kind: Option<freshcreds::ErrorKind>,
    /// A part of freshcreds' message (of the deciding link in the default chain) that states the
    /// recorded reason.
    says: &'static str,
}

const EXPECTED_ERRORS: &[ExpectedError] = &[
    // default-credential-provider-chain
    ExpectedError {
        case: "eks_pod_identity_no_token_file",
        link: Some("ContainerCredentials"),
        kind: None,
        says: "no such file or directory (file named by AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
    },
    ExpectedError {
        case: "imds_default_chain_error",
        link: None,
        kind: Some(freshcreds::ErrorKind::NotConfigured),
        says: "no credentials from the default chain",
    },
    ExpectedError {
        case: "imds_disabled",
        link: None,
        kind: Some(freshcreds::ErrorKind::NotConfigured),
        says: "no credentials from the default chain",
    },
    ExpectedError {
        case: "imds_no_iam_role",
        link: Some("Profile(default)/AssumeRole"),
        kind: None,
        says: "no IAM role is attached to this instance",
    },
    ExpectedError {
        case: "sso_no_token_file",
        link: Some("Profile(sso-test)/Sso"),
        kind: None,
        says: "sso/cache/dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json: does not exist",
    },
    ExpectedError {
        case: "sso_server_error",
        link: Some("Profile(sso-test)/Sso"),
        kind: None,
        says: "GetRoleCredentials for role MySsoRole in account 123456789",
    },
    ExpectedError {
        case: "web_identity_source_profile_no_env",
        link: Some("Profile"),
        kind: None,
        says: "`web_identity_token_file` was specified but `role_arn` was missing",
    },
    ExpectedError {
        case: "web_identity_token_invalid_jwt",
        link: Some("Profile(A)/AssumeRole"),
        kind: None,
        says: "answered 400 Bad Request: InvalidIdentityToken: No OpenIDConnect provider found",
    },
    // profile-provider
    ExpectedError {
        case: "credential_process_failure",
        link: None,
        kind: Some(freshcreds::ErrorKind::Refused),
        says: "exited with code 1",
    },
    ExpectedError {
        case: "credential_process_invalid",
        link: None,
        kind: Some(freshcreds::ErrorKind::Parse),
        says: "the output is not JSON",
    },
    ExpectedError {
        case: "empty_config",
        link: None,
        kind: Some(freshcreds::ErrorKind::NotConfigured),
        says: "No profiles were defined",
    },
    ExpectedError {
        case: "invalid_config",
        link: None,
        kind: Some(freshcreds::ErrorKind::Parse),
        says: "error parsing profile file",
    },
    ExpectedError {
        case: "invalid_sso_credentials_config",
        link: None,
        kind: Some(freshcreds::ErrorKind::InvalidConfig),
        says: "selected profile will resolve an access token instead of credentials",
    },
    ExpectedError {
        case: "sso_token",
        link: None,
        kind: Some(freshcreds::ErrorKind::InvalidConfig),
        says: "selected profile will resolve an access token instead of credentials",
    },
];

/// Whether freshcreds' error states the reason `want` says, as far as the report shows it.
fn check_error(
    want: &ExpectedError,
    error: &freshcreds::Error,
    report: Option<&ResolutionReport>,
    selection: SourceSelection,
) -> Result<(), String> {
    let mut diffs = vec![];
    let message = if selection == SourceSelection::Chain {
        let report = report.ok_or("the chain gave no report")?;
        let deciding = report
            .links
            .iter()
            .find(|l| !matches!(l.outcome, LinkOutcome::NotConfigured { .. }));
        match (want.link, deciding) {
            (None, None) => error.full_message(),
            (Some(name), Some(l)) if l.source == name => match &l.outcome {
                LinkOutcome::Failed { reason } => reason.clone(),
                other => return Err(format!("link {name}: {other:?}, expected it to fail")),
            },
            (want_link, got) => {
                return Err(format!(
                    "the deciding link is {:?}, expected {want_link:?}",
                    got.map(|l| &l.source)
                ))
            }
        }
    } else {
        error.full_message()
    };
    if let Some(kind) = want.kind {
        if error.kind() != kind {
            diffs.push(format!("error kind {:?}, expected {kind:?}", error.kind()));
        }
    }
    if !message.contains(want.says) {
        diffs.push(format!("the error does not say {:?}: {message}", want.says));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// Why freshcreds may make `request`, which has no recording in this case, or `None` when it
/// may not. Each is a difference of behaviour the replay cannot answer (it closes the
/// connection of a request it has no recording for):
fn unrecorded_request_allowed(
    request: &str,
    recording: &Recording,
    expected: &Value,
    selection: SourceSelection,
) -> Option<&'static str> {
    let imds = request
        .split_once(' ')
        .is_some_and(|(_, p)| p.starts_with("/latest/"));
    let long_term_keys = expected
        .get("Ok")
        .is_some_and(|ok| ok.get("session_token").is_none() && ok.get("expiry").is_none());
    if selection == SourceSelection::Chain && imds && long_term_keys {
        // A static winner: freshcreds asks the links below it, in the background, whether they
        // would work (chain::INFO_SHADOWED), IMDS last; the Rust SDK does not.
        return Some("the shadowing probe below a static winner");
    }
    if selection == SourceSelection::Chain && imds && expected.get("Ok").is_none() {
        // Java v2's chain, which freshcreds follows, goes on past a failed link to the links
        // below it, IMDS last; the Rust SDK stops at the first failure.
        return Some("the chain goes on past a failed link to IMDS");
    }
    let retried = recording
        .exchanges
        .iter()
        .any(|e| e.describe() == request && e.status >= 500);
    if retried {
        // A recorded 5xx answer is retried, as every AWS SDK's standard retry mode does.
        return Some("a retry of a recorded 5xx answer");
    }
    None
}

/// How one case went.
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Counts of a suite, and the lines to print.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    skipped: Vec<String>,
}

impl Tally {
    fn record(&mut self, case: &str, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed(why) => self.failed.push(format!("{case}: {why}")),
            Outcome::Skipped(why) => self.skipped.push(format!("{case}: {why}")),
        }
    }

    /// Prints the summary (straight to stderr, which the test harness does not capture) and
    /// fails listing every failing case.
    fn finish(self, suite: &str, expected_cases: usize) {
        let line = format!(
            "{suite} conformance: {} passed, {} failed, {} skipped",
            self.passed,
            self.failed.len(),
            self.skipped.len()
        );
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
        for s in &self.skipped {
            let _ = writeln!(err, "  skipped {s}");
        }
        for f in &self.failed {
            let _ = writeln!(err, "  FAILED {f}");
        }
        drop(err);
        assert!(self.failed.is_empty(), "{line}\n{}", self.failed.join("\n"));
        assert_eq!(
            self.passed + self.skipped.len(),
            expected_cases,
            "{suite}: unexpected number of cases"
        );
    }
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn case_dirs(suite: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(DATA).join(suite);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("listing {}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("test-case.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Copies `from` into `to` recursively; returns the copied files.
fn copy_tree(from: &Path, to: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    if !from.is_dir() {
        return files;
    }
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            files.extend(copy_tree(&entry.path(), &target));
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            files.push(target);
        }
    }
    files
}

/// A case prepared to run: its environment and what the checks need.
struct Prepared {
    env: BTreeMap<String, String>,
    /// The recorded STS origin, when STS was redirected with `AWS_ENDPOINT_URL_STS`.
    sts_origin: Option<String>,
    /// The environment before that redirection.
    env_before_sts: BTreeMap<String, String>,
    /// The recorded IAM Identity Center portal origin, when the portal was redirected with
    /// `AWS_ENDPOINT_URL_SSO`.
    sso_origin: Option<String>,
}

fn prepare(case: &Path, root: &Path, recording: &Recording, server: &str) -> Prepared {
    let root_text = root
        .to_str()
        .expect("a UTF-8 temporary directory")
        .to_string();
    let origins = recording.origins();
    let mut redirected = std::collections::BTreeSet::new();

    // The file tree, with absolute paths and recorded endpoint URLs rewritten.
    for file in copy_tree(&case.join("fs"), root) {
        let Ok(mut text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "config" || name == "credentials" {
            text = text.replace("= /", &format!("= {root_text}/"));
        }
        for origin in &origins {
            if text.contains(origin.as_str()) {
                text = text.replace(origin.as_str(), server);
                redirected.insert(origin.clone());
            }
        }
        std::fs::write(&file, text).unwrap();
    }

    // The environment, likewise.
    let mut env: BTreeMap<String, String> = read_json(&case.join("env.json"))
        .as_object()
        .expect("env.json is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    for (name, value) in env.iter_mut() {
        // Absolute paths are files of the tree; the relative URI is a URL path, not a file.
        if value.starts_with('/') && name != "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" {
            *value = format!("{root_text}{value}");
        }
        for origin in &origins {
            if value.contains(origin.as_str()) {
                *value = value.replace(origin.as_str(), server);
                redirected.insert(origin.clone());
            }
        }
    }
    // A container URI at a link-local address with no recorded traffic still must not leave.
    if let Some(full) = env.get_mut("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        if let Ok(mut url) = url::Url::parse(full) {
            if url
                .host_str()
                .is_some_and(|h| h.starts_with("169.254.170."))
            {
                let server_url = url::Url::parse(server).unwrap();
                url.set_host(server_url.host_str()).unwrap();
                url.set_port(server_url.port()).unwrap();
                *full = url.to_string();
            }
        }
    }
    // ECS's relative URI names the fixed link-local host: it becomes a loopback full URI.
    if let Some(relative) = env.remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        env.insert(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
            format!("{server}{relative}"),
        );
    }
    // IMDS always points at the replay server: the chain reaches it in most cases.
    env.entry("AWS_EC2_METADATA_SERVICE_ENDPOINT".into())
        .or_insert_with(|| server.to_string());

    // STS always points at the replay server too, unless the case redirects it with its own
    // endpoint URL (rewritten above): then that URL is what is under test.
    let host_of = |origin: &str| {
        url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    };
    let not_sts = |host: &str| {
        host == "169.254.169.254"
            || host.starts_with("169.254.170.")
            || host.starts_with("portal.sso")
    };
    let env_before_sts = env.clone();
    let mut sts_origin = None;
    if !redirected.iter().any(|o| !not_sts(&host_of(o))) {
        env.insert("AWS_ENDPOINT_URL_STS".into(), server.to_string());
        sts_origin = origins.iter().find(|o| !not_sts(&host_of(o))).cloned();
    }
    // The portal likewise, unless the case redirects it itself.
    let is_portal = |o: &String| host_of(o).starts_with("portal.sso");
    let mut sso_origin = None;
    if !redirected.iter().any(is_portal) {
        if let Some(origin) = origins.iter().find(|o| is_portal(o)) {
            env.insert("AWS_ENDPOINT_URL_SSO".into(), server.to_string());
            sso_origin = Some(origin.clone());
        }
    }
    Prepared {
        env,
        sts_origin,
        env_before_sts,
        sso_origin,
    }
}

/// The STS endpoint freshcreds resolves for the selected profile, as the default chain does.
async fn own_sts_endpoint(env: &BTreeMap<String, String>) -> Result<String, String> {
    let env = Env::from_map(env.clone());
    let set = ProfileSet::load(&env, None)
        .await
        .map_err(|e| e.full_message())?;
    let selected = set.selected_profile();
    let settings = StsProfileSettings {
        region: selected.and_then(|p| p.get("region")).map(str::to_string),
        endpoint_url: None,
        origin: None,
        region_origin: None,
    };
    let variants = EndpointVariants::resolve(
        &env,
        selected.and_then(|p| p.get("use_fips_endpoint")),
        selected.and_then(|p| p.get("use_dualstack_endpoint")),
    )
    .map_err(|e| e.full_message())?;
    let resolved = StsSettings::resolve_with_variants(&env, &settings, variants)
        .map_err(|e| e.full_message())?;
    Ok(resolved.endpoint.trim_end_matches('/').to_string())
}

/// The IAM Identity Center portal endpoint freshcreds resolves for the selected profile.
async fn own_portal_endpoint(env: &BTreeMap<String, String>) -> Result<String, String> {
    let env = Env::from_map(env.clone());
    let set = ProfileSet::load(&env, None)
        .await
        .map_err(|e| e.full_message())?;
    let plan = ProfileRoleChain::plan(&set).map_err(|e| e.full_message())?;
    let settings = SsoSettings::from_step(&env, &set, &plan.base)
        .map_err(|e| e.full_message())?
        .ok_or("the selected profile does not use IAM Identity Center")?;
    Ok(settings.portal.url)
}

fn compare_credentials(expected: &Value, got: &freshcreds::Credentials) -> Result<(), String> {
    let mut diffs = vec![];
    let want = |k: &str| expected.get(k).and_then(Value::as_str);
    if want("access_key_id") != Some(got.access_key_id()) {
        diffs.push(format!(
            "access key id {:?}, expected {:?}",
            got.access_key_id(),
            want("access_key_id")
        ));
    }
    if want("secret_access_key") != Some(got.secret_access_key()) {
        diffs.push("secret access key differs".to_string());
    }
    if want("session_token") != got.session_token() {
        diffs.push(format!(
            "session token {}, expected {}",
            if got.session_token().is_some() {
                "present"
            } else {
                "absent"
            },
            if want("session_token").is_some() {
                "present (and different)"
            } else {
                "absent"
            },
        ));
    }
    let expiry = expected.get("expiry").and_then(Value::as_i64);
    let got_expiry = got.expiration().map(|e| e.timestamp());
    if expiry != got_expiry {
        diffs.push(format!("expiry {got_expiry:?}, expected {expiry:?}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

async fn run_case(case: &Path, selection: SourceSelection) -> Outcome {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let expected = read_json(&case.join("test-case.json"))["result"].clone();
    let recording = match Recording::load(&case.join("http-traffic.json")) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("unreadable recording: {e}")),
    };
    let server = ReplayServer::start(recording.clone()).await;
    let root = tempfile::tempdir().unwrap();
    let prepared = prepare(case, root.path(), &recording, &server.url());

    let settings = ChainSettings {
        system_properties: Some(Env::from_map::<String, String>([])),
        ..ChainSettings::new(
            Env::from_map(prepared.env.clone()),
            Arc::new(SystemClock::new()),
        )
    };
    let (result, report) = match default_chain::build(&settings, selection).await {
        Ok(source) => {
            let result = tokio::time::timeout(Duration::from_secs(30), source.fetch())
                .await
                .unwrap_or_else(|_| {
                    Err(freshcreds::Error::new(
                        freshcreds::ErrorKind::Timeout,
                        "the case did not finish within 30 s",
                    ))
                });
            (result, source.report())
        }
        Err(e) => (Err(e), None),
    };

    if let Some(d) = JAVA_V2_DIFFERS.iter().find(|d| d.case == name) {
        let received = server.received();
        return if received.iter().any(|r| r.request == d.java_request) {
            Outcome::Skipped(d.reason.to_string())
        } else {
            Outcome::Failed(format!(
                "expected the Java v2 behaviour ({}), but freshcreds never sent {}",
                d.reason, d.java_request
            ))
        };
    }
    let mut problems = vec![];
    match (&expected.get("Ok"), &result) {
        (Some(want), Ok(got)) => {
            if let Err(d) = compare_credentials(want, &got.credentials) {
                problems.push(d);
            }
        }
        (Some(_), Err(e)) => problems.push(format!(
            "expected credentials, got the error: {}",
            e.full_message()
        )),
        (None, Ok(got)) => problems.push(format!(
            "expected an error ({}), got credentials {}",
            expected["ErrorContains"], got.credentials
        )),
        (None, Err(e)) => match EXPECTED_ERRORS.iter().find(|x| x.case == name) {
            Some(want) => {
                if let Err(d) = check_error(want, e, report.as_ref(), selection) {
                    problems.push(format!(
                        "not the recorded error ({}): {d}",
                        expected["ErrorContains"]
                    ));
                }
            }
            None => problems.push(format!(
                "an error case without a row in EXPECTED_ERRORS (recorded: {}; freshcreds: {:?} {})",
                expected["ErrorContains"],
                e.kind(),
                e.full_message()
            )),
        },
    }
    for request in server.unmatched() {
        if unrecorded_request_allowed(&request, &recording, &expected, selection).is_none() {
            problems.push(format!("a request with no recording: {request}"));
        }
    }
    let unserved = server.unserved();
    if !unserved.is_empty() {
        problems.push(format!(
            "recorded requests freshcreds did not make: {}",
            unserved.join(", ")
        ));
    }
    problems.extend(
        server
            .mismatches()
            .into_iter()
            .map(|m| format!("request differs from its recording: {m}")),
    );
    if let Some(origin) = &prepared.sts_origin {
        match own_sts_endpoint(&prepared.env_before_sts).await {
            Ok(own) if own == *origin => {}
            Ok(own) => problems.push(format!("STS endpoint would be {own}, recorded {origin}")),
            Err(e) => problems.push(format!("STS endpoint resolution failed: {e}")),
        }
    }
    if let Some(origin) = &prepared.sso_origin {
        match own_portal_endpoint(&prepared.env_before_sts).await {
            Ok(own) if own == *origin => {}
            Ok(own) => problems.push(format!(
                "IAM Identity Center portal endpoint would be {own}, recorded {origin}"
            )),
            Err(e) => problems.push(format!("portal endpoint resolution failed: {e}")),
        }
    }
    if problems.is_empty() {
        Outcome::Passed
    } else {
        let mut why = problems.join("; ");
        let unmatched = server.unmatched();
        if !unmatched.is_empty() {
            why.push_str(&format!(" [unrecorded requests: {}]", unmatched.join(", ")));
        }
        if let Err(e) = &result {
            if expected.get("Ok").is_none() {
                why.push_str(&format!(" [freshcreds error: {}]", e.full_message()));
            }
        }
        Outcome::Failed(why)
    }
}

async fn run_suite(suite: &str, selection: SourceSelection) -> Tally {
    let mut tally = Tally::default();
    for case in case_dirs(suite) {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let outcome = run_case(&case, selection).await;
        tally.record(&name, outcome);
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_chain_cases_of_the_rust_sdk_replay_to_the_recorded_outcome() {
    run_suite("default-credential-provider-chain", SourceSelection::Chain)
        .await
        .finish("default chain", 29);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_provider_cases_of_the_rust_sdk_replay_to_the_recorded_outcome() {
    run_suite("profile-provider", SourceSelection::Profile)
        .await
        .finish("profile provider", 18);
}
