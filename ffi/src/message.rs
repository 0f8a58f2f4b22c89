//! Messages from C: build a private call request or a migration update from C strings, decode
//! any message from bytes, read its fields, encode it (§10.16.5.2 information flows, Table
//! 10.16.y.2-1, clause 10.6.3).

use core::ffi::c_char;
use core::mem::{align_of, size_of};

use mcx_migrate::config;
use mcx_migrate::wire::{self, MessageType};
use mcx_migrate::{
    EncodeError, KmsUriRef, McServiceIdRef, McSystemIdRef, Message, MessageView, MigrationUpdate,
    MigrationUpdateView, PrivateCallRedirectionView, PrivateCallRequest, PrivateCallRequestView,
    RedirectionReason, SecurityDomainInfo, SecurityDomainInfoView, ServiceKind,
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

/// Size in bytes of `mcx_message_t` (for the default build-time identifier capacities).
pub const MCX_MESSAGE_SIZE: usize = 696;

/// Longest encoding of any message in bytes: a buffer this long always suffices for
/// `mcx_message_encode`, `mcx_call_request` and `mcx_server_decide`'s redirection.
pub const MCX_MAX_ENCODED_LEN: usize = 649;

/// Longest frame of any message (COBS of the message and its CRC-32C, then the delimiter): a
/// buffer this long always suffices for `mcx_message_encode_frame`.
pub const MCX_MAX_FRAME_LEN: usize = 657;

/// Storage for one message: a private call request, a private call redirection or a migration
/// update. Declare it anywhere (static, stack); fill it with `mcx_message_decode` or an
/// `mcx_message_init_*` builder; never copy bytes into it by hand.
#[repr(C)]
pub union mcx_message_t {
    _opaque: [u8; MCX_MESSAGE_SIZE],
    _align: u64,
}

// SAFETY: size and alignment are asserted right below.
unsafe impl Storage for mcx_message_t {
    type Object = Message;
    const MAGIC: u32 = 0x4D43_584D; // "MCXM"
}
const _: () = assert!(
    size_of::<Stored<Message>>() <= size_of::<mcx_message_t>(),
    "MCX_MESSAGE_SIZE is too small for this build: raise it (see the Storage sizes section of docs/c-api.md) and regenerate the header"
);
const _: () = assert!(align_of::<Stored<Message>>() <= align_of::<mcx_message_t>());
const _: () = assert!(
    wire::MAX_ENCODED_LEN <= MCX_MAX_ENCODED_LEN,
    "MCX_MAX_ENCODED_LEN is too small for this build's identifier capacities"
);
const _: () = assert!(
    wire::MAX_FRAME_LEN <= MCX_MAX_FRAME_LEN,
    "MCX_MAX_FRAME_LEN is too small for this build's identifier capacities"
);

/// Message type: private call request (steps 1 and 5 of §10.16.5.3).
pub const MCX_MESSAGE_PRIVATE_CALL_REQUEST: u32 = 1;
/// Message type: private call redirection (Table 10.16.y.2-1, step 3).
pub const MCX_MESSAGE_PRIVATE_CALL_REDIRECTION: u32 = 2;
/// Message type: migration update (clause 10.6.3).
pub const MCX_MESSAGE_MIGRATION_UPDATE: u32 = 3;

/// Service kind: MCPTT private call.
pub const MCX_SERVICE_MCPTT_PRIVATE_CALL: u32 = 0;
/// Service kind: MCVideo private call.
pub const MCX_SERVICE_MCVIDEO_PRIVATE_CALL: u32 = 1;
/// Service kind: one-to-one MCData communication.
pub const MCX_SERVICE_MCDATA_ONE_TO_ONE: u32 = 2;

/// Redirection reason: the target migrated to a partner MC system.
pub const MCX_REASON_TARGET_MIGRATED: u32 = 0;
/// Redirection reason: the target is no longer served by this partner MC system (consecutive
/// migration: the call is sent to the target's primary MC system).
pub const MCX_REASON_TARGET_NO_LONGER_SERVED: u32 = 1;
/// Redirection reason, as an argument of `mcx_message_init_redirection` only: the redirection
/// carries no reason (the information element is optional in Table 10.16.y.2-1). Outside the
/// range of reasons, so that none is ever taken for it.
pub const MCX_REASON_NONE: u32 = 0xFF;

/// Migration update: a user of this (primary) system migrated to a partner system.
pub const MCX_UPDATE_MIGRATED: u32 = 1;
/// Migration update: a migrated user moved on to another partner system.
pub const MCX_UPDATE_MOVED_ON: u32 = 2;
/// Migration update: a migrated user returned to this primary system.
pub const MCX_UPDATE_RETURNED: u32 = 3;
/// Migration update: a user from another primary system now visits this (partner) system.
pub const MCX_UPDATE_VISITOR_REGISTERED: u32 = 4;
/// Migration update: a visiting user left this partner system.
pub const MCX_UPDATE_VISITOR_DEPARTED: u32 = 5;

/// Field selector: the calling party's MC service ID (request, redirection).
pub const MCX_FIELD_CALLING_PARTY: u32 = 1;
/// Field selector: the called MC service ID (request).
pub const MCX_FIELD_TARGET: u32 = 2;
/// Field selector: the target's MC service ID in its primary MC system (redirection).
pub const MCX_FIELD_TARGET_PRIMARY: u32 = 3;
/// Field selector: the target's MC service ID assigned by the partner MC system (redirection).
pub const MCX_FIELD_TARGET_MIGRATED: u32 = 4;
/// Field selector: the KMS URI of the security domain information (request, redirection, and
/// the updates that carry one); `MCX_E_ABSENT` when not present.
pub const MCX_FIELD_KMS_URI: u32 = 5;
/// Field selector: the user's primary MC service ID (every migration update but "departed").
pub const MCX_FIELD_PRIMARY_ID: u32 = 6;
/// Field selector: the partner MC system identity (updates "migrated", "moved on").
pub const MCX_FIELD_PARTNER_SYSTEM: u32 = 7;
/// Field selector: the MC service ID assigned by the partner system (updates "migrated",
/// "moved on").
pub const MCX_FIELD_PARTNER_ID: u32 = 8;
/// Field selector: the ID assigned here to a visiting user (updates "visitor registered",
/// "visitor departed").
pub const MCX_FIELD_LOCAL_ID: u32 = 9;
/// Field selector: the visiting user's primary MC system identity (update "visitor registered").
pub const MCX_FIELD_PRIMARY_SYSTEM: u32 = 10;

pub(crate) fn service_kind(value: u32) -> Result<ServiceKind, Status> {
    u8::try_from(value)
        .ok()
        .and_then(ServiceKind::from_u8)
        .ok_or(Status(MCX_E_INVALID_ARGUMENT))
}

fn sdi<'a>(kms_uri: *const c_char) -> Result<Option<SecurityDomainInfoView<'a>>, Status> {
    match c_str_opt(kms_uri)? {
        Some(kms_uri) => Ok(Some(SecurityDomainInfoView {
            kms_uri: KmsUriRef::new(kms_uri)?,
        })),
        None => Ok(None),
    }
}

/// A C string validated as an MC service ID, borrowed, not copied.
fn id<'a>(p: *const c_char) -> Result<McServiceIdRef<'a>, Status> {
    Ok(McServiceIdRef::new(c_str(p)?)?)
}

/// A C string validated as an MC system identity, borrowed, not copied.
fn system<'a>(p: *const c_char) -> Result<McSystemIdRef<'a>, Status> {
    Ok(McSystemIdRef::new(c_str(p)?)?)
}

/// The private call request in `msg`: `MCX_E_WRONG_MESSAGE_TYPE` for another message, and
/// `abi::object`'s errors for bad storage.
pub(crate) fn request_of<'a>(msg: *const mcx_message_t) -> Result<&'a PrivateCallRequest, Status> {
    match abi::object(msg)? {
        Message::Request(request) => Ok(request),
        _ => Err(Status(MCX_E_WRONG_MESSAGE_TYPE)),
    }
}

/// Writes a message view (valid by type) into `msg`'s storage in place: nothing fails once the
/// storage is touched, so a failed call leaves `msg` unchanged. No owned message is staged on
/// the stack.
#[inline(never)]
pub(crate) fn write_message(msg: *mut mcx_message_t, view: &MessageView<'_>) -> Result<(), Status> {
    view.copy_into(abi::init_placeholder(msg, || Message::PLACEHOLDER)?);
    Ok(())
}

/// Builds a private call request (step 1 of §10.16.5.3) into `msg`.
///
/// `kms_uri` may be NULL (no security domain information). On failure `msg` is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_request(
    msg: *mut mcx_message_t,
    service_kind: u32,
    calling_party: *const c_char,
    target: *const c_char,
    e2ee_required: bool,
    kms_uri: *const c_char,
) -> i32 {
    run(|| {
        abi::check_writable(msg)?;
        let request = PrivateCallRequestView {
            service_kind: self::service_kind(service_kind)?,
            calling_party: id(calling_party)?,
            target: id(target)?,
            e2ee_required,
            security_domain_info: sdi(kms_uri)?,
        };
        write_message(msg, &MessageView::Request(request))
    })
}

/// The redirection reason argument: `MCX_REASON_NONE` or an `MCX_REASON_*` value.
fn reason(value: u32) -> Result<Option<RedirectionReason>, Status> {
    match value {
        MCX_REASON_NONE => Ok(None),
        MCX_REASON_TARGET_MIGRATED => Ok(Some(RedirectionReason::TargetMigrated)),
        MCX_REASON_TARGET_NO_LONGER_SERVED => Ok(Some(RedirectionReason::TargetNoLongerServed)),
        _ => Err(Status(MCX_E_INVALID_ARGUMENT)),
    }
}

/// Builds a private call redirection (Table 10.16.y.2-1, step 3 of §10.16.5.3) into `msg`: the
/// call from `calling_party` to `target_primary` (the target's MC service ID in its primary MC
/// system) is to be sent to `target_migrated` (the ID the partner MC system assigned).
///
/// `kms_uri` may be NULL (no security domain information), except with `e2ee_required`: the
/// NOTE under Table 10.16.y.2-1 makes it mandatory then, and the builder refuses the
/// redirection with `MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO`, as the encoder would.
/// `reason` is an `MCX_REASON_*` value, or `MCX_REASON_NONE` for a redirection without one.
/// On failure `msg` is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_redirection(
    msg: *mut mcx_message_t,
    service_kind: u32,
    calling_party: *const c_char,
    target_primary: *const c_char,
    target_migrated: *const c_char,
    e2ee_required: bool,
    kms_uri: *const c_char,
    reason: u32,
) -> i32 {
    run(|| {
        abi::check_writable(msg)?;
        let redirection = PrivateCallRedirectionView {
            service_kind: self::service_kind(service_kind)?,
            calling_party: id(calling_party)?,
            target_primary: id(target_primary)?,
            target_migrated: id(target_migrated)?,
            e2ee_required,
            security_domain_info: sdi(kms_uri)?,
            reason: self::reason(reason)?,
        };
        if redirection.validate().is_err() {
            return Err(EncodeError::MissingSecurityDomainInfo.into());
        }
        write_message(msg, &MessageView::Redirection(redirection))
    })
}

fn init_update<'a>(
    msg: *mut mcx_message_t,
    update: impl FnOnce() -> Result<MigrationUpdateView<'a>, Status>,
) -> i32 {
    run(|| {
        abi::check_writable(msg)?;
        write_message(msg, &MessageView::MigrationUpdate(update()?))
    })
}

/// Builds the migration update "user `primary_id` of this system migrated to `partner_system`,
/// which assigned it `partner_id`" (clause 10.6.3.3). `kms_uri` (partner's security domain) may
/// be NULL. On failure `msg` is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_migrated(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
    partner_system: *const c_char,
    partner_id: *const c_char,
    kms_uri: *const c_char,
) -> i32 {
    init_update(msg, || {
        Ok(MigrationUpdateView::Migrated {
            primary_id: id(primary_id)?,
            partner_system: system(partner_system)?,
            partner_id: id(partner_id)?,
            security_domain_info: sdi(kms_uri)?,
        })
    })
}

/// Builds the migration update "migrated user `primary_id` moved on to `partner_system`, which
/// assigned it `partner_id`". `kms_uri` may be NULL. On failure `msg` is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_moved_on(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
    partner_system: *const c_char,
    partner_id: *const c_char,
    kms_uri: *const c_char,
) -> i32 {
    init_update(msg, || {
        Ok(MigrationUpdateView::MovedOn {
            primary_id: id(primary_id)?,
            partner_system: system(partner_system)?,
            partner_id: id(partner_id)?,
            security_domain_info: sdi(kms_uri)?,
        })
    })
}

/// Builds the migration update "migrated user `primary_id` returned home". On failure `msg` is
/// unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_returned(
    msg: *mut mcx_message_t,
    primary_id: *const c_char,
) -> i32 {
    init_update(msg, || {
        Ok(MigrationUpdateView::Returned {
            primary_id: id(primary_id)?,
        })
    })
}

/// Builds the migration update "the user with primary ID `primary_id` of `primary_system` now
/// visits this system as `local_id`". `kms_uri` (primary system's security domain) may be NULL.
/// On failure `msg` is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_visitor_registered(
    msg: *mut mcx_message_t,
    local_id: *const c_char,
    primary_id: *const c_char,
    primary_system: *const c_char,
    kms_uri: *const c_char,
) -> i32 {
    init_update(msg, || {
        Ok(MigrationUpdateView::VisitorRegistered {
            local_id: id(local_id)?,
            primary_id: id(primary_id)?,
            primary_system: system(primary_system)?,
            primary_security_domain_info: sdi(kms_uri)?,
        })
    })
}

/// Builds the migration update "visiting user `local_id` left this system". On failure `msg`
/// is unchanged.
#[no_mangle]
pub extern "C" fn mcx_message_init_visitor_departed(
    msg: *mut mcx_message_t,
    local_id: *const c_char,
) -> i32 {
    init_update(msg, || {
        Ok(MigrationUpdateView::VisitorDeparted {
            local_id: id(local_id)?,
        })
    })
}

/// Decodes any message from `len` bytes at `bytes` into `msg` (which need not be initialised).
///
/// Garbage gives one of the `MCX_E_DECODE_*` codes and leaves `msg` unchanged. `bytes` may be
/// NULL only when `len` is 0.
#[no_mangle]
pub extern "C" fn mcx_message_decode(msg: *mut mcx_message_t, bytes: *const u8, len: usize) -> i32 {
    run(|| {
        abi::check_writable(msg)?;
        let input = abi::bytes(bytes, len)?;
        // Fully validated by the decoder, then written field by field into `msg`.
        write_message(msg, &wire::decode_message(input)?)
    })
}

/// Decodes one frame (with or without its trailing `0x00`) into `msg`: COBS, then the CRC-32C
/// (`MCX_E_DECODE_FRAME_CHECK_MISMATCH` if it does not match), then the message.
///
/// The frame is decoded **in place**: `frame`'s bytes are overwritten, even when the frame is
/// invalid. `msg` is unchanged on failure.
#[no_mangle]
pub extern "C" fn mcx_message_decode_frame(
    msg: *mut mcx_message_t,
    frame: *mut u8,
    len: usize,
) -> i32 {
    run(|| {
        abi::check_writable(msg)?;
        let input = abi::buffer(frame, len)?;
        write_message(msg, &wire::decode_frame(input)?)
    })
}

/// Encodes with `encode` into a caller buffer, reporting the length or the needed length.
pub(crate) fn encode_with(
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
    encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
) -> Result<(), Status> {
    let out_len = abi::out(out_len)?;
    let buf = abi::buffer(buf, cap)?;
    match encode(buf) {
        Ok(len) => {
            out_len.set(len);
            Ok(())
        }
        Err(EncodeError::BufferTooSmall { needed }) => {
            out_len.set(needed);
            Err(Status(MCX_E_BUFFER_TOO_SMALL))
        }
        Err(e) => Err(e.into()),
    }
}

/// Encodes a message to send into `buf` (capacity `cap`); its length goes to `*out_len`.
///
/// `MCX_MAX_ENCODED_LEN` bytes always suffice. A smaller buffer gives `MCX_E_BUFFER_TOO_SMALL`
/// with the needed length in `*out_len` (`buf` may be NULL with `cap` 0 to ask for it); the
/// buffer's contents are then unspecified.
#[no_mangle]
pub extern "C" fn mcx_message_encode(
    msg: *const mcx_message_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    run(|| {
        let message = abi::object(msg)?;
        encode_with(buf, cap, out_len, |b| wire::encode_message(message, b))
    })
}

/// Encodes a message as one frame for a byte stream (UART): COBS of the message and its
/// CRC-32C (little-endian), trailing `0x00` included;
/// otherwise as `mcx_message_encode` (`MCX_MAX_FRAME_LEN` bytes always suffice).
#[no_mangle]
pub extern "C" fn mcx_message_encode_frame(
    msg: *const mcx_message_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    run(|| {
        let message = abi::object(msg)?;
        encode_with(buf, cap, out_len, |b| match message {
            Message::Request(m) => m.encode_frame(b),
            Message::Redirection(m) => m.encode_frame(b),
            Message::MigrationUpdate(m) => m.encode_frame(b),
        })
    })
}

/// Writes the message type (`MCX_MESSAGE_*`) to `*out`.
#[no_mangle]
pub extern "C" fn mcx_message_type(msg: *const mcx_message_t, out: *mut u32) -> i32 {
    run(|| {
        let out = abi::out(out)?;
        let ty = match abi::object(msg)? {
            Message::Request(_) => MessageType::PrivateCallRequest,
            Message::Redirection(_) => MessageType::PrivateCallRedirection,
            Message::MigrationUpdate(_) => MessageType::MigrationUpdate,
        };
        out.set(ty as u32);
        Ok(())
    })
}

/// Writes the service kind (`MCX_SERVICE_*`) of a request or redirection to `*out`;
/// `MCX_E_WRONG_MESSAGE_TYPE` for a migration update.
#[no_mangle]
pub extern "C" fn mcx_message_service_kind(msg: *const mcx_message_t, out: *mut u32) -> i32 {
    run(|| {
        let out = abi::out(out)?;
        let kind = match abi::object(msg)? {
            Message::Request(m) => m.service_kind,
            Message::Redirection(m) => m.service_kind,
            Message::MigrationUpdate(_) => return Err(Status(MCX_E_WRONG_MESSAGE_TYPE)),
        };
        out.set(kind as u32);
        Ok(())
    })
}

/// Writes whether end-to-end encryption is required (request, redirection) to `*out`.
#[no_mangle]
pub extern "C" fn mcx_message_e2ee_required(msg: *const mcx_message_t, out: *mut bool) -> i32 {
    run(|| {
        let out = abi::out(out)?;
        let e2ee = match abi::object(msg)? {
            Message::Request(m) => m.e2ee_required,
            Message::Redirection(m) => m.e2ee_required,
            Message::MigrationUpdate(_) => return Err(Status(MCX_E_WRONG_MESSAGE_TYPE)),
        };
        out.set(e2ee);
        Ok(())
    })
}

/// Writes a redirection's reason (`MCX_REASON_*`) to `*out`; `MCX_E_ABSENT` if it carries
/// none, `MCX_E_WRONG_MESSAGE_TYPE` for other messages.
#[no_mangle]
pub extern "C" fn mcx_message_reason(msg: *const mcx_message_t, out: *mut u32) -> i32 {
    run(|| {
        let out = abi::out(out)?;
        let Message::Redirection(m) = abi::object(msg)? else {
            return Err(Status(MCX_E_WRONG_MESSAGE_TYPE));
        };
        let reason = m.reason.ok_or(Status(MCX_E_ABSENT))?;
        out.set(match reason {
            RedirectionReason::TargetMigrated => MCX_REASON_TARGET_MIGRATED,
            RedirectionReason::TargetNoLongerServed => MCX_REASON_TARGET_NO_LONGER_SERVED,
        });
        Ok(())
    })
}

/// Writes a migration update's kind (`MCX_UPDATE_*`) to `*out`; `MCX_E_WRONG_MESSAGE_TYPE` for
/// other messages.
#[no_mangle]
pub extern "C" fn mcx_message_update_kind(msg: *const mcx_message_t, out: *mut u32) -> i32 {
    run(|| {
        let out = abi::out(out)?;
        let Message::MigrationUpdate(update) = abi::object(msg)? else {
            return Err(Status(MCX_E_WRONG_MESSAGE_TYPE));
        };
        out.set(match update {
            MigrationUpdate::Migrated { .. } => MCX_UPDATE_MIGRATED,
            MigrationUpdate::MovedOn { .. } => MCX_UPDATE_MOVED_ON,
            MigrationUpdate::Returned { .. } => MCX_UPDATE_RETURNED,
            MigrationUpdate::VisitorRegistered { .. } => MCX_UPDATE_VISITOR_REGISTERED,
            MigrationUpdate::VisitorDeparted { .. } => MCX_UPDATE_VISITOR_DEPARTED,
        });
        Ok(())
    })
}

fn kms(sdi: &Option<SecurityDomainInfo>) -> Result<&str, Status> {
    sdi.as_ref()
        .map(|s| s.kms_uri.as_str())
        .ok_or(Status(MCX_E_ABSENT))
}

/// The string field `field` of `message`.
fn field(message: &Message, field: u32) -> Result<&str, Status> {
    if !(MCX_FIELD_CALLING_PARTY..=MCX_FIELD_PRIMARY_SYSTEM).contains(&field) {
        return Err(Status(MCX_E_INVALID_ARGUMENT));
    }
    let wrong = Status(MCX_E_WRONG_MESSAGE_TYPE);
    match (message, field) {
        (Message::Request(m), MCX_FIELD_CALLING_PARTY) => Ok(m.calling_party.as_str()),
        (Message::Request(m), MCX_FIELD_TARGET) => Ok(m.target.as_str()),
        (Message::Request(m), MCX_FIELD_KMS_URI) => kms(&m.security_domain_info),
        (Message::Redirection(m), MCX_FIELD_CALLING_PARTY) => Ok(m.calling_party.as_str()),
        (Message::Redirection(m), MCX_FIELD_TARGET_PRIMARY) => Ok(m.target_primary.as_str()),
        (Message::Redirection(m), MCX_FIELD_TARGET_MIGRATED) => Ok(m.target_migrated.as_str()),
        (Message::Redirection(m), MCX_FIELD_KMS_URI) => kms(&m.security_domain_info),
        (Message::MigrationUpdate(u), f) => match (u, f) {
            (
                MigrationUpdate::Migrated {
                    primary_id,
                    partner_system,
                    partner_id,
                    security_domain_info,
                }
                | MigrationUpdate::MovedOn {
                    primary_id,
                    partner_system,
                    partner_id,
                    security_domain_info,
                },
                f,
            ) => match f {
                MCX_FIELD_PRIMARY_ID => Ok(primary_id.as_str()),
                MCX_FIELD_PARTNER_SYSTEM => Ok(partner_system.as_str()),
                MCX_FIELD_PARTNER_ID => Ok(partner_id.as_str()),
                MCX_FIELD_KMS_URI => kms(security_domain_info),
                _ => Err(wrong),
            },
            (MigrationUpdate::Returned { primary_id }, MCX_FIELD_PRIMARY_ID) => {
                Ok(primary_id.as_str())
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
                MCX_FIELD_LOCAL_ID => Ok(local_id.as_str()),
                MCX_FIELD_PRIMARY_ID => Ok(primary_id.as_str()),
                MCX_FIELD_PRIMARY_SYSTEM => Ok(primary_system.as_str()),
                MCX_FIELD_KMS_URI => kms(primary_security_domain_info),
                _ => Err(wrong),
            },
            (MigrationUpdate::VisitorDeparted { local_id }, MCX_FIELD_LOCAL_ID) => {
                Ok(local_id.as_str())
            }
            _ => Err(wrong),
        },
        _ => Err(wrong),
    }
}

/// Copies string field `field` (`MCX_FIELD_*`) of `msg` into `buf` as a NUL-terminated string
/// and writes its length (NUL excluded) to `*out_len`.
///
/// Returns `MCX_E_WRONG_MESSAGE_TYPE` if this message type has no such field, `MCX_E_ABSENT`
/// for absent security domain information, `MCX_E_INVALID_ARGUMENT` for an unknown selector,
/// and `MCX_E_BUFFER_TOO_SMALL` with the bytes needed (NUL included) in `*out_len` if `cap` is
/// too small. `MCX_MAX_STRING_LEN` + 1 bytes always suffice.
#[no_mangle]
pub extern "C" fn mcx_message_field(
    msg: *const mcx_message_t,
    field: u32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    run(|| {
        let out_len = abi::out(out_len)?;
        let buf = abi::buffer(buf.cast(), cap)?;
        let text = self::field(abi::object(msg)?, field)?;
        copy_c_string(text, buf, &out_len)
    })
}

/// Copies `text` and a NUL into `buf`; on a short buffer writes the needed size instead.
pub(crate) fn copy_c_string(
    text: &str,
    buf: &mut [u8],
    out_len: &abi::Out<usize>,
) -> Result<(), Status> {
    let needed = text.len().saturating_add(1);
    match buf
        .get_mut(..needed)
        .and_then(|dest| dest.split_at_mut_checked(text.len()))
    {
        Some((body, nul)) => {
            body.copy_from_slice(text.as_bytes());
            nul.fill(0);
            out_len.set(text.len());
            Ok(())
        }
        None => {
            out_len.set(needed);
            Err(Status(MCX_E_BUFFER_TOO_SMALL))
        }
    }
}
