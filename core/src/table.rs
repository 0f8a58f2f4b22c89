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
//! # Storage: the caller's bytes, records at their length
//! A [`MigrationTable`] lives in storage its user provides: a `&mut [u8]` of any length and
//! alignment from [`MIN_STORAGE_LEN`] bytes up, an array owned by the table ([`ArrayTable`],
//! `const`-constructible for a `static`) or, with the `alloc` feature, a `Vec<u8>` or
//! `Box<[u8]>` — the closed set of [`TableStorage`]. Records are packed at the length of
//! their strings, [`RECORD_HEADER_LEN`] bytes of header each; the key index takes at least two
//! [`BUCKET_LEN`]-byte buckets per record at the end of the storage. [`storage_len`] sizes
//! storage for a number of records and their string bytes.
//!
//! # Full tables and eviction
//! An update that needs more bytes than the storage has left is refused with
//! [`TableError::TableFull`] and the table is unchanged, unless evicting departed visitor records
//! makes it fit: then the **oldest departed** records are evicted, as few as needed (they only
//! serve to send stale calls home; the primary system still knows where the user is). A live
//! record — a migrated-away user, a present visitor — is never evicted. Space freed by removed
//! records is reused in place, and when it lies in holes between records the table slides the
//! records down (compaction, linear in the storage length, constant stack): an update that fits
//! the free bytes never fails because they are split.
//!
//! # Any store can answer
//! [`server::decide`](crate::server::decide) reads records through [`MigrationLookup`], which
//! this table implements; a host-side server can implement it over its own store (see
//! docs/design.md, "Scaling out the migration table").

use core::fmt;

mod hash;
pub mod save;
mod snapshot;
mod storage;
mod store;

pub use hash::{BuildIdHasher, IdHasher};
pub use snapshot::{max_snapshot_len, SNAPSHOT_MAGIC, SNAPSHOT_VERSION};
pub use storage::TableStorage;
pub use store::{buckets_for, BUCKET_LEN, HEADER_LEN as RECORD_HEADER_LEN, MIN_BUCKETS};

use store::{Index, Raw, Tag, MAX_CAP};

use crate::error::{StorageError, TableError};
use crate::id::SecurityDomainInfo;
use crate::id::{KmsUriRef, McServiceIdRef, McSystemIdRef};
use crate::message::MigrationUpdate;

/// The smallest storage a table accepts: the smallest index, the one its first record gets.
pub const MIN_STORAGE_LEN: usize = MIN_BUCKETS * BUCKET_LEN;

/// Bytes of storage that always hold `records` records whose strings (key, the other IDs and the
/// KMS URI) total at most `records * string_bytes` bytes: a header and two index buckets per
/// record, plus [`MIN_STORAGE_LEN`]. Saturates instead of overflowing.
///
/// For typical IDs (`sip:user0042@mc-a.example`, a 12-byte system, a 28-byte KMS URI: about
/// 100 string bytes a record) that is about 131 bytes a record.
pub const fn storage_len(records: usize, string_bytes: usize) -> usize {
    let per_record = RECORD_HEADER_LEN
        .saturating_add(string_bytes)
        .saturating_add(2 * BUCKET_LEN);
    records
        .saturating_mul(per_record)
        .saturating_add(MIN_STORAGE_LEN)
}

/// At the primary MC system: where one of its users migrated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MigratedRecord<'t> {
    /// The partner MC system the user migrated to.
    pub partner_system: McSystemIdRef<'t>,
    /// The MC service ID the partner system assigned.
    pub partner_id: McServiceIdRef<'t>,
    /// The security domain information of `partner_id`, if known.
    pub security_domain_info: Option<SecurityDomainInfo<'t>>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VisitorRecord<'t> {
    /// The user's MC service ID at its primary system.
    pub primary_id: McServiceIdRef<'t>,
    /// The user's primary MC system.
    pub primary_system: McSystemIdRef<'t>,
    /// The security domain information of `primary_id`, if known.
    pub primary_security_domain_info: Option<SecurityDomainInfo<'t>>,
    /// Present or departed.
    pub state: VisitorState,
}

/// One record of the migration table, borrowed from wherever it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Record<'t> {
    /// Keyed by the primary ID of a user of this system that migrated away.
    MigratedAway(MigratedRecord<'t>),
    /// Keyed by the ID this system assigned to a visiting user.
    Visiting(VisitorRecord<'t>),
}

impl Record<'_> {
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

/// Where [`server::decide`](crate::server::decide) reads migration records: the one question
/// the procedure asks of a store. [`MigrationTable`] implements it; a host-side MC service server
/// can implement it over its own (replicated) store and get exactly the same decisions.
pub trait MigrationLookup {
    /// The record keyed by the MC service ID `id` (a primary ID of this system's user that
    /// migrated away, or an ID this system assigned to a visitor), if there is one.
    fn lookup(&self, id: McServiceIdRef<'_>) -> Option<Record<'_>>;
}

/// [`MigrationLookup`] for a store whose reads can fail (a database reached over a network):
/// [`server::try_decide`](crate::server::try_decide) reads records through it and passes a
/// failed read on as an error. A store must not report a failed read as "no record": the
/// server would let the call proceed at a system the user has left. Every [`MigrationLookup`]
/// is one that never fails (a blanket implementation), so a store implements one of the two.
pub trait TryMigrationLookup {
    /// Why a read failed.
    type Error;
    /// The record keyed by the MC service ID `id`, if there is one, or why it could not be read.
    fn try_lookup(&self, id: McServiceIdRef<'_>) -> Result<Option<Record<'_>>, Self::Error>;
}

impl<T: MigrationLookup + ?Sized> TryMigrationLookup for T {
    type Error = core::convert::Infallible;
    fn try_lookup(&self, id: McServiceIdRef<'_>) -> Result<Option<Record<'_>>, Self::Error> {
        Ok(self.lookup(id))
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Applied {
    /// What happened to the updated record.
    pub change: Change,
    /// Departed visitor records evicted to make room, oldest first: eviction is never silent.
    pub evicted: usize,
}

/// A table whose storage is an array it owns: `const`-constructible, so a firmware can declare it
/// `static` (behind its own lock) with no `unsafe` and no heap.
///
/// ```
/// use mcx_migrate::table::{storage_len, ArrayTable};
/// const BYTES: usize = storage_len(64, 100);
/// static TABLE: std::sync::Mutex<ArrayTable<BYTES>> = std::sync::Mutex::new(ArrayTable::EMPTY);
/// assert!(TABLE.lock().unwrap().is_empty());
/// ```
pub type ArrayTable<const BYTES: usize> = MigrationTable<[u8; BYTES]>;

/// The migration table of one MC service server, over storage `S`. See the [module docs](self)
/// for the layout and the eviction policy.
///
/// # Storages
/// `S` is one of a closed set, the implementations of the sealed trait [`TableStorage`]:
/// - `&mut [u8]`: a buffer the caller owns (a `static`, a stack array, a heap block), any
///   length and alignment from [`MIN_STORAGE_LEN`] bytes up;
/// - `[u8; N]`: an array the table owns, [`ArrayTable<N>`](ArrayTable), with the `const`
///   [`ArrayTable::EMPTY`] for a `static`;
/// - with the crate's `alloc` feature (host programs): `Vec<u8>` and `Box<[u8]>`.
///
/// The set is closed because the table trusts its bytes: a record is validated once, when an
/// update writes it, and read back as validated identifiers ([`McServiceIdRef`] and the
/// others) without a second check. A storage must therefore return the same bytes from `as_ref`
/// and `as_mut`, at every call, which `AsRef<[u8]> + AsMut<[u8]>` alone does not promise: a
/// type whose `as_ref` reads another buffer than `as_mut` writes would make
/// [`lookup`](Self::lookup) return identifiers that were never checked. No other crate can
/// implement [`TableStorage`], so no such type can hold a table.
#[derive(Clone)]
pub struct MigrationTable<S> {
    storage: S,
    /// End of the records (and holes) at the start of the storage.
    heap_end: usize,
    /// Buckets of the index at the end of the storage. 0, no index, in a new or cleared table
    /// (so [`ArrayTable::EMPTY`] is all zeros: a `static` of it goes to `.bss`, not flash): an
    /// index of no bucket finds no key, and the first insert grows it to [`MIN_BUCKETS`] or
    /// more.
    buckets: usize,
    /// Records.
    len: usize,
    /// Bytes the records need (headers and strings, no slack, no holes).
    live_bytes: usize,
    /// A hole (offset, length) to reuse first; length 0 when none is known.
    hole: (usize, usize),
    /// Visitors marked departed so far: the departure order of the next one. A `usize`, as
    /// wide as the fields before it, so `mcx_table_t` has no padding; orders past `u32::MAX`
    /// are stored as `u32::MAX`.
    departures: usize,
}

impl<S: TableStorage> fmt::Debug for MigrationTable<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MigrationTable")
            .field("records", &self.len)
            .field("storage_len", &self.cap())
            .field("bytes_in_use", &self.bytes_in_use())
            .finish()
    }
}

impl<const BYTES: usize> MigrationTable<[u8; BYTES]> {
    /// An empty table over a zeroed array of `BYTES` bytes (a compile error below
    /// [`MIN_STORAGE_LEN`]).
    pub const EMPTY: Self = {
        assert!(
            BYTES >= MIN_STORAGE_LEN,
            "a migration table needs at least MIN_STORAGE_LEN bytes"
        );
        MigrationTable {
            storage: [0; BYTES],
            heap_end: 0,
            buckets: 0,
            len: 0,
            live_bytes: 0,
            hole: (0, 0),
            departures: 0,
        }
    };
}

fn sdi_of(kms: &[u8]) -> Option<SecurityDomainInfo<'_>> {
    (!kms.is_empty()).then_some(SecurityDomainInfo {
        kms_uri: KmsUriRef::from_validated_bytes(kms),
    })
}

/// The record `raw` holds; `None` for a hole. Its strings are the bytes of the valid
/// identifiers an update wrote, read back as identifiers without a second check.
fn record(raw: Raw<'_>) -> Option<Record<'_>> {
    Some(match raw.tag {
        Tag::Hole => return None,
        Tag::MigratedAway => Record::MigratedAway(MigratedRecord {
            partner_system: McSystemIdRef::from_validated_bytes(raw.a),
            partner_id: McServiceIdRef::from_validated_bytes(raw.b),
            security_domain_info: sdi_of(raw.kms),
        }),
        Tag::VisitorPresent | Tag::VisitorDeparted => Record::Visiting(VisitorRecord {
            primary_id: McServiceIdRef::from_validated_bytes(raw.a),
            primary_system: McSystemIdRef::from_validated_bytes(raw.b),
            primary_security_domain_info: sdi_of(raw.kms),
            state: if raw.tag == Tag::VisitorDeparted {
                VisitorState::Departed
            } else {
                VisitorState::Present
            },
        }),
    })
}

/// The record an update writes: its tag, and its strings (key, field A, field B, KMS URI) put
/// in `strings` (an out-parameter: the caller's array, not a copy returned through memory);
/// `None`, `strings` untouched, for the updates that write no record.
fn fields<'u>(update: &MigrationUpdate<'u>, strings: &mut [&'u [u8]; 4]) -> Option<Tag> {
    fn kms<'u>(sdi: &Option<SecurityDomainInfo<'u>>) -> &'u [u8] {
        sdi.as_ref().map_or(&[], |s| s.kms_uri.as_bytes())
    }
    let (tag, fields) = match *update {
        MigrationUpdate::Migrated(ref m) | MigrationUpdate::MovedOn(ref m) => (
            Tag::MigratedAway,
            [
                m.primary_id.as_bytes(),
                m.partner_system.as_bytes(),
                m.partner_id.as_bytes(),
                kms(&m.security_domain_info),
            ],
        ),
        MigrationUpdate::VisitorRegistered {
            local_id,
            primary_id,
            primary_system,
            ref primary_security_domain_info,
        } => (
            Tag::VisitorPresent,
            [
                local_id.as_bytes(),
                primary_id.as_bytes(),
                primary_system.as_bytes(),
                kms(primary_security_domain_info),
            ],
        ),
        MigrationUpdate::Returned { .. } | MigrationUpdate::VisitorDeparted { .. } => return None,
    };
    *strings = fields;
    Some(tag)
}

/// Whether key `a` sorts before key `b`: one copy of the comparison for both of the snapshot's
/// questions.
#[cfg_attr(target_os = "none", inline(never))]
fn below(a: &[u8], b: &[u8]) -> bool {
    a < b
}

/// The records (not holes) in `heap`, with their offsets.
fn records(heap: &[u8]) -> impl Iterator<Item = (usize, Raw<'_>)> {
    let mut offset = 0usize;
    core::iter::from_fn(move || loop {
        let raw = store::raw(heap, offset)?;
        let at = offset;
        offset = offset.checked_add(raw.size)?;
        if raw.tag != Tag::Hole {
            return Some((at, raw));
        }
    })
}

impl<S: TableStorage> MigrationTable<S> {
    /// An empty table over `storage`, whatever it held. Any alignment works; only the first
    /// 4 GiB of a larger storage are used. [`StorageError::TooSmall`] below
    /// [`MIN_STORAGE_LEN`] bytes.
    ///
    /// `storage` is a [`TableStorage`]: a slice or an array (or, with the `alloc` feature, a
    /// `Vec<u8>` or `Box<[u8]>`), never a type of the caller's (see [Storages](Self#storages)).
    ///
    /// ```
    /// use mcx_migrate::table::{storage_len, MigrationTable};
    /// let mut bytes = [0u8; storage_len(4, 100)];
    /// let table = MigrationTable::new(&mut bytes[..])?;
    /// assert!(table.is_empty());
    /// let owned = MigrationTable::new([0u8; storage_len(4, 100)])?;
    /// assert_eq!(owned.storage_len(), table.storage_len());
    /// # Ok::<(), mcx_migrate::StorageError>(())
    /// ```
    pub fn new(storage: S) -> Result<Self, StorageError> {
        let len = storage.as_ref().len();
        if len < MIN_STORAGE_LEN {
            return Err(StorageError::TooSmall {
                needed: MIN_STORAGE_LEN,
            });
        }
        // No index yet, so the storage is neither read nor written: the first insert builds
        // the index.
        Ok(MigrationTable {
            storage,
            heap_end: 0,
            buckets: 0,
            len: 0,
            live_bytes: 0,
            hole: (0, 0),
            departures: 0,
        })
    }

    /// The storage, giving the table up.
    pub fn into_storage(self) -> S {
        self.storage
    }

    fn bytes(&self) -> &[u8] {
        self.storage.as_ref()
    }

    fn index(&self) -> Index<'_> {
        Index {
            bytes: self.storage.as_ref(),
            buckets: self.buckets,
            cap: self.cap(),
        }
    }

    /// Start of the index.
    fn index_start(&self, buckets: usize) -> Option<usize> {
        self.cap().checked_sub(buckets.checked_mul(BUCKET_LEN)?)
    }

    /// The record keyed by `key` as an update sees it: where it is, its lengths and its tag.
    fn find(&self, key: &[u8]) -> Option<Slot> {
        let (bucket, offset, raw) = self.index().probe(key)?;
        Some(Slot {
            bucket,
            offset,
            size: raw.size,
            needed: raw.needed,
            tag: raw.tag,
        })
    }

    /// The record keyed by `id`, if any.
    pub fn lookup(&self, id: &str) -> Option<Record<'_>> {
        self.lookup_key(id.as_bytes())
    }

    /// The record keyed by the ID whose bytes are `key`, if any.
    fn lookup_key(&self, key: &[u8]) -> Option<Record<'_>> {
        let (_, _, raw) = self.index().probe(key)?;
        record(raw)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of storage the table uses: the storage's length (at most 4 GiB).
    pub fn storage_len(&self) -> usize {
        self.cap()
    }

    /// Bytes of the storage the table uses: its length, at most [`MAX_CAP`].
    fn cap(&self) -> usize {
        self.storage.as_ref().len().min(MAX_CAP)
    }

    /// Bytes the records and the smallest index for them need: what a table needs to hold these
    /// records, and what [`restore`](Self::restore) of their snapshot needs.
    pub fn bytes_in_use(&self) -> usize {
        store::table_len(self.len, self.live_bytes)
    }

    /// Every record with its key, in storage order.
    pub fn iter(&self) -> impl Iterator<Item = (McServiceIdRef<'_>, Record<'_>)> {
        self.entries().map(|(key, record, _)| (key, record))
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        self.heap_end = 0;
        self.len = 0;
        self.live_bytes = 0;
        self.hole = (0, 0);
        self.departures = 0;
        // No index, as `new` leaves it: the first insert builds one.
        self.buckets = 0;
    }

    /// Applies a migration update (clause 10.6.3): "migrated" and "moved on" write the
    /// migrated-away record of a user of this system, "returned" removes it; "visitor
    /// registered" writes a visitor record, "visitor departed" marks it departed. On error the
    /// table is unchanged.
    ///
    /// An update decoded from the wire borrows its strings from the received bytes; they are
    /// copied straight into the record.
    pub fn apply(&mut self, update: &MigrationUpdate<'_>) -> Result<Applied, TableError> {
        let found = self.find(update.key().as_bytes());
        let tag = found.map(|f| f.tag);
        match *update {
            MigrationUpdate::Migrated(_) | MigrationUpdate::MovedOn(_) => {
                let moved_on = matches!(update, MigrationUpdate::MovedOn(_));
                match tag {
                    Some(Tag::MigratedAway) => {}
                    None if !moved_on => {}
                    Some(Tag::VisitorPresent | Tag::VisitorDeparted) if !moved_on => {
                        return Err(TableError::RoleConflict)
                    }
                    _ => return Err(TableError::NotMigrated),
                }
                self.write(update, found)
            }
            MigrationUpdate::Returned { .. } => match found {
                Some(found) if found.tag == Tag::MigratedAway => {
                    self.remove(found);
                    Ok(Applied {
                        change: Change::Removed,
                        evicted: 0,
                    })
                }
                _ => Err(TableError::NotMigrated),
            },
            MigrationUpdate::VisitorRegistered { .. } => {
                if tag == Some(Tag::MigratedAway) {
                    return Err(TableError::RoleConflict);
                }
                self.write(update, found)
            }
            MigrationUpdate::VisitorDeparted { .. } => {
                let Some(found) = found else {
                    return Err(TableError::NotVisiting);
                };
                match found.tag {
                    Tag::VisitorPresent => {
                        let offset = found.offset;
                        self.departures = self.departures.saturating_add(1);
                        // Orders past u32::MAX tie; eviction then picks the lowest offset.
                        let order = u32::try_from(self.departures).unwrap_or(u32::MAX);
                        store::set_tag(self.storage.as_mut(), offset, Tag::VisitorDeparted, order);
                    }
                    Tag::VisitorDeparted => {}
                    _ => return Err(TableError::NotVisiting),
                }
                Ok(Applied {
                    change: Change::MarkedDeparted,
                    evicted: 0,
                })
            }
        }
    }

    /// Whether `records` records needing `live` bytes fit the storage once compacted, with the
    /// smallest index for them.
    // One copy on bare metal: `write` asks it three times.
    #[cfg_attr(target_os = "none", inline(never))]
    fn fits(&self, records: usize, live: usize) -> bool {
        // A saturated length is above any storage length (at most `u32::MAX`, and a slice
        // below `usize::MAX` bytes).
        store::table_len(records, live) <= self.cap()
    }

    /// Writes the record of a "migrated", "moved on" or "visitor registered" update, in place
    /// when it fits the existing record, else as a new one (evicting departed visitors if
    /// needed). Everything is checked before anything changes.
    fn write(
        &mut self,
        update: &MigrationUpdate<'_>,
        found: Option<Slot>,
    ) -> Result<Applied, TableError> {
        let mut strings: [&[u8]; 4] = [&[]; 4];
        let Some(tag) = fields(update, &mut strings) else {
            return Ok(Applied {
                change: Change::Replaced,
                evicted: 0,
            });
        };
        let need = store::strings_len(&strings);
        let (mut records, mut live) = (self.len, self.live_bytes);
        match found {
            Some(old) => {
                live = live.saturating_sub(old.needed);
                if old.size >= need {
                    store::write_record(
                        self.storage.as_mut(),
                        old.offset,
                        old.size,
                        tag,
                        0,
                        &strings,
                    );
                    self.live_bytes = live.saturating_add(need);
                    return Ok(Applied {
                        change: Change::Replaced,
                        evicted: 0,
                    });
                }
            }
            None => records = records.saturating_add(1),
        }
        // No record lies at `usize::MAX`.
        let exclude = found.map_or(usize::MAX, |old| old.offset);
        live = live.saturating_add(need);
        if !self.fits(records, live) {
            // Everything is checked before anything changes: evicting every departed visitor
            // record must make room, or nothing is evicted.
            let (count, bytes, _) = self.departed(exclude);
            if !self.fits(records.saturating_sub(count), live.saturating_sub(bytes)) {
                return Err(TableError::TableFull);
            }
        }
        if let Some(old) = found {
            // The update fits now. The record it replaces goes first, while its bucket is
            // known: an eviction's unlink could move it.
            self.remove(old);
        }
        let mut evictions = 0usize;
        while !self.fits(records, live) {
            let (_, _, Some(oldest)) = self.departed(exclude) else {
                break;
            };
            self.remove(oldest);
            records = records.saturating_sub(1);
            live = live.saturating_sub(oldest.needed);
            evictions = evictions.saturating_add(1);
        }
        self.insert(tag, 0, &strings)?;
        Ok(Applied {
            change: if found.is_some() {
                Change::Replaced
            } else {
                Change::Inserted
            },
            evicted: evictions,
        })
    }

    /// The departed visitor records (not the one at `exclude`): how many, the bytes they need,
    /// and the one that departed first (lowest departure order, then offset). One scan of the
    /// headers serves both questions eviction asks; it runs only when the storage is full.
    // Not inlined: its locals would sit in `write`'s frame, under the deepest stack of the C
    // API (`write` -> `insert` -> `compact`, docs/footprint.md).
    #[inline(never)]
    fn departed(&self, exclude: usize) -> (usize, usize, Option<Slot>) {
        let heap = self.bytes().get(..self.heap_end).unwrap_or_default();
        let (mut count, mut bytes) = (0usize, 0usize);
        // The scan runs up the offsets, so a strictly lower order alone picks the lowest
        // departure order, then the lowest offset.
        let mut oldest: Option<(u32, usize, &[u8], usize, usize)> = None;
        let mut offset = 0usize;
        while let Some(raw) = store::raw(heap, offset) {
            if raw.tag == Tag::VisitorDeparted && offset != exclude {
                let needed = raw.needed;
                count = count.saturating_add(1);
                bytes = bytes.saturating_add(needed);
                if oldest.is_none_or(|(order, ..)| raw.departed_at < order) {
                    oldest = Some((raw.departed_at, offset, raw.key, raw.size, needed));
                }
            }
            offset = offset.saturating_add(raw.size);
        }
        let oldest = oldest.and_then(|(_, offset, key, size, needed)| {
            let (bucket, ..) = self.index().probe(key)?;
            Some(Slot {
                bucket,
                offset,
                size,
                needed,
                tag: Tag::VisitorDeparted,
            })
        });
        (count, bytes, oldest)
    }

    /// Removes the record in `slot`: its bytes become a hole.
    fn remove(&mut self, slot: Slot) {
        let Slot {
            bucket,
            offset,
            size,
            needed,
            ..
        } = slot;
        let (cap, buckets) = (self.cap(), self.buckets);
        let bytes = self.storage.as_mut();
        store::set_tag(bytes, offset, Tag::Hole, 0);
        store::unlink(bytes, cap, buckets, bucket);
        self.len = self.len.saturating_sub(1);
        self.live_bytes = self.live_bytes.saturating_sub(needed);
        if offset.saturating_add(size) == self.heap_end {
            self.heap_end = offset;
            if self.hole.0 >= offset {
                self.hole = (0, 0);
            }
        } else if size >= self.hole.1 {
            self.hole = (offset, size);
        }
    }

    /// Inserts a record the caller checked fits once compacted with the smallest index.
    fn insert(
        &mut self,
        tag: Tag,
        departed_at: u32,
        strings: &[&[u8]; 4],
    ) -> Result<(), TableError> {
        let need = store::strings_len(strings);
        let (offset, size) = self.allocate(need).ok_or(TableError::TableFull)?;
        let [key, ..] = *strings;
        let (cap, buckets) = (self.cap(), self.buckets);
        let bytes = self.storage.as_mut();
        store::write_record(bytes, offset, size, tag, departed_at, strings);
        if !store::link(bytes, cap, buckets, offset, store::key_hash(key)) {
            store::set_tag(bytes, offset, Tag::Hole, 0);
            return Err(TableError::TableFull);
        }
        self.len = self.len.saturating_add(1);
        self.live_bytes = self.live_bytes.saturating_add(need);
        Ok(())
    }

    /// Room for one more record of `need` bytes: an index with two buckets per record (grown by
    /// doubling while the bytes allow, so growth costs amortised constant time) and the record's
    /// bytes, from a hole, the free tail, or after compaction.
    fn allocate(&mut self, need: usize) -> Option<(usize, usize)> {
        let least = buckets_for(self.len.saturating_add(1));
        if self.buckets < least {
            let room = self
                .cap()
                .saturating_sub(self.live_bytes.saturating_add(need))
                / BUCKET_LEN;
            let buckets = self.buckets.saturating_mul(2).min(room).max(least);
            // An index that would overlap the records is refused unchanged: compact, then
            // try again.
            if !self.rebuild_index(buckets) {
                self.compact();
                if !self.rebuild_index(buckets) {
                    return None;
                }
            }
        }
        // The hole or the free tail; else after compaction; else with the smallest index.
        for step in 0..3 {
            if let Some(room) = self.take(need) {
                return Some(room);
            }
            match step {
                0 => self.compact(),
                1 if self.buckets > least => {
                    self.rebuild_index(least);
                }
                _ => {}
            }
        }
        None
    }

    /// The known hole if it holds `need` bytes, else the free tail.
    fn take(&mut self, need: usize) -> Option<(usize, usize)> {
        let (offset, size) = self.hole;
        if size >= need {
            self.hole = (0, 0);
            return Some((offset, size));
        }
        let end = self.heap_end.checked_add(need)?;
        if end > self.index_start(self.buckets)? {
            return None;
        }
        let offset = self.heap_end;
        self.heap_end = end;
        Some((offset, need))
    }

    /// Slides every record down over the holes before it and trims its slack, then rebuilds the
    /// index: time linear in the storage length, constant stack.
    fn compact(&mut self) {
        let heap_end = self.heap_end;
        let bytes = self.storage.as_mut();
        let (mut read, mut write) = (0usize, 0usize);
        // `raw` finds no record at or past the heap's end.
        while let Some(raw) = store::raw(bytes.get(..heap_end).unwrap_or_default(), read) {
            let (size, tag, needed) = (raw.size, raw.tag, raw.needed);
            if tag != Tag::Hole {
                // `raw` checked the record lies within the heap; move_down skips bytes out of range.
                store::move_down(bytes, read, write, needed);
                store::set_size(bytes, write, needed);
                write = write.saturating_add(needed);
            }
            read = read.saturating_add(size);
        }
        self.heap_end = write;
        self.hole = (0, 0);
        self.rebuild_index(self.buckets);
    }

    /// Makes the index `buckets` buckets long and links every record into it; false (index
    /// unchanged) if it would overlap the records.
    fn rebuild_index(&mut self, buckets: usize) -> bool {
        let Some(start) = self.index_start(buckets) else {
            return false;
        };
        if start < self.heap_end {
            return false;
        }
        let (cap, heap_end) = (self.cap(), self.heap_end);
        let bytes = self.storage.as_mut();
        if let Some(index) = bytes.get_mut(start..cap) {
            index.fill(0);
        }
        self.buckets = buckets;
        let mut offset = 0usize;
        while let Some(raw) = store::raw(bytes.get(..heap_end).unwrap_or_default(), offset) {
            let (size, tag, hash) = (raw.size, raw.tag, store::key_hash(raw.key));
            if tag != Tag::Hole {
                store::link(bytes, cap, buckets, offset, hash);
            }
            offset = offset.saturating_add(size);
        }
        true
    }
}

impl<S: TableStorage> MigrationTable<S> {
    /// The record with the smallest key above `previous` (the smallest of all for `None`), as
    /// stored (never a hole): a scan of the headers and keys, no iterator state.
    fn next_entry_after(&self, previous: Option<&[u8]>) -> Option<Raw<'_>> {
        let heap = self.bytes().get(..self.heap_end)?;
        let mut best: Option<(&[u8], usize)> = None;
        let mut offset = 0usize;
        while let Some(raw) = store::raw(heap, offset) {
            let key = raw.key;
            if raw.tag != Tag::Hole
                && previous.is_none_or(|p| below(p, key))
                && best.is_none_or(|(b, _)| below(key, b))
            {
                best = Some((key, offset));
            }
            offset = offset.saturating_add(raw.size);
        }
        store::raw(heap, best?.1)
    }

    /// Every record with its key and departure order.
    fn entries(&self) -> impl Iterator<Item = (McServiceIdRef<'_>, Record<'_>, u32)> {
        let heap = self.bytes().get(..self.heap_end).unwrap_or_default();
        records(heap).filter_map(|(_, raw)| {
            Some((
                McServiceIdRef::from_validated_bytes(raw.key),
                record(raw)?,
                raw.departed_at,
            ))
        })
    }
}

/// A record as an update or an eviction sees it: the bucket naming it, where it is, its
/// allocated length, the bytes it needs and its tag.
#[derive(Clone, Copy)]
struct Slot {
    bucket: usize,
    offset: usize,
    size: usize,
    needed: usize,
    tag: Tag,
}

impl<S: TableStorage> MigrationLookup for MigrationTable<S> {
    fn lookup(&self, id: McServiceIdRef<'_>) -> Option<Record<'_>> {
        self.lookup_key(id.as_bytes())
    }
}

#[cfg(test)]
// Test arithmetic on lengths: overflow would be a test bug (the workspace lints deny it in library code).
#[allow(clippy::arithmetic_side_effects)]
mod tests;
