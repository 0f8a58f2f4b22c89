//! Prints the bytes on the wire of one private call redirection in each format, with and without
//! security domain information, as Markdown; and the migration table storage a record takes, for
//! typical IDs and for IDs at their capacities.
//!
//! `cargo run -p mcx-benches --example wire_sizes`

use mcx_benches::fixtures::redirection;
use mcx_benches::heap::HeapRedirection;
use mcx_benches::sizes::{RecordSizes, WireSizes};

fn main() {
    for with_sdi in [true, false] {
        let r = redirection(with_sdi);
        let sizes = WireSizes::of(&r);
        println!(
            "\nPrivate call redirection {} security domain information:\n",
            if with_sdi { "with" } else { "without" }
        );
        println!("| format | bytes | ÷ XML bytes |");
        println!("|---|---:|---:|");
        for (format, bytes, share) in sizes.markdown_rows() {
            println!("| {format} | {bytes} | {share} |");
        }
    }
    let mut body = Vec::new();
    if let Err(e) = mcx_benches::xml::write(&HeapRedirection::from(&redirection(true)), &mut body) {
        eprintln!("xml: {e}");
        std::process::exit(1);
    }
    println!(
        "\nThe XML body ({}):\n\n{}",
        mcx_benches::xml::CONTENT_TYPE,
        String::from_utf8_lossy(&body)
    );
    println!(
        "\nMigration table storage per record (`table::storage_len`: header, strings, two index \
         buckets):\n"
    );
    println!("| IDs | string bytes | bytes per record | records per KiB | records in 64 KiB |");
    println!("|---|---:|---:|---:|---:|");
    for (ids, string_bytes, per_record, per_kib, in_64_kib) in RecordSizes::markdown_rows() {
        println!("| {ids} | {string_bytes} | {per_record} | {per_kib} | {in_64_kib} |");
    }
}
