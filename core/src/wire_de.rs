//! The crate's deserialiser: postcard's wire format in, serde out, in one pass.
//!
//! It reads what [`wire_ser`](crate::wire_ser) writes — unsigned varints (7 bits a byte, least
//! significant first), zigzag varints for signed integers, a tag byte for `Option`, a varint
//! variant index, a varint length before strings and bytes, nothing for tuples and structs — and
//! refuses, as it reads them, everything that is not the one canonical encoding of a value:
//!
//! - an over-long varint (`0x87 0x00` for 7, `0x80 0x00` for 0): [`DecodeError::Malformed`], so
//!   that one message has one byte string and re-encoding reproduces the input;
//! - a varint that overflows its type, a `bool` byte or `Option` tag other than 0 or 1, an
//!   unknown variant index, a serde method the format cannot express: `Malformed`;
//! - input that ends inside a value: [`DecodeError::Truncated`]; a string that is not UTF-8:
//!   [`DecodeError::InvalidUtf8`]; bytes after the value: [`DecodeError::TrailingBytes`]
//!   ([`from_bytes_exact`]).
//!
//! Strings and bytes are handed over borrowed (`visit_borrowed_str`, `visit_borrowed_bytes`).
//! The identifier types ask for their strings as bytes and check each as it is read, UTF-8
//! included, in one pass for plain ASCII (`id::from_wire`; a string that is not UTF-8 comes
//! back as `Unexpected::Bytes`, mapped to [`DecodeError::InvalidUtf8`]). Their `Deserialize`
//! reports an [`IdError`] through
//! [`serde::de::Error::invalid_value`] with the error's tag ([`IdError::tag`]), which
//! [`DecodeError`]'s `invalid_value` maps back to [`DecodeError::InvalidField`].
//!
//! No indexing and no panic path: every read is a `split_first` or `split_at_checked`.

use core::fmt::Display;

use serde::de::{
    self, DeserializeSeed, EnumAccess, Expected, IntoDeserializer, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::Deserialize;

use crate::error::{DecodeError, IdError};

impl de::Error for DecodeError {
    fn custom<T: Display>(_msg: T) -> Self {
        DecodeError::Malformed
    }

    /// An identifier type's `Deserialize` refuses a string with `Unexpected::Other(tag)`, the
    /// tag naming the [`IdError`]: serde's error API has no typed channel, so this is how the
    /// distinct error survives the visitor.
    fn invalid_value(unexp: Unexpected<'_>, _exp: &dyn Expected) -> Self {
        match unexp {
            Unexpected::Other(tag) => {
                IdError::from_tag(tag).map_or(DecodeError::Malformed, DecodeError::InvalidField)
            }
            // An identifier's bytes that are not UTF-8 (`id::from_wire`).
            Unexpected::Bytes(_) => DecodeError::InvalidUtf8,
            _ => DecodeError::Malformed,
        }
    }
}

/// Decodes a `T` from the start of `bytes` and returns it with the bytes after it.
pub(crate) fn take_from_bytes<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<(T, &'de [u8]), DecodeError> {
    let mut reader = Reader { input: bytes };
    let value = T::deserialize(&mut reader)?;
    Ok((value, reader.input))
}

/// Decodes a `T` that must fill `bytes` exactly: [`DecodeError::TrailingBytes`] otherwise.
pub(crate) fn from_bytes_exact<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<T, DecodeError> {
    let (value, rest) = take_from_bytes(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes)
    }
}

/// The bytes not read yet.
pub(crate) struct Reader<'de> {
    input: &'de [u8],
}

impl<'de> Reader<'de> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&byte, rest) = self.input.split_first().ok_or(DecodeError::Truncated)?;
        self.input = rest;
        Ok(byte)
    }

    /// A `u32` varint (every tag and length of this crate's messages), in 32-bit arithmetic:
    /// no 64-bit shift helpers in a 32-bit firmware.
    #[inline(always)]
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let first = self.byte()?;
        // Fast path: every tag, flag and length of this crate's messages fits one byte.
        if first < 0x80 {
            return Ok(u32::from(first));
        }
        self.u32_rest(first)
    }

    /// The bytes of a `u32` varint after its first, which had its continuation bit set.
    #[inline(never)]
    fn u32_rest(&mut self, first: u8) -> Result<u32, DecodeError> {
        let mut value = u32::from(first & 0x7f);
        let mut shift: u32 = 7;
        loop {
            let byte = self.byte()?;
            // The fifth byte holds bits 28 to 34: above bit 31, or a continuation bit after
            // it, is overflow; a last byte of zero adds nothing, so the varint is longer than
            // it needs to be.
            if (shift == 28 && byte > 0x0f) || byte == 0 {
                return Err(DecodeError::Malformed);
            }
            value |= u32::from(byte & 0x7f).wrapping_shl(shift);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift = shift.wrapping_add(7);
        }
    }

    /// An unsigned varint of at most `max_bytes` bytes whose value is at most `max`, for the
    /// wider and narrower integers (none in this crate's messages).
    fn varint(&mut self, max_bytes: u32, max: u64) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        let mut shift: u32 = 0;
        for _ in 0..max_bytes {
            let byte = self.byte()?;
            let chunk = u64::from(byte & 0x7f);
            // Bits that would fall off the top of a u64: overflow.
            let shifted = chunk.checked_shl(shift).ok_or(DecodeError::Malformed)?;
            if shifted.checked_shr(shift) != Some(chunk) {
                return Err(DecodeError::Malformed);
            }
            value |= shifted;
            if byte & 0x80 == 0 {
                // Over-long (a last byte of zero after others) or out of range.
                if (byte == 0 && shift > 0) || value > max {
                    return Err(DecodeError::Malformed);
                }
                return Ok(value);
            }
            shift = shift.saturating_add(7);
        }
        Err(DecodeError::Malformed)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let v = self.varint(3, u64::from(u16::MAX))?;
        u16::try_from(v).map_err(|_| DecodeError::Malformed)
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        self.varint(10, u64::MAX)
    }

    /// A zigzag varint: postcard's signed integers.
    fn zigzag(&mut self, max_bytes: u32, max: u64) -> Result<i64, DecodeError> {
        let v = self.varint(max_bytes, max)?;
        let magnitude = i64::from_ne_bytes((v >> 1).to_ne_bytes());
        Ok(if v & 1 == 0 { magnitude } else { !magnitude })
    }

    /// A varint length, then that many bytes.
    fn bytes(&mut self) -> Result<&'de [u8], DecodeError> {
        let len = usize::try_from(self.u32()?).map_err(|_| DecodeError::Truncated)?;
        let (bytes, rest) = self
            .input
            .split_at_checked(len)
            .ok_or(DecodeError::Truncated)?;
        self.input = rest;
        Ok(bytes)
    }

    fn str(&mut self) -> Result<&'de str, DecodeError> {
        core::str::from_utf8(self.bytes()?).map_err(|_| DecodeError::InvalidUtf8)
    }
}

/// `len` values in a row: a tuple, or a struct's fields.
struct Fixed<'r, 'de> {
    reader: &'r mut Reader<'de>,
    len: usize,
}

impl<'de> SeqAccess<'de> for Fixed<'_, 'de> {
    type Error = DecodeError;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.len.checked_sub(1) {
            None => Ok(None),
            Some(left) => {
                self.len = left;
                seed.deserialize(&mut *self.reader).map(Some)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

macro_rules! unsupported {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DecodeError> {
            Err(DecodeError::Malformed)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = DecodeError;

    fn is_human_readable(&self) -> bool {
        false
    }

    // The format is not self-describing, and this crate's types use none of these.
    unsupported!(
        deserialize_any,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_seq,
        deserialize_map,
        deserialize_ignored_any
    );

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.byte()? {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            _ => Err(DecodeError::Malformed),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i8(i8::from_ne_bytes([self.byte()?]))
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let v = self.zigzag(3, u64::from(u16::MAX))?;
        visitor.visit_i16(i16::try_from(v).map_err(|_| DecodeError::Malformed)?)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let v = self.zigzag(5, u64::from(u32::MAX))?;
        visitor.visit_i32(i32::try_from(v).map_err(|_| DecodeError::Malformed)?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i64(self.zigzag(10, u64::MAX)?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u8(self.byte()?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u16(self.u16()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u32(self.u32()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u64(self.u64()?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_borrowed_str(self.str()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_borrowed_bytes(self.bytes()?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.byte()? {
            0 => visitor.visit_none(),
            1 => visitor.visit_some(self),
            _ => Err(DecodeError::Malformed),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Fixed { reader: self, len })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_enum(self)
    }

    /// A variant index, as postcard writes it.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u32(self.u32()?)
    }
}

impl<'de> EnumAccess<'de> for &mut Reader<'de> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), DecodeError> {
        // The derived variant visitor refuses an unknown index with `invalid_value`, which
        // maps to `Malformed` (no identifier tag).
        let index: u32 = self.u32()?;
        let value = seed.deserialize(IntoDeserializer::<DecodeError>::into_deserializer(index))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for &mut Reader<'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Fixed { reader: self, len })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Fixed {
            reader: self,
            len: fields.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_ser::serialize_into;
    use serde::{Deserialize, Serialize};
    use std::vec::Vec;

    fn ours<T: Serialize>(value: &T) -> Vec<u8> {
        let mut buf = std::vec![0u8; 1024];
        let n = serialize_into(value, &mut buf);
        buf.truncate(n);
        buf
    }

    fn pc<T: Serialize>(value: &T) -> Vec<u8> {
        let mut buf = std::vec![0u8; 1024];
        let n = postcard::to_slice(value, &mut buf).unwrap().len();
        buf.truncate(n);
        buf
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Kinds<'a> {
        Unit,
        Newtype(u16),
        Tuple(i8, u8),
        Struct {
            #[serde(borrow)]
            a: &'a str,
            b: Option<u64>,
            c: bool,
        },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct All<'a> {
        u8_: u8,
        u16_: u16,
        u32_: u32,
        u64_: u64,
        i8_: i8,
        i16_: i16,
        i32_: i32,
        i64_: i64,
        #[serde(borrow)]
        s: &'a str,
        #[serde(borrow)]
        b: &'a [u8],
        o: Option<u32>,
        t: (bool, u8),
        unit: (),
        k: [Kinds<'a>; 4],
    }

    fn sample(n: u64) -> All<'static> {
        All {
            u8_: n as u8,
            u16_: n as u16,
            u32_: n as u32,
            u64_: n,
            i8_: n as i8,
            i16_: n as i16,
            i32_: n as i32,
            i64_: n as i64,
            s: "sip:ä@x",
            b: &[0, 1, 0xff],
            o: n.is_multiple_of(2).then_some(n as u32),
            t: (n.is_multiple_of(3), 7),
            unit: (),
            k: [
                Kinds::Unit,
                Kinds::Newtype(n as u16),
                Kinds::Tuple((n as i8).wrapping_neg(), 3),
                Kinds::Struct {
                    a: "x",
                    b: Some(n),
                    c: true,
                },
            ],
        }
    }

    #[test]
    fn decodes_what_postcard_and_our_serialiser_write() {
        for n in [
            0,
            1,
            127,
            128,
            255,
            300,
            16_383,
            16_384,
            65_535,
            u64::from(u32::MAX),
            u64::MAX / 3,
            u64::MAX,
        ] {
            let value = sample(n);
            let bytes = ours(&value);
            assert_eq!(bytes, pc(&value));
            assert_eq!(from_bytes_exact::<All>(&bytes), Ok(value), "{n}");
        }
    }

    #[test]
    fn every_varint_postcard_writes_reads_back_and_the_longest_forms_are_accepted() {
        for v in [0u64, 1, 127, 128, 1 << 14, (1 << 21) - 1, 1 << 35, u64::MAX] {
            let bytes = pc(&v);
            assert_eq!(from_bytes_exact::<u64>(&bytes), Ok(v));
        }
        for v in [0u32, 1, 0x7f, 0x80, u32::MAX] {
            let bytes = pc(&v);
            assert_eq!(from_bytes_exact::<u32>(&bytes), Ok(v));
        }
        for v in [i64::MIN, -1, 0, 1, i64::MAX] {
            let bytes = pc(&v);
            assert_eq!(from_bytes_exact::<i64>(&bytes), Ok(v));
        }
        for v in [i16::MIN, -1, 0, i16::MAX] {
            let bytes = pc(&v);
            assert_eq!(from_bytes_exact::<i16>(&bytes), Ok(v));
        }
    }

    #[test]
    fn over_long_varints_are_malformed() {
        // Postcard itself accepts these; the canonical forms are one byte.
        assert_eq!(postcard::from_bytes::<u32>(&[0x87, 0x00]), Ok(7));
        assert_eq!(
            from_bytes_exact::<u32>(&[0x87, 0x00]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<u32>(&[0x80, 0x00]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<u64>(&[0xff, 0x80, 0x00]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<u16>(&[0x80, 0x80, 0x00]),
            Err(DecodeError::Malformed)
        );
        // A string length and an enum tag are varints too.
        assert_eq!(
            from_bytes_exact::<&str>(&[0x81, 0x00, b'a']),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<Kinds>(&[0x80, 0x00]),
            Err(DecodeError::Malformed)
        );
        // The same values in canonical form.
        assert_eq!(from_bytes_exact::<u32>(&[0x07]), Ok(7));
        assert_eq!(from_bytes_exact::<&str>(&[0x01, b'a']), Ok("a"));
        assert_eq!(from_bytes_exact::<Kinds>(&[0x00]), Ok(Kinds::Unit));
    }

    #[test]
    fn varint_overflow_is_malformed() {
        // u32::MAX + 1, and a sixth byte.
        assert_eq!(
            from_bytes_exact::<u32>(&[0x80, 0x80, 0x80, 0x80, 0x10]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<u32>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<u16>(&[0x80, 0x80, 0x04]),
            Err(DecodeError::Malformed)
        );
        // u64: a tenth byte above 1, and an eleventh.
        let mut over = [0xffu8; 10];
        over[9] = 0x02;
        assert_eq!(from_bytes_exact::<u64>(&over), Err(DecodeError::Malformed));
        let mut eleven = [0xffu8; 11];
        eleven[10] = 0x01;
        assert_eq!(
            from_bytes_exact::<u64>(&eleven),
            Err(DecodeError::Malformed)
        );
        // Just in range.
        assert_eq!(
            from_bytes_exact::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Ok(u32::MAX)
        );
        assert_eq!(from_bytes_exact::<u16>(&[0xff, 0xff, 0x03]), Ok(u16::MAX));
    }

    #[test]
    fn bool_and_option_tags_other_than_0_and_1_are_malformed() {
        assert_eq!(from_bytes_exact::<bool>(&[1]), Ok(true));
        assert_eq!(from_bytes_exact::<bool>(&[2]), Err(DecodeError::Malformed));
        assert_eq!(from_bytes_exact::<Option<u8>>(&[0]), Ok(None));
        assert_eq!(from_bytes_exact::<Option<u8>>(&[1, 9]), Ok(Some(9)));
        assert_eq!(
            from_bytes_exact::<Option<u8>>(&[2, 9]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn unknown_variant_index_is_malformed() {
        assert_eq!(
            from_bytes_exact::<Kinds>(&[3, 1, b'x', 0, 0]),
            Ok(Kinds::Struct {
                a: "x",
                b: None,
                c: false
            })
        );
        assert_eq!(from_bytes_exact::<Kinds>(&[4]), Err(DecodeError::Malformed));
        assert_eq!(
            from_bytes_exact::<Kinds>(&[0x80, 0x01]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn input_ending_early_is_truncated_at_every_length() {
        let bytes = ours(&sample(300));
        for len in 0..bytes.len() {
            assert_eq!(
                from_bytes_exact::<All>(&bytes[..len]),
                Err(DecodeError::Truncated),
                "len {len}"
            );
        }
        // A string length past the end.
        assert_eq!(
            from_bytes_exact::<&str>(&[5, b'a']),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn invalid_utf8_is_its_own_error() {
        assert_eq!(
            from_bytes_exact::<&str>(&[2, 0xc3, 0x28]),
            Err(DecodeError::InvalidUtf8)
        );
        assert_eq!(from_bytes_exact::<&str>(&[2, 0xc3, 0xa4]), Ok("ä"));
    }

    #[test]
    fn unsupported_methods_are_malformed() {
        assert_eq!(
            from_bytes_exact::<f32>(&[0; 4]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<char>(&[1, b'a']),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            from_bytes_exact::<serde::de::IgnoredAny>(&[0]),
            Err(DecodeError::Malformed)
        );
        // A sequence of unknown type (`deserialize_seq`).
        assert_eq!(
            from_bytes_exact::<std::vec::Vec<u8>>(&[1, 2]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn bytes_after_the_value_are_trailing() {
        assert_eq!(
            from_bytes_exact::<u8>(&[1, 2]),
            Err(DecodeError::TrailingBytes)
        );
        assert_eq!(take_from_bytes::<u8>(&[1, 2]), Ok((1, &[2u8][..])));
    }

    #[test]
    fn custom_errors_are_malformed_and_only_identifier_tags_become_invalid_field() {
        use serde::de::Error as _;
        assert_eq!(DecodeError::custom("x"), DecodeError::Malformed);
        assert_eq!(
            DecodeError::invalid_value(Unexpected::Other("something else"), &"x"),
            DecodeError::Malformed
        );
        assert_eq!(
            DecodeError::invalid_value(Unexpected::Unsigned(9), &"x"),
            DecodeError::Malformed
        );
        for e in IdError::ALL {
            assert_eq!(
                DecodeError::invalid_value(Unexpected::Other(e.tag()), &"x"),
                DecodeError::InvalidField(e)
            );
        }
    }

    #[test]
    fn every_identifier_error_arrives_intact_through_decoding() {
        use crate::id::{KmsUriRef, McServiceIdRef, McSystemIdRef};
        let too_long = std::format!("sip:{}", "a".repeat(crate::McServiceId::CAPACITY));
        let cases: [(&str, IdError); 4] = [
            ("", IdError::Empty),
            (&too_long, IdError::TooLong),
            ("sip:a\nb", IdError::ControlCharacter),
            ("http:a", IdError::InvalidUri),
        ];
        for (text, error) in cases {
            let bytes = ours(&text);
            assert_eq!(
                from_bytes_exact::<McServiceIdRef>(&bytes),
                Err(DecodeError::InvalidField(error)),
                "{text:?}"
            );
        }
        let bytes = ours(&"a_b.example");
        assert_eq!(
            from_bytes_exact::<McSystemIdRef>(&bytes),
            Err(DecodeError::InvalidField(IdError::InvalidDomainName))
        );
        let bytes = ours(&"no scheme");
        assert_eq!(
            from_bytes_exact::<KmsUriRef>(&bytes),
            Err(DecodeError::InvalidField(IdError::InvalidUri))
        );
        // Inside a structure, and valid ones pass.
        let bytes = ours(&(1u8, Some("sip:a@x"), "mc-b.example"));
        assert_eq!(
            from_bytes_exact::<(u8, Option<McServiceIdRef>, McSystemIdRef)>(&bytes),
            Ok((
                1,
                Some(McServiceIdRef::new("sip:a@x").unwrap()),
                McSystemIdRef::new("mc-b.example").unwrap()
            ))
        );
        let bytes = ours(&(1u8, Some("sip:a@x"), "mc_b"));
        assert_eq!(
            from_bytes_exact::<(u8, Option<McServiceIdRef>, McSystemIdRef)>(&bytes),
            Err(DecodeError::InvalidField(IdError::InvalidDomainName))
        );
    }
}
