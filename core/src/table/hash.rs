//! The migration table's hash function.
//!
//! `heapless`'s default FNV hashes one byte at a time; MC service IDs are 20–128 byte URIs that
//! share long prefixes (`sip:user…@mc-a.example`), so lookups spent most of their time hashing.
//! This hasher takes eight bytes per step (FxHash's rotate-xor-multiply) and finishes with
//! MurmurHash3's 64-bit avalanche, because the table's index (`store.rs`) keeps only the high
//! 32 bits of the hash and picks a key's home bucket from them by multiply-shift, which reads
//! their highest bits, and a bare multiply leaves a short key's bits poorly mixed. Keys come
//! from the MC system's own migration updates, not from callers, so a keyed (DoS-resistant)
//! hash is not needed.

use core::hash::Hasher;

/// Word-at-a-time hasher for MC service IDs.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher {
    state: u64,
}

/// A `BuildHasher` of [`IdHasher`] (`hash32`'s copy of `BuildHasherDefault`, whose constructor
/// is `const`). The table itself hashes an ID's bytes with [`IdHasher`] directly (`hash_id`):
/// `Hash for str` would add a terminator byte, and so one more mixing step, to every hash.
pub type BuildIdHasher = hash32::BuildHasherDefault<IdHasher>;

/// The hash of an MC service ID as the table's index uses it on a 64-bit target: its bytes
/// through [`IdHasher`].
#[cfg(any(test, target_pointer_width = "64"))]
pub(super) fn hash_id(id: &[u8]) -> u64 {
    let mut hasher = IdHasher::default();
    hasher.write(id);
    hasher.finish()
}

/// The hash of an MC service ID as the table's index uses it on a 32-bit target: the same
/// rotate-xor-multiply, a byte at a time, and MurmurHash3's 32-bit avalanche. A 64-bit multiply
/// is a library call's worth of code there, and the index keeps only 32 bits anyway; hashes are
/// never persisted (a restore relinks every record), so the two widths need not agree. A byte
/// per step, not a word: no chunking and no tail to pack, the least flash, and a Cortex-M4
/// multiplies in one cycle, so a 40-byte ID still hashes in some 160 cycles. Every byte is a
/// step, so "ab" and "ab\0" differ without mixing in the length.
#[cfg(any(test, not(target_pointer_width = "64")))]
pub(super) fn hash_id_32(id: &[u8]) -> u32 {
    const SEED32: u32 = 0x9e37_79b9;
    let mut h = id.iter().fold(0, |state: u32, &byte| {
        (state.rotate_left(5) ^ u32::from(byte)).wrapping_mul(SEED32)
    });
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

const SEED: u64 = 0x517c_c1b7_2722_0a95;

impl IdHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let (words, tail) = bytes.as_chunks::<8>();
        for word in words {
            self.mix(u64::from_le_bytes(*word));
        }
        if !tail.is_empty() {
            // The tail's bytes as a little-endian word, zero above them, built in a register:
            // copying the tail into a zeroed buffer and loading that as a word would stall
            // store-to-load forwarding (bytes stored, a word loaded), a quarter of a lookup.
            let last = tail
                .iter()
                .rev()
                .fold(0, |word: u64, &byte| (word << 8) | u64::from(byte));
            // The tail's length tells "ab" from "ab\0".
            self.mix(last ^ ((tail.len() as u64) << 59));
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.state;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::hash::BuildHasher;
    use std::collections::HashSet;
    use std::format;

    fn hash(s: &str) -> u64 {
        hash_id(s.as_bytes())
    }

    /// What a bucket stores, `stored` of an ID, and the home bucket it names among `buckets`
    /// (`store::home`) spread IDs that share a long prefix as random values would.
    fn assert_spreads(stored: impl Fn(&str) -> u32) {
        let stored = |n: usize| stored(&format!("sip:user{n}@mc-a.example"));
        let home = |n: usize, buckets: u64| u64::from(stored(n)).wrapping_mul(buckets) >> 32;
        let high: HashSet<u16> = (0..4096).map(|n| (stored(n) >> 16) as u16).collect();
        // Random 16-bit values would give about 3970 distinct out of 4096.
        assert!(high.len() > 3850, "{} distinct", high.len());
        // Home buckets of a full table of N = 256 records: 512 buckets. Random homes would
        // use about 201 of them.
        let homes: HashSet<u64> = (0..256).map(|n| home(n, 512)).collect();
        assert!(
            homes.len() > 180,
            "{} of 512 home buckets used",
            homes.len()
        );
    }

    #[test]
    fn ids_with_a_common_prefix_spread_over_the_bits_and_home_buckets_the_index_uses() {
        // What a bucket stores on 64-bit targets (`store::key_hash`): the high 32 bits.
        assert_spreads(|id| (hash(id) >> 32) as u32);
    }

    /// The hash as first defined: the tail copied into a zeroed word.
    fn reference(bytes: &[u8]) -> u64 {
        let mut state: u64 = 0;
        let mut mix = |word: u64| state = (state.rotate_left(5) ^ word).wrapping_mul(SEED);
        let mut chunks = bytes.chunks_exact(8);
        for word in chunks.by_ref() {
            mix(u64::from_le_bytes(word.try_into().unwrap()));
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            mix(u64::from_le_bytes(last) ^ ((tail.len() as u64) << 59));
        }
        IdHasher { state }.finish()
    }

    #[test]
    fn the_tail_read_as_a_word_hashes_as_the_tail_copied_into_one() {
        let text = b"sip:user-with-a-long-name-0042@mc-b.example/and-some-more";
        for len in 0..=text.len() {
            let bytes = &text[..len];
            assert_eq!(hash_id(bytes), reference(bytes), "length {len}");
        }
        // Every byte value, 0x00 and the high ones included, at every place of every tail
        // length, after 0, 1 and 2 whole words.
        for prefix in [0, 8, 16] {
            for tail in 1..8 {
                for at in 0..tail {
                    for value in 0..=255u8 {
                        let mut bytes = text[..prefix + tail].to_vec();
                        bytes[prefix + at] = value;
                        assert_eq!(hash_id(&bytes), reference(&bytes), "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn build_id_hasher_hashes_with_id_hasher() {
        let mut hasher = BuildIdHasher::default().build_hasher();
        hasher.write(b"sip:user2@mc-a.example");
        assert_eq!(hasher.finish(), hash("sip:user2@mc-a.example"));
    }

    #[test]
    fn every_byte_and_the_length_change_the_hash() {
        let base = "sip:user-with-a-long-name-0042@mc-b.example";
        let h = hash(base);
        for i in 0..base.len() {
            let mut bytes = base.as_bytes().to_vec();
            bytes[i] ^= 1;
            let changed = core::str::from_utf8(&bytes).unwrap();
            assert_ne!(hash(changed), h, "byte {i}");
        }
        assert_ne!(hash("sip:ab"), hash("sip:ab\0"));
        assert_ne!(hash("sip:abcdefgh"), hash("sip:abcdefgh\0"));
    }

    #[test]
    fn the_32_bit_hash_spreads_ids_with_a_common_prefix_and_sees_every_byte_and_the_length() {
        assert_spreads(|id| hash_id_32(id.as_bytes()));
        let base = b"sip:user-with-a-long-name-0042@mc-b.example";
        let h = hash_id_32(base);
        for i in 0..base.len() {
            let mut bytes = base.to_vec();
            bytes[i] ^= 1;
            assert_ne!(hash_id_32(&bytes), h, "byte {i}");
        }
        for s in ["sip:ab", "sip:abc", "sip:abcd", "sip:abcdefgh"] {
            let mut longer = s.as_bytes().to_vec();
            longer.push(0);
            assert_ne!(hash_id_32(s.as_bytes()), hash_id_32(&longer), "{s}");
        }
    }
}
