//! Constant-time helpers: byte-string equality ([`ct_eq`], for MACs, key-wrap checks and
//! certificate pins) and the masks, selects and shift with which [`rsa`](super::rsa) checks and
//! extracts a PKCS#1 v1.5 block without branching on its contents.
//!
//! A mask is 0xFF (true) or 0x00 (false); `black_box` keeps the compiler from turning the
//! arithmetic back into branches.

use std::hint::black_box;

/// Constant-time equality (aws_lc_rs::constant_time); false when lengths differ.
///
/// The time depends on the lengths only, never on the contents.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// 0xFF when `x == 0`, else 0x00.
pub(crate) fn is_zero_mask(x: u8) -> u8 {
    black_box(((u32::from(x).wrapping_sub(1)) >> 8) as u8)
}

/// 0xFF when `a < b`, else 0x00 (for `a`, `b` below 2^63).
pub(crate) fn lt_mask(a: usize, b: usize) -> u8 {
    black_box(0u8.wrapping_sub((a.wrapping_sub(b) >> (usize::BITS - 1)) as u8))
}

/// `a` when `mask` is 0xFF, `b` when it is 0x00.
pub(crate) fn select_u8(mask: u8, a: u8, b: u8) -> u8 {
    (a & mask) | (b & !mask)
}

/// `a` when `mask` is 0xFF, `b` when it is 0x00.
pub(crate) fn select_usize(mask: u8, a: usize, b: usize) -> usize {
    let wide = 0usize.wrapping_sub(usize::from(mask & 1));
    (a & wide) | (b & !wide)
}

/// 0xFF when `a == b`, else 0x00.
pub(crate) fn eq_mask(a: usize, b: usize) -> u8 {
    let differ = a ^ b;
    // The top bit of `differ | -differ` is set exactly when `differ` is not zero.
    let not_equal = ((differ | differ.wrapping_neg()) >> (usize::BITS - 1)) as u8;
    black_box(not_equal.wrapping_sub(1))
}

/// Shifts `buf` left by `shift` bytes (zero filled) with a memory access pattern independent
/// of `shift`: log2(len) passes, pass `bit` moving by 2^bit when that bit of `shift` is set (no
/// division, whose time may depend on its operands).
pub(crate) fn shift_left_ct(buf: &mut [u8], shift: usize) {
    let len = buf.len();
    for bit in 0..usize::BITS {
        let step = 1usize << bit;
        if step >= len {
            break;
        }
        let mask = black_box(0u8.wrapping_sub(((shift >> bit) & 1) as u8));
        for i in 0..len {
            let moved = if i + step < len { buf[i + step] } else { 0 };
            buf[i] = select_u8(mask, moved, buf[i]);
        }
    }
    // Shifts of `len` or more clear everything.
    let all = !lt_mask(shift, len);
    for byte in buf.iter_mut() {
        *byte &= !all;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_equal_and_unequal() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(&[1, 2, 3], &[1, 2, 3]));
        assert!(!ct_eq(&[1, 2, 3], &[1, 2, 4]));
        assert!(!ct_eq(&[1, 2, 3], &[1, 2]));
        assert!(!ct_eq(&[], &[0]));
    }

    #[test]
    fn shift_left_ct_matches_a_plain_shift() {
        for len in [1usize, 2, 3, 11, 64, 100, 256] {
            let buf: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(1)).collect();
            for shift in 0..=len + 2 {
                let mut ours = buf.clone();
                shift_left_ct(&mut ours, shift);
                let mut expected = vec![0u8; len];
                if shift < len {
                    expected[..len - shift].copy_from_slice(&buf[shift..]);
                }
                assert_eq!(ours, expected, "len {len} shift {shift}");
            }
        }
    }

    #[test]
    fn masks() {
        assert_eq!(is_zero_mask(0), 0xFF);
        for x in 1..=255u8 {
            assert_eq!(is_zero_mask(x), 0);
        }
        assert_eq!(lt_mask(3, 10), 0xFF);
        assert_eq!(lt_mask(10, 10), 0);
        assert_eq!(lt_mask(11, 10), 0);
        assert_eq!(select_usize(0xFF, 5, 9), 5);
        assert_eq!(select_usize(0, 5, 9), 9);
        assert_eq!(select_u8(0xFF, 5, 9), 5);
        assert_eq!(select_u8(0, 5, 9), 9);
    }
}
