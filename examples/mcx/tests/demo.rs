//! The demonstration, run as a user runs it: the `mcx` binary, output piped (not a terminal).
//! Each test checks the key lines of one scenario, in order, in the spec's words and steps.

use std::process::{Command, Output};

fn mcx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcx"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run mcx")
}

/// Stdout of a successful run, with runs of spaces collapsed (field labels are padded to align).
fn run_ok(args: &[&str]) -> String {
    let out = mcx(args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        out.status.success(),
        "mcx {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    squash(&stdout)
}

fn squash(s: &str) -> String {
    s.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that every needle occurs in `haystack`, each after the previous one.
#[track_caller]
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack[from..].find(needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} not found (in order) in:\n{haystack}"),
        }
    }
}

fn scenario(name: &str) -> String {
    run_ok(&["demo", "--scenario", name])
}

const REDIRECTION_A: &str =
    "[step 3 ] MC service server A → MC service client 1: private call redirection";

#[test]
fn call_to_a_user_who_never_migrated_proceeds_at_the_primary_system() {
    let out = scenario("not-migrated");
    assert_in_order(
        &out,
        &[
            "[step 1 ] MC service client 1 → MC service server A: private call request, 51 bytes",
            "MCPTT ID of the called party (target) sip:user2@mc-a.example",
            "[TS 23.379 ] MC service server A: sip:user2@mc-a.example is not in the migration table: the MCPTT private call proceeds",
            "=> MC service client 2 receives the call at MC system A as sip:user2@mc-a.example",
        ],
    );
    assert!(!out.contains("redirection"), "{out}");
}

#[test]
fn fig_10_16_y_3_1_redirects_from_a_to_b_for_mcptt_mcvideo_and_mcdata() {
    for (name, id, procedures) in [
        ("redirect-mcptt", "MCPTT ID", "TS 23.379"),
        ("redirect-mcvideo", "MCVideo ID", "TS 23.281"),
        ("redirect-mcdata", "MCData ID", "TS 23.282"),
    ] {
        let out = scenario(name);
        assert_in_order(
            &out,
            &[
                "[clause 10.6.3.3 ] MC system B → MC service server A: migration update (migrated)",
                "MC service server A updates its migration table: record inserted",
                "[step 1 ] MC service client 1 → MC service server A: private call request",
                &format!("{id} of the called party (target) sip:user2@mc-a.example"),
                &format!("[step 2 ] MC service server A checks that MC service user 2 has migrated to MC system B with the new {id} sip:visitor-0042@mc-b.example"),
                REDIRECTION_A,
                &format!("{id} of the calling party (M) sip:user1@mc-a.example"),
                &format!("{id} of the target from its primary MC system (M) sip:user2@mc-a.example"),
                &format!("{id} of the target from the migrated MC system (M) sip:visitor-0042@mc-b.example"),
                "security domain information (O) absent",
                "redirection reason (O) target migrated to a partner MC system",
                "hex 0202",
                "MC service client 1 releases the private call request to sip:user2@mc-a.example and calls sip:visitor-0042@mc-b.example",
                "[step 5 ] MC service client 1 → MC service server B: private call request",
                &format!("[{procedures} ] MC service server B"),
                "=> MC service client 2 receives the call at MC system B as sip:visitor-0042@mc-b.example",
            ],
        );
    }
}

#[test]
fn with_e2ee_the_redirection_and_the_step_5_request_carry_the_partner_kms_uri() {
    let out = scenario("redirect-e2ee");
    assert_in_order(
        &out,
        &[
            "[step 1 ] MC service client 1 → MC service server A: private call request",
            "end-to-end encryption required",
            "security domain information absent",
            "[step 2 ]",
            "security domain information from the selected user profile: KMS URI https://kms.mc-b.example/kms",
            REDIRECTION_A,
            "security domain information (O) KMS URI https://kms.mc-b.example/kms",
            "using KMS URI https://kms.mc-b.example/kms",
            "[step 5 ] MC service client 1 → MC service server B: private call request",
            "security domain information KMS URI https://kms.mc-b.example/kms",
            "=> MC service client 2 receives the call at MC system B",
        ],
    );
}

#[test]
fn consecutive_migration_b_sends_the_caller_home_and_a_sends_it_on_to_c() {
    let out = scenario("consecutive-migration");
    assert_in_order(
        &out,
        &[
            REDIRECTION_A,
            "Meanwhile MC service user 2 migrates on from MC system B to MC system C",
            "MC system C → MC service server A: migration update (moved on)",
            "MC system C → MC service server B: migration update (visitor departed)",
            "[step 5 ] MC service client 1 → MC service server B: private call request",
            "[consecutive migr.] MC service server B: MC service user 2 (sip:visitor-0042@mc-b.example) is no longer served here",
            "[consecutive migr.] MC service server B → MC service client 1: private call redirection",
            "MCPTT ID of the target from its primary MC system (M) sip:user2@mc-a.example",
            "MCPTT ID of the target from the migrated MC system (M) sip:visitor-0042@mc-b.example",
            "redirection reason (O) target no longer served by this partner MC system",
            "[consecutive migr.] MC service client 1 → MC service server A: private call request",
            "[step 2 ] MC service server A checks that MC service user 2 has migrated to MC system C",
            REDIRECTION_A,
            "[step 5 ] MC service client 1 → MC service server C: private call request",
            "=> MC service client 2 receives the call at MC system C as sip:visitor-0007@mc-c.example",
        ],
    );
}

#[test]
fn a_user_returned_to_the_primary_system_is_reached_there() {
    let out = scenario("return-to-primary");
    assert_in_order(
        &out,
        &[
            REDIRECTION_A,
            "MC system A → MC service server A: migration update (returned)",
            "MC service server A updates its migration table: record removed",
            "[consecutive migr.] MC service server B → MC service client 1: private call redirection",
            "[consecutive migr.] MC service client 1 → MC service server A: private call request",
            "the MCPTT private call proceeds",
            "=> MC service client 2 receives the call at MC system A as sip:user2@mc-a.example",
            "A later call goes straight through at MC system A",
            "[step 1 ] MC service client 1 → MC service server A",
            "=> MC service client 2 receives the call at MC system A as sip:user2@mc-a.example",
        ],
    );
}

#[test]
fn e2ee_redirection_without_security_domain_information_is_rejected_by_the_server() {
    let out = scenario("refuse-e2ee-without-sdi");
    assert_in_order(
        &out,
        &[
            "[step 1 ] MC service client 1 → MC service server A: private call request",
            "end-to-end encryption required, but the selected user profile holds no security domain information",
            "MC service server A rejects the private call: end-to-end encryption required but no security domain information for the target",
            "(RejectReason::SecurityDomainInfoUnavailable: no redirection is sent)",
            "=> call rejected (SecurityDomainInfoUnavailable)",
        ],
    );
    assert!(!out.contains(REDIRECTION_A), "{out}");
}

#[test]
fn a_redirection_loop_is_refused_by_the_client() {
    let out = scenario("refuse-loop");
    assert_in_order(
        &out,
        &[
            REDIRECTION_A,
            "[consecutive migr.] MC service server B → MC service client 1: private call redirection",
            REDIRECTION_A,
            "MC service client 1 refuses the private call redirection: redirection loop",
            "(RedirectionError::RedirectionLoop; the request to sip:user2@mc-a.example stays outstanding)",
            "=> redirection refused, no call (RedirectionLoop)",
        ],
    );
}

#[test]
fn spoofed_redirections_are_refused_and_the_genuine_one_followed() {
    let out = scenario("refuse-spoofed");
    assert_in_order(
        &out,
        &[
            "[step 1 ]",
            "[spoofed ] rogue node → MC service client 1: private call redirection",
            "MCPTT ID of the calling party (M) sip:user3@mc-a.example",
            "refuses the private call redirection: redirection names another calling party",
            "[spoofed ] rogue node → MC service client 1: private call redirection",
            "MCPTT ID of the target from its primary MC system (M) sip:user9@mc-a.example",
            "refuses the private call redirection: redirection names another target",
            REDIRECTION_A,
            "=> MC service client 2 receives the call at MC system B as sip:visitor-0042@mc-b.example",
        ],
    );
    assert!(!out.contains("calls sip:eavesdropper"), "{out}");
}

#[test]
fn no_arguments_runs_every_scenario_in_order() {
    let out = run_ok(&[]);
    assert_in_order(
        &out,
        &[
            "━━ not-migrated:",
            "━━ redirect-mcptt:",
            "━━ redirect-mcvideo:",
            "━━ redirect-mcdata:",
            "━━ redirect-e2ee:",
            "━━ consecutive-migration:",
            "━━ return-to-primary:",
            "━━ refuse-e2ee-without-sdi:",
            "━━ refuse-loop:",
            "━━ refuse-spoofed:",
            "10 scenario(s): every call ended as TS 23.280 §10.16.5 requires",
        ],
    );
    assert!(!out.contains("UNEXPECTED"), "{out}");
    assert_eq!(out, run_ok(&["demo"]));
}

#[test]
fn scenario_option_runs_only_that_scenario_with_or_without_demo() {
    let out = scenario("redirect-mcdata");
    assert!(out.contains("━━ redirect-mcdata:"), "{out}");
    assert!(!out.contains("━━ redirect-mcptt:"), "{out}");
    assert!(out.contains("1 scenario(s): every call ended"), "{out}");
    assert_eq!(out, run_ok(&["--scenario", "redirect-mcdata"]));
}

#[test]
fn unknown_scenario_is_a_usage_error_listing_the_names() {
    let out = mcx(&["demo", "--scenario", "no-such"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redirect-e2ee"), "{stderr}");
}

#[test]
fn help_lists_the_subcommands_and_every_scenario_name() {
    let help = run_ok(&["--help"]);
    for word in ["demo", "decode", "encode", "--scenario"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let demo_help = run_ok(&["demo", "--help"]);
    for name in [
        "not-migrated",
        "redirect-mcptt",
        "redirect-mcvideo",
        "redirect-mcdata",
        "redirect-e2ee",
        "consecutive-migration",
        "return-to-primary",
        "refuse-e2ee-without-sdi",
        "refuse-loop",
        "refuse-spoofed",
    ] {
        assert!(
            demo_help.contains(&format!("- {name}:")),
            "{name} missing from:\n{demo_help}"
        );
        assert!(
            help.contains(&format!("- {name}:")),
            "{name} missing from:\n{help}"
        );
    }
}

#[test]
fn output_is_plain_text_when_stdout_is_not_a_terminal() {
    let out = mcx(&[]);
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b), "ESC byte in piped output");
    let out = mcx(&["decode", "0101"]);
    assert!(
        !out.stderr.contains(&0x1b),
        "ESC byte in piped error output"
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};

    // `mcx decode -f many.hex | head -c 16`: far more output than a pipe buffers (64 KiB), and
    // the reader closes the pipe after 16 bytes.
    let message = scenario("redirect-mcptt")
        .lines()
        .find_map(|l| l.trim().strip_prefix("hex "))
        .expect("the demo prints a message's hex")
        .trim()
        .to_owned();
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("many-messages.hex");
    std::fs::write(&file, format!("{message}\n").repeat(3000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcx"))
        .args(["decode", "-f"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mcx");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("mcx prints");
    let out = child.wait_with_output().expect("mcx ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "mcx panicked on a closed pipe: {stderr}"
    );
}
