//! The KMS's XML for MIKEY-SAKKE key material (3GPP TS 33.180 Annex D, namespace
//! `urn:3gpp:ns:mcsecKMSInterface:1.0`): a `KmsResponse` carrying a `KmsInit` or `KmsCertCache`
//! (KMS certificates: the community's public keys) or a `KmsKeyProv` (a user's key sets). Only
//! reading: the library parses what a client fetched from its KMS over HTTPS; the transport is the
//! application's. Feature `kms-xml` (on by default); the protocol code does not depend on it.
//!
//! Lengths are checked here (a Z_T and an RSK are 257 bytes, a KPAK and a PVT 65, an SSK 32);
//! whether the keys are valid for the user is checked when they are loaded into a config.

use roxmltree::{Document, Node};

use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;

/// The namespace of TS 33.180 Annex D.
const NAMESPACE: &str = "urn:3gpp:ns:mcsecKMSInterface:1.0";
/// Length of a SAKKE Parameter Set 1 point (Z_T, RSK): 0x04 || x || y, 128-byte coordinates.
const SAKKE_POINT_LEN: usize = 257;
/// Length of a P-256 point (KPAK, PVT): 0x04 || x || y.
const P256_POINT_LEN: usize = 65;
/// Length of an ECCSI secret signing key (SSK).
const SSK_LEN: usize = 32;
/// Length of a UID (TS 33.180 F.2.1).
const UID_LEN: usize = 32;

/// A KMS certificate (D.3.2): a KMS community's public keys and its user key periods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsCertificate {
    /// The KMS URI, which IDRkms payloads name.
    pub kms_uri: String,
    /// The certificate's URI, if given.
    pub cert_uri: Option<String>,
    /// The `Role` attribute: `Root` or `External`.
    pub role: Option<String>,
    /// The user ID format: "2" for the TS 33.180 F.2.1 UID.
    pub user_id_format: Option<String>,
    /// The user key period in seconds.
    pub user_key_period_secs: u64,
    /// The user key period offset in seconds.
    pub user_key_offset_secs: u64,
    /// The SAKKE public key Z_T (`PubEncKey`), 257 bytes.
    pub public_encryption_key: Vec<u8>,
    /// The ECCSI public authentication key KPAK (`PubAuthKey`), 65 bytes.
    pub public_authentication_key: Vec<u8>,
}

/// A user's key set for one key period (D.3.3).
#[derive(Debug)]
pub struct KmsKeySet {
    /// The KMS that issued it.
    pub kms_uri: String,
    /// The user's URI.
    pub user_uri: String,
    /// The user's UID (hex or base64 in the XML; both are seen).
    pub user_id: Vec<u8>,
    /// The key period the keys are for.
    pub key_period_number: u64,
    /// The SAKKE receiver secret key RSK (`UserDecryptKey`), 257 bytes.
    pub rsk: SecretBytes,
    /// The ECCSI secret signing key SSK (`UserSigningKeySSK`), 32 bytes.
    pub ssk: SecretBytes,
    /// The ECCSI public validation token PVT (`UserPubTokenPVT`), 65 bytes.
    pub pvt: Vec<u8>,
}

/// What a KMS response carries.
#[derive(Debug)]
pub enum KmsResponse {
    /// `KmsInit` or `KmsCertCache`: KMS certificates.
    Certificates(Vec<KmsCertificate>),
    /// `KmsKeyProv`: key sets of the user.
    KeySets(Vec<KmsKeySet>),
}

fn malformed(what: impl Into<String>) -> Error {
    Error::malformed(format!("KMS XML: {}", what.into()))
}

impl KmsResponse {
    /// Parses a `KmsResponse` document ([`parse_kms_response`]).
    pub fn parse(xml: &str) -> Result<KmsResponse> {
        parse_kms_response(xml)
    }
}

/// Parses a `KmsResponse` document.
pub fn parse_kms_response(xml: &str) -> Result<KmsResponse> {
    let document = Document::parse(xml).map_err(|error| malformed(error.to_string()))?;
    let root = document.root_element();
    if root.tag_name().name() != "KmsResponse" || root.tag_name().namespace() != Some(NAMESPACE) {
        return Err(malformed(format!("the root is not a KmsResponse of {NAMESPACE}")));
    }
    let message = child(root, "KmsMessage")?;
    let body = message.children().find(Node::is_element).ok_or_else(|| malformed("an empty KmsMessage"))?;
    match body.tag_name().name() {
        "KmsInit" | "KmsCertCache" => {
            elements(body, "KmsCertificate").map(certificate).collect::<Result<_>>().map(KmsResponse::Certificates)
        }
        "KmsKeyProv" => elements(body, "KmsKeySet").map(key_set).collect::<Result<_>>().map(KmsResponse::KeySets),
        other => Err(Error::unsupported(format!("KMS XML: a KmsMessage of {other}"))),
    }
}

/// The child elements of `node` named `name` (in the Annex D namespace).
fn elements<'a, 'input>(node: Node<'a, 'input>, name: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |child| child.is_element() && child.tag_name().name() == name)
}

/// The one child element named `name`.
fn child<'a, 'input>(node: Node<'a, 'input>, name: &'static str) -> Result<Node<'a, 'input>> {
    let mut found = elements(node, name);
    match (found.next(), found.next()) {
        (Some(element), None) => Ok(element),
        (None, _) => Err(malformed(format!("{} has no {name}", node.tag_name().name()))),
        (Some(_), Some(_)) => Err(malformed(format!("{} has more than one {name}", node.tag_name().name()))),
    }
}

fn optional_text(node: Node<'_, '_>, name: &'static str) -> Result<Option<String>> {
    match elements(node, name).next() {
        Some(element) => Ok(Some(element.text().unwrap_or_default().trim().to_owned())),
        None => Ok(None),
    }
}

fn text(node: Node<'_, '_>, name: &'static str) -> Result<String> {
    Ok(child(node, name)?.text().unwrap_or_default().trim().to_owned())
}

fn integer(node: Node<'_, '_>, name: &'static str) -> Result<u64> {
    text(node, name)?.parse().map_err(|_| malformed(format!("{name} is not a non-negative integer")))
}

fn hex(value: &str, name: &str) -> Result<Vec<u8>> {
    if !value.len().is_multiple_of(2) {
        return Err(malformed(format!("{name} has an odd number of hex digits")));
    }
    (0..value.len())
        .step_by(2)
        .map(|i| {
            value
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| malformed(format!("{name} is not hex")))
        })
        .collect()
}

/// A key element's bytes of exactly `len`: plain hexBinary. A TrK-encrypted key (an element
/// inside) is refused: TS 33.180 9.3.4.2 names AES key wrap (RFC 3394, kw-aes256), which
/// cannot wrap a 257-byte RSK or a 65-byte PVT, so the encrypted form is not specified well
/// enough to implement.
fn key_bytes(node: Node<'_, '_>, name: &'static str, len: usize) -> Result<Vec<u8>> {
    let element = child(node, name)?;
    if element.children().any(|inner| inner.is_element()) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "KMS XML: {name} is TrK-encrypted; TS 33.180 9.3.4.2 names AES key wrap (RFC 3394), which \
                 cannot wrap keys of 257 or 65 bytes, so the encrypted form is left open by the \
                 specification: provision the key set in the clear over a protected channel"
            ),
        ));
    }
    let bytes = hex(element.text().unwrap_or_default().trim(), name)?;
    if bytes.len() != len {
        return Err(malformed(format!("{name} holds {} bytes, not {len}", bytes.len())));
    }
    Ok(bytes)
}

/// A UID as 64 hex digits or as base64 (both are seen, TS 33.180 leaves it open).
fn user_id(value: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let bytes = if value.len() == 2 * UID_LEN && value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        hex(value, "UserID")?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| malformed("UserID is neither 64 hex digits nor base64"))?
    };
    if bytes.len() != UID_LEN {
        return Err(malformed(format!("UserID holds {} bytes, not {UID_LEN}", bytes.len())));
    }
    Ok(bytes)
}

fn certificate(node: Node<'_, '_>) -> Result<KmsCertificate> {
    Ok(KmsCertificate {
        kms_uri: text(node, "KmsUri")?,
        cert_uri: optional_text(node, "CertUri")?,
        role: node.attribute("Role").map(str::to_owned),
        user_id_format: optional_text(node, "UserIdFormat")?,
        user_key_period_secs: integer(node, "UserKeyPeriod")?,
        user_key_offset_secs: integer(node, "UserKeyOffset")?,
        public_encryption_key: key_bytes(node, "PubEncKey", SAKKE_POINT_LEN)?,
        public_authentication_key: key_bytes(node, "PubAuthKey", P256_POINT_LEN)?,
    })
}

fn key_set(node: Node<'_, '_>) -> Result<KmsKeySet> {
    Ok(KmsKeySet {
        kms_uri: text(node, "KmsUri")?,
        user_uri: text(node, "UserUri")?,
        user_id: user_id(&text(node, "UserID")?)?,
        key_period_number: integer(node, "KeyPeriodNo")?,
        rsk: SecretBytes::new(key_bytes(node, "UserDecryptKey", SAKKE_POINT_LEN)?),
        ssk: SecretBytes::new(key_bytes(node, "UserSigningKeySSK", SSK_LEN)?),
        pvt: key_bytes(node, "UserPubTokenPVT", P256_POINT_LEN)?,
    })
}
