//! Small pools of valid identities, so that arbitrary input picks the same IDs often: keys
//! collide, tables fill up, redirections repeat (loops) and mismatch.

use arbitrary::Arbitrary;
use mcx_migrate::{McServiceId, McSystemId, SecurityDomainInfo, ServiceKind};

/// MC service IDs: more than the table holds (8), so full-table paths are reached; both URI
/// schemes, one spelled with an upper-case scheme (IDs compare byte for byte).
pub const IDS: [&str; 12] = [
    "sip:user1@mc-a.example",
    "sip:user2@mc-a.example",
    "sip:user3@mc-a.example",
    "sip:visitor-0042@mc-b.example",
    "sip:visitor-0043@mc-b.example",
    "tel:+4930555002",
    "sips:user2@mc-c.example",
    "SIP:user2@mc-a.example",
    "sip:u9@mc-a.example",
    "sip:u10@mc-a.example",
    "sip:u11@mc-a.example",
    "tel:+4930555012",
];

/// MC system identities.
pub const SYSTEMS: [&str; 3] = ["mc-a.example", "mc-b.example", "mc-c.example"];

/// KMS URIs (of security domain information).
pub const KMS: [&str; 3] = [
    "https://kms.mc-a.example/kms",
    "https://kms.mc-b.example/kms",
    "https://kms.mc-c.example/kms",
];

/// An index into the ID pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Id(pub u8);

impl Id {
    /// Number of distinct IDs.
    pub const COUNT: usize = IDS.len();

    /// The ID.
    pub fn id(self) -> McServiceId {
        McServiceId::new(IDS[usize::from(self.0) % IDS.len()]).expect("pool IDs are valid")
    }
}

/// An index into the MC system pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct System(pub u8);

impl System {
    /// The MC system identity.
    pub fn system(self) -> McSystemId {
        McSystemId::new(SYSTEMS[usize::from(self.0) % SYSTEMS.len()])
            .expect("pool systems are valid")
    }
}

/// An index into the KMS URI pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Kms(pub u8);

impl Kms {
    /// Security domain information with that KMS URI.
    pub fn sdi(self) -> SecurityDomainInfo {
        SecurityDomainInfo::new(KMS[usize::from(self.0) % KMS.len()]).expect("pool URIs are valid")
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
