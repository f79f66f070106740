//! Key material that zeroizes on drop and never prints itself.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret bytes (PSK, TGK, TEK, salt, envelope and derived keys).
///
/// Zeroized on drop; `Debug` shows only the length. Compare with
/// `crate::crypto::ct_eq`, which runs in constant time.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes` (the caller's copy should be zeroized by the caller if it keeps one).
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        SecretBytes(bytes.to_vec())
    }

    /// `len` zero bytes, to be filled in place.
    pub fn zeroed(len: usize) -> Self {
        SecretBytes(vec![0; len])
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret bytes, writable.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes, redacted)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_bytes() {
        let secret = SecretBytes::from_slice(&[0xAB, 0xCD]);
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SecretBytes(2 bytes, redacted)");
        assert!(!shown.to_lowercase().contains("ab"));
    }
}
