//! The default chain: order, reuse of the winner, the report, and shadowing detection.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{manual_clock, Answer, ScriptedSource};
use freshcreds::env::Env;
use freshcreds::sources::chain::{ChainLink, ChainSource, LinkOutcome};
use freshcreds::sources::environment::StaticVariablesSource;
use freshcreds::sources::{probe_by_fetching, BoxFuture, CredentialSource, Fetched, Probe};
use freshcreds::{ErrorKind, Result};

/// A scripted source whose fetch has no side effects, so the shadowing probe may fetch it.
#[derive(Debug)]
struct FetchProbed(Arc<ScriptedSource>);

impl CredentialSource for FetchProbed {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        self.0.fetch()
    }
    fn probe(&self) -> BoxFuture<'_, Probe> {
        probe_by_fetching(self)
    }
}

fn env_link(vars: &[(&str, &str)]) -> ChainLink {
    ChainLink {
        source: Arc::new(StaticVariablesSource::environment(Env::from_map(
            vars.iter().copied(),
        ))),
        is_static: true,
    }
}

fn props_link(vars: &[(&str, &str)]) -> ChainLink {
    ChainLink {
        source: Arc::new(StaticVariablesSource::system_properties(Env::from_map(
            vars.iter().copied(),
        ))),
        is_static: true,
    }
}

#[tokio::test]
async fn system_properties_come_before_environment_variables() {
    let chain = ChainSource::new(vec![
        props_link(&[
            ("aws.accessKeyId", "AKIDPROPS"),
            ("aws.secretAccessKey", "s"),
        ]),
        env_link(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]),
    ]);
    let f = chain.fetch().await.unwrap();
    assert_eq!(f.credentials.access_key_id(), "AKIDPROPS");
    assert_eq!(chain.report().winner.as_deref(), Some("SystemProperties"));
}

#[tokio::test]
async fn unconfigured_sources_are_skipped_and_reported_with_their_reason() {
    let clock = manual_clock();
    let role = ScriptedSource::fresh(&clock, Duration::from_secs(3600));
    let chain = ChainSource::new(vec![
        props_link(&[]),
        env_link(&[]),
        ChainLink {
            source: role.clone(),
            is_static: false,
        },
    ]);
    let f = chain.fetch().await.unwrap();
    assert_eq!(f.credentials.source(), "Scripted");
    let report = chain.report();
    assert_eq!(report.winner.as_deref(), Some("Scripted"));
    match &report.links[1].outcome {
        LinkOutcome::NotConfigured { reason } => {
            assert!(reason.contains("AWS_ACCESS_KEY_ID"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.links[2].outcome, LinkOutcome::Used);
    assert!(report.shadowed.is_empty());
}

#[tokio::test]
async fn the_winner_is_reused_for_later_refreshes_without_asking_higher_sources() {
    let clock = manual_clock();
    let failing = ScriptedSource::new(&clock, [Answer::Fail(ErrorKind::Http(500))]);
    let role = ScriptedSource::fresh(&clock, Duration::from_secs(3600));
    let chain = ChainSource::new(vec![
        ChainLink {
            source: failing.clone(),
            is_static: false,
        },
        ChainLink {
            source: role.clone(),
            is_static: false,
        },
    ]);
    chain.fetch().await.unwrap();
    chain.fetch().await.unwrap();
    assert_eq!(
        failing.calls(),
        1,
        "the failed higher source is not asked again"
    );
    assert_eq!(role.calls(), 2);
    assert!(matches!(
        chain.report().links[0].outcome,
        LinkOutcome::Failed { .. }
    ));
}

#[tokio::test]
async fn static_environment_keys_above_a_working_role_are_flagged_as_shadowing_it() {
    let clock = manual_clock();
    let role = ScriptedSource::fresh(&clock, Duration::from_secs(3600));
    let chain = ChainSource::new(vec![
        env_link(&[
            ("AWS_ACCESS_KEY_ID", "AKIDSTALE"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]),
        ChainLink {
            source: Arc::new(FetchProbed(role.clone())),
            is_static: false,
        },
    ]);
    let f = chain.fetch().await.unwrap();
    assert_eq!(f.credentials.access_key_id(), "AKIDSTALE");
    // The probe runs in the background; wait for it (bounded).
    let report = chain.settled_report(Duration::from_secs(5)).await;
    assert!(!report.probing, "the probe finishes");
    assert_eq!(report.shadowed, vec!["Scripted".to_string()]);
    assert_eq!(report.links[1].outcome, LinkOutcome::Available);
    assert!(report.to_json().contains("\"shadowed\":[\"Scripted\"]"));
}

#[tokio::test]
async fn no_shadowing_is_reported_when_the_lower_source_does_not_work() {
    let clock = manual_clock();
    let role = ScriptedSource::new(&clock, [Answer::Fail(ErrorKind::Connect)]);
    let chain = ChainSource::new(vec![
        env_link(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]),
        ChainLink {
            source: Arc::new(FetchProbed(role.clone())),
            is_static: false,
        },
    ]);
    chain.fetch().await.unwrap();
    let report = chain.settled_report(Duration::from_secs(5)).await;
    assert!(!report.probing, "the probe finishes");
    assert!(report.shadowed.is_empty());
    assert!(matches!(
        report.links[1].outcome,
        LinkOutcome::Failed { .. }
    ));
}

#[tokio::test]
async fn an_empty_chain_says_what_each_source_lacked() {
    let chain = ChainSource::new(vec![props_link(&[]), env_link(&[])]);
    let e = chain.fetch().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConfigured);
    assert!(
        e.message().contains(
            "SystemProperties: not configured (Java system property aws.accessKeyId is not set)"
        ),
        "{}",
        e.message()
    );
    assert!(
        e.message().contains("Environment: not configured"),
        "{}",
        e.message()
    );
}
