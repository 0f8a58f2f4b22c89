//! Arbitrary bytes into every decoder: `decode_message`, `decode_frame` (on a copy), and each
//! typed `wire::decode` / `M::decode`. Never panics; the decoders agree; an accepted message
//! validates and encodes again.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mcx_migrate_fuzz::wire_checks::check_decode_any(data);
});
