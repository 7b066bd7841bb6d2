//! The C ABI from C: `tests/c/ffi_smoke.c` is compiled with `cc` against the cdylib and the
//! checked-in header, then run against the simulator's IMDS.

use std::path::{Path, PathBuf};
use std::process::Command;

use freshcreds_sim::{SimConfig, Simulator};

/// The cdylib cargo built next to this test binary (`target/<profile>/deps/`).
fn cdylib() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps directory");
    let name = format!(
        "{}freshcreds{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let candidate = dir.join(&name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "no {name} next to {}: `cargo test` does not build a cdylib-only crate; run `cargo build -p freshcreds-native` first (scripts/test.sh does)",
        exe.display()
    );
}

/// Compiles the smoke test against a private copy of the library; returns the program path.
fn build_smoke_test(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib_dir = dir.join("lib");
    std::fs::create_dir_all(&lib_dir).unwrap();
    let lib = cdylib();
    std::fs::copy(&lib, lib_dir.join(lib.file_name().unwrap())).unwrap();
    let program = dir.join("ffi_smoke");
    let output = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("tests/c/ffi_smoke.c"))
        .arg("-o")
        .arg(&program)
        .arg(format!("-L{}", lib_dir.display()))
        .arg("-lfreshcreds")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .output()
        .expect("run cc (a C compiler is needed for this test)");
    assert!(
        output.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    program
}

#[test]
fn the_c_smoke_test_creates_reads_refreshes_and_frees_through_the_c_abi() {
    let dir = tempfile::tempdir().unwrap();
    let program = build_smoke_test(dir.path());
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    // A clean environment with an empty home: nothing from the machine's AWS setup leaks in.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new(&program)
        .arg(sim.base_url())
        .env_clear()
        .env("HOME", &home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ffi_smoke failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(stdout.contains("credentials ASIA"), "{stdout}");
    assert!(stdout.ends_with("ok\n"), "{stdout}");
    // The library never prints: only the program's own lines reach stdout, nothing stderr.
    assert_eq!(stderr, "", "the library wrote to stderr");
    let counts = sim.counts();
    assert!(counts.imds_credentials >= 2, "{counts:?}");
}
