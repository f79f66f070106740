//! Fuzzes the states the `respond` target never reaches, where the review's findings on
//! re-keying lived: a responder with an established CSB taking an update, and an initiator
//! waiting for its R_MESSAGE, for every method (PSK and NULL with a verification message,
//! DH-HMAC, with the test PKI of `tests/pki` DH-SIGN, PK and RSA-R, and MIKEY-TICKET in mode 4).
//! MIKEY-TICKET adds the states of updates from either end (RFC 6043 §5.2): an established
//! initiator taking its responder's update, and a responder waiting for the answer to its own.
//!
//! The sessions are set up once, deterministically (fixed randomness and clock), so the CSB IDs
//! are the same in every run and a corpus can aim at them. The clock then follows each input's
//! own T payload, as in `respond`.
//!
//! Asserts, for every input:
//! * no panic;
//! * a message an established responder (or MIKEY-TICKET initiator) rejects changes nothing:
//!   still established, the same CSB ID, the same keys;
//! * a message a waiting initiator (a fork of it, fresh for each input) rejects leaves it
//!   waiting, or failed for an authenticated error message; an accepted one establishes it with
//!   keys for every crypto session;
//! * the MIKEY-TICKET responder waiting for the answer to its update stays waiting (or failed,
//!   for an authenticated error message) when it rejects a message, and is established with keys
//!   for every crypto session when it accepts one; it then sends another update.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use mikey::clock::Clock;
use mikey::crypto::RandomSource;
use mikey::wire::{Message, Payload};
use mikey::{Config, Method, Role, Session, State, TicketProtectionKey};

/// A clock the target sets: to a fixed time while setting up, then to each input's T.
#[derive(Default)]
struct SetClock(AtomicU64);

impl Clock for SetClock {
    fn now_ntp(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Repeatable "randomness" (xorshift), so the set-up is the same in every run.
struct Repeatable(AtomicU64);

impl RandomSource for Repeatable {
    fn fill(&self, out: &mut [u8]) -> mikey::Result<()> {
        for byte in out {
            let mut x = self.0.load(Ordering::Relaxed);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0.store(x, Ordering::Relaxed);
            *byte = (x >> 24) as u8;
        }
        Ok(())
    }
}

/// 2026-01-01T00:00:00Z, 64-bit NTP.
const SET_UP_AT: u64 = 3_976_214_400 << 32;

struct Targets {
    clock: Arc<SetClock>,
    /// Established responders of every method, and a MIKEY-TICKET initiator; updated when an
    /// input is accepted.
    established: Mutex<Vec<Session>>,
    /// Initiators waiting for their R_MESSAGE; each input goes to a fork.
    waiting: Vec<Session>,
    /// A MIKEY-TICKET responder waiting for the answer to its update (it cannot be forked).
    updating: Mutex<Session>,
}

fn setup() -> &'static Targets {
    static TARGETS: OnceLock<Targets> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let clock = Arc::new(SetClock(AtomicU64::new(SET_UP_AT)));
        let pki = |name: &str| std::fs::read(format!("{}/../tests/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let config = |method: Method, seed: u64, (own, peer): (&str, &str)| {
            let rng = Arc::new(Repeatable(AtomicU64::new(seed)));
            let mut config = Config::with_sources(method, clock.clone(), rng).unwrap();
            if method.uses_psk() {
                config.set_psk(b"0123456789abcdef0123456789abcdef").unwrap();
            }
            if method.uses_certificates() {
                let mut chain = pki(&format!("{own}.crt.pem"));
                chain.extend(pki("intermediate.crt.pem"));
                config.set_certificate_chain(&chain).unwrap();
                config.set_private_key(&pki(&format!("{own}.key.pem"))).unwrap();
                config.add_trust_anchor(&pki("root.crt.pem")).unwrap();
                config.set_peer_certificate(&pki(&format!("{peer}.crt.pem"))).unwrap();
            }
            let uri = |who: &str| format!("sip:{who}@example.com");
            config.set_identities(Some(&uri(own)), Some(&uri(peer))).unwrap();
            config.set_request_verification(true).unwrap();
            config
        };
        let (mut responders, mut waiting) = (Vec::new(), Vec::new());
        let methods = [Method::Psk, Method::Null, Method::DhHmac, Method::DhSign, Method::Pk, Method::RsaR];
        for (n, method) in methods.into_iter().enumerate() {
            let seed = 11 + 2 * n as u64;
            let alice = config(method, seed, ("alice", "bob"));
            let bob = config(method, seed + 1, ("bob", "alice"));
            let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
            let mut responder = Session::new(&bob, Role::Responder).unwrap();
            initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
            let answer = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
            initiator.process_message(&answer).unwrap();
            responders.push(responder);
            // A second initiator, its I_MESSAGE sent and its answer awaited.
            let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
            initiator.add_srtp_stream(0x2222_2222, 0).unwrap();
            initiator.create_message().unwrap();
            waiting.push(initiator);
        }
        // MIKEY-TICKET, mode 4: both ends hold the TPK.
        let ticket = |seed: u64, (own, peer): (&str, Option<&str>)| {
            let rng = Arc::new(Repeatable(AtomicU64::new(seed)));
            let mut config = Config::with_sources(Method::Ticket, clock.clone(), rng).unwrap();
            config.set_identities(Some(own), peer).unwrap();
            config.add_ticket_protection_key(TicketProtectionKey::new(b"fuzz-tpk", &[0x44; 32]).unwrap()).unwrap();
            config
        };
        let alice = ticket(41, ("sip:alice@example.com", Some("sip:bob@example.com")));
        let bob = ticket(42, ("sip:bob@example.com", None));
        let mut pairs = (0..2).map(|_| {
            let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
            let mut responder = Session::new(&bob, Role::Responder).unwrap();
            initiator.add_srtp_stream(0x1111_1111, 0).unwrap();
            let answer = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
            initiator.process_message(&answer).unwrap();
            (initiator, responder)
        });
        let (initiator, responder) = pairs.next().unwrap();
        responders.extend([responder, initiator]);
        let (_, mut updating) = pairs.next().unwrap();
        updating.create_message().unwrap();
        let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
        initiator.add_srtp_stream(0x2222_2222, 0).unwrap();
        initiator.create_message().unwrap();
        waiting.push(initiator);
        Targets { clock, established: Mutex::new(responders), waiting, updating: Mutex::new(updating) }
    })
}

fuzz_target!(|data: &[u8]| {
    let targets = setup();
    let timestamp = Message::decode(data).ok().and_then(|message| message.find(Payload::as_timestamp).map(|t| t.value));
    targets.clock.0.store(timestamp.unwrap_or(SET_UP_AT), Ordering::Relaxed);

    let mut established = targets.established.lock().unwrap();
    for responder in established.iter_mut() {
        let (csb_id, key) = (responder.csb_id(), responder.export_srtp(1).unwrap().master_key);
        let accepted = responder.process_message(data).is_ok();
        assert_eq!(responder.state(), State::Established);
        if accepted {
            for cs_id in 1..=responder.cs_count() as u8 {
                responder.export_srtp(cs_id).expect("an accepted update exports every crypto session");
            }
        } else {
            assert_eq!(responder.csb_id(), csb_id, "a rejected message changed the CSB");
            let now = responder.export_srtp(1).unwrap().master_key;
            assert_eq!(now.expose(), key.expose(), "a rejected message changed the keys");
        }
    }

    for template in &targets.waiting {
        let mut initiator = template.fork().unwrap();
        match initiator.process_message(data) {
            Ok(_) => {
                assert_eq!(initiator.state(), State::Established);
                for cs_id in 1..=initiator.cs_count() as u8 {
                    initiator.export_srtp(cs_id).expect("an accepted answer exports every crypto session");
                }
            }
            Err(_) => assert!(matches!(initiator.state(), State::WaitResponse | State::Failed)),
        }
    }

    let mut updating = targets.updating.lock().unwrap();
    match updating.process_message(data) {
        Ok(_) => {
            assert_eq!(updating.state(), State::Established);
            for cs_id in 1..=updating.cs_count() as u8 {
                updating.export_srtp(cs_id).expect("an accepted answer exports every crypto session");
            }
            updating.create_message().expect("an established MIKEY-TICKET responder updates again");
        }
        Err(_) => assert!(matches!(updating.state(), State::WaitResponse | State::Failed)),
    }
});
