//! `table_model`: a [`MigrationTable`] over 32 to 2048 bytes of storage (the length and the
//! bytes it held before come from the input) against a model of the policy in the
//! module docs of `mcx_migrate::table` and the table of [`MigrationTable::apply`], and
//! [`server::decide`] against the same model.
//!
//! The model is the test kit's (`mcx_testkit::table_model`, the one `core/tests/properties.rs`
//! runs too), written from the documentation, not from the code; here its records hold pool
//! indices ([`PoolFields`]), so keeping, comparing and copying one costs nothing.
//!
//! Speed (the target must run thousands of inputs a second): an input runs at most
//! [`MAX_OPS`] ops, at most [`MAX_SNAPSHOT_OPS`] of them snapshot ops; the model keeps pool
//! indices, not owned identifiers, in a fixed array, and allocates nothing; after every op that can change the table it is compared
//! with the model in one pass over the table plus one lookup per pool ID, with no sorting
//! or allocation; snapshots are written into buffers reused across the ops.

use arbitrary::{Arbitrary, Unstructured};
use mcx_migrate::error::{SnapshotError, StorageError};
use mcx_migrate::server;
use mcx_migrate::table::{MigrationTable, Record, MIN_STORAGE_LEN, SNAPSHOT_VERSION};
use mcx_migrate::{
    McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, PrivateCallRequest,
    SecurityDomainInfo,
};
use mcx_testkit::table_model::{buckets_for, Fields, TableModel, Update, BUCKET};

use crate::pools::{id_index, Id, Kind, Kms, System, IDS};

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// The longest storage a run uses: enough for every pool ID at once, so the roomy paths are
/// reached too.
pub const MAX_STORAGE_LEN: usize = 2048;

/// A storage length from the input: 32 ([`MIN_STORAGE_LEN`]) to [`MAX_STORAGE_LEN`] bytes.
fn storage_len(raw: u16) -> usize {
    MIN_STORAGE_LEN + usize::from(raw) % (MAX_STORAGE_LEN - MIN_STORAGE_LEN + 1)
}

/// The most ops one input runs: enough to fill the largest storage with every pool ID, depart
/// and evict, snapshot and restore; more would only make each run slower. Bytes after the
/// last op are ignored.
pub const MAX_OPS: usize = 64;

/// The most snapshot ops ([`Op::SnapshotRestore`], [`Op::RestoreDamaged`]) one input runs: each
/// writes and reads whole snapshots, CRC included, and costs as much as a dozen other ops, so
/// an input of little else would run at a tenth of the speed. Later ones are dropped as the
/// input is read (they are not in [`Input::ops`]).
pub const MAX_SNAPSHOT_OPS: usize = 8;

/// One fuzz input: the table's storage and the sequence run on it.
#[derive(Debug, Clone)]
pub struct Input {
    /// The storage length, through [`storage_len`]: 32 to 2048 bytes.
    pub storage: u16,
    /// What the storage held before the table was made over it.
    pub fill: u8,
    /// The sequence: at most [`MAX_OPS`] ops, at most [`MAX_SNAPSHOT_OPS`] of them snapshot
    /// ops.
    pub ops: Vec<Op>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let storage = u.arbitrary()?;
        let fill = u.arbitrary()?;
        let mut ops = Vec::with_capacity(MAX_OPS);
        let mut snapshots = 0;
        while ops.len() < MAX_OPS && !u.is_empty() {
            let op: Op = u.arbitrary()?;
            if matches!(op, Op::SnapshotRestore { .. } | Op::RestoreDamaged { .. }) {
                if snapshots == MAX_SNAPSHOT_OPS {
                    continue;
                }
                snapshots += 1;
            }
            ops.push(op);
        }
        Ok(Input { storage, fill, ops })
    }
}

/// One step of the sequence.
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// Apply `MigrationUpdate::Migrated`.
    Migrated(Id, System, Id, Option<Kms>),
    /// Apply `MigrationUpdate::MovedOn`.
    MovedOn(Id, System, Id, Option<Kms>),
    /// Apply `MigrationUpdate::Returned`.
    Returned(Id),
    /// Apply `MigrationUpdate::VisitorRegistered`.
    VisitorRegistered(Id, Id, System, Option<Kms>),
    /// Apply `MigrationUpdate::VisitorDeparted`.
    VisitorDeparted(Id),
    /// `lookup` one ID.
    Lookup(Id),
    /// `server::decide` on a request from `Id` (caller) to `Id` (target).
    Decide(Kind, Id, Id, bool),
    /// Snapshot the table and restore the snapshot into a table over another storage (length
    /// through [`storage_len`]) that holds a record of its own: if the model's records fit it,
    /// go on with that table (records and eviction order survive), else the restore must fail
    /// with `TableTooSmall` and leave it unchanged.
    SnapshotRestore {
        /// The other table's storage length, through [`storage_len`].
        storage: u16,
    },
    /// Restore a damaged snapshot of the table into the table: flip bits at `at`, cut it at
    /// `cut`, and recompute the CRC if `fix_crc` (to reach the checks behind it). A refused
    /// snapshot leaves the table unchanged.
    RestoreDamaged {
        /// Byte offset (modulo the length) to XOR with `xor`.
        at: u16,
        /// What to XOR in; 0 leaves the byte as is.
        xor: u8,
        /// Length (modulo the length + 1) to cut the snapshot to.
        cut: Option<u16>,
        /// Recompute the CRC-32 over the damaged bytes.
        fix_crc: bool,
    },
}

impl Op {
    /// The update this op applies, borrowing the pools' identifiers.
    fn update(&self) -> Option<MigrationUpdate<'static>> {
        Some(match *self {
            Op::Migrated(p, s, id, k) => MigrationUpdate::Migrated(Migration {
                primary_id: p.id_ref(),
                partner_system: s.system_ref(),
                partner_id: id.id_ref(),
                security_domain_info: k.map(Kms::sdi),
            }),
            Op::MovedOn(p, s, id, k) => MigrationUpdate::MovedOn(Migration {
                primary_id: p.id_ref(),
                partner_system: s.system_ref(),
                partner_id: id.id_ref(),
                security_domain_info: k.map(Kms::sdi),
            }),
            Op::Returned(p) => MigrationUpdate::Returned {
                primary_id: p.id_ref(),
            },
            Op::VisitorRegistered(l, p, s, k) => MigrationUpdate::VisitorRegistered {
                local_id: l.id_ref(),
                primary_id: p.id_ref(),
                primary_system: s.system_ref(),
                primary_security_domain_info: k.map(Kms::sdi),
            },
            Op::VisitorDeparted(l) => MigrationUpdate::VisitorDeparted {
                local_id: l.id_ref(),
            },
            Op::Lookup(_)
            | Op::Decide(..)
            | Op::SnapshotRestore { .. }
            | Op::RestoreDamaged { .. } => return None,
        })
    }
}

/// A record's fields as pool entries: the other ID, the other system, the KMS URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFields {
    id: Id,
    system: System,
    sdi: Option<Kms>,
}

impl Fields for PoolFields {
    fn id(&self) -> McServiceIdRef<'_> {
        self.id.id_ref()
    }
    fn system(&self) -> McSystemIdRef<'_> {
        self.system.system_ref()
    }
    fn sdi(&self) -> Option<SecurityDomainInfo<'_>> {
        self.sdi.map(Kms::sdi)
    }
}

/// The documented policy on one slot per pool ID.
pub type Model = TableModel<PoolFields, { Id::COUNT }>;

impl Op {
    /// The key and the model's form of the update this op applies.
    fn model_update(&self) -> Option<(Id, Update<PoolFields>)> {
        let fields = |id, system, sdi| PoolFields { id, system, sdi };
        Some(match *self {
            Op::Migrated(p, s, id, k) => (p, Update::Migrated(fields(id, s, k))),
            Op::MovedOn(p, s, id, k) => (p, Update::MovedOn(fields(id, s, k))),
            Op::Returned(p) => (p, Update::Returned),
            Op::VisitorRegistered(l, p, s, k) => (l, Update::VisitorRegistered(fields(p, s, k))),
            Op::VisitorDeparted(l) => (l, Update::VisitorDeparted),
            Op::Lookup(_)
            | Op::Decide(..)
            | Op::SnapshotRestore { .. }
            | Op::RestoreDamaged { .. } => return None,
        })
    }
}

type Table = MigrationTable<Vec<u8>>;

/// The whole table agrees with the model: every record (and no other) by iteration, every pool
/// ID by lookup, the record count, the storage length and the bytes in use. One pass over the
/// table and one lookup per pool ID: no sorting, no allocation.
fn assert_agrees(table: &Table, model: &Model, step: usize) {
    // The model's records as the table returns them, built once.
    let mut want: [Option<Record<'_>>; Id::COUNT] = [None; Id::COUNT];
    let (mut count, mut live) = (0, 0);
    for (k, r) in model.iter() {
        want[k] = Some(r.as_record());
        count += 1;
        live += r.need;
    }
    let mut seen = [false; Id::COUNT];
    let mut iterated = 0;
    for (key, record) in table.iter() {
        let Some(k) = id_index(key.as_str()) else {
            panic!("step {step}: iter yields {key:?}, not a pool ID: {record:?}");
        };
        assert!(!seen[k], "step {step}: iter yields {key:?} twice");
        seen[k] = true;
        iterated += 1;
        assert_eq!(Some(record), want[k], "step {step}: iter {key:?}");
    }
    assert_eq!(iterated, count, "step {step}: records iterated");
    for (id, want) in IDS.iter().zip(&want) {
        assert_eq!(table.lookup(id), *want, "step {step}: lookup {id}");
    }
    assert_eq!(table.len(), count, "step {step}: len");
    assert_eq!(table.is_empty(), count == 0);
    assert_eq!(table.storage_len(), model.storage_len(), "step {step}");
    let bytes_in_use = table.bytes_in_use();
    assert_eq!(
        bytes_in_use,
        live + buckets_for(count) * BUCKET,
        "step {step}: bytes in use"
    );
    assert!(bytes_in_use <= table.storage_len());
}

/// Snapshots `table` into `buf` (grown to `max_snapshot_len`, which must suffice) and returns
/// the snapshot's length. With `exact`, also checks that a buffer one byte shorter is refused
/// exactly: done on the first snapshot of each snapshot op, as the other snapshots of the op
/// only compare states.
fn snapshot_into(table: &Table, buf: &mut Vec<u8>, exact: bool) -> usize {
    let max = table.max_snapshot_len();
    if buf.len() < max {
        buf.resize(max, 0);
    }
    let n = table
        .snapshot(&mut buf[..max])
        .expect("a buffer of max_snapshot_len suffices");
    if exact {
        assert_eq!(
            table.snapshot(&mut buf[..n - 1]),
            Err(SnapshotError::BufferTooSmall { needed: n })
        );
    }
    n
}

/// The length a snapshot states in its header, if it has one.
fn stated_len(bytes: &[u8]) -> Option<usize> {
    let len: [u8; 4] = bytes.get(5..9)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(len)).ok()
}

/// The postcard varint at the front of `bytes`, and the bytes after it.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().take(10).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, bytes.get(i + 1..)?));
        }
    }
    None
}

/// Whether a snapshot's record bound (the first field of its body) is its record count (the
/// third), as the table writes it: a snapshot written by an older table states its capacity.
fn bound_is_count(bytes: &[u8]) -> bool {
    let fields = || -> Option<bool> {
        let (bound, rest) = varint(bytes.get(9..)?)?;
        let (_departures, rest) = varint(rest)?;
        let (count, _) = varint(rest)?;
        Some(bound == count)
    };
    fields() == Some(true)
}

/// A record the target of a restore holds before it, so that "unchanged" means something.
fn resident() -> MigrationUpdate<'static> {
    MigrationUpdate::Migrated(Migration {
        primary_id: McServiceIdRef::new("sip:resident@mc-a.example").expect("valid"),
        partner_system: McSystemIdRef::new("mc-b.example").expect("valid"),
        partner_id: McServiceIdRef::new("sip:r@mc-b.example").expect("valid"),
        security_domain_info: None,
    })
}

/// Runs the input's sequence on a fresh table and a fresh model; panics on the first
/// divergence.
pub fn check(input: &Input) {
    // Storage below the minimum is refused.
    let short = usize::from(input.fill) % MIN_STORAGE_LEN;
    assert_eq!(
        Table::new(vec![input.fill; short]).err(),
        Some(StorageError::TooSmall {
            needed: MIN_STORAGE_LEN
        })
    );
    let len = storage_len(input.storage);
    let mut table = Table::new(vec![input.fill; len]).expect("storage of at least 32 bytes");
    let mut model = Model::new(len);
    assert_agrees(&table, &model, 0);
    // Snapshot buffers, reused across the steps.
    let (mut snap, mut damaged, mut again) = (Vec::new(), Vec::new(), Vec::new());
    for (step, op) in input.ops.iter().enumerate() {
        match op {
            Op::SnapshotRestore { storage } => {
                let n = snapshot_into(&table, &mut snap, true);
                let bytes = &snap[..n];
                let len = storage_len(*storage);
                let mut other =
                    Table::new(vec![!input.fill; len]).expect("storage of at least 32 bytes");
                let _ = other.apply(&resident());
                let needed = model.bytes_in_use();
                if model.restore_into(len).is_ok() {
                    assert_eq!(
                        other.restore(bytes),
                        Ok(()),
                        "step {step}: {needed} B refused by {len}"
                    );
                    // The snapshot names no storage length: the same records give the same
                    // bytes whatever the storage.
                    let m = snapshot_into(&other, &mut again, false);
                    assert_eq!(&again[..m], bytes, "step {step}: snapshot not canonical");
                    table = other;
                } else {
                    let b = snapshot_into(&other, &mut damaged, false);
                    assert_eq!(
                        other.restore(bytes),
                        Err(SnapshotError::TableTooSmall { needed }),
                        "step {step}: {needed} B restored into {len}"
                    );
                    let m = snapshot_into(&other, &mut again, false);
                    assert_eq!(
                        &again[..m],
                        &damaged[..b],
                        "step {step}: a refused restore changed the table"
                    );
                }
            }
            Op::RestoreDamaged {
                at,
                xor,
                cut,
                fix_crc,
            } => {
                let n = snapshot_into(&table, &mut snap, true);
                let original = &snap[..n];
                damaged.clear();
                damaged.extend_from_slice(original);
                let bytes = &mut damaged;
                if let Some(b) = bytes.get_mut(usize::from(*at) % n) {
                    *b ^= xor;
                }
                if let Some(cut) = cut {
                    bytes.truncate(usize::from(*cut) % (n + 1));
                }
                if *fix_crc && bytes.len() >= 4 {
                    let len = bytes.len();
                    let (covered, crc) = bytes.split_at_mut(len - 4);
                    crc.copy_from_slice(&CRC32.checksum(covered).to_le_bytes());
                }
                let bytes = &damaged[..];
                match table.restore(bytes) {
                    Err(_) => {
                        assert_ne!(bytes, original, "step {step}: own snapshot refused");
                        let m = snapshot_into(&table, &mut again, false);
                        assert_eq!(
                            &again[..m],
                            original,
                            "step {step}: a refused snapshot changed the table"
                        );
                    }
                    Ok(()) => {
                        assert!(table.bytes_in_use() <= table.storage_len());
                        let m = snapshot_into(&table, &mut again, false);
                        let again = &again[..m];
                        if bound_is_count(bytes) {
                            // Accepted: it is a snapshot in canonical form.
                            assert_eq!(stated_len(bytes), Some(again.len()));
                            let input = bytes.get(..again.len());
                            if input.and_then(|i| i.get(4)) == Some(&2) {
                                // Version 2, still read, is written back as the current
                                // version: the same bytes but the version byte and the CRC.
                                assert_eq!(again.get(4), Some(&SNAPSHOT_VERSION), "step {step}");
                                let unversioned = |s: &[u8]| {
                                    let mut s = s.to_vec();
                                    s[4] = SNAPSHOT_VERSION;
                                    s.truncate(s.len() - 4);
                                    s
                                };
                                assert_eq!(
                                    input.map(unversioned),
                                    Some(unversioned(again)),
                                    "step {step}"
                                );
                            } else {
                                assert_eq!(input, Some(again), "step {step}");
                            }
                        } else {
                            // Another record bound (the field is informational): the table
                            // writes its count, and that is a fixpoint.
                            let mut other =
                                Table::new(vec![0; table.storage_len()]).expect("same length");
                            assert_eq!(other.restore(again), Ok(()));
                            let o = snapshot_into(&other, &mut snap, false);
                            assert_eq!(&snap[..o], again);
                            return;
                        }
                        if again != original {
                            // A different, valid table: the model cannot follow it further.
                            return;
                        }
                    }
                }
            }
            Op::Lookup(id) => {
                assert_eq!(
                    table.lookup(id.as_str()),
                    model.record(id.index()),
                    "step {step}: lookup {}",
                    id.as_str()
                );
                // `lookup` takes `&self` and the table has no interior mutability: it cannot
                // have changed, so the whole-table comparison is skipped.
                continue;
            }
            Op::Decide(kind, caller, target, e2ee) => {
                let request = PrivateCallRequest {
                    service_kind: kind.kind(),
                    calling_party: caller.id_ref(),
                    target: target.id_ref(),
                    e2ee_required: *e2ee,
                    security_domain_info: None,
                };
                assert_eq!(
                    server::decide(&table, &request),
                    model.decide(&request, Some(target.index())),
                    "step {step}: decide {request:?}"
                );
                // As for `Lookup`: `decide` only reads the table.
                continue;
            }
            _ => {
                let update = op.update().expect("an update op");
                let got = table.apply(&update);
                let (key, change) = op.model_update().expect("an update op");
                let expected = model.apply(key.index(), key.as_str().len(), change);
                assert_eq!(got, expected, "step {step}: apply {update:?}");
                // A failed apply leaves the model unchanged, so the comparison below is also
                // the check that it left the table unchanged.
            }
        }
        assert_agrees(&table, &model, step + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pool ID migrated or visiting in the largest storage, half of the visitors
    /// departed, a visitor more than fits (evicting), then snapshots restored into storages
    /// large and small, a damaged snapshot and lookups and decisions: the model agrees
    /// throughout.
    #[test]
    fn a_full_table_evicts_snapshots_and_restores_as_the_model_says() {
        let mut ops = Vec::new();
        for k in 0..12u8 {
            ops.push(if k % 2 == 0 {
                Op::Migrated(Id(k), System(k), Id(k + 1), Some(Kms(k)))
            } else {
                Op::VisitorRegistered(Id(k), Id(k + 2), System(k), Some(Kms(k)))
            });
        }
        ops.extend((1..12u8).step_by(4).map(|k| Op::VisitorDeparted(Id(k))));
        ops.push(Op::VisitorRegistered(Id(1), Id(0), System(0), Some(Kms(0))));
        ops.push(Op::SnapshotRestore { storage: u16::MAX });
        ops.push(Op::SnapshotRestore { storage: 0 });
        ops.push(Op::RestoreDamaged {
            at: 0,
            xor: 0,
            cut: None,
            fix_crc: false,
        });
        ops.extend((0..12u8).map(|k| Op::Lookup(Id(k))));
        ops.extend((0..12u8).map(|k| Op::Decide(Kind(k), Id(k), Id(k + 3), k % 2 == 0)));
        check(&Input {
            storage: u16::try_from(MAX_STORAGE_LEN - MIN_STORAGE_LEN).expect("fits"),
            fill: 0xa5,
            ops,
        });
    }

    /// Reading an input stops at [`MAX_OPS`] ops and drops snapshot ops past
    /// [`MAX_SNAPSHOT_OPS`].
    #[test]
    fn inputs_are_capped() {
        // Tag bytes 0xd2 pick `SnapshotRestore` (the 8th of 9 variants); its `u16` follows.
        let bytes: Vec<u8> = [0u8, 0, 0]
            .into_iter()
            .chain((0..200).flat_map(|_| [0xd2, 0xd2, 0xd2, 0xd2, 0, 0]))
            .collect();
        let input = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("reads");
        assert_eq!(input.ops.len(), MAX_SNAPSHOT_OPS);
        assert!(input
            .ops
            .iter()
            .all(|op| matches!(op, Op::SnapshotRestore { .. })));
        // Tag bytes 0x9a pick `Lookup` (the 6th); its ID follows.
        let bytes: Vec<u8> = [0u8, 0, 0]
            .into_iter()
            .chain((0..200).flat_map(|_| [0x9a, 0x9a, 0x9a, 0x9a, 1]))
            .collect();
        let input = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("reads");
        assert_eq!(input.ops.len(), MAX_OPS);
        assert!(input.ops.iter().all(|op| matches!(op, Op::Lookup(Id(1)))));
    }

    /// The committed seeds run clean.
    #[test]
    fn seeds_pass() {
        crate::run_seeds::<Input>("table_model", check);
    }
}
