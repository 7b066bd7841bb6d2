//! The account id on the credentials, when a source knows it: a profile's `aws_account_id`, the
//! account of an assumed role's ARN (SDK v2 uses it for account-based endpoints).

use freshcreds::env::Env;
use freshcreds::host::{FreshSource, SourceOptions};
use freshcreds::Credentials;
use freshcreds_sim::{SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

fn provider(env: Env, options: &[(&str, &str)]) -> FreshSource {
    FreshSource::with_env(
        SourceOptions::from_pairs(options.iter().copied()).unwrap(),
        env,
    )
    .unwrap()
}

#[test]
fn profile_keys_carry_the_profiles_aws_account_id() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("credentials");
    std::fs::write(
        &file,
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\naws_account_id = 111122223333\n\
         [plain]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = s\n",
    )
    .unwrap();
    let env = |profile: &str| {
        Env::from_map([
            ("HOME".to_string(), home.path().display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_string(),
                file.display().to_string(),
            ),
            (
                "AWS_CONFIG_FILE".to_string(),
                home.path().join("config").display().to_string(),
            ),
            ("AWS_PROFILE".to_string(), profile.to_string()),
            ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ])
    };
    let c = provider(env("dev"), &[]).credentials().unwrap().credentials;
    assert_eq!(c.access_key_id(), "AKIADEV");
    assert_eq!(c.account_id(), Some("111122223333"));
    let c = provider(env("plain"), &[])
        .credentials()
        .unwrap()
        .credentials;
    assert_eq!(c.account_id(), None);
}

#[test]
fn an_assumed_role_carries_the_account_of_its_arn() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = Env::from_map([
        ("HOME".to_string(), home.path().display().to_string()),
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            STATIC_ACCESS_KEY_ID.to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            STATIC_SECRET_ACCESS_KEY.to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
    ]);
    let p = provider(
        env,
        &[
            ("roleArn", "arn:aws:iam::444455556666:role/app"),
            ("stsEndpoint", sim.base_url().as_str()),
        ],
    );
    let c = p.credentials().unwrap().credentials;
    assert!(c.access_key_id().starts_with("ASIA"), "{c:?}");
    assert_eq!(c.account_id(), Some("444455556666"));
}

#[test]
fn only_twelve_digit_accounts_are_read_from_an_arn() {
    assert_eq!(
        Credentials::account_of_arn("arn:aws:sts::123456789012:assumed-role/a/b").as_deref(),
        Some("123456789012")
    );
    assert_eq!(
        Credentials::account_of_arn("arn:aws:iam::aws:policy/x"),
        None
    );
    assert_eq!(Credentials::account_of_arn("not-an-arn"), None);
}
