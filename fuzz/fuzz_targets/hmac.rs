//! Differential: the hand-written HMAC behind `MacKey` and `PrfKey` (pad states computed once,
//! `src/crypto/sha_hmac.rs`) against aws-lc-rs's own HMAC, for any key and data.
//!
//! The input is split at its first byte (a length) into a key and data. Asserts:
//! * `MacKey` (HMAC-SHA-1-160) tags exactly as `aws_lc_rs::hmac` with SHA-1;
//! * `PrfKey` with PRF-HMAC-SHA-256 and a key of at most 32 bytes (one chunk) gives, for an
//!   output of 32 bytes, HMAC-SHA-256(key, A_1 || label) with A_1 = HMAC-SHA-256(key, label)
//!   (RFC 3830 §4.1.2, RFC 6043 §6.1), computed with aws-lc-rs;
//! * `MacKey::verify` accepts its own tag and refuses a changed one.
#![no_main]

use aws_lc_rs::hmac;
use libfuzzer_sys::fuzz_target;
use mikey::crypto::{MacAlgorithm, MacKey, PrfFunction, PrfKey};

fuzz_target!(|input: &[u8]| {
    let Some((&split, rest)) = input.split_first() else {
        return;
    };
    let (key, data) = rest.split_at(usize::from(split).min(rest.len()));

    let ours = MacKey::new(MacAlgorithm::HmacSha1_160, key).sign(data);
    let theirs = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key), data);
    assert_eq!(ours.as_slice(), theirs.as_ref(), "HMAC-SHA-1");
    let mac = MacKey::new(MacAlgorithm::HmacSha1_160, key);
    assert!(mac.verify(data, ours.as_slice()).is_ok());
    let mut changed = ours.as_slice().to_vec();
    let at = usize::from(split) % changed.len();
    changed[at] ^= 1;
    assert!(mac.verify(data, &changed).is_err());

    if key.len() <= 32 {
        let mut prf = [0u8; 32];
        PrfKey::new(PrfFunction::HmacSha256, key).derive(data, &mut prf);
        let sha256 = hmac::Key::new(hmac::HMAC_SHA256, key);
        let a1 = hmac::sign(&sha256, data);
        let mut context = hmac::Context::with_key(&sha256);
        context.update(a1.as_ref());
        context.update(data);
        assert_eq!(prf, context.sign().as_ref(), "PRF-HMAC-SHA-256, one chunk, one block");
    }
});
