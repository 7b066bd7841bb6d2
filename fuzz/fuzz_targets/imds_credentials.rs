//! The IMDS credentials document (`GET …/security-credentials/<role>`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        freshcreds::sources::imds::fuzz_parse_credentials_document(text);
    }
});
