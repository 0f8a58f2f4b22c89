//! `mcx`: the end-to-end demonstration of the generic private call procedure towards a migrated
//! MC service user (3GPP TS 23.280 §10.16.5) across MC systems A, B and C, and a field tool that
//! decodes and encodes messages of the `mcx-migrate` wire format.
//!
//! With no arguments it runs the whole demonstration; `mcx --help` lists the subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Parser, Subcommand, ValueEnum};

mod chart;
mod field;
mod net;
mod pcap;
mod render;
mod scenarios;

use chart::{Chart, Decoded};

use render::Style;

/// Demonstration and field tool for the private call towards a migrated MC service user
/// (3GPP TS 23.280 §10.16.5).
///
/// Without a subcommand, runs the whole demonstration (`mcx demo`).
#[derive(Debug, Parser)]
#[command(name = "mcx", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Run only this scenario of the demonstration (as `mcx demo --scenario NAME`).
    #[arg(long, value_name = "NAME", value_parser = scenario_names())]
    scenario: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the procedure end to end across MC systems A, B and C, printing every message that
    /// crosses a link: who → whom, the spec step, decoded fields, byte length and hex.
    ///
    /// Exits with status 1 if any call ends otherwise than the specification requires.
    Demo {
        /// Run only this scenario (default: all, in this order).
        #[arg(long, value_name = "NAME", value_parser = scenario_names())]
        scenario: Option<String>,
        #[command(flatten)]
        chart: ChartArgs,
        /// Also write every message of the run to this pcap file (IPv4/UDP between per-entity
        /// addresses; bare messages on UDP port 52380, COBS frames on 52381).
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
    },
    /// Decode messages of the wire format (captured private call requests, private call
    /// redirections or migration updates) and print their fields, or their sequence chart.
    ///
    /// A bad message prints the exact decode error and exits with status 1 (with several
    /// messages, after decoding the others).
    Decode {
        /// The message as hex (`0x`, spaces, `:` and `-` allowed); several for a series.
        #[arg(
            value_name = "HEX",
            required_unless_present_any = ["file", "pcap"],
            conflicts_with_all = ["file", "pcap"]
        )]
        hex: Vec<String>,
        /// Read the message from a file instead (`-` for stdin): raw bytes or hex text; hex text
        /// on several lines is a series, one message per line.
        #[arg(
            short = 'f',
            long = "file",
            value_name = "FILE",
            conflicts_with = "pcap"
        )]
        file: Option<PathBuf>,
        /// Decode every message of a pcap capture (UDP port 52380 bare, 52381 framed).
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
        #[command(flatten)]
        chart: ChartArgs,
        /// Print the message as JSON, in the form `mcx encode --json` reads.
        #[arg(long)]
        json: bool,
        /// The input is a frame (as on a UART link: COBS of the message and its CRC-32C), with or
        /// without its 0x00 delimiter.
        #[arg(long)]
        frame: bool,
    },
    /// Encode a message given as JSON (the form `mcx decode --json` prints) and print its hex.
    ///
    /// The JSON is an object with one key, PrivateCallRequest, PrivateCallRedirection or
    /// MigrationUpdate, e.g.
    /// {"PrivateCallRequest": {"service_kind": "McpttPrivateCall",
    /// "calling_party": "sip:user1@mc-a.example", "target": "sip:user2@mc-a.example",
    /// "e2ee_required": false, "security_domain_info": null}}
    Encode {
        /// The JSON file to read (`-` for stdin).
        #[arg(long, value_name = "FILE|-")]
        json: PathBuf,
        /// Print a frame (COBS of the message and its CRC-32C), 0x00 delimiter included, instead of
        /// the bare message.
        #[arg(long)]
        frame: bool,
    },
}

/// What `--format` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The messages and their fields as text.
    Text,
    /// A Mermaid `sequenceDiagram` of the flow.
    Mermaid,
}

/// The sequence chart options of `demo` and `decode`.
#[derive(Debug, clap::Args)]
struct ChartArgs {
    /// What to print on stdout: the text, or the flow as a Mermaid sequence chart.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the flow as a self-contained SVG sequence chart to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

impl ChartArgs {
    /// Prints the Mermaid chart if asked, and writes the SVG.
    fn emit(&self, chart: &Chart) -> Result<(), String> {
        if self.format == Format::Mermaid {
            print!("{}", chart.mermaid());
        }
        if let Some(path) = &self.svg {
            write_file(path, chart.svg().as_bytes())?;
        }
        Ok(())
    }
}

fn write_file(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The scenario names with their titles, for `--scenario` and its help.
fn scenario_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        scenarios::ALL
            .iter()
            .map(|s| PossibleValue::new(s.name).help(s.title)),
    )
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

/// One message given to `mcx decode`: its bytes, whether they are a frame, and who sent it to
/// whom when a capture says so.
struct Input {
    bytes: Vec<u8>,
    frame: bool,
    ends: Option<(String, String)>,
    title: Option<String>,
}

/// The messages to decode: hex arguments, a file (one message, or hex lines), or a capture.
fn inputs(
    hex: Vec<String>,
    file: Option<PathBuf>,
    pcap: Option<PathBuf>,
    frame: bool,
) -> Result<Vec<Input>, String> {
    let plain = |bytes| Input {
        bytes,
        frame,
        ends: None,
        title: None,
    };
    if let Some(path) = pcap {
        let packets = pcap::read(&read_input(&path)?)?;
        return Ok(packets
            .into_iter()
            .enumerate()
            .filter(|(_, p)| {
                [p.src_port, p.dst_port]
                    .iter()
                    .any(|port| [pcap::BARE_PORT, pcap::FRAME_PORT].contains(port))
            })
            .map(|(i, p)| {
                let (from, to) = (pcap::entity_at(p.src), pcap::entity_at(p.dst));
                let what = if p.framed() { "frame" } else { "message" };
                Input {
                    title: Some(format!(
                        "packet {}: {from} → {to}, UDP port {} ({what})",
                        i + 1,
                        p.dst_port
                    )),
                    frame: p.framed(),
                    ends: Some((from, to)),
                    bytes: p.payload,
                }
            })
            .collect());
    }
    if let Some(path) = file {
        let content = read_input(&path)?;
        let lines: Vec<&str> = std::str::from_utf8(&content)
            .map(|t| t.lines().filter(|l| !l.trim().is_empty()).collect())
            .unwrap_or_default();
        if lines.len() > 1 && lines.iter().all(|l| render::parse_hex(l).is_ok()) {
            return lines
                .iter()
                .map(|l| Ok(plain(render::parse_hex(l)?)))
                .collect::<Result<_, String>>()
                .map_err(|e| format!("invalid hex: {e}"));
        }
        let bytes =
            field::bytes_from_file_content(&content).map_err(|e| format!("invalid hex: {e}"))?;
        return Ok(vec![plain(bytes)]);
    }
    hex.iter()
        .map(|h| {
            render::parse_hex(h)
                .map(plain)
                .map_err(|e| format!("invalid hex: {e}"))
        })
        .collect()
}

/// Decodes a series of messages: prints each (unless a chart goes to stdout), then the chart.
fn decode_series(
    style: Style,
    inputs: Vec<Input>,
    json: bool,
    chart: &ChartArgs,
) -> Result<(), String> {
    let text = chart.format == Format::Text;
    let mut decoded = Vec::new();
    let mut failures = 0;
    let mut last_server: Option<String> = None;
    for (i, input) in inputs.into_iter().enumerate() {
        let mut scratch = input.bytes.clone();
        let message = if input.frame {
            mcx_migrate::wire::decode_frame(&mut scratch)
        } else {
            mcx_migrate::wire::decode_message(&scratch)
        };
        let (label, error, guessed) = match &message {
            Ok(message) => (
                chart::label(message, None),
                None,
                chart::guess_ends(message, last_server.as_deref()),
            ),
            Err(e) => {
                let e = field::describe_decode_error(e);
                (vec![e.clone()], Some(e), ("?".into(), "?".into()))
            }
        };
        let (from, to) = input.ends.clone().unwrap_or(guessed);
        if matches!(message, Ok(mcx_migrate::Message::Request(_))) {
            last_server = Some(to.clone());
        }
        if text {
            let title = input
                .title
                .clone()
                .unwrap_or_else(|| format!("message {}", i + 1));
            println!("{}", style.bold(&format!("── {title}")));
            match field::decode(&style, input.bytes, input.frame, json) {
                Ok(out) => println!("{out}"),
                Err(e) => println!("{}", style.red(&e)),
            }
        }
        failures += usize::from(error.is_some());
        decoded.push(Decoded {
            from,
            to,
            label,
            error,
        });
    }
    chart.emit(&Chart::from_messages(&decoded))?;
    if failures == 0 {
        Ok(())
    } else {
        Err(format!(
            "{failures} of {} message(s) did not decode",
            decoded.len()
        ))
    }
}

fn run(command: Command, style: Style) -> Result<(), String> {
    match command {
        Command::Demo {
            scenario,
            chart,
            pcap,
        } => {
            let quiet = chart.format != Format::Text;
            let run = scenarios::run(style, scenario.as_deref(), quiet);
            chart.emit(&Chart::from_record(&run.record))?;
            if let Some(path) = pcap {
                write_file(&path, &pcap::write(&net::capture(&run.record)?)?)?;
            }
            if run.ok {
                Ok(())
            } else {
                Err("the demonstration did not end as the specification requires".into())
            }
        }
        Command::Decode {
            hex,
            file,
            pcap,
            chart,
            json,
            frame,
        } => {
            let series = pcap.is_some() || chart.svg.is_some() || chart.format != Format::Text;
            let mut inputs = inputs(hex, file, pcap, frame)?;
            if inputs.len() == 1 && !series {
                let input = inputs.remove(0);
                println!("{}", field::decode(&style, input.bytes, input.frame, json)?);
                return Ok(());
            }
            decode_series(style, inputs, json, &chart)
        }
        Command::Encode { json, frame } => {
            let input = read_input(&json)?;
            let text = String::from_utf8(input).map_err(|_| "the JSON is not UTF-8".to_owned())?;
            println!("{}", render::hex(&field::encode_json(&text, frame)?));
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`mcx decode ... | head`) would fail
    // every later `println!` with a panic. A command-line tool ends quietly instead, as `cat`
    // does: the default action.
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a valid
    // action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let style = Style::detect();
    let command = cli.command.unwrap_or(Command::Demo {
        scenario: cli.scenario,
        chart: ChartArgs {
            format: Format::Text,
            svg: None,
        },
        pcap: None,
    });
    match run(command, style) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
