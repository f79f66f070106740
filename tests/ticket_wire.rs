//! A whole MIKEY-TICKET message on the wire (RFC 6043): a TRANSFER_INIT built byte by byte from
//! the RFC's field layouts, decoded, checked field by field and re-encoded byte for byte; every
//! truncation and every wrong length field refused. The same message is the committed fuzz
//! seed `hand_ticket_transfer_init`, which `tests/decode_robustness.rs` builds through the
//! encoder: the two constructions must agree.

use mikey::wire::registry::{id_role, id_type, rand_role, ticket_type, ts_role};
use mikey::wire::{
    decode_payload_chain, BaseTicket, CsIdMap, DataType, DecodeOptions, MacAlgorithmCode, Message, MessagePart,
    Payload, PayloadType, TimestampType,
};
use mikey::ErrorKind;
use std::ops::Range;

/// Bytes written field by field, remembering where each length field is.
#[derive(Default)]
struct Layout {
    bytes: Vec<u8>,
    /// (offset, width in bytes, name) of every length field.
    lengths: Vec<(usize, usize, &'static str)>,
    /// The byte ranges of the nested layouts, each with the name of its length field.
    nested: Vec<(Range<usize>, &'static str)>,
}

impl Layout {
    fn put(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// A length field of `width` bytes holding `value.len()`, then `value`.
    fn put_with_length(&mut self, width: usize, value: &[u8], name: &'static str) -> &mut Self {
        self.lengths.push((self.bytes.len(), width, name));
        let len = (value.len() as u64).to_be_bytes();
        self.bytes.extend_from_slice(&len[8 - width..]);
        self.put(value)
    }

    /// Appends another layout (one without nested layouts of its own) behind a length field of
    /// `width` bytes, its length fields shifted.
    fn nest_with_length(&mut self, width: usize, inner: Layout, name: &'static str) -> &mut Self {
        self.put_with_length(width, &inner.bytes, name);
        let base = self.bytes.len() - inner.bytes.len();
        self.lengths.extend(inner.lengths.iter().map(|&(at, width, name)| (base + at, width, name)));
        self.nested.push((base..self.bytes.len(), name));
        self
    }
}

const ALICE: &[u8] = b"sip:alice@example.com";
const BOB: &[u8] = b"sip:bob@example.com";

/// Next payload codes (RFC 3830 Table 6.1.b, RFC 6043 Table 6.2).
const LAST: u8 = 0;
const KEMAC: u8 = 1;
const T: u8 = 5;
const V: u8 = 9;
const SP: u8 = 10;
const RAND: u8 = 11;
const TR: u8 = 13;
const IDR: u8 = 14;
const RANDR: u8 = 15;
const TICKET: u8 = 17;

/// IDR (RFC 6043 §6.6): next payload, ID role, ID type, ID len (16 bits), ID data.
fn idr(layout: &mut Layout, next: u8, role: u8, kind: u8, id: &[u8]) {
    layout.put(&[next, role, kind]).put_with_length(2, id, "IDR ID len");
}

/// The MIKEY base ticket's Ticket Data (RFC 6043 A.1, A.3): THDR, T, RAND, KEMAC, IDRpsk, V.
fn base_ticket() -> Layout {
    let mut data = Layout::default();
    // THDR: next payload, THDR Data length (16 bits), THDR Data.
    data.put(&[T]).put_with_length(2, &[0xBA, 0x5E], "THDR Data length");
    // T: next payload, TS type NTP-UTC-32 (3), 32-bit seconds.
    data.put(&[RAND, 3, 0xE9, 0xF0, 0x00, 0x00]);
    // RAND: next payload, RAND len, RAND.
    data.put(&[KEMAC]).put_with_length(1, &[0x22; 16], "RAND len");
    // KEMAC: next payload, Encr alg AES-CM-128 (1), Encr data len (16 bits), Encr data, MAC alg
    // NULL (0), no MAC.
    data.put(&[IDR, 1]).put_with_length(2, &[0xC7; 40], "KEMAC Encr data len").put(&[0]);
    // IDRpsk, a byte string naming the TPK.
    idr(&mut data, V, id_role::PSK, id_type::BYTE_STRING, &[0x00, 0x2A]);
    // V: next payload, Auth alg HMAC-SHA-1-160 (1), 20-byte MAC.
    data.put(&[LAST, 1]).put(&[0x3B; 20]);
    data
}

/// TP Data (RFC 6043 §6.10): first payload, IDRi, TRe, IDRr.
fn tp_data() -> Layout {
    let mut data = Layout::default();
    data.put(&[IDR]);
    idr(&mut data, TR, id_role::INITIATOR, id_type::URI, ALICE);
    // TR: next payload, TS role End of validity (3), TS type NTP-UTC-32 (3), seconds.
    data.put(&[IDR, ts_role::VALIDITY_END, 3, 0xE9, 0xF8, 0x00, 0x00]);
    idr(&mut data, LAST, id_role::RESPONDER, id_type::URI, BOB);
    data
}

/// TRANSFER_INIT = HDR, T, RANDRi, IDRi, IDRr, SP, TICKET, V (RFC 6043 §4.2.2).
fn transfer_init() -> Layout {
    let mut message = Layout::default();
    // HDR (RFC 3830 §6.1): version 1, data type TRANSFER_INIT (14), next payload T, V = 1 (the
    // ticket's F flag, §4.2.2.1) and PRF func PRF-HMAC-SHA-256 (1), CSB ID, #CS 1, CS ID map
    // type GENERIC-ID (2).
    message.put(&[1, 14, T, 0x81, 0x01, 0x02, 0x03, 0x04, 1, 2]);
    // GENERIC-ID entry (RFC 6043 §6.1.1): CS ID 1, Prot type SRTP (0), S = 0 and #P = 1,
    // policy 0, Session Data (the SSRC), SPI.
    message.put(&[1, 0, 0x01, 0]);
    message.put_with_length(2, &[0xCA, 0xFE, 0xBA, 0xBE], "GENERIC-ID Session Data Length");
    message.put_with_length(1, &[0, 0, 0, 1], "GENERIC-ID SPI Length");
    // T: next payload, TS type NTP-UTC (0), 64 bits.
    message.put(&[RANDR, 0, 0xE9, 0xF0, 0x12, 0x34, 0x80, 0x00, 0x00, 0x00]);
    // RANDR (RFC 6043 §6.8): next payload, RAND role Initiator (1), RAND length, RAND.
    message.put(&[IDR, rand_role::INITIATOR]).put_with_length(1, &[0x11; 16], "RANDR RAND length");
    idr(&mut message, IDR, id_role::INITIATOR, id_type::URI, ALICE);
    idr(&mut message, SP, id_role::RESPONDER, id_type::URI, BOB);
    // SP (RFC 3830 §6.10): next payload, policy no 0, prot type SRTP, params length (16 bits),
    // params (type, length, value): encryption AES-CM (1), key length 16.
    message.put(&[TICKET, 0, 0]).put_with_length(2, &[0, 1, 1, 1, 1, 16], "SP Policy param length");
    // TICKET (RFC 6043 §6.10): next payload, Ticket Type 1, Subtype 1, Version 1, PRF Func 1 and
    // the flags D F G H J L N O (0x03 0x75 0x60), TP Data, Ticket Data, no Initiator Data.
    message.put(&[V, 0x00, 0x01, 0x01, 0x01, 0x03, 0x75, 0x60]);
    message.nest_with_length(2, tp_data(), "TP Data length");
    message.nest_with_length(2, base_ticket(), "Ticket Data length");
    message.put_with_length(2, &[], "Initiator Data length");
    // V: next payload Last, Auth alg HMAC-SHA-256-256 (2), 32-byte MAC.
    message.put(&[LAST, 2]).put(&[0x5C; 32]);
    message
}

#[test]
fn a_transfer_init_decodes_field_by_field_and_re_encodes_byte_for_byte() {
    let layout = transfer_init();
    let message = Message::decode(&layout.bytes).unwrap();
    assert_eq!(message.header.data_type, DataType::TicketTransferInit);
    assert!(message.header.verification_requested);
    let CsIdMap::GenericId(entries) = &message.header.cs_id_map else { panic!("not GENERIC-ID") };
    assert_eq!(&entries[0].session_data[..], [0xCA, 0xFE, 0xBA, 0xBE]);
    let types: Vec<PayloadType> = message.payloads.iter().map(Payload::payload_type).collect();
    use PayloadType::*;
    assert_eq!(types, [Timestamp, RandWithRole, IdWithRole, IdWithRole, SecurityPolicy, Ticket, Verification]);

    let randr = message.find(Payload::as_rand_with_role).unwrap();
    assert_eq!((randr.role, &randr.rand[..]), (rand_role::INITIATOR, &[0x11; 16][..]));
    let ticket = message.find(Payload::as_ticket).unwrap();
    let policy = &ticket.policy;
    assert_eq!((policy.ticket_type, policy.prf_function, policy.reserved), (ticket_type::MIKEY_BASE_TICKET, 1, 0));
    assert!(policy.is_mikey_base_ticket());
    assert!(policy.flags.generated_by_kms && policy.flags.transfer_response && !policy.flags.key_forking);
    assert!(ticket.initiator_data.is_empty());

    let tp_data = policy.tp_data_payloads().unwrap();
    assert_eq!(tp_data.len(), 3);
    let end = tp_data[1].as_timestamp_with_role().unwrap();
    assert_eq!((end.role, end.timestamp.ts_type, end.timestamp.value), (3, TimestampType::NtpUtc32, 0xE9F8 << 48));
    assert_eq!(&tp_data[2].as_id_with_role().unwrap().data[..], BOB);

    let base = BaseTicket::decode(&ticket.ticket_data).unwrap();
    assert_eq!(&base.header_data[..], [0xBA, 0x5E]);
    assert_eq!(base.timestamp.as_64_bits(), [0xE9, 0xF0, 0, 0, 0, 0, 0, 0]);
    assert_eq!((base.kemac.encrypted_data.len(), base.kemac.mac_algorithm), (40, MacAlgorithmCode::Null));
    assert_eq!(&base.tpk_id.as_ref().unwrap().data[..], [0x00, 0x2A]);
    assert_eq!(base.verification.mac_algorithm, MacAlgorithmCode::HmacSha1_160);
    assert_eq!(base.encode().unwrap(), ticket.ticket_data.as_ref());

    assert_eq!(message.encode().unwrap(), layout.bytes);
    let seed = include_bytes!("../fuzz/corpus/decode_message/hand_ticket_transfer_init");
    assert_eq!(layout.bytes, seed, "the seed built through the encoder differs from the RFC layout");
}

#[test]
fn every_truncation_of_the_message_is_refused() {
    let bytes = transfer_init().bytes;
    for len in 0..bytes.len() {
        let error = Message::decode(&bytes[..len]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Malformed, "{len} bytes: {error}");
    }
}

#[test]
fn every_wrong_length_field_is_refused() {
    let layout = transfer_init();
    assert_eq!(layout.lengths.len(), 15, "the length fields of HDR, RANDR, the IDRs, SP, TICKET and its contents");
    for &(at, width, name) in &layout.lengths {
        let field = &layout.bytes[at..at + width];
        let len = field.iter().fold(0u64, |len, &byte| (len << 8) | u64::from(byte));
        let max = (1u64 << (8 * width)) - 1;
        for wrong in [len.wrapping_sub(1), len + 1, max].into_iter().filter(|&wrong| wrong <= max && wrong != len) {
            let mut broken = layout.bytes.clone();
            broken[at..at + width].copy_from_slice(&wrong.to_be_bytes()[8 - width..]);
            let decoded = Message::decode(&broken);
            // The TICKET carries its TP Data and Ticket Data as bytes: what is inside them is
            // for their own decoders to refuse.
            let Some((_, inside)) = layout.nested.iter().find(|(range, _)| range.contains(&at)) else {
                assert!(decoded.is_err(), "{name} at {at} = {wrong}");
                continue;
            };
            let message = decoded.unwrap_or_else(|error| panic!("{name} at {at} = {wrong}: {error}"));
            let ticket = message.find(Payload::as_ticket).unwrap();
            let refused = match *inside {
                "TP Data length" => ticket.policy.tp_data_payloads().is_err(),
                _ => BaseTicket::decode(&ticket.ticket_data).is_err(),
            };
            assert!(refused, "{name} in the {inside} at {at} = {wrong}");
        }
    }
}

#[test]
fn a_broken_ticket_is_located_in_the_message() {
    let mut bytes = transfer_init().bytes;
    let ticket_at =
        bytes.windows(8).position(|window| window == [V, 0x00, 0x01, 0x01, 0x01, 0x03, 0x75, 0x60]).unwrap();
    // Clear G and H: "NOT G implies H, NOT H implies G".
    bytes[ticket_at + 6] &= !0x30;
    let failure = Message::decode_located(&bytes, DecodeOptions::default()).unwrap_err();
    assert_eq!(failure.part, MessagePart::Payload(PayloadType::Ticket));
    assert_eq!(failure.offset, ticket_at);
    assert!(failure.error.context().ends_with("NOT G implies H, NOT H implies G"), "{}", failure.error);
}

#[test]
fn the_initiator_data_of_a_forked_ticket_is_a_payload_chain() {
    // Initiator Data (RFC 6043 §6.10): first payload V, then Vi and Vr (HMAC-SHA-256-256).
    let initiator_data = [&[V, V, 2][..], &[0xAA; 32], &[LAST, 2], &[0xBB; 32]].concat();
    let payloads = decode_payload_chain(&initiator_data).unwrap();
    let macs: Vec<&[u8]> = payloads.iter().filter_map(Payload::as_verification).map(|v| &v.mac[..]).collect();
    assert_eq!(macs, [&[0xAA; 32][..], &[0xBB; 32][..]]);
    assert_eq!(mikey::wire::encode_payload_chain(&payloads).unwrap(), initiator_data);
}
