//! `mikey`: the command-line companion of libmikey.
//!
//! `mikey decode` prints every payload and field of a MIKEY message by its RFC name, as text or
//! JSON, from hex, base64, an SDP body or `a=key-mgmt` line, an RTSP `KeyMgmt` header, raw
//! bytes or a packet capture; for a malformed message it names the part, its offset and the rule
//! broken, and exits 1. `mikey keys` prints only the SRTP keys of PSK and NULL messages.
//! `mikey respond` and `mikey initiate` run one exchange over UDP port 2269; `mikey kms` runs a
//! MIKEY-TICKET KMS (RFC 6043) on UDP for their ticket exchanges.

mod capture;
mod describe;
mod input;
mod keys;
mod kms;
mod net;

use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mikey::wire::{DecodeOptions, Message, MessagePart};

#[derive(Parser)]
#[command(name = "mikey", version, about = "Inspect MIKEY (RFC 3830) messages, and run exchanges and a MIKEY-TICKET KMS over UDP", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the messages come from and how to print them.
#[derive(Args)]
struct Source {
    /// The message, a file holding it, or - for standard input.
    input: String,
    /// Print JSON (one object per message) instead of text.
    #[arg(long)]
    json: bool,
    /// Accept one byte after the last payload (some cameras pad).
    #[arg(long)]
    allow_trailing_byte: bool,
}

/// How to open the messages' keys.
#[derive(Args)]
struct KeyArgs {
    /// The pre-shared key (hex) of a MIKEY-PSK I_MESSAGE: its KEMAC is decrypted, and `decode`
    /// prints the TGK or TEK it carried, then the SRTP master key and salt of every crypto
    /// session (`keys`: those alone).
    #[arg(long, value_name = "HEX", conflicts_with = "null")]
    psk: Option<String>,
    /// Print the SRTP keys of a MIKEY-NULL I_MESSAGE (GStreamer, Live555, RTSP cameras), which
    /// carries them in clear.
    #[arg(long)]
    null: bool,
    /// Interop switches for --psk and --null, as the C API's MIKEY_INTEROP_* bits (e.g. 9 for
    /// GStreamer's SP layout and concatenated TEK).
    #[arg(long, value_name = "BITS", default_value_t = 0)]
    interop: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Decode MIKEY messages and print every payload and field by its RFC name.
    ///
    /// The input is a MIKEY message as hex (spaces and colons allowed), base64, a whole SDP body
    /// (every a=key-mgmt:mikey line is decoded), one a=key-mgmt line or its value
    /// "mikey <base64>", an RTSP KeyMgmt header, a GStreamer caps string with a mikey field, a
    /// file of raw message bytes, or a pcap or pcapng capture (MIKEY on port 2269, and SDP in
    /// SIP, over UDP or TCP; TCP streams are reassembled). Key material is printed only with
    /// --psk or --null. Exit status: 0 when every message decodes (and its keys open, when
    /// asked), 1 when one does not, 2 when the input cannot be read.
    #[command(
        after_help = "Examples:\n  mikey decode 'a=key-mgmt:mikey AQAFgPr...'\n  mikey decode --json offer.sdp\n  \
                      mikey decode --psk 00112233445566778899aabbccddeeff call.pcapng"
    )]
    Decode {
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Print only the libsrtp-ready SRTP keys (master key and salt, SSRC, ROC, profile, MKI) of
    /// every crypto session of MIKEY-PSK (--psk) or MIKEY-NULL (--null) I_MESSAGEs, from any
    /// input `mikey decode` takes, a GStreamer caps string included.
    #[command(
        after_help = "Example:\n  mikey keys --null --interop 9 'application/x-srtp, mikey=(string)\"AQAF...\"'"
    )]
    Keys {
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Answer one MIKEY I_MESSAGE over UDP (port 2269, RFC 5197 §6) and print the SRTP keys.
    ///
    /// With --method ticket the I_MESSAGE is a TRANSFER_INIT: unless a --tpk opens its ticket,
    /// the responder resolves the ticket at the KMS (--kms, --kms-id, --psk; RFC 6043 §4.2.3)
    /// before it answers.
    #[command(
        after_help = "Examples:\n  mikey respond --method psk --psk 00112233445566778899aabbccddeeff --ssrc 0x2222\n  \
                      mikey respond --method ticket --id sip:bob@example.org --kms 127.0.0.1:2270 \\\n    \
                      --kms-id kms.example.org --psk 0f0e0d0c0b0a09080706050403020100 --listen 127.0.0.1:2269"
    )]
    Respond {
        #[command(flatten)]
        peer: net::Peer,
        /// The UDP address to listen on.
        #[arg(long, value_name = "ADDRESS", default_value = "0.0.0.0:2269")]
        listen: std::net::SocketAddr,
        /// Our SRTP streams' SSRCs (fill the offer's SSRC 0 placeholders), comma-separated.
        #[arg(long, value_name = "SSRC", value_delimiter = ',', value_parser = parse_ssrc)]
        ssrc: Vec<u32>,
    },
    /// Send a MIKEY I_MESSAGE over UDP, take the answer, and print the SRTP keys.
    ///
    /// With --method ticket the I_MESSAGE is a TRANSFER_INIT carrying a ticket: from the KMS
    /// (--kms, --kms-id, --psk; RFC 6043 §4.2.1) first, or sealed under our own --tpk.
    #[command(
        after_help = "Examples:\n  mikey initiate --method psk --psk 00112233445566778899aabbccddeeff --ssrc 0x1111 127.0.0.1:2269\n  \
                      mikey initiate --method ticket --id sip:alice@example.org --peer-id sip:bob@example.org \\\n    \
                      --kms 127.0.0.1:2270 --kms-id kms.example.org --psk 00112233445566778899aabbccddeeff \\\n    \
                      --ssrc 0x1111 127.0.0.1:2269"
    )]
    Initiate {
        #[command(flatten)]
        peer: net::Peer,
        /// The responder's UDP address.
        to: std::net::SocketAddr,
        /// Our SRTP streams' SSRCs, comma-separated (at least one).
        #[arg(long, value_name = "SSRC", value_delimiter = ',', value_parser = parse_ssrc, required = true)]
        ssrc: Vec<u32>,
    },
    /// Run a MIKEY-TICKET KMS (RFC 6043) on UDP: answer Ticket Requests and Ticket Resolves.
    ///
    /// Each message is one datagram, answered to its sender. One line per answered exchange
    /// names the client, the exchange and the result, never a key; a message that gets no answer
    /// (it does not decode, or does not authenticate, RFC 6043 §5.4) is logged on standard error
    /// with the reason. The KMS runs until killed, or until it has answered --count messages.
    #[command(after_help = "Example:\n  mikey kms --listen 127.0.0.1:2270 --id kms.example.org \\\n    \
                      --tpk kms-tpk:000102030405060708090a0b0c0d0e0f \\\n    \
                      --client sip:alice@example.org:00112233445566778899aabbccddeeff \\\n    \
                      --client sip:bob@example.org:0f0e0d0c0b0a09080706050403020100")]
    Kms(kms::KmsArgs),
}

/// An SSRC in decimal or 0x-hex.
fn parse_ssrc(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not an SSRC (decimal or 0x-hex, 32 bits)"))
}

/// What `mikey decode` shows besides the fields: the keys, by which method.
struct KeyRequest {
    method: mikey::Method,
    psk: Option<Vec<u8>>,
    interop: u32,
}

impl KeyArgs {
    /// The request, none when neither --psk nor --null was given, or an error for a PSK that
    /// is not hex.
    fn request(self) -> Result<Option<KeyRequest>, String> {
        let KeyArgs { psk, null, interop } = self;
        Ok(match (psk, null) {
            (Some(psk), _) => {
                let psk = input::hex_bytes(&psk).ok_or("--psk takes the key in hex")?;
                Some(KeyRequest { method: mikey::Method::Psk, psk: Some(psk), interop })
            }
            (None, true) => Some(KeyRequest { method: mikey::Method::Null, psk: None, interop }),
            (None, false) => None,
        })
    }
}

fn main() -> ExitCode {
    let (source, keys, show_fields) = match Cli::parse().command {
        Command::Decode { source, keys } => (source, keys, true),
        Command::Keys { source, keys } => (source, keys, false),
        Command::Respond { peer, listen, ssrc } => return exchange_status(net::respond(&peer, listen, &ssrc)),
        Command::Initiate { peer, to, ssrc } => return exchange_status(net::initiate(&peer, to, &ssrc)),
        Command::Kms(kms) => return exchange_status(kms::serve(&kms)),
    };
    let request = match keys.request() {
        Ok(Some(request)) => Some(request),
        Ok(None) if show_fields => None,
        Ok(None) => {
            eprintln!("mikey keys: give the message's method: --psk HEX or --null");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("mikey: {error}");
            return ExitCode::from(2);
        }
    };
    let options = DecodeOptions { allow_trailing_padding_byte: source.allow_trailing_byte };
    decode(&source.input, source.json, options, request.as_ref(), show_fields)
}

/// The exit status of an exchange (or a KMS): 0 when keyed (done), 1 with the reason on standard
/// error.
fn exchange_status(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mikey: {error}");
            ExitCode::from(1)
        }
    }
}

/// The bytes of `input`: standard input for `-`, a file's content when it names one, else the
/// argument itself.
fn read_input(input: &str) -> std::io::Result<Vec<u8>> {
    if input == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    if std::path::Path::new(input).is_file() {
        return std::fs::read(input);
    }
    Ok(input.as_bytes().to_vec())
}

/// Decodes every message of `input` and prints its fields (when `show_fields`) and keys (when
/// asked); the exit status tells whether all went well.
fn decode(input: &str, json: bool, options: DecodeOptions, keys: Option<&KeyRequest>, show_fields: bool) -> ExitCode {
    let messages = match read_input(input).map_err(|error| error.to_string()).and_then(|bytes| input::messages(&bytes))
    {
        Ok(messages) => messages,
        Err(error) => {
            eprintln!("mikey decode: {error}");
            return ExitCode::from(2);
        }
    };
    let mut all_valid = true;
    let mut json_items = Vec::new();
    for (source, bytes) in &messages {
        match Message::decode_located(bytes, options) {
            Ok((message, length)) => {
                let tree = describe::message(&message, length);
                let exported = keys.map(|request| {
                    keys::exported(&bytes[..length], &message, request.method, request.psk.as_deref(), request.interop)
                });
                if matches!(exported, Some(Err(_))) {
                    all_valid = false;
                }
                if json {
                    let keys_json = match &exported {
                        None => String::new(),
                        Some(Ok(exported)) if show_fields => format!(
                            ",\"key_material\":{},\"srtp_keys\":{}",
                            keys::key_material_json(exported),
                            keys::to_json(&exported.srtp_keys)
                        ),
                        Some(Ok(exported)) => format!(",\"srtp_keys\":{}", keys::to_json(&exported.srtp_keys)),
                        Some(Err(error)) => format!(",\"keys_error\":{}", describe::json_string(error)),
                    };
                    let fields_json =
                        if show_fields { format!(",\"message\":{}", tree.to_json()) } else { String::new() };
                    json_items.push(format!(
                        "{{\"source\":{},\"valid\":true{fields_json}{keys_json}}}",
                        describe::json_string(source),
                    ));
                } else {
                    println!("# {source}");
                    if show_fields {
                        print!("{}", tree.to_text());
                    }
                    match &exported {
                        None => {}
                        Some(Ok(exported)) => {
                            if show_fields {
                                print!("{}", keys::key_material_text(exported));
                            }
                            print!("{}", keys::to_text(&exported.srtp_keys));
                        }
                        Some(Err(error)) => println!("no keys: {error}"),
                    }
                }
            }
            Err(failure) => {
                all_valid = false;
                let part = match failure.part {
                    MessagePart::CommonHeader => "the common header".to_owned(),
                    MessagePart::Payload(payload_type) => format!("the {payload_type:?} payload"),
                    MessagePart::UnknownPayload(code) => format!("a payload of unknown type {code}"),
                    MessagePart::AfterLastPayload => "the bytes after the last payload".to_owned(),
                };
                let text = format!(
                    "malformed: {part} at offset {} of {} bytes: {}",
                    failure.offset,
                    bytes.len(),
                    failure.error.context()
                );
                if json {
                    json_items.push(format!(
                        "{{\"source\":{},\"valid\":false,\"offset\":{},\"part\":{},\"error\":{}}}",
                        describe::json_string(source),
                        failure.offset,
                        describe::json_string(&part),
                        describe::json_string(failure.error.context())
                    ));
                } else {
                    println!("# {source}");
                    println!("{text}");
                }
            }
        }
    }
    if json {
        println!("[{}]", json_items.join(","));
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
