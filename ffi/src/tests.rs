//! Rust-side tests of the C ABI that C cannot express without undefined behaviour of its own
//! (misaligned objects), and a deterministic garbage-bytes sweep over every decoding entry point.

use core::ffi::CStr;

use crate::abi::test_support::{free, message_bytes, static_str, zeroed, zeroed_bytes_of};
use crate::status::STATUS_TABLE;
use crate::*;

const USER1: &CStr = c"sip:user1@mc-a.example";
const USER2: &CStr = c"sip:user2@mc-a.example";
const USER2_AT_B: &CStr = c"sip:visitor-0042@mc-b.example";
const SYSTEM_B: &CStr = c"mc-b.example";
const KMS_B: &CStr = c"https://kms.mc-b.example/kms";

/// The Rust value in an initialised message (its encoding), to compare after a call.
fn message_state(msg: &mcx_message_t) -> crate::message::Encoded {
    crate::abi::object(msg)
        .expect("an initialised message")
        .clone()
}

/// The Rust value in an initialised call, to compare after a call.
fn call_state(call: &mcx_call_t) -> crate::client::Call {
    crate::abi::object(call)
        .expect("an initialised call")
        .clone()
}

/// Rounds of the garbage sweep: fewer under Miri, which interprets every call (the host count
/// takes it minutes there; a few hundred still reach every decoder's error paths).
const GARBAGE_ROUNDS: usize = if cfg!(miri) { 150 } else { 6000 };

/// Every `SNAPSHOT_BIT_STRIDE`-th bit of a snapshot is flipped, and it is cut at every
/// `SNAPSHOT_BIT_STRIDE`-th length: every one on the host, a sample under Miri (a prime stride,
/// so each bit position within a byte is still hit).
const SNAPSHOT_BIT_STRIDE: usize = if cfg!(miri) { 61 } else { 1 };

/// `msg`'s encoding, as `mcx_message_encode` writes it (which must succeed).
fn encoding_of(msg: &mcx_message_t) -> std::vec::Vec<u8> {
    let mut wire = [0u8; MCX_MAX_ENCODED_LEN];
    let mut len = 0usize;
    assert_eq!(
        mcx_message_encode(msg, wire.as_mut_ptr(), wire.len(), &mut len),
        MCX_OK
    );
    wire[..len].to_vec()
}

#[test]
fn misaligned_object_pointers_are_refused_as_misaligned() {
    let mut storage = zeroed::<[mcx_table_t; 2]>();
    let misaligned = storage
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<mcx_table_t>();
    let mut records = [0u8; 64];
    assert_eq!(
        mcx_table_init(misaligned, records.as_mut_ptr().cast(), records.len()),
        MCX_E_MISALIGNED
    );
    let mut len = 0usize;
    assert_eq!(mcx_table_len(misaligned, &mut len), MCX_E_MISALIGNED);
    assert!(
        zeroed_bytes_of(&*storage).iter().all(|&b| b == 0),
        "nothing written"
    );
}

/// Bytes of a test table's storage.
const TEST_STORAGE_LEN: usize = 2048;

/// A test table's records: storage that outlives the table, freed when dropped.
struct Records(*mut [u8]);

impl Drop for Records {
    fn drop(&mut self) {
        // Made by `Box::into_raw` in `init_table`, freed once, here.
        free(self.0);
    }
}

/// Initialises `table` over fresh storage of [`TEST_STORAGE_LEN`] bytes, which the returned
/// value keeps alive.
fn init_table(table: *mut mcx_table_t) -> Records {
    let storage = std::boxed::Box::into_raw(std::vec![0u8; TEST_STORAGE_LEN].into_boxed_slice());
    assert_eq!(
        mcx_table_init(table, storage.cast::<u8>().cast(), TEST_STORAGE_LEN),
        MCX_OK
    );
    Records(storage)
}

#[test]
fn table_storage_is_checked_before_anything_is_written_and_any_alignment_works() {
    let mut table = zeroed::<mcx_table_t>();
    let mut records = [0xA5u8; 4 * MCX_TABLE_MIN_STORAGE_LEN + 1];
    assert_eq!(
        mcx_table_init(&mut *table, core::ptr::null_mut(), 64),
        MCX_E_NULL_ARGUMENT
    );
    assert_eq!(
        mcx_table_init(
            &mut *table,
            records.as_mut_ptr().cast(),
            MCX_TABLE_MIN_STORAGE_LEN - 1
        ),
        MCX_E_TABLE_STORAGE_TOO_SMALL
    );
    assert!(
        zeroed_bytes_of(&*table).iter().all(|&b| b == 0),
        "handle untouched"
    );
    assert!(records.iter().all(|&b| b == 0xA5), "storage untouched");
    let mut len = 1usize;
    assert_eq!(mcx_table_len(&*table, &mut len), MCX_E_NOT_INITIALISED);
    // An odd address works: the table reads its storage byte by byte.
    let odd = records.as_mut_ptr().wrapping_add(1);
    assert_eq!(
        mcx_table_init(&mut *table, odd.cast(), 4 * MCX_TABLE_MIN_STORAGE_LEN),
        MCX_OK
    );
    assert_eq!(mcx_table_len(&*table, &mut len), MCX_OK);
    assert_eq!(len, 0);
    let mut used = 0usize;
    assert_eq!(mcx_table_bytes_in_use(&*table, &mut used), MCX_OK);
    assert_eq!(used, MCX_TABLE_MIN_STORAGE_LEN);
    assert_eq!(
        mcx_table_storage_len(10, 100),
        10 * (MCX_TABLE_RECORD_HEADER_LEN + 100 + 2 * MCX_TABLE_BUCKET_LEN)
            + MCX_TABLE_MIN_STORAGE_LEN,
        "the header's MCX_TABLE_STORAGE_LEN formula"
    );
}

#[test]
fn status_str_is_a_static_nul_terminated_string_for_every_code() {
    for entry in STATUS_TABLE {
        let text = static_str(mcx_status_str(entry.code));
        assert_eq!(
            text.to_str().ok(),
            Some(entry.description.trim_end_matches('\0'))
        );
    }
}

/// xorshift64*: deterministic pseudo-random bytes, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Every decoding entry point, fed random and mutated-valid bytes: each call returns OK or a
/// listed code, never crashes, and leaves its object unchanged when it fails.
#[test]
fn garbage_bytes_give_listed_codes_and_leave_objects_unchanged() {
    let known = |rc: mcx_status| STATUS_TABLE.iter().any(|e| e.code == rc as i32);
    let mut table = zeroed::<mcx_table_t>();
    let mut call = zeroed::<mcx_call_t>();
    let mut msg = zeroed::<mcx_message_t>();
    let _records = init_table(&mut *table);
    assert_eq!(
        mcx_message_init_migrated(
            &mut *msg,
            USER2.as_ptr(),
            SYSTEM_B.as_ptr(),
            USER2_AT_B.as_ptr(),
            KMS_B.as_ptr()
        ),
        MCX_OK
    );
    assert_eq!(mcx_table_apply(&mut *table, &*msg), MCX_OK);
    let mut seeds: std::vec::Vec<std::vec::Vec<u8>> = std::vec::Vec::new();
    seeds.push(encoding_of(&msg));
    assert_eq!(
        mcx_message_init_request(
            &mut *msg,
            0,
            USER1.as_ptr(),
            USER2.as_ptr(),
            true,
            core::ptr::null()
        ),
        MCX_OK
    );
    assert_eq!(mcx_call_start(&mut *call, &*msg), MCX_OK);
    seeds.push(encoding_of(&msg));
    let mut buf = [0u8; MCX_MAX_ENCODED_LEN];
    let (mut out_len, mut decision, mut reject) = (0usize, MCX_DECISION_PROCEED, MCX_OK);
    assert_eq!(
        mcx_server_decide(
            &*table,
            &*msg,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out_len,
            &mut decision,
            &mut reject
        ),
        MCX_OK
    );
    seeds.push(buf[..out_len].to_vec());

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..GARBAGE_ROUNDS {
        let mut input = if round % 3 == 0 {
            (0..rng.next() % 80).map(|_| rng.next() as u8).collect()
        } else {
            let mut v = seeds[round % seeds.len()].clone();
            for _ in 0..1 + rng.next() % 3 {
                let i = (rng.next() as usize) % v.len();
                v[i] = rng.next() as u8;
            }
            v.truncate(v.len() - (rng.next() as usize % 2));
            v
        };
        let (p, n) = (input.as_ptr(), input.len());

        let before = message_state(&msg);
        let rc = mcx_message_decode(&mut *msg, p, n);
        assert!(known(rc), "decode: unlisted code {rc}");
        if rc != MCX_OK {
            assert_eq!(
                message_state(&msg),
                before,
                "decode changed the message on {rc}"
            );
        }
        let before = snapshot_of(&table);
        let rc = mcx_table_apply_bytes(&mut *table, p, n);
        assert!(known(rc), "apply: unlisted code {rc}");
        if rc != MCX_OK {
            assert_eq!(
                snapshot_of(&table),
                before,
                "apply changed the table on {rc}"
            );
        }
        let before = call_state(&call);
        let rc = mcx_call_on_redirection_bytes(&mut *call, p, n);
        assert!(known(rc), "redirection: unlisted code {rc}");
        if rc != MCX_OK {
            assert_eq!(
                call_state(&call),
                before,
                "on_redirection changed the call on {rc}"
            );
        }
        let rc = mcx_server_decide_bytes(
            &*table,
            p,
            n,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out_len,
            &mut decision,
            &mut reject,
        );
        assert!(known(rc), "decide: unlisted code {rc}");
        let rc = mcx_message_decode_frame(&mut *msg, input.as_mut_ptr(), n);
        assert!(known(rc), "frame: unlisted code {rc}");
    }
}

/// Applies migration update `msg` (built by the caller) to `table`.
fn apply_ok(table: &mut mcx_table_t, msg: &mcx_message_t) {
    assert_eq!(mcx_table_apply(table, msg), MCX_OK);
}

/// A table with every kind of record: migrated away, present visitor, departed visitor.
fn mixed_table() -> (std::boxed::Box<mcx_table_t>, Records) {
    let mut table = zeroed::<mcx_table_t>();
    let mut msg = zeroed::<mcx_message_t>();
    let records = init_table(&mut *table);
    let migrated = mcx_message_init_migrated(
        &mut *msg,
        USER2.as_ptr(),
        SYSTEM_B.as_ptr(),
        USER2_AT_B.as_ptr(),
        KMS_B.as_ptr(),
    );
    assert_eq!(migrated, MCX_OK);
    apply_ok(&mut table, &msg);
    for visitor in [c"sip:v1@mc-a.example", c"sip:v2@mc-a.example"] {
        let registered = mcx_message_init_visitor_registered(
            &mut *msg,
            visitor.as_ptr(),
            c"sip:x@mc-b.example".as_ptr(),
            SYSTEM_B.as_ptr(),
            KMS_B.as_ptr(),
        );
        assert_eq!(registered, MCX_OK);
        apply_ok(&mut table, &msg);
    }
    let departed = mcx_message_init_visitor_departed(&mut *msg, c"sip:v1@mc-a.example".as_ptr());
    assert_eq!(departed, MCX_OK);
    apply_ok(&mut table, &msg);
    (table, records)
}

/// The snapshot of `table`, taken through the C API.
fn snapshot_of(table: &mcx_table_t) -> std::vec::Vec<u8> {
    let mut buf = std::vec![0u8; TEST_STORAGE_LEN + MCX_TABLE_SNAPSHOT_OVERHEAD];
    let mut len = 0usize;
    assert_eq!(
        mcx_table_snapshot(table, buf.as_mut_ptr(), buf.len(), &mut len),
        MCX_OK
    );
    buf.truncate(len);
    buf
}

/// Issue 8, fault test through the C API: every single-bit flip and every truncation of a valid
/// snapshot is refused with a `MCX_E_SNAPSHOT_*` code, and the table it was offered to stays
/// as it was: the same snapshot, so the same records and eviction order (here a table holding
/// other records, so a half-load would show; the C tests compare its bytes). Under Miri a
/// sample of them ([`SNAPSHOT_BIT_STRIDE`]).
#[test]
fn every_bit_flip_and_truncation_of_a_snapshot_is_refused_and_leaves_the_table_unchanged() {
    let (mixed, _mixed_records) = mixed_table();
    let snapshot = snapshot_of(&mixed);
    let mut table = zeroed::<mcx_table_t>();
    let mut msg = zeroed::<mcx_message_t>();
    let _records = init_table(&mut *table);
    let other = mcx_message_init_migrated(
        &mut *msg,
        USER1.as_ptr(),
        c"mc-c.example".as_ptr(),
        c"tel:+4930555001".as_ptr(),
        core::ptr::null(),
    );
    assert_eq!(other, MCX_OK);
    apply_ok(&mut table, &msg);
    let before = snapshot_of(&table);
    let is_snapshot_code = |rc: mcx_status| (-4799..=-4701).contains(&(rc as i32));

    let mut refused = 0usize;
    for bit in (0..snapshot.len() * 8).step_by(SNAPSHOT_BIT_STRIDE) {
        let mut bytes = snapshot.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let rc = mcx_table_restore(
            &mut *table,
            bytes.as_ptr(),
            bytes.len(),
            core::ptr::null_mut(),
        );
        assert!(is_snapshot_code(rc), "bit {bit} flipped: {rc}");
        assert_eq!(
            snapshot_of(&table),
            before,
            "bit {bit} flipped: table changed"
        );
        refused += 1;
    }
    for len in (0..snapshot.len()).step_by(SNAPSHOT_BIT_STRIDE) {
        let rc = mcx_table_restore(&mut *table, snapshot.as_ptr(), len, core::ptr::null_mut());
        assert!(is_snapshot_code(rc), "truncated to {len}: {rc}");
        assert_eq!(
            snapshot_of(&table),
            before,
            "truncated to {len}: table changed"
        );
        refused += 1;
    }
    assert_eq!(
        refused,
        (snapshot.len() * 8).div_ceil(SNAPSHOT_BIT_STRIDE)
            + snapshot.len().div_ceil(SNAPSHOT_BIT_STRIDE)
    );

    // The unmodified snapshot is accepted, so the refusals above are the faults' doing.
    let rc = mcx_table_restore(
        &mut *table,
        snapshot.as_ptr(),
        snapshot.len(),
        core::ptr::null_mut(),
    );
    assert_eq!(rc, MCX_OK);
    assert_eq!(snapshot_of(&table), snapshot);
}

/// `mcx_table_restore` into a table too small for the snapshot writes the storage length the
/// snapshot needs (the source table's bytes in use) to `out_needed`, which may be NULL, and
/// checks that pointer like any other: misaligned, it is an invalid argument, table unchanged.
#[test]
fn restore_into_a_small_table_reports_the_storage_needed() {
    let (mixed, _records) = mixed_table();
    let snapshot = snapshot_of(&mixed);
    let mut in_use = 0usize;
    assert_eq!(mcx_table_bytes_in_use(&*mixed, &mut in_use), MCX_OK);
    let mut small = zeroed::<mcx_table_t>();
    let mut storage = [0u8; 64];
    assert_eq!(
        mcx_table_init(&mut *small, storage.as_mut_ptr().cast(), storage.len()),
        MCX_OK
    );
    let before = snapshot_of(&small);
    let restore = |table: &mut mcx_table_t, out: *mut usize| {
        mcx_table_restore(table, snapshot.as_ptr(), snapshot.len(), out)
    };

    let mut needed = 0usize;
    assert_eq!(
        restore(&mut small, &mut needed),
        MCX_E_SNAPSHOT_TABLE_TOO_SMALL
    );
    assert_eq!(needed, in_use);
    assert_eq!(
        restore(&mut small, core::ptr::null_mut()),
        MCX_E_SNAPSHOT_TABLE_TOO_SMALL
    );
    let mut words = [0usize; 2];
    let misaligned = words
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<usize>();
    assert_eq!(restore(&mut small, misaligned), MCX_E_MISALIGNED);
    assert_eq!(
        words,
        [0, 0],
        "nothing written through a misaligned pointer"
    );
    assert_eq!(snapshot_of(&small), before, "the small table is unchanged");
}

#[test]
fn version_macros_are_the_crate_version_and_mcx_version_returns_it() {
    let part = |p: &str| p.parse::<u32>().expect("a number");
    assert_eq!(MCX_VERSION_MAJOR, part(env!("CARGO_PKG_VERSION_MAJOR")));
    assert_eq!(MCX_VERSION_MINOR, part(env!("CARGO_PKG_VERSION_MINOR")));
    assert_eq!(MCX_VERSION_PATCH, part(env!("CARGO_PKG_VERSION_PATCH")));
    let text = static_str(mcx_version());
    assert_eq!(text.to_str(), Ok(env!("CARGO_PKG_VERSION")));
}

/// The C enum arguments are checked integers: every enumerator's value maps to it, any other
/// value to nothing (`MCX_E_INVALID_ARGUMENT`), and no enum value is made from it.
#[test]
fn enum_arguments_accept_exactly_their_enumerators() {
    for value in [0, 11, 0xFE, 0x100, u32::MAX] {
        assert_eq!(crate::message::McxField::from_c(value), None, "{value}");
    }
    for value in 1..=10 {
        assert_eq!(
            crate::message::McxField::from_c(value).map(|f| f as u32),
            Some(value)
        );
    }
    for value in [2, 0xFE, 0x1FF, u32::MAX] {
        assert_eq!(crate::message::McxReason::from_c(value), None, "{value}");
    }
    for reason in [
        MCX_REASON_TARGET_MIGRATED,
        MCX_REASON_TARGET_NO_LONGER_SERVED,
        MCX_REASON_NONE,
    ] {
        assert_eq!(
            crate::message::McxReason::from_c(reason as u32),
            Some(reason)
        );
    }
    let mut msg = zeroed::<mcx_message_t>();
    for kind in [3, u32::MAX] {
        assert_eq!(
            mcx_message_init_request(
                &mut *msg,
                kind,
                USER1.as_ptr(),
                USER2.as_ptr(),
                false,
                core::ptr::null()
            ),
            MCX_E_INVALID_ARGUMENT
        );
    }
    assert_eq!(
        mcx_message_init_request(
            &mut *msg,
            MCX_SERVICE_MCDATA_ONE_TO_ONE as u32,
            USER1.as_ptr(),
            USER2.as_ptr(),
            false,
            core::ptr::null()
        ),
        MCX_OK
    );
    let (mut buf, mut len) = ([0u8; 64], 0usize);
    assert_eq!(
        mcx_message_field(&*msg, 11, buf.as_mut_ptr().cast(), buf.len(), &mut len),
        MCX_E_INVALID_ARGUMENT
    );
    assert_eq!(
        mcx_message_field(
            &*msg,
            MCX_FIELD_TARGET as u32,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut len
        ),
        MCX_OK
    );
    assert_eq!(len, USER2.to_bytes().len());
}

/// Bytes of `mcx_message_t` before its encoding: the magic word and the length.
const MESSAGE_HEADER_LEN: usize = 6;

/// `mcx_message_t` holds the message's encoding: the bytes `mcx_message_encode` writes (copied
/// out, the same bytes `mcx_message_decode` was given), after the magic word and the length,
/// then zeros to the end. So every byte is defined whatever the storage held before.
#[test]
fn a_message_is_stored_as_its_encoding_then_zeros() {
    let mut msg = zeroed::<mcx_message_t>();
    message_bytes(&mut msg).fill(0xA5);
    assert_eq!(
        mcx_message_init_redirection(
            &mut *msg,
            MCX_SERVICE_MCVIDEO_PRIVATE_CALL as u32,
            USER1.as_ptr(),
            USER2.as_ptr(),
            USER2_AT_B.as_ptr(),
            true,
            KMS_B.as_ptr(),
            MCX_REASON_TARGET_MIGRATED as u32,
        ),
        MCX_OK
    );
    let wire = encoding_of(&msg);
    let len = wire.len();
    let stored = message_bytes(&mut msg).to_vec();
    assert_eq!(stored[..4], 0x4D43_584Du32.to_ne_bytes(), "the magic word");
    assert_eq!(stored[4..6], (len as u16).to_ne_bytes(), "the length");
    let end = MESSAGE_HEADER_LEN + len;
    assert_eq!(stored[MESSAGE_HEADER_LEN..end], wire[..]);
    assert!(stored[end..].iter().all(|&b| b == 0), "zeros after it");

    // Decoding stores the bytes it was given, which are what encoding gives back.
    let mut decoded = zeroed::<mcx_message_t>();
    message_bytes(&mut decoded).fill(0x5A);
    assert_eq!(
        mcx_message_decode(&mut *decoded, wire.as_ptr(), len),
        MCX_OK
    );
    assert_eq!(message_bytes(&mut decoded), &stored[..]);
}

/// Every field at its capacity: the longest message (a "visitor registered" update) takes
/// `MCX_MAX_ENCODED_LEN` bytes, and `mcx_message_t` holds it; its fields read back whole.
#[test]
fn the_longest_message_fits_the_storage() {
    let filled = |prefix: &str, len: usize| {
        let mut s = std::string::String::from(prefix);
        s.extend(core::iter::repeat_n('x', len - prefix.len()));
        std::ffi::CString::new(s).expect("no NUL")
    };
    let id = filled("sip:", MCX_MC_SERVICE_ID_CAPACITY);
    let kms = filled("https:", MCX_KMS_URI_CAPACITY);
    // Four labels of 61 bytes and one of 5, with their dots: 253 bytes.
    let mut system = std::vec![std::string::String::from("x").repeat(61); 4];
    system.push(std::string::String::from("yyyyy"));
    let system = std::ffi::CString::new(system.join(".")).expect("no NUL");
    assert_eq!(system.as_bytes().len(), MCX_MC_SYSTEM_ID_CAPACITY);

    let mut msg = zeroed::<mcx_message_t>();
    assert_eq!(
        mcx_message_init_visitor_registered(
            &mut *msg,
            id.as_ptr(),
            id.as_ptr(),
            system.as_ptr(),
            kms.as_ptr()
        ),
        MCX_OK
    );
    let len = encoding_of(&msg).len();
    assert_eq!(len, MCX_MAX_ENCODED_LEN);
    assert_eq!(
        MESSAGE_HEADER_LEN + len,
        MCX_MESSAGE_SIZE - 1,
        "one byte of padding"
    );
    let mut text = [0u8; MCX_MAX_STRING_LEN + 1];
    let mut text_len = 0usize;
    assert_eq!(
        mcx_message_field(
            &*msg,
            MCX_FIELD_PRIMARY_SYSTEM as u32,
            text.as_mut_ptr().cast(),
            text.len(),
            &mut text_len
        ),
        MCX_OK
    );
    assert_eq!(&text[..text_len], system.as_bytes());
    // A buffer one byte short gets the length needed.
    let mut wire = [0u8; MCX_MAX_ENCODED_LEN];
    assert_eq!(
        mcx_message_encode(&*msg, wire.as_mut_ptr(), len - 1, &mut text_len),
        MCX_E_BUFFER_TOO_SMALL
    );
    assert_eq!(text_len, MCX_MAX_ENCODED_LEN);
}

/// A failed builder or decoder leaves the message exactly as it was: the encoder and the
/// decoder check everything before the storage is written.
#[test]
fn a_failed_build_or_decode_leaves_the_message_unchanged() {
    let mut msg = zeroed::<mcx_message_t>();
    assert_eq!(mcx_message_init_returned(&mut *msg, USER2.as_ptr()), MCX_OK);
    let before = message_bytes(&mut msg).to_vec();
    // E2EE without security domain information: refused by the encoder.
    assert_eq!(
        mcx_message_init_redirection(
            &mut *msg,
            MCX_SERVICE_MCPTT_PRIVATE_CALL as u32,
            USER1.as_ptr(),
            USER2.as_ptr(),
            USER2_AT_B.as_ptr(),
            true,
            core::ptr::null(),
            MCX_REASON_NONE as u32,
        ),
        MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO
    );
    assert_eq!(message_bytes(&mut msg), &before[..]);
    assert_eq!(
        mcx_message_init_request(
            &mut *msg,
            0,
            USER1.as_ptr(),
            c"not an id".as_ptr(),
            false,
            core::ptr::null()
        ),
        MCX_E_ID_INVALID_URI
    );
    assert_eq!(message_bytes(&mut msg), &before[..]);
    let mut trailing = before[MESSAGE_HEADER_LEN..].to_vec();
    trailing.truncate(usize::from(u16::from_ne_bytes([before[4], before[5]])) + 1);
    assert_eq!(
        mcx_message_decode(&mut *msg, trailing.as_ptr(), trailing.len()),
        MCX_E_DECODE_TRAILING_BYTES
    );
    assert_eq!(message_bytes(&mut msg), &before[..]);
}

/// Storage C wrote into by hand behind an intact magic word gives decode errors, never a
/// crash, and never an invalid message out of `mcx_message_encode`.
#[test]
fn a_message_overwritten_by_hand_reads_as_a_decode_error() {
    let mut msg = zeroed::<mcx_message_t>();
    assert_eq!(mcx_message_init_returned(&mut *msg, USER2.as_ptr()), MCX_OK);
    let mut wire = [0u8; MCX_MAX_ENCODED_LEN];
    let mut len = 0usize;
    let mut kind = MCX_MESSAGE_PRIVATE_CALL_REQUEST;
    // A length beyond the storage.
    message_bytes(&mut msg)[4..6].copy_from_slice(&u16::MAX.to_ne_bytes());
    assert_eq!(mcx_message_type(&*msg, &mut kind), MCX_E_DECODE_TRUNCATED);
    assert_eq!(
        mcx_message_encode(&*msg, wire.as_mut_ptr(), wire.len(), &mut len),
        MCX_E_DECODE_TRUNCATED
    );
    // A broken wire format version.
    assert_eq!(mcx_message_init_returned(&mut *msg, USER2.as_ptr()), MCX_OK);
    message_bytes(&mut msg)[MESSAGE_HEADER_LEN] = 0x7F;
    assert_eq!(
        mcx_message_encode(&*msg, wire.as_mut_ptr(), wire.len(), &mut len),
        MCX_E_DECODE_UNSUPPORTED_VERSION
    );
    let mut table = zeroed::<mcx_table_t>();
    let _records = init_table(&mut *table);
    assert_eq!(
        mcx_table_apply(&mut *table, &*msg),
        MCX_E_DECODE_UNSUPPORTED_VERSION
    );
}
