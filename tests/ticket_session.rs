//! MIKEY-TICKET (RFC 6043) end to end through the public Rust API: an initiator and a
//! responder session and a KMS, in the four modes of §4.1.1, with key forking, and the attacks
//! each must refuse with the sessions unchanged.

mod common;

use std::sync::Arc;

use common::{TestClock, TestRng, NTP_2026};
use mikey::wire::{CsIdMap, DataType, Message, Payload};
use mikey::{
    Config, ErrorKind, Kms, KmsConfig, Method, Role, Session, SrtpPolicy, SrtpProfile, State, TicketProtectionKey,
};

const KMS: &str = "kms.example.org";
const ALICE: &str = "sip:alice@example.org";
const BOB: &str = "sip:bob@example.org";
const CAROL: &str = "sip:carol@example.org";
const ALICE_PSK: &[u8] = b"alice shares this with the KMS..";
const BOB_PSK: &[u8] = b"bob shares this one with the KMS";
const CAROL_PSK: &[u8] = b"carol shares hers with the KMS..";

fn tpk(id: &[u8], byte: u8) -> TicketProtectionKey {
    TicketProtectionKey::new(id, &[byte; 32]).unwrap()
}

fn kms(clock: &Arc<TestClock>, tpks: &[TicketProtectionKey], responders_hold_tpk: bool) -> Kms {
    let mut config = KmsConfig::new(KMS.as_bytes()).unwrap();
    for key in tpks {
        config.add_tpk(key.clone()).unwrap();
    }
    config.add_client(ALICE.as_bytes(), ALICE_PSK).unwrap();
    config.add_client(BOB.as_bytes(), BOB_PSK).unwrap();
    config.add_client(CAROL.as_bytes(), CAROL_PSK).unwrap();
    config.set_clock(clock.clone());
    config.set_rng(TestRng::seeded(99));
    config.set_responders_hold_tpk(responders_hold_tpk);
    Kms::new(config).unwrap()
}

/// A party's config: its identity, the peer it addresses, and its PSK with the KMS and/or TPKs.
fn party(
    clock: &Arc<TestClock>,
    seed: u64,
    (own, peer): (&str, Option<&str>),
    psk: Option<&[u8]>,
    tpks: &[TicketProtectionKey],
) -> Config {
    let mut config = Config::with_sources(Method::Ticket, clock.clone(), TestRng::seeded(seed)).unwrap();
    config.set_identities(Some(own), peer).unwrap();
    if let Some(psk) = psk {
        config.set_psk(psk).unwrap();
        config.set_ticket_kms(KMS).unwrap();
    }
    for key in tpks {
        config.add_ticket_protection_key(key.clone()).unwrap();
    }
    config
}

fn data_type(message: &[u8]) -> DataType {
    Message::decode(message).unwrap().header.data_type
}

/// The one SPI a Transfer message's GENERIC-ID map names for all its crypto sessions (RFC 6043
/// §6.1.1: the session key's; a response MUST name it).
fn named_spi(message: &[u8]) -> Vec<u8> {
    let CsIdMap::GenericId(entries) = Message::decode(message).unwrap().header.cs_id_map else {
        panic!("a Transfer message has a GENERIC-ID map");
    };
    let spi = entries[0].spi.to_vec();
    assert!(!spi.is_empty() && entries.iter().all(|entry| *entry.spi == *spi), "{entries:?}");
    spi
}

fn assert_same_keys(initiator: &Session, responder: &Session, cs_ids: &[u8]) {
    assert_eq!(initiator.cs_ids(), cs_ids);
    assert_eq!(responder.cs_ids(), cs_ids);
    for &cs_id in cs_ids {
        let (sent, received) = (initiator.export_srtp(cs_id).unwrap(), responder.export_srtp(cs_id).unwrap());
        assert_eq!(sent.master_key.expose(), received.master_key.expose(), "CS {cs_id}");
        assert_eq!(sent.master_salt.expose(), received.master_salt.expose(), "CS {cs_id}");
        assert_eq!((sent.ssrc, sent.roc, sent.policy), (received.ssrc, received.roc, received.policy));
    }
}

/// Mode 1 (§4.1.1): Request, Transfer, Resolve. Returns both sessions established.
fn mode_1(kms: &Kms, alice_config: &Config, bob_config: &Config) -> (Session, Session) {
    let mut alice = Session::new(alice_config, Role::Initiator).unwrap();
    let mut bob = Session::new(bob_config, Role::Responder).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    alice.add_srtp_stream(0, 0).unwrap();
    bob.add_srtp_stream(0x2222_2222, 3).unwrap();

    let request = alice.create_message().unwrap();
    assert_eq!((data_type(&request), alice.state()), (DataType::TicketRequestInitPsk, State::WaitKms));
    let issued = kms.process_message(&request).unwrap();
    assert_eq!(alice.process_message(&issued).unwrap(), None);
    assert_eq!(alice.state(), State::Idle);

    let transfer = alice.create_message().unwrap();
    assert_eq!((data_type(&transfer), alice.state()), (DataType::TicketTransferInit, State::WaitResponse));
    let resolve = bob.process_message(&transfer).unwrap().expect("RESOLVE_INIT");
    assert_eq!((data_type(&resolve), bob.state()), (DataType::TicketResolveInitPsk, State::WaitKms));
    let resolved = kms.process_message(&resolve).unwrap();
    let answer = bob.process_message(&resolved).unwrap().expect("TRANSFER_RESP");
    // With key forking the TICKET carries Initiator Data, and the answer the modifier RANDRkms.
    let forking = Message::decode(&transfer).unwrap().find(Payload::as_ticket).unwrap().policy.flags.key_forking;
    let carries = |message: &[u8]| -> bool {
        let decoded = Message::decode(message).unwrap();
        let ticket_data = decoded.find(Payload::as_ticket).is_some_and(|ticket| !ticket.initiator_data.is_empty());
        let randr_kms = decoded.payloads.iter().filter_map(Payload::as_rand_with_role).any(|randr| randr.role == 3);
        ticket_data || randr_kms
    };
    assert_eq!((carries(&transfer), carries(&answer)), (forking, forking));
    // The forked TGK' keeps the TGK's SPI.
    assert_eq!(named_spi(&answer), named_spi(&transfer), "the session key's SPI in both maps");
    assert_eq!((data_type(&answer), bob.state()), (DataType::TicketTransferResponse, State::Established));
    assert_eq!(alice.process_message(&answer).unwrap(), None);
    assert_eq!(alice.state(), State::Established);
    (alice, bob)
}

#[test]
fn mode_1_request_transfer_resolve_keys_both_ends_alike() {
    let clock = TestClock::at(NTP_2026);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let (alice, bob) = mode_1(&kms, &alice_config, &bob_config);
    assert_same_keys(&alice, &bob, &[1, 2]);
    // Bob's stream filled Alice's placeholder; each end knows who the other is.
    assert_eq!((bob.export_srtp(2).unwrap().ssrc, bob.export_srtp(2).unwrap().roc), (0x2222_2222, 3));
    assert_eq!(bob.peer_identity(), Some(ALICE.as_bytes()));
    assert_eq!(alice.peer_identity(), Some(BOB.as_bytes()));
    assert_eq!(alice.key_material().unwrap().key.len(), 32);
}

#[test]
fn mode_1_with_key_forking_binds_the_keys_to_the_responder() {
    // A clock with a fraction of a second: validity times travel in whole seconds (§6.3).
    let clock = TestClock::at_ntp((NTP_2026 << 32) | 0x8000_0000);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let mut alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    alice_config.set_ticket_key_forking(true).unwrap();
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let (alice, bob) = mode_1(&kms, &alice_config, &bob_config);
    assert_same_keys(&alice, &bob, &[1, 2]);
    // Both hold TGK', forked for Bob; the unforked TGK never reached him.
    assert_eq!(alice.key_material().unwrap().key.expose(), bob.key_material().unwrap().key.expose());
}

#[test]
fn mode_2_the_responder_holding_the_tpk_opens_the_kms_ticket_itself() {
    let clock = TestClock::at(NTP_2026);
    let shared = tpk(b"kms-bob-tpk", 2);
    let kms = kms(&clock, std::slice::from_ref(&shared), true);
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    let bob_config = party(&clock, 2, (BOB, None), None, &[shared]);
    let (mut alice, mut bob) =
        (Session::new(&alice_config, Role::Initiator).unwrap(), Session::new(&bob_config, Role::Responder).unwrap());
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let issued = kms.process_message(&alice.create_message().unwrap()).unwrap();
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();
    let answer = bob.process_message(&transfer).unwrap().unwrap();
    assert_eq!(data_type(&answer), DataType::TicketTransferResponse, "no Resolve");
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);

    // A responder that needs the KMS but was not given one: the initiator is told (§5.4), not
    // left waiting, and the responder stays as it was.
    let lost_config = party(&clock, 4, (BOB, None), None, &[tpk(b"another-tpk", 9)]);
    let mut lost = Session::new(&lost_config, Role::Responder).unwrap();
    let rejection = lost.process_message(&transfer).unwrap_err();
    assert!(rejection.error.context().contains("KMS"), "{}", rejection.error);
    let error_message = Message::decode(rejection.response.as_deref().expect("an error message")).unwrap();
    assert_eq!(error_message.find(Payload::as_error).map(|error| error.code), Some(12), "Unspecified");
    assert_eq!(lost.state(), State::Idle);
}

#[test]
fn mode_3_the_initiator_seals_the_ticket_and_the_kms_resolves_it() {
    let clock = TestClock::at(NTP_2026);
    let shared = tpk(b"alice-kms-tpk", 3);
    let kms = kms(&clock, std::slice::from_ref(&shared), false);
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), None, &[shared]);
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let (mut alice, mut bob) =
        (Session::new(&alice_config, Role::Initiator).unwrap(), Session::new(&bob_config, Role::Responder).unwrap());
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let transfer = alice.create_message().unwrap();
    assert_eq!(data_type(&transfer), DataType::TicketTransferInit, "no Request");
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    let answer = bob.process_message(&kms.process_message(&resolve).unwrap()).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
}

/// Mode 4's parties: Alice and Bob hold one TPK, and no KMS is involved. Returns the clock,
/// Bob's config, and a session of each.
fn mode_4_parties() -> (Arc<TestClock>, Config, Session, Session) {
    let clock = TestClock::at(NTP_2026);
    let shared = tpk(b"alice-bob-tpk", 4);
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), None, std::slice::from_ref(&shared));
    let bob_config = party(&clock, 2, (BOB, None), None, &[shared]);
    let alice = Session::new(&alice_config, Role::Initiator).unwrap();
    let bob = Session::new(&bob_config, Role::Responder).unwrap();
    (clock, bob_config, alice, bob)
}

#[test]
fn mode_4_transfer_alone_between_holders_of_one_tpk() {
    let (_clock, bob_config, mut alice, mut bob) = mode_4_parties();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    alice.add_srtp_stream(0x3333_3333, 0).unwrap();
    let transfer = alice.create_message().unwrap();
    let answer = bob.process_message(&transfer).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);
    // A second TRANSFER_INIT with the same bytes is a replay.
    let mut again = Session::new(&bob_config, Role::Responder).unwrap();
    assert_eq!(again.process_message(&transfer).unwrap_err().error.kind(), ErrorKind::Replay);
}

#[test]
fn a_tampered_transfer_or_answer_is_refused_and_changes_nothing() {
    let (_clock, _, mut alice, mut bob) = mode_4_parties();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let transfer = alice.create_message().unwrap();
    for at in 0..transfer.len() {
        let mut tampered = transfer.clone();
        tampered[at] ^= 0x04;
        assert!(bob.process_message(&tampered).is_err(), "byte {at} of TRANSFER_INIT");
        assert_eq!(bob.state(), State::Idle);
    }
    let answer = bob.process_message(&transfer).unwrap().unwrap();
    for at in 0..answer.len() {
        let mut tampered = answer.clone();
        tampered[at] ^= 0x04;
        assert!(alice.process_message(&tampered).is_err(), "byte {at} of TRANSFER_RESP");
        assert_eq!(alice.state(), State::WaitResponse);
    }
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
}

#[test]
fn wrong_responder_expired_ticket_and_forbidden_srtp_id_map_are_refused() {
    let clock = TestClock::at(NTP_2026);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let issued = kms.process_message(&alice.create_message().unwrap()).unwrap();
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();

    // Carol is not the responder the ticket names: refused before the KMS is asked.
    let carol_config = party(&clock, 3, ("sip:carol@example.org", None), Some(BOB_PSK), &[]);
    let mut carol = Session::new(&carol_config, Role::Responder).unwrap();
    let rejection = carol.process_message(&transfer).unwrap_err();
    assert!(rejection.error.context().contains("not for us"), "{}", rejection.error);
    assert_eq!(carol.state(), State::Idle);

    // The same TRANSFER_INIT with an SRTP-ID map (§6.1: SHALL NOT be used).
    let mut message = Message::decode(&transfer).unwrap();
    message.header.cs_id_map = mikey::wire::CsIdMap::SrtpId(mikey::wire::SrtpIdMap::from_entries([]));
    let with_srtp_id = message.encode().unwrap();
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    let rejection = bob.process_message(&with_srtp_id).unwrap_err();
    assert!(rejection.error.context().contains("GENERIC-ID"), "{}", rejection.error);
    let error_message = Message::decode(rejection.response.as_deref().expect("an error message")).unwrap();
    assert_eq!(error_message.find(Payload::as_error).map(|error| error.code), Some(12), "Unspecified, no SP");
    assert!(error_message.find(Payload::as_security_policy).is_none());

    // A ticket held two hours (valid one): its TRANSFER_INIT is fresh, the ticket is not.
    let mut late = Session::new(&alice_config, Role::Initiator).unwrap();
    late.add_srtp_stream(0x1111_1111, 0).unwrap();
    let issued = kms.process_message(&late.create_message().unwrap()).unwrap();
    late.process_message(&issued).unwrap();
    clock.advance(7200);
    let stale_ticket = late.create_message().unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    let rejection = bob.process_message(&stale_ticket).unwrap_err();
    assert!(rejection.error.context().contains("expired"), "{}", rejection.error);
    let error_message = Message::decode(rejection.response.as_deref().expect("an error message")).unwrap();
    assert_eq!(error_message.find(Payload::as_error).map(|error| error.code), Some(14), "Invalid TICKET");
    assert_eq!(bob.state(), State::Idle);
}

#[test]
fn a_forked_call_keys_each_responder_apart_with_key_forking() {
    // The ticket authorises Bob and Carol; the TRANSFER_INIT reaches both (SIP forking), and the
    // initiator forks its session for the second answer (RFC 6043 §5.1.1).
    let clock = TestClock::at(NTP_2026);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let mut alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    alice_config.set_ticket_key_forking(true).unwrap();
    alice_config.add_ticket_responder(CAROL).unwrap();
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let carol_config = party(&clock, 3, (CAROL, None), Some(CAROL_PSK), &[]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let issued = kms.process_message(&alice.create_message().unwrap()).unwrap();
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();
    let mut alice_for_carol = alice.fork().unwrap();

    let answer_of = |config: &Config| {
        let mut responder = Session::new(config, Role::Responder).unwrap();
        let resolve = responder.process_message(&transfer).unwrap().unwrap();
        let answer = responder.process_message(&kms.process_message(&resolve).unwrap()).unwrap().unwrap();
        (responder, answer)
    };
    let (bob, bob_answer) = answer_of(&bob_config);
    let (carol, carol_answer) = answer_of(&carol_config);
    alice.process_message(&bob_answer).unwrap();
    alice_for_carol.process_message(&carol_answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
    assert_same_keys(&alice_for_carol, &carol, &[1]);
    assert_eq!(alice_for_carol.peer_identity(), Some(CAROL.as_bytes()));
    // Forked apart: Carol cannot compute Bob's keys.
    let (bob_keys, carol_keys) = (bob.export_srtp(1).unwrap(), carol.export_srtp(1).unwrap());
    assert_ne!(bob_keys.master_key.expose(), carol_keys.master_key.expose());
}

#[test]
fn a_request_to_the_wrong_kms_or_an_answer_from_an_impostor_changes_nothing() {
    let clock = TestClock::at(NTP_2026);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    // Alice names another KMS: ours does not answer, and Alice keeps waiting.
    let mut misdirected = Config::with_sources(Method::Ticket, clock.clone(), TestRng::seeded(5)).unwrap();
    misdirected.set_identities(Some(ALICE), Some(BOB)).unwrap();
    misdirected.set_psk(ALICE_PSK).unwrap();
    misdirected.set_ticket_kms("other-kms.example.org").unwrap();
    let mut alice = Session::new(&misdirected, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let request = alice.create_message().unwrap();
    let rejection = kms.process_message(&request).unwrap_err();
    assert!(rejection.error.context().contains("another KMS"), "{}", rejection.error);
    assert!(rejection.response.is_none());
    assert_eq!(alice.state(), State::WaitKms);

    // An impostor KMS that does not share Alice's PSK: its REQUEST_RESP is refused, and Alice
    // still takes the real one afterwards.
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let request = alice.create_message().unwrap();
    let mut impostor_config = KmsConfig::new(KMS.as_bytes()).unwrap();
    impostor_config.add_tpk(tpk(b"kms-tpk", 9)).unwrap();
    impostor_config.add_client(ALICE.as_bytes(), b"not alice's PSK, but as long....").unwrap();
    impostor_config.set_clock(clock.clone());
    let impostor = Kms::new(impostor_config).unwrap();
    let forged = impostor.process_message(&request).unwrap_err();
    assert!(forged.response.is_none(), "the impostor cannot even authenticate Alice");
    let real = kms.process_message(&request).unwrap();
    let mut tampered = real.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(alice.process_message(&tampered).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    assert_eq!(alice.state(), State::WaitKms);
    alice.process_message(&real).unwrap();
    assert_eq!(alice.state(), State::Idle);
}

#[test]
fn a_csb_update_rekeys_under_the_initial_exchange_s_keys_and_is_bound_to_it() {
    let clock = TestClock::at(NTP_2026);
    let kms = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let mut alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    alice_config.set_ticket_key_forking(true).unwrap();
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let (mut alice, mut bob) = mode_1(&kms, &alice_config, &bob_config);
    let before = bob.export_srtp(1).unwrap();
    clock.advance(1);

    // §5.2: same CSB ID, a new T, no RAND and no TICKET, a KEMAC with a new TGK; no KMS.
    let update = alice.create_message().unwrap();
    let decoded = Message::decode(&update).unwrap();
    assert_eq!(decoded.header.data_type, DataType::TicketTransferInit);
    assert_eq!(Some(decoded.header.csb_id), bob.csb_id());
    assert!(decoded.find(Payload::as_ticket).is_none() && decoded.find(Payload::as_rand_with_role).is_none());
    assert!(decoded.find(Payload::as_kemac).is_some());
    for at in 0..update.len() {
        let mut tampered = update.clone();
        tampered[at] ^= 0x20;
        assert!(bob.process_message(&tampered).is_err(), "byte {at} of the update");
        assert_eq!(bob.export_srtp(1).unwrap().master_key.expose(), before.master_key.expose());
    }
    let answer = bob.process_message(&update).unwrap().expect("TRANSFER_RESP");
    assert_eq!(bob.state(), State::Established);
    // Both maps name the new TGK's SPI.
    assert_eq!(named_spi(&answer), named_spi(&update));
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);
    assert_ne!(bob.export_srtp(1).unwrap().master_key.expose(), before.master_key.expose(), "re-keyed");
    // The same update again is a replay; a second one re-keys again.
    assert_eq!(bob.process_message(&update).unwrap_err().error.kind(), ErrorKind::Replay);
    clock.advance(1);
    let second = alice.create_message().unwrap();
    alice.process_message(&bob.process_message(&second).unwrap().unwrap()).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);

    // An update for a CSB Bob does not hold is no update of his.
    let mut message = Message::decode(&second).unwrap();
    message.header.csb_id ^= 1;
    let other_csb = message.encode().unwrap();
    assert!(bob.process_message(&other_csb).is_err(), "an update of a CSB Bob does not hold");
}

/// A party of the public-key form: its certificate chain from the test PKI (`who`), its
/// identity as the certificate names it, and the KMS's certificate pinned (Carol's, whose key
/// the test KMS holds).
fn certified_party(clock: &Arc<TestClock>, who: &str, own: &str, peer: Option<&str>) -> Config {
    let mut config = Config::with_sources(Method::Ticket, clock.clone(), TestRng::seeded(21)).unwrap();
    let mut chain = common::pki(&format!("{who}.crt.pem"));
    chain.extend(common::pki("intermediate.crt.pem"));
    config.set_certificate_chain(&chain).unwrap();
    config.set_private_key(&common::pki(&format!("{who}.key.pem"))).unwrap();
    config.set_peer_certificate(&common::pki("carol.crt.pem")).unwrap();
    config.set_identities(Some(own), peer).unwrap();
    config.set_ticket_kms(KMS).unwrap();
    config
}

#[test]
fn the_public_key_forms_authenticate_clients_by_certificate() {
    let clock = TestClock::at(NTP_2026);
    let mut kms_config = KmsConfig::new(KMS.as_bytes()).unwrap();
    kms_config.add_tpk(tpk(b"kms-tpk", 1)).unwrap();
    kms_config.set_private_key(&common::pki("carol.key.pem")).unwrap();
    kms_config.add_trust_anchor(&common::pki("root.crt.pem")).unwrap();
    kms_config.set_clock(clock.clone());
    let certified_kms = Kms::new(kms_config).unwrap();
    // Alice and Bob as the test PKI names them; Bob holds no PSK either.
    let (alice_id, bob_id) = ("sip:alice@example.com", "sip:bob@example.com");
    let alice_config = certified_party(&clock, "alice", alice_id, Some(bob_id));
    let bob_config = certified_party(&clock, "bob", bob_id, None);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let request = alice.create_message().unwrap();
    assert_eq!(data_type(&request), DataType::TicketRequestInitPk);
    // A flipped signature byte: no answer, and the genuine request still goes through.
    let mut forged = request.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(certified_kms.process_message(&forged).unwrap_err().response.is_none());
    alice.process_message(&certified_kms.process_message(&request).unwrap()).unwrap();
    let transfer = alice.create_message().unwrap();
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    assert_eq!(data_type(&resolve), DataType::TicketResolveInitPk);
    let answer = bob.process_message(&certified_kms.process_message(&resolve).unwrap()).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
    assert_eq!(bob.peer_identity(), Some(alice_id.as_bytes()));

    // Bob's certificate (under the same root) does not name Alice: claiming her IDRi fails.
    let impostor_config = certified_party(&clock, "bob", alice_id, Some(bob_id));
    let mut impostor = Session::new(&impostor_config, Role::Initiator).unwrap();
    impostor.add_srtp_stream(0x1111_1111, 0).unwrap();
    let rejection = certified_kms.process_message(&impostor.create_message().unwrap()).unwrap_err();
    assert!(rejection.error.context().contains("does not name"), "{}", rejection.error);
    assert!(rejection.response.is_none());

    // A KMS without a private key takes the PSK forms only.
    let psk_only = kms(&clock, &[tpk(b"kms-tpk", 1)], false);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let refused = psk_only.process_message(&alice.create_message().unwrap()).unwrap_err();
    assert!(refused.error.context().contains("PSK forms only"), "{}", refused.error);
}

/// Refuses every resolve.
struct NoResolves;

impl mikey::TicketAuthority for NoResolves {
    fn grant(&self, request: &mikey::TicketRequest<'_>, _now: u64) -> mikey::Result<mikey::TicketTerms> {
        Ok(request.desired.clone())
    }

    fn may_resolve(&self, _responder: &[u8], _terms: &mikey::TicketTerms) -> bool {
        false
    }
}

#[test]
fn a_kms_refusal_fails_the_responder_and_tells_the_initiator() {
    let clock = TestClock::at(NTP_2026);
    let mut kms_config = KmsConfig::new(KMS.as_bytes()).unwrap();
    kms_config.add_tpk(tpk(b"kms-tpk", 1)).unwrap();
    kms_config.add_client(ALICE.as_bytes(), ALICE_PSK).unwrap();
    kms_config.add_client(BOB.as_bytes(), BOB_PSK).unwrap();
    kms_config.set_clock(clock.clone());
    kms_config.set_authority(Arc::new(NoResolves));
    let refusing_kms = Kms::new(kms_config).unwrap();
    let alice_config = party(&clock, 1, (ALICE, Some(BOB)), Some(ALICE_PSK), &[]);
    let bob_config = party(&clock, 2, (BOB, None), Some(BOB_PSK), &[]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let issued = refusing_kms.process_message(&alice.create_message().unwrap()).unwrap();
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    let refusal = refusing_kms.process_message(&resolve).unwrap_err().response.expect("an authenticated error message");
    // Bob fails, and his rejection carries the error message for Alice: the KMS's code, his
    // TRANSFER_INIT's CSB.
    let rejection = bob.process_message(&refusal).unwrap_err();
    assert_eq!((rejection.error.kind(), bob.state()), (ErrorKind::PeerError, State::Failed));
    let for_alice = rejection.response.expect("an error message for the initiator");
    let decoded = Message::decode(&for_alice).unwrap();
    assert_eq!(decoded.header.data_type, DataType::Error);
    assert_eq!(decoded.header.csb_id, Message::decode(&transfer).unwrap().header.csb_id);
    assert_eq!(decoded.find(Payload::as_error).map(|error| error.code), Some(12));
    // Unauthenticated (nothing keys it yet), so Alice hears of it and keeps waiting (§5.4).
    assert_eq!(alice.process_message(&for_alice).unwrap_err().error.kind(), ErrorKind::PeerError);
    assert_eq!(alice.state(), State::WaitResponse);
}

/// Mode 4 parties with an established CSB of two crypto sessions (Alice's SSRC, then a
/// placeholder Bob fills), and the clock one second later.
fn established_mode_4() -> (Arc<TestClock>, Session, Session) {
    let (clock, _bob_config, mut alice, mut bob) = mode_4_parties();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    alice.add_srtp_stream(0, 0).unwrap();
    bob.add_srtp_stream(0x2222_2222, 0).unwrap();
    let answer = bob.process_message(&alice.create_message().unwrap()).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    clock.advance(1);
    (clock, alice, bob)
}

#[test]
fn the_responder_may_update_the_csb_too_and_the_initiator_answers() {
    // RFC 6043 §5.2's second figure: TRANSFER_INIT from the responder (its IDRr first), the
    // initiator's TRANSFER_RESP, under the same keys as the initiator's updates.
    let (clock, mut alice, mut bob) = established_mode_4();
    let before = alice.export_srtp(1).unwrap();

    let update = bob.create_message().unwrap();
    assert_eq!(bob.state(), State::WaitResponse);
    let roles: Vec<u8> = Message::decode(&update)
        .unwrap()
        .payloads
        .iter()
        .filter_map(Payload::as_id_with_role)
        .map(|id| id.role)
        .collect();
    assert_eq!(roles, [2, 1], "IDRr, then IDRi");
    for at in 0..update.len() {
        let mut tampered = update.clone();
        tampered[at] ^= 0x08;
        assert!(alice.process_message(&tampered).is_err(), "byte {at}");
        assert_eq!(alice.export_srtp(1).unwrap().master_key.expose(), before.master_key.expose());
    }
    let answer = alice.process_message(&update).unwrap().expect("the initiator's TRANSFER_RESP");
    assert_eq!(alice.state(), State::Established);
    assert_eq!(named_spi(&answer), named_spi(&update), "the new TGK's SPI");
    assert!(alice.process_message(&update).is_err(), "a replay");
    bob.process_message(&answer).unwrap();
    assert_eq!(bob.state(), State::Established);
    assert_same_keys(&alice, &bob, &[1, 2]);
    assert_ne!(alice.export_srtp(1).unwrap().master_key.expose(), before.master_key.expose(), "re-keyed");
    // Bob's own streams are still his to fill the next placeholders with; the CSB kept both.
    assert_eq!(bob.export_srtp(2).unwrap().ssrc, 0x2222_2222);
    // And Alice can update again afterwards.
    clock.advance(1);
    let again = alice.create_message().unwrap();
    alice.process_message(&bob.process_message(&again).unwrap().unwrap()).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);
}

#[test]
fn a_responder_s_update_keeps_the_policy_the_initiator_chose() {
    // Alice offered AES-256; Bob's own default is AES-128. His update carries no SP, and both
    // ends must keep the CSB's policy, not fall back to his.
    let clock = TestClock::at(NTP_2026);
    let shared = tpk(b"alice-bob-tpk", 4);
    let alice_party = || party(&clock, 1, (ALICE, Some(BOB)), None, std::slice::from_ref(&shared));
    // An MKI is refused: RFC 6043 makes it the key's SPI in the CS ID map, which we do not carry.
    let with_mki = SrtpPolicy { profile: SrtpProfile::AesCm256HmacSha1_80, mki_len: 4, ..Default::default() };
    let mut mki_config = alice_party();
    mki_config.set_srtp_policy(with_mki).unwrap();
    let refused = Session::new(&mki_config, Role::Initiator).unwrap().create_message().unwrap_err();
    assert!(refused.context().contains("MKI"), "{refused}");
    let mut alice_config = alice_party();
    alice_config.set_srtp_policy(SrtpPolicy { mki_len: 0, ..with_mki }).unwrap();
    let bob_config = party(&clock, 2, (BOB, None), None, &[shared]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    alice.add_srtp_stream(0x1111_1111, 0).unwrap();
    let answer = bob.process_message(&alice.create_message().unwrap()).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
    assert_eq!(bob.export_srtp(1).unwrap().policy.profile, SrtpProfile::AesCm256HmacSha1_80);
    clock.advance(1);
    let update = bob.create_message().unwrap();
    bob.process_message(&alice.process_message(&update).unwrap().unwrap()).unwrap();
    assert_same_keys(&alice, &bob, &[1]);
    let exported = bob.export_srtp(1).unwrap();
    assert_eq!((exported.policy.profile, exported.master_key.expose().len()), (SrtpProfile::AesCm256HmacSha1_80, 32));
}

#[test]
fn an_update_reflected_to_its_sender_is_refused() {
    // The attack: an update sent back to its sender names the sender's peer in the peer's
    // role, so it reads as the peer's update. The MAC covers the sender's identity first, so it
    // does not verify for the other direction; for Bob, waiting for his update's answer, that is
    // the only defence (his own message is fresh and not in his replay cache).
    let (clock, mut alice, mut bob) = established_mode_4();
    let before = alice.export_srtp(1).unwrap();
    let alices = alice.create_message().unwrap();
    assert!(alice.process_message(&alices).is_err());
    assert_eq!(alice.state(), State::WaitResponse);
    // Once her update is answered she is established again, and takes updates from Bob: her own
    // is still refused.
    alice.process_message(&bob.process_message(&alices).unwrap().unwrap()).unwrap();
    let rekeyed = alice.export_srtp(1).unwrap();
    assert_ne!(rekeyed.master_key.expose(), before.master_key.expose());
    clock.advance(1);
    let rejection = alice.process_message(&alices).unwrap_err();
    assert!(matches!(rejection.error.kind(), ErrorKind::AuthFailed | ErrorKind::Replay | ErrorKind::Timestamp));
    assert_eq!(alice.export_srtp(1).unwrap().master_key.expose(), rekeyed.master_key.expose());
    // Bob's own update, reflected to Bob while he waits for its answer.
    let bobs = bob.create_message().unwrap();
    assert_eq!(bob.process_message(&bobs).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    assert_eq!(bob.state(), State::WaitResponse);
}

#[test]
fn crossing_updates_the_initiator_s_wins() {
    // Both ends update at once (a glare RFC 6043 leaves open): the responder drops its own and
    // answers the initiator's, and the initiator refuses the responder's, so both end with the
    // initiator's keys.
    let (_clock, mut alice, mut bob) = established_mode_4();
    let alices = alice.create_message().unwrap();
    let bobs = bob.create_message().unwrap();
    let refused = alice.process_message(&bobs).unwrap_err();
    assert_eq!(refused.error.kind(), ErrorKind::State, "{}", refused.error);
    assert_eq!(alice.state(), State::WaitResponse);
    let answer = bob.process_message(&alices).unwrap().expect("Bob answers Alice's update");
    assert_eq!(bob.state(), State::Established);
    alice.process_message(&answer).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);
}

#[test]
fn crossing_updates_reordered_still_end_on_the_initiator_s_keys() {
    // As above, but Alice's answer overtakes Bob's update: she is established again when his
    // update arrives. Bob answered her after sending it, so his answer's T is later than his
    // update's, and Alice refuses the update as older than the last message she accepted.
    let (clock, mut alice, mut bob) = established_mode_4();
    let alices = alice.create_message().unwrap();
    let bobs = bob.create_message().unwrap();
    clock.advance(1);
    let answer = bob.process_message(&alices).unwrap().expect("Bob answers Alice's update");
    alice.process_message(&answer).unwrap();
    let keys = alice.export_srtp(1).unwrap();
    let refused = alice.process_message(&bobs).unwrap_err();
    assert_eq!(refused.error.kind(), ErrorKind::Timestamp, "{}", refused.error);
    assert_eq!(alice.export_srtp(1).unwrap().master_key.expose(), keys.master_key.expose());
    assert_same_keys(&alice, &bob, &[1, 2]);
}

#[test]
fn a_responder_whose_update_was_lost_sends_another() {
    let (clock, mut alice, mut bob) = established_mode_4();
    let _lost = bob.create_message().unwrap();
    clock.advance(1);
    let second = bob.create_message().unwrap();
    assert_eq!(bob.state(), State::WaitResponse);
    bob.process_message(&alice.process_message(&second).unwrap().unwrap()).unwrap();
    assert_same_keys(&alice, &bob, &[1, 2]);
}
