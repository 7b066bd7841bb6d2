//! The credential chain the command line resolves: the AWS SDK default chain order for a process
//! that is not a JVM (no system properties): environment, web identity (environment), the
//! profile, the container endpoint, then IMDS.
//!
//! With an explicit `--profile`, the environment keys are skipped, as the AWS CLI does: the user
//! asked for that profile.

use std::sync::Arc;

use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::assume_role::AssumeRoleSource;
use crate::sources::chain::{ChainLink, ChainSource};
use crate::sources::container::ContainerCredentialsSource;
use crate::sources::environment::StaticVariablesSource;
use crate::sources::imds::{
    ImdsConfig, ImdsCredentialsSource, PROFILE_ENDPOINT, PROFILE_ENDPOINT_MODE,
};
use crate::sources::process::CredentialProcessSource;
use crate::sources::profile::{BaseStep, NamedSource, ProfileChain, ProfileSet};
use crate::sources::sts::{StsClient, StsProfileSettings, StsSettings};
use crate::sources::web_identity::WebIdentitySource;
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// Name of the profile link in reports when the profile cannot be used at all.
pub const PROFILE: &str = "Profile";

/// A chain and what it was built from.
#[derive(Debug)]
pub struct CliChain {
    /// The chain, ready to resolve.
    pub chain: Arc<ChainSource>,
    /// The names of the links whose credentials never refresh themselves (static keys).
    pub static_links: Vec<String>,
    /// The profile files and selected profile, when they could be read.
    pub profiles: Option<ProfileSet>,
    /// The error reading or planning the profile, if any (already part of the chain report).
    pub profile_problem: Option<String>,
}

impl CliChain {
    /// Whether credentials from `source` (a link name, or a credentials' source) never refresh
    /// themselves.
    pub fn is_static(&self, source: &str) -> bool {
        self.static_links.iter().any(|s| s == source)
    }
}

/// A link that always answers the same error: a profile that could not be read or planned.
#[derive(Debug)]
struct Broken {
    name: String,
    kind: ErrorKind,
    message: String,
}

impl CredentialSource for Broken {
    fn name(&self) -> &str {
        &self.name
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        let e = Error::new(self.kind, self.message.clone());
        Box::pin(async move { Err(e) })
    }
}

fn broken(name: &str, e: &Error) -> Arc<dyn CredentialSource> {
    Arc::new(Broken {
        name: name.to_string(),
        kind: e.kind(),
        message: e.full_message(),
    })
}

/// A link with static keys from a profile file.
#[derive(Debug)]
struct ProfileKeys {
    name: String,
    fetched: Fetched,
}

impl CredentialSource for ProfileKeys {
    fn name(&self) -> &str {
        &self.name
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        let f = self.fetched.clone();
        Box::pin(async move { Ok(f) })
    }
}

fn sts_client(
    env: &Env,
    profiles: Option<&ProfileSet>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<StsClient>> {
    let settings = StsSettings::resolve(env, &sts_profile_settings(profiles))?;
    Ok(Arc::new(StsClient::with_clock(settings, clock)?))
}

/// What the selected profile says about STS (region and endpoint), for STS clients.
pub fn sts_profile_settings(profiles: Option<&ProfileSet>) -> StsProfileSettings {
    let Some(set) = profiles else {
        return StsProfileSettings::default();
    };
    let Some(p) = set.selected_profile() else {
        return StsProfileSettings::default();
    };
    let endpoint_url = p
        .sub_properties("sts")
        .and_then(|s| s.get("endpoint_url").cloned())
        .or_else(|| p.get("endpoint_url").map(str::to_string));
    StsProfileSettings {
        region: p.get("region").map(str::to_string),
        endpoint_url,
        origin: Some(format!("profile {}", p.name())),
    }
}

fn imds_source(
    env: &Env,
    profiles: Option<&ProfileSet>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn CredentialSource>> {
    let p = profiles.and_then(|s| s.selected_profile());
    let config = ImdsConfig::from_env_and_profile(
        env,
        p.and_then(|p| p.get(PROFILE_ENDPOINT)),
        p.and_then(|p| p.get(PROFILE_ENDPOINT_MODE)),
    )?;
    Ok(Arc::new(ImdsCredentialsSource::new(config, clock)?))
}

fn named_source(
    named: NamedSource,
    env: &Env,
    profiles: Option<&ProfileSet>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn CredentialSource>> {
    Ok(match named {
        NamedSource::Environment => Arc::new(StaticVariablesSource::environment(env.clone())),
        NamedSource::Ec2InstanceMetadata => imds_source(env, profiles, clock)?,
        NamedSource::EcsContainer => {
            Arc::new(ContainerCredentialsSource::new(env.clone())?.with_clock(clock))
        }
    })
}

/// Whether a `credential_process` command line runs `freshcreds credential-process`: resolving
/// such a profile from freshcreds would start freshcreds again, for the same chain.
pub fn runs_own_credential_process(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or_default().trim_matches(['"', '\'']);
    let stem = std::path::Path::new(program)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem == "freshcreds" && words.any(|w| w == "credential-process")
}

/// Builds the sources of the selected profile's plan; returns the source and whether its
/// credentials are static.
fn profile_source(
    set: &ProfileSet,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<dyn CredentialSource>, bool)> {
    let plan = ProfileChain::plan(set)?;
    let selected = set.selected().to_string();
    let (mut source, mut is_static): (Arc<dyn CredentialSource>, bool) = match &plan.base {
        BaseStep::AccessKey { credentials, profile, .. } => (
            Arc::new(ProfileKeys {
                name: format!("Profile({profile})"),
                fetched: Fetched::local(credentials.clone()),
            }),
            true,
        ),
        BaseStep::NamedSource { source, .. } => (named_source(*source, env, Some(set), clock.clone())?, false),
        BaseStep::WebIdentityToken {
            role_arn,
            web_identity_token_file,
            role_session_name,
            profile,
        } => (
            Arc::new(
                WebIdentitySource::new(web_identity_token_file, role_arn, sts_client(env, Some(set), clock.clone())?)
                    .with_session_name(role_session_name.clone())
                    .with_origin(format!("web_identity_token_file of profile {profile}"))
                    .with_name(format!("Profile({profile})/WebIdentityToken")),
            ),
            false,
        ),
        BaseStep::CredentialProcess { command, profile }
            if plan.roles.is_empty() && runs_own_credential_process(command.as_str()) =>
        {
            return Err(Error::not_configured(format!(
                "the credential_process of profile {profile} is `freshcreds credential-process` itself: skipped, the sources below supply what it would"
            )))
        }
        BaseStep::CredentialProcess { command, profile } => (
            Arc::new(
                CredentialProcessSource::new(command.as_str(), format!("profile {profile}"))
                    .with_name(format!("Profile({profile})/CredentialProcess")),
            ),
            false,
        ),
        BaseStep::Sso { .. } => {
            return Err(Error::invalid_config(format!(
                "profile {selected} uses IAM Identity Center (SSO), which freshcreds does not read yet; \
                 run `aws configure export-credentials --profile {selected}` or use another profile"
            )))
        }
    };
    if !plan.roles.is_empty() {
        let sts = sts_client(env, Some(set), clock)?;
        for step in &plan.roles {
            let mut role = AssumeRoleSource::new(source, &step.role_arn, sts.clone())
                .with_external_id(step.external_id.clone())
                .with_duration(
                    step.duration_seconds
                        .map(|s| std::time::Duration::from_secs(s.into())),
                );
            if let Some(name) = &step.role_session_name {
                role = role.with_session_name(name);
            }
            source = Arc::new(role.with_name(format!("Profile({})/AssumeRole", step.profile)));
        }
        is_static = false;
    }
    Ok((source, is_static))
}

/// Builds the chain for `env`, with `profile` selected (`None`: `AWS_PROFILE`, else `default`).
pub async fn build(env: &Env, profile: Option<&str>, clock: Arc<dyn Clock>) -> Result<CliChain> {
    let mut links = Vec::new();
    let mut static_links = Vec::new();
    let mut add = |source: Arc<dyn CredentialSource>, is_static: bool| {
        if is_static {
            static_links.push(source.name().to_string());
        }
        links.push(ChainLink { source, is_static });
    };
    if profile.is_none() {
        add(
            Arc::new(StaticVariablesSource::environment(env.clone())),
            true,
        );
    }
    let (profiles, profile_problem) = match ProfileSet::load(env, profile).await {
        Ok(set) => (Some(set), None),
        Err(e) => (None, Some(e)),
    };
    let web_identity = sts_client(env, profiles.as_ref(), clock.clone())
        .and_then(|sts| WebIdentitySource::from_env(env, sts));
    match web_identity {
        Ok(s) => add(Arc::new(s), false),
        Err(e) => add(broken("WebIdentityToken(environment)", &e), false),
    }
    let mut problem = profile_problem.as_ref().map(Error::full_message);
    match &profiles {
        Some(set) => match profile_source(set, env, clock.clone()) {
            Ok((source, is_static)) => add(source, is_static),
            Err(e) => {
                if e.kind() != ErrorKind::NotConfigured {
                    problem = Some(e.full_message());
                }
                add(broken(&format!("{PROFILE}({})", set.selected()), &e), false)
            }
        },
        None => {
            let e = profile_problem.expect("profile problem");
            add(broken(PROFILE, &e), false)
        }
    }
    match ContainerCredentialsSource::new(env.clone()) {
        Ok(s) => add(Arc::new(s.with_clock(clock.clone())), false),
        Err(e) => add(broken("ContainerCredentials", &e), false),
    }
    match imds_source(env, profiles.as_ref(), clock) {
        Ok(s) => add(s, false),
        Err(e) => add(broken(crate::sources::imds::SOURCE_NAME, &e), false),
    }
    Ok(CliChain {
        chain: Arc::new(ChainSource::new(links)),
        static_links,
        profiles,
        profile_problem: problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_process_running_freshcreds_itself_is_recognised() {
        assert!(runs_own_credential_process("freshcreds credential-process"));
        assert!(runs_own_credential_process(
            "\"/opt/bin/freshcreds\" --profile x credential-process"
        ));
        assert!(!runs_own_credential_process("freshcreds export"));
        assert!(!runs_own_credential_process("aws-vault exec dev --json"));
    }
}
