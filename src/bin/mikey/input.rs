//! The MIKEY messages in what the user gives `mikey decode`: raw bytes, hex, base64, an SDP
//! body or its `a=key-mgmt` line (RFC 4567 §3.1), an RTSP `KeyMgmt` header (§3.2), or a packet
//! capture (`capture.rs`).

use std::ops::Range;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mikey::wire::{DecodeOptions, Message, MessagePart};

use crate::capture::{Flow, Transport, MIKEY_PORT};

/// The messages found in `input`, each with where it came from; an error names what could not
/// be read.
pub fn messages(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    if crate::capture::is_capture(input) {
        return capture_messages(input);
    }
    let Ok(text) = std::str::from_utf8(input) else {
        // Not text: the message itself, as a capture tool saves it.
        return Ok(vec![("raw bytes".to_owned(), input.to_vec())]);
    };
    let text = text.trim();
    if text.is_empty() {
        return Err("the input is empty".to_owned());
    }
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find(CAPS_FIELD) {
        return caps_message(&text[at + CAPS_FIELD.len()..])
            .map(|message| vec![("GStreamer caps".to_owned(), message)]);
    }
    if lower.starts_with("keymgmt") || lower.contains("prot=mikey") {
        let specs = mikey::sdp::rtsp_key_mgmt_decode(text).map_err(|error| error.context().to_owned())?;
        return Ok(specs
            .into_iter()
            .map(|spec| (format!("RTSP KeyMgmt, uri {}", spec.uri.as_deref().unwrap_or("(request URI)")), spec.message))
            .collect());
    }
    if lower.contains(KEY_MGMT) || lower.starts_with("mikey ") {
        return sdp_messages(text.as_bytes(), |_| String::new());
    }
    if let Some(bytes) = hex_bytes(text) {
        return Ok(vec![("hex".to_owned(), bytes)]);
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map(|bytes| vec![("base64".to_owned(), bytes)])
        .map_err(|error| format!("the input is neither hex, base64, SDP nor an RTSP KeyMgmt header ({error})"))
}

/// The field of GStreamer's SRTP caps that holds the MIKEY message in base64.
const CAPS_FIELD: &str = "mikey=(string)";

/// The message of a caps field value: base64, quoted or not, up to the next field.
fn caps_message(value: &str) -> Result<Vec<u8>, String> {
    let value = value.trim_start();
    let base64 = match value.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => value.split([',', ';']).next().unwrap_or_default(),
    };
    // Inside caps, GStreamer may escape characters with a backslash.
    let base64: String = base64.chars().filter(|c| *c != '\\' && !c.is_ascii_whitespace()).collect();
    STANDARD.decode(base64).map_err(|error| format!("the caps' mikey field is not base64 ({error})"))
}

/// The messages of every `a=key-mgmt` line (or bare `mikey <base64>` value) in `bytes` (text,
/// lines that are not UTF-8 skipped), each labelled after `origin` of the line's byte range.
fn sdp_messages(bytes: &[u8], origin: impl Fn(Range<usize>) -> String) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut found = Vec::new();
    let mut line_start = 0;
    for raw_line in bytes.split_inclusive(|&byte| byte == b'\n') {
        let range = line_start..line_start + raw_line.len();
        line_start = range.end;
        let Ok(line) = std::str::from_utf8(raw_line) else { continue };
        if !(line.to_ascii_lowercase().contains(KEY_MGMT) || is_bare_value(line)) {
            continue;
        }
        let origin = origin(range);
        let message = mikey::sdp::key_mgmt_decode(line.trim())
            .map_err(|error| format!("{origin}{}: {}", line.trim(), error.context()))?;
        found.push((format!("{origin}SDP key-mgmt attribute {}", found.len() + 1), message));
    }
    Ok(found)
}

/// The messages of a capture: those of every UDP datagram and TCP stream to or from port 2269,
/// and the SDP key-mgmt lines of SIP in any other.
fn capture_messages(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let flows = crate::capture::flows(input)?;
    let mut found = Vec::new();
    for flow in &flows {
        found.extend(flow_messages(flow)?);
    }
    if found.is_empty() {
        let cut = match flows.iter().filter(|flow| flow.cut_at_gap).count() {
            0 => String::new(),
            1 => "; a TCP stream stops at a missing segment".to_owned(),
            count => format!("; {count} TCP streams stop at a missing segment"),
        };
        return Err(format!("no MIKEY message in the capture (port 2269, or SDP key-mgmt in SIP; UDP or TCP){cut}"));
    }
    Ok(found)
}

/// The messages of one flow, labelled with their frames: on port 2269 a UDP datagram is a
/// message and a TCP stream holds messages back to back; elsewhere, SIP's SDP key-mgmt lines.
fn flow_messages(flow: &Flow) -> Result<Vec<(String, Vec<u8>)>, String> {
    if [flow.source_port, flow.destination_port].contains(&MIKEY_PORT) {
        let ranges = match flow.transport {
            Transport::Udp => std::iter::once(0..flow.bytes.len()).collect(),
            Transport::Tcp => back_to_back_messages(&flow.bytes),
        };
        return Ok(ranges
            .into_iter()
            .map(|range| {
                (format!("{}, MIKEY over {}", flow.origin(range.clone()), flow.transport), flow.bytes[range].to_vec())
            })
            .collect());
    }
    if !flow.bytes.windows(KEY_MGMT.len()).any(|window| window.eq_ignore_ascii_case(KEY_MGMT.as_bytes())) {
        return Ok(Vec::new());
    }
    sdp_messages(&flow.bytes, |range| format!("{}, ", flow.origin(range)))
}

/// The SDP attribute that carries key-management messages, lower case (RFC 4567 §3.1).
const KEY_MGMT: &str = "key-mgmt:";

/// The byte ranges of the MIKEY messages of a TCP stream. Nothing frames them (RFC 5197 §6 names
/// the port only): each ends with the payload whose next payload is Last. One that does not
/// decode takes the rest of the stream, so that its error shows.
fn back_to_back_messages(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let length = match Message::decode_located(rest, DecodeOptions::default()) {
            Err(failure) if failure.part == MessagePart::AfterLastPayload && failure.offset > 0 => failure.offset,
            _ => rest.len(),
        };
        ranges.push(start..start + length);
        start += length;
    }
    ranges
}

/// The bytes of hex text (white space and colons allowed, an optional 0x), if it is that.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace() && *c != ':').collect();
    let compact = compact.strip_prefix("0x").unwrap_or(&compact);
    if !compact.len().is_multiple_of(2) || !compact.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..compact.len()).step_by(2).map(|at| u8::from_str_radix(compact.get(at..at + 2)?, 16).ok()).collect()
}

/// A `NAME:HEX` option value (a TPK's identifier or a client's URI, then its key), split at the
/// last colon, since URIs such as sip:alice@example.org hold colons.
pub fn named_key(text: &str) -> Result<(String, Vec<u8>), String> {
    let (name, key) = text.rsplit_once(':').ok_or("takes NAME:HEX, the key in hex after the last colon")?;
    let key = hex_bytes(key).ok_or_else(|| format!("the key of {name:?} is not hex"))?;
    Ok((name.to_owned(), key))
}

/// A bare attribute value, `mikey <base64>`.
fn is_bare_value(line: &str) -> bool {
    line.trim().to_ascii_lowercase().starts_with("mikey ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_gives_the_same_bytes() {
        let bytes = [0x01u8, 0x00, 0x05, 0x00];
        let base64 = STANDARD.encode(bytes);
        for form in [
            "01000500".to_owned(),
            "01 00 05 00\n".to_owned(),
            "01:00:05:00".to_owned(),
            base64.clone(),
            format!("mikey {base64}"),
            format!("a=key-mgmt:mikey {base64}"),
            format!("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\na=key-mgmt:mikey {base64}\r\nm=audio 4000 RTP/SAVP 0\r\n"),
            format!("KeyMgmt: prot=mikey; uri=\"rtsp://cam/stream\"; data=\"{base64}\""),
            format!(
                "application/x-srtp, payload=(int)96, ssrc=(uint)1356955624, mikey=(string)\"{base64}\", roc=(uint)0"
            ),
            format!("application/x-srtp, mikey=(string){base64}, srtp-cipher=(string)aes-128-icm"),
        ] {
            let found = messages(form.as_bytes()).unwrap();
            assert_eq!(found.len(), 1, "{form}");
            assert_eq!(found[0].1, bytes, "{form}");
        }
        assert_eq!(messages(&[0xff, 0x01]).unwrap()[0].1, [0xff, 0x01], "not UTF-8: raw");
        assert!(messages(b"  ").is_err());
        assert!(messages(b"not a message!").is_err());
    }
}
