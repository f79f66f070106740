//! The KMS's XML (TS 33.180 Annex D): a KmsInit with a KMS certificate and a KmsKeyProv with a
//! user's key set, written here with the Streamwide vector's KMS and Alice's keys
//! (tests/vectors/mikey_sakke_streamwide_e2e.json), parse to those bytes; hex and base64 UIDs
//! both read; malformed documents, wrong lengths and TrK-encrypted keys are refused.
#![cfg(feature = "kms-xml")]

use std::path::Path;

use mikey::kms_xml::{parse_kms_response, KmsResponse};
use mikey::ErrorKind;
use serde_json::Value;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mikey_sakke_streamwide_e2e.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn response(message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<KmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Id="xmldoc">
  <UserUri>sip:alice@streamwide</UserUri>
  <KmsUri>kms.mydev.streamwide.com</KmsUri>
  <Time>2026-12-03T12:00:00</Time>
  <ClientReqUrl>https://kms.example.org/keymanagement/identity/v1/init</ClientReqUrl>
  <KmsMessage>{message}</KmsMessage>
</KmsResponse>"#
    )
}

fn init(z: &str, kpak: &str) -> String {
    let kms = &vectors()["kms"];
    response(&format!(
        r#"<KmsInit Version="1.0.0" xsi:type="KmsInitTkIkType">
      <KmsCertificate Version="1.1.0" Role="Root">
        <KmsUri>{}</KmsUri>
        <UserIdFormat>2</UserIdFormat>
        <UserKeyPeriod>{}</UserKeyPeriod>
        <UserKeyOffset>{}</UserKeyOffset>
        <PubEncKey>{z}</PubEncKey>
        <PubAuthKey>{kpak}</PubAuthKey>
      </KmsCertificate>
    </KmsInit>"#,
        kms["kms_uri"].as_str().unwrap(),
        kms["user_key_period_s"],
        kms["user_key_offset_s"],
    ))
}

fn key_prov(user_id: &str, rsk: &str) -> String {
    let vectors = vectors();
    let alice = &vectors["users"]["Alice"];
    response(&format!(
        r#"<KmsKeyProv Version="1.0.0" xsi:type="KmsKeyProvTkIkType">
      <KmsKeySet Version="1.1.0">
        <KmsUri>{}</KmsUri>
        <UserUri>{}</UserUri>
        <UserID>{user_id}</UserID>
        <KeyPeriodNo>{}</KeyPeriodNo>
        <UserDecryptKey>{rsk}</UserDecryptKey>
        <UserSigningKeySSK>{}</UserSigningKeySSK>
        <UserPubTokenPVT>{}</UserPubTokenPVT>
      </KmsKeySet>
    </KmsKeyProv>"#,
        vectors["kms"]["kms_uri"].as_str().unwrap(),
        alice["uri"].as_str().unwrap(),
        alice["key_period_no"],
        alice["ssk"].as_str().unwrap(),
        alice["pvt"].as_str().unwrap(),
    ))
}

#[test]
fn a_kms_certificate_reads_with_the_community_s_keys_and_periods() {
    let vectors = vectors();
    let kms = &vectors["kms"];
    let (z, kpak) = (kms["Z_PubEncKey"].as_str().unwrap(), kms["KPAK_PubAuthKey"].as_str().unwrap());
    let KmsResponse::Certificates(certificates) = parse_kms_response(&init(z, kpak)).unwrap() else { panic!() };
    let [certificate] = certificates.as_slice() else { panic!("one certificate") };
    assert_eq!(certificate.kms_uri, kms["kms_uri"].as_str().unwrap());
    assert_eq!(certificate.user_id_format.as_deref(), Some("2"));
    assert_eq!(certificate.role.as_deref(), Some("Root"));
    assert_eq!(certificate.user_key_period_secs, kms["user_key_period_s"].as_u64().unwrap());
    assert_eq!(certificate.public_encryption_key, unhex(z));
    assert_eq!(certificate.public_authentication_key, unhex(kpak));
    // A KPAK of the wrong length is refused.
    let error = parse_kms_response(&init(z, &kpak[2..])).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Malformed);
    assert!(error.to_string().contains("PubAuthKey"), "{error}");
}

#[test]
fn a_key_set_reads_with_a_hex_or_a_base64_user_id() {
    use base64::Engine as _;
    let vectors = vectors();
    let alice = &vectors["users"]["Alice"];
    let (uid, rsk) = (alice["uid"].as_str().unwrap(), alice["rsk"].as_str().unwrap());
    let base64_uid = base64::engine::general_purpose::STANDARD.encode(unhex(uid));
    for user_id in [uid.to_owned(), uid.to_lowercase(), base64_uid] {
        let KmsResponse::KeySets(sets) = parse_kms_response(&key_prov(&user_id, rsk)).unwrap() else { panic!() };
        let [set] = sets.as_slice() else { panic!("one key set") };
        assert_eq!(set.user_id, unhex(uid), "{user_id}");
        assert_eq!(set.key_period_number, 236);
        assert_eq!(set.rsk.expose(), unhex(rsk));
        assert_eq!(set.ssk.expose(), unhex(alice["ssk"].as_str().unwrap()));
        assert_eq!(set.pvt, unhex(alice["pvt"].as_str().unwrap()));
    }
    assert_eq!(parse_kms_response(&key_prov("not a uid", rsk)).unwrap_err().kind(), ErrorKind::Malformed);
}

#[test]
fn trk_encrypted_keys_are_refused_naming_the_open_specification_point() {
    let vectors = vectors();
    let uid = vectors["users"]["Alice"]["uid"].as_str().unwrap();
    let encrypted = r#"<EncryptedKey xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherData><CipherValue>AAAA</CipherValue></CipherData></EncryptedKey>"#;
    let error = parse_kms_response(&key_prov(uid, encrypted)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(error.to_string().contains("TrK-encrypted") && error.to_string().contains("9.3.4.2"), "{error}");
}

#[test]
fn documents_that_are_not_kms_responses_are_refused() {
    for document in [
        "",
        "<KmsResponse/>",
        r#"<KmsResponse xmlns="urn:other"><KmsMessage/></KmsResponse>"#,
        r#"<KmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"></KmsResponse>"#,
        r#"<KmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"><KmsMessage><Other/></KmsMessage></KmsResponse>"#,
        "<unclosed",
    ] {
        assert!(parse_kms_response(document).is_err(), "{document}");
    }
}
