//! Captures: classic pcap files (LINKTYPE_RAW: each packet an IPv4 header, a UDP header and one
//! message), written and read by hand, with the address plan that gives every entity of the
//! demonstration its own address.
//!
//! Plain `std` only: the integration tests include this file as it is.
//!
//! - Bare messages travel on UDP port [`BARE_PORT`], COBS frames (delimiter included) on
//!   [`FRAME_PORT`]. Both are in the dynamic range (49152–65535), which IANA never assigns.
//! - Each entity has one address in 10.0.0.0/24 ([`ENTITIES`]); nothing is sent, the addresses
//!   only name the entities inside the file.

/// UDP port of bare messages (version, type, payload).
pub const BARE_PORT: u16 = 52380;
/// UDP port of COBS frames (message and CRC-32C, COBS-encoded, 0x00 delimiter).
pub const FRAME_PORT: u16 = 52381;

/// LINKTYPE_RAW: the packet starts with its IPv4 header.
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_IPV4: the same, under its own link type (read, never written).
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE_ETHERNET (read, never written).
pub const LINKTYPE_ETHERNET: u32 = 1;

/// 2026-01-01T00:00:00Z: the capture's first timestamp, so a run's capture is byte for byte
/// the same every time.
pub const EPOCH_SECONDS: u32 = 1_767_225_600;

/// Every entity of the demonstration and its address.
pub const ENTITIES: &[(&str, [u8; 4])] = &[
    ("MC service client 1", [10, 0, 0, 1]),
    ("MC service client 2", [10, 0, 0, 2]),
    ("MC service server A", [10, 0, 0, 11]),
    ("MC service server B", [10, 0, 0, 12]),
    ("MC service server C", [10, 0, 0, 13]),
    ("MC system A", [10, 0, 0, 21]),
    ("MC system B", [10, 0, 0, 22]),
    ("MC system C", [10, 0, 0, 23]),
    ("rogue node", [10, 0, 0, 99]),
];

/// The address of an entity of the demonstration.
pub fn address_of(entity: &str) -> Option<[u8; 4]> {
    ENTITIES.iter().find(|(n, _)| *n == entity).map(|(_, a)| *a)
}

/// The entity at an address, or the address in dotted form.
pub fn entity_at(addr: [u8; 4]) -> String {
    ENTITIES.iter().find(|(_, a)| *a == addr).map_or_else(
        || format!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]),
        |(n, _)| (*n).to_owned(),
    )
}

/// One UDP datagram of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Microseconds since [`EPOCH_SECONDS`] (writing) or since the Unix epoch (reading).
    pub micros: u64,
    /// Source IPv4 address.
    pub src: [u8; 4],
    /// Destination IPv4 address.
    pub dst: [u8; 4],
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// The UDP payload.
    pub payload: Vec<u8>,
}

impl Packet {
    /// Whether the payload is a COBS frame: either port is [`FRAME_PORT`].
    pub fn framed(&self) -> bool {
        self.dst_port == FRAME_PORT || self.src_port == FRAME_PORT
    }
}

/// IPv4 header checksum (RFC 791): one's complement of the one's complement sum.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(w[0]) << 8 | u32::from(*w.get(1).unwrap_or(&0)))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A whole pcap file (microsecond timestamps, little-endian) of `packets`, LINKTYPE_RAW.
/// Fails for a payload too long for one UDP datagram.
pub fn write(packets: &[Packet]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&65_535u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        let total = 20 + 8 + p.payload.len();
        let total16 = u16::try_from(total).map_err(|_| format!("packet {i} too long"))?;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&total16.to_be_bytes());
        ip.extend_from_slice(&((i & 0xffff) as u16).to_be_bytes()); // identification
        ip.extend_from_slice(&[0x40, 0]); // don't fragment
        ip.extend_from_slice(&[64, 17, 0, 0]); // TTL, UDP, checksum (below)
        ip.extend_from_slice(&p.src);
        ip.extend_from_slice(&p.dst);
        let sum = ipv4_checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut packet = ip;
        packet.extend_from_slice(&p.src_port.to_be_bytes());
        packet.extend_from_slice(&p.dst_port.to_be_bytes());
        packet.extend_from_slice(&(total16 - 20).to_be_bytes());
        // UDP checksum 0: none computed (RFC 768 allows it over IPv4).
        packet.extend_from_slice(&[0, 0]);
        packet.extend_from_slice(&p.payload);
        let secs = u64::from(EPOCH_SECONDS) + p.micros / 1_000_000;
        let secs = u32::try_from(secs).map_err(|_| format!("packet {i}: timestamp too late"))?;
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&((p.micros % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(&packet);
    }
    Ok(out)
}

/// Reads the UDP datagrams of a classic pcap file (either byte order, micro- or nanosecond
/// timestamps; LINKTYPE_RAW, LINKTYPE_IPV4 or LINKTYPE_ETHERNET). Packets that are not
/// IPv4/UDP are skipped; a file cut short is an error.
pub fn read(file: &[u8]) -> Result<Vec<Packet>, String> {
    let magic = file
        .get(..4)
        .ok_or("not a pcap file: shorter than its header")?;
    let (le, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return Err("not a pcap file (pcapng is not read: save as pcap)".into()),
    };
    let u32_at = |at: usize| -> Result<u32, String> {
        let b: [u8; 4] = file
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or("pcap file cut short")?;
        Ok(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let linktype = u32_at(20)? & 0x0fff_ffff;
    let ip_offset = match linktype {
        LINKTYPE_RAW | LINKTYPE_IPV4 => 0,
        LINKTYPE_ETHERNET => 14,
        other => {
            return Err(format!(
                "pcap link type {other} not read (raw IPv4 or Ethernet)"
            ))
        }
    };
    let mut packets = Vec::new();
    let mut at = 24;
    while at < file.len() {
        let secs = u64::from(u32_at(at)?);
        let frac = u64::from(u32_at(at + 4)?);
        let caplen = u32_at(at + 8)? as usize;
        let data = file
            .get(at + 16..at + 16 + caplen)
            .ok_or("pcap file cut short")?;
        at += 16 + caplen;
        let micros = secs * 1_000_000 + if nanos { frac / 1000 } else { frac };
        if let Some(p) = udp(data.get(ip_offset..).unwrap_or(&[]), micros) {
            packets.push(p);
        }
    }
    Ok(packets)
}

/// The UDP datagram in an IPv4 packet, if it is one.
fn udp(ip: &[u8], micros: u64) -> Option<Packet> {
    let first = *ip.first()?;
    if first >> 4 != 4 || *ip.get(9)? != 17 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let addr = |at: usize| -> Option<[u8; 4]> { ip.get(at..at + 4)?.try_into().ok() };
    let udp = ip.get(ihl..total.min(ip.len()))?;
    let port =
        |at: usize| -> Option<u16> { Some(u16::from_be_bytes([*udp.get(at)?, *udp.get(at + 1)?])) };
    let len = usize::from(port(4)?);
    Some(Packet {
        micros,
        src: addr(12)?,
        dst: addr(16)?,
        src_port: port(0)?,
        dst_port: port(2)?,
        payload: udp.get(8..len.max(8).min(udp.len()))?.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_packets_read_back() {
        let packets = vec![
            Packet {
                micros: 1_000,
                src: [10, 0, 0, 1],
                dst: [10, 0, 0, 11],
                src_port: FRAME_PORT,
                dst_port: FRAME_PORT,
                payload: vec![3, 2, 1, 0],
            },
            Packet {
                micros: 2_500_001,
                src: [10, 0, 0, 22],
                dst: [10, 0, 0, 11],
                src_port: BARE_PORT,
                dst_port: BARE_PORT,
                payload: vec![2, 3, 0, 1],
            },
        ];
        let file = write(&packets).unwrap();
        let read = read(&file).unwrap();
        let expected: Vec<Packet> = packets
            .into_iter()
            .map(|p| Packet {
                micros: p.micros + u64::from(EPOCH_SECONDS) * 1_000_000,
                ..p
            })
            .collect();
        assert_eq!(read, expected);
        assert!(read[0].framed() && !read[1].framed());
    }

    #[test]
    fn ipv4_checksum_of_a_header_with_its_checksum_is_zero() {
        let file = write(&[Packet {
            micros: 0,
            src: [10, 0, 0, 1],
            dst: [10, 0, 0, 2],
            src_port: 1,
            dst_port: 2,
            payload: vec![0; 5],
        }])
        .unwrap();
        assert_eq!(ipv4_checksum(&file[40..60]), 0);
    }

    #[test]
    fn a_file_cut_short_is_an_error_and_not_pcap_is_named() {
        let file = write(&[Packet {
            micros: 0,
            src: [10, 0, 0, 1],
            dst: [10, 0, 0, 2],
            src_port: 1,
            dst_port: 2,
            payload: vec![1, 2, 3],
        }])
        .unwrap();
        assert_eq!(
            read(&file[..file.len() - 1]).unwrap_err(),
            "pcap file cut short"
        );
        assert!(read(b"\x0a\x0d\x0d\x0a....")
            .unwrap_err()
            .contains("pcapng"));
    }

    #[test]
    fn entities_have_distinct_addresses_and_unknown_ones_print_dotted() {
        for (i, (_, a)) in ENTITIES.iter().enumerate() {
            assert!(ENTITIES[i + 1..].iter().all(|(_, b)| b != a));
        }
        assert_eq!(entity_at([10, 0, 0, 12]), "MC service server B");
        assert_eq!(entity_at([192, 0, 2, 1]), "192.0.2.1");
    }
}
