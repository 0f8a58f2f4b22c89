//! Versions: of the library, of the wire format (§10.16.5.2 information flows on the wire) and
//! of the migration table snapshot, as header macros for the preprocessor, and the library
//! version at run time, for a firmware that logs what it linked.
//!
//! The macros are literals (cbindgen writes a constant only when it is one); the assertions
//! below and the unit tests tie each to the value the code uses, so they cannot drift.

use core::ffi::c_char;

use mcx_migrate::table::SNAPSHOT_VERSION;
use mcx_migrate::wire;

/// Major version of the library (semantic versioning: a C program built against one major
/// version links against no other).
pub const MCX_VERSION_MAJOR: u32 = 0;
/// Minor version of the library.
pub const MCX_VERSION_MINOR: u32 = 1;
/// Patch version of the library.
pub const MCX_VERSION_PATCH: u32 = 0;

/// Version of the wire format, the first byte of every encoded message: a message of another
/// version is refused with `MCX_E_DECODE_UNSUPPORTED_VERSION`.
pub const MCX_WIRE_FORMAT_VERSION: u32 = 2;
const _: () = assert!(MCX_WIRE_FORMAT_VERSION == wire::FORMAT_VERSION as u32);

/// Version of the migration table snapshot format (`mcx_table_snapshot`): a snapshot of
/// another version is refused with `MCX_E_SNAPSHOT_UNSUPPORTED_VERSION`, but for version 2,
/// which differs only in a wider departure counter and is still read.
pub const MCX_SNAPSHOT_FORMAT_VERSION: u32 = 3;
const _: () = assert!(MCX_SNAPSHOT_FORMAT_VERSION == SNAPSHOT_VERSION as u32);

/// The library version, NUL-terminated.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The body of `mcx_version` (exported, and documented, in `abi::exports`).
pub(crate) fn version() -> *const c_char {
    VERSION.as_ptr().cast()
}
