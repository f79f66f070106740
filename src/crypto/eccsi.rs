//! ECCSI signatures (RFC 6507) on P-256, for MIKEY-SAKKE (RFC 6509 §4: SIGN type 2).
//!
//! RFC 6509 §2.1.1 fixes the parameters RFC 6507 §4.1 leaves open: the NIST P-256 curve and
//! base point G, and SHA-256, so n = 256 and N = 32 octets. Points are always the uncompressed
//! `0x04 || x || y` (65 octets, RFC 6507 §3.2), scalars 32 big-endian octets.
//!
//! - The KMS (§4.2, §5.1.1): [`Kms`] holds the KMS Secret Authentication Key (KSAK), derives
//!   the KMS Public Authentication Key [`Kpak`] = \[KSAK\]G and issues a Secret Signing Key
//!   [`Ssk`] and Public Validation Token [`Pvt`] for an identifier.
//! - The signer (§5.1.2, §5.2.1): [`SigningKey::new`] validates a received (SSK, PVT) pair
//!   against the KPAK and its ID; [`SigningKey::sign`] produces `r || s || PVT` (129 octets).
//! - The verifier (§5.2.2): [`verify`].
//!
//! # What is constant-time
//!
//! Secret values are the KSAK, the SSK, the KMS's v and the signer's ephemeral j. Everything
//! computed from them runs in time independent of their values:
//!
//! - the range checks 1 <= x < q of a KSAK, SSK, v or j (a byte-wise borrow chain here, no
//!   branch; only the accept/reject outcome is visible);
//! - \[KSAK\]G, \[v\]G, \[SSK\]G and \[j\]G: aws-lc's `EC_POINT_mul`, which always uses its
//!   constant-time scalar multiplication (even when it is given two scalars);
//! - the scalar arithmetic modulo q: Montgomery multiplication (`BN_to_montgomery`,
//!   `BN_mod_mul_montgomery`), `BN_mod_add_quick`, and inversion by Fermat's little theorem,
//!   (HE + r·SSK)^(q-2) with `BN_mod_exp_mont_consttime` (q is prime). Every secret enters as a
//!   32-octet `BIGNUM` (4 words whatever its value) and every operand is reduced first, as these
//!   functions require. `BN_FLG_CONSTTIME` is not used: in aws-lc it is defined as 0 and
//!   `BN_set_flags` ignores it; the constant-time functions are called directly instead;
//! - the tests of HE + r·SSK and of a new SSK against zero (`BN_is_zero` ORs every word): only
//!   the outcome is visible, a restart with a fresh j or v, with probability about 2^-256;
//! - the comparison of \[SSK\]G with KPAK + \[HS\]PVT in [`SigningKey::new`] (`ct_eq`).
//!
//! Not constant-time, because the data is public: reducing HS, HE and r modulo q (`BN_nnmod`,
//! a division), the test of r = Jx against zero, and all of [`verify`] and of the point parsing
//! ([`Kpak::from_bytes`], [`Pvt::from_bytes`]), which handle public data only.
//!
//! Secret scalars live in [`SecretBytes`] (zeroized on drop), and every `BIGNUM` is released
//! with `BN_clear_free`, which overwrites it.

#![deny(clippy::undocumented_unsafe_blocks)]

use std::hint::black_box;
use std::ptr::{self, NonNull};

use aws_lc_rs::digest;
use aws_lc_sys::{
    point_conversion_form_t, BN_mod_add_quick, BN_mod_exp_mont_consttime, BN_mod_mul_montgomery, BN_nnmod,
    BN_to_montgomery, EC_POINT_add, EC_POINT_free, EC_POINT_is_at_infinity, EC_POINT_mul, EC_POINT_new,
    EC_POINT_oct2point, EC_POINT_point2oct, EC_group_p256, EC_GROUP, EC_POINT,
};

use super::bn::{backend_failure, clear_errors, Bn, BnCtx, MontCtx};
use super::const_hex::hex_to_bytes;
use super::ct::ct_eq;
use super::rng::RandomSource;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::secret::SecretBytes;

/// N (RFC 6507 §4.1): the octets of a scalar, of r and s, and of a hash value.
pub const SCALAR_LEN: usize = 32;

/// The octets of an uncompressed point, `0x04 || x || y` (RFC 6507 §3.2): 2N + 1.
pub const POINT_LEN: usize = 1 + 2 * SCALAR_LEN;

/// The octets of a signature `r || s || PVT` (RFC 6507 §3.3): 4N + 1.
pub const SIGNATURE_LEN: usize = 2 * SCALAR_LEN + POINT_LEN;

/// The first octet of an uncompressed point (RFC 5480 §2.2).
const UNCOMPRESSED_FORM: u8 = 0x04;

/// The P-256 base point G, uncompressed (FIPS 186-3 D.1.2.3; RFC 6507 Appendix A). G is hashed
/// into HS, so its exact octets matter; a unit test checks them against aws-lc's group.
const GENERATOR: [u8; POINT_LEN] = hex_to_bytes(concat!(
    "04",
    "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
    "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
));

/// q, the prime order of G (FIPS 186-3 D.1.2.3; RFC 6507 Appendix A).
const ORDER: [u8; SCALAR_LEN] = hex_to_bytes("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

/// q - 2, the exponent that inverts modulo the prime q (Fermat). q ends in 0x51, so only the
/// last octet changes (an underflow would fail the build).
const ORDER_MINUS_2: [u8; SCALAR_LEN] = {
    let mut exponent = ORDER;
    exponent[SCALAR_LEN - 1] -= 2;
    exponent
};

/// How many random candidates (for a KSAK, v or j) are drawn before the random source is
/// declared broken. A working source needs a second draw with probability about 2^-32.
const MAX_RANDOM_DRAWS: usize = 16;

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// The KMS Public Authentication Key (RFC 6507 §4.2): a point of P-256, the signers' root of
/// trust. Made only from a point that lies on the curve ("Before use, each device MUST check that
/// the supplied KPAK lies on the elliptic curve E").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kpak([u8; POINT_LEN]);

impl Kpak {
    /// Parses `0x04 || x || y` (65 octets). Errors: `InvalidArgument` for any other length or
    /// form, coordinates not below p, or a point not on P-256.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode_point(bytes)?
            .map(Kpak)
            .ok_or_else(|| Error::invalid_argument("ECCSI KPAK is not an uncompressed P-256 point"))
    }

    /// The uncompressed encoding, `0x04 || x || y`.
    pub fn as_bytes(&self) -> &[u8; POINT_LEN] {
        &self.0
    }
}

/// A signer's Public Validation Token (RFC 6507 §5.1): a point of P-256, issued with the SSK
/// and carried in every signature. Made only from a point that lies on the curve (§5.1.2 step 1,
/// §5.2.2 step 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pvt([u8; POINT_LEN]);

impl Pvt {
    /// Parses `0x04 || x || y` (65 octets). Errors: `InvalidArgument` for any other length or
    /// form, coordinates not below p, or a point not on P-256.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode_point(bytes)?
            .map(Pvt)
            .ok_or_else(|| Error::invalid_argument("ECCSI PVT is not an uncompressed P-256 point"))
    }

    /// The uncompressed encoding, `0x04 || x || y`.
    pub fn as_bytes(&self) -> &[u8; POINT_LEN] {
        &self.0
    }
}

/// A signer's Secret Signing Key (RFC 6507 §5.1): an integer 1 <= SSK < q, 32 big-endian
/// octets. Zeroized on drop; `Debug` shows no bytes.
#[derive(Clone, Debug)]
pub struct Ssk(SecretBytes);

impl Ssk {
    /// Takes 32 big-endian octets. Errors: `InvalidArgument` for another length, zero, or a
    /// value not below q (checked in constant time).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if is_valid_scalar(bytes) {
            Ok(Ssk(SecretBytes::from_slice(bytes)))
        } else {
            Err(Error::invalid_argument("ECCSI SSK must be 32 octets with 1 <= SSK < q"))
        }
    }

    /// The 32 big-endian octets (to store or provision the key).
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

/// A Key Management Service's signing authority (RFC 6507 §4.2, §5.1.1): the KSAK, a secret
/// 1 <= KSAK < q (zeroized on drop), and the KPAK = \[KSAK\]G it publishes.
#[derive(Clone, Debug)]
pub struct Kms {
    ksak: SecretBytes,
    kpak: Kpak,
}

impl Kms {
    /// The KMS of the KSAK `ksak` (32 big-endian octets), with KPAK = \[KSAK\]G.
    ///
    /// Errors: `InvalidArgument` unless `ksak` is 32 octets with 1 <= KSAK < q.
    pub fn from_ksak(ksak: &[u8]) -> Result<Self> {
        if !is_valid_scalar(ksak) {
            return Err(Error::invalid_argument("ECCSI KSAK must be 32 octets with 1 <= KSAK < q"));
        }
        let kpak = Kpak(EcPoint::linear_combination(Some(&Bn::from_be_bytes(ksak)?), None)?.encode()?);
        Ok(Kms { ksak: SecretBytes::from_slice(ksak), kpak })
    }

    /// A KMS with a fresh random KSAK from `rng` (§4.2: "a random secret non-zero integer
    /// modulo q"). Errors: `Crypto` when `rng` fails or gives no usable candidate in 16 draws.
    pub fn generate(rng: &dyn RandomSource) -> Result<Self> {
        draw_scalar_until(rng, "KSAK", |ksak| Kms::from_ksak(ksak).map(Some))
    }

    /// The KMS Public Authentication Key, \[KSAK\]G.
    pub fn kpak(&self) -> &Kpak {
        &self.kpak
    }

    /// Issues an (SSK, PVT) pair for `id` (§5.1.1) with a fresh random v from `rng`, drawing
    /// again when v gives HS or SSK = 0 mod q (step 5). Errors: `Crypto` when `rng` fails or gives
    /// no usable v in 16 draws.
    pub fn issue(&self, id: &[u8], rng: &dyn RandomSource) -> Result<(Ssk, Pvt)> {
        draw_scalar_until(rng, "v", |v| self.try_issue(id, v))
    }

    /// Issues the (SSK, PVT) pair for `id` that the ephemeral `v` (32 big-endian octets)
    /// determines (§5.1.1): PVT = \[v\]G, HS = hash(G || KPAK || ID || PVT),
    /// SSK = (KSAK + HS·v) mod q. For known-answer tests; [`Kms::issue`] draws v itself.
    ///
    /// Errors: `InvalidArgument` unless v is 32 octets with 1 <= v < q, or when this v gives
    /// HS or SSK = 0 mod q (step 5 asks for a fresh v).
    pub fn issue_with_v(&self, id: &[u8], v: &[u8]) -> Result<(Ssk, Pvt)> {
        if !is_valid_scalar(v) {
            return Err(Error::invalid_argument("ECCSI v must be 32 octets with 1 <= v < q"));
        }
        self.try_issue(id, v)?
            .ok_or_else(|| Error::invalid_argument("ECCSI v gives HS or SSK = 0 mod q (RFC 6507 §5.1.1 step 5)"))
    }

    /// §5.1.1 steps 2 to 6 for a v already checked to be in 1..q; `None` when step 5 rejects it.
    fn try_issue(&self, id: &[u8], v: &[u8]) -> Result<Option<(Ssk, Pvt)>> {
        let mut field = ScalarField::new()?;
        let v = Bn::from_be_bytes(v)?;
        let pvt = Pvt(EcPoint::linear_combination(Some(&v), None)?.encode()?);
        let hs = hash_hs(&self.kpak, id, &pvt);
        let hs = field.reduce(&Bn::from_be_bytes(&hs)?)?;
        if hs.is_zero() {
            return Ok(None);
        }
        let hs_times_v = field.mul(&hs, &v)?;
        let ssk = field.add(&Bn::from_be_bytes(self.ksak.expose())?, &hs_times_v)?;
        if ssk.is_zero() {
            return Ok(None);
        }
        let mut ssk_bytes = SecretBytes::zeroed(SCALAR_LEN);
        ssk.write_be_padded(ssk_bytes.expose_mut())?;
        Ok(Some((Ssk(ssk_bytes), pvt)))
    }
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

/// HS = SHA-256(G || KPAK || ID || PVT) (RFC 6507 §5.1.1 step 3, §5.1.2 step 2, §5.2.2
/// step 2), with G, KPAK and PVT uncompressed.
pub fn hash_hs(kpak: &Kpak, id: &[u8], pvt: &Pvt) -> [u8; SCALAR_LEN] {
    sha256_of(&[&GENERATOR, kpak.as_bytes(), id, pvt.as_bytes()])
}

/// HE = SHA-256(HS || r || M) (RFC 6507 §5.2.1 step 3, §5.2.2 step 3).
pub fn hash_he(hs: &[u8; SCALAR_LEN], r: &[u8; SCALAR_LEN], message: &[u8]) -> [u8; SCALAR_LEN] {
    sha256_of(&[hs, r, message])
}

/// SHA-256 of the concatenation of `parts`.
fn sha256_of(parts: &[&[u8]]) -> [u8; SCALAR_LEN] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; SCALAR_LEN];
    for (slot, byte) in out.iter_mut().zip(context.finish().as_ref()) {
        *slot = *byte;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/// An ECCSI signature `r || s || PVT` (RFC 6507 §3.3), 129 octets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    r: [u8; SCALAR_LEN],
    s: [u8; SCALAR_LEN],
    pvt: Pvt,
}

impl Signature {
    /// r: the x coordinate of J = \[j\]G, 32 octets.
    pub fn r(&self) -> &[u8; SCALAR_LEN] {
        &self.r
    }

    /// s, 32 octets.
    pub fn s(&self) -> &[u8; SCALAR_LEN] {
        &self.s
    }

    /// The signer's PVT.
    pub fn pvt(&self) -> &Pvt {
        &self.pvt
    }

    /// `r || s || PVT`, the Signature field of a SIGN payload (RFC 6509 §4.3).
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        for (slot, byte) in out.iter_mut().zip(self.r.iter().chain(&self.s).chain(self.pvt.as_bytes())) {
            *slot = *byte;
        }
        out
    }
}

/// A signer's validated key material (RFC 6507 §5.1.2, §5.2.1): SSK and PVT, and the HS that
/// binds them to the KPAK and ID they were validated against ("The integer HS SHOULD be stored
/// with the SSK for later use").
#[derive(Clone, Debug)]
pub struct SigningKey {
    ssk: Ssk,
    pvt: Pvt,
    hs: [u8; SCALAR_LEN],
}

impl SigningKey {
    /// Validates a received (SSK, PVT) pair for the identifier `id` under `kpak` (§5.1.2: "Every
    /// SSK MUST be validated before being installed as a signing key"): PVT is on the curve (its
    /// type guarantees it), HS = hash(G || KPAK || ID || PVT), and \[SSK\]G = KPAK + \[HS\]PVT.
    ///
    /// Errors: `InvalidArgument` when the pair does not validate (a wrong SSK, PVT, ID or
    /// KPAK).
    pub fn new(kpak: &Kpak, id: &[u8], ssk: Ssk, pvt: Pvt) -> Result<Self> {
        let hs = hash_hs(kpak, id, &pvt);
        let mut field = ScalarField::new()?;
        let y = public_key_y(&mut field, kpak, &hs, &pvt)?;
        let ssk_times_g = EcPoint::linear_combination(Some(&Bn::from_be_bytes(ssk.expose())?), None)?;
        let validates = match y {
            Some(y) => ct_eq(&ssk_times_g.encode()?, &y.encode()?),
            None => false,
        };
        if validates {
            Ok(SigningKey { ssk, pvt, hs })
        } else {
            Err(Error::invalid_argument(
                "ECCSI SSK does not validate: [SSK]G != KPAK + [HS]PVT for this KPAK, ID and PVT (RFC 6507 §5.1.2)",
            ))
        }
    }

    /// Signs `message` (§5.2.1) with a fresh ephemeral j from `rng`, drawn again when j is not
    /// in 1..q or the RFC asks for a fresh one (Jx = 0, or HE + r·SSK = 0 mod q).
    ///
    /// Errors: `Crypto` when `rng` fails or gives no usable j in 16 draws.
    pub fn sign(&self, message: &[u8], rng: &dyn RandomSource) -> Result<Signature> {
        draw_scalar_until(rng, "j", |j| self.try_sign(message, j))
    }

    /// Signs `message` with the given ephemeral `j` (32 big-endian octets), for known-answer
    /// tests: J = \[j\]G, r = Jx, HE = hash(HS || r || M), s' = ((HE + r·SSK)^-1 · j) mod q,
    /// s = s' (step 6 never applies on P-256: q < 2^256, so s' always fits in 32 octets).
    ///
    /// A j must never be used twice, nor be predictable (§6); [`SigningKey::sign`] draws it.
    ///
    /// Errors: `InvalidArgument` unless j is 32 octets with 1 <= j < q, or when this j gives
    /// Jx = 0 or HE + r·SSK = 0 mod q (step 4 asks for a fresh j).
    pub fn sign_with_ephemeral(&self, message: &[u8], j: &[u8]) -> Result<Signature> {
        if !is_valid_scalar(j) {
            return Err(Error::invalid_argument("ECCSI j must be 32 octets with 1 <= j < q"));
        }
        self.try_sign(message, j)?.ok_or_else(|| {
            Error::invalid_argument("ECCSI j gives Jx = 0 or HE + r*SSK = 0 mod q (RFC 6507 §5.2.1 step 4)")
        })
    }

    /// §5.2.1 steps 2 to 7 for a j already checked to be in 1..q; `None` when this j must be
    /// replaced.
    fn try_sign(&self, message: &[u8], j: &[u8]) -> Result<Option<Signature>> {
        let mut field = ScalarField::new()?;
        let j = Bn::from_be_bytes(j)?;
        let r = x_coordinate(&ephemeral_point(&j)?);
        // The verifier requires Jx != 0 (§5.2.2 step 6).
        if r == [0u8; SCALAR_LEN] {
            return Ok(None);
        }
        let he = hash_he(&self.hs, &r, message);
        let r_mod_q = field.reduce(&Bn::from_be_bytes(&r)?)?;
        let he_mod_q = field.reduce(&Bn::from_be_bytes(&he)?)?;
        let r_times_ssk = field.mul(&r_mod_q, &Bn::from_be_bytes(self.ssk.expose())?)?;
        let denominator = field.add(&he_mod_q, &r_times_ssk)?;
        if denominator.is_zero() {
            return Ok(None);
        }
        let inverse = field.invert(&denominator)?;
        let s_prime = field.mul(&inverse, &j)?;
        let mut s = [0u8; SCALAR_LEN];
        s_prime.write_be_padded(&mut s)?;
        Ok(Some(Signature { r, s, pvt: self.pvt.clone() }))
    }
}

/// J = \[j\]G, uncompressed (§5.2.1 step 2). Never the point at infinity for 1 <= j < q.
fn ephemeral_point(j: &Bn) -> Result<[u8; POINT_LEN]> {
    EcPoint::linear_combination(Some(j), None)?.encode()
}

/// The x coordinate of an uncompressed point.
fn x_coordinate(point: &[u8; POINT_LEN]) -> [u8; SCALAR_LEN] {
    let mut x = [0u8; SCALAR_LEN];
    x.copy_from_slice(&point[1..1 + SCALAR_LEN]);
    x
}

/// Draws 32-octet candidates from `rng` until one is in 1..q and `attempt` accepts it (returns
/// `Some`), at most [`MAX_RANDOM_DRAWS`] times. Each candidate is zeroized when dropped.
fn draw_scalar_until<T>(
    rng: &dyn RandomSource,
    what: &'static str,
    mut attempt: impl FnMut(&[u8]) -> Result<Option<T>>,
) -> Result<T> {
    let mut candidate = SecretBytes::zeroed(SCALAR_LEN);
    for _ in 0..MAX_RANDOM_DRAWS {
        rng.fill(candidate.expose_mut())?;
        if is_valid_scalar(candidate.expose()) {
            if let Some(done) = attempt(candidate.expose())? {
                return Ok(done);
            }
        }
    }
    Err(Error::crypto(format!("the random source gave no usable ECCSI {what} in {MAX_RANDOM_DRAWS} draws")))
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// Verifies an ECCSI `signature` (`r || s || PVT`) over `message` by the signer `id` under the
/// root of trust `kpak` (RFC 6507 §5.2.2): PVT on the curve, HS = hash(G || KPAK || ID || PVT),
/// HE = hash(HS || r || M), Y = \[HS\]PVT + KPAK, J = \[s\](\[HE\]G + \[r\]Y), computed as
/// \[s·HE\]G + \[s·r\]Y, and Jx = r, non-zero.
///
/// Stricter than the RFC's letter in two ways no honest signer can notice: r must equal Jx as
/// an integer (the RFC compares modulo p; the signer sends Jx itself, below p), and s must be in
/// 1..q (the signer's s' is; an s >= q is a second encoding of s mod q, and s = 0 never
/// verifies). Like ECDSA, a valid (r, s) has a twin (r, q - s) that verifies too (RFC 6507 §6).
///
/// Errors: `AuthFailed` (peer code `AuthFailure`) for any signature that does not verify,
/// including one of the wrong length or with a PVT off the curve; `Crypto` if aws-lc fails.
pub fn verify(kpak: &Kpak, id: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
    let (r, s, pvt) = split_signature(signature).ok_or_else(|| auth_failed("ECCSI signature is not 129 octets"))?;
    let pvt = decode_point(pvt)?.map(Pvt).ok_or_else(|| auth_failed("ECCSI signature's PVT is not a P-256 point"))?;
    if *r == [0u8; SCALAR_LEN] || !is_valid_scalar(s) {
        return Err(auth_failed("ECCSI signature has r = 0, or s outside 1..q"));
    }
    let hs = hash_hs(kpak, id, &pvt);
    let he = hash_he(&hs, r, message);
    let mut field = ScalarField::new()?;
    let y =
        public_key_y(&mut field, kpak, &hs, &pvt)?.ok_or_else(|| auth_failed("ECCSI Y is the point at infinity"))?;
    match recompute_j(&mut field, &y, &he, r, s)? {
        Some(j) if x_coordinate(&j) == *r => Ok(()),
        _ => Err(auth_failed("ECCSI signature does not verify")),
    }
}

/// Splits `r || s || PVT`; `None` unless `bytes` is exactly 129 octets.
fn split_signature(bytes: &[u8]) -> Option<(&[u8; SCALAR_LEN], &[u8; SCALAR_LEN], &[u8])> {
    let (r, rest) = bytes.split_first_chunk::<SCALAR_LEN>()?;
    let (s, pvt) = rest.split_first_chunk::<SCALAR_LEN>()?;
    (pvt.len() == POINT_LEN).then_some((r, s, pvt))
}

/// Y = \[HS\]PVT + KPAK (§5.2.2 step 4; §5.1.2 step 3 compares it with \[SSK\]G); `None` when it
/// is the point at infinity.
fn public_key_y(field: &mut ScalarField, kpak: &Kpak, hs: &[u8; SCALAR_LEN], pvt: &Pvt) -> Result<Option<EcPoint>> {
    let hs = field.reduce(&Bn::from_be_bytes(hs)?)?;
    let hs_times_pvt = EcPoint::linear_combination(None, Some((&EcPoint::decode_valid(pvt.as_bytes())?, &hs)))?;
    let y = hs_times_pvt.add(&EcPoint::decode_valid(kpak.as_bytes())?)?;
    Ok((!y.is_at_infinity()).then_some(y))
}

/// J = \[s\](\[HE\]G + \[r\]Y) = \[s·HE mod q\]G + \[s·r mod q\]Y (§5.2.2 step 5), uncompressed;
/// `None` when it is the point at infinity. `s` must be below q.
fn recompute_j(
    field: &mut ScalarField,
    y: &EcPoint,
    he: &[u8; SCALAR_LEN],
    r: &[u8; SCALAR_LEN],
    s: &[u8; SCALAR_LEN],
) -> Result<Option<[u8; POINT_LEN]>> {
    let s = Bn::from_be_bytes(s)?;
    let he_mod_q = field.reduce(&Bn::from_be_bytes(he)?)?;
    let r_mod_q = field.reduce(&Bn::from_be_bytes(r)?)?;
    let generator_scalar = field.mul(&s, &he_mod_q)?;
    let y_scalar = field.mul(&s, &r_mod_q)?;
    let j = EcPoint::linear_combination(Some(&generator_scalar), Some((y, &y_scalar)))?;
    if j.is_at_infinity() {
        Ok(None)
    } else {
        j.encode().map(Some)
    }
}

/// A signature that does not verify, reported to the peer as "Authentication failure"
/// (RFC 3830 §6.12).
fn auth_failed(what: &'static str) -> Error {
    Error::new(ErrorKind::AuthFailed, what).with_peer_code(MikeyErrorCode::AuthFailure)
}

// ---------------------------------------------------------------------------------------------
// Scalars and points
// ---------------------------------------------------------------------------------------------

/// True when `candidate` is 32 octets encoding 1 <= x < q. The time depends on the length only:
/// x - q is computed octet by octet from the least significant end, and its final borrow is 1
/// exactly when x < q; the octets are OR-ed together for the zero test.
fn is_valid_scalar(candidate: &[u8]) -> bool {
    if candidate.len() != SCALAR_LEN {
        return false;
    }
    let mut borrow = 0u16;
    let mut any_bit = 0u8;
    for (&x, &q) in candidate.iter().zip(ORDER.iter()).rev() {
        let difference = u16::from(x).wrapping_sub(u16::from(q)).wrapping_sub(borrow);
        borrow = (difference >> 8) & 1;
        any_bit |= x;
    }
    let below_order = black_box(borrow) == 1;
    let not_zero = black_box(any_bit) != 0;
    below_order & not_zero
}

/// Parses `0x04 || x || y` into its octets when they encode a point of P-256 (coordinates below
/// p, on the curve); `Ok(None)` for any other input; `Err` only when aws-lc cannot allocate.
fn decode_point(bytes: &[u8]) -> Result<Option<[u8; POINT_LEN]>> {
    let Ok(encoded) = <[u8; POINT_LEN]>::try_from(bytes) else { return Ok(None) };
    Ok(EcPoint::decode(&encoded)?.map(|_| encoded))
}

/// The P-256 group, a static object of aws-lc (never freed).
fn p256() -> *const EC_GROUP {
    // SAFETY: EC_group_p256 has no preconditions; it returns a pointer to a static, immutable
    // group that lives as long as the program.
    unsafe { EC_group_p256() }
}

/// An owned aws-lc `EC_POINT` on P-256, released with `EC_POINT_free` on drop.
struct EcPoint(NonNull<EC_POINT>);

impl EcPoint {
    /// A new point of P-256 (the point at infinity).
    fn new() -> Result<Self> {
        // SAFETY: the group is aws-lc's static P-256; EC_POINT_new returns a fresh point or NULL.
        let raw = unsafe { EC_POINT_new(p256()) };
        NonNull::new(raw).map(EcPoint).ok_or_else(|| backend_failure("EC_POINT_new failed"))
    }

    /// The point `0x04 || x || y` encodes, `None` unless the form octet is 0x04 (aws-lc would
    /// also take the hybrid forms 0x06 and 0x07), both coordinates are below p and the point is
    /// on P-256 (aws-lc checks the last two).
    fn decode(encoded: &[u8; POINT_LEN]) -> Result<Option<Self>> {
        if encoded[0] != UNCOMPRESSED_FORM {
            return Ok(None);
        }
        let point = EcPoint::new()?;
        // SAFETY: `point` is a valid EC_POINT of the same static group, exclusively owned here;
        // `encoded` is readable for POINT_LEN octets and not retained; a NULL BN_CTX is allowed.
        let ok =
            unsafe { EC_POINT_oct2point(p256(), point.0.as_ptr(), encoded.as_ptr(), encoded.len(), ptr::null_mut()) };
        if ok == 1 {
            Ok(Some(point))
        } else {
            clear_errors();
            Ok(None)
        }
    }

    /// Decodes octets that a [`Kpak`] or [`Pvt`] holds, so already validated.
    fn decode_valid(encoded: &[u8; POINT_LEN]) -> Result<Self> {
        EcPoint::decode(encoded)?.ok_or_else(|| Error::crypto("a validated ECCSI point no longer decodes"))
    }

    /// \[g_scalar\]G + \[scalar\]point, either term optional (not both absent), through
    /// `EC_POINT_mul`, which is constant-time in both scalars (aws-lc computes the two products
    /// separately with its constant-time multiplications and adds them).
    fn linear_combination(g_scalar: Option<&Bn>, point_term: Option<(&EcPoint, &Bn)>) -> Result<Self> {
        let result = EcPoint::new()?;
        let g_scalar = g_scalar.map_or(ptr::null(), Bn::as_ptr);
        let (point, scalar) = point_term
            .map_or((ptr::null(), ptr::null()), |(point, scalar)| (point.0.as_ptr().cast_const(), scalar.as_ptr()));
        // SAFETY: `result` is a fresh point of the static group that only aws-lc writes, through
        // our exclusive ownership; `point` (when not NULL) is a valid point of the same group and
        // the scalars valid BIGNUMs, all only read and alive for the call; a NULL point comes with
        // a NULL scalar, as EC_POINT_mul requires (two NULL scalars make it fail without touching
        // memory); a NULL BN_CTX is allowed. No pointer is retained.
        let ok = unsafe { EC_POINT_mul(p256(), result.0.as_ptr(), g_scalar, point, scalar, ptr::null_mut()) };
        if ok == 1 {
            Ok(result)
        } else {
            Err(backend_failure("EC_POINT_mul failed"))
        }
    }

    /// self + other.
    fn add(&self, other: &EcPoint) -> Result<Self> {
        let sum = EcPoint::new()?;
        // SAFETY: all three are valid points of the static group; `sum` is distinct from the
        // inputs and exclusively owned, the inputs are only read; a NULL BN_CTX is allowed.
        let ok = unsafe { EC_POINT_add(p256(), sum.0.as_ptr(), self.0.as_ptr(), other.0.as_ptr(), ptr::null_mut()) };
        if ok == 1 {
            Ok(sum)
        } else {
            Err(backend_failure("EC_POINT_add failed"))
        }
    }

    /// True for the point at infinity.
    fn is_at_infinity(&self) -> bool {
        // SAFETY: `self.0` is a valid point of the static group, only read.
        unsafe { EC_POINT_is_at_infinity(p256(), self.0.as_ptr()) == 1 }
    }

    /// `0x04 || x || y`. Errors for the point at infinity, which has no such encoding (callers
    /// test for it first where it can occur).
    fn encode(&self) -> Result<[u8; POINT_LEN]> {
        let mut out = [0u8; POINT_LEN];
        // SAFETY: `self.0` is a valid point of the static group, only read; `out` is writable for
        // POINT_LEN octets and EC_POINT_point2oct writes at most the length it is given; a NULL
        // BN_CTX is allowed.
        let written = unsafe {
            EC_POINT_point2oct(
                p256(),
                self.0.as_ptr(),
                point_conversion_form_t::POINT_CONVERSION_UNCOMPRESSED,
                out.as_mut_ptr(),
                out.len(),
                ptr::null_mut(),
            )
        };
        // The point at infinity encodes as the single octet 0x00.
        if written == POINT_LEN {
            Ok(out)
        } else {
            Err(backend_failure("EC_POINT_point2oct: no uncompressed encoding (point at infinity?)"))
        }
    }
}

impl Drop for EcPoint {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from EC_POINT_new, is owned by this wrapper alone and is freed
        // exactly once, here.
        unsafe { EC_POINT_free(self.0.as_ptr()) };
    }
}

/// Arithmetic modulo q, the order of P-256: a scratch `BN_CTX` and q's Montgomery context.
/// Operands must be reduced (below q), as the constant-time functions require; `reduce` makes
/// public values so.
struct ScalarField {
    ctx: BnCtx,
    montgomery: MontCtx,
    /// q, and q - 2 (the exponent of inversion).
    order: Bn,
    order_minus_2: Bn,
}

impl ScalarField {
    fn new() -> Result<Self> {
        let mut ctx = BnCtx::new()?;
        let order = Bn::from_be_bytes(&ORDER)?;
        let montgomery = MontCtx::new(&order, &mut ctx)?;
        Ok(ScalarField { ctx, montgomery, order, order_minus_2: Bn::from_be_bytes(&ORDER_MINUS_2)? })
    }

    /// `public` mod q, for public values (HS, HE, r) only: `BN_nnmod` divides in variable time.
    fn reduce(&mut self, public: &Bn) -> Result<Bn> {
        let out = Bn::new()?;
        // SAFETY: `out` is a fresh BIGNUM distinct from the inputs, written by aws-lc through our
        // exclusive ownership; `public` and the static order are only read; `self.ctx` is a valid
        // context used by this call alone. No pointer is retained.
        let ok = unsafe { BN_nnmod(out.0.as_ptr(), public.as_ptr(), self.order.as_ptr(), self.ctx.0.as_ptr()) };
        if ok == 1 {
            Ok(out)
        } else {
            Err(backend_failure("BN_nnmod failed"))
        }
    }

    /// a·b mod q for a, b < q, in constant time: a is taken into the Montgomery domain (a·R)
    /// and multiplied by b there (a·R·b·R^-1 = a·b).
    fn mul(&mut self, a: &Bn, b: &Bn) -> Result<Bn> {
        let a_montgomery = Bn::new()?;
        // SAFETY: `a_montgomery` is a fresh BIGNUM distinct from `a`, written through our
        // exclusive ownership; `a` is only read; the Montgomery context and `self.ctx` are valid
        // and used by this call alone. No pointer is retained.
        let ok = unsafe {
            BN_to_montgomery(a_montgomery.0.as_ptr(), a.as_ptr(), self.montgomery.0.as_ptr(), self.ctx.0.as_ptr())
        };
        if ok != 1 {
            return Err(backend_failure("BN_to_montgomery failed"));
        }
        let product = Bn::new()?;
        // SAFETY: as above; `product` is distinct from both inputs, which are only read.
        let ok = unsafe {
            BN_mod_mul_montgomery(
                product.0.as_ptr(),
                a_montgomery.as_ptr(),
                b.as_ptr(),
                self.montgomery.0.as_ptr(),
                self.ctx.0.as_ptr(),
            )
        };
        if ok == 1 {
            Ok(product)
        } else {
            Err(backend_failure("BN_mod_mul_montgomery failed"))
        }
    }

    /// a + b mod q for a, b < q, in constant time (`BN_mod_add_quick`).
    fn add(&mut self, a: &Bn, b: &Bn) -> Result<Bn> {
        let sum = Bn::new()?;
        // SAFETY: `sum` is a fresh BIGNUM distinct from the inputs, written through our exclusive
        // ownership; `a`, `b` and the static order are only read. No pointer is retained.
        let ok = unsafe { BN_mod_add_quick(sum.0.as_ptr(), a.as_ptr(), b.as_ptr(), self.order.as_ptr()) };
        if ok == 1 {
            Ok(sum)
        } else {
            Err(backend_failure("BN_mod_add_quick failed"))
        }
    }

    /// a^-1 mod q for 0 < a < q, in constant time: a^(q-2) (Fermat; q is prime) with
    /// `BN_mod_exp_mont_consttime`.
    fn invert(&mut self, a: &Bn) -> Result<Bn> {
        let inverse = Bn::new()?;
        // SAFETY: `inverse` is a fresh BIGNUM distinct from the inputs, written through our
        // exclusive ownership; `a`, `exponent` and the static order are only read; the Montgomery
        // context was built for that order, as the function requires, and it and `self.ctx` are
        // used by this call alone. An unreduced `a` makes it fail without touching other memory.
        let ok = unsafe {
            BN_mod_exp_mont_consttime(
                inverse.0.as_ptr(),
                a.as_ptr(),
                self.order_minus_2.as_ptr(),
                self.order.as_ptr(),
                self.ctx.0.as_ptr(),
                self.montgomery.0.as_ptr(),
            )
        };
        if ok == 1 {
            Ok(inverse)
        } else {
            Err(backend_failure("BN_mod_exp_mont_consttime failed"))
        }
    }
}

#[cfg(test)]
mod tests {
    //! The intermediates the public API does not show (J of the signer, Y and J of the
    //! verifier), the curve constants, and the scalar helpers. The vector file is RFC 6507
    //! Appendix A, transcribed (tests/vectors/rfc6507_eccsi_appendixA.json).

    use super::*;

    use aws_lc_sys::EC_GROUP_get0_generator;

    fn vector(section: &str, name: &str) -> Vec<u8> {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/rfc6507_eccsi_appendixA.json")).unwrap();
        let hex = json[section][name].as_str().unwrap_or_else(|| panic!("{section}.{name} missing"));
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    fn array<const LEN: usize>(bytes: &[u8]) -> [u8; LEN] {
        bytes.try_into().unwrap()
    }

    #[test]
    fn generator_and_order_are_aws_lcs_p256() {
        // SAFETY: the static group's generator, only read; the wrapper is not dropped (the
        // point belongs to the group), hence ManuallyDrop.
        let generator = std::mem::ManuallyDrop::new(EcPoint(
            NonNull::new(unsafe { EC_GROUP_get0_generator(p256()) }.cast_mut()).unwrap(),
        ));
        assert_eq!(generator.encode().unwrap(), GENERATOR);
        let mut q = [0u8; SCALAR_LEN];
        // SAFETY: the order inside aws-lc's static group, only read; `q` is writable for 32 octets.
        let order = unsafe { aws_lc_sys::EC_GROUP_get0_order(p256()) };
        // SAFETY: as above.
        assert_eq!(unsafe { aws_lc_sys::BN_bn2bin_padded(q.as_mut_ptr(), q.len(), order) }, 1);
        assert_eq!(q, ORDER);
        assert_eq!(GENERATOR.as_slice(), vector("community", "G"));
        assert_eq!(ORDER.as_slice(), vector("community", "q"));
        assert_eq!(ORDER_MINUS_2[31], 0x4F);
        assert_eq!(ORDER_MINUS_2[..31], ORDER[..31]);
    }

    #[test]
    fn scalar_range_check_boundaries() {
        let mut x = [0u8; SCALAR_LEN];
        assert!(!is_valid_scalar(&x), "0");
        x[31] = 1;
        assert!(is_valid_scalar(&x), "1");
        let mut q = ORDER;
        assert!(!is_valid_scalar(&q), "q");
        q[31] -= 1;
        assert!(is_valid_scalar(&q), "q - 1");
        q[31] += 2;
        assert!(!is_valid_scalar(&q), "q + 1");
        // Differs from q only in an early octet, both ways.
        let mut above = ORDER;
        above[4] = 1;
        assert!(!is_valid_scalar(&above));
        let mut below = ORDER;
        below[16] = 0xBC - 1;
        assert!(is_valid_scalar(&below));
        assert!(!is_valid_scalar(&[0xFF; SCALAR_LEN]));
        assert!(!is_valid_scalar(&[1; SCALAR_LEN - 1]), "31 octets");
        assert!(!is_valid_scalar(&[1; SCALAR_LEN + 1]), "33 octets");
        assert!(!is_valid_scalar(&[]));
    }

    #[test]
    fn scalar_field_multiplies_adds_and_inverts() {
        let mut field = ScalarField::new().unwrap();
        let value = |bytes: &Bn| {
            let mut out = [0u8; SCALAR_LEN];
            bytes.write_be_padded(&mut out).unwrap();
            out
        };
        let small = |n: u8| Bn::from_be_bytes(&[n]).unwrap();
        assert_eq!(value(&field.mul(&small(6), &small(7)).unwrap())[31], 42);
        let mut q_minus_1 = ORDER;
        q_minus_1[31] -= 1;
        let minus_one = Bn::from_be_bytes(&q_minus_1).unwrap();
        // (-1)·(-1) = 1, (-1) + 2 = 1, (-1)^-1 = -1.
        assert_eq!(value(&field.mul(&minus_one, &minus_one).unwrap()), value(&small(1)));
        assert_eq!(value(&field.add(&minus_one, &small(2)).unwrap()), value(&small(1)));
        assert_eq!(value(&field.invert(&minus_one).unwrap()), q_minus_1);
        let a = Bn::from_be_bytes(&vector("signer", "SSK")).unwrap();
        let inverse = field.invert(&a).unwrap();
        assert_eq!(value(&field.mul(&a, &inverse).unwrap()), value(&small(1)));
        assert_eq!(value(&field.reduce(&Bn::from_be_bytes(&ORDER).unwrap()).unwrap()), [0u8; SCALAR_LEN]);
        assert!(field.reduce(&Bn::from_be_bytes(&ORDER).unwrap()).unwrap().is_zero());
        // Unreduced input is refused, not mis-computed.
        let q = Bn::from_be_bytes(&ORDER).unwrap();
        assert!(matches!(field.invert(&q), Err(err) if err.kind() == ErrorKind::Crypto));
    }

    #[test]
    fn signer_j_is_the_rfc_value() {
        let j = Bn::from_be_bytes(&vector("signature", "j")).unwrap();
        let big_j = ephemeral_point(&j).unwrap();
        assert_eq!(big_j.as_slice(), vector("signature", "J"));
        assert_eq!(x_coordinate(&big_j).as_slice(), vector("signature", "r"));
    }

    #[test]
    fn verifier_y_and_j_are_the_rfc_values() {
        let kpak = Kpak::from_bytes(&vector("community", "KPAK")).unwrap();
        let pvt = Pvt::from_bytes(&vector("signer", "PVT")).unwrap();
        let hs = array(&vector("signer", "HS"));
        let mut field = ScalarField::new().unwrap();
        let y = public_key_y(&mut field, &kpak, &hs, &pvt).unwrap().unwrap();
        assert_eq!(y.encode().unwrap().as_slice(), vector("verification", "Y"));
        let j = recompute_j(
            &mut field,
            &y,
            &array(&vector("signature", "HE")),
            &array(&vector("signature", "r")),
            &array(&vector("signature", "s")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(j.as_slice(), vector("verification", "J"));
        assert_eq!(x_coordinate(&j).as_slice(), vector("verification", "Jx"));
        // The SSK validation's other side: [SSK]G = Y.
        let ssk = Bn::from_be_bytes(&vector("signer", "SSK")).unwrap();
        assert_eq!(EcPoint::linear_combination(Some(&ssk), None).unwrap().encode().unwrap(), y.encode().unwrap());
    }

    #[test]
    fn points_decode_only_in_uncompressed_form() {
        let pvt = array::<POINT_LEN>(&vector("signer", "PVT"));
        assert!(EcPoint::decode(&pvt).unwrap().is_some());
        // The same point in hybrid form (0x06 | parity of y) is a valid encoding to aws-lc.
        let mut hybrid = pvt;
        hybrid[0] = 0x06 | (pvt[POINT_LEN - 1] & 1);
        assert!(EcPoint::decode(&hybrid).unwrap().is_none());
        let mut off_curve = pvt;
        off_curve[POINT_LEN - 1] ^= 1;
        assert!(EcPoint::decode(&off_curve).unwrap().is_none());
        // x = p (not below p).
        let mut too_big = pvt;
        too_big[1..33].copy_from_slice(&vector("global", "p"));
        assert!(EcPoint::decode(&too_big).unwrap().is_none());
        // Later calls are unaffected by the errors aws-lc queued.
        assert!(EcPoint::decode(&pvt).unwrap().is_some());
    }

    #[test]
    fn infinity_has_no_encoding() {
        let q = Bn::from_be_bytes(&ORDER).unwrap();
        let pvt = EcPoint::decode_valid(&array(&vector("signer", "PVT"))).unwrap();
        // [q]PVT is the point at infinity (aws-lc reduces q to 0).
        let infinity = EcPoint::linear_combination(None, Some((&pvt, &q))).unwrap();
        assert!(infinity.is_at_infinity());
        assert_eq!(infinity.encode().unwrap_err().kind(), ErrorKind::Crypto);
        assert!(!pvt.is_at_infinity());
        assert!(matches!(EcPoint::linear_combination(None, None), Err(err) if err.kind() == ErrorKind::Crypto));
    }
}
