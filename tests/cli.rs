//! The `mikey` command-line tool (feature `cli`): `mikey decode` on a real message (minisip's
//! PSK I_MESSAGE, tests/vectors/minisip), in each input form, as text and JSON, and on broken
//! messages, whose part, offset and rule it must name.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::UdpSocket;
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

fn minisip_i_message_hex() -> String {
    let vector: Value =
        serde_json::from_str(include_str!("vectors/minisip/psk/exchange-1.json")).expect("the vector is JSON");
    vector["i_message_hex"].as_str().expect("i_message_hex").to_owned()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

fn mikey(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mikey"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mikey runs");
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn decode_names_every_payload_of_a_minisip_psk_message_in_every_input_form() {
    let hex = minisip_i_message_hex();
    let base64 = STANDARD.encode(unhex(&hex));
    let sdp =
        format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=key-mgmt:mikey {base64}\r\nm=audio 49170 RTP/SAVP 0\r\n");
    let rtsp = format!("KeyMgmt: prot=mikey; uri=\"rtsp://192.0.2.1/stream\"; data=\"{base64}\"");
    let forms = [
        (hex.clone(), None),
        (base64.clone(), None),
        (format!("a=key-mgmt:mikey {base64}"), None),
        (rtsp, None),
        ("-".to_owned(), Some(sdp.into_bytes())),
    ];
    for (argument, stdin) in forms {
        let output = mikey(&["decode", &argument], stdin.as_deref());
        let text = stdout(&output);
        assert!(output.status.success(), "{argument}: {text}{}", String::from_utf8_lossy(&output.stderr));
        for expected in [
            "HDR (RFC 3830 §6.1)",
            "data type: Pre-shared (0)",
            "CSB ID: 0x9d3599bb",
            "CS ID map type: SRTP-ID (0)",
            "SSRC: 0xb72b7057",
            "T (RFC 3830 §6.6)",
            "RAND: c183e5633f06cb380c677d5d72eacf50",
            "SP (RFC 3830 §6.10)",
            "Type: Encryption algorithm (0)",
            "KEMAC (RFC 3830 §6.2)",
            "MAC alg: HMAC-SHA-1-160 (1)",
        ] {
            assert!(text.contains(expected), "{argument}: no {expected:?} in\n{text}");
        }
    }
}

#[test]
fn decode_json_is_one_object_per_message() {
    let output = mikey(&["decode", "--json", &minisip_i_message_hex()], None);
    assert!(output.status.success());
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let message = &report[0];
    assert_eq!(message["valid"], true);
    assert_eq!(message["source"], "hex");
    let parts: Vec<&str> =
        message["message"]["fields"].as_array().unwrap().iter().map(|part| part["name"].as_str().unwrap()).collect();
    assert_eq!(
        parts,
        [
            "HDR (RFC 3830 §6.1)",
            "T (RFC 3830 §6.6)",
            "SP (RFC 3830 §6.10)",
            "RAND (RFC 3830 §6.11)",
            "KEMAC (RFC 3830 §6.2)"
        ]
    );
}

#[test]
fn decode_names_the_part_offset_and_rule_of_a_broken_message() {
    let hex = minisip_i_message_hex();
    let bytes = unhex(&hex);
    // Cut inside the last payload (the KEMAC's MAC).
    let truncated: String = hex[..hex.len() - 10].to_owned();
    let output = mikey(&["decode", &truncated], None);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("malformed: the Kemac payload at offset"), "{text}");
    // A byte after the last payload: refused, accepted with --allow-trailing-byte.
    let padded = format!("{hex}00");
    let output = mikey(&["decode", "--json", &padded], None);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report[0]["offset"], bytes.len());
    assert_eq!(report[0]["part"], "the bytes after the last payload");
    assert!(mikey(&["decode", "--allow-trailing-byte", &padded], None).status.success());
    // A broken common header: version 2.
    let output = mikey(&["decode", &format!("02{}", &hex[2..])], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("the common header at offset 0"), "{}", stdout(&output));
    // Input that is no message at all.
    let output = mikey(&["decode", "neither hex nor base64!"], None);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn decode_with_the_psk_prints_the_srtp_keys_the_vector_gives() {
    let vector: Value = serde_json::from_str(include_str!("vectors/minisip/psk/exchange-1.json")).unwrap();
    let message = vector["i_message_hex"].as_str().unwrap();
    let psk = vector["inputs"]["psk_hex"].as_str().unwrap();
    let first = &vector["crypto_sessions"][0];
    // RFC 3830's PRF by default, minisip's with its interop bit (MIKEY_INTEROP_MINISIP_PRF).
    for (interop, key, salt) in [
        ("0", &first["master_key_rfc3830_hex"], &first["master_salt_rfc3830_hex"]),
        ("64", &first["master_key_hex"], &first["master_salt_hex"]),
    ] {
        let output = mikey(&["decode", "--json", "--psk", psk, "--interop", interop, message], None);
        assert!(output.status.success(), "{}", stdout(&output));
        let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let keys = &report[0]["srtp_keys"][0];
        assert_eq!((&keys["master_key"], &keys["master_salt"]), (key, salt), "interop {interop}");
        // The TGK the KEMAC carried, as minisip chose it.
        let material = &report[0]["key_material"];
        assert_eq!(
            (&material["kind"], &material["key"], &material["salt"]),
            (&Value::from("TGK"), &vector["tgk_hex"], &Value::from(""))
        );
        assert_eq!(keys["ssrc"], 0xb72b7057u32);
    }
    let text = stdout(&mikey(&["decode", "--psk", psk, message], None));
    let tgk = vector["tgk_hex"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "Key material (KEMAC key data, RFC 3830 §4.1.3)\n  key type: TGK\n  TGK: {tgk}\n  salt: none\n"
        )),
        "{text}"
    );
    // `keys` prints the SRTP keys alone.
    let keys_only = stdout(&mikey(&["keys", "--psk", psk, message], None));
    assert!(!keys_only.contains(tgk) && keys_only.contains("master key"), "{keys_only}");
    // A wrong PSK: the fields still print, the keys are refused, and the exit status says so.
    let output = mikey(&["decode", "--psk", "00112233445566778899aabbccddeeff", message], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("no keys: refused"), "{}", stdout(&output));
}

/// A MIKEY-NULL I_MESSAGE made by the library for one stream, and the keys it sent.
fn null_offer(ssrc: u32, roc: u32) -> (Vec<u8>, mikey::SrtpKeys) {
    use mikey::{Config, Method, Role, Session};
    let config = Config::new(Method::Null).unwrap();
    let mut initiator = Session::new(&config, Role::Initiator).unwrap();
    initiator.add_srtp_stream(ssrc, roc).unwrap();
    let message = initiator.create_message().unwrap();
    (message, initiator.export_srtp(1).unwrap())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn decode_null_prints_the_keys_a_mikey_null_initiator_sent() {
    let (message, sent) = null_offer(0x1234_5678, 7);
    let output = mikey(&["decode", "--json", "--null", &STANDARD.encode(&message)], None);
    assert!(output.status.success(), "{}", stdout(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let keys = &report[0]["srtp_keys"][0];
    assert_eq!(keys["master_key"], hex(sent.master_key.expose()));
    assert_eq!(keys["master_salt"], hex(sent.master_salt.expose()));
    assert_eq!((&keys["ssrc"], &keys["roc"]), (&Value::from(0x1234_5678u32), &Value::from(7)));
    // MIKEY-NULL carries the TEK and salt themselves.
    let material = &report[0]["key_material"];
    assert_eq!(material["kind"], "TEK+SALT");
    assert_eq!((&material["key"], &material["salt"]), (&keys["master_key"], &keys["master_salt"]));
    // Without --null, the KEMAC's clear keys are not shown.
    let plain = stdout(&mikey(&["decode", &STANDARD.encode(&message)], None));
    assert!(plain.contains("keys in clear (not shown)"), "{plain}");
    assert!(!plain.contains(&hex(sent.master_key.expose())), "{plain}");
}

/// The IP version of a test frame: IPv4 from 192.0.2.1 to 192.0.2.2, or IPv6 from 2001:db8::1
/// to 2001:db8::2.
#[derive(Clone, Copy)]
enum Ip {
    V4,
    V6,
}

/// An Ethernet frame carrying `transport` (a UDP or TCP header and payload) in an IP packet of
/// `protocol`.
fn ip_frame(ip: Ip, protocol: u8, transport: &[u8]) -> Vec<u8> {
    let length = transport.len() as u16;
    let (ether_type, mut frame) = match ip {
        Ip::V4 => {
            let total_len = (20 + length).to_be_bytes();
            let mut header = vec![0x45, 0, total_len[0], total_len[1], 0, 1, 0x40, 0, 64, protocol, 0, 0];
            header.extend([192, 0, 2, 1, 192, 0, 2, 2]);
            ([0x08, 0x00], header)
        }
        Ip::V6 => {
            let mut header = vec![0x60, 0, 0, 0];
            header.extend(length.to_be_bytes());
            header.extend([protocol, 64]);
            for last in [1, 2] {
                header.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);
            }
            ([0x86, 0xdd], header)
        }
    };
    frame.splice(0..0, [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, ether_type[0], ether_type[1]]);
    frame.extend(transport);
    frame
}

/// An Ethernet frame carrying `payload` in UDP/IPv4 between the ports.
fn udp_frame(source_port: u16, destination_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut datagram = source_port.to_be_bytes().to_vec();
    datagram.extend(destination_port.to_be_bytes());
    datagram.extend((8 + payload.len() as u16).to_be_bytes());
    datagram.extend([0, 0]);
    datagram.extend(payload);
    ip_frame(Ip::V4, 17, &datagram)
}

/// TCP header flags: SYN, and PSH with ACK for data.
const SYN: u8 = 0x02;
const PSH_ACK: u8 = 0x18;

/// An Ethernet frame carrying `payload` in a TCP segment between the ports, with `sequence`
/// and `flags`.
fn tcp_frame(ip: Ip, ports: [u16; 2], sequence: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = ports[0].to_be_bytes().to_vec();
    segment.extend(ports[1].to_be_bytes());
    segment.extend(sequence.to_be_bytes());
    // Acknowledgment number 1, a 20-byte header, the flags, window 65535.
    segment.extend([0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    segment.extend(payload);
    ip_frame(ip, 6, &segment)
}

/// A little-endian pcap file of Ethernet `frames`.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
    for frame in frames {
        let len = (frame.len() as u32).to_le_bytes();
        file.extend([0; 8]);
        file.extend(len);
        file.extend(len);
        file.extend(frame);
    }
    file
}

/// A big-endian pcapng file of Ethernet `frames` (one section, one interface).
fn pcapng(frames: &[Vec<u8>]) -> Vec<u8> {
    let block = |block_type: u32, body: &[u8]| {
        let padded = body.len().div_ceil(4) * 4;
        let length = (12 + padded) as u32;
        let mut out = block_type.to_be_bytes().to_vec();
        out.extend(length.to_be_bytes());
        out.extend(body);
        out.resize(8 + padded, 0);
        out.extend(length.to_be_bytes());
        out
    };
    let mut file =
        block(0x0a0d0d0a, &[0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    file.extend(block(1, &[0, 1, 0, 0, 0, 0, 0xff, 0xff]));
    for frame in frames {
        let mut body = vec![0; 12];
        body.extend((frame.len() as u32).to_be_bytes());
        body.extend((frame.len() as u32).to_be_bytes());
        body.extend(frame);
        file.extend(block(6, &body));
    }
    file
}

/// Writes `capture` to `path`, decodes it, checks that every message in it is valid, and
/// returns where each came from.
fn valid_message_sources(path: &std::path::Path, capture: &[u8]) -> Vec<String> {
    std::fs::write(path, capture).unwrap();
    let output = mikey(&["decode", "--json", path.to_str().unwrap()], None);
    let report = format!("{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{report}");
    let decoded: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let items = decoded.as_array().unwrap();
    assert!(items.iter().all(|item| item["valid"] == true), "{report}");
    items.iter().map(|item| item["source"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn decode_finds_the_messages_of_a_capture_on_port_2269_and_in_sip() {
    let message = unhex(&minisip_i_message_hex());
    let sip = format!(
        "INVITE sip:bob@example.org SIP/2.0\r\nContent-Type: application/sdp\r\n\r\nv=0\r\na=key-mgmt:mikey {}\r\n",
        STANDARD.encode(&message)
    );
    let frames =
        [udp_frame(40000, 2269, &message), udp_frame(5060, 5060, sip.as_bytes()), udp_frame(5004, 5006, b"rtp")];
    let directory = std::env::temp_dir().join(format!("mikey-cli-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for (name, file) in [("capture.pcap", pcap(&frames)), ("capture.pcapng", pcapng(&frames))] {
        assert_eq!(
            valid_message_sources(&directory.join(name), &file),
            ["frame 1 (UDP 40000 -> 2269), MIKEY over UDP", "frame 2 (UDP 5060 -> 5060), SDP key-mgmt attribute 1"],
            "{name}"
        );
    }
    // A capture without MIKEY is an input error.
    let path = directory.join("no-mikey.pcap");
    std::fs::write(&path, pcap(&frames[2..])).unwrap();
    assert_eq!(mikey(&["decode", path.to_str().unwrap()], None).status.code(), Some(2));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn decode_reassembles_tcp_streams_for_mikey_on_port_2269_and_sip() {
    // Two messages back to back on TCP 2269, in three segments cut inside each message, sent
    // out of order with a retransmission; the sequence numbers wrap after the SYN.
    let first = unhex(&minisip_i_message_hex());
    let (second, _) = null_offer(0x1234_5678, 0);
    let stream = [first.clone(), second].concat();
    let (cut_a, cut_b) = (100, first.len() + 20);
    let syn = 0xffff_ff80u32;
    let mikey_segment = |from: usize, to: usize| {
        tcp_frame(Ip::V4, [40000, 2269], syn.wrapping_add(1 + from as u32), PSH_ACK, &stream[from..to])
    };
    // SIP over TCP (IPv6, Content-Length as RFC 3261 §18.3 asks), the key-mgmt line cut
    // between two segments.
    let sdp = format!("v=0\r\na=key-mgmt:mikey {}\r\n", STANDARD.encode(&first));
    let sip = format!(
        "INVITE sip:bob@example.org SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let sip_cut = sip.find("key-mgmt").unwrap() + 20;
    let frames = [
        tcp_frame(Ip::V4, [40000, 2269], syn, SYN, b""),
        mikey_segment(cut_a, cut_b),
        mikey_segment(0, cut_a),
        mikey_segment(0, cut_a),
        mikey_segment(cut_b, stream.len()),
        tcp_frame(Ip::V6, [40001, 5060], 7000, PSH_ACK, &sip.as_bytes()[..sip_cut]),
        tcp_frame(Ip::V6, [40001, 5060], 7000 + sip_cut as u32, PSH_ACK, &sip.as_bytes()[sip_cut..]),
    ];
    let directory = std::env::temp_dir().join(format!("mikey-cli-tcp-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for (name, file) in [("tcp.pcap", pcap(&frames)), ("tcp.pcapng", pcapng(&frames))] {
        assert_eq!(
            valid_message_sources(&directory.join(name), &file),
            [
                "frames 2-3 (TCP 40000 -> 2269), MIKEY over TCP",
                "frames 2, 5 (TCP 40000 -> 2269), MIKEY over TCP",
                "frames 6-7 (TCP 40001 -> 5060), SDP key-mgmt attribute 1"
            ],
            "{name}"
        );
    }
    // Without the first segment, the stream has no usable byte, and the error says why.
    let path = directory.join("gap.pcap");
    std::fs::write(&path, pcap(&[frames[0].clone(), frames[1].clone(), frames[4].clone()])).unwrap();
    let output = mikey(&["decode", path.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("a TCP stream stops at a missing segment"));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn keys_prints_only_the_keys_of_a_caps_string() {
    let (message, sent) = null_offer(0x0bad_cafe, 0);
    let caps = format!(
        "application/x-srtp, ssrc=(uint)195939070, mikey=(string)\"{}\", roc=(uint)0",
        STANDARD.encode(&message)
    );
    let output = mikey(&["keys", "--json", "--null", &caps], None);
    assert!(output.status.success(), "{}", stdout(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report[0]["source"], "GStreamer caps");
    assert!(report[0].get("message").is_none(), "keys prints no fields");
    assert_eq!(report[0]["srtp_keys"][0]["master_key"], hex(sent.master_key.expose()));
    assert_eq!(report[0]["srtp_keys"][0]["ssrc"], 0x0bad_cafeu32);
    // keys needs the method.
    assert_eq!(mikey(&["keys", &caps], None).status.code(), Some(2));
}

/// A `mikey` command listening on an ephemeral UDP port of localhost (`--listen 127.0.0.1:0`),
/// which it names on the first line of its standard error.
struct Listener {
    child: Child,
    stderr: BufReader<ChildStderr>,
    address: String,
}

impl Listener {
    fn start(args: &[&str]) -> Listener {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mikey"))
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mikey runs");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let (_, address) = line.trim().split_once("waiting on UDP ").unwrap_or_else(|| panic!("{args:?}: {line}"));
        Listener { address: address.to_owned(), child, stderr }
    }

    /// Its output once it has exited; killed after 30 s (a KMS whose clients failed waits on).
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Refused once it has exited: nothing to kill.
        let _ = self.child.kill();
        let mut output = self.child.wait_with_output().unwrap();
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        output.stderr = rest.into_bytes();
        output
    }
}

/// Runs `mikey respond` on an ephemeral port and `mikey initiate` against it with the given
/// options; returns both outputs.
fn exchange(method: &str, responder: &[&str], initiator: &[&str]) -> (Output, Output) {
    let respond = Listener::start(&[&["respond", "--json", "--method", method, "--timeout", "20"], responder].concat());
    let initiate = Command::new(env!("CARGO_BIN_EXE_mikey"))
        .args(["initiate", "--json", "--method", method, "--ssrc", "0x1111,0x2222", "--timeout", "20"])
        .args(initiator)
        .arg(&respond.address)
        .output()
        .unwrap();
    (respond.finish(), initiate)
}

/// Checks that both ends of an exchange succeeded and print the same keys, for the
/// initiator's two streams.
fn assert_keyed_alike(case: &str, (responded, initiated): &(Output, Output)) {
    assert!(responded.status.success(), "{case} responder: {}", String::from_utf8_lossy(&responded.stderr));
    assert!(initiated.status.success(), "{case} initiator: {}", String::from_utf8_lossy(&initiated.stderr));
    let keys: Value = serde_json::from_str(&stdout(initiated)).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 2, "{case}: two crypto sessions");
    assert_eq!(keys[0]["ssrc"], 0x1111);
    assert_eq!(stdout(responded), stdout(initiated), "{case}: both ends export the same keys");
}

#[test]
fn respond_and_initiate_key_both_ends_alike_over_udp() {
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pki");
    let directory = std::env::temp_dir().join(format!("mikey-cli-net-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    // Bob's certificate is issued by the intermediate CA: he sends both.
    let bob_chain = directory.join("bob-chain.pem");
    let chain = [
        std::fs::read(format!("{pki}/bob.crt.pem")).unwrap(),
        std::fs::read(format!("{pki}/intermediate.crt.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(&bob_chain, chain).unwrap();
    let (bob_chain, alice_chain) = (bob_chain.to_str().unwrap().to_owned(), format!("{pki}/alice-chain.pem"));
    let (bob_key, alice_key, root, bob_cert) = (
        format!("{pki}/bob.key.pem"),
        format!("{pki}/alice.key.pem"),
        format!("{pki}/root.crt.pem"),
        format!("{pki}/bob.crt.pem"),
    );
    let psk = "00112233445566778899aabbccddeeff";
    let bob = ["--cert", &bob_chain, "--key", &bob_key, "--ca", &root, "--peer-id", "sip:alice@example.com"];
    let alice = ["--cert", &alice_chain, "--key", &alice_key, "--ca", &root, "--peer-id", "sip:bob@example.com"];
    let alice_pk = [&alice[..], &["--peer-cert", &bob_cert]].concat();
    let cases: [(&str, Vec<&str>, Vec<&str>); 5] = [
        ("psk", vec!["--psk", psk], vec!["--psk", psk]),
        (
            "dh-hmac",
            vec!["--psk", psk],
            vec!["--psk", psk, "--id", "sip:alice@example.com", "--peer-id", "sip:bob@example.com"],
        ),
        ("dh-sign", bob.to_vec(), alice.to_vec()),
        ("pk", bob.to_vec(), alice_pk.clone()),
        ("rsa-r", bob.to_vec(), alice.to_vec()),
    ];
    for (method, responder, initiator) in cases {
        assert_keyed_alike(method, &exchange(method, &responder, &initiator));
    }
    // A wrong PSK: the responder refuses and says why.
    let (responded, _) = exchange("psk", &["--psk", psk], &["--psk", "ffeeddccbbaa99887766554433221100"]);
    assert_eq!(responded.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&responded.stderr).contains("refused the I_MESSAGE"));
    std::fs::remove_dir_all(&directory).unwrap();
}

const KMS_ID: &str = "kms.example.org";
const ALICE: &str = "sip:alice@example.org";
const BOB: &str = "sip:bob@example.org";
const ALICE_PSK: &str = "a11ce5a11ce5a11ce5a11ce5a11ce5a1";
const BOB_PSK: &str = "b0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0";
const TPK_KEY: &str = "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e";

/// A ticket exchange through `mikey kms`: the options the KMS and each party add to the
/// common ones, and the exchanges the KMS reports (exchange, client, result).
#[derive(Clone, Copy)]
struct TicketCase<'a> {
    name: &'a str,
    kms: &'a [&'a str],
    responder: &'a [&'a str],
    initiator: &'a [&'a str],
    reported: &'a [(&'a str, &'a str, &'a str)],
}

#[test]
fn ticket_exchanges_go_through_a_kms_over_udp_and_key_both_ends_alike() {
    let tpk = format!("kms-tpk:{TPK_KEY}");
    let (alice_client, bob_client) = (format!("{ALICE}:{ALICE_PSK}"), format!("{BOB}:{BOB_PSK}"));
    let (request, resolve) = (("Ticket Request", ALICE, "ticket issued"), ("Ticket Resolve", BOB, "ticket resolved"));
    let holds_tpk = ["--tpk", &tpk];
    // Mode 1 of RFC 6043 §4.1.1; mode 2, where Bob holds the TPK and resolves nothing unless the
    // keys are forked (I implies E, §6.10).
    let mode_1 = TicketCase { name: "mode 1", kms: &[], responder: &[], initiator: &[], reported: &[request, resolve] };
    let mode_2 = TicketCase {
        name: "mode 2",
        kms: &["--responders-hold-tpk"],
        responder: &holds_tpk,
        initiator: &[],
        reported: &[request],
    };
    let cases = [
        mode_1,
        TicketCase { name: "mode 1, forking", initiator: &["--forking"], ..mode_1 },
        mode_2,
        TicketCase { name: "mode 2, forking", initiator: &["--forking"], reported: &[request, resolve], ..mode_2 },
    ];
    for case in cases {
        let (name, count) = (case.name, case.reported.len().to_string());
        let kms_args = ["kms", "--json", "--count", &count, "--id", KMS_ID, "--tpk", &tpk];
        let clients = ["--client", &alice_client, "--client", &bob_client];
        let kms = Listener::start(&[&kms_args[..], &clients, case.kms].concat());
        // A datagram that is no MIKEY message gets no answer, and is not counted.
        UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"not MIKEY", &kms.address).unwrap();
        let through_kms = ["--kms", &kms.address, "--kms-id", KMS_ID];
        let responder = [&through_kms[..], &["--psk", BOB_PSK, "--id", BOB], case.responder].concat();
        let initiator =
            [&through_kms[..], &["--psk", ALICE_PSK, "--id", ALICE, "--peer-id", BOB], case.initiator].concat();
        let keyed = exchange("ticket", &responder, &initiator);
        let served = kms.finish();
        assert_keyed_alike(name, &keyed);
        let log = String::from_utf8_lossy(&served.stderr);
        assert!(served.status.success(), "{name} KMS: {log}");
        assert!(log.contains("no answer to 9 bytes from 127.0.0.1:"), "{name} KMS: {log}");
        let report = stdout(&served);
        let lines: Vec<Value> = report.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let seen: Vec<(&str, &str, &str)> = lines
            .iter()
            .map(|line| {
                (line["exchange"].as_str().unwrap(), line["client"].as_str().unwrap(), line["result"].as_str().unwrap())
            })
            .collect();
        assert_eq!(seen, case.reported, "{name}: {report}");
        // The KMS never prints a key.
        let keys: Value = serde_json::from_str(&stdout(&keyed.1)).unwrap();
        for secret in [ALICE_PSK, BOB_PSK, TPK_KEY, keys[0]["master_key"].as_str().unwrap()] {
            assert!(!report.contains(secret) && !log.contains(secret), "{name}: {report}{log}");
        }
    }
}

#[test]
fn ticket_mode_4_keys_holders_of_one_tpk_without_a_kms() {
    let tpk = format!("alice-bob-tpk:{TPK_KEY}");
    let alice = ["--tpk", &tpk, "--id", ALICE, "--peer-id", BOB];
    assert_keyed_alike("mode 4", &exchange("ticket", &["--tpk", &tpk, "--id", BOB], &alice));
    // Bob's TPK of that name is another key: he refuses the ticket, and Alice learns it.
    let other = format!("alice-bob-tpk:{}", "5a".repeat(32));
    let (responded, initiated) = exchange("ticket", &["--tpk", &other, "--id", BOB], &alice);
    assert_eq!((responded.status.code(), initiated.status.code()), (Some(1), Some(1)));
    assert!(String::from_utf8_lossy(&responded.stderr).contains("refused the I_MESSAGE"));
    assert!(String::from_utf8_lossy(&initiated.stderr).contains("InvalidTicket"));
}
