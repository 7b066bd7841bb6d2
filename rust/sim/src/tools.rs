//! The programs outside Rust that some end-to-end tests drive (the AWS CLI, botocore), and the
//! one rule for a test whose program is missing: it **fails**, naming the program and how to
//! install it, unless the opt-out variable [`SKIP_VAR`] names the program's [`Tool::name`]
//! (`FRESHCREDS_SKIP=aws-cli,botocore`); then it prints
//! `skipped: <test>: <why> (FRESHCREDS_SKIP=…)` and returns without running. A named program
//! that is usable still runs: the opt-out lets a test skip, it never hides one that can run.
//!
//! Each `skipped:` line is also appended to the file [`SKIP_LOG_VAR`] names, when it is set:
//! `scripts/test.sh` sets it and ends by counting and listing what was skipped.
//!
//! `scripts/setup.sh` installs both into `.tools/venv` and `scripts/test.sh` puts its `bin`
//! first on `PATH`, so `aws` and `python3` below are the virtual environment's (whose `python3`
//! has botocore).

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// The environment variable that lets tests skip when a program is missing: a comma list of
/// [`Tool::name`]s (and `wine`, which `scripts/check-natives.sh` reads, and `maven`, which the
/// Java `BootFatJarTest` reads).
pub const SKIP_VAR: &str = "FRESHCREDS_SKIP";

/// The environment variable naming the file every `skipped:` line is appended to (set by
/// `scripts/test.sh`, which counts them at the end).
pub const SKIP_LOG_VAR: &str = "FRESHCREDS_SKIP_LOG";

/// A program a test needs and how to tell that it works.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The name [`SKIP_VAR`] uses for it.
    pub name: &'static str,
    /// The program run from `PATH` to probe it (and by the tests).
    pub program: &'static str,
    /// The probe's arguments; the probe succeeds when the program exits 0.
    pub probe_args: &'static [&'static str],
    /// How to install it.
    pub install: &'static str,
}

/// The AWS CLI (`aws`).
pub const AWS_CLI: Tool = Tool {
    name: "aws-cli",
    program: "aws",
    probe_args: &["--version"],
    install: "scripts/setup.sh installs it into .tools/venv; put .tools/venv/bin first on PATH",
};

/// botocore with the AWS CRT, imported by `python3` (the interop tests' `tests/interop/*.py`).
pub const BOTOCORE: Tool = Tool {
    name: "botocore",
    program: "python3",
    probe_args: &[
        "-c",
        "import botocore.tokens, botocore.credentials, awscrt",
    ],
    install: "scripts/setup.sh installs botocore[crt] into .tools/venv; put .tools/venv/bin first on PATH so that its python3 is found",
};

/// Whether `names` (a [`SKIP_VAR`] value) names `tool`.
pub fn skip_allowed(names: &str, tool: &str) -> bool {
    names.split(',').any(|n| n.trim() == tool)
}

/// Why `tool` is not usable here, or `None` when its probe succeeds.
pub fn unusable(tool: Tool) -> Option<String> {
    match Command::new(tool.program).args(tool.probe_args).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`{} {}` failed ({}): {}",
            tool.program,
            tool.probe_args.join(" "),
            out.status,
            // A Python traceback's last line says what is missing.
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        )),
        Err(e) => Some(format!("`{}` does not run ({e})", tool.program)),
    }
}

/// Whether `test` can use `tool`: `true` when it can; `false`, after the `skipped:` line, when
/// it cannot and [`SKIP_VAR`] names it. Panics when it cannot and [`SKIP_VAR`] does not name it.
pub fn available_or_skip(tool: Tool, test: &str) -> bool {
    let Some(why) = unusable(tool) else {
        return true;
    };
    let names = std::env::var(SKIP_VAR).unwrap_or_default();
    assert!(
        skip_allowed(&names, tool.name),
        "{test}: {} is needed and not usable: {why}. {}; or set {SKIP_VAR}={} to skip this test",
        tool.name,
        tool.install,
        tool.name
    );
    let line = format!("skipped: {test}: {why} ({SKIP_VAR}={names})");
    // Straight to stderr: the test harness captures `println!` of passing tests, and a skip
    // must show in the run's log.
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Some(log) = std::env::var_os(SKIP_LOG_VAR) {
        append_line(Path::new(&log), &line);
    }
    false
}

/// Appends `line` to the skip log `log`. Panics naming the file when it cannot: a skip the test
/// command does not count would pass unseen.
fn append_line(log: &Path, line: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut f| writeln!(f, "{line}"))
        .unwrap_or_else(|e| panic!("cannot append to {SKIP_LOG_VAR}={}: {e}", log.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program that exists nowhere, under a name no opt-out list uses.
    const MISSING: Tool = Tool {
        name: "freshcreds-test-missing-tool",
        program: "freshcreds-test-no-such-program",
        probe_args: &["--version"],
        install: "nothing installs it",
    };

    #[test]
    #[should_panic(expected = "freshcreds-test-missing-tool is needed and not usable")]
    fn a_missing_program_fails_the_test_when_the_opt_out_does_not_name_it() {
        available_or_skip(MISSING, "a test");
    }

    #[test]
    fn the_opt_out_names_tools_exactly_in_a_comma_list() {
        assert!(skip_allowed("aws-cli", "aws-cli"));
        assert!(skip_allowed("wine, aws-cli ,botocore", "aws-cli"));
        assert!(!skip_allowed("aws", "aws-cli"));
        assert!(!skip_allowed("aws-cli-x", "aws-cli"));
        assert!(!skip_allowed("", "aws-cli"));
    }

    #[test]
    fn a_usable_program_runs_whatever_the_opt_out_says() {
        let sh = Tool {
            name: "sh",
            program: "sh",
            probe_args: &["-c", "exit 0"],
            install: "",
        };
        assert!(unusable(sh).is_none());
        assert!(available_or_skip(sh, "a test"));
    }

    #[test]
    fn skip_lines_are_appended_to_the_log() {
        let dir = std::env::temp_dir().join(format!("freshcreds-skip-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("skips");
        append_line(&log, "skipped: one");
        append_line(&log, "skipped: two");
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "skipped: one\nskipped: two\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[should_panic(expected = "cannot append to FRESHCREDS_SKIP_LOG=")]
    fn a_skip_log_that_cannot_be_written_fails_the_test() {
        append_line(
            Path::new("/nonexistent-dir-freshcreds/skips"),
            "skipped: one",
        );
    }
}
