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
//! `heapless`). Lookups hash the ID ([`IdHasher`]), so their cost does not grow with `N`. When the table is
//! full and an update needs a new record, the **oldest departed** visitor record is evicted (it
//! only serves to send stale calls home; the primary system still knows where the user is). A
//! live record — a migrated-away user, a present visitor — is never evicted: if no departed
//! record exists the update fails with [`TableError::TableFull`] and the table is unchanged.
//! Finding the oldest departed record scans the table, which happens only on a full-table
//! insert.

use heapless::index_map::IndexMap;

mod hash;
mod snapshot;

pub use hash::{BuildIdHasher, IdHasher};

pub use snapshot::{SNAPSHOT_MAGIC, SNAPSHOT_VERSION};

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
    records: IndexMap<McServiceId, Slot, BuildIdHasher, N>,
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
            records: IndexMap::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    type Table = MigrationTable<4>;

    fn moved_on(primary: &str, partner: &str) -> MigrationUpdate {
        MigrationUpdate::MovedOn {
            primary_id: id(primary),
            partner_system: system(SYSTEM_C),
            partner_id: id(partner),
            security_domain_info: Some(sdi(KMS_C)),
        }
    }

    fn returned(primary: &str) -> MigrationUpdate {
        MigrationUpdate::Returned {
            primary_id: id(primary),
        }
    }

    /// Every record, sorted, for before/after comparisons.
    fn contents<const N: usize>(t: &MigrationTable<N>) -> std::vec::Vec<(McServiceId, Record)> {
        let mut v: std::vec::Vec<_> = t.iter().map(|(k, r)| (k.clone(), r.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn primary_side_migrated_record_maps_primary_id_to_partner_id_and_sdi() {
        let mut t = Table::new();
        let applied = t
            .apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
            .unwrap();
        assert_eq!(
            applied,
            Applied {
                change: Change::Inserted,
                evicted: None
            }
        );
        assert_eq!(
            t.lookup(USER2_PRIMARY),
            Some(&Record::MigratedAway(MigratedRecord {
                partner_system: system(SYSTEM_B),
                partner_id: id(USER2_AT_B),
                security_domain_info: Some(sdi(KMS_B)),
            }))
        );
        assert_eq!(t.lookup(USER2_AT_B), None, "keyed by the primary ID only");
    }

    #[test]
    fn migrated_again_replaces_the_record() {
        let mut t = Table::new();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        let applied = t
            .apply(&migrated(USER2_PRIMARY, SYSTEM_C, USER2_AT_C, None))
            .unwrap();
        assert_eq!(applied.change, Change::Replaced);
        assert_eq!(t.len(), 1);
        assert!(
            matches!(t.lookup(USER2_PRIMARY), Some(Record::MigratedAway(r)) if r.partner_id == USER2_AT_C)
        );
    }

    #[test]
    fn moved_on_replaces_a_migrated_record_and_needs_one() {
        let mut t = Table::new();
        assert_eq!(
            t.apply(&moved_on(USER2_PRIMARY, USER2_AT_C)),
            Err(TableError::NotMigrated)
        );
        assert!(t.is_empty());
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
            .unwrap();
        assert_eq!(
            t.apply(&moved_on(USER2_PRIMARY, USER2_AT_C))
                .unwrap()
                .change,
            Change::Replaced
        );
        let Some(Record::MigratedAway(r)) = t.lookup(USER2_PRIMARY) else {
            panic!()
        };
        assert_eq!(
            (r.partner_system.as_str(), r.partner_id.as_str()),
            (SYSTEM_C, USER2_AT_C)
        );
        assert_eq!(r.security_domain_info, Some(sdi(KMS_C)));
    }

    #[test]
    fn returned_removes_the_migrated_record_and_needs_one() {
        let mut t = Table::new();
        assert_eq!(
            t.apply(&returned(USER2_PRIMARY)),
            Err(TableError::NotMigrated)
        );
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        assert_eq!(
            t.apply(&returned(USER2_PRIMARY)).unwrap().change,
            Change::Removed
        );
        assert_eq!(t.lookup(USER2_PRIMARY), None);
        assert_eq!(
            t.apply(&returned(USER2_PRIMARY)),
            Err(TableError::NotMigrated)
        );
    }

    #[test]
    fn partner_side_visitor_record_maps_local_id_to_primary_with_a_state() {
        let mut t = Table::new();
        t.apply(&registered(USER2_AT_B, USER2_PRIMARY, Some(KMS_A)))
            .unwrap();
        let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
            panic!()
        };
        assert_eq!(v.primary_id, USER2_PRIMARY);
        assert_eq!(v.primary_system, SYSTEM_A);
        assert_eq!(v.state, VisitorState::Present);
        assert_eq!(
            t.apply(&departed(USER2_AT_B)).unwrap().change,
            Change::MarkedDeparted
        );
        let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
            panic!()
        };
        assert_eq!(
            v.state,
            VisitorState::Departed,
            "kept, so a stale call is sent home"
        );
        t.apply(&registered(USER2_AT_B, USER2_PRIMARY, None))
            .unwrap();
        let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
            panic!()
        };
        assert_eq!(
            v.state,
            VisitorState::Present,
            "a returning visitor is present again"
        );
    }

    #[test]
    fn departure_of_an_unknown_visitor_is_an_error_and_changes_nothing() {
        let mut t = Table::new();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        let before = contents(&t);
        assert_eq!(t.apply(&departed(USER2_AT_C)), Err(TableError::NotVisiting));
        assert_eq!(
            t.apply(&departed(USER2_PRIMARY)),
            Err(TableError::NotVisiting)
        );
        assert_eq!(contents(&t), before);
    }

    #[test]
    fn one_id_cannot_hold_both_roles() {
        let mut t = Table::new();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        t.apply(&registered(USER2_AT_C, USER1, None)).unwrap();
        let before = contents(&t);
        assert_eq!(
            t.apply(&registered(USER2_PRIMARY, USER1, None)),
            Err(TableError::RoleConflict)
        );
        assert_eq!(
            t.apply(&migrated(USER2_AT_C, SYSTEM_B, USER2_AT_B, None)),
            Err(TableError::RoleConflict)
        );
        assert_eq!(
            t.apply(&moved_on(USER2_AT_C, USER2_AT_B)),
            Err(TableError::NotMigrated)
        );
        assert_eq!(t.apply(&returned(USER2_AT_C)), Err(TableError::NotMigrated));
        assert_eq!(contents(&t), before);
    }

    #[test]
    fn full_table_refuses_a_new_live_record_and_changes_nothing() {
        let mut t = Table::new();
        for n in 0..4 {
            t.apply(&migrated(&nth_id(n), SYSTEM_B, USER2_AT_B, None))
                .unwrap();
        }
        let before = contents(&t);
        assert_eq!(
            t.apply(&migrated(&nth_id(4), SYSTEM_B, USER2_AT_B, None)),
            Err(TableError::TableFull)
        );
        assert_eq!(
            t.apply(&registered(USER2_AT_C, USER2_PRIMARY, None)),
            Err(TableError::TableFull)
        );
        assert_eq!(contents(&t), before, "nothing live is dropped");
        // Updating an existing record needs no room.
        assert_eq!(
            t.apply(&migrated(&nth_id(0), SYSTEM_C, USER2_AT_C, None))
                .unwrap()
                .change,
            Change::Replaced
        );
    }

    #[test]
    fn full_table_evicts_the_oldest_departed_record_and_says_so() {
        let mut t = Table::new();
        let visitors = [
            "sip:v1@mc-b.example",
            "sip:v2@mc-b.example",
            "sip:v3@mc-b.example",
        ];
        for v in visitors {
            t.apply(&registered(v, USER2_PRIMARY, None)).unwrap();
        }
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        // Depart v3 first, then v1: v3 is the oldest departure.
        t.apply(&departed(visitors[2])).unwrap();
        t.apply(&departed(visitors[0])).unwrap();
        // A repeated departure does not refresh its place.
        t.apply(&departed(visitors[2])).unwrap();
        let applied = t.apply(&registered(USER2_AT_C, USER1, None)).unwrap();
        assert_eq!(applied.change, Change::Inserted);
        assert_eq!(
            applied.evicted.as_ref().map(|e| e.as_str()),
            Some(visitors[2])
        );
        assert_eq!(t.lookup(visitors[2]), None);
        // USER2_AT_C is a visitor key now: a role conflict, which evicts nothing.
        let applied = t.apply(&migrated(USER2_AT_C, SYSTEM_C, USER2_AT_B, None));
        assert_eq!(applied, Err(TableError::RoleConflict));
        assert!(t.lookup(visitors[0]).is_some());
        let applied = t
            .apply(&migrated(&nth_id(9), SYSTEM_C, USER2_AT_C, None))
            .unwrap();
        assert_eq!(
            applied.evicted.as_ref().map(|e| e.as_str()),
            Some(visitors[0])
        );
        // Only live records remain: the next insert fails.
        assert_eq!(
            t.apply(&migrated(&nth_id(10), SYSTEM_C, USER2_AT_C, None)),
            Err(TableError::TableFull)
        );
        assert!(t.iter().all(|(_, r)| r.is_live()));
    }

    #[test]
    fn lookup_by_str_finds_records_among_many() {
        let mut t = MigrationTable::<256>::new();
        for n in 0..256 {
            t.apply(&migrated(&nth_id(n), SYSTEM_B, USER2_AT_B, None))
                .unwrap();
        }
        assert_eq!(t.len(), 256);
        assert_eq!(t.capacity(), 256);
        for n in 0..256 {
            assert!(t.lookup(nth_id(n).as_str()).is_some());
        }
        assert!(t.lookup("sip:nobody@mc-a.example").is_none());
        t.clear();
        assert!(t.is_empty());
    }
}
