//! Prints the bytes on the wire of one private call redirection in each format, with and without
//! security domain information, as Markdown; and the size of the migration tables benchmarked.
//!
//! `cargo run -p mcx-benches --example wire_sizes`

use mcx_benches::fixtures::{redirection, table_bytes};
use mcx_benches::heap::HeapRedirection;
use mcx_benches::sizes::WireSizes;

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
        "\nsize_of::<MigrationTable<N>>(): N=16: {} B, N=256: {} B, N=4096: {} B",
        table_bytes::<16>(),
        table_bytes::<256>(),
        table_bytes::<4096>()
    );
}
