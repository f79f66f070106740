//! Interop with minisip's libmikey (tests/vectors/minisip: its exchanges in each mode), both
//! roles: mikey answers minisip's I_MESSAGE, and takes minisip's R_MESSAGE as the initiator of
//! the same exchange (its CSB ID, RAND, T and DH exponent replayed through the injected clock and
//! randomness). With the minisip switches the exported keys are minisip's own
//! (`master_key_hex`/`master_salt_hex`); without the PRF switch they are RFC 3830's
//! (`master_key_rfc3830_hex`), and without the others mikey refuses where minisip departs from
//! the RFCs.

mod common;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::TestClock;
use mikey::crypto::{EnvelopeDeriver, EnvelopeKeyPurpose, MacAlgorithm, MacKey, PrfFunction, RandomSource};
use mikey::exchange::verification::{open_verification, VerificationContext};
use mikey::wire::{CsIdMap, Message, Payload, Timestamp};
use mikey::{Config, ErrorKind, InteropFlags, Method, Role, Session, SsrcType, State};
use serde_json::Value;

/// Every minisip switch.
const MINISIP: u32 = InteropFlags::MINISIP_PRF
    | InteropFlags::MINISIP_RESPONSES
    | InteropFlags::MINISIP_DH_HMAC_WITHOUT_IDR
    | InteropFlags::MINISIP_ENVELOPE_KEY
    | InteropFlags::MINISIP_SHA1_SIGNATURES;
/// Every minisip switch but the PRF: the keys are then RFC 3830's.
const MINISIP_RFC_PRF: u32 = MINISIP & !InteropFlags::MINISIP_PRF;

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim_start_matches("0x");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/minisip")
}

/// One exchange of a mode, with what the tests need of it.
struct Exchange {
    name: String,
    json: Value,
}

impl Exchange {
    /// Every `<mode>/exchange-*.json` of the folder.
    fn all(mode: &str) -> Vec<Exchange> {
        let mut exchanges: Vec<Exchange> = std::fs::read_dir(vector_dir().join(mode))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("exchange-"))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .map(|path| Exchange {
                name: format!("{mode}/{}", path.file_name().unwrap().to_string_lossy()),
                json: serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap(),
            })
            .collect();
        exchanges.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(!exchanges.is_empty(), "no {mode} vectors");
        exchanges
    }

    fn text(&self, path: &[&str]) -> &str {
        path.iter().fold(&self.json, |value, key| &value[key]).as_str().unwrap_or_else(|| panic!("{path:?}"))
    }

    fn bytes(&self, path: &[&str]) -> Vec<u8> {
        unhex(self.text(path))
    }

    /// The PSK: hex, or minisip's ASCII string form.
    fn psk(&self) -> Vec<u8> {
        match (self.text(&["inputs", "psk_hex"]), self.json["inputs"]["psk_ascii"].as_str()) {
            ("", Some(ascii)) => ascii.as_bytes().to_vec(),
            (hex, _) => unhex(hex),
        }
    }

    /// True when the I_MESSAGE refers to one SP policy only, as mikey's initiator offers.
    fn one_policy(&self) -> bool {
        match Message::decode(&self.i_message()).unwrap().header.cs_id_map {
            CsIdMap::SrtpId(map) => map.entries().all(|entry| entry.policy_no == 0),
            _ => false,
        }
    }

    fn i_message(&self) -> Vec<u8> {
        self.bytes(&["i_message_hex"])
    }

    fn r_message(&self) -> Vec<u8> {
        self.bytes(&["r_message_hex"])
    }

    /// An input SSRC list ("0x1234,0x5678").
    fn ssrcs(&self, which: &str) -> Vec<u32> {
        self.text(&["inputs", which])
            .split(',')
            .filter(|ssrc| !ssrc.is_empty())
            .map(|ssrc| u32::from_str_radix(ssrc.trim().trim_start_matches("0x"), 16).unwrap())
            .collect()
    }

    /// (SSRC, ROC, key, salt) of every crypto session, minisip's keys or the RFC's.
    fn expected_keys(&self, rfc: bool) -> Vec<(u32, u32, Vec<u8>, Vec<u8>)> {
        let suffix = if rfc { "_rfc3830_hex" } else { "_hex" };
        self.json["crypto_sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|cs| {
                let ssrc = u32::from_str_radix(cs["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
                let roc = cs["roc"].as_u64().unwrap() as u32;
                let key = unhex(cs[format!("master_key{suffix}").as_str()].as_str().unwrap());
                let salt = unhex(cs[format!("master_salt{suffix}").as_str()].as_str().unwrap());
                (ssrc, roc, key, salt)
            })
            .collect()
    }

    /// The T of a message.
    fn timestamp(message: &[u8]) -> Timestamp {
        *Message::decode(message).unwrap().find(Payload::as_timestamp).unwrap()
    }

    /// A DH private exponent, left-padded to the 32 bytes mikey draws for one.
    fn dh_exponent(&self, state: &str) -> Vec<u8> {
        let exponent = self.bytes(&[state, "dh", "private_x"]);
        assert!(exponent.len() <= 32, "{}: a {}-byte exponent", self.name, exponent.len());
        let mut padded = vec![0; 32 - exponent.len()];
        padded.extend(exponent);
        padded
    }
}

/// Randomness that hands out scripted values to the draws of their length, in order, and
/// arbitrary bytes to any other draw: so a session draws minisip's CSB ID, RAND or DH exponent.
struct ScriptedRng(Mutex<VecDeque<Vec<u8>>>);

impl ScriptedRng {
    fn new(values: Vec<Vec<u8>>) -> Arc<Self> {
        Arc::new(ScriptedRng(Mutex::new(values.into())))
    }
}

impl RandomSource for ScriptedRng {
    fn fill(&self, out: &mut [u8]) -> mikey::Result<()> {
        let mut values = self.0.lock().unwrap();
        match values.front() {
            Some(value) if value.len() == out.len() => out.copy_from_slice(&values.pop_front().unwrap()),
            _ => out.iter_mut().enumerate().for_each(|(i, byte)| *byte = (i as u8).wrapping_mul(151) ^ 0x5c),
        }
        Ok(())
    }
}

/// Which side mikey plays.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Initiator,
    Responder,
}

/// mikey's config for `side` of `exchange` in `method`, on a clock at `now` and `rng`.
fn config(exchange: &Exchange, method: Method, side: Side, flags: u32, now: u64, rng: Arc<ScriptedRng>) -> Config {
    let clock = Arc::new(TestClockAt(now));
    let mut config = Config::with_sources(method, clock, rng).unwrap();
    config.set_interop(flags).unwrap();
    // minisip asks for an answer in every mode.
    config.set_request_verification(true).unwrap();
    let (own, peer, who) = match side {
        Side::Initiator => ("initiator_uri", "responder_uri", "alice"),
        Side::Responder => ("responder_uri", "initiator_uri", "bob"),
    };
    config.set_identities(Some(exchange.text(&["inputs", own])), Some(exchange.text(&["inputs", peer]))).unwrap();
    if method.uses_psk() {
        config.set_psk(&exchange.psk()).unwrap();
    } else {
        let pki = |file: &str| std::fs::read(vector_dir().join("certs").join(file)).unwrap();
        config.set_certificate_chain(&pki(&format!("{who}.pem"))).unwrap();
        config.set_private_key(&pki(&format!("{who}.key"))).unwrap();
        config.add_trust_anchor(&pki("ca.pem")).unwrap();
        if method == Method::Pk && side == Side::Initiator {
            config.set_peer_certificate(&pki("bob.pem")).unwrap();
        }
    }
    config
}

/// A clock standing at one 64-bit NTP value.
struct TestClockAt(u64);

impl mikey::Clock for TestClockAt {
    fn now_ntp(&self) -> u64 {
        self.0
    }
}

/// The exported (SSRC, ROC, key, salt, SSRC known) of every crypto session.
fn exported(session: &Session) -> Vec<(u32, u32, Vec<u8>, Vec<u8>)> {
    (1..=session.cs_count() as u8)
        .map(|cs_id| {
            let keys = session.export_srtp(cs_id).unwrap();
            assert_eq!(keys.ssrc_type, SsrcType::Specific, "CS {cs_id}");
            (keys.ssrc, keys.roc, keys.master_key.expose().to_vec(), keys.master_salt.expose().to_vec())
        })
        .collect()
}

/// mikey answers minisip's I_MESSAGE, its own SSRCs filling minisip's placeholders.
fn respond(exchange: &Exchange, method: Method, flags: u32) -> Result<(Session, Option<Vec<u8>>), mikey::Error> {
    let i_message = exchange.i_message();
    // A responder's DH exponent is minisip's, so g^xy is too.
    let scripted = match method {
        Method::DhSign | Method::DhHmac => vec![exchange.dh_exponent("responder_state")],
        _ => Vec::new(),
    };
    let now = Exchange::timestamp(&i_message).value;
    let config = config(exchange, method, Side::Responder, flags, now, ScriptedRng::new(scripted));
    let mut responder = Session::new(&config, Role::Responder).unwrap();
    for ssrc in exchange.ssrcs("responder_ssrcs") {
        responder.add_srtp_stream(ssrc, 0).unwrap();
    }
    let response = responder.process_message(&i_message).map_err(|rejection| rejection.error)?;
    Ok((responder, response))
}

/// mikey as the initiator of minisip's exchange (its CSB ID, RAND, T and DH exponent) takes
/// minisip's R_MESSAGE.
fn initiate(exchange: &Exchange, method: Method, flags: u32) -> Result<Session, mikey::Error> {
    let i_message = exchange.i_message();
    let header = Message::decode(&i_message).unwrap().header.clone();
    let mut scripted = vec![header.csb_id.to_be_bytes().to_vec(), exchange.bytes(&["rand_hex"])];
    if matches!(method, Method::DhSign | Method::DhHmac) {
        scripted.push(exchange.dh_exponent("initiator_state"));
    }
    let now = Exchange::timestamp(&i_message).value;
    let config = config(exchange, method, Side::Initiator, flags, now, ScriptedRng::new(scripted));
    let mut initiator = Session::new(&config, Role::Initiator).unwrap();
    for ssrc in exchange.ssrcs("initiator_ssrcs") {
        initiator.add_srtp_stream(ssrc, 0).unwrap();
    }
    for _ in exchange.ssrcs("responder_ssrcs") {
        initiator.add_srtp_stream(0, 0).unwrap();
    }
    let our_message = initiator.create_message().unwrap();
    let ours = Message::decode(&our_message).unwrap().header;
    assert_eq!((ours.csb_id, ours.cs_id_map), (header.csb_id, header.cs_id_map), "{}", exchange.name);
    initiator.process_message(&exchange.r_message()).map_err(|rejection| rejection.error)?;
    Ok(initiator)
}

/// The R_MESSAGE's CS ID map: the responder's SSRCs filled in (§6.1.1).
fn filled_map(message: &[u8]) -> Vec<(u32, u32)> {
    match Message::decode(message).unwrap().header.cs_id_map {
        CsIdMap::SrtpId(map) => map.entries().map(|entry| (entry.ssrc, entry.roc)).collect(),
        other => panic!("{other:?}"),
    }
}

fn ssrcs_and_rocs(keys: &[(u32, u32, Vec<u8>, Vec<u8>)]) -> Vec<(u32, u32)> {
    keys.iter().map(|(ssrc, roc, _, _)| (*ssrc, *roc)).collect()
}

const MODES: [(&str, Method); 5] = [
    ("psk", Method::Psk),
    ("pk", Method::Pk),
    ("dh", Method::DhSign),
    ("dhhmac", Method::DhHmac),
    ("rsar", Method::RsaR),
];

#[test]
fn mikey_answers_minisip_s_i_messages_with_minisip_s_keys_under_the_switches_and_the_rfc_s_without() {
    for (mode, method) in MODES {
        for exchange in Exchange::all(mode) {
            let name = &exchange.name;
            let (responder, response) = respond(&exchange, method, MINISIP).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(responder.state(), State::Established, "{name}");
            let response = response.unwrap_or_else(|| panic!("{name}: minisip asks for an answer (V flag)"));
            // Our answer fills in minisip's placeholders as minisip's own responder did.
            assert_eq!(filled_map(&response), filled_map(&exchange.r_message()), "{name}");
            // An RSA-R responder chooses its own TGK, so only the SSRCs are minisip's there.
            let expected = exchange.expected_keys(false);
            match method {
                Method::RsaR => assert_eq!(ssrcs_and_rocs(&exported(&responder)), ssrcs_and_rocs(&expected)),
                _ => assert_eq!(exported(&responder), expected, "{name}: minisip's keys"),
            }
            if method != Method::RsaR {
                let (rfc_responder, _) = respond(&exchange, method, MINISIP_RFC_PRF).unwrap();
                assert_eq!(exported(&rfc_responder), exchange.expected_keys(true), "{name}: RFC keys");
                assert_ne!(exchange.expected_keys(true), expected, "{name}: the vector shows the PRF bug");
            }
        }
    }
}

#[test]
fn without_the_switches_mikey_refuses_where_minisip_departs_from_the_rfcs() {
    for (mode, method) in MODES {
        for exchange in Exchange::all(mode) {
            let name = &exchange.name;
            match (method, respond(&exchange, method, 0)) {
                // A minisip PSK I_MESSAGE keeps to RFC 3830: only its keys differ.
                (Method::Psk, Ok((responder, _))) => {
                    assert_eq!(exported(&responder), exchange.expected_keys(true), "{name}")
                }
                // SHA-1 signatures (DH-SIGN, PK, RSA-R); no IDr (DH-HMAC, RFC 4650 §3).
                (Method::DhHmac, Err(error)) => {
                    assert!(error.to_string().contains("names the responder"), "{name}: {error}")
                }
                (_, Err(error)) => assert_eq!(error.kind(), ErrorKind::AuthFailed, "{name}: {error}"),
                (_, Ok(_)) => panic!("{name}: accepted without the switches"),
            }
            if method != Method::Pk && exchange.one_policy() {
                // minisip's answers carry their own T (RFC 3830 §5.2: the initiator's).
                let error = initiate(&exchange, method, MINISIP & !InteropFlags::MINISIP_RESPONSES).unwrap_err();
                assert_eq!(error.kind(), ErrorKind::AuthFailed, "{name}: {error}");
            }
        }
    }
}

#[test]
fn mikey_takes_minisip_s_answers_and_their_ssrcs_with_minisip_s_keys() {
    for (mode, method) in MODES {
        if method == Method::Pk {
            continue; // minisip's 112-byte envelope key is not one mikey draws: see the next test.
        }
        for exchange in Exchange::all(mode) {
            let name = &exchange.name;
            if !exchange.one_policy() {
                eprintln!("{name}: minisip offers several SP policies; mikey's initiator offers one");
                continue;
            }
            let initiator = initiate(&exchange, method, MINISIP).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(initiator.state(), State::Established, "{name}");
            let expected = exchange.expected_keys(false);
            match method {
                // A PSK initiator keys the CSB with its own TGK; the answer brings the SSRCs.
                Method::Psk => assert_eq!(ssrcs_and_rocs(&exported(&initiator)), ssrcs_and_rocs(&expected)),
                _ => {
                    assert_eq!(exported(&initiator), expected, "{name}: minisip's keys");
                    let rfc = initiate(&exchange, method, MINISIP_RFC_PRF).unwrap();
                    assert_eq!(exported(&rfc), exchange.expected_keys(true), "{name}: RFC keys");
                }
            }
        }
    }
}

#[test]
fn minisip_s_pk_verification_message_covers_the_initiator_s_t_and_no_identities() {
    for exchange in Exchange::all("pk") {
        let r_message = exchange.r_message();
        let message = Message::decode(&r_message).unwrap();
        let i_message = exchange.i_message();
        let header = Message::decode(&i_message).unwrap().header;
        let envelope_key = exchange.bytes(&["initiator_state", "env_key"]);
        let mut auth_key = [0; 20];
        EnvelopeDeriver::new(
            PrfFunction::MinisipHmacSha1,
            &envelope_key,
            header.csb_id,
            &exchange.bytes(&["rand_hex"]),
        )
        .derive(EnvelopeKeyPurpose::AuthKey, &mut auth_key);
        let auth = MacKey::new(MacAlgorithm::HmacSha1_160, &auth_key);
        let sent = Exchange::timestamp(&exchange.i_message());
        let no_ids = VerificationContext { initiator_id: &[], responder_id: &[] };
        open_verification(&r_message, &message, &auth, &sent, &no_ids).unwrap();
        let ids = VerificationContext { initiator_id: b"sip:alice@example.org", responder_id: b"sip:bob@example.org" };
        assert!(open_verification(&r_message, &message, &auth, &sent, &ids).is_err(), "{}", exchange.name);
        let answered = Exchange::timestamp(&r_message);
        assert_ne!(answered, sent, "{}: minisip's R_MESSAGE carries its own T", exchange.name);
        assert!(open_verification(&r_message, &message, &auth, &answered, &no_ids).is_err());
    }
}

#[test]
fn the_scripted_rng_replays_values_only_to_draws_of_their_length() {
    let rng = ScriptedRng::new(vec![vec![1, 2, 3, 4]]);
    let mut other = [0; 2];
    rng.fill(&mut other).unwrap();
    let mut four = [0; 4];
    rng.fill(&mut four).unwrap();
    assert_eq!(four, [1, 2, 3, 4]);
    rng.fill(&mut four).unwrap();
    assert_ne!(four, [1, 2, 3, 4]);
}

#[test]
fn two_mikey_ends_with_the_minisip_switches_agree_in_every_mode() {
    // Each switch changes what both roles make and check, so two mikey ends still agree.
    for (_, method) in MODES {
        let clock = TestClock::at(common::NTP_2026);
        let (mut initiator_config, mut responder_config) = common::exchange_configs(method, &clock);
        for config in [&mut initiator_config, &mut responder_config] {
            config.set_interop(MINISIP).unwrap();
            if method.uses_psk() {
                config.set_psk(b"a PSK of 20 bytes...").unwrap(); // not 32: see below
            }
        }
        initiator_config.set_request_verification(true).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        initiator.add_srtp_stream(0x1234, 0).unwrap();
        initiator.add_srtp_stream(0, 0).unwrap();
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        responder.add_srtp_stream(0x5678, 0).unwrap();
        let response = responder.process_message(&initiator.create_message().unwrap()).unwrap().unwrap();
        initiator.process_message(&response).unwrap_or_else(|r| panic!("{method:?}: {}", r.error));
        assert_eq!(exported(&initiator), exported(&responder), "{method:?}");
    }
}

#[test]
fn minisip_s_prf_refuses_a_32_byte_psk_which_it_would_ignore() {
    // minisip's PRF keys a 32-byte inkey with the empty key alone: the MAC keys would be public.
    for method in [Method::Psk, Method::DhHmac] {
        let clock = TestClock::at(common::NTP_2026);
        let mut config = common::config(method, &clock, 1);
        assert_eq!(common::PSK.len(), 32);
        config.set_interop(InteropFlags::MINISIP_PRF).unwrap();
        let error = Session::new(&config, Role::Initiator).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{method:?}");
        assert!(error.to_string().contains("32-byte PSK"), "{error}");
        config.set_psk(&[7; 33]).unwrap();
        Session::new(&config, Role::Responder).unwrap();
    }
}
