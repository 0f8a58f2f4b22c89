//! Status codes: `0` is success, every failure is one stable negative code from the range
//! `-4001..=-4899`, grouped by the core error enum it comes from (hundreds digit). Numbers are
//! never reused: a removed code stays reserved.
//!
//! [`STATUS_TABLE`] is the single mapping from code to name and description;
//! [`mcx_status_str`](crate::mcx_status_str) reads it, and `ffi/tests/docs.rs` writes docs/c-api.md's code table from it.

use core::ffi::c_char;

use mcx_migrate::server::RejectReason;
use mcx_migrate::table::save::{SaveError, SlotFault};
use mcx_migrate::{
    DecodeError, EncodeError, IdError, RedirectionError, SnapshotError, StorageError, TableError,
};

/// A status: what every C API function returns. `MCX_OK` (0) or one negative code per
/// failure; the C type is `mcx_status` (an `int32_t`, the enumerators its values).
///
/// Only Rust produces values of this type: C input that carries a status (the argument of
/// `mcx_status_str`) stays an `i32`, since C may pass any number.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mcx_status {
    /// Success.
    MCX_OK = 0,

    /// A pointer argument that must not be NULL was NULL.
    MCX_E_NULL_ARGUMENT = -4001,
    /// The object was never initialised by its `mcx_*_init`/builder function, or its header was
    /// overwritten (corrupted), or it is another kind of object.
    MCX_E_NOT_INITIALISED = -4002,
    /// A C string argument is not valid UTF-8.
    MCX_E_INVALID_UTF8 = -4003,
    /// A C string argument has no NUL terminator within `MCX_MAX_STRING_LEN` + 1 bytes.
    MCX_E_STRING_TOO_LONG = -4004,
    /// The message is of another type than the function needs (e.g. asking a migration update
    /// for its calling party, or applying a request to a table).
    MCX_E_WRONG_MESSAGE_TYPE = -4005,
    /// The requested optional field (security domain information, redirection reason) is absent.
    MCX_E_ABSENT = -4006,
    /// A numeric argument is out of range (unknown service kind or field selector).
    MCX_E_INVALID_ARGUMENT = -4007,
    /// A pointer argument is not aligned for what it points to: an object (`mcx_table_t`,
    /// `mcx_message_t`, `mcx_call_t`, `mcx_save_slot_t`) or an out-pointer's type. Byte buffers
    /// and a table's storage may have any alignment.
    MCX_E_MISALIGNED = -4008,

    /// Identifier is empty.
    MCX_E_ID_EMPTY = -4101,
    /// Identifier is longer than its build-time capacity.
    MCX_E_ID_TOO_LONG = -4102,
    /// Identifier holds an ASCII control character.
    MCX_E_ID_CONTROL_CHARACTER = -4103,
    /// Identifier is not a URI of the required scheme (`sip:`, `sips:`, `tel:` for an MC service ID).
    MCX_E_ID_INVALID_URI = -4104,
    /// Identifier is not a DNS domain name (MC system identity).
    MCX_E_ID_INVALID_DOMAIN_NAME = -4105,

    /// The caller's buffer is too small; the needed length was written through `out_len`.
    MCX_E_BUFFER_TOO_SMALL = -4201,
    /// Encoding refused: end-to-end encryption required but no security domain information
    /// (NOTE under Table 10.16.y.2-1).
    MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO = -4202,

    /// The bytes end before the message does (includes empty input).
    MCX_E_DECODE_TRUNCATED = -4301,
    /// Bytes follow a complete message.
    MCX_E_DECODE_TRAILING_BYTES = -4302,
    /// The envelope names a wire format version this build does not speak.
    MCX_E_DECODE_UNSUPPORTED_VERSION = -4303,
    /// The envelope names an unknown message type.
    MCX_E_DECODE_UNKNOWN_MESSAGE_TYPE = -4304,
    /// A valid message of another type than expected.
    MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE = -4305,
    /// The payload is malformed (bad tag, varint, bool or option marker).
    MCX_E_DECODE_MALFORMED = -4306,
    /// A string field on the wire is not valid UTF-8.
    MCX_E_DECODE_INVALID_UTF8 = -4307,
    /// A string field on the wire is not a valid identifier.
    MCX_E_DECODE_INVALID_FIELD = -4308,
    /// A received redirection requires end-to-end encryption but has no security domain information.
    MCX_E_DECODE_MISSING_SECURITY_DOMAIN_INFO = -4309,
    /// A byte-stream frame is not valid COBS.
    MCX_E_DECODE_BAD_FRAME = -4310,
    /// A byte-stream frame's CRC-32C does not match the message it carries, or the frame is too
    /// short to hold one: the bytes were corrupted on the link.
    MCX_E_DECODE_FRAME_CHECK_MISMATCH = -4311,

    /// Migration table full: the update needs more bytes than the table's storage has free, even
    /// after evicting every departed visitor record. Table unchanged.
    MCX_E_TABLE_FULL = -4401,
    /// "Moved on" or "returned" for a user not recorded as migrated.
    MCX_E_TABLE_NOT_MIGRATED = -4402,
    /// "Departed" for an ID not recorded as a visiting user.
    MCX_E_TABLE_NOT_VISITING = -4403,
    /// The ID is recorded with the other role (migrated-away user vs visiting user).
    MCX_E_TABLE_ROLE_CONFLICT = -4404,
    /// `mcx_table_init`: the storage is shorter than `MCX_TABLE_MIN_STORAGE_LEN` bytes. Nothing
    /// written.
    MCX_E_TABLE_STORAGE_TOO_SMALL = -4405,

    /// Redirection refused: it names another calling party.
    MCX_E_REDIRECTION_MISMATCHED_CALLING_PARTY = -4501,
    /// Redirection refused: it does not name the ID this call just called (IE 2 in a "target
    /// migrated" redirection, IE 3 in a "no longer served" one, either without a reason).
    MCX_E_REDIRECTION_MISMATCHED_TARGET = -4502,
    /// Redirection refused: it concerns another kind of private communication.
    MCX_E_REDIRECTION_MISMATCHED_SERVICE_KIND = -4503,
    /// Redirection refused: the call requires end-to-end encryption and the redirection carries no
    /// security domain information (following it would downgrade the call).
    MCX_E_REDIRECTION_E2EE_DOWNGRADE = -4504,
    /// Redirection refused: the call was already redirected the maximum number of times.
    MCX_E_REDIRECTION_TOO_MANY = -4505,
    /// Redirection refused: it repeats an earlier one (a loop).
    MCX_E_REDIRECTION_LOOP = -4506,

    /// Server decision "reject": end-to-end encryption required but no security domain information
    /// is known for the migrated target. Returned through `out_reject_reason`, not as a status.
    MCX_E_REJECT_SECURITY_DOMAIN_INFO_UNAVAILABLE = -4601,

    /// The caller's buffer is too small for the migration table snapshot; the needed length was
    /// written through `out_len` (`MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` always suffices).
    MCX_E_SNAPSHOT_BUFFER_TOO_SMALL = -4701,
    /// Restore refused: the bytes end before the snapshot does (its header states its length).
    MCX_E_SNAPSHOT_TRUNCATED = -4702,
    /// Restore refused: the bytes do not start with the snapshot magic (erased flash, say).
    MCX_E_SNAPSHOT_NOT_A_SNAPSHOT = -4703,
    /// Restore refused: the snapshot's format version is not one this build reads.
    MCX_E_SNAPSHOT_UNSUPPORTED_VERSION = -4704,
    /// Restore refused: the CRC-32 over the snapshot does not match (corrupted bytes).
    MCX_E_SNAPSHOT_CRC_MISMATCH = -4705,
    /// Restore refused: the snapshot's records do not fit the table's storage (a table as large as
    /// the one that took it always suffices).
    MCX_E_SNAPSHOT_TABLE_TOO_SMALL = -4706,
    /// Restore refused: two records of the snapshot have the same key.
    MCX_E_SNAPSHOT_DUPLICATE_KEY = -4707,
    /// Restore refused: the snapshot's structure is not the canonical encoding the library writes.
    MCX_E_SNAPSHOT_MALFORMED = -4708,
    /// Restore refused: a record of the snapshot holds an invalid identifier.
    MCX_E_SNAPSHOT_INVALID_FIELD = -4709,
    /// Restore refused: a record of the snapshot breaks the rules normal updates keep.
    MCX_E_SNAPSHOT_INVALID_RECORD = -4710,

    /// Save slot: erased (never saved, or a save cut before its header).
    MCX_E_SAVE_SLOT_ERASED = -4801,
    /// Save slot: does not start with the save magic `MCXB`.
    MCX_E_SAVE_NOT_A_SAVE = -4802,
    /// Save slot: its stated length runs past the slot, or the slot is shorter than a header.
    MCX_E_SAVE_TRUNCATED = -4803,
    /// Save slot: CRC mismatch (a save cut short by a power failure, or corrupted bytes).
    MCX_E_SAVE_CRC_MISMATCH = -4804,
    /// Save slot: the slot's erase or program callback returned non-zero; the other slot still
    /// holds the previous save.
    MCX_E_SAVE_IO = -4805,
    /// `mcx_table_save`: the slot to write is shorter than the save (`MCX_SAVE_SLOT_LEN(storage_len)`
    /// always suffices). Nothing written.
    MCX_E_SAVE_SLOT_TOO_SMALL = -4806,
    /// `mcx_table_load`: neither slot holds a save that restores into the table (each slot's
    /// reason is in its out-status). Table unchanged.
    MCX_E_SAVE_NO_VALID_SLOT = -4807,
}

pub use mcx_status::*;

/// One row of the status table: code, C name, description (NUL-terminated).
pub struct StatusEntry {
    /// The code.
    pub code: i32,
    /// The C enumerator's name.
    pub name: &'static str,
    /// What it means, NUL-terminated for `mcx_status_str`.
    pub description: &'static str,
}

macro_rules! status_table {
    ($($name:ident => $text:literal,)*) => {
        /// Every status code with its name and description: the one mapping table.
        pub const STATUS_TABLE: &[StatusEntry] = &[
            $(StatusEntry { code: $name as i32, name: stringify!($name), description: concat!($text, "\0") },)*
        ];

        /// Every enumerator of [`mcx_status`] is in the table, once: this `match` does not
        /// compile if one is missing, and a duplicate is an unreachable pattern.
        const _: fn(mcx_status) = |status| match status {
            $($name => (),)*
        };

        /// Every description, each NUL-terminated, in table order, then "unknown status code": one
        /// string, so that `mcx_status_str` links the texts and [`GROUPS`], neither the table
        /// and its C names nor a `match` of one arm per code returning (pointer, length) pairs (together
        /// 1.5 KiB of flash, docs/footprint.md).
        const DESCRIPTIONS: &str = concat!($($text, "\0",)* "unknown status code\0");

        /// The codes in table order, as `i16` (every code fits): the `n`th is described by
        /// the `n`th string of [`DESCRIPTIONS`].
        const CODES: &[i16] = &[$($name as i16,)*];

        /// Where each group of failure codes starts in table order and how many codes it has,
        /// by the hundreds digit of the code (`-4001..=-4008` is group 0, `-4101..` group 1, ...):
        /// `mcx_status_str` finds a code's place by arithmetic, with 18 bytes of table instead
        /// of [`CODES`]'s 112.
        const GROUPS: [(u8, u8); 9] = groups(CODES);

        /// Where the description of `code` starts in [`DESCRIPTIONS`]: after the `n`th NUL for
        /// the `n`th code of [`CODES`], after the last text's NUL for a code not in it. One byte
        /// loop and no `str` slicing: `mcx_status_str` only needs the start, and a slice of the
        /// `str` would check char boundaries.
        fn description_at(code: i32) -> usize {
            let mut skip = index_of(code);
            let mut start = 0;
            for (at, &b) in DESCRIPTIONS.as_bytes().iter().enumerate() {
                if skip == 0 {
                    break;
                }
                if b == 0 {
                    skip = skip.saturating_sub(1);
                    start = at.saturating_add(1);
                }
            }
            start
        }

        /// The static description of `code`: the table's, or "unknown status code" for a code not in
        /// it. NUL-terminated.
        pub fn describe(code: i32) -> &'static str {
            let text = DESCRIPTIONS.get(description_at(code)..).unwrap_or_default();
            // Always found; the empty C string rather than a panic should it not be.
            text.find('\0')
                .and_then(|nul| text.get(..=nul))
                .unwrap_or("\0")
        }

        /// The description of `code` as a C string, as [`describe`] gives it.
        fn describe_c(code: i32) -> *const u8 {
            match DESCRIPTIONS.as_bytes().get(description_at(code)..) {
                // Never empty: the last text ends with a NUL.
                Some(text) if !text.is_empty() => text.as_ptr(),
                _ => b"\0".as_ptr(),
            }
        }
    };
}

status_table! {
    MCX_OK => "success",
    MCX_E_NULL_ARGUMENT => "NULL argument",
    MCX_E_NOT_INITIALISED => "object not initialised",
    MCX_E_INVALID_UTF8 => "C string not UTF-8",
    MCX_E_STRING_TOO_LONG => "C string too long",
    MCX_E_WRONG_MESSAGE_TYPE => "wrong message type",
    MCX_E_ABSENT => "field absent",
    MCX_E_INVALID_ARGUMENT => "argument out of range",
    MCX_E_MISALIGNED => "pointer misaligned",
    MCX_E_ID_EMPTY => "empty ID",
    MCX_E_ID_TOO_LONG => "ID too long",
    MCX_E_ID_CONTROL_CHARACTER => "control character in ID",
    MCX_E_ID_INVALID_URI => "ID not a valid URI",
    MCX_E_ID_INVALID_DOMAIN_NAME => "ID not a domain name",
    MCX_E_BUFFER_TOO_SMALL => "buffer too small",
    MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO => "E2EE needs security domain info",
    MCX_E_DECODE_TRUNCATED => "message truncated",
    MCX_E_DECODE_TRAILING_BYTES => "trailing bytes",
    MCX_E_DECODE_UNSUPPORTED_VERSION => "unsupported version",
    MCX_E_DECODE_UNKNOWN_MESSAGE_TYPE => "unknown message type",
    MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE => "unexpected message type",
    MCX_E_DECODE_MALFORMED => "malformed message",
    MCX_E_DECODE_INVALID_UTF8 => "field not UTF-8",
    MCX_E_DECODE_INVALID_FIELD => "invalid field",
    MCX_E_DECODE_MISSING_SECURITY_DOMAIN_INFO => "E2EE redirection lacks security domain info",
    MCX_E_DECODE_BAD_FRAME => "invalid COBS frame",
    MCX_E_DECODE_FRAME_CHECK_MISMATCH => "frame CRC mismatch",
    MCX_E_TABLE_FULL => "migration table full",
    MCX_E_TABLE_NOT_MIGRATED => "user not migrated",
    MCX_E_TABLE_NOT_VISITING => "user not visiting",
    MCX_E_TABLE_ROLE_CONFLICT => "ID has the other role",
    MCX_E_TABLE_STORAGE_TOO_SMALL => "table storage too small",
    MCX_E_REDIRECTION_MISMATCHED_CALLING_PARTY => "other calling party",
    MCX_E_REDIRECTION_MISMATCHED_TARGET => "other target",
    MCX_E_REDIRECTION_MISMATCHED_SERVICE_KIND => "other service kind",
    MCX_E_REDIRECTION_E2EE_DOWNGRADE => "E2EE downgrade",
    MCX_E_REDIRECTION_TOO_MANY => "too many redirections",
    MCX_E_REDIRECTION_LOOP => "redirection loop",
    MCX_E_REJECT_SECURITY_DOMAIN_INFO_UNAVAILABLE => "no security domain info for target",
    MCX_E_SNAPSHOT_BUFFER_TOO_SMALL => "snapshot buffer too small",
    MCX_E_SNAPSHOT_TRUNCATED => "snapshot truncated",
    MCX_E_SNAPSHOT_NOT_A_SNAPSHOT => "not a snapshot",
    MCX_E_SNAPSHOT_UNSUPPORTED_VERSION => "unsupported snapshot version",
    MCX_E_SNAPSHOT_CRC_MISMATCH => "snapshot CRC mismatch",
    MCX_E_SNAPSHOT_TABLE_TOO_SMALL => "snapshot does not fit the table",
    MCX_E_SNAPSHOT_DUPLICATE_KEY => "duplicate snapshot key",
    MCX_E_SNAPSHOT_MALFORMED => "malformed snapshot",
    MCX_E_SNAPSHOT_INVALID_FIELD => "invalid snapshot field",
    MCX_E_SNAPSHOT_INVALID_RECORD => "invalid snapshot record",
    MCX_E_SAVE_SLOT_ERASED => "save slot erased",
    MCX_E_SAVE_NOT_A_SAVE => "save slot holds no save",
    MCX_E_SAVE_TRUNCATED => "save slot truncated",
    MCX_E_SAVE_CRC_MISMATCH => "save slot CRC mismatch",
    MCX_E_SAVE_IO => "save slot driver failed",
    MCX_E_SAVE_SLOT_TOO_SMALL => "save slot too small",
    MCX_E_SAVE_NO_VALID_SLOT => "no save slot restores",
}

/// [`GROUPS`] from the codes in table order: `MCX_OK` first, then the codes of each group in a
/// run, numbered 1, 2, ... (`-4001`, `-4002`, ...). Evaluated at compile time only, where a
/// table that breaks this fails the build.
// Indexing and arithmetic in a const evaluation: a panic is a build error, never a run-time one.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn groups(codes: &[i16]) -> [(u8, u8); 9] {
    assert!(codes[0] == 0, "MCX_OK comes first");
    let mut groups = [(0u8, 0u8); 9];
    let mut at = 1;
    while at < codes.len() {
        let n = -(codes[at] as i32) - 4001;
        let group = &mut groups[(n / 100) as usize];
        if group.1 == 0 {
            group.0 = at as u8;
        }
        assert!(
            n % 100 == group.1 as i32 && group.0 as usize + group.1 as usize == at,
            "the codes of a group are numbered 1, 2, ... and listed together"
        );
        group.1 += 1;
        at += 1;
    }
    groups
}

/// The place of `code` in the table's order ([`GROUPS`]); the number of codes for a code that
/// is none.
fn index_of(code: i32) -> usize {
    if code == 0 {
        return 0;
    }
    let n = code.checked_neg().and_then(|n| n.checked_sub(4001));
    let place = n.and_then(|n| {
        let n = usize::try_from(n).ok()?;
        let (start, count) = *GROUPS.get(n / 100)?;
        let k = n % 100;
        (k < usize::from(count)).then(|| usize::from(start).saturating_add(k))
    });
    place.unwrap_or(CODES.len())
}

/// The name and the number, as `MCX_E_NULL_ARGUMENT (-4001)`.
impl core::fmt::Display for mcx_status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let code = *self as i32;
        let name = STATUS_TABLE
            .iter()
            .find(|e| e.code == code)
            .map_or("?", |e| e.name);
        write!(f, "{name} ({code})")
    }
}

/// A core error (or reject reason) as its status code.
pub trait ToStatus {
    /// The stable code of this value.
    fn status(&self) -> mcx_status;
}

impl ToStatus for IdError {
    fn status(&self) -> mcx_status {
        match self {
            IdError::Empty => MCX_E_ID_EMPTY,
            IdError::TooLong => MCX_E_ID_TOO_LONG,
            IdError::ControlCharacter => MCX_E_ID_CONTROL_CHARACTER,
            IdError::InvalidUri => MCX_E_ID_INVALID_URI,
            IdError::InvalidDomainName => MCX_E_ID_INVALID_DOMAIN_NAME,
        }
    }
}

impl ToStatus for EncodeError {
    fn status(&self) -> mcx_status {
        match self {
            EncodeError::BufferTooSmall { .. } => MCX_E_BUFFER_TOO_SMALL,
            EncodeError::MissingSecurityDomainInfo => MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO,
        }
    }
}

impl ToStatus for DecodeError {
    fn status(&self) -> mcx_status {
        match self {
            DecodeError::Truncated => MCX_E_DECODE_TRUNCATED,
            DecodeError::TrailingBytes => MCX_E_DECODE_TRAILING_BYTES,
            DecodeError::UnsupportedVersion(_) => MCX_E_DECODE_UNSUPPORTED_VERSION,
            DecodeError::UnknownMessageType(_) => MCX_E_DECODE_UNKNOWN_MESSAGE_TYPE,
            DecodeError::UnexpectedMessageType => MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE,
            DecodeError::Malformed => MCX_E_DECODE_MALFORMED,
            DecodeError::InvalidUtf8 => MCX_E_DECODE_INVALID_UTF8,
            DecodeError::InvalidField(_) => MCX_E_DECODE_INVALID_FIELD,
            DecodeError::MissingSecurityDomainInfo => MCX_E_DECODE_MISSING_SECURITY_DOMAIN_INFO,
            DecodeError::BadFrame => MCX_E_DECODE_BAD_FRAME,
            DecodeError::FrameCheckMismatch => MCX_E_DECODE_FRAME_CHECK_MISMATCH,
        }
    }
}

impl ToStatus for TableError {
    fn status(&self) -> mcx_status {
        match self {
            TableError::TableFull => MCX_E_TABLE_FULL,
            TableError::NotMigrated => MCX_E_TABLE_NOT_MIGRATED,
            TableError::NotVisiting => MCX_E_TABLE_NOT_VISITING,
            TableError::RoleConflict => MCX_E_TABLE_ROLE_CONFLICT,
        }
    }
}

impl ToStatus for StorageError {
    fn status(&self) -> mcx_status {
        match self {
            StorageError::TooSmall { .. } => MCX_E_TABLE_STORAGE_TOO_SMALL,
        }
    }
}

impl ToStatus for SlotFault {
    fn status(&self) -> mcx_status {
        match self {
            SlotFault::Erased => MCX_E_SAVE_SLOT_ERASED,
            SlotFault::NotASave => MCX_E_SAVE_NOT_A_SAVE,
            SlotFault::Truncated => MCX_E_SAVE_TRUNCATED,
            SlotFault::CrcMismatch => MCX_E_SAVE_CRC_MISMATCH,
            SlotFault::Snapshot(e) => e.status(),
            SlotFault::Io(_) => MCX_E_SAVE_IO,
        }
    }
}

impl ToStatus for SaveError {
    fn status(&self) -> mcx_status {
        match self {
            SaveError::SlotTooSmall { .. } => MCX_E_SAVE_SLOT_TOO_SMALL,
            SaveError::Io(..) => MCX_E_SAVE_IO,
        }
    }
}

impl ToStatus for RedirectionError {
    fn status(&self) -> mcx_status {
        match self {
            RedirectionError::MismatchedCallingParty => MCX_E_REDIRECTION_MISMATCHED_CALLING_PARTY,
            RedirectionError::MismatchedTarget => MCX_E_REDIRECTION_MISMATCHED_TARGET,
            RedirectionError::MismatchedServiceKind => MCX_E_REDIRECTION_MISMATCHED_SERVICE_KIND,
            RedirectionError::E2eeDowngrade => MCX_E_REDIRECTION_E2EE_DOWNGRADE,
            RedirectionError::TooManyRedirections => MCX_E_REDIRECTION_TOO_MANY,
            RedirectionError::RedirectionLoop => MCX_E_REDIRECTION_LOOP,
        }
    }
}

impl ToStatus for SnapshotError {
    fn status(&self) -> mcx_status {
        match self {
            SnapshotError::BufferTooSmall { .. } => MCX_E_SNAPSHOT_BUFFER_TOO_SMALL,
            SnapshotError::Truncated => MCX_E_SNAPSHOT_TRUNCATED,
            SnapshotError::NotASnapshot => MCX_E_SNAPSHOT_NOT_A_SNAPSHOT,
            SnapshotError::UnsupportedVersion(_) => MCX_E_SNAPSHOT_UNSUPPORTED_VERSION,
            SnapshotError::CrcMismatch => MCX_E_SNAPSHOT_CRC_MISMATCH,
            SnapshotError::TableTooSmall { .. } => MCX_E_SNAPSHOT_TABLE_TOO_SMALL,
            SnapshotError::DuplicateKey => MCX_E_SNAPSHOT_DUPLICATE_KEY,
            SnapshotError::Malformed => MCX_E_SNAPSHOT_MALFORMED,
            SnapshotError::InvalidField(_) => MCX_E_SNAPSHOT_INVALID_FIELD,
            SnapshotError::InvalidRecord => MCX_E_SNAPSHOT_INVALID_RECORD,
        }
    }
}

impl ToStatus for RejectReason {
    fn status(&self) -> mcx_status {
        match self {
            RejectReason::SecurityDomainInfoUnavailable => {
                MCX_E_REJECT_SECURITY_DOMAIN_INFO_UNAVAILABLE
            }
        }
    }
}

/// The body of `mcx_status_str` (exported, and documented, in `abi::exports`).
pub(crate) fn status_str(status: i32) -> *const c_char {
    describe_c(status).cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_code_is_distinct_and_described() {
        for (i, a) in STATUS_TABLE.iter().enumerate() {
            assert!(a.description.ends_with('\0') && a.description.len() > 1);
            assert!(
                a.code == MCX_OK as i32 || (-4899..=-4001).contains(&a.code),
                "{}",
                a.name
            );
            for b in &STATUS_TABLE[i + 1..] {
                assert_ne!(a.code, b.code, "{} and {} share a code", a.name, b.name);
            }
        }
    }

    /// Each `SnapshotError` variant has its own code (issue 8: "refuses, with distinct errors").
    #[test]
    fn every_snapshot_error_has_its_own_code() {
        let all = [
            SnapshotError::BufferTooSmall { needed: 1 },
            SnapshotError::Truncated,
            SnapshotError::NotASnapshot,
            SnapshotError::UnsupportedVersion(2),
            SnapshotError::CrcMismatch,
            SnapshotError::TableTooSmall { needed: 1 },
            SnapshotError::DuplicateKey,
            SnapshotError::Malformed,
            SnapshotError::InvalidField(IdError::Empty),
            SnapshotError::InvalidRecord,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(
                STATUS_TABLE.iter().any(|e| e.code == a.status() as i32),
                "{a:?}"
            );
            for b in &all[i + 1..] {
                assert_ne!(a.status(), b.status(), "{a:?} and {b:?} share a code");
            }
        }
    }

    /// A too-small table storage and a full table are told apart, and neither is a snapshot code.
    #[test]
    fn table_storage_and_table_errors_have_their_own_codes() {
        let storage = StorageError::TooSmall { needed: 32 }.status();
        assert_eq!(storage, MCX_E_TABLE_STORAGE_TOO_SMALL);
        assert_ne!(storage, TableError::TableFull.status());
        assert_ne!(
            SnapshotError::TableTooSmall { needed: 1 }.status(),
            TableError::TableFull.status()
        );
    }

    /// Each `DecodeError` variant has its own code; a corrupted frame (issue 12) is told apart
    /// from invalid COBS and from every message-level error.
    #[test]
    fn every_decode_error_has_its_own_code() {
        let all = [
            DecodeError::Truncated,
            DecodeError::TrailingBytes,
            DecodeError::UnsupportedVersion(1),
            DecodeError::UnknownMessageType(9),
            DecodeError::UnexpectedMessageType,
            DecodeError::Malformed,
            DecodeError::InvalidUtf8,
            DecodeError::InvalidField(IdError::Empty),
            DecodeError::MissingSecurityDomainInfo,
            DecodeError::BadFrame,
            DecodeError::FrameCheckMismatch,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(
                STATUS_TABLE.iter().any(|e| e.code == a.status() as i32),
                "{a:?}"
            );
            for b in &all[i + 1..] {
                assert_ne!(a.status(), b.status(), "{a:?} and {b:?} share a code");
            }
        }
        assert_eq!(
            DecodeError::FrameCheckMismatch.status(),
            MCX_E_DECODE_FRAME_CHECK_MISMATCH
        );
    }

    #[test]
    fn the_description_list_follows_the_table_and_no_code_is_truncated() {
        assert_eq!(CODES.len(), STATUS_TABLE.len());
        for (entry, &code) in STATUS_TABLE.iter().zip(CODES) {
            assert_eq!(i32::from(code), entry.code, "{}", entry.name);
            assert_eq!(describe(entry.code), entry.description, "{}", entry.name);
        }
    }

    #[test]
    fn every_code_is_found_in_its_place_and_no_other_number_is() {
        for (at, entry) in STATUS_TABLE.iter().enumerate() {
            assert_eq!(index_of(entry.code), at, "{}", entry.name);
        }
        for code in (-5000..=100).chain([i32::MIN, i32::MAX, -4000, -4009, -4899, -4900]) {
            if !STATUS_TABLE.iter().any(|e| e.code == code) {
                assert_eq!(index_of(code), CODES.len(), "{code}");
            }
        }
    }

    #[test]
    fn unknown_status_code_has_a_static_description() {
        assert_eq!(describe(-1), "unknown status code\0");
        assert_eq!(describe(i32::MIN), "unknown status code\0");
    }
}
