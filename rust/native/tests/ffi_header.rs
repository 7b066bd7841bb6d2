//! The checked-in C header `include/freshcreds.h` is what cbindgen generates from
//! `src/ffi.rs` with `cbindgen.toml`, so the header and the ABI cannot drift apart.
//!
//! After changing the C ABI, regenerate it with
//! `cbindgen --config cbindgen.toml --output include/freshcreds.h src/ffi.rs`
//! or `FRESHCREDS_BLESS=1 cargo test --test ffi_header`.

use std::path::Path;

#[test]
fn the_checked_in_c_header_matches_what_cbindgen_generates_from_the_ffi_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let header = root.join("include/freshcreds.h");
    if std::env::var_os("FRESHCREDS_BLESS").is_some() {
        // Blessing rewrites the file it checks, so it passes whatever the header was: never in
        // CI, where it would hide a stale checked-in header.
        assert!(
            std::env::var_os("CI").is_none(),
            "FRESHCREDS_BLESS is set under CI: the header check would rewrite \
             include/freshcreds.h instead of checking it; unset FRESHCREDS_BLESS"
        );
        std::fs::write(&header, &generated).expect("write include/freshcreds.h");
        return;
    }
    let checked_in = std::fs::read(&header).expect("read include/freshcreds.h");
    if checked_in != generated {
        let old = String::from_utf8_lossy(&checked_in);
        let new = String::from_utf8_lossy(&generated);
        let first_difference = old
            .lines()
            .zip(new.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}: checked in {a:?}, generated {b:?}", i + 1))
            .unwrap_or_else(|| "the files differ in length".to_string());
        panic!(
            "include/freshcreds.h is out of date ({first_difference}); regenerate it with \
             `cbindgen --config cbindgen.toml --output include/freshcreds.h src/ffi.rs` \
             or `FRESHCREDS_BLESS=1 cargo test --test ffi_header`"
        );
    }
}
