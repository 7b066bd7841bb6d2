//! `doctor`: the AWS credentials troubleshooting walk, one finding per line. A profile whose
//! credentials come from an `aws login` session gets a finding of its own ([`login`]).
//!
//! Checks, in order, one module each: proxy variables that capture IMDS ([`proxy`]); session
//! expiry stated in the environment ([`environment`]); the chain source by source (winner,
//! failures, shadowing: [`chain`]); the winning credentials' expiry and whether they refresh
//! themselves ([`expiry`]); who they are, per STS `GetCallerIdentity` ([`identity`]); clock skew
//! against the `Date` header of STS and of IMDS ([`clock_skew`]); IMDS reachability (token `PUT`,
//! IMDSv1 `GET`, role, hop limit: [`imds`]); expired session tokens in the profile files and
//! expired AWS CLI / SSO cache entries ([`files`]); the selected profile's IAM Identity Center
//! token: session, expiry, whether it refreshes itself, the login command ([`sso`]). Before the
//! STS checks, the network path to AWS: trusted roots, each endpoint's proxy, and a TLS handshake
//! with STS ([`network`]).

mod chain;
mod clock_skew;
mod environment;
mod expiry;
mod files;
mod http;
mod identity;
mod imds;
mod login;
mod network;
mod proxy;
mod sso;

use std::sync::Arc;

use chrono::Utc;

use crate::chain::CliChain;
use crate::output::Check;
use freshcreds::clock::{Clock, SystemClock};
use freshcreds::env::Env;
use freshcreds::error::Result;
use freshcreds::sources::Fetched;

/// What `doctor` was asked to do.
#[derive(Debug, Clone, Default)]
pub(crate) struct DoctorOptions {
    /// The profile to check (`None`: `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// Skip network calls outside the host (STS).
    pub offline: bool,
}

/// Runs every check, in the order of the module list above.
pub(crate) async fn run(env: &Env, options: &DoctorOptions) -> Vec<Check> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let mut checks = Vec::new();
    checks.extend(proxy::proxy_checks(env));
    checks.extend(environment::env_expiry_check(env, Utc::now()));

    let (chain, fetched) = resolve_chain(env, options, clock.clone(), &mut checks).await;
    let winner = fetched.as_ref().ok();
    if let Some(c) = &chain {
        checks.extend(chain::chain_checks(c, fetched.as_ref().err()).await);
        if let Some(f) = winner {
            checks.push(expiry::expiry_check(c, f, Utc::now()));
        }
    }
    let profiles = chain.as_ref().and_then(|c| c.profiles.as_ref());
    let sts = crate::chain::sts_settings(env, profiles).ok();
    checks.extend(network::network_checks(env, profiles, sts.as_ref(), options.offline).await);
    checks.extend(sts_checks(env, options, chain.as_ref(), winner, clock).await);
    let other_winner = winner
        .map(|f| f.credentials.source().to_string())
        .filter(|s| s != freshcreds::sources::imds::SOURCE_NAME);
    checks.extend(imds::imds_checks(env, profiles, other_winner.as_deref()).await);
    checks.extend(login::login_checks(env, chain.as_ref(), Utc::now()).await);
    checks.extend(files::file_checks(env, profiles, Utc::now()));
    checks.extend(sso::sso_checks(env, profiles, Utc::now()));
    checks
}

/// Builds the chain the way the other commands do and asks it once; a chain that cannot be
/// built is a finding.
async fn resolve_chain(
    env: &Env,
    options: &DoctorOptions,
    clock: Arc<dyn Clock>,
    checks: &mut Vec<Check>,
) -> (Option<CliChain>, Result<Fetched>) {
    match crate::chain::build(env, options.profile.as_deref(), clock).await {
        Ok(c) => {
            let fetched = c.chain.resolve().await;
            (Some(c), fetched)
        }
        Err(e) => {
            checks.push(Check::fail(
                "chain",
                format!(
                    "the credential chain could not be built: {}",
                    e.full_message()
                ),
                "fix the configuration named above",
            ));
            (None, Err(e))
        }
    }
}

/// The checks that ask STS: who the winning credentials are, and the clock against STS's `Date`.
async fn sts_checks(
    env: &Env,
    options: &DoctorOptions,
    chain: Option<&CliChain>,
    winner: Option<&Fetched>,
    clock: Arc<dyn Clock>,
) -> Vec<Check> {
    if options.offline {
        return vec![Check::ok("identity", "STS not asked (--offline)")];
    }
    let settings = match crate::chain::sts_settings(env, chain.and_then(|c| c.profiles.as_ref())) {
        Ok(settings) => settings,
        Err(e) => {
            return vec![Check::fail(
                "identity",
                format!(
                    "the STS endpoint could not be worked out: {}",
                    e.full_message()
                ),
                "fix the variable or profile setting named above",
            )]
        }
    };
    let mut out = Vec::new();
    if let (Some(f), Some(c)) = (winner, chain) {
        out.push(identity::identity_check(&settings, c, &f.credentials, clock).await);
    }
    out.push(clock_skew::sts_skew_check(&settings).await);
    out
}
