//! `table_model`: a [`MigrationTable`] over 32 to 2048 bytes of storage (the length and the
//! bytes it held before come from the input) against a `HashMap` model of the policy in the
//! module docs of `mcx_migrate::table` and the table of [`MigrationTable::apply`], and
//! [`server::decide`] against the same model.
//!
//! The model is written from the documentation, not from the code: records keyed by MC service
//! ID; `Migrated` needs no visitor record, `MovedOn`/`Returned` need a migrated-away record,
//! `VisitorRegistered` needs no migrated-away record, `VisitorDeparted` needs a visitor record.
//! A record needs `15 + len(key) + len(A) + len(B) + len(KMS URI)` bytes, and records needing
//! `live` bytes in all fit a storage of `L` bytes iff `live + 8 * max(4, 2 * records) <= L`. An
//! update that writes a record (new or replacing one) is applied if that holds afterwards, else
//! after evicting as few of the oldest departed visitor records (never the one it replaces) as
//! make it hold, else it fails with `TableFull`; on any error nothing changes. A snapshot
//! restores into a table of any storage length that holds its records, else
//! `TableTooSmall { needed }` with the table unchanged.

use std::collections::HashMap;

use arbitrary::Arbitrary;
use mcx_migrate::error::{SnapshotError, StorageError};
use mcx_migrate::server::{self, Decision, RejectReason};
use mcx_migrate::table::{
    Applied, Change, MigratedRecord, MigrationTable, Record, VisitorRecord, VisitorState,
    MIN_STORAGE_LEN,
};
use mcx_migrate::{
    McServiceId, McSystemId, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
    RedirectionReason, SecurityDomainInfo, SecurityDomainInfoView, TableError,
};

use crate::pools::{Id, Kind, Kms, System, IDS};

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Bytes of a record's header (module docs of `mcx_migrate::table`).
const HEADER: usize = 15;
/// Bytes of an index bucket.
const BUCKET: usize = 8;
/// The longest storage a run uses: enough for every pool ID at once, so the roomy paths are
/// reached too.
pub const MAX_STORAGE_LEN: usize = 2048;

/// Buckets the index of `records` records takes: two per record, at least four.
fn buckets_for(records: usize) -> usize {
    (2 * records).max(4)
}

/// A storage length from the input: 32 ([`MIN_STORAGE_LEN`]) to [`MAX_STORAGE_LEN`] bytes.
fn storage_len(raw: u16) -> usize {
    MIN_STORAGE_LEN + usize::from(raw) % (MAX_STORAGE_LEN - MIN_STORAGE_LEN + 1)
}

/// One fuzz input: the table's storage and the sequence run on it.
#[derive(Debug, Clone, Arbitrary)]
pub struct Input {
    /// The storage length, through [`storage_len`]: 32 to 2048 bytes.
    pub storage: u16,
    /// What the storage held before the table was made over it.
    pub fill: u8,
    /// The sequence.
    pub ops: Vec<Op>,
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
    fn update(&self) -> Option<MigrationUpdate> {
        Some(match self {
            Op::Migrated(p, s, id, k) => MigrationUpdate::Migrated {
                primary_id: p.id(),
                partner_system: s.system(),
                partner_id: id.id(),
                security_domain_info: k.map(Kms::sdi),
            },
            Op::MovedOn(p, s, id, k) => MigrationUpdate::MovedOn {
                primary_id: p.id(),
                partner_system: s.system(),
                partner_id: id.id(),
                security_domain_info: k.map(Kms::sdi),
            },
            Op::Returned(p) => MigrationUpdate::Returned { primary_id: p.id() },
            Op::VisitorRegistered(l, p, s, k) => MigrationUpdate::VisitorRegistered {
                local_id: l.id(),
                primary_id: p.id(),
                primary_system: s.system(),
                primary_security_domain_info: k.map(Kms::sdi),
            },
            Op::VisitorDeparted(l) => MigrationUpdate::VisitorDeparted { local_id: l.id() },
            Op::Lookup(_)
            | Op::Decide(..)
            | Op::SnapshotRestore { .. }
            | Op::RestoreDamaged { .. } => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum ModelRecord {
    Away {
        system: McSystemId,
        partner: McServiceId,
        sdi: Option<SecurityDomainInfo>,
    },
    Visiting {
        primary: McServiceId,
        system: McSystemId,
        sdi: Option<SecurityDomainInfo>,
        /// `Some(n)`: departed as the n-th departure; `None`: present.
        departed: Option<u64>,
    },
}

fn kms_len(sdi: &Option<SecurityDomainInfo>) -> usize {
    sdi.as_ref().map_or(0, |s| s.kms_uri.as_str().len())
}

fn sdi_view(sdi: &Option<SecurityDomainInfo>) -> Option<SecurityDomainInfoView<'_>> {
    sdi.as_ref().map(|s| SecurityDomainInfoView {
        kms_uri: s.kms_uri.as_borrowed(),
    })
}

impl ModelRecord {
    /// The documented need: header, key, field A, field B and the KMS URI.
    fn need(&self, key: &McServiceId) -> usize {
        HEADER
            + key.as_str().len()
            + match self {
                ModelRecord::Away {
                    system,
                    partner,
                    sdi,
                } => system.as_str().len() + partner.as_str().len() + kms_len(sdi),
                ModelRecord::Visiting {
                    primary,
                    system,
                    sdi,
                    ..
                } => primary.as_str().len() + system.as_str().len() + kms_len(sdi),
            }
    }

    fn departed(&self) -> Option<u64> {
        match self {
            ModelRecord::Visiting { departed, .. } => *departed,
            ModelRecord::Away { .. } => None,
        }
    }

    fn as_record(&self) -> Record<'_> {
        match self {
            ModelRecord::Away {
                system,
                partner,
                sdi,
            } => Record::MigratedAway(MigratedRecord {
                partner_system: system.as_borrowed(),
                partner_id: partner.as_borrowed(),
                security_domain_info: sdi_view(sdi),
            }),
            ModelRecord::Visiting {
                primary,
                system,
                sdi,
                departed,
            } => Record::Visiting(VisitorRecord {
                primary_id: primary.as_borrowed(),
                primary_system: system.as_borrowed(),
                primary_security_domain_info: sdi_view(sdi),
                state: if departed.is_some() {
                    VisitorState::Departed
                } else {
                    VisitorState::Present
                },
            }),
        }
    }
}

/// The documented policy on a `HashMap`, bytes accounted as the table's docs say.
#[derive(Debug, Clone)]
pub struct Model {
    storage_len: usize,
    records: HashMap<McServiceId, ModelRecord>,
    departures: u64,
}

impl Model {
    fn new(storage_len: usize) -> Self {
        Model {
            storage_len,
            records: HashMap::new(),
            departures: 0,
        }
    }

    fn live(&self) -> usize {
        self.records.iter().map(|(k, r)| r.need(k)).sum()
    }

    fn bytes_in_use(&self) -> usize {
        self.live() + buckets_for(self.records.len()) * BUCKET
    }

    fn fits(&self, records: usize, live: usize) -> bool {
        live + buckets_for(records) * BUCKET <= self.storage_len
    }

    /// Inserts or replaces the record of `key`: applied if the records fit afterwards, else
    /// after evicting as few of the oldest departed visitors (never `key`'s own record) as make
    /// them fit, else `TableFull` with nothing changed.
    fn write(&mut self, key: &McServiceId, rec: ModelRecord) -> Result<Applied, TableError> {
        let old = self.records.get(key).map(|r| r.need(key));
        let new = rec.need(key);
        let (mut count, mut live) = match old {
            Some(old) => (self.records.len(), self.live() - old + new),
            None => (self.records.len() + 1, self.live() + new),
        };
        let mut departed: Vec<(u64, &McServiceId)> = self
            .records
            .iter()
            .filter(|(k, _)| *k != key)
            .filter_map(|(k, r)| Some((r.departed()?, k)))
            .collect();
        departed.sort();
        let mut evict = Vec::new();
        for (_, k) in departed {
            if self.fits(count, live) {
                break;
            }
            count -= 1;
            live -= self.records[k].need(k);
            evict.push(k.clone());
        }
        if !self.fits(count, live) {
            return Err(TableError::TableFull);
        }
        for k in &evict {
            self.records.remove(k);
        }
        self.records.insert(key.clone(), rec);
        Ok(Applied {
            change: if old.is_some() {
                Change::Replaced
            } else {
                Change::Inserted
            },
            evicted: evict.len(),
        })
    }

    fn apply(&mut self, update: &MigrationUpdate) -> Result<Applied, TableError> {
        let key = update.key();
        let existing = self.records.get(key);
        let away = matches!(existing, Some(ModelRecord::Away { .. }));
        let visiting = matches!(existing, Some(ModelRecord::Visiting { .. }));
        match update {
            MigrationUpdate::Migrated {
                partner_system,
                partner_id,
                security_domain_info,
                ..
            }
            | MigrationUpdate::MovedOn {
                partner_system,
                partner_id,
                security_domain_info,
                ..
            } => {
                let moved_on = matches!(update, MigrationUpdate::MovedOn { .. });
                if moved_on && !away {
                    return Err(TableError::NotMigrated);
                }
                if visiting {
                    return Err(TableError::RoleConflict);
                }
                self.write(
                    key,
                    ModelRecord::Away {
                        system: partner_system.clone(),
                        partner: partner_id.clone(),
                        sdi: security_domain_info.clone(),
                    },
                )
            }
            MigrationUpdate::Returned { .. } => {
                if !away {
                    return Err(TableError::NotMigrated);
                }
                self.records.remove(key);
                Ok(Applied {
                    change: Change::Removed,
                    evicted: 0,
                })
            }
            MigrationUpdate::VisitorRegistered {
                primary_id,
                primary_system,
                primary_security_domain_info,
                ..
            } => {
                if away {
                    return Err(TableError::RoleConflict);
                }
                // A departed visitor registered again is present, out of the eviction order.
                self.write(
                    key,
                    ModelRecord::Visiting {
                        primary: primary_id.clone(),
                        system: primary_system.clone(),
                        sdi: primary_security_domain_info.clone(),
                        departed: None,
                    },
                )
            }
            MigrationUpdate::VisitorDeparted { .. } => {
                let next = self.departures + 1;
                match self.records.get_mut(key) {
                    Some(ModelRecord::Visiting { departed, .. }) => {
                        // A repeated departure keeps its place in the eviction order.
                        if departed.is_none() {
                            *departed = Some(next);
                            self.departures = next;
                        }
                        Ok(Applied {
                            change: Change::MarkedDeparted,
                            evicted: 0,
                        })
                    }
                    _ => Err(TableError::NotVisiting),
                }
            }
        }
    }

    /// What `server::decide` must answer, from its documentation: IE 2 is the target's ID from
    /// its primary system, IE 3 the ID from the migrated system; the dialled ID is the one or
    /// the other.
    fn decide(&self, request: &PrivateCallRequest) -> Decision {
        let (migrated, sdi, reason, primary) = match self.records.get(&request.target) {
            Some(ModelRecord::Away { partner, sdi, .. }) => (
                partner,
                sdi,
                RedirectionReason::TargetMigrated,
                &request.target,
            ),
            Some(ModelRecord::Visiting {
                primary,
                sdi,
                departed: Some(_),
                ..
            }) => (
                &request.target,
                sdi,
                RedirectionReason::TargetNoLongerServed,
                primary,
            ),
            _ => return Decision::Proceed,
        };
        if request.e2ee_required && sdi.is_none() {
            return Decision::Reject(RejectReason::SecurityDomainInfoUnavailable);
        }
        Decision::Redirect(PrivateCallRedirection {
            service_kind: request.service_kind,
            calling_party: request.calling_party.clone(),
            target_primary: primary.clone(),
            target_migrated: migrated.clone(),
            e2ee_required: request.e2ee_required,
            security_domain_info: if request.e2ee_required {
                sdi.clone()
            } else {
                None
            },
            reason: Some(reason),
        })
    }
}

type Table = MigrationTable<Vec<u8>>;

/// The whole table agrees with the model: every record (and no other) by iteration, every pool
/// ID by lookup, the record count, the storage length and the bytes in use.
fn assert_agrees(table: &Table, model: &Model, step: usize) {
    let (got, bytes_in_use) = records(table);
    let mut want: Vec<(&str, Record<'_>)> = model
        .records
        .iter()
        .map(|(k, r)| (k.as_str(), r.as_record()))
        .collect();
    want.sort_by_key(|(k, _)| *k);
    assert_eq!(got, want, "step {step}: contents");
    for id in IDS {
        let expected = McServiceId::new(id)
            .ok()
            .and_then(|id| model.records.get(&id))
            .map(ModelRecord::as_record);
        assert_eq!(table.lookup(id), expected, "step {step}: lookup {id}");
    }
    assert_eq!(table.len(), model.records.len(), "step {step}: len");
    assert_eq!(table.is_empty(), model.records.is_empty());
    assert_eq!(table.storage_len(), model.storage_len, "step {step}");
    assert_eq!(
        bytes_in_use,
        model.bytes_in_use(),
        "step {step}: bytes in use"
    );
    assert!(bytes_in_use <= table.storage_len());
}

/// A table's records, sorted by key, and its bytes in use.
fn records(table: &Table) -> (Vec<(&str, Record<'_>)>, usize) {
    let mut all: Vec<(&str, Record<'_>)> = table.iter().map(|(k, r)| (k.as_str(), r)).collect();
    all.sort_by_key(|(k, _)| *k);
    (all, table.bytes_in_use())
}

/// The table's snapshot: the whole state, the hidden eviction order included. A buffer of
/// `max_snapshot_len` must suffice, and one byte less than the snapshot be refused exactly.
fn snapshot_bytes(table: &Table) -> Vec<u8> {
    let mut buf = vec![0u8; table.max_snapshot_len()];
    let n = table
        .snapshot(&mut buf)
        .expect("a buffer of max_snapshot_len suffices");
    assert_eq!(
        table.snapshot(&mut vec![0u8; n - 1]),
        Err(SnapshotError::BufferTooSmall { needed: n })
    );
    buf.truncate(n);
    buf
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
fn resident() -> MigrationUpdate {
    MigrationUpdate::Migrated {
        primary_id: McServiceId::new("sip:resident@mc-a.example").expect("valid"),
        partner_system: McSystemId::new("mc-b.example").expect("valid"),
        partner_id: McServiceId::new("sip:r@mc-b.example").expect("valid"),
        security_domain_info: None,
    }
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
    for (step, op) in input.ops.iter().enumerate() {
        match op {
            Op::SnapshotRestore { storage } => {
                let bytes = snapshot_bytes(&table);
                let len = storage_len(*storage);
                let mut other =
                    Table::new(vec![!input.fill; len]).expect("storage of at least 32 bytes");
                let _ = other.apply(&resident());
                let before = snapshot_bytes(&other);
                let needed = model.bytes_in_use();
                match other.restore(&bytes) {
                    Ok(()) => {
                        assert!(needed <= len, "step {step}: {needed} B restored into {len}");
                        // The snapshot names no storage length: the same records give the
                        // same bytes whatever the storage.
                        assert_eq!(
                            snapshot_bytes(&other),
                            bytes,
                            "step {step}: snapshot not canonical"
                        );
                        table = other;
                        model.storage_len = len;
                    }
                    Err(e) => {
                        assert_eq!(e, SnapshotError::TableTooSmall { needed }, "step {step}");
                        assert!(needed > len, "step {step}: {needed} B refused by {len}");
                        assert_eq!(
                            snapshot_bytes(&other),
                            before,
                            "step {step}: a refused restore changed the table"
                        );
                    }
                }
            }
            Op::RestoreDamaged {
                at,
                xor,
                cut,
                fix_crc,
            } => {
                let original = snapshot_bytes(&table);
                let mut bytes = original.clone();
                let n = bytes.len();
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
                match table.restore(&bytes) {
                    Err(_) => {
                        assert_ne!(bytes, original, "step {step}: own snapshot refused");
                        assert_eq!(
                            snapshot_bytes(&table),
                            original,
                            "step {step}: a refused snapshot changed the table"
                        );
                    }
                    Ok(()) => {
                        assert!(table.bytes_in_use() <= table.storage_len());
                        let again = snapshot_bytes(&table);
                        if bound_is_count(&bytes) {
                            // Accepted: it is a snapshot in canonical form.
                            assert_eq!(stated_len(&bytes), Some(again.len()));
                            assert_eq!(bytes.get(..again.len()), Some(&again[..]), "step {step}");
                        } else {
                            // Another record bound (the field is informational): the table
                            // writes its count, and that is a fixpoint.
                            let mut other =
                                Table::new(vec![0; table.storage_len()]).expect("same length");
                            assert_eq!(other.restore(&again), Ok(()));
                            assert_eq!(snapshot_bytes(&other), again);
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
                let id = id.id();
                let expected = model.records.get(&id).map(ModelRecord::as_record);
                assert_eq!(table.lookup(&id), expected, "step {step}: lookup {id}");
            }
            Op::Decide(kind, caller, target, e2ee) => {
                let request = PrivateCallRequest {
                    service_kind: kind.kind(),
                    calling_party: caller.id(),
                    target: target.id(),
                    e2ee_required: *e2ee,
                    security_domain_info: None,
                };
                assert_eq!(
                    server::decide(&table, &request),
                    model.decide(&request),
                    "step {step}: decide {request:?}"
                );
            }
            _ => {
                let update = op.update().expect("an update op");
                let before = table.clone();
                let got = table.apply(&update);
                let expected = model.apply(&update);
                assert_eq!(got, expected, "step {step}: apply {update:?}");
                if got.is_err() {
                    assert_eq!(
                        records(&table),
                        records(&before),
                        "step {step}: failed apply changed the table"
                    );
                }
            }
        }
        assert_agrees(&table, &model, step + 1);
    }
}
