//! Mutated messages against live sessions of every method, on stable Rust: a genuine exchange
//! is recorded, then its I_MESSAGE (to fresh responders) and its R_MESSAGE (to forks of the
//! waiting initiator) are mutated with a fixed PRNG. No call may panic, and a rejected message
//! must leave the session exactly where it was: a responder idle with no keys, an initiator
//! still waiting (RFC 3830 §5.3; DEVELOPERS.md "Bad input").

mod common;

use common::{exchange_configs, mutate, Rng, TestClock, NTP_2026};
use mikey::{ErrorKind, Method, Role, Session, State};

/// Mutations per message; the signed methods cost an RSA operation for many of them.
const MUTATIONS: usize = 300;

#[test]
fn mutated_messages_never_panic_and_rejections_change_nothing() {
    let methods = [Method::Psk, Method::Null, Method::DhHmac, Method::DhSign, Method::Pk, Method::RsaR];
    for (index, method) in methods.into_iter().enumerate() {
        let clock = TestClock::at(NTP_2026);
        let (mut initiator_config, responder_config) = exchange_configs(method, &clock);
        initiator_config.set_request_verification(true).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(0x0A0B_0C0D, 1).unwrap();
        initiator.add_srtp_stream(0x0102_0304, 2).unwrap();
        let i_message = initiator.create_message().unwrap();
        let mut genuine_responder = Session::new(&responder_config, Role::Responder).unwrap();
        let r_message = genuine_responder.process_message(&i_message).unwrap().expect("an R_MESSAGE");

        let mut rng = Rng::new(0x5EED_0000 + index as u64);
        let (mut responder_rejections, mut initiator_rejections) = (0, 0);
        for _ in 0..MUTATIONS {
            // Each mutated offer goes to a fresh responder of its own config (own replay cache).
            let mutated = mutate(&i_message, &mut rng);
            let mut responder = Session::new(&exchange_configs(method, &clock).1, Role::Responder).unwrap();
            if let Err(rejection) = responder.process_message(&mutated) {
                responder_rejections += 1;
                assert_eq!(responder.state(), State::Idle, "{method:?}: {}", rejection.error);
                assert_eq!(responder.csb_id(), None, "{method:?}");
                assert_eq!(responder.export_srtp(1).unwrap_err().kind(), ErrorKind::State);
            }
            let mutated = mutate(&r_message, &mut rng);
            let mut fork = initiator.fork().unwrap();
            if let Err(rejection) = fork.process_message(&mutated) {
                initiator_rejections += 1;
                // An error message moves it to Failed (§5.1.2); anything else leaves it waiting.
                let expected =
                    if rejection.error.kind() == ErrorKind::PeerError { State::Failed } else { State::WaitResponse };
                assert_eq!(fork.state(), expected, "{method:?}: {}", rejection.error);
            }
        }
        // The mutations must mostly be caught, or this test would prove little.
        assert!(responder_rejections > MUTATIONS * 3 / 4, "{method:?}: {responder_rejections} offers rejected");
        assert!(initiator_rejections > MUTATIONS * 3 / 4, "{method:?}: {initiator_rejections} answers rejected");
        // The genuine answer still completes the exchange.
        initiator.process_message(&r_message).unwrap();
        assert_eq!(initiator.state(), State::Established);
    }
}

/// MIKEY-SAKKE: a GMS's GMK message to Alice, mutated, to fresh responder sessions of Alice's
/// one config (building a key set's pairing tables per mutation would cost too much). No panic;
/// a rejection leaves the session idle with no key; the genuine message is still taken.
#[test]
fn mutated_mikey_sakke_messages_never_panic_and_rejections_change_nothing() {
    let vectors = common::streamwide_vectors();
    let clock = TestClock::at(common::STREAMWIDE_T);
    let gms = common::streamwide_user_config(&vectors, "GMS", &clock, 0);
    let alice = common::streamwide_user_config(&vectors, "Alice", &clock, 0);
    let mut initiator = Session::new(&gms, Role::Initiator).unwrap();
    initiator.set_mcptt_key(mikey::mcptt::McpttKey::new(0x0123_4567, &[0x5A; 16]).unwrap()).unwrap();
    let alice_uri = vectors["users"]["Alice"]["uri"].as_str().unwrap().to_owned();
    initiator.set_mcptt_peer(mikey::mcptt::McpttPeer { uri: alice_uri, kms_uri: None }).unwrap();
    let message = initiator.create_message().unwrap();
    let mut rng = Rng::new(0x5EED_5A66);
    let mut rejections = 0;
    const SAKKE_MUTATIONS: usize = 150;
    for _ in 0..SAKKE_MUTATIONS {
        let mutated = mutate(&message, &mut rng);
        let mut responder = Session::new(&alice, Role::Responder).unwrap();
        if let Err(rejection) = responder.process_message(&mutated) {
            rejections += 1;
            assert_eq!(responder.state(), State::Idle, "{}", rejection.error);
            assert!(responder.mcptt_key().is_none() && responder.csb_id().is_none());
        }
    }
    assert!(rejections > SAKKE_MUTATIONS * 3 / 4, "{rejections} mutations rejected");
    Session::new(&alice, Role::Responder).unwrap().process_message(&message).unwrap();
}

/// MIKEY-TICKET: the KMS's two inputs, the responder's TRANSFER_INIT (mode 1, so the mutants that
/// pass its early checks make it ask the KMS), and the initiator's two answers, mutated. No call
/// may panic; a rejected message leaves the KMS, the responder and the initiator as they were.
#[test]
fn mutated_mikey_ticket_messages_never_panic_and_rejections_change_nothing() {
    use mikey::{Config, Kms, KmsConfig, TicketProtectionKey};
    let clock = TestClock::at(NTP_2026);
    let kms = {
        let mut config = KmsConfig::new(b"kms.example.org").unwrap();
        config.add_tpk(TicketProtectionKey::new(b"tpk", &[3; 32]).unwrap()).unwrap();
        config.add_client(b"sip:alice@example.org", &[0xA1; 32]).unwrap();
        config.add_client(b"sip:bob@example.org", &[0xB0; 32]).unwrap();
        config.set_clock(clock.clone());
        Kms::new(config).unwrap()
    };
    let party = |own: &str, peer: Option<&str>, psk: &[u8]| {
        let mut config = Config::with_sources(Method::Ticket, clock.clone(), common::TestRng::seeded(7)).unwrap();
        config.set_identities(Some(own), peer).unwrap();
        config.set_psk(psk).unwrap();
        config.set_ticket_kms("kms.example.org").unwrap();
        config
    };
    let alice_config = party("sip:alice@example.org", Some("sip:bob@example.org"), &[0xA1; 32]);
    let bob_config = party("sip:bob@example.org", None, &[0xB0; 32]);
    let mut alice = Session::new(&alice_config, Role::Initiator).unwrap();
    alice.add_srtp_stream(0x0A0B_0C0D, 1).unwrap();
    let request = alice.create_message().unwrap();
    let issued = kms.process_message(&request).unwrap();
    let mut rng = Rng::new(0x71C4_E700);
    let mut rejections = [0usize; 4];
    for _ in 0..MUTATIONS {
        // One session takes them all: a "mutant" equal to the answer would be taken, as it should.
        let mutated = mutate(&issued, &mut rng);
        if mutated == issued {
            continue;
        }
        assert!(alice.process_message(&mutated).is_err(), "a mutated REQUEST_RESP was taken");
        rejections[0] += 1;
        assert_eq!(alice.state(), State::WaitKms);
    }
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();
    let mut bob = Session::new(&bob_config, Role::Responder).unwrap();
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    let resolved = kms.process_message(&resolve).unwrap();
    for _ in 0..MUTATIONS {
        let mut fresh = Session::new(&bob_config, Role::Responder).unwrap();
        if fresh.process_message(&mutate(&transfer, &mut rng)).is_err() {
            rejections[1] += 1;
            assert_eq!((fresh.state(), fresh.csb_id()), (State::Idle, None));
        }
        // The KMS refuses mutated resolves (the genuine one is answered already) without panicking.
        if kms.process_message(&mutate(&resolve, &mut rng)).is_err() {
            rejections[2] += 1;
        }
    }
    let answer = bob.process_message(&resolved).unwrap().unwrap();
    for _ in 0..MUTATIONS {
        let mut fork = alice.fork().unwrap();
        if fork.process_message(&mutate(&answer, &mut rng)).is_err() {
            rejections[3] += 1;
            assert_eq!(fork.state(), State::WaitResponse);
        }
    }
    assert!(rejections.iter().all(|&count| count > MUTATIONS * 3 / 4), "rejections {rejections:?}");
    alice.process_message(&answer).unwrap();
    assert_eq!((alice.state(), bob.state()), (State::Established, State::Established));
}
