//! The MC service server's part of the procedure: steps 2 and 3 of §10.16.5.3 at the primary MC
//! system, and the consecutive-migration paragraph at a partner MC system.

use core::convert::Infallible;

use crate::error::EncodeError;
use crate::id::{McServiceIdRef, RedirectionReason, SecurityDomainInfo};
use crate::log::debug;
use crate::message::{PrivateCallRedirection, PrivateCallRequest};
use crate::table::{MigrationLookup, Record, TryMigrationLookup, VisitorState};
use crate::wire::encode;

/// Why the server refuses a private call request instead of proceeding or redirecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RejectReason {
    /// The call requires end-to-end encryption and the target has migrated, but the migration
    /// table holds no security domain information for the ID to redirect to. A redirection
    /// without it is forbidden (NOTE under Table 10.16.y.2-1), so the call is rejected.
    SecurityDomainInfoUnavailable,
}

impl core::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RejectReason::SecurityDomainInfoUnavailable => {
                "end-to-end encryption required but no security domain information for the target"
            }
        })
    }
}

/// What the server does with a private call request. A redirection borrows its identifiers
/// from the request and from the migration table's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision<'a> {
    /// The target is served here (never migrated, returned, or visiting and present): continue
    /// with the normal private call procedure of TS 23.379 / 23.281 / 23.282.
    Proceed,
    /// Send this private call redirection to the calling client (step 3, or the
    /// consecutive-migration redirection home).
    Redirect(PrivateCallRedirection<'a>),
    /// Refuse the call.
    Reject(RejectReason),
}

/// Decides how the server answers `request`, from its migration table.
///
/// - Step 2–3: the target is a user of this (primary) system that migrated: redirect to the ID
///   the partner system assigned, reason [`RedirectionReason::TargetMigrated`]. If the request
///   requires end-to-end encryption, the security domain information from the table goes in
///   the redirection; without it the call is rejected with
///   [`RejectReason::SecurityDomainInfoUnavailable`], never redirected without it. When
///   end-to-end encryption is not required the information element is left out (step 3 adds it
///   only "if end-to-end encryption is required").
/// - Consecutive migration: the target is an ID this (partner) system assigned to a visitor who
///   has departed: redirect with the user's primary ID in IE 2 (the ID to call next) and the
///   dialled ID, which the user obtained from this migrated system and which is now stale, in
///   IE 3 (Table 10.16.y.2-1), reason [`RedirectionReason::TargetNoLongerServed`], with the
///   primary ID's security domain information under the same E2EE rule.
/// - Otherwise: [`Decision::Proceed`].
pub fn decide<'a, T: MigrationLookup + ?Sized>(
    table: &'a T,
    request: &PrivateCallRequest<'a>,
) -> Decision<'a> {
    infallible(try_decide(table, request))
}

/// [`decide`] over a store whose reads can fail: the same rules, and `Err` with the store's
/// error when it could not read the target's record. The server must then fail the call (it
/// knows neither whether the user migrated nor where to), not let it proceed.
pub fn try_decide<'a, T: TryMigrationLookup + ?Sized>(
    store: &'a T,
    request: &PrivateCallRequest<'a>,
) -> Result<Decision<'a>, T::Error> {
    let record = store.try_lookup(request.target)?;
    Ok(match route(record, request.e2ee_required) {
        Route::Proceed => Decision::Proceed,
        Route::Reject(reason) => Decision::Reject(reason),
        Route::Redirect {
            next,
            security_domain_info,
            reason,
        } => {
            let (target_primary, target_migrated) = target_ies(reason, request.target, next);
            Decision::Redirect(PrivateCallRedirection {
                service_kind: request.service_kind,
                calling_party: request.calling_party,
                target_primary,
                target_migrated,
                e2ee_required: request.e2ee_required,
                security_domain_info,
                reason: Some(reason),
            })
        }
    })
}

/// IE 2 and IE 3 of Table 10.16.y.2-1 for a redirection of a call to `dialled` whose next ID is
/// `next`. IE 2 is the target's ID from its primary MC system, IE 3 the ID it obtained from the
/// migrated MC system: at the primary system (step 3) the caller dialled the primary ID and
/// calls the partner-assigned one next; at a partner system that no longer serves the user
/// (consecutive migration) it dialled the partner-assigned ID and calls the primary one next.
/// Either way the redirection echoes the dialled ID, which is how the client knows it is its.
fn target_ies<T>(reason: RedirectionReason, dialled: T, next: T) -> (T, T) {
    match reason {
        RedirectionReason::TargetMigrated => (dialled, next),
        RedirectionReason::TargetNoLongerServed => (next, dialled),
    }
}

/// What [`decide_encode`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecisionOutcome {
    /// As [`Decision::Proceed`]; nothing was written.
    Proceed,
    /// As [`Decision::Redirect`]: the encoded private call redirection is the first this many
    /// bytes of the buffer.
    Redirected(usize),
    /// As [`Decision::Reject`]; nothing was written.
    Reject(RejectReason),
}

/// [`decide`], with a redirection encoded straight into `buf` (the wire format of
/// [`encode`]). The decision rules are those of [`decide`], and the redirection is the one it
/// returns.
///
/// Returns [`EncodeError::BufferTooSmall`] with the needed length when a redirection does not
/// fit (`PrivateCallRedirection::MAX_ENCODED_LEN` bytes always suffice); `buf` is then
/// unchanged. The table is never modified.
pub fn decide_encode<T: MigrationLookup + ?Sized>(
    table: &T,
    request: &PrivateCallRequest<'_>,
    buf: &mut [u8],
) -> Result<DecisionOutcome, EncodeError> {
    infallible(try_decide_encode(table, request, buf))
}

/// The value of a result over a store that cannot fail (a [`MigrationLookup`]).
fn infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// [`decide_encode`] over a store whose reads can fail ([`try_decide`]): `Err` with the
/// store's error when it could not read the target's record, and then nothing is written;
/// otherwise what [`decide_encode`] returns.
pub fn try_decide_encode<T: TryMigrationLookup + ?Sized>(
    store: &T,
    request: &PrivateCallRequest<'_>,
    buf: &mut [u8],
) -> Result<Result<DecisionOutcome, EncodeError>, T::Error> {
    Ok(match try_decide(store, request)? {
        Decision::Proceed => Ok(DecisionOutcome::Proceed),
        Decision::Reject(reason) => Ok(DecisionOutcome::Reject(reason)),
        Decision::Redirect(redirection) => {
            encode(&redirection, buf).map(DecisionOutcome::Redirected)
        }
    })
}

/// The decision, borrowing from the table.
enum Route<'t> {
    Proceed,
    Reject(RejectReason),
    Redirect {
        /// The ID to call next.
        next: McServiceIdRef<'t>,
        /// The security domain information to include: `Some` only when E2EE is required.
        security_domain_info: Option<SecurityDomainInfo<'t>>,
        reason: RedirectionReason,
    },
}

/// The rules of [`decide`] for a request whose target has `record`.
fn route(record: Option<Record<'_>>, e2ee_required: bool) -> Route<'_> {
    let (next, security_domain_info, reason) = match record {
        Some(Record::MigratedAway(migrated)) => (
            migrated.partner_id,
            migrated.security_domain_info,
            RedirectionReason::TargetMigrated,
        ),
        Some(Record::Visiting(visitor)) if visitor.state == VisitorState::Departed => (
            visitor.primary_id,
            visitor.primary_security_domain_info,
            RedirectionReason::TargetNoLongerServed,
        ),
        Some(Record::Visiting(_)) | None => {
            debug!("private call proceeds: target served here");
            return Route::Proceed;
        }
    };
    if e2ee_required && security_domain_info.is_none() {
        debug!("private call rejected: E2EE required, no security domain information");
        return Route::Reject(RejectReason::SecurityDomainInfoUnavailable);
    }
    // Step 3 adds the security domain information only "if end-to-end encryption is required".
    debug!("private call redirected");
    Route::Redirect {
        next,
        security_domain_info: if e2ee_required {
            security_domain_info
        } else {
            None
        },
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ServiceKind;
    use crate::table::ArrayTable;
    use crate::testutil::*;

    fn table_a(kms: Option<&str>) -> ArrayTable<1024> {
        let mut t = ArrayTable::EMPTY;
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, kms))
            .unwrap();
        t
    }

    fn table_b(state_departed: bool, kms: Option<&str>) -> ArrayTable<1024> {
        let mut t = ArrayTable::EMPTY;
        t.apply(&registered(USER2_AT_B, USER2_PRIMARY, kms))
            .unwrap();
        if state_departed {
            t.apply(&departed(USER2_AT_B)).unwrap();
        }
        t
    }

    #[test]
    fn step2_3_primary_redirects_a_call_to_a_migrated_user_to_the_partner_id() {
        for kind in ServiceKind::ALL {
            let req = request(kind, USER2_PRIMARY, false);
            let table = table_a(Some(KMS_B));
            let Decision::Redirect(r) = decide(&table, &req) else {
                panic!("{kind:?} not redirected")
            };
            assert_eq!(r.service_kind, kind);
            assert_eq!(r.calling_party, USER1);
            assert_eq!(r.target_primary, USER2_PRIMARY);
            assert_eq!(r.target_migrated, USER2_AT_B);
            assert_eq!(r.reason, Some(RedirectionReason::TargetMigrated));
            assert!(!r.e2ee_required);
            assert_eq!(
                r.security_domain_info, None,
                "only included when E2EE is required"
            );
        }
    }

    #[test]
    fn step3_with_e2ee_the_redirection_carries_the_security_domain_info() {
        for kind in ServiceKind::ALL {
            let table = table_a(Some(KMS_B));
            let Decision::Redirect(r) = decide(&table, &request(kind, USER2_PRIMARY, true)) else {
                panic!()
            };
            assert!(r.e2ee_required);
            assert_eq!(r.security_domain_info, Some(sdi(KMS_B)));
        }
    }

    #[test]
    fn note_e2ee_without_security_domain_info_is_rejected_never_redirected() {
        let req = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        assert_eq!(
            decide(&table_a(None), &req),
            Decision::Reject(RejectReason::SecurityDomainInfoUnavailable)
        );
        // Without E2EE the same table redirects.
        let req = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, false);
        assert!(matches!(
            decide(&table_a(None), &req),
            Decision::Redirect(_)
        ));
    }

    #[test]
    fn a_user_who_never_migrated_proceeds() {
        let req = request(ServiceKind::McdataOneToOne, "sip:user3@mc-a.example", true);
        assert_eq!(decide(&table_a(Some(KMS_B)), &req), Decision::Proceed);
        assert_eq!(decide(&ArrayTable::<64>::EMPTY, &req), Decision::Proceed);
    }

    #[test]
    fn partner_serves_a_present_visitor() {
        let req = request(ServiceKind::McvideoPrivateCall, USER2_AT_B, true);
        assert_eq!(decide(&table_b(false, None), &req), Decision::Proceed);
    }

    #[test]
    fn consecutive_migration_partner_sends_a_stale_call_home_naming_primary_in_ie2_dialled_in_ie3()
    {
        for kind in ServiceKind::ALL {
            let req = request(kind, USER2_AT_B, false);
            let table = table_b(true, Some(KMS_A));
            let Decision::Redirect(r) = decide(&table, &req) else {
                panic!()
            };
            assert_eq!(r.calling_party, USER1);
            assert_eq!(
                r.target_primary, USER2_PRIMARY,
                "IE 2: the target's ID from its primary system, the ID to call next"
            );
            assert_eq!(
                r.target_migrated, USER2_AT_B,
                "IE 3: the ID obtained from this migrated system, the stale ID dialled"
            );
            assert_eq!(r.reason, Some(RedirectionReason::TargetNoLongerServed));
            assert_eq!(r.security_domain_info, None);
        }
    }

    #[test]
    fn consecutive_migration_with_e2ee_carries_the_primary_security_domain_or_rejects() {
        let req = request(ServiceKind::McpttPrivateCall, USER2_AT_B, true);
        let table = table_b(true, Some(KMS_A));
        let Decision::Redirect(r) = decide(&table, &req) else {
            panic!()
        };
        assert_eq!(r.security_domain_info, Some(sdi(KMS_A)));
        assert_eq!(
            decide(&table_b(true, None), &req),
            Decision::Reject(RejectReason::SecurityDomainInfoUnavailable)
        );
    }

    #[test]
    fn returned_user_proceeds_at_the_primary_again() {
        let mut t = table_a(Some(KMS_B));
        t.apply(&crate::MigrationUpdate::Returned {
            primary_id: id(USER2_PRIMARY),
        })
        .unwrap();
        let req = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        assert_eq!(decide(&t, &req), Decision::Proceed);
    }

    #[test]
    fn decide_encode_writes_the_redirection_decide_gives() {
        let tables = [
            table_a(Some(KMS_B)),
            table_a(None),
            table_b(true, Some(KMS_A)),
            table_b(false, None),
        ];
        for table in &tables {
            for target in [USER2_PRIMARY, USER2_AT_B, "sip:user3@mc-a.example"] {
                for e2ee in [false, true] {
                    let req = request(ServiceKind::McvideoPrivateCall, target, e2ee);
                    let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
                    let outcome = decide_encode(table, &req, &mut buf).unwrap();
                    match (decide(table, &req), outcome) {
                        (Decision::Proceed, DecisionOutcome::Proceed) => {}
                        (Decision::Reject(a), DecisionOutcome::Reject(b)) => assert_eq!(a, b),
                        (Decision::Redirect(r), DecisionOutcome::Redirected(len)) => {
                            let decoded = buf.get(..len).unwrap();
                            assert_eq!(PrivateCallRedirection::decode(decoded).unwrap(), r);
                        }
                        (d, o) => panic!("{d:?} but {o:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn decide_encode_reports_the_length_a_short_buffer_needs() {
        let req = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        let table = table_a(Some(KMS_B));
        let Decision::Redirect(r) = decide(&table, &req) else {
            panic!()
        };
        let needed = r.encode(&mut [0u8; 1024]).unwrap();
        let mut short = [0u8; 8];
        assert_eq!(
            decide_encode(&table_a(Some(KMS_B)), &req, &mut short),
            Err(EncodeError::BufferTooSmall { needed })
        );
    }
}
