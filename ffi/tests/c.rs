//! Drives the C side: builds the staticlib, compiles the C tests and the C examples against it
//! and `include/mcx_migrate.h` with `-std=c99 -Wall -Wextra -Werror -pedantic` (the header also
//! as C++17), runs them, and runs them again under AddressSanitizer + UndefinedBehaviorSanitizer
//! and under valgrind. Needs `cc`, `c++` and `valgrind` (installed by `scripts/test`).

// Test code: the workspace's no-panic lints (root Cargo.toml) are for the library.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use mcx_testkit::qemu::{check_output as check, repo_root as root};

/// A target directory of its own, so the nested build neither waits for nor disturbs the outer
/// `cargo test`, and the staticlib's path is known whatever the outer target directory is.
fn out_dir() -> PathBuf {
    root().join("target").join("c-tests")
}

/// System libraries the Rust staticlib needs on a Linux host (`--print native-static-libs`).
const NATIVE_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"];
const SANITIZE: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];

/// Builds `libmcx_migrate_ffi.a` (installed as `libmcx_migrate.a`) once per test run and returns its path.
fn staticlib() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Optimised (opt-level 1), with the dev profile's debug assertions and overflow checks
        // kept: an unoptimised build copies Rust's stack temporaries whole, and with them
        // uninitialised bytes into an object's padding, where the C tests compare objects byte
        // for byte (`objects_built_the_same_way_are_equal_byte_for_byte`); the release builds
        // that firmware and `make -C ffi install` use are optimised.
        let output = Command::new(cargo)
            .current_dir(root())
            .env("CARGO_PROFILE_DEV_OPT_LEVEL", "1")
            .args(["build", "-p", "mcx-migrate-ffi", "--lib", "--target-dir"])
            .arg(out_dir())
            .output()
            .expect("run cargo build");
        assert!(
            output.status.success(),
            "cargo build -p mcx-migrate-ffi failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let lib = out_dir().join("debug").join("libmcx_migrate_ffi.a");
        assert!(lib.exists(), "{} not built", lib.display());
        lib
    })
}

/// Compiles C (or C++) `sources` with `flags` into `out_dir()/bin/name` and returns the binary.
fn compile(compiler: &str, name: &str, sources: &[&str], flags: &[&str]) -> PathBuf {
    let bin_dir = out_dir().join("bin");
    std::fs::create_dir_all(&bin_dir).expect("create target/c-tests/bin");
    let bin = bin_dir.join(name);
    let mut cmd = Command::new(compiler);
    cmd.current_dir(root())
        .args(flags)
        .arg("-Iinclude")
        .args(sources)
        .arg(staticlib())
        .args(NATIVE_LIBS)
        .arg("-o")
        .arg(&bin);
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {compiler}: {e}"));
    check(&format!("compiling {name}: {cmd:?}"), &output);
    bin
}

fn run(what: &str, program: &Path, wrapper: &[&str]) -> String {
    let output = match wrapper.split_first() {
        Some((tool, args)) => Command::new(tool).args(args).arg(program).output(),
        None => Command::new(program).output(),
    }
    .unwrap_or_else(|e| panic!("run {what}: {e}"));
    check(what, &output);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The C programs: (name, sources, what their output must hold).
const PROGRAMS: &[(&str, &[&str], &[&str])] = &[
    ("test_api", &["ffi/tests/c/test_api.c"], &["test_api: "]),
    ("test_hostile", &["ffi/tests/c/test_hostile.c"], &["test_hostile: "]),
    (
        "handset",
        &["examples/c/handset.c"],
        &[
            // Steps 1, 3, 5: redirected to the ID assigned by B, called with B's KMS URI.
            "target migrated ID: sip:visitor-0042@mc-b.example",
            "private call request to: sip:visitor-0042@mc-b.example\nhandset:     with KMS URI: https://kms.mc-b.example/kms",
            // Consecutive migration: B sends the caller home, A sends it on to C.
            "target no longer served here",
            "reached user 2 at: tel:+4930555002",
            "3 redirections (A->B, B->home, A->C)",
            "handset: done",
        ],
    ),
    (
        "gateway",
        &["examples/c/gateway.c"],
        &[
            "redirection (112 bytes) to sip:visitor-0042@mc-b.example, KMS https://kms.mc-b.example/kms",
            "target served here, call proceeds",
            "request: no security domain info for target",
            "refused: -4301 (message truncated)",
            "refused: -4303 (unsupported version)",
            "migration table full; 17 records, 2042/2064 bytes of storage",
            "restore into a table of 540 bytes of storage: snapshot does not fit the table (2042 needed)",
            // Issue 8: saved to flash; after the reboot the empty table lets a call to the
            // migrated user proceed; restored, the same call is redirected again.
            "gateway: saved ",
            "gateway: rebooted, table holds 0 records\ngateway: request: target served here, call proceeds\n",
            "gateway: restored 17 records from flash\ngateway: request: private call redirection (112 bytes) to sip:visitor-0042@mc-b.example, KMS https://kms.mc-b.example/kms\n",
            "restore from corrupted flash: snapshot CRC mismatch",
            "gateway: done",
        ],
    ),
];

fn assert_output(name: &str, stdout: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            stdout.contains(line),
            "{name}: output lacks {line:?}:\n{stdout}"
        );
    }
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains(" passed, ") && !l.ends_with(" 0 failed")),
        "{name} reported failures:\n{stdout}"
    );
}

#[test]
fn header_compiles_as_cpp17_and_works_from_cpp() {
    let bin = compile(
        "c++",
        "header_cpp",
        &["ffi/tests/c/header_cpp.cpp"],
        &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    );
    let out = run("header_cpp", &bin, &[]);
    assert_eq!(out, "header_cpp: success, sip:b@mc.example\n");
}

#[test]
fn c_tests_and_examples_pass_built_as_strict_c99() {
    for (name, sources, expected) in PROGRAMS {
        let bin = compile("cc", name, sources, C_FLAGS);
        let out = run(name, &bin, &[]);
        assert_output(name, &out, expected);
    }
}

#[test]
fn c_tests_and_examples_are_clean_under_asan_and_ubsan() {
    let flags: Vec<&str> = C_FLAGS.iter().chain(SANITIZE).copied().collect();
    for (name, sources, expected) in PROGRAMS {
        let bin = compile("cc", &format!("{name}-asan"), sources, &flags);
        // Sanitizer reports go to stderr and fail the run (exit code != 0).
        let out = run(&format!("{name} under ASan+UBSan"), &bin, &[]);
        assert_output(name, &out, expected);
    }
}

#[test]
fn c_tests_and_examples_are_clean_under_valgrind() {
    for (name, sources, expected) in PROGRAMS {
        let bin = compile("cc", &format!("{name}-vg"), sources, C_FLAGS);
        let out = run(
            &format!("{name} under valgrind"),
            &bin,
            &["valgrind", "-q", "--error-exitcode=1", "--leak-check=full"],
        );
        assert_output(name, &out, expected);
    }
}

#[test]
fn examples_makefile_builds_and_runs_both_examples() {
    let lib_dir = staticlib().parent().expect("lib dir").to_path_buf();
    let out = out_dir().join("make");
    std::fs::create_dir_all(&out).expect("create target/c-tests/make");
    let output = Command::new("make")
        .current_dir(root())
        .args(["-s", "-C", "examples/c", "run"])
        .arg(format!("LIB_DIR={}", lib_dir.display()))
        .arg(format!("OUT={}", out.display()))
        .output()
        .expect("run make");
    check("make -C examples/c run", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("handset: done") && stdout.contains("gateway: done"),
        "{stdout}"
    );
}

/// Runs `make -C ffi install` into a fresh prefix under `target/c-tests` and returns it.
fn install(name: &str) -> PathBuf {
    let lib_dir = staticlib().parent().expect("lib dir").to_path_buf();
    let prefix = out_dir().join(name);
    let _ = std::fs::remove_dir_all(&prefix);
    let output = Command::new("make")
        .current_dir(root())
        .args(["-s", "-C", "ffi", "install"])
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("LIB_DIR={}", lib_dir.display()))
        .output()
        .expect("run make");
    check("make -C ffi install", &output);
    prefix
}

#[test]
fn installed_library_links_through_pkg_config() {
    let prefix = install("prefix-pkg-config");
    let output = Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", prefix.join("lib").join("pkgconfig"))
        .args(["--cflags", "--libs", "--static", "mcx-migrate"])
        .output()
        .expect("run pkg-config");
    check("pkg-config mcx-migrate", &output);
    let flags = String::from_utf8_lossy(&output.stdout).into_owned();
    let bin = out_dir().join("bin").join("handset-pkg-config");
    let mut cmd = Command::new("cc");
    cmd.current_dir(root())
        .args(C_FLAGS)
        .arg("examples/c/handset.c")
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&bin);
    check(&format!("{cmd:?}"), &cmd.output().expect("run cc"));
    assert!(run("handset (pkg-config)", &bin, &[]).contains("handset: done"));
}

#[test]
fn installed_library_links_through_cmake_find_package() {
    let prefix = install("prefix-cmake");
    let build = out_dir().join("cmake-build");
    let _ = std::fs::remove_dir_all(&build);
    let configure = Command::new("cmake")
        .current_dir(root())
        .args(["-S", "ffi/tests/cmake", "-B"])
        .arg(&build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
        .arg(format!(
            "-DEXAMPLES_DIR={}",
            root().join("examples").join("c").display()
        ))
        .output()
        .expect("run cmake");
    check("cmake configure", &configure);
    let compile = Command::new("cmake")
        .arg("--build")
        .arg(&build)
        .output()
        .expect("run cmake --build");
    check("cmake --build", &compile);
    assert!(run("gateway (CMake)", &build.join("gateway"), &[]).contains("gateway: done"));
}

/// The bare-metal staticlib (no_std, its own panic handler) links into a Cortex-M4 C program
/// with newlib: the header's storage sizes hold on a 32-bit target and no symbol is missing.
#[test]
fn gateway_example_links_for_cortex_m4_against_the_no_std_staticlib() {
    let target = "thumbv7em-none-eabihf";
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root())
        .args([
            "rustc",
            "-p",
            "mcx-migrate-ffi",
            "--lib",
            "--release",
            "--target",
            target,
        ])
        .args(["--crate-type", "staticlib", "--target-dir"])
        .arg(out_dir())
        .output()
        .expect("run cargo rustc");
    check("cargo rustc --target thumbv7em-none-eabihf", &output);
    let lib = out_dir()
        .join(target)
        .join("release")
        .join("libmcx_migrate_ffi.a");
    let elf = out_dir().join("bin").join("gateway-cortex-m4.elf");
    std::fs::create_dir_all(out_dir().join("bin")).expect("create bin dir");
    let output = Command::new("arm-none-eabi-gcc")
        .current_dir(root())
        .args(C_FLAGS)
        .args([
            "-mcpu=cortex-m4",
            "-mthumb",
            "-mfloat-abi=hard",
            "-mfpu=fpv4-sp-d16",
        ])
        .args(["--specs=rdimon.specs", "-Iinclude", "examples/c/gateway.c"])
        .arg(&lib)
        .args(["-Wl,--gc-sections", "-o"])
        .arg(&elf)
        .output()
        .expect("run arm-none-eabi-gcc");
    check("arm-none-eabi-gcc link of gateway.c", &output);
    assert!(elf.exists());
}
