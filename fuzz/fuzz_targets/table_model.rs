//! Random sequences of migration updates, lookups, server decisions and snapshot restores on a
//! `MigrationTable` over 32 to 2048 bytes of storage against a model of the documented
//! policy, bytes included.
#![no_main]

use mcx_migrate_fuzz::table_model::{check, Input};

libfuzzer_sys::fuzz_target!(|input: Input| {
    check(&input);
});
