//! Fig. 10.16.y.3-1 and the consecutive-migration paragraph of TS 23.280 §10.16.5.3, end to end
//! across MC systems A (primary), B and C, for each service kind, with and without end-to-end
//! encryption. Every message passes through encode → bytes → decode.

use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::RejectReason;
use mcx_migrate::{
    McServiceIdRef, Migration, MigrationUpdate, PrivateCallRequest, RedirectionError,
    RedirectionReason, SecurityDomainInfo, ServiceKind,
};
use mcx_migrate_tests::{domain_of, redirection, to_bytes, Answer, McSystem};

use mcx_testkit::fixtures::typed::{id, system};
use mcx_testkit::fixtures::{
    KMS_A, KMS_B, KMS_C, SYSTEM_A, SYSTEM_B, SYSTEM_C, USER1, USER2_AT_B, USER2_AT_C,
    USER2_PRIMARY as USER2,
};

fn sdi(s: &str) -> Option<SecurityDomainInfo<'_>> {
    Some(SecurityDomainInfo::new(s).unwrap())
}

struct World {
    a: McSystem,
    b: McSystem,
    c: McSystem,
}

impl World {
    /// Pre-conditions of §10.16.5.3: user 2 of system A migrated to B, and A knows its new ID
    /// (clause 10.6.3.3); B knows its visitor.
    fn user2_migrated_to_b() -> Self {
        let mut w = World {
            a: McSystem::new(SYSTEM_A),
            b: McSystem::new(SYSTEM_B),
            c: McSystem::new(SYSTEM_C),
        };
        w.a.receive_update(&to_bytes(&MigrationUpdate::Migrated(Migration {
            primary_id: id(USER2),
            partner_system: system(SYSTEM_B),
            partner_id: id(USER2_AT_B),
            security_domain_info: sdi(KMS_B),
        })))
        .unwrap();
        w.b.receive_update(&to_bytes(&MigrationUpdate::VisitorRegistered {
            local_id: id(USER2_AT_B),
            primary_id: id(USER2),
            primary_system: system(SYSTEM_A),
            primary_security_domain_info: sdi(KMS_A),
        }))
        .unwrap();
        w
    }

    /// User 2 moves on from B to C: B sees the departure, C the registration, A the move.
    fn user2_moves_on_to_c(&mut self) {
        self.b
            .receive_update(&to_bytes(&MigrationUpdate::VisitorDeparted {
                local_id: id(USER2_AT_B),
            }))
            .unwrap();
        self.c
            .receive_update(&to_bytes(&MigrationUpdate::VisitorRegistered {
                local_id: id(USER2_AT_C),
                primary_id: id(USER2),
                primary_system: system(SYSTEM_A),
                primary_security_domain_info: sdi(KMS_A),
            }))
            .unwrap();
        self.a
            .receive_update(&to_bytes(&MigrationUpdate::MovedOn(Migration {
                primary_id: id(USER2),
                partner_system: system(SYSTEM_C),
                partner_id: id(USER2_AT_C),
                security_domain_info: sdi(KMS_C),
            })))
            .unwrap();
    }

    /// User 2 returns to its primary system A.
    fn user2_returns_home(&mut self) {
        self.b
            .receive_update(&to_bytes(&MigrationUpdate::VisitorDeparted {
                local_id: id(USER2_AT_B),
            }))
            .unwrap();
        self.a
            .receive_update(&to_bytes(&MigrationUpdate::Returned {
                primary_id: id(USER2),
            }))
            .unwrap();
    }

    /// The server that serves `target`'s domain.
    fn server_for(&self, target: McServiceIdRef<'_>) -> &McSystem {
        match domain_of(target) {
            SYSTEM_A => &self.a,
            SYSTEM_B => &self.b,
            SYSTEM_C => &self.c,
            other => panic!("no MC system for {other}"),
        }
    }

    /// Runs `call` until a server lets it proceed; returns the servers visited in order, or
    /// what stopped the call.
    fn run(&self, call: &mut PrivateCall) -> Result<Vec<String>, Stop> {
        let mut visited = Vec::new();
        loop {
            let server = self.server_for(call.request().target);
            visited.push(server.id.as_str().to_string());
            let bytes = to_bytes(&call.request());
            match server.receive_request(&bytes).unwrap() {
                Answer::Proceed => return Ok(visited),
                Answer::Reject(reason) => return Err(Stop::Rejected(reason)),
                Answer::Redirect(bytes) => {
                    call.on_redirection(&redirection(&bytes))
                        .map_err(Stop::Refused)?;
                }
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Stop {
    Rejected(RejectReason),
    Refused(RedirectionError),
}

fn start(kind: ServiceKind, e2ee: bool) -> PrivateCall {
    PrivateCall::start(PrivateCallRequest {
        service_kind: kind,
        calling_party: id(USER1),
        target: id(USER2),
        e2ee_required: e2ee,
        security_domain_info: None,
    })
}

fn every_kind_with_and_without_e2ee() -> impl Iterator<Item = (ServiceKind, bool)> {
    ServiceKind::ALL
        .into_iter()
        .flat_map(|k| [(k, false), (k, true)])
}

#[test]
fn fig_10_16_y_3_1_call_to_primary_id_is_redirected_to_partner_b_and_proceeds_there() {
    let world = World::user2_migrated_to_b();
    for (kind, e2ee) in every_kind_with_and_without_e2ee() {
        let mut call = start(kind, e2ee);
        // Step 1: client 1 → server A with user 2's primary ID.
        let step1 = to_bytes(&call.request());
        // Steps 2–3: server A answers with a private call redirection.
        let Answer::Redirect(bytes) = world.a.receive_request(&step1).unwrap() else {
            panic!("{kind:?}/{e2ee}: A did not redirect")
        };
        let redir = redirection(&bytes);
        assert_eq!(redir.calling_party, USER1);
        assert_eq!(redir.target_primary, USER2);
        assert_eq!(redir.target_migrated, USER2_AT_B);
        assert_eq!(redir.reason, Some(RedirectionReason::TargetMigrated));
        assert_eq!(
            redir.security_domain_info,
            if e2ee { sdi(KMS_B) } else { None }
        );
        // Step 3: client 1 releases its request; step 5: it calls the ID assigned by B.
        let next = call.on_redirection(&redir).unwrap();
        assert_eq!(next.target, USER2_AT_B);
        assert_eq!(next.service_kind, kind);
        assert_eq!(
            next.security_domain_info,
            if e2ee { sdi(KMS_B) } else { None }
        );
        assert_eq!(
            world.b.receive_request(&to_bytes(&next)).unwrap(),
            Answer::Proceed
        );
    }
}

#[test]
fn consecutive_migration_b_sends_the_caller_home_and_a_sends_it_on_to_c() {
    for (kind, e2ee) in every_kind_with_and_without_e2ee() {
        let mut world = World::user2_migrated_to_b();
        let mut call = start(kind, e2ee);
        // A redirects to B ...
        let Answer::Redirect(bytes) = world.a.receive_request(&to_bytes(&call.request())).unwrap()
        else {
            panic!()
        };
        call.on_redirection(&redirection(&bytes)).unwrap();
        // ... but before client 1 calls B, user 2 moves on to C.
        world.user2_moves_on_to_c();
        let Answer::Redirect(bytes) = world.b.receive_request(&to_bytes(&call.request())).unwrap()
        else {
            panic!("B must redirect a stale call")
        };
        let home = redirection(&bytes);
        assert_eq!(
            home.target_primary, USER2,
            "B indicates the ID from the primary system A (IE 2)"
        );
        assert_eq!(
            home.target_migrated, USER2_AT_B,
            "B echoes the stale ID it had assigned (IE 3)"
        );
        assert_eq!(home.reason, Some(RedirectionReason::TargetNoLongerServed));
        assert_eq!(
            home.security_domain_info,
            if e2ee { sdi(KMS_A) } else { None }
        );
        call.on_redirection(&home).unwrap();
        assert_eq!(
            call.request().target,
            USER2,
            "another request towards server A"
        );
        // A redirects to C, where the call proceeds.
        assert_eq!(
            world.run(&mut call).unwrap(),
            [SYSTEM_A, SYSTEM_C],
            "{kind:?}/{e2ee}"
        );
        assert_eq!(call.request().target, USER2_AT_C);
        assert_eq!(
            call.request().security_domain_info,
            if e2ee { sdi(KMS_C) } else { None }
        );
        assert_eq!(call.redirections(), 3);
    }
}

#[test]
fn consecutive_migration_user_returned_home_b_sends_the_caller_home_and_a_serves_it() {
    for (kind, e2ee) in every_kind_with_and_without_e2ee() {
        let mut world = World::user2_migrated_to_b();
        world.user2_returns_home();
        // A caller that kept user 2's ID at B from an earlier redirection, and does not know
        // user 2's primary ID: B's redirection echoes the ID called and names the primary ID.
        let mut call: PrivateCall = PrivateCall::start(PrivateCallRequest {
            service_kind: kind,
            calling_party: id(USER1),
            target: id(USER2_AT_B),
            e2ee_required: e2ee,
            security_domain_info: sdi(KMS_B),
        });
        assert_eq!(world.run(&mut call).unwrap(), [SYSTEM_B, SYSTEM_A]);
        assert_eq!(call.request().target, USER2);
        // A fresh call to the primary ID proceeds at A directly.
        assert_eq!(world.run(&mut start(kind, e2ee)).unwrap(), [SYSTEM_A]);
    }
}

#[test]
fn a_user_who_never_migrated_is_served_by_the_primary_system() {
    let world = World::user2_migrated_to_b();
    let mut call: PrivateCall = PrivateCall::start(PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(USER1),
        target: id("sip:user3@mc-a.example"),
        e2ee_required: true,
        security_domain_info: None,
    });
    assert_eq!(world.run(&mut call).unwrap(), [SYSTEM_A]);
    assert_eq!(call.redirections(), 0);
}

#[test]
fn e2ee_call_to_a_migrated_user_without_security_domain_info_is_rejected() {
    let mut world = World::user2_migrated_to_b();
    world
        .a
        .receive_update(&to_bytes(&MigrationUpdate::Migrated(Migration {
            primary_id: id(USER2),
            partner_system: system(SYSTEM_B),
            partner_id: id(USER2_AT_B),
            security_domain_info: None,
        })))
        .unwrap();
    assert_eq!(
        world.run(&mut start(ServiceKind::McvideoPrivateCall, true)),
        Err(Stop::Rejected(RejectReason::SecurityDomainInfoUnavailable))
    );
    // Without E2EE the same call is redirected and proceeds at B.
    assert_eq!(
        world
            .run(&mut start(ServiceKind::McvideoPrivateCall, false))
            .unwrap(),
        [SYSTEM_A, SYSTEM_B]
    );
}

#[test]
fn misconfigured_systems_that_bounce_a_call_are_stopped_as_a_loop() {
    // A still believes user 2 is at B, but B has recorded the departure: A → B → A → B ...
    let mut world = World::user2_migrated_to_b();
    world
        .b
        .receive_update(&to_bytes(&MigrationUpdate::VisitorDeparted {
            local_id: id(USER2_AT_B),
        }))
        .unwrap();
    for (kind, e2ee) in every_kind_with_and_without_e2ee() {
        assert_eq!(
            world.run(&mut start(kind, e2ee)),
            Err(Stop::Refused(RedirectionError::RedirectionLoop))
        );
    }
}
