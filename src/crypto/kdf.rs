//! Key derivation from a TGK (RFC 3830 §4.1.3) and from a pre-shared/envelope key (§4.1.4).

use super::prf::{prf, PrfFunction};
use crate::secret::SecretBytes;

/// RFC 3830 §4.1.3 constants: Tek 0x2AD01C64, AuthKey 0x1B5C7973, EncrKey 0x15798CEF, Salt 0x39A2C14B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TgkKeyPurpose {
    /// Traffic-encrypting key (0x2AD01C64).
    Tek,
    /// Salting key (0x39A2C14B).
    Salt,
    /// Security-protocol authentication key (0x1B5C7973).
    AuthKey,
    /// Security-protocol encryption key (0x15798CEF).
    EncrKey,
}

impl TgkKeyPurpose {
    /// The label constant of RFC 3830 Table 4.1.3.
    pub fn constant(self) -> u32 {
        match self {
            TgkKeyPurpose::Tek => 0x2AD0_1C64,
            TgkKeyPurpose::AuthKey => 0x1B5C_7973,
            TgkKeyPurpose::EncrKey => 0x1579_8CEF,
            TgkKeyPurpose::Salt => 0x39A2_C14B,
        }
    }
}

/// RFC 3830 §4.1.4 constants: EncrKey 0x150533E1, AuthKey 0x2D22AC75, Salt 0x29B88916.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeKeyPurpose {
    /// KEMAC encryption key (0x150533E1).
    EncrKey,
    /// KEMAC / verification-message authentication key (0x2D22AC75).
    AuthKey,
    /// KEMAC salting key (0x29B88916).
    Salt,
}

impl EnvelopeKeyPurpose {
    /// The label constant of RFC 3830 Table 4.1.4.
    pub fn constant(self) -> u32 {
        match self {
            EnvelopeKeyPurpose::EncrKey => 0x1505_33E1,
            EnvelopeKeyPurpose::AuthKey => 0x2D22_AC75,
            EnvelopeKeyPurpose::Salt => 0x29B8_8916,
        }
    }
}

fn derive(function: PrfFunction, inkey: &[u8], label: &[u8], out_len: usize) -> SecretBytes {
    let mut out = SecretBytes::zeroed(out_len);
    prf(function, inkey, label, out.expose_mut());
    out
}

/// §4.1.3: label = constant || cs_id || csb_id (big-endian u32) || RAND; output `out_len` bytes.
pub fn derive_from_tgk(
    function: PrfFunction,
    tgk: &[u8],
    purpose: TgkKeyPurpose,
    cs_id: u8,
    csb_id: u32,
    rand: &[u8],
    out_len: usize,
) -> SecretBytes {
    let mut label = Vec::with_capacity(9 + rand.len());
    label.extend_from_slice(&purpose.constant().to_be_bytes());
    label.push(cs_id);
    label.extend_from_slice(&csb_id.to_be_bytes());
    label.extend_from_slice(rand);
    derive(function, tgk, &label, out_len)
}

/// §4.1.4: label = constant || 0xFF || csb_id || RAND; inkey is the PSK or envelope key.
pub fn derive_from_envelope(
    function: PrfFunction,
    envelope_key: &[u8],
    purpose: EnvelopeKeyPurpose,
    csb_id: u32,
    rand: &[u8],
    out_len: usize,
) -> SecretBytes {
    let mut label = Vec::with_capacity(9 + rand.len());
    label.extend_from_slice(&purpose.constant().to_be_bytes());
    label.push(0xFF);
    label.extend_from_slice(&csb_id.to_be_bytes());
    label.extend_from_slice(rand);
    derive(function, envelope_key, &label, out_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn constants_match_rfc_tables() {
        assert_eq!(TgkKeyPurpose::Tek.constant(), 0x2AD01C64);
        assert_eq!(TgkKeyPurpose::AuthKey.constant(), 0x1B5C7973);
        assert_eq!(TgkKeyPurpose::EncrKey.constant(), 0x15798CEF);
        assert_eq!(TgkKeyPurpose::Salt.constant(), 0x39A2C14B);
        assert_eq!(EnvelopeKeyPurpose::EncrKey.constant(), 0x150533E1);
        assert_eq!(EnvelopeKeyPurpose::AuthKey.constant(), 0x2D22AC75);
        assert_eq!(EnvelopeKeyPurpose::Salt.constant(), 0x29B88916);
        // Table 4.1.3 note: 718281828 = 0x2AD01C64 (digits of e).
        assert_eq!(TgkKeyPurpose::Tek.constant(), 718_281_828);
    }

    #[test]
    fn tgk_label_layout() {
        // Same as calling the PRF with the label printed in mikey_prf_helper_computed.json.
        let tgk = hex("000102030405060708090A0B0C0D0E0F");
        let rand = hex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
        let got = derive_from_tgk(PrfFunction::MikeyHmacSha1, &tgk, TgkKeyPurpose::Tek, 1, 0x1234_5678, &rand, 16);
        let mut want = [0u8; 16];
        prf(PrfFunction::MikeyHmacSha1, &tgk, &hex("2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), &mut want);
        assert_eq!(got.expose(), &want);
        assert_eq!(got.expose(), hex("9BA4F67E6A85E7E7E9AA57681CA1F27D").as_slice());
    }

    #[test]
    fn envelope_label_layout() {
        let psk = hex("101112131415161718191A1B1C1D1E1F");
        let rand = hex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
        let got =
            derive_from_envelope(PrfFunction::MikeyHmacSha1, &psk, EnvelopeKeyPurpose::EncrKey, 0x1234_5678, &rand, 16);
        let mut want = [0u8; 16];
        prf(PrfFunction::MikeyHmacSha1, &psk, &hex("150533E1FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), &mut want);
        assert_eq!(got.expose(), &want);
        assert_eq!(got.expose(), hex("82222D40DB0CDC619E2549EF2C27EF32").as_slice());
    }

    #[test]
    fn zero_length_output() {
        let k = derive_from_tgk(PrfFunction::HmacSha256, &[1; 16], TgkKeyPurpose::Salt, 0, 0, &[], 0);
        assert!(k.is_empty());
    }
}
