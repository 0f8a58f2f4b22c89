//! Bytes on the wire of one private call redirection in each format, and bytes of migration
//! table storage per record: the generated section [`DOCS_SECTION`] of docs/benchmarks.md
//! ([`docs_section`]), which `cargo run -p mcx-benches --example wire_sizes -- --write-docs`
//! writes and `benches/tests/docs_figures.rs` checks.

use mcx_migrate::config::{KMS_URI_CAPACITY, MC_SERVICE_ID_CAPACITY, MC_SYSTEM_ID_CAPACITY};
use mcx_migrate::table::storage_len;
#[cfg(test)]
use mcx_migrate::wire::FRAME_CRC_LEN;
use mcx_migrate::wire::{max_frame_len, FORMAT_VERSION, REDIRECTION_MAX_ENCODED_LEN};
use mcx_migrate::PrivateCallRedirection;

use crate::fixtures::{redirection, KMS_B, MEMBER_STRING_BYTES, USER2_AT_B, USER2_PRIMARY};
use crate::heap::HeapRedirection;

/// The generated section of docs/benchmarks.md that [`docs_section`] fills.
pub const DOCS_SECTION: &str = "wire-sizes";

/// The command that rewrites [`DOCS_SECTION`].
pub const WRITE_DOCS_COMMAND: &str =
    "cargo run -p mcx-benches --example wire_sizes -- --write-docs";

/// The test that fails when [`DOCS_SECTION`] differs from [`docs_section`].
pub const CHECK_COMMAND: &str = "cargo test -p mcx-benches --test docs_figures";

/// Target: a private call redirection takes at most this share of the XML body's bytes.
pub const WIRE_VS_XML_MAX: f64 = 0.25;

/// Encoded sizes of one redirection, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireSizes {
    /// mcx-migrate's wire format: envelope and postcard payload.
    pub postcard: usize,
    /// The same with its CRC-32C, as one COBS frame with its delimiter (for byte streams).
    pub postcard_frame: usize,
    /// The stage-3-style XML body ([`crate::xml`]).
    pub xml: usize,
    /// The JSON body ([`crate::json`]).
    pub json: usize,
}

impl WireSizes {
    /// Measures `r` in every format.
    ///
    /// Panics if a format fails to encode the fixture (a bug in this crate).
    pub fn of(r: &PrivateCallRedirection<'_>) -> Self {
        let mut buf = [0u8; max_frame_len(REDIRECTION_MAX_ENCODED_LEN)];
        let postcard = r
            .encode(&mut buf)
            .unwrap_or_else(|e| panic!("postcard: {e}"));
        let postcard_frame = r
            .encode_frame(&mut buf)
            .unwrap_or_else(|e| panic!("frame: {e}"));
        let heap = HeapRedirection::from(r);
        let mut out = Vec::new();
        crate::xml::write(&heap, &mut out).unwrap_or_else(|e| panic!("xml: {e}"));
        let xml = out.len();
        out.clear();
        crate::json::write(&heap, &mut out).unwrap_or_else(|e| panic!("json: {e}"));
        Self {
            postcard,
            postcard_frame,
            xml,
            json: out.len(),
        }
    }
}

/// Migration table storage one record takes, by [`storage_len`]: its header, its strings and
/// two index buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSizes {
    /// String bytes of the record: its key, the other two IDs and the KMS URI.
    pub string_bytes: usize,
    /// Storage bytes per record: `storage_len(r + 1, s) - storage_len(r, s)`.
    pub bytes_per_record: usize,
}

impl RecordSizes {
    /// A record of `string_bytes` string bytes.
    pub const fn of(string_bytes: usize) -> Self {
        Self {
            string_bytes,
            bytes_per_record: storage_len(1, string_bytes) - storage_len(0, string_bytes),
        }
    }

    /// The benchmark fixtures' records (`sip:member-0042@mc-a.example` migrated to
    /// `mc-b.example` as `sip:visitor-0042@mc-b.example`, KMS URI
    /// `https://kms.mc-b.example/kms`): typical IDs.
    pub const fn typical() -> Self {
        Self::of(MEMBER_STRING_BYTES)
    }

    /// A record whose IDs and KMS URI are all at their capacities ([`mcx_migrate::config`]):
    /// two MC service IDs, an MC system ID and a KMS URI, for either kind of record.
    pub const fn at_capacity() -> Self {
        Self::of(2 * MC_SERVICE_ID_CAPACITY + MC_SYSTEM_ID_CAPACITY + KMS_URI_CAPACITY)
    }

    /// Records per KiB of storage, as the table grows.
    pub fn records_per_kib(&self) -> f64 {
        1024.0 / self.bytes_per_record as f64
    }

    /// The most records of this size that storage of `bytes` bytes always holds: the largest `r`
    /// with `storage_len(r, string_bytes) <= bytes`.
    pub fn records_in(&self, bytes: usize) -> usize {
        bytes.saturating_sub(storage_len(0, self.string_bytes)) / self.bytes_per_record
    }

    /// The rows of a Markdown table: IDs, string bytes, bytes per record, records per KiB,
    /// records in 64 KiB.
    pub fn markdown_rows() -> Vec<(String, usize, usize, String, usize)> {
        [
            (
                "typical (the benchmark fixtures' IDs)".to_owned(),
                Self::typical(),
            ),
            (
                format!(
                    "at capacity (service IDs {MC_SERVICE_ID_CAPACITY} B, system ID \
                     {MC_SYSTEM_ID_CAPACITY} B, KMS URI {KMS_URI_CAPACITY} B)"
                ),
                Self::at_capacity(),
            ),
        ]
        .into_iter()
        .map(|(ids, r)| {
            (
                ids,
                r.string_bytes,
                r.bytes_per_record,
                format!("{:.1}", r.records_per_kib()),
                r.records_in(64 * 1024),
            )
        })
        .collect()
    }
}

/// A row of the bytes table: the format and its size.
type FormatRow = (&'static str, fn(&WireSizes) -> usize);

/// The content of the generated section [`DOCS_SECTION`]: the bytes on the wire of the
/// benchmarks' redirection in each format, with and without security domain information, against
/// the target; and migration table storage per record. No timing: the same on every machine.
pub fn docs_section() -> String {
    let with = WireSizes::of(&redirection(true));
    let without = WireSizes::of(&redirection(false));
    let share = |n: usize, s: &WireSizes| n as f64 / s.xml as f64;
    let rows: [FormatRow; 4] = [
        ("mcx-migrate (postcard)", |s| s.postcard),
        (
            "mcx-migrate, COBS frame (message and CRC-32C, COBS, delimiter)",
            |s| s.postcard_frame,
        ),
        ("JSON (serde_json)", |s| s.json),
        ("XML mcptt-info body (quick-xml)", |s| s.xml),
    ];
    let mut out = format!(
        "The private call redirection of user 2 (`{USER2_PRIMARY}` → `{USER2_AT_B}`, KMS \
         `{KMS_B}`), mcx-migrate's wire format version {FORMAT_VERSION}:\n\n\
         | format | with security domain info | ÷ XML | without | ÷ XML |\n\
         |---|---:|---:|---:|---:|\n"
    );
    for (format, bytes) in rows {
        let (a, b) = (bytes(&with), bytes(&without));
        out.push_str(&format!(
            "| {format} | {a} B | {:.3} | {b} B | {:.3} |\n",
            share(a, &with),
            share(b, &without)
        ));
    }
    let verdict = |a: f64, b: f64| {
        let met = if a <= WIRE_VS_XML_MAX && b <= WIRE_VS_XML_MAX {
            "**met**"
        } else {
            "**not met**"
        };
        format!("{a:.3} / {b:.3}, {met}")
    };
    out.push_str(&format!(
        "\nTarget: a redirection takes ≤ 1/{:.0} of the XML body's bytes (with / without security \
         domain info): {}; as a COBS frame {}.\n\n",
        1.0 / WIRE_VS_XML_MAX,
        verdict(
            share(with.postcard, &with),
            share(without.postcard, &without)
        ),
        verdict(
            share(with.postcard_frame, &with),
            share(without.postcard_frame, &without)
        ),
    ));
    out.push_str(&format!(
        "Migration table storage (`table::storage_len`): a record takes its string bytes plus \
         {} (its header and two index buckets):\n\n\
         | IDs | string bytes | bytes per record | records per KiB | records in 64 KiB |\n\
         |---|---:|---:|---:|---:|\n",
        RecordSizes::of(0).bytes_per_record
    ));
    for (ids, string_bytes, per_record, per_kib, in_64_kib) in RecordSizes::markdown_rows() {
        out.push_str(&format!(
            "| {ids} | {string_bytes} | {per_record} | {per_kib} | {in_64_kib} |\n"
        ));
    }
    out.push_str(&format!(
        "\nWritten by `{WRITE_DOCS_COMMAND}`; `{CHECK_COMMAND}` fails when it differs from what \
         that computes.\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use mcx_migrate::table::MigrationTable;
    use mcx_migrate::{
        McServiceId, McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, SecurityDomainInfo,
        TableError,
    };

    use super::*;
    use crate::fixtures::{member, redirection, table};

    #[test]
    fn sizes_are_the_lengths_each_format_writes() {
        let r = redirection(true);
        let s = WireSizes::of(&r);
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        assert_eq!(s.postcard, r.encode(&mut buf).unwrap());
        // The CRC's 4 bytes, at least one COBS code byte and the delimiter: for a message this
        // short, exactly the library's bound.
        assert!(s.postcard_frame >= s.postcard + FRAME_CRC_LEN + 2);
        assert_eq!(s.postcard_frame, max_frame_len(s.postcard));
        let mut frame = [0u8; max_frame_len(REDIRECTION_MAX_ENCODED_LEN)];
        assert_eq!(r.encode_frame(&mut frame).unwrap(), s.postcard_frame);
        // Security domain information adds bytes in every format.
        let without = WireSizes::of(&redirection(false));
        assert!(without.postcard < s.postcard && without.xml < s.xml && without.json < s.json);
    }

    #[test]
    fn a_typical_record_takes_its_bytes_per_record_in_a_table() {
        let per = RecordSizes::typical();
        assert_eq!(per.string_bytes, 97);
        for n in [16, 256] {
            assert_eq!(table(n).bytes_in_use(), n * per.bytes_per_record, "n = {n}");
        }
        // records_in agrees with the table: as many members fit in that storage, and no more.
        let bytes = 4096;
        let fit = per.records_in(bytes);
        let mut t = MigrationTable::new(vec![0u8; bytes]).unwrap();
        for i in 0..fit {
            t.apply(&member(i).update()).unwrap();
        }
        assert!(storage_len(fit + 1, per.string_bytes) > bytes);
        assert!(fit >= 31, "about 8 records per KiB: {fit}");
    }

    /// An ID of exactly `len` bytes: `prefix`, then `x`s, then `suffix`.
    fn padded(prefix: &str, len: usize, suffix: &str) -> String {
        format!(
            "{prefix}{}{suffix}",
            "x".repeat(len - prefix.len() - suffix.len())
        )
    }

    /// A domain name of exactly `len` bytes: labels of at most 63 bytes.
    fn long_domain(len: usize, index: usize) -> String {
        let mut name = format!("d{index:02}");
        while name.len() < len {
            let room = len - name.len() - 1;
            name.push('.');
            name.push_str(&"a".repeat(room.min(63)));
        }
        name
    }

    #[test]
    fn a_record_at_capacity_takes_its_bytes_per_record_in_a_table() {
        let per = RecordSizes::at_capacity();
        let mut t = MigrationTable::new(vec![0u8; storage_len(2, per.string_bytes)]).unwrap();
        for i in 0..2 {
            let primary_id = padded(&format!("sip:{i}"), MC_SERVICE_ID_CAPACITY, "@mc-a.example");
            let partner_system = long_domain(MC_SYSTEM_ID_CAPACITY, i);
            let partner_id = padded(&format!("sip:{i}"), MC_SERVICE_ID_CAPACITY, "@mc-b.example");
            let kms_uri = padded("https://kms.mc-b.example/", KMS_URI_CAPACITY, "");
            let update = MigrationUpdate::Migrated(Migration {
                primary_id: McServiceIdRef::new(&primary_id).unwrap(),
                partner_system: McSystemIdRef::new(&partner_system).unwrap(),
                partner_id: McServiceIdRef::new(&partner_id).unwrap(),
                security_domain_info: Some(SecurityDomainInfo::new(&kms_uri).unwrap()),
            });
            t.apply(&update).unwrap();
        }
        assert_eq!(t.bytes_in_use(), 2 * per.bytes_per_record);
        // Nothing longer fits in an ID: the capacities bound a record.
        assert!(
            McServiceId::new(&padded("sip:", MC_SERVICE_ID_CAPACITY + 1, "@a.example")).is_err()
        );
        assert_eq!(t.apply(&member(0).update()), Err(TableError::TableFull));
    }
}
