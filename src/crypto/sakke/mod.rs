//! SAKKE (RFC 6508) in Parameter Set 1 (RFC 6509 Appendix A), for MIKEY-SAKKE (RFC 6509).
//!
//! - Sender (§6.2.1): [`encapsulate`] draws an SSV and returns it with the Encapsulated Data
//!   (SED, §4: R_(b,S) as 0x04 || x || y, then H, 273 octets); [`encapsulate_with_ssv`] takes the
//!   SSV (for test vectors); [`sender_values`] stops before the hint: R_(b,S) and g^r.
//! - Receiver (§6.2.2): [`ReceiverSecretKey::new`] checks an RSK (§6.1.2: <\[b\]P + Z, RSK> = g)
//!   and precomputes what every decapsulation needs; [`ReceiverSecretKey::decapsulate`] recovers
//!   the SSV and refuses it (`ErrorKind::AuthFailed`) unless TEST = \[r\](\[b\]P + Z) equals R_(b,S).
//!   Its steps are public too: [`Sed::parse`], [`ReceiverSecretKey::pairing_value`] (w),
//!   [`hash_to_integer_range_2n`] (the mask), [`ReceiverSecretKey::check_ssv`] (TEST).
//! - [`KmsPublicKey`] (Z_S, §2.2) carries a table for the sender's \[r\]Z; [`Identifier`] is b;
//!   [`Point`] a public point of E; [`pairing()`] the pairing <R, Q> of §3.2.
//! - HashToIntegerRange (§5.1): [`hash_to_integer_range_q`], [`hash_to_integer_range_2n`] and
//!   the blocks before the reduction, [`hash_to_integer_range_blocks`].
//!
//! Everything is the RFC's exact form: the SED is always 273 octets, H keeps its leading zero
//! octets, and g^r (sender) and w (receiver) are hashed as 128-octet F_p elements (§4). Streamwide's
//! sw_mikey_sakke drops leading zero octets of H and of the hashed g^r, failing to interoperate
//! for about one SSV in 128; an interop switch would compose the pieces above with that encoding.
//!
//! # How it is computed
//!
//! F_p elements are 1024-bit integers in Montgomery form, multiplied by aws-lc's `bn_mul_mont`
//! (its assembly: MULX/ADX on x86-64) on `BIGNUM` views of our own limb arrays; additions and
//! selections are branch-free Rust (`fp`). Points use the complete projective addition law of
//! Renes, Costello and Batina (`curve`). The pairing walks the multiples of the RSK rather than
//! of R (the pairing is symmetric on E(F_p)\[q\]), so the Miller loop's lines are computed once per
//! RSK and each decapsulation only evaluates them at R: six F_p multiplications per step (three
//! more per digit ±1) over the non-adjacent form of q - 1, then the power (p+1)/q = 4 and one
//! inversion (`pairing`). Scalar
//! multiplications use tables of \[d·32^j\]B for fixed points B (P, Z, and the receiver's
//! \[b\]P + Z), so \[k\]B is 205 additions and no doubling; g^r uses the same kind of table in PF_p.
//! An encapsulation is R = \[r·b\]P + \[r\]Z and g^r with one inversion for both. The tables of P
//! and of g are made once per process, on first use (about 1.4 MB and 0.7 MB, some 40 ms).
//!
//! aws-lc rather than `crypto-bigint`: both multiply in constant time, but on this project's
//! machines aws-lc's 1024-bit Montgomery product takes about 0.25 µs (a squaring 0.2 µs) against
//! 0.66 µs (0.45 µs) for crypto-bigint 0.7's `ConstMontyForm`, and every operation here is mostly
//! such products; aws-lc is already linked (the crate's crypto backend), and crypto-bigint 0.7
//! would raise the crate's minimum Rust version to 1.87.
//!
//! # Constant time
//!
//! Whatever depends on the RSK, the SSV or r runs in constant time: no branch and no memory
//! index depends on it.
//! - F_p: aws-lc's Montgomery multiplication; additions, subtractions, comparisons and selections
//!   with masks; inversion by aws-lc's blinded binary algorithm, whose time depends only on the
//!   element times a fresh random factor (as in RSA blinding).
//! - Scalar multiplication \[k\]B and g^k: the signed digits of k are computed without a branch,
//!   every entry of a table row is read and one kept by masks, a negative digit negates by a mask,
//!   and the complete addition law has no exceptional case to branch on (a zero digit computes a
//!   sum and keeps the old value by a mask).
//! - The Miller lines of the RSK (its walk, one batched inversion), their evaluation at R, and the
//!   RSK's checks (on the curve, \[q\]RSK = O, <\[b\]P + Z, RSK> = g): operations fixed by the public
//!   q alone. HashToIntegerRange: SHA-256 (aws-lc) and the reduction mod q by masked subtractions.
//! - Comparisons (TEST = R, the pairing = g) are computed in full; only their verdict branches.
//!
//! Not constant time, on public values only: parsing (lengths, the point form, an identifier's
//! range), the check \[q\]Z of a KMS key, the tables of P, Z and \[b\]P + Z, and an early return on a
//! failed check. The cases r = 0 and R = O (of negligible probability) are refused by a branch.
//!
//! Secrets (the SSV, r, w, g^r, the mask, the RSK's lines) are zeroized when dropped; copies of
//! field elements left in stack frames and aws-lc's SHA-256 states are not. No `Debug` prints a
//! secret.

mod curve;
// With `ifma`, the files of the module with `unsafe`: aws-lc's Montgomery multiplication and
// inversion, through aws-lc-sys.
#[allow(unsafe_code)]
mod fp;
mod hash;
// AVX-512 IFMA products modulo p (x86-64 intrinsics, behind a run-time feature check).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod ifma;
mod pairing;

use std::fmt;

use once_cell::sync::OnceCell;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::const_hex::hex_to_bytes;
use crate::crypto::rng::RandomSource;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;
use curve::{has_order_q, Affine, FixedBase};
use fp::{uint_from_be, Field, Scalar};
use pairing::{MillerLines, PfTable};

pub use hash::hash_to_integer_range_blocks;

/// Octets of an F_p element (L, RFC 6508 §4).
pub const FIELD_LEN: usize = fp::FIELD_LEN;
/// Octets of an uncompressed point, 0x04 || x || y (RFC 6508 §4).
pub const POINT_LEN: usize = curve::POINT_LEN;
/// Octets of an SSV and of H: n = 128 bits (RFC 6509 Appendix A).
pub const SSV_LEN: usize = hash::SSV_LEN;
/// Octets of the Encapsulated Data R_(b,S) || H (RFC 6508 §4).
pub const SED_LEN: usize = POINT_LEN + SSV_LEN;

/// p of Parameter Set 1 (RFC 6509 Appendix A), big-endian.
pub const PRIME_P: [u8; FIELD_LEN] = fp::P_BYTES;
/// q of Parameter Set 1 (RFC 6509 Appendix A), big-endian: the order of P.
pub const ORDER_Q: [u8; FIELD_LEN] = fp::Q_BYTES;
/// The generator P of Parameter Set 1 (RFC 6509 Appendix A), uncompressed.
pub const GENERATOR_P: [u8; POINT_LEN] = hex_to_bytes(concat!(
    "04",
    "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF",
    "B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890",
    "9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D",
    "D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895",
    "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178",
    "F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B9",
    "70DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F2",
    "13515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7",
));
/// g = <P, P> of Parameter Set 1 (RFC 6509 Appendix A): its representative in F_p.
pub const PAIRING_G: [u8; FIELD_LEN] = hex_to_bytes(concat!(
    "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87",
    "371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE",
    "EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA",
    "D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46",
));

/// Writes `bytes` as upper-case hex (public values, in `Debug`).
fn write_hex(out: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|byte| write!(out, "{byte:02X}"))
}

/// The generator P as a point.
fn generator(f: &Field) -> Result<Affine> {
    Affine::parse(f, &GENERATOR_P).ok_or_else(|| Error::crypto("SAKKE: the generator P is not on the curve"))
}

/// The table of P, shared by every sender and receiver, made on first use.
fn p_table() -> Result<&'static FixedBase> {
    static TABLE: OnceCell<FixedBase> = OnceCell::new();
    TABLE.get_or_try_init(|| {
        let f = Field::new()?;
        let table = FixedBase::new(&f, &generator(&f)?);
        f.check()?;
        Ok(table)
    })
}

/// The table of the powers of g in PF_p, shared by every sender, made on first use.
fn g_table() -> Result<&'static PfTable> {
    static TABLE: OnceCell<PfTable> = OnceCell::new();
    TABLE.get_or_try_init(|| {
        let f = Field::new()?;
        let table = PfTable::new(&f, &f.fp_from_bytes(&PAIRING_G).0);
        f.check()?;
        Ok(table)
    })
}

/// An identifier b (RFC 6508 §2.2), such as the 32-octet UID of RFC 6509 §3.2 and TS 33.180:
/// an integer from 2 to q - 1, given as big-endian octets. \[b\]P uses the integer; r hashes
/// SSV || b with the octets exactly as given (leading zero octets included).
#[derive(Clone)]
pub struct Identifier {
    octets: Vec<u8>,
    value: Scalar,
}

impl Identifier {
    /// `octets` as an identifier: 1 to 128 octets, an integer from 2 to q - 1.
    pub fn new(octets: &[u8]) -> Result<Identifier> {
        let mut padded = [0u8; FIELD_LEN];
        let start = FIELD_LEN.checked_sub(octets.len()).filter(|_| !octets.is_empty()).ok_or_else(|| {
            Error::invalid_argument("SAKKE: an identifier is 1 to 128 octets (an integer below q, RFC 6508 §2.2)")
        })?;
        padded[start..].copy_from_slice(octets);
        let below_two = padded[..FIELD_LEN - 1].iter().all(|&byte| byte == 0) && padded[FIELD_LEN - 1] < 2;
        let value = Scalar::new_public(&uint_from_be(&padded)).filter(|_| !below_two).ok_or_else(|| {
            Error::invalid_argument("SAKKE: an identifier is an integer from 2 to q - 1 (RFC 6508 §2.2)")
        })?;
        Ok(Identifier { octets: octets.to_vec(), value })
    }

    /// The octets, as given.
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str("Identifier(")?;
        write_hex(out, &self.octets)?;
        out.write_str(")")
    }
}

/// A point of E(F_p) other than the identity, parsed strictly from its uncompressed form: public
/// values (P, Z_S, R_(b,S)).
#[derive(Clone)]
pub struct Point {
    affine: Affine,
    encoded: [u8; POINT_LEN],
}

impl Point {
    /// Parses 0x04 || x || y (RFC 6508 §4): 257 octets, x and y below p, on the curve
    /// y^2 = x^3 - 3x. Otherwise `ErrorKind::Malformed`.
    pub fn from_uncompressed(bytes: &[u8]) -> Result<Point> {
        let f = Field::new()?;
        Point::parse(&f, bytes)
    }

    fn parse(f: &Field, bytes: &[u8]) -> Result<Point> {
        let affine = Affine::parse(f, bytes).ok_or_else(|| {
            Error::malformed("SAKKE: not an uncompressed point of E: y^2 = x^3 - 3x over F_p (RFC 6508 §4)")
        })?;
        let mut encoded = [0u8; POINT_LEN];
        encoded.copy_from_slice(bytes);
        Ok(Point { affine, encoded })
    }

    /// 0x04 || x || y.
    pub fn to_uncompressed(&self) -> [u8; POINT_LEN] {
        self.encoded
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Point) -> bool {
        self.encoded == other.encoded
    }
}

impl Eq for Point {}

impl fmt::Debug for Point {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str("Point(")?;
        write_hex(out, &self.encoded)?;
        out.write_str(")")
    }
}

/// A KMS Public Key Z_S = \[z_S\]P (RFC 6508 §2.2), with the table of its multiples that makes the
/// sender's \[r\]Z_S cheap (about 1.4 MB, made in about 40 ms): keep it for the key's lifetime.
pub struct KmsPublicKey {
    point: Point,
    table: FixedBase,
}

impl KmsPublicKey {
    /// Z_S from 0x04 || x || y: a point of E of order q, else `ErrorKind::InvalidArgument`.
    pub fn new(uncompressed: &[u8]) -> Result<KmsPublicKey> {
        let f = Field::new()?;
        let point = Point::parse(&f, uncompressed)
            .map_err(|_| Error::invalid_argument("SAKKE: the KMS public key is not a point of E (RFC 6508 §4)"))?;
        if !has_order_q(&f, &point.affine) {
            return Err(Error::invalid_argument("SAKKE: the KMS public key is not of order q (RFC 6508 §2.2)"));
        }
        let table = FixedBase::new(&f, &point.affine);
        f.check()?;
        Ok(KmsPublicKey { point, table })
    }

    /// Z_S.
    pub fn point(&self) -> &Point {
        &self.point
    }
}

impl fmt::Debug for KmsPublicKey {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.debug_tuple("KmsPublicKey").field(&self.point).finish()
    }
}

/// A SAKKE KMS (RFC 6508 §2.2, §6.1.1): the master secret z_S, zeroized on drop, which makes the
/// public key Z_S = \[z_S\]P and issues each identifier's RSK = \[(b + z_S)^-1\]P. For test and lab
/// KMSs; a real KMS keeps z_S in an HSM. Constant-time in z_S and b like the rest of this
/// module: the inversion is square-and-multiply on the public exponent q - 2 with aws-lc's
/// Montgomery product, and the multiples of P come from the masked fixed-base table.
pub struct Kms {
    secret: Scalar,
    public: KmsPublicKey,
}

impl Kms {
    /// The KMS of master secret `z` (big-endian, 1 to 128 octets, 0 < z < q).
    pub fn from_secret(z: &[u8]) -> Result<Kms> {
        let secret = Identifier::new(z).map_err(|_| Error::invalid_argument("SAKKE: a KMS secret is 2 to q - 1"))?;
        let f = Field::new()?;
        let public = p_table()?.mul(&f, &secret.value).to_affine(&f);
        let public = KmsPublicKey::new(&public.encode(&f))?;
        f.check()?;
        Ok(Kms { secret: secret.value.clone(), public })
    }

    /// A KMS with a master secret drawn from `rng`.
    pub fn generate(rng: &dyn RandomSource) -> Result<Kms> {
        let mut z = Zeroizing::new([0u8; FIELD_LEN]);
        rng.fill(&mut z[1..])?;
        Kms::from_secret(&z[..])
    }

    /// Z_S.
    pub fn public_key(&self) -> &KmsPublicKey {
        &self.public
    }

    /// The RSK of identifier `b`: \[(b + z_S)^-1\]P as 0x04 || x || y (RFC 6508 §6.1.1).
    pub fn issue(&self, b: &Identifier) -> Result<Zeroizing<[u8; POINT_LEN]>> {
        let f = Field::new()?;
        let sum = self.secret.add(&b.value);
        if sum.is_zero() == 1 {
            return Err(Error::invalid_argument("SAKKE: b + z_S = 0 mod q: this identifier has no RSK"));
        }
        let inverse = f.invert_scalar(&sum);
        let rsk = Zeroizing::new(p_table()?.mul(&f, &inverse).to_affine(&f).encode(&f));
        f.check()?;
        Ok(rsk)
    }
}

impl fmt::Debug for Kms {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.debug_struct("Kms").field("public", &self.public).finish_non_exhaustive()
    }
}

/// Encapsulated Data (R_(b,S), H) (RFC 6508 §4, §6.2.1 step 5): public.
#[derive(Clone, PartialEq, Eq)]
pub struct Sed {
    point: Point,
    hint: [u8; SSV_LEN],
}

impl Sed {
    /// Parses R_(b,S) || H: exactly 273 octets, R a point of E (strictly, as
    /// [`Point::from_uncompressed`]); otherwise `ErrorKind::Malformed`.
    pub fn parse(bytes: &[u8]) -> Result<Sed> {
        let f = Field::new()?;
        Sed::parse_with(&f, bytes)
    }

    fn parse_with(f: &Field, bytes: &[u8]) -> Result<Sed> {
        if bytes.len() != SED_LEN {
            return Err(Error::malformed("SAKKE: Encapsulated Data is 273 octets, R || H (RFC 6508 §4)"));
        }
        let (point, hint) = bytes.split_at(POINT_LEN);
        let mut hint_octets = [0u8; SSV_LEN];
        hint_octets.copy_from_slice(hint);
        Ok(Sed { point: Point::parse(f, point)?, hint: hint_octets })
    }

    /// R_(b,S).
    pub fn point(&self) -> &Point {
        &self.point
    }

    /// H.
    pub fn hint(&self) -> &[u8; SSV_LEN] {
        &self.hint
    }

    /// R_(b,S) || H.
    pub fn to_bytes(&self) -> [u8; SED_LEN] {
        let mut out = [0u8; SED_LEN];
        out[..POINT_LEN].copy_from_slice(&self.point.encoded);
        out[POINT_LEN..].copy_from_slice(&self.hint);
        out
    }
}

impl fmt::Debug for Sed {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str("Sed(")?;
        write_hex(out, &self.to_bytes())?;
        out.write_str(")")
    }
}

/// The sender's values before the hint (RFC 6508 §6.2.1 steps 2 to 4a): R_(b,S) and g^r.
pub struct SenderValues {
    point: Point,
    g_pow_r: SecretBytes,
}

impl SenderValues {
    /// R_(b,S) = \[r\](\[b\]P + Z_S).
    pub fn point(&self) -> &Point {
        &self.point
    }

    /// g^r in PF_p\[q\], its representative as 128 octets (RFC 6508 §4): the input of the mask.
    pub fn g_pow_r(&self) -> &SecretBytes {
        &self.g_pow_r
    }
}

impl fmt::Debug for SenderValues {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.debug_struct("SenderValues").field("point", &self.point).field("g_pow_r", &self.g_pow_r).finish()
    }
}

/// Checks that an SSV is n = 128 bits.
fn check_ssv_len(ssv: &[u8]) -> Result<()> {
    if ssv.len() != SSV_LEN {
        return Err(Error::invalid_argument("SAKKE: the SSV is 16 octets (n = 128, RFC 6509 Appendix A)"));
    }
    Ok(())
}

/// r = HashToIntegerRange(SSV || b, q, SHA-256) (RFC 6508 §6.2.1 step 2, §6.2.2 step 4).
fn ephemeral(ssv: &[u8], b: &Identifier) -> Scalar {
    let mut input = Zeroizing::new(Vec::with_capacity(ssv.len() + b.octets.len()));
    input.extend_from_slice(ssv);
    input.extend_from_slice(&b.octets);
    hash::to_scalar(&input)
}

/// R_(b,S) and the representative of g^r, with one inversion for both.
fn sender_values_with(f: &Field, ssv: &[u8], b: &Identifier, z: &KmsPublicKey) -> Result<(Point, SecretBytes)> {
    check_ssv_len(ssv)?;
    let r = ephemeral(ssv, b);
    if r.is_zero() == 1 {
        return Err(Error::crypto("SAKKE: r = 0 (negligible probability): no Encapsulated Data for this SSV"));
    }
    // [r]([b]P + Z) = [r·b mod q]P + [r]Z, from the two tables.
    let rb = f.mul_scalars(&r, &b.value);
    let mut point = p_table()?.mul(f, &rb).add(f, &z.table.mul(f, &r));
    if point.is_identity() == 1 {
        return Err(Error::invalid_argument("SAKKE: [b]P + Z is the identity for this identifier and KMS key"));
    }
    let mut g_r = g_table()?.pow(f, &r);
    let mut inverse = f.invert(&f.mul(&point.z, &g_r.re));
    let z_inverse = f.mul(&inverse, &g_r.re);
    let affine = Affine { x: f.mul(&point.x, &z_inverse), y: f.mul(&point.y, &z_inverse) };
    let mut representative = f.mul(&g_r.im, &f.mul(&inverse, &point.z));
    let g_pow_r = SecretBytes::new(f.fp_to_bytes(&representative).to_vec());
    // R's projective form (its Z depends on r's digits) and g^r go with the stack frame.
    point.zeroize();
    g_r.zeroize();
    inverse.zeroize();
    representative.zeroize();
    Ok((Point { affine, encoded: affine.encode(f) }, g_pow_r))
}

/// R_(b,S) and g^r for `ssv` (16 octets), the receiver `b` and its KMS key `z` (RFC 6508 §6.2.1
/// steps 2 to 4a).
pub fn sender_values(ssv: &[u8], b: &Identifier, z: &KmsPublicKey) -> Result<SenderValues> {
    let f = Field::new()?;
    let (point, g_pow_r) = sender_values_with(&f, ssv, b, z)?;
    f.check()?;
    Ok(SenderValues { point, g_pow_r })
}

/// The Encapsulated Data of `ssv` (16 octets) for the receiver `b` under the KMS key `z`
/// (RFC 6508 §6.2.1): R_(b,S) || H, H = SSV XOR HashToIntegerRange(g^r, 2^128, SHA-256).
/// Deterministic: for test vectors; [`encapsulate`] draws the SSV.
pub fn encapsulate_with_ssv(ssv: &[u8], b: &Identifier, z: &KmsPublicKey) -> Result<[u8; SED_LEN]> {
    let f = Field::new()?;
    let (point, g_pow_r) = sender_values_with(&f, ssv, b, z)?;
    f.check()?;
    let mask = hash::to_mask(g_pow_r.expose());
    let mut sed = [0u8; SED_LEN];
    sed[..POINT_LEN].copy_from_slice(&point.encoded);
    for ((out, ssv_octet), mask_octet) in sed[POINT_LEN..].iter_mut().zip(ssv).zip(mask.iter()) {
        *out = ssv_octet ^ mask_octet;
    }
    Ok(sed)
}

/// A fresh SSV from `rng` (RFC 6508 §6.2.1 step 1) and its Encapsulated Data for the receiver
/// `b` under the KMS key `z`: (SSV, R_(b,S) || H).
pub fn encapsulate(rng: &dyn RandomSource, b: &Identifier, z: &KmsPublicKey) -> Result<(SecretBytes, [u8; SED_LEN])> {
    let mut ssv = SecretBytes::zeroed(SSV_LEN);
    rng.fill(ssv.expose_mut())?;
    let sed = encapsulate_with_ssv(ssv.expose(), b, z)?;
    Ok((ssv, sed))
}

/// HashToIntegerRange(s, q, SHA-256) (RFC 6508 §5.1) as 128 big-endian octets: r for s = SSV || b.
pub fn hash_to_integer_range_q(s: &[u8]) -> SecretBytes {
    SecretBytes::new(hash::to_scalar(s).to_be_bytes().to_vec())
}

/// HashToIntegerRange(s, 2^128, SHA-256) (RFC 6508 §5.1) as 16 octets: the SSV's mask for
/// s = g^r (or w) as 128 octets.
pub fn hash_to_integer_range_2n(s: &[u8]) -> SecretBytes {
    SecretBytes::new(hash::to_mask(s).to_vec())
}

/// The pairing <r, q> (RFC 6508 §3.2) as its 128-octet representative in F_p, for points of
/// order q (the value for other points is not the RFC's). Computes q's Miller lines, as
/// [`ReceiverSecretKey::new`] does once per RSK.
pub fn pairing(r: &Point, q: &Point) -> Result<SecretBytes> {
    let f = Field::new()?;
    let value = representative(&f, &MillerLines::new(&f, &q.affine), &r.affine);
    f.check()?;
    Ok(SecretBytes::new(value.to_vec()))
}

/// The representative of <r, Q> from Q's lines.
fn representative(f: &Field, lines: &MillerLines, r: &Affine) -> Zeroizing<[u8; FIELD_LEN]> {
    let value = lines.evaluate(f, r);
    let mut representative = f.mul(&value.im, &f.invert(&value.re));
    let octets = Zeroizing::new(f.fp_to_bytes(&representative));
    representative.zeroize();
    octets
}

/// A Receiver Secret Key K_(b,S) (RFC 6508 §2.2), checked, with what its decapsulations share:
/// its Miller lines (about 350 kB, secret, zeroized on drop) and the table of \[b\]P + Z_S (about
/// 1.4 MB). Made in about 55 ms; keep it for the key period.
pub struct ReceiverSecretKey {
    identifier: Identifier,
    lines: MillerLines,
    /// Multiples of T = \[b\]P + Z_S, for TEST = \[r\]T.
    test_table: FixedBase,
}

impl ReceiverSecretKey {
    /// The RSK of the identifier `b` under the KMS key `z`, from 0x04 || x || y, checked as
    /// RFC 6508 §6.1.2 requires: <\[b\]P + Z_S, RSK> = g. A malformed point or one not of order q
    /// is `ErrorKind::InvalidArgument`; a failed check `ErrorKind::AuthFailed`.
    pub fn new(rsk: &[u8], b: &Identifier, z: &KmsPublicKey) -> Result<ReceiverSecretKey> {
        let f = Field::new()?;
        let mut key = Affine::parse(&f, rsk)
            .ok_or_else(|| Error::invalid_argument("SAKKE: the RSK is not a point of E (RFC 6508 §4)"))?;
        if !has_order_q(&f, &key) {
            key.zeroize();
            return Err(Error::invalid_argument("SAKKE: the RSK is not of order q (RFC 6508 §2.2)"));
        }
        let lines = MillerLines::new(&f, &key);
        key.zeroize();
        let t = p_table()?.mul(&f, &b.value).add_affine(&f, &z.point.affine);
        if t.is_identity() == 1 {
            return Err(Error::invalid_argument("SAKKE: [b]P + Z is the identity for this identifier and KMS key"));
        }
        let t = t.to_affine(&f);
        // <T, RSK> = <RSK, T>, from the lines just made.
        let g = f.fp_from_bytes(&PAIRING_G).0;
        let valid = lines.evaluate(&f, &t).represents(&f, &g);
        f.check()?;
        if valid != 1 {
            return Err(Error::new(
                ErrorKind::AuthFailed,
                "SAKKE: the RSK fails <[b]P + Z, RSK> = g for this identifier and KMS key (RFC 6508 §6.1.2)",
            ));
        }
        let test_table = FixedBase::new(&f, &t);
        f.check()?;
        Ok(ReceiverSecretKey { identifier: b.clone(), lines, test_table })
    }

    /// b.
    pub fn identifier(&self) -> &Identifier {
        &self.identifier
    }

    /// The SSV of Encapsulated Data `sed` (RFC 6508 §6.2.2): w = <R, RSK>,
    /// SSV = H XOR HashToIntegerRange(w, 2^128, SHA-256), then the TEST check. Malformed data is
    /// `ErrorKind::Malformed`; a failed TEST check `ErrorKind::AuthFailed`, and no SSV.
    pub fn decapsulate(&self, sed: &[u8]) -> Result<SecretBytes> {
        let f = Field::new()?;
        let sed = Sed::parse_with(&f, sed)?;
        let w = representative(&f, &self.lines, &sed.point.affine);
        let mask = hash::to_mask(&w[..]);
        let mut ssv = SecretBytes::zeroed(SSV_LEN);
        for ((out, hint_octet), mask_octet) in ssv.expose_mut().iter_mut().zip(&sed.hint).zip(mask.iter()) {
            *out = hint_octet ^ mask_octet;
        }
        let verdict = self.check_with(&f, ssv.expose(), &sed.point.affine);
        // A failure of aws-lc is told as such, not as a failed TEST check.
        f.check()?;
        verdict?;
        Ok(ssv)
    }

    /// w = <R, RSK> (RFC 6508 §6.2.2 step 2) as its 128-octet representative.
    pub fn pairing_value(&self, r: &Point) -> Result<SecretBytes> {
        let f = Field::new()?;
        let w = representative(&f, &self.lines, &r.affine);
        f.check()?;
        Ok(SecretBytes::new(w.to_vec()))
    }

    /// The TEST check of RFC 6508 §6.2.2 steps 4 and 5: r = HashToIntegerRange(SSV || b, q),
    /// \[r\](\[b\]P + Z_S) = R. `ErrorKind::AuthFailed` when it fails.
    pub fn check_ssv(&self, ssv: &[u8], r: &Point) -> Result<()> {
        check_ssv_len(ssv)?;
        let f = Field::new()?;
        let verdict = self.check_with(&f, ssv, &r.affine);
        f.check()?;
        verdict
    }

    fn check_with(&self, f: &Field, ssv: &[u8], r: &Affine) -> Result<()> {
        let test = self.test_table.mul(f, &ephemeral(ssv, &self.identifier));
        if test.equals(f, r) != 1 {
            return Err(Error::new(
                ErrorKind::AuthFailed,
                "SAKKE: TEST = [r]([b]P + Z) differs from R_(b,S): the SSV must not be used (RFC 6508 §6.2.2)",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for ReceiverSecretKey {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.debug_struct("ReceiverSecretKey").field("identifier", &self.identifier).finish_non_exhaustive()
    }
}
