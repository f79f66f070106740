//! The MIKEY-TICKET key derivations (RFC 6043 §5.1.1–§5.1.3, §6.10, A.2.1, A.2.2) against known
//! answers from an independent implementation (tests/vectors/rfc6043/derivations.py, Python's
//! hmac), and each against the bare PRF on the label the vector spells out from the RFC text.

use mikey::crypto::ticket_kdf::{
    fork_key, mpk_part, ForkedKey, MessageDirection, MpkPart, TicketMessageKeys, TicketTrafficKeys,
};
use mikey::crypto::{EnvelopeKeyPurpose, PrfFunction, PrfKey, TgkKeyPurpose};
use serde_json::Value;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

fn bytes_of(parameters: &Value, name: &str) -> Vec<u8> {
    unhex(parameters[name].as_str().unwrap_or_else(|| panic!("no {name}")))
}

fn envelope_purpose(name: &str) -> EnvelopeKeyPurpose {
    match name {
        "encr_key" => EnvelopeKeyPurpose::EncrKey,
        "auth_key" => EnvelopeKeyPurpose::AuthKey,
        "salt_key" => EnvelopeKeyPurpose::Salt,
        other => panic!("purpose {other}"),
    }
}

/// The output of the code under test for one vector.
fn derived(case: &Value) -> Vec<u8> {
    let function = match case["prf"].as_str().unwrap() {
        "MIKEY-1" => PrfFunction::MikeyHmacSha1,
        "PRF-HMAC-SHA-256" => PrfFunction::HmacSha256,
        other => panic!("PRF {other}"),
    };
    let inkey = unhex(case["inkey_hex"].as_str().unwrap());
    let out_len = case["out_len"].as_u64().unwrap() as usize;
    let parameters = &case["parameters"];
    let text = |name: &str| parameters[name].as_str().unwrap().to_owned();
    match case["derivation"].as_str().unwrap() {
        "message" => {
            let direction =
                if text("direction") == "initial" { MessageDirection::Initial } else { MessageDirection::Response };
            let csb_id = case["csb_id"].as_u64().unwrap() as u32;
            let (randri, randrr) = (bytes_of(parameters, "randri"), bytes_of(parameters, "randrr"));
            TicketMessageKeys::for_message(function, &inkey, csb_id, direction, &randri, &randrr)
                .unwrap()
                .derive_secret(envelope_purpose(&text("purpose")), out_len)
        }
        "ticket" => TicketMessageKeys::for_ticket(function, &inkey, &bytes_of(parameters, "rand"))
            .unwrap()
            .derive_secret(envelope_purpose(&text("purpose")), out_len),
        "initiator_data" => TicketMessageKeys::for_initiator_data(function, &inkey)
            .derive_secret(envelope_purpose(&text("purpose")), out_len),
        "traffic" => {
            let purpose = if text("purpose") == "tek" { TgkKeyPurpose::Tek } else { TgkKeyPurpose::Salt };
            let cs_id = parameters["cs_id"].as_u64().unwrap() as u8;
            TicketTrafficKeys::new(function, &inkey, &bytes_of(parameters, "randri"), &bytes_of(parameters, "randrr"))
                .unwrap()
                .derive_secret(purpose, cs_id, out_len)
        }
        "fork" => {
            let forked = if text("forked") == "tgk" { ForkedKey::Tgk } else { ForkedKey::ResponderMpk };
            fork_key(
                function,
                &inkey,
                forked,
                &bytes_of(parameters, "responder_id"),
                &bytes_of(parameters, "randr_kms"),
            )
            .unwrap()
        }
        "mpk" => {
            let part = if text("part") == "initiator" { MpkPart::Initiator } else { MpkPart::Responder };
            mpk_part(function, &inkey, part, &bytes_of(parameters, "rand")).unwrap()
        }
        other => panic!("derivation {other}"),
    }
    .expose()
    .to_vec()
}

#[test]
fn every_derivation_gives_the_independent_known_answer_and_the_prf_of_the_spelled_out_label() {
    let vectors: Value = serde_json::from_str(include_str!("vectors/rfc6043/derivations.json")).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 13);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expected = unhex(case["outkey_hex"].as_str().unwrap());
        let got = derived(case);
        assert_eq!(got, expected, "{name}: known answer");
        let function = if case["prf"] == "MIKEY-1" { PrfFunction::MikeyHmacSha1 } else { PrfFunction::HmacSha256 };
        let mut from_label = vec![0; expected.len()];
        PrfKey::new(function, &unhex(case["inkey_hex"].as_str().unwrap()))
            .derive(&unhex(case["label_hex"].as_str().unwrap()), &mut from_label);
        assert_eq!(got, from_label, "{name}: PRF of the label");
    }
}

#[test]
fn forking_changes_with_the_responder_and_keeps_the_key_length() {
    let forked = |id: &[u8]| fork_key(PrfFunction::MikeyHmacSha1, &[9; 24], ForkedKey::Tgk, id, &[5; 16]).unwrap();
    let bob = forked(b"sip:bob@example.org");
    assert_eq!(bob.len(), 24);
    assert_ne!(bob.expose(), forked(b"sip:carol@example.org").expose());
    // TGK' and MPKr' of the same key and modifier differ by their constants.
    let mpkr =
        fork_key(PrfFunction::MikeyHmacSha1, &[9; 24], ForkedKey::ResponderMpk, b"sip:bob@example.org", &[5; 16]);
    assert_ne!(bob.expose(), mpkr.unwrap().expose());
}
