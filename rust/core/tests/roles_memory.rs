//! What an idle role session costs in native memory: role sessions over one shared base, each
//! resolved once, counted by a global allocator that tracks live heap bytes. The per-session
//! cost is the slope between two counts of sessions (what every process has once, the runtime,
//! the base's engine, the STS client and its connections, cancels out), and it must stay within
//! [`MAX_IDLE_ROLE_SESSION_BYTES`].
//!
//! STS is a loopback server that answers every `AssumeRole` with new credentials and keeps
//! nothing per call (the simulator keeps a record of every call, which would count as ours).

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use freshcreds::env::Env;
use freshcreds::host::shared_bases::MAX_IDLE_ROLE_SESSION_BYTES;
use freshcreds::host::{FreshSource, SourceOptions};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Counts live heap bytes and allocation calls.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ACCESS_KEY_ID: &str = "AKIDMEMORYTESTBASE";
const SECRET_ACCESS_KEY: &str = "memory/test/base/secret/key/not/a/secret";
/// As long as the session tokens STS hands out for a role (several hundred characters).
const SESSION_TOKEN_CHARS: usize = 800;

/// An STS on loopback: every request gets new role credentials valid for an hour.
fn start_sts(runtime: &tokio::runtime::Runtime) -> String {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
                    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
                    let expiration = (chrono::Utc::now() + chrono::Duration::hours(1))
                        .format("%Y-%m-%dT%H:%M:%SZ");
                    let token = "T".repeat(SESSION_TOKEN_CHARS);
                    let body = format!(
                        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                         <AssumeRoleResult><AssumedRoleUser>\
                         <Arn>arn:aws:sts::123456789012:assumed-role/tenant/tenant</Arn>\
                         <AssumedRoleId>AROAMEMORYTEST:tenant</AssumedRoleId></AssumedRoleUser>\
                         <Credentials><AccessKeyId>ASIAMEMORY{n:010}</AccessKeyId>\
                         <SecretAccessKey>memory/test/role/secret/{n:010}/abcdefgh</SecretAccessKey>\
                         <SessionToken>{token}</SessionToken>\
                         <Expiration>{expiration}</Expiration></Credentials>\
                         </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId>\
                         </ResponseMetadata></AssumeRoleResponse>"
                    );
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("content-type", "text/xml")
                            .body(Full::new(Bytes::from(body)))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

fn role_session(sts: &str, env: &Env, i: usize) -> FreshSource {
    let role = format!("arn:aws:iam::123456789012:role/tenant-{i}");
    let options = SourceOptions::from_pairs([
        ("source", "environment"),
        ("stsEndpoint", sts),
        ("roleArn", role.as_str()),
        ("roleSessionName", "tenant"),
    ])
    .unwrap();
    let provider = FreshSource::with_env(options, env.clone()).unwrap();
    let snapshot = provider.credentials().unwrap();
    assert!(snapshot
        .credentials
        .access_key_id()
        .starts_with("ASIAMEMORY"));
    provider
}

/// Live heap bytes once the engines' tasks have gone back to sleep after their rounds.
fn settled_live() -> i64 {
    std::thread::sleep(Duration::from_millis(300));
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn an_idle_role_session_costs_at_most_the_bound_in_native_memory() {
    let sts_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sts = start_sts(&sts_runtime);
    let home = tempfile::tempdir().unwrap();
    let env = Env::from_map([
        ("HOME", home.path().display().to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]);
    const WARM: usize = 100;
    const MORE: usize = 1_000;
    let mut sessions: Vec<FreshSource> = (0..WARM).map(|i| role_session(&sts, &env, i)).collect();
    let before = settled_live();
    let calls_before = CALLS.load(Ordering::Relaxed);
    sessions.extend((WARM..WARM + MORE).map(|i| role_session(&sts, &env, i)));
    let after = settled_live();
    let calls = CALLS.load(Ordering::Relaxed) - calls_before;
    let per_session = (after - before) / MORE as i64;
    eprintln!(
        "an idle role session: {per_session} live heap bytes, {} allocations to create and resolve it",
        calls / MORE as u64
    );
    assert!(
        per_session <= MAX_IDLE_ROLE_SESSION_BYTES as i64,
        "an idle role session holds {per_session} bytes of native heap, more than \
         MAX_IDLE_ROLE_SESSION_BYTES ({MAX_IDLE_ROLE_SESSION_BYTES})"
    );
    // Closing the sessions gives the memory back (what is left is the runtime's own).
    for s in &sessions {
        s.close();
    }
    drop(sessions);
    let closed = settled_live();
    assert!(
        closed - before < (after - before) / 10,
        "closing {} sessions left {} bytes of {} allocated",
        WARM + MORE,
        closed - before,
        after - before
    );
}
