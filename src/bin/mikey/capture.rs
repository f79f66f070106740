//! MIKEY messages in a packet capture (pcap or pcapng, as tcpdump, dumpcap and Wireshark save):
//! the payload of each UDP datagram, and of each direction of a TCP connection reassembled in
//! sequence order (RFC 9293 §3.4), is a [`Flow`]. Flows to or from port 2269 carry MIKEY
//! messages; others may carry SIP with `a=key-mgmt:mikey` lines (RFC 4567). Link types:
//! Ethernet, Linux cooked (SLL, SLL2), raw IP; IPv4 (unfragmented) and IPv6.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::ops::Range;

/// The port of MIKEY over UDP and TCP (IANA; RFC 5197 §6).
pub const MIKEY_PORT: u16 = 2269;

const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// IP protocol numbers.
const TCP: u8 = 6;
const UDP: u8 = 17;

/// The SYN flag of the TCP header (RFC 9293 §3.1).
const TCP_SYN: u8 = 0x02;

/// Protocol headers are big-endian.
const NETWORK_ORDER: Order = Order { little: false };

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

/// The transport a flow came over.
#[derive(Clone, Copy)]
pub enum Transport {
    Udp,
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

/// The bytes sent one way between two ports: a UDP datagram, or one direction of a TCP
/// connection from its first byte up to the first missing segment.
pub struct Flow {
    pub transport: Transport,
    pub source_port: u16,
    pub destination_port: u16,
    pub bytes: Vec<u8>,
    /// Whether a missing TCP segment ends `bytes` early.
    pub cut_at_gap: bool,
    /// Where each segment's bytes start in `bytes`, with its frame number (from 1), ascending.
    segment_starts: Vec<(usize, usize)>,
    /// The first frame of the flow, ACK and SYN segments included: flows are in this order.
    first_frame: usize,
}

impl Flow {
    /// Where `range` of the bytes came from: "frame 3 (UDP 40000 -> 2269)", or "frames 4-6, 9
    /// (TCP 40000 -> 2269)" when several segments carried it.
    pub fn origin(&self, range: Range<usize>) -> String {
        let frames = self.frames(range);
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &frame in &frames {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == frame => *last = frame,
                _ => runs.push((frame, frame)),
            }
        }
        let runs: Vec<String> = runs
            .iter()
            .map(|&(first, last)| if first == last { first.to_string() } else { format!("{first}-{last}") })
            .collect();
        let noun = if frames.len() == 1 { "frame" } else { "frames" };
        format!("{noun} {} ({} {} -> {})", runs.join(", "), self.transport, self.source_port, self.destination_port)
    }

    /// The frames, ascending, of the segments from the one holding `range.start` to the one
    /// holding its last byte (just the first for an empty range).
    fn frames(&self, range: Range<usize>) -> Vec<usize> {
        let first = self.segment_starts.partition_point(|&(start, _)| start <= range.start).saturating_sub(1);
        let last = self.segment_starts.partition_point(|&(start, _)| start < range.end).saturating_sub(1).max(first);
        let mut frames: Vec<usize> =
            self.segment_starts.get(first..=last).unwrap_or_default().iter().map(|&(_, frame)| frame).collect();
        frames.sort_unstable();
        frames.dedup();
        frames
    }
}

/// The flows of a capture, in the order of their first frame, or why it cannot be read.
pub fn flows(bytes: &[u8]) -> Result<Vec<Flow>, String> {
    let frames = if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) { pcapng_frames(bytes)? } else { pcap_frames(bytes)? };
    let mut flows = Vec::new();
    let mut connections = TcpDirections::default();
    for (index, (link_type, frame)) in frames.into_iter().enumerate() {
        let frame_number = index + 1;
        let Some(packet) = ip_packet(link_type, frame) else { continue };
        match packet.protocol {
            UDP => flows.extend(udp_flow(frame_number, packet.payload)),
            TCP => {
                if let Some((ports, segment)) = tcp_segment(frame_number, packet.payload) {
                    connections.add((packet.source, ports[0], packet.destination, ports[1]), segment);
                }
            }
            _ => {}
        }
    }
    flows.extend(connections.directions.iter().filter_map(TcpDirection::reassemble));
    flows.sort_by_key(|flow| flow.first_frame);
    Ok(flows)
}

/// The byte order of 16- and 32-bit fields: a capture file's, or protocol headers'.
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

/// The transport protocol, addresses and payload of an IP packet.
struct IpPacket<'a> {
    protocol: u8,
    source: IpAddr,
    destination: IpAddr,
    payload: &'a [u8],
}

/// The IP packet of a frame, when it holds an unfragmented IPv4 packet or an IPv6 packet.
fn ip_packet(link_type: u32, frame: &[u8]) -> Option<IpPacket<'_>> {
    let (ether_type, packet) = match link_type {
        LINKTYPE_ETHERNET => {
            let mut at = 12;
            let mut ether_type = NETWORK_ORDER.u16(frame, at)?;
            // 802.1Q / 802.1ad tags.
            while ether_type == 0x8100 || ether_type == 0x88a8 {
                at += 4;
                ether_type = NETWORK_ORDER.u16(frame, at)?;
            }
            (ether_type, frame.get(at + 2..)?)
        }
        LINKTYPE_LINUX_SLL => (NETWORK_ORDER.u16(frame, 14)?, frame.get(16..)?),
        LINKTYPE_LINUX_SLL2 => (NETWORK_ORDER.u16(frame, 0)?, frame.get(20..)?),
        LINKTYPE_RAW => (if frame.first()? >> 4 == 6 { 0x86dd } else { 0x0800 }, frame),
        _ => return None,
    };
    match ether_type {
        0x0800 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let total_len = usize::from(NETWORK_ORDER.u16(packet, 2)?);
            let fragmented = NETWORK_ORDER.u16(packet, 6)? & 0x3fff != 0;
            if fragmented {
                return None;
            }
            let source: [u8; 4] = packet.get(12..16)?.try_into().ok()?;
            let destination: [u8; 4] = packet.get(16..20)?.try_into().ok()?;
            Some(IpPacket {
                protocol: *packet.get(9)?,
                source: source.into(),
                destination: destination.into(),
                payload: packet.get(header_len..total_len.min(packet.len()))?,
            })
        }
        0x86dd => {
            let payload_len = usize::from(NETWORK_ORDER.u16(packet, 4)?);
            let source: [u8; 16] = packet.get(8..24)?.try_into().ok()?;
            let destination: [u8; 16] = packet.get(24..40)?.try_into().ok()?;
            Some(IpPacket {
                protocol: *packet.get(6)?,
                source: source.into(),
                destination: destination.into(),
                payload: packet.get(40..(40 + payload_len).min(packet.len()))?,
            })
        }
        _ => None,
    }
}

/// The flow of a UDP datagram (RFC 768).
fn udp_flow(frame: usize, datagram: &[u8]) -> Option<Flow> {
    let udp_len = usize::from(NETWORK_ORDER.u16(datagram, 4)?);
    Some(Flow {
        transport: Transport::Udp,
        source_port: NETWORK_ORDER.u16(datagram, 0)?,
        destination_port: NETWORK_ORDER.u16(datagram, 2)?,
        bytes: datagram.get(8..udp_len.min(datagram.len()))?.to_vec(),
        cut_at_gap: false,
        segment_starts: vec![(0, frame)],
        first_frame: frame,
    })
}

/// One TCP segment: its frame, sequence number, SYN flag and payload.
struct Segment<'a> {
    frame: usize,
    sequence: u32,
    syn: bool,
    payload: &'a [u8],
}

/// The ports (source, destination) and segment of a TCP header and its payload (RFC 9293 §3.1).
fn tcp_segment(frame: usize, bytes: &[u8]) -> Option<([u16; 2], Segment<'_>)> {
    let ports = [NETWORK_ORDER.u16(bytes, 0)?, NETWORK_ORDER.u16(bytes, 2)?];
    let data_offset = usize::from(bytes.get(12)? >> 4) * 4;
    if data_offset < 20 {
        return None;
    }
    let segment = Segment {
        frame,
        sequence: NETWORK_ORDER.u32(bytes, 4)?,
        syn: bytes.get(13)? & TCP_SYN != 0,
        payload: bytes.get(data_offset..)?,
    };
    Some((ports, segment))
}

/// Source address and port, destination address and port: one direction of a connection.
type Endpoints = (IpAddr, u16, IpAddr, u16);

/// The segments of a capture's TCP connections, by direction.
#[derive(Default)]
struct TcpDirections<'a> {
    directions: Vec<TcpDirection<'a>>,
    /// The direction now open between two endpoints (an index in `directions`).
    open: HashMap<Endpoints, usize>,
}

/// The segments sent one way in one TCP connection, in capture order.
struct TcpDirection<'a> {
    ports: [u16; 2],
    /// The sequence number of its SYN, once seen.
    syn_sequence: Option<u32>,
    segments: Vec<Segment<'a>>,
}

impl<'a> TcpDirections<'a> {
    /// Adds a segment to its direction; a SYN of another sequence number than the direction's
    /// SYN opens a new connection on the same endpoints.
    fn add(&mut self, endpoints: Endpoints, segment: Segment<'a>) {
        let open = self.open.get(&endpoints).copied().filter(|&index| {
            let known = self.directions[index].syn_sequence;
            !(segment.syn && known.is_some_and(|sequence| sequence != segment.sequence))
        });
        let index = open.unwrap_or_else(|| {
            self.directions.push(TcpDirection {
                ports: [endpoints.1, endpoints.3],
                syn_sequence: None,
                segments: vec![],
            });
            self.open.insert(endpoints, self.directions.len() - 1);
            self.directions.len() - 1
        });
        let direction = &mut self.directions[index];
        if segment.syn {
            direction.syn_sequence.get_or_insert(segment.sequence);
        }
        direction.segments.push(segment);
    }
}

impl TcpDirection<'_> {
    /// The bytes of the direction in sequence order (RFC 9293 §3.4): from the byte after the
    /// SYN or, without one, the lowest sequence number seen; each byte once, from the first
    /// segment in that order to carry it (retransmissions and overlaps add nothing); up to the
    /// first missing byte. None when no byte came and none is missing.
    fn reassemble(&self) -> Option<Flow> {
        // Sequence numbers wrap (u32): each payload's place is its distance from a base, signed
        // so that, without a SYN, segments sent before the first one captured sort first.
        let base = match self.syn_sequence {
            Some(syn) => syn.wrapping_add(1),
            None => self.segments.first()?.sequence,
        };
        let mut placed: Vec<(i64, &Segment)> = self
            .segments
            .iter()
            .filter(|segment| !segment.payload.is_empty())
            .map(|segment| {
                // A SYN's payload (TCP Fast Open) starts after the SYN's own sequence number.
                let first = segment.sequence.wrapping_add(u32::from(segment.syn));
                (i64::from(first.wrapping_sub(base) as i32), segment)
            })
            .collect();
        placed.sort_by_key(|&(place, segment)| (place, segment.frame));
        let mut next = if self.syn_sequence.is_some() { 0 } else { placed.first().map_or(0, |&(place, _)| place) };
        let mut flow = Flow {
            transport: Transport::Tcp,
            source_port: self.ports[0],
            destination_port: self.ports[1],
            bytes: Vec::new(),
            cut_at_gap: false,
            segment_starts: Vec::new(),
            first_frame: self.segments.first()?.frame,
        };
        for (place, segment) in placed {
            let end = place + segment.payload.len() as i64;
            if end <= next {
                continue;
            }
            if place > next {
                flow.cut_at_gap = true;
                break;
            }
            // place <= next < end: the segment's bytes from `next` on are new.
            flow.segment_starts.push((flow.bytes.len(), segment.frame));
            flow.bytes.extend_from_slice(&segment.payload[(next - place) as usize..]);
            next = end;
        }
        (!flow.bytes.is_empty() || flow.cut_at_gap).then_some(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flow of segments sent from port 1 to port 2 in this capture order, each `(sequence,
    /// SYN, payload)` in the next frame from 1.
    fn reassembled(segments: &[(u32, bool, &'static [u8])]) -> Option<Flow> {
        let endpoints = (IpAddr::from([192, 0, 2, 1]), 1, IpAddr::from([192, 0, 2, 2]), 2);
        let mut connections = TcpDirections::default();
        for (index, &(sequence, syn, payload)) in segments.iter().enumerate() {
            connections.add(endpoints, Segment { frame: index + 1, sequence, syn, payload });
        }
        connections.directions.iter().find_map(TcpDirection::reassemble)
    }

    #[test]
    fn out_of_order_segments_are_put_in_sequence_order() {
        let flow = reassembled(&[(1000, true, b""), (1007, false, b"world"), (1001, false, b"hello ")]).unwrap();
        assert_eq!(flow.bytes, b"hello world");
        assert!(!flow.cut_at_gap);
        assert_eq!(flow.origin(0..11), "frames 2-3 (TCP 1 -> 2)");
        assert_eq!(flow.origin(0..6), "frame 3 (TCP 1 -> 2)");
        assert_eq!(flow.origin(6..11), "frame 2 (TCP 1 -> 2)");
        // Without the SYN, from the lowest sequence number seen.
        assert_eq!(reassembled(&[(1007, false, b"world"), (1001, false, b"hello ")]).unwrap().bytes, b"hello world");
    }

    #[test]
    fn retransmitted_and_overlapping_segments_add_their_new_bytes_only() {
        let flow = reassembled(&[
            (1, false, b"hello "),
            (1, false, b"hello "),
            (4, false, b"lo wor"),
            (1, false, b"hel"),
            (9, false, b"rld"),
        ])
        .unwrap();
        assert_eq!(flow.bytes, b"hello world");
        assert_eq!(flow.origin(6..9), "frame 3 (TCP 1 -> 2)");
        assert_eq!(flow.origin(6..11), "frames 3, 5 (TCP 1 -> 2)");
    }

    #[test]
    fn sequence_numbers_wrap() {
        // The SYN takes 0xffff_fffe; "ab" takes 0xffff_ffff and 0, "cd" 1 and 2.
        let flow = reassembled(&[(0xffff_fffe, true, b""), (1, false, b"cd"), (0xffff_ffff, false, b"ab")]).unwrap();
        assert_eq!(flow.bytes, b"abcd");
        // Without the SYN, the first segment seen comes after the lowest.
        assert_eq!(reassembled(&[(1, false, b"cd"), (0xffff_ffff, false, b"ab")]).unwrap().bytes, b"abcd");
        // A SYN's own payload (TCP Fast Open) follows it.
        assert_eq!(reassembled(&[(0xffff_ffff, true, b"ab"), (2, false, b"cd")]).unwrap().bytes, b"abcd");
    }

    #[test]
    fn a_missing_segment_ends_the_bytes() {
        let flow = reassembled(&[(0, true, b""), (1, false, b"abc"), (7, false, b"ghi")]).unwrap();
        assert_eq!(flow.bytes, b"abc");
        assert!(flow.cut_at_gap);
        // The first data segment missing: no bytes, but the gap is told.
        let flow = reassembled(&[(0, true, b""), (7, false, b"ghi")]).unwrap();
        assert!(flow.bytes.is_empty() && flow.cut_at_gap);
        // Nothing sent, nothing missing: no flow.
        assert!(reassembled(&[(0, true, b"")]).is_none());
    }

    #[test]
    fn a_new_syn_on_the_same_endpoints_is_a_new_connection() {
        let endpoints = (IpAddr::from([192, 0, 2, 1]), 1, IpAddr::from([192, 0, 2, 2]), 2);
        let mut connections = TcpDirections::default();
        for (frame, sequence, syn, payload) in
            [(1, 100, true, &b""[..]), (2, 101, false, b"first"), (3, 500, true, b""), (4, 501, false, b"second")]
        {
            connections.add(endpoints, Segment { frame, sequence, syn, payload });
        }
        let streams: Vec<Vec<u8>> =
            connections.directions.iter().filter_map(TcpDirection::reassemble).map(|flow| flow.bytes).collect();
        assert_eq!(streams, [b"first".to_vec(), b"second".to_vec()]);
    }
}
