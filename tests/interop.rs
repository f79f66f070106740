//! Interop with independent implementations (tests/interop/README.md):
//! - every message we emit dissects cleanly in Wireshark's tshark with the values we put in;
//! - every NULL I_MESSAGE we emit parses in GStreamer's libgstsdp with the key we sent;
//! - messages GStreamer builds (as gst-rtsp-server does) establish a responder session with
//!   exactly GStreamer's key and salt.
//!
//! The tools are required: set MIKEY_SKIP_INTEROP=1 to skip on a machine without tshark and
//! the GStreamer development files (CI installs them).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{
    config, pki, signing_config, streamwide_user_config, streamwide_vectors, TestClock, NTP_2026, STREAMWIDE_T,
};
use mikey::mcptt::{McpttKey, McpttPeer};
use mikey::wire::{KeyDataList, Message, Payload};
use mikey::{InteropFlags, Method, Role, Session, SrtpPolicy, SrtpProfile};
use serde_json::Value;

fn skip() -> bool {
    std::env::var_os("MIKEY_SKIP_INTEROP").is_some()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Runs tshark on `message`; asserts a clean dissection and returns the JSON report.
fn tshark(message: &[u8]) -> Value {
    let output = Command::new("python3")
        .arg(interop_dir().join("tshark_mikey.py"))
        .arg(hex(message))
        .output()
        .expect("python3 runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("tshark_mikey.py prints JSON");
    assert_eq!(report["ok"], Value::Bool(true), "tshark: {report}");
    assert_eq!(report["length"].as_u64(), Some(message.len() as u64));
    report
}

/// The hex of the bytes `pick` takes from each payload of `message` that has them, in order.
fn hex_of_each<'m, 'a>(message: &'m Message<'a>, pick: impl Fn(&'m Payload<'a>) -> Option<&'m [u8]>) -> Vec<String> {
    message.payloads.iter().filter_map(pick).map(hex).collect()
}

fn raw_field(report: &Value, name: &str) -> Vec<String> {
    report["fields_raw"][name]
        .as_array()
        .map(|values| values.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

/// Asserts that tshark saw our header, payload chain and CS map.
fn assert_dissected_as(message: &[u8]) -> Value {
    let report = tshark(message);
    let decoded = Message::decode(message).unwrap();
    assert_eq!(raw_field(&report, "mikey.type"), [format!("{:02x}", decoded.header.data_type.code())]);
    assert_eq!(raw_field(&report, "mikey.csb_id"), [format!("{:08x}", decoded.header.csb_id)]);
    let mut chain: Vec<String> = decoded.payloads.iter().map(|p| format!("{:02x}", p.payload_type().code())).collect();
    chain.push("00".into());
    if decoded.payloads.iter().any(|p| matches!(p, Payload::Sign(_))) {
        chain.pop();
    }
    assert_eq!(raw_field(&report, "mikey.next_payload"), chain, "payload chain");
    if let mikey::wire::CsIdMap::SrtpId(entries) = &decoded.header.cs_id_map {
        let ssrcs: Vec<String> = entries.entries().map(|e| format!("{:08x}", e.ssrc)).collect();
        assert_eq!(raw_field(&report, "mikey.srtp_id.ssrc"), ssrcs);
    }
    report
}

static GST_TOOL: OnceLock<PathBuf> = OnceLock::new();

fn gst_tool() -> &'static PathBuf {
    GST_TOOL.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gst_mikey");
        let status =
            Command::new("bash").arg(interop_dir().join("build_gst_mikey.sh")).arg(&path).status().expect("bash runs");
        assert!(status.success(), "building the GStreamer helper failed (libgstreamer-plugins-base1.0-dev?)");
        path
    })
}

fn gst(args: &[&str]) -> Value {
    let output = Command::new(gst_tool()).args(args).output().expect("gst_mikey runs");
    assert!(output.status.code().is_some(), "gst_mikey was killed (GStreamer hang?): {:?}", output.status);
    let report: Value = serde_json::from_slice(&output.stdout).expect("gst_mikey prints JSON");
    assert_eq!(report["ok"], Value::Bool(true), "GStreamer: {report}");
    report
}

/// Every message kind the library emits for PSK and NULL: I, R and error messages.
fn emitted_messages() -> Vec<(&'static str, Vec<u8>)> {
    let clock = TestClock::at(NTP_2026);
    let mut out = Vec::new();
    for method in [Method::Psk, Method::Null] {
        let mut initiator_config = config(method, &clock, 21);
        initiator_config.set_request_verification(true).unwrap();
        initiator_config.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
        initiator_config.set_srtp_policy(SrtpPolicy { mki_len: 4, ..Default::default() }).unwrap();
        let mut responder_config = config(method, &clock, 22);
        responder_config.set_identities(Some("sip:bob@example.com"), None).unwrap();
        let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
        let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
        initiator.add_srtp_stream(0x0102_0304, 0).unwrap();
        initiator.add_srtp_stream(0x0A0B_0C0D, 3).unwrap();
        let i_message = initiator.create_message().unwrap();
        let r_message = responder.process_message(&i_message).unwrap().unwrap();
        out.push((if method == Method::Psk { "PSK I_MESSAGE" } else { "NULL I_MESSAGE" }, i_message));
        out.push((if method == Method::Psk { "PSK R_MESSAGE" } else { "NULL R_MESSAGE" }, r_message));
    }
    // DH-HMAC (RFC 4650): I and R messages with DH payloads in OAKLEY 5.
    let mut initiator_config = config(Method::DhHmac, &clock, 25);
    initiator_config.set_identities(Some("sip:alice@example.com"), Some("sip:bob@example.com")).unwrap();
    let mut responder_config = config(Method::DhHmac, &clock, 26);
    responder_config.set_identities(Some("sip:bob@example.com"), Some("sip:alice@example.com")).unwrap();
    let mut initiator = Session::new(&initiator_config, Role::Initiator).unwrap();
    let mut responder = Session::new(&responder_config, Role::Responder).unwrap();
    initiator.add_srtp_stream(0x0102_0304, 0).unwrap();
    let i_message = initiator.create_message().unwrap();
    let r_message = responder.process_message(&i_message).unwrap().unwrap();
    out.push(("DH-HMAC I_MESSAGE", i_message));
    out.push(("DH-HMAC R_MESSAGE", r_message));
    // DH-SIGN (RFC 3830 §3.3), PK (§3.2) and RSA-R (RFC 4738): CERT chains, SIGN, and for PK
    // and RSA-R the KEMAC and PKE (PK with V).
    let signer = |method: Method, who: &str, peer: &str, seed: u64| {
        let mut settings = signing_config(method, who, peer, &clock, seed);
        settings.set_peer_certificate(&pki(&format!("{peer}.crt.pem"))).unwrap();
        settings.set_request_verification(true).unwrap();
        settings
    };
    let signed_methods = [
        (Method::DhSign, "DH-SIGN I_MESSAGE", "DH-SIGN R_MESSAGE"),
        (Method::Pk, "PK I_MESSAGE", "PK R_MESSAGE"),
        (Method::RsaR, "RSA-R I_MESSAGE", "RSA-R R_MESSAGE"),
    ];
    for (method, i_name, r_name) in signed_methods {
        let mut initiator = Session::new(&signer(method, "alice", "bob", 27), Role::Initiator).unwrap();
        let mut responder = Session::new(&signer(method, "bob", "alice", 28), Role::Responder).unwrap();
        initiator.add_srtp_stream(0x0102_0304, 0).unwrap();
        let i_message = initiator.create_message().unwrap();
        let r_message = responder.process_message(&i_message).unwrap().unwrap();
        if method == Method::RsaR {
            // RFC 4738 §3.5: error no 13 for an offer that does not parse.
            let truncated = &i_message[..i_message.len() - 1];
            let rejection = Session::new(&signer(method, "bob", "alice", 29), Role::Responder)
                .unwrap()
                .process_message(truncated)
                .unwrap_err();
            out.push(("RSA-R error message 13", rejection.response.unwrap()));
            // RFC 4738 §3.2: a group key server's answer, with GenExt(CSB_ID) and the group RAND.
            let mut server = signer(method, "bob", "alice", 30);
            server.set_rsa_r_group(0x0600_0D5E, &[(0x0A0A_0A0A, 0)]).unwrap();
            let group_answer =
                Session::new(&server, Role::Responder).unwrap().process_message(&i_message).unwrap().unwrap();
            out.push(("RSA-R group R_MESSAGE", group_answer));
        }
        out.push((i_name, i_message));
        out.push((r_name, r_message));
    }
    // An error message: a PSK message to a responder with another key.
    let mut initiator = Session::new(&config(Method::Psk, &clock, 23), Role::Initiator).unwrap();
    initiator.add_srtp_stream(5, 0).unwrap();
    let mut wrong = config(Method::Psk, &clock, 24);
    wrong.set_psk(b"another key, 32 bytes long......").unwrap();
    let rejection =
        Session::new(&wrong, Role::Responder).unwrap().process_message(&initiator.create_message().unwrap());
    out.push(("error message", rejection.unwrap_err().response.unwrap()));
    out
}

#[test]
fn tshark_dissects_every_emitted_message_with_our_values() {
    if skip() {
        return;
    }
    for (what, message) in emitted_messages() {
        let report = assert_dissected_as(&message);
        let decoded = Message::decode(&message).unwrap();
        let data_type = format!("{:02x}", decoded.header.data_type.code());
        assert_eq!(raw_field(&report, "mikey.type"), [data_type], "{what}");
        if let Some(kemac) = decoded.find(Payload::as_kemac) {
            // tshark shows encrypted key data as bytes, and dissects NULL-encrypted key data.
            let shown = if kemac.encryption_algorithm == 0 { "mikey.key.data" } else { "mikey.kemac.key_data" };
            let expected: Vec<String> = if kemac.encryption_algorithm == 0 {
                let keys = KeyDataList::decode(&kemac.encrypted_data, false).unwrap();
                keys.keys.iter().map(|key| hex(key.key.expose())).collect()
            } else {
                vec![hex(&kemac.encrypted_data)]
            };
            assert_eq!(raw_field(&report, shown), expected, "{what}");
            assert_eq!(raw_field(&report, "mikey.kemac.mac"), [hex(&kemac.mac)], "{what}");
            assert_eq!(raw_field(&report, "mikey.kemac.encr_alg"), [format!("{:02x}", kemac.encryption_algorithm)]);
        }
        if let Some(v) = decoded.find(Payload::as_verification) {
            let shown = raw_field(&report, "mikey.v.ver_data");
            assert_eq!(shown.first().map(String::as_str).unwrap_or(""), hex(&v.mac), "{what}");
        }
        let extensions: Vec<(String, String)> = decoded
            .payloads
            .iter()
            .filter_map(Payload::as_general_extension)
            .map(|extension| (format!("{:02x}", extension.ext_type), hex(&extension.data)))
            .collect();
        let shown: Vec<(String, String)> =
            raw_field(&report, "mikey.ext.type").into_iter().zip(raw_field(&report, "mikey.ext.data")).collect();
        assert_eq!(shown, extensions, "{what}");
        let error_codes: Vec<String> =
            decoded.payloads.iter().filter_map(Payload::as_error).map(|err| format!("{:02x}", err.code)).collect();
        assert_eq!(raw_field(&report, "mikey.err.no"), error_codes, "{what}");
        if let Some(Payload::Sign(signature)) = decoded.payloads.last() {
            assert_eq!(raw_field(&report, "mikey.sign.data"), [hex(&signature.data)], "{what}");
            let certificates = hex_of_each(&decoded, |payload| match payload {
                Payload::Cert(cert) => Some(&*cert.data),
                _ => None,
            });
            assert_eq!(raw_field(&report, "mikey.cert.data"), certificates, "{what}");
        }
        let envelopes = hex_of_each(&decoded, |payload| match payload {
            Payload::Pke(pke) => Some(&*pke.data),
            _ => None,
        });
        assert_eq!(raw_field(&report, "mikey.pke.data"), envelopes, "{what}");
        let dh_values = hex_of_each(&decoded, |payload| payload.as_dh().map(|dh| &*dh.value));
        assert_eq!(raw_field(&report, "mikey.dh.value"), dh_values, "{what}");
        if let Some(rand) = decoded.find(Payload::as_rand) {
            assert_eq!(raw_field(&report, "mikey.rand.data"), [hex(rand)], "{what}");
        }
    }
}

#[test]
fn tshark_sees_the_null_key_data_we_put_in() {
    if skip() {
        return;
    }
    let (_, message) = emitted_messages().into_iter().find(|(what, _)| *what == "NULL I_MESSAGE").unwrap();
    let decoded = Message::decode(&message).unwrap();
    let kemac = decoded.find(Payload::as_kemac).unwrap();
    let keys = KeyDataList::decode(&kemac.encrypted_data, false).unwrap();
    let report = tshark(&message);
    assert_eq!(raw_field(&report, "mikey.key.data"), [hex(keys.keys[0].key.expose())]);
    assert_eq!(raw_field(&report, "mikey.key.salt"), [hex(keys.keys[0].salt.as_ref().unwrap().expose())]);
    assert_eq!(raw_field(&report, "mikey.key.kv.spi"), [hex(&[0, 0, 0, 1])]);
}

#[test]
fn tshark_flags_a_truncated_message() {
    if skip() {
        return;
    }
    let (_, message) = emitted_messages().remove(0);
    let output = Command::new("python3")
        .arg(interop_dir().join("tshark_mikey.py"))
        .arg(hex(&message[..message.len() - 3]))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the checker must be able to fail");
}

/// A NULL initiator configured for GStreamer peers.
fn gstreamer_facing_initiator(profile: SrtpProfile, ssrcs: &[u32]) -> (Session, Vec<u8>) {
    let clock = TestClock::at(NTP_2026);
    let mut settings = config(Method::Null, &clock, 31);
    settings.set_srtp_policy(SrtpPolicy { profile, ..Default::default() }).unwrap();
    settings.set_interop(InteropFlags::GSTREAMER_SP_LAYOUT | InteropFlags::TEK_WITH_CONCATENATED_SALT).unwrap();
    let mut initiator = Session::new(&settings, Role::Initiator).unwrap();
    for ssrc in ssrcs {
        initiator.add_srtp_stream(*ssrc, 0).unwrap();
    }
    let message = initiator.create_message().unwrap();
    (initiator, message)
}

#[test]
fn gstreamer_parses_our_null_messages_and_takes_our_key() {
    if skip() {
        return;
    }
    for (profile, cipher, auth) in [
        (SrtpProfile::AesCm128HmacSha1_80, "aes-128-icm", "hmac-sha1-80"),
        (SrtpProfile::AesCm128HmacSha1_32, "aes-128-icm", "hmac-sha1-32"),
        (SrtpProfile::AesCm256HmacSha1_80, "aes-256-icm", "hmac-sha1-80"),
    ] {
        let (initiator, message) = gstreamer_facing_initiator(profile, &[0x1111_2222, 0x3333_4444]);
        let report = gst(&["parse", &hex(&message)]);
        assert_eq!(report["reencoded_equal"], Value::Bool(true), "{report}");
        assert_eq!(report["cs"][1]["ssrc"].as_u64(), Some(0x3333_4444));
        let keys = initiator.export_srtp(1).unwrap();
        let mut key_and_salt = keys.master_key.expose().to_vec();
        key_and_salt.extend_from_slice(keys.master_salt.expose());
        let caps = &report["to_caps"];
        assert_eq!(caps["srtp-key"].as_str(), Some(hex(&key_and_salt).as_str()), "{profile:?}: {report}");
        assert_eq!(caps["srtp-cipher"].as_str(), Some(cipher));
        assert_eq!(caps["srtp-auth"].as_str(), Some(auth));
    }
    // The RFC layout (TEK+SALT, tag length parameter) parses too; GStreamer 1.22 drops the salt.
    let clock = TestClock::at(NTP_2026);
    let mut initiator = Session::new(&config(Method::Null, &clock, 32), Role::Initiator).unwrap();
    initiator.add_srtp_stream(77, 0).unwrap();
    let report = gst(&["parse", &hex(&initiator.create_message().unwrap())]);
    assert_eq!(report["reencoded_equal"], Value::Bool(true), "{report}");
}

#[test]
fn gstreamer_messages_establish_a_responder_with_gstreamer_s_key() {
    if skip() {
        return;
    }
    let key_128 = "00112233445566778899aabbccddeeff".to_owned() + "0102030405060708090a0b0c0d0e";
    let key_256 =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".to_owned() + "a0a1a2a3a4a5a6a7a8a9aaabacad";
    for (args, profile) in [
        (vec!["make", "--key", &key_128, "12345", "67890"], SrtpProfile::AesCm128HmacSha1_80),
        (vec!["make", "--key", &key_128, "--auth", "hmac-sha1-32", "4242"], SrtpProfile::AesCm128HmacSha1_32),
        (vec!["make", "--key", &key_256, "--cipher", "aes-256-icm", "7"], SrtpProfile::AesCm256HmacSha1_80),
    ] {
        let made = gst(&args);
        let message = unhex(made["message"].as_str().unwrap());
        // GStreamer stamps the message with the real time: use the system clock here.
        let mut responder = Session::new(&mikey::Config::new(Method::Null).unwrap(), Role::Responder).unwrap();
        assert_eq!(responder.process_message(&message).unwrap(), None, "GStreamer does not ask for V");
        let ssrcs = made["ssrcs"].as_array().unwrap();
        assert_eq!(responder.cs_count(), ssrcs.len());
        for (index, ssrc) in ssrcs.iter().enumerate() {
            let keys = responder.export_srtp(index as u8 + 1).unwrap();
            assert_eq!(keys.ssrc as u64, ssrc.as_u64().unwrap());
            assert_eq!(hex(keys.master_key.expose()), made["key"].as_str().unwrap());
            assert_eq!(hex(keys.master_salt.expose()), made["salt"].as_str().unwrap());
            assert_eq!(keys.policy.profile, profile);
        }
    }
}

/// Wireshark 4.0 does not know the GENERIC-ID map (RFC 6043 §6.1.1): it reports a message with
/// one malformed, or a wrong payload chain ending in stray bytes, never a clean reading.
fn assert_wireshark_misreads_the_generic_id_map(bytes: &[u8]) {
    let output = Command::new("python3").arg(interop_dir().join("tshark_mikey.py")).arg(hex(bytes)).output();
    let report: Value = serde_json::from_slice(&output.expect("python3 runs").stdout).unwrap();
    assert_eq!(report["ok"], Value::Bool(false), "Wireshark now reads GENERIC-ID maps: {report}");
}

/// What Wireshark 4.0 makes of real MIKEY-SAKKE I_MESSAGEs (the Streamwide vectors): it knows
/// data type 26, IDR, SAKKE and SIGN, and dissects the PCK (empty CS ID map) and the legacy GMK
/// (SRTP-ID map) messages with our payload chain and the SAKKE and IDR fields we decode. It does
/// not know the GENERIC-ID map (RFC 6043 §6.1.1) that GMK and CSK messages use, reads the map
/// as payloads and reports the message malformed or with stray bytes: that is Wireshark's gap,
/// recorded here so a newer Wireshark that fixes it shows up.
#[test]
fn tshark_reads_mikey_sakke_messages_except_the_generic_id_map() {
    if skip() {
        return;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/mikey_sakke_streamwide_e2e.json");
    let vectors: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let bytes = unhex(case["i_message_hex"].as_str().unwrap());
        let message = Message::decode(&bytes).unwrap();
        if matches!(message.header.cs_id_map, mikey::wire::CsIdMap::GenericId(_)) {
            assert_wireshark_misreads_the_generic_id_map(&bytes);
            continue;
        }
        let report = assert_dissected_as(&bytes);
        let sakke = message.find(Payload::as_sakke).unwrap();
        assert_eq!(raw_field(&report, "mikey.sakke.data"), [hex(&sakke.data)]);
        let roles: Vec<String> = message
            .payloads
            .iter()
            .filter_map(Payload::as_id_with_role)
            .map(|idr| format!("{:02x}", idr.role))
            .collect();
        assert_eq!(raw_field(&report, "mikey.id.role"), roles);
    }
}

/// Our own MIKEY-SAKKE I_MESSAGEs in Wireshark 4.0: the PCK message (empty CS ID map) dissects
/// cleanly with our payload chain, IDR roles 8, 9, 6, 7, SAKKE data and the key parameters
/// extension; the GMK message's GENERIC-ID map it does not know, as with Streamwide's.
#[test]
fn tshark_reads_our_mikey_sakke_messages_except_the_generic_id_map() {
    if skip() {
        return;
    }
    let vectors = streamwide_vectors();
    let clock = TestClock::at(STREAMWIDE_T);
    let alice = streamwide_user_config(&vectors, "Alice", &clock, 0);
    for (key_id, expect_clean) in [(0x1000_0042, true), (0x0123_4567, false)] {
        let mut initiator = Session::new(&alice, Role::Initiator).unwrap();
        initiator.set_mcptt_key(McpttKey::new(key_id, &[0x42; 16]).unwrap()).unwrap();
        initiator.set_mcptt_peer(McpttPeer { uri: "sip:bob@streamwide.com".into(), kms_uri: None }).unwrap();
        let bytes = initiator.create_message().unwrap();
        let message = Message::decode(&bytes).unwrap();
        if !expect_clean {
            assert_wireshark_misreads_the_generic_id_map(&bytes);
            continue;
        }
        let report = assert_dissected_as(&bytes);
        let sakke = message.find(Payload::as_sakke).unwrap();
        assert_eq!(raw_field(&report, "mikey.sakke.data"), [hex(&sakke.data)]);
        assert_eq!(raw_field(&report, "mikey.id.role"), ["08", "09", "06", "07"]);
    }
}

/// The next-payload fields of `message` Wireshark 4.0 reads: the header's and each payload's, up
/// to and including that of the first payload it has no dissector for (RFC 6043's TR 13, RANDR
/// 15, TP 16 and TICKET 17; it knows IDR 14), where its reading stops.
fn chain_wireshark_4_0_reads(message: &Message<'_>) -> Vec<String> {
    let codes: Vec<u8> = message.payloads.iter().map(|payload| payload.payload_type().code()).chain([0]).collect();
    let stop = codes.iter().position(|code| matches!(code, 13 | 15 | 16 | 17)).map_or(codes.len(), |at| at + 2);
    codes[..stop.min(codes.len())].iter().map(|code| format!("{code:02x}")).collect()
}

/// What Wireshark 4.0 makes of our MIKEY-TICKET messages (RFC 6043), recorded so a newer one shows
/// up: it knows none of data types 11-18, nor TR, RANDR, TP and TICKET, nor PRF func 1 (which
/// tshark shows as unknown values, without an error); in the messages with the empty CS ID map
/// (Request, Resolve, the KMS's answers) it reads our header and our chain up to the first
/// payload it does not know, cleanly. The Transfer messages' GENERIC-ID map it does not know
/// either: those it only has to survive.
#[test]
fn tshark_reads_mikey_ticket_messages_as_far_as_wireshark_4_0_knows_them() {
    if skip() {
        return;
    }
    use mikey::{Config, Kms, KmsConfig, TicketProtectionKey};
    let clock = TestClock::at(NTP_2026);
    let mut kms_config = KmsConfig::new(b"kms.example.org").unwrap();
    kms_config.add_tpk(TicketProtectionKey::new(b"tpk", &[3; 32]).unwrap()).unwrap();
    kms_config.add_client(b"sip:alice@example.org", &[0xA1; 32]).unwrap();
    kms_config.add_client(b"sip:bob@example.org", &[0xB0; 32]).unwrap();
    kms_config.set_clock(clock.clone());
    let kms = Kms::new(kms_config).unwrap();
    let party = |own: &str, peer: Option<&str>, psk: &[u8]| {
        let mut config = Config::with_sources(Method::Ticket, clock.clone(), common::TestRng::seeded(9)).unwrap();
        config.set_identities(Some(own), peer).unwrap();
        config.set_psk(psk).unwrap();
        config.set_ticket_kms("kms.example.org").unwrap();
        config
    };
    let mut alice =
        Session::new(&party("sip:alice@example.org", Some("sip:bob@example.org"), &[0xA1; 32]), Role::Initiator)
            .unwrap();
    let mut bob = Session::new(&party("sip:bob@example.org", None, &[0xB0; 32]), Role::Responder).unwrap();
    alice.add_srtp_stream(0x0A0B_0C0D, 0).unwrap();
    let request = alice.create_message().unwrap();
    let issued = kms.process_message(&request).unwrap();
    alice.process_message(&issued).unwrap();
    let transfer = alice.create_message().unwrap();
    let resolve = bob.process_message(&transfer).unwrap().unwrap();
    let resolved = kms.process_message(&resolve).unwrap();
    let answer = bob.process_message(&resolved).unwrap().unwrap();
    alice.process_message(&answer).unwrap();
    for message in [&request, &issued, &resolve, &resolved] {
        let report = tshark(message);
        let decoded = Message::decode(message).unwrap();
        assert_eq!(raw_field(&report, "mikey.type"), [format!("{:02x}", decoded.header.data_type.code())]);
        assert_eq!(raw_field(&report, "mikey.csb_id"), [format!("{:08x}", decoded.header.csb_id)]);
        let chain = chain_wireshark_4_0_reads(&decoded);
        assert_eq!(raw_field(&report, "mikey.next_payload"), chain, "the chain up to a payload 4.0 does not know");
    }
    for message in [&transfer, &answer] {
        let output = Command::new("python3").arg(interop_dir().join("tshark_mikey.py")).arg(hex(message)).output();
        let report: Value = serde_json::from_slice(&output.expect("python3 runs").stdout).unwrap();
        assert_eq!(report["mikey_present"], Value::Bool(true), "tshark survives the GENERIC-ID map: {report}");
    }
}
