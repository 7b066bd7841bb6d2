//! The credential chain the command line resolves: the default chain of
//! [`freshcreds::sources::default_chain`] for a process that is not a JVM (no system-properties link).
//! With an explicit `--profile`, the environment keys are skipped, as the AWS CLI does: the user
//! asked for that profile.

use std::sync::Arc;

use freshcreds::clock::Clock;
use freshcreds::env::Env;
use freshcreds::error::Result;
use freshcreds::sources::chain::ChainSource;
use freshcreds::sources::default_chain::{self, ChainSettings};
use freshcreds::sources::profile::ProfileSet;
use freshcreds::sources::server_clock::ServerClock;
use freshcreds::sources::sts::StsSettings;

/// A chain and what it was built from.
#[derive(Debug)]
pub(crate) struct CliChain {
    /// The chain, ready to resolve.
    pub chain: Arc<ChainSource>,
    /// The names of the links whose credentials never refresh themselves (static keys).
    pub static_links: Vec<String>,
    /// The profile files and selected profile, when they could be read.
    pub profiles: Option<ProfileSet>,
    /// The clock offset the chain's sources measured, for the doctor's own STS calls.
    pub server_clock: Arc<ServerClock>,
}

impl CliChain {
    /// Whether credentials from `source` (a link name, or a credentials' source) never refresh
    /// themselves.
    pub(crate) fn is_static(&self, source: &str) -> bool {
        self.static_links.iter().any(|s| s == source)
    }
}

/// The STS settings for the selected profile (endpoint, region, FIPS / dual-stack).
pub(crate) fn sts_settings(env: &Env, profiles: Option<&ProfileSet>) -> Result<StsSettings> {
    default_chain::sts_settings(env, profiles)
}

/// Builds the chain for `env`, with `profile` selected (`None`: `AWS_PROFILE`, else `default`).
pub(crate) async fn build(
    env: &Env,
    profile: Option<&str>,
    clock: Arc<dyn Clock>,
) -> Result<CliChain> {
    let settings = ChainSettings {
        profile: profile.map(str::to_string),
        explicit_profile_wins: true,
        ..ChainSettings::new(env.clone(), clock)
    };
    let built = default_chain::build_chain(&settings).await;
    Ok(CliChain {
        static_links: built.chain.static_links(),
        chain: built.chain,
        profiles: built.profiles,
        server_clock: settings.server_clock.clone(),
    })
}
