//! Key derivation from a TGK (RFC 3830 §4.1.3) and from a pre-shared/envelope key (§4.1.4), and
//! the 3GPP generic KDF (TS 33.220 Annex B.2) that MCPTT key identifiers use.

use std::fmt;

use super::prf::{PrfFunction, PrfKey};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// Largest RAND a RAND payload can carry (8-bit length field, RFC 3830 §6.11).
const MAX_RAND_LEN: usize = 255;

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

/// RAND as kept by a deriver: inline up to [`MAX_RAND_LEN`] bytes (no allocation), on the heap
/// beyond (only possible through the public constructors, never from a RAND payload).
struct Rand {
    inline_len: u8,
    inline: [u8; MAX_RAND_LEN],
    /// Empty (unallocated) unless RAND is longer than [`MAX_RAND_LEN`].
    heap: Vec<u8>,
}

impl Rand {
    fn new(rand: &[u8]) -> Self {
        let mut inline = [0u8; MAX_RAND_LEN];
        match u8::try_from(rand.len()) {
            Ok(len) => {
                inline[..rand.len()].copy_from_slice(rand);
                Rand { inline_len: len, inline, heap: Vec::new() }
            }
            Err(_) => Rand { inline_len: 0, inline, heap: rand.to_vec() },
        }
    }

    fn as_slice(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline[..usize::from(self.inline_len)]
        } else {
            &self.heap
        }
    }
}

/// The label bytes after the constant (`cs_id` or 0xFF, then csb_id) and RAND.
struct LabelTail {
    csb_id: [u8; 4],
    rand: Rand,
}

impl LabelTail {
    /// Runs the PRF on constant || byte || csb_id || RAND, without building the label.
    fn derive(&self, key: &PrfKey, constant: u32, byte: u8, out: &mut [u8]) {
        let mut head = [0u8; 9];
        head[..4].copy_from_slice(&constant.to_be_bytes());
        head[4] = byte;
        head[5..].copy_from_slice(&self.csb_id);
        key.derive_parts(&[&head, self.rand.as_slice()], out);
    }
}

/// Derives each crypto session's keys (TEK, salt, ...) from a CSB's TGK: with RFC 3830 §4.1.3's
/// labels ([`TgkDeriver`]) or RFC 6043 §5.1.3's ([`super::ticket_kdf::TicketTrafficKeys`]).
pub trait CryptoSessionKeys: Send + Sync + fmt::Debug {
    /// Fills `out` with crypto session `cs_id`'s key for `purpose`.
    fn derive(&self, purpose: TgkKeyPurpose, cs_id: u8, out: &mut [u8]);
}

impl CryptoSessionKeys for TgkDeriver {
    fn derive(&self, purpose: TgkKeyPurpose, cs_id: u8, out: &mut [u8]) {
        TgkDeriver::derive(self, purpose, cs_id, out);
    }
}

/// Derives keys from one TGK for one CSB (RFC 3830 §4.1.3), keying the PRF once for all of them:
/// PRF(TGK, label) with label = constant || cs_id || csb_id (big-endian u32) || RAND.
///
/// The TGK's state is zeroized on drop; `Debug` shows only the PRF and the CSB ID.
pub struct TgkDeriver {
    key: PrfKey,
    tail: LabelTail,
}

impl TgkDeriver {
    /// Prepares the PRF with `tgk` for labels with this `csb_id` and `rand` (copied; inline up
    /// to the 255 bytes a RAND payload can hold).
    pub fn new(function: PrfFunction, tgk: &[u8], csb_id: u32, rand: &[u8]) -> Self {
        TgkDeriver {
            key: PrfKey::new(function, tgk),
            tail: LabelTail { csb_id: csb_id.to_be_bytes(), rand: Rand::new(rand) },
        }
    }

    /// Fills `out` with PRF(TGK, constant || cs_id || csb_id || RAND) (§4.1.3).
    pub fn derive(&self, purpose: TgkKeyPurpose, cs_id: u8, out: &mut [u8]) {
        self.tail.derive(&self.key, purpose.constant(), cs_id, out);
    }

    /// [`TgkDeriver::derive`] into a new `out_len`-byte secret.
    pub fn derive_secret(&self, purpose: TgkKeyPurpose, cs_id: u8, out_len: usize) -> SecretBytes {
        let mut out = SecretBytes::zeroed(out_len);
        self.derive(purpose, cs_id, out.expose_mut());
        out
    }
}

impl fmt::Debug for TgkDeriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TgkDeriver")
            .field("function", &self.key.function())
            .field("csb_id", &u32::from_be_bytes(self.tail.csb_id))
            .finish_non_exhaustive()
    }
}

/// Derives the message keys from one PSK or envelope key for one CSB (RFC 3830 §4.1.4), keying
/// the PRF once for all of them: PRF(key, label) with label = constant || 0xFF || csb_id
/// (big-endian u32) || RAND.
///
/// The key's state is zeroized on drop; `Debug` shows only the PRF and the CSB ID.
pub struct EnvelopeDeriver {
    key: PrfKey,
    tail: LabelTail,
}

impl EnvelopeDeriver {
    /// Prepares the PRF with `envelope_key` for labels with this `csb_id` and `rand` (copied;
    /// inline up to the 255 bytes a RAND payload can hold).
    pub fn new(function: PrfFunction, envelope_key: &[u8], csb_id: u32, rand: &[u8]) -> Self {
        EnvelopeDeriver {
            key: PrfKey::new(function, envelope_key),
            tail: LabelTail { csb_id: csb_id.to_be_bytes(), rand: Rand::new(rand) },
        }
    }

    /// Fills `out` with PRF(key, constant || 0xFF || csb_id || RAND) (§4.1.4).
    pub fn derive(&self, purpose: EnvelopeKeyPurpose, out: &mut [u8]) {
        self.tail.derive(&self.key, purpose.constant(), 0xFF, out);
    }

    /// [`EnvelopeDeriver::derive`] into a new `out_len`-byte secret.
    pub fn derive_secret(&self, purpose: EnvelopeKeyPurpose, out_len: usize) -> SecretBytes {
        let mut out = SecretBytes::zeroed(out_len);
        self.derive(purpose, out.expose_mut());
        out
    }
}

impl fmt::Debug for EnvelopeDeriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvelopeDeriver")
            .field("function", &self.key.function())
            .field("csb_id", &u32::from_be_bytes(self.tail.csb_id))
            .finish_non_exhaustive()
    }
}

/// The 3GPP generic key derivation function (TS 33.220 B.2): HMAC-SHA-256(key, S), with
/// S = FC || P0 || L0 || P1 || L1 || ..., each Ln the 2-byte big-endian length of Pn. Callers
/// take the bits they need (TS 33.220 B.2.2: a 128-bit key is the 128 least significant bits).
pub fn kdf_3gpp(key: &[u8], fc: u8, parameters: &[&[u8]]) -> Result<[u8; 32]> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let mut context = aws_lc_rs::hmac::Context::with_key(&key);
    context.update(&[fc]);
    for parameter in parameters {
        let len = u16::try_from(parameter.len())
            .map_err(|_| Error::invalid_argument("a 3GPP KDF parameter holds at most 65535 bytes"))?;
        context.update(parameter);
        context.update(&len.to_be_bytes());
    }
    let mut out = [0; 32];
    out.copy_from_slice(context.sign().as_ref());
    Ok(out)
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
        let got = TgkDeriver::new(PrfFunction::MikeyHmacSha1, &tgk, 0x1234_5678, &rand).derive_secret(
            TgkKeyPurpose::Tek,
            1,
            16,
        );
        let mut want = [0u8; 16];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &tgk)
            .derive(&hex("2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), &mut want);
        assert_eq!(got.expose(), &want);
        assert_eq!(got.expose(), hex("9BA4F67E6A85E7E7E9AA57681CA1F27D").as_slice());
    }

    #[test]
    fn envelope_label_layout() {
        let psk = hex("101112131415161718191A1B1C1D1E1F");
        let rand = hex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
        let got = EnvelopeDeriver::new(PrfFunction::MikeyHmacSha1, &psk, 0x1234_5678, &rand)
            .derive_secret(EnvelopeKeyPurpose::EncrKey, 16);
        let mut want = [0u8; 16];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &psk)
            .derive(&hex("150533E1FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), &mut want);
        assert_eq!(got.expose(), &want);
        assert_eq!(got.expose(), hex("82222D40DB0CDC619E2549EF2C27EF32").as_slice());
    }

    #[test]
    fn zero_length_output() {
        let k = TgkDeriver::new(PrfFunction::HmacSha256, &[1; 16], 0, &[]).derive_secret(TgkKeyPurpose::Salt, 0, 0);
        assert!(k.is_empty());
    }
}
