//! PEM (RFC 7468) decoding, in safe Rust, for certificates ([`x509`](super::x509)) and for
//! private keys ([`rsa`](super::rsa)).

use base64::Engine;
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// One PEM block (RFC 7468): its label, the decoded bytes (zeroized on drop: it may be a
/// private key) and whether it had RFC 1421 headers (e.g. "Proc-Type: 4,ENCRYPTED").
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: SecretBytes,
    pub(crate) has_headers: bool,
}

/// Splits PEM data into its blocks; `Ok(None)` when `data` is DER (starts with a SEQUENCE tag).
/// Text outside the blocks is ignored, as RFC 7468 §2 allows.
///
/// Errors: `InvalidArgument` for data that is neither DER nor PEM with at least one block, an
/// unterminated block or a body that is not base64.
pub(crate) fn parse_pem(data: &[u8]) -> Result<Option<Vec<PemBlock>>> {
    if data.first() == Some(&0x30) {
        return Ok(None);
    }
    let mut blocks = Vec::new();
    let mut lines = data.split(|&c| c == b'\n').map(|line| line.trim_ascii());
    while let Some(line) = lines.next() {
        let Some(label) = line.strip_prefix(b"-----BEGIN ").and_then(|rest| rest.strip_suffix(b"-----")) else {
            continue;
        };
        if !label.iter().all(|&c| c == b' ' || c.is_ascii_graphic()) {
            return Err(Error::invalid_argument("PEM label is not printable ASCII"));
        }
        let label = String::from_utf8_lossy(label).into_owned();
        // Sized up front (no base64 body is longer than the input), so no reallocation leaves an
        // unwiped copy of a private key's encoding behind.
        let mut body = Vec::with_capacity(data.len());
        let mut has_headers = false;
        let mut ended = false;
        for line in lines.by_ref() {
            if let Some(end) = line.strip_prefix(b"-----END ").and_then(|rest| rest.strip_suffix(b"-----")) {
                if end != label.as_bytes() {
                    body.zeroize();
                    return Err(Error::invalid_argument(format!("PEM block {label} ends with a different label")));
                }
                ended = true;
                break;
            }
            if line.contains(&b':') {
                has_headers = true;
                continue;
            }
            body.extend(line.iter().filter(|c| !c.is_ascii_whitespace()));
        }
        if !ended {
            body.zeroize();
            return Err(Error::invalid_argument(format!("PEM block {label} has no END line")));
        }
        // Decoded into a buffer sized up front, for the same reason.
        let mut der = SecretBytes::zeroed(body.len() / 4 * 3 + 3);
        let decoded = base64::engine::general_purpose::STANDARD.decode_slice(&body, der.expose_mut());
        body.zeroize();
        let len = decoded.map_err(|_| Error::invalid_argument(format!("PEM block {label} is not base64")))?;
        blocks.push(PemBlock { label, der: SecretBytes::from_slice(&der.expose()[..len]), has_headers });
    }
    if blocks.is_empty() {
        return Err(Error::invalid_argument("neither DER nor PEM (no -----BEGIN line)"));
    }
    Ok(Some(blocks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn pem_blocks_labels_headers_and_errors() {
        let text = b"junk before\n-----BEGIN FOO-----\nAAEC\nAw==\n-----END FOO-----\r\n\
            -----BEGIN BAR-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\nBAUG\n-----END BAR-----\n";
        let blocks = parse_pem(text).unwrap().unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "FOO");
        assert_eq!(blocks[0].der.expose(), [0, 1, 2, 3]);
        assert!(!blocks[0].has_headers);
        assert_eq!(blocks[1].label, "BAR");
        assert_eq!(blocks[1].der.expose(), [4, 5, 6]);
        assert!(blocks[1].has_headers);

        assert!(parse_pem(&[0x30, 0x03]).unwrap().is_none(), "DER is passed through");
        for bad in [
            &b""[..],
            b"hello",
            b"-----BEGIN FOO-----\nAAEC\n",
            b"-----BEGIN FOO-----\nAAEC\n-----END BAR-----\n",
            b"-----BEGIN FOO-----\n!!!!\n-----END FOO-----\n",
        ] {
            assert_eq!(parse_pem(bad).err().map(|e| e.kind()), Some(ErrorKind::InvalidArgument), "{bad:?}");
        }
    }
}
