//! The option spec across languages. The Java side is generated from the core's rows
//! (`rust/codegen`, run by the Java build), so these tests check that generated code against the
//! core this library links, and bound how many product files spell an option key.

use std::path::{Path, PathBuf};

use freshcreds_codegen::constant;
use freshcreds_core::host::is_secret_key;
use freshcreds_core::host::options::{SourceKind, OPTIONS};
use freshcreds_core::sdk_settings::SDK_SETTINGS;

/// The most tracked product files in which one option key may appear as a string literal: the
/// option spec, and at most one other.
const MAX_FILES_SPELLING_A_KEY: usize = 2;

/// The product source folders, from the repository root. Generated code lives under `build/`,
/// outside them.
const PRODUCT_DIRS: [&str; 5] = [
    "rust/core/src",
    "rust/native/src",
    "rust/cli/src",
    "java/src/main",
    "spring-boot/src/main",
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "java") {
            out.push(path);
        }
    }
}

/// Whether `text` spells `key` as a string literal, whatever it means there (a Rust C string
/// `c"…"` counts too): the count is the plain one a reader's search gives.
fn spells(text: &str, key: &str) -> bool {
    text.contains(&format!("\"{key}\""))
}

/// Each key of the spec, with the product files that spell it.
fn files_spelling_each_key() -> Vec<(&'static str, Vec<String>)> {
    let root = repository();
    let mut files = Vec::new();
    for dir in PRODUCT_DIRS {
        sources(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 100,
        "only {} product sources found",
        files.len()
    );
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let name = f.strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read_to_string(f).unwrap())
        })
        .collect();
    let keys = OPTIONS.iter().map(|o| o.key);
    let sdk = SDK_SETTINGS.iter().map(|s| s.property);
    keys.chain(sdk)
        .map(|key| {
            let spelled = texts
                .iter()
                .filter(|(_, text)| spells(text, key))
                .map(|(name, _)| name.clone())
                .collect();
            (key, spelled)
        })
        .collect()
}

#[test]
fn each_option_key_is_spelled_in_at_most_two_product_files() {
    let mut worst = 0;
    for (key, files) in files_spelling_each_key() {
        assert!(
            files.len() <= MAX_FILES_SPELLING_A_KEY,
            "option key `{key}` is spelled in {} product files, more than {MAX_FILES_SPELLING_A_KEY}: {files:?}; read it from the option spec (rust/core/src/host/options.rs; dev.freshcreds.OptionSpec in Java)",
            files.len()
        );
        if OPTIONS.iter().any(|o| o.key == key) {
            assert!(
                files.iter().any(|f| f.ends_with("host/options.rs")),
                "{key}: {files:?}"
            );
        }
        worst = worst.max(files.len());
    }
    println!("most product files spelling one option key: {worst}");
}

#[test]
fn the_count_sees_every_literal_of_a_key_and_only_that_key() {
    assert!(spells("option(\"exampleKey\", arn)", "exampleKey"));
    assert!(spells(
        "let keys = [c\"exampleKey\".as_ptr()];",
        "exampleKey"
    ));
    assert!(spells(
        "f.debug_struct(\"X\").field(\"exampleKey\", &s)",
        "exampleKey"
    ));
    assert!(!spells("let text = \"exampleKeys\";", "exampleKey"));
    assert!(!spells("// exampleKey, unquoted", "exampleKey"));
}

#[test]
fn the_generated_java_has_every_key_of_the_core_and_its_group_range_and_secrecy() {
    let java = freshcreds_codegen::option_spec_java();
    let flat: String = java.split_whitespace().collect::<Vec<_>>().join(" ");
    for o in OPTIONS {
        let declaration = format!(
            "public static final String {} = \"{}\";",
            constant(o.key),
            o.key
        );
        assert!(flat.contains(&declaration), "{declaration}");
        let case = format!("case {}: return", constant(o.key));
        let group = format!("{case} \"{}\";", o.group.name());
        assert!(flat.contains(&group), "{group}");
        if let Some((min, max, unit)) = o.range() {
            for value in [
                format!("{min}L"),
                format!("{max}L"),
                format!("\"{}\"", unit.suffix()),
            ] {
                assert!(
                    flat.contains(&format!("{case} {value};")),
                    "{} {value}",
                    o.key
                );
            }
        }
    }
    let aws: Vec<String> = SDK_SETTINGS
        .iter()
        .map(|s| format!("\"{}\"", s.property))
        .collect();
    assert_java_list(&flat, "AWS_PROPERTIES", &aws);
    let secret: Vec<String> = OPTIONS
        .iter()
        .filter(|o| is_secret_key(o.key))
        .map(|o| constant(o.key))
        .chain(
            SDK_SETTINGS
                .iter()
                .filter(|s| is_secret_key(s.property))
                .map(|s| format!("\"{}\"", s.property)),
        )
        .collect();
    assert_java_list(&flat, "SECRET_KEYS", &secret);
    for kind in SourceKind::ALL {
        let groups: Vec<String> = kind
            .groups()
            .iter()
            .map(|g| format!("\"{}\"", g.name()))
            .collect();
        let case = format!(
            "case SOURCE_KIND_{}: return Collections.unmodifiableList(Arrays.asList( {}));",
            constant(kind.name()),
            groups.join(", ")
        );
        assert!(flat.contains(&case), "{case}");
    }
}

/// `java` (whitespace folded) declares the list `name` with exactly `items`, in order.
fn assert_java_list(java: &str, name: &str, items: &[String]) {
    let declaration = format!(
        "{name} = Collections.unmodifiableList(Arrays.asList( {}));",
        items.join(", ")
    );
    assert!(java.contains(&declaration), "OptionSpec: {declaration}");
}

#[test]
fn the_java_sources_take_their_option_keys_and_ranges_from_the_generated_spec() {
    let root = repository().join("java/src/main/java/dev/freshcreds");
    let options = std::fs::read_to_string(root.join("FreshCredentialsOptions.java")).unwrap();
    for needle in [
        "KEYS = OptionSpec.KEYS;",
        "AWS_PROPERTIES = OptionSpec.AWS_PROPERTIES;",
        "OptionSpec.SECRET_KEYS.contains(",
        "OptionSpec.min(key)",
    ] {
        assert!(
            options.contains(needle),
            "FreshCredentialsOptions.java: {needle}"
        );
    }
    let starter = repository()
        .join("spring-boot/src/main/java/dev/freshcreds/spring/FreshCredentialsProperties.java");
    let starter = std::fs::read_to_string(starter).unwrap();
    assert!(starter.contains("FreshCredentialsOptions.rangeProblem("));
}
