//! Running bare-metal firmware on QEMU's `mps2-an386` machine (Cortex-M4F) from a test: the
//! Rust firmware (`examples/firmware-rs`) and any C firmware built for the same memory map
//! (`examples/mps2-an386/memory.x`).
//!
//! The firmware talks to the host through semihosting only: its output arrives on QEMU's
//! stdout, and its semihosting exit code (`SYS_EXIT_EXTENDED`) becomes QEMU's exit status.
//! Tools the tests need are never optional: a missing one fails the test with the command that
//! installs it (`scripts/test`, the test command, runs those commands on a fresh machine).

//!
//! Also the rest of what the firmware tests (`tests/tests/firmware_c.rs`, `firmware_rs.rs`)
//! share: a nested cargo that the outer build's flags do not reach ([`nested_cargo`]), building
//! and running a firmware once for all the tests of a file ([`once`]), finding lines in its
//! output ([`find_line`]) and its verdict ([`assert_all_checks_passed`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How to install QEMU for Arm on Debian.
pub const QEMU_INSTALL: &str = "apt-get install qemu-system-arm";

/// How to install the defmt log decoder, at the version `scripts/test` pins.
pub const DEFMT_PRINT_INSTALL: &str = "cargo install defmt-print --locked --version 1.2.0";

/// The repository root (the workspace that holds `testkit/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Panics, naming `install`, unless `tool --version` runs. Call it before using a tool so a
/// missing tool reads as an install step, not as an obscure spawn error.
pub fn require_tool(tool: &str, install: &str) {
    match Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(_) => {}
        Err(e) => panic!("`{tool}` is needed but cannot be run ({e}): install it with `{install}` (scripts/test does)"),
    }
}

/// What one firmware run produced.
#[derive(Debug)]
pub struct Run {
    /// QEMU's exit status: the firmware's semihosting exit code. `None` if it was killed.
    pub status: Option<ExitStatus>,
    /// Whether the run hit the timeout and QEMU was killed.
    pub timed_out: bool,
    /// QEMU's stdout: what the firmware wrote through semihosting.
    pub stdout: Vec<u8>,
    /// QEMU's stderr.
    pub stderr: String,
}

impl Run {
    /// The firmware's exit code, if QEMU exited by itself.
    pub fn exit_code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

/// [`run_mps2_an386`], failing the test if the firmware did not exit within `timeout`.
pub fn run_mps2_an386_to_exit(elf: &Path, timeout: Duration) -> Run {
    let run = run_mps2_an386(elf, timeout);
    assert!(
        !run.timed_out,
        "the firmware did not exit within {timeout:?}; qemu stderr: {}",
        run.stderr
    );
    run
}

/// The QEMU command line for `elf` on `mps2-an386` with semihosting to the host's stdio.
pub fn mps2_an386_command(elf: &Path) -> Command {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-M", "mps2-an386", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf);
    cmd
}

/// Boots `elf` on QEMU's `mps2-an386` and collects its output. A firmware that has not exited
/// after `timeout` (a hang, a fault loop) is killed and reported with `timed_out`.
pub fn run_mps2_an386(elf: &Path, timeout: Duration) -> Run {
    require_tool("qemu-system-arm", QEMU_INSTALL);
    let mut child = mps2_an386_command(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start qemu-system-arm: {e}"));
    let stdout = read_all_in_background(child.stdout.take());
    let stderr = read_all_in_background(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for qemu-system-arm: {e}"),
        }
    };
    Run {
        status,
        timed_out,
        stdout: stdout.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned(),
    }
}

fn read_all_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Decodes a defmt byte stream produced by `elf` with `defmt-print -e elf` and returns the
/// printed log, one line per message (plus location lines if the ELF has them).
pub fn defmt_print(elf: &Path, stream: &[u8]) -> String {
    use std::io::Write;
    require_tool("defmt-print", DEFMT_PRINT_INSTALL);
    let mut child = Command::new("defmt-print")
        .arg("-e")
        .arg(elf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start defmt-print: {e}"));
    // Feed stdin from a thread so a chatty decoder cannot deadlock on a full stdout pipe.
    let mut stdin = child.stdin.take();
    let input = stream.to_vec();
    let feeder = thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for defmt-print: {e}"));
    let _ = feeder.join();
    assert!(
        output.status.success(),
        "defmt-print failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `cargo` (the one running the tests) in `dir`, without the outer build's flags that would
/// replace a firmware's own `.cargo/config.toml` settings or its target. Callers give it a
/// `--target-dir` of its own, so it neither waits for nor disturbs the outer `cargo test`.
pub fn nested_cargo(dir: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    cmd
}

/// Fails the test unless `output` (of `what`) is a success, with its stdout and stderr.
pub fn check_output(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `build_and_run` once for all the tests of a file (the first to ask runs it) and returns
/// its result. A failure is kept as its message, so every test reports it without building
/// again.
pub fn once<T: Send + Sync>(
    cell: &'static OnceLock<Result<T, String>>,
    build_and_run: fn() -> T,
) -> &'static T {
    let result = cell.get_or_init(|| {
        std::panic::catch_unwind(build_and_run).map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "building or running the firmware panicked".into())
        })
    });
    match result {
        Ok(value) => value,
        Err(message) => panic!("{message}"),
    }
}

/// Index of the first of `lines` at or after `from` that contains every part of `parts`; fails
/// the test, showing `whole` (the output they come from), if there is none.
pub fn find_line(lines: &[&str], from: usize, parts: &[&str], whole: &str) -> usize {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| parts.iter().all(|p| l.contains(p)))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no line after line {from} contains {parts:?}; output:\n{whole}"))
}

/// Where a firmware's check lines carry their `PASS ` / `FAIL ` marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// At the start of the line (semihosting output).
    AtStart,
    /// Anywhere in the line (a decoded log, after its level and timestamp).
    Anywhere,
}

/// A firmware's verdict: none of its named checks failed, exactly `checks` passed, its last
/// word is `result: N checks passed, 0 failed, exit code 0`, and it exited with 0. `whole` is
/// the output `lines` come from, shown on failure.
pub fn assert_all_checks_passed(
    lines: &[&str],
    marker: Marker,
    checks: usize,
    exit_code: Option<i32>,
    whole: &str,
) {
    let has = |l: &str, m: &str| match marker {
        Marker::AtStart => l.starts_with(m),
        Marker::Anywhere => l.contains(m),
    };
    let passed = lines.iter().filter(|l| has(l, "PASS ")).count();
    let failed: Vec<_> = lines.iter().filter(|l| has(l, "FAIL ")).collect();
    assert!(failed.is_empty(), "failed checks: {failed:#?}\n{whole}");
    assert_eq!(passed, checks, "output:\n{whole}");
    find_line(
        lines,
        0,
        &[&format!(
            "result: {checks} checks passed, 0 failed, exit code 0"
        )],
        whole,
    );
    assert_eq!(exit_code, Some(0), "output:\n{whole}");
}
