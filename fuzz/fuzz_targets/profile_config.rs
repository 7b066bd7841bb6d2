//! The profile files parser and the assume-role planner. The input is a config file, optionally
//! followed by a NUL byte and a credentials file; the selected profile is `default`, then the
//! first profile the files define.
#![no_main]

use freshcreds::sources::profile::{ProfileRoleChain, ProfileSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (config, credentials) = match text.split_once('\0') {
        Some((c, k)) => (c, Some(("credentials", k))),
        None => (text, None),
    };
    let Ok(set) = ProfileSet::parse(Some(("config", config)), credentials, "default") else {
        return;
    };
    let _ = ProfileRoleChain::plan(&set);
    let _ = format!("{set:?}");
});
