//! The migration table from C (§10.16.5.3 pre-conditions; updates of clause 10.6.3).

use core::mem::{align_of, size_of};

use mcx_migrate::table::MigrationTable;
use mcx_migrate::{ApplyError, Message, MigrationUpdate, MigrationUpdateView, SnapshotError};

use crate::abi::{self, run, Status, Storage, Stored};
use crate::message::mcx_message_t;
use crate::status::*;

/// Records one migration table holds: users of this system that migrated away plus users
/// visiting from other systems. A power of two, fixed at build time; see docs/c-api.md,
/// "Choosing the table capacity". Lookups hash, so their cost does not depend on it.
pub const MCX_TABLE_CAPACITY: usize = 16;

/// Size in bytes of `mcx_table_t` (for `MCX_TABLE_CAPACITY` and the default build-time
/// identifier capacities).
pub const MCX_TABLE_SIZE: usize = 11_296;

/// Storage for a migration table. Declare it (typically `static`), call `mcx_table_init` once,
/// then apply migration updates and ask `mcx_server_decide`.
#[repr(C)]
pub union mcx_table_t {
    _opaque: [u8; MCX_TABLE_SIZE],
    _align: u64,
}

/// The Rust table behind `mcx_table_t`.
pub(crate) type Table = MigrationTable<MCX_TABLE_CAPACITY>;

// SAFETY: size and alignment are asserted right below.
unsafe impl Storage for mcx_table_t {
    type Object = Table;
    const MAGIC: u32 = 0x4D43_5854; // "MCXT"
}
const _: () = assert!(
    size_of::<Stored<Table>>() <= size_of::<mcx_table_t>(),
    "MCX_TABLE_SIZE is too small for this build: raise it (see docs/c-api.md, Choosing the table capacity) and regenerate the header"
);
const _: () = assert!(align_of::<Stored<Table>>() <= align_of::<mcx_table_t>());

/// Longest migration table snapshot (`mcx_table_snapshot`) of a table of `MCX_TABLE_CAPACITY`
/// records: a buffer (or flash area) this long always suffices.
pub const MCX_TABLE_MAX_SNAPSHOT_LEN: usize = 10_561;
const _: () = assert!(
    MCX_TABLE_MAX_SNAPSHOT_LEN == Table::MAX_SNAPSHOT_LEN,
    "MCX_TABLE_MAX_SNAPSHOT_LEN differs from the core's MAX_SNAPSHOT_LEN: set it and regenerate the header"
);

/// Initialises `table` as an empty migration table, whatever it held before.
#[no_mangle]
pub extern "C" fn mcx_table_init(table: *mut mcx_table_t) -> i32 {
    run(|| abi::init_with(table, Table::new))
}

/// Removes every record. Returns `MCX_E_NOT_INITIALISED` for a table never initialised.
#[no_mangle]
pub extern "C" fn mcx_table_clear(table: *mut mcx_table_t) -> i32 {
    run(|| {
        abi::object_mut(table)?.clear();
        Ok(())
    })
}

/// Writes the number of records in `table` to `*out_len`.
#[no_mangle]
pub extern "C" fn mcx_table_len(table: *const mcx_table_t, out_len: *mut usize) -> i32 {
    run(|| {
        let out_len = abi::out(out_len)?;
        out_len.set(abi::object(table)?.len());
        Ok(())
    })
}

#[inline(never)]
fn apply(table: *mut mcx_table_t, update: &MigrationUpdate) -> Result<(), Status> {
    abi::object_mut(table)?.apply(update)?;
    Ok(())
}

/// Applies a migration update built by an `mcx_message_init_*` update builder or decoded by
/// `mcx_message_decode`.
///
/// `MCX_E_WRONG_MESSAGE_TYPE` if `update` is not a migration update; `MCX_E_TABLE_*` when the
/// update does not fit the table (full, not migrated, not visiting, role conflict). On any
/// failure the table is unchanged. When the table is full, the oldest departed visitor record
/// is evicted to make room; live records never are.
#[no_mangle]
pub extern "C" fn mcx_table_apply(table: *mut mcx_table_t, update: *const mcx_message_t) -> i32 {
    run(|| match abi::object(update)? {
        Message::MigrationUpdate(update) => apply(table, update),
        _ => Err(Status(MCX_E_WRONG_MESSAGE_TYPE)),
    })
}

/// Decodes a migration update from `len` bytes and applies it, as `mcx_table_apply`.
///
/// Garbage gives an `MCX_E_DECODE_*` code; a valid message of another type gives
/// `MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE`. On any failure the table is unchanged.
#[no_mangle]
pub extern "C" fn mcx_table_apply_bytes(
    table: *mut mcx_table_t,
    bytes: *const u8,
    len: usize,
) -> i32 {
    run(|| {
        abi::object(table.cast_const())?;
        let update = MigrationUpdateView::decode(abi::bytes(bytes, len)?)?;
        // Applied from the view into the table record: no owned update is built.
        match abi::object_mut(table)?.apply_view(&update) {
            Ok(_) => Ok(()),
            Err(ApplyError::InvalidField(e)) => Err(e.into()),
            Err(ApplyError::Table(e)) => Err(e.into()),
        }
    })
}

/// Writes a snapshot of `table` — every record, live and departed, with the eviction order —
/// into `buf` (capacity `cap`), for keeping in flash across a reboot; its length goes to
/// `*out_len`. The table is not changed.
///
/// The snapshot holds a magic word, a format version, its length, the records and a CRC-32.
/// `MCX_TABLE_MAX_SNAPSHOT_LEN` bytes always suffice. A smaller buffer gives
/// `MCX_E_SNAPSHOT_BUFFER_TOO_SMALL` with the needed length in `*out_len` (`buf` may be NULL
/// with `cap` 0 to ask for it); the buffer's contents are then unspecified.
#[no_mangle]
pub extern "C" fn mcx_table_snapshot(
    table: *const mcx_table_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    run(|| {
        let out_len = abi::out(out_len)?;
        let table = abi::object(table)?;
        match table.snapshot(abi::buffer(buf, cap)?) {
            Ok(len) => {
                out_len.set(len);
                Ok(())
            }
            Err(SnapshotError::BufferTooSmall { needed }) => {
                out_len.set(needed);
                Err(Status(MCX_E_SNAPSHOT_BUFFER_TOO_SMALL))
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// Replaces the contents of `table` (initialised, typically empty after a reboot) with the
/// snapshot in the `len` bytes at `bytes`, as written by `mcx_table_snapshot`. Bytes after the
/// snapshot's stated length (the rest of a flash page) are ignored.
///
/// The whole snapshot is checked before the table is touched, so on any failure the table is
/// exactly as before: `MCX_E_SNAPSHOT_NOT_A_SNAPSHOT` (no magic word: erased flash, say),
/// `MCX_E_SNAPSHOT_TRUNCATED`, `MCX_E_SNAPSHOT_UNSUPPORTED_VERSION`,
/// `MCX_E_SNAPSHOT_CRC_MISMATCH` (corrupted bytes), `MCX_E_SNAPSHOT_TOO_MANY_ENTRIES` (more
/// records than `MCX_TABLE_CAPACITY`), `MCX_E_SNAPSHOT_MALFORMED`,
/// `MCX_E_SNAPSHOT_INVALID_FIELD`, `MCX_E_SNAPSHOT_INVALID_RECORD`,
/// `MCX_E_SNAPSHOT_DUPLICATE_KEY`.
#[no_mangle]
pub extern "C" fn mcx_table_restore(table: *mut mcx_table_t, bytes: *const u8, len: usize) -> i32 {
    run(|| {
        let table = abi::object_mut(table)?;
        table.restore(abi::bytes(bytes, len)?)?;
        Ok(())
    })
}
