//! MIKEY messages in a packet capture (pcap or pcapng, as tcpdump, dumpcap and Wireshark save):
//! UDP datagrams to or from port 2269 (RFC 3830 §7) are messages themselves, and any other UDP
//! datagram that holds SIP with an SDP body gives its `a=key-mgmt:mikey` lines (RFC 4567).
//! Link types: Ethernet, Linux cooked (SLL, SLL2), raw IP. TCP is not reassembled.

/// The UDP port of MIKEY (RFC 3830 §7).
pub const MIKEY_PORT: u16 = 2269;

const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Whether `bytes` start like a pcap or pcapng file.
pub fn is_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

/// One UDP datagram of the capture: its frame number (from 1), ports and payload.
pub struct Datagram {
    pub frame: usize,
    pub source_port: u16,
    pub destination_port: u16,
    pub payload: Vec<u8>,
}

/// The UDP datagrams of a capture, or why it cannot be read.
pub fn datagrams(bytes: &[u8]) -> Result<Vec<Datagram>, String> {
    let frames = if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) { pcapng_frames(bytes)? } else { pcap_frames(bytes)? };
    Ok(frames
        .into_iter()
        .enumerate()
        .filter_map(|(index, (link_type, frame))| {
            let (source_port, destination_port, payload) = udp_payload(link_type, frame)?;
            Some(Datagram { frame: index + 1, source_port, destination_port, payload: payload.to_vec() })
        })
        .collect())
}

/// A 16- or 32-bit field of a capture file in its byte order.
struct Order {
    little: bool,
}

impl Order {
    fn u16(&self, bytes: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little { u16::from_le_bytes(raw) } else { u16::from_be_bytes(raw) })
    }

    fn u32(&self, bytes: &[u8], at: usize) -> Option<u32> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little { u32::from_le_bytes(raw) } else { u32::from_be_bytes(raw) })
    }
}

/// The frames of a classic pcap file with the link type of its header.
fn pcap_frames(bytes: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    let truncated = || "truncated pcap file".to_owned();
    let little = matches!(bytes.get(..4), Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]));
    let order = Order { little };
    let link_type = order.u32(bytes, 20).ok_or_else(truncated)?;
    let mut frames = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let captured = order.u32(bytes, at + 8).ok_or_else(truncated)? as usize;
        let frame = bytes.get(at + 16..).and_then(|rest| rest.get(..captured)).ok_or_else(truncated)?;
        frames.push((link_type, frame));
        at += 16 + captured;
    }
    Ok(frames)
}

/// The frames of a pcapng file (Enhanced and Simple Packet Blocks), each with the link type
/// of its interface.
fn pcapng_frames(bytes: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    let truncated = || "truncated pcapng file".to_owned();
    let mut frames = Vec::new();
    let mut link_types = Vec::new();
    let mut order = Order { little: true };
    let mut at = 0;
    while at < bytes.len() {
        let block_type_raw = bytes.get(at..at + 4).ok_or_else(truncated)?;
        if block_type_raw == [0x0a, 0x0d, 0x0d, 0x0a] {
            // Section Header Block: its byte-order magic sets the order of the section.
            order = Order { little: bytes.get(at + 8..at + 12) == Some(&[0x4d, 0x3c, 0x2b, 0x1a]) };
            link_types.clear();
        }
        let block_type = order.u32(bytes, at).ok_or_else(truncated)?;
        let length = order.u32(bytes, at + 4).ok_or_else(truncated)? as usize;
        let block = bytes.get(at..at.checked_add(length).ok_or_else(truncated)?).ok_or_else(truncated)?;
        if length < 12 {
            return Err(format!("pcapng block of {length} bytes at offset {at}"));
        }
        match block_type {
            // Interface Description Block.
            1 => link_types.push(u32::from(order.u16(block, 8).ok_or_else(truncated)?)),
            // Enhanced Packet Block.
            6 => {
                let interface = order.u32(block, 8).ok_or_else(truncated)? as usize;
                let captured = order.u32(block, 20).ok_or_else(truncated)? as usize;
                let frame = block.get(28..).and_then(|rest| rest.get(..captured)).ok_or_else(truncated)?;
                let link_type = *link_types.get(interface).ok_or("pcapng packet of an undescribed interface")?;
                frames.push((link_type, frame));
            }
            // Simple Packet Block: interface 0, the rest of the block up to the trailer.
            3 => {
                let link_type = *link_types.first().ok_or("pcapng packet of an undescribed interface")?;
                frames.push((link_type, block.get(12..length - 4).ok_or_else(truncated)?));
            }
            _ => {}
        }
        at += length;
    }
    Ok(frames)
}

/// The UDP ports and payload of a frame, when it holds an unfragmented UDP datagram over IPv4
/// or IPv6.
fn udp_payload(link_type: u32, frame: &[u8]) -> Option<(u16, u16, &[u8])> {
    let (ether_type, packet) = match link_type {
        LINKTYPE_ETHERNET => {
            let mut at = 12;
            let mut ether_type = u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?);
            // 802.1Q / 802.1ad tags.
            while ether_type == 0x8100 || ether_type == 0x88a8 {
                at += 4;
                ether_type = u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?);
            }
            (ether_type, frame.get(at + 2..)?)
        }
        LINKTYPE_LINUX_SLL => (u16::from_be_bytes(frame.get(14..16)?.try_into().ok()?), frame.get(16..)?),
        LINKTYPE_LINUX_SLL2 => (u16::from_be_bytes(frame.get(0..2)?.try_into().ok()?), frame.get(20..)?),
        LINKTYPE_RAW => (if frame.first()? >> 4 == 6 { 0x86dd } else { 0x0800 }, frame),
        _ => return None,
    };
    let (protocol, datagram) = match ether_type {
        0x0800 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let total_len = usize::from(u16::from_be_bytes(packet.get(2..4)?.try_into().ok()?));
            let fragmented = u16::from_be_bytes(packet.get(6..8)?.try_into().ok()?) & 0x3fff != 0;
            if fragmented {
                return None;
            }
            (*packet.get(9)?, packet.get(header_len..total_len.min(packet.len()))?)
        }
        0x86dd => (*packet.get(6)?, packet.get(40..)?),
        _ => return None,
    };
    const UDP: u8 = 17;
    if protocol != UDP {
        return None;
    }
    let source_port = u16::from_be_bytes(datagram.get(0..2)?.try_into().ok()?);
    let destination_port = u16::from_be_bytes(datagram.get(2..4)?.try_into().ok()?);
    let udp_len = usize::from(u16::from_be_bytes(datagram.get(4..6)?.try_into().ok()?));
    Some((source_port, destination_port, datagram.get(8..udp_len.min(datagram.len()))?))
}
