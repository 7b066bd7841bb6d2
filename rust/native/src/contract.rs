//! The values that cross the JNI boundary, in one place: the layout of the arrays the credential
//! calls fill and the log level numbers ([`layout`], from which the build generates the Java
//! side, `dev.freshcreds.internal.NativeLayout`, with `rust/codegen`), and the exception classes.
//! The Java side spells only the exception classes again
//! (`dev.freshcreds.FreshCredentialsException`, `dev.freshcreds.InsufficientValidityException`);
//! the tests of this module read those Java sources and fail when one side changes alone. The
//! option keys are generated the same way, as `dev.freshcreds.OptionSpec` from the core's option
//! spec, and [`option_spec`](mod@option_spec)'s tests check that generated code and the bound on
//! how many product files spell a key.

mod layout;

pub(crate) use layout::{
    FetcherNumber, FetcherOutcome, FetcherText, LogLevel, Number, Text, NO_EXPIRATION, NO_VALUE,
    STATUS_FIELD_COLUMNS,
};

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
    //! The Java <-> Rust contract, checked without a JVM: the generated Java layout against the
    //! bridge's, and the hand-written Java sources (native methods, exception classes) against
    //! the entry points and error kinds; a change on one side only fails here.

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use freshcreds_codegen::constant;
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
    fn the_generated_java_layout_has_every_index_and_number_the_bridge_uses() {
        let java = java_numbers(&freshcreds_codegen::native_layout_java());
        let mut expected: Vec<(String, i64)> = vec![
            ("NUMBERS".into(), Number::ALL.len() as i64),
            ("STRINGS".into(), Text::ALL.len() as i64),
            ("FETCHER_NUMBERS".into(), FetcherNumber::ALL.len() as i64),
            ("FETCHER_STRINGS".into(), FetcherText::ALL.len() as i64),
            ("NO_EXPIRATION".into(), NO_EXPIRATION),
            ("NO_VALUE".into(), NO_VALUE),
            ("STATUS_FIELD_COLUMNS".into(), STATUS_FIELD_COLUMNS as i64),
        ];
        for (index, (slot, _)) in Number::ALL.iter().enumerate() {
            assert_eq!(*slot as usize, index, "Number::ALL is in index order");
            expected.push((constant(&format!("{slot:?}")), index as i64));
        }
        for (index, (slot, _)) in Text::ALL.iter().enumerate() {
            assert_eq!(*slot as usize, index, "Text::ALL is in index order");
            expected.push((constant(&format!("{slot:?}")), index as i64));
        }
        for (index, (slot, _)) in FetcherNumber::ALL.iter().enumerate() {
            assert_eq!(
                *slot as usize, index,
                "FetcherNumber::ALL is in index order"
            );
            expected.push((
                format!("FETCHER_{}", constant(&format!("{slot:?}"))),
                index as i64,
            ));
        }
        for (index, (slot, _)) in FetcherText::ALL.iter().enumerate() {
            assert_eq!(*slot as usize, index, "FetcherText::ALL is in index order");
            expected.push((
                format!("FETCHER_{}", constant(&format!("{slot:?}"))),
                index as i64,
            ));
        }
        for (outcome, _) in FetcherOutcome::ALL {
            let name = format!("FETCHER_{}", constant(&format!("{outcome:?}")));
            expected.push((name, outcome as i64));
        }
        for (level, _) in LogLevel::ALL {
            let name = format!("LOG_{}", constant(&format!("{level:?}")));
            expected.push((name, i64::from(level.number())));
        }
        for (name, value) in &expected {
            assert_eq!(
                number(&java, "NativeLayout", name),
                *value,
                "NativeLayout.{name} differs from the bridge (rust/native/src/contract/layout.rs)"
            );
        }
        assert_eq!(
            java.len(),
            expected.len(),
            "NativeLayout has constants this test does not check: {java:?}"
        );
    }

    #[test]
    fn the_java_log_levels_run_from_error_to_trace_without_gaps() {
        // `NativeLog` maps levels by `number - LOG_ERROR`, most severe first.
        let numbers: Vec<i32> = LogLevel::ALL.iter().map(|(l, _)| l.number()).collect();
        assert_eq!(numbers, (1..=5).collect::<Vec<_>>());
        assert_eq!(LogLevel::ALL[0].0, LogLevel::Error);
        assert_eq!(LogLevel::ALL[4].0, LogLevel::Trace);
        assert_eq!(LogLevel::of(0), None);
        assert_eq!(LogLevel::of(-3), None);
        assert_eq!(LogLevel::of(2), Some(LogLevel::Warn));
        assert_eq!(LogLevel::of(99), Some(LogLevel::Trace));
    }

    #[test]
    fn the_hand_written_java_spells_no_constant_of_the_layout() {
        for (class, own) in [
            ("dev.freshcreds.Native", &[][..]),
            ("dev.freshcreds.internal.NativeLog", &[]),
            ("dev.freshcreds.FetcherBridge", &["MAX_MESSAGE_CHARS"]),
        ] {
            let mut numbers = java_numbers(&java(class));
            numbers.retain(|name, _| !own.contains(&name.as_str()));
            assert!(
                numbers.is_empty(),
                "{class} declares {numbers:?}: the layout is generated as NativeLayout from \
                 rust/native/src/contract/layout.rs; use that"
            );
        }
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
        .filter_map(|rest| {
            let name = rest.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
            Some(name.to_string()).filter(|n| !n.is_empty())
        })
        .collect();
        assert!(declared.contains("invalidate"), "{declared:?}");
        assert!(declared.contains("createFetcher"), "{declared:?}");
        assert_eq!(
            declared, defined,
            "Native.java's native methods and the JNI entry points differ"
        );
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
