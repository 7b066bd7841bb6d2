//! Loading real profile files from disk: locations from the environment, merging, the selected
//! profile, what counts as an empty file, and parse errors that name the file and line. Uses the
//! file trees of the smithy-rs `profile-provider` cases and files written to a temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use freshcreds::env::Env;
use freshcreds::sources::profile::{BaseStep, ProfileRoleChain, ProfileSet};
use freshcreds::ErrorKind;

const CASES: &str =
    "../../tests/conformance/smithy-rs/aws/rust-runtime/aws-config/test-data/profile-provider";

/// The `fs/home` directory of a smithy-rs profile-provider case, as an absolute path.
fn case_home(case: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(CASES)
        .join(case)
        .join("fs/home");
    assert!(path.is_dir(), "missing test data {}", path.display());
    path.to_string_lossy().into_owned()
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "freshcreds-profile-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(path.join(".aws")).unwrap();
        TempDir(path)
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn default_files_under_home_merge_and_plan_static_keys_then_the_role() {
    let env = Env::from_map([("HOME", case_home("e2e_assume_role"))]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert_eq!(set.selected(), "default");
    // `base` is in both files: region from the config file, keys from the credentials file.
    let base = set.profile("base").unwrap();
    assert_eq!(base.get("region"), Some("us-east-1"));
    assert_eq!(base.get("aws_access_key_id"), Some("AKIAFAKE"));

    let plan = ProfileRoleChain::plan(&set).unwrap();
    match &plan.base {
        BaseStep::AccessKey {
            credentials,
            account_id,
            profile,
        } => {
            assert_eq!(credentials.access_key_id(), "AKIAFAKE");
            assert_eq!(credentials.secret_access_key(), "FAKE");
            assert_eq!(account_id.as_deref(), Some("123456789001"));
            assert_eq!(profile, "base");
        }
        other => panic!("expected static keys, got {other:?}"),
    }
    assert_eq!(plan.roles.len(), 1);
    assert_eq!(
        plan.roles[0].role_arn,
        "arn:aws:iam::123456789:role/integration-test"
    );
    assert_eq!(plan.roles[0].profile, "default");
}

#[tokio::test]
async fn a_syntax_error_in_a_loaded_file_names_its_path_and_line() {
    let home = case_home("invalid_config");
    let env = Env::from_map([("HOME", home.clone())]);
    let err = ProfileSet::load(&env, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    let msg = err.message();
    assert!(msg.contains(&format!("{home}/.aws/config")), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("did not have a name"), "{msg}");
}

#[tokio::test]
async fn sso_settings_from_an_sso_session_section_are_planned() {
    let env = Env::from_map([("HOME", case_home("sso_credentials"))]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    let plan = ProfileRoleChain::plan(&set).unwrap();
    assert!(plan.roles.is_empty());
    match plan.base {
        BaseStep::Sso {
            sso_session,
            sso_region,
            sso_start_url,
            sso_account_id,
            sso_role_name,
            ..
        } => {
            assert_eq!(sso_session.as_deref(), Some("dev"));
            assert_eq!(sso_region, "us-east-1");
            assert_eq!(sso_start_url, "https://d-abc123.awsapps.com/start");
            assert_eq!(sso_account_id.as_deref(), Some("012345678901"));
            assert_eq!(sso_role_name.as_deref(), Some("SampleRole"));
        }
        other => panic!("expected SSO, got {other:?}"),
    }
}

#[tokio::test]
async fn the_profile_override_beats_aws_profile_which_beats_default() {
    let dir = TempDir::new();
    dir.write(
        ".aws/credentials",
        "[default]\nx = d\n[from-env]\nx = e\n[from-code]\nx = c\n",
    );
    let env = Env::from_map([("HOME", dir.path()), ("AWS_PROFILE", "from-env".into())]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert_eq!(set.selected(), "from-env");
    assert_eq!(set.selected_profile().unwrap().get("x"), Some("e"));
    let set = ProfileSet::load(&env, Some("from-code")).await.unwrap();
    assert_eq!(set.selected(), "from-code");
    assert_eq!(set.selected_profile().unwrap().get("x"), Some("c"));
    let env = Env::from_map([("HOME", dir.path())]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert_eq!(set.selected_profile().unwrap().get("x"), Some("d"));
}

#[tokio::test]
async fn env_var_paths_replace_the_default_paths_and_expand_the_home_directory() {
    let dir = TempDir::new();
    dir.write(".aws/config", "[profile p]\nfrom = default-config\n");
    dir.write("elsewhere/cfg", "[profile p]\nfrom = env-config\n");
    dir.write("elsewhere/creds", "[p]\ncreds = env-credentials\n");
    let env = Env::from_map([
        ("HOME", dir.path()),
        ("AWS_CONFIG_FILE", "~/elsewhere/cfg".to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            format!("{}/elsewhere/creds", dir.path()),
        ),
    ]);
    let set = ProfileSet::load(&env, Some("p")).await.unwrap();
    let p = set.selected_profile().unwrap();
    assert_eq!(p.get("from"), Some("env-config"));
    assert_eq!(p.get("creds"), Some("env-credentials"));
    let (file, line) = p.location("from").unwrap();
    assert!(file.ends_with("elsewhere/cfg"), "{file}");
    assert_eq!(line, 2);
}

#[tokio::test]
async fn missing_and_non_utf8_files_count_as_empty() {
    let dir = TempDir::new();
    let env = Env::from_map([("HOME", dir.path())]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert!(set.is_empty());
    let err = ProfileRoleChain::plan(&set).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    let expected = format!("{}/.aws/credentials", dir.path());
    assert!(err.message().contains(&expected), "{}", err.message());

    dir.write(".aws/config", [b'[', 0xff, 0xfe, b']']);
    dir.write(".aws/credentials", "[default]\nregion = x\n");
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert_eq!(set.names().collect::<Vec<_>>(), ["default"]);

    let env = Env::from_map([
        ("HOME", dir.path()),
        ("AWS_CONFIG_FILE", format!("{}/no/such/file", dir.path())),
    ]);
    let set = ProfileSet::load(&env, None).await.unwrap();
    assert_eq!(set.names().collect::<Vec<_>>(), ["default"]);
}

#[tokio::test]
async fn a_selected_profile_without_credentials_is_not_configured_and_says_which() {
    let dir = TempDir::new();
    dir.write(".aws/config", "[profile dev]\nregion = eu-west-1\n");
    let env = Env::from_map([("HOME", dir.path())]);
    let set = ProfileSet::load(&env, Some("dev")).await.unwrap();
    let err = ProfileRoleChain::plan(&set).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);
    assert!(err.message().contains("profile `dev`"), "{}", err.message());
}
