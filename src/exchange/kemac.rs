//! KEMAC protection (RFC 3830 §4.1.4, §4.2.3, §4.2.4, §6.2): the key data encrypted and the
//! message MACed with keys derived from a PSK or an envelope key.
//!
//! Two forms: a whole message sealed by the KEMAC MAC over everything before the MAC field (PSK
//! and NULL I_MESSAGEs, DH-HMAC messages, §5.2), and a KEMAC payload MACed alone with its
//! next-payload field zero (the public-key envelope, §3.2).

use std::borrow::Cow;

use zeroize::Zeroize;

use crate::crypto::{
    decrypt_key_data, encrypt_key_data, EnvelopeDeriver, EnvelopeKeyPurpose, KeyTransport, MacAlgorithm, MacKey,
    PrfFunction,
};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::secret::SecretBytes;
use crate::wire::registry::encryption_algorithm;
use crate::wire::{Kemac, KeyDataList, MacAlgorithmCode, Message, Payload, Timestamp};

/// How a KEMAC protects the messages of one exchange.
#[derive(Clone, Copy, Debug)]
pub enum KemacProtection<'a> {
    /// AES-CM-128 key transport and HMAC-SHA-1-160, with keys derived (§4.1.4) from this
    /// PSK or envelope key.
    Encrypted(&'a SecretBytes),
    /// NULL encryption and NULL MAC: the key data in clear (the NULL method).
    Clear,
    /// NULL encryption, no key data, and HMAC-SHA-1-160 with the auth key derived from this
    /// PSK (DH-HMAC, RFC 4650 §4.2).
    MacOnly(&'a SecretBytes),
}

/// What the key derivation of §4.1.4 takes from the exchange.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeContext<'a> {
    /// The PRF named in the header.
    pub prf: PrfFunction,
    /// The CSB ID.
    pub csb_id: u32,
    /// RAND of the initial exchange.
    pub rand: &'a [u8],
    /// The initiator's timestamp (IV input of AES-CM).
    pub timestamp: Timestamp,
}

/// The encryption key and salt of §4.1.4 for one KEMAC, and the MAC key of the exchange (which
/// the verification message reuses).
struct MessageKeys {
    encr_key: SecretBytes,
    salt: SecretBytes,
    auth: MacKey,
}

impl KemacProtection<'_> {
    fn algorithms(self) -> (KeyTransport, MacAlgorithm) {
        match self {
            KemacProtection::Encrypted(_) => (KeyTransport::AesCm128, MacAlgorithm::HmacSha1_160),
            KemacProtection::Clear => (KeyTransport::Null, MacAlgorithm::Null),
            KemacProtection::MacOnly(_) => (KeyTransport::Null, MacAlgorithm::HmacSha1_160),
        }
    }

    /// The message keys, derived from the PSK or envelope key for the KEMAC's transport with one prepared PRF
    /// key (§4.1.4).
    fn message_keys(self, transport: KeyTransport, context: &ExchangeContext<'_>) -> MessageKeys {
        match self {
            KemacProtection::Encrypted(inkey) | KemacProtection::MacOnly(inkey) => {
                let deriver = EnvelopeDeriver::new(context.prf, inkey.expose(), context.csb_id, context.rand);
                let mut auth_key = [0u8; 20];
                deriver.derive(EnvelopeKeyPurpose::AuthKey, &mut auth_key[..MacAlgorithm::HmacSha1_160.key_len()]);
                let auth = MacKey::new(MacAlgorithm::HmacSha1_160, &auth_key);
                auth_key.zeroize();
                MessageKeys {
                    encr_key: deriver.derive_secret(EnvelopeKeyPurpose::EncrKey, transport.key_len()),
                    salt: deriver.derive_secret(EnvelopeKeyPurpose::Salt, transport.salt_len()),
                    auth,
                }
            }
            KemacProtection::Clear => MessageKeys {
                encr_key: SecretBytes::default(),
                salt: SecretBytes::default(),
                auth: MacKey::new(MacAlgorithm::Null, &[]),
            },
        }
    }
}

/// The wire code of a MAC algorithm (RFC 3830 Table 6.2.c).
pub(crate) fn mac_algorithm_code(algorithm: MacAlgorithm) -> MacAlgorithmCode {
    match algorithm {
        MacAlgorithm::Null => MacAlgorithmCode::Null,
        MacAlgorithm::HmacSha1_160 => MacAlgorithmCode::HmacSha1_160,
        MacAlgorithm::HmacSha256_256 => MacAlgorithmCode::HmacSha256_256,
    }
}

/// The MAC algorithm of a wire code (RFC 3830 Table 6.2.c, RFC 6043 §6.2).
pub(crate) fn mac_algorithm_of(code: MacAlgorithmCode) -> MacAlgorithm {
    match code {
        MacAlgorithmCode::Null => MacAlgorithm::Null,
        MacAlgorithmCode::HmacSha1_160 => MacAlgorithm::HmacSha1_160,
        MacAlgorithmCode::HmacSha256_256 => MacAlgorithm::HmacSha256_256,
    }
}

/// The key transport of a KEMAC "Encr alg" code (RFC 3830 Table 6.2.a, RFC 6043 §6.2); an
/// unknown code is an error the peer hears of (§6.12: invalid EA).
pub(crate) fn transport_of(code: u8) -> Result<KeyTransport> {
    match code {
        encryption_algorithm::NULL => Ok(KeyTransport::Null),
        encryption_algorithm::AES_CM_128 => Ok(KeyTransport::AesCm128),
        encryption_algorithm::AES_KW_128 => Ok(KeyTransport::AesKw128),
        encryption_algorithm::AES_CM_256 => Ok(KeyTransport::AesCm256),
        other => Err(Error::unsupported(format!("KEMAC encryption algorithm {other}"))
            .with_peer_code(MikeyErrorCode::InvalidEncryptionAlgorithm)),
    }
}

/// The KEMAC "Encr alg" code of a key transport.
pub(crate) fn transport_code(transport: KeyTransport) -> u8 {
    match transport {
        KeyTransport::Null => encryption_algorithm::NULL,
        KeyTransport::AesCm128 => encryption_algorithm::AES_CM_128,
        KeyTransport::AesKw128 => encryption_algorithm::AES_KW_128,
        KeyTransport::AesCm256 => encryption_algorithm::AES_CM_256,
    }
}

/// The KEMAC carrying `keys` encrypted with the message keys of `protection` (§4.1.4, §4.2.3),
/// its MAC still zero, and those keys.
fn unsealed_kemac(
    keys: &KeyDataList<'_>,
    protection: KemacProtection<'_>,
    context: &ExchangeContext<'_>,
) -> Result<(Kemac<'static>, MessageKeys)> {
    let (transport, mac_algorithm) = protection.algorithms();
    let message_keys = protection.message_keys(transport, context);
    let plaintext = keys.encode()?;
    let encrypted_data = encrypt_key_data(
        transport,
        message_keys.encr_key.expose(),
        message_keys.salt.expose(),
        context.csb_id,
        &context.timestamp.as_64_bits(),
        plaintext.expose(),
    )?;
    let kemac = Kemac {
        encryption_algorithm: transport_code(transport),
        encrypted_data: encrypted_data.into(),
        mac_algorithm: mac_algorithm_code(mac_algorithm),
        mac: vec![0; mac_algorithm.tag_len()].into(),
    };
    Ok((kemac, message_keys))
}

/// Builds a sealed I_MESSAGE (or DH-HMAC R_MESSAGE): `message` holds every payload but the
/// KEMAC, which is appended with `keys` encrypted and the MAC computed over the encoded message
/// (§5.2). Returns the message and the exchange's MAC key, which checks the verification message.
pub fn seal_kemac_message(
    mut message: Message<'_>,
    keys: &KeyDataList<'_>,
    protection: KemacProtection<'_>,
    context: &ExchangeContext<'_>,
) -> Result<(Vec<u8>, MacKey)> {
    let (kemac, message_keys) = unsealed_kemac(keys, protection, context)?;
    let tag_len = kemac.mac.len();
    message.payloads.push(Payload::Kemac(kemac));
    let mut bytes = message.encode()?;
    // With NULL encryption the KEMAC holds the keys in clear: wipe our copy (the message is
    // the caller's).
    if let Some(Payload::Kemac(Kemac { encrypted_data: Cow::Owned(data), .. })) = message.payloads.last_mut() {
        data.zeroize();
    }
    let covered = bytes.len() - tag_len;
    let tag = message_keys.auth.sign(&bytes[..covered]);
    bytes[covered..].copy_from_slice(tag.as_slice());
    Ok((bytes, message_keys.auth))
}

/// The KEMAC of the public-key method (§3.2): E(encr_key, IDi || {TGK}) || MAC, the MAC over the
/// KEMAC payload alone with its next-payload field zero (§5.2), keys derived from the envelope
/// key. Returns the payload and the exchange's MAC key (for the verification message).
pub fn seal_kemac_payload(
    keys: &KeyDataList<'_>,
    envelope_key: &SecretBytes,
    context: &ExchangeContext<'_>,
) -> Result<(Kemac<'static>, MacKey)> {
    let (mut kemac, message_keys) = unsealed_kemac(keys, KemacProtection::Encrypted(envelope_key), context)?;
    let encoded = kemac_payload_bytes(&kemac)?;
    let tag = message_keys.auth.sign(&encoded[..encoded.len() - kemac.mac.len()]);
    kemac.mac = tag.as_slice().to_vec().into();
    Ok((kemac, message_keys.auth))
}

/// The KEMAC payload alone, as the PK MAC covers it: next payload zero (§5.2).
fn kemac_payload_bytes(kemac: &Kemac<'_>) -> Result<Vec<u8>> {
    let mut encoded = Vec::with_capacity(kemac.encrypted_data.len() + kemac.mac.len() + 5);
    Payload::Kemac(kemac.clone()).encode(crate::wire::PayloadType::Last, &mut encoded)?;
    Ok(encoded)
}

/// The decrypted content of a KEMAC (Key data sub-payloads, after an ID for the public-key
/// methods): borrowed from the message when it travelled in clear (NULL transport), else
/// decrypted here and zeroized on drop.
pub enum Plaintext<'m> {
    /// NULL encryption: the KEMAC's own bytes.
    Clear(&'m [u8]),
    /// AES-CM or AES-KW, decrypted.
    Decrypted(SecretBytes),
}

impl Plaintext<'_> {
    /// The Key data sub-payloads (§6.13), led by an ID payload when `leading_id` (§3.2), borrowed
    /// from the plaintext.
    pub fn key_data(&self, leading_id: bool) -> Result<KeyDataList<'_>> {
        let bytes = match self {
            Plaintext::Clear(bytes) => bytes,
            Plaintext::Decrypted(secret) => secret.expose(),
        };
        KeyDataList::decode(bytes, leading_id)
    }
}

/// Decrypts the key data of a KEMAC whose MAC was verified.
fn decrypted<'m>(
    kemac: &'m Kemac<'_>,
    transport: KeyTransport,
    message_keys: &MessageKeys,
    context: &ExchangeContext<'_>,
) -> Result<Plaintext<'m>> {
    if transport == KeyTransport::Null {
        return Ok(Plaintext::Clear(&kemac.encrypted_data));
    }
    let plaintext = decrypt_key_data(
        transport,
        message_keys.encr_key.expose(),
        message_keys.salt.expose(),
        context.csb_id,
        &context.timestamp.as_64_bits(),
        &kemac.encrypted_data,
    )?;
    Ok(Plaintext::Decrypted(plaintext))
}

/// Verifies the MAC of a received I_MESSAGE (or DH-HMAC R_MESSAGE) and decrypts its key data.
/// `bytes` is the message without any accepted padding byte; `message` its decoding. Returns the
/// key data and the exchange's MAC key (for the verification message). Nothing is changed
/// anywhere, so a failure leaves the caller's state as it was.
pub fn open_kemac_message<'m>(
    bytes: &[u8],
    message: &'m Message<'_>,
    protection: KemacProtection<'_>,
    context: &ExchangeContext<'_>,
) -> Result<(Plaintext<'m>, MacKey)> {
    let Some(Payload::Kemac(kemac)) = message.payloads.last() else {
        return Err(Error::malformed("the message must end with the KEMAC payload (RFC 3830 §6.2, RFC 4650 §4.2)"));
    };
    let transport = accepted_transport(kemac, protection)?;
    let message_keys = protection.message_keys(transport, context);
    let covered = bytes.len() - kemac.mac.len();
    message_keys
        .auth
        .verify(&bytes[..covered], &kemac.mac)
        .map_err(|error| error.with_peer_code(MikeyErrorCode::AuthFailure))?;
    Ok((decrypted(kemac, transport, &message_keys, context)?, message_keys.auth))
}

/// Verifies and decrypts the KEMAC of a public-key message (§3.2): the MAC over the KEMAC payload
/// alone, keys from the envelope key; the key data starts with the encrypted IDi.
pub fn open_kemac_payload<'m>(
    kemac: &'m Kemac<'_>,
    envelope_key: &SecretBytes,
    context: &ExchangeContext<'_>,
) -> Result<(Plaintext<'m>, MacKey)> {
    let protection = KemacProtection::Encrypted(envelope_key);
    let transport = accepted_transport(kemac, protection)?;
    let message_keys = protection.message_keys(transport, context);
    let encoded = kemac_payload_bytes(kemac)?;
    message_keys
        .auth
        .verify(&encoded[..encoded.len() - kemac.mac.len()], &kemac.mac)
        .map_err(|error| error.with_peer_code(MikeyErrorCode::AuthFailure))?;
    Ok((decrypted(kemac, transport, &message_keys, context)?, message_keys.auth))
}

/// The KEMAC transport the sender used, with its algorithms checked against what `protection`
/// demands. A PSK endpoint never accepts NULL encryption or a NULL MAC (no downgrade); a NULL
/// endpoint cannot open anything else.
fn accepted_transport(kemac: &Kemac<'_>, protection: KemacProtection<'_>) -> Result<KeyTransport> {
    // The RFC 6043 algorithms belong to MIKEY-TICKET's messages.
    let transport = match transport_of(kemac.encryption_algorithm)? {
        KeyTransport::AesCm256 => {
            return Err(Error::unsupported("KEMAC encryption AES-CM-256 (RFC 6043) in an RFC 3830 message")
                .with_peer_code(MikeyErrorCode::InvalidEncryptionAlgorithm))
        }
        transport => transport,
    };
    let mac_algorithm = match mac_algorithm_of(kemac.mac_algorithm) {
        MacAlgorithm::HmacSha256_256 => {
            return Err(Error::unsupported("KEMAC MAC HMAC-SHA-256 (RFC 6043) in a PSK message")
                .with_peer_code(MikeyErrorCode::InvalidMac))
        }
        mac_algorithm => mac_algorithm,
    };
    match protection {
        KemacProtection::Encrypted(_) if transport == KeyTransport::Null || mac_algorithm == MacAlgorithm::Null => {
            Err(Error::new(ErrorKind::AuthFailed, "NULL-protected message refused by a PSK endpoint (downgrade)")
                .with_peer_code(MikeyErrorCode::AuthFailure))
        }
        KemacProtection::Clear if transport != KeyTransport::Null || mac_algorithm != MacAlgorithm::Null => {
            Err(Error::unsupported("protected KEMAC, but this endpoint has no PSK (NULL method)")
                .with_peer_code(MikeyErrorCode::AuthFailure))
        }
        // RFC 4650 §4.2: no encrypted data, and an HMAC (its Table 4.2.a allows NULL only with
        // protected lower layers; this endpoint demands the HMAC).
        KemacProtection::MacOnly(_)
            if transport != KeyTransport::Null || mac_algorithm != MacAlgorithm::HmacSha1_160 =>
        {
            Err(Error::new(ErrorKind::AuthFailed, "a DH-HMAC KEMAC carries no encrypted data and an HMAC-SHA-1")
                .with_peer_code(MikeyErrorCode::InvalidMac))
        }
        _ => Ok(transport),
    }
}
