//! The migration table's key index: open addressing with linear probing over `2 * N` buckets,
//! so at most half of them are ever in use and a probe sequence stays short however large `N`
//! is, even in a full table.
//!
//! A bucket holds the index of a record in the table's `keys` and `slots` (plus one, so that 0
//! means empty) and the low 16 bits of its key's hash ([`hash_id`]). Its home bucket is those
//! bits masked to the index's length, so a bucket's home is known without hashing its key again,
//! and a probe compares a key only when the 16 bits match. Removal shifts the rest of the probe
//! sequence back (no tombstones), so a lookup stops at the first empty bucket.
//!
//! `[T; 2 * N]` needs a generic constant expression, not stable Rust: the buckets are stored as
//! `N` pairs and used as one flat slice of `2 * N` ([`slice::as_flattened`]).

use core::fmt;

use super::hash::hash_id;
use crate::id::McServiceId;

/// One bucket of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    /// The record's index plus one; 0 for an empty bucket.
    record: u16,
    /// The low 16 bits of the key's hash.
    hash: u16,
}

impl Bucket {
    const EMPTY: Bucket = Bucket { record: 0, hash: 0 };

    /// The record this bucket points to, `None` if it is empty.
    fn record(self) -> Option<usize> {
        usize::from(self.record).checked_sub(1)
    }
}

/// Where a key is, or where it would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    /// In bucket `at`, pointing to record `record`.
    Found { at: usize, record: usize },
    /// Absent; the empty bucket it would take.
    Vacant(Vacant),
    /// Absent, and no empty bucket on its way: cannot happen while at most `N` of the `2 * N`
    /// buckets are in use.
    Full,
}

/// The empty bucket an absent key would take, valid until the index next changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Vacant {
    at: usize,
    hash: u16,
}

/// The index of a table of at most `N` records: `2 * N` buckets.
#[derive(Clone)]
pub(super) struct KeyIndex<const N: usize> {
    buckets: [[Bucket; 2]; N],
}

impl<const N: usize> fmt::Debug for KeyIndex<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let used = self
            .buckets()
            .iter()
            .filter(|b| b.record().is_some())
            .count();
        f.debug_struct("KeyIndex")
            .field("buckets", &self.buckets().len())
            .field("used", &used)
            .finish()
    }
}

/// What a bucket stores for record `record`: `record + 1`, if `record < N`.
fn number<const N: usize>(record: usize) -> Option<u16> {
    if record < N {
        u16::try_from(record.wrapping_add(1)).ok()
    } else {
        None
    }
}

/// The home bucket of a 16-bit hash in an index of `2 * N` buckets.
fn home<const N: usize>(hash: u16) -> usize {
    usize::from(hash) & KeyIndex::<N>::MASK
}

impl<const N: usize> KeyIndex<N> {
    /// `2 * N - 1`: bucket positions wrap around with this mask (`2 * N` is a power of two).
    const MASK: usize = N.wrapping_mul(2).wrapping_sub(1);

    /// An empty index. `N` must be a power of two (for the mask), more than 1, and at most
    /// 32 768 (record numbers and home buckets fit 16 bits); checked at compile time.
    pub(super) const fn new() -> Self {
        const {
            assert!(
                N.is_power_of_two() && N > 1 && N <= 32_768,
                "a migration table's capacity N must be a power of two from 2 to 32768"
            )
        };
        Self {
            buckets: [[Bucket::EMPTY; 2]; N],
        }
    }

    fn buckets(&self) -> &[Bucket] {
        self.buckets.as_flattened()
    }

    fn buckets_mut(&mut self) -> &mut [Bucket] {
        self.buckets.as_flattened_mut()
    }

    /// Empties every bucket.
    pub(super) fn clear(&mut self) {
        self.buckets_mut().fill(Bucket::EMPTY);
    }

    /// Walks the probe sequence of `hash` from its home: the first used bucket `hit` accepts,
    /// else the empty bucket that ends the sequence.
    fn probe(&self, hash: u16, mut hit: impl FnMut(Bucket) -> bool) -> Probe {
        let buckets = self.buckets();
        let mut at = home::<N>(hash);
        for _ in 0..buckets.len() {
            let Some(&bucket) = buckets.get(at) else {
                break;
            };
            let Some(record) = bucket.record() else {
                return Probe::Vacant(Vacant { at, hash });
            };
            if hit(bucket) {
                return Probe::Found { at, record };
            }
            at = at.wrapping_add(1) & Self::MASK;
        }
        Probe::Full
    }

    /// Finds `key`, whose record `i` (if any) has its key at `keys[i]`. A key is compared only
    /// where the bucket's 16 bits of hash match.
    pub(super) fn find(&self, key: &str, keys: &[McServiceId]) -> Probe {
        let hash = hash_id(key) as u16;
        self.probe(hash, |bucket| {
            bucket.hash == hash
                && bucket
                    .record()
                    .and_then(|record| keys.get(record))
                    .is_some_and(|k| k.as_str() == key)
        })
    }

    /// Points the vacant bucket at `record`. False, and nothing changed, if `record` cannot be
    /// a record number (`N` or more).
    pub(super) fn link(&mut self, vacant: Vacant, record: usize) -> bool {
        let Some(record) = number::<N>(record) else {
            return false;
        };
        let Some(bucket) = self.buckets_mut().get_mut(vacant.at) else {
            return false;
        };
        *bucket = Bucket {
            record,
            hash: vacant.hash,
        };
        true
    }

    /// Empties bucket `at` (from [`Probe::Found`]) and shifts back the rest of its probe
    /// sequence: each following bucket moves into the hole when the hole lies between its home
    /// and where it is, so every remaining key stays reachable from its home without a gap.
    pub(super) fn unlink(&mut self, at: usize) {
        let buckets = self.buckets_mut();
        let mut hole = at;
        let mut next = at.wrapping_add(1) & Self::MASK;
        for _ in 0..buckets.len() {
            let Some(&bucket) = buckets.get(next) else {
                break;
            };
            if bucket.record().is_none() {
                break;
            }
            // Distances going forward, with wrap-around: from the bucket's home to where it is,
            // and from the hole to where it is.
            let displaced = next.wrapping_sub(home::<N>(bucket.hash)) & Self::MASK;
            let behind = next.wrapping_sub(hole) & Self::MASK;
            if displaced >= behind {
                if let Some(to) = buckets.get_mut(hole) {
                    *to = bucket;
                }
                hole = next;
            }
            next = next.wrapping_add(1) & Self::MASK;
        }
        if let Some(to) = buckets.get_mut(hole) {
            *to = Bucket::EMPTY;
        }
    }

    /// The bucket of record `from`, whose key is `key`, points to record `to` instead (the
    /// last record moved into a removed one's place). False if there is no such bucket or `to`
    /// cannot be a record number.
    pub(super) fn renumber(&mut self, key: &str, from: usize, to: usize) -> bool {
        let Some(to) = number::<N>(to) else {
            return false;
        };
        let Probe::Found { at, .. } = self.probe(hash_id(key) as u16, |b| b.record() == Some(from))
        else {
            return false;
        };
        let Some(bucket) = self.buckets_mut().get_mut(at) else {
            return false;
        };
        bucket.record = to;
        true
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    /// Checks the index against `keys`, the table's keys in record order: one bucket per
    /// record, holding its hash; every key found at its own record; no bucket separated from its
    /// home by an empty one (what lookups and backward-shift deletion rely on).
    pub(in crate::table) fn check<const N: usize>(index: &KeyIndex<N>, keys: &[McServiceId]) {
        let buckets = index.buckets();
        assert_eq!(buckets.len(), 2 * N);
        let used: Vec<(usize, Bucket)> = buckets
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, b)| b.record().is_some())
            .collect();
        assert_eq!(used.len(), keys.len(), "one bucket per record");
        let mut seen = std::vec![false; keys.len()];
        for &(at, bucket) in &used {
            let record = bucket.record().unwrap();
            let key = keys.get(record).expect("bucket points past the records");
            assert!(!seen[record], "two buckets point to record {record}");
            seen[record] = true;
            assert_eq!(
                bucket.hash,
                hash_id(key) as u16,
                "bucket {at}: hash of {key}"
            );
            let mut p = home::<N>(bucket.hash);
            while p != at {
                assert!(
                    buckets[p].record().is_some(),
                    "{key} in bucket {at} unreachable from its home: bucket {p} is empty"
                );
                p = (p + 1) % (2 * N);
            }
        }
        for (record, key) in keys.iter().enumerate() {
            assert!(
                matches!(index.find(key, keys), Probe::Found { record: r, .. } if r == record),
                "{key} not found at record {record}"
            );
        }
    }

    /// An index and its keys, maintained the way the table does (swap-remove of records).
    struct Model<const N: usize> {
        index: KeyIndex<N>,
        keys: Vec<McServiceId>,
    }

    impl<const N: usize> Model<N> {
        fn new() -> Self {
            Model {
                index: KeyIndex::new(),
                keys: Vec::new(),
            }
        }

        fn insert(&mut self, key: &str) -> bool {
            match self.index.find(key, &self.keys) {
                Probe::Found { .. } => false,
                Probe::Vacant(v) => {
                    assert!(self.keys.len() < N);
                    assert!(self.index.link(v, self.keys.len()));
                    self.keys.push(McServiceId::new(key).unwrap());
                    true
                }
                Probe::Full => panic!("index full with {} keys", self.keys.len()),
            }
        }

        fn remove(&mut self, key: &str) -> bool {
            let Probe::Found { at, record } = self.index.find(key, &self.keys) else {
                return false;
            };
            self.index.unlink(at);
            let last = self.keys.len() - 1;
            if record != last {
                let moved = self.keys[last].clone();
                assert!(self.index.renumber(&moved, last, record));
            }
            self.keys.swap_remove(record);
            true
        }
    }

    /// Keys whose home bucket in an index of `2 * n` buckets is `home`, `count` of them.
    fn keys_at_home(n: usize, home: usize, count: usize) -> Vec<String> {
        (0..)
            .map(|i| format!("sip:k{i}@mc-a.example"))
            .filter(|k| hash_id(k) as usize % (2 * n) == home)
            .take(count)
            .collect()
    }

    #[test]
    fn probe_chains_wrap_around_the_end_and_survive_deletion_anywhere_in_them() {
        // N = 4: 8 buckets. Four keys whose home is the last bucket fill buckets 7, 0, 1, 2.
        let chain = keys_at_home(4, 7, 4);
        for removed in 0..chain.len() {
            let mut m = Model::<4>::new();
            for k in &chain {
                assert!(m.insert(k));
            }
            check(&m.index, &m.keys);
            let records: Vec<u16> = m.index.buckets().iter().map(|b| b.record).collect();
            assert!(
                [7, 0, 1, 2].iter().all(|&b| records[b] != 0),
                "the chain wraps: {records:?}"
            );
            assert!(m.remove(&chain[removed]));
            check(&m.index, &m.keys);
            for (i, k) in chain.iter().enumerate() {
                let found = matches!(m.index.find(k, &m.keys), Probe::Found { .. });
                assert_eq!(found, i != removed, "{k} after removing {}", chain[removed]);
            }
        }
    }

    #[test]
    fn backward_shift_moves_only_keys_that_may_move() {
        // 8 buckets: a key at home 6 in bucket 6, a key at home 7 in its home, a second key at
        // home 6 pushed to bucket 0. Removing the first must pull the last one back to bucket 6
        // past the key at home 7, which stays where it is.
        let at6 = keys_at_home(4, 6, 2);
        let at7 = keys_at_home(4, 7, 1);
        let mut m = Model::<4>::new();
        for k in [&at6[0], &at7[0], &at6[1]] {
            assert!(m.insert(k));
        }
        let key_in = |m: &Model<4>, b: usize| {
            m.index.buckets()[b]
                .record()
                .map(|r| String::from(m.keys[r].as_str()))
        };
        assert_eq!(key_in(&m, 0).as_deref(), Some(at6[1].as_str()));
        check(&m.index, &m.keys);
        assert!(m.remove(&at6[0]));
        check(&m.index, &m.keys);
        assert_eq!(key_in(&m, 6).as_deref(), Some(at6[1].as_str()));
        assert_eq!(key_in(&m, 7).as_deref(), Some(at7[0].as_str()));
        assert_eq!(key_in(&m, 0), None);
    }

    #[test]
    fn removing_the_last_record_and_a_middle_one_keeps_the_rest_findable() {
        let keys: Vec<String> = (0..8).map(|i| format!("sip:r{i}@mc-a.example")).collect();
        let mut m = Model::<8>::new();
        for k in &keys {
            assert!(m.insert(k));
        }
        assert!(m.remove(&keys[7]), "the last record: nothing moves");
        check(&m.index, &m.keys);
        assert!(
            m.remove(&keys[2]),
            "a middle record: the last one takes its place"
        );
        check(&m.index, &m.keys);
        assert_eq!(m.keys[2].as_str(), keys[6]);
        assert!(!m.remove(&keys[2]));
        assert!(m.insert(&keys[2]));
        check(&m.index, &m.keys);
    }

    #[test]
    fn a_full_table_keeps_every_key_findable() {
        for n in 0..64 {
            let mut m = Model::<16>::new();
            for i in 0..16 {
                assert!(m.insert(&format!("sip:f{n}-{i}@mc-a.example")));
            }
            check(&m.index, &m.keys);
            assert!(matches!(
                m.index.find("sip:nobody@mc-a.example", &m.keys),
                Probe::Vacant(_)
            ));
        }
    }

    #[test]
    fn link_and_renumber_refuse_impossible_record_numbers() {
        let mut m = Model::<4>::new();
        let Probe::Vacant(v) = m.index.find("sip:a@mc-a.example", &m.keys) else {
            panic!()
        };
        assert!(!m.index.link(v, 4));
        assert!(!m.index.link(v, usize::MAX));
        assert!(m.insert("sip:a@mc-a.example"));
        assert!(!m.index.renumber("sip:a@mc-a.example", 0, 4));
        assert!(!m.index.renumber("sip:a@mc-a.example", 1, 0));
        check(&m.index, &m.keys);
        m.index.clear();
        m.keys.clear();
        check(&m.index, &m.keys);
    }

    /// Operations on a tiny index: insert or remove key `n` of the pool, half of which shares
    /// two home buckets at the end of the index, so chains collide and wrap.
    fn ops() -> impl Strategy<Value = Vec<(bool, usize)>> {
        proptest::collection::vec((any::<bool>(), 0usize..12), 0..200)
    }

    /// Twelve keys for an index of `2 * n` buckets: three at home in the last bucket, three in
    /// the one before it, six anywhere.
    pub(in crate::table) fn pool(n: usize) -> Vec<String> {
        let mut pool = keys_at_home(n, 2 * n - 1, 3);
        pool.extend(keys_at_home(n, 2 * n - 2, 3));
        pool.extend((0..6).map(|i| format!("sip:p{i}@mc-a.example")));
        pool
    }

    fn agrees_with_a_hashmap<const N: usize>(ops: &[(bool, usize)]) -> Result<(), TestCaseError> {
        let pool = pool(N);
        let mut m = Model::<N>::new();
        let mut model: HashMap<String, ()> = HashMap::new();
        for &(insert, n) in ops {
            let key = &pool[n];
            if insert {
                if model.len() == N && !model.contains_key(key) {
                    continue;
                }
                prop_assert_eq!(m.insert(key), model.insert(key.clone(), ()).is_none());
            } else {
                prop_assert_eq!(m.remove(key), model.remove(key).is_some());
            }
            check(&m.index, &m.keys);
            for k in &pool {
                let found = matches!(m.index.find(k, &m.keys), Probe::Found { .. });
                prop_assert_eq!(found, model.contains_key(k), "{}", k);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn inserts_and_removes_agree_with_a_hashmap_n4(ops in ops()) {
            agrees_with_a_hashmap::<4>(&ops)?;
        }

        #[test]
        fn inserts_and_removes_agree_with_a_hashmap_n8(ops in ops()) {
            agrees_with_a_hashmap::<8>(&ops)?;
        }
    }
}
