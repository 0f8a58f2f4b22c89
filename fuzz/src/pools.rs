//! Small pools of valid identities, so that arbitrary input picks the same IDs often: keys
//! collide, tables fill up, redirections repeat (loops) and mismatch.

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use mcx_migrate::{KmsUriRef, McServiceIdRef, McSystemIdRef, SecurityDomainInfo, ServiceKind};
use mcx_testkit::fixtures;

/// MC service IDs (user 1 and user 2 of Fig. 10.16.y.3-1 among them, from the test kit): more than the table holds (8), so full-table paths are reached; both URI
/// schemes, one spelled with an upper-case scheme (IDs compare byte for byte).
pub const IDS: [&str; 12] = [
    fixtures::USER1,
    fixtures::USER2_PRIMARY,
    "sip:user3@mc-a.example",
    fixtures::USER2_AT_B,
    "sip:visitor-0043@mc-b.example",
    "tel:+4930555002",
    "sips:user2@mc-c.example",
    "SIP:user2@mc-a.example",
    "sip:u9@mc-a.example",
    "sip:u10@mc-a.example",
    "sip:u11@mc-a.example",
    "tel:+4930555012",
];

/// MC system identities: the A/B/C network's.
pub const SYSTEMS: [&str; 3] = fixtures::SYSTEMS;

/// KMS URIs (of security domain information): the A/B/C network's.
pub const KMS: [&str; 3] = fixtures::KMS_URIS;

/// The pools as borrowed identifiers, validated once per process: a fuzz step that needs an
/// identifier borrows it instead of validating and copying a fixed-capacity owned one.
struct Refs {
    ids: [McServiceIdRef<'static>; IDS.len()],
    systems: [McSystemIdRef<'static>; SYSTEMS.len()],
    kms: [KmsUriRef<'static>; KMS.len()],
}

static REFS: LazyLock<Refs> = LazyLock::new(|| Refs {
    ids: IDS.map(|s| McServiceIdRef::new(s).expect("pool IDs are valid")),
    systems: SYSTEMS.map(|s| McSystemIdRef::new(s).expect("pool systems are valid")),
    kms: KMS.map(|s| KmsUriRef::new(s).expect("pool URIs are valid")),
});

/// The pool index of an ID, if it is one of [`IDS`].
pub fn id_index(id: &str) -> Option<usize> {
    IDS.iter().position(|s| *s == id)
}

/// An index into the ID pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Id(pub u8);

impl Id {
    /// Number of distinct IDs.
    pub const COUNT: usize = IDS.len();

    /// The pool entry spelled `id`, if any.
    pub fn of(id: &str) -> Option<Id> {
        Some(Id(u8::try_from(id_index(id)?).ok()?))
    }

    /// Its position in [`IDS`].
    pub fn index(self) -> usize {
        usize::from(self.0) % IDS.len()
    }

    /// The ID, borrowed.
    pub fn id_ref(self) -> McServiceIdRef<'static> {
        REFS.ids[self.index()]
    }

    /// The ID as text.
    pub fn as_str(self) -> &'static str {
        IDS[self.index()]
    }
}

/// An index into the MC system pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct System(pub u8);

impl System {
    /// The MC system identity as text.
    pub fn as_str(self) -> &'static str {
        SYSTEMS[usize::from(self.0) % SYSTEMS.len()]
    }

    /// The MC system identity, borrowed.
    pub fn system_ref(self) -> McSystemIdRef<'static> {
        REFS.systems[usize::from(self.0) % SYSTEMS.len()]
    }
}

/// An index into the KMS URI pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Kms(pub u8);

impl Kms {
    /// Security domain information with that KMS URI.
    pub fn sdi(self) -> SecurityDomainInfo<'static> {
        SecurityDomainInfo {
            kms_uri: REFS.kms[usize::from(self.0) % KMS.len()],
        }
    }

    /// The pool entry spelled `uri`, if any.
    pub fn of(uri: &str) -> Option<Kms> {
        Some(Kms(u8::try_from(KMS.iter().position(|k| *k == uri)?).ok()?))
    }

    /// The KMS URI as text.
    pub fn uri(self) -> &'static str {
        KMS[usize::from(self.0) % KMS.len()]
    }
}

/// A service kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Kind(pub u8);

impl Kind {
    /// The kind.
    pub fn kind(self) -> ServiceKind {
        ServiceKind::ALL[usize::from(self.0) % ServiceKind::ALL.len()]
    }
}
