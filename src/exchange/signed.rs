//! Messages authenticated by an RSA signature and certificates (RFC 3830 §5.2, §6.5, §6.7): the
//! PK (§3.2), DH-SIGN (§3.3) and RSA-R (RFC 4738) exchanges.
//!
//! The signature covers the encoded message up to the signature field, the SIGN payload's
//! type and length included (§5.2). The signer's end-entity certificate must chain to a trust
//! anchor at the session time, or be the pinned peer certificate, allow digitalSignature where
//! key usage is present, and name the expected identity in subjectAltName.

use std::borrow::Cow;

use crate::clock::unix_seconds;
use crate::config::InteropFlags;
use crate::config::Settings;
use crate::crypto::rsa::{RsaPrivateKey, SignatureHash, SignaturePadding, SignatureScheme};
use crate::crypto::x509::{Certificate, KeyUsageNeed, TrustStore};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::wire::registry::cert_type;
use crate::wire::{CertPayload, Message, Payload, Signature};

/// What a signature covers besides the message (RFC 3830 §5.2 and RFC 4738 §3.6 differ).
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedExtra<'a> {
    /// RSA-R's SIGNr leaves out the whole SIGN payload, its type and length too (RFC 4738 §3.6);
    /// RFC 3830 §5.2 signs them.
    pub without_sign_header: bool,
    /// Bytes signed after the message: RSA-R's IDi || IDr || T.
    pub suffix: &'a [&'a [u8]],
}

impl<'a> SignedExtra<'a> {
    /// SIGNr of RSA-R (RFC 4738 §3.6): the R_MESSAGE without the SIGN payload, then
    /// IDi || IDr || T (the ID data, and T as its 64-bit value).
    pub fn rsa_r_response(ids_and_timestamp: &'a [&'a [u8]; 3]) -> Self {
        SignedExtra { without_sign_header: true, suffix: ids_and_timestamp }
    }

    /// SIGNr as minisip makes it (its switch): the R_MESSAGE up to the signature (the SIGN
    /// payload's header included), then the suffix.
    pub fn minisip_rsa_r_response(ids_and_timestamp: &'a [&'a [u8]; 3]) -> Self {
        SignedExtra { without_sign_header: false, suffix: ids_and_timestamp }
    }
}

/// The most CERT payloads a signed message may carry: an end entity and intermediates, far more
/// than real chains have, so no message makes us parse and check many certificates.
pub const MAX_CERTIFICATES: usize = 8;

/// Length of the SIGN payload's type and length fields.
const SIGN_HEADER_LEN: usize = 2;

/// The bytes a signature covers: the message up to the signature (or up to the SIGN payload),
/// then the suffix.
fn signed_data(bytes: &[u8], signature_len: usize, extra: &SignedExtra<'_>) -> Vec<u8> {
    let header = if extra.without_sign_header { SIGN_HEADER_LEN } else { 0 };
    let covered = bytes.len().saturating_sub(signature_len + header);
    let mut data = bytes[..covered].to_vec();
    for part in extra.suffix {
        data.extend_from_slice(part);
    }
    data
}

/// Appends the SIGN payload and signs the encoded message up to the signature field (§5.2).
pub fn seal_signed(message: Message, key: &RsaPrivateKey, scheme: SignatureScheme) -> Result<Vec<u8>> {
    seal_signed_with(message, key, scheme, &SignedExtra::default())
}

/// [`seal_signed`] with our key and signature scheme, as `settings` configure them.
pub(crate) fn seal_signed_by_us(settings: &Settings, message: Message) -> Result<Vec<u8>> {
    seal_signed(message, settings.private_key()?, settings.signing_scheme())
}

/// [`seal_signed`] with the coverage of `extra`.
pub fn seal_signed_with(
    mut message: Message,
    key: &RsaPrivateKey,
    scheme: SignatureScheme,
    extra: &SignedExtra<'_>,
) -> Result<Vec<u8>> {
    let signature_len = key.size();
    let sig_type = scheme.padding.s_type();
    message.payloads.push(Payload::Sign(Signature { sig_type, data: vec![0; signature_len].into() }));
    let mut bytes = message.encode()?;
    let covered = bytes.len() - signature_len;
    let signature = key.sign(scheme, &signed_data(&bytes, signature_len, extra))?;
    if signature.len() != signature_len {
        return Err(Error::crypto("RSA signature of an unexpected length"));
    }
    bytes[covered..].copy_from_slice(&signature);
    Ok(bytes)
}

/// The CERT payloads of our chain, end entity first, borrowing the certificates.
pub fn certificate_payloads(chain: &[Certificate]) -> impl Iterator<Item = Payload<'_>> {
    chain.iter().map(|certificate| {
        Payload::Cert(CertPayload { cert_type: cert_type::X509V3, data: Cow::Borrowed(certificate.der()) })
    })
}

/// A DH-SIGN or RSA-R initiator names the peer whose signature it will take (the peer identity
/// its certificate must name, or the pinned certificate itself), unless it accepts any peer
/// under its anchors explicitly.
pub(crate) fn check_peer_named(settings: &Settings) -> Result<()> {
    if settings.peer_id.is_none() && settings.peer_certificate.is_none() && !settings.accept_any_peer {
        return Err(Error::invalid_argument(
            "name the peer (set_identities), or accept any peer under the trust anchors (set_accept_any_peer)",
        ));
    }
    Ok(())
}

/// A signed request naming its responder, the common layout of DH-SIGN (RFC 3830 §3.3) and
/// RSA-R (RFC 4738 §3): HDR, T, RAND, CERTi, IDr, SP, the method's `extra` payloads, SIGNi.
/// Our certificate names us, so no IDi is sent.
pub(crate) fn signed_request<'a>(
    cx: &'a crate::method::Offering<'_>,
    extra: impl IntoIterator<Item = Payload<'a>>,
) -> Result<Vec<u8>> {
    let settings = cx.settings;
    check_peer_named(settings)?;
    let mut message = cx.start_message();
    message.payloads.extend(certificate_payloads(&settings.certificate_chain));
    let responder_id = settings.peer_id.as_deref().unwrap_or_default().as_bytes();
    message.payloads.extend(super::identity::id_payloads(&[], responder_id));
    message.payloads.push(cx.policy_payload()?);
    message.payloads.extend(extra);
    seal_signed_by_us(settings, message)
}

/// True when the message carries a certificate, which then names its sender ([IDi|CERTi],
/// RFC 3830 §3.2, §3.3).
pub(crate) fn carries_certificate(message: &Message<'_>) -> bool {
    message.payloads.iter().any(|payload| matches!(payload, Payload::Cert(_)))
}

/// What a signed message's signer must satisfy (its certificate's key usage included).
#[derive(Clone, Copy, Debug)]
pub struct PeerTrust<'a> {
    /// Anchors the signer's chain must lead to.
    pub anchors: &'a TrustStore,
    /// A certificate accepted as it is, and used when the message carries none.
    pub pinned: Option<&'a Certificate>,
    /// True when only the pinned certificate names the peer (no peer identity is configured,
    /// and any peer under the anchors is not accepted): nothing else is then trusted.
    pub only_pinned: bool,
    /// The identity the certificate must name (subjectAltName URI or email), if configured.
    pub expected_identity: Option<&'a [u8]>,
    /// The session clock, Unix seconds (validity periods are checked against it).
    pub at_unix_time: i64,
    /// The key usages the signer's certificate must allow where it lists any.
    pub usage: KeyUsageNeed,
    /// Whether a signature over SHA-1 is accepted (minisip and older peers; SHA-256 otherwise).
    pub accept_sha1: bool,
}

impl<'a> PeerTrust<'a> {
    /// What `settings` demand of a signer whose certificate allows `usage`: the configured
    /// anchors or pin and peer identity, at the session clock.
    pub fn from_settings(settings: &'a Settings, usage: KeyUsageNeed) -> Self {
        PeerTrust {
            usage,
            anchors: &settings.trust_anchors,
            pinned: settings.peer_certificate.as_ref(),
            only_pinned: settings.peer_certificate.is_some() && settings.peer_id.is_none() && !settings.accept_any_peer,
            expected_identity: settings.peer_id.as_deref().map(str::as_bytes),
            at_unix_time: unix_seconds(settings.clock.now_ntp()),
            accept_sha1: settings.interop.has(InteropFlags::MINISIP_SHA1_SIGNATURES),
        }
    }
}

fn invalid_certificate(context: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::AuthFailed, context).with_peer_code(MikeyErrorCode::InvalidCertificate)
}

/// The signer's end-entity certificate: from the message's CERT payloads (end entity first,
/// then intermediates) or the pinned one, checked against `trust`; then the signature is verified
/// with its key. Nothing is trusted before both checks pass.
pub fn authenticate_signed(bytes: &[u8], message: &Message, trust: &PeerTrust<'_>) -> Result<Certificate> {
    authenticate_signed_with(bytes, message, trust, &SignedExtra::default())
}

/// Checks that a message answering ours is signed by the peer `settings` trust (RFC 3830
/// §5.2): an error message, for instance.
pub(crate) fn authenticate_peer(settings: &Settings, received: &crate::method::Received<'_>) -> Result<()> {
    let trust = PeerTrust::from_settings(settings, KeyUsageNeed::DIGITAL_SIGNATURE);
    authenticate_signed(received.bytes, received.message, &trust).map(drop)
}

/// [`authenticate_signed`] with the coverage of `extra`.
pub fn authenticate_signed_with(
    bytes: &[u8],
    message: &Message,
    trust: &PeerTrust<'_>,
    extra: &SignedExtra<'_>,
) -> Result<Certificate> {
    let signer = trusted_signer(message, trust)?;
    verify_signature(bytes, message, &signer, trust, extra)?;
    Ok(signer)
}

/// The end-entity certificate of a signed message's signer: from its CERT payloads (end entity
/// first, then intermediates) or the pinned one, checked against `trust`. The signature itself
/// is not checked yet ([`verify_signature`]).
pub fn trusted_signer(message: &Message, trust: &PeerTrust<'_>) -> Result<Certificate> {
    if !matches!(message.payloads.last(), Some(Payload::Sign(_))) {
        return Err(Error::malformed("a signed message must end with the SIGN payload (§6.5)"));
    }
    if message.payloads.iter().filter(|payload| matches!(payload, Payload::Cert(_))).count() > MAX_CERTIFICATES {
        return Err(Error::unsupported(format!("more than {MAX_CERTIFICATES} certificates"))
            .with_peer_code(MikeyErrorCode::InvalidCertificate));
    }
    let mut carried = Vec::new();
    for payload in &message.payloads {
        if let Payload::Cert(cert) = payload {
            if !matches!(cert.cert_type, cert_type::X509V3 | cert_type::X509V3_SIGN) {
                return Err(Error::unsupported(format!("certificate type {} (only DER X.509v3)", cert.cert_type))
                    .with_peer_code(MikeyErrorCode::InvalidCertificate));
            }
            carried.push(Certificate::from_der(&cert.data)?);
        }
    }
    let (end_entity, intermediates) = match carried.split_first() {
        Some((end_entity, intermediates)) => (end_entity.clone(), intermediates),
        None => {
            (trust.pinned.cloned().ok_or_else(|| invalid_certificate("no certificate sent and none pinned"))?, &[][..])
        }
    };
    match trust.pinned {
        Some(pinned) if end_entity.matches_pin(pinned) => end_entity.check_usable(trust.at_unix_time, trust.usage)?,
        _ if trust.only_pinned => return Err(invalid_certificate("the signer is not the pinned peer certificate")),
        _ => trust.anchors.verify_chain(&end_entity, intermediates, trust.at_unix_time, trust.usage)?,
    }
    if let Some(identity) = trust.expected_identity {
        if !end_entity.matches_identity(identity) {
            return Err(Error::new(ErrorKind::AuthFailed, "the certificate does not name the expected identity")
                .with_peer_code(MikeyErrorCode::InvalidId));
        }
    }
    Ok(end_entity)
}

/// Verifies the SIGN payload of `message` (`bytes` encoded), made by `signer` over what `extra`
/// says, with a hash `trust` accepts.
pub fn verify_signature(
    bytes: &[u8],
    message: &Message,
    signer: &Certificate,
    trust: &PeerTrust<'_>,
    extra: &SignedExtra<'_>,
) -> Result<()> {
    let Some(Payload::Sign(signature)) = message.payloads.last() else {
        return Err(Error::malformed("a signed message must end with the SIGN payload (§6.5)"));
    };
    let padding = SignaturePadding::from_s_type(signature.sig_type).ok_or_else(|| {
        Error::unsupported(format!("signature type {}", signature.sig_type)).with_peer_code(MikeyErrorCode::AuthFailure)
    })?;
    let scheme = signer
        .public_key()?
        .verify_any_hash(padding, &signed_data(bytes, signature.data.len(), extra), &signature.data)
        .map_err(|error| error.with_peer_code(MikeyErrorCode::AuthFailure))?;
    if scheme.hash == SignatureHash::Sha1 && !trust.accept_sha1 {
        return Err(Error::new(
            ErrorKind::AuthFailed,
            "a SHA-1 signature (accepted only under the minisip SHA-1 flag)",
        )
        .with_peer_code(MikeyErrorCode::AuthFailure));
    }
    Ok(())
}
