use super::*;
use crate::table::{ArrayTable, MigrationTable, TableStorage};
use crate::testutil::*;
use std::vec;
use std::vec::Vec;

type Table = ArrayTable<2048>;
const SLOT: usize = save_slot_len(2048);

/// The table's snapshot: what two tables with the same records and order agree on.
fn snap<S: TableStorage>(t: &MigrationTable<S>) -> Vec<u8> {
    let mut buf = vec![0u8; t.max_snapshot_len()];
    let n = t.snapshot(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// A table after the first `n` of a fixed list of updates.
fn table(n: usize) -> Table {
    let mut t = Table::EMPTY;
    let updates = [
        migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)),
        registered("sip:v1@mc-a.example", USER1, None),
        departed("sip:v1@mc-a.example"),
        migrated(USER2_PRIMARY, SYSTEM_C, USER2_AT_C_TEL, Some(KMS_C)),
        registered("sip:v2@mc-a.example", USER1, Some(KMS_A)),
    ];
    for u in updates.iter().take(n) {
        t.apply(u).unwrap();
    }
    t
}

fn erased() -> Vec<u8> {
    vec![0xFF; SLOT]
}

/// The bytes a save of `t` with `sequence` writes, in order.
fn image(t: &Table, sequence: u32) -> Vec<u8> {
    let mut slot = erased();
    let mut other = erased();
    // A save goes to A when neither slot holds one, with sequence 1; lift it to `sequence`.
    let saved = t.save(&mut slot[..], &mut other[..]).unwrap();
    assert_eq!((saved.slot, saved.sequence), (SlotId::A, 1));
    slot.truncate(saved.len);
    slot[4..8].copy_from_slice(&sequence.to_le_bytes());
    let covered = slot.len() - SAVE_CRC_LEN;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&slot[..covered]);
    slot[covered..].copy_from_slice(&crc.to_le_bytes());
    slot
}

#[test]
fn saves_alternate_between_the_slots_and_load_restores_the_newest() {
    let (mut a, mut b) = (erased(), erased());
    let first = table(2).save(&mut a[..], &mut b[..]).unwrap();
    assert_eq!((first.slot, first.sequence), (SlotId::A, 1));
    let second = table(3).save(&mut a[..], &mut b[..]).unwrap();
    assert_eq!((second.slot, second.sequence), (SlotId::B, 2));
    let third = table(5).save(&mut a[..], &mut b[..]).unwrap();
    assert_eq!((third.slot, third.sequence), (SlotId::A, 3));
    assert_eq!(
        third.len,
        snap(&table(5)).len() + SAVE_HEADER_LEN + SAVE_CRC_LEN
    );

    let mut t = Table::EMPTY;
    let loaded = t.load(&a, &b).unwrap();
    assert_eq!(
        loaded,
        Loaded {
            slot: SlotId::A,
            sequence: 3,
            other: SlotState::Saved { sequence: 2 }
        }
    );
    assert_eq!(snap(&t), snap(&table(5)));
}

#[test]
fn a_slot_holds_magic_sequence_snapshot_and_crc() {
    let (mut a, mut b) = (erased(), erased());
    let t = table(3);
    let saved = t.save(&mut a[..], &mut b[..]).unwrap();
    let snapshot = snap(&t);
    assert_eq!(&a[..4], b"MCXB");
    assert_eq!(&a[4..8], &1u32.to_le_bytes());
    assert_eq!(&a[8..8 + snapshot.len()], &snapshot[..]);
    let end = 8 + snapshot.len();
    assert_eq!(saved.len, end + 4);
    assert_eq!(
        &a[end..end + 4],
        &crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC)
            .checksum(&a[..end])
            .to_le_bytes()
    );
    assert!(b.iter().all(|&x| x == 0xFF), "the other slot is only read");
}

/// Issue 16's power-cut test: a save over an existing one is cut after every byte, with the
/// bytes after the cut erased (0xFF), or with a torn last word (garbage in the next four bytes):
/// a load always returns the previous table or the new one, never an error, never a mixture.
#[test]
fn a_save_cut_at_any_byte_loads_the_previous_table_or_the_new_one() {
    let (previous, new) = (table(3), table(5));
    let (prev_snap, new_snap) = (snap(&previous), snap(&new));
    let a = image(&previous, 7);
    let written = image(&new, 8);
    let mut a_slot = erased();
    a_slot[..a.len()].copy_from_slice(&a);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for cut in 0..=written.len() {
        for torn in [false, true] {
            let mut b_slot = erased();
            b_slot[..cut].copy_from_slice(&written[..cut]);
            if torn {
                for byte in b_slot.iter_mut().skip(cut).take(4) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *byte = seed as u8;
                }
            }
            let mut t = Table::EMPTY;
            let loaded = t
                .load(&a_slot, &b_slot)
                .unwrap_or_else(|e| panic!("cut {cut}: {e:?}"));
            let got = snap(&t);
            if cut == written.len() {
                assert_eq!((loaded.slot, loaded.sequence), (SlotId::B, 8));
                assert_eq!(got, new_snap);
            } else if loaded.slot == SlotId::A {
                assert_eq!(loaded.sequence, 7);
                assert_eq!(got, prev_snap, "cut {cut}");
            } else {
                // Only a torn word that happens to equal the missing bytes completes a save.
                assert_eq!(got, new_snap, "cut {cut}");
            }
        }
    }
}

/// A cut during the erase of the slot being overwritten: its first bytes erased, the rest
/// still the older save's (now broken), while the other slot holds the newest: that one loads.
#[test]
fn a_save_cut_during_the_erase_loads_the_newest_whole_save() {
    let older = image(&table(2), 1);
    let newest = image(&table(3), 2);
    let mut b = erased();
    b[..newest.len()].copy_from_slice(&newest);
    for erased_up_to in (0..=older.len()).step_by(7) {
        let mut a = erased();
        a[..older.len()].copy_from_slice(&older);
        a[..erased_up_to].fill(0xFF);
        let mut t = Table::EMPTY;
        let loaded = t.load(&a, &b).unwrap();
        assert_eq!((loaded.slot, loaded.sequence), (SlotId::B, 2));
        assert_eq!(snap(&t), snap(&table(3)));
        // Magic, sequence and the snapshot's header all 0xFF: erased; part of them: not a save.
        let expected = match erased_up_to {
            0 => SlotState::Saved { sequence: 1 },
            1..17 => SlotState::Refused(SlotFault::NotASave),
            _ => SlotState::Refused(SlotFault::Erased),
        };
        assert_eq!(loaded.other, expected, "erased {erased_up_to}");
    }
}

#[test]
fn every_refusal_has_its_reason_and_no_save_leaves_the_table_unchanged() {
    let good = image(&table(3), 4);
    let mut corrupt = good.clone();
    corrupt[20] ^= 0x10;
    let mut not_a_save = good.clone();
    not_a_save[0] = b'X';
    let mut long = good.clone();
    long[13..17].copy_from_slice(&10_000u32.to_le_bytes());
    let mut t = table(1);
    let before = snap(&t);
    for (a, reason) in [
        (erased(), SlotFault::Erased),
        (corrupt, SlotFault::CrcMismatch),
        (not_a_save, SlotFault::NotASave),
        (long, SlotFault::Truncated),
        (vec![0u8; 5], SlotFault::Truncated),
        (vec![], SlotFault::Erased),
    ] {
        assert_eq!(
            t.load(&a, &erased()),
            Err(NoSave {
                a: reason,
                b: SlotFault::Erased
            })
        );
        assert_eq!(snap(&t), before, "the table is unchanged");
        let loaded = t.load(&a, &good).unwrap();
        assert_eq!(loaded.other, SlotState::Refused(reason));
        assert_eq!(loaded.slot, SlotId::B);
        t = table(1);
    }
}

#[test]
fn the_newest_save_that_does_not_fit_the_table_falls_back_to_the_older_one() {
    let mut big = MigrationTable::new(vec![0u8; 4096]).unwrap();
    for n in 0..20 {
        big.apply(&migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None))
            .unwrap();
    }
    let (mut a, mut b) = (
        vec![0xFF; save_slot_len(4096)],
        vec![0xFF; save_slot_len(4096)],
    );
    table(2).save(&mut a[..], &mut b[..]).unwrap();
    big.save(&mut a[..], &mut b[..]).unwrap();
    let mut small = ArrayTable::<512>::EMPTY;
    let loaded = small.load(&a, &b).unwrap();
    assert_eq!(loaded.slot, SlotId::A);
    assert!(matches!(
        loaded.other,
        SlotState::Refused(SlotFault::Snapshot(SnapshotError::TableTooSmall { .. }))
    ));
    assert_eq!(snap(&small), snap(&table(2)));
}

#[test]
fn a_slot_too_small_is_refused_before_anything_is_written() {
    let t = table(5);
    let needed = snap(&t).len() + SAVE_HEADER_LEN + SAVE_CRC_LEN;
    let mut a = vec![0x55u8; needed - 1];
    let mut b = vec![0x55u8; needed - 1];
    assert_eq!(
        t.save(&mut a[..], &mut b[..]),
        Err(SaveError::SlotTooSmall { needed })
    );
    assert!(a.iter().chain(&b).all(|&x| x == 0x55));
    let mut a = vec![0x55u8; needed];
    assert_eq!(t.save(&mut a[..], &mut b[..]).unwrap().len, needed);
}

/// A flash driver's view: erase first, then programs at increasing offsets in 32-byte pieces at
/// multiples of 32; it can fail.
struct Flash {
    bytes: Vec<u8>,
    log: Vec<(usize, usize)>,
    erased: bool,
    fail_at: Option<usize>,
}

impl SaveSlot for Flash {
    fn len(&self) -> usize {
        self.bytes.len()
    }
    fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), SlotIoError> {
        buf.copy_from_slice(&self.bytes[offset..offset + buf.len()]);
        Ok(())
    }
    fn erase(&mut self) -> Result<(), SlotIoError> {
        self.bytes.fill(0xFF);
        self.erased = true;
        self.log.clear();
        Ok(())
    }
    fn program(&mut self, offset: usize, data: &[u8]) -> Result<(), SlotIoError> {
        assert!(self.erased, "programmed before erase");
        if self.fail_at.is_some_and(|f| offset >= f) {
            return Err(SlotIoError(-5));
        }
        let expected = self.log.last().map_or(0, |(o, n)| o + n);
        assert_eq!(offset, expected, "in order");
        assert_eq!(offset % SAVE_PROGRAM_CHUNK, 0);
        assert!(data.len() <= SAVE_PROGRAM_CHUNK);
        self.bytes[offset..offset + data.len()].copy_from_slice(data);
        self.log.push((offset, data.len()));
        Ok(())
    }
}

#[test]
fn a_flash_driver_gets_erase_then_ordered_chunks_and_its_errors_are_reported() {
    let flash = |fail_at| Flash {
        bytes: vec![0xFF; SLOT],
        log: Vec::new(),
        erased: false,
        fail_at,
    };
    let (mut a, mut b) = (flash(None), flash(None));
    let saved = table(5).save(&mut a, &mut b).unwrap();
    assert_eq!(saved.slot, SlotId::A);
    assert!(a
        .log
        .iter()
        .rev()
        .skip(1)
        .all(|&(_, n)| n == SAVE_PROGRAM_CHUNK));
    assert_eq!(a.log.iter().map(|&(_, n)| n).sum::<usize>(), saved.len);
    assert!(!b.erased);
    // The next save goes to B; its driver fails half way: reported, A still loads.
    b.fail_at = Some(64);
    assert_eq!(
        table(3).save(&mut a, &mut b),
        Err(SaveError::Io(SlotId::B, SlotIoError(-5)))
    );
    let mut t = Table::EMPTY;
    let loaded = t.load(&a.bytes, &b.bytes).unwrap();
    assert_eq!(loaded.slot, SlotId::A);
    assert_eq!(loaded.other, SlotState::Refused(SlotFault::CrcMismatch));
    assert_eq!(snap(&t), snap(&table(5)));
}

#[test]
fn sequence_numbers_compare_across_the_wrap() {
    assert!(newer(1, 0));
    assert!(newer(0, u32::MAX));
    assert!(!newer(u32::MAX, 0));
    assert!(!newer(5, 5));
    let mut a = erased();
    let b_image = image(&table(3), u32::MAX);
    let mut b = erased();
    b[..b_image.len()].copy_from_slice(&b_image);
    let saved = table(5).save(&mut a[..], &mut b[..]).unwrap();
    assert_eq!((saved.slot, saved.sequence), (SlotId::A, 0));
    let mut t = Table::EMPTY;
    assert_eq!(t.load(&a, &b).unwrap().slot, SlotId::A);
    assert_eq!(snap(&t), snap(&table(5)));
}
