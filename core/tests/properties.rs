//! Property tests: wire round trips, decoding arbitrary bytes, and the migration table against a
//! `std::collections::HashMap` model of its documented policy.

use std::collections::HashMap;

use mcx_migrate::table::{
    Change, MigratedRecord, MigrationTable, Record, VisitorRecord, VisitorState,
};
use mcx_migrate::wire::{self, MAX_ENCODED_LEN, MAX_FRAME_LEN};
use mcx_migrate::*;
use proptest::prelude::*;

fn service_id() -> impl Strategy<Value = McServiceId> {
    ("(sip|sips|tel):[a-z0-9.@+-]{1,40}").prop_map(|s| McServiceId::new(&s).unwrap())
}

fn system_id() -> impl Strategy<Value = McSystemId> {
    "[a-z][a-z0-9]{0,10}(\\.[a-z][a-z0-9]{0,10}){0,3}".prop_map(|s| McSystemId::new(&s).unwrap())
}

fn sdi() -> impl Strategy<Value = Option<SecurityDomainInfo>> {
    proptest::option::of(
        "https://[a-z.]{1,30}/[a-z]{0,10}".prop_map(|s| SecurityDomainInfo::new(&s).unwrap()),
    )
}

fn kind() -> impl Strategy<Value = ServiceKind> {
    prop::sample::select(ServiceKind::ALL.to_vec())
}

fn request() -> impl Strategy<Value = PrivateCallRequest> {
    (kind(), service_id(), service_id(), any::<bool>(), sdi()).prop_map(|(k, c, t, e, s)| {
        PrivateCallRequest {
            service_kind: k,
            calling_party: c,
            target: t,
            e2ee_required: e,
            security_domain_info: s,
        }
    })
}

fn redirection() -> impl Strategy<Value = PrivateCallRedirection> {
    (
        kind(),
        (service_id(), service_id(), service_id()),
        any::<bool>(),
        sdi(),
        proptest::option::of(prop::sample::select(vec![
            RedirectionReason::TargetMigrated,
            RedirectionReason::TargetNoLongerServed,
        ])),
    )
        .prop_map(|(k, (c, p, m), e, s, r)| PrivateCallRedirection {
            service_kind: k,
            calling_party: c,
            target_primary: p,
            target_migrated: m,
            // Keep the NOTE's rule: E2EE only with security domain information.
            e2ee_required: e && s.is_some(),
            security_domain_info: s,
            reason: r,
        })
}

/// Updates over a small key space so that keys collide, records are replaced, depart and get
/// evicted.
fn update() -> impl Strategy<Value = MigrationUpdate> {
    let key = (0u8..12).prop_map(|n| McServiceId::new(&format!("sip:u{n}@a.example")).unwrap());
    prop_oneof![
        (key.clone(), system_id(), service_id(), sdi()).prop_map(|(p, s, i, d)| {
            MigrationUpdate::Migrated {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        }),
        (key.clone(), system_id(), service_id(), sdi()).prop_map(|(p, s, i, d)| {
            MigrationUpdate::MovedOn {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        }),
        key.clone()
            .prop_map(|p| MigrationUpdate::Returned { primary_id: p }),
        (key.clone(), service_id(), system_id(), sdi()).prop_map(|(l, p, s, d)| {
            MigrationUpdate::VisitorRegistered {
                local_id: l,
                primary_id: p,
                primary_system: s,
                primary_security_domain_info: d,
            }
        }),
        key.prop_map(|l| MigrationUpdate::VisitorDeparted { local_id: l }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        request().prop_map(Message::Request),
        redirection().prop_map(Message::Redirection),
        update().prop_map(Message::MigrationUpdate),
    ]
}

/// The documented table policy, on a std HashMap: (record, departure order).
#[derive(Default)]
struct Model {
    map: HashMap<String, (Record, u64)>,
    departures: u64,
    capacity: usize,
}

impl Model {
    fn upsert(&mut self, key: &str, record: Record) -> Result<Option<String>, TableError> {
        if let Some(slot) = self.map.get_mut(key) {
            *slot = (record, 0);
            return Ok(None);
        }
        let mut evicted = None;
        if self.map.len() == self.capacity {
            let oldest = self
                .map
                .iter()
                .filter(|(_, (r, _))| !r.is_live())
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
                .ok_or(TableError::TableFull)?;
            self.map.remove(&oldest);
            evicted = Some(oldest);
        }
        self.map.insert(key.to_string(), (record, 0));
        Ok(evicted)
    }

    fn apply(&mut self, u: &MigrationUpdate) -> Result<Option<String>, TableError> {
        let key = u.key().as_str().to_string();
        let existing = self.map.get(&key).map(|(r, _)| r.clone());
        match u {
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
                let moved_on = matches!(u, MigrationUpdate::MovedOn { .. });
                match (&existing, moved_on) {
                    (Some(Record::Visiting(_)), false) => return Err(TableError::RoleConflict),
                    (Some(Record::Visiting(_)), true) | (None, true) => {
                        return Err(TableError::NotMigrated)
                    }
                    _ => {}
                }
                self.upsert(
                    &key,
                    Record::MigratedAway(MigratedRecord {
                        partner_system: partner_system.clone(),
                        partner_id: partner_id.clone(),
                        security_domain_info: security_domain_info.clone(),
                    }),
                )
            }
            MigrationUpdate::Returned { .. } => match existing {
                Some(Record::MigratedAway(_)) => {
                    self.map.remove(&key);
                    Ok(None)
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
                self.upsert(
                    &key,
                    Record::Visiting(VisitorRecord {
                        primary_id: primary_id.clone(),
                        primary_system: primary_system.clone(),
                        primary_security_domain_info: primary_security_domain_info.clone(),
                        state: VisitorState::Present,
                    }),
                )
            }
            MigrationUpdate::VisitorDeparted { .. } => match self.map.get_mut(&key) {
                Some((Record::Visiting(v), at)) => {
                    if v.state == VisitorState::Present {
                        self.departures += 1;
                        v.state = VisitorState::Departed;
                        *at = self.departures;
                    }
                    Ok(None)
                }
                _ => Err(TableError::NotVisiting),
            },
        }
    }
}

fn table_contents<const N: usize>(t: &MigrationTable<N>) -> Vec<(String, Record)> {
    let mut v: Vec<_> = t
        .iter()
        .map(|(k, r)| (k.as_str().to_string(), r.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn model_contents(m: &Model) -> Vec<(String, Record)> {
    let mut v: Vec<_> = m
        .map
        .iter()
        .map(|(k, (r, _))| (k.clone(), r.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(msg in message()) {
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let n = wire::encode_message(&msg, &mut buf).unwrap();
        let view = wire::decode_message(&buf[..n]).unwrap();
        prop_assert_eq!(view, msg.as_view());
        prop_assert_eq!(view.to_owned(), msg.clone());
        let mut frame = [0u8; MAX_FRAME_LEN];
        let f = match &msg {
            Message::Request(m) => m.encode_frame(&mut frame),
            Message::Redirection(m) => m.encode_frame(&mut frame),
            Message::MigrationUpdate(m) => m.encode_frame(&mut frame),
        }.unwrap();
        prop_assert_eq!(wire::decode_frame(&mut frame[..f]).unwrap().to_owned(), msg);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_are_valid(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(view) = wire::decode_message(&bytes) {
            prop_assert!(view.validate().is_ok());
            let owned = view.to_owned();
            // The encoding is canonical: re-encoding gives the same bytes.
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = wire::encode_message(&owned, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &bytes[..]);
        }
        let _ = PrivateCallRedirection::decode(&bytes);
        let _ = PrivateCallRequestView::decode(&bytes);
        let _ = MigrationUpdate::decode(&bytes);
        let mut copy = bytes.clone();
        let _ = wire::decode_frame(&mut copy);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), ty in 1u8..=3) {
        let mut bytes = vec![wire::FORMAT_VERSION, ty];
        bytes.extend(body);
        let _ = wire::decode_message(&bytes);
    }

    #[test]
    fn table_agrees_with_a_hashmap_model(updates in proptest::collection::vec(update(), 0..60)) {
        let mut table = MigrationTable::<8>::new();
        let mut model = Model { capacity: 8, ..Model::default() };
        for u in &updates {
            let before = table_contents(&table);
            let got = table.apply(u);
            let want = model.apply(u);
            match (&got, &want) {
                (Ok(applied), Ok(evicted)) => {
                    prop_assert_eq!(applied.evicted.as_ref().map(|e| e.as_str().to_string()), evicted.clone());
                    if applied.change == Change::Inserted { prop_assert!(table.lookup(u.key()).is_some()); }
                }
                (Err(g), Err(w)) => {
                    prop_assert_eq!(g, w);
                    prop_assert_eq!(table_contents(&table), before, "a failed update changes nothing");
                }
                _ => prop_assert!(false, "table {:?} but model {:?} for {:?}", got, want, u),
            }
            prop_assert_eq!(table_contents(&table), model_contents(&model));
            for (k, (r, _)) in &model.map {
                prop_assert_eq!(table.lookup(k), Some(r));
            }
        }
    }
}

#[test]
fn non_canonical_varint_is_malformed() {
    let r = PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceId::new("sip:a@b").unwrap(),
        target: McServiceId::new("sip:c@d").unwrap(),
        e2ee_required: false,
        security_domain_info: None,
    };
    let mut buf = [0u8; 64];
    let n = r.encode(&mut buf).unwrap();
    let mut bytes = buf[..n].to_vec();
    // The calling party's length, 7, written as the two-byte varint 0x87 0x00.
    assert_eq!(bytes[3], 7);
    bytes[3] = 0x87;
    bytes.insert(4, 0x00);
    assert_eq!(wire::decode_message(&bytes), Err(DecodeError::Malformed));
    assert_eq!(
        PrivateCallRequest::decode(&bytes),
        Err(DecodeError::Malformed)
    );
}

proptest! {
    #[test]
    fn snapshot_restore_snapshot_is_identical(updates in proptest::collection::vec(update(), 0..40)) {
        let mut table = MigrationTable::<8>::new();
        for u in &updates {
            let _ = table.apply(u);
        }
        let mut first = vec![0u8; MigrationTable::<8>::MAX_SNAPSHOT_LEN];
        let n = table.snapshot(&mut first).unwrap();
        let mut restored = MigrationTable::<8>::new();
        restored.restore(&first[..n]).unwrap();
        prop_assert_eq!(table_contents(&restored), table_contents(&table));
        let mut second = vec![0u8; MigrationTable::<8>::MAX_SNAPSHOT_LEN];
        let m = restored.snapshot(&mut second).unwrap();
        prop_assert_eq!(&first[..n], &second[..m]);
        // The restored table evicts in the same order as the original.
        for k in 0..8u8 {
            let u = MigrationUpdate::Migrated {
                primary_id: McServiceId::new(&format!("sip:fill{k}@a.example")).unwrap(),
                partner_system: McSystemId::new("b.example").unwrap(),
                partner_id: McServiceId::new("sip:x@b.example").unwrap(),
                security_domain_info: None,
            };
            prop_assert_eq!(table.apply(&u), restored.apply(&u));
        }
    }

    #[test]
    fn restore_of_arbitrary_bytes_never_panics_and_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>()) {
        let mut table = MigrationTable::<8>::new();
        table.apply(&MigrationUpdate::Returned { primary_id: McServiceId::new("sip:a@b").unwrap() }).ok();
        table.apply(&MigrationUpdate::VisitorRegistered {
            local_id: McServiceId::new("sip:v@a").unwrap(),
            primary_id: McServiceId::new("sip:p@b").unwrap(),
            primary_system: McSystemId::new("b").unwrap(),
            primary_security_domain_info: None,
        }).unwrap();
        let before = table_contents(&table);
        let mut input = if prefix { b"MCXS\x02".to_vec() } else { Vec::new() };
        input.extend(bytes);
        if table.restore(&input).is_err() {
            prop_assert_eq!(table_contents(&table), before);
        }
    }
}
