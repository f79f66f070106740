//! The MIKEY pseudo-random function (RFC 3830 §4.1.2; PRF-HMAC-SHA-256 of RFC 6043 §6.1).

use aws_lc_rs::hmac;

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
}

impl PrfFunction {
    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            PrfFunction::MikeyHmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            PrfFunction::HmacSha256 => hmac::HMAC_SHA256,
        }
    }
}

/// Fills `out` (any length, including 0) with PRF(inkey, label) (RFC 3830 §4.1.2).
///
/// The inkey is split into n = ceil(inkey_bits/256) chunks of 32 bytes (only the last may be
/// shorter; a key whose length is a multiple of 32 gives only full chunks), m = ceil(outkey_bits /
/// hash_bits), and the result is the XOR of P(s_i, label, m), truncated to `out.len()`.
/// For [`PrfFunction::HmacSha256`] the hash is SHA-256 and "160" becomes "256" (RFC 6043 §6.1).
///
/// An empty `inkey` is treated as a single empty chunk (the RFC leaves n = 0 undefined); callers
/// must reject empty keys themselves.
pub fn prf(function: PrfFunction, inkey: &[u8], label: &[u8], out: &mut [u8]) {
    out.fill(0);
    if out.is_empty() {
        return;
    }
    let algorithm = function.hmac_algorithm();
    if inkey.is_empty() {
        xor_p(algorithm, &[], label, out);
    } else {
        for s in inkey.chunks(INKEY_CHUNK_LEN) {
            xor_p(algorithm, s, label, out);
        }
    }
}

/// XORs P(s, label, m) into `out`, with m = ceil(out.len() / hash_len) (RFC 3830 §4.1.2):
/// P = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label), A_0 = label,
/// A_i = HMAC(s, A_(i-1)).
fn xor_p(algorithm: hmac::Algorithm, s: &[u8], label: &[u8], out: &mut [u8]) {
    let key = hmac::Key::new(algorithm, s);
    let block_len = algorithm.digest_algorithm().output_len();
    let mut a = hmac::sign(&key, label); // A_1
    let mut blocks = out.chunks_mut(block_len).peekable();
    while let Some(block) = blocks.next() {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        let t = ctx.sign();
        for (o, x) in block.iter_mut().zip(t.as_ref()) {
            *o ^= x;
        }
        if blocks.peek().is_some() {
            a = hmac::sign(&key, a.as_ref()); // A_(i+1)
        }
    }
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
        prf(PrfFunction::MikeyHmacSha1, &[1; 16], b"label", &mut out);
    }

    #[test]
    fn single_chunk_single_block_is_p() {
        let key = [0x11u8; 16];
        let label = b"some label";
        let mut out = [0u8; 20];
        prf(PrfFunction::MikeyHmacSha1, &key, label, &mut out);
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
            prf(function, &key, &label, &mut out);
            assert_eq!(out, want);

            // The minisip variant (a third, empty chunk) must differ.
            let p3 = reference_p(alg, &[], &label, m);
            let wrong: Vec<u8> = want.iter().zip(&p3).map(|(x, y)| x ^ y).collect();
            assert_ne!(out, wrong);
        }
    }

    #[test]
    fn short_last_chunk() {
        let key: Vec<u8> = (0u8..40).collect();
        let label = b"L";
        let mut out = [0u8; 25];
        prf(PrfFunction::MikeyHmacSha1, &key, label, &mut out);
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
        prf(PrfFunction::HmacSha256, &key, b"x", &mut long);
        prf(PrfFunction::HmacSha256, &key, b"x", &mut short);
        assert_eq!(&long[..13], &short[..]);
    }

    #[test]
    fn streamwide_encr_key_vector() {
        // mikey_kdf_crosscheck_streamwide.json, case "encr_and_salt, cs_id 4": key_label / key.
        let mut out = [0u8; 16];
        prf(
            PrfFunction::HmacSha256,
            &hex("A27B7D578EEB9B1EE7705E385996D300"),
            &hex("15798CEF0405A85C164339F62F55AAC86348846A482C893802"),
            &mut out,
        );
        assert_eq!(out.to_vec(), hex("3924935940C154CCBC3C2AD05C8F5181"));
    }

    #[test]
    fn output_buffer_is_overwritten() {
        let mut a = [0u8; 20];
        let mut b = [0xFFu8; 20];
        prf(PrfFunction::MikeyHmacSha1, &[3; 16], b"l", &mut a);
        prf(PrfFunction::MikeyHmacSha1, &[3; 16], b"l", &mut b);
        assert_eq!(a, b);
    }
}
