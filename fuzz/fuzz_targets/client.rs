//! A private call fed random redirections, against a model of the client's documented rules.
#![no_main]

use mcx_migrate_fuzz::client_model::{check, Input};

libfuzzer_sys::fuzz_target!(|input: Input| {
    check(&input);
});
