//! Snapshot and restore of a migration table, so a gateway that power-cycles does not forget
//! which users have migrated: until the partner systems re-announce them, calls to those users
//! would be routed wrong.
//!
//! ```text
//! +-------+---------+-----------+-------------------------------------------+--------+
//! | magic | version | total len | postcard body                              | CRC-32 |
//! | MCXS  |   0x03  |  u32 LE   | bound, departures, count, records...       | u32 LE |
//! +-------+---------+-----------+-------------------------------------------+--------+
//! ```
//!
//! The body lists every record, live and departed, in ascending key order, each as the
//! migration update that creates it (the wire format's encoding of a "migrated" or a "visitor
//! registered" update) and each departed visitor with its place in the eviction order.
//! The record bound, the departure counter, the record count and the departure orders are
//! `u32` varints. (Version 1 had a record layout of its own. Version 2 is version 3 with a `u64`
//! departure counter, whose bytes are the same up to `u32::MAX`, the last order a table gives:
//! it is still read, and only a counter above that is refused, as malformed.) The CRC-32
//! (ISO-HDLC, as in Ethernet and zlib) covers everything before it. The record bound is the
//! record count (tables of earlier versions wrote their capacity there; a count above it is
//! malformed). Restoring a version 3 snapshot and snapshotting again, in a table of any storage
//! length that holds the records, gives identical bytes: the decoder accepts only the canonical
//! encoding this module writes (a version 2 snapshot comes back as version 3, the same bytes but
//! for the version byte and the CRC).

use crate::checksum::{Crc32, ISO_HDLC};

use super::store::{self, Raw, Tag};
use super::{fields, MigrationTable, TableStorage};
#[cfg(test)]
use super::{Record, VisitorState};
use crate::error::{DecodeError, SnapshotError};
#[cfg(test)]
use crate::id::McServiceIdRef;
use crate::message::MigrationUpdate;
use crate::wire_de::{decode_exact_with, decode_prefix, Decode, Reader};
use crate::wire_ser::{measure, serialize_into, serialize_to, Encode, Writer};

/// First bytes of every snapshot.
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"MCXS";

/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u8 = 3;

/// The earlier version this build reads: [`SNAPSHOT_VERSION`]'s layout, with a `u64`
/// departure counter (module docs).
const SNAPSHOT_VERSION_U64_DEPARTURES: u8 = 2;

/// Magic, version and total length.
const HEADER_LEN: usize = 9;
const CRC_LEN: usize = 4;

/// Header, CRC, and the body's three `u32` varints, with the 5 bytes more of version 2's `u64`
/// departure counter kept (the C header's `MCX_TABLE_SNAPSHOT_OVERHEAD`).
const FIXED_MAX: usize = HEADER_LEN + CRC_LEN + 5 + 10 + 5;

/// One record of the body: the migration update that creates it, in the wire format's own
/// encoding of a migration update — "migrated" for a migrated-away user (keyed by its primary
/// ID), "visitor registered" for a visitor (keyed by the ID assigned here) — then, for a
/// departed visitor, its place in the eviction order. Snapshots and the wire share one
/// encoding, and restore checks and writes a record with the code that applies updates.
/// (Restore reads the two fields one after the other; the tests build the view.)
#[cfg(test)]
struct EntryView<'a> {
    update: MigrationUpdate<'a>,
    /// `None` for a migrated-away record or a present visitor; the departure order of a
    /// departed visitor.
    departed_at: Option<u32>,
}

#[cfg(test)]
impl Encode for EntryView<'_> {
    fn encode(&self, w: &mut Writer<'_>) {
        Encode::encode(&self.update, w);
        self.departed_at.encode(w);
    }
}

#[cfg(test)]
impl<'a> EntryView<'a> {
    /// The view of a table record (the tests' reference for the bytes [`encode_entry`] writes).
    #[cfg(test)]
    fn of(key: McServiceIdRef<'a>, record: Record<'a>, departed_at: u32) -> Self {
        match record {
            Record::MigratedAway(m) => EntryView {
                update: MigrationUpdate::Migrated(crate::message::Migration {
                    primary_id: key,
                    partner_system: m.partner_system,
                    partner_id: m.partner_id,
                    security_domain_info: m.security_domain_info,
                }),
                departed_at: None,
            },
            Record::Visiting(v) => EntryView {
                update: MigrationUpdate::VisitorRegistered {
                    local_id: key,
                    primary_id: v.primary_id,
                    primary_system: v.primary_system,
                    primary_security_domain_info: v.primary_security_domain_info,
                },
                departed_at: (v.state == VisitorState::Departed).then_some(departed_at),
            },
        }
    }
}

/// The record a snapshot entry's update writes, its strings put in `strings`: `None` for any
/// update but "migrated" and "visitor registered".
fn entry_record<'a>(update: &MigrationUpdate<'a>, strings: &mut [&'a [u8]; 4]) -> Option<Tag> {
    // "Moved on" writes the record "migrated" does, but a snapshot lists only "migrated".
    fields(update, strings).filter(|_| !matches!(update, MigrationUpdate::MovedOn(_)))
}

/// Checks a snapshot entry by every rule a normal update keeps (its fields are valid by type):
/// an update that creates a record (`tag`, from [`entry_record`]), and a departure order only
/// for a visitor, one that the table's departure counter had reached. Returns the record's tag
/// and departure order.
fn check(
    tag: Option<Tag>,
    departed_at: Option<u32>,
    departures: u32,
) -> Result<(Tag, u32), SnapshotError> {
    match (tag, departed_at) {
        (Some(tag), None) => Ok((tag, 0)),
        (Some(Tag::VisitorPresent), Some(at)) if at >= 1 && at <= departures => {
            Ok((Tag::VisitorDeparted, at))
        }
        _ => Err(SnapshotError::InvalidRecord),
    }
}

/// The body: capacity, departures, count, then every record, as one postcard tuple (postcard
/// writes no tuple length).
struct Body<'t, S>(&'t MigrationTable<S>);

impl<S: TableStorage> Encode for Body<'_, S> {
    fn encode(&self, w: &mut Writer<'_>) {
        let count = self.0.len();
        let count_u32 = u32::try_from(count).unwrap_or(u32::MAX);
        // The record bound: the record count (tables of earlier versions wrote their capacity).
        count_u32.encode(w);
        u32::try_from(self.0.departures)
            .unwrap_or(u32::MAX)
            .encode(w);
        count_u32.encode(w);
        // Records in ascending key order: restore then finds duplicate keys by comparing each
        // key with the one before it, in one pass and no extra memory, and the bytes do not
        // depend on where the table happened to store its records. Selecting the next key
        // costs O(n²) comparisons of keys in RAM, paid when the snapshot is taken.
        let mut previous: Option<&[u8]> = None;
        for _ in 0..count {
            let Some(raw) = self.0.next_entry_after(previous) else {
                break;
            };
            encode_entry(w, &raw);
            previous = Some(raw.key);
        }
    }
}

/// Writes the bytes of `EntryView::of` (the tests' reference) for a record, straight from its
/// stored strings: the update a record comes from has the same shape for both kinds — its
/// variant index, the key, the record's two identifiers in the order they are stored, and the
/// optional KMS URI (the tests hold it to the update's own encoding) — so one sequence of
/// writes serves both, with no update built and matched on again.
fn encode_entry(w: &mut Writer<'_>, raw: &Raw<'_>) {
    let (variant, departed_at) = match raw.tag {
        Tag::MigratedAway => (MIGRATED, None),
        Tag::VisitorDeparted => (VISITOR_REGISTERED, Some(raw.departed_at)),
        // A present visitor (the records passed here are never holes).
        Tag::VisitorPresent | Tag::Hole => (VISITOR_REGISTERED, None),
    };
    w.push(variant);
    w.bytes(raw.key);
    w.bytes(raw.a);
    w.bytes(raw.b);
    // The security domain information: none when the record holds no KMS URI.
    if raw.kms.is_empty() {
        w.push(0);
    } else {
        w.push(1);
        w.bytes(raw.kms);
    }
    departed_at.encode(w);
}

/// The variant indexes of [`MigrationUpdate::Migrated`] and
/// [`MigrationUpdate::VisitorRegistered`].
const MIGRATED: u8 = 0;
const VISITOR_REGISTERED: u8 = 3;

/// The snapshot error of a decoding error: an invalid identifier is named, anything else is
/// malformed.
fn decode_error(e: DecodeError) -> SnapshotError {
    match e {
        DecodeError::InvalidField(e) => SnapshotError::InvalidField(e),
        _ => SnapshotError::Malformed,
    }
}

/// The body's first three fields: record bound, departure counter, record count.
struct Counts([u32; 3]);

impl Decode<'_> for Counts {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut counts = [0u32; 3];
        for count in &mut counts {
            *count = r.read()?;
        }
        Ok(Counts(counts))
    }
}

/// A snapshot read and checked down to its records.
struct Parsed<'a> {
    departures: u32,
    /// Records in the body.
    count: u32,
    /// The records, and anything after them.
    records: &'a [u8],
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, SnapshotError> {
    // Input shorter than the magic that starts as it does is truncated, not foreign.
    if bytes
        .iter()
        .zip(&SNAPSHOT_MAGIC)
        .any(|(byte, magic)| byte != magic)
    {
        return Err(SnapshotError::NotASnapshot);
    }
    let (header, _) = bytes
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(SnapshotError::Truncated)?;
    let [_, _, _, _, version, l0, l1, l2, l3] = *header;
    if version != SNAPSHOT_VERSION && version != SNAPSHOT_VERSION_U64_DEPARTURES {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let total = usize::try_from(u32::from_le_bytes([l0, l1, l2, l3]))
        .map_err(|_| SnapshotError::Malformed)?;
    if total < HEADER_LEN.saturating_add(CRC_LEN) {
        return Err(SnapshotError::Malformed);
    }
    let snapshot = bytes.get(..total).ok_or(SnapshotError::Truncated)?;
    let (covered, crc) = snapshot
        .split_last_chunk::<CRC_LEN>()
        .ok_or(SnapshotError::Truncated)?;
    if Crc32::checksum(ISO_HDLC, covered) != u32::from_le_bytes(*crc) {
        return Err(SnapshotError::CrcMismatch);
    }
    let body = covered.get(HEADER_LEN..).ok_or(SnapshotError::Truncated)?;
    let (Counts([record_bound, departures, count]), records) =
        decode_prefix::<Counts>(body).map_err(decode_error)?;
    if count > record_bound {
        // The bound is the record count (or the capacity of the table that wrote it).
        return Err(SnapshotError::Malformed);
    }
    Ok(Parsed {
        departures,
        count,
        records,
    })
}

/// Longest snapshot of a table over `storage_len` bytes of storage: a buffer this long always
/// suffices for [`MigrationTable::snapshot`]. A snapshot record takes at most 21 bytes besides its
/// strings (a variant tag, four length varints, an option tag, a departure order), less than the
/// 31 its record takes in the table (header and two index buckets).
pub const fn max_snapshot_len(storage_len: usize) -> usize {
    storage_len.saturating_add(FIXED_MAX)
}

impl<S: TableStorage> MigrationTable<S> {
    /// Longest snapshot this table can write: [`max_snapshot_len`] of its storage length.
    pub fn max_snapshot_len(&self) -> usize {
        max_snapshot_len(self.storage_len())
    }

    /// Writes the whole table — live and departed records and their eviction order — into
    /// `buf` and returns the snapshot's length. The table is not changed.
    ///
    /// Returns [`SnapshotError::BufferTooSmall`] with the exact length needed when `buf` is
    /// shorter than the snapshot.
    pub fn snapshot(&self, buf: &mut [u8]) -> Result<usize, SnapshotError> {
        let body = Body(self);
        let body_len = measure(&body);
        let total = HEADER_LEN.saturating_add(body_len).saturating_add(CRC_LEN);
        let too_small = SnapshotError::BufferTooSmall { needed: total };
        let total_u32 = u32::try_from(total).map_err(|_| too_small)?;
        let out = buf.get_mut(..total).ok_or(too_small)?;
        let (header, rest) = out.split_first_chunk_mut::<HEADER_LEN>().ok_or(too_small)?;
        let [m0, m1, m2, m3] = SNAPSHOT_MAGIC;
        let [l0, l1, l2, l3] = total_u32.to_le_bytes();
        *header = [m0, m1, m2, m3, SNAPSHOT_VERSION, l0, l1, l2, l3];
        let (body_out, _) = rest.split_last_chunk_mut::<CRC_LEN>().ok_or(too_small)?;
        serialize_into(&body, body_out);
        let (covered, crc) = out.split_last_chunk_mut::<CRC_LEN>().ok_or(too_small)?;
        *crc = Crc32::checksum(ISO_HDLC, covered).to_le_bytes();
        Ok(total)
    }

    /// The length of the snapshot [`snapshot`](Self::snapshot) writes now.
    pub fn snapshot_len(&self) -> usize {
        HEADER_LEN
            .saturating_add(measure(&Body(self)))
            .saturating_add(CRC_LEN)
    }

    /// Streams the snapshot — the bytes [`snapshot`](Self::snapshot) writes, `total`
    /// ([`snapshot_len`](Self::snapshot_len)) of them — through `sink` in pieces as they are
    /// produced, so a save needs no buffer of the snapshot's length.
    pub(crate) fn snapshot_to(&self, total: usize, sink: &mut dyn FnMut(&[u8])) {
        let [m0, m1, m2, m3] = SNAPSHOT_MAGIC;
        let [l0, l1, l2, l3] = u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes();
        let header = [m0, m1, m2, m3, SNAPSHOT_VERSION, l0, l1, l2, l3];
        let mut digest = Crc32::new(ISO_HDLC);
        let mut covered = |bytes: &[u8]| {
            digest.update(bytes);
            sink(bytes);
        };
        covered(&header);
        serialize_to(&Body(self), &mut covered);
        sink(&digest.finish().to_le_bytes());
    }

    /// Replaces the table's contents with a snapshot taken by [`snapshot`](Self::snapshot).
    ///
    /// The whole snapshot is validated first — magic, version, length, CRC, every record by the
    /// rules normal updates keep, keys in ascending order without duplicates, and that its
    /// records fit this table's storage (which may differ from the one it was taken from) —
    /// and only then is the table replaced, so on any error the table is untouched and nothing
    /// is half-loaded; no second table is needed in RAM. Bytes after the snapshot's stated
    /// length are ignored (a flash page larger than the snapshot, say).
    ///
    /// Errors: [`SnapshotError::NotASnapshot`], [`SnapshotError::Truncated`],
    /// [`SnapshotError::UnsupportedVersion`], [`SnapshotError::CrcMismatch`],
    /// [`SnapshotError::TableTooSmall`] (with the storage length that would hold it),
    /// [`SnapshotError::Malformed`],
    /// [`SnapshotError::InvalidField`], [`SnapshotError::InvalidRecord`],
    /// [`SnapshotError::DuplicateKey`].
    ///
    /// Cost: one CRC over the snapshot and two passes over its records; a snapshot lists its
    /// records in ascending key order, so duplicate keys are found by comparing neighbours,
    /// with no memory beyond the table itself. (Taking the snapshot pays for the ordering:
    /// O(n²) comparisons of keys in RAM.)
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let parsed = parse(bytes)?;
        // Pass 1, over the snapshot as received, checks: every record by the normal update
        // rules, keys strictly ascending, nothing after the last record, that the records fit.
        // Pass 2 replaces the contents, through the same function (one copy of the decoding
        // code): its checks pass again, on the same bytes, and the inserts cannot fail, since
        // the records fit with the index built for them and their keys are distinct.
        let (records, live) = self.restore_pass(&parsed, None)?;
        let buckets = store::buckets_for(records);
        let needed = store::table_len(records, live);
        // `fits`, with the length just computed.
        if needed > self.cap() {
            return Err(SnapshotError::TableTooSmall { needed });
        }
        self.clear();
        self.rebuild_index(buckets);
        self.departures = usize::try_from(parsed.departures).unwrap_or(usize::MAX);
        self.restore_pass(&parsed, Some(needed)).map(|_| ())
    }

    /// One pass of [`restore`](Self::restore) over the records: checks each, and with
    /// `Some(needed)` (the storage the snapshot needs, for the error of a failed insert) inserts
    /// it. Returns the records and the bytes they need.
    #[inline(never)]
    fn restore_pass(
        &mut self,
        parsed: &Parsed<'_>,
        insert: Option<usize>,
    ) -> Result<(usize, usize), SnapshotError> {
        let (mut records, mut live) = (0usize, 0usize);
        // The first error that is not a decoding one; the decoder stops at it.
        let mut fault = None;
        let decoded = decode_exact_with(parsed.records, |r| {
            let mut previous: Option<&[u8]> = None;
            let mut strings: [&[u8]; 4] = [&[]; 4];
            for _ in 0..parsed.count {
                // The fields of an entry (see `EntryView`), read one after the other; the
                // update's record taken before the next read.
                let update: MigrationUpdate<'_> = r.read()?;
                let tag = entry_record(&update, &mut strings);
                let departed_at: Option<u32> = r.read()?;
                let checked =
                    check(tag, departed_at, parsed.departures).and_then(|(tag, order)| {
                        let [key, ..] = strings;
                        match previous.map(|p| p.cmp(key)) {
                            Some(core::cmp::Ordering::Equal) => {
                                return Err(SnapshotError::DuplicateKey)
                            }
                            Some(core::cmp::Ordering::Greater) => {
                                return Err(SnapshotError::Malformed)
                            }
                            _ => previous = Some(key),
                        }
                        if let Some(needed) = insert {
                            self.insert(tag, order, &strings)
                                .map_err(|_| SnapshotError::TableTooSmall { needed })?;
                        }
                        records = records.saturating_add(1);
                        live = live.saturating_add(store::strings_len(&strings));
                        Ok(())
                    });
                if let Err(e) = checked {
                    fault = Some(e);
                    return Err(DecodeError::Malformed);
                }
            }
            Ok(())
        });
        match (fault, decoded) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(decode_error(e)),
            (None, Ok(())) => Ok((records, live)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Change;
    use crate::testutil::*;
    use crate::MigrationUpdate;
    use std::vec;
    use std::vec::Vec;

    type Table = MigrationTable<Vec<u8>>;

    /// An empty table with room to spare.
    fn table() -> Table {
        MigrationTable::new(vec![0u8; 4096]).unwrap()
    }

    /// A table with every kind of record: migrated away, present visitor, two departed visitors.
    fn mixed() -> Table {
        let mut t = table();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
            .unwrap();
        t.apply(&registered(
            "sip:v1@mc-a.example",
            "sip:x1@mc-b.example",
            Some(KMS_B),
        ))
        .unwrap();
        t.apply(&registered(
            "sip:v2@mc-a.example",
            "sip:x2@mc-b.example",
            None,
        ))
        .unwrap();
        t.apply(&registered(
            "sip:v3@mc-a.example",
            "sip:x3@mc-b.example",
            None,
        ))
        .unwrap();
        t.apply(&departed("sip:v3@mc-a.example")).unwrap();
        t.apply(&departed("sip:v2@mc-a.example")).unwrap();
        t
    }

    /// A visitor record of the length of v2's and v3's.
    fn fill(n: usize) -> MigrationUpdate<'static> {
        registered(
            leak(std::format!("sip:f{n}@mc-a.example")),
            "sip:x9@mc-b.example",
            None,
        )
    }

    fn snap<S: TableStorage>(t: &MigrationTable<S>) -> Vec<u8> {
        let mut buf = vec![0u8; t.max_snapshot_len()];
        let n = t.snapshot(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    /// Every record with its departure order, sorted by key.
    fn contents<S: TableStorage>(
        t: &MigrationTable<S>,
    ) -> Vec<(std::string::String, std::string::String, u32)> {
        let mut v: Vec<_> = t
            .entries()
            .map(|(k, r, o)| (k.as_str().into(), std::format!("{r:?}"), o))
            .collect();
        v.sort();
        v
    }

    /// Recomputes the CRC after a deliberate edit, so that the edit itself is what is tested.
    fn fix_crc(bytes: &mut [u8]) {
        let (covered, crc) = bytes.split_last_chunk_mut::<4>().unwrap();
        *crc = Crc32::checksum(ISO_HDLC, covered).to_le_bytes();
    }

    fn set_len(bytes: &mut [u8]) {
        let len = (bytes.len() as u32).to_le_bytes();
        bytes[5..9].copy_from_slice(&len);
        fix_crc(bytes);
    }

    /// Restoring `bytes` into a non-empty table fails with `expected` and changes nothing.
    fn refused(bytes: &[u8], expected: SnapshotError) {
        let mut t = table();
        t.apply(&migrated(USER1, SYSTEM_C, USER2_AT_C_TEL, None))
            .unwrap();
        let before = contents(&t);
        assert_eq!(t.restore(bytes), Err(expected));
        assert_eq!(
            contents(&t),
            before,
            "a failed restore leaves the table untouched"
        );
    }

    #[test]
    fn restore_reproduces_every_record_and_the_eviction_order() {
        let original = mixed();
        let bytes = snap(&original);
        // Room for the four records and four more like v2, and a few bytes to spare.
        let fill_len = store::record_len([19, 19, 12, 0]);
        let cap = original.bytes_in_use() - store::buckets_for(4) * store::BUCKET_LEN
            + 4 * fill_len
            + store::buckets_for(8) * store::BUCKET_LEN
            + 8;
        let mut restored = MigrationTable::new(vec![0u8; cap]).unwrap();
        restored
            .apply(&migrated(USER1, SYSTEM_C, USER2_AT_C_TEL, None))
            .unwrap();
        restored.restore(&bytes).unwrap();
        assert_eq!(contents(&restored), contents(&original));
        assert_eq!(restored.lookup(USER1), None, "old contents are replaced");
        // Fill up, then the oldest departure (v3) is evicted first, then v2.
        let mut t = restored;
        for n in 0..4 {
            assert_eq!(t.apply(&fill(n)).unwrap().evicted, 0);
        }
        assert_eq!(t.apply(&fill(4)).unwrap().evicted, 1);
        assert_eq!(t.lookup("sip:v3@mc-a.example"), None);
        assert!(t.lookup("sip:v2@mc-a.example").is_some());
        assert_eq!(t.apply(&fill(5)).unwrap().evicted, 1);
        assert_eq!(t.lookup("sip:v2@mc-a.example"), None);
        // And departures after a restore sort after the restored ones.
        let mut t = MigrationTable::new(vec![0u8; cap]).unwrap();
        t.restore(&bytes).unwrap();
        t.apply(&departed("sip:v1@mc-a.example")).unwrap();
        for n in 0..4 {
            t.apply(&fill(n)).unwrap();
        }
        for (n, gone) in (4..7).zip([
            "sip:v3@mc-a.example",
            "sip:v2@mc-a.example",
            "sip:v1@mc-a.example",
        ]) {
            let applied = t.apply(&fill(n)).unwrap();
            assert!(applied.evicted >= 1);
            assert_eq!(t.lookup(gone), None, "{gone}");
        }
    }

    #[test]
    fn restore_then_snapshot_gives_identical_bytes() {
        let bytes = snap(&mixed());
        let mut t = table();
        t.restore(&bytes).unwrap();
        assert_eq!(snap(&t), bytes);
        let empty = snap(&table());
        t.restore(&empty).unwrap();
        assert!(t.is_empty());
        assert_eq!(snap(&t), empty);
    }

    #[test]
    fn snapshot_layout_is_magic_version_length_body_crc() {
        let bytes = snap(&mixed());
        assert_eq!(&bytes[..4], b"MCXS");
        assert_eq!(bytes[4], SNAPSHOT_VERSION);
        assert_eq!(
            u32::from_le_bytes(bytes[5..9].try_into().unwrap()) as usize,
            bytes.len()
        );
        assert_eq!(bytes[9], 4, "record bound: the record count");
        let (covered, crc) = bytes.split_last_chunk::<4>().unwrap();
        assert_eq!(Crc32::checksum(ISO_HDLC, covered), u32::from_le_bytes(*crc));
        // CRC-32/ISO-HDLC check value.
        assert_eq!(Crc32::checksum(ISO_HDLC, b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn max_snapshot_len_bounds_a_full_table_of_maximal_records() {
        let long = |prefix: &str, cap: usize| {
            let mut s = std::string::String::from(prefix);
            s.extend(core::iter::repeat_n('x', cap - prefix.len() - 4));
            s
        };
        let mut t = table();
        for n in 0..4 {
            let key = long(
                &std::format!("sip:{n}"),
                crate::config::MC_SERVICE_ID_CAPACITY + 4,
            );
            t.apply(&MigrationUpdate::VisitorRegistered {
                local_id: id(&key),
                primary_id: id(&long("sip:", crate::config::MC_SERVICE_ID_CAPACITY + 4)),
                primary_system: system(&long("a", 63 + 4)),
                primary_security_domain_info: Some(sdi(&long(
                    "https:",
                    crate::config::KMS_URI_CAPACITY + 4,
                ))),
            })
            .unwrap();
            t.apply(&departed(&key)).unwrap();
        }
        let n = snap(&t).len();
        assert!(n <= max_snapshot_len(t.bytes_in_use()), "{n}");
    }

    #[test]
    fn too_small_buffer_reports_the_exact_length_needed() {
        let t = mixed();
        let full = snap(&t).len();
        for len in [0, 1, 8, 9, 12, full / 2, full - 1] {
            let mut buf = vec![0u8; len];
            assert_eq!(
                t.snapshot(&mut buf),
                Err(SnapshotError::BufferTooSmall { needed: full })
            );
        }
    }

    #[test]
    fn bytes_after_the_stated_length_are_ignored() {
        let mut bytes = snap(&mixed());
        bytes.extend([0xff; 64]); // the rest of an erased flash page
        let mut t = table();
        t.restore(&bytes).unwrap();
        assert_eq!(contents(&t), contents(&mixed()));
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = snap(&mixed());
        for len in 0..bytes.len() {
            refused(&bytes[..len], SnapshotError::Truncated);
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let bytes = snap(&mixed());
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let mut t = table();
            t.apply(&migrated(USER1, SYSTEM_C, USER2_AT_C_TEL, None))
                .unwrap();
            let before = contents(&t);
            assert!(t.restore(&flipped).is_err(), "bit {bit} accepted");
            assert_eq!(contents(&t), before);
        }
    }

    #[test]
    fn wrong_magic_version_and_crc_have_their_own_errors() {
        let bytes = snap(&mixed());
        let mut erased = bytes.clone();
        erased[..4].copy_from_slice(&[0xff; 4]);
        refused(&erased, SnapshotError::NotASnapshot);
        // Version 1 had another record layout: refused, not misread.
        for v in [1, 4] {
            let mut version = bytes.clone();
            version[4] = v;
            refused(&version, SnapshotError::UnsupportedVersion(v));
        }
        let mut corrupt = bytes.clone();
        let last_record_byte = bytes.len() - 6;
        corrupt[last_record_byte] ^= 0x20;
        refused(&corrupt, SnapshotError::CrcMismatch);
    }

    #[test]
    fn version_2_is_read_up_to_a_u32_departure_counter() {
        // Version 2 wrote the departure counter as a u64: the same bytes up to u32::MAX.
        let bytes = snap(&mixed());
        assert_eq!(bytes[10], 2, "departures");
        let mut v2 = bytes.clone();
        v2[4] = 2;
        fix_crc(&mut v2);
        let mut t = table();
        t.restore(&v2).unwrap();
        assert_eq!(contents(&t), contents(&mixed()));
        assert_eq!(snap(&t), bytes, "written back as version 3");
        // u32::MAX departures read; one more, a u64 only, is malformed.
        for (departures, expected) in [
            (&[0xff, 0xff, 0xff, 0xff, 0x0f][..], Ok(())),
            (
                &[0x80, 0x80, 0x80, 0x80, 0x10][..],
                Err(SnapshotError::Malformed),
            ),
        ] {
            let mut v2 = bytes.clone();
            v2[4] = 2;
            v2.splice(10..11, departures.iter().copied());
            set_len(&mut v2);
            assert_eq!(table().restore(&v2), expected);
        }
    }

    #[test]
    fn a_departure_counter_past_u32_max_is_written_as_u32_max() {
        // Orders past u32::MAX tie at u32::MAX in the table: the counter adds nothing beyond.
        let mut t = mixed();
        t.departures = u32::MAX as usize + 7;
        let mut r = table();
        r.restore(&snap(&t)).unwrap();
        assert_eq!(r.departures, u32::MAX as usize);
        assert_eq!(contents(&r), contents(&t));
    }

    #[test]
    fn a_snapshot_restores_into_any_table_its_records_fit() {
        let mut big = table();
        for n in 0..9 {
            big.apply(&migrated(&nth_id(n), SYSTEM_B, USER2_AT_B, None))
                .unwrap();
        }
        let bytes = snap(&big);
        let needed = big.bytes_in_use();
        let mut small = MigrationTable::new(vec![0u8; needed - 1]).unwrap();
        small
            .apply(&migrated(USER1, SYSTEM_C, USER2_AT_C_TEL, None))
            .unwrap();
        let before = contents(&small);
        assert_eq!(
            small.restore(&bytes),
            Err(SnapshotError::TableTooSmall { needed })
        );
        assert_eq!(contents(&small), before, "a table too small is unchanged");
        // Exactly the bytes it needs, and a larger table: both restore it.
        for len in [needed, 3 * needed] {
            let mut t = MigrationTable::new(vec![0u8; len]).unwrap();
            t.restore(&bytes).unwrap();
            assert_eq!(contents(&t), contents(&big));
            assert_eq!(snap(&t), bytes);
        }
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let mut t = table();
        t.apply(&migrated("sip:aa@x", SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        t.apply(&migrated("sip:ab@x", SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        let mut bytes = snap(&t);
        let second = bytes.windows(8).position(|w| w == b"sip:ab@x").unwrap();
        bytes[second + 5] = b'a';
        fix_crc(&mut bytes);
        refused(&bytes, SnapshotError::DuplicateKey);
    }

    #[test]
    fn records_out_of_key_order_are_malformed() {
        let mut t = table();
        t.apply(&migrated("sip:aa@x", SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        t.apply(&migrated("sip:ab@x", SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        let mut bytes = snap(&t);
        let first = bytes.windows(8).position(|w| w == b"sip:aa@x").unwrap();
        let second = bytes.windows(8).position(|w| w == b"sip:ab@x").unwrap();
        assert!(first < second, "records are written in ascending key order");
        bytes[second + 5] = b'0'; // "sip:a0@x" sorts before "sip:aa@x"
        fix_crc(&mut bytes);
        refused(&bytes, SnapshotError::Malformed);
    }

    #[test]
    fn snapshot_bytes_do_not_depend_on_insertion_order() {
        let mut forward = table();
        let mut backward = table();
        for n in 0..6 {
            forward
                .apply(&migrated(&nth_id(n), SYSTEM_B, USER2_AT_B, None))
                .unwrap();
            backward
                .apply(&migrated(&nth_id(5 - n), SYSTEM_B, USER2_AT_B, None))
                .unwrap();
        }
        assert_eq!(snap(&forward), snap(&backward));
    }

    #[test]
    fn a_count_above_the_record_bound_is_malformed() {
        let mut bytes = snap(&table());
        assert_eq!(&bytes[9..12], &[0, 0, 0]);
        bytes[9] = 0; // a record bound of 0, yet ...
        bytes[11] = 1; // ... one record; the record itself never gets read
        fix_crc(&mut bytes);
        refused(&bytes, SnapshotError::Malformed);
    }

    /// A snapshot of one migrated-away record, and where its update's variant tag is.
    fn one_migrated() -> (Vec<u8>, usize) {
        let mut t = table();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        let bytes = snap(&t);
        // Header, then record bound, departures and count, one varint byte each.
        assert_eq!(&bytes[9..12], &[1, 0, 1]);
        (bytes, 12)
    }

    #[test]
    fn a_record_is_the_update_that_creates_it_in_the_wire_encoding() {
        let (bytes, tag_at) = one_migrated();
        let update = migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None);
        let mut wire = [0u8; crate::wire::MAX_ENCODED_LEN];
        let n = update.encode(&mut wire).unwrap();
        let payload = &wire[crate::wire::HEADER_LEN..n];
        assert_eq!(&bytes[tag_at..tag_at + payload.len()], payload);
        assert_eq!(bytes[tag_at + payload.len()], 0, "no departure order");
        assert_eq!(bytes.len(), tag_at + payload.len() + 1 + 4, "then the CRC");
    }

    #[test]
    fn the_body_is_postcard_of_the_counts_then_each_record_in_key_order() {
        // The reference: postcard over serde derives, records sorted here by key.
        fn pc<T: serde::Serialize>(value: &T) -> Vec<u8> {
            let mut buf = vec![0u8; 1024];
            let n = postcard::to_slice(value, &mut buf).unwrap().len();
            buf.truncate(n);
            buf
        }
        #[derive(serde::Serialize)]
        struct Reference<'a> {
            update: MigrationUpdate<'a>,
            departed_at: Option<u32>,
        }
        let mut t = mixed();
        // Enough departures for a two-byte varint (some visitors are evicted on the way).
        for n in 0..130 {
            t.apply(&fill(n)).unwrap();
            t.apply(&departed(fill(n).key().as_str())).unwrap();
        }
        assert!(t.departures >= 128);
        let mut records: Vec<_> = t.entries().collect();
        records.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        assert!(records.iter().any(|(_, _, order)| *order > 0));
        let count = records.len() as u32;
        let mut expected = pc(&(count, t.departures, count));
        for (key, record, order) in records {
            let view = EntryView::of(key, record, order);
            let reference = Reference {
                update: view.update,
                departed_at: view.departed_at,
            };
            expected.extend(pc(&reference));
        }
        let bytes = snap(&t);
        assert_eq!(&bytes[HEADER_LEN..bytes.len() - CRC_LEN], &expected[..]);
    }

    #[test]
    fn each_record_is_written_as_the_update_that_creates_it() {
        struct Written<'a>(Raw<'a>);
        impl Encode for Written<'_> {
            fn encode(&self, w: &mut Writer<'_>) {
                encode_entry(w, &self.0);
            }
        }
        fn bytes<T: Encode>(value: &T) -> Vec<u8> {
            let mut out = Vec::new();
            serialize_to(value, &mut |b| out.extend_from_slice(b));
            out
        }
        let t = mixed();
        let mut kinds = std::collections::BTreeSet::new();
        let mut previous = None;
        while let Some(raw) = t.next_entry_after(previous) {
            previous = Some(raw.key);
            let key = McServiceIdRef::from_validated_bytes(raw.key);
            let view = EntryView::of(key, super::super::record(raw).unwrap(), raw.departed_at);
            kinds.insert((
                matches!(view.update, MigrationUpdate::Migrated(_)),
                view.departed_at.is_some(),
            ));
            assert_eq!(bytes(&Written(raw)), bytes(&view), "{key:?}");
        }
        assert_eq!(kinds.len(), 3, "migrated, present and departed visitors");
    }

    #[test]
    fn records_that_no_update_creates_are_refused() {
        // "Moved on" has the fields of "migrated" but only replaces a record.
        let (mut bytes, tag_at) = one_migrated();
        assert_eq!(bytes[tag_at], 0, "migrated");
        bytes[tag_at] = 1;
        fix_crc(&mut bytes);
        refused(&bytes, SnapshotError::InvalidRecord);
        // A departure order on a migrated-away record: only visitors depart.
        let (mut bytes, _) = one_migrated();
        bytes[10] = 1; // one departure so far, so the order itself would be in range
        bytes.truncate(bytes.len() - 4);
        assert_eq!(bytes.pop(), Some(0), "no departure order");
        bytes.extend_from_slice(&[1, 1, 0, 0, 0, 0]); // Some(1), then room for the CRC
        set_len(&mut bytes);
        refused(&bytes, SnapshotError::InvalidRecord);
    }

    #[test]
    fn records_that_break_the_update_rules_are_refused() {
        // A departure order beyond the snapshot's departure count.
        let mut t = table();
        t.apply(&registered("sip:v@x", USER2_PRIMARY, None))
            .unwrap();
        t.apply(&departed("sip:v@x")).unwrap();
        let mut bytes = snap(&t);
        assert_eq!(bytes[10], 1, "departures");
        bytes[10] = 0;
        fix_crc(&mut bytes);
        refused(&bytes, SnapshotError::InvalidRecord);
        // An invalid identifier.
        let mut bytes = snap(&t);
        let at = bytes.windows(7).position(|w| w == b"sip:v@x").unwrap();
        bytes[at + 4] = b'\n';
        fix_crc(&mut bytes);
        refused(
            &bytes,
            SnapshotError::InvalidField(crate::IdError::ControlCharacter),
        );
    }

    #[test]
    fn structure_errors_are_malformed() {
        let mut bytes = snap(&mixed());
        // A byte between the last record and the CRC.
        let crc_at = bytes.len() - 4;
        bytes.insert(crc_at, 0);
        set_len(&mut bytes);
        refused(&bytes, SnapshotError::Malformed);
        // A non-canonical varint for the record count.
        let mut bytes = snap(&table());
        assert_eq!(&bytes[9..12], &[0, 0, 0]);
        bytes.splice(11..12, [0x80, 0x00]);
        set_len(&mut bytes);
        refused(&bytes, SnapshotError::Malformed);
        // A stated length below the minimum.
        let mut bytes = snap(&table());
        bytes[5..9].copy_from_slice(&3u32.to_le_bytes());
        refused(&bytes, SnapshotError::Malformed);
    }

    #[test]
    fn snapshot_changes_nothing_and_apply_still_works_after_restore() {
        let t = mixed();
        let before = contents(&t);
        let _ = snap(&t);
        assert_eq!(contents(&t), before);
        let mut r = table();
        r.restore(&snap(&t)).unwrap();
        assert_eq!(
            r.apply(&departed("sip:v1@mc-a.example")).unwrap().change,
            Change::MarkedDeparted
        );
    }
}
