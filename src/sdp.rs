//! RFC 4567 transport helpers: the SDP `a=key-mgmt:mikey <base64>` attribute value (§3.1) and
//! the RTSP `KeyMgmt` header (§3.2).
//!
//! The §3.2 ABNF omits the data parameter (RFC 4567 erratum); deployed stacks (GStreamer,
//! Live555) write `prot=mikey; uri="..."; data="<base64>"`, which is what this module writes
//! and reads.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

/// The protocol identifier of MIKEY (RFC 4567 §9).
pub const MIKEY_PRTCL_ID: &str = "mikey";

/// The value of an SDP `a=key-mgmt` attribute carrying `message`: `mikey <base64>`.
pub fn key_mgmt_encode(message: &[u8]) -> String {
    format!("{MIKEY_PRTCL_ID} {}", STANDARD.encode(message))
}

/// The MIKEY message in an SDP key-mgmt attribute value. Accepts the value alone
/// (`mikey AQAF...`), with the `a=key-mgmt:` or `key-mgmt:` prefix, and surrounding white space.
pub fn key_mgmt_decode(value: &str) -> Result<Vec<u8>> {
    let value = value.trim();
    let value = value.strip_prefix("a=").unwrap_or(value);
    let value = value.strip_prefix("key-mgmt:").unwrap_or(value).trim_start();
    let (protocol, data) =
        value.split_once(' ').ok_or_else(|| Error::malformed("key-mgmt value is not \"<prtcl-id> <data>\""))?;
    if !protocol.eq_ignore_ascii_case(MIKEY_PRTCL_ID) {
        return Err(Error::unsupported(format!("key management protocol {protocol:?} is not MIKEY")));
    }
    decode_base64(data.trim())
}

/// One MIKEY `key-mgmt-spec` of an RTSP KeyMgmt header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtspKeyMgmt {
    /// The session or media URI the keys apply to (`None`: the request URI).
    pub uri: Option<String>,
    /// The MIKEY message.
    pub message: Vec<u8>,
}

/// The value of an RTSP `KeyMgmt` header: `prot=mikey; uri="<uri>"; data="<base64>"`.
pub fn rtsp_key_mgmt_encode(message: &[u8], uri: Option<&str>) -> Result<String> {
    let mut value = format!("prot={MIKEY_PRTCL_ID}; ");
    if let Some(uri) = uri {
        if uri.contains(['"', '\r', '\n']) {
            return Err(Error::invalid_argument("an RTSP URI cannot contain quotes or line breaks"));
        }
        value.push_str(&format!("uri=\"{uri}\"; "));
    }
    value.push_str(&format!("data=\"{}\"", STANDARD.encode(message)));
    Ok(value)
}

/// The MIKEY specs of an RTSP `KeyMgmt` header value (or the whole header line); specs of
/// other protocols are skipped. Fails when no MIKEY spec with data is present.
pub fn rtsp_key_mgmt_decode(value: &str) -> Result<Vec<RtspKeyMgmt>> {
    let value = value.trim();
    let value = match value.split_once(':') {
        Some((name, rest)) if name.trim().eq_ignore_ascii_case("KeyMgmt") => rest,
        _ => value,
    };
    let mut specs = Vec::new();
    for spec in split_outside_quotes(value, ',') {
        let mut protocol = None;
        let mut uri = None;
        let mut data = None;
        for parameter in split_outside_quotes(spec, ';') {
            let parameter = parameter.trim();
            if parameter.is_empty() {
                continue;
            }
            let (name, raw) = parameter
                .split_once('=')
                .ok_or_else(|| Error::malformed(format!("KeyMgmt parameter {parameter:?} has no value")))?;
            let unquoted = raw.trim().strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(raw.trim());
            match name.trim().to_ascii_lowercase().as_str() {
                "prot" => protocol = Some(unquoted.to_owned()),
                "uri" => uri = Some(unquoted.to_owned()),
                "data" => data = Some(unquoted.to_owned()),
                _ => {}
            }
        }
        if protocol.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(MIKEY_PRTCL_ID)) {
            let data = data.ok_or_else(|| Error::malformed("MIKEY KeyMgmt spec without data"))?;
            specs.push(RtspKeyMgmt { uri, message: decode_base64(&data)? });
        }
    }
    if specs.is_empty() {
        return Err(Error::malformed("no MIKEY spec in the KeyMgmt header"));
    }
    Ok(specs)
}

fn decode_base64(data: &str) -> Result<Vec<u8>> {
    STANDARD.decode(data).map_err(|error| Error::malformed(format!("key-mgmt data is not base64: {error}")))
}

/// Splits at `separator` where it is not inside double quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (index, character) in text.char_indices() {
        if character == '"' {
            quoted = !quoted;
        } else if character == separator && !quoted {
            parts.push(&text[start..index]);
            start = index + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn sdp_value_round_trips_with_and_without_prefix() {
        let message = [1u8, 0, 5, 0, 0xFF, 0xFE];
        let value = key_mgmt_encode(&message);
        assert_eq!(value, "mikey AQAFAP/+");
        assert_eq!(key_mgmt_decode(&value).unwrap(), message);
        assert_eq!(key_mgmt_decode(&format!("a=key-mgmt:{value}\r\n")).unwrap(), message);
        assert_eq!(key_mgmt_decode(&format!("key-mgmt: {value}")).unwrap(), message);
    }

    #[test]
    fn sdp_value_errors() {
        assert_eq!(key_mgmt_decode("mikey").unwrap_err().kind(), ErrorKind::Malformed);
        assert_eq!(key_mgmt_decode("kerberos AQAF").unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(key_mgmt_decode("mikey AQA*").unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn rtsp_header_round_trips_and_skips_other_protocols() {
        let value = rtsp_key_mgmt_encode(&[1, 2, 3], Some("rtsp://cam/stream;a=1,b")).unwrap();
        assert_eq!(value, "prot=mikey; uri=\"rtsp://cam/stream;a=1,b\"; data=\"AQID\"");
        let header = format!("KeyMgmt: prot=other; data=\"AA==\", {value}");
        let specs = rtsp_key_mgmt_decode(&header).unwrap();
        assert_eq!(specs, vec![RtspKeyMgmt { uri: Some("rtsp://cam/stream;a=1,b".into()), message: vec![1, 2, 3] }]);
        let no_uri = rtsp_key_mgmt_decode(&rtsp_key_mgmt_encode(&[9], None).unwrap()).unwrap();
        assert_eq!(no_uri[0].uri, None);
    }

    #[test]
    fn rtsp_header_errors() {
        assert_eq!(rtsp_key_mgmt_decode("prot=mikey; uri=\"x\"").unwrap_err().kind(), ErrorKind::Malformed);
        assert_eq!(rtsp_key_mgmt_decode("prot=other; data=\"AA==\"").unwrap_err().kind(), ErrorKind::Malformed);
        assert!(rtsp_key_mgmt_encode(&[1], Some("bad\"uri")).is_err());
    }
}
