//! MIKEY-SAKKE on the wire (RFC 6509, TS 33.180): the four Streamwide I_MESSAGEs of
//! tests/vectors/mikey_sakke_streamwide_e2e.json decode payload by payload as the vector file
//! annotates them, their 3GPP key parameters decode in both forms, and every message encodes
//! back to its own bytes.

use std::path::Path;

use mikey::wire::registry::{extension_type, id_role, id_scheme, sakke_params, signature_type};
use mikey::wire::{
    CsIdMap, DataType, KeyParameters, KeyParametersExtension, Message, Payload, PayloadType, TimestampType,
};
use serde_json::Value;

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim_start_matches("0x");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mikey_sakke_streamwide_e2e.json");
    let json: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or_else(|| panic!("{key}"))
}

#[test]
fn streamwide_i_messages_decode_as_annotated_and_encode_back_byte_for_byte() {
    for case in cases() {
        let name = text(&case, "name");
        let bytes = unhex(text(&case, "i_message_hex"));
        let message = Message::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(message.encode().unwrap(), bytes, "{name}");

        // The header: data type 26, PRF-HMAC-SHA-256, the CSB ID the vector names.
        let header = &message.header;
        let annotated = &case["payloads"][0]["fields"];
        assert_eq!(header.data_type, DataType::SakkeInit, "{name}");
        assert_eq!((header.prf_function, header.verification_requested), (1, false), "{name}");
        assert_eq!(header.csb_id, u32::from_str_radix(text(annotated, "csb_id"), 16).unwrap(), "{name}");
        match (&header.cs_id_map, annotated["map_type"].as_u64().unwrap()) {
            (CsIdMap::GenericId(entries), 2) => {
                let expected = &annotated["map"][0];
                assert_eq!(entries.len(), 1);
                assert_eq!(u64::from(entries[0].cs_id), expected["cs_id"].as_u64().unwrap(), "{name}");
                assert_eq!(*entries[0].spi, unhex(text(expected, "spi")), "{name}");
            }
            // The legacy IWF message keys SRTP streams by SSRC.
            (CsIdMap::SrtpId(map), 0) => {
                let entries: Vec<u8> = map
                    .entries()
                    .flat_map(|entry| {
                        [&[entry.policy_no][..], &entry.ssrc.to_be_bytes(), &entry.roc.to_be_bytes()].concat()
                    })
                    .collect();
                assert_eq!(entries, unhex(text(annotated, "map")), "{name}");
            }
            // PCK: #CS 0, empty map, and still an SP payload (TS 33.180 E.3.1; notes §1.2).
            (CsIdMap::Empty { cs_count: 0 }, 1) => assert!(message.find(Payload::as_security_policy).is_some()),
            (map, map_type) => panic!("{name}: {map:?} where the vector says map type {map_type}"),
        }

        // Every payload in the vector's order, with its type.
        let annotated: Vec<&str> =
            case["payloads"].as_array().unwrap()[1..].iter().map(|p| text(p, "payload")).collect();
        let decoded: Vec<&str> = message
            .payloads
            .iter()
            .map(|payload| match payload.payload_type() {
                PayloadType::Timestamp => "T",
                PayloadType::Rand => "RAND",
                PayloadType::IdWithRole => "IDR",
                PayloadType::SecurityPolicy => "SP",
                PayloadType::Sakke => "SAKKE",
                PayloadType::GeneralExtension => "GENEXT",
                PayloadType::Sign => "SIGN",
                other => panic!("{name}: unexpected {other:?}"),
            })
            .collect();
        assert_eq!(decoded, annotated, "{name}");
        assert_eq!(message.find(Payload::as_timestamp).unwrap().ts_type, TimestampType::NtpUtc);

        // IDRs: the hashed initiator and responder (roles 8, 9) and both KMSs (6, 7).
        let idrs: Vec<_> = message.payloads.iter().filter_map(Payload::as_id_with_role).collect();
        let roles: Vec<u8> = idrs.iter().map(|idr| idr.role).collect();
        assert_eq!(
            roles,
            [id_role::INITIATOR_UID, id_role::RESPONDER_UID, id_role::INITIATOR_KMS, id_role::RESPONDER_KMS]
        );
        for (idr, annotated) in
            idrs.iter().zip(case["payloads"].as_array().unwrap().iter().filter(|p| p["payload"] == "IDR"))
        {
            assert_eq!(*idr.data, unhex(text(&annotated["fields"], "data")), "{name}");
        }
        assert_eq!(idrs[1].data.len(), 32, "a UID");
        assert_eq!(*idrs[1].data, unhex(text(&case["sakke"], "receiver_uid")), "{name}");

        // SAKKE: Parameter Set 1, hashed UIDs, a 273-octet SED.
        let sakke = message.find(Payload::as_sakke).unwrap();
        assert_eq!((sakke.params, sakke.id_scheme), (sakke_params::PARAMETER_SET_1, id_scheme::HASHED_UID));
        assert_eq!((sakke.data.len(), sakke.data[0]), (273, 0x04), "{name}");

        // SIGN: ECCSI, r || s || PVT as the vector reads it.
        let Some(Payload::Sign(signature)) = message.payloads.last() else { panic!("{name}: SIGN last") };
        let annotated = &case["signature"];
        assert_eq!(signature.sig_type, signature_type::ECCSI);
        let expected: Vec<u8> = ["r", "s", "pvt"].iter().flat_map(|part| unhex(text(annotated, part))).collect();
        assert_eq!(*signature.data, expected, "{name}");
    }
}

#[test]
fn the_3gpp_key_parameters_decode_in_the_protected_and_the_legacy_form() {
    for case in cases() {
        let name = text(&case, "name");
        let bytes = unhex(text(&case, "i_message_hex"));
        let message = Message::decode(&bytes).unwrap();
        let extension = message
            .payloads
            .iter()
            .filter_map(Payload::as_general_extension)
            .find(|extension| extension.ext_type == extension_type::KEY_PARAMETERS_3GPP)
            .unwrap();
        match KeyParametersExtension::decode(&extension.data).unwrap() {
            KeyParametersExtension::Protected(protected) => {
                let expected = &case["genext_type7_decrypted"];
                assert_eq!(format!("{:#04x}", protected.message_type), text(expected, "message_type"));
                assert_eq!(protected.date_time.to_vec(), unhex(text(expected, "date_time_5B")));
                assert_eq!(protected.iv.to_vec(), unhex(text(expected, "iv_16B")), "{name}");
                assert_eq!(protected.dppk_id, message.header.csb_id, "{name}: DPPK-ID = CSB ID");
                assert_eq!(u64::from(protected.payload_algorithm), expected["payload_algorithm"].as_u64().unwrap());
                assert_eq!(*protected.ciphertext, unhex(text(expected, "ciphertext_and_tag")), "{name}");
                assert_eq!(protected.associated_data().to_vec(), unhex(text(expected, "aad_32B")), "{name}");
                assert_eq!(protected.encode().unwrap(), *extension.data, "{name}");
                // The decrypted IE (decryption itself is the crypto backend's).
                let plaintext = unhex(text(expected, "plaintext_key_parameters"));
                let parameters = KeyParameters::decode(&plaintext).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(parameters.status, 1, "{name}: not revoked");
                assert_eq!(parameters.encode().unwrap(), plaintext, "{name}");
                let key_type = match text(&case, "key_type") {
                    "GMK" => 0,
                    "PCK" => 1,
                    "CSK" => 2,
                    other => panic!("{other}"),
                };
                assert_eq!(parameters.key_type, key_type, "{name}");
                // Group IDs only for a GMK (TS 33.180 Table E.6.1-1).
                assert_eq!(parameters.group_ids.is_some(), key_type == 0, "{name}");
            }
            KeyParametersExtension::LegacyClear(parameters) => {
                let expected = &case["genext_type7_legacy_clear"];
                assert!(expected.is_object(), "{name}: the vector calls it legacy");
                assert_eq!((parameters.key_type, parameters.status), (0, 1), "{name}");
                assert_eq!(parameters.encode().unwrap(), *extension.data, "{name}");
            }
        }
    }
}

#[test]
fn a_sakke_message_with_a_broken_length_is_refused() {
    let case = &cases()[0];
    let bytes = unhex(text(case, "i_message_hex"));
    // Each truncation, and one byte too many, is malformed (the chain and lengths are strict).
    for cut in [1, 25, 60, 200, 300, 500, bytes.len() - 1] {
        assert!(Message::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Message::decode(&longer).is_err());
}
