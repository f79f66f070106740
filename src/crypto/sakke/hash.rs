//! HashToIntegerRange (RFC 6508 §5.1) with SHA-256, for the two ranges SAKKE uses: q (the
//! ephemeral r) and 2^n = 2^128 (the SSV's mask).

use aws_lc_rs::digest::{self, SHA256};
use zeroize::Zeroizing;

use super::fp::{uint_from_be, Scalar, FIELD_LEN};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// Octets of a SHA-256 output (hashlen = 256 bits).
const HASH_LEN: usize = 32;
/// l = Ceiling(lg(q)/256) = 4 for the 1022-bit q: v' is 1024 bits.
const BLOCKS_Q: usize = FIELD_LEN / HASH_LEN;
/// Octets of the SSV and of the mask: n = 128 bits (RFC 6509 Appendix A).
pub(super) const SSV_LEN: usize = 16;

/// Most blocks a range can need: n ≤ (2^256)^256 (RFC 6508 §5.1).
const MAX_BLOCKS: usize = 256;

/// v' = v_1 || ... || v_l of HashToIntegerRange(s, n, SHA-256) (RFC 6508 §5.1 steps 1 to 5), for
/// l = Ceiling(lg(n)/256) from 1 to 256: A = SHA-256(s), h_0 = 32 zero octets,
/// h_i = SHA-256(h_(i-1)), v_i = SHA-256(h_i || A). The integer is v' mod n (step 6).
pub fn hash_to_integer_range_blocks(s: &[u8], l: usize) -> Result<SecretBytes> {
    if l == 0 || l > MAX_BLOCKS {
        return Err(Error::invalid_argument("SAKKE: HashToIntegerRange takes 1 to 256 blocks (RFC 6508 §5.1)"));
    }
    Ok(blocks(s, l))
}

/// v_1 || ... || v_l, for 1 ≤ l ≤ 256.
fn blocks(s: &[u8], l: usize) -> SecretBytes {
    let mut a = Zeroizing::new([0u8; HASH_LEN]);
    a.copy_from_slice(digest::digest(&SHA256, s).as_ref());
    let mut h = Zeroizing::new([0u8; HASH_LEN]);
    let mut out = SecretBytes::zeroed(l * HASH_LEN);
    for block in out.expose_mut().chunks_exact_mut(HASH_LEN) {
        let next = digest::digest(&SHA256, &h[..]);
        h.copy_from_slice(next.as_ref());
        let mut context = digest::Context::new(&SHA256);
        context.update(&h[..]);
        context.update(&a[..]);
        block.copy_from_slice(context.finish().as_ref());
    }
    out
}

/// HashToIntegerRange(s, q, SHA-256), without a branch on its value.
pub(super) fn to_scalar(s: &[u8]) -> Scalar {
    let v = blocks(s, BLOCKS_Q);
    let mut wide = Zeroizing::new([0u8; FIELD_LEN]);
    wide.copy_from_slice(v.expose());
    let value = Zeroizing::new(uint_from_be(&wide));
    Scalar::reduce(&value)
}

/// HashToIntegerRange(s, 2^128, SHA-256) as 16 octets: v_1 mod 2^128, its low half (l = 1).
pub(super) fn to_mask(s: &[u8]) -> Zeroizing<[u8; SSV_LEN]> {
    let block = blocks(s, 1);
    let mut mask = Zeroizing::new([0u8; SSV_LEN]);
    mask.copy_from_slice(&block.expose()[HASH_LEN - SSV_LEN..]);
    mask
}
