//! The migration table an MC service server keeps (§10.16.5.3 pre-conditions: "The MC service
//! server A is aware that MC service user 2 has migrated and is informed of its MC service ID
//! provided by MC system B, as described in clause 10.6.3.3").
//!
//! One table serves both roles a system plays at once:
//! - as a **primary** MC system, for its own users that migrated away: primary ID → partner
//!   system, the ID assigned there and its security domain information;
//! - as a **partner** MC system, for users visiting from elsewhere: ID assigned here → primary ID
//!   and primary system, with a present/departed state so a stale call is sent home
//!   (consecutive migration).
//!
//! Both kinds of key are MC service IDs of this system's own namespace, so they never collide;
//! an update that would give one ID both roles is refused ([`TableError::RoleConflict`]).
//!
//! # Capacity and eviction policy
//! The table holds at most `N` records (`N` a power of two, checked at compile time by
//! `heapless`). Lookups hash the ID, so their cost does not grow with `N`. When the table is
//! full and an update needs a new record, the **oldest departed** visitor record is evicted (it
//! only serves to send stale calls home; the primary system still knows where the user is). A
//! live record — a migrated-away user, a present visitor — is never evicted: if no departed
//! record exists the update fails with [`TableError::TableFull`] and the table is unchanged.
//! Finding the oldest departed record scans the table, which happens only on a full-table
//! insert.

use heapless::index_map::FnvIndexMap;

use crate::error::TableError;
use crate::id::{McServiceId, McSystemId, SecurityDomainInfo};
use crate::message::MigrationUpdate;

/// At the primary MC system: where one of its users migrated to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MigratedRecord {
    /// The partner MC system the user migrated to.
    pub partner_system: McSystemId,
    /// The MC service ID the partner system assigned.
    pub partner_id: McServiceId,
    /// The security domain information of `partner_id`, if known.
    pub security_domain_info: Option<SecurityDomainInfo>,
}

/// Whether a visiting user is still served by this (partner) system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VisitorState {
    /// The user is here: calls to the local ID proceed.
    Present,
    /// The user left (migrated on or returned home): calls to the local ID are redirected to the
    /// primary ID.
    Departed,
}

/// At a partner MC system: a user visiting from its primary system.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VisitorRecord {
    /// The user's MC service ID at its primary system.
    pub primary_id: McServiceId,
    /// The user's primary MC system.
    pub primary_system: McSystemId,
    /// The security domain information of `primary_id`, if known.
    pub primary_security_domain_info: Option<SecurityDomainInfo>,
    /// Present or departed.
    pub state: VisitorState,
}

/// One record of the migration table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Record {
    /// Keyed by the primary ID of a user of this system that migrated away.
    MigratedAway(MigratedRecord),
    /// Keyed by the ID this system assigned to a visiting user.
    Visiting(VisitorRecord),
}

impl Record {
    /// Whether the record may be evicted to make room: only departed visitors may.
    pub fn is_live(&self) -> bool {
        !matches!(
            self,
            Record::Visiting(VisitorRecord {
                state: VisitorState::Departed,
                ..
            })
        )
    }
}

/// What applying an update did to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Change {
    /// A new record was inserted.
    Inserted,
    /// An existing record was replaced.
    Replaced,
    /// A record was removed (a user returned to its primary system).
    Removed,
    /// A visitor record was marked departed (or already was).
    MarkedDeparted,
}

/// The result of a successful [`MigrationTable::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Applied {
    /// What happened to the updated record.
    pub change: Change,
    /// The departed visitor record evicted to make room, if any: eviction is never silent.
    pub evicted: Option<McServiceId>,
}

#[derive(Debug, Clone)]
struct Slot {
    record: Record,
    /// Departure order for eviction, oldest first; meaningful only while departed.
    departed_at: u64,
}

/// The migration table of one MC service server: at most `N` records (`N` a power of two),
/// no heap. See the [module docs](self) for the eviction policy.
#[derive(Debug, Clone)]
pub struct MigrationTable<const N: usize> {
    records: FnvIndexMap<McServiceId, Slot, N>,
    departures: u64,
}

impl<const N: usize> Default for MigrationTable<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> MigrationTable<N> {
    /// An empty table; `const`, so it can live in a `static`.
    pub const fn new() -> Self {
        Self {
            records: FnvIndexMap::new(),
            departures: 0,
        }
    }

    /// The record for `id` (a primary ID of a migrated-away user, or an ID assigned here to a
    /// visitor), in time independent of `N`.
    pub fn lookup(&self, id: &str) -> Option<&Record> {
        self.records.get(id).map(|slot| &slot.record)
    }

    /// Number of records, live and departed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The most records the table holds: `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Every record with its key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&McServiceId, &Record)> {
        self.records.iter().map(|(id, slot)| (id, &slot.record))
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.records.clear();
        self.departures = 0;
    }

    /// Applies a migration update (clause 10.6.3) atomically: on `Err` the table is unchanged.
    ///
    /// | update | needs | does |
    /// |---|---|---|
    /// | `Migrated` | no visitor record for the ID | inserts or replaces the migrated-away record |
    /// | `MovedOn` | a migrated-away record | replaces it |
    /// | `Returned` | a migrated-away record | removes it |
    /// | `VisitorRegistered` | no migrated-away record for the ID | inserts or replaces the visitor record, present |
    /// | `VisitorDeparted` | a visitor record | marks it departed |
    ///
    /// Errors: [`TableError::NotMigrated`], [`TableError::NotVisiting`],
    /// [`TableError::RoleConflict`] as the table says; [`TableError::TableFull`] when a new
    /// record is needed, the table is full and holds no departed record to evict.
    pub fn apply(&mut self, update: &MigrationUpdate) -> Result<Applied, TableError> {
        let key = update.key();
        let existing = self.records.get(key.as_str()).map(|slot| &slot.record);
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
                match existing {
                    Some(Record::MigratedAway(_)) => {}
                    None if !moved_on => {}
                    Some(Record::Visiting(_)) if !moved_on => return Err(TableError::RoleConflict),
                    _ => return Err(TableError::NotMigrated),
                }
                let record = Record::MigratedAway(MigratedRecord {
                    partner_system: partner_system.clone(),
                    partner_id: partner_id.clone(),
                    security_domain_info: security_domain_info.clone(),
                });
                self.upsert(key, record)
            }
            MigrationUpdate::Returned { .. } => match existing {
                Some(Record::MigratedAway(_)) => {
                    self.records.swap_remove(key.as_str());
                    Ok(Applied {
                        change: Change::Removed,
                        evicted: None,
                    })
                }
                _ => Err(TableError::NotMigrated),
            },
            MigrationUpdate::VisitorRegistered {
                primary_id,
                primary_system,
                primary_security_domain_info,
                ..
            } => {
                if let Some(Record::MigratedAway(_)) = existing {
                    return Err(TableError::RoleConflict);
                }
                let record = Record::Visiting(VisitorRecord {
                    primary_id: primary_id.clone(),
                    primary_system: primary_system.clone(),
                    primary_security_domain_info: primary_security_domain_info.clone(),
                    state: VisitorState::Present,
                });
                self.upsert(key, record)
            }
            MigrationUpdate::VisitorDeparted { .. } => {
                let departures = self.departures.saturating_add(1);
                let Some(slot) = self.records.get_mut(key.as_str()) else {
                    return Err(TableError::NotVisiting);
                };
                let Record::Visiting(visitor) = &mut slot.record else {
                    return Err(TableError::NotVisiting);
                };
                // A repeated departure keeps its place in the eviction order.
                if visitor.state == VisitorState::Present {
                    visitor.state = VisitorState::Departed;
                    slot.departed_at = departures;
                    self.departures = departures;
                }
                Ok(Applied {
                    change: Change::MarkedDeparted,
                    evicted: None,
                })
            }
        }
    }

    /// Inserts or replaces `key`'s record, evicting the oldest departed record if the table is
    /// full. Checks everything before changing anything.
    fn upsert(&mut self, key: &McServiceId, record: Record) -> Result<Applied, TableError> {
        let slot = Slot {
            record,
            departed_at: 0,
        };
        if let Some(existing) = self.records.get_mut(key.as_str()) {
            *existing = slot;
            return Ok(Applied {
                change: Change::Replaced,
                evicted: None,
            });
        }
        let evicted = if self.records.len() >= N {
            let oldest = self.oldest_departed().ok_or(TableError::TableFull)?.clone();
            self.records.swap_remove(oldest.as_str());
            Some(oldest)
        } else {
            None
        };
        // Cannot fail: a slot is free now. Should it fail anyway, report the table full rather
        // than panic (the evicted record was departed, never live).
        self.records
            .insert(key.clone(), slot)
            .map_err(|_| TableError::TableFull)?;
        Ok(Applied {
            change: Change::Inserted,
            evicted,
        })
    }

    fn oldest_departed(&self) -> Option<&McServiceId> {
        self.records
            .iter()
            .filter(|(_, slot)| !slot.record.is_live())
            .min_by_key(|(_, slot)| slot.departed_at)
            .map(|(id, _)| id)
    }
}
