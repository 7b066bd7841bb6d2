//! Builds the default credential chain in the order of AWS SDK for Java v2's
//! `DefaultCredentialsProvider`: Java system properties, environment variables, web identity
//! (EKS IRSA), the shared profile files, container credentials (ECS, EKS Pod Identity), and last
//! the EC2 instance metadata service. A host can also pin one source.

use std::sync::Arc;
use std::time::Duration;

use super::assume_role::AssumeRoleSource;
use super::chain::{ChainLink, ChainSource};
use super::container::ContainerCredentialsSource;
use super::environment::StaticVariablesSource;
use super::imds::{ImdsConfig, ImdsConfigBuilder, ImdsCredentialsSource};
use super::notice;
use super::process::CredentialProcessSource;
use super::profile::Section;
use super::profile::{
    BaseStep, NamedSource, Platform, ProfileRoleChain, ProfileSet, ReloadingProfileSource,
};
use super::region::setting_origin;
use super::server_clock::ServerClock;
use super::sso::{SsoSettings, SsoSource};
use super::sts::{EndpointVariants, RoleRequest, StsClient, StsProfileSettings, StsSettings};
use super::web_identity::{WebIdentitySource, ENV_WEB_IDENTITY_TOKEN_FILE};
use super::{probe_by_fetching, BoxFuture, CredentialSource, Fetched, Probe};
use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpPolicy, NetworkSettings};

/// Everything the chain reads, injectable.
#[derive(Debug, Clone)]
pub struct ChainSettings {
    /// Environment variables.
    pub env: Env,
    /// Java system properties passed by the JVM host (`aws.accessKeyId`, …); `None` for hosts
    /// that are not a JVM (the chain then has no system-properties link).
    pub system_properties: Option<Env>,
    /// A profile name that overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Skip the environment-variable keys when [`ChainSettings::profile`] is set: the AWS CLI's
    /// rule for `--profile` (the user asked for that profile).
    pub explicit_profile_wins: bool,
    /// The IMDS settings a host set in code; they win over the environment and the profile.
    pub imds_overrides: ImdsConfigBuilder,
    /// The clock for retries and signing.
    pub clock: Arc<dyn Clock>,
    /// The offset between the local clock and the servers', fed by every source of the chain
    /// and read by its STS calls (and the doctor's). Share one per chain.
    pub server_clock: Arc<ServerClock>,
    /// The proxy and extra trust roots a host set in code (the JVM's); they win over the
    /// environment ([`crate::http`]).
    pub network: NetworkSettings,
}

/// Which sources to use: the whole chain or one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceSelection {
    /// The default chain.
    Chain,
    /// Only the Java system properties.
    SystemProperties,
    /// Only environment variables.
    Environment,
    /// Only web identity from the environment.
    WebIdentity,
    /// Only the profile files.
    Profile,
    /// Only the container endpoint.
    Container,
    /// Only IMDS.
    Imds,
}

impl SourceSelection {
    /// Every selection, in the order of the `source` option's values
    /// ([`SOURCE_VALUES`](crate::host::options::SOURCE_VALUES)).
    const ALL: [SourceSelection; 7] = [
        SourceSelection::Chain,
        SourceSelection::SystemProperties,
        SourceSelection::Environment,
        SourceSelection::WebIdentity,
        SourceSelection::Profile,
        SourceSelection::Container,
        SourceSelection::Imds,
    ];

    /// Parses the `source` option: one of its values or their other names, in any case.
    pub fn parse(value: &str) -> Result<SourceSelection> {
        use crate::host::options::{SOURCE, SOURCE_VALUES};
        let value = value.trim();
        let named = |name: &str| name.eq_ignore_ascii_case(value);
        SOURCE_VALUES
            .iter()
            .position(|(name, other_names)| named(name) || other_names.iter().any(|n| named(n)))
            .map(|at| SourceSelection::ALL[at])
            .ok_or_else(|| {
                let names: Vec<&str> = SOURCE_VALUES.iter().map(|(name, _)| *name).collect();
                Error::invalid_config(format!(
                    "freshcreds option `{}`={value:?} is not one of {}",
                    SOURCE.key,
                    names.join(", ")
                ))
            })
    }
}

impl ChainSettings {
    /// The settings of a host that only has `env` and `clock`: no system properties, no profile
    /// override, no IMDS or network settings in code, a new server clock. Set the other fields
    /// with struct update syntax.
    pub fn new(env: Env, clock: Arc<dyn Clock>) -> ChainSettings {
        ChainSettings {
            env,
            system_properties: None,
            profile: None,
            explicit_profile_wins: false,
            imds_overrides: ImdsConfigBuilder::default(),
            clock,
            server_clock: Arc::new(ServerClock::new()),
            network: NetworkSettings::default(),
        }
    }

    fn imds_config(&self, profiles: Option<&ProfileSet>) -> Result<ImdsConfig> {
        self.imds_overrides
            .clone()
            .env(&self.env)
            .profile(profiles.and_then(|p| p.selected_profile()))
            .build()
    }

    /// Trust and proxies for the selected profile: the environment, its `ca_bundle`, and the
    /// host's [`ChainSettings::network`].
    pub(crate) fn http_policy(&self, profiles: Option<&ProfileSet>) -> HttpPolicy {
        HttpPolicy::resolve(
            &self.env,
            profiles.and_then(|p| p.selected_profile()),
            &self.network,
        )
    }

    /// The STS settings of [`sts_settings`], with this chain's `ChainSettings::http_policy`.
    pub fn sts_settings(&self, profiles: Option<&ProfileSet>) -> Result<StsSettings> {
        let mut settings = sts_settings(&self.env, profiles)?;
        settings.http = self.http_policy(profiles);
        Ok(settings)
    }

    fn sts(&self, profiles: Option<&ProfileSet>) -> Result<Arc<StsClient>> {
        Ok(Arc::new(
            StsClient::with_clock(self.sts_settings(profiles)?, self.clock.clone())?
                .with_server_clock(self.server_clock.clone()),
        ))
    }
}

/// The STS settings for the selected profile: endpoint (`AWS_ENDPOINT_URL_STS`, the profile's
/// `services` section or `endpoint_url`, else regional, with FIPS / dual-stack variants from the
/// environment then the profile), region, and trust and proxies (`AWS_CA_BUNDLE`, the profile's
/// `ca_bundle`, the proxy variables; no host settings: see [`ChainSettings::sts_settings`]).
pub fn sts_settings(env: &Env, profiles: Option<&ProfileSet>) -> Result<StsSettings> {
    let selected = profiles.and_then(|p| p.selected_profile());
    let services_endpoint = selected
        .and_then(|p| p.get("services"))
        .and_then(|name| profiles.and_then(|set| set.section("services", name)))
        .and_then(|s| s.sub_properties("sts"))
        .and_then(|sub| sub.get("endpoint_url").cloned());
    let settings = StsProfileSettings {
        region: selected.and_then(|p| p.get("region")).map(str::to_string),
        endpoint_url: services_endpoint.or_else(|| {
            selected
                .and_then(|p| p.get("endpoint_url"))
                .map(str::to_string)
        }),
        origin: selected.map(|p| format!("profile {}", p.name())),
        region_origin: selected.map(|p| setting_origin(p, Section::Profile, "region")),
    };
    let variants = EndpointVariants::resolve(
        env,
        selected.and_then(|p| p.get("use_fips_endpoint")),
        selected.and_then(|p| p.get("use_dualstack_endpoint")),
    )?;
    let mut sts = StsSettings::resolve_with_variants(env, &settings, variants)?;
    sts.http = HttpPolicy::resolve(env, selected, &NetworkSettings::default());
    Ok(sts)
}

/// A source that is always "not configured", with a reason (a link whose settings are absent).
#[derive(Debug)]
struct Unconfigured {
    name: &'static str,
    reason: String,
    kind: ErrorKind,
}

impl CredentialSource for Unconfigured {
    fn name(&self) -> &str {
        self.name
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move { Err(Error::new(self.kind, self.reason.clone())) })
    }

    fn probe(&self) -> BoxFuture<'_, Probe> {
        probe_by_fetching(self)
    }
}

/// Static keys planned from a profile.
#[derive(Debug)]
struct ProfileKeys {
    name: String,
    credentials: Credentials,
}

impl CredentialSource for ProfileKeys {
    fn name(&self) -> &str {
        &self.name
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move { Ok(Fetched::local(self.credentials.clone())) })
    }

    fn probe(&self) -> BoxFuture<'_, Probe> {
        probe_by_fetching(self)
    }

    fn long_term_recheck(&self) -> Option<std::time::Duration> {
        // Login tools (saml2aws, gimme-aws-creds) rewrite the credentials file in place.
        Some(PROFILE_KEYS_RECHECK_INTERVAL)
    }
}

/// How often the refresh engine asks again for static keys read from a profile, so that keys
/// rewritten in the file are picked up (the file itself is read only when it changed).
pub const PROFILE_KEYS_RECHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

fn unconfigured(name: &'static str, e: Error) -> Arc<dyn CredentialSource> {
    let kind = if e.is_not_loaded() {
        ErrorKind::NotConfigured
    } else {
        e.kind()
    };
    Arc::new(Unconfigured {
        name,
        reason: e.full_message(),
        kind,
    })
}

/// Whether a `credential_process` command line runs `freshcreds credential-process`: resolving
/// such a profile from freshcreds would start freshcreds again, for the same chain (users point
/// the AWS CLI at freshcreds that way, and every host reads the same files).
pub(crate) fn runs_own_credential_process(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or_default().trim_matches(['"', '\'']);
    let stem = std::path::Path::new(program)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem == "freshcreds" && words.any(|w| w == "credential-process")
}

/// The profile link, re-read when the profile files change (see [`ReloadingProfileSource`]);
/// the problem when the profile is configured but unusable; and whether its credentials are
/// static (plain keys, no role to assume).
async fn profile_link(
    settings: &ChainSettings,
    profiles: &Result<ProfileSet>,
    load_warnings: Vec<String>,
) -> (Arc<dyn CredentialSource>, Option<Error>, bool) {
    let (initial, problem, is_static) = profile_source(settings, profiles);
    let rebuild_with = settings.clone();
    let link = ReloadingProfileSource::new(
        settings.env.clone(),
        settings.profile.clone(),
        settings.clock.clone(),
        initial,
        Box::new(move |loaded| profile_source(&rebuild_with, loaded).0),
    )
    .await
    .with_pending_warnings(load_warnings);
    (Arc::new(link), problem, is_static)
}

/// The selected profile's plan turned into sources; the problem when the profile is configured
/// but unusable; and whether its credentials are static (plain keys, no role to assume).
fn profile_source(
    settings: &ChainSettings,
    profiles: &Result<ProfileSet>,
) -> (Arc<dyn CredentialSource>, Option<Error>, bool) {
    const NAME: &str = "Profile";
    let problem = |e: &Error| (!e.is_not_loaded()).then(|| e.snapshot());
    let set = match profiles {
        Ok(set) => set,
        Err(e) => return (unconfigured(NAME, e.snapshot()), problem(e), false),
    };
    let plan = match ProfileRoleChain::plan(set) {
        Ok(p) => p,
        Err(e) => return (unconfigured(NAME, e.snapshot()), problem(&e), false),
    };
    let is_static = matches!(plan.base, BaseStep::AccessKey { .. }) && plan.roles.is_empty();
    match build_plan(settings, set, plan) {
        Ok(s) => (s, None, is_static),
        Err(e) => (unconfigured(NAME, e.snapshot()), problem(&e), false),
    }
}

fn build_plan(
    settings: &ChainSettings,
    set: &ProfileSet,
    plan: ProfileRoleChain,
) -> Result<Arc<dyn CredentialSource>> {
    let sts = || settings.sts(Some(set));
    let mut source: Arc<dyn CredentialSource> = match plan.base {
        BaseStep::AccessKey { credentials, profile, account_id } => {
            let name = format!("Profile({profile})");
            let credentials = credentials.with_source(name.clone()).with_account_id(account_id);
            Arc::new(ProfileKeys { credentials, name })
        }
        BaseStep::NamedSource { source, profile } => match source {
            NamedSource::Environment => Arc::new(StaticVariablesSource::environment(settings.env.clone())),
            NamedSource::Ec2InstanceMetadata => Arc::new(ImdsCredentialsSource::with_server_clock(settings.imds_config(Some(set))?, settings.clock.clone(), settings.server_clock.clone())?),
            NamedSource::EcsContainer => Arc::new(
                ContainerCredentialsSource::new(settings.env.clone())
                    .map_err(|e| Error::new(e.kind(), format!("profile {profile}: credential_source = EcsContainer: {}", e.full_message())))?
                    .with_http_policy(&settings.http_policy(Some(set)))
                    .with_clock(settings.clock.clone())
                    .with_server_clock(settings.server_clock.clone()),
            ),
        },
        BaseStep::WebIdentityToken { role_arn, web_identity_token_file, role_session_name, profile } => Arc::new(
            WebIdentitySource::new(expand_path(&web_identity_token_file, &settings.env), RoleRequest::new(role_arn).with_session_name(role_session_name), sts()?)
                .with_origin(format!("web_identity_token_file of profile {profile}"))
                .with_name(format!("Profile({profile})/WebIdentityToken")),
        ),
        BaseStep::Login { login_session, profile } => {
            let mut login = super::login::LoginSettings::resolve(&settings.env, set, &profile, &login_session)?;
            login.http = settings.http_policy(Some(set));
            Arc::new(super::login::LoginSource::new(login, settings.clock.clone())?)
        }
        BaseStep::CredentialProcess { command, profile } if plan.roles.is_empty() && runs_own_credential_process(command.as_str()) => {
            return Err(Error::not_configured(format!(
                "the credential_process of profile {profile} is `freshcreds credential-process` itself: skipped, the sources below supply what it would"
            )))
        }
        BaseStep::CredentialProcess { command, profile } => Arc::new(
            CredentialProcessSource::new(command.as_str(), format!("credential_process of profile {profile}"))
                .with_name(format!("Profile({profile})/CredentialProcess")),
        ),
        BaseStep::Sso { .. } => sso_source(settings, set, &plan.base)?,
    };
    for step in plan.roles {
        let request = RoleRequest::new(step.role_arn)
            .with_session_name(step.role_session_name)
            .with_external_id(step.external_id)
            .with_duration(step.duration_seconds.map(|s| Duration::from_secs(s.into())));
        let role = AssumeRoleSource::new(source, request, sts()?)
            .with_name(format!("Profile({})/AssumeRole", step.profile));
        source = Arc::new(role);
    }
    Ok(source)
}

/// The IAM Identity Center source of a planned SSO step (see [`super::sso`]).
fn sso_source(
    settings: &ChainSettings,
    set: &ProfileSet,
    step: &BaseStep,
) -> Result<Arc<dyn CredentialSource>> {
    let mut sso = SsoSettings::from_step(&settings.env, set, step)?
        .ok_or_else(|| Error::new(ErrorKind::Internal, "an SSO step without SSO settings"))?;
    sso.http = settings.http_policy(Some(set));
    Ok(Arc::new(SsoSource::new(
        sso,
        settings.clock.clone(),
        settings.server_clock.clone(),
    )?))
}

fn expand_path(path: &str, env: &Env) -> String {
    use crate::sources::profile::location::{expand_home, home_dir};
    let platform = if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Unix
    };
    expand_home(path, home_dir(env, platform).as_deref(), platform, true)
}

fn web_identity_from_env(
    settings: &ChainSettings,
    profiles: Option<&ProfileSet>,
) -> Arc<dyn CredentialSource> {
    const NAME: &str = "WebIdentityToken";
    if settings
        .env
        .get_non_blank(ENV_WEB_IDENTITY_TOKEN_FILE)
        .is_none()
    {
        return unconfigured(
            NAME,
            Error::not_configured(format!(
                "environment variable {ENV_WEB_IDENTITY_TOKEN_FILE} is not set"
            )),
        );
    }
    match settings
        .sts(profiles)
        .and_then(|sts| WebIdentitySource::from_env(&settings.env, sts))
    {
        Ok(s) => Arc::new(s),
        Err(e) => unconfigured(NAME, e),
    }
}

fn container(settings: &ChainSettings, profiles: Option<&ProfileSet>) -> Arc<dyn CredentialSource> {
    const NAME: &str = "Container";
    if !ContainerCredentialsSource::is_configured(&settings.env) {
        return unconfigured(
            NAME,
            Error::not_configured("neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set"),
        );
    }
    match ContainerCredentialsSource::new(settings.env.clone()) {
        Ok(s) => Arc::new(
            s.with_http_policy(&settings.http_policy(profiles))
                .with_clock(settings.clock.clone())
                .with_server_clock(settings.server_clock.clone()),
        ),
        Err(e) => unconfigured(NAME, e),
    }
}

fn imds(settings: &ChainSettings, profiles: Option<&ProfileSet>) -> Arc<dyn CredentialSource> {
    match settings.imds_config(profiles).and_then(|c| {
        ImdsCredentialsSource::with_server_clock(
            c,
            settings.clock.clone(),
            settings.server_clock.clone(),
        )
    }) {
        Ok(s) => Arc::new(s),
        Err(e) => unconfigured("Ec2InstanceMetadata", e),
    }
}

/// The default chain and what it was built from.
#[derive(Debug)]
pub struct BuiltChain {
    /// The chain, ready to resolve.
    pub chain: Arc<ChainSource>,
    /// The profile files and selected profile, when they could be read.
    pub profiles: Option<ProfileSet>,
    /// Why the selected profile could not be used, when it is configured but broken.
    pub profile_problem: Option<Error>,
}

/// Builds the selected source (by default the whole chain). Reads the profile files once.
pub async fn build(
    settings: &ChainSettings,
    selection: SourceSelection,
) -> Result<Arc<dyn CredentialSource>> {
    if selection == SourceSelection::Chain {
        return Ok(build_chain(settings).await.chain);
    }
    let (profiles, load_warnings) =
        notice::collect(ProfileSet::load(&settings.env, settings.profile.as_deref())).await;
    let loaded = profiles.as_ref().ok();
    Ok(match selection {
        SourceSelection::SystemProperties => Arc::new(StaticVariablesSource::system_properties(
            settings
                .system_properties
                .clone()
                .unwrap_or_else(|| Env::from_map::<String, String>([])),
        )),
        SourceSelection::Environment => {
            Arc::new(StaticVariablesSource::environment(settings.env.clone()))
        }
        SourceSelection::WebIdentity => web_identity_from_env(settings, loaded),
        SourceSelection::Profile => profile_link(settings, &profiles, load_warnings).await.0,
        SourceSelection::Container => container(settings, loaded),
        SourceSelection::Imds => imds(settings, loaded),
        SourceSelection::Chain => unreachable!("handled above"),
    })
}

/// Builds the default chain, in AWS SDK for Java v2 order.
pub async fn build_chain(settings: &ChainSettings) -> BuiltChain {
    // Warnings about the files go to whichever link wins (see `notice`): the profile link raises
    // them again when it is first asked.
    let (profiles, load_warnings) =
        notice::collect(ProfileSet::load(&settings.env, settings.profile.as_deref())).await;
    let loaded = profiles.as_ref().ok();
    let mut links = Vec::new();
    if let Some(props) = &settings.system_properties {
        links.push(ChainLink {
            source: Arc::new(StaticVariablesSource::system_properties(props.clone())),
            is_static: true,
        });
    }
    if !(settings.explicit_profile_wins && settings.profile.is_some()) {
        links.push(ChainLink {
            source: Arc::new(StaticVariablesSource::environment(settings.env.clone())),
            is_static: true,
        });
    }
    links.push(ChainLink {
        source: web_identity_from_env(settings, loaded),
        is_static: false,
    });
    let (profile, profile_problem, profile_is_static) =
        profile_link(settings, &profiles, load_warnings).await;
    links.push(ChainLink {
        source: profile,
        is_static: profile_is_static,
    });
    links.push(ChainLink {
        source: container(settings, loaded),
        is_static: false,
    });
    links.push(ChainLink {
        source: imds(settings, loaded),
        is_static: false,
    });
    BuiltChain {
        chain: Arc::new(ChainSource::new(links)),
        profiles: profiles.ok(),
        profile_problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;

    #[test]
    fn a_credential_process_running_freshcreds_itself_is_recognised() {
        assert!(runs_own_credential_process("freshcreds credential-process"));
        assert!(runs_own_credential_process(
            "\"/opt/bin/freshcreds\" --profile x credential-process"
        ));
        assert!(!runs_own_credential_process("freshcreds export"));
        assert!(!runs_own_credential_process("aws-vault exec dev --json"));
    }

    #[test]
    fn source_names_parse_case_insensitively_and_bad_ones_name_the_option() {
        for (value, selection) in [
            ("IMDS", SourceSelection::Imds),
            ("webIdentity", SourceSelection::WebIdentity),
            (" Ec2InstanceMetadata ", SourceSelection::Imds),
            ("ENV", SourceSelection::Environment),
            ("Default", SourceSelection::Chain),
        ] {
            assert_eq!(SourceSelection::parse(value).unwrap(), selection, "{value}");
        }
        let e = SourceSelection::parse("sso").unwrap_err();
        assert_mentions(
            e.message(),
            &[
                "`source`=\"sso\"",
                "chain, systemProperties",
                "container, imds",
            ],
        );
        for (at, (name, _)) in crate::host::options::SOURCE_VALUES.iter().enumerate() {
            let selection = SourceSelection::ALL[at];
            assert!(
                format!("{selection:?}").eq_ignore_ascii_case(name),
                "ALL[{at}] is {selection:?}, SOURCE_VALUES[{at}] is {name}"
            );
            assert_eq!(SourceSelection::parse(name).unwrap(), selection);
        }
    }
}
