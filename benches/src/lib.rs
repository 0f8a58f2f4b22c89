//! # mcx-benches
//!
//! What users of mcx-migrate would use instead, written the way they would write it, so the
//! benchmarks (`cargo bench -p mcx-benches`) compare like with like in one run:
//!
//! - [`xml`]: the private call redirection of TS 23.280 Table 10.16.y.2-1 as a stage-3-style
//!   `application/vnd.3gpp.mcptt-info+xml` body, written and parsed with `quick-xml`;
//! - [`json`]: the same information elements as JSON with `serde_json`;
//! - [`heap::HeapRedirection`]: the heap-owned struct both of them fill, the usual
//!   `String`-per-field shape;
//! - [`fixtures`]: the users and MC systems of Fig. 10.16.y.3-1, filled migration tables and
//!   `std::collections::HashMap`s with the same keys;
//! - [`sizes`]: bytes on the wire of each format and table storage per record (`cargo run -p
//!   mcx-benches --example wire_sizes`), the generated section `wire-sizes` of
//!   docs/benchmarks.md;
//! - [`report`]: the timed figures of docs/benchmarks.md from criterion's estimates (`cargo run
//!   -p mcx-benches --example bench_report`).
//!
//! The zero-allocation proof lives in `tests/zero_alloc.rs`, alone in its test binary because it
//! installs a counting global allocator.
//!
//! Host only: nothing here may enter the dependency trees of `mcx-migrate` or
//! `mcx-migrate-ffi`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod fixtures;
pub mod heap;
pub mod json;
pub mod report;
pub mod sizes;
pub mod xml;
