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
//! The table holds at most `N` records (`N` a power of two from 2 to 32 768, checked at compile
//! time by [`MigrationTable::new`]). Lookups hash the ID ([`IdHasher`]) into an index of `2 * N`
//! buckets (open addressing, linear probing), which is therefore at most half full: their cost
//! does not grow with `N`, and a full table looks up as fast as a half-empty one. When the table is
//! full and an update needs a new record, the **oldest departed** visitor record is evicted (it
//! only serves to send stale calls home; the primary system still knows where the user is). A
//! live record — a migrated-away user, a present visitor — is never evicted: if no departed
//! record exists the update fails with [`TableError::TableFull`] and the table is unchanged.
//! Finding the oldest departed record scans the table, which happens only on a full-table
//! insert.

use heapless::Vec;

mod hash;
mod index;
mod snapshot;

use index::{KeyIndex, Probe};

pub use hash::{BuildIdHasher, IdHasher};

pub use snapshot::{SNAPSHOT_MAGIC, SNAPSHOT_VERSION};

use crate::error::{ApplyError, TableError};
use crate::id::{McServiceId, McServiceIdRef, McSystemId, McSystemIdRef, SecurityDomainInfo};
use crate::message::{sdi_write, MigrationUpdate, MigrationUpdateView, SecurityDomainInfoView};

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
    /// Whether the record is live, so never evicted: everything but a departed visitor.
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

impl Slot {
    /// A placeholder slot, filled in place right after its insertion.
    const EMPTY: Slot = Slot {
        record: Record::Visiting(VisitorRecord::EMPTY),
        departed_at: 0,
    };
}

impl VisitorRecord {
    /// A placeholder record, filled in place right after it is written.
    const EMPTY: VisitorRecord = VisitorRecord {
        primary_id: McServiceId::EMPTY,
        primary_system: McSystemId::EMPTY,
        primary_security_domain_info: None,
        state: VisitorState::Present,
    };
}

/// The migration table of one MC service server: at most `N` records (`N` a power of two from
/// 2 to 32 768), no heap. See the [module docs](self) for the eviction policy.
#[derive(Debug, Clone)]
pub struct MigrationTable<const N: usize> {
    /// The key of each record, at the record's index in `slots`.
    keys: Vec<McServiceId, N>,
    /// The records, apart from their keys: a lookup reads only the index and the keys it
    /// compares, and an update writes a record field by field into its slot.
    slots: Vec<Slot, N>,
    /// Hashed index of `keys`: `2 * N` buckets, each naming a record.
    index: KeyIndex<N>,
    departures: u64,
}

/// Moves the last item into `index`'s place and the removed one to the end, in place: no
/// `slice::swap` (its bounds check would link a panic path into firmware); `index` past the
/// end changes nothing.
fn swap_with_last<T>(items: &mut [T], index: usize) {
    let Some(last) = items.len().checked_sub(1) else {
        return;
    };
    if let Some((head, tail)) = items.split_at_mut_checked(last) {
        if let (Some(removed), Some(moved)) = (head.get_mut(index), tail.first_mut()) {
            core::mem::swap(removed, moved);
        }
    }
}

/// Writes the record of a "migrated", "moved on" or "visitor registered" update in place.
#[inline(never)]
fn write_record(record: &mut Record, update: &MigrationUpdateView<'_>) {
    match *update {
        MigrationUpdateView::Migrated {
            partner_system,
            partner_id,
            ref security_domain_info,
            ..
        }
        | MigrationUpdateView::MovedOn {
            partner_system,
            partner_id,
            ref security_domain_info,
            ..
        } => write_migrated(record, partner_system, partner_id, security_domain_info),
        MigrationUpdateView::VisitorRegistered {
            primary_id,
            primary_system,
            ref primary_security_domain_info,
            ..
        } => write_visitor(
            record,
            primary_id,
            primary_system,
            primary_security_domain_info,
        ),
        MigrationUpdateView::Returned { .. } | MigrationUpdateView::VisitorDeparted { .. } => {}
    }
}

/// Writes a migrated-away record in place.
fn write_migrated(
    record: &mut Record,
    partner_system: McSystemIdRef<'_>,
    partner_id: McServiceIdRef<'_>,
    security_domain_info: &Option<SecurityDomainInfoView<'_>>,
) {
    if !matches!(record, Record::MigratedAway(_)) {
        *record = Record::MigratedAway(MigratedRecord {
            partner_system: McSystemId::EMPTY,
            partner_id: McServiceId::EMPTY,
            security_domain_info: None,
        });
    }
    if let Record::MigratedAway(r) = record {
        r.partner_system.set_validated(partner_system.as_str());
        r.partner_id.set_validated(partner_id.as_str());
        sdi_write(
            &mut r.security_domain_info,
            security_domain_info.as_ref().map(|s| s.kms_uri),
        );
    }
}

/// Writes a present visitor record in place.
fn write_visitor(
    record: &mut Record,
    primary_id: McServiceIdRef<'_>,
    primary_system: McSystemIdRef<'_>,
    primary_security_domain_info: &Option<SecurityDomainInfoView<'_>>,
) {
    if !matches!(record, Record::Visiting(_)) {
        *record = Record::Visiting(VisitorRecord::EMPTY);
    }
    if let Record::Visiting(v) = record {
        v.primary_id.set_validated(primary_id.as_str());
        v.primary_system.set_validated(primary_system.as_str());
        sdi_write(
            &mut v.primary_security_domain_info,
            primary_security_domain_info.as_ref().map(|s| s.kms_uri),
        );
        v.state = VisitorState::Present;
    }
}

impl<const N: usize> Default for MigrationTable<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> MigrationTable<N> {
    /// An empty table; `const`, so it can live in a `static`. `N` must be a power of two from
    /// 2 to 32 768: anything else does not compile.
    ///
    /// ```compile_fail
    /// let table = mcx_migrate::table::MigrationTable::<12>::new();
    /// ```
    pub const fn new() -> Self {
        Self {
            keys: Vec::new(),
            slots: Vec::new(),
            index: KeyIndex::new(),
            departures: 0,
        }
    }

    /// The record index of `id`.
    fn find(&self, id: &str) -> Option<usize> {
        match self.index.find(id, &self.keys) {
            Probe::Found { record, .. } => Some(record),
            Probe::Vacant(_) | Probe::Full => None,
        }
    }

    /// The record for `id` (a primary ID of a migrated-away user, or an ID assigned here to a
    /// visitor), in time independent of `N`.
    pub fn lookup(&self, id: &str) -> Option<&Record> {
        self.slot(id).map(|slot| &slot.record)
    }

    /// The slot of `id`.
    fn slot(&self, id: &str) -> Option<&Slot> {
        self.find(id).and_then(|i| self.slots.get(i))
    }

    /// The slot of `id`, for writing.
    fn slot_mut(&mut self, id: &str) -> Option<&mut Slot> {
        self.find(id).and_then(|i| self.slots.get_mut(i))
    }

    /// Every key with its slot.
    fn entries(&self) -> impl Iterator<Item = (&McServiceId, &Slot)> {
        self.keys.iter().zip(self.slots.iter())
    }

    /// Number of records, live and departed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The most records the table holds: `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Every record with its key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&McServiceId, &Record)> {
        self.entries().map(|(id, slot)| (id, &slot.record))
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.slots.clear();
        self.index.clear();
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
        self.apply_validated(&update.as_view())
    }

    /// [`apply`](Self::apply) for an update given as a borrowed view, e.g. straight from
    /// [`MigrationUpdateView::decode`]: no owned update is built. The view's identifiers are
    /// valid by type; the rules and errors are those of `apply` ([`ApplyError::Table`]). On
    /// `Err` the table is unchanged.
    pub fn apply_view(&mut self, update: &MigrationUpdateView<'_>) -> Result<Applied, ApplyError> {
        self.apply_validated(update).map_err(ApplyError::Table)
    }

    /// [`apply`](Self::apply) for a view whose fields are valid.
    fn apply_validated(&mut self, update: &MigrationUpdateView<'_>) -> Result<Applied, TableError> {
        let key = update.key();
        let existing = self.slot(key).map(|slot| &slot.record);
        // Every check comes first; the record is then written field by field into its slot,
        // never staged whole on the stack (a small firmware stack is the limit here).
        match *update {
            MigrationUpdateView::Migrated { .. } | MigrationUpdateView::MovedOn { .. } => {
                let moved_on = matches!(update, MigrationUpdateView::MovedOn { .. });
                match existing {
                    Some(Record::MigratedAway(_)) => {}
                    None if !moved_on => {}
                    Some(Record::Visiting(_)) if !moved_on => return Err(TableError::RoleConflict),
                    _ => return Err(TableError::NotMigrated),
                }
                self.make_slot(key, update)
            }
            MigrationUpdateView::Returned { .. } => match existing {
                Some(Record::MigratedAway(_)) => {
                    self.remove(key);
                    Ok(Applied {
                        change: Change::Removed,
                        evicted: None,
                    })
                }
                _ => Err(TableError::NotMigrated),
            },
            MigrationUpdateView::VisitorRegistered { .. } => {
                if let Some(Record::MigratedAway(_)) = existing {
                    return Err(TableError::RoleConflict);
                }
                self.make_slot(key, update)
            }
            MigrationUpdateView::VisitorDeparted { .. } => {
                let departures = self.departures.saturating_add(1);
                let Some(slot) = self.slot_mut(key) else {
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
    /// full, then writes `update`'s record in place. Checks everything before changing
    /// anything; the write cannot fail.
    fn make_slot(
        &mut self,
        key: &str,
        update: &MigrationUpdateView<'_>,
    ) -> Result<Applied, TableError> {
        let (change, evicted) = if self.find(key).is_some() {
            (Change::Replaced, None)
        } else {
            let evicted = if self.keys.len() >= N {
                let oldest = self.oldest_departed().ok_or(TableError::TableFull)?.clone();
                self.remove(oldest.as_str());
                Some(oldest)
            } else {
                None
            };
            self.insert_placeholder(key)?;
            (Change::Inserted, evicted)
        };
        // Cannot fail: the key is in the table now.
        let slot = self.slot_mut(key).ok_or(TableError::TableFull)?;
        slot.departed_at = 0;
        write_record(&mut slot.record, update);
        Ok(Applied { change, evicted })
    }

    /// Inserts `key` with an empty slot, which the caller fills in place.
    #[inline(never)]
    fn insert_placeholder(&mut self, key: &str) -> Result<(), TableError> {
        self.insert_slot(key, Slot::EMPTY)
    }

    /// Appends `key` (written in place into the keys) and its slot, at the same index, and
    /// indexes it. Cannot fail when the caller made room for a key not in the table; should it
    /// anyway, the table is left as it was and reported full rather than panicking (an evicted
    /// record was departed, never live).
    fn insert_slot(&mut self, key: &str, slot: Slot) -> Result<(), TableError> {
        let Probe::Vacant(vacant) = self.index.find(key, &self.keys) else {
            return Err(TableError::TableFull);
        };
        let record = self.keys.len();
        if record >= N || self.slots.len() != record {
            return Err(TableError::TableFull);
        }
        match self.keys.push_mut(McServiceId::EMPTY) {
            Ok(id) => id.set_validated(key),
            Err(_) => return Err(TableError::TableFull),
        }
        if self.slots.push(slot).is_err() || !self.index.link(vacant, record) {
            self.keys.truncate(record);
            self.slots.truncate(record);
            return Err(TableError::TableFull);
        }
        Ok(())
    }

    /// Removes `key` and its record: its bucket leaves the index (backward-shift deletion),
    /// and the last record takes the removed one's index, in place, its bucket renumbered. No
    /// record is moved out by value.
    #[inline(never)]
    fn remove(&mut self, key: &str) {
        let Probe::Found { at, record } = self.index.find(key, &self.keys) else {
            return;
        };
        self.index.unlink(at);
        let Some(last) = self.keys.len().checked_sub(1) else {
            return;
        };
        if record != last {
            if let Some(moved) = self.keys.get(last) {
                self.index.renumber(moved.as_str(), last, record);
            }
            swap_with_last(&mut self.keys, record);
            swap_with_last(&mut self.slots, record);
        }
        self.keys.truncate(last);
        self.slots.truncate(last);
    }

    fn oldest_departed(&self) -> Option<&McServiceId> {
        self.entries()
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

    #[test]
    fn apply_view_applies_like_apply_and_checks_the_fields_first() {
        let mut by_view = Table::new();
        let mut by_owned = Table::new();
        let updates = [
            migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)),
            registered(USER2_AT_C, USER1, None),
            moved_on(USER2_PRIMARY, USER2_AT_C),
            departed(USER2_AT_C),
            returned(USER2_PRIMARY),
        ];
        for update in &updates {
            assert_eq!(
                by_view.apply_view(&update.as_view()),
                by_owned.apply(update).map_err(ApplyError::Table)
            );
            assert_eq!(contents(&by_view), contents(&by_owned));
        }
        assert_eq!(
            by_view.apply_view(&returned(USER2_PRIMARY).as_view()),
            Err(ApplyError::Table(TableError::NotMigrated))
        );
        // An invalid identifier cannot reach a view: its borrowed ID refuses it.
        assert_eq!(
            McServiceIdRef::new("visitor-0042@mc-b.example"),
            Err(crate::IdError::InvalidUri)
        );
        let before = contents(&by_view);
        let refused = MigrationUpdateView::MovedOn {
            primary_id: McServiceIdRef::new(USER2_AT_C).unwrap(),
            partner_system: McSystemIdRef::new(SYSTEM_B).unwrap(),
            partner_id: McServiceIdRef::new(USER2_AT_B).unwrap(),
            security_domain_info: None,
        };
        assert_eq!(
            by_view.apply_view(&refused),
            Err(ApplyError::Table(TableError::NotMigrated))
        );
        assert_eq!(
            contents(&by_view),
            before,
            "a rejected update changes nothing"
        );
    }

    #[test]
    fn records_stay_with_their_keys_through_removals_and_evictions() {
        let mut t = Table::new();
        for n in 0..4 {
            t.apply(&registered(&nth_id(n), &nth_id(10 + n), None))
                .unwrap();
        }
        t.apply(&departed(&nth_id(1))).unwrap();
        // Evicts n1 (not the last record): the last record moves into its place.
        t.apply(&migrated(&nth_id(20), SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        t.apply(&returned(&nth_id(20))).unwrap();
        assert_eq!(t.len(), 3);
        for n in [0, 2, 3] {
            let Some(Record::Visiting(v)) = t.lookup(nth_id(n).as_str()) else {
                panic!("n{n} lost")
            };
            assert_eq!(v.primary_id, nth_id(10 + n));
        }
        for (key, record) in t.iter() {
            assert_eq!(t.lookup(key), Some(record));
        }
    }

    /// Updates over the index tests' pool of keys, whose probe chains collide and wrap around
    /// the end of the index.
    fn pool_updates() -> impl proptest::strategy::Strategy<Value = std::vec::Vec<(u8, usize)>> {
        proptest::collection::vec((0u8..4, 0usize..12), 0..120)
    }

    fn table_keeps_its_index_consistent<const N: usize>(
        ops: &[(u8, usize)],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prop_assert_eq;
        let pool = index::tests::pool(N);
        let mut t = MigrationTable::<N>::new();
        for &(op, n) in ops {
            let key = pool[n].as_str();
            let before = contents(&t);
            let result = match op {
                0 => t.apply(&migrated(key, SYSTEM_B, USER2_AT_B, None)),
                1 => t.apply(&returned(key)),
                2 => t.apply(&registered(key, USER2_PRIMARY, None)),
                _ => t.apply(&departed(key)),
            };
            if result.is_err() {
                prop_assert_eq!(contents(&t), before);
            }
            index::tests::check(&t.index, &t.keys);
            prop_assert_eq!(t.keys.len(), t.slots.len());
            for k in &pool {
                let listed = t.iter().any(|(id, _)| id.as_str() == k.as_str());
                prop_assert_eq!(t.lookup(k).is_some(), listed);
            }
            for (key, record) in t.iter() {
                prop_assert_eq!(t.lookup(key), Some(record));
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn updates_keep_the_index_consistent_n4(ops in pool_updates()) {
            table_keeps_its_index_consistent::<4>(&ops)?;
        }

        #[test]
        fn updates_keep_the_index_consistent_n8(ops in pool_updates()) {
            table_keeps_its_index_consistent::<8>(&ops)?;
        }
    }

    #[test]
    fn a_full_table_finds_every_record_and_restores_from_a_snapshot() {
        let mut t = MigrationTable::<8>::new();
        for n in 0..8 {
            t.apply(&registered(&nth_id(n), USER2_PRIMARY, None))
                .unwrap();
        }
        index::tests::check(&t.index, &t.keys);
        let mut buf = std::vec![0u8; MigrationTable::<8>::MAX_SNAPSHOT_LEN];
        let len = t.snapshot(&mut buf).unwrap();
        let mut restored = MigrationTable::<8>::new();
        restored
            .apply(&migrated(USER1, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        restored.restore(&buf[..len]).unwrap();
        index::tests::check(&restored.index, &restored.keys);
        assert_eq!(contents(&restored), contents(&t));
        assert_eq!(restored.lookup(USER1), None);
    }
}
