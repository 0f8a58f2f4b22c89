//! `table_model`: a [`MigrationTable`] of 8 records against a `HashMap` model of the policy in
//! the module docs of `mcx_migrate::table` and the table of [`MigrationTable::apply`], and
//! [`server::decide`] against the same model.
//!
//! The model is written from the documentation, not from the code: records keyed by MC service
//! ID; `Migrated` needs no visitor record, `MovedOn`/`Returned` need a migrated-away record,
//! `VisitorRegistered` needs no migrated-away record, `VisitorDeparted` needs a visitor record;
//! a new record in a full table evicts the visitor record that departed longest ago, never a live
//! one, else `TableFull`; on any error nothing changes.

use std::collections::HashMap;

use arbitrary::Arbitrary;
use mcx_migrate::error::SnapshotError;
use mcx_migrate::server::{self, Decision, RejectReason};
use mcx_migrate::table::{
    Applied, Change, MigratedRecord, MigrationTable, Record, VisitorRecord, VisitorState,
};
use mcx_migrate::{
    McServiceId, McSystemId, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
    RedirectionReason, SecurityDomainInfo, TableError,
};

use crate::pools::{Id, Kind, Kms, System};

const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// The table under test: small, so the full-table paths are hit often.
pub const CAPACITY: usize = 8;

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
    /// Snapshot the table, restore the snapshot into a fresh table and go on with that one: the
    /// model must not notice (records and eviction order survive).
    SnapshotRestore,
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
            Op::Lookup(_) | Op::Decide(..) | Op::SnapshotRestore | Op::RestoreDamaged { .. } => {
                return None
            }
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

impl ModelRecord {
    fn as_record(&self) -> Record {
        match self {
            ModelRecord::Away {
                system,
                partner,
                sdi,
            } => Record::MigratedAway(MigratedRecord {
                partner_system: system.clone(),
                partner_id: partner.clone(),
                security_domain_info: sdi.clone(),
            }),
            ModelRecord::Visiting {
                primary,
                system,
                sdi,
                departed,
            } => Record::Visiting(VisitorRecord {
                primary_id: primary.clone(),
                primary_system: system.clone(),
                primary_security_domain_info: sdi.clone(),
                state: if departed.is_some() {
                    VisitorState::Departed
                } else {
                    VisitorState::Present
                },
            }),
        }
    }
}

/// The documented policy on a `HashMap`.
#[derive(Debug, Clone, Default)]
pub struct Model {
    records: HashMap<McServiceId, ModelRecord>,
    departures: u64,
}

impl Model {
    /// Inserts or replaces, evicting the oldest departed visitor when a new key meets a full
    /// table.
    fn upsert(&mut self, key: &McServiceId, rec: ModelRecord) -> Result<Applied, TableError> {
        if self.records.contains_key(key) {
            self.records.insert(key.clone(), rec);
            return Ok(Applied {
                change: Change::Replaced,
                evicted: None,
            });
        }
        let mut evicted = None;
        if self.records.len() >= CAPACITY {
            let oldest = self
                .records
                .iter()
                .filter_map(|(k, r)| match r {
                    ModelRecord::Visiting {
                        departed: Some(at), ..
                    } => Some((*at, k.clone())),
                    _ => None,
                })
                .min()
                .ok_or(TableError::TableFull)?
                .1;
            self.records.remove(&oldest);
            evicted = Some(oldest);
        }
        self.records.insert(key.clone(), rec);
        Ok(Applied {
            change: Change::Inserted,
            evicted,
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
                self.upsert(
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
                    evicted: None,
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
                self.upsert(
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
                            evicted: None,
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

/// Every record of the table, sorted by key, for comparisons.
fn snapshot<const N: usize>(table: &MigrationTable<N>) -> Vec<(McServiceId, Record)> {
    let mut all: Vec<_> = table.iter().map(|(k, r)| (k.clone(), r.clone())).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn model_snapshot(model: &Model) -> Vec<(McServiceId, Record)> {
    let mut all: Vec<_> = model
        .records
        .iter()
        .map(|(k, r)| (k.clone(), r.as_record()))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

type Table = MigrationTable<CAPACITY>;

/// The table's snapshot: the whole state, the hidden eviction order included.
fn snapshot_bytes(table: &Table) -> Vec<u8> {
    let mut buf = vec![0u8; Table::MAX_SNAPSHOT_LEN];
    let n = table
        .snapshot(&mut buf)
        .expect("a buffer of MAX_SNAPSHOT_LEN suffices");
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

/// The capacity a snapshot says it was taken at: the postcard varint after the header.
fn snapshot_capacity(bytes: &[u8]) -> Option<usize> {
    let mut value: u64 = 0;
    for (i, b) in bytes.get(9..)?.iter().take(5).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return usize::try_from(value).ok();
        }
    }
    None
}

/// Runs `ops` on a fresh table and a fresh model; panics on the first divergence.
pub fn check(ops: &[Op]) {
    let mut table = Table::new();
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::SnapshotRestore => {
                let bytes = snapshot_bytes(&table);
                let mut restored = Table::new();
                assert_eq!(
                    restored.restore(&bytes),
                    Ok(()),
                    "step {step}: restore own snapshot"
                );
                assert_eq!(
                    snapshot_bytes(&restored),
                    bytes,
                    "step {step}: snapshot not canonical"
                );
                table = restored;
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
                        let again = snapshot_bytes(&table);
                        assert!(table.len() <= CAPACITY);
                        if snapshot_capacity(&bytes) == Some(CAPACITY) {
                            // Accepted: it is a snapshot in canonical form.
                            assert_eq!(stated_len(&bytes), Some(again.len()));
                            assert_eq!(bytes.get(..again.len()), Some(&again[..]), "step {step}");
                        } else {
                            // Taken at another capacity (the field is informational): the
                            // table re-snapshots at its own, and that is a fixpoint.
                            let mut other = Table::new();
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
                assert_eq!(
                    table.lookup(&id),
                    expected.as_ref(),
                    "step {step}: lookup {id}"
                );
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
                let before = snapshot(&table);
                let got = table.apply(&update);
                let expected = model.apply(&update);
                assert_eq!(got, expected, "step {step}: apply {update:?}");
                if got.is_err() {
                    assert_eq!(
                        snapshot(&table),
                        before,
                        "step {step}: failed apply changed the table"
                    );
                }
            }
        }
        assert!(table.len() <= CAPACITY);
        assert_eq!(table.len(), model.records.len(), "step {step}: len");
        assert_eq!(table.is_empty(), model.records.is_empty());
        assert_eq!(
            snapshot(&table),
            model_snapshot(&model),
            "step {step}: contents"
        );
    }
}
