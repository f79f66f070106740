//! KEMAC key-data transport: encryption (RFC 3830 §4.2.3) and MAC (§4.2.4), with the
//! "Encr alg" / "MAC alg" code points of §6.2.

use aws_lc_rs::cipher::{
    Algorithm, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256,
};
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroize;

use super::ct_eq;
use super::sha_hmac::{Hash, HmacKey, Output, Sha1, Sha256, MAX_OUTPUT_LEN};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;

/// Largest AES-CM input: the 16-bit block counter allows 2^16 blocks = 2^23 bits (§4.2.3).
const AES_CM_MAX_LEN: usize = 1 << 20;
/// Length of the AES-CM salt S (112 bits, §4.2.3).
const AES_CM_SALT_LEN: usize = 14;
/// Length of the timestamp T (64 bits, §4.2.3 and §4.2.8).
const TIMESTAMP_LEN: usize = 8;
/// AES-128 key length.
const AES_128_KEY_LEN: usize = 16;
/// AES-256 key length (AES-CM-256, RFC 6043 §6.2).
const AES_256_KEY_LEN: usize = 32;
/// RFC 3394 semiblock length.
const KW_SEMIBLOCK: usize = 8;

/// KEMAC "Encr alg" values: NULL = 0, AES-CM-128 = 1, AES-KW-128 = 2, AES-CM-256 = 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTransport {
    /// NULL: no encryption (§4.2.3; only when the lower layers protect the message).
    Null,
    /// AES-CM-128: AES in SRTP counter mode, 128-bit key, 112-bit salt (§4.2.3).
    AesCm128,
    /// AES-KW-128: RFC 3394 AES key wrap, 128-bit KEK, the 64-bit salt as IV (§4.2.3).
    AesKw128,
    /// AES-CM-256: AES-CM as in §4.2.3 with a 256-bit key (RFC 6043 §6.2).
    AesCm256,
}

impl KeyTransport {
    /// Encryption key length in bytes (0, 16, 16, 32).
    pub fn key_len(self) -> usize {
        match self {
            KeyTransport::Null => 0,
            KeyTransport::AesCm128 | KeyTransport::AesKw128 => AES_128_KEY_LEN,
            KeyTransport::AesCm256 => AES_256_KEY_LEN,
        }
    }

    /// Salt length in bytes: 0, 14 (112-bit AES-CM salt), 8 (64-bit key-wrap IV) (§4.2.3).
    pub fn salt_len(self) -> usize {
        match self {
            KeyTransport::Null => 0,
            KeyTransport::AesCm128 | KeyTransport::AesCm256 => AES_CM_SALT_LEN,
            KeyTransport::AesKw128 => KW_SEMIBLOCK,
        }
    }
}

/// KEMAC "MAC alg": NULL = 0, HMAC-SHA-1-160 = 1, HMAC-SHA-256-256 = 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlgorithm {
    /// NULL: no MAC (§4.2.4; only with NULL encryption and protected lower layers).
    Null,
    /// HMAC-SHA-1 with the full 160-bit tag (§4.2.4).
    HmacSha1_160,
    /// HMAC-SHA-256 with a 256-bit key and the full 256-bit tag (RFC 6043 §6.2).
    HmacSha256_256,
}

impl MacAlgorithm {
    /// Tag length in bytes (0, 20, 32).
    pub fn tag_len(self) -> usize {
        match self {
            MacAlgorithm::Null => 0,
            MacAlgorithm::HmacSha1_160 => Sha1::OUTPUT_LEN,
            MacAlgorithm::HmacSha256_256 => Sha256::OUTPUT_LEN,
        }
    }

    /// Authentication key length in bytes: 0, 20 (160-bit auth key, §4.2.4), 32 (256-bit,
    /// RFC 6043 §6.2): the tag's length each time.
    pub fn key_len(self) -> usize {
        self.tag_len()
    }
}

/// Encrypts the concatenated Key Data sub-payloads (§4.2.3).
///
/// AES-CM: AES-128 (AES-CM-128) or AES-256 (AES-CM-256) counter mode (RFC 3711 §4.1.1) with
/// IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, S the 14-byte salt, T the 8-byte timestamp;
/// the output has the plaintext's length (at most 2^20 bytes).
/// AES-KW: RFC 3394 wrap with the 8-byte salt as IV; the plaintext must be a multiple of
/// 8 bytes and at least 16 (`csb_id` and `timestamp` are unused).
/// Null: a copy (key, salt and timestamp are ignored).
///
/// # Errors
/// `InvalidArgument` for a wrong key, salt or timestamp length or an unusable plaintext length.
pub fn encrypt_key_data(
    transport: KeyTransport,
    encr_key: &[u8],
    salt: &[u8],
    csb_id: u32,
    timestamp: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    match transport {
        KeyTransport::Null => Ok(plaintext.to_vec()),
        KeyTransport::AesCm128 | KeyTransport::AesCm256 => {
            let iv = aes_cm_iv(transport, encr_key, salt, csb_id, timestamp)?;
            if plaintext.len() > AES_CM_MAX_LEN {
                return Err(Error::invalid_argument("AES-CM: key data too long"));
            }
            let mut out = plaintext.to_vec();
            aes_cm_apply(encr_key, &iv, &mut out)?;
            Ok(out)
        }
        KeyTransport::AesKw128 => {
            let iv = kw_iv(encr_key, salt)?;
            if !plaintext.len().is_multiple_of(KW_SEMIBLOCK) || plaintext.len() < 2 * KW_SEMIBLOCK {
                return Err(Error::invalid_argument("AES-KW: key data must be a multiple of 8 bytes and at least 16"));
            }
            aes_kw_wrap(encr_key, &iv, plaintext)
        }
    }
}

/// Inverse of [`encrypt_key_data`] (§4.2.3); the result is key material.
///
/// # Errors
/// `InvalidArgument` for a wrong key, salt or timestamp length; `Malformed` for a ciphertext
/// length the algorithm cannot produce; `AuthFailed` when the AES-KW integrity check fails.
pub fn decrypt_key_data(
    transport: KeyTransport,
    encr_key: &[u8],
    salt: &[u8],
    csb_id: u32,
    timestamp: &[u8],
    ciphertext: &[u8],
) -> Result<SecretBytes> {
    match transport {
        KeyTransport::Null => Ok(SecretBytes::from_slice(ciphertext)),
        KeyTransport::AesCm128 | KeyTransport::AesCm256 => {
            let iv = aes_cm_iv(transport, encr_key, salt, csb_id, timestamp)?;
            if ciphertext.len() > AES_CM_MAX_LEN {
                return Err(Error::malformed("AES-CM: encrypted key data too long"));
            }
            let mut out = SecretBytes::from_slice(ciphertext);
            aes_cm_apply(encr_key, &iv, out.expose_mut())?;
            Ok(out)
        }
        KeyTransport::AesKw128 => {
            let iv = kw_iv(encr_key, salt)?;
            if !ciphertext.len().is_multiple_of(KW_SEMIBLOCK) || ciphertext.len() < 3 * KW_SEMIBLOCK {
                return Err(Error::malformed("AES-KW: wrapped key data must be a multiple of 8 bytes and at least 24"));
            }
            aes_kw_unwrap(encr_key, &iv, ciphertext)
        }
    }
}

/// Longest tag of a [`MacAlgorithm`] (HMAC-SHA-256-256).
const MAX_TAG_LEN: usize = 32;

/// A KEMAC / verification-message MAC key prepared once (§4.2.4), for several tags or checks:
/// HMAC-SHA-1 with the full 160-bit tag, HMAC-SHA-256 with the full 256-bit tag (RFC 6043),
/// or the NULL MAC (an empty tag).
///
/// The key's HMAC state is zeroized on drop; `Debug` shows only the algorithm.
pub struct MacKey {
    algorithm: MacAlgorithm,
    key: PreparedMacKey,
}

/// The prepared HMAC state of a [`MacKey`]. Boxed: the prepared states are 192 bytes and more,
/// and a key is moved through several results before it checks a tag.
enum PreparedMacKey {
    Null,
    Sha1(Box<HmacKey<Sha1>>),
    Sha256(Box<HmacKey<Sha256>>),
}

/// A MAC tag: 20 bytes for HMAC-SHA-1-160, 32 for HMAC-SHA-256-256, empty for NULL. Compare it with
/// [`MacKey::verify`] (constant time), not `==`.
#[derive(Clone, Copy, Debug)]
pub struct MacTag {
    bytes: [u8; MAX_TAG_LEN],
    len: usize,
}

impl MacTag {
    /// The tag bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Tag length in bytes ([`MacAlgorithm::tag_len`]).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for the NULL MAC's empty tag.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsRef<[u8]> for MacTag {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl MacKey {
    /// Prepares `auth_key` (any length) for `algorithm`; for Null the key is ignored.
    pub fn new(algorithm: MacAlgorithm, auth_key: &[u8]) -> Self {
        // The CPU feature detection aws-lc's SHA code dispatches on (normally done already).
        aws_lc_rs::init();
        let key = match algorithm {
            MacAlgorithm::Null => PreparedMacKey::Null,
            MacAlgorithm::HmacSha1_160 => PreparedMacKey::Sha1(Box::new(HmacKey::new(auth_key))),
            MacAlgorithm::HmacSha256_256 => PreparedMacKey::Sha256(Box::new(HmacKey::new(auth_key))),
        };
        MacKey { algorithm, key }
    }

    /// The algorithm this key was prepared for.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }

    /// The tag over `data` (empty for Null).
    pub fn sign(&self, data: &[u8]) -> MacTag {
        self.sign_parts(&[data])
    }

    /// The tag over `parts[0] || parts[1] || ...`, without concatenating them.
    pub fn sign_parts(&self, parts: &[&[u8]]) -> MacTag {
        let mut out: Output = [0; MAX_OUTPUT_LEN];
        match &self.key {
            PreparedMacKey::Null => {}
            PreparedMacKey::Sha1(key) => key.sign(&[], parts, &mut out),
            PreparedMacKey::Sha256(key) => key.sign(&[], parts, &mut out),
        }
        let len = self.algorithm.tag_len();
        let mut tag = MacTag { bytes: [0; MAX_TAG_LEN], len };
        tag.bytes[..len].copy_from_slice(&out[..len]);
        tag
    }

    /// Checks `tag` over `data` in constant time; Null accepts only an empty tag.
    ///
    /// # Errors
    /// `AuthFailed` ("MAC mismatch") on mismatch or wrong tag length.
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> Result<()> {
        self.verify_parts(&[data], tag)
    }

    /// [`MacKey::verify`] over `parts[0] || parts[1] || ...`, without concatenating them.
    ///
    /// # Errors
    /// `AuthFailed` ("MAC mismatch") on mismatch or wrong tag length.
    pub fn verify_parts(&self, parts: &[&[u8]], tag: &[u8]) -> Result<()> {
        let expected = self.sign_parts(parts);
        if tag.len() == self.algorithm.tag_len() && ct_eq(expected.as_slice(), tag) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::AuthFailed, "MAC mismatch"))
        }
    }
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacKey").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

/// Checks the AES-CM inputs and builds IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000 (§4.2.3).
fn aes_cm_iv(transport: KeyTransport, key: &[u8], salt: &[u8], csb_id: u32, timestamp: &[u8]) -> Result<[u8; 16]> {
    if key.len() != transport.key_len() {
        return Err(Error::invalid_argument(format!("AES-CM: encryption key must be {} bytes", transport.key_len())));
    }
    if salt.len() != AES_CM_SALT_LEN {
        return Err(Error::invalid_argument("AES-CM: salt must be 14 bytes"));
    }
    if timestamp.len() != TIMESTAMP_LEN {
        return Err(Error::invalid_argument("AES-CM: timestamp must be 8 bytes"));
    }
    let mut iv = [0u8; 16];
    iv[2..6].copy_from_slice(&csb_id.to_be_bytes());
    iv[6..14].copy_from_slice(timestamp);
    for (v, s) in iv[..AES_CM_SALT_LEN].iter_mut().zip(salt) {
        *v ^= s;
    }
    Ok(iv)
}

/// AES counter mode as in SRTP AES-CM (RFC 3711 §4.1.1), with AES-128 or AES-256 by the key's
/// length (checked by [`aes_cm_iv`]): block i of the keystream is E(key, IV + i mod 2^128),
/// XORed onto `data` in place. Encryption and decryption are the same.
fn aes_cm_apply(key: &[u8], iv: &[u8; 16], data: &mut [u8]) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let cipher: &Algorithm = if key.len() == AES_256_KEY_LEN { &AES_256 } else { &AES_128 };
    let unbound =
        UnboundCipherKey::new(cipher, key).map_err(|_| Error::invalid_argument("AES-CM: bad encryption key"))?;
    let ctr = EncryptingKey::ctr(unbound).map_err(|_| Error::crypto("AES-CM: key setup failed"))?;
    ctr.less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(*iv)))
        .map_err(|_| Error::crypto("AES-CM: encryption failed"))?;
    Ok(())
}

/// Checks the AES-KW key and returns the 64-bit IV (the salt, §4.2.3).
fn kw_iv(key: &[u8], salt: &[u8]) -> Result<[u8; KW_SEMIBLOCK]> {
    if key.len() != AES_128_KEY_LEN {
        return Err(Error::invalid_argument("AES-KW: encryption key must be 16 bytes"));
    }
    <[u8; KW_SEMIBLOCK]>::try_from(salt).map_err(|_| Error::invalid_argument("AES-KW: salt (IV) must be 8 bytes"))
}

/// XORs the 64-bit big-endian step counter t into A (RFC 3394 §2.2.1).
fn xor_t(a: &mut [u8], t: usize) {
    for (x, y) in a.iter_mut().zip((t as u64).to_be_bytes()) {
        *x ^= y;
    }
}

/// RFC 3394 §2.2.1 key wrap (index form) with an explicit IV. `plaintext` must be n >= 2
/// semiblocks; returns n + 1 semiblocks.
fn aes_kw_wrap(kek: &[u8], iv: &[u8; KW_SEMIBLOCK], plaintext: &[u8]) -> Result<Vec<u8>> {
    if !plaintext.len().is_multiple_of(KW_SEMIBLOCK) || plaintext.len() < 2 * KW_SEMIBLOCK {
        return Err(Error::invalid_argument("AES-KW: bad plaintext length"));
    }
    let unbound =
        UnboundCipherKey::new(&AES_128, kek).map_err(|_| Error::invalid_argument("AES-KW: key must be 16 bytes"))?;
    let ecb = EncryptingKey::ecb(unbound).map_err(|_| Error::crypto("AES-KW: key setup failed"))?;
    let n = plaintext.len() / KW_SEMIBLOCK;
    let mut out = vec![0u8; KW_SEMIBLOCK + plaintext.len()];
    out[KW_SEMIBLOCK..].copy_from_slice(plaintext);
    let mut b = [0u8; 16];
    b[..KW_SEMIBLOCK].copy_from_slice(iv);
    let mut result = Ok(());
    'outer: for j in 0..6 {
        for i in 1..=n {
            let r = i * KW_SEMIBLOCK..(i + 1) * KW_SEMIBLOCK;
            // B = AES(K, A | R[i]); A = MSB(64, B) ^ t; R[i] = LSB(64, B).
            b[KW_SEMIBLOCK..].copy_from_slice(&out[r.clone()]);
            if ecb.less_safe_encrypt(&mut b, EncryptionContext::None).is_err() {
                result = Err(Error::crypto("AES-KW: encryption failed"));
                break 'outer;
            }
            xor_t(&mut b[..KW_SEMIBLOCK], n * j + i);
            out[r].copy_from_slice(&b[KW_SEMIBLOCK..]);
        }
    }
    out[..KW_SEMIBLOCK].copy_from_slice(&b[..KW_SEMIBLOCK]);
    b.zeroize();
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(e)
        }
    }
}

/// RFC 3394 §2.2.2 key unwrap (index form) with an explicit IV, checked in constant time
/// (§2.2.3). `ciphertext` must be n + 1 >= 3 semiblocks.
fn aes_kw_unwrap(kek: &[u8], iv: &[u8; KW_SEMIBLOCK], ciphertext: &[u8]) -> Result<SecretBytes> {
    if !ciphertext.len().is_multiple_of(KW_SEMIBLOCK) || ciphertext.len() < 3 * KW_SEMIBLOCK {
        return Err(Error::malformed("AES-KW: bad ciphertext length"));
    }
    let unbound =
        UnboundCipherKey::new(&AES_128, kek).map_err(|_| Error::invalid_argument("AES-KW: key must be 16 bytes"))?;
    let ecb = DecryptingKey::ecb(unbound).map_err(|_| Error::crypto("AES-KW: key setup failed"))?;
    let n = ciphertext.len() / KW_SEMIBLOCK - 1;
    let mut r = SecretBytes::from_slice(&ciphertext[KW_SEMIBLOCK..]);
    let mut b = [0u8; 16];
    b[..KW_SEMIBLOCK].copy_from_slice(&ciphertext[..KW_SEMIBLOCK]);
    let mut failed = false;
    'outer: for j in (0..6).rev() {
        for i in (1..=n).rev() {
            let ri = (i - 1) * KW_SEMIBLOCK..i * KW_SEMIBLOCK;
            // B = AES-1(K, (A ^ t) | R[i]); A = MSB(64, B); R[i] = LSB(64, B).
            xor_t(&mut b[..KW_SEMIBLOCK], n * j + i);
            b[KW_SEMIBLOCK..].copy_from_slice(&r.expose()[ri.clone()]);
            if ecb.decrypt(&mut b, DecryptionContext::None).is_err() {
                failed = true;
                break 'outer;
            }
            r.expose_mut()[ri].copy_from_slice(&b[KW_SEMIBLOCK..]);
        }
    }
    let ok = !failed && ct_eq(&b[..KW_SEMIBLOCK], iv);
    b.zeroize();
    if failed {
        Err(Error::crypto("AES-KW: decryption failed"))
    } else if ok {
        Ok(r)
    } else {
        Err(Error::new(ErrorKind::AuthFailed, "AES-KW: integrity check failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::key_wrap::{AesKek, KeyWrap, AES_128 as KW_AES_128};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    const DEFAULT_IV: [u8; 8] = [0xA6; 8];

    #[test]
    fn aes_cm_rfc3711_b2_keystream() {
        // RFC 3711 Appendix B.2 (rfc3711_srtp_appendixB.json "B2_aes_cm"): the counter starts
        // at F0F1...FCFD0000; keystream = encryption of zeros.
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
        let iv: [u8; 16] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000").try_into().unwrap();
        let mut data = vec![0u8; 48];
        aes_cm_apply(&key, &iv, &mut data).unwrap();
        assert_eq!(
            data,
            hex(concat!(
                "E03EAD0935C95E80E166B16DD92B4EB4",
                "D23513162B02D0F72A43A2FE4A5F97AB",
                "41E95B3BB0A2E8DD477901E4FCA894C0"
            ))
        );
        // The last printed blocks, starting at counter ...FEFF (block 0xFEFF).
        let iv: [u8; 16] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF").try_into().unwrap();
        let mut data = vec![0u8; 48];
        aes_cm_apply(&key, &iv, &mut data).unwrap();
        assert_eq!(
            data,
            hex(concat!(
                "EC8CDF7398607CB0F2D21675EA9EA1E4",
                "362B7C3C6773516318A077D7FC5073AE",
                "6A2CC3787889374FBEB4C81B17BA6C44"
            ))
        );
    }

    #[test]
    fn aes_cm_256_rfc6188_7_1_keystream() {
        // RFC 6188 §7.1: AES-256 counter mode from F0F1...FCFD0000. With salt F0F1...FCFD, CSB
        // ID 0 and T 0 the §4.2.3 IV is that counter, so encrypting zeros gives the keystream.
        let key = hex("57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98");
        let salt = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfd");
        let keystream = encrypt_key_data(KeyTransport::AesCm256, &key, &salt, 0, &[0; 8], &[0; 48]).unwrap();
        assert_eq!(
            keystream,
            hex("92bdd28a93c3f52511c677d08b5515a49da71b2378a854f67050756ded165bac63c4868b7096d88421b563b8c94c9a31")
        );
        let decrypted = decrypt_key_data(KeyTransport::AesCm256, &key, &salt, 0, &[0; 8], &keystream).unwrap();
        assert_eq!(decrypted.expose(), [0; 48]);
        // A 16-byte key is refused for AES-CM-256, and a 32-byte one for AES-CM-128.
        assert!(encrypt_key_data(KeyTransport::AesCm256, &key[..16], &salt, 0, &[0; 8], &[0; 16]).is_err());
        assert!(encrypt_key_data(KeyTransport::AesCm128, &key, &salt, 0, &[0; 8], &[0; 16]).is_err());
    }

    #[test]
    fn hmac_sha256_256_rfc4231_case_2() {
        let key = MacKey::new(MacAlgorithm::HmacSha256_256, b"Jefe");
        let tag = key.sign_parts(&[b"what do ya want ", b"for nothing?"]);
        let expected = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(tag.as_slice(), expected.as_slice());
        assert!(key.verify(b"what do ya want for nothing?", &expected).is_ok());
        assert!(key.verify(b"what do ya want for nothing?", &expected[..20]).is_err(), "a truncated tag");
        assert_eq!((MacAlgorithm::HmacSha256_256.tag_len(), MacAlgorithm::HmacSha256_256.key_len()), (32, 32));
    }

    #[test]
    fn aes_cm_iv_layout() {
        let ts = hex("0102030405060708");
        let iv = aes_cm_iv(KeyTransport::AesCm128, &[0; 16], &[0u8; 14], 0xA1B2_C3D4, &ts).unwrap();
        assert_eq!(iv.to_vec(), hex("0000A1B2C3D401020304050607080000"));
        let salt: Vec<u8> = (0x10u8..0x1E).collect();
        let iv = aes_cm_iv(KeyTransport::AesCm128, &[0; 16], &salt, 0xA1B2_C3D4, &ts).unwrap();
        // (1011..1D XOR 0000 A1B2C3D4 0102030405060708) || 0000
        assert_eq!(iv.to_vec(), hex("1011B3A1D7C117151B1D1F1D1B150000"));
    }

    #[test]
    fn aes_kw_rfc3394_4_1() {
        let kek = hex("000102030405060708090A0B0C0D0E0F");
        let data = hex("00112233445566778899AABBCCDDEEFF");
        let want = hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
        let wrapped = aes_kw_wrap(&kek, &DEFAULT_IV, &data).unwrap();
        assert_eq!(wrapped, want);
        let unwrapped = aes_kw_unwrap(&kek, &DEFAULT_IV, &wrapped).unwrap();
        assert_eq!(unwrapped.expose(), data.as_slice());
    }

    #[test]
    fn aes_kw_matches_aws_lc_for_default_iv() {
        // aws-lc-rs key_wrap only supports the default IV; it cross-checks the longer inputs.
        let kek: Vec<u8> = (0x40u8..0x50).collect();
        for len in [16usize, 24, 32, 40, 64, 72] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let ours = aes_kw_wrap(&kek, &DEFAULT_IV, &data).unwrap();
            let mut theirs = vec![0u8; len + 8];
            let k = AesKek::new(&KW_AES_128, &kek).unwrap();
            let theirs = k.wrap(&data, &mut theirs).unwrap().to_vec();
            assert_eq!(ours, theirs, "len {len}");
            let back = aes_kw_unwrap(&kek, &DEFAULT_IV, &ours).unwrap();
            assert_eq!(back.expose(), data.as_slice());
        }
    }

    #[test]
    fn aes_kw_custom_iv_and_tamper() {
        let kek = [0x5Au8; 16];
        let iv = hex("0123456789ABCDEF");
        let iv: [u8; 8] = iv.try_into().unwrap();
        let data: Vec<u8> = (0u8..32).collect();
        let wrapped = aes_kw_wrap(&kek, &iv, &data).unwrap();
        assert_ne!(wrapped, aes_kw_wrap(&kek, &DEFAULT_IV, &data).unwrap());
        assert_eq!(aes_kw_unwrap(&kek, &iv, &wrapped).unwrap().expose(), data.as_slice());
        // Wrong IV.
        let e = aes_kw_unwrap(&kek, &DEFAULT_IV, &wrapped).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuthFailed);
        // Every single-bit flip is rejected.
        for byte in 0..wrapped.len() {
            let mut t = wrapped.clone();
            t[byte] ^= 0x01;
            let e = aes_kw_unwrap(&kek, &iv, &t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AuthFailed);
        }
        // Wrong KEK.
        let e = aes_kw_unwrap(&[0x5B; 16], &iv, &wrapped).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuthFailed);
    }

    #[test]
    fn aes_kw_length_checks() {
        assert_eq!(aes_kw_wrap(&[0; 16], &DEFAULT_IV, &[0; 8]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(aes_kw_wrap(&[0; 16], &DEFAULT_IV, &[0; 17]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(aes_kw_unwrap(&[0; 16], &DEFAULT_IV, &[0; 16]).unwrap_err().kind(), ErrorKind::Malformed);
        assert_eq!(aes_kw_unwrap(&[0; 16], &DEFAULT_IV, &[0; 25]).unwrap_err().kind(), ErrorKind::Malformed);
        assert_eq!(aes_kw_wrap(&[0; 15], &DEFAULT_IV, &[0; 16]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn error_text_has_no_key_bytes() {
        let e = decrypt_key_data(KeyTransport::AesKw128, &[0xAB; 16], &[0xCD; 8], 0, &[], &[0xEF; 24]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuthFailed);
        let text = format!("{e} {e:?}").to_lowercase();
        for needle in ["abab", "ab, ab", "171", "cdcd", "205"] {
            assert!(!text.contains(needle), "{text}");
        }
    }
}
