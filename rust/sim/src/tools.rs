//! The programs outside Rust that some end-to-end tests drive (the AWS CLI, botocore), and the
//! one rule for a test whose program is missing: it **fails**, naming the program and how to
//! install it, unless the opt-out variable [`SKIP_VAR`] names the program's [`Tool::name`]
//! (`FRESHCREDS_SKIP=aws-cli,botocore`); then it prints
//! `skipped: <test>: <why> (FRESHCREDS_SKIP=…)` and returns without running. A named program
//! that is usable still runs: the opt-out lets a test skip, it never hides one that can run.
//!
//! `scripts/setup.sh` installs both into `.tools/venv` and `scripts/test.sh` puts its `bin`
//! first on `PATH`, so `aws` and `python3` below are the virtual environment's (whose `python3`
//! has botocore).

use std::io::Write;
use std::process::Command;

/// The environment variable that lets tests skip when a program is missing: a comma list of
/// [`Tool::name`]s (and `wine`, which `scripts/check-natives.sh` reads).
pub const SKIP_VAR: &str = "FRESHCREDS_SKIP";

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
    // Straight to stderr: the test harness captures `println!` of passing tests, and a skip
    // must show in the run's log.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test}: {why} ({SKIP_VAR}={names})"
    );
    false
}
