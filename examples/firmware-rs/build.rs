//! Puts the shared mps2-an386 memory map where cortex-m-rt's `link.x` looks for `memory.x`.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let memory_x = "../mps2-an386/memory.x";
    fs::copy(memory_x, out.join("memory.x")).expect("copy ../mps2-an386/memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory_x}");
    println!("cargo:rerun-if-changed=build.rs");
}
