//! A base source for role tests: it always answers the same credentials, by default the
//! simulator's static key. Include with `#[path = "support/fixed_base.rs"] mod fixed_base;`.
#![allow(dead_code)]

use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, Result};
use freshcreds_sim::{STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY};

/// A base source that always answers the same credentials.
#[derive(Debug)]
pub struct Fixed(pub Credentials);

impl CredentialSource for Fixed {
    fn name(&self) -> &str {
        "Fixed"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(Fetched::local(c)) })
    }
}

/// The simulator's static key, the one its STS accepts as a signer.
pub fn static_key() -> Credentials {
    Credentials::new(
        STATIC_ACCESS_KEY_ID,
        STATIC_SECRET_ACCESS_KEY,
        None,
        None,
        "test",
    )
}
