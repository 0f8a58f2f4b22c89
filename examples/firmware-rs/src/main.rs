//! Fig. 10.16.y.3-1 of TS 23.280 (§10.16.5, "generic private call procedure towards a migrated
//! MC service user") as bare-metal Rust firmware for QEMU's `mps2-an386` machine (Cortex-M4F).
//!
//! One image plays every part: the MC service servers of MC systems A (user 2's primary
//! system), B and C (partner systems), and MC service client 1. They share nothing but bytes:
//! migration updates travel between servers as COBS frames, private call requests and private
//! call redirections as wire-format messages, each decoded and validated by its receiver.
//!
//! 1. Pre-conditions (clause 10.6.3.3): server A learns that user 2 migrated to B, server B that
//!    it serves user 2 as a visitor.
//! 2. Call 1, MCPTT: client 1 calls user 2's primary ID; server A answers with a private call
//!    redirection (steps 2–3); client 1 releases the request and calls the ID assigned by B
//!    (step 5); server B proceeds.
//! 3. Call 2, MCVideo with end-to-end encryption: the redirection carries B's KMS URI (security
//!    domain information, NOTE under Table 10.16.y.2-1) and so does the new request.
//! 4. Call 3, MCData, consecutive migration: user 2 has moved on to C. Server A has not heard yet
//!    and sends the caller to B; B no longer serves user 2 and sends the caller home; by then A
//!    knows about C and sends the caller on to C, which proceeds.
//!
//! Every expected result is a named check logged as `PASS`/`FAIL` with defmt over semihosting
//! (decode with `defmt-print -e <elf>`). The firmware exits through semihosting with 0 only if
//! every check passed: 1 if a check failed, 2 if the scenario stopped on an error, 101 on a
//! panic, 102 on a hard fault.
#![no_std]
#![no_main]

// The single-core critical-section implementation defmt-semihosting needs.
use cortex_m as _;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use defmt::{error, info, Format};
use defmt_semihosting as _; // the global defmt logger: frames go to the host's stdout

use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::{decide, Decision, RejectReason};
use mcx_migrate::table::{storage_len, MigrationTable, Record, VisitorState};
use mcx_migrate::wire::{self, MAX_ENCODED_LEN, MAX_FRAME_LEN};
use mcx_migrate::{
    DecodeError, EncodeError, IdError, McServiceIdRef, McSystemIdRef, Message, Migration,
    MigrationUpdate, PrivateCallRedirection, PrivateCallRequest, RedirectionError,
    RedirectionReason, SecurityDomainInfo, ServiceKind, StorageError, TableError,
};

/// Records each migration table holds at least: a gateway-sized table.
const TABLE_RECORDS: usize = 16;

/// String bytes a record of this scenario takes at most (key, the other two IDs and a KMS URI):
/// `sip:visitor-0042@mc-b.example`, `sip:user2@mc-a.example`, `mc-a.example` and
/// `https://kms.mc-a.example/kms` are 91 bytes.
const TYPICAL_STRING_BYTES: usize = 100;

/// Bytes of storage per migration table: [`TABLE_RECORDS`] records of
/// [`TYPICAL_STRING_BYTES`] each always fit (more when their IDs are shorter).
const TABLE_BYTES: usize = storage_len(TABLE_RECORDS, TYPICAL_STRING_BYTES);

/// A migration table of this firmware, over storage in a `static` array of [`TABLE_BYTES`].
type Table = MigrationTable<&'static mut [u8]>;

const USER1: &str = "sip:user1@mc-a.example";
const USER2_PRIMARY: &str = "sip:user2@mc-a.example";
const USER2_AT_B: &str = "sip:visitor-0042@mc-b.example";
const USER2_AT_C: &str = "tel:+4930555002";
const SYSTEM_A: &str = "mc-a.example";
const SYSTEM_B: &str = "mc-b.example";
const SYSTEM_C: &str = "mc-c.example";
const KMS_A: &str = "https://kms.mc-a.example/kms";
const KMS_B: &str = "https://kms.mc-b.example/kms";
const KMS_C: &str = "https://kms.mc-c.example/kms";

/// Why the scenario stopped before its end: an error from the library where none was expected,
/// or an answer of the wrong kind.
#[derive(Format)]
enum Failure {
    Id(IdError),
    Encode(EncodeError),
    Decode(DecodeError),
    Table(TableError),
    Storage(StorageError),
    Redirection(RedirectionError),
    /// A migration update frame decoded to another message type.
    NotAMigrationUpdate,
    /// The request's target has no route (no MC system serves that ID).
    NoRoute,
}

macro_rules! failure_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Failure {
            fn from(e: $ty) -> Self {
                Failure::$variant(e)
            }
        }
    )*};
}
failure_from!(
    Id(IdError),
    Encode(EncodeError),
    Decode(DecodeError),
    Table(TableError),
    Storage(StorageError),
    Redirection(RedirectionError)
);

/// The tally of named checks.
struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed = self.passed.saturating_add(1);
            info!("PASS {=str}", name);
        } else {
            self.failed = self.failed.saturating_add(1);
            error!("FAIL {=str}", name);
        }
    }
}

/// The three MC systems of the scenario.
#[derive(Clone, Copy, PartialEq, Eq, Format)]
enum System {
    A,
    B,
    C,
}

/// What client 1 receives for a private call request, decoded from the server's bytes. A
/// redirection borrows client 1's receive buffer, where its bytes arrived.
#[derive(Format)]
enum Answer<'b> {
    /// The server continues with the normal private call procedure.
    Proceed,
    /// A private call redirection (steps 2–3, or the consecutive-migration redirection).
    Redirection(PrivateCallRedirection<'b>),
    /// The server refused the call.
    Rejected(RejectReason),
}

/// The MC service servers and the links between them and client 1. Only bytes cross a link.
struct Network {
    a: Table,
    b: Table,
    c: Table,
}

impl Network {
    /// Servers A, B and C with empty migration tables over the given storage.
    fn new(
        a: &'static mut [u8],
        b: &'static mut [u8],
        c: &'static mut [u8],
    ) -> Result<Self, Failure> {
        Ok(Network {
            a: Table::new(a)?,
            b: Table::new(b)?,
            c: Table::new(c)?,
        })
    }

    fn table(&mut self, system: System) -> &mut Table {
        match system {
            System::A => &mut self.a,
            System::B => &mut self.b,
            System::C => &mut self.c,
        }
    }

    /// The MC system an MC service ID belongs to: the SIP core's routing, which this firmware
    /// stands in for with a fixed list.
    fn route(target: McServiceIdRef<'_>) -> Result<System, Failure> {
        match target.as_str() {
            USER1 | USER2_PRIMARY => Ok(System::A),
            USER2_AT_B => Ok(System::B),
            USER2_AT_C => Ok(System::C),
            _ => Err(Failure::NoRoute),
        }
    }

    /// Sends a migration update (clause 10.6.3) to `system` as one COBS frame; the server
    /// decodes the frame and applies the update to its migration table.
    fn deliver_update(
        &mut self,
        system: System,
        update: &MigrationUpdate<'_>,
    ) -> Result<(), Failure> {
        let mut link = [0u8; MAX_FRAME_LEN];
        let len = update.encode_frame(&mut link)?;
        info!(
            "migration update to MC system {}: {=usize} bytes on the wire",
            system, len
        );
        // The receiving server's side: only the frame's bytes are known here.
        let frame = link.get_mut(..len).ok_or(Failure::NotAMigrationUpdate)?;
        let Message::MigrationUpdate(received) = wire::decode_frame(frame)? else {
            return Err(Failure::NotAMigrationUpdate);
        };
        let applied = self.table(system).apply(&received)?;
        info!(
            "MC system {} applied it: {} ({=usize} departed records evicted)",
            system, applied.change, applied.evicted
        );
        Ok(())
    }

    /// Sends client 1's private call request to the MC system its target belongs to and returns
    /// the answer as client 1 decodes it from `downlink`, its receive buffer.
    fn send<'b>(
        &mut self,
        request: &PrivateCallRequest<'_>,
        downlink: &'b mut [u8; PrivateCallRedirection::MAX_ENCODED_LEN],
    ) -> Result<(System, Answer<'b>), Failure> {
        let system = Self::route(request.target)?;
        let mut uplink = [0u8; MAX_ENCODED_LEN];
        let len = request.encode(&mut uplink)?;
        info!(
            "client 1 -> MC system {}: private call request to {=str} ({=usize} bytes)",
            system,
            request.target.as_str(),
            len
        );
        // The server's side: decode, decide (steps 2-3), answer in bytes.
        let received = PrivateCallRequest::decode(uplink.get(..len).unwrap_or_default())?;
        let answer = match decide(self.table(system), &received) {
            Decision::Proceed => {
                info!("MC system {} proceeds with the private call", system);
                return Ok((system, Answer::Proceed));
            }
            Decision::Reject(reason) => {
                info!("MC system {} rejects the private call: {}", system, reason);
                return Ok((system, Answer::Rejected(reason)));
            }
            Decision::Redirect(redirection) => redirection.encode(downlink)?,
        };
        // Client 1's side: only the redirection's bytes are known here.
        let downlink: &'b [u8] = downlink;
        let redirection =
            PrivateCallRedirection::decode(downlink.get(..answer).unwrap_or_default())?;
        // The ID to call next: IE 3 from the primary system, IE 2 (the primary ID) from a
        // partner system that sends the caller home (Table 10.16.y.2-1).
        let next = match redirection.reason {
            Some(RedirectionReason::TargetNoLongerServed) => redirection.target_primary,
            _ => redirection.target_migrated,
        };
        info!(
            "MC system {} -> client 1: private call redirection to {=str}, reason {}, KMS URI {=?} ({=usize} bytes)",
            system,
            next.as_str(),
            redirection.reason,
            kms(redirection.security_domain_info),
            answer
        );
        Ok((system, Answer::Redirection(redirection)))
    }
}

fn id(s: &str) -> Result<McServiceIdRef<'_>, Failure> {
    Ok(McServiceIdRef::new(s)?)
}

fn system_id(s: &str) -> Result<McSystemIdRef<'_>, Failure> {
    Ok(McSystemIdRef::new(s)?)
}

fn sdi(kms_uri: &str) -> Result<Option<SecurityDomainInfo<'_>>, Failure> {
    Ok(Some(SecurityDomainInfo::new(kms_uri)?))
}

/// Step 1: client 1's request towards user 2's primary MC service ID.
fn call_user2(kind: ServiceKind, e2ee_required: bool) -> Result<PrivateCall, Failure> {
    Ok(PrivateCall::start(PrivateCallRequest {
        service_kind: kind,
        calling_party: id(USER1)?,
        target: id(USER2_PRIMARY)?,
        e2ee_required,
        security_domain_info: None,
    }))
}

/// The KMS URI an optional security domain information carries.
fn kms(sdi: Option<SecurityDomainInfo<'_>>) -> Option<&str> {
    sdi.map(|s| s.kms_uri.as_str())
}

/// Checks that `answer` came from `expected_system` and is a redirection to `to` with `reason`
/// and, when `kms_uri` is given, that KMS URI; then lets the call follow it (steps 3 and 5).
#[allow(clippy::too_many_arguments)]
fn follow(
    checks: &mut Checks,
    call: &mut PrivateCall,
    (system, answer): (System, Answer<'_>),
    expected_system: System,
    to: &str,
    reason: RedirectionReason,
    kms_uri: Option<&str>,
    name: &str,
) -> Result<(), Failure> {
    let Answer::Redirection(redirection) = answer else {
        checks.check(name, false);
        error!("expected a private call redirection, got {}", answer);
        return Ok(());
    };
    // Table 10.16.y.2-1: IE 2 is the ID from the primary system, IE 3 the one from the
    // migrated system; the redirection echoes the ID called and names the one to call next.
    let called = call.request().target;
    let (target_primary, target_migrated) = match reason {
        RedirectionReason::TargetMigrated => (called.as_str(), to),
        RedirectionReason::TargetNoLongerServed => (to, called.as_str()),
    };
    checks.check(
        name,
        system == expected_system
            && redirection.calling_party == USER1
            && redirection.target_primary == target_primary
            && redirection.target_migrated == target_migrated
            && redirection.reason == Some(reason)
            && kms(redirection.security_domain_info) == kms_uri,
    );
    let next = call.on_redirection(&redirection)?;
    checks.check(
        "client 1 released its request and re-initiated towards the redirected ID (steps 3, 5)",
        next.target == to && kms(next.security_domain_info) == kms_uri,
    );
    Ok(())
}

/// The whole figure, one part at a time. Each part is its own function, kept out of line, so
/// its temporaries (wire buffers of several hundred bytes each) share stack with the next part's.
fn scenario(net: &mut Network, checks: &mut Checks) -> Result<(), Failure> {
    pre_conditions(net, checks)?;
    call_1(net, checks)?;
    call_2_e2ee(net, checks)?;
    call_3_consecutive_migration(net, checks)
}

#[inline(never)]
fn pre_conditions(net: &mut Network, checks: &mut Checks) -> Result<(), Failure> {
    info!("pre-conditions: user 2 migrated from MC system A to MC system B (clause 10.6.3.3)");
    net.deliver_update(
        System::A,
        &MigrationUpdate::Migrated(Migration {
            primary_id: id(USER2_PRIMARY)?,
            partner_system: system_id(SYSTEM_B)?,
            partner_id: id(USER2_AT_B)?,
            security_domain_info: sdi(KMS_B)?,
        }),
    )?;
    net.deliver_update(
        System::B,
        &MigrationUpdate::VisitorRegistered {
            local_id: id(USER2_AT_B)?,
            primary_id: id(USER2_PRIMARY)?,
            primary_system: system_id(SYSTEM_A)?,
            primary_security_domain_info: sdi(KMS_A)?,
        },
    )?;
    checks.check(
        "server A's migration table maps user 2 to the ID assigned by MC system B",
        matches!(net.a.lookup(USER2_PRIMARY), Some(Record::MigratedAway(r))
            if r.partner_system == SYSTEM_B && r.partner_id == USER2_AT_B
                && kms(r.security_domain_info) == Some(KMS_B)),
    );
    checks.check(
        "server B's migration table holds user 2 as a present visitor",
        matches!(net.b.lookup(USER2_AT_B), Some(Record::Visiting(v))
            if v.primary_id == USER2_PRIMARY && v.state == VisitorState::Present),
    );

    Ok(())
}

/// Steps 1-5: an MCPTT private call redirected from A to B.
#[inline(never)]
fn call_1(net: &mut Network, checks: &mut Checks) -> Result<(), Failure> {
    info!("call 1: MCPTT private call, user 1 -> user 2's primary MC service ID");
    let mut call = call_user2(ServiceKind::McpttPrivateCall, false)?;
    // Client 1's receive buffer: each answer's redirection is decoded from it, in place.
    let mut downlink = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    let answer = net.send(&call.request(), &mut downlink)?;
    follow(
        checks,
        &mut call,
        answer,
        System::A,
        USER2_AT_B,
        RedirectionReason::TargetMigrated,
        None,
        "server A redirects call 1 to user 2's ID at MC system B (steps 2, 3)",
    )?;
    let (system, answer) = net.send(&call.request(), &mut downlink)?;
    checks.check(
        "server B proceeds with call 1 to user 2 (step 5)",
        system == System::B && matches!(answer, Answer::Proceed),
    );

    Ok(())
}

/// Steps 1-5 with end-to-end encryption: the redirection carries B's KMS URI.
#[inline(never)]
fn call_2_e2ee(net: &mut Network, checks: &mut Checks) -> Result<(), Failure> {
    info!("call 2: MCVideo private call with end-to-end encryption");
    let mut call = call_user2(ServiceKind::McvideoPrivateCall, true)?;
    // Client 1's receive buffer: each answer's redirection is decoded from it, in place.
    let mut downlink = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    let answer = net.send(&call.request(), &mut downlink)?;
    follow(
        checks,
        &mut call,
        answer,
        System::A,
        USER2_AT_B,
        RedirectionReason::TargetMigrated,
        Some(KMS_B),
        "server A's redirection of the E2EE call carries MC system B's KMS URI (step 3, NOTE)",
    )?;
    let (system, answer) = net.send(&call.request(), &mut downlink)?;
    checks.check(
        "server B proceeds with the E2EE call, its request using B's KMS URI (step 5)",
        system == System::B && matches!(answer, Answer::Proceed),
    );

    Ok(())
}

/// Consecutive migration: user 2 moved on to C; B sends the caller home, A sends it on to C.
#[inline(never)]
fn call_3_consecutive_migration(net: &mut Network, checks: &mut Checks) -> Result<(), Failure> {
    info!("call 3: one-to-one MCData communication after user 2 moved on to MC system C");
    net.deliver_update(
        System::B,
        &MigrationUpdate::VisitorDeparted {
            local_id: id(USER2_AT_B)?,
        },
    )?;
    net.deliver_update(
        System::C,
        &MigrationUpdate::VisitorRegistered {
            local_id: id(USER2_AT_C)?,
            primary_id: id(USER2_PRIMARY)?,
            primary_system: system_id(SYSTEM_A)?,
            primary_security_domain_info: sdi(KMS_A)?,
        },
    )?;
    // Server A's update is still in flight: it sends the caller to B once more.
    let mut call = call_user2(ServiceKind::McdataOneToOne, false)?;
    // Client 1's receive buffer: each answer's redirection is decoded from it, in place.
    let mut downlink = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    let answer = net.send(&call.request(), &mut downlink)?;
    follow(
        checks,
        &mut call,
        answer,
        System::A,
        USER2_AT_B,
        RedirectionReason::TargetMigrated,
        None,
        "server A, not yet updated, redirects call 3 to MC system B",
    )?;
    let answer = net.send(&call.request(), &mut downlink)?;
    follow(
        checks,
        &mut call,
        answer,
        System::B,
        USER2_PRIMARY,
        RedirectionReason::TargetNoLongerServed,
        None,
        "server B no longer serves user 2 and redirects call 3 to the primary ID (consecutive migration)",
    )?;
    net.deliver_update(
        System::A,
        &MigrationUpdate::MovedOn(Migration {
            primary_id: id(USER2_PRIMARY)?,
            partner_system: system_id(SYSTEM_C)?,
            partner_id: id(USER2_AT_C)?,
            security_domain_info: sdi(KMS_C)?,
        }),
    )?;
    let answer = net.send(&call.request(), &mut downlink)?;
    follow(
        checks,
        &mut call,
        answer,
        System::A,
        USER2_AT_C,
        RedirectionReason::TargetMigrated,
        None,
        "server A redirects call 3 on to user 2's ID at MC system C",
    )?;
    let (system, answer) = net.send(&call.request(), &mut downlink)?;
    checks.check(
        "server C proceeds with call 3 after three redirections",
        system == System::C && matches!(answer, Answer::Proceed) && call.redirections() == 3,
    );
    Ok(())
}

#[entry]
fn main() -> ! {
    // The tables' storage. cortex-m-rt turns these into `&'static mut` references, safely (no
    // `unsafe`): `main` runs once. All zeros, they are .bss: no flash, zeroed at reset. (A
    // `static` `ArrayTable::EMPTY` would do too: it is all zeros as well, so also .bss.)
    static mut STORAGE_A: [u8; TABLE_BYTES] = [0; TABLE_BYTES];
    static mut STORAGE_B: [u8; TABLE_BYTES] = [0; TABLE_BYTES];
    static mut STORAGE_C: [u8; TABLE_BYTES] = [0; TABLE_BYTES];
    info!("mcx-migrate firmware: Fig. 10.16.y.3-1 on mps2-an386");
    // The RAM a gateway or handset reserves per object, as this build lays them out.
    info!(
        "migration table: {=usize} bytes of storage for {=usize} records of {=usize} string bytes, {=usize} bytes of table; PrivateCall {=usize} bytes, PrivateCallRedirection {=usize} bytes",
        TABLE_BYTES,
        TABLE_RECORDS,
        TYPICAL_STRING_BYTES,
        core::mem::size_of::<Table>(),
        core::mem::size_of::<PrivateCall>(),
        core::mem::size_of::<PrivateCallRedirection<'_>>()
    );
    let mut checks = Checks {
        passed: 0,
        failed: 0,
    };
    let outcome = Network::new(STORAGE_A, STORAGE_B, STORAGE_C).and_then(|mut network| {
        scenario(&mut network, &mut checks)?;
        for system in [System::A, System::B, System::C] {
            let table = network.table(system);
            info!(
                "MC system {}'s migration table: {=usize} records, {=usize} of {=usize} bytes in use",
                system,
                table.len(),
                table.bytes_in_use(),
                table.storage_len()
            );
        }
        Ok(())
    });
    let code = match outcome {
        Err(failure) => {
            error!("scenario stopped: {}", failure);
            2
        }
        Ok(()) if checks.failed > 0 => 1,
        Ok(()) => 0,
    };
    info!("stack high-water mark: {=usize} bytes", stack_high_water());
    info!(
        "result: {=u32} checks passed, {=u32} failed, exit code {=i32}",
        checks.passed, checks.failed, code
    );
    semihosting::process::exit(code)
}

/// The deepest the stack has grown since reset, in bytes. cortex-m-rt's `paint-stack` fills the
/// stack region (`_stack_end` up to `_stack_start`) with `STACK_PAINT_VALUE` before `main`; the
/// lowest word no longer holding it marks the deepest point the stack reached.
fn stack_high_water() -> usize {
    extern "C" {
        static _stack_end: u32;
        static _stack_start: u32;
    }
    let bottom = &raw const _stack_end as usize;
    let top = &raw const _stack_start as usize;
    let mut addr = bottom;
    // SAFETY: every word between the two linker symbols is RAM reserved for the stack; reading
    // it (volatile, as the stack above us is live) has no side effect.
    while addr < top
        && unsafe { core::ptr::read_volatile(addr as *const u32) } == cortex_m_rt::STACK_PAINT_VALUE
    {
        addr += 4;
    }
    top - addr
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(l) => error!("panic at {=str}:{=u32}", l.file(), l.line()),
        None => error!("panic"),
    }
    semihosting::process::exit(101)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    error!("hard fault at pc {=u32:#010x}", frame.pc());
    semihosting::process::exit(102)
}
