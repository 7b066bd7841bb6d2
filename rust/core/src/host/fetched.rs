//! Providers over sources written by the host ([`crate::sources::fetcher`]): a credential
//! fetcher, or a web identity token supplier for `AssumeRoleWithWebIdentity`.

use std::sync::Arc;
use std::time::Duration;

use super::{FreshProvider, ProviderOptions, NETWORK_KEYS, REFRESH_OPTION_KEYS};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sources::fetcher::{
    CredentialFetcher, FetcherSource, SuppliedWebIdentitySource, TokenSupplier,
};
use crate::sources::CredentialSource;

/// The option keys a token supplier's provider takes besides the refresh and network keys.
pub(crate) const SUPPLIED_WEB_IDENTITY_KEYS: &[&str] = &[
    "roleArn",
    "roleSessionName",
    "durationSeconds",
    "policy",
    "policyArns",
    "stsEndpoint",
];

/// Refuses the options that say where credentials come from: a source written in code says it.
fn check_keys(options: &ProviderOptions, what: &str, also: &[&str]) -> Result<()> {
    for (key, _) in &options.pairs {
        let allowed = key.starts_with("aws.")
            || REFRESH_OPTION_KEYS.contains(&key.as_str())
            || NETWORK_KEYS.contains(&key.as_str())
            || also.contains(&key.as_str());
        if !allowed {
            return Err(Error::invalid_config(format!(
                "freshcreds option `{key}` does not apply to {what}: the code says where credentials come from"
            )));
        }
    }
    Ok(())
}

impl FreshProvider {
    /// A provider over `fetcher`, named `name`, whose calls may take `call_timeout`; `options`
    /// may hold the refresh and network options only.
    pub fn from_fetcher(
        options: ProviderOptions,
        name: &str,
        fetcher: Arc<dyn CredentialFetcher>,
        call_timeout: Duration,
    ) -> Result<Self> {
        Self::from_fetcher_in(options, name, fetcher, call_timeout, Env::process())
    }

    /// A provider that assumes `roleArn` (in `options`, with the keys of
    /// `SUPPLIED_WEB_IDENTITY_KEYS`) with web identity tokens from `supplier`, whose calls may
    /// take `call_timeout`. The STS endpoint follows the same rules as every role's.
    pub fn from_token_supplier(
        options: ProviderOptions,
        supplier: Arc<dyn TokenSupplier>,
        call_timeout: Duration,
    ) -> Result<Self> {
        Self::from_token_supplier_in(options, supplier, call_timeout, Env::process())
    }

    /// [`Self::from_token_supplier`] in an explicit environment (tests).
    pub fn from_token_supplier_in(
        options: ProviderOptions,
        supplier: Arc<dyn TokenSupplier>,
        call_timeout: Duration,
        env: Env,
    ) -> Result<Self> {
        check_keys(
            &options,
            "a web identity token supplier",
            SUPPLIED_WEB_IDENTITY_KEYS,
        )?;
        let Some(role) = options.role()? else {
            return Err(Error::invalid_config(
                "freshcreds option `roleArn` is needed: a web identity token supplier assumes a role",
            ));
        };
        Self::start(options, env, move |hops, options| {
            Box::pin(async move {
                let settings = hops.settings(options)?;
                let sts = hops.sts(&settings, &role).await?;
                let name = format!("WebIdentityTokenSupplier({})", role.request.role_arn);
                let source = SuppliedWebIdentitySource::new(
                    name,
                    supplier,
                    role.request,
                    sts,
                    call_timeout,
                    hops.clock.clone(),
                )?;
                Ok(Arc::new(source) as Arc<dyn CredentialSource>)
            })
        })
    }

    /// [`Self::from_fetcher`] in an explicit environment (tests).
    pub(crate) fn from_fetcher_in(
        options: ProviderOptions,
        name: &str,
        fetcher: Arc<dyn CredentialFetcher>,
        call_timeout: Duration,
        env: Env,
    ) -> Result<Self> {
        check_keys(&options, "a credential fetcher", &[])?;
        let name = format!("Fetcher({name})");
        Self::start(options, env, move |hops, _| {
            Box::pin(async move {
                let source = FetcherSource::new(name, fetcher, call_timeout, hops.clock.clone())?;
                Ok(Arc::new(source) as Arc<dyn CredentialSource>)
            })
        })
    }
}
