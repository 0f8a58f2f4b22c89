//! Power-cut-safe saves of a migration table: two slots, A and B, written alternately.
//!
//! A gateway that saves its table as one blob over the previous one loses both when power fails
//! mid-write: the torn snapshot fails its CRC and the gateway comes back with an empty table.
//! [`MigrationTable::save`] instead writes into the slot that does **not** hold the newest valid
//! save, with a sequence number one past it, and [`MigrationTable::load`] restores the newest
//! slot that is whole. A cut at any byte of a save leaves the previous save untouched in the
//! other slot, so a load returns either the previous table or the new one, never an error while
//! a valid save exists, and never a mixture.
//!
//! A slot holds:
//!
//! | bytes | field |
//! |---|---|
//! | 0–3 | [`SAVE_MAGIC`], `MCXB` |
//! | 4–7 | sequence number, u32 LE: one more than the save before it (wrapping; the newer of two is the one ahead by less than 2³¹) |
//! | 8– | the table snapshot ([`MigrationTable::snapshot`]), whose header states its length |
//! | last 4 | CRC-32 (ISO-HDLC) of everything before it |
//!
//! The library stays free of any flash driver: a slot is anything that implements [`SaveSlot`]
//! (erase, then program in order), such as a RAM buffer (`[u8]`) or a flash driver's pages, and
//! a load reads the two slots as bytes (memory-mapped flash, or what the driver read into RAM).

use crate::bytes::copy;
use crate::checksum::{Crc32, ISO_HDLC, ISO_HDLC_RESIDUE};

use super::{max_snapshot_len, MigrationTable, TableStorage};
use crate::error::SnapshotError;

/// First bytes of every save slot.
pub const SAVE_MAGIC: [u8; 4] = *b"MCXB";
/// Bytes before the snapshot: magic and sequence number.
pub const SAVE_HEADER_LEN: usize = 8;
/// Bytes after the snapshot: the slot's CRC-32.
pub const SAVE_CRC_LEN: usize = 4;
/// The bytes a program call gets at a time (the last one of a save may be shorter), at offsets
/// that are multiples of it: flash that programs whole words or rows can take them as they
/// come.
pub const SAVE_PROGRAM_CHUNK: usize = 32;

/// Bytes a slot needs for any save of a table over `storage_len` bytes of storage.
pub const fn save_slot_len(storage_len: usize) -> usize {
    max_snapshot_len(storage_len).saturating_add(SAVE_HEADER_LEN + SAVE_CRC_LEN)
}

/// One of the two save slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SlotId {
    /// The first slot.
    A,
    /// The second slot.
    B,
}

/// A failed erase or program, as the slot's driver reports it (its own code, passed on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotIoError(pub i32);

/// Where a save goes: a RAM buffer, or a flash area through its driver.
pub trait SaveSlot {
    /// The slot's length in bytes.
    fn len(&self) -> usize;
    /// Reads the slot's bytes at `offset` into `buf` (within [`len`](Self::len)).
    fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), SlotIoError>;
    /// Erases the whole slot before a save programs it (flash reads 0xFF afterwards).
    fn erase(&mut self) -> Result<(), SlotIoError>;
    /// Programs `data` at `offset`; a save calls it at increasing offsets, in
    /// [`SAVE_PROGRAM_CHUNK`]-byte pieces at multiples of that offset (the last may be shorter).
    fn program(&mut self, offset: usize, data: &[u8]) -> Result<(), SlotIoError>;
    /// Whether the slot has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A RAM buffer as a slot: erased to 0xFF, programmed by copying.
impl SaveSlot for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), SlotIoError> {
        let end = offset.checked_add(buf.len()).ok_or(SlotIoError(-1))?;
        copy(buf, self.get(offset..end).ok_or(SlotIoError(-1))?);
        Ok(())
    }

    fn erase(&mut self) -> Result<(), SlotIoError> {
        self.fill(0xFF);
        Ok(())
    }

    fn program(&mut self, offset: usize, data: &[u8]) -> Result<(), SlotIoError> {
        let end = offset.checked_add(data.len()).ok_or(SlotIoError(-1))?;
        copy(self.get_mut(offset..end).ok_or(SlotIoError(-1))?, data);
        Ok(())
    }
}

/// Why a slot holds no usable save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SlotFault {
    /// Erased: every byte of its header reads 0xFF (never saved, or a save cut before it began).
    Erased,
    /// It does not start with [`SAVE_MAGIC`].
    NotASave,
    /// Its stated length runs past the slot's end, or the slot is too short for a header.
    Truncated,
    /// Its CRC does not match: a save cut short by a power failure, or corrupted bytes.
    CrcMismatch,
    /// Whole, but its snapshot does not restore into this table (the table is left unchanged).
    Snapshot(SnapshotError),
    /// The slot's driver failed to read it.
    Io(SlotIoError),
}

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SlotState {
    /// A whole save with this sequence number.
    Saved {
        /// Its sequence number.
        sequence: u32,
    },
    /// No usable save, and why.
    Refused(SlotFault),
}

/// What [`MigrationTable::save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Saved {
    /// The slot written.
    pub slot: SlotId,
    /// The save's sequence number.
    pub sequence: u32,
    /// Bytes written to the slot.
    pub len: usize,
}

/// Why [`MigrationTable::save`] wrote nothing whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SaveError {
    /// The slot to write is shorter than the save; `needed` bytes would hold it. Nothing was
    /// written.
    SlotTooSmall {
        /// The length the save needs.
        needed: usize,
    },
    /// The slot's driver failed to erase or program it: the slot holds no valid save now, the
    /// other slot still holds the previous one.
    Io(SlotId, SlotIoError),
}

/// What [`MigrationTable::load`] restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Loaded {
    /// The slot restored.
    pub slot: SlotId,
    /// Its sequence number.
    pub sequence: u32,
    /// What the other slot holds: an older save, or why it was refused.
    pub other: SlotState,
}

/// Why [`MigrationTable::load`] restored nothing (the table is unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoSave {
    /// Why slot A was refused.
    pub a: SlotFault,
    /// Why slot B was refused.
    pub b: SlotFault,
}

/// Whether sequence number `a` is newer than `b` (serial-number order, wrapping).
fn newer(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 1 << 31
}

/// The length of the save in a slot whose first 17 bytes are `head` (header and the snapshot's
/// header), or why it cannot be one.
fn stated_len(head: &[u8; SAVE_HEADER_LEN + 9], slot_len: usize) -> Result<usize, SlotFault> {
    let [m0, m1, m2, m3, .., l0, l1, l2, l3] = *head;
    if [m0, m1, m2, m3] != SAVE_MAGIC {
        return Err(if head.iter().all(|&b| b == 0xFF) {
            SlotFault::Erased
        } else {
            SlotFault::NotASave
        });
    }
    let snapshot =
        usize::try_from(u32::from_le_bytes([l0, l1, l2, l3])).map_err(|_| SlotFault::Truncated)?;
    let total = snapshot
        .checked_add(SAVE_HEADER_LEN + SAVE_CRC_LEN)
        .ok_or(SlotFault::Truncated)?;
    if total > slot_len {
        return Err(SlotFault::Truncated);
    }
    Ok(total)
}

/// Checks a slot through its reader: magic, length, CRC; its sequence number and length.
fn inspect<T: SaveSlot + ?Sized>(slot: &T) -> Result<(u32, usize), SlotFault> {
    check_save(slot.len(), &mut |offset, buf| slot.read(offset, buf))
}

/// A slot's [`SaveSlot::read`], as [`check_save`] takes it.
type ReadAt<'r> = &'r mut dyn FnMut(usize, &mut [u8]) -> Result<(), SlotIoError>;

/// [`inspect`] over a slot of `slot_len` bytes read through `read`: one copy of the checks for
/// every kind of slot (a RAM buffer, a C driver's), not one per kind.
#[inline(never)]
fn check_save(slot_len: usize, read: ReadAt<'_>) -> Result<(u32, usize), SlotFault> {
    let mut chunk = [0u8; 64];
    let head = chunk
        .first_chunk_mut::<{ SAVE_HEADER_LEN + 9 }>()
        .ok_or(SlotFault::Truncated)?;
    if slot_len < head.len() {
        return Err(if slot_len == 0 {
            SlotFault::Erased
        } else {
            SlotFault::Truncated
        });
    }
    read(0, head).map_err(SlotFault::Io)?;
    let total = stated_len(head, slot_len)?;
    let [_, _, _, _, s0, s1, s2, s3, ..] = *head;
    // The CRC of the covered bytes followed by their CRC is a constant: one pass over the
    // whole save checks it, with no separate read of the stored CRC.
    let mut digest = Crc32::new(ISO_HDLC);
    let mut at = 0usize;
    while at < total {
        let n = chunk.len().min(total.saturating_sub(at));
        let piece = chunk.get_mut(..n).ok_or(SlotFault::Truncated)?;
        read(at, piece).map_err(SlotFault::Io)?;
        digest.update(piece);
        at = at.saturating_add(n);
    }
    if digest.finish() != ISO_HDLC_RESIDUE {
        return Err(SlotFault::CrcMismatch);
    }
    Ok((u32::from_le_bytes([s0, s1, s2, s3]), total))
}

/// Programs a save through [`SAVE_PROGRAM_CHUNK`]-byte pieces, keeping the first driver error.
struct Programmer<'s, T: SaveSlot + ?Sized> {
    slot: &'s mut T,
    chunk: [u8; SAVE_PROGRAM_CHUNK],
    filled: usize,
    offset: usize,
    error: Option<SlotIoError>,
}

impl<T: SaveSlot + ?Sized> Programmer<'_, T> {
    /// Byte by byte: a save's pieces are mostly single varint bytes anyway.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(at) = self.chunk.get_mut(self.filled) {
                *at = byte;
            }
            self.filled = self.filled.saturating_add(1);
            if self.filled == SAVE_PROGRAM_CHUNK {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.filled == 0 {
            return;
        }
        if self.error.is_none() {
            let data = self.chunk.get(..self.filled).unwrap_or_default();
            if let Err(e) = self.slot.program(self.offset, data) {
                self.error = Some(e);
            }
        }
        self.offset = self.offset.saturating_add(self.filled);
        self.filled = 0;
    }
}

impl<S: TableStorage> MigrationTable<S> {
    /// Saves the table into whichever of `a` and `b` does not hold the newest valid save, with
    /// the next sequence number: erase, then the slot header, the snapshot and the CRC programmed
    /// in order. The other slot is only read. A power cut at any point leaves that other slot's
    /// save as the newest valid one. See the [module docs](self) for the layout.
    ///
    /// [`SaveError::SlotTooSmall`] (nothing written) when the slot is shorter than
    /// `SAVE_HEADER_LEN + snapshot_len() + SAVE_CRC_LEN` bytes ([`save_slot_len`] of the
    /// storage length always suffices); [`SaveError::Io`] when the driver fails.
    pub fn save<A: SaveSlot + ?Sized, B: SaveSlot + ?Sized>(
        &self,
        a: &mut A,
        b: &mut B,
    ) -> Result<Saved, SaveError> {
        let (sa, sb) = (
            inspect(a).ok().map(|(sequence, _)| sequence),
            inspect(b).ok().map(|(sequence, _)| sequence),
        );
        // Into B when A holds the newer save, or the only one; else into A.
        let to_b = match (sa, sb) {
            (Some(sa), Some(sb)) => newer(sa, sb),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let last = if to_b { sa } else { sb };
        let sequence = last.map_or(1, |s| s.wrapping_add(1));
        if to_b {
            self.save_into(b, SlotId::B, sequence)
        } else {
            self.save_into(a, SlotId::A, sequence)
        }
    }

    /// Writes a save with `sequence` into `target`, slot `slot`.
    fn save_into<T: SaveSlot + ?Sized>(
        &self,
        target: &mut T,
        slot: SlotId,
        sequence: u32,
    ) -> Result<Saved, SaveError> {
        let snapshot_len = self.snapshot_len();
        let needed = snapshot_len.saturating_add(SAVE_HEADER_LEN + SAVE_CRC_LEN);
        if needed > target.len() {
            return Err(SaveError::SlotTooSmall { needed });
        }
        target.erase().map_err(|e| SaveError::Io(slot, e))?;
        let mut out = Programmer {
            slot: target,
            chunk: [0; SAVE_PROGRAM_CHUNK],
            filled: 0,
            offset: 0,
            error: None,
        };
        let [m0, m1, m2, m3] = SAVE_MAGIC;
        let [s0, s1, s2, s3] = sequence.to_le_bytes();
        let mut digest = Crc32::new(ISO_HDLC);
        let mut covered = |bytes: &[u8]| {
            digest.update(bytes);
            out.write(bytes);
        };
        covered(&[m0, m1, m2, m3, s0, s1, s2, s3]);
        self.snapshot_to(snapshot_len, &mut covered);
        out.write(&digest.finish().to_le_bytes());
        out.flush();
        match out.error {
            Some(e) => Err(SaveError::Io(slot, e)),
            None => Ok(Saved {
                slot,
                sequence,
                len: needed,
            }),
        }
    }

    /// Restores the newest whole save of the two slots' bytes `a` and `b` (memory-mapped flash,
    /// or what a driver read into RAM): each is checked (magic, length, CRC), and the one with
    /// the newer sequence number is restored; should its snapshot not restore into this table,
    /// the other is tried. Reports the slot used and what the other holds. [`NoSave`] (the
    /// table unchanged) only when neither slot restores.
    pub fn load(&mut self, a: &[u8], b: &[u8]) -> Result<Loaded, NoSave> {
        let (state_a, state_b) = (inspect(a), inspect(b));
        let a_first = match (&state_a, &state_b) {
            (Ok((sa, _)), Ok((sb, _))) => !newer(*sb, *sa),
            (Ok(_), Err(_)) => true,
            _ => false,
        };
        let order = if a_first {
            [(SlotId::A, a, state_a), (SlotId::B, b, state_b)]
        } else {
            [(SlotId::B, b, state_b), (SlotId::A, a, state_a)]
        };
        let [(first_id, first_bytes, first), (second_id, second_bytes, second)] = order;
        let try_restore =
            |table: &mut Self, bytes: &[u8], state: Result<(u32, usize), SlotFault>| {
                let (sequence, total) = state?;
                let snapshot = bytes
                    .get(SAVE_HEADER_LEN..total.saturating_sub(SAVE_CRC_LEN))
                    .ok_or(SlotFault::Truncated)?;
                table.restore(snapshot).map_err(SlotFault::Snapshot)?;
                Ok::<u32, SlotFault>(sequence)
            };
        let other_state = |state: Result<(u32, usize), SlotFault>| match state {
            Ok((sequence, _)) => SlotState::Saved { sequence },
            Err(fault) => SlotState::Refused(fault),
        };
        let first_fault = match try_restore(self, first_bytes, first) {
            Ok(sequence) => {
                return Ok(Loaded {
                    slot: first_id,
                    sequence,
                    other: other_state(second),
                })
            }
            Err(fault) => fault,
        };
        match try_restore(self, second_bytes, second) {
            Ok(sequence) => Ok(Loaded {
                slot: second_id,
                sequence,
                other: SlotState::Refused(first_fault),
            }),
            Err(second_fault) => Err(match first_id {
                SlotId::A => NoSave {
                    a: first_fault,
                    b: second_fault,
                },
                SlotId::B => NoSave {
                    a: second_fault,
                    b: first_fault,
                },
            }),
        }
    }
}

#[cfg(test)]
// Test arithmetic on lengths: overflow would be a test bug (the workspace lints deny it in library code).
#[allow(clippy::arithmetic_side_effects)]
mod tests;
