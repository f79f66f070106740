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

/// A borrowed view of secret bytes (Key data inside a decrypted KEMAC, or key material being
/// encoded): the owner zeroizes them; `Debug` shows only the length.
#[derive(Clone, Copy)]
pub struct SecretRef<'a>(&'a [u8]);

impl<'a> SecretRef<'a> {
    /// Views `bytes` as a secret.
    pub fn new(bytes: &'a [u8]) -> Self {
        SecretRef(bytes)
    }

    /// The secret bytes.
    pub fn expose(&self) -> &'a [u8] {
        self.0
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

impl fmt::Debug for SecretRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({} bytes, redacted)", self.0.len())
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

/// Secret bytes of at most `N`, stored inline (no allocation): SRTP master keys and salts.
/// Zeroized on drop; `Debug` shows only the length.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InlineSecret<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> InlineSecret<N> {
    /// Copies `bytes`; `None` when longer than `N`.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut secret = InlineSecret { bytes: [0; N], len: bytes.len() };
        secret.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(secret)
    }

    /// `len` zero bytes (at most `N`: a longer `len` is cut to `N`), to be filled in place.
    pub fn zeroed(len: usize) -> Self {
        InlineSecret { bytes: [0; N], len: len.min(N) }
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The secret bytes, writable.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> fmt::Debug for InlineSecret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InlineSecret({} bytes, redacted)", self.len)
    }
}

#[cfg(test)]
mod inline_tests {
    use super::*;

    #[test]
    fn inline_secret_holds_up_to_n_bytes_and_hides_them() {
        let secret = InlineSecret::<4>::from_slice(&[9, 8, 7]).unwrap();
        assert_eq!(secret.expose(), [9, 8, 7]);
        assert_eq!(format!("{secret:?}"), "InlineSecret(3 bytes, redacted)");
        assert!(InlineSecret::<4>::from_slice(&[0; 5]).is_none());
    }
}
