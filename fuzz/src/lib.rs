//! Checks behind the fuzz targets of mcx-migrate, kept in a library so each target stays one
//! line and the models can be read on their own.

pub mod c_api;
pub mod client_model;
pub mod pools;
pub mod table_model;
pub mod wire_checks;

/// Runs `check` on every committed seed of `target` (`corpus/<target>`) that reads as an input;
/// fails if none does.
#[cfg(test)]
fn run_seeds<I: for<'a> arbitrary::Arbitrary<'a>>(target: &str, check: fn(&I)) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("seed corpus") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("seed");
        if let Ok(input) = I::arbitrary_take_rest(arbitrary::Unstructured::new(&bytes)) {
            check(&input);
            n += 1;
        }
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}
