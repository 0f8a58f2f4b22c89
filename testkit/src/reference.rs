//! The frame's CRC-32C and COBS, written apart from the library, as the independent reference
//! the tests hold its frames and the docs' example to.

/// Bitwise CRC-32C (Castagnoli, reflected 0x82F63B78, init and xorout 0xFFFFFFFF).
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// COBS-decodes `frame` up to its first `0x00` (or its end): each code byte `n` is followed by
/// `n - 1` bytes and, but for a full block of 255 or the last one, a zero.
pub fn cobs_decode(frame: &[u8]) -> Vec<u8> {
    let end = frame.iter().position(|&b| b == 0).unwrap_or(frame.len());
    let (mut out, mut at) = (Vec::new(), 0);
    while at < end {
        let code = usize::from(frame[at]);
        out.extend_from_slice(&frame[at + 1..at + code]);
        at += code;
        if code != 0xFF && at < end {
            out.push(0);
        }
    }
    out
}

/// COBS-encodes `data` and appends the delimiter.
pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    let mut code_at = 0;
    for &b in data {
        if b == 0 {
            out[code_at] = u8::try_from(out.len() - code_at).unwrap();
            code_at = out.len();
            out.push(0);
        } else {
            out.push(b);
            if out.len() - code_at == 0xFF {
                out[code_at] = 0xFF;
                code_at = out.len();
                out.push(0);
            }
        }
    }
    out[code_at] = u8::try_from(out.len() - code_at).unwrap();
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_has_its_catalogued_check_value_and_cobs_round_trips() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(cobs_decode(&cobs_encode(&[1, 0, 2, 0])), vec![1, 0, 2, 0]);
        let long: Vec<u8> = (0..600).map(|i| (i % 255 + 1) as u8).collect();
        assert_eq!(cobs_decode(&cobs_encode(&long)), long);
    }
}
