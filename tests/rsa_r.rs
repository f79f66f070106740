//! RSA-R (RFC 4738) end to end through the public Rust API: the responder chooses the TGK and
//! sends it in an envelope for the initiator's certificate.

mod common;

use std::sync::Arc;

use common::{pki, signing_config, TestClock, NTP_2026};
use mikey::crypto::rsa::{RsaPrivateKey, SignatureScheme};
use mikey::crypto::x509::Certificate;
use mikey::exchange::signed::{self, SignedExtra};
use mikey::wire::registry::extension_type;
use mikey::wire::{CertPayload, DataType, Message, Payload};
use mikey::{Config, ErrorKind, Method, MikeyErrorCode, Role, Session, State};

fn rsa_r_config(who: &str, peer: &str, clock: &Arc<TestClock>, seed: u64) -> Config {
    signing_config(Method::RsaR, who, peer, clock, seed)
}

/// Alice's I_MESSAGE to bob, with the initiator session waiting for the answer.
fn alice_offer(clock: &Arc<TestClock>, seed: u64) -> (Session, Vec<u8>) {
    let mut initiator = Session::new(&rsa_r_config("alice", "bob", clock, seed), Role::Initiator).unwrap();
    initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
    initiator.add_srtp_stream(0x2222_2222, 5).unwrap();
    let i_message = initiator.create_message().unwrap();
    (initiator, i_message)
}

fn assert_same_keys(initiator: &Session, responder: &Session, cs_count: u8) {
    for cs_id in 1..=cs_count {
        let (ours, theirs) = (initiator.export_srtp(cs_id).unwrap(), responder.export_srtp(cs_id).unwrap());
        assert_eq!(ours.master_key.expose(), theirs.master_key.expose(), "CS {cs_id}");
        assert_eq!(ours.master_salt.expose(), theirs.master_salt.expose(), "CS {cs_id}");
        assert_eq!((ours.ssrc, ours.roc, ours.mki.clone()), (theirs.ssrc, theirs.roc, theirs.mki.clone()));
    }
}

#[test]
fn the_responder_chooses_the_tgk_and_both_ends_agree_then_rekey() {
    let clock = TestClock::at(NTP_2026);
    let (mut initiator, i_message) = alice_offer(&clock, 1);
    let offer = Message::decode(&i_message).unwrap();
    assert_eq!(offer.header.data_type, DataType::RsaRInit);
    assert!(offer.header.verification_requested, "RFC 4738 §3.4: V is set");
    assert_eq!(offer.count(Payload::as_kemac), 0, "the I_MESSAGE carries no keys");
    assert!(matches!(offer.payloads.last(), Some(Payload::Sign(_))));
    assert_eq!(initiator.state(), State::WaitResponse);

    let mut responder = Session::new(&rsa_r_config("bob", "alice", &clock, 2), Role::Responder).unwrap();
    let r_message = responder.process_message(&i_message).unwrap().expect("an R_MESSAGE");
    let answer = Message::decode(&r_message).unwrap();
    assert_eq!(answer.header.data_type, DataType::RsaRResponse);
    assert_eq!(answer.header.csb_id, offer.header.csb_id);
    assert_eq!(answer.header.cs_id_map, offer.header.cs_id_map);
    assert_eq!(answer.find(Payload::as_timestamp), offer.find(Payload::as_timestamp), "§3.6: the same T");
    assert_eq!(answer.count(Payload::as_rand), 0, "§3.6: no RAND when the I_MESSAGE had one");
    assert_eq!(answer.count(Payload::as_security_policy), 1, "§3.6: SP answers SP");
    assert!(answer.payloads.iter().any(|p| matches!(p, Payload::Pke(_))));
    assert_eq!(responder.state(), State::Established);

    initiator.process_message(&r_message).unwrap();
    assert_eq!(initiator.state(), State::Established);
    assert_same_keys(&initiator, &responder, 2);

    // Re-keying (§4.5): the same CSB, no RAND; the responder chooses a new TGK.
    let old_key = initiator.export_srtp(1).unwrap().master_key.expose().to_vec();
    let update = initiator.create_message().unwrap();
    assert_eq!(Message::decode(&update).unwrap().count(Payload::as_rand), 0);
    let r_update = responder.process_message(&update).unwrap().unwrap();
    initiator.process_message(&r_update).unwrap();
    assert_same_keys(&initiator, &responder, 2);
    assert_ne!(initiator.export_srtp(1).unwrap().master_key.expose(), old_key.as_slice());
}

/// Decodes `bytes`, lets `change` edit the payloads (the SIGN payload removed first) and signs
/// the result again as `signer` with RFC 3830 §5.2 coverage (an I_MESSAGE).
fn resigned_offer(bytes: &[u8], signer: &str, change: impl FnOnce(&mut Vec<Payload>)) -> Vec<u8> {
    let mut message = Message::decode(bytes).unwrap();
    message.payloads.pop();
    change(&mut message.payloads);
    let key = RsaPrivateKey::from_pem_or_der(&pki(&format!("{signer}.key.pem"))).unwrap();
    signed::seal_signed(message, &key, SignatureScheme::PKCS1V15_SHA256).unwrap()
}

#[test]
fn an_offer_without_rand_gets_the_responder_s_rand() {
    let clock = TestClock::at(NTP_2026);
    let (_, i_message) = alice_offer(&clock, 3);
    let without_rand = resigned_offer(&i_message, "alice", |payloads| {
        payloads.retain(|payload| !matches!(payload, Payload::Rand(_)));
    });
    let mut responder = Session::new(&rsa_r_config("bob", "alice", &clock, 4), Role::Responder).unwrap();
    let answer_bytes = responder.process_message(&without_rand).unwrap().unwrap();
    let answer = Message::decode(&answer_bytes).unwrap();
    let rand = answer.find(Payload::as_rand).expect("§3.6: the responder sends RAND");
    assert_eq!(rand.len(), 16);
}

#[test]
fn the_responder_rejects_bad_signers_and_leaves_the_session_unchanged() {
    let clock = TestClock::at(NTP_2026);
    let responder_config = rsa_r_config("bob", "alice", &clock, 10);
    let expect_rejected = |message: &[u8], what: &str| {
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        let rejection = responder.process_message(message).unwrap_err();
        assert_eq!(responder.state(), State::Idle, "{what}");
        rejection
    };
    let (_, genuine) = alice_offer(&clock, 11);

    // A wrong signature: one bit of SIGNi flipped.
    let mut wrong_signature = genuine.clone();
    *wrong_signature.last_mut().unwrap() ^= 0x01;
    let rejection = expect_rejected(&wrong_signature, "wrong signature");
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert_eq!(rejection.error.peer_code(), Some(MikeyErrorCode::AuthFailure));

    // A certificate that may sign but not receive an envelope key (digitalSignature only).
    let sign_only = resigned_offer(&genuine, "alice", |payloads| {
        let der = Certificate::from_pem_or_der(&pki("signonly.crt.pem")).unwrap()[0].der().to_vec();
        for payload in payloads.iter_mut() {
            if let Payload::Cert(cert) = payload {
                *cert = CertPayload { cert_type: cert.cert_type, data: der.clone().into() };
                break;
            }
        }
    });
    let rejection = expect_rejected(&sign_only, "no keyEncipherment");
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
    assert!(rejection.error.to_string().contains("keyUsage"), "{}", rejection.error);

    // Carol's genuine offer, but bob expects alice.
    let mut carol = Session::new(&rsa_r_config("carol", "bob", &clock, 12), Role::Initiator).unwrap();
    carol.add_srtp_stream(7, 0).unwrap();
    let rejection = expect_rejected(&carol.create_message().unwrap(), "misnamed initiator");
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);

    // And a replay of an accepted offer.
    Session::new(&responder_config, Role::Responder).unwrap().process_message(&genuine).unwrap();
    assert_eq!(expect_rejected(&genuine, "replay").error.kind(), ErrorKind::Replay);
}

/// Bob's answer to `i_message`, rebuilt and signed by `signer` after `change` edited its payloads
/// (SIGN removed first), with the RFC 4738 §3.6 coverage for IDi (none) and IDr.
fn resigned_answer(r_message: &[u8], signer: &str, responder_id: &[u8], change: impl FnOnce(&mut Message)) -> Vec<u8> {
    let mut message = Message::decode(r_message).unwrap();
    message.payloads.pop();
    change(&mut message);
    let timestamp = message.find(Payload::as_timestamp).unwrap().as_64_bits();
    let suffix: [&[u8]; 3] = [&[], responder_id, &timestamp];
    let key = RsaPrivateKey::from_pem_or_der(&pki(&format!("{signer}.key.pem"))).unwrap();
    let extra = SignedExtra::rsa_r_response(&suffix);
    signed::seal_signed_with(message, &key, SignatureScheme::PKCS1V15_SHA256, &extra).unwrap()
}

#[test]
fn the_initiator_rejects_tampered_misnamed_and_malformed_answers_and_keeps_waiting() {
    let clock = TestClock::at(NTP_2026);
    let (mut initiator, i_message) = alice_offer(&clock, 20);
    let mut responder = Session::new(&rsa_r_config("bob", "alice", &clock, 21), Role::Responder).unwrap();
    let genuine = responder.process_message(&i_message).unwrap().unwrap();
    let mut expect_rejected = |message: &[u8], kind: ErrorKind, what: &str| {
        let error = initiator.process_message(message).unwrap_err().error;
        assert_eq!(error.kind(), kind, "{what}: {error}");
        assert_eq!(initiator.state(), State::WaitResponse, "{what}");
    };

    // Tampering with the KEMAC, the PKE or SIGNr.
    let decoded = Message::decode(&genuine).unwrap();
    for (what, field) in decoded.payloads.iter().filter_map(|payload| match payload {
        Payload::Kemac(kemac) => Some(("KEMAC", kemac.encrypted_data.clone())),
        Payload::Pke(pke) => Some(("PKE", pke.data.clone())),
        Payload::Sign(sign) => Some(("SIGN", sign.data.clone())),
        _ => None,
    }) {
        let at = genuine.windows(field.len()).position(|window| window == &*field).unwrap();
        let mut tampered = genuine.clone();
        tampered[at + field.len() / 2] ^= 0x10;
        expect_rejected(&tampered, ErrorKind::AuthFailed, what);
    }

    // A validly signed answer that adds a RAND although ours had one (§3.7).
    let bob_id = b"sip:bob@example.com";
    let with_rand = resigned_answer(&genuine, "bob", bob_id, |message| {
        message.payloads.insert(1, Payload::Rand(vec![9; 16].into()));
    });
    expect_rejected(&with_rand, ErrorKind::Malformed, "RAND twice");

    // A validly signed answer whose SP is not the one we offered (§3.7).
    let other_policy = resigned_answer(&genuine, "bob", bob_id, |message| {
        for payload in message.payloads.iter_mut() {
            if let Payload::SecurityPolicy(sp) = payload {
                let mut policy = mikey::SrtpPolicy::from_security_policy(sp).unwrap();
                policy.profile = mikey::SrtpProfile::AeadAes128Gcm;
                *sp = policy.to_security_policy(sp.policy_no, false).unwrap();
            }
        }
    });
    expect_rejected(&other_policy, ErrorKind::Policy, "SP not offered");

    // Carol answers for bob: her signature is valid, but she is not the peer alice named.
    let mut carol = Session::new(&rsa_r_config("carol", "alice", &clock, 22), Role::Responder).unwrap();
    let from_carol = carol.process_message(&i_message).unwrap().unwrap();
    expect_rejected(&from_carol, ErrorKind::AuthFailed, "carol instead of bob");

    // A T other than ours.
    let later = resigned_answer(&genuine, "bob", bob_id, |message| {
        for payload in message.payloads.iter_mut() {
            if let Payload::Timestamp(timestamp) = payload {
                timestamp.value += 1;
            }
        }
    });
    expect_rejected(&later, ErrorKind::AuthFailed, "another T");

    // After all that, the genuine answer still completes the exchange.
    initiator.process_message(&genuine).unwrap();
    assert_same_keys(&initiator, &responder, 2);
}

#[test]
fn a_group_key_server_gives_every_member_the_same_csb() {
    let clock = TestClock::at(NTP_2026);
    // Bob is the key server of group 0x0600D5E with one sending stream (RFC 4738 §3.2).
    let group_csb_id = 0x0600_0D5E;
    let mut server = signing_config(Method::RsaR, "bob", "alice", &clock, 30);
    server.set_identities(None, None).unwrap();
    server.set_rsa_r_group(group_csb_id, &[(0x9999, 7)]).unwrap();
    let mut members = Vec::new();
    let mut answers = Vec::new();
    for (who, seed) in [("alice", 31), ("carol", 33)] {
        let mut member = Session::new(&rsa_r_config(who, "bob", &clock, seed), Role::Initiator).unwrap();
        member.add_srtp_stream(0x1000 + seed as u32, 0).unwrap();
        let offer = member.create_message().unwrap();
        let mut responder = Session::new(&server, Role::Responder).unwrap();
        let answer = responder.process_message(&offer).unwrap().unwrap();
        let decoded = Message::decode(&answer).unwrap();
        assert_eq!(decoded.header.csb_id, Message::decode(&offer).unwrap().header.csb_id, "§3.6: HDR keeps the CSB ID");
        let extension = decoded.find(Payload::as_general_extension).expect("§3.6: GenExt(CSB_ID)");
        assert_eq!(
            (extension.ext_type, extension.data.clone()),
            (extension_type::CSB_ID, group_csb_id.to_be_bytes().to_vec().into())
        );
        assert!(decoded.find(Payload::as_rand).is_some(), "§3.2: the group RAND");
        member.process_message(&answer).unwrap();
        assert_eq!(member.csb_id(), Some(group_csb_id));
        assert_eq!(member.cs_count(), 1);
        assert_eq!(member.export_srtp(1).unwrap().ssrc, 0x9999);
        assert_same_keys(&member, &responder, 1);
        members.push(member);
        answers.push(answer);
    }
    let keys = |member: &Session| member.export_srtp(1).unwrap().master_key.expose().to_vec();
    assert_eq!(keys(&members[0]), keys(&members[1]), "one group key");

    // A group answer without its RAND is malformed (§3.2), even validly signed.
    let (mut waiting, offer) = alice_offer(&clock, 34);
    let mut responder = Session::new(&server, Role::Responder).unwrap();
    let answer = responder.process_message(&offer).unwrap().unwrap();
    let timestamp = Message::decode(&answer).unwrap().find(Payload::as_timestamp).unwrap().as_64_bits();
    let mut stripped = Message::decode(&answer).unwrap();
    stripped.payloads.retain(|payload| !matches!(payload, Payload::Rand(_) | Payload::Sign(_)));
    let stripped = signed_by_bob(stripped, b"sip:bob@example.com", &timestamp);
    assert_eq!(waiting.process_message(&stripped).unwrap_err().error.kind(), ErrorKind::Malformed);
    assert_eq!(waiting.state(), State::WaitResponse);
    waiting.process_message(&answer).unwrap();

    // Only an RSA-R config can serve a group, with 1 to 255 streams.
    let mut psk = common::config(Method::Psk, &clock, 35);
    assert_eq!(psk.set_rsa_r_group(1, &[(1, 0)]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(server.set_rsa_r_group(1, &[]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(server.set_rsa_r_group(1, &[(0, 0)]).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

fn signed_by_bob(message: Message, bob_id: &[u8], timestamp: &[u8; 8]) -> Vec<u8> {
    let suffix: [&[u8]; 3] = [&[], bob_id, timestamp];
    let key = RsaPrivateKey::from_pem_or_der(&pki("bob.key.pem")).unwrap();
    signed::seal_signed_with(message, &key, SignatureScheme::PKCS1V15_SHA256, &SignedExtra::rsa_r_response(&suffix))
        .unwrap()
}

#[test]
fn forks_of_an_initiator_take_the_answers_of_several_responders_each_with_its_own_keys() {
    let clock = TestClock::at(NTP_2026);
    // SIP forking: alice does not know who answers, only that the certificate is trusted.
    let mut alice = rsa_r_config("alice", "bob", &clock, 40);
    alice.set_identities(None, None).unwrap();
    alice.set_accept_any_peer(true).unwrap();
    let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
    assert_eq!(initiator.fork().unwrap_err().kind(), ErrorKind::State, "nothing sent yet");
    initiator.add_srtp_stream(0x0F0F_0F0F, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    let mut fork = initiator.fork().unwrap();

    let mut bob = Session::new(&rsa_r_config("bob", "alice", &clock, 41), Role::Responder).unwrap();
    let mut carol = Session::new(&rsa_r_config("carol", "alice", &clock, 42), Role::Responder).unwrap();
    let from_bob = bob.process_message(&i_message).unwrap().unwrap();
    let from_carol = carol.process_message(&i_message).unwrap().unwrap();
    fork.process_message(&from_bob).unwrap();
    initiator.process_message(&from_carol).unwrap();
    assert_same_keys(&fork, &bob, 1);
    assert_same_keys(&initiator, &carol, 1);
    assert_ne!(fork.export_srtp(1).unwrap().master_key.expose(), initiator.export_srtp(1).unwrap().master_key.expose());
    // Each fork took its answer; a second answer finds it established.
    assert_eq!(fork.process_message(&from_carol).unwrap_err().error.kind(), ErrorKind::State);
    assert_eq!(fork.fork().unwrap_err().kind(), ErrorKind::State);
}

#[test]
fn an_unparseable_offer_gets_error_13_for_its_csb() {
    let clock = TestClock::at(NTP_2026);
    let (_, i_message) = alice_offer(&clock, 50);
    let mut responder = Session::new(&rsa_r_config("bob", "alice", &clock, 51), Role::Responder).unwrap();
    let truncated = &i_message[..i_message.len() - 10];
    let rejection = responder.process_message(truncated).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Malformed);
    let answer_bytes = rejection.response.expect("§3.5: an error message");
    let answer = Message::decode(&answer_bytes).unwrap();
    assert_eq!(answer.header.data_type, DataType::Error);
    assert_eq!(answer.header.csb_id, Message::decode(&i_message).unwrap().header.csb_id);
    let code = answer.find(Payload::as_error).unwrap().code;
    assert_eq!(code, MikeyErrorCode::UnsupportedMessageType as u8);
    assert_eq!(MikeyErrorCode::from_u8(code), MikeyErrorCode::UnsupportedMessageType);
    assert_eq!(responder.state(), State::Idle);
    // Bytes that are not a MIKEY header get no answer.
    assert!(responder.process_message(&[1, 2, 3]).unwrap_err().response.is_none());
}
