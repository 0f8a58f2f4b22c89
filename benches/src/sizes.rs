//! Bytes on the wire of one private call redirection in each format.

#[cfg(test)]
use mcx_migrate::wire::FRAME_CRC_LEN;
use mcx_migrate::wire::{max_frame_len, REDIRECTION_MAX_ENCODED_LEN};
use mcx_migrate::PrivateCallRedirection;

use crate::heap::HeapRedirection;

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
    pub fn of(r: &PrivateCallRedirection) -> Self {
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

    /// The rows of a Markdown table: format, bytes, share of the XML body.
    pub fn markdown_rows(&self) -> Vec<(String, usize, String)> {
        let share = |n: usize| {
            format!(
                "{:.3} (1/{:.1})",
                n as f64 / self.xml as f64,
                self.xml as f64 / n as f64
            )
        };
        vec![
            (
                "mcx-migrate (postcard)".into(),
                self.postcard,
                share(self.postcard),
            ),
            (
                "mcx-migrate, COBS frame with CRC-32C".into(),
                self.postcard_frame,
                share(self.postcard_frame),
            ),
            ("JSON (serde_json)".into(), self.json, share(self.json)),
            (
                "XML mcptt-info body (quick-xml)".into(),
                self.xml,
                share(self.xml),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::redirection;

    #[test]
    fn sizes_are_the_lengths_each_format_writes() {
        let r = redirection(true);
        let s = WireSizes::of(&r);
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        assert_eq!(s.postcard, r.encode(&mut buf).unwrap());
        // The CRC's 4 bytes, at least one COBS code byte and the delimiter.
        assert!(s.postcard_frame >= s.postcard + FRAME_CRC_LEN + 2);
        // Security domain information adds bytes in every format.
        let without = WireSizes::of(&redirection(false));
        assert!(without.postcard < s.postcard && without.xml < s.xml && without.json < s.json);
    }
}
