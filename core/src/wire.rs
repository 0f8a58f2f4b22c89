//! The wire format: a two-byte envelope (format version, message type) followed by the postcard
//! encoding of the message, optionally framed for byte streams (UART and serial links between a
//! handset's application processor and its radio MCU).
//!
//! ```text
//! +---------+------+-------------------------------+
//! | version | type | postcard payload (the message) |
//! |   0x02  | 1..3 | strings as varint length+UTF-8 |
//! +---------+------+-------------------------------+
//! ```
//!
//! Decoding is strict: an unknown version or type, a short or over-long input, malformed
//! postcard, invalid UTF-8, an invalid identifier or a broken IE rule each has its own
//! [`DecodeError`]. Nothing is ever guessed and decoding never panics.
//!
//! # Frames
//!
//! On a byte stream each message travels as one frame: the message (envelope included) and
//! its CRC-32C, little-endian, COBS-encoded, then one `0x00` delimiter. COBS leaves no other
//! `0x00` in the frame, so a receiver splits the stream at each `0x00`.
//!
//! ```text
//! COBS( message bytes | CRC-32C of the message bytes, u32 LE ) | 0x00
//! ```
//!
//! The CRC is CRC-32C (Castagnoli: polynomial `0x1EDC6F41`, reflected, initial value and final
//! XOR `0xFFFFFFFF`; `crc::CRC_32_ISCSI`), computed bitwise without a lookup table to save
//! flash. It detects link errors that would otherwise decode to another valid message (a
//! corrupted migration update would silently route calls to a wrong ID). Koopman's CRC tables
//! give CRC-32C Hamming distance 6 up to 5,243 data bits, which covers the longest message a
//! frame carries ([`MAX_ENCODED_LEN`], 649 bytes or 5,192 bits with the default capacities;
//! [`MAX_FRAME_LEN`] is that framed): every error of up to 5 bits in the message bytes it
//! covers is detected, against Hamming distance 4 to 5 at that length for CRC-32/ISO-HDLC
//! (Ethernet's; 5 only up to 2,974 bits). Like any CRC of degree 32 it detects every burst of
//! up to 32 bits in the bytes it covers. The CRC covers the message before COBS: an error that
//! hits a COBS code byte or the delimiter on the line changes how the frame decodes, and is
//! refused as invalid COBS or missed with a probability of about 2⁻³² (docs/wire-format.md,
//! "What is guaranteed"). A frame whose CRC
//! does not match (or that is too short to hold one) is refused with
//! [`DecodeError::FrameCheckMismatch`]; a frame that is not valid COBS with
//! [`DecodeError::BadFrame`]. The receiver checks the CRC before anything else in the message,
//! so a corrupted frame is reported as such and not as a broken field.

use serde::{Deserialize, Serialize};

use crate::checksum::{Crc32, CASTAGNOLI};
use crate::config::{KMS_URI_CAPACITY, MC_SERVICE_ID_CAPACITY, MC_SYSTEM_ID_CAPACITY};
use crate::error::{DecodeError, EncodeError};
use crate::message::{
    Fields, Message, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
};
use crate::wire_de::decode_exact_with;
use crate::wire_ser::{measure, measure_frame, serialize_into, Encode, Lengths, Writer};

/// The wire format version this build speaks, first byte of every message.
pub const FORMAT_VERSION: u8 = 2;

/// Bytes of the envelope before the payload: version and message type.
pub const HEADER_LEN: usize = 2;

/// Bytes of the CRC-32C that follows the message inside a frame (see [Frames](self#frames)).
pub const FRAME_CRC_LEN: usize = 4;

/// The message type, second byte of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum MessageType {
    /// [`PrivateCallRequest`].
    PrivateCallRequest = 1,
    /// [`PrivateCallRedirection`].
    PrivateCallRedirection = 2,
    /// [`MigrationUpdate`].
    MigrationUpdate = 3,
}

impl MessageType {
    /// The type with wire value `value`, or `None` for an unknown value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(MessageType::PrivateCallRequest),
            2 => Some(MessageType::PrivateCallRedirection),
            3 => Some(MessageType::MigrationUpdate),
            _ => None,
        }
    }
}

/// Bytes a postcard varint takes for `n`.
const fn varint_len(n: usize) -> usize {
    let mut len: usize = 1;
    let mut rest = n >> 7;
    while rest != 0 {
        len = len.saturating_add(1);
        rest >>= 7;
    }
    len
}

/// Longest postcard encoding of a string of at most `capacity` bytes.
const fn str_max(capacity: usize) -> usize {
    varint_len(capacity).saturating_add(capacity)
}

/// `Option<SecurityDomainInfo>`: the tag byte and the KMS URI.
pub(crate) const SDI_OPTION_MAX: usize = 1 + str_max(KMS_URI_CAPACITY);
pub(crate) const ID_MAX: usize = str_max(MC_SERVICE_ID_CAPACITY);
pub(crate) const SYSTEM_MAX: usize = str_max(MC_SYSTEM_ID_CAPACITY);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Longest encoding of a [`PrivateCallRequest`]: envelope, service kind, two IDs, the E2EE flag
/// and the security domain information.
pub const REQUEST_MAX_ENCODED_LEN: usize = HEADER_LEN + 1 + 2 * ID_MAX + 1 + SDI_OPTION_MAX;

/// Longest encoding of a [`PrivateCallRedirection`]: envelope, service kind, the three IDs of
/// Table 10.16.y.2-1, the E2EE flag, the security domain information and the reason.
pub const REDIRECTION_MAX_ENCODED_LEN: usize = HEADER_LEN + 1 + 3 * ID_MAX + 1 + SDI_OPTION_MAX + 2;

/// Longest encoding of a [`MigrationUpdate`]: envelope, variant tag and the largest variant (two
/// IDs, a system identity and security domain information).
pub const MIGRATION_UPDATE_MAX_ENCODED_LEN: usize =
    HEADER_LEN + 1 + 2 * ID_MAX + SYSTEM_MAX + SDI_OPTION_MAX;

/// Longest encoding of any message: a buffer this long always suffices for [`encode_message`].
pub const MAX_ENCODED_LEN: usize = max(
    REQUEST_MAX_ENCODED_LEN,
    max(
        REDIRECTION_MAX_ENCODED_LEN,
        MIGRATION_UPDATE_MAX_ENCODED_LEN,
    ),
);

/// Longest frame of a message of `encoded_len` bytes: the COBS encoding of the message and its
/// CRC (one code byte per 254 bytes, and one more), then the `0x00` delimiter.
pub const fn max_frame_len(encoded_len: usize) -> usize {
    let covered = encoded_len.saturating_add(FRAME_CRC_LEN);
    covered.saturating_add(covered / 254).saturating_add(2)
}

/// Longest COBS frame of any message: a buffer this long always suffices for [`encode_frame`].
pub const MAX_FRAME_LEN: usize = max_frame_len(MAX_ENCODED_LEN);

mod sealed {
    use crate::message::{MigrationUpdate, PrivateCallRedirection, PrivateCallRequest};

    pub trait Sealed {}

    /// A message of any type, borrowed where it lies: what the one encoder writes (no copy of
    /// the message into a [`Message`](crate::Message) first).
    #[derive(Clone, Copy)]
    pub enum Outgoing<'m, 'a> {
        Request(&'m PrivateCallRequest<'a>),
        Redirection(&'m PrivateCallRedirection<'a>),
        MigrationUpdate(&'m MigrationUpdate<'a>),
    }
}

use sealed::Outgoing;

/// A message with a fixed type in the wire format: [`PrivateCallRequest`],
/// [`PrivateCallRedirection`] and [`MigrationUpdate`]; sealed. Its fields, in order, are its
/// payload.
pub trait WireMessage<'a>: sealed::Sealed + Serialize + Deserialize<'a> + Copy {
    /// The envelope's type byte.
    const MESSAGE_TYPE: MessageType;
    /// Longest encoding of this message, envelope included.
    const MAX_ENCODED_LEN: usize;
    /// This message as a [`Message`].
    fn into_message(self) -> Message<'a>;
    /// The message of this type inside `message`, or `None` for another type.
    fn from_message(message: Message<'a>) -> Option<Self>;
    /// This message, borrowed, for the encoder.
    #[doc(hidden)]
    fn outgoing(&self) -> Outgoing<'_, 'a>;
}

/// The IE rules an encoder must not break (the E2EE NOTE of a redirection).
fn check_rules(message: Outgoing<'_, '_>) -> Result<(), EncodeError> {
    match message {
        Outgoing::Redirection(m) => m
            .validate()
            .map_err(|_| EncodeError::MissingSecurityDomainInfo),
        Outgoing::Request(_) | Outgoing::MigrationUpdate(_) => Ok(()),
    }
}

macro_rules! wire_message {
    ($($ty:ident: $variant:ident, $message_type:ident, $max:ident;)*) => {$(
        impl sealed::Sealed for $ty<'_> {}
        impl<'a> WireMessage<'a> for $ty<'a> {
            const MESSAGE_TYPE: MessageType = MessageType::$message_type;
            const MAX_ENCODED_LEN: usize = $max;
            fn into_message(self) -> Message<'a> {
                Message::$variant(self)
            }
            fn from_message(message: Message<'a>) -> Option<Self> {
                match message {
                    Message::$variant(m) => Some(m),
                    _ => None,
                }
            }
            fn outgoing(&self) -> Outgoing<'_, 'a> {
                Outgoing::$variant(self)
            }
        }

        impl<'a> $ty<'a> {
            /// Longest encoding of this message, envelope included.
            pub const MAX_ENCODED_LEN: usize = $max;

            /// Encodes into `buf`; see [`encode`](crate::wire::encode).
            pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
                encode(self, buf)
            }

            /// Encodes as one COBS frame; see [`encode_frame`](crate::wire::encode_frame).
            pub fn encode_frame(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
                encode_frame(self, buf)
            }

            /// Decodes a message borrowed from `bytes`; see [`decode`](crate::wire::decode).
            pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
                decode(bytes)
            }
        }
    )*};
}

wire_message! {
    PrivateCallRequest: Request, PrivateCallRequest, REQUEST_MAX_ENCODED_LEN;
    PrivateCallRedirection: Redirection, PrivateCallRedirection, REDIRECTION_MAX_ENCODED_LEN;
    MigrationUpdate: MigrationUpdate, MigrationUpdate, MIGRATION_UPDATE_MAX_ENCODED_LEN;
}

/// A message on the wire: the envelope (format version, message type), then the message's
/// fields. Every encoding goes through this one non-generic encoder, so the firmware holds one,
/// not one per message type.
impl Encode for Outgoing<'_, '_> {
    fn encode(&self, w: &mut Writer<'_>) {
        w.push(FORMAT_VERSION);
        match *self {
            Outgoing::Request(m) => {
                w.push(MessageType::PrivateCallRequest as u8);
                Encode::encode(m, w);
            }
            Outgoing::Redirection(m) => {
                w.push(MessageType::PrivateCallRedirection as u8);
                Encode::encode(m, w);
            }
            Outgoing::MigrationUpdate(m) => {
                w.push(MessageType::MigrationUpdate as u8);
                Encode::encode(m, w);
            }
        }
    }
}

impl Outgoing<'_, '_> {
    /// Longest encoding of a message of this one's type, envelope included.
    fn max_encoded_len(self) -> usize {
        match self {
            Outgoing::Request(_) => REQUEST_MAX_ENCODED_LEN,
            Outgoing::Redirection(_) => REDIRECTION_MAX_ENCODED_LEN,
            Outgoing::MigrationUpdate(_) => MIGRATION_UPDATE_MAX_ENCODED_LEN,
        }
    }

    fn of<'m, 'a>(msg: &'m Message<'a>) -> Outgoing<'m, 'a> {
        match msg {
            Message::Request(m) => Outgoing::Request(m),
            Message::Redirection(m) => Outgoing::Redirection(m),
            Message::MigrationUpdate(m) => Outgoing::MigrationUpdate(m),
        }
    }
}

/// Encodes `msg` into `buf` and returns the number of bytes written.
///
/// Returns [`EncodeError::BufferTooSmall`] with the exact length needed if `buf` is shorter
/// than the encoding (a buffer of `M::MAX_ENCODED_LEN` always suffices, and is written in one
/// pass; a shorter one is measured first), and [`EncodeError::MissingSecurityDomainInfo`] for
/// a redirection that breaks the E2EE rule. On `Err`, `buf` is unchanged.
pub fn encode<'a, M: WireMessage<'a>>(msg: &M, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_outgoing(msg.outgoing(), buf)
}

/// Encodes `msg` as one frame — the COBS encoding of the message and its CRC-32C, then the
/// `0x00` delimiter (see [Frames](self#frames)) — and returns its length.
///
/// The frame holds no other `0x00`, so a receiver splits a byte stream at each `0x00`. Errors
/// as for [`encode`]; a buffer of [`max_frame_len`]`(M::MAX_ENCODED_LEN)` always suffices.
pub fn encode_frame<'a, M: WireMessage<'a>>(msg: &M, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_outgoing_frame(msg.outgoing(), buf)
}

/// Encodes any message as one frame; see [`encode_frame`].
pub fn encode_message_frame(msg: &Message<'_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_outgoing_frame(Outgoing::of(msg), buf)
}

fn encode_outgoing_frame(msg: Outgoing<'_, '_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    check_rules(msg)?;
    let lengths = measure_frame(&msg);
    let start = frame_start(buf.len(), lengths)?;
    let end = start.saturating_add(lengths.len);
    let payload = buf.get_mut(start..end).ok_or(EncodeError::BufferTooSmall {
        needed: lengths.frame_len,
    })?;
    serialize_into(&msg, payload);
    close_frame(buf, start, end, lengths)
}

/// Where in a buffer of `buf_len` bytes [`encode_frame`] serialises the message: at the end,
/// before its CRC and the delimiter's byte, so that message and CRC are COBS-encoded in place
/// from the start with no scratch buffer. [`EncodeError::BufferTooSmall`] if the frame does
/// not fit. Not generic, so the firmware holds it once, not once per message type.
fn frame_start(buf_len: usize, lengths: Lengths) -> Result<usize, EncodeError> {
    let too_small = EncodeError::BufferTooSmall {
        needed: lengths.frame_len,
    };
    if lengths.frame_len > buf_len {
        return Err(too_small);
    }
    // A frame is at least two bytes longer than its message and CRC (a code byte and the
    // delimiter), so once it fits the subtraction never saturates.
    Ok(buf_len.saturating_sub(lengths.len.saturating_add(FRAME_CRC_LEN + 1)))
}

/// Appends the CRC to the message at `buf[start..end]`, COBS-encodes both in place from the
/// start of `buf` and ends the frame with its `0x00` delimiter; returns the frame's length.
/// The CRC is the one [`measure_frame`] computed over the same bytes: the serialiser writes
/// what it measured.
#[inline(never)]
fn close_frame(
    buf: &mut [u8],
    start: usize,
    end: usize,
    lengths: Lengths,
) -> Result<usize, EncodeError> {
    let too_small = EncodeError::BufferTooSmall {
        needed: lengths.frame_len,
    };
    let crc_end = end.checked_add(FRAME_CRC_LEN).ok_or(too_small)?;
    let (crc, _) = buf
        .get_mut(end..)
        .and_then(<[u8]>::split_first_chunk_mut::<FRAME_CRC_LEN>)
        .ok_or(too_small)?;
    *crc = lengths.crc.to_le_bytes();
    let encoded = crate::cobs::encode_in_place(buf, start, crc_end).ok_or(too_small)?;
    *buf.get_mut(encoded).ok_or(too_small)? = 0;
    Ok(lengths.frame_len)
}

/// Encodes any message; see [`encode`].
pub fn encode_message(msg: &Message<'_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_outgoing(Outgoing::of(msg), buf)
}

fn encode_outgoing(msg: Outgoing<'_, '_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    check_rules(msg)?;
    if buf.len() < msg.max_encoded_len() {
        // The one case that may not fit: measure first, so that nothing is written on `Err`.
        let len = measure(&msg);
        if len > buf.len() {
            return Err(EncodeError::BufferTooSmall { needed: len });
        }
    }
    Ok(serialize_into(&msg, buf))
}

/// Reads the envelope: checks the version and returns the message type and the payload.
///
/// Returns [`DecodeError::Truncated`], [`DecodeError::UnsupportedVersion`] or
/// [`DecodeError::UnknownMessageType`].
pub fn peek_type(bytes: &[u8]) -> Result<(MessageType, &[u8]), DecodeError> {
    let (&version, rest) = bytes.split_first().ok_or(DecodeError::Truncated)?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let (&ty, payload) = rest.split_first().ok_or(DecodeError::Truncated)?;
    let ty = MessageType::from_u8(ty).ok_or(DecodeError::UnknownMessageType(ty))?;
    Ok((ty, payload))
}

/// Decodes a message of type `M` borrowed from `bytes` (zero copy), fully validated.
///
/// Returns [`DecodeError::UnexpectedMessageType`] for a message of another type, and any other
/// [`DecodeError`] for bytes that are not a valid message.
pub fn decode<'a, M: WireMessage<'a>>(bytes: &'a [u8]) -> Result<M, DecodeError> {
    // Through `decode_as`, so that each message type has one decoder in the firmware rather
    // than a second, typed copy of it, and the generic part is the move out of the `Message`.
    M::from_message(decode_as(bytes, Some(M::MESSAGE_TYPE))?)
        .ok_or(DecodeError::UnexpectedMessageType)
}

/// Decodes any message borrowed from `bytes` (zero copy), fully validated.
pub fn decode_message(bytes: &[u8]) -> Result<Message<'_>, DecodeError> {
    decode_as(bytes, None)
}

/// Decodes a message of type `expected` borrowed from `bytes`, fully validated, as [`decode`]
/// does: another type gives [`DecodeError::UnexpectedMessageType`] before its fields are read.
/// The message comes back as a [`Message`] of that type, not moved out of it: what a caller
/// that only borrows the message (the C API) needs, without a typed copy of the decoder's
/// result per message type in its firmware.
pub fn decode_expecting(bytes: &[u8], expected: MessageType) -> Result<Message<'_>, DecodeError> {
    decode_as(bytes, Some(expected))
}

/// Reads the envelope, refuses a message of a type other than `expected` (if given) before
/// reading its fields, and decodes it. Not generic: the one decoder for [`decode_message`] and
/// every [`decode`].
// Inlined off bare metal, where a typed `decode` then reads its one message type directly.
#[cfg_attr(not(target_os = "none"), inline(always))]
fn decode_as(bytes: &[u8], expected: Option<MessageType>) -> Result<Message<'_>, DecodeError> {
    let (ty, body) = peek_type(bytes)?;
    if expected.is_some_and(|expected| expected != ty) {
        return Err(DecodeError::UnexpectedMessageType);
    }
    decode_body(ty, body)
}

/// Decodes the message of type `ty` from `body`, the bytes after its envelope. Not generic: the
/// one decoder of each message type, for [`decode_message`] and [`decode`] alike.
// Inlined off bare metal, where a typed `decode` then reads its one message type directly.
#[cfg_attr(not(target_os = "none"), inline(always))]
fn decode_body(ty: MessageType, body: &[u8]) -> Result<Message<'_>, DecodeError> {
    // One pass: the decoder refuses non-canonical encodings and the identifier types validate
    // each string as it is read. Only the rules between fields remain to check after it.
    let mut fields = Fields::EMPTY;
    decode_exact_with(body, |r| fields.read(r, ty))?;
    fields.validate()?;
    Ok(fields.message())
}

/// Decodes one frame in place and returns the message it carries, borrowed from `frame`.
///
/// `frame` holds the frame's bytes, with or without its `0x00` delimiter; the buffer is
/// overwritten with the decoded message. Checked in this order: [`DecodeError::BadFrame`] for
/// invalid COBS, [`DecodeError::FrameCheckMismatch`] for a CRC that does not match the message
/// (or a frame too short to hold one), [`DecodeError::TrailingBytes`] for bytes after the
/// delimiter, and otherwise as [`decode_message`]. The CRC comes before everything the message
/// says, so that a frame corrupted on the link is reported as such, not as a broken field.
pub fn decode_frame(frame: &mut [u8]) -> Result<Message<'_>, DecodeError> {
    decode_message(unframe(frame)?)
}

/// Decodes one frame in place, checks its CRC and returns the message bytes it carried.
fn unframe(frame: &mut [u8]) -> Result<&[u8], DecodeError> {
    let report = crate::cobs::decode_in_place(frame).ok_or(DecodeError::BadFrame)?;
    // The delimiter, if present, sits right after the bytes COBS consumed, and ends the frame.
    let frame_end = match frame.get(report.src_used) {
        Some(0) => report.src_used.saturating_add(1),
        Some(_) => return Err(DecodeError::BadFrame),
        None => report.src_used,
    };
    let decoded = frame.get(..report.dst_used).ok_or(DecodeError::BadFrame)?;
    let (message, crc) = decoded
        .split_last_chunk::<FRAME_CRC_LEN>()
        .ok_or(DecodeError::FrameCheckMismatch)?;
    if Crc32::checksum(CASTAGNOLI, message) != u32::from_le_bytes(*crc) {
        return Err(DecodeError::FrameCheckMismatch);
    }
    // After the CRC: a stray 0x00 inside a corrupted frame cuts it short, and the CRC, not
    // the bytes left after the cut, says what went wrong.
    if frame_end != frame.len() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(message)
}

#[cfg(test)]
// Test arithmetic on lengths: overflow would be a test bug (the workspace lints deny it in library code).
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::error::IdError;
    use crate::id::{RedirectionReason, SecurityDomainInfo, ServiceKind};
    use crate::message::Migration;
    use crate::testutil::*;
    use std::vec;
    use std::vec::Vec;

    fn redirection(e2ee: bool) -> PrivateCallRedirection<'static> {
        PrivateCallRedirection {
            service_kind: ServiceKind::McvideoPrivateCall,
            calling_party: id(USER1),
            target_primary: id(USER2_PRIMARY),
            target_migrated: id(USER2_AT_B),
            e2ee_required: e2ee,
            security_domain_info: e2ee.then(|| sdi(KMS_B)),
            reason: Some(RedirectionReason::TargetMigrated),
        }
    }

    /// The order docs/wire-format.md ("Error precedence") gives: when an input breaks several
    /// rules, the first one met is reported.
    #[test]
    fn an_input_breaking_several_rules_gives_the_error_the_docs_put_first() {
        // A private call request: envelope, then the service kind, then the calling party's
        // length (200, over the ID capacity: varint c8 01) and bytes.
        let request_head = [FORMAT_VERSION, 1, 0, 0xc8, 0x01];
        let over_capacity_short: Vec<u8> = request_head.iter().copied().chain([b's'; 10]).collect();
        let over_capacity_not_utf8: Vec<u8> =
            request_head.iter().copied().chain([0xff; 200]).collect();
        // A redirection with E2EE and without security domain information (its last bytes:
        // E2EE flag, the absent information, the absent reason) and a byte after it.
        let mut no_sdi = encoded(&PrivateCallRedirection {
            reason: None,
            ..redirection(false)
        });
        let flag = no_sdi.len() - 3;
        no_sdi[flag] = 1;
        let mut no_sdi_trailing = no_sdi.clone();
        no_sdi_trailing.push(0);
        let cases: [(&[u8], DecodeError); 8] = [
            (&[], DecodeError::Truncated),
            (&[1], DecodeError::UnsupportedVersion(1)),
            (&[FORMAT_VERSION], DecodeError::Truncated),
            (
                &[FORMAT_VERSION, 9, 0xff],
                DecodeError::UnknownMessageType(9),
            ),
            (&over_capacity_short, DecodeError::Truncated),
            (&over_capacity_not_utf8, DecodeError::InvalidUtf8),
            (&no_sdi, DecodeError::MissingSecurityDomainInfo),
            (&no_sdi_trailing, DecodeError::TrailingBytes),
        ];
        for (bytes, error) in cases {
            assert_eq!(decode_message(bytes), Err(error), "{bytes:02x?}");
        }
        // Frames: an empty buffer is not COBS; a lone delimiter decodes to no bytes, too few
        // for a CRC.
        assert_eq!(decode_frame(&mut []), Err(DecodeError::BadFrame));
        assert_eq!(decode_frame(&mut [0]), Err(DecodeError::FrameCheckMismatch));
    }

    fn encoded<'a, M: WireMessage<'a>>(m: &M) -> Vec<u8> {
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let n = encode(m, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    fn string_of(len: usize, prefix: &str) -> std::string::String {
        let mut s = std::string::String::from(prefix);
        s.extend(core::iter::repeat_n('x', len - prefix.len()));
        s
    }

    /// Every field at its capacity: the largest message of each type.
    fn maximal_messages() -> (
        PrivateCallRequest<'static>,
        PrivateCallRedirection<'static>,
        MigrationUpdate<'static>,
    ) {
        let long_id = id(leak(string_of(MC_SERVICE_ID_CAPACITY, "sip:")));
        let long_sdi = Some(sdi(leak(string_of(KMS_URI_CAPACITY, "https:"))));
        let mut long_system = std::string::String::new();
        while long_system.len() + 2 <= MC_SYSTEM_ID_CAPACITY {
            long_system.push_str(if long_system.is_empty() { "a" } else { ".a" });
        }
        long_system.extend(core::iter::repeat_n(
            'b',
            MC_SYSTEM_ID_CAPACITY - long_system.len(),
        ));
        let long_system = system(leak(long_system));
        (
            PrivateCallRequest {
                service_kind: ServiceKind::McdataOneToOne,
                calling_party: long_id,
                target: long_id,
                e2ee_required: true,
                security_domain_info: long_sdi,
            },
            PrivateCallRedirection {
                service_kind: ServiceKind::McdataOneToOne,
                calling_party: long_id,
                target_primary: long_id,
                target_migrated: long_id,
                e2ee_required: true,
                security_domain_info: long_sdi,
                reason: Some(RedirectionReason::TargetNoLongerServed),
            },
            MigrationUpdate::VisitorRegistered {
                local_id: long_id,
                primary_id: long_id,
                primary_system: long_system,
                primary_security_domain_info: long_sdi,
            },
        )
    }

    #[test]
    fn max_encoded_len_is_reached_exactly_by_maximal_messages() {
        let (req, redir, update) = maximal_messages();
        assert_eq!(encoded(&req).len(), REQUEST_MAX_ENCODED_LEN);
        assert_eq!(encoded(&redir).len(), REDIRECTION_MAX_ENCODED_LEN);
        assert_eq!(encoded(&update).len(), MIGRATION_UPDATE_MAX_ENCODED_LEN);
        assert_eq!(
            MAX_ENCODED_LEN,
            REQUEST_MAX_ENCODED_LEN
                .max(REDIRECTION_MAX_ENCODED_LEN)
                .max(MIGRATION_UPDATE_MAX_ENCODED_LEN)
        );
        let mut frame = [0u8; MAX_FRAME_LEN];
        for n in [
            encode_frame(&req, &mut frame).unwrap(),
            encode_frame(&redir, &mut frame).unwrap(),
            encode_frame(&update, &mut frame).unwrap(),
        ] {
            assert!(n <= MAX_FRAME_LEN);
        }
    }

    #[test]
    fn envelope_carries_version_then_type() {
        let bytes = encoded(&redirection(false));
        assert_eq!(bytes[0], FORMAT_VERSION);
        assert_eq!(bytes[1], MessageType::PrivateCallRedirection as u8);
        assert_eq!(
            encoded(&request(
                ServiceKind::McpttPrivateCall,
                USER2_PRIMARY,
                false
            ))[1],
            1
        );
        assert_eq!(encoded(&departed(USER2_AT_B))[1], 3);
    }

    #[test]
    fn every_message_round_trips() {
        let (req, redir, update) = maximal_messages();
        let messages = [
            Message::Request(req),
            Message::Redirection(redir),
            Message::Redirection(redirection(true)),
            Message::Redirection(redirection(false)),
            Message::MigrationUpdate(update),
            Message::MigrationUpdate(migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B))),
            Message::MigrationUpdate(MigrationUpdate::MovedOn(Migration {
                primary_id: id(USER2_PRIMARY),
                partner_system: system(SYSTEM_C),
                partner_id: id(USER2_AT_C_TEL),
                security_domain_info: None,
            })),
            Message::MigrationUpdate(MigrationUpdate::Returned {
                primary_id: id(USER2_PRIMARY),
            }),
            Message::MigrationUpdate(departed(USER2_AT_B)),
        ];
        for msg in messages {
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = encode_message(&msg, &mut buf).unwrap();
            assert_eq!(decode_message(&buf[..n]).unwrap(), msg);
            match &msg {
                Message::Request(m) => {
                    assert_eq!(&PrivateCallRequest::decode(&buf[..n]).unwrap(), m)
                }
                Message::Redirection(m) => {
                    assert_eq!(&PrivateCallRedirection::decode(&buf[..n]).unwrap(), m)
                }
                Message::MigrationUpdate(m) => {
                    assert_eq!(&MigrationUpdate::decode(&buf[..n]).unwrap(), m)
                }
            }
        }
    }

    #[test]
    fn the_payload_is_postcard_and_the_decoder_reads_the_fields_in_declared_order() {
        // postcard over the derived `Serialize`/`Deserialize` is the reference: the payload
        // after the envelope is exactly its bytes, and both decoders read the same message.
        fn check<'a, M>(m: &M, payload: &'a [u8])
        where
            M: WireMessage<'a> + core::fmt::Debug + PartialEq,
        {
            let mut reference = [0u8; MAX_ENCODED_LEN];
            let reference = postcard::to_slice(m, &mut reference).unwrap();
            assert_eq!(payload, &reference[..]);
            assert_eq!(&postcard::from_bytes::<M>(payload).unwrap(), m);
            let decoded = decode_body(M::MESSAGE_TYPE, payload).unwrap();
            assert_eq!(M::from_message(decoded).as_ref(), Some(m));
        }
        for msg in every_kind_of_message() {
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = encode_message(&msg, &mut buf).unwrap();
            let payload = &buf[HEADER_LEN..n];
            match &msg {
                Message::Request(m) => check(m, payload),
                Message::Redirection(m) => check(m, payload),
                Message::MigrationUpdate(m) => check(m, payload),
            }
        }
    }

    #[test]
    fn a_decoded_message_borrows_from_the_input() {
        let bytes = encoded(&redirection(true));
        let view = PrivateCallRedirection::decode(&bytes).unwrap();
        let range = bytes.as_ptr_range();
        assert!(range.contains(&view.target_migrated.as_ptr()));
        assert!(range.contains(&view.security_domain_info.unwrap().kms_uri.as_ptr()));
    }

    #[test]
    fn too_small_buffer_reports_the_exact_length_needed() {
        let msg = redirection(true);
        let full = encoded(&msg);
        // A refused buffer is left as it was: nothing is half-written.
        for len in 0..full.len() {
            let mut buf = vec![0xAAu8; len];
            assert_eq!(
                encode(&msg, &mut buf),
                Err(EncodeError::BufferTooSmall { needed: full.len() })
            );
            assert!(buf.iter().all(|&b| b == 0xAA), "written into at {len}");
        }
        let mut frame = [0u8; MAX_FRAME_LEN];
        let frame_len = encode_frame(&msg, &mut frame).unwrap();
        for len in 0..frame_len {
            let mut buf = vec![0xAAu8; len];
            assert_eq!(
                encode_frame(&msg, &mut buf),
                Err(EncodeError::BufferTooSmall { needed: frame_len })
            );
            assert!(buf.iter().all(|&b| b == 0xAA), "written into at {len}");
        }
    }

    #[test]
    fn frame_size_counts_long_runs_of_non_zero_bytes() {
        // A maximal message has runs well over 254 non-zero bytes: the counter must agree with
        // the real COBS encoder there too.
        let (req, redir, update) = maximal_messages();
        let mut frame = [0u8; MAX_FRAME_LEN];
        for (n, needed) in [
            (
                encode_frame(&req, &mut frame).unwrap(),
                encode_frame(&req, &mut []).unwrap_err(),
            ),
            (
                encode_frame(&redir, &mut frame).unwrap(),
                encode_frame(&redir, &mut []).unwrap_err(),
            ),
            (
                encode_frame(&update, &mut frame).unwrap(),
                encode_frame(&update, &mut []).unwrap_err(),
            ),
        ] {
            assert_eq!(needed, EncodeError::BufferTooSmall { needed: n });
        }
    }

    #[test]
    fn note_e2ee_redirection_without_security_domain_info_is_never_encoded() {
        let mut bad = redirection(true);
        bad.security_domain_info = None;
        let mut buf = [0u8; MAX_ENCODED_LEN];
        assert_eq!(
            encode(&bad, &mut buf),
            Err(EncodeError::MissingSecurityDomainInfo)
        );
        assert_eq!(
            encode_frame(&bad, &mut buf),
            Err(EncodeError::MissingSecurityDomainInfo)
        );
    }

    #[test]
    fn note_e2ee_redirection_without_security_domain_info_is_a_decode_error() {
        // Build the bytes by hand: the encoder refuses to.
        let mut bad = redirection(true);
        bad.security_domain_info = None;
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let n = postcard::to_slice(&(FORMAT_VERSION, 2u8, bad), &mut buf)
            .unwrap()
            .len();
        assert_eq!(
            PrivateCallRedirection::decode(&buf[..n]),
            Err(DecodeError::MissingSecurityDomainInfo)
        );
        assert_eq!(
            decode_message(&buf[..n]),
            Err(DecodeError::MissingSecurityDomainInfo)
        );
    }

    #[test]
    fn truncated_input_is_a_decode_error_at_every_length() {
        for msg in every_kind_of_message() {
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = encode_message(&msg, &mut buf).unwrap();
            for len in 0..n {
                assert_eq!(
                    decode_message(&buf[..len]),
                    Err(DecodeError::Truncated),
                    "{msg:?} cut to {len} bytes"
                );
            }
        }
    }

    #[test]
    fn an_unknown_migration_update_variant_is_malformed() {
        let ty = MessageType::MigrationUpdate as u8;
        // Variant 4 (visitor departed) is the last; 5 and above do not exist, also when
        // followed by what a known variant would hold.
        let valid = encoded(&departed(USER2_AT_B));
        assert_eq!(valid[2], 4);
        for variant in [5u8, 6, 0x7f] {
            let mut bytes = valid.clone();
            bytes[2] = variant;
            assert_eq!(decode_message(&bytes), Err(DecodeError::Malformed));
        }
        // A multi-byte varint index: 128, and an over-long 4.
        let mut bytes = vec![FORMAT_VERSION, ty, 0x80, 0x01];
        bytes.extend_from_slice(&valid[3..]);
        assert_eq!(decode_message(&bytes), Err(DecodeError::Malformed));
        let mut bytes = vec![FORMAT_VERSION, ty, 0x84, 0x00];
        bytes.extend_from_slice(&valid[3..]);
        assert_eq!(decode_message(&bytes), Err(DecodeError::Malformed));
    }

    #[test]
    fn trailing_bytes_are_a_decode_error() {
        let mut bytes = encoded(&redirection(false));
        bytes.push(0);
        assert_eq!(decode_message(&bytes), Err(DecodeError::TrailingBytes));
        assert_eq!(
            PrivateCallRedirection::decode(&bytes),
            Err(DecodeError::TrailingBytes)
        );
    }

    #[test]
    fn unknown_version_and_type_are_decode_errors_not_guesses() {
        let mut bytes = encoded(&redirection(false));
        for version in [0u8, 1, 3, 255] {
            bytes[0] = version;
            assert_eq!(
                decode_message(&bytes),
                Err(DecodeError::UnsupportedVersion(version))
            );
        }
        bytes[0] = FORMAT_VERSION;
        for ty in [0u8, 4, 255] {
            bytes[1] = ty;
            assert_eq!(
                decode_message(&bytes),
                Err(DecodeError::UnknownMessageType(ty))
            );
        }
    }

    #[test]
    fn a_version_1_message_is_refused_also_in_a_frame_with_a_good_crc() {
        assert_eq!(FORMAT_VERSION, 2);
        for msg in every_kind_of_message() {
            let mut bytes = [0u8; MAX_ENCODED_LEN];
            let n = encode_message(&msg, &mut bytes).unwrap();
            bytes[0] = 1;
            assert_eq!(
                decode_message(&bytes[..n]),
                Err(DecodeError::UnsupportedVersion(1))
            );
            let mut frame = frame_of(&bytes[..n]);
            assert_eq!(
                decode_frame(&mut frame),
                Err(DecodeError::UnsupportedVersion(1))
            );
        }
    }

    #[test]
    fn decoding_as_the_wrong_type_is_refused() {
        let bytes = encoded(&redirection(false));
        assert_eq!(
            PrivateCallRequest::decode(&bytes),
            Err(DecodeError::UnexpectedMessageType)
        );
        assert_eq!(
            MigrationUpdate::decode(&bytes),
            Err(DecodeError::UnexpectedMessageType)
        );
    }

    #[test]
    fn decode_expecting_refuses_another_type_before_its_fields_and_returns_its_own() {
        let bytes = encoded(&redirection(false));
        assert_eq!(
            decode_expecting(&bytes, MessageType::PrivateCallRedirection),
            Ok(Message::Redirection(redirection(false)))
        );
        // Another type, even with fields that would not decode: the type decides first.
        let truncated = &bytes[..3];
        assert_eq!(
            decode_expecting(truncated, MessageType::PrivateCallRequest),
            Err(DecodeError::UnexpectedMessageType)
        );
        assert_eq!(
            decode_expecting(truncated, MessageType::PrivateCallRedirection),
            Err(DecodeError::Truncated)
        );
    }

    /// The offset of `needle` in `haystack`.
    fn find(haystack: &[u8], needle: &str) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap()
    }

    #[test]
    fn invalid_utf8_is_a_decode_error() {
        let mut bytes = encoded(&redirection(false));
        let at = find(&bytes, USER2_AT_B);
        bytes[at + 5] = 0xff;
        assert_eq!(decode_message(&bytes), Err(DecodeError::InvalidUtf8));
    }

    #[test]
    fn invalid_uri_is_a_decode_error() {
        let mut bytes = encoded(&redirection(false));
        let at = find(&bytes, USER2_AT_B);
        bytes[at..at + 3].copy_from_slice(b"xyz");
        assert_eq!(
            decode_message(&bytes),
            Err(DecodeError::InvalidField(IdError::InvalidUri))
        );
        bytes[at..at + 3].copy_from_slice(b"s\ni");
        assert_eq!(
            decode_message(&bytes),
            Err(DecodeError::InvalidField(IdError::ControlCharacter))
        );
    }

    #[test]
    fn over_long_string_is_a_decode_error() {
        // A well-formed postcard string one byte over the ID capacity, in the layout of a
        // request (no message can hold it).
        let long = string_of(MC_SERVICE_ID_CAPACITY + 1, "sip:");
        let view = (
            ServiceKind::McpttPrivateCall,
            USER1,
            long.as_str(),
            false,
            None::<&str>,
        );
        let mut buf = [0u8; 2 * MAX_ENCODED_LEN];
        let n = postcard::to_slice(&(FORMAT_VERSION, 1u8, view), &mut buf)
            .unwrap()
            .len();
        assert_eq!(
            PrivateCallRequest::decode(&buf[..n]),
            Err(DecodeError::InvalidField(IdError::TooLong))
        );
    }

    #[test]
    fn malformed_payload_is_a_decode_error() {
        let mut bytes = encoded(&redirection(false));
        bytes[2] = 7; // service kind out of range
        assert_eq!(decode_message(&bytes), Err(DecodeError::Malformed));
        let mut bytes = encoded(&redirection(false));
        let flag = find(&bytes, USER2_AT_B) + USER2_AT_B.len();
        bytes[flag] = 2; // E2EE flag is neither 0 nor 1
        assert_eq!(decode_message(&bytes), Err(DecodeError::Malformed));
    }

    /// The frame of the message `bytes` as the docs define it, built with postcard's COBS
    /// flavor (the `cobs` crate's encoder) rather than `crate::cobs`: the message, its CRC-32C
    /// little-endian, COBS, `0x00`.
    fn frame_of(bytes: &[u8]) -> Vec<u8> {
        use postcard::ser_flavors::{Cobs, Flavor, Slice};
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(bytes);
        let mut out = vec![0u8; 2 * MAX_FRAME_LEN];
        let mut flavor = Cobs::try_new(Slice::new(&mut out)).unwrap();
        flavor.try_extend(bytes).unwrap();
        flavor.try_extend(&crc.to_le_bytes()).unwrap();
        flavor.finalize().unwrap().to_vec()
    }

    /// The frame of `msg` as the docs define it.
    fn documented_frame<'a, M: WireMessage<'a>>(msg: &M) -> Vec<u8> {
        frame_of(&encoded(msg))
    }

    #[test]
    fn a_frame_is_cobs_of_the_message_and_its_crc_32c_le_and_needs_exactly_its_length() {
        let (req, redir, update) = maximal_messages();
        let small = redirection(false);
        let check = |frame: Vec<u8>, encode: &dyn Fn(&mut [u8]) -> Result<usize, EncodeError>| {
            for cap in 0..frame.len() {
                let mut buf = vec![0xAAu8; cap];
                assert_eq!(
                    encode(&mut buf),
                    Err(EncodeError::BufferTooSmall {
                        needed: frame.len()
                    }),
                    "capacity {cap}"
                );
                assert!(buf.iter().all(|&b| b == 0xAA), "written into at {cap}");
            }
            let mut buf = vec![0xAAu8; frame.len() + 3];
            for cap in [frame.len(), frame.len() + 3] {
                assert_eq!(encode(&mut buf[..cap]), Ok(frame.len()));
                assert_eq!(buf[..frame.len()], frame[..]);
            }
        };
        check(documented_frame(&req), &|b| encode_frame(&req, b));
        check(documented_frame(&redir), &|b| encode_frame(&redir, b));
        check(documented_frame(&update), &|b| encode_frame(&update, b));
        check(documented_frame(&small), &|b| encode_frame(&small, b));
    }

    /// The `crc` crate's CRC-32C, an independent reference for frames' CRCs.
    fn frame_crc_oracle() -> crc::Crc<u32> {
        crc::Crc::<u32>::new(&crc::CRC_32_ISCSI)
    }

    #[test]
    fn at_the_default_capacities_the_longest_message_is_within_crc_32c_hamming_distance_6_length() {
        // Koopman's tables: CRC-32C keeps Hamming distance 6 up to 5,243 data bits. The rule
        // holds for the default build-time capacities; larger ones may exceed it, as
        // docs/embedded.md says, and a build with them must still pass its tests.
        let defaults = (
            MC_SERVICE_ID_CAPACITY,
            MC_SYSTEM_ID_CAPACITY,
            KMS_URI_CAPACITY,
        ) == (128, 253, 128);
        let bits = std::hint::black_box(MAX_ENCODED_LEN) * 8;
        assert!(!defaults || bits <= 5243, "{bits} bits");
    }

    #[test]
    fn the_crc_is_crc_32c_little_endian_right_after_the_message() {
        // The check value of CRC-32C ("123456789"), as catalogued: the algorithm is Castagnoli's.
        assert_eq!(frame_crc_oracle().checksum(b"123456789"), 0xE306_9283);
        let msg = redirection(true);
        let bytes = encoded(&msg);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = encode_frame(&msg, &mut frame).unwrap();
        let decoded = crate::cobs::decode_in_place(&mut frame[..n]).unwrap();
        let (message, crc) = frame[..decoded.dst_used].split_at(bytes.len());
        assert_eq!(message, &bytes[..]);
        assert_eq!(crc, frame_crc_oracle().checksum(&bytes).to_le_bytes());
    }

    /// A valid frame of each kind of message: request, redirection with and without E2EE, every
    /// migration update variant, and the longest message of each type.
    fn every_kind_of_message() -> Vec<Message<'static>> {
        let (req, redir, update) = maximal_messages();
        vec![
            Message::Request(request(ServiceKind::McpttPrivateCall, USER2_PRIMARY, false)),
            Message::Request(request(ServiceKind::McvideoPrivateCall, USER2_AT_B, true)),
            Message::Request(req),
            Message::Redirection(redirection(true)),
            Message::Redirection(redirection(false)),
            Message::Redirection(redir),
            Message::MigrationUpdate(migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B))),
            Message::MigrationUpdate(migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None)),
            Message::MigrationUpdate(MigrationUpdate::MovedOn(Migration {
                primary_id: id(USER2_PRIMARY),
                partner_system: system(SYSTEM_C),
                partner_id: id(USER2_AT_C_TEL),
                security_domain_info: Some(sdi(KMS_B)),
            })),
            Message::MigrationUpdate(MigrationUpdate::Returned {
                primary_id: id(USER2_PRIMARY),
            }),
            Message::MigrationUpdate(registered(USER2_AT_B, USER2_PRIMARY, Some(KMS_B))),
            Message::MigrationUpdate(departed(USER2_AT_B)),
            Message::MigrationUpdate(update),
        ]
    }

    fn frame_of_message(msg: &Message) -> Vec<u8> {
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = match msg {
            Message::Request(m) => encode_frame(m, &mut frame),
            Message::Redirection(m) => encode_frame(m, &mut frame),
            Message::MigrationUpdate(m) => encode_frame(m, &mut frame),
        }
        .unwrap();
        frame[..n].to_vec()
    }

    /// Decodes `frame` with bits `first_bit + flips[i]` flipped (bit `8 * k` is the least
    /// significant bit of byte `k`) and asserts a frame-level refusal: never a message, never
    /// a message-level error.
    fn assert_refused_with(frame: &[u8], scratch: &mut Vec<u8>, first_bit: usize, flips: &[usize]) {
        scratch.clear();
        scratch.extend_from_slice(frame);
        for &bit in flips {
            let at = first_bit + bit;
            scratch[at / 8] ^= 1 << (at % 8);
        }
        let got = decode_frame(scratch);
        assert!(
            matches!(
                got,
                Err(DecodeError::FrameCheckMismatch) | Err(DecodeError::BadFrame)
            ),
            "bits {first_bit} + {flips:?} of {frame:02x?}: {got:?}"
        );
    }

    #[test]
    fn every_single_bit_error_in_a_frame_is_refused_as_a_frame_error() {
        let mut scratch = Vec::with_capacity(MAX_FRAME_LEN);
        for msg in every_kind_of_message() {
            let frame = frame_of_message(&msg);
            assert_eq!(
                decode_frame(&mut frame.clone()).unwrap(),
                msg,
                "the frame is valid"
            );
            // The delimiter too.
            for bit in 0..frame.len() * 8 {
                assert_refused_with(&frame, &mut scratch, bit, &[0]);
            }
        }
    }

    #[test]
    fn bursts_of_2_to_16_bits_at_every_position_all_bits_or_sampled_interiors_are_frame_errors() {
        let mut scratch = Vec::with_capacity(MAX_FRAME_LEN);
        let (mut every_bit, mut some_bits) = (Vec::new(), Vec::new());
        // A burst of length `burst` flips its first and last bit and any of those between:
        // each position gets every bit flipped, and either the two ends alone or (every other
        // position) ends plus pseudo-random interior bits, from a fixed xorshift seed.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for msg in every_kind_of_message() {
            let frame = frame_of_message(&msg);
            let bits = frame.len() * 8;
            for burst in 2..=16 {
                every_bit.clear();
                every_bit.extend(0..burst);
                for first_bit in 0..=bits - burst {
                    assert_refused_with(&frame, &mut scratch, first_bit, &every_bit);
                    if burst > 2 {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        some_bits.clear();
                        some_bits.push(0);
                        if first_bit % 2 == 1 {
                            some_bits.extend((1..burst - 1).filter(|b| state >> b & 1 == 1));
                        }
                        some_bits.push(burst - 1);
                        assert_refused_with(&frame, &mut scratch, first_bit, &some_bits);
                    }
                }
            }
        }
    }

    #[test]
    fn maximal_messages_round_trip_through_frames() {
        let (req, redir, update) = maximal_messages();
        for msg in [
            Message::Request(req),
            Message::Redirection(redir),
            Message::MigrationUpdate(update),
        ] {
            let mut frame = [0u8; MAX_FRAME_LEN];
            let n = match &msg {
                Message::Request(m) => encode_frame(m, &mut frame),
                Message::Redirection(m) => encode_frame(m, &mut frame),
                Message::MigrationUpdate(m) => encode_frame(m, &mut frame),
            }
            .unwrap();
            assert_eq!(decode_frame(&mut frame[..n]).unwrap(), msg);
        }
        assert_eq!(
            decode_message(&[FORMAT_VERSION, 9]),
            Err(DecodeError::UnknownMessageType(9))
        );
    }

    #[test]
    fn frames_round_trip_and_hold_no_zero_but_the_delimiter() {
        let msg = redirection(true);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = encode_frame(&msg, &mut frame).unwrap();
        assert_eq!(frame[n - 1], 0);
        assert!(!frame[..n - 1].contains(&0));
        let mut with_delimiter = frame[..n].to_vec();
        assert_eq!(
            decode_frame(&mut with_delimiter).unwrap(),
            Message::Redirection(msg)
        );
        let mut without = frame[..n - 1].to_vec();
        assert_eq!(
            decode_frame(&mut without).unwrap(),
            Message::Redirection(msg)
        );
    }

    #[test]
    fn bad_frames_are_decode_errors() {
        let msg = redirection(false);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = encode_frame(&msg, &mut frame).unwrap();
        let mut trailing = frame[..n].to_vec();
        trailing.push(5);
        assert_eq!(decode_frame(&mut trailing), Err(DecodeError::TrailingBytes));
        assert_eq!(decode_frame(&mut []), Err(DecodeError::BadFrame));
        let mut overrun = vec![0x09, 1, 2];
        assert_eq!(decode_frame(&mut overrun), Err(DecodeError::BadFrame));
    }

    #[test]
    fn a_frame_with_a_wrong_crc_or_too_short_for_one_is_a_frame_check_mismatch() {
        let msg = redirection(false);
        let bytes = encoded(&msg);
        // The message alone, COBS-framed without a CRC.
        let mut no_crc = vec![0u8; MAX_FRAME_LEN];
        let envelope = (
            FORMAT_VERSION,
            MessageType::PrivateCallRedirection as u8,
            &msg,
        );
        let n = postcard::to_slice_cobs(&envelope, &mut no_crc)
            .unwrap()
            .len();
        assert_eq!(
            decode_frame(&mut no_crc[..n]),
            Err(DecodeError::FrameCheckMismatch)
        );
        // Any wrong CRC, with the message intact.
        let good = frame_of(&bytes);
        let crc = frame_crc_oracle().checksum(&bytes);
        for wrong in [crc ^ 1, crc ^ 0x8000_0000, !crc, 0, crc.swap_bytes()] {
            let mut covered = bytes.clone();
            covered.extend_from_slice(&wrong.to_le_bytes());
            let mut frame = frame_of_raw(&covered);
            assert_ne!(frame, good);
            assert_eq!(
                decode_frame(&mut frame),
                Err(DecodeError::FrameCheckMismatch),
                "crc {wrong:08x}"
            );
        }
        // Frames that decode to fewer bytes than a CRC: the bare delimiter, one to three bytes.
        for covered in [&[][..], &[2], &[2, 1], &[2, 1, 0]] {
            let mut frame = frame_of_raw(covered);
            assert_eq!(
                decode_frame(&mut frame),
                Err(DecodeError::FrameCheckMismatch),
                "{covered:?}"
            );
        }
        // Four bytes whose CRC part matches an empty message: the CRC passes, the message is
        // truncated.
        let mut empty = frame_of(&[]);
        assert_eq!(decode_frame(&mut empty), Err(DecodeError::Truncated));
    }

    /// `covered` COBS-encoded with its delimiter, nothing appended.
    fn frame_of_raw(covered: &[u8]) -> Vec<u8> {
        use postcard::ser_flavors::{Cobs, Flavor, Slice};
        let mut out = vec![0u8; 2 * MAX_FRAME_LEN];
        let mut flavor = Cobs::try_new(Slice::new(&mut out)).unwrap();
        flavor.try_extend(covered).unwrap();
        flavor.finalize().unwrap().to_vec()
    }

    #[test]
    fn security_domain_info_survives_the_wire() {
        let bytes = encoded(&redirection(true));
        let back = PrivateCallRedirection::decode(&bytes).unwrap();
        assert_eq!(
            back.security_domain_info,
            Some(SecurityDomainInfo::new(KMS_B).unwrap())
        );
    }
}
