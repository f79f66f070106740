//! Diffie-Hellman over the OAKLEY MODP groups of RFC 3830 §4.2.7 and Table 6.4 (OAKLEY 5, the
//! mandatory group, and the optional OAKLEY 1 and 2), for DH-SIGN (§3.3) and DH-HMAC (RFC 4650).
//!
//! The generator is 2 in every group. Each prime p is a safe prime (q = (p-1)/2 is prime) and
//! p ≡ 7 (mod 8), so 2 is a quadratic residue and generates the subgroup of prime order q.
//!
//! Arithmetic is aws-lc's (`BN_mod_exp_mont_consttime`, called through aws-lc-sys): the time of
//! an exponentiation depends on the byte lengths of the exponent and modulus, not on the
//! exponent's value. Every aws-lc object is owned by a small RAII wrapper, so nothing leaks on an
//! error path, and every `BIGNUM` is freed with `BN_clear_free` (aws-lc's allocator overwrites
//! each allocation before releasing it); the private exponent itself lives in a [`SecretBytes`].

#![deny(clippy::undocumented_unsafe_blocks)]

use std::fmt;

use aws_lc_sys::BN_mod_exp_mont_consttime;

use crate::crypto::bn::{backend_failure, Bn, BnCtx, MontCtx};
use crate::crypto::const_hex::hex_to_bytes;
use crate::crypto::rng::RandomSource;
use crate::error::{Error, MikeyErrorCode, Result};
use crate::secret::SecretBytes;
use crate::wire::DhGroup;

// ---------------------------------------------------------------------------------------------
// Group parameters
// ---------------------------------------------------------------------------------------------

// The primes, big-endian hex, copied from tests/vectors/modp_groups_oakley_1_2_5.json
// (`groups[].prime`), whose sources are RFC 2412 Appendix E.5 (OAKLEY 5), E.1 (OAKLEY 1) and
// E.2 (OAKLEY 2). tests/crypto_dh.rs checks them against RFC 2412's hex words and decimal values,
// and (p-1)/2 against RFC 2412's "Group order largest prime factor".

/// OAKLEY 5: 2^1536 - 2^1472 - 1 + 2^64 * ([2^1406 pi] + 741804) (RFC 2412 App. E.5).
const OAKLEY5_PRIME_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
);

/// OAKLEY 1: 2^768 - 2^704 - 1 + 2^64 * ([2^638 pi] + 149686) (RFC 2412 App. E.1).
const OAKLEY1_PRIME_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF",
);

/// OAKLEY 2: 2^1024 - 2^960 - 1 + 2^64 * ([2^894 pi] + 129093) (RFC 2412 App. E.2).
const OAKLEY2_PRIME_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
);

static OAKLEY5_PRIME: [u8; 192] = hex_to_bytes(OAKLEY5_PRIME_HEX);
static OAKLEY1_PRIME: [u8; 96] = hex_to_bytes(OAKLEY1_PRIME_HEX);
static OAKLEY2_PRIME: [u8; 128] = hex_to_bytes(OAKLEY2_PRIME_HEX);

// Compile-time facts the code below relies on: each prime is odd (so p-1 differs from p in the
// last byte only, and Montgomery arithmetic applies), has its top bit set (exactly value_len()
// significant bytes), and the private exponent is far shorter than p.
const _: () = {
    assert!(OAKLEY5_PRIME[191] & 1 == 1 && OAKLEY5_PRIME[0] & 0x80 != 0);
    assert!(OAKLEY1_PRIME[95] & 1 == 1 && OAKLEY1_PRIME[0] & 0x80 != 0);
    assert!(OAKLEY2_PRIME[127] & 1 == 1 && OAKLEY2_PRIME[0] & 0x80 != 0);
    assert!(EXPONENT_LEN < 96);
};

/// The generator of every OAKLEY MODP group.
const GENERATOR: [u8; 1] = [2];

/// Private exponent length in bytes: 256 bits for every group (see [`EXPONENT_BITS`]).
const EXPONENT_LEN: usize = 32;

/// How many exponents [`DhKeyPair::generate`] draws before deciding the random source is broken.
/// A working source needs a second draw with probability 2^-255.
const MAX_EXPONENT_DRAWS: usize = 16;

/// The prime p of an OAKLEY group (RFC 3830 Table 6.4), big-endian, exactly
/// [`DhGroup::value_len`] bytes.
pub fn prime(group: DhGroup) -> &'static [u8] {
    match group {
        DhGroup::Oakley5 => &OAKLEY5_PRIME,
        DhGroup::Oakley1 => &OAKLEY1_PRIME,
        DhGroup::Oakley2 => &OAKLEY2_PRIME,
    }
}

/// Length in bits of the private exponents [`DhKeyPair::generate`] draws: 256 for every group.
///
/// The rule (RFC 3526 §1, NIST SP 800-56A Rev. 3 §5.6.1.1.1) is at least twice the group's
/// security strength in bits of exponent entropy. The strengths are estimated at 66 bits for
/// OAKLEY 1 and 77 for OAKLEY 2 (RFC 2412 App. E "Strength of group") and at 90 to 120 bits for
/// OAKLEY 5 (RFC 3526 §8; RFC 2412 says 91), so 2 × 120 = 240 bits is the largest requirement and
/// 256 bits covers all three with margin. The best generic attack on a 256-bit exponent
/// (Pollard's lambda) costs about 2^128 operations, more than the number field sieve on any of
/// these primes. Short exponents are safe here because q = (p-1)/2 is prime (no small factors of
/// the group order for van Oorschot-Wiener to exploit), and every 256-bit exponent is below q, so
/// distinct exponents give distinct public values. A full-length exponent would make each
/// exponentiation about 2.7 (OAKLEY 1), 3.6 (OAKLEY 2) and 5.3 (OAKLEY 5) times slower
/// (measured) for no gain in security.
pub const EXPONENT_BITS: usize = EXPONENT_LEN * 8;

// ---------------------------------------------------------------------------------------------
// Key pair
// ---------------------------------------------------------------------------------------------

/// A DH key pair for one exchange; the private exponent is zeroized on drop; Debug redacted.
///
/// Use a fresh key pair per exchange (RFC 3830 §3.3: "xi MUST be randomly/pseudo-randomly and
/// secretly chosen"); the type is deliberately not `Clone`.
pub struct DhKeyPair {
    group: DhGroup,
    /// x, big-endian, [`EXPONENT_LEN`] bytes, 2 <= x < 2^256.
    private_exponent: SecretBytes,
    /// g^x mod p, big-endian, exactly `group.value_len()` bytes.
    public_value: Vec<u8>,
}

impl DhKeyPair {
    /// Random private exponent from `rng` (RandomSource), of at least 2×(security bits), and
    /// public value g^x mod p, g = 2, as exactly value_len() big-endian bytes.
    ///
    /// The exponent x is [`EXPONENT_BITS`] = 256 random bits (the reasoning is
    /// there). Candidates 0 and 1 are drawn again (NIST SP 800-56A Rev. 3 §5.6.1.1.4 "testing
    /// candidates"), so 1 < x < 2^256 < p - 1. A source that yields only such candidates
    /// 16 times in a row, or fails, gives an `ErrorKind::Crypto` error.
    pub fn generate(group: DhGroup, rng: &dyn RandomSource) -> Result<Self> {
        let mut private_exponent = SecretBytes::zeroed(EXPONENT_LEN);
        for _ in 0..MAX_EXPONENT_DRAWS {
            rng.fill(private_exponent.expose_mut())?;
            if at_least_two(private_exponent.expose()) {
                let mut public_value = vec![0u8; group.value_len()];
                mod_exp(group, &GENERATOR, private_exponent.expose(), &mut public_value)?;
                return Ok(DhKeyPair { group, private_exponent, public_value });
            }
        }
        Err(Error::crypto("the random source gave no usable DH exponent (only 0 and 1) in 16 draws"))
    }

    /// The group of this key pair.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// The public value g^x mod p, big-endian, exactly `group().value_len()` bytes (the DH-value
    /// field of the DH payload, RFC 3830 §6.4).
    pub fn public_value(&self) -> &[u8] {
        &self.public_value
    }

    /// The shared secret (peer^x mod p) as exactly value_len() bytes, leading zero bytes kept.
    ///
    /// This is the TGK of RFC 3830 §3.3, g^(xi*xr): the PRF of §4.1.2 takes it as its key, so its
    /// length must be the group's, whatever the value (a secret below 2^(8·(len-1)) still has
    /// len bytes, as the peer computes it).
    ///
    /// The peer value is validated first (NIST SP 800-56A Rev. 3 §5.6.2.3.2 partial public-key
    /// validation): it must be exactly value_len() bytes and 2 <= y <= p-2, which rejects 0, 1,
    /// p-1 (the elements of order 1 and 2) and anything >= p. A value that fails gives an
    /// `ErrorKind::Malformed` error with the peer code `MikeyErrorCode::InvalidDh`. Membership
    /// of the order-q subgroup is not tested (that would cost a full-length exponentiation);
    /// with a fresh exponent per exchange and authenticated DH values, a value outside it can
    /// reveal at most the parity of this one-time exponent.
    pub fn shared_secret(&self, peer_public: &[u8]) -> Result<SecretBytes> {
        check_peer_value(self.group, peer_public)?;
        let mut secret = SecretBytes::zeroed(self.group.value_len());
        mod_exp(self.group, peer_public, self.private_exponent.expose(), secret.expose_mut())?;
        // Cannot happen for a valid y and 2 <= x < 2^256 < q (y has order q or 2q), but a shared
        // secret of 1 must never be used (SP 800-56A §5.7.1.1).
        if !at_least_two(secret.expose()) {
            return Err(Error::crypto("DH shared secret is 1"));
        }
        Ok(secret)
    }
}

impl fmt::Debug for DhKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhKeyPair")
            .field("group", &self.group)
            .field("public_value_len", &self.public_value.len())
            .field("private_exponent", &format_args!("redacted"))
            .finish()
    }
}

/// True when the big-endian integer `bytes` is at least 2. Runs over every byte (the exponent
/// is secret; only the outcome, almost always true, is visible).
fn at_least_two(bytes: &[u8]) -> bool {
    let Some((last, head)) = bytes.split_last() else { return false };
    (head.iter().fold(0u8, |acc, &b| acc | b) | (last & !1)) != 0
}

/// Checks a peer's DH value: exactly `group.value_len()` bytes and 2 <= y <= p-2.
fn check_peer_value(group: DhGroup, y: &[u8]) -> Result<()> {
    let p = prime(group);
    if y.len() != p.len() {
        return Err(invalid_dh(format!("DH value of {} bytes; {group:?} values are {} bytes", y.len(), p.len())));
    }
    // Big-endian byte strings of equal length compare like the integers they encode.
    // p is odd (checked at compile time), so p-1 is p with its last byte decremented.
    let (&p_last, p_head) = p.split_last().unwrap_or((&1, &[]));
    let is_p_minus_1 = y.split_last().is_some_and(|(&last, head)| head == p_head && last == p_last - 1);
    if !at_least_two(y) || y >= p || is_p_minus_1 {
        return Err(invalid_dh(format!("DH value outside 2..=p-2 for {group:?}")));
    }
    Ok(())
}

/// A rejected peer DH value: malformed, reported to the peer as "DH group not supported"
/// (RFC 3830 §6.12, the only DH error code).
fn invalid_dh(context: String) -> Error {
    Error::malformed(context).with_peer_code(MikeyErrorCode::InvalidDh)
}

// ---------------------------------------------------------------------------------------------
// aws-lc BIGNUM wrappers
// ---------------------------------------------------------------------------------------------

/// Writes base^exponent mod p (p the group's prime) big-endian to all of `out`.
///
/// `base` must be below p (the callers pass 2 or a validated peer value; aws-lc rejects anything
/// else with an error). `exponent` is secret: the exponentiation is aws-lc's constant-time one,
/// whose running time depends on `exponent.len()` (the BIGNUM width), not on its value.
fn mod_exp(group: DhGroup, base: &[u8], exponent: &[u8], out: &mut [u8]) -> Result<()> {
    let modulus = Bn::from_be_bytes(prime(group))?;
    let base = Bn::from_be_bytes(base)?;
    let exponent = Bn::from_be_bytes(exponent)?;
    let mut ctx = BnCtx::new()?;
    let mont = MontCtx::new(&modulus, &mut ctx)?;
    let result = Bn::new()?;
    // SAFETY: all five objects are valid, owned by the wrappers above and alive for the call;
    // `result` is a distinct BIGNUM that only aws-lc writes to (through our exclusive ownership),
    // the inputs are only read, `ctx` is used by this call alone, and `mont` was built from
    // `modulus`, as BN_mod_exp_mont_consttime requires. The modulus is odd and the base is below
    // it; otherwise the function returns 0 without touching memory it was not given. No pointer
    // is retained after the call.
    let ok = unsafe {
        BN_mod_exp_mont_consttime(
            result.0.as_ptr(),
            base.as_ptr(),
            exponent.as_ptr(),
            modulus.as_ptr(),
            ctx.0.as_ptr(),
            mont.0.as_ptr(),
        )
    };
    if ok != 1 {
        return Err(backend_failure("BN_mod_exp_mont_consttime failed"));
    }
    result.write_be_padded(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (p-1)/2, big-endian, by a one-bit right shift of p-1 (p odd: p-1 is p with bit 0 cleared).
    fn q_of(group: DhGroup) -> Vec<u8> {
        let mut p_minus_1 = prime(group).to_vec();
        *p_minus_1.last_mut().unwrap() &= !1;
        let mut q = vec![0u8; p_minus_1.len()];
        let mut carry = 0u8;
        for (out, byte) in q.iter_mut().zip(&p_minus_1) {
            *out = (byte >> 1) | carry;
            carry = byte << 7;
        }
        q
    }

    const GROUPS: [DhGroup; 3] = [DhGroup::Oakley5, DhGroup::Oakley1, DhGroup::Oakley2];

    #[test]
    fn compile_time_hex_decoding() {
        assert_eq!(OAKLEY1_PRIME[..8], [0xFF; 8]);
        assert_eq!(OAKLEY1_PRIME[8..12], [0xC9, 0x0F, 0xDA, 0xA2]);
        assert_eq!(OAKLEY5_PRIME[184..], [0xFF; 8]);
    }

    #[test]
    fn generator_two_has_order_q() {
        // 2^q mod p = 1 (2 is a quadratic residue: p ≡ 7 mod 8) and 2^1 != 1, so 2 generates the
        // subgroup of prime order q, which holds every public value.
        for group in GROUPS {
            assert_eq!(prime(group)[group.value_len() - 1] & 7, 7);
            let mut out = vec![0u8; group.value_len()];
            mod_exp(group, &GENERATOR, &q_of(group), &mut out).unwrap();
            let mut one = vec![0u8; group.value_len()];
            *one.last_mut().unwrap() = 1;
            assert_eq!(out, one, "{group:?}");
            // Fermat: 3^(p-1) = 1 for the prime p (a witness that p is at least a probable prime).
            let mut p_minus_1 = prime(group).to_vec();
            *p_minus_1.last_mut().unwrap() -= 1;
            mod_exp(group, &[3], &p_minus_1, &mut out).unwrap();
            assert_eq!(out, one, "{group:?}");
        }
    }

    #[test]
    fn at_least_two_boundaries() {
        assert!(!at_least_two(&[]));
        assert!(!at_least_two(&[0]));
        assert!(!at_least_two(&[1]));
        assert!(!at_least_two(&[0, 0, 1]));
        assert!(at_least_two(&[2]));
        assert!(at_least_two(&[0, 0, 2]));
        assert!(at_least_two(&[1, 0, 0]));
        assert!(at_least_two(&[0, 1, 1]));
    }

    #[test]
    fn peer_value_boundaries() {
        for group in GROUPS {
            let p = prime(group);
            let n = p.len();
            let mut y = vec![0u8; n];
            let rejects = |y: &[u8]| {
                let err = check_peer_value(group, y).unwrap_err();
                assert_eq!(err.peer_code(), Some(MikeyErrorCode::InvalidDh));
            };
            rejects(&y); // 0
            y[n - 1] = 1;
            rejects(&y); // 1
            y[n - 1] = 2;
            check_peer_value(group, &y).unwrap(); // 2
            let mut y = p.to_vec();
            rejects(&y); // p
            y[n - 1] -= 1;
            rejects(&y); // p-1
            y[n - 1] -= 1;
            check_peer_value(group, &y).unwrap(); // p-2
            rejects(&vec![0xFF; n]);
            rejects(&p[1..]);
            rejects(&[]);
        }
    }

    #[test]
    fn mod_exp_rejects_unreduced_base_without_panicking() {
        let group = DhGroup::Oakley1;
        let mut out = vec![0u8; group.value_len()];
        let err = mod_exp(group, prime(group), &[5], &mut out).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::Crypto);
        // Later calls are unaffected.
        mod_exp(group, &GENERATOR, &[5], &mut out).unwrap();
        assert_eq!(out[group.value_len() - 1], 32);
    }

    #[test]
    fn exponent_is_shorter_than_q_and_long_enough() {
        for group in GROUPS {
            // 2 x the highest strength estimate for the group (RFC 2412 App. E, RFC 3526 §8).
            let strength = match group {
                DhGroup::Oakley1 => 66,
                DhGroup::Oakley2 => 77,
                DhGroup::Oakley5 => 120,
            };
            assert!(EXPONENT_BITS >= 2 * strength);
            assert!(EXPONENT_BITS < 8 * group.value_len() - 1);
        }
    }
}
