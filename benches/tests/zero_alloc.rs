//! The zero-allocation proof: a counting global allocator shows that encoding, decoding,
//! migration table lookup, update, snapshot and restore, the server's decision and
//! the client's handling of a private call redirection never touch the heap.
//!
//! This file is its own test binary because it replaces the global allocator. The count is per
//! thread, so the test harness's own allocations on other threads never leak into a measurement
//! and the tests may run in parallel. Fixtures are built (and allowed to allocate) before each
//! measured closure; only the closure is counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use mcx_benches::fixtures::{
    member, member_primary, redirection, request, storage_for, table, table_filled, KMS_B,
    SYSTEM_B, USER2_AT_B, USER2_PRIMARY,
};
use mcx_benches::heap::HeapRedirection;
use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::{decide, Decision, RejectReason};
use mcx_migrate::table::{ArrayTable, Change, MigrationTable, Record, VisitorState};
use mcx_migrate::wire::{
    decode_frame, decode_message, MAX_ENCODED_LEN, MAX_FRAME_LEN, REDIRECTION_MAX_ENCODED_LEN,
    REQUEST_MAX_ENCODED_LEN,
};
use mcx_migrate::{
    McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, PrivateCallRedirection,
    PrivateCallRequest, RedirectionError, SecurityDomainInfo, SnapshotError, TableError,
};

thread_local! {
    /// Allocations (alloc, alloc_zeroed, realloc) made by this thread so far. `const`-initialised
    /// and without a destructor, so reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting every allocation per thread.
struct CountingAllocator;

fn count_one() {
    // `try_with`: during thread teardown the slot may be gone; such allocations are outside any
    // measurement anyway.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; counting touches only a
// thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged, see above.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged, see above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged, see above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged, see above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the number of allocations it made on this thread.
fn allocations_during<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = black_box(f());
    let after = ALLOCATIONS.with(Cell::get);
    (result, after - before)
}

/// Asserts that `f` allocates nothing, and returns its result for further checks.
#[track_caller]
fn assert_no_allocation<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (result, n) = allocations_during(f);
    assert_eq!(n, 0, "{what} allocated {n} time(s)");
    result
}

#[test]
fn the_counter_sees_every_allocation() {
    // Without this the other tests could pass with a counter that never counts.
    let (_, n) = allocations_during(|| black_box(Box::new(black_box(7u64))));
    assert_eq!(n, 1, "one Box is one allocation");
    let (_, n) = allocations_during(|| {
        let mut v: Vec<u8> = Vec::with_capacity(1);
        v.extend_from_slice(black_box(&[1, 2, 3]));
        v
    });
    assert_eq!(n, 2, "an allocation and a reallocation");
    // The formats the benchmarks compare against do allocate: the counter is on in this binary.
    let heap = HeapRedirection::from(&redirection(true));
    let mut body = Vec::new();
    mcx_benches::xml::write(&heap, &mut body).unwrap();
    let (parsed, n) = allocations_during(|| mcx_benches::xml::parse(&body).unwrap());
    assert!(n >= 4, "quick-xml into owned strings: {n} allocations");
    assert_eq!(parsed, heap);
}

#[test]
fn encoding_a_private_call_redirection_allocates_nothing() {
    for with_sdi in [false, true] {
        let r = redirection(with_sdi);
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        let n = assert_no_allocation("encode", || r.encode(&mut buf).unwrap());
        assert!(n > 0);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = assert_no_allocation("encode_frame", || r.encode_frame(&mut frame).unwrap());
        assert!(n > 0);
    }
    let req = request(true);
    let mut buf = [0u8; REQUEST_MAX_ENCODED_LEN];
    assert_no_allocation("encode request", || req.encode(&mut buf).unwrap());
}

#[test]
fn decoding_a_private_call_redirection_allocates_nothing() {
    for with_sdi in [false, true] {
        let r = redirection(with_sdi);
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        let n = r.encode(&mut buf).unwrap();
        let bytes = &buf[..n];
        let decoded =
            assert_no_allocation("decode", || PrivateCallRedirection::decode(bytes).unwrap());
        assert_eq!(decoded, r);
        assert_no_allocation("decode any message", || decode_message(bytes).unwrap());
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = r.encode_frame(&mut frame).unwrap();
        assert_no_allocation("decode frame", || {
            decode_frame(&mut frame[..n]).unwrap();
        });
        // Rejecting bad input allocates nothing either.
        assert_no_allocation("decode truncated", || {
            PrivateCallRedirection::decode(&bytes[..n / 2]).unwrap_err()
        });
    }
}

#[test]
fn migration_table_lookup_allocates_nothing() {
    let t = table(256);
    let hit = member_primary(200);
    let found = assert_no_allocation("lookup hit", || t.lookup(&hit).is_some());
    assert!(found);
    let miss = member_primary(1000);
    let found = assert_no_allocation("lookup miss", || t.lookup(&miss).is_some());
    assert!(!found);
}

#[test]
fn migration_table_update_allocates_nothing() {
    // Storage for 64 members, 63 of them in it.
    let mut t = table_filled(64, 63);
    let (m63, m0, m1) = (member(63), member(0), member(1));
    let insert = m63.update();
    let replace = m0.update();
    let returned = m1.returned();
    let visitor = McServiceIdRef::new("sip:guest-1@mc-a.example").unwrap();
    let registered = MigrationUpdate::VisitorRegistered {
        local_id: visitor,
        primary_id: McServiceIdRef::new("sip:guest-1@mc-z.example").unwrap(),
        primary_system: McSystemIdRef::new("mc-z.example").unwrap(),
        primary_security_domain_info: Some(SecurityDomainInfo::new(KMS_B).unwrap()),
    };
    let departed = MigrationUpdate::VisitorDeparted { local_id: visitor };
    let primary_500 = member_primary(500);
    let full_insert = MigrationUpdate::Migrated(Migration {
        primary_id: McServiceIdRef::new(&primary_500).unwrap(),
        partner_system: McSystemIdRef::new(SYSTEM_B).unwrap(),
        partner_id: McServiceIdRef::new(USER2_AT_B).unwrap(),
        security_domain_info: None,
    });
    let steps = [
        (&insert, Change::Inserted),
        (&replace, Change::Replaced),
        (&returned, Change::Removed),
        (&registered, Change::Inserted),
        (&departed, Change::MarkedDeparted),
    ];
    for (update, change) in steps {
        let applied = assert_no_allocation("apply", || t.apply(update).unwrap());
        assert_eq!(applied.change, change);
    }
    // The storage is full now: the next insert evicts the departed visitor.
    assert_eq!(t.len(), 64);
    let applied = assert_no_allocation("apply with eviction", || t.apply(&full_insert).unwrap());
    assert_eq!(applied.change, Change::Inserted);
    assert_eq!(applied.evicted, 1);
    assert_eq!(t.len(), 64);
    // Refused updates allocate nothing either: the visitor is gone, and with no departed record
    // left to evict a new member does not fit.
    let err = assert_no_allocation("refused apply", || t.apply(&departed).unwrap_err());
    assert_eq!(err, TableError::NotVisiting);
    let m501 = member(501);
    let one_more = m501.update();
    let err = assert_no_allocation("apply to a full table", || t.apply(&one_more).unwrap_err());
    assert_eq!(err, TableError::TableFull);
    assert_eq!(t.len(), 64);
}

#[test]
fn migration_table_snapshot_and_restore_allocate_nothing() {
    let mut t = table(64);
    let visitor = McServiceIdRef::new("sip:guest-1@mc-a.example").unwrap();
    t.apply(&member(0).returned()).unwrap();
    t.apply(&MigrationUpdate::VisitorRegistered {
        local_id: visitor,
        primary_id: McServiceIdRef::new("sip:guest-1@mc-z.example").unwrap(),
        primary_system: McSystemIdRef::new("mc-z.example").unwrap(),
        primary_security_domain_info: None,
    })
    .unwrap();
    t.apply(&MigrationUpdate::VisitorDeparted { local_id: visitor })
        .unwrap();
    let mut buf = vec![0u8; t.max_snapshot_len()];
    let mut restored = MigrationTable::new(vec![0u8; storage_for(64)]).unwrap();
    let n = assert_no_allocation("snapshot", || t.snapshot(&mut buf).unwrap());
    assert_no_allocation("restore", || restored.restore(&buf[..n]).unwrap());
    assert_eq!(restored.len(), t.len());
    assert!(t
        .iter()
        .all(|(key, record)| restored.lookup(&key) == Some(record)));
    assert!(matches!(
        restored.lookup("sip:guest-1@mc-a.example"),
        Some(Record::Visiting(v)) if v.state == VisitorState::Departed
    ));
    // Refusals allocate nothing either: a snapshot cut short, a buffer too short.
    assert_no_allocation("restore refused", || {
        restored.restore(&buf[..n - 1]).unwrap_err()
    });
    let err = assert_no_allocation("snapshot refused", || {
        t.snapshot(&mut buf[..n - 1]).unwrap_err()
    });
    assert_eq!(err, SnapshotError::BufferTooSmall { needed: n });
    // A stack buffer and a table over borrowed stack bytes work the same.
    let mut storage = [0u8; 512];
    let mut small = MigrationTable::new(&mut storage[..]).unwrap();
    let err = assert_no_allocation("restore into too small a table", || {
        small.restore(&buf[..n]).unwrap_err()
    });
    assert!(
        matches!(err, SnapshotError::TableTooSmall { .. }),
        "{err:?}"
    );
    assert!(small.is_empty());
}

#[test]
fn server_decision_allocates_nothing() {
    let t = table(256);
    let Decision::Redirect(redir) =
        assert_no_allocation("decide redirect", || decide(&t, &request(true)))
    else {
        panic!("user 2 migrated: expected a redirection")
    };
    assert_eq!(redir.target_migrated.as_str(), USER2_AT_B);
    // Tables over storage that is not on the heap: an array the table owns, borrowed stack bytes.
    let empty = ArrayTable::<256>::EMPTY;
    let proceed = assert_no_allocation("decide proceed", || decide(&empty, &request(true)));
    assert_eq!(proceed, Decision::Proceed);
    let mut storage = [0u8; 256];
    let mut no_sdi = MigrationTable::new(&mut storage[..]).unwrap();
    no_sdi
        .apply(&MigrationUpdate::Migrated(Migration {
            primary_id: McServiceIdRef::new(USER2_PRIMARY).unwrap(),
            partner_system: McSystemIdRef::new(SYSTEM_B).unwrap(),
            partner_id: McServiceIdRef::new(USER2_AT_B).unwrap(),
            security_domain_info: None,
        }))
        .unwrap();
    let reject = assert_no_allocation("decide reject", || decide(&no_sdi, &request(true)));
    assert_eq!(
        reject,
        Decision::Reject(RejectReason::SecurityDomainInfoUnavailable)
    );
}

#[test]
fn client_redirection_handling_allocates_nothing() {
    let redir = redirection(true);
    let mut call: PrivateCall = PrivateCall::start(request(true));
    let target = assert_no_allocation("on_redirection", || {
        call.on_redirection(&redir).unwrap().target.to_owned_id()
    });
    assert_eq!(target.as_str(), USER2_AT_B);
    // The same redirection again no longer answers the outstanding request (to B): refused,
    // without allocating.
    let err = assert_no_allocation("on_redirection refused", || {
        call.on_redirection(&redir).unwrap_err()
    });
    assert_eq!(err, RedirectionError::MismatchedTarget);
}

#[test]
fn the_procedure_from_bytes_to_bytes_allocates_nothing() {
    // Server A: request bytes in, redirection bytes out; client 1: redirection bytes in, the
    // request to the partner-assigned ID out (steps 1, 2, 3, 5).
    let t = table(256);
    let mut call: PrivateCall = PrivateCall::start(request(true));
    let mut request_bytes = [0u8; MAX_ENCODED_LEN];
    let mut redirection_bytes = [0u8; MAX_ENCODED_LEN];
    let n = call.request().encode(&mut request_bytes).unwrap();
    let sent = assert_no_allocation("server and client from bytes to bytes", || {
        let received = PrivateCallRequest::decode(&request_bytes[..n]).unwrap();
        let Decision::Redirect(redir) = decide(&t, &received) else {
            return 0;
        };
        let m = redir.encode(&mut redirection_bytes).unwrap();
        let redir = PrivateCallRedirection::decode(&redirection_bytes[..m]).unwrap();
        call.on_redirection(&redir)
            .unwrap()
            .encode(&mut request_bytes)
            .unwrap()
    });
    let next = PrivateCallRequest::decode(&request_bytes[..sent]).unwrap();
    assert_eq!(next.target, USER2_AT_B);
    assert_eq!(next.security_domain_info.unwrap().kms_uri, KMS_B);
}
