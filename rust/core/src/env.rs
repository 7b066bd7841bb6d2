//! Environment variables, injectable: sources read `AWS_*` variables through [`Env`], so tests
//! (and the conformance cases) give each provider its own environment without touching the process's.
//!
//! A JVM host's AWS SDK system properties (`aws.profile`, `aws.disableEc2Metadata`, …) are laid
//! over the variables they stand for (`Env::with_system_properties`), so every source honours
//! them with the SDK's precedence and every message names the setting that was really used.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A read-only view of environment variables: the process's, or a fixed map, with the Java system
/// properties that stand for some of them laid over. Its `Debug` output lists names only: values
/// may be secrets.
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
    /// Variable name -> (the system property that set it, its value); wins over `fixed`.
    properties: Option<Arc<HashMap<String, (String, String)>>>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut t = f.debug_tuple("Env");
        match &self.fixed {
            None => t.field(&format_args!("process")),
            Some(map) => {
                let mut names: Vec<&String> = map.keys().collect();
                names.sort();
                t.field(&names)
            }
        };
        if let Some(props) = &self.properties {
            let mut names: Vec<&str> = props.values().map(|(p, _)| p.as_str()).collect();
            names.sort();
            t.field(&names);
        }
        t.finish()
    }
}

impl Env {
    /// The real process environment.
    pub fn process() -> Self {
        Env::default()
    }

    /// A fixed environment (tests, conformance cases, hosts that pass their own).
    pub fn from_map<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            fixed: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
            properties: None,
        }
    }

    /// This environment with Java system properties laid over the variables they stand for:
    /// `(variable, property, value)` triples. A property wins over its variable even when blank
    /// (AWS SDK for Java v2's rule: a property that is set hides the variable); messages then
    /// name the property ([`Env::describe`]).
    pub(crate) fn with_system_properties<V, P, S>(
        self,
        props: impl IntoIterator<Item = (V, P, S)>,
    ) -> Env
    where
        V: Into<String>,
        P: Into<String>,
        S: Into<String>,
    {
        let mut merged: HashMap<String, (String, String)> =
            self.properties.as_deref().cloned().unwrap_or_default();
        merged.extend(
            props
                .into_iter()
                .map(|(var, prop, value)| (var.into(), (prop.into(), value.into()))),
        );
        Env {
            fixed: self.fixed,
            properties: (!merged.is_empty()).then(|| Arc::new(merged)),
        }
    }

    /// Whether `other` reads the same variables: both the process's, or the same fixed map (not
    /// a copy of it), with equal system properties laid over.
    pub(crate) fn same_as(&self, other: &Env) -> bool {
        let fixed = match (&self.fixed, &other.fixed) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        fixed && self.properties.as_deref() == other.properties.as_deref()
    }

    /// The value of `name`, if set (by the system property that stands for it, else the variable).
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.properties.as_ref().and_then(|p| p.get(name)) {
            return Some(value.clone());
        }
        match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The Java system property that set variable `name`, if one did.
    pub(crate) fn system_property_of(&self, name: &str) -> Option<&str> {
        self.properties
            .as_ref()
            .and_then(|p| p.get(name))
            .map(|(prop, _)| prop.as_str())
    }

    /// The setting behind variable `name`, for messages: `environment variable NAME`, or `Java
    /// system property aws.x` when a system property set it.
    pub fn describe(&self, name: &str) -> String {
        match self.system_property_of(name) {
            Some(prop) => format!("Java system property {prop}"),
            None => format!("environment variable {name}"),
        }
    }

    /// The value of `name` if it is set and not blank (the AWS SDKs treat a blank variable as unset).
    pub fn get_non_blank(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// A boolean variable: `true`/`false` in any case; unset or blank is `None`; anything else is
    /// an error naming the variable.
    pub(crate) fn get_bool(&self, name: &str) -> Result<Option<bool>> {
        self.get_non_blank(name)
            .map(|v| bool_setting(&self.describe(name), &v))
            .transpose()
    }
}

/// The number `value` of `setting` (named for the message: a variable, a profile key …), or an
/// `InvalidConfig` error naming the setting.
pub(crate) fn number_setting<T: std::str::FromStr>(setting: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::invalid_config(format!("{setting}={value:?} is not a number")))
}

/// The boolean `value` of `setting` (see [`parse_bool`]), or an `InvalidConfig` error naming the
/// setting.
pub(crate) fn bool_setting(setting: &str, value: &str) -> Result<bool> {
    parse_bool(value).ok_or_else(|| {
        Error::invalid_config(format!("{setting}={value:?} is not `true` or `false`"))
    })
}

/// Parses `true`/`false`, case-insensitively (the AWS SDKs' rule).
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn debug_lists_names_but_never_values() {
        let env = Env::from_map([("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")]);
        let text = format!("{env:?}");
        assert!(text.contains("AWS_SECRET_ACCESS_KEY"));
        assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
    }

    #[test]
    fn blank_is_unset_and_bad_booleans_name_the_variable() {
        let env = Env::from_map([("A", " "), ("B", "TRUE"), ("C", "yes")]);
        assert_eq!(env.get_non_blank("A"), None);
        assert_eq!(env.get_bool("B").unwrap(), Some(true));
        let err = env.get_bool("C").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.message().contains("C=\"yes\""), "{}", err.message());
    }

    #[test]
    fn a_system_property_hides_its_variable_even_when_blank_and_messages_name_it() {
        let env = Env::from_map([("AWS_PROFILE", "dev"), ("AWS_REGION", "eu-west-1")])
            .with_system_properties([
                ("AWS_PROFILE", "aws.profile", "readonly"),
                ("AWS_REGION", "aws.region", ""),
                ("AWS_EC2_METADATA_DISABLED", "example.disabled", "yes"),
            ]);
        assert_eq!(env.get("AWS_PROFILE").as_deref(), Some("readonly"));
        assert_eq!(env.get_non_blank("AWS_REGION"), None);
        assert_eq!(
            env.describe("AWS_PROFILE"),
            "Java system property aws.profile"
        );
        assert_eq!(env.describe("HOME"), "environment variable HOME");
        let err = env.get_bool("AWS_EC2_METADATA_DISABLED").unwrap_err();
        assert!(
            err.message()
                .contains("Java system property example.disabled=\"yes\""),
            "{}",
            err.message()
        );
        let shown = format!("{env:?}");
        assert!(
            shown.contains("aws.profile") && !shown.contains("readonly"),
            "{shown}"
        );
    }
}
