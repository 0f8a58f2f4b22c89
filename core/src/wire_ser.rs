//! The crate's encoder: values in, postcard's wire format out, byte for byte.
//!
//! Each type says how it is written by implementing [`Encode`] — unsigned varints (7 bits a
//! byte, least significant first), a tag byte for `Option`, a varint variant index, a varint
//! length before strings, nothing for structs: the bytes postcard writes for the types' derived
//! `Serialize`, which the tests compare. No serde serialiser in between: its generic machinery
//! cost the firmware more than the messages it wrote (docs/footprint.md). Writes go through
//! `get`/`get_mut` only, so no slice-index panic path is linked. The writer also counts what it
//! writes past the end of its buffer, and can hand every piece to a sink as it goes (a
//! streamed snapshot; the CRC and the COBS length of a frame, counted by [`measure_frame`]),
//! so one encoder (over a borrowed message of any type, in `wire.rs`) serves encoding and size
//! computation of every message type. Its counterpart for decoding is
//! [`wire_de`](crate::wire_de).

use crate::bytes::copy;
use crate::checksum::{Crc32, CASTAGNOLI};
use crate::cobs::EncodedLen;

/// A value written in the wire format: the crate's messages, their fields, and the records of a
/// table snapshot.
pub(crate) trait Encode {
    /// Writes the value's bytes into `writer`.
    fn encode(&self, writer: &mut Writer<'_>);
}

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
    crc: Crc32,
}

impl FrameCount {
    fn new() -> Self {
        Self {
            cobs: EncodedLen::new(),
            crc: Crc32::new(CASTAGNOLI),
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        self.crc.update(bytes);
        for &byte in bytes {
            self.cobs.push(byte);
        }
    }

    /// The frame's length, with the CRC's bytes and the delimiter, and the CRC; once, when
    /// every byte is counted (it counts the CRC's bytes in).
    fn finish(&mut self) -> (usize, u32) {
        let crc = self.crc.finish();
        // The CRC's bytes are framed too (the CRC taken over them is not used).
        self.extend(&crc.to_le_bytes());
        (self.cobs.len().saturating_add(1), crc)
    }
}

/// Encodes `value` into `out` and returns its length. Writes exactly the encoding when `out`
/// is at least that long; into a shorter `out` (even an empty one, to measure) it writes only
/// some leading bytes, and still counts them all.
pub(crate) fn serialize_into<T: Encode + ?Sized>(value: &T, out: &mut [u8]) -> usize {
    run(value, out, None)
}

/// Encodes `value` through `sink`, in pieces as they are produced (no buffer); returns the
/// length written.
pub(crate) fn serialize_to<T: Encode + ?Sized>(value: &T, sink: &mut dyn FnMut(&[u8])) -> usize {
    run(value, &mut [], Some(sink))
}

/// The length of `value`'s encoding, writing nothing.
pub(crate) fn measure<T: Encode + ?Sized>(value: &T) -> usize {
    run(value, &mut [], None)
}

/// The lengths of `value`'s encoding and of its frame, and the frame's CRC, writing nothing:
/// the frame is counted as the bytes stream out of the encoder.
pub(crate) fn measure_frame<T: Encode + ?Sized>(value: &T) -> Lengths {
    let mut frame = FrameCount::new();
    let len = run(value, &mut [], Some(&mut |bytes| frame.extend(bytes)));
    let (frame_len, crc) = frame.finish();
    Lengths {
        len,
        frame_len,
        crc,
    }
}

/// The one encoding run behind the four above, so that a type's encoder is linked once:
/// writes into `out` while there is room, hands every piece to `sink` if given, and returns
/// the length.
fn run<'b, T: Encode + ?Sized>(value: &T, out: &'b mut [u8], sink: Option<Sink<'b>>) -> usize {
    let mut writer = Writer { out, len: 0, sink };
    value.encode(&mut writer);
    writer.len
}

/// Where a streaming serialisation hands its bytes.
type Sink<'b> = &'b mut dyn FnMut(&[u8]);

/// Writes into its buffer while there is room and counts every byte.
pub(crate) struct Writer<'b> {
    out: &'b mut [u8],
    len: usize,
    /// Where the bytes also go, as they are produced.
    sink: Option<Sink<'b>>,
}

impl Writer<'_> {
    pub(crate) fn push(&mut self, byte: u8) {
        self.extend(core::slice::from_ref(&byte));
    }

    /// Not inlined on bare metal: one copy of the writes for every byte and string.
    #[cfg_attr(target_os = "none", inline(never))]
    fn extend(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            copy(dst, bytes);
        }
        if let Some(sink) = &mut self.sink {
            sink(bytes);
        }
        self.len = end;
    }

    /// An unsigned varint: 7 bits a byte, least significant first, high bit on all but the
    /// last (postcard's, and protobuf's). In 32-bit arithmetic, as the decoder reads them:
    /// every number the library writes fits, and a 32-bit firmware needs no 64-bit shifts.
    pub(crate) fn varint(&mut self, mut value: u32) {
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

    /// A varint length, then the bytes: a string.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        // The decoder reads a length as a `u32` too; no identifier comes near it.
        self.varint(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        self.extend(bytes);
    }
}

impl Encode for bool {
    fn encode(&self, w: &mut Writer<'_>) {
        w.push(u8::from(*self));
    }
}

/// A byte as itself (the envelope's version and type).
impl Encode for u8 {
    fn encode(&self, w: &mut Writer<'_>) {
        w.push(*self);
    }
}

impl Encode for u32 {
    fn encode(&self, w: &mut Writer<'_>) {
        w.varint(*self);
    }
}

impl Encode for u64 {
    /// The groups of seven bits above a `u32`, each with its continuation bit (more follow),
    /// then the rest as a `u32` varint: the same bytes as one loop over the `u64`.
    fn encode(&self, w: &mut Writer<'_>) {
        let mut value = *self;
        loop {
            match u32::try_from(value) {
                Ok(rest) => return w.varint(rest),
                Err(_) => {
                    let [low, ..] = value.to_le_bytes();
                    w.push(low | 0x80);
                    value >>= 7;
                }
            }
        }
    }
}

impl<T: Encode> Encode for Option<T> {
    /// The tag, 0 or 1, then the value if present.
    fn encode(&self, w: &mut Writer<'_>) {
        w.push(u8::from(self.is_some()));
        if let Some(value) = self {
            value.encode(w);
        }
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, w: &mut Writer<'_>) {
        (**self).encode(w);
    }
}

/// A tuple is its elements in a row (the envelope and its message).
impl<A: Encode, B: Encode, C: Encode> Encode for (A, B, C) {
    fn encode(&self, w: &mut Writer<'_>) {
        self.0.encode(w);
        self.1.encode(w);
        self.2.encode(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::string::String;
    use std::vec::Vec;

    fn postcard_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut buf = std::vec![0u8; 70_000];
        let n = postcard::to_slice(value, &mut buf).unwrap().len();
        buf.truncate(n);
        buf
    }

    fn ours<T: Encode + ?Sized>(value: &T) -> Vec<u8> {
        let len = measure(value);
        let mut buf = std::vec![0u8; len];
        assert_eq!(
            serialize_into(value, &mut buf),
            len,
            "measure and write agree"
        );
        let mut streamed = Vec::new();
        assert_eq!(
            serialize_to(value, &mut |b| streamed.extend_from_slice(b)),
            len
        );
        assert_eq!(streamed, buf, "streaming writes the same bytes");
        buf
    }

    /// Our bytes equal postcard's, and a buffer one byte short still learns the whole length.
    fn same_as_postcard<T: Encode + Serialize + ?Sized + core::fmt::Debug>(value: &T) {
        let expected = postcard_bytes(value);
        assert_eq!(ours(value), expected, "{value:?}");
        if let Some(short) = expected.len().checked_sub(1) {
            let mut buf = std::vec![0xAAu8; short];
            assert_eq!(serialize_into(value, &mut buf), expected.len(), "{value:?}");
            assert_eq!(buf, expected[..short], "{value:?}: the bytes that fit");
        }
    }

    #[test]
    fn integers_at_every_varint_length_encode_as_postcard_encodes_them() {
        for bit in 0..64 {
            for v in [(1u64 << bit) - 1, 1u64 << bit] {
                same_as_postcard(&v);
                if let Ok(small) = u32::try_from(v) {
                    same_as_postcard(&small);
                }
            }
        }
        same_as_postcard(&u64::MAX);
        same_as_postcard(&u32::MAX);
    }

    #[test]
    fn bytes_bools_options_and_tuples_encode_as_postcard_encodes_them() {
        same_as_postcard(&(7u8, true, false));
        same_as_postcard(&(Some(300u32), None::<u32>, Some(Some(1u64))));
        same_as_postcard(&(&0u8, &255u8, &(1u8, 2u8, 3u8)));
    }

    /// A string as the identifier types write it.
    #[derive(Debug)]
    struct Text<'a>(&'a str);

    impl Encode for Text<'_> {
        fn encode(&self, w: &mut Writer<'_>) {
            w.bytes(self.0.as_bytes());
        }
    }

    impl Serialize for Text<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.0)
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
            same_as_postcard(&(Text(&s), 7u8, Text("")));
        }
    }

    #[test]
    fn the_frame_is_the_cobs_encoding_of_the_bytes_and_their_crc_and_its_delimiter() {
        // A zero byte, then a run of non-zero bytes longer than one COBS block.
        let long = "x".repeat(300);
        let value = (0u8, Text(&long), 0u8);
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
