//! The calling MC service client from C: steps 1, 3 and 5 of §10.16.5.3 and the
//! consecutive-migration paragraph.

use core::mem::{align_of, size_of};

use mcx_migrate::client::{PrivateCall, DEFAULT_MAX_REDIRECTIONS};
use mcx_migrate::wire::{self, MessageType};
use mcx_migrate::Message;

use crate::abi::{self, run, Status, Storage, Stored};
use crate::message::{encode_with, mcx_message_t, message_of, request_of, write_message};
use crate::status::*;

/// Size in bytes of `mcx_call_t` (for the default build-time identifier capacities).
pub const MCX_CALL_SIZE: usize = 984;

/// Redirections one call follows at most before refusing with `MCX_E_REDIRECTION_TOO_MANY`.
pub const MCX_CALL_MAX_REDIRECTIONS: usize = 4;

/// Storage for one outgoing private call's state at the calling MC service client. Declare it,
/// call `mcx_call_start`, send `mcx_call_request`'s bytes, feed each received redirection to
/// `mcx_call_on_redirection_bytes`.
#[repr(C)]
pub union mcx_call_t {
    _opaque: [u8; MCX_CALL_SIZE],
    _align: u64,
}

/// The Rust call state behind `mcx_call_t`.
pub(crate) type Call = PrivateCall<MCX_CALL_MAX_REDIRECTIONS>;

// Size and alignment: asserted right below, and by `abi` wherever it casts a pointer.
impl Storage for mcx_call_t {
    type Object = Call;
    const MAGIC: u32 = 0x4D43_5843; // "MCXC"
}
const _: () = assert!(
    size_of::<Stored<Call>>() <= size_of::<mcx_call_t>(),
    "MCX_CALL_SIZE is too small for this build: raise it (see the Storage sizes section of docs/c-api.md) and regenerate the header"
);
const _: () = assert!(align_of::<Stored<Call>>() <= align_of::<mcx_call_t>());
const _: () = assert!(MCX_CALL_MAX_REDIRECTIONS == DEFAULT_MAX_REDIRECTIONS);

/// The body of `mcx_call_start` (exported, and documented, in `abi::exports`).
pub(crate) fn call_start(call: *mut mcx_call_t, request: *const mcx_message_t) -> mcx_status {
    run(|| {
        abi::check_writable(call)?;
        let request = request_of(request)?;
        // Every check passed: the call is written in place, field by field.
        abi::init_in_place(call, |slot| Call::start_at(slot, &request))?;
        Ok(())
    })
}

/// Both redirection entry points in one, not inlined: the redirection stored in the
/// `mcx_message_t` at `src`, or, when `from_bytes`, the `len` bytes at `src` (checked after the
/// call, as `mcx_call_on_redirection_bytes` documents), followed by `call`. One pointer for
/// either source: the four arguments are passed in registers.
#[inline(never)]
fn on_redirection(
    call: *mut mcx_call_t,
    src: *const u8,
    len: usize,
    from_bytes: bool,
) -> mcx_status {
    run(|| {
        let message = if from_bytes {
            abi::object_mut(call)?;
            // Followed as decoded (validated), borrowing the bytes: no copy on the stack. The
            // decoder refuses any other message type, so only the stored message below can be
            // of the wrong type.
            let bytes = abi::bytes(src, len)?;
            wire::decode_expecting(bytes, MessageType::PrivateCallRedirection)?
        } else {
            message_of(src.cast())?
        };
        let Message::Redirection(redirection) = message else {
            return Err(Status::of(MCX_E_WRONG_MESSAGE_TYPE));
        };
        Ok(abi::object_mut(call)?.follow_redirection(&redirection)?)
    })
}

/// The body of `mcx_call_on_redirection` (exported, and documented, in `abi::exports`).
pub(crate) fn call_on_redirection(
    call: *mut mcx_call_t,
    redirection: *const mcx_message_t,
) -> mcx_status {
    on_redirection(call, redirection.cast(), 0, false)
}

/// The body of `mcx_call_on_redirection_bytes` (exported, and documented, in `abi::exports`).
pub(crate) fn call_on_redirection_bytes(
    call: *mut mcx_call_t,
    bytes: *const u8,
    len: usize,
) -> mcx_status {
    on_redirection(call, bytes, len, true)
}

/// Both request readers in one, not inlined: the outstanding request of `call` written to the
/// `mcx_message_t` at `dst` (checked before the call) or, when `!to_message`, encoded into the
/// caller's buffer of `cap` bytes at `dst`, its length in `*out_len`.
#[inline(never)]
fn read_request(
    call: *const mcx_call_t,
    dst: *mut u8,
    cap: usize,
    out_len: *mut usize,
    to_message: bool,
) -> mcx_status {
    run(|| {
        if to_message {
            abi::check_writable(dst.cast::<mcx_message_t>())?;
        }
        let request = Message::Request(abi::object(call)?.request());
        if to_message {
            write_message(dst.cast(), &request)
        } else {
            encode_with(dst, cap, out_len, &request, false)
        }
    })
}

/// The body of `mcx_call_request` (exported, and documented, in `abi::exports`).
pub(crate) fn call_request(
    call: *const mcx_call_t,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> mcx_status {
    read_request(call, buf, cap, out_len, false)
}

/// The body of `mcx_call_request_message` (exported, and documented, in `abi::exports`).
pub(crate) fn call_request_message(call: *const mcx_call_t, msg: *mut mcx_message_t) -> mcx_status {
    read_request(call, msg.cast(), 0, core::ptr::null_mut(), true)
}

/// The body of `mcx_call_redirections` (exported, and documented, in `abi::exports`).
pub(crate) fn call_redirections(call: *const mcx_call_t, out: *mut usize) -> mcx_status {
    run(|| {
        let out = abi::out(out)?;
        out.set(abi::object(call)?.redirections());
        Ok(())
    })
}
