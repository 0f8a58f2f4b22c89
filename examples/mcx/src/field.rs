//! The field tool: `mcx decode` turns captured bytes into a readable message, `mcx encode` turns
//! a JSON message into bytes for building test messages.
//!
//! JSON form: an object with one key, the message type (`PrivateCallRequest`,
//! `PrivateCallRedirection` or `MigrationUpdate`), whose value is the message as
//! serde writes it, the very structure postcard puts on the wire. So `mcx decode --json` output
//! is valid `mcx encode --json` input, and the two round-trip exactly.

use serde_json::{json, Value};

use mcx_migrate::wire::{decode_frame, decode_message, encode, encode_frame, WireMessage};
use mcx_migrate::{DecodeError, Message};

use crate::render::{body, header, Style};

/// Reads raw bytes or hex text: captured message files hold either. Every message, framed or
/// not, holds the format version byte 0x02, which never occurs in hex text, so content that is
/// entirely hex text is taken as hex.
pub fn bytes_from_file_content(content: &[u8]) -> Result<Vec<u8>, String> {
    match std::str::from_utf8(content) {
        Ok(text)
            if !text.trim().is_empty()
                && text.bytes().all(|b| {
                    b.is_ascii_hexdigit() || b.is_ascii_whitespace() || b":-xX".contains(&b)
                }) =>
        {
            crate::render::parse_hex(text)
        }
        _ => Ok(content.to_vec()),
    }
}

/// A decode failure, printed exactly: the library's message and its `DecodeError` variant.
pub fn describe_decode_error(e: &DecodeError) -> String {
    format!("cannot decode: {e} (DecodeError::{e:?})")
}

/// Decodes `bytes` (a COBS frame if `frame`) and returns what to print: text or JSON.
pub fn decode(
    style: &Style,
    mut bytes: Vec<u8>,
    frame: bool,
    as_json: bool,
) -> Result<String, String> {
    let on_wire = bytes.clone();
    let message = if frame {
        decode_frame(&mut bytes)
    } else {
        decode_message(&bytes)
    }
    .map_err(|e| describe_decode_error(&e))?;
    if as_json {
        let value = to_json(&message).map_err(|e| e.to_string())?;
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    let mut out = style.bold(&header(&message, on_wire.len(), frame));
    out.push('\n');
    out.push_str(&body(style, &message, &on_wire, "  "));
    Ok(out.trim_end().to_owned())
}

/// The JSON form of a decoded message.
pub fn to_json(message: &Message<'_>) -> Result<Value, serde_json::Error> {
    Ok(match message {
        Message::Request(v) => json!({ "PrivateCallRequest": v }),
        Message::Redirection(v) => json!({ "PrivateCallRedirection": v }),
        Message::MigrationUpdate(v) => json!({ "MigrationUpdate": v }),
    })
}

/// Validates a message exactly as the decoder would (its identifiers as they are deserialised,
/// then the rules between fields) and encodes it; the message borrows the JSON's strings.
fn encode_one<'a, M: WireMessage<'a>>(inner: &'a Value, frame: bool) -> Result<Vec<u8>, String> {
    let message = M::deserialize(inner).map_err(|e| format!("invalid JSON message: {e}"))?;
    message
        .into_message()
        .validate()
        .map_err(|e| format!("invalid message: {e} (DecodeError::{e:?})"))?;
    let mut buf = vec![0u8; mcx_migrate::wire::MAX_FRAME_LEN];
    let len = if frame {
        encode_frame(&message, &mut buf)
    } else {
        encode(&message, &mut buf)
    }
    .map_err(|e| format!("cannot encode: {e}"))?;
    buf.truncate(len);
    Ok(buf)
}

/// Encodes the JSON form of a message (see the module docs) into wire bytes, or a COBS frame.
pub fn encode_json(text: &str, frame: bool) -> Result<Vec<u8>, String> {
    use mcx_migrate::{MigrationUpdate, PrivateCallRedirection, PrivateCallRequest};
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let (ty, inner) = match value.as_object().map(|o| o.iter().collect::<Vec<_>>()) {
        Some(entries) if entries.len() == 1 => entries[0],
        _ => {
            return Err("expected an object with one key: PrivateCallRequest, \
                        PrivateCallRedirection or MigrationUpdate"
                .into())
        }
    };
    match ty.as_str() {
        "PrivateCallRequest" => encode_one::<PrivateCallRequest>(inner, frame),
        "PrivateCallRedirection" => encode_one::<PrivateCallRedirection>(inner, frame),
        "MigrationUpdate" => encode_one::<MigrationUpdate>(inner, frame),
        other => Err(format!(
            "unknown message type {other:?}: expected PrivateCallRequest, \
             PrivateCallRedirection or MigrationUpdate"
        )),
    }
}
