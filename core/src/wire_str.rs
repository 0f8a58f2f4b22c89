//! Strings in postcard's layout — a varint of the byte length, then the UTF-8 bytes — written
//! without postcard's own string serialiser.
//!
//! postcard writes every string length through `postcard::varint::varint_usize`, whose
//! `&mut out[..=i]` LLVM does not prove in bounds at `opt-level = "z"`: that bounds check was a
//! panic path in every firmware that encodes a message or takes a table snapshot (README,
//! "Panic-freedom proof"). Here the length's varint bytes and the string's bytes go to the
//! serialiser one `u8` at a time inside a tuple, for which postcard writes no length and each
//! `u8` as one raw byte: the same bytes on the wire, and no slice index anywhere.
//!
//! Every `&str` field of a type that defines the wire or snapshot layout is serialised with
//! [`serialize`] and deserialised with [`deserialize`] (`#[serde(with = "crate::wire_str",
//! borrow)]`). Decoding is postcard's own (borrowed `&str`), which has no such panic path.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{SerializeTuple, Serializer};

/// Bytes of the varint of `len`, least significant 7-bit group first, high bit set on every
/// byte but the last (postcard's, and protobuf's, unsigned varint).
fn varint_bytes(mut len: usize) -> impl Iterator<Item = u8> {
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let low = len.to_le_bytes().first().copied().unwrap_or(0) & 0x7f;
        len >>= 7;
        done = len == 0;
        Some(if done { low } else { low | 0x80 })
    })
}

/// Serialises `s` as postcard serialises a `str`, for a serialiser that is not human-readable
/// (postcard); a human-readable one (the field tool's JSON) gets a plain string.
pub(crate) fn serialize<S: Serializer>(s: &&str, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        return serializer.serialize_str(s);
    }
    let bytes = s.as_bytes();
    let varint_len = varint_bytes(bytes.len()).count();
    let mut tuple = serializer.serialize_tuple(varint_len.saturating_add(bytes.len()))?;
    for byte in varint_bytes(bytes.len()).chain(bytes.iter().copied()) {
        tuple.serialize_element(&byte)?;
    }
    tuple.end()
}

/// Deserialises a borrowed string: postcard's own `str` decoding, kept out of line so that the
/// firmware holds it once rather than inlined into every string field of every message (the
/// derived decoders inline each field's decoding at `opt-level = "z"`).
#[inline(never)]
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<&'de str, D::Error> {
    <&'de str>::deserialize(deserializer)
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use std::string::String;
    use std::vec::Vec;

    #[derive(Serialize)]
    struct Ours<'a>(#[serde(serialize_with = "super::serialize")] &'a str, u8);

    #[derive(Serialize)]
    struct Postcards<'a>(&'a str, u8);

    fn postcard_bytes<T: Serialize>(value: &T) -> Vec<u8> {
        let mut buf = [0u8; 40_000];
        postcard::to_slice(value, &mut buf).unwrap().to_vec()
    }

    #[test]
    fn strings_encode_exactly_as_postcard_encodes_them_at_every_varint_length() {
        // 0 and 127: one varint byte; 128 and 16 383: two; 16 384: three.
        for len in [
            0, 1, 2, 127, 128, 129, 255, 256, 300, 16_383, 16_384, 20_000,
        ] {
            let s: String = "é".repeat(len / 2) + &"x".repeat(len % 2);
            assert_eq!(s.len(), len);
            let ours = postcard_bytes(&Ours(&s, 7));
            assert_eq!(ours, postcard_bytes(&Postcards(&s, 7)), "length {len}");
            let size = postcard::serialize_with_flavor(
                &Ours(&s, 7),
                postcard::ser_flavors::Size::default(),
            );
            assert_eq!(
                size,
                Ok(ours.len()),
                "the size flavor counts the same bytes"
            );
            let back: (&str, u8) = postcard::from_bytes(&ours).unwrap();
            assert_eq!(back, (s.as_str(), 7), "postcard's decoder reads it back");
        }
    }

    #[test]
    fn a_too_small_buffer_is_an_error_not_a_partial_success() {
        let mut buf = [0u8; 4];
        assert!(postcard::to_slice(&Ours("sip:a@b", 1), &mut buf).is_err());
    }

    #[test]
    fn human_readable_serialisers_get_a_plain_string() {
        let json = serde_json::to_string(&Ours("sip:a@b", 1)).unwrap();
        assert_eq!(json, r#"["sip:a@b",1]"#);
    }
}
