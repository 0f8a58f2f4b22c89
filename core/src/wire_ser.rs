//! The crate's serialiser: serde in, postcard's wire format out, byte for byte, without
//! postcard's own serialiser.
//!
//! postcard writes every integer and every string length through its `varint_u32`,
//! `varint_u64` and `varint_usize`, whose `&mut out[..=i]` LLVM does not prove in bounds at
//! `opt-level = "z"`: bounds checks, so panic paths, in every firmware that encodes a message or
//! takes a table snapshot (docs/footprint.md, "Panic-freedom proof"). This serialiser writes the same
//! bytes — unsigned varints, zigzag varints for signed integers, a tag byte for `Option`, a
//! varint variant index, a varint length before strings, bytes, sequences and maps, nothing for
//! tuples and structs — with `get`/`get_mut` only. It also counts what it writes (and, on
//! request, the CRC and the bytes of its COBS frame) past the end of its buffer, so one
//! serialiser per message type serves encoding and size computation. Its counterpart for
//! decoding is [`wire_de`](crate::wire_de); the tests hold this serialiser's output to
//! postcard's own for every kind of value.

use core::fmt::{self, Display, Write as _};

use serde::ser::{self, Serialize};

use crate::cobs::EncodedLen;
use crate::wire::{frame_crc_finish, frame_crc_update, FRAME_CRC_INIT};

/// What serialising a value produced: its length, and the length and CRC of its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lengths {
    /// Bytes of the postcard encoding.
    pub(crate) len: usize,
    /// Bytes of its frame, the COBS encoding of the encoding and its CRC with the `0x00`
    /// delimiter; counted only by [`measure_frame`].
    pub(crate) frame_len: usize,
    /// The frame's CRC-32C over the encoding; computed only by [`measure_frame`].
    pub(crate) crc: u32,
}

/// The frame of the bytes written so far: their CRC and the length of their COBS encoding.
struct FrameCount {
    cobs: EncodedLen,
    crc: u32,
}

impl FrameCount {
    fn new() -> Self {
        Self {
            cobs: EncodedLen::new(),
            crc: FRAME_CRC_INIT,
        }
    }

    /// Not inlined: one copy, not one per write in each message type's serialiser.
    #[inline(never)]
    fn extend(&mut self, bytes: &[u8]) {
        self.crc = frame_crc_update(self.crc, bytes);
        for &byte in bytes {
            self.cobs.push(byte);
        }
    }

    /// The frame's length, with the CRC's bytes and the delimiter, and the CRC.
    fn finish(self) -> (usize, u32) {
        let crc = frame_crc_finish(self.crc);
        let mut cobs = self.cobs;
        for &byte in &crc.to_le_bytes() {
            cobs.push(byte);
        }
        (cobs.len().saturating_add(1), crc)
    }
}

/// Serialises `value` into `out` and returns its length. Writes exactly the encoding when `out`
/// is at least that long; into a shorter `out` (even an empty one, to measure) it writes only
/// some leading bytes, and still counts them all.
pub(crate) fn serialize_into<T: Serialize + ?Sized>(value: &T, out: &mut [u8]) -> usize {
    run(value, out, false).len
}

/// Serialises `value` through `sink`, in pieces as they are produced (no buffer); returns the
/// length written.
pub(crate) fn serialize_to<T: Serialize + ?Sized>(value: &T, sink: &mut dyn FnMut(&[u8])) -> usize {
    let mut writer = Writer {
        out: &mut [],
        len: 0,
        frame: None,
        sink: Some(sink),
    };
    match value.serialize(&mut writer) {
        Ok(()) => writer.len,
        Err(Unsupported) => usize::MAX,
    }
}

/// The length of `value`'s encoding, writing nothing.
pub(crate) fn measure<T: Serialize + ?Sized>(value: &T) -> usize {
    run(value, &mut [], false).len
}

/// The lengths of `value`'s encoding and of its frame, and the frame's CRC, writing nothing.
pub(crate) fn measure_frame<T: Serialize + ?Sized>(value: &T) -> Lengths {
    run(value, &mut [], true)
}

fn run<T: Serialize + ?Sized>(value: &T, out: &mut [u8], count_frame: bool) -> Lengths {
    let mut writer = Writer {
        out,
        len: 0,
        frame: count_frame.then(FrameCount::new),
        sink: None,
    };
    match value.serialize(&mut writer) {
        Ok(()) => {
            let (frame_len, crc) = match writer.frame {
                Some(frame) => frame.finish(),
                None => (0, 0),
            };
            Lengths {
                len: writer.len,
                frame_len,
                crc,
            }
        }
        // This crate's types always serialise; should one ever fail, an impossible length
        // makes every caller report an error rather than succeed.
        Err(Unsupported) => Lengths {
            len: usize::MAX,
            frame_len: usize::MAX,
            crc: 0,
        },
    }
}

/// Where a streaming serialisation hands its bytes.
type Sink<'b> = &'b mut dyn FnMut(&[u8]);

/// Writes into its buffer while there is room and counts every byte.
struct Writer<'b> {
    out: &'b mut [u8],
    len: usize,
    frame: Option<FrameCount>,
    /// Where the bytes go instead of `out`, as they are produced.
    sink: Option<Sink<'b>>,
}

impl Writer<'_> {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.out.get_mut(self.len) {
            *slot = byte;
        }
        if let Some(sink) = &mut self.sink {
            sink(core::slice::from_ref(&byte));
        }
        self.len = self.len.saturating_add(1);
        if let Some(frame) = &mut self.frame {
            frame.extend(core::slice::from_ref(&byte));
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            // A zip, not `copy_from_slice`: LLVM does not prove the lengths equal, and the
            // latter's length check would link a panic path.
            for (to, from) in dst.iter_mut().zip(bytes) {
                *to = *from;
            }
        }
        if let Some(sink) = &mut self.sink {
            sink(bytes);
        }
        self.len = end;
        if let Some(frame) = &mut self.frame {
            frame.extend(bytes);
        }
    }

    /// An unsigned varint: 7 bits a byte, least significant first, high bit on all but the
    /// last (postcard's, and protobuf's).
    fn varint(&mut self, mut value: u64) {
        loop {
            let [low, ..] = value.to_le_bytes();
            value >>= 7;
            if value == 0 {
                self.push(low & 0x7f);
                return;
            }
            self.push(low | 0x80);
        }
    }

    /// [`varint`](Self::varint) for a `u128`: 128-bit arithmetic, which costs flash on a 32-bit
    /// core, only for the groups above a `u64` (nowhere in this crate's types), then the rest as
    /// a `u64`. Each group written here has a continuation bit: what remains after it is at
    /// least 2^57, never zero.
    fn varint_u128(&mut self, mut value: u128) {
        loop {
            match u64::try_from(value) {
                Ok(small) => return self.varint(small),
                Err(_) => {
                    let [low, ..] = value.to_le_bytes();
                    self.push(low | 0x80);
                    value >>= 7;
                }
            }
        }
    }

    fn len_prefix(&mut self, len: usize) {
        self.varint(u64::try_from(len).unwrap_or(u64::MAX));
    }

    /// A signed integer as postcard writes it: zigzag, then varint.
    fn zigzag(&mut self, value: i64) {
        let unsigned = u64::from_ne_bytes(value.to_ne_bytes());
        let sign = u64::from_ne_bytes((value >> 63).to_ne_bytes());
        self.varint((unsigned << 1) ^ sign);
    }
}

/// The one error: a value postcard itself cannot write either (a sequence or map of unknown
/// length), or a `Display` that failed. None of this crate's types produces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unsupported;

impl Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("value not representable in the wire format")
    }
}

impl ser::StdError for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(_msg: T) -> Self {
        Unsupported
    }
}

/// Counts the bytes a `Display` writes.
struct CountChars(usize);

impl fmt::Write for CountChars {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Lets a `Display` write straight into the serialiser.
struct WriteChars<'w, 'b>(&'w mut Writer<'b>);

impl fmt::Write for WriteChars<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend(s.as_bytes());
        Ok(())
    }
}

/// The `Serializer` methods of the integers postcard writes as varints: zigzag for the signed
/// ones, each widened losslessly to 64 bits first.
macro_rules! integers {
    ($($method:ident($ty:ty) => $write:ident as $wide:ty;)*) => {$(
        fn $method(self, v: $ty) -> Result<(), Unsupported> {
            self.$write(<$wide>::from(v));
            Ok(())
        }
    )*};
}

impl<'b> ser::Serializer for &mut Writer<'b> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.push(u8::from(v));
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.extend(&v.to_le_bytes());
        Ok(())
    }

    integers! {
        serialize_i16(i16) => zigzag as i64;
        serialize_i32(i32) => zigzag as i64;
        serialize_i64(i64) => zigzag as i64;
        serialize_u16(u16) => varint as u64;
        serialize_u32(u32) => varint as u64;
        serialize_u64(u64) => varint as u64;
    }

    fn serialize_i128(self, v: i128) -> Result<(), Unsupported> {
        let unsigned = u128::from_ne_bytes(v.to_ne_bytes());
        let sign = u128::from_ne_bytes((v >> 127).to_ne_bytes());
        self.varint_u128((unsigned << 1) ^ sign);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.push(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Unsupported> {
        self.varint_u128(v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.extend(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.extend(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.serialize_bytes(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        self.len_prefix(v.len());
        self.extend(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Unsupported> {
        self.push(0);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        self.push(1);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        variant_index: u32,
        _variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.serialize_u32(variant_index)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        variant_index: u32,
        _variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.varint(u64::from(variant_index));
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Unsupported> {
        self.len_prefix(len.ok_or(Unsupported)?);
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, Unsupported> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Unsupported> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, Unsupported> {
        self.varint(u64::from(variant_index));
        Ok(self)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self, Unsupported> {
        self.len_prefix(len.ok_or(Unsupported)?);
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Unsupported> {
        Ok(self)
    }

    // A struct variant is written as a tuple variant: its index, then its fields in order.
    fn serialize_struct_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Unsupported> {
        self.serialize_tuple_variant(name, variant_index, variant, len)
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        // As postcard: the length first (one formatting pass to count), then the text.
        let mut count = CountChars(0);
        write!(count, "{value}").map_err(|_| Unsupported)?;
        self.len_prefix(count.0);
        write!(WriteChars(self), "{value}").map_err(|_| Unsupported)
    }
}

/// The compound serialisers: each element as itself, nothing between or after.
macro_rules! compound {
    ($($trait:ident :: $method:ident ($($name:ident),*);)*) => {$(
        impl ser::$trait for &mut Writer<'_> {
            type Ok = ();
            type Error = Unsupported;

            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($name: &'static str,)*
                value: &T,
            ) -> Result<(), Unsupported> {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), Unsupported> {
                Ok(())
            }
        }
    )*};
}

compound! {
    SerializeSeq::serialize_element();
    SerializeTuple::serialize_element();
    SerializeTupleStruct::serialize_field();
    SerializeTupleVariant::serialize_field();
    SerializeStruct::serialize_field(_key);
    SerializeStructVariant::serialize_field(_key);
}

impl ser::SerializeMap for &mut Writer<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        key.serialize(&mut **self)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Unsupported> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;
    use std::string::String;
    use std::vec::Vec;

    fn postcard_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut buf = std::vec![0u8; 70_000];
        let n = postcard::to_slice(value, &mut buf).unwrap().len();
        buf.truncate(n);
        buf
    }

    fn ours<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let len = measure(value);
        let mut buf = std::vec![0u8; len];
        assert_eq!(
            serialize_into(value, &mut buf),
            len,
            "measure and write agree"
        );
        buf
    }

    /// Our bytes equal postcard's, and a buffer one byte short still learns the whole length.
    fn same_as_postcard<T: Serialize + ?Sized + core::fmt::Debug>(value: &T) {
        let expected = postcard_bytes(value);
        assert_eq!(ours(value), expected, "{value:?}");
        if let Some(short) = expected.len().checked_sub(1) {
            let mut buf = std::vec![0xAAu8; short];
            assert_eq!(serialize_into(value, &mut buf), expected.len(), "{value:?}");
        }
    }

    #[derive(Debug, Serialize)]
    enum Kinds<'a> {
        Unit,
        Newtype(u16),
        Tuple(i8, u8),
        Struct { a: &'a str, b: Option<u64>, c: bool },
    }

    #[derive(Debug, Serialize)]
    struct Everything<'a> {
        b: bool,
        i: (i8, i16, i32, i64, i128),
        u: (u8, u16, u32, u64, u128),
        f: (f32, f64),
        c: char,
        s: &'a str,
        #[serde(with = "serde_bytes_like")]
        bytes: &'a [u8],
        o: (Option<u8>, Option<&'a str>),
        unit: (),
        kinds: [Kinds<'a>; 4],
        seq: Vec<u32>,
        map: BTreeMap<u8, &'a str>,
    }

    /// `serialize_bytes` for a slice (serde serialises `&[u8]` as a sequence otherwise).
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &&[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[test]
    fn every_kind_of_value_encodes_exactly_as_postcard_encodes_it() {
        let map = [(1u8, "one"), (200, "two hundred")].into_iter().collect();
        same_as_postcard(&Everything {
            b: true,
            i: (-1, -300, i32::MIN, i64::MAX, i128::MIN),
            u: (255, 300, u32::MAX, u64::MAX, u128::MAX),
            f: (1.5, -0.25),
            c: 'é',
            s: "sip:user1@mc-a.example",
            bytes: &[0, 1, 2, 255],
            o: (None, Some("x")),
            unit: (),
            kinds: [
                Kinds::Unit,
                Kinds::Newtype(7),
                Kinds::Tuple(-2, 2),
                Kinds::Struct {
                    a: "",
                    b: Some(1 << 40),
                    c: false,
                },
            ],
            seq: std::vec![0, 127, 128, 16_384],
            map,
        });
    }

    #[test]
    fn integers_at_every_varint_length_encode_as_postcard_encodes_them() {
        for bit in 0..64 {
            for v in [(1u64 << bit) - 1, 1u64 << bit] {
                same_as_postcard(&v);
                same_as_postcard(&(v as i64));
                same_as_postcard(&(v as i64).wrapping_neg());
                if let Ok(small) = u32::try_from(v) {
                    same_as_postcard(&small);
                }
            }
        }
    }

    #[test]
    fn strings_at_every_varint_length_encode_as_postcard_encodes_them() {
        // 0 and 127: one varint byte; 128 and 16 383: two; 16 384: three.
        for len in [
            0, 1, 2, 127, 128, 129, 255, 256, 300, 16_383, 16_384, 20_000,
        ] {
            let s: String = "é".repeat(len / 2) + &"x".repeat(len % 2);
            assert_eq!(s.len(), len);
            same_as_postcard(&(s.as_str(), 7u8));
            let bytes = ours(&(s.as_str(), 7u8));
            let back: (&str, u8) = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back, (s.as_str(), 7), "postcard's decoder reads it back");
        }
    }

    #[test]
    fn collected_strings_encode_as_postcard_encodes_them() {
        struct Shown(u32);
        impl Serialize for Shown {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&format_args!("id-{}", self.0))
            }
        }
        impl core::fmt::Debug for Shown {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "Shown({})", self.0)
            }
        }
        same_as_postcard(&Shown(42));
    }

    #[test]
    fn a_sequence_of_unknown_length_is_refused_as_postcard_refuses_it() {
        struct Unsized;
        impl Serialize for Unsized {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                s.serialize_seq(None)?.end()
            }
        }
        assert!(postcard::to_slice(&Unsized, &mut [0u8; 8]).is_err());
        assert_eq!(measure(&Unsized), usize::MAX);
    }

    #[test]
    fn the_frame_is_the_cobs_encoding_of_the_bytes_and_their_crc_and_its_delimiter() {
        // A zero byte, then a run of non-zero bytes longer than one COBS block.
        let long = "x".repeat(300);
        let value = (0u8, long.as_str(), 0u8);
        let bytes = ours(&value);
        let lengths = measure_frame(&value);
        assert_eq!(lengths.len, bytes.len());
        assert_eq!(
            lengths.crc,
            crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(&bytes)
        );
        let mut covered = bytes.clone();
        covered.extend_from_slice(&lengths.crc.to_le_bytes());
        assert_eq!(lengths.frame_len, crate::cobs::encoded_len(&covered) + 1);
    }
}
