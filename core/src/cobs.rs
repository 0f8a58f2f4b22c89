//! Consistent Overhead Byte Stuffing (COBS), in place and panic-free: the framing of
//! [`encode_frame`](crate::wire::encode_frame) and [`decode_frame`](crate::wire::decode_frame).
//!
//! The bytes are those of the `cobs` crate (and of postcard's COBS flavor, which uses it): a
//! code byte `n` opens each block and is followed by `n - 1` non-zero bytes; a block shorter
//! than 254 data bytes stands for its bytes and one `0x00`, and a full block (`0xFF`) for its
//! 254 bytes alone; the last block's implied `0x00` is dropped. Our own small implementation,
//! because the crate's indexes slices (a panic path) and postcard's flavor duplicates the
//! serialiser: on a Cortex-M both cost flash the firmware needs (docs/footprint.md).

/// Longest block: a code byte of `0xFF` carries 254 data bytes.
const FULL_BLOCK: u8 = 0xFF;

/// Counts the bytes of the COBS encoding (without the `0x00` delimiter) of bytes given one at
/// a time, so that a serialiser can tell a frame's length without writing it anywhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncodedLen {
    len: usize,
    /// The code byte the current block would get: one more than its data bytes.
    code: u8,
}

impl EncodedLen {
    /// The count for no data: the first block's code byte.
    pub(crate) const fn new() -> Self {
        Self { len: 1, code: 1 }
    }

    /// Counts one more byte of data. Not inlined: one copy for every byte a frame counts.
    #[inline(never)]
    pub(crate) fn push(&mut self, byte: u8) {
        self.len = self.len.saturating_add(1);
        // A block's code stays below `FULL_BLOCK` between bytes: one more never wraps.
        self.code = if byte == 0 {
            1
        } else {
            self.code.wrapping_add(1)
        };
        if self.code == FULL_BLOCK {
            // The full block closes; the next one's code byte is one more byte.
            self.len = self.len.saturating_add(1);
            self.code = 1;
        }
    }

    /// Bytes of the encoding of the data counted so far.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }
}

/// Bytes that `data` encodes to, without the `0x00` delimiter: one code byte per block.
#[cfg(test)]
pub(crate) fn encoded_len(data: &[u8]) -> usize {
    let mut len = EncodedLen::new();
    for &byte in data {
        len.push(byte);
    }
    len.len()
}

/// Encodes `buf[start..end]` into `buf[..]` from its first byte and returns the encoded
/// length, without delimiter.
///
/// In place: the output never overtakes the input still to be read as long as `start` is at
/// least the encoding's overhead, `encoded_len(&buf[start..end]) - (end - start)`. Returns
/// `None` (nothing to rely on in `buf`) if it is not, or if the range is not within `buf`.
pub(crate) fn encode_in_place(buf: &mut [u8], start: usize, end: usize) -> Option<usize> {
    let mut code_at: usize = 0;
    let mut out: usize = 1;
    let mut code: u8 = 1;
    let mut read = start;
    while read < end {
        // Reading before writing: `out <= read` holds while the overhead fits before `start`.
        if out > read {
            return None;
        }
        let byte = *buf.get(read)?;
        read = read.checked_add(1)?;
        if byte == 0 {
            *buf.get_mut(code_at)? = code;
            code_at = out;
            out = out.checked_add(1)?;
            code = 1;
        } else {
            *buf.get_mut(out)? = byte;
            out = out.checked_add(1)?;
            code = code.checked_add(1)?;
            if code == FULL_BLOCK {
                *buf.get_mut(code_at)? = code;
                code_at = out;
                out = out.checked_add(1)?;
                code = 1;
            }
        }
    }
    *buf.get_mut(code_at)? = code;
    Some(out)
}

/// The outcome of [`decode_in_place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Encoded bytes consumed: up to the first `0x00` or the end of the buffer.
    pub(crate) src_used: usize,
    /// Decoded bytes, now at the start of the buffer.
    pub(crate) dst_used: usize,
}

/// Decodes the COBS data in `buf` up to its first `0x00` (or its end), in place, and says how
/// many bytes it consumed and produced; `None` for an empty buffer or a block whose code byte
/// runs past the data. Accepts and rejects exactly what `cobs::decode_in_place_report` does.
pub(crate) fn decode_in_place(buf: &mut [u8]) -> Option<Decoded> {
    if buf.is_empty() {
        return None;
    }
    let src_end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let mut src: usize = 0;
    let mut dst: usize = 0;
    while src < src_end {
        let code = *buf.get(src)?;
        if src.checked_add(usize::from(code))? > src_end {
            return None;
        }
        src = src.checked_add(1)?;
        for _ in 1..code {
            // `dst < src` always: in place is safe, each byte moves towards the start.
            let byte = *buf.get(src)?;
            *buf.get_mut(dst)? = byte;
            src = src.checked_add(1)?;
            dst = dst.checked_add(1)?;
        }
        if code != FULL_BLOCK && src < src_end {
            *buf.get_mut(dst)? = 0;
            dst = dst.checked_add(1)?;
        }
    }
    Some(Decoded {
        src_used: src,
        dst_used: dst,
    })
}

#[cfg(test)]
// Test arithmetic on lengths: overflow would be a test bug (the workspace lints deny it in library code).
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Our encoding of `data`, placed at the end of a buffer just long enough, as `encode_frame`
    /// places it.
    fn ours(data: &[u8]) -> Vec<u8> {
        let len = encoded_len(data);
        let start = len - data.len();
        let mut buf = vec![0u8; len];
        buf[start..].copy_from_slice(data);
        assert_eq!(encode_in_place(&mut buf, start, len), Some(len));
        buf
    }

    /// The bytes frames had on the wire before this module: postcard's COBS flavor (the `cobs`
    /// crate's encoder state), delimiter dropped. It closes a message that ends on a full
    /// block with an empty block (`0x01`), where `cobs::encode` stops.
    fn oracle(data: &[u8]) -> Vec<u8> {
        use postcard::ser_flavors::{Cobs, Flavor, Slice};
        let mut out = vec![0u8; ::cobs::max_encoding_length(data.len()) + 2];
        let mut flavor = Cobs::try_new(Slice::new(&mut out)).unwrap();
        flavor.try_extend(data).unwrap();
        let mut frame = flavor.finalize().unwrap().to_vec();
        assert_eq!(frame.pop(), Some(0));
        frame
    }

    /// The `cobs` crate's encoder agrees but at the end of a full block, as said above.
    fn crate_encoding(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; ::cobs::max_encoding_length(data.len())];
        let n = ::cobs::encode(data, &mut out);
        out.truncate(n);
        out
    }

    /// Edge cases of block boundaries: empty, zeros, runs of 253, 254 and 255 non-zero bytes.
    fn edge_cases() -> Vec<Vec<u8>> {
        let run = |n: usize| vec![0x11u8; n];
        let mut cases = vec![vec![], vec![0], vec![0, 0], vec![1], vec![1, 0], vec![0, 1]];
        for n in [253, 254, 255, 508, 509] {
            cases.push(run(n));
            let mut with_zero = run(n);
            with_zero.push(0);
            cases.push(with_zero);
            let mut zero_first = vec![0];
            zero_first.extend(run(n));
            cases.push(zero_first);
        }
        cases
    }

    #[test]
    fn encoding_matches_postcards_cobs_flavor_at_block_boundaries() {
        for data in edge_cases() {
            assert_eq!(ours(&data), oracle(&data), "data of {} bytes", data.len());
            assert_eq!(encoded_len(&data), oracle(&data).len());
        }
    }

    #[test]
    fn encoding_refuses_a_start_too_close_to_overtake() {
        // 300 non-zero bytes need two code bytes: one byte of room is not enough.
        let mut buf = vec![0x22u8; 301];
        assert_eq!(encode_in_place(&mut buf, 1, 301), None);
        let mut buf = vec![0x22u8; 302];
        assert_eq!(encode_in_place(&mut buf, 2, 302), Some(302));
        assert_eq!(buf, oracle(&[0x22u8; 300]));
        assert_eq!(buf, crate_encoding(&[0x22u8; 300]));
        assert_eq!(encode_in_place(&mut buf, 2, 400), None);
    }

    #[test]
    fn decoding_matches_the_cobs_crate_on_edge_cases_and_garbage() {
        let mut inputs: Vec<Vec<u8>> = edge_cases().iter().map(|d| oracle(d)).collect();
        inputs.extend(edge_cases().iter().map(|d| crate_encoding(d)));
        inputs.extend([
            vec![],
            vec![0],
            vec![5, 1, 2],
            vec![2, 1, 0, 7],
            vec![0xFF],
            vec![1, 1, 1],
            vec![3, 1, 2, 0, 9, 9],
        ]);
        for input in inputs {
            assert_same_decoding(&input);
        }
    }

    fn assert_same_decoding(input: &[u8]) {
        let mut a = input.to_vec();
        let mut b = input.to_vec();
        let theirs = ::cobs::decode_in_place_report(&mut a).map(|r| (r.src_used, r.dst_used));
        let mine = decode_in_place(&mut b).map(|d| (d.src_used, d.dst_used));
        assert_eq!(mine, theirs.ok(), "input {input:02x?}");
        if let Some((_, dst)) = mine {
            assert_eq!(a[..dst], b[..dst], "input {input:02x?}");
        }
    }

    proptest! {
        #[test]
        fn encoding_matches_postcards_cobs_flavor(data in proptest::collection::vec(
            prop_oneof![Just(0u8), any::<u8>()], 0..800)) {
            prop_assert_eq!(ours(&data), oracle(&data));
        }

        #[test]
        fn decoding_matches_the_cobs_crate(input in proptest::collection::vec(
            prop_oneof![Just(0u8), 1u8..8, any::<u8>()], 0..600)) {
            assert_same_decoding(&input);
        }

        #[test]
        fn decoding_inverts_encoding(data in proptest::collection::vec(any::<u8>(), 0..800)) {
            let mut frame = ours(&data);
            let decoded = decode_in_place(&mut frame).unwrap();
            prop_assert_eq!(decoded.src_used, frame.len());
            prop_assert_eq!(&frame[..decoded.dst_used], &data[..]);
        }
    }
}
