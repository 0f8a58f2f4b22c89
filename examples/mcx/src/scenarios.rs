//! The scenarios of the demonstration, each a fresh set of MC systems A, B and C. Each checks
//! its own end: the demonstration fails (exit status 1) if any call ends otherwise than the
//! specification requires.

use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::RejectReason;
use mcx_migrate::{
    PrivateCallRedirection, PrivateCallRequest, RedirectionError, RedirectionReason, ServiceKind,
};

use crate::net::{id, ids, Entry, Hop, Net, NoteKind, Outcome, SimResult, B, C, CLIENT_1};
use crate::render::Style;

/// One scenario: its `--scenario` name, a title, and what it runs.
pub struct Scenario {
    /// The name given to `--scenario`.
    pub name: &'static str,
    /// One line: what it shows, in the spec's words.
    pub title: &'static str,
    run: fn(&mut Net) -> SimResult<()>,
}

/// Every scenario, in the order the full demonstration runs them.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "not-migrated",
        title: "MCPTT private call to a user who never migrated: MC service server A proceeds",
        run: not_migrated,
    },
    Scenario {
        name: "redirect-mcptt",
        title: "Fig. 10.16.y.3-1, MCPTT private call: MC system A redirects to MC system B",
        run: |net| redirect(net, ServiceKind::McpttPrivateCall, false),
    },
    Scenario {
        name: "redirect-mcvideo",
        title: "Fig. 10.16.y.3-1, MCVideo private call: MC system A redirects to MC system B",
        run: |net| redirect(net, ServiceKind::McvideoPrivateCall, false),
    },
    Scenario {
        name: "redirect-mcdata",
        title: "Fig. 10.16.y.3-1, one-to-one MCData communication: A redirects to B",
        run: |net| redirect(net, ServiceKind::McdataOneToOne, false),
    },
    Scenario {
        name: "redirect-e2ee",
        title: "Fig. 10.16.y.3-1 with end-to-end encryption: the redirection carries B's KMS URI",
        run: |net| redirect(net, ServiceKind::McpttPrivateCall, true),
    },
    Scenario {
        name: "consecutive-migration",
        title: "Consecutive migration: B sends the caller home, A sends it on to C",
        run: consecutive_migration,
    },
    Scenario {
        name: "return-to-primary",
        title: "MC service user 2 returns to its primary MC system A",
        run: return_to_primary,
    },
    Scenario {
        name: "refuse-e2ee-without-sdi",
        title: "Refusal: E2EE required, no security domain information: server A rejects",
        run: refuse_e2ee_without_sdi,
    },
    Scenario {
        name: "refuse-loop",
        title: "Refusal: a redirection loop (A's table is stale): client 1 refuses",
        run: refuse_loop,
    },
    Scenario {
        name: "refuse-spoofed",
        title:
            "Refusal: spoofed redirections (other calling party, other target): client 1 refuses",
        run: refuse_spoofed,
    },
];

/// What a run of the demonstration gives: whether every call ended as the specification
/// requires, and the record of every message and decision (for the charts and the capture).
pub struct Run {
    /// Every call ended as the specification requires.
    pub ok: bool,
    /// The scenarios' records, each after its [`Entry::Scenario`].
    pub record: Vec<Entry>,
}

/// Runs the named scenarios (all when `only` is `None`), printing the text output unless
/// `quiet`.
pub fn run(style: Style, only: Option<&str>, quiet: bool) -> Run {
    let say = |line: &str| {
        if !quiet {
            println!("{line}");
        }
    };
    let mut failures = 0;
    let mut record = Vec::new();
    let chosen: Vec<&Scenario> = ALL
        .iter()
        .filter(|s| only.is_none_or(|n| n == s.name))
        .collect();
    for scenario in &chosen {
        say(&format!(
            "\n{}",
            style.bold(&format!("━━ {}: {}", scenario.name, scenario.title))
        ));
        record.push(Entry::Scenario {
            name: scenario.name,
            title: scenario.title,
        });
        let result = Net::new(style).and_then(|mut net| {
            net.quiet = quiet;
            let result = (scenario.run)(&mut net);
            record.append(&mut net.record);
            result
        });
        if let Err(e) = result {
            failures += 1;
            say(&format!("      {}", style.red(&format!("UNEXPECTED: {e}"))));
        }
    }
    say("");
    if failures == 0 {
        let text = format!(
            "{} scenario(s): every call ended as TS 23.280 §10.16.5 requires",
            chosen.len()
        );
        say(&style.green(&text));
    } else {
        say(&style.red(&format!("{failures} scenario(s) ended unexpectedly")));
    }
    Run {
        ok: failures == 0,
        record,
    }
}

fn expect(outcome: Outcome, expected: Outcome) -> SimResult<()> {
    if outcome == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {outcome:?}"))
    }
}

fn connected(system: &'static str, id: &str) -> Outcome {
    Outcome::Connected {
        system,
        id: id.to_owned(),
    }
}

/// Step 1: client 1 calls user 2 by the ID from its primary MC system.
fn call(kind: ServiceKind, e2ee: bool) -> SimResult<PrivateCall> {
    Ok(PrivateCall::start(PrivateCallRequest {
        service_kind: kind,
        calling_party: id(ids::USER1)?,
        target: id(ids::USER2_PRIMARY)?,
        e2ee_required: e2ee,
        security_domain_info: None,
    }))
}

fn precondition(net: &mut Net, text: &str) {
    net.say(&format!(
        "      {}",
        net.style.dim(&format!("Pre-conditions: {text}"))
    ));
    net.chart_note(&[], NoteKind::Context, format!("Pre-conditions: {text}"));
}

/// Something that happens between messages, in the text and on the chart.
fn meanwhile(net: &mut Net, text: &str) {
    net.say(&format!("      {}", net.style.dim(text)));
    net.chart_note(&[], NoteKind::Context, text);
}

fn no_pause(_: &mut Net, _: usize) -> SimResult<()> {
    Ok(())
}

fn not_migrated(net: &mut Net) -> SimResult<()> {
    precondition(
        net,
        "MC service user 2 is served by its primary MC system A; no table entry.",
    );
    let mut call = call(ServiceKind::McpttPrivateCall, false)?;
    let outcome = net.complete(&mut call, no_pause)?;
    expect(outcome, connected("A", ids::USER2_PRIMARY))
}

fn redirect(net: &mut Net, kind: ServiceKind, e2ee: bool) -> SimResult<()> {
    precondition(
        net,
        "MC systems A and B are interconnected; MC system A is the primary MC system of MC \
         service user 2, who has migrated to MC system B; MC service server A is informed of \
         the MC service ID provided by MC system B (clause 10.6.3.3).",
    );
    net.migrate(B, ids::USER2_AT_B, true)?;
    let mut call = call(kind, e2ee)?;
    let outcome = net.complete(&mut call, no_pause)?;
    expect(outcome, connected("B", ids::USER2_AT_B))?;
    if e2ee {
        // Step 5: the request to B uses the security domain information of B's ID.
        let kms = call
            .request()
            .security_domain_info
            .as_ref()
            .map(|s| s.kms_uri.as_str());
        if kms != Some("https://kms.mc-b.example/kms") {
            return Err(format!("step 5 request carries {kms:?}, not B's KMS URI"));
        }
    }
    Ok(())
}

fn consecutive_migration(net: &mut Net) -> SimResult<()> {
    precondition(net, "MC service user 2 has migrated to MC system B.");
    net.migrate(B, ids::USER2_AT_B, true)?;
    let mut call = call(ServiceKind::McpttPrivateCall, false)?;
    // After step 3 (A → B) and before client 1's step 5 reaches B, user 2 migrates on to C.
    let outcome = net.complete(&mut call, |net, hop| {
        if hop == 0 {
            meanwhile(
                net,
                "Meanwhile MC service user 2 migrates on from MC system B to MC system C:",
            );
            net.move_on(B, ids::USER2_AT_B, C, ids::USER2_AT_C)?;
        }
        Ok(())
    })?;
    expect(outcome, connected("C", ids::USER2_AT_C))?;
    expect_redirections(&call, 3)
}

fn expect_redirections(call: &PrivateCall, n: usize) -> SimResult<()> {
    if call.redirections() == n {
        Ok(())
    } else {
        Err(format!(
            "expected {n} redirections, got {}",
            call.redirections()
        ))
    }
}

fn return_to_primary(net: &mut Net) -> SimResult<()> {
    precondition(net, "MC service user 2 has migrated to MC system B.");
    net.migrate(B, ids::USER2_AT_B, true)?;
    let mut first = call(ServiceKind::McpttPrivateCall, false)?;
    // After step 3 and before step 5 reaches B, user 2 returns home: B sends the caller home
    // and A, which serves the user again, proceeds.
    let outcome = net.complete(&mut first, |net, hop| {
        if hop == 0 {
            meanwhile(
                net,
                "Meanwhile MC service user 2 returns to its primary MC system A:",
            );
            net.return_home(B, ids::USER2_AT_B, true)?;
        }
        Ok(())
    })?;
    expect(outcome, connected("A", ids::USER2_PRIMARY))?;
    expect_redirections(&first, 2)?;
    meanwhile(net, "A later call goes straight through at MC system A:");
    let mut later = call(ServiceKind::McpttPrivateCall, false)?;
    let outcome = net.complete(&mut later, no_pause)?;
    expect(outcome, connected("A", ids::USER2_PRIMARY))?;
    expect_redirections(&later, 0)
}

fn refuse_e2ee_without_sdi(net: &mut Net) -> SimResult<()> {
    precondition(
        net,
        "MC service user 2 has migrated to MC system B, but the selected user profile gave MC \
         service server A no security domain information for the new ID.",
    );
    net.migrate(B, ids::USER2_AT_B, false)?;
    let mut call = call(ServiceKind::McpttPrivateCall, true)?;
    let outcome = net.complete(&mut call, no_pause)?;
    expect(
        outcome,
        Outcome::Rejected(RejectReason::SecurityDomainInfoUnavailable),
    )?;
    // Nor could any server send such a redirection: the encoder refuses it.
    let forbidden = PrivateCallRedirection {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(ids::USER1)?,
        target_primary: id(ids::USER2_PRIMARY)?,
        target_migrated: id(ids::USER2_AT_B)?,
        e2ee_required: true,
        security_domain_info: None,
        reason: Some(RedirectionReason::TargetMigrated),
    };
    let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    match forbidden.encode(&mut buf) {
        Err(e) => {
            net.note(&format!(
                "(a redirection without it cannot even be encoded: {e})"
            ));
            Ok(())
        }
        Ok(_) => Err("a redirection without security domain information was encoded".into()),
    }
}

fn refuse_loop(net: &mut Net) -> SimResult<()> {
    precondition(
        net,
        "MC service user 2 migrated to MC system B and has returned home, but the \"returned\" \
         update never reached MC service server A: A still redirects to B, B sends home.",
    );
    net.migrate(B, ids::USER2_AT_B, true)?;
    net.return_home(B, ids::USER2_AT_B, false)?;
    let mut call = call(ServiceKind::McpttPrivateCall, false)?;
    let outcome = net.complete(&mut call, no_pause)?;
    expect(outcome, Outcome::Refused(RedirectionError::RedirectionLoop))
}

fn refuse_spoofed(net: &mut Net) -> SimResult<()> {
    precondition(net, "MC service user 2 has migrated to MC system B.");
    net.migrate(B, ids::USER2_AT_B, true)?;
    let mut call = call(ServiceKind::McpttPrivateCall, false)?;
    let (at, request) = net.send_request(&call, None)?;
    // Before server A answers, a rogue node injects redirections towards an ID it controls.
    let rogue = |calling: &'static str,
                 target: &'static str|
     -> SimResult<PrivateCallRedirection<'static>> {
        Ok(PrivateCallRedirection {
            service_kind: ServiceKind::McpttPrivateCall,
            calling_party: id(calling)?,
            target_primary: id(target)?,
            target_migrated: id("sip:eavesdropper@mc-b.example")?,
            e2ee_required: false,
            security_domain_info: None,
            reason: Some(RedirectionReason::TargetMigrated),
        })
    };
    let spoofs = [
        (
            rogue("sip:user3@mc-a.example", ids::USER2_PRIMARY)?,
            RedirectionError::MismatchedCallingParty,
        ),
        (
            rogue(ids::USER1, "sip:user9@mc-a.example")?,
            RedirectionError::MismatchedTarget,
        ),
    ];
    for (spoof, expected) in spoofs {
        let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
        let len = spoof.encode(&mut buf).map_err(|e| e.to_string())?;
        let wire = net.transmit("spoofed", "rogue node", CLIENT_1, &buf[..len])?;
        match net.receive_redirection(&wire, &mut call)? {
            Hop::Done(Outcome::Refused(e)) if e == expected => {}
            _ => return Err(format!("client 1 did not refuse with {expected:?}")),
        }
    }
    let genuine = "The genuine answer of MC service server A arrives; the call goes on unchanged:";
    net.note(genuine);
    net.chart_note(&[], NoteKind::Context, genuine);
    let mut last_reason = None;
    let outcome = match net.answer(at, &request, &mut call, &mut last_reason)? {
        Hop::Done(outcome) => outcome,
        Hop::Redirected => {
            let (at, request) = net.send_request(&call, last_reason)?;
            match net.answer(at, &request, &mut call, &mut last_reason)? {
                Hop::Done(outcome) => outcome,
                Hop::Redirected => return Err("unexpected second redirection".into()),
            }
        }
    };
    expect(net.result(outcome), connected("B", ids::USER2_AT_B))
}
