//! Cached read latency of the credentials a caller gets on every request, with 1 and 8 threads
//! calling at once, all against the local AWS simulator's IMDS:
//!
//! - `freshcreds_cached`: `RefreshEngine::cached()` (what the JNI bridge and the C ABI call);
//! - `freshcreds_credentials_async`: `RefreshEngine::credentials().await`, polled the way an
//!   async caller would (one current-thread tokio runtime per calling thread);
//! - `sdk_lazy_identity_cache`: the AWS SDK for Rust's lazy identity cache (the one every SDK
//!   client uses by default) around `aws-config`'s IMDS credentials provider, polled the same way.
//!
//! Each sample runs `threads` OS threads released together by a barrier; each thread makes
//! `iters` calls. The time reported per iteration is the wall time of the whole batch divided by
//! `iters`: the latency one caller sees per call while `threads` callers contend (on a machine
//! with fewer cores than threads this includes waiting for a core).

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

use freshcreds::clock::SystemClock;
use freshcreds::refresh::{RefreshConfig, RefreshEngine};
use freshcreds::sources::imds::{ImdsConfig, ImdsCredentialsSource};
use freshcreds_sim::{SimConfig, Simulator};

use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime::client::identity::IdentityCache;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::identity::{
    Identity, ResolveCachedIdentity, SharedIdentityCache, SharedIdentityResolver,
};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

const THREADS: [usize; 2] = [1, 8];

/// Runs `call` `iters` times on each of `threads` threads started together; returns the wall
/// time of the batch. `per_thread` builds each thread's state (e.g. a runtime) outside the timing.
fn contended<S, F>(
    threads: usize,
    iters: u64,
    per_thread: impl Fn() -> S + Sync,
    call: F,
) -> Duration
where
    F: Fn(&mut S) + Sync,
{
    let ready = Barrier::new(threads + 1);
    let done = Barrier::new(threads + 1);
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut state = per_thread();
                ready.wait();
                for _ in 0..iters {
                    call(&mut state);
                }
                done.wait();
            });
        }
        ready.wait();
        let start = Instant::now();
        done.wait();
        start.elapsed()
    })
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

struct SdkCache {
    cache: SharedIdentityCache,
    resolver: SharedIdentityResolver,
    components: RuntimeComponents,
    config: ConfigBag,
}

impl SdkCache {
    /// What an SDK client does before signing each request. Must run inside a tokio runtime:
    /// the cache arms its load timeout when called, before the future is polled.
    async fn resolve(&self) -> Result<Identity, BoxError> {
        self.cache
            .resolve_cached_identity(self.resolver.clone(), &self.components, &self.config)
            .await
    }
}

fn sdk_cache(runtime: &tokio::runtime::Runtime, base_url: &str) -> SdkCache {
    let _guard = runtime.enter();
    let provider_config = ProviderConfig::without_region()
        .with_http_client(aws_smithy_http_client::Builder::new().build_http())
        .with_sleep_impl(TokioSleep::new());
    let imds = aws_config::imds::Client::builder()
        .configure(&provider_config)
        .endpoint(base_url)
        .expect("simulator URL")
        .build();
    let provider = ImdsCredentialsProvider::builder()
        .configure(&provider_config)
        .imds_client(imds)
        .build();
    let resolver = SharedIdentityResolver::new(SharedCredentialsProvider::new(provider));
    // Only the time source and the sleep are used by the lazy cache; the other required
    // components are placeholders that are never called.
    let components = RuntimeComponentsBuilder::for_tests()
        .with_time_source(Some(SharedTimeSource::default()))
        .with_sleep_impl(Some(SharedAsyncSleep::new(TokioSleep::new())))
        .build()
        .expect("runtime components");
    SdkCache {
        cache: IdentityCache::lazy().build(),
        resolver,
        components,
        config: ConfigBag::base(),
    }
}

fn cached_reads(c: &mut Criterion) {
    let sim = Simulator::start_blocking(SimConfig::default()).expect("simulator");
    let base_url = sim.base_url();
    let engine_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");

    // freshcreds: the refresh engine over its IMDS source, pointed at the simulator.
    let imds_config = ImdsConfig {
        endpoint: base_url.parse().expect("simulator URL"),
        ..ImdsConfig::default()
    };
    let clock = Arc::new(SystemClock::new());
    let source = ImdsCredentialsSource::new(imds_config, clock.clone()).expect("IMDS source");
    let provider = RefreshEngine::spawn_on(
        Arc::new(source),
        RefreshConfig::default(),
        clock,
        engine_runtime.handle(),
    );
    engine_runtime
        .block_on(provider.credentials())
        .expect("first credentials from the simulator");

    // AWS SDK for Rust: lazy identity cache around aws-config's IMDS provider, primed once.
    let sdk = sdk_cache(&engine_runtime, &base_url);
    let sdk_key = engine_runtime
        .block_on(sdk.resolve())
        .expect("first SDK identity from the simulator");
    assert!(sdk_key.expiration().is_some(), "IMDS credentials expire");
    let imds_calls_before = sim.counts().imds_credentials;

    let mut group = c.benchmark_group("cached_read");
    for threads in THREADS {
        group.bench_with_input(
            BenchmarkId::new("freshcreds_cached", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    contended(
                        threads,
                        iters,
                        || (),
                        |_| {
                            black_box(provider.cached().expect("cached credentials"));
                        },
                    )
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("freshcreds_credentials_async", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    contended(threads, iters, current_thread_runtime, |rt| {
                        black_box(rt.block_on(provider.credentials()).expect("credentials"));
                    })
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("sdk_lazy_identity_cache", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    contended(threads, iters, current_thread_runtime, |rt| {
                        black_box(rt.block_on(sdk.resolve()).expect("identity"));
                    })
                })
            },
        );
    }
    group.finish();

    // Every read above was served from a cache: neither side went back to IMDS.
    let imds_calls_after = sim.counts().imds_credentials;
    assert_eq!(
        imds_calls_before, imds_calls_after,
        "a cached read reached IMDS ({imds_calls_before} credential calls before the benchmark, {imds_calls_after} after)"
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = cached_reads
}
criterion_main!(benches);
