//! Deterministic clock and randomness for the integration tests.
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
