//! The crate's decoder: postcard's wire format in, validated values out, in one pass.
//!
//! It reads what [`wire_ser`](crate::wire_ser) writes — unsigned varints (7 bits a byte, least
//! significant first), a tag byte for `Option`, a varint variant index, a varint length before
//! strings, nothing for structs — and refuses, as it reads them, everything that is not the one
//! canonical encoding of a value:
//!
//! - an over-long varint (`0x87 0x00` for 7, `0x80 0x00` for 0): [`DecodeError::Malformed`], so
//!   that one message has one byte string and re-encoding reproduces the input;
//! - a varint that overflows its type, a `bool` byte or `Option` tag other than 0 or 1, an
//!   unknown variant index: `Malformed`;
//! - input that ends inside a value: [`DecodeError::Truncated`]; bytes after the value:
//!   [`DecodeError::TrailingBytes`] ([`decode_exact_with`]).
//!
//! Each type says how it is read by implementing [`Decode`]: the messages read their fields in
//! declared order (the order their derived `Serialize` writes), and the identifier types take
//! their string borrowed from the input and check it as they read it, UTF-8 included, in one
//! pass for plain ASCII (`id::from_wire`): a string that is not UTF-8 is
//! [`DecodeError::InvalidUtf8`], an invalid identifier [`DecodeError::InvalidField`] with its
//! [`IdError`](crate::error::IdError). serde's `Deserialize` derives stay on the types for other
//! formats; this module is what the wire and the table snapshots use, because serde's visitors
//! and their error plumbing were most of the firmware's decoder (docs/footprint.md).
//!
//! No indexing and no panic path: every read is a `split_first` or `split_at_checked`.

use crate::error::DecodeError;

/// A value read straight from the wire format, validated as it is read: the crate's messages,
/// their fields, and the records of a table snapshot. One pass, no serde visitor between the
/// bytes and the value (the visitors' code was most of the firmware's decoder); the bytes are
/// the ones the types' `Deserialize` reads, which the tests hold to postcard's.
pub(crate) trait Decode<'de>: Sized {
    /// Reads one value from `reader`; on `Err` the reader's position is unspecified.
    fn decode(reader: &mut Reader<'de>) -> Result<Self, DecodeError>;
}

/// Decodes a `T` that must fill `bytes` exactly: [`DecodeError::TrailingBytes`] otherwise.
#[cfg(test)]
pub(crate) fn decode_exact<'de, T: Decode<'de>>(bytes: &'de [u8]) -> Result<T, DecodeError> {
    decode_exact_with(bytes, T::decode)
}

/// Reads a value with `read`; it must fill `bytes` exactly: [`DecodeError::TrailingBytes`]
/// otherwise.
pub(crate) fn decode_exact_with<'de, T>(
    bytes: &'de [u8],
    read: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut reader = Reader { input: bytes };
    let value = read(&mut reader)?;
    if reader.input.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes)
    }
}

/// Decodes a `T` from the start of `bytes` and returns it with the bytes after it.
pub(crate) fn decode_prefix<'de, T: Decode<'de>>(
    bytes: &'de [u8],
) -> Result<(T, &'de [u8]), DecodeError> {
    let mut reader = Reader { input: bytes };
    let value = T::decode(&mut reader)?;
    Ok((value, reader.input))
}

impl Decode<'_> for bool {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Malformed),
        }
    }
}

impl Decode<'_> for u32 {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.u32()
    }
}

impl Decode<'_> for u64 {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.u64()
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Option<T> {
    fn decode(reader: &mut Reader<'de>) -> Result<Self, DecodeError> {
        match reader.byte()? {
            0 => Ok(None),
            1 => T::decode(reader).map(Some),
            _ => Err(DecodeError::Malformed),
        }
    }
}

/// The bytes not read yet.
pub(crate) struct Reader<'de> {
    input: &'de [u8],
}

impl<'de> Reader<'de> {
    /// Reads a `T`.
    #[inline(always)]
    pub(crate) fn read<T: Decode<'de>>(&mut self) -> Result<T, DecodeError> {
        T::decode(self)
    }

    /// One byte.
    pub(crate) fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&byte, rest) = self.input.split_first().ok_or(DecodeError::Truncated)?;
        self.input = rest;
        Ok(byte)
    }

    /// A `u32` varint (every tag and length of this crate's messages), in 32-bit arithmetic:
    /// no 64-bit shift helpers in a 32-bit firmware.
    #[inline(always)]
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
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

    /// A `u64` varint (a departed visitor's place in a snapshot's eviction order): at most
    /// ten bytes, the tenth at most `0x01`.
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.byte()?;
            // The tenth byte (shift 63) holds bit 63 alone: more, or a continuation bit, is
            // overflow, whatever follows; a last byte of zero after others is over-long.
            if (shift == 63 && byte > 1) || (byte == 0 && shift > 0) {
                return Err(DecodeError::Malformed);
            }
            value |= u64::from(byte & 0x7f).wrapping_shl(shift);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift = shift.wrapping_add(7);
        }
    }

    /// A varint length, then that many bytes.
    pub(crate) fn bytes(&mut self) -> Result<&'de [u8], DecodeError> {
        let len = usize::try_from(self.u32()?).map_err(|_| DecodeError::Truncated)?;
        let (bytes, rest) = self
            .input
            .split_at_checked(len)
            .ok_or(DecodeError::Truncated)?;
        self.input = rest;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IdError;
    use crate::id::{KmsUriRef, McServiceIdRef, McSystemIdRef, RedirectionReason, ServiceKind};
    use serde::Serialize;
    use std::vec::Vec;

    fn pc<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut buf = std::vec![0u8; 1024];
        let n = postcard::to_slice(value, &mut buf).unwrap().len();
        buf.truncate(n);
        buf
    }

    #[test]
    fn every_varint_postcard_writes_reads_back_and_the_longest_forms_are_accepted() {
        for v in [0u64, 1, 127, 128, 1 << 14, (1 << 21) - 1, 1 << 35, u64::MAX] {
            assert_eq!(decode_exact::<u64>(&pc(&v)), Ok(v));
        }
        for v in [0u32, 1, 0x7f, 0x80, 1 << 14, 1 << 21, 1 << 28, u32::MAX] {
            assert_eq!(decode_exact::<u32>(&pc(&v)), Ok(v));
        }
    }

    #[test]
    fn over_long_varints_are_malformed() {
        // Postcard itself accepts these; the canonical forms are one byte.
        assert_eq!(postcard::from_bytes::<u32>(&[0x87, 0x00]), Ok(7));
        for bytes in [&[0x87, 0x00][..], &[0x80, 0x00], &[0xff, 0x80, 0x00]] {
            assert_eq!(decode_exact::<u32>(bytes), Err(DecodeError::Malformed));
            assert_eq!(decode_exact::<u64>(bytes), Err(DecodeError::Malformed));
        }
        // A string length and an enum tag are varints too.
        assert_eq!(
            decode_exact::<McServiceIdRef>(&[0x85, 0x00, b's', b'i', b'p', b':', b'a']),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            decode_exact::<ServiceKind>(&[0x80, 0x00]),
            Err(DecodeError::Malformed)
        );
        // The same values in canonical form.
        assert_eq!(decode_exact::<u32>(&[0x07]), Ok(7));
        assert_eq!(
            decode_exact::<McServiceIdRef>(&[0x05, b's', b'i', b'p', b':', b'a']),
            Ok(McServiceIdRef::new("sip:a").unwrap())
        );
        assert_eq!(
            decode_exact::<ServiceKind>(&[0x00]),
            Ok(ServiceKind::McpttPrivateCall)
        );
    }

    #[test]
    fn varint_overflow_is_malformed() {
        // u32::MAX + 1, and a sixth byte.
        assert_eq!(
            decode_exact::<u32>(&[0x80, 0x80, 0x80, 0x80, 0x10]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            decode_exact::<u32>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(DecodeError::Malformed)
        );
        // u64: a tenth byte above 1, and an eleventh.
        let mut over = [0xffu8; 10];
        over[9] = 0x02;
        assert_eq!(decode_exact::<u64>(&over), Err(DecodeError::Malformed));
        let mut eleven = [0xffu8; 11];
        eleven[10] = 0x01;
        assert_eq!(decode_exact::<u64>(&eleven), Err(DecodeError::Malformed));
        // A tenth byte that announces an eleventh is overflow already, not truncation.
        for tenth in [0x80, 0x81] {
            let mut ten = [0xffu8; 10];
            ten[9] = tenth;
            assert_eq!(decode_exact::<u64>(&ten), Err(DecodeError::Malformed));
        }
        // Just in range.
        assert_eq!(
            decode_exact::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Ok(u32::MAX)
        );
        let mut max = [0xffu8; 10];
        max[9] = 0x01;
        assert_eq!(decode_exact::<u64>(&max), Ok(u64::MAX));
    }

    #[test]
    fn bool_and_option_tags_other_than_0_and_1_are_malformed() {
        assert_eq!(decode_exact::<bool>(&[0]), Ok(false));
        assert_eq!(decode_exact::<bool>(&[1]), Ok(true));
        assert_eq!(decode_exact::<bool>(&[2]), Err(DecodeError::Malformed));
        assert_eq!(decode_exact::<Option<u32>>(&[0]), Ok(None));
        assert_eq!(decode_exact::<Option<u32>>(&[1, 9]), Ok(Some(9)));
        assert_eq!(
            decode_exact::<Option<u32>>(&[2, 9]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn unknown_variant_indices_are_malformed() {
        for kind in ServiceKind::ALL {
            assert_eq!(decode_exact::<ServiceKind>(&pc(&kind)), Ok(kind));
        }
        assert_eq!(
            decode_exact::<ServiceKind>(&[3]),
            Err(DecodeError::Malformed)
        );
        for reason in [
            RedirectionReason::TargetMigrated,
            RedirectionReason::TargetNoLongerServed,
        ] {
            assert_eq!(decode_exact::<RedirectionReason>(&pc(&reason)), Ok(reason));
        }
        assert_eq!(
            decode_exact::<RedirectionReason>(&[2]),
            Err(DecodeError::Malformed)
        );
        assert_eq!(
            decode_exact::<RedirectionReason>(&[0x80, 0x01]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn input_ending_early_is_truncated() {
        assert_eq!(decode_exact::<u32>(&[]), Err(DecodeError::Truncated));
        assert_eq!(decode_exact::<u32>(&[0x80]), Err(DecodeError::Truncated));
        assert_eq!(
            decode_exact::<u64>(&[0xff, 0xff]),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode_exact::<Option<u32>>(&[1]),
            Err(DecodeError::Truncated)
        );
        // A string length past the end.
        assert_eq!(
            decode_exact::<McServiceIdRef>(&[6, b's', b'i', b'p', b':', b'a']),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn bytes_after_the_value_are_trailing() {
        assert_eq!(
            decode_exact::<u32>(&[1, 2]),
            Err(DecodeError::TrailingBytes)
        );
        assert_eq!(decode_prefix::<u32>(&[1, 2]), Ok((1, &[2u8][..])));
    }

    #[test]
    fn every_identifier_error_arrives_intact_through_decoding() {
        let too_long = std::format!("sip:{}", "a".repeat(crate::McServiceId::CAPACITY));
        let cases: [(&str, IdError); 4] = [
            ("", IdError::Empty),
            (&too_long, IdError::TooLong),
            ("sip:a\nb", IdError::ControlCharacter),
            ("http:a", IdError::InvalidUri),
        ];
        for (text, error) in cases {
            assert_eq!(
                decode_exact::<McServiceIdRef>(&pc(text)),
                Err(DecodeError::InvalidField(error)),
                "{text:?}"
            );
        }
        assert_eq!(
            decode_exact::<McSystemIdRef>(&pc("a_b.example")),
            Err(DecodeError::InvalidField(IdError::InvalidDomainName))
        );
        assert_eq!(
            decode_exact::<KmsUriRef>(&pc("no scheme")),
            Err(DecodeError::InvalidField(IdError::InvalidUri))
        );
        // Bytes that are not UTF-8 have their own error, whatever else is wrong with them.
        assert_eq!(
            decode_exact::<McServiceIdRef>(&[6, b's', b'i', b'p', b':', 0xc3, 0x28]),
            Err(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            decode_exact::<McServiceIdRef>(&[2, 0xc3, 0x28]),
            Err(DecodeError::InvalidUtf8)
        );
        // Inside an option, and valid ones pass.
        assert_eq!(
            decode_exact::<Option<McSystemIdRef>>(&pc(&Some("mc-b.example"))),
            Ok(Some(McSystemIdRef::new("mc-b.example").unwrap()))
        );
        assert_eq!(
            decode_exact::<Option<McSystemIdRef>>(&pc(&Some("mc_b"))),
            Err(DecodeError::InvalidField(IdError::InvalidDomainName))
        );
    }
}
