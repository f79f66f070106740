//! Fuzzes the MIKEY-TICKET decoders (RFC 6043): the first input byte picks one, the rest is its
//! input.
//!
//! | first byte % 6 | decoder |
//! | --- | --- |
//! | 0, 1, 2, 3 | one TR, RANDR, TP or TICKET payload from its next-payload field on (the rest is a payload chain after that payload type) |
//! | 4 | a payload chain: a first-payload octet, then payloads (TP Data, Initiator Data) |
//! | 5 | the Ticket Data of a MIKEY base ticket (`BaseTicket`) |
//!
//! Asserts, for every input:
//! * no panic;
//! * a decoded chain re-encodes (`encode_payload_chain` is `Ok`) to as many bytes and decodes
//!   back to equal payloads; a chain of only TR, RANDR and TICKET payloads re-encodes byte for
//!   byte (they have no free bits; a TP's K flag and other payloads' reserved bits are not kept);
//! * the TP Data and Initiator Data of every decoded TP and TICKET get the same checks, and the
//!   Ticket Data of every TICKET the base ticket's;
//! * a decoded base ticket re-encodes, no longer than its input (skipped payloads are dropped),
//!   and decodes back to an equal `BaseTicket`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mikey::wire::{decode_payload_chain, encode_payload_chain, BaseTicket, Payload, PayloadType};

/// The payload type that selectors 0 to 3 put in front of the input.
const ONE_PAYLOAD: [PayloadType; 4] =
    [PayloadType::TimestampWithRole, PayloadType::RandWithRole, PayloadType::TicketPolicy, PayloadType::Ticket];

fn check_chain(bytes: &[u8]) {
    let Ok(payloads) = decode_payload_chain(bytes) else { return };
    let encoded = match encode_payload_chain(&payloads) {
        Ok(encoded) => encoded,
        Err(error) => panic!("a decoded chain does not re-encode: {error}\n{payloads:#?}"),
    };
    assert_eq!(encoded.len(), bytes.len(), "re-encoding changed the length\n{payloads:#?}");
    let again = match decode_payload_chain(&encoded) {
        Ok(again) => again,
        Err(error) => panic!("a re-encoded chain does not decode: {error}\n{payloads:#?}"),
    };
    assert_eq!(again, payloads, "decode(encode(chain)) != chain");
    let exact = |payload: &Payload| {
        matches!(payload, Payload::TimestampWithRole(_) | Payload::RandWithRole(_) | Payload::Ticket(_))
    };
    if payloads.iter().all(exact) {
        assert_eq!(encoded, bytes, "TR, RANDR and TICKET re-encode byte for byte");
    }
    for payload in &payloads {
        match payload {
            Payload::TicketPolicy(policy) => check_chain(&policy.tp_data),
            Payload::Ticket(ticket) => {
                check_chain(&ticket.policy.tp_data);
                check_chain(&ticket.initiator_data);
                check_base_ticket(&ticket.ticket_data);
            }
            _ => {}
        }
    }
}

fn check_base_ticket(bytes: &[u8]) {
    let Ok(ticket) = BaseTicket::decode(bytes) else { return };
    let encoded = match ticket.encode() {
        Ok(encoded) => encoded,
        Err(error) => panic!("a decoded base ticket does not re-encode: {error}\n{ticket:#?}"),
    };
    assert!(encoded.len() <= bytes.len(), "re-encoding lengthened the base ticket\n{ticket:#?}");
    match BaseTicket::decode(&encoded) {
        Ok(again) => assert_eq!(again, ticket, "decode(encode(ticket)) != ticket"),
        Err(error) => panic!("a re-encoded base ticket does not decode: {error}\n{ticket:#?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, input)) = data.split_first() else { return };
    match usize::from(*selector) % 6 {
        4 => check_chain(input),
        5 => check_base_ticket(input),
        one => check_chain(&[&[ONE_PAYLOAD[one].code()], input].concat()),
    }
});
