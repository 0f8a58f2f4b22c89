//! # mcx-testkit
//!
//! What the tests, benches, fuzz targets and the demo of mcx-migrate share, written once:
//!
//! - [`fixtures`]: the users, MC systems and KMS URIs of Fig. 10.16.y.3-1 and the A/B/C
//!   network, as plain `&str` (usable by the core's unit tests) and as core types.
//! - [`table_model`]: one model of the migration table's documented policy (the byte rule,
//!   eviction of the oldest departed visitors, role conflicts, the snapshot restore rule, and
//!   what `server::decide` answers), generic over the record fields so that the property tests
//!   (owned identifiers) and the fuzz target (pool indices, no allocation) run the same rules.
//! - [`generated`]: the generated sections of the docs, which the tool that computes or
//!   measures their figures writes (the docs tests, the firmware footprint test, the bench
//!   report).
//! - [`reference`](mod@reference): the frame's CRC-32C and COBS written apart from the
//!   library, the reference the tests hold its frames and the docs' example frame to.
//! - [`qemu`]: running bare-metal firmware on QEMU's `mps2-an386` and the rest of what the
//!   firmware tests share.
//!
//! Dev-only: `publish = false`, std, never a dependency of `mcx-migrate` or `mcx-migrate-ffi`
//! proper (the core's *integration* tests take it as a dev-dependency; its unit tests cannot use
//! its types, which belong to another copy of the core).
#![deny(missing_docs)]

pub mod fixtures;
pub mod generated;
pub mod qemu;
pub mod reference;
pub mod table_model;
