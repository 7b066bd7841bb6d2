//! The refresh engine over the real IMDS source against the simulator: single flight, callers
//! never blocked by a slow refresh, one token for many refreshes, and static stability during an
//! IMDS outage.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{arc_clock, cached_key, settle, wait_rounds};
use freshcreds::clock::{ManualClock, SystemClock};
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::imds::{ImdsConfig, ImdsCredentialsSource};
use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};

const HOUR: Duration = Duration::from_secs(3600);

async fn setup(
    lifetime: Duration,
    rotation_lead: Duration,
) -> (Simulator, ManualClock, RefreshEngine) {
    let sim = Simulator::start(SimConfig {
        credential_lifetime: lifetime,
        imds_rotation_lead: rotation_lead,
        ..Default::default()
    })
    .await
    .unwrap();
    let clock = ManualClock::starting_now();
    let config = ImdsConfig {
        endpoint: sim.base_url().parse().unwrap(),
        timeout: Duration::from_secs(2),
        ..ImdsConfig::default()
    };
    // The source's own retries and token lifetime run on real time; the engine's schedule on
    // the manual clock, moved together with the simulator's.
    let source = ImdsCredentialsSource::new(config, Arc::new(SystemClock::new())).unwrap();
    let cfg = RefreshConfig {
        lead: Some(Duration::from_secs(10 * 60)),
        jitter: Duration::ZERO,
        ..RefreshConfig::default()
    };
    let provider = RefreshEngine::spawn(Arc::new(source), cfg, arc_clock(&clock));
    provider
        .credentials()
        .await
        .expect("first fetch from the simulator");
    (sim, clock, provider)
}

/// Moves both the provider's clock and the simulator's by `by`.
fn advance(sim: &Simulator, clock: &ManualClock, by: Duration) {
    sim.advance_time(by);
    clock.advance(by);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_callers_cause_one_refresh_round_and_none_waits_for_a_slow_imds() {
    let (sim, clock, provider) = setup(HOUR, Duration::from_secs(15 * 60)).await;
    let first = cached_key(&provider);
    sim.reset_counts();
    sim.set_fault(Endpoint::ImdsCredentials, Fault::default().latency_ms(500));

    // 64 callers read continuously, each counting its reads.
    let stop = Arc::new(AtomicBool::new(false));
    let counters: Arc<Vec<AtomicU64>> = Arc::new((0..64).map(|_| AtomicU64::new(0)).collect());
    let threads: Vec<_> = (0..64)
        .map(|i| {
            let (p, stop, counters) = (provider.clone(), stop.clone(), counters.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let served = p.cached().expect("always served");
                    assert!(!served.stale);
                    counters[i].fetch_add(1, Ordering::Relaxed);
                    std::thread::yield_now();
                }
            })
        })
        .collect();
    let mut rounds = provider.rounds();
    let before = *rounds.borrow();
    let started = Instant::now();
    advance(&sim, &clock, 50 * 60 * Duration::from_secs(1));
    // Wait until the refresh request has reached the (slow) simulator, then check that every
    // caller keeps completing reads while it is in flight.
    while sim.counts().imds_credentials == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let snapshot = |c: &Vec<AtomicU64>| {
        c.iter()
            .map(|a| a.load(Ordering::Relaxed))
            .collect::<Vec<_>>()
    };
    let at_start = snapshot(&counters);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_flight = *rounds.borrow() == before;
    let later = snapshot(&counters);
    wait_rounds(&mut rounds, before + 1).await;
    let round_took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        in_flight,
        "the refresh was still in flight during the observation"
    );
    let stalled: Vec<usize> = (0..64).filter(|&i| later[i] == at_start[i]).collect();
    assert!(
        stalled.is_empty(),
        "callers {stalled:?} made no progress while the refresh was in flight"
    );
    let counts = sim.counts();
    assert_eq!(
        counts.imds_credentials, 1,
        "one refresh round for 64 callers: {counts:?}"
    );
    assert!(
        round_took >= Duration::from_millis(500),
        "the refresh really was slow: {round_took:?}"
    );
    assert_ne!(
        provider.cached().unwrap().credentials.access_key_id(),
        first,
        "rotated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_refreshes_use_one_imds_token() {
    let (sim, clock, provider) = setup(HOUR, Duration::from_secs(15 * 60)).await;
    let mut rounds = provider.rounds();
    for i in 1..=4u64 {
        let before = *rounds.borrow();
        advance(&sim, &clock, 50 * 60 * Duration::from_secs(1));
        wait_rounds(&mut rounds, before + 1).await;
        // Let the next hour start from the refreshed credentials.
        advance(&sim, &clock, 10 * 60 * Duration::from_secs(1));
        settle().await;
        assert!(provider.stats().refreshes.load(Ordering::Relaxed) >= i);
    }
    let counts = sim.counts();
    assert_eq!(
        counts.imds_token, 1,
        "the IMDSv2 token (6 h) is reused across refreshes: {counts:?}"
    );
    assert!(counts.imds_credentials >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_down_at_expiry_keeps_serving_the_old_credentials_flagged_then_recovers() {
    let (sim, clock, provider) = setup(HOUR, Duration::from_secs(15 * 60)).await;
    let first = cached_key(&provider);
    for e in [
        Endpoint::ImdsToken,
        Endpoint::ImdsRoleList,
        Endpoint::ImdsCredentials,
    ] {
        sim.set_fault(e, Fault::default().status(503));
    }
    let mut rounds = provider.rounds();
    advance(&sim, &clock, HOUR + Duration::from_secs(1));
    wait_rounds(&mut rounds, 2).await;
    let served = provider.credentials().await.expect("static stability");
    assert!(served.stale);
    assert_eq!(served.credentials.access_key_id(), first);
    assert!(provider.stats().stale_extensions.load(Ordering::Relaxed) >= 1);
    assert!(provider.status().last_error.unwrap().contains("503"));
    sim.clear_faults();
    let fresh = provider.refresh().await.expect("IMDS is back");
    assert!(!fresh.stale);
    assert_ne!(fresh.credentials.access_key_id(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_still_serving_old_credentials_past_the_lead_is_polled_until_it_rotates() {
    // The simulator rotates only 5 minutes before expiry; we refresh 10 minutes before.
    let (sim, clock, provider) = setup(HOUR, Duration::from_secs(5 * 60)).await;
    let first = cached_key(&provider);
    sim.reset_counts();
    advance(&sim, &clock, 50 * 60 * Duration::from_secs(1));
    // Walk ten minutes in 5-second steps: the engine polls with backoff and sees the rotation
    // once the simulator mints new credentials at expiry - 5 min.
    for _ in 0..(10 * 12) {
        settle().await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        advance(&sim, &clock, Duration::from_secs(5));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.cached().unwrap().credentials.access_key_id() == first
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_ne!(
        provider.cached().unwrap().credentials.access_key_id(),
        first,
        "rotated credentials picked up"
    );
    assert!(
        provider.stats().unrotated_polls.load(Ordering::Relaxed) >= 1,
        "old credentials were polled again"
    );
    assert!(sim.counts().imds_credentials >= 2);
}
