//! The bytes on the wire of one private call redirection in each format, with and without
//! security domain information, and the migration table storage a record takes, for typical IDs
//! and for IDs at their capacities: the generated section `wire-sizes` of docs/benchmarks.md.
//!
//! ```sh
//! cargo run -p mcx-benches --example wire_sizes                  # print it, and the XML body
//! cargo run -p mcx-benches --example wire_sizes -- --write-docs  # write it into the page
//! ```
//!
//! No timing: the figures are the same on every machine, and `cargo test -p mcx-benches --test
//! docs_figures` fails when the page's section differs from them.

use std::path::PathBuf;
use std::process::ExitCode;

use mcx_benches::fixtures::redirection;
use mcx_benches::heap::HeapRedirection;
use mcx_benches::sizes::{docs_section, CHECK_COMMAND, DOCS_SECTION};
use mcx_testkit::generated::check_section_with;

fn main() -> ExitCode {
    let section = docs_section();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            print!("{section}");
            let mut body = Vec::new();
            if let Err(e) =
                mcx_benches::xml::write(&HeapRedirection::from(&redirection(true)), &mut body)
            {
                eprintln!("wire_sizes: xml: {e}");
                return ExitCode::FAILURE;
            }
            println!(
                "\nThe XML body with security domain info ({}):\n\n{}",
                mcx_benches::xml::CONTENT_TYPE,
                String::from_utf8_lossy(&body)
            );
            ExitCode::SUCCESS
        }
        [flag] if flag == "--write-docs" => {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md");
            match check_section_with(&docs, DOCS_SECTION, &section, CHECK_COMMAND, true) {
                Ok(()) => {
                    print!("{section}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("wire_sizes: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: wire_sizes [--write-docs]");
            ExitCode::FAILURE
        }
    }
}
