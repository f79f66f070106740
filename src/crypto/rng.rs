//! Randomness for keys, RAND and nonces (RFC 3830 §4.2.2).

use crate::error::{Error, Result};

/// Source of randomness; sessions take it as a parameter so tests can be deterministic.
pub trait RandomSource: Send + Sync {
    /// Fills `out` entirely with random bytes, or fails without partial success being usable.
    fn fill(&self, out: &mut [u8]) -> Result<()>;
}

/// aws-lc-rs SystemRandom (the only release RNG).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandomSource;

impl RandomSource for SystemRandomSource {
    fn fill(&self, out: &mut [u8]) -> Result<()> {
        aws_lc_rs::rand::fill(out).map_err(|_| Error::crypto("system random generator failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_random_fills_and_varies() {
        let rng = SystemRandomSource;
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        rng.fill(&mut a).unwrap();
        rng.fill(&mut b).unwrap();
        // 2^-256 chance of a false failure.
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        rng.fill(&mut []).unwrap();
    }

    #[test]
    fn usable_as_trait_object() {
        let rng: &dyn RandomSource = &SystemRandomSource;
        let mut a = [0u8; 16];
        rng.fill(&mut a).unwrap();
        assert_ne!(a, [0u8; 16]);
    }
}
