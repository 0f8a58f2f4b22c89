//! The migration table from C (§10.16.5.3 pre-conditions; updates of clause 10.6.3).

use core::ffi::c_void;
use core::mem::{align_of, size_of};

use mcx_migrate::table::{self, MigrationTable};
use mcx_migrate::{Message, MigrationUpdate, MigrationUpdateView, SnapshotError};

use crate::abi::{self, run, Status, Storage, Stored};
use crate::message::mcx_message_t;
use crate::status::*;

/// Size in bytes of `mcx_table_t`: the table's handle (where its storage is, how full it is).
/// The records live in the storage given to `mcx_table_init`.
pub const MCX_TABLE_SIZE: usize = 96;

/// The smallest storage `mcx_table_init` accepts: an empty table's index.
pub const MCX_TABLE_MIN_STORAGE_LEN: usize = 32;
const _: () = assert!(MCX_TABLE_MIN_STORAGE_LEN == table::MIN_STORAGE_LEN);

/// Bytes of a record's header in table storage; its strings follow at their length.
pub const MCX_TABLE_RECORD_HEADER_LEN: usize = 15;
const _: () = assert!(MCX_TABLE_RECORD_HEADER_LEN == table::RECORD_HEADER_LEN);

/// Bytes of one index bucket in table storage; the table keeps two per record.
pub const MCX_TABLE_BUCKET_LEN: usize = 8;
const _: () = assert!(MCX_TABLE_BUCKET_LEN == table::BUCKET_LEN);

/// What a snapshot adds to the bytes of table storage it describes, at most: the bound
/// `MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` is `storage_len` plus this.
pub const MCX_TABLE_SNAPSHOT_OVERHEAD: usize = 33;
const _: () = assert!(MCX_TABLE_SNAPSHOT_OVERHEAD == table::max_snapshot_len(0));

/// A migration table's handle. Declare it (typically `static`) next to the storage for its
/// records, call `mcx_table_init` once, then apply migration updates and ask
/// `mcx_server_decide`.
#[repr(C)]
pub union mcx_table_t {
    _opaque: [u8; MCX_TABLE_SIZE],
    _align: u64,
}

/// The Rust table behind `mcx_table_t`: over the storage given to `mcx_table_init`.
pub(crate) type Table = MigrationTable<&'static mut [u8]>;

// SAFETY: size and alignment are asserted right below.
unsafe impl Storage for mcx_table_t {
    type Object = Table;
    const MAGIC: u32 = 0x4D43_5854; // "MCXT"
}
const _: () = assert!(size_of::<Stored<Table>>() <= size_of::<mcx_table_t>());
const _: () = assert!(align_of::<Stored<Table>>() <= align_of::<mcx_table_t>());

/// Bytes of storage that always hold `records` records whose strings (the key, the other two IDs
/// and the KMS URI) total at most `string_bytes` bytes each on average:
/// `MCX_TABLE_STORAGE_LEN(records, string_bytes)`, as a function. Saturates at `SIZE_MAX`.
#[no_mangle]
pub extern "C" fn mcx_table_storage_len(records: usize, string_bytes: usize) -> usize {
    table::storage_len(records, string_bytes)
}

/// Initialises `table` as an empty migration table over the `storage_len` bytes at `storage`
/// (any alignment), whatever either held before. The storage must stay valid, and be touched by
/// nothing but `mcx_table_*` calls on this table, for as long as the table is used; the
/// library keeps no other pointer and allocates nothing. `mcx_table_storage_len` (or the
/// `MCX_TABLE_STORAGE_LEN` macro, usable in a static array's size) sizes it.
///
/// `MCX_E_NULL_ARGUMENT` for a NULL `table` or `storage`, `MCX_E_INVALID_ARGUMENT` for a
/// misaligned `table`, `MCX_E_TABLE_STORAGE_TOO_SMALL` below `MCX_TABLE_MIN_STORAGE_LEN`
/// bytes; on any of these nothing is written.
#[no_mangle]
pub extern "C" fn mcx_table_init(
    table: *mut mcx_table_t,
    storage: *mut c_void,
    storage_len: usize,
) -> i32 {
    run(|| {
        abi::check_writable(table)?;
        if storage.is_null() {
            return Err(Status(MCX_E_NULL_ARGUMENT));
        }
        if storage_len < MCX_TABLE_MIN_STORAGE_LEN {
            return Err(Status(MCX_E_TABLE_STORAGE_TOO_SMALL));
        }
        let storage = abi::table_storage(storage.cast(), storage_len)?;
        let new = Table::new(storage)?;
        abi::init_with(table, move || new)
    })
}

/// Writes the bytes the records of `table` and the smallest index for them take to
/// `*out_bytes`: how full the storage is, and the storage length a table restoring its
/// snapshot needs.
#[no_mangle]
pub extern "C" fn mcx_table_bytes_in_use(table: *const mcx_table_t, out_bytes: *mut usize) -> i32 {
    run(|| {
        let out_bytes = abi::out(out_bytes)?;
        out_bytes.set(abi::object(table)?.bytes_in_use());
        Ok(())
    })
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
/// failure the table is unchanged. When the storage is full, the oldest departed visitor
/// records are evicted to make room, as few as needed; live records never are.
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
        abi::object_mut(table)?.apply_view(&update)?;
        Ok(())
    })
}

/// Writes a snapshot of `table` — every record, live and departed, with the eviction order —
/// into `buf` (capacity `cap`), for keeping in flash across a reboot; its length goes to
/// `*out_len`. The table is not changed.
///
/// The snapshot holds a magic word, a format version, its length, the records and a CRC-32.
/// `MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` bytes always suffice. A smaller buffer gives
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
/// `MCX_E_SNAPSHOT_CRC_MISMATCH` (corrupted bytes), `MCX_E_SNAPSHOT_TABLE_TOO_SMALL` (the
/// records do not fit this table's storage; `mcx_table_bytes_in_use` of the table that took
/// the snapshot is enough), `MCX_E_SNAPSHOT_MALFORMED`,
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
