//! Where the shared config and credentials files are, and which profile is selected, following
//! the AWS SDKs:
//!
//! - config file: `AWS_CONFIG_FILE`, else `~/.aws/config`;
//! - credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`;
//! - a leading `~` (alone, or followed by `/`, or `\` on Windows) is the home directory: `HOME`,
//!   then on Windows `USERPROFILE`, then `HOMEDRIVE` + `HOMEPATH`;
//! - profile: `AWS_PROFILE`, else `default`. (`AWS_DEFAULT_PROFILE` is an AWS CLI variable that the
//!   SDKs — Java v2, JavaScript v3, Rust, Go v2 — do not read, so neither does freshcreds.)
//!
//! Blank variables count as unset. Paths are strings, joined with the platform's separator, so the
//! Windows rules can be exercised (and tested) on any platform.

use crate::env::Env;

use super::parser::DEFAULT_PROFILE;

/// Environment variable overriding the config file path.
pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// Environment variable overriding the credentials file path.
pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// Environment variable selecting the profile.
pub const AWS_PROFILE: &str = "AWS_PROFILE";

/// The path rules to apply: they differ in home-directory lookup and path separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux, macOS and other Unix-likes: home is `HOME`, separator `/`.
    Unix,
    /// Windows: home is `HOME`, `USERPROFILE` or `HOMEDRIVE`+`HOMEPATH`; separator `\`.
    Windows,
}

impl Platform {
    /// The platform this code was built for.
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Platform::Unix => '/',
            Platform::Windows => '\\',
        }
    }
}

/// The resolved file paths and profile name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocations {
    /// Path of the config file (home already expanded).
    pub config: String,
    /// Whether the config path came from `AWS_CONFIG_FILE`.
    pub config_overridden: bool,
    /// Path of the credentials file (home already expanded).
    pub credentials: String,
    /// Whether the credentials path came from `AWS_SHARED_CREDENTIALS_FILE`.
    pub credentials_overridden: bool,
    /// The selected profile: `AWS_PROFILE`, else `default`.
    pub profile: String,
}

impl FileLocations {
    /// Resolves paths and profile from `env` with `platform`'s rules.
    pub fn resolve(env: &Env, platform: Platform) -> FileLocations {
        let home = home_dir(env, platform);
        let (config, config_overridden) = pick(
            env,
            AWS_CONFIG_FILE,
            "~/.aws/config",
            home.as_deref(),
            platform,
        );
        let (credentials, credentials_overridden) = pick(
            env,
            AWS_SHARED_CREDENTIALS_FILE,
            "~/.aws/credentials",
            home.as_deref(),
            platform,
        );
        FileLocations {
            config,
            config_overridden,
            credentials,
            credentials_overridden,
            profile: env
                .get_non_blank(AWS_PROFILE)
                .map(|p| p.trim().to_string())
                .unwrap_or_else(|| DEFAULT_PROFILE.to_string()),
        }
    }
}

fn pick(
    env: &Env,
    var: &str,
    default: &str,
    home: Option<&str>,
    platform: Platform,
) -> (String, bool) {
    match env.get_non_blank(var) {
        Some(path) => (expand_home(&path, home, platform, true), true),
        None => (expand_home(default, home, platform, false), false),
    }
}

/// The user's home directory under `platform`'s rules, if one can be found.
pub fn home_dir(env: &Env, platform: Platform) -> Option<String> {
    if let Some(home) = env.get_non_blank("HOME") {
        return Some(home);
    }
    if platform == Platform::Windows {
        if let Some(profile) = env.get_non_blank("USERPROFILE") {
            return Some(profile);
        }
        if let (Some(drive), Some(path)) = (
            env.get_non_blank("HOMEDRIVE"),
            env.get_non_blank("HOMEPATH"),
        ) {
            return Some(format!("{drive}{path}"));
        }
    }
    None
}

/// Replaces a leading `~` component with `home`. The rest of a `~` path is rewritten with the
/// platform's separator; other paths are returned unchanged. Without a home directory the path is
/// left as it is (with a warning when the user chose it).
pub(crate) fn expand_home(
    path: &str,
    home: Option<&str>,
    platform: Platform,
    user_set: bool,
) -> String {
    let rest = match path.strip_prefix('~') {
        Some("") => "",
        Some(rest) if rest.starts_with('/') => rest,
        Some(rest) if platform == Platform::Windows && rest.starts_with('\\') => rest,
        // `~user/…` and plain paths: no expansion.
        _ => return path.to_string(),
    };
    let Some(home) = home else {
        if user_set {
            crate::sources::notice::warn(format!(
                "cannot expand `~` in the profile file path {path}: no home directory (HOME) is set"
            ));
        }
        return path.to_string();
    };
    let sep = platform.separator();
    let mut out = home.trim_end_matches(['/', sep]).to_string();
    for part in rest.split(['/', sep]).filter(|p| !p.is_empty()) {
        out.push(sep);
        out.push_str(part);
    }
    if out.is_empty() {
        out.push(sep);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_expands_only_as_a_whole_first_component_with_the_platform_separator() {
        let unix = Some("/home/me");
        let windows = Some("C:\\Users\\me");
        let cases = [
            ("~/x/y", unix, Platform::Unix, true, "/home/me/x/y"),
            ("~", unix, Platform::Unix, true, "/home/me"),
            ("~me/x", unix, Platform::Unix, true, "~me/x"),
            ("/abs/~/x", unix, Platform::Unix, true, "/abs/~/x"),
            ("~/x", None, Platform::Unix, true, "~/x"),
            ("~/x", Some("/"), Platform::Unix, true, "/x"),
            (
                "~/.aws/config",
                windows,
                Platform::Windows,
                false,
                "C:\\Users\\me\\.aws\\config",
            ),
            (
                "~\\cfg",
                windows,
                Platform::Windows,
                true,
                "C:\\Users\\me\\cfg",
            ),
        ];
        for (path, home, platform, user_set, expanded) in cases {
            assert_eq!(
                expand_home(path, home, platform, user_set),
                expanded,
                "{path:?} with home {home:?} on {platform:?}"
            );
        }
    }

    #[test]
    fn blank_variables_count_as_unset() {
        let env = Env::from_map([
            ("HOME", "/h"),
            ("AWS_PROFILE", "  "),
            ("AWS_CONFIG_FILE", ""),
        ]);
        let loc = FileLocations::resolve(&env, Platform::Unix);
        assert_eq!(loc.profile, "default");
        assert_eq!(loc.config, "/h/.aws/config");
        assert!(!loc.config_overridden);
    }

    #[test]
    fn override_paths_get_their_tilde_expanded() {
        let env = Env::from_map([("HOME", "/h"), ("AWS_SHARED_CREDENTIALS_FILE", "~/creds")]);
        let loc = FileLocations::resolve(&env, Platform::Unix);
        assert_eq!(loc.credentials, "/h/creds");
        assert!(loc.credentials_overridden);
    }
}
