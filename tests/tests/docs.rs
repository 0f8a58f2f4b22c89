//! What the docs promise about the repository itself: the links between README.md,
//! CHANGELOG.md and the pages of docs/ lead somewhere (every relative link names a file that
//! exists and, with `#anchor`, a heading of that file: GitHub's anchors, lower case, punctuation
//! dropped, spaces as hyphens), and CI runs exactly the test command the README gives.

use std::path::{Path, PathBuf};

use mcx_testkit::qemu::repo_root;
use mcx_testkit::reference::{cobs_decode, crc32c};

/// The Markdown files whose links are checked.
fn pages() -> Vec<PathBuf> {
    let root = repo_root();
    let mut pages = vec![root.join("README.md"), root.join("CHANGELOG.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// GitHub's anchor for a heading's text.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    text.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            !in_code && l.starts_with('#')
        })
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// The targets of the inline links `[text](target)` of a Markdown text.
fn link_targets(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| text[at + 2..].split(')').next())
        .collect()
}

/// The broken relative links of `page`: (target, why).
fn broken_links(page: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(page).expect("read a page");
    let dir = page.parent().expect("a page's directory");
    let mut broken = Vec::new();
    for target in link_targets(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, fragment) = match target.split_once('#') {
            Some((file, fragment)) => (file, Some(fragment)),
            None => (target, None),
        };
        let linked = if file.is_empty() {
            page.to_path_buf()
        } else {
            dir.join(file)
        };
        if !linked.exists() {
            broken.push((target.to_owned(), "no such file".to_owned()));
            continue;
        }
        if let Some(fragment) = fragment {
            let linked_text = std::fs::read_to_string(&linked).unwrap_or_default();
            if !anchors(&linked_text).iter().any(|a| a == fragment) {
                broken.push((target.to_owned(), "no such heading".to_owned()));
            }
        }
    }
    broken
}

#[test]
fn anchors_follow_github() {
    assert_eq!(
        anchor(" Surviving a reboot: the table in flash"),
        "surviving-a-reboot-the-table-in-flash"
    );
    assert_eq!(
        anchor(" The C example: `examples/firmware-c`"),
        "the-c-example-examplesfirmware-c"
    );
    assert_eq!(
        anchors("# A\n```sh\n# not a heading\n```\n## B-c\n"),
        ["a", "b-c"]
    );
}

#[test]
fn a_link_to_a_missing_file_or_heading_is_reported() {
    let dir = std::env::temp_dir().join(format!("mcx-docs-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let page = dir.join("page.md");
    std::fs::write(
        &page,
        "# Top\n\n[ok](page.md#top) [ok](#top) [web](https://example.invalid/x) \
         [gone](missing.md) [bad](page.md#nowhere)\n",
    )
    .expect("write a page");
    let broken: Vec<String> = broken_links(&page).into_iter().map(|(t, _)| t).collect();
    assert_eq!(broken, ["missing.md", "page.md#nowhere"]);
    std::fs::remove_dir_all(&dir).expect("remove the temporary directory");
}

#[test]
fn every_relative_link_of_the_docs_leads_somewhere() {
    let broken: Vec<String> = pages()
        .iter()
        .flat_map(|page| {
            broken_links(page)
                .into_iter()
                .map(move |(target, why)| format!("{}: {target}: {why}", page.display()))
        })
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The test command of the README: the second command of its first `sh` block (the first is
/// the main job).
fn readme_test_command(readme: &str) -> Option<String> {
    let block = readme.split("```sh\n").nth(1)?.split("```").next()?;
    let line = block.lines().nth(1)?;
    Some(line.split('#').next()?.trim().to_owned())
}

#[test]
fn the_readme_test_command_is_read_from_its_first_sh_block() {
    let readme =
        "# x\n\n```sh\ncargo run -p a   # main\nscripts/t  # tests\n```\n```sh\nother\n```\n";
    assert_eq!(readme_test_command(readme).as_deref(), Some("scripts/t"));
    assert_eq!(readme_test_command("no block"), None);
}

/// `.ci/run` runs the README's test command exactly, as a line of its own: a newcomer and CI
/// run the same tests.
#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect("read .ci/run");
    let command = readme_test_command(&readme).expect("README's first sh block has two commands");
    assert!(
        ci.lines().any(|l| l.trim() == command),
        "`.ci/run` has no line `{command}`, the README's test command"
    );
    assert!(
        root.join(&command).exists(),
        "the README's test command `{command}` is not a file of the repository"
    );
}

/// The text of the first code block under `### {heading}` of docs/wire-format.md.
fn code_block(heading: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("docs/wire-format.md"))
        .expect("read docs/wire-format.md");
    let after = text
        .split_once(&format!("### {heading}\n"))
        .unwrap_or_else(|| panic!("docs/wire-format.md has no heading {heading:?}"))
        .1;
    after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a text code block under the heading")
        .0
        .to_string()
}

/// The bytes of the code block under `### {heading}` of docs/wire-format.md: the first
/// hexadecimal pairs of each line, up to the line's description.
fn example_bytes(heading: &str) -> Vec<u8> {
    code_block(heading)
        .lines()
        .flat_map(|line| leading_hex_bytes(line.split_whitespace()))
        .collect()
}

/// The bytes the leading hexadecimal pairs among `words` spell, up to the first other word
/// (a line's description).
fn leading_hex_bytes<'w>(words: impl Iterator<Item = &'w str>) -> Vec<u8> {
    words
        .take_while(|w| w.len() == 2 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .map(|w| u8::from_str_radix(w, 16).unwrap())
        .collect()
}

/// The message of docs/wire-format.md's example: user `sip:a@x` calls `sip:b@y`.
fn example_message() -> mcx_migrate::Message<'static> {
    use mcx_migrate::{McServiceIdRef, Message, PrivateCallRequest, ServiceKind};
    Message::Request(PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceIdRef::new("sip:a@x").unwrap(),
        target: McServiceIdRef::new("sip:b@y").unwrap(),
        e2ee_required: false,
        security_domain_info: None,
    })
}

#[test]
fn the_wire_format_example_is_what_the_library_encodes_and_decodes() {
    use mcx_migrate::wire::{decode_message, encode_message, MAX_ENCODED_LEN};
    use mcx_migrate::{Message, ServiceKind};

    let bytes = example_bytes("Example");
    let Message::Request(request) = decode_message(&bytes).expect("the example decodes") else {
        panic!("the example is a private call request")
    };
    assert_eq!(request.service_kind, ServiceKind::McpttPrivateCall);
    assert_eq!(request.calling_party, "sip:a@x");
    assert_eq!(request.target, "sip:b@y");
    assert!(!request.e2ee_required);
    assert!(request.security_domain_info.is_none());

    let message = example_message();
    let mut buf = [0u8; MAX_ENCODED_LEN];
    let n = encode_message(&message, &mut buf).unwrap();
    assert_eq!(
        buf[..n],
        bytes[..],
        "the documented bytes are the encoder's"
    );
}

/// The bytes of each labelled part of the code block under `### {heading}` of
/// docs/wire-format.md: a line that starts with a word (`message`, `CRC-32C`, `frame`) opens a
/// part, an indented line continues it; the first hexadecimal pairs of each line, up to its
/// description, are the part's bytes.
fn labelled_example_bytes(heading: &str) -> Vec<(String, Vec<u8>)> {
    let block = code_block(heading);
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for line in block.lines() {
        let mut words = line.split_whitespace();
        if !line.starts_with(' ') {
            let label = words.next().expect("a label");
            parts.push((label.to_string(), Vec::new()));
        }
        let (_, bytes) = parts.last_mut().expect("the block starts with a label");
        bytes.extend(leading_hex_bytes(words));
    }
    parts
}

#[test]
fn the_wire_format_example_frame_is_what_the_library_frames() {
    use mcx_migrate::wire::{decode_frame, encode_message_frame, MAX_FRAME_LEN};

    let parts = labelled_example_bytes("Example frame");
    let labels: Vec<&str> = parts.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(
        labels,
        ["message", "CRC-32C", "frame"],
        "the parts of the example"
    );
    let (message_bytes, crc, frame) = (&parts[0].1, &parts[1].1, &parts[2].1);
    assert_eq!(
        message_bytes[..],
        example_bytes("Example")[..],
        "the framed message is the example above"
    );

    let message = example_message();
    let mut buf = [0u8; MAX_FRAME_LEN];
    let n = encode_message_frame(&message, &mut buf).unwrap();
    assert_eq!(buf[..n], frame[..], "the documented frame is the encoder's");
    assert_eq!(
        decode_frame(&mut frame.clone()),
        Ok(message),
        "the documented frame decodes to the message"
    );

    // The CRC and the frame as documented, against the test kit's CRC-32C and COBS, written
    // apart from the library.
    assert_eq!(
        crc[..],
        crc32c(message_bytes).to_le_bytes(),
        "the documented CRC-32C"
    );
    let (delimiter, blocks) = frame.split_last().expect("a frame");
    assert_eq!(*delimiter, 0, "the frame ends with its delimiter");
    let decoded = cobs_decode(blocks);
    let covered: Vec<u8> = message_bytes.iter().chain(crc).copied().collect();
    assert_eq!(
        decoded, covered,
        "the frame is COBS of the message and its CRC"
    );
}
