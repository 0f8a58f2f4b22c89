//! Drift check: `include/mcx_migrate.h` is what cbindgen (pinned in Cargo.toml) generates from
//! `ffi/src` with `ffi/cbindgen.toml`. Regenerate with
//! `MCX_REGENERATE_HEADER=1 cargo test -p mcx-migrate-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen_output() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = crate_dir.join("../include/mcx_migrate.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("read ffi/cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);

    if std::env::var_os("MCX_REGENERATE_HEADER").is_some() {
        std::fs::write(&header, &generated).expect("write include/mcx_migrate.h");
    }
    let committed = std::fs::read(&header).unwrap_or_default();
    assert!(
        committed == generated,
        "include/mcx_migrate.h differs from what cbindgen generates from ffi/src.\n\
         Regenerate it with:\n    MCX_REGENERATE_HEADER=1 cargo test -p mcx-migrate-ffi --test header\n\
         and commit the result."
    );
}
