//! The C ABI called through its `extern "C"` functions with hostile arguments (NULL,
//! misaligned, uninitialised, garbage and wrong-kind objects, random bytes and C strings,
//! out-of-range numbers, short buffers): listed status codes only, failed calls change nothing,
//! short buffers report a length that suffices, nothing panics.
#![no_main]

use mcx_migrate_fuzz::c_api::{check, Op};

libfuzzer_sys::fuzz_target!(|ops: Vec<Op>| {
    check(&ops);
});
