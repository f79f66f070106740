//! Integers below 2^1024 as little-endian limbs, arithmetic modulo the prime p of Parameter Set 1
//! (RFC 6509 Appendix A) in Montgomery form, and scalars modulo the group order q.
//!
//! Montgomery multiplications modulo p run on AVX-512 IFMA where the processor has it (`ifma.rs`,
//! R = 2^1040), else on aws-lc's `bn_mul_mont` (assembly with MULX/ADX on x86-64, R = 2^1024),
//! reached through `BN_mod_mul_montgomery` on `BIGNUM` views of our own limb arrays, which aws-lc
//! neither reallocates nor keeps. The choice is made once per process, so every element, table
//! and key of the process is in the same form; only the constants of [`Radix`] differ. Products
//! modulo q are always aws-lc's. Additions, subtractions, comparisons and selections are Rust,
//! branch-free: their time depends on no value. Inversion is aws-lc's, blinded
//! (`Field::invert`). With `ifma.rs`, the only file of the module with `unsafe`.

#![deny(clippy::undocumented_unsafe_blocks)]

use std::cell::Cell;
use std::hint::black_box;
use std::os::raw::c_int;
use std::ptr::NonNull;

use aws_lc_sys::{
    BN_CTX_free, BN_CTX_new, BN_MONT_CTX_new_for_modulus, BN_bin2bn, BN_free, BN_mod_inverse_blinded,
    BN_mod_mul_montgomery, BIGNUM, BN_CTX, BN_FLG_STATIC_DATA, BN_MONT_CTX, BN_ULONG,
};
use once_cell::sync::OnceCell;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::bn::{backend_failure, Bn};
use crate::crypto::const_hex::hex_to_bytes;
use crate::error::{Error, Result};

#[cfg(target_arch = "x86_64")]
use super::ifma::Ifma;

/// A limb of aws-lc's `BIGNUM`s: 64 bits on 64-bit targets, 32 on 32-bit ones.
pub(super) type Limb = BN_ULONG;
/// Octets of an F_p element (L = Ceiling(lg(p)/8), RFC 6508 §4).
pub(super) const FIELD_LEN: usize = 128;
const LIMB_BYTES: usize = std::mem::size_of::<Limb>();
const LIMB_BITS: usize = 8 * LIMB_BYTES;
/// Limbs of a 1024-bit integer.
pub(super) const LIMBS: usize = FIELD_LEN / LIMB_BYTES;
/// An integer below 2^1024, least significant limb first.
pub(super) type Uint = [Limb; LIMBS];

/// p of Parameter Set 1 (RFC 6509 Appendix A), a 1024-bit prime, p ≡ 3 (mod 4).
pub(super) const P_BYTES: [u8; FIELD_LEN] = hex_to_bytes(concat!(
    "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E",
    "F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0",
    "E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA",
    "9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB",
));
/// q of Parameter Set 1, the 1022-bit prime (p + 1)/4: the order of P.
pub(super) const Q_BYTES: [u8; FIELD_LEN] = hex_to_bytes(concat!(
    "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068B",
    "BD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4",
    "389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026A",
    "A7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB",
));
const P: Uint = uint_from_be(&P_BYTES);
pub(super) const Q: Uint = uint_from_be(&Q_BYTES);
/// 2q and 4q, for the reduction of a 1024-bit hash modulo q (2^1024 < 8q; 4q < 2^1024).
const Q2: Uint = shl1(&Q);
const Q4: Uint = shl1(&Q2);
/// Bits of q (scalars below q have at most this many).
pub(super) const Q_BITS: usize = 1022;

/// The integer of 128 big-endian octets.
pub(super) const fn uint_from_be(bytes: &[u8; FIELD_LEN]) -> Uint {
    let mut out = [0; LIMBS];
    let mut i = 0;
    while i < FIELD_LEN {
        // Octet i from the end goes to limb i / LIMB_BYTES, at bit 8 * (i % LIMB_BYTES).
        let octet = bytes[FIELD_LEN - 1 - i] as Limb;
        out[i / LIMB_BYTES] |= octet << (8 * (i % LIMB_BYTES));
        i += 1;
    }
    out
}

/// The 128 big-endian octets of an integer.
pub(super) fn uint_to_be(value: &Uint) -> [u8; FIELD_LEN] {
    let mut out = [0u8; FIELD_LEN];
    for (chunk, limb) in out.rchunks_exact_mut(LIMB_BYTES).zip(value) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

#[cfg(test)]
const fn small_sub(a: &Uint, small: Limb) -> Uint {
    let mut out = *a;
    let mut borrow = small;
    let mut i = 0;
    while i < LIMBS {
        let (d, b) = out[i].overflowing_sub(borrow);
        out[i] = d;
        borrow = b as Limb;
        i += 1;
    }
    out
}

const fn shl1(a: &Uint) -> Uint {
    let mut out = [0; LIMBS];
    let mut carry = 0;
    let mut i = 0;
    while i < LIMBS {
        out[i] = (a[i] << 1) | carry;
        carry = a[i] >> (LIMB_BITS - 1);
        i += 1;
    }
    out
}

/// `a + b + carry` and the carry out (0 or 1).
#[inline(always)]
fn adc(a: Limb, b: Limb, carry: Limb) -> (Limb, Limb) {
    let (sum, c1) = a.overflowing_add(b);
    let (sum, c2) = sum.overflowing_add(carry);
    (sum, Limb::from(c1 | c2))
}

/// `a - b - borrow` and the borrow out (0 or 1).
#[inline(always)]
fn sbb(a: Limb, b: Limb, borrow: Limb) -> (Limb, Limb) {
    let (diff, b1) = a.overflowing_sub(b);
    let (diff, b2) = diff.overflowing_sub(borrow);
    (diff, Limb::from(b1 | b2))
}

/// `a + b` and the carry out (0 or 1).
#[inline]
pub(super) fn uint_add(a: &Uint, b: &Uint) -> (Uint, Limb) {
    let mut out = [0; LIMBS];
    let mut carry = 0;
    for i in 0..LIMBS {
        (out[i], carry) = adc(a[i], b[i], carry);
    }
    (out, carry)
}

/// `a - b` modulo 2^1024 and the borrow out (1 when a < b).
#[inline]
pub(super) fn uint_sub(a: &Uint, b: &Uint) -> (Uint, Limb) {
    let mut out = [0; LIMBS];
    let mut borrow = 0;
    for i in 0..LIMBS {
        (out[i], borrow) = sbb(a[i], b[i], borrow);
    }
    (out, borrow)
}

/// All ones for `bit` 1, zero for `bit` 0; `black_box` keeps the compiler from turning the
/// selection it drives back into a branch.
#[inline(always)]
pub(super) fn mask(bit: Limb) -> Limb {
    black_box(bit.wrapping_neg())
}

/// `a` where `mask` is all ones, `b` where it is zero.
#[inline]
pub(super) fn uint_select(mask: Limb, a: &Uint, b: &Uint) -> Uint {
    let mut out = [0; LIMBS];
    for i in 0..LIMBS {
        out[i] = (a[i] & mask) | (b[i] & !mask);
    }
    out
}

/// 1 when `a` is zero, else 0.
#[inline]
fn uint_is_zero(a: &Uint) -> Limb {
    let any = a.iter().fold(0, |acc, limb| acc | limb);
    ((any | any.wrapping_neg()) >> (LIMB_BITS - 1)) ^ 1
}

/// 1 when `a < b`, else 0.
#[inline]
fn uint_lt(a: &Uint, b: &Uint) -> Limb {
    uint_sub(a, b).1
}

/// 1 when `a == b` for small integers (digits), else 0, without a branch.
#[inline(always)]
pub(super) fn small_eq(a: u32, b: u32) -> Limb {
    let differ = a ^ b;
    Limb::from(((differ | differ.wrapping_neg()) >> 31) ^ 1)
}

/// An element of F_p in Montgomery form (x·2^1024 mod p), always below p.
#[derive(Clone, Copy, Default, Zeroize)]
pub(super) struct Fp(Uint);

impl Fp {
    pub(super) const ZERO: Fp = Fp([0; LIMBS]);

    /// `self + rhs`.
    #[inline]
    pub(super) fn add(&self, rhs: &Fp) -> Fp {
        let (sum, carry) = uint_add(&self.0, &rhs.0);
        let (reduced, borrow) = uint_sub(&sum, &P);
        // The sum is at least p when it carried out of 2^1024 or p could be taken from it.
        Fp(uint_select(mask(carry | (borrow ^ 1)), &reduced, &sum))
    }

    /// `self - rhs`.
    #[inline]
    pub(super) fn sub(&self, rhs: &Fp) -> Fp {
        let (mut diff, borrow) = uint_sub(&self.0, &rhs.0);
        // Add p back where the difference went below zero: p masked by the borrow.
        let wrap = mask(borrow);
        let mut carry = 0;
        for (limb, p) in diff.iter_mut().zip(&P) {
            (*limb, carry) = adc(*limb, p & wrap, carry);
        }
        Fp(diff)
    }

    /// `2·self`.
    #[inline]
    pub(super) fn double(&self) -> Fp {
        self.add(self)
    }

    /// `3·self`.
    #[inline]
    pub(super) fn triple(&self) -> Fp {
        self.double().add(self)
    }

    /// `-self`.
    #[inline]
    pub(super) fn neg(&self) -> Fp {
        Fp::ZERO.sub(self)
    }

    /// `a` when `choice` is 1, `b` when it is 0.
    #[inline]
    pub(super) fn select(choice: Limb, a: &Fp, b: &Fp) -> Fp {
        Fp(uint_select(mask(choice), &a.0, &b.0))
    }

    /// 1 when zero, else 0.
    #[inline]
    pub(super) fn is_zero(&self) -> Limb {
        uint_is_zero(&self.0)
    }

    /// 1 when equal, else 0.
    #[inline]
    pub(super) fn ct_eq(&self, rhs: &Fp) -> Limb {
        self.sub(rhs).is_zero()
    }
}

/// An integer modulo q (a scalar, or an identifier), below q; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(super) struct Scalar(Uint);

impl Scalar {
    /// `value mod q` for any 1024-bit value, without a branch: value < 2^1024 < 8q, so taking away
    /// 4q, 2q and q each where possible leaves it below q.
    pub(super) fn reduce(value: &Uint) -> Scalar {
        let mut v = *value;
        for multiple in [&Q4, &Q2, &Q] {
            let (less, borrow) = uint_sub(&v, multiple);
            v = uint_select(mask(borrow ^ 1), &less, &v);
        }
        Scalar(v)
    }

    /// The integer `value`, when it is below q (a public value: the comparison may branch).
    pub(super) fn new_public(value: &Uint) -> Option<Scalar> {
        (uint_lt(value, &Q) == 1).then(|| Scalar(*value))
    }

    /// 1 when zero, else 0.
    pub(super) fn is_zero(&self) -> Limb {
        uint_is_zero(&self.0)
    }

    /// (self + rhs) mod q.
    pub(super) fn add(&self, rhs: &Scalar) -> Scalar {
        // Both below q, so the sum is below 2q < 2^1024: no carry out.
        let (sum, _) = uint_add(&self.0, &rhs.0);
        Scalar::reduce(&sum)
    }

    /// The 128 big-endian octets.
    pub(super) fn to_be_bytes(&self) -> [u8; FIELD_LEN] {
        uint_to_be(&self.0)
    }

    /// The `width` bits (at most 8) from bit `at` up, as an integer; the positions are public,
    /// the branches below depend on them only.
    #[inline]
    pub(super) fn bits(&self, at: usize, width: usize) -> u32 {
        let limb = at / LIMB_BITS;
        let shift = at % LIMB_BITS;
        let mut bits = self.0.get(limb).map_or(0, |l| l >> shift);
        if shift + width > LIMB_BITS {
            bits |= self.0.get(limb + 1).map_or(0, |l| l << (LIMB_BITS - shift));
        }
        // At most 8 bits are kept: the truncation is the point.
        (bits as u32) & ((1 << width) - 1)
    }
}

/// The constants of Montgomery form x·R mod n for one R.
struct Radix {
    /// R^2 mod n: multiplying by it enters Montgomery form.
    rr: Uint,
    /// R mod n: one in Montgomery form.
    one: Uint,
    /// R^3 mod n: multiplying a plain inverse of a Montgomery form by it gives the inverse's
    /// Montgomery form.
    r3: Uint,
}

impl Radix {
    /// R^2 mod n from R mod n, for R = 2^r_bits: R mod n doubled r_bits times. R^3 comes from the
    /// product `mont_mul` (R^2·R^2·R^-1).
    fn new(n: &Uint, one: Uint, r_bits: usize, mont_mul: impl Fn(&Uint, &Uint) -> Option<Uint>) -> Result<Radix> {
        let rr = double_mod(n, one, r_bits);
        let r3 = mont_mul(&rr, &rr).ok_or_else(|| Error::crypto("SAKKE: R^3 mod n failed"))?;
        Ok(Radix { rr, one, r3 })
    }
}

/// `value`·2^times mod n, for value < n, by doublings.
fn double_mod(n: &Uint, mut value: Uint, times: usize) -> Uint {
    for _ in 0..times {
        let (sum, carry) = uint_add(&value, &value);
        let (reduced, borrow) = uint_sub(&sum, n);
        value = uint_select(mask(carry | (borrow ^ 1)), &reduced, &sum);
    }
    value
}

/// A modulus with its aws-lc Montgomery context (R = 2^1024), made once and never freed (it
/// lives in [`PARAMS`]).
struct Modulus {
    mont: NonNull<BN_MONT_CTX>,
    radix: Radix,
}

// SAFETY: the BN_MONT_CTX is written only while it is made (in `Modulus::new`) and read-only after
// that: aws-lc takes it as `const BN_MONT_CTX *` in BN_mod_mul_montgomery, from any thread.
unsafe impl Send for Modulus {}
// SAFETY: as above: shared references only ever read it.
unsafe impl Sync for Modulus {}

impl Modulus {
    fn new(n: &Uint, ctx: &BnCtx) -> Result<Modulus> {
        let bytes = uint_to_be(n);
        // SAFETY: `bytes` is a live buffer of `bytes.len()` octets; a null `ret` asks for a new BIGNUM.
        let bn = unsafe { BN_bin2bn(bytes.as_ptr(), bytes.len(), std::ptr::null_mut()) };
        if bn.is_null() {
            return Err(Error::crypto("SAKKE: BN_bin2bn failed"));
        }
        // SAFETY: `bn` is the valid BIGNUM just made, `ctx` a valid BN_CTX.
        let mont = unsafe { BN_MONT_CTX_new_for_modulus(bn, ctx.0.as_ptr()) };
        // SAFETY: `bn` was allocated by BN_bin2bn above and is not used after this; the Montgomery
        // context keeps its own copy of the modulus.
        unsafe { BN_free(bn) };
        let mont = NonNull::new(mont).ok_or_else(|| Error::crypto("SAKKE: BN_MONT_CTX_new_for_modulus failed"))?;
        // R mod n: 2^1024 - n, less n while it is at least n (n > 2^1021: a few times at most).
        let mut one = uint_sub(&[0; LIMBS], n).0;
        while uint_lt(&one, n) == 0 {
            one = uint_sub(&one, n).0;
        }
        let radix = Radix::new(n, one, 8 * FIELD_LEN, |a, b| montgomery_product(mont, ctx, a, b))?;
        Ok(Modulus { mont, radix })
    }
}

/// Products modulo p on AVX-512 IFMA, with their form's constants (R = 2^1040).
#[cfg(target_arch = "x86_64")]
struct IfmaField {
    products: Ifma,
    radix: Radix,
}

#[cfg(target_arch = "x86_64")]
impl IfmaField {
    /// The IFMA arithmetic modulo p, when the processor has it.
    fn detect(p: &Modulus) -> Result<Option<IfmaField>> {
        let Some(products) = Ifma::detect(&P) else { return Ok(None) };
        // 2^1040 mod p from 2^1024 mod p.
        let one = double_mod(&P, p.radix.one, IFMA_R_BITS - 8 * FIELD_LEN);
        let radix = Radix::new(&P, one, IFMA_R_BITS, |a, b| Some(products.products([(a, b)])[0]))?;
        Ok(Some(IfmaField { products, radix }))
    }
}

/// R = 2^1040 of the IFMA products (20 digits of 52 bits).
#[cfg(target_arch = "x86_64")]
const IFMA_R_BITS: usize = 1040;

/// The Montgomery contexts of p and q, and the IFMA arithmetic when there is one, made on first
/// use.
struct Params {
    p: Modulus,
    q: Modulus,
    #[cfg(target_arch = "x86_64")]
    ifma: Option<IfmaField>,
}

static PARAMS: OnceCell<Params> = OnceCell::new();

/// An aws-lc `BN_CTX` (only used by `BN_mod_mul_montgomery` on builds without its assembly).
struct BnCtx(NonNull<BN_CTX>);

impl Drop for BnCtx {
    fn drop(&mut self) {
        // SAFETY: the pointer came from BN_CTX_new and is freed once, here.
        unsafe { BN_CTX_free(self.0.as_ptr()) };
    }
}

/// A view of `limbs` as a `BIGNUM` of `LIMBS` words that aws-lc may neither grow nor free
/// (`BN_FLG_STATIC_DATA`).
fn view(limbs: *mut Limb) -> BIGNUM {
    BIGNUM { d: limbs, width: LIMBS as c_int, dmax: LIMBS as c_int, neg: 0, flags: BN_FLG_STATIC_DATA as c_int }
}

/// a·b·R^-1 mod n for a, b < n, through aws-lc under the Montgomery context `mont`; `None` when
/// aws-lc fails. The same pointer for both operands takes aws-lc's squaring.
fn montgomery_product(mont: NonNull<BN_MONT_CTX>, ctx: &BnCtx, a: &Uint, b: &Uint) -> Option<Uint> {
    let mut out = [0; LIMBS];
    let a_view = view(a.as_ptr().cast_mut());
    let b_view = view(b.as_ptr().cast_mut());
    let mut out_view = view(out.as_mut_ptr());
    // SAFETY: the three views point at live arrays of LIMBS words, with width = dmax = LIMBS and
    // BN_FLG_STATIC_DATA, so aws-lc reads a and b (through const pointers: it never writes them),
    // writes at most LIMBS words of `out` and never reallocates or frees any of them; the
    // Montgomery context is valid for the program's life and `ctx` for the call.
    let ok = unsafe {
        BN_mod_mul_montgomery(
            &mut out_view,
            &a_view,
            if std::ptr::eq(a, b) { &a_view } else { &b_view },
            mont.as_ptr(),
            ctx.0.as_ptr(),
        )
    };
    (ok == 1).then_some(out)
}

/// The arithmetic of one operation (an encapsulation, a decapsulation, a key's setup): the shared
/// Montgomery contexts and a `BN_CTX` of its own. Not `Send`: one thread uses it.
pub(super) struct Field {
    params: &'static Params,
    /// Whether products modulo p run on IFMA (always, where the processor has it, except in
    /// the tests of the aws-lc path).
    #[cfg(target_arch = "x86_64")]
    ifma: Option<&'static IfmaField>,
    ctx: BnCtx,
    /// Set when aws-lc reported a failure (only possible without its assembly, on an allocation
    /// failure): the operation's result is then refused by [`Field::check`].
    failed: Cell<bool>,
}

impl Field {
    pub(super) fn new() -> Result<Field> {
        // SAFETY: BN_CTX_new has no preconditions; it returns null on allocation failure.
        let ctx = NonNull::new(unsafe { BN_CTX_new() }).ok_or_else(|| Error::crypto("SAKKE: BN_CTX_new failed"))?;
        let ctx = BnCtx(ctx);
        let params = PARAMS.get_or_try_init(|| {
            let p = Modulus::new(&P, &ctx)?;
            #[cfg(target_arch = "x86_64")]
            let ifma = IfmaField::detect(&p)?;
            Ok::<_, Error>(Params {
                p,
                q: Modulus::new(&Q, &ctx)?,
                #[cfg(target_arch = "x86_64")]
                ifma,
            })
        })?;
        Ok(Field {
            params,
            #[cfg(target_arch = "x86_64")]
            ifma: params.ifma.as_ref(),
            ctx,
            failed: Cell::new(false),
        })
    }

    /// A field whose products modulo p are aws-lc's even where IFMA is there, for the tests that
    /// compare the two; its elements are in another form than those of [`Field::new`]'s, so
    /// nothing may pass between them but octets.
    #[cfg(test)]
    pub(super) fn with_aws_lc_products() -> Result<Field> {
        Ok(Field {
            #[cfg(target_arch = "x86_64")]
            ifma: None,
            ..Field::new()?
        })
    }

    /// Whether this field's products modulo p run on AVX-512 IFMA.
    #[cfg(test)]
    pub(super) fn uses_ifma(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        let uses = self.ifma.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        let uses = false;
        uses
    }

    /// The constants of this field's Montgomery form modulo p.
    fn radix(&self) -> &'static Radix {
        #[cfg(target_arch = "x86_64")]
        if let Some(ifma) = self.ifma {
            return &ifma.radix;
        }
        &self.params.p.radix
    }

    /// `a_j·b_j` for each pair: on IFMA, the N products run interleaved, which costs less than N
    /// products one after the other (see `ifma.rs`).
    #[inline]
    pub(super) fn mul_many<const N: usize>(&self, pairs: [(&Fp, &Fp); N]) -> [Fp; N] {
        #[cfg(target_arch = "x86_64")]
        if let Some(ifma) = self.ifma {
            return ifma.products.products(pairs.map(|(a, b)| (&a.0, &b.0))).map(Fp);
        }
        pairs.map(|(a, b)| Fp(self.mont_mul(&self.params.p, &a.0, &b.0)))
    }

    /// An error if aws-lc failed during this operation (its results are then meaningless).
    pub(super) fn check(&self) -> Result<()> {
        if self.failed.get() {
            return Err(Error::crypto("SAKKE: aws-lc Montgomery multiplication failed"));
        }
        Ok(())
    }

    /// a·b·R^-1 mod n for a, b < n. The same pointer for both operands takes aws-lc's squaring.
    #[inline]
    fn mont_mul(&self, modulus: &Modulus, a: &Uint, b: &Uint) -> Uint {
        montgomery_product(modulus.mont, &self.ctx, a, b).unwrap_or_else(|| {
            self.failed.set(true);
            [0; LIMBS]
        })
    }

    /// `a·b`.
    #[inline]
    pub(super) fn mul(&self, a: &Fp, b: &Fp) -> Fp {
        let [product] = self.mul_many([(a, b)]);
        product
    }

    /// `a²` (aws-lc's squaring when it does the products: the same operand twice).
    #[inline]
    pub(super) fn square(&self, a: &Fp) -> Fp {
        self.mul(a, a)
    }

    /// One.
    pub(super) fn one(&self) -> Fp {
        Fp(self.radix().one)
    }

    /// The element of the integer `value`, and 1 when `value < p` (else 0, and the element is
    /// meaningless): the check runs in constant time, for secret coordinates.
    pub(super) fn fp_from_uint(&self, value: &Uint) -> (Fp, Limb) {
        let below_p = uint_lt(value, &P);
        let value = uint_select(mask(below_p), value, &[0; LIMBS]);
        (self.mul(&Fp(value), &Fp(self.radix().rr)), below_p)
    }

    /// The element of 128 big-endian octets, and 1 when they are below p (else 0).
    pub(super) fn fp_from_bytes(&self, bytes: &[u8; FIELD_LEN]) -> (Fp, Limb) {
        self.fp_from_uint(&uint_from_be(bytes))
    }

    /// The 128 big-endian octets of `a` (RFC 6508 §4).
    pub(super) fn fp_to_bytes(&self, a: &Fp) -> [u8; FIELD_LEN] {
        let mut one = [0; LIMBS];
        one[0] = 1;
        uint_to_be(&self.mul(a, &Fp(one)).0)
    }

    /// `a^-1`, zero for zero, by aws-lc's blinded inversion (`BN_mod_inverse_blinded`): `a` times
    /// a random blinding factor from aws-lc's generator is inverted by the binary algorithm,
    /// whose time depends on that product only, and the factor is taken out again. So the time
    /// depends on no value (as RSA's blinding); zero goes in as one and comes out as zero by
    /// masks. About 2.5 times faster than a^(p-2).
    pub(super) fn invert(&self, a: &Fp) -> Fp {
        let zero = a.is_zero();
        // aR mod p (Montgomery form), or R for zero: invertible either way.
        let mut input = Fp::select(zero, &self.one(), a).0;
        let input_view = view(input.as_mut_ptr());
        let mut plain = [0u8; FIELD_LEN];
        let inverted = Bn::new().and_then(|out| {
            let mut no_inverse: c_int = 0;
            // SAFETY: `out` is a valid BIGNUM it may grow; `input_view` a read-only view of `input`
            // (below p, as a field element is), a Montgomery context valid for the program's life
            // and `self.ctx` for this Field's; `no_inverse` is writable.
            let ok = unsafe {
                BN_mod_inverse_blinded(
                    out.0.as_ptr(),
                    &mut no_inverse,
                    &input_view,
                    self.params.p.mont.as_ptr(),
                    self.ctx.0.as_ptr(),
                )
            };
            if ok != 1 {
                return Err(backend_failure("BN_mod_inverse_blinded failed"));
            }
            out.write_be_padded(&mut plain)
        });
        if inverted.is_err() {
            self.failed.set(true);
        }
        // (aR)^-1 = a^-1·R^-1 as a plain integer; times R^3 in Montgomery form: a^-1·R.
        let mut inverse = uint_from_be(&plain);
        let result = self.mul(&Fp(inverse), &Fp(self.radix().r3));
        input.zeroize();
        plain.zeroize();
        inverse.zeroize();
        Fp::select(zero, &Fp::ZERO, &result)
    }

    /// Replaces every element by its inverse with one inversion and 3 multiplications each
    /// (Montgomery's trick). A zero element makes every result meaningless (zero).
    pub(super) fn batch_invert(&self, elements: &mut [Fp]) {
        let mut prefix = Vec::with_capacity(elements.len());
        let mut acc = self.one();
        for element in elements.iter() {
            prefix.push(acc);
            acc = self.mul(&acc, element);
        }
        let mut inverse = self.invert(&acc);
        for (element, before) in elements.iter_mut().zip(&prefix).rev() {
            let this = self.mul(&inverse, before);
            inverse = self.mul(&inverse, element);
            *element = this;
        }
        prefix.zeroize();
    }

    /// `a^-1 mod q` (q is prime: a^(q-2), Fermat), for a non-zero scalar. The exponent is
    /// public, so the square-and-multiply ladder branches on its bits only.
    pub(super) fn invert_scalar(&self, a: &Scalar) -> Scalar {
        let mut two = [0; LIMBS];
        two[0] = 2;
        let (exponent, _) = uint_sub(&Q, &two);
        let mut result = Scalar::reduce(&{
            let mut one = [0; LIMBS];
            one[0] = 1;
            one
        });
        for bit in (0..Q_BITS).rev() {
            result = self.mul_scalars(&result, &result);
            if (exponent[bit / LIMB_BITS] >> (bit % LIMB_BITS)) & 1 == 1 {
                result = self.mul_scalars(&result, a);
            }
        }
        result
    }

    /// `a·b mod q` for scalars.
    pub(super) fn mul_scalars(&self, a: &Scalar, b: &Scalar) -> Scalar {
        let q = &self.params.q;
        // (a·b·R^-1)·R^2·R^-1 = a·b.
        let reduced = self.mont_mul(q, &a.0, &b.0);
        Scalar(self.mont_mul(q, &reduced, &q.radix.rr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(value: Limb) -> Uint {
        let mut out = [0; LIMBS];
        out[0] = value;
        out
    }

    #[test]
    fn constants_are_the_parameter_set() {
        // p = 4q - 1 (RFC 6509 Appendix A: q = (p+1)/4).
        let four_q = Q4;
        assert_eq!(small_sub(&four_q, 1), P);
        assert_eq!(uint_to_be(&P), P_BYTES);
        assert_eq!(P[0] & 3, 3, "p = 3 mod 4");
        assert_eq!(uint_to_be(&Q)[0], 0x26, "q has 1022 bits");
    }

    #[test]
    fn field_arithmetic_agrees_with_small_integers() {
        for f in [Field::new().unwrap(), Field::with_aws_lc_products().unwrap()] {
            field_arithmetic_agrees_with_small_integers_in(f);
        }
    }

    fn field_arithmetic_agrees_with_small_integers_in(f: Field) {
        let (a, ok_a) = f.fp_from_uint(&small(123_456_789));
        let (b, ok_b) = f.fp_from_uint(&small(987_654_321));
        assert_eq!((ok_a, ok_b), (1, 1));
        let product = f.mul(&a, &b);
        let expected = f.fp_from_uint(&small(123_456_789 * 987_654_321)).0;
        assert_eq!(product.ct_eq(&expected), 1);
        assert_eq!(f.square(&a).ct_eq(&f.mul(&a, &a)), 1);
        assert_eq!(a.add(&b).sub(&b).ct_eq(&a), 1);
        assert_eq!(a.sub(&b).add(&b).ct_eq(&a), 1);
        assert_eq!(a.add(&a.neg()).is_zero(), 1);
        assert_eq!(Fp::ZERO.neg().is_zero(), 1);
        assert_eq!(f.mul(&a, &f.invert(&a)).ct_eq(&f.one()), 1);
        assert_eq!(f.invert(&Fp::ZERO).is_zero(), 1);
        assert_eq!(a.triple().ct_eq(&a.add(&a).add(&a)), 1);
        // p - 1 + 1 = 0: the sum reaches p exactly.
        let (minus_one, ok) = f.fp_from_uint(&small_sub(&P, 1));
        assert_eq!(ok, 1);
        assert_eq!(minus_one.add(&f.one()).is_zero(), 1);
        assert_eq!(f.fp_to_bytes(&minus_one), uint_to_be(&small_sub(&P, 1)));
        // p itself is not an element.
        assert_eq!(f.fp_from_uint(&P).1, 0);
        let mut elements = [a, b, minus_one];
        f.batch_invert(&mut elements);
        for (inverse, element) in elements.iter().zip([a, b, minus_one]) {
            assert_eq!(f.mul(inverse, &element).ct_eq(&f.one()), 1);
        }
        f.check().unwrap();
    }

    /// Integers below p that reach the digits' edges (0, 1, p - 1, all ones below p, every
    /// 52-bit digit full), then pseudo-random ones (xorshift, fixed seed).
    fn awkward_and_random_integers(count: usize) -> Vec<Uint> {
        let below_p = |value: Uint| {
            let (less, borrow) = uint_sub(&value, &P);
            if borrow == 1 {
                value
            } else {
                less
            }
        };
        let mut values = vec![[0; LIMBS], small(1), small_sub(&P, 1), below_p([Limb::MAX; LIMBS])];
        values.push(below_p(std::array::from_fn(|i| if i % 13 == 0 { 0x000F_FFFF_FFFF_FFFF } else { 0 })));
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        while values.len() < count {
            values.push(below_p(std::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as Limb
            })));
        }
        values
    }

    #[test]
    fn ifma_and_aws_lc_products_agree() {
        let fast = Field::new().unwrap();
        let portable = Field::with_aws_lc_products().unwrap();
        assert!(!portable.uses_ifma());
        if !fast.uses_ifma() {
            eprintln!("this processor has no AVX-512 IFMA: only the aws-lc products are in use");
        }
        let values = awkward_and_random_integers(64);
        for (i, a) in values.iter().enumerate() {
            for b in values.iter().skip(i).take(9) {
                let product_bytes = |f: &Field| {
                    let (x, y) = (f.fp_from_uint(a).0, f.fp_from_uint(b).0);
                    let [one_of_three, _, last] = f.mul_many([(&x, &y), (&y, &y), (&y, &x)]);
                    assert_eq!(one_of_three.ct_eq(&f.mul(&x, &y)), 1);
                    assert_eq!(last.ct_eq(&one_of_three), 1);
                    f.fp_to_bytes(&one_of_three)
                };
                assert_eq!(product_bytes(&fast), product_bytes(&portable), "{a:x?} · {b:x?}");
            }
            // Into the form and out again, and the inverse, on both.
            for f in [&fast, &portable] {
                let x = f.fp_from_uint(a).0;
                assert_eq!(f.fp_to_bytes(&x), uint_to_be(a));
                assert_eq!(f.mul(&x, &f.invert(&x)).ct_eq(&f.one()), x.is_zero() ^ 1);
            }
        }
        fast.check().unwrap();
        portable.check().unwrap();
    }

    #[test]
    fn scalars_reduce_and_multiply_modulo_q() {
        let f = Field::new().unwrap();
        // 2^1024 - 1 = 6q + (2^1024 - 1 - 6q).
        let all_ones = [Limb::MAX; LIMBS];
        let six_q = uint_add(&Q4, &Q2).0;
        assert_eq!(Scalar::reduce(&all_ones).0, uint_sub(&all_ones, &six_q).0);
        assert_eq!(Scalar::reduce(&Q).is_zero(), 1);
        assert_eq!(Scalar::reduce(&small(5)).0, small(5));
        let minus_one = Scalar::new_public(&small_sub(&Q, 1)).unwrap();
        // (q-1)^2 = 1 mod q.
        assert_eq!(f.mul_scalars(&minus_one, &minus_one).0, small(1));
        assert_eq!(f.mul_scalars(&Scalar(small(6)), &Scalar(small(7))).0, small(42));
        assert!(Scalar::new_public(&Q).is_none());
        let bits = Scalar(small(0b1011_0110));
        assert_eq!((bits.bits(0, 5), bits.bits(3, 5), bits.bits(1020, 5)), (0b10110, 0b10110, 0));
        let mut high = [0; LIMBS];
        high[1] = 1;
        assert_eq!(Scalar(high).bits(LIMB_BITS - 2, 5), 0b100);
    }
}
