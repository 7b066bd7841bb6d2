//! The AWS shared config and credentials file format: text in, merged profiles out.
//!
//! Parsing happens in two passes, like the AWS SDKs:
//!
//! 1. a line-level pass that only understands syntax (section headers, `key = value` lines,
//!    indented continuation and sub-property lines, comments) and fails on malformed lines with the
//!    file, the line number and what was expected;
//! 2. a normalising pass that interprets section headers (`[profile name]` in the config file,
//!    `[name]` in the credentials file, `[sso-session name]`), drops invalid names and keys with a
//!    warning, applies the `[profile default]`-over-`[default]` rule and merges everything, the
//!    credentials file winning over the config file key by key.
//!
//! Property keys are case-insensitive (stored lower-case); profile names are case-sensitive.

use crate::sources::notice;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::credentials::REDACTED;
use crate::env::Env;
use crate::error::{Error, ErrorKind, Result};

use super::location::{FileLocations, Platform};

/// The name of the profile used when none is selected.
pub(crate) const DEFAULT_PROFILE: &str = "default";

/// Keys whose values are secrets (or, like `external_id`, must not leak): never shown by `Debug`.
const SECRET_KEYS: &[&str] = &["aws_secret_access_key", "aws_session_token", "external_id"];

/// Whitespace as the profile format defines it (only space and tab).
const WS: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];
const PROFILE_PREFIX: &str = "profile";
const SSO_SESSION_PREFIX: &str = "sso-session";

/// The kinds of named section of the config file, as messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// `[profile name]` (or `[default]`).
    Profile,
    /// `[sso-session name]`.
    SsoSession,
}

impl Section {
    /// The word before the name in the section's header.
    pub(crate) const fn word(self) -> &'static str {
        match self {
            Section::Profile => PROFILE_PREFIX,
            Section::SsoSession => SSO_SESSION_PREFIX,
        }
    }
}

/// Which of the two shared files a text came from: they name sections differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The config file (`~/.aws/config`): `[profile name]`, `[default]`, `[sso-session name]`, ….
    Config,
    /// The credentials file (`~/.aws/credentials`): `[name]` only.
    Credentials,
}

impl FileKind {
    fn describe(self) -> &'static str {
        match self {
            FileKind::Config => "config file",
            FileKind::Credentials => "credentials file",
        }
    }
}

/// One property value and where it was defined.
#[derive(Clone, PartialEq, Eq)]
struct Property {
    value: String,
    file: Arc<str>,
    line: usize,
}

/// A named section of properties: a profile, an `[sso-session]`, or another prefixed section of
/// the config file (e.g. `[services name]`).
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    properties: BTreeMap<String, Property>,
}

impl Profile {
    fn new(name: impl Into<String>) -> Self {
        Profile {
            name: name.into(),
            properties: BTreeMap::new(),
        }
    }

    /// The profile's name (without the `profile ` prefix).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key` (case-insensitive), if set. An empty value (`key =`) is `Some("")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(|p| p.value.as_str())
    }

    /// Where `key` was defined: the file path (as given when parsing) and the 1-based line.
    pub fn location(&self, key: &str) -> Option<(&str, usize)> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(|p| (&*p.file, p.line))
    }

    /// The sub-properties of `key`, for values written as an indented block:
    ///
    /// ```ini
    /// s3 =
    ///   max_concurrent_requests = 20
    /// ```
    ///
    /// Returns `None` when `key` is not set; lines of the block without `=` are skipped.
    pub(crate) fn sub_properties(&self, key: &str) -> Option<BTreeMap<String, String>> {
        let value = self.get(key)?;
        Some(
            value
                .split('\n')
                .filter_map(|line| {
                    let (k, v) = line.split_once('=')?;
                    let k = k.trim_matches(WS);
                    (!k.is_empty()).then(|| (k.to_string(), v.trim_matches(WS).to_string()))
                })
                .collect(),
        )
    }

    /// All keys (lower-case) and values, sorted by key.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, p)| (k.as_str(), p.value.as_str()))
    }

    /// Whether the profile has no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    fn insert(&mut self, key: String, property: Property) {
        self.properties.insert(key, property);
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Props<'a>(&'a BTreeMap<String, Property>);
        impl fmt::Debug for Props<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (k, p) in self.0 {
                    if SECRET_KEYS.contains(&k.as_str()) {
                        map.entry(k, &REDACTED);
                    } else if k == "credential_process" {
                        // Only the program: its arguments may carry secrets.
                        let program = p.value.split_whitespace().next().unwrap_or_default();
                        map.entry(k, &format!("{program} {REDACTED}"));
                    } else {
                        map.entry(k, &p.value);
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("properties", &Props(&self.properties))
            .finish()
    }
}

/// The merged contents of the config and credentials files, and the selected profile's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, Profile>,
    other_sections: BTreeMap<(String, String), Profile>,
    selected: String,
    files: Vec<String>,
}

impl ProfileSet {
    /// Parses the config and credentials file texts (each given as `(path for messages, contents)`)
    /// and merges them; `selected` is the profile to use.
    ///
    /// Malformed lines are errors ([`ErrorKind::Parse`]) naming the file, the line and what was
    /// expected. Invalid section names and keys are ignored with a warning, like the AWS SDKs do.
    pub fn parse(
        config: Option<(&str, &str)>,
        credentials: Option<(&str, &str)>,
        selected: &str,
    ) -> Result<ProfileSet> {
        let mut set = ProfileSet::empty(selected);
        if let Some((path, text)) = config {
            set.files.push(path.to_string());
            let raw = parse_raw(path, text)?;
            set.merge(raw, FileKind::Config);
        }
        if let Some((path, text)) = credentials {
            set.files.push(path.to_string());
            let raw = parse_raw(path, text)?;
            set.merge(raw, FileKind::Credentials);
        }
        Ok(set)
    }

    /// Reads the config and credentials files from where the AWS SDKs look for them (see
    /// [`FileLocations`]) and parses them. The selected profile is `profile_override`, else
    /// `AWS_PROFILE`, else `default`.
    ///
    /// A missing file counts as empty (logged at debug level for the default paths, as a warning
    /// for paths set through `AWS_CONFIG_FILE`/`AWS_SHARED_CREDENTIALS_FILE`); so does an
    /// unreadable or non-UTF-8 file, with a warning. Syntax errors are errors.
    pub async fn load(env: &Env, profile_override: Option<&str>) -> Result<ProfileSet> {
        let locations = FileLocations::resolve(env, Platform::current());
        let selected = profile_override
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| locations.profile.clone());
        let config = read_file(&locations.config, locations.config_overridden).await;
        let credentials = read_file(&locations.credentials, locations.credentials_overridden).await;
        let mut set = ProfileSet::parse(
            config.as_deref().map(|c| (locations.config.as_str(), c)),
            credentials
                .as_deref()
                .map(|c| (locations.credentials.as_str(), c)),
            &selected,
        )?;
        set.files = vec![locations.config, locations.credentials];
        Ok(set)
    }

    /// A set built from already-parsed properties (keys are lower-cased; no validation), for
    /// hosts that configure profiles in code and for tests.
    pub fn from_properties<P, K, V>(
        profiles: impl IntoIterator<Item = (P, impl IntoIterator<Item = (K, V)>)>,
        sso_sessions: impl IntoIterator<Item = (P, impl IntoIterator<Item = (K, V)>)>,
        selected: &str,
    ) -> ProfileSet
    where
        P: Into<String>,
        K: AsRef<str>,
        V: Into<String>,
    {
        fn build<K: AsRef<str>, V: Into<String>>(
            name: String,
            props: impl IntoIterator<Item = (K, V)>,
        ) -> Profile {
            let file: Arc<str> = Arc::from("<in memory>");
            let mut profile = Profile::new(name);
            for (k, v) in props {
                profile.insert(
                    k.as_ref().to_ascii_lowercase(),
                    Property {
                        value: v.into(),
                        file: file.clone(),
                        line: 0,
                    },
                );
            }
            profile
        }
        let mut set = ProfileSet::empty(selected);
        for (name, props) in profiles {
            let name = name.into();
            set.profiles.insert(name.clone(), build(name, props));
        }
        for (name, props) in sso_sessions {
            let name = name.into();
            set.sso_sessions.insert(name.clone(), build(name, props));
        }
        set
    }

    fn empty(selected: &str) -> ProfileSet {
        ProfileSet {
            profiles: BTreeMap::new(),
            sso_sessions: BTreeMap::new(),
            other_sections: BTreeMap::new(),
            selected: selected.to_string(),
            files: Vec::new(),
        }
    }

    /// The files the profiles were read from: the paths given to [`ProfileSet::parse`], or both
    /// paths [`ProfileSet::load`] looked at (whether or not they existed). Empty for
    /// [`ProfileSet::from_properties`].
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The name of the selected profile.
    pub fn selected(&self) -> &str {
        &self.selected
    }

    /// The selected profile, if it is defined.
    pub fn selected_profile(&self) -> Option<&Profile> {
        self.profile(&self.selected)
    }

    /// The profile called `name` (case-sensitive), if defined.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The names of all profiles, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether no profile is defined at all.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// The `[sso-session name]` section called `name`, if defined.
    pub fn sso_session(&self, name: &str) -> Option<&Profile> {
        self.sso_sessions.get(name)
    }

    /// The names of all `[sso-session]` sections, sorted.
    pub fn sso_session_names(&self) -> impl Iterator<Item = &str> {
        self.sso_sessions.keys().map(String::as_str)
    }

    /// Another prefixed section of the config file, e.g. `section("services", "dev")` for
    /// `[services dev]`.
    pub fn section(&self, prefix: &str, name: &str) -> Option<&Profile> {
        self.other_sections
            .get(&(prefix.to_string(), name.to_string()))
    }

    /// Normalises one file's raw sections into this set (later sections and files win per key).
    fn merge(&mut self, raw: RawFile, kind: FileKind) {
        let mut valid = Vec::new();
        for section in raw.sections {
            match classify(&section.header, kind) {
                Ok(header) => valid.push((header, section)),
                Err(why) => {
                    notice::warn(format!(
                        "{}, line {}: {} section [{}] ignored: {why}",
                        raw.path,
                        section.line,
                        kind.describe(),
                        section.header.trim_matches(WS)
                    ));
                }
            }
        }
        // `[profile default]` anywhere in a file shadows every `[default]` of that file.
        let prefixed_default = valid.iter().any(|(h, _)| {
            *h == Header::Profile {
                name: DEFAULT_PROFILE.into(),
                prefixed: true,
            }
        });
        for (header, section) in valid {
            let target = match header {
                Header::Profile { name, prefixed } => {
                    if prefixed_default && !prefixed && name == DEFAULT_PROFILE {
                        notice::warn(format!(
                            "{}, line {}: section [default] ignored: [profile default] in the same file takes priority",
                            raw.path, section.line
                        ));
                        continue;
                    }
                    self.profiles
                        .entry(name.clone())
                        .or_insert_with(|| Profile::new(name))
                }
                Header::SsoSession(name) => self
                    .sso_sessions
                    .entry(name.clone())
                    .or_insert_with(|| Profile::new(name)),
                Header::Other(prefix, name) => self
                    .other_sections
                    .entry((prefix, name.clone()))
                    .or_insert_with(|| Profile::new(name)),
            };
            for (key, value, line) in section.properties {
                if is_identifier(&key) {
                    target.insert(
                        key,
                        Property {
                            value,
                            file: raw.path.clone(),
                            line,
                        },
                    );
                } else {
                    notice::warn(format!(
                        "{}, line {line}: property `{key}` of profile {} ignored: not a valid name (allowed: letters, digits and - / . % @ _ : +)",
                        raw.path, target.name
                    ));
                }
            }
        }
    }
}

/// Reads a profile file; problems other than syntax make it count as empty (the SDKs' rule).
async fn read_file(path: &str, overridden: bool) -> Option<String> {
    match tokio::fs::read(path).await {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                notice::warn(format!("profile file {path} ignored: it is not UTF-8 text"));
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if overridden {
                notice::warn(format!(
                    "profile file {path}, named by an environment variable, does not exist"
                ));
            } else {
                tracing::debug!(file = %path, "no profile file");
            }
            None
        }
        Err(e) => {
            notice::warn(format!(
                "profile file {path} could not be read ({e}); ignoring it"
            ));
            None
        }
    }
}

/// What a section header means once interpreted for its file kind.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    Profile { name: String, prefixed: bool },
    SsoSession(String),
    Other(String, String),
}

/// Interprets a raw header (`profile foo`, `default`, `sso-session x`) for `kind`, or says why it
/// is ignored.
fn classify(raw: &str, kind: FileKind) -> std::result::Result<Header, String> {
    let raw = raw.trim_matches(WS);
    let (prefix, name) = match raw.split_once(WS) {
        Some((prefix, name)) => (Some(prefix), name.trim_matches(WS)),
        None => (None, raw),
    };
    if !is_identifier(name) {
        return Err(format!(
            "`{name}` is not a valid name (allowed: letters, digits and - / . % @ _ : +)"
        ));
    }
    match (kind, prefix) {
        (FileKind::Config, Some(PROFILE_PREFIX)) => Ok(Header::Profile {
            name: name.to_string(),
            prefixed: true,
        }),
        (FileKind::Config, Some(SSO_SESSION_PREFIX)) => Ok(Header::SsoSession(name.to_string())),
        (FileKind::Config, Some(other)) => Ok(Header::Other(other.to_string(), name.to_string())),
        (FileKind::Config, None) if name == DEFAULT_PROFILE => Ok(Header::Profile {
            name: name.to_string(),
            prefixed: false,
        }),
        (FileKind::Config, None) => Err(format!(
            "profiles in the config file (other than [default]) need the prefix, i.e. [profile {name}]"
        )),
        (FileKind::Credentials, None) => Ok(Header::Profile {
            name: name.to_string(),
            prefixed: false,
        }),
        (FileKind::Credentials, Some(PROFILE_PREFIX)) => Err(format!(
            "profiles in the credentials file take no prefix, i.e. [{name}]"
        )),
        (FileKind::Credentials, Some(_)) => {
            Err("only profiles belong in the credentials file; this section belongs in the config file".into())
        }
    }
}

/// `[A-Za-z0-9_\-/.%@:+]+`: the characters allowed in profile names and property keys.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// One file after the syntax pass.
struct RawFile {
    path: Arc<str>,
    sections: Vec<RawSection>,
}

/// One occurrence of a section header and the properties under it, in file order.
struct RawSection {
    header: String,
    line: usize,
    /// `(lower-case key, value, line)`; continuation lines are already folded into the value.
    properties: Vec<(String, String, usize)>,
}

/// Where the syntax pass is within the current section.
enum State {
    /// No section header seen yet.
    Start,
    /// Inside a section; `property` is the index of the last property, if any, and whether its
    /// value opened a sub-property block (`key =` followed by indented `k = v` lines).
    InSection { property: Option<(usize, bool)> },
}

/// The syntax pass: sections, properties and continuations, with file and line in every error.
fn parse_raw(path: &str, text: &str) -> Result<RawFile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<RawSection> = Vec::new();
    let mut state = State::Start;
    let err = |line: usize, message: &str| {
        Error::new(
            ErrorKind::Parse,
            format!("error parsing profile file {path} on line {line}: {message}"),
        )
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim_matches(WS).is_empty() || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let header = strip_comment(line, false)
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .ok_or_else(|| err(number, "Profile definition must end with ']'"))?;
            sections.push(RawSection {
                header: header.to_string(),
                line: number,
                properties: Vec::new(),
            });
            state = State::InSection { property: None };
        } else if line.starts_with(WS) {
            let (index, sub) = match state {
                State::Start => {
                    return Err(err(
                        number,
                        "Expected a profile definition (e.g. `[profile name]`) before this indented line",
                    ))
                }
                State::InSection { property: None } => {
                    return Err(err(
                        number,
                        "Expected a property definition, found continuation (an indented line with no `key = value` line above it in this section)",
                    ))
                }
                State::InSection {
                    property: Some(p),
                } => p,
            };
            if sub {
                split_property(line).map_err(|e| err(number, &e.message("sub-property")))?;
            }
            let section = sections.last_mut().expect("a section is open");
            let value = &mut section.properties[index].1;
            value.push('\n');
            value.push_str(line.trim_matches(WS));
        } else {
            let State::InSection { .. } = state else {
                return Err(err(
                    number,
                    "Expected a profile definition (e.g. `[profile name]`) before the first property",
                ));
            };
            let (key, value) =
                split_property(line).map_err(|e| err(number, &e.message("property")))?;
            let section = sections.last_mut().expect("a section is open");
            section
                .properties
                .push((key.to_ascii_lowercase(), value.to_string(), number));
            state = State::InSection {
                property: Some((section.properties.len() - 1, value.is_empty())),
            };
        }
    }
    Ok(RawFile {
        path: Arc::from(path),
        sections,
    })
}

enum PropertyError {
    NoEquals,
    NoName,
}

impl PropertyError {
    fn message(&self, what: &str) -> String {
        match self {
            PropertyError::NoEquals => {
                format!("Expected an '=' sign defining a {what} (`key = value`)")
            }
            PropertyError::NoName => {
                let mut what = what.to_string();
                what[..1].make_ascii_uppercase();
                format!("{what} did not have a name (nothing before '=')")
            }
        }
    }
}

/// Splits `key = value` (comments must follow whitespace) into trimmed key and value.
fn split_property(line: &str) -> std::result::Result<(&str, &str), PropertyError> {
    let line = strip_comment(line, true);
    let (key, value) = line.split_once('=').ok_or(PropertyError::NoEquals)?;
    let key = key.trim_matches(WS);
    if key.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((key, value.trim_matches(WS)))
}

/// Trims a line and cuts a trailing `#`/`;` comment. On property lines a comment only starts
/// after whitespace (`value#x` keeps the `#x`); on section headers it may follow directly.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WS);
    let mut prev_ws = false;
    for (i, c) in line.char_indices() {
        if COMMENT.contains(&c) && (prev_ws || !needs_whitespace) {
            return line[..i].trim_matches(WS);
        }
        prev_ws = WS.contains(&c);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

    #[test]
    fn syntax_errors_name_the_file_the_line_and_what_was_expected() {
        let err = ProfileSet::parse(
            Some(("/etc/aws/config", "[profile a]\nx = 1\n\n[profile b\ny = 2")),
            None,
            "a",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert_mentions(
            err.message(),
            &["/etc/aws/config", "line 4", "must end with ']'"],
        );

        let err = ProfileSet::parse(None, Some(("creds", "[a]\nkey : v")), "a").unwrap_err();
        assert_mentions(err.message(), &["creds on line 2", "Expected an '=' sign"]);
    }

    #[test]
    fn a_syntax_error_never_echoes_the_secret_on_the_line() {
        let err = ProfileSet::parse(
            None,
            Some(("creds", "[a]\naws_secret_access_key wJalrXUtnFEMI")),
            "a",
        )
        .unwrap_err();
        assert_omits(&err.full_message(), &["wJalrXUtnFEMI"]);
    }

    #[test]
    fn debug_output_redacts_secret_keys_but_shows_other_values() {
        let set = ProfileSet::parse(
            None,
            Some((
                "creds",
                "[a]\naws_access_key_id = AKIDVISIBLE\nAWS_SECRET_ACCESS_KEY = s3cr3tvalue\naws_session_token = t0kenvalue",
            )),
            "a",
        )
        .unwrap();
        let text = format!("{:?} {:#?}", set.profile("a").unwrap(), set);
        assert!(text.contains("AKIDVISIBLE"), "{text}");
        assert!(!text.contains("s3cr3tvalue"), "{text}");
        assert!(!text.contains("t0kenvalue"), "{text}");
        assert!(text.contains(REDACTED), "{text}");
    }

    #[test]
    fn credentials_file_wins_per_key_and_keeps_config_only_keys() {
        let set = ProfileSet::parse(
            Some((
                "config",
                "[profile dev]\nregion = eu-west-1\naws_access_key_id = OLD",
            )),
            Some((
                "credentials",
                "[dev]\naws_access_key_id = NEW\n[other]\nx = 1",
            )),
            "dev",
        )
        .unwrap();
        let dev = set.selected_profile().unwrap();
        assert_eq!(dev.get("region"), Some("eu-west-1"));
        assert_eq!(dev.get("AWS_ACCESS_KEY_ID"), Some("NEW"));
        assert_eq!(dev.location("aws_access_key_id"), Some(("credentials", 2)));
        assert_eq!(set.names().collect::<Vec<_>>(), ["dev", "other"]);
    }

    #[test]
    fn sub_properties_are_parsed_from_an_indented_block() {
        let set = ProfileSet::parse(
            Some((
                "config",
                "[profile a]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style=path\n[services x]\ns3 =\n  endpoint_url = http://localhost",
            )),
            None,
            "a",
        )
        .unwrap();
        let s3 = set.profile("a").unwrap().sub_properties("s3").unwrap();
        assert_eq!(
            s3.get("max_concurrent_requests").map(String::as_str),
            Some("20")
        );
        assert_eq!(s3.get("addressing_style").map(String::as_str), Some("path"));
        let services = set.section("services", "x").unwrap();
        assert_eq!(
            services
                .sub_properties("s3")
                .unwrap()
                .get("endpoint_url")
                .map(String::as_str),
            Some("http://localhost")
        );
        assert!(set.profile("a").unwrap().sub_properties("nope").is_none());
    }

    #[test]
    fn profile_names_are_case_sensitive_and_keys_are_not() {
        let set = ProfileSet::parse(
            Some((
                "config",
                "[profile Dev]\nRegion = a\n[profile dev]\nregion = b",
            )),
            None,
            "Dev",
        )
        .unwrap();
        assert_eq!(set.profile("Dev").unwrap().get("REGION"), Some("a"));
        assert_eq!(set.profile("dev").unwrap().get("region"), Some("b"));
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_ignored() {
        let set = ProfileSet::parse(None, Some(("c", "\u{feff}[a]\nx = 1")), "a").unwrap();
        assert_eq!(set.profile("a").unwrap().get("x"), Some("1"));
    }
}
