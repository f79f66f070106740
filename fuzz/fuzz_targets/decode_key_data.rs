//! Fuzzes `KeyDataList::decode` (KEMAC plaintext) with `leading_id` false and true.
//!
//! Asserts, for every input and both `leading_id` values:
//! * no panic;
//! * a decoded list re-encodes, and the encoding is byte-identical to the input (the key data
//!   format has no free bits, so decoding is canonical);
//! * the encoding decodes again to the same structure: ID, key types, key and salt bytes
//!   (compared via `expose()`, since `SecretBytes` has no `PartialEq`) and key validity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mikey::wire::KeyDataList;

fn assert_same(got: &KeyDataList, want: &KeyDataList) {
    assert_eq!(got.id, want.id, "ID payload differs");
    assert_eq!(got.keys.len(), want.keys.len(), "key count differs");
    for (index, (got, want)) in got.keys.iter().zip(&want.keys).enumerate() {
        assert_eq!(got.key_type, want.key_type, "key {index}: type differs");
        assert_eq!(got.key.expose(), want.key.expose(), "key {index}: key bytes differ");
        assert_eq!(
            got.salt.as_ref().map(|salt| salt.expose()),
            want.salt.as_ref().map(|salt| salt.expose()),
            "key {index}: salt differs"
        );
        assert_eq!(got.validity, want.validity, "key {index}: validity differs");
    }
}

fuzz_target!(|data: &[u8]| {
    for leading_id in [false, true] {
        let Ok(list) = KeyDataList::decode(data, leading_id) else { continue };
        assert_eq!(list.id.is_some(), leading_id, "ID presence must follow leading_id");
        let bytes = match list.encode() {
            Ok(bytes) => bytes,
            Err(error) => panic!("decoded key data does not re-encode (leading_id {leading_id}): {error}"),
        };
        assert_eq!(bytes.expose(), data, "re-encoding is not byte-identical (leading_id {leading_id})");
        let again = match KeyDataList::decode(bytes.expose(), leading_id) {
            Ok(again) => again,
            Err(error) => panic!("re-encoded key data does not decode (leading_id {leading_id}): {error}"),
        };
        assert_same(&again, &list);
    }
});
