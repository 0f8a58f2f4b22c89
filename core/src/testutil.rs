//! Fixtures shared by the unit tests: the users and systems of Fig. 10.16.y.3-1.

use crate::{
    McServiceId, McSystemId, MigrationUpdate, PrivateCallRequest, SecurityDomainInfo, ServiceKind,
};

pub const USER1: &str = "sip:user1@mc-a.example";
pub const USER2_PRIMARY: &str = "sip:user2@mc-a.example";
pub const USER2_AT_B: &str = "sip:visitor-0042@mc-b.example";
pub const USER2_AT_C: &str = "tel:+4930555002";
pub const SYSTEM_A: &str = "mc-a.example";
pub const SYSTEM_B: &str = "mc-b.example";
pub const SYSTEM_C: &str = "mc-c.example";
pub const KMS_A: &str = "https://kms.mc-a.example/kms";
pub const KMS_B: &str = "https://kms.mc-b.example/kms";
pub const KMS_C: &str = "https://kms.mc-c.example/kms";

pub fn id(s: &str) -> McServiceId {
    McServiceId::new(s).unwrap()
}

pub fn system(s: &str) -> McSystemId {
    McSystemId::new(s).unwrap()
}

pub fn sdi(s: &str) -> SecurityDomainInfo {
    SecurityDomainInfo::new(s).unwrap()
}

pub fn request(kind: ServiceKind, target: &str, e2ee: bool) -> PrivateCallRequest {
    PrivateCallRequest {
        service_kind: kind,
        calling_party: id(USER1),
        target: id(target),
        e2ee_required: e2ee,
        security_domain_info: None,
    }
}

pub fn migrated(primary: &str, system_: &str, partner: &str, kms: Option<&str>) -> MigrationUpdate {
    MigrationUpdate::Migrated {
        primary_id: id(primary),
        partner_system: system(system_),
        partner_id: id(partner),
        security_domain_info: kms.map(sdi),
    }
}

pub fn registered(local: &str, primary: &str, kms: Option<&str>) -> MigrationUpdate {
    MigrationUpdate::VisitorRegistered {
        local_id: id(local),
        primary_id: id(primary),
        primary_system: system(SYSTEM_A),
        primary_security_domain_info: kms.map(sdi),
    }
}

pub fn departed(local: &str) -> MigrationUpdate {
    MigrationUpdate::VisitorDeparted {
        local_id: id(local),
    }
}

/// `n` distinct valid IDs.
pub fn nth_id(n: usize) -> McServiceId {
    id(&std::format!("sip:n{n}@mc-a.example"))
}
