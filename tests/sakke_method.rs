//! The MIKEY-SAKKE method through sessions (RFC 6509, TS 33.180): a responder extracts from
//! each of Streamwide's real I_MESSAGEs (tests/vectors/mikey_sakke_streamwide_e2e.json) the
//! published key, key ID, GUK-ID, key parameters and SRTP keys; our own GMK and PCK messages
//! key their receivers; and every attack the receiver algorithm guards against is refused with
//! the session unchanged: a bad signature, the wrong receiver, a stale key period, a replay,
//! tampered key parameters, a re-key by another user.

mod common;

use std::sync::Arc;

use common::{
    hex_field as bytes, streamwide_community as community, streamwide_user_config as user_config,
    streamwide_vectors as vectors, unhex, TestClock, TestKms, STREAMWIDE_T,
};
use mikey::crypto::eccsi::{self, Kpak, Pvt, SigningKey, Ssk};
use mikey::crypto::sakke::{self, Identifier};
use mikey::mcptt::{self, IdentifierForm, McpttKey, McpttPeer, UserKeySet};
use mikey::wire::{CsIdMap, GeneralExtension, Message, Payload, SakkePayload, Signature};
use mikey::SystemRandomSource;
use mikey::{Config, ErrorKind, InteropFlags, Role, Session, SrtpProfile, State};
use serde_json::Value;

fn case<'v>(vectors: &'v Value, name: &str) -> &'v Value {
    vectors["cases"].as_array().unwrap().iter().find(|case| case["name"].as_str().unwrap().contains(name)).unwrap()
}

/// The vector user a case is for.
fn receiver_name(vectors: &Value, case: &Value) -> String {
    let uri = case["responder"].as_str().unwrap();
    let users = vectors["users"].as_object().unwrap();
    users.iter().find(|(_, user)| user["uri"] == uri).map(|(name, _)| name.clone()).unwrap()
}

#[test]
fn the_responder_extracts_every_streamwide_key_with_its_ids_parameters_and_srtp_keys() {
    let vectors = vectors();
    let clock = TestClock::at(STREAMWIDE_T);
    for name in ["Test 1", "Test 2", "Test 3", "Test 4"] {
        let case = case(&vectors, name);
        let legacy = name == "Test 4";
        let interop = if legacy { InteropFlags::SAKKE_LEGACY_KEY_PARAMETERS } else { 0 };
        let config = user_config(&vectors, &receiver_name(&vectors, case), &clock, interop);
        let mut responder = Session::new(&config, Role::Responder).unwrap();
        let message = bytes(case, "i_message_hex");
        assert_eq!(responder.process_message(&message).unwrap(), None, "{name}: no answer (RFC 6509 §2.2.1)");
        assert_eq!(responder.state(), State::Established);
        let key = responder.mcptt_key().unwrap();
        assert_eq!(key.key.expose(), bytes(case, "expected_key"), "{name}");
        let key_id = u32::from_str_radix(case["expected_key_id"].as_str().unwrap(), 16).unwrap();
        assert_eq!(key.key_id, key_id, "{name}");
        let derivations = case["srtp_master_derivation_helper_computed"].as_array().unwrap();
        let csb_id = u32::from_str_radix(derivations[0]["csb_id"].as_str().unwrap(), 16).unwrap();
        assert_eq!(responder.csb_id(), Some(csb_id), "{name}: the GUK-ID or key ID");
        // The key parameters: Streamwide's status 1 (not revoked), no times, no text.
        let parameters = key.parameters.as_ref().unwrap();
        assert_eq!((parameters.key_type, parameters.status), (key.purpose().unwrap() as u8, 1), "{name}");
        assert_eq!(parameters.legacy_clear, legacy, "{name}");
        for derivation in derivations {
            let cs_id = derivation["cs_id"].as_u64().unwrap() as u8;
            let srtp = responder.export_srtp(cs_id).unwrap();
            assert_eq!(srtp.master_key.expose(), bytes(derivation, "master_key_16"), "{name} CS {cs_id}");
            assert_eq!(srtp.master_salt.expose(), bytes(derivation, "master_salt_12"), "{name} CS {cs_id}");
            assert_eq!(srtp.policy.profile, SrtpProfile::AeadAes128Gcm, "{name}");
            let mki = match key.purpose().unwrap() {
                mcptt::KeyPurpose::Gmk => [key_id.to_be_bytes(), csb_id.to_be_bytes()].concat(),
                _ => key_id.to_be_bytes().to_vec(),
            };
            assert_eq!(srtp.mki, mki, "{name}: GMK-ID || GUK-ID, or the key ID");
        }
        // The signer, by UID: no URI travels (identity hiding).
        let initiator = case["initiator"].as_str().unwrap();
        let initiator_user =
            vectors["users"].as_object().unwrap().values().find(|user| user["uri"] == initiator).unwrap();
        assert_eq!(responder.peer_identity().unwrap(), bytes(initiator_user, "uid"), "{name}");
    }
}

#[test]
fn the_legacy_clear_key_parameters_are_refused_without_their_switch() {
    let vectors = vectors();
    let clock = TestClock::at(STREAMWIDE_T);
    let case = case(&vectors, "Test 4");
    let config = user_config(&vectors, &receiver_name(&vectors, case), &clock, 0);
    let mut responder = Session::new(&config, Role::Responder).unwrap();
    let rejection = responder.process_message(&bytes(case, "i_message_hex")).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::Policy, "{}", rejection.error);
    assert_eq!((responder.state(), responder.mcptt_key().is_none()), (State::Idle, true));
}

/// Sessions of a GMS keying a group, or a caller keying a callee, all of the vector KMS.
struct Scene {
    vectors: Value,
    clock: Arc<TestClock>,
}

impl Scene {
    fn new() -> Self {
        Scene { vectors: vectors(), clock: TestClock::at(STREAMWIDE_T) }
    }

    fn config(&self, name: &str) -> Config {
        user_config(&self.vectors, name, &self.clock, 0)
    }

    fn uri(&self, name: &str) -> String {
        self.vectors["users"][name]["uri"].as_str().unwrap().to_owned()
    }

    /// `from`'s I_MESSAGE sending `key` to `to`.
    fn message(&self, from: &Config, key: &McpttKey, to: &str) -> Vec<u8> {
        let mut initiator = Session::new(from, Role::Initiator).unwrap();
        initiator.set_mcptt_key(key.clone()).unwrap();
        initiator.set_mcptt_peer(McpttPeer { uri: self.uri(to), kms_uri: None }).unwrap();
        let message = initiator.create_message().unwrap();
        assert_eq!(initiator.state(), State::Established, "no answer is awaited");
        message
    }
}

fn gmk() -> McpttKey {
    let mut key = McpttKey::new(0x0123_4567, &[0x5A; 16]).unwrap();
    key.parameters.as_mut().unwrap().group_ids = vec![b"sip:group-7@example.org".to_vec()];
    key
}

#[test]
fn a_gms_keys_a_group_of_three_with_one_gmk_each_under_its_own_guk_id() {
    let scene = Scene::new();
    let gms = scene.config("GMS");
    let key = gmk();
    let mut srtp_keys = Vec::new();
    for member in ["Alice", "Bob", "IWF"] {
        let message = scene.message(&gms, &key, member);
        let mut responder = Session::new(&scene.config(member), Role::Responder).unwrap();
        responder.set_mcptt_peer(McpttPeer { uri: scene.uri("GMS"), kms_uri: None }).unwrap();
        responder.process_message(&message).unwrap();
        let received = responder.mcptt_key().unwrap();
        assert_eq!((received.key_id, received.key.expose()), (key.key_id, key.key.expose()), "{member}");
        assert_eq!(received.parameters.as_ref().unwrap().group_ids, key.parameters.as_ref().unwrap().group_ids);
        let guk_id = mcptt::guk_id(key.key.expose(), key.key_id, &scene.uri(member)).unwrap();
        assert_eq!(responder.csb_id(), Some(guk_id), "{member}");
        assert_eq!(responder.peer_identity().unwrap(), scene.uri("GMS").as_bytes(), "confirmed from SIP");
        let srtp = responder.export_srtp(4).unwrap();
        assert_eq!(srtp.mki, [key.key_id.to_be_bytes(), guk_id.to_be_bytes()].concat());
        srtp_keys.push(srtp.master_key.expose().to_vec());
    }
    // TS 33.180 7.4.1: the CSB ID in the SRTP derivation is each member's GUK-ID.
    assert!(srtp_keys[0] != srtp_keys[1] && srtp_keys[1] != srtp_keys[2]);
}

#[test]
fn a_private_call_key_goes_both_ways_and_both_ends_export_the_same_srtp_keys() {
    let scene = Scene::new();
    for (caller, callee) in [("Alice", "Bob"), ("Bob", "Alice")] {
        let caller_config = scene.config(caller);
        let pck = McpttKey::new(0x1000_0042, &[0x33; 16]).unwrap();
        let mut initiator = Session::new(&caller_config, Role::Initiator).unwrap();
        initiator.set_mcptt_key(pck).unwrap();
        initiator.set_mcptt_peer(McpttPeer { uri: scene.uri(callee), kms_uri: None }).unwrap();
        let message = initiator.create_message().unwrap();
        let mut responder = Session::new(&scene.config(callee), Role::Responder).unwrap();
        responder.process_message(&message).unwrap();
        for cs_id in [0, 1] {
            let (sent, received) = (initiator.export_srtp(cs_id).unwrap(), responder.export_srtp(cs_id).unwrap());
            assert_eq!(sent.master_key.expose(), received.master_key.expose(), "{caller} CS {cs_id}");
            assert_eq!(sent.master_salt.expose(), received.master_salt.expose());
            assert_eq!(received.mki, 0x1000_0042_u32.to_be_bytes());
        }
        assert_eq!(initiator.csb_id(), Some(0x1000_0042));
        // TS 33.180's CS IDs of a PCK, both ends.
        assert_eq!((initiator.cs_ids(), responder.cs_ids()), (vec![0, 1, 2, 3], vec![0, 1, 2, 3]));
        // The PCK profile of TS 33.179 Table E.3-1, without an SP (#CS = 0).
        let decoded = Message::decode(&message).unwrap();
        assert!(decoded.find(Payload::as_security_policy).is_none());
        assert_eq!(responder.export_srtp(0).unwrap().policy.roc_transform, None);
    }
}

/// `message` changed by `change` and signed again by the vector user `signer`: what a sender
/// holding a valid key set could send.
fn resigned_by(scene: &Scene, signer: &str, message: &[u8], change: impl Fn(&mut Message<'_>)) -> Vec<u8> {
    signed_by(scene, signer, message, change, Coverage::WithSignHeader)
}

/// What a signature covers: the message up to the signature, with the SIGN header (RFC 3830
/// §5.2), or without it (older Alea and Softil senders).
#[derive(Clone, Copy, PartialEq)]
enum Coverage {
    WithSignHeader,
    WithoutSignHeader,
}

fn signed_by(
    scene: &Scene,
    signer: &str,
    message: &[u8],
    change: impl Fn(&mut Message<'_>),
    coverage: Coverage,
) -> Vec<u8> {
    let mut decoded = Message::decode(message).unwrap();
    decoded.payloads.pop();
    change(&mut decoded);
    let placeholder = Signature { sig_type: 2, data: vec![0; eccsi::SIGNATURE_LEN].into() };
    decoded.payloads.push(Payload::Sign(placeholder));
    let mut encoded = decoded.encode().unwrap();
    let user = &scene.vectors["users"][signer];
    let kpak = Kpak::from_bytes(&bytes(&scene.vectors["kms"], "KPAK_PubAuthKey")).unwrap();
    let (ssk, pvt) = (Ssk::from_bytes(&bytes(user, "ssk")).unwrap(), Pvt::from_bytes(&bytes(user, "pvt")).unwrap());
    let signing_key = SigningKey::new(&kpak, &bytes(user, "uid"), ssk, pvt).unwrap();
    let covered = encoded.len() - eccsi::SIGNATURE_LEN;
    let signed = if coverage == Coverage::WithSignHeader { covered } else { covered - 2 };
    let signature = signing_key.sign(&encoded[..signed], &SystemRandomSource).unwrap();
    encoded[covered..].copy_from_slice(&signature.to_bytes());
    encoded
}

fn resigned_by_gms(scene: &Scene, message: &[u8], change: impl Fn(&mut Vec<Payload<'_>>)) -> Vec<u8> {
    resigned_by(scene, "GMS", message, |message| change(&mut message.payloads))
}

/// A fresh responder session of `name` on `clock` that refuses `message` with `kind`, and stays
/// idle.
fn refused_at(scene: &Scene, clock: &Arc<TestClock>, name: &str, message: &[u8], kind: ErrorKind) {
    let config = user_config(&scene.vectors, name, clock, 0);
    let mut responder = Session::new(&config, Role::Responder).unwrap();
    let rejection = responder.process_message(message).unwrap_err();
    assert_eq!(rejection.error.kind(), kind, "{}", rejection.error);
    assert_eq!((responder.state(), responder.csb_id(), responder.mcptt_key().is_none()), (State::Idle, None, true));
}

#[test]
fn a_tampered_message_a_bad_signature_and_a_wrong_receiver_are_refused() {
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    // The signing itself is right: the resigned copy is accepted.
    let resigned = resigned_by_gms(&scene, &message, |_| {});
    Session::new(&scene.config("Alice"), Role::Responder).unwrap().process_message(&resigned).unwrap();
    // Any byte the signature covers.
    for offset in [5, 40, 300, message.len() - 140] {
        let mut tampered = message.clone();
        tampered[offset] ^= 0x01;
        let mut responder = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
        assert!(responder.process_message(&tampered).is_err(), "byte {offset}");
        assert_eq!(responder.state(), State::Idle);
    }
    // The signature's s.
    let mut bad_signature = message.clone();
    let in_s = bad_signature.len() - 70;
    bad_signature[in_s] ^= 0x80;
    refused_at(&scene, &scene.clock, "Alice", &bad_signature, ErrorKind::AuthFailed);
    // Bob is not Alice: the IDRuidr is not his.
    refused_at(&scene, &scene.clock, "Bob", &message, ErrorKind::AuthFailed);
    // A SAKKE payload made for Bob, in a message that names Alice.
    let bob_message = scene.message(&scene.config("GMS"), &gmk(), "Bob");
    let for_bob = Message::decode(&bob_message).unwrap();
    let bob_sed = for_bob.find(Payload::as_sakke).unwrap().data.to_vec();
    let swapped = resigned_by_gms(&scene, &message, |payloads| {
        for payload in payloads.iter_mut() {
            if let Payload::Sakke(sakke) = payload {
                sakke.data = bob_sed.clone().into();
            }
        }
    });
    refused_at(&scene, &scene.clock, "Alice", &swapped, ErrorKind::AuthFailed);
}

/// The first NTP second of key period 237 of the vector KMS (periods of 16777215 s).
const PERIOD_237: u64 = 237 * 16_777_215;

/// `message`, sent at the start of key period 237 with keys of period 236, is refused by Alice
/// as configured, and taken when she accepts one period of difference: that config (a clone, not
/// frozen) and the session that took it.
fn taken_only_with_one_period_of_tolerance(scene: &Scene, message: &[u8]) -> (Config, Session) {
    let clock = TestClock::at(PERIOD_237);
    refused_at(scene, &clock, "Alice", message, ErrorKind::AuthFailed);
    let mut tolerant = user_config(&scene.vectors, "Alice", &clock, 0);
    tolerant.set_key_period_tolerance(1).unwrap();
    let mut responder = Session::new(&tolerant, Role::Responder).unwrap();
    responder.process_message(message).unwrap();
    (tolerant.clone(), responder)
}

#[test]
fn a_message_of_another_key_period_is_refused_unless_the_tolerance_allows_one() {
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    // Sent in period 237 with the keys of 236 (a sender whose keys are a period old).
    let in_237 = resigned_by_gms(&scene, &message, |payloads| {
        if let Payload::Timestamp(timestamp) = &mut payloads[0] {
            timestamp.value = PERIOD_237 << 32;
        }
    });
    let (mut tolerant, responder) = taken_only_with_one_period_of_tolerance(&scene, &in_237);
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), gmk().key.expose());
    assert_eq!(tolerant.set_key_period_tolerance(2).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_replayed_message_is_refused_and_the_identity_sip_named_must_be_the_signer() {
    let scene = Scene::new();
    let alice = scene.config("Alice");
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    let mut first = Session::new(&alice, Role::Responder).unwrap();
    first.process_message(&message).unwrap();
    let mut second = Session::new(&alice, Role::Responder).unwrap();
    assert_eq!(second.process_message(&message).unwrap_err().error.kind(), ErrorKind::Replay);
    assert_eq!(second.state(), State::Idle);
    // The same message with the other valid s, (r, q - s), is the same message to the cache.
    // SIP says Bob sent it: the GMS's UID is not Bob's.
    let mut hiding = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
    hiding.set_mcptt_peer(McpttPeer { uri: scene.uri("Bob"), kms_uri: None }).unwrap();
    assert_eq!(hiding.process_message(&message).unwrap_err().error.kind(), ErrorKind::AuthFailed);
    assert_eq!(hiding.state(), State::Idle);
}

#[test]
fn tampered_key_parameters_are_refused_even_under_a_valid_signature() {
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    let change_extension = |change: fn(&mut Vec<u8>)| {
        resigned_by_gms(&scene, &message, move |payloads| {
            for payload in payloads.iter_mut() {
                if let Payload::GeneralExtension(extension) = payload {
                    let mut data = extension.data.to_vec();
                    change(&mut data);
                    *extension = GeneralExtension { ext_type: 7, data: data.into() };
                }
            }
        })
    };
    // A flipped ciphertext bit fails the GCM tag (Streamwide logs it and keeps the key).
    let flipped = change_extension(|data| {
        let last = data.len() - 1;
        data[last] ^= 1;
    });
    refused_at(&scene, &scene.clock, "Alice", &flipped, ErrorKind::AuthFailed);
    // Another DPPK-ID than the CSB ID (E.6.1).
    let other_dppk = change_extension(|data| data[28] ^= 1);
    refused_at(&scene, &scene.clock, "Alice", &other_dppk, ErrorKind::Policy);
    // The legacy clear form, which nothing but the signature protects: only under its switch.
    let legacy = change_extension(|data| *data = unhex("0100000001000000000000000000000000"));
    refused_at(&scene, &scene.clock, "Alice", &legacy, ErrorKind::Policy);
}

#[test]
fn revoked_and_expired_keys_are_refused_and_status_zero_only_under_its_switch() {
    let scene = Scene::new();
    let gms = scene.config("GMS");
    let with_parameters = |status: u32, expiry_time: u64| {
        let mut key = gmk();
        let parameters = key.parameters.as_mut().unwrap();
        (parameters.status, parameters.expiry_time) = (status, expiry_time);
        scene.message(&gms, &key, "Alice")
    };
    refused_at(&scene, &scene.clock, "Alice", &with_parameters(2, 0), ErrorKind::Policy);
    // Expired a second before T (Unix seconds).
    let t_unix = STREAMWIDE_T - 2_208_988_800;
    refused_at(&scene, &scene.clock, "Alice", &with_parameters(1, t_unix - 1), ErrorKind::Policy);
    let fine = with_parameters(1, t_unix + 86_400);
    Session::new(&scene.config("Alice"), Role::Responder).unwrap().process_message(&fine).unwrap();
    let status_zero = with_parameters(0, 0);
    refused_at(&scene, &scene.clock, "Alice", &status_zero, ErrorKind::Policy);
    let lenient = user_config(&scene.vectors, "Alice", &scene.clock, InteropFlags::SAKKE_STATUS_ZERO);
    Session::new(&lenient, Role::Responder).unwrap().process_message(&status_zero).unwrap();
}

#[test]
fn another_user_of_the_kms_cannot_rekey_an_established_csb() {
    // Alice holds a GMK from the GMS. Bob, a valid user of the same KMS, sends her a key of
    // his under the same CSB ID and RAND (both public; he picks the GMK-ID whose GUK-ID is
    // that CSB ID), signed with his own valid keys: the update must come from the CSB's peer.
    let scene = Scene::new();
    let gms_message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    let mut alice = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
    alice.process_message(&gms_message).unwrap();
    let before = alice.export_srtp(4).unwrap().master_key.expose().to_vec();
    scene.clock.advance(1);
    let community = community(&scene.vectors);
    let alice_uid = bytes(&scene.vectors["users"]["Alice"], "uid");
    let bobs_sed =
        sakke::encapsulate_with_ssv(&[0x77; 16], &Identifier::new(&alice_uid).unwrap(), community.kms_public_key())
            .unwrap();
    let bob_uid = bytes(&scene.vectors["users"]["Bob"], "uid");
    let later = (STREAMWIDE_T + 1) << 32;
    let csb_id = alice.csb_id().unwrap();
    let bobs_gmk_id = mcptt::gmk_id_of_guk_id(&[0x77; 16], csb_id, &scene.uri("Alice")).unwrap();
    let spi = [bobs_gmk_id.to_be_bytes(), csb_id.to_be_bytes()].concat();
    let forged = resigned_by(&scene, "Bob", &gms_message, |message| {
        if let CsIdMap::GenericId(entries) = &mut message.header.cs_id_map {
            entries[0].spi = spi.clone().into();
        }
        message.payloads.retain(|payload| !matches!(payload, Payload::GeneralExtension(_)));
        for payload in message.payloads.iter_mut() {
            match payload {
                Payload::Timestamp(timestamp) => timestamp.value = later,
                Payload::IdWithRole(idr) if idr.role == 8 => idr.data = bob_uid.clone().into(),
                Payload::Sakke(sakke) => sakke.data = bobs_sed.to_vec().into(),
                _ => {}
            }
        }
    });
    let rejection = alice.process_message(&forged).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
    assert_eq!(alice.export_srtp(4).unwrap().master_key.expose(), before);
    assert_eq!(alice.mcptt_key().unwrap().key.expose(), gmk().key.expose());
    // The same forgery to a fresh session is a valid key from Bob: only the binding refused it.
    let mut fresh = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
    fresh.process_message(&forged).unwrap();
    assert_eq!(fresh.peer_identity().unwrap(), bob_uid);
}

#[test]
fn a_signature_without_the_sign_header_is_taken_only_under_its_switch() {
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    let older = signed_by(&scene, "GMS", &message, |_| {}, Coverage::WithoutSignHeader);
    refused_at(&scene, &scene.clock, "Alice", &older, ErrorKind::AuthFailed);
    let lenient = user_config(&scene.vectors, "Alice", &scene.clock, InteropFlags::SAKKE_SIGNATURE_WITHOUT_HEADER);
    let mut responder = Session::new(&lenient, Role::Responder).unwrap();
    responder.process_message(&older).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), gmk().key.expose());
}

/// `message` with its IDRuidi and IDRuidr turned into IDRi and IDRr carrying `initiator` and
/// `responder`, re-signed by the GMS.
fn with_uri_roles(scene: &Scene, message: &[u8], initiator: &[u8], responder: &[u8]) -> Vec<u8> {
    let (initiator, responder) = (initiator.to_vec(), responder.to_vec());
    resigned_by(scene, "GMS", message, move |message| {
        for payload in message.payloads.iter_mut() {
            if let Payload::IdWithRole(idr) = payload {
                match idr.role {
                    8 => (idr.role, idr.data) = (1, initiator.clone().into()),
                    9 => (idr.role, idr.data) = (2, responder.clone().into()),
                    _ => {}
                }
            }
        }
    })
}

#[test]
fn uris_in_roles_1_and_2_are_taken_and_uids_there_only_under_their_switch() {
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    // Softil: plain URIs. The signer's UID is computed from its URI, which becomes the peer.
    let (gms_uri, alice_uri) = (scene.uri("GMS"), scene.uri("Alice"));
    let softil = with_uri_roles(&scene, &message, gms_uri.as_bytes(), alice_uri.as_bytes());
    let mut responder = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
    responder.process_message(&softil).unwrap();
    assert_eq!(responder.peer_identity().unwrap(), gms_uri.as_bytes());
    // Sent to Bob's URI: not ours.
    let to_bob = with_uri_roles(&scene, &message, gms_uri.as_bytes(), scene.uri("Bob").as_bytes());
    refused_at(&scene, &scene.clock, "Alice", &to_bob, ErrorKind::AuthFailed);
    // SmartMS: 32-octet UIDs in roles 1 and 2.
    let (gms_uid, alice_uid) =
        (bytes(&scene.vectors["users"]["GMS"], "uid"), bytes(&scene.vectors["users"]["Alice"], "uid"));
    let smartms = with_uri_roles(&scene, &message, &gms_uid, &alice_uid);
    refused_at(&scene, &scene.clock, "Alice", &smartms, ErrorKind::AuthFailed);
    let lenient = user_config(&scene.vectors, "Alice", &scene.clock, InteropFlags::SAKKE_UIDS_IN_ROLES_1_2);
    Session::new(&lenient, Role::Responder).unwrap().process_message(&smartms).unwrap();
}

/// A 16-octet key whose last 4 octets are `index` (the searches below found 157 and 560).
fn indexed_key(index: u32) -> [u8; 16] {
    let mut key = [0x11; 16];
    key[12..].copy_from_slice(&index.to_be_bytes());
    key
}

#[test]
fn streamwide_s_hash_without_leading_zeros_is_tried_only_under_its_switch() {
    // For this key and Alice, g^r starts with a zero octet (1 key in 256): Streamwide hashes it
    // without that octet and sends another H than RFC 6508's.
    let scene = Scene::new();
    let key = indexed_key(157);
    let alice = Identifier::new(&bytes(&scene.vectors["users"]["Alice"], "uid")).unwrap();
    let community = community(&scene.vectors);
    let values = sakke::sender_values(&key, &alice, community.kms_public_key()).unwrap();
    assert_eq!(values.g_pow_r().expose()[0], 0, "the key of the search");
    let streamwide_mask = sakke::hash_to_integer_range_2n(&values.g_pow_r().expose()[1..]);
    let mut streamwide_sed = values.point().to_uncompressed().to_vec();
    streamwide_sed.extend(key.iter().zip(streamwide_mask.expose()).map(|(k, m)| k ^ m));
    // Our sender refuses such a key under the switch, and sends it otherwise.
    let mcptt_key = McpttKey::new(0x0000_0157, &key).unwrap();
    let streamwide_gms = user_config(&scene.vectors, "GMS", &scene.clock, InteropFlags::SAKKE_STREAMWIDE_HASH);
    let mut initiator = Session::new(&streamwide_gms, Role::Initiator).unwrap();
    initiator.set_mcptt_key(mcptt_key.clone()).unwrap();
    initiator.set_mcptt_peer(McpttPeer { uri: scene.uri("Alice"), kms_uri: None }).unwrap();
    assert_eq!(initiator.create_message().unwrap_err().kind(), ErrorKind::InvalidArgument);
    let message = scene.message(&scene.config("GMS"), &mcptt_key, "Alice");
    // Streamwide's H: refused by an RFC receiver (the TEST check fails), taken under the switch.
    let from_streamwide = resigned_by_gms(&scene, &message, |payloads| {
        for payload in payloads.iter_mut() {
            if let Payload::Sakke(sakke) = payload {
                sakke.data = streamwide_sed.clone().into();
            }
        }
    });
    refused_at(&scene, &scene.clock, "Alice", &from_streamwide, ErrorKind::AuthFailed);
    let lenient = user_config(&scene.vectors, "Alice", &scene.clock, InteropFlags::SAKKE_STREAMWIDE_HASH);
    let mut responder = Session::new(&lenient, Role::Responder).unwrap();
    responder.process_message(&from_streamwide).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), key);
    // The RFC's own H goes through the switch unchanged.
    Session::new(&lenient, Role::Responder).unwrap().process_message(&message).unwrap();
}

#[test]
fn sakke_data_whose_h_lost_its_leading_zero_octet_is_read_with_it() {
    // For this key and Alice, H starts with a zero octet; Streamwide sends 272 octets then.
    let scene = Scene::new();
    let key = McpttKey::new(0x0000_0560, &indexed_key(560)).unwrap();
    let message = scene.message(&scene.config("GMS"), &key, "Alice");
    let decoded = Message::decode(&message).unwrap();
    let sed = decoded.find(Payload::as_sakke).unwrap().data.to_vec();
    assert_eq!(sed[sakke::POINT_LEN], 0, "the key of the search");
    let shortened = [&sed[..sakke::POINT_LEN], &sed[sakke::POINT_LEN + 1..]].concat();
    let streamwide = resigned_by_gms(&scene, &message, |payloads| {
        for payload in payloads.iter_mut() {
            if let Payload::Sakke(sakke) = payload {
                sakke.data = shortened.clone().into();
            }
        }
    });
    let mut responder = Session::new(&scene.config("Alice"), Role::Responder).unwrap();
    responder.process_message(&streamwide).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), key.key.expose());
}

/// A MIKEY-SAKKE config on `clock` that knows the communities of `kmss`, with `interop`.
fn config_knowing(kmss: &[&TestKms], clock: &Arc<TestClock>, interop: u32) -> Config {
    let mut config = Config::with_sources(mikey::Method::Sakke, clock.clone(), common::TestRng::seeded(3)).unwrap();
    config.set_interop(interop).unwrap();
    for kms in kmss {
        config.add_kms_community(kms.community()).unwrap();
    }
    config
}

#[test]
fn users_of_two_kmss_key_each_other_with_the_communities_the_message_names() {
    let clock = TestClock::at(common::NTP_2026);
    let (north, south) = (TestKms::new("kms.north.example"), TestKms::new("kms.south.example"));
    let mut alice = config_knowing(&[&north, &south], &clock, 0);
    north.provision(&mut alice, "sip:alice@north.example", &clock);
    let mut bob = config_knowing(&[&north, &south], &clock, 0);
    south.provision(&mut bob, "sip:bob@south.example", &clock);
    let pck = McpttKey::new(0x1000_0001, &[0x21; 16]).unwrap();
    let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
    initiator.set_mcptt_key(pck.clone()).unwrap();
    let bob_in_the_south = McpttPeer { uri: "sip:bob@south.example".into(), kms_uri: Some(south.uri.clone()) };
    initiator.set_mcptt_peer(bob_in_the_south).unwrap();
    let message = initiator.create_message().unwrap();
    let mut responder = Session::new(&bob, Role::Responder).unwrap();
    let alice_in_the_north = McpttPeer { uri: "sip:alice@north.example".into(), kms_uri: Some(north.uri.clone()) };
    responder.set_mcptt_peer(alice_in_the_north).unwrap();
    responder.process_message(&message).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), pck.key.expose());
    assert_eq!(responder.peer_identity().unwrap(), b"sip:alice@north.example");
    // A receiver that does not know the sender's KMS cannot check the signature.
    let mut south_only = config_knowing(&[&south], &clock, 0);
    south.provision(&mut south_only, "sip:bob@south.example", &clock);
    let rejection = Session::new(&south_only, Role::Responder).unwrap().process_message(&message).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
    // Sent to Bob as a user of the north KMS: his keys are the south's.
    let mut wrong_kms = Session::new(&alice, Role::Initiator).unwrap();
    wrong_kms.set_mcptt_key(pck).unwrap();
    wrong_kms.set_mcptt_peer(McpttPeer { uri: "sip:bob@south.example".into(), kms_uri: None }).unwrap();
    let misaddressed = wrong_kms.create_message().unwrap();
    let rejection = Session::new(&bob, Role::Responder).unwrap().process_message(&misaddressed).unwrap_err();
    assert_eq!(rejection.error.kind(), ErrorKind::AuthFailed, "{}", rejection.error);
}

#[test]
fn a_kms_that_keys_the_uid_s_hex_text_works_under_its_switch_only() {
    let clock = TestClock::at(common::NTP_2026);
    let airbus = TestKms::new("kms.airbus.example");
    let hex = InteropFlags::SAKKE_UID_AS_HEX_TEXT;
    let mut gms = config_knowing(&[&airbus], &clock, hex);
    airbus.provision(&mut gms, "sip:gms@airbus.example", &clock);
    let mut alice = config_knowing(&[&airbus], &clock, hex);
    airbus.provision(&mut alice, "sip:alice@airbus.example", &clock);
    let key = gmk();
    let mut initiator = Session::new(&gms, Role::Initiator).unwrap();
    initiator.set_mcptt_key(key.clone()).unwrap();
    initiator.set_mcptt_peer(McpttPeer { uri: "sip:alice@airbus.example".into(), kms_uri: None }).unwrap();
    let message = initiator.create_message().unwrap();
    let mut responder = Session::new(&alice, Role::Responder).unwrap();
    responder.process_message(&message).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), key.key.expose());
    // Those keys are for the hex text: without the switch they do not validate.
    let (period, keys) = airbus.key_set("sip:bob@airbus.example", common::NTP_2026, IdentifierForm::UidHexText);
    let mut strict = config_knowing(&[&airbus], &clock, 0);
    let refused =
        strict.add_user_key_set(&airbus.uri, "sip:bob@airbus.example", period, (&keys[0], &keys[1], &keys[2]));
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn sakke_to_self_lets_the_sender_s_other_devices_read_the_key_and_receivers_ignore_it() {
    let scene = Scene::new();
    let mut alice = scene.config("Alice");
    alice.set_sakke_to_self(true).unwrap();
    let pck = McpttKey::new(0x1000_0077, &[0x77; 16]).unwrap();
    let message = scene.message(&alice, &pck, "Bob");
    let decoded = Message::decode(&message).unwrap();
    let extension = decoded.payloads.iter().filter_map(Payload::as_general_extension).find(|e| e.ext_type == 6);
    let to_self = SakkePayload::from_self_extension_data(&extension.expect("a type 6 extension").data).unwrap();
    // Alice's other device, with her RSK, reads the key.
    let user = &scene.vectors["users"]["Alice"];
    let keys = (bytes(user, "rsk"), bytes(user, "ssk"), bytes(user, "pvt"));
    let device = UserKeySet::new(
        &community(&scene.vectors),
        &scene.uri("Alice"),
        236,
        (&keys.0, &keys.1, &keys.2),
        IdentifierForm::Uid,
    )
    .unwrap();
    assert_eq!(device.receiver_key().decapsulate(&to_self.data).unwrap().expose(), pck.key.expose());
    // Bob takes the message as ever.
    let mut responder = Session::new(&scene.config("Bob"), Role::Responder).unwrap();
    responder.process_message(&message).unwrap();
    assert_eq!(responder.mcptt_key().unwrap().key.expose(), pck.key.expose());
    // Without the setting there is no type 6.
    let plain_message = scene.message(&scene.config("Alice"), &pck, "Bob");
    let plain = Message::decode(&plain_message).unwrap();
    assert!(!plain.payloads.iter().filter_map(Payload::as_general_extension).any(|e| e.ext_type == 6));
}

#[test]
fn csk_musik_and_mkfc_keys_go_through_with_their_cs_ids_and_mkis() {
    // TS 33.180 E.4.1, E.6: a CSK keys CS 6 (and 8), a MuSiK CS 7 (and 9), an MKFC no media
    // stream of its own; each MKI is the 32-bit key ID.
    let scene = Scene::new();
    for (key_id, cs_ids) in [(0x2000_0006_u32, &[6u8][..]), (0x6000_0007, &[7]), (0x4000_0004, &[])] {
        let key = McpttKey::new(key_id, &[0x44; 16]).unwrap();
        let message = scene.message(&scene.config("Alice"), &key, "Bob");
        let mut responder = Session::new(&scene.config("Bob"), Role::Responder).unwrap();
        responder.process_message(&message).unwrap();
        let received = responder.mcptt_key().unwrap();
        assert_eq!((received.key_id, received.key.expose()), (key_id, &[0x44; 16][..]), "{key_id:#x}");
        assert_eq!(received.parameters.as_ref().unwrap().key_type, (key_id >> 28) as u8);
        for &cs_id in cs_ids {
            assert_eq!(responder.export_srtp(cs_id).unwrap().mki, key_id.to_be_bytes(), "{key_id:#x}");
        }
        if cs_ids.is_empty() {
            // The MKFC's message has the empty map and no crypto session of TS 33.180's.
            assert_eq!(responder.export_srtp(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }
    // A key ID of no purpose, or a key of the wrong length, is refused before anything is sent.
    assert_eq!(McpttKey::new(0x7000_0001, &[0; 16]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(McpttKey::new(0x1000_0001, &[0; 32]).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_signer_named_by_uri_in_the_previous_key_period_is_taken_only_with_the_tolerance() {
    // A Softil-style message (IDRi, IDRr as URIs) sent in period 237 with the GMS's keys of 236.
    let scene = Scene::new();
    let message = scene.message(&scene.config("GMS"), &gmk(), "Alice");
    let (gms_uri, alice_uri) = (scene.uri("GMS"), scene.uri("Alice"));
    let in_237 = resigned_by(&scene, "GMS", &message, |message| {
        for payload in message.payloads.iter_mut() {
            match payload {
                Payload::Timestamp(timestamp) => timestamp.value = PERIOD_237 << 32,
                Payload::IdWithRole(idr) if idr.role == 8 => {
                    (idr.role, idr.data) = (1, gms_uri.as_bytes().to_vec().into())
                }
                Payload::IdWithRole(idr) if idr.role == 9 => {
                    (idr.role, idr.data) = (2, alice_uri.as_bytes().to_vec().into())
                }
                _ => {}
            }
        }
    });
    let (_, responder) = taken_only_with_one_period_of_tolerance(&scene, &in_237);
    assert_eq!(responder.peer_identity().unwrap(), scene.uri("GMS").as_bytes());
}
