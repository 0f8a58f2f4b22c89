//! Text rendering shared by the demonstration and the field tool: message names and fields in
//! the words of TS 23.280 §10.16.5 (Table 10.16.y.2-1), hex, and terminal colour.

use std::io::IsTerminal;

use mcx_migrate::wire::{MessageType, FORMAT_VERSION};
use mcx_migrate::{
    Message, Migration, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
    SecurityDomainInfo,
};

/// ANSI styling, switched on only when stdout is a terminal (and `NO_COLOR` is unset), so piped
/// output and logs stay plain text.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Colour if stdout is a terminal and the `NO_COLOR` convention does not forbid it.
    pub fn detect() -> Self {
        Self {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// Headings.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Secondary detail: hex, field labels.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// Spec step labels.
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    /// Message names.
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Success.
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Refusals and failures.
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
}

/// Lower-case hex, no separators: what `mcx decode` reads back.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses hex text as captured in the field: an optional `0x` prefix, and whitespace, `:` or
/// `-` between bytes are accepted.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !(b.is_ascii_whitespace() || *b == b':' || *b == b'-'))
        .collect();
    if let Some(bad) = digits.iter().find(|b| !b.is_ascii_hexdigit()) {
        return Err(format!("not a hex digit: {:?}", char::from(*bad)));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits
        .chunks(2)
        .map(|pair| {
            let nibble = |d: u8| char::from(d).to_digit(16).unwrap_or(0) as u8;
            nibble(pair[0]) << 4 | nibble(pair[1])
        })
        .collect())
}

/// The message's name in the spec's words.
pub fn message_name(message: &Message<'_>) -> String {
    match message {
        Message::Request(_) => "private call request".into(),
        Message::Redirection(_) => "private call redirection".into(),
        Message::MigrationUpdate(update) => {
            format!("migration update ({})", update_kind(update))
        }
    }
}

fn update_kind(update: &MigrationUpdate<'_>) -> &'static str {
    match update {
        MigrationUpdate::Migrated(_) => "migrated",
        MigrationUpdate::MovedOn(_) => "moved on",
        MigrationUpdate::Returned { .. } => "returned",
        MigrationUpdate::VisitorRegistered { .. } => "visitor registered",
        MigrationUpdate::VisitorDeparted { .. } => "visitor departed",
    }
}

fn sdi(sdi: &Option<SecurityDomainInfo<'_>>) -> String {
    match sdi {
        Some(s) => format!("KMS URI {}", s.kms_uri),
        None => "absent".into(),
    }
}

fn e2ee(required: bool) -> String {
    if required { "required" } else { "not required" }.into()
}

/// The message's fields as (label, value) pairs, labelled in the spec's words; the redirection's
/// information elements carry their status (M/O) from Table 10.16.y.2-1.
pub fn fields(message: &Message<'_>) -> Vec<(String, String)> {
    let s = |v: &str| v.to_owned();
    match message {
        Message::Request(PrivateCallRequest {
            service_kind,
            calling_party,
            target,
            e2ee_required,
            security_domain_info,
        }) => {
            let id = service_kind.id_name();
            vec![
                ("service".into(), service_kind.name().into()),
                (format!("{id} of the calling party"), s(calling_party)),
                (format!("{id} of the called party (target)"), s(target)),
                ("end-to-end encryption".into(), e2ee(*e2ee_required)),
                (
                    "security domain information".into(),
                    sdi(security_domain_info),
                ),
            ]
        }
        Message::Redirection(PrivateCallRedirection {
            service_kind,
            calling_party,
            target_primary,
            target_migrated,
            e2ee_required,
            security_domain_info,
            reason,
        }) => {
            let id = service_kind.id_name();
            vec![
                ("service".into(), service_kind.name().into()),
                (format!("{id} of the calling party (M)"), s(calling_party)),
                (
                    format!("{id} of the target from its primary MC system (M)"),
                    s(target_primary),
                ),
                (
                    format!("{id} of the target from the migrated MC system (M)"),
                    s(target_migrated),
                ),
                ("end-to-end encryption".into(), e2ee(*e2ee_required)),
                (
                    "security domain information (O)".into(),
                    sdi(security_domain_info),
                ),
                (
                    "redirection reason (O)".into(),
                    reason.map_or("absent".into(), |r| r.as_str().into()),
                ),
            ]
        }
        Message::MigrationUpdate(update) => match update {
            MigrationUpdate::Migrated(Migration {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            })
            | MigrationUpdate::MovedOn(Migration {
                primary_id,
                partner_system,
                partner_id,
                security_domain_info,
            }) => vec![
                (
                    "MC service ID from the primary MC system".into(),
                    s(primary_id),
                ),
                ("partner MC system".into(), s(partner_system)),
                (
                    "MC service ID from the partner MC system".into(),
                    s(partner_id),
                ),
                (
                    "security domain information".into(),
                    sdi(security_domain_info),
                ),
            ],
            MigrationUpdate::Returned { primary_id } => {
                vec![(
                    "MC service ID from the primary MC system".into(),
                    s(primary_id),
                )]
            }
            MigrationUpdate::VisitorRegistered {
                local_id,
                primary_id,
                primary_system,
                primary_security_domain_info,
            } => vec![
                ("MC service ID assigned here".into(), s(local_id)),
                (
                    "MC service ID from the primary MC system".into(),
                    s(primary_id),
                ),
                ("primary MC system".into(), s(primary_system)),
                (
                    "security domain information of the primary ID".into(),
                    sdi(primary_security_domain_info),
                ),
            ],
            MigrationUpdate::VisitorDeparted { local_id } => {
                vec![("MC service ID assigned here".into(), s(local_id))]
            }
        },
    }
}

/// The indented field lines and hex line of a message, as both tools print them.
pub fn body(style: &Style, message: &Message<'_>, bytes: &[u8], indent: &str) -> String {
    let rows = fields(message);
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        out.push_str(&format!(
            "{indent}{}  {value}\n",
            style.dim(&format!("{label:<width$}"))
        ));
    }
    out.push_str(&format!(
        "{indent}{}\n",
        style.dim(&format!("hex  {}", hex(bytes)))
    ));
    out
}

/// The field tool's header line: name, length and envelope (`frame`: the bytes are a COBS
/// frame around the message).
pub fn header(message: &Message<'_>, len: usize, frame: bool) -> String {
    let ty = match message {
        Message::Request(_) => MessageType::PrivateCallRequest,
        Message::Redirection(_) => MessageType::PrivateCallRedirection,
        Message::MigrationUpdate(_) => MessageType::MigrationUpdate,
    } as u8;
    let what = if frame {
        "bytes in a COBS frame, CRC-32C checked"
    } else {
        "bytes"
    };
    format!(
        "{}: {len} {what} (format version {FORMAT_VERSION}, message type {ty})",
        message_name(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_switched_on() {
        assert_eq!(Style { on: true }.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Style { on: false }.red("x"), "x");
    }

    #[test]
    fn parse_hex_accepts_capture_separators_and_prefix() {
        assert_eq!(parse_hex("0x01 02:0a-FF\n").unwrap(), vec![1, 2, 10, 255]);
        assert_eq!(parse_hex(&hex(&[0, 1, 254])).unwrap(), vec![0, 1, 254]);
    }

    #[test]
    fn parse_hex_names_the_bad_digit_and_odd_length() {
        assert_eq!(parse_hex("01g2").unwrap_err(), "not a hex digit: 'g'");
        assert_eq!(
            parse_hex("012").unwrap_err(),
            "odd number of hex digits (3)"
        );
    }
}
