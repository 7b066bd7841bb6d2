//! The one tokio runtime of the process for hosts that are not async themselves (JNI, C ABI):
//! created lazily on first use, two named worker threads, never torn down.

use once_cell::sync::OnceCell;
use tokio::runtime::Runtime;

use crate::error::{Error, ErrorKind, Result};

static RUNTIME: OnceCell<Runtime> = OnceCell::new();

/// Worker threads of the shared runtime: refreshes are I/O-bound and rare.
pub(crate) const WORKER_THREADS: usize = 2;

/// The shared runtime, built on first call. A failure to build it is an error, not a panic.
pub fn shared() -> Result<&'static Runtime> {
    RUNTIME.get_or_try_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("freshcreds-worker")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    "could not start the freshcreds runtime",
                )
                .with_source(e)
            })
    })
}
