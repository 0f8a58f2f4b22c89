//! A model of the migration table, written from its documentation (the module docs of
//! `mcx_migrate::table` and the table of `MigrationTable::apply`), not from its code.
//!
//! - Records are keyed by MC service ID, here a slot `0..N` of a caller's pool of keys.
//! - `Migrated` needs no visitor record, `MovedOn`/`Returned` need a migrated-away record,
//!   `VisitorRegistered` needs no migrated-away record, `VisitorDeparted` needs a visitor record
//!   (else `RoleConflict`, `NotMigrated` or `NotVisiting`).
//! - A record needs `15 + len(key) + len(A) + len(B) + len(KMS URI)` bytes ([`record_need`]),
//!   and records needing `live` bytes in all fit a storage of `L` bytes iff
//!   `live + 8 * max(4, 2 * records) <= L`.
//! - An update that writes a record (new or replacing one) is applied if that holds afterwards,
//!   else after evicting as few of the oldest departed visitor records (never the one it
//!   replaces) as make it hold, else it fails with `TableFull`; on any error nothing changes.
//!   A repeated departure keeps its place in the eviction order; a departed visitor registered
//!   again is present, out of it.
//! - A snapshot restores into a table of any storage length that holds its records, else
//!   `TableTooSmall { needed }` with the table unchanged ([`TableModel::restore_into`]).
//! - `server::decide`: a migrated-away target is redirected to its partner ID
//!   (`TargetMigrated`), a departed visitor to its primary ID (`TargetNoLongerServed`); with
//!   end-to-end encryption required and no security domain information, the call is rejected;
//!   anything else proceeds ([`TableModel::decide`]).
//!
//! Speed: the fuzz target runs thousands of inputs a second through this model. Slots are a
//! fixed array, a record's need is computed once when it is written, and nothing allocates.

use mcx_migrate::server::{Decision, RejectReason};
use mcx_migrate::table::{Applied, Change, MigratedRecord, Record, VisitorRecord, VisitorState};
use mcx_migrate::{
    McServiceIdRef, McSystemIdRef, PrivateCallRedirection, PrivateCallRequest, RedirectionReason,
    SecurityDomainInfo, TableError,
};

/// Bytes of a record's header (module docs of `mcx_migrate::table`), written down here so the
/// model does not borrow it from the code it checks (the property tests pin it).
pub const HEADER: usize = 15;
/// Bytes of an index bucket.
pub const BUCKET: usize = 8;

/// Buckets the index of `records` records takes: two per record, at least four.
pub fn buckets_for(records: usize) -> usize {
    (2 * records).max(4)
}

/// The documented need of a record: header, key, field A, field B and the KMS URI.
pub fn record_need(key_len: usize, fields: &impl Fields) -> usize {
    HEADER
        + key_len
        + fields.id().as_str().len()
        + fields.system().as_str().len()
        + fields.sdi().map_or(0, |s| s.kms_uri.as_str().len())
}

/// The three fields a record holds besides its key, whatever its role: the partner-assigned ID,
/// the partner system and its security domain information for a migrated-away user; the primary
/// ID, the primary system and its security domain information for a visitor.
pub trait Fields {
    /// The other ID (IE 2 or IE 3 of a redirection).
    fn id(&self) -> McServiceIdRef<'_>;
    /// The other MC system.
    fn system(&self) -> McSystemIdRef<'_>;
    /// The security domain information, if known.
    fn sdi(&self) -> Option<SecurityDomainInfo<'_>>;
}

/// Owned fields, for tests that generate arbitrary identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedFields {
    /// See [`Fields::id`].
    pub id: mcx_migrate::McServiceId,
    /// See [`Fields::system`].
    pub system: mcx_migrate::McSystemId,
    /// The KMS URI of [`Fields::sdi`].
    pub sdi: Option<mcx_migrate::KmsUri>,
}

impl Fields for OwnedFields {
    fn id(&self) -> McServiceIdRef<'_> {
        self.id.as_borrowed()
    }
    fn system(&self) -> McSystemIdRef<'_> {
        self.system.as_borrowed()
    }
    fn sdi(&self) -> Option<SecurityDomainInfo<'_>> {
        self.sdi.as_ref().map(|kms_uri| SecurityDomainInfo {
            kms_uri: kms_uri.as_borrowed(),
        })
    }
}

/// A record's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A user of this system who migrated away (`Record::MigratedAway`).
    Away,
    /// A visitor from another system (`Record::Visiting`).
    Visiting,
}

/// A record of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<F> {
    /// Its role.
    pub role: Role,
    /// Its fields.
    pub fields: F,
    /// Its documented need in bytes ([`record_need`]), computed when it was written.
    pub need: usize,
    /// A departed visitor: `Some(n)`, the n-th departure; `None` otherwise.
    pub departed: Option<u64>,
}

impl<F: Fields> Entry<F> {
    /// The record the table must answer for this one.
    pub fn as_record(&self) -> Record<'_> {
        let sdi = self.fields.sdi();
        match self.role {
            Role::Away => Record::MigratedAway(MigratedRecord {
                partner_system: self.fields.system(),
                partner_id: self.fields.id(),
                security_domain_info: sdi,
            }),
            Role::Visiting => Record::Visiting(VisitorRecord {
                primary_id: self.fields.id(),
                primary_system: self.fields.system(),
                primary_security_domain_info: sdi,
                state: if self.departed.is_some() {
                    VisitorState::Departed
                } else {
                    VisitorState::Present
                },
            }),
        }
    }
}

/// An update, as the model takes it: the key is passed beside it.
#[derive(Debug, Clone, PartialEq)]
pub enum Update<F> {
    /// `MigrationUpdate::Migrated` (fields: partner system, partner ID, KMS).
    Migrated(F),
    /// `MigrationUpdate::MovedOn` (fields as for `Migrated`).
    MovedOn(F),
    /// `MigrationUpdate::Returned`.
    Returned,
    /// `MigrationUpdate::VisitorRegistered` (fields: primary ID, primary system, KMS).
    VisitorRegistered(F),
    /// `MigrationUpdate::VisitorDeparted`.
    VisitorDeparted,
}

impl Update<OwnedFields> {
    /// The model's form of `update`, with its key.
    pub fn of<'a>(update: &mcx_migrate::MigrationUpdate<'a>) -> (&'a str, Self) {
        use mcx_migrate::MigrationUpdate as U;
        let key = update.key().as_str();
        let update = match update {
            U::Migrated(m) | U::MovedOn(m) => {
                let mcx_migrate::Migration {
                    partner_system,
                    partner_id,
                    security_domain_info,
                    ..
                } = m;
                let fields = OwnedFields {
                    id: partner_id.to_owned_id(),
                    system: partner_system.to_owned_id(),
                    sdi: security_domain_info.map(|s| s.kms_uri.to_owned_id()),
                };
                if matches!(update, U::MovedOn(_)) {
                    Update::MovedOn(fields)
                } else {
                    Update::Migrated(fields)
                }
            }
            U::Returned { .. } => Update::Returned,
            U::VisitorRegistered {
                primary_id,
                primary_system,
                primary_security_domain_info,
                ..
            } => Update::VisitorRegistered(OwnedFields {
                id: primary_id.to_owned_id(),
                system: primary_system.to_owned_id(),
                sdi: primary_security_domain_info.map(|s| s.kms_uri.to_owned_id()),
            }),
            U::VisitorDeparted { .. } => Update::VisitorDeparted,
        };
        (key, update)
    }
}

/// The documented policy over `N` key slots, bytes accounted as the table's docs say.
#[derive(Debug, Clone)]
pub struct TableModel<F, const N: usize> {
    storage_len: usize,
    slots: [Option<Entry<F>>; N],
    departures: u64,
}

impl<F: Fields + Clone, const N: usize> TableModel<F, N> {
    /// An empty table over `storage_len` bytes.
    pub fn new(storage_len: usize) -> Self {
        TableModel {
            storage_len,
            slots: core::array::from_fn(|_| None),
            departures: 0,
        }
    }

    /// The storage length.
    pub fn storage_len(&self) -> usize {
        self.storage_len
    }

    /// The record in slot `key`.
    pub fn get(&self, key: usize) -> Option<&Entry<F>> {
        self.slots.get(key)?.as_ref()
    }

    /// The record in slot `key` as the table returns it.
    pub fn record(&self, key: usize) -> Option<Record<'_>> {
        self.get(key).map(Entry::as_record)
    }

    /// The records with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Entry<F>)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(k, r)| Some((k, r.as_ref()?)))
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// The bytes the records need, buckets aside.
    pub fn live(&self) -> usize {
        self.iter().map(|(_, r)| r.need).sum()
    }

    /// The bytes in use: the records' needs and the index buckets.
    pub fn bytes_in_use(&self) -> usize {
        self.live() + buckets_for(self.len()) * BUCKET
    }

    fn fits(&self, records: usize, live: usize) -> bool {
        live + buckets_for(records) * BUCKET <= self.storage_len
    }

    /// The restore rule: the records move to a table over `storage_len` bytes if they fit it
    /// (records and eviction order survive), else `Err(needed)` (the restore fails with
    /// `TableTooSmall { needed }`) and nothing changes.
    pub fn restore_into(&mut self, storage_len: usize) -> Result<(), usize> {
        let needed = self.bytes_in_use();
        if needed <= storage_len {
            self.storage_len = storage_len;
            Ok(())
        } else {
            Err(needed)
        }
    }

    /// Inserts or replaces the record of `key`: applied if the records fit afterwards, else
    /// after evicting as few of the oldest departed visitors (never `key`'s own record) as make
    /// them fit, else `TableFull` with nothing changed. Allocation-free: the oldest departed
    /// visitor still kept is searched for again for each eviction (N is small).
    fn write(&mut self, key: usize, entry: Entry<F>) -> Result<Applied, TableError> {
        let old = self.get(key).map(|r| r.need);
        let (mut count, mut live) = match old {
            Some(old) => (self.len(), self.live() - old + entry.need),
            None => (self.len() + 1, self.live() + entry.need),
        };
        let mut evict = [false; N];
        let mut evicted = 0;
        while !self.fits(count, live) {
            let oldest = self
                .iter()
                .filter(|(k, _)| *k != key && !evict[*k])
                .filter_map(|(k, r)| Some((r.departed?, k, r.need)))
                .min();
            let Some((_, k, need)) = oldest else {
                return Err(TableError::TableFull);
            };
            evict[k] = true;
            evicted += 1;
            count -= 1;
            live -= need;
        }
        for (slot, evict) in self.slots.iter_mut().zip(evict) {
            if evict {
                *slot = None;
            }
        }
        self.slots[key] = Some(entry);
        Ok(Applied {
            change: if old.is_some() {
                Change::Replaced
            } else {
                Change::Inserted
            },
            evicted,
        })
    }

    /// Applies `update` to the record of slot `key`, whose key is `key_len` bytes long; nothing
    /// changes on `Err`.
    ///
    /// # Panics
    /// If `key` is not below `N`.
    pub fn apply(
        &mut self,
        key: usize,
        key_len: usize,
        update: Update<F>,
    ) -> Result<Applied, TableError> {
        assert!(key < N, "slot {key} of {N}");
        let role = self.slots[key].as_ref().map(|r| r.role);
        let away = role == Some(Role::Away);
        let visiting = role == Some(Role::Visiting);
        match update {
            Update::MovedOn(_) if !away => Err(TableError::NotMigrated),
            Update::Migrated(_) if visiting => Err(TableError::RoleConflict),
            Update::Migrated(fields) | Update::MovedOn(fields) => {
                let need = record_need(key_len, &fields);
                self.write(
                    key,
                    Entry {
                        role: Role::Away,
                        fields,
                        need,
                        departed: None,
                    },
                )
            }
            Update::Returned => {
                if !away {
                    return Err(TableError::NotMigrated);
                }
                self.slots[key] = None;
                Ok(Applied {
                    change: Change::Removed,
                    evicted: 0,
                })
            }
            Update::VisitorRegistered(fields) => {
                if away {
                    return Err(TableError::RoleConflict);
                }
                let need = record_need(key_len, &fields);
                // A departed visitor registered again is present, out of the eviction order.
                self.write(
                    key,
                    Entry {
                        role: Role::Visiting,
                        fields,
                        need,
                        departed: None,
                    },
                )
            }
            Update::VisitorDeparted => {
                let next = self.departures + 1;
                match &mut self.slots[key] {
                    Some(Entry {
                        role: Role::Visiting,
                        departed,
                        ..
                    }) => {
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

    /// What `server::decide` must answer for `request`, whose target is in slot `target` (or
    /// `None` when it is no key of the pool), from its documentation: IE 2 is the target's ID
    /// from its primary system, IE 3 the ID from the migrated system; the dialled ID is the one
    /// or the other.
    pub fn decide<'a>(
        &'a self,
        request: &PrivateCallRequest<'a>,
        target: Option<usize>,
    ) -> Decision<'a> {
        let Some(entry) = target.and_then(|k| self.get(k)) else {
            return Decision::Proceed;
        };
        let reason = match (entry.role, entry.departed) {
            (Role::Away, _) => RedirectionReason::TargetMigrated,
            (Role::Visiting, Some(_)) => RedirectionReason::TargetNoLongerServed,
            (Role::Visiting, None) => return Decision::Proceed,
        };
        let sdi = entry.fields.sdi();
        if request.e2ee_required && sdi.is_none() {
            return Decision::Reject(RejectReason::SecurityDomainInfoUnavailable);
        }
        let (dialled, other) = (request.target, entry.fields.id());
        let (target_primary, target_migrated) = match entry.role {
            Role::Away => (dialled, other),
            Role::Visiting => (other, dialled),
        };
        Decision::Redirect(PrivateCallRedirection {
            service_kind: request.service_kind,
            calling_party: request.calling_party,
            target_primary,
            target_migrated,
            e2ee_required: request.e2ee_required,
            security_domain_info: if request.e2ee_required { sdi } else { None },
            reason: Some(reason),
        })
    }
}
