//! Who the winning credentials are, per STS `GetCallerIdentity`; a refusal names the source that
//! supplied the dead credentials.

use std::sync::Arc;

use super::chain::unset_fix;
use super::clock_skew::NTP_HINT;
use crate::chain::CliChain;
use crate::output::Check;
use freshcreds::clock::Clock;
use freshcreds::credentials::Credentials;
use freshcreds::error::{Error, ErrorKind};
use freshcreds::sources::sts::{StsClient, StsSettings};

/// Asks STS who `creds` are, signing on the server clock the chain measured.
pub(super) async fn identity_check(
    settings: &StsSettings,
    c: &CliChain,
    creds: &Credentials,
    clock: Arc<dyn Clock>,
) -> Check {
    let client = match StsClient::with_clock(settings.clone(), clock) {
        Ok(client) => client.with_server_clock(c.server_clock.clone()),
        Err(e) => {
            return Check::fail(
                "identity",
                e.full_message(),
                "fix the STS endpoint configuration",
            )
        }
    };
    match client.get_caller_identity(creds).await {
        Ok(id) => Check::ok(
            "identity",
            format!(
                "{} (account {}), per STS GetCallerIdentity at {} with the credentials from {}",
                id.arn,
                id.account,
                settings.endpoint,
                creds.source()
            ),
        ),
        Err(e) => identity_failure(&e, c, creds),
    }
}

/// What STS's refusal (or silence) says about the credentials and how to fix it.
fn identity_failure(e: &Error, c: &CliChain, creds: &Credentials) -> Check {
    let source = creds.source().to_string();
    let msg = e.full_message();
    let replace = if c.is_static(&source) {
        unset_fix(&source).replace(
            "so the chain reaches it",
            "and let a source that refreshes itself supply credentials, or put valid ones there",
        )
    } else {
        format!("check what {source} returns; run `freshcreds doctor` again after it refreshes")
    };
    match e.kind() {
        ErrorKind::Expired => Check::fail(
            "identity",
            format!("the credentials from {source} ({}) are expired: {msg}", creds.access_key_id()),
            replace,
        ),
        ErrorKind::Refused if msg.contains("InvalidClientTokenId") => Check::fail(
            "identity",
            format!(
                "the access key {} from {source} is not valid (deleted, mistyped, or of another partition): {msg}",
                creds.access_key_id()
            ),
            replace,
        ),
        ErrorKind::Refused if msg.contains("Signature expired") => Check::fail(
            "identity",
            format!("STS refused the request's time stamp (local clock off): {msg}"),
            NTP_HINT,
        ),
        ErrorKind::Refused if msg.contains("SignatureDoesNotMatch") => Check::fail(
            "identity",
            format!("the secret key from {source} does not match its access key {}: {msg}", creds.access_key_id()),
            replace,
        ),
        ErrorKind::Refused => Check::fail(
            "identity",
            format!("STS refused the credentials from {source}: {msg}"),
            replace,
        ),
        ErrorKind::Timeout | ErrorKind::Connect => Check::warn(
            "identity",
            format!("STS could not be reached: {msg}"),
            "check the network path to STS (proxy variables, AWS_ENDPOINT_URL_STS, firewall), or run with --offline",
        ),
        _ => Check::warn("identity", format!("STS GetCallerIdentity failed: {msg}"), "see the error above"),
    }
}
