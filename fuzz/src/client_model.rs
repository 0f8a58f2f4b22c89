//! `client`: a [`PrivateCall`] fed arbitrary private call redirections (valid follow-ups,
//! mismatched ones, downgrades, loops), checked against a model of the documented rules of
//! [`PrivateCall::on_redirection`] and against the invariants stated for every call:
//! it never panics, never follows more than its hop cap, never accepts a redirection that
//! belongs to another call or drops the security domain information of an E2EE call, and is
//! unchanged after every refusal.

use arbitrary::{Arbitrary, Unstructured};
use mcx_migrate::client::PrivateCall;
use mcx_migrate::{
    PrivateCallRedirection, PrivateCallRequest, RedirectionError, RedirectionReason, ServiceKind,
};

use crate::pools::{Id, Kind, Kms};

/// The most redirections one input delivers: far more than the hop cap, so loops, refusals
/// between hops and the cap itself are all reached; more would only make each run slower.
/// Bytes after the last step are ignored.
pub const MAX_STEPS: usize = 16;

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
#[derive(Debug, Clone)]
pub struct Input {
    start: Start,
    /// At most [`MAX_STEPS`].
    steps: Vec<Step>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let start = u.arbitrary()?;
        let mut steps = Vec::with_capacity(MAX_STEPS);
        while steps.len() < MAX_STEPS && !u.is_empty() {
            steps.push(u.arbitrary()?);
        }
        Ok(Input { start, steps })
    }
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

/// The call as the documentation describes it, its IDs as pool entries.
#[derive(Debug, Clone)]
struct Model {
    kind: ServiceKind,
    caller: Id,
    e2ee: bool,
    target: Id,
    sdi: Option<Kms>,
    /// Released targets, oldest first.
    released: Vec<Id>,
    cap: usize,
}

impl Model {
    /// The documented order: belongs to the call (kind, calling party, names the ID just called:
    /// in IE 2 for "target migrated", in IE 3 for "no longer served", in either without a
    /// reason, the other IE being the ID to call next), no E2EE downgrade, no repeated
    /// redirection edge (nor one back to the ID just called), redirections left.
    fn on_redirection(&mut self, r: &PrivateCallRedirection<'_>) -> Result<(), RedirectionError> {
        if r.service_kind != self.kind {
            return Err(RedirectionError::MismatchedServiceKind);
        }
        if r.calling_party != self.caller.id_ref() {
            return Err(RedirectionError::MismatchedCallingParty);
        }
        let in_ie2 = r.target_primary == self.target.id_ref();
        let in_ie3 = r.target_migrated == self.target.id_ref();
        let next = match r.reason {
            Some(RedirectionReason::TargetMigrated) if in_ie2 => r.target_migrated,
            Some(RedirectionReason::TargetNoLongerServed) if in_ie3 => r.target_primary,
            None if in_ie2 => r.target_migrated,
            None if in_ie3 => r.target_primary,
            _ => return Err(RedirectionError::MismatchedTarget),
        };
        let next = Id::of(next.as_str()).expect("redirections name pool IDs");
        if self.e2ee && (!r.e2ee_required || r.security_domain_info.is_none()) {
            return Err(RedirectionError::E2eeDowngrade);
        }
        let same = |a: Id, b: Id| a.index() == b.index();
        let chain: Vec<Id> = self.released.iter().copied().chain([self.target]).collect();
        let followed = chain
            .windows(2)
            .any(|w| same(w[0], self.target) && same(w[1], next));
        if same(self.target, next) || followed {
            return Err(RedirectionError::RedirectionLoop);
        }
        if self.released.len() >= self.cap {
            return Err(RedirectionError::TooManyRedirections);
        }
        self.released.push(self.target);
        self.target = next;
        self.sdi = if self.e2ee {
            r.security_domain_info
                .map(|s| Kms::of(s.kms_uri.as_str()).expect("redirections carry pool URIs"))
        } else {
            None
        };
        Ok(())
    }

    /// The request the call must have outstanding.
    fn request(&self) -> PrivateCallRequest<'static> {
        PrivateCallRequest {
            service_kind: self.kind,
            calling_party: self.caller.id_ref(),
            target: self.target.id_ref(),
            e2ee_required: self.e2ee,
            security_domain_info: self.sdi.map(Kms::sdi),
        }
    }
}

fn run<const CAP: usize>(input: &Input) {
    let s = &input.start;
    let first = PrivateCallRequest {
        service_kind: s.kind.kind(),
        calling_party: s.caller.id_ref(),
        target: s.target.id_ref(),
        e2ee_required: s.e2ee,
        security_domain_info: s.sdi.map(Kms::sdi),
    };
    let mut call = PrivateCall::<CAP>::start(first);
    let mut model = Model {
        kind: first.service_kind,
        caller: s.caller,
        e2ee: first.e2ee_required,
        target: s.target,
        sdi: s.sdi,
        released: Vec::with_capacity(CAP),
        cap: CAP,
    };
    assert_eq!(call.request(), first);
    assert_eq!(call.request(), model.request());
    assert_eq!(call.redirections(), 0);
    assert_eq!(call.max_redirections(), CAP);

    let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    for (i, step) in input.steps.iter().enumerate() {
        let redirection = match *step {
            Step::FollowUp {
                to,
                home,
                sdi,
                reason: r,
            } => PrivateCallRedirection {
                service_kind: model.kind,
                calling_party: model.caller.id_ref(),
                target_primary: if home { to } else { model.target }.id_ref(),
                target_migrated: if home { model.target } else { to }.id_ref(),
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
                calling_party: caller.id_ref(),
                target_primary: primary.id_ref(),
                target_migrated: to.id_ref(),
                e2ee_required: e2ee,
                security_domain_info: sdi.map(Kms::sdi),
                reason: reason(r),
            },
        };

        let (target, redirections) = (model.target, model.released.len());
        let expected = model.on_redirection(&redirection);
        // The model said no: keep the call as it is, to check that the refusal left it so.
        let before = expected.is_err().then(|| call.clone());
        let received = through_the_wire(&redirection, &mut buf);
        let got = call
            .on_redirection(&received)
            .map(|next| assert_eq!(next, model.request(), "step {i}: next"));
        match (&got, &expected) {
            (Ok(()), Ok(())) => {
                // Accepted: it belonged to the call and kept E2EE.
                assert_eq!(redirection.service_kind, s.kind.kind());
                assert_eq!(redirection.calling_party, s.caller.id_ref());
                assert!(
                    redirection.target_primary == target.id_ref()
                        || redirection.target_migrated == target.id_ref()
                );
                assert!(!s.e2ee || redirection.security_domain_info.is_some());
                assert_eq!(call.redirections(), redirections + 1);
            }
            (Err(e), Err(m)) => {
                assert_eq!(e, m, "step {i}: wrong refusal for {redirection:?}");
                assert_eq!(
                    Some(&call),
                    before.as_ref(),
                    "step {i}: a refused redirection changed the call"
                );
            }
            _ => panic!("step {i}: got {got:?}, model says {expected:?} for {redirection:?}"),
        }
        assert!(call.redirections() <= CAP, "hop cap exceeded");
        assert_eq!(call.redirections(), model.released.len());
        assert_eq!(
            call.request(),
            model.request(),
            "step {i}: request differs from the model"
        );
    }
}

/// A redirection as the client receives it: encoded into `buf` and decoded from it, when the
/// encoder allows it (it refuses an E2EE redirection without security domain information,
/// which a client must still refuse when handed one directly).
fn through_the_wire<'b>(
    r: &PrivateCallRedirection<'b>,
    buf: &'b mut [u8],
) -> PrivateCallRedirection<'b> {
    match r.encode(buf) {
        Ok(n) => {
            let back =
                PrivateCallRedirection::decode(&buf[..n]).expect("encoded redirection decodes");
            assert_eq!(back, *r);
            back
        }
        Err(e) => {
            assert!(
                r.e2ee_required && r.security_domain_info.is_none(),
                "unexpected {e:?}"
            );
            *r
        }
    }
}

/// Runs the input against the default hop cap, and against a cap of 1.
pub fn check(input: &Input) {
    run::<{ mcx_migrate::client::DEFAULT_MAX_REDIRECTIONS }>(input);
    run::<1>(input);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading an input stops at [`MAX_STEPS`] steps.
    #[test]
    fn inputs_are_capped() {
        let bytes = vec![0u8; 4096];
        let input = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("reads");
        assert_eq!(input.steps.len(), MAX_STEPS);
    }

    /// A call redirected to every hop its cap allows, then looped, downgraded and mismatched:
    /// the client and the model agree on every step, under both hop caps.
    #[test]
    fn a_call_follows_redirections_up_to_its_cap() {
        let follow = |to: u8, home: bool| Step::FollowUp {
            to: Id(to),
            home,
            sdi: Some(Kms(to)),
            reason: None,
        };
        let mut steps: Vec<Step> = (1..=6).map(|k| follow(k, false)).collect();
        steps.insert(2, follow(0, true));
        steps.push(Step::Raw {
            kind: Kind(1),
            caller: Id(3),
            primary: Id(0),
            to: Id(1),
            e2ee: false,
            sdi: None,
            reason: Some(true),
        });
        check(&Input {
            start: Start {
                kind: Kind(0),
                caller: Id(11),
                target: Id(0),
                e2ee: true,
                sdi: Some(Kms(0)),
            },
            steps,
        });
    }

    /// The committed seeds run clean.
    #[test]
    fn seeds_pass() {
        crate::run_seeds::<Input>("client", check);
    }
}
