//! The default credential chain: sources tried in the AWS SDK for Java v2 order, the first that
//! answers wins and is reused for every later refresh, and a report says, source by source, what
//! happened — including **shadowing**: static keys high in the chain hiding a lower source that
//! would have worked (the classic `AWS_ACCESS_KEY_ID` left on an instance that has a role).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use serde::Serialize;

use super::{notice, BoxFuture, CredentialSource, Fetched, Probe};
use crate::error::{Error, ErrorKind, Result};

/// Logged once (INFO) when static credentials hide a lower source that works.
pub const INFO_SHADOWED: &str = "static credentials are hiding a working credential source";

/// What happened to one source when the chain was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum LinkOutcome {
    /// This source supplied the credentials.
    Used,
    /// Nothing configured for this source here.
    NotConfigured {
        /// Why (e.g. which variable is unset).
        reason: String,
    },
    /// Configured, but it failed.
    Failed {
        /// The error.
        reason: String,
    },
    /// Below the winner and not asked.
    NotTried,
    /// Below a static winner, and it would have worked: it is shadowed.
    Available,
    /// Below a static winner, configured, and not asked because asking has side effects (a
    /// process, an STS call, a new session): it is shadowed too.
    Configured {
        /// What it would do.
        detail: String,
    },
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkReport {
    /// The source's name.
    pub source: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: LinkOutcome,
    /// What changed in this source's configuration since the chain was built (e.g. "…/credentials
    /// changed; re-read at …"), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<String>,
    /// Warnings the source raised while it was tried or probed and did not win (they are logged
    /// at DEBUG only: advice about a source that lost misleads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl LinkReport {
    fn of(source: &dyn CredentialSource, outcome: LinkOutcome) -> Self {
        LinkReport {
            source: source.name().to_string(),
            outcome,
            changed: source.last_change(),
            warnings: Vec::new(),
        }
    }
}

/// The result of resolving the chain. Holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolutionReport {
    /// Every source, in chain order.
    pub links: Vec<LinkReport>,
    /// The source that supplied the credentials.
    pub winner: Option<String>,
    /// Sources below a static winner that would have worked.
    pub shadowed: Vec<String>,
    /// Whether the lower sources are still being probed for shadowing.
    pub probing: bool,
}

impl ResolutionReport {
    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// One source in the chain, and whether its credentials are static (never refresh themselves).
#[derive(Debug, Clone)]
pub struct ChainLink {
    /// The source.
    pub source: Arc<dyn CredentialSource>,
    /// True for long-term keys or copied session tokens (environment, system properties,
    /// static profile keys): when such a source wins, lower sources are probed for shadowing.
    pub is_static: bool,
}

/// The chain as one source for the refresh engine.
#[derive(Debug)]
pub struct ChainSource {
    links: Vec<ChainLink>,
    winner: Mutex<Option<usize>>,
    report: Arc<Mutex<ResolutionReport>>,
    /// Bumped whenever a shadowing probe finishes, so callers can wait for a settled report.
    probes_done: Arc<watch::Sender<u64>>,
}

impl ChainSource {
    /// A chain of `links`, tried in order.
    pub fn new(links: Vec<ChainLink>) -> Self {
        ChainSource {
            links,
            winner: Mutex::new(None),
            report: Arc::new(Mutex::new(ResolutionReport::default())),
            probes_done: Arc::new(watch::channel(0).0),
        }
    }

    /// The names of the links whose credentials never refresh themselves.
    pub fn static_links(&self) -> Vec<String> {
        self.links
            .iter()
            .filter(|l| l.is_static)
            .map(|l| l.source.name().to_string())
            .collect()
    }

    /// The latest resolution report.
    pub fn report(&self) -> ResolutionReport {
        self.report.lock().expect("report").clone()
    }

    /// The report once the background shadowing probe has finished, or as it stands after
    /// `timeout` (then `probing` is still true).
    pub async fn settled_report(&self, timeout: Duration) -> ResolutionReport {
        let mut done = self.probes_done.subscribe();
        let wait = async {
            loop {
                let report = self.report();
                if !report.probing {
                    return report;
                }
                if done.changed().await.is_err() {
                    return report;
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(report) => report,
            Err(_) => self.report(),
        }
    }

    /// Tries every source in order; the first that answers wins.
    pub async fn resolve(&self) -> Result<Fetched> {
        let mut links = Vec::with_capacity(self.links.len());
        let mut retryable: Option<Error> = None;
        for (i, link) in self.links.iter().enumerate() {
            let name = link.source.name().to_string();
            let (answer, warnings) = notice::collect(link.source.fetch()).await;
            if answer.is_ok() {
                notice::emit(&name, &warnings);
            }
            let report_warnings = if answer.is_ok() { Vec::new() } else { warnings };
            match answer {
                Ok(fetched) => {
                    links.push(LinkReport::of(link.source.as_ref(), LinkOutcome::Used));
                    let rest = &self.links[i + 1..];
                    links.extend(
                        rest.iter()
                            .map(|l| LinkReport::of(l.source.as_ref(), LinkOutcome::NotTried)),
                    );
                    *self.winner.lock().expect("winner") = Some(i);
                    let probing = link.is_static && !rest.is_empty();
                    *self.report.lock().expect("report") = ResolutionReport {
                        links,
                        winner: Some(name.clone()),
                        shadowed: vec![],
                        probing,
                    };
                    if probing {
                        self.probe_below(i, name);
                    }
                    return Ok(fetched);
                }
                Err(e) => {
                    let reason = e.full_message();
                    let outcome = if e.is_not_loaded() {
                        LinkOutcome::NotConfigured { reason }
                    } else {
                        tracing::debug!(source = %name, "credential source failed: {reason}");
                        LinkOutcome::Failed { reason }
                    };
                    let mut r = LinkReport::of(link.source.as_ref(), outcome);
                    r.warnings = report_warnings;
                    links.push(r);
                    if !e.is_not_loaded() && e.is_retryable() && retryable.is_none() {
                        retryable = Some(e);
                    }
                }
            }
        }
        let summary: Vec<String> = links
            .iter()
            .map(|l| match &l.outcome {
                LinkOutcome::NotConfigured { reason } => {
                    format!("{}: not configured ({reason})", l.source)
                }
                LinkOutcome::Failed { reason } => format!("{}: failed ({reason})", l.source),
                _ => l.source.clone(),
            })
            .collect();
        *self.report.lock().expect("report") = ResolutionReport {
            links,
            winner: None,
            shadowed: vec![],
            probing: false,
        };
        let kind = retryable
            .map(|e| e.kind())
            .unwrap_or(ErrorKind::NotConfigured);
        Err(Error::new(
            kind,
            format!(
                "no credentials from the default chain: {}",
                summary.join("; ")
            ),
        ))
    }

    /// Asks every source below the static winner, in the background, whether it would have
    /// worked; records and logs (once, INFO) the ones that would.
    fn probe_below(&self, winner: usize, winner_name: String) {
        let lower: Vec<(usize, Arc<dyn CredentialSource>)> = self
            .links
            .iter()
            .enumerate()
            .skip(winner + 1)
            .map(|(i, l)| (i, l.source.clone()))
            .collect();
        let report = self.report.clone();
        let probes_done = self.probes_done.clone();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        handle.spawn(async move {
            let mut shadowed = vec![];
            for (i, source) in lower {
                // Quiet and side-effect free: `probe`, never `fetch`; warnings go to the report.
                let (probe, warnings) = notice::collect(source.probe()).await;
                let outcome = match probe {
                    Probe::Available => {
                        shadowed.push(source.name().to_string());
                        LinkOutcome::Available
                    }
                    Probe::Configured(detail) => {
                        shadowed.push(source.name().to_string());
                        LinkOutcome::Configured { detail }
                    }
                    Probe::NotConfigured(reason) => LinkOutcome::NotConfigured { reason },
                    Probe::Failed(reason) => {
                        tracing::debug!(source = %source.name(), "shadowing probe: {reason}");
                        LinkOutcome::Failed { reason }
                    }
                };
                let mut r = report.lock().expect("report");
                if let Some(link) = r.links.get_mut(i) {
                    link.outcome = outcome;
                    link.warnings = warnings;
                }
            }
            {
                let mut r = report.lock().expect("report");
                r.probing = false;
                r.shadowed = shadowed.clone();
            }
            probes_done.send_modify(|n| *n += 1);
            if !shadowed.is_empty() {
                tracing::info!(
                    winner = %winner_name,
                    shadowed = %shadowed.join(", "),
                    "{INFO_SHADOWED}: {winner_name} supplies static credentials that never refresh themselves, while {} would have supplied refreshing ones; remove the static credentials to use it",
                    shadowed.join(", ")
                );
            }
        });
    }
}

impl CredentialSource for ChainSource {
    fn name(&self) -> &str {
        "DefaultChain"
    }

    fn report(&self) -> Option<ResolutionReport> {
        Some(ChainSource::report(self))
    }

    fn long_term_recheck(&self) -> Option<std::time::Duration> {
        let winner = (*self.winner.lock().expect("winner"))?;
        self.links[winner].source.long_term_recheck()
    }

    fn lifetime_cap(&self) -> Option<super::LifetimeCap> {
        let winner = (*self.winner.lock().expect("winner"))?;
        self.links[winner].source.lifetime_cap()
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let winner = *self.winner.lock().expect("winner");
            if let Some(i) = winner {
                let answer = self.links[i].source.fetch().await;
                if let Some(change) = self.links[i].source.last_change() {
                    let mut r = self.report.lock().expect("report");
                    if let Some(link) = r.links.get_mut(i) {
                        link.changed = Some(change);
                    }
                }
                match answer {
                    Err(e) if e.is_not_loaded() => {
                        tracing::info!(source = %self.links[i].source.name(), "credential source no longer configured; resolving the chain again");
                    }
                    other => return other,
                }
            }
            self.resolve().await
        })
    }
}
