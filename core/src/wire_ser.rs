//! postcard's layouts — unsigned varints, and strings as a varint of the byte length then the
//! UTF-8 bytes — written without postcard's own varint code.
//!
//! postcard writes every integer and every string length through its `varint_u32`,
//! `varint_u64` and `varint_usize`, whose `&mut out[..=i]` LLVM does not prove in bounds at
//! `opt-level = "z"`: those bounds checks were panic paths in every firmware that encodes a
//! message or takes a table snapshot (README, "Panic-freedom proof"). Here the varint's bytes
//! (and a string's bytes) go to the serialiser one `u8` at a time inside a tuple, for which
//! postcard writes no length and each `u8` as one raw byte: the same bytes on the wire, and no
//! slice index anywhere.
//!
//! Every `&str` field of a type that defines the wire or snapshot layout is serialised with
//! [`serialize`] and deserialised with [`deserialize`] (`#[serde(with = "crate::wire_ser",
//! borrow)]`); every integer the snapshot writes is a [`Varint`]. Decoding is postcard's own,
//! which has no such panic path.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeTuple, Serializer};

/// Bytes of the varint of `value`, least significant 7-bit group first, high bit set on every
/// byte but the last (postcard's, and protobuf's, unsigned varint; the same bytes for a `u32`
/// and a `u64` of equal value).
fn varint_bytes(mut value: u64) -> impl Iterator<Item = u8> {
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let [low, ..] = value.to_le_bytes();
        let low = low & 0x7f;
        value >>= 7;
        done = value == 0;
        Some(if done { low } else { low | 0x80 })
    })
}

/// Writes `prefix`'s varint then `bytes`, one `u8` element at a time, as one tuple.
fn serialize_varint_then<S: Serializer>(
    prefix: u64,
    bytes: &[u8],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let len = varint_bytes(prefix).count().saturating_add(bytes.len());
    let mut tuple = serializer.serialize_tuple(len)?;
    for byte in varint_bytes(prefix).chain(bytes.iter().copied()) {
        tuple.serialize_element(&byte)?;
    }
    tuple.end()
}

/// An unsigned integer serialised as postcard serialises a `u32` or `u64` (a varint), for a
/// serialiser that is not human-readable; a human-readable one gets a plain number.
pub(crate) struct Varint(pub(crate) u64);

impl Serialize for Varint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_u64(self.0)
        } else {
            serialize_varint_then(self.0, &[], serializer)
        }
    }
}

/// Serialises an `Option<u64>` as postcard does (a tag byte, then the varint).
pub(crate) fn serialize_option_varint<S: Serializer>(
    value: &Option<u64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match *value {
        None => serializer.serialize_none(),
        Some(v) => serializer.serialize_some(&Varint(v)),
    }
}

/// Serialises `s` as postcard serialises a `str`, for a serialiser that is not human-readable
/// (postcard); a human-readable one (the field tool's JSON) gets a plain string.
pub(crate) fn serialize<S: Serializer>(s: &&str, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        return serializer.serialize_str(s);
    }
    let len = u64::try_from(s.len()).unwrap_or(u64::MAX);
    serialize_varint_then(len, s.as_bytes(), serializer)
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
    fn integers_encode_exactly_as_postcard_encodes_u32_and_u64() {
        let mut values = std::vec![0, 1, 127, 128, 255, 300, 16_383, 16_384];
        values.extend([
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ]);
        values.extend((0..64).map(|bit| 1u64 << bit));
        for v in values {
            let ours = postcard_bytes(&super::Varint(v));
            assert_eq!(ours, postcard_bytes(&v), "{v} as u64");
            if let Ok(small) = u32::try_from(v) {
                assert_eq!(ours, postcard_bytes(&small), "{v} as u32");
            }
            assert_eq!(postcard::from_bytes::<u64>(&ours), Ok(v));
            #[derive(Serialize)]
            struct Opt(#[serde(serialize_with = "super::serialize_option_varint")] Option<u64>);
            assert_eq!(postcard_bytes(&Opt(Some(v))), postcard_bytes(&Some(v)));
        }
        #[derive(Serialize)]
        struct Opt(#[serde(serialize_with = "super::serialize_option_varint")] Option<u64>);
        assert_eq!(postcard_bytes(&Opt(None)), postcard_bytes(&None::<u64>));
        assert_eq!(serde_json::to_string(&super::Varint(7)).unwrap(), "7");
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
