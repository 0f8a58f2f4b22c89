//! `mcx`: the end-to-end demonstration of the generic private call procedure towards a migrated
//! MC service user (3GPP TS 23.280 §10.16.5) across MC systems A, B and C, and a field tool that
//! decodes and encodes messages of the `mcx-migrate` wire format.
//!
//! With no arguments it runs the whole demonstration; `mcx --help` lists the subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Parser, Subcommand};

mod field;
mod net;
mod render;
mod scenarios;

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
    },
    /// Decode one message of the wire format (a captured private call request, private call
    /// redirection or migration update) and print its fields.
    ///
    /// A bad message prints the exact decode error and exits with status 1.
    Decode {
        /// The message as hex (`0x`, spaces, `:` and `-` allowed).
        #[arg(
            value_name = "HEX",
            required_unless_present = "file",
            conflicts_with = "file"
        )]
        hex: Option<String>,
        /// Read the message from a file instead (`-` for stdin): raw bytes or hex text.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
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

fn run(command: Command, style: Style) -> Result<(), String> {
    match command {
        Command::Demo { scenario } => {
            if scenarios::run(style, scenario.as_deref()) {
                Ok(())
            } else {
                Err("the demonstration did not end as the specification requires".into())
            }
        }
        Command::Decode {
            hex,
            file,
            json,
            frame,
        } => {
            let bytes = match (hex, file) {
                (Some(hex), _) => {
                    render::parse_hex(&hex).map_err(|e| format!("invalid hex: {e}"))?
                }
                (None, Some(path)) => field::bytes_from_file_content(&read_input(&path)?)
                    .map_err(|e| format!("invalid hex: {e}"))?,
                (None, None) => return Err("give the message as hex or with -f FILE".into()),
            };
            println!("{}", field::decode(&style, bytes, frame, json)?);
            Ok(())
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
    let cli = Cli::parse();
    let style = Style::detect();
    let command = cli.command.unwrap_or(Command::Demo {
        scenario: cli.scenario,
    });
    match run(command, style) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
