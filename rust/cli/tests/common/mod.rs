//! Test support shared by the CLI's role tests: the binary run with static keys in a private
//! environment, against the simulator's STS.

use std::path::Path;
use std::process::{Command, Output};

use freshcreds_sim::{Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

/// The `freshcreds` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_freshcreds");
/// The role the tests assume.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/cli-role";

/// Runs `freshcreds args` with only the simulator's static keys, `home`'s config files, STS at
/// the simulator and IMDS switched off.
pub fn freshcreds(sim: &Simulator, home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_ACCESS_KEY_ID", STATIC_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", STATIC_SECRET_ACCESS_KEY)
        .env("AWS_ENDPOINT_URL_STS", sim.base_url())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .output()
        .unwrap()
}
