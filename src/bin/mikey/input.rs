//! The MIKEY messages in what the user gives `mikey decode`: raw bytes, hex, base64, an SDP
//! body or its `a=key-mgmt` line (RFC 4567 §3.1), an RTSP `KeyMgmt` header (§3.2), or a packet
//! capture (`capture.rs`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

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
    if lower.contains("key-mgmt:") || lower.starts_with("mikey ") {
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| line.to_ascii_lowercase().contains("key-mgmt:") || is_bare_value(line))
            .collect();
        return lines
            .iter()
            .enumerate()
            .map(|(index, line)| {
                mikey::sdp::key_mgmt_decode(line.trim())
                    .map(|message| (format!("SDP key-mgmt attribute {}", index + 1), message))
                    .map_err(|error| format!("{}: {}", line.trim(), error.context()))
            })
            .collect();
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

/// The messages of every `a=key-mgmt` line (or bare `mikey <base64>` value) of `text`, each
/// labelled after `origin`.
fn sdp_messages(text: &str, origin: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    text.lines()
        .filter(|line| line.to_ascii_lowercase().contains("key-mgmt:") || is_bare_value(line))
        .enumerate()
        .map(|(index, line)| {
            mikey::sdp::key_mgmt_decode(line.trim())
                .map(|message| (format!("{origin}SDP key-mgmt attribute {}", index + 1), message))
                .map_err(|error| format!("{origin}{}: {}", line.trim(), error.context()))
        })
        .collect()
}

/// The messages of a capture: UDP port 2269 payloads, and SDP key-mgmt lines in other UDP
/// datagrams (SIP).
fn capture_messages(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut found = Vec::new();
    for datagram in crate::capture::datagrams(input)? {
        let origin =
            format!("frame {} (UDP {} -> {}), ", datagram.frame, datagram.source_port, datagram.destination_port);
        if [datagram.source_port, datagram.destination_port].contains(&crate::capture::MIKEY_PORT) {
            found.push((format!("{origin}MIKEY over UDP"), datagram.payload));
        } else if let Ok(text) = std::str::from_utf8(&datagram.payload) {
            if text.to_ascii_lowercase().contains("key-mgmt:") {
                found.extend(sdp_messages(text, &origin)?);
            }
        }
    }
    if found.is_empty() {
        return Err("no MIKEY message in the capture (UDP port 2269, or SDP key-mgmt in UDP)".to_owned());
    }
    Ok(found)
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
