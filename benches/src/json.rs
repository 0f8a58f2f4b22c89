//! The private call redirection as JSON with `serde_json`, the other format a user might reach
//! for.

use crate::heap::HeapRedirection;

/// Appends the JSON encoding of `r` to `out` (a reused buffer: clear it first).
pub fn write(r: &HeapRedirection, out: &mut Vec<u8>) -> serde_json::Result<()> {
    serde_json::to_writer(out, r)
}

/// Parses a JSON body into heap-owned strings.
pub fn parse(bytes: &[u8]) -> serde_json::Result<HeapRedirection> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::redirection;

    #[test]
    fn json_carries_every_ie_of_the_redirection() {
        for with_sdi in [false, true] {
            let r = redirection(with_sdi);
            let mut out = Vec::new();
            write(&HeapRedirection::from(&r), &mut out).unwrap();
            assert_eq!(parse(&out).unwrap().to_core().unwrap(), r);
        }
    }
}
