//! The MC service server's decision from C: steps 2 and 3 of §10.16.5.3 at the primary MC
//! system, and the consecutive-migration paragraph at a partner MC system.

use mcx_migrate::server::{decide_encode, DecisionOutcome};
use mcx_migrate::wire::{self, MessageType};
use mcx_migrate::Message;

use crate::abi::{self, run, Status};
use crate::message::{mcx_message_t, message_of};
use crate::status::*;
use crate::table::mcx_table_t;

/// The server's decision on a private call request (`*out_decision` of `mcx_server_decide`).
/// C type `mcx_decision`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McxDecision {
    /// The target is served here (or unknown to the table); process the call normally.
    MCX_DECISION_PROCEED = 0,
    /// Send the private call redirection written to the caller's buffer (step 3).
    MCX_DECISION_REDIRECT = 1,
    /// Reject the call; the reason code is in `*out_reject_reason`.
    MCX_DECISION_REJECT = 2,
}
pub use McxDecision::*;

/// Both decision entry points in one, not inlined: decides on the request stored in the
/// `mcx_message_t` at `src`, or, when `from_bytes`, the `len` bytes at `src` (checked after the
/// table), from `table`, encoding a redirection into the caller's buffer of `cap` bytes at
/// `redirection`, and writes the three results. After the request, the out-pointers are
/// checked, then the buffer, then the table. One pointer for either source: fewer arguments
/// go on the stack.
// The parameters of both C functions.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn decide(
    table: *const mcx_table_t,
    src: *const u8,
    len: usize,
    from_bytes: bool,
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut McxDecision,
    out_reject_reason: *mut mcx_status,
) -> mcx_status {
    run(|| {
        let message = if from_bytes {
            abi::object(table)?;
            // The decoder refuses any other message type, so only the stored message below can
            // be of the wrong type.
            let bytes = abi::bytes(src, len)?;
            wire::decode_expecting(bytes, MessageType::PrivateCallRequest)?
        } else {
            message_of(src.cast())?
        };
        let Message::Request(request) = message else {
            return Err(Status::of(MCX_E_WRONG_MESSAGE_TYPE));
        };
        let out_len = abi::out(out_len)?;
        let out_decision = abi::out(out_decision)?;
        let out_reject_reason = abi::out(out_reject_reason)?;
        let buf = abi::buffer(redirection, cap)?;
        // The redirection is encoded straight from the request and the table record.
        let (decision, len, reason) = match decide_encode(abi::object(table)?, &request, buf) {
            Ok(DecisionOutcome::Proceed) => (MCX_DECISION_PROCEED, 0, MCX_OK),
            Ok(DecisionOutcome::Reject(reason)) => (MCX_DECISION_REJECT, 0, reason.status()),
            Ok(DecisionOutcome::Redirected(len)) => (MCX_DECISION_REDIRECT, len, MCX_OK),
            Err(e) => {
                // `MCX_E_BUFFER_TOO_SMALL`, with the length the redirection needs.
                if let mcx_migrate::EncodeError::BufferTooSmall { needed } = e {
                    out_len.set(needed);
                }
                return Err(e.into());
            }
        };
        out_len.set(len);
        out_decision.set(decision);
        out_reject_reason.set(reason);
        Ok(())
    })
}

/// The body of `mcx_server_decide` (exported, and documented, in `abi::exports`).
pub(crate) fn server_decide(
    table: *const mcx_table_t,
    request: *const mcx_message_t,
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut McxDecision,
    out_reject_reason: *mut mcx_status,
) -> mcx_status {
    decide(
        table,
        request.cast(),
        0,
        false,
        redirection,
        cap,
        out_len,
        out_decision,
        out_reject_reason,
    )
}

/// The body of `mcx_server_decide_bytes` (exported, and documented, in `abi::exports`).
// The parameters of the C function (`mcx_server_decide_bytes`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn server_decide_bytes(
    table: *const mcx_table_t,
    request: *const u8,
    len: usize,
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut McxDecision,
    out_reject_reason: *mut mcx_status,
) -> mcx_status {
    decide(
        table,
        request,
        len,
        true,
        redirection,
        cap,
        out_len,
        out_decision,
        out_reject_reason,
    )
}
