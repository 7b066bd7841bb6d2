//! Environment variables, injectable: sources read `AWS_*` variables through [`Env`], so tests
//! (and the conformance cases) give each provider its own environment without touching the process's.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A read-only view of environment variables: the process's, or a fixed map. Its `Debug`
/// output lists variable names only: values may be secrets.
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(map) => {
                let mut names: Vec<&String> = map.keys().collect();
                names.sort();
                f.debug_tuple("Env").field(&names).finish()
            }
        }
    }
}

impl Env {
    /// The real process environment.
    pub fn process() -> Self {
        Env { fixed: None }
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
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The value of `name` if it is set and not blank (the AWS SDKs treat a blank variable as unset).
    pub fn get_non_blank(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// A boolean variable: `true`/`false` in any case; unset or blank is `None`; anything else is
    /// an error naming the variable.
    pub fn get_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get_non_blank(name) {
            None => Ok(None),
            Some(v) => parse_bool(&v).map(Some).ok_or_else(|| {
                Error::invalid_config(format!(
                    "environment variable {name}={v:?} is not `true` or `false`"
                ))
            }),
        }
    }

    /// A number variable; anything that is not a number is an error naming the variable.
    pub fn get_number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        match self.get_non_blank(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
                Error::invalid_config(format!("environment variable {name}={v:?} is not a number"))
            }),
        }
    }
}

/// Parses `true`/`false`, case-insensitively (the AWS SDKs' rule).
pub fn parse_bool(value: &str) -> Option<bool> {
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
}
