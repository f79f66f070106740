//! Responder-filled SSRCs (RFC 3830 §6.1.1): "SSRCs that are not chosen by the Initiator are set
//! to zero and the Responder fills in these fields in the response message." In a SIP call the
//! offerer cannot know the answerer's SSRC, so this is the normal case.

mod common;

use common::{exchange_configs, TestClock, NTP_2026};
use mikey::wire::{CsIdMap, Message};
use mikey::{ErrorKind, InteropFlags, Method, Role, Session, SsrcType, State};

const ALICE_SSRC: u32 = 0xA11C_E001;
const BOB_SSRC: u32 = 0xB0B0_0002;
const BOB_ROC: u32 = 77;

/// Every method whose R_MESSAGE carries the CS ID map back (PSK and PK with the V flag).
const ANSWERING: [Method; 5] = [Method::Psk, Method::Pk, Method::DhSign, Method::DhHmac, Method::RsaR];

/// (SSRC, ROC) of each CS ID map entry of `message`.
fn map_of(message: &[u8]) -> Vec<(u32, u32)> {
    match Message::decode(message).unwrap().header.cs_id_map {
        CsIdMap::SrtpId(map) => map.entries().map(|entry| (entry.ssrc, entry.roc)).collect(),
        other => panic!("not an SRTP-ID map: {other:?}"),
    }
}

/// Alice offers her stream and a placeholder for Bob's; Bob has declared `bob_streams`.
fn offer(method: Method, verification: bool, bob_streams: &[u32]) -> (Session, Session, Vec<u8>) {
    let clock = TestClock::at(NTP_2026);
    let (mut alice_config, bob_config) = exchange_configs(method, &clock);
    alice_config.set_request_verification(verification).unwrap();
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    assert_eq!(alice.add_srtp_stream(ALICE_SSRC, 0).unwrap(), 1);
    assert_eq!(alice.add_srtp_stream(0, 0).unwrap(), 2);
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    for (position, &ssrc) in (1..).zip(bob_streams) {
        assert_eq!(bob.add_srtp_stream(ssrc, BOB_ROC).unwrap(), position);
    }
    let i_message = alice.create_message().unwrap();
    assert_eq!(map_of(&i_message), [(ALICE_SSRC, 0), (0, 0)]);
    (alice, bob, i_message)
}

/// Both ends export the same keys, SSRCs and ROCs for every crypto session, all SSRCs known.
fn assert_both_know(alice: &Session, bob: &Session, expected: &[(u32, u32)]) {
    for (cs_id, &(ssrc, roc)) in (1..).zip(expected) {
        let (sent, received) = (alice.export_srtp(cs_id).unwrap(), bob.export_srtp(cs_id).unwrap());
        assert_eq!((sent.ssrc, sent.roc, sent.ssrc_type), (ssrc, roc, SsrcType::Specific), "CS {cs_id}");
        assert_eq!((received.ssrc, received.roc, received.ssrc_type), (ssrc, roc, SsrcType::Specific));
        assert_eq!(sent.master_key.expose(), received.master_key.expose(), "CS {cs_id}");
        assert_eq!(sent.master_salt.expose(), received.master_salt.expose(), "CS {cs_id}");
    }
}

#[test]
fn the_responder_fills_in_its_ssrc_and_the_initiator_exports_it() {
    for method in ANSWERING {
        let (mut alice, mut bob, i_message) = offer(method, true, &[BOB_SSRC]);
        let r_message = bob.process_message(&i_message).unwrap().expect("an R_MESSAGE");
        assert_eq!(map_of(&r_message), [(ALICE_SSRC, 0), (BOB_SSRC, BOB_ROC)], "{method:?}");
        assert_eq!(alice.process_message(&r_message).unwrap(), None, "{method:?}");
        assert_both_know(&alice, &bob, &[(ALICE_SSRC, 0), (BOB_SSRC, BOB_ROC)]);
    }
}

#[test]
fn a_filled_in_ssrc_is_covered_by_the_answer_s_authentication() {
    // HDR: 10 bytes, then 9 per map entry (policy no, SSRC, ROC): the second SSRC's last byte.
    const SECOND_SSRC_LAST_BYTE: usize = 10 + 9 + 4;
    for method in ANSWERING {
        let (mut alice, mut bob, i_message) = offer(method, true, &[BOB_SSRC]);
        let r_message = bob.process_message(&i_message).unwrap().unwrap();
        let mut forged = r_message.clone();
        forged[SECOND_SSRC_LAST_BYTE] ^= 1;
        assert_eq!(map_of(&forged)[1].0, BOB_SSRC ^ 1);
        let rejection = alice.process_message(&forged).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{method:?}: {}", rejection.error);
        assert_eq!(alice.state(), State::WaitResponse, "{method:?}");
        alice.process_message(&r_message).unwrap();
        assert_eq!(alice.export_srtp(2).unwrap().ssrc, BOB_SSRC, "{method:?}");
    }
}

#[test]
fn without_an_answer_a_placeholder_is_exported_as_unknown_in_its_direction() {
    for method in [Method::Psk, Method::Null] {
        let (alice, mut bob, i_message) = offer(method, false, &[BOB_SSRC]);
        assert_eq!(bob.process_message(&i_message).unwrap(), None);
        // Bob knows the SSRC he filled in; Alice, who got no answer, receives from an unknown one.
        let (sent, received) = (alice.export_srtp(2).unwrap(), bob.export_srtp(2).unwrap());
        assert_eq!((sent.ssrc, sent.ssrc_type), (0, SsrcType::AnyInbound), "{method:?}");
        assert_eq!((received.ssrc, received.ssrc_type), (BOB_SSRC, SsrcType::Specific), "{method:?}");
        assert_eq!(sent.master_key.expose(), received.master_key.expose());
        assert_eq!(alice.export_srtp(1).unwrap().ssrc_type, SsrcType::Specific);
    }
}

#[test]
fn a_placeholder_needs_a_stream_of_the_responder_s_or_the_ssrc_zero_switch() {
    for method in ANSWERING {
        let (mut alice, mut bob, i_message) = offer(method, true, &[]);
        let rejection = bob.process_message(&i_message).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::Policy, "{method:?}");
        assert!(rejection.error.to_string().contains("placeholder"), "{}", rejection.error);
        assert!(rejection.response.is_some(), "{method:?}: an error message answers it (§5.1.2)");
        assert_eq!((bob.state(), bob.cs_count()), (State::Idle, 0));

        // The switch: the placeholder stays open, and each end says so in its own direction.
        let clock = TestClock::at(NTP_2026);
        let mut loose_config = exchange_configs(method, &clock).1;
        loose_config.set_interop(InteropFlags::SSRC_ZERO).unwrap();
        let mut loose = Session::new(&loose_config, Role::Responder).unwrap();
        let r_message = loose.process_message(&i_message).unwrap().unwrap();
        assert_eq!(map_of(&r_message), [(ALICE_SSRC, 0), (0, 0)]);
        alice.process_message(&r_message).unwrap();
        assert_eq!(alice.export_srtp(2).unwrap().ssrc_type, SsrcType::AnyInbound, "{method:?}");
        assert_eq!(loose.export_srtp(2).unwrap().ssrc_type, SsrcType::AnyOutbound, "{method:?}");
    }
}

#[test]
fn an_ssrc_the_offer_names_already_fills_no_placeholder() {
    // Bob's first stream is in the offer (from SDP a=ssrc), so his second fills the placeholder.
    let clock = TestClock::at(NTP_2026);
    let (mut alice_config, bob_config) = exchange_configs(Method::Psk, &clock);
    alice_config.set_request_verification(true).unwrap();
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(BOB_SSRC, 0).unwrap();
    alice.add_srtp_stream(0, 0).unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    bob.add_srtp_stream(BOB_SSRC, 0).unwrap();
    bob.add_srtp_stream(BOB_SSRC + 1, 0).unwrap();
    assert_eq!(bob.add_srtp_stream(BOB_SSRC, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let r_message = bob.process_message(&alice.create_message().unwrap()).unwrap().unwrap();
    alice.process_message(&r_message).unwrap();
    assert_both_know(&alice, &bob, &[(BOB_SSRC, 0), (BOB_SSRC + 1, 0)]);
}

#[test]
fn updates_carry_the_filled_in_ssrcs() {
    for method in ANSWERING {
        let (mut alice, mut bob, i_message) = offer(method, true, &[BOB_SSRC]);
        let r_message = bob.process_message(&i_message).unwrap().unwrap();
        alice.process_message(&r_message).unwrap();
        let update = alice.create_message().unwrap();
        assert_eq!(map_of(&update), [(ALICE_SSRC, 0), (BOB_SSRC, BOB_ROC)], "{method:?}");
        if let Some(answer) = bob.process_message(&update).unwrap() {
            alice.process_message(&answer).unwrap();
        }
        assert_both_know(&alice, &bob, &[(ALICE_SSRC, 0), (BOB_SSRC, BOB_ROC)]);
    }
}

#[test]
fn each_fork_takes_the_ssrcs_of_its_own_responder() {
    // SIP forking: one offer reaches two answerers, each with its own config and SSRC.
    let clock = TestClock::at(NTP_2026);
    let alice_config = exchange_configs(Method::DhHmac, &clock).0;
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(ALICE_SSRC, 0).unwrap();
    alice.add_srtp_stream(0, 0).unwrap();
    let i_message = alice.create_message().unwrap();
    let mut fork = alice.fork().unwrap();
    for (session, ssrc) in [(&mut alice, BOB_SSRC), (&mut fork, BOB_SSRC + 9)] {
        let mut answerer = Session::new(&exchange_configs(Method::DhHmac, &clock).1, Role::Responder).unwrap();
        answerer.add_srtp_stream(ssrc, 0).unwrap();
        let answer = answerer.process_message(&i_message).unwrap().unwrap();
        session.process_message(&answer).unwrap();
        assert_both_know(session, &answerer, &[(ALICE_SSRC, 0), (ssrc, 0)]);
    }
}
