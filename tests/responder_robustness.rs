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
