//! The host option parser (`SourceOptions::from_pairs`): one `key=value` pair per line. The
//! `Debug` output never shows a secret option's value (the secret keys are the spec's:
//! `host::is_secret_key`, with or without `base.` prefixes).
#![no_main]

use freshcreds::host::{is_secret_key, SourceOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .collect();
    if let Ok(options) = SourceOptions::from_pairs(pairs.iter().copied()) {
        let shown = format!("{options:?}");
        for (key, value) in pairs.iter().copied().filter(|(k, _)| is_secret_key(k)) {
            // The value that counts is the last one given for the key.
            if options.get(key) != Some(value) {
                continue;
            }
            // Only a value long enough not to occur by chance, and found nowhere else in the input.
            let elsewhere = pairs
                .iter()
                .any(|(k, v)| (*k != key && v.contains(value)) || k.contains(value));
            if value.len() >= 16 && !elsewhere && !"** redacted **".contains(value) {
                assert!(!shown.contains(value), "{key} shown in Debug");
            }
        }
    }
});
