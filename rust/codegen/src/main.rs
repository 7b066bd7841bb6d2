//! Writes `dev/freshcreds/OptionSpec.java` ([`freshcreds_codegen::option_spec_java`]) and
//! `dev/freshcreds/internal/NativeLayout.java` ([`freshcreds_codegen::native_layout_java`]) under
//! the directory given as the only argument (`java/build.gradle` passes one under `build/`).

use std::path::{Path, PathBuf};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: freshcreds-codegen <generated Java source directory>");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    for (file, text) in [
        (
            "dev/freshcreds/OptionSpec.java",
            freshcreds_codegen::option_spec_java(),
        ),
        (
            "dev/freshcreds/internal/NativeLayout.java",
            freshcreds_codegen::native_layout_java(),
        ),
    ] {
        write(&out.join(file), &text);
    }
}

fn write(file: &Path, text: &str) {
    let written = std::fs::create_dir_all(file.parent().expect("a parent directory"))
        .and_then(|()| std::fs::write(file, text));
    if let Err(e) = written {
        eprintln!("freshcreds-codegen: cannot write {}: {e}", file.display());
        std::process::exit(1);
    }
}
