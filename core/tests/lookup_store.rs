//! "Any store can answer": a second implementation of [`MigrationLookup`] — a host-side store
//! over a `HashMap` of owned records, as an MC service server with its own replicated store
//! would write it — gives exactly the decisions the migration table gives, for every request.
//! The trait is all `server::decide` and `server::decide_encode` need. A store whose reads can
//! fail answers through `TryMigrationLookup` and `server::try_decide` (`try_decide_encode`): the
//! same decisions while it reads, its error (never "proceed") when it cannot.

// Test code: the workspace's no-panic lints (root Cargo.toml) are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::HashMap;

use mcx_migrate::server::{
    decide, decide_encode, try_decide, try_decide_encode, Decision, DecisionOutcome,
};
use mcx_migrate::table::{
    MigratedRecord, MigrationLookup, MigrationTable, Record, TryMigrationLookup, VisitorRecord,
    VisitorState,
};
use mcx_migrate::wire::MAX_ENCODED_LEN;
use mcx_migrate::*;
use proptest::prelude::*;

/// A record as a host store keeps it: owned, no borrowed views.
#[derive(Debug, Clone)]
enum StoredRecord {
    MigratedAway {
        partner_system: McSystemId,
        partner_id: McServiceId,
        kms: Option<KmsUri>,
    },
    Visiting {
        primary_id: McServiceId,
        primary_system: McSystemId,
        kms: Option<KmsUri>,
        departed: bool,
    },
}

/// The host store: one record per ID, updated from migration updates (clause 10.6.3).
#[derive(Default)]
struct HostStore(HashMap<String, StoredRecord>);

fn sdi(kms: &Option<KmsUri>) -> Option<SecurityDomainInfo<'_>> {
    kms.as_ref().map(|k| SecurityDomainInfo {
        kms_uri: k.as_borrowed(),
    })
}

impl MigrationLookup for HostStore {
    fn lookup(&self, id: McServiceIdRef<'_>) -> Option<Record<'_>> {
        Some(match self.0.get(id.as_str())? {
            StoredRecord::MigratedAway {
                partner_system,
                partner_id,
                kms,
            } => Record::MigratedAway(MigratedRecord {
                partner_system: partner_system.as_borrowed(),
                partner_id: partner_id.as_borrowed(),
                security_domain_info: sdi(kms),
            }),
            StoredRecord::Visiting {
                primary_id,
                primary_system,
                kms,
                departed,
            } => Record::Visiting(VisitorRecord {
                primary_id: primary_id.as_borrowed(),
                primary_system: primary_system.as_borrowed(),
                primary_security_domain_info: sdi(kms),
                state: if *departed {
                    VisitorState::Departed
                } else {
                    VisitorState::Present
                },
            }),
        })
    }
}

impl HostStore {
    /// The store's own handling of an update the table accepted.
    fn apply(&mut self, update: &MigrationUpdate<'_>) {
        let kms = |s: &Option<SecurityDomainInfo<'_>>| s.map(|s| s.kms_uri.to_owned_id());
        match update {
            MigrationUpdate::Migrated(Migration {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            })
            | MigrationUpdate::MovedOn(Migration {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            }) => {
                self.0.insert(
                    primary_id.as_str().into(),
                    StoredRecord::MigratedAway {
                        partner_system: partner_system.to_owned_id(),
                        partner_id: partner_id.to_owned_id(),
                        kms: kms(security_domain_info),
                    },
                );
            }
            MigrationUpdate::Returned { primary_id } => {
                self.0.remove(primary_id.as_str());
            }
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => {
                self.0.insert(
                    local_id.as_str().into(),
                    StoredRecord::Visiting {
                        primary_id: primary_id.to_owned_id(),
                        primary_system: primary_system.to_owned_id(),
                        kms: kms(primary_security_domain_info),
                        departed: false,
                    },
                );
            }
            MigrationUpdate::VisitorDeparted { local_id } => {
                if let Some(StoredRecord::Visiting { departed, .. }) =
                    self.0.get_mut(local_id.as_str())
                {
                    *departed = true;
                }
            }
        }
    }
}

const POOL: [&str; 6] = [
    "sip:user1@mc-a.example",
    "sip:user2@mc-a.example",
    "sip:visitor-0042@mc-b.example",
    "tel:+4930555002",
    "sips:user3@mc-a.example",
    "sip:visitor-7@mc-a.example",
];

fn id(s: &'static str) -> McServiceIdRef<'static> {
    McServiceIdRef::new(s).unwrap()
}

fn update() -> impl Strategy<Value = MigrationUpdate<'static>> {
    let key = 0..POOL.len();
    let kms = proptest::option::of(Just(
        SecurityDomainInfo::new("https://kms.mc-b.example/kms").unwrap(),
    ));
    (0u8..5, key.clone(), key, kms).prop_map(|(op, k, v, kms)| {
        let system = McSystemIdRef::new("mc-b.example").unwrap();
        match op {
            0 => MigrationUpdate::Migrated(Migration {
                primary_id: id(POOL[k]),
                partner_system: system,
                partner_id: id(POOL[v]),
                security_domain_info: kms,
            }),
            1 => MigrationUpdate::MovedOn(Migration {
                primary_id: id(POOL[k]),
                partner_system: system,
                partner_id: id(POOL[v]),
                security_domain_info: kms,
            }),
            2 => MigrationUpdate::Returned {
                primary_id: id(POOL[k]),
            },
            3 => MigrationUpdate::VisitorRegistered {
                local_id: id(POOL[k]),
                primary_id: id(POOL[v]),
                primary_system: system,
                primary_security_domain_info: kms,
            },
            _ => MigrationUpdate::VisitorDeparted {
                local_id: id(POOL[k]),
            },
        }
    })
}

/// The decision of `store` for every request over the pool, as comparable values: the
/// decision and the encoded bytes `decide_encode` writes.
fn decisions<T: MigrationLookup + ?Sized>(store: &T) -> Vec<(Decision<'_>, Vec<u8>)> {
    requests()
        .map(|request| {
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let encoded = match decide_encode(store, &request, &mut buf).unwrap() {
                DecisionOutcome::Redirected(n) => buf[..n].to_vec(),
                other => format!("{other:?}").into_bytes(),
            };
            (decide(store, &request), encoded)
        })
        .collect()
}

/// Every request over the pool: each kind, each target, with and without E2EE.
fn requests() -> impl Iterator<Item = PrivateCallRequest<'static>> {
    ServiceKind::ALL.into_iter().flat_map(|kind| {
        POOL.into_iter().flat_map(move |target| {
            [false, true].map(|e2ee| PrivateCallRequest {
                service_kind: kind,
                calling_party: id(POOL[0]),
                target: id(target),
                e2ee_required: e2ee,
                security_domain_info: None,
            })
        })
    })
}

proptest! {
    #[test]
    fn a_host_store_behind_the_lookup_trait_decides_as_the_table(
        updates in proptest::collection::vec(update(), 0..40)
    ) {
        let mut storage = vec![0u8; 8192];
        let mut table = MigrationTable::new(&mut storage[..]).unwrap();
        let mut store = HostStore::default();
        for update in &updates {
            // The store applies what the table accepted (the table keeps the role rules).
            if table.apply(update).is_ok() {
                store.apply(update);
            }
            prop_assert_eq!(decisions(&store), decisions(&table));
        }
    }
}

#[test]
fn the_host_store_redirects_a_call_to_a_migrated_user() {
    let mut store = HostStore::default();
    store.apply(&MigrationUpdate::Migrated(Migration {
        primary_id: id(POOL[1]),
        partner_system: McSystemIdRef::new("mc-b.example").unwrap(),
        partner_id: id(POOL[2]),
        security_domain_info: None,
    }));
    let request = PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(POOL[0]),
        target: id(POOL[1]),
        e2ee_required: false,
        security_domain_info: None,
    };
    let Decision::Redirect(r) = decide(&store, &request) else {
        panic!("not redirected")
    };
    assert_eq!(r.target_migrated, POOL[2]);
    // Through a trait object too: any store behind `dyn MigrationLookup`.
    let dyn_store: &dyn MigrationLookup = &store;
    assert_eq!(decide(dyn_store, &request), Decision::Redirect(r));
}

/// A store reached over a network: reads of the IDs in `down` fail (their replica is
/// unreachable), the others answer from the host store.
struct NetworkStore {
    store: HostStore,
    down: Vec<&'static str>,
}

/// Why a read of [`NetworkStore`] failed.
#[derive(Debug, PartialEq)]
struct Unreachable;

impl TryMigrationLookup for NetworkStore {
    type Error = Unreachable;
    fn try_lookup(&self, id: McServiceIdRef<'_>) -> Result<Option<Record<'_>>, Unreachable> {
        if self.down.contains(&id.as_str()) {
            return Err(Unreachable);
        }
        Ok(self.store.lookup(id))
    }
}

proptest! {
    #[test]
    fn a_fallible_store_decides_as_the_table_and_fails_the_reads_it_cannot_make(
        updates in proptest::collection::vec(update(), 0..40),
        down in proptest::sample::subsequence(POOL.to_vec(), 0..POOL.len()),
    ) {
        let mut storage = vec![0u8; 8192];
        let mut table = MigrationTable::new(&mut storage[..]).unwrap();
        let mut network = NetworkStore { store: HostStore::default(), down };
        for update in &updates {
            if table.apply(update).is_ok() {
                network.store.apply(update);
            }
        }
        for request in requests() {
            let down = network.down.contains(&request.target.as_str());
            let expected = if down {
                Err(Unreachable)
            } else {
                Ok(decide(&table, &request))
            };
            prop_assert_eq!(try_decide(&network, &request), expected);
            // Encoded in place: the table's bytes, or the error and nothing written.
            let (mut ours, mut theirs) = ([0xAAu8; MAX_ENCODED_LEN], [0xAAu8; MAX_ENCODED_LEN]);
            let outcome = try_decide_encode(&network, &request, &mut ours);
            if down {
                prop_assert_eq!(outcome, Err(Unreachable));
                prop_assert_eq!(ours, [0xAAu8; MAX_ENCODED_LEN]);
            } else {
                prop_assert_eq!(outcome, Ok(decide_encode(&table, &request, &mut theirs)));
                prop_assert_eq!(ours, theirs);
            }
        }
        // Every store that cannot fail is a fallible one that never does.
        for id in POOL {
            let key = McServiceIdRef::new(id).unwrap();
            prop_assert_eq!(table.try_lookup(key), Ok(table.lookup(id)));
        }
    }
}
