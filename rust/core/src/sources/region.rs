//! Region names, checked before use.
//!
//! A region becomes part of a host name (`sts.{region}.amazonaws.com`, `oidc.{region}.…`,
//! `portal.sso.{region}.…`, `{region}.signin.aws.amazon.com`) and of the SigV4 scope. One that is
//! not a DNS label would change the host: `AWS_REGION=x@attacker.example/` turns
//! `https://sts.{region}.amazonaws.com` into a URL whose host is `attacker.example`, and the web
//! identity token would go there. So every region read from the environment or a profile passes
//! `check_region` (botocore's `validate_region_name` rule) before an endpoint is built or a
//! request signed, and an invalid one is an [`ErrorKind::InvalidConfig`](crate::ErrorKind) error
//! naming where it came from; nothing is sent.

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sources::profile::{Profile, Section};

/// The environment variable naming the region (read first).
pub(crate) const ENV_REGION: &str = "AWS_REGION";
/// The environment variable naming the region when [`ENV_REGION`] is not set.
pub(crate) const ENV_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// The longest region name: one DNS label.
pub(crate) const MAX_REGION_NAME_LEN: usize = 63;
/// The most characters of a refused region name an error message quotes.
const MAX_QUOTED_LEN: usize = 80;

/// Whether `name` is a valid region name: one DNS label of letters, digits and hyphens, 1 to
/// [`MAX_REGION_NAME_LEN`] characters, not starting or ending with a hyphen (botocore's
/// `^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`).
pub(crate) fn is_valid_region_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= MAX_REGION_NAME_LEN
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// Checks `name` with [`is_valid_region_name`]; `origin` says where it came from (an
/// environment variable, a profile setting with its file and line) for the error.
pub(crate) fn check_region(name: &str, origin: &str) -> Result<()> {
    if is_valid_region_name(name) {
        return Ok(());
    }
    let quoted: String = name.chars().take(MAX_QUOTED_LEN).collect();
    let more = if name.chars().count() > MAX_QUOTED_LEN {
        "…"
    } else {
        ""
    };
    Err(Error::invalid_config(format!(
        "region {quoted:?}{more} from {origin} is not a valid region name (letters, digits and \
         hyphens, at most {MAX_REGION_NAME_LEN} characters, not starting or ending with a hyphen); no request \
         was sent"
    )))
}

/// The region the environment names ([`ENV_REGION`], else [`ENV_DEFAULT_REGION`]), trimmed, with
/// the variable it came from. Not checked yet.
pub(crate) fn region_from_env(env: &Env) -> Option<(String, String)> {
    [ENV_REGION, ENV_DEFAULT_REGION]
        .into_iter()
        .find_map(|var| {
            env.get_non_blank(var)
                .map(|r| (r.trim().to_string(), var.to_string()))
        })
}

/// Where `key` of `profile` was set, for error messages: `` `region` of profile dev (FILE, line
/// 3) ``; `section` is the kind of section `profile` is.
pub(crate) fn setting_origin(profile: &Profile, section: Section, key: &str) -> String {
    let section = section.word();
    match profile.location(key) {
        Some((file, line)) if line > 0 => {
            format!(
                "`{key}` of {section} {} ({file}, line {line})",
                profile.name()
            )
        }
        Some((file, _)) if !file.is_empty() => {
            format!("`{key}` of {section} {} ({file})", profile.name())
        }
        _ => format!("`{key}` of {section} {}", profile.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::assert_mentions;
    use crate::error::ErrorKind;

    #[test]
    fn region_names_follow_botocores_host_label_rule() {
        for good in [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "eusc-de-east-1",
            "a",
            "9",
            "local",
            "US-EAST-1",
            &"a".repeat(MAX_REGION_NAME_LEN),
        ] {
            assert!(is_valid_region_name(good), "{good:?}");
        }
        for bad in [
            "",
            "-us-east-1",
            "us-east-1-",
            "x@attacker.example/",
            "us-east-1.attacker.example",
            "us east 1",
            "us_east_1",
            "us-east-1/",
            "us-east-1#",
            "us-east-1:443",
            "ü-east-1",
            "us-east-1\n",
            &"a".repeat(MAX_REGION_NAME_LEN + 1),
        ] {
            assert!(!is_valid_region_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_refused_region_is_an_invalid_config_error_naming_its_origin() {
        let e = check_region("x@attacker.example/", ENV_REGION).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert_mentions(
            e.message(),
            &[
                "\"x@attacker.example/\"",
                "from AWS_REGION",
                "no request was sent",
            ],
        );
        let long = check_region(&"a.".repeat(500), "x").unwrap_err();
        assert!(long.message().len() < 400, "{}", long.message());
        assert!(check_region("eu-west-3", ENV_REGION).is_ok());
    }

    #[test]
    fn the_environment_region_is_aws_region_then_aws_default_region() {
        let env = Env::from_map([("AWS_REGION", " eu-west-1 "), ("AWS_DEFAULT_REGION", "x")]);
        assert_eq!(
            region_from_env(&env),
            Some(("eu-west-1".to_string(), ENV_REGION.to_string()))
        );
        let env = Env::from_map([("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "ca-central-1")]);
        assert_eq!(
            region_from_env(&env),
            Some(("ca-central-1".to_string(), ENV_DEFAULT_REGION.to_string()))
        );
        assert_eq!(
            region_from_env(&Env::from_map(Vec::<(String, String)>::new())),
            None
        );
    }
}
