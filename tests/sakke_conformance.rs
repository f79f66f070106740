//! MIKEY-SAKKE conformance with real messages (tests/vectors/mikey_sakke_streamwide_e2e.json:
//! four I_MESSAGEs from Streamwide's sw_mikey_sakke with their KMS and users), through the
//! RFC primitives alone: each user's ECCSI key pair validates against the KMS (RFC 6507
//! §5.1.2), and each I_MESSAGE's signature verifies over the message up to the signature with
//! the SIGN header included (RFC 3830 §5.2; TS 33.180 senders), under the signer's UID; each
//! SAKKE payload decapsulates with its receiver's RSK to the published key (RFC 6508 §6.2.2);
//! and what we encapsulate and sign, and our whole I_MESSAGEs, open and verify with the vector
//! users' keys.

mod common;

use common::{hex_field as bytes, streamwide_vectors as vectors};
use mikey::crypto::eccsi::{self, Kpak, Pvt, SigningKey, Ssk};
use mikey::crypto::sakke::{self, Identifier, KmsPublicKey, ReceiverSecretKey};
use mikey::crypto::SystemRandomSource;
use mikey::wire::{Message, Payload};
use mikey::ErrorKind;
use serde_json::Value;

/// The ECCSI signing key of a vector user under `uid` (its own, or another to see it refused).
fn signing_key(kpak: &Kpak, user: &Value, uid: &[u8]) -> mikey::Result<SigningKey> {
    let (ssk, pvt) = (Ssk::from_bytes(&bytes(user, "ssk"))?, Pvt::from_bytes(&bytes(user, "pvt"))?);
    SigningKey::new(kpak, uid, ssk, pvt)
}

#[test]
fn every_user_s_ecc_si_keys_validate_against_the_kms() {
    let vectors = vectors();
    let kpak = Kpak::from_bytes(&bytes(&vectors["kms"], "KPAK_PubAuthKey")).unwrap();
    let users = vectors["users"].as_object().unwrap();
    assert_eq!(users.len(), 4);
    for (name, user) in users {
        let uid = bytes(user, "uid");
        signing_key(&kpak, user, &uid).unwrap_or_else(|error| panic!("{name}: {error}"));
        let pvt = Pvt::from_bytes(&bytes(user, "pvt")).unwrap();
        assert_eq!(eccsi::hash_hs(&kpak, &uid, &pvt).to_vec(), bytes(user, "HS"), "{name}");
        // Another user's UID does not fit this key pair.
        let mut other = uid.clone();
        other[0] ^= 1;
        let refused = signing_key(&kpak, user, &other);
        assert!(refused.is_err(), "{name}");
    }
}

#[test]
fn every_streamwide_signature_verifies_with_the_sign_header_and_only_with_it() {
    let vectors = vectors();
    let kpak = Kpak::from_bytes(&bytes(&vectors["kms"], "KPAK_PubAuthKey")).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let message_bytes = bytes(case, "i_message_hex");
        let message = Message::decode(&message_bytes).unwrap();
        let Some(Payload::Sign(signature)) = message.payloads.last() else { panic!("{name}") };
        let signer = bytes(&case["signature"], "signer_uid");
        let signed_len = message_bytes.len() - signature.data.len();
        eccsi::verify(&kpak, &signer, &message_bytes[..signed_len], &signature.data)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        // Without the 2-byte SIGN header (older Alea/Softil senders) it does not verify.
        let without_header = eccsi::verify(&kpak, &signer, &message_bytes[..signed_len - 2], &signature.data);
        assert_eq!(without_header.unwrap_err().kind(), ErrorKind::AuthFailed, "{name}");
        // Nor with one byte of the message changed.
        let mut tampered = message_bytes[..signed_len].to_vec();
        tampered[40] ^= 1;
        assert!(eccsi::verify(&kpak, &signer, &tampered, &signature.data).is_err(), "{name}");
    }
}

/// The vector user whose UID is `uid`.
fn user_with_uid<'v>(vectors: &'v Value, uid: &[u8]) -> &'v Value {
    vectors["users"].as_object().unwrap().values().find(|user| bytes(user, "uid") == uid).expect("a user with that UID")
}

#[test]
fn every_streamwide_sakke_payload_decapsulates_to_the_published_key_with_the_receiver_s_rsk() {
    let vectors = vectors();
    let z = KmsPublicKey::new(&bytes(&vectors["kms"], "Z_PubEncKey")).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let message_bytes = bytes(case, "i_message_hex");
        let message = Message::decode(&message_bytes).unwrap();
        let sed = &message.find(Payload::as_sakke).unwrap().data;
        let receiver_uid = bytes(&case["sakke"], "receiver_uid");
        let receiver = user_with_uid(&vectors, &receiver_uid);
        let identifier = Identifier::new(&receiver_uid).unwrap();
        let rsk = ReceiverSecretKey::new(&bytes(receiver, "rsk"), &identifier, &z)
            .unwrap_or_else(|error| panic!("{name}: the receiver's RSK does not validate: {error}"));
        let ssv = rsk.decapsulate(sed).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(ssv.expose(), bytes(case, "expected_key"), "{name}");
        // Another user's RSK fails the TEST check rather than giving a wrong key.
        let other = vectors["users"].as_object().unwrap().values().find(|user| bytes(user, "uid") != receiver_uid);
        let other = other.unwrap();
        let other_rsk =
            ReceiverSecretKey::new(&bytes(other, "rsk"), &Identifier::new(&bytes(other, "uid")).unwrap(), &z).unwrap();
        assert_eq!(other_rsk.decapsulate(sed).unwrap_err().kind(), ErrorKind::AuthFailed, "{name}");
    }
}

#[test]
fn what_we_encapsulate_and_sign_opens_and_verifies_with_the_vector_users_keys() {
    // A GMS of the vector KMS keys Alice with a fresh GMK: Alice's RSK opens it, and the GMS's
    // ECCSI signature over it verifies under the KPAK, with the RFC primitives alone.
    let vectors = vectors();
    let kms = &vectors["kms"];
    let z = KmsPublicKey::new(&bytes(kms, "Z_PubEncKey")).unwrap();
    let kpak = Kpak::from_bytes(&bytes(kms, "KPAK_PubAuthKey")).unwrap();
    let (gms, alice) = (&vectors["users"]["GMS"], &vectors["users"]["Alice"]);
    let alice_id = Identifier::new(&bytes(alice, "uid")).unwrap();
    let (ssv, sed) = sakke::encapsulate(&SystemRandomSource, &alice_id, &z).unwrap();
    let alice_rsk = ReceiverSecretKey::new(&bytes(alice, "rsk"), &alice_id, &z).unwrap();
    assert_eq!(alice_rsk.decapsulate(&sed).unwrap().expose(), ssv.expose());
    let gms_uid = bytes(gms, "uid");
    let signer = signing_key(&kpak, gms, &gms_uid).unwrap();
    let signature = signer.sign(&sed, &SystemRandomSource).unwrap();
    eccsi::verify(&kpak, &gms_uid, &sed, &signature.to_bytes()).unwrap();
}

#[test]
fn our_gmk_i_message_verifies_and_decapsulates_with_the_rfc_primitives_alone() {
    // The method's own I_MESSAGE (GMS -> Alice), checked the way an independent receiver would:
    // decode, ECCSI over the message up to the signature with its SIGN header (RFC 3830 §5.2)
    // under the GMS's UID, SAKKE with Alice's RSK.
    let vectors = vectors();
    let clock = common::TestClock::at(common::STREAMWIDE_T);
    let gms = common::streamwide_user_config(&vectors, "GMS", &clock, 0);
    let mut initiator = mikey::Session::new(&gms, mikey::Role::Initiator).unwrap();
    let gmk = [0x3C; 16];
    initiator.set_mcptt_key(mikey::mcptt::McpttKey::new(0x0ABC_DEF0, &gmk).unwrap()).unwrap();
    let alice = &vectors["users"]["Alice"];
    let alice_uri = alice["uri"].as_str().unwrap().to_owned();
    initiator.set_mcptt_peer(mikey::mcptt::McpttPeer { uri: alice_uri, kms_uri: None }).unwrap();
    let message_bytes = initiator.create_message().unwrap();
    let message = Message::decode(&message_bytes).unwrap();
    let Some(Payload::Sign(signature)) = message.payloads.last() else { panic!("SIGN last") };
    assert_eq!(signature.sig_type, 2);
    let kpak = Kpak::from_bytes(&bytes(&vectors["kms"], "KPAK_PubAuthKey")).unwrap();
    let signed_len = message_bytes.len() - signature.data.len();
    let gms_uid = bytes(&vectors["users"]["GMS"], "uid");
    eccsi::verify(&kpak, &gms_uid, &message_bytes[..signed_len], &signature.data).unwrap();
    let z = KmsPublicKey::new(&bytes(&vectors["kms"], "Z_PubEncKey")).unwrap();
    let alice_uid = bytes(alice, "uid");
    let rsk = ReceiverSecretKey::new(&bytes(alice, "rsk"), &Identifier::new(&alice_uid).unwrap(), &z).unwrap();
    let sed = &message.find(Payload::as_sakke).unwrap().data;
    assert_eq!(rsk.decapsulate(sed).unwrap().expose(), gmk);
    // The identities it names: the GMS's and Alice's UIDs (IDR roles 8 and 9).
    let uids: Vec<(u8, Vec<u8>)> =
        message.payloads.iter().filter_map(Payload::as_id_with_role).map(|idr| (idr.role, idr.data.to_vec())).collect();
    assert!(uids.contains(&(8, gms_uid)) && uids.contains(&(9, alice_uid)));
}
