//! For every accepted input: decode → encode → decode is the identity, and the encoding is the
//! input itself (the decoder refuses over-long postcard varints).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mcx_migrate_fuzz::wire_checks::check_roundtrip(data);
});
