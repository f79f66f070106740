//! The pairing <R, Q> of RFC 6508 §3.2 and the group PF_p\[q\] it lands in (§2.1).
//!
//! The RFC's Miller loop walks the multiples of R and evaluates its lines at \[i\]Q = (-Q_x, i·Q_y).
//! Here the roles are swapped: both points lie in the cyclic group E(F_p)\[q\], where the pairing is
//! symmetric (<\[a\]P, \[b\]P> = <P, P>^(ab) = <\[b\]P, \[a\]P>), so <R, RSK> = <RSK, R>, and the loop
//! walks the multiples of the long-lived RSK. Its lines, y - C_y = λ·(x - C_x) at each point C of
//! the walk, are computed once per RSK ([`MillerLines::new`]), each stored as (λ, ν = λ·C_x - C_y);
//! at \[i\]R a line is λ·R_x + ν + i·R_y, one multiplication. A step of the loop then costs six
//! multiplications in F_p (the line, a squaring and a product in F_p^2), and a digit ±1 three more
//! (its line, and its product with the tangent's before the one product into the accumulator). The
//! loop runs over the non-adjacent form of q - 1 (352 digits ±1 after the leading one, where the
//! binary form has 512 ones): a digit -1 uses the line through C and -Q; the vertical lines that
//! change adds are in F_p, which the result forgets.
//!
//! Elements of PF_p = (F_p^2)*/(F_p)* are kept as any F_p^2 element of their class (no inversion in
//! the loop; Barreto's trick drops the F_p denominators); the final power c = (p+1)/q = 4 and the
//! representative b/a of a + i·b (§3.2) end the computation.

use once_cell::sync::Lazy;
use zeroize::Zeroize;

use super::curve::{signed_digits, window_rows, Affine, Projective, HALF};
use super::fp::{Field, Fp, Limb, Scalar, Q};

/// An element a + i·b of F_p^2 = F_p\[i\], i^2 = -1.
#[derive(Clone, Copy, Zeroize)]
pub(super) struct Fp2 {
    pub(super) re: Fp,
    pub(super) im: Fp,
}

impl Fp2 {
    pub(super) fn one(f: &Field) -> Fp2 {
        Fp2 { re: f.one(), im: Fp::ZERO }
    }

    /// `self²`: (a + b)(a - b) + i·2ab, two multiplications.
    fn square(&self, f: &Field) -> Fp2 {
        let [re, half_im] = f.mul_many([(&self.re.add(&self.im), &self.re.sub(&self.im)), (&self.re, &self.im)]);
        Fp2 { re, im: half_im.double() }
    }

    /// `self·(c + i·d)`, three multiplications (Karatsuba).
    fn mul_parts(&self, f: &Field, c: &Fp, d: &Fp) -> Fp2 {
        let [ac, bd, cross] = f.mul_many([(&self.re, c), (&self.im, d), (&self.re.add(&self.im), &c.add(d))]);
        Fp2 { re: ac.sub(&bd), im: cross.sub(&ac).sub(&bd) }
    }

    /// `self·rhs`.
    fn mul(&self, f: &Field, rhs: &Fp2) -> Fp2 {
        self.mul_parts(f, &rhs.re, &rhs.im)
    }

    /// The final power c = (p+1)/q = 4 of the pairing (RFC 6508 §3.2: t = v^c).
    pub(super) fn pow_c(&self, f: &Field) -> Fp2 {
        self.square(f).square(f)
    }

    /// 1 when this element of PF_p is the one represented by `s` (b/a = s, a ≠ 0), else 0, without
    /// an inversion: b = s·a.
    pub(super) fn represents(&self, f: &Field, s: &Fp) -> Limb {
        self.im.ct_eq(&f.mul(s, &self.re)) & (self.re.is_zero() ^ 1)
    }
}

/// The non-adjacent form of q - 1 from its second most significant digit down (the loop of
/// RFC 6508 §3.2 starts there); public.
static MILLER_DIGITS: Lazy<Vec<i8>> = Lazy::new(|| {
    let mut k = Q;
    k[0] -= 1; // q is odd: no borrow.
    let mut digits = Vec::new();
    while k.iter().any(|&limb| limb != 0) {
        let digit: i8 = match k[0] & 3 {
            1 => 1,
            3 => -1,
            _ => 0,
        };
        // k - digit is even: subtract 1 or add 1, with the carry through the limbs.
        if digit == 1 {
            k[0] -= 1;
        } else if digit == -1 {
            for limb in k.iter_mut() {
                let (sum, carry) = limb.overflowing_add(1);
                *limb = sum;
                if !carry {
                    break;
                }
            }
        }
        digits.push(digit);
        for i in 0..k.len() {
            let high = k.get(i + 1).map_or(0, |next| next << (Limb::BITS - 1));
            k[i] = (k[i] >> 1) | high;
        }
    }
    digits.pop(); // The leading 1.
    digits.reverse();
    digits
});

/// The Miller lines of a point Q of order q (the RSK): per step, (λ, ν) of the line y = λ·x - ν
/// through the walk's point C (ν = λ·C_x - C_y): the RFC's accumulated factor
/// l·(R_x + C_x) + (i·R_y - C_y) is λ·R_x + ν + i·R_y. Zeroized on drop: they are as secret as Q.
pub(super) struct MillerLines {
    steps: Vec<Step>,
}

/// One digit of the loop: the tangent's line, and the chord's line when the digit is ±1.
#[derive(Zeroize)]
struct Step {
    tangent: [Fp; 2],
    chord: Option<[Fp; 2]>,
}

impl MillerLines {
    /// The lines of the loop for `point`, which must be of order q. Constant time: the walk's
    /// operations depend on q's digits only, the one inversion (batched) is blinded.
    pub(super) fn new(f: &Field, point: &Affine) -> MillerLines {
        let digits: &[i8] = &MILLER_DIGITS;
        let negated = point.neg();
        // Per step, the point C where the line is drawn, and the slope λ = numerator/denominator:
        // tangent λ = 3(x^2 - 1)/(2y) = 3(X^2 - Z^2)/(2YZ); chord to ±Q, λ = (Y - y_Q·Z)/(X - x_Q·Z).
        let steps = digits.len() + digits.iter().filter(|&&digit| digit != 0).count();
        let mut walk: Vec<(Projective, Fp)> = Vec::with_capacity(steps);
        let mut denominators: Vec<Fp> = Vec::with_capacity(2 * steps);
        let mut c = point.to_projective(f);
        for &digit in digits {
            let numerator = f.mul(&c.x.sub(&c.z), &c.x.add(&c.z)).triple();
            denominators.push(f.mul(&c.y, &c.z).double());
            walk.push((c, numerator));
            c = c.add(f, &c);
            if digit != 0 {
                let target = if digit > 0 { point } else { &negated };
                let numerator = c.y.sub(&f.mul(&target.y, &c.z));
                denominators.push(c.x.sub(&f.mul(&target.x, &c.z)));
                walk.push((c, numerator));
                c = c.add_affine(f, target);
            }
        }
        // One inversion for every denominator and every Z.
        denominators.extend(walk.iter().map(|(c, _)| c.z));
        f.batch_invert(&mut denominators);
        let (slope_inverses, z_inverses) = denominators.split_at(walk.len());
        let mut lines = walk.iter().zip(slope_inverses.iter().zip(z_inverses)).map(
            |((c, numerator), (denominator_inverse, z_inverse))| {
                let lambda = f.mul(numerator, denominator_inverse);
                // ν = λ·x - y = (λ·X - Y)/Z.
                let nu = f.mul(&f.mul(&lambda, &c.x).sub(&c.y), z_inverse);
                [lambda, nu]
            },
        );
        let steps = digits
            .iter()
            .map_while(|&digit| {
                let tangent = lines.next()?;
                let chord = if digit != 0 { Some(lines.next()?) } else { None };
                Some(Step { tangent, chord })
            })
            .collect();
        denominators.zeroize();
        for (c, numerator) in walk.iter_mut() {
            c.x.zeroize();
            c.y.zeroize();
            c.z.zeroize();
            numerator.zeroize();
        }
        MillerLines { steps }
    }

    /// f_Q(\[i\]R)^c as an element of F_p^2 (its class in PF_p is the pairing <Q, R> = <R, Q>),
    /// before the representative is taken. Constant time. The products of a step that do not
    /// wait on each other go to [`Field::mul_many`] together.
    pub(super) fn evaluate(&self, f: &Field, r: &Affine) -> Fp2 {
        // A line at [i]R is a + i·R_y, a = λ·R_x + ν.
        let y_squared = f.square(&r.y);
        let mut v = Fp2::one(f);
        for step in &self.steps {
            let [lambda, nu] = &step.tangent;
            // v^2 = (v_re + v_im)(v_re - v_im) + i·2·v_re·v_im, and the tangent's λ·R_x.
            let [square_re, half_square_im, lambda_x] =
                f.mul_many([(&v.re.add(&v.im), &v.re.sub(&v.im)), (&v.re, &v.im), (lambda, &r.x)]);
            let squared = Fp2 { re: square_re, im: half_square_im.double() };
            let a = lambda_x.add(nu);
            v = match &step.chord {
                None => squared.mul_parts(f, &a, &r.y),
                // Both lines at once: (a + i·y)(c + i·y) = (a·c - y^2) + i·y·(a + c), then one
                // product into v (seven multiplications for the two, not eight).
                Some([chord_lambda, chord_nu]) => {
                    let c = f.mul(chord_lambda, &r.x).add(chord_nu);
                    let [ac, y_sum] = f.mul_many([(&a, &c), (&r.y, &a.add(&c))]);
                    squared.mul_parts(f, &ac.sub(&y_squared), &y_sum)
                }
            };
        }
        v.pow_c(f)
    }
}

impl Drop for MillerLines {
    fn drop(&mut self) {
        self.steps.zeroize();
    }
}

/// The representatives s of g^(d·2^(WINDOW·j)) in PF_p (the element 1 + i·s), d = 1..=HALF,
/// j < WINDOWS: g^r then costs WINDOWS products by 1 + i·s, two multiplications each.
pub(super) struct PfTable {
    entries: Vec<Fp>,
}

impl PfTable {
    /// The table of the element represented by `g` (of order q).
    pub(super) fn new(f: &Field, g: &Fp) -> PfTable {
        let powers = window_rows(Fp2 { re: f.one(), im: *g }, |a, b| a.mul(f, b));
        let mut inverses: Vec<Fp> = powers.iter().map(|power| power.re).collect();
        f.batch_invert(&mut inverses);
        let entries = powers.iter().zip(&inverses).map(|(power, inverse)| f.mul(&power.im, inverse)).collect();
        PfTable { entries }
    }

    /// g^k as an element of F_p^2 (take its representative), in constant time: every entry of a
    /// row is read, one kept by masks; a negative digit negates it (the inverse of 1 + i·s in
    /// PF_p is 1 - i·s); digit zero keeps s = 0, the product by 1.
    pub(super) fn pow(&self, f: &Field, k: &Scalar) -> Fp2 {
        let mut v = Fp2::one(f);
        for ((magnitude, negative), row) in signed_digits(k).zip(self.entries.chunks_exact(HALF)) {
            let mut s = Fp::ZERO;
            for (index, entry) in row.iter().enumerate() {
                s = Fp::select(super::fp::small_eq(magnitude, index as u32 + 1), entry, &s);
            }
            s = Fp::select(negative, &s.neg(), &s);
            // (a + i·b)(1 + i·s) = (a - b·s) + i·(b + a·s).
            let [bs, as_] = f.mul_many([(&v.im, &s), (&v.re, &s)]);
            v = Fp2 { re: v.re.sub(&bs), im: v.im.add(&as_) };
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sakke::{GENERATOR_P, PAIRING_G};

    #[test]
    fn the_miller_digits_are_the_naf_of_q_minus_1() {
        // Σ d_i 2^i with the leading 1 back must give q - 1; check on the low 64 bits and the count.
        let digits: &[i8] = &MILLER_DIGITS;
        assert_eq!(digits.len(), 1021);
        assert_eq!(digits.iter().filter(|&&d| d != 0).count(), 352);
        assert!(digits.windows(2).all(|pair| pair[0] == 0 || pair[1] == 0), "non-adjacent");
        let low: i64 = digits.iter().rev().take(32).enumerate().map(|(i, &d)| i64::from(d) << i).sum();
        assert_eq!(low.rem_euclid(1 << 32), i64::from((Q[0] as u32).wrapping_sub(1)));
    }

    #[test]
    fn g_is_the_pairing_of_p_with_itself_and_its_table_powers_agree() {
        let f = Field::new().unwrap();
        let p = Affine::parse(&f, &GENERATOR_P).unwrap();
        let (g, _) = f.fp_from_bytes(&PAIRING_G);
        let lines = MillerLines::new(&f, &p);
        assert_eq!(lines.evaluate(&f, &p).represents(&f, &g), 1);
        assert_eq!(lines.evaluate(&f, &p.neg()).represents(&f, &g), 0);
        let table = PfTable::new(&f, &g);
        let mut k = [0; crate::crypto::sakke::fp::LIMBS];
        k[0] = 2;
        let g2 = table.pow(&f, &Scalar::new_public(&k).unwrap());
        let direct = Fp2 { re: f.one(), im: g }.square(&f);
        assert_eq!(g2.represents(&f, &f.mul(&direct.im, &f.invert(&direct.re))), 1);
        // g^(q-1) = g^-1, represented by -g.
        let mut q_minus_1 = Q;
        q_minus_1[0] -= 1;
        assert_eq!(table.pow(&f, &Scalar::new_public(&q_minus_1).unwrap()).represents(&f, &g.neg()), 1);
        f.check().unwrap();
    }
}
