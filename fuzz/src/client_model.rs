//! `client`: a [`PrivateCall`] fed arbitrary private call redirections (valid follow-ups,
//! mismatched ones, downgrades, loops), checked against a model of the documented rules of
//! [`PrivateCall::on_redirection`] and against the invariants stated for every call:
//! it never panics, never follows more than its hop cap, never accepts a redirection that
//! belongs to another call or drops the security domain information of an E2EE call, and is
//! unchanged after every refusal.

use arbitrary::Arbitrary;
use mcx_migrate::client::PrivateCall;
use mcx_migrate::{
    McServiceId, PrivateCallRedirection, PrivateCallRequest, RedirectionError, RedirectionReason,
    SecurityDomainInfo, ServiceKind,
};

use crate::pools::{Id, Kind, Kms};

/// How a test call starts.
#[derive(Debug, Clone, Arbitrary)]
pub struct Start {
    kind: Kind,
    caller: Id,
    target: Id,
    e2ee: bool,
    sdi: Option<Kms>,
}

/// One redirection received for the call.
#[derive(Debug, Clone, Arbitrary)]
pub enum Step {
    /// A redirection that belongs to the call (kind and calling party echoed, the ID just
    /// called echoed in IE 2, or in IE 3 when `home`) to `to`; with `sdi` absent on an E2EE
    /// call it is a downgrade, and with a reason of the other shape it is not the call's.
    FollowUp {
        to: Id,
        home: bool,
        sdi: Option<Kms>,
        reason: Option<bool>,
    },
    /// Anything: other kinds, callers and target IDs mismatch.
    Raw {
        kind: Kind,
        caller: Id,
        primary: Id,
        to: Id,
        e2ee: bool,
        sdi: Option<Kms>,
        reason: Option<bool>,
    },
}

/// The whole input: a call and what it receives.
#[derive(Debug, Clone, Arbitrary)]
pub struct Input {
    start: Start,
    steps: Vec<Step>,
}

fn reason(r: Option<bool>) -> Option<RedirectionReason> {
    r.map(|nls| {
        if nls {
            RedirectionReason::TargetNoLongerServed
        } else {
            RedirectionReason::TargetMigrated
        }
    })
}

/// The call as the documentation describes it.
#[derive(Debug, Clone)]
struct Model {
    kind: ServiceKind,
    caller: McServiceId,
    e2ee: bool,
    target: McServiceId,
    sdi: Option<SecurityDomainInfo>,
    /// Released targets, oldest first.
    released: Vec<McServiceId>,
    cap: usize,
}

impl Model {
    /// The documented order: belongs to the call (kind, calling party, names the ID just called:
    /// in IE 2 for "target migrated", in IE 3 for "no longer served", in either without a
    /// reason, the other IE being the ID to call next), no E2EE downgrade, no repeated
    /// redirection edge (nor one back to the ID just called), redirections left.
    fn on_redirection(&mut self, r: &PrivateCallRedirection) -> Result<(), RedirectionError> {
        if r.service_kind != self.kind {
            return Err(RedirectionError::MismatchedServiceKind);
        }
        if r.calling_party != self.caller {
            return Err(RedirectionError::MismatchedCallingParty);
        }
        let in_ie2 = r.target_primary == self.target;
        let in_ie3 = r.target_migrated == self.target;
        let next = match r.reason {
            Some(RedirectionReason::TargetMigrated) if in_ie2 => &r.target_migrated,
            Some(RedirectionReason::TargetNoLongerServed) if in_ie3 => &r.target_primary,
            None if in_ie2 => &r.target_migrated,
            None if in_ie3 => &r.target_primary,
            _ => return Err(RedirectionError::MismatchedTarget),
        };
        if self.e2ee && (!r.e2ee_required || r.security_domain_info.is_none()) {
            return Err(RedirectionError::E2eeDowngrade);
        }
        let chain: Vec<&McServiceId> = self.released.iter().chain([&self.target]).collect();
        let followed = chain
            .windows(2)
            .any(|w| *w[0] == self.target && w[1] == next);
        if self.target == *next || followed {
            return Err(RedirectionError::RedirectionLoop);
        }
        if self.released.len() >= self.cap {
            return Err(RedirectionError::TooManyRedirections);
        }
        self.released.push(self.target.clone());
        self.target = next.clone();
        self.sdi = if self.e2ee {
            r.security_domain_info.clone()
        } else {
            None
        };
        Ok(())
    }

    fn request(&self) -> PrivateCallRequest {
        PrivateCallRequest {
            service_kind: self.kind,
            calling_party: self.caller.clone(),
            target: self.target.clone(),
            e2ee_required: self.e2ee,
            security_domain_info: self.sdi.clone(),
        }
    }
}

fn run<const CAP: usize>(input: &Input) {
    let s = &input.start;
    let first = PrivateCallRequest {
        service_kind: s.kind.kind(),
        calling_party: s.caller.id(),
        target: s.target.id(),
        e2ee_required: s.e2ee,
        security_domain_info: s.sdi.map(Kms::sdi),
    };
    let mut call = PrivateCall::<CAP>::start(first.clone());
    let mut model = Model {
        kind: first.service_kind,
        caller: first.calling_party.clone(),
        e2ee: first.e2ee_required,
        target: first.target.clone(),
        sdi: first.security_domain_info.clone(),
        released: Vec::new(),
        cap: CAP,
    };
    assert_eq!(call.request(), &first);
    assert_eq!(call.redirections(), 0);
    assert_eq!(call.max_redirections(), CAP);

    for (i, step) in input.steps.iter().enumerate() {
        let redirection = match *step {
            Step::FollowUp {
                to,
                home,
                sdi,
                reason: r,
            } => PrivateCallRedirection {
                service_kind: model.kind,
                calling_party: model.caller.clone(),
                target_primary: if home { to.id() } else { model.target.clone() },
                target_migrated: if home { model.target.clone() } else { to.id() },
                e2ee_required: model.e2ee,
                security_domain_info: sdi.map(Kms::sdi),
                reason: reason(r),
            },
            Step::Raw {
                kind,
                caller,
                primary,
                to,
                e2ee,
                sdi,
                reason: r,
            } => PrivateCallRedirection {
                service_kind: kind.kind(),
                calling_party: caller.id(),
                target_primary: primary.id(),
                target_migrated: to.id(),
                e2ee_required: e2ee,
                security_domain_info: sdi.map(Kms::sdi),
                reason: reason(r),
            },
        };
        let redirection = through_the_wire(redirection);

        let before = call.clone();
        let expected = model.on_redirection(&redirection);
        let got = call.on_redirection(&redirection).cloned();
        match (&got, &expected) {
            (Ok(next), Ok(())) => {
                // Accepted: it belonged to the call and kept E2EE.
                assert_eq!(redirection.service_kind, before.request().service_kind);
                assert_eq!(redirection.calling_party, before.request().calling_party);
                let called = &before.request().target;
                assert!(
                    redirection.target_primary == *called || redirection.target_migrated == *called
                );
                assert!(
                    !before.request().e2ee_required || redirection.security_domain_info.is_some()
                );
                assert_eq!(next, call.request());
                assert_eq!(call.redirections(), before.redirections() + 1);
            }
            (Err(e), Err(m)) => {
                assert_eq!(e, m, "step {i}: wrong refusal for {redirection:?}");
                assert_eq!(
                    call, before,
                    "step {i}: a refused redirection changed the call"
                );
            }
            _ => panic!("step {i}: got {got:?}, model says {expected:?} for {redirection:?}"),
        }
        assert!(call.redirections() <= CAP, "hop cap exceeded");
        assert_eq!(call.redirections(), model.released.len());
        assert_eq!(
            call.request(),
            &model.request(),
            "step {i}: request differs from the model"
        );
    }
}

/// A redirection as the client receives it: encoded and decoded, when the encoder allows it
/// (it refuses an E2EE redirection without security domain information, which a client must
/// still refuse when handed one directly).
fn through_the_wire(r: PrivateCallRedirection) -> PrivateCallRedirection {
    let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    match r.encode(&mut buf) {
        Ok(n) => {
            let back =
                PrivateCallRedirection::decode(&buf[..n]).expect("encoded redirection decodes");
            assert_eq!(back, r);
            back
        }
        Err(e) => {
            assert!(
                r.e2ee_required && r.security_domain_info.is_none(),
                "unexpected {e:?}"
            );
            r
        }
    }
}

/// Runs the input against the default hop cap and a cap of 1.
pub fn check(input: &Input) {
    run::<{ mcx_migrate::client::DEFAULT_MAX_REDIRECTIONS }>(input);
    run::<1>(input);
}
