//! Fuzzes `Session::process_message` as a responder of the PSK, NULL, DH-HMAC, RSA-R,
//! MIKEY-SAKKE and MIKEY-TICKET methods (the RSA-R responder with bob's test credentials,
//! trusting the test root; the MIKEY-SAKKE responder as Alice of
//! tests/vectors/mikey_sakke_streamwide_e2e.json, whose real messages are among the seeds; a
//! MIKEY-TICKET responder holding a TPK, which opens tickets itself, and one that asks its KMS),
//! and `Kms::process_message` of a KMS knowing both clients and holding the same TPK. The
//! `mikey_ticket_*` seeds of corpus/decode_message are a valid exchange among these parties
//! (mode 4, and mode 1), written by tests/decode_robustness.rs.
//!
//! The session clock follows the input: when the input decodes and carries a T payload, the
//! clock reads that time, so the timestamp window lets the input through to the MAC, signature
//! and key checks.
//!
//! Asserts, for every input and method:
//! * no panic;
//! * an accepted message leaves the responder established, with keys for every crypto session;
//! * a MIKEY-TICKET responder may instead wait for its KMS, with the Resolve to send;
//! * a rejected one leaves it idle, without keys (DEVELOPERS.md "Bad input");
//! * the KMS answers an accepted message with a REQUEST_RESP or RESOLVE_RESP.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mikey::clock::Clock;
use mikey::crypto::SystemRandomSource;
use mikey::mcptt::KmsCommunity;
use mikey::wire::{DataType, Message, Payload};
use mikey::{Config, Kms, KmsConfig, Method, Role, Session, State, TicketProtectionKey};

/// A clock set to each input's own timestamp.
#[derive(Default)]
struct FollowingClock(AtomicU64);

impl Clock for FollowingClock {
    fn now_ntp(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn setup() -> &'static (Arc<FollowingClock>, Vec<Config>, Kms) {
    static SETUP: OnceLock<(Arc<FollowingClock>, Vec<Config>, Kms)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let clock = Arc::new(FollowingClock::default());
        let config = |method: Method| {
            let mut config = Config::with_sources(method, clock.clone(), Arc::new(SystemRandomSource)).unwrap();
            if method.uses_psk() {
                config.set_psk(PSK).unwrap();
            }
            config
        };
        let mut rsa_r = config(Method::RsaR);
        let pki = |name: &str| std::fs::read(format!("{}/../tests/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut chain = pki("bob.crt.pem");
        chain.extend(pki("intermediate.crt.pem"));
        rsa_r.set_certificate_chain(&chain).unwrap();
        rsa_r.set_private_key(&pki("bob.key.pem")).unwrap();
        rsa_r.add_trust_anchor(&pki("root.crt.pem")).unwrap();
        let mut configs =
            vec![config(Method::Psk), config(Method::Null), config(Method::DhHmac), rsa_r, sakke(&config)];
        let mut ticket_with_tpk =
            Config::with_sources(Method::Ticket, clock.clone(), Arc::new(SystemRandomSource)).unwrap();
        ticket_with_tpk.set_identities(Some(BOB), None).unwrap();
        ticket_with_tpk.add_ticket_protection_key(tpk()).unwrap();
        let mut ticket_with_kms = config(Method::Ticket);
        ticket_with_kms.set_identities(Some(BOB), None).unwrap();
        ticket_with_kms.set_ticket_kms(KMS).unwrap();
        configs.extend([ticket_with_tpk, ticket_with_kms]);
        let mut kms = KmsConfig::new(KMS.as_bytes()).unwrap();
        kms.add_tpk(tpk()).unwrap();
        kms.add_client(ALICE.as_bytes(), PSK).unwrap();
        kms.add_client(BOB.as_bytes(), PSK).unwrap();
        kms.set_clock(clock.clone());
        (clock, configs, Kms::new(kms).unwrap())
    })
}

const PSK: &[u8] = b"0123456789abcdef0123456789abcdef";
const ALICE: &str = "sip:alice@example.com";
const BOB: &str = "sip:bob@example.com";
const KMS: &str = "kms.example.com";

/// The MIKEY-TICKET protection key of the responder and the KMS.
fn tpk() -> TicketProtectionKey {
    TicketProtectionKey::new(b"fuzz-tpk", &[0x44; 32]).unwrap()
}

/// Alice of the Streamwide vectors, with her KMS.
fn sakke(config: &impl Fn(Method) -> Config) -> Config {
    let path = format!("{}/../tests/vectors/mikey_sakke_streamwide_e2e.json", env!("CARGO_MANIFEST_DIR"));
    let vectors: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let hex = |value: &serde_json::Value, key: &str| -> Vec<u8> {
        let text = value[key].as_str().unwrap();
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    };
    let (kms, alice) = (&vectors["kms"], &vectors["users"]["Alice"]);
    let kms_uri = kms["kms_uri"].as_str().unwrap();
    let (period, offset) = (kms["user_key_period_s"].as_u64().unwrap(), kms["user_key_offset_s"].as_u64().unwrap());
    let community = KmsCommunity::new(kms_uri, &hex(kms, "Z_PubEncKey"), &hex(kms, "KPAK_PubAuthKey"), period, offset);
    let mut sakke = config(Method::Sakke);
    sakke.add_kms_community(community.unwrap()).unwrap();
    let keys = (hex(alice, "rsk"), hex(alice, "ssk"), hex(alice, "pvt"));
    let user = alice["uri"].as_str().unwrap();
    let key_period = alice["key_period_no"].as_u64().unwrap();
    sakke.add_user_key_set(kms_uri, user, key_period, (&keys.0, &keys.1, &keys.2)).unwrap();
    sakke
}

fuzz_target!(|data: &[u8]| {
    let (clock, configs, kms) = setup();
    let timestamp = Message::decode(data).ok().and_then(|message| message.find(Payload::as_timestamp).map(|t| t.value));
    clock.0.store(timestamp.unwrap_or(0), Ordering::Relaxed);
    for config in configs {
        let mut responder = Session::new(config, Role::Responder).unwrap();
        match responder.process_message(data) {
            Ok(Some(resolve)) if responder.state() == State::WaitKms => {
                assert_eq!(Message::decode(&resolve).unwrap().header.data_type, DataType::TicketResolveInitPsk);
            }
            Ok(_) => {
                assert_eq!(responder.state(), State::Established);
                for cs_id in responder.cs_ids() {
                    responder.export_srtp(cs_id).expect("an accepted CSB exports every crypto session");
                }
            }
            Err(_) => {
                assert_eq!(responder.state(), State::Idle);
                assert_eq!(responder.csb_id(), None);
            }
        }
    }
    if let Ok(answer) = kms.process_message(data) {
        let data_type = Message::decode(&answer).expect("the KMS's answer decodes").header.data_type;
        assert!(
            matches!(data_type, DataType::TicketRequestResponse | DataType::TicketResolveResponse),
            "{data_type:?}"
        );
    }
});
