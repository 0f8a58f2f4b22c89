//! Messages from C: build a private call request or a migration update from C strings, decode
//! any message from bytes, read its fields, encode it (§10.16.5.2 information flows, Table
//! 10.16.y.2-1, clause 10.6.3).

use core::ffi::c_char;
use core::mem::{align_of, size_of};

use mcx_migrate::config;
use mcx_migrate::wire;
use mcx_migrate::{
    EncodeError, KmsUriRef, McServiceIdRef, McSystemIdRef, Message, Migration, MigrationUpdate,
    PrivateCallRedirection, PrivateCallRequest, RedirectionReason, SecurityDomainInfo, ServiceKind,
};

use crate::abi::{self, c_str, c_str_opt, run, Status, Storage, Stored};
use crate::status::*;

/// The longest C string any function reads, NUL excluded: the largest build-time capacity the
/// core accepts for an identifier. A longer string fails with `MCX_E_STRING_TOO_LONG` without
/// reading past `MCX_MAX_STRING_LEN` + 1 bytes.
pub const MCX_MAX_STRING_LEN: usize = 1024;

// The identifier capacities are the core's build-time settings (`MCX_MIGRATE_*`,
// docs/embedded.md), stated in the header as literals (cbindgen writes a constant only when it
// is one). A build with other capacities does not compile until the literals follow it and the
// header is regenerated, so the header never states a capacity the library does not have.

/// Longest MC service ID (MCPTT ID, MCVideo ID or MCData ID URI) in bytes: an ID of this length
/// is accepted, a longer one refused with `MCX_E_ID_TOO_LONG`.
pub const MCX_MC_SERVICE_ID_CAPACITY: usize = 128;
/// Longest MC system identity (a DNS domain name) in bytes; longer: `MCX_E_ID_TOO_LONG`.
pub const MCX_MC_SYSTEM_ID_CAPACITY: usize = 253;
/// Longest KMS URI (security domain information) in bytes; longer: `MCX_E_ID_TOO_LONG`.
pub const MCX_KMS_URI_CAPACITY: usize = 128;

const _: () = assert!(
    MCX_MC_SERVICE_ID_CAPACITY == config::MC_SERVICE_ID_CAPACITY,
    "MCX_MC_SERVICE_ID_CAPACITY is not this build's MCX_MIGRATE_MC_SERVICE_ID_CAPACITY: set it in ffi/src/message.rs and regenerate the header"
);
const _: () = assert!(
    MCX_MC_SYSTEM_ID_CAPACITY == config::MC_SYSTEM_ID_CAPACITY,
    "MCX_MC_SYSTEM_ID_CAPACITY is not this build's MCX_MIGRATE_MC_SYSTEM_ID_CAPACITY: set it in ffi/src/message.rs and regenerate the header"
);
const _: () = assert!(
    MCX_KMS_URI_CAPACITY == config::KMS_URI_CAPACITY,
    "MCX_KMS_URI_CAPACITY is not this build's MCX_MIGRATE_KMS_URI_CAPACITY: set it in ffi/src/message.rs and regenerate the header"
);
// Every identifier fits a C string argument, so it is the core that refuses a long one.
const _: () = assert!(MCX_MC_SERVICE_ID_CAPACITY <= MCX_MAX_STRING_LEN);
const _: () = assert!(MCX_MC_SYSTEM_ID_CAPACITY <= MCX_MAX_STRING_LEN);
const _: () = assert!(MCX_KMS_URI_CAPACITY <= MCX_MAX_STRING_LEN);

/// Size in bytes of `mcx_message_t` (for the default build-time identifier capacities): a
/// 4-byte magic word, a 2-byte length and room for the longest encoding
/// (`MCX_MAX_ENCODED_LEN`), padded to a multiple of 8. The same on 32- and 64-bit targets.
pub const MCX_MESSAGE_SIZE: usize = 656;

/// Longest encoding of any message in bytes: a buffer this long always suffices for
/// `mcx_message_encode`, `mcx_call_request` and `mcx_server_decide`'s redirection.
pub const MCX_MAX_ENCODED_LEN: usize = 649;

/// Longest frame of any message (COBS of the message and its CRC-32C, then the delimiter): a
/// buffer this long always suffices for `mcx_message_encode_frame`.
pub const MCX_MAX_FRAME_LEN: usize = 657;

/// Storage for one message: a private call request, a private call redirection or a migration
/// update, kept as its encoding (wire format). Declare it anywhere (static, stack); fill it with
/// `mcx_message_decode` or an `mcx_message_init_*` builder; never copy bytes into it by hand.
#[repr(C)]
pub union mcx_message_t {
    _opaque: [u8; MCX_MESSAGE_SIZE],
    _align: u64,
}

/// The object behind `mcx_message_t`: the message's canonical encoding (the wire format,
/// envelope included, as `mcx_message_encode` writes it) and its length. A message borrows its
/// identifiers, so the storage keeps the bytes they are read from: the accessors decode them on
/// use (`wire::decode_message`, zero copy). Only a builder or a decoder writes them, after
/// validating the message, so the bytes are always a valid message.
#[repr(C)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq, Eq))]
pub(crate) struct Encoded {
    /// Bytes of `bytes` the encoding takes; the rest are zero.
    pub(crate) len: u16,
    /// The encoding, then zeros.
    pub(crate) bytes: [u8; wire::MAX_ENCODED_LEN],
}

// Every length of an encoding fits `Encoded::len`.
const _: () = assert!(wire::MAX_ENCODED_LEN <= u16::MAX as usize);

impl Encoded {
    /// The encoding. Empty if the length was overwritten with more than the bytes hold (C wrote
    /// into the storage): it then decodes as `MCX_E_DECODE_TRUNCATED`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The message, decoded from (and borrowing) the encoding.
    pub(crate) fn message(&self) -> Result<Message<'_>, Status> {
        Ok(wire::decode_message(self.as_bytes())?)
    }
}

// Size and alignment: asserted right below, and by `abi` wherever it casts a pointer.
impl Storage for mcx_message_t {
    type Object = Encoded;
    const MAGIC: u32 = 0x4D43_584D; // "MCXM"
}
const _: () = assert!(
    size_of::<Stored<Encoded>>() <= size_of::<mcx_message_t>(),
    "MCX_MESSAGE_SIZE is too small for this build: raise it (see the Storage sizes section of docs/c-api.md) and regenerate the header"
);
// Exact, up to the padding to `mcx_message_t`'s alignment: the header states no more than the
// storage needs.
const _: () = assert!(
    size_of::<Stored<Encoded>>().next_multiple_of(align_of::<mcx_message_t>()) == MCX_MESSAGE_SIZE,
    "MCX_MESSAGE_SIZE is larger than this build needs: lower it (see the Storage sizes section of docs/c-api.md) and regenerate the header"
);
const _: () = assert!(align_of::<Stored<Encoded>>() <= align_of::<mcx_message_t>());
const _: () = assert!(
    wire::MAX_ENCODED_LEN <= MCX_MAX_ENCODED_LEN,
    "MCX_MAX_ENCODED_LEN is too small for this build's identifier capacities"
);
const _: () = assert!(
    wire::MAX_FRAME_LEN <= MCX_MAX_FRAME_LEN,
    "MCX_MAX_FRAME_LEN is too small for this build's identifier capacities"
);

// The selector types below are C enums. Rust writes them (out-pointers) as the enum; C passes
// them in as plain integers (the `mcx_*` aliases of `u32`, named as the enum in the header),
// checked at run time: an invalid enum value is never made from C input.

/// Message type (`*out` of `mcx_message_type`). C type `mcx_message_kind` (the name
/// `mcx_message_type` is the function's).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxMessageKind {
    /// Private call request (steps 1 and 5 of §10.16.5.3).
    MCX_MESSAGE_PRIVATE_CALL_REQUEST = 1,
    /// Private call redirection (Table 10.16.y.2-1, step 3).
    MCX_MESSAGE_PRIVATE_CALL_REDIRECTION = 2,
    /// Migration update (clause 10.6.3).
    MCX_MESSAGE_MIGRATION_UPDATE = 3,
}
pub use McxMessageKind::*;

/// Service kind: the kind of private communication. C type `mcx_service_kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxServiceKind {
    /// MCPTT private call.
    MCX_SERVICE_MCPTT_PRIVATE_CALL = 0,
    /// MCVideo private call.
    MCX_SERVICE_MCVIDEO_PRIVATE_CALL = 1,
    /// One-to-one MCData communication.
    MCX_SERVICE_MCDATA_ONE_TO_ONE = 2,
}
pub use McxServiceKind::*;
/// A service kind argument from C: an `McxServiceKind` value, checked at run time
/// (`MCX_E_INVALID_ARGUMENT` otherwise). The header names it `mcx_service_kind`.
pub type mcx_service_kind = u32;

/// Redirection reason. C type `mcx_reason`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxReason {
    /// The target migrated to a partner MC system.
    MCX_REASON_TARGET_MIGRATED = 0,
    /// The target is no longer served by this partner MC system (consecutive migration: the
    /// call is sent to the target's primary MC system).
    MCX_REASON_TARGET_NO_LONGER_SERVED = 1,
    /// As an argument of `mcx_message_init_redirection` only: the redirection carries no reason
    /// (the information element is optional in Table 10.16.y.2-1). Outside the range of
    /// reasons, so that none is ever taken for it; `mcx_message_reason` never writes it.
    MCX_REASON_NONE = 0xFF,
}
pub use McxReason::*;
/// A redirection reason argument from C: an `McxReason` value, checked at run time
/// (`MCX_E_INVALID_ARGUMENT` otherwise). The header names it `mcx_reason`.
pub type mcx_reason = u32;

/// Migration update kind (`*out` of `mcx_message_update_kind`). C type `mcx_update_kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxUpdateKind {
    /// A user of this (primary) system migrated to a partner system.
    MCX_UPDATE_MIGRATED = 1,
    /// A migrated user moved on to another partner system.
    MCX_UPDATE_MOVED_ON = 2,
    /// A migrated user returned to this primary system.
    MCX_UPDATE_RETURNED = 3,
    /// A user from another primary system now visits this (partner) system.
    MCX_UPDATE_VISITOR_REGISTERED = 4,
    /// A visiting user left this partner system.
    MCX_UPDATE_VISITOR_DEPARTED = 5,
}
pub use McxUpdateKind::*;

/// Field selector: a string field of a message (`mcx_message_field`). C type `mcx_field`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxField {
    /// The calling party's MC service ID (request, redirection).
    MCX_FIELD_CALLING_PARTY = 1,
    /// The called MC service ID (request).
    MCX_FIELD_TARGET = 2,
    /// The target's MC service ID in its primary MC system (redirection).
    MCX_FIELD_TARGET_PRIMARY = 3,
    /// The target's MC service ID assigned by the partner MC system (redirection).
    MCX_FIELD_TARGET_MIGRATED = 4,
    /// The KMS URI of the security domain information (request, redirection, and the updates
    /// that carry one); `MCX_E_ABSENT` when not present.
    MCX_FIELD_KMS_URI = 5,
    /// The user's primary MC service ID (every migration update but "departed").
    MCX_FIELD_PRIMARY_ID = 6,
    /// The partner MC system identity (updates "migrated", "moved on").
    MCX_FIELD_PARTNER_SYSTEM = 7,
    /// The MC service ID assigned by the partner system (updates "migrated", "moved on").
    MCX_FIELD_PARTNER_ID = 8,
    /// The ID assigned here to a visiting user (updates "visitor registered", "visitor
    /// departed").
    MCX_FIELD_LOCAL_ID = 9,
    /// The visiting user's primary MC system identity (update "visitor registered").
    MCX_FIELD_PRIMARY_SYSTEM = 10,
}
pub use McxField::*;
/// A field selector argument from C: an `McxField` value, checked at run time
/// (`MCX_E_INVALID_ARGUMENT` otherwise). The header names it `mcx_field`.
pub type mcx_field = u32;

abi::enum_from_c!(McxReason: MCX_REASON_TARGET_MIGRATED, MCX_REASON_TARGET_NO_LONGER_SERVED, MCX_REASON_NONE);
abi::enum_from_c!(McxField: MCX_FIELD_CALLING_PARTY, MCX_FIELD_TARGET, MCX_FIELD_TARGET_PRIMARY,
    MCX_FIELD_TARGET_MIGRATED, MCX_FIELD_KMS_URI, MCX_FIELD_PRIMARY_ID, MCX_FIELD_PARTNER_SYSTEM,
    MCX_FIELD_PARTNER_ID, MCX_FIELD_LOCAL_ID, MCX_FIELD_PRIMARY_SYSTEM);

// The service kinds are the core's, whose `ServiceKind::from_u8` checks a C argument.
const _: () = assert!(MCX_SERVICE_MCPTT_PRIVATE_CALL as u8 == ServiceKind::McpttPrivateCall as u8);
const _: () =
    assert!(MCX_SERVICE_MCVIDEO_PRIVATE_CALL as u8 == ServiceKind::McvideoPrivateCall as u8);
const _: () = assert!(MCX_SERVICE_MCDATA_ONE_TO_ONE as u8 == ServiceKind::McdataOneToOne as u8);

pub(crate) fn service_kind(value: mcx_service_kind) -> Result<ServiceKind, Status> {
    u8::try_from(value)
        .ok()
        .and_then(ServiceKind::from_u8)
        .ok_or(Status::of(MCX_E_INVALID_ARGUMENT))
}

/// An optional C string validated as a KMS URI: the security domain information, borrowed.
fn sdi<'a>(kms_uri: *const c_char) -> Result<Option<SecurityDomainInfo<'a>>, Status> {
    match c_str_opt(kms_uri)? {
        Some(kms_uri) => Ok(Some(SecurityDomainInfo {
            kms_uri: KmsUriRef::from_bytes(kms_uri).map_err(abi::id_error)?,
        })),
        None => Ok(None),
    }
}

/// A C string validated as an MC service ID, borrowed, not copied.
fn id<'a>(p: *const c_char) -> Result<McServiceIdRef<'a>, Status> {
    McServiceIdRef::from_bytes(c_str(p)?).map_err(abi::id_error)
}

/// A C string validated as an MC system identity, borrowed, not copied.
fn system<'a>(p: *const c_char) -> Result<McSystemIdRef<'a>, Status> {
    McSystemIdRef::from_bytes(c_str(p)?).map_err(abi::id_error)
}

/// The message in `msg`, decoded from its storage and borrowing it; `abi::object`'s errors for
/// bad storage.
pub(crate) fn message_of<'a>(msg: *const mcx_message_t) -> Result<Message<'a>, Status> {
    abi::object(msg)?.message()
}

/// The private call request in `msg`: `MCX_E_WRONG_MESSAGE_TYPE` for another message, and
/// `abi::object`'s errors for bad storage.
pub(crate) fn request_of<'a>(msg: *const mcx_message_t) -> Result<PrivateCallRequest<'a>, Status> {
    // Copied out of message_of's `Result` once, not moved out of it first.
    match &message_of(msg) {
        Ok(Message::Request(request)) => Ok(*request),
        Ok(_) => Err(Status::of(MCX_E_WRONG_MESSAGE_TYPE)),
        Err(e) => Err(*e),
    }
}

/// Encodes `message` straight into `msg`'s storage, whatever it held. The encoder checks the
/// message first and writes nothing on `Err` (it cannot run out of room: the storage holds the
/// longest encoding), so a failed call leaves `msg` unchanged; no copy of the encoding is
/// staged on the stack.
#[inline(never)]
pub(crate) fn write_message(msg: *mut mcx_message_t, message: &Message<'_>) -> Result<(), Status> {
    abi::init_encoded(msg, |bytes| Ok(wire::encode_message(message, bytes)?))
}

/// The body of `mcx_message_init_request` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_request(
    msg: *mut mcx_message_t,
    service_kind: mcx_service_kind,
    calling_party: *const c_char,
    target: *const c_char,
    e2ee_required: bool,
    kms_uri: *const c_char,
) -> mcx_status {
    run(|| {
        abi::check_writable(msg)?;
        let request = PrivateCallRequest {
            service_kind: self::service_kind(service_kind)?,
            calling_party: id(calling_party)?,
            target: id(target)?,
            e2ee_required,
            security_domain_info: sdi(kms_uri)?,
        };
        write_message(msg, &Message::Request(request))
    })
}

/// The redirection reason argument: `MCX_REASON_NONE` or an `MCX_REASON_*` value.
fn reason(value: mcx_reason) -> Result<Option<RedirectionReason>, Status> {
    match McxReason::from_c(value) {
        Some(MCX_REASON_NONE) => Ok(None),
        Some(MCX_REASON_TARGET_MIGRATED) => Ok(Some(RedirectionReason::TargetMigrated)),
        Some(MCX_REASON_TARGET_NO_LONGER_SERVED) => {
            Ok(Some(RedirectionReason::TargetNoLongerServed))
        }
        None => Err(Status::of(MCX_E_INVALID_ARGUMENT)),
    }
}

/// The body of `mcx_message_init_redirection` (exported, and documented, in `abi::exports`).
// The parameters of the C function (`mcx_message_init_redirection`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn message_init_redirection(
    msg: *mut mcx_message_t,
    service_kind: mcx_service_kind,
    calling_party: *const c_char,
    target_primary: *const c_char,
    target_migrated: *const c_char,
    e2ee_required: bool,
    kms_uri: *const c_char,
    reason: mcx_reason,
) -> mcx_status {
    run(|| {
        abi::check_writable(msg)?;
        let redirection = PrivateCallRedirection {
            service_kind: self::service_kind(service_kind)?,
            calling_party: id(calling_party)?,
            target_primary: id(target_primary)?,
            target_migrated: id(target_migrated)?,
            e2ee_required,
            security_domain_info: sdi(kms_uri)?,
            reason: self::reason(reason)?,
        };
        // The encoder refuses a redirection that breaks the NOTE under Table 10.16.y.2-1
        // (`MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO`) before it writes anything.
        write_message(msg, &Message::Redirection(redirection))
    })
}

/// The five update builders in one: the first ID, then the other arguments of `kind` in
/// order (the others are not read), checked as the C function's arguments are, then encoded.
/// One copy of the argument checks and the encoding call for all five, not one each.
#[inline(never)]
fn init_update(
    msg: *mut mcx_message_t,
    kind: McxUpdateKind,
    first: *const c_char,
    second: *const c_char,
    third: *const c_char,
    kms_uri: *const c_char,
) -> mcx_status {
    run(|| {
        abi::check_writable(msg)?;
        let first = id(first)?;
        let update = match kind {
            MCX_UPDATE_MIGRATED | MCX_UPDATE_MOVED_ON => {
                let migration = Migration {
                    primary_id: first,
                    partner_system: system(second)?,
                    partner_id: id(third)?,
                    security_domain_info: sdi(kms_uri)?,
                };
                if kind == MCX_UPDATE_MOVED_ON {
                    MigrationUpdate::MovedOn(migration)
                } else {
                    MigrationUpdate::Migrated(migration)
                }
            }
            MCX_UPDATE_RETURNED => MigrationUpdate::Returned { primary_id: first },
            MCX_UPDATE_VISITOR_REGISTERED => MigrationUpdate::VisitorRegistered {
                local_id: first,
                primary_id: id(second)?,
                primary_system: system(third)?,
                primary_security_domain_info: sdi(kms_uri)?,
            },
            MCX_UPDATE_VISITOR_DEPARTED => MigrationUpdate::VisitorDeparted { local_id: first },
        };
        write_message(msg, &Message::MigrationUpdate(update))
    })
}

/// The body of `mcx_message_init_migrated` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_migrated(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
    partner_system: *const c_char,
    partner_id: *const c_char,
    kms_uri: *const c_char,
) -> mcx_status {
    init_update(
        msg,
        MCX_UPDATE_MIGRATED,
        primary_id,
        partner_system,
        partner_id,
        kms_uri,
    )
}

/// The body of `mcx_message_init_moved_on` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_moved_on(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
    partner_system: *const c_char,
    partner_id: *const c_char,
    kms_uri: *const c_char,
) -> mcx_status {
    init_update(
        msg,
        MCX_UPDATE_MOVED_ON,
        primary_id,
        partner_system,
        partner_id,
        kms_uri,
    )
}

/// The body of `mcx_message_init_returned` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_returned(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
) -> mcx_status {
    let none = core::ptr::null();
    init_update(msg, MCX_UPDATE_RETURNED, primary_id, none, none, none)
}

/// The body of `mcx_message_init_visitor_registered` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_visitor_registered(
    msg: *mut mcx_message_t,
    local_id: *const c_char,
    primary_id: *const c_char,
    primary_system: *const c_char,
    kms_uri: *const c_char,
) -> mcx_status {
    init_update(
        msg,
        MCX_UPDATE_VISITOR_REGISTERED,
        local_id,
        primary_id,
        primary_system,
        kms_uri,
    )
}

/// The body of `mcx_message_init_visitor_departed` (exported, and documented, in `abi::exports`).
pub(crate) fn message_init_visitor_departed(
    msg: *mut mcx_message_t,
    local_id: *const c_char,
) -> mcx_status {
    let none = core::ptr::null();
    init_update(msg, MCX_UPDATE_VISITOR_DEPARTED, local_id, none, none, none)
}

/// The two decoders in one, not inlined: `len` bytes at `p` decoded as a message, or as one
/// frame decoded in place when `frame` (then `p` is the caller's writable frame), into `msg`.
#[inline(never)]
fn decode_into(msg: *mut mcx_message_t, p: *mut u8, len: usize, frame: bool) -> mcx_status {
    run(|| {
        abi::check_writable(msg)?;
        // Fully validated by the decoder first, then encoded again into the storage: the same
        // bytes, since the decoder accepts the canonical encoding only, written by the code
        // the builders use rather than a second storage writer.
        let decoded = if frame {
            wire::decode_frame(abi::buffer(p, len)?)
        } else {
            wire::decode_message(abi::bytes(p.cast_const(), len)?)
        };
        // Borrowed where the decoder put it, not moved out of its `Result` first.
        match &decoded {
            Ok(message) => write_message(msg, message),
            Err(e) => Err((*e).into()),
        }
    })
}

/// The body of `mcx_message_decode` (exported, and documented, in `abi::exports`).
pub(crate) fn message_decode(msg: *mut mcx_message_t, bytes: *const u8, len: usize) -> mcx_status {
    // Only read: `decode_into` makes no writable borrow of the bytes when `frame` is false.
    decode_into(msg, bytes.cast_mut(), len, false)
}

/// The body of `mcx_message_decode_frame` (exported, and documented, in `abi::exports`).
pub(crate) fn message_decode_frame(
    msg: *mut mcx_message_t,
    frame: *mut u8,
    len: usize,
) -> mcx_status {
    decode_into(msg, frame, len, true)
}

/// Encodes `message` (as one frame if `frame`) into a caller buffer, reporting the length or
/// the needed length. Not generic over an encoder closure, and not inlined: one copy for
/// `mcx_message_encode`, `mcx_message_encode_frame` and `mcx_call_request`.
#[inline(never)]
pub(crate) fn encode_with(
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
    message: &Message<'_>,
    frame: bool,
) -> Result<(), Status> {
    let out_len = abi::out(out_len)?;
    let buf = abi::buffer(buf, cap)?;
    let encoded = if frame {
        wire::encode_message_frame(message, buf)
    } else {
        wire::encode_message(message, buf)
    };
    match encoded {
        Ok(len) => {
            out_len.set(len);
            Ok(())
        }
        Err(EncodeError::BufferTooSmall { needed }) => {
            out_len.set(needed);
            Err(Status::of(MCX_E_BUFFER_TOO_SMALL))
        }
        Err(e) => Err(e.into()),
    }
}

/// The stored message in `msg` encoded (as one frame if `frame`) into a caller buffer: the
/// body of `mcx_message_encode` and `mcx_message_encode_frame`, one copy for both.
#[inline(never)]
fn encode_stored(
    msg: *const mcx_message_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
    frame: bool,
) -> mcx_status {
    run(|| {
        // Decoded, so that only a valid message leaves, even from storage C wrote into, and
        // encoded again: the stored bytes, by the one encoder of both functions.
        // Borrowed where the decoder put it, not moved out of its `Result` first.
        match &message_of(msg) {
            Ok(message) => encode_with(buf, cap, out_len, message, frame),
            Err(e) => Err(*e),
        }
    })
}

/// The body of `mcx_message_encode` (exported, and documented, in `abi::exports`).
pub(crate) fn message_encode(
    msg: *const mcx_message_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> mcx_status {
    encode_stored(msg, buf, cap, out_len, false)
}

/// The body of `mcx_message_encode_frame` (exported, and documented, in `abi::exports`).
pub(crate) fn message_encode_frame(
    msg: *const mcx_message_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> mcx_status {
    encode_stored(msg, buf, cap, out_len, true)
}

/// Which enum-valued property [`message_info`] reads.
#[derive(Clone, Copy)]
enum Info {
    Type,
    ServiceKind,
    Reason,
    UpdateKind,
}

/// The four enum getters in one: checks the out-pointer, then the message, then writes the
/// property's C enum value as its `u32` (all four are `repr(u32)`: the same bytes and
/// alignment as the enum). One copy of the checks and the decoding call, not one per getter.
#[inline(never)]
fn message_info(msg: *const mcx_message_t, out: *mut u32, info: Info) -> mcx_status {
    run(|| {
        let out = abi::out(out)?;
        let message = message_of(msg)?;
        let wrong = Status::of(MCX_E_WRONG_MESSAGE_TYPE);
        let value = match (info, message) {
            (Info::Type, Message::Request(_)) => MCX_MESSAGE_PRIVATE_CALL_REQUEST as u32,
            (Info::Type, Message::Redirection(_)) => MCX_MESSAGE_PRIVATE_CALL_REDIRECTION as u32,
            (Info::Type, Message::MigrationUpdate(_)) => MCX_MESSAGE_MIGRATION_UPDATE as u32,
            (Info::ServiceKind, Message::Request(PrivateCallRequest { service_kind, .. }))
            | (
                Info::ServiceKind,
                Message::Redirection(PrivateCallRedirection { service_kind, .. }),
            ) => match service_kind {
                ServiceKind::McpttPrivateCall => MCX_SERVICE_MCPTT_PRIVATE_CALL as u32,
                ServiceKind::McvideoPrivateCall => MCX_SERVICE_MCVIDEO_PRIVATE_CALL as u32,
                ServiceKind::McdataOneToOne => MCX_SERVICE_MCDATA_ONE_TO_ONE as u32,
            },
            (Info::Reason, Message::Redirection(m)) => {
                match m.reason.ok_or(Status::of(MCX_E_ABSENT))? {
                    RedirectionReason::TargetMigrated => MCX_REASON_TARGET_MIGRATED as u32,
                    RedirectionReason::TargetNoLongerServed => {
                        MCX_REASON_TARGET_NO_LONGER_SERVED as u32
                    }
                }
            }
            (Info::UpdateKind, Message::MigrationUpdate(update)) => match update {
                MigrationUpdate::Migrated(_) => MCX_UPDATE_MIGRATED as u32,
                MigrationUpdate::MovedOn(_) => MCX_UPDATE_MOVED_ON as u32,
                MigrationUpdate::Returned { .. } => MCX_UPDATE_RETURNED as u32,
                MigrationUpdate::VisitorRegistered { .. } => MCX_UPDATE_VISITOR_REGISTERED as u32,
                MigrationUpdate::VisitorDeparted { .. } => MCX_UPDATE_VISITOR_DEPARTED as u32,
            },
            _ => return Err(wrong),
        };
        out.set(value);
        Ok(())
    })
}

/// The body of `mcx_message_type` (exported, and documented, in `abi::exports`).
pub(crate) fn message_type(msg: *const mcx_message_t, out: *mut McxMessageKind) -> mcx_status {
    message_info(msg, out.cast(), Info::Type)
}

/// The body of `mcx_message_service_kind` (exported, and documented, in `abi::exports`).
pub(crate) fn message_service_kind(
    msg: *const mcx_message_t,
    out: *mut McxServiceKind,
) -> mcx_status {
    message_info(msg, out.cast(), Info::ServiceKind)
}

/// The body of `mcx_message_e2ee_required` (exported, and documented, in `abi::exports`).
pub(crate) fn message_e2ee_required(msg: *const mcx_message_t, out: *mut bool) -> mcx_status {
    run(|| {
        let out = abi::out(out)?;
        let e2ee = match message_of(msg)? {
            Message::Request(m) => m.e2ee_required,
            Message::Redirection(m) => m.e2ee_required,
            Message::MigrationUpdate(_) => return Err(Status::of(MCX_E_WRONG_MESSAGE_TYPE)),
        };
        out.set(e2ee);
        Ok(())
    })
}

/// The body of `mcx_message_reason` (exported, and documented, in `abi::exports`).
pub(crate) fn message_reason(msg: *const mcx_message_t, out: *mut McxReason) -> mcx_status {
    message_info(msg, out.cast(), Info::Reason)
}

/// The body of `mcx_message_update_kind` (exported, and documented, in `abi::exports`).
pub(crate) fn message_update_kind(
    msg: *const mcx_message_t,
    out: *mut McxUpdateKind,
) -> mcx_status {
    message_info(msg, out.cast(), Info::UpdateKind)
}

fn kms<'a>(sdi: &Option<SecurityDomainInfo<'a>>) -> Result<&'a [u8], Status> {
    sdi.as_ref()
        .map(|s| s.kms_uri.as_bytes())
        .ok_or(Status::of(MCX_E_ABSENT))
}

/// The string field `field` of `message`.
fn field<'a>(message: &Message<'a>, field: mcx_field) -> Result<&'a [u8], Status> {
    let field = McxField::from_c(field).ok_or(Status::of(MCX_E_INVALID_ARGUMENT))?;
    let wrong = Status::of(MCX_E_WRONG_MESSAGE_TYPE);
    match (message, field) {
        (Message::Request(m), MCX_FIELD_CALLING_PARTY) => Ok(m.calling_party.as_bytes()),
        (Message::Request(m), MCX_FIELD_TARGET) => Ok(m.target.as_bytes()),
        (Message::Request(m), MCX_FIELD_KMS_URI) => kms(&m.security_domain_info),
        (Message::Redirection(m), MCX_FIELD_CALLING_PARTY) => Ok(m.calling_party.as_bytes()),
        (Message::Redirection(m), MCX_FIELD_TARGET_PRIMARY) => Ok(m.target_primary.as_bytes()),
        (Message::Redirection(m), MCX_FIELD_TARGET_MIGRATED) => Ok(m.target_migrated.as_bytes()),
        (Message::Redirection(m), MCX_FIELD_KMS_URI) => kms(&m.security_domain_info),
        (Message::MigrationUpdate(u), f) => match (u, f) {
            (MigrationUpdate::Migrated(m) | MigrationUpdate::MovedOn(m), f) => match f {
                MCX_FIELD_PRIMARY_ID => Ok(m.primary_id.as_bytes()),
                MCX_FIELD_PARTNER_SYSTEM => Ok(m.partner_system.as_bytes()),
                MCX_FIELD_PARTNER_ID => Ok(m.partner_id.as_bytes()),
                MCX_FIELD_KMS_URI => kms(&m.security_domain_info),
                _ => Err(wrong),
            },
            (MigrationUpdate::Returned { primary_id }, MCX_FIELD_PRIMARY_ID) => {
                Ok(primary_id.as_bytes())
            }
            (
                MigrationUpdate::VisitorRegistered {
                    local_id,
                    primary_id,
                    primary_system,
                    primary_security_domain_info,
                },
                f,
            ) => match f {
                MCX_FIELD_LOCAL_ID => Ok(local_id.as_bytes()),
                MCX_FIELD_PRIMARY_ID => Ok(primary_id.as_bytes()),
                MCX_FIELD_PRIMARY_SYSTEM => Ok(primary_system.as_bytes()),
                MCX_FIELD_KMS_URI => kms(primary_security_domain_info),
                _ => Err(wrong),
            },
            (MigrationUpdate::VisitorDeparted { local_id }, MCX_FIELD_LOCAL_ID) => {
                Ok(local_id.as_bytes())
            }
            _ => Err(wrong),
        },
        _ => Err(wrong),
    }
}

/// The body of `mcx_message_field` (exported, and documented, in `abi::exports`).
pub(crate) fn message_field(
    msg: *const mcx_message_t,
    field: mcx_field,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> mcx_status {
    run(|| {
        let out_len = abi::out(out_len)?;
        let buf = abi::buffer(buf.cast(), cap)?;
        let text = match &message_of(msg) {
            Ok(message) => self::field(message, field)?,
            Err(e) => return Err(*e),
        };
        copy_c_string(text, buf, &out_len)
    })
}

/// Copies `text` and a NUL into `buf`; on a short buffer writes the needed size instead.
pub(crate) fn copy_c_string(
    text: &[u8],
    buf: &mut [u8],
    out_len: &abi::Out<usize>,
) -> Result<(), Status> {
    let needed = text.len().saturating_add(1);
    match buf
        .get_mut(..needed)
        .and_then(|dest| dest.split_at_mut_checked(text.len()))
    {
        Some((body, nul)) => {
            body.copy_from_slice(text);
            // One byte (none only if `needed` saturated, which no text reaches).
            if let Some(nul) = nul.first_mut() {
                *nul = 0;
            }
            out_len.set(text.len());
            Ok(())
        }
        None => {
            out_len.set(needed);
            Err(Status::of(MCX_E_BUFFER_TOO_SMALL))
        }
    }
}
