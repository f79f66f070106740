//! SipHash-2-4 (Aumasson and Bernstein, 2012), aws-lc's `SIPHASH_24`: a keyed 64-bit hash, for
//! naming messages in the replay cache (RFC 3830 §5.4) without letting anyone who lacks the key
//! aim for a collision.

#![deny(clippy::undocumented_unsafe_blocks)]

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::rng::RandomSource;
use crate::error::Result;

/// `SIPHASH_24` as aws-lc-sys 0.47.0's full bindings declare it (its default bindings leave it
/// out); the link name carries aws-lc-sys's symbol prefix, as in `x509.rs`, so another
/// aws-lc-sys version fails to link rather than mismatching.
mod ffi {
    extern "C" {
        #[link_name = "aws_lc_0_47_0_SIPHASH_24"]
        pub fn SIPHASH_24(key: *const u64, input: *const u8, input_len: usize) -> u64;
    }
}

/// A SipHash key (128 bits). Zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SipHashKey([u64; 2]);

impl SipHashKey {
    /// A key from `rng`.
    pub fn random(rng: &dyn RandomSource) -> Result<Self> {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)?;
        let key = SipHashKey::from_bytes(&bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// The key whose 16 bytes are `bytes` (k0 then k1, little-endian, as in the paper).
    pub fn from_bytes(bytes: &[u8; 16]) -> Self {
        let (k0, k1) = bytes.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        SipHashKey([word(k0), word(k1)])
    }

    /// SipHash-2-4 of `data` under this key.
    pub fn hash(&self, data: &[u8]) -> u64 {
        // SAFETY: `self.0` is the two-word key SIPHASH_24 reads; `data` is a live slice of
        // `data.len()` bytes, only read.
        unsafe { ffi::SIPHASH_24(self.0.as_ptr(), data.as_ptr(), data.len()) }
    }
}

impl std::fmt::Debug for SipHashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SipHashKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_vectors_of_the_siphash_paper() {
        // Appendix A of the paper (and vectors.h of the reference code): key 00..0f, message
        // 00..0e gives a129ca6149be45e5; the empty message gives 726fdb47dd0e0e31.
        let key = SipHashKey::from_bytes(&std::array::from_fn(|i| i as u8));
        let message: Vec<u8> = (0..15).collect();
        assert_eq!(key.hash(&message), 0xa129_ca61_49be_45e5);
        assert_eq!(key.hash(&[]), 0x726f_db47_dd0e_0e31);
    }

    #[test]
    fn the_key_changes_the_hash() {
        let one = SipHashKey::from_bytes(&[1; 16]);
        let other = SipHashKey::from_bytes(&[2; 16]);
        assert_ne!(one.hash(b"message"), other.hash(b"message"));
        assert_eq!(format!("{one:?}"), "SipHashKey(redacted)");
    }
}
