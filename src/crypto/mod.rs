//! The crypto backend: the only code in the crate that touches aws-lc-rs (and, for HMAC with
//! prepared keys, aws-lc-sys's SHA-1/SHA-256 directly).
//!
//! - [`prf`]: the MIKEY PRF (RFC 3830 §4.1.2, RFC 6043 §6.1).
//! - [`kdf`]: key derivation from a TGK (§4.1.3) and from a PSK/envelope key (§4.1.4).
//! - [`transport`]: KEMAC key-data encryption and MAC (§4.2.3, §4.2.4, §6.2).
//! - [`rng`]: the randomness source (§4.2.2).
//! - [`dh`]: Diffie-Hellman over the OAKLEY groups (§3.3, §4.2.7), for DH-SIGN and DH-HMAC.
//! - [`siphash`]: the keyed hash that names messages in the replay cache (§5.4).
//! - [`rsa`]: RSA envelope keys and signatures (§4.2.5, §4.2.6), for PK, DH-SIGN and RSA-R.
//! - [`x509`]: X.509 certificate chains (§6.7), for PK, DH-SIGN and RSA-R.
//! - `pem` (private): PEM (RFC 7468) decoding, for certificates and private keys.
//! - `ct` (private): constant-time helpers: [`ct_eq`], and the masks, selects and shift of
//!   [`rsa`]'s PKCS#1 v1.5 padding check.
//! - `sha_hmac` (private): HMAC-SHA-1/-256 with the pad states computed once per key, behind
//!   [`PrfKey`], [`TgkDeriver`], [`EnvelopeDeriver`] and [`MacKey`].

// Owned aws-lc BIGNUM objects, for the modules that do their own arithmetic (DH, ECCSI).
#[allow(unsafe_code)]
mod bn;
mod const_hex;
mod ct;
// Diffie-Hellman over the OAKLEY MODP groups (RFC 3830 §4.2.7), for DH-SIGN and DH-HMAC.
#[allow(unsafe_code)]
pub mod dh;
// ECCSI signatures (RFC 6507) on P-256, through aws-lc's EC and BN, for MIKEY-SAKKE.
#[allow(unsafe_code)]
pub mod eccsi;
// AES-GCM with a 16-byte IV (the 3GPP key parameters of MIKEY-SAKKE), through aws-lc's EVP.
#[allow(unsafe_code)]
pub mod gcm;
pub mod kdf;
mod pem;
pub mod prf;
pub mod rng;
// RSA envelope keys and signatures (RFC 3830 §4.2.5, §4.2.6), for PK, DH-SIGN and RSA-R.
#[allow(unsafe_code)]
pub mod rsa;
// SAKKE (RFC 6508), Parameter Set 1, for MIKEY-SAKKE.
pub mod sakke;
// Calls into aws-lc's SHA-1/SHA-256 (prepared HMAC keys).
#[allow(unsafe_code)]
mod sha_hmac;
// A call into aws-lc's SipHash-2-4, the replay cache's keyed hash (§5.4).
#[allow(unsafe_code)]
pub mod siphash;
pub mod ticket_kdf;
pub mod transport;
// X.509 certificate chains (RFC 3830 §6.7), for PK, DH-SIGN and RSA-R.
#[allow(unsafe_code)]
pub mod x509;

pub use ct::ct_eq;
pub use kdf::{kdf_3gpp, CryptoSessionKeys, EnvelopeDeriver, EnvelopeKeyPurpose, TgkDeriver, TgkKeyPurpose};
pub use prf::{PrfFunction, PrfKey};
pub use rng::{RandomSource, SystemRandomSource};
pub use siphash::SipHashKey;
pub use transport::{decrypt_key_data, encrypt_key_data, KeyTransport, MacAlgorithm, MacKey, MacTag};

/// SHA-256 of `data` (certificate fingerprints).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::sha256;

    #[test]
    fn sha256_of_abc_is_the_fips_180_value() {
        assert_eq!(sha256(b"abc")[..8], [0xBA, 0x78, 0x16, 0xBF, 0x8F, 0x01, 0xCF, 0xEA], "FIPS 180-2 Appendix B.1");
    }
}
