//! The two CRC-32s of the library, both reflected with initial value and final XOR
//! `0xFFFFFFFF`, differing only in their polynomial:
//!
//! - CRC-32C (Castagnoli, `crc::CRC_32_ISCSI`) over every frame's message
//!   ([Frames](crate::wire#frames));
//! - CRC-32/ISO-HDLC (Ethernet's and zlib's, `crc::CRC_32_ISO_HDLC`) over table snapshots and
//!   saves.
//!
//! One bitwise loop serves both: no 1 KiB lookup table in flash, and not the `crc` crate's
//! general-purpose code, which cost the firmware several times this one's flash
//! (docs/footprint.md). Under the fuzzer, which takes a snapshot at every other step, a table
//! built at compile time replaces the loop; the checksums are the same. The tests hold both to
//! the `crc` crate.

/// CRC-32C's polynomial `0x1EDC6F41`, reflected.
pub(crate) const CASTAGNOLI: u32 = 0x82F6_3B78;

/// CRC-32/ISO-HDLC's polynomial `0x04C11DB7`, reflected.
pub(crate) const ISO_HDLC: u32 = 0xEDB8_8320;

/// CRC-32/ISO-HDLC of any bytes followed by their own CRC (little-endian): bytes whose stored
/// CRC matches, and only those, give this.
pub(crate) const ISO_HDLC_RESIDUE: u32 = 0x2144_DF1C;

/// A CRC register being fed bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Crc32 {
    poly: u32,
    register: u32,
}

impl Crc32 {
    /// A register for the CRC of polynomial `poly` (reflected), before the first byte.
    pub(crate) const fn new(poly: u32) -> Self {
        Self {
            poly,
            register: 0xFFFF_FFFF,
        }
    }

    /// Feeds `bytes`.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.register = update(self.poly, self.register, bytes);
    }

    /// The CRC of the bytes fed: the register's complement.
    pub(crate) const fn finish(self) -> u32 {
        !self.register
    }

    /// The CRC of `bytes` alone.
    pub(crate) fn checksum(poly: u32, bytes: &[u8]) -> u32 {
        let mut crc = Self::new(poly);
        crc.update(bytes);
        crc.finish()
    }
}

/// Feeds `bytes` to `register`, bit by bit. Never inlined: one copy for every CRC.
#[cfg(not(fuzzing))]
#[inline(never)]
fn update(poly: u32, mut register: u32, bytes: &[u8]) -> u32 {
    for &byte in bytes {
        register ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (register & 1).wrapping_neg();
            register = (register >> 1) ^ (poly & mask);
        }
    }
    register
}

/// Feeds `bytes` to `register`, a byte at a time through a table (fuzzing builds only).
#[cfg(fuzzing)]
fn update(poly: u32, mut register: u32, bytes: &[u8]) -> u32 {
    const fn table(poly: u32) -> [u32; 256] {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = i as u32;
            let mut bit = 0;
            while bit < 8 {
                r = (r >> 1) ^ (poly & (r & 1).wrapping_neg());
                bit += 1;
            }
            table[i] = r;
            i += 1;
        }
        table
    }
    const CASTAGNOLI_TABLE: [u32; 256] = table(CASTAGNOLI);
    const ISO_HDLC_TABLE: [u32; 256] = table(ISO_HDLC);
    let table = if poly == CASTAGNOLI {
        &CASTAGNOLI_TABLE
    } else {
        &ISO_HDLC_TABLE
    };
    for &byte in bytes {
        let index = (register ^ u32::from(byte)) & 0xff;
        register = (register >> 8) ^ table.get(index as usize).copied().unwrap_or(0);
    }
    register
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_crcs_are_the_crc_crates_on_every_length_and_split() {
        let castagnoli = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
        let iso_hdlc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        // The catalogue's check values, then bytes of every value at lengths 0 to 300.
        assert_eq!(Crc32::checksum(CASTAGNOLI, b"123456789"), 0xE306_9283);
        assert_eq!(Crc32::checksum(ISO_HDLC, b"123456789"), 0xCBF4_3926);
        let bytes: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 151 + 7) as u8).collect();
        for len in [0, 1, 2, 3, 4, 7, 8, 63, 64, 255, 256, 300] {
            let data = &bytes[..len];
            assert_eq!(Crc32::checksum(CASTAGNOLI, data), castagnoli.checksum(data));
            assert_eq!(Crc32::checksum(ISO_HDLC, data), iso_hdlc.checksum(data));
            // Fed in two pieces: the same CRC.
            let mut split = Crc32::new(ISO_HDLC);
            split.update(&data[..len / 3]);
            split.update(&data[len / 3..]);
            assert_eq!(split.finish(), iso_hdlc.checksum(data));
            // Followed by its CRC: the residue; with any other four bytes, not.
            let mut framed = data.to_vec();
            framed.extend(iso_hdlc.checksum(data).to_le_bytes());
            assert_eq!(Crc32::checksum(ISO_HDLC, &framed), ISO_HDLC_RESIDUE);
            let last = framed.len() - 1;
            framed[last] ^= 1;
            assert_ne!(Crc32::checksum(ISO_HDLC, &framed), ISO_HDLC_RESIDUE);
        }
    }
}
