//! The values that cross the JNI boundary, in one place: the layout of the arrays the credential
//! calls fill, the log level numbers, and the exception class. The Java side spells them again
//! (`dev.freshcreds.Native`, `dev.freshcreds.internal.NativeLog`,
//! `dev.freshcreds.FreshCredentialsException`); the test of this module reads those Java sources
//! and fails when one side changes alone. The option keys are not spelled on the Java side: the
//! build generates `dev.freshcreds.OptionSpec` from the core's option spec (`rust/codegen`), and
//! [`option_spec`](mod@option_spec)'s tests check that generated code and the bound on how many
//! product files spell a key.

use jni::sys::jlong;

/// Number of longs a credentials call fills (`Native.NUMBERS`).
pub(crate) const NUMBERS: usize = 3;
/// Index of the expiration, epoch millis or [`NO_EXPIRATION`] (`Native.EXPIRATION`).
pub(crate) const EXPIRATION: usize = 0;
/// Index of how long the credentials may be served without asking again, millis
/// (`Native.SERVE_FOR`).
pub(crate) const SERVE_FOR: usize = 1;
/// Index of the stale flag, 0 or 1 (`Native.STALE`).
pub(crate) const STALE: usize = 2;
/// The expiration of credentials that do not expire (`Native.NO_EXPIRATION`).
pub(crate) const NO_EXPIRATION: jlong = jlong::MIN;

/// Number of strings in a credentials array.
pub(crate) const STRINGS: usize = 5;
/// Index of the access key id in the strings (`Native.ACCESS_KEY_ID`).
pub(crate) const ACCESS_KEY_ID: usize = 0;
/// Index of the secret access key in the strings (`Native.SECRET_ACCESS_KEY`).
pub(crate) const SECRET_ACCESS_KEY: usize = 1;
/// Index of the session token, or null, in the strings (`Native.SESSION_TOKEN`).
pub(crate) const SESSION_TOKEN: usize = 2;
/// Index of the source name in the strings (`Native.SOURCE`).
pub(crate) const SOURCE: usize = 3;
/// Index of the account id, or null when the source does not know it (`Native.ACCOUNT_ID`).
pub(crate) const ACCOUNT_ID: usize = 4;

/// A status number that has no value (no credentials yet, no scheduled refresh):
/// `Native.NO_VALUE`.
pub(crate) const NO_VALUE: jlong = jlong::MIN;
/// Strings per row of `Native.statusFields()`: one row per `freshcreds::refresh::status_fields()`
/// entry, in its order, holding its name, kind, unit, meter, JMX name, JMX view and doc line
/// (`Native.STATUS_FIELD_COLUMNS`). `Native.statusValues` then fills one long per number field
/// and returns one string per text field, each in the rows' order.
pub(crate) const STATUS_FIELD_COLUMNS: usize = 7;

/// Log level number of errors (`NativeLog.ERROR`).
pub(crate) const LOG_ERROR: i32 = 1;
/// Log level number of warnings (`NativeLog.WARN`).
pub(crate) const LOG_WARN: i32 = 2;
/// Log level number of information (`NativeLog.INFO`).
pub(crate) const LOG_INFO: i32 = 3;
/// Log level number of debugging detail (`NativeLog.DEBUG`).
pub(crate) const LOG_DEBUG: i32 = 4;
/// Log level number of tracing detail (`NativeLog.TRACE`).
pub(crate) const LOG_TRACE: i32 = 5;

/// The Java class of freshcreds errors; its constructor takes the kind name and the message,
/// and its `Kind` enum lists every `ErrorKind` name (plus `UNKNOWN`).
pub(crate) const EXCEPTION_CLASS: &str = "dev/freshcreds/FreshCredentialsException";
/// The Java class of `InsufficientValidity` errors, a subclass of [`EXCEPTION_CLASS`]; its
/// constructor is [`INSUFFICIENT_VALIDITY_CONSTRUCTOR`].
pub(crate) const INSUFFICIENT_VALIDITY_CLASS: &str = "dev/freshcreds/InsufficientValidityException";
/// `(String message, long requestedMillis, long availableMillis, long expirationEpochMillis,
/// long moreAtEpochMillis, long sourceLimitMillis)`; an absent time or limit is [`NO_VALUE`].
pub(crate) const INSUFFICIENT_VALIDITY_CONSTRUCTOR: &str = "(Ljava/lang/String;JJJJJ)V";

#[cfg(test)]
mod tests {
    //! The Java <-> Rust contract, checked from both sides' sources: a constant, a kind or an
    //! option key changed (or added) on one side only fails here, without a JVM.

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use freshcreds_core::error::ErrorKind;

    const JAVA_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../java/src/main/java/");

    fn java(class: &str) -> String {
        let path = format!("{JAVA_ROOT}{}.java", class.replace('.', "/"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
    }

    /// The `static final int|long NAME = value;` constants of a Java source, by name.
    fn java_numbers(source: &str) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for line in source.lines().map(str::trim) {
            let Some(decl) = line
                .split_once("static final ")
                .map(|(_, d)| d)
                .filter(|d| d.starts_with("int ") || d.starts_with("long "))
            else {
                continue;
            };
            let Some((name, value)) = decl
                .split_once(' ')
                .and_then(|(_, rest)| rest.split_once('='))
            else {
                continue;
            };
            let value = value.trim().trim_end_matches(';').trim();
            let value = match value {
                "Long.MIN_VALUE" => i64::MIN,
                "Long.MAX_VALUE" => i64::MAX,
                v => match v.trim_end_matches(['L', 'l']).replace('_', "").parse() {
                    Ok(n) => n,
                    Err(_) => continue,
                },
            };
            out.insert(name.trim().to_string(), value);
        }
        out
    }

    /// `text` without its `/* ... */` comments (Javadoc included).
    fn without_block_comments(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            rest = rest[start..]
                .split_once("*/")
                .map_or("", |(_, after)| after);
        }
        out.push_str(rest);
        out
    }

    fn number(numbers: &BTreeMap<String, i64>, class: &str, name: &str) -> i64 {
        *numbers
            .get(name)
            .unwrap_or_else(|| panic!("{class}.{name} is gone from the Java side"))
    }

    #[test]
    fn the_array_layout_of_native_java_matches_the_bridge() {
        let numbers = java_numbers(&java("dev.freshcreds.Native"));
        let rust: [(&str, i64); 12] = [
            ("NO_VALUE", NO_VALUE),
            ("STATUS_FIELD_COLUMNS", STATUS_FIELD_COLUMNS as i64),
            ("NUMBERS", NUMBERS as i64),
            ("EXPIRATION", EXPIRATION as i64),
            ("SERVE_FOR", SERVE_FOR as i64),
            ("STALE", STALE as i64),
            ("NO_EXPIRATION", NO_EXPIRATION),
            ("ACCESS_KEY_ID", ACCESS_KEY_ID as i64),
            ("SECRET_ACCESS_KEY", SECRET_ACCESS_KEY as i64),
            ("SESSION_TOKEN", SESSION_TOKEN as i64),
            ("SOURCE", SOURCE as i64),
            ("ACCOUNT_ID", ACCOUNT_ID as i64),
        ];
        for (name, value) in rust {
            assert_eq!(
                number(&numbers, "Native", name),
                value,
                "Native.{name} differs from the Rust bridge (rust/native/src/contract.rs)"
            );
        }
        let named: BTreeSet<&str> = rust.iter().map(|(n, _)| *n).collect();
        let unchecked: Vec<&String> = numbers
            .keys()
            .filter(|n| !named.contains(n.as_str()))
            .collect();
        assert!(
            unchecked.is_empty(),
            "Native.java has constants the contract does not know: {unchecked:?}; add them to contract.rs"
        );
        let strings = [
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            SESSION_TOKEN,
            SOURCE,
            ACCOUNT_ID,
        ];
        assert_eq!(strings.len(), STRINGS);
        assert_eq!(strings.iter().max().map(|i| i + 1), Some(STRINGS));
        assert_eq!(
            [EXPIRATION, SERVE_FOR, STALE].iter().max().map(|i| i + 1),
            Some(NUMBERS)
        );
    }

    #[test]
    fn every_native_method_of_native_java_has_an_entry_point_and_no_entry_point_is_undeclared() {
        let declared: BTreeSet<String> = without_block_comments(&java("dev.freshcreds.Native"))
            .lines()
            .filter_map(|l| l.trim().strip_prefix("static native "))
            .filter_map(|rest| rest.split_once('(').map(|(head, _)| head))
            .filter_map(|head| head.split_whitespace().last().map(str::to_string))
            .collect();
        let defined: BTreeSet<String> = [
            include_str!("jni/mod.rs"),
            include_str!("jni/log.rs"),
            include_str!("jni/fetcher.rs"),
        ]
        .iter()
        .flat_map(|source| source.lines())
        .filter_map(|l| l.trim().strip_prefix("fn Java_dev_freshcreds_Native_"))
        .filter_map(|rest| rest.split_once('(').map(|(name, _)| name.to_string()))
        .collect();
        assert!(declared.contains("invalidate"), "{declared:?}");
        assert!(declared.contains("createFetcher"), "{declared:?}");
        assert_eq!(
            declared, defined,
            "Native.java's native methods and the JNI entry points differ"
        );
    }

    #[test]
    fn the_log_levels_of_nativelog_java_match_the_bridge() {
        let numbers = java_numbers(&java("dev.freshcreds.internal.NativeLog"));
        for (name, value) in [
            ("ERROR", LOG_ERROR),
            ("WARN", LOG_WARN),
            ("INFO", LOG_INFO),
            ("DEBUG", LOG_DEBUG),
            ("TRACE", LOG_TRACE),
        ] {
            assert_eq!(
                number(&numbers, "NativeLog", name),
                i64::from(value),
                "NativeLog.{name} differs from the Rust bridge"
            );
        }
    }

    #[test]
    fn the_exception_class_lists_every_error_kind_in_order() {
        let source = java(&EXCEPTION_CLASS.replace('/', "."));
        assert!(
            source.contains("public FreshCredentialsException(String kind, String message)"),
            "the bridge constructs {EXCEPTION_CLASS} with (String kind, String message)"
        );
        let from = source.find("enum Kind {").expect("a Kind enum") + "enum Kind {".len();
        let body = without_block_comments(&source[from..]);
        let java_kinds: Vec<&str> = body[..body.find(';').expect("the enum constants end")]
            .split(',')
            .map(str::trim)
            .collect();
        let mut rust_kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        rust_kinds.push("UNKNOWN");
        assert_eq!(
            java_kinds, rust_kinds,
            "FreshCredentialsException.Kind differs from ErrorKind (plus UNKNOWN)"
        );
    }

    #[test]
    fn the_insufficient_validity_exception_has_the_constructor_the_bridge_calls() {
        let source = java(&INSUFFICIENT_VALIDITY_CLASS.replace('/', "."));
        let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("public InsufficientValidityException(String message, long requestedMillis, long availableMillis, long expirationEpochMillis, long moreAtEpochMillis, long sourceLimitMillis)"),
            "the bridge constructs {INSUFFICIENT_VALIDITY_CLASS} with {INSUFFICIENT_VALIDITY_CONSTRUCTOR}"
        );
        assert!(flat.contains("extends FreshCredentialsException"));
        assert!(flat.contains("super(\"INSUFFICIENT_VALIDITY\", message)"));
    }
}

#[cfg(test)]
mod option_spec;
