//! Montgomery products modulo the 1024-bit p with AVX-512 IFMA, on x86-64 processors that have it
//! (checked at run time: [`Ifma::detect`]); elsewhere aws-lc's `bn_mul_mont` does them.
//!
//! Operands are cut into 20 digits of 52 bits (1040 bits), held in three 512-bit vectors of eight
//! 64-bit lanes. VPMADD52LUQ / VPMADD52HUQ multiply 52-bit digits lane by lane and add the low or
//! the high 52 bits of the 104-bit products. The product is word-by-word Montgomery with
//! R = 2^1040: for each digit b_i of b, x += a·b_i + m·p with m = x_0·(-p^-1) mod 2^52, which
//! clears x's lowest digit, and x moves down one digit. The lanes are not normalised inside the
//! loop: each gains less than 2^54 per step, over at most 20 steps (below 2^59, no overflow), and
//! the high halves join in the next step, when the lanes have moved to their weight. With a and b
//! below p the result is below (p^2 + 2^1040·p)/2^1040 < 2p: one subtraction, by mask, ends it
//! below p.
//!
//! Each step waits on the previous one's lowest lane, so one product leaves the multipliers idle
//! most of the time; [`Ifma::products`] runs N independent products step by step together (three
//! at once cost about a third each, on the Xeon of our benchmarks).
//!
//! The operands come and go as the 64-bit limbs of the rest of the module, converted in vector
//! registers (AVX-512 VBMI byte permutations): digit j is the 8 octets from octet ⌊52j/8⌋, shifted
//! by 52j mod 8; back, each pair of digits makes 13 octets. The unnormalised sum is split into its
//! 52-bit digits and their carries, two numbers each packed so, and added in 64-bit limbs.
//!
//! Constant time: the instructions and addresses depend on nothing but N; m is computed, and the
//! final subtraction is kept or not by a mask.

#![deny(clippy::undocumented_unsafe_blocks)]

use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512, _mm512_castsi512_si128, _mm512_loadu_si512,
    _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_blend_epi64, _mm512_maskz_permutex2var_epi8,
    _mm512_or_si512, _mm512_permutex2var_epi8, _mm512_set1_epi64, _mm512_set_epi64, _mm512_setzero_si512,
    _mm512_slli_epi64, _mm512_srli_epi64, _mm512_srlv_epi64, _mm512_storeu_si512, _mm_cvtsi128_si64,
};

use super::fp::{mask, uint_add, uint_select, uint_sub, Uint, LIMBS};

const DIGIT_BITS: usize = 52;
const DIGIT_MASK: u64 = (1 << DIGIT_BITS) - 1;
/// Digits of an operand: 20·52 = 1040 bits cover p < 2^1024.
const DIGITS: usize = 20;
/// 512-bit vectors per operand (the last four lanes are zero).
const VECTORS: usize = 3;
/// Octets of a 1024-bit integer.
const OCTETS: usize = 8 * LIMBS;

/// The digits of an operand in vector registers: lane l of vector k is digit 8k + l.
type DigitVectors = [__m512i; VECTORS];

/// The radix-2^52 Montgomery arithmetic of one odd modulus below 2^1024 - 2^1018.
pub(super) struct Ifma {
    /// The modulus's digits, as 24 lanes.
    modulus: [u64; 8 * VECTORS],
    /// -modulus^-1 mod 2^52.
    k0: u64,
    /// The modulus as 64-bit limbs, for the final subtraction.
    modulus_limbs: Uint,
}

impl Ifma {
    /// The arithmetic modulo `modulus` (odd), when this processor has AVX-512 F, BW, VBMI and
    /// IFMA and the modulus is below 2^1024 - 2^1018 (p is about 0.6·2^1024), so that the sums
    /// stay below 2^1024.
    pub(super) fn detect(modulus: &Uint) -> Option<Ifma> {
        let small_enough = modulus[LIMBS - 1] < 0xFC00_0000_0000_0000;
        let has_features = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
            && std::arch::is_x86_feature_detected!("avx512ifma");
        if !(small_enough && has_features) {
            return None;
        }
        // SAFETY: the processor has every feature `store_digits` is compiled for (checked above).
        let digits = unsafe { store_digits(modulus) };
        // Newton's iteration doubles the correct low bits of the inverse: 1 → 64 in six steps.
        let mut inverse: u64 = 1;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(digits[0].wrapping_mul(inverse)));
        }
        Some(Ifma { modulus: digits, k0: inverse.wrapping_neg() & DIGIT_MASK, modulus_limbs: *modulus })
    }

    /// a_j·b_j·2^-1040 mod p for each pair, all below the modulus, in constant time.
    #[inline]
    pub(super) fn products<const N: usize>(&self, pairs: [(&Uint, &Uint); N]) -> [Uint; N] {
        // SAFETY: an `Ifma` exists only where `detect` found every feature `montgomery_products`
        // is compiled for.
        let [digits, carries] = unsafe { montgomery_products(pairs, self) };
        std::array::from_fn(|t| self.sum_below_modulus(&digits[t], &carries[t]))
    }

    /// `digits + carries`, less the modulus when that is at least the modulus (by mask): the sum
    /// is below n·(1 + n/2^1040) for the modulus n, so below 2^1024 and 2n.
    fn sum_below_modulus(&self, digits: &Uint, carries: &Uint) -> Uint {
        let (sum, _) = uint_add(digits, carries);
        let (difference, borrow) = uint_sub(&sum, &self.modulus_limbs);
        // The sum itself when the subtraction borrowed.
        uint_select(mask(borrow), &sum, &difference)
    }
}

/// The octet permutation and zeroing mask that cut 128 octets into the digits of vector `k`:
/// the 8 octets of lane l are those from ⌊52j/8⌋ on (j = 8k + l), those past the integer or of a
/// digit past the 20th are zero.
const fn unpack_table(k: usize) -> ([u8; 64], u64) {
    let mut indices = [0u8; 64];
    let mut keep = 0u64;
    let mut at = 0;
    while at < 64 {
        let j = 8 * k + at / 8;
        let octet = DIGIT_BITS * j / 8 + at % 8;
        if j < DIGITS && octet < OCTETS {
            indices[at] = octet as u8;
            keep |= 1 << at;
        }
        at += 1;
    }
    (indices, keep)
}

const UNPACK: [([u8; 64], u64); VECTORS] = [unpack_table(0), unpack_table(1), unpack_table(2)];

/// The octet permutation that gathers output octets 64h..64h+64 of the packed integer from the
/// pairs of vectors h and h + 1 (their 128 octets), where pair m of digits sits in octets
/// 16m..16m+13: output octet n is octet n mod 13 of pair n / 13.
const fn pack_table(h: usize) -> [u8; 64] {
    let mut indices = [0u8; 64];
    let mut at = 0;
    while at < 64 {
        let n = 64 * h + at;
        indices[at] = (16 * (n / 13) + n % 13 - 64 * h) as u8;
        at += 1;
    }
    indices
}

const PACK: [[u8; 64]; 2] = [pack_table(0), pack_table(1)];

/// 64 octets as a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_octets(octets: &[u8; 64]) -> __m512i {
    // SAFETY: reads the 64 octets of the array; the unaligned form needs no alignment.
    unsafe { _mm512_loadu_si512(octets.as_ptr().cast()) }
}

/// The digits of a 1024-bit integer.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn unpack(limbs: &Uint) -> DigitVectors {
    // SAFETY: reads limbs 0..8 and 8..16 of the 16-limb array; unaligned loads.
    let (low, high) =
        unsafe { (_mm512_loadu_si512(limbs.as_ptr().cast()), _mm512_loadu_si512(limbs[8..].as_ptr().cast())) };
    // Odd digits start half an octet in.
    let shifts = _mm512_set_epi64(4, 0, 4, 0, 4, 0, 4, 0);
    let mask = _mm512_set1_epi64(DIGIT_MASK as i64);
    std::array::from_fn(|k| {
        let (indices, keep) = &UNPACK[k];
        let windows = _mm512_maskz_permutex2var_epi8(*keep, low, load_octets(indices), high);
        _mm512_and_si512(_mm512_srlv_epi64(windows, shifts), mask)
    })
}

/// The 16 limbs of an integer below 2^1024 given as 20 digits below 2^52 (lanes 20..24 zero).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn pack(digits: &DigitVectors) -> Uint {
    let zero = _mm512_setzero_si512();
    // Pair m in lanes 2m, 2m+1: d_2m + d_(2m+1)·2^52 as 128 bits (104 used).
    let pairs: DigitVectors = std::array::from_fn(|k| {
        let next = _mm512_alignr_epi64::<1>(*digits.get(k + 1).unwrap_or(&zero), digits[k]);
        let low = _mm512_or_si512(digits[k], _mm512_slli_epi64::<52>(next));
        let high = _mm512_srli_epi64::<12>(digits[k]);
        _mm512_mask_blend_epi64(0xAA, low, high)
    });
    let mut limbs = [0u64; LIMBS];
    for h in 0..2 {
        let octets = _mm512_permutex2var_epi8(pairs[h], load_octets(&PACK[h]), pairs[h + 1]);
        // SAFETY: writes limbs 8h..8h+8 of the 16-limb array, h < 2; unaligned store.
        unsafe { _mm512_storeu_si512(limbs[8 * h..].as_mut_ptr().cast(), octets) };
    }
    limbs
}

/// The digits of a 1024-bit integer as 24 lanes in memory.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn store_digits(limbs: &Uint) -> [u64; 8 * VECTORS] {
    let vectors = unpack(limbs);
    let mut lanes = [0u64; 8 * VECTORS];
    for (k, vector) in vectors.iter().enumerate() {
        // SAFETY: writes lanes 8k..8k+8 of the 24-lane array, k < 3; unaligned store.
        unsafe { _mm512_storeu_si512(lanes[8 * k..].as_mut_ptr().cast(), *vector) };
    }
    lanes
}

/// The Montgomery sums (a_t·b_t + m_t·n)/2^1040 of N products, their steps interleaved, each as
/// the 64-bit limbs of its 52-bit digits and of their carries, to be added.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512ifma")]
fn montgomery_products<const N: usize>(pairs: [(&Uint, &Uint); N], field: &Ifma) -> [[Uint; N]; 2] {
    let p = unpack(&field.modulus_limbs);
    let a: [DigitVectors; N] = std::array::from_fn(|t| unpack(pairs[t].0));
    let b: [[u64; 8 * VECTORS]; N] = std::array::from_fn(|t| store_digits(pairs[t].1));
    // Digit i of every b_t, step by step.
    let steps: [[u64; N]; DIGITS] = std::array::from_fn(|i| std::array::from_fn(|t| b[t][i]));
    let zero = _mm512_setzero_si512();
    let mut x = [[zero; VECTORS]; N];
    // The high halves of the previous step's products, already at this step's lanes.
    let mut high = [[zero; VECTORS]; N];
    for b_digits in &steps {
        for t in 0..N {
            let b_i = _mm512_set1_epi64(b_digits[t] as i64);
            for k in 0..VECTORS {
                x[t][k] = _mm512_add_epi64(_mm512_madd52lo_epu64(x[t][k], a[t][k], b_i), high[t][k]);
            }
            let x0 = _mm_cvtsi128_si64(_mm512_castsi512_si128(x[t][0])) as u64;
            let m = x0.wrapping_mul(field.k0) & DIGIT_MASK;
            let m_vector = _mm512_set1_epi64(m as i64);
            for k in 0..VECTORS {
                x[t][k] = _mm512_madd52lo_epu64(x[t][k], p[k], m_vector);
                high[t][k] = _mm512_madd52hi_epu64(_mm512_madd52hi_epu64(zero, a[t][k], b_i), p[k], m_vector);
            }
            // The lowest lane is now a multiple of 2^52: its carry joins the next digit as all
            // lanes move down one.
            let carry = (x0 + (field.modulus[0].wrapping_mul(m) & DIGIT_MASK)) >> DIGIT_BITS;
            let moved = [
                _mm512_alignr_epi64::<1>(x[t][1], x[t][0]),
                _mm512_alignr_epi64::<1>(x[t][2], x[t][1]),
                _mm512_alignr_epi64::<1>(zero, x[t][2]),
            ];
            x[t] =
                [_mm512_add_epi64(moved[0], _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, carry as i64)), moved[1], moved[2]];
        }
    }
    let mask = _mm512_set1_epi64(DIGIT_MASK as i64);
    let mut digits = [[0u64; LIMBS]; N];
    let mut carries = [[0u64; LIMBS]; N];
    for t in 0..N {
        let sum: DigitVectors = std::array::from_fn(|k| _mm512_add_epi64(x[t][k], high[t][k]));
        // Lane 19 holds less than 2^36 (the sum is below 2^1024) and lanes 20..24 nothing, so
        // no carry leaves the 20 digits.
        let low: DigitVectors = std::array::from_fn(|k| _mm512_and_si512(sum[k], mask));
        let carry = sum.map(|lanes| _mm512_srli_epi64::<52>(lanes));
        // Each carry one lane up: lane 0 of vector k takes lane 7 of vector k - 1.
        let moved: DigitVectors =
            std::array::from_fn(|k| _mm512_alignr_epi64::<7>(carry[k], if k == 0 { zero } else { carry[k - 1] }));
        digits[t] = pack(&low);
        carries[t] = pack(&moved);
    }
    [digits, carries]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sakke::fp::P_BYTES;

    fn p() -> Uint {
        let mut limbs = [0u64; LIMBS];
        for (limb, chunk) in limbs.iter_mut().zip(P_BYTES.rchunks_exact(8)) {
            *limb = u64::from_be_bytes(chunk.try_into().unwrap());
        }
        limbs
    }

    /// Digit j of `value`, bit by bit: the reference for the vector conversions.
    fn digit(value: &Uint, j: usize) -> u64 {
        (0..DIGIT_BITS)
            .map(|bit| DIGIT_BITS * j + bit)
            .filter(|&at| at < 64 * LIMBS && (value[at / 64] >> (at % 64)) & 1 == 1)
            .map(|at| 1 << (at - DIGIT_BITS * j))
            .sum()
    }

    #[test]
    fn integers_go_to_digits_and_back() {
        let Some(_) = Ifma::detect(&p()) else {
            eprintln!("this processor has no AVX-512 IFMA: nothing to test");
            return;
        };
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut values = vec![[0u64; LIMBS], [u64::MAX; LIMBS], p()];
        values.extend((0..20).map(|_| {
            std::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            })
        }));
        for value in &values {
            // SAFETY: `detect` found every feature these functions are compiled for.
            let (lanes, back) = unsafe { (store_digits(value), pack(&unpack(value))) };
            let expected: Vec<u64> = (0..8 * VECTORS).map(|j| if j < DIGITS { digit(value, j) } else { 0 }).collect();
            assert_eq!(lanes.to_vec(), expected, "{value:x?}");
            assert_eq!(&back, value);
        }
    }

    #[test]
    fn the_final_sum_is_brought_below_the_modulus() {
        let Some(ifma) = Ifma::detect(&p()) else {
            eprintln!("this processor has no AVX-512 IFMA: nothing to test");
            return;
        };
        let modulus = p();
        let small = |value: u64| std::array::from_fn(|i| if i == 0 { value } else { 0 });
        let mut p_minus_1 = modulus;
        p_minus_1[0] -= 1; // p's low limb is far from 0 and from 2^64.
        for (digits, carries, expected) in [
            (modulus, small(0), small(0)),
            (p_minus_1, small(1), small(0)),
            (p_minus_1, small(6), small(5)),
            (p_minus_1, small(0), p_minus_1),
            (small(0), p_minus_1, p_minus_1),
            (small(7), small(9), small(16)),
        ] {
            assert_eq!(ifma.sum_below_modulus(&digits, &carries), expected);
        }
        // 1·1 = R^-1 and (p - 1)·1 = -R^-1, both below p: they add up to p exactly.
        let [inverse_r, minus_inverse_r] = ifma.products([(&small(1), &small(1)), (&p_minus_1, &small(1))]);
        let mut total = [0u64; LIMBS];
        let mut carry = 0u64;
        for ((out, a), b) in total.iter_mut().zip(&inverse_r).zip(&minus_inverse_r) {
            let wide = u128::from(*a) + u128::from(*b) + u128::from(carry);
            *out = wide as u64;
            carry = (wide >> 64) as u64;
        }
        assert_eq!(total, modulus, "R^-1 + (-R^-1) = p");
    }
}
