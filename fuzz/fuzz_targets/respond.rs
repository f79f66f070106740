//! Fuzzes `Session::process_message` as a responder of the PSK, NULL, DH-HMAC, RSA-R and
//! MIKEY-SAKKE methods (the RSA-R responder with bob's test credentials, trusting the test root;
//! the MIKEY-SAKKE responder as Alice of tests/vectors/mikey_sakke_streamwide_e2e.json, whose
//! real messages are among the seeds).
//!
//! The session clock follows the input: when the input decodes and carries a T payload, the
//! clock reads that time, so the timestamp window lets the input through to the MAC, signature
//! and key checks.
//!
//! Asserts, for every input and method:
//! * no panic;
//! * an accepted message leaves the responder established, with keys for every crypto session;
//! * a rejected one leaves it idle, without keys (DEVELOPERS.md "Bad input").
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mikey::clock::Clock;
use mikey::crypto::SystemRandomSource;
use mikey::mcptt::KmsCommunity;
use mikey::wire::{Message, Payload};
use mikey::{Config, Method, Role, Session, State};

/// A clock set to each input's own timestamp.
#[derive(Default)]
struct FollowingClock(AtomicU64);

impl Clock for FollowingClock {
    fn now_ntp(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn setup() -> &'static (Arc<FollowingClock>, Vec<Config>) {
    static SETUP: OnceLock<(Arc<FollowingClock>, Vec<Config>)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let clock = Arc::new(FollowingClock::default());
        let config = |method: Method| {
            let mut config = Config::with_sources(method, clock.clone(), Arc::new(SystemRandomSource)).unwrap();
            if method.uses_psk() {
                config.set_psk(b"0123456789abcdef0123456789abcdef").unwrap();
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
        let configs = vec![config(Method::Psk), config(Method::Null), config(Method::DhHmac), rsa_r, sakke(config)];
        (clock, configs)
    })
}

/// Alice of the Streamwide vectors, with her KMS.
fn sakke(config: impl Fn(Method) -> Config) -> Config {
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
    let (clock, configs) = setup();
    let timestamp = Message::decode(data).ok().and_then(|message| message.find(Payload::as_timestamp).map(|t| t.value));
    clock.0.store(timestamp.unwrap_or(0), Ordering::Relaxed);
    for config in configs {
        let mut responder = Session::new(config, Role::Responder).unwrap();
        match responder.process_message(data) {
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
});
