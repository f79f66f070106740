//! RSA for the public-key methods (PK, DH-SIGN, RSA-R): the envelope key encryption of RFC 3830
//! §4.2.5 (PKE payload, §6.3) and the signatures of §4.2.6 (SIGN payload, §6.5).
//!
//! - **Encryption** is RSAES-PKCS1-v1_5, the mandatory scheme of §4.2.5 (the PKE payload has no
//!   algorithm field: "implicit from the certificate", §6.3, so OAEP could not be signalled).
//!   The padding is built here from the caller's [`RandomSource`] (ARCHITECTURE.md: randomness is a
//!   parameter) around aws-lc's raw RSA operation.
//! - **Decryption** does the raw RSA operation in aws-lc (blinded, constant time) and checks the
//!   padding here in constant time, so nothing about the plaintext is branched on before the one
//!   final valid/invalid decision. [`RsaPrivateKey::open_envelope_key`] removes even that: a
//!   ciphertext that does not hold a key of the expected length under valid padding opens to a
//!   stand-in of that length instead of an error (the "implicit rejection" of RFC 5246
//!   §7.4.7.1), so a responder does the same work and fails the KEMAC MAC exactly as for a wrong
//!   key, and no Bleichenbacher oracle is left.
//! - **Signatures** are RSASSA-PKCS1-v1_5 (S type 0, mandatory) or RSASSA-PSS (S type 1), each
//!   with SHA-1 or SHA-256. The S type names no hash ("implicit from the certificate", §6.5);
//!   RFC 3830 §4.2.1 makes SHA-1 "the default hash function" of MIKEY and minisip (the one
//!   public implementation of PK and DH-SIGN) signs and verifies with SHA-1 only, so
//!   [`SignatureScheme::RFC3830_DEFAULT`] is PKCS#1 v1.5 with SHA-1. A verifier can accept both
//!   hashes with [`RsaPublicKey::verify_any_hash`].
//!
//! aws-lc-rs covers only part of this (no PKCS#1 v1.5 signing with SHA-1, no PSS with SHA-1, no
//! raw RSA operation for a constant-time padding check, no PKCS#1 private keys for decryption),
//! so the module calls aws-lc's `RSA_*` functions through aws-lc-sys, like `sha_hmac`. Digests
//! come from aws-lc-rs. Every `RSA` pointer is owned by an `Rsa` guard, whose `Drop` frees it;
//! aws-lc's `RSA_free` clears the private numbers (its `OPENSSL_free` cleanses every allocation).

#![deny(clippy::undocumented_unsafe_blocks)]

use std::fmt;
use std::hint::black_box;
use std::ptr::{self, NonNull};

use aws_lc_rs::digest;
use aws_lc_sys::{
    CBS_init, CBS_len, ERR_clear_error, EVP_PKEY_free, EVP_PKEY_get1_RSA, EVP_PKEY_id, EVP_parse_private_key,
    EVP_parse_public_key, EVP_sha1, EVP_sha256, NID_sha1, NID_sha256, OPENSSL_free, RSA_bits, RSA_decrypt, RSA_encrypt,
    RSA_free, RSA_private_key_from_bytes, RSA_public_key_from_bytes, RSA_public_key_to_bytes, RSA_sign,
    RSA_sign_pss_mgf1, RSA_size, RSA_up_ref, RSA_verify, RSA_verify_pss_mgf1, CBS, EVP_MD, EVP_PKEY, EVP_PKEY_RSA, RSA,
    RSA_NO_PADDING, RSA_PSS_SALTLEN_AUTO, RSA_PSS_SALTLEN_DIGEST,
};
use zeroize::Zeroize;

use super::ct::{eq_mask, is_zero_mask, lt_mask, select_u8, select_usize, shift_left_ct};
use super::pem::{parse_pem, PemBlock};
use super::rng::RandomSource;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::secret::SecretBytes;

/// Smallest accepted modulus, in bits, for own and peer keys (NIST SP 800-131A: RSA below 2048
/// bits is disallowed). Certificates with smaller keys fail with `InvalidCertificate`.
pub const MIN_RSA_BITS: u32 = 2048;

/// Largest accepted modulus, in bits (as aws-lc-rs; bounds the cost of a peer's key).
pub const MAX_RSA_BITS: u32 = 8192;

/// PKCS#1 v1.5 encryption overhead: 0x00 0x02, at least 8 padding bytes, 0x00 (RFC 8017 §7.2.1).
const PKCS1_OVERHEAD: usize = 11;

/// Owns one aws-lc `RSA` (public or private); `Drop` calls `RSA_free`.
struct Rsa(NonNull<RSA>);

// SAFETY: an aws-lc RSA "may be used concurrently on multiple threads by non-mutating functions,
// provided no other thread is concurrently calling a mutating function" (rsa.h). After
// construction this module only calls RSA_size, RSA_bits, RSA_public_key_to_bytes (const
// pointers), RSA_up_ref ("may be used concurrently") and RSA_encrypt/decrypt/sign/verify, which
// rsa.h declares "non-mutating for thread-safety purposes and may be used concurrently". Each
// `Rsa` holds one counted reference; RSA_free, in Drop, drops only that reference (an atomic
// count) and frees the object when it was the last, when no other `Rsa` can still use it.
unsafe impl Send for Rsa {}
// SAFETY: see `Send` above: every call made through `&Rsa` is non-mutating per rsa.h.
unsafe impl Sync for Rsa {}

impl Rsa {
    /// Takes ownership of `ptr` (from an aws-lc constructor); `None` when it is NULL.
    fn from_raw(ptr: *mut RSA) -> Option<Self> {
        NonNull::new(ptr).map(Rsa)
    }

    fn as_ptr(&self) -> *mut RSA {
        self.0.as_ptr()
    }

    /// Modulus length in bytes: the length of every ciphertext and signature.
    fn size(&self) -> usize {
        // SAFETY: `self.0` is a valid RSA we own; RSA_size only reads n (const pointer).
        unsafe { RSA_size(self.as_ptr()) as usize }
    }

    /// Modulus length in bits.
    fn bits(&self) -> u32 {
        // SAFETY: `self.0` is a valid RSA we own; RSA_bits only reads n (const pointer).
        unsafe { RSA_bits(self.as_ptr()) }
    }

    /// The public key as a DER RSAPublicKey (RFC 8017 A.1.1).
    fn public_der(&self) -> Option<Vec<u8>> {
        let mut out: *mut u8 = ptr::null_mut();
        let mut out_len = 0usize;
        // SAFETY: `self.0` is a valid RSA (const use); `out` and `out_len` are valid for writes.
        // On success aws-lc sets `out` to a fresh OPENSSL_malloc buffer of `out_len` bytes that
        // we own; on failure it leaves nothing to free.
        let ok = unsafe { RSA_public_key_to_bytes(&mut out, &mut out_len, self.as_ptr()) };
        if ok != 1 || out.is_null() {
            clear_errors();
            return None;
        }
        // SAFETY: `out` points to `out_len` initialised bytes allocated by aws-lc (see above).
        let der = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
        // SAFETY: `out` came from OPENSSL_malloc, is freed exactly once, and not used after.
        unsafe { OPENSSL_free(out.cast()) };
        Some(der)
    }
}

impl Drop for Rsa {
    fn drop(&mut self) {
        // SAFETY: `self` owns one reference (from the constructor or RSA_up_ref); it is
        // released exactly once, here, and this `Rsa` does not use the pointer afterwards.
        unsafe { RSA_free(self.0.as_ptr()) };
    }
}

/// Owns one aws-lc `EVP_PKEY` for the length of a parse; `Drop` calls `EVP_PKEY_free`.
struct Pkey(NonNull<EVP_PKEY>);

impl Pkey {
    /// The RSA key inside, with its own reference; `None` for other key types.
    fn rsa(&self) -> Option<Rsa> {
        // SAFETY: `self.0` is a valid EVP_PKEY (const use).
        if unsafe { EVP_PKEY_id(self.0.as_ptr()) } != EVP_PKEY_RSA {
            return None;
        }
        // SAFETY: `self.0` is a valid RSA EVP_PKEY; EVP_PKEY_get1_RSA returns a new reference
        // (or NULL), which `Rsa` takes over and frees.
        Rsa::from_raw(unsafe { EVP_PKEY_get1_RSA(self.0.as_ptr()) })
    }
}

impl Drop for Pkey {
    fn drop(&mut self) {
        // SAFETY: we own this EVP_PKEY; it is freed exactly once and not used afterwards (an
        // RSA taken from it holds its own reference).
        unsafe { EVP_PKEY_free(self.0.as_ptr()) };
    }
}

/// Which parser an `EVP_parse_*` call is.
type EvpParser = unsafe extern "C" fn(*mut CBS) -> *mut EVP_PKEY;

/// Parses exactly `der` (no trailing bytes) with an `EVP_parse_*` function into its RSA key.
fn parse_evp(der: &[u8], parser: EvpParser) -> Option<Rsa> {
    let mut cbs = CBS { data: ptr::null(), len: 0 };
    // SAFETY: `cbs` is a valid, exclusively borrowed CBS; it records the pointer and length of
    // `der`, which stays borrowed (and so valid and unchanged) until `cbs` is dropped below.
    unsafe { CBS_init(&mut cbs, der.as_ptr(), der.len()) };
    // SAFETY: `parser` is EVP_parse_private_key or EVP_parse_public_key (the only callers'
    // arguments), which read through the CBS initialised over `der` above, advance it, and
    // return a new EVP_PKEY we own (or NULL).
    let pkey = NonNull::new(unsafe { parser(&mut cbs) }).map(Pkey);
    // SAFETY: `cbs` is a valid CBS (const use).
    let trailing = unsafe { CBS_len(&cbs) };
    let rsa = pkey.filter(|_| trailing == 0).and_then(|pkey| pkey.rsa());
    if rsa.is_none() {
        clear_errors();
    }
    rsa
}

/// Drops aws-lc's thread-local error queue after a failure, so no stale entry is left behind
/// for other code (aws-lc-rs, other crates) on this thread.
fn clear_errors() {
    // SAFETY: ERR_clear_error only touches the calling thread's error queue.
    unsafe { ERR_clear_error() };
}

fn check_bits(bits: u32) -> bool {
    (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits)
}

/// The hash of an RSA signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureHash {
    /// SHA-1: the default hash function of RFC 3830 (§4.2.1), and minisip's only one.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl SignatureHash {
    fn digest(self, data: &[u8]) -> digest::Digest {
        match self {
            SignatureHash::Sha1 => digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data),
            SignatureHash::Sha256 => digest::digest(&digest::SHA256, data),
        }
    }

    fn nid(self) -> i32 {
        match self {
            SignatureHash::Sha1 => NID_sha1,
            SignatureHash::Sha256 => NID_sha256,
        }
    }

    fn md(self) -> *const EVP_MD {
        // SAFETY: EVP_sha1/EVP_sha256 take no arguments and return pointers to static,
        // immutable EVP_MD tables that live for the whole program.
        unsafe {
            match self {
                SignatureHash::Sha1 => EVP_sha1(),
                SignatureHash::Sha256 => EVP_sha256(),
            }
        }
    }
}

/// The signature padding: the S type of the SIGN payload (RFC 3830 §6.5, Table 6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignaturePadding {
    /// RSASSA-PKCS1-v1_5 (S type 0, mandatory).
    Pkcs1v15,
    /// RSASSA-PSS with MGF1 over the same hash (S type 1). Signing uses a salt as long as the
    /// hash; verification accepts any salt length.
    Pss,
}

impl SignaturePadding {
    /// The S type value (4 bits) of Table 6.5.
    pub fn s_type(self) -> u8 {
        match self {
            SignaturePadding::Pkcs1v15 => 0,
            SignaturePadding::Pss => 1,
        }
    }

    /// The padding for an S type value; `None` for unassigned values.
    pub fn from_s_type(s_type: u8) -> Option<Self> {
        match s_type {
            0 => Some(SignaturePadding::Pkcs1v15),
            1 => Some(SignaturePadding::Pss),
            _ => None,
        }
    }
}

/// An RSA signature scheme: padding (the wire S type) and hash (implicit on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignatureScheme {
    /// The padding, sent as the S type.
    pub padding: SignaturePadding,
    /// The hash, not sent: both ends must agree (see [`RsaPublicKey::verify_any_hash`]).
    pub hash: SignatureHash,
}

impl SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with SHA-1: what RFC 3830 implies (§4.2.6 mandatory padding, §4.2.1
    /// default hash) and what minisip signs and accepts.
    pub const RFC3830_DEFAULT: SignatureScheme =
        SignatureScheme { padding: SignaturePadding::Pkcs1v15, hash: SignatureHash::Sha1 };
    /// RSASSA-PKCS1-v1_5 with SHA-1.
    pub const PKCS1V15_SHA1: SignatureScheme = Self::RFC3830_DEFAULT;
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    pub const PKCS1V15_SHA256: SignatureScheme =
        SignatureScheme { padding: SignaturePadding::Pkcs1v15, hash: SignatureHash::Sha256 };
    /// RSASSA-PSS with SHA-1 (MGF1-SHA-1, 20-byte salt when signing).
    pub const PSS_SHA1: SignatureScheme = SignatureScheme { padding: SignaturePadding::Pss, hash: SignatureHash::Sha1 };
    /// RSASSA-PSS with SHA-256 (MGF1-SHA-256, 32-byte salt when signing).
    pub const PSS_SHA256: SignatureScheme =
        SignatureScheme { padding: SignaturePadding::Pss, hash: SignatureHash::Sha256 };
}

/// The error for every signature or decryption failure: one kind, one text, whatever failed.
fn auth_failed(what: &'static str) -> Error {
    Error::new(ErrorKind::AuthFailed, what).with_peer_code(MikeyErrorCode::AuthFailure)
}

/// An RSA public key: a peer's (from its certificate) or the public half of our own.
///
/// Equal when the modulus and exponent are equal. `Debug` shows the size and a fingerprint.
pub struct RsaPublicKey {
    rsa: Rsa,
    bits: u32,
    /// DER RSAPublicKey, for equality and `Debug`.
    der: Vec<u8>,
}

impl RsaPublicKey {
    /// Parses a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) holding an RSA key of
    /// [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits.
    ///
    /// Errors: `Malformed` for bytes that are not an SPKI, `Unsupported` for another key type
    /// or size; both carry the `InvalidCertificate` peer code.
    pub fn from_der_spki(der: &[u8]) -> Result<Self> {
        let rsa = parse_evp(der, EVP_parse_public_key).ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "not a DER SubjectPublicKeyInfo with an RSA key")
                .with_peer_code(MikeyErrorCode::InvalidCertificate)
        })?;
        Self::from_rsa(rsa)
    }

    fn from_rsa(rsa: Rsa) -> Result<Self> {
        let bits = rsa.bits();
        if !check_bits(bits) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("RSA key of {bits} bits (accepted: {MIN_RSA_BITS} to {MAX_RSA_BITS})"),
            )
            .with_peer_code(MikeyErrorCode::InvalidCertificate));
        }
        let der = rsa.public_der().ok_or_else(|| Error::crypto("cannot encode the RSA public key"))?;
        Ok(RsaPublicKey { rsa, bits, der })
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Modulus length in bytes: the length of every ciphertext and signature of this key.
    pub fn size(&self) -> usize {
        self.rsa.size()
    }

    /// Longest plaintext [`encrypt_pkcs1v15`](Self::encrypt_pkcs1v15) takes: size − 11.
    pub fn max_plaintext_len(&self) -> usize {
        self.size() - PKCS1_OVERHEAD
    }

    /// The key as a DER RSAPublicKey (RFC 8017 A.1.1).
    pub fn to_pkcs1_der(&self) -> &[u8] {
        &self.der
    }

    /// RSAES-PKCS1-v1_5 encryption of `plaintext` (the envelope key, RFC 3830 §4.2.5), with the
    /// nonzero padding bytes drawn from `rng`.
    ///
    /// Errors: `InvalidArgument` when `plaintext` is longer than
    /// [`max_plaintext_len`](Self::max_plaintext_len); `Crypto` when `rng` or aws-lc fails.
    pub fn encrypt_pkcs1v15(&self, plaintext: &[u8], rng: &dyn RandomSource) -> Result<Vec<u8>> {
        let k = self.size();
        if plaintext.len() > k - PKCS1_OVERHEAD {
            return Err(Error::invalid_argument(format!(
                "RSA plaintext of {} bytes, at most {} fit",
                plaintext.len(),
                k - PKCS1_OVERHEAD
            )));
        }
        // EM = 0x00 || 0x02 || PS || 0x00 || M (RFC 8017 §7.2.1 step 2), PS nonzero random.
        let mut em = SecretBytes::zeroed(k);
        let em_bytes = em.expose_mut();
        em_bytes[1] = 2;
        let ps_end = k - plaintext.len() - 1;
        fill_nonzero(&mut em_bytes[2..ps_end], rng)?;
        em_bytes[k - plaintext.len()..].copy_from_slice(plaintext);
        let mut out = vec![0u8; k];
        let mut out_len = 0usize;
        // SAFETY: the RSA is valid (RSA_encrypt is non-mutating per rsa.h); `out` is writable for
        // k = RSA_size bytes, the documented maximum; `em` is readable for k bytes, as
        // RSA_NO_PADDING requires; neither buffer is retained.
        let ok = unsafe {
            RSA_encrypt(self.rsa.as_ptr(), &mut out_len, out.as_mut_ptr(), k, em_bytes.as_ptr(), k, RSA_NO_PADDING)
        };
        if ok != 1 || out_len != k {
            clear_errors();
            return Err(Error::crypto("RSA encryption failed"));
        }
        Ok(out)
    }

    /// Verifies `signature` over `data` with exactly `scheme`.
    ///
    /// Errors: `AuthFailed` (peer code `AuthFailure`) for any invalid signature.
    pub fn verify(&self, scheme: SignatureScheme, data: &[u8], signature: &[u8]) -> Result<()> {
        let digest = scheme.hash.digest(data);
        let digest = digest.as_ref();
        let ok = match scheme.padding {
            // SAFETY: the RSA is valid (RSA_verify is non-mutating per rsa.h); `digest` and
            // `signature` are readable for the lengths passed and are not retained; the NID
            // names the hash that produced `digest`.
            SignaturePadding::Pkcs1v15 => unsafe {
                RSA_verify(
                    scheme.hash.nid(),
                    digest.as_ptr(),
                    digest.len(),
                    signature.as_ptr(),
                    signature.len(),
                    self.rsa.as_ptr(),
                )
            },
            // SAFETY: as above; `md` is a static EVP_MD matching `digest`, the NULL MGF1 hash
            // means "same as md", and RSA_PSS_SALTLEN_AUTO accepts any salt length.
            SignaturePadding::Pss => unsafe {
                RSA_verify_pss_mgf1(
                    self.rsa.as_ptr(),
                    digest.as_ptr(),
                    digest.len(),
                    scheme.hash.md(),
                    ptr::null(),
                    RSA_PSS_SALTLEN_AUTO,
                    signature.as_ptr(),
                    signature.len(),
                )
            },
        };
        if ok == 1 {
            Ok(())
        } else {
            clear_errors();
            Err(auth_failed("RSA signature verification failed"))
        }
    }

    /// Verifies `signature` with `padding` (the received S type) and either hash, SHA-256
    /// first, then SHA-1; returns the scheme that verified.
    ///
    /// For PKCS#1 v1.5 the signed DigestInfo names its hash, so accepting both is unambiguous;
    /// an invalid signature costs two public-key operations.
    pub fn verify_any_hash(&self, padding: SignaturePadding, data: &[u8], signature: &[u8]) -> Result<SignatureScheme> {
        [SignatureHash::Sha256, SignatureHash::Sha1]
            .into_iter()
            .map(|hash| SignatureScheme { padding, hash })
            .find(|&scheme| self.verify(scheme, data, signature).is_ok())
            .ok_or_else(|| auth_failed("RSA signature verification failed"))
    }
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for RsaPublicKey {}

impl Clone for RsaPublicKey {
    fn clone(&self) -> Self {
        // SAFETY: `self.rsa` is a valid RSA; RSA_up_ref only increments its reference count
        // (thread-safe per rsa.h) and always returns 1. The new `Rsa` owns that reference. The
        // object holds only a public key and is never mutated, so sharing it is sound.
        unsafe { RSA_up_ref(self.rsa.as_ptr()) };
        RsaPublicKey { rsa: Rsa(self.rsa.0), bits: self.bits, der: self.der.clone() }
    }
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fingerprint = super::sha256(&self.der);
        write!(f, "RsaPublicKey({} bits, sha256 of RSAPublicKey ", self.bits)?;
        for byte in &fingerprint[..8] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "...)")
    }
}

/// An RSA private key (own key for signing and for opening envelope keys).
///
/// Loaded from PKCS#8 or PKCS#1, PEM or DER. `Debug` shows only the size; the private numbers
/// are cleared by aws-lc when the key is dropped, and every buffer that held a private key
/// encoding or a decrypted block is zeroized.
pub struct RsaPrivateKey {
    rsa: Rsa,
    public: RsaPublicKey,
    /// Keys the stand-ins of [`RsaPrivateKey::open_envelope_key`]; drawn from aws-lc's generator
    /// when the key is loaded.
    rejection_key: aws_lc_rs::hmac::Key,
}

/// The longest envelope key [`RsaPrivateKey::open_envelope_key`] opens (minisip sends 112 bytes).
const STAND_IN_LEN: usize = 128;

impl RsaPrivateKey {
    /// Loads a private key (`mikey_config_set_private_key`): PEM ("PRIVATE KEY"
    /// = PKCS#8, "RSA PRIVATE KEY" = PKCS#1; the first such block of a bundle) or DER (PKCS#8,
    /// else PKCS#1), detected from the bytes. aws-lc checks the key's consistency.
    ///
    /// Errors: `Unsupported` for encrypted PEM keys, non-RSA keys and sizes outside
    /// [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`]; `InvalidArgument` for anything else that does not parse.
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self> {
        let rsa = match parse_pem(data)? {
            Some(blocks) => Self::from_pem_blocks(&blocks)?,
            None => parse_evp(data, EVP_parse_private_key)
                .or_else(|| rsa_private_key_from_pkcs1(data))
                .ok_or_else(|| Error::invalid_argument("not an RSA private key (PKCS#8 or PKCS#1 DER)"))?,
        };
        let public =
            rsa.public_der().ok_or_else(|| Error::unsupported("RSA private key without its public exponent"))?;
        // SAFETY: `public` is a DER RSAPublicKey just encoded by aws-lc, readable for its
        // length; RSA_public_key_from_bytes copies it into a new RSA we own (or returns NULL).
        let public_rsa = Rsa::from_raw(unsafe { RSA_public_key_from_bytes(public.as_ptr(), public.len()) })
            .ok_or_else(|| Error::crypto("cannot copy the RSA public key"))?;
        // A size error here is about our own key: drop the peer code meant for certificates.
        let public = RsaPublicKey::from_rsa(public_rsa)
            .map_err(|error| Error::new(error.kind(), error.context().to_string()))?;
        let rejection_key =
            aws_lc_rs::hmac::Key::generate(aws_lc_rs::hmac::HMAC_SHA256, &aws_lc_rs::rand::SystemRandom::new())
                .map_err(|_| Error::crypto("the random generator failed"))?;
        Ok(RsaPrivateKey { rsa, public, rejection_key })
    }

    fn from_pem_blocks(blocks: &[PemBlock]) -> Result<Rsa> {
        let block = blocks
            .iter()
            .find(|block| matches!(block.label.as_str(), "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"))
            .ok_or_else(|| Error::invalid_argument("no PRIVATE KEY or RSA PRIVATE KEY block in the PEM data"))?;
        if block.label == "ENCRYPTED PRIVATE KEY" || block.has_headers {
            return Err(Error::unsupported("encrypted private keys are not supported; decrypt the key first"));
        }
        let der = block.der.expose();
        let rsa = if block.label == "PRIVATE KEY" {
            parse_evp(der, EVP_parse_private_key)
        } else {
            rsa_private_key_from_pkcs1(der)
        };
        rsa.ok_or_else(|| Error::invalid_argument(format!("the {} PEM block is not an RSA private key", block.label)))
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> u32 {
        self.public.bits
    }

    /// Modulus length in bytes: the length of every signature and ciphertext of this key.
    pub fn size(&self) -> usize {
        self.public.size()
    }

    /// The public half (to compare with the own certificate's key).
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Signs `data` (the MIKEY message up to the signature field, §5.2) with `scheme`.
    /// PKCS#1 v1.5 signatures are deterministic; PSS salts come from aws-lc's RNG.
    pub fn sign(&self, scheme: SignatureScheme, data: &[u8]) -> Result<Vec<u8>> {
        let digest = scheme.hash.digest(data);
        let digest = digest.as_ref();
        let k = self.size();
        let mut out = vec![0u8; k];
        let (ok, out_len) = match scheme.padding {
            SignaturePadding::Pkcs1v15 => {
                let mut out_len: std::os::raw::c_uint = 0;
                // SAFETY: the RSA is a valid private key (RSA_sign is non-mutating per rsa.h);
                // `digest` is readable for its length and was made by the hash `nid` names;
                // RSA_sign writes at most RSA_size = k bytes to `out`, which has k.
                let ok = unsafe {
                    RSA_sign(
                        scheme.hash.nid(),
                        digest.as_ptr(),
                        digest.len(),
                        out.as_mut_ptr(),
                        &mut out_len,
                        self.rsa.as_ptr(),
                    )
                };
                (ok, out_len as usize)
            }
            SignaturePadding::Pss => {
                let mut out_len = 0usize;
                // SAFETY: as above; `out` is writable for k = max_out bytes; `md` is a static
                // EVP_MD matching `digest`; NULL MGF1 means "same as md".
                let ok = unsafe {
                    RSA_sign_pss_mgf1(
                        self.rsa.as_ptr(),
                        &mut out_len,
                        out.as_mut_ptr(),
                        k,
                        digest.as_ptr(),
                        digest.len(),
                        scheme.hash.md(),
                        ptr::null(),
                        RSA_PSS_SALTLEN_DIGEST,
                    )
                };
                (ok, out_len)
            }
        };
        if ok != 1 || out_len != k {
            clear_errors();
            return Err(Error::crypto("RSA signing failed"));
        }
        Ok(out)
    }

    /// The raw RSA operation on `ciphertext` into a zeroizing buffer of `size()` bytes;
    /// `None` when the length is wrong or the value is not below the modulus (both public).
    fn raw_decrypt(&self, ciphertext: &[u8]) -> Option<SecretBytes> {
        let k = self.size();
        if ciphertext.len() != k {
            return None;
        }
        let mut em = SecretBytes::zeroed(k);
        let mut out_len = 0usize;
        // SAFETY: the RSA is a valid private key (RSA_decrypt is non-mutating per rsa.h);
        // `ciphertext` is readable for k bytes; `em` is writable for k = RSA_size bytes, all
        // that RSA_NO_PADDING writes; neither is retained.
        let ok = unsafe {
            RSA_decrypt(
                self.rsa.as_ptr(),
                &mut out_len,
                em.expose_mut().as_mut_ptr(),
                k,
                ciphertext.as_ptr(),
                k,
                RSA_NO_PADDING,
            )
        };
        if ok != 1 || out_len != k {
            clear_errors();
            return None;
        }
        Some(em)
    }

    /// Opens an RSAES-PKCS1-v1_5 envelope that must hold a key of exactly `key_len` bytes (at
    /// most 128), with implicit rejection: whatever the ciphertext holds (valid padding and a key
    /// of that length, valid padding and any other length, or invalid padding), the result is
    /// `key_len` bytes, the real key or a stand-in, chosen without a branch or an index that
    /// depends on the plaintext. The stand-in is HMAC-SHA-256 in counter mode, under a secret drawn
    /// when the key was loaded, of the ciphertext: the same ciphertext always opens to the same bytes, so
    /// asking again tells nothing. The caller continues (derives keys, checks the KEMAC MAC) and
    /// fails as with a wrong key, doing the same work (RFC 5246 §7.4.7.1; Bleichenbacher,
    /// Crypto '98).
    ///
    /// Errors (all on public data): `AuthFailed` when the ciphertext length is not
    /// [`size`](Self::size) or its value not below the modulus; `InvalidArgument` when `key_len`
    /// exceeds 128.
    pub fn open_envelope_key(&self, ciphertext: &[u8], key_len: usize) -> Result<SecretBytes> {
        let k = self.size();
        if key_len > STAND_IN_LEN {
            return Err(Error::invalid_argument(format!("envelope keys are at most {STAND_IN_LEN} bytes")));
        }
        // HMAC-SHA-256 in counter mode: as many 32-byte blocks as the key needs.
        let mut stand_in = [0u8; STAND_IN_LEN];
        for (counter, block) in (0u8..).zip(stand_in[..key_len].chunks_mut(32)) {
            let mut context = aws_lc_rs::hmac::Context::with_key(&self.rejection_key);
            context.update(ciphertext);
            context.update(&[counter]);
            block.copy_from_slice(&context.sign().as_ref()[..block.len()]);
        }
        let mut em = self.raw_decrypt(ciphertext).ok_or_else(|| auth_failed("RSA decryption failed"))?;
        let (padding_good, start) = pkcs1_type2_check(em.expose());
        // The key length is folded into the flag: a conformant plaintext of another length is
        // rejected exactly like bad padding.
        let good = padding_good & eq_mask(k - start, key_len);
        // Move the message to the front without an index that depends on `start`.
        shift_left_ct(em.expose_mut(), start);
        let mut key = SecretBytes::zeroed(key_len);
        for ((out, message), fallback) in key.expose_mut().iter_mut().zip(em.expose()).zip(&stand_in) {
            *out = select_u8(good, *message, *fallback);
        }
        stand_in.zeroize();
        Ok(key)
    }
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPrivateKey({} bits, redacted)", self.public.bits)
    }
}

/// Parses a DER RSAPrivateKey (PKCS#1, RFC 8017 A.1.2); aws-lc rejects trailing bytes and
/// checks the key (RSA_check_key).
fn rsa_private_key_from_pkcs1(der: &[u8]) -> Option<Rsa> {
    // SAFETY: `der` is readable for its length and not retained; the result is a new RSA we
    // own, or NULL.
    let rsa = Rsa::from_raw(unsafe { RSA_private_key_from_bytes(der.as_ptr(), der.len()) });
    if rsa.is_none() {
        clear_errors();
    }
    rsa
}

/// Fills `out` with nonzero random bytes (the PS string of RFC 8017 §7.2.1): zero bytes are
/// replaced from further draws.
fn fill_nonzero(out: &mut [u8], rng: &dyn RandomSource) -> Result<()> {
    rng.fill(out)?;
    let mut spare = [0u8; 64];
    let mut next = spare.len();
    let mut refills = 0;
    for byte in out.iter_mut() {
        while *byte == 0 {
            if next == spare.len() {
                // A good source needs a second draw of 64 bytes with probability ~2^-58.
                if refills == 8 {
                    return Err(Error::crypto("random source keeps returning zero bytes"));
                }
                rng.fill(&mut spare)?;
                refills += 1;
                next = 0;
            }
            *byte = spare[next];
            next += 1;
        }
    }
    Ok(())
}

/// Checks EM = 0x00 || 0x02 || PS (>= 8 nonzero bytes) || 0x00 || M in constant time (every
/// byte is read, nothing branches on the contents). Returns (0xFF if valid else 0x00, index of
/// M); the index is meaningful only when valid.
fn pkcs1_type2_check(em: &[u8]) -> (u8, usize) {
    if em.len() < PKCS1_OVERHEAD {
        return (0, em.len());
    }
    let mut good = is_zero_mask(em[0]) & is_zero_mask(em[1] ^ 2);
    let mut looking = 0xFFu8;
    let mut zero_index = 0usize;
    for (i, &byte) in em.iter().enumerate().skip(2) {
        let is_zero = is_zero_mask(byte);
        zero_index = select_usize(looking & is_zero, i, zero_index);
        looking &= !is_zero;
    }
    // A separator was found, after at least 8 padding bytes (at index 10 or later).
    good &= !looking;
    good &= !lt_mask(zero_index, 2 + 8);
    (black_box(good), zero_index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn em(k: usize, ps_len: usize, message: &[u8]) -> Vec<u8> {
        let mut em = vec![0u8, 2];
        em.extend(std::iter::repeat_n(0xA5, ps_len));
        em.push(0);
        em.extend_from_slice(message);
        assert_eq!(em.len(), k);
        em
    }

    #[test]
    fn type2_check_accepts_valid_blocks_of_every_message_length() {
        let k = 64;
        for len in 0..=k - PKCS1_OVERHEAD {
            let message: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(7) | 1).collect();
            let block = em(k, k - 3 - len, &message);
            let (good, start) = pkcs1_type2_check(&block);
            assert_eq!(good, 0xFF, "len {len}");
            assert_eq!(&block[start..], &message[..]);
        }
    }

    #[test]
    fn type2_check_rejects_every_kind_of_bad_block() {
        let k = 64;
        let good_block = em(k, 20, &[0x11; 41]);
        assert_eq!(pkcs1_type2_check(&good_block).0, 0xFF);
        let mut bad = good_block.clone();
        bad[0] = 1;
        assert_eq!(pkcs1_type2_check(&bad).0, 0, "first byte not zero");
        let mut bad = good_block.clone();
        bad[1] = 1;
        assert_eq!(pkcs1_type2_check(&bad).0, 0, "block type 1");
        let mut bad = good_block.clone();
        bad[2 + 7] = 0;
        assert_eq!(pkcs1_type2_check(&bad).0, 0, "padding of 7 bytes");
        let mut eight = good_block.clone();
        eight[2 + 8] = 0;
        assert_eq!(pkcs1_type2_check(&eight), (0xFF, 11), "padding of exactly 8 bytes");
        let mut bad = good_block;
        bad[22] = 0xA5;
        bad[23..].fill(0x33);
        assert_eq!(pkcs1_type2_check(&bad).0, 0, "no separator");
        assert_eq!(pkcs1_type2_check(&[0, 2, 1]).0, 0, "too short");
    }

    struct Zeros;
    impl RandomSource for Zeros {
        fn fill(&self, out: &mut [u8]) -> Result<()> {
            out.fill(0);
            Ok(())
        }
    }

    #[test]
    fn fill_nonzero_gives_up_on_an_all_zero_rng() {
        let mut out = [0u8; 16];
        assert_eq!(fill_nonzero(&mut out, &Zeros).unwrap_err().kind(), ErrorKind::Crypto);
    }

    #[test]
    fn signature_padding_s_types() {
        assert_eq!(SignaturePadding::from_s_type(0), Some(SignaturePadding::Pkcs1v15));
        assert_eq!(SignaturePadding::from_s_type(1), Some(SignaturePadding::Pss));
        assert_eq!(SignaturePadding::from_s_type(2), None);
        assert_eq!(SignaturePadding::Pss.s_type(), 1);
        assert_eq!(SignatureScheme::RFC3830_DEFAULT, SignatureScheme::PKCS1V15_SHA1);
    }
}
