//! The users, MC systems and KMS URIs of Fig. 10.16.y.3-1, plus MC system C for consecutive
//! migration: the A/B/C network that the demo, the scenario tests, the benches, the fuzz pools
//! and the core's tests all use.
//!
//! The constants are plain `&str`, no core types, so that the core's *unit* tests (whose
//! `mcx_migrate` types are another copy than this crate's) can use them too
//! (`core/src/testutil.rs`). Typed builders for everyone else are in [`typed`].

/// MC service user 1, the calling party, of MC system A.
pub const USER1: &str = "sip:user1@mc-a.example";
/// MC service user 2's ID from its primary MC system A.
pub const USER2_PRIMARY: &str = "sip:user2@mc-a.example";
/// MC service user 2's ID assigned by partner MC system B.
pub const USER2_AT_B: &str = "sip:visitor-0042@mc-b.example";
/// MC service user 2's ID assigned by partner MC system C (consecutive migration).
pub const USER2_AT_C: &str = "sip:visitor-0007@mc-c.example";

/// MC system A, user 2's primary MC system.
pub const SYSTEM_A: &str = "mc-a.example";
/// Partner MC system B.
pub const SYSTEM_B: &str = "mc-b.example";
/// Partner MC system C.
pub const SYSTEM_C: &str = "mc-c.example";

/// The KMS URI of MC system A's security domain.
pub const KMS_A: &str = "https://kms.mc-a.example/kms";
/// The KMS URI of MC system B's security domain.
pub const KMS_B: &str = "https://kms.mc-b.example/kms";
/// The KMS URI of MC system C's security domain.
pub const KMS_C: &str = "https://kms.mc-c.example/kms";

/// Index of MC system A in [`NETWORK`].
pub const A: usize = 0;
/// Index of MC system B in [`NETWORK`].
pub const B: usize = 1;
/// Index of MC system C in [`NETWORK`].
pub const C: usize = 2;

/// One MC system of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetSystem {
    /// Its letter in the figure: "A", "B" or "C".
    pub letter: &'static str,
    /// Its MC system identity.
    pub domain: &'static str,
    /// The KMS URI of its security domain.
    pub kms: &'static str,
}

/// The A/B/C network, indexed by [`A`], [`B`] and [`C`].
pub const NETWORK: [NetSystem; 3] = [
    NetSystem {
        letter: "A",
        domain: SYSTEM_A,
        kms: KMS_A,
    },
    NetSystem {
        letter: "B",
        domain: SYSTEM_B,
        kms: KMS_B,
    },
    NetSystem {
        letter: "C",
        domain: SYSTEM_C,
        kms: KMS_C,
    },
];

/// The MC system identities, A, B, C.
pub const SYSTEMS: [&str; 3] = [SYSTEM_A, SYSTEM_B, SYSTEM_C];
/// The KMS URIs, A's, B's, C's.
pub const KMS_URIS: [&str; 3] = [KMS_A, KMS_B, KMS_C];

pub mod typed {
    //! The fixtures as core types, and builders of the messages the tests exchange. Fixture
    //! strings are valid: the builders panic on an invalid one (a test bug).

    use mcx_migrate::{
        McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, PrivateCallRequest,
        SecurityDomainInfo, ServiceKind,
    };

    use super::{SYSTEM_A, USER1};

    /// An MC service ID.
    pub fn id(s: &str) -> McServiceIdRef<'_> {
        McServiceIdRef::new(s).unwrap_or_else(|e| panic!("fixture ID {s:?}: {e}"))
    }

    /// An MC system identity.
    pub fn system(s: &str) -> McSystemIdRef<'_> {
        McSystemIdRef::new(s).unwrap_or_else(|e| panic!("fixture system {s:?}: {e}"))
    }

    /// Security domain information with KMS URI `s`.
    pub fn sdi(s: &str) -> SecurityDomainInfo<'_> {
        SecurityDomainInfo::new(s).unwrap_or_else(|e| panic!("fixture KMS URI {s:?}: {e}"))
    }

    /// Step 1: user 1 calls `target`.
    pub fn request(kind: ServiceKind, target: &str, e2ee: bool) -> PrivateCallRequest<'_> {
        PrivateCallRequest {
            service_kind: kind,
            calling_party: id(USER1),
            target: id(target),
            e2ee_required: e2ee,
            security_domain_info: None,
        }
    }

    /// Clause 10.6.3: `primary` migrated to `system_` as `partner`.
    pub fn migrated<'a>(
        primary: &'a str,
        system_: &'a str,
        partner: &'a str,
        kms: Option<&'a str>,
    ) -> MigrationUpdate<'a> {
        MigrationUpdate::Migrated(Migration {
            primary_id: id(primary),
            partner_system: system(system_),
            partner_id: id(partner),
            security_domain_info: kms.map(sdi),
        })
    }

    /// A visitor from MC system A registered here as `local`.
    pub fn registered<'a>(
        local: &'a str,
        primary: &'a str,
        kms: Option<&'a str>,
    ) -> MigrationUpdate<'a> {
        MigrationUpdate::VisitorRegistered {
            local_id: id(local),
            primary_id: id(primary),
            primary_system: system(SYSTEM_A),
            primary_security_domain_info: kms.map(sdi),
        }
    }

    /// The visitor registered as `local` departed.
    pub fn departed(local: &str) -> MigrationUpdate<'_> {
        MigrationUpdate::VisitorDeparted {
            local_id: id(local),
        }
    }
}
