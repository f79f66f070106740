//! MCPTT key identifiers and derivations against tests/vectors/mcptt_uid_guk_srtp_vectors.json
//! (TS 33.180: UID F.2.1, GUK-ID F.1.3, SRTP master keys 7.4 with PRF-HMAC-SHA-256, DPCK) and
//! the RFC 6509 §3.2 identifier example; each known answer is also recomputed in the test from
//! the primitive (SHA-256, HMAC-SHA-256) where the vector gives the hash input.

use std::path::Path;

use mikey::crypto::{PrfFunction, TgkDeriver, TgkKeyPurpose};
use mikey::mcptt::{
    dpck, gmk_id_of_guk_id, guk_id, key_period_number, open_key_parameters, seal_key_parameters, tel_uri_identifier,
    uid, KeyPurpose, UidInputs,
};
use mikey::wire::{KeyParametersExtension, Message, Payload};
use mikey::ErrorKind;
use serde_json::Value;

fn unhex(text: &str) -> Vec<u8> {
    let text = if text.len() % 2 == 1 { format!("0{text}") } else { text.to_owned() };
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn vectors(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(file);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn cases(name: &str) -> Vec<Value> {
    vectors("mcptt_uid_guk_srtp_vectors.json")[name].as_array().unwrap().clone()
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or_else(|| panic!("{key}"))
}

fn hex32(value: &Value, key: &str) -> u32 {
    u32::from_str_radix(text(value, key), 16).unwrap()
}

#[test]
fn uids_are_the_sha_256_of_the_ts_33_180_f_2_1_string() {
    let cases = cases("uid_cases");
    assert_eq!(cases.len(), 9);
    for case in cases {
        let inputs = UidInputs {
            user_uri: text(&case, "identifier_P1"),
            kms_uri: text(&case, "kms_uri_P2"),
            key_period_secs: case["key_period_P3"].as_u64().unwrap(),
            key_period_offset_secs: case["key_period_offset_P4"].as_u64().unwrap(),
            key_period_number: case["key_period_no_P5"].as_u64().unwrap(),
        };
        let expected = unhex(text(&case, "expected_uid"));
        assert_eq!(uid(&inputs).unwrap().to_vec(), expected, "{inputs:?}");
        // The hash input the vector spells out hashes to the same UID (independent of `uid`).
        assert_eq!(mikey::crypto::sha256(&unhex(text(&case, "hash_input_S"))).to_vec(), expected);
    }
}

#[test]
fn guk_ids_hide_the_gmk_id_per_receiver_and_give_it_back() {
    let cases = cases("guk_id_cases");
    assert_eq!(cases.len(), 7);
    for case in cases {
        let receiver = text(&case, "p0_mc_service_user_id");
        let gmk = unhex(text(&case, "gmk"));
        let (gmk_id, expected) = (hex32(&case, "gmk_id"), hex32(&case, "expected_guk_id"));
        assert_eq!(guk_id(&gmk, gmk_id, receiver).unwrap(), expected, "{receiver}");
        assert_eq!(gmk_id_of_guk_id(&gmk, expected, receiver).unwrap(), gmk_id, "{receiver}");
        assert_eq!(KeyPurpose::of_key_id(expected), KeyPurpose::of_key_id(gmk_id), "the purpose nibble is kept");
        // The KDF output the vector gives is HMAC-SHA-256(GMK, S) of its spelled-out S.
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &gmk);
        let output = aws_lc_rs::hmac::sign(&key, &unhex(text(&case, "kdf_input_S")));
        assert_eq!(output.as_ref(), unhex(text(&case, "kdf_output_hmac_sha256")));
        // Another receiver gets another GUK-ID.
        assert_ne!(guk_id(&gmk, gmk_id, "sip:someone-else@example.org").unwrap(), expected);
    }
}

#[test]
fn srtp_master_keys_come_from_the_key_with_prf_hmac_sha_256_and_the_key_id_as_csb_id() {
    let cases = cases("srtp_master_cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        let deriver = TgkDeriver::new(
            PrfFunction::HmacSha256,
            &unhex(text(&case, "tgk")),
            hex32(&case, "csb_id"),
            &unhex(text(&case, "rand")),
        );
        let cs_id = case["cs_id"].as_u64().unwrap() as u8;
        let mut key = [0; 16];
        let mut salt = [0; 12];
        deriver.derive(TgkKeyPurpose::Tek, cs_id, &mut key);
        deriver.derive(TgkKeyPurpose::Salt, cs_id, &mut salt);
        assert_eq!(key.to_vec(), unhex(text(&case, "expected_master_key_16")), "CS {cs_id}");
        assert_eq!(salt.to_vec(), unhex(text(&case, "expected_master_salt_12")), "CS {cs_id}");
    }
}

#[test]
fn the_dpck_is_the_low_128_bits_of_the_fc_0x53_kdf() {
    for case in cases("dpck_cases") {
        let key = dpck(&unhex(text(&case, "dppk")), hex32(&case, "dppk_id")).unwrap();
        assert_eq!(key.to_vec(), unhex(text(&case, "expected_dpck")));
    }
}

#[test]
fn the_streamwide_messages_key_ids_and_key_periods_are_what_these_helpers_compute() {
    let streamwide = vectors("mikey_sakke_streamwide_e2e.json");
    let kms = &streamwide["kms"];
    let period = kms["user_key_period_s"].as_u64().unwrap();
    let offset = kms["user_key_offset_s"].as_u64().unwrap();
    for case in streamwide["cases"].as_array().unwrap() {
        let name = text(case, "name");
        let t = &case["payloads"][1]["fields"];
        let ntp = u64::from_str_radix(text(t, "value"), 16).unwrap();
        assert_eq!(key_period_number(ntp, period, offset), Some(236), "{name}");
        // The responder's UID in IDR role 9 is the UID of its URI in that period.
        let responder = text(case, "responder");
        let inputs = UidInputs {
            user_uri: responder,
            kms_uri: text(kms, "kms_uri"),
            key_period_secs: period,
            key_period_offset_secs: offset,
            key_period_number: 236,
        };
        assert_eq!(uid(&inputs).unwrap().to_vec(), unhex(text(&case["sakke"], "receiver_uid")), "{name}");
        let guk = &case["guk_id"];
        if guk.is_object() {
            let key = unhex(text(case, "expected_key"));
            let csb_id = hex32(guk, "guk_id");
            assert_eq!(gmk_id_of_guk_id(&key, csb_id, responder).unwrap(), hex32(case, "expected_key_id"), "{name}");
        }
    }
}

#[test]
fn the_rfc_6509_identifier_is_the_month_and_the_tel_uri() {
    let example = &vectors("rfc6509_sakke_parameter_set_1.json")["identifier_example"];
    // 2011-02-14T00:00:00Z as NTP seconds.
    let ntp = (2_208_988_800u64 + 1_297_641_600) << 32;
    assert_eq!(tel_uri_identifier(ntp, text(example, "tel_uri")), unhex(text(example, "hex")));
}

#[test]
fn the_streamwide_key_parameters_open_under_the_dpck_and_refuse_any_change() {
    let streamwide = vectors("mikey_sakke_streamwide_e2e.json");
    let mut opened = 0;
    for case in streamwide["cases"].as_array().unwrap() {
        let name = text(case, "name");
        let bytes = unhex(text(case, "i_message_hex"));
        let message = Message::decode(&bytes).unwrap();
        let extension = message.payloads.iter().filter_map(Payload::as_general_extension).find(|e| e.ext_type == 7);
        let Ok(KeyParametersExtension::Protected(protected)) = KeyParametersExtension::decode(&extension.unwrap().data)
        else {
            continue; // the legacy clear form
        };
        let dppk = unhex(text(case, "expected_key"));
        let expected = &case["genext_type7_decrypted"];
        assert_eq!(dpck(&dppk, protected.dppk_id).unwrap().to_vec(), unhex(text(expected, "dpck")), "{name}");
        let plaintext = open_key_parameters(&protected, &dppk).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plaintext.expose(), unhex(text(expected, "plaintext_key_parameters")), "{name}");
        // Sealing it again with the same IV gives the same bytes.
        let mut resealed = protected.clone();
        seal_key_parameters(&mut resealed, &dppk, plaintext.expose()).unwrap();
        assert_eq!(resealed, protected, "{name}");
        // A changed ciphertext, field or key fails the tag.
        let mut tampered = protected.clone();
        tampered.ciphertext.to_mut()[0] ^= 1;
        assert_eq!(open_key_parameters(&tampered, &dppk).unwrap_err().kind(), ErrorKind::AuthFailed);
        let mut other_time = protected.clone();
        other_time.date_time[4] ^= 1;
        assert_eq!(open_key_parameters(&other_time, &dppk).unwrap_err().kind(), ErrorKind::AuthFailed);
        let mut other_key = dppk.clone();
        other_key[0] ^= 1;
        assert_eq!(open_key_parameters(&protected, &other_key).unwrap_err().kind(), ErrorKind::AuthFailed);
        opened += 1;
    }
    assert_eq!(opened, 3);
}
