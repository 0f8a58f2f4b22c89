//! The migration table from C (§10.16.5.3 pre-conditions; updates of clause 10.6.3).

use core::ffi::c_void;
use core::mem::{align_of, size_of};

use mcx_migrate::table::save::{self, SaveSlot, SlotFault, SlotId, SlotIoError, SlotState};
use mcx_migrate::table::{self, MigrationTable};
use mcx_migrate::wire::{self, MessageType};
use mcx_migrate::{Message, MigrationUpdate, SnapshotError};

use crate::abi::{self, run, Status, Storage, Stored};
use crate::message::{mcx_message_t, message_of};
use crate::status::*;

/// Size in bytes of `mcx_table_t`: the table's handle (where its storage is, how full it is).
/// The records live in the storage given to `mcx_table_init`.
pub const MCX_TABLE_SIZE: usize = 96;

/// The smallest storage `mcx_table_init` accepts: the smallest index, the one the first record gets.
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

// Size and alignment: asserted right below, and by `abi` wherever it casts a pointer.
impl Storage for mcx_table_t {
    type Object = Table;
    const MAGIC: u32 = 0x4D43_5854; // "MCXT"
}
const _: () = assert!(size_of::<Stored<Table>>() <= size_of::<mcx_table_t>());
const _: () = assert!(align_of::<Stored<Table>>() <= align_of::<mcx_table_t>());

/// The body of `mcx_table_storage_len` (exported, and documented, in `abi::exports`).
pub(crate) fn table_storage_len(records: usize, string_bytes: usize) -> usize {
    table::storage_len(records, string_bytes)
}

/// The body of `mcx_table_init` (exported, and documented, in `abi::exports`).
pub(crate) fn table_init(
    table: *mut mcx_table_t,
    storage: *mut c_void,
    storage_len: usize,
) -> mcx_status {
    run(|| {
        abi::check_writable(table)?;
        if storage.is_null() {
            return Err(Status::of(MCX_E_NULL_ARGUMENT));
        }
        if storage_len < MCX_TABLE_MIN_STORAGE_LEN {
            return Err(Status::of(MCX_E_TABLE_STORAGE_TOO_SMALL));
        }
        let storage = abi::table_storage(storage.cast(), storage_len)?;
        let new = Table::new(storage)?;
        abi::init_with(table, move || new)
    })
}

/// The body of `mcx_table_bytes_in_use` (exported, and documented, in `abi::exports`).
pub(crate) fn table_bytes_in_use(table: *const mcx_table_t, out_bytes: *mut usize) -> mcx_status {
    run(|| {
        let out_bytes = abi::out(out_bytes)?;
        out_bytes.set(abi::object(table)?.bytes_in_use());
        Ok(())
    })
}

/// The body of `mcx_table_clear` (exported, and documented, in `abi::exports`).
pub(crate) fn table_clear(table: *mut mcx_table_t) -> mcx_status {
    run(|| {
        abi::object_mut(table)?.clear();
        Ok(())
    })
}

/// The body of `mcx_table_len` (exported, and documented, in `abi::exports`).
pub(crate) fn table_len(table: *const mcx_table_t, out_len: *mut usize) -> mcx_status {
    run(|| {
        let out_len = abi::out(out_len)?;
        out_len.set(abi::object(table)?.len());
        Ok(())
    })
}

#[inline(never)]
fn apply(table: *mut mcx_table_t, update: &MigrationUpdate<'_>) -> Result<(), Status> {
    abi::object_mut(table)?.apply(update)?;
    Ok(())
}

/// The body of `mcx_table_apply` (exported, and documented, in `abi::exports`).
pub(crate) fn table_apply(table: *mut mcx_table_t, update: *const mcx_message_t) -> mcx_status {
    // The update applied where it was decoded, borrowed, not moved out of the message.
    run(|| match &message_of(update)? {
        Message::MigrationUpdate(update) => apply(table, update),
        _ => Err(Status::of(MCX_E_WRONG_MESSAGE_TYPE)),
    })
}

/// The body of `mcx_table_apply_bytes` (exported, and documented, in `abi::exports`).
pub(crate) fn table_apply_bytes(
    table: *mut mcx_table_t,
    bytes: *const u8,
    len: usize,
) -> mcx_status {
    run(|| {
        abi::object(table.cast_const())?;
        // Applied as decoded, borrowing the bytes, into the table record: no copy is built.
        let bytes = abi::bytes(bytes, len)?;
        match &wire::decode_expecting(bytes, MessageType::MigrationUpdate)? {
            Message::MigrationUpdate(update) => apply(table, update),
            _ => Err(Status::of(MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE)),
        }
    })
}

/// The body of `mcx_table_snapshot` (exported, and documented, in `abi::exports`).
pub(crate) fn table_snapshot(
    table: *const mcx_table_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> mcx_status {
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
                Err(Status::of(MCX_E_SNAPSHOT_BUFFER_TOO_SMALL))
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// The body of `mcx_table_restore` (exported, and documented, in `abi::exports`).
pub(crate) fn table_restore(
    table: *mut mcx_table_t,
    bytes: *const u8,
    len: usize,
    out_needed: *mut usize,
) -> mcx_status {
    run(|| {
        let out_needed = abi::out_opt(out_needed)?;
        let table = abi::object_mut(table)?;
        match table.restore(abi::bytes(bytes, len)?) {
            Err(SnapshotError::TableTooSmall { needed }) => {
                if let Some(out) = out_needed {
                    out.set(needed);
                }
                Err(Status::of(MCX_E_SNAPSHOT_TABLE_TOO_SMALL))
            }
            other => Ok(other?),
        }
    })
}

/// One of the two slots of a power-cut-safe save (`mcx_table_save`, `mcx_table_load`): a flash
/// area or a RAM buffer. The library reads it through `bytes` (RAM, or memory-mapped flash) and,
/// when the callbacks are set, erases and programs it only through them; with both callbacks
/// NULL it erases (0xFF) and writes `bytes` itself.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mcx_save_slot_t {
    /// The slot's `len` bytes as the CPU reads them.
    pub bytes: *mut u8,
    /// The slot's length.
    pub len: usize,
    /// Passed to the callbacks.
    pub context: *mut c_void,
    /// Erases the whole slot (reads 0xFF afterwards); returns 0 on success. NULL with `program`
    /// NULL: the library fills `bytes` with 0xFF.
    pub erase: Option<unsafe extern "C" fn(context: *mut c_void) -> i32>,
    /// Programs `len` bytes at `offset`; returns 0 on success. A save calls it at increasing
    /// offsets, `MCX_SAVE_PROGRAM_CHUNK` bytes at a time (the last may be shorter) at multiples
    /// of that. NULL with `erase` NULL: the library copies into `bytes`.
    pub program: Option<
        unsafe extern "C" fn(
            context: *mut c_void,
            offset: usize,
            data: *const u8,
            len: usize,
        ) -> i32,
    >,
}

/// Bytes before a save's snapshot in its slot (magic `MCXB`, sequence number) and after it (a
/// CRC-32): `MCX_SAVE_SLOT_LEN(storage_len)` is `MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` plus
/// this.
pub const MCX_SAVE_OVERHEAD: usize = 12;
const _: () = assert!(MCX_SAVE_OVERHEAD == save::SAVE_HEADER_LEN + save::SAVE_CRC_LEN);

/// The bytes a save slot's program callback gets at a time, at offsets that are multiples of it.
pub const MCX_SAVE_PROGRAM_CHUNK: usize = 32;
const _: () = assert!(MCX_SAVE_PROGRAM_CHUNK == save::SAVE_PROGRAM_CHUNK);

/// A save slot, as `mcx_table_save` and `mcx_table_load` name the one they used (`*out_slot`).
/// C type `mcx_slot`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxSlot {
    /// Slot A (argument `a`).
    MCX_SLOT_A = 0,
    /// Slot B (argument `b`).
    MCX_SLOT_B = 1,
}
pub use McxSlot::*;

/// An `mcx_save_slot_t` as the core's `SaveSlot`.
struct CSlot(mcx_save_slot_t);

impl CSlot {
    fn checked(slot: *const mcx_save_slot_t) -> Result<Self, Status> {
        let slot = abi::read_in(slot)?;
        if slot.bytes.is_null() {
            return Err(Status::of(MCX_E_NULL_ARGUMENT));
        }
        if slot.erase.is_some() != slot.program.is_some() || slot.len > isize::MAX as usize {
            return Err(Status::of(MCX_E_INVALID_ARGUMENT));
        }
        Ok(CSlot(slot))
    }
}

impl SaveSlot for CSlot {
    fn len(&self) -> usize {
        self.0.len
    }

    fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), SlotIoError> {
        if abi::read_slot(self.0.bytes, self.0.len, offset, buf) {
            Ok(())
        } else {
            Err(SlotIoError(MCX_E_INVALID_ARGUMENT as i32))
        }
    }

    fn erase(&mut self) -> Result<(), SlotIoError> {
        let rc = match self.0.erase {
            Some(erase) => abi::call_erase(erase, self.0.context),
            None => match abi::buffer(self.0.bytes, self.0.len) {
                Ok(bytes) => {
                    bytes.fill(0xFF);
                    0
                }
                Err(status) => status.code(),
            },
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(SlotIoError(rc))
        }
    }

    fn program(&mut self, offset: usize, data: &[u8]) -> Result<(), SlotIoError> {
        let rc = match self.0.program {
            Some(program) => abi::call_program(program, self.0.context, offset, data),
            None if abi::write_slot(self.0.bytes, self.0.len, offset, data) => 0,
            None => MCX_E_INVALID_ARGUMENT as i32,
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(SlotIoError(rc))
        }
    }
}

fn slot_number(slot: SlotId) -> McxSlot {
    match slot {
        SlotId::A => MCX_SLOT_A,
        SlotId::B => MCX_SLOT_B,
    }
}

/// The body of `mcx_table_save` (exported, and documented, in `abi::exports`).
pub(crate) fn table_save(
    table: *const mcx_table_t,
    a: *const mcx_save_slot_t,
    b: *const mcx_save_slot_t,
    out_slot: *mut McxSlot,
    out_sequence: *mut u32,
) -> mcx_status {
    run(|| {
        let out_slot = abi::out_opt(out_slot)?;
        let out_sequence = abi::out_opt(out_sequence)?;
        let table = abi::object(table)?;
        let (mut a, mut b) = (CSlot::checked(a)?, CSlot::checked(b)?);
        let saved = table.save(&mut a, &mut b)?;
        if let Some(out) = out_slot {
            out.set(slot_number(saved.slot));
        }
        if let Some(out) = out_sequence {
            out.set(saved.sequence);
        }
        Ok(())
    })
}

/// The body of `mcx_table_load` (exported, and documented, in `abi::exports`).
pub(crate) fn table_load(
    table: *mut mcx_table_t,
    a: *const mcx_save_slot_t,
    b: *const mcx_save_slot_t,
    out_slot: *mut McxSlot,
    out_sequence: *mut u32,
    [out_status_a, out_status_b]: [*mut mcx_status; 2],
    out_needed: *mut usize,
) -> mcx_status {
    run(|| {
        let out_slot = abi::out_opt(out_slot)?;
        let out_sequence = abi::out_opt(out_sequence)?;
        let out_status_a = abi::out_opt(out_status_a)?;
        let out_status_b = abi::out_opt(out_status_b)?;
        let out_needed = abi::out_opt(out_needed)?;
        let (a, b) = (CSlot::checked(a)?, CSlot::checked(b)?);
        let table = abi::object_mut(table)?;
        let bytes_a = abi::slot_bytes(a.0.bytes, a.0.len)?;
        let bytes_b = abi::slot_bytes(b.0.bytes, b.0.len)?;
        let state = |s: SlotState| match s {
            SlotState::Saved { .. } => MCX_OK,
            SlotState::Refused(fault) => fault.status(),
        };
        // The storage a save refused for want of it needs (`mcx_table_restore`'s `out_needed`);
        // 0 for none, since a table's storage never is 0 bytes.
        let mut needed = 0usize;
        let mut note = |fault: &SlotFault| {
            if let SlotFault::Snapshot(SnapshotError::TableTooSmall { needed: n }) = *fault {
                needed = needed.max(n);
            }
        };
        let (status_a, status_b, result) = match table.load(bytes_a, bytes_b) {
            Ok(loaded) => {
                if let SlotState::Refused(fault) = &loaded.other {
                    note(fault);
                }
                let other = state(loaded.other);
                let (sa, sb) = match loaded.slot {
                    SlotId::A => (MCX_OK, other),
                    SlotId::B => (other, MCX_OK),
                };
                if let Some(out) = out_slot {
                    out.set(slot_number(loaded.slot));
                }
                if let Some(out) = out_sequence {
                    out.set(loaded.sequence);
                }
                (sa, sb, Ok(()))
            }
            Err(none) => {
                note(&none.a);
                note(&none.b);
                (
                    none.a.status(),
                    none.b.status(),
                    Err(Status::of(MCX_E_SAVE_NO_VALID_SLOT)),
                )
            }
        };
        if let (Some(out), true) = (out_needed, needed != 0) {
            out.set(needed);
        }
        if let Some(out) = out_status_a {
            out.set(status_a);
        }
        if let Some(out) = out_status_b {
            out.set(status_b);
        }
        result
    })
}
