//! The migration table's bytes: records packed at their length from the start of the caller's
//! storage, and the key index at its end.
//!
//! ```text
//! 0                      heap_end                      cap - BUCKET_LEN * buckets         cap
//! | record | hole | record | ... free ...             | bucket | bucket | ... | bucket |
//! ```
//!
//! A **record** is a [`HEADER_LEN`]-byte header and the record's strings, back to back:
//!
//! | bytes | field |
//! |---|---|
//! | 0–1 | allocated length of the record, header included (u16 LE): at least its strings' |
//! | 2 | [`Tag`]: hole, migrated away, visitor present, visitor departed |
//! | 3–6 | departure order (u32 LE), meaningful while the visitor is departed |
//! | 7–8, 9–10, 11–12, 13–14 | lengths (u16 LE) of the key, field A, field B and the KMS URI (0: no security domain information) |
//!
//! Field A is the partner system of a migrated-away record and the primary ID of a visitor
//! record; field B the partner ID and the primary system. A removed record becomes a hole of the
//! same length until a record that fits reuses it or compaction slides the records after it down.
//!
//! The **index** is open addressing with linear probing. A bucket is the record's offset plus one
//! (u32 LE, 0 for an empty bucket) and the high 32 bits of its key's hash (u32 LE), whose
//! multiply-shift reduction names the home bucket: any bucket count works, and a removal shifts
//! the rest of the probe sequence back (no tombstones) without hashing a key again. The table
//! keeps at least two buckets per record, so probe sequences stay short.
//!
//! Every access is a checked `get`: bytes that are not what the table wrote give a missing record,
//! never a panic.

#[cfg(target_pointer_width = "64")]
use super::hash::hash_id;
#[cfg(not(target_pointer_width = "64"))]
use super::hash::hash_id_32;
use crate::bytes::copy;

/// Bytes of a record's header.
pub const HEADER_LEN: usize = 15;
/// Bytes of one index bucket.
pub const BUCKET_LEN: usize = 8;
/// Buckets of the smallest index.
pub const MIN_BUCKETS: usize = 4;
/// The largest storage the table addresses: record offsets are 32-bit.
pub(super) const MAX_CAP: usize = u32::MAX as usize;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
    Hole = 0,
    MigratedAway = 1,
    VisitorPresent = 2,
    VisitorDeparted = 3,
}

impl Tag {
    fn from_u8(b: u8) -> Option<Tag> {
        Some(match b {
            0 => Tag::Hole,
            1 => Tag::MigratedAway,
            2 => Tag::VisitorPresent,
            3 => Tag::VisitorDeparted,
            _ => return None,
        })
    }
}

/// Buckets an index needs for `records` records: two per record, at least [`MIN_BUCKETS`].
pub const fn buckets_for(records: usize) -> usize {
    let b = records.saturating_mul(2);
    if b < MIN_BUCKETS {
        MIN_BUCKETS
    } else {
        b
    }
}

/// Bytes `records` records needing `live` bytes take with the smallest index for them
/// (saturating).
pub(super) fn table_len(records: usize, live: usize) -> usize {
    live.saturating_add(buckets_for(records).saturating_mul(BUCKET_LEN))
}

/// Bytes a record of strings of these lengths takes.
#[cfg(test)]
pub fn record_len(strings: [usize; 4]) -> usize {
    strings
        .iter()
        .fold(HEADER_LEN, |total, len| total.saturating_add(*len))
}

/// Bytes a record of these strings takes.
pub(super) fn strings_len(strings: &[&[u8]; 4]) -> usize {
    strings
        .iter()
        .fold(HEADER_LEN, |total, s| total.saturating_add(s.len()))
}

/// The 32-bit hash of `key` a bucket stores: the high half of the 64-bit hash on a 64-bit
/// target, the 32-bit hash on a smaller one.
pub(super) fn key_hash(key: &[u8]) -> u32 {
    #[cfg(target_pointer_width = "64")]
    return (hash_id(key) >> 32) as u32;
    #[cfg(not(target_pointer_width = "64"))]
    return hash_id_32(key);
}

/// The home bucket of a hash among `buckets` (multiply-shift: any bucket count).
fn home(hash: u32, buckets: usize) -> usize {
    (u64::from(hash).wrapping_mul(buckets as u64) >> 32) as usize
}

/// A record as it lies in storage.
#[derive(Debug, Clone, Copy)]
pub(super) struct Raw<'t> {
    /// Allocated length, header included.
    pub size: usize,
    /// Bytes the record needs: its header and strings, without slack.
    pub needed: usize,
    pub tag: Tag,
    pub departed_at: u32,
    pub key: &'t [u8],
    pub a: &'t [u8],
    pub b: &'t [u8],
    pub kms: &'t [u8],
}

fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
    if let Some(dst) = at
        .checked_add(value.len())
        .and_then(|end| bytes.get_mut(at..end))
    {
        copy(dst, value);
    }
}

/// Moves `len` bytes at `from` down to `to` (`to <= from`) within `bytes`, front to back, so
/// overlapping ranges are moved right; bytes out of range are skipped (no `copy_within`, whose
/// bounds checks panic).
pub(super) fn move_down(bytes: &mut [u8], from: usize, to: usize, len: usize) {
    for i in 0..len {
        let (Some(src), Some(dst)) = (from.checked_add(i), to.checked_add(i)) else {
            return;
        };
        let Some(&byte) = bytes.get(src) else {
            return;
        };
        if let Some(slot) = bytes.get_mut(dst) {
            *slot = byte;
        }
    }
}

/// The record at `offset` of `heap` (the storage up to the heap's end).
// Inlined off bare metal into the probe, whose whole work on a match it is.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(super) fn raw(heap: &[u8], offset: usize) -> Option<Raw<'_>> {
    let (header, body) = heap.get(offset..)?.split_first_chunk::<HEADER_LEN>()?;
    // Every field read straight from the fixed-size header, no bounds check each.
    let [s0, s1, t, d0, d1, d2, d3, k0, k1, a0, a1, b0, b1, m0, m1] = *header;
    let size = usize::from(u16::from_le_bytes([s0, s1]));
    let tag = Tag::from_u8(t)?;
    let departed_at = u32::from_le_bytes([d0, d1, d2, d3]);
    let len = |l: [u8; 2]| usize::from(u16::from_le_bytes(l));
    // A hole keeps the lengths of the record it was, so every record's strings lie within its
    // allocated length.
    let body = body.get(..size.checked_sub(HEADER_LEN)?)?;
    let (key, rest) = body.split_at_checked(len([k0, k1]))?;
    let (a, rest) = rest.split_at_checked(len([a0, a1]))?;
    let (b, rest) = rest.split_at_checked(len([b0, b1]))?;
    let kms = rest.get(..len([m0, m1]))?;
    let needed = size.checked_sub(rest.len().checked_sub(kms.len())?)?;
    Some(Raw {
        size,
        needed,
        tag,
        departed_at,
        key,
        a,
        b,
        kms,
    })
}

/// Writes a record of allocated length `size` at `offset`; the caller checked it fits.
pub(super) fn write_record(
    bytes: &mut [u8],
    offset: usize,
    size: usize,
    tag: Tag,
    departed_at: u32,
    strings: &[&[u8]; 4],
) {
    set_size(bytes, offset, size);
    set_tag(bytes, offset, tag, departed_at);
    // Each string's length into the header, its bytes after the ones before it.
    let mut len_at = offset.saturating_add(7);
    let mut at = offset.saturating_add(HEADER_LEN);
    for s in strings {
        put(bytes, len_at, &(s.len() as u16).to_le_bytes());
        put(bytes, at, s);
        len_at = len_at.saturating_add(2);
        at = at.saturating_add(s.len());
    }
}

/// Sets the tag and departure order of the record at `offset`.
pub(super) fn set_tag(bytes: &mut [u8], offset: usize, tag: Tag, departed_at: u32) {
    let [d0, d1, d2, d3] = departed_at.to_le_bytes();
    put(
        bytes,
        offset.saturating_add(2),
        &[tag as u8, d0, d1, d2, d3],
    );
}

/// Sets the allocated length of the record at `offset`.
pub(super) fn set_size(bytes: &mut [u8], offset: usize, size: usize) {
    put(bytes, offset, &(size as u16).to_le_bytes());
}

/// The key index: `buckets` buckets ending at `cap`.
pub(super) struct Index<'s> {
    pub bytes: &'s [u8],
    pub buckets: usize,
    pub cap: usize,
}

/// Where the index of `buckets` buckets ending at `cap` starts.
fn index_start(cap: usize, buckets: usize) -> usize {
    cap.wrapping_sub(buckets.wrapping_mul(BUCKET_LEN))
}

/// Bucket `i` of the index starting at `start`: (offset + 1, hash).
pub(super) fn bucket(bytes: &[u8], start: usize, i: usize) -> (u32, u32) {
    let at = start.wrapping_add(i.wrapping_mul(BUCKET_LEN));
    let bucket: [u8; BUCKET_LEN] = at
        .checked_add(BUCKET_LEN)
        .and_then(|end| bytes.get(at..end))
        .and_then(|b| b.try_into().ok())
        .unwrap_or_default();
    let [o0, o1, o2, o3, h0, h1, h2, h3] = bucket;
    (
        u32::from_le_bytes([o0, o1, o2, o3]),
        u32::from_le_bytes([h0, h1, h2, h3]),
    )
}

pub(super) fn set_bucket(bytes: &mut [u8], start: usize, i: usize, value: (u32, u32)) {
    let [o0, o1, o2, o3] = value.0.to_le_bytes();
    let [h0, h1, h2, h3] = value.1.to_le_bytes();
    put(
        bytes,
        start.wrapping_add(i.wrapping_mul(BUCKET_LEN)),
        &[o0, o1, o2, o3, h0, h1, h2, h3],
    );
}

impl<'s> Index<'s> {
    fn next(&self, i: usize) -> usize {
        next(i, self.buckets)
    }

    /// Finds `key`: the bucket naming its record, the record's offset, and the record.
    // Inlined off bare metal, with the record read: a lookup's whole work, and the returned
    // record left in registers.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub fn probe(&self, key: &[u8]) -> Option<(usize, usize, Raw<'s>)> {
        let hash = key_hash(key);
        let mut i = home(hash, self.buckets);
        let start = index_start(self.cap, self.buckets);
        for _ in 0..self.buckets {
            let (offset1, stored) = bucket(self.bytes, start, i);
            // An empty bucket (offset + 1 = 0) ends the probe sequence.
            let offset = (offset1 as usize).checked_sub(1)?;
            if stored == hash {
                if let Some(raw) = raw(self.bytes, offset).filter(|raw| raw.key == key) {
                    return Some((i, offset, raw));
                }
            }
            i = self.next(i);
        }
        None
    }
}

/// The bucket after `i`, wrapping around.
fn next(i: usize, buckets: usize) -> usize {
    let n = i.wrapping_add(1);
    if n >= buckets {
        0
    } else {
        n
    }
}

/// Empties bucket `at` and shifts the rest of its probe sequence back (no tombstones).
pub(super) fn unlink(bytes: &mut [u8], cap: usize, buckets: usize, at: usize) {
    let start = index_start(cap, buckets);
    let mut hole = at;
    let mut j = next(at, buckets);
    for _ in 0..buckets {
        let (offset1, hash) = bucket(bytes, start, j);
        if offset1 == 0 {
            break;
        }
        let h = home(hash, buckets);
        // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
        let stays = if hole <= j {
            hole < h && h <= j
        } else {
            hole < h || h <= j
        };
        if !stays {
            set_bucket(bytes, start, hole, (offset1, hash));
            hole = j;
        }
        j = next(j, buckets);
    }
    set_bucket(bytes, start, hole, (0, 0));
}

/// Puts (offset, hash) into the first empty bucket from the hash's home; false if none is empty.
pub(super) fn link(bytes: &mut [u8], cap: usize, buckets: usize, offset: usize, hash: u32) -> bool {
    let Ok(offset1) = u32::try_from(offset.saturating_add(1)) else {
        return false;
    };
    let start = index_start(cap, buckets);
    let mut i = home(hash, buckets);
    for _ in 0..buckets {
        if bucket(bytes, start, i).0 == 0 {
            set_bucket(bytes, start, i, (offset1, hash));
            return true;
        }
        i = next(i, buckets);
    }
    false
}
