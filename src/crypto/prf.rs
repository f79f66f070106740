//! The MIKEY pseudo-random function (RFC 3830 §4.1.2; PRF-HMAC-SHA-256 of RFC 6043 §6.1).

use std::fmt;

use zeroize::Zeroize;

use super::sha_hmac::{Hash, HmacKey, Output, Sha1, Sha256, MAX_OUTPUT_LEN};

/// Size of one inkey chunk `s_i` in bytes (the "256" of RFC 3830 §4.1.2; RFC 6043 §6.1
/// keeps it and only replaces "160" by "256").
const INKEY_CHUNK_LEN: usize = 32;

/// MIKEY PRF selection (RFC 3830 §6.1 "PRF func" field: 0 = MIKEY-1 (HMAC-SHA-1 P-function),
/// 1 = PRF-HMAC-SHA-256 (RFC 6043 §6.1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrfFunction {
    /// MIKEY-1, the default PRF of RFC 3830 §4.1.2 (HMAC-SHA-1, 160-bit output blocks).
    MikeyHmacSha1,
    /// PRF-HMAC-SHA-256 (RFC 6043 §6.1): HMAC-SHA-256, 256-bit output blocks.
    HmacSha256,
    /// MIKEY-1 as minisip's libmikey computes it, for the minisip interop switch only: it gives
    /// the last inkey chunk the length inkey_len mod 32, so an inkey whose length is a multiple
    /// of 32 bytes has its last 32 bytes replaced by an empty HMAC key. Not RFC 3830 §4.1.2.
    MinisipHmacSha1,
}

/// A PRF inkey prepared once (its 32-byte chunks keyed), for several derivations (RFC 3830 §4.1.2).
///
/// [`PrfKey::derive`] fills its output with PRF(inkey, label): the inkey is split into
/// n = ceil(inkey_bits/256) chunks of 32 bytes (only the last may be shorter; a key whose length
/// is a multiple of 32 gives only full chunks), m = ceil(outkey_bits / hash_bits), and the
/// result is the XOR of P(s_i, label, m), truncated to the output length. For
/// [`PrfFunction::HmacSha256`] the hash is SHA-256 and "160" becomes "256" (RFC 6043 §6.1).
///
/// An empty inkey is treated as a single empty chunk (the RFC leaves n = 0 undefined); callers
/// must reject empty keys themselves.
///
/// The HMAC key setup of every chunk s_i is done once, in [`PrfKey::new`]. An inkey of at most
/// 32 bytes (one chunk) needs no heap allocation. Everything key-dependent is zeroized on drop,
/// and `Debug` shows only the PRF.
pub struct PrfKey {
    function: PrfFunction,
    chunks: Chunks,
}

/// The prepared chunks, for the hash of the PRF.
enum Chunks {
    Sha1(ChunkKeys<Sha1>),
    Sha256(ChunkKeys<Sha256>),
}

/// HMAC keys for s_1 (inline) and s_2 .. s_n (empty, so unallocated, for a one-chunk inkey).
struct ChunkKeys<H: Hash> {
    first: HmacKey<H>,
    rest: Vec<HmacKey<H>>,
}

impl<H: Hash> ChunkKeys<H> {
    /// The chunks of `inkey`; `minisip` empties a full last chunk ([`PrfFunction::MinisipHmacSha1`]).
    fn new(inkey: &[u8], minisip: bool) -> Self {
        let chunk_count = inkey.len().div_ceil(INKEY_CHUNK_LEN).max(1);
        let emptied_last = minisip && inkey.len().is_multiple_of(INKEY_CHUNK_LEN);
        let mut chunks = inkey.chunks(INKEY_CHUNK_LEN).enumerate().map(|(index, chunk)| {
            let emptied = emptied_last && index + 1 == chunk_count;
            HmacKey::new(if emptied { &[] } else { chunk })
        });
        // An empty inkey is one empty chunk (see `PrfKey`).
        let first = chunks.next().unwrap_or_else(|| HmacKey::new(&[]));
        ChunkKeys { first, rest: chunks.collect() }
    }

    /// out = P(s_1, label, m) XOR ... XOR P(s_n, label, m), truncated.
    fn derive(&self, label: &[&[u8]], out: &mut [u8]) {
        out.fill(0);
        xor_p(&self.first, label, out);
        for key in &self.rest {
            xor_p(key, label, out);
        }
    }
}

impl PrfFunction {
    /// The PRF a "PRF func" code names as the RFCs define it (RFC 3830 §6.1, RFC 6043 §6.1): 0
    /// MIKEY-1, 1 PRF-HMAC-SHA-256; `None` for any other.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(PrfFunction::MikeyHmacSha1),
            1 => Some(PrfFunction::HmacSha256),
            _ => None,
        }
    }

    /// The "PRF func" code of this PRF (minisip's form of MIKEY-1 is MIKEY-1 on the wire).
    pub fn code(self) -> u8 {
        match self {
            PrfFunction::MikeyHmacSha1 | PrfFunction::MinisipHmacSha1 => 0,
            PrfFunction::HmacSha256 => 1,
        }
    }
}

impl PrfKey {
    /// Prepares `inkey` (any length; empty is one empty chunk) for `function`.
    pub fn new(function: PrfFunction, inkey: &[u8]) -> Self {
        // The CPU feature detection aws-lc's SHA code dispatches on (normally done already).
        aws_lc_rs::init();
        let chunks = match function {
            PrfFunction::MikeyHmacSha1 => Chunks::Sha1(ChunkKeys::new(inkey, false)),
            PrfFunction::MinisipHmacSha1 => Chunks::Sha1(ChunkKeys::new(inkey, true)),
            PrfFunction::HmacSha256 => Chunks::Sha256(ChunkKeys::new(inkey, false)),
        };
        PrfKey { function, chunks }
    }

    /// The PRF this key was prepared for.
    pub fn function(&self) -> PrfFunction {
        self.function
    }

    /// Fills `out` (any length, including 0) with PRF(inkey, label) (RFC 3830 §4.1.2).
    pub fn derive(&self, label: &[u8], out: &mut [u8]) {
        self.derive_parts(&[label], out);
    }

    /// [`PrfKey::derive`] with the label given as consecutive parts (label = parts[0] || ...),
    /// so callers need not concatenate it.
    pub(crate) fn derive_parts(&self, label: &[&[u8]], out: &mut [u8]) {
        if out.is_empty() {
            return;
        }
        match &self.chunks {
            Chunks::Sha1(keys) => keys.derive(label, out),
            Chunks::Sha256(keys) => keys.derive(label, out),
        }
    }
}

impl fmt::Debug for PrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrfKey").field("function", &self.function).finish_non_exhaustive()
    }
}

/// XORs P(s, label, m) into `out`, with m = ceil(out.len() / hash_len) (RFC 3830 §4.1.2):
/// P = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label), A_0 = label,
/// A_i = HMAC(s, A_(i-1)). `label` is the concatenation of its parts.
fn xor_p<H: Hash>(key: &HmacKey<H>, label: &[&[u8]], out: &mut [u8]) {
    let mut a: Output = [0; MAX_OUTPUT_LEN];
    let mut t: Output = [0; MAX_OUTPUT_LEN];
    key.sign(&[], label, &mut a); // A_1
    let mut blocks = out.chunks_mut(H::OUTPUT_LEN).peekable();
    while let Some(block) = blocks.next() {
        key.sign(&a[..H::OUTPUT_LEN], label, &mut t); // HMAC(s, A_i || label)
        for (o, x) in block.iter_mut().zip(&t) {
            *o ^= x;
        }
        if blocks.peek().is_some() {
            key.sign(&a[..H::OUTPUT_LEN], &[], &mut t); // A_(i+1)
            std::mem::swap(&mut a, &mut t);
        }
    }
    a[..H::OUTPUT_LEN].zeroize();
    t[..H::OUTPUT_LEN].zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Reference P(s, label, m) written out literally, independent of `xor_p`.
    fn reference_p(alg: hmac::Algorithm, s: &[u8], label: &[u8], m: usize) -> Vec<u8> {
        let key = hmac::Key::new(alg, s);
        let mut a = label.to_vec();
        let mut out = Vec::new();
        for _ in 0..m {
            a = hmac::sign(&key, &a).as_ref().to_vec();
            let mut input = a.clone();
            input.extend_from_slice(label);
            out.extend_from_slice(hmac::sign(&key, &input).as_ref());
        }
        out
    }

    #[test]
    fn empty_output_is_allowed() {
        let mut out = [];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &[1; 16]).derive(b"label", &mut out);
    }

    #[test]
    fn single_chunk_single_block_is_p() {
        let key = [0x11u8; 16];
        let label = b"some label";
        let mut out = [0u8; 20];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &key).derive(label, &mut out);
        let want = reference_p(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key, label, 1);
        assert_eq!(out.to_vec(), want);
    }

    #[test]
    fn inkey_of_64_bytes_uses_two_full_chunks() {
        let key: Vec<u8> = (0u8..64).collect();
        let label = hex("2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
        for (function, alg, len) in [
            (PrfFunction::MikeyHmacSha1, hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, 46usize),
            (PrfFunction::HmacSha256, hmac::HMAC_SHA256, 46usize),
        ] {
            let block = alg.digest_algorithm().output_len();
            let m = len.div_ceil(block);
            let p1 = reference_p(alg, &key[..32], &label, m);
            let p2 = reference_p(alg, &key[32..], &label, m);
            let want: Vec<u8> = p1.iter().zip(&p2).map(|(x, y)| x ^ y).take(len).collect();
            let mut out = vec![0u8; len];
            PrfKey::new(function, &key).derive(&label, &mut out);
            assert_eq!(out, want);

            // minisip's variant empties the last full chunk (SHA-1 only).
            if function == PrfFunction::MikeyHmacSha1 {
                let p_empty = reference_p(alg, &[], &label, m);
                let minisip: Vec<u8> = p1.iter().zip(&p_empty).map(|(x, y)| x ^ y).take(len).collect();
                let mut got = vec![0u8; len];
                PrfKey::new(PrfFunction::MinisipHmacSha1, &key).derive(&label, &mut got);
                assert_eq!(got, minisip);
                assert_ne!(got, out);
                // Any other length is the RFC's.
                PrfKey::new(PrfFunction::MinisipHmacSha1, &key[..40]).derive(&label, &mut got);
                PrfKey::new(PrfFunction::MikeyHmacSha1, &key[..40]).derive(&label, &mut out);
                assert_eq!(got, out);
            }
        }
    }

    #[test]
    fn short_last_chunk() {
        let key: Vec<u8> = (0u8..40).collect();
        let label = b"L";
        let mut out = [0u8; 25];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &key).derive(label, &mut out);
        let alg = hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY;
        let p1 = reference_p(alg, &key[..32], label, 2);
        let p2 = reference_p(alg, &key[32..], label, 2);
        let want: Vec<u8> = p1.iter().zip(&p2).map(|(x, y)| x ^ y).take(25).collect();
        assert_eq!(out.to_vec(), want);
    }

    #[test]
    fn output_prefix_is_stable() {
        // Truncation takes the most significant bits: a shorter output is a prefix of a longer one.
        let key = [7u8; 16];
        let mut long = [0u8; 60];
        let mut short = [0u8; 13];
        PrfKey::new(PrfFunction::HmacSha256, &key).derive(b"x", &mut long);
        PrfKey::new(PrfFunction::HmacSha256, &key).derive(b"x", &mut short);
        assert_eq!(&long[..13], &short[..]);
    }

    #[test]
    fn streamwide_encr_key_vector() {
        // mikey_kdf_crosscheck_streamwide.json, case "encr_and_salt, cs_id 4": key_label / key.
        let mut out = [0u8; 16];
        PrfKey::new(PrfFunction::HmacSha256, &hex("A27B7D578EEB9B1EE7705E385996D300"))
            .derive(&hex("15798CEF0405A85C164339F62F55AAC86348846A482C893802"), &mut out);
        assert_eq!(out.to_vec(), hex("3924935940C154CCBC3C2AD05C8F5181"));
    }

    #[test]
    fn output_buffer_is_overwritten() {
        let mut a = [0u8; 20];
        let mut b = [0xFFu8; 20];
        PrfKey::new(PrfFunction::MikeyHmacSha1, &[3; 16]).derive(b"l", &mut a);
        PrfKey::new(PrfFunction::MikeyHmacSha1, &[3; 16]).derive(b"l", &mut b);
        assert_eq!(a, b);
    }
}
