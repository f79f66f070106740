//! Deterministic clock and randomness, and the test PKI, for the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mikey::clock::Clock;
use mikey::crypto::RandomSource;
use mikey::{Config, Method, Result};

/// 2026-01-01T00:00:00Z as NTP seconds.
pub const NTP_2026: u64 = 3_976_214_400;

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn at(seconds: u64) -> Arc<Self> {
        Arc::new(TestClock(AtomicU64::new(seconds << 32)))
    }

    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds << 32, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ntp(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A seeded xorshift generator: repeatable "randomness".
#[derive(Debug)]
pub struct TestRng(AtomicU64);

impl TestRng {
    pub fn seeded(seed: u64) -> Arc<Self> {
        Arc::new(TestRng(AtomicU64::new(seed | 1)))
    }
}

impl RandomSource for TestRng {
    fn fill(&self, out: &mut [u8]) -> Result<()> {
        for byte in out {
            let mut x = self.0.load(Ordering::SeqCst);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0.store(x, Ordering::SeqCst);
            *byte = (x >> 24) as u8;
        }
        Ok(())
    }
}

pub const PSK: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A config on the test clock and a seeded RNG.
pub fn config(method: Method, clock: &Arc<TestClock>, seed: u64) -> Config {
    let mut config = Config::with_sources(method, clock.clone(), TestRng::seeded(seed)).unwrap();
    if method.uses_psk() {
        config.set_psk(PSK).unwrap();
    }
    config
}

/// A file of the committed test PKI (tests/pki, remade by make-test-pki.sh).
pub fn pki(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pki").join(name)).unwrap()
}

/// A config of a certificate method for `who` (alice, bob or carol): its chain through the test
/// intermediate, its key, the test root as anchor, and `sip:{peer}@example.com` as peer identity.
pub fn signing_config(method: Method, who: &str, peer: &str, clock: &Arc<TestClock>, seed: u64) -> Config {
    let mut settings = config(method, clock, seed);
    let mut chain = pki(&format!("{who}.crt.pem"));
    chain.extend(pki("intermediate.crt.pem"));
    settings.set_certificate_chain(&chain).unwrap();
    settings.set_private_key(&pki(&format!("{who}.key.pem"))).unwrap();
    settings.add_trust_anchor(&pki("root.crt.pem")).unwrap();
    settings.set_identities(None, Some(&format!("sip:{peer}@example.com"))).unwrap();
    settings
}
