//! HMAC-SHA-1 and HMAC-SHA-256 (RFC 2104) with the key's inner and outer hash states computed
//! once, the "Implementation Note" of RFC 2104 §4, over aws-lc's SHA-1/SHA-256 functions.
//!
//! aws-lc-rs's `hmac::Key` holds a whole `HMAC_CTX` (with a state for every digest it supports)
//! and copies it (`HMAC_CTX_copy_ex`) for each tag. Here a prepared key is two plain hash states
//! (96 bytes each for SHA-1, 112 for SHA-256); a tag copies one of them per hash, and a message
//! of at most 55 bytes, like every outer hash, is padded here and costs a single compression.
//! Key-dependent state is zeroized: the prepared states on drop, the working copies and blocks
//! before returning.
//!
//! Its unsafe code calls aws-lc functions on exclusively borrowed, initialised hash states and
//! on slices of checked length.

#![deny(clippy::undocumented_unsafe_blocks)]

use aws_lc_sys::{
    OPENSSL_cleanse, SHA1_Final, SHA1_Init, SHA1_Transform, SHA1_Update, SHA256_Final, SHA256_Init, SHA256_Transform,
    SHA256_Update, SHA256_CTX, SHA_CTX,
};
use zeroize::Zeroize;

// The code reads the chaining value (`h`) of these structs, as bindgen laid them out from
// aws-lc's sha.h; the build fails if that layout ever changes size: SHA_CTX is h[5], Nl, Nh,
// data[64], num (96 bytes); SHA256_CTX is h[8], Nl, Nh, data[64], num, md_len (112 bytes).
const _: () = {
    assert!(std::mem::size_of::<SHA_CTX>() == 96);
    assert!(std::mem::size_of::<SHA256_CTX>() == 112);
};

/// Largest digest of the supported hashes (SHA-256).
pub(crate) const MAX_OUTPUT_LEN: usize = 32;

/// Block length of SHA-1 and SHA-256 (the "B" of RFC 2104).
const BLOCK_LEN: usize = 64;

/// Longest message that, after one full block (the HMAC pad), still fits in one final block
/// with the 0x80 byte and the 64-bit length (FIPS 180-4 §5.1.1).
const ONE_BLOCK_MAX: usize = BLOCK_LEN - 1 - 8;

/// A digest buffer; a hash writes its `OUTPUT_LEN` bytes at the start.
pub(crate) type Output = [u8; MAX_OUTPUT_LEN];

/// A Merkle-Damgard hash with a 64-byte block whose running state is a plain, copyable struct.
pub(crate) trait Hash {
    /// The running state (an aws-lc `SHA_CTX` or `SHA256_CTX`).
    type State: Copy;
    /// Digest length in bytes.
    const OUTPUT_LEN: usize;
    /// A freshly initialised state.
    fn init() -> Self::State;
    /// Absorbs `data`.
    fn update(state: &mut Self::State, data: &[u8]);
    /// Writes the digest to `out[..OUTPUT_LEN]`; the state must be re-initialised before reuse.
    fn finish(state: &mut Self::State, out: &mut Output);
    /// Applies the compression function to one block (only the chaining value changes).
    fn compress(state: &mut Self::State, block: &[u8; BLOCK_LEN]);
    /// Writes the chaining value, big-endian, to `out[..OUTPUT_LEN]` (the digest, once the
    /// final padded block has been compressed).
    fn chaining_value(state: &Self::State, out: &mut Output);
    /// Overwrites every byte of the state with zeros (not optimised away).
    fn wipe(state: &mut Self::State);
    /// Overwrites the chaining value with zeros (not optimised away).
    fn wipe_chaining_value(state: &mut Self::State);
}

/// SHA-1 (FIPS 180-4), via aws-lc.
pub(crate) enum Sha1 {}

impl Hash for Sha1 {
    type State = SHA_CTX;
    const OUTPUT_LEN: usize = 20;

    #[inline]
    fn init() -> SHA_CTX {
        let mut state = SHA_CTX { h: [0; 5], Nl: 0, Nh: 0, data: [0; 64], num: 0 };
        // SAFETY: `state` is a valid, exclusively borrowed SHA_CTX; SHA1_Init only writes to it
        // (memset, then the initial chaining value) and always returns 1.
        unsafe { SHA1_Init(&mut state) };
        state
    }

    #[inline]
    fn update(state: &mut SHA_CTX, data: &[u8]) {
        // SAFETY: `state` is an initialised SHA_CTX we borrow exclusively (every State is made by
        // `init`); `data` is valid for reads of `data.len()` bytes and SHA1_Update reads no more.
        // It keeps no pointer to either after returning and always returns 1.
        unsafe { SHA1_Update(state, data.as_ptr().cast(), data.len()) };
    }

    #[inline]
    fn finish(state: &mut SHA_CTX, out: &mut Output) {
        // SAFETY: `state` is an initialised SHA_CTX, exclusively borrowed; SHA1_Final writes exactly
        // SHA_DIGEST_LENGTH = 20 <= out.len() bytes to `out`, which does not overlap `state`.
        unsafe { SHA1_Final(out.as_mut_ptr(), state) };
    }

    #[inline]
    fn compress(state: &mut SHA_CTX, block: &[u8; BLOCK_LEN]) {
        // SAFETY: `state` is an initialised, exclusively borrowed SHA_CTX; SHA1_Transform reads
        // exactly SHA_CBLOCK = 64 bytes from `block` and updates `state.h` only.
        unsafe { SHA1_Transform(state, block.as_ptr()) };
    }

    #[inline]
    fn chaining_value(state: &SHA_CTX, out: &mut Output) {
        for (o, h) in out.chunks_exact_mut(4).zip(&state.h) {
            o.copy_from_slice(&h.to_be_bytes());
        }
    }

    #[inline]
    fn wipe_chaining_value(state: &mut SHA_CTX) {
        state.h.zeroize();
    }

    #[inline]
    fn wipe(state: &mut SHA_CTX) {
        // SAFETY: `state` is exclusively borrowed and valid for writes of its whole size;
        // SHA_CTX is integers only (no padding, no pointers), so all-zero bytes are a valid value.
        unsafe { OPENSSL_cleanse((state as *mut SHA_CTX).cast(), std::mem::size_of::<SHA_CTX>()) };
    }
}

/// SHA-256 (FIPS 180-4), via aws-lc.
pub(crate) enum Sha256 {}

impl Hash for Sha256 {
    type State = SHA256_CTX;
    const OUTPUT_LEN: usize = 32;

    #[inline]
    fn init() -> SHA256_CTX {
        let mut state = SHA256_CTX { h: [0; 8], Nl: 0, Nh: 0, data: [0; 64], num: 0, md_len: 0 };
        // SAFETY: `state` is a valid, exclusively borrowed SHA256_CTX; SHA256_Init only writes to
        // it (memset, initial chaining value, md_len) and always returns 1.
        unsafe { SHA256_Init(&mut state) };
        state
    }

    #[inline]
    fn update(state: &mut SHA256_CTX, data: &[u8]) {
        // SAFETY: as for SHA-1: an initialised, exclusively borrowed state and `data.len()`
        // readable bytes; nothing is retained and the call always returns 1.
        unsafe { SHA256_Update(state, data.as_ptr().cast(), data.len()) };
    }

    #[inline]
    fn finish(state: &mut SHA256_CTX, out: &mut Output) {
        // SAFETY: an initialised SHA256_CTX, exclusively borrowed; SHA256_Final writes at most
        // SHA256_DIGEST_LENGTH = 32 = out.len() bytes to `out`, which does not overlap `state`
        // (exactly 32, since every state comes from `init`, which sets md_len = 32).
        unsafe { SHA256_Final(out.as_mut_ptr(), state) };
    }

    #[inline]
    fn compress(state: &mut SHA256_CTX, block: &[u8; BLOCK_LEN]) {
        // SAFETY: `state` is an initialised, exclusively borrowed SHA256_CTX; SHA256_Transform
        // reads exactly SHA256_CBLOCK = 64 bytes from `block` and updates `state.h` only.
        unsafe { SHA256_Transform(state, block.as_ptr()) };
    }

    #[inline]
    fn chaining_value(state: &SHA256_CTX, out: &mut Output) {
        for (o, h) in out.chunks_exact_mut(4).zip(&state.h) {
            o.copy_from_slice(&h.to_be_bytes());
        }
    }

    #[inline]
    fn wipe_chaining_value(state: &mut SHA256_CTX) {
        state.h.zeroize();
    }

    #[inline]
    fn wipe(state: &mut SHA256_CTX) {
        // SAFETY: `state` is exclusively borrowed and valid for writes of its whole size;
        // SHA256_CTX is integers only (no padding, no pointers), so all-zero bytes are valid.
        unsafe { OPENSSL_cleanse((state as *mut SHA256_CTX).cast(), std::mem::size_of::<SHA256_CTX>()) };
    }
}

/// Zeroes `bytes` with aws-lc's OPENSSL_cleanse (memset and a compiler barrier, so the stores are
/// not elided): much cheaper than `zeroize`'s byte-by-byte volatile stores for a block.
#[inline]
pub(crate) fn cleanse(bytes: &mut [u8]) {
    // SAFETY: `bytes` is exclusively borrowed and valid for writes of `bytes.len()` bytes, and
    // any byte value is a valid u8; OPENSSL_cleanse writes exactly that range.
    unsafe { OPENSSL_cleanse(bytes.as_mut_ptr().cast(), bytes.len()) };
}

/// An HMAC key prepared once: the hash states after absorbing K XOR ipad and K XOR opad.
pub(crate) struct HmacKey<H: Hash> {
    inner: H::State,
    outer: H::State,
}

impl<H: Hash> HmacKey<H> {
    /// Prepares `key` (any length; longer than the 64-byte block is hashed first, RFC 2104 §2).
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK_LEN];
        if key.len() > BLOCK_LEN {
            let mut digest: Output = [0; MAX_OUTPUT_LEN];
            let mut state = H::init();
            H::update(&mut state, key);
            H::finish(&mut state, &mut digest);
            H::wipe(&mut state);
            block[..H::OUTPUT_LEN].copy_from_slice(&digest[..H::OUTPUT_LEN]);
            cleanse(&mut digest);
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        for byte in &mut block {
            *byte ^= 0x36;
        }
        let mut inner = H::init();
        H::update(&mut inner, &block);
        for byte in &mut block {
            *byte ^= 0x36 ^ 0x5C;
        }
        let mut outer = H::init();
        H::update(&mut outer, &block);
        cleanse(&mut block);
        HmacKey { inner, outer }
    }

    /// Writes HMAC(key, head || tail[0] || tail[1] || ...) to `out[..H::OUTPUT_LEN]`.
    ///
    /// A message of at most 55 bytes (every PRF step of MIKEY-1 with a RAND of up to 16 bytes)
    /// and every outer hash are padded here and cost one compression each; longer messages go
    /// through the hash's update and final functions.
    ///
    /// Nothing key-dependent is left in the locals: the working state's buffered bytes are
    /// replaced by the outer state's (which has none), its chaining value (the tag) is wiped, and
    /// so are the block bytes that held the inner digest.
    #[inline]
    pub(crate) fn sign(&self, head: &[u8], tail: &[&[u8]], out: &mut Output) {
        let len = head.len() + tail.iter().map(|part| part.len()).sum::<usize>();
        let mut block = [0u8; BLOCK_LEN];
        let mut state = self.inner;
        if len <= ONE_BLOCK_MAX {
            let mut at = head.len();
            block[..at].copy_from_slice(head);
            for part in tail {
                block[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            Self::finish_block(&mut state, &mut block, len, out);
        } else {
            H::update(&mut state, head);
            for part in tail {
                H::update(&mut state, part);
            }
            H::finish(&mut state, out);
        }
        // Outer hash: H(K XOR opad || inner digest), always a single padded block.
        block[..H::OUTPUT_LEN].copy_from_slice(&out[..H::OUTPUT_LEN]);
        block[H::OUTPUT_LEN..].fill(0);
        state = self.outer;
        Self::finish_block(&mut state, &mut block, H::OUTPUT_LEN, out);
        H::wipe_chaining_value(&mut state);
        block[..H::OUTPUT_LEN].zeroize();
    }

    /// Finishes a hash whose state has absorbed exactly one block (a pad) and whose remaining
    /// `len <= 55` message bytes are at the start of `block`, the rest zero: appends 0x80 and the
    /// bit length of 64 + `len` bytes (FIPS 180-4 §5.1.1), compresses, writes the digest.
    #[inline]
    fn finish_block(state: &mut H::State, block: &mut [u8; BLOCK_LEN], len: usize, out: &mut Output) {
        block[len] = 0x80;
        let bits = (BLOCK_LEN + len) as u64 * 8;
        block[BLOCK_LEN - 8..].copy_from_slice(&bits.to_be_bytes());
        H::compress(state, block);
        H::chaining_value(state, out);
    }
}

impl<H: Hash> Drop for HmacKey<H> {
    fn drop(&mut self) {
        H::wipe(&mut self.inner);
        H::wipe(&mut self.outer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;

    fn ours<H: Hash>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut out = [0u8; MAX_OUTPUT_LEN];
        HmacKey::<H>::new(key).sign(&[], parts, &mut out);
        out[..H::OUTPUT_LEN].to_vec()
    }

    fn ours_head<H: Hash>(key: &[u8], head: &[u8], tail: &[&[u8]]) -> Vec<u8> {
        let mut out = [0u8; MAX_OUTPUT_LEN];
        HmacKey::<H>::new(key).sign(head, tail, &mut out);
        out[..H::OUTPUT_LEN].to_vec()
    }

    #[test]
    fn matches_aws_lc_rs_hmac_for_all_key_and_message_lengths() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 131 + 7) as u8).collect();
        for key_len in [0usize, 1, 16, 20, 32, 63, 64, 65, 100, 200] {
            let key = &bytes[..key_len];
            for msg_len in (0..=130).chain([183, 184, 300]) {
                let msg = &bytes[bytes.len() - msg_len..];
                let split = msg_len / 3;
                let sha1 = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key), msg);
                assert_eq!(ours::<Sha1>(key, &[msg]), sha1.as_ref(), "SHA-1 key {key_len} msg {msg_len}");
                assert_eq!(ours::<Sha1>(key, &[&msg[..split], &[], &msg[split..]]), sha1.as_ref());
                assert_eq!(ours_head::<Sha1>(key, &msg[..split], &[&msg[split..]]), sha1.as_ref());
                assert_eq!(ours_head::<Sha1>(key, msg, &[]), sha1.as_ref());
                let sha256 = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg);
                assert_eq!(ours::<Sha256>(key, &[msg]), sha256.as_ref(), "SHA-256 key {key_len} msg {msg_len}");
                assert_eq!(ours::<Sha256>(key, &[&msg[..split], &msg[split..]]), sha256.as_ref());
                assert_eq!(ours_head::<Sha256>(key, &msg[..split], &[&[], &msg[split..]]), sha256.as_ref());
            }
        }
    }

    #[test]
    fn rfc2202_and_rfc4231_vectors() {
        // RFC 2202 §3 test case 2 (HMAC-SHA-1) and RFC 4231 §4.3 test case 2 (HMAC-SHA-256).
        let data: &[u8] = b"what do ya want for nothing?";
        assert_eq!(
            ours::<Sha1>(b"Jefe", &[data]),
            [
                0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25,
                0x9a, 0x7c, 0x79
            ]
        );
        assert_eq!(
            ours::<Sha256>(b"Jefe", &[data]),
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a,
                0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43
            ]
        );
    }

    #[test]
    fn wipe_clears_every_field() {
        let mut s = Sha1::init();
        Sha1::update(&mut s, b"abc");
        Sha1::wipe(&mut s);
        assert_eq!(s, SHA_CTX { h: [0; 5], Nl: 0, Nh: 0, data: [0; 64], num: 0 });
        let mut s = Sha256::init();
        Sha256::update(&mut s, b"abc");
        Sha256::wipe(&mut s);
        assert_eq!(s, SHA256_CTX { h: [0; 8], Nl: 0, Nh: 0, data: [0; 64], num: 0, md_len: 0 });
    }
}
