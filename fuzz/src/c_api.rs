//! `c_api`: the C ABI (`mcx-migrate-ffi`) called through its `extern "C"` functions, as a C
//! program would, with hostile arguments: a sequence of operations over a small pool of
//! storage slots that hold tables, messages and calls (or zeros, garbage, never-written memory,
//! or an object of another kind), each slot with a buffer of its own for the records of a table
//! initialised there (given at any length and alignment, too short, NULL), random bytes to
//! decode, random C strings, out-of-range numbers, NULL and misaligned pointers, buffers of
//! every length.
//!
//! Checked after every call, from the documentation of the C API (`ffi/src/*.rs`):
//! - the status is `MCX_OK` or a listed code from the families that function can return
//!   (never `MCX_E_REJECT_*`, which only goes through `out_reject_reason`);
//! - a failed call leaves every object it was given byte for byte as before ("after a failed
//!   call every object is exactly as before", crate docs), a table's storage included, and a
//!   successful one leaves the objects it only reads (and their storage) unchanged;
//! - `mcx_table_init` refuses a NULL table or storage, a misaligned table, storage below
//!   `MCX_TABLE_MIN_STORAGE_LEN` (`MCX_E_TABLE_STORAGE_TOO_SMALL`) or longer than `isize::MAX`,
//!   and writes nothing then; `mcx_table_storage_len` is `MCX_TABLE_STORAGE_LEN`'s formula,
//!   saturated;
//! - a table fits its storage: `mcx_table_bytes_in_use` is at most the storage length and at
//!   least the records' headers and their smallest index; a snapshot restores into a table iff
//!   that table's storage is at least the snapshot's table's bytes in use
//!   (`MCX_E_SNAPSHOT_TABLE_TOO_SMALL` otherwise), with the same records and bytes in use;
//! - a NULL or misaligned required out-pointer is refused;
//! - `MCX_E_BUFFER_TOO_SMALL` / `MCX_E_SNAPSHOT_BUFFER_TOO_SMALL` report a needed length larger
//!   than the capacity given, and a retry with exactly that length succeeds;
//! - outputs are in their documented ranges (message types, service kinds, decisions, lengths
//!   up to `MCX_MAX_ENCODED_LEN` / `MCX_MAX_FRAME_LEN` / `MCX_TABLE_MAX_SNAPSHOT_LEN` of the
//!   table's storage length), encoded messages decode again, a table restores its own
//!   snapshot, fields are NUL-terminated UTF-8;
//! - `mcx_table_save` / `mcx_table_load` over two save areas, as RAM slots (callbacks NULL) or
//!   flash slots (NOR-like erase/program callbacks that check the documented call pattern:
//!   erase first, `MCX_SAVE_PROGRAM_CHUNK`-byte chunks at increasing multiples, inside the
//!   slot, each byte programmed once) whose power may fail during the erase or after any byte
//!   programmed (`MCX_E_SAVE_IO`): NULL / misaligned slots, NULL bytes and one callback alone
//!   are refused, a slot too short gives `MCX_E_SAVE_SLOT_TOO_SMALL` with nothing written or
//!   called, the other slot is never written, optional out-pointers may be NULL. What each area
//!   may hold is modelled (see the save section below); a save goes into the slot without the
//!   newest whole save with the next sequence number, and after every save the areas are loaded
//!   into a table that fits any save: the previous save or the new one comes back, byte for
//!   byte as snapshotted, never `MCX_E_SAVE_NO_VALID_SLOT` while a whole save existed. Loads
//!   (also after random byte corruption of an area) give `MCX_OK` with one of the saves the
//!   model allows or `MCX_E_SAVE_NO_VALID_SLOT` only when none fits, table unchanged, and
//!   statuses from the documented set consistent with what each slot may hold;
//! - nothing panics (a panic cannot unwind out of `extern "C"`: it aborts, a libFuzzer crash).
//!
//! The target itself stays sound: every pointer it passes is NULL, misaligned inside its own
//! allocation (refused before any access), or valid for what the callee may touch (a length
//! of `usize::MAX`, past any allocation, is refused before any access too); C strings
//! always have a NUL inside their allocation (maybe past `MCX_MAX_STRING_LEN`, where the callee
//! stops reading); never-written storage goes only to functions that never read it (the
//! initialisers); garbage never carries a magic word, so the library never takes garbage for
//! an object; one slot is never passed as two objects of one call that writes one without
//! checking its magic word first. A table is only ever initialised in a slot over that slot's
//! own storage (always initialised bytes, never freed while the pool lives), so no two tables
//! share storage; the target reads that storage only between calls, through raw pointers (as
//! C would), and rewrites it only when the slot's handle is overwritten (a `Fill`).

use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::{align_of, size_of, MaybeUninit};
use core::ptr;

use arbitrary::{Arbitrary, Unstructured};
use mcx_migrate_ffi::*;

use mcx_migrate::{PrivateCallRedirection, PrivateCallRequest, RedirectionReason};

use crate::pools::{Id, Kms, IDS, KMS, SYSTEMS};

/// Storage slots in the pool: enough for two tables (a snapshot of one restored into the
/// other), a call and messages to move between them.
const SLOTS: usize = 6;

/// The longest table storage the target gives (plus up to 7 bytes of misalignment): a few
/// records of the pools' IDs, so that tables fill up and evict.
const STORAGE_MAX: usize = 640;

/// Bytes of each slot's table storage buffer.
const STORAGE_BUF: usize = STORAGE_MAX + 8;

/// Bytes of each save area: a save of any table the target initialises
/// (`MCX_SAVE_SLOT_LEN(STORAGE_MAX)`).
const AREA_LEN: usize = STORAGE_MAX + MCX_TABLE_SNAPSHOT_OVERHEAD + MCX_SAVE_OVERHEAD;

/// Bytes of each save area's buffer: a guard after the longest slot, never written.
const AREA_BUF: usize = AREA_LEN + 8;

/// Bytes of one slot: the largest storage type, plus room to misalign a pointer inside it.
const SLOT_LEN: usize = max(max(MCX_TABLE_SIZE, MCX_MESSAGE_SIZE), MCX_CALL_SIZE) + 8;

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// One slot: raw, 8-aligned memory that C would declare as any of the storage types. Bytes are
/// `MaybeUninit`: memory never written is uninitialised, and an object the library wrote may
/// leave bytes (padding, unused string capacity) that Rust treats as uninitialised.
#[repr(C, align(8))]
struct Slot([MaybeUninit<u8>; SLOT_LEN]);

const _: () = assert!(align_of::<mcx_table_t>() <= align_of::<Slot>());
const _: () = assert!(align_of::<mcx_message_t>() <= align_of::<Slot>());
const _: () = assert!(align_of::<mcx_call_t>() <= align_of::<Slot>());
const _: () = assert!(size_of::<mcx_table_t>() < SLOT_LEN);

/// The magic words of the storage types (`ffi/src/{table,message,client}.rs`), little-endian
/// as stored at offset 0: garbage must never hold one, or the library would take it for an
/// object and read garbage as Rust values (undefined behaviour caused by the target, not a
/// bug of the library, which documents that storage is only filled by its functions).
const MAGICS: [u32; 3] = [0x4D43_5854, 0x4D43_584D, 0x4D43_5843];

extern "C" {
    /// libc's `memcmp`. The storage is compared as C compares it, byte by byte in C: reading
    /// bytes that Rust considers uninitialised (padding, unused capacity) as `u8` in Rust would
    /// be undefined behaviour of the target itself.
    fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int;
}

/// What fills a slot (the `Fill` operation).
#[derive(Debug, Clone, Arbitrary)]
pub enum Fill {
    /// All zero, as a C `static`.
    Zero,
    /// Pseudo-random bytes from a seed (magic words defused).
    Garbage(u64),
    /// Fresh, never-written memory, as a C stack variable.
    Uninit,
    /// The header of whatever the slot holds is overwritten (`MCX_E_NOT_INITIALISED` after).
    CorruptHeader(u8),
}

/// An object pointer argument.
#[derive(Debug, Clone, Copy)]
pub enum Obj {
    /// A slot picked from this byte by `at` (the argument's home slot, or any), whatever it
    /// holds.
    Slot(u8),
    /// NULL.
    Null,
    /// One byte into a slot picked the same way: misaligned, refused before any access.
    Misaligned(u8),
}

/// A required out-pointer argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutPtr {
    /// A valid, aligned variable.
    Valid,
    /// NULL.
    Null,
    /// One byte into a spare buffer: misaligned for anything wider than a byte.
    Misaligned,
}

/// A capacity for an output buffer.
#[derive(Debug, Clone, Copy)]
pub enum Cap {
    /// The documented size that always suffices for this function.
    Enough,
    /// This many bytes (modulo 2048): 0, too small, or enough.
    Bytes(u16),
    /// `usize::MAX` on a one-byte buffer: refused before the buffer is touched.
    Huge,
}

/// An output buffer argument.
#[derive(Debug, Clone, Copy)]
pub struct Buf {
    /// NULL instead of a buffer (allowed with a capacity of 0, to ask for the length).
    null: bool,
    cap: Cap,
}

/// An input bytes argument.
#[derive(Debug, Clone)]
pub enum Bytes {
    /// These bytes.
    Raw(Vec<u8>),
    /// The last bytes a function encoded (message, frame, snapshot, redirection), optionally
    /// cut short and with one byte XORed: reaches the checks behind the envelope.
    Last {
        cut: Option<u16>,
        flip: Option<(u16, u8)>,
    },
    /// A redirection that belongs to the last call started (its service kind, calling party,
    /// called ID and E2EE requirement) towards `to`, encoded by the core; empty bytes before
    /// any call started. The called ID is echoed in IE 2, or in IE 3 when `home` (a partner
    /// system's redirection home). Without it a call would almost never see a redirection it
    /// follows.
    FollowUp {
        to: Id,
        home: bool,
        sdi: Option<Kms>,
        reason: Option<bool>,
    },
    /// NULL with this length (modulo 4): allowed only for length 0.
    Null(u8),
    /// `usize::MAX` bytes at a one-byte buffer: refused before anything is read.
    Huge,
}

/// A C string argument; every one has a NUL within its allocation.
#[derive(Debug, Clone)]
pub enum Str {
    /// NULL (required strings: `MCX_E_NULL_ARGUMENT`; `kms_uri`: absent).
    Null,
    /// One of the valid IDs, system identities, KMS URIs of the pools (so often the wrong
    /// kind for the argument).
    Pool(u8),
    /// These bytes (maybe not UTF-8, maybe holding a NUL), then a NUL.
    Raw(Vec<u8>),
    /// `sip:n<this modulo 32>@mc-b.example`: more distinct valid IDs than the pools have, so
    /// a table's storage can fill up.
    Numbered(u8),
    /// `sip:` and `a`s, `MCX_MAX_STRING_LEN` - 8 + (this modulo 32) bytes before the NUL: around
    /// the longest string read, so also with no NUL within `MCX_MAX_STRING_LEN` + 1 bytes.
    Long(u8),
}

/// A numeric argument (service kind, field selector).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Num {
    /// This value modulo 12: mostly in range, some just past it.
    Small(u8),
    /// Any value.
    Any(u32),
}

/// The storage argument of `mcx_table_init`: the slot's own storage buffer (or the spare one,
/// for a table that is no slot).
#[derive(Debug, Clone, Copy)]
pub enum StorageArg {
    /// This many bytes (from 32: up to 191 for an even `len`, a record or two, so that tables
    /// fill up often; up to `STORAGE_MAX` for an odd one), this many bytes (modulo 8) into the
    /// buffer: any alignment.
    Len { len: u16, offset: u8 },
    /// Fewer than `MCX_TABLE_MIN_STORAGE_LEN` bytes (this modulo 32).
    Short(u8),
    /// NULL with this length.
    Null(u16),
    /// `usize::MAX` bytes at the buffer: longer than `isize::MAX`, refused before any access.
    Huge,
}

impl StorageArg {
    /// The length given.
    fn len(self) -> usize {
        match self {
            StorageArg::Len { len, .. } => {
                let range = if len % 2 == 0 {
                    160
                } else {
                    STORAGE_MAX - MCX_TABLE_MIN_STORAGE_LEN + 1
                };
                MCX_TABLE_MIN_STORAGE_LEN + usize::from(len / 2) % range
            }
            StorageArg::Short(n) => usize::from(n) % MCX_TABLE_MIN_STORAGE_LEN,
            StorageArg::Null(n) => usize::from(n),
            StorageArg::Huge => usize::MAX,
        }
    }
}

/// The length of a save slot argument.
#[derive(Debug, Clone, Copy)]
pub enum SlotLen {
    /// The whole save area, `AREA_LEN` bytes: holds any save.
    Full,
    /// This many bytes (modulo `AREA_LEN` + 1): often too short for the save.
    Bytes(u16),
    /// `usize::MAX` bytes (RAM slots only): longer than `isize::MAX`, never accessed.
    Huge,
}

/// A simulated power cut during a save into a slot with callbacks.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Cut {
    /// The erase fails (after erasing a prefix of `budget` bytes modulo the slot length + 1);
    /// otherwise a program call fails once `budget` bytes (modulo the save's length + 1) were
    /// programmed, after programming what the budget left of its chunk.
    erase: bool,
    budget: u16,
    /// What the failing callback returns (0 is made -1).
    code: i32,
}

/// A save slot argument of `mcx_table_save` / `mcx_table_load` over one of the two save areas.
#[derive(Debug, Clone, Copy)]
pub enum SlotArg {
    /// A NULL `mcx_save_slot_t *` (`MCX_E_NULL_ARGUMENT`).
    Null,
    /// One byte into the struct: misaligned (`MCX_E_MISALIGNED`).
    Misaligned,
    /// NULL `bytes` (`MCX_E_NULL_ARGUMENT`).
    NullBytes(SlotLen),
    /// Only the erase (`true`) or only the program callback (`MCX_E_INVALID_ARGUMENT`).
    OneCallback(bool, SlotLen),
    /// RAM: both callbacks NULL, the library erases and writes `bytes` itself.
    Ram(SlotLen),
    /// Flash: erase and program callbacks over the area (NOR-like: program only erased bytes),
    /// maybe with a power cut.
    Flash(SlotLen, Option<Cut>),
}

/// An optional out-pointer: NULL is allowed, misaligned is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOut {
    /// NULL: the caller does not want the value.
    Null,
    /// A valid, aligned variable.
    Valid,
    /// One byte into a spare buffer (`MCX_E_MISALIGNED`).
    Misaligned,
}

/// What fills a save area (`SaveAreaFill`).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AreaFill {
    /// 0xFF, as erased flash.
    Erased,
    /// Zeros.
    Zero,
    /// Pseudo-random bytes (never starting with the save magic).
    Garbage(u64),
}

/// One C API call (or a change of a slot's memory).
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// Overwrite a slot's memory.
    Fill { slot: u8, fill: Fill },
    /// `mcx_table_init`.
    TableInit(Obj, StorageArg),
    /// `mcx_table_bytes_in_use`.
    TableBytesInUse(Obj, OutPtr),
    /// `mcx_table_storage_len` (records, string bytes).
    TableStorageLen(u64, u64),
    /// `mcx_table_clear`.
    TableClear(Obj),
    /// `mcx_table_len`.
    TableLen(Obj, OutPtr),
    /// `mcx_table_apply`.
    TableApply(Obj, Obj),
    /// `mcx_table_apply_bytes`.
    TableApplyBytes(Obj, Bytes),
    /// `mcx_table_snapshot`.
    TableSnapshot(Obj, Buf, OutPtr),
    /// `mcx_table_restore`.
    TableRestore(Obj, Bytes),
    /// `mcx_message_init_request`.
    InitRequest {
        msg: Obj,
        kind: Num,
        caller: Str,
        target: Str,
        e2ee: bool,
        kms: Str,
    },
    /// `mcx_message_init_redirection`.
    InitRedirection {
        msg: Obj,
        kind: Num,
        caller: Str,
        primary: Str,
        migrated: Str,
        e2ee: bool,
        kms: Str,
        /// See [`reason_arg`]: a reason, `MCX_REASON_NONE`, or out of range.
        reason: Num,
    },
    /// One of the five `mcx_message_init_*` update builders (`which` modulo 5), with as many
    /// of the strings as it takes.
    InitUpdate {
        msg: Obj,
        which: u8,
        a: Str,
        b: Str,
        c: Str,
        d: Str,
    },
    /// `mcx_message_decode`.
    Decode(Obj, Bytes),
    /// `mcx_message_decode_frame` (on a copy of the bytes: it decodes in place).
    DecodeFrame(Obj, Bytes),
    /// `mcx_message_encode`, or `mcx_message_encode_frame` if `frame`.
    Encode {
        msg: Obj,
        frame: bool,
        buf: Buf,
        out: OutPtr,
    },
    /// `mcx_message_type`, `_service_kind`, `_e2ee_required`, `_reason`, `_update_kind`
    /// (`which` modulo 5).
    Getter { msg: Obj, which: u8, out: OutPtr },
    /// `mcx_message_field`.
    Field {
        msg: Obj,
        field: Num,
        buf: Buf,
        out: OutPtr,
    },
    /// `mcx_call_start`.
    CallStart(Obj, Obj),
    /// `mcx_call_on_redirection`.
    CallOnRedirection(Obj, Obj),
    /// `mcx_call_on_redirection_bytes`.
    CallOnRedirectionBytes(Obj, Bytes),
    /// `mcx_call_request`.
    CallRequest(Obj, Buf, OutPtr),
    /// `mcx_call_request_message`.
    CallRequestMessage(Obj, Obj),
    /// `mcx_call_redirections`.
    CallRedirections(Obj, OutPtr),
    /// `mcx_server_decide`.
    Decide {
        table: Obj,
        request: Obj,
        buf: Buf,
        outs: [OutPtr; 3],
    },
    /// `mcx_server_decide_bytes`.
    DecideBytes {
        table: Obj,
        request: Bytes,
        buf: Buf,
        outs: [OutPtr; 3],
    },
    /// `mcx_status_str`.
    StatusStr(i32),
    /// `mcx_table_save` into save areas 0 and 1 as slots A and B (B and A if `swap`), out
    /// slot and sequence number.
    TableSave {
        table: Obj,
        a: SlotArg,
        b: SlotArg,
        swap: bool,
        outs: [OptOut; 2],
    },
    /// `mcx_table_load` from save areas 0 and 1 as slots A and B (B and A if `swap`), out slot,
    /// sequence number, the two statuses and the storage a save too big for the table needs.
    TableLoad {
        table: Obj,
        a: SlotArg,
        b: SlotArg,
        swap: bool,
        outs: [OptOut; 5],
    },
    /// Overwrites save area `area` (0 or 1 by parity).
    SaveAreaFill { area: u8, fill: AreaFill },
    /// XORs one byte of save area `area` (at `at` modulo the longest save it may hold) with
    /// `xor` (0 is made 1).
    SaveAreaCorrupt { area: u8, at: u16, xor: u8 },
}

// The argument types pick their variant from one byte, weighted towards valid arguments
// (a derived `Arbitrary` picks variants uniformly: two calls in three would then stop at a
// NULL or misaligned pointer, and sequences would rarely reach the tables' and calls' logic).

impl<'a> Arbitrary<'a> for Obj {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(match b {
            0..=5 => Obj::Null,
            6..=11 => Obj::Misaligned(b),
            _ => Obj::Slot(b),
        })
    }
}

impl<'a> Arbitrary<'a> for StorageArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(match b {
            0..=5 => StorageArg::Null(u16::arbitrary(u)?),
            6..=7 => StorageArg::Huge,
            8..=19 => StorageArg::Short(u8::arbitrary(u)?),
            _ => StorageArg::Len {
                len: u16::arbitrary(u)?,
                offset: u8::arbitrary(u)?,
            },
        })
    }
}

impl<'a> Arbitrary<'a> for SlotLen {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=5 => SlotLen::Huge,
            6..=95 => SlotLen::Bytes(u16::arbitrary(u)?),
            _ => SlotLen::Full,
        })
    }
}

impl<'a> Arbitrary<'a> for SlotArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=3 => SlotArg::Null,
            4..=7 => SlotArg::Misaligned,
            8..=11 => SlotArg::NullBytes(SlotLen::arbitrary(u)?),
            12..=17 => SlotArg::OneCallback(bool::arbitrary(u)?, SlotLen::arbitrary(u)?),
            18..=127 => SlotArg::Ram(SlotLen::arbitrary(u)?),
            _ => SlotArg::Flash(SlotLen::arbitrary(u)?, Option::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for OptOut {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=63 => OptOut::Null,
            64..=79 => OptOut::Misaligned,
            _ => OptOut::Valid,
        })
    }
}

impl<'a> Arbitrary<'a> for OutPtr {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0..=5 => OutPtr::Null,
            6..=11 => OutPtr::Misaligned,
            _ => OutPtr::Valid,
        })
    }
}

impl<'a> Arbitrary<'a> for Buf {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        let cap = match b {
            0..=3 => Cap::Huge,
            4..=95 => Cap::Bytes(u16::arbitrary(u)?),
            _ => Cap::Enough,
        };
        // NULL with some of the small capacities (0 asks for the length) and the huge one.
        Ok(Buf {
            null: (4..=11).contains(&b) || b < 2,
            cap,
        })
    }
}

impl<'a> Arbitrary<'a> for Bytes {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(match b {
            0..=5 => Bytes::Null(b),
            6..=7 => Bytes::Huge,
            8..=79 => Bytes::Raw(Vec::arbitrary(u)?),
            80..=127 => Bytes::FollowUp {
                to: Id::arbitrary(u)?,
                home: bool::arbitrary(u)?,
                sdi: Option::arbitrary(u)?,
                reason: Option::arbitrary(u)?,
            },
            _ => Bytes::Last {
                cut: Option::arbitrary(u)?,
                flip: Option::arbitrary(u)?,
            },
        })
    }
}

impl<'a> Arbitrary<'a> for Str {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(match b {
            0..=15 => Str::Null,
            16..=39 => Str::Raw(Vec::arbitrary(u)?),
            40..=47 => Str::Long(u8::arbitrary(u)?),
            48..=79 => Str::Numbered(b),
            _ => Str::Pool(b),
        })
    }
}

/// Families of status codes (the hundreds of `-N`): 40 general, 41 identifier, 42 encoding
/// (buffer too small), 43 decoding, 44 table, 45 redirection, 47 snapshot. 46 (server reject
/// reasons) is never a status.
type Families = &'static [i32];
const GENERAL: Families = &[40];
const TABLE: Families = &[40, 44];
const TABLE_BYTES: Families = &[40, 41, 43, 44];
const SNAPSHOT: Families = &[40, 47];
/// `mcx_table_save` / `mcx_table_load` (48: save slots).
const SAVE: Families = &[40, 48];
const BUILD: Families = &[40, 41];
/// A redirection builder also refuses what the encoder refuses (`MCX_E_ENCODE_*`).
const BUILD_REDIRECTION: Families = &[40, 41, 42];
const DECODE: Families = &[40, 43];
const ENCODE: Families = &[40, 42];
const REDIRECT: Families = &[40, 45];
const REDIRECT_BYTES: Families = &[40, 41, 43, 45];
const DECIDE_BYTES: Families = &[40, 42, 43];

/// Checks `rc` is `MCX_OK` or a code of the status table from one of `families`, and that
/// `mcx_status_str` describes it.
fn check_status(what: &str, rc: mcx_status, families: Families) {
    if rc == MCX_OK {
        return;
    }
    let code = rc as i32;
    assert!(
        STATUS_TABLE.iter().any(|e| e.code == code),
        "{what}: unlisted status {rc}"
    );
    assert!(
        families.contains(&(-code / 100)),
        "{what}: status {rc} is not one this function documents"
    );
    assert_ne!(describe(code), UNKNOWN, "{what}: {rc} has no description");
}

/// `mcx_status_str`'s text for a code not in the table (`ffi/src/status.rs`).
const UNKNOWN: &str = "unknown status code\0";

/// A buffer for a table's records (or a save area), as C declares one: `STORAGE_BUF` (or
/// `len`) initialised bytes at a fixed address, reached only through its raw pointer (a table
/// initialised over it keeps one too), freed with the pool.
struct TableStorage(*mut u8, usize);

impl TableStorage {
    fn new() -> Self {
        Self::with_len(STORAGE_BUF, 0xA5)
    }

    fn with_len(len: usize, byte: u8) -> Self {
        let buf = vec![byte; len].into_boxed_slice();
        TableStorage(Box::into_raw(buf).cast(), len)
    }

    fn ptr(&self) -> *mut u8 {
        self.0
    }

    /// Overwrites the buffer with `byte(i)`: only when no table uses it.
    fn fill(&self, byte: impl Fn(usize) -> u8) {
        for i in 0..self.1 {
            // SAFETY: `i` is inside the buffer.
            unsafe { self.0.add(i).write(byte(i)) };
        }
    }

    fn copy(&self) -> Vec<u8> {
        let mut copy = vec![0u8; self.1];
        // SAFETY: `self.1` initialised bytes (the library writes bytes only) into a distinct
        // allocation of that length.
        unsafe { ptr::copy_nonoverlapping(self.0, copy.as_mut_ptr(), self.1) };
        copy
    }

    fn equals(&self, copy: &[u8]) -> bool {
        assert_eq!(copy.len(), self.1);
        // SAFETY: two live buffers of `self.1` bytes; `memcmp` only reads them.
        unsafe { memcmp(self.0.cast_const().cast(), copy.as_ptr().cast(), self.1) == 0 }
    }
}

impl Drop for TableStorage {
    fn drop(&mut self) {
        // SAFETY: the allocation `with_len` made, of `self.1` bytes, freed once.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(self.0, self.1)) });
    }
}

/// One slot's memory and what the target knows about it.
struct PoolSlot {
    mem: Box<Slot>,
    /// Whether the first bytes (a magic word's) were ever written: if not, only initialisers
    /// may be given the slot, as reading uninitialised memory is undefined behaviour.
    header_written: bool,
    /// The storage for the records of a table initialised in this slot, and only there.
    storage: TableStorage,
    /// The storage length of the table last initialised in this slot: what a table this slot
    /// holds was given.
    storage_len: Option<usize>,
}

impl PoolSlot {
    fn uninit() -> Self {
        PoolSlot {
            mem: Self::uninit_mem(),
            header_written: false,
            storage: TableStorage::new(),
            storage_len: None,
        }
    }

    fn uninit_mem() -> Box<Slot> {
        // SAFETY: `Slot` is an array of `MaybeUninit<u8>`, valid uninitialised.
        unsafe { Box::<Slot>::new_uninit().assume_init() }
    }

    fn ptr(&mut self) -> *mut u8 {
        self.mem.0.as_mut_ptr().cast()
    }

    /// Overwrites the whole slot with `bytes(i)` and defuses a magic word at offset 0.
    fn fill(&mut self, byte: impl Fn(usize) -> u8) {
        for (i, b) in self.mem.0.iter_mut().enumerate() {
            *b = MaybeUninit::new(byte(i));
        }
        self.defuse_magic();
        self.header_written = true;
    }

    /// Makes sure the word at offset 0 is no magic word: the highest byte (`M`, 0x4D, in every
    /// magic) is changed.
    fn defuse_magic(&mut self) {
        // SAFETY: called only once the first 4 bytes are written; the slot is 8-aligned.
        let word = unsafe { self.ptr().cast::<u32>().read() };
        if MAGICS.contains(&word) {
            self.mem.0[3] = MaybeUninit::new(0x4D ^ 0x80);
        }
    }
}

/// A copy of some slots' memory and of their table storage, to compare after a call.
struct Before(Vec<(usize, Box<Slot>, Vec<u8>)>);

/// The whole state of one run.
pub struct Harness {
    slots: Vec<PoolSlot>,
    /// The last bytes a function encoded, for `Bytes::Last`.
    last: Vec<u8>,
    /// `last` is a frame `mcx_message_encode_frame` wrote.
    last_is_frame: bool,
    /// A message storage of the target's own, for re-decoding outputs.
    spare: Box<Slot>,
    /// The encoded request of the last call started, for `Bytes::FollowUp`.
    dialled: Option<Vec<u8>>,
    /// The last snapshot taken, with the bytes in use and the records of its table.
    last_snapshot: Option<(Vec<u8>, usize, usize)>,
    /// The storage `mcx_table_init` is given with a NULL table.
    spare_storage: TableStorage,
    /// The status of the last call checked by [`after`](Self::after).
    last_rc: mcx_status,
    /// The two save areas (flash or RAM) the save slots are over.
    areas: [SaveArea; 2],
    /// A table of the target's own over `STORAGE_MAX` bytes of `check_storage`, into which
    /// the saves are loaded after every save.
    check_table: Box<Slot>,
    check_storage: TableStorage,
}

/// Pseudo-random bytes (splitmix64) for `Fill::Garbage`.
fn garbage(seed: u64, i: usize) -> u8 {
    let mut z = seed.wrapping_add((i as u64 / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z.to_le_bytes()[i % 8]
}

/// A C string argument's memory, alive during the call.
struct CString(Option<Vec<u8>>);

impl CString {
    /// The string for argument `s`, which expects one of `expected` (a pool).
    fn new(s: &Str, expected: &[&str]) -> Self {
        // Odd pool indices pick from every pool (often the wrong kind of string), even ones
        // from the pool the argument expects, so valid messages are built often.
        let any: Vec<&str> = IDS.iter().chain(&SYSTEMS).chain(&KMS).copied().collect();
        let pool = match s {
            Str::Pool(i) if i.is_multiple_of(2) => expected,
            _ => &any[..],
        };
        CString(match s {
            Str::Null => None,
            Str::Pool(i) => Some(pool[usize::from(*i / 2) % pool.len()].as_bytes().to_vec()),
            Str::Raw(v) => Some(v.clone()),
            Str::Numbered(n) => Some(format!("sip:n{}@mc-b.example", n % 32).into_bytes()),
            Str::Long(extra) => {
                let len = MCX_MAX_STRING_LEN - 8 + usize::from(*extra) % 32;
                let mut v = b"sip:".to_vec();
                v.resize(len, b'a');
                Some(v)
            }
        })
        .with_nul()
    }

    fn with_nul(mut self) -> Self {
        if let Some(v) = &mut self.0 {
            v.push(0);
        }
        self
    }

    fn ptr(&self) -> *const c_char {
        self.0
            .as_ref()
            .map_or(ptr::null(), |v| v.as_ptr().cast::<c_char>())
    }
}

/// An output buffer argument's memory.
struct OutBuf {
    mem: Vec<u8>,
    null: bool,
    cap: usize,
}

impl OutBuf {
    fn new(buf: Buf, enough: usize) -> Self {
        let (alloc, cap) = match buf.cap {
            Cap::Enough => (enough, enough),
            Cap::Bytes(n) => (usize::from(n % 2048), usize::from(n % 2048)),
            Cap::Huge => (1, usize::MAX),
        };
        OutBuf {
            mem: vec![0xA5; if buf.null { 0 } else { alloc }],
            null: buf.null,
            cap,
        }
    }

    fn ptr(&mut self) -> *mut u8 {
        if self.null {
            ptr::null_mut()
        } else {
            self.mem.as_mut_ptr()
        }
    }

    /// Whether the callee could write `cap` bytes here (a valid buffer argument).
    fn is_valid(&self) -> bool {
        if self.null {
            self.cap == 0
        } else {
            self.cap <= self.mem.len()
        }
    }
}

/// An input bytes argument's memory.
struct InBytes {
    mem: Vec<u8>,
    null: bool,
    len: usize,
}

impl InBytes {
    fn ptr(&self) -> *const u8 {
        if self.null {
            ptr::null()
        } else {
            self.mem.as_ptr()
        }
    }

    fn ptr_mut(&mut self) -> *mut u8 {
        if self.null {
            ptr::null_mut()
        } else {
            self.mem.as_mut_ptr()
        }
    }
}

/// A required out-pointer's variable, or NULL, or a misaligned pointer into spare memory.
struct OutVar<T> {
    kind: OutPtr,
    value: T,
    spare: [u64; 2],
}

impl<T: Copy> OutVar<T> {
    fn new(kind: OutPtr, init: T) -> Self {
        OutVar {
            kind,
            value: init,
            spare: [0; 2],
        }
    }

    fn ptr(&mut self) -> *mut T {
        match self.kind {
            OutPtr::Valid => &mut self.value,
            OutPtr::Null => ptr::null_mut(),
            // Inside `spare` (16 bytes, more than any `T` here plus one): for a `T` aligned to
            // one byte (`bool`), the callee writes there.
            OutPtr::Misaligned => self.spare.as_mut_ptr().cast::<u8>().wrapping_add(1).cast(),
        }
    }

    /// Whether the callee must refuse this pointer (NULL, or misaligned for `T`).
    fn refused(&self) -> bool {
        match self.kind {
            OutPtr::Valid => false,
            OutPtr::Null => true,
            OutPtr::Misaligned => align_of::<T>() > 1,
        }
    }
}

/// Either `MCX_E_BUFFER_TOO_SMALL` or `MCX_E_SNAPSHOT_BUFFER_TOO_SMALL`.
fn too_small(rc: mcx_status) -> bool {
    rc == MCX_E_BUFFER_TOO_SMALL || rc == MCX_E_SNAPSHOT_BUFFER_TOO_SMALL
}

impl Harness {
    /// A pool of never-written slots.
    pub fn new() -> Self {
        let mut spare = PoolSlot::uninit();
        spare.fill(|_| 0);
        Harness {
            slots: (0..SLOTS).map(|_| PoolSlot::uninit()).collect(),
            last: Vec::new(),
            last_is_frame: false,
            spare: spare.mem,
            dialled: None,
            last_snapshot: None,
            spare_storage: TableStorage::new(),
            last_rc: MCX_OK,
            areas: [SaveArea::new(), SaveArea::new()],
            check_table: PoolSlot::uninit_mem(),
            check_storage: TableStorage::new(),
        }
    }

    fn index(o: Obj) -> Option<usize> {
        match o {
            Obj::Slot(i) | Obj::Misaligned(i) => Some(usize::from(i) % SLOTS),
            Obj::Null => None,
        }
    }

    /// The pointer for `o`, or `None` if the callee could read it and the slot was never
    /// written (the operation is skipped).
    fn obj<T>(&mut self, o: Obj, reads: bool) -> Option<*mut T> {
        match o {
            Obj::Null => Some(ptr::null_mut()),
            Obj::Slot(_) | Obj::Misaligned(_) => {
                let slot = &mut self.slots[Self::index(o)?];
                if reads && !slot.header_written {
                    return None;
                }
                let p = slot.ptr();
                Some(if matches!(o, Obj::Misaligned(_)) {
                    p.wrapping_add(1).cast()
                } else {
                    p.cast()
                })
            }
        }
    }

    /// The pointers for two objects of one call that writes one of them without reading it
    /// first (`mcx_call_start`, `mcx_call_request_message`): `None` (skipped) when both are
    /// the same slot, as C must not pass one object as both (`ffi/src/abi.rs`), or as
    /// [`obj`](Self::obj). Each object comes with whether the callee reads it.
    fn distinct<A, B>(&mut self, a: (Obj, bool), b: (Obj, bool)) -> Option<(*mut A, *mut B)> {
        if Self::index(a.0).is_some() && Self::index(a.0) == Self::index(b.0) {
            return None;
        }
        Some((self.obj(a.0, a.1)?, self.obj(b.0, b.1)?))
    }

    fn before(&self, objs: &[Obj]) -> Before {
        let mut copies = Vec::new();
        for &o in objs {
            if let Some(i) = Self::index(o) {
                if copies.iter().all(|(j, _, _)| *j != i) {
                    let mut copy = PoolSlot::uninit_mem();
                    // SAFETY: both are whole, distinct `Slot`s; `MaybeUninit` bytes are copied
                    // as they are, initialised or not.
                    unsafe { ptr::copy_nonoverlapping(&*self.slots[i].mem, &mut *copy, 1) };
                    copies.push((i, copy, self.slots[i].storage.copy()));
                }
            }
        }
        Before(copies)
    }

    /// Compares the slots copied in `before` (only those in `only`, if given) with now.
    fn assert_unchanged(
        &self,
        before: &Before,
        only: Option<&[usize]>,
        what: &str,
        rc: mcx_status,
    ) {
        for (i, copy, storage) in &before.0 {
            if only.is_some_and(|only| !only.contains(i)) {
                continue;
            }
            assert!(
                self.slots[*i].storage.equals(storage),
                "{what} (status {rc}) changed the table storage of slot {i}"
            );
            // SAFETY: two live `Slot`s of `SLOT_LEN` bytes; `memcmp` only reads them.
            let diff = unsafe {
                memcmp(
                    (&*self.slots[*i].mem as *const Slot).cast(),
                    (&**copy as *const Slot).cast(),
                    SLOT_LEN,
                )
            };
            assert_eq!(diff, 0, "{what} (status {rc}) changed slot {i}");
        }
    }

    fn bytes(&self, b: &Bytes) -> InBytes {
        match b {
            Bytes::Raw(v) => InBytes {
                len: v.len(),
                mem: v.clone(),
                null: false,
            },
            Bytes::Last { cut, flip } => {
                let mut v = self.last.clone();
                if let (Some((at, xor)), false) = (flip, v.is_empty()) {
                    let n = v.len();
                    v[usize::from(*at) % n] ^= xor;
                }
                if let Some(cut) = cut {
                    v.truncate(usize::from(*cut) % (v.len() + 1));
                }
                InBytes {
                    len: v.len(),
                    mem: v,
                    null: false,
                }
            }
            Bytes::FollowUp {
                to,
                home,
                sdi,
                reason,
            } => {
                let mut v = vec![0u8; MCX_MAX_ENCODED_LEN];
                let dialled = self.dialled.as_deref().map(|bytes| {
                    PrivateCallRequest::decode(bytes).expect("only a decodable request is kept")
                });
                let len = dialled.map_or(0, |req| {
                    let redirection = PrivateCallRedirection {
                        service_kind: req.service_kind,
                        calling_party: req.calling_party,
                        target_primary: if *home { to.id_ref() } else { req.target },
                        target_migrated: if *home { req.target } else { to.id_ref() },
                        e2ee_required: req.e2ee_required,
                        security_domain_info: sdi.map(Kms::sdi),
                        reason: reason.map(|nls| {
                            if nls {
                                RedirectionReason::TargetNoLongerServed
                            } else {
                                RedirectionReason::TargetMigrated
                            }
                        }),
                    };
                    // An E2EE redirection without security domain information is refused by
                    // the encoder: then nothing.
                    redirection.encode(&mut v).unwrap_or(0)
                });
                v.truncate(len);
                InBytes {
                    len,
                    mem: v,
                    null: false,
                }
            }
            Bytes::Null(n) => InBytes {
                mem: Vec::new(),
                null: true,
                len: usize::from(n % 4),
            },
            Bytes::Huge => InBytes {
                mem: vec![0],
                null: false,
                len: usize::MAX,
            },
        }
    }

    /// Runs one operation and checks its outcome.
    pub fn run(&mut self, op: &Op) {
        match &resolve(op) {
            Op::Fill { slot, fill } => {
                let slot = &mut self.slots[usize::from(*slot) % SLOTS];
                // A table handle overwritten leaves its storage to C again: refilled, so that
                // tables are initialised over whatever storage held.
                match fill {
                    Fill::Zero => {
                        slot.fill(|_| 0);
                        slot.storage.fill(|_| 0);
                    }
                    Fill::Garbage(seed) => {
                        slot.fill(|i| garbage(*seed, i));
                        slot.storage.fill(|i| garbage(!*seed, i));
                    }
                    Fill::Uninit => {
                        slot.mem = PoolSlot::uninit_mem();
                        slot.header_written = false;
                        slot.storage.fill(|i| garbage(i as u64, i));
                    }
                    Fill::CorruptHeader(x) => {
                        if slot.header_written {
                            let b = slot.mem.0[0];
                            // SAFETY: `header_written`: the first bytes were written (zeros,
                            // garbage or a magic word), so they are initialised.
                            let b = unsafe { b.assume_init() };
                            slot.mem.0[0] = MaybeUninit::new(b ^ (x | 1));
                            slot.defuse_magic();
                        }
                    }
                }
            }
            Op::TableInit(t, storage) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, false) else {
                    return;
                };
                // The slot's own storage; with a NULL table, the spare.
                let buf = match Self::index(*t) {
                    Some(i) => self.slots[i].storage.ptr(),
                    None => self.spare_storage.ptr(),
                };
                let len = storage.len();
                let storage_ptr = match storage {
                    StorageArg::Null(_) => ptr::null_mut(),
                    StorageArg::Len { offset, .. } => buf.wrapping_add(usize::from(*offset) % 8),
                    StorageArg::Short(_) | StorageArg::Huge => buf,
                };
                let before = self.before(&[*t]);
                let spare_before = self.spare_storage.copy();
                let rc = mcx_table_init(p, storage_ptr.cast(), len);
                self.after("mcx_table_init", rc, TABLE, &before, &[*t], &[]);
                assert!(
                    self.spare_storage.equals(&spare_before),
                    "mcx_table_init (status {rc}) with a NULL table wrote the storage"
                );
                // The refusals the arguments call for (any one of them when several apply).
                let mut refusals = Vec::new();
                match t {
                    Obj::Null => refusals.push(MCX_E_NULL_ARGUMENT),
                    Obj::Misaligned(_) => refusals.push(MCX_E_MISALIGNED),
                    Obj::Slot(_) => {}
                }
                if storage_ptr.is_null() {
                    refusals.push(MCX_E_NULL_ARGUMENT);
                }
                if len < MCX_TABLE_MIN_STORAGE_LEN {
                    refusals.push(MCX_E_TABLE_STORAGE_TOO_SMALL);
                }
                if len > isize::MAX as usize {
                    refusals.push(MCX_E_INVALID_ARGUMENT);
                }
                if refusals.is_empty() {
                    assert_eq!(rc, MCX_OK, "mcx_table_init of {len} bytes");
                    let i = Self::index(*t).expect("a slot");
                    self.slots[i].storage_len = Some(len);
                    assert_eq!(
                        self.check_table(p, len),
                        (0, MCX_TABLE_MIN_STORAGE_LEN),
                        "a new table: no record, the smallest index"
                    );
                } else {
                    assert!(
                        refusals.contains(&rc),
                        "mcx_table_init: {rc}, expected one of {refusals:?}"
                    );
                }
            }
            Op::TableBytesInUse(t, out) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                let before = self.before(&[*t]);
                let mut n = OutVar::new(*out, usize::MAX);
                let rc = mcx_table_bytes_in_use(p, n.ptr());
                self.after("mcx_table_bytes_in_use", rc, GENERAL, &before, &[], &[*t]);
                check_refused(&n, rc);
                if rc == MCX_OK {
                    let (_, in_use) = self.check_table(p, self.storage_len_of(*t));
                    assert_eq!(n.value, in_use);
                }
            }
            Op::TableStorageLen(records, string_bytes) => {
                let (records, string_bytes) = (*records as usize, *string_bytes as usize);
                // MCX_TABLE_STORAGE_LEN's formula without overflow, then saturated.
                let per_record = (MCX_TABLE_RECORD_HEADER_LEN + 2 * MCX_TABLE_BUCKET_LEN) as u128
                    + string_bytes as u128;
                let exact = (records as u128)
                    .checked_mul(per_record)
                    .map_or(u128::MAX, |n| n + MCX_TABLE_MIN_STORAGE_LEN as u128);
                assert_eq!(
                    mcx_table_storage_len(records, string_bytes) as u128,
                    exact.min(usize::MAX as u128),
                    "mcx_table_storage_len({records}, {string_bytes})"
                );
            }
            Op::TableClear(t) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                let before = self.before(&[*t]);
                let rc = mcx_table_clear(p);
                self.after("mcx_table_clear", rc, GENERAL, &before, &[], &[]);
                if rc == MCX_OK {
                    assert_eq!(
                        self.check_table(p, self.storage_len_of(*t)),
                        (0, MCX_TABLE_MIN_STORAGE_LEN),
                        "clear left records"
                    );
                }
            }
            Op::TableLen(t, out) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                let before = self.before(&[*t]);
                let mut len = OutVar::new(*out, usize::MAX);
                let rc = mcx_table_len(p, len.ptr());
                self.after("mcx_table_len", rc, GENERAL, &before, &[], &[]);
                check_refused(&len, rc);
                if rc == MCX_OK {
                    let (records, _) = self.check_table(p, self.storage_len_of(*t));
                    assert_eq!(len.value, records);
                }
            }
            Op::TableApply(t, m) => {
                let (Some(tp), Some(mp)) = (
                    self.obj::<mcx_table_t>(*t, true),
                    self.obj::<mcx_message_t>(*m, true),
                ) else {
                    return;
                };
                // The same slot as both is fine here: it cannot hold both magic words, so the
                // table is refused before it is written.
                let before = self.before(&[*t, *m]);
                let rc = mcx_table_apply(tp, mp);
                self.after("mcx_table_apply", rc, TABLE, &before, &[], &[*m]);
                if rc == MCX_OK {
                    self.check_table(tp, self.storage_len_of(*t));
                }
            }
            Op::TableApplyBytes(t, b) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                let input = self.bytes(b);
                let before = self.before(&[*t]);
                let rc = mcx_table_apply_bytes(p, input.ptr(), input.len);
                self.after("mcx_table_apply_bytes", rc, TABLE_BYTES, &before, &[], &[]);
                if rc == MCX_OK {
                    self.check_table(p, self.storage_len_of(*t));
                }
            }
            Op::TableSnapshot(t, buf, out) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                // MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len) of the table the slot holds, if any.
                let storage_len = Self::index(*t)
                    .and_then(|i| self.slots[i].storage_len)
                    .unwrap_or(MCX_TABLE_MIN_STORAGE_LEN);
                let max_len = storage_len + MCX_TABLE_SNAPSHOT_OVERHEAD;
                let len = self.buffer_call(
                    "mcx_table_snapshot",
                    SNAPSHOT,
                    &[*t],
                    OutBuf::new(*buf, max_len),
                    *out,
                    |buf, cap, out| mcx_table_snapshot(p, buf, cap, out),
                );
                if let Some((mut snapshot, len)) = len {
                    snapshot.truncate(len);
                    assert!(
                        snapshot.len() <= max_len,
                        "a snapshot of {len} bytes of a table of {storage_len} bytes"
                    );
                    let (records, in_use) = self.check_table(p, storage_len);
                    // The table takes its own snapshot back, and then snapshots the same.
                    let rc = mcx_table_restore(
                        p,
                        snapshot.as_ptr(),
                        snapshot.len(),
                        core::ptr::null_mut(),
                    );
                    assert_eq!(rc, MCX_OK, "the table refused its own snapshot");
                    assert_eq!(
                        snapshot_of(p),
                        snapshot,
                        "restoring its own snapshot changed the table"
                    );
                    self.last_snapshot = Some((snapshot.clone(), in_use, records));
                    self.last = snapshot;
                    self.last_is_frame = false;
                }
            }
            Op::TableRestore(t, b) => {
                let Some(p) = self.obj::<mcx_table_t>(*t, true) else {
                    return;
                };
                let input = self.bytes(b);
                // A table's storage length, if `p` is one; the source table's bytes in use and
                // records, if the input is the last snapshot taken, unchanged.
                let target = match (self.table_len(p), Self::index(*t)) {
                    (Some(_), Some(i)) => self.slots[i].storage_len,
                    _ => None,
                };
                let source = self
                    .last_snapshot
                    .as_ref()
                    .filter(|(snapshot, _, _)| !input.null && input.mem == *snapshot)
                    .map(|(_, in_use, records)| (*in_use, *records));
                let before = self.before(&[*t]);
                let mut needed = usize::MAX;
                let rc = mcx_table_restore(p, input.ptr(), input.len, &mut needed);
                self.after("mcx_table_restore", rc, SNAPSHOT, &before, &[], &[]);
                // The needed storage length is written with MCX_E_SNAPSHOT_TABLE_TOO_SMALL, and
                // only then; it is more than the table has.
                if rc == MCX_E_SNAPSHOT_TABLE_TOO_SMALL {
                    if let Some(storage_len) = target {
                        assert!(needed > storage_len, "needs {needed}, has {storage_len}");
                    }
                } else {
                    assert_eq!(needed, usize::MAX, "{rc:?} wrote a needed length");
                }
                match (target, source) {
                    // "mcx_table_bytes_in_use of the table that took the snapshot is enough",
                    // and exactly what a restore needs.
                    (Some(storage_len), Some((in_use, records))) => {
                        if in_use <= storage_len {
                            assert_eq!(
                                rc, MCX_OK,
                                "a snapshot of a table of {in_use} bytes in use, restored \
                                 into {storage_len} bytes"
                            );
                            assert_eq!(
                                self.check_table(p, storage_len),
                                (records, in_use),
                                "the restored table's records and bytes in use"
                            );
                        } else {
                            assert_eq!(
                                rc, MCX_E_SNAPSHOT_TABLE_TOO_SMALL,
                                "a snapshot of a table of {in_use} bytes in use, restored \
                                 into {storage_len} bytes"
                            );
                            assert_eq!(needed, in_use, "the needed storage length");
                        }
                    }
                    _ if rc == MCX_OK => {
                        self.check_table(p, self.storage_len_of(*t));
                    }
                    _ => {}
                }
            }
            Op::InitRequest {
                msg,
                kind,
                caller,
                target,
                e2ee,
                kms,
            } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, false) else {
                    return;
                };
                let (caller, target, kms) = (
                    CString::new(caller, &IDS),
                    CString::new(target, &IDS),
                    CString::new(kms, &KMS),
                );
                let before = self.before(&[*msg]);
                let rc = mcx_message_init_request(
                    p,
                    num(*kind),
                    caller.ptr(),
                    target.ptr(),
                    *e2ee,
                    kms.ptr(),
                );
                self.after("mcx_message_init_request", rc, BUILD, &before, &[*msg], &[]);
            }
            Op::InitRedirection {
                msg,
                kind,
                caller,
                primary,
                migrated,
                e2ee,
                kms,
                reason,
            } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, false) else {
                    return;
                };
                let (caller, primary, migrated, kms) = (
                    CString::new(caller, &IDS),
                    CString::new(primary, &IDS),
                    CString::new(migrated, &IDS),
                    CString::new(kms, &KMS),
                );
                let reason = reason_arg(*reason);
                let before = self.before(&[*msg]);
                let rc = mcx_message_init_redirection(
                    p,
                    num(*kind),
                    caller.ptr(),
                    primary.ptr(),
                    migrated.ptr(),
                    *e2ee,
                    kms.ptr(),
                    reason,
                );
                self.after(
                    "mcx_message_init_redirection",
                    rc,
                    BUILD_REDIRECTION,
                    &before,
                    &[*msg],
                    &[],
                );
                if rc == MCX_OK {
                    // The NOTE under Table 10.16.y.2-1 holds for every redirection built.
                    assert!(
                        !*e2ee || !kms.ptr().is_null(),
                        "E2EE without a KMS URI built"
                    );
                    let mut got = 0u32;
                    let rc = mcx_message_reason(p, ptr::from_mut(&mut got).cast());
                    if reason == MCX_REASON_NONE as u32 {
                        assert_eq!(rc, MCX_E_ABSENT, "a redirection built without a reason");
                    } else {
                        assert_eq!((rc, got), (MCX_OK, reason), "the reason built");
                    }
                }
            }
            Op::InitUpdate {
                msg,
                which,
                a,
                b,
                c,
                d,
            } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, false) else {
                    return;
                };
                // The builders' arguments: (ID, system, ID, KMS URI) for "migrated" and "moved
                // on", (ID, ID, system, KMS URI) for "visitor registered", one ID otherwise.
                let expected: [&[&str]; 4] = if which % 5 == 3 {
                    [&IDS, &IDS, &SYSTEMS, &KMS]
                } else {
                    [&IDS, &SYSTEMS, &IDS, &KMS]
                };
                let [a, b, c, d] = [
                    CString::new(a, expected[0]),
                    CString::new(b, expected[1]),
                    CString::new(c, expected[2]),
                    CString::new(d, expected[3]),
                ];
                let (a, b, c, d) = (a.ptr(), b.ptr(), c.ptr(), d.ptr());
                let before = self.before(&[*msg]);
                let (what, rc) = match which % 5 {
                    0 => (
                        "mcx_message_init_migrated",
                        mcx_message_init_migrated(p, a, b, c, d),
                    ),
                    1 => (
                        "mcx_message_init_moved_on",
                        mcx_message_init_moved_on(p, a, b, c, d),
                    ),
                    2 => ("mcx_message_init_returned", mcx_message_init_returned(p, a)),
                    3 => (
                        "mcx_message_init_visitor_registered",
                        mcx_message_init_visitor_registered(p, a, b, c, d),
                    ),
                    _ => (
                        "mcx_message_init_visitor_departed",
                        mcx_message_init_visitor_departed(p, a),
                    ),
                };
                self.after(what, rc, BUILD, &before, &[*msg], &[]);
                if rc == MCX_OK {
                    let mut kind = 0u32;
                    assert_eq!(
                        mcx_message_update_kind(p, ptr::from_mut(&mut kind).cast()),
                        MCX_OK
                    );
                    assert_eq!(
                        kind,
                        u32::from(which % 5) + 1,
                        "{what} built another update"
                    );
                }
            }
            Op::Decode(m, b) => {
                let Some(p) = self.obj::<mcx_message_t>(*m, false) else {
                    return;
                };
                let input = self.bytes(b);
                let before = self.before(&[*m]);
                let rc = mcx_message_decode(p, input.ptr(), input.len);
                self.after("mcx_message_decode", rc, DECODE, &before, &[*m], &[]);
            }
            Op::DecodeFrame(m, b) => {
                let Some(p) = self.obj::<mcx_message_t>(*m, false) else {
                    return;
                };
                let mut input = self.bytes(b);
                let before = self.before(&[*m]);
                let rc = mcx_message_decode_frame(p, input.ptr_mut(), input.len);
                // One byte of a frame XORed is an error burst of at most 8 bits: the frame's
                // CRC-32C catches every one, before anything in the message is looked at.
                if let (
                    true,
                    Bytes::Last {
                        cut: None,
                        flip: Some((_, xor)),
                    },
                ) = (self.last_is_frame, b)
                {
                    // A NULL or misaligned message is refused before the bytes are read.
                    let arguments_refused = rc == MCX_E_NULL_ARGUMENT
                        || rc == MCX_E_MISALIGNED
                        || rc == MCX_E_INVALID_ARGUMENT;
                    if *xor != 0 && !self.last.is_empty() && !arguments_refused {
                        assert!(
                            rc == MCX_E_DECODE_FRAME_CHECK_MISMATCH || rc == MCX_E_DECODE_BAD_FRAME,
                            "a frame with a byte corrupted: {rc}"
                        );
                    }
                }
                self.after("mcx_message_decode_frame", rc, DECODE, &before, &[*m], &[]);
            }
            Op::Encode {
                msg,
                frame,
                buf,
                out,
            } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, true) else {
                    return;
                };
                let (what, encode): (&str, Encoder) = if *frame {
                    ("mcx_message_encode_frame", mcx_message_encode_frame)
                } else {
                    ("mcx_message_encode", mcx_message_encode)
                };
                let enough = if *frame {
                    MCX_MAX_FRAME_LEN
                } else {
                    MCX_MAX_ENCODED_LEN
                };
                let encoded = self.buffer_call(
                    what,
                    ENCODE,
                    &[*msg],
                    OutBuf::new(*buf, enough),
                    *out,
                    |buf, cap, out| encode(p, buf, cap, out),
                );
                if let Some((mut bytes, len)) = encoded {
                    bytes.truncate(len);
                    assert!(bytes.len() <= enough, "{what}: {} bytes", bytes.len());
                    // The encoding decodes again, to a message that encodes the same.
                    let spare = self.spare_message();
                    let rc = if *frame {
                        let framed = bytes.clone();
                        let rc = mcx_message_decode_frame(spare, bytes.as_mut_ptr(), bytes.len());
                        bytes = framed;
                        rc
                    } else {
                        mcx_message_decode(spare, bytes.as_ptr(), bytes.len())
                    };
                    assert_eq!(rc, MCX_OK, "{what}: its output does not decode");
                    let mut again = vec![0u8; enough];
                    let mut n = 0usize;
                    assert_eq!(
                        encode(spare, again.as_mut_ptr(), again.len(), &mut n),
                        MCX_OK
                    );
                    assert_eq!(
                        again[..n],
                        bytes[..],
                        "{what}: decoded message encodes otherwise"
                    );
                    self.last = bytes;
                    self.last_is_frame = *frame;
                }
            }
            Op::Getter { msg, which, out } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, true) else {
                    return;
                };
                let before = self.before(&[*msg]);
                let (what, rc, refused) = if which % 5 == 4 {
                    let mut v = OutVar::new(*out, false);
                    let rc = mcx_message_e2ee_required(p, v.ptr());
                    ("mcx_message_e2ee_required", rc, v.refused())
                } else {
                    let (what, get, range): (&str, U32Getter, _) = match which % 5 {
                        0 => (
                            "mcx_message_type",
                            |m, o| mcx_message_type(m, o.cast()),
                            1..=3,
                        ),
                        1 => (
                            "mcx_message_service_kind",
                            |m, o| mcx_message_service_kind(m, o.cast()),
                            0..=2,
                        ),
                        2 => (
                            "mcx_message_reason",
                            |m, o| mcx_message_reason(m, o.cast()),
                            0..=1,
                        ),
                        _ => (
                            "mcx_message_update_kind",
                            |m, o| mcx_message_update_kind(m, o.cast()),
                            1..=5,
                        ),
                    };
                    let mut v = OutVar::new(*out, u32::MAX);
                    let rc = get(p, v.ptr());
                    if rc == MCX_OK {
                        assert!(range.contains(&v.value), "{what}: {}", v.value);
                    }
                    (what, rc, v.refused())
                };
                self.after(what, rc, GENERAL, &before, &[], &[*msg]);
                if refused {
                    assert_ne!(rc, MCX_OK, "{what} took a NULL or misaligned out-pointer");
                }
            }
            Op::Field {
                msg,
                field,
                buf,
                out,
            } => {
                let Some(p) = self.obj::<mcx_message_t>(*msg, true) else {
                    return;
                };
                let field = num(*field);
                let text = self.buffer_call(
                    "mcx_message_field",
                    ENCODE,
                    &[*msg],
                    OutBuf::new(*buf, MCX_MAX_STRING_LEN + 1),
                    *out,
                    |buf, cap, out| mcx_message_field(p, field, buf.cast(), cap, out),
                );
                if let Some((text, written)) = text {
                    // `*out_len` is the length without the NUL, which follows.
                    assert!(written <= MCX_MAX_STRING_LEN);
                    assert_eq!(text.get(written), Some(&0), "no NUL after the field");
                    let c = CStr::from_bytes_until_nul(&text).expect("field is NUL-terminated");
                    assert_eq!(c.to_bytes().len(), written, "field length");
                    assert!(c.to_str().is_ok(), "field is not UTF-8");
                }
            }
            Op::CallStart(c, m) => {
                let Some((cp, mp)) =
                    self.distinct::<mcx_call_t, mcx_message_t>((*c, false), (*m, true))
                else {
                    return;
                };
                let before = self.before(&[*c, *m]);
                let rc = mcx_call_start(cp, mp);
                self.after("mcx_call_start", rc, GENERAL, &before, &[*c], &[*m]);
                if rc == MCX_OK {
                    assert_eq!(self.redirections(cp), Some(0));
                    let mut request = vec![0u8; MCX_MAX_ENCODED_LEN];
                    let mut n = 0usize;
                    let rc = mcx_message_encode(mp, request.as_mut_ptr(), request.len(), &mut n);
                    request.truncate(n);
                    // A request without security domain information although E2EE is
                    // required starts a call but does not encode: no follow-ups then.
                    self.dialled = (rc == MCX_OK && PrivateCallRequest::decode(&request).is_ok())
                        .then_some(request);
                }
            }
            Op::CallOnRedirection(c, m) => {
                let (Some(cp), Some(mp)) = (
                    self.obj::<mcx_call_t>(*c, true),
                    self.obj::<mcx_message_t>(*m, true),
                ) else {
                    return;
                };
                // One slot as both is fine: it cannot hold both magic words (see TableApply).
                let hops = self.redirections(cp);
                let before = self.before(&[*c, *m]);
                let rc = mcx_call_on_redirection(cp, mp);
                self.after("mcx_call_on_redirection", rc, REDIRECT, &before, &[], &[*m]);
                self.check_followed(cp, rc, hops);
            }
            Op::CallOnRedirectionBytes(c, b) => {
                let Some(cp) = self.obj::<mcx_call_t>(*c, true) else {
                    return;
                };
                let input = self.bytes(b);
                let hops = self.redirections(cp);
                let before = self.before(&[*c]);
                let rc = mcx_call_on_redirection_bytes(cp, input.ptr(), input.len);
                self.after(
                    "mcx_call_on_redirection_bytes",
                    rc,
                    REDIRECT_BYTES,
                    &before,
                    &[],
                    &[],
                );
                self.check_followed(cp, rc, hops);
            }
            Op::CallRequest(c, buf, out) => {
                let Some(p) = self.obj::<mcx_call_t>(*c, true) else {
                    return;
                };
                let request = self.buffer_call(
                    "mcx_call_request",
                    ENCODE,
                    &[*c],
                    OutBuf::new(*buf, MCX_MAX_ENCODED_LEN),
                    *out,
                    |buf, cap, out| mcx_call_request(p, buf, cap, out),
                );
                if let Some((mut request, len)) = request {
                    request.truncate(len);
                    let mut ty = 0u32;
                    let spare = self.spare_message();
                    assert_eq!(
                        mcx_message_decode(spare, request.as_ptr(), request.len()),
                        MCX_OK
                    );
                    assert_eq!(
                        mcx_message_type(spare, ptr::from_mut(&mut ty).cast()),
                        MCX_OK
                    );
                    assert_eq!(ty, MCX_MESSAGE_PRIVATE_CALL_REQUEST as u32);
                    self.last = request;
                    self.last_is_frame = false;
                }
            }
            Op::CallRequestMessage(c, m) => {
                let Some((cp, mp)) =
                    self.distinct::<mcx_call_t, mcx_message_t>((*c, true), (*m, false))
                else {
                    return;
                };
                let before = self.before(&[*c, *m]);
                let rc = mcx_call_request_message(cp, mp);
                self.after(
                    "mcx_call_request_message",
                    rc,
                    GENERAL,
                    &before,
                    &[*m],
                    &[*c],
                );
                if rc == MCX_OK {
                    let mut ty = 0u32;
                    assert_eq!(mcx_message_type(mp, ptr::from_mut(&mut ty).cast()), MCX_OK);
                    assert_eq!(ty, MCX_MESSAGE_PRIVATE_CALL_REQUEST as u32);
                }
            }
            Op::CallRedirections(c, out) => {
                let Some(p) = self.obj::<mcx_call_t>(*c, true) else {
                    return;
                };
                let before = self.before(&[*c]);
                let mut n = OutVar::new(*out, usize::MAX);
                let rc = mcx_call_redirections(p, n.ptr());
                self.after("mcx_call_redirections", rc, GENERAL, &before, &[], &[*c]);
                check_refused(&n, rc);
                if rc == MCX_OK {
                    assert!(n.value <= MCX_CALL_MAX_REDIRECTIONS);
                }
            }
            Op::Decide {
                table,
                request,
                buf,
                outs,
            } => {
                let (Some(tp), Some(mp)) = (
                    self.obj::<mcx_table_t>(*table, true),
                    self.obj::<mcx_message_t>(*request, true),
                ) else {
                    return;
                };
                let decide = |buf: *mut u8, cap, outs: Outs| {
                    mcx_server_decide(tp, mp, buf, cap, outs.0, outs.1.cast(), outs.2.cast())
                };
                self.decide(
                    "mcx_server_decide",
                    ENCODE,
                    &[*table, *request],
                    *buf,
                    *outs,
                    decide,
                );
            }
            Op::DecideBytes {
                table,
                request,
                buf,
                outs,
            } => {
                let Some(tp) = self.obj::<mcx_table_t>(*table, true) else {
                    return;
                };
                let input = self.bytes(request);
                let decide = |buf: *mut u8, cap, outs: Outs| {
                    mcx_server_decide_bytes(
                        tp,
                        input.ptr(),
                        input.len,
                        buf,
                        cap,
                        outs.0,
                        outs.1.cast(),
                        outs.2.cast(),
                    )
                };
                self.decide(
                    "mcx_server_decide_bytes",
                    DECIDE_BYTES,
                    &[*table],
                    *buf,
                    *outs,
                    decide,
                );
            }
            Op::StatusStr(code) => {
                let p = mcx_status_str(*code);
                assert!(!p.is_null());
                // SAFETY: documented as a static NUL-terminated string, never NULL.
                let text = unsafe { CStr::from_ptr(p) }.to_str().expect("UTF-8");
                let expected = STATUS_TABLE
                    .iter()
                    .find(|e| e.code == *code)
                    .map_or(UNKNOWN, |e| e.description);
                assert_eq!(text, expected.trim_end_matches('\0'));
            }
            Op::TableSave {
                table,
                a,
                b,
                swap,
                outs,
            } => self.save(*table, [*a, *b], *swap, *outs),
            Op::TableLoad {
                table,
                a,
                b,
                swap,
                outs,
            } => self.load(*table, [*a, *b], *swap, *outs),
            Op::SaveAreaFill { area, fill } => {
                let area = &mut self.areas[usize::from(area % 2)];
                match fill {
                    AreaFill::Erased => area.mem.fill(|_| 0xFF),
                    AreaFill::Zero => area.mem.fill(|_| 0),
                    AreaFill::Garbage(seed) => {
                        area.mem.fill(|i| garbage(*seed, i));
                        let head = area.mem.copy();
                        if head[..4] == *b"MCXB" {
                            area.mem
                                .fill(|i| if i == 3 { b'B' ^ 0x80 } else { head[i] });
                        }
                    }
                }
                area.may_hold = vec![None];
            }
            Op::SaveAreaCorrupt { area, at, xor } => {
                let area = &mut self.areas[usize::from(area % 2)];
                // Mostly inside the save: a byte past it changes nothing a load reads.
                let longest = area
                    .may_hold
                    .iter()
                    .flatten()
                    .map(Whole::total)
                    .max()
                    .unwrap_or(AREA_LEN);
                let at = usize::from(*at) % longest;
                let mut bytes = area.mem.copy();
                bytes[at] ^= (*xor).max(1);
                area.mem.fill(|i| bytes[i]);
                // A save with a byte changed fails its CRC (CRC-32 catches every error burst
                // of up to 32 bits); a byte past it changes nothing.
                area.may_be(None);
            }
        }
    }

    /// Common checks after a call: the status, unchanged objects (`all` on failure, `read_only`
    /// always), and the bookkeeping of slots an initialiser wrote (`written`).
    fn after(
        &mut self,
        what: &str,
        rc: mcx_status,
        families: Families,
        before: &Before,
        written: &[Obj],
        read_only: &[Obj],
    ) {
        check_status(what, rc, families);
        self.last_rc = rc;
        if rc == MCX_OK {
            let only: Vec<usize> = read_only.iter().filter_map(|o| Self::index(*o)).collect();
            self.assert_unchanged(before, Some(&only), what, rc);
            for o in written {
                if let (Obj::Slot(_), Some(i)) = (o, Self::index(*o)) {
                    self.slots[i].header_written = true;
                }
            }
        } else {
            self.assert_unchanged(before, None, what, rc);
        }
    }

    /// Calls `call`, a function that writes into a caller buffer and its length through
    /// `out_len`, with `buf` and `out`: the common checks ([`after`](Self::after), a refused
    /// out-pointer), then [`retry_if_too_small`](Self::retry_if_too_small). `objs` are only read.
    fn buffer_call(
        &mut self,
        what: &str,
        families: Families,
        objs: &[Obj],
        mut buf: OutBuf,
        out: OutPtr,
        call: impl Fn(*mut u8, usize, *mut usize) -> mcx_status,
    ) -> Option<(Vec<u8>, usize)> {
        let before = self.before(objs);
        let mut len = OutVar::new(out, usize::MAX);
        let rc = call(buf.ptr(), buf.cap, len.ptr());
        self.after(what, rc, families, &before, &[], objs);
        check_refused(&len, rc);
        self.retry_if_too_small(what, rc, &buf, len.value, call)
    }

    /// After `rc` = buffer too small: the needed length exceeds the capacity given and a retry
    /// with a buffer of exactly that length succeeds. Returns the whole buffer of the successful
    /// call (first or retried) and its `*out_len`, or `None` if neither succeeded.
    fn retry_if_too_small(
        &self,
        what: &str,
        rc: mcx_status,
        buf: &OutBuf,
        len: usize,
        call: impl Fn(*mut u8, usize, *mut usize) -> mcx_status,
    ) -> Option<(Vec<u8>, usize)> {
        if rc == MCX_OK {
            assert!(
                buf.is_valid() && len <= buf.cap,
                "{what}: {len} bytes in a buffer of {}",
                buf.cap
            );
            return Some((buf.mem.clone(), len));
        }
        if !too_small(rc) {
            return None;
        }
        assert!(
            len > buf.cap && len != usize::MAX,
            "{what}: needs {len}, given {}",
            buf.cap
        );
        let mut retry = vec![0xA5u8; len];
        let mut n = usize::MAX;
        let rc = call(retry.as_mut_ptr(), len, &mut n);
        assert_eq!(
            rc, MCX_OK,
            "{what}: retry with the {len} bytes it asked for"
        );
        assert!(n <= len);
        Some((retry, n))
    }

    fn decide(
        &mut self,
        what: &str,
        families: Families,
        objs: &[Obj],
        buf: Buf,
        outs: [OutPtr; 3],
        call: impl Fn(*mut u8, usize, Outs) -> mcx_status,
    ) {
        let before = &self.before(objs);
        let mut b = OutBuf::new(buf, MCX_MAX_ENCODED_LEN);
        let mut len = OutVar::new(outs[0], usize::MAX);
        let mut decision = OutVar::new(outs[1], u32::MAX);
        let mut reason = OutVar::new(outs[2], i32::MAX);
        let rc = call(b.ptr(), b.cap, (len.ptr(), decision.ptr(), reason.ptr()));
        self.after(what, rc, families, before, &[], objs);
        if len.refused() || decision.refused() || reason.refused() {
            assert_ne!(rc, MCX_OK, "{what} took a NULL or misaligned out-pointer");
            assert!(!too_small(rc), "{what}: too small with a NULL out-pointer");
        }
        let mut out = (len.value, decision.value, reason.value);
        let mut redirection = None;
        if rc == MCX_OK {
            redirection = Some(b.mem[..len.value.min(b.mem.len())].to_vec());
        } else if too_small(rc) {
            assert!(
                len.value > b.cap,
                "{what}: needs {}, given {}",
                len.value,
                b.cap
            );
            let mut retry = vec![0xA5u8; len.value];
            let (mut n, mut d, mut r) = (usize::MAX, u32::MAX, i32::MAX);
            let rc = call(retry.as_mut_ptr(), retry.len(), (&mut n, &mut d, &mut r));
            assert_eq!(
                rc, MCX_OK,
                "{what}: retry with the {} bytes it asked for",
                len.value
            );
            assert_eq!(
                (n, d),
                (len.value, MCX_DECISION_REDIRECT as u32),
                "{what}: retry"
            );
            out = (n, d, r);
            retry.truncate(n);
            redirection = Some(retry);
        }
        let Some(redirection) = redirection else {
            return;
        };
        let (n, d, r) = out;
        // The out-variables are integers, as in C: compared with the enumerators' values.
        match d {
            _ if d == MCX_DECISION_PROCEED as u32 => {
                assert_eq!((n, r), (0, MCX_OK as i32), "{what}: proceed")
            }
            _ if d == MCX_DECISION_REJECT as u32 => assert_eq!(
                (n, r),
                (0, MCX_E_REJECT_SECURITY_DOMAIN_INFO_UNAVAILABLE as i32),
                "{what}: reject"
            ),
            _ if d == MCX_DECISION_REDIRECT as u32 => {
                assert_eq!(r, MCX_OK as i32, "{what}: redirect");
                assert!(n > 0 && n <= MCX_MAX_ENCODED_LEN, "{what}: {n} bytes");
                let mut ty = 0u32;
                let spare = self.spare_message();
                let rc = mcx_message_decode(spare, redirection.as_ptr(), redirection.len());
                assert_eq!(rc, MCX_OK, "{what}: the redirection does not decode");
                assert_eq!(
                    mcx_message_type(spare, ptr::from_mut(&mut ty).cast()),
                    MCX_OK
                );
                assert_eq!(ty, MCX_MESSAGE_PRIVATE_CALL_REDIRECTION as u32);
                self.last = redirection;
                self.last_is_frame = false;
            }
            _ => panic!("{what}: decision {d}"),
        }
    }

    fn spare_message(&mut self) -> *mut mcx_message_t {
        self.spare.0.as_mut_ptr().cast()
    }

    /// The storage length of the table in `o`'s slot, which holds one (a call on it
    /// succeeded), initialised there.
    fn storage_len_of(&self, o: Obj) -> usize {
        Self::index(o)
            .and_then(|i| self.slots[i].storage_len)
            .expect("a table is only initialised in a slot, which records its storage length")
    }

    /// Checks that the table at `p` fits its `storage_len` bytes of storage: its bytes in use
    /// are at most that and at least its records' headers and smallest index, and its snapshot
    /// within `MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)`. Returns its records and bytes in use.
    fn check_table(&self, p: *const mcx_table_t, storage_len: usize) -> (usize, usize) {
        let records = self.table_len(p).expect("an initialised table");
        let mut in_use = usize::MAX;
        assert_eq!(mcx_table_bytes_in_use(p, &mut in_use), MCX_OK);
        let least = records * MCX_TABLE_RECORD_HEADER_LEN
            + (2 * records * MCX_TABLE_BUCKET_LEN).max(MCX_TABLE_MIN_STORAGE_LEN);
        assert!(
            least <= in_use && in_use <= storage_len,
            "{records} records in {in_use} bytes in use of {storage_len}"
        );
        let snapshot = snapshot_of(p);
        assert!(
            snapshot.len() <= storage_len + MCX_TABLE_SNAPSHOT_OVERHEAD,
            "a snapshot of {} bytes of a table of {storage_len} bytes",
            snapshot.len()
        );
        (records, in_use)
    }

    fn table_len(&self, p: *const mcx_table_t) -> Option<usize> {
        let mut n = usize::MAX;
        (mcx_table_len(p, &mut n) == MCX_OK).then_some(n)
    }

    fn redirections(&self, p: *const mcx_call_t) -> Option<usize> {
        let mut n = usize::MAX;
        (mcx_call_redirections(p, &mut n) == MCX_OK).then_some(n)
    }

    /// A followed redirection counts one more hop, up to the cap.
    fn check_followed(&self, call: *const mcx_call_t, rc: mcx_status, hops: Option<usize>) {
        if rc == MCX_OK {
            let hops = hops.expect("a call that follows was initialised");
            assert_eq!(self.redirections(call), Some(hops + 1));
            assert!(hops < MCX_CALL_MAX_REDIRECTIONS);
        }
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// The three out-pointers of `mcx_server_decide`.
type Outs = (*mut usize, *mut u32, *mut i32);
type Encoder = extern "C" fn(*const mcx_message_t, *mut u8, usize, *mut usize) -> mcx_status;
/// A getter of a selector enum, its out-pointer an integer as in C.
type U32Getter = fn(*const mcx_message_t, *mut u32) -> mcx_status;

/// The redirection reason argument: mostly a reason, `MCX_REASON_NONE` often, sometimes out of
/// range (refused).
fn reason_arg(n: Num) -> u32 {
    match n {
        Num::Small(v) if v % 12 >= 8 => MCX_REASON_NONE as u32,
        _ => num(n),
    }
}

fn num(n: Num) -> u32 {
    match n {
        Num::Small(v) => u32::from(v % 12),
        Num::Any(v) => v,
    }
}

/// A NULL or misaligned out-pointer is refused: never `MCX_OK`, never a reported length.
fn check_refused<T: Copy>(out: &OutVar<T>, rc: mcx_status) {
    if out.refused() {
        assert_ne!(rc, MCX_OK, "a NULL or misaligned out-pointer was taken");
        assert!(
            !too_small(rc),
            "buffer too small reported through a refused out-pointer"
        );
    }
}

/// Slots where each kind of object lives by default: tables in slots 0 and 5, a call in slot 1,
/// messages in the others. Without homes, objects overwrite each other so often that a table
/// rarely sees an update or a call a redirection.
const TABLE_HOME: &[usize] = &[0, 5];
const CALL_HOME: &[usize] = &[1];
const MESSAGE_HOME: &[usize] = &[2, 3, 4];

/// `o` with its slot chosen: an even byte picks one of `home`, an odd one any slot (an object
/// of another kind, or a table initialised as a message...).
fn at(o: Obj, home: &[usize]) -> Obj {
    let pick = |b: u8| {
        let i = if b.is_multiple_of(2) {
            home[usize::from(b / 2) % home.len()]
        } else {
            usize::from(b / 2) % SLOTS
        };
        i as u8
    };
    match o {
        Obj::Slot(b) => Obj::Slot(pick(b)),
        Obj::Misaligned(b) => Obj::Misaligned(pick(b)),
        Obj::Null => Obj::Null,
    }
}

/// `op` with the slots of its objects chosen ([`at`]), by what each argument is.
fn resolve(op: &Op) -> Op {
    let (t, m, c) = (
        |o: &Obj| at(*o, TABLE_HOME),
        |o: &Obj| at(*o, MESSAGE_HOME),
        |o: &Obj| at(*o, CALL_HOME),
    );
    let mut op = op.clone();
    match &mut op {
        Op::Fill { .. }
        | Op::StatusStr(_)
        | Op::TableStorageLen(..)
        | Op::SaveAreaFill { .. }
        | Op::SaveAreaCorrupt { .. } => {}
        Op::TableInit(x, _)
        | Op::TableBytesInUse(x, _)
        | Op::TableClear(x)
        | Op::TableLen(x, _)
        | Op::TableApplyBytes(x, _)
        | Op::TableSnapshot(x, _, _)
        | Op::TableRestore(x, _)
        | Op::DecideBytes { table: x, .. }
        | Op::TableSave { table: x, .. }
        | Op::TableLoad { table: x, .. } => *x = t(x),
        Op::TableApply(x, y)
        | Op::Decide {
            table: x,
            request: y,
            ..
        } => (*x, *y) = (t(x), m(y)),
        Op::InitRequest { msg: x, .. }
        | Op::InitRedirection { msg: x, .. }
        | Op::InitUpdate { msg: x, .. }
        | Op::Decode(x, _)
        | Op::DecodeFrame(x, _)
        | Op::Encode { msg: x, .. }
        | Op::Getter { msg: x, .. }
        | Op::Field { msg: x, .. } => *x = m(x),
        Op::CallStart(x, y) | Op::CallOnRedirection(x, y) | Op::CallRequestMessage(x, y) => {
            (*x, *y) = (c(x), m(y))
        }
        Op::CallOnRedirectionBytes(x, _)
        | Op::CallRequest(x, _, _)
        | Op::CallRedirections(x, _) => *x = c(x),
    }
    op
}

/// The snapshot of an initialised table, in a buffer of the length it asks for.
fn snapshot_of(p: *const mcx_table_t) -> Vec<u8> {
    let mut len = 0usize;
    assert_eq!(
        mcx_table_snapshot(p, ptr::null_mut(), 0, &mut len),
        MCX_E_SNAPSHOT_BUFFER_TOO_SMALL,
        "a snapshot is never empty"
    );
    let mut buf = vec![0u8; len];
    let mut written = 0usize;
    assert_eq!(
        mcx_table_snapshot(p, buf.as_mut_ptr(), buf.len(), &mut written),
        MCX_OK
    );
    assert_eq!(written, len);
    buf
}

// ---------------------------------------------------------------------------------------------
// Power-cut-safe saves (`mcx_table_save`, `mcx_table_load`).
//
// The target keeps, for each of its two save areas, what the area may hold: a list of
// possibilities, each a whole save (its sequence number, the snapshot of the table saved and
// that table's bytes in use) or none (erased, garbage, a save cut short, corrupted bytes). A
// save that succeeds makes its area hold exactly the new save; a save cut by a power failure
// adds "none" and "the new save" to what its area may hold (a cut at the very end leaves it
// whole) and leaves the other area untouched; a corrupted byte adds "none". The library's
// choices are then checked against every combination of possibilities: a save goes into the
// slot that does not hold the newest whole save, with the next sequence number; a load restores
// the newest whole save that fits the table (the other one if the newest does not), fails only
// when neither does, and reports statuses that say so. After every save the target loads the
// areas into a table of its own that fits any save: a whole save that existed before a cut is
// always loaded (or the new one), never `MCX_E_SAVE_NO_VALID_SLOT`, never a mixture.
// ---------------------------------------------------------------------------------------------

/// A whole save an area may hold.
#[derive(Debug, Clone, PartialEq)]
struct Whole {
    seq: u32,
    /// The snapshot of the table saved (`mcx_table_snapshot`), as a table that loads it
    /// snapshots again.
    snapshot: Vec<u8>,
    /// That table's bytes in use: a table restores it iff its storage is at least that long.
    in_use: usize,
}

impl Whole {
    /// The bytes of the save in its slot.
    fn total(&self) -> usize {
        self.snapshot.len() + MCX_SAVE_OVERHEAD
    }
}

/// One save area: `AREA_BUF` bytes (erased, 0xFF, at first) and what they may hold.
struct SaveArea {
    mem: TableStorage,
    may_hold: Vec<Option<Whole>>,
}

impl SaveArea {
    fn new() -> Self {
        SaveArea {
            mem: TableStorage::with_len(AREA_BUF, 0xFF),
            may_hold: vec![None],
        }
    }

    fn may_be(&mut self, content: Option<Whole>) {
        if !self.may_hold.contains(&content) {
            self.may_hold.push(content);
        }
    }
}

/// Serial-number order of sequence numbers, as documented in `core/src/table/save.rs`: the
/// newer of two is the one ahead by less than 2^31.
fn newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 1 << 31
}

/// The slot indices (0 = A, 1 = B) a save may go into and its sequence number (`None`: any,
/// with no whole save before), given what A and B show.
fn save_targets(pair: [Option<&Whole>; 2]) -> Vec<(usize, Option<u32>)> {
    let next = |w: &Whole| Some(w.seq.wrapping_add(1));
    match pair {
        // Equal sequence numbers: neither is the newest, either slot may be written.
        [Some(a), Some(b)] if a.seq == b.seq => vec![(0, next(b)), (1, next(a))],
        [Some(a), Some(b)] if newer(a.seq, b.seq) => vec![(1, next(a))],
        [Some(_), Some(b)] => vec![(0, next(b))],
        [Some(a), None] => vec![(1, next(a))],
        [None, Some(b)] => vec![(0, next(b))],
        [None, None] => vec![(0, None), (1, None)],
    }
}

/// What a load of slots showing `pair` into a table of `room` bytes of storage may restore:
/// the newest whole save that fits (either one of two with equal sequence numbers), else the
/// other, else nothing (`None`).
fn load_outcomes(pair: [Option<&Whole>; 2], room: usize) -> Vec<Option<(usize, &Whole)>> {
    let orders: &[[usize; 2]] = match pair {
        [Some(a), Some(b)] if a.seq == b.seq => &[[0, 1], [1, 0]],
        [Some(a), Some(b)] if newer(b.seq, a.seq) => &[[1, 0]],
        _ => &[[0, 1]],
    };
    orders
        .iter()
        .map(|order| {
            order
                .iter()
                .find_map(|&i| pair[i].filter(|w| w.in_use <= room).map(|w| (i, w)))
        })
        .collect()
}

/// The codes of `*out_status_a` / `*out_status_b` for a slot that holds no whole save.
/// Integers, as the out-variables that receive them (C's view).
const SAVE_FAULTS: [i32; 4] = [
    MCX_E_SAVE_SLOT_ERASED as i32,
    MCX_E_SAVE_NOT_A_SAVE as i32,
    MCX_E_SAVE_TRUNCATED as i32,
    MCX_E_SAVE_CRC_MISMATCH as i32,
];

/// An `MCX_E_SNAPSHOT_*` code a restore can give (all but the buffer-too-small of a snapshot).
fn restore_refusal(status: i32) -> bool {
    (MCX_E_SNAPSHOT_INVALID_RECORD as i32..=MCX_E_SNAPSHOT_TRUNCATED as i32).contains(&status)
}

/// A flash driver's state behind one save slot's callbacks (its `context`): NOR-like, a
/// program may only write erased (0xFF) bytes, and a power cut stops everything.
struct Flash {
    bytes: *mut u8,
    /// The slot's length, at most `AREA_LEN`.
    len: usize,
    /// The erase fails after erasing this many first bytes, returning the code.
    erase_fail: Option<(usize, i32)>,
    /// Bytes programmed before the power fails, and the code the program call returns then.
    budget: Option<(usize, i32)>,
    /// An erase succeeded.
    erased: bool,
    /// The power failed: every later call fails without writing.
    cut: bool,
    erases: usize,
    programs: usize,
    programmed: usize,
    /// The offset after the last chunk programmed.
    next: usize,
    /// A chunk shorter than `MCX_SAVE_PROGRAM_CHUNK` was programmed: it must be the last.
    short_seen: bool,
    /// Calls that break the documented contract.
    violations: Vec<String>,
}

impl Flash {
    fn called(&self) -> bool {
        self.erases + self.programs > 0
    }
}

/// A slot's erase callback over a [`Flash`].
unsafe extern "C" fn flash_erase(context: *mut c_void) -> i32 {
    // SAFETY: the context of a slot the target built: a live `Flash` that nothing else
    // accesses during the library call that runs this callback.
    let f = unsafe { &mut *context.cast::<Flash>() };
    f.erases += 1;
    if f.programs > 0 {
        f.violations.push("an erase after a program".into());
    }
    if f.cut {
        return -1;
    }
    let (n, rc) = match f.erase_fail {
        Some((prefix, code)) => (prefix.min(f.len), code),
        None => (f.len, 0),
    };
    for i in 0..n {
        // SAFETY: `i` < `f.len` <= `AREA_LEN`, inside the area's buffer; no reference to it is
        // held during the library call.
        unsafe { f.bytes.add(i).write(0xFF) };
    }
    if rc == 0 {
        f.erased = true;
    } else {
        f.cut = true;
    }
    rc
}

/// A slot's program callback over a [`Flash`].
unsafe extern "C" fn flash_program(
    context: *mut c_void,
    offset: usize,
    data: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: as in `flash_erase`.
    let f = unsafe { &mut *context.cast::<Flash>() };
    f.programs += 1;
    if f.cut {
        // The power is gone (the library should not call again, but it may).
        return -1;
    }
    let end = offset.checked_add(len);
    let problem = if !f.erased {
        "a program before a successful erase"
    } else if f.short_seen {
        "a program after a chunk shorter than MCX_SAVE_PROGRAM_CHUNK"
    } else if !offset.is_multiple_of(MCX_SAVE_PROGRAM_CHUNK) {
        "an offset that is no multiple of MCX_SAVE_PROGRAM_CHUNK"
    } else if len == 0 || len > MCX_SAVE_PROGRAM_CHUNK {
        "a chunk of 0 or more than MCX_SAVE_PROGRAM_CHUNK bytes"
    } else if offset < f.next {
        "offsets not increasing"
    } else if end.is_none_or(|end| end > f.len) {
        "bytes past the slot"
    } else if data.is_null() {
        "NULL data"
    } else {
        ""
    };
    if !problem.is_empty() {
        f.violations
            .push(format!("program(offset {offset}, {len} bytes): {problem}"));
        return -1;
    }
    // SAFETY: the library passes `len` readable bytes at `data` (non-NULL, checked).
    let data = unsafe { core::slice::from_raw_parts(data, len) };
    for i in offset..offset + len {
        // SAFETY: inside the slot, checked above, so inside the area's buffer.
        if unsafe { f.bytes.add(i).read() } != 0xFF {
            f.violations.push(format!(
                "program(offset {offset}, {len} bytes): byte {i} not erased"
            ));
            return -1;
        }
    }
    let (n, rc) = match &mut f.budget {
        Some((left, code)) if *left < len => {
            let n = *left;
            *left = 0;
            f.cut = true;
            (n, *code)
        }
        Some((left, _)) => {
            *left -= len;
            (len, 0)
        }
        None => (len, 0),
    };
    for (i, b) in data[..n].iter().enumerate() {
        // SAFETY: inside the slot, as above.
        unsafe { f.bytes.add(offset + i).write(*b) };
    }
    f.programmed += n;
    f.next = offset + len;
    if len < MCX_SAVE_PROGRAM_CHUNK {
        f.short_seen = true;
    }
    rc
}

/// A failing callback's return value: never 0.
fn failure(code: i32) -> i32 {
    if code == 0 {
        -1
    } else {
        code
    }
}

/// A save slot argument's memory: the `mcx_save_slot_t` (in 8-aligned words, with room for a
/// misaligned pointer into them) and the state of its callbacks.
struct SlotCall {
    words: Box<[u64; 6]>,
    /// Owned (`Box::into_raw`): the slot's `context`, reached only through this pointer.
    flash: *mut Flash,
    arg: SlotArg,
    /// The slot length given.
    len: usize,
}

const _: () = assert!(size_of::<mcx_save_slot_t>() < 6 * 8);
const _: () = assert!(align_of::<mcx_save_slot_t>() <= align_of::<u64>());

impl SlotCall {
    /// The slot for `arg` over `area`, for a save of `needed` bytes (which sizes a cut).
    fn new(arg: SlotArg, area: &SaveArea, needed: usize) -> Self {
        let slot_len = |l: SlotLen| match l {
            SlotLen::Full => AREA_LEN,
            SlotLen::Bytes(n) => usize::from(n) % (AREA_LEN + 1),
            SlotLen::Huge => usize::MAX,
        };
        type Erase = unsafe extern "C" fn(*mut c_void) -> i32;
        type Program = unsafe extern "C" fn(*mut c_void, usize, *const u8, usize) -> i32;
        let (erase, program): (Option<Erase>, Option<Program>) =
            (Some(flash_erase as Erase), Some(flash_program as Program));
        let (bytes, len, erase, program, cut) = match arg {
            SlotArg::Null | SlotArg::Misaligned => (area.mem.ptr(), AREA_LEN, None, None, None),
            SlotArg::NullBytes(l) => (ptr::null_mut(), slot_len(l), None, None, None),
            SlotArg::OneCallback(e, l) => (
                area.mem.ptr(),
                slot_len(l),
                erase.filter(|_| e),
                program.filter(|_| !e),
                None,
            ),
            SlotArg::Ram(l) => (area.mem.ptr(), slot_len(l), None, None, None),
            // A flash slot is as long as the area at most: the driver writes only there.
            SlotArg::Flash(l, cut) => (
                area.mem.ptr(),
                slot_len(l).min(AREA_LEN),
                erase,
                program,
                cut,
            ),
        };
        let flash_len = len.min(AREA_LEN);
        let flash = Box::into_raw(Box::new(Flash {
            bytes: area.mem.ptr(),
            len: flash_len,
            erase_fail: cut
                .filter(|c| c.erase)
                .map(|c| (usize::from(c.budget) % (flash_len + 1), failure(c.code))),
            budget: cut
                .filter(|c| !c.erase)
                .map(|c| (usize::from(c.budget) % (needed + 1), failure(c.code))),
            erased: false,
            cut: false,
            erases: 0,
            programs: 0,
            programmed: 0,
            next: 0,
            short_seen: false,
            violations: Vec::new(),
        }));
        let slot = mcx_save_slot_t {
            bytes,
            len,
            context: flash.cast(),
            erase,
            program,
        };
        let mut words = Box::new([0u64; 6]);
        // SAFETY: 48 bytes, 8-aligned, hold an `mcx_save_slot_t` (asserted above).
        unsafe { words.as_mut_ptr().cast::<mcx_save_slot_t>().write(slot) };
        SlotCall {
            words,
            flash,
            arg,
            len,
        }
    }

    fn ptr(&self) -> *const mcx_save_slot_t {
        let p = self.words.as_ptr().cast::<u8>();
        match self.arg {
            SlotArg::Null => ptr::null(),
            SlotArg::Misaligned => p.wrapping_add(1).cast(),
            _ => p.cast(),
        }
    }

    /// The callbacks' state (only between library calls).
    fn flash(&self) -> &Flash {
        // SAFETY: owned by `self`, and no library call runs now.
        unsafe { &*self.flash }
    }

    /// What the library must refuse in this argument, if anything.
    fn refusal(&self) -> Option<mcx_status> {
        match self.arg {
            SlotArg::Null | SlotArg::NullBytes(_) => Some(MCX_E_NULL_ARGUMENT),
            SlotArg::Misaligned => Some(MCX_E_MISALIGNED),
            SlotArg::OneCallback(..) => Some(MCX_E_INVALID_ARGUMENT),
            SlotArg::Ram(_) | SlotArg::Flash(..) => {
                (self.len > isize::MAX as usize).then_some(MCX_E_INVALID_ARGUMENT)
            }
        }
    }

    /// The bytes the library can read, `None` for a length past `isize::MAX` (never read).
    fn readable(&self) -> Option<usize> {
        (self.len <= isize::MAX as usize).then_some(self.len)
    }

    /// What a save into this slot of `needed` bytes gives: too small, a failed callback (a
    /// cut) or success. Before the call.
    fn save_status(&self, needed: usize) -> mcx_status {
        let f = self.flash();
        if self.len < needed {
            MCX_E_SAVE_SLOT_TOO_SMALL
        } else if !matches!(self.arg, SlotArg::Flash(..)) {
            MCX_OK
        } else if f.erase_fail.is_some() || f.budget.is_some_and(|(b, _)| b < needed) {
            MCX_E_SAVE_IO
        } else {
            MCX_OK
        }
    }
}

impl Drop for SlotCall {
    fn drop(&mut self) {
        // SAFETY: the `Box::into_raw` of `new`, freed once.
        drop(unsafe { Box::from_raw(self.flash) });
    }
}

/// An optional out-pointer's variable.
fn opt_out<T: Copy>(o: OptOut, init: T) -> OutVar<T> {
    OutVar::new(
        match o {
            OptOut::Null => OutPtr::Null,
            OptOut::Valid => OutPtr::Valid,
            OptOut::Misaligned => OutPtr::Misaligned,
        },
        init,
    )
}

/// The value written through an optional out-pointer, if it was a valid one.
fn given<T: Copy>(v: &OutVar<T>) -> Option<T> {
    (v.kind == OutPtr::Valid).then_some(v.value)
}

impl Harness {
    /// Every pair of what slots A and B, over areas `areas` with `lens` readable bytes, may
    /// show: a save longer than its slot, or in a slot never read, is none.
    fn pairs(&self, areas: [usize; 2], lens: [Option<usize>; 2]) -> Vec<[Option<&Whole>; 2]> {
        let shown = |s: usize| -> Vec<Option<&Whole>> {
            self.areas[areas[s]]
                .may_hold
                .iter()
                .map(|w| {
                    w.as_ref()
                        .filter(|w| lens[s].is_some_and(|len| w.total() <= len))
                })
                .collect()
        };
        let (a, b) = (shown(0), shown(1));
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [*x, *y]))
            .collect()
    }

    /// The refusals a save or load call must give for its table and out-pointers and slots
    /// (any one of them when several apply).
    fn refusals(
        &self,
        t: Obj,
        p: *const mcx_table_t,
        outs: &[OptOut],
        calls: &[SlotCall; 2],
    ) -> Vec<mcx_status> {
        let mut refusals = Vec::new();
        match t {
            Obj::Null => refusals.push(MCX_E_NULL_ARGUMENT),
            Obj::Misaligned(_) => refusals.push(MCX_E_MISALIGNED),
            Obj::Slot(_) if self.table_len(p).is_none() => refusals.push(MCX_E_NOT_INITIALISED),
            Obj::Slot(_) => {}
        }
        if outs.contains(&OptOut::Misaligned) {
            refusals.push(MCX_E_MISALIGNED);
        }
        refusals.extend(calls.iter().filter_map(SlotCall::refusal));
        refusals
    }

    /// `mcx_table_save` of the table in `t` into areas 0 and 1 (1 and 0 if `swap`).
    fn save(&mut self, t: Obj, args: [SlotArg; 2], swap: bool, outs: [OptOut; 2]) {
        let what = "mcx_table_save";
        let Some(p) = self.obj::<mcx_table_t>(t, true) else {
            return;
        };
        let areas = if swap { [1, 0] } else { [0, 1] };
        let table = (matches!(t, Obj::Slot(_)) && self.table_len(p).is_some()).then(|| {
            let mut in_use = 0;
            assert_eq!(mcx_table_bytes_in_use(p, &mut in_use), MCX_OK);
            (snapshot_of(p), in_use)
        });
        let needed = table
            .as_ref()
            .map_or(AREA_LEN, |(s, _)| s.len() + MCX_SAVE_OVERHEAD);
        let calls = [
            SlotCall::new(args[0], &self.areas[areas[0]], needed),
            SlotCall::new(args[1], &self.areas[areas[1]], needed),
        ];
        let refusals = self.refusals(t, p, &outs, &calls);
        // Before the call: the callbacks use up their budget.
        let if_target = calls.each_ref().map(|c| c.save_status(needed));
        let before = self.before(&[t]);
        let area_before = [self.areas[0].mem.copy(), self.areas[1].mem.copy()];
        let mut slot = opt_out(outs[0], u32::MAX);
        let mut seq = opt_out(outs[1], u32::MAX);
        let rc = mcx_table_save(
            p,
            calls[0].ptr(),
            calls[1].ptr(),
            slot.ptr().cast(),
            seq.ptr(),
        );
        self.after(what, rc, SAVE, &before, &[], &[t]);
        for call in &calls {
            let v = &call.flash().violations;
            assert!(v.is_empty(), "{what} (status {rc}): callbacks {v:?}");
        }
        // Slot indices (0 = A) of the areas written and of the slots whose callbacks ran.
        let changed: Vec<usize> = (0..2)
            .filter(|&s| !self.areas[areas[s]].mem.equals(&area_before[areas[s]]))
            .collect();
        let called: Vec<usize> = (0..2).filter(|&s| calls[s].flash().called()).collect();
        if !refusals.is_empty() {
            assert!(
                refusals.contains(&rc),
                "{what}: {rc}, expected one of {refusals:?}"
            );
            assert!(
                changed.is_empty() && called.is_empty(),
                "{what} (status {rc}) refused, but wrote slot {changed:?} or called {called:?}"
            );
            return;
        }
        let (snapshot, in_use) = table.expect("a table: no refusal");
        // Every (status, slot, sequence number) the save may give.
        let mut expected = Vec::new();
        for pair in self.pairs(areas, calls.each_ref().map(SlotCall::readable)) {
            for (s, next) in save_targets(pair) {
                expected.push((if_target[s], s, next));
            }
        }
        assert!(
            expected.iter().any(|e| e.0 == rc),
            "{what}: {rc}, expected one of {expected:?} (a save of {needed} bytes, slots \
             {args:?})"
        );
        assert!(
            changed.len() <= 1
                && called.len() <= 1
                && changed.iter().all(|s| called.is_empty() || called == [*s]),
            "{what} (status {rc}) wrote slots {changed:?}, called the callbacks of {called:?}: \
             the other slot is only read"
        );
        if rc == MCX_E_SAVE_SLOT_TOO_SMALL {
            assert!(
                changed.is_empty() && called.is_empty(),
                "{what}: too small, but slot {changed:?} written or its callbacks called"
            );
        }
        // The slot written: reported, or the one that changed, or whose callbacks ran.
        let written = given(&slot)
            .filter(|_| rc == MCX_OK)
            .map(|s| {
                assert!(
                    s == MCX_SLOT_A as u32 || s == MCX_SLOT_B as u32,
                    "{what}: slot {s}"
                );
                s as usize
            })
            .or(changed.first().copied())
            .or(called.first().copied());
        if let (Some(s), Some(&c)) = (written, changed.first()) {
            assert_eq!(s, c, "{what}: reported slot {s}, wrote slot {c}");
        }
        let Some(s) = written else {
            // Nothing written, no callback ran: what the areas hold is as before.
            self.verify_load();
            return;
        };
        let area = areas[s];
        let now = self.areas[area].mem.copy();
        let len = calls[s].len.min(AREA_LEN);
        assert_eq!(
            now[len..],
            area_before[area][len..],
            "{what} (status {rc}) wrote past slot {s}'s {len} bytes"
        );
        let stored_seq =
            (now[..4] == *b"MCXB").then(|| u32::from_le_bytes([now[4], now[5], now[6], now[7]]));
        let expected_seqs: Vec<Option<u32>> =
            expected.iter().filter(|e| e.1 == s).map(|e| e.2).collect();
        let seq_ok = |q: u32| expected_seqs.iter().any(|e| e.is_none_or(|e| e == q));
        if rc == MCX_OK {
            assert!(
                expected.iter().any(|e| e.0 == MCX_OK && e.1 == s),
                "{what}: wrote slot {s}, expected {expected:?}"
            );
            let q = stored_seq.expect("a whole save starts with the save magic");
            assert!(
                seq_ok(q),
                "{what}: sequence number {q}, expected {expected:?}"
            );
            if let Some(out) = given(&seq) {
                assert_eq!(out, q, "{what}: reported sequence number");
            }
            match calls[s].arg {
                SlotArg::Flash(..) => {
                    let f = calls[s].flash();
                    assert_eq!(
                        (f.erases, f.programmed),
                        (1, needed),
                        "{what}: erases and bytes programmed"
                    );
                }
                _ => assert!(
                    now[needed..len].iter().all(|&b| b == 0xFF),
                    "{what}: a RAM slot's bytes after the save not erased"
                ),
            }
            self.areas[area].may_hold = vec![Some(Whole {
                seq: q,
                snapshot,
                in_use,
            })];
        } else {
            assert!(
                expected.iter().any(|e| e.0 == MCX_E_SAVE_IO && e.1 == s),
                "{what}: {rc} from slot {s}, expected {expected:?}"
            );
            // Cut: the area may hold nothing whole, what it held (an erase cut early), or, once
            // the header (magic, sequence number) is programmed, the new save (a cut at the
            // very end, where the bytes left unprogrammed read as what was to be written).
            if calls[s].flash().programmed >= 8 {
                let q = stored_seq.expect("a save's header starts with the save magic");
                assert!(
                    seq_ok(q),
                    "{what}: sequence number {q}, expected {expected:?}"
                );
                self.areas[area].may_be(Some(Whole {
                    seq: q,
                    snapshot,
                    in_use,
                }));
            }
            self.areas[area].may_be(None);
        }
        self.verify_load();
    }

    /// Loads the two areas (whole, as RAM slots A and B) into the target's own table, which
    /// fits any save: the newest whole save must come back, never `MCX_E_SAVE_NO_VALID_SLOT`
    /// while an area certainly holds one (the previous save, after a cut).
    fn verify_load(&mut self) {
        let what = "mcx_table_load after a save";
        let t = self.check_table.0.as_mut_ptr().cast::<mcx_table_t>();
        assert_eq!(
            mcx_table_init(t, self.check_storage.ptr().cast(), STORAGE_MAX),
            MCX_OK
        );
        let slot = |area: &SaveArea| mcx_save_slot_t {
            bytes: area.mem.ptr(),
            len: AREA_LEN,
            context: ptr::null_mut(),
            erase: None,
            program: None,
        };
        let slots = [slot(&self.areas[0]), slot(&self.areas[1])];
        let (mut s, mut q, mut sa, mut sb) = (u32::MAX, u32::MAX, i32::MAX, i32::MAX);
        let mut needed = usize::MAX;
        let rc = mcx_table_load(
            t,
            &slots[0],
            &slots[1],
            ptr::from_mut(&mut s).cast(),
            &mut q,
            ptr::from_mut(&mut sa).cast(),
            ptr::from_mut(&mut sb).cast(),
            &mut needed,
        );
        check_status(what, rc, SAVE);
        self.check_load(
            what,
            rc,
            t,
            STORAGE_MAX,
            [0, 1],
            [Some(AREA_LEN); 2],
            (Some(s), Some(q)),
            [Some(sa), Some(sb)],
            Some(needed),
        );
    }

    /// `mcx_table_load` into the table in `t` from areas 0 and 1 (1 and 0 if `swap`).
    fn load(&mut self, t: Obj, args: [SlotArg; 2], swap: bool, outs: [OptOut; 5]) {
        let what = "mcx_table_load";
        let Some(p) = self.obj::<mcx_table_t>(t, true) else {
            return;
        };
        let areas = if swap { [1, 0] } else { [0, 1] };
        let calls = [
            SlotCall::new(args[0], &self.areas[areas[0]], AREA_LEN),
            SlotCall::new(args[1], &self.areas[areas[1]], AREA_LEN),
        ];
        let mut refusals = self.refusals(t, p, &outs, &calls);
        if calls.iter().any(|c| c.readable().is_none()) {
            refusals.push(MCX_E_INVALID_ARGUMENT);
        }
        let before = self.before(&[t]);
        let area_before = [self.areas[0].mem.copy(), self.areas[1].mem.copy()];
        let mut slot = opt_out(outs[0], u32::MAX);
        let mut seq = opt_out(outs[1], u32::MAX);
        let mut sa = opt_out(outs[2], i32::MAX);
        let mut sb = opt_out(outs[3], i32::MAX);
        let mut needed = opt_out(outs[4], usize::MAX);
        let rc = mcx_table_load(
            p,
            calls[0].ptr(),
            calls[1].ptr(),
            slot.ptr().cast(),
            seq.ptr(),
            sa.ptr().cast(),
            sb.ptr().cast(),
            needed.ptr(),
        );
        self.after(what, rc, SAVE, &before, &[], &[]);
        for (i, call) in calls.iter().enumerate() {
            assert!(
                !call.flash().called(),
                "{what} (status {rc}) called slot {i}'s callbacks"
            );
            assert!(
                self.areas[i].mem.equals(&area_before[i]),
                "{what} (status {rc}) wrote save area {i}"
            );
        }
        if !refusals.is_empty() {
            assert!(
                refusals.contains(&rc),
                "{what}: {rc}, expected one of {refusals:?}"
            );
            return;
        }
        let room = self.storage_len_of(t);
        self.check_load(
            what,
            rc,
            p,
            room,
            areas,
            calls.each_ref().map(SlotCall::readable),
            (given(&slot), given(&seq)),
            [given(&sa), given(&sb)],
            given(&needed),
        );
    }

    /// Checks a load's outcome (`rc`, the table `p` of `room` bytes of storage, the slot and
    /// sequence number, statuses and needed storage reported, `usize::MAX` when not written)
    /// against every pair of what slots A and B (areas `areas`, `lens` readable bytes) may show.
    #[allow(clippy::too_many_arguments)]
    fn check_load(
        &self,
        what: &str,
        rc: mcx_status,
        p: *mut mcx_table_t,
        room: usize,
        areas: [usize; 2],
        lens: [Option<usize>; 2],
        (slot, seq): (Option<u32>, Option<u32>),
        statuses: [Option<i32>; 2],
        needed: Option<usize>,
    ) {
        let pairs = self.pairs(areas, lens);
        let outcomes: Vec<Option<(usize, &Whole)>> = pairs
            .iter()
            .flat_map(|pair| load_outcomes(*pair, room))
            .collect();
        let holds = |s: usize| -> Vec<String> {
            self.areas[areas[s]]
                .may_hold
                .iter()
                .map(|w| {
                    w.as_ref().map_or("none".into(), |w| {
                        format!("seq {} ({} bytes, {} in use)", w.seq, w.total(), w.in_use)
                    })
                })
                .collect()
        };
        let context = || {
            format!(
                "slot A may hold {:?} ({:?} bytes readable), slot B {:?} ({:?}), table of {room} bytes",
                holds(0),
                lens[0],
                holds(1),
                lens[1]
            )
        };
        let mut loaded = None;
        match rc {
            MCX_E_SAVE_NO_VALID_SLOT => assert!(
                outcomes.contains(&None),
                "{what}: no valid slot, but a whole save that fits exists: {}",
                context()
            ),
            MCX_OK => {
                let now = snapshot_of(p);
                let found = outcomes.iter().flatten().find(|(s, w)| {
                    w.snapshot == now
                        && slot.is_none_or(|x| x == *s as u32)
                        && seq.is_none_or(|q| q == w.seq)
                });
                let Some(&(s, w)) = found else {
                    panic!(
                        "{what}: loaded slot {slot:?} seq {seq:?}, a table of {} snapshot bytes \
                         that is none of the saves it may load: {}",
                        now.len(),
                        context()
                    );
                };
                loaded = slot.map(|_| (s, w));
                self.check_table(p, room);
            }
            _ => panic!("{what}: status {rc}"),
        }
        for (s, status) in statuses.into_iter().enumerate() {
            let Some(status) = status else {
                continue;
            };
            let shown: Vec<Option<&Whole>> = pairs.iter().map(|pair| pair[s]).collect();
            let consistent = if status == MCX_OK as i32 {
                // The save loaded, or a whole one (older, or not tried).
                rc == MCX_OK && shown.iter().any(Option::is_some)
            } else if SAVE_FAULTS.contains(&status) {
                shown.contains(&None)
            } else if restore_refusal(status) {
                shown.iter().flatten().any(|w| w.in_use > room)
            } else {
                false
            };
            assert!(
                consistent,
                "{what} (status {rc}): slot {s} status {status}: {}",
                context()
            );
            if let Some((l, _)) = loaded {
                if l == s {
                    assert_eq!(
                        status, MCX_OK as i32,
                        "{what}: the slot loaded has status {status}"
                    );
                }
            }
        }
        // The storage needed: written only for a whole save too big for the table, and then
        // the storage one such save the slots may hold uses; never when both statuses, known,
        // say no slot was refused for want of storage.
        if let Some(needed) = needed {
            let too_small = MCX_E_SNAPSHOT_TABLE_TOO_SMALL as i32;
            if needed != usize::MAX {
                let held = pairs.iter().flatten().flatten().any(|w| w.in_use == needed);
                assert!(
                    needed > room && held,
                    "{what} (status {rc}): needed {needed} is no save's: {}",
                    context()
                );
            }
            if let [Some(a), Some(b)] = statuses {
                assert_eq!(
                    needed != usize::MAX,
                    a == too_small || b == too_small,
                    "{what} (status {rc}, statuses {a} {b}): needed {needed}: {}",
                    context()
                );
            }
        }
    }
}

/// Runs a sequence of operations on a fresh pool.
pub fn check(ops: &[Op]) {
    let mut h = Harness::new();
    for op in ops.iter().take(64) {
        h.run(op);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sip:n<k>@mc-b.example`, 19 bytes for k < 10.
    fn numbered(k: u8) -> Str {
        Str::Numbered(k)
    }

    /// "migrated": `numbered(k)` to `mc-b.example` as `sip:visitor-0042@mc-b.example`, no KMS
    /// URI: 15 + 19 + 12 + 29 = 75 bytes of record, into message slot 2.
    fn migrated(k: u8) -> Op {
        Op::InitUpdate {
            msg: Obj::Slot(0),
            which: 0,
            a: numbered(k),
            b: Str::Pool(2),
            c: Str::Pool(6),
            d: Str::Null,
        }
    }

    /// Applies message slot 2 to the table in slot 0 (`table` 0) or 5 (`table` 2).
    fn apply(table: u8) -> Op {
        Op::TableApply(Obj::Slot(table), Obj::Slot(0))
    }

    fn in_use(h: &mut Harness, slot: usize) -> (usize, usize) {
        let p = h.slots[slot].ptr().cast::<mcx_table_t>();
        let mut n = 0;
        assert_eq!(mcx_table_bytes_in_use(p, &mut n), MCX_OK);
        (h.table_len(p).expect("a table"), n)
    }

    /// Tables fill up by bytes, a full one evicts a departed visitor and nothing else, and a
    /// snapshot restores into a table iff its storage holds the snapshot's bytes in use: the
    /// paths the harness's checks guard, reached on purpose.
    #[test]
    fn tables_fill_up_by_bytes_and_snapshots_restore_where_they_fit() {
        let mut h = Harness::new();
        // Table A in slot 0 over 432 bytes (at offset 3), table B in slot 5 over 132.
        h.run(&Op::TableInit(
            Obj::Slot(0),
            StorageArg::Len {
                len: 801,
                offset: 3,
            },
        ));
        assert_eq!(h.last_rc, MCX_OK);
        h.run(&Op::TableInit(
            Obj::Slot(2),
            StorageArg::Len {
                len: 200,
                offset: 0,
            },
        ));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(h.slots[0].storage_len, Some(432));
        assert_eq!(h.slots[5].storage_len, Some(132));

        // Records of 75 bytes and two 8-byte buckets each, at least 32 bytes of index: A holds
        // 4 (364 bytes), B 1 (107 bytes); the next is refused and changes nothing.
        let mut accepted = [0, 0];
        for k in 0..6 {
            h.run(&migrated(k));
            assert_eq!(h.last_rc, MCX_OK);
            for (n, table) in [0u8, 2].into_iter().enumerate() {
                h.run(&apply(table));
                match h.last_rc {
                    MCX_OK => accepted[n] += 1,
                    rc => assert_eq!(rc, MCX_E_TABLE_FULL),
                }
            }
        }
        assert_eq!(accepted, [4, 1]);
        assert_eq!(in_use(&mut h, 0), (4, 364));
        assert_eq!(in_use(&mut h, 5), (1, 107));

        // A's snapshot does not fit B; B's fits A, which then holds B's record alone.
        let snapshot = |h: &mut Harness, table: u8| {
            h.run(&Op::TableSnapshot(
                Obj::Slot(table),
                Buf {
                    null: false,
                    cap: Cap::Enough,
                },
                OutPtr::Valid,
            ));
            assert_eq!(h.last_rc, MCX_OK);
        };
        let last = Bytes::Last {
            cut: None,
            flip: None,
        };
        snapshot(&mut h, 0);
        h.run(&Op::TableRestore(Obj::Slot(2), last.clone()));
        assert_eq!(h.last_rc, MCX_E_SNAPSHOT_TABLE_TOO_SMALL);
        assert_eq!(in_use(&mut h, 5), (1, 107));
        snapshot(&mut h, 2);
        h.run(&Op::TableRestore(Obj::Slot(0), last));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(in_use(&mut h, 0), (1, 107));

        // B, cleared, takes a present visitor (15 + 20 + 22 + 12 = 69 bytes); a migrated user
        // does not fit beside it, and is taken once the visitor departed, evicting it.
        h.run(&Op::TableClear(Obj::Slot(2)));
        assert_eq!(h.last_rc, MCX_OK);
        h.run(&Op::InitUpdate {
            msg: Obj::Slot(0),
            which: 3,
            a: numbered(20),
            b: Str::Pool(2),
            c: Str::Pool(0),
            d: Str::Null,
        });
        assert_eq!(h.last_rc, MCX_OK);
        h.run(&apply(2));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(in_use(&mut h, 5), (1, 69 + 32));
        h.run(&migrated(7));
        h.run(&apply(2));
        assert_eq!(
            h.last_rc, MCX_E_TABLE_FULL,
            "a present visitor is never evicted"
        );
        h.run(&Op::InitUpdate {
            msg: Obj::Slot(0),
            which: 4,
            a: numbered(20),
            b: Str::Null,
            c: Str::Null,
            d: Str::Null,
        });
        h.run(&apply(2));
        assert_eq!(h.last_rc, MCX_OK, "visitor departed");
        h.run(&migrated(7));
        h.run(&apply(2));
        assert_eq!(h.last_rc, MCX_OK, "the departed visitor evicted");
        assert_eq!(in_use(&mut h, 5), (1, 75 + 32));
    }

    /// `mcx_table_init` refusals: nothing written, the table in the slot kept.
    #[test]
    fn table_init_refuses_null_short_and_huge_storage() {
        let mut h = Harness::new();
        h.run(&Op::TableInit(
            Obj::Slot(0),
            StorageArg::Len { len: 0, offset: 0 },
        ));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(h.slots[0].storage_len, Some(MCX_TABLE_MIN_STORAGE_LEN));
        for (storage, rc) in [
            (StorageArg::Null(64), MCX_E_NULL_ARGUMENT),
            (StorageArg::Short(31), MCX_E_TABLE_STORAGE_TOO_SMALL),
            (StorageArg::Short(0), MCX_E_TABLE_STORAGE_TOO_SMALL),
            (StorageArg::Huge, MCX_E_INVALID_ARGUMENT),
        ] {
            // The harness checks the slot and its storage are unchanged.
            h.run(&Op::TableInit(Obj::Slot(0), storage));
            assert_eq!(h.last_rc, rc, "{storage:?}");
            assert_eq!(in_use(&mut h, 0), (0, MCX_TABLE_MIN_STORAGE_LEN));
        }
        h.run(&Op::TableInit(
            Obj::Null,
            StorageArg::Len { len: 9, offset: 1 },
        ));
        assert_eq!(h.last_rc, MCX_E_NULL_ARGUMENT);
        h.run(&Op::TableInit(
            Obj::Misaligned(0),
            StorageArg::Len { len: 9, offset: 1 },
        ));
        assert_eq!(h.last_rc, MCX_E_MISALIGNED);
        h.run(&Op::TableStorageLen(2, 91));
        h.run(&Op::TableStorageLen(u64::MAX, u64::MAX));
    }

    fn save_op(a: SlotArg, b: SlotArg, swap: bool) -> Op {
        Op::TableSave {
            table: Obj::Slot(0),
            a,
            b,
            swap,
            outs: [OptOut::Valid; 2],
        }
    }

    fn load_op(table: u8, a: SlotArg, b: SlotArg) -> Op {
        Op::TableLoad {
            table: Obj::Slot(table),
            a,
            b,
            swap: false,
            outs: [OptOut::Valid; 5],
        }
    }

    const RAM: SlotArg = SlotArg::Ram(SlotLen::Full);

    fn flash(cut: Option<Cut>) -> SlotArg {
        SlotArg::Flash(SlotLen::Full, cut)
    }

    /// Table A in slot 0 over 432 bytes holding `n` records.
    fn table_with(h: &mut Harness, n: u8) {
        h.run(&Op::TableInit(
            Obj::Slot(0),
            StorageArg::Len {
                len: 801,
                offset: 3,
            },
        ));
        assert_eq!(h.last_rc, MCX_OK);
        for k in 0..n {
            h.run(&migrated(k));
            h.run(&apply(0));
            assert_eq!(h.last_rc, MCX_OK);
        }
    }

    /// Saves alternate between the slots with increasing sequence numbers; a power cut at
    /// every byte of a save (and during its erase) leaves the previous save or the new one
    /// loadable, never nothing: the harness loads after every save and checks.
    #[test]
    fn saves_alternate_and_survive_a_power_cut_anywhere() {
        let mut h = Harness::new();
        table_with(&mut h, 1);
        h.run(&save_op(RAM, flash(None), false));
        assert_eq!(h.last_rc, MCX_OK);
        h.run(&save_op(RAM, flash(None), false));
        assert_eq!(h.last_rc, MCX_OK);
        let seqs = |h: &Harness| {
            h.areas.each_ref().map(|a| {
                a.may_hold
                    .iter()
                    .map(|w| w.as_ref().map(|w| w.seq))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(seqs(&h), [vec![Some(1)], vec![Some(2)]]);
        // A second record: a longer save, cut at each of its bytes; the next save goes to A
        // every time (B holds the newest whole save).
        h.run(&migrated(1));
        h.run(&apply(0));
        assert_eq!(h.last_rc, MCX_OK);
        let needed = snapshot_of(h.slots[0].ptr().cast()).len() + MCX_SAVE_OVERHEAD;
        for budget in 0..=needed {
            for erase in [true, false] {
                // Slot A erased: a cut at the very end may have left the new save whole.
                h.run(&Op::SaveAreaFill {
                    area: 0,
                    fill: AreaFill::Erased,
                });
                let cut = Cut {
                    erase,
                    budget: budget as u16,
                    code: 0,
                };
                h.run(&save_op(flash(Some(cut)), RAM, false));
                let rc = if budget == needed && !erase {
                    MCX_OK
                } else {
                    MCX_E_SAVE_IO
                };
                assert_eq!(h.last_rc, rc, "cut after {budget} bytes (erase: {erase})");
                assert_eq!(h.areas[1].may_hold.len(), 1, "slot B only read");
            }
        }
        // Slot A holds a whole save (seq 3): the next goes to B.
        h.run(&save_op(RAM, RAM, false));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(seqs(&h), [vec![Some(3)], vec![Some(4)]]);
    }

    /// Refused arguments write nothing and call no callback; a slot too short for the save
    /// gives `MCX_E_SAVE_SLOT_TOO_SMALL`.
    #[test]
    fn save_and_load_refusals() {
        let mut h = Harness::new();
        table_with(&mut h, 2);
        for (a, rc) in [
            (SlotArg::Null, MCX_E_NULL_ARGUMENT),
            (SlotArg::Misaligned, MCX_E_MISALIGNED),
            (SlotArg::NullBytes(SlotLen::Full), MCX_E_NULL_ARGUMENT),
            (
                SlotArg::OneCallback(true, SlotLen::Full),
                MCX_E_INVALID_ARGUMENT,
            ),
            (
                SlotArg::OneCallback(false, SlotLen::Full),
                MCX_E_INVALID_ARGUMENT,
            ),
            (SlotArg::Ram(SlotLen::Bytes(40)), MCX_E_SAVE_SLOT_TOO_SMALL),
            (
                SlotArg::Flash(SlotLen::Bytes(40), None),
                MCX_E_SAVE_SLOT_TOO_SMALL,
            ),
            (SlotArg::Ram(SlotLen::Huge), MCX_E_INVALID_ARGUMENT),
        ] {
            h.run(&save_op(a, RAM, false));
            assert_eq!(h.last_rc, rc, "{a:?}");
            h.run(&load_op(0, a, RAM));
            let load_rc = match rc {
                MCX_E_SAVE_SLOT_TOO_SMALL => MCX_E_SAVE_NO_VALID_SLOT,
                rc => rc,
            };
            assert_eq!(h.last_rc, load_rc, "load {a:?}");
        }
        h.run(&Op::TableSave {
            table: Obj::Slot(0),
            a: RAM,
            b: RAM,
            swap: true,
            outs: [OptOut::Misaligned, OptOut::Null],
        });
        assert_eq!(h.last_rc, MCX_E_MISALIGNED);
        h.run(&Op::TableSave {
            table: Obj::Null,
            a: RAM,
            b: RAM,
            swap: true,
            outs: [OptOut::Null; 2],
        });
        assert_eq!(h.last_rc, MCX_E_NULL_ARGUMENT);
    }

    /// A corrupted newest save falls back to the older one; both corrupted: no valid slot and
    /// the table unchanged; a table too small for the newest takes the older one.
    #[test]
    fn loads_fall_back_on_corruption_and_size() {
        let mut h = Harness::new();
        table_with(&mut h, 1);
        h.run(&save_op(RAM, RAM, false));
        h.run(&migrated(1));
        h.run(&apply(0));
        h.run(&save_op(RAM, RAM, false));
        assert_eq!(h.last_rc, MCX_OK);
        // Table B in slot 5 over 132 bytes holds one record (107 bytes in use), not two.
        h.run(&Op::TableInit(
            Obj::Slot(2),
            StorageArg::Len {
                len: 200,
                offset: 0,
            },
        ));
        h.run(&load_op(2, RAM, RAM));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(in_use(&mut h, 5), (1, 107), "the older save");
        h.run(&load_op(0, RAM, RAM));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(in_use(&mut h, 0).0, 2, "the newer save");
        h.run(&Op::SaveAreaCorrupt {
            area: 1,
            at: 20,
            xor: 0x40,
        });
        h.run(&load_op(0, RAM, RAM));
        assert_eq!(h.last_rc, MCX_OK);
        assert_eq!(in_use(&mut h, 0).0, 1, "the older save");
        h.run(&Op::SaveAreaCorrupt {
            area: 0,
            at: 0,
            xor: 0x01,
        });
        h.run(&load_op(0, RAM, RAM));
        assert_eq!(h.last_rc, MCX_E_SAVE_NO_VALID_SLOT);
        // A save now goes to A (neither whole), and loads.
        h.run(&save_op(RAM, flash(None), false));
        assert_eq!(h.last_rc, MCX_OK);
        h.run(&load_op(0, flash(None), RAM));
        assert_eq!(h.last_rc, MCX_OK);
    }
}
