//! Fuzzes the 3GPP key parameters of MIKEY-SAKKE (TS 33.180 E.6): `KeyParametersExtension`
//! (the type-7 extension's data, protected or legacy clear) and `KeyParameters` (the decrypted
//! IE).
//!
//! Asserts, for every input: no panic; whatever decodes re-encodes byte for byte (every field
//! is fixed or length-prefixed, so decoding is canonical) and decodes again to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mikey::wire::{KeyParameters, KeyParametersExtension};

fuzz_target!(|data: &[u8]| {
    if let Ok(extension) = KeyParametersExtension::decode(data) {
        let bytes = extension.encode().expect("a decoded extension re-encodes");
        assert_eq!(bytes, data, "the extension does not re-encode byte for byte");
        assert_eq!(KeyParametersExtension::decode(&bytes).expect("decodes again"), extension);
    }
    if let Ok(parameters) = KeyParameters::decode(data) {
        let bytes = parameters.encode().expect("decoded key parameters re-encode");
        assert_eq!(bytes, data, "the key parameters do not re-encode byte for byte");
        assert_eq!(KeyParameters::decode(&bytes).expect("decodes again"), parameters);
    }
});
