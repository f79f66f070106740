//! Deterministic clock and randomness, and the test PKI, for the integration tests and the
//! benchmarks.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mikey::clock::Clock;
use mikey::crypto::RandomSource;
use mikey::wire::DhGroup;
use mikey::{Config, Error, Method, Result};

/// 2026-01-01T00:00:00Z as NTP seconds.
pub const NTP_2026: u64 = 3_976_214_400;

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn at(seconds: u64) -> Arc<Self> {
        Arc::new(TestClock(AtomicU64::new(seconds << 32)))
    }

    /// A clock at a 64-bit NTP time, fraction included.
    pub fn at_ntp(ntp: u64) -> Arc<Self> {
        Arc::new(TestClock(AtomicU64::new(ntp)))
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

/// Gives `config` the test PKI identity of `who` (alice, bob or carol): its chain through the
/// test intermediate, its key, the test root as anchor, and `sip:{peer}@example.com` as peer
/// identity.
pub fn set_test_identity(config: &mut Config, who: &str, peer: &str) {
    let mut chain = pki(&format!("{who}.crt.pem"));
    chain.extend(pki("intermediate.crt.pem"));
    config.set_certificate_chain(&chain).unwrap();
    config.set_private_key(&pki(&format!("{who}.key.pem"))).unwrap();
    config.add_trust_anchor(&pki("root.crt.pem")).unwrap();
    config.set_identities(None, Some(&format!("sip:{peer}@example.com"))).unwrap();
}

/// A config of a certificate method for `who`, on the test clock and a seeded RNG, with the test
/// PKI identity of [`set_test_identity`].
pub fn signing_config(method: Method, who: &str, peer: &str, clock: &Arc<TestClock>, seed: u64) -> Config {
    let mut settings = config(method, clock, seed);
    set_test_identity(&mut settings, who, peer);
    settings
}

/// xorshift64* (Vigna): small, fast and good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Applies one to three random mutations to a copy of `seed`.
pub fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = data.len();
        match rng.below(10) {
            // Flip one bit.
            0 | 1 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            // Set a byte to 0x00, 0xFF, a small boundary value or a random value.
            2 if len > 0 => {
                let at = rng.below(len);
                data[at] = 0x00;
            }
            3 if len > 0 => {
                let at = rng.below(len);
                data[at] = 0xFF;
            }
            4 if len > 0 => {
                let at = rng.below(len);
                data[at] = if rng.below(2) == 0 { rng.byte() } else { [1, 0x7F, 0x80, 0xFE][rng.below(4)] };
            }
            // Truncate.
            5 if len > 0 => data.truncate(rng.below(len)),
            // Insert 1..=8 random bytes.
            6 => {
                let at = rng.below(len + 1);
                let count = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..count).map(|_| rng.byte()).collect();
                data.splice(at..at, bytes);
            }
            // Duplicate a range somewhere else.
            7 if len > 0 => {
                let start = rng.below(len);
                let end = start + 1 + rng.below((len - start).min(32));
                let copy = data[start..end].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, copy);
            }
            // Delete a range.
            8 if len > 0 => {
                let start = rng.below(len);
                let end = start + 1 + rng.below((len - start).min(16));
                data.drain(start..end);
            }
            // Append one byte (exercises the padding option).
            _ => data.push(rng.byte()),
        }
    }
    data
}

/// An initiator's and a responder's config for an exchange of `method` (alice and bob; the DH
/// methods in OAKLEY 1, which is fast).
pub fn exchange_configs(method: Method, clock: &Arc<TestClock>) -> (Config, Config) {
    match method {
        Method::Psk | Method::Null => (config(method, clock, 1), config(method, clock, 2)),
        Method::DhHmac => {
            let (mut initiator, mut responder) = (config(method, clock, 1), config(method, clock, 2));
            initiator.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
            initiator.set_dh_group(DhGroup::Oakley1).unwrap();
            responder.set_identities(Some("sip:bob@example.com"), Some("sip:alice@example.com")).unwrap();
            // OAKLEY 1 (fast) is below the default minimum: both sides allow it here.
            initiator.set_min_dh_group(DhGroup::Oakley1).unwrap();
            responder.set_min_dh_group(DhGroup::Oakley1).unwrap();
            (initiator, responder)
        }
        _ => {
            let mut initiator = signing_config(method, "alice", "bob", clock, 1);
            initiator.set_peer_certificate(&pki("bob.crt.pem")).unwrap();
            initiator.set_dh_group(DhGroup::Oakley1).unwrap();
            initiator.set_min_dh_group(DhGroup::Oakley1).unwrap();
            let mut responder = signing_config(method, "bob", "alice", clock, 2);
            responder.set_min_dh_group(DhGroup::Oakley1).unwrap();
            (initiator, responder)
        }
    }
}

/// Hands out the given byte strings, one per `fill` (which must ask for exactly that length),
/// then fails: fixes what a key generation or signature draws.
pub struct Scripted(Mutex<VecDeque<Vec<u8>>>);

impl Scripted {
    pub fn new(draws: &[&[u8]]) -> Self {
        Scripted(Mutex::new(draws.iter().map(|draw| draw.to_vec()).collect()))
    }

    /// How many draws are left.
    pub fn remaining(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

impl RandomSource for Scripted {
    fn fill(&self, out: &mut [u8]) -> Result<()> {
        let draw = self.0.lock().unwrap().pop_front().ok_or_else(|| Error::crypto("script exhausted"))?;
        assert_eq!(draw.len(), out.len(), "scripted draw of the wrong length");
        out.copy_from_slice(&draw);
        Ok(())
    }
}

/// Always fills with zeros: a broken source (never a usable scalar or exponent).
pub struct Zeros;

impl RandomSource for Zeros {
    fn fill(&self, out: &mut [u8]) -> Result<()> {
        out.fill(0);
        Ok(())
    }
}

/// Hex text as bytes.
pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// tests/vectors/mikey_sakke_streamwide_e2e.json: four real MIKEY-SAKKE I_MESSAGEs from
/// Streamwide's sw_mikey_sakke, with their KMS, users and expected keys.
pub fn streamwide_vectors() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mikey_sakke_streamwide_e2e.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The hex field `key` of a vector object, as bytes.
pub fn hex_field(value: &serde_json::Value, key: &str) -> Vec<u8> {
    unhex(value[key].as_str().unwrap_or_else(|| panic!("{key}")))
}

/// The KMS community of the Streamwide vectors.
pub fn streamwide_community(vectors: &serde_json::Value) -> mikey::mcptt::KmsCommunity {
    let kms = &vectors["kms"];
    let period = kms["user_key_period_s"].as_u64().unwrap();
    let offset = kms["user_key_offset_s"].as_u64().unwrap();
    let (z, kpak) = (hex_field(kms, "Z_PubEncKey"), hex_field(kms, "KPAK_PubAuthKey"));
    mikey::mcptt::KmsCommunity::new(kms["kms_uri"].as_str().unwrap(), &z, &kpak, period, offset).unwrap()
}

/// A MIKEY-SAKKE config of the Streamwide vector user `name` ("GMS", "Alice", "Bob", "IWF"), on
/// `clock`, with `interop` switches.
pub fn streamwide_user_config(vectors: &serde_json::Value, name: &str, clock: &Arc<TestClock>, interop: u32) -> Config {
    let mut config = Config::with_sources(Method::Sakke, clock.clone(), TestRng::seeded(7)).unwrap();
    config.set_interop(interop).unwrap();
    let community = streamwide_community(vectors);
    let kms_uri = community.kms_uri().to_owned();
    config.add_kms_community(community).unwrap();
    let user = &vectors["users"][name];
    let keys = (hex_field(user, "rsk"), hex_field(user, "ssk"), hex_field(user, "pvt"));
    let period = user["key_period_no"].as_u64().unwrap();
    config.add_user_key_set(&kms_uri, user["uri"].as_str().unwrap(), period, (&keys.0, &keys.1, &keys.2)).unwrap();
    config
}

/// The NTP second of every Streamwide message's T (key period 236 of its KMS).
pub const STREAMWIDE_T: u64 = 0xEC89_8DA8;

/// A test KMS of MIKEY-SAKKE: its ECCSI and SAKKE secrets, and what it publishes.
pub struct TestKms {
    pub uri: String,
    pub key_period_secs: u64,
    signing: mikey::crypto::eccsi::Kms,
    encryption: mikey::crypto::sakke::Kms,
}

impl TestKms {
    /// A KMS of fresh secrets at `uri` with 30-day key periods.
    pub fn new(uri: &str) -> Self {
        let rng = mikey::SystemRandomSource;
        TestKms {
            uri: uri.to_owned(),
            key_period_secs: 2_592_000,
            signing: mikey::crypto::eccsi::Kms::generate(&rng).unwrap(),
            encryption: mikey::crypto::sakke::Kms::generate(&rng).unwrap(),
        }
    }

    /// Its community (TS 33.180 Annex D `KmsCertificate`).
    pub fn community(&self) -> mikey::mcptt::KmsCommunity {
        let z = self.encryption.public_key().point().to_uncompressed();
        let kpak = self.signing.kpak().as_bytes();
        mikey::mcptt::KmsCommunity::new(&self.uri, &z, kpak, self.key_period_secs, 0).unwrap()
    }

    /// The key set of `user_uri` for the key period of `ntp_seconds` (RSK, SSK, PVT), for the
    /// identifier `form` makes of its UID.
    pub fn key_set(&self, user_uri: &str, ntp_seconds: u64, form: mikey::mcptt::IdentifierForm) -> (u64, Vec<Vec<u8>>) {
        let community = self.community();
        let period = community.key_period_number(ntp_seconds << 32).unwrap();
        let identifier = form.identifier(&community.uid(user_uri, period).unwrap());
        let rsk = self.encryption.issue(&mikey::crypto::sakke::Identifier::new(&identifier).unwrap()).unwrap();
        let (ssk, pvt) = self.signing.issue(&identifier, &mikey::SystemRandomSource).unwrap();
        (period, vec![rsk.to_vec(), ssk.expose().to_vec(), pvt.as_bytes().to_vec()])
    }

    /// Adds `user_uri`'s key set for the clock's key period to `config` (its community added).
    pub fn provision(&self, config: &mut Config, user_uri: &str, clock: &Arc<TestClock>) {
        let form = match config.settings().interop.has(mikey::InteropFlags::SAKKE_UID_AS_HEX_TEXT) {
            true => mikey::mcptt::IdentifierForm::UidHexText,
            false => mikey::mcptt::IdentifierForm::Uid,
        };
        let (period, keys) = self.key_set(user_uri, clock.now_ntp() >> 32, form);
        config.add_user_key_set(&self.uri, user_uri, period, (&keys[0], &keys[1], &keys[2])).unwrap();
    }
}
