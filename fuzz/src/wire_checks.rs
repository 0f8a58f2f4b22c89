//! Properties of the wire format checked on arbitrary bytes (targets `decode_any`, `roundtrip`).

use mcx_migrate::wire::{
    self, decode_frame, decode_message, encode_frame, encode_message, peek_type, MessageType,
    MAX_ENCODED_LEN, MAX_FRAME_LEN,
};
use mcx_migrate::{
    DecodeError, EncodeError, Message, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
};

/// The result a typed decode of `M` must give, derived from the any-type decode: the envelope's
/// error, [`DecodeError::UnexpectedMessageType`] for another type, or the same outcome.
fn expected_typed<T: PartialEq + core::fmt::Debug>(
    actual: Result<T, DecodeError>,
    ty: Result<MessageType, DecodeError>,
    this: MessageType,
    same_type_outcome: Result<T, DecodeError>,
) {
    let expected = match ty {
        Err(e) => Err(e),
        Ok(ty) if ty != this => Err(DecodeError::UnexpectedMessageType),
        Ok(_) => same_type_outcome,
    };
    assert_eq!(
        actual, expected,
        "typed decode of {this:?} disagrees with decode_message"
    );
}

/// `decode_any`: every decoder on arbitrary bytes. None may panic; they must agree with each
/// other; an accepted message validates and encodes again.
pub fn check_decode_any(data: &[u8]) {
    let any = decode_message(data);
    let ty = peek_type(data).map(|(ty, _)| ty);
    if let Ok(message) = &any {
        assert_eq!(
            message.validate(),
            Ok(()),
            "an accepted message must validate"
        );
        assert_eq!(ty.ok(), Some(message_type(message)));
    }

    // Each typed decoder, generic and inherent, against decode_message.
    expected_typed(
        wire::decode::<PrivateCallRequest>(data).map(Message::Request),
        ty,
        MessageType::PrivateCallRequest,
        any,
    );
    expected_typed(
        wire::decode::<PrivateCallRedirection>(data).map(Message::Redirection),
        ty,
        MessageType::PrivateCallRedirection,
        any,
    );
    expected_typed(
        wire::decode::<MigrationUpdate>(data).map(Message::MigrationUpdate),
        ty,
        MessageType::MigrationUpdate,
        any,
    );
    expected_typed(
        PrivateCallRequest::decode(data).map(Message::Request),
        ty,
        MessageType::PrivateCallRequest,
        any,
    );
    expected_typed(
        PrivateCallRedirection::decode(data).map(Message::Redirection),
        ty,
        MessageType::PrivateCallRedirection,
        any,
    );
    expected_typed(
        MigrationUpdate::decode(data).map(Message::MigrationUpdate),
        ty,
        MessageType::MigrationUpdate,
        any,
    );

    // The same bytes framed with their CRC-32C, as the docs define a frame: the frame decodes
    // exactly as the message does.
    let mut framed = frame_of(data);
    assert_eq!(
        decode_frame(&mut framed),
        any,
        "a frame with a good CRC decodes otherwise than its message"
    );

    // The bytes themselves as a frame, decoded in place on a copy.
    let mut copy = data.to_vec();
    if let Ok(message) = decode_frame(&mut copy) {
        assert_eq!(
            message.validate(),
            Ok(()),
            "an accepted frame must validate"
        );
        // Re-framing what was accepted gives the same message back.
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = encode_frame_any(&message, &mut frame).expect("an accepted message must encode");
        let back = decode_frame(&mut frame[..n]).expect("a frame we encoded must decode");
        assert_eq!(back, message);
    }
}

/// `bytes` framed as `wire`'s docs define it, written independently of the library:
/// COBS(`bytes` || CRC-32C of `bytes`, little-endian), then `0x00`.
fn frame_of(bytes: &[u8]) -> Vec<u8> {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(bytes);
    let mut covered = bytes.to_vec();
    covered.extend_from_slice(&crc.to_le_bytes());
    mcx_testkit::reference::cobs_encode(&covered)
}

fn message_type(message: &Message<'_>) -> MessageType {
    match message {
        Message::Request(_) => MessageType::PrivateCallRequest,
        Message::Redirection(_) => MessageType::PrivateCallRedirection,
        Message::MigrationUpdate(_) => MessageType::MigrationUpdate,
    }
}

fn encode_frame_any(msg: &Message<'_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    match msg {
        Message::Request(m) => encode_frame(m, buf),
        Message::Redirection(m) => encode_frame(m, buf),
        Message::MigrationUpdate(m) => encode_frame(m, buf),
    }
}

fn encode_typed(msg: &Message<'_>, buf: &mut [u8]) -> Result<usize, EncodeError> {
    match msg {
        Message::Request(m) => m.encode(buf),
        Message::Redirection(m) => m.encode(buf),
        Message::MigrationUpdate(m) => m.encode(buf),
    }
}

/// `roundtrip`: for every accepted input, decode → encode → decode is the identity, and encode
/// gives back exactly the accepted bytes: the decoder accepts only the canonical encoding
/// (postcard alone would take over-long varints such as `[0x87, 0x00]` for 7; `wire` refuses
/// them as `Malformed`), so one message has one byte string.
pub fn check_roundtrip(data: &[u8]) {
    let Ok(message) = decode_message(data) else {
        return;
    };

    let mut buf = [0u8; MAX_ENCODED_LEN];
    let n = encode_message(&message, &mut buf).expect("an accepted message must encode");
    let encoded = &buf[..n];
    assert_eq!(
        encoded, data,
        "the encoding of an accepted input is not the input"
    );

    // decode → encode → decode is the identity, through every decoder.
    let again = decode_message(encoded).expect("our own encoding must decode");
    assert_eq!(again, message);
    match &message {
        Message::Request(m) => assert_eq!(PrivateCallRequest::decode(encoded).as_ref(), Ok(m)),
        Message::Redirection(m) => {
            assert_eq!(PrivateCallRedirection::decode(encoded).as_ref(), Ok(m))
        }
        Message::MigrationUpdate(m) => assert_eq!(MigrationUpdate::decode(encoded).as_ref(), Ok(m)),
    }

    // The typed encoder writes the same bytes; the encoding is a fixpoint.
    let mut typed = [0u8; MAX_ENCODED_LEN];
    assert_eq!(encode_typed(&message, &mut typed), Ok(n));
    assert_eq!(&typed[..n], encoded);
    let mut fixpoint = [0u8; MAX_ENCODED_LEN];
    let m = encode_message(&again, &mut fixpoint).expect("re-encoding must succeed");
    assert_eq!(&fixpoint[..m], encoded, "encoding is not a fixpoint");

    // The buffer-size contract: exactly n bytes suffice, one less reports n.
    let mut exact = [0u8; MAX_ENCODED_LEN];
    assert_eq!(encode_message(&message, &mut exact[..n]), Ok(n));
    assert_eq!(
        encode_message(&message, &mut exact[..n - 1]),
        Err(EncodeError::BufferTooSmall { needed: n })
    );

    // The same message as a COBS frame: one 0x00, at the end; decodes to the same message.
    let mut frame = [0u8; MAX_FRAME_LEN];
    let f = encode_frame_any(&message, &mut frame).expect("an accepted message must frame");
    assert_eq!(frame[f - 1], 0);
    assert!(
        !frame[..f - 1].contains(&0),
        "a frame holds no 0x00 but its delimiter"
    );
    assert_eq!(
        encode_frame_any(&message, &mut [0u8; MAX_FRAME_LEN][..f - 1]),
        Err(EncodeError::BufferTooSmall { needed: f })
    );
    assert_eq!(
        frame[..f],
        frame_of(encoded)[..],
        "the frame is not the documented one"
    );
    // Every single-bit error in the frame, delimiter included, is refused as a frame error
    // (CRC-32C, Hamming distance 6 at these lengths), never as a message or a message error.
    for bit in 0..f * 8 {
        let mut corrupted = frame[..f].to_vec();
        corrupted[bit / 8] ^= 1 << (bit % 8);
        let got = decode_frame(&mut corrupted);
        assert!(
            matches!(
                got,
                Err(DecodeError::FrameCheckMismatch) | Err(DecodeError::BadFrame)
            ),
            "bit {bit} of the frame flipped: {got:?}"
        );
    }
    assert_eq!(decode_frame(&mut frame[..f]), Ok(message));
}
