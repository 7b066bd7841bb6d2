//! The container credentials answer, its error document, and the relative URI check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    freshcreds::sources::container::fuzz_container(data);
});
