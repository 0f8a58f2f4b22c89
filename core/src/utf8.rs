//! UTF-8 for identifiers' bytes, without `core::str::from_utf8`.
//!
//! Identifiers travel and are stored as bytes (the wire, the migration table, C strings). Safe
//! code turns bytes into a `str` only through `core::str::from_utf8`, whose code and 256-byte
//! width table a Cortex-M firmware links (about 620 B of flash) just to re-read bytes it has
//! already checked. The library needs two things only: whether bytes are UTF-8 (the wire's and
//! the C API's `InvalidUtf8` errors) and an owned copy of validated bytes, which it builds a
//! `char` at a time. Both go through [`decode`]; the tests hold it to `core::str::from_utf8`.

/// The first character of `bytes` and the bytes after it; `None` if `bytes` is empty or does not
/// start with a well-formed UTF-8 sequence (RFC 3629 §4: no overlong form, no surrogate, nothing
/// above U+10FFFF).
pub(crate) fn decode(bytes: &[u8]) -> Option<(char, &[u8])> {
    let (&lead, rest) = bytes.split_first()?;
    // Continuation bytes that follow the lead byte, the smallest scalar value that needs them
    // (anything below is an overlong form), and the lead byte's payload bits.
    let (count, least, payload) = match lead {
        0x00..=0x7f => return Some((char::from(lead), rest)),
        0xc2..=0xdf => (1, 0x80, 0x1f),
        0xe0..=0xef => (2, 0x800, 0x0f),
        0xf0..=0xf4 => (3, 0x1_0000, 0x07),
        _ => return None,
    };
    let (continuation, rest) = rest.split_at_checked(count)?;
    let mut scalar = u32::from(lead & payload);
    for &byte in continuation {
        if byte & 0xc0 != 0x80 {
            return None;
        }
        scalar = scalar.wrapping_shl(6) | u32::from(byte & 0x3f);
    }
    if scalar < least {
        return None;
    }
    // Refuses surrogates and values above U+10FFFF.
    char::from_u32(scalar).map(|c| (c, rest))
}

/// Whether `bytes` are UTF-8: `core::str::from_utf8(bytes).is_ok()`.
pub(crate) fn is_valid(mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        match decode(bytes) {
            Some((_, rest)) => bytes = rest,
            None => return false,
        }
    }
    true
}

/// The characters of `bytes`, up to the first byte that does not start a well-formed sequence
/// (none for bytes [`is_valid`] accepted).
pub(crate) fn chars(mut bytes: &[u8]) -> impl Iterator<Item = char> + '_ {
    core::iter::from_fn(move || {
        let (c, rest) = decode(bytes)?;
        bytes = rest;
        Some(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    /// Holds [`is_valid`] and [`chars`] to `core::str::from_utf8` for `bytes`.
    fn agrees(bytes: &[u8]) {
        let std = core::str::from_utf8(bytes);
        assert_eq!(is_valid(bytes), std.is_ok(), "{bytes:x?}");
        if let Ok(s) = std {
            assert_eq!(chars(bytes).collect::<String>(), s, "{bytes:x?}");
        }
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes_is_judged_as_core_judges_it() {
        agrees(&[]);
        for a in 0..=255u8 {
            agrees(&[a]);
            for b in 0..=255u8 {
                agrees(&[a, b]);
                for c in 0..=255u8 {
                    agrees(&[a, b, c]);
                }
            }
        }
    }

    #[test]
    fn four_byte_sequences_are_judged_as_core_judges_them() {
        // Every first and second byte; third and fourth bytes from each class a decoder
        // tells apart (ASCII, the continuation range's ends, its 0x8f/0x90 split, leads,
        // bytes never valid).
        const CLASSES: [u8; 9] = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xf4, 0xff];
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in CLASSES {
                    for d in CLASSES {
                        agrees(&[a, b, c, d]);
                    }
                }
            }
        }
    }

    #[test]
    fn mixed_text_round_trips() {
        let text = "sip:jürgen@mc-ä.example/€𝄞x";
        agrees(text.as_bytes());
        let mut cut: Vec<u8> = text.as_bytes().to_vec();
        cut.pop();
        cut.pop();
        agrees(&cut);
        assert!(!is_valid(&cut));
    }
}
