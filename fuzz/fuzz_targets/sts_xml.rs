//! STS XML answers: AssumeRole / AssumeRoleWithWebIdentity results, GetCallerIdentity, errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        freshcreds::sources::sts::fuzz_sts(text);
    }
});
