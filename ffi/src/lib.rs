//! # mcx-migrate-ffi
//!
//! The C ABI of [`mcx_migrate`] (3GPP TS 23.280 §10.16.5, generic private call procedure
//! towards a migrated MC service user), for handset and gateway firmware written in C or C++.
//! The header is `include/mcx_migrate.h`, generated from this crate by cbindgen.
//!
//! ## Contract, for every function
//! - It returns an `mcx_status` ([`mcx_status`], a C enum over `int32_t`): `MCX_OK` (0) or one
//!   negative code per failure; results go through out-pointers. `mcx_status_str` describes
//!   any code. Selectors are C enums too (`mcx_service_kind`, `mcx_field`, ...): written as
//!   the enum by the library, taken in as integers and checked (`MCX_E_INVALID_ARGUMENT`).
//! - Nothing allocates. The migration table (`mcx_table_t`), a decoded or built message
//!   (`mcx_message_t`) and a client's call state (`mcx_call_t`) are opaque storage types whose
//!   size and alignment are in the header: C declares them `static` or on the stack.
//! - Hostile arguments are errors, not crashes: NULL pointers (`MCX_E_NULL_ARGUMENT`), an object
//!   that was never initialised or whose header was overwritten (`MCX_E_NOT_INITIALISED`, from a
//!   per-type magic word), C strings that are not UTF-8 or have no NUL within
//!   `MCX_MAX_STRING_LEN` + 1 bytes, garbage bytes (a `MCX_E_DECODE_*` code).
//! - After a failed call every object is exactly as before: each function validates all of its
//!   arguments and computes its result before it writes anything.
//! - An initialiser or builder zeroes the whole storage before it places the object, so padding
//!   and unused string capacity are defined bytes: two objects built the same way compare equal
//!   with `memcmp` (in optimised builds; an unoptimised one may copy stack temporaries' bytes).
//!   A message is kept as its encoding (wire format), zeros after it, and decoded on each use.
//! - No panic crosses the boundary: the workspace lints (root `Cargo.toml`), which the core and
//!   this crate opt into, deny `unwrap`, `expect`, `panic!`, slice indexing and unchecked
//!   arithmetic outside tests, and every build profile sets `panic = "abort"` as a last line of
//!   defence.
//!
//! `unsafe` code is denied in the whole crate but the private `abi` module, the one that
//! allows it: the pointer conversions, each with its `// SAFETY:` argument; the
//! `#[no_mangle]` exported functions (`abi::exports`, one-line forwards to the safe
//! implementations in the other modules), since the lint counts `no_mangle` as unsafe; the
//! turning of a failure's code back into its `mcx_status`; the call of the `panic-never`
//! feature's undefined symbol, which is never to run; and the unit tests' helpers
//! (`abi::test_support`). `ffi/tests/docs.rs` checks no other module allows it.
#![cfg_attr(target_os = "none", no_std)]
// Allowed in `abi` only.
#![deny(unsafe_code)]
// The C names (`mcx_table_t`, ...) are the public interface.
#![allow(non_camel_case_types)]

// Declared in the order the header presents them.
mod abi;
pub mod client;
pub mod message;
pub mod server;
pub mod status;
pub mod table;
#[cfg(test)]
mod tests;
pub mod version;

pub use abi::exports::*;
pub use client::*;
pub use message::*;
pub use server::*;
pub use status::*;
pub use table::*;
pub use version::*;

/// Bare-metal builds of the staticlib need a panic handler. The core never panics (see the
/// crate docs), so this endless loop is unreachable in practice; firmware that links another
/// Rust crate providing one turns the `panic-handler` feature off.
#[cfg(all(
    target_os = "none",
    feature = "panic-handler",
    not(feature = "panic-never"),
    not(test)
))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The panic-freedom proof (`panic-never` feature, issue 7): the handler calls a symbol that
/// nothing defines. It is linked in only if some reachable code can panic, and then the final
/// link fails with an undefined reference to `mcx_panic_path_reachable`; a firmware that links
/// proves that no C API function can reach a panic.
#[cfg(all(target_os = "none", feature = "panic-never", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    abi::panic_path_reachable()
}
