//! Message sequence charts of a flow, in the manner of Fig. 10.16.y.3-1: one lifeline per
//! entity, one arrow per message (labelled with the message and its key IEs), decisions,
//! refusals and outcomes as notes. Rendered as Mermaid text or as a self-contained SVG file.
//!
//! A chart is drawn from a record and never recomputes the flow: the demonstration's
//! [`Entry`] list (who sent which bytes to whom), or the messages `mcx decode` read.

use mcx_migrate::wire::decode_message;
use mcx_migrate::{Message, Migration, MigrationUpdate, RedirectionReason};

use crate::field::describe_decode_error;
use crate::net::{Entry, NoteKind, CLIENT_1, CLIENT_2};
use crate::render::message_name;

/// The demonstration's entities, in lifeline order: the caller, the three servers, the called
/// user's client, then the MC systems that send migration updates.
const DEMO_ORDER: &[&str] = &[
    CLIENT_1,
    "MC service server A",
    "MC service server B",
    "MC service server C",
    CLIENT_2,
    "MC system A",
    "MC system B",
    "MC system C",
];

/// One row of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A message from one lifeline to another.
    Arrow {
        /// Sending lifeline.
        from: String,
        /// Receiving lifeline.
        to: String,
        /// First line: the message (and step); then its key IEs.
        label: Vec<String>,
        /// The bytes did not decode: drawn as a lost message.
        bad: bool,
    },
    /// A note over one lifeline, or (no lifeline named) across all of them.
    Note {
        /// The lifeline, or none for all.
        over: Option<String>,
        /// The text.
        text: String,
        /// What it records.
        kind: NoteKind,
    },
    /// A scenario starts.
    Divider(String),
}

/// A message sequence chart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    /// Lifelines, left to right.
    pub participants: Vec<String>,
    /// Rows, top to bottom.
    pub items: Vec<Item>,
}

/// The arrow label of a decoded message: its name (with the spec step when known), then the key
/// IEs in the words of Table 10.16.y.2-1.
pub fn label(message: &Message<'_>, step: Option<&str>) -> Vec<String> {
    let name = message_name(message);
    let mut lines = vec![match step {
        Some(step) => format!("{name} ({step})"),
        None => name,
    }];
    let kms = |s: &Option<mcx_migrate::SecurityDomainInfo<'_>>| {
        s.as_ref().map(|s| format!("KMS URI {}", s.kms_uri))
    };
    match message {
        Message::Request(r) => {
            lines.push(format!("target {}", r.target));
            if r.e2ee_required {
                lines.push("E2EE required".into());
            }
            lines.extend(kms(&r.security_domain_info));
        }
        Message::Redirection(r) => {
            lines.push(format!("IE2 primary {}", r.target_primary));
            lines.push(format!("IE3 migrated {}", r.target_migrated));
            if let Some(reason) = r.reason {
                lines.push(format!("reason: {}", reason.as_str()));
            }
            if r.e2ee_required {
                lines.push("E2EE required".into());
            }
            lines.extend(kms(&r.security_domain_info));
        }
        Message::MigrationUpdate(u) => match u {
            MigrationUpdate::Migrated(Migration {
                primary_id,
                partner_id,
                ..
            })
            | MigrationUpdate::MovedOn(Migration {
                primary_id,
                partner_id,
                ..
            }) => lines.push(format!("{primary_id} now {partner_id}")),
            MigrationUpdate::Returned { primary_id } => lines.push(primary_id.to_string()),
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                ..
            } => lines.push(format!("{local_id} for {primary_id}")),
            MigrationUpdate::VisitorDeparted { local_id } => lines.push(local_id.to_string()),
        },
    }
    lines
}

impl Chart {
    fn participant(&mut self, name: &str) {
        if !self.participants.iter().any(|p| p == name) {
            self.participants.push(name.to_owned());
        }
    }

    /// The chart of a demonstration run, from its record.
    pub fn from_record(record: &[Entry]) -> Self {
        let mut chart = Chart {
            participants: DEMO_ORDER.iter().map(|s| (*s).to_owned()).collect(),
            items: Vec::new(),
        };
        for entry in record {
            match entry {
                Entry::Scenario { name, title } => {
                    chart.items.push(Item::Divider(format!("{name}: {title}")));
                }
                Entry::Message {
                    step,
                    from,
                    to,
                    bytes,
                } => {
                    chart.participant(from);
                    chart.participant(to);
                    let (label, bad) = match decode_message(bytes) {
                        Ok(message) => (label(&message, Some(step)), false),
                        Err(e) => (vec![describe_decode_error(&e)], true),
                    };
                    chart.items.push(Item::Arrow {
                        from: from.clone(),
                        to: to.clone(),
                        label,
                        bad,
                    });
                }
                Entry::Note { over, text, kind } => {
                    for o in over {
                        chart.participant(o);
                    }
                    chart.items.push(Item::Note {
                        over: over.first().cloned(),
                        text: text.clone(),
                        kind: *kind,
                    });
                }
            }
        }
        chart
    }

    /// The chart of messages read by `mcx decode`: each with its sender and receiver (from a
    /// capture's addresses, or guessed from the message), and the message or why it did not
    /// decode.
    pub fn from_messages(messages: &[Decoded]) -> Self {
        let mut chart = Chart::default();
        for m in messages {
            chart.participant(&m.from);
            chart.participant(&m.to);
            chart.items.push(Item::Arrow {
                from: m.from.clone(),
                to: m.to.clone(),
                label: m.label.clone(),
                bad: m.error.is_some(),
            });
            if let Some(e) = &m.error {
                chart.items.push(Item::Note {
                    over: Some(m.to.clone()),
                    text: e.clone(),
                    kind: NoteKind::Refusal,
                });
            }
        }
        chart
    }
}

/// One message read by `mcx decode`, ready for a chart.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Sending lifeline.
    pub from: String,
    /// Receiving lifeline.
    pub to: String,
    /// The arrow's label (see [`label`]); for bytes that did not decode, the error.
    pub label: Vec<String>,
    /// Why the bytes did not decode.
    pub error: Option<String>,
}

/// The domain of a SIP URI (`sip:user@domain`), or the URI itself.
fn domain(uri: &str) -> &str {
    uri.rsplit_once('@').map_or(uri, |(_, d)| d)
}

/// Sender and receiver of a message seen without addresses (hex given to `mcx decode`): the
/// client named by the calling party, the server of the target's domain (a SIP core routes by
/// it), the MC system that sends an update. `last_server`: where the last request went, which
/// is the server that answers with a redirection.
pub fn guess_ends(message: &Message<'_>, last_server: Option<&str>) -> (String, String) {
    // `impl AsRef<str>`: the message's identifiers, whatever their borrowed type.
    fn client(id: impl AsRef<str>) -> String {
        format!("MC service client {}", id.as_ref())
    }
    fn server(id: impl AsRef<str>) -> String {
        format!("MC service server {}", domain(id.as_ref()))
    }
    fn system(id: impl AsRef<str>) -> String {
        format!("MC system {}", domain(id.as_ref()))
    }
    match message {
        Message::Request(r) => (client(r.calling_party), server(r.target)),
        Message::Redirection(r) => {
            let from = match (last_server, r.reason) {
                (Some(s), _) => s.to_owned(),
                (None, Some(RedirectionReason::TargetNoLongerServed)) => server(r.target_migrated),
                (None, _) => server(r.target_primary),
            };
            (from, client(r.calling_party))
        }
        Message::MigrationUpdate(u) => match u {
            MigrationUpdate::Migrated(Migration {
                primary_id,
                partner_system,
                ..
            })
            | MigrationUpdate::MovedOn(Migration {
                primary_id,
                partner_system,
                ..
            }) => (system(partner_system), server(primary_id)),
            MigrationUpdate::Returned { primary_id } => (system(primary_id), server(primary_id)),
            MigrationUpdate::VisitorRegistered { local_id, .. } => {
                (system(local_id), server(local_id))
            }
            MigrationUpdate::VisitorDeparted { local_id } => {
                ("an MC system".to_owned(), server(local_id))
            }
        },
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Mermaid message text: `;` and `#` end or escape statements, a line break is `<br/>`.
fn mermaid_text(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| match c {
                    '#' => "#35;".to_owned(),
                    ';' => "#59;".to_owned(),
                    c => c.to_string(),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// Characters of a note's line in both renderings.
const NOTE_WIDTH: usize = 44;
/// Characters of a note across all lifelines.
const WIDE_NOTE_WIDTH: usize = 150;

impl Chart {
    fn alias(&self, name: &str) -> String {
        let i = self
            .participants
            .iter()
            .position(|p| p == name)
            .unwrap_or(0);
        format!("P{i}")
    }

    /// The chart as Mermaid `sequenceDiagram` text.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("sequenceDiagram\n");
        for (i, p) in self.participants.iter().enumerate() {
            out.push_str(&format!(
                "    participant P{i} as {}\n",
                mermaid_text(std::slice::from_ref(p))
            ));
        }
        let span = format!("P0,P{}", self.participants.len().saturating_sub(1));
        for item in &self.items {
            match item {
                Item::Arrow {
                    from,
                    to,
                    label,
                    bad,
                } => {
                    let arrow = if *bad { "-x" } else { "->>" };
                    out.push_str(&format!(
                        "    {}{arrow}{}: {}\n",
                        self.alias(from),
                        self.alias(to),
                        mermaid_text(label)
                    ));
                }
                Item::Note { over, text, kind } => {
                    let (over, width) = match over {
                        Some(o) => (self.alias(o), NOTE_WIDTH),
                        None => (span.clone(), WIDE_NOTE_WIDTH),
                    };
                    let text = match kind {
                        NoteKind::Refusal => format!("✗ {text}"),
                        NoteKind::Outcome => format!("✓ {text}"),
                        _ => text.clone(),
                    };
                    out.push_str(&format!(
                        "    Note over {over}: {}\n",
                        mermaid_text(&wrap(&text, width))
                    ));
                }
                Item::Divider(title) => {
                    out.push_str(&format!(
                        "    Note over {span}: {}\n",
                        mermaid_text(&[format!("━━ {title}")])
                    ));
                }
            }
        }
        out
    }
}

/// SVG layout, in pixels.
mod svg {
    /// Distance between lifelines.
    pub const COLUMN: usize = 230;
    /// Left and right margin.
    pub const MARGIN: usize = 20;
    /// Height of a text line.
    pub const LINE: usize = 14;
    /// Header box height.
    pub const HEAD: usize = 44;
    /// Average width of a character at the chart's font size, to size the boxes.
    pub const CHAR: usize = 6;
}

/// Text escaped for XML.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text_lines(out: &mut String, x: usize, y: usize, lines: &[String], class: &str) {
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" class=\"{class}\">{}</text>\n",
            y + i * svg::LINE,
            xml(line)
        ));
    }
}

impl Chart {
    fn x(&self, name: &str) -> usize {
        let i = self
            .participants
            .iter()
            .position(|p| p == name)
            .unwrap_or(0);
        svg::MARGIN + svg::COLUMN / 2 + i * svg::COLUMN
    }

    /// The chart as a self-contained SVG document (no scripts, no external fonts or styles).
    pub fn svg(&self) -> String {
        use svg::{CHAR, COLUMN, HEAD, LINE, MARGIN};
        let n = self.participants.len().max(1);
        let width = 2 * MARGIN + n * COLUMN;
        let mut body = String::new();
        let mut y = MARGIN + HEAD + 24;
        for item in &self.items {
            match item {
                Item::Arrow {
                    from,
                    to,
                    label,
                    bad,
                } => {
                    let (x1, x2) = (self.x(from), self.x(to));
                    let class = if *bad { "bad" } else { "msg" };
                    let label_y = y + LINE;
                    let arrow_y = label_y + label.len() * LINE - 6;
                    if x1 == x2 {
                        text_lines(&mut body, x1 + 40, label_y, label, "label start");
                        body.push_str(&format!(
                            "<path d=\"M{x1} {arrow_y} h30 v16 h-30\" class=\"{class}\" \
                             marker-end=\"url(#head)\"/>\n"
                        ));
                        y = arrow_y + 28;
                    } else {
                        let mid = (x1 + x2) / 2;
                        text_lines(&mut body, mid, label_y, label, "label");
                        body.push_str(&format!(
                            "<line x1=\"{x1}\" y1=\"{arrow_y}\" x2=\"{x2}\" y2=\"{arrow_y}\" \
                             class=\"{class}\" marker-end=\"url(#head)\"/>\n"
                        ));
                        y = arrow_y + 12;
                    }
                }
                Item::Note { over, text, kind } => {
                    let (left, right, chars) = match over {
                        Some(o) => {
                            let x = self.x(o);
                            let lines = wrap(text, NOTE_WIDTH);
                            let longest =
                                lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
                            let half = (longest * CHAR) / 2 + 8;
                            let left = x.saturating_sub(half).max(MARGIN / 2);
                            (left, left + 2 * half, NOTE_WIDTH)
                        }
                        None => (MARGIN, width - MARGIN, WIDE_NOTE_WIDTH),
                    };
                    let lines = wrap(text, chars);
                    let height = lines.len() * LINE + 8;
                    let class = match kind {
                        NoteKind::Decision => "decision",
                        NoteKind::Refusal => "refusal",
                        NoteKind::Outcome => "outcome",
                        NoteKind::Context => "context",
                    };
                    body.push_str(&format!(
                        "<rect x=\"{left}\" y=\"{}\" width=\"{}\" height=\"{height}\" \
                         class=\"note {class}\"/>\n",
                        y + 4,
                        right - left
                    ));
                    text_lines(
                        &mut body,
                        (left + right) / 2,
                        y + 4 + LINE,
                        &lines,
                        "note-text",
                    );
                    y += height + 10;
                }
                Item::Divider(title) => {
                    y += 8;
                    body.push_str(&format!(
                        "<line x1=\"{MARGIN}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" class=\"divider\"/>\n",
                        width - MARGIN
                    ));
                    text_lines(
                        &mut body,
                        MARGIN,
                        y + LINE + 2,
                        std::slice::from_ref(title),
                        "title",
                    );
                    y += LINE + 16;
                }
            }
        }
        let height = y + MARGIN;
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" \
             font-size=\"11\">\n\
             <style>\n\
             .label, .note-text, .head-text {{ text-anchor: middle; }}\n\
             .start {{ text-anchor: start; }}\n\
             .title {{ font-weight: bold; font-size: 12px; }}\n\
             .head {{ fill: #e8eef8; stroke: #34558b; }}\n\
             .life {{ stroke: #8a9bb8; stroke-dasharray: 4 4; }}\n\
             .msg {{ stroke: #222; fill: none; }}\n\
             .bad {{ stroke: #c0392b; fill: none; stroke-dasharray: 6 3; }}\n\
             .note {{ stroke: #999; }}\n\
             .decision {{ fill: #fff8c4; }}\n\
             .refusal {{ fill: #fbe0e0; stroke: #c0392b; }}\n\
             .outcome {{ fill: #dff3df; stroke: #2e7d32; }}\n\
             .context {{ fill: #f0f0f0; }}\n\
             .divider {{ stroke: #34558b; }}\n\
             </style>\n\
             <defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\">\
             <path d=\"M0 0 L10 5 L0 10 z\" fill=\"#222\"/></marker></defs>\n\
             <rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>\n"
        );
        for p in &self.participants {
            let x = self.x(p);
            out.push_str(&format!(
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" class=\"life\"/>\n",
                MARGIN + HEAD,
                height - MARGIN
            ));
            out.push_str(&format!(
                "<rect x=\"{}\" y=\"{MARGIN}\" width=\"{}\" height=\"{HEAD}\" rx=\"4\" \
                 class=\"head\"/>\n",
                x - COLUMN / 2 + 10,
                COLUMN - 20
            ));
            let lines = wrap(p, 22);
            let top = MARGIN + HEAD / 2 + 4 - (lines.len() - 1) * LINE / 2;
            text_lines(&mut out, x, top, &lines, "head-text");
        }
        out.push_str(&body);
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("averylongword x", 5), vec!["averylongword", "x"]);
    }

    #[test]
    fn mermaid_escapes_statement_separators_and_svg_escapes_markup() {
        assert_eq!(
            mermaid_text(&["a;b#c".into(), "d".into()]),
            "a#59;b#35;c<br/>d"
        );
        assert_eq!(xml("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn a_chart_draws_one_arrow_per_message_and_notes_where_recorded() {
        let chart = Chart::from_messages(&[
            Decoded {
                from: "x".into(),
                to: "y".into(),
                label: vec!["m".into()],
                error: None,
            },
            Decoded {
                from: "y".into(),
                to: "x".into(),
                label: vec!["cannot decode".into()],
                error: Some("cannot decode".into()),
            },
        ]);
        let mermaid = chart.mermaid();
        assert!(mermaid.contains("P0->>P1: m\n"), "{mermaid}");
        assert!(mermaid.contains("P1-xP0: cannot decode\n"), "{mermaid}");
        assert!(
            mermaid.contains("Note over P0: ✗ cannot decode\n"),
            "{mermaid}"
        );
        let svg = chart.svg();
        assert_eq!(svg.matches("marker-end").count(), 2);
        assert_eq!(svg.matches("class=\"note refusal\"").count(), 1);
    }
}
