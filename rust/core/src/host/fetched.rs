//! Providers over sources written by the host ([`crate::sources::fetcher`]): a credential
//! fetcher, or a web identity token supplier for `AssumeRoleWithWebIdentity`.

use std::sync::Arc;
use std::time::Duration;

use super::options::SourceKind;
use super::{FreshSource, SourceOptions};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sources::fetcher::{
    CredentialFetcher, FetcherSource, SuppliedWebIdentitySource, TokenSupplier,
};
use crate::sources::CredentialSource;

impl FreshSource {
    /// A fresh source over `fetcher`, named `name`, whose calls may take `call_timeout`; `options`
    /// may hold the groups of [`SourceKind::Fetcher`] only (refresh and network).
    pub fn from_fetcher(
        options: SourceOptions,
        name: &str,
        fetcher: Arc<dyn CredentialFetcher>,
        call_timeout: Duration,
    ) -> Result<Self> {
        Self::from_fetcher_in(options, name, fetcher, call_timeout, Env::process())
    }

    /// A fresh source that assumes `roleArn` (in `options`, with the groups of
    /// [`SourceKind::TokenSupplier`]) with web identity tokens from `supplier`, whose calls may
    /// take `call_timeout`. The STS endpoint follows the same rules as every role's.
    pub fn from_token_supplier(
        options: SourceOptions,
        supplier: Arc<dyn TokenSupplier>,
        call_timeout: Duration,
    ) -> Result<Self> {
        Self::from_token_supplier_in(options, supplier, call_timeout, Env::process())
    }

    /// [`Self::from_token_supplier`] in an explicit environment (tests).
    pub fn from_token_supplier_in(
        options: SourceOptions,
        supplier: Arc<dyn TokenSupplier>,
        call_timeout: Duration,
        env: Env,
    ) -> Result<Self> {
        options.check_kind(SourceKind::TokenSupplier, "a web identity token supplier")?;
        let Some(role) = options.role()? else {
            return Err(Error::invalid_config(format!(
                "freshcreds option `{}` is needed: a web identity token supplier assumes a role",
                super::options::ROLE_ARN.key
            )));
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
        options: SourceOptions,
        name: &str,
        fetcher: Arc<dyn CredentialFetcher>,
        call_timeout: Duration,
        env: Env,
    ) -> Result<Self> {
        options.check_kind(SourceKind::Fetcher, "a credential fetcher")?;
        let name = format!("Fetcher({name})");
        Self::start(options, env, move |hops, _| {
            Box::pin(async move {
                let source = FetcherSource::new(name, fetcher, call_timeout, hops.clock.clone())?;
                Ok(Arc::new(source) as Arc<dyn CredentialSource>)
            })
        })
    }
}
