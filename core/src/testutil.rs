//! Fixtures shared by the unit tests: the users and systems of Fig. 10.16.y.3-1, from the test
//! kit (`mcx_testkit::fixtures`, plain `&str`: its typed builders would be another copy of this
//! crate's types, so the few below are the unit tests' own).

use crate::{
    McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, PrivateCallRequest,
    SecurityDomainInfo, ServiceKind,
};

pub use mcx_testkit::fixtures::{
    KMS_A, KMS_B, KMS_C, SYSTEM_A, SYSTEM_B, SYSTEM_C, USER1, USER2_AT_B, USER2_PRIMARY,
};

/// User 2's ID at MC system C in the unit tests: a `tel:` URI (the kit's `USER2_AT_C` is a
/// `sip:` one), so that both schemes are covered; table/tests.rs sizes storages to the byte
/// around its length.
pub const USER2_AT_C_TEL: &str = "tel:+4930555002";

pub fn id(s: &str) -> McServiceIdRef<'_> {
    McServiceIdRef::new(s).unwrap()
}

pub fn system(s: &str) -> McSystemIdRef<'_> {
    McSystemIdRef::new(s).unwrap()
}

pub fn sdi(s: &str) -> SecurityDomainInfo<'_> {
    SecurityDomainInfo::new(s).unwrap()
}

/// A test's string that lives as long as the test process: messages borrow their identifiers.
pub fn leak(s: std::string::String) -> &'static str {
    s.leak()
}

pub fn request(kind: ServiceKind, target: &str, e2ee: bool) -> PrivateCallRequest<'_> {
    PrivateCallRequest {
        service_kind: kind,
        calling_party: id(USER1),
        target: id(target),
        e2ee_required: e2ee,
        security_domain_info: None,
    }
}

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

pub fn departed(local: &str) -> MigrationUpdate<'_> {
    MigrationUpdate::VisitorDeparted {
        local_id: id(local),
    }
}

/// `n` distinct valid IDs.
pub fn nth_id(n: usize) -> McServiceIdRef<'static> {
    id(leak(std::format!("sip:n{n}@mc-a.example")))
}
