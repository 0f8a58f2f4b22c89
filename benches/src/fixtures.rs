//! The users and MC systems of Fig. 10.16.y.3-1, and migration tables / `HashMap`s filled with
//! the same keys and records.
//!
//! Table members are `sip:member-NNNN@mc-a.example` (primary MC system A), each migrated to MC
//! system B as `sip:visitor-NNNN@mc-b.example` with B's KMS as security domain information.
//! MC service user 2 is member 42.

use std::collections::HashMap;

use mcx_migrate::table::{MigratedRecord, MigrationTable, Record};
use mcx_migrate::{
    McServiceId, McSystemId, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
    RedirectionReason, SecurityDomainInfo, ServiceKind,
};

/// MC service user 1, the caller, at its primary MC system A.
pub const USER1: &str = "sip:user1@mc-a.example";
/// MC service user 2's ID from its primary MC system A (table member 42).
pub const USER2_PRIMARY: &str = "sip:member-0042@mc-a.example";
/// MC service user 2's ID assigned by partner MC system B.
pub const USER2_AT_B: &str = "sip:visitor-0042@mc-b.example";
/// Partner MC system B.
pub const SYSTEM_B: &str = "mc-b.example";
/// The KMS URI of MC system B's security domain.
pub const KMS_B: &str = "https://kms.mc-b.example/kms";
/// Index of user 2 among the table members.
pub const USER2_INDEX: usize = 42;

fn id(s: &str) -> McServiceId {
    McServiceId::new(s).unwrap_or_else(|e| panic!("fixture ID {s:?}: {e}"))
}

/// The primary MC service ID of table member `i`.
pub fn member_primary(i: usize) -> String {
    format!("sip:member-{i:04}@mc-a.example")
}

/// The MC service ID partner system B assigned to table member `i`.
pub fn member_at_b(i: usize) -> String {
    format!("sip:visitor-{i:04}@mc-b.example")
}

/// Step 1: user 1 calls user 2's primary ID, an MCPTT private call.
pub fn request(e2ee_required: bool) -> PrivateCallRequest {
    PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(USER1),
        target: id(USER2_PRIMARY),
        e2ee_required,
        security_domain_info: None,
    }
}

/// Step 3: the private call redirection server A sends for [`request`]. With security domain
/// information when `with_security_domain_info` (E2EE required, NOTE under Table 10.16.y.2-1),
/// without it otherwise.
pub fn redirection(with_security_domain_info: bool) -> PrivateCallRedirection {
    PrivateCallRedirection {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(USER1),
        target_primary: id(USER2_PRIMARY),
        target_migrated: id(USER2_AT_B),
        e2ee_required: with_security_domain_info,
        security_domain_info: with_security_domain_info.then(|| {
            SecurityDomainInfo::new(KMS_B).unwrap_or_else(|e| panic!("fixture KMS URI: {e}"))
        }),
        reason: Some(RedirectionReason::TargetMigrated),
    }
}

/// The migration record of table member `i`: migrated to B with B's security domain info.
pub fn member_record(i: usize) -> Record {
    Record::MigratedAway(MigratedRecord {
        partner_system: McSystemId::new(SYSTEM_B).unwrap_or_else(|e| panic!("fixture: {e}")),
        partner_id: id(&member_at_b(i)),
        security_domain_info: Some(
            SecurityDomainInfo::new(KMS_B).unwrap_or_else(|e| panic!("fixture: {e}")),
        ),
    })
}

/// The migration update (clause 10.6.3) that records table member `i` as migrated to B.
pub fn member_update(i: usize) -> MigrationUpdate {
    let Record::MigratedAway(r) = member_record(i) else {
        unreachable!("member_record builds a migrated-away record")
    };
    MigrationUpdate::Migrated {
        primary_id: id(&member_primary(i)),
        partner_system: r.partner_system,
        partner_id: r.partner_id,
        security_domain_info: r.security_domain_info,
    }
}

/// A migration table holding members `0..n`, on the heap: a table of a few thousand records is
/// megabytes (see [`table_bytes`]), too large for a test thread's stack.
///
/// Panics if `n > N`.
pub fn table<const N: usize>(n: usize) -> Box<MigrationTable<N>> {
    let mut table = Box::new(MigrationTable::<N>::new());
    for i in 0..n {
        table
            .apply(&member_update(i))
            .unwrap_or_else(|e| panic!("filling member {i}: {e}"));
    }
    table
}

/// A `std::collections::HashMap` with the same keys and records as [`table`]`(n)`.
pub fn hash_map(n: usize) -> HashMap<String, Record> {
    (0..n)
        .map(|i| (member_primary(i), member_record(i)))
        .collect()
}

/// `size_of::<MigrationTable<N>>()`.
pub const fn table_bytes<const N: usize>() -> usize {
    core::mem::size_of::<MigrationTable<N>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_hash_map_hold_the_same_records() {
        let t = table::<16>(16);
        let m = hash_map(16);
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            assert_eq!(t.lookup(k), Some(v));
        }
    }

    #[test]
    fn user2_is_a_table_member() {
        assert_eq!(member_primary(USER2_INDEX), USER2_PRIMARY);
        assert_eq!(member_at_b(USER2_INDEX), USER2_AT_B);
    }
}
