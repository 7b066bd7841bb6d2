//! What a `credential_process` prints.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    freshcreds::sources::process::fuzz_parse_output(data);
});
