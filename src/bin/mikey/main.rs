//! `mikey`: the command-line companion of libmikey.
//!
//! `mikey decode` prints every payload and field of a MIKEY message by its RFC name, as text or
//! JSON, from hex, base64, an SDP body or `a=key-mgmt` line, an RTSP `KeyMgmt` header, raw
//! bytes or a packet capture; for a malformed message it names the part, its offset and the rule
//! broken, and exits 1.

mod capture;
mod describe;
mod input;
mod keys;

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mikey::wire::{DecodeOptions, Message, MessagePart};

#[derive(Parser)]
#[command(name = "mikey", version, about = "Inspect MIKEY (RFC 3830) messages", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode MIKEY messages and print every payload and field by its RFC name.
    ///
    /// The input is a MIKEY message as hex (spaces and colons allowed), base64, a whole SDP body
    /// (every a=key-mgmt:mikey line is decoded), one a=key-mgmt line or its value
    /// "mikey <base64>", an RTSP KeyMgmt header, a file of raw message bytes, or a pcap or
    /// pcapng capture (UDP port 2269, and SDP in SIP over UDP). Key material is
    /// never printed. Exit status: 0 when every message decodes, 1 when one does not, 2 when the
    /// input cannot be read.
    #[command(
        after_help = "Examples:\n  mikey decode 'a=key-mgmt:mikey AQAFgPr...'\n  mikey decode --json capture.sdp\n  \
                            tshark -T fields -e mikey ... | mikey decode -"
    )]
    Decode {
        /// The message, a file holding it, or - for standard input.
        input: String,
        /// Print JSON (one object per message) instead of text.
        #[arg(long)]
        json: bool,
        /// Accept one byte after the last payload (some cameras pad).
        #[arg(long)]
        allow_trailing_byte: bool,
        /// The pre-shared key (hex) of a MIKEY-PSK I_MESSAGE: its KEMAC is decrypted and the
        /// SRTP master key and salt of every crypto session are printed.
        #[arg(long, value_name = "HEX", conflicts_with = "null")]
        psk: Option<String>,
        /// Print the SRTP keys of a MIKEY-NULL I_MESSAGE (GStreamer, Live555, RTSP cameras),
        /// which carries them in clear.
        #[arg(long)]
        null: bool,
        /// Interop switches for --psk and --null, as the C API's MIKEY_INTEROP_* bits (e.g. 9
        /// for GStreamer's SP layout and concatenated TEK).
        #[arg(long, value_name = "BITS", default_value_t = 0)]
        interop: u32,
    },
}

/// What `mikey decode` shows besides the fields: the keys, by which method.
struct KeyRequest {
    method: mikey::Method,
    psk: Option<Vec<u8>>,
    interop: u32,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode { input, json, allow_trailing_byte, psk, null, interop } => {
            let keys = match (psk, null) {
                (Some(psk), _) => match input::hex_bytes(&psk) {
                    Some(psk) => Some(KeyRequest { method: mikey::Method::Psk, psk: Some(psk), interop }),
                    None => {
                        eprintln!("mikey decode: --psk takes the key in hex");
                        return ExitCode::from(2);
                    }
                },
                (None, true) => Some(KeyRequest { method: mikey::Method::Null, psk: None, interop }),
                (None, false) => None,
            };
            decode(&input, json, DecodeOptions { allow_trailing_padding_byte: allow_trailing_byte }, keys.as_ref())
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

fn decode(input: &str, json: bool, options: DecodeOptions, keys: Option<&KeyRequest>) -> ExitCode {
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
                        Some(Ok(exported)) => format!(",\"srtp_keys\":{}", keys::to_json(exported)),
                        Some(Err(error)) => format!(",\"keys_error\":{}", describe::json_string(error)),
                    };
                    json_items.push(format!(
                        "{{\"source\":{},\"valid\":true,\"message\":{}{keys_json}}}",
                        describe::json_string(source),
                        tree.to_json()
                    ));
                } else {
                    println!("# {source}");
                    print!("{}", tree.to_text());
                    match &exported {
                        None => {}
                        Some(Ok(exported)) => print!("{}", keys::to_text(exported)),
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
