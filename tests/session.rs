//! End-to-end PSK and NULL exchanges through the public Rust API.

mod common;

use common::{config, pki, signing_config, TestClock, NTP_2026, PSK};
use mikey::crypto::{decrypt_key_data, KeyTransport, PrfFunction, PrfKey};
use mikey::wire::{DataType, KeyDataList, Message, Payload};
use mikey::{ErrorKind, InteropFlags, KeyKind, Method, Role, Session, SrtpPolicy, SrtpProfile, SsrcType, State};

fn pair(method: Method, verification: bool) -> (Session, Session, std::sync::Arc<TestClock>) {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(method, &clock, 7);
    initiator_config.set_request_verification(verification).unwrap();
    initiator_config.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
    let mut responder_config = config(method, &clock, 11);
    responder_config.set_identities(Some("sip:bob@example.com"), Some("sip:alice@example.com")).unwrap();
    let initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let responder = Session::new(&responder_config, Role::Responder).unwrap();
    (initiator, responder, clock)
}

fn assert_same_keys(initiator: &Session, responder: &Session, cs_count: u8) {
    assert_eq!(responder.cs_count(), usize::from(cs_count));
    for cs_id in 1..=cs_count {
        let sent = initiator.export_srtp(cs_id).unwrap();
        let received = responder.export_srtp(cs_id).unwrap();
        assert_eq!(sent.master_key.expose(), received.master_key.expose(), "CS {cs_id} key");
        assert_eq!(sent.master_salt.expose(), received.master_salt.expose(), "CS {cs_id} salt");
        assert_eq!((sent.ssrc, sent.roc, sent.policy), (received.ssrc, received.roc, received.policy));
        assert_eq!(sent.mki, received.mki);
    }
}

#[test]
fn psk_exchange_with_verification_agrees_on_two_crypto_sessions() {
    let (mut initiator, mut responder, _) = pair(Method::Psk, true);
    assert_eq!(initiator.add_srtp_stream(0x1111_1111, 0).unwrap(), 1);
    assert_eq!(initiator.add_srtp_stream(0x2222_2222, 5).unwrap(), 2);
    let i_message = initiator.create_message().unwrap();
    assert_eq!(initiator.state(), State::WaitResponse);
    assert_eq!(initiator.export_srtp(1).unwrap_err().kind(), ErrorKind::State);

    let r_message = responder.process_message(&i_message).unwrap().expect("V flag asks for an R_MESSAGE");
    assert_eq!(responder.state(), State::Established);
    assert_eq!(Message::decode(&r_message).unwrap().header.data_type, DataType::PskVerification);

    assert_eq!(initiator.process_message(&r_message).unwrap(), None);
    assert_eq!(initiator.state(), State::Established);
    assert_same_keys(&initiator, &responder, 2);
    let keys = responder.export_srtp(2).unwrap();
    assert_eq!((keys.ssrc, keys.roc), (0x2222_2222, 5));
    assert_eq!(keys.policy.profile, SrtpProfile::AesCm128HmacSha1_80);
    assert_eq!((keys.master_key.len(), keys.master_salt.len()), (16, 14));
    let other = responder.export_srtp(1).unwrap();
    assert_ne!(keys.master_key.expose(), other.master_key.expose(), "each CS has its own TEK");
}

#[test]
fn the_exported_keys_are_the_rfc_3830_derivations_from_the_tgk() {
    let (mut initiator, mut responder, _) = pair(Method::Psk, false);
    initiator.add_srtp_stream(0xABCD_0001, 0).unwrap();
    initiator.add_srtp_stream(0xABCD_0002, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    responder.process_message(&i_message).unwrap();

    // Open the KEMAC by hand: §4.1.4 keys from the PSK, AES-CM with the §4.2.3 IV.
    let message = Message::decode(&i_message).unwrap();
    let rand = message.find(Payload::as_rand).unwrap().clone();
    let timestamp = message.find(Payload::as_timestamp).unwrap().as_64_bits();
    let csb_id = message.header.csb_id;
    let Some(Payload::Kemac(kemac)) = message.payloads.last() else { panic!("no KEMAC") };
    let envelope_label = |constant: [u8; 4]| {
        let mut label = constant.to_vec();
        label.push(0xFF);
        label.extend_from_slice(&csb_id.to_be_bytes());
        label.extend_from_slice(&rand);
        label
    };
    let mut encr_key = [0u8; 16];
    let mut salt = [0u8; 14];
    let psk_prf = PrfKey::new(PrfFunction::MikeyHmacSha1, PSK);
    psk_prf.derive(&envelope_label([0x15, 0x05, 0x33, 0xE1]), &mut encr_key);
    psk_prf.derive(&envelope_label([0x29, 0xB8, 0x89, 0x16]), &mut salt);
    let plaintext =
        decrypt_key_data(KeyTransport::AesCm128, &encr_key, &salt, csb_id, &timestamp, &kemac.encrypted_data).unwrap();
    let key_data = KeyDataList::decode(plaintext.expose(), false).unwrap();
    let tgk = key_data.keys[0].key.expose().to_vec();
    let material = responder.key_material().expect("established");
    assert_eq!((material.kind, material.key.expose()), (KeyKind::Tgk, tgk.as_slice()));
    assert!(material.salt.is_none());
    assert_eq!(initiator.key_material().map(|sent| sent.key.expose()), Some(tgk.as_slice()));

    // §4.1.3: TEK and salt from the TGK with label constant || cs_id || csb_id || RAND.
    for cs_id in 1..=2u8 {
        let tgk_label = |constant: [u8; 4]| {
            let mut label = constant.to_vec();
            label.push(cs_id);
            label.extend_from_slice(&csb_id.to_be_bytes());
            label.extend_from_slice(&rand);
            label
        };
        let mut tek = [0u8; 16];
        let mut srtp_salt = [0u8; 14];
        let tgk_prf = PrfKey::new(PrfFunction::MikeyHmacSha1, &tgk);
        tgk_prf.derive(&tgk_label([0x2A, 0xD0, 0x1C, 0x64]), &mut tek);
        tgk_prf.derive(&tgk_label([0x39, 0xA2, 0xC1, 0x4B]), &mut srtp_salt);
        let exported = responder.export_srtp(cs_id).unwrap();
        assert_eq!(exported.master_key.expose(), tek, "CS {cs_id} TEK");
        assert_eq!(exported.master_salt.expose(), srtp_salt, "CS {cs_id} salt");
    }
}

#[test]
fn the_null_method_exports_the_carried_tek_and_salt() {
    let (mut initiator, mut responder, _) = pair(Method::Null, false);
    initiator.add_srtp_stream(0xABCD_0001, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    assert!(responder.key_material().is_none(), "nothing before the CSB is established");
    responder.process_message(&i_message).unwrap();
    let message = Message::decode(&i_message).unwrap();
    let Some(Payload::Kemac(kemac)) = message.payloads.last() else { panic!("no KEMAC") };
    let keys = KeyDataList::decode(&kemac.encrypted_data, false).unwrap();
    let exported = responder.export_srtp(1).unwrap();
    assert_eq!(exported.master_key.expose(), keys.keys[0].key.expose());
    assert_eq!(exported.master_salt.expose(), keys.keys[0].salt.as_ref().unwrap().expose());
    let material = responder.key_material().unwrap();
    assert_eq!(material.kind, KeyKind::Tek);
    assert_eq!(material.key.expose(), keys.keys[0].key.expose());
    assert_eq!(material.salt.map(|salt| salt.expose()), Some(exported.master_salt.expose()));
}

#[test]
fn null_exchange_without_verification() {
    let (mut initiator, mut responder, _) = pair(Method::Null, false);
    initiator.add_srtp_stream(42, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    assert_eq!(initiator.state(), State::Established);
    assert_eq!(responder.process_message(&i_message).unwrap(), None);
    assert_same_keys(&initiator, &responder, 1);
}

#[test]
fn null_exchange_with_verification_and_gstreamer_switches() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(Method::Null, &clock, 3);
    initiator_config.set_request_verification(true).unwrap();
    initiator_config.set_interop(InteropFlags::GSTREAMER_SP_LAYOUT | InteropFlags::TEK_WITH_CONCATENATED_SALT).unwrap();
    initiator_config
        .set_srtp_policy(SrtpPolicy { profile: SrtpProfile::AesCm128HmacSha1_32, ..Default::default() })
        .unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut responder = Session::new(&config(Method::Null, &clock, 4), Role::Responder).unwrap();
    initiator.add_srtp_stream(7, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    let r_message = responder.process_message(&i_message).unwrap().unwrap();
    initiator.process_message(&r_message).unwrap();
    assert_same_keys(&initiator, &responder, 1);
    assert_eq!(responder.export_srtp(1).unwrap().policy.profile, SrtpProfile::AesCm128HmacSha1_32);
}

#[test]
fn every_profile_is_negotiated_with_the_right_key_sizes() {
    for profile in SrtpProfile::ALL {
        let clock = TestClock::at(NTP_2026);
        let mut initiator_config = config(Method::Psk, &clock, 5);
        initiator_config.set_srtp_policy(SrtpPolicy { profile, mki_len: 4, ..Default::default() }).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        // The NULL-cipher profiles too, which a responder refuses by default.
        let mut responder_config = config(Method::Psk, &clock, 6);
        responder_config.set_accepted_profiles(&SrtpProfile::ALL).unwrap();
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        initiator.add_srtp_stream(99, 0).unwrap();
        responder.process_message(&initiator.create_message().unwrap()).unwrap();
        assert_same_keys(&initiator, &responder, 1);
        let keys = responder.export_srtp(1).unwrap();
        assert_eq!(keys.policy.profile, profile);
        assert_eq!(keys.master_key.len(), usize::from(profile.master_key_len()));
        assert_eq!(keys.master_salt.len(), usize::from(profile.master_salt_len()));
        assert_eq!(keys.mki, [0, 0, 0, 1]);
    }
}

#[test]
fn rekeying_replaces_the_keys_and_keeps_the_map() {
    let (mut initiator, mut responder, clock) = pair(Method::Psk, true);
    initiator.add_srtp_stream(10, 0).unwrap();
    let first = initiator.create_message().unwrap();
    initiator.process_message(&responder.process_message(&first).unwrap().unwrap()).unwrap();
    let old_key = responder.export_srtp(1).unwrap().master_key;

    clock.advance(5);
    initiator.add_srtp_stream(11, 0).unwrap();
    let update = initiator.create_message().unwrap();
    let decoded = Message::decode(&update).unwrap();
    assert_eq!(decoded.count(Payload::as_rand), 0, "§4.5: no RAND in an update");
    assert_eq!(decoded.header.csb_id, Message::decode(&first).unwrap().header.csb_id);
    initiator.process_message(&responder.process_message(&update).unwrap().unwrap()).unwrap();
    assert_same_keys(&initiator, &responder, 2);
    assert_ne!(responder.export_srtp(1).unwrap().master_key.expose(), old_key.expose());
}

#[test]
fn a_replay_is_rejected_by_every_session_of_the_config() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    let responder_config = config(Method::Psk, &clock, 2);
    let mut first = Session::new(&responder_config, Role::Responder).unwrap();
    let mut second = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    first.process_message(&message).unwrap();
    let rejection = second.process_message(&message).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Replay);
    assert!(rejection.response.is_none(), "§5.3: replays are discarded silently");
    assert_eq!(second.state(), State::Idle);
    // A session of another config does not share the cache.
    let mut elsewhere = Session::new(&config(Method::Psk, &clock, 3), Role::Responder).unwrap();
    elsewhere.process_message(&message).unwrap();
}

#[test]
fn timestamps_outside_the_window_are_rejected() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    let mut responder_config = config(Method::Psk, &clock, 2);
    responder_config.set_replay_window(10).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    clock.advance(11);
    assert_eq!(responder.process_message(&message).unwrap_err().error.kind(), ErrorKind::Timestamp);
    assert_eq!(responder.state(), State::Idle);
}

#[test]
fn a_wrong_psk_is_an_auth_failure_answered_by_an_error_message() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Psk, &clock, 1), Role::Initiator).unwrap();
    let mut other = config(Method::Psk, &clock, 2);
    other.set_psk(b"another key, 32 bytes long......").unwrap();
    let mut responder = Session::new(&other, Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    let rejection = responder.process_message(&message).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert_eq!(responder.state(), State::Idle);
    let error_bytes = rejection.response.expect("an Auth failure error message");
    let error_message = Message::decode(&error_bytes).unwrap();
    assert_eq!(error_message.header.data_type, DataType::Error);
    assert_eq!(error_message.find(Payload::as_error).unwrap().code, 0);
}

#[test]
fn tampering_anywhere_is_detected_and_changes_nothing() {
    let (mut initiator, mut responder, _) = pair(Method::Psk, false);
    initiator.add_srtp_stream(1, 0).unwrap();
    let message = initiator.create_message().unwrap();
    for index in 0..message.len() {
        let mut tampered = message.clone();
        tampered[index] ^= 0x01;
        let error = responder.process_message(&tampered).unwrap_err().error;
        assert!(
            matches!(
                error.kind(),
                ErrorKind::AuthFailed
                    | ErrorKind::Malformed
                    | ErrorKind::Unsupported
                    | ErrorKind::Timestamp
                    | ErrorKind::Policy
            ),
            "byte {index}: {error}"
        );
        assert_eq!(responder.state(), State::Idle, "byte {index}");
    }
    for len in 0..message.len() {
        assert!(responder.process_message(&message[..len]).is_err());
    }
    responder.process_message(&message).unwrap();
}

#[test]
fn a_psk_responder_refuses_a_null_protected_message() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Null, &clock, 1), Role::Initiator).unwrap();
    let mut responder = Session::new(&config(Method::Psk, &clock, 2), Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let rejection = responder.process_message(&initiator.create_message().unwrap()).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert!(rejection.error.context().contains("downgrade"));
    assert_eq!(responder.state(), State::Idle);
}

#[test]
fn a_tampered_verification_message_leaves_the_initiator_waiting() {
    let (mut initiator, mut responder, _) = pair(Method::Psk, true);
    initiator.add_srtp_stream(1, 0).unwrap();
    let r_message = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
    let mut tampered = r_message.clone();
    *tampered.last_mut().unwrap() ^= 0x80;
    assert_eq!(initiator.process_message(&tampered).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    assert_eq!(initiator.state(), State::WaitResponse);
    initiator.process_message(&r_message).unwrap();
    assert_eq!(initiator.process_message(&r_message).unwrap_err().error.kind(), ErrorKind::State);
}

/// An unauthenticated error message is only a recommendation (§5.1.2): the initiator reports it
/// and keeps waiting (tests/security.rs has the signed one that ends the exchange).
#[test]
fn an_unauthenticated_error_message_is_reported_and_the_initiator_keeps_waiting() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(Method::Psk, &clock, 1);
    initiator_config.set_request_verification(true).unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut wrong = config(Method::Psk, &clock, 2);
    wrong.set_psk(b"another key, 32 bytes long......").unwrap();
    let mut responder = Session::new(&wrong, Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let first = initiator.create_message().unwrap();
    let error_message = responder.process_message(&first).unwrap_err().response.unwrap();
    assert_eq!(initiator.process_message(&error_message).unwrap_err().error.kind(), ErrorKind::PeerError);
    assert_eq!(initiator.state(), State::WaitResponse);
}

#[test]
fn identities_must_match_when_configured() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(Method::Psk, &clock, 1);
    initiator_config.set_identities(Some("sip:mallory@example.com"), None).unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut responder_config = config(Method::Psk, &clock, 2);
    responder_config.set_identities(None, Some("sip:alice@example.com")).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    let rejection = responder.process_message(&initiator.create_message().unwrap()).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert_eq!(Message::decode(&rejection.response.unwrap()).unwrap().find(Payload::as_error).unwrap().code, 7);
}

#[test]
fn interop_switches_for_padding_mki_and_ssrc_zero() {
    let clock = TestClock::at(NTP_2026);
    // SSRC 0 is a placeholder for the responder's stream (§6.1.1); a responder without a stream
    // of its own to fill it in needs the switch.
    let mut loose = config(Method::Psk, &clock, 1);
    loose.set_interop(InteropFlags::MANDATORY_MKI_4).unwrap();
    let mut initiator = Session::new(&loose, Role::Initiator).unwrap();
    initiator.add_srtp_stream(0, 0).unwrap();
    let message = initiator.create_message().unwrap();
    let mut strict = Session::new(&config(Method::Psk, &clock, 2), Role::Responder).unwrap();
    assert_eq!(strict.process_message(&message).unwrap_err().error.kind(), ErrorKind::Policy);
    let mut responder_config = config(Method::Psk, &clock, 3);
    responder_config
        .set_interop(InteropFlags::SSRC_ZERO | InteropFlags::MANDATORY_MKI_4 | InteropFlags::TRAILING_PADDING_BYTE)
        .unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    let mut padded = message.clone();
    padded.push(0);
    responder.process_message(&padded).unwrap();
    let keys = responder.export_srtp(1).unwrap();
    assert_eq!((keys.ssrc, keys.ssrc_type, keys.mki.len()), (0, SsrcType::AnyOutbound, 4));
    assert_eq!(initiator.export_srtp(1).unwrap().ssrc_type, SsrcType::AnyInbound);
    assert_same_keys(&initiator, &responder, 1);
    // The padding byte is not authenticated: without it, the message is the same one, a replay.
    let mut again = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(again.process_message(&message).unwrap_err().error.kind(), ErrorKind::Replay);

    // The mandatory-MKI responder refuses a message without one.
    let mut plain = Session::new(&config(Method::Psk, &clock, 4), Role::Initiator).unwrap();
    plain.add_srtp_stream(5, 0).unwrap();
    let mut axis = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(axis.process_message(&plain.create_message().unwrap()).unwrap_err().error.kind(), ErrorKind::Policy);
}

#[test]
fn wrong_calls_for_the_role_or_state_are_state_errors() {
    let (mut initiator, mut responder, _) = pair(Method::Psk, false);
    assert_eq!(responder.create_message().unwrap_err().kind(), ErrorKind::State);
    assert_eq!(responder.add_srtp_stream(0, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(responder.export_srtp(1).unwrap_err().kind(), ErrorKind::State);
    initiator.add_srtp_stream(1, 0).unwrap();
    initiator.create_message().unwrap();
    assert_eq!(initiator.export_srtp(2).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(initiator.export_srtp(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_verification_message_with_the_responder_s_own_timestamp_needs_the_minisip_switch() {
    use mikey::crypto::{EnvelopeDeriver, EnvelopeKeyPurpose, MacAlgorithm, MacKey};
    use mikey::exchange::verification::{seal_verification, VerificationContext};
    use mikey::wire::{CommonHeader, Timestamp};

    for minisip in [false, true] {
        let clock = TestClock::at(NTP_2026);
        let mut initiator_config = config(Method::Psk, &clock, 1);
        initiator_config.set_request_verification(true).unwrap();
        if minisip {
            initiator_config.set_interop(InteropFlags::MINISIP_RESPONSES).unwrap();
        }
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        let i_bytes = initiator.create_message().unwrap();
        let i_message = Message::decode(&i_bytes).unwrap();
        let sent = *i_message.find(Payload::as_timestamp).unwrap();
        let rand = i_message.find(Payload::as_rand).unwrap().clone();
        let own_time = Timestamp { value: sent.value + (5 << 32), ..sent };
        let header =
            CommonHeader { data_type: DataType::PskVerification, verification_requested: false, ..i_message.header };
        // The §4.1.4 authentication key from the PSK.
        let mut auth_key = [0u8; 20];
        EnvelopeDeriver::new(PrfFunction::MikeyHmacSha1, PSK, header.csb_id, &rand)
            .derive(EnvelopeKeyPurpose::AuthKey, &mut auth_key);
        let auth = MacKey::new(MacAlgorithm::HmacSha1_160, &auth_key);
        let seal = |timestamp_in_mac: Timestamp| {
            let ids = VerificationContext { initiator_id: &[], responder_id: &[] };
            let message = Message { header: header.clone(), payloads: vec![Payload::Timestamp(own_time)] };
            seal_verification(message, &auth, &timestamp_in_mac, &ids).unwrap()
        };
        // A V MAC over the responder's own T does not bind the response to our message.
        assert_eq!(initiator.process_message(&seal(own_time)).unwrap_err().error.kind(), ErrorKind::AuthFailed);
        // minisip: its own T payload, the V MAC over the T it received (RFC 3830 §5.2: the
        // responder uses the initiator's T), accepted only under the switch.
        match minisip {
            true => initiator.process_message(&seal(sent)).unwrap(),
            false => {
                let rejection = initiator.process_message(&seal(sent)).unwrap_err();
                assert!(rejection.error.to_string().contains("our T"), "{}", rejection.error);
                None
            }
        };
        let state = if minisip { State::Established } else { State::WaitResponse };
        assert_eq!(initiator.state(), state);
    }
}

/// A DH-HMAC pair (RFC 4650): both sides share the PSK and name each other.
fn dh_hmac_pair(group: mikey::wire::DhGroup, clock: &std::sync::Arc<TestClock>) -> (Session, Session) {
    let mut initiator_config = config(Method::DhHmac, clock, 51);
    initiator_config.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
    initiator_config.set_dh_group(group).unwrap();
    let mut responder_config = config(Method::DhHmac, clock, 52);
    responder_config.set_identities(Some("sip:bob@example.com"), Some("sip:alice@example.com")).unwrap();
    // OAKLEY 1 and 2 are below the default minimum: both sides allow them here.
    for config in [&mut initiator_config, &mut responder_config] {
        config.set_min_dh_group(mikey::wire::DhGroup::Oakley1).unwrap();
    }
    let initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let responder = Session::new(&responder_config, Role::Responder).unwrap();
    (initiator, responder)
}

#[test]
fn dh_hmac_exchange_agrees_in_every_oakley_group_and_rekeys_with_fresh_dh_values() {
    use mikey::wire::DhGroup;
    for group in [DhGroup::Oakley5, DhGroup::Oakley1, DhGroup::Oakley2] {
        let clock = TestClock::at(NTP_2026);
        let (mut initiator, mut responder) = dh_hmac_pair(group, &clock);
        initiator.add_srtp_stream(0x0A0A_0A0A, 0).unwrap();
        initiator.add_srtp_stream(0x0B0B_0B0B, 0).unwrap();
        let i_message = initiator.create_message().unwrap();
        assert_eq!(initiator.state(), State::WaitResponse);
        let decoded = Message::decode(&i_message).unwrap();
        assert_eq!(decoded.header.data_type, DataType::DhHmacInit);
        assert_eq!(decoded.find(Payload::as_dh).unwrap().value.len(), group.value_len());

        let r_message = responder.process_message(&i_message).unwrap().expect("DH-HMAC always answers");
        let response = Message::decode(&r_message).unwrap();
        assert_eq!(response.header.data_type, DataType::DhHmacResponse);
        assert_eq!(response.count(Payload::as_dh), 2, "DHr and DHi");
        initiator.process_message(&r_message).unwrap();
        assert_eq!(initiator.state(), State::Established);
        assert_same_keys(&initiator, &responder, 2);

        clock.advance(1);
        let before = responder.export_srtp(1).unwrap().master_key;
        let update = initiator.create_message().unwrap();
        assert_eq!(Message::decode(&update).unwrap().count(Payload::as_rand), 0);
        initiator.process_message(&responder.process_message(&update).unwrap().unwrap()).unwrap();
        assert_same_keys(&initiator, &responder, 2);
        assert_ne!(responder.export_srtp(1).unwrap().master_key.expose(), before.expose(), "{group:?}: new TGK");
    }
}

#[test]
fn dh_hmac_rejects_bad_dh_values_tampering_replays_and_a_wrong_psk() {
    use mikey::exchange::kemac::{seal_kemac_message, ExchangeContext, KemacProtection};
    use mikey::wire::{
        CommonHeader, CsIdMap, DhGroup, DhPayload, IdPayload, KeyValidity, SecurityPolicy, SrtpCsEntry, SrtpIdMap,
        Timestamp, TimestampType,
    };
    use mikey::{MikeyErrorCode, SecretBytes};

    let clock = TestClock::at(NTP_2026);
    // A correctly MACed I_MESSAGE carrying a DH value the responder must refuse.
    let psk = SecretBytes::from_slice(PSK);
    let mut prime_minus_1 = mikey::crypto::dh::prime(DhGroup::Oakley1).to_vec();
    *prime_minus_1.last_mut().unwrap() -= 1; // p is odd

    let mut one = vec![0u8; 96];
    one[95] = 1;
    for (what, value) in [("0", vec![0u8; 96]), ("1", one), ("p-1", prime_minus_1)] {
        let mut responder = dh_hmac_pair(DhGroup::Oakley1, &clock).1;
        let timestamp = Timestamp { ts_type: TimestampType::NtpUtc, value: NTP_2026 << 32 };
        let rand = vec![7u8; 16];
        let header = CommonHeader {
            data_type: DataType::DhHmacInit,
            verification_requested: true,
            prf_function: 0,
            csb_id: 0x1234,
            cs_id_map: CsIdMap::SrtpId(SrtpIdMap::from_entries([SrtpCsEntry { policy_no: 0, ssrc: 1, roc: 0 }])),
        };
        let payloads = vec![
            Payload::Timestamp(timestamp),
            Payload::Rand(rand.clone().into()),
            Payload::Id(IdPayload { id_type: 1, data: b"sip:alice@example.com".to_vec().into() }),
            Payload::Id(IdPayload { id_type: 1, data: b"sip:bob@example.com".to_vec().into() }),
            Payload::SecurityPolicy(SecurityPolicy::new(0, 0)),
            Payload::Dh(DhPayload { group: DhGroup::Oakley1, value: value.into(), validity: KeyValidity::Null }),
        ];
        let context = ExchangeContext { prf: PrfFunction::MikeyHmacSha1, csb_id: 0x1234, rand: &rand, timestamp };
        let (message, _) = seal_kemac_message(
            Message { header, payloads },
            &KeyDataList::default(),
            KemacProtection::MacOnly(&psk),
            &context,
        )
        .unwrap();
        let rejection = responder.process_message(&message).unwrap_err();
        assert_eq!(rejection.error.kind(), ErrorKind::Malformed, "DH value {what}");
        assert_eq!(rejection.error.peer_code(), Some(MikeyErrorCode::InvalidDh), "DH value {what}");
        assert_eq!(responder.state(), State::Idle);
        let error_bytes = rejection.response.expect("an Invalid DH error message");
        let error_message = Message::decode(&error_bytes).unwrap();
        assert_eq!(error_message.find(Payload::as_error).unwrap().code, MikeyErrorCode::InvalidDh as u8);
    }

    // Tampering with DHi in transit breaks the HMAC; a replay is refused; so is a wrong PSK.
    let (mut initiator, mut responder) = dh_hmac_pair(DhGroup::Oakley2, &clock);
    initiator.add_srtp_stream(1, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    let dhi = Message::decode(&i_message).unwrap().find(Payload::as_dh).unwrap().value.clone();
    let dh_at = i_message.windows(dhi.len()).position(|window| window == &*dhi).unwrap();
    let mut tampered = i_message.clone();
    tampered[dh_at + 5] ^= 0x40;
    assert_eq!(responder.process_message(&tampered).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    assert_eq!(responder.state(), State::Idle);
    let r_message = responder.process_message(&i_message).unwrap().unwrap();
    let mut second = dh_hmac_pair(DhGroup::Oakley2, &clock).1;
    // Each dh_hmac_pair has its own config, hence its own replay cache: replay to the same one.
    assert_eq!(responder.process_message(&i_message).unwrap_err().error.kind(), ErrorKind::Replay);
    assert!(second.process_message(&i_message).is_ok(), "another config's cache has not seen it");

    // A tampered R_MESSAGE leaves the initiator waiting; the genuine one completes it.
    let mut bad_response = r_message.clone();
    let at = bad_response.len() / 2;
    bad_response[at] ^= 0x01;
    assert!(initiator.process_message(&bad_response).is_err());
    assert_eq!(initiator.state(), State::WaitResponse);
    initiator.process_message(&r_message).unwrap();
    assert_same_keys(&initiator, &responder, 1);

    let mut wrong_config = config(Method::DhHmac, &clock, 60);
    wrong_config.set_psk(b"another key, 32 bytes long......").unwrap();
    let mut wrong = Session::new(&wrong_config, Role::Responder).unwrap();
    let (mut initiator, _) = dh_hmac_pair(DhGroup::Oakley2, &clock);
    initiator.add_srtp_stream(1, 0).unwrap();
    let rejection = wrong.process_message(&initiator.create_message().unwrap()).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert!(rejection.response.is_some());
}

#[test]
fn a_dh_hmac_initiator_must_name_the_responder() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::DhHmac, &clock, 1), Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    assert_eq!(initiator.create_message().unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(initiator.state(), State::Idle);
}

/// A DH-SIGN config (RFC 3830 §3.3) for `who` (alice or bob) trusting the test root, naming `peer`.
fn dh_sign_config(who: &str, peer: &str, clock: &std::sync::Arc<TestClock>, seed: u64) -> mikey::Config {
    signing_config(Method::DhSign, who, peer, clock, seed)
}

#[test]
fn dh_sign_exchange_with_certificate_chains_agrees_and_rekeys() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&dh_sign_config("alice", "bob", &clock, 71), Role::Initiator).unwrap();
    let mut responder = Session::new(&dh_sign_config("bob", "alice", &clock, 72), Role::Responder).unwrap();
    initiator.add_srtp_stream(0x5151_5151, 0).unwrap();
    initiator.add_srtp_stream(0x5252_5252, 3).unwrap();
    let i_message = initiator.create_message().unwrap();
    let decoded = Message::decode(&i_message).unwrap();
    assert_eq!(decoded.header.data_type, DataType::DhInit);
    assert!(matches!(decoded.payloads.last(), Some(Payload::Sign(_))));
    let r_message = responder.process_message(&i_message).unwrap().expect("DH-SIGN always answers");
    assert_eq!(Message::decode(&r_message).unwrap().header.data_type, DataType::DhResponse);
    initiator.process_message(&r_message).unwrap();
    assert_same_keys(&initiator, &responder, 2);

    clock.advance(1);
    let before = responder.export_srtp(2).unwrap().master_key;
    let update = initiator.create_message().unwrap();
    let reply = responder.process_message(&update).unwrap().unwrap();
    initiator.process_message(&reply).unwrap();
    assert_same_keys(&initiator, &responder, 2);
    assert_ne!(responder.export_srtp(2).unwrap().master_key.expose(), before.expose());
}

#[test]
fn dh_sign_rejects_untrusted_expired_and_misnamed_signers_and_tampering() {
    let clock = TestClock::at(NTP_2026);
    let start = |config: &mikey::Config| {
        let mut initiator = Session::new(config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        initiator.create_message().unwrap()
    };
    let responder_config = dh_sign_config("bob", "alice", &clock, 80);
    let expect_rejected = |message: &[u8], kind: ErrorKind, what: &str| {
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        let rejection = responder.process_message(message).unwrap_err();
        assert_eq!(rejection.error.kind(), kind, "{what}: {}", rejection.error);
        assert_eq!(responder.state(), State::Idle, "{what}");
    };

    // Signed by a self-signed certificate the responder neither trusts nor pinned.
    let mut selfsigned = config(Method::DhSign, &clock, 82);
    selfsigned.set_certificate_chain(&pki("selfsigned.crt.pem")).unwrap();
    selfsigned.set_private_key(&pki("selfsigned.key.pem")).unwrap();
    selfsigned.set_peer_certificate(&pki("bob.crt.pem")).unwrap();
    expect_rejected(&start(&selfsigned), ErrorKind::AuthFailed, "self-signed, not pinned");

    // Alice's genuine message, but the responder expects carol.
    let alice = dh_sign_config("alice", "bob", &clock, 83);
    let genuine = start(&alice);
    let mut expects_carol = dh_sign_config("bob", "carol", &clock, 84);
    expects_carol.set_identities(None, Some("carol@example.com")).unwrap();
    let rejection = Session::new(&expects_carol, Role::Responder).unwrap().process_message(&genuine).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);

    // The same message checked at a time when alice's certificate is not valid yet (2019).
    let early = TestClock::at(NTP_2026 - 7 * 365 * 86_400);
    let mut early_responder = dh_sign_config("bob", "alice", &early, 85);
    early_responder.set_replay_window(86_400).unwrap();
    let old_message = start(&dh_sign_config("alice", "bob", &early, 86));
    let rejection = Session::new(&early_responder, Role::Responder).unwrap().process_message(&old_message).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);

    // Tampering anywhere in the signed part (DH value, SP, header) breaks the signature.
    for index in [8, genuine.len() / 2, genuine.len() - 300] {
        let mut tampered = genuine.clone();
        tampered[index] ^= 0x04;
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        assert!(responder.process_message(&tampered).is_err(), "byte {index}");
        assert_eq!(responder.state(), State::Idle);
    }
    // And a replay is refused.
    let mut first = Session::new(&responder_config, Role::Responder).unwrap();
    first.process_message(&genuine).unwrap();
    expect_rejected(&genuine, ErrorKind::Replay, "replay");
}

#[test]
fn a_pinned_self_signed_peer_is_accepted_only_when_configured() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = config(Method::DhSign, &clock, 90);
    initiator_config.set_certificate_chain(&pki("selfsigned.crt.pem")).unwrap();
    initiator_config.set_private_key(&pki("selfsigned.key.pem")).unwrap();
    initiator_config.add_trust_anchor(&pki("root.crt.pem")).unwrap();
    initiator_config.set_identities(None, Some("sip:bob@example.com")).unwrap();
    let mut responder_config = dh_sign_config("bob", "selfsigned", &clock, 91);
    responder_config.set_peer_certificate(&pki("selfsigned.crt.pem")).unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(9, 0).unwrap();
    let r_message = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
    initiator.process_message(&r_message).unwrap();
    assert_same_keys(&initiator, &responder, 1);

    // A key that is not the certificate's is refused when the session is made.
    let mut mismatched = dh_sign_config("alice", "bob", &clock, 92);
    mismatched.set_private_key(&pki("bob.key.pem")).unwrap();
    assert_eq!(Session::new(&mismatched, Role::Initiator).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

/// A PK config (RFC 3830 §3.2) for `who`: dh_sign_config's credentials, the method PK, and, for
/// an initiator, the responder's certificate for the envelope key.
fn pk_config(who: &str, peer: &str, clock: &std::sync::Arc<TestClock>, seed: u64) -> mikey::Config {
    let mut settings = signing_config(Method::Pk, who, peer, clock, seed);
    settings.set_peer_certificate(&pki(&format!("{peer}.crt.pem"))).unwrap();
    settings
}

#[test]
fn pk_exchange_with_and_without_verification_agrees() {
    for verification in [true, false] {
        let clock = TestClock::at(NTP_2026);
        let mut initiator_config = pk_config("alice", "bob", &clock, 101);
        initiator_config.set_request_verification(verification).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        let mut responder = Session::new(&pk_config("bob", "alice", &clock, 102), Role::Responder).unwrap();
        initiator.add_srtp_stream(0x7070_7070, 0).unwrap();
        initiator.add_srtp_stream(0x7171_7171, 1).unwrap();
        let i_message = initiator.create_message().unwrap();
        let decoded = Message::decode(&i_message).unwrap();
        assert_eq!(decoded.header.data_type, DataType::PkInit);
        assert!(decoded.payloads.iter().any(|p| matches!(p, Payload::Pke(_))));
        let response = responder.process_message(&i_message).unwrap();
        assert_eq!(response.is_some(), verification);
        if let Some(r_message) = response {
            assert_eq!(Message::decode(&r_message).unwrap().header.data_type, DataType::PkVerification);
            initiator.process_message(&r_message).unwrap();
        }
        assert_same_keys(&initiator, &responder, 2);
    }
}

#[test]
fn pk_rejects_an_envelope_for_another_key_a_false_encrypted_identity_and_a_missing_certificate() {
    let clock = TestClock::at(NTP_2026);
    let responder_config = pk_config("bob", "alice", &clock, 110);
    let send = |config: &mikey::Config| {
        let mut initiator = Session::new(config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(1, 0).unwrap();
        initiator.create_message().unwrap()
    };
    // The envelope key encrypted to carol, sent to bob: it opens to noise, the KEMAC MAC fails.
    let mut to_carol = pk_config("alice", "bob", &clock, 111);
    to_carol.set_peer_certificate(&pki("carol.crt.pem")).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    let for_carol = send(&to_carol);
    let rejection = responder.process_message(&for_carol).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
    assert_eq!(rejection.error.peer_code(), Some(mikey::MikeyErrorCode::AuthFailure), "{}", rejection.error);
    assert_eq!(responder.state(), State::Idle);

    // A CHASH (§6.8) must name the responder's certificate, by SHA-1.
    let alice_key = mikey::crypto::rsa::RsaPrivateKey::from_pem_or_der(&pki("alice.key.pem")).unwrap();
    let with_chash = |bytes: &[u8], chash: mikey::wire::CertHash| {
        let mut message = Message::decode(bytes).unwrap();
        message.payloads.pop();
        let at = message.payloads.iter().position(|p| matches!(p, Payload::Pke(_))).unwrap();
        message.payloads.insert(at, Payload::CertHash(chash));
        mikey::exchange::signed::seal_signed(message, &alice_key, mikey::crypto::rsa::SignatureScheme::PKCS1V15_SHA256)
            .unwrap()
    };
    let sha1_of = |name: &str| {
        let certificate = mikey::crypto::x509::Certificate::from_pem_or_der(&pki(name)).unwrap().remove(0);
        mikey::wire::CertHash {
            hash_function: mikey::wire::HashFunction::Sha1,
            hash: certificate.sha1_fingerprint().to_vec().into(),
        }
    };
    let rejection = responder.process_message(&with_chash(&for_carol, sha1_of("carol.crt.pem"))).unwrap_err();
    assert_eq!(rejection.error.peer_code(), Some(mikey::MikeyErrorCode::InvalidCertificate), "{}", rejection.error);
    let md5 = mikey::wire::CertHash { hash_function: mikey::wire::HashFunction::Md5, hash: vec![0; 16].into() };
    let rejection = responder.process_message(&with_chash(&for_carol, md5)).unwrap_err();
    assert_eq!(rejection.error.peer_code(), Some(mikey::MikeyErrorCode::InvalidHashAlgorithm));
    assert_eq!(responder.state(), State::Idle);
    let named = with_chash(&send(&pk_config("alice", "bob", &clock, 115)), sha1_of("bob.crt.pem"));
    Session::new(&responder_config, Role::Responder).unwrap().process_message(&named).unwrap();

    // Alice's certificate, but the encrypted IDi claims someone else (§3.2: it must be verified).
    let mut false_identity = pk_config("alice", "bob", &clock, 112);
    false_identity.set_identities(Some("sip:mallory@example.com"), Some("sip:bob@example.com")).unwrap();
    let rejection = Session::new(&responder_config, Role::Responder).unwrap().process_message(&send(&false_identity));
    assert_eq!(rejection.unwrap_err().error.peer_code(), Some(mikey::MikeyErrorCode::InvalidId));

    // A genuine message with one byte of the PKE changed breaks SIGNi.
    let genuine = send(&pk_config("alice", "bob", &clock, 113));
    let pke = Message::decode(&genuine)
        .unwrap()
        .payloads
        .iter()
        .find_map(|payload| match payload {
            Payload::Pke(pke) => Some(pke.data.clone()),
            _ => None,
        })
        .unwrap();
    let at = genuine.windows(pke.len()).position(|window| window == &*pke).unwrap();
    let mut tampered = genuine.clone();
    tampered[at + 10] ^= 0x01;
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(responder.process_message(&tampered).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    let mut wrong_signature = genuine.clone();
    *wrong_signature.last_mut().unwrap() ^= 0x80;
    let rejection = responder.process_message(&wrong_signature).unwrap_err();
    assert_eq!(rejection.error.peer_code(), Some(mikey::MikeyErrorCode::AuthFailure), "wrong signature");
    responder.process_message(&genuine).unwrap();
    let mut again = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(again.process_message(&genuine).unwrap_err().error.kind(), ErrorKind::Replay);
    assert_eq!(again.state(), State::Idle);

    // The initiator needs the responder's certificate for the envelope.
    let mut without = config(Method::Pk, &clock, 114);
    let mut chain = pki("alice.crt.pem");
    chain.extend(pki("intermediate.crt.pem"));
    without.set_certificate_chain(&chain).unwrap();
    without.set_private_key(&pki("alice.key.pem")).unwrap();
    let mut initiator = Session::new(&without, Role::Initiator).unwrap();
    initiator.add_srtp_stream(1, 0).unwrap();
    assert_eq!(initiator.create_message().unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_cached_envelope_key_turns_pk_updates_into_psk_messages() {
    let clock = TestClock::at(NTP_2026);
    let mut initiator_config = pk_config("alice", "bob", &clock, 120);
    initiator_config.set_envelope_key_cache(true).unwrap();
    initiator_config.set_request_verification(true).unwrap();
    let responder_config = pk_config("bob", "alice", &clock, 121);
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(0x0C0C_0C0C, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    let pke_cache = Message::decode(&i_message).unwrap().payloads.iter().find_map(|payload| match payload {
        Payload::Pke(pke) => Some(pke.cache),
        _ => None,
    });
    assert_eq!(pke_cache, Some(2), "Table 6.3: cache for the CSB");
    initiator.process_message(&responder.process_message(&i_message).unwrap().unwrap()).unwrap();
    assert_same_keys(&initiator, &responder, 1);
    let first_key = initiator.export_srtp(1).unwrap().master_key.expose().to_vec();

    // §4.5: the update is a PSK message under the envelope key: no CERT, PKE or SIGN.
    let update = initiator.create_message().unwrap();
    let decoded = Message::decode(&update).unwrap();
    assert_eq!(decoded.header.data_type, DataType::PskInit);
    assert!(!decoded.payloads.iter().any(|p| matches!(p, Payload::Pke(_) | Payload::Sign(_) | Payload::Cert(_))));
    // Another responder of the same config has no envelope key for this CSB.
    let mut stranger = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(stranger.process_message(&update).unwrap_err().error.kind(), ErrorKind::Unsupported);
    let r_update = responder.process_message(&update).unwrap().unwrap();
    assert_eq!(Message::decode(&r_update).unwrap().header.data_type, DataType::PskVerification);
    initiator.process_message(&r_update).unwrap();
    assert_same_keys(&initiator, &responder, 1);
    assert_ne!(initiator.export_srtp(1).unwrap().master_key.expose(), first_key.as_slice());
    // The key stays cached for the CSB: a second update works the same way.
    let again = initiator.create_message().unwrap();
    initiator.process_message(&responder.process_message(&again).unwrap().unwrap()).unwrap();
    assert_same_keys(&initiator, &responder, 1);

    // Without caching, an update is a full PK message again.
    let mut uncached = Session::new(&pk_config("alice", "bob", &clock, 122), Role::Initiator).unwrap();
    uncached.add_srtp_stream(1, 0).unwrap();
    uncached.create_message().unwrap();
    assert_eq!(Message::decode(&uncached.create_message().unwrap()).unwrap().header.data_type, DataType::PkInit);
}

#[test]
fn signatures_follow_the_configured_scheme_and_are_verified_by_their_s_type() {
    use mikey::crypto::rsa::SignatureScheme;
    let clock = TestClock::at(NTP_2026);
    let mut alice = dh_sign_config("alice", "bob", &clock, 130);
    alice.set_signature_scheme(SignatureScheme::PSS_SHA256).unwrap();
    let mut bob = dh_sign_config("bob", "alice", &clock, 131);
    bob.set_signature_scheme(SignatureScheme::PKCS1V15_SHA256).unwrap();
    let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
    let mut responder = Session::new(&bob, Role::Responder).unwrap();
    initiator.add_srtp_stream(0x5050_5050, 0).unwrap();
    let s_type = |bytes: &[u8]| match Message::decode(bytes).unwrap().payloads.last() {
        Some(Payload::Sign(signature)) => signature.sig_type,
        other => panic!("no SIGN payload last: {other:?}"),
    };
    let i_message = initiator.create_message().unwrap();
    assert_eq!(s_type(&i_message), 1, "§6.5: RSA-PSS");
    let r_message = responder.process_message(&i_message).unwrap().unwrap();
    assert_eq!(s_type(&r_message), 0, "§6.5: PKCS#1 v1.5");
    initiator.process_message(&r_message).unwrap();
    assert_same_keys(&initiator, &responder, 1);
}

#[test]
fn dh_sign_rejects_bad_dh_values_an_unknown_group_and_an_expired_certificate() {
    use mikey::crypto::rsa::{RsaPrivateKey, SignatureScheme};
    use mikey::wire::{DhGroup, DhPayload};
    use mikey::MikeyErrorCode;
    let clock = TestClock::at(NTP_2026);
    let responder_config = dh_sign_config("bob", "alice", &clock, 140);
    let mut initiator = Session::new(&dh_sign_config("alice", "bob", &clock, 141), Role::Initiator).unwrap();
    initiator.add_srtp_stream(3, 0).unwrap();
    let genuine = initiator.create_message().unwrap();
    let alice_key = RsaPrivateKey::from_pem_or_der(&pki("alice.key.pem")).unwrap();
    let resigned = |change: &dyn Fn(&mut Payload)| {
        let mut message = Message::decode(&genuine).unwrap();
        message.payloads.pop();
        message.payloads.iter_mut().for_each(change);
        mikey::exchange::signed::seal_signed(message, &alice_key, SignatureScheme::PKCS1V15_SHA256).unwrap()
    };

    // Validly signed DH values 0, 1 and p-1 (§3.3: outside 2..p-2) get Invalid DH.
    let mut prime_minus_1 = mikey::crypto::dh::prime(DhGroup::Oakley5).to_vec();
    *prime_minus_1.last_mut().unwrap() -= 1;
    let mut one = vec![0u8; 192];
    one[191] = 1;
    for (what, value) in [("0", vec![0u8; 192]), ("1", one), ("p-1", prime_minus_1)] {
        let bad = resigned(&|payload| {
            if let Payload::Dh(dh) = payload {
                *dh = DhPayload { value: value.clone().into(), ..dh.clone() };
            }
        });
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        let rejection = responder.process_message(&bad).unwrap_err();
        assert_eq!(rejection.error.peer_code(), Some(MikeyErrorCode::InvalidDh), "DH value {what}");
        assert_eq!(responder.state(), State::Idle);
    }

    // A group the registry does not know (Table 6.4) stops the decoder.
    let dh_at = genuine
        .windows(192)
        .position(|w| w == &*Message::decode(&genuine).unwrap().find(Payload::as_dh).unwrap().value)
        .unwrap();
    let mut unknown_group = genuine.clone();
    unknown_group[dh_at - 1] = 9;
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    assert_eq!(responder.process_message(&unknown_group).unwrap_err().error.kind(), ErrorKind::Unsupported);

    // An expired certificate in place of alice's (the chain fails before the signature is read).
    let expired = mikey::crypto::x509::Certificate::from_pem_or_der(&pki("expired.crt.pem")).unwrap().remove(0);
    let alice = mikey::crypto::x509::Certificate::from_pem_or_der(&pki("alice.crt.pem")).unwrap().remove(0);
    let with_expired = resigned(&|payload| {
        if let Payload::Cert(cert) = payload {
            if cert.data == alice.der() {
                cert.data = expired.der().to_vec().into();
            }
        }
    });
    let rejection = responder.process_message(&with_expired).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed);
    assert_eq!(rejection.error.peer_code(), Some(MikeyErrorCode::InvalidCertificate), "{}", rejection.error);
    assert_eq!(responder.state(), State::Idle);
}
