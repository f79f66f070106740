//! Deterministic robustness test for the wire decoders, on stable Rust with no extra
//! dependencies: every seed in `fuzz/corpus/` is mutated a few thousand times with a fixed
//! xorshift PRNG and fed to the decoders. Any panic fails the test; so does a successful decode
//! that does not round-trip. The same properties are what the cargo-fuzz targets in `fuzz/`
//! assert, with coverage guidance and without a time bound (see fuzz/README.md).
//!
//! `cargo test --test decode_robustness -- --ignored write_seed_corpus` regenerates the
//! hand-built seeds (`hand_*`), the key data seeds extracted from the GStreamer messages and the
//! MIKEY-TICKET seeds.

mod common;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use common::{mutate, Rng};

use mikey::secret::SecretRef;
use mikey::smallvec::{smallvec, SmallVec};
use mikey::srtp::{SrtpPolicy, SrtpProfile};
use mikey::wire::registry::{
    cert_type, encryption_algorithm, extension_type, id_role, id_type, rand_role, signature_type, srtp_param,
    ticket_type, ts_role,
};
use mikey::wire::{
    decode_payload_chain, encode_payload_chain, BaseTicket, CertHash, CertPayload, CommonHeader, CsIdMap, DataType,
    DecodeOptions, DhGroup, DhPayload, ErrorPayload, GeneralExtension, GenericCsEntry, HashFunction, IdPayload,
    IdrPayload, Kemac, KeyData, KeyDataList, KeyDataType, KeyValidity, MacAlgorithmCode, Message, Payload, PayloadType,
    Pke, RandWithRole, SecurityPolicy, Signature, SrtpCsEntry, SrtpIdMap, Ticket, TicketFlags, TicketPolicy, Timestamp,
    TimestampType, TimestampWithRole, Verification,
};

/// Mutations per message seed.
const MESSAGE_MUTATIONS: usize = 2_000;
/// Mutations per key data seed (they are small and cheap).
const KEY_DATA_MUTATIONS: usize = 2_000;
/// Mutations per MIKEY-TICKET seed.
const TICKET_MUTATIONS: usize = 2_000;

const PADDED: DecodeOptions = DecodeOptions { allow_trailing_padding_byte: true };

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus").join(target)
}

/// Every regular file of a corpus directory, sorted by name so runs are reproducible.
fn read_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&path).unwrap()))
        .collect();
    files.sort();
    files
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The checks of fuzz/fuzz_targets/decode_message.rs. Returns whether any decode succeeded.
fn check_message(data: &[u8]) -> bool {
    fn check_decoded(message: &Message, decoded_len: usize) {
        let bytes = message.encode().unwrap_or_else(|error| panic!("decoded message does not re-encode: {error}"));
        assert_eq!(bytes.len(), decoded_len, "re-encoding changed the length");
        let again = Message::decode(&bytes).unwrap_or_else(|error| panic!("re-encoding does not decode: {error}"));
        assert_eq!(&again, message, "decode(encode(m)) != m");
        for policy in message.payloads.iter().filter_map(|payload| payload.as_security_policy()) {
            let _ = SrtpPolicy::from_security_policy(policy);
        }
    }
    match (Message::decode(data), Message::decode_with(data, PADDED)) {
        (Ok(message), Ok((padded, len))) => {
            assert_eq!(message, padded, "the padding option changed a strict decode");
            assert_eq!(len, data.len());
            check_decoded(&message, data.len());
            true
        }
        (Ok(_), Err(error)) => panic!("strict decode succeeded but padded decode failed: {error}"),
        (Err(_), Ok((message, len))) => {
            assert_eq!(len + 1, data.len(), "padded decode accepted more than one extra byte");
            assert_eq!(Message::decode(&data[..len]).expect("unpadded prefix must decode"), message);
            check_decoded(&message, len);
            true
        }
        (Err(_), Err(_)) => false,
    }
}

/// The checks of fuzz/fuzz_targets/decode_key_data.rs. Returns whether any decode succeeded.
fn check_key_data(data: &[u8]) -> bool {
    let mut any_ok = false;
    for leading_id in [false, true] {
        let Ok(list) = KeyDataList::decode(data, leading_id) else { continue };
        any_ok = true;
        assert_eq!(list.id.is_some(), leading_id);
        let bytes = list.encode().unwrap_or_else(|error| panic!("key data does not re-encode: {error}"));
        assert_eq!(bytes.expose(), data, "re-encoding is not byte-identical (leading_id {leading_id})");
        let again = KeyDataList::decode(bytes.expose(), leading_id).expect("re-encoding decodes");
        assert_eq!(again.id, list.id);
        assert_eq!(again.keys.len(), list.keys.len());
        for (got, want) in again.keys.iter().zip(&list.keys) {
            assert_eq!(got.key_type, want.key_type);
            assert_eq!(got.key.expose(), want.key.expose());
            assert_eq!(got.salt.map(|salt| salt.expose()), want.salt.map(|salt| salt.expose()));
            assert_eq!(got.validity, want.validity);
        }
    }
    any_ok
}

/// The checks of fuzz/fuzz_targets/decode_ticket.rs. Returns whether any decode succeeded.
fn check_ticket(data: &[u8]) -> bool {
    const ONE_PAYLOAD: [PayloadType; 4] =
        [PayloadType::TimestampWithRole, PayloadType::RandWithRole, PayloadType::TicketPolicy, PayloadType::Ticket];
    fn check_chain(bytes: &[u8]) -> bool {
        let Ok(payloads) = decode_payload_chain(bytes) else { return false };
        let encoded =
            encode_payload_chain(&payloads).unwrap_or_else(|error| panic!("chain does not re-encode: {error}"));
        assert_eq!(encoded.len(), bytes.len(), "re-encoding changed the length");
        assert_eq!(decode_payload_chain(&encoded).expect("re-encoding decodes"), payloads);
        let exact = |payload: &Payload| {
            matches!(payload, Payload::TimestampWithRole(_) | Payload::RandWithRole(_) | Payload::Ticket(_))
        };
        if payloads.iter().all(exact) {
            assert_eq!(encoded, bytes, "TR, RANDR and TICKET re-encode byte for byte");
        }
        for payload in &payloads {
            match payload {
                Payload::TicketPolicy(policy) => _ = check_chain(&policy.tp_data),
                Payload::Ticket(ticket) => {
                    check_chain(&ticket.policy.tp_data);
                    check_chain(&ticket.initiator_data);
                    check_base_ticket(&ticket.ticket_data);
                }
                _ => {}
            }
        }
        true
    }
    fn check_base_ticket(bytes: &[u8]) -> bool {
        let Ok(ticket) = BaseTicket::decode(bytes) else { return false };
        let encoded = ticket.encode().unwrap_or_else(|error| panic!("base ticket does not re-encode: {error}"));
        assert!(encoded.len() <= bytes.len(), "re-encoding lengthened the base ticket");
        assert_eq!(BaseTicket::decode(&encoded).expect("re-encoding decodes"), ticket);
        true
    }
    let Some((selector, input)) = data.split_first() else { return false };
    match usize::from(*selector) % 6 {
        4 => check_chain(input),
        5 => check_base_ticket(input),
        one => check_chain(&[&[ONE_PAYLOAD[one].code()], input].concat()),
    }
}

/// What one pass over a corpus did.
struct Outcome {
    accepted: usize,
    rejected: usize,
    /// One line per input that panicked: where it came from and its hex.
    panics: Vec<String>,
}

/// Runs `check` on every seed and on `mutations` mutants of each, catching panics. Seeds must
/// decode: a seed that `check` rejects is reported as a panic line too.
fn run(corpus: &[(String, Vec<u8>)], mutations: usize, check: fn(&[u8]) -> bool) -> Outcome {
    let mut outcome = Outcome { accepted: 0, rejected: 0, panics: Vec::new() };
    for (index, (name, seed)) in corpus.iter().enumerate() {
        match catch_unwind(AssertUnwindSafe(|| check(seed))) {
            Ok(true) => {}
            Ok(false) => outcome.panics.push(format!("seed {name} does not decode: {}", hex(seed))),
            Err(_) => outcome.panics.push(format!("seed {name}: {}", hex(seed))),
        }
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        for round in 0..mutations {
            let input = mutate(seed, &mut rng);
            match catch_unwind(AssertUnwindSafe(|| check(&input))) {
                Ok(true) => outcome.accepted += 1,
                Ok(false) => outcome.rejected += 1,
                Err(_) => outcome.panics.push(format!("{name} mutation {round}: {}", hex(&input))),
            }
        }
    }
    outcome
}

/// Runs the corpus of `target` and asserts: no panic, some mutants decode, some do not.
fn fuzz_corpus(target: &str, mutations: usize, check: fn(&[u8]) -> bool) {
    let corpus = read_corpus(target);
    assert!(!corpus.is_empty(), "the seed corpus {} is empty", corpus_dir(target).display());
    let Outcome { accepted, rejected, panics } = run(&corpus, mutations, check);
    eprintln!(
        "{target}: {} seeds, {} mutants: {accepted} decoded, {rejected} rejected, {} panicked",
        corpus.len(),
        corpus.len() * mutations,
        panics.len()
    );
    assert!(panics.is_empty(), "{} inputs failed (hex below):\n{}", panics.len(), panics.join("\n"));
    assert!(accepted > 0, "no mutated {target} input decoded: the mutations or the seeds are broken");
    assert!(rejected > 0, "every mutated {target} input decoded: the decoder accepts anything");
}

#[test]
fn mutated_messages_never_panic_and_round_trip() {
    fuzz_corpus("decode_message", MESSAGE_MUTATIONS, check_message);
}

#[test]
fn mutated_key_data_never_panics_and_round_trips() {
    fuzz_corpus("decode_key_data", KEY_DATA_MUTATIONS, check_key_data);
}

#[test]
fn mutated_ticket_payloads_never_panic_and_round_trip() {
    fuzz_corpus("decode_ticket", TICKET_MUTATIONS, check_ticket);
}

#[test]
fn the_harness_reports_panics_and_varies_its_inputs() {
    // A check that panics on odd lengths must be reported, not swallowed (this prints a few
    // "harness self-test" panic messages on stderr).
    fn odd_lengths_panic(data: &[u8]) -> bool {
        assert!(data.len().is_multiple_of(2), "harness self-test: deliberate panic");
        true
    }
    let corpus = vec![("self_test".to_string(), vec![1, 2, 3, 4, 5, 6, 7, 8])];
    let outcome = run(&corpus, 6, odd_lengths_panic);
    assert!(!outcome.panics.is_empty() && outcome.accepted > 0, "{} / {}", outcome.panics.len(), outcome.accepted);
    // The mutator makes distinct inputs, shorter and longer ones included.
    let mut rng = Rng::new(1);
    let seed: Vec<u8> = (0..64).collect();
    let mutants: std::collections::HashSet<Vec<u8>> = (0..200).map(|_| mutate(&seed, &mut rng)).collect();
    assert!(mutants.len() > 150, "only {} distinct mutants", mutants.len());
    assert!(mutants.iter().any(|m| m.len() < seed.len()) && mutants.iter().any(|m| m.len() > seed.len()));
}

// ---------------------------------------------------------------------------------------------
// Seed corpus generation (run by hand; the output is committed).
// ---------------------------------------------------------------------------------------------

fn header(data_type: DataType, cs_id_map: CsIdMap<'static>) -> CommonHeader<'static> {
    CommonHeader { data_type, verification_requested: true, prf_function: 0, csb_id: 0xDEADBEEF, cs_id_map }
}

fn srtp_map(ssrcs: &[u32]) -> CsIdMap<'static> {
    CsIdMap::SrtpId(SrtpIdMap::from_entries(ssrcs.iter().map(|&ssrc| SrtpCsEntry { policy_no: 0, ssrc, roc: 0 })))
}

fn ntp() -> Payload<'static> {
    Payload::Timestamp(Timestamp { ts_type: TimestampType::NtpUtc, value: 0xE9F0_1234_8000_0000 })
}

fn rand() -> Payload<'static> {
    Payload::Rand((0..16).collect())
}

/// The bytes 0, 1, …, 255: keys count up from 0, salts from 0x40.
static COUNTING: [u8; 256] = {
    let mut bytes = [0u8; 256];
    let mut index = 0;
    while index < bytes.len() {
        bytes[index] = index as u8;
        index += 1;
    }
    bytes
};

fn key(key_type: KeyDataType, len: usize, salt: Option<usize>, validity: KeyValidity<'static>) -> KeyData<'static> {
    KeyData {
        key_type,
        key: SecretRef::new(&COUNTING[..len]),
        salt: salt.map(|len| SecretRef::new(&COUNTING[0x40..0x40 + len])),
        validity,
    }
}

fn kemac_null(keys: &KeyDataList<'_>) -> Payload<'static> {
    Payload::Kemac(Kemac {
        encryption_algorithm: encryption_algorithm::NULL,
        encrypted_data: keys.encode().unwrap().expose().to_vec().into(),
        mac_algorithm: MacAlgorithmCode::Null,
        mac: vec![].into(),
    })
}

fn kemac_sealed(mac_algorithm: MacAlgorithmCode, encrypted_len: usize) -> Payload<'static> {
    Payload::Kemac(Kemac {
        encryption_algorithm: encryption_algorithm::AES_CM_128,
        encrypted_data: vec![0xA5; encrypted_len].into(),
        mac_algorithm,
        mac: vec![0x3C; mac_algorithm.tag_len()].into(),
    })
}

fn srtp_sp(policy_no: u8, profile: SrtpProfile, gstreamer: bool) -> Payload<'static> {
    let policy = SrtpPolicy { profile, ..SrtpPolicy::default() };
    Payload::SecurityPolicy(policy.to_security_policy(policy_no, gstreamer).unwrap())
}

/// An SP payload from `(type, value)` parameters.
fn sp(policy_no: u8, protocol: u8, params: &[(u8, &[u8])]) -> Payload<'static> {
    let mut policy = SecurityPolicy::new(policy_no, protocol);
    for (param_type, value) in params {
        policy.push_param(*param_type, value).unwrap();
    }
    Payload::SecurityPolicy(policy)
}

/// A message carrying one of every RFC 3830 payload; its seed is also the wire unit tests' fixture.
fn every_payload() -> Message<'static> {
    Message {
        header: header(
            DataType::PkInit,
            CsIdMap::SrtpId(SrtpIdMap::from_entries([
                SrtpCsEntry { policy_no: 0, ssrc: 0x11223344, roc: 0 },
                SrtpCsEntry { policy_no: 1, ssrc: 0, roc: 7 },
            ])),
        ),
        payloads: vec![
            Payload::Timestamp(Timestamp { ts_type: TimestampType::NtpUtc, value: 0xE1234567_89ABCDEF }),
            Payload::Timestamp(Timestamp { ts_type: TimestampType::Counter, value: 42 }),
            Payload::Rand(vec![0x5A; 16].into()),
            Payload::Id(IdPayload { id_type: id_type::URI, data: b"sip:alice@example.com".to_vec().into() }),
            Payload::Cert(CertPayload { cert_type: cert_type::X509V3, data: vec![0x30, 0x82, 0, 1, 0].into() }),
            Payload::CertHash(CertHash { hash_function: HashFunction::Sha1, hash: vec![1; 20].into() }),
            sp(0, 0, &[(0, &[1])]),
            Payload::Dh(DhPayload {
                group: DhGroup::Oakley2,
                value: vec![0xC3; 128].into(),
                validity: KeyValidity::Spi(vec![0, 1].into()),
            }),
            Payload::Pke(Pke { cache: 2, data: vec![0xEE; 256].into() }),
            Payload::Kemac(Kemac {
                encryption_algorithm: 1,
                encrypted_data: vec![0xAB; 40].into(),
                mac_algorithm: MacAlgorithmCode::HmacSha1_160,
                mac: vec![0xCD; 20].into(),
            }),
            Payload::Verification(Verification {
                mac_algorithm: MacAlgorithmCode::HmacSha1_160,
                mac: vec![3; 20].into(),
            }),
            Payload::Error(ErrorPayload { code: 9 }),
            Payload::GeneralExtension(GeneralExtension {
                ext_type: extension_type::VENDOR_ID,
                data: vec![1, 2].into(),
            }),
            Payload::Sign(Signature { sig_type: signature_type::RSA_PSS, data: vec![0x99; 256].into() }),
        ],
    }
}

fn alice_idr(role: u8) -> IdrPayload<'static> {
    IdrPayload { role, id_type: id_type::URI, data: b"sip:alice@example.com".to_vec().into() }
}

fn bob_idr() -> IdrPayload<'static> {
    IdrPayload { role: id_role::RESPONDER, id_type: id_type::URI, data: b"sip:bob@example.com".to_vec().into() }
}

fn ntp_utc_32(seconds: u32) -> Timestamp {
    Timestamp { ts_type: TimestampType::NtpUtc32, value: u64::from(seconds) << 32 }
}

/// The Ticket Policy flags D F G H J L N O: issued by the KMS, a TRANSFER_RESP with RANDRr,
/// RANDRi in the TGK derivations, reusable, keys from the Initiator allowed.
fn plain_flags() -> TicketFlags {
    TicketFlags {
        generated_by_kms: true,
        transfer_response: true,
        responder_rand: true,
        initiator_rand_in_tgk_derivation: true,
        reusable: true,
        initiator_may_supply_keys: true,
        initiator_can_transfer: true,
        responder_can_process: true,
        ..TicketFlags::default()
    }
}

/// A MIKEY base ticket policy (RFC 6043 §6.10) with `flags` and `tp_data`.
fn base_ticket_policy(flags: TicketFlags, tp_data: Vec<u8>) -> TicketPolicy<'static> {
    TicketPolicy {
        ticket_type: ticket_type::MIKEY_BASE_TICKET,
        subtype: ticket_type::BASE_TICKET_SUBTYPE,
        version: ticket_type::BASE_TICKET_VERSION,
        prf_function: 1,
        flags,
        reserved: 0,
        tp_data: tp_data.into(),
    }
}

/// The Ticket Data of a MIKEY base ticket (RFC 6043 A.1), with IDRpsk.
fn base_ticket_data() -> Vec<u8> {
    BaseTicket {
        header_data: vec![0xBA, 0x5E].into(),
        timestamp: ntp_utc_32(0xE9F0_0000),
        rand: vec![0x22; 16].into(),
        kemac: Kemac {
            encryption_algorithm: encryption_algorithm::AES_CM_128,
            encrypted_data: vec![0xC7; 40].into(),
            mac_algorithm: MacAlgorithmCode::Null,
            mac: vec![].into(),
        },
        tpk_id: Some(IdrPayload { role: id_role::PSK, id_type: id_type::BYTE_STRING, data: vec![0x00, 0x2A].into() }),
        verification: Verification { mac_algorithm: MacAlgorithmCode::HmacSha1_160, mac: vec![0x3B; 20].into() },
    }
    .encode()
    .unwrap()
}

/// A TRANSFER_INIT (RFC 6043 §4.2.2): HDR with a GENERIC-ID map, T, RANDRi, IDRi, IDRr, SP,
/// TICKET, V. `tests/ticket_wire.rs` writes the same message byte by byte from the RFC figures.
fn ticket_transfer_init() -> Message<'static> {
    let tp_data = encode_payload_chain(&[
        Payload::IdWithRole(alice_idr(id_role::INITIATOR)),
        Payload::TimestampWithRole(TimestampWithRole {
            role: ts_role::VALIDITY_END,
            timestamp: ntp_utc_32(0xE9F8_0000),
        }),
        Payload::IdWithRole(bob_idr()),
    ])
    .unwrap();
    let entry = GenericCsEntry {
        cs_id: 1,
        protocol: 0,
        session_data_flag: false,
        policy_nos: vec![0].into(),
        session_data: vec![0xCA, 0xFE, 0xBA, 0xBE].into(),
        spi: vec![0, 0, 0, 1].into(),
    };
    Message {
        header: CommonHeader {
            data_type: DataType::TicketTransferInit,
            verification_requested: true,
            prf_function: 1,
            csb_id: 0x0102_0304,
            cs_id_map: CsIdMap::GenericId(vec![entry]),
        },
        payloads: vec![
            ntp(),
            Payload::RandWithRole(RandWithRole { role: rand_role::INITIATOR, rand: vec![0x11; 16].into() }),
            Payload::IdWithRole(alice_idr(id_role::INITIATOR)),
            Payload::IdWithRole(bob_idr()),
            sp(0, 0, &[(srtp_param::ENCRYPTION_ALGORITHM, &[1]), (srtp_param::SESSION_ENCRYPTION_KEY_LEN, &[16])]),
            Payload::Ticket(Ticket {
                policy: base_ticket_policy(plain_flags(), tp_data),
                ticket_data: base_ticket_data().into(),
                initiator_data: vec![].into(),
            }),
            Payload::Verification(Verification {
                mac_algorithm: MacAlgorithmCode::HmacSha256_256,
                mac: vec![0x5C; 32].into(),
            }),
        ],
    }
}

/// A REQUEST_INIT_PSK (RFC 6043 §4.2.1) with a TP whose TP Data has every payload §6.10 lists.
fn ticket_request_init() -> Message<'static> {
    let requested_key = KeyDataList {
        id: None,
        keys: smallvec![KeyData {
            key_type: KeyDataType::Gtgk,
            key: SecretRef::new(&[0; 16]),
            salt: None,
            validity: KeyValidity::Spi(vec![1].into()),
        }],
    };
    let tp_data = encode_payload_chain(&[
        Payload::IdWithRole(IdrPayload {
            role: id_role::KMS,
            id_type: id_type::URI,
            data: b"https://kms.example.com".to_vec().into(),
        }),
        Payload::IdWithRole(alice_idr(id_role::INITIATOR)),
        Payload::TimestampWithRole(TimestampWithRole {
            role: ts_role::VALIDITY_START,
            timestamp: ntp_utc_32(0xE9F0_0000),
        }),
        Payload::TimestampWithRole(TimestampWithRole {
            role: ts_role::VALIDITY_END,
            timestamp: ntp_utc_32(0xE9F8_0000),
        }),
        Payload::TimestampWithRole(TimestampWithRole { role: ts_role::REKEYING_INTERVAL, timestamp: ntp_utc_32(3600) }),
        kemac_null(&requested_key),
        Payload::IdWithRole(IdrPayload {
            role: id_role::APPLICATION,
            id_type: id_type::BYTE_STRING,
            data: vec![7].into(),
        }),
        Payload::IdWithRole(bob_idr()),
    ])
    .unwrap();
    Message {
        header: CommonHeader {
            prf_function: 1,
            ..header(DataType::TicketRequestInitPsk, CsIdMap::Empty { cs_count: 0 })
        },
        payloads: vec![
            Payload::Timestamp(ntp_utc_32(0xE9F0_1234)),
            Payload::RandWithRole(RandWithRole { role: rand_role::INITIATOR, rand: vec![0x33; 16].into() }),
            Payload::IdWithRole(alice_idr(id_role::INITIATOR)),
            Payload::TicketPolicy(base_ticket_policy(plain_flags(), tp_data)),
            Payload::IdWithRole(IdrPayload { role: id_role::PSK, id_type: id_type::BYTE_STRING, data: vec![1].into() }),
            Payload::Verification(Verification {
                mac_algorithm: MacAlgorithmCode::HmacSha256_256,
                mac: vec![0x44; 32].into(),
            }),
        ],
    }
}

/// Inputs of the `decode_ticket` target: a selector byte (see the target), then a TR, RANDR,
/// TP or TICKET from its next-payload field on, a TP Data chain, or a base ticket.
fn ticket_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let selected = |selector: u8, chain: Vec<u8>| [&[selector], &chain[1..]].concat();
    let one = |selector: u8, payload: Payload<'static>| selected(selector, encode_payload_chain(&[payload]).unwrap());
    let request = ticket_request_init();
    let tp_data = request.find(Payload::as_ticket_policy).unwrap().tp_data.to_vec();
    let forked = TicketFlags { key_forking: true, kms_must_resolve: true, ..plain_flags() };
    let initiator_data = encode_payload_chain(&[
        Payload::Verification(Verification {
            mac_algorithm: MacAlgorithmCode::HmacSha256_256,
            mac: vec![1; 32].into(),
        }),
        Payload::Verification(Verification {
            mac_algorithm: MacAlgorithmCode::HmacSha256_256,
            mac: vec![2; 32].into(),
        }),
    ])
    .unwrap();
    vec![
        (
            "hand_tr_rekeying",
            one(
                0,
                Payload::TimestampWithRole(TimestampWithRole {
                    role: ts_role::REKEYING_INTERVAL,
                    timestamp: ntp_utc_32(3600),
                }),
            ),
        ),
        (
            "hand_randr_kms",
            one(1, Payload::RandWithRole(RandWithRole { role: rand_role::KMS, rand: vec![0x55; 16].into() })),
        ),
        ("hand_tp", one(2, Payload::TicketPolicy(base_ticket_policy(plain_flags(), tp_data.clone())))),
        (
            "hand_ticket_forked",
            one(
                3,
                Payload::Ticket(Ticket {
                    policy: base_ticket_policy(forked, tp_data.clone()),
                    ticket_data: base_ticket_data().into(),
                    initiator_data: initiator_data.into(),
                }),
            ),
        ),
        ("hand_tp_data", [&[4], tp_data.as_slice()].concat()),
        ("hand_base_ticket", [&[5], base_ticket_data().as_slice()].concat()),
    ]
}

/// Key data lists (KEMAC plaintexts) covering every key type and validity type.
fn key_data_seeds() -> Vec<(&'static str, KeyDataList<'static>)> {
    let alice = IdPayload { id_type: id_type::URI, data: b"sip:alice@example.com".to_vec().into() };
    vec![
        (
            "hand_tgk_null",
            KeyDataList { id: None, keys: smallvec![key(KeyDataType::Tgk, 16, None, KeyValidity::Null)] },
        ),
        (
            "hand_tek_salt_spi",
            KeyDataList {
                id: None,
                keys: smallvec![key(KeyDataType::TekSalt, 16, Some(14), KeyValidity::Spi(vec![0, 0, 0, 1].into()))],
            },
        ),
        (
            "hand_three_keys_interval",
            KeyDataList {
                id: None,
                keys: smallvec![
                    key(KeyDataType::Tgk, 16, None, KeyValidity::Null),
                    key(KeyDataType::Tek, 32, None, KeyValidity::Spi(vec![7].into())),
                    key(
                        KeyDataType::TgkSalt,
                        32,
                        Some(12),
                        KeyValidity::Interval { from: vec![0; 6].into(), to: vec![0xFF; 6].into() },
                    ),
                ],
            },
        ),
        (
            "hand_leading_id_two_keys",
            KeyDataList {
                id: Some(alice.clone()),
                keys: smallvec![
                    key(KeyDataType::TekSalt, 16, Some(14), KeyValidity::Null),
                    key(KeyDataType::TekSalt, 16, Some(14), KeyValidity::Spi(vec![1, 2].into())),
                ],
            },
        ),
        ("hand_leading_id_only", KeyDataList { id: Some(alice), keys: SmallVec::new() }),
    ]
}

/// Hand-built messages: every payload type, every CS ID map type, every data type family,
/// SRTP policies for every profile, and a message with the interop padding byte.
fn message_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let keys = KeyDataList {
        id: None,
        keys: smallvec![key(KeyDataType::TekSalt, 16, Some(14), KeyValidity::Spi(vec![0, 0, 0, 1].into()))],
    };
    let mut messages: Vec<(&'static str, Message)> = vec![
        ("hand_every_payload", every_payload()),
        (
            "hand_psk_init_null_kemac",
            Message {
                header: header(DataType::PskInit, srtp_map(&[0x1234_5678, 0x9ABC_DEF0])),
                payloads: vec![ntp(), rand(), srtp_sp(0, SrtpProfile::AesCm128HmacSha1_80, false), kemac_null(&keys)],
            },
        ),
        (
            "hand_psk_init_sealed_sha256",
            Message {
                header: CommonHeader { prf_function: 1, ..header(DataType::PskInit, srtp_map(&[42])) },
                payloads: vec![
                    ntp(),
                    rand(),
                    srtp_sp(0, SrtpProfile::AeadAes256Gcm, false),
                    kemac_sealed(MacAlgorithmCode::HmacSha256_256, 40),
                ],
            },
        ),
        (
            "hand_psk_verification",
            Message {
                header: CommonHeader {
                    verification_requested: false,
                    ..header(DataType::PskVerification, srtp_map(&[42]))
                },
                payloads: vec![
                    ntp(),
                    Payload::Verification(Verification {
                        mac_algorithm: MacAlgorithmCode::HmacSha1_160,
                        mac: vec![7; 20].into(),
                    }),
                ],
            },
        ),
        (
            "hand_pk_init",
            Message {
                header: header(DataType::PkInit, srtp_map(&[1])),
                payloads: vec![
                    ntp(),
                    rand(),
                    Payload::CertHash(CertHash { hash_function: HashFunction::Sha256, hash: vec![0x11; 32].into() }),
                    srtp_sp(0, SrtpProfile::AesCm256HmacSha1_32, false),
                    kemac_sealed(MacAlgorithmCode::HmacSha1_160, 60),
                    Payload::Pke(Pke { cache: 1, data: vec![0x77; 128].into() }),
                    Payload::Sign(Signature { sig_type: signature_type::RSA_PKCS1_V15, data: vec![0x88; 128].into() }),
                ],
            },
        ),
        (
            "hand_dh_init_oakley5",
            Message {
                header: header(DataType::DhInit, srtp_map(&[1, 2])),
                payloads: vec![
                    ntp(),
                    rand(),
                    srtp_sp(0, SrtpProfile::AesCm128HmacSha1_32, true),
                    Payload::Cert(CertPayload { cert_type: cert_type::X509V3_SIGN, data: vec![0x30; 64].into() }),
                    Payload::Dh(DhPayload {
                        group: DhGroup::Oakley5,
                        value: vec![0xD5; 192].into(),
                        validity: KeyValidity::Interval { from: vec![0; 6].into(), to: vec![0, 0, 0, 1, 0, 0].into() },
                    }),
                    Payload::Sign(Signature { sig_type: signature_type::RSA_PSS, data: vec![0x42; 64].into() }),
                ],
            },
        ),
        (
            "hand_dh_response_oakley1",
            Message {
                header: header(DataType::DhResponse, srtp_map(&[1, 2])),
                payloads: vec![
                    ntp(),
                    Payload::Id(IdPayload { id_type: id_type::NAI, data: b"bob@example.org".to_vec().into() }),
                    Payload::Dh(DhPayload {
                        group: DhGroup::Oakley1,
                        value: vec![0x96; 96].into(),
                        validity: KeyValidity::Null,
                    }),
                    Payload::Dh(DhPayload {
                        group: DhGroup::Oakley1,
                        value: vec![0x69; 96].into(),
                        validity: KeyValidity::Null,
                    }),
                    Payload::Sign(Signature { sig_type: signature_type::ECCSI, data: vec![].into() }),
                ],
            },
        ),
        (
            "hand_dhhmac_init",
            Message {
                header: header(DataType::DhHmacInit, srtp_map(&[5])),
                payloads: vec![
                    ntp(),
                    rand(),
                    Payload::Id(IdPayload { id_type: id_type::BYTE_STRING, data: vec![1, 2, 3, 4].into() }),
                    srtp_sp(0, SrtpProfile::NullHmacSha1_80, false),
                    Payload::Dh(DhPayload {
                        group: DhGroup::Oakley2,
                        value: vec![0x22; 128].into(),
                        validity: KeyValidity::Spi(vec![9].into()),
                    }),
                    kemac_sealed(MacAlgorithmCode::HmacSha1_160, 0),
                ],
            },
        ),
        (
            "hand_error",
            Message {
                header: CommonHeader { verification_requested: false, ..header(DataType::Error, srtp_map(&[])) },
                payloads: vec![
                    Payload::Timestamp(Timestamp { ts_type: TimestampType::Counter, value: 0xFFFF_FFFF }),
                    Payload::Error(ErrorPayload { code: 4 }),
                    Payload::Error(ErrorPayload { code: 13 }),
                ],
            },
        ),
        (
            "hand_empty_map_extensions",
            Message {
                header: header(DataType::PskInit, CsIdMap::Empty { cs_count: 3 }),
                payloads: vec![
                    Payload::Timestamp(Timestamp { ts_type: TimestampType::Ntp, value: 1 }),
                    rand(),
                    Payload::GeneralExtension(GeneralExtension {
                        ext_type: extension_type::KEY_ID,
                        data: vec![2, 0, 4, 0xAA, 0xBB, 0xCC, 0xDD].into(),
                    }),
                    Payload::GeneralExtension(GeneralExtension {
                        ext_type: extension_type::SDP_IDS,
                        data: vec![0, 1].into(),
                    }),
                    Payload::GeneralExtension(GeneralExtension {
                        ext_type: extension_type::OMA_BCAST,
                        data: vec![0; 5].into(),
                    }),
                    kemac_null(&keys),
                ],
            },
        ),
        (
            "hand_generic_map",
            Message {
                header: header(
                    DataType::TicketRequestInitPsk,
                    CsIdMap::GenericId(vec![
                        GenericCsEntry {
                            cs_id: 1,
                            protocol: 0,
                            session_data_flag: true,
                            policy_nos: vec![0, 1].into(),
                            session_data: vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 5].into(),
                            spi: vec![0xAA].into(),
                        },
                        GenericCsEntry {
                            cs_id: 2,
                            protocol: 0,
                            session_data_flag: false,
                            policy_nos: vec![].into(),
                            session_data: vec![0, 0, 0, 2].into(),
                            spi: vec![].into(),
                        },
                    ]),
                ),
                payloads: vec![
                    ntp(),
                    rand(),
                    srtp_sp(0, SrtpProfile::AeadAes128Gcm, false),
                    srtp_sp(1, SrtpProfile::AesCm192HmacSha1_80, false),
                ],
            },
        ),
        (
            "hand_sp_every_srtp_param",
            Message {
                header: header(DataType::PskInit, srtp_map(&[0xCAFE_BABE])),
                payloads: vec![sp(
                    0,
                    0,
                    &[
                        (srtp_param::ENCRYPTION_ALGORITHM, &[1]),
                        (srtp_param::SESSION_ENCRYPTION_KEY_LEN, &[16]),
                        (srtp_param::AUTH_ALGORITHM, &[1]),
                        (srtp_param::SESSION_AUTH_KEY_LEN, &[20]),
                        (srtp_param::SESSION_SALT_KEY_LEN, &[14]),
                        (srtp_param::SRTP_PRF, &[0]),
                        (srtp_param::KEY_DERIVATION_RATE, &[0, 0, 1, 0]),
                        (srtp_param::SRTP_ENCRYPTION, &[1]),
                        (srtp_param::SRTCP_ENCRYPTION, &[0]),
                        (srtp_param::FEC_ORDER, &[0]),
                        (srtp_param::SRTP_AUTHENTICATION, &[1]),
                        (srtp_param::AUTH_TAG_LEN, &[10]),
                        (srtp_param::SRTP_PREFIX_LEN, &[0]),
                        (srtp_param::AEAD_AUTH_TAG_LEN, &[16]),
                    ],
                )],
            },
        ),
        (
            "hand_header_only",
            Message {
                header: CommonHeader { prf_function: 0x7F, csb_id: 0, ..header(DataType::SakkeInit, srtp_map(&[])) },
                payloads: vec![],
            },
        ),
    ];
    messages.push(("hand_ticket_transfer_init", ticket_transfer_init()));
    messages.push(("hand_ticket_request_init_psk", ticket_request_init()));
    // One SP per profile, in one message.
    messages.push((
        "hand_sp_every_profile",
        Message {
            header: header(DataType::PskInit, srtp_map(&[1])),
            payloads: SrtpProfile::ALL
                .iter()
                .enumerate()
                .map(|(index, &profile)| srtp_sp(index as u8, profile, index % 2 == 1))
                .collect(),
        },
    ));
    let mut seeds: Vec<(&'static str, Vec<u8>)> =
        messages.iter().map(|(name, message)| (*name, message.encode().unwrap())).collect();
    // The Milestone XProtect interop case: one padding byte after the last payload.
    let mut padded = messages[1].1.encode().unwrap();
    padded.push(0);
    seeds.push(("hand_psk_init_padding_byte", padded));
    seeds
}

#[test]
#[ignore = "writes the seed corpus into fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    let message_dir = corpus_dir("decode_message");
    let key_dir = corpus_dir("decode_key_data");
    let ticket_dir = corpus_dir("decode_ticket");
    for dir in [&message_dir, &key_dir, &ticket_dir] {
        fs::create_dir_all(dir).unwrap();
    }
    // Remove what this test wrote before; the gst_* message seeds come from the GStreamer tool.
    for dir in [&message_dir, &key_dir, &ticket_dir] {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("hand_") || name.starts_with("mikey_") || (dir == &key_dir && name.starts_with("gst_"))
            {
                fs::remove_file(&path).unwrap();
            }
        }
    }
    for (name, bytes) in message_seeds().into_iter().chain(session_seeds()) {
        assert!(check_message(&bytes), "{name} does not decode");
        assert!(bytes.len() <= 2048, "{name} is {} bytes", bytes.len());
        fs::write(message_dir.join(name), bytes).unwrap();
    }
    for (name, bytes) in ticket_seeds() {
        assert!(check_ticket(&bytes), "{name} does not decode");
        fs::write(ticket_dir.join(name), bytes).unwrap();
    }
    for (name, list) in key_data_seeds() {
        let bytes = list.encode().unwrap().expose().to_vec();
        assert!(check_key_data(&bytes), "{name} does not decode");
        fs::write(key_dir.join(name), bytes).unwrap();
    }
    // Real KEMAC plaintexts: GStreamer sends NULL-encrypted KEMACs, so the encrypted data field
    // is the Key data list itself.
    let mut seen = std::collections::HashSet::new();
    for (name, bytes) in read_corpus("decode_message") {
        if !name.starts_with("gst_") {
            continue;
        }
        let message = Message::decode(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        for kemac in message.payloads.iter().filter_map(Payload::as_kemac) {
            if kemac.encryption_algorithm == encryption_algorithm::NULL && seen.insert(kemac.encrypted_data.to_vec()) {
                assert!(check_key_data(&kemac.encrypted_data), "{name}: KEMAC plaintext does not decode");
                fs::write(key_dir.join(&name), &kemac.encrypted_data).unwrap();
            }
        }
    }
}

/// Messages this library's sessions emit (deterministic clock and randomness): PSK and NULL
/// I_MESSAGE and R_MESSAGE, and an error message.
fn session_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use common::{config, TestClock, NTP_2026};
    use mikey::{Method, Role, Session};

    let clock = TestClock::at(NTP_2026);
    let mut seeds = Vec::new();
    for (method, i_name, r_name) in
        [(Method::Psk, "mikey_psk_i", "mikey_psk_r"), (Method::Null, "mikey_null_i", "mikey_null_r")]
    {
        let mut initiator_config = config(method, &clock, 41);
        initiator_config.set_request_verification(true).unwrap();
        initiator_config.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        let mut responder = Session::new(&config(method, &clock, 42), Role::Responder).unwrap();
        initiator.add_srtp_stream(0x0102_0304, 0).unwrap();
        initiator.add_srtp_stream(0x0506_0708, 9).unwrap();
        let i_message = initiator.create_message().unwrap();
        let r_message = responder.process_message(&i_message).unwrap().unwrap();
        seeds.push((i_name, i_message));
        seeds.push((r_name, r_message));
    }
    let mut initiator = Session::new(&config(Method::Psk, &clock, 43), Role::Initiator).unwrap();
    initiator.add_srtp_stream(5, 0).unwrap();
    let mut wrong = config(Method::Psk, &clock, 44);
    wrong.set_psk(b"another key, 32 bytes long......").unwrap();
    let rejected = Session::new(&wrong, Role::Responder).unwrap().process_message(&initiator.create_message().unwrap());
    seeds.push(("mikey_error", rejected.unwrap_err().response.unwrap()));
    seeds.extend(ticket_session_seeds(&clock));
    seeds
}

/// A MIKEY-TICKET exchange among the parties of the `respond` fuzz target (its identities, PSK,
/// KMS and TPK), so that it reaches past the MACs: a mode-4 TRANSFER_INIT, and mode 1's six
/// messages.
fn ticket_session_seeds(clock: &std::sync::Arc<common::TestClock>) -> Vec<(&'static str, Vec<u8>)> {
    use common::{TestRng, PSK};
    use mikey::{Config, Kms, KmsConfig, Method, Role, Session, TicketProtectionKey};

    const ALICE: &str = "sip:alice@example.com";
    const BOB: &str = "sip:bob@example.com";
    const KMS: &str = "kms.example.com";
    let tpk = || TicketProtectionKey::new(b"fuzz-tpk", &[0x44; 32]).unwrap();
    let party = |seed: u64, own: &str, peer: Option<&str>, with_kms: bool| {
        let mut config = Config::with_sources(Method::Ticket, clock.clone(), TestRng::seeded(seed)).unwrap();
        config.set_identities(Some(own), peer).unwrap();
        if with_kms {
            config.set_psk(PSK).unwrap();
            config.set_ticket_kms(KMS).unwrap();
        } else {
            config.add_ticket_protection_key(tpk()).unwrap();
        }
        config
    };
    let mut seeds = Vec::new();
    let mut alice = Session::new(&party(51, ALICE, Some(BOB), false), Role::Initiator).unwrap();
    alice.add_srtp_stream(0x0102_0304, 0).unwrap();
    seeds.push(("mikey_ticket_mode4_transfer_init", alice.create_message().unwrap()));

    let mut kms = KmsConfig::new(KMS.as_bytes()).unwrap();
    kms.add_tpk(tpk()).unwrap();
    kms.add_client(ALICE.as_bytes(), PSK).unwrap();
    kms.add_client(BOB.as_bytes(), PSK).unwrap();
    kms.set_clock(clock.clone());
    kms.set_rng(TestRng::seeded(52));
    let kms = Kms::new(kms).unwrap();
    let mut alice = Session::new(&party(53, ALICE, Some(BOB), true), Role::Initiator).unwrap();
    let mut bob = Session::new(&party(54, BOB, None, true), Role::Responder).unwrap();
    alice.add_srtp_stream(0x0102_0304, 0).unwrap();
    let request = alice.create_message().unwrap();
    let issued = kms.process_message(&request).unwrap();
    assert_eq!(alice.process_message(&issued).unwrap(), None);
    let transfer = alice.create_message().unwrap();
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    let resolved = kms.process_message(&resolve).unwrap();
    let answer = bob.process_message(&resolved).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    seeds.extend([
        ("mikey_ticket_mode1_request_init", request),
        ("mikey_ticket_mode1_request_resp", issued),
        ("mikey_ticket_mode1_transfer_init", transfer),
        ("mikey_ticket_mode1_resolve_init", resolve),
        ("mikey_ticket_mode1_resolve_resp", resolved),
        ("mikey_ticket_mode1_transfer_resp", answer),
    ]);
    seeds
}
