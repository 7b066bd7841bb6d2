//! The blocking API every host uses (the JNI bridge, the C ABI, the command line): build a
//! provider from string options, read credentials, force a refresh, read its status, close it.
//!
//! Options are `key=value` strings so that Java system properties, a Java builder and C callers
//! all pass them the same way; an unknown key or a bad value is an `InvalidConfig` error that
//! names the key.

use std::time::Duration;

use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// Options for a [`FreshProvider`], parsed from `key=value` pairs (see [`ProviderOptions::KEYS`]).
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    pairs: Vec<(String, String)>,
}

impl ProviderOptions {
    /// Every key a host may pass, with what it means.
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("source", "`chain` (default), or pin one source: `imds`"),
        ("refreshLeadMillis", "refresh this long before expiry (default: 5/15/60 min by lifetime)"),
        ("jitterMillis", "random extra lead, up to this (default 60000)"),
        ("firstFetchTimeoutMillis", "how long a first caller waits for credentials (default 10000)"),
        ("imdsEndpoint", "IMDS base URL (default from AWS_EC2_METADATA_SERVICE_ENDPOINT, else by mode)"),
        ("imdsEndpointMode", "`IPv4` or `IPv6`"),
        ("imdsTimeoutMillis", "per-request IMDS timeout (default 1000)"),
        ("imdsAttempts", "IMDS attempts per request (default 3)"),
        ("imdsV1Fallback", "`true` (default) to fall back to IMDSv1 when the token call fails"),
    ];

    /// Parses `key=value` pairs; later pairs override earlier ones.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let mut out = ProviderOptions::default();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            if !Self::KEYS.iter().any(|(key, _)| *key == k) {
                return Err(Error::invalid_config(format!("unknown freshcreds option `{k}`")));
            }
            out.pairs.push((k.to_string(), v.to_string()));
        }
        Ok(out)
    }
}

/// Credentials as a host should hand them out, with how long it may keep them without asking again.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The credentials.
    pub credentials: Credentials,
    /// How long from now a host may serve these without calling back (until the next scheduled refresh).
    pub serve_for: Duration,
    /// True when the credentials are past their expiry and served by static stability.
    pub stale: bool,
}

/// A provider owned by a host: a source chain behind the refresh engine, on the process runtime.
#[derive(Debug)]
pub struct FreshProvider {
    _private: (),
}

impl FreshProvider {
    /// Builds a provider and starts its first fetch in the background.
    pub fn new(_options: ProviderOptions) -> Result<Self> {
        Err(Error::new(crate::error::ErrorKind::Internal, "FreshProvider is not wired yet"))
    }

    /// The current credentials: immediate while cached ones are valid; otherwise waits for the
    /// first fetch up to the first-fetch timeout, then fails with an error that says what was tried.
    pub fn credentials(&self) -> Result<Snapshot> {
        unreachable!()
    }

    /// Forces a refresh now and waits for its result.
    pub fn refresh(&self) -> Result<Snapshot> {
        unreachable!()
    }

    /// The provider's state as JSON: source, expiry, last refresh result, counters.
    pub fn status_json(&self) -> String {
        unreachable!()
    }

    /// Stops the background refresh task. Further calls fail with an error.
    pub fn close(&self) {}
}
