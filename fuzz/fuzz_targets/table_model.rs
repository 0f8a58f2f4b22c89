//! Random sequences of migration updates, lookups and server decisions on a
//! `MigrationTable<8>` against a `HashMap` model of the documented policy.
#![no_main]

use mcx_migrate_fuzz::table_model::{check, Op};

libfuzzer_sys::fuzz_target!(|ops: Vec<Op>| {
    check(&ops);
});
