//! Regression tests of the outside security review's findings (issue 13), one or more per
//! point, each written as the attack first: it failed on the code before the fix.

mod common;

use common::{config, pki, signing_config, TestClock, NTP_2026};
use mikey::crypto::rsa::RsaPrivateKey;
use mikey::exchange::signed::seal_signed;
use mikey::wire::{CommonHeader, CsIdMap, DataType, ErrorPayload, Message, Payload, SrtpIdMap, Timestamp};
use mikey::{ErrorKind, Method, Role, Session, SignatureScheme, State};

/// The error message a peer (or anyone who saw the I_MESSAGE) sends about `i_message`:
/// HDR, T, ERR (RFC 3830 §5.1.2), unsigned.
fn error_message_about(i_message: &[u8]) -> Message<'static> {
    let offer = Message::decode(i_message).unwrap();
    let header = CommonHeader {
        data_type: DataType::Error,
        verification_requested: false,
        prf_function: 0,
        csb_id: offer.header.csb_id,
        cs_id_map: CsIdMap::SrtpId(SrtpIdMap::default()),
    };
    let timestamp: Timestamp = *offer.find(Payload::as_timestamp).unwrap();
    Message { header, payloads: vec![Payload::Timestamp(timestamp), Payload::Error(ErrorPayload { code: 12 })] }
}

/// Point 7: an update is refused unless its T is after the last one the CSB accepted, so a
/// held-back older update cannot roll the keys back.
#[test]
fn a_held_back_older_update_does_not_roll_the_keys_back() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    let mut responder = Session::new(&config(Method::Psk, &clock, 2), Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    responder.process_message(&initiator.create_message().unwrap()).unwrap();
    clock.advance(1);
    let older = initiator.create_message().unwrap();
    clock.advance(1);
    let newer = initiator.create_message().unwrap();
    responder.process_message(&newer).unwrap();
    let keys = responder.export_srtp(1).unwrap();

    let rejection = responder.process_message(&older).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Timestamp, "{}", rejection.error);
    assert_eq!(rejection.response, None, "a stale message is dropped silently (§5.3)");
    assert_eq!(responder.export_srtp(1).unwrap().master_key.expose(), keys.master_key.expose());
    assert_eq!(initiator.export_srtp(1).unwrap().master_key.expose(), keys.master_key.expose());
}

/// Point 5: an unauthenticated error message naming the CSB (visible in the I_MESSAGE) is
/// reported, but the initiator keeps waiting, and the genuine R_MESSAGE still establishes it.
#[test]
fn a_spoofed_error_message_does_not_abort_a_pending_exchange() {
    let clock = TestClock::at(NTP_2026);
    for method in [Method::Psk, Method::DhSign] {
        let (initiator_config, responder_config) = match method {
            Method::Psk => {
                let mut initiator_config = config(method, &clock, 1);
                initiator_config.set_request_verification(true).unwrap();
                (initiator_config, config(method, &clock, 2))
            }
            _ => (signing_config(method, "alice", "bob", &clock, 1), signing_config(method, "bob", "alice", &clock, 2)),
        };
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        let i_message = initiator.create_message().unwrap();
        let spoofed = error_message_about(&i_message).encode().unwrap();

        let rejection = initiator.process_message(&spoofed).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::PeerError, "{method:?}");
        assert_eq!(initiator.state(), State::WaitResponse, "{method:?}: still waiting");
        let r_message = responder.process_message(&i_message).unwrap().unwrap();
        initiator.process_message(&r_message).unwrap();
        assert_eq!(initiator.state(), State::Established, "{method:?}");
    }
}

/// Point 5: an error message signed by the peer the initiator waits for ends the exchange; one
/// signed by another certificate holder under the same anchors does not.
#[test]
fn only_an_error_message_signed_by_the_peer_ends_the_exchange() {
    let clock = TestClock::at(NTP_2026);
    let initiator_config = signing_config(Method::DhSign, "alice", "bob", &clock, 1);
    for (signer, ends) in [("carol", false), ("bob", true)] {
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        let i_message = initiator.create_message().unwrap();
        let mut message = error_message_about(&i_message);
        let mut chain = pki(&format!("{signer}.crt.pem"));
        chain.extend(pki("intermediate.crt.pem"));
        let certificates = mikey::crypto::x509::Certificate::from_pem_or_der(&chain).unwrap();
        message.payloads.extend(mikey::exchange::signed::certificate_payloads(&certificates));
        let key = RsaPrivateKey::from_pem_or_der(&pki(&format!("{signer}.key.pem"))).unwrap();
        let signed = seal_signed(message, &key, SignatureScheme::PKCS1V15_SHA256).unwrap();

        let rejection = initiator.process_message(&signed).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::PeerError, "{signer}");
        let expected = if ends { State::Failed } else { State::WaitResponse };
        assert_eq!(initiator.state(), expected, "error message signed by {signer}");
        if ends {
            // A new I_MESSAGE starts over, with a new CSB.
            let retry = initiator.create_message().unwrap();
            let csb_id = |bytes: &[u8]| Message::decode(bytes).unwrap().header.csb_id;
            assert_ne!(csb_id(&retry), csb_id(&i_message));
            assert_eq!(initiator.state(), State::WaitResponse);
        }
    }
}

/// Point 2: a CSB is bound to the peer that authenticated it. Carol, who holds a certificate
/// under the same anchors, sends bob an I_MESSAGE for alice's CSB (same CSB ID and RAND, which
/// travel in clear); bob, who accepts any peer under his anchors, must not let her re-key it.
#[test]
fn a_third_certificate_holder_cannot_rekey_another_peer_s_csb() {
    for method in [Method::DhSign, Method::Pk, Method::RsaR] {
        let clock = TestClock::at(NTP_2026);
        let initiator_config = |who: &str| {
            // The same seed as alice's: carol's session draws alice's CSB ID and RAND.
            let mut config = signing_config(method, who, "bob", &clock, 1);
            config.set_peer_certificate(&pki("bob.crt.pem")).unwrap();
            config
        };
        let mut bob_config = signing_config(method, "bob", "alice", &clock, 2);
        bob_config.set_identities(None, None).unwrap();
        let mut alice = Session::new(&initiator_config("alice"), Role::Initiator).unwrap();
        let mut carol = Session::new(&initiator_config("carol"), Role::Initiator).unwrap();
        let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
        alice.add_srtp_stream(1, 0).unwrap();
        carol.add_srtp_stream(1, 0).unwrap();
        let answer = bob.process_message(&alice.create_message().unwrap()).unwrap();
        if let Some(r_message) = answer {
            alice.process_message(&r_message).unwrap();
        }
        let keys = bob.export_srtp(1).unwrap();
        assert_eq!(alice.export_srtp(1).unwrap().master_key.expose(), keys.master_key.expose(), "{method:?}");

        clock.advance(1);
        let forged = carol.create_message().unwrap();
        assert_eq!(Message::decode(&forged).unwrap().header.csb_id, bob.csb_id().unwrap(), "{method:?}");
        let Err(rejection) = bob.process_message(&forged) else {
            panic!("{method:?}: carol re-keyed alice's CSB");
        };
        assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{method:?}: {}", rejection.error);
        assert_eq!(bob.export_srtp(1).unwrap().master_key.expose(), keys.master_key.expose(), "{method:?}");
    }
}

/// Point 2, the initiator's side: alice, who accepts any peer under her anchors, updates the CSB
/// she set up with bob; carol, who saw alice's first I_MESSAGE, answers the update. Alice must
/// not take carol's keys, and still takes bob's answer.
#[test]
fn an_update_is_answered_only_by_the_peer_of_the_csb() {
    for method in [Method::DhSign, Method::RsaR] {
        let clock = TestClock::at(NTP_2026);
        let responder = |who: &str, seed| {
            let mut config = signing_config(method, who, "alice", &clock, seed);
            config.set_identities(None, None).unwrap();
            Session::new(&config, Role::Responder).unwrap()
        };
        let mut alice_config = signing_config(method, "alice", "bob", &clock, 1);
        alice_config.set_identities(None, None).unwrap();
        alice_config.set_accept_any_peer(true).unwrap();
        let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
        let (mut bob, mut carol) = (responder("bob", 2), responder("carol", 3));
        alice.add_srtp_stream(1, 0).unwrap();
        let first = alice.create_message().unwrap();
        alice.process_message(&bob.process_message(&first).unwrap().unwrap()).unwrap();
        carol.process_message(&first).unwrap();
        let keys = alice.export_srtp(1).unwrap();

        clock.advance(1);
        let update = alice.create_message().unwrap();
        let carol_answer = carol.process_message(&update).unwrap().unwrap();
        let Err(rejection) = alice.process_message(&carol_answer) else {
            panic!("{method:?}: carol re-keyed alice's CSB");
        };
        assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{method:?}: {}", rejection.error);
        assert_eq!(alice.state(), State::WaitResponse, "{method:?}");
        alice.process_message(&bob.process_message(&update).unwrap().unwrap()).unwrap();
        let rekeyed = alice.export_srtp(1).unwrap();
        assert_ne!(rekeyed.master_key.expose(), keys.master_key.expose(), "{method:?}");
        assert_eq!(rekeyed.master_key.expose(), bob.export_srtp(1).unwrap().master_key.expose(), "{method:?}");
    }
}

/// Point 3: after an exchange each side can tell who it is talking to: the identity the peer's
/// authentication covers, and for the certificate methods its certificate.
#[test]
fn each_side_learns_the_authenticated_peer() {
    let alice_id: &[u8] = b"sip:alice@example.com";
    let bob_id: &[u8] = b"sip:bob@example.com";
    for method in [Method::Null, Method::Psk, Method::DhHmac, Method::Pk, Method::DhSign, Method::RsaR] {
        let clock = TestClock::at(NTP_2026);
        let (mut initiator_config, responder_config) = if method.uses_certificates() {
            let mut alice = signing_config(method, "alice", "bob", &clock, 1);
            alice.set_peer_certificate(&pki("bob.crt.pem")).unwrap();
            (alice, signing_config(method, "bob", "alice", &clock, 2))
        } else {
            let (mut alice, mut bob) = (config(method, &clock, 1), config(method, &clock, 2));
            alice.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
            bob.set_identities(Some("sip:bob@example.com"), None).unwrap();
            (alice, bob)
        };
        initiator_config.set_request_verification(true).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        let i_message = initiator.create_message().unwrap();
        assert_eq!(initiator.peer_identity(), None, "{method:?}: nothing established yet");
        initiator.process_message(&responder.process_message(&i_message).unwrap().unwrap()).unwrap();

        let (to_initiator, to_responder) = match method {
            Method::Null => (None, None),
            _ => (Some(bob_id), Some(alice_id)),
        };
        assert_eq!(initiator.peer_identity(), to_initiator, "{method:?}: the initiator's peer");
        assert_eq!(responder.peer_identity(), to_responder, "{method:?}: the responder's peer");
        let der = |who: &str| {
            let pem = pki(&format!("{who}.crt.pem"));
            mikey::crypto::x509::Certificate::from_pem_or_der(&pem).unwrap().remove(0).der().to_vec()
        };
        let (bob_der, alice_der) = (der("bob"), der("alice"));
        let certificates = match method.uses_certificates() {
            true => (Some(&bob_der[..]), Some(&alice_der[..])),
            false => (None, None),
        };
        assert_eq!((initiator.peer_certificate(), responder.peer_certificate()), certificates, "{method:?}");
        assert_eq!(initiator.csb_id(), responder.csb_id(), "{method:?}");
    }
}

/// Point 3: a DH-SIGN or RSA-R initiator that names no peer refuses to start, unless told to
/// accept any peer under its anchors; then it learns who answered.
#[test]
fn a_signing_initiator_names_its_peer_or_accepts_any_explicitly() {
    for method in [Method::DhSign, Method::RsaR] {
        let clock = TestClock::at(NTP_2026);
        let mut alice_config = signing_config(method, "alice", "bob", &clock, 1);
        alice_config.set_identities(None, None).unwrap();
        let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
        alice.add_srtp_stream(1, 0).unwrap();
        assert_eq!(alice.create_message().unwrap_err().kind(), ErrorKind::InvalidArgument, "{method:?}");
        assert_eq!(alice.state(), State::Idle);

        // The config has a session now: it is frozen, and a changed copy is a new config.
        assert_eq!(alice_config.set_accept_any_peer(true).unwrap_err().kind(), ErrorKind::State);
        let mut any_peer = alice_config.clone();
        any_peer.set_accept_any_peer(true).unwrap();
        let mut alice = Session::new(&any_peer, Role::Initiator).unwrap();
        let mut carol = Session::new(&signing_config(method, "carol", "alice", &clock, 3), Role::Responder).unwrap();
        alice.add_srtp_stream(1, 0).unwrap();
        let i_message = alice.create_message().unwrap();
        alice.process_message(&carol.process_message(&i_message).unwrap().unwrap()).unwrap();
        // Carol's certificate names her by e-mail address only.
        assert_eq!(alice.peer_identity(), Some(&b"carol@example.com"[..]), "{method:?}");
    }
}

/// Point 4: a PSK holder floods the shared replay cache with messages dated ahead of the clock.
/// Eviction used to go by insertion order, lifting the floor past "now", so every genuine
/// message was then refused for a whole window. Now future skew is capped separately.
#[test]
fn future_dated_messages_cannot_lock_genuine_ones_out() {
    let clock = TestClock::at(NTP_2026);
    let mut responder_config = config(Method::Psk, &clock, 2);
    responder_config.set_replay_window(10).unwrap(); // the smallest cache: 1,024 messages
    let ahead = TestClock::at(NTP_2026 + 9);
    let flooder = config(Method::Psk, &ahead, 3);
    for n in 0..1_100u32 {
        let mut initiator = Session::new(&flooder, Role::Initiator).unwrap();
        initiator.add_srtp_stream(n + 1, 0).unwrap();
        let message = initiator.create_message().unwrap();
        // Accepted or refused, the flood must not lock out what follows.
        let _ = Session::new(&responder_config, Role::Responder).unwrap().process_message(&message);
    }
    let mut alice = Session::new(&config(Method::Psk, &clock, 4), Role::Initiator).unwrap();
    alice.add_srtp_stream(1, 0).unwrap();
    let genuine = alice.create_message().unwrap();
    let mut bob = Session::new(&responder_config, Role::Responder).unwrap();
    bob.process_message(&genuine).unwrap();
    assert_eq!(bob.state(), State::Established);
}

/// Point 8: a message longer than `MAX_MESSAGE_LEN` is refused before any work, so a caller
/// can size its buffers by it.
#[test]
fn a_message_longer_than_the_published_maximum_is_refused_unread() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    let mut oversized = message.clone();
    oversized.resize(mikey::wire::MAX_MESSAGE_LEN + 1, 0);
    let mut responder = Session::new(&config(Method::Psk, &clock, 2), Role::Responder).unwrap();
    let rejection = responder.process_message(&oversized).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Malformed, "{}", rejection.error);
    assert!(rejection.error.to_string().contains("MAX_MESSAGE_LEN"), "{}", rejection.error);
    responder.process_message(&message).unwrap();
}

/// Point 8: a signed message carrying more certificates than any chain needs is refused before
/// a chain is validated.
#[test]
fn a_signed_message_with_too_many_certificates_is_refused() {
    let clock = TestClock::at(NTP_2026);
    let mut alice = Session::new(&signing_config(Method::DhSign, "alice", "bob", &clock, 1), Role::Initiator).unwrap();
    alice.add_srtp_stream(1, 0).unwrap();
    let genuine_bytes = alice.create_message().unwrap();
    let genuine = Message::decode(&genuine_bytes).unwrap();
    let mut message = Message { header: genuine.header.clone(), payloads: Vec::new() };
    let intermediate = mikey::crypto::x509::Certificate::from_pem_or_der(&pki("intermediate.crt.pem")).unwrap();
    // Alice's payloads, with the intermediate certificate repeated after her chain.
    for payload in genuine.payloads.iter().filter(|payload| !matches!(payload, Payload::Sign(_))) {
        message.payloads.push(payload.clone());
        if matches!(payload, Payload::Cert(_)) {
            for _ in 0..mikey::exchange::signed::MAX_CERTIFICATES {
                message.payloads.extend(mikey::exchange::signed::certificate_payloads(&intermediate));
            }
        }
    }
    let key = RsaPrivateKey::from_pem_or_der(&pki("alice.key.pem")).unwrap();
    let forged = seal_signed(message, &key, SignatureScheme::PKCS1V15_SHA256).unwrap();
    let mut bob = Session::new(&signing_config(Method::DhSign, "bob", "alice", &clock, 2), Role::Responder).unwrap();
    let rejection = bob.process_message(&forged).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Unsupported, "{}", rejection.error);
    assert_eq!(bob.state(), State::Idle);
}

/// Point 1: an RSA-R initiator checks SIGNr before it opens the envelope, so an answer nobody
/// signed costs no RSA decryption (and gives no decryption oracle to anyone). The answer here
/// carries a PKE of the wrong length, which the decryption would refuse at once: the refusal
/// must come from the signature instead.
#[test]
fn an_rsa_r_initiator_checks_the_signature_before_decrypting() {
    let clock = TestClock::at(NTP_2026);
    let mut alice = Session::new(&signing_config(Method::RsaR, "alice", "bob", &clock, 1), Role::Initiator).unwrap();
    let mut bob = Session::new(&signing_config(Method::RsaR, "bob", "alice", &clock, 2), Role::Responder).unwrap();
    alice.add_srtp_stream(1, 0).unwrap();
    let answer = bob.process_message(&alice.create_message().unwrap()).unwrap().unwrap();
    let mut forged = Message::decode(&answer).unwrap();
    for payload in &mut forged.payloads {
        if let Payload::Pke(pke) = payload {
            pke.data = vec![0x42; 100].into();
        }
    }
    let rejection = alice.process_message(&forged.encode().unwrap()).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert_ne!(rejection.error.context(), "RSA decryption failed", "decrypted before the signature was checked");
    assert_eq!(alice.state(), State::WaitResponse);
    alice.process_message(&answer).unwrap();
    assert_eq!(alice.state(), State::Established);
}

/// Point 9: a config is frozen by its first session. Before, a new replay window installed a
/// new replay cache, so sessions made before and after it missed each other's replays.
#[test]
fn a_config_is_frozen_by_its_first_session_so_its_sessions_share_one_replay_cache() {
    let clock = TestClock::at(NTP_2026);
    let mut responder_config = config(Method::Psk, &clock, 2);
    let mut first = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(responder_config.set_replay_window(120).unwrap_err().kind(), ErrorKind::State);
    assert_eq!(responder_config.set_psk(b"another key, 32 bytes long......").unwrap_err().kind(), ErrorKind::State);
    let mut second = Session::new(&responder_config, Role::Responder).unwrap();
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    first.process_message(&message).unwrap();
    assert_eq!(second.process_message(&message).unwrap_err().error.kind(), ErrorKind::Replay);
}

/// A PSK I_MESSAGE, correctly MACed under `PSK`, carrying `rand` and a TGK of `tgk` bytes.
fn psk_message_with(rand: &[u8], tgk: &[u8]) -> Vec<u8> {
    use mikey::exchange::kemac::{seal_kemac_message, ExchangeContext, KemacProtection};
    use mikey::secret::SecretRef;
    use mikey::wire::{KeyData, KeyDataList, KeyDataType, KeyValidity, SrtpCsEntry, TimestampType};
    let timestamp = Timestamp { ts_type: TimestampType::NtpUtc, value: NTP_2026 << 32 };
    let header = CommonHeader {
        data_type: DataType::PskInit,
        verification_requested: false,
        prf_function: 0,
        csb_id: 0x5EC,
        cs_id_map: CsIdMap::SrtpId(SrtpIdMap::from_entries([SrtpCsEntry { policy_no: 0, ssrc: 1, roc: 0 }])),
    };
    let payloads = vec![Payload::Timestamp(timestamp), Payload::Rand(rand.to_vec().into())];
    let key = KeyData { key_type: KeyDataType::Tgk, key: SecretRef::new(tgk), salt: None, validity: KeyValidity::Null };
    let keys = KeyDataList { id: None, keys: mikey::smallvec::smallvec![key] };
    let psk = mikey::SecretBytes::from_slice(common::PSK);
    let context = ExchangeContext { prf: mikey::crypto::PrfFunction::MikeyHmacSha1, csb_id: 0x5EC, rand, timestamp };
    seal_kemac_message(Message { header, payloads }, &keys, KemacProtection::Encrypted(&psk), &context).unwrap().0
}

/// Low findings: a RAND is at least 16 bytes (RFC 3830 §6.11) and so is a TGK; shorter ones
/// were accepted, weakening every key derived from them.
#[test]
fn a_short_rand_or_tgk_is_refused() {
    let clock = TestClock::at(NTP_2026);
    let responder = || Session::new(&config(Method::Psk, &clock, 2), Role::Responder).unwrap();
    responder().process_message(&psk_message_with(&[7; 16], &[9; 16])).unwrap();
    for (rand, tgk) in [(&[7u8; 15][..], &[9u8; 16][..]), (&[7; 16], &[9; 15])] {
        let mut session = responder();
        let rejection = session.process_message(&psk_message_with(rand, tgk)).unwrap_err();
        assert!(
            matches!(rejection.error.kind(), ErrorKind::Malformed | ErrorKind::Policy),
            "RAND {} / TGK {} bytes: {}",
            rand.len(),
            tgk.len(),
            rejection.error
        );
        assert_eq!(session.state(), State::Idle);
    }
}

/// Low finding: a PK initiator checks the responder's certificate (validity period,
/// keyEncipherment) before it encrypts an envelope key to it.
#[test]
fn a_pk_initiator_encrypts_only_to_a_usable_certificate() {
    let clock = TestClock::at(NTP_2026);
    for unusable in ["expired.crt.pem", "signonly.crt.pem"] {
        let mut alice_config = signing_config(Method::Pk, "alice", "bob", &clock, 1);
        alice_config.set_peer_certificate(&pki(unusable)).unwrap();
        let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
        alice.add_srtp_stream(1, 0).unwrap();
        let error = alice.create_message().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AuthFailed, "{unusable}: {error}");
        assert_eq!(alice.state(), State::Idle);
    }
}

/// Point 6: a local policy minimum. A responder accepted any offered policy, the NULL cipher and
/// encryption or authentication off included; now it accepts the profiles that encrypt, with
/// everything on, unless configured otherwise, and answers a refusal with what it supports.
#[test]
fn a_responder_refuses_srtp_policies_below_its_minimum() {
    use mikey::{SrtpPolicy, SrtpProfile};
    let clock = TestClock::at(NTP_2026);
    let offers = [
        SrtpPolicy { profile: SrtpProfile::NullHmacSha1_80, ..Default::default() },
        SrtpPolicy { srtp_encryption: Some(false), ..Default::default() },
        SrtpPolicy { srtcp_encryption: Some(false), ..Default::default() },
        SrtpPolicy { srtp_authentication: Some(false), ..Default::default() },
    ];
    for (n, offer) in offers.into_iter().enumerate() {
        let mut initiator_config = config(Method::Psk, &clock, 1);
        initiator_config.set_srtp_policy(offer).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        let message = initiator.create_message().unwrap();
        let strict_config = config(Method::Psk, &clock, 2);
        let mut strict = Session::new(&strict_config, Role::Responder).unwrap();
        let rejection = strict.process_message(&message).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::Policy, "{offer:?}: {}", rejection.error);
        let error_message = Message::decode(rejection.response.as_deref().unwrap()).unwrap();
        assert_eq!(error_message.find(Payload::as_error).unwrap().code, 10, "{offer:?}");
        assert!(error_message.find(Payload::as_security_policy).is_some(), "{offer:?}: what we support");
        assert_eq!(strict.state(), State::Idle);

        // Opted in, the same offer is taken (by another config: the replay cache knows it).
        let mut lenient_config = config(Method::Psk, &clock, 3);
        match n {
            0 => lenient_config.set_accepted_profiles(&[SrtpProfile::NullHmacSha1_80]).unwrap(),
            _ => lenient_config.set_allow_unprotected_srtp(true).unwrap(),
        }
        Session::new(&lenient_config, Role::Responder).unwrap().process_message(&message).unwrap();
    }
}

/// Point 6: a minimum DH group, OAKLEY 5 by default. A responder took a DHi in the 768-bit
/// OAKLEY 1; now it answers error no 6, and an initiator refuses to offer a weaker group.
#[test]
fn diffie_hellman_below_the_minimum_group_is_refused() {
    use mikey::wire::DhGroup;
    let clock = TestClock::at(NTP_2026);
    let named = |seed, own: &str, peer: &str| {
        let mut config = config(Method::DhHmac, &clock, seed);
        config.set_identities(Some(own), Some(peer)).unwrap();
        config
    };
    let mut weak_initiator = named(1, "sip:alice@example.com", "sip:bob@example.com");
    weak_initiator.set_dh_group(DhGroup::Oakley1).unwrap();
    let mut refuses = Session::new(&weak_initiator, Role::Initiator).unwrap();
    refuses.add_srtp_stream(1, 0).unwrap();
    assert_eq!(refuses.create_message().unwrap_err().kind(), ErrorKind::InvalidArgument);

    weak_initiator.set_min_dh_group(DhGroup::Oakley1).unwrap_err(); // frozen by its session
    let mut old_peer = weak_initiator.clone();
    old_peer.set_min_dh_group(DhGroup::Oakley1).unwrap();
    let mut initiator = Session::new(&old_peer, Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let offer = initiator.create_message().unwrap();
    let mut responder =
        Session::new(&named(2, "sip:bob@example.com", "sip:alice@example.com"), Role::Responder).unwrap();
    let rejection = responder.process_message(&offer).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Policy, "{}", rejection.error);
    let error_message = Message::decode(rejection.response.as_deref().unwrap()).unwrap();
    assert_eq!(error_message.find(Payload::as_error).unwrap().code, 6, "Invalid DH");
    assert_eq!(responder.state(), State::Idle);
}

/// Point 6: signatures over SHA-1 are refused unless the minisip interop flag says otherwise
/// (which also makes us sign with SHA-1); by default we sign with SHA-256.
#[test]
fn sha1_signatures_only_under_the_minisip_flag() {
    let clock = TestClock::at(NTP_2026);
    let mut sha1_signer = signing_config(Method::DhSign, "alice", "bob", &clock, 1);
    sha1_signer.set_interop(mikey::InteropFlags::MINISIP_SHA1_SIGNATURES).unwrap();
    let offer_from = |config: &mikey::Config| {
        let mut initiator = Session::new(config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        initiator.create_message().unwrap()
    };
    let sha1_offer = offer_from(&sha1_signer);
    let default_offer = offer_from(&signing_config(Method::DhSign, "alice", "bob", &clock, 3));
    let bob = signing_config(Method::DhSign, "bob", "alice", &clock, 2);

    let rejection = Session::new(&bob, Role::Responder).unwrap().process_message(&sha1_offer).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert!(rejection.error.to_string().contains("SHA-1"), "{}", rejection.error);
    Session::new(&bob, Role::Responder).unwrap().process_message(&default_offer).unwrap();

    let mut old_bob = signing_config(Method::DhSign, "bob", "alice", &clock, 4);
    old_bob.set_interop(mikey::InteropFlags::MINISIP_SHA1_SIGNATURES).unwrap();
    Session::new(&old_bob, Role::Responder).unwrap().process_message(&sha1_offer).unwrap();
}

/// Low finding: the RSA-R group docs said a member's SP offer must include the group's policy,
/// which the key server did not check (the member then refused the answer itself). Now the key
/// server refuses such an offer with error no 10.
#[test]
fn a_group_key_server_refuses_a_member_offering_another_policy() {
    use mikey::{SrtpPolicy, SrtpProfile};
    let clock = TestClock::at(NTP_2026);
    let mut server = signing_config(Method::RsaR, "bob", "alice", &clock, 30);
    server.set_identities(None, None).unwrap();
    server.set_rsa_r_group(0x0600_0D5E, &[(0x9999, 7)]).unwrap();
    let mut member_config = signing_config(Method::RsaR, "alice", "bob", &clock, 31);
    member_config.set_srtp_policy(SrtpPolicy { profile: SrtpProfile::AeadAes128Gcm, ..Default::default() }).unwrap();
    let mut member = Session::new(&member_config, Role::Initiator).unwrap();
    member.add_srtp_stream(1, 0).unwrap();
    let rejection = Session::new(&server, Role::Responder).unwrap().process_message(&member.create_message().unwrap());
    let rejection = rejection.unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Policy, "{}", rejection.error);
    let error_message = Message::decode(rejection.response.as_deref().unwrap()).unwrap();
    assert_eq!(error_message.find(Payload::as_error).unwrap().code, 10);
}

/// Low finding: with a peer identity configured, an I_MESSAGE naming no one was accepted, and
/// nothing said so. Documented now (the key authenticates the peer; a carried ID must match),
/// and a switch requires the ID.
#[test]
fn a_required_peer_id_must_be_carried() {
    let clock = TestClock::at(NTP_2026);
    let anonymous_offer = |seed| {
        let mut initiator = Session::new(&config(Method::Psk, &clock, seed), Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        initiator.create_message().unwrap()
    };
    let responder = |require: bool, seed| {
        let mut config = config(Method::Psk, &clock, seed);
        config.set_identities(None, Some("sip:alice@example.com")).unwrap();
        config.set_require_peer_id(require).unwrap();
        Session::new(&config, Role::Responder).unwrap()
    };
    responder(false, 2).process_message(&anonymous_offer(1)).unwrap();
    let rejection = responder(true, 3).process_message(&anonymous_offer(4)).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
    let mut named = config(Method::Psk, &clock, 5);
    named.set_identities(Some("sip:alice@example.com"), None).unwrap();
    let mut initiator = Session::new(&named, Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    responder(true, 6).process_message(&initiator.create_message().unwrap()).unwrap();
}

/// Point 8: at most a few of an error message's codes go into the error's text (a message may
/// carry hundreds), however many it carries.
#[test]
fn an_error_message_with_many_codes_gives_a_bounded_text() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(Method::Psk, &clock, 1);
    initiator_config.set_request_verification(true).unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let mut message = error_message_about(&initiator.create_message().unwrap());
    message.payloads.extend((0..1000).map(|n| Payload::Error(ErrorPayload { code: (n % 14) as u8 })));
    let rejection = initiator.process_message(&message.encode().unwrap()).unwrap_err();
    let text = rejection.error.to_string();
    assert!(text.len() < 300, "{} bytes: {text}", text.len());
    assert!(text.contains("and 997 more"), "{text}");
}
