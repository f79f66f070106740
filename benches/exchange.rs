//! Throughput of every method's exchange and of the crypto primitives under them, the raw crypto
//! floor of a PSK exchange, GStreamer's parser on the same message, and MIKEY-SAKKE's crypto
//! (creation, processing, the pairing), measured in one run (the machine is noisy: compare
//! within a run).
//!
//! `cargo bench --bench exchange` prints one line per measurement: the median of 5 runs of
//! about 0.4 s each, single-threaded. `cargo bench --bench exchange -- NULL` runs only the
//! measurements whose name contains `NULL`.
//!
//! # Instruction counts
//!
//! `cargo bench --bench exchange -- --instructions` counts instead the instructions of a fixed
//! set of scenarios ([`INSTRUCTION_SCENARIOS`]: decode and full NULL responder on GStreamer's
//! message, decode, creation and responder of a PSK I_MESSAGE, the full PSK, DH-HMAC
//! (OAKLEY 5), DH-SIGN, PK and RSA-R exchanges, and MIKEY-SAKKE's creation and processing
//! crypto), and prints on stdout a CSV
//! `scenario,instructions_per_call` and nothing else (progress goes to stderr). A name filter
//! works as above: `cargo bench --bench exchange -- --instructions NULL`. It needs valgrind.
//!
//! For each scenario the bench re-executes itself under `valgrind --tool=callgrind`. The child
//! builds the scenario's inputs, makes one warm-up call (first-use costs such as seeding
//! aws-lc's RNG and lazy statics stay out of the count), then makes the scenario's calls inside
//! [`measured_calls`], the only function whose instructions are collected
//! (`--toggle-collect=*measured_calls*`). The figure is callgrind's total `Ir` (instructions
//! executed, in user space: the kernel's share of a system call is not counted) divided by the
//! number of calls. The scenarios build their configs with [`Config::new`] and use only the
//! public session API and `Message::decode`, so a change of the library's internals is measured
//! on the same work before and after it.
//!
//! On this noisy, shared machine the instruction count is the firm measure of a change: wall time
//! moves between runs by more than most changes are worth (GStreamer's parse by up to 2x between
//! launches). Counts still vary a little between runs: the inputs are random (keys, RAND, RSA
//! blinding and padding), and the process's arguments and environment seem to matter too (PSK
//! I_MESSAGE creation counts 43,284 to 43,298 depending on them). In five runs of the mode here
//! (base 31915ce) a scenario's count varied by at most 0.1% (NULL responder, 5,383 to 5,388),
//! most by under 0.01%, so a 5% difference is a change. Valgrind reports its own CPU to aws-lc's
//! feature detection (no AVX-512, for one), so the public-key counts are those of the code paths
//! aws-lc picks for that CPU; a before/after comparison under the same valgrind is unaffected.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::{cipher, digest, hmac, rand as aws_rand};
use mikey::clock::{Clock, SystemClock};
use mikey::config::{DEFAULT_MAX_FUTURE_SKEW_SECS, DEFAULT_REPLAY_WINDOW_SECS};
use mikey::crypto::dh::DhKeyPair;
use mikey::crypto::eccsi::{self, Kpak, Pvt, SigningKey, Ssk};
use mikey::crypto::rsa::{RsaPrivateKey, SignatureScheme};
use mikey::crypto::sakke::{
    encapsulate, encapsulate_with_ssv, pairing, Identifier, KmsPublicKey, Point, ReceiverSecretKey, Sed,
};
use mikey::crypto::x509::{Certificate, KeyUsageNeed, TrustStore};
use mikey::crypto::{MacAlgorithm, MacKey, PrfFunction, PrfKey, SystemRandomSource};
use mikey::mcptt::{McpttKey, McpttPeer};
use mikey::replay::{ReplayCache, ReplayCheck};
use mikey::wire::{DhGroup, KeyDataList, Message, Payload};
use mikey::{Config, Kms, KmsConfig, Method, Role, SecretBytes, Session, TicketProtectionKey};

// The test PKI and its identities, shared with the integration tests.
#[path = "../tests/common/mod.rs"]
mod common;
use common::{pki, set_test_identity, streamwide_user_config, streamwide_vectors, TestClock, STREAMWIDE_T};

/// The system time, advanced by one NTP fraction unit per reading so every message an
/// initiator makes has a distinct, increasing timestamp.
#[derive(Debug)]
struct TickingClock {
    start: u64,
    ticks: AtomicU64,
}

impl Clock for TickingClock {
    fn now_ntp(&self) -> u64 {
        self.start + self.ticks.fetch_add(1, Ordering::Relaxed)
    }
}

/// A config of `method` on the [`TickingClock`] and the system RNG, with the bench's PSK if the
/// method uses one.
fn ticking_config(method: Method) -> Config {
    let clock = Arc::new(TickingClock { start: SystemClock.now_ntp(), ticks: AtomicU64::new(0) });
    with_psk(method, Config::with_sources(method, clock, Arc::new(SystemRandomSource)).unwrap())
}

/// A config of `method` made by the public constructor ([`Config::new`]: the system clock and
/// RNG), with the bench's PSK if the method uses one. The instruction-count scenarios use it.
fn public_config(method: Method) -> Config {
    with_psk(method, Config::new(method).unwrap())
}

/// `config` with the bench's PSK if `method` uses one.
fn with_psk(method: Method, mut config: Config) -> Config {
    if method.uses_psk() {
        config.set_psk(b"0123456789abcdef0123456789abcdef").unwrap();
    }
    config
}

/// The name filter given on the command line (`cargo bench --bench exchange -- NULL`), if any.
fn selected(name: &str) -> bool {
    std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).all(|filter| name.contains(&filter))
}

/// Runs `operation` (which performs `batch` operations) for ~0.4 s, 5 times; median ops/s.
/// The clock is read once per chunk of calls lasting at least 1 ms, as GStreamer's bench reads
/// it once per 1000 parses, so reading it costs nothing per operation.
/// Returns NaN when the name filter excludes it.
fn measure(name: &str, batch: u64, mut operation: impl FnMut()) -> f64 {
    if !selected(name) {
        return f64::NAN;
    }
    let mut chunk = 1u64;
    loop {
        let start = Instant::now();
        (0..chunk).for_each(|_| operation());
        if start.elapsed() >= Duration::from_millis(1) {
            break;
        }
        chunk *= 2;
    }
    let mut rates = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut done = 0u64;
        while start.elapsed() < Duration::from_millis(400) {
            (0..chunk).for_each(|_| operation());
            done += chunk * batch;
        }
        rates.push(done as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let rate = rates[2];
    println!("{name:<58} {:>12.0} ops/s {:>10.0} ns/op", rate, 1e9 / rate);
    rate
}

/// Prints a ratio of two measurements, unless the name filter skipped one of them.
fn report_ratio(name: &str, ratio: f64, unit: &str) {
    if ratio.is_finite() {
        println!("{name}: {ratio:.2}{unit}");
    }
}

fn psk_initiator(config: &Config, verification: bool) -> (Session, Vec<u8>) {
    let mut config = config.clone();
    config.set_request_verification(verification).unwrap();
    let mut initiator = Session::new(&config, Role::Initiator).unwrap();
    initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
    initiator.add_srtp_stream(0x2222_2222, 0).unwrap();
    let message = initiator.create_message().unwrap();
    (initiator, message)
}

/// A responder's whole work on one I_MESSAGE: a new session, `process_message`, and the export
/// of crypto sessions 1 and 2. Fails if the message is rejected (a replay, for one).
fn respond(config: &Config, message: &[u8]) -> mikey::Result<()> {
    let mut responder = Session::new(config, Role::Responder).unwrap();
    responder.process_message(message).map_err(|rejection| rejection.error)?;
    black_box(responder.export_srtp(1).unwrap());
    black_box(responder.export_srtp(2).unwrap());
    Ok(())
}

/// Decodes `message` (and drops the result).
fn decode(message: &[u8]) {
    black_box(Message::decode(black_box(message)).unwrap());
}

/// One full PSK exchange with 2 crypto sessions and a verification message, both ends,
/// including the export of both crypto sessions on both ends.
fn full_psk_exchange(initiator_config: &Config, responder_config: &Config) {
    let (mut initiator, i_message) = psk_initiator(initiator_config, true);
    let mut responder = Session::new(responder_config, Role::Responder).unwrap();
    let r_message = responder.process_message(&i_message).unwrap().unwrap();
    initiator.process_message(&r_message).unwrap();
    for cs_id in 1..=2 {
        black_box(initiator.export_srtp(cs_id).unwrap());
        black_box(responder.export_srtp(cs_id).unwrap());
    }
}

/// The aws-lc-rs calls a full PSK exchange with 2 CS and V needs, made directly: per side one
/// HMAC-SHA-1 key for the PSK (3 PRF outputs of §4.1.4), one for the auth key, one for the TGK
/// (TEK and salt of 2 CS, §4.1.3); each PRF output of up to 20 bytes is two HMACs, plus the
/// KEMAC and V MACs: 6 key setups and 32 HMACs. Then AES-CM over the key data both ways, 36
/// random bytes (CSB ID, RAND, TGK) and the SHA-256 of the replay cache.
fn crypto_floor(label: &[u8; 29], message: &[u8]) {
    for _side in 0..2 {
        let psk = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &label[..16]);
        let auth = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &label[..20]);
        let tgk = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &label[..16]);
        for (key, prf_outputs) in [(&psk, 3), (&tgk, 4)] {
            for _ in 0..prf_outputs {
                let a1 = hmac::sign(key, label);
                let mut context = hmac::Context::with_key(key);
                context.update(a1.as_ref());
                context.update(label);
                black_box(context.sign());
            }
        }
        black_box(hmac::sign(&auth, message));
        black_box(hmac::sign(&auth, message));
    }
    for _ in 0..2 {
        let key = cipher::UnboundCipherKey::new(&cipher::AES_128, &label[..16]).unwrap();
        let key = cipher::EncryptingKey::ctr(key).unwrap();
        let mut data = [0u8; 24];
        let context = cipher::EncryptionContext::Iv128(aws_lc_rs::iv::FixedLength::from([7u8; 16]));
        black_box(key.less_safe_encrypt(&mut data, context).unwrap());
    }
    let mut random = [0u8; 36];
    aws_rand::fill(&mut random).unwrap();
    black_box(digest::digest(&digest::SHA256, message));
}

/// The three parties of a MIKEY-TICKET mode-1 exchange (RFC 6043 §4.1.1): a KMS with its TPK
/// and both clients, and the configs of the initiator (asking for a ticket to the responder) and
/// of the responder, all on `clock`.
struct TicketParties {
    kms: Kms,
    initiator: Config,
    responder: Config,
}

impl TicketParties {
    const KMS: &'static str = "kms.example.org";
    const ALICE: &'static str = "sip:alice@example.org";
    const BOB: &'static str = "sip:bob@example.org";

    fn new(clock: Arc<dyn Clock>) -> Self {
        let (alice_psk, bob_psk) = (b"alice shares this with the KMS..", b"bob shares this one with the KMS");
        let mut kms = KmsConfig::new(Self::KMS.as_bytes()).unwrap();
        kms.add_tpk(TicketProtectionKey::new(b"tpk", &[7; 32]).unwrap()).unwrap();
        kms.add_client(Self::ALICE.as_bytes(), alice_psk).unwrap();
        kms.add_client(Self::BOB.as_bytes(), bob_psk).unwrap();
        kms.set_clock(clock.clone());
        let party = |own, peer, psk: &[u8]| {
            let mut config = Config::with_sources(Method::Ticket, clock.clone(), Arc::new(SystemRandomSource)).unwrap();
            config.set_identities(Some(own), peer).unwrap();
            config.set_psk(psk).unwrap();
            config.set_ticket_kms(Self::KMS).unwrap();
            config
        };
        TicketParties {
            kms: Kms::new(kms).unwrap(),
            initiator: party(Self::ALICE, Some(Self::BOB), alice_psk),
            responder: party(Self::BOB, None, bob_psk),
        }
    }

    /// A whole mode-1 exchange: Ticket Request, Transfer and Resolve, 2 CS, every key exported
    /// on both ends.
    fn mode_1(&self) {
        let mut initiator = Session::new(&self.initiator, Role::Initiator).unwrap();
        initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
        initiator.add_srtp_stream(0x2222_2222, 0).unwrap();
        let mut responder = Session::new(&self.responder, Role::Responder).unwrap();
        let issued = self.kms.process_message(&initiator.create_message().unwrap()).unwrap();
        initiator.process_message(&issued).unwrap();
        let resolve = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
        let answer = responder.process_message(&self.kms.process_message(&resolve).unwrap()).unwrap().unwrap();
        initiator.process_message(&answer).unwrap();
        for cs_id in 1..=2 {
            black_box(initiator.export_srtp(cs_id).unwrap());
            black_box(responder.export_srtp(cs_id).unwrap());
        }
    }
}

/// The aws-lc-rs calls a MIKEY-TICKET mode-1 exchange (2 CS, PRF-HMAC-SHA-256, 32-byte keys)
/// needs, made directly, as counted along its code paths: 32 HMAC-SHA-256 key setups (one per
/// PSK, TPK, MPK and TGK derivation and per MAC key, on each end), 74 HMACs inside the PRF (two
/// per output of up to 32 bytes) and 12 over whole messages (the six V MACs made and checked,
/// and the base ticket's made and checked twice), 6 AES-256-CTR passes (the base ticket's KEMAC
/// sealed and opened, the two answers' KEMACs sealed and opened) and about 280 random bytes
/// (MPK, TGK, RANDs, SPIs, CSB IDs). A lower bound: its HMAC inputs (64-byte labels, a PSK
/// I_MESSAGE) are shorter than the exchange's.
fn ticket_crypto_floor(label: &[u8; 64], message: &[u8]) {
    for _ in 0..32 {
        black_box(hmac::Key::new(hmac::HMAC_SHA256, &label[..32]));
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, &label[..32]);
    for _ in 0..74 {
        black_box(hmac::sign(&key, label));
    }
    for _ in 0..12 {
        black_box(hmac::sign(&key, message));
    }
    for _ in 0..6 {
        let aes = cipher::UnboundCipherKey::new(&cipher::AES_256, &label[..32]).unwrap();
        let aes = cipher::EncryptingKey::ctr(aes).unwrap();
        let mut data = [0u8; 120];
        let context = cipher::EncryptionContext::Iv128(aws_lc_rs::iv::FixedLength::from([7u8; 16]));
        black_box(aes.less_safe_encrypt(&mut data, context).unwrap());
    }
    let mut random = [0u8; 280];
    aws_rand::fill(&mut random).unwrap();
}

/// A whole exchange of a method with an R_MESSAGE, 2 CS, and every key exported on both ends.
fn answered_exchange(initiator_config: &Config, responder_config: &Config) {
    let mut initiator = Session::new(initiator_config, Role::Initiator).unwrap();
    initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
    initiator.add_srtp_stream(0x2222_2222, 0).unwrap();
    let mut responder = Session::new(responder_config, Role::Responder).unwrap();
    let r_message = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
    initiator.process_message(&r_message).unwrap();
    for cs_id in 1..=2 {
        black_box(initiator.export_srtp(cs_id).unwrap());
        black_box(responder.export_srtp(cs_id).unwrap());
    }
}

/// The configs made by `new_config` of a DH-HMAC (RFC 4650) initiator offering `group`, and of
/// its responder.
fn dh_hmac_configs(new_config: fn(Method) -> Config, group: DhGroup) -> (Config, Config) {
    let mut initiator = new_config(Method::DhHmac);
    initiator.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
    initiator.set_dh_group(group).unwrap();
    let mut responder = new_config(Method::DhHmac);
    // OAKLEY 1 and 2 are below the default minimum: both sides allow them here.
    for config in [&mut initiator, &mut responder] {
        config.set_min_dh_group(group).unwrap();
    }
    (initiator, responder)
}

/// The configs made by `new_config` of alice (initiator) and bob (responder) for a certificate
/// method, with the RSA-2048 chains of the test PKI; a PK initiator asks for the verification
/// message.
fn certificate_configs(new_config: fn(Method) -> Config, method: Method) -> (Config, Config) {
    let config_of = |who: &str, peer: &str| {
        let mut config = new_config(method);
        set_test_identity(&mut config, who, peer);
        config.set_peer_certificate(&pki(&format!("{peer}.crt.pem"))).unwrap();
        config
    };
    let mut alice = config_of("alice", "bob");
    if method == Method::Pk {
        alice.set_request_verification(true).unwrap();
    }
    (alice, config_of("bob", "alice"))
}

/// DH-SIGN (RFC 3830 §3.3) with OAKLEY 5, PK (§3.2) and RSA-R (RFC 4738), with the RSA-2048
/// chains of the test PKI, and the share of their cost in modexp, RSA and chain validation.
fn public_key_benchmarks() {
    let (alice, bob) = certificate_configs(ticking_config, Method::DhSign);
    let exchanges = measure("full DH-SIGN exchange, Oakley5, RSA-2048 chains, 2 CS, both ends", 1, || {
        answered_exchange(&alice, &bob);
    });
    let key = RsaPrivateKey::from_pem_or_der(&pki("alice.key.pem")).unwrap();
    let end_entity = Certificate::from_pem_or_der(&pki("alice.crt.pem")).unwrap().remove(0);
    let intermediate = Certificate::from_pem_or_der(&pki("intermediate.crt.pem")).unwrap();
    let mut anchors = TrustStore::new();
    anchors.add_anchor(Certificate::from_pem_or_der(&pki("root.crt.pem")).unwrap().remove(0));
    let now = mikey::clock::unix_seconds(SystemClock.now_ntp());
    let message = [0x5Au8; 700];
    let public_work = measure("  DH-SIGN: 4 modexps + 2 RSA signs + 2 verifies + 2 chains", 1, || {
        let ours = DhKeyPair::generate(DhGroup::Oakley5, &SystemRandomSource).unwrap();
        let theirs = DhKeyPair::generate(DhGroup::Oakley5, &SystemRandomSource).unwrap();
        black_box(ours.shared_secret(theirs.public_value()).unwrap());
        black_box(theirs.shared_secret(ours.public_value()).unwrap());
        for _ in 0..2 {
            let signature = key.sign(SignatureScheme::RFC3830_DEFAULT, &message).unwrap();
            key.public_key().verify(SignatureScheme::RFC3830_DEFAULT, &message, &signature).unwrap();
            anchors.verify_chain(&end_entity, &intermediate, now, KeyUsageNeed::DIGITAL_SIGNATURE).unwrap();
        }
    });
    report_ratio("  share of that exchange spent in modexp, RSA and X.509", 100.0 * exchanges / public_work, "%");

    let (alice, bob) = certificate_configs(ticking_config, Method::Pk);
    let exchanges = measure("full PK exchange, RSA-2048 chains, 2 CS + V, both ends", 1, || {
        answered_exchange(&alice, &bob);
    });
    let envelope = [0x33u8; 16];
    let public_work = measure("  PK: 1 RSA sign + verify + encrypt + decrypt + 1 chain", 1, || {
        let signature = key.sign(SignatureScheme::RFC3830_DEFAULT, &message).unwrap();
        key.public_key().verify(SignatureScheme::RFC3830_DEFAULT, &message, &signature).unwrap();
        let sealed = key.public_key().encrypt_pkcs1v15(&envelope, &SystemRandomSource).unwrap();
        black_box(key.open_envelope_key(&sealed, envelope.len()).unwrap());
        anchors.verify_chain(&end_entity, &intermediate, now, KeyUsageNeed::DIGITAL_SIGNATURE).unwrap();
    });
    report_ratio("  share of that exchange spent in RSA and X.509", 100.0 * exchanges / public_work, "%");

    let (alice, bob) = certificate_configs(ticking_config, Method::RsaR);
    let exchanges = measure("full RSA-R exchange, RSA-2048 chains, 2 CS, both ends", 1, || {
        answered_exchange(&alice, &bob);
    });
    let public_work = measure("  RSA-R: 2 RSA signs + 2 verifies + encrypt + decrypt + 2 chains", 1, || {
        for _ in 0..2 {
            let signature = key.sign(SignatureScheme::RFC3830_DEFAULT, &message).unwrap();
            key.public_key().verify(SignatureScheme::RFC3830_DEFAULT, &message, &signature).unwrap();
            anchors.verify_chain(&end_entity, &intermediate, now, KeyUsageNeed::DIGITAL_SIGNATURE).unwrap();
        }
        let sealed = key.public_key().encrypt_pkcs1v15(&envelope, &SystemRandomSource).unwrap();
        black_box(key.open_envelope_key(&sealed, envelope.len()).unwrap());
    });
    report_ratio("  share of that exchange spent in RSA and X.509", 100.0 * exchanges / public_work, "%");
}

/// The primitives under the exchanges, one call each: PRF, HMAC, RSA-2048, chain validation and
/// the DH modexps (`cargo bench --bench exchange -- primitive`).
fn primitive_benchmarks() {
    let key16 = [0x5Au8; 16];
    let label = [0x2Du8; 29]; // a §4.1.4 label: constant, 0xFF, CSB ID, 16-byte RAND
    let mut out = [0u8; 16];
    for function in [PrfFunction::MikeyHmacSha1, PrfFunction::HmacSha256] {
        let key = PrfKey::new(function, &key16);
        measure(&format!("primitive: PRF {function:?}, 16-byte output, key prepared"), 1, || {
            key.derive(black_box(&label), black_box(&mut out));
        });
        measure(&format!("primitive: PRF {function:?} with key setup"), 1, || {
            PrfKey::new(function, black_box(&key16)).derive(black_box(&label), black_box(&mut out));
        });
    }
    let mac_key = MacKey::new(MacAlgorithm::HmacSha1_160, &[0x33; 20]);
    let message = [0xA5u8; 120];
    measure("primitive: HMAC-SHA-1-160 of 120 bytes, key prepared", 1, || {
        black_box(mac_key.sign(black_box(&message)));
    });

    let key = RsaPrivateKey::from_pem_or_der(&pki("alice.key.pem")).unwrap();
    let public = key.public_key();
    let signed = [0xA5u8; 300]; // about a PK I_MESSAGE up to its signature
    for (scheme, name) in
        [(SignatureScheme::PKCS1V15_SHA1, "PKCS#1 v1.5 SHA-1"), (SignatureScheme::PSS_SHA256, "PSS SHA-256")]
    {
        let signature = key.sign(scheme, &signed).unwrap();
        measure(&format!("primitive: RSA-2048 sign, {name}"), 1, || {
            black_box(key.sign(scheme, black_box(&signed)).unwrap());
        });
        measure(&format!("primitive: RSA-2048 verify, {name}"), 1, || {
            public.verify(scheme, black_box(&signed), black_box(&signature)).unwrap();
        });
    }
    let envelope = [0x42u8; 16];
    let sealed = public.encrypt_pkcs1v15(&envelope, &SystemRandomSource).unwrap();
    measure("primitive: RSA-2048 encrypt PKCS#1 v1.5", 1, || {
        black_box(public.encrypt_pkcs1v15(black_box(&envelope), &SystemRandomSource).unwrap());
    });
    measure("primitive: RSA-2048 decrypt, implicit rejection", 1, || {
        black_box(key.open_envelope_key(black_box(&sealed), 16).unwrap());
    });
    let end_entity = Certificate::from_pem_or_der(&pki("alice.crt.pem")).unwrap().remove(0);
    let intermediate = Certificate::from_pem_or_der(&pki("intermediate.crt.pem")).unwrap();
    let mut anchors = TrustStore::new();
    anchors.add_anchor(Certificate::from_pem_or_der(&pki("root.crt.pem")).unwrap().remove(0));
    let now = mikey::clock::unix_seconds(SystemClock.now_ntp());
    measure("primitive: chain validation alice <- intermediate <- root", 1, || {
        anchors.verify_chain(&end_entity, &intermediate, now, KeyUsageNeed::DIGITAL_SIGNATURE).unwrap();
    });

    for group in [DhGroup::Oakley1, DhGroup::Oakley2, DhGroup::Oakley5] {
        let peer = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
        measure(&format!("primitive: DH {group:?} key pair (one modexp)"), 1, || {
            black_box(DhKeyPair::generate(group, &SystemRandomSource).unwrap());
        });
        let ours = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
        measure(&format!("primitive: DH {group:?} shared secret (one modexp)"), 1, || {
            black_box(ours.shared_secret(black_box(peer.public_value())).unwrap());
        });
    }
}

/// What every accepted NULL message costs under this design, whatever the decoder and session
/// do around it: the clock read of the timestamp window, the message's keyed replay identity
/// (SipHash-2-4), recording it in a locked cache the size a config makes, and the key and salt
/// copied into zeroized heap memory (RFC 3830 §5.4; ARCHITECTURE.md: secrets). Returns ops/s.
fn null_responder_fixed_costs(message: &[u8]) -> f64 {
    let decoded = Message::decode(message).unwrap();
    let cache = ReplayCache::new(ReplayCache::capacity_for_window(DEFAULT_REPLAY_WINDOW_SECS)).unwrap();
    let kemac = decoded.find(Payload::as_kemac).unwrap();
    let key_list = KeyDataList::decode(&kemac.encrypted_data, false).unwrap();
    let key = key_list.keys[0].key.expose();
    // A distinct, increasing timestamp per call (one NTP fraction unit apart), inside the window.
    let mut timestamp = SystemClock.now_ntp();
    measure("  its fixed costs on GStreamer's message (clock, replay, key)", 1, || {
        timestamp += 1;
        let now = SystemClock.now_ntp();
        let check = ReplayCheck {
            id: cache.message_id(&decoded, timestamp),
            timestamp,
            now,
            window_secs: DEFAULT_REPLAY_WINDOW_SECS,
            future_secs: DEFAULT_MAX_FUTURE_SKEW_SECS,
        };
        cache.record(&check).unwrap();
        black_box(SecretBytes::from_slice(key));
    })
}

/// The GStreamer interop helper (tests/interop/gst_mikey.c), built, or `None` without GStreamer.
fn gstreamer_tool() -> Option<PathBuf> {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/gst_mikey_bench");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/build_gst_mikey.sh");
    let built = Command::new("bash").arg(script).arg(&tool).output().ok()?.status.success();
    built.then_some(tool)
}

/// A NULL message made by GStreamer's `tool` as gst-rtsp-server builds it (2 CS, SSRCs 12345 and
/// 67890), timestamped now.
fn gstreamer_message(tool: &Path) -> Option<Vec<u8>> {
    let made = Command::new(tool).args(["make", "12345", "67890"]).output().ok()?;
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).ok()?;
    from_hex(made["message"].as_str()?)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// A full NULL responder ([`respond`]) on distinct copies of GStreamer's `message`: CSB ID and T
/// fraction vary (NULL messages carry no MAC), so the replay cache sees new messages. The
/// message's timestamp must be within the replay window (60 s) of the calls.
fn null_responder(message: &[u8]) -> impl FnMut() {
    let config = Config::new(Method::Null).unwrap();
    // HDR is 10 bytes plus 9 per SRTP-ID entry; T follows (next, type, 4 s, 4 fraction).
    let csb_at = 4;
    let cs_count = usize::from(message[8]);
    let fraction_at = 10 + 9 * cs_count + 2 + 4;
    let mut counter = 0u32;
    let mut copy = message.to_vec();
    move || {
        counter = counter.wrapping_add(1);
        copy[csb_at..csb_at + 4].copy_from_slice(&counter.to_be_bytes());
        copy[fraction_at..fraction_at + 4].copy_from_slice(&counter.to_be_bytes());
        respond(&config, &copy).unwrap();
    }
}

/// A call whose instructions are counted.
type Call = Box<dyn FnMut()>;

/// A scenario of the instruction-count mode.
struct InstructionScenario {
    /// Its name in the CSV (no commas).
    name: &'static str,
    /// How many calls are counted, after one warm-up call.
    calls: u32,
    /// Whether it works on GStreamer's NULL message.
    gstreamer: bool,
    /// Makes the inputs (outside the count) for a warm-up call and `calls` calls, and returns the
    /// call. Gets `calls` and GStreamer's message (empty unless `gstreamer`).
    setup: fn(u32, &[u8]) -> Call,
}

/// The instruction-count scenarios: the same work (the same functions) as the wall-time
/// measurements of decode, NULL responder, PSK I_MESSAGE creation and responder, and the full
/// exchanges, with configs from [`public_config`].
const INSTRUCTION_SCENARIOS: &[InstructionScenario] = &[
    InstructionScenario {
        name: "decode GStreamer NULL I_MESSAGE",
        calls: 200,
        gstreamer: true,
        setup: |_, gst_message| {
            let message = gst_message.to_vec();
            Box::new(move || decode(&message))
        },
    },
    InstructionScenario {
        name: "full NULL responder on GStreamer I_MESSAGE",
        calls: 200,
        gstreamer: true,
        setup: |_, gst_message| Box::new(null_responder(gst_message)),
    },
    InstructionScenario {
        name: "decode PSK I_MESSAGE",
        calls: 200,
        gstreamer: false,
        setup: |_, _| {
            let message = psk_initiator(&public_config(Method::Psk), false).1;
            Box::new(move || decode(&message))
        },
    },
    InstructionScenario {
        name: "PSK I_MESSAGE creation",
        calls: 200,
        gstreamer: false,
        setup: |_, _| {
            let config = public_config(Method::Psk);
            Box::new(move || {
                black_box(psk_initiator(&config, false));
            })
        },
    },
    InstructionScenario {
        name: "PSK responder",
        calls: 200,
        gstreamer: false,
        setup: |calls, _| {
            let initiator = public_config(Method::Psk);
            let messages: Vec<Vec<u8>> = (0..=calls).map(|_| psk_initiator(&initiator, false).1).collect();
            let config = public_config(Method::Psk);
            let mut next = 0;
            Box::new(move || {
                respond(&config, &messages[next]).unwrap();
                next += 1;
            })
        },
    },
    InstructionScenario {
        name: "full PSK exchange",
        calls: 200,
        gstreamer: false,
        setup: |_, _| exchange_call(full_psk_exchange, (public_config(Method::Psk), public_config(Method::Psk))),
    },
    InstructionScenario {
        name: "full DH-HMAC exchange Oakley5",
        calls: 20,
        gstreamer: false,
        setup: |_, _| exchange_call(answered_exchange, dh_hmac_configs(public_config, DhGroup::Oakley5)),
    },
    InstructionScenario {
        name: "full DH-SIGN exchange",
        calls: 10,
        gstreamer: false,
        setup: |_, _| exchange_call(answered_exchange, certificate_configs(public_config, Method::DhSign)),
    },
    InstructionScenario {
        name: "full PK exchange",
        calls: 10,
        gstreamer: false,
        setup: |_, _| exchange_call(answered_exchange, certificate_configs(public_config, Method::Pk)),
    },
    InstructionScenario {
        name: "full RSA-R exchange",
        calls: 10,
        gstreamer: false,
        setup: |_, _| exchange_call(answered_exchange, certificate_configs(public_config, Method::RsaR)),
    },
    InstructionScenario {
        name: "full MIKEY-TICKET mode-1 exchange",
        calls: 20,
        gstreamer: false,
        setup: |_, _| {
            let parties = TicketParties::new(Arc::new(SystemClock));
            Box::new(move || parties.mode_1())
        },
    },
    InstructionScenario {
        name: "MIKEY-SAKKE creation: encapsulation + ECCSI signature",
        calls: 5,
        gstreamer: false,
        setup: |_, _| {
            let keys = SakkeBenchKeys::new();
            Box::new(move || {
                let (_, sed) = encapsulate(&SystemRandomSource, &keys.b, &keys.kms).unwrap();
                black_box(keys.signer.sign(&sed, &SystemRandomSource).unwrap());
            })
        },
    },
    InstructionScenario {
        name: "MIKEY-SAKKE GMK I_MESSAGE made by a session",
        calls: 5,
        gstreamer: false,
        setup: |_, _| {
            let messages = SakkeMessages::new(0);
            Box::new(move || {
                black_box(messages.create());
            })
        },
    },
    InstructionScenario {
        name: "MIKEY-SAKKE GMK I_MESSAGE taken by a session",
        calls: 5,
        gstreamer: false,
        setup: |calls, _| {
            // The warm-up call takes one copy too.
            let messages = SakkeMessages::new(calls as usize + 1);
            let mut next = 0;
            Box::new(move || {
                black_box(messages.process(next));
                next += 1;
            })
        },
    },
    InstructionScenario {
        name: "MIKEY-SAKKE processing: ECCSI verification + decapsulation",
        calls: 5,
        gstreamer: false,
        setup: |_, _| {
            let keys = SakkeBenchKeys::new();
            Box::new(move || {
                eccsi::verify(&keys.kpak, &keys.signer_uid, &keys.sed, &keys.signature).unwrap();
                black_box(keys.receiver.decapsulate(&keys.sed).unwrap());
            })
        },
    },
];

/// Whole MIKEY-SAKKE messages through sessions, with the Streamwide vector's users: the GMS
/// keys Alice. Taking messages needs distinct ones (a copy is a replay): the GMS's message
/// signed again, each signature with a fresh r, names a new message for the replay cache.
struct SakkeMessages {
    gms: Config,
    alice: Config,
    alice_uri: String,
    /// Distinct signed copies of one GMK message.
    copies: Vec<Vec<u8>>,
}

impl SakkeMessages {
    /// Enough copies for one wall-time measurement (about 5 × 0.4 s at a few hundred per second).
    const COPIES: usize = 3000;

    /// The configs, and `copies` signed copies of the GMS's message to Alice.
    fn new(copies: usize) -> Self {
        let vectors = streamwide_vectors();
        let clock = TestClock::at(STREAMWIDE_T);
        let (gms, alice) =
            (streamwide_user_config(&vectors, "GMS", &clock, 0), streamwide_user_config(&vectors, "Alice", &clock, 0));
        let alice_uri = vectors["users"]["Alice"]["uri"].as_str().unwrap().to_owned();
        let mut messages = SakkeMessages { gms, alice, alice_uri, copies: Vec::new() };
        let message = messages.create();
        let (user, kms) = (&vectors["users"]["GMS"], &vectors["kms"]);
        let field = |name: &str| from_hex(user[name].as_str().unwrap()).unwrap();
        let kpak = Kpak::from_bytes(&from_hex(kms["KPAK_PubAuthKey"].as_str().unwrap()).unwrap()).unwrap();
        let ssk = Ssk::from_bytes(&field("ssk")).unwrap();
        let signer = SigningKey::new(&kpak, &field("uid"), ssk, Pvt::from_bytes(&field("pvt")).unwrap()).unwrap();
        let covered = message.len() - eccsi::SIGNATURE_LEN;
        messages.copies = (0..copies)
            .map(|_| {
                let mut copy = message.clone();
                let signature = signer.sign(&message[..covered], &SystemRandomSource).unwrap();
                copy[covered..].copy_from_slice(&signature.to_bytes());
                copy
            })
            .collect();
        messages
    }

    /// The GMS's I_MESSAGE to Alice, from a new session.
    fn create(&self) -> Vec<u8> {
        let mut initiator = Session::new(&self.gms, Role::Initiator).unwrap();
        initiator.set_mcptt_key(McpttKey::new(0x0123_4567, &[0x5A; 16]).unwrap()).unwrap();
        initiator.set_mcptt_peer(McpttPeer { uri: self.alice_uri.clone(), kms_uri: None }).unwrap();
        initiator.create_message().unwrap()
    }

    /// Alice's new session takes copy `index`.
    fn process(&self, index: usize) -> Session {
        let mut responder = Session::new(&self.alice, Role::Responder).unwrap();
        responder.process_message(&self.copies[index]).unwrap();
        responder
    }
}

/// The MIKEY-SAKKE keys of the benchmarks: the RFC 6508 Appendix A KMS key, identifier and RSK,
/// the Streamwide vector's GMS as ECCSI signer, and one signed SED.
struct SakkeBenchKeys {
    b: Identifier,
    kms: KmsPublicKey,
    receiver: ReceiverSecretKey,
    kpak: Kpak,
    signer: SigningKey,
    signer_uid: Vec<u8>,
    sed: [u8; 273],
    signature: [u8; 129],
}

impl SakkeBenchKeys {
    fn new() -> Self {
        let b = Identifier::new(SAKKE_B).unwrap();
        let kms = KmsPublicKey::new(&from_hex(SAKKE_Z).unwrap()).unwrap();
        let receiver = ReceiverSecretKey::new(&from_hex(SAKKE_RSK).unwrap(), &b, &kms).unwrap();
        let vectors: serde_json::Value = serde_json::from_slice(
            &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mikey_sakke_streamwide_e2e.json"))
                .unwrap(),
        )
        .unwrap();
        let (gms, kpak) = (&vectors["users"]["GMS"], &vectors["kms"]["KPAK_PubAuthKey"]);
        let field = |name: &str| from_hex(gms[name].as_str().unwrap()).unwrap();
        let kpak = Kpak::from_bytes(&from_hex(kpak.as_str().unwrap()).unwrap()).unwrap();
        let signer_uid = field("uid");
        let ssk = Ssk::from_bytes(&field("ssk")).unwrap();
        let signer = SigningKey::new(&kpak, &signer_uid, ssk, Pvt::from_bytes(&field("pvt")).unwrap()).unwrap();
        let sed = encapsulate_with_ssv(&[0x5A; 16], &b, &kms).unwrap();
        let signature = signer.sign(&sed, &SystemRandomSource).unwrap().to_bytes();
        SakkeBenchKeys { b, kms, receiver, kpak, signer, signer_uid, sed, signature }
    }
}

/// `exchange` between the initiator and responder configs of `configs`, as a call.
fn exchange_call(exchange: fn(&Config, &Config), configs: (Config, Config)) -> Call {
    Box::new(move || exchange(&configs.0, &configs.1))
}

/// The flag of the instruction-count mode.
const INSTRUCTIONS_FLAG: &str = "--instructions";
/// The flag with which the bench re-executes itself under callgrind for one scenario (by name).
const SCENARIO_FLAG: &str = "--count-instructions-of=";
/// The flag that hands GStreamer's NULL message (hex) to such a child.
const GSTREAMER_MESSAGE_FLAG: &str = "--gstreamer-message=";

/// The calls whose instructions callgrind counts: the only function it collects
/// (`--toggle-collect=*measured_calls*`), so its name must stay unique in this binary and it must
/// never be inlined.
#[inline(never)]
fn measured_calls(calls: u32, call: &mut dyn FnMut()) {
    for _ in 0..calls {
        call();
    }
}

/// The child's part: the inputs, a warm-up call, and the counted calls of the scenario `name`.
fn run_scenario(name: &str) {
    let scenario = INSTRUCTION_SCENARIOS.iter().find(|scenario| scenario.name == name).expect("a scenario's name");
    let gst_message = std::env::args()
        .find_map(|arg| arg.strip_prefix(GSTREAMER_MESSAGE_FLAG).map(|hex| from_hex(hex).expect("hex")))
        .unwrap_or_default();
    let mut call = (scenario.setup)(scenario.calls, &gst_message);
    // First-use costs (seeding aws-lc's RNG, lazy statics) stay out of the count.
    call();
    measured_calls(scenario.calls, &mut *call);
}

/// Callgrind's total of collected instructions (`Ir`) in its output file.
fn callgrind_total(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let totals =
        text.lines().find_map(|line| line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")))?;
    totals.split_whitespace().next()?.parse().ok()
}

/// The instruction-count mode: each selected scenario in a child under callgrind, the CSV on
/// stdout, progress on stderr.
fn count_instructions() -> ExitCode {
    if !Command::new("valgrind").arg("--version").output().is_ok_and(|output| output.status.success()) {
        eprintln!("{INSTRUCTIONS_FLAG} needs valgrind (callgrind), and `valgrind --version` failed: install valgrind");
        return ExitCode::FAILURE;
    }
    let scenarios: Vec<&InstructionScenario> =
        INSTRUCTION_SCENARIOS.iter().filter(|scenario| selected(scenario.name)).collect();
    let wants_gstreamer = scenarios.iter().any(|scenario| scenario.gstreamer) || selected(GSTREAMER_PARSE);
    let gst_tool = wants_gstreamer.then(gstreamer_tool).flatten();
    let out_dir = std::env::temp_dir().join(format!("mikey-bench-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let result = count_scenarios(&scenarios, gst_tool.as_deref(), &out_dir);
    std::fs::remove_dir_all(&out_dir).unwrap();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn count_scenarios(scenarios: &[&InstructionScenario], gst_tool: Option<&Path>, out_dir: &Path) -> Result<(), String> {
    let started = Instant::now();
    let exe = std::env::current_exe().map_err(|error| format!("the bench binary's path: {error}"))?;
    println!("scenario,instructions_per_call");
    for scenario in scenarios {
        let out_file = out_dir.join("callgrind.out");
        let mut child = Command::new("valgrind");
        child
            .args(["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=*measured_calls*"])
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg(&exe)
            .arg(format!("{SCENARIO_FLAG}{}", scenario.name));
        if scenario.gstreamer {
            let Some(tool) = gst_tool else {
                eprintln!("{}: skipped, tests/interop/build_gst_mikey.sh failed", scenario.name);
                continue;
            };
            // A message made now: the NULL responder accepts a timestamp within 60 s only.
            let message = gstreamer_message(tool).ok_or("GStreamer's tool made no message")?;
            child.arg(format!("{GSTREAMER_MESSAGE_FLAG}{}", to_hex(&message)));
        }
        let start = Instant::now();
        let output = child.output().map_err(|error| format!("valgrind: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed under callgrind ({}):\n{}",
                scenario.name,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let total = callgrind_total(&out_file).ok_or("no summary in callgrind's output")?;
        if total == 0 {
            return Err("callgrind counted no instruction in measured_calls (inlined or renamed?)".into());
        }
        report_count(scenario.name, total, scenario.calls, start);
    }
    if let Some(tool) = gst_tool.filter(|_| selected(GSTREAMER_PARSE)) {
        count_gstreamer_parse(tool, out_dir)?;
    }
    eprintln!("instruction counts took {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The CSV row (and progress line) of `total` instructions over `calls` calls.
fn report_count(name: &str, total: u64, calls: u32, start: Instant) {
    let per_call = total as f64 / f64::from(calls);
    println!("{name},{per_call:.0}");
    eprintln!(
        "{name:<45} {per_call:>12.0} instructions per call ({calls} calls, {:.1} s)",
        start.elapsed().as_secs_f64()
    );
}

/// The row of GStreamer's parse (and free) of its own NULL message, the comparison of the
/// NULL responder and decode rows: `gst_mikey count` under callgrind, collecting its
/// `measured_parses` alone.
const GSTREAMER_PARSE: &str = "GStreamer gst_mikey_message_new_from_data + unref";

fn count_gstreamer_parse(tool: &Path, out_dir: &Path) -> Result<(), String> {
    const PARSES: u32 = 200;
    let message = gstreamer_message(tool).ok_or("GStreamer's tool made no message")?;
    let out_file = out_dir.join("callgrind.gst.out");
    let start = Instant::now();
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=measured_parses"])
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(tool)
        .args(["count", &to_hex(&message), &PARSES.to_string()])
        .output()
        .map_err(|error| format!("valgrind: {error}"))?;
    if !output.status.success() {
        return Err(format!("gst_mikey count failed under callgrind:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    match callgrind_total(&out_file) {
        Some(total) if total > 0 => {
            report_count(GSTREAMER_PARSE, total, PARSES, start);
            Ok(())
        }
        _ => Err("callgrind counted no instruction in gst_mikey's measured_parses".into()),
    }
}

fn main() -> ExitCode {
    if let Some(name) = std::env::args().find_map(|arg| arg.strip_prefix(SCENARIO_FLAG).map(str::to_owned)) {
        run_scenario(&name);
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|arg| arg == INSTRUCTIONS_FLAG) {
        return count_instructions();
    }
    wall_time_benchmarks();
    mikey_sakke_benchmarks();
    ExitCode::SUCCESS
}

/// MIKEY-SAKKE's crypto (RFC 6508 Parameter Set 1, RFC 6507 on P-256) with the RFC 6508
/// Appendix A keys and the Streamwide vector's GMS: what creating an I_MESSAGE costs
/// (encapsulation and an ECCSI signature), what processing one costs (verification, pairing,
/// TEST check), the pairing alone as the floor, and the one-time work per key.
fn mikey_sakke_benchmarks() {
    let SakkeBenchKeys { b, kms, receiver: key, kpak, signer, signer_uid, sed, signature } = SakkeBenchKeys::new();
    let ssv = [0x5Au8; 16];
    let r_point = Sed::parse(&sed).unwrap().point().clone();
    let rsk = Point::from_uncompressed(&from_hex(SAKKE_RSK).unwrap()).unwrap();
    let hex = |text: &str| from_hex(text).unwrap();

    measure("MIKEY-SAKKE creation: encapsulation + ECCSI signature", 1, || {
        let (_, sed) = encapsulate(&SystemRandomSource, &b, &kms).unwrap();
        black_box(signer.sign(&sed, &SystemRandomSource).unwrap());
    });
    measure("MIKEY-SAKKE processing: ECCSI verification + decapsulation", 1, || {
        eccsi::verify(&kpak, &signer_uid, black_box(&sed), &signature).unwrap();
        black_box(key.decapsulate(black_box(&sed)).unwrap());
    });
    let messages = SakkeMessages::new(SakkeMessages::COPIES);
    measure("MIKEY-SAKKE GMK I_MESSAGE made by a session (every payload)", 1, || {
        black_box(messages.create());
    });
    let mut next = 0;
    measure("MIKEY-SAKKE GMK I_MESSAGE taken by a session (every check)", 1, || {
        black_box(messages.process(next));
        next += 1;
    });
    measure("  SAKKE encapsulation (fresh SSV, [r]([b]P + Z), g^r, H)", 1, || {
        black_box(encapsulate(&SystemRandomSource, &b, &kms).unwrap());
    });
    measure("  SAKKE decapsulation (pairing, hashes, TEST check)", 1, || {
        black_box(key.decapsulate(black_box(&sed)).unwrap());
    });
    measure("  pairing <R, RSK> with the RSK's precomputed lines (floor)", 1, || {
        black_box(key.pairing_value(black_box(&r_point)).unwrap());
    });
    measure("  TEST check alone ([r]([b]P + Z) = R)", 1, || {
        key.check_ssv(black_box(&ssv), &r_point).unwrap();
    });
    measure("  ECCSI signature", 1, || {
        black_box(signer.sign(black_box(&sed), &SystemRandomSource).unwrap());
    });
    measure("  ECCSI verification", 1, || {
        eccsi::verify(&kpak, &signer_uid, black_box(&sed), &signature).unwrap();
    });
    measure("  pairing <R, RSK> from the two points (lines included)", 1, || {
        black_box(pairing(black_box(&r_point), &rsk).unwrap());
    });
    measure("  KMS public key setup (order check, table of Z)", 1, || {
        black_box(KmsPublicKey::new(&hex(SAKKE_Z)).unwrap());
    });
    measure("  RSK setup (checks incl. RFC 6508 §6.1.2, lines, table)", 1, || {
        black_box(ReceiverSecretKey::new(&hex(SAKKE_RSK), &b, &kms).unwrap());
    });
}

/// The RFC 6508 Appendix A identifier "2011-02\0tel:+447700900123\0".
const SAKKE_B: &[u8] = b"2011-02\0tel:+447700900123\0";
/// The Appendix A KMS public key Z = [z]P and the RSK of B.
const SAKKE_Z: &str = concat!(
    "045958EF1B1679BF099B3A030DF255AA6A23C1D8F143D4D23F753E69BD27A832F38CB4AD53DDEF4260B0FE8BB45C4C1FF5",
    "10EFFE300367A37B61F701D914AEF09724825FA0707D61A6DFF4FBD7273566CDDE352A0B04B7C16A78309BE640697DE747",
    "613A5FC195E8B9F328852A579DB8F99B1D0034479EA9C5595F47C4B2F54FF21508D37514DCF7A8E143A6058C09A6BF2C98",
    "58CA37C258065AE6BF7532BC8B5B63383866E0753C5AC0E72709F8445F2E6178E065857E0EDA10F68206B63505ED87E534",
    "FB2831FF957FB7DC619DAE61301EEACC2FDA3680EA4999258A833CEA8FC67C6D19487FB449059F26CC8AAB655AB58B7CC7",
    "96E24E9A394095754F5F8BAE",
);
const SAKKE_RSK: &str = concat!(
    "0493AF67E5007BA6E6A80DA793DA300FA4B52D0A74E25E6E7B2B3D6EE9D18A9B5C5023597BD82D8062D34019563BA1D25C",
    "0DC56B7B979D74AA50F29FBF11CC2C93F5DFCA615E609279F6175CEADB00B58C6BEE1E7A2A47C4F0C456F05259A6FA94A6",
    "34A40DAE1DF593D4FECF688D5FC678BE7EFC6DF3D6835325B83B2C6E69036B155F0A27241094B04BFB0BDFAC6C670A65C3",
    "25D39A069F03659D44CA27D3BE8DF311172B554160181CBE94A2A783320CED590BC42644702CF371271E496BF20F588B78",
    "A1BC01ECBB6559934BDD2FB65D2884318A33D1A42ADF5E33CC5800280B28356497F87135BAB9612A17260424409AC15FEE",
    "996B744C332151235DECB0F5",
);

/// The wall-time measurements (without `--instructions`).
fn wall_time_benchmarks() {
    println!("mikey benchmarks (single thread, median of 5 × 0.4 s)");
    let psk = ticking_config(Method::Psk);
    let psk_responder = ticking_config(Method::Psk);

    measure("PSK I_MESSAGE creation (new session, 2 CS)", 1, || {
        black_box(psk_initiator(&psk, false));
    });

    let message_count = if selected("PSK responder") { 200_000 } else { 1 };
    let messages: Vec<Vec<u8>> = (0..message_count).map(|_| psk_initiator(&psk, false).1).collect();
    let mut next = messages.iter().cycle();
    let fresh_responder = ticking_config(Method::Psk);
    let mut respond_config = fresh_responder.clone();
    measure("PSK responder: parse + verify + decrypt + export 2 CS", 1, || {
        let message = next.next().unwrap();
        if respond(&respond_config, message).is_err() {
            // The message list wrapped around: start a fresh replay cache.
            respond_config = ticking_config(Method::Psk);
            respond(&respond_config, message).unwrap();
        }
    });

    let exchanges = measure("full PSK exchange, 2 CS + V, both ends, exports", 1, || {
        full_psk_exchange(&psk, &psk_responder);
    });
    let label = [0x5Au8; 29];
    let floor = measure("  crypto floor of that exchange (raw aws-lc-rs calls)", 1, || {
        crypto_floor(&label, &messages[0]);
    });
    report_ratio("  exchange cost / crypto floor", floor / exchanges, "x");

    for group in [DhGroup::Oakley5, DhGroup::Oakley2, DhGroup::Oakley1] {
        let (initiator_config, responder_config) = dh_hmac_configs(ticking_config, group);
        let exchanges = measure(&format!("full DH-HMAC exchange, {group:?}, 2 CS, both ends, exports"), 1, || {
            answered_exchange(&initiator_config, &responder_config);
        });
        // The exchange's modular exponentiations: two key pairs and two shared secrets.
        let modexp = measure(&format!("  DH-HMAC {group:?}: its 4 modexps alone (256-bit exponents)"), 1, || {
            let ours = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
            let theirs = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
            black_box(ours.shared_secret(theirs.public_value()).unwrap());
            black_box(theirs.shared_secret(ours.public_value()).unwrap());
        });
        report_ratio("  share of that exchange spent in modexp", 100.0 * exchanges / modexp, "%");
    }

    let ticket = TicketParties::new(Arc::new(TickingClock { start: SystemClock.now_ntp(), ticks: AtomicU64::new(0) }));
    let exchanges = measure("full MIKEY-TICKET mode-1 exchange (Request, Transfer, Resolve), 2 CS", 1, || {
        ticket.mode_1();
    });
    let floor = measure("  crypto floor of the MIKEY-TICKET exchange (raw aws-lc-rs calls)", 1, || {
        ticket_crypto_floor(&[0x5A; 64], &messages[0]);
    });
    report_ratio("  exchange cost / crypto floor", floor / exchanges, "x");

    public_key_benchmarks();
    primitive_benchmarks();

    let psk_message = &messages[0];
    measure("decode a PSK I_MESSAGE", 1, || decode(psk_message));

    match gstreamer_tool().and_then(|tool| Some((gstreamer_message(&tool)?, tool))) {
        None => println!("GStreamer comparison skipped: tests/interop/build_gst_mikey.sh failed"),
        Some((gst_message, tool)) => {
            let decoded = measure("decode GStreamer's NULL message", 1, || decode(&gst_message));
            let ours = measure(
                "full NULL responder on GStreamer's message (parse, replay, export)",
                1,
                null_responder(&gst_message),
            );
            let fixed = null_responder_fixed_costs(&gst_message);
            let hex = to_hex(&gst_message);
            let mut rates = Vec::new();
            for _ in 0..if selected("GStreamer") { 5 } else { 0 } {
                let run = Command::new(&tool).args(["bench", &hex, "0.4"]).output().unwrap();
                let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
                rates.push(report["parses_per_sec"].as_f64().unwrap());
            }
            // GStreamer's speed differs by up to 2x from one launch to the next here: compare
            // with its fastest launch, so a slow one never flatters the ratio.
            let Some(gstreamer) = rates.into_iter().reduce(f64::max) else {
                return;
            };
            println!(
                "{:<58} {:>12.0} ops/s {:>10.0} ns/op",
                "GStreamer gst_mikey_message_new_from_data, fastest of 5",
                gstreamer,
                1e9 / gstreamer
            );
            report_ratio("  full NULL responder / GStreamer parse", ours / gstreamer, "x");
            // The target is 3x: the whole responder within a third of GStreamer's parse.
            report_ratio("  its fixed costs / a third of GStreamer's parse", 300.0 * gstreamer / fixed, "%");
            report_ratio(
                "  with decode / a third of GStreamer's parse",
                300.0 * gstreamer * (1.0 / fixed + 1.0 / decoded),
                "%",
            );
        }
    }
}
