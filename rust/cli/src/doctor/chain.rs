//! The chain, source by source: the winner, the failures, the shadowed sources.

use std::time::Duration;

use crate::chain::CliChain;
use crate::output::{Check, Level};
use freshcreds::error::Error;
use freshcreds::sources::chain::{LinkOutcome, LinkReport};
use freshcreds::sources::environment::ENVIRONMENT;

/// How long the chain's shadowing probe may take before the report is printed without it.
pub(crate) const SHADOW_PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// The fix for static credentials of `source` that stand in the way of a later source.
pub(super) fn unset_fix(source: &str) -> String {
    if source == ENVIRONMENT {
        "unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (AWS_ACCESS_KEY/AWS_SECRET_KEY too) so the chain reaches it".to_string()
    } else if let Some(profile) = source
        .strip_prefix("Profile(")
        .and_then(|s| s.strip_suffix(')'))
    {
        format!("remove aws_access_key_id/aws_secret_access_key from profile {profile} (or point AWS_PROFILE elsewhere) so the chain reaches it")
    } else {
        format!("remove the static credentials of {source} so the chain reaches it")
    }
}

/// One finding per link of the chain report (and one per warning of a link not used), then
/// whether the shadowing probe finished, then the verdict when no link won.
pub(super) async fn chain_checks(c: &CliChain, error: Option<&Error>) -> Vec<Check> {
    let report = c.chain.settled_report(SHADOW_PROBE_TIMEOUT).await;
    let winner = report.winner.as_deref();
    let mut out = Vec::new();
    for link in &report.links {
        out.push(link_check(link, winner));
        out.extend(
            link.warnings
                .iter()
                .map(|w| Check::ok("chain", format!("{} (not used) warned: {w}", link.source))),
        );
    }
    if report.probing {
        out.push(Check::ok(
            "shadowed",
            format!(
                "sources below {} did not answer within {} s; shadowing not checked",
                winner.unwrap_or_default(),
                SHADOW_PROBE_TIMEOUT.as_secs()
            ),
        ));
    }
    if winner.is_none() {
        out.push(no_winner_check(error));
    }
    out
}

/// What one link's outcome means for the user.
fn link_check(link: &LinkReport, winner: Option<&str>) -> Check {
    let name = &link.source;
    match &link.outcome {
        LinkOutcome::Used => Check::ok("chain", format!("{name}: supplies the credentials")),
        LinkOutcome::NotConfigured { reason } => {
            Check::ok("chain", format!("{name}: not configured ({reason})"))
        }
        LinkOutcome::Failed { reason } => {
            let level = if winner.is_some() {
                Level::Warn
            } else {
                Level::Fail
            };
            Check::new("chain", level, format!("{name}: failed: {reason}")).with_fix(
                if winner.is_some() {
                    "a later source supplied credentials, but this one is configured and broken: fix it or remove its configuration".to_string()
                } else {
                    "fix the problem named above".to_string()
                },
            )
        }
        LinkOutcome::NotTried => Check::ok(
            "chain",
            format!("{name}: not tried (an earlier source won)"),
        ),
        LinkOutcome::Available => {
            let w = winner.unwrap_or_default();
            Check::warn(
                "shadowed",
                format!(
                    "{name} would supply credentials that refresh themselves, but the static credentials of {w} shadow it"
                ),
                unset_fix(w),
            )
        }
        LinkOutcome::Configured { detail } => {
            let w = winner.unwrap_or_default();
            Check::warn(
                "shadowed",
                format!(
                    "{name} is configured ({detail}), but the static credentials of {w} shadow it"
                ),
                unset_fix(w),
            )
        }
    }
}

/// The verdict when no link supplied credentials, naming the last failure's kind (the chain's
/// error is "not loaded" when no link failed, else the kind of the first retryable failure).
fn no_winner_check(error: Option<&Error>) -> Check {
    let reason = match error {
        Some(e) if !e.is_not_loaded() => {
            format!("the last failure was {}", e.kind().name())
        }
        _ => "nothing is configured".to_string(),
    };
    Check::fail(
        "chain",
        format!("no source supplied credentials ({reason}; each source's reason is above)"),
        "configure one source: environment variables, a profile (`aws configure`), a container endpoint or an instance role",
    )
}
