//! The curve E: y^2 = x^3 - 3x over F_p (RFC 6508 §2.1, §3): points, the complete addition law,
//! and scalar multiplication with precomputed tables.
//!
//! Sums are computed with the complete projective addition formulas of Renes, Costello and Batina
//! (eprint 2015/1060, Algorithm 4 for a = -3, here with b = 0): one sequence of field operations for
//! every pair of points, the identity and doublings included. They are exact for every pair whose
//! difference is not a point of order 2, so for all points of the order-q subgroup, where SAKKE's
//! points live (checked where they enter: [`has_order_q`], or the TEST check of decapsulation).

use zeroize::Zeroize;

use super::fp::{Field, Fp, Limb, Scalar, Uint, FIELD_LEN, Q_BITS};

/// Octets of an uncompressed point, 0x04 || x || y (RFC 6508 §4).
pub(super) const POINT_LEN: usize = 2 * FIELD_LEN + 1;

/// A point (x, y) of E(F_p), not the identity, coordinates in Montgomery form.
#[derive(Clone, Copy, Default, Zeroize)]
pub(super) struct Affine {
    pub(super) x: Fp,
    pub(super) y: Fp,
}

impl Affine {
    /// Parses 0x04 || x || y strictly: the length, the uncompressed form, x and y below p, and
    /// y^2 = x^3 - 3x. The checks run in constant time (the RSK is parsed here); only whether the
    /// point was accepted is told.
    pub(super) fn parse(f: &Field, bytes: &[u8]) -> Option<Affine> {
        let bytes: &[u8; POINT_LEN] = bytes.try_into().ok()?;
        let (x_bytes, y_bytes) = bytes[1..].split_at(FIELD_LEN);
        let (x, x_ok) = f.fp_from_bytes(x_bytes.try_into().ok()?);
        let (y, y_ok) = f.fp_from_bytes(y_bytes.try_into().ok()?);
        let point = Affine { x, y };
        let form_ok = Limb::from(bytes[0] == 0x04);
        (form_ok & x_ok & y_ok & point.is_on_curve(f) == 1).then_some(point)
    }

    /// 0x04 || x || y.
    pub(super) fn encode(&self, f: &Field) -> [u8; POINT_LEN] {
        let mut out = [0u8; POINT_LEN];
        out[0] = 0x04;
        out[1..=FIELD_LEN].copy_from_slice(&f.fp_to_bytes(&self.x));
        out[FIELD_LEN + 1..].copy_from_slice(&f.fp_to_bytes(&self.y));
        out
    }

    /// 1 when y^2 = x^3 - 3x, else 0.
    pub(super) fn is_on_curve(&self, f: &Field) -> Limb {
        let x_squared_minus_3 = f.square(&self.x).sub(&f.one().triple());
        f.square(&self.y).ct_eq(&f.mul(&self.x, &x_squared_minus_3))
    }

    /// -(x, y) = (x, -y).
    pub(super) fn neg(&self) -> Affine {
        Affine { x: self.x, y: self.y.neg() }
    }

    /// (x : y : 1).
    pub(super) fn to_projective(self, f: &Field) -> Projective {
        Projective { x: self.x, y: self.y, z: f.one() }
    }
}

/// A point (X : Y : Z) of E, x = X/Z, y = Y/Z; the identity is (0 : 1 : 0).
#[derive(Clone, Copy, Zeroize)]
pub(super) struct Projective {
    pub(super) x: Fp,
    pub(super) y: Fp,
    pub(super) z: Fp,
}

impl Projective {
    pub(super) fn identity(f: &Field) -> Projective {
        Projective { x: Fp::ZERO, y: f.one(), z: Fp::ZERO }
    }

    /// `a` when `choice` is 1, `b` when it is 0.
    pub(super) fn select(choice: Limb, a: &Projective, b: &Projective) -> Projective {
        Projective {
            x: Fp::select(choice, &a.x, &b.x),
            y: Fp::select(choice, &a.y, &b.y),
            z: Fp::select(choice, &a.z, &b.z),
        }
    }

    /// `self + rhs`, complete (RCB Algorithm 4, a = -3, b = 0): 12 multiplications.
    pub(super) fn add(&self, f: &Field, rhs: &Projective) -> Projective {
        let [t0, t1, t2] = f.mul_many([(&self.x, &rhs.x), (&self.y, &rhs.y), (&self.z, &rhs.z)]);
        // X1·Y2 + X2·Y1, Y1·Z2 + Y2·Z1, X1·Z2 + X2·Z1, each with one multiplication.
        let [xy, yz, xz] = f.mul_many([
            (&self.x.add(&self.y), &rhs.x.add(&rhs.y)),
            (&self.y.add(&self.z), &rhs.y.add(&rhs.z)),
            (&self.x.add(&self.z), &rhs.x.add(&rhs.z)),
        ]);
        Self::finish(f, t0, t1, t2, xy.sub(&t0.add(&t1)), yz.sub(&t1.add(&t2)), xz.sub(&t0.add(&t2)))
    }

    /// `self + rhs` for an affine `rhs` (Z2 = 1), complete: 11 multiplications.
    pub(super) fn add_affine(&self, f: &Field, rhs: &Affine) -> Projective {
        let [t0, t1, xy] =
            f.mul_many([(&self.x, &rhs.x), (&self.y, &rhs.y), (&self.x.add(&self.y), &rhs.x.add(&rhs.y))]);
        let [y2_z1, x2_z1] = f.mul_many([(&rhs.y, &self.z), (&rhs.x, &self.z)]);
        Self::finish(f, t0, t1, self.z, xy.sub(&t0.add(&t1)), y2_z1.add(&self.y), x2_z1.add(&self.x))
    }

    /// The rest of RCB Algorithm 4 with b = 0 (its products by b vanish), from t0 = X1·X2,
    /// t1 = Y1·Y2, t2 = Z1·Z2 and the cross sums xy, yz, xz: with s = t1 + 3xz, d = t1 - 3xz,
    /// u = 9t2 + 3t0 (the algorithm's Y3 before the products, negated) and v = 3t0 - 3t2,
    /// X3 = xy·s + yz·u, Y3 = s·d - v·u, Z3 = yz·d + xy·v.
    fn finish(f: &Field, t0: Fp, t1: Fp, t2: Fp, xy: Fp, yz: Fp, xz: Fp) -> Projective {
        let xz3 = xz.triple();
        let s = t1.add(&xz3);
        let d = t1.sub(&xz3);
        let t0_3 = t0.triple();
        let t2_3 = t2.triple();
        let u = t2_3.add(&t0).triple();
        let v = t0_3.sub(&t2_3);
        let [xy_s, yz_u, s_d] = f.mul_many([(&xy, &s), (&yz, &u), (&s, &d)]);
        let [v_u, yz_d, xy_v] = f.mul_many([(&v, &u), (&yz, &d), (&xy, &v)]);
        Projective { x: xy_s.add(&yz_u), y: s_d.sub(&v_u), z: yz_d.add(&xy_v) }
    }

    /// (X/Z, Y/Z), with one inversion; meaningless for the identity.
    pub(super) fn to_affine(self, f: &Field) -> Affine {
        let z_inverse = f.invert(&self.z);
        Affine { x: f.mul(&self.x, &z_inverse), y: f.mul(&self.y, &z_inverse) }
    }

    /// 1 when this is the identity (Z = 0, and Y ≠ 0 so that it is a point at all), else 0.
    pub(super) fn is_identity(&self) -> Limb {
        self.z.is_zero() & (self.y.is_zero() ^ 1)
    }

    /// 1 when this is the affine point `a`: X = x·Z, Y = y·Z, Z ≠ 0. Constant time.
    pub(super) fn equals(&self, f: &Field, a: &Affine) -> Limb {
        let [x, y] = f.mul_many([(&a.x, &self.z), (&a.y, &self.z)]);
        self.x.ct_eq(&x) & self.y.ct_eq(&y) & (self.z.is_zero() ^ 1)
    }
}

/// The affine points of `points`, with one inversion; every point must be finite (an identity
/// makes the results meaningless).
pub(super) fn batch_to_affine(f: &Field, points: &[Projective]) -> Vec<Affine> {
    let mut inverses: Vec<Fp> = points.iter().map(|point| point.z).collect();
    f.batch_invert(&mut inverses);
    points
        .iter()
        .zip(&inverses)
        .map(|(point, z_inverse)| Affine { x: f.mul(&point.x, z_inverse), y: f.mul(&point.y, z_inverse) })
        .collect()
}

/// `[k]base` for a public `k`, left to right with the complete addition: the operations depend
/// on `k` alone, never on `base`.
pub(super) fn mul_public(f: &Field, base: &Affine, k: &Uint) -> Projective {
    let mut acc = Projective::identity(f);
    for limb in k.iter().rev() {
        for bit in (0..Limb::BITS).rev() {
            acc = acc.add(f, &acc);
            if (limb >> bit) & 1 == 1 {
                acc = acc.add_affine(f, base);
            }
        }
    }
    acc
}

/// Whether `[q]point` is the identity: the point is in E(F_p)\[q\], where every SAKKE point must be
/// (RFC 6508 §2.2). The work depends on q only, so it may run on the secret RSK.
pub(super) fn has_order_q(f: &Field, point: &Affine) -> bool {
    mul_public(f, point, &super::fp::Q).is_identity() == 1
}

/// Window width of the fixed-base tables and of the PF_p powers of g: 6 beats 5 by about 12%
/// of an encapsulation's instructions (171 additions instead of 205, each row scan twice as long);
/// 7 leaves a digit over at the top.
pub(super) const WINDOW: usize = 6;
/// Entries per window: signed digits run from -HALF to HALF.
pub(super) const HALF: usize = 1 << (WINDOW - 1);
/// Windows covering a scalar below q < 2^1022.
pub(super) const WINDOWS: usize = Q_BITS.div_ceil(WINDOW);
// The top window holds at most the bits from (WINDOWS-1)·WINDOW to Q_BITS-1, plus a carry: it
// must stay at most HALF, so that no digit is left over.
const _: () = assert!((1 << (Q_BITS - (WINDOWS - 1) * WINDOW)) <= HALF);

/// The signed digits of a scalar k < 2^1022 in base 2^WINDOW: k = Σ d_j·2^(WINDOW·j) with
/// -HALF ≤ d_j ≤ HALF, computed without a branch. Yields (|d_j|, 1 when d_j < 0).
pub(super) fn signed_digits(k: &Scalar) -> impl Iterator<Item = (u32, Limb)> + '_ {
    let mut carry = 0u32;
    (0..WINDOWS).map(move |j| {
        let raw = k.bits(j * WINDOW, WINDOW) + carry;
        // The digit is raw, or raw - 2^WINDOW carrying one into the next window when raw > HALF.
        carry = (HALF as u32).wrapping_sub(raw) >> 31;
        let digit = raw.wrapping_sub(carry << WINDOW) as i32;
        let negative = (digit >> 31) as u32 & 1;
        let magnitude = ((digit ^ (digit >> 31)) as u32).wrapping_add(negative);
        (magnitude, Limb::from(negative))
    })
}

/// The entries of a fixed-base table in a group whose operation is `combine`: for j < WINDOWS,
/// the powers B_j^d, d = 1..=HALF, of B_0 = `base` and B_(j+1) = B_j^(2^WINDOW) = (B_j^HALF)^2.
/// Points (\[d·2^(WINDOW·j)\]B) and the powers of g in PF_p are both built this way.
pub(super) fn window_rows<T: Copy>(base: T, combine: impl Fn(&T, &T) -> T) -> Vec<T> {
    let mut entries = Vec::with_capacity(WINDOWS * HALF);
    let mut window_base = base;
    for _ in 0..WINDOWS {
        let mut entry = window_base;
        entries.push(entry);
        for _ in 1..HALF {
            entry = combine(&entry, &window_base);
            entries.push(entry);
        }
        window_base = combine(&entry, &entry);
    }
    entries
}

/// The multiples \[d·2^(WINDOW·j)\]B of a base point B, d = 1..=HALF, j < WINDOWS, in affine
/// coordinates: \[k\]B then costs WINDOWS mixed additions and no doubling.
pub(super) struct FixedBase {
    entries: Vec<Affine>,
}

impl FixedBase {
    /// The table of `base`, which must be of order q (so that no entry is the identity).
    pub(super) fn new(f: &Field, base: &Affine) -> FixedBase {
        // The complete addition law doubles too.
        let points = window_rows(base.to_projective(f), |a, b| a.add(f, b));
        FixedBase { entries: batch_to_affine(f, &points) }
    }

    /// `[k]B` in constant time: each window reads every entry of its row and keeps one by masks,
    /// negates it by a mask, and the sum is kept or not by a mask (digit zero).
    pub(super) fn mul(&self, f: &Field, k: &Scalar) -> Projective {
        let mut acc = Projective::identity(f);
        for ((magnitude, negative), row) in signed_digits(k).zip(self.entries.chunks_exact(HALF)) {
            let mut chosen = Affine::default();
            for (index, entry) in row.iter().enumerate() {
                let hit = super::fp::small_eq(magnitude, index as u32 + 1);
                chosen.x = Fp::select(hit, &entry.x, &chosen.x);
                chosen.y = Fp::select(hit, &entry.y, &chosen.y);
            }
            chosen.y = Fp::select(negative, &chosen.y.neg(), &chosen.y);
            let sum = acc.add_affine(f, &chosen);
            acc = Projective::select(super::fp::small_eq(magnitude, 0) ^ 1, &sum, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sakke::fp::{uint_from_be, LIMBS, Q};
    use crate::crypto::sakke::GENERATOR_P;

    fn generator(f: &Field) -> Affine {
        Affine::parse(f, &GENERATOR_P).unwrap()
    }

    /// Affine sum with the textbook chord-and-tangent formulas (with inversions), for reference.
    fn affine_add(f: &Field, a: &Affine, b: &Affine) -> Affine {
        let lambda = if a.x.ct_eq(&b.x) == 1 {
            let three = f.one().triple();
            f.mul(&f.mul(&f.square(&a.x).sub(&f.one()), &three), &f.invert(&a.y.double()))
        } else {
            f.mul(&b.y.sub(&a.y), &f.invert(&b.x.sub(&a.x)))
        };
        let x = f.square(&lambda).sub(&a.x).sub(&b.x);
        Affine { x, y: f.mul(&lambda, &a.x.sub(&x)).sub(&a.y) }
    }

    fn same(f: &Field, a: &Affine, b: &Affine) -> bool {
        a.encode(f) == b.encode(f)
    }

    #[test]
    fn complete_addition_matches_the_chord_and_tangent_law() {
        let f = Field::new().unwrap();
        let p = generator(&f);
        let p2 = affine_add(&f, &p, &p);
        let p3 = affine_add(&f, &p2, &p);
        let proj = p.to_projective(&f);
        assert!(same(&f, &proj.add(&f, &proj).to_affine(&f), &p2), "doubling");
        assert!(same(&f, &p2.to_projective(&f).add_affine(&f, &p).to_affine(&f), &p3), "mixed");
        assert!(same(&f, &p2.to_projective(&f).add(&f, &proj).to_affine(&f), &p3), "general");
        assert!(same(&f, &proj.add_affine(&f, &p).to_affine(&f), &p2), "mixed doubling");
        let identity = Projective::identity(&f);
        assert!(same(&f, &identity.add_affine(&f, &p).to_affine(&f), &p), "O + P");
        assert!(same(&f, &proj.add(&f, &identity).to_affine(&f), &p), "P + O");
        assert_eq!(identity.add(&f, &identity).is_identity(), 1, "O + O");
        assert_eq!(proj.add_affine(&f, &p.neg()).is_identity(), 1, "P - P");
        assert_eq!(proj.add(&f, &p.neg().to_projective(&f)).is_identity(), 1, "P - P");
        assert_eq!(p3.is_on_curve(&f), 1);
        assert_eq!(proj.add(&f, &proj).equals(&f, &p2), 1);
        assert_eq!(proj.equals(&f, &p2), 0);
        assert_eq!(identity.equals(&f, &p), 0);
        f.check().unwrap();
    }

    #[test]
    fn parsing_is_strict() {
        let f = Field::new().unwrap();
        assert!(Affine::parse(&f, &GENERATOR_P).is_some());
        let mut compressed = GENERATOR_P;
        compressed[0] = 0x02;
        assert!(Affine::parse(&f, &compressed).is_none());
        let mut off_curve = GENERATOR_P;
        off_curve[POINT_LEN - 1] ^= 1;
        assert!(Affine::parse(&f, &off_curve).is_none());
        assert!(Affine::parse(&f, &GENERATOR_P[..POINT_LEN - 1]).is_none());
        // (0, 0) is on the curve (of order 2) and parses; it is not of order q.
        let mut origin = [0u8; POINT_LEN];
        origin[0] = 0x04;
        let order_two = Affine::parse(&f, &origin).unwrap();
        assert!(!has_order_q(&f, &order_two));
        assert!(has_order_q(&f, &generator(&f)));
        // A coordinate equal to p (an encoding of 0 out of range) is refused.
        let mut out_of_range = origin;
        out_of_range[1..=FIELD_LEN].copy_from_slice(&crate::crypto::sakke::fp::P_BYTES);
        assert!(Affine::parse(&f, &out_of_range).is_none());
    }

    #[test]
    fn fixed_base_multiplication_matches_double_and_add() {
        let f = Field::new().unwrap();
        let p = generator(&f);
        let table = FixedBase::new(&f, &p);
        let mut q_minus_1 = Q;
        q_minus_1[0] -= 1;
        let mut digits_all_half = [0x00u8; FIELD_LEN];
        // 0x...8421 patterns give windows of exactly HALF = 16 and carries.
        for (i, byte) in digits_all_half.iter_mut().enumerate().skip(1) {
            *byte = [0x84, 0x21, 0x08, 0x42, 0x10][i % 5];
        }
        digits_all_half[0] = 0x0F;
        let mut scalars = vec![[0; LIMBS], q_minus_1, uint_from_be(&digits_all_half)];
        let mut small = [0; LIMBS];
        for value in [1, 2, 15, 16, 17, 31, 32, 33] {
            small[0] = value;
            scalars.push(small);
        }
        for k in &scalars {
            let scalar = Scalar::new_public(k).unwrap();
            let fast = table.mul(&f, &scalar);
            let slow = mul_public(&f, &p, k);
            assert_eq!(fast.is_identity(), slow.is_identity());
            if slow.is_identity() == 0 {
                assert!(same(&f, &fast.to_affine(&f), &slow.to_affine(&f)));
            }
        }
        // [q-1]P = -P.
        let minus_p = table.mul(&f, &Scalar::new_public(&q_minus_1).unwrap()).to_affine(&f);
        assert!(same(&f, &minus_p, &p.neg()));
        f.check().unwrap();
    }

    #[test]
    fn signed_digits_recompose_the_scalar() {
        for low in [0b11111_10000_10001_i64, 0x2F_FFFF, 1, 0x20, 0x3F_0001] {
            let mut value = [0; LIMBS];
            value[0] = low as Limb;
            let scalar = Scalar::new_public(&value).unwrap();
            let digits: Vec<i64> = signed_digits(&scalar)
                .take(5)
                .map(|(magnitude, negative)| if negative == 1 { -i64::from(magnitude) } else { i64::from(magnitude) })
                .collect();
            // Every digit within ±HALF, and Σ d_j·2^(WINDOW·j) is the scalar.
            assert!(digits.iter().all(|d| d.unsigned_abs() <= HALF as u64), "{low:#x}: {digits:?}");
            let sum: i64 = digits.iter().enumerate().map(|(j, d)| d << (WINDOW * j)).sum();
            assert_eq!(sum, low, "{digits:?}");
        }
    }
}
