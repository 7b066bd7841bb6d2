//! The host option parser (`ProviderOptions::from_pairs`): one `key=value` pair per line. The
//! `Debug` output never shows a secret option's value.
#![no_main]

use freshcreds::host::ProviderOptions;
use libfuzzer_sys::fuzz_target;

const SECRET_KEYS: [&str; 3] = ["aws.secretAccessKey", "aws.secretKey", "aws.sessionToken"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .collect();
    if let Ok(options) = ProviderOptions::from_pairs(pairs.iter().copied()) {
        let shown = format!("{options:?}");
        for key in SECRET_KEYS {
            let Some(value) = options.get(key) else {
                continue;
            };
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
