//! Web identity token file contents, through the AssumeRoleWithWebIdentity form encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    freshcreds::sources::web_identity::fuzz_token_file(data);
});
