//! The calling MC service client's part of the procedure: steps 1, 3 and 5 of §10.16.5.3 and
//! the consecutive-migration paragraph.

use core::mem::MaybeUninit;

use crate::error::RedirectionError;
use crate::id::SecurityDomainInfo;
use crate::id::{KmsUri, McServiceId, McServiceIdRef, RedirectionReason, ServiceKind};
use crate::log::debug;
use crate::message::{PrivateCallRedirection, PrivateCallRequest};

/// Default cap on redirections of one call.
///
/// The longest chain the specification produces is three redirections: the primary system sends
/// the caller to partner B (step 3); B, which no longer serves the user, sends the caller home
/// (consecutive migration); the primary system sends it on to partner C. A fourth allows for the
/// user moving once more while the caller re-initiates. Anything longer is treated as a fault;
/// genuine loops are caught earlier by the repeated-edge check.
pub const DEFAULT_MAX_REDIRECTIONS: usize = 4;

/// One outgoing private call of a calling MC service client, across its redirections. Fixed
/// size, no heap: the call outlives the buffers its messages come in, so it keeps its own copy
/// of the outstanding request's identifiers, and up to `MAX_REDIRECTIONS` released target IDs
/// to detect loops.
///
/// ```
/// use mcx_migrate::{client::PrivateCall, McServiceIdRef, PrivateCallRequest, ServiceKind};
/// # fn main() -> Result<(), mcx_migrate::IdError> {
/// let call: PrivateCall = PrivateCall::start(PrivateCallRequest {
///     service_kind: ServiceKind::McpttPrivateCall,
///     calling_party: McServiceIdRef::new("sip:user1@mc-a.example")?,
///     target: McServiceIdRef::new("sip:user2@mc-a.example")?,
///     e2ee_required: false,
///     security_domain_info: None,
/// });
/// assert_eq!(call.request().target.as_str(), "sip:user2@mc-a.example");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
// The small fields first, where the firmware reaches them with short instructions; the
// padding is the same two bytes as in any field order.
#[repr(C)]
pub struct PrivateCall<const MAX_REDIRECTIONS: usize = DEFAULT_MAX_REDIRECTIONS> {
    /// How many slots of `released` hold a released target.
    redirections: usize,
    /// The outstanding request's service kind.
    service_kind: ServiceKind,
    /// Whether the call requires end-to-end encryption.
    e2ee_required: bool,
    /// The outstanding request's calling party (this client's user).
    calling_party: McServiceId,
    /// The outstanding request's target: the ID this call calls now.
    target: McServiceId,
    /// The KMS URI of the security domain information the outstanding request carries; empty
    /// when it carries none (a KMS URI is never empty).
    kms_uri: KmsUri,
    /// The targets released so far, in order, in the first `redirections` slots; with the
    /// current target they form the chain of redirection edges
    /// `released[i] -> released[i + 1] -> ... -> target`. The other slots are empty, so calls
    /// with the same chain compare equal. Each slot is written in place when its target is
    /// released: a C caller's storage keeps every byte defined, and no empty ID is copied in.
    released: [McServiceId; MAX_REDIRECTIONS],
}

impl<const MAX_REDIRECTIONS: usize> core::fmt::Debug for PrivateCall<MAX_REDIRECTIONS> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateCall")
            .field("service_kind", &self.service_kind)
            .field("calling_party", &self.calling_party)
            .field("target", &self.target)
            .field("e2ee_required", &self.e2ee_required)
            .field("kms_uri", &self.kms_uri())
            .field("released", &self.released())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<const MAX_REDIRECTIONS: usize> defmt::Format for PrivateCall<MAX_REDIRECTIONS> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "PrivateCall {{ service_kind: {}, calling_party: {}, target: {}, e2ee_required: {}, kms_uri: {}, released: {} }}",
            self.service_kind,
            self.calling_party,
            self.target,
            self.e2ee_required,
            self.kms_uri(),
            self.released(),
        )
    }
}

impl<const MAX_REDIRECTIONS: usize> PrivateCall<MAX_REDIRECTIONS> {
    /// Step 1: starts a call with `request`, whose target is the ID the user dialled (the
    /// target's ID from its primary MC system, or one a partner system assigned).
    pub fn start(request: PrivateCallRequest<'_>) -> Self {
        let mut call = Self::PLACEHOLDER;
        call.set_request(&request);
        call
    }

    /// Step 1 as [`start`](Self::start), building the call straight into `slot`, whatever it
    /// held (uninitialised memory too, e.g. storage a C caller owns), and borrowing it: no call
    /// is staged on the stack, which matters to a small firmware stack (a call is close to
    /// 1 KiB).
    pub fn start_at<'s>(
        slot: &'s mut MaybeUninit<Self>,
        request: &PrivateCallRequest<'_>,
    ) -> &'s mut Self {
        let call = slot.write(Self::PLACEHOLDER);
        call.set_request(request);
        call
    }

    /// What [`start`](Self::start) and [`start_at`](Self::start_at) write before they fill the
    /// call in: its identifiers are empty (invalid), so it stays private to this module.
    const PLACEHOLDER: Self = Self {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceId::EMPTY,
        target: McServiceId::EMPTY,
        e2ee_required: false,
        kms_uri: KmsUri::EMPTY,
        released: [McServiceId::EMPTY; MAX_REDIRECTIONS],
        redirections: 0,
    };

    /// Step 1 as [`start`](Self::start), overwriting this call in place with a call of
    /// `request`, whatever it held: no second call is staged on the stack.
    pub fn start_in_place(&mut self, request: &PrivateCallRequest<'_>) {
        self.released = [McServiceId::EMPTY; MAX_REDIRECTIONS];
        self.redirections = 0;
        self.set_request(request);
    }

    /// Makes `request` the outstanding request of a call that has followed no redirection, in
    /// place. The released slots and their count are left as they are: empty already in a new
    /// call.
    fn set_request(&mut self, request: &PrivateCallRequest<'_>) {
        self.service_kind = request.service_kind;
        self.calling_party.set_borrowed(request.calling_party);
        self.target.set_borrowed(request.target);
        self.e2ee_required = request.e2ee_required;
        self.set_kms_uri(request.security_domain_info);
    }

    /// The request to send now: the first one, or the one that replaced it after the last
    /// redirection. It borrows the call's identifiers.
    pub fn request(&self) -> PrivateCallRequest<'_> {
        PrivateCallRequest {
            service_kind: self.service_kind,
            calling_party: self.calling_party.as_borrowed(),
            target: self.target.as_borrowed(),
            e2ee_required: self.e2ee_required,
            security_domain_info: self.kms_uri().map(|kms_uri| SecurityDomainInfo {
                kms_uri: kms_uri.as_borrowed(),
            }),
        }
    }

    /// The KMS URI of the outstanding request's security domain information, if it carries
    /// any.
    fn kms_uri(&self) -> Option<&KmsUri> {
        (!self.kms_uri.is_empty()).then_some(&self.kms_uri)
    }

    /// Makes `sdi` the security domain information of the outstanding request, overwriting the
    /// KMS URI in place: no second one is staged on the stack.
    fn set_kms_uri(&mut self, sdi: Option<SecurityDomainInfo<'_>>) {
        match sdi {
            Some(sdi) => self.kms_uri.set_borrowed(sdi.kms_uri),
            None => self.kms_uri.set_validated(""),
        }
    }

    /// How many redirections this call has followed.
    pub fn redirections(&self) -> usize {
        self.redirections
    }

    /// The targets released so far, in order.
    fn released(&self) -> &[McServiceId] {
        self.released.get(..self.redirections).unwrap_or_default()
    }

    /// The most redirections this call follows.
    pub const fn max_redirections(&self) -> usize {
        MAX_REDIRECTIONS
    }

    /// Steps 3 and 5: handles a private call redirection received for this call, e.g. straight
    /// from [`PrivateCallRedirection::decode`].
    ///
    /// Checks, in this order, that the redirection belongs to the call (same service kind,
    /// calling party is this client, and it names the ID this call just called: IE 2, the
    /// target's ID from its primary MC system, for a "target migrated" redirection; IE 3, the
    /// ID from the migrated MC system, for a "no longer served" one; either without a reason),
    /// that it does not downgrade end-to-end encryption
    /// (E2EE still required and security domain information present when the call requires
    /// it), that it does not repeat an earlier redirection (same ID redirected to the same ID:
    /// a loop) and that the call has redirections left. Then it releases the outstanding
    /// request and returns its replacement towards the other ID the redirection names,
    /// carrying the security domain information when E2EE is required (step 5).
    ///
    /// On `Err` the call is unchanged and the outstanding request stays outstanding.
    pub fn on_redirection(
        &mut self,
        redirection: &PrivateCallRedirection<'_>,
    ) -> Result<PrivateCallRequest<'_>, RedirectionError> {
        self.follow_redirection(redirection)?;
        Ok(self.request())
    }

    /// [`on_redirection`](Self::on_redirection) without returning the new request, for a
    /// caller that reads it later with [`request`](Self::request) (the C API): the request is
    /// then not built for nothing.
    pub fn follow_redirection(
        &mut self,
        redirection: &PrivateCallRedirection<'_>,
    ) -> Result<(), RedirectionError> {
        if redirection.service_kind != self.service_kind {
            return Err(RedirectionError::MismatchedServiceKind);
        }
        if self.calling_party != redirection.calling_party {
            return Err(RedirectionError::MismatchedCallingParty);
        }
        let to = self
            .next_target(redirection)
            .ok_or(RedirectionError::MismatchedTarget)?;
        if self.e2ee_required
            && (!redirection.e2ee_required || redirection.security_domain_info.is_none())
        {
            return Err(RedirectionError::E2eeDowngrade);
        }
        if self.follows_edge(to) {
            return Err(RedirectionError::RedirectionLoop);
        }
        // Recording the released target is the first change; if there is no room, nothing
        // changed.
        let n = self.redirections;
        let Some(released) = self.released.get_mut(n) else {
            return Err(RedirectionError::TooManyRedirections);
        };
        // Slot `n` exists, so `n + 1` is at most `MAX_REDIRECTIONS`: no wrap.
        self.redirections = n.wrapping_add(1);
        released.set_validated(self.target.as_str());
        self.target.set_borrowed(to);
        self.set_kms_uri(if self.e2ee_required {
            redirection.security_domain_info
        } else {
            None
        });
        debug!("private call redirection followed");
        Ok(())
    }

    /// The ID to call next, if the redirection answers the request outstanding now: it must
    /// name the ID this call just called, and then the other target ID is the one to call.
    ///
    /// Table 10.16.y.2-1 gives the redirection two target IDs: IE 2, the ID from the target's
    /// primary MC system, and IE 3, the ID from the MC system it migrated to. At step 3 the
    /// caller called the primary ID: IE 2 echoes it and IE 3 is the ID to call. In consecutive
    /// migration the caller called the partner-assigned ID, now stale: the partner system
    /// echoes it in IE 3 and IE 2 is the primary ID to call. So the client never needs to know
    /// beforehand whether the ID it calls is a primary or a partner-assigned one. The optional
    /// reason (IE 5), when present, says which of the two shapes this is; without it, whichever
    /// IE names the called ID decides.
    fn next_target<'r>(
        &self,
        redirection: &PrivateCallRedirection<'r>,
    ) -> Option<McServiceIdRef<'r>> {
        let (primary, migrated) = (redirection.target_primary, redirection.target_migrated);
        // The step 3 shape (IE 2 echoes the called ID) unless the reason names the other one,
        // then the consecutive-migration shape (IE 3 echoes it) unless the reason names the
        // step 3 one. Compared as bytes: a borrowed ID's `as_str` checks UTF-8 again.
        if redirection.reason != Some(RedirectionReason::TargetNoLongerServed)
            && self.target == primary
        {
            return Some(migrated);
        }
        (redirection.reason != Some(RedirectionReason::TargetMigrated) && self.target == migrated)
            .then_some(primary)
    }

    /// Whether `target -> to` is an edge this call already followed, or a redirection to the
    /// ID just called. The chain's last edge ends at the current target, so it could only
    /// match a redirection to the ID just called: only the edges between released targets are
    /// left to check.
    fn follows_edge(&self, to: McServiceIdRef<'_>) -> bool {
        self.target == to
            || self
                .released()
                .windows(2)
                .any(|edge| matches!(edge, [from, next] if *from == self.target.as_borrowed() && *next == to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{RedirectionReason, ServiceKind};
    use crate::testutil::*;

    /// The primary system's redirection (step 3): IE 2 echoes the primary ID the caller
    /// called, IE 3 is the ID the partner system assigned.
    fn migrated_to<'a>(
        kind: ServiceKind,
        to: &'a str,
        kms: Option<&'a str>,
    ) -> PrivateCallRedirection<'a> {
        PrivateCallRedirection {
            service_kind: kind,
            calling_party: id(USER1),
            target_primary: id(USER2_PRIMARY),
            target_migrated: id(to),
            e2ee_required: kms.is_some(),
            security_domain_info: kms.map(sdi),
            reason: Some(RedirectionReason::TargetMigrated),
        }
    }

    /// A partner system's redirection home (consecutive migration): IE 2 is the primary ID to
    /// call next, IE 3 echoes the partner-assigned ID the caller called, now stale.
    fn home_from<'a>(
        kind: ServiceKind,
        stale: &'a str,
        kms: Option<&'a str>,
    ) -> PrivateCallRedirection<'a> {
        PrivateCallRedirection {
            target_migrated: id(stale),
            reason: Some(RedirectionReason::TargetNoLongerServed),
            ..migrated_to(kind, stale, kms)
        }
    }

    fn start(kind: ServiceKind, e2ee: bool) -> PrivateCall {
        PrivateCall::start(request(kind, USER2_PRIMARY, e2ee))
    }

    #[test]
    fn step1_the_first_request_targets_the_primary_id() {
        let call = start(ServiceKind::McpttPrivateCall, false);
        assert_eq!(call.request().target, USER2_PRIMARY);
        assert_eq!(call.redirections(), 0);
        assert_eq!(call.max_redirections(), DEFAULT_MAX_REDIRECTIONS);
    }

    #[test]
    fn step3_5_client_releases_and_calls_the_partner_id() {
        for kind in ServiceKind::ALL {
            let mut call = start(kind, false);
            let next = call
                .on_redirection(&migrated_to(kind, USER2_AT_B, None))
                .unwrap();
            assert_eq!(next.target, USER2_AT_B);
            assert_eq!(next.service_kind, kind);
            assert_eq!(next.calling_party, USER1);
            assert_eq!(next.security_domain_info, None);
            assert_eq!(
                call.request(),
                request(kind, USER2_AT_B, false),
                "the old request is released, the new one outstanding"
            );
            assert_eq!(call.redirections(), 1);
        }
    }

    #[test]
    fn step5_with_e2ee_the_new_request_carries_the_security_domain_info() {
        let mut call = start(ServiceKind::McvideoPrivateCall, true);
        let next = call
            .on_redirection(&migrated_to(
                ServiceKind::McvideoPrivateCall,
                USER2_AT_B,
                Some(KMS_B),
            ))
            .unwrap();
        assert!(next.e2ee_required);
        assert_eq!(next.security_domain_info, Some(sdi(KMS_B)));
    }

    #[test]
    fn step5_without_e2ee_no_security_domain_info_is_carried() {
        let mut call = start(ServiceKind::McpttPrivateCall, false);
        let mut r = migrated_to(ServiceKind::McpttPrivateCall, USER2_AT_B, Some(KMS_B));
        r.e2ee_required = false;
        assert_eq!(call.on_redirection(&r).unwrap().security_domain_info, None);
    }

    fn refused(call: &mut PrivateCall, r: &PrivateCallRedirection, expected: RedirectionError) {
        let before = call.clone();
        assert_eq!(call.on_redirection(r), Err(expected));
        assert_eq!(
            call, &before,
            "a refused redirection leaves the call unchanged"
        );
    }

    #[test]
    fn a_redirection_for_another_calling_party_is_refused() {
        let mut call = start(ServiceKind::McpttPrivateCall, false);
        let mut r = migrated_to(ServiceKind::McpttPrivateCall, USER2_AT_B, None);
        r.calling_party = id("sip:mallory@mc-x.example");
        refused(&mut call, &r, RedirectionError::MismatchedCallingParty);
    }

    #[test]
    fn a_redirection_that_does_not_name_the_called_id_is_refused() {
        let mut call = start(ServiceKind::McpttPrivateCall, false);
        let mut r = migrated_to(ServiceKind::McpttPrivateCall, USER2_AT_B, None);
        r.target_primary = id("sip:user3@mc-a.example");
        refused(&mut call, &r, RedirectionError::MismatchedTarget);
        r.reason = None;
        refused(&mut call, &r, RedirectionError::MismatchedTarget);
    }

    #[test]
    fn a_redirection_for_another_service_is_refused() {
        let mut call = start(ServiceKind::McpttPrivateCall, false);
        let r = migrated_to(ServiceKind::McdataOneToOne, USER2_AT_B, None);
        refused(&mut call, &r, RedirectionError::MismatchedServiceKind);
    }

    #[test]
    fn note_an_e2ee_downgrade_is_refused() {
        let mut call = start(ServiceKind::McpttPrivateCall, true);
        let r = migrated_to(ServiceKind::McpttPrivateCall, USER2_AT_B, None);
        refused(&mut call, &r, RedirectionError::E2eeDowngrade);
    }

    #[test]
    fn consecutive_migration_a_to_b_home_to_a_then_c_is_followed() {
        let kind = ServiceKind::McdataOneToOne;
        let mut call = start(kind, true);
        call.on_redirection(&migrated_to(kind, USER2_AT_B, Some(KMS_B)))
            .unwrap();
        // B no longer serves user 2: it echoes the ID called there in IE 3 and names the
        // primary ID in IE 2.
        let next = call
            .on_redirection(&home_from(kind, USER2_AT_B, Some(KMS_A)))
            .unwrap();
        assert_eq!(next.target, USER2_PRIMARY);
        assert_eq!(next.security_domain_info, Some(sdi(KMS_A)));
        // A sends it on to C.
        let next = call
            .on_redirection(&migrated_to(kind, USER2_AT_C_TEL, Some(KMS_C)))
            .unwrap();
        assert_eq!(next.target, USER2_AT_C_TEL);
        assert_eq!(next.security_domain_info, Some(sdi(KMS_C)));
        assert_eq!(call.redirections(), 3);
    }

    #[test]
    fn a_call_to_a_cached_partner_id_is_sent_home_without_knowing_the_primary_id() {
        for reason in [Some(RedirectionReason::TargetNoLongerServed), None] {
            let kind = ServiceKind::McpttPrivateCall;
            let mut call: PrivateCall = PrivateCall::start(request(kind, USER2_AT_B, false));
            let mut home = home_from(kind, USER2_AT_B, None);
            home.reason = reason;
            assert_eq!(call.on_redirection(&home).unwrap().target, USER2_PRIMARY);
            let next = call.on_redirection(&migrated_to(kind, USER2_AT_C_TEL, None));
            assert_eq!(next.unwrap().target, USER2_AT_C_TEL);
        }
    }

    #[test]
    fn a_target_migrated_redirection_must_echo_the_called_id_in_ie2() {
        let kind = ServiceKind::McpttPrivateCall;
        let mut call = start(kind, false);
        call.on_redirection(&migrated_to(kind, USER2_AT_B, None))
            .unwrap();
        // The request to B is outstanding: a "target migrated" redirection echoing the primary
        // ID does not answer it, with or without its reason.
        let mut stray = migrated_to(kind, "sip:elsewhere@mc-x.example", None);
        refused(&mut call, &stray, RedirectionError::MismatchedTarget);
        stray.reason = None;
        refused(&mut call, &stray, RedirectionError::MismatchedTarget);
        // Echoing the called ID in IE 3 is the other shape, which this reason does not have.
        let mut wrong_shape = home_from(kind, USER2_AT_B, None);
        wrong_shape.reason = Some(RedirectionReason::TargetMigrated);
        refused(&mut call, &wrong_shape, RedirectionError::MismatchedTarget);
    }

    #[test]
    fn a_no_longer_served_redirection_must_echo_the_called_id_in_ie3() {
        let kind = ServiceKind::McpttPrivateCall;
        // At the primary ID, a redirection home from B does not name the ID called.
        let mut call = start(kind, false);
        refused(
            &mut call,
            &home_from(kind, USER2_AT_B, None),
            RedirectionError::MismatchedTarget,
        );
        call.on_redirection(&migrated_to(kind, USER2_AT_B, None))
            .unwrap();
        // At B, a redirection home that echoes another partner-assigned ID is not this call's.
        refused(
            &mut call,
            &home_from(kind, USER2_AT_C_TEL, None),
            RedirectionError::MismatchedTarget,
        );
        // Echoing the called ID in IE 2 is the other shape, which this reason does not have.
        let mut wrong_shape = migrated_to(kind, USER2_PRIMARY, None);
        wrong_shape.target_primary = id(USER2_AT_B);
        wrong_shape.reason = Some(RedirectionReason::TargetNoLongerServed);
        refused(&mut call, &wrong_shape, RedirectionError::MismatchedTarget);
        let next = call.on_redirection(&home_from(kind, USER2_AT_B, None));
        assert_eq!(next.unwrap().target, USER2_PRIMARY);
    }

    #[test]
    fn a_redirection_without_a_reason_is_followed_by_the_ie_that_names_the_called_id() {
        let kind = ServiceKind::McvideoPrivateCall;
        let mut call = start(kind, false);
        let mut to_b = migrated_to(kind, USER2_AT_B, None);
        to_b.reason = None;
        assert_eq!(call.on_redirection(&to_b).unwrap().target, USER2_AT_B);
        let mut home = home_from(kind, USER2_AT_B, None);
        home.reason = None;
        assert_eq!(call.on_redirection(&home).unwrap().target, USER2_PRIMARY);
    }

    #[test]
    fn note_a_redirection_that_drops_the_e2ee_requirement_is_a_downgrade() {
        let kind = ServiceKind::McpttPrivateCall;
        let mut call = start(kind, true);
        let mut r = migrated_to(kind, USER2_AT_B, Some(KMS_B));
        r.e2ee_required = false;
        refused(&mut call, &r, RedirectionError::E2eeDowngrade);
    }

    #[test]
    fn a_repeated_redirection_edge_is_a_loop() {
        let kind = ServiceKind::McpttPrivateCall;
        let mut call = start(kind, false);
        call.on_redirection(&migrated_to(kind, USER2_AT_B, None))
            .unwrap();
        call.on_redirection(&home_from(kind, USER2_AT_B, None))
            .unwrap();
        // A sends the caller to B again: the edge primary -> B was already followed.
        refused(
            &mut call,
            &migrated_to(kind, USER2_AT_B, None),
            RedirectionError::RedirectionLoop,
        );
    }

    #[test]
    fn a_redirection_to_the_id_just_called_is_a_loop() {
        let kind = ServiceKind::McpttPrivateCall;
        for reason in [Some(RedirectionReason::TargetMigrated), None] {
            let mut call = start(kind, false);
            // Both target IEs name the primary ID just called.
            let mut to_self = migrated_to(kind, USER2_PRIMARY, None);
            to_self.reason = reason;
            refused(&mut call, &to_self, RedirectionError::RedirectionLoop);
        }
    }

    #[test]
    fn redirections_stop_at_the_cap() {
        let kind = ServiceKind::McpttPrivateCall;
        let mut call: PrivateCall<2> = PrivateCall::start(request(kind, USER2_PRIMARY, false));
        call.on_redirection(&migrated_to(kind, USER2_AT_B, None))
            .unwrap();
        call.on_redirection(&home_from(kind, USER2_AT_B, None))
            .unwrap();
        let before = call.clone();
        assert_eq!(
            call.on_redirection(&migrated_to(kind, USER2_AT_C_TEL, None)),
            Err(RedirectionError::TooManyRedirections)
        );
        assert_eq!(call, before);
    }

    #[test]
    fn the_default_cap_allows_the_longest_legitimate_chain_plus_one() {
        let kind = ServiceKind::McpttPrivateCall;
        let mut call = start(kind, false);
        for r in [
            migrated_to(kind, USER2_AT_B, None),
            home_from(kind, USER2_AT_B, None),
            migrated_to(kind, USER2_AT_C_TEL, None),
            home_from(kind, USER2_AT_C_TEL, None),
        ] {
            call.on_redirection(&r).unwrap();
        }
        assert_eq!(
            call.on_redirection(&migrated_to(kind, "sip:user2@mc-d.example", None)),
            Err(RedirectionError::TooManyRedirections)
        );
    }

    #[test]
    fn start_at_and_start_in_place_are_start_whatever_the_call_held() {
        let first = request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, true);
        let mut slot = MaybeUninit::uninit();
        let call = PrivateCall::<DEFAULT_MAX_REDIRECTIONS>::start_at(&mut slot, &first);
        assert_eq!(*call, PrivateCall::start(first));
        // A call that already followed a redirection starts over.
        call.on_redirection(&migrated_to(
            ServiceKind::McpttPrivateCall,
            USER2_AT_B,
            Some(KMS_B),
        ))
        .unwrap();
        assert_eq!(call.redirections(), 1);
        let second = request(ServiceKind::McdataOneToOne, USER2_AT_C_TEL, false);
        call.start_in_place(&second);
        assert_eq!(*call, PrivateCall::start(second));
    }
}
