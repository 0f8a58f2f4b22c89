//! Helpers for the workspace's integration tests (`tests/tests/*.rs`).

pub mod qemu;
