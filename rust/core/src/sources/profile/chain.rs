//! Assume-role chain planning: from a [`ProfileSet`], the ordered steps that produce the selected
//! profile's credentials. Nothing is fetched here; the plan says what to fetch, in which order.
//!
//! A plan is one [`BaseStep`] (credentials obtained without other credentials: static keys, a
//! named source, a web identity token, a process, SSO) followed by zero or more
//! [`AssumeRoleStep`]s, each assuming its role with the credentials of the step before.
//!
//! The rules are those of the AWS SDKs (and their shared `assume-role-tests.json` vectors):
//!
//! - a profile with `role_arn` (and no `web_identity_token_file`) is an assume-role step; its
//!   credentials come from `source_profile` (followed to any depth) or from `credential_source`
//!   (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`); both or neither is an error;
//! - after the first profile, a source profile with static keys ends the chain there, even if it
//!   has a `role_arn` of its own;
//! - a profile naming itself as `source_profile` uses its own static keys as the base (this is not
//!   a cycle); any other revisit of a profile is a cycle, reported with the profiles in it;
//! - a profile without `role_arn` is a base: `credential_source`, then `web_identity_token_file`
//!   (needs `role_arn`), then SSO settings, then `login_session`, then `credential_process`, then
//!   static keys;
//! - a role profile with `mfa_serial` is an error: a background refresh cannot ask for a token
//!   code ([`MFA_REFUSED`](crate::host::MFA_REFUSED)).

use std::fmt;

use crate::credentials::{Credentials, Secret, REDACTED};
use crate::error::{Error, ErrorKind, Result};

use super::parser::{Profile, ProfileSet, DEFAULT_PROFILE};

/// A source named by `credential_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedSource {
    /// `Environment`: the `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` variables.
    Environment,
    /// `Ec2InstanceMetadata`: the EC2 instance metadata service.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the container credentials endpoint.
    EcsContainer,
}

impl NamedSource {
    /// The name as written in profile files.
    pub fn as_str(self) -> &'static str {
        match self {
            NamedSource::Environment => "Environment",
            NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            NamedSource::EcsContainer => "EcsContainer",
        }
    }

    /// Parses the exact (case-sensitive) names the SDKs accept.
    pub fn parse(name: &str) -> Option<NamedSource> {
        match name {
            "Environment" => Some(NamedSource::Environment),
            "Ec2InstanceMetadata" => Some(NamedSource::Ec2InstanceMetadata),
            "EcsContainer" => Some(NamedSource::EcsContainer),
            _ => None,
        }
    }
}

/// A `credential_process` command line. `Debug` shows the program but not its arguments, which
/// may carry secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessCommand(String);

impl ProcessCommand {
    /// The full command line, as written in the profile.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProcessCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.0.trim();
        match line.split_once([' ', '\t']) {
            Some((program, _)) => write!(f, "{:?}", format!("{program} {REDACTED}")),
            None => write!(f, "{line:?}"),
        }
    }
}

/// The first step: credentials that need no other credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseStep {
    /// Static keys (`aws_access_key_id`, `aws_secret_access_key`, optional `aws_session_token`).
    AccessKey {
        /// The keys, attributed to source `Profile(<name>)`.
        credentials: Credentials,
        /// `aws_account_id`, if set.
        account_id: Option<String>,
        /// The profile that holds them.
        profile: String,
    },
    /// `credential_source`: a source outside the profile files.
    NamedSource {
        /// Which source.
        source: NamedSource,
        /// The profile that names it.
        profile: String,
    },
    /// `web_identity_token_file` with `role_arn`: AssumeRoleWithWebIdentity.
    WebIdentityToken {
        /// The role to assume.
        role_arn: String,
        /// The file holding the OIDC token.
        web_identity_token_file: String,
        /// `role_session_name`, if set.
        role_session_name: Option<String>,
        /// The profile that configures it.
        profile: String,
    },
    /// `credential_process`: run a command that prints credentials.
    CredentialProcess {
        /// The command line.
        command: ProcessCommand,
        /// The profile that configures it.
        profile: String,
    },
    /// IAM Identity Center (SSO), with or without an `[sso-session]` (planned only).
    Sso {
        /// `sso_session`, when the settings come from an `[sso-session]` section.
        sso_session: Option<String>,
        /// `sso_region`.
        sso_region: String,
        /// `sso_start_url`.
        sso_start_url: String,
        /// `sso_account_id` (absent for token-only configurations).
        sso_account_id: Option<String>,
        /// `sso_role_name` (absent for token-only configurations).
        sso_role_name: Option<String>,
        /// The profile that configures it.
        profile: String,
    },
    /// `login_session`: an `aws login` (AWS Sign-In) session, read from its token cache.
    Login {
        /// The `login_session` value (the session's ARN).
        login_session: String,
        /// The profile that has it.
        profile: String,
    },
}

/// One AssumeRole call, made with the credentials of the step before. `Debug` hides the
/// external id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AssumeRoleStep {
    /// `role_arn`.
    pub role_arn: String,
    /// `external_id`, if set.
    pub external_id: Option<Secret>,
    /// `role_session_name`, if set.
    pub role_session_name: Option<String>,
    /// `duration_seconds`, if set.
    pub duration_seconds: Option<u32>,
    /// The profile this role comes from.
    pub profile: String,
}

/// The role chain of the selected profile: a base, then roles to assume in order (AWS's "role
/// chaining"; a profile without a role is a chain of its base alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRoleChain {
    /// Where the first credentials come from.
    pub base: BaseStep,
    /// Roles to assume in order, the last one giving the selected profile's credentials.
    pub roles: Vec<AssumeRoleStep>,
}

impl ProfileRoleChain {
    /// Plans how to get `set`'s selected profile's credentials.
    ///
    /// Errors are [`ErrorKind::NotConfigured`] when there is nothing to use (no profiles, no
    /// `default` profile when `default` is selected, a selected profile with no credential
    /// settings at all), so a default chain moves on to the next source; every other problem is
    /// [`ErrorKind::InvalidConfig`] and names the profile.
    pub fn plan(set: &ProfileSet) -> Result<ProfileRoleChain> {
        let looked_in = match set.files() {
            [] => String::new(),
            files => format!(" (looked in {})", files.join(", ")),
        };
        if set.is_empty() {
            return Err(Error::not_configured(format!(
                "No profiles were defined in the AWS config or credentials file{looked_in}"
            )));
        }
        let selected = set.selected();
        if selected == DEFAULT_PROFILE && set.profile(DEFAULT_PROFILE).is_none() {
            return Err(Error::not_configured(format!(
                "the `default` profile is not defined in the AWS config or credentials file{looked_in}"
            )));
        }

        let mut visited: Vec<&str> = Vec::new();
        let mut roles = Vec::new();
        let mut name = selected;
        let base = loop {
            let profile = set.profile(name).ok_or_else(|| {
                match visited.last() {
                    Some(from) => Error::invalid_config(format!(
                        "could not find source profile {name} referenced from {from} \
                         (`source_profile = {name}` in profile `{from}`)"
                    )),
                    None => Error::invalid_config(format!(
                        "the selected profile `{name}` is not defined in the AWS config or credentials file{looked_in}"
                    )),
                }
            })?;
            if visited.contains(&name) {
                let start = visited.iter().position(|p| *p == name).unwrap_or(0);
                let cycle = visited[start..]
                    .iter()
                    .chain(std::iter::once(&name))
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(" -> ");
                return Err(Error::invalid_config(format!(
                    "profile formed an infinite loop through source_profile: {cycle}"
                )));
            }
            visited.push(name);
            let is_root = visited.len() == 1;

            // Past the selected profile, complete static keys end the chain (a partial set is
            // reported below only if nothing else in this profile gives credentials).
            if !is_root {
                if let Ok(Some(keys)) = static_keys(profile) {
                    break keys;
                }
            }

            match role_step(profile)? {
                None => {
                    break base_step(set, profile).map_err(|e| {
                        if is_root {
                            e
                        } else {
                            Error::invalid_config(format!(
                                "could not load source profile `{}`: {}",
                                profile.name(),
                                e.message()
                            ))
                        }
                    })?;
                }
                Some((step, next)) => {
                    roles.push(step);
                    match next {
                        Next::Base => break base_step(set, profile)?,
                        Next::Profile(next) => name = next,
                    }
                }
            }
        };
        roles.reverse();
        Ok(ProfileRoleChain { base, roles })
    }
}

/// Where a role step's source credentials come from.
enum Next<'a> {
    /// From this same profile's base settings (`credential_source`, or `source_profile` naming
    /// itself).
    Base,
    /// From another profile.
    Profile(&'a str),
}

fn invalid(profile: &Profile, message: impl fmt::Display) -> Error {
    Error::invalid_config(format!("invalid profile `{}`: {message}", profile.name()))
}

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// The assume-role step of a profile with `role_arn` (and no web identity token), and where its
/// source credentials come from.
fn role_step(profile: &Profile) -> Result<Option<(AssumeRoleStep, Next<'_>)>> {
    if profile.get("web_identity_token_file").is_some() {
        return Ok(None);
    }
    let Some(role_arn) = profile.get("role_arn") else {
        return Ok(None);
    };
    if profile.get("mfa_serial").is_some() {
        let at = match profile.location("mfa_serial") {
            Some((file, line)) if line > 0 => format!(" ({file}, line {line})"),
            _ => String::new(),
        };
        return Err(invalid(
            profile,
            format_args!(
                "it sets `mfa_serial`{at}, which freshcreds cannot use: {}",
                crate::host::MFA_REFUSED
            ),
        ));
    }
    let next = match (profile.get("source_profile"), profile.get("credential_source")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                profile,
                "profile contained both source_profile and credential_source; only one may be set",
            ))
        }
        (None, None) => {
            return Err(invalid(
                profile,
                "profile must contain `source_profile` or `credential_source` with `role_arn`, but neither is set",
            ))
        }
        (Some(source), None) if source == profile.name() => Next::Base,
        (Some(source), None) => Next::Profile(source),
        (None, Some(_)) => Next::Base,
    };
    let duration_seconds = match profile.get("duration_seconds") {
        None => None,
        Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
            invalid(
                profile,
                format_args!("duration_seconds = {v:?} is not a whole number of seconds"),
            )
        })?),
    };
    Ok(Some((
        AssumeRoleStep {
            role_arn: role_arn.to_string(),
            external_id: owned(profile.get("external_id")).map(Secret::from),
            role_session_name: owned(profile.get("role_session_name")),
            duration_seconds,
            profile: profile.name().to_string(),
        },
        next,
    )))
}

/// The base settings of a profile, in the SDKs' order of precedence.
fn base_step(set: &ProfileSet, profile: &Profile) -> Result<BaseStep> {
    let name = profile.name().to_string();
    if let Some(source) = profile.get("credential_source") {
        let source = NamedSource::parse(source).ok_or_else(|| {
            invalid(
                profile,
                format_args!(
                    "credential_source = {source:?} is not one of Environment, Ec2InstanceMetadata, EcsContainer"
                ),
            )
        })?;
        return Ok(BaseStep::NamedSource {
            source,
            profile: name,
        });
    }
    match (
        profile.get("role_arn"),
        profile.get("web_identity_token_file"),
    ) {
        (Some(role_arn), Some(file)) => {
            return Ok(BaseStep::WebIdentityToken {
                role_arn: role_arn.to_string(),
                web_identity_token_file: file.to_string(),
                role_session_name: owned(profile.get("role_session_name")),
                profile: name,
            })
        }
        (None, Some(_)) => {
            return Err(invalid(
                profile,
                "`web_identity_token_file` was specified but `role_arn` was missing",
            ))
        }
        _ => {}
    }
    if let Some(sso) = sso_step(set, profile)? {
        return Ok(sso);
    }
    if let Some(session) = profile.get(crate::sources::login::LOGIN_SESSION_KEY) {
        if session.trim().is_empty() {
            return Err(invalid(profile, "`login_session` is empty"));
        }
        return Ok(BaseStep::Login {
            login_session: session.trim().to_string(),
            profile: name,
        });
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(BaseStep::CredentialProcess {
            command: ProcessCommand(command.to_string()),
            profile: name,
        });
    }
    match static_keys(profile)? {
        Some(keys) => Ok(keys),
        None => Err(Error::new(
            ErrorKind::NotConfigured,
            format!(
                "profile `{name}` did not contain credential information (no aws_access_key_id, \
                 credential_source, role_arn, web_identity_token_file, sso_*, login_session or credential_process)"
            ),
        )),
    }
}

/// Static keys, if the profile has any key setting; a partial set is an error.
fn static_keys(profile: &Profile) -> Result<Option<BaseStep>> {
    let akid = profile.get("aws_access_key_id");
    let secret = profile.get("aws_secret_access_key");
    let token = profile.get("aws_session_token");
    match (akid, secret) {
        (None, None) if token.is_none() => Ok(None),
        (None, _) => Err(invalid(profile, "profile missing aws_access_key_id")),
        (Some(_), None) => Err(invalid(profile, "profile missing aws_secret_access_key")),
        (Some(akid), Some(secret)) => Ok(Some(BaseStep::AccessKey {
            credentials: Credentials::new(
                akid,
                secret,
                owned(token),
                None,
                format!("Profile({})", profile.name()),
            ),
            account_id: owned(profile.get("aws_account_id")),
            profile: profile.name().to_string(),
        })),
    }
}

/// SSO settings, directly in the profile or through `sso_session`, if any are present.
fn sso_step(set: &ProfileSet, profile: &Profile) -> Result<Option<BaseStep>> {
    let account_id = profile.get("sso_account_id");
    let role_name = profile.get("sso_role_name");
    let session = profile.get("sso_session");
    let mut region = profile.get("sso_region");
    let mut start_url = profile.get("sso_start_url");
    if [account_id, role_name, session, region, start_url]
        .iter()
        .all(Option::is_none)
    {
        return Ok(None);
    }
    if let Some(session_name) = session {
        for (key, value) in [("sso_start_url", start_url), ("sso_region", region)] {
            if value.is_some() {
                return Err(invalid(
                    profile,
                    format_args!(
                        "`{key}` can only be specified in the [sso-session] config when a session name is given"
                    ),
                ));
            }
        }
        let section = set.sso_session(session_name).ok_or_else(|| {
            Error::invalid_config(format!(
                "sso-session named `{session_name}` (referenced by profile `{}`) was not found",
                profile.name()
            ))
        })?;
        region = section.get("sso_region");
        start_url = section.get("sso_start_url");
    }
    match (account_id, role_name) {
        (Some(_), None) => {
            return Err(invalid(
                profile,
                "if `sso_account_id` is set, then `sso_role_name` must also be set",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                profile,
                "if `sso_role_name` is set, then `sso_account_id` must also be set",
            ))
        }
        _ => {}
    }
    let where_ = |key: &str| match session {
        Some(s) => format!("`{key}` is missing from [sso-session {s}]"),
        None => format!("`{key}` is missing"),
    };
    let region = region.ok_or_else(|| invalid(profile, where_("sso_region")))?;
    let start_url = start_url.ok_or_else(|| invalid(profile, where_("sso_start_url")))?;
    Ok(Some(BaseStep::Sso {
        sso_session: owned(session),
        sso_region: region.to_string(),
        sso_start_url: start_url.to_string(),
        sso_account_id: owned(account_id),
        sso_role_name: owned(role_name),
        profile: profile.name().to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

    fn set(profiles: &[(&str, &[(&str, &str)])], selected: &str) -> ProfileSet {
        ProfileSet::from_properties(
            profiles
                .iter()
                .map(|(n, p)| (n.to_string(), p.iter().copied())),
            Vec::<(String, Vec<(&str, &str)>)>::new(),
            selected,
        )
    }

    /// Asserts that planning `s` is refused as invalid configuration with a message mentioning
    /// every one of `parts`; returns the error.
    #[track_caller]
    fn refused_plan(s: &ProfileSet, parts: &[&str]) -> Error {
        let err = ProfileRoleChain::plan(s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_mentions(err.message(), parts);
        err
    }

    #[test]
    fn a_three_profile_cycle_names_every_profile_in_it() {
        let s = set(
            &[
                ("root", &[("role_arn", "r0"), ("source_profile", "a")]),
                ("a", &[("role_arn", "r1"), ("source_profile", "b")]),
                ("b", &[("role_arn", "r2"), ("source_profile", "c")]),
                ("c", &[("role_arn", "r3"), ("source_profile", "a")]),
            ],
            "root",
        );
        let err = refused_plan(&s, &["`a` -> `b` -> `c` -> `a`"]);
        assert_omits(err.message(), &["`root` ->"]);
    }

    #[test]
    fn duration_external_id_and_session_name_are_carried_to_the_role_step() {
        let s = set(
            &[(
                "a",
                &[
                    ("role_arn", "arn:r"),
                    ("credential_source", "EcsContainer"),
                    ("duration_seconds", "1800"),
                    ("external_id", "x"),
                    ("role_session_name", "s"),
                ],
            )],
            "a",
        );
        let plan = ProfileRoleChain::plan(&s).unwrap();
        assert_eq!(
            plan.base,
            BaseStep::NamedSource {
                source: NamedSource::EcsContainer,
                profile: "a".into()
            }
        );
        assert_eq!(plan.roles.len(), 1);
        assert_eq!(plan.roles[0].duration_seconds, Some(1800));
        assert_eq!(
            plan.roles[0].external_id.as_ref().map(Secret::expose),
            Some("x")
        );
        let shown = format!("{plan:?}");
        assert!(
            shown.contains("arn:r") && shown.contains(REDACTED),
            "{shown}"
        );
        assert_omits(&shown, &["x"]);
        assert_eq!(plan.roles[0].role_session_name.as_deref(), Some("s"));
    }

    #[test]
    fn a_bad_duration_or_unknown_credential_source_names_the_profile() {
        let s = set(
            &[(
                "dev",
                &[
                    ("role_arn", "arn:r"),
                    ("credential_source", "Environment"),
                    ("duration_seconds", "1h"),
                ],
            )],
            "dev",
        );
        let err = ProfileRoleChain::plan(&s).unwrap_err();
        assert_mentions(err.message(), &["`dev`", "duration_seconds"]);
        let s = set(
            &[(
                "dev",
                &[("role_arn", "arn:r"), ("credential_source", "Imds")],
            )],
            "dev",
        );
        refused_plan(&s, &["`dev`", "\"Imds\""]);
    }

    #[test]
    fn credential_process_debug_hides_arguments() {
        let s = set(
            &[("p", &[("credential_process", "/bin/creds --token hunter2")])],
            "p",
        );
        let plan = ProfileRoleChain::plan(&s).unwrap();
        let text = format!("{plan:?}");
        assert!(text.contains("/bin/creds"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        match plan.base {
            BaseStep::CredentialProcess { command, .. } => {
                assert_eq!(command.as_str(), "/bin/creds --token hunter2")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_default_profile_is_not_configured_but_missing_named_profile_is_invalid() {
        let s = set(&[("other", &[("region", "x")])], "default");
        assert_eq!(
            ProfileRoleChain::plan(&s).unwrap_err().kind(),
            ErrorKind::NotConfigured
        );
        let s = set(&[("other", &[("region", "x")])], "prod");
        refused_plan(&s, &["prod"]);
    }

    #[test]
    fn login_session_comes_after_sso_and_before_credential_process_and_must_not_be_empty() {
        let s = set(
            &[(
                "p",
                &[
                    ("login_session", " arn:aws:iam::0123456789012:user/Admin "),
                    ("credential_process", "/bin/creds"),
                ],
            )],
            "p",
        );
        assert_eq!(
            ProfileRoleChain::plan(&s).unwrap().base,
            BaseStep::Login {
                login_session: "arn:aws:iam::0123456789012:user/Admin".into(),
                profile: "p".into()
            }
        );
        let s = set(&[("p", &[("login_session", " ")])], "p");
        refused_plan(&s, &["`p`", "login_session"]);
    }

    #[test]
    fn mfa_serial_on_a_role_profile_is_refused_with_the_reason() {
        let s = set(
            &[
                (
                    "admin",
                    &[
                        ("role_arn", "arn:r"),
                        ("source_profile", "base"),
                        ("mfa_serial", "arn:aws:iam::1:mfa/u"),
                    ],
                ),
                (
                    "base",
                    &[("aws_access_key_id", "A"), ("aws_secret_access_key", "S")],
                ),
            ],
            "admin",
        );
        refused_plan(&s, &["`admin`", crate::host::MFA_REFUSED]);
    }

    #[test]
    fn plan_debug_output_redacts_static_secrets() {
        let s = set(
            &[(
                "p",
                &[
                    ("aws_access_key_id", "AKID"),
                    ("aws_secret_access_key", "very-secret"),
                    ("aws_session_token", "tok-secret"),
                ],
            )],
            "p",
        );
        let text = format!("{:?}", ProfileRoleChain::plan(&s).unwrap());
        assert!(text.contains("AKID"));
        assert!(
            !text.contains("very-secret") && !text.contains("tok-secret"),
            "{text}"
        );
    }
}
