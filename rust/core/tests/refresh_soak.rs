//! A time-compressed soak of the refresh engine: 10,000 credential rotations on the manual
//! clock with 64 concurrent readers and random faults (unrotated answers, expired answers,
//! retryable and non-retryable errors, latency, panics, wall-clock jumps), checking every read
//! against true time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use freshcreds::clock::{Clock, ManualClock};
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::{BoxFuture, CredentialSource, Fetched};
use freshcreds::{Credentials, Error, ErrorKind, Result};
use rand::{Rng, SeedableRng};

/// Rotations the soak runs through.
const ROTATIONS: u64 = 10_000;
/// Concurrent readers.
const READERS: usize = 64;
/// The message of the panics the source injects.
const INJECTED_PANIC: &str = "an injected bug in the source";
/// The local clock is at most this far from true time.
const MAX_WALL_SHIFT_SECS: i64 = 300;
/// Lifetime of each credential: short, so that rotations are many.
const LIFETIME: Duration = Duration::from_secs(120);

#[derive(Debug)]
struct FaultySource {
    clock: ManualClock,
    rng: Mutex<rand::rngs::StdRng>,
    last: Mutex<Option<Credentials>>,
    issued: AtomicU64,
    outage_until: Mutex<Duration>,
}

impl CredentialSource for FaultySource {
    fn name(&self) -> &str {
        "Faulty"
    }
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(async move {
            let (roll, latency) = {
                let mut rng = self.rng.lock().unwrap();
                // Now and then an outage: every call fails for up to 5 minutes.
                let mut outage = self.outage_until.lock().unwrap();
                if *outage <= self.clock.now() && rng.gen_bool(0.02) {
                    *outage = self.clock.now() + Duration::from_secs(rng.gen_range(1..300));
                }
                if *outage > self.clock.now() {
                    return Err(Error::new(ErrorKind::Connect, "outage"));
                }
                let latency = if rng.gen_bool(0.1) {
                    Duration::from_millis(rng.gen_range(0..3000))
                } else {
                    Duration::ZERO
                };
                (rng.gen_range(0..100u32), latency)
            };
            if !latency.is_zero() {
                self.clock.sleep(latency).await;
            }
            let now = self.clock.true_wall();
            let credentials = match roll {
                0..=59 => {
                    let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
                    let c = Credentials::new(
                        format!("ASIASOAK{n:08}"),
                        "secret",
                        Some("token".into()),
                        Some(now + chrono::Duration::from_std(LIFETIME).unwrap()),
                        "Faulty",
                    );
                    *self.last.lock().unwrap() = Some(c.clone());
                    c
                }
                60..=74 => match self.last.lock().unwrap().clone() {
                    Some(c) => c,
                    None => return Err(Error::new(ErrorKind::Connect, "not yet")),
                },
                75..=79 => Credentials::new(
                    "ASIASOAKEXPIRED",
                    "secret",
                    Some("token".into()),
                    Some(now - chrono::Duration::seconds(5)),
                    "Faulty",
                ),
                80..=89 => return Err(Error::new(ErrorKind::Http(503), "unavailable")),
                90..=96 => return Err(Error::new(ErrorKind::Refused, "access denied")),
                97..=98 => return Err(Error::new(ErrorKind::Timeout, "timed out")),
                _ => std::panic::panic_any(INJECTED_PANIC),
            };
            Ok(Fetched {
                credentials,
                server_date: Some(now),
            })
        })
    }
}

/// Every read checked against true time: no expired credentials unflagged, and stale ones handed
/// on with an expiry after the local time of the read. That check used to allow five minutes
/// (the largest wall shift) for every read; it now does only for the few reads a wall jump
/// overlaps. Handing on an expiry 60 s short (a mutation of `served` in
/// `rust/core/src/refresh/mod.rs`, by hand, reverted) fails it: 222 stale reads with a past expiry in
/// one run, where the five-minute allowance passed the same mutation.
#[test]
fn ten_thousand_rotations_with_64_readers_and_random_faults_never_serve_expired_credentials_unflagged(
) {
    // The injected panics are expected: keep them out of the output (and skip the backtraces).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let injected = info
            .payload()
            .downcast_ref::<&str>()
            .is_some_and(|m| *m == INJECTED_PANIC);
        if !injected {
            default_hook(info);
        }
    }));
    // The engine and the loop that moves time share one thread; the readers run on their own
    // runtime, so they read concurrently with every round.
    let readers_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let clock = ManualClock::starting_now();
        let source = Arc::new(FaultySource {
            clock: clock.clone(),
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(0x5eed)),
            last: Mutex::new(None),
            issued: AtomicU64::new(0),
            outage_until: Mutex::new(Duration::ZERO),
        });
        let config = RefreshConfig {
            lead: Some(Duration::from_secs(40)),
            jitter: Duration::from_secs(5),
            ..RefreshConfig::default()
        };
        let provider = RefreshEngine::spawn(source.clone(), config, Arc::new(clock.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicU64::new(0));
        let stale_reads = Arc::new(AtomicU64::new(0));
        let violations = Arc::new(AtomicU64::new(0));
        // Stale reads checked against the local time of the read itself (no wall jump during it).
        let exact_checks = Arc::new(AtomicU64::new(0));
        // Odd while the loop below jumps the wall clock: a read that saw no jump start or end
        // knows the local time the engine read.
        let wall_jumps = Arc::new(AtomicU64::new(0));
        let valid_violations = Arc::new(AtomicU64::new(0));
        let mut readers = Vec::new();
        for _ in 0..READERS {
            let (p, clock, stop) = (provider.clone(), clock.clone(), stop.clone());
            let (reads, stale_reads, violations, valid_violations) = (
                reads.clone(),
                stale_reads.clone(),
                violations.clone(),
                valid_violations.clone(),
            );
            let (exact_checks, wall_jumps) = (exact_checks.clone(), wall_jumps.clone());
            readers.push(readers_runtime.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    // Time read before the read: the engine reads it at the same moment or later.
                    let true_now = clock.true_wall();
                    let jumps_before = wall_jumps.load(Ordering::SeqCst);
                    let local_now = clock.wall();
                    if let Some(s) = p.cached() {
                        let no_jump = jumps_before % 2 == 0
                            && wall_jumps.load(Ordering::SeqCst) == jumps_before;
                        reads.fetch_add(1, Ordering::Relaxed);
                        if s.stale {
                            stale_reads.fetch_add(1, Ordering::Relaxed);
                            // Handed on, stale credentials carry an expiry after the moment of
                            // the read on the local clock (which the other process compares
                            // with): exactly when no wall jump overlapped the read (time only
                            // moves forward then, so the engine read `local_now` or later),
                            // else at least true time minus the largest wall shift.
                            let floor = if no_jump {
                                exact_checks.fetch_add(1, Ordering::Relaxed);
                                local_now
                            } else {
                                true_now - chrono::Duration::seconds(MAX_WALL_SHIFT_SECS)
                            };
                            if s.expiration.is_none_or(|e| e <= floor) {
                                violations.fetch_add(1, Ordering::Relaxed);
                            }
                        } else if s.credentials.expiration().is_some_and(|e| e <= true_now) {
                            valid_violations.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    tokio::task::yield_now().await;
                }
            }));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let started = std::time::Instant::now();
        while provider.stats().refreshes.load(Ordering::Relaxed) < ROTATIONS {
            assert!(
                started.elapsed() < Duration::from_secs(240),
                "soak too slow: {} rotations",
                provider.stats().refreshes.load(Ordering::Relaxed)
            );
            // Wait for the engine to sleep, then move time to its next wake-up.
            let mut spins = 0;
            let wait = loop {
                match clock.until_next_wake() {
                    Some(d) if !d.is_zero() => break d,
                    _ => {
                        spins += 1;
                        assert!(spins < 1_000_000, "the engine never went back to sleep");
                        tokio::task::yield_now().await;
                    }
                }
            };
            if rng.gen_bool(0.01) {
                // A jump of the local clock, keeping it within MAX_WALL_SHIFT_SECS of true time.
                let offset = (clock.wall() - clock.true_wall()).num_seconds();
                let jump = rng.gen_range(-MAX_WALL_SHIFT_SECS..MAX_WALL_SHIFT_SECS) - offset;
                wall_jumps.fetch_add(1, Ordering::SeqCst);
                clock.shift_wall(chrono::Duration::seconds(jump));
                wall_jumps.fetch_add(1, Ordering::SeqCst);
            }
            // To the next wake-up, or to a random point before it, so reads sample every moment.
            let step = if rng.gen_bool(0.5) {
                wait
            } else {
                Duration::from_millis(rng.gen_range(1..=wait.as_millis().max(1) as u64))
            };
            clock.advance(step);
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.await.unwrap();
        }
        let stats = provider.stats();
        let rotations = stats.refreshes.load(Ordering::Relaxed);
        let rounds = stats.rounds.load(Ordering::Relaxed);
        let reads = reads.load(Ordering::Relaxed);
        println!(
            "soak: {rotations} rotations, {rounds} rounds, {} panics caught, {reads} reads ({} stale, flagged; {} of them checked against the local time of the read), {} expired reads not flagged, {} stale reads handed out with a past expiry, {:?} of real time",
            stats.panics.load(Ordering::Relaxed),
            stale_reads.load(Ordering::Relaxed),
            exact_checks.load(Ordering::Relaxed),
            valid_violations.load(Ordering::Relaxed),
            violations.load(Ordering::Relaxed),
            started.elapsed()
        );
        assert!(rotations >= ROTATIONS);
        assert!(reads > 100_000, "readers ran: {reads}");
        assert_eq!(
            valid_violations.load(Ordering::Relaxed),
            0,
            "expired credentials served unflagged"
        );
        assert_eq!(
            violations.load(Ordering::Relaxed),
            0,
            "stale credentials handed out with an expiry in the past"
        );
        let (stale, exact) = (
            stale_reads.load(Ordering::Relaxed),
            exact_checks.load(Ordering::Relaxed),
        );
        assert!(
            stale > 1000 && exact * 10 >= stale * 9,
            "most stale reads are checked against the local time of the read: {exact} of {stale}"
        );
        assert!(stats.panics.load(Ordering::Relaxed) > 0, "panics were injected and survived");
    });
}
