//! The MC service server's decision from C: steps 2 and 3 of §10.16.5.3 at the primary MC
//! system, and the consecutive-migration paragraph at a partner MC system.

use mcx_migrate::server::{decide_encode, DecisionOutcome};
use mcx_migrate::PrivateCallRequestView;

use crate::abi::{self, run, Status};
use crate::message::{mcx_message_t, request_of};
use crate::status::*;
use crate::table::mcx_table_t;

/// Decision: the target is served here (or unknown to the table); process the call normally.
pub const MCX_DECISION_PROCEED: u32 = 0;
/// Decision: send the private call redirection written to the caller's buffer (step 3).
pub const MCX_DECISION_REDIRECT: u32 = 1;
/// Decision: reject the call; the reason code is in `*out_reject_reason`.
pub const MCX_DECISION_REJECT: u32 = 2;

struct Outputs {
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut u32,
    out_reject_reason: *mut i32,
}

#[inline(never)]
fn decide_into(
    table: *const mcx_table_t,
    request: &PrivateCallRequestView<'_>,
    o: Outputs,
) -> Result<(), Status> {
    let out_len = abi::out(o.out_len)?;
    let out_decision = abi::out(o.out_decision)?;
    let out_reject_reason = abi::out(o.out_reject_reason)?;
    let buf = abi::buffer(o.redirection, o.cap)?;
    // The redirection is encoded straight from the request and the table record.
    let (decision, len, reason) = match decide_encode(abi::object(table)?, request, buf) {
        Ok(DecisionOutcome::Proceed) => (MCX_DECISION_PROCEED, 0, MCX_OK),
        Ok(DecisionOutcome::Reject(reason)) => (MCX_DECISION_REJECT, 0, reason.status()),
        Ok(DecisionOutcome::Redirected(len)) => (MCX_DECISION_REDIRECT, len, MCX_OK),
        Err(mcx_migrate::EncodeError::BufferTooSmall { needed }) => {
            out_len.set(needed);
            return Err(Status(MCX_E_BUFFER_TOO_SMALL));
        }
        Err(e) => return Err(e.into()),
    };
    out_len.set(len);
    out_decision.set(decision);
    out_reject_reason.set(reason);
    Ok(())
}

/// Decides what to do with a received private call request (built or decoded into `request`).
///
/// On `MCX_OK`, `*out_decision` is one of `MCX_DECISION_*`:
/// - `MCX_DECISION_PROCEED`: `*out_len` = 0, `*out_reject_reason` = `MCX_OK`;
/// - `MCX_DECISION_REDIRECT`: the encoded private call redirection is in `redirection[0..*out_len]`
///   (`MCX_MAX_ENCODED_LEN` bytes always suffice);
/// - `MCX_DECISION_REJECT`: `*out_reject_reason` is an `MCX_E_REJECT_*` code.
///
/// A buffer too small for the redirection gives `MCX_E_BUFFER_TOO_SMALL` with the needed length
/// in `*out_len`; the buffer's contents are then unspecified. The table is never modified.
#[no_mangle]
pub extern "C" fn mcx_server_decide(
    table: *const mcx_table_t,
    request: *const mcx_message_t,
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut u32,
    out_reject_reason: *mut i32,
) -> i32 {
    run(|| {
        let request = request_of(request)?;
        let outputs = Outputs {
            redirection,
            cap,
            out_len,
            out_decision,
            out_reject_reason,
        };
        decide_into(table, &request.as_view(), outputs)
    })
}

/// As `mcx_server_decide`, for a request received as `len` bytes: garbage gives an
/// `MCX_E_DECODE_*` code, another message type `MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE`.
#[no_mangle]
pub extern "C" fn mcx_server_decide_bytes(
    table: *const mcx_table_t,
    request: *const u8,
    len: usize,
    redirection: *mut u8,
    cap: usize,
    out_len: *mut usize,
    out_decision: *mut u32,
    out_reject_reason: *mut i32,
) -> i32 {
    run(|| {
        abi::object(table)?;
        let request = PrivateCallRequestView::decode(abi::bytes(request, len)?)?;
        let outputs = Outputs {
            redirection,
            cap,
            out_len,
            out_decision,
            out_reject_reason,
        };
        decide_into(table, &request, outputs)
    })
}
