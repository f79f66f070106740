//! Fuzzes `Message::decode` and `Message::decode_with` (with and without the trailing padding
//! byte option).
//!
//! Asserts, for every input:
//! * no panic (libFuzzer reports any panic, overflow or out-of-memory as a crash);
//! * strict and padded decoding agree: a strict success is also a padded success with the same
//!   message and length; a padded-only success is exactly one byte longer than a strict success
//!   of the prefix;
//! * a decoded message re-encodes, the encoding has the decoded length, and it decodes back to
//!   an equal `Message`;
//! * `SrtpPolicy::from_security_policy` runs (Ok or Err) on every SP payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mikey::srtp::SrtpPolicy;
use mikey::wire::{DecodeOptions, Message};

const PADDED: DecodeOptions = DecodeOptions { allow_trailing_padding_byte: true };

fn check_decoded(message: &Message, decoded_len: usize) {
    let bytes = match message.encode() {
        Ok(bytes) => bytes,
        Err(error) => panic!("decoded message does not re-encode: {error}\n{message:#?}"),
    };
    assert_eq!(bytes.len(), decoded_len, "re-encoding changed the length\n{message:#?}");
    let again = match Message::decode(&bytes) {
        Ok(again) => again,
        Err(error) => panic!("re-encoded message does not decode: {error}\n{message:#?}"),
    };
    assert_eq!(&again, message, "decode(encode(m)) != m");
    for policy in message.payloads.iter().filter_map(|payload| payload.as_security_policy()) {
        let _ = SrtpPolicy::from_security_policy(policy);
    }
}

fuzz_target!(|data: &[u8]| {
    let strict = Message::decode(data);
    let padded = Message::decode_with(data, PADDED);
    match (&strict, &padded) {
        (Ok(message), Ok((padded_message, len))) => {
            assert_eq!(message, padded_message, "the padding option changed a strict decode");
            assert_eq!(*len, data.len());
            check_decoded(message, data.len());
        }
        (Ok(_), Err(error)) => panic!("strict decode succeeded but padded decode failed: {error}"),
        (Err(_), Ok((message, len))) => {
            assert_eq!(*len + 1, data.len(), "padded decode accepted more than one extra byte");
            let prefix = Message::decode(&data[..*len]).expect("the unpadded prefix must decode strictly");
            assert_eq!(&prefix, message);
            check_decoded(message, *len);
        }
        (Err(_), Err(_)) => {}
    }
});
